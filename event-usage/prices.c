/*
 * prices.c: the price table (hookwire-prices(5)) and the cost of a message.
 *
 * A price file is text: '#' starts a comment, and each other non-blank
 * line is a model pattern and five rates in USD per million tokens:
 *
 *	claude-opus-4-5*   5   25   6.25   10   0.50
 *	pattern            input output cache_write_5m cache_write_1h cache_read
 *
 * A pattern is a model id, or one with '*' at its end (prefix), at its
 * start (suffix) or both (contains).  An exact id wins over any pattern;
 * among patterns, the one with the most literal characters wins.  The user's
 * file is searched before the shipped one, so a row there overrides the
 * shipped row for the models it matches.
 *
 * Money is integer: a rate has at most three decimals, so a rate times a
 * token count is a whole number of nano-dollars (1e-9 USD), and sums are
 * exact.  No logging; errors name file and line in err.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "usage.h"

/* Rates above this many USD per million tokens are refused (a typo). */
#define PRICES_RATE_MAX 100000

struct prices_row {
	char *pr_pat;  /* pattern without its stars */
	int pr_pre;    /* a leading '*': the id may have anything before */
	int pr_post;   /* a trailing '*': the id may have anything after */
	char *pr_text; /* the pattern as written */
	int pr_file;   /* index in ps_files */
	int pr_line;
	int64_t pr_rate[PRICES_NRATES]; /* nano-dollars per token */
};

struct prices {
	struct prices_row *ps_rows;
	size_t ps_n, ps_cap;
	char *ps_files[2];
	int ps_nfiles;
};

static const char *const prices_rate_names[PRICES_NRATES] = {
    "input", "output", "cache_write_5m", "cache_write_1h", "cache_read",
};

const char *
prices_rate_name(int i)
{
	return i >= 0 && i < PRICES_NRATES ? prices_rate_names[i] : "?";
}

struct prices *
prices_new(void)
{
	return calloc(1, sizeof(struct prices));
}

void
prices_free(struct prices *ps)
{
	size_t i;
	int f;

	if (ps == NULL)
		return;
	for (i = 0; i < ps->ps_n; i++) {
		free(ps->ps_rows[i].pr_pat);
		free(ps->ps_rows[i].pr_text);
	}
	for (f = 0; f < ps->ps_nfiles; f++)
		free(ps->ps_files[f]);
	free(ps->ps_rows);
	free(ps);
}

size_t
prices_count(const struct prices *ps)
{
	return ps->ps_n;
}

/* Parses a rate with at most three decimals into thousandths.  -1 when bad. */
static int
prices_rate(const char *s, int64_t *out)
{
	int64_t whole = 0, frac = 0;
	int nfrac = 0, ndig = 0;

	for (; *s >= '0' && *s <= '9'; s++, ndig++) {
		whole = whole * 10 + (*s - '0');
		if (whole > PRICES_RATE_MAX)
			return -1;
	}
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, nfrac++) {
			if (nfrac == 3)
				return -1;
			frac = frac * 10 + (*s - '0');
			ndig++;
		}
		if (nfrac == 0)
			return -1;
	}
	if (*s != '\0' || ndig == 0)
		return -1;
	while (nfrac++ < 3)
		frac *= 10;
	/* thousandths of a dollar per million tokens = nano-dollars per token */
	*out = whole * 1000 + frac;
	return 0;
}

/* A pattern: letters, digits and ._-:@/[] with '*' only at its ends. */
static int
prices_pattern_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 200 || strcmp(s, "*") == 0 || strcmp(s, "**") == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '*' && (i == 0 || i == n - 1))
			continue;
		if (strchr(
			"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-:@/[]<>",
			s[i]) == NULL)
			return 0;
	}
	return 1;
}

