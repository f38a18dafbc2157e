/*
 * hookscan.c: one pass over Claude Code's hook JSON (hookscan.h).
 *
 * A recursive-descent scanner that copies as it checks.  Strings are the
 * bulk of any hook input (a Read result, a diff, a prompt), so their loop
 * is the one that matters: 16 bytes at a time (SSE2) to the next quote,
 * backslash, control or non-ASCII byte, copying those bytes as it goes
 * while the string is under field_max, only checking them past it.
 *
 * What json-c makes of the input, and so what hookscan must write:
 * - a string is its decoded bytes; escapes written back are \" \\ \b \f
 *   \n \r \t and \u00xx (lower-case hex) for the other control characters;
 *   "/" is written as it is, \/ too;
 * - an integer is an int64 printed in decimal ("-0" becomes "0"); another
 *   number keeps its text;
 * - members keep their order; a repeated key would keep its last value at
 *   its first place (we decline instead).
 * A string longer than field_max (decoded bytes) keeps field_max bytes,
 * backed up to the start of a UTF-8 sequence, followed by the marker
 * "[hookwire: truncated N bytes]" (EVENT_TRUNC_MARKER), as
 * event_cut_string() does; the N are summed into hs_truncated.
 *
 * hookscan_event() builds the canonical event around the scan, member for
 * member in event_assemble()'s order, in the scan's own buffer.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "simd.h"
#if HW_SIMD_SSE2
#include <emmintrin.h>
#endif

#include "hookscan.h"
#include "util.h"

/* Bytes of the cut marker at most: "[hookwire: truncated " 20 digits " bytes]". */
#define HOOKSCAN_MARKER_MAX 48
/* Room past the output for 16-byte stores. */
#define HOOKSCAN_SLACK 32
/* Integer digits and exponent below which a number is a finite double. */
#define HOOKSCAN_DBL_DIGITS 300

/* Where a member is: the object it is in decides which keys are lifted. */
enum hs_ctx { HS_NONE = 0, HS_TOP, HS_INPUT, HS_RESPONSE, HS_RESP_FILE };

struct hs_key {
	const unsigned char *k_p;
	uint32_t k_len, k_hash;
};

struct hs {
	const unsigned char *p, *end;
	unsigned char *o, *obase;
	size_t field_max;
	int depth, depth_max;
	size_t nkeys;
	struct hookscan *hs;
	struct hs_key keys[HOOKSCAN_KEYS_MAX];
};

/* The lifted keys of each context: name, member (or -1) and the context of
 * an object value (or HS_NONE). */
static const struct {
	enum hs_ctx l_in;
	const char *l_key;
	int l_member;
	enum hs_ctx l_child;
} hs_lifted[] = {
    {HS_TOP, "hook_event_name", HOOKSCAN_EVENT, HS_NONE},
    {HS_TOP, "session_id", HOOKSCAN_SESSION_ID, HS_NONE},
    {HS_TOP, "agent_id", HOOKSCAN_AGENT_ID, HS_NONE},
    {HS_TOP, "tool_name", HOOKSCAN_TOOL, HS_NONE},
    {HS_TOP, "tool_use_id", HOOKSCAN_TOOL_USE_ID, HS_NONE},
    {HS_TOP, "cwd", HOOKSCAN_CWD, HS_NONE},
    {HS_TOP, "tool_input", -1, HS_INPUT},
    {HS_TOP, "tool_response", -1, HS_RESPONSE},
    {HS_INPUT, "file_path", HOOKSCAN_FILE_PATH, HS_NONE},
    {HS_INPUT, "notebook_path", HOOKSCAN_NOTEBOOK_PATH, HS_NONE},
    {HS_INPUT, "path", HOOKSCAN_PATH, HS_NONE},
    {HS_RESPONSE, "filePath", HOOKSCAN_RESP_FILE_PATH, HS_NONE},
    {HS_RESPONSE, "file", -1, HS_RESP_FILE},
    {HS_RESP_FILE, "filePath", HOOKSCAN_RESP_FILE_FILE_PATH, HS_NONE},
};

