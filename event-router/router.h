/*
 * router.h: event-router's private structures and prototypes.
 *
 *   dedup.c     the id table and the content window (no I/O)
 *   journal.c   the append-only NDJSON journal: segments, rotation, retention,
 *               fsync policy, recovery of a truncated last line, replay
 *   router.c    one event from a line to the batch: parse, validate, dedup,
 *               scrub, sequence number; a batch committed to journal + ring
 *   ingest.c    the ingest socket: connections, framing, back-pressure, replies
 *   drain.c     the spool: drained at start and on inotify, kqueue or a timer
 *   tail.c      event-tail's filters and formats (no libevent)
 *   scrub*.c    secret scrubbing, behind its own header (scrub.h; no I/O)
 *   event-router.c, event-tail.c  the two mains
 */
#ifndef HOOKWIRE_ROUTER_H
#define HOOKWIRE_ROUTER_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "event.h"
#include "ring.h"

/* ---------------------------------------------------------------- dedup.c */

struct dedup_key {
	uint64_t k_hi, k_lo;
};

struct dedup;

/*
 * Returns a new table remembering at most ids_max ids and content keys (0:
 * dedup by that key disabled) for window_us (content keys only), or NULL.
 */
struct dedup *dedup_new(size_t ids_max, int64_t window_us);
void dedup_free(struct dedup *d);

/* Key of a 32-hex-digit id (any other string is hashed). */
void dedup_id_key(const char *id, size_t len, struct dedup_key *k);
/* Key of the content: session, event name, tool_use_id (each may be NULL) and
 * the serialized data. */
void dedup_content_key(const char *session, const char *event, const char *tool_use_id,
		       const char *data, size_t datalen, struct dedup_key *k);
/* The same with lengths (the strings need no NUL; NULL: absent). */
void dedup_content_key_n(const char *session, size_t slen, const char *event, size_t elen,
			 const char *tool_use_id, size_t tlen, const char *data, size_t datalen,
			 struct dedup_key *k);

/* Returns 1 and sets *seq when the id is known, else 0. */
int dedup_id_find(const struct dedup *d, const struct dedup_key *k, uint64_t *seq);
/* Remembers an id (evicting the oldest when full). */
void dedup_id_add(struct dedup *d, const struct dedup_key *k, uint64_t seq);
/* Returns 1 and sets *seq when the content was seen within the window before now_us. */
int dedup_content_find(struct dedup *d, const struct dedup_key *k, int64_t now_us, uint64_t *seq);
void dedup_content_add(struct dedup *d, const struct dedup_key *k, int64_t now_us, uint64_t seq);
/* Forgets keys whose seq is >= seq (a batch that could not be committed). */
void dedup_forget_from(struct dedup *d, uint64_t seq);
size_t dedup_ids_count(const struct dedup *d);

/* ---------------------------------------------------------------- journal.c */

enum journal_fsync { JOURNAL_FSYNC_NEVER = 0, JOURNAL_FSYNC_BATCH, JOURNAL_FSYNC_ALWAYS };

struct journal_opts {
	uint64_t segment_size;
	uint64_t keep_bytes;
	int keep_days; /* 0: no age limit */
	enum journal_fsync fsync;
};

struct journal;

/* Parses "always", "batch", "never".  Returns 0 or -1. */
int journal_fsync_parse(const char *s, enum journal_fsync *out);

/*
 * Opens the journal in dir (created if missing).  Finds the last segment and
 * its last sequence number.  A last line without its newline (a crash in the
 * middle of a write, never acknowledged) is cut away; *truncated gets the
 * number of bytes cut.  Returns a new journal or NULL with err.
 */
struct journal *journal_open(const char *dir, const struct journal_opts *o, size_t *truncated,
			     char *err, size_t errlen);
void journal_close(struct journal *j);

/* Sequence number of the last event in the journal, 0 when empty. */
uint64_t journal_last_seq(const struct journal *j);

/*
 * Appends buf (complete lines of events first_seq..last_seq) with one
 * write(2), rotating first if the segment is full and applying retention
 * after a rotation.  With fsync "always" also syncs.  On failure nothing is
 * left half-written (the segment is cut back) and -1 is returned with err.
 */
int journal_append(struct journal *j, const char *buf, size_t len, uint64_t first_seq,
		   uint64_t last_seq, char *err, size_t errlen);

/* True when data was written since the last sync (policy batch). */
int journal_dirty(const struct journal *j);
/* fdatasync of the current segment.  Returns 0 or -1. */
int journal_sync(struct journal *j);
/* The same on the journal's sync thread: returns at once, after handing it
 * the current segment (it syncs here when no thread can be started).
 * Returns 0, or -1 with errno when the thread's previous sync failed.
 * journal_close() waits for the sync handed last. */
int journal_sync_start(struct journal *j);

/*
 * Calls cb for every journal event with seq >= from_seq, oldest first, with
 * the line (no newline) and its seq.  cb returns 0 to go on, -1 to stop.
 * Returns 0, or -1 with err (unreadable segment).
 */
typedef int (*journal_cb)(void *arg, const char *line, size_t len, uint64_t seq);
int journal_replay(const char *dir, uint64_t from_seq, journal_cb cb, void *arg, char *err,
		   size_t errlen);
