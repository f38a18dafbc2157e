/*
 * conn.c: connections: accept, the request-head deadline, responses, and
 * closing with a reason.
 *
 * Each accepted socket is a struct conn with one bufferevent (TLS or plain).
 * What arrives is handed to the layer above through gw->hooks.conn_input
 * (server.c's HTTP loop, which passes a WebSocket's bytes on to websocket.c);
 * conn.c itself knows no protocol above HTTP responses.  A WebSocket over
 * plain TCP writes through its output queue (outq.c): conn.c's events write
 * the queues, once per loop pass and when a full socket drains.
 *
 * Limits on the accept path: gateway.clients_max conns at once (the listener
 * pauses at the limit and resumes when one closes); out of descriptors, a
 * reserved one accepts and closes the connection that is waiting, then
 * accepting pauses for CONN_ACCEPT_PAUSE_MS, or libevent would haunt us with
 * the same error.  A request head must be complete within
 * gateway.header_timeout_ms of its first byte (of the accept, for the first).
 *
 * Closing is two-step: conn_close() unlinks the conn (the layer above is told
 * through gw->hooks.conn_gone), lets its output go out, then puts it on the
 * dead list; the reaper event frees it after the current callback returns
 * (never while a list of conns is being walked).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/bufferevent_ssl.h>
#include <openssl/ssl.h>

#include "gateway.h"
#include "log.h"
#include "util.h"

#define CONN_LINGER_SECONDS	5     /* a closing conn: the peer takes nothing for this long */
#define CONN_DRAIN_SECONDS	60    /* a closing conn's output, at most */
#define CONN_HTTP_IDLE_SECONDS	120   /* an HTTP conn without a byte, at least */
#define CONN_IDLE_SLACK_SECONDS 10    /* ... and past a heartbeat round */
#define CONN_READ_SLACK		65536 /* input read past one request or message */
#define CONN_LISTEN_BACKLOG	1024
#define CONN_ACCEPT_PAUSE_MS	100  /* out of descriptors: accepting pauses this long */
#define CONN_FMT_MAX		1024 /* a conn_respond_fmt() body; longer is cut */

/* ---------------------------------------------------------------- deferred frees */

static void
conn_reaper(evutil_socket_t fd, short ev, void *arg)
{
	struct gw *gw = arg;
	struct conn *c;

	while ((c = TAILQ_FIRST(&gw->dead_conns)) != NULL) {
		TAILQ_REMOVE(&gw->dead_conns, c, c_entry);
		if (c->c_bev != NULL)
			bufferevent_free(c->c_bev);
		if (c->c_msg != NULL)
			evbuffer_free(c->c_msg);
		if (c->c_linger != NULL)
			event_free(c->c_linger);
		if (c->c_hdr_ev != NULL)
			event_free(c->c_hdr_ev);
		outq_free(c);
		free(c);
	}
}

/* ---------------------------------------------------------------- request head deadline */

static void
conn_hdr_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct conn *c = arg;
	struct gw *gw = c->c_gw;

	c->c_hdr_armed = 0;
	if (c->c_closing || c->c_dead || c->c_state != CONN_HTTP)
		return;
	conn_count_refusal(gw, GW_REFUSED_HEADER_TIMEOUT);
	if (c->c_tls && !SSL_is_init_finished(bufferevent_openssl_get_ssl(c->c_bev))) {
		/* no TLS session to answer on */
		log_info("%s: %s: TLS handshake not complete after %ld ms; closing", __func__,
			 c->c_peer, gw->cfg.header_timeout);
		conn_close(c, "handshake timeout");
		return;
	}
	log_info("%s: %s: request head not complete after %ld ms; closing", __func__, c->c_peer,
		 gw->cfg.header_timeout);
	c->c_keepalive = 0;
	c->c_head = 0;
	conn_respond_str(c, 408, "text/plain", NULL, "request timeout\n");
}

void
conn_hdr_arm(struct conn *c)
{
	struct gw *gw = c->c_gw;

	if (c->c_hdr_armed || gw->cfg.header_timeout <= 0)
		return;
	if (c->c_hdr_ev == NULL && (c->c_hdr_ev = evtimer_new(gw->base, conn_hdr_cb, c)) == NULL)
		return;
	if (evtimer_add(c->c_hdr_ev, &gw->hdr_tv) == 0)
		c->c_hdr_armed = 1;
}

