/*
 * eio_session.c: Engine.IO sessions: their requests, packets, heartbeat,
 * upgrade and end.
 *
 * A session (struct eio_session) outlives the HTTP requests of long-polling
 * and moves to a WebSocket on upgrade: the client probes a second conn with
 * "2probe", we answer "3probe" and release the parked GET with a noop, the
 * client sends "5" and what was queued for polling goes out on the WebSocket,
 * in order.  Sessions are found by id in gw->eio_sessions (a red-black tree).
 *
 * Each session has one timer: the next ping, then the pong deadline (two
 * libevent common timeouts, so that arming one costs O(1) with many clients).
 *
 * The transports below (polling.c, websocket.c, outq.c, conn.c) carry
 * packets; what they report comes back through gw->hooks (a conn gone, a
 * WebSocket message, a conn too slow).  The protocol above (the Socket.IO
 * layer, or the echo of --conformance on /engine.io/) gets each message and
 * the session's end through the session's es_ops, chosen by the path the
 * session was opened on.
 *
 * Closing is two-step: eio_session_close() unlinks the session and puts it on
 * a dead list; the reaper event frees it after the current callback returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "log.h"
#include "util.h"

#define EIO_SESSION_OPEN_MAX  256 /* the open packet */
#define EIO_SESSION_PARAM_MAX 64  /* EIO, transport, sid: longer is not a known value */
#define EIO_SESSION_PROBE     "probe"

RB_GENERATE(eio_session_tree, eio_session, es_node, eio_session_cmp)

int
eio_session_cmp(struct eio_session *a, struct eio_session *b)
{
	return strcmp(a->es_id, b->es_id);
}

static void eio_session_hb_schedule(struct eio_session *s, int await_pong);

/* ---------------------------------------------------------------- deferred frees */

static void
eio_session_reaper(evutil_socket_t fd, short ev, void *arg)
{
	struct gw *gw = arg;
	struct eio_session *s;

	while ((s = TAILQ_FIRST(&gw->eio_dead)) != NULL) {
		TAILQ_REMOVE(&gw->eio_dead, s, es_dead_entry);
		if (s->es_hb != NULL)
			event_free(s->es_hb);
		polling_free(s);
		if (s->es_ops->eo_free != NULL)
			s->es_ops->eo_free(s);
		free(s);
	}
}

/* ---------------------------------------------------------------- output */

/* Sends one Engine.IO packet on the session's current transport. */
static void
eio_session_packet(struct eio_session *s, int type, const char *data, size_t len, int binary)
{
	if (s->es_closed)
		return;
	if (type == EIO_MESSAGE)
		s->es_gw->m.msgs_sent++;
	if (s->es_transport == ES_WEBSOCKET) {
		if (s->es_ws == NULL)
			return;
		if (binary)
			outq_frame(s->es_ws, WS_OP_BINARY, 0, data, len);
		else
			websocket_packet(s->es_ws, type, data, len);
		return;
	}
	polling_queue(s, type, data, len, binary);
}

void
eio_session_send(struct eio_session *s, const char *data, size_t len, int binary)
{
	eio_session_packet(s, EIO_MESSAGE, data, len, binary);
}

void
eio_session_send_bcast(struct eio_session *s, struct bcast *b)
{
	if (s->es_closed)
		return;
	if (s->es_transport == ES_WEBSOCKET && s->es_ws != NULL && !s->es_ws->c_closing) {
		if (outq_bcast(s->es_ws, b) == 0)
			s->es_gw->m.msgs_sent++;
		return;
	}
	/* polling (or upgrading): the text packet, type digit included */
	eio_session_packet(s, EIO_MESSAGE, b->buf + BCAST_HEADROOM + 1, b->len - 1, 0);
}

size_t
eio_session_outlen(struct eio_session *s)
{
	if (s->es_transport == ES_WEBSOCKET && s->es_ws != NULL && s->es_ws->c_bev != NULL)
		return outq_len(s->es_ws);
	return polling_len(s);
}

int
eio_session_check_output(struct eio_session *s)
{
	struct gw *gw = s->es_gw;
	size_t n = eio_session_outlen(s);

	if (outq_check(gw, s->es_ws, n) == 0)
		return 0;
	log_warnx("outbuf_hard", "%s: client %s: output %zu bytes over the hard limit", __func__,
		  s->es_id, n);
	eio_session_close(s, GW_DISC_SLOW, "slow client", EIO_CLOSE);
	return -1;
}

