/*
 * check_scrub: the secret scrubber (event-router/scrub*.c, hookwire-scrub(5)).
 *
 * Table-driven from tests/scrub/secrets.txt (every secret is redacted by the
 * right rule, alone and inside events) and tests/scrub/lookalikes.txt (every
 * look-alike survives unchanged), plus the hook fixtures in
 * tests/scrub/fixtures/, meta.scrubbed, JSON inside strings, image payloads,
 * rules files and limits.  The corpus is found under $HOOKWIRE_SRC, else the
 * current directory (make runs the tests from the top of the tree).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "scrub.h"

#define CASES_MAX 512

struct secret_case {
	char *rule;
	char *secret;
	char *text;
};

static struct secret_case secrets[CASES_MAX];
static int nsecrets;
static char *lookalikes[CASES_MAX];
static int nlookalikes;
static const char *srcdir = ".";

static struct scrub *sc;

static char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		abort();
	return p;
}

/* Replaces the two characters \n by a newline, in place. */
static char *
unescape(char *s)
{
	char *r = s, *w = s;

	while (*r != '\0') {
		if (r[0] == '\\' && r[1] == 'n') {
			*w++ = '\n';
			r += 2;
		} else
			*w++ = *r++;
	}
	*w = '\0';
	return s;
}

/* Returns template with "{}" replaced by secret (newly allocated). */
static char *
fill(const char *template, const char *secret)
{
	const char *at = strstr(template, "{}");
	char *out;
	size_t n;

	if (at == NULL)
		abort();
	n = strlen(template) + strlen(secret);
	if ((out = malloc(n)) == NULL)
		abort();
	snprintf(out, n, "%.*s%s%s", (int)(at - template), template, secret, at + 2);
	return out;
}

/* Calls fn(path, line) for each line of tests/scrub/NAME but comments and blank lines. */
static void
read_corpus(const char *name, void (*fn)(const char *, char *))
{
	char path[4096], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/tests/scrub/%s", srcdir, name);
	if ((fp = fopen(path, "r")) == NULL) {
		perror(path);
		exit(1);
	}
	while ((n = getline(&line, &cap, fp)) != -1) {
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		fn(path, line);
	}
	fclose(fp);
	free(line);
}

/* secrets.txt: rule TAB secret TAB text with {} where the secret goes */
static void
load_secret(const char *path, char *line)
{
	char *f1 = line, *f2, *f3;

	if ((f2 = strchr(f1, '\t')) == NULL || (f3 = strchr(f2 + 1, '\t')) == NULL) {
		fprintf(stderr, "%s: bad line: %s\n", path, line);
		exit(1);
	}
	*f2++ = '\0';
	*f3++ = '\0';
	if (nsecrets == CASES_MAX)
		abort();
	secrets[nsecrets].rule = xstrdup(f1);
	secrets[nsecrets].secret = unescape(xstrdup(f2));
	secrets[nsecrets].text = fill(unescape(f3), secrets[nsecrets].secret);
	nsecrets++;
}

/* lookalikes.txt: one text per line that must come out unchanged */
static void
load_lookalike(const char *path, char *line)
{
	if (nlookalikes == CASES_MAX)
		abort();
	lookalikes[nlookalikes++] = unescape(xstrdup(line));
}

static void
load_corpus(void)
{
	read_corpus("secrets.txt", load_secret);
	read_corpus("lookalikes.txt", load_lookalike);
}

static void
setup(void)
{
	char err[512];

	sc = scrub_new(NULL, 1, err, sizeof(err));
	ck_assert_msg(sc != NULL, "scrub_new: %s", err);
}

static void
teardown(void)
{
	scrub_free(sc);
	sc = NULL;
}

/* Fails if any line (of 6 bytes or more) of secret is in out. */
static void
assert_gone(const char *out, const char *secret, const char *what)
{
	const char *p = secret, *e;
	char buf[512];
	size_t n;

	while (*p != '\0') {
		e = strchr(p, '\n');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n >= 6 && n < sizeof(buf)) {
			memcpy(buf, p, n);
			buf[n] = '\0';
			ck_assert_msg(strstr(out, buf) == NULL, "%s: \"%s\" left in: %s", what, buf,
				      out);
		}
		p += n;
		if (*p == '\n')
			p++;
	}
}

/*
 * The places an event carries text: builds an event with text at place k
 * (0 prompt, 1 Bash command, 2 Read result, 3 Bash stdout, 4 a JSON document
 * inside a string).  Returns a new object.
 */
