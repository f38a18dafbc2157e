/*
 * source_redis_impl.h: what the files of the Redis Streams source share
 * (source_redis.h is its interface; nothing else includes this header).
 *
 *   source_redis.c         the source: its life (new, free), the window of
 *                          entries held, and the source operations (seek,
 *                          read, first, last), all answered from the window
 *   source_redis_follow.c  reading Redis: the synchronous load at start-up,
 *                          then the asynchronous follower (XREAD BLOCK) and
 *                          its check for what Redis trimmed before it was read
 *
 * The follower writes the window (source_redis_append, source_redis_gap)
 * and the position fields (sr_lastid, sr_idx, sr_lostfrom); the source
 * operations only read them.  Everything runs on the gateway's one thread.
 */
#ifndef HOOKWIRE_SOURCE_REDIS_IMPL_H
#define HOOKWIRE_SOURCE_REDIS_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "redisconn.h"
#include "redisurl.h"
#include "source.h"
#include "source_redis.h"

struct source_redis_ent {
	uint64_t se_pos;  /* a gap marker: the newest position lost */
	uint64_t se_from; /* a gap marker: the oldest position lost */
	char *se_json;	  /* NULL for a gap marker */
	uint32_t se_len;
};

struct source_redis {
	struct source sr_src; /* first: a struct source * is a struct source_redis * */
	struct redisurl sr_url;
	char *sr_stream;
	int sr_efd; /* readable when entries were added (an eventfd, or a pipe's read end) */
	int sr_wfd; /* written to wake the caller: sr_efd, or the pipe's write end */
	int sr_timeout_ms;
	struct redisconn *sr_rc; /* the following connection, its setup and back-off */
	char sr_lastid[48];	 /* newest id held or seen; "0-0" before any */
	long long sr_idx;	 /* entries-added accounted for (read or lost); -1 unknown */
	uint64_t sr_lostfrom;	 /* stream gone or recreated: lost from here to the next entry */

	struct source_redis_ent *sr_ents;
	size_t sr_cap;
	uint64_t sr_head, sr_tail;
	size_t sr_bytes, sr_bytes_max;
	uint64_t sr_floor;
};

/* ---------------------------------------------------------------- source_redis.c: the window */

/* The entry at absolute index abs (in [sr_head, sr_tail)). */
struct source_redis_ent *source_redis_at(const struct source_redis *sr, uint64_t abs);
/* Appends a copy of the event json (len bytes) at position pos, newer than
 * every entry held, dropping the oldest entries past the window's limits.
 * Returns 0, or -1 when out of memory. */
int source_redis_append(struct source_redis *sr, uint64_t pos, const char *json, size_t len);
/* Appends a gap marker: positions from..to are lost.  Merged into a marker
 * at the tail. */
void source_redis_gap(struct source_redis *sr, uint64_t from, uint64_t to);
/* Makes the source's descriptor readable: entries were added. */
void source_redis_wake(struct source_redis *sr);

/* ---------------------------------------------------------------- source_redis_follow.c */

/* What the following connection (redisconn_new) calls: on each
 * (re)connection, the follower resumes after the newest id held. */
extern const struct redisconn_cb source_redis_follow_cb;
/* Synchronous: AUTH, SELECT, then the newest window entries of the stream
 * and, at the same instant, XINFO STREAM.  Returns 0 or -1 with err. */
int source_redis_follow_load(struct source_redis *sr, size_t window, char *err, size_t errlen);

#endif
