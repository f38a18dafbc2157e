/*
 * fuzz_http.c: HTTP request heads, targets and queries (ws-gateway/http.c).
 *
 * Whatever the bytes, the parser must not read outside them, and an
 * accepted head must be consistent: head_len within the input, every
 * header inside the head, Content-Length within the body limit.
 */
/* fuzz-srcs: ws-gateway/http.c common/util.c common/compat.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request req;
	const char *reason, *q;
	char *buf, path[512], val[64];
	size_t i, ql;

	/* a private copy, so that reads past the end are caught */
	if ((buf = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	if (http_parse(buf, size, 4096, 65536, &req, &reason) == HTTP_OK) {
		if (req.head_len > size || req.clen < 0 || req.clen > 65536)
			abort();
		for (i = 0; i < req.nhdr; i++)
			if (req.hdr[i].name < buf ||
			    req.hdr[i].value + req.hdr[i].value_len > buf + req.head_len)
				abort();
		http_header(&req, "host", NULL);
		http_header_has_token(&req, "connection", "upgrade");
		if (http_split_target(req.target, req.target_len, path, sizeof(path), &q, &ql) ==
		    0) {
			if (strlen(path) >= sizeof(path) || path[0] != '/')
				abort();
			http_query_get(q, ql, "sid", val, sizeof(val));
			http_query_get(q, ql, "EIO", val, sizeof(val));
		}
	}
	/* the raw bytes as a query string too */
	http_query_get(buf, size, "a", val, sizeof(val));
	free(buf);
	return 0;
}