static const char hs_hex[] = "0123456789abcdef";

static int hs_value(struct hs *s, int member, enum hs_ctx child);

size_t
hookscan_out_max(size_t len, size_t field_max)
{
	return len + HOOKSCAN_MARKER_MAX * (len / (field_max + 1) + 1) + HOOKSCAN_SLACK;
}

static void
hs_ws(struct hs *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
		s->p++;
}

/* Writes decoded byte c as json-c writes it in a string. */
static unsigned char *
hs_put_escaped(unsigned char *o, unsigned char c)
{
	switch (c) {
	case '"':
	case '\\':
		*o++ = '\\';
		*o++ = c;
		return o;
	case '\b':
		*o++ = '\\';
		*o++ = 'b';
		return o;
	case '\f':
		*o++ = '\\';
		*o++ = 'f';
		return o;
	case '\n':
		*o++ = '\\';
		*o++ = 'n';
		return o;
	case '\r':
		*o++ = '\\';
		*o++ = 'r';
		return o;
	case '\t':
		*o++ = '\\';
		*o++ = 't';
		return o;
	default:
		if (c < 0x20) {
			memcpy(o, "\\u00", 4);
			o[4] = (unsigned char)hs_hex[c >> 4];
			o[5] = (unsigned char)hs_hex[c & 0xf];
			return o + 6;
		}
		*o++ = c;
		return o;
	}
}

/* Decodes the escape at p (its backslash; end - p >= 1).  Returns its
 * length and sets *c, or 0 when hookscan does not take it. */
static size_t
hs_escape(const unsigned char *p, const unsigned char *end, unsigned char *c)
{
	int i, x;
	unsigned v;

	if (end - p < 2)
		return 0;
	switch (p[1]) {
	case '"':
	case '\\':
	case '/':
		*c = p[1];
		return 2;
	case 'b':
		*c = '\b';
		return 2;
	case 'f':
		*c = '\f';
		return 2;
	case 'n':
		*c = '\n';
		return 2;
	case 'r':
		*c = '\r';
		return 2;
	case 't':
		*c = '\t';
		return 2;
	case 'u':
		if (end - p < 6)
			return 0;
		for (v = 0, i = 2; i < 6; i++) {
			if ((x = util_hexval(p[i])) < 0)
				return 0;
			v = v << 4 | (unsigned)x;
		}
		/* Only control characters: json-c writes the others as UTF-8
		 * and decides what a lone surrogate becomes. */
		if (v >= 0x20)
			return 0;
		*c = (unsigned char)v;
		return 6;
	default:
		return 0;
	}
}

#if HW_SIMD_SSE2
/* Bit i set: byte i of b is a quote, a backslash, a control character or
 * not ASCII (negative as a signed byte). */
static inline unsigned
hs_special(__m128i b)
{
	return (unsigned)_mm_movemask_epi8(
	    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, _mm_set1_epi8('"')),
				      _mm_cmpeq_epi8(b, _mm_set1_epi8('\\'))),
			 _mm_cmplt_epi8(b, _mm_set1_epi8(0x20))));
}

static inline unsigned
hs_special16(const unsigned char *p)
{
	return hs_special(_mm_loadu_si128((const __m128i *)p));
}
#endif

/* Writes the cut marker for cut bytes at o. */
static unsigned char *
hs_put_marker(unsigned char *o, size_t cut)
{
	char digits[24];
	size_t n = 0;

	memcpy(o, "[hookwire: truncated ", 21);
	o += 21;
	do {
		digits[n++] = (char)('0' + cut % 10);
		cut /= 10;
	} while (cut != 0);
	while (n > 0)
		*o++ = (unsigned char)digits[--n];
	memcpy(o, " bytes]", 7);
	return o + 7;
}

#if HW_SIMD_SSE2
/* The escapes hs_skip() takes without leaving its loops: those of source
 * text and of JSON within it. */
static inline int
hs_simple_escape(unsigned char c)
{
	return c == 'n' || c == '"' || c == 't' || c == '\\';
}

