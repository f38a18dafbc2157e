/*
 * scrub.c: secret scrubbing (hookwire-scrub(5)), the engine and the API of
 * scrub.h.  The rules are in scrub_rules.c, the prefilter that finds where
 * they may match in scrub_prefilter.c, the NAME=value heuristics of key
 * rules in scrub_keys.c; scrub_impl.h holds what they share.
 *
 * A rule is a name, a kind and a PCRE2 pattern compiled once with JIT.  Text
 * rules find secrets in a string (capture group 1, when set, is the part to
 * redact, else the whole match).  Key rules are tested against names: JSON
 * object keys (the whole string value is replaced) and NAME in NAME=value,
 * NAME: value and "NAME": "value" text (the value is replaced).
 *
 * Running two dozen regexes over every string would cost far more than the
 * router's budget (about 2 us for a 1 KiB event), so built-in rules carry
 * trigger literals ("ghp_", "sk-ant-", "://", "pass", ...).  One pass over a
 * string (scrub_prefilter_scan()) finds the few places where a trigger may
 * start; a text rule runs only from its first trigger on, and key rules
 * look only at the names that hold a trigger.  Most strings have no trigger
 * at all and cost that one pass.  Rules from a rules file have no triggers
 * and run on every string.
 *
 * Matches of all rules are collected, sorted and merged where they overlap
 * (the earliest wins and absorbs what overlaps it, so no partial secret is
 * left), then the string is rebuilt with "[REDACTED:<rule>]" in their place.
 * A string that starts with { or [ and is valid JSON is parsed, walked like
 * the event's data and re-serialized.  Base64 image payloads are skipped.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "event.h"
#include "hwlimits.h"
#include "scrub_impl.h"

/* Levels of JSON inside JSON strings that are parsed; deeper ones are text. */
#define SCRUB_JSON_NEST_MAX 4
/* Nesting of objects and arrays walked: beyond the largest router.depth_max
 * (1000); deeper data is refused (scrub_event() returns -1), never passed
 * on unscrubbed. */
#define SCRUB_DEPTH_MAX 1024
/* PCRE2 limits, for patterns from a rules file. */
#define SCRUB_MATCH_LIMIT   1000000
#define SCRUB_JIT_STACK_MAX (1024 * 1024)

/* The start of EVENT_TRUNC_MARKER, which ends a string hook-capture cut. */
#define SCRUB_CUT "[hookwire: truncated "

void
scrub_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

struct scrub *
scrub_new(const char *rules_file, int builtin, char *err, size_t errlen)
{
	struct scrub *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		scrub_seterr(err, errlen, "out of memory");
		return NULL;
	}
	if (builtin && scrub_rules_builtin(s, err, errlen) == -1)
		goto fail;
	if (rules_file != NULL && *rules_file != '\0' &&
	    scrub_rules_load_file(s, rules_file, err, errlen) == -1)
		goto fail;
	if (scrub_prefilter_build(s) == -1 ||
	    (s->s_md = pcre2_match_data_create(4, NULL)) == NULL ||
	    (s->s_mctx = pcre2_match_context_create(NULL)) == NULL ||
	    (s->s_jstack = pcre2_jit_stack_create(32 * 1024, SCRUB_JIT_STACK_MAX, NULL)) == NULL ||
	    (s->s_tok = json_tokener_new_ex(HW_DEPTH_MAX)) == NULL) {
		scrub_seterr(err, errlen, "out of memory");
		goto fail;
	}
	pcre2_set_match_limit(s->s_mctx, SCRUB_MATCH_LIMIT);
	pcre2_jit_stack_assign(s->s_mctx, NULL, s->s_jstack);
	return s;
fail:
	scrub_free(s);
	return NULL;
}

void
scrub_free(struct scrub *s)
{
	if (s == NULL)
		return;
	scrub_rules_free(s);
	scrub_prefilter_free(s);
	pcre2_match_data_free(s->s_md);
	pcre2_match_context_free(s->s_mctx);
	pcre2_jit_stack_free(s->s_jstack);
	if (s->s_tok != NULL)
		json_tokener_free(s->s_tok);
	free(s->s_m);
	free(s->s_buf);
	free(s);
}