#define PLACES 5
static json_object *
event_with(int k, const char *text)
{
	json_object *ev, *data, *o, *doc;
	const char *s;

	ev = json_object_new_object();
	data = json_object_new_object();
	json_object_object_add(ev, "id",
			       json_object_new_string("0123456789abcdef0123456789abcdef"));
	json_object_object_add(ev, "event", json_object_new_string("PreToolUse"));
	json_object_object_add(data, "session_id",
			       json_object_new_string("4f1c2e9a-7b3d-4e52-9a61-0c8d5f2b7e11"));
	json_object_object_add(data, "tool_use_id",
			       json_object_new_string("toolu_01XyZ8qLkR3mN5pT7vW9aB2c"));
	switch (k) {
	case 0:
		json_object_object_add(data, "prompt", json_object_new_string(text));
		break;
	case 1:
		o = json_object_new_object();
		json_object_object_add(o, "command", json_object_new_string(text));
		json_object_object_add(o, "description", json_object_new_string("run it"));
		json_object_object_add(data, "tool_input", o);
		break;
	case 2:
		o = json_object_new_object();
		doc = json_object_new_object();
		json_object_object_add(doc, "filePath", json_object_new_string("/tmp/x.txt"));
		json_object_object_add(doc, "content", json_object_new_string(text));
		json_object_object_add(o, "type", json_object_new_string("text"));
		json_object_object_add(o, "file", doc);
		json_object_object_add(data, "tool_response", o);
		break;
	case 3:
		o = json_object_new_object();
		json_object_object_add(o, "stdout", json_object_new_string(text));
		json_object_object_add(o, "stderr", json_object_new_string(""));
		json_object_object_add(data, "tool_response", o);
		break;
	default:
		doc = json_object_new_object();
		o = json_object_new_array();
		json_object_array_add(o, json_object_new_string(text));
		json_object_object_add(doc, "lines", o);
		s = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE);
		json_object_object_add(data, "tool_response", json_object_new_string(s));
		json_object_put(doc);
		break;
	}
	json_object_object_add(ev, "data", data);
	return ev;
}

static const char *
ev_text(json_object *ev)
{
	return json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN |
						      JSON_C_TO_STRING_NOSLASHESCAPE);
}

static int64_t
ev_scrubbed(json_object *ev)
{
	json_object *meta, *v;

	if (!json_object_object_get_ex(ev, "meta", &meta) ||
	    !json_object_object_get_ex(meta, "scrubbed", &v))
		return -1;
	return json_object_get_int64(v);
}

/* ------------------------------------------------------------ corpus */

START_TEST(test_secret_string)
{
	const struct secret_case *c = &secrets[_i];
	char tag[64];
	size_t outlen;
	char *out;
	int n;

	out = scrub_string(sc, c->text, strlen(c->text), &outlen, &n);
	ck_assert_msg(out != NULL && n >= 1, "line %d (%s): nothing redacted in: %s", _i + 1,
		      c->rule, c->text);
	ck_assert_uint_eq(outlen, strlen(out));
	assert_gone(out, c->secret, c->rule);
	snprintf(tag, sizeof(tag), "[REDACTED:%s]", c->rule);
	ck_assert_msg(strstr(out, tag) != NULL, "%s not in: %s", tag, out);
	free(out);
}
END_TEST

START_TEST(test_secret_event)
{
	const struct secret_case *c = &secrets[_i];
	json_object *ev;
	int k, n;

	for (k = 0; k < PLACES; k++) {
		ev = event_with(k, c->text);
		n = scrub_event(sc, ev);
		ck_assert_msg(n >= 1, "%s in place %d: nothing redacted", c->rule, k);
		assert_gone(ev_text(ev), c->secret, c->rule);
		ck_assert_int_eq(ev_scrubbed(ev), n);
		json_object_put(ev);
	}
}
END_TEST

START_TEST(test_lookalike_string)
{
	const char *t = lookalikes[_i];
	size_t outlen;
	char *out;
	int n;

	out = scrub_string(sc, t, strlen(t), &outlen, &n);
	ck_assert_msg(out == NULL && n == 0, "look-alike changed: %s -> %s", t,
		      out ? out : "(null)");
}
END_TEST

START_TEST(test_lookalike_event)
{
	json_object *ev;
	char *before;
	int k;

	for (k = 0; k < PLACES; k++) {
		ev = event_with(k, lookalikes[_i]);
		before = xstrdup(ev_text(ev));
		ck_assert_int_eq(scrub_event(sc, ev), 0);
		/* meta.scrubbed: 0 was added; the rest is unchanged */
		ck_assert_int_eq(ev_scrubbed(ev), 0);
		json_object_object_del(ev, "meta");
		ck_assert_str_eq(ev_text(ev), before);
		free(before);
		json_object_put(ev);
	}
}
END_TEST

/* ------------------------------------------------------------ fixtures */

static json_object *
fixture(const char *name)
{
	char path[4096];
	json_object *ev, *data;

	snprintf(path, sizeof(path), "%s/tests/scrub/fixtures/%s", srcdir, name);
	data = json_object_from_file(path);
	ck_assert_msg(data != NULL, "%s", path);
	ev = json_object_new_object();
	json_object_object_add(ev, "data", data);
	return ev;
}

START_TEST(test_fixture_bearer_variable)
{
	/* "Authorization: Bearer $GITHUB_TOKEN" names a variable: no secret. */
	json_object *ev = fixture("pretooluse_bash.json");

	ck_assert_int_eq(scrub_event(sc, ev), 0);
	ck_assert_ptr_nonnull(strstr(ev_text(ev), "Bearer $GITHUB_TOKEN"));
	json_object_put(ev);
}
END_TEST