/*
 * hs_skip()'s bulk: 64 bytes at a time while they hold no special byte but
 * simple escapes (a 64-bit mask of the four 16-byte ones; each escape
 * clears its backslash and the byte after it).  Returns where it stopped:
 * at a byte it leaves to the caller, or fewer than 64 bytes before end.
 */
static const unsigned char *
hs_skip64(const unsigned char *p, const unsigned char *end, size_t *dp)
{
	size_t d = *dp;
	uint64_t m;
	unsigned j;

	while (end - p >= 64) {
		m = (uint64_t)hs_special16(p) | (uint64_t)hs_special16(p + 16) << 16 |
		    (uint64_t)hs_special16(p + 32) << 32 | (uint64_t)hs_special16(p + 48) << 48;
		while (m != 0) {
			j = (unsigned)__builtin_ctzll(m);
			if (p[j] != '\\' || j == 63 || !hs_simple_escape(p[j + 1])) {
				*dp = d + j;
				return p + j;
			}
			m &= ~(3ull << j);
			d--; /* two bytes, one decoded */
		}
		p += 64;
		d += 64;
	}
	*dp = d;
	return p;
}
#endif

/*
 * Reads the rest of a string from p (past the limit: nothing is copied),
 * adding its decoded bytes to *d.  Returns its closing quote, or NULL when
 * hookscan does not take it.  *nul is set when it holds a \u0000.
 */
static const unsigned char *
hs_skip(const unsigned char *p, const unsigned char *end, size_t *dp, int *nul)
{
	size_t d = *dp, k;
	unsigned char c;

	for (;;) {
#if HW_SIMD_SSE2
		p = hs_skip64(p, end, &d);
		/* 16 bytes at a time; the escapes of source text (\n, \", \t,
		 * \\) without leaving the loop */
		while (end - p >= 16) {
			unsigned mask = hs_special16(p), n;

			if (mask == 0) {
				p += 16;
				d += 16;
				continue;
			}
			n = (unsigned)__builtin_ctz(mask);
			p += n;
			d += n;
			if (*p != '\\' || end - p < 2 || !hs_simple_escape(p[1]))
				break;
			p += 2;
			d++;
		}
#endif
		if (p >= end)
			return NULL;
		c = *p;
		if (c == '"')
			break;
		if (c < 0x20)
			return NULL;
		if (c == '\\') {
			if ((k = hs_escape(p, end, &c)) == 0)
				return NULL;
			if (c == '\0')
				*nul = 1;
			p += k;
			d++;
		} else if (c < 0x80) {
			p++;
			d++;
		} else {
			if ((k = util_utf8_seq(p, (size_t)(end - p))) == 0)
				return NULL;
			p += k;
			d += k;
		}
	}
	*dp = d;
	return p;
}

/*
 * A string value at s->p (its opening quote), copied to s->o up to
 * field_max decoded bytes, then read to its end and cut.  member >= 0:
 * record it.
 */