static int
prices_add(struct prices *ps, const char *pat, int file, int line, const int64_t *rate)
{
	struct prices_row *r, *nr;
	size_t cap, len;

	if (ps->ps_n == ps->ps_cap) {
		cap = ps->ps_cap ? ps->ps_cap * 2 : 64;
		if ((nr = realloc(ps->ps_rows, cap * sizeof(*nr))) == NULL)
			return -1;
		ps->ps_rows = nr;
		ps->ps_cap = cap;
	}
	r = &ps->ps_rows[ps->ps_n];
	memset(r, 0, sizeof(*r));
	len = strlen(pat);
	r->pr_pre = pat[0] == '*';
	r->pr_post = pat[len - 1] == '*';
	if ((r->pr_text = strdup(pat)) == NULL ||
	    (r->pr_pat = strndup(pat + r->pr_pre, len - (size_t)r->pr_pre - (size_t)r->pr_post)) ==
		NULL) {
		free(r->pr_text);
		return -1;
	}
	r->pr_file = file;
	r->pr_line = line;
	memcpy(r->pr_rate, rate, sizeof(r->pr_rate));
	ps->ps_n++;
	return 0;
}

int
prices_load(struct prices *ps, const char *path, char *err, size_t errlen)
{
	char line[1024], *p, *tok[8], *save;
	int64_t rate[PRICES_NRATES];
	int lineno = 0, ntok, i, file, first_row;
	size_t j;
	FILE *fp;

	if (ps->ps_nfiles == 2) {
		snprintf(err, errlen, "%s: two price files at most", path);
		return -1;
	}
	if ((fp = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((ps->ps_files[ps->ps_nfiles] = strdup(path)) == NULL) {
		fclose(fp);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	file = ps->ps_nfiles++;
	first_row = (int)ps->ps_n;
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			snprintf(err, errlen, "%s:%d: line longer than %zu bytes", path, lineno,
				 sizeof(line) - 2);
			goto fail;
		}
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		ntok = 0;
		for (p = strtok_r(line, " \t\r\n", &save); p != NULL && ntok < 8;
		     p = strtok_r(NULL, " \t\r\n", &save))
			tok[ntok++] = p;
		if (ntok == 0)
			continue;
		if (ntok != 1 + PRICES_NRATES) {
			snprintf(err, errlen,
				 "%s:%d: expected a model pattern and %d rates (input output "
				 "cache_write_5m cache_write_1h cache_read), got %d fields",
				 path, lineno, PRICES_NRATES, ntok);
			goto fail;
		}
		if (!prices_pattern_ok(tok[0])) {
			snprintf(err, errlen, "%s:%d: %s: not a model id or pattern", path, lineno,
				 tok[0]);
			goto fail;
		}
		for (i = 0; i < PRICES_NRATES; i++)
			if (prices_rate(tok[1 + i], &rate[i]) == -1) {
				snprintf(err, errlen,
					 "%s:%d: %s rate %s: not a number of USD per million "
					 "tokens (0 to %d, at most 3 decimals)",
					 path, lineno, prices_rate_names[i], tok[1 + i],
					 PRICES_RATE_MAX);
				goto fail;
			}
		for (j = (size_t)first_row; j < ps->ps_n; j++)
			if (strcmp(ps->ps_rows[j].pr_text, tok[0]) == 0) {
				snprintf(err, errlen, "%s:%d: %s: already on line %d", path, lineno,
					 tok[0], ps->ps_rows[j].pr_line);
				goto fail;
			}
		if (prices_add(ps, tok[0], file, lineno, rate) == -1) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	fclose(fp);
	return 0;
fail:
	fclose(fp);
	while (ps->ps_n > (size_t)first_row) {
		ps->ps_n--;
		free(ps->ps_rows[ps->ps_n].pr_pat);
		free(ps->ps_rows[ps->ps_n].pr_text);
	}
	free(ps->ps_files[--ps->ps_nfiles]);
	return -1;
}

/* How well row r matches model: -1 not at all, else a score (exact wins). */
static long
prices_score(const struct prices_row *r, const char *model)
{
	size_t n = strlen(model), k = strlen(r->pr_pat);

	if (!r->pr_pre && !r->pr_post)
		return strcmp(model, r->pr_pat) == 0 ? LONG_MAX : -1;
	if (k > n)
		return -1;
	if (r->pr_pre && r->pr_post)
		return strstr(model, r->pr_pat) != NULL ? (long)k : -1;
	if (r->pr_post)
		return strncmp(model, r->pr_pat, k) == 0 ? (long)k : -1;
	return strcmp(model + n - k, r->pr_pat) == 0 ? (long)k : -1;
}

int
prices_find(const struct prices *ps, const char *model, struct prices_match *pm)
{
	long best = -1, sc;
	size_t i, bi = 0;
	int file;

	memset(pm, 0, sizeof(*pm));
	if (ps == NULL || model == NULL || model[0] == '\0')
		return -1;
	/* the first file (the user's) is searched first */
	for (file = 0; file < ps->ps_nfiles && best < 0; file++)
		for (i = 0; i < ps->ps_n; i++) {
			if (ps->ps_rows[i].pr_file != file)
				continue;
			sc = prices_score(&ps->ps_rows[i], model);
			if (sc > best) {
				best = sc;
				bi = i;
			}
		}
	if (best < 0)
		return -1;
	pm->pm_pattern = ps->ps_rows[bi].pr_text;
	pm->pm_file = ps->ps_files[ps->ps_rows[bi].pr_file];
	pm->pm_line = ps->ps_rows[bi].pr_line;
	memcpy(pm->pm_rate, ps->ps_rows[bi].pr_rate, sizeof(pm->pm_rate));
	return 0;
}

int
prices_cost(const struct prices_match *pm, int64_t in, int64_t out, int64_t cw, int64_t cw1h,
	    int64_t cr, int64_t *nano)
{
	int64_t tok[PRICES_NRATES], sum = 0, x;
	int i;

	if (cw1h > cw)
		cw1h = cw;
	tok[PRICES_INPUT] = in;
	tok[PRICES_OUTPUT] = out;
	tok[PRICES_CW5M] = cw - cw1h;
	tok[PRICES_CW1H] = cw1h;
	tok[PRICES_CR] = cr;
	for (i = 0; i < PRICES_NRATES; i++) {
		if (tok[i] < 0 || __builtin_mul_overflow(tok[i], pm->pm_rate[i], &x) ||
		    __builtin_add_overflow(sum, x, &sum))
			return -1;
	}
	*nano = sum;
	return 0;
}

/* Does path name a readable file? */
static int
prices_exists(const char *path)
{
	return access(path, R_OK) == 0;
}

struct prices *
prices_open(const char *explicit_file, char *desc, size_t desclen, char *err, size_t errlen)
{
	char user[PATH_MAX], shipped[PATH_MAX], self[PATH_MAX], *slash;
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	struct prices *ps;
	ssize_t n;

	desc[0] = '\0';
	if ((ps = prices_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (explicit_file != NULL && explicit_file[0] != '\0') {
		if (prices_load(ps, explicit_file, err, errlen) == -1)
			goto fail;
		snprintf(desc, desclen, "%s", explicit_file);
		return ps;
	}
	/* the user's rows first */
	user[0] = '\0';
	if (xdg != NULL && xdg[0] == '/')
		snprintf(user, sizeof(user), "%s/hookwire/" PRICES_FILE, xdg);
	else if (home != NULL && home[0] == '/')
		snprintf(user, sizeof(user), "%s/.config/hookwire/" PRICES_FILE, home);
	if (user[0] != '\0' && prices_exists(user)) {
		if (prices_load(ps, user, err, errlen) == -1)
			goto fail;
		snprintf(desc, desclen, "%s", user);
	}
	/* then the installed copy, or the build tree's (bin/../share/hookwire) */
	snprintf(shipped, sizeof(shipped), "%s/" PRICES_FILE, HOOKWIRE_DATADIR);
	if (!prices_exists(shipped) && (n = compat_exe_path(self, sizeof(self))) > 0) {
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			snprintf(shipped, sizeof(shipped), "%.*s/../share/hookwire/" PRICES_FILE,
				 (int)(sizeof(shipped) - 40), self);
		}
	}
	if (prices_exists(shipped)) {
		if (prices_load(ps, shipped, err, errlen) == -1)
			goto fail;
		snprintf(desc + strlen(desc), desclen - strlen(desc), "%s%s", desc[0] ? ", " : "",
			 shipped);
	}
	if (desc[0] == '\0')
		snprintf(desc, desclen, "none found (%s, %s): every cost unknown",
			 user[0] ? user : "no $HOME", shipped);
	return ps;
fail:
	prices_free(ps);
	return NULL;
}
