/*
 * rowscan.c: row_parse()'s fast path: the columns and the full-text text of
 * a canonical event read in one pass over its bytes, without json-c.
 *
 * Parsing each event with json-c took a third of the store's CPU at 20,000
 * events/s (perf, 1 KiB events): an object, a string and a hash table
 * allocated and freed per member.  The events in the ring and the journal
 * are compact JSON written by json-c, and this scanner takes only that
 * shape, where it knows it reads what json-c would:
 *   compact JSON (RFC 8259, no white space outside strings, nothing after
 *   the object), UTF-8 without raw control characters in strings, escapes
 *   in strings but \u only of a control character (json-c writes the
 *   others as UTF-8), no escape in a key, no key repeated in an object,
 *   at most ROWSCAN_KEYS_MAX keys in an object, nesting below
 *   ROWSCAN_DEPTH_MAX, numbers of at most 18 digits before and after the
 *   point and no exponent.
 * Anything else it declines (-1), and row_parse() takes the json-c path,
 * which decides.  What it accepts gives the same row, byte for byte
 * (check_store and fuzz_row compare the two).  No allocation but r's text
 * and string buffers.
 */
#include <stdlib.h>
#include <string.h>

#include "event_scan.h"
#include "store.h"
#include "util.h"

/* json-c's own limit is 32 (JSON_TOKENER_DEFAULT_DEPTH); below it, with
 * room, so that both read the same. */
#define ROWSCAN_DEPTH_MAX 30
/* Keys of one object compared for a repeat; an object with more is declined. */
#define ROWSCAN_KEYS_MAX 64

struct rowscan {
	const unsigned char *p, *end;
	int depth;
};

/* A string's bytes between its quotes, and whether it holds escapes. */
struct rs_str {
	const unsigned char *s;
	size_t n;
	int esc;
};

static int rowscan_value(struct rowscan *c);

/* The string at c->p (its opening quote) into *out: read as the router's
 * scanner reads one (event_scan_string_at()), \/ taken too. */
static int
rowscan_string(struct rowscan *c, struct rs_str *out)
{
	const unsigned char *q = event_scan_string_at(c->p, c->end, 1, &out->esc, NULL);

	if (q == NULL)
		return -1;
	out->s = c->p + 1;
	out->n = (size_t)(q - 1 - out->s);
	c->p = q;
	return 0;
}

/* Decodes str (checked by rowscan_string()) to dst, which holds str->n
 * bytes; returns the length written. */
static size_t
rowscan_decode(const struct rs_str *str, char *dst)
{
	const unsigned char *p = str->s, *end = str->s + str->n;
	size_t n = 0;

	if (!str->esc) {
		memcpy(dst, p, str->n);
		return str->n;
	}
	while (p < end) {
		if (*p != '\\') {
			dst[n++] = (char)*p++;
			continue;
		}
		switch (p[1]) {
		case 'b':
			dst[n++] = '\b';
			break;
		case 'f':
			dst[n++] = '\f';
			break;
		case 'n':
			dst[n++] = '\n';
			break;
		case 'r':
			dst[n++] = '\r';
			break;
		case 't':
			dst[n++] = '\t';
			break;
		case 'u':
			dst[n++] = (char)(util_hexval(p[4]) << 4 | util_hexval(p[5]));
			p += 6;
			continue;
		default: /* " \ / */
			dst[n++] = (char)p[1];
			break;
		}
		p += 2;
	}
	return n;
}

static int
rowscan_number(struct rowscan *c)
{
	const unsigned char *p = c->p, *end = c->end, *d;

	if (p < end && *p == '-')
		p++;
	d = p;
	if (p < end && *p == '0')
		p++;
	else
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	if (p == d || p - d > 18)
		return -1;
	if (p < end && *p == '.') {
		d = ++p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == d || p - d > 18)
			return -1;
	}
	if (p < end && (*p == 'e' || *p == 'E'))
		return -1;
	c->p = p;
	return 0;
}

static int
rowscan_lit(struct rowscan *c, const char *lit, size_t n)
{
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return -1;
	c->p += n;
	return 0;
}

/* Opens the object or array at c->p: 1 when it is empty (and closed), 0,
 * or -1 when it is nested too deep. */
static int
rowscan_open(struct rowscan *c, int close)
{
	if (++c->depth > ROWSCAN_DEPTH_MAX)
		return -1;
	if (++c->p < c->end && *c->p == close) {
		c->p++;
		c->depth--;
		return 1;
	}
	return 0;
}

/* After a member or an element: ',' (returns 1) or the closing byte (0). */
static int
rowscan_next(struct rowscan *c, int close)
{
	if (c->p < c->end && *c->p == ',') {
		c->p++;
		return 1;
	}
	if (c->p >= c->end || *c->p != close)
		return -1;
	c->p++;
	c->depth--;
	return 0;
}

