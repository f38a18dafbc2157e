/*
 * scrub.c: secret scrubbing (hookwire-scrub(5)).
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
 * string tests every byte pair against a 64 Ki-bit bigram bitmap of the
 * triggers' first two bytes and compares the few candidates in full; a text
 * rule runs only from its first trigger on, and key rules look only at the
 * names that hold a trigger.  Most strings have no trigger at all and cost
 * one pass.  Rules from a rules file have no triggers and run on every
 * string.
 *
 * Matches of all rules are collected, sorted and merged where they overlap
 * (the earliest wins and absorbs what overlaps it, so no partial secret is
 * left), then the string is rebuilt with "[REDACTED:<rule>]" in their place.
 * A string that starts with { or [ and is valid JSON is parsed, walked like
 * the event's data and re-serialized.  Base64 image payloads are skipped.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* The SIMD prefilter needs SSSE3 (checked at run time); SCRUB_NO_SIMD turns
 * it off, to test the scalar one. */
#if (defined(__x86_64__) || defined(__i386__)) && !defined(SCRUB_NO_SIMD)
#include <immintrin.h>
#define SCRUB_X86 1
#else
#define SCRUB_X86 0
#endif

#include "event.h"
#include "hwlimits.h"
#include "scrub.h"

/* Rules at most; the ring header has a counter slot for each (RING_SCRUB_RULES_MAX). */
#define SCRUB_RULES_MAX 64
/* Longest rule name plus its NUL (RING_SCRUB_NAME_MAX). */
#define SCRUB_NAME_MAX 32
/* Longest NAME looked at in NAME=value text. */
#define SCRUB_KEYNAME_MAX 128
/* Longest value redacted after NAME=, bytes. */
#define SCRUB_VALUE_MAX 4096
/* Entries of the key-name cache. */
#define SCRUB_KCACHE 256
/* Levels of JSON inside JSON strings that are parsed; deeper ones are text. */
#define SCRUB_JSON_NEST_MAX 4
/* Nesting of objects and arrays walked: beyond the largest router.depth_max
 * (1000); deeper data is refused (scrub_event() returns -1), never passed
 * on unscrubbed. */
#define SCRUB_DEPTH_MAX 1024
/* PCRE2 limits, for patterns from a rules file. */
#define SCRUB_MATCH_LIMIT   1000000
#define SCRUB_JIT_STACK_MAX (1024 * 1024)

#define SCRUB_TEXT 0
#define SCRUB_KEY  1

#define SCRUB_NONE ((size_t)-1)

/* The start of EVENT_TRUNC_MARKER, which ends a string hook-capture cut. */
#define SCRUB_CUT "[hookwire: truncated "

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

/* A cached answer of scrub_key_rule(): kc_len is the name's length plus one, 0 when empty. */
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
	struct scrub_rule s_rules[SCRUB_RULES_MAX];
	size_t s_nrules;
	struct scrub_trig *s_trigs; /* sorted by st_byte */
	size_t s_ntrigs;
	uint16_t s_tidx[257]; /* s_trigs[s_tidx[b] .. s_tidx[b + 1]] start with byte b */
	uint64_t s_bigram[65536 / 64];
	uint8_t s_tlo[3][16], s_thi[3][16]; /* SIMD prefilter: bucket bits per nibble */
	int s_simd;
	struct scrub_kcache s_kcache[SCRUB_KCACHE];
	unsigned s_gen;	   /* scan number, for sr_first */
	int s_text_always; /* some text rule has no trigger */
	int s_key_always;  /* some key rule has no trigger */
	int s_trig_plain;  /* every trigger byte is a letter, a digit or -_.:/ */
	pcre2_match_data *s_md;
	pcre2_match_context *s_mctx;
	pcre2_jit_stack *s_jstack;
	json_tokener *s_tok;
	struct scrub_match *s_m;
	size_t s_nm, s_mcap;
	size_t *s_khit; /* positions of key-rule triggers */
	size_t s_nkhit, s_khcap;
	char *s_buf; /* the last rebuilt string */
	size_t s_buflen, s_bufcap;
	int s_oom;
	int s_keyseen; /* scrub_collect() saw a name that a key rule matches */
};

struct scrub_builtin {
	const char *name;
	int kind;
	const char *trig;
	int nocase;
	const char *re;
};

/* A value that is a shell or template variable reference, not a secret. */
#define VARREF "(?!\\$[({A-Za-z_])"

/* Where a token may start: after a percent-escape ("%3Dsk-...") or after none
 * of the characters in cls ("=sk-..." but not "risk-..."). */
#define TOKSTART(cls) "(?:(?<=%[0-9A-Fa-f]{2})|(?<![" cls "]))"
/* Where it must end: before none of the characters in cls. */
#define TOKEND(cls) "(?![" cls "])"

