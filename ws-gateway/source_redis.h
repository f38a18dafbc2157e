/*
 * source_redis.h: ws-gateway's Redis Streams source, behind source.h.
 *
 * Follows one stream that event-relay(8) feeds (fields host, seq, event)
 * and keeps a local window of its newest entries, so that every source
 * call (seek, read, first, last) is answered from memory at once, as the
 * ring's are.  Positions are stream ids packed into one integer:
 * ms * SOURCE_REDIS_NMAX + n for id "ms-n", exact in a JavaScript number
 * and the same on every gateway, so a client can recover through any of
 * them.
 */
#ifndef HOOKWIRE_SOURCE_REDIS_H
#define HOOKWIRE_SOURCE_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include "ring.h"

#define SOURCE_REDIS_NMAX 2048 /* entries per millisecond a position can tell apart */

struct event_base;
struct source_redis;

/*
 * Loads the newest window entries of stream from the Redis at url
 * (redisurl.h) synchronously (connect and reply deadline timeout_ms), then
 * follows the stream with XREAD BLOCK on an asynchronous connection on base,
 * reconnecting with back-off.  Writes to efd (an eventfd the caller owns)
 * whenever entries were added.  Returns a new source or NULL with err.
 */
struct source_redis *source_redis_new(struct event_base *base, const char *url, const char *stream,
				      size_t window, size_t window_bytes, int timeout_ms, int efd,
				      char *err, size_t errlen);
void source_redis_free(struct source_redis *sr);

/* As source_seek() etc. (source.h), on the window. */
int source_redis_seek(struct source_redis *sr, struct ring_cursor *cur, uint64_t pos,
		      uint64_t *lost_from, uint64_t *lost_to);
void source_redis_seek_end(struct source_redis *sr, struct ring_cursor *cur);
int source_redis_read(struct source_redis *sr, struct ring_cursor *cur, char **buf, size_t *cap,
		      size_t *len, uint64_t *pos, int64_t *ts_us, uint64_t *lost_from,
		      uint64_t *lost_to);
uint64_t source_redis_first(const struct source_redis *sr);
uint64_t source_redis_last(const struct source_redis *sr);

/* The position of stream id text ("1764363903000-7"); 0 when it is not one. */
uint64_t source_redis_pos(const char *id);

#endif
