/*
 * server.c: the HTTP request loop and routing, and (for now) the Socket.IO
 * layer on top of Engine.IO sessions.
 *
 * A conn's input is parsed as HTTP requests (keep-alive) until a WebSocket
 * handshake turns it into a WebSocket; each request is routed by its path:
 * Engine.IO (/socket.io/, and /engine.io/ with --conformance), the
 * Socket.IO browser client, /healthz, /metrics, /api/events, the dashboard.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "log.h"
#include "util.h"

void
session_connect_error(struct eio_session *s, const char *nsp, const char *message)
{
	char body[128];
	int n;

	n = snprintf(body, sizeof(body), "{\"message\":\"%s\"}", message);
	session_send_sio(s, SIO_CONNECT_ERROR, nsp, -1, body, (size_t)n);
}

void
session_send_sio(struct eio_session *s, int type, const char *nsp, long long id, const char *json,
		 size_t jsonlen)
{
	char *pkt;
	size_t n;

	if ((pkt = sio_encode(type, nsp, id, 0, json, jsonlen, &n)) == NULL)
		return;
	eio_session_send(s, pkt, n, 0);
	free(pkt);
}

/* ---------------------------------------------------------------- Socket.IO layer */

static int
server_nsp_bit(struct gw *gw, const char *nsp)
{
	if (strcmp(nsp, "/") == 0)
		return 1;
	if (gw->cfg.conformance && strcmp(nsp, "/custom") == 0)
		return 2;
	return 0;
}

static void
server_sio_fail(struct eio_session *s, const char *reason)
{
	s->es_gw->m.bad_sio++;
	s->es_gw->m.disc_parse++;
	log_warnx(reason, "%s: client %s: bad Socket.IO packet", __func__, s->es_id);
	eio_session_close(s, reason, EIO_CLOSE);
}

/* Conformance: message -> message-back, message-with-ack -> ack, with attachments. */
static void
server_sio_echo(struct eio_session *s, struct sio_packet *p, char **att, size_t *attlen)
{
	json_object *args = p->data, *name;
	const char *json, *ev;
	size_t jl, n, i;
	char *pkt;
	int binary = p->type == SIO_BINARY_EVENT;

	name = json_object_array_get_idx(args, 0);
	if (!json_object_is_type(name, json_type_string))
		return;
	ev = json_object_get_string(name);
	if (strcmp(ev, "message") == 0) {
		json_object_array_put_idx(args, 0, json_object_new_string("message-back"));
		json = sio_json(args, &jl);
		pkt = sio_encode(binary ? SIO_BINARY_EVENT : SIO_EVENT, p->nsp, -1, p->attachments,
				 json, jl, &n);
	} else if (strcmp(ev, "message-with-ack") == 0 && p->id >= 0) {
		json_object_array_del_idx(args, 0, 1);
		json = sio_json(args, &jl);
		pkt = sio_encode(binary ? SIO_BINARY_ACK : SIO_ACK, p->nsp, p->id, p->attachments,
				 json, jl, &n);
	} else
		return;
	if (pkt == NULL)
		return;
	eio_session_send(s, pkt, n, 0);
	free(pkt);
	for (i = 0; binary && i < (size_t)p->attachments; i++)
		eio_session_send(s, att[i], attlen[i], 1);
}

static void
server_sio_connect(struct eio_session *s, struct sio_packet *p)
{
	struct gw *gw = s->es_gw;
	char body[128];
	const char *auth;
	size_t al;
	int bit, n;

	bit = server_nsp_bit(gw, p->nsp);
	if (bit == 0) {
		session_connect_error(s, p->nsp, "Invalid namespace");
		gw->m.refused_path++;
		return;
	}
	if (s->es_sio.sc_sid[0] == '\0')
		eio_new_sid(s->es_sio.sc_sid);
	if (!gw->cfg.conformance) {
		if (api_connect(s, p->data) == 0)
			s->es_sio.sc_nsp |= (unsigned)bit;
		return;
	}
	s->es_sio.sc_nsp |= (unsigned)bit;
	n = snprintf(body, sizeof(body), "{\"sid\":\"%s\"}", s->es_sio.sc_sid);
	session_send_sio(s, SIO_CONNECT, p->nsp, -1, body, (size_t)n);
	if (p->data != NULL)
		auth = sio_json(p->data, &al);
	else {
		auth = "{}";
		al = 2;
	}
	{
		char *args = malloc(al + 16);
		if (args == NULL)
			return;
		n = sprintf(args, "[\"auth\",");
		memcpy(args + n, auth, al);
		args[(size_t)n + al] = ']';
		session_send_sio(s, SIO_EVENT, p->nsp, -1, args, (size_t)n + al + 1);
		free(args);
	}
}