/*
 * The members of the object at c->p, each value skipped past; for each,
 * when fn is set, fn(arg, key, value start) after the value is scanned
 * (c->p then just past it).  Declines a repeated key, an escaped key, more
 * than ROWSCAN_KEYS_MAX keys.
 */
typedef void rowscan_member_fn(void *arg, const struct rs_str *key, const unsigned char *v,
			       const unsigned char *vend);

static int
rowscan_object(struct rowscan *c, rowscan_member_fn *fn, void *arg)
{
	struct rs_str keys[ROWSCAN_KEYS_MAX];
	const unsigned char *v;
	size_t nk = 0, i;
	int r;

	if ((r = rowscan_open(c, '}')) != 0)
		return r < 0 ? -1 : 0;
	do {
		if (nk == ROWSCAN_KEYS_MAX || c->p >= c->end || *c->p != '"' ||
		    rowscan_string(c, &keys[nk]) == -1 || keys[nk].esc)
			return -1;
		for (i = 0; i < nk; i++)
			if (keys[i].n == keys[nk].n &&
			    memcmp(keys[i].s, keys[nk].s, keys[nk].n) == 0)
				return -1;
		if (c->p >= c->end || *c->p != ':')
			return -1;
		c->p++;
		v = c->p;
		if (rowscan_value(c) == -1)
			return -1;
		if (fn != NULL)
			fn(arg, &keys[nk], v, c->p);
		nk++;
	} while ((r = rowscan_next(c, '}')) == 1);
	return r;
}

static int
rowscan_array(struct rowscan *c)
{
	int r;

	if ((r = rowscan_open(c, ']')) != 0)
		return r < 0 ? -1 : 0;
	do {
		if (rowscan_value(c) == -1)
			return -1;
	} while ((r = rowscan_next(c, ']')) == 1);
	return r;
}

static int
rowscan_value(struct rowscan *c)
{
	struct rs_str s;

	if (c->p >= c->end)
		return -1;
	switch (*c->p) {
	case '"':
		return rowscan_string(c, &s);
	case '{':
		return rowscan_object(c, NULL, NULL);
	case '[':
		return rowscan_array(c);
	case 't':
		return rowscan_lit(c, "true", 4);
	case 'f':
		return rowscan_lit(c, "false", 5);
	case 'n':
		return rowscan_lit(c, "null", 4);
	default:
		return rowscan_number(c);
	}
}

/* A value already scanned: [v, vend). */
struct rs_span {
	const unsigned char *v, *vend;
};

static int
rs_key_is(const struct rs_str *k, const char *name)
{
	size_t n = strlen(name);

	return k->n == n && memcmp(k->s, name, n) == 0;
}

/* Members looked up by name: the span of each wanted one. */
struct rs_pick {
	const char *const *names;
	struct rs_span *found;
};

static void
rowscan_pick(void *arg, const struct rs_str *key, const unsigned char *v, const unsigned char *vend)
{
	struct rs_pick *pk = arg;
	size_t i;

	for (i = 0; pk->names[i] != NULL; i++)
		if (rs_key_is(key, pk->names[i])) {
			pk->found[i].v = v;
			pk->found[i].vend = vend;
			return;
		}
}

/* The object in span (already scanned, so it is well formed): its members
 * named in names into found. */
static void
rowscan_pick_in(const struct rs_span *span, const char *const *names, struct rs_span *found)
{
	struct rowscan c = {span->v, span->vend, 0};
	struct rs_pick pk = {names, found};

	(void)rowscan_object(&c, rowscan_pick, &pk);
}

/* The string in span (a scanned value), decoded into r's string buffer
 * and NUL-terminated; NULL when span is not a string. */
static const char *
rowscan_str(struct row *r, const struct rs_span *span, size_t *len)
{
	struct rowscan c = {span->v, span->vend, 0};
	struct rs_str s;
	char *out;

	if (span->v == NULL || *span->v != '"' || rowscan_string(&c, &s) == -1)
		return NULL;
	/* the buffer was sized for the whole line: a value fits */
	out = r->r_buf + r->r_buf_len;
	*len = rowscan_decode(&s, out);
	out[*len] = '\0';
	r->r_buf_len += *len + 1;
	return out;
}

/* Appends the string in span, cut at a NUL as strlen() would (row_put_str). */
static int
rowscan_put_str(struct row *r, const struct rs_span *span, size_t max)
{
	size_t n;
	const char *s = rowscan_str(r, span, &n);

	return s == NULL ? 0 : row_put(r, s, strlen(s), max);
}

