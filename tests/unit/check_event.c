/*
 * check_event.c: the canonical event (common/event.c).
 *
 * core:      every hook fixture becomes a valid canonical event; round trip
 * limits:    truncation, event_max, input_max, bounded bad-input copies
 * malformed: every kind of bad input becomes a valid input_error event
 * quirks:    inputs json-c accepts (huge numbers, duplicate keys, lone
 *            surrogates) give valid UTF-8 JSON
 * validate:  event_validate() and event_parse_line() reason codes
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "util.h"

static const struct event_env test_env = {"testhost", "tester", NULL};
#define NOW_US 1764361503123456LL

/* Reads a whole file (test helper); returns a new buffer. */
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

static const char *
fixture_dir(void)
{
	static char dir[4096];
	const char *src = getenv("HOOKWIRE_SRC");

	snprintf(dir, sizeof(dir), "%s/tests/fixtures/hooks", src ? src : ".");
	return dir;
}

static const char *
get_str(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v))
		return NULL;
	return json_object_get_string(v);
}

static json_object *
get(json_object *o, const char *k)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, k, &v);
	return v;
}

/* Serializes ev, checks UTF-8, size, that it parses back and validates. */
static size_t
check_roundtrip(json_object *ev, const struct event_limits *lim)
{
	const char *s, *reason = "none";
	json_object *back;
	size_t len;

	s = event_to_string(ev, &len);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(strlen(s), len);
	ck_assert_uint_eq(util_utf8_valid(s, len), len);
	ck_assert_uint_le(len, lim->event_max);
	ck_assert_msg(event_validate(ev, &reason) == 0, "validate: %s", reason);
	back = event_parse_line(s, len, lim, &reason);
	ck_assert_msg(back != NULL, "reparse: %s", reason);
	ck_assert_msg(event_validate(back, &reason) == 0, "validate reparsed: %s", reason);
	json_object_put(back);
	return len;
}

/* ---------------------------------------------------------------- core */

START_TEST(test_fixtures)
{
	struct event_limits lim;
	struct dirent *de;
	json_object *ev, *data;
	char path[8192];
	size_t len;
	char *in;
	int n = 0;
	DIR *d;

	event_limits_default(&lim);
	d = opendir(fixture_dir());
	ck_assert_msg(d != NULL, "%s: %s", fixture_dir(), strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, ".json") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", fixture_dir(), de->d_name);
		in = slurp(path, &len);
		ev = event_from_hook(in, len, &lim, &test_env, NOW_US);
		ck_assert_ptr_nonnull(ev);
		data = get(ev, "data");
		ck_assert_msg(strcmp(get_str(ev, "event"), EVENT_INPUT_ERROR) != 0, "%s: %s",
			      de->d_name, get_str(data, "error"));
		ck_assert_str_eq(get_str(ev, "event"), get_str(data, "hook_event_name"));
		ck_assert_str_eq(get_str(ev, "session_id"), get_str(data, "session_id"));
		ck_assert_str_eq(get_str(ev, "host"), "testhost");
		ck_assert_str_eq(get_str(ev, "user"), "tester");
		ck_assert_str_eq(get_str(ev, "project"), get_str(data, "cwd"));
		ck_assert_str_eq(get_str(ev, "ts"), "2025-11-28T20:25:03.123456Z");
		ck_assert_ptr_null(get(ev, "seq"));
		check_roundtrip(ev, &lim);
		json_object_put(ev);
		free(in);
		n++;
	}
	closedir(d);
	ck_assert_int_ge(n, 5);
}
END_TEST

