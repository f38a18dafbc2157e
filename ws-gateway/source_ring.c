/*
 * source_ring.c: the ring source (source.h): the local shared-memory ring,
 * mapped read-only (common/ring.c), and its waker (common/ringwake.c),
 * whose descriptor the gateway's event loop watches.  No timers, no
 * spinning: an idle ring costs nothing.  Every call is answered from the
 * mapping at once; source positions are the ring's sequence numbers.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ring.h"
#include "ringwake.h"
#include "source.h"

struct source_ring {
	struct source rs_src; /* first: a struct source * is a struct source_ring * */
	struct ring *rs_ring;
	struct ringwake *rs_wake;
};

static struct source_ring *
source_ring_of(const struct source *src)
{
	return (struct source_ring *)src;
}

static void
source_ring_close(struct source *src)
{
	struct source_ring *rs = source_ring_of(src);

	ringwake_free(rs->rs_wake);
	ring_close(rs->rs_ring);
	free(rs);
}

static int
source_ring_fd(const struct source *src)
{
	return ringwake_fd(source_ring_of(src)->rs_wake);
}

static void
source_ring_ack(struct source *src)
{
	ringwake_ack(source_ring_of(src)->rs_wake);
}

static int
source_ring_seek(struct source *src, struct source_cursor *cur, uint64_t seq, uint64_t *lost_from,
		 uint64_t *lost_to)
{
	return ring_seek(source_ring_of(src)->rs_ring, &cur->rc, seq, lost_from, lost_to);
}

static void
source_ring_seek_end(struct source *src, struct source_cursor *cur)
{
	ring_seek_end(source_ring_of(src)->rs_ring, &cur->rc);
}

static int
source_ring_read(struct source *src, struct source_cursor *cur, char **buf, size_t *cap,
		 size_t *len, uint64_t *seq, int64_t *ts_us, uint64_t *lost_from, uint64_t *lost_to)
{
	switch (ring_read_grow(source_ring_of(src)->rs_ring, &cur->rc, buf, cap, len, seq, ts_us,
			       lost_from, lost_to)) {
	case RING_EMPTY:
		return SOURCE_EMPTY;
	case RING_OK:
		return SOURCE_OK;
	case RING_LAPPED:
		return SOURCE_LAPPED;
	default:
		return -1;
	}
}

static uint64_t
source_ring_first_seq(const struct source *src)
{
	return ring_first_seq(source_ring_of(src)->rs_ring);
}

static uint64_t
source_ring_last_seq(const struct source *src)
{
	return ring_last_seq(source_ring_of(src)->rs_ring);
}

/* (source_ring_header() is the interface's, source.c: any source's header.) */
static const struct ring_hdr *
source_ring_header_of(const struct source *src)
{
	return ring_header(source_ring_of(src)->rs_ring);
}

static const struct source_ops source_ring_ops = {
    .so_name = "ring",
    .so_close = source_ring_close,
    .so_fd = source_ring_fd,
    .so_ack = source_ring_ack,
    .so_seek = source_ring_seek,
    .so_seek_end = source_ring_seek_end,
    .so_read = source_ring_read,
    .so_first_seq = source_ring_first_seq,
    .so_last_seq = source_ring_last_seq,
    .so_ring_header = source_ring_header_of,
};

struct source *
source_ring_new(const char *name, char *err, size_t errlen)
{
	struct source_ring *rs;

	if ((rs = calloc(1, sizeof(*rs))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rs->rs_src.src_ops = &source_ring_ops;
	if ((rs->rs_ring = ring_open(name, err, errlen)) == NULL ||
	    (rs->rs_wake = ringwake_new(rs->rs_ring, err, errlen)) == NULL) {
		source_ring_close(&rs->rs_src);
		return NULL;
	}
	return &rs->rs_src;
}
