/*
 * event.c: the canonical event (event.h, hookwire-event(5)).
 *
 * Parsing (event_parse_line() and the first half of event_from_hook()) is
 * one pipeline of checks in a fixed order, each with its reason code:
 * empty input, NUL byte, invalid UTF-8 (checked on the whole input first, so
 * the reason does not depend on where json-c would have stopped), JSON
 * syntax or trailing bytes (invalid_json), nesting deeper than depth_max
 * (too_deep), a value other than an object (not_object).  json-c is lenient
 * in places and we say so in hookwire-event(5): NaN and Infinity literals
 * are refused here (they would not serialize as JSON), a raw control
 * character in a string is accepted (and re-emitted escaped), a \u escape
 * of a lone UTF-16 surrogate becomes U+FFFD, integers beyond 64 bits are
 * clamped to the nearest 64-bit value (INT64_MIN or UINT64_MAX), a repeated
 * key keeps its last value.  Single-quoted strings are refused
 * (JSON_TOKENER_STRICT), as invalid_json.
 *
 * event_from_hook() never loses an event: bad input becomes an
 * EVENT_INPUT_ERROR event carrying a bounded, escaped copy; an event that
 * is too large after truncating strings to field_max has its strings cut
 * harder (halving the limit down to EVENT_FIELD_FLOOR), and failing that
 * keeps its name and lifted fields with data replaced by a short
 * {"error":"event_too_large"} object.
 *
 * hookscan_event() (hookscan.c) is hook-capture's fast path around
 * event_from_hook(): one pass over the hook input writes the event's text
 * as event_to_string() would write event_from_hook()'s event, for the input
 * it takes; on anything else it declines and event_from_hook() decides.
 *
 * The router's strict scanner for lines already in json-c's form is
 * event_scan.c (router only: hook-capture does not link it).
 *
 * Each thread keeps one json-c tokener between calls (creating one costs
 * about as much as parsing a small event); it is never freed, and is
 * reachable through a thread-local pointer.
 */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __APPLE__
#include <sys/random.h>
#endif

#include "compat.h"
#include "event.h"
#include "hwlimits.h"
#include "util.h"

/* Smallest field limit event_from_hook() cuts strings to when the event is
 * too large. */
#define EVENT_FIELD_FLOOR 256

#define EVENT_TO_STRING_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* Fields lifted from the hook JSON: canonical name, hook name. */
static const struct {
	const char *name, *from;
} event_lifted[] = {
    {"session_id", "session_id"},   {"agent_id", "agent_id"}, {"tool", "tool_name"},
    {"tool_use_id", "tool_use_id"}, {"cwd", "cwd"},
};

void
event_limits_default(struct event_limits *lim)
{
	lim->field_max = HW_FIELD_MAX;
	lim->event_max = HW_EVENT_MAX;
	lim->input_max = HW_INPUT_MAX;
	lim->bad_copy = HW_BAD_INPUT_COPY;
	lim->depth_max = HW_DEPTH_MAX;
}

void
event_new_id(char out[EVENT_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[EVENT_ID_LEN / 2];
	size_t i;

	/* One getrandom(2) (what getentropy() is on Linux): the id needs
	 * 128 random bits, not a ChaCha generator seeded for the process
	 * (libbsd's arc4random costs a key setup, two mmaps and getpid). */
	if (getentropy(b, sizeof(b)) == -1)
		compat_random_buf(b, sizeof(b));
	for (i = 0; i < sizeof(b); i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 0xf];
	}
	out[EVENT_ID_LEN] = '\0';
}

/*
 * UTC calendar date of a day count since 1970-01-01 (H. Hinnant's
 * civil_from_days).  glibc's gmtime_r() calls tzset(), which reads
 * /etc/localtime: a file open that hook-capture does not need to pay.
 */
