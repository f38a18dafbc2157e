/*
 * server.c: connections, HTTP routing, Engine.IO sessions (long-polling,
 * WebSocket, upgrade, heartbeat) and the Socket.IO layer on top.
 *
 * Each accepted socket is a struct conn with one bufferevent.  Its input
 * is parsed as HTTP requests (keep-alive) until a WebSocket handshake turns
 * it into a WebSocket.  Engine.IO sessions (struct eio_session) outlive the
 * requests of long-polling: a GET with nothing to send is parked in
 * s_get until a packet is queued (answered from flush_ev, so that packets
 * queued in one callback go out in one response) or the heartbeat fires.
 * Each session has one timer: the next ping, then the pong deadline (two
 * libevent common timeouts, so that arming one costs O(1) with many clients).
 *
 * WebSocket output over plain TCP is a queue of shared frames per conn.
 * Queuing puts the conn on gw->oq_pending; oq_ev, activated once, then
 * writes each pending queue with one writev(2) after the callbacks of this
 * loop pass, so that a batch of ring events costs each client one system
 * call and no epoll_ctl(2).  The conn's write event is added only when the
 * socket is full and deleted when its queue drains.
 *
 * Closing is two-step: conn_close()/session_close() unlink the object and
 * put it on a dead list; the reaper event frees it after the current
 * callback returns.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/bufferevent_ssl.h>
#include <openssl/ssl.h>

#include "gateway.h"
#include "log.h"
#include "util.h"

RB_GENERATE(eio_session_tree, eio_session, es_node, eio_session_cmp)

int
eio_session_cmp(struct eio_session *a, struct eio_session *b)
{
	return strcmp(a->es_id, b->es_id);
}

static void server_conn_process(struct conn *c);
static void server_session_on_packet(struct eio_session *s, struct conn *from,
				     const struct eio_packet *p);
static void server_hb_schedule(struct eio_session *s, int await_pong);

/* ---------------------------------------------------------------- deferred frees */

static void
server_reaper(evutil_socket_t fd, short ev, void *arg)
{
	struct gw *gw = arg;
	struct eio_session *s;
	size_t i;

	while ((s = TAILQ_FIRST(&gw->eio_dead)) != NULL) {
		TAILQ_REMOVE(&gw->eio_dead, s, es_dead_entry);
		if (s->es_hb != NULL)
			event_free(s->es_hb);
		if (s->es_pollq != NULL)
			evbuffer_free(s->es_pollq);
		if (s->es_sio.sc_bin != NULL) {
			sio_packet_clear(&s->es_sio.sc_bin->pkt);
			for (i = 0; i < (size_t)s->es_sio.sc_bin->have; i++)
				free(s->es_sio.sc_bin->att[i]);
			free(s->es_sio.sc_bin);
		}
		for (i = 0; i < s->es_api.ac_nsubs; i++)
			free(s->es_api.ac_subs[i]);
		free(s->es_api.ac_subs);
		session_scope_clear(s);
		free(s);
	}
}

static void
server_reap_soon(struct gw *gw)
{
	if (gw->reaper != NULL) /* NULL after server_shutdown() */
		event_active(gw->reaper, EV_TIMEOUT, 0);
}

/* ---------------------------------------------------------------- conns */

static void
server_conn_gone(struct conn *c)
{
	struct eio_session *s;

	if ((s = c->c_poll) != NULL) {
		c->c_poll = NULL;
		if (s->es_get == c) {
			s->es_get = NULL;
			/* a long-poll that went away: the client is gone */
			if (!s->es_closed && !s->es_upgrading) {
				s->es_gw->m.disc_transport++;
				session_close(s, "transport close", EIO_CLOSE);
			}
		}
	}
	if ((s = c->c_sess) != NULL) {
		c->c_sess = NULL;
		if (s->es_ws == c) {
			s->es_ws = NULL;
			if (s->es_upgrading) {
				/* a failed probe: stay on polling */
				s->es_upgrading = 0;
			} else if (!s->es_closed) {
				s->es_gw->m.disc_transport++;
				session_close(s, "transport close", EIO_CLOSE);
			}
		}
	}
}