/* A complete Socket.IO packet (binary attachments gathered). */
static void
server_sio_dispatch(struct eio_session *s, struct sio_packet *p, char **att, size_t *attlen)
{
	struct gw *gw = s->es_gw;
	int bit = server_nsp_bit(gw, p->nsp);
	int joined = bit != 0 && (s->es_sio.sc_nsp & (unsigned)bit);

	if (p->type == SIO_CONNECT) {
		if (joined) {
			server_sio_fail(s, "already_connected");
			return;
		}
		server_sio_connect(s, p);
		return;
	}
	if (!joined || p->type == SIO_CONNECT_ERROR) {
		server_sio_fail(s, "invalid_state");
		return;
	}
	switch (p->type) {
	case SIO_DISCONNECT:
		s->es_sio.sc_nsp &= ~(unsigned)bit;
		if (bit == 1)
			api_leave(s, 0);
		break;
	case SIO_EVENT:
	case SIO_BINARY_EVENT:
		if (gw->cfg.conformance)
			server_sio_echo(s, p, att, attlen);
		else if (api_event(s, p) < 0)
			server_sio_fail(s, "bad_api_event");
		break;
	default:
		break; /* acks from clients: we never ask for any */
	}
}

static void
server_sio_message(struct eio_session *s, const char *data, size_t len, int binary)
{
	struct sio_pending *b = s->es_sio.sc_bin;
	struct sio_packet p;
	const char *reason;
	int i;

	if (binary) {
		if (b == NULL) {
			server_sio_fail(s, "unexpected_attachment");
			return;
		}
		if ((b->att[b->have] = malloc(len + 1)) == NULL) {
			eio_session_close(s, "out of memory", EIO_CLOSE);
			return;
		}
		memcpy(b->att[b->have], data, len);
		b->attlen[b->have] = len;
		b->have++;
		if (b->have < b->pkt.attachments)
			return;
		s->es_sio.sc_bin = NULL;
		server_sio_dispatch(s, &b->pkt, b->att, b->attlen);
		sio_packet_clear(&b->pkt);
		for (i = 0; i < b->have; i++)
			free(b->att[i]);
		free(b);
		return;
	}
	if (b != NULL) {
		server_sio_fail(s, "missing_attachment");
		return;
	}
	if (sio_decode(data, len, 64, &p, &reason) < 0) {
		server_sio_fail(s, reason);
		return;
	}
	if ((p.type == SIO_BINARY_EVENT || p.type == SIO_BINARY_ACK) && p.attachments > 0) {
		if ((b = calloc(1, sizeof(*b))) == NULL) {
			sio_packet_clear(&p);
			eio_session_close(s, "out of memory", EIO_CLOSE);
			return;
		}
		b->pkt = p;
		s->es_sio.sc_bin = b;
		return;
	}
	server_sio_dispatch(s, &p, NULL, NULL);
	sio_packet_clear(&p);
}

/* The session's Socket.IO and API state goes with it. */
static void
server_sio_free(struct eio_session *s)
{
	int i;

	if (s->es_sio.sc_bin != NULL) {
		sio_packet_clear(&s->es_sio.sc_bin->pkt);
		for (i = 0; i < s->es_sio.sc_bin->have; i++)
			free(s->es_sio.sc_bin->att[i]);
		free(s->es_sio.sc_bin);
	}
	api_client_free(s);
}

/* The session closed: its client leaves "/", its subscriptions parked. */
static void
server_sio_closed(struct eio_session *s)
{
	api_leave(s, 1);
}

static const struct eio_session_ops server_sio_ops = {
    .eo_message = server_sio_message,
    .eo_closed = server_sio_closed,
    .eo_free = server_sio_free,
};

/* Conformance, plain Engine.IO on /engine.io/: every message echoed. */
static const struct eio_session_ops server_raw_ops = {
    .eo_message = eio_session_send,
};

/* ---------------------------------------------------------------- HTTP routing */

static int
server_prefix(const char *path, const char *prefix)
{
	return strncmp(path, prefix, strlen(prefix)) == 0;
}

