/*
 * websocket.c: Engine.IO's WebSocket transport on a conn: the handshake, the
 * frames that come in, the frames that go out.
 *
 * The handshake is checked (RFC 6455 4.2.1) before anything is created, then
 * answered with 101 by websocket_accept(), which turns the conn into a
 * WebSocket (conn_websocket()).  Input is read one frame at a time with ws.c's
 * reader (at most WS_CLIENT_HEADER_MAX bytes looked at until the frame's size
 * is known); pings are answered, a close frame closes the conn, fragments
 * are joined, and each whole message goes to the session layer through
 * gw->hooks.ws_message, NUL-terminated for the text parsers.  Output is
 * outq.c's frames.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "log.h"

#define WEBSOCKET_KEY_LEN 24 /* base64 of 16 bytes */

/* RFC 6455 4.2.1: Sec-WebSocket-Key is the base64 of 16 bytes (24 characters, "==" last). */
static int
websocket_key_valid(const char *key, size_t len)
{
	size_t i;

	if (len != WEBSOCKET_KEY_LEN || key[22] != '=' || key[23] != '=')
		return 0;
	for (i = 0; i < 22; i++)
		if (!((key[i] >= 'A' && key[i] <= 'Z') || (key[i] >= 'a' && key[i] <= 'z') ||
		      (key[i] >= '0' && key[i] <= '9') || key[i] == '+' || key[i] == '/'))
			return 0;
	return strchr("AQgw", key[21]) != NULL;
}

int
websocket_check(const struct http_request *req, char accept[WS_ACCEPT_LEN + 1])
{
	const char *key;
	size_t keylen;

	key = http_header(req, "sec-websocket-key", &keylen);
	if (strcmp(req->method, "GET") != 0 || key == NULL || !websocket_key_valid(key, keylen) ||
	    !http_header_has_token(req, "upgrade", "websocket") ||
	    !http_header_has_token(req, "connection", "upgrade") ||
	    !http_header_has_token(req, "sec-websocket-version", "13") ||
	    ws_accept(key, keylen, accept) < 0)
		return -1;
	return 0;
}

void
websocket_accept(struct conn *c, const char *accept)
{
	evbuffer_add_printf(bufferevent_get_output(c->c_bev),
			    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			    "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
			    accept);
	conn_websocket(c);
	ws_reader_init(&c->c_wsr, c->c_gw->cfg.max_payload);
}

void
websocket_packet(struct conn *c, int type, const char *data, size_t len)
{
	outq_frame(c, WS_OP_TEXT, (char)('0' + type), data, len);
}

void
websocket_close(struct conn *c, int code, const char *reason)
{
	uint8_t p[2];

	if (c->c_closing)
		return;
	p[0] = (uint8_t)(code >> 8);
	p[1] = (uint8_t)code;
	outq_frame(c, WS_OP_CLOSE, 0, p, sizeof(p));
	conn_close(c, reason);
}

/* Room for a message of len bytes and a NUL; NULL (c closed) when out of memory. */
static char *
websocket_msg_new(struct conn *c, size_t len)
{
	char *m;

	if ((m = malloc(len + 1)) == NULL)
		conn_close(c, "out of memory");
	return m;
}

/* Hands the whole message m[0..len) to the session layer, then frees it. */
static void
websocket_deliver(struct conn *c, int opcode, char *m, size_t len)
{
	m[len] = '\0';
	c->c_gw->hooks.ws_message(c, opcode, m, len);
	free(m);
}

/* A control frame: a ping is answered, a close frame closes.  Returns -1 when c closed. */
static int
websocket_control(struct conn *c, const struct ws_frame *f)
{
	switch (f->opcode) {
	case WS_OP_PING:
		outq_frame(c, WS_OP_PONG, 0, f->data, f->len);
		return 0;
	case WS_OP_CLOSE:
		websocket_close(c, WS_CLOSE_NORMAL, "peer closed");
		return -1;
	default:
		return 0;
	}
}

/* A data frame; its fragments are gathered in c_msg.  Returns -1 when c closed. */
static int
websocket_data(struct conn *c, const struct ws_frame *f)
{
	struct evbuffer *in = bufferevent_get_input(c->c_bev);
	size_t ml;
	char *m;

	if (f->fin && (c->c_msg == NULL || evbuffer_get_length(c->c_msg) == 0)) {
		/* the common case: a whole message in one frame, copied out
		 * before its bytes are drained */
		if ((m = websocket_msg_new(c, f->len)) == NULL)
			return -1;
		memcpy(m, f->data, f->len);
		evbuffer_drain(in, f->consumed);
		websocket_deliver(c, f->opcode, m, f->len);
		return 0;
	}
	if (c->c_msg == NULL && (c->c_msg = evbuffer_new()) == NULL) {
		conn_close(c, "out of memory");
		return -1;
	}
	evbuffer_add(c->c_msg, f->data, f->len);
	evbuffer_drain(in, f->consumed);
	if (!f->fin)
		return 0;
	ml = evbuffer_get_length(c->c_msg);
	if ((m = websocket_msg_new(c, ml)) == NULL)
		return -1;
	evbuffer_remove(c->c_msg, m, ml);
	websocket_deliver(c, f->opcode, m, ml);
	return 0;
}

void
websocket_input(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->c_bev);
	struct ws_frame f;
	enum ws_status st;
	size_t len, need, avail;
	uint8_t *buf;

	while (!c->c_closing && (len = evbuffer_get_length(in)) > 0) {
		avail = len < WS_CLIENT_HEADER_MAX ? len : WS_CLIENT_HEADER_MAX;
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
			websocket_close(c, f.close_code, f.reason);
			return;
		}
		if (f.control) {
			if (websocket_control(c, &f) < 0)
				return;
			evbuffer_drain(in, f.consumed);
			continue;
		}
		if (websocket_data(c, &f) < 0)
			return;
	}
}