/* ---------------------------------------------------------------- closing */

void
eio_session_close(struct eio_session *s, enum gw_disc why, const char *reason, int answer)
{
	struct gw *gw = s->es_gw;
	struct conn *c;

	if (s->es_closed)
		return;
	s->es_closed = 1;
	conn_count_disconnect(gw, why);
	log_debug("%s: %s: %s", __func__, s->es_id, reason);
	if (s->es_in_tree) {
		RB_REMOVE(eio_session_tree, &gw->eio_sessions, s);
		s->es_in_tree = 0;
	}
	polling_stop(s);
	if (s->es_ops->eo_closed != NULL)
		s->es_ops->eo_closed(s);
	if (s->es_hb != NULL)
		evtimer_del(s->es_hb);
	if (s->es_transport == ES_POLLING && !s->es_upgrading && gw->npolling > 0)
		gw->npolling--;
	polling_answer(s, answer);
	if ((c = s->es_ws) != NULL) {
		s->es_ws = NULL;
		c->c_sess = NULL;
		websocket_close(c, WS_CLOSE_NORMAL, reason);
	}
	TAILQ_INSERT_TAIL(&gw->eio_dead, s, es_dead_entry);
	if (gw->eio_reaper != NULL) /* NULL after eio_session_shutdown() */
		event_active(gw->eio_reaper, EV_TIMEOUT, 0);
}

/* A conn is closing (gw->hooks.conn_gone): a session that held it loses it. */
static void
eio_session_conn_gone(struct conn *c)
{
	struct eio_session *s;

	if ((s = c->c_poll) != NULL) {
		c->c_poll = NULL;
		if (s->es_get == c) {
			s->es_get = NULL;
			/* a long-poll that went away: the client is gone */
			if (!s->es_upgrading)
				eio_session_close(s, GW_DISC_TRANSPORT, "transport close",
						  EIO_CLOSE);
		}
	}
	if ((s = c->c_sess) != NULL) {
		c->c_sess = NULL;
		if (s->es_ws == c) {
			s->es_ws = NULL;
			if (s->es_upgrading) {
				/* a failed probe: stay on polling */
				s->es_upgrading = 0;
			} else
				eio_session_close(s, GW_DISC_TRANSPORT, "transport close",
						  EIO_CLOSE);
		}
	}
}

/* c's output has been over the soft limit for too long (gw->hooks.conn_slow): its client goes. */
static void
eio_session_conn_slow(struct conn *c)
{
	struct gw *gw = c->c_gw;
	struct eio_session *s;

	if ((s = c->c_sess) == NULL || s->es_closed || s->es_ws != c ||
	    eio_session_outlen(s) <= gw->cfg.outbuf_soft)
		return; /* gone, or caught up meanwhile */
	log_warnx("outbuf_soft", "%s: client %s: output over the soft limit for %ld ms", __func__,
		  s->es_id, gw->cfg.outbuf_soft_ms);
	eio_session_close(s, GW_DISC_SLOW, "slow client", EIO_CLOSE);
}

/* ---------------------------------------------------------------- heartbeat */

static void
eio_session_hb_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct eio_session *s = arg;

	if (s->es_closed)
		return;
	if (s->es_await_pong) {
		eio_session_close(s, GW_DISC_PING_TIMEOUT, "ping timeout", EIO_CLOSE);
		return;
	}
	eio_session_packet(s, EIO_PING, NULL, 0, 0);
	eio_session_hb_schedule(s, 1);
}

/* Arms the heartbeat: the next ping, or (await_pong) the pong deadline. */
static void
eio_session_hb_schedule(struct eio_session *s, int await_pong)
{
	struct gw *gw = s->es_gw;

	s->es_await_pong = await_pong;
	evtimer_add(s->es_hb, await_pong ? &gw->hb_pong_tv : &gw->hb_ping_tv);
}

/* ---------------------------------------------------------------- packets */

static void
eio_session_upgrade_done(struct eio_session *s)
{
	struct gw *gw = s->es_gw;

	s->es_upgrading = 0;
	s->es_transport = ES_WEBSOCKET;
	if (gw->npolling > 0)
		gw->npolling--;
	polling_answer(s, EIO_NOOP);
	/* what was queued for polling goes out on the WebSocket, in order */
	polling_to_websocket(s, s->es_ws);
}

