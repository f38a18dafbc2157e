/*
 * store.h: event-store's private structures and prototypes (event-store(8)).
 *
 *   row.c      one canonical event to the columns and the full-text text (no I/O)
 *   schema.c   the database file: open or create, pragmas, schema, checks,
 *              moving a bad one aside
 *   writer.c   inserts in transactions with prepared statements; the
 *              sessions and hours tables; gap rows
 *   fill.c     a range of seqs from the journal (lapped ranges, start-up,
 *              --rebuild); what the journal lacks becomes a gap row
 *   textindex.c the full-text index, filled behind the writer when the ring is idle
 *   retain.c   retention by age and size, in small steps, and the
 *              incremental vacuum that gives the space back
 *   follow.c   the follower thread: the ring, the batch clock, the waits
 *   output.c   event-query's NDJSON lines (events, snippets, sessions, gaps)
 *
 * The read side (event-query, the gateway) is common/store_query.c; the
 * schema it reads is written down in common/store_query.h.
 */
#ifndef HOOKWIRE_STORE_H
#define HOOKWIRE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include <json-c/json.h>

#include "store_query.h"

/* ---------------------------------------------------------------- row.c */

/* The columns of one event.  The strings point into r_obj (or r_text) and
 * live until the next row_parse() or row_clear(). */
struct row {
	json_object *r_obj;
	const char *r_ts, *r_event, *r_session, *r_agent, *r_tool, *r_tool_use_id;
	const char *r_project, *r_cwd;
	int64_t r_ts_us; /* 0 when ts could not be read */
	char *r_text;	 /* the full-text text, NUL-terminated; NULL: none */
	size_t r_text_len, r_text_cap;
	char *r_buf; /* row_scan(): the decoded strings the columns point into */
	size_t r_buf_len, r_buf_cap;
};

/*
 * Parses one canonical event (json, len bytes) into r and builds its text:
 * the prompt, the command and other tool input that people search for, the
 * file paths, messages and errors, then the tool output, separated by
 * newlines and cut at text_max bytes on a UTF-8 boundary.  Returns 0, or -1
 * when json is not a JSON object (r is then empty but for r_ts_us 0).
 */
int row_parse(struct row *r, const char *json, size_t len, size_t text_max);
/* Frees what r holds; r can be used again.  row_clear() of a zeroed row is fine. */
void row_clear(struct row *r);
/* The two ways row_parse() reads: json-c, and the fast path of rowscan.c,
 * which declines (-1) what it cannot read exactly as json-c would.  Apart
 * for the tests that compare them. */
int row_parse_json(struct row *r, const char *json, size_t len, size_t text_max);
int row_scan(struct row *r, const char *json, size_t len, size_t text_max);
/* row.c's pieces that rowscan.c shares: appends n bytes of s to the text
 * (-1 when full); ts to microseconds (0 when it is not one). */
int row_put(struct row *r, const char *s, size_t n, size_t max);
int64_t row_ts_us(const char *ts);
/* Empties r for the next event, keeping its buffers. */
void row_reset(struct row *r);

/* ---------------------------------------------------------------- schema.c */

/* The page size of a new store.  Against SQLite's 4096: a quarter of the
 * write(2)s and read(2)s for the same bytes (the WAL and its checkpoints
 * write a page a call), which took a quarter off the store's CPU at 20,000
 * events/s; the filtered queries read fewer pages, the full-text ones a
 * little more (event-store(8) gives the figures). */
#define STORE_PAGE_SIZE	    16384
#define STORE_PAGE_SIZE_STR "16384"

/* Full-text tokenizers the schema can be created with (the bench compares them). */
#define SCHEMA_TOKENIZER_DEFAULT "trigram"

struct schema_opts {
	const char *tokenizer;	/* FTS5 tokenize= argument, e.g. "trigram" */
	int incremental_vacuum; /* auto_vacuum INCREMENTAL (1) or NONE (0), at creation */
	int cache_kib;		/* page cache of the writer's connection */
};

void schema_opts_default(struct schema_opts *o);

enum schema_status {
	SCHEMA_OK = 0, /* opened an existing store of this version */
	SCHEMA_NEW,    /* created a new, empty store */
	SCHEMA_BAD,    /* the file is not a usable store: corrupt, foreign, another version */
	SCHEMA_ERROR   /* could not open it at all (permissions, disk) */
};

/*
 * Opens the store at path for writing (creating the file and the schema
 * when missing), sets the writer's pragmas (WAL, synchronous NORMAL, a
 * persistent WAL so read-only readers can open it while the writer is
 * away) and checks what it found: application id, schema version and a
 * read of both ends of the events table.  *db is set for SCHEMA_OK and
 * SCHEMA_NEW; otherwise err says why.
 */
enum schema_status schema_open(const char *path, const struct schema_opts *o, sqlite3 **db,
			       char *err, size_t errlen);

/* True when rc (an SQLite result code) means the file is damaged or not a database. */
int schema_rc_bad(int rc);

