/*
 * check_hookscan.c: hook-capture's fast path, hookscan_run() and
 * hookscan_event() (common/hookscan.c), against the json-c path,
 * event_from_hook().
 *
 * core:     every hook fixture takes the fast path and gives the json-c
 *           path's text byte for byte (same id); the router's scanner
 *           (event_scan.c) takes it
 * same:     inputs the fast path takes (escapes, numbers, white space, UTF-8,
 *           files, lifted members, project) give the json-c path's text
 * truncate: strings cut at field_max on every kind of boundary (ASCII, 2-,
 *           3- and 4-byte UTF-8, escapes, \u0000, exactly at the limit)
 * decline:  everything the fast path must leave to json-c
 * keys:     repeated keys in one object, not across objects; the key limit
 * text:     meta.capture_us, hookscan_quote() and hookscan_unquote()
 * mutate:   fixtures with random bytes changed: whenever the fast path takes
 *           one, it is the json-c path's event
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event.h"
#include "event_scan.h"
#include "hookscan.h"
#include "util.h"

static const struct event_env test_env = {"testhost", "tester", NULL};
#define NOW_US 1764361503123456LL

static char *
slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd;

	fd = open(path, O_RDONLY);
	ck_assert_msg(fd != -1, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(read(fd, buf, (size_t)st.st_size), st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static const char *fixtures[] = {
    "posttooluse_read_large.json", "pretooluse_bash.json",  "pretooluse_edit_subagent.json",
    "sessionstart.json",	   "userpromptsubmit.json",
};

static char *
fixture(const char *name, size_t *len)
{
	const char *src = getenv("HOOKWIRE_SRC");
	char path[4096];

	snprintf(path, sizeof(path), "%s/tests/fixtures/hooks/%s", src ? src : ".", name);
	return slurp(path, len);
}

/*
 * Runs both paths on in; with the fast path taking it (it must, unless
 * may_decline), compares the texts (the json-c event given the fast path's
 * id).  Returns 1 when the fast path took it, else 0.
 */
static int
same(const char *in, size_t len, const struct event_limits *lim, const struct event_env *env,
     int may_decline)
{
	struct hookscan_event he;
	json_object *ev, *fast;
	const char *s;
	size_t n;
	int r;

	r = hookscan_event(in, len, lim, env, NOW_US, &he);
	ck_assert_int_ne(r, -1);
	if (r == 1) {
		ck_assert_msg(may_decline, "declined: %.*s", (int)(len < 200 ? len : 200), in);
		return 0;
	}
	ck_assert_uint_eq(strlen(he.he_line), he.he_len);
	ck_assert_uint_eq(util_utf8_valid(he.he_line, he.he_len), he.he_len);
	ev = event_from_hook(in, len, lim, env, NOW_US);
	ck_assert_ptr_nonnull(ev);
	json_object_object_add(ev, "id", json_object_new_string(he.he_id));
	s = event_to_string(ev, &n);
	ck_assert_msg(n == he.he_len && memcmp(s, he.he_line, n) == 0,
		      "input %.*s\n json-c %s\n fast   %s", (int)(len < 300 ? len : 300), in, s,
		      he.he_line);
	fast = json_tokener_parse(he.he_line);
	ck_assert_ptr_nonnull(fast);
	ck_assert(json_object_equal(fast, ev));
	json_object_put(fast);
	json_object_put(ev);
	free(he.he_line);
	return 1;
}

/* ---------------------------------------------------------------- core */

START_TEST(test_fixtures)
{
	struct event_limits lim;
	struct hookscan_event he;
	struct event_scan sc;
	char *in, name[64];
	size_t len;

	event_limits_default(&lim);
	in = fixture(fixtures[_i], &len);
	ck_assert_int_eq(same(in, len, &lim, &test_env, 0), 1);
	ck_assert_int_eq(hookscan_event(in, len, &lim, &test_env, NOW_US, &he), 0);
	/* the router's fast path takes it */
	ck_assert_int_eq(event_scan(he.he_line, he.he_len, lim.depth_max, &sc), 0);
	ck_assert_int_eq(
	    hookscan_unquote(he.he_line + he.he_name_off, he.he_name_len, name, sizeof(name)), 0);
	ck_assert_ptr_nonnull(strstr(in, name));
	ck_assert_uint_gt(he.he_cwd_len, 2);
	ck_assert_int_eq(memcmp(he.he_line + he.he_cwd_off, "\"/home/dev/acme-api\"", 20), 0);
	free(he.he_line);
	free(in);
}
END_TEST