START_TEST(test_key_order)
{
	static const char *order[] = {"id",	 "ts",		"event", "session_id", "agent_id",
				      "tool",	 "tool_use_id", "cwd",	 "host",       "user",
				      "project", "files",	"data",	 "meta",       NULL};
	const char *in =
	    "{\"hook_event_name\":\"PreToolUse\",\"tool_use_id\":\"t1\",\"cwd\":\"/w\","
	    "\"agent_id\":\"a1\",\"tool_name\":\"Write\",\"session_id\":\"s1\","
	    "\"tool_input\":{\"file_path\":\"/w/f\"}}";
	struct event_limits lim;
	json_object *ev;
	int i = 0;

	event_limits_default(&lim);
	ev = event_from_hook(in, strlen(in), &lim, &test_env, NOW_US);
	json_object_object_foreach (ev, key, val) {
		(void)val;
		ck_assert_ptr_nonnull(order[i]);
		ck_assert_str_eq(key, order[i]);
		i++;
	}
	ck_assert_ptr_null(order[i]);
	ck_assert_str_eq(get_str(ev, "tool"), "Write");
	json_object_put(ev);
}
END_TEST

START_TEST(test_project_env)
{
	const char *in = "{\"hook_event_name\":\"Stop\",\"cwd\":\"/w/sub\"}";
	struct event_env env = {"h", "u", "/w"};
	struct event_limits lim;
	json_object *ev;

	event_limits_default(&lim);
	ev = event_from_hook(in, strlen(in), &lim, &env, NOW_US);
	ck_assert_str_eq(get_str(ev, "project"), "/w");
	ck_assert_str_eq(get_str(ev, "cwd"), "/w/sub");
	event_set_capture_us(ev, 42);
	ck_assert_int_eq(json_object_get_int(get(get(ev, "meta"), "capture_us")), 42);
	json_object_put(ev);
	/* Unknown event names are forwarded as they are; no env at all is fine. */
	in = "{\"hook_event_name\":\"SomethingNew2027\"}";
	ev = event_from_hook(in, strlen(in), &lim, NULL, NOW_US);
	ck_assert_str_eq(get_str(ev, "event"), "SomethingNew2027");
	ck_assert_ptr_null(get(ev, "host"));
	check_roundtrip(ev, &lim);
	json_object_put(ev);
}
END_TEST

static const struct {
	const char *in;
	const char *files; /* expected, comma-joined */
} files_cases[] = {
    {"{\"tool_input\":{\"file_path\":\"/a\"}}", "/a"},
    {"{\"tool_input\":{\"notebook_path\":\"/n.ipynb\"}}", "/n.ipynb"},
    {"{\"tool_input\":{\"pattern\":\"*.c\",\"path\":\"/src\"}}", "/src"},
    {"{\"tool_input\":{\"file_path\":\"/m\",\"edits\":[{\"old_string\":\"a\"}]}}", "/m"},
    {"{\"tool_input\":{\"file_path\":\"/a\"},\"tool_response\":{\"filePath\":\"/a\"}}", "/a"},
    {"{\"tool_input\":{\"file_path\":\"/a\"},\"tool_response\":{\"file\":{\"filePath\":\"/b\"}}}",
     "/a,/b"},
    {"{\"tool_input\":{\"command\":\"ls\"}}", ""},
    {"{\"tool_input\":{\"file_path\":7}}", ""},
    {"{\"tool_input\":\"x\"}", ""},
};

START_TEST(test_files)
{
	json_object *data, *arr;
	char got[256] = "";
	size_t i;

	data = json_tokener_parse(files_cases[_i].in);
	arr = event_files(data);
	for (i = 0; i < json_object_array_length(arr); i++) {
		if (i > 0)
			strcat(got, ",");
		strcat(got, json_object_get_string(json_object_array_get_idx(arr, i)));
	}
	ck_assert_str_eq(got, files_cases[_i].files);
	json_object_put(arr);
	json_object_put(data);
}
END_TEST

