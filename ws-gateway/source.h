/*
 * source.h: where ws-gateway reads events from; its one seam.
 *
 * The shared-memory ring (common/ring.h; source_ring.c), or a Redis stream
 * that event-relay(8) feeds (source_redis.c: offsets are then stream ids
 * packed into one integer, the same on every gateway).
 * A source hands out records (seq, capture time, the canonical event as
 * compact JSON) in order, can seek to a sequence number, and offers a file
 * descriptor that becomes readable when new records may be there (the
 * caller then calls source_ack() and reads until SOURCE_EMPTY).
 *
 * Each source is a table of operations (struct source_ops) and its own
 * state; the functions below call through the table, so the gateway never
 * knows which one it reads.
 */
#ifndef HOOKWIRE_SOURCE_H
#define HOOKWIRE_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "ring.h"

struct source;
struct event_base;

/* A reader position; opaque to callers except next_seq. */
struct source_cursor {
	struct ring_cursor rc;
};

enum source_status {
	SOURCE_EMPTY = 0, /* nothing new */
	SOURCE_OK,	  /* one record */
	SOURCE_LAPPED,	  /* records lost_from..lost_to left the store before they were read */
};

/* Opens the ring named name ("/hookwire-<instance>") and starts its waker
 * (common/ringwake.h).  Returns a new source or NULL with err. */
struct source *source_open_ring(const char *name, char *err, size_t errlen);
/* Loads the newest entries of stream from the Redis at url, then follows it
 * on base (source_redis.h).  Returns a new source or NULL with err. */
struct source *source_open_redis(struct event_base *base, const char *url, const char *stream,
				 size_t window, size_t window_bytes, char *err, size_t errlen);
/* Closes src.  source_close(NULL) does nothing. */
void source_close(struct source *src);

/* Readable when new records may be there. */
int source_fd(const struct source *src);
/* Clears the readiness of source_fd(). */
void source_ack(struct source *src);

/* Positions cur at seq; returns 1 and the lost range when seq left the store. */
int source_seek(struct source *src, struct source_cursor *cur, uint64_t seq, uint64_t *lost_from,
		uint64_t *lost_to);
/* Positions cur after the newest record. */
void source_seek_end(struct source *src, struct source_cursor *cur);
uint64_t source_next_seq(const struct source_cursor *cur);

/*
 * Reads the record at cur into *buf (grown as needed with realloc; *cap is
 * its size).  Returns SOURCE_OK (len, seq, ts_us set), SOURCE_EMPTY, or
 * SOURCE_LAPPED (lost range set; cur moved on), or -1 when out of memory.
 */
int source_read(struct source *src, struct source_cursor *cur, char **buf, size_t *cap, size_t *len,
		uint64_t *seq, int64_t *ts_us, uint64_t *lost_from, uint64_t *lost_to);

/* Oldest and newest sequence numbers held (0 when empty). */
uint64_t source_first_seq(const struct source *src);
uint64_t source_last_seq(const struct source *src);
/* The ring header, for counters (NULL for sources without one). */
const struct ring_hdr *source_ring_header(const struct source *src);

/* ---------------------------------------------------------------- implementations */

/*
 * What a source implements: the functions above, less the two that open
 * one and source_next_seq().  An implementation's state starts with a
 * struct source (so that a struct source * is its state) whose src_ops
 * points at its table.  so_ring_header may be NULL.
 */
struct source_ops {
	const char *so_name; /* "ring", "redis" */
	void (*so_close)(struct source *src);
	int (*so_fd)(const struct source *src);
	void (*so_ack)(struct source *src);
	int (*so_seek)(struct source *src, struct source_cursor *cur, uint64_t seq,
		       uint64_t *lost_from, uint64_t *lost_to);
	void (*so_seek_end)(struct source *src, struct source_cursor *cur);
	int (*so_read)(struct source *src, struct source_cursor *cur, char **buf, size_t *cap,
		       size_t *len, uint64_t *seq, int64_t *ts_us, uint64_t *lost_from,
		       uint64_t *lost_to);
	uint64_t (*so_first_seq)(const struct source *src);
	uint64_t (*so_last_seq)(const struct source *src);
	const struct ring_hdr *(*so_ring_header)(const struct source *src);
};

struct source {
	const struct source_ops *src_ops;
};

/* The ring source (source_ring.c): what source_open_ring() returns. */
struct source *source_ring_new(const char *name, char *err, size_t errlen);

#endif
