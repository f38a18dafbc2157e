/*
 * row.c: one canonical event (hookwire-event(5)) to the columns of the
 * events table and the text of the full-text index.  No I/O.
 *
 * The text is what people search their history for, most wanted first, so
 * that the cut at text_max drops tool output before anything else:
 *   data.prompt                                     (UserPromptSubmit)
 *   data.tool_input.command, description, pattern, query, url, prompt
 *   files[]                                         (the paths the event touches)
 *   data.message, data.error, data.reason, data.last_assistant_message
 *   data.tool_response: the string, or every string inside it, depth first
 * one per line.  The events come from the ring or the journal, after the
 * router scrubbed them: the text holds no more than the event does.
 */
#include <stdlib.h>
#include <string.h>

#include "store.h"

static const char *
row_str(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Appends s (n bytes) and a newline, cutting at max bytes on a UTF-8
 * boundary.  Returns 0, or -1 when the text is full (or out of memory). */
int
row_put(struct row *r, const char *s, size_t n, size_t max)
{
	size_t room, need;
	int full = 0;
	char *nb;

	if (n == 0)
		return 0;
	if (r->r_text_len >= max)
		return -1;
	room = max - r->r_text_len;
	if (r->r_text_len > 0)
		room--; /* the newline before it */
	if (n > room) {
		full = 1;
		n = room;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--; /* s[n] continues a character: cut before it */
	}
	need = r->r_text_len + n + 2;
	if (need > r->r_text_cap) {
		size_t cap = r->r_text_cap ? r->r_text_cap : 1024;

		while (cap < need)
			cap *= 2;
		if ((nb = realloc(r->r_text, cap)) == NULL)
			return -1;
		r->r_text = nb;
		r->r_text_cap = cap;
	}
	if (r->r_text_len > 0)
		r->r_text[r->r_text_len++] = '\n';
	memcpy(r->r_text + r->r_text_len, s, n);
	r->r_text_len += n;
	r->r_text[r->r_text_len] = '\0';
	return full || r->r_text_len >= max ? -1 : 0;
}

static int
row_put_str(struct row *r, const char *s, size_t max)
{
	return s == NULL ? 0 : row_put(r, s, strlen(s), max);
}

/* Every string in v, depth first, until the text is full. */
static int
row_put_all(struct row *r, json_object *v, size_t max, int depth)
{
	size_t i, n;

	if (v == NULL || depth > 32)
		return 0;
	switch (json_object_get_type(v)) {
	case json_type_string:
		return row_put(r, json_object_get_string(v), (size_t)json_object_get_string_len(v),
			       max);
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			if (row_put_all(r, json_object_array_get_idx(v, i), max, depth + 1) == -1)
				return -1;
		return 0;
	case json_type_object: {
		json_object_object_foreach (v, key, val) {
			(void)key;
			if (row_put_all(r, val, max, depth + 1) == -1)
				return -1;
		}
		return 0;
	}
	default:
		return 0;
	}
}

static void
row_build_text(struct row *r, size_t max)
{
	static const char *input_keys[] = {"command", "description", "pattern", "query",
					   "url",     "prompt",	     NULL};
	static const char *data_keys[] = {"message", "error", "reason", "last_assistant_message",
					  NULL};
	json_object *data = NULL, *ti = NULL, *files = NULL, *resp = NULL;
	size_t i, n;

	json_object_object_get_ex(r->r_obj, "data", &data);
	if (data != NULL && !json_object_is_type(data, json_type_object))
		data = NULL;
	if (data != NULL) {
		json_object_object_get_ex(data, "tool_input", &ti);
		json_object_object_get_ex(data, "tool_response", &resp);
	}
	if (row_put_str(r, row_str(data, "prompt"), max) == -1)
		return;
	for (i = 0; input_keys[i] != NULL; i++)
		if (row_put_str(r, row_str(ti, input_keys[i]), max) == -1)
			return;
	if (json_object_object_get_ex(r->r_obj, "files", &files) &&
	    json_object_is_type(files, json_type_array)) {
		n = json_object_array_length(files);
		for (i = 0; i < n; i++) {
			json_object *p = json_object_array_get_idx(files, i);

			if (json_object_is_type(p, json_type_string) &&
			    row_put_str(r, json_object_get_string(p), max) == -1)
				return;
		}
	}
	for (i = 0; data_keys[i] != NULL; i++)
		if (row_put_str(r, row_str(data, data_keys[i]), max) == -1)
			return;
	row_put_all(r, resp, max, 0);
}

/* "2026-11-28T20:25:03.123456Z" to microseconds; 0 when it is not that. */
int64_t
row_ts_us(const char *ts)
{
	int64_t us;
	uint64_t seq;

	if (ts == NULL || store_query_parse_time(ts, 0, &us, &seq) == -1 || seq != 0)
		return 0;
	return us;
}

void
row_reset(struct row *r)
{
	char *text = r->r_text, *buf = r->r_buf;
	size_t cap = r->r_text_cap, bcap = r->r_buf_cap;

	json_object_put(r->r_obj);
	memset(r, 0, sizeof(*r));
	r->r_text = text;
	r->r_text_cap = cap;
	r->r_buf = buf;
	r->r_buf_cap = bcap;
}

int
row_parse_json(struct row *r, const char *json, size_t len, size_t text_max)
{
	struct json_tokener *tok;
	json_object *o;

	row_reset(r);
	if ((tok = json_tokener_new()) == NULL)
		return -1;
	o = json_tokener_parse_ex(tok, json, (int)len);
	json_tokener_free(tok);
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -1;
	}
	r->r_obj = o;
	r->r_ts = row_str(o, "ts");
	r->r_event = row_str(o, "event");
	r->r_session = row_str(o, "session_id");
	r->r_agent = row_str(o, "agent_id");
	r->r_tool = row_str(o, "tool");
	r->r_tool_use_id = row_str(o, "tool_use_id");
	r->r_project = row_str(o, "project");
	r->r_cwd = row_str(o, "cwd");
	r->r_ts_us = row_ts_us(r->r_ts);
	if (text_max > 0)
		row_build_text(r, text_max);
	return 0;
}

int
row_parse(struct row *r, const char *json, size_t len, size_t text_max)
{
	if (row_scan(r, json, len, text_max) == 0)
		return 0;
	return row_parse_json(r, json, len, text_max);
}

void
row_clear(struct row *r)
{
	json_object_put(r->r_obj);
	free(r->r_text);
	free(r->r_buf);
	memset(r, 0, sizeof(*r));
}
