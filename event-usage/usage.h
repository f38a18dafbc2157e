/*
 * usage.h: event-usage's private structs and prototypes (event-usage(8)).
 *
 * event-usage.c holds main(); follow.c is the loop (the ring, the
 * schedule of reads, the outbox to the router); session.c keeps the
 * sessions, their transcript files and their totals; transcript.c reads
 * one transcript incrementally and hands out each assistant message once;
 * prices.c is the price table; tally.c adds up and builds usage events;
 * state.c writes and reads the state under $STATEDIR/usage.
 */
#ifndef HOOKWIRE_USAGE_H
#define HOOKWIRE_USAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

/* ---------------------------------------------------------------- transcript.c */

/* Message ids remembered per transcript file, so that a message met again
 * (a truncated or replaced file read from its start) is not counted twice. */
#define TRANSCRIPT_SEEN_MAX 1024
/* Messages of different agents in flight at once in one file (older
 * versions of Claude Code wrote subagents' messages into the main file). */
#define TRANSCRIPT_PENDING_MAX 16
/* Bytes per read(2). */
#define TRANSCRIPT_CHUNK (64 * 1024)
/* Of a line longer than usage.line_max: bytes kept from its start and from
 * its end, where a message's id and model, and its usage, are written. */
#define TRANSCRIPT_SALVAGE (64 * 1024)
/* Longest message id, model name or agent id kept; longer ones make the
 * line unusable. */
#define TRANSCRIPT_NAME_MAX 128

/* One assistant message, as the last of its transcript lines says. */
struct transcript_msg {
	char tm_id[TRANSCRIPT_NAME_MAX];     /* message.id */
	char tm_model[TRANSCRIPT_NAME_MAX];  /* message.model */
	char tm_agent[TRANSCRIPT_NAME_MAX];  /* agentId of a sidechain line, else "" */
	char tm_ts[48];			     /* the line's timestamp, may be "" */
	int64_t tm_in, tm_out, tm_cw, tm_cr; /* input, output, cache write, cache read tokens */
	int64_t tm_cw1h;		     /* of tm_cw, written with the 1-hour TTL */
	int tm_stopped;			     /* the line carried a stop_reason */
	int tm_lines;			     /* lines seen for this id */
};

struct transcript_stats {
	uint64_t ts_bytes;     /* bytes read */
	uint64_t ts_lines;     /* complete lines */
	uint64_t ts_assistant; /* assistant lines with usage */
	uint64_t ts_messages;  /* messages handed out */
	uint64_t ts_dup_lines; /* lines of a message already handed out */
	uint64_t ts_malformed; /* lines that are not a JSON object, or unusable assistant lines */
	uint64_t ts_too_long;  /* lines over line_max (salvaged or not) */
	uint64_t ts_salvaged;  /* of those, usage read from their kept head and tail */
	uint64_t ts_synthetic; /* messages of model "<synthetic>" (no API call), skipped */
	uint64_t ts_truncated; /* the file shrank below what was read: read again from 0 */
	uint64_t ts_replaced;  /* the path names another file now: read from 0 */
	size_t ts_buf_peak;    /* largest line buffer held, bytes */
};

/* Called for each message once it is complete (the caller copies it). */
typedef void (*transcript_cb)(const struct transcript_msg *m, void *arg);

struct transcript;

/* A reader of path with lines of at most line_max bytes held whole.
 * Returns NULL when out of memory.  Nothing is opened yet. */
struct transcript *transcript_new(const char *path, size_t line_max);
void transcript_free(struct transcript *t);

enum transcript_status {
	TRANSCRIPT_EOF = 0, /* read to the end of the file */
	TRANSCRIPT_MORE,    /* stopped at budget bytes; more to read */
	TRANSCRIPT_MISSING, /* no such file (yet) */
	TRANSCRIPT_ERROR    /* cannot be read: err says why */
};

/*
 * Reads what was appended since the last call, at most budget bytes, and
 * calls cb for every message that became complete: a message is complete
 * when a line of another message of the same agent follows it.  The lines
 * of one message share its id; the last line's figures are taken.  A
 * partial last line is kept for the next call.  A file that shrank, or a
 * path that now names another file (inode), is read again from its start;
 * messages already handed out are not handed out again.
 */
enum transcript_status transcript_read(struct transcript *t, size_t budget, transcript_cb cb,
				       void *arg, char *err, size_t errlen);

/* Hands out messages still pending: with force all of them (the session or
 * agent ended), else those whose last line carried a stop_reason. */
void transcript_settle(struct transcript *t, int force, transcript_cb cb, void *arg);

/* Messages in flight (read, not yet handed out). */
int transcript_pending(const struct transcript *t);

const struct transcript_stats *transcript_stats(const struct transcript *t);
const char *transcript_path(const struct transcript *t);
/* Offset of the first byte not yet consumed as a complete line. */
uint64_t transcript_offset(const struct transcript *t);

