/*
 * sio_layer.c: the Socket.IO layer on top of Engine.IO sessions.
 *
 * Each Engine.IO message of a session opened on /socket.io/ is a Socket.IO
 * packet (sio.c decodes it); a binary packet waits on the session
 * (sc_bin) for its attachments, which come as binary messages.  A whole
 * packet is checked against the namespaces the client joined, then handed to
 * the application through the handler table (struct sio_handlers) installed
 * at start-up: api.c's hookwire API, or conformance.c's echo.  The layer
 * itself refuses unknown namespaces, packets out of order and malformed ones
 * (the client is closed with the decoder's reason code).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "log.h"

#define SIO_LAYER_DEPTH_MAX 64 /* JSON nesting of a packet's payload */

/* ---------------------------------------------------------------- output */

void
sio_layer_send(struct eio_session *s, int type, const char *nsp, long long id, const char *json,
	       size_t jsonlen)
{
	char *pkt;
	size_t n;

	if ((pkt = sio_encode(type, nsp, id, 0, json, jsonlen, &n)) == NULL)
		return;
	eio_session_send(s, pkt, n, 0);
	free(pkt);
}

void
sio_layer_emit(struct eio_session *s, const char *nsp, const char *event, const char *json,
	       size_t jl)
{
	char *args;
	size_t n = strlen(event);

	/* ["<event>",<json>] */
	if ((args = malloc(jl + n + 8)) == NULL)
		return;
	args[0] = '[';
	args[1] = '"';
	memcpy(args + 2, event, n);
	memcpy(args + 2 + n, "\",", 2);
	memcpy(args + 4 + n, json, jl);
	args[4 + n + jl] = ']';
	sio_layer_send(s, SIO_EVENT, nsp, -1, args, 5 + n + jl);
	free(args);
}

void
sio_layer_connect_error(struct eio_session *s, const char *nsp, const char *message)
{
	char body[128];
	int n;

	n = snprintf(body, sizeof(body), "{\"message\":\"%s\"}", message);
	sio_layer_send(s, SIO_CONNECT_ERROR, nsp, -1, body, (size_t)n);
}

/* ---------------------------------------------------------------- input */

/* The bit of namespace nsp among the handlers' (1 << its index), or 0. */
static unsigned
sio_layer_nsp_bit(struct gw *gw, const char *nsp)
{
	const char *const *n;

	for (n = gw->sio->sh_nsps; *n != NULL; n++)
		if (strcmp(*n, nsp) == 0)
			return 1u << (n - gw->sio->sh_nsps);
	return 0;
}

static void
sio_layer_fail(struct eio_session *s, const char *reason)
{
	s->es_gw->m.bad_sio++;
	log_warnx(reason, "%s: client %s: bad Socket.IO packet", __func__, s->es_id);
	eio_session_close(s, GW_DISC_PARSE, reason, EIO_CLOSE);
}

static void
sio_layer_pending_free(struct sio_pending *b)
{
	int i;

	sio_packet_clear(&b->pkt);
	for (i = 0; i < b->have; i++)
		free(b->att[i]);
	free(b);
}

static void
sio_layer_connect(struct eio_session *s, struct sio_packet *p)
{
	struct gw *gw = s->es_gw;
	unsigned bit = sio_layer_nsp_bit(gw, p->nsp);

	if (bit == 0) {
		sio_layer_connect_error(s, p->nsp, "Invalid namespace");
		conn_count_refusal(gw, GW_REFUSED_PATH);
		return;
	}
	if (s->es_sio.sc_sid[0] == '\0')
		eio_new_sid(s->es_sio.sc_sid);
	if (gw->sio->sh_connect(s, p) == 0)
		s->es_sio.sc_nsp |= bit;
}