static int
hs_string(struct hs *s, int member)
{
	const unsigned char *p = s->p + 1, *end = s->end;
	unsigned char *o = s->o, *ostart = s->o, c, next = 0;
	size_t d = 0, fm = s->field_max, k, i, keep;
	int nul = 0, cut = 0;

	*o++ = '"';
	for (;;) {
#if HW_SIMD_SSE2
		/* 16 bytes at a time to the next quote, backslash, control or
		 * non-ASCII byte, stored as they are */
		while (end - p >= 16 && d + 16 <= fm) {
			__m128i b = _mm_loadu_si128((const __m128i *)p);
			unsigned mask = hs_special(b);
			unsigned n = mask != 0 ? (unsigned)__builtin_ctz(mask) : 16;

			_mm_storeu_si128((__m128i *)o, b);
			o += n;
			p += n;
			d += n;
			if (mask != 0)
				break;
		}
#endif
		if (p >= end)
			return -1;
		c = *p;
		if (c == '"')
			break;
		if (c < 0x20)
			return -1;
		if (d == fm) {
			/* The first byte past the limit: kept to back up over a
			 * cut UTF-8 sequence; then the rest is only read. */
			if (c == '\\') {
				if ((k = hs_escape(p, end, &next)) == 0)
					return -1;
				nul |= next == '\0';
				d++;
			} else if (c < 0x80) {
				next = c;
				k = 1;
				d++;
			} else {
				if ((k = util_utf8_seq(p, (size_t)(end - p))) == 0)
					return -1;
				next = c;
				d += k;
			}
			if ((p = hs_skip(p + k, end, &d, &nul)) == NULL)
				return -1;
			cut = 1;
			break;
		}
		if (c == '\\') {
			if ((k = hs_escape(p, end, &c)) == 0)
				return -1;
			nul |= c == '\0';
			o = hs_put_escaped(o, c);
			p += k;
			d++;
		} else if (c < 0x80) {
			*o++ = c;
			p++;
			d++;
		} else {
			if ((k = util_utf8_seq(p, (size_t)(end - p))) == 0)
				return -1;
			for (i = 0; i < k && d < fm; i++, d++)
				*o++ = p[i];
			if (i < k) {
				/* cut inside this sequence */
				next = p[i];
				d += k - i;
				if ((p = hs_skip(p + k, end, &d, &nul)) == NULL)
					return -1;
				cut = 1;
				break;
			}
			p += k;
		}
	}
	if (cut) {
		/* Keep fm bytes, backed up to the start of a UTF-8 sequence:
		 * the bytes backed over are raw (not ASCII), one out byte each. */
		keep = fm;
		while (keep > 0 && (next & 0xc0) == 0x80) {
			keep--;
			next = *--o;
		}
		o = hs_put_marker(o, d - keep);
		s->hs->hs_truncated += d - keep;
	}
	*o++ = '"';
	s->p = p + 1;
	s->o = o;
	if (member >= 0) {
		s->hs->hs_off[member] = (size_t)(ostart - s->obase);
		s->hs->hs_vlen[member] = (size_t)(o - ostart);
		if (nul)
			s->hs->hs_nul |= 1u << member;
	}
	return 0;
}

/* A key at s->p, copied; *k and *klen: its text without quotes. */
static int
hs_key(struct hs *s, const unsigned char **k, size_t *klen, uint32_t *hash)
{
	const unsigned char *p = s->p + 1, *end = s->end;
	uint32_t h = 2166136261u;
	size_t n;

	if (s->p >= end || *s->p != '"')
		return -1;
	*k = p;
	for (;;) {
		if (p >= end || *p < 0x20 || *p == '\\')
			return -1;
		if (*p == '"')
			break;
		if (*p >= 0x80) {
			if ((n = util_utf8_seq(p, (size_t)(end - p))) == 0)
				return -1;
		} else
			n = 1;
		while (n-- > 0)
			h = (h ^ *p++) * 16777619u;
	}
	*klen = (size_t)(p - *k);
	*hash = h;
	memcpy(s->o, s->p, *klen + 2);
	s->o += *klen + 2;
	s->p = p + 1;
	return 0;
}

/* A number, copied (an integer "-0" as "0"). */
static int
hs_number(struct hs *s)
{
	const unsigned char *p = s->p, *end = s->end, *d;
	size_t intdigits, e = 0;
	int isint = 1, eneg = 0;

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
	intdigits = (size_t)(p - d);
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
			eneg = *p++ == '-';
		if (p >= end || *p < '0' || *p > '9')
			return -1;
		while (p < end && *p >= '0' && *p <= '9') {
			if (e < HOOKSCAN_DBL_DIGITS)
				e = e * 10 + (size_t)(*p - '0');
			p++;
		}
	}
	/* json-c clamps integers past 64 bits; doubles past DBL_MAX are
	 * Infinity, which event.c refuses: leave both to json-c. */
	if (isint ? intdigits > 18
		  : intdigits >= HOOKSCAN_DBL_DIGITS ||
			(!eneg && intdigits + e >= HOOKSCAN_DBL_DIGITS))
		return -1;
	if (isint && p - s->p == 2 && s->p[0] == '-' && s->p[1] == '0') {
		*s->o++ = '0';
		s->p = p;
		return 0;
	}
	memcpy(s->o, s->p, (size_t)(p - s->p));
	s->o += p - s->p;
	s->p = p;
	return 0;
}