/* Engine.IO's JSON errors: {"code":N,"message":"..."} with 400. */
static void
server_eio_error(struct conn *c, int code, const char *msg)
{
	char body[128];
	int n;

	c->c_gw->m.bad_eio++;
	n = snprintf(body, sizeof(body), "{\"code\":%d,\"message\":\"%s\"}", code, msg);
	conn_respond(c, 400, "application/json", NULL, body, (size_t)n);
}

/* ---------------------------------------------------------------- WebSocket output */

static void
server_ws_frame(struct conn *c, int opcode, const void *data, size_t len)
{
	outq_frame(c, opcode, 0, data, len);
}

/* Sends "<type><data>" as one text frame. */
static void
server_ws_packet(struct conn *c, int type, const char *data, size_t len)
{
	outq_frame(c, WS_OP_TEXT, (char)('0' + type), data, len);
}

static void
server_ws_close(struct conn *c, int code, const char *reason)
{
	uint8_t p[2];

	if (c->c_closing)
		return;
	p[0] = (uint8_t)(code >> 8);
	p[1] = (uint8_t)code;
	server_ws_frame(c, WS_OP_CLOSE, p, 2);
	conn_close(c, reason);
}

/* ---------------------------------------------------------------- sessions */

size_t
session_outlen(struct eio_session *s)
{
	if (s->es_transport == ES_WEBSOCKET && s->es_ws != NULL && s->es_ws->c_bev != NULL)
		return outq_len(s->es_ws);
	return s->es_pollq ? evbuffer_get_length(s->es_pollq) : 0;
}

static void
server_session_wake(struct eio_session *s)
{
	struct gw *gw = s->es_gw;

	if (s->es_get == NULL || s->es_in_flush || s->es_closed)
		return;
	s->es_in_flush = 1;
	TAILQ_INSERT_TAIL(&gw->flushq, s, es_flush_entry);
	if (gw->flush_ev != NULL)
		event_active(gw->flush_ev, EV_TIMEOUT, 0);
}

/* Queues a packet for long-polling: [u32 len][u8 binary][bytes], the type digit included. */
static void
server_pollq_add(struct eio_session *s, int type, const char *data, size_t len, int binary)
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
	server_session_wake(s);
}

/* Sends one Engine.IO packet on the session's current transport. */
static void
server_session_packet(struct eio_session *s, int type, const char *data, size_t len, int binary)
{
	if (s->es_closed)
		return;
	if (type == EIO_MESSAGE)
		s->es_gw->m.msgs_sent++;
	if (s->es_transport == ES_WEBSOCKET) {
		if (s->es_ws == NULL)
			return;
		if (binary)
			server_ws_frame(s->es_ws, WS_OP_BINARY, data, len);
		else
			server_ws_packet(s->es_ws, type, data, len);
		return;
	}
	server_pollq_add(s, type, data, len, binary);
}

/* Frees the session's copy of its token's scope. */
void
session_scope_clear(struct eio_session *s)
{
	size_t i;

	for (i = 0; i < s->es_api.ac_nscope; i++)
		free(s->es_api.ac_scope[i]);
	free(s->es_api.ac_scope);
	s->es_api.ac_scope = NULL;
	s->es_api.ac_nscope = 0;
}

void
session_send(struct eio_session *s, const char *data, size_t len, int binary)
{
	server_session_packet(s, EIO_MESSAGE, data, len, binary);
}

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
	session_send(s, pkt, n, 0);
	free(pkt);
}

void
session_send_bcast(struct eio_session *s, struct bcast *b)
{
	if (s->es_closed)
		return;
	if (s->es_transport == ES_WEBSOCKET && s->es_ws != NULL && !s->es_ws->c_closing) {
		if (outq_bcast(s->es_ws, b) == 0)
			s->es_gw->m.msgs_sent++;
		return;
	}
	/* polling (or upgrading): the text packet, type digit included */
	server_session_packet(s, EIO_MESSAGE, b->buf + BCAST_HEADROOM + 1, b->len - 1, 0);
}

