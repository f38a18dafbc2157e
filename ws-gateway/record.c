/*
 * record.c: a record from the source as the gateway sees it.
 *
 * The gateway reads a few fields of a canonical event (hookwire-event(5)):
 * session_id (whose events a client may see), event, project, tool and ts
 * (for the sessions table and the history filters).  A record is broadcast
 * as the Socket.IO event
 *   42["claude_event",<canonical event>,"<seq>"]
 * whose last argument is the offset connection-state recovery resumes from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"

#define RECORD_DEPTH_MAX 128 /* JSON nesting json-c follows in a record */

int
record_parse(const char *json, size_t len, struct record *r)
{
	json_tokener *tok;
	json_object *v;

	memset(r, 0, sizeof(*r));
	if ((tok = json_tokener_new_ex(RECORD_DEPTH_MAX)) == NULL)
		return -1;
	r->r_obj = json_tokener_parse_ex(tok, json, (int)len);
	json_tokener_free(tok);
	if (r->r_obj == NULL || !json_object_is_type(r->r_obj, json_type_object)) {
		if (r->r_obj != NULL)
			json_object_put(r->r_obj);
		r->r_obj = NULL;
		return -1;
	}
#define RECORD_STR(k, dst)                                                                         \
	if (json_object_object_get_ex(r->r_obj, k, &v) &&                                          \
	    json_object_is_type(v, json_type_string))                                              \
		dst = json_object_get_string(v);
	RECORD_STR("session_id", r->r_session_id);
	RECORD_STR("event", r->r_event);
	RECORD_STR("project", r->r_project);
	RECORD_STR("tool", r->r_tool);
	RECORD_STR("ts", r->r_ts);
#undef RECORD_STR
	return 0;
}

void
record_clear(struct record *r)
{
	if (r->r_obj != NULL)
		json_object_put(r->r_obj);
	r->r_obj = NULL;
}

int
record_in(char **list, size_t n, const char *session_id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], session_id) == 0)
			return 1;
	return 0;
}

int
record_visible(const struct api_client *a, const char *session_id)
{
	if (a->ac_scope != NULL &&
	    (session_id == NULL || !record_in(a->ac_scope, a->ac_nscope, session_id)))
		return 0;
	if (a->ac_nsubs > 0 &&
	    (session_id == NULL || !record_in(a->ac_subs, a->ac_nsubs, session_id)))
		return 0;
	return 1;
}

struct bcast *
record_bcast(const char *json, size_t len, uint64_t seq)
{
	static const char pre[] = "2[\"claude_event\",";
	char tail[40];
	char *pkt;
	struct bcast *b;
	int tl;

	tl = snprintf(tail, sizeof(tail), ",\"%llu\"]", (unsigned long long)seq);
	if ((pkt = malloc(sizeof(pre) - 1 + len + (size_t)tl)) == NULL)
		return NULL;
	memcpy(pkt, pre, sizeof(pre) - 1);
	memcpy(pkt + sizeof(pre) - 1, json, len);
	memcpy(pkt + sizeof(pre) - 1 + len, tail, (size_t)tl);
	b = bcast_new(pkt, sizeof(pre) - 1 + len + (size_t)tl);
	free(pkt);
	return b;
}
