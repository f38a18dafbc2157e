/*
 * check_statusline.c: hook-capture's status line (hook-capture/statusline.c)
 * and its install (install_statusline_* in hook-capture/install.c).
 *
 * clean:   what reaches the terminal: UTF-8 and SGR kept, every other
 *          control character and escape sequence dropped, cut on a
 *          character boundary with a reset after a cut styled line
 * install: our command line (quoted for sh), wrapping and restoring a
 *          statusLine, what counts as ours
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "capture.h"

static const struct {
	const char *in;
	size_t max; /* output buffer */
	const char *out;
} cleans[] = {
    {"Opus | $0.01 | ctx 8%", 64, "Opus | $0.01 | ctx 8%"},
    {"\033[1;32mgreen\033[0m", 64, "\033[1;32mgreen\033[0m"},
    {"a\tb", 64, "a b"},
    {"bell\007 cr\r lf\n nul", 64, "bell cr lf nul"},
    {"\033]0;window title\007after", 64, "after"},
    {"\033]8;;http://x\033\\link\033]8;;\033\\", 64, "link"},
    {"\033[2J\033[Hclear", 64, "clear"},
    {"\033[38;5;208morange", 64, "\033[38;5;208morange"},
    {"unfinished \033[31", 64, "unfinished "},
    {"esc\033c reset", 64, "esc reset"},
    {"del\177ete", 64, "delete"},
    {"c1 \xc2\x9b"
     "31m",
     64, "c1 31m"},
    {"bad \xff\xfe utf8", 64, "bad  utf8"},
    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 64, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
    /* cut: room is max - 1 - 4 (a reset may follow) */
    {"abcdefghijklmnop", 12, "abcdefg"},
    {"\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 12, "\xe2\x82\xac\xe2\x82\xac"},
    {"\033[31mredredredred", 16, "\033[31mredred\033[0m"},
    {"", 64, ""},
};

START_TEST(test_clean)
{
	char out[128];
	size_t n;

	memset(out, 'Z', sizeof(out));
	n = statusline_clean(cleans[_i].in, strlen(cleans[_i].in), out, cleans[_i].max);
	ck_assert_str_eq(out, cleans[_i].out);
	ck_assert_uint_eq(n, strlen(cleans[_i].out));
	ck_assert_uint_lt(n, cleans[_i].max);
}
END_TEST

START_TEST(test_clean_everything)
{
	/* every byte value, in every position: only printable UTF-8, SGR and a
	 * bounded length come out */
	char in[512], out[STATUSLINE_LINE_MAX + 1];
	size_t i, n, k;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)(i * 7 + 3);
	n = statusline_clean(in, sizeof(in), out, sizeof(out));
	ck_assert_uint_le(n, STATUSLINE_LINE_MAX);
	for (k = 0; k < n; k++) {
		unsigned char c = (unsigned char)out[k];

		if (c == 0x1b) {
			ck_assert_int_eq(out[k + 1], '[');
			continue;
		}
		ck_assert_msg(c >= 0x20 && c != 0x7f, "control byte 0x%02x at %zu", c, k);
	}
}
END_TEST

static json_object *
parse(const char *s)
{
	json_object *o = json_tokener_parse(s);

	ck_assert_ptr_nonnull(o);
	return o;
}

START_TEST(test_command)
{
	json_object *args = parse("[\"-i\", \"it's\", \"--rundir\", \"/tmp/a b\"]");
	char *cmd;

	cmd = install_statusline_command("/opt/hw/bin/hook-capture", args, NULL);
	ck_assert_str_eq(
	    cmd, "'/opt/hw/bin/hook-capture' '-i' 'it'\\''s' '--rundir' '/tmp/a b' statusline");
	free(cmd);
	cmd = install_statusline_command("/bin/hook-capture", NULL, "printf '%s' x | tr a A");
	ck_assert_str_eq(cmd, "'/bin/hook-capture' statusline -- /bin/sh -c 'printf '\\''%s'\\'' x "
			      "| tr a A'");
	free(cmd);
	json_object_put(args);
}
END_TEST

