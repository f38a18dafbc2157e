/*
 * scrub_prefilter.c: where a rule may match, found in one pass over a
 * string before any regex runs.
 *
 * Built-in rules carry trigger literals; scrub_prefilter_build() makes
 * three tables of them: the triggers sorted by first byte (s_trigs,
 * indexed by s_tidx), a 64 Ki-bit bitmap of their first two bytes
 * (s_bigram), and the SIMD tables (s_tlo, s_thi).  scrub_prefilter_scan()
 * then marks, for each text rule, where its first trigger is and every
 * position of a key-rule trigger: 16 bytes at a time with SSSE3 when the
 * CPU has it (checked at run time), else every byte pair against the
 * bitmap; both check each candidate in full.  The SSSE3 code is here and
 * nowhere else; SCRUB_NO_SIMD at build time leaves only the scalar pass.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "simd.h"

/* The SIMD prefilter needs SSSE3 (checked at run time); SCRUB_NO_SIMD turns
 * it off, to test the scalar one, and so does simd.h on other architectures
 * and in a PORTABLE build. */
#if HW_SIMD_X86 && !defined(SCRUB_NO_SIMD)
#include <immintrin.h>
#define SCRUB_X86 1
#else
#define SCRUB_X86 0
#endif

#include "scrub_impl.h"

static void
scrub_prefilter_bigram_set(struct scrub *s, int a, int b)
{
	unsigned k = (unsigned)a << 8 | (unsigned)b;

	s->s_bigram[k >> 6] |= (uint64_t)1 << (k & 63);
}

static int
scrub_prefilter_trig_cmp(const void *a, const void *b)
{
	const struct scrub_trig *x = a, *y = b;

	return (int)x->st_byte - (int)y->st_byte;
}

/*
 * The SIMD prefilter's tables: triggers go into eight buckets by first byte;
 * for each of a trigger's first three bytes (each case when it is matched in
 * any case) its bucket bit is set under the byte's low and high nibble.
 */
static void
scrub_prefilter_build_simd(struct scrub *s)
{
	const struct scrub_trig *t;
	size_t i, j;
	int bucket = -1, prev = -1, v, c;

	memset(s->s_tlo, 0, sizeof(s->s_tlo));
	memset(s->s_thi, 0, sizeof(s->s_thi));
	for (i = 0; i < s->s_ntrigs; i++) {
		t = &s->s_trigs[i];
		if (t->st_len < 3) /* cannot happen with the built-ins; be safe */
			return;
		if (scrub_lower(t->st_byte) != prev) {
			prev = scrub_lower(t->st_byte);
			bucket = (bucket + 1) % 8;
		}
		for (j = 0; j < 3; j++)
			for (v = 0; v < 2; v++) {
				c = j == 0 ? t->st_byte : (unsigned char)t->st_lit[j];
				if (v == 1 && (j == 0 || !t->st_nocase))
					break;
				if (v == 1)
					c = isupper(c) ? tolower(c) : toupper(c);
				s->s_tlo[j][c & 15] |= (uint8_t)(1 << bucket);
				s->s_thi[j][c >> 4] |= (uint8_t)(1 << bucket);
			}
	}
#if SCRUB_X86
	s->s_simd = __builtin_cpu_supports("ssse3");
#endif
}

/* Builds the trigger table, the bigram bitmap and the SIMD tables from the
 * rules' triggers.  Returns 0 or -1 (memory). */