static void
server_session_flush_poll(struct eio_session *s)
{
	struct conn *c = s->es_get;
	struct evbuffer *body;
	uint32_t n;
	uint8_t bin;
	size_t i;

	if (c == NULL || s->es_pollq == NULL || s->es_pollq_n == 0)
		return;
	if ((body = evbuffer_new()) == NULL)
		return;
	for (i = 0; i < s->es_pollq_n; i++) {
		/* One response carries at most maxPayload bytes (but at least one
		 * packet); the rest waits for the next GET, which is answered at
		 * once.  Unbounded, a burst made responses of megabytes that took
		 * seconds to build and to send. */
		if (i > 0) {
			uint8_t hdr[sizeof(n) + 1];
			size_t need;

			evbuffer_copyout(s->es_pollq, hdr, sizeof(hdr));
			memcpy(&n, hdr, sizeof(n));
			need = hdr[sizeof(n)] ? ((size_t)n + 2) / 3 * 4 + 1 : n;
			if (evbuffer_get_length(body) + 1 + need > s->es_gw->cfg.max_payload)
				break;
		}
		evbuffer_remove(s->es_pollq, &n, sizeof(n));
		evbuffer_remove(s->es_pollq, &bin, 1);
		if (i > 0)
			evbuffer_add(body, "\x1e", 1);
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
	s->es_pollq_n -= i;
	s->es_get = NULL;
	c->c_poll = NULL;
	conn_respond_buf(c, 200, "text/plain; charset=UTF-8", NULL, body);
	evbuffer_free(body);
	/* the client may have sent its next request already */
	if (!c->c_closing && evbuffer_get_length(bufferevent_get_input(c->c_bev)) > 0)
		bufferevent_trigger(c->c_bev, EV_READ, BEV_OPT_DEFER_CALLBACKS);
}

/* Answers the pending GET with a single packet (noop or close) and no queue. */
static void
server_session_answer_get(struct eio_session *s, int type)
{
	struct conn *c = s->es_get;
	char t = (char)('0' + type);

	if (c == NULL)
		return;
	s->es_get = NULL;
	c->c_poll = NULL;
	conn_respond(c, 200, "text/plain; charset=UTF-8", NULL, &t, 1);
}

static void
server_flush_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct gw *gw = arg;
	struct eio_session *s;

	while ((s = TAILQ_FIRST(&gw->flushq)) != NULL) {
		TAILQ_REMOVE(&gw->flushq, s, es_flush_entry);
		s->es_in_flush = 0;
		server_session_flush_poll(s);
	}
}

void
session_close(struct eio_session *s, const char *reason, int answer)
{
	struct gw *gw = s->es_gw;
	struct conn *c;

	if (s->es_closed)
		return;
	s->es_closed = 1;
	log_debug("%s: %s: %s", __func__, s->es_id, reason);
	if (s->es_in_tree) {
		RB_REMOVE(eio_session_tree, &gw->eio_sessions, s);
		s->es_in_tree = 0;
	}
	if (s->es_in_flush) {
		TAILQ_REMOVE(&gw->flushq, s, es_flush_entry);
		s->es_in_flush = 0;
	}
	api_leave(s, 1);
	if (s->es_hb != NULL)
		evtimer_del(s->es_hb);
	if (s->es_transport == ES_POLLING && !s->es_upgrading && gw->npolling > 0)
		gw->npolling--;
	if ((c = s->es_get) != NULL) {
		s->es_closed = 0; /* let the answer through */
		server_session_answer_get(s, answer);
		s->es_closed = 1;
	}
	if ((c = s->es_ws) != NULL) {
		s->es_ws = NULL;
		c->c_sess = NULL;
		server_ws_close(c, WS_CLOSE_NORMAL, reason);
	}
	TAILQ_INSERT_TAIL(&gw->eio_dead, s, es_dead_entry);
	server_reap_soon(gw);
}

static void
server_hb_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct eio_session *s = arg;

	if (s->es_closed)
		return;
	if (s->es_await_pong) {
		s->es_gw->m.disc_ping_timeout++;
		session_close(s, "ping timeout", EIO_CLOSE);
		return;
	}
	server_session_packet(s, EIO_PING, NULL, 0, 0);
	server_hb_schedule(s, 1);
}