/*
 * The built-in rules, in priority order: where two matches start at the same
 * place, the earlier rule names the redaction.  hookwire-scrub(5) lists them
 * and event-router/scrub-rules.example repeats them; keep the three in step.
 * (Not left to clang-format: a pattern is broken where it reads best.)
 */
/* clang-format off */
static const struct scrub_builtin scrub_builtins[] = {
    {"private-key", SCRUB_TEXT, "-----BEGIN", 0,
     "-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[\\s\\S]*?"
     "(?:-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|\\z)"},
    {"anthropic-key", SCRUB_TEXT, "sk-ant-", 0,
     TOKSTART("A-Za-z0-9_-") "sk-ant-[A-Za-z0-9_-]{8,}+"},
    {"openai-key", SCRUB_TEXT, "sk-", 0,
     TOKSTART("A-Za-z0-9_-") "sk-(?:(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20,}+|"
     "(?!ant-)(?=[A-Za-z]*[0-9])[A-Za-z0-9]{32,}+" TOKEND("A-Za-z0-9_-") ")"},
    {"aws-access-key", SCRUB_TEXT, "AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA", 0,
     TOKSTART("A-Za-z0-9") "(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)"
     "[A-Z0-9]{16}" TOKEND("A-Za-z0-9")},
    {"aws-secret-key", SCRUB_TEXT, "aws|secret", 1,
     "(?i:aws|secret)[A-Za-z0-9_.-]{0,32}+\\\\?[\"']?[ \\t]*(?:[:=]|=>|[ \\t])[ \\t]*\\\\?[\"']?"
     "(?![0-9a-f]{40}(?![A-Za-z0-9/+=]))(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[a-z])"
     "(?=[A-Za-z0-9/+]*[0-9/+])([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"},
    {"github-pat", SCRUB_TEXT, "ghp_|github_pat_", 0,
     TOKSTART("A-Za-z0-9_") "(?:ghp_[A-Za-z0-9]{36,255}+|github_pat_[A-Za-z0-9_]{22,255}+)"
     TOKEND("A-Za-z0-9_")},
    {"github-token", SCRUB_TEXT, "gho_|ghu_|ghs_|ghr_", 0,
     TOKSTART("A-Za-z0-9_") "gh[ousr]_[A-Za-z0-9]{36,255}+" TOKEND("A-Za-z0-9_")},
    {"gitlab-token", SCRUB_TEXT, "glpat-", 0,
     TOKSTART("A-Za-z0-9_-") "glpat-[A-Za-z0-9_-]{20,}+"},
    {"slack-token", SCRUB_TEXT, "xox", 0,
     TOKSTART("A-Za-z0-9_-") "xox[abcdeprs]-(?=[A-Za-z-]*[0-9])[A-Za-z0-9-]{10,}+"},
    {"slack-webhook", SCRUB_TEXT, "hooks.slack.com", 0,
     "hooks\\.slack\\.com/(?:services|workflows|triggers)/([A-Za-z0-9_/+-]{8,}+)"},
    {"google-api-key", SCRUB_TEXT, "AIza", 0,
     TOKSTART("A-Za-z0-9_-") "AIza[A-Za-z0-9_-]{35}" TOKEND("A-Za-z0-9_-")},
    {"stripe-key", SCRUB_TEXT, "sk_live_|sk_test_|rk_live_|rk_test_", 0,
     TOKSTART("A-Za-z0-9_") "[sr]k_(?:live|test)_[A-Za-z0-9]{10,}+"},
    {"npm-token", SCRUB_TEXT, "npm_", 0,
     TOKSTART("A-Za-z0-9_") "npm_[A-Za-z0-9]{36}" TOKEND("A-Za-z0-9_")},
    {"huggingface-token", SCRUB_TEXT, "hf_", 0,
     TOKSTART("A-Za-z0-9_") "hf_(?=[A-Za-z0-9]*[A-Z])[A-Za-z0-9]{30,40}" TOKEND("A-Za-z0-9_")},
    {"sendgrid-key", SCRUB_TEXT, "SG.", 0,
     TOKSTART("A-Za-z0-9_-") "SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}" TOKEND("A-Za-z0-9_-")},
    {"pypi-token", SCRUB_TEXT, "pypi-AgEIcHlwaS5vcmc", 0,
     "pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}+"},
    {"jwt", SCRUB_TEXT, "eyJ", 0,
     TOKSTART("A-Za-z0-9_-") "eyJ[A-Za-z0-9_-]{8,}+\\.eyJ[A-Za-z0-9_-]{8,}+\\.[A-Za-z0-9_-]*+"},
    {"url-credentials", SCRUB_TEXT, "://", 0,
     "://[^\\s/?#@:\"'`<>]*:" VARREF "([^\\s/?#\"'`<>]+)@(?=[A-Za-z0-9\\[])"},
    {"authorization", SCRUB_TEXT, "authorization", 1,
     "(?i)authorization\\\\?[\"']?[ \\t]*[:=][ \\t]*\\\\?[\"']?"
     "(?:(?:bearer|basic|token|digest|bot|apikey)[ \\t]+)?+" VARREF
     "([^\\s\"'`,;{}()<>\\\\]{4,}+)"},
    {"bearer-token", SCRUB_TEXT, "bearer", 1,
     "(?i)\\bbearer[ \\t]+" VARREF "(?=[A-Za-z0-9._~+/-]*[0-9])([A-Za-z0-9._~+/-]{8,}+=*)"},
    {"key-name", SCRUB_KEY, "pass|secret|token|key|auth|cred|pwd", 1,
     "^(?:.*(?:[_.-]|(?<=[a-z])(?=[A-Z])))?(?i:password|passwd|passphrase|secrets?|token|"
     "api[_-]?key|access[_-]?key|secret[_-]?key|private[_-]?key|client[_-]?secret|auth|"
     "authorization|credentials?)$|^.+(?:[_.-]|(?<=[a-z])(?=[A-Z]))(?i:pass|pwd)$"},
};
/* clang-format on */

