/*
 * source.c: the ring source (see source.h).
 *
 * The ring's waker is common/ringwake.c: a descriptor that becomes
 * readable when the router published records, which the event loop
 * watches.  No timers, no spinning: an idle ring costs nothing.
 */
#include <sys/eventfd.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "ringwake.h"
#include "source.h"
#include "source_redis.h"

struct source {
	struct source_redis *redis; /* the Redis source, or NULL for the ring */
	struct ring *ring;
	struct ringwake *wake; /* the ring's waker */
	int efd;	       /* the Redis source's wake-ups */
};

struct source *
source_open_ring(const char *name, char *err, size_t errlen)
{
	struct source *src;

	if ((src = calloc(1, sizeof(*src))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	src->efd = -1;
	if ((src->ring = ring_open(name, err, errlen)) == NULL ||
	    (src->wake = ringwake_new(src->ring, err, errlen)) == NULL)
		goto fail;
	return src;
fail:
	source_close(src);
	return NULL;
}

#define SOURCE_REDIS_TIMEOUT_MS 2000 /* start-up load: connect and reply deadline */

struct source *
source_open_redis(struct event_base *base, const char *url, const char *stream, size_t window,
		  size_t window_bytes, char *err, size_t errlen)
{
	struct source *src;

	if ((src = calloc(1, sizeof(*src))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((src->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	if ((src->redis = source_redis_new(base, url, stream, window, window_bytes,
					   SOURCE_REDIS_TIMEOUT_MS, src->efd, err, errlen)) == NULL)
		goto fail;
	return src;
fail:
	source_close(src);
	return NULL;
}

void
source_close(struct source *src)
{
	if (src == NULL)
		return;
	source_redis_free(src->redis);
	ringwake_free(src->wake);
	if (src->efd >= 0)
		close(src->efd);
	ring_close(src->ring);
	free(src);
}

int
source_fd(const struct source *src)
{
	return src->wake != NULL ? ringwake_fd(src->wake) : src->efd;
}

void
source_ack(struct source *src)
{
	uint64_t v;
	ssize_t n;

	if (src->wake != NULL) {
		ringwake_ack(src->wake);
		return;
	}
	n = read(src->efd, &v, sizeof(v));
	(void)n;
}

int
source_seek(struct source *src, struct source_cursor *cur, uint64_t seq, uint64_t *lost_from,
	    uint64_t *lost_to)
{
	if (src->redis != NULL)
		return source_redis_seek(src->redis, &cur->rc, seq, lost_from, lost_to);
	return ring_seek(src->ring, &cur->rc, seq, lost_from, lost_to);
}

void
source_seek_end(struct source *src, struct source_cursor *cur)
{
	if (src->redis != NULL) {
		source_redis_seek_end(src->redis, &cur->rc);
		return;
	}
	ring_seek_end(src->ring, &cur->rc);
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
	enum ring_read_status st;
	size_t n;
	char *nb;

	if (src->redis != NULL)
		return source_redis_read(src->redis, &cur->rc, buf, cap, len, seq, ts_us, lost_from,
					 lost_to);
	for (;;) {
		if (*buf == NULL) {
			if ((*buf = malloc(65536)) == NULL)
				return -1;
			*cap = 65536;
		}
		n = *cap;
		st = ring_read(src->ring, &cur->rc, *buf, &n, seq, ts_us, lost_from, lost_to);
		switch (st) {
		case RING_EMPTY:
			return SOURCE_EMPTY;
		case RING_OK:
			*len = n;
			return SOURCE_OK;
		case RING_LAPPED:
			return SOURCE_LAPPED;
		case RING_TOOSMALL:
			if ((nb = realloc(*buf, n + 1)) == NULL)
				return -1;
			*buf = nb;
			*cap = n + 1;
			continue;
		}
		return -1;
	}
}

uint64_t
source_first_seq(const struct source *src)
{
	if (src->redis != NULL)
		return source_redis_first(src->redis);
	return atomic_load_explicit(&ring_header(src->ring)->first_seq, memory_order_acquire);
}

uint64_t
source_last_seq(const struct source *src)
{
	if (src->redis != NULL)
		return source_redis_last(src->redis);
	return atomic_load_explicit(&ring_header(src->ring)->last_seq, memory_order_acquire);
}

const struct ring_hdr *
source_ring_header(const struct source *src)
{
	return src->ring != NULL ? ring_header(src->ring) : NULL;
}