START_TEST(test_large_cut)
{
	struct event_limits lim;
	struct hookscan_event he;
	json_object *ev, *v;
	size_t len;
	char *in;

	event_limits_default(&lim);
	in = fixture("posttooluse_read_large.json", &len);
	ck_assert_int_eq(hookscan_event(in, len, &lim, &test_env, NOW_US, &he), 0);
	ck_assert_uint_lt(he.he_len, lim.field_max + 2048);
	ev = json_tokener_parse(he.he_line);
	ck_assert(json_object_object_get_ex(ev, "meta", &v));
	ck_assert(json_object_object_get_ex(v, "truncated", &v));
	ck_assert_int_gt(json_object_get_int64(v), 100000);
	ck_assert(json_object_object_get_ex(ev, "files", &v));
	ck_assert_int_eq(json_object_array_length(v), 1);
	json_object_put(ev);
	free(he.he_line);
	free(in);
}
END_TEST

/* ---------------------------------------------------------------- same */

static const char *same_inputs[] = {
    "{\"hook_event_name\":\"Stop\"}",
    " \n\t{ \"hook_event_name\" : \"Stop\" , \"x\" : [ 1 , { } , [ ] , \"\" ] }\r\n ",
    /* escapes json-c writes back, and those it writes otherwise */
    "{\"hook_event_name\":\"E\",\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\u001F\\u001f\\u0001"
    "\\u000A\\u0008\\u000c\\u000D\\u0009\",\"b\":\"a/b\"}",
    /* numbers */
    "{\"hook_event_name\":\"E\",\"n\":[0,-0,1,-1,123456789012345678,-123456789012345678,1.5,"
    "-0.0,1e2,1E+2,1e-2,1e-400,2.5e298,0.5e-3,-0.10]}",
    /* literals, nesting, empty containers */
    "{\"hook_event_name\":\"E\",\"t\":true,\"f\":false,\"n\":null,\"o\":{\"a\":{\"b\":[[[]]]}},"
    "\"e\":{}}",
    /* UTF-8 of 2, 3 and 4 bytes, DEL */
    "{\"hook_event_name\":\"E\",\"s\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \x7f\"}",
    /* UTF-8 in keys */
    "{\"hook_event_name\":\"E\",\"caf\xc3\xa9\":1}",
    /* lifted members, and the same names where they are not lifted */
    "{\"hook_event_name\":\"PreToolUse\",\"session_id\":\"s1\",\"agent_id\":\"a1\","
    "\"tool_name\":\"Bash\",\"tool_use_id\":\"t1\",\"cwd\":\"/w\",\"x\":{\"session_id\":\"no\","
    "\"tool_input\":{\"file_path\":\"/no\"}}}",
    /* lifted members that are not strings */
    "{\"hook_event_name\":\"E\",\"session_id\":1,\"agent_id\":null,\"tool_name\":[],"
    "\"tool_use_id\":{},\"cwd\":true}",
    /* files: each path, repeated, empty, not strings, nested */
    "{\"hook_event_name\":\"PostToolUse\",\"tool_input\":{\"file_path\":\"/a\","
    "\"notebook_path\":\"/b\",\"path\":\"/a\"},\"tool_response\":{\"filePath\":\"/c\","
    "\"file\":{\"filePath\":\"/b\"}}}",
    "{\"hook_event_name\":\"E\",\"tool_input\":{\"file_path\":\"\",\"path\":7},"
    "\"tool_response\":{\"file\":{\"filePath\":\"/d\"},\"filePath\":[\"/e\"]}}",
    "{\"hook_event_name\":\"E\",\"tool_input\":[{\"file_path\":\"/a\"}],"
    "\"tool_response\":\"/c\"}",
    "{\"hook_event_name\":\"E\",\"tool_response\":{\"file\":\"/f\"},\"tool_input\":null}",
    /* escapes in lifted members and files */
    "{\"hook_event_name\":\"E\\tF\",\"session_id\":\"s\\\"1\",\"cwd\":\"C:\\\\dir\","
    "\"tool_input\":{\"file_path\":\"C:\\\\a\\/b\",\"path\":\"C:\\\\a/b\"}}",
    /* hookwire.input_error is only declined when it is the whole name */
    "{\"hook_event_name\":\"hookwire.input_error2\"}",
};

