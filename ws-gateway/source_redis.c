/*
 * source_redis.c: the Redis Streams source (see source_redis.h), one
 * implementation of source.h: struct source_redis starts with its struct
 * source, and source_redis_ops, at the end, is its table.  Its state and
 * the window live here; what reads Redis to fill the window (the load at
 * start-up, the follower) is in source_redis_follow.c (source_redis_impl.h
 * holds what the two share).
 *
 * The window is a circular array of entries with absolute indexes
 * [head, tail); a cursor (struct ring_cursor) holds the absolute index of
 * its next entry in pos and that entry's position in next_seq.  Entries
 * older than the window's limits (entries, bytes) are dropped from the
 * head; floor remembers the newest position dropped, so a reader behind it
 * learns the range it lost.
 */
#include "compat.h"
#if COMPAT_EVENTFD
#include <sys/eventfd.h>
#endif

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "redisconn.h"
#include "redisurl.h"
#include "source.h"
#include "source_redis.h"
#include "source_redis_impl.h"

#define SOURCE_REDIS_BACKOFF_MAX_MS 5000

static const struct source_ops source_redis_ops;
static void source_redis_free(struct source_redis *sr);
static uint64_t source_redis_last(const struct source *src);

static struct source_redis *
source_redis_of(const struct source *src)
{
	return (struct source_redis *)src;
}

uint64_t
source_redis_pos(const char *id)
{
	unsigned long long ms, n;
	char *end;

	errno = 0;
	ms = strtoull(id, &end, 10);
	if (errno || end == id || *end != '-')
		return 0;
	n = strtoull(end + 1, &end, 10);
	if (errno || *end != '\0' || ms > UINT64_MAX / SOURCE_REDIS_NMAX - 1)
		return 0;
	if (n >= SOURCE_REDIS_NMAX)
		n = SOURCE_REDIS_NMAX - 1; /* caller warns: order within that ms is lost */
	return ms * SOURCE_REDIS_NMAX + n;
}

struct source_redis_ent *
source_redis_at(const struct source_redis *sr, uint64_t abs)
{
	return &sr->sr_ents[abs % sr->sr_cap];
}

static void
source_redis_drop_head(struct source_redis *sr)
{
	struct source_redis_ent *e = source_redis_at(sr, sr->sr_head);

	sr->sr_floor = e->se_pos;
	sr->sr_bytes -= e->se_len;
	free(e->se_json);
	e->se_json = NULL;
	sr->sr_head++;
}

/* Appends a gap marker (source_redis_impl.h). */
void
source_redis_gap(struct source_redis *sr, uint64_t from, uint64_t to)
{
	struct source_redis_ent *e;

	if (sr->sr_tail > sr->sr_head) {
		e = source_redis_at(sr, sr->sr_tail - 1);
		if (from <= e->se_pos)
			from = e->se_pos + 1;
		if (e->se_json == NULL) {
			if (to > e->se_pos)
				e->se_pos = to;
			return;
		}
	}
	if (from <= sr->sr_floor)
		from = sr->sr_floor + 1;
	if (from > to)
		return;
	if (sr->sr_tail - sr->sr_head == sr->sr_cap)
		source_redis_drop_head(sr);
	e = source_redis_at(sr, sr->sr_tail);
	e->se_pos = to;
	e->se_from = from;
	e->se_json = NULL;
	e->se_len = 0;
	sr->sr_tail++;
}

/* Appends an entry (source_redis_impl.h). */
int
source_redis_append(struct source_redis *sr, uint64_t pos, const char *json, size_t len)
{
	struct source_redis_ent *e;
	char *copy;

	if ((copy = malloc(len)) == NULL)
		return -1;
	memcpy(copy, json, len);
	while (sr->sr_tail > sr->sr_head &&
	       (sr->sr_tail - sr->sr_head == sr->sr_cap || sr->sr_bytes + len > sr->sr_bytes_max))
		source_redis_drop_head(sr);
	e = source_redis_at(sr, sr->sr_tail);
	e->se_pos = pos;
	e->se_json = copy;
	e->se_len = (uint32_t)len;
	sr->sr_bytes += len;
	sr->sr_tail++;
	return 0;
}

void
source_redis_wake(struct source_redis *sr)
{
	uint64_t one = 1;
	ssize_t n;

	/* an eventfd takes 8 bytes, a pipe one */
	n = write(sr->sr_wfd, &one, COMPAT_EVENTFD ? sizeof(one) : 1);
	(void)n; /* EAGAIN: readable anyway */
}