static int
hs_lit(struct hs *s, const char *lit, size_t n)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
		return -1;
	memcpy(s->o, lit, n);
	s->o += n;
	s->p += n;
	return 0;
}

/* Finds the lifted key k in ctx: sets *member and *child. */
static void
hs_lift(enum hs_ctx ctx, const unsigned char *k, size_t klen, int *member, enum hs_ctx *child)
{
	size_t i;

	*member = -1;
	*child = HS_NONE;
	if (ctx == HS_NONE)
		return;
	for (i = 0; i < sizeof(hs_lifted) / sizeof(hs_lifted[0]); i++)
		if (hs_lifted[i].l_in == ctx && strlen(hs_lifted[i].l_key) == klen &&
		    memcmp(hs_lifted[i].l_key, k, klen) == 0) {
			*member = hs_lifted[i].l_member;
			*child = hs_lifted[i].l_child;
			return;
		}
}

/* Opens a container; 1 when it is empty (and closed), 0, or -1. */
static int
hs_open(struct hs *s, unsigned char open, unsigned char close)
{
	/* json-c decides what is too deep */
	if (s->p >= s->end || *s->p != open || ++s->depth >= s->depth_max - 1)
		return -1;
	*s->o++ = open;
	s->p++;
	hs_ws(s);
	if (s->p < s->end && *s->p == close) {
		*s->o++ = close;
		s->p++;
		s->depth--;
		return 1;
	}
	return 0;
}

/* After a member or an element: ',' (1) or the closing byte (0), or -1. */
static int
hs_next(struct hs *s, unsigned char close)
{
	hs_ws(s);
	if (s->p >= s->end)
		return -1;
	if (*s->p == ',') {
		*s->o++ = ',';
		s->p++;
		hs_ws(s);
		return 1;
	}
	if (*s->p != close)
		return -1;
	*s->o++ = close;
	s->p++;
	s->depth--;
	return 0;
}

static int
hs_object(struct hs *s, enum hs_ctx ctx)
{
	const unsigned char *k;
	size_t klen, base = s->nkeys, i;
	uint32_t h;
	enum hs_ctx child;
	int r, member;

	if ((r = hs_open(s, '{', '}')) != 0)
		return r < 0 ? -1 : 0;
	do {
		if (hs_key(s, &k, &klen, &h) == -1)
			return -1;
		for (i = base; i < s->nkeys; i++)
			if (s->keys[i].k_hash == h && s->keys[i].k_len == klen &&
			    memcmp(s->keys[i].k_p, k, klen) == 0)
				return -1; /* json-c keeps the last value at the first place */
		if (s->nkeys == HOOKSCAN_KEYS_MAX)
			return -1;
		s->keys[s->nkeys].k_p = k;
		s->keys[s->nkeys].k_len = (uint32_t)klen;
		s->keys[s->nkeys].k_hash = h;
		s->nkeys++;
		hs_ws(s);
		if (s->p >= s->end || *s->p != ':')
			return -1;
		*s->o++ = ':';
		s->p++;
		hs_ws(s);
		hs_lift(ctx, k, klen, &member, &child);
		if (hs_value(s, member, child) == -1)
			return -1;
	} while ((r = hs_next(s, '}')) == 1);
	s->nkeys = base;
	return r;
}

static int
hs_array(struct hs *s)
{
	int r;

	if ((r = hs_open(s, '[', ']')) != 0)
		return r < 0 ? -1 : 0;
	do {
		if (hs_value(s, -1, HS_NONE) == -1)
			return -1;
	} while ((r = hs_next(s, ']')) == 1);
	return r;
}

/* A value; member: record it when it is a string; child: the context of an
 * object value. */