START_TEST(test_fixture_prompt_key)
{
	json_object *ev = fixture("userpromptsubmit.json");

	ck_assert_int_eq(scrub_event(sc, ev), 1);
	ck_assert_ptr_null(strstr(ev_text(ev), "sk-ant-api03"));
	ck_assert_ptr_nonnull(strstr(ev_text(ev), "my key is [REDACTED:anthropic-key]..."));
	ck_assert_int_eq(ev_scrubbed(ev), 1);
	json_object_put(ev);
}
END_TEST

START_TEST(test_fixture_url_password)
{
	json_object *ev = fixture("pretooluse_edit_subagent.json");

	ck_assert_int_eq(scrub_event(sc, ev), 1);
	ck_assert_ptr_null(strstr(ev_text(ev), "s3cr3tP"));
	ck_assert_ptr_nonnull(
	    strstr(ev_text(ev), "postgres://app:[REDACTED:url-credentials]@localhost:5432/acme"));
	json_object_put(ev);
}
END_TEST

START_TEST(test_fixture_clean)
{
	static const char *const names[] = {"posttooluse_read_large.json", "sessionstart.json"};
	json_object *ev;
	char *before;

	ev = fixture(names[_i]);
	before = xstrdup(ev_text(ev));
	ck_assert_int_eq(scrub_event(sc, ev), 0);
	json_object_object_del(ev, "meta");
	ck_assert_str_eq(ev_text(ev), before);
	free(before);
	json_object_put(ev);
}
END_TEST

/* ------------------------------------------------------------ core */

START_TEST(test_meta_counts)
{
	json_object *ev;

	/* no meta: created */
	ev = json_tokener_parse("{\"data\":{\"prompt\":\"ghp_FAKEfakeFAKEfakeFAKEfakeFAKEfake0000 "
				"and AKIAFAKEFAKEFAKE0000\"}}");
	ck_assert_int_eq(scrub_event(sc, ev), 2);
	ck_assert_int_eq(ev_scrubbed(ev), 2);
	/* again: nothing more */
	ck_assert_int_eq(scrub_event(sc, ev), 0);
	ck_assert_int_eq(ev_scrubbed(ev), 2);
	json_object_put(ev);

	/* existing count: added to */
	ev = json_tokener_parse("{\"data\":{\"password\":\"fake-pass\",\"cmd\":\"export "
				"API_KEY=fake-key-1\"},\"meta\":{\"scrubbed\":3,\"truncated\":0}}");
	ck_assert_int_eq(scrub_event(sc, ev), 2);
	ck_assert_int_eq(ev_scrubbed(ev), 5);
	ck_assert_ptr_nonnull(strstr(ev_text(ev), "\"password\":\"[REDACTED:key-name]\""));
	ck_assert_ptr_nonnull(strstr(ev_text(ev), "API_KEY=[REDACTED:key-name]"));
	ck_assert_ptr_nonnull(strstr(ev_text(ev), "\"truncated\":0"));
	json_object_put(ev);

	/* meta present without scrubbed */
	ev = json_tokener_parse("{\"data\":{},\"meta\":{\"capture_us\":12}}");
	ck_assert_int_eq(scrub_event(sc, ev), 0);
	ck_assert_int_eq(ev_scrubbed(ev), 0);
	json_object_put(ev);
}
END_TEST

START_TEST(test_rule_hits)
{
	size_t i, n = scrub_nrules(sc);
	int found = 0;
	json_object *ev;

	ck_assert_uint_ge(n, 20);
	ck_assert_ptr_null(scrub_rule_name(sc, n));
	ev = json_tokener_parse("{\"data\":{\"a\":\"npm_FAKEfakeFAKEfakeFAKEfakeFAKEfake0000\","
				"\"b\":\"npm_FAKEfakeFAKEfakeFAKEfakeFAKEfake0001\"}}");
	ck_assert_int_eq(scrub_event(sc, ev), 2);
	for (i = 0; i < n; i++) {
		ck_assert_uint_lt(strlen(scrub_rule_name(sc, i)), 32);
		if (strcmp(scrub_rule_name(sc, i), "npm-token") == 0) {
			ck_assert_uint_eq(scrub_rule_hits(sc, i), 2);
			found = 1;
		} else
			ck_assert_uint_eq(scrub_rule_hits(sc, i), 0);
	}
	ck_assert(found);
	json_object_put(ev);
}
END_TEST