START_TEST(test_id_ts)
{
	char a[EVENT_ID_LEN + 1], b[EVENT_ID_LEN + 1], ts[40];
	int i;

	event_new_id(a);
	event_new_id(b);
	ck_assert_uint_eq(strlen(a), EVENT_ID_LEN);
	ck_assert_str_ne(a, b);
	for (i = 0; i < EVENT_ID_LEN; i++)
		ck_assert(strchr("0123456789abcdef", a[i]) != NULL);
	event_format_ts(0, ts, sizeof(ts));
	ck_assert_str_eq(ts, "1970-01-01T00:00:00.000000Z");
	event_format_ts(1764361503000001LL, ts, sizeof(ts));
	ck_assert_str_eq(ts, "2025-11-28T20:25:03.000001Z");
}
END_TEST

/* event_format_ts() computes the date itself (no tzset): it agrees with
 * gmtime_r() from 1900 to 2400, leap days and negative times included. */
START_TEST(test_format_ts_calendar)
{
	char ts[80], want[80];
	struct tm tm;
	int64_t sec, us;
	time_t t;

	for (sec = -2208988800LL; sec < 13569465600LL; sec += 86400 * 7 + 3601 * 5 + 7) {
		us = sec * 1000000 + (sec & 0x7ffff);
		t = (time_t)sec;
		ck_assert_ptr_nonnull(gmtime_r(&t, &tm));
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, (long long)(sec & 0x7ffff));
		event_format_ts(us, ts, sizeof(ts));
		ck_assert_str_eq(ts, want);
	}
	event_format_ts(951782400LL * 1000000, ts, sizeof(ts)); /* 2000-02-29 */
	ck_assert_str_eq(ts, "2000-02-29T00:00:00.000000Z");
	event_format_ts(-1, ts, sizeof(ts));
	ck_assert_str_eq(ts, "1969-12-31T23:59:59.999999Z");
}
END_TEST

/* ---------------------------------------------------------------- limits */

START_TEST(test_large_read)
{
	struct event_limits lim;
	json_object *ev, *meta;
	char path[8192];
	size_t len, out;
	char *in;

	event_limits_default(&lim);
	snprintf(path, sizeof(path), "%s/posttooluse_read_large.json", fixture_dir());
	in = slurp(path, &len);
	ck_assert_uint_gt(len, lim.field_max);
	ev = event_from_hook(in, len, &lim, &test_env, NOW_US);
	meta = get(ev, "meta");
	ck_assert_int_gt(json_object_get_int64(get(meta, "truncated")), 0);
	out = check_roundtrip(ev, &lim);
	ck_assert_uint_lt(out, len);
	ck_assert_ptr_nonnull(strstr(event_to_string(ev, NULL), "[hookwire: truncated "));
	ck_assert_str_eq(get_str(ev, "event"), "PostToolUse");
	json_object_put(ev);

	/* A tight event_max: strings are cut harder, the event survives. */
	lim.event_max = 4096;
	ev = event_from_hook(in, len, &lim, &test_env, NOW_US);
	ck_assert_str_eq(get_str(ev, "event"), "PostToolUse");
	ck_assert_str_eq(get_str(ev, "tool"), "Read");
	check_roundtrip(ev, &lim);
	json_object_put(ev);
	free(in);
}
END_TEST

START_TEST(test_too_large_fallback)
{
	struct event_limits lim;
	json_object *ev;
	char *in, *p;
	int i;

	/* 100,000 numbers: nothing to cut, so the data is replaced. */
	in = malloc(1000000);
	p = in + sprintf(in, "{\"hook_event_name\":\"Big\",\"session_id\":\"s1\",\"a\":[");
	for (i = 0; i < 100000; i++)
		p += sprintf(p, "%s%d", i ? "," : "", i);
	strcpy(p, "]}");
	event_limits_default(&lim);
	lim.event_max = 4096;
	ev = event_from_hook(in, strlen(in), &lim, &test_env, NOW_US);
	ck_assert_str_eq(get_str(ev, "event"), "Big");
	ck_assert_str_eq(get_str(ev, "session_id"), "s1");
	ck_assert_str_eq(get_str(get(ev, "data"), "error"), EVENT_R_TOO_LARGE);
	check_roundtrip(ev, &lim);
	json_object_put(ev);
	free(in);
}
END_TEST