size_t
scrub_nrules(const struct scrub *s)
{
	return s->s_nrules;
}

const char *
scrub_rule_name(const struct scrub *s, size_t i)
{
	return i < s->s_nrules ? s->s_rules[i].sr_name : NULL;
}

uint64_t
scrub_rule_hits(const struct scrub *s, size_t i)
{
	return i < s->s_nrules ? s->s_rules[i].sr_hits : 0;
}

void
scrub_add_match(struct scrub *s, size_t start, size_t end, int rule)
{
	struct scrub_match *m;
	size_t cap;

	if (end <= start)
		return;
	if (s->s_nm == s->s_mcap) {
		cap = s->s_mcap ? s->s_mcap * 2 : 16;
		if ((m = reallocarray(s->s_m, cap, sizeof(*m))) == NULL) {
			s->s_oom = 1;
			return;
		}
		s->s_m = m;
		s->s_mcap = cap;
	}
	m = &s->s_m[s->s_nm++];
	m->sm_start = start;
	m->sm_end = end;
	m->sm_rule = rule;
}

static int
scrub_match_cmp(const void *a, const void *b)
{
	const struct scrub_match *x = a, *y = b;

	if (x->sm_start != y->sm_start)
		return x->sm_start < y->sm_start ? -1 : 1;
	return x->sm_rule - y->sm_rule;
}

/* Appends n bytes to s->s_buf.  Returns 0 or -1 (memory). */
static int
scrub_buf_add(struct scrub *s, const char *p, size_t n)
{
	char *b;
	size_t cap;

	if (s->s_buflen + n + 1 > s->s_bufcap) {
		cap = s->s_bufcap ? s->s_bufcap : 1024;
		while (cap < s->s_buflen + n + 1)
			cap *= 2;
		if ((b = realloc(s->s_buf, cap)) == NULL)
			return -1;
		s->s_buf = b;
		s->s_bufcap = cap;
	}
	memcpy(s->s_buf + s->s_buflen, p, n);
	s->s_buflen += n;
	s->s_buf[s->s_buflen] = '\0';
	return 0;
}

static void scrub_cut_tail(struct scrub *s, const char *p, size_t len);

/*
 * Runs the rules on text p (after scrub_prefilter_scan()), collecting matches in s->s_m.
 * Returns 0, or -1 when out of memory (here or in the scan).
 */
static int
scrub_collect(struct scrub *s, const char *p, size_t len)
{
	struct scrub_rule *r;
	PCRE2_SIZE *ov;
	size_t i, off, skip, ms, me;
	int rc;

	s->s_nm = 0;
	s->s_keyseen = 0;
	for (i = 0; i < s->s_nrules; i++) {
		r = &s->s_rules[i];
		if (r->sr_kind != SCRUB_TEXT)
			continue;
		if (r->sr_trig != NULL && r->sr_gen != s->s_gen)
			continue;
		off = r->sr_trig != NULL ? r->sr_first : 0;
		while (off <= len) {
			if ((rc = scrub_exec(s, r, p, len, off)) <= 0)
				break;
			ov = pcre2_get_ovector_pointer(s->s_md);
			ms = ov[0];
			me = ov[1];
			if (rc >= 2 && ov[2] != PCRE2_UNSET)
				scrub_add_match(s, ov[2], ov[3], (int)i);
			else
				scrub_add_match(s, ms, me, (int)i);
			off = me > ms ? me : ms + 1;
		}
	}
	/*
	 * Separators inside a value just redacted are not looked at again
	 * (password=password=... would cost a value scan each).
	 */
	if (s->s_key_always) {
		for (i = 0; i < len; i++)
			if ((p[i] == '=' || p[i] == ':') &&
			    (me = scrub_keys_text(s, p, len, i)) > i)
				i = me - 1;
	} else {
		for (i = 0, skip = 0, ms = 0; i < s->s_nkhit; i++) {
			/* triggers in the name just looked at end at the same place */
			if (s->s_khit[i] < ms)
				continue;
			off = scrub_keys_sep_after(p, len, s->s_khit[i], &ms);
			if (off == SCRUB_NONE || off < skip)
				continue;
			skip = off + 1;
			if ((me = scrub_keys_text(s, p, len, off)) > off)
				skip = me;
		}
	}
	scrub_cut_tail(s, p, len);
	return s->s_oom ? -1 : 0;
}