/* A complete Socket.IO packet (binary attachments gathered). */
static void
sio_layer_dispatch(struct eio_session *s, struct sio_packet *p, char **att, size_t *attlen)
{
	const struct sio_handlers *h = s->es_gw->sio;
	unsigned bit = sio_layer_nsp_bit(s->es_gw, p->nsp);
	int joined = bit != 0 && (s->es_sio.sc_nsp & bit);

	if (p->type == SIO_CONNECT) {
		if (joined) {
			sio_layer_fail(s, "already_connected");
			return;
		}
		sio_layer_connect(s, p);
		return;
	}
	if (!joined || p->type == SIO_CONNECT_ERROR) {
		sio_layer_fail(s, "invalid_state");
		return;
	}
	switch (p->type) {
	case SIO_DISCONNECT:
		s->es_sio.sc_nsp &= ~bit;
		if (h->sh_leave != NULL)
			h->sh_leave(s, 0);
		break;
	case SIO_EVENT:
	case SIO_BINARY_EVENT:
		if (h->sh_event(s, p, att, attlen) < 0)
			sio_layer_fail(s, "bad_api_event");
		break;
	default:
		break; /* acks from clients: we never ask for any */
	}
}

/* A binary message: the next attachment of the pending packet. */
static void
sio_layer_attachment(struct eio_session *s, const char *data, size_t len)
{
	struct sio_pending *b = s->es_sio.sc_bin;

	if (b == NULL) {
		sio_layer_fail(s, "unexpected_attachment");
		return;
	}
	if ((b->att[b->have] = malloc(len + 1)) == NULL) {
		eio_session_close(s, GW_DISC_NONE, "out of memory", EIO_CLOSE);
		return;
	}
	memcpy(b->att[b->have], data, len);
	b->attlen[b->have] = len;
	b->have++;
	if (b->have < b->pkt.attachments)
		return;
	s->es_sio.sc_bin = NULL;
	sio_layer_dispatch(s, &b->pkt, b->att, b->attlen);
	sio_layer_pending_free(b);
}

/* An Engine.IO message of s (es_ops->eo_message). */
static void
sio_layer_message(struct eio_session *s, const char *data, size_t len, int binary)
{
	struct sio_pending *b;
	struct sio_packet p;
	const char *reason;

	if (binary) {
		sio_layer_attachment(s, data, len);
		return;
	}
	if (s->es_sio.sc_bin != NULL) {
		sio_layer_fail(s, "missing_attachment");
		return;
	}
	if (sio_decode(data, len, SIO_LAYER_DEPTH_MAX, &p, &reason) < 0) {
		sio_layer_fail(s, reason);
		return;
	}
	if ((p.type == SIO_BINARY_EVENT || p.type == SIO_BINARY_ACK) && p.attachments > 0) {
		if ((b = calloc(1, sizeof(*b))) == NULL) {
			sio_packet_clear(&p);
			eio_session_close(s, GW_DISC_NONE, "out of memory", EIO_CLOSE);
			return;
		}
		b->pkt = p;
		s->es_sio.sc_bin = b;
		return;
	}
	sio_layer_dispatch(s, &p, NULL, NULL);
	sio_packet_clear(&p);
}

/* s closed (es_ops->eo_closed): its client leaves, as if its transport went away. */
static void
sio_layer_closed(struct eio_session *s)
{
	if (s->es_gw->sio->sh_leave != NULL)
		s->es_gw->sio->sh_leave(s, 1);
}

/* s is freed (es_ops->eo_free): its Socket.IO state and the application's go. */
static void
sio_layer_free(struct eio_session *s)
{
	if (s->es_sio.sc_bin != NULL)
		sio_layer_pending_free(s->es_sio.sc_bin);
	s->es_sio.sc_bin = NULL;
	if (s->es_gw->sio->sh_free != NULL)
		s->es_gw->sio->sh_free(s);
}

static const struct eio_session_ops sio_layer_ops = {
    .eo_message = sio_layer_message,
    .eo_closed = sio_layer_closed,
    .eo_free = sio_layer_free,
};

void
sio_layer_init(struct gw *gw, const struct sio_handlers *h)
{
	gw->sio = h;
	server_route(gw, "/socket.io", &sio_layer_ops);
}
