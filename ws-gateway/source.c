/*
 * source.c: the source interface (source.h).  source_open_ring() and
 * source_open_redis() build one of the two implementations (source_ring.c,
 * source_redis.c); every other function calls through its table.
 */
#include <stdlib.h>

#include "source.h"
#include "source_redis.h"

#define SOURCE_REDIS_TIMEOUT_MS 2000 /* start-up load: connect and reply deadline */

struct source *
source_open_ring(const char *name, char *err, size_t errlen)
{
	return source_ring_new(name, err, errlen);
}

struct source *
source_open_redis(struct event_base *base, const char *url, const char *stream, size_t window,
		  size_t window_bytes, char *err, size_t errlen)
{
	return source_redis_new(base, url, stream, window, window_bytes, SOURCE_REDIS_TIMEOUT_MS,
				err, errlen);
}

void
source_close(struct source *src)
{
	if (src != NULL)
		src->src_ops->so_close(src);
}

int
source_fd(const struct source *src)
{
	return src->src_ops->so_fd(src);
}

void
source_ack(struct source *src)
{
	src->src_ops->so_ack(src);
}

int
source_seek(struct source *src, struct source_cursor *cur, uint64_t seq, uint64_t *lost_from,
	    uint64_t *lost_to)
{
	return src->src_ops->so_seek(src, cur, seq, lost_from, lost_to);
}

void
source_seek_end(struct source *src, struct source_cursor *cur)
{
	src->src_ops->so_seek_end(src, cur);
}

uint64_t
source_next_seq(const struct source_cursor *cur)
{
	return cur->rc.next_seq;
}

int
source_read(struct source *src, struct source_cursor *cur, char **buf, size_t *cap, size_t *len,
	    uint64_t *seq, int64_t *ts_us, uint64_t *lost_from, uint64_t *lost_to)
{
	return src->src_ops->so_read(src, cur, buf, cap, len, seq, ts_us, lost_from, lost_to);
}

uint64_t
source_first_seq(const struct source *src)
{
	return src->src_ops->so_first_seq(src);
}

uint64_t
source_last_seq(const struct source *src)
{
	return src->src_ops->so_last_seq(src);
}

const struct ring_hdr *
source_ring_header(const struct source *src)
{
	return src->src_ops->so_ring_header != NULL ? src->src_ops->so_ring_header(src) : NULL;
}