START_TEST(test_same)
{
	struct event_limits lim;
	const char *in = same_inputs[_i];

	event_limits_default(&lim);
	ck_assert_int_eq(same(in, strlen(in), &lim, &test_env, 0), 1);
}
END_TEST

/* host, user and project from the environment: absent, escaped, UTF-8 */
START_TEST(test_environment)
{
	static const struct event_env envs[] = {
	    {NULL, NULL, NULL},
	    {"h\"o\\st", "us\ter/1", "/proj/\xc3\xa9t\xc3\xa9"},
	    {"", "", ""},
	    {"h", NULL, "/p"},
	};
	struct event_limits lim;
	const char *in = "{\"hook_event_name\":\"E\",\"cwd\":\"/w\"}";
	const char *nocwd = "{\"hook_event_name\":\"E\"}";

	event_limits_default(&lim);
	ck_assert_int_eq(same(in, strlen(in), &lim, &envs[_i], 0), 1);
	ck_assert_int_eq(same(nocwd, strlen(nocwd), &lim, &envs[_i], 0), 1);
	ck_assert_int_eq(same(in, strlen(in), &lim, NULL, 0), 1);
}
END_TEST

/* ---------------------------------------------------------------- truncate */

/* Strings of every shape around the limit, for each field_max in the loop. */
START_TEST(test_truncate)
{
	static const char *units[] = {"a",   "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
				      "\\n", "\\u0000",	 "\\u001b",	 "\\/",
				      "\\\""};
	static const size_t fms[] = {16, 17, 18, 19, 20, 31, 32, 33, 256};
	struct event_limits lim;
	char *in;
	size_t u, k, n, cap = 8192;

	event_limits_default(&lim);
	lim.field_max = fms[_i];
	in = malloc(cap);
	ck_assert_ptr_nonnull(in);
	for (u = 0; u < sizeof(units) / sizeof(units[0]); u++)
		for (k = 0; k < 3 * lim.field_max / 2 + 4; k++) {
			/* "ab" then k units: every alignment of the cut */
			n = (size_t)snprintf(in, cap, "{\"hook_event_name\":\"E\",\"s\":\"ab");
			for (size_t j = 0; j < k; j++)
				n += (size_t)snprintf(in + n, cap - n, "%s", units[u]);
			n += (size_t)snprintf(in + n, cap - n,
					      "\",\"cwd\":\"%s\",\"a\":[\"%s%s%s\"]}", units[u],
					      units[u], units[u], units[u]);
			ck_assert_uint_lt(n, cap);
			ck_assert_int_eq(same(in, n, &lim, &test_env, 0), 1);
		}
	free(in);
}
END_TEST

/* ---------------------------------------------------------------- decline */

