/*
 * outq.c: what goes out to a client, and how much may wait.
 *
 * A broadcast packet is encoded once into a struct bcast: the Engine.IO text
 * packet behind the room for its WebSocket frame header, reference-counted,
 * shared by the output of every client that gets it.
 *
 * A WebSocket conn over plain TCP writes through a queue of such frames
 * (struct outq) instead of its bufferevent: queuing costs a client a pointer,
 * not a copy, and puts the conn on gw->oq_pending; conn.c's per-pass event
 * then has outq_flush_pending() write each pending queue with one writev(2)
 * (send(2) for one frame), so that a batch of ring events costs each client
 * one system call and no epoll_ctl(2).  The conn's write event is
 * added only when the socket is full and deleted when its queue drains.  TLS
 * conns keep their bufferevent and get a reference to the frame instead.
 *
 * Limits: output queued for one client over gateway.outbuf_hard closes it at
 * once; over gateway.outbuf_soft starts its soft clock.  Conns over the soft
 * limit are on gw->soft in the order they went over it, and one timer cuts
 * the oldest when its time is up, whether or not more output is queued for it
 * (O(conns over the limit), not O(conns)).  Cutting a client is its session's
 * business: outq.c tells the layer above through gw->hooks.conn_slow.
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "gateway.h"
#include "util.h"

#define OUTQ_IOV_MAX	 64 /* frames in one writev(2) */
#define OUTQ_FIRST_SLOTS 8  /* a queue's first allocation, doubled as it grows */

/* ---------------------------------------------------------------- broadcasts */

struct bcast *
bcast_new_frame(int opcode, char prefix, const void *data, size_t len)
{
	struct bcast *b;
	uint8_t hdr[WS_SERVER_HEADER_MAX];
	size_t hl = 0, pl = prefix ? 1 : 0;

	if ((b = malloc(sizeof(*b) + BCAST_HEADROOM + pl + len)) == NULL)
		return NULL;
	b->refs = 1;
	b->len = len + pl;
	if (prefix)
		b->buf[BCAST_HEADROOM] = prefix;
	if (len > 0)
		memcpy(b->buf + BCAST_HEADROOM + pl, data, len);
	if (opcode >= 0)
		hl = ws_header(hdr, opcode, b->len);
	b->frame_off = BCAST_HEADROOM - hl;
	memcpy(b->buf + b->frame_off, hdr, hl);
	return b;
}

struct bcast *
bcast_new(const char *pkt, size_t len)
{
	return bcast_new_frame(WS_OP_TEXT, '0' + EIO_MESSAGE, pkt, len);
}

const char *
bcast_bytes(const struct bcast *b, size_t *n)
{
	*n = BCAST_HEADROOM - b->frame_off + b->len;
	return b->buf + b->frame_off;
}

void
bcast_unref(struct bcast *b)
{
	if (b != NULL && --b->refs == 0)
		free(b);
}

/* ---------------------------------------------------------------- the queue */

/* Queues b (taking a reference) on a conn in queue mode. */
static int
outq_add(struct conn *c, struct bcast *b)
{
	struct outq *q = &c->c_oq;
	size_t n;

	if (q->oq_n == q->oq_cap) {
		size_t nc = q->oq_cap ? q->oq_cap * 2 : OUTQ_FIRST_SLOTS, i;
		struct bcast **nq = reallocarray(NULL, nc, sizeof(*nq));
		if (nq == NULL)
			return -1;
		for (i = 0; i < q->oq_n; i++)
			nq[i] = q->oq_q[(q->oq_head + i) % q->oq_cap];
		free(q->oq_q);
		q->oq_q = nq;
		q->oq_head = 0;
		q->oq_cap = nc;
	}
	q->oq_q[(q->oq_head + q->oq_n) % q->oq_cap] = b;
	q->oq_n++;
	b->refs++;
	bcast_bytes(b, &n);
	q->oq_bytes += n;
	/* a full socket is written from its write event; else once this pass is over */
	if (!q->oq_armed && !q->oq_pending) {
		q->oq_pending = 1;
		TAILQ_INSERT_TAIL(&c->c_gw->oq_pending, c, c_oq.oq_entry);
		if (c->c_gw->oq_ev != NULL)
			event_active(c->c_gw->oq_ev, EV_TIMEOUT, 0);
	}
	return 0;
}