/* JSON object keys: the whole string value goes, whatever it looks like. */
static const struct {
	const char *key;
	int redacted;
} keys[] = {
    {"password", 1},	{"PASSWORD", 1},	{"db_password", 1},   {"userPassword", 1},
    {"passwd", 1},	{"secret", 1},		{"client_secret", 1}, {"clientSecret", 1},
    {"token", 1},	{"access_token", 1},	{"refreshToken", 1},  {"GITHUB_TOKEN", 1},
    {"api_key", 1},	{"apiKey", 1},		{"api-key", 1},	      {"X-Api-Key", 1},
    {"access_key", 1},	{"private_key", 1},	{"auth", 1},	      {"Authorization", 1},
    {"credentials", 1}, {"db.pass", 1},		{"DB_PWD", 1},	      {"secret_key", 1},
    {"token_count", 0}, {"password_field", 0},	{"max_tokens", 0},    {"tokens", 0},
    {"author", 0},	{"bypass", 0},		{"primary_key", 0},   {"key", 0},
    {"session_id", 0},	{"transcript_path", 0}, {"PWD", 0},	      {"passport", 0},
    {"secretary", 0},	{"oauth", 0},		{"tokenizer", 0},     {"keys", 0},
    {"pass", 0},	{"DB_PASS", 1},		{"userPass", 1},      {"compass", 0},
};

START_TEST(test_key_names)
{
	json_object *ev, *data;
	int n;

	ev = json_object_new_object();
	data = json_object_new_object();
	json_object_object_add(data, keys[_i].key, json_object_new_string("plain value 1"));
	json_object_object_add(ev, "data", data);
	n = scrub_event(sc, ev);
	ck_assert_msg(n == keys[_i].redacted, "key %s: %d redactions", keys[_i].key, n);
	if (n)
		ck_assert_str_eq(json_object_get_string(json_object_object_get(data, keys[_i].key)),
				 "[REDACTED:key-name]");
	json_object_put(ev);
}
END_TEST

START_TEST(test_key_values_kept)
{
	/* Variable references and empty strings under credential keys stay. */
	json_object *ev = json_tokener_parse(
	    "{\"data\":{\"password\":\"\",\"token\":\"$GITHUB_TOKEN\",\"secret\":\"${S}\","
	    "\"api_key\":\"<your key>\",\"authorization\":\"%s\",\"passwd\":\"********\","
	    "\"client_secret\":\"pre-${X}-post\","
	    "\"auth\":{\"user\":\"dev\"},\"token_count\":12}}");
	char *before = xstrdup(ev_text(ev));

	ck_assert_int_eq(scrub_event(sc, ev), 0);
	json_object_object_del(ev, "meta");
	ck_assert_str_eq(ev_text(ev), before);
	free(before);
	json_object_put(ev);
}
END_TEST

/* ------------------------------------------------------------ nested */

START_TEST(test_nested_json)
{
	json_object *ev, *v;
	const char *s;

	/* a JSON document in a string, holding another one */
	ev = json_tokener_parse(
	    "{\"data\":{\"tool_response\":\"{\\\"ok\\\":true,\\\"inner\\\":\\\"[\\\\\\\"x\\\\\\\","
	    "{\\\\\\\"api_key\\\\\\\":\\\\\\\"fake-inner-key\\\\\\\"}]\\\",\\\"n\\\":1.50}\"}}");
	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(scrub_event(sc, ev), 1);
	s = ev_text(ev);
	ck_assert_ptr_null(strstr(s, "fake-inner-key"));
	v = json_tokener_parse(json_object_get_string(
	    json_object_object_get(json_object_object_get(ev, "data"), "tool_response")));
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(v, "inner")),
			 "[\"x\",{\"api_key\":\"[REDACTED:key-name]\"}]");
	/* numbers keep their text */
	ck_assert_ptr_nonnull(strstr(json_object_get_string(json_object_object_get(
					 json_object_object_get(ev, "data"), "tool_response")),
				     "1.50"));
	json_object_put(v);
	json_object_put(ev);
}
END_TEST

START_TEST(test_nested_escaped_trigger)
{
	/* \u escapes hide "sk-ant-" from the raw text: the parsed string has it. */
	const char *in = "{\"k\": \"sk-\\u0061nt-api03-FAKEfakeFAKEfake0000\"}";
	size_t outlen;
	char *out;
	int n;

	out = scrub_string(sc, in, strlen(in), &outlen, &n);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(out, "{\"k\":\"[REDACTED:anthropic-key]\"}");
	free(out);
}
END_TEST

START_TEST(test_nested_not_json)
{
	/* starts like JSON, is not: scanned as text */
	const char *in = "{ not json, token=fake-token-77 }";
	size_t outlen;
	char *out;
	int n;

	out = scrub_string(sc, in, strlen(in), &outlen, &n);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(out, "{ not json, token=[REDACTED:key-name] }");
	free(out);
}
END_TEST

START_TEST(test_nested_clean_untouched)
{
	/* JSON without secrets keeps its exact text (no re-serialization) */
	const char *in = "{ \"token_count\" : 5,\n  \"name\": \"jsonwebtoken\" }";
	size_t outlen;
	int n;

	ck_assert_ptr_null(scrub_string(sc, in, strlen(in), &outlen, &n));
	ck_assert_int_eq(n, 0);
}
END_TEST

/* ------------------------------------------------------------ images */