static void
server_http_dispatch(struct conn *c, const struct http_request *req, const char *body)
{
	struct gw *gw = c->c_gw;
	char path[4096];
	const char *query;
	size_t qlen;

	gw->m.http_requests++;
	c->c_keepalive = req->keep_alive;
	c->c_head = strcmp(req->method, "HEAD") == 0;
	if (http_split_target(req->target, req->target_len, path, sizeof(path), &query, &qlen) <
	    0) {
		gw->m.refused_path++;
		c->c_keepalive = 0;
		conn_respond_str(c, 400, "text/plain", NULL, "bad request\n");
		return;
	}
	if (strcmp(path, "/socket.io/socket.io.js") == 0 ||
	    strcmp(path, "/socket.io/socket.io.min.js") == 0) {
		static_client_js(c, req);
		return;
	}
	if (server_prefix(path, "/socket.io/") || strcmp(path, "/socket.io") == 0) {
		eio_session_http(c, req, &server_sio_ops, query, qlen, body);
		return;
	}
	if (gw->cfg.conformance &&
	    (server_prefix(path, "/engine.io/") || strcmp(path, "/engine.io") == 0)) {
		eio_session_http(c, req, &server_raw_ops, query, qlen, body);
		return;
	}
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
		conn_respond_str(c, 405, "text/plain", "Allow: GET, HEAD\r\n",
				 "method not allowed\n");
		return;
	}
	if (strcmp(path, "/healthz") == 0) {
		api_healthz(c);
		return;
	}
	if (strcmp(path, "/metrics") == 0) {
		metrics_serve(c);
		return;
	}
	if (strcmp(path, "/api/events") == 0) {
		api_events_http(c, req, query, qlen);
		return;
	}
	static_serve(c, req, path);
}

static void
server_http_process(struct conn *c)
{
	struct gw *gw = c->c_gw;
	struct evbuffer *in = bufferevent_get_input(c->c_bev);
	struct http_request req;
	enum http_status st;
	const char *reason;
	size_t len, n;
	char *p;

	while (!c->c_closing && c->c_state == CONN_HTTP && c->c_poll == NULL &&
	       (len = evbuffer_get_length(in)) > 0) {
		n = len < gw->cfg.header_max ? len : gw->cfg.header_max;
		p = (char *)evbuffer_pullup(in, (ssize_t)n);
		st = http_parse(p, n, gw->cfg.header_max, (long long)gw->cfg.body_max, &req,
				&reason);
		if (st == HTTP_INCOMPLETE) {
			conn_hdr_arm(c);
			return;
		}
		conn_hdr_disarm(c);
		if (st == HTTP_BAD) {
			gw->m.bad_http++;
			log_warnx(reason, "%s: %s: bad HTTP request", __func__, c->c_peer);
			c->c_keepalive = 0;
			conn_respond_str(c, req.error, "text/plain", NULL, "bad request\n");
			return;
		}
		if (len < req.head_len + (size_t)req.clen)
			return; /* wait for the whole body */
		p = (char *)evbuffer_pullup(in, (ssize_t)(req.head_len + (size_t)req.clen));
		/* req points into the first n bytes, which pullup kept in place only if
		 * it did not move them: parse again on the pulled-up copy */
		http_parse(p, req.head_len, gw->cfg.header_max, (long long)gw->cfg.body_max, &req,
			   &reason);
		server_http_dispatch(c, &req, p + req.head_len);
		if (c->c_dead)
			return;
		evbuffer_drain(in, req.head_len + (size_t)req.clen);
	}
	if (c->c_state == CONN_WS && !c->c_closing)
		websocket_input(c);
}

/* Bytes arrived on c (gw->hooks.conn_input). */
static void
server_conn_process(struct conn *c)
{
	if (c->c_state == CONN_WS)
		websocket_input(c);
	else
		server_http_process(c);
}

/* ---------------------------------------------------------------- slow clients */

int
server_listen(struct gw *gw, char *err, size_t errlen)
{
	TAILQ_INIT(&gw->api);
	gw->hooks.conn_input = server_conn_process;
	if (eio_session_init(gw) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return conn_listen(gw, err, errlen);
}

void
server_shutdown(struct gw *gw)
{
	gw->shutting_down = 1;
	eio_session_shutdown(gw);
	conn_shutdown(gw);
	eio_session_free_all(gw);
}