void
conn_hdr_disarm(struct conn *c)
{
	if (!c->c_hdr_armed)
		return;
	evtimer_del(c->c_hdr_ev);
	c->c_hdr_armed = 0;
}

/* ---------------------------------------------------------------- closing */

/* Tells the layer above (once) that c is going away; an answer still to
 * come for it (c_await) finds it gone. */
static void
conn_unlink(struct conn *c)
{
	if (c->c_await != NULL) {
		*c->c_await = NULL;
		c->c_await = NULL;
	}
	if (c->c_gw->hooks.conn_gone != NULL)
		c->c_gw->hooks.conn_gone(c);
}

static void
conn_free_now(struct conn *c)
{
	struct gw *gw = c->c_gw;

	if (c->c_dead)
		return;
	c->c_dead = 1;
	c->c_closing = 1;
	conn_unlink(c);
	if (c->c_state == CONN_WS && gw->nws > 0)
		gw->nws--;
	TAILQ_REMOVE(&gw->conns, c, c_entry);
	gw->nconns--;
	if (c->c_bev != NULL)
		bufferevent_disable(c->c_bev, EV_READ | EV_WRITE);
	conn_hdr_disarm(c);
	outq_stop(c);
	TAILQ_INSERT_TAIL(&gw->dead_conns, c, c_entry);
	if (gw->conn_reaper != NULL) /* NULL after conn_shutdown() */
		event_active(gw->conn_reaper, EV_TIMEOUT, 0);
	/* A listener paused for clients_max resumes. */
	if (gw->lst != NULL && !gw->shutting_down)
		evconnlistener_enable(gw->lst);
}

static void
conn_linger_cb(evutil_socket_t fd, short ev, void *arg)
{
	conn_free_now(arg);
}

static void
conn_event_closing(struct bufferevent *bev, short what, void *arg)
{
	conn_free_now(arg);
}

static void
conn_discard(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);

	evbuffer_drain(in, evbuffer_get_length(in));
}

/* Output is out: half-close and read what the peer still sends until its EOF
 * (or the linger timer), so that closing with unread input does not reset the
 * connection and destroy the response before the peer has read it. */
static void
conn_drained(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct timeval tv = {CONN_LINGER_SECONDS, 0};

	if (evbuffer_get_length(bufferevent_get_output(bev)) != 0)
		return;
	if (c->c_tls) {
		conn_free_now(c);
		return;
	}
	shutdown(bufferevent_getfd(bev), SHUT_WR);
	conn_discard(bev, c);
	bufferevent_setcb(bev, conn_discard, NULL, conn_event_closing, c);
	bufferevent_disable(bev, EV_WRITE);
	event_base_update_cache_time(c->c_gw->base);
	bufferevent_set_timeouts(bev, &tv, NULL);
	bufferevent_enable(bev, EV_READ);
	if (c->c_linger != NULL)
		evtimer_add(c->c_linger, &tv);
}

void
conn_close(struct conn *c, const char *reason)
{
	struct timeval tv = {CONN_LINGER_SECONDS, 0};
	struct timeval drain = {CONN_DRAIN_SECONDS, 0};

	if (c->c_closing || c->c_dead)
		return;
	c->c_closing = 1;
	log_debug("%s: %s: %s", __func__, c->c_peer, reason);
	conn_unlink(c);
	if (outq_busy(c)) {
		/* conn_flushed() frees the conn once its queue is empty */
		bufferevent_disable(c->c_bev, EV_READ);
		c->c_linger = evtimer_new(c->c_gw->base, conn_linger_cb, c);
		if (c->c_linger != NULL)
			evtimer_add(c->c_linger, &tv);
		return;
	}
	if (c->c_bev == NULL || evbuffer_get_length(bufferevent_get_output(c->c_bev)) == 0) {
		conn_free_now(c);
		return;
	}
	/* Let queued output (an error response, a close frame, a long-poll
	 * response of a megabyte) go out first.  What bounds that is progress:
	 * the write timeout fires when the peer has taken nothing for
	 * CONN_LINGER_SECONDS.  A deadline for the whole response cut large
	 * ones to a busy client short, and the client saw the truncated
	 * response as ECONNRESET.  The linger timer bounds the whole at
	 * CONN_DRAIN_SECONDS, then the wait for the peer's EOF once the
	 * output is out (conn_drained). */
	bufferevent_disable(c->c_bev, EV_READ);
	bufferevent_set_timeouts(c->c_bev, NULL, &tv);
	bufferevent_setcb(c->c_bev, NULL, conn_drained, conn_event_closing, c);
	bufferevent_enable(c->c_bev, EV_WRITE);
	c->c_linger = evtimer_new(c->c_gw->base, conn_linger_cb, c);
	if (c->c_linger != NULL)
		evtimer_add(c->c_linger, &drain);
}