/* Unquoted values after NAME= that are type names, literals or keywords. */
static const char *const scrub_notvalues[] = {
    "string", "str",   "number", "int",	  "integer",  "bool",	   "boolean",
    "true",   "false", "null",	 "none",  "nil",      "undefined", "any",
    "object", "bytes", "new",	 "await", "async",    "function",  "lambda",
    "this",   "self",  "typeof", "void",  "required", "optional",  NULL};

/* Authorization schemes skipped before a value. */
static const char *const scrub_schemes[] = {"bearer", "basic", "token", "digest", NULL};

static inline int
scrub_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int
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

static inline int
scrub_namechar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

static void scrub_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
scrub_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
scrub_find(const struct scrub *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->s_nrules; i++)
		if (strcmp(s->s_rules[i].sr_name, name) == 0)
			return (int)i;
	return -1;
}

static int
scrub_valid_name(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || len >= SCRUB_NAME_MAX || !isalnum((unsigned char)name[0]))
		return 0;
	for (i = 0; i < len; i++)
		if (!scrub_namechar((unsigned char)name[i]))
			return 0;
	return 1;
}

/*
 * Compiles pattern into rule slot r (replacing what was there).  Returns 0, or
 * -1 with the PCRE2 message in err (prefixed by where).
 */
static int
scrub_compile(struct scrub_rule *r, const char *name, int kind, const char *pattern,
	      const char *trig, int nocase, const char *where, char *err, size_t errlen)
{
	pcre2_code *re;
	PCRE2_UCHAR msg[160];
	PCRE2_SIZE off;
	int ec;

	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &ec, &off, NULL);
	if (re == NULL) {
		pcre2_get_error_message(ec, msg, sizeof(msg));
		scrub_seterr(err, errlen, "%srule %s: %s at offset %zu", where, name, (char *)msg,
			     (size_t)off);
		return -1;
	}
	pcre2_code_free(r->sr_re);
	memset(r, 0, sizeof(*r));
	strlcpy(r->sr_name, name, sizeof(r->sr_name));
	r->sr_kind = kind;
	r->sr_re = re;
	r->sr_jit = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0;
	r->sr_trig = trig;
	r->sr_nocase = nocase;
	return 0;
}

/* Adds a rule, or replaces the one of that name.  Returns 0 or -1 with err. */
static int
scrub_add(struct scrub *s, const char *name, int kind, const char *pattern, const char *trig,
	  int nocase, const char *where, char *err, size_t errlen)
{
	int i;

	i = scrub_find(s, name);
	if (i < 0) {
		if (s->s_nrules == SCRUB_RULES_MAX) {
			scrub_seterr(err, errlen, "%srule %s: more than %d rules", where, name,
				     SCRUB_RULES_MAX);
			return -1;
		}
		i = (int)s->s_nrules;
		memset(&s->s_rules[i], 0, sizeof(s->s_rules[i]));
		if (scrub_compile(&s->s_rules[i], name, kind, pattern, trig, nocase, where, err,
				  errlen) == -1)
			return -1;
		s->s_nrules++;
		return 0;
	}
	return scrub_compile(&s->s_rules[i], name, kind, pattern, trig, nocase, where, err, errlen);
}

static void
scrub_remove(struct scrub *s, int i)
{
	pcre2_code_free(s->s_rules[i].sr_re);
	memmove(&s->s_rules[i], &s->s_rules[i + 1],
		(s->s_nrules - (size_t)i - 1) * sizeof(s->s_rules[0]));
	s->s_nrules--;
}