static int
hs_value(struct hs *s, int member, enum hs_ctx child)
{
	if (s->p >= s->end)
		return -1;
	switch (*s->p) {
	case '"':
		return hs_string(s, member);
	case '{':
		return hs_object(s, child);
	case '[':
		return hs_array(s);
	case 't':
		return hs_lit(s, "true", 4);
	case 'f':
		return hs_lit(s, "false", 5);
	case 'n':
		return hs_lit(s, "null", 4);
	default:
		return hs_number(s);
	}
}

int
hookscan_run(const char *in, size_t len, size_t field_max, int depth_max, char *out,
	     struct hookscan *hs)
{
	struct hs s;
	size_t n;

	memset(hs, 0, sizeof(*hs));
	s.p = (const unsigned char *)in;
	s.end = s.p + len;
	s.o = s.obase = (unsigned char *)out;
	s.field_max = field_max;
	s.depth = 0;
	s.depth_max = depth_max;
	s.nkeys = 0;
	s.hs = hs;
	hs_ws(&s);
	if (s.p >= s.end || *s.p != '{' || hs_object(&s, HS_TOP) == -1)
		return -1;
	hs_ws(&s);
	if (s.p != s.end)
		return -1;
	hs->hs_len = (size_t)(s.o - (unsigned char *)out);
	/* the event's name: a non-empty string without a NUL */
	n = hs->hs_vlen[HOOKSCAN_EVENT];
	if (n <= 2 || (hs->hs_nul & 1u << HOOKSCAN_EVENT))
		return -1;
	return 0;
}

size_t
hookscan_quote(const char *s, size_t len, char *out)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	unsigned char *o = (unsigned char *)out;
	size_t k;

	*o++ = '"';
	while (p < end) {
		if (*p == '\0')
			return 0;
		if (*p < 0x80) {
			o = hs_put_escaped(o, *p++);
			continue;
		}
		if ((k = util_utf8_seq(p, (size_t)(end - p))) == 0)
			return 0;
		memcpy(o, p, k);
		o += k;
		p += k;
	}
	*o++ = '"';
	return (size_t)(o - (unsigned char *)out);
}

int
hookscan_unquote(const char *s, size_t len, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	unsigned char c;
	size_t n = 0, k;

	if (len < 2 || s[0] != '"' || s[len - 1] != '"')
		return -1;
	p++;
	end--;
	while (p < end) {
		if (*p == '\\') {
			if ((k = hs_escape(p, end, &c)) == 0)
				return -1;
			p += k;
		} else
			c = *p++;
		if (c == '\0')
			break;
		if (n + 1 >= outlen)
			return -1;
		out[n++] = (char)c;
	}
	if (n >= outlen)
		return -1;
	out[n] = '\0';
	return 0;
}

/* ---------------------------------------------------------------- the event */

/* The tail of a hookscan_event() event before its capture_us is set. */
#define HOOKSCAN_EVENT_TAIL "\"capture_us\":0}}"
/* Room for the members ahead of data in hookscan_event()'s one buffer. */
#define HOOKSCAN_EVENT_HEAD 4096
/* Room after data: meta with its numbers, the capture_us set later, a newline. */
#define HOOKSCAN_EVENT_TAIL_MAX 128

/* Writes v in decimal; returns its length. */
static size_t
hs_u64(char *out, uint64_t v)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

/* Appends ,"key": and the string value v (vlen bytes, with its quotes). */
static char *
hs_member(char *o, const char *key, const char *v, size_t vlen)
{
	size_t kl = strlen(key);

	*o++ = ',';
	*o++ = '"';
	memcpy(o, key, kl);
	o += kl;
	*o++ = '"';
	*o++ = ':';
	memcpy(o, v, vlen);
	return o + vlen;
}