static const struct {
	const char *in;
	size_t len; /* 0: strlen */
} decline_inputs[] = {
    {"", 0},
    {"  ", 0},
    {"[]", 0},
    {"\"x\"", 0},
    {"null", 0},
    {"{", 0},
    {"{\"hook_event_name\":\"E\"", 0},
    {"{\"hook_event_name\":\"E\"} x", 0},
    {"{\"hook_event_name\":\"E\"}{}", 0},
    {"{\"hook_event_name\":\"E\",}", 0},
    {"{\"hook_event_name\":\"E\",\"a\":[1,]}", 0},
    {"{'hook_event_name':'E'}", 0},
    {"\xef\xbb\xbf{\"hook_event_name\":\"E\"}", 0},
    {"{\"hook_event_name\":\"E\",\"a\":True}", 0},
    {"{\"hook_event_name\":\"E\",\"a\":NaN}", 0},
    {"{\"hook_event_name\":\"E\",\"a\":Infinity}", 0},
    {"{\"hook_event_name\":\"E\",\"a\":-Infinity}", 0},
    {"{\"hook_event_name\":\"E\",\"a\":01}", 0},
    {"{\"hook_event_name\":\"E\",\"a\":1.}", 0},
    {"{\"hook_event_name\":\"E\",\"a\":.5}", 0},
    {"{\"hook_event_name\":\"E\",\"a\":+1}", 0},
    {"{\"hook_event_name\":\"E\",\"a\":1e}", 0},
    {"{\"hook_event_name\":\"E\",\"a\":1234567890123456789}", 0},
    {"{\"hook_event_name\":\"E\",\"a\":1e400}", 0},
    {"{\"hook_event_name\":\"E\",\"a\":1e300}", 0},
    {"{\"hook_event_name\":\"E\",\"a\":\"\xff\"}", 0},
    {"{\"hook_event_name\":\"E\",\"a\":\"\xc0\xaf\"}", 0},
    {"{\"hook_event_name\":\"E\",\"a\":\"\xed\xa0\x80\"}", 0},
    {"{\"hook_event_name\":\"E\",\"a\":\"a\x01"
     "b\"}",
     0},
    {"{\"hook_event_name\":\"E\",\"a\":\"a\nb\"}", 0},
    {"{\"hook_event_name\":\"E\",\"a\":\"\\u00e9\"}", 0},
    {"{\"hook_event_name\":\"E\",\"a\":\"\\u0020\"}", 0},
    {"{\"hook_event_name\":\"E\",\"a\":\"\\ud83d\\ude00\"}", 0},
    {"{\"hook_event_name\":\"E\",\"a\":\"\\ud800\"}", 0},
    {"{\"hook_event_name\":\"E\",\"a\":\"\\x41\"}", 0},
    {"{\"hook_event_name\":\"E\",\"a\":\"\\u00g0\"}", 0},
    {"{\"hook_event_name\":\"E\",\"a\":\"\\u00", 0},
    {"{\"hook_event_name\":\"E\",\"k\\u0061\":1}", 0},
    {"{\"hook_event_name\":\"E\",\"k\\n\":1}", 0},
    {"{\"hook_event_name\":\"E\",\"a\":1,\"a\":2}", 0},
    {"{\"hook_event_name\":\"E\",\"hook_event_name\":\"F\"}", 0},
    {"{\"hook_event_name\":\"E\",\"o\":{\"b\":1,\"c\":{\"b\":2},\"b\":3}}", 0},
    {"{\"tool_name\":\"Bash\"}", 0},
    {"{\"hook_event_name\":\"\"}", 0},
    {"{\"hook_event_name\":7}", 0},
    {"{\"hook_event_name\":null}", 0},
    {"{\"hook_event_name\":\"\\u0000E\"}", 0},
    {"{\"hook_event_name\":\"E\\u0000\"}", 0},
    {"{\"hook_event_name\":\"hookwire.input_error\"}", 0},
    {"{\"hook_event_name\":\"E\",\"tool_input\":{\"file_path\":\"/a\\u0000b\"}}", 0},
    {"{\"hook_event_name\":\"E\",\"tool_input\":{\"file_path\":\"\\u0000\"}}", 0},
    {"{\"hook_event_name\":\"E\",\"a\":\"x\0y\"}", 28},
    {"{\"hook_event_name\":\"E\"}\0", 24},
};

START_TEST(test_decline)
{
	struct event_limits lim;
	struct hookscan_event he;
	const char *in = decline_inputs[_i].in;
	size_t len = decline_inputs[_i].len ? decline_inputs[_i].len : strlen(in);
	json_object *ev;

	event_limits_default(&lim);
	ck_assert_msg(hookscan_event(in, len, &lim, &test_env, NOW_US, &he) == 1, "took %s", in);
	ev = event_from_hook(in, len, &lim, &test_env, NOW_US);
	ck_assert_ptr_nonnull(ev);
	json_object_put(ev);
}
END_TEST