/*
 * Reads a rules file (hookwire-scrub(5)):
 *   # comment
 *   NAME REGEX          text rule (adds, or replaces the rule NAME)
 *   key:NAME REGEX      key rule
 *   !NAME               removes the rule NAME
 * Returns 0, or -1 with "file:line: ..." in err.
 */
static int
scrub_load_file(struct scrub *s, const char *path, char *err, size_t errlen)
{
	FILE *fp;
	char *line = NULL, *p, *name, *re, where[512];
	size_t cap = 0, namelen, lineno = 0;
	ssize_t n;
	int kind, i, rc = -1;

	if ((fp = fopen(path, "r")) == NULL) {
		scrub_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		while (n > 0 && isspace((unsigned char)line[n - 1]))
			line[--n] = '\0';
		p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		snprintf(where, sizeof(where), "%s:%zu: ", path, lineno);
		if (*p == '!') {
			name = p + 1;
			if ((i = scrub_find(s, name)) < 0) {
				scrub_seterr(err, errlen, "%sno rule named \"%s\" to disable",
					     where, name);
				goto fail;
			}
			scrub_remove(s, i);
			continue;
		}
		kind = SCRUB_TEXT;
		if (strncmp(p, "key:", 4) == 0) {
			kind = SCRUB_KEY;
			p += 4;
		}
		name = p;
		namelen = strcspn(p, " \t");
		re = p + namelen;
		while (*re == ' ' || *re == '\t')
			re++;
		if (!scrub_valid_name(name, namelen)) {
			scrub_seterr(err, errlen,
				     "%sbad rule name \"%.*s\" (letters, digits, '_', '-', '.'; "
				     "at most %d)",
				     where, (int)namelen, name, SCRUB_NAME_MAX - 1);
			goto fail;
		}
		name[namelen] = '\0';
		if (*re == '\0') {
			scrub_seterr(err, errlen, "%srule %s: no regex", where, name);
			goto fail;
		}
		if (scrub_add(s, name, kind, re, NULL, 0, where, err, errlen) == -1)
			goto fail;
	}
	if (ferror(fp)) {
		scrub_seterr(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	rc = 0;
fail:
	free(line);
	fclose(fp);
	return rc;
}

static void
scrub_bigram_set(struct scrub *s, int a, int b)
{
	unsigned k = (unsigned)a << 8 | (unsigned)b;

	s->s_bigram[k >> 6] |= (uint64_t)1 << (k & 63);
}

static int
scrub_trig_cmp(const void *a, const void *b)
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
scrub_build_simd(struct scrub *s)
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

/* Builds the trigger table and the bigram bitmap.  Returns 0 or -1 (memory). */
static int
scrub_build(struct scrub *s)
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
					scrub_bigram_set(s, a, tolower(b));
					scrub_bigram_set(s, a, toupper(b));
				} else
					scrub_bigram_set(s, a, b);
			}
		}
	}
	qsort(s->s_trigs, s->s_ntrigs, sizeof(*s->s_trigs), scrub_trig_cmp);
	/* scrub_text_clean() relies on it */
	s->s_trig_plain = 1;
	for (i = 0; i < s->s_ntrigs; i++)
		for (k = 0; k < s->s_trigs[i].st_len; k++) {
			a = (unsigned char)s->s_trigs[i].st_lit[k];
			if (!isalnum(a) && a != '-' && a != '_' && a != '.' && a != ':' && a != '/')
				s->s_trig_plain = 0;
		}
	scrub_build_simd(s);
	for (i = 0, k = 0; i < 257; i++) {
		while (k < s->s_ntrigs && s->s_trigs[k].st_byte < i)
			k++;
		s->s_tidx[i] = (uint16_t)k;
	}
	return 0;
}

struct scrub *
scrub_new(const char *rules_file, int builtin, char *err, size_t errlen)
{
	struct scrub *s;
	const struct scrub_builtin *b;
	size_t i;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		scrub_seterr(err, errlen, "out of memory");
		return NULL;
	}
	for (i = 0; builtin && i < sizeof(scrub_builtins) / sizeof(scrub_builtins[0]); i++) {
		b = &scrub_builtins[i];
		if (scrub_add(s, b->name, b->kind, b->re, b->trig, b->nocase, "built-in ", err,
			      errlen) == -1)
			goto fail;
	}
	if (rules_file != NULL && *rules_file != '\0' &&
	    scrub_load_file(s, rules_file, err, errlen) == -1)
		goto fail;
	if (scrub_build(s) == -1)
		goto oom;
	if ((s->s_md = pcre2_match_data_create(4, NULL)) == NULL ||
	    (s->s_mctx = pcre2_match_context_create(NULL)) == NULL ||
	    (s->s_jstack = pcre2_jit_stack_create(32 * 1024, SCRUB_JIT_STACK_MAX, NULL)) == NULL ||
	    (s->s_tok = json_tokener_new_ex(HW_DEPTH_MAX)) == NULL)
		goto oom;
	pcre2_set_match_limit(s->s_mctx, SCRUB_MATCH_LIMIT);
	pcre2_jit_stack_assign(s->s_mctx, NULL, s->s_jstack);
	return s;
