/*
 * ws.c: RFC 6455 frames (see ws.h).
 *
 * The reader never allocates: it validates a frame header, waits until the
 * whole frame is buffered (the caller gathers ws_frame need bytes), unmasks
 * the payload in place and returns it.  Fragmented messages are tracked in
 * struct ws_reader so that the rules about continuation frames, the size of
 * the whole message and UTF-8 across fragment boundaries hold.
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "ws.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

void
ws_reader_init(struct ws_reader *r, uint64_t max_payload)
{
	memset(r, 0, sizeof(*r));
	r->max_payload = max_payload;
}

int
ws_utf8_feed(struct ws_utf8 *u, const uint8_t *p, size_t len)
{
	uint32_t need = u->state & 3, lo = (u->state >> 8) & 0xff, hi = (u->state >> 16) & 0xff;
	size_t i;

	for (i = 0; i < len; i++) {
		uint8_t b = p[i];
		if (need == 0) {
			if (b < 0x80)
				continue;
			lo = 0x80;
			hi = 0xbf;
			if (b >= 0xc2 && b <= 0xdf)
				need = 1;
			else if (b == 0xe0) {
				need = 2;
				lo = 0xa0;
			} else if ((b >= 0xe1 && b <= 0xec) || b == 0xee || b == 0xef)
				need = 2;
			else if (b == 0xed) {
				need = 2;
				hi = 0x9f;
			} else if (b == 0xf0) {
				need = 3;
				lo = 0x90;
			} else if (b >= 0xf1 && b <= 0xf3)
				need = 3;
			else if (b == 0xf4) {
				need = 3;
				hi = 0x8f;
			} else
				return -1;
		} else {
			if (b < lo || b > hi)
				return -1;
			need--;
			lo = 0x80;
			hi = 0xbf;
		}
	}
	u->state = need | (lo << 8) | (hi << 16);
	return 0;
}

int
ws_utf8_done(const struct ws_utf8 *u)
{
	return (u->state & 3) == 0 ? 0 : -1;
}

int
ws_close_code_valid(int code)
{
	if (code >= 1000 && code <= 1003)
		return 1;
	if (code >= 1007 && code <= 1014)
		return 1;
	return code >= 3000 && code <= 4999;
}

static enum ws_status
ws_fail(struct ws_frame *f, int code, const char *why)
{
	f->close_code = code;
	f->reason = why;
	return WS_ERROR;
}

enum ws_status
ws_read(struct ws_reader *r, uint8_t *buf, size_t len, struct ws_frame *f, size_t *need)
{
	uint64_t plen;
	size_t hlen = 2, i;
	int opcode, fin, masked;
	uint8_t *mask, *data;

	memset(f, 0, sizeof(*f));
	*need = 0;
	if (len < 2)
		return WS_NEED_MORE;
	fin = (buf[0] & 0x80) != 0;
	opcode = buf[0] & 0x0f;
	masked = (buf[1] & 0x80) != 0;
	plen = buf[1] & 0x7f;
	if (buf[0] & 0x70)
		return ws_fail(f, WS_CLOSE_PROTOCOL, "reserved_bits");
	if (!masked)
		return ws_fail(f, WS_CLOSE_PROTOCOL, "unmasked_frame");
	switch (opcode) {
	case WS_OP_CONT:
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		break;
	case WS_OP_CLOSE:
	case WS_OP_PING:
	case WS_OP_PONG:
		if (!fin)
			return ws_fail(f, WS_CLOSE_PROTOCOL, "fragmented_control");
		if (plen > 125)
			return ws_fail(f, WS_CLOSE_PROTOCOL, "control_too_long");
		f->control = 1;
		break;
	default:
		return ws_fail(f, WS_CLOSE_PROTOCOL, "bad_opcode");
	}
	if (plen == 126) {
		if (len < 4)
			return WS_NEED_MORE;
		plen = ((uint64_t)buf[2] << 8) | buf[3];
		if (plen < 126)
			return ws_fail(f, WS_CLOSE_PROTOCOL, "non_minimal_length");
		hlen = 4;
	} else if (plen == 127) {
		if (len < 10)
			return WS_NEED_MORE;
		if (buf[2] & 0x80)
			return ws_fail(f, WS_CLOSE_PROTOCOL, "bad_length");
		plen = 0;
		for (i = 2; i < 10; i++)
			plen = (plen << 8) | buf[i];
		if (plen <= 0xffff)
			return ws_fail(f, WS_CLOSE_PROTOCOL, "non_minimal_length");
		hlen = 10;
	}
	if (!f->control) {
		if (opcode == WS_OP_CONT && !r->in_message)
			return ws_fail(f, WS_CLOSE_PROTOCOL, "unexpected_continuation");
		if (opcode != WS_OP_CONT && r->in_message)
			return ws_fail(f, WS_CLOSE_PROTOCOL, "expected_continuation");
		if (plen > r->max_payload || r->msg_len + plen > r->max_payload)
			return ws_fail(f, WS_CLOSE_TOO_BIG, "message_too_big");
	}
	hlen += 4;
	*need = hlen + (size_t)plen;
	if (len < hlen + plen)
		return WS_NEED_MORE;
	mask = buf + hlen - 4;
	data = buf + hlen;
	for (i = 0; i < plen; i++)
		data[i] ^= mask[i & 3];
	f->data = data;
	f->len = (size_t)plen;
	f->consumed = hlen + (size_t)plen;
	f->fin = fin;

	if (f->control) {
		f->opcode = opcode;
		if (opcode == WS_OP_CLOSE) {
			struct ws_utf8 u = {0};
			if (plen == 1)
				return ws_fail(f, WS_CLOSE_PROTOCOL, "bad_close_payload");
			if (plen >= 2) {
				f->close_code = (data[0] << 8) | data[1];
				if (!ws_close_code_valid(f->close_code))
					return ws_fail(f, WS_CLOSE_PROTOCOL, "bad_close_code");
				if (ws_utf8_feed(&u, data + 2, plen - 2) < 0 ||
				    ws_utf8_done(&u) < 0)
					return ws_fail(f, WS_CLOSE_BAD_DATA, "invalid_utf8");
			} else
				f->close_code = 1005;
		}
		return WS_FRAME;
	}
	if (opcode != WS_OP_CONT) {
		r->msg_opcode = opcode;
		r->msg_len = 0;
		memset(&r->utf8, 0, sizeof(r->utf8));
	}
	f->opcode = r->msg_opcode;
	r->msg_len += plen;
	if (r->msg_opcode == WS_OP_TEXT) {
		if (ws_utf8_feed(&r->utf8, data, (size_t)plen) < 0)
			return ws_fail(f, WS_CLOSE_BAD_DATA, "invalid_utf8");
		if (fin && ws_utf8_done(&r->utf8) < 0)
			return ws_fail(f, WS_CLOSE_BAD_DATA, "invalid_utf8");
	}
	r->in_message = !fin;
	if (fin)
		r->msg_len = 0;
	return WS_FRAME;
}

size_t
ws_header(uint8_t *out, int opcode, uint64_t len)
{
	int i;

	out[0] = 0x80 | (uint8_t)opcode;
	if (len < 126) {
		out[1] = (uint8_t)len;
		return 2;
	}
	if (len <= 0xffff) {
		out[1] = 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		return 4;
	}
	out[1] = 127;
	for (i = 0; i < 8; i++)
		out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
	return 10;
}

int
ws_accept(const char *key, size_t keylen, char out[WS_ACCEPT_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char in[64 + sizeof(WS_GUID)];
	unsigned int mdlen = 0;

	if (keylen == 0 || keylen > 64)
		return -1;
	memcpy(in, key, keylen);
	memcpy(in + keylen, WS_GUID, strlen(WS_GUID));
	if (EVP_Digest(in, keylen + strlen(WS_GUID), md, &mdlen, EVP_sha1(), NULL) != 1 ||
	    mdlen != SHA_DIGEST_LENGTH)
		return -1;
	if (EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH) != WS_ACCEPT_LEN)
		return -1;
	out[WS_ACCEPT_LEN] = '\0';
	return 0;
}
