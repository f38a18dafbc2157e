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

/* The reader's state (offset, inode, seen ids, pending messages) as a new
 * JSON object, and back.  transcript_restore() returns 0 or -1 with err. */
json_object *transcript_state(const struct transcript *t);
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

/* "input", "output", "cache_write_5m", "cache_write_1h", "cache_read". */
const char *prices_rate_name(int i);

#endif
