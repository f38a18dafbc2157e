/*
 * event_scan.c: the router's fast path around event_parse_line() and
 * event_validate() (event_scan.h): a strict, allocation-free scanner that
 * accepts only ingest lines already in the form json-c would write, and
 * tells where each canonical member is in them.  Only event-router links
 * it; hook-capture, which links event.c, does not.
 *
 * It accepts compact text only (no white space outside strings), so that
 * it needs no white-space handling and what it accepts can be published as
 * it is, as json-c would write it in all that hookwire-event(5) promises:
 * UTF-8, "/" not escaped, members in their order.  Anything it is not sure
 * of (escaped keys, \u escapes but of control characters, \/, integers
 * json-c would clamp, nesting near depth_max, unknown members) makes it give
 * up: json-c then decides, as it did before.  Strings are skipped 16 bytes
 * at a time with SSE2 where the compiler has it.
 */
#include <string.h>

#include "simd.h"
#if HW_SIMD_SSE2
#include <emmintrin.h>
#endif

#include "event.h"
#include "event_scan.h"
#include "util.h"

struct event_scan_state {
	const unsigned char *p, *end;
	int depth, depth_max;
	size_t risky;	/* \\ before u or /: an escape in JSON inside a string */
	size_t members; /* keys seen */
};

static const char *const event_scan_names[EVENT_M_COUNT] = {
    "seq", "id",   "ts",   "event",   "session_id", "agent_id", "tool", "tool_use_id",
    "cwd", "host", "user", "project", "files",	    "data",	"meta",
};

static int event_scan_value(struct event_scan_state *c);

static int
event_scan_hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

const unsigned char *
event_scan_string_at(const unsigned char *p, const unsigned char *end, int slash, int *esc,
		     size_t *risky)
{
	unsigned v;
	size_t k;
	int i, x;

	*esc = 0;
	p++; /* the opening quote */
	for (;;) {
#if HW_SIMD_SSE2
		/* 16 bytes at a time to the next quote, backslash, control
		 * character or non-ASCII byte (negative as a signed byte) */
		while (end - p >= 16) {
			__m128i b = _mm_loadu_si128((const __m128i *)p);
			unsigned mask = (unsigned)_mm_movemask_epi8(
			    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, _mm_set1_epi8('"')),
						      _mm_cmpeq_epi8(b, _mm_set1_epi8('\\'))),
					 _mm_cmplt_epi8(b, _mm_set1_epi8(0x20))));

			if (mask != 0) {
				p += __builtin_ctz(mask);
				break;
			}
			p += 16;
		}
#endif
		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
			p++;
		if (p >= end || *p < 0x20)
			return NULL;
		if (*p == '"')
			return p + 1;
		if (*p >= 0x80) {
			if ((k = util_utf8_seq(p, (size_t)(end - p))) == 0)
				return NULL;
			p += k;
			continue;
		}
		*esc = 1;
		if (end - p < 2)
			return NULL;
		switch (p[1]) {
		case '"':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			p += 2;
			break;
		case '\\':
			/* an escape once this string is decoded as JSON text */
			if (risky != NULL && end - p > 2 && (p[2] == 'u' || p[2] == '/'))
				(*risky)++;
			p += 2;
			break;
		case '/':
			if (!slash)
				return NULL;
			p += 2;
			break;
		case 'u':
			if (end - p < 6)
				return NULL;
			for (v = 0, i = 2; i < 6; i++) {
				if ((x = event_scan_hexval(p[i])) < 0)
					return NULL;
				v = v << 4 | (unsigned)x;
			}
			/* only control characters: json-c writes the others as
			 * UTF-8 (and decides what a lone surrogate becomes) */
			if (v >= 0x20)
				return NULL;
			p += 6;
			break;
		default:
			return NULL;
		}
	}
}

/* The string at c->p (its opening quote); *esc: whether it holds escapes. */
static int
event_scan_string(struct event_scan_state *c, int *esc)
{
	const unsigned char *q = event_scan_string_at(c->p, c->end, 0, esc, &c->risky);

	if (q == NULL)
		return -1;
	c->p = q;
	return 0;
}

/* A key (no escapes) and its colon; *k and *klen: the key without quotes. */
static int
event_scan_key(struct event_scan_state *c, const unsigned char **k, size_t *klen)
{
	int esc;

	*k = c->p + 1;
	if (c->p >= c->end || *c->p != '"' || event_scan_string(c, &esc) == -1 || esc ||
	    c->p >= c->end || *c->p != ':')
		return -1;
	*klen = (size_t)(c->p - *k) - 1;
	c->p++;
	c->members++;
	return 0;
}