/* The reader's state (offset, inode, the newest max_seen of the seen ids,
 * pending messages) as a new JSON object, and back.  transcript_restore()
 * returns 0 or -1 with err. */
json_object *transcript_state(const struct transcript *t, size_t max_seen);
int transcript_restore(struct transcript *t, json_object *st, char *err, size_t errlen);

/* ---------------------------------------------------------------- prices.c */

/* The five rates of a row, in this order. */
enum prices_rate { PRICES_INPUT = 0, PRICES_OUTPUT, PRICES_CW5M, PRICES_CW1H, PRICES_CR };
#define PRICES_NRATES 5
/* Name of the price file looked for under $XDG_CONFIG_HOME/hookwire and DATADIR. */
#define PRICES_FILE "prices.conf"

/* The row a model matched: pointers into the table (valid while it lives). */
struct prices_match {
	const char *pm_pattern; /* as written, e.g. "claude-opus-4-5*" */
	const char *pm_file;
	int pm_line;
	int64_t pm_rate[PRICES_NRATES]; /* nano-dollars per token (= thousandths of USD/Mtok) */
};

struct prices;

/* An empty table (NULL when out of memory); prices_free(NULL) does nothing. */
struct prices *prices_new(void);
void prices_free(struct prices *ps);

/* Adds the rows of path (at most two files: the user's first, then the
 * shipped one).  Returns 0, or -1 with "file:line: why" in err (the table
 * is then as it was). */
int prices_load(struct prices *ps, const char *path, char *err, size_t errlen);

/* Rows loaded. */
size_t prices_count(const struct prices *ps);

/* The best row for model (see prices.c).  Returns 0, or -1 when none. */
int prices_find(const struct prices *ps, const char *model, struct prices_match *pm);

/* The cost of a message in nano-dollars: cache writes with the 1-hour TTL
 * (cw1h, part of cw) at their own rate.  Returns 0, or -1 on overflow. */
int prices_cost(const struct prices_match *pm, int64_t in, int64_t out, int64_t cw, int64_t cw1h,
		int64_t cr, int64_t *nano);

/*
 * The table event-usage uses: explicit_file alone when given; else the
 * user's $XDG_CONFIG_HOME/hookwire/prices.conf (~/.config/...) when it
 * exists, then the shipped DATADIR/prices.conf (or, in a build tree,
 * <dir of this binary>/../share/hookwire/prices.conf).  No file at all
 * gives an empty table.  desc says what was loaded.  NULL with err when a
 * file is bad.
 */
struct prices *prices_open(const char *explicit_file, char *desc, size_t desclen, char *err,
			   size_t errlen);

/* "input", "output", "cache_write_5m", "cache_write_1h", "cache_read". */
const char *prices_rate_name(int i);

/* ---------------------------------------------------------------- tally.c */

/* The event name of a usage event. */
#define TALLY_EVENT "usage"

/* Totals of an agent or a session. */
struct tally {
	int64_t ta_messages;
	int64_t ta_in, ta_out, ta_cw, ta_cr; /* tokens: input, output, cache write, cache read */
	int64_t ta_cw1h;		     /* of ta_cw, written with the 1-hour TTL */
	int64_t ta_cost;		     /* nano-dollars, priced messages only */
	int64_t ta_unpriced;		     /* messages whose model had no price */
};

/* What a usage event says besides the message. */
struct tally_ctx {
	const char *tc_path;	/* the transcript */
	const char *tc_session; /* session_id */
	const char *tc_agent;	/* agent_id, NULL for the main thread */
	const char *tc_agent_type;
	const char *tc_cwd, *tc_project, *tc_host, *tc_user;   /* may be NULL */
	const struct prices_match *tc_price;		       /* NULL: no price */
	int64_t tc_cost;				       /* nano-dollars, when priced */
	const struct tally *tc_agent_total, *tc_session_total; /* this message included */
	int64_t tc_now_us;
};

/* Adds a message; cost_nano counts only when priced. */
void tally_add(struct tally *t, const struct transcript_msg *m, int priced, int64_t cost_nano);

/* A tally as a new JSON object (cost_usd null when no message was priced),
 * and back (0, or -1 when malformed). */
json_object *tally_json(const struct tally *t);
int tally_from_json(struct tally *t, json_object *o);

/* nano-dollars as a JSON number whose text is exact ("1.5312528"); as text. */
json_object *tally_usd(int64_t nano);
void tally_format_usd(int64_t nano, char *out, size_t outlen);

/* The usage event's id: 32 hex digits from the transcript path and message id. */
void tally_event_id(const char *path, const char *message_id, char *out);

/* A new usage event for message m, or NULL when out of memory. */
json_object *tally_event(const struct transcript_msg *m, const struct tally_ctx *c);

/* ---------------------------------------------------------------- state.c */

/* Length of a session's key (its state file's name without ".json"). */
#define STATE_KEY_LEN 32

