/*
 * fuzz_ws.c: WebSocket frames (ws-gateway/ws.c).
 *
 * The input is read as a stream of client frames, the way the server does:
 * a frame at a time, gathering what ws_read() says it needs.  Frames handed
 * out must lie within the input, control frames must be at most 125 bytes,
 * and no message may pass the payload limit.
 */
/* fuzz-srcs: ws-gateway/ws.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ws_reader r;
	struct ws_frame f;
	enum ws_status st;
	uint8_t *buf;
	size_t off = 0, need, msg = 0;
	char accept[WS_ACCEPT_LEN + 1];

	if ((buf = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	ws_reader_init(&r, 4096);
	while (off < size) {
		st = ws_read(&r, buf + off, size - off, &f, &need);
		if (st != WS_FRAME)
			break;
		if (f.consumed == 0 || f.consumed > size - off || f.data + f.len > buf + size)
			abort();
		if (f.control && f.len > 125)
			abort();
		if (!f.control) {
			msg += f.len;
			if (msg > 4096)
				abort();
			if (f.fin)
				msg = 0;
		}
		off += f.consumed;
	}
	ws_accept((const char *)buf, size > 64 ? 64 : size, accept);
	free(buf);
	return 0;
}
