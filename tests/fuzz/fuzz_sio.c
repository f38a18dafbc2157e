/*
 * fuzz_sio.c: Socket.IO packets (ws-gateway/sio.c).
 *
 * A decoded packet must satisfy what the decoder promises (payload shape per
 * type, attachment count equal to the placeholders), and re-encoding it
 * must decode to the same type, namespace, ack id and attachment count.
 */
/* fuzz-srcs: ws-gateway/sio.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sio_packet p, q;
	const char *reason, *json = NULL;
	char *buf, *enc;
	size_t jl = 0, n;

	if ((buf = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	if (sio_decode(buf, size, 32, &p, &reason) == 0) {
		if ((p.type == SIO_EVENT || p.type == SIO_BINARY_EVENT) &&
		    (p.data == NULL || !json_object_is_type(p.data, json_type_array)))
			abort();
		if ((p.type == SIO_BINARY_EVENT || p.type == SIO_BINARY_ACK) &&
		    sio_placeholders(p.data, p.attachments) != p.attachments)
			abort();
		if (p.data != NULL)
			json = sio_json(p.data, &jl);
		enc = sio_encode(p.type, p.nsp, p.id, p.attachments, json, jl, &n);
		if (enc != NULL) {
			if (sio_decode(enc, n, 32, &q, &reason) != 0)
				abort();
			if (q.type != p.type || strcmp(q.nsp, p.nsp) != 0 || q.id != p.id ||
			    q.attachments != p.attachments)
				abort();
			sio_packet_clear(&q);
			free(enc);
		}
		sio_packet_clear(&p);
	}
	free(buf);
	return 0;
}