START_TEST(test_input_max)
{
	struct event_limits lim;
	json_object *ev;
	char in[4096];

	memset(in, ' ', sizeof(in));
	memcpy(in, "{\"hook_event_name\":\"X\"}", 23);
	event_limits_default(&lim);
	lim.input_max = 1024;
	ev = event_from_hook(in, sizeof(in), &lim, &test_env, NOW_US);
	ck_assert_str_eq(get_str(ev, "event"), EVENT_INPUT_ERROR);
	ck_assert_str_eq(get_str(get(ev, "data"), "error"), EVENT_R_TOO_LARGE);
	check_roundtrip(ev, &lim);
	json_object_put(ev);
}
END_TEST

START_TEST(test_truncate_utf8)
{
	json_object *o;
	const char *s;
	size_t cut;

	/* Ten two-byte characters cut to 5 bytes: 4 kept on a character boundary. */
	o = json_object_new_string("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3"
				   "\xa9\xc3\xa9\xc3\xa9");
	cut = event_truncate_strings(o, 5);
	ck_assert_uint_eq(cut, 16);
	s = json_object_get_string(o);
	ck_assert_str_eq(s, "\xc3\xa9\xc3\xa9[hookwire: truncated 16 bytes]");
	json_object_put(o);

	o = json_tokener_parse("{\"a\":[\"0123456789\",{\"b\":\"0123\"}],\"k\":5}");
	cut = event_truncate_strings(o, 4);
	ck_assert_uint_eq(cut, 6);
	ck_assert_str_eq(
	    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
	    "{\"a\":[\"0123[hookwire: truncated 6 bytes]\",{\"b\":\"0123\"}],\"k\":5}");
	json_object_put(o);
}
END_TEST

START_TEST(test_bad_copy_bounded)
{
	struct event_limits lim;
	json_object *ev, *data;
	size_t n = 100000;
	char *in;

	in = malloc(n);
	memset(in, 0xff, n);
	event_limits_default(&lim);
	ev = event_from_hook(in, n, &lim, &test_env, NOW_US);
	data = get(ev, "data");
	ck_assert_str_eq(get_str(data, "error"), EVENT_R_INVALID_UTF8);
	ck_assert_int_eq(json_object_get_int64(get(data, "input_bytes")), (int64_t)n);
	/* Every byte shown as the four characters \xff. */
	ck_assert_int_eq(json_object_get_string_len(get(data, "input")), 4 * (int)lim.bad_copy);
	ck_assert(strncmp(get_str(data, "input"), "\\xff\\xff", 8) == 0);
	check_roundtrip(ev, &lim);
	json_object_put(ev);

	/* A copy that would not fit event_max shrinks. */
	lim.bad_copy = 1024 * 1024;
	lim.event_max = 8192;
	ev = event_from_hook(in, n, &lim, &test_env, NOW_US);
	check_roundtrip(ev, &lim);
	json_object_put(ev);
	free(in);
}
END_TEST

/* ---------------------------------------------------------------- malformed */

static char deep[10002];

