/*
 * eio.h: Engine.IO v4 packets (pure: no I/O, no libevent).
 *
 * A packet is a type digit ('0' open .. '6' noop) and a payload.  Over
 * WebSocket each packet is one frame (binary frames carry raw message
 * data).  Over HTTP long-polling packets are joined by the record
 * separator 0x1e, and binary ones are written as 'b' + base64.
 */
#ifndef HOOKWIRE_EIO_H
#define HOOKWIRE_EIO_H

#include <stddef.h>

enum eio_type {
	EIO_OPEN = 0,
	EIO_CLOSE,
	EIO_PING,
	EIO_PONG,
	EIO_MESSAGE,
	EIO_UPGRADE,
	EIO_NOOP,
};

#define EIO_SEP	    '\x1e'
#define EIO_SID_LEN 20

struct eio_packet {
	int type;	  /* enum eio_type */
	int binary;	  /* binary message (type EIO_MESSAGE) */
	const char *data; /* payload (not NUL-terminated) */
	size_t len;
};

/* Decodes a WebSocket text frame: a type digit and its payload.  Returns 0 or -1 (bad type). */
int eio_decode_text(const char *s, size_t len, struct eio_packet *p);

/*
 * Splits a polling payload: returns the next packet starting at *off in
 * buf[0..len) and moves *off past it and its separator.  A 'b' packet is
 * base64-decoded into scratch (at least its encoded length / 4 * 3 bytes,
 * provided by the caller) and p->data points there.  Returns 1 for a packet,
 * 0 at the end, -1 for a malformed packet.
 */
int eio_payload_next(const char *buf, size_t len, size_t *off, struct eio_packet *p, char *scratch);

/*
 * Writes the open packet's JSON (no type digit) into out: sid, upgrades,
 * pingInterval, pingTimeout, maxPayload.  Returns its length, or -1 if it
 * does not fit.
 */
int eio_open_json(char *out, size_t outlen, const char *sid, int can_upgrade, long ping_interval,
		  long ping_timeout, long max_payload);

/* Base64 (standard alphabet, padded).  encode writes 4*ceil(len/3) bytes and a NUL; returns
 * the count.  decode returns the decoded length or -1. */
size_t eio_b64_encode(const unsigned char *in, size_t len, char *out);
long eio_b64_decode(const char *in, size_t len, unsigned char *out);

/* Writes a new random session id of EIO_SID_LEN url-safe characters and a NUL. */
void eio_new_sid(char out[EIO_SID_LEN + 1]);

/*
 * The Socket.IO sid that belongs to a private session id (connection-state
 * recovery's pid): EIO_SID_LEN characters of SHA-256(pid) in the sid
 * alphabet.  A client that recovers its pid gets its sid back, across a
 * gateway restart too, and the sid does not reveal the pid.
 */
void eio_sid_of_pid(const char *pid, size_t len, char out[EIO_SID_LEN + 1]);

#endif