int
scrub_prefilter_build(struct scrub *s)
{
	struct scrub_trig *t;
	const char *p, *e;
	size_t i, n = 0, k;
	int v, a, b;

	for (i = 0; i < s->s_nrules; i++)
		if (s->s_rules[i].sr_trig != NULL)
			for (p = s->s_rules[i].sr_trig; *p != '\0'; p++)
				n += *p == '|' ? 1 : 0;
	n = (n + s->s_nrules) * 2;
	if ((s->s_trigs = calloc(n, sizeof(*s->s_trigs))) == NULL)
		return -1;
	for (i = 0; i < s->s_nrules; i++) {
		struct scrub_rule *r = &s->s_rules[i];

		if (r->sr_trig == NULL) {
			if (r->sr_kind == SCRUB_TEXT)
				s->s_text_always = 1;
			else
				s->s_key_always = 1;
			continue;
		}
		for (p = r->sr_trig; *p != '\0'; p = *e ? e + 1 : e) {
			e = p + strcspn(p, "|");
			/* Each case of the first byte gets an entry of its own. */
			for (v = 0; v < (r->sr_nocase ? 2 : 1); v++) {
				a = (unsigned char)p[0];
				if (r->sr_nocase)
					a = v ? toupper(a) : tolower(a);
				if (v == 1 && a == tolower(a))
					break;
				t = &s->s_trigs[s->s_ntrigs++];
				t->st_byte = (unsigned char)a;
				t->st_lit = p;
				t->st_len = (size_t)(e - p);
				t->st_nocase = r->sr_nocase;
				t->st_rule = (int)i;
				b = (unsigned char)p[1];
				if (r->sr_nocase) {
					scrub_prefilter_bigram_set(s, a, tolower(b));
					scrub_prefilter_bigram_set(s, a, toupper(b));
				} else
					scrub_prefilter_bigram_set(s, a, b);
			}
		}
	}
	qsort(s->s_trigs, s->s_ntrigs, sizeof(*s->s_trigs), scrub_prefilter_trig_cmp);
	/* scrub_text_clean() relies on it */
	s->s_trig_plain = 1;
	for (i = 0; i < s->s_ntrigs; i++)
		for (k = 0; k < s->s_trigs[i].st_len; k++) {
			a = (unsigned char)s->s_trigs[i].st_lit[k];
			if (!isalnum(a) && a != '-' && a != '_' && a != '.' && a != ':' && a != '/')
				s->s_trig_plain = 0;
		}
	scrub_prefilter_build_simd(s);
	for (i = 0, k = 0; i < 257; i++) {
		while (k < s->s_ntrigs && s->s_trigs[k].st_byte < i)
			k++;
		s->s_tidx[i] = (uint16_t)k;
	}
	return 0;
}

static void
scrub_prefilter_add_khit(struct scrub *s, size_t pos)
{
	size_t *k, cap;

	if (s->s_nkhit == s->s_khcap) {
		cap = s->s_khcap ? s->s_khcap * 2 : 16;
		if ((k = reallocarray(s->s_khit, cap, sizeof(*k))) == NULL) {
			s->s_oom = 1;
			return;
		}
		s->s_khit = k;
		s->s_khcap = cap;
	}
	s->s_khit[s->s_nkhit++] = pos;
}

/* The prefilter on one name (a key rule runs only on names with its triggers). */
int
scrub_prefilter_has_trig(const struct scrub *s, int ri, const char *name, size_t len)
{
	const unsigned char *u = (const unsigned char *)name;
	const struct scrub_trig *t, *te;
	size_t i;
	unsigned k;

	for (i = 0; i + 1 < len; i++) {
		k = (unsigned)u[i] << 8 | u[i + 1];
		if (!(s->s_bigram[k >> 6] >> (k & 63) & 1))
			continue;
		t = &s->s_trigs[s->s_tidx[u[i]]];
		te = &s->s_trigs[s->s_tidx[u[i] + 1]];
		for (; t < te; t++)
			if (t->st_rule == ri && t->st_len <= len - i &&
			    scrub_lit_eq(name + i, t->st_lit, t->st_len, t->st_nocase))
				return 1;
	}
	return 0;
}

/* Checks the triggers that may start at p[i] (the prefilter said maybe). */
static int
scrub_prefilter_at(struct scrub *s, const char *p, size_t len, size_t i)
{
	const unsigned char *u = (const unsigned char *)p;
	const struct scrub_trig *t, *te;
	struct scrub_rule *r;
	unsigned k;
	int any = 0;

	k = (unsigned)u[i] << 8 | u[i + 1];
	if (!(s->s_bigram[k >> 6] >> (k & 63) & 1))
		return 0;
	t = &s->s_trigs[s->s_tidx[u[i]]];
	te = &s->s_trigs[s->s_tidx[u[i] + 1]];
	for (; t < te; t++) {
		if (t->st_len > len - i || !scrub_lit_eq(p + i, t->st_lit, t->st_len, t->st_nocase))
			continue;
		r = &s->s_rules[t->st_rule];
		any = 1;
		if (r->sr_kind == SCRUB_KEY)
			scrub_prefilter_add_khit(s, i);
		else if (r->sr_gen != s->s_gen) {
			r->sr_gen = s->s_gen;
			r->sr_first = i;
		}
	}
	return any;
}