/*
 * hook-capture cuts long strings and appends EVENT_TRUNC_MARKER; a secret
 * that straddled the cut has lost its tail and may be too short for its rule.
 * So in a cut string the last word before the marker is redacted when it
 * holds a text rule's trigger (from the trigger on).
 */
static void
scrub_cut_tail(struct scrub *s, const char *p, size_t len)
{
	const unsigned char *u = (const unsigned char *)p;
	const char *m;
	size_t ms, ws, i, tail;
	int rule;

	if (len < sizeof(SCRUB_CUT) || p[len - 1] != ']')
		return;
	tail = len < 48 ? len : 48;
	if ((m = compat_memmem(p + len - tail, tail, SCRUB_CUT, sizeof(SCRUB_CUT) - 1)) == NULL)
		return;
	ms = (size_t)(m - p);
	for (ws = ms; ws > 0 && ms - ws < SCRUB_VALUE_MAX; ws--)
		if (isspace(u[ws - 1]) || u[ws - 1] == '"' || u[ws - 1] == '\'')
			break;
	for (i = ws; i + 1 < ms; i++)
		if ((rule = scrub_prefilter_text_rule_at(s, p + i, ms - i)) != -1) {
			scrub_add_match(s, i, ms, rule);
			return;
		}
}

/*
 * Rebuilds p into s->s_buf with the matches scrub_collect() found redacted.
 * Returns the number of redactions, or -1 when out of memory.
 */
static int
scrub_rebuild(struct scrub *s, const char *p, size_t len)
{
	struct scrub_rule *r;
	struct scrub_match *m;
	size_t i, off, end;
	int n = 0;

	if (s->s_nm == 0)
		return 0;
	if (s->s_nm > 1)
		qsort(s->s_m, s->s_nm, sizeof(*s->s_m), scrub_match_cmp);

	/* Merge overlaps into the earliest match, then rebuild. */
	s->s_buflen = 0;
	i = 0;
	off = 0;
	while (i < s->s_nm) {
		m = &s->s_m[i];
		end = m->sm_end;
		for (i++; i < s->s_nm && s->s_m[i].sm_start < end; i++)
			if (s->s_m[i].sm_end > end)
				end = s->s_m[i].sm_end;
		r = &s->s_rules[m->sm_rule];
		r->sr_hits++;
		n++;
		if (scrub_buf_add(s, p + off, m->sm_start - off) == -1 ||
		    scrub_buf_add(s, "[REDACTED:", 10) == -1 ||
		    scrub_buf_add(s, r->sr_name, strlen(r->sr_name)) == -1 ||
		    scrub_buf_add(s, "]", 1) == -1)
			return -1;
		off = end;
	}
	if (scrub_buf_add(s, p + off, len - off) == -1)
		return -1;
	return n;
}

static int scrub_walk(struct scrub *s, json_object *o, int depth, int nest);

/* Whether p is a data: URL of a base64 image. */
static int
scrub_is_image_url(const char *p, size_t len)
{
	return len > 11 && strncasecmp(p, "data:image/", 11) == 0 &&
	       compat_memmem(p, len < 128 ? len : 128, ";base64,", 8) != NULL;
}

/*
 * Scrubs one string; the result, when there were redactions, is in s->s_buf.
 * nest counts JSON-in-string levels.  Returns the number of redactions or -1.
 */