int
outq_start(struct conn *c, event_callback_fn writable)
{
	struct outq *q = &c->c_oq;
	struct evbuffer *out = bufferevent_get_output(c->c_bev);
	struct bcast *b;
	size_t n = evbuffer_get_length(out);

	q->oq_wev = event_new(c->c_gw->base, bufferevent_getfd(c->c_bev), EV_WRITE | EV_PERSIST,
			      writable, c);
	if (q->oq_wev == NULL)
		return -1;
	q->oq_on = 1;
	if (n > 0 && (b = bcast_new_frame(-1, 0, evbuffer_pullup(out, (ssize_t)n), n)) != NULL) {
		/* a bufferevent freezes the start of its output; we take it over */
		evbuffer_unfreeze(out, 1);
		evbuffer_drain(out, n);
		evbuffer_freeze(out, 1);
		outq_add(c, b);
		bcast_unref(b);
	}
	return 0;
}

int
outq_flush(struct conn *c)
{
	struct outq *q = &c->c_oq;
	struct iovec iov[OUTQ_IOV_MAX];
	size_t i, n, k, len;
	ssize_t w;
	const char *p;

	while (q->oq_n > 0) {
		n = q->oq_n < OUTQ_IOV_MAX ? q->oq_n : OUTQ_IOV_MAX;
		for (i = 0; i < n; i++) {
			p = bcast_bytes(q->oq_q[(q->oq_head + i) % q->oq_cap], &len);
			if (i == 0) {
				p += q->oq_off;
				len -= q->oq_off;
			}
			iov[i].iov_base = (void *)p;
			iov[i].iov_len = len;
		}
		/* send(2) for one buffer: no vfs layer, no file position lock */
		if (n == 1)
			w = send(bufferevent_getfd(c->c_bev), iov[0].iov_base, iov[0].iov_len,
				 MSG_DONTWAIT | COMPAT_MSG_NOSIGNAL);
		else
			w = writev(bufferevent_getfd(c->c_bev), iov, (int)n);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			q->oq_on = 0; /* nothing more goes out */
			return OUTQ_ERROR;
		}
		q->oq_bytes -= (size_t)w;
		for (k = 0; k < n && w > 0; k++) {
			len = iov[k].iov_len;
			if ((size_t)w < len) {
				q->oq_off += (size_t)w;
				break;
			}
			w -= (ssize_t)len;
			bcast_unref(q->oq_q[q->oq_head]);
			q->oq_head = (q->oq_head + 1) % q->oq_cap;
			q->oq_n--;
			q->oq_off = 0;
		}
		if (k < n)
			break; /* short write: the socket is full */
	}
	if (q->oq_n == 0) {
		if (q->oq_armed) {
			event_del(q->oq_wev);
			q->oq_armed = 0;
		}
		outq_soft_clear(c);
		return OUTQ_EMPTY;
	}
	if (!q->oq_armed && event_add(q->oq_wev, NULL) == 0)
		q->oq_armed = 1;
	return OUTQ_FULL;
}

void
outq_flush_pending(struct gw *gw, void (*done)(struct conn *c, int r))
{
	struct conn *c;
	int r;

	while ((c = TAILQ_FIRST(&gw->oq_pending)) != NULL) {
		TAILQ_REMOVE(&gw->oq_pending, c, c_oq.oq_entry);
		c->c_oq.oq_pending = 0;
		r = outq_flush(c);
		if (r == OUTQ_ERROR || (r == OUTQ_EMPTY && c->c_closing))
			done(c, r);
	}
}

int
outq_busy(const struct conn *c)
{
	return c->c_oq.oq_on && c->c_oq.oq_n > 0;
}

size_t
outq_len(const struct conn *c)
{
	return c->c_oq.oq_bytes + evbuffer_get_length(bufferevent_get_output(c->c_bev));
}

void
outq_stop(struct conn *c)
{
	struct outq *q = &c->c_oq;

	if (q->oq_wev != NULL)
		event_del(q->oq_wev);
	q->oq_armed = 0;
	outq_soft_clear(c);
	if (q->oq_pending) {
		TAILQ_REMOVE(&c->c_gw->oq_pending, c, c_oq.oq_entry);
		q->oq_pending = 0;
	}
}

void
outq_free(struct conn *c)
{
	struct outq *q = &c->c_oq;

	if (q->oq_wev != NULL)
		event_free(q->oq_wev);
	while (q->oq_n > 0) {
		bcast_unref(q->oq_q[q->oq_head]);
		q->oq_head = (q->oq_head + 1) % q->oq_cap;
		q->oq_n--;
	}
	free(q->oq_q);
}

/* ---------------------------------------------------------------- frames */