/* Arms the heartbeat: the next ping, or (await_pong) the pong deadline. */
static void
server_hb_schedule(struct eio_session *s, int await_pong)
{
	struct gw *gw = s->es_gw;

	s->es_await_pong = await_pong;
	evtimer_add(s->es_hb, await_pong ? &gw->hb_pong_tv : &gw->hb_ping_tv);
}

static struct eio_session *
server_session_new(struct gw *gw, struct conn *c, int raw, enum eio_session_transport t)
{
	struct eio_session *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->es_gw = gw;
	s->es_raw = raw;
	s->es_transport = t;
	if ((s->es_hb = evtimer_new(gw->base, server_hb_cb, s)) == NULL) {
		free(s);
		return NULL;
	}
	do
		eio_new_sid(s->es_id);
	while (RB_FIND(eio_session_tree, &gw->eio_sessions, s) != NULL);
	RB_INSERT(eio_session_tree, &gw->eio_sessions, s);
	s->es_in_tree = 1;
	if (t == ES_POLLING)
		gw->npolling++;
	server_hb_schedule(s, 0);
	return s;
}

static struct eio_session *
server_session_find(struct gw *gw, const char *id)
{
	struct eio_session key;

	if (strlen(id) != EIO_SID_LEN)
		return NULL;
	memcpy(key.es_id, id, EIO_SID_LEN + 1);
	return RB_FIND(eio_session_tree, &gw->eio_sessions, &key);
}

static void
server_open_packet(struct eio_session *s, char *out, size_t outlen, int can_upgrade)
{
	out[0] = '0';
	eio_open_json(out + 1, outlen - 1, s->es_id, can_upgrade, s->es_gw->cfg.ping_interval,
		      s->es_gw->cfg.ping_timeout, (long)s->es_gw->cfg.max_payload);
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
	session_close(s, reason, EIO_CLOSE);
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
	session_send(s, pkt, n, 0);
	free(pkt);
	for (i = 0; binary && i < (size_t)p->attachments; i++)
		session_send(s, att[i], attlen[i], 1);
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
			session_close(s, "out of memory", EIO_CLOSE);
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
			session_close(s, "out of memory", EIO_CLOSE);
			return;
		}
		b->pkt = p;
		s->es_sio.sc_bin = b;
		return;
	}
	server_sio_dispatch(s, &p, NULL, NULL);
	sio_packet_clear(&p);
}

/* ---------------------------------------------------------------- Engine.IO packets */

static void
server_upgrade_done(struct eio_session *s)
{
	struct gw *gw = s->es_gw;
	uint32_t n;
	uint8_t bin;
	char *buf;

	s->es_upgrading = 0;
	s->es_transport = ES_WEBSOCKET;
	if (gw->npolling > 0)
		gw->npolling--;
	if (s->es_get != NULL)
		server_session_answer_get(s, EIO_NOOP);
	/* what was queued for polling goes out on the WebSocket, in order */
	while (s->es_pollq != NULL && s->es_pollq_n > 0) {
		evbuffer_remove(s->es_pollq, &n, sizeof(n));
		evbuffer_remove(s->es_pollq, &bin, 1);
		buf = (char *)evbuffer_pullup(s->es_pollq, n);
		if (bin)
			server_ws_frame(s->es_ws, WS_OP_BINARY, buf, n);
		else
			server_ws_frame(s->es_ws, WS_OP_TEXT, buf, n);
		evbuffer_drain(s->es_pollq, n);
		s->es_pollq_n--;
	}
	if (s->es_pollq != NULL) {
		evbuffer_free(s->es_pollq);
		s->es_pollq = NULL;
	}
}

