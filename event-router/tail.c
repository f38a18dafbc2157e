/*
 * tail.c: event-tail's filters and its readable format (no I/O, no
 * libevent).  Filters first look for the exact "key":"value" text that the
 * router writes (json-c, no spaces), then confirm with a parse, so events
 * that cannot match cost no parse.
 */
#include <stdio.h>
#include <string.h>

#include "compat.h"
#include "router.h"

static const char *
tail_str(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static json_object *
tail_parse(const char *buf, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *o;

	if (tok == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, buf, (int)len);
	json_tokener_free(tok);
	if (o != NULL && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* True when "key":"value" may be in buf. */
static int
tail_has(const char *buf, size_t len, const char *key, const char *value)
{
	char pat[512];
	const char *p;
	int n = snprintf(pat, sizeof(pat), "\"%s\":\"%s\"", key, value);

	if (n < 0 || (size_t)n >= sizeof(pat))
		return 1; /* long value: let the parse decide */
	for (p = value; *p != '\0'; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
			return 1; /* escaped in JSON: let the parse decide */
	return compat_memmem(buf, len, pat, (size_t)n) != NULL;
}

int
tail_match(const struct tail_filter *f, const char *buf, size_t len)
{
	json_object *o;
	const char *s;
	int ok = 1;

	if (f->session == NULL && f->event == NULL)
		return 1;
	if (f->session != NULL && !tail_has(buf, len, "session_id", f->session))
		return 0;
	if (f->event != NULL && !tail_has(buf, len, "event", f->event))
		return 0;
	if ((o = tail_parse(buf, len)) == NULL)
		return 0;
	if (f->session != NULL &&
	    ((s = tail_str(o, "session_id")) == NULL || strcmp(s, f->session)))
		ok = 0;
	if (f->event != NULL && ((s = tail_str(o, "event")) == NULL || strcmp(s, f->event)))
		ok = 0;
	json_object_put(o);
	return ok;
}

/* Appends s to out as one line: control characters become spaces, cut at max
 * bytes on a UTF-8 boundary with "...". */
static size_t
tail_put(char *out, size_t outlen, size_t at, const char *s, size_t max)
{
	size_t i, n = 0;

	for (i = 0; s[i] != '\0' && at + 4 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (n >= max && (c & 0xc0) != 0x80) {
			at += (size_t)snprintf(out + at, outlen - at, "...");
			break;
		}
		out[at++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
		n++;
	}
	out[at] = '\0';
	return at;
}

/* The one-line summary of an event: the command, the file, the prompt, ... */
static const char *
tail_summary(json_object *ev)
{
	static const char *keys[] = {"command", "file_path", "notebook_path", "pattern",
				     "url",	"query",     "description",   NULL};
	json_object *data = NULL, *ti = NULL, *files;
	const char *s;
	size_t i;

	json_object_object_get_ex(ev, "data", &data);
	if (data != NULL && json_object_object_get_ex(data, "tool_input", &ti))
		for (i = 0; keys[i] != NULL; i++)
			if ((s = tail_str(ti, keys[i])) != NULL)
				return s;
	if (json_object_object_get_ex(ev, "files", &files) &&
	    json_object_is_type(files, json_type_array) && json_object_array_length(files) > 0)
		return json_object_get_string(json_object_array_get_idx(files, 0));
	if ((s = tail_str(data, "prompt")) != NULL || (s = tail_str(data, "message")) != NULL ||
	    (s = tail_str(data, "reason")) != NULL || (s = tail_str(data, "source")) != NULL ||
	    (s = tail_str(data, "error")) != NULL)
		return s;
	return "";
}

size_t
tail_pretty(const char *buf, size_t len, char *out, size_t outlen)
{
	json_object *ev, *v;
	const char *ts, *s;
	char clock[16] = "??:??:??.???";
	size_t at;
	unsigned long long seq = 0;

	if ((ev = tail_parse(buf, len)) == NULL) {
		at = (size_t)snprintf(out, outlen, "(unreadable event, %zu bytes)\n", len);
		return at < outlen ? at : outlen - 1;
	}
	if ((ts = tail_str(ev, "ts")) != NULL && strlen(ts) >= 23)
		snprintf(clock, sizeof(clock), "%.12s", ts + 11);
	if (json_object_object_get_ex(ev, "seq", &v))
		seq = (unsigned long long)json_object_get_int64(v);
	at = (size_t)snprintf(out, outlen, "%s %8llu %-8.8s ", clock, seq,
			      (s = tail_str(ev, "session_id")) != NULL ? s : "-");
	if (at >= outlen)
		at = outlen - 1;
	at = tail_put(out, outlen, at, (s = tail_str(ev, "event")) != NULL ? s : "?", 24);
	if ((s = tail_str(ev, "tool")) != NULL) {
		at = tail_put(out, outlen, at, " ", 1);
		at = tail_put(out, outlen, at, s, 24);
	}
	s = tail_summary(ev);
	if (*s != '\0') {
		at = tail_put(out, outlen, at, "  ", 2);
		at = tail_put(out, outlen, at, s, 100);
	}
	if (at + 1 < outlen) {
		out[at++] = '\n';
		out[at] = '\0';
	}
	json_object_put(ev);
	return at;
}