START_TEST(test_image_skipped)
{
	static const char *const docs[] = {
	    /* Claude content block */
	    "{\"data\":{\"tool_response\":[{\"type\":\"image\",\"source\":{\"type\":\"base64\","
	    "\"media_type\":\"image/png\",\"data\":\"iVBORw0KGgoghp_"
	    "FAKEfakeFAKEfakeFAKEfakeFAKEfake0000AAAA\"}}]}}",
	    /* type image with data */
	    "{\"data\":{\"x\":{\"type\":\"image\",\"data\":\"AKIAFAKEFAKEFAKE0000+secret=\"}}}",
	    /* mime type */
	    "{\"data\":{\"x\":{\"mimeType\":\"image/jpeg\",\"data\":\"eyJhbGciOiJIUzI1NiJ9."
	    "eyJzdWIiOiJmYWtlIn0.FAKEsig00\"}}}",
	    /* data: URL */
	    "{\"data\":{\"img\":\"data:image/png;base64,iVBORw0KGgo/AKIAFAKEFAKEFAKE0000/"
	    "xoxb-0000000000-FAKEfakeFAKE\"}}",
	};
	json_object *ev = json_tokener_parse(docs[_i]);
	char *before;

	ck_assert_ptr_nonnull(ev);
	before = xstrdup(ev_text(ev));
	ck_assert_int_eq(scrub_event(sc, ev), 0);
	json_object_object_del(ev, "meta");
	ck_assert_str_eq(ev_text(ev), before);
	free(before);
	json_object_put(ev);
}
END_TEST

START_TEST(test_image_siblings_scanned)
{
	/* Only the image's data is skipped, not its neighbours. */
	json_object *ev = json_tokener_parse(
	    "{\"data\":{\"type\":\"image\",\"data\":\"AAAA\",\"alt\":\"token: fake-alt-token\"}}");

	ck_assert_int_eq(scrub_event(sc, ev), 1);
	ck_assert_ptr_null(strstr(ev_text(ev), "fake-alt-token"));
	json_object_put(ev);
}
END_TEST

/* ------------------------------------------------------------ rules files */

static char rules_path[4096];

static void
write_rules(const char *text)
{
	FILE *fp;
	const char *tmp = getenv("TMPDIR");
	int fd;

	snprintf(rules_path, sizeof(rules_path), "%s/check_scrub.XXXXXX", tmp ? tmp : "/tmp");
	fd = mkstemp(rules_path);
	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
}

static char *
scrub_with(struct scrub *s, const char *in, int *n)
{
	size_t outlen;

	return scrub_string(s, in, strlen(in), &outlen, n);
}

START_TEST(test_rules_add_disable)
{
	struct scrub *s;
	char err[512], *out;
	int n;

	write_rules("# site rules\n"
		    "\n"
		    "acme-id   \\bACME-[0-9]{6}\\b\n"
		    "  acme-pin  pin=([0-9]{4})\\b   \n"
		    "!jwt\n"
		    "key:acme-key (?i)^x-acme-pin$\n");
	s = scrub_new(rules_path, 1, err, sizeof(err));
	ck_assert_msg(s != NULL, "%s", err);
	out = scrub_with(s, "ticket ACME-123456 and pin=1234 ok", &n);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(out, "ticket [REDACTED:acme-id] and pin=[REDACTED:acme-pin] ok");
	free(out);
	/* jwt disabled */
	out = scrub_with(s, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJmYWtlIn0.FAKEsignature00", &n);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(n, 0);
	/* the other built-ins still work */
	out = scrub_with(s, "ghp_FAKEfakeFAKEfakeFAKEfakeFAKEfake0000", &n);
	ck_assert_str_eq(out, "[REDACTED:github-pat]");
	free(out);
	/* key rule: JSON keys and NAME: value text */
	out = scrub_with(s, "X-Acme-Pin: fake-acme-value", &n);
	ck_assert_str_eq(out, "X-Acme-Pin: [REDACTED:acme-key]");
	free(out);
	out = scrub_with(s, "{\"x-acme-pin\":\"v\"}", &n);
	ck_assert_str_eq(out, "{\"x-acme-pin\":\"[REDACTED:acme-key]\"}");
	free(out);
	scrub_free(s);
	unlink(rules_path);
}
END_TEST

START_TEST(test_rules_override)
{
	struct scrub *s;
	char err[512], *out;
	size_t i;
	int n;

	/* a built-in replaced by name keeps its place and its name */
	write_rules("github-pat ghp_[A-Za-z0-9]{4,}\n");
	s = scrub_new(rules_path, 1, err, sizeof(err));
	ck_assert_msg(s != NULL, "%s", err);
	out = scrub_with(s, "short ghp_abcd1 here", &n);
	ck_assert_str_eq(out, "short [REDACTED:github-pat] here");
	free(out);
	for (i = 0, n = 0; i < scrub_nrules(s); i++)
		n += strcmp(scrub_rule_name(s, i), "github-pat") == 0;
	ck_assert_int_eq(n, 1);
	scrub_free(s);
	unlink(rules_path);
}
END_TEST

START_TEST(test_rules_no_builtin)
{
	struct scrub *s;
	char err[512], *out;
	int n;

	write_rules("only-this foo([0-9]+)\n");
	s = scrub_new(rules_path, 0, err, sizeof(err));
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_uint_eq(scrub_nrules(s), 1);
	ck_assert_str_eq(scrub_rule_name(s, 0), "only-this");
	out = scrub_with(s, "ghp_FAKEfakeFAKEfakeFAKEfakeFAKEfake0000 foo42", &n);
	ck_assert_str_eq(out, "ghp_FAKEfakeFAKEfakeFAKEfakeFAKEfake0000 foo[REDACTED:only-this]");
	free(out);
	scrub_free(s);
	unlink(rules_path);

	/* no rules at all: nothing to do, nothing fails */
	s = scrub_new(NULL, 0, err, sizeof(err));
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(scrub_nrules(s), 0);
	ck_assert_ptr_null(
	    scrub_with(s, "password=x ghp_FAKEfakeFAKEfakeFAKEfakeFAKEfake0000", &n));
	ck_assert_int_eq(n, 0);
	scrub_free(s);
}
END_TEST

static const struct {
	const char *text;
	const char *err; /* after "<file>:" */
} bad_rules[] = {
    {"ok-rule abc\nbroken (unclosed\n", "2: rule broken: missing closing parenthesis"},
    {"# c\n\n\n!no-such-rule\n", "4: no rule named \"no-such-rule\""},
    {"bad/name abc\n", "1: bad rule name \"bad/name\""},
    {"just-a-name\n", "1: rule just-a-name: no regex"},
    {"key:k1 [z-a]\n", "1: rule k1: range out of order"},
    {"an-extremely-long-rule-name-beyond-31 x\n", "1: bad rule name"},
};

START_TEST(test_rules_bad)
{
	char err[512], want[4200];
	struct scrub *s;

	write_rules(bad_rules[_i].text);
	s = scrub_new(rules_path, 1, err, sizeof(err));
	ck_assert_ptr_null(s);
	snprintf(want, sizeof(want), "%s:%s", rules_path, bad_rules[_i].err);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got \"%s\", want \"%s...\"", err,
		      want);
	unlink(rules_path);
}
END_TEST

