/*
 * ws.h: RFC 6455 WebSocket framing (pure: no I/O, no libevent).
 *
 * The reader takes bytes the caller holds contiguously, checks one frame
 * at a time (client frames must be masked; no reserved bits; known opcodes;
 * control frames at most 125 bytes and never fragmented; data frames
 * fragmented properly; text UTF-8 valid, across fragments too; close codes
 * valid; messages within max_payload), unmasks it in place and hands it out.
 * The caller joins the fragments of a message.
 */
#ifndef HOOKWIRE_WS_H
#define HOOKWIRE_WS_H

#include <stddef.h>
#include <stdint.h>

#define WS_OP_CONT   0x0
#define WS_OP_TEXT   0x1
#define WS_OP_BINARY 0x2
#define WS_OP_CLOSE  0x8
#define WS_OP_PING   0x9
#define WS_OP_PONG   0xa

/* Close codes we send. */
#define WS_CLOSE_NORMAL	    1000
#define WS_CLOSE_GOING_AWAY 1001
#define WS_CLOSE_PROTOCOL   1002
#define WS_CLOSE_BAD_DATA   1007
#define WS_CLOSE_POLICY	    1008
#define WS_CLOSE_TOO_BIG    1009

#define WS_ACCEPT_LEN 28 /* base64 of a SHA-1 digest */

/* Frame headers: a server's (unmasked, 64-bit length) and a client's (masked) at most. */
#define WS_SERVER_HEADER_MAX 10
#define WS_CLIENT_HEADER_MAX 14

/* Incremental UTF-8 validation state. */
struct ws_utf8 {
	uint32_t state;
};

struct ws_reader {
	uint64_t max_payload; /* largest message, all fragments together */
	int in_message;	      /* a fragmented data message is in progress */
	int msg_opcode;	      /* its opcode (TEXT or BINARY) */
	uint64_t msg_len;     /* bytes of it so far */
	struct ws_utf8 utf8;
};

enum ws_status {
	WS_NEED_MORE = 0, /* no complete frame buffered */
	WS_FRAME,	  /* one frame: see struct ws_frame */
	WS_ERROR,	  /* protocol error: close with f->close_code */
};

struct ws_frame {
	int opcode;    /* of this frame (control) or of the message (data) */
	int fin;       /* last fragment of the message */
	int control;   /* close, ping or pong */
	uint8_t *data; /* payload, unmasked in place */
	size_t len;
	size_t consumed;    /* bytes of the buffer this frame used */
	int close_code;	    /* WS_ERROR: code to close with; WS_OP_CLOSE: peer's code or 1005 */
	const char *reason; /* WS_ERROR: short reason code */
};

void ws_reader_init(struct ws_reader *r, uint64_t max_payload);

/*
 * Reads one frame from buf[0..len) (modified: the payload is unmasked).
 * *need gets the number of bytes needed for the whole frame once its header
 * is complete (so the caller can gather that many), else 0.
 */
enum ws_status ws_read(struct ws_reader *r, uint8_t *buf, size_t len, struct ws_frame *f,
		       size_t *need);

/* Writes a server frame header (FIN set, unmasked) into out (>= WS_SERVER_HEADER_MAX bytes);
 * returns its length. */
size_t ws_header(uint8_t *out, int opcode, uint64_t len);

/* Sec-WebSocket-Accept for key: writes WS_ACCEPT_LEN chars and a NUL into out.  Returns 0 or -1. */
int ws_accept(const char *key, size_t keylen, char out[WS_ACCEPT_LEN + 1]);

/* UTF-8: feeds bytes; returns -1 on an invalid sequence.  ws_utf8_done: 0 if at a boundary. */
int ws_utf8_feed(struct ws_utf8 *u, const uint8_t *p, size_t len);
int ws_utf8_done(const struct ws_utf8 *u);

/* True when code may appear in a close frame sent by a peer. */
int ws_close_code_valid(int code);

#endif
