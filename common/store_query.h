/*
 * store_query.h: the event store, read-only (event-store(8), event-query(1)).
 *
 * event-store(8) keeps every canonical event (hookwire-event(5)) once in an
 * SQLite database, $STATEDIR/store/events.db (WAL mode).  This module opens
 * it read-only and answers the questions event-query(1) and ws-gateway ask:
 * history by filters, full-text search with highlights, sessions over a time
 * range, and a seq range with its holes (connection-state recovery beyond the
 * ring).  Like the rest of common/ it never logs and never exits: calls
 * return -1 with a message in err.
 *
 * Threads.  A struct store_query is one SQLite connection, opened with
 * SQLITE_OPEN_NOMUTEX: use it from one thread at a time, and give each
 * thread that queries its own (store_query_open() per thread).  Every call
 * reads the disk and may take milliseconds: never call one from an event
 * loop's thread; run it on a worker thread and hand the rows back.  Readers
 * never block the writer, nor each other (WAL); a reader sees the store as
 * of the start of each call.  A call that finds the database busy (only
 * during a checkpoint that truncates the WAL) waits up to busy_ms.
 *
 * The schema (version STORE_SCHEMA_VERSION, PRAGMA user_version; PRAGMA
 * application_id STORE_APPLICATION_ID) is this module's ABI with the writer:
 *
 *   events   seq INTEGER PRIMARY KEY   the router's sequence number
 *            ts TEXT, ts_us INTEGER    capture time as in the event, and in us
 *            event, session_id, agent_id, tool, tool_use_id, project, cwd TEXT
 *                                      lifted from the event (NULL when absent)
 *            text TEXT                 what the full-text index holds (NULL: nothing)
 *            json TEXT                 the canonical event, byte for byte
 *            indexes (session_id, seq), (event, seq), (tool, seq), (project, seq),
 *            (agent_id, seq), (tool_use_id); all but event's skip NULLs
 *   fts_parts part PRIMARY KEY, first_seq, last_seq, text_bytes: the full-text
 *            index is split by seq into FTS5 tables events_fts_<part> over
 *            events.text (external content, rowid = seq, trigram tokenizer);
 *            retention drops whole tables, so the oldest may still hold entries
 *            of events it removed: join the events to see only what is there
 *   sessions session_id PRIMARY KEY, project, first_seq, last_seq,
 *            first_ts_us, last_ts_us, events   one row per session, kept by the writer
 *   hours    hour PRIMARY KEY (ts_us / 3600e6), first_seq, last_seq: every event
 *            of that hour has first_seq <= seq <= last_seq (turns a time bound into
 *            a seq bound)
 *   gaps     from_seq PRIMARY KEY, to_seq, reason, noted_us: seqs the store
 *            will never hold (they left the ring and the journal before the
 *            store read them)
 *   meta     key PRIMARY KEY, value: "created_us"; "oldest_seq" (retention
 *            removed everything below it; 0 before the first removal);
 *            "indexed_seq" (the FTS index holds every event up to it, none after)
 */
#ifndef HOOKWIRE_STORE_QUERY_H
#define HOOKWIRE_STORE_QUERY_H

#include <stddef.h>
#include <stdint.h>

#define STORE_SCHEMA_VERSION 1
#define STORE_APPLICATION_ID 0x48574b31 /* "HWK1" */
/* The database, relative to $STATEDIR. */
#define STORE_DB_DIR  "store"
#define STORE_DB_FILE "events.db"

/* Events in one answer: the default and the most a caller may ask for. */
#define STORE_LIMIT_DEFAULT 100
#define STORE_LIMIT_MAX	    10000
/* Sessions in one answer at most. */
#define STORE_SESSIONS_MAX 10000
/* Longest --search text, bytes. */
#define STORE_SEARCH_MAX 1024
/* Shortest --search text, characters: the trigram index needs three. */
#define STORE_SEARCH_MIN 3

struct store_query;

/* Writes $STATEDIR/store/events.db into out.  Returns 0 or -1 when it does not fit. */
int store_query_path(const char *statedir, char *out, size_t outlen);

/*
 * Opens the database at path read-only, one connection for the calling
 * thread.  Checks the application id and the schema version.  busy_ms is how
 * long a call waits for a lock (0: the default, 2000).  Returns a new handle
 * or NULL with err ("no store at PATH (is event-store running?)", "PATH is
 * not a hookwire store", "schema version N, this reader knows 1").
 */
struct store_query *store_query_open(const char *path, int busy_ms, char *err, size_t errlen);
/* Closes the connection.  store_query_close(NULL) does nothing. */
void store_query_close(struct store_query *q);

/*
 * Filters of store_query_events().  Zero (NULL) fields do not filter;
 * fill with memset(0) first.
 */
struct store_filter {
	uint64_t since_seq;  /* seq > since_seq */
	uint64_t before_seq; /* seq < before_seq */
	int64_t since_us;    /* ts_us >= since_us (0: none) */
	int64_t until_us;    /* ts_us <= until_us (0: none) */
	const char *session, *event, *tool, *project, *agent, *tool_use_id;
	/* Events of these sessions only: a JSON array of session ids ("[]":
	 * none), for a caller that may see some sessions only, so that limit
	 * counts what it may see. */
	const char *sessions_json;
	/* Full-text: a literal string looked for anywhere in the indexed text
	 * (case-insensitive; at least STORE_SEARCH_MIN characters), or a raw
	 * FTS5 expression in match (for callers who want AND/OR/NEAR). */
	const char *search, *match;
	/* With since_seq, since_us or oldest_first set: the first limit events
	 * after the bounds, else the last limit (the newest).  Rows always come
	 * oldest first.  limit 0 means STORE_LIMIT_DEFAULT; more than
	 * STORE_LIMIT_MAX is an error. */
	size_t limit;
	int oldest_first;
	/* Without those bounds: the last limit newest first instead, for a
	 * caller that stops when it has enough (the call then holds no more
	 * rows than it gave). */
	int newest_first;
	/* With search or match and hl_open set, each row carries a snippet of
	 * its indexed text with every hit between hl_open and hl_close. */
	const char *hl_open, *hl_close;
};