/* ---------------------------------------------------------------- counting */

void
conn_count_refusal(struct gw *gw, enum gw_refusal why)
{
	gw->m.refused[why]++;
}

void
conn_count_disconnect(struct gw *gw, enum gw_disc why)
{
	if (why != GW_DISC_NONE)
		gw->m.disc[why]++;
}

/* ---------------------------------------------------------------- responses */

static void
conn_write_head(struct conn *c, int status, const char *ctype, const char *extra, size_t len)
{
	struct evbuffer *out = bufferevent_get_output(c->c_bev);

	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\n", status,
			    http_reason(status), len);
	if (ctype != NULL)
		evbuffer_add_printf(out, "Content-Type: %s\r\n", ctype);
	if (c->c_gw->cfg.cors_origin[0] != '\0')
		evbuffer_add_printf(out, "Access-Control-Allow-Origin: %s\r\n",
				    c->c_gw->cfg.cors_origin);
	evbuffer_add_printf(out, "X-Content-Type-Options: nosniff\r\n");
	if (extra != NULL)
		evbuffer_add(out, extra, strlen(extra));
	if (!c->c_keepalive)
		evbuffer_add_printf(out, "Connection: close\r\n");
	evbuffer_add(out, "\r\n", 2);
	c->c_gw->m.bytes_sent += len;
}

void
conn_respond(struct conn *c, int status, const char *ctype, const char *extra, const void *body,
	     size_t len)
{
	if (c->c_closing)
		return;
	conn_write_head(c, status, ctype, extra, len);
	if (len > 0 && !c->c_head)
		evbuffer_add(bufferevent_get_output(c->c_bev), body, len);
	if (!c->c_keepalive)
		conn_close(c, "response sent");
}

void
conn_respond_str(struct conn *c, int status, const char *ctype, const char *extra, const char *body)
{
	conn_respond(c, status, ctype, extra, body, strlen(body));
}

void
conn_respond_fmt(struct conn *c, int status, const char *fmt, ...)
{
	char body[CONN_FMT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	conn_respond_str(c, status, "text/plain", NULL, body);
}

void
conn_refuse(struct conn *c, enum gw_refusal why, int status, const char *ctype, const char *extra,
	    const char *body)
{
	conn_count_refusal(c->c_gw, why);
	conn_respond_str(c, status, ctype, extra, body);
}

void
conn_respond_buf(struct conn *c, int status, const char *ctype, const char *extra,
		 struct evbuffer *body)
{
	if (c->c_closing)
		return;
	conn_write_head(c, status, ctype, extra, evbuffer_get_length(body));
	if (!c->c_head)
		evbuffer_add_buffer(bufferevent_get_output(c->c_bev), body);
	if (!c->c_keepalive)
		conn_close(c, "response sent");
}

/* ---------------------------------------------------------------- WebSocket output */

/* After a write of c's queue (r: outq_flush()): closes c when its socket
 * failed, finishes closing it when the queue (its close frame) is out. */
static void
conn_flushed(struct conn *c, int r)
{
	if (r == OUTQ_ERROR) {
		conn_close(c, "write error");
		conn_free_now(c);
	} else if (r == OUTQ_EMPTY && c->c_closing)
		conn_drained(c->c_bev, c);
}

/* The socket is writable again. */
static void
conn_writable(evutil_socket_t fd, short ev, void *arg)
{
	conn_flushed(arg, outq_flush(arg));
}

/* After this loop pass's callbacks: writes every queue that got output. */
static void
conn_flush_pending(evutil_socket_t fd, short ev, void *arg)
{
	outq_flush_pending(arg, conn_flushed);
}

void
conn_websocket(struct conn *c)
{
	c->c_state = CONN_WS;
	bufferevent_set_timeouts(c->c_bev, NULL, NULL); /* the heartbeat watches it now */
	c->c_gw->nws++;
	if (!c->c_tls)
		outq_start(c, conn_writable);
}

/* ---------------------------------------------------------------- accept */

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (!c->c_closing)
		c->c_gw->hooks.conn_input(c);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	/* output drained below the low watermark (0): the client caught up */
	outq_soft_clear(arg);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		conn_close(c, (what & BEV_EVENT_EOF) ? "eof" : "socket error");
}