static const struct {
	const char *name;
	const char *in;
	size_t len; /* 0: strlen */
	const char *reason;
} bad_cases[] = {
    {"not json", "hello", 0, EVENT_R_INVALID_JSON},
    {"truncated", "{\"hook_event_name\":\"X\"", 0, EVENT_R_INVALID_JSON},
    {"trailing", "{\"hook_event_name\":\"X\"} {}", 0, EVENT_R_INVALID_JSON},
    {"nan", "{\"hook_event_name\":\"X\",\"n\":NaN}", 0, EVENT_R_INVALID_JSON},
    {"infinity", "{\"hook_event_name\":\"X\",\"n\":-Infinity}", 0, EVENT_R_INVALID_JSON},
    {"array", "[1,2,3]", 0, EVENT_R_NOT_OBJECT},
    {"string", "\"PreToolUse\"", 0, EVENT_R_NOT_OBJECT},
    {"number", "42", 0, EVENT_R_NOT_OBJECT},
    {"invalid utf8", "{\"hook_event_name\":\"X\",\"a\":\"\xc3\x28\"}", 0, EVENT_R_INVALID_UTF8},
    {"overlong utf8", "{\"a\":\"\xc0\xaf\"}", 0, EVENT_R_INVALID_UTF8},
    {"utf8 surrogate", "{\"a\":\"\xed\xa0\x80\"}", 0, EVENT_R_INVALID_UTF8},
    {"nul", "{\"hook_event_name\":\"X\",\"a\":\"x\0y\"}", 33, EVENT_R_NUL_BYTE},
    {"nul and bad utf8", "\xff\0", 2, EVENT_R_NUL_BYTE},
    {"deep", deep, 0, EVENT_R_TOO_DEEP},
    {"empty", "", 0, EVENT_R_EMPTY},
    {"blank", " \n\t\r\n", 0, EVENT_R_EMPTY},
    {"no event name", "{\"session_id\":\"s\"}", 0, EVENT_R_MISSING_FIELD},
    {"event name number", "{\"hook_event_name\":5}", 0, EVENT_R_BAD_FIELD},
    {"event name empty", "{\"hook_event_name\":\"\"}", 0, EVENT_R_BAD_FIELD},
};

START_TEST(test_bad_input)
{
	struct event_limits lim;
	json_object *ev, *data;
	const char *in = bad_cases[_i].in;
	size_t len = bad_cases[_i].len ? bad_cases[_i].len : strlen(in);

	memset(deep, '[', 10000);
	deep[10000] = '\0';
	if (in == deep) /* the table holds the address; fill it in */
		len = 10000;
	event_limits_default(&lim);
	ev = event_from_hook(in, len, &lim, &test_env, NOW_US);
	ck_assert_ptr_nonnull(ev);
	ck_assert_str_eq(get_str(ev, "event"), EVENT_INPUT_ERROR);
	data = get(ev, "data");
	ck_assert_msg(strcmp(get_str(data, "error"), bad_cases[_i].reason) == 0, "%s: %s != %s",
		      bad_cases[_i].name, get_str(data, "error"), bad_cases[_i].reason);
	ck_assert_int_eq(json_object_get_int64(get(data, "input_bytes")), (int64_t)len);
	ck_assert_ptr_nonnull(get_str(data, "detail"));
	ck_assert_uint_le((size_t)json_object_get_string_len(get(data, "input")), 4 * lim.bad_copy);
	ck_assert_uint_eq(strlen(get_str(ev, "id")), EVENT_ID_LEN);
	ck_assert_str_eq(get_str(ev, "host"), "testhost");
	check_roundtrip(ev, &lim);
	json_object_put(ev);
}
END_TEST

/* ---------------------------------------------------------------- quirks */

static const struct {
	const char *in;
	const char *want; /* substring of the serialized data */
} quirk_cases[] = {
    {"{\"hook_event_name\":\"X\",\"n\":123456789012345678901234567890}", "\"n\":"},
    {"{\"hook_event_name\":\"X\",\"n\":-123456789012345678901234567890}", "\"n\":-"},
    {"{\"hook_event_name\":\"X\",\"n\":1e999}", "\"n\":1e999"},
    {"{\"hook_event_name\":\"X\",\"k\":1,\"k\":2}", "\"k\":2"},
    {"{\"hook_event_name\":\"X\",\"s\":\"\\ud800\"}", "\"s\":\"\xef\xbf\xbd\""},
    {"{\"hook_event_name\":\"X\",\"s\":\"\\udc00x\"}", "\"s\":\"\xef\xbf\xbdx\""},
    {"{\"hook_event_name\":\"X\",\"s\":\"\\ud83d\\ude00\"}", "\"s\":\"\xf0\x9f\x98\x80\""},
    {"{\"hook_event_name\":\"X\",\"s\":\"a\\u0000b\"}", "\"s\":\"a\\u0000b\""},
    {"{\"hook_event_name\":\"X\",\"s\":\"a/b\"}", "\"s\":\"a/b\""},
    {"{\"hook_event_name\":\"X\",\"s\":\"\t\"}", "\"s\":\"\\t\""},
};