static void
server_session_on_packet(struct eio_session *s, struct conn *from, const struct eio_packet *p)
{
	struct gw *gw = s->es_gw;

	if (s->es_closed)
		return;
	/* The WebSocket being probed speaks only the probe and upgrade packets. */
	if (s->es_upgrading && from != NULL && from == s->es_ws) {
		if (p->type == EIO_PING && p->len == 5 && memcmp(p->data, "probe", 5) == 0) {
			server_ws_packet(from, EIO_PONG, p->data, p->len);
			if (s->es_get != NULL && s->es_pollq_n == 0)
				server_session_answer_get(s, EIO_NOOP);
		} else if (p->type == EIO_UPGRADE)
			server_upgrade_done(s);
		else if (p->type != EIO_NOOP)
			server_ws_close(from, WS_CLOSE_PROTOCOL, "bad probe");
		return;
	}
	switch (p->type) {
	case EIO_PONG:
		if (s->es_await_pong) {
			evtimer_del(s->es_hb);
			server_hb_schedule(s, 0);
		}
		break;
	case EIO_PING:
		server_session_packet(s, EIO_PONG, p->data, p->len, 0);
		break;
	case EIO_CLOSE:
		gw->m.disc_client++;
		session_close(s, "client close", EIO_NOOP);
		break;
	case EIO_MESSAGE:
		if (s->es_raw)
			server_session_packet(s, EIO_MESSAGE, p->data, p->len, p->binary);
		else
			server_sio_message(s, p->data, p->len, p->binary);
		break;
	case EIO_NOOP:
		break;
	default:
		gw->m.bad_eio++;
		gw->m.disc_parse++;
		session_close(s, "bad packet", EIO_CLOSE);
		break;
	}
}

/* ---------------------------------------------------------------- WebSocket input */

static void
server_ws_message(struct conn *c, int opcode, char *data, size_t len)
{
	struct eio_session *s = c->c_sess;
	struct eio_packet p;

	if (s == NULL || s->es_closed) {
		server_ws_close(c, WS_CLOSE_NORMAL, "no session");
		return;
	}
	if (opcode == WS_OP_BINARY) {
		memset(&p, 0, sizeof(p));
		p.type = EIO_MESSAGE;
		p.binary = 1;
		p.data = data;
		p.len = len;
	} else if (eio_decode_text(data, len, &p) < 0) {
		c->c_gw->m.bad_eio++;
		c->c_gw->m.disc_parse++;
		log_warnx("bad_packet", "%s: %s: bad Engine.IO packet", __func__, s->es_id);
		session_close(s, "parse error", EIO_CLOSE);
		return;
	}
	server_session_on_packet(s, c, &p);
}

static void
server_ws_process(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->c_bev);
	struct ws_frame f;
	enum ws_status st;
	size_t len, need, avail;
	uint8_t *buf;

	while (!c->c_closing && (len = evbuffer_get_length(in)) > 0) {
		avail = len < 14 ? len : 14;
		buf = evbuffer_pullup(in, (ssize_t)avail);
		st = ws_read(&c->c_wsr, buf, avail, &f, &need);
		if (st == WS_NEED_MORE && need > avail) {
			if (len < need)
				return;
			buf = evbuffer_pullup(in, (ssize_t)need);
			st = ws_read(&c->c_wsr, buf, need, &f, &need);
		}
		if (st == WS_NEED_MORE)
			return;
		if (st == WS_ERROR) {
			c->c_gw->m.bad_ws++;
			log_warnx(f.reason, "%s: %s: WebSocket protocol error", __func__,
				  c->c_peer);
			server_ws_close(c, f.close_code, f.reason);
			return;
		}
		if (f.control) {
			switch (f.opcode) {
			case WS_OP_PING:
				server_ws_frame(c, WS_OP_PONG, f.data, f.len);
				break;
			case WS_OP_CLOSE:
				server_ws_close(c, WS_CLOSE_NORMAL, "peer closed");
				return;
			default:
				break;
			}
			evbuffer_drain(in, f.consumed);
			continue;
		}
		if (f.fin && (c->c_msg == NULL || evbuffer_get_length(c->c_msg) == 0)) {
			/* the common case: a whole message in one frame, copied out
			 * (NUL-terminated for the text parsers) before it is drained */
			char *m = malloc(f.len + 1);
			if (m == NULL) {
				conn_close(c, "out of memory");
				return;
			}
			memcpy(m, f.data, f.len);
			m[f.len] = '\0';
			evbuffer_drain(in, f.consumed);
			server_ws_message(c, f.opcode, m, f.len);
			free(m);
			continue;
		}
		if (c->c_msg == NULL && (c->c_msg = evbuffer_new()) == NULL) {
			conn_close(c, "out of memory");
			return;
		}
		evbuffer_add(c->c_msg, f.data, f.len);
		evbuffer_drain(in, f.consumed);
		if (f.fin) {
			size_t ml = evbuffer_get_length(c->c_msg);
			char *m = malloc(ml + 1);
			if (m == NULL) {
				conn_close(c, "out of memory");
				return;
			}
			evbuffer_remove(c->c_msg, m, ml);
			m[ml] = '\0';
			server_ws_message(c, f.opcode, m, ml);
			free(m);
		}
	}
}