/* ---------------------------------------------------------------- life */

struct source *
source_redis_new(struct event_base *base, const char *url, const char *stream, size_t window,
		 size_t window_bytes, int timeout_ms, char *err, size_t errlen)
{
	struct source_redis *sr;

	if ((sr = calloc(1, sizeof(*sr))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	sr->sr_src.src_ops = &source_redis_ops;
	sr->sr_timeout_ms = timeout_ms;
	sr->sr_cap = window > 0 ? window : 1;
	sr->sr_bytes_max = window_bytes;
	snprintf(sr->sr_lastid, sizeof(sr->sr_lastid), "0-0");
	sr->sr_idx = -1;
	sr->sr_efd = sr->sr_wfd = -1;
#if COMPAT_EVENTFD
	if ((sr->sr_efd = sr->sr_wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
#else
	{
		int fds[2];

		if (compat_pipe(fds, COMPAT_CLOEXEC | COMPAT_NONBLOCK) == -1) {
			snprintf(err, errlen, "pipe: %s", strerror(errno));
			goto fail;
		}
		sr->sr_efd = fds[0];
		sr->sr_wfd = fds[1];
	}
#endif
	if (redisurl_parse(url, &sr->sr_url, err, errlen) == -1)
		goto fail;
	if (sr->sr_url.ru_tls) {
		snprintf(err, errlen, "rediss://: this build's hiredis has no TLS; tunnel it");
		goto fail;
	}
	if ((sr->sr_stream = strdup(stream)) == NULL ||
	    (sr->sr_ents = calloc(sr->sr_cap, sizeof(*sr->sr_ents))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* keepalive: a blocked XREAD on a dead peer is noticed */
	if ((sr->sr_rc = redisconn_new(base, &sr->sr_url, SOURCE_REDIS_BACKOFF_MAX_MS, 1,
				       &source_redis_follow_cb, sr, err, errlen)) == NULL)
		goto fail;
	if (source_redis_follow_load(sr, sr->sr_cap, err, errlen) == -1)
		goto fail;
	log_info("%s: stream %s on %s:%d: %llu entries held, newest %s", __func__, stream,
		 sr->sr_url.ru_host, sr->sr_url.ru_port,
		 (unsigned long long)(sr->sr_tail - sr->sr_head), sr->sr_lastid);
	redisconn_connect(sr->sr_rc);
	return &sr->sr_src;
fail:
	source_redis_free(sr);
	return NULL;
}

static void
source_redis_free(struct source_redis *sr)
{
	if (sr == NULL)
		return;
	redisconn_free(sr->sr_rc);
	if (sr->sr_wfd >= 0 && sr->sr_wfd != sr->sr_efd)
		close(sr->sr_wfd);
	if (sr->sr_efd >= 0)
		close(sr->sr_efd);
	if (sr->sr_ents != NULL)
		while (sr->sr_head < sr->sr_tail)
			source_redis_drop_head(sr);
	free(sr->sr_ents);
	free(sr->sr_stream);
	free(sr);
}

/* ---------------------------------------------------------------- readers */

/* The next_seq of a cursor at absolute index abs. */
static uint64_t
source_redis_next_at(const struct source_redis *sr, uint64_t abs, uint64_t after)
{
	const struct source_redis_ent *e;

	if (abs < sr->sr_tail) {
		e = source_redis_at(sr, abs);
		return e->se_json == NULL ? e->se_from : e->se_pos;
	}
	return after + 1;
}

static int
source_redis_seek(struct source *src, struct source_cursor *scur, uint64_t pos, uint64_t *lost_from,
		  uint64_t *lost_to)
{
	struct source_redis *sr = source_redis_of(src);
	struct ring_cursor *cur = &scur->rc;
	uint64_t lo = sr->sr_head, hi = sr->sr_tail, mid;

	cur->pos_known = 1;
	if (pos <= sr->sr_floor) {
		*lost_from = pos;
		*lost_to = sr->sr_floor;
		cur->pos = sr->sr_head;
		cur->next_seq = source_redis_next_at(sr, sr->sr_head, sr->sr_floor);
		return 1;
	}
	/* the first entry at or after pos */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (source_redis_at(sr, mid)->se_pos < pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* pos inside a gap marker's range: lost up to its end */
	if (lo < sr->sr_tail && source_redis_at(sr, lo)->se_json == NULL &&
	    pos >= source_redis_at(sr, lo)->se_from) {
		*lost_from = pos;
		*lost_to = source_redis_at(sr, lo)->se_pos;
		cur->pos = lo + 1;
		cur->next_seq = source_redis_next_at(sr, lo + 1, *lost_to);
		return 1;
	}
	cur->pos = lo;
	cur->next_seq = lo < sr->sr_tail ? source_redis_next_at(sr, lo, 0) : pos;
	return 0;
}

static void
source_redis_seek_end(struct source *src, struct source_cursor *scur)
{
	struct source_redis *sr = source_redis_of(src);
	struct ring_cursor *cur = &scur->rc;

	cur->pos_known = 1;
	cur->pos = sr->sr_tail;
	cur->next_seq = source_redis_last(src) + 1;
	if (cur->next_seq <= sr->sr_floor)
		cur->next_seq = sr->sr_floor + 1;
}

static int
source_redis_read(struct source *src, struct source_cursor *scur, char **buf, size_t *cap,
		  size_t *len, uint64_t *pos, int64_t *ts_us, uint64_t *lost_from,
		  uint64_t *lost_to)
{
	struct source_redis *sr = source_redis_of(src);
	struct ring_cursor *cur = &scur->rc;
	const struct source_redis_ent *e;
	char *nb;

	if (cur->pos < sr->sr_head) {
		*lost_from = cur->next_seq;
		*lost_to = sr->sr_floor;
		cur->pos = sr->sr_head;
		cur->next_seq = source_redis_next_at(sr, sr->sr_head, sr->sr_floor);
		return SOURCE_LAPPED;
	}
	if (cur->pos >= sr->sr_tail)
		return SOURCE_EMPTY;
	e = source_redis_at(sr, cur->pos);
	if (e->se_json == NULL) {
		*lost_from = e->se_from;
		*lost_to = e->se_pos;
		cur->pos++;
		cur->next_seq = source_redis_next_at(sr, cur->pos, e->se_pos);
		return SOURCE_LAPPED;
	}
	if (*buf == NULL || *cap < (size_t)e->se_len + 1) {
		if ((nb = realloc(*buf, (size_t)e->se_len + 1)) == NULL)
			return -1;
		*buf = nb;
		*cap = (size_t)e->se_len + 1;
	}
	memcpy(*buf, e->se_json, e->se_len);
	(*buf)[e->se_len] = '\0';
	*len = e->se_len;
	*pos = e->se_pos;
	if (ts_us != NULL)
		*ts_us = (int64_t)(e->se_pos / SOURCE_REDIS_NMAX) * 1000; /* appended to Redis */
	cur->pos++;
	cur->next_seq = source_redis_next_at(sr, cur->pos, e->se_pos);
	return SOURCE_OK;
}

static uint64_t
source_redis_first(const struct source *src)
{
	const struct source_redis *sr = source_redis_of(src);
	uint64_t abs = sr->sr_head;

	if (abs < sr->sr_tail && source_redis_at(sr, abs)->se_json == NULL)
		abs++; /* a gap marker is not an entry held */
	return abs < sr->sr_tail ? source_redis_at(sr, abs)->se_pos : 0;
}

static uint64_t
source_redis_last(const struct source *src)
{
	const struct source_redis *sr = source_redis_of(src);

	return sr->sr_tail > sr->sr_head ? source_redis_at(sr, sr->sr_tail - 1)->se_pos : 0;
}

static int
source_redis_fd(const struct source *src)
{
	return source_redis_of(src)->sr_efd;
}

static void
source_redis_ack(struct source *src)
{
	uint64_t v[8];

	/* one read clears an eventfd; a pipe may hold many bytes */
	while (read(source_redis_of(src)->sr_efd, v, sizeof(v)) > 0)
		;
	/* EAGAIN: nothing (more) to clear */
}

static void
source_redis_close(struct source *src)
{
	source_redis_free(source_redis_of(src));
}

static const struct source_ops source_redis_ops = {
    .so_name = "redis",
    .so_close = source_redis_close,
    .so_fd = source_redis_fd,
    .so_ack = source_redis_ack,
    .so_seek = source_redis_seek,
    .so_seek_end = source_redis_seek_end,
    .so_read = source_redis_read,
    .so_first_seq = source_redis_first,
    .so_last_seq = source_redis_last,
    .so_ring_header = NULL,
};