/* The first seq whose events, to the end of the journal, span about bytes bytes
 * (whole segments).  0 when the journal is empty. */
uint64_t journal_seq_for_bytes(const char *dir, uint64_t bytes);

/* ---------------------------------------------------------------- router.c */

struct scrub;
struct router;

struct router_opts {
	struct event_limits lim; /* depth_max, event_max, input_max (= line_max) */
	size_t line_max;
	size_t dedup_ids;
	int64_t dedup_window_us;
	int scrub_enabled;
	int slow_only; /* tests: never take router_line()'s fast path */
};

enum router_verdict { ROUTER_ACCEPTED = 0, ROUTER_DUPLICATE, ROUTER_REJECTED };

/* Returns a new router over ring, journal and scrubber sc (none of them owned;
 * sc is used only when o->scrub_enabled), or NULL with err. */
struct router *router_new(const struct router_opts *o, struct ring *ring, struct journal *jr,
			  struct scrub *sc, char *err, size_t errlen);
void router_free(struct router *rt);

/* Next sequence number to assign. */
uint64_t router_next_seq(const struct router *rt);

/*
 * Takes one line (no newline).  On ROUTER_ACCEPTED the event is in the
 * current batch and *seq is its number; ROUTER_DUPLICATE sets *seq to the
 * earlier copy; ROUTER_REJECTED sets *reason (a reason code of event.h,
 * static).  Writes the reply line, newline and NUL included, to reply
 * (may be NULL; cut to replylen).  Counts received/duplicate/rejected.
 */
enum router_verdict router_line(struct router *rt, const char *line, size_t len, uint64_t *seq,
				const char **reason, char *reply, size_t replylen);

/*
 * Commits the batch: one journal write, the ring records, one notify.
 * Returns 0, or -1 with err when the journal write failed: the batch is
 * then dropped (sequence numbers and dedup keys given back); the caller must
 * not acknowledge it.
 */
int router_commit(struct router *rt, char *err, size_t errlen);
/* Events waiting in the batch. */
size_t router_pending(const struct router *rt);

/*
 * Start-up: continues the sequence after max(ring, journal), publishes into
 * the ring what the journal has and the ring lacks (crash between the two
 * writes, or a new ring after a reboot), and rebuilds the id table from the
 * journal's tail.  Returns 0 or -1 with err.  *republished gets the count.
 */
int router_recover(struct router *rt, const char *journal_dir, uint64_t *republished, char *err,
		   size_t errlen);

/* Adds n to a counter of the ring header. */
void router_counter_add(struct router *rt, enum ring_counter c, uint64_t n);
/* Counts a rejection by reason code. */
void router_count_rejected(struct router *rt, const char *reason);
/* router.line_max. */
size_t router_line_max(const struct router *rt);

/* Copies the scrub rule names and counts into the ring header. */
void router_export_scrub(struct router *rt);

/* Parses an RFC 3339 UTC timestamp into microseconds.  Returns 0 or -1. */
int router_parse_ts(const char *s, int64_t *us);

/* Index of a reason code in RING_REJECT_REASONS, or -1. */
int router_reason_index(const char *reason);

/* ---------------------------------------------------------------- ingest.c */

struct event_base;
struct ingest;

/*
 * Binds path (mode 0600, a stale socket file is replaced: the caller holds
 * the pidfile lock) and accepts producers on base.  Returns a new listener
 * or NULL with err.  ingest_free() closes every connection and removes the
 * socket file.
 */
struct ingest *ingest_new(struct event_base *base, struct router *rt, const char *path,
			  size_t line_max, size_t conn_buffer, int clients_max, char *err,
			  size_t errlen);
void ingest_free(struct ingest *ig);
/* cb(arg) runs after every committed batch (for the journal sync timer). */
void ingest_set_commit_cb(struct ingest *ig, void (*cb)(void *), void *arg);

/* ---------------------------------------------------------------- drain.c */

struct drain;

/*
 * Watches spool_dir/new (inotify, kqueue or a DRAIN_POLL_MS timer) and drains it through rt, oldest
 * first; invalid files go to spool_dir/bad.  The caller runs the first
 * drain_run() (after the watch is set, so nothing is missed).  Returns NULL
 * with err on failure.
 */
struct drain *drain_new(struct event_base *base, struct router *rt, const char *spool_dir,
			char *err, size_t errlen);
void drain_free(struct drain *dr);
/* Drains everything now.  Returns the number of files committed. */
size_t drain_run(struct drain *dr);
void drain_set_commit_cb(struct drain *dr, void (*cb)(void *), void *arg);

/* ---------------------------------------------------------------- tail.c */

struct tail_filter {
	const char *session; /* NULL: any */
	const char *event;   /* NULL: any */
};

/* True when the event (JSON text) passes the filter.  Parses only when a
 * filter is set. */
int tail_match(const struct tail_filter *f, const char *buf, size_t len);

/* Writes one readable line for the event into out (NUL-terminated, ends
 * with a newline).  Returns its length. */
size_t tail_pretty(const char *buf, size_t len, char *out, size_t outlen);

#endif