/* ---------------------------------------------------------------- HTTP: Engine.IO */

/* RFC 6455 4.2.1: Sec-WebSocket-Key is the base64 of 16 bytes (24 characters, "==" last). */
static int
server_ws_key_valid(const char *key, size_t len)
{
	size_t i;

	if (len != 24 || key[22] != '=' || key[23] != '=')
		return 0;
	for (i = 0; i < 22; i++)
		if (!((key[i] >= 'A' && key[i] <= 'Z') || (key[i] >= 'a' && key[i] <= 'z') ||
		      (key[i] >= '0' && key[i] <= '9') || key[i] == '+' || key[i] == '/'))
			return 0;
	return strchr("AQgw", key[21]) != NULL;
}

/* Completes a WebSocket handshake for session s (NULL: a new session).  With
 * refuse set, s already has its WebSocket (or is probing one): like the
 * reference server, this one is accepted and closed at once, and s goes on
 * undisturbed. */
static void
server_ws_handshake(struct conn *c, const struct http_request *req, struct eio_session *s, int raw,
		    int refuse)
{
	struct gw *gw = c->c_gw;
	struct evbuffer *out = bufferevent_get_output(c->c_bev);
	const char *key;
	size_t keylen;
	char accept[WS_ACCEPT_LEN + 1], open[256];

	key = http_header(req, "sec-websocket-key", &keylen);
	if (strcmp(req->method, "GET") != 0 || key == NULL || !server_ws_key_valid(key, keylen) ||
	    !http_header_has_token(req, "upgrade", "websocket") ||
	    !http_header_has_token(req, "connection", "upgrade") ||
	    !http_header_has_token(req, "sec-websocket-version", "13") ||
	    ws_accept(key, keylen, accept) < 0) {
		c->c_keepalive = 0;
		server_eio_error(c, 3, "Bad request");
		return;
	}
	if (!refuse && s == NULL && (s = server_session_new(gw, c, raw, ES_WEBSOCKET)) == NULL) {
		c->c_keepalive = 0;
		conn_respond_str(c, 503, "text/plain", NULL, "busy\n");
		return;
	}
	evbuffer_add_printf(out,
			    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			    "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
			    accept);
	conn_websocket(c);
	ws_reader_init(&c->c_wsr, gw->cfg.max_payload);
	if (refuse) {
		gw->m.bad_eio++;
		server_ws_close(c, WS_CLOSE_NORMAL, "session has a WebSocket");
		return;
	}
	c->c_sess = s;
	s->es_ws = c;
	if (s->es_transport == ES_POLLING) {
		s->es_upgrading = 1;
		return;
	}
	server_open_packet(s, open, sizeof(open), 0);
	server_ws_frame(c, WS_OP_TEXT, open, strlen(open));
}

static void
server_poll_post(struct conn *c, struct eio_session *s, const char *body, size_t len)
{
	struct eio_packet p;
	size_t off = 0;
	char *scratch;
	int r;

	if (s->es_post_active) {
		server_eio_error(c, 3, "Bad request");
		session_close(s, "concurrent post", EIO_CLOSE);
		return;
	}
	if ((scratch = malloc(len / 4 * 3 + 4)) == NULL) {
		conn_respond_str(c, 503, "text/plain", NULL, "busy\n");
		return;
	}
	s->es_post_active = 1;
	while (!s->es_closed && (r = eio_payload_next(body, len, &off, &p, scratch)) != 0) {
		if (r < 0) {
			s->es_post_active = 0;
			free(scratch);
			server_eio_error(c, 3, "Bad request");
			c->c_gw->m.disc_parse++;
			session_close(s, "parse error", EIO_CLOSE);
			return;
		}
		server_session_on_packet(s, NULL, &p);
	}
	s->es_post_active = 0;
	free(scratch);
	conn_respond_str(c, 200, "text/html", NULL, "ok");
}

