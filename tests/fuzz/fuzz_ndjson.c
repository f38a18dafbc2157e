/*
 * fuzz_ndjson.c: NDJSON framing against a reference.
 *
 * The first byte picks the line limit and the feed size; the rest is fed in
 * pieces.  The items must equal what a plain split on '\n' gives: each line
 * within the limit (CR removed), each longer one as NDJSON_TOO_LONG with
 * its length; and memory stays within line_max plus one feed.
 */
/* fuzz-srcs: common/ndjson.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ndjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in, *line, *nl, *ref;
	size_t line_max, chunk, len, off = 0, n, refoff = 0, rlen;
	enum ndjson_status st;
	struct ndjson *nj;

	if (size < 2)
		return 0;
	line_max = 1 + (data[0] & 0x1f);
	chunk = 1 + (data[1] & 0x3f);
	in = (const char *)data + 2;
	size -= 2;
	if ((nj = ndjson_new(line_max)) == NULL)
		abort();
	while (off < size) {
		n = size - off < chunk ? size - off : chunk;
		if (ndjson_feed(nj, in + off, n) != 0)
			abort();
		off += n;
		while ((st = ndjson_next(nj, &line, &len)) != NDJSON_NEED_MORE) {
			/* The reference: the next complete line of the input. */
			ref = in + refoff;
			nl = memchr(ref, '\n', size - refoff);
			if (nl == NULL)
				abort(); /* an item without a newline */
			rlen = (size_t)(nl - ref);
			refoff += rlen + 1;
			if (rlen > line_max) {
				if (st != NDJSON_TOO_LONG || len != rlen)
					abort();
				continue;
			}
			if (rlen > 0 && ref[rlen - 1] == '\r')
				rlen--;
			if (st != NDJSON_LINE || len != rlen || memcmp(line, ref, len) != 0 ||
			    memchr(line, '\n', len) != NULL)
				abort();
		}
		if (ndjson_pending(nj) > line_max + chunk)
			abort();
	}
	/* Every complete line was handed out. */
	if (memchr(in + refoff, '\n', size - refoff) != NULL)
		abort();
	ndjson_free(nj);
	return 0;
}
