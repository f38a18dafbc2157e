/*
 * scrub_keys.c: key rules, which match names rather than text.
 *
 * A JSON member whose key a key rule matches has its string value replaced
 * whole (scrub.c); in text, NAME=value, NAME: value and "NAME": "value"
 * have the value replaced (scrub_keys_text()).  Names are matched through
 * a small cache (the same few dozen keys come in every event).  The
 * heuristics here tell a value from what only looks like one: a variable
 * reference, a placeholder, a type name, code (a call, a path, a variable
 * in an object literal), prose, a short number.
 */
#include <ctype.h>
#include <string.h>

#include "scrub_impl.h"

/* Unquoted values after NAME= that are type names, literals or keywords. */
static const char *const scrub_keys_notvalues[] = {
    "string", "str",   "number", "int",	  "integer",  "bool",	   "boolean",
    "true",   "false", "null",	 "none",  "nil",      "undefined", "any",
    "object", "bytes", "new",	 "await", "async",    "function",  "lambda",
    "this",   "self",  "typeof", "void",  "required", "optional",  NULL};

/* Authorization schemes skipped before a value. */
static const char *const scrub_keys_schemes[] = {"bearer", "basic", "token", "digest", NULL};

/* The first key rule that matches name, or -1. */
static int
scrub_keys_rule_find(struct scrub *s, const char *name, size_t len)
{
	struct scrub_rule *r;
	size_t i;

	for (i = 0; i < s->s_nrules; i++) {
		r = &s->s_rules[i];
		if (r->sr_kind != SCRUB_KEY)
			continue;
		if (r->sr_trig != NULL && !scrub_prefilter_has_trig(s, (int)i, name, len))
			continue;
		if (scrub_exec(s, r, name, len, 0) > 0)
			return (int)i;
	}
	return -1;
}

/*
 * scrub_keys_rule_find() through a small cache: the same few dozen key names
 * (session_id, tool_input, command, ...) come in every event.
 */
int
scrub_keys_rule(struct scrub *s, const char *name, size_t len)
{
	struct scrub_kcache *c;
	uint32_t h = 2166136261u;
	size_t i;
	int rule;

	if (len >= sizeof(c->kc_name))
		return scrub_keys_rule_find(s, name, len);
	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	c = &s->s_kcache[h % SCRUB_KCACHE];
	if (c->kc_len == len + 1 && memcmp(c->kc_name, name, len) == 0)
		return c->kc_rule;
	rule = scrub_keys_rule_find(s, name, len);
	memcpy(c->kc_name, name, len);
	c->kc_len = (uint8_t)(len + 1);
	c->kc_rule = (int16_t)rule;
	return rule;
}

/* Whether v looks like a variable reference ($NAME, ${NAME}, $(...)). */
static int
scrub_keys_varref(const char *v, size_t len)
{
	return len >= 2 && v[0] == '$' &&
	       (isalpha((unsigned char)v[1]) || v[1] == '_' || v[1] == '{' || v[1] == '(');
}

/* Length of "Bearer " (an authorization scheme and its blanks) at p, or 0. */
static size_t
scrub_keys_scheme_len(const char *p, size_t len)
{
	const char *const *w;
	size_t n;

	for (w = scrub_keys_schemes; *w != NULL; w++) {
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
int
scrub_keys_placeholder(const char *v, size_t n)
{
	size_t i;

	if (n == 0 || scrub_keys_varref(v, n) || (v[0] == '<' && v[n - 1] == '>') ||
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
scrub_keys_identifier(const char *p, size_t n)
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
scrub_keys_quote_parity(const char *p, size_t at, int q)
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
scrub_keys_value_stop(int c)
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
scrub_keys_quoted_end(const char *p, size_t len, size_t *vs)
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
size_t
scrub_keys_text(struct scrub *s, const char *p, size_t len, size_t sep)
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
	if ((rule = scrub_keys_rule(s, p + ns, ne - ns)) < 0)
		return 0;
	s->s_keyseen = 1;

	/* The value, after an authorization scheme (also inside quotes). */
	while (vs < len && (p[vs] == ' ' || p[vs] == '\t'))
		vs++;
	if (vs < len && (p[vs] == '"' || p[vs] == '\'' || p[vs] == '`'))
		vs += scrub_keys_scheme_len(p + vs + 1, len - vs - 1) > 0 ? 1 : 0;
	vs += scrub_keys_scheme_len(p + vs, len - vs);
	if (vs >= len || scrub_keys_varref(p + vs, len - vs))
		return 0;
	/*
	 * A quote right after the separator closes a string the name is in
	 * ('?token=' + t) when an odd number of those quotes come before it on
	 * its line: then there is no value here.
	 */
	if (vs == sep + 1 && (p[vs] == '"' || p[vs] == '\'' || p[vs] == '`') &&
	    scrub_keys_quote_parity(p, sep, p[vs]))
		return 0;
	/* A quoted value ends at its quote; one not closed on its line is read
	 * as unquoted from after the quote. */
	ve = scrub_keys_quoted_end(p, len, &vs);
	if (ve == SCRUB_NONE) {
		dotted = 1;
		n = 0; /* dots */
		for (ve = vs; ve < len && ve - vs <= SCRUB_VALUE_MAX; ve++) {
			c = (unsigned char)p[ve];
			if (scrub_keys_value_stop(c))
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
		if (scrub_keys_identifier(p + vs, ve - vs) && i < len &&
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
		for (w = scrub_keys_notvalues; *w != NULL; w++)
			if (strlen(*w) == ve - vs && scrub_lit_eq(p + vs, *w, ve - vs, 1))
				return 0;
		if (ve - vs == ne - ns && scrub_lit_eq(p + vs, p + ns, ve - vs, 1))
			return 0;
	}
	if (scrub_keys_placeholder(p + vs, ve - vs))
		return 0;
	scrub_add_match(s, vs, ve, rule);
	return ve;
}

/*
 * The separator after a key-rule trigger at pos: the end of the name holding
 * it (stored in *nameend), an optional closing quote, spaces, then ':' or
 * '='.  SCRUB_NONE if none.
 */
size_t
scrub_keys_sep_after(const char *p, size_t len, size_t pos, size_t *nameend)
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