static void
server_eio_http(struct conn *c, const struct http_request *req, int raw, const char *query,
		size_t qlen, const char *body)
{
	struct gw *gw = c->c_gw;
	char eio[8], transport[16], id[64], open[256];
	struct eio_session *s = NULL;
	int is_ws, has_id;

	if (!gw->cfg.conformance && !auth_origin(gw, req)) {
		gw->m.refused_origin++;
		log_warnx("origin", "%s: %s: foreign Origin refused", __func__, c->c_peer);
		conn_respond_str(c, 403, "application/json", NULL,
				 "{\"code\":4,\"message\":\"Forbidden\"}");
		return;
	}
	if (gw->cfg.conformance && strcmp(req->method, "OPTIONS") == 0) {
		conn_respond(c, 204, NULL,
			     "Access-Control-Allow-Methods: GET,HEAD,PUT,PATCH,POST,DELETE\r\n"
			     "Access-Control-Allow-Headers: content-type\r\n",
			     NULL, 0);
		return;
	}
	if (http_query_get(query, qlen, "EIO", eio, sizeof(eio)) < 0 || strcmp(eio, "4") != 0) {
		server_eio_error(c, 5, "Unsupported protocol version");
		return;
	}
	if (http_query_get(query, qlen, "transport", transport, sizeof(transport)) < 0 ||
	    (strcmp(transport, "polling") != 0 && strcmp(transport, "websocket") != 0)) {
		server_eio_error(c, 0, "Transport unknown");
		return;
	}
	is_ws = strcmp(transport, "websocket") == 0;
	/* Engine.IO's "sid" is the session's id */
	has_id = http_query_get(query, qlen, "sid", id, sizeof(id)) >= 0;
	if (has_id) {
		s = server_session_find(gw, id);
		if (s == NULL || s->es_closed || s->es_raw != raw) {
			server_eio_error(c, 1, "Session ID unknown");
			return;
		}
	}
	if (is_ws) {
		server_ws_handshake(c, req, s, raw,
				    s != NULL &&
					(s->es_transport != ES_POLLING || s->es_upgrading));
		return;
	}
	if (http_header(req, "upgrade", NULL) != NULL &&
	    http_header_has_token(req, "connection", "upgrade")) {
		server_eio_error(c, 3, "Bad request");
		return;
	}
	if (s == NULL) {
		/* handshake */
		if (strcmp(req->method, "GET") != 0) {
			server_eio_error(c, 2, "Bad handshake method");
			return;
		}
		if ((s = server_session_new(gw, c, raw, ES_POLLING)) == NULL) {
			conn_respond_str(c, 503, "text/plain", NULL, "busy\n");
			return;
		}
		server_open_packet(s, open, sizeof(open), 1);
		conn_respond(c, 200, "text/plain; charset=UTF-8", NULL, open, strlen(open));
		return;
	}
	if (s->es_transport != ES_POLLING) {
		server_eio_error(c, 3, "Bad request");
		return;
	}
	if (strcmp(req->method, "GET") == 0) {
		if (s->es_get != NULL) {
			/* one long-poll at a time: refuse this one, close the session */
			server_eio_error(c, 3, "Bad request");
			gw->m.disc_parse++;
			session_close(s, "duplicate poll", EIO_CLOSE);
			return;
		}
		s->es_get = c;
		c->c_poll = s;
		if (s->es_pollq_n > 0)
			server_session_wake(s);
		else if (s->es_upgrading)
			server_session_answer_get(s, EIO_NOOP);
		return;
	}
	if (strcmp(req->method, "POST") == 0) {
		server_poll_post(c, s, body, (size_t)req->clen);
		return;
	}
	server_eio_error(c, 2, "Bad handshake method");
}

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
		server_eio_http(c, req, 0, query, qlen, body);
		return;
	}
	if (gw->cfg.conformance &&
	    (server_prefix(path, "/engine.io/") || strcmp(path, "/engine.io") == 0)) {
		server_eio_http(c, req, 1, query, qlen, body);
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
		server_ws_process(c);
}