/* A packet on the WebSocket being probed: only the probe and the upgrade. */
static void
eio_session_probe(struct eio_session *s, struct conn *from, const struct eio_packet *p)
{
	static const char probe[] = EIO_SESSION_PROBE;

	if (p->type == EIO_PING && p->len == sizeof(probe) - 1 &&
	    memcmp(p->data, probe, p->len) == 0) {
		websocket_packet(from, EIO_PONG, p->data, p->len);
		if (s->es_get != NULL && s->es_pollq_n == 0)
			polling_answer(s, EIO_NOOP);
	} else if (p->type == EIO_UPGRADE)
		eio_session_upgrade_done(s);
	else if (p->type != EIO_NOOP)
		websocket_close(from, WS_CLOSE_PROTOCOL, "bad probe");
}

/* A packet from the client, by POST (from NULL) or on the WebSocket from. */
static void
eio_session_on_packet(struct eio_session *s, struct conn *from, const struct eio_packet *p)
{
	struct gw *gw = s->es_gw;

	if (s->es_closed)
		return;
	if (s->es_upgrading && from != NULL && from == s->es_ws) {
		eio_session_probe(s, from, p);
		return;
	}
	switch (p->type) {
	case EIO_PONG:
		if (s->es_await_pong) {
			evtimer_del(s->es_hb);
			eio_session_hb_schedule(s, 0);
		}
		break;
	case EIO_PING:
		eio_session_packet(s, EIO_PONG, p->data, p->len, 0);
		break;
	case EIO_CLOSE:
		eio_session_close(s, GW_DISC_CLIENT, "client close", EIO_NOOP);
		break;
	case EIO_MESSAGE:
		s->es_ops->eo_message(s, p->data, p->len, p->binary);
		break;
	case EIO_NOOP:
		break;
	default:
		gw->m.bad_eio++;
		eio_session_close(s, GW_DISC_PARSE, "bad packet", EIO_CLOSE);
		break;
	}
}

/* A whole WebSocket message on c (gw->hooks.ws_message). */
static void
eio_session_ws_message(struct conn *c, int opcode, char *data, size_t len)
{
	struct eio_session *s = c->c_sess;
	struct eio_packet p;

	if (s == NULL || s->es_closed) {
		websocket_close(c, WS_CLOSE_NORMAL, "no session");
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
		log_warnx("bad_packet", "%s: %s: bad Engine.IO packet", __func__, s->es_id);
		eio_session_close(s, GW_DISC_PARSE, "parse error", EIO_CLOSE);
		return;
	}
	eio_session_on_packet(s, c, &p);
}

/* ---------------------------------------------------------------- requests */

/* Engine.IO's JSON errors: {"code":N,"message":"..."} with 400. */
static void
eio_session_error(struct conn *c, int code, const char *msg)
{
	char body[128];
	int n;

	c->c_gw->m.bad_eio++;
	n = snprintf(body, sizeof(body), "{\"code\":%d,\"message\":\"%s\"}", code, msg);
	conn_respond(c, 400, "application/json", NULL, body, (size_t)n);
}

