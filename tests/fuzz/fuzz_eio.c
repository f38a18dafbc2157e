/*
 * fuzz_eio.c: Engine.IO packets and polling payloads (ws-gateway/eio.c).
 *
 * Splits the input as a polling payload (with base64 'b' packets decoded
 * into a scratch buffer of the documented size) and as a text packet; a
 * base64 round trip must give the bytes back.
 */
/* fuzz-srcs: ws-gateway/eio.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eio_packet p;
	char *buf, *scratch, *enc;
	unsigned char *dec;
	size_t off = 0;
	long n;

	buf = malloc(size ? size : 1);
	scratch = malloc(size / 4 * 3 + 4);
	enc = malloc((size + 2) / 3 * 4 + 1);
	dec = malloc(size + 4);
	if (buf == NULL || scratch == NULL || enc == NULL || dec == NULL)
		goto done;
	memcpy(buf, data, size);
	while (eio_payload_next(buf, size, &off, &p, scratch) == 1) {
		if (p.type < EIO_OPEN || p.type > EIO_NOOP)
			abort();
		if (off > size)
			abort();
	}
	eio_decode_text(buf, size, &p);
	eio_b64_encode(data, size, enc);
	n = eio_b64_decode(enc, strlen(enc), dec);
	if (n != (long)size || memcmp(dec, data, size) != 0)
		abort();
done:
	free(buf);
	free(scratch);
	free(enc);
	free(dec);
	return 0;
}
