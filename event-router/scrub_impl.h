/*
 * scrub_impl.h: what the files of the secret scrubber share (scrub.h is
 * its interface; nothing else includes this header).
 *
 *   scrub.c            the engine and the API: rule set lifetime, the walk
 *                      over an event's data, matches collected, merged and
 *                      redacted, JSON inside strings
 *   scrub_rules.c      the built-in rule table, compiling rules, the rules file
 *   scrub_prefilter.c  the trigger tables and the one pass over a string
 *                      that finds where rules may match (SSSE3 or scalar)
 *   scrub_keys.c       key rules: names matched (cached), NAME=value text
 *
 * struct scrub is one allocation holding the rules, the prefilter's
 * tables and the scratch state of one scrub at a time (a rule set is used
 * by one thread).  Each field group below says which file writes it.
 */
#ifndef HOOKWIRE_SCRUB_IMPL_H
#define HOOKWIRE_SCRUB_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <json-c/json.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "ring.h"
#include "scrub.h"

/* Rules at most: the ring header has a counter slot for each. */
#define SCRUB_RULES_MAX RING_SCRUB_RULES_MAX
/* Longest rule name plus its NUL, as the ring header stores it. */
#define SCRUB_NAME_MAX RING_SCRUB_NAME_MAX
/* Longest NAME looked at in NAME=value text. */
#define SCRUB_KEYNAME_MAX 128
/* Longest value redacted after NAME=, bytes. */
#define SCRUB_VALUE_MAX 4096
/* Entries of the key-name cache. */
#define SCRUB_KCACHE 256

#define SCRUB_TEXT 0
#define SCRUB_KEY  1

#define SCRUB_NONE ((size_t)-1)

struct scrub_rule {
	char sr_name[SCRUB_NAME_MAX];
	int sr_kind;
	pcre2_code *sr_re;
	int sr_jit;
	const char *sr_trig; /* built-in triggers, '|'-separated, or NULL: always run */
	int sr_nocase;	     /* triggers match in any case */
	uint64_t sr_hits;
	size_t sr_first; /* scan state: first trigger position, valid when sr_gen is s_gen */
	unsigned sr_gen;
};

struct scrub_trig {
	unsigned char st_byte; /* first byte, as it must appear */
	const char *st_lit;
	size_t st_len;
	int st_nocase;
	int st_rule;
};

/* A cached answer of scrub_keys_rule(): kc_len is the name's length plus one, 0 when empty. */
struct scrub_kcache {
	char kc_name[29];
	uint8_t kc_len;
	int16_t kc_rule;
};

struct scrub_match {
	size_t sm_start, sm_end;
	int sm_rule;
};

struct scrub {
	/* scrub_rules.c */
	struct scrub_rule s_rules[SCRUB_RULES_MAX];
	size_t s_nrules;

	/* scrub_prefilter.c: the tables (scrub_prefilter_build()) */
	struct scrub_trig *s_trigs; /* sorted by st_byte */
	size_t s_ntrigs;
	uint16_t s_tidx[257]; /* s_trigs[s_tidx[b] .. s_tidx[b + 1]] start with byte b */
	uint64_t s_bigram[65536 / 64];
	uint8_t s_tlo[3][16], s_thi[3][16]; /* SIMD prefilter: bucket bits per nibble */
	int s_simd;
	int s_text_always; /* some text rule has no trigger */
	int s_key_always;  /* some key rule has no trigger */
	int s_trig_plain;  /* every trigger byte is a letter, a digit or -_.:/ */
	/* scrub_prefilter.c: what one scan found (scrub_prefilter_scan()) */
	unsigned s_gen; /* scan number, for sr_first */
	size_t *s_khit; /* positions of key-rule triggers */
	size_t s_nkhit, s_khcap;

	/* scrub_keys.c */
	struct scrub_kcache s_kcache[SCRUB_KCACHE];
	int s_keyseen; /* scrub_collect() saw a name that a key rule matches */