/*
 * Moves path and its -wal and -shm files aside to path.<why>-<UTC time>
 * (never deleted by hookwire).  Returns 0 with the new name of the database
 * in moved (empty when there was no file), or -1 with err.
 */
int schema_move_aside(const char *path, const char *why, char *moved, size_t movedlen, char *err,
		      size_t errlen);

/* Reads meta.key as an integer into *v (0 when absent).  Returns 0 or an SQLite error code. */
int schema_meta_get(sqlite3 *db, const char *key, int64_t *v);
/* Sets meta.key.  Returns 0 or an SQLite error code. */
int schema_meta_set(sqlite3 *db, const char *key, int64_t v);
/* The same for a text value (meta.tokenize); out gets "" when absent. */
int schema_meta_get_text(sqlite3 *db, const char *key, char *out, size_t outlen);
int schema_meta_set_text(sqlite3 *db, const char *key, const char *v);

/* ---------------------------------------------------------------- writer.c */

struct writer_opts {
	size_t batch_max; /* events per transaction at most */
	size_t text_max;  /* row_parse()'s bound */
};

struct writer;

/* Returns a new writer on db (not owned), or NULL with err. */
struct writer *writer_new(sqlite3 *db, const struct writer_opts *o, char *err, size_t errlen);
/* Rolls back an open transaction and frees.  writer_free(NULL) does nothing. */
void writer_free(struct writer *w);

/*
 * Adds one event inside the open transaction (opening one when none is):
 * INSERT OR IGNORE on seq, so an event stored before is skipped.  ts_us is
 * the ring's capture time, or 0 to take it from the event's ts.  Commits
 * when batch_max events are pending.  Returns 1 (stored), 0 (already there)
 * or -1 with err; writer_rc() then gives the SQLite result code.
 */
int writer_add(struct writer *w, const char *json, size_t len, uint64_t seq, int64_t ts_us,
	       char *err, size_t errlen);
/* Records seqs from..to as a gap with a reason code (in the open transaction). */
int writer_gap(struct writer *w, uint64_t from, uint64_t to, const char *reason, char *err,
	       size_t errlen);
/* Commits the open transaction, if any (sessions and hours first).  Returns 0 or -1. */
int writer_commit(struct writer *w, char *err, size_t errlen);
/* Events added since the transaction began (stored or skipped). */
size_t writer_pending(const struct writer *w);
/* Monotonic time (util_mono_us) at which the open transaction began, 0 when none. */
int64_t writer_began_us(const struct writer *w);
/* The highest seq stored (committed or not), 0 when empty. */
uint64_t writer_max_seq(const struct writer *w);
/* Retention moved meta.oldest_seq to oldest: seqs below it are skipped from now on
 * (writer_new() reads it). */
void writer_set_oldest(struct writer *w, uint64_t oldest);
/* The SQLite result code of the last failure. */
int writer_rc(const struct writer *w);
/* Totals since writer_new(): events stored, events skipped, gap rows, commits. */
void writer_counts(const struct writer *w, uint64_t *stored, uint64_t *skipped, uint64_t *gaps,
		   uint64_t *commits);
/* The database. */
sqlite3 *writer_db(const struct writer *w);

/* ---------------------------------------------------------------- fill.c */

struct fill_result {
	uint64_t fr_stored;  /* events stored from the journal */
	uint64_t fr_skipped; /* already in the store */
	uint64_t fr_gaps;    /* gap rows recorded */
	uint64_t fr_gap_seqs;
	uint64_t fr_last; /* highest seq the journal gave in the range, 0 if none */
	int fr_stopped;	  /* *stop was set: the range is not done (and no gap recorded) */
};

/*
 * Stores the events from..to (to: UINT64_MAX for the end of the journal)
 * that the journal in dir holds, through w, committing in batches; with
 * gaps set, every seq in from..to the journal lacks is recorded as a gap
 * row with reason (to must then be finite).  When *stop (may be NULL)
 * becomes non-zero it commits what it has and returns with fr_stopped set.
 * Returns 0 with res filled, or -1 with err (an unreadable journal, a
 * database error).
 */
int fill_from_journal(struct writer *w, const char *dir, uint64_t from, uint64_t to, int gaps,
		      const char *reason, const _Atomic int *stop, struct fill_result *res,
		      char *err, size_t errlen);

/* ---------------------------------------------------------------- textindex.c */

/*
 * Adds the text of up to chunk events after meta.indexed_seq to the newest
 * full-text table, or to a new one when the newest holds part_bytes of
 * text or more, and moves the watermark, in one transaction (the writer's
 * must be committed).  *indexed gets the watermark.  Returns 1 when more
 * events wait, 0 when the index has caught up, -1 with err.
 */
int textindex_step(sqlite3 *db, size_t chunk, uint64_t part_bytes, uint64_t *indexed, char *err,
		   size_t errlen);
/*
 * One step of merging the segments of the oldest full table (any but the
 * newest) not merged yet into one, in a transaction of its own;
 * meta.merged_part is the newest table done.  Returns 1 when it did some
 * work (call again), 0 when every full table is merged, -1 with err.
 */
