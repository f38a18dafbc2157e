/*
 * polling.c: the output side of Engine.IO's HTTP long-polling transport.
 *
 * Packets for a polling session are kept in its queue (es_pollq) as records
 * [u32 len][u8 binary][bytes], the type digit included for text packets.  A
 * GET with nothing to send is parked on the session (es_get) until a packet is
 * queued: the session then goes on gw->flushq and flush_ev, activated once,
 * answers every parked GET after the callbacks of this loop pass, so that the
 * packets queued in one callback go out in one response.  One response
 * carries at most maxPayload bytes (but at least one packet); the rest waits
 * for the next GET, which is answered at once.
 *
 * The input side (the POST of packets, the GET that parks) is the session's:
 * eio_session.c reads the requests and calls these.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway.h"

#define POLLING_CTYPE "text/plain; charset=UTF-8"

/* Answers s's parked GET after this loop pass (gw->flush_ev). */
static void
polling_wake(struct eio_session *s)
{
	struct gw *gw = s->es_gw;

	if (s->es_get == NULL || s->es_in_flush || s->es_closed)
		return;
	s->es_in_flush = 1;
	TAILQ_INSERT_TAIL(&gw->flushq, s, es_flush_entry);
	if (gw->flush_ev != NULL)
		event_active(gw->flush_ev, EV_TIMEOUT, 0);
}

void
polling_queue(struct eio_session *s, int type, const char *data, size_t len, int binary)
{
	uint32_t n = (uint32_t)len + (binary ? 0 : 1);
	uint8_t b = (uint8_t)binary;
	char t = (char)('0' + type);

	if (s->es_pollq == NULL && (s->es_pollq = evbuffer_new()) == NULL)
		return;
	evbuffer_add(s->es_pollq, &n, sizeof(n));
	evbuffer_add(s->es_pollq, &b, 1);
	if (!binary)
		evbuffer_add(s->es_pollq, &t, 1);
	evbuffer_add(s->es_pollq, data, len);
	s->es_pollq_n++;
	polling_wake(s);
}

/* Appends the next queued record to body: text as it is, binary as 'b' + base64. */
static void
polling_take(struct eio_session *s, struct evbuffer *body)
{
	uint32_t n;
	uint8_t bin;

	evbuffer_remove(s->es_pollq, &n, sizeof(n));
	evbuffer_remove(s->es_pollq, &bin, 1);
	if (bin) {
		unsigned char *raw = evbuffer_pullup(s->es_pollq, n);
		char *enc = malloc(((size_t)n + 2) / 3 * 4 + 2);
		if (enc != NULL) {
			enc[0] = 'b';
			eio_b64_encode(raw, n, enc + 1);
			evbuffer_add(body, enc, strlen(enc));
			free(enc);
		}
		evbuffer_drain(s->es_pollq, n);
	} else
		evbuffer_remove_buffer(s->es_pollq, body, n);
}

/* The size the next queued record takes in a response. */
static size_t
polling_next_size(struct eio_session *s)
{
	uint8_t hdr[sizeof(uint32_t) + 1];
	uint32_t n;

	evbuffer_copyout(s->es_pollq, hdr, sizeof(hdr));
	memcpy(&n, hdr, sizeof(n));
	return hdr[sizeof(n)] ? ((size_t)n + 2) / 3 * 4 + 1 : n;
}

/* Answers s's parked GET with what is queued, up to maxPayload bytes. */
static void
polling_flush(struct eio_session *s)
{
	struct conn *c = s->es_get;
	struct evbuffer *body;
	size_t i;

	if (c == NULL || s->es_pollq == NULL || s->es_pollq_n == 0)
		return;
	if ((body = evbuffer_new()) == NULL)
		return;
	for (i = 0; i < s->es_pollq_n; i++) {
		/* Unbounded, a burst made responses of megabytes that took
		 * seconds to build and to send. */
		if (i > 0 && evbuffer_get_length(body) + 1 + polling_next_size(s) >
				 s->es_gw->cfg.max_payload)
			break;
		if (i > 0)
			evbuffer_add(body, (char[]){EIO_SEP}, 1);
		polling_take(s, body);
	}
	s->es_pollq_n -= i;
	s->es_get = NULL;
	c->c_poll = NULL;
	conn_respond_buf(c, 200, POLLING_CTYPE, NULL, body);
	evbuffer_free(body);
	/* the client may have sent its next request already */
	if (!c->c_closing && evbuffer_get_length(bufferevent_get_input(c->c_bev)) > 0)
		bufferevent_trigger(c->c_bev, EV_READ, BEV_OPT_DEFER_CALLBACKS);
}

static void
polling_flush_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct gw *gw = arg;
	struct eio_session *s;

	while ((s = TAILQ_FIRST(&gw->flushq)) != NULL) {
		TAILQ_REMOVE(&gw->flushq, s, es_flush_entry);
		s->es_in_flush = 0;
		polling_flush(s);
	}
}

void
polling_answer(struct eio_session *s, int type)
{
	struct conn *c = s->es_get;
	char t = (char)('0' + type);

	if (c == NULL)
		return;
	s->es_get = NULL;
	c->c_poll = NULL;
	conn_respond(c, 200, POLLING_CTYPE, NULL, &t, 1);
}

void
polling_park(struct eio_session *s, struct conn *c)
{
	s->es_get = c;
	c->c_poll = s;
	if (s->es_pollq_n > 0)
		polling_wake(s);
	else if (s->es_upgrading)
		polling_answer(s, EIO_NOOP);
}

size_t
polling_len(const struct eio_session *s)
{
	return s->es_pollq ? evbuffer_get_length(s->es_pollq) : 0;
}

void
polling_to_websocket(struct eio_session *s, struct conn *ws)
{
	uint32_t n;
	uint8_t bin;
	char *buf;

	while (s->es_pollq != NULL && s->es_pollq_n > 0) {
		evbuffer_remove(s->es_pollq, &n, sizeof(n));
		evbuffer_remove(s->es_pollq, &bin, 1);
		buf = (char *)evbuffer_pullup(s->es_pollq, n);
		outq_frame(ws, bin ? WS_OP_BINARY : WS_OP_TEXT, 0, buf, n);
		evbuffer_drain(s->es_pollq, n);
		s->es_pollq_n--;
	}
	polling_free(s);
}

void
polling_stop(struct eio_session *s)
{
	if (s->es_in_flush) {
		TAILQ_REMOVE(&s->es_gw->flushq, s, es_flush_entry);
		s->es_in_flush = 0;
	}
}

void
polling_free(struct eio_session *s)
{
	if (s->es_pollq != NULL) {
		evbuffer_free(s->es_pollq);
		s->es_pollq = NULL;
	}
}

int
polling_init(struct gw *gw)
{
	TAILQ_INIT(&gw->flushq);
	gw->flush_ev = event_new(gw->base, -1, 0, polling_flush_cb, gw);
	return gw->flush_ev != NULL ? 0 : -1;
}

void
polling_shutdown(struct gw *gw)
{
	if (gw->flush_ev != NULL)
		event_free(gw->flush_ev);
	gw->flush_ev = NULL;
}