oom:
	scrub_seterr(err, errlen, "out of memory");
fail:
	scrub_free(s);
	return NULL;
}

void
scrub_free(struct scrub *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->s_nrules; i++)
		pcre2_code_free(s->s_rules[i].sr_re);
	free(s->s_trigs);
	pcre2_match_data_free(s->s_md);
	pcre2_match_context_free(s->s_mctx);
	pcre2_jit_stack_free(s->s_jstack);
	if (s->s_tok != NULL)
		json_tokener_free(s->s_tok);
	free(s->s_m);
	free(s->s_khit);
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

/* Runs rule r on p from off; returns the PCRE2 result (> 0 on a match). */
static int
scrub_exec(struct scrub *s, const struct scrub_rule *r, const char *p, size_t len, size_t off)
{
	if (r->sr_jit)
		return pcre2_jit_match(r->sr_re, (PCRE2_SPTR)p, len, off, 0, s->s_md, s->s_mctx);
	return pcre2_match(r->sr_re, (PCRE2_SPTR)p, len, off, 0, s->s_md, s->s_mctx);
}

static void
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

static void
scrub_add_khit(struct scrub *s, size_t pos)
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

/* Whether name contains one of rule ri's triggers (the prefilter, on one name). */
static int
scrub_has_trig(const struct scrub *s, int ri, const char *name, size_t len)
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

/* The first key rule that matches name, or -1. */
static int
scrub_key_rule_find(struct scrub *s, const char *name, size_t len)
{
	struct scrub_rule *r;
	size_t i;

	for (i = 0; i < s->s_nrules; i++) {
		r = &s->s_rules[i];
		if (r->sr_kind != SCRUB_KEY)
			continue;
		if (r->sr_trig != NULL && !scrub_has_trig(s, (int)i, name, len))
			continue;
		if (scrub_exec(s, r, name, len, 0) > 0)
			return (int)i;
	}
	return -1;
}

/*
 * scrub_key_rule_find() through a small cache: the same few dozen key names
 * (session_id, tool_input, command, ...) come in every event.
 */
static int
scrub_key_rule(struct scrub *s, const char *name, size_t len)
{
	struct scrub_kcache *c;
	uint32_t h = 2166136261u;
	size_t i;
	int rule;

	if (len >= sizeof(c->kc_name))
		return scrub_key_rule_find(s, name, len);
	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	c = &s->s_kcache[h % SCRUB_KCACHE];
	if (c->kc_len == len + 1 && memcmp(c->kc_name, name, len) == 0)
		return c->kc_rule;
	rule = scrub_key_rule_find(s, name, len);
	memcpy(c->kc_name, name, len);
	c->kc_len = (uint8_t)(len + 1);
	c->kc_rule = (int16_t)rule;
	return rule;
}

/* Whether v looks like a variable reference ($NAME, ${NAME}, $(...)). */
static int
scrub_varref(const char *v, size_t len)
{
	return len >= 2 && v[0] == '$' &&
	       (isalpha((unsigned char)v[1]) || v[1] == '_' || v[1] == '{' || v[1] == '(');
}

/* Length of "Bearer " (an authorization scheme and its blanks) at p, or 0. */
static size_t
scrub_scheme_len(const char *p, size_t len)
{
	const char *const *w;
	size_t n;

	for (w = scrub_schemes; *w != NULL; w++) {
		n = strlen(*w);
		if (n < len && scrub_lit_eq(p, *w, n, 1) && (p[n] == ' ' || p[n] == '\t')) {
			while (n < len && (p[n] == ' ' || p[n] == '\t'))
				n++;
			return n;
		}
	}
	return 0;
}

/*
 * Whether the value v[0..n) stands for a secret without being one: a
 * variable reference or interpolation ($NAME, ${NAME}, $(cmd), "a${B}"), a
 * placeholder or format (<token>, {token}, "tok-%s") or a mask (***, xxx).
 */