struct state {
	char st_dir[4096];	/* $STATEDIR/usage */
	char st_sessions[4200]; /* $STATEDIR/usage/sessions */
};

/* Fills st for statedir and creates the directories (0700).  0 or -1 with err. */
int state_init(struct state *st, const char *statedir, char *err, size_t errlen);

/* The key of a session id: 32 hex digits, and a NUL (out holds 33 bytes). */
void state_key(const char *session_id, char *out);

/* Paths of state.json and of a session's file.  0, or -1 when too long. */
int state_main_path(const struct state *st, char *out, size_t outlen);
int state_session_path(const struct state *st, const char *key, char *out, size_t outlen);

/* Writes o to path atomically (temporary file, fsync, rename).  0 or -1 with err. */
int state_write(const char *path, json_object *o, char *err, size_t errlen);

/* Reads a JSON object from path: a new object, or NULL with err (*missing
 * set when the file does not exist). */
json_object *state_read(const char *path, int *missing, char *err, size_t errlen);

/* Removes session files not written for keep_days days (0: never), except
 * the keys in keep.  Returns how many went. */
int state_prune(const struct state *st, int keep_days, const char *const *keep, size_t nkeep);

/* ---------------------------------------------------------------- session.c */

/* Re-reads after a hook at most (usage.reread_ms). */
#define SESSIONS_SCHED_MAX 8

struct sessions_opts {
	const char *so_statedir;
	size_t so_line_max;		  /* usage.line_max */
	int so_sched[SESSIONS_SCHED_MAX]; /* usage.reread_ms: delays between re-reads */
	int so_nsched;
	int so_keep_days;			     /* usage.keep_days */
	const char *so_host, *so_user;		     /* enrichment of usage events */
	void (*so_emit)(json_object *ev, void *arg); /* a usage event (borrowed) */
	void *so_arg;
};

struct sessions_stats {
	uint64_t sst_events;	    /* ring events that named a transcript */
	uint64_t sst_messages;	    /* usage events made */
	uint64_t sst_unpriced;	    /* of those, without a price */
	uint64_t sst_read_errors;   /* transcript reads that failed */
	uint64_t sst_loaded;	    /* sessions loaded from their state */
	uint64_t sst_saves;	    /* session files written */
	uint64_t sst_ended;	    /* sessions ended */
	uint64_t sst_files_refused; /* transcripts over SESSIONS_FILES_MAX in a session */
};

struct sessions;

/*
 * Loads the state under so_statedir/usage (state.c), schedules a read of
 * every transcript of a session that had not ended, and takes ps (the
 * price table; freed with the sessions).  NULL with err on failure.
 */
struct sessions *sessions_new(const struct sessions_opts *o, struct prices *ps, char *err,
			      size_t errlen);
void sessions_free(struct sessions *ss);

/* Replaces the price table (takes ps). */
void sessions_set_prices(struct sessions *ss, struct prices *ps);

/* The last ring seq handled, as loaded; *have is 0 when there was no state. */
uint64_t sessions_last_seq(const struct sessions *ss, int *have);

/* One ring event (canonical JSON, len bytes): schedules the reads it asks for. */
void sessions_event(struct sessions *ss, const char *buf, size_t len, int64_t now);

/*
 * Does the reads due by now (monotonic us), at most budget bytes in all,
 * emitting usage events.  Returns when the next read is due (now when
 * there is more to read at once), or 0 when none is scheduled.
 */
int64_t sessions_run(struct sessions *ss, int64_t now, size_t budget);

/* Is there state not yet written? */
int sessions_dirty(const struct sessions *ss);

/* Writes the changed sessions, then state.json with last_seq when a
 * session was written, the active list changed, or force.  0 or -1 with err. */
int sessions_save(struct sessions *ss, uint64_t last_seq, int force, char *err, size_t errlen);

/* Drops from memory the sessions idle and written out. */
void sessions_evict(struct sessions *ss, int64_t now);

const struct sessions_stats *sessions_stats(const struct sessions *ss, size_t *in_memory,
					    size_t *active);

/* ---------------------------------------------------------------- follow.c */

struct follow_opts {
	const char *fo_ingest;	      /* $RUNDIR/ingest.sock */
	int fo_ack_ms;		      /* usage.ack_timeout_ms */
	void (*fo_reload)(void *arg); /* SIGHUP: reload the price table */
};

struct follow;
struct ring;

/* The outbox and the router connection; NULL when out of memory. */
struct follow *follow_new(const struct follow_opts *o);
void follow_free(struct follow *fw);

/* session.c's emit callback (arg: the follow): queues a usage event. */
void follow_emit(json_object *ev, void *arg);

/* The loop, until SIGTERM or SIGINT; calls ready(arg) once it follows the
 * ring.  Returns 0. */
int follow_run(struct follow *fw, struct ring *r, struct sessions *ss, void (*ready)(void *),
	       void *arg);

#endif
