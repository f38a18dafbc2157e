/*
 * sio.h: Socket.IO v5 packets (pure: no I/O, no libevent).
 *
 *   <type>[<attachments>-][<namespace>,][<ack id>][<JSON payload>]
 *
 * The decoder validates what the reference parser validates, and more:
 * packet type, attachment count, namespace, ack id, payload shape per type
 * (CONNECT: object or nothing; DISCONNECT: nothing; EVENT: array whose
 * first element is an event name; ACK: array with an id; CONNECT_ERROR:
 * object or string), JSON depth, and for binary packets that the
 * placeholders match the announced attachment count.
 */
#ifndef HOOKWIRE_SIO_H
#define HOOKWIRE_SIO_H

#include <stddef.h>
#include <json-c/json.h>

enum sio_type {
	SIO_CONNECT = 0,
	SIO_DISCONNECT,
	SIO_EVENT,
	SIO_ACK,
	SIO_CONNECT_ERROR,
	SIO_BINARY_EVENT,
	SIO_BINARY_ACK,
};

#define SIO_NSP_MAX    128
#define SIO_ATTACH_MAX 64		 /* binary attachments in one packet */
#define SIO_ACK_ID_MAX 999999999999999LL /* fits a JavaScript number exactly */

struct sio_packet {
	int type;
	char nsp[SIO_NSP_MAX]; /* "/" when absent */
	long long id;	       /* ack id, -1 when absent */
	int attachments;       /* binary packets: attachments that follow */
	json_object *data;     /* payload or NULL; owned by the packet */
};

/*
 * Decodes s[0..len).  Returns 0, or -1 with a static reason code; on success
 * the caller frees p->data with sio_packet_clear().
 */
int sio_decode(const char *s, size_t len, int depth_max, struct sio_packet *p, const char **reason);
void sio_packet_clear(struct sio_packet *p);

/* Counts the placeholders {"_placeholder":true,"num":N} in obj; -1 when one is
 * malformed, out of range [0, attachments) or repeated. */
int sio_placeholders(json_object *obj, int attachments);

/*
 * Encodes a packet whose payload is the JSON text json[0..jsonlen) (may be
 * NULL).  id < 0: no ack id.  Returns a new NUL-terminated string (caller
 * frees) and its length in *outlen, or NULL when out of memory.
 */
char *sio_encode(int type, const char *nsp, long long id, int attachments, const char *json,
		 size_t jsonlen, size_t *outlen);

/* Serializes obj as compact JSON (insertion key order, "/" not escaped); the string belongs
 * to obj. */
const char *sio_json(json_object *obj, size_t *len);

#endif