void
outq_frame(struct conn *c, int opcode, char prefix, const void *data, size_t len)
{
	struct bcast *b;
	uint8_t hdr[WS_SERVER_HEADER_MAX];
	size_t hl;
	struct evbuffer *out;

	if (c->c_closing)
		return;
	if (c->c_oq.oq_on) {
		if ((b = bcast_new_frame(opcode, prefix, data, len)) == NULL)
			return;
		outq_add(c, b);
		bcast_unref(b);
		c->c_gw->m.bytes_sent += len + 2;
		return;
	}
	out = bufferevent_get_output(c->c_bev);
	hl = ws_header(hdr, opcode, len + (prefix ? 1 : 0));
	evbuffer_add(out, hdr, hl);
	if (prefix)
		evbuffer_add(out, &prefix, 1);
	if (len > 0)
		evbuffer_add(out, data, len);
	c->c_gw->m.bytes_sent += hl + len;
}

static void
outq_bcast_cleanup(const void *data, size_t len, void *arg)
{
	bcast_unref(arg);
}

int
outq_bcast(struct conn *c, struct bcast *b)
{
	struct evbuffer *out;
	size_t n;

	if (c->c_oq.oq_on) {
		if (outq_add(c, b) < 0)
			return -1;
		c->c_gw->m.bytes_sent += b->len;
		return 0;
	}
	out = bufferevent_get_output(c->c_bev);
	n = b->len + (BCAST_HEADROOM - b->frame_off);
	b->refs++;
	if (evbuffer_add_reference(out, b->buf + b->frame_off, n, outq_bcast_cleanup, b) < 0) {
		b->refs--;
		return -1;
	}
	c->c_gw->m.bytes_sent += n;
	return 0;
}

/* ---------------------------------------------------------------- limits */

static void
outq_soft_arm(struct gw *gw)
{
	struct conn *c = TAILQ_FIRST(&gw->soft);
	struct timeval tv;
	int64_t left;

	if (c == NULL || gw->soft_ev == NULL)
		return;
	left = c->c_oq.oq_soft_since + (int64_t)gw->cfg.outbuf_soft_ms * 1000 - util_mono_us();
	if (left < 0)
		left = 0;
	tv.tv_sec = (time_t)(left / 1000000);
	tv.tv_usec = (suseconds_t)(left % 1000000);
	evtimer_add(gw->soft_ev, &tv);
}

static void
outq_soft_set(struct conn *c, int64_t now)
{
	struct gw *gw = c->c_gw;

	if (c->c_oq.oq_soft_since != 0 || c->c_dead)
		return;
	c->c_oq.oq_soft_since = now;
	TAILQ_INSERT_TAIL(&gw->soft, c, c_oq.oq_soft_entry);
	if (TAILQ_FIRST(&gw->soft) == c)
		outq_soft_arm(gw);
}

void
outq_soft_clear(struct conn *c)
{
	if (c->c_oq.oq_soft_since == 0)
		return;
	c->c_oq.oq_soft_since = 0;
	TAILQ_REMOVE(&c->c_gw->soft, c, c_oq.oq_soft_entry);
}

static void
outq_soft_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct gw *gw = arg;
	struct conn *c;
	int64_t now = util_mono_us(), lim = (int64_t)gw->cfg.outbuf_soft_ms * 1000;

	while ((c = TAILQ_FIRST(&gw->soft)) != NULL && now - c->c_oq.oq_soft_since >= lim) {
		outq_soft_clear(c);
		gw->hooks.conn_slow(c);
	}
	outq_soft_arm(gw);
}

int
outq_check(struct gw *gw, struct conn *c, size_t n)
{
	if (n <= gw->cfg.outbuf_soft) {
		if (c != NULL)
			outq_soft_clear(c);
		return 0;
	}
	if (n > gw->cfg.outbuf_hard)
		return -1;
	/* over the soft limit: the soft timer cuts it when its time is up */
	if (c != NULL)
		outq_soft_set(c, util_mono_us());
	return 0;
}

/* ---------------------------------------------------------------- start, end */

int
outq_init(struct gw *gw)
{
	TAILQ_INIT(&gw->oq_pending);
	TAILQ_INIT(&gw->soft);
	gw->soft_ev = evtimer_new(gw->base, outq_soft_cb, gw);
	return gw->soft_ev != NULL ? 0 : -1;
}

void
outq_shutdown(struct gw *gw)
{
	if (gw->soft_ev != NULL)
		event_free(gw->soft_ev);
	gw->soft_ev = NULL;
}