static void
event_civil(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Writes v (>= 0) as n decimal digits, zero-padded. */
static void
event_digits(char *out, int64_t v, int n)
{
	while (n-- > 0) {
		out[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

void
event_format_ts(int64_t us, char *out, size_t outlen)
{
	int64_t sec, frac, days, rem, y;
	int m, d;

	sec = us / 1000000;
	frac = us % 1000000;
	if (frac < 0) {
		frac += 1000000;
		sec--;
	}
	days = sec / 86400;
	rem = sec % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	event_civil(days, &y, &m, &d);
	if (y < 0 || y > 9999 || outlen < EVENT_TS_LEN + 1) {
		snprintf(out, outlen, "%04lld-%02d-%02dT%02d:%02d:%02d.%06lldZ", (long long)y, m, d,
			 (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), (long long)frac);
		return;
	}
	/* The same without printf: it runs once per hook. */
	event_digits(out, y, 4);
	out[4] = '-';
	event_digits(out + 5, m, 2);
	out[7] = '-';
	event_digits(out + 8, d, 2);
	out[10] = 'T';
	event_digits(out + 11, rem / 3600, 2);
	out[13] = ':';
	event_digits(out + 14, rem / 60 % 60, 2);
	out[16] = ':';
	event_digits(out + 17, rem % 60, 2);
	out[19] = '.';
	event_digits(out + 20, frac, 6);
	out[26] = 'Z';
	out[27] = '\0';
}

uint64_t
event_line_seq(const char *line, size_t len)
{
	uint64_t v = 0;
	size_t i = 7;

	if (len < 8 || memcmp(line, "{\"seq\":", 7) != 0)
		return 0;
	for (; i < len && line[i] >= '0' && line[i] <= '9'; i++)
		v = v * 10 + (uint64_t)(line[i] - '0');
	return v;
}

void
event_set_capture_us(json_object *ev, int64_t us)
{
	json_object *meta;

	if (!json_object_object_get_ex(ev, "meta", &meta) ||
	    !json_object_is_type(meta, json_type_object))
		return;
	json_object_object_add(meta, "capture_us", json_object_new_int64(us));
}

const char *
event_to_string(json_object *ev, size_t *len)
{
	size_t n = 0;
	const char *s;

	s = json_object_to_json_string_length(ev, EVENT_TO_STRING_FLAGS, &n);
	if (len != NULL)
		*len = s != NULL ? n : 0;
	return s;
}

/* ---------------------------------------------------------------- truncation */

/* Cuts one string object; returns the bytes cut. */
static size_t
event_cut_string(json_object *o, size_t field_max)
{
	const char *s = json_object_get_string(o);
	size_t len = (size_t)json_object_get_string_len(o), keep, cut;
	char marker[64], *buf;
	int mlen;

	if (len <= field_max)
		return 0;
	keep = field_max;
	/* Back up to the start of a UTF-8 sequence. */
	while (keep > 0 && ((unsigned char)s[keep] & 0xc0) == 0x80)
		keep--;
	cut = len - keep;
	mlen = snprintf(marker, sizeof(marker), EVENT_TRUNC_MARKER, cut);
	if (mlen < 0 || (buf = malloc(keep + (size_t)mlen + 1)) == NULL)
		return 0;
	memcpy(buf, s, keep);
	memcpy(buf + keep, marker, (size_t)mlen + 1);
	json_object_set_string_len(o, buf, (int)(keep + (size_t)mlen));
	free(buf);
	return cut;
}

size_t
event_truncate_strings(json_object *obj, size_t field_max)
{
	size_t cut = 0, i, n;

	switch (json_object_get_type(obj)) {
	case json_type_string:
		return event_cut_string(obj, field_max);
	case json_type_array:
		n = json_object_array_length(obj);
		for (i = 0; i < n; i++)
			cut += event_truncate_strings(json_object_array_get_idx(obj, i), field_max);
		return cut;
	case json_type_object: {
		json_object_object_foreach (obj, key, val) {
			(void)key;
			cut += event_truncate_strings(val, field_max);
		}
		return cut;
	}
	default:
		return 0;
	}
}

/* ---------------------------------------------------------------- files */

static void
event_files_add(json_object *arr, json_object *v)
{
	const char *s;
	size_t i, n;

	if (!json_object_is_type(v, json_type_string))
		return;
	s = json_object_get_string(v);
	if (*s == '\0')
		return;
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), s) == 0)
			return;
	json_object_array_add(arr, json_object_new_string_len(s, json_object_get_string_len(v)));
}

/* obj[k1][k2]... for a NULL-terminated path, or NULL. */
static json_object *
event_get_path(json_object *obj, const char *const *path)
{
	for (; *path != NULL; path++)
		if (!json_object_is_type(obj, json_type_object) ||
		    !json_object_object_get_ex(obj, *path, &obj))
			return NULL;
	return obj;
}

json_object *
event_files(json_object *data)
{
	static const char *const paths[][4] = {
	    {"tool_input", "file_path", NULL},
	    {"tool_input", "notebook_path", NULL},
	    {"tool_input", "path", NULL},
	    {"tool_response", "filePath", NULL},
	    {"tool_response", "file", "filePath", NULL},
	};
	json_object *arr, *v;
	size_t i;

	if ((arr = json_object_new_array()) == NULL)
		return NULL;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if ((v = event_get_path(data, paths[i])) != NULL)
			event_files_add(arr, v);
	return arr;
}

/* ---------------------------------------------------------------- parsing */

/* 1 when a double would not serialize as a JSON number (NaN, Infinity). */
static int
event_bad_double(json_object *o)
{
	const char *s;

	if (isfinite(json_object_get_double(o)))
		return 0;
	/* json-c keeps the text of a parsed number: 1e999 stays "1e999". */
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (*s == '-')
		s++;
	return !isdigit((unsigned char)*s);
}

static int
event_has_bad_number(json_object *obj)
{
	size_t i, n;

	switch (json_object_get_type(obj)) {
	case json_type_double:
		return event_bad_double(obj);
	case json_type_array:
		n = json_object_array_length(obj);
		for (i = 0; i < n; i++)
			if (event_has_bad_number(json_object_array_get_idx(obj, i)))
				return 1;
		return 0;
	case json_type_object: {
		json_object_object_foreach (obj, key, val) {
			(void)key;
			if (event_has_bad_number(val))
				return 1;
		}
		return 0;
	}
	default:
		return 0;
	}
}

/*
 * A tokener per thread, kept between calls: creating one costs about as
 * much as parsing a small event.  Returns it reset, or NULL.
 */
static struct json_tokener *
event_tokener(int depth_max)
{
	static __thread struct json_tokener *tok;
	static __thread int tok_depth;

	if (tok != NULL && tok_depth == depth_max) {
		json_tokener_reset(tok);
		return tok;
	}
	if (tok != NULL)
		json_tokener_free(tok);
	if ((tok = json_tokener_new_ex(depth_max)) == NULL)
		return NULL;
	tok_depth = depth_max;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	return tok;
}

/*
 * The shared parser.  Returns a new object, or NULL with *reason and a short
 * explanation in detail.
 */
static json_object *
event_parse(const char *in, size_t len, int depth_max, const char **reason, char *detail,
	    size_t detaillen)
{
	struct json_tokener *tok;
	json_object *obj;
	enum json_tokener_error je;
	size_t off, end;
	const char *p;

	for (off = 0;
	     off < len && (in[off] == ' ' || in[off] == '\t' || in[off] == '\n' || in[off] == '\r');
	     off++)
		;
	if (off == len) {
		*reason = EVENT_R_EMPTY;
		snprintf(detail, detaillen, "no JSON value in the input");
		return NULL;
	}
	if ((p = memchr(in, '\0', len)) != NULL) {
		*reason = EVENT_R_NUL_BYTE;
		snprintf(detail, detaillen, "NUL byte at offset %zu", (size_t)(p - in));
		return NULL;
	}
	if ((off = util_utf8_valid(in, len)) != len) {
		*reason = EVENT_R_INVALID_UTF8;
		snprintf(detail, detaillen, "invalid UTF-8 at offset %zu", off);
		return NULL;
	}
	if (len > INT_MAX) {
		*reason = EVENT_R_TOO_LARGE;
		snprintf(detail, detaillen, "input of %zu bytes", len);
		return NULL;
	}
	if ((tok = event_tokener(depth_max)) == NULL) {
		*reason = NULL; /* out of memory */
		snprintf(detail, detaillen, "out of memory");
		return NULL;
	}
	obj = json_tokener_parse_ex(tok, in, (int)len);
	je = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (obj == NULL && je == json_tokener_continue) {
		/* A bare number at the very end waits for a terminator: give it one. */
		obj = json_tokener_parse_ex(tok, "", 1);
		if ((je = json_tokener_get_error(tok)) == json_tokener_success)
			end = len;
	}
	if (obj == NULL && je == json_tokener_success) {
		*reason = EVENT_R_NOT_OBJECT; /* the input was "null" */
		snprintf(detail, detaillen, "a JSON null, not an object");
		return NULL;
	}
	if (obj == NULL) {
		if (je == json_tokener_error_depth) {
			*reason = EVENT_R_TOO_DEEP;
			snprintf(detail, detaillen, "nesting deeper than %d", depth_max);
		} else {
			*reason = EVENT_R_INVALID_JSON;
			snprintf(detail, detaillen, "%s at offset %zu",
				 je == json_tokener_continue ? "unexpected end of input"
							     : json_tokener_error_desc(je),
				 end);
		}
		return NULL;
	}
	/* Only white space may follow the value. */
	for (off = end; off < len; off++)
		if (in[off] != ' ' && in[off] != '\t' && in[off] != '\n' && in[off] != '\r') {
			*reason = EVENT_R_INVALID_JSON;
			snprintf(detail, detaillen, "trailing data at offset %zu", off);
			json_object_put(obj);
			return NULL;
		}
	if (!json_object_is_type(obj, json_type_object)) {
		*reason = EVENT_R_NOT_OBJECT;
		snprintf(detail, detaillen, "a JSON %s, not an object",
			 json_type_to_name(json_object_get_type(obj)));
		json_object_put(obj);
		return NULL;
	}
	if (event_has_bad_number(obj)) {
		*reason = EVENT_R_INVALID_JSON;
		snprintf(detail, detaillen, "NaN or Infinity is not JSON");
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

json_object *
event_parse_line(const char *line, size_t len, const struct event_limits *lim, const char **reason)
{
	char detail[128];
	json_object *obj;
	const char *r = NULL;

	obj = event_parse(line, len, lim->depth_max, &r, detail, sizeof(detail));
	if (obj == NULL)
		/* An empty line is not an event either. */
		*reason = r == NULL			  ? EVENT_R_INVALID_JSON
			  : strcmp(r, EVENT_R_EMPTY) == 0 ? EVENT_R_INVALID_JSON
							  : r;
	return obj;
}

/* ---------------------------------------------------------------- validation */

static int
event_is_hex_id(json_object *v)
{
	const char *s;
	int i;

	if (!json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) != EVENT_ID_LEN)
		return 0;
	s = json_object_get_string(v);
	for (i = 0; i < EVENT_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int
event_validate(json_object *ev, const char **reason)
{
	static const char *optstr[] = {"session_id", "tool",	"tool_use_id", "cwd", "host",
				       "user",	     "project", "agent_id",    NULL};
	json_object *v;
	size_t i, n;

	if (!json_object_is_type(ev, json_type_object)) {
		*reason = EVENT_R_NOT_OBJECT;
		return -1;
	}
	if (!json_object_object_get_ex(ev, "id", &v) ||
	    !json_object_object_get_ex(ev, "ts", NULL) ||
	    !json_object_object_get_ex(ev, "event", NULL) ||
	    !json_object_object_get_ex(ev, "data", NULL)) {
		*reason = EVENT_R_MISSING_FIELD;
		return -1;
	}
	if (!event_is_hex_id(v))
		goto bad;
	json_object_object_get_ex(ev, "ts", &v);
	if (!json_object_is_type(v, json_type_string))
		goto bad;
	json_object_object_get_ex(ev, "event", &v);
	if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0)
		goto bad;
	json_object_object_get_ex(ev, "data", &v);
	if (!json_object_is_type(v, json_type_object))
		goto bad;
	for (i = 0; optstr[i] != NULL; i++)
		if (json_object_object_get_ex(ev, optstr[i], &v) &&
		    !json_object_is_type(v, json_type_string))
			goto bad;
	if (json_object_object_get_ex(ev, "files", &v)) {
		if (!json_object_is_type(v, json_type_array))
			goto bad;
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_string))
				goto bad;
	}
	if (json_object_object_get_ex(ev, "meta", &v) && !json_object_is_type(v, json_type_object))
		goto bad;
	if (json_object_object_get_ex(ev, "seq", &v) && !json_object_is_type(v, json_type_int))
		goto bad;
	return 0;
bad:
	*reason = EVENT_R_BAD_FIELD;
	return -1;
}

/* ---------------------------------------------------------------- building */

static void
event_add_str(json_object *ev, const char *key, const char *s)
{
	if (s != NULL)
		json_object_object_add(ev, key, json_object_new_string(s));
}

/* id, ts, event: the head every event starts with. */
static json_object *
event_head(const char *name, size_t namelen, int64_t now_us)
{
	char id[EVENT_ID_LEN + 1], ts[40];
	json_object *ev;

	if ((ev = json_object_new_object()) == NULL)
		return NULL;
	event_new_id(id);
	event_format_ts(now_us, ts, sizeof(ts));
	json_object_object_add(ev, "id", json_object_new_string(id));
	json_object_object_add(ev, "ts", json_object_new_string(ts));
	json_object_object_add(ev, "event", json_object_new_string_len(name, (int)namelen));
	return ev;
}

static json_object *
event_meta(size_t truncated)
{
	json_object *meta;

	if ((meta = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(meta, "scrubbed", json_object_new_int(0));
	json_object_object_add(meta, "truncated", json_object_new_int64((int64_t)truncated));
	json_object_object_add(meta, "capture_us", json_object_new_int(0));
	return meta;
}

/*
 * Copies up to max bytes of in, escaping bytes that are not well-formed
 * UTF-8 as the four characters \xHH (json-c then escapes NUL and other
 * control characters as \u00XX).  Stops before a sequence that would not
 * fit.  Returns a new string object.
 */
static json_object *
event_escaped_copy(const char *in, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)in;
	json_object *o;
	size_t i = 0, o_len = 0, k;
	char *buf;

	if (len > max)
		len = max;
	if ((buf = malloc(len * 4 + 1)) == NULL)
		return NULL;
	while (i < len) {
		if ((k = util_utf8_seq(p + i, len - i)) > 0) {
			memcpy(buf + o_len, p + i, k);
			o_len += k;
			i += k;
		} else {
			snprintf(buf + o_len, 5, "\\x%02x", p[i]);
			o_len += 4;
			i++;
		}
	}
	o = json_object_new_string_len(buf, (int)o_len);
	free(buf);
	return o;
}

/*
 * The EVENT_INPUT_ERROR event for input in[0..len) refused with reason.
 * The copy shrinks until the event fits event_max.
 */
static json_object *
event_input_error(const char *in, size_t len, const char *reason, const char *detail,
		  const struct event_limits *lim, const struct event_env *env, int64_t now_us)
{
	json_object *ev = NULL, *data;
	size_t copy = lim->bad_copy, n;

	for (;;) {
		if ((ev = event_head(EVENT_INPUT_ERROR, strlen(EVENT_INPUT_ERROR), now_us)) == NULL)
			return NULL;
		event_add_str(ev, "host", env ? env->host : NULL);
		event_add_str(ev, "user", env ? env->user : NULL);
		if (env != NULL && env->project_dir != NULL && *env->project_dir != '\0')
			event_add_str(ev, "project", env->project_dir);
		json_object_object_add(ev, "files", json_object_new_array());
		if ((data = json_object_new_object()) == NULL)
			goto fail;
		json_object_object_add(ev, "data", data);
		json_object_object_add(data, "error", json_object_new_string(reason));
		json_object_object_add(data, "detail", json_object_new_string(detail));
		json_object_object_add(data, "input_bytes", json_object_new_int64((int64_t)len));
		json_object_object_add(data, "input", event_escaped_copy(in, len, copy));
		json_object_object_add(ev, "meta", event_meta(len > copy ? len - copy : 0));
		if (event_to_string(ev, &n) == NULL)
			goto fail;
		if (n <= lim->event_max || copy == 0)
			return ev;
		json_object_put(ev);
		copy /= 2;
	}
fail:
	json_object_put(ev);
	return NULL;
}

/* Assembles the canonical event around data (which it takes a reference to). */
static json_object *
event_assemble(json_object *data, const char *name, size_t namelen, const struct event_env *env,
	       int64_t now_us, size_t truncated)
{
	json_object *ev, *v;
	const char *project = NULL;
	size_t i;

	if ((ev = event_head(name, namelen, now_us)) == NULL)
		return NULL;
	for (i = 0; i < sizeof(event_lifted) / sizeof(event_lifted[0]); i++)
		if (json_object_object_get_ex(data, event_lifted[i].from, &v) &&
		    json_object_is_type(v, json_type_string))
			json_object_object_add(
			    ev, event_lifted[i].name,
			    json_object_new_string_len(json_object_get_string(v),
						       json_object_get_string_len(v)));
	event_add_str(ev, "host", env ? env->host : NULL);
	event_add_str(ev, "user", env ? env->user : NULL);
	if (env != NULL && env->project_dir != NULL && *env->project_dir != '\0')
		project = env->project_dir;
	if (project != NULL)
		event_add_str(ev, "project", project);
	else if (json_object_object_get_ex(data, "cwd", &v) &&
		 json_object_is_type(v, json_type_string))
		json_object_object_add(ev, "project",
				       json_object_new_string_len(json_object_get_string(v),
								  json_object_get_string_len(v)));
	json_object_object_add(ev, "files", event_files(data));
	json_object_object_add(ev, "data", json_object_get(data));
	json_object_object_add(ev, "meta", event_meta(truncated));
	return ev;
}

json_object *
event_from_hook(const char *in, size_t len, const struct event_limits *lim,
		const struct event_env *env, int64_t now_us)
{
	json_object *data = NULL, *ev = NULL, *name, *small;
	const char *reason = NULL, *nm;
	char detail[160];
	size_t truncated, n, fm, nmlen;

	if (len > lim->input_max) {
		snprintf(detail, sizeof(detail),
			 "input of %zu bytes is over capture.input_max (%zu)", len, lim->input_max);
		return event_input_error(in, len, EVENT_R_TOO_LARGE, detail, lim, env, now_us);
	}
	data = event_parse(in, len, lim->depth_max, &reason, detail, sizeof(detail));
	if (data == NULL) {
		if (reason == NULL)
			return NULL; /* out of memory */
		return event_input_error(in, len, reason, detail, lim, env, now_us);
	}
	if (!json_object_object_get_ex(data, "hook_event_name", &name)) {
		json_object_put(data);
		return event_input_error(in, len, EVENT_R_MISSING_FIELD, "no hook_event_name", lim,
					 env, now_us);
	}
	if (!json_object_is_type(name, json_type_string) || json_object_get_string_len(name) == 0) {
		json_object_put(data);
		return event_input_error(in, len, EVENT_R_BAD_FIELD,
					 "hook_event_name is not a non-empty string", lim, env,
					 now_us);
	}

	/* Cut the strings, then check the size; cut harder while too large. */
	fm = lim->field_max;
	truncated = event_truncate_strings(data, fm);
	for (;;) {
		json_object_object_get_ex(data, "hook_event_name", &name);
		nm = json_object_get_string(name);
		nmlen = (size_t)json_object_get_string_len(name);
		if ((ev = event_assemble(data, nm, nmlen, env, now_us, truncated)) == NULL)
			goto fail;
		if (event_to_string(ev, &n) == NULL)
			goto fail;
		if (n <= lim->event_max)
			goto done;
		if (fm <= EVENT_FIELD_FLOOR)
			break;
		json_object_put(ev);
		ev = NULL;
		fm = fm / 2 < EVENT_FIELD_FLOOR ? EVENT_FIELD_FLOOR : fm / 2;
		truncated += event_truncate_strings(data, fm);
	}

	/* Still too large (many keys, long keys, long arrays): keep the event,
	 * its name, lifted fields and files, and replace its data by a short
	 * note that carries the (already cut) fields the event was lifted from. */
	json_object_put(ev);
	ev = NULL;
	if ((small = json_object_new_object()) == NULL)
		goto fail;
	json_object_object_add(small, "error", json_object_new_string(EVENT_R_TOO_LARGE));
	snprintf(detail, sizeof(detail), "event over capture.event_max (%zu) after cutting strings",
		 lim->event_max);
	json_object_object_add(small, "detail", json_object_new_string(detail));
	json_object_object_add(small, "input_bytes", json_object_new_int64((int64_t)len));
	json_object_object_get_ex(data, "hook_event_name", &name);
	json_object_object_add(small, "hook_event_name", json_object_get(name));
	for (n = 0; n < sizeof(event_lifted) / sizeof(event_lifted[0]); n++) {
		json_object *v;

		if (json_object_object_get_ex(data, event_lifted[n].from, &v) &&
		    json_object_is_type(v, json_type_string))
			json_object_object_add(small, event_lifted[n].from, json_object_get(v));
	}
	ev = event_assemble(small, json_object_get_string(name),
			    (size_t)json_object_get_string_len(name), env, now_us, len);
	json_object_put(small);
	if (ev == NULL)
		goto fail;
	/* The files the event touched come from the full data. */
	json_object_object_add(ev, "files", event_files(data));
	if (event_to_string(ev, &n) == NULL)
		goto fail;
	if (n > lim->event_max) {
		json_object_put(ev);
		json_object_put(data);
		snprintf(detail, sizeof(detail),
			 "event over capture.event_max (%zu) even without its data",
			 lim->event_max);
		return event_input_error(in, len, EVENT_R_TOO_LARGE, detail, lim, env, now_us);
	}
done:
	json_object_put(data);
	return ev;
fail:
	json_object_put(ev);
	json_object_put(data);
	return NULL;
}