START_TEST(test_rules_missing_file)
{
	char err[512];

	ck_assert_ptr_null(scrub_new("/nonexistent/hookwire/rules", 1, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/hookwire/rules: "));
	/* an empty name means no file */
	ck_assert_ptr_nonnull(sc);
}
END_TEST

START_TEST(test_rules_example)
{
	/* The shipped example loads (everything in it is commented out or valid). */
	char path[4096], err[512];
	struct scrub *s;

	snprintf(path, sizeof(path), "%s/event-router/scrub-rules.example", srcdir);
	s = scrub_new(path, 1, err, sizeof(err));
	ck_assert_msg(s != NULL, "%s", err);
	scrub_free(s);
}
END_TEST

/* ------------------------------------------------------------ docs */

static struct scrub *sc_file; /* the built-ins, read from the example file */

/*
 * Writes the example's commented built-in rules ("#NAME  REGEX" and
 * "#key:NAME  REGEX") uncommented to rules_path.
 */
static void
example_rules(void)
{
	char path[4096], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *in, *out;
	const char *tmp = getenv("TMPDIR");
	int fd;

	snprintf(path, sizeof(path), "%s/event-router/scrub-rules.example", srcdir);
	in = fopen(path, "r");
	ck_assert_msg(in != NULL, "%s", path);
	snprintf(rules_path, sizeof(rules_path), "%s/check_scrub.XXXXXX", tmp ? tmp : "/tmp");
	fd = mkstemp(rules_path);
	ck_assert_int_ge(fd, 0);
	out = fdopen(fd, "w");
	while ((n = getline(&line, &cap, in)) != -1)
		if (line[0] == '#' && ((line[1] >= 'a' && line[1] <= 'z') || line[1] == '!'))
			fputs(line + 1, out);
	free(line);
	fclose(in);
	fclose(out);
}

static void
setup_file(void)
{
	char err[512];

	setup();
	example_rules();
	sc_file = scrub_new(rules_path, 0, err, sizeof(err));
	unlink(rules_path);
	ck_assert_msg(sc_file != NULL, "example rules: %s", err);
}

static void
teardown_file(void)
{
	scrub_free(sc_file);
	teardown();
}

START_TEST(test_example_lists_builtins)
{
	size_t i;

	ck_assert_uint_eq(scrub_nrules(sc_file), scrub_nrules(sc));
	for (i = 0; i < scrub_nrules(sc); i++)
		ck_assert_str_eq(scrub_rule_name(sc_file, i), scrub_rule_name(sc, i));
}
END_TEST

/* The example's rules (no prefilter) redact exactly what the built-ins do. */
START_TEST(test_example_same_secrets)
{
	const char *t = secrets[_i].text;
	size_t l1, l2;
	char *o1, *o2;
	int n1, n2;

	o1 = scrub_string(sc, t, strlen(t), &l1, &n1);
	o2 = scrub_string(sc_file, t, strlen(t), &l2, &n2);
	ck_assert_int_eq(n1, n2);
	ck_assert_str_eq(o1, o2);
	free(o1);
	free(o2);
}
END_TEST

START_TEST(test_example_same_lookalikes)
{
	const char *t = lookalikes[_i];
	size_t l2;
	char *o2;
	int n2;

	o2 = scrub_string(sc_file, t, strlen(t), &l2, &n2);
	ck_assert_msg(o2 == NULL && n2 == 0, "example rules changed %s -> %s", t, o2);
}
END_TEST

START_TEST(test_example_same_keys)
{
	json_object *ev, *data;

	ev = json_object_new_object();
	data = json_object_new_object();
	json_object_object_add(data, keys[_i].key, json_object_new_string("plain value 1"));
	json_object_object_add(ev, "data", data);
	ck_assert_msg(scrub_event(sc_file, ev) == keys[_i].redacted, "key %s", keys[_i].key);
	json_object_put(ev);
}
END_TEST

START_TEST(test_man_lists_builtins)
{
	char path[4096], want[128], *page;
	size_t i, len;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/man/hookwire-scrub.5", srcdir);
	fp = fopen(path, "r");
	ck_assert_msg(fp != NULL, "%s", path);
	page = calloc(1, 1 << 20);
	len = fread(page, 1, (1 << 20) - 1, fp);
	fclose(fp);
	ck_assert_uint_gt(len, 0);
	for (i = 0; i < scrub_nrules(sc); i++) {
		snprintf(want, sizeof(want), "\n.It Cm %s\n", scrub_rule_name(sc, i));
		ck_assert_msg(strstr(page, want) != NULL, "rule %s is not in %s",
			      scrub_rule_name(sc, i), path);
	}
	free(page);
}
END_TEST

/* ------------------------------------------------------------ limits */

START_TEST(test_many_matches)
{
	/* 2000 secrets in one string: all go, in order, count exact */
	const char *one = "k=ghp_FAKEfakeFAKEfakeFAKEfakeFAKEfake0000 ";
	size_t len = strlen(one), i, outlen;
	char *in = malloc(len * 2000 + 1), *out;
	int n;

	for (i = 0; i < 2000; i++)
		memcpy(in + i * len, one, len);
	in[len * 2000] = '\0';
	out = scrub_string(sc, in, len * 2000, &outlen, &n);
	ck_assert_int_eq(n, 2000);
	ck_assert_ptr_null(strstr(out, "ghp_"));
	ck_assert_uint_eq(outlen, 2000 * strlen("k=[REDACTED:github-pat] "));
	free(out);
	free(in);
}
END_TEST

START_TEST(test_overlaps_merge)
{
	/* overlapping matches of two rules leave no part of either */
	const char *in = "AUTHORIZATION=Bearer ghp_FAKEfakeFAKEfakeFAKEfakeFAKEfake0000xyz";
	char *out;
	int n;

	out = scrub_with(sc, in, &n);
	ck_assert_int_eq(n, 1);
	ck_assert_ptr_null(strstr(out, "FAKE"));
	free(out);
}
END_TEST

START_TEST(test_odd_bytes)
{
	/* NUL bytes, invalid UTF-8, a trigger at the very end, tiny strings */
	static const char in[] = "a\0b password=\xff\xfe\0 sk-ant-api03-FAKE0000FAKE0000 \xc3";
	static const char *const tails[] = {"sk-", "s", "", "://", "-----BEGIN", "password=", "x:"};
	size_t outlen, i;
	char *out;
	int n;

	out = scrub_string(sc, in, sizeof(in) - 1, &outlen, &n);
	ck_assert_int_ge(n, 1);
	ck_assert_ptr_nonnull(memmem(out, outlen, "[REDACTED:anthropic-key]", 24));
	ck_assert_ptr_null(memmem(out, outlen, "FAKE0000", 8));
	free(out);
	for (i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		out = scrub_string(sc, tails[i], strlen(tails[i]), &outlen, &n);
		ck_assert_int_eq(n, 0);
		ck_assert_ptr_null(out);
	}
}
END_TEST

START_TEST(test_cut_secret)
{
	/* hook-capture cut a string in the middle of a secret: its head goes */
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"export T=ghp_FAKEfakeFAKE[hookwire: truncated 120 bytes]",
	     "export T=[REDACTED:github-pat][hookwire: truncated 120 bytes]"},
	    {"my key sk-ant-api03-FA[hookwire: truncated 5 bytes]",
	     "my key [REDACTED:anthropic-key][hookwire: truncated 5 bytes]"},
	    {"ok then AKIAFAKE[hookwire: truncated 9 bytes]",
	     "ok then [REDACTED:aws-access-key][hookwire: truncated 9 bytes]"},
	};
	size_t outlen, i;
	char *out;
	int n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out = scrub_string(sc, cases[i].in, strlen(cases[i].in), &outlen, &n);
		ck_assert_int_eq(n, 1);
		ck_assert_str_eq(out, cases[i].out);
		free(out);
	}
	/* a cut word without a trigger stays */
	out = scrub_string(sc, "plain words here[hookwire: truncated 9 bytes]", 45, &outlen, &n);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(n, 0);
}
END_TEST