/* One row: the canonical event (json, len bytes, NUL-terminated), its seq,
 * the snippet or NULL.  The pointers are valid during the call only.
 * Return 0 to go on, anything else to stop (the call then returns 0). */
typedef int (*store_event_cb)(void *arg, uint64_t seq, const char *json, size_t len,
			      const char *snippet);

/*
 * Calls cb for each event that passes f, oldest first (but see newest_first).  Returns the number
 * of rows given to cb; -2 with err for a bad request ("limit 20000: at most
 * 10000", a search text too short or too long, an FTS5 expression that does
 * not parse); -1 with err for a database error.
 */
long store_query_events(struct store_query *q, const struct store_filter *f, store_event_cb cb,
			void *arg, char *err, size_t errlen);

/* A hole in a range: seqs from..to are not in the store.  reason:
 * "retention" (below kept: removed by retention, or older than the store),
 * "gap" (left the ring and the journal before the store read them: gap rows)
 * or "not_yet" (above the newest seq stored). */
typedef int (*store_hole_cb)(void *arg, uint64_t from, uint64_t to, const char *reason);

/*
 * For recovery: every event with from_seq <= seq <= to_seq, oldest first,
 * at most limit (0: STORE_LIMIT_DEFAULT, at most STORE_LIMIT_MAX) of them,
 * and, in order between them, one hole_cb per missing run of seqs.  When
 * limit stops the walk early, *next_seq is where to continue (else to_seq+1).
 * Returns the number of events given, -2 with err for a limit over
 * STORE_LIMIT_MAX, or -1 with err.
 */
long store_query_range(struct store_query *q, uint64_t from_seq, uint64_t to_seq, size_t limit,
		       store_event_cb ev_cb, store_hole_cb hole_cb, void *arg, uint64_t *next_seq,
		       char *err, size_t errlen);

struct store_session {
	const char *session_id, *project; /* project may be NULL */
	uint64_t first_seq, last_seq;
	int64_t first_ts_us, last_ts_us;
	uint64_t events;
};

struct store_session_filter {
	int64_t from_us, to_us; /* sessions with an event in [from_us, to_us] (0: open) */
	const char *project;	/* NULL: any */
	size_t limit;		/* 0: STORE_LIMIT_DEFAULT; at most STORE_SESSIONS_MAX */
};

/* One session; the struct is valid during the call only.  Return 0 to go on. */
typedef int (*store_session_cb)(void *arg, const struct store_session *s);

/*
 * Calls cb for each session active in the range, most recently active
 * first.  Returns the number given, -2 with err for a limit over
 * STORE_SESSIONS_MAX, or -1 with err.
 */
long store_query_sessions(struct store_query *q, const struct store_session_filter *sf,
			  store_session_cb cb, void *arg, char *err, size_t errlen);

/*
 * A session's tokens and cost: the data.totals.session object (JSON text)
 * of its newest usage event (hookwire-event(5)), one indexed lookup.  A
 * caller of store_query_sessions() calls it from its callback for the
 * sessions it keeps only, in the same read transaction.  Sets *usage to a
 * newly allocated string the caller must free, or to NULL when the session
 * has no usage event.  Returns 0, or -1 with err.
 */
int store_query_session_usage(struct store_query *q, const char *session_id, char **usage,
			      char *err, size_t errlen);

/* One recorded gap: seqs from..to will never be in the store. */
typedef int (*store_gap_cb)(void *arg, uint64_t from, uint64_t to, const char *reason,
			    int64_t noted_us);

/* Calls cb for each gap row that meets [from_seq, to_seq] (0, 0: all), oldest first.
 * Returns the number given, or -1 with err. */
long store_query_gaps(struct store_query *q, uint64_t from_seq, uint64_t to_seq, store_gap_cb cb,
		      void *arg, char *err, size_t errlen);

struct store_bounds {
	uint64_t oldest;  /* the oldest seq stored, 0 when empty */
	uint64_t newest;  /* the newest seq stored, 0 when empty */
	uint64_t count;	  /* events stored */
	uint64_t kept;	  /* nothing below it is or will be in the store: retention
			   * removed it or the store began after it (the larger of
			   * meta.oldest_seq and oldest) */
	uint64_t indexed; /* the full-text index holds every event up to this seq */
	uint64_t gaps;	  /* gap rows */
};

/*
 * The store's extent.  count is newest - oldest + 1 less the seqs of the gap
 * rows between them (the router's seqs are dense and the store holds every
 * one it does not record as a gap), so it costs no scan.  Searches find
 * events up to indexed only: the index is filled behind the writer, and
 * catches up within moments unless a burst is going on.  Returns 0 or -1
 * with err.
 */
int store_query_bounds(struct store_query *q, struct store_bounds *b, char *err, size_t errlen);

/*
 * Parses a time bound for --since and --until: a sequence number (digits
 * only: *seq set, 0 included, *us 0), a duration back from now_us ("90s", "15m", "2h",
 * "2d", "1w"), an RFC 3339 time ("2026-11-28T20:25:03Z", with a fraction
 * and an offset "+02:00" allowed) or a date ("2026-11-28": midnight UTC);
 * these set *us and leave *seq 0.  Returns 0 or -1.
 */
int store_query_parse_time(const char *s, int64_t now_us, int64_t *us, uint64_t *seq);

#endif
