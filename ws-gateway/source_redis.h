/*
 * source_redis.h: ws-gateway's Redis Streams source, one implementation
 * of source.h (the other is the ring, source_ring.c).
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

#include "source.h"

#define SOURCE_REDIS_NMAX 2048 /* entries per millisecond a position can tell apart */

struct event_base;

/*
 * Loads the newest window entries of stream from the Redis at url
 * (redisurl.h) synchronously (connect and reply deadline timeout_ms), then
 * follows the stream with XREAD BLOCK on an asynchronous connection on base,
 * reconnecting with back-off (common/redisconn.h).  Its descriptor
 * (source_fd()) becomes readable whenever entries were added.  Returns a
 * new source (source_close() frees it) or NULL with err.
 */
struct source *source_redis_new(struct event_base *base, const char *url, const char *stream,
				size_t window, size_t window_bytes, int timeout_ms, char *err,
				size_t errlen);

/* The position of stream id text ("1764363903000-7"); 0 when it is not one. */
uint64_t source_redis_pos(const char *id);

#endif