/* Every string in the value [v, vend), depth first (row_put_all()); a
 * nested value is scanned again when it is walked, so the cost grows with
 * the nesting, which ROWSCAN_DEPTH_MAX bounds. */
struct rs_all {
	struct row *r;
	size_t max;
	int full;
};

static void rowscan_put_all(struct rs_all *a, const unsigned char *v, const unsigned char *vend);

static void
rowscan_put_member(void *arg, const struct rs_str *key, const unsigned char *v,
		   const unsigned char *vend)
{
	(void)key;
	rowscan_put_all(arg, v, vend);
}

static void
rowscan_put_all(struct rs_all *a, const unsigned char *v, const unsigned char *vend)
{
	struct rowscan c = {v, vend, 0};
	struct rs_span sp = {v, vend};
	const char *s;
	size_t n;

	if (a->full)
		return;
	switch (*v) {
	case '"':
		s = rowscan_str(a->r, &sp, &n);
		if (s != NULL && row_put(a->r, s, n, a->max) == -1)
			a->full = 1;
		return;
	case '{':
		(void)rowscan_object(&c, rowscan_put_member, a);
		return;
	case '[':
		c.p++;
		while (*c.p != ']' && !a->full) {
			const unsigned char *e0 = c.p;

			(void)rowscan_value(&c);
			rowscan_put_all(a, e0, c.p);
			if (*c.p == ',')
				c.p++;
		}
		return;
	default:
		return;
	}
}

int
row_scan(struct row *r, const char *json, size_t len, size_t text_max)
{
	static const char *const top[] = {"ts",	   "event",	  "session_id", "agent_id",
					  "tool",  "tool_use_id", "project",	"cwd",
					  "files", "data",	  NULL};
	static const char *const data_keys[] = {
	    "prompt", "tool_input", "tool_response",	      "message",
	    "error",  "reason",	    "last_assistant_message", NULL};
	static const char *const input_keys[] = {"command", "description", "pattern", "query",
						 "url",	    "prompt",	   NULL};
	struct rs_span f[10] = {{0}}, d[7] = {{0}}, ti[6] = {{0}};
	struct rowscan c = {(const unsigned char *)json, (const unsigned char *)json + len, 0};
	struct rs_pick top_pick = {top, f};
	const char **col[8];
	size_t i, n;

	row_reset(r);
	/* one pass checks all of it and finds the members wanted at the top */
	if (len == 0 || *c.p != '{' || rowscan_object(&c, rowscan_pick, &top_pick) == -1 ||
	    c.p != c.end)
		return -1;
	/* every decoded string is no longer than the line, and each comes once */
	if (r->r_buf_cap < len + 16) {
		size_t cap = len + 16 > 4096 ? len + 16 : 4096;
		char *nb = realloc(r->r_buf, cap);

		if (nb == NULL)
			return -1;
		r->r_buf = nb;
		r->r_buf_cap = cap;
	}
	r->r_buf_len = 0;
	col[0] = &r->r_ts;
	col[1] = &r->r_event;
	col[2] = &r->r_session;
	col[3] = &r->r_agent;
	col[4] = &r->r_tool;
	col[5] = &r->r_tool_use_id;
	col[6] = &r->r_project;
	col[7] = &r->r_cwd;
	for (i = 0; i < 8; i++)
		*col[i] = rowscan_str(r, &f[i], &n);
	r->r_ts_us = row_ts_us(r->r_ts);
	if (text_max == 0)
		return 0;

	if (f[9].v != NULL && *f[9].v == '{') {
		rowscan_pick_in(&f[9], data_keys, d);
		if (d[1].v != NULL && *d[1].v == '{')
			rowscan_pick_in(&d[1], input_keys, ti);
	}
	if (rowscan_put_str(r, &d[0], text_max) == -1)
		return 0;
	for (i = 0; i < 6; i++)
		if (rowscan_put_str(r, &ti[i], text_max) == -1)
			return 0;
	if (f[8].v != NULL && *f[8].v == '[') {
		struct rowscan a = {f[8].v + 1, f[8].vend, 0};

		while (*a.p != ']') {
			struct rs_span e = {a.p, NULL};

			(void)rowscan_value(&a);
			e.vend = a.p;
			if (rowscan_put_str(r, &e, text_max) == -1)
				return 0;
			if (*a.p == ',')
				a.p++;
		}
	}
	for (i = 3; i < 7; i++)
		if (rowscan_put_str(r, &d[i], text_max) == -1)
			return 0;
	if (d[2].v != NULL)
		rowscan_put_all(&(struct rs_all){r, text_max, 0}, d[2].v, d[2].vend);
	return 0;
}