START_TEST(test_deep)
{
	/* deep nesting is walked to the bottom */
	char buf[4096];
	json_object *ev;
	int d, off = 0;

	off += snprintf(buf + off, sizeof(buf) - off, "{\"data\":");
	for (d = 0; d < 24; d++)
		off += snprintf(buf + off, sizeof(buf) - off, "[");
	off += snprintf(buf + off, sizeof(buf) - off, "{\"password\":\"deep-fake\"}");
	for (d = 0; d < 24; d++)
		off += snprintf(buf + off, sizeof(buf) - off, "]");
	snprintf(buf + off, sizeof(buf) - off, "}");
	ev = json_tokener_parse(buf);
	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(scrub_event(sc, ev), 1);
	ck_assert_ptr_null(strstr(ev_text(ev), "deep-fake"));
	json_object_put(ev);

	/* as deep as router.depth_max allows (1000): still walked to the bottom */
	{
		size_t cap = 8192, o = 0;
		char *big = malloc(cap);
		json_tokener *tok = json_tokener_new_ex(1100);

		o += (size_t)snprintf(big + o, cap - o, "{\"data\":");
		for (d = 0; d < 998; d++)
			big[o++] = '[';
		o += (size_t)snprintf(big + o, cap - o,
				      "\"ghp_FAKEfakeFAKEfakeFAKEfakeFAKEfake0000\"");
		for (d = 0; d < 998; d++)
			big[o++] = ']';
		big[o++] = '}';
		ev = json_tokener_parse_ex(tok, big, (int)o);
		ck_assert_ptr_nonnull(ev);
		ck_assert_int_eq(scrub_event(sc, ev), 1);
		json_object_put(ev);
		json_tokener_free(tok);
		free(big);
	}

	/* not an object, no data: nothing happens */
	ev = json_object_new_string("ghp_FAKEfakeFAKEfakeFAKEfakeFAKEfake0000");
	ck_assert_int_eq(scrub_event(sc, ev), 0);
	json_object_put(ev);
}
END_TEST

