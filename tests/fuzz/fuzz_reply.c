/*
 * fuzz_reply.c: the reading of the router's reply line
 * (ingest_client_parse_reply(), common/ingest_client.c, which takes the
 * router's own replies without json-c) against json-c's reading of the
 * same line.  hook-capture (hooks and status lines) and event-usage read
 * every reply with it.
 *
 * Differential: the status, the seq of an accepted or duplicate reply and
 * the reason of a rejected one are those json-c's reading gives.
 */
/* fuzz-srcs: common/ingest_client.c common/util.c common/compat.c */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ingest_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ingest_client_parse_reply() as it was before it read replies itself. */
static enum ingest_status
ref_parse(const char *line, size_t len, char *reason, size_t reasonlen, long long *seq)
{
	enum ingest_status st = INGEST_BAD_REPLY;
	json_tokener *tok;
	json_object *obj, *v;
	const char *s;

	reason[0] = '\0';
	if ((tok = json_tokener_new()) == NULL)
		abort();
	obj = json_tokener_parse_ex(tok, line, (int)len);
	if (obj == NULL || !json_object_is_type(obj, json_type_object))
		goto fail;
	if (!json_object_object_get_ex(obj, "status", &v) ||
	    !json_object_is_type(v, json_type_string))
		goto fail;
	s = json_object_get_string(v);
	if (strcmp(s, "accepted") == 0 || strcmp(s, "duplicate") == 0) {
		st = s[0] == 'a' ? INGEST_ACCEPTED : INGEST_DUPLICATE;
		if (json_object_object_get_ex(obj, "seq", &v))
			*seq = json_object_get_int64(v);
	} else if (strcmp(s, "rejected") == 0) {
		st = INGEST_REJECTED;
		if (json_object_object_get_ex(obj, "reason", &v))
			snprintf(reason, reasonlen, "%s", json_object_get_string(v));
	}
fail:
	json_object_put(obj);
	json_tokener_free(tok);
	return st;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char reason[32], ref_reason[32];
	long long seq = -7, ref_seq = -7;
	enum ingest_status st, ref;

	if (size > 4096)
		return 0;
	st = ingest_client_parse_reply((const char *)data, size, reason, sizeof(reason), &seq);
	ref = ref_parse((const char *)data, size, ref_reason, sizeof(ref_reason), &ref_seq);
	if (st != ref)
		abort();
	if ((st == INGEST_ACCEPTED || st == INGEST_DUPLICATE) && seq != ref_seq)
		abort();
	if (st == INGEST_REJECTED && strcmp(reason, ref_reason) != 0)
		abort();
	return 0;
}