/* Bytes arrived on c (gw->hooks.conn_input). */
static void
server_conn_process(struct conn *c)
{
	if (c->c_state == CONN_WS)
		server_ws_process(c);
	else
		server_http_process(c);
}

/* ---------------------------------------------------------------- slow clients */

/* Called after output was queued for session s: applies the soft and hard limits. */
int
server_check_outbuf(struct eio_session *s)
{
	struct gw *gw = s->es_gw;
	size_t n = session_outlen(s);

	if (outq_check(gw, s->es_ws, n) == 0)
		return 0;
	gw->m.disc_outbuf++;
	log_warnx("outbuf_hard", "%s: client %s: output %zu bytes over the hard limit", __func__,
		  s->es_id, n);
	session_close(s, "slow client", EIO_CLOSE);
	return -1;
}

/* c's output has been over the soft limit for outbuf_soft_seconds: its client goes. */
static void
server_conn_slow(struct conn *c)
{
	struct gw *gw = c->c_gw;
	struct eio_session *s;

	if ((s = c->c_sess) == NULL || s->es_closed || s->es_ws != c ||
	    session_outlen(s) <= gw->cfg.outbuf_soft)
		return; /* gone, or caught up meanwhile */
	gw->m.disc_outbuf++;
	log_warnx("outbuf_soft", "%s: client %s: output over the soft limit for %d s", __func__,
		  s->es_id, gw->cfg.outbuf_soft_seconds);
	session_close(s, "slow client", EIO_CLOSE);
}

/* ---------------------------------------------------------------- accept */

/* Heartbeats of every session share two durations: libevent keeps timers of
 * one "common timeout" in a list instead of its heap. */
static void
server_hb_init(struct gw *gw)
{
	struct timeval ping = util_ms_tv(gw->cfg.ping_interval);
	struct timeval pong = util_ms_tv(gw->cfg.ping_timeout);
	const struct timeval *t;

	gw->hb_ping_tv = ping;
	gw->hb_pong_tv = pong;
	if ((t = event_base_init_common_timeout(gw->base, &ping)) != NULL)
		gw->hb_ping_tv = *t;
	if ((t = event_base_init_common_timeout(gw->base, &pong)) != NULL)
		gw->hb_pong_tv = *t;
}

int
server_listen(struct gw *gw, char *err, size_t errlen)
{
	RB_INIT(&gw->eio_sessions);
	TAILQ_INIT(&gw->eio_dead);
	TAILQ_INIT(&gw->flushq);
	TAILQ_INIT(&gw->api);
	gw->hooks.conn_input = server_conn_process;
	gw->hooks.conn_gone = server_conn_gone;
	gw->hooks.conn_slow = server_conn_slow;
	gw->reaper = event_new(gw->base, -1, 0, server_reaper, gw);
	gw->flush_ev = event_new(gw->base, -1, 0, server_flush_cb, gw);
	if (gw->reaper == NULL || gw->flush_ev == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	server_hb_init(gw);
	return conn_listen(gw, err, errlen);
}

void
server_shutdown(struct gw *gw)
{
	struct eio_session *s, *ns;

	gw->shutting_down = 1;
	RB_FOREACH_SAFE (s, eio_session_tree, &gw->eio_sessions, ns) {
		gw->m.disc_shutdown++;
		if (s->es_ws != NULL && !s->es_upgrading) {
			struct conn *wc = s->es_ws;
			s->es_ws = NULL;
			wc->c_sess = NULL;
			session_close(s, "server shutting down", EIO_CLOSE);
			server_ws_close(wc, WS_CLOSE_GOING_AWAY, "server shutting down");
		} else
			session_close(s, "server shutting down", EIO_CLOSE);
	}
	conn_shutdown(gw);
	server_reaper(-1, 0, gw);
	if (gw->reaper)
		event_free(gw->reaper);
	if (gw->flush_ev)
		event_free(gw->flush_ev);
	gw->reaper = gw->flush_ev = NULL;
}