int textindex_merge_step(sqlite3 *db, char *err, size_t errlen);
/* Text bytes per full-text table for a store limited to keep_bytes: a 64th,
 * between 64 KiB and 64 MiB. */
uint64_t textindex_part_bytes(uint64_t keep_bytes);

/* ---------------------------------------------------------------- retain.c */

struct retain_opts {
	int64_t keep_us;       /* age limit, 0: none */
	uint64_t keep_bytes;   /* size limit of the pages in use, 0: none */
	size_t chunk;	       /* events deleted per step at most */
	uint64_t vacuum_bytes; /* given back per step at most (whole pages, one at least) */
	uint64_t free_reserve; /* bytes of free pages kept for new events (not given back) */
};

struct retain_result {
	uint64_t rr_deleted; /* events deleted */
	uint64_t rr_oldest;  /* after a deletion, meta.oldest_seq: seqs below it are gone */
	int64_t rr_next_us;  /* when the oldest event will pass keep_us (wall clock), 0: never */
	int rr_vacuumed;     /* pages given back */
	const char *rr_why;  /* "age", "size" or NULL when nothing was deleted */
};

void retain_opts_default(struct retain_opts *o);
/* The free pages kept for new events in a store limited to keep_bytes, in
 * bytes: a sixteenth of it, at most 16 MiB. */
uint64_t retain_reserve_bytes(uint64_t keep_bytes);

/*
 * One step of retention in its own transaction (the writer's must be
 * committed): deletes up to chunk of the oldest events while they are older
 * than keep_us or the pages in use exceed keep_bytes (the full-text index,
 * sessions, hours, gaps and meta.oldest_seq follow), then gives back up to
 * vacuum_bytes of free pages beyond free_reserve.  Returns 1 when more work
 * remains, 0 when none, -1 with err.
 */
int retain_step(sqlite3 *db, const struct retain_opts *o, int64_t now_us, struct retain_result *res,
		char *err, size_t errlen);

/* Pages in use times the page size, and the free pages. */
int retain_usage(sqlite3 *db, uint64_t *used_bytes, uint64_t *free_pages);

/* ---------------------------------------------------------------- follow.c */

struct follow_opts {
	const char *ring_name;
	const char *journal_dir;
	const char *db_path;
	struct schema_opts schema;
	struct writer_opts writer;
	struct retain_opts retain;
	int commit_ms;	    /* the longest an event waits for its commit */
	size_t index_chunk; /* events per full-text index step */
};

struct follow;

/*
 * Opens the store (moving a bad one aside and starting afresh: the log says
 * so) and maps the ring.  Returns a new follower or NULL with err and
 * *exit_code (EXIT_RUNTIME, EXIT_SYSCALL).
 */
struct follow *follow_new(const struct follow_opts *o, int *exit_code, char *err, size_t errlen);
/*
 * Starts the follower thread: catch up from the journal, then follow the
 * ring until follow_stop().  Every signal but SIGUSR2 stays blocked in it.
 * Returns 0 or -1 with err.
 */
int follow_start(struct follow *f, char *err, size_t errlen);
/* Asks the thread to log a status line (1) or reopen the log (2), and waits until it has. */
void follow_poke(struct follow *f, int what);
#define FOLLOW_STATUS 1
#define FOLLOW_REOPEN 2
/* Asks the thread to commit and end, and joins it.  Returns its exit code. */
int follow_stop(struct follow *f);
/* True once the thread ended by itself (a fatal error): the caller stops. */
int follow_ended(const struct follow *f);
/* Closes the store and the ring and frees.  follow_free(NULL) does nothing. */
void follow_free(struct follow *f);

/*
 * --rebuild: moves the store at o->db_path aside (if any) and builds a new
 * one from the whole journal, then returns.  Returns 0 or -1 with err.
 */
int follow_rebuild(const struct follow_opts *o, char *err, size_t errlen);

/* ---------------------------------------------------------------- output.c */

/* The callbacks of store_query_*() that print to stdout as NDJSON.  A write
 * error on stdout sets output_failed to its errno and stops the query. */
extern int output_failed;
/* An event as stored; with a snippet, a "snippet" member is added last. */
int output_event(void *arg, uint64_t seq, const char *json, size_t len, const char *snippet);
/* output_session()'s arg: the store, for each printed session's usage, and
 * where a failed lookup leaves its message (failed set, the query stopped) */
struct output_sessions {
	struct store_query *os_q;
	char *os_err;
	size_t os_errlen;
	int os_failed;
};
/* {"session_id","project","first_ts","last_ts","first_seq","last_seq","events"[,"usage"]},
 * arg a struct output_sessions */
int output_session(void *arg, const struct store_session *s);
/* {"from","to","reason","noted"} */
int output_gap(void *arg, uint64_t from, uint64_t to, const char *reason, int64_t noted_us);
/* {"oldest","newest","count","kept_from","indexed","gaps"} */
int output_bounds(const struct store_bounds *b);
/* Flushes stdout.  Returns 0 or -1 (output_failed set). */
int output_flush(void);

#endif