static int
scrub_placeholder(const char *v, size_t n)
{
	size_t i;

	if (n == 0 || scrub_varref(v, n) || (v[0] == '<' && v[n - 1] == '>') ||
	    (v[0] == '{' && v[n - 1] == '}'))
		return 1;
	for (i = 0; i + 1 < n; i++)
		if ((v[i] == '$' && (v[i + 1] == '{' || v[i + 1] == '(')) ||
		    (v[i] == '%' && (v[i + 1] == 's' || v[i + 1] == 'd')))
			return 1;
	for (i = 0; i < n && (v[i] == '*' || v[i] == 'x' || v[i] == 'X' || v[i] == '.'); i++)
		;
	return i == n;
}

/* Whether p[0..n) is an identifier: a letter or '_', then letters, digits, '_'. */
static int
scrub_identifier(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || !(isalpha((unsigned char)p[0]) || p[0] == '_'))
		return 0;
	for (i = 1; i < n; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '_')
			return 0;
	return 1;
}

/*
 * Whether an odd number of unescaped q come before p[at] on its line (looked
 * at up to 256 bytes back).
 */
static int
scrub_quote_parity(const char *p, size_t at, int q)
{
	size_t i, start = at > 256 ? at - 256 : 0;
	int odd = 0;

	for (i = at; i > start && p[i - 1] != '\n'; i--)
		;
	for (; i < at; i++) {
		if (p[i] == '\\') {
			i++;
			continue;
		}
		if (p[i] == q)
			odd = !odd;
	}
	return odd;
}

/* Whether c ends an unquoted value. */
static inline int
scrub_value_stop(int c)
{
	switch (c) {
	case '\0':
	case ' ':
	case '\t':
	case '\n':
	case '\r':
	case '\v':
	case '\f':
	case '"':
	case '\'':
	case '`':
	case ',':
	case ';':
	case '(':
	case ')':
	case '{':
	case '}':
	case '<':
	case '>':
	case '[':
	case ']':
	case '\\':
		return 1;
	default:
		return 0;
	}
}

/*
 * When a quoted value ("...", '...', `...`, or \"...\" inside a quoted
 * string) starts at *vs and closes on its line within SCRUB_VALUE_MAX bytes,
 * moves *vs past the opening quote and returns where the value ends (at the
 * closing quote).  Returns SCRUB_NONE otherwise, with *vs past any quote.
 */
static size_t
scrub_quoted_end(const char *p, size_t len, size_t *vs)
{
	size_t v = *vs, e;
	int q;

	if (p[v] == '\\' && v + 1 < len && (p[v + 1] == '"' || p[v + 1] == '\'')) {
		q = p[v + 1];
		*vs = v + 2;
		for (e = v + 2; e + 1 < len && e - *vs <= SCRUB_VALUE_MAX && p[e] != '\n'; e++)
			if (p[e] == '\\' && p[e + 1] == q)
				return e;
		return SCRUB_NONE;
	}
	if (p[v] != '"' && p[v] != '\'' && p[v] != '`')
		return SCRUB_NONE;
	q = p[v];
	*vs = v + 1;
	for (e = v + 1; e < len && e - *vs <= SCRUB_VALUE_MAX && p[e] != '\n'; e++) {
		if (p[e] == '\\' && e + 1 < len)
			e++;
		else if (p[e] == q)
			return e;
	}
	return SCRUB_NONE;
}

/*
 * NAME=value, NAME: value, "NAME": "value" text: sep is the position of the
 * '=' or ':'.  When NAME matches a key rule, adds a match for the value and
 * returns where the value ends; returns 0 otherwise (or the end of a run too
 * long to be a value, so that the caller skips it).
 */