static struct eio_session *
eio_session_new(struct gw *gw, const struct eio_session_ops *ops, enum eio_session_transport t)
{
	struct eio_session *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->es_gw = gw;
	s->es_ops = ops;
	s->es_transport = t;
	if ((s->es_hb = evtimer_new(gw->base, eio_session_hb_cb, s)) == NULL) {
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
	eio_session_hb_schedule(s, 0);
	return s;
}

static struct eio_session *
eio_session_find(struct gw *gw, const char *id)
{
	struct eio_session key;

	if (strlen(id) != EIO_SID_LEN)
		return NULL;
	memcpy(key.es_id, id, EIO_SID_LEN + 1);
	return RB_FIND(eio_session_tree, &gw->eio_sessions, &key);
}

/* The open packet ("0" and its JSON) into out. */
static void
eio_session_open_packet(struct eio_session *s, char *out, size_t outlen, int can_upgrade)
{
	out[0] = '0' + EIO_OPEN;
	eio_open_json(out + 1, outlen - 1, s->es_id, can_upgrade, s->es_gw->cfg.ping_interval,
		      s->es_gw->cfg.ping_timeout, (long)s->es_gw->cfg.max_payload);
}

/* A WebSocket handshake for session s (NULL: a new session).  With refuse set,
 * s already has its WebSocket (or is probing one): like the reference server,
 * this one is accepted and closed at once, and s goes on undisturbed. */
static void
eio_session_websocket(struct conn *c, const struct http_request *req, struct eio_session *s,
		      const struct eio_session_ops *ops, int refuse)
{
	struct gw *gw = c->c_gw;
	char accept[WS_ACCEPT_LEN + 1], open[EIO_SESSION_OPEN_MAX];

	if (websocket_check(req, accept) < 0) {
		c->c_keepalive = 0;
		eio_session_error(c, 3, "Bad request");
		return;
	}
	if (!refuse && s == NULL && (s = eio_session_new(gw, ops, ES_WEBSOCKET)) == NULL) {
		c->c_keepalive = 0;
		conn_respond_str(c, 503, "text/plain", NULL, "busy\n");
		return;
	}
	websocket_accept(c, accept);
	if (refuse) {
		gw->m.bad_eio++;
		websocket_close(c, WS_CLOSE_NORMAL, "session has a WebSocket");
		return;
	}
	c->c_sess = s;
	s->es_ws = c;
	if (s->es_transport == ES_POLLING) {
		s->es_upgrading = 1;
		return;
	}
	eio_session_open_packet(s, open, sizeof(open), 0);
	outq_frame(c, WS_OP_TEXT, 0, open, strlen(open));
}

/* A polling POST: the packets of its body, one by one. */
static void
eio_session_post(struct conn *c, struct eio_session *s, const char *body, size_t len)
{
	struct eio_packet p;
	size_t off = 0;
	char *scratch;
	int r;

	if (s->es_post_active) {
		eio_session_error(c, 3, "Bad request");
		eio_session_close(s, GW_DISC_NONE, "concurrent post", EIO_CLOSE);
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
			eio_session_error(c, 3, "Bad request");
			eio_session_close(s, GW_DISC_PARSE, "parse error", EIO_CLOSE);
			return;
		}
		eio_session_on_packet(s, NULL, &p);
	}
	s->es_post_active = 0;
	free(scratch);
	conn_respond_str(c, 200, "text/html", NULL, "ok");
}

/* A polling request: the handshake (s NULL), a GET that waits for packets, a POST. */
static void
eio_session_polling(struct conn *c, const struct http_request *req, struct eio_session *s,
		    const struct eio_session_ops *ops, const char *body)
{
	char open[EIO_SESSION_OPEN_MAX];

	if (s == NULL) {
		if (strcmp(req->method, "GET") != 0) {
			eio_session_error(c, 2, "Bad handshake method");
			return;
		}
		if ((s = eio_session_new(c->c_gw, ops, ES_POLLING)) == NULL) {
			conn_respond_str(c, 503, "text/plain", NULL, "busy\n");
			return;
		}
		eio_session_open_packet(s, open, sizeof(open), 1);
		conn_respond(c, 200, "text/plain; charset=UTF-8", NULL, open, strlen(open));
		return;
	}
	if (s->es_transport != ES_POLLING) {
		eio_session_error(c, 3, "Bad request");
		return;
	}
	if (strcmp(req->method, "GET") == 0) {
		if (s->es_get != NULL) {
			/* one long-poll at a time: refuse this one, close the session */
			eio_session_error(c, 3, "Bad request");
			eio_session_close(s, GW_DISC_PARSE, "duplicate poll", EIO_CLOSE);
			return;
		}
		polling_park(s, c);
		return;
	}
	if (strcmp(req->method, "POST") == 0) {
		eio_session_post(c, s, body, (size_t)req->clen);
		return;
	}
	eio_session_error(c, 2, "Bad handshake method");
}