	/* scrub.c */
	pcre2_match_data *s_md;
	pcre2_match_context *s_mctx;
	pcre2_jit_stack *s_jstack;
	json_tokener *s_tok;
	struct scrub_match *s_m;
	size_t s_nm, s_mcap;
	char *s_buf; /* the last rebuilt string */
	size_t s_buflen, s_bufcap;
	int s_oom; /* an allocation failed during this scan (any file) */
};

static inline int
scrub_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static inline int
scrub_lit_eq(const char *p, const char *lit, size_t n, int nocase)
{
	size_t i;

	if (!nocase)
		return memcmp(p, lit, n) == 0;
	for (i = 0; i < n; i++)
		if (scrub_lower((unsigned char)p[i]) != scrub_lower((unsigned char)lit[i]))
			return 0;
	return 1;
}

/* A character of a rule name, and of NAME in NAME=value text. */
static inline int
scrub_namechar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

/* Runs rule r on p from off; returns the PCRE2 result (> 0 on a match). */
static inline int
scrub_exec(struct scrub *s, const struct scrub_rule *r, const char *p, size_t len, size_t off)
{
	if (r->sr_jit)
		return pcre2_jit_match(r->sr_re, (PCRE2_SPTR)p, len, off, 0, s->s_md, s->s_mctx);
	return pcre2_match(r->sr_re, (PCRE2_SPTR)p, len, off, 0, s->s_md, s->s_mctx);
}

/* ---------------------------------------------------------------- scrub.c */

/* Formats a message into err (when err is not NULL). */
void scrub_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Records a match: p[start..end) is redacted for rule (s_oom on failure). */
void scrub_add_match(struct scrub *s, size_t start, size_t end, int rule);

/* ---------------------------------------------------------------- scrub_rules.c */

/* Adds the built-in rules.  Returns 0 or -1 with err. */
int scrub_rules_builtin(struct scrub *s, char *err, size_t errlen);
/* Adds, replaces or removes rules as the rules file path says
 * (hookwire-scrub(5)).  Returns 0, or -1 with "file:line: ..." in err. */
int scrub_rules_load_file(struct scrub *s, const char *path, char *err, size_t errlen);
/* Frees the compiled rules. */
void scrub_rules_free(struct scrub *s);

/* ---------------------------------------------------------------- scrub_prefilter.c */

/* Builds the trigger tables of the rules.  Returns 0 or -1 (memory). */
int scrub_prefilter_build(struct scrub *s);
void scrub_prefilter_free(struct scrub *s);
/*
 * One pass over p recording, for each text rule, where its first trigger
 * is (sr_first, sr_gen), and every key-rule trigger position (s_khit).
 * Returns whether anything needs a closer look.
 */
int scrub_prefilter_scan(struct scrub *s, const char *p, size_t len);
/* Whether name contains one of rule ri's triggers. */
int scrub_prefilter_has_trig(const struct scrub *s, int ri, const char *name, size_t len);
/* The first text rule, in rule order, with a trigger at p (at most len
 * bytes), or -1. */
int scrub_prefilter_text_rule_at(const struct scrub *s, const char *p, size_t len);

/* ---------------------------------------------------------------- scrub_keys.c */

/* The first key rule that matches name (cached), or -1. */
int scrub_keys_rule(struct scrub *s, const char *name, size_t len);
/* Whether the value v[0..n) stands for a secret without being one. */
int scrub_keys_placeholder(const char *v, size_t n);
/*
 * NAME=value, NAME: value, "NAME": "value" text around the separator at
 * p[sep]: when NAME matches a key rule, adds a match for the value and
 * returns where the value ends; returns 0 otherwise (or the end of a run
 * too long to be a value, so that the caller skips it).
 */
size_t scrub_keys_text(struct scrub *s, const char *p, size_t len, size_t sep);
/* The separator after a key-rule trigger at pos (*nameend: the end of the
 * name holding it), or SCRUB_NONE. */
size_t scrub_keys_sep_after(const char *p, size_t len, size_t pos, size_t *nameend);

#endif