START_TEST(test_quirks)
{
	struct event_limits lim;
	json_object *ev;
	const char *s;

	event_limits_default(&lim);
	ev = event_from_hook(quirk_cases[_i].in, strlen(quirk_cases[_i].in), &lim, &test_env,
			     NOW_US);
	ck_assert_str_eq(get_str(ev, "event"), "X");
	check_roundtrip(ev, &lim);
	s = event_to_string(ev, NULL);
	ck_assert_msg(strstr(s, quirk_cases[_i].want) != NULL, "%s not in %s", quirk_cases[_i].want,
		      s);
	json_object_put(ev);
}
END_TEST

/* ---------------------------------------------------------------- validate */

#define ID "0123456789abcdef0123456789abcdef"
static const struct {
	const char *in;
	const char *reason; /* NULL: valid */
} validate_cases[] = {
    {"{\"id\":\"" ID "\",\"ts\":\"t\",\"event\":\"E\",\"data\":{}}", NULL},
    {"{\"seq\":7,\"id\":\"" ID "\",\"ts\":\"t\",\"event\":\"E\",\"data\":{},\"files\":[\"/a\"],"
     "\"meta\":{},\"session_id\":\"s\"}",
     NULL},
    {"{\"ts\":\"t\",\"event\":\"E\",\"data\":{}}", EVENT_R_MISSING_FIELD},
    {"{\"id\":\"" ID "\",\"event\":\"E\",\"data\":{}}", EVENT_R_MISSING_FIELD},
    {"{\"id\":\"" ID "\",\"ts\":\"t\",\"data\":{}}", EVENT_R_MISSING_FIELD},
    {"{\"id\":\"" ID "\",\"ts\":\"t\",\"event\":\"E\"}", EVENT_R_MISSING_FIELD},
    {"{\"id\":\"0123456789ABCDEF0123456789abcdef\",\"ts\":\"t\",\"event\":\"E\",\"data\":{}}",
     EVENT_R_BAD_FIELD},
    {"{\"id\":\"0123\",\"ts\":\"t\",\"event\":\"E\",\"data\":{}}", EVENT_R_BAD_FIELD},
    {"{\"id\":\"" ID "\",\"ts\":1,\"event\":\"E\",\"data\":{}}", EVENT_R_BAD_FIELD},
    {"{\"id\":\"" ID "\",\"ts\":\"t\",\"event\":\"\",\"data\":{}}", EVENT_R_BAD_FIELD},
    {"{\"id\":\"" ID "\",\"ts\":\"t\",\"event\":\"E\",\"data\":[]}", EVENT_R_BAD_FIELD},
    {"{\"id\":\"" ID "\",\"ts\":\"t\",\"event\":\"E\",\"data\":{},\"files\":[1]}",
     EVENT_R_BAD_FIELD},
    {"{\"id\":\"" ID "\",\"ts\":\"t\",\"event\":\"E\",\"data\":{},\"files\":\"/a\"}",
     EVENT_R_BAD_FIELD},
    {"{\"id\":\"" ID "\",\"ts\":\"t\",\"event\":\"E\",\"data\":{},\"seq\":\"1\"}",
     EVENT_R_BAD_FIELD},
    {"{\"id\":\"" ID "\",\"ts\":\"t\",\"event\":\"E\",\"data\":{},\"meta\":[]}", EVENT_R_BAD_FIELD},
    {"{\"id\":\"" ID "\",\"ts\":\"t\",\"event\":\"E\",\"data\":{},\"tool\":{}}", EVENT_R_BAD_FIELD},
    {"{\"id\":\"" ID "\",\"ts\":\"t\",\"event\":\"E\",\"data\":{},\"session_id\":null}",
     EVENT_R_BAD_FIELD},
};

