/*
 * fuzz_capture.c: hook-capture's parsers of untrusted bytes, besides the
 * hook JSON itself (fuzz_event): the router's reply line
 * (ingest_client_parse_reply), the additionalContext text cleaning and cutting
 * (context_utf8_clean, context_chars, context_cut, context_answer).
 *
 * Invariants: a reply parses to one of the four statuses, a rejected one
 * with a NUL-terminated reason inside its buffer; cleaned text is valid
 * UTF-8 without NUL bytes; a cut text holds at most max_chars characters
 * and stays valid UTF-8; the context answer is a JSON object.
 */
/* clang-format off */
/* fuzz-srcs: common/ingest_client.c hook-capture/context.c common/util.c common/spool.c common/log.c common/event.c common/compat.c */
/* clang-format on */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "capture.h"
#include "ingest_client.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char reason[32], *clean, *buf, *ans;
	long long seq = -1;
	size_t len, cap, max;
	enum ingest_status st;
	json_object *o;

	/* the router's reply line */
	memset(reason, 'X', sizeof(reason));
	st = ingest_client_parse_reply((const char *)data, size, reason, sizeof(reason), &seq);
	if (st != INGEST_ACCEPTED && st != INGEST_DUPLICATE && st != INGEST_REJECTED &&
	    st != INGEST_BAD_REPLY)
		abort();
	if (st == INGEST_REJECTED && memchr(reason, '\0', sizeof(reason)) == NULL)
		abort();

	/* additionalContext text */
	if ((clean = context_utf8_clean((const char *)data, size, &len)) == NULL)
		return 0;
	if (strlen(clean) != len || util_utf8_valid(clean, len) != len)
		abort();
	max = size > 0 ? data[0] : 0;
	cap = len + 256;
	if ((buf = malloc(cap)) != NULL) {
		memcpy(buf, clean, len + 1);
		(void)context_cut(buf, &len, cap, max);
		if (strlen(buf) != len || util_utf8_valid(buf, len) != len)
			abort();
		if (context_chars(buf, len) > max + 64)
			abort();
		if ((ans = context_answer("UserPromptSubmit", buf)) != NULL) {
			if ((o = json_tokener_parse(ans)) == NULL ||
			    !json_object_is_type(o, json_type_object))
				abort();
			json_object_put(o);
			free(ans);
		}
		free(buf);
	}
	free(clean);
	return 0;
}