#if SCRUB_X86
/*
 * The prefilter 16 bytes at a time (SSSE3): each trigger is in one of eight
 * buckets; for each of its first three bytes a bucket bit is set in a table
 * indexed by the byte's low nibble and in one indexed by its high nibble
 * ("Teddy", after Hyperscan).  A position whose three bytes share a bucket
 * bit in all six tables may start a trigger and is checked in full.
 */
__attribute__((target("ssse3"))) static unsigned
scrub_prefilter_simd16(const struct scrub *s, const char *q)
{
	const __m128i nib = _mm_set1_epi8(0x0f);
	__m128i m = _mm_set1_epi8(-1), c;
	int j;

	for (j = 0; j < 3; j++) {
		c = _mm_loadu_si128((const __m128i *)(q + j));
		m = _mm_and_si128(m, _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)s->s_tlo[j]),
						      _mm_and_si128(c, nib)));
		m = _mm_and_si128(m, _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)s->s_thi[j]),
						      _mm_and_si128(_mm_srli_epi16(c, 4), nib)));
	}
	return ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(m, _mm_setzero_si128())) & 0xffff;
}

__attribute__((target("ssse3"))) static int
scrub_prefilter_simd(struct scrub *s, const char *p, size_t len)
{
	char pad[16 + 2 + 14];
	unsigned bits;
	size_t i;
	int any = 0;

	for (i = 0; i + 18 <= len; i += 16)
		for (bits = scrub_prefilter_simd16(s, p + i); bits != 0; bits &= bits - 1)
			any |= scrub_prefilter_at(s, p, len, i + (size_t)__builtin_ctz(bits));
	/* The tail, zero-padded: no trigger holds a NUL, so padding never matches. */
	for (; i + 2 < len; i += 16) {
		memset(pad, 0, sizeof(pad));
		memcpy(pad, p + i, len - i < sizeof(pad) ? len - i : sizeof(pad));
		for (bits = scrub_prefilter_simd16(s, pad); bits != 0; bits &= bits - 1)
			if (i + (size_t)__builtin_ctz(bits) + 2 < len)
				any |=
				    scrub_prefilter_at(s, p, len, i + (size_t)__builtin_ctz(bits));
	}
	return any;
}

#endif

/* One pass over p (scrub_impl.h).  The SIMD pass when the CPU has SSSE3,
 * else the scalar one: every byte pair against the bigram bitmap. */
int
scrub_prefilter_scan(struct scrub *s, const char *p, size_t len)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i = 0;
	unsigned k;
	int any = 0;

	/* A new generation forgets every sr_first without touching them. */
	if (++s->s_gen == 0) {
		for (i = 0; i < s->s_nrules; i++)
			s->s_rules[i].sr_gen = 0;
		s->s_gen = 1;
	}
	s->s_nkhit = 0;
	s->s_oom = 0;
	i = 0;
#if SCRUB_X86
	if (s->s_simd)
		return scrub_prefilter_simd(s, p, len) || s->s_text_always || s->s_key_always;
#endif
	for (; i + 1 < len; i++) {
		k = (unsigned)u[i] << 8 | u[i + 1];
		if (s->s_bigram[k >> 6] >> (k & 63) & 1)
			any |= scrub_prefilter_at(s, p, len, i);
	}
	return any || s->s_text_always || s->s_key_always;
}

void
scrub_prefilter_free(struct scrub *s)
{
	free(s->s_trigs);
	s->s_trigs = NULL;
	s->s_ntrigs = 0;
	free(s->s_khit);
	s->s_khit = NULL;
	s->s_nkhit = s->s_khcap = 0;
}

int
scrub_prefilter_text_rule_at(const struct scrub *s, const char *p, size_t len)
{
	const unsigned char *u = (const unsigned char *)p;
	const struct scrub_trig *t, *te;
	int best = -1;

	t = &s->s_trigs[s->s_tidx[u[0]]];
	te = &s->s_trigs[s->s_tidx[u[0] + 1]];
	for (; t < te; t++)
		if (s->s_rules[t->st_rule].sr_kind == SCRUB_TEXT && t->st_len <= len &&
		    scrub_lit_eq(p, t->st_lit, t->st_len, t->st_nocase) &&
		    (best == -1 || t->st_rule < best))
			best = t->st_rule;
	return best;
}