/* Sets up c's bufferevent: callbacks, idle timeout, input bound. */
static void
conn_setup(struct conn *c)
{
	struct gw *gw = c->c_gw;
	long secs = (gw->cfg.ping_interval + gw->cfg.ping_timeout) / 1000 + CONN_IDLE_SLACK_SECONDS;
	struct timeval idle = {secs > CONN_HTTP_IDLE_SECONDS ? secs : CONN_HTTP_IDLE_SECONDS, 0};
	size_t http = gw->cfg.header_max + gw->cfg.body_max;
	size_t ws = gw->cfg.max_payload + WS_CLIENT_HEADER_MAX;

	bufferevent_setcb(c->c_bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	/* An HTTP connection that sends nothing for this long is closed (a
	 * parked long-poll is answered by a ping well before). */
	bufferevent_set_timeouts(c->c_bev, &idle, NULL);
	/* Input is bounded by what one request or one message may hold: past
	 * that, reading pauses (a client that piles up requests behind a parked
	 * long-poll cannot grow our memory). */
	bufferevent_setwatermark(c->c_bev, EV_READ, 0, (http > ws ? http : ws) + CONN_READ_SLACK);
	bufferevent_enable(c->c_bev, EV_READ | EV_WRITE);
}

static void
conn_accept_cb(struct evconnlistener *lst, evutil_socket_t fd, struct sockaddr *sa, int salen,
	       void *arg)
{
	struct gw *gw = arg;
	struct conn *c;
	int one = 1;
	char host[INET6_ADDRSTRLEN] = "?", serv[16] = "?";

	gw->m.accepted++;
	if (gw->nconns >= gw->cfg.clients_max || gw->shutting_down) {
		conn_count_refusal(gw, GW_REFUSED_CLIENTS);
		close(fd);
		if (gw->nconns >= gw->cfg.clients_max)
			evconnlistener_disable(lst); /* re-enabled when a client leaves */
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->c_gw = gw;
	getnameinfo(sa, (socklen_t)salen, host, sizeof(host), serv, sizeof(serv),
		    NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(c->c_peer, sizeof(c->c_peer), "%s:%s", host, serv);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (gw->ssl_ctx != NULL) {
		SSL *ssl = SSL_new(gw->ssl_ctx);
		if (ssl == NULL) {
			close(fd);
			free(c);
			return;
		}
		c->c_bev = bufferevent_openssl_socket_new(
		    gw->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		c->c_tls = 1;
	} else
		c->c_bev = bufferevent_socket_new(gw->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->c_bev == NULL) {
		close(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&gw->conns, c, c_entry);
	gw->nconns++;
	conn_setup(c);
	/* the first request head (and a TLS handshake before it) has
	 * gateway.header_timeout_ms from the accept: a client that connects and
	 * says nothing does not hold a descriptor for the idle timeout */
	conn_hdr_arm(c);
}

static void
conn_accept_retry(evutil_socket_t fd, short ev, void *arg)
{
	struct gw *gw = arg;

	if (gw->reserve_fd < 0)
		gw->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (!gw->shutting_down)
		evconnlistener_enable(gw->lst);
}

static void
conn_accept_error(struct evconnlistener *lst, void *arg)
{
	struct gw *gw = arg;
	struct timeval tv = util_ms_tv(CONN_ACCEPT_PAUSE_MS);
	int e = EVUTIL_SOCKET_ERROR();
	int fd;

	if (e != EMFILE && e != ENFILE) {
		log_warnx("accept", "%s: accept: %s", __func__, evutil_socket_error_to_string(e));
		return;
	}
	/* Out of file descriptors: use the reserve to accept and close one
	 * connection (so it is not left hanging), then pause accepting for a
	 * moment, or libevent will haunt us with the same error. */
	if (gw->reserve_fd >= 0) {
		close(gw->reserve_fd);
		gw->reserve_fd = -1;
		if ((fd = accept(evconnlistener_get_fd(lst), NULL, NULL)) >= 0)
			close(fd);
	}
	conn_count_refusal(gw, GW_REFUSED_FDS);
	log_warnx("emfile", "%s: out of file descriptors; pausing accept", __func__);
	evconnlistener_disable(lst);
	evtimer_add(gw->accept_retry, &tv);
}

/* ---------------------------------------------------------------- listen */

static int
conn_ssl_init(struct gw *gw, char *err, size_t errlen)
{
	SSL_CTX *ctx;

	if (gw->cfg.tls_cert[0] == '\0')
		return 0;
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		snprintf(err, errlen, "SSL_CTX_new failed");
		return -1;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, gw->cfg.tls_cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, gw->cfg.tls_key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "cannot load TLS certificate %s or key %s", gw->cfg.tls_cert,
			 gw->cfg.tls_key);
		SSL_CTX_free(ctx);
		return -1;
	}
	gw->ssl_ctx = ctx;
	return 0;
}

/* Binds gateway.listen, or the next free port of port_tries when it is busy. */
static int
conn_bind(struct gw *gw, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	char port[16];
	int i, tries, e = 0;

	tries = gw->cfg.listen_port == 0 ? 1 : gw->cfg.port_tries + 1;
	for (i = 0; i < tries; i++) {
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
		snprintf(port, sizeof(port), "%d", gw->cfg.listen_port + i);
		if ((e = getaddrinfo(gw->cfg.listen_host, port, &hints, &res)) != 0) {
			snprintf(err, errlen, "listen %s: %s", gw->cfg.listen_host,
				 gai_strerror(e));
			return -1;
		}
		gw->lst = evconnlistener_new_bind(
		    gw->base, conn_accept_cb, gw,
		    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
		    CONN_LISTEN_BACKLOG, res->ai_addr, (int)res->ai_addrlen);
		e = errno;
		freeaddrinfo(res);
		if (gw->lst != NULL)
			break;
		if (e != EADDRINUSE)
			break;
	}
	if (gw->lst == NULL) {
		snprintf(err, errlen, "listen %s:%d: %s", gw->cfg.listen_host, gw->cfg.listen_port,
			 strerror(e));
		return -1;
	}
	return 0;
}

int
conn_listen(struct gw *gw, char *err, size_t errlen)
{
	struct timeval t = util_ms_tv(gw->cfg.header_timeout);
	const struct timeval *ct;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	TAILQ_INIT(&gw->conns);
	TAILQ_INIT(&gw->dead_conns);
	gw->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	gw->conn_reaper = event_new(gw->base, -1, 0, conn_reaper, gw);
	gw->accept_retry = evtimer_new(gw->base, conn_accept_retry, gw);
	gw->oq_ev = event_new(gw->base, -1, 0, conn_flush_pending, gw);
	if (gw->conn_reaper == NULL || gw->accept_retry == NULL || gw->oq_ev == NULL ||
	    outq_init(gw) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* every request head's deadline is one duration: a libevent common timeout */
	gw->hdr_tv = t;
	if ((ct = event_base_init_common_timeout(gw->base, &t)) != NULL)
		gw->hdr_tv = *ct;
	if (conn_ssl_init(gw, err, errlen) < 0 || conn_bind(gw, err, errlen) < 0)
		return -1;
	evconnlistener_set_error_cb(gw->lst, conn_accept_error);
	if (getsockname(evconnlistener_get_fd(gw->lst), (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			gw->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			gw->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	return 0;
}

void
conn_shutdown(struct gw *gw)
{
	struct conn *c, *nc;

	if (gw->lst != NULL) {
		evconnlistener_free(gw->lst);
		gw->lst = NULL;
	}
	TAILQ_FOREACH_SAFE (c, &gw->conns, c_entry, nc)
		conn_close(c, "server shutting down");
	/* close frames go out now where the socket takes them; the rest from
	 * their write events in the bounded loop that follows */
	conn_flush_pending(-1, 0, gw);
	conn_reaper(-1, 0, gw);
	if (gw->ssl_ctx != NULL)
		SSL_CTX_free(gw->ssl_ctx);
	if (gw->conn_reaper != NULL)
		event_free(gw->conn_reaper);
	if (gw->oq_ev != NULL)
		event_free(gw->oq_ev);
	gw->conn_reaper = gw->oq_ev = NULL;
	if (gw->accept_retry != NULL)
		event_free(gw->accept_retry);
	outq_shutdown(gw);
	if (gw->reserve_fd >= 0)
		close(gw->reserve_fd);
}
