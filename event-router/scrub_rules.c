/*
 * scrub_rules.c: the scrubber's rules (hookwire-scrub(5)): the built-in
 * table, compiling a rule (PCRE2, JIT when it can), and the rules file
 * that adds, overrides or removes rules by name.  Runs at scrub_new()
 * only; what runs per string is in scrub.c and scrub_prefilter.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrub_impl.h"

struct scrub_rules_builtin_def {
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
static const struct scrub_rules_builtin_def scrub_rules_builtins[] = {
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

static int
scrub_rules_find(const struct scrub *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->s_nrules; i++)
		if (strcmp(s->s_rules[i].sr_name, name) == 0)
			return (int)i;
	return -1;
}

static int
scrub_rules_valid_name(const char *name, size_t len)
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
scrub_rules_compile(struct scrub_rule *r, const char *name, int kind, const char *pattern,
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
scrub_rules_add(struct scrub *s, const char *name, int kind, const char *pattern, const char *trig,
		int nocase, const char *where, char *err, size_t errlen)
{
	int i;

	i = scrub_rules_find(s, name);
	if (i < 0) {
		if (s->s_nrules == SCRUB_RULES_MAX) {
			scrub_seterr(err, errlen, "%srule %s: more than %d rules", where, name,
				     SCRUB_RULES_MAX);
			return -1;
		}
		i = (int)s->s_nrules;
		memset(&s->s_rules[i], 0, sizeof(s->s_rules[i]));
		if (scrub_rules_compile(&s->s_rules[i], name, kind, pattern, trig, nocase, where,
					err, errlen) == -1)
			return -1;
		s->s_nrules++;
		return 0;
	}
	return scrub_rules_compile(&s->s_rules[i], name, kind, pattern, trig, nocase, where, err,
				   errlen);
}

static void
scrub_rules_remove(struct scrub *s, int i)
{
	pcre2_code_free(s->s_rules[i].sr_re);
	memmove(&s->s_rules[i], &s->s_rules[i + 1],
		(s->s_nrules - (size_t)i - 1) * sizeof(s->s_rules[0]));
	s->s_nrules--;
}

/*
 * Reads a rules file (hookwire-scrub(5)) into s:
 *   # comment
 *   NAME REGEX          text rule (adds, or replaces the rule NAME)
 *   key:NAME REGEX      key rule
 *   !NAME               removes the rule NAME
 * Returns 0, or -1 with "file:line: ..." in err.
 */
int
scrub_rules_load_file(struct scrub *s, const char *path, char *err, size_t errlen)
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
			if ((i = scrub_rules_find(s, name)) < 0) {
				scrub_seterr(err, errlen, "%sno rule named \"%s\" to disable",
					     where, name);
				goto fail;
			}
			scrub_rules_remove(s, i);
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
		if (!scrub_rules_valid_name(name, namelen)) {
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
		if (scrub_rules_add(s, name, kind, re, NULL, 0, where, err, errlen) == -1)
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

int
scrub_rules_builtin(struct scrub *s, char *err, size_t errlen)
{
	const struct scrub_rules_builtin_def *b;
	size_t i;

	for (i = 0; i < sizeof(scrub_rules_builtins) / sizeof(scrub_rules_builtins[0]); i++) {
		b = &scrub_rules_builtins[i];
		if (scrub_rules_add(s, b->name, b->kind, b->re, b->trig, b->nocase, "built-in ",
				    err, errlen) == -1)
			return -1;
	}
	return 0;
}

void
scrub_rules_free(struct scrub *s)
{
	size_t i;

	for (i = 0; i < s->s_nrules; i++)
		pcre2_code_free(s->s_rules[i].sr_re);
	s->s_nrules = 0;
}
