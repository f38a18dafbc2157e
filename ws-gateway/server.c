/*
 * server.c: the HTTP request loop and routing.
 *
 * A conn's input is parsed as HTTP requests (keep-alive) until a WebSocket
 * handshake turns it into a WebSocket, whose frames websocket.c reads from
 * then on.  Each request is routed by its path: the Socket.IO browser client,
 * the Engine.IO paths the layers above registered at start-up (server_route:
 * /socket.io/, and /engine.io/ with --conformance), /healthz, /metrics,
 * /api/events, and the dashboard for the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "log.h"
#include "util.h"

#define SERVER_PATH_MAX 4096 /* a request's path, decoded; longer is refused with 400 */

/* ---------------------------------------------------------------- HTTP routing */

void
server_route(struct gw *gw, const char *path, const struct eio_session_ops *ops)
{
	if (gw->nroutes == SERVER_ROUTES_MAX)
		fatalx(EXIT_RUNTIME, "route", "%s: more than %d Engine.IO paths", __func__,
		       SERVER_ROUTES_MAX);
	gw->routes[gw->nroutes].rt_path = path;
	gw->routes[gw->nroutes].rt_ops = ops;
	gw->nroutes++;
}

/* Is path dir itself or under it? */
static int
server_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static void
server_http_dispatch(struct conn *c, const struct http_request *req, const char *body)
{
	struct gw *gw = c->c_gw;
	char path[SERVER_PATH_MAX];
	const char *query;
	size_t qlen, i;

	gw->m.http_requests++;
	c->c_keepalive = req->keep_alive;
	c->c_head = strcmp(req->method, "HEAD") == 0;
	if (http_split_target(req->target, req->target_len, path, sizeof(path), &query, &qlen) <
	    0) {
		c->c_keepalive = 0;
		conn_refuse(c, GW_REFUSED_PATH, 400, "text/plain", NULL, "bad request\n");
		return;
	}
	if (strcmp(path, "/socket.io/socket.io.js") == 0 ||
	    strcmp(path, "/socket.io/socket.io.min.js") == 0) {
		static_client_js(c, req);
		return;
	}
	for (i = 0; i < gw->nroutes; i++) {
		if (server_under(path, gw->routes[i].rt_path)) {
			eio_session_http(c, req, gw->routes[i].rt_ops, query, qlen, body);
			return;
		}
	}
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
		conn_respond_str(c, 405, "text/plain", "Allow: GET, HEAD\r\n",
				 "method not allowed\n");
		return;
	}
	if (strcmp(path, "/healthz") == 0) {
		metrics_healthz(c);
		return;
	}
	if (strcmp(path, "/metrics") == 0) {
		metrics_serve(c);
		return;
	}
	if (strcmp(path, "/api/events") == 0) {
		history_http(c, req, query, qlen);
		return;
	}
	if (strcmp(path, "/api/sessions") == 0) {
		cc_sessions_http(c, req, query, qlen);
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

	/* one request at a time: a parked long-poll or an answer still to come
	 * (c_await) holds the next until it is answered */
	while (!c->c_closing && c->c_state == CONN_HTTP && c->c_poll == NULL &&
	       c->c_await == NULL && (len = evbuffer_get_length(in)) > 0) {
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