void
eio_session_http(struct conn *c, const struct http_request *req, const struct eio_session_ops *ops,
		 const char *query, size_t qlen, const char *body)
{
	struct gw *gw = c->c_gw;
	char eio[EIO_SESSION_PARAM_MAX], transport[EIO_SESSION_PARAM_MAX],
	    id[EIO_SESSION_PARAM_MAX];
	struct eio_session *s = NULL;

	if (!auth_origin(gw, req)) {
		log_warnx("origin", "%s: %s: foreign Origin refused", __func__, c->c_peer);
		conn_refuse(c, GW_REFUSED_ORIGIN, 403, "application/json", NULL,
			    "{\"code\":4,\"message\":\"Forbidden\"}");
		return;
	}
	if (gw->cfg.cors_origin[0] != '\0' && strcmp(req->method, "OPTIONS") == 0) {
		/* a CORS preflight */
		conn_respond(c, 204, NULL,
			     "Access-Control-Allow-Methods: GET,HEAD,PUT,PATCH,POST,DELETE\r\n"
			     "Access-Control-Allow-Headers: content-type\r\n",
			     NULL, 0);
		return;
	}
	if (http_query_get(query, qlen, "EIO", eio, sizeof(eio)) < 0 || strcmp(eio, "4") != 0) {
		eio_session_error(c, 5, "Unsupported protocol version");
		return;
	}
	if (http_query_get(query, qlen, "transport", transport, sizeof(transport)) < 0 ||
	    (strcmp(transport, "polling") != 0 && strcmp(transport, "websocket") != 0)) {
		eio_session_error(c, 0, "Transport unknown");
		return;
	}
	/* Engine.IO's "sid" is the session's id */
	if (http_query_get(query, qlen, "sid", id, sizeof(id)) >= 0) {
		s = eio_session_find(gw, id);
		if (s == NULL || s->es_closed || s->es_ops != ops) {
			eio_session_error(c, 1, "Session ID unknown");
			return;
		}
	}
	if (strcmp(transport, "websocket") == 0) {
		eio_session_websocket(c, req, s, ops,
				      s != NULL &&
					  (s->es_transport != ES_POLLING || s->es_upgrading));
		return;
	}
	if (http_header(req, "upgrade", NULL) != NULL &&
	    http_header_has_token(req, "connection", "upgrade")) {
		eio_session_error(c, 3, "Bad request");
		return;
	}
	eio_session_polling(c, req, s, ops, body);
}

/* ---------------------------------------------------------------- start, end */

int
eio_session_init(struct gw *gw)
{
	struct timeval ping = util_ms_tv(gw->cfg.ping_interval);
	struct timeval pong = util_ms_tv(gw->cfg.ping_timeout);
	const struct timeval *t;

	RB_INIT(&gw->eio_sessions);
	TAILQ_INIT(&gw->eio_dead);
	gw->hooks.conn_gone = eio_session_conn_gone;
	gw->hooks.conn_slow = eio_session_conn_slow;
	gw->hooks.ws_message = eio_session_ws_message;
	/* Heartbeats of every session share two durations: libevent keeps timers of
	 * one "common timeout" in a list instead of its heap. */
	gw->hb_ping_tv = ping;
	gw->hb_pong_tv = pong;
	if ((t = event_base_init_common_timeout(gw->base, &ping)) != NULL)
		gw->hb_ping_tv = *t;
	if ((t = event_base_init_common_timeout(gw->base, &pong)) != NULL)
		gw->hb_pong_tv = *t;
	gw->eio_reaper = event_new(gw->base, -1, 0, eio_session_reaper, gw);
	if (gw->eio_reaper == NULL || polling_init(gw) < 0)
		return -1;
	return 0;
}

void
eio_session_shutdown(struct gw *gw)
{
	struct eio_session *s, *ns;
	struct conn *wc;

	RB_FOREACH_SAFE (s, eio_session_tree, &gw->eio_sessions, ns) {
		if ((wc = s->es_ws) != NULL && !s->es_upgrading) {
			s->es_ws = NULL;
			wc->c_sess = NULL;
			eio_session_close(s, GW_DISC_SHUTDOWN, "server shutting down", EIO_CLOSE);
			websocket_close(wc, WS_CLOSE_GOING_AWAY, "server shutting down");
		} else
			eio_session_close(s, GW_DISC_SHUTDOWN, "server shutting down", EIO_CLOSE);
	}
}

void
eio_session_free_all(struct gw *gw)
{
	eio_session_reaper(-1, 0, gw);
	if (gw->eio_reaper != NULL)
		event_free(gw->eio_reaper);
	gw->eio_reaper = NULL;
	polling_shutdown(gw);
}