static size_t
scrub_keytext(struct scrub *s, const char *p, size_t len, size_t sep)
{
	const char *const *w;
	size_t ns, ne, vs, ve, i, n;
	int rule, dotted, c;

	/* Not a comparison, an arrow, a scope or a URL scheme. */
	vs = sep + 1;
	if (p[sep] == '=') {
		if (vs < len && (p[vs] == '=' || p[vs] == '>' || p[vs] == '~'))
			return 0;
	} else {
		if (vs < len && (p[vs] == ':' || p[vs] == '/'))
			return 0;
		if (vs < len && p[vs] == '=')
			vs++;
	}
	/* The name, back from the separator: spaces, a quote, an escape. */
	ne = sep;
	while (ne > 0 && (p[ne - 1] == ' ' || p[ne - 1] == '\t'))
		ne--;
	if (ne > 0 && (p[ne - 1] == '"' || p[ne - 1] == '\'')) {
		ne--;
		if (ne > 0 && p[ne - 1] == '\\')
			ne--;
	}
	for (ns = ne; ns > 0 && ne - ns <= SCRUB_KEYNAME_MAX; ns--)
		if (!scrub_namechar((unsigned char)p[ns - 1]))
			break;
	if (ns == ne || ne - ns > SCRUB_KEYNAME_MAX)
		return 0;
	if ((rule = scrub_key_rule(s, p + ns, ne - ns)) < 0)
		return 0;
	s->s_keyseen = 1;

	/* The value, after an authorization scheme (also inside quotes). */
	while (vs < len && (p[vs] == ' ' || p[vs] == '\t'))
		vs++;
	if (vs < len && (p[vs] == '"' || p[vs] == '\'' || p[vs] == '`'))
		vs += scrub_scheme_len(p + vs + 1, len - vs - 1) > 0 ? 1 : 0;
	vs += scrub_scheme_len(p + vs, len - vs);
	if (vs >= len || scrub_varref(p + vs, len - vs))
		return 0;
	/*
	 * A quote right after the separator closes a string the name is in
	 * ('?token=' + t) when an odd number of those quotes come before it on
	 * its line: then there is no value here.
	 */
	if (vs == sep + 1 && (p[vs] == '"' || p[vs] == '\'' || p[vs] == '`') &&
	    scrub_quote_parity(p, sep, p[vs]))
		return 0;
	/* A quoted value ends at its quote; one not closed on its line is read
	 * as unquoted from after the quote. */
	ve = scrub_quoted_end(p, len, &vs);
	if (ve == SCRUB_NONE) {
		dotted = 1;
		n = 0; /* dots */
		for (ve = vs; ve < len && ve - vs <= SCRUB_VALUE_MAX; ve++) {
			c = (unsigned char)p[ve];
			if (scrub_value_stop(c))
				break;
			if (c == '.') {
				n++;
				if (ve == vs ||
				    !isalpha((unsigned char)p[ve + 1 < len ? ve + 1 : ve]))
					dotted = 0;
			} else if (!isalnum(c) && c != '_')
				dotted = 0;
		}
		/* Too long for a value: not one, but do not look inside again. */
		if (ve - vs > SCRUB_VALUE_MAX)
			return ve;
		/* a short number (pass=0, token: 32) */
		for (i = vs; i < ve && isdigit((unsigned char)p[i]); i++)
			;
		if (i == ve && ve - vs <= 3)
			return 0;
		/*
		 * An identifier then , ) or }, or then ; after a spaced =, is a
		 * variable in code ({ token: tok }, x.token = v;).
		 */
		for (i = ve; i < len && (p[i] == ' ' || p[i] == '\t'); i++)
			;
		if (scrub_identifier(p + vs, ve - vs) && i < len &&
		    (p[i] == ',' || p[i] == ')' || p[i] == '}' ||
		     (p[i] == ';' && p[sep] == '=' && sep > 0 && p[sep - 1] == ' ')))
			return 0;
		/*
		 * A short lower-case word (or, the), or one that prose goes on
		 * after (token: returns 1 ...), is not a value.
		 */
		for (i = vs; i < ve && islower((unsigned char)p[i]); i++)
			;
		if (i == ve && (ve - vs <= 3 || (p[sep] == ':' && ve + 1 < len && p[ve] == ' ' &&
						 isalpha((unsigned char)p[ve + 1]))))
			return 0;
		/* A call, an index or an attribute path is code, not a value. */
		if (ve < len && (p[ve] == '(' || p[ve] == '['))
			return 0;
		if (dotted && n > 0 && isalpha((unsigned char)p[vs]))
			return 0;
		for (w = scrub_notvalues; *w != NULL; w++)
			if (strlen(*w) == ve - vs && scrub_lit_eq(p + vs, *w, ve - vs, 1))
				return 0;
		if (ve - vs == ne - ns && scrub_lit_eq(p + vs, p + ns, ve - vs, 1))
			return 0;
	}
	if (scrub_placeholder(p + vs, ve - vs))
		return 0;
	scrub_add_match(s, vs, ve, rule);
	return ve;
}

/*
 * The separator after a key-rule trigger at pos: the end of the name holding
 * it (stored in *nameend), an optional closing quote, spaces, then ':' or
 * '='.  SCRUB_NONE if none.
 */
static size_t
scrub_sep_after(const char *p, size_t len, size_t pos, size_t *nameend)
{
	size_t i = pos;

	while (i < len && scrub_namechar((unsigned char)p[i]) && i - pos <= SCRUB_KEYNAME_MAX)
		i++;
	*nameend = i;
	if (i < len && p[i] == '\\' && i + 1 < len && (p[i + 1] == '"' || p[i + 1] == '\''))
		i += 2;
	else if (i < len && (p[i] == '"' || p[i] == '\''))
		i++;
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i < len && (p[i] == ':' || p[i] == '='))
		return i;
	return SCRUB_NONE;
}