static int
scrub_str(struct scrub *s, const char *p, size_t len, int nest)
{
	json_object *o;
	const char *out;
	size_t i, outlen;
	int n, flags, json, esc, raw;

	if (len < 2 || (p[0] == 'd' && scrub_is_image_url(p, len)))
		return 0;
	for (i = 0; i < len && isspace((unsigned char)p[i]); i++)
		;
	json = i < len && (p[i] == '{' || p[i] == '[') && nest < SCRUB_JSON_NEST_MAX &&
	       len <= INT32_MAX;
	esc = json && memchr(p, '\\', len) != NULL;
	if (!scrub_prefilter_scan(s, p, len) && !esc)
		return 0;
	if (!json)
		return scrub_collect(s, p, len) == -1 ? -1 : scrub_rebuild(s, p, len);
	/*
	 * JSON: parsing costs more than looking at the raw text, so look first.
	 * Without escapes (which could hide a trigger) the raw text shows every
	 * secret the parsed strings hold, and every key a key rule matches.
	 */
	if (!esc) {
		if (scrub_collect(s, p, len) == -1)
			return -1;
		if (s->s_nm == 0 && !s->s_keyseen)
			return 0;
	}
	raw = esc || s->s_nm > 0;
	json_tokener_reset(s->s_tok);
	o = json_tokener_parse_ex(s->s_tok, p, (int)len);
	if (o != NULL && json_tokener_get_error(s->s_tok) == json_tokener_success) {
		for (i = json_tokener_get_parse_end(s->s_tok); i < len; i++)
			if (!isspace((unsigned char)p[i]))
				break;
		if (i == len) {
			n = scrub_walk(s, o, 0, nest + 1);
			if (n > 0) {
				flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;
				if (memchr(p, '\n', len) != NULL)
					flags = JSON_C_TO_STRING_PRETTY |
						JSON_C_TO_STRING_NOSLASHESCAPE;
				out = json_object_to_json_string_length(o, flags, &outlen);
				s->s_buflen = 0;
				if (out == NULL || scrub_buf_add(s, out, outlen) == -1)
					n = -1;
			}
			json_object_put(o);
			/*
			 * Nothing in the parsed strings, but the raw text matched
			 * (a secret whose context spans members, such as
			 * {"aws": "<40 chars>"}): redact it in the text.
			 */
			if (n != 0 || !raw)
				return n;
			o = NULL;
		}
	}
	json_object_put(o);
	/* Not JSON after all, or see above: text.  The walk reused s: scan again. */
	if (!scrub_prefilter_scan(s, p, len))
		return 0;
	if (scrub_collect(s, p, len) == -1)
		return -1;
	return scrub_rebuild(s, p, len);
}

/* Scrubs the string object o in place.  Returns redactions or -1. */
static int
scrub_str_obj(struct scrub *s, json_object *o, int nest)
{
	int n;

	n = scrub_str(s, json_object_get_string(o), (size_t)json_object_get_string_len(o), nest);
	if (n > 0 && json_object_set_string_len(o, s->s_buf, (int)s->s_buflen) == 0)
		return -1;
	return n;
}

/* Whether member key: val of an object says the object is an image. */
static int
scrub_image_member(const char *key, json_object *val)
{
	const char *v;

	if ((key[0] != 't' || key[1] != 'y') && key[0] != 'm')
		return 0;
	if (!json_object_is_type(val, json_type_string))
		return 0;
	v = json_object_get_string(val);
	if (strcmp(key, "type") == 0)
		return strcmp(v, "image") == 0;
	if (strcmp(key, "media_type") == 0 || strcmp(key, "mime_type") == 0 ||
	    strcmp(key, "mimeType") == 0)
		return strncmp(v, "image/", 6) == 0;
	return 0;
}

/* Scrubs the member key: val of an object.  Returns redactions or -1. */
static int
scrub_member(struct scrub *s, const char *key, json_object *val, int depth, int nest)
{
	char red[SCRUB_NAME_MAX + 16];
	const char *v;
	size_t vlen;
	int rule;

	if (json_object_is_type(val, json_type_string)) {
		v = json_object_get_string(val);
		vlen = (size_t)json_object_get_string_len(val);
		if ((rule = scrub_keys_rule(s, key, strlen(key))) >= 0 &&
		    !scrub_keys_placeholder(v, vlen)) {
			snprintf(red, sizeof(red), "[REDACTED:%s]", s->s_rules[rule].sr_name);
			if (json_object_set_string(val, red) == 0)
				return -1;
			s->s_rules[rule].sr_hits++;
			return 1;
		}
		return scrub_str_obj(s, val, nest);
	}
	return scrub_walk(s, val, depth + 1, nest);
}