/* Returns 1 for an integer, 0 for another number, -1 when not a number
 * (or an integer json-c would clamp to 64 bits). */
static int
event_scan_number(struct event_scan_state *c)
{
	const unsigned char *p = c->p, *end = c->end, *d;
	int isint = 1;

	if (p < end && *p == '-')
		p++;
	d = p;
	if (p < end && *p == '0')
		p++;
	else if (p < end && *p >= '1' && *p <= '9')
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	else
		return -1;
	if (p - d > 18 && !(p < end && (*p == '.' || *p == 'e' || *p == 'E')))
		return -1;
	if (p < end && *p == '.') {
		isint = 0;
		if (++p >= end || *p < '0' || *p > '9')
			return -1;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		isint = 0;
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return -1;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	c->p = p;
	return isint;
}

static int
event_scan_lit(struct event_scan_state *c, const char *lit, size_t n)
{
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return -1;
	c->p += n;
	return 0;
}

/* After a member or an element: ',' (returns 1) or the closing byte (0). */
static int
event_scan_next(struct event_scan_state *c, int close)
{
	if (c->p >= c->end)
		return -1;
	if (*c->p == ',') {
		c->p++;
		return 1;
	}
	if (*c->p != close)
		return -1;
	c->p++;
	c->depth--;
	return 0;
}

/* Opens an object or array: 1 when it is empty (and closed), 0, or -1. */
static int
event_scan_open(struct event_scan_state *c, int open, int close)
{
	if (c->p >= c->end || *c->p != open || ++c->depth >= c->depth_max - 1)
		return -1;
	if (++c->p < c->end && *c->p == close) {
		c->p++;
		c->depth--;
		return 1;
	}
	return 0;
}

static int
event_scan_object(struct event_scan_state *c)
{
	const unsigned char *k;
	size_t klen;
	int r;

	if ((r = event_scan_open(c, '{', '}')) != 0)
		return r < 0 ? -1 : 0;
	do {
		if (event_scan_key(c, &k, &klen) == -1 || event_scan_value(c) == -1)
			return -1;
	} while ((r = event_scan_next(c, '}')) == 1);
	return r;
}

static int
event_scan_array(struct event_scan_state *c)
{
	int r;

	if ((r = event_scan_open(c, '[', ']')) != 0)
		return r < 0 ? -1 : 0;
	do {
		if (event_scan_value(c) == -1)
			return -1;
	} while ((r = event_scan_next(c, ']')) == 1);
	return r;
}

static int
event_scan_value(struct event_scan_state *c)
{
	int esc;

	if (c->p >= c->end)
		return -1;
	switch (*c->p) {
	case '"':
		return event_scan_string(c, &esc);
	case '{':
		return event_scan_object(c);
	case '[':
		return event_scan_array(c);
	case 't':
		return event_scan_lit(c, "true", 4);
	case 'f':
		return event_scan_lit(c, "false", 5);
	case 'n':
		return event_scan_lit(c, "null", 4);
	default:
		return event_scan_number(c) < 0 ? -1 : 0;
	}
}

/* "files": an array of strings. */
static int
event_scan_files(struct event_scan_state *c)
{
	int r, esc;

	if ((r = event_scan_open(c, '[', ']')) != 0)
		return r < 0 ? -1 : 0;
	do {
		if (c->p >= c->end || *c->p != '"' || event_scan_string(c, &esc) == -1)
			return -1;
	} while ((r = event_scan_next(c, ']')) == 1);
	return r;
}

/* "meta": an object; *scrubbed: whether it has an integer "scrubbed". */
static int
event_scan_meta(struct event_scan_state *c, int *scrubbed)
{
	const unsigned char *k;
	size_t klen;
	int r;

	*scrubbed = 0;
	if ((r = event_scan_open(c, '{', '}')) != 0)
		return r < 0 ? -1 : 0;
	do {
		if (event_scan_key(c, &k, &klen) == -1)
			return -1;
		if (klen == 8 && memcmp(k, "scrubbed", 8) == 0) {
			if (*scrubbed || event_scan_number(c) != 1)
				return -1;
			*scrubbed = 1;
		} else if (event_scan_value(c) == -1)
			return -1;
	} while ((r = event_scan_next(c, '}')) == 1);
	return r;
}

static int
event_scan_member_find(const unsigned char *k, size_t klen)
{
	static size_t lens[EVENT_M_COUNT];
	int i;

	if (lens[0] == 0) /* constant tables: racing threads write the same values */
		for (i = 0; i < EVENT_M_COUNT; i++)
			lens[i] = strlen(event_scan_names[i]);
	for (i = 0; i < EVENT_M_COUNT; i++)
		if (lens[i] == klen && event_scan_names[i][0] == k[0] &&
		    memcmp(event_scan_names[i], k, klen) == 0)
			return i;
	return -1;
}

/* Member m is a string (without escapes when plain). */
static int
event_scan_is_str(const char *line, const struct event_scan *sc, int m, int plain)
{
	const char *v = line + sc->es_off[m];

	if (sc->es_len[m] < 2 || v[0] != '"')
		return 0;
	return !plain || memchr(v, '\\', sc->es_len[m]) == NULL;
}

int
event_scan(const char *line, size_t len, int depth_max, struct event_scan *sc)
{
	static const int optstr[] = {EVENT_M_AGENT_ID, EVENT_M_TOOL, EVENT_M_CWD,
				     EVENT_M_HOST,     EVENT_M_USER, EVENT_M_PROJECT};
	struct event_scan_state c;
	const unsigned char *k, *v;
	size_t klen, risky0, i;
	int m, r, nmem = 0, data_at = -1, meta_at = -1;
	unsigned seen = 0;

	memset(sc, 0, sizeof(*sc));
	c.p = (const unsigned char *)line;
	c.end = c.p + len;
	c.depth = 0;
	c.depth_max = depth_max;
	c.risky = 0;
	c.members = 0;
	if (event_scan_open(&c, '{', '}') != 0)
		return -1;
	do {
		if (event_scan_key(&c, &k, &klen) == -1)
			return -1;
		m = event_scan_member_find(k, klen);
		v = c.p;
		risky0 = c.risky;
		if (m == EVENT_M_META)
			r = event_scan_meta(&c, &sc->es_meta_scrubbed);
		else if (m == EVENT_M_FILES)
			r = event_scan_files(&c);
		else
			r = event_scan_value(&c);
		if (r == -1)
			return -1;
		/* known members only, each once, in their order */
		if (m < 0 || (seen >> m) != 0)
			return -1;
		{
			seen |= 1u << m;
			sc->es_off[m] = (size_t)(v - (const unsigned char *)line);
			sc->es_len[m] = (size_t)(c.p - v);
			if (m == EVENT_M_DATA) {
				sc->es_data_plain = c.risky == risky0;
				data_at = nmem;
			} else if (m == EVENT_M_META)
				meta_at = nmem;
		}
		nmem++;
	} while ((r = event_scan_next(&c, '}')) == 1);
	if (r == -1 || c.p != c.end)
		return -1;
	sc->es_members = c.members;

	/* What event_validate() checks, and what the router reads as text. */
	if (sc->es_len[EVENT_M_SEQ] != 0 || sc->es_len[EVENT_M_ID] != EVENT_ID_LEN + 2 ||
	    !event_scan_is_str(line, sc, EVENT_M_ID, 1) ||
	    !event_scan_is_str(line, sc, EVENT_M_TS, 1) ||
	    !event_scan_is_str(line, sc, EVENT_M_EVENT, 1) || sc->es_len[EVENT_M_EVENT] == 2)
		return -1;
	for (i = 1; i <= EVENT_ID_LEN; i++) {
		int ch = line[sc->es_off[EVENT_M_ID] + i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return -1;
	}
	if ((sc->es_len[EVENT_M_SESSION_ID] != 0 &&
	     !event_scan_is_str(line, sc, EVENT_M_SESSION_ID, 1)) ||
	    (sc->es_len[EVENT_M_TOOL_USE_ID] != 0 &&
	     !event_scan_is_str(line, sc, EVENT_M_TOOL_USE_ID, 1)))
		return -1;
	for (i = 0; i < sizeof(optstr) / sizeof(optstr[0]); i++)
		if (sc->es_len[optstr[i]] != 0 && !event_scan_is_str(line, sc, optstr[i], 0))
			return -1;
	if (sc->es_len[EVENT_M_DATA] == 0 || line[sc->es_off[EVENT_M_DATA]] != '{')
		return -1;
	/* data last, or data then meta last */
	if (meta_at == -1 ? data_at != nmem - 1 : (meta_at != nmem - 1 || data_at != nmem - 2))
		return -1;
	return 0;
}

size_t
event_scan_count_members(json_object *obj)
{
	size_t n = 0, i, len;

	switch (json_object_get_type(obj)) {
	case json_type_array:
		len = json_object_array_length(obj);
		for (i = 0; i < len; i++)
			n += event_scan_count_members(json_object_array_get_idx(obj, i));
		return n;
	case json_type_object: {
		json_object_object_foreach (obj, key, val) {
			(void)key;
			n += 1 + event_scan_count_members(val);
		}
		return n;
	}
	default:
		return 0;
	}
}