START_TEST(test_validate)
{
	struct event_limits lim;
	const char *reason = NULL;
	json_object *ev;
	int rc;

	event_limits_default(&lim);
	ev = event_parse_line(validate_cases[_i].in, strlen(validate_cases[_i].in), &lim, &reason);
	ck_assert_msg(ev != NULL, "parse: %s", reason);
	rc = event_validate(ev, &reason);
	if (validate_cases[_i].reason == NULL)
		ck_assert_msg(rc == 0, "%s: %s", validate_cases[_i].in, reason);
	else {
		ck_assert_int_eq(rc, -1);
		ck_assert_str_eq(reason, validate_cases[_i].reason);
	}
	json_object_put(ev);
}
END_TEST

static const struct {
	const char *in;
	size_t len;
	const char *reason;
} line_cases[] = {
    {"\xff\0{", 3, EVENT_R_NUL_BYTE},	      {"{\"a\":\"\xff\"", 0, EVENT_R_INVALID_UTF8},
    {"{\"a\":", 0, EVENT_R_INVALID_JSON},     {"", 0, EVENT_R_INVALID_JSON},
    {"{} x", 0, EVENT_R_INVALID_JSON},	      {"[[[[[[[[[[", 0, EVENT_R_TOO_DEEP},
    {"[1]", 0, EVENT_R_NOT_OBJECT},	      {"null", 0, EVENT_R_NOT_OBJECT},
    {"{\"a\":NaN}", 0, EVENT_R_INVALID_JSON}, {"{\"a\":1}\r", 0, NULL},
};

START_TEST(test_parse_line)
{
	struct event_limits lim;
	const char *reason = NULL;
	json_object *o;
	size_t len = line_cases[_i].len ? line_cases[_i].len : strlen(line_cases[_i].in);

	event_limits_default(&lim);
	lim.depth_max = 8;
	o = event_parse_line(line_cases[_i].in, len, &lim, &reason);
	if (line_cases[_i].reason == NULL) {
		ck_assert_ptr_nonnull(o);
		json_object_put(o);
		return;
	}
	ck_assert_ptr_null(o);
	ck_assert_str_eq(reason, line_cases[_i].reason);
}
END_TEST

static Suite *
event_suite(void)
{
	Suite *s = suite_create("event");
	TCase *tc;

	tc = tcase_create("core");
	tcase_add_test(tc, test_fixtures);
	tcase_add_test(tc, test_key_order);
	tcase_add_test(tc, test_project_env);
	tcase_add_loop_test(tc, test_files, 0, sizeof(files_cases) / sizeof(files_cases[0]));
	tcase_add_test(tc, test_id_ts);
	tcase_add_test(tc, test_format_ts_calendar);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_large_read);
	tcase_add_test(tc, test_too_large_fallback);
	tcase_add_test(tc, test_input_max);
	tcase_add_test(tc, test_truncate_utf8);
	tcase_add_test(tc, test_bad_copy_bounded);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_loop_test(tc, test_bad_input, 0, sizeof(bad_cases) / sizeof(bad_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("quirks");
	tcase_add_loop_test(tc, test_quirks, 0, sizeof(quirk_cases) / sizeof(quirk_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("validate");
	tcase_add_loop_test(tc, test_validate, 0,
			    sizeof(validate_cases) / sizeof(validate_cases[0]));
	tcase_add_loop_test(tc, test_parse_line, 0, sizeof(line_cases) / sizeof(line_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(event_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