/* Limits: depth, input_max, event_max, an environment that is not UTF-8. */
START_TEST(test_decline_limits)
{
	static const struct event_env badhost = {"h\xff", "u", NULL};
	struct event_limits lim;
	struct hookscan_event he;
	char in[512];
	const char *ok = "{\"hook_event_name\":\"E\",\"s\":\"0123456789\"}";
	int d;

	event_limits_default(&lim);
	lim.depth_max = 8;
	/* nesting: taken well below depth_max, left to json-c near it */
	for (d = 1; d < 12; d++) {
		int n = snprintf(in, sizeof(in), "{\"hook_event_name\":\"E\",\"a\":"), i;

		for (i = 0; i < d; i++)
			n += snprintf(in + n, sizeof(in) - (size_t)n, "[");
		for (i = 0; i < d; i++)
			n += snprintf(in + n, sizeof(in) - (size_t)n, "]");
		n += snprintf(in + n, sizeof(in) - (size_t)n, "}");
		ck_assert_int_eq(same(in, (size_t)n, &lim, &test_env, 1),
				 d + 1 < lim.depth_max - 1);
	}
	event_limits_default(&lim);
	lim.input_max = strlen(ok) - 1;
	ck_assert_int_eq(hookscan_event(ok, strlen(ok), &lim, &test_env, NOW_US, &he), 1);
	event_limits_default(&lim);
	lim.event_max = 4096;
	ck_assert_int_eq(hookscan_event(ok, strlen(ok), &lim, &test_env, NOW_US, &he), 0);
	free(he.he_line);
	lim.event_max = he.he_len - 1;
	ck_assert_int_eq(hookscan_event(ok, strlen(ok), &lim, &test_env, NOW_US, &he), 1);
	event_limits_default(&lim);
	ck_assert_int_eq(hookscan_event(ok, strlen(ok), &lim, &badhost, NOW_US, &he), 1);
}
END_TEST

/* ---------------------------------------------------------------- keys */

START_TEST(test_keys)
{
	struct event_limits lim;
	size_t cap = (HOOKSCAN_KEYS_MAX + 8) * 16, n, i;
	char *in = malloc(cap);

	ck_assert_ptr_nonnull(in);
	event_limits_default(&lim);
	/* the same key in sibling and nested objects is no repeat */
	n = (size_t)snprintf(in, cap,
			     "{\"hook_event_name\":\"E\",\"a\":{\"a\":{\"a\":1}},"
			     "\"b\":[{\"a\":1},{\"a\":2}],\"c\":{\"a\":3}}");
	ck_assert_int_eq(same(in, n, &lim, &test_env, 0), 1);
	/* a repeat after many keys */
	for (i = 0, n = (size_t)snprintf(in, cap, "{\"hook_event_name\":\"E\""); i < 100; i++)
		n += (size_t)snprintf(in + n, cap - n, ",\"k%zu\":%zu", i, i);
	n += (size_t)snprintf(in + n, cap - n, ",\"k7\":0}");
	ck_assert_int_eq(same(in, n, &lim, &test_env, 1), 0);
	/* up to HOOKSCAN_KEYS_MAX keys open at once, not one more */
	n = (size_t)snprintf(in, cap, "{\"hook_event_name\":\"E\"");
	for (i = 0; i + 1 < HOOKSCAN_KEYS_MAX; i++)
		n += (size_t)snprintf(in + n, cap - n, ",\"k%zu\":%zu", i, i);
	in[n++] = '}';
	ck_assert_int_eq(same(in, n, &lim, &test_env, 0), 1);
	n += (size_t)snprintf(in + n - 1, cap - n + 1, ",\"one_more\":1}") - 1;
	ck_assert_int_eq(same(in, n, &lim, &test_env, 1), 0);
	free(in);
}
END_TEST

/* ---------------------------------------------------------------- text */

START_TEST(test_capture_us)
{
	static const int64_t us[] = {0, 7, 1234567, INT64_MAX, -5};
	struct event_limits lim;
	struct hookscan_event he;
	json_object *ev, *v;
	const char *in = "{\"hook_event_name\":\"E\"}";
	size_t i;

	event_limits_default(&lim);
	for (i = 0; i < sizeof(us) / sizeof(us[0]); i++) {
		ck_assert_int_eq(hookscan_event(in, strlen(in), &lim, &test_env, NOW_US, &he), 0);
		ck_assert_int_eq(hookscan_event_capture_us(&he, us[i]), 0);
		ck_assert_uint_eq(strlen(he.he_line), he.he_len);
		ck_assert_uint_lt(he.he_len + 1, he.he_cap);
		ev = json_tokener_parse(he.he_line);
		ck_assert_ptr_nonnull(ev);
		ck_assert(json_object_object_get_ex(ev, "meta", &v));
		ck_assert(json_object_object_get_ex(v, "capture_us", &v));
		ck_assert_int_eq(json_object_get_int64(v), us[i] < 0 ? 0 : us[i]);
		/* once set, it is not the text of a fresh event any more */
		ck_assert_int_eq(hookscan_event_capture_us(&he, 1), us[i] <= 0 ? 0 : -1);
		json_object_put(ev);
		free(he.he_line);
	}
}
END_TEST