int
hookscan_event(const char *in, size_t len, const struct event_limits *lim,
	       const struct event_env *env, int64_t now_us, struct hookscan_event *he)
{
	/* in event_assemble()'s order (event_lifted[]) */
	static const struct {
		const char *name;
		int m;
	} lifted[] = {
	    {"session_id", HOOKSCAN_SESSION_ID},
	    {"agent_id", HOOKSCAN_AGENT_ID},
	    {"tool", HOOKSCAN_TOOL},
	    {"tool_use_id", HOOKSCAN_TOOL_USE_ID},
	    {"cwd", HOOKSCAN_CWD},
	};
	/* in event_files()'s order */
	static const int files[] = {HOOKSCAN_FILE_PATH, HOOKSCAN_NOTEBOOK_PATH, HOOKSCAN_PATH,
				    HOOKSCAN_RESP_FILE_PATH, HOOKSCAN_RESP_FILE_FILE_PATH};
	static const char input_error[] = "\"" EVENT_INPUT_ERROR "\"";
	const char *host = env != NULL ? env->host : NULL, *user = env != NULL ? env->user : NULL;
	const char *project = NULL;
	struct hookscan hs;
	char *buf, *data, *line = NULL, *o, ts[EVENT_TS_LEN + 1];
	size_t bufcap, cap, head, out, i, j, nfiles = 0, spans = 0, envlen = 0;
	int fi[sizeof(files) / sizeof(files[0])], rc = 1;

	memset(he, 0, sizeof(*he));
	if (len > lim->input_max || len > INT_MAX)
		return 1;
	/* One buffer: the members ahead of data are written in front of it
	 * when they fit in head bytes, so that the data is not copied to a
	 * second one (for the 166 KB Read payload: a second allocation, its
	 * pages and a 17 KB copy fewer).  head is HOOKSCAN_EVENT_HEAD, or
	 * less when the members cannot need that much (the values lifted are
	 * distinct parts of the output, so spans <= out): a 1 KiB event then
	 * fits in fewer pages, each a page fault in a fresh process. */
	if (env != NULL && env->project_dir != NULL && *env->project_dir != '\0')
		project = env->project_dir;
	envlen = (host != NULL ? strlen(host) : 0) + (user != NULL ? strlen(user) : 0) +
		 (project != NULL ? strlen(project) : 0);
	out = hookscan_out_max(len, lim->field_max);
	head = 2 * out + 6 * envlen + 256;
	if (head > HOOKSCAN_EVENT_HEAD)
		head = HOOKSCAN_EVENT_HEAD;
	bufcap = head + out + HOOKSCAN_EVENT_TAIL_MAX;
	if ((buf = malloc(bufcap)) == NULL)
		return -1;
	/* written whole: for a large input, its pages at once rather than
	 * one fault each (for the 166 KB Read payload, 41 faults) */
	util_populate(buf, head + out);
	data = buf + head;
	if (hookscan_run(in, len, lim->field_max, lim->depth_max, data, &hs) == -1)
		goto done;
	if (hs.hs_vlen[HOOKSCAN_EVENT] == sizeof(input_error) - 1 &&
	    memcmp(data + hs.hs_off[HOOKSCAN_EVENT], input_error, sizeof(input_error) - 1) == 0)
		goto done;
	/* files: non-empty strings, each once (they are written the one way
	 * json-c writes them, so equal strings are equal texts) */
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		int m = files[i];

		if (hs.hs_vlen[m] == 0)
			continue;
		if (hs.hs_nul & 1u << m)
			goto done; /* event_files() compares them as C strings */
		if (hs.hs_vlen[m] == 2)
			continue;
		for (j = 0; j < nfiles; j++)
			if (hs.hs_vlen[fi[j]] == hs.hs_vlen[m] &&
			    memcmp(data + hs.hs_off[fi[j]], data + hs.hs_off[m], hs.hs_vlen[m]) ==
				0)
				break;
		if (j == nfiles)
			fi[nfiles++] = m;
	}
	for (i = 0; i < HOOKSCAN_COUNT; i++)
		spans += hs.hs_vlen[i];

	cap = 2 * spans + 6 * envlen + 256; /* the members ahead of data, at most */
	if (cap <= head) {
		line = buf;
		cap = bufcap;
	} else {
		cap += hs.hs_len + HOOKSCAN_EVENT_TAIL_MAX;
		if ((line = malloc(cap)) == NULL) {
			rc = -1;
			goto done;
		}
	}
	event_new_id(he->he_id);
	event_format_ts(now_us, ts, sizeof(ts));
	o = line;
	memcpy(o, "{\"id\":\"", 7);
	o += 7;
	memcpy(o, he->he_id, EVENT_ID_LEN);
	o += EVENT_ID_LEN;
	memcpy(o, "\",\"ts\":\"", 8);
	o += 8;
	memcpy(o, ts, strlen(ts));
	o += strlen(ts);
	*o++ = '"';
	o = hs_member(o, "event", data + hs.hs_off[HOOKSCAN_EVENT], hs.hs_vlen[HOOKSCAN_EVENT]);
	he->he_name_off = (size_t)(o - line) - hs.hs_vlen[HOOKSCAN_EVENT];
	he->he_name_len = hs.hs_vlen[HOOKSCAN_EVENT];
	for (i = 0; i < sizeof(lifted) / sizeof(lifted[0]); i++) {
		int m = lifted[i].m;

		if (hs.hs_vlen[m] == 0)
			continue;
		o = hs_member(o, lifted[i].name, data + hs.hs_off[m], hs.hs_vlen[m]);
		if (m == HOOKSCAN_CWD) {
			he->he_cwd_off = (size_t)(o - line) - hs.hs_vlen[m];
			he->he_cwd_len = hs.hs_vlen[m];
		}
	}
	if (host != NULL) {
		memcpy(o, ",\"host\":", 8);
		if ((j = hookscan_quote(host, strlen(host), o + 8)) == 0)
			goto done;
		o += 8 + j;
	}
	if (user != NULL) {
		memcpy(o, ",\"user\":", 8);
		if ((j = hookscan_quote(user, strlen(user), o + 8)) == 0)
			goto done;
		o += 8 + j;
	}
	if (project != NULL) {
		memcpy(o, ",\"project\":", 11);
		if ((j = hookscan_quote(project, strlen(project), o + 11)) == 0)
			goto done;
		o += 11 + j;
	} else if (hs.hs_vlen[HOOKSCAN_CWD] != 0)
		o = hs_member(o, "project", data + hs.hs_off[HOOKSCAN_CWD],
			      hs.hs_vlen[HOOKSCAN_CWD]);
	memcpy(o, ",\"files\":[", 10);
	o += 10;
	for (i = 0; i < nfiles; i++) {
		if (i > 0)
			*o++ = ',';
		memcpy(o, data + hs.hs_off[fi[i]], hs.hs_vlen[fi[i]]);
		o += hs.hs_vlen[fi[i]];
	}
	memcpy(o, "],\"data\":", 9);
	o += 9;
	memmove(o, data, hs.hs_len); /* from ahead of it, or to another buffer */
	o += hs.hs_len;
	memcpy(o, ",\"meta\":{\"scrubbed\":0,\"truncated\":", 34);
	o += 34;
	o += hs_u64(o, hs.hs_truncated);
	*o++ = ',';
	memcpy(o, HOOKSCAN_EVENT_TAIL, sizeof(HOOKSCAN_EVENT_TAIL));
	o += sizeof(HOOKSCAN_EVENT_TAIL) - 1;
	/* too large: event_from_hook() cuts harder */
	if ((size_t)(o - line) > lim->event_max)
		goto done;
	he->he_line = line;
	he->he_len = (size_t)(o - line);
	he->he_cap = cap;
	if (line != buf)
		free(buf);
	return 0;
done:
	if (line != buf)
		free(line);
	free(buf);
	return rc;
}

int
hookscan_event_capture_us(struct hookscan_event *he, int64_t us)
{
	size_t tl = sizeof(HOOKSCAN_EVENT_TAIL) - 1, at;

	if (he->he_len < tl ||
	    memcmp(he->he_line + he->he_len - tl, HOOKSCAN_EVENT_TAIL, tl) != 0 ||
	    he->he_cap < he->he_len + 24)
		return -1;
	at = he->he_len - 3; /* the 0 */
	at += hs_u64(he->he_line + at, us < 0 ? 0 : (uint64_t)us);
	memcpy(he->he_line + at, "}}", 3);
	he->he_len = at + 2;
	return 0;
}