START_TEST(test_apply_remove)
{
	json_object *s = parse("{\"a\": 1, \"statusLine\": {\"type\": \"command\", \"command\": "
			       "\"~/sl.sh\", \"padding\": 2}, \"z\": true}");
	json_object *orig, *sl, *v;
	char err[256];

	json_object_object_get_ex(s, "statusLine", &orig);
	orig = json_object_get(orig);
	ck_assert(!install_statusline_is_ours(orig));
	ck_assert_int_eq(
	    install_statusline_apply(s, "/b/hook-capture", NULL, orig, err, sizeof(err)), 0);
	json_object_object_get_ex(s, "statusLine", &sl);
	ck_assert(install_statusline_is_ours(sl));
	json_object_object_get_ex(sl, "command", &v);
	ck_assert_str_eq(json_object_get_string(v),
			 "'/b/hook-capture' statusline -- /bin/sh -c '~/sl.sh'");
	json_object_object_get_ex(sl, "padding", &v);
	ck_assert_int_eq(json_object_get_int(v), 2);
	/* the key stays where it was */
	ck_assert_str_eq(json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN),
			 "{\"a\":1,\"statusLine\":{\"type\":\"command\",\"command\":\"'\\/b\\/hook-"
			 "capture' statusline -- \\/bin\\/sh -c '~\\/sl.sh'\",\"padding\":2},\"z\":"
			 "true}");
	/* back as it was, in place */
	ck_assert_int_eq(install_statusline_remove(s, orig, 1), 1);
	ck_assert_str_eq(json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN),
			 "{\"a\":1,\"statusLine\":{\"type\":\"command\",\"command\":\"~\\/sl.sh\","
			 "\"padding\":2},\"z\":true}");
	/* not ours any more: nothing to remove */
	ck_assert_int_eq(install_statusline_remove(s, NULL, 1), 0);
	json_object_put(orig);
	json_object_put(s);

	/* none before: ours added, then removed */
	s = parse("{}");
	ck_assert_int_eq(
	    install_statusline_apply(s, "/b/hook-capture", NULL, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(install_statusline_remove(s, NULL, 1), 1);
	ck_assert_str_eq(json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN), "{}");
	json_object_put(s);

	/* not a command object: refused */
	s = parse("{\"statusLine\": {\"type\": \"static\", \"text\": \"x\"}}");
	json_object_object_get_ex(s, "statusLine", &orig);
	ck_assert_int_eq(
	    install_statusline_apply(s, "/b/hook-capture", NULL, orig, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not wrapped"));
	json_object_put(s);
}
END_TEST

static const struct {
	const char *sl;
	int ours;
} ours[] = {
    {"{\"command\": \"'/usr/bin/hook-capture' statusline\"}", 1},
    {"{\"command\": \"/usr/bin/hook-capture -i x statusline -- sh -c y\"}", 1},
    {"{\"command\": \"hook-capture statusline\"}", 1},
    {"{\"command\": \"/usr/bin/hook-capture\"}", 0},
    {"{\"command\": \"my-hook-capture statusline\"}", 0},
    {"{\"command\": \"~/.claude/statusline.sh\"}", 0},
    {"{\"command\": 7}", 0},
    {"\"hook-capture statusline\"", 0},
};

START_TEST(test_ours)
{
	json_object *o = parse(ours[_i].sl);

	ck_assert_int_eq(install_statusline_is_ours(o), ours[_i].ours);
	json_object_put(o);
}
END_TEST

static Suite *
statusline_suite(void)
{
	Suite *s = suite_create("statusline");
	TCase *tc = tcase_create("clean");

	tcase_add_loop_test(tc, test_clean, 0, sizeof(cleans) / sizeof(cleans[0]));
	tcase_add_test(tc, test_clean_everything);
	suite_add_tcase(s, tc);
	tc = tcase_create("install");
	tcase_add_test(tc, test_command);
	tcase_add_test(tc, test_apply_remove);
	tcase_add_loop_test(tc, test_ours, 0, sizeof(ours) / sizeof(ours[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(statusline_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