START_TEST(test_quote)
{
	static const char *strs[] = {"", "plain", "a\"b\\c/d", "\x01\x1f\t\n\r\b\f\x7f",
				     "caf\xc3\xa9 \xf0\x9f\x98\x80"};
	char out[128], back[128];
	json_object *o;
	size_t i, n;

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		n = hookscan_quote(strs[i], strlen(strs[i]), out);
		ck_assert_uint_gt(n, 1);
		out[n] = '\0';
		/* json-c writes the same */
		o = json_object_new_string(strs[i]);
		ck_assert_str_eq(out,
				 json_object_to_json_string_ext(
				     o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		ck_assert_int_eq(hookscan_unquote(out, n, back, sizeof(back)), 0);
		ck_assert_str_eq(back, strs[i]);
		ck_assert_int_eq(hookscan_unquote(out, n, back, strlen(strs[i])), -1);
	}
	ck_assert_uint_eq(hookscan_quote("a\xff", 2, out), 0);
	ck_assert_uint_eq(hookscan_quote("a\0b", 3, out), 0);
	ck_assert_int_eq(hookscan_unquote("\"a\\u0000b\"", 10, back, sizeof(back)), 0);
	ck_assert_str_eq(back, "a");
	ck_assert_int_eq(hookscan_unquote("x", 1, back, sizeof(back)), -1);
	ck_assert_int_eq(hookscan_unquote("\"\\q\"", 4, back, sizeof(back)), -1);
}
END_TEST

/* ---------------------------------------------------------------- mutate */

START_TEST(test_mutate)
{
	static const unsigned char bytes[] = {'"',  '\\', '{',	'}',  '[',  ']',  ',',	':',  ' ',
					      '0',  '-',  'e',	'u',  'n',  0x00, 0x01, 0x7f, 0x80,
					      0xc3, 0xa9, 0xe2, 0xf0, 0xff, '/',  'a'};
	struct event_limits lim;
	size_t len, i, k;
	char *in, *m;
	int taken = 0, f;

	srandom(18);
	event_limits_default(&lim);
	lim.field_max = 64;
	for (f = 1; f < 5; f++) {
		in = fixture(fixtures[f], &len);
		m = malloc(len);
		ck_assert_ptr_nonnull(m);
		for (i = 0; i < 3000; i++) {
			memcpy(m, in, len);
			for (k = 0; k < 1 + (size_t)random() % 3; k++)
				m[random() % len] = (char)bytes[(size_t)random() % sizeof(bytes)];
			taken += same(m, len, &lim, &test_env, 1);
		}
		free(m);
		free(in);
	}
	ck_assert_int_gt(taken, 100); /* it takes some of them */
}
END_TEST

static Suite *
hookscan_suite(void)
{
	Suite *s = suite_create("hookscan");
	TCase *tc;

	tc = tcase_create("core");
	tcase_add_loop_test(tc, test_fixtures, 0, sizeof(fixtures) / sizeof(fixtures[0]));
	tcase_add_test(tc, test_large_cut);
	suite_add_tcase(s, tc);
	tc = tcase_create("same");
	tcase_add_loop_test(tc, test_same, 0, sizeof(same_inputs) / sizeof(same_inputs[0]));
	tcase_add_loop_test(tc, test_environment, 0, 4);
	suite_add_tcase(s, tc);
	tc = tcase_create("truncate");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_truncate, 0, 9);
	suite_add_tcase(s, tc);
	tc = tcase_create("decline");
	tcase_add_loop_test(tc, test_decline, 0,
			    sizeof(decline_inputs) / sizeof(decline_inputs[0]));
	tcase_add_test(tc, test_decline_limits);
	suite_add_tcase(s, tc);
	tc = tcase_create("keys");
	tcase_add_test(tc, test_keys);
	suite_add_tcase(s, tc);
	tc = tcase_create("text");
	tcase_add_test(tc, test_capture_us);
	tcase_add_test(tc, test_quote);
	suite_add_tcase(s, tc);
	tc = tcase_create("mutate");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_mutate);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(hookscan_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