static Suite *
scrub_suite(void)
{
	Suite *s = suite_create("scrub");
	TCase *tc;

	tc = tcase_create("corpus");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_secret_string, 0, nsecrets);
	tcase_add_loop_test(tc, test_secret_event, 0, nsecrets);
	tcase_add_loop_test(tc, test_lookalike_string, 0, nlookalikes);
	tcase_add_loop_test(tc, test_lookalike_event, 0, nlookalikes);
	suite_add_tcase(s, tc);

	tc = tcase_create("fixtures");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fixture_bearer_variable);
	tcase_add_test(tc, test_fixture_prompt_key);
	tcase_add_test(tc, test_fixture_url_password);
	tcase_add_loop_test(tc, test_fixture_clean, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_meta_counts);
	tcase_add_test(tc, test_rule_hits);
	tcase_add_loop_test(tc, test_key_names, 0, sizeof(keys) / sizeof(keys[0]));
	tcase_add_test(tc, test_key_values_kept);
	tcase_add_test(tc, test_overlaps_merge);
	suite_add_tcase(s, tc);

	tc = tcase_create("nested");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_nested_json);
	tcase_add_test(tc, test_nested_escaped_trigger);
	tcase_add_test(tc, test_nested_not_json);
	tcase_add_test(tc, test_nested_clean_untouched);
	tcase_add_loop_test(tc, test_image_skipped, 0, 4);
	tcase_add_test(tc, test_image_siblings_scanned);
	suite_add_tcase(s, tc);

	tc = tcase_create("rules");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rules_add_disable);
	tcase_add_test(tc, test_rules_override);
	tcase_add_test(tc, test_rules_no_builtin);
	tcase_add_loop_test(tc, test_rules_bad, 0, sizeof(bad_rules) / sizeof(bad_rules[0]));
	tcase_add_test(tc, test_rules_missing_file);
	tcase_add_test(tc, test_rules_example);
	suite_add_tcase(s, tc);

	tc = tcase_create("docs");
	tcase_add_checked_fixture(tc, setup_file, teardown_file);
	tcase_add_test(tc, test_example_lists_builtins);
	tcase_add_loop_test(tc, test_example_same_secrets, 0, nsecrets);
	tcase_add_loop_test(tc, test_example_same_lookalikes, 0, nlookalikes);
	tcase_add_loop_test(tc, test_example_same_keys, 0, sizeof(keys) / sizeof(keys[0]));
	tcase_add_test(tc, test_man_lists_builtins);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_many_matches);
	tcase_add_test(tc, test_odd_bytes);
	tcase_add_test(tc, test_cut_secret);
	tcase_add_test(tc, test_deep);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	if (getenv("HOOKWIRE_SRC") != NULL)
		srcdir = getenv("HOOKWIRE_SRC");
	load_corpus();
	sr = srunner_create(scrub_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