/* Walks o, scrubbing every string in place.  Returns redactions or -1. */
static int
scrub_walk(struct scrub *s, json_object *o, int depth, int nest)
{
	json_object *data;
	size_t i, n;
	int total = 0, rc, image;

	if (depth > SCRUB_DEPTH_MAX)
		return -1;
	switch (json_object_get_type(o)) {
	case json_type_string:
		return scrub_str_obj(s, o, nest);
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			if ((rc = scrub_walk(s, json_object_array_get_idx(o, i), depth + 1, nest)) <
			    0)
				return -1;
			total += rc;
		}
		return total;
	case json_type_object:
		break;
	default:
		return 0;
	}
	/* An image's "data" is base64: decided once every member is seen. */
	image = 0;
	data = NULL;
	json_object_object_foreach (o, key, val) {
		if (val == NULL)
			continue;
		if (!image)
			image = scrub_image_member(key, val);
		if (key[0] == 'd' && key[1] == 'a' && strcmp(key, "data") == 0) {
			data = val;
			continue;
		}
		if ((rc = scrub_member(s, key, val, depth, nest)) < 0)
			return -1;
		total += rc;
	}
	if (data != NULL && !image) {
		if ((rc = scrub_member(s, "data", data, depth, nest)) < 0)
			return -1;
		total += rc;
	}
	return total;
}

int
scrub_event(struct scrub *s, json_object *ev)
{
	json_object *data, *meta, *v;
	int n = 0;

	if (!json_object_is_type(ev, json_type_object))
		return 0;
	if (json_object_object_get_ex(ev, "data", &data) && data != NULL &&
	    (n = scrub_walk(s, data, 0, 0)) < 0)
		return -1;
	if (!json_object_object_get_ex(ev, "meta", &meta) ||
	    !json_object_is_type(meta, json_type_object)) {
		if ((meta = json_object_new_object()) == NULL)
			return -1;
		if (json_object_object_add(ev, "meta", meta) != 0) {
			json_object_put(meta);
			return -1;
		}
	}
	if (json_object_object_get_ex(meta, "scrubbed", &v) &&
	    json_object_is_type(v, json_type_int)) {
		if (n > 0 && !json_object_set_int64(v, json_object_get_int64(v) + n))
			return -1;
		return n;
	}
	if ((v = json_object_new_int64(n)) == NULL)
		return -1;
	if (json_object_object_add(meta, "scrubbed", v) != 0) {
		json_object_put(v);
		return -1;
	}
	return n;
}

/*
 * Whether scrub_event() would certainly redact nothing in a "data" member
 * whose JSON text is p[0..len) (the router's fast path).  The caller
 * guarantees the text holds no \/ and no \u escape but of a control
 * character, and no \\ before a u or a / (event_scan(), es_data_plain):
 * then every string and key the walk looks at, decoded at any depth (JSON
 * in a string), is a run of this text in which no escape makes a trigger
 * byte (triggers are made of letters, digits and -_.:/, checked in
 * scrub_prefilter_build()), so a trigger the walk would find is in the text as it is.
 * No trigger in the text and no rule without triggers: no text rule runs,
 * no key matches, nothing is redacted.  Any other decoding scrub_str()
 * may do before its scan must be mirrored here: a '%' (percent-encoding)
 * already sends the text to scrub_event(), to be safe.  Returns 1 for
 * certainly clean, 0 when scrub_event() must look.
 */
int
scrub_text_clean(struct scrub *s, const char *p, size_t len)
{
	return s->s_trig_plain && memchr(p, '%', len) == NULL && !scrub_prefilter_scan(s, p, len);
}

char *
scrub_string(struct scrub *s, const char *in, size_t len, size_t *outlen, int *n)
{
	char *out;

	*n = scrub_str(s, in, len, 0);
	if (*n <= 0)
		return NULL;
	if ((out = malloc(s->s_buflen + 1)) == NULL) {
		*n = -1;
		return NULL;
	}
	memcpy(out, s->s_buf, s->s_buflen + 1);
	*outlen = s->s_buflen;
	return out;
}