/* Checks the triggers that may start at p[i] (the prefilter said maybe). */
static int
scrub_scan_at(struct scrub *s, const char *p, size_t len, size_t i)
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
			scrub_add_khit(s, i);
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
scrub_simd16(const struct scrub *s, const char *q)
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
scrub_scan_simd(struct scrub *s, const char *p, size_t len)
{
	char pad[16 + 2 + 14];
	unsigned bits;
	size_t i;
	int any = 0;

	for (i = 0; i + 18 <= len; i += 16)
		for (bits = scrub_simd16(s, p + i); bits != 0; bits &= bits - 1)
			any |= scrub_scan_at(s, p, len, i + (size_t)__builtin_ctz(bits));
	/* The tail, zero-padded: no trigger holds a NUL, so padding never matches. */
	for (; i + 2 < len; i += 16) {
		memset(pad, 0, sizeof(pad));
		memcpy(pad, p + i, len - i < sizeof(pad) ? len - i : sizeof(pad));
		for (bits = scrub_simd16(s, pad); bits != 0; bits &= bits - 1)
			if (i + (size_t)__builtin_ctz(bits) + 2 < len)
				any |= scrub_scan_at(s, p, len, i + (size_t)__builtin_ctz(bits));
	}
	return any;
}
#endif

/*
 * The prefilter: one pass over p recording, for each text rule, where its
 * first trigger is, and every key-rule trigger position.  Returns whether
 * anything needs a closer look.
 */
static int
scrub_scan(struct scrub *s, const char *p, size_t len)
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
		return scrub_scan_simd(s, p, len) || s->s_text_always || s->s_key_always;
#endif
	for (; i + 1 < len; i++) {
		k = (unsigned)u[i] << 8 | u[i + 1];
		if (s->s_bigram[k >> 6] >> (k & 63) & 1)
			any |= scrub_scan_at(s, p, len, i);
	}
	return any || s->s_text_always || s->s_key_always;
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
 * Runs the rules on text p (after scrub_scan()), collecting matches in s->s_m.
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
			if ((p[i] == '=' || p[i] == ':') && (me = scrub_keytext(s, p, len, i)) > i)
				i = me - 1;
	} else {
		for (i = 0, skip = 0, ms = 0; i < s->s_nkhit; i++) {
			/* triggers in the name just looked at end at the same place */
			if (s->s_khit[i] < ms)
				continue;
			off = scrub_sep_after(p, len, s->s_khit[i], &ms);
			if (off == SCRUB_NONE || off < skip)
				continue;
			skip = off + 1;
			if ((me = scrub_keytext(s, p, len, off)) > off)
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
	const struct scrub_trig *t, *te;
	const char *m;
	size_t ms, ws, i, tail;
	int best;

	if (len < sizeof(SCRUB_CUT) || p[len - 1] != ']')
		return;
	tail = len < 48 ? len : 48;
	if ((m = memmem(p + len - tail, tail, SCRUB_CUT, sizeof(SCRUB_CUT) - 1)) == NULL)
		return;
	ms = (size_t)(m - p);
	for (ws = ms; ws > 0 && ms - ws < SCRUB_VALUE_MAX; ws--)
		if (isspace(u[ws - 1]) || u[ws - 1] == '"' || u[ws - 1] == '\'')
			break;
	for (i = ws; i + 1 < ms; i++) {
		t = &s->s_trigs[s->s_tidx[u[i]]];
		te = &s->s_trigs[s->s_tidx[u[i] + 1]];
		for (best = -1; t < te; t++)
			if (s->s_rules[t->st_rule].sr_kind == SCRUB_TEXT && t->st_len <= ms - i &&
			    scrub_lit_eq(p + i, t->st_lit, t->st_len, t->st_nocase) &&
			    (best == -1 || t->st_rule < best))
				best = t->st_rule;
		if (best != -1) {
			scrub_add_match(s, i, ms, best);
			return;
		}
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
	       memmem(p, len < 128 ? len : 128, ";base64,", 8) != NULL;
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
	if (!scrub_scan(s, p, len) && !esc)
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
	if (!scrub_scan(s, p, len))
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
		if ((rule = scrub_key_rule(s, key, strlen(key))) >= 0 &&
		    !scrub_placeholder(v, vlen)) {
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
 * scrub_build()), so a trigger the walk would find is in the text as it is.
 * No trigger in the text and no rule without triggers: no text rule runs,
 * no key matches, nothing is redacted.  Any other decoding scrub_str()
 * may do before its scan must be mirrored here: a '%' (percent-encoding)
 * already sends the text to scrub_event(), to be safe.  Returns 1 for
 * certainly clean, 0 when scrub_event() must look.
 */
int
scrub_text_clean(struct scrub *s, const char *p, size_t len)
{
	return s->s_trig_plain && memchr(p, '%', len) == NULL && !scrub_scan(s, p, len);
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
