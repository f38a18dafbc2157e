/*
 * check_install.c: hook-capture's settings.json editing (install.c) and
 * the context text helpers (context.c).
 *
 * Round-trips through real files in a temporary directory: no file, an
 * empty file, a file with other hooks and keys (kept, in meaning and in
 * key order), a second install (adds nothing), uninstall (removes only
 * ours), and files that are not valid settings (refused, left untouched).
 */
#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "capture.h"

#define SELF "/opt/hookwire/bin/hook-capture"

static char tmpdir[1024];
static char settings_path[1100];

static void
setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/check_install.XXXXXX",
		 getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(settings_path, sizeof(settings_path), "%s/.claude/settings.json", tmpdir);
}

static void
teardown(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static void
write_file(const char *path, const char *text)
{
	char dir[PATH_MAX];
	FILE *fp;

	snprintf(dir, sizeof(dir), "%s/.claude", tmpdir);
	mkdir(dir, 0700);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
}

/* Returns the file's bytes (caller frees), or NULL when missing. */
static char *
read_file(const char *path)
{
	char *buf;
	long n;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	ck_assert_ptr_nonnull(buf = calloc(1, (size_t)n + 1));
	ck_assert_int_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return buf;
}

static json_object *
load_ok(const char *path, int *existed)
{
	char err[512];
	json_object *o;

	o = install_load(path, existed, err, sizeof(err));
	ck_assert_msg(o != NULL, "install_load: %s", err);
	return o;
}

static void
install_ok(json_object *settings, const char *const *events)
{
	char err[512];
	json_object *args = json_object_new_array();
	int n;

	n = install_apply(settings, SELF, args, events, INSTALL_TIMEOUT_DEFAULT, err, sizeof(err));
	ck_assert_msg(n > 0, "install_apply: %s", err);
	json_object_put(args);
}

static void
save_ok(json_object *settings)
{
	char err[512];

	ck_assert_msg(install_save(settings_path, settings, err, sizeof(err)) == 0,
		      "install_save: %s", err);
}

/* Our handlers under event. */
static int
count_ours(json_object *settings, const char *event)
{
	json_object *hooks, *arr, *group, *inner;
	size_t i, j;
	int n = 0;

	if (!json_object_object_get_ex(settings, "hooks", &hooks) ||
	    !json_object_object_get_ex(hooks, event, &arr))
		return 0;
	for (i = 0; i < json_object_array_length(arr); i++) {
		group = json_object_array_get_idx(arr, i);
		if (!json_object_object_get_ex(group, "hooks", &inner))
			continue;
		for (j = 0; j < json_object_array_length(inner); j++)
			n += install_is_ours(json_object_array_get_idx(inner, j));
	}
	return n;
}

static size_t
nevents(void)
{
	size_t n = 0;

	while (install_events[n] != NULL)
		n++;
	return n;
}

START_TEST(test_no_file)
{
	json_object *s, *r, *hooks, *arr, *group, *h, *v;
	char bak[PATH_MAX];
	int existed;

	s = load_ok(settings_path, &existed);
	ck_assert_int_eq(existed, 0);
	ck_assert_int_eq(json_object_object_length(s), 0);
	install_ok(s, install_events);
	save_ok(s);
	json_object_put(s);

	s = load_ok(settings_path, &existed);
	ck_assert_int_eq(existed, 1);
	r = install_registered(s);
	ck_assert_uint_eq(json_object_array_length(r), nevents());
	json_object_put(r);
	/* No backup of a file that was not there. */
	snprintf(bak, sizeof(bak), "%s%s", settings_path, INSTALL_BACKUP_SUFFIX);
	ck_assert_int_eq(access(bak, F_OK), -1);
	/* The exact shape of one handler. */
	ck_assert(json_object_object_get_ex(s, "hooks", &hooks));
	ck_assert(json_object_object_get_ex(hooks, "PreToolUse", &arr));
	ck_assert_uint_eq(json_object_array_length(arr), 1);
	group = json_object_array_get_idx(arr, 0);
	ck_assert(json_object_object_get_ex(group, "matcher", &v));
	ck_assert_str_eq(json_object_get_string(v), "*");
	ck_assert(json_object_object_get_ex(group, "hooks", &v));
	h = json_object_array_get_idx(v, 0);
	ck_assert(json_object_object_get_ex(h, "type", &v));
	ck_assert_str_eq(json_object_get_string(v), "command");
	ck_assert(json_object_object_get_ex(h, "command", &v));
	ck_assert_str_eq(json_object_get_string(v), SELF);
	ck_assert(json_object_object_get_ex(h, "args", &v));
	ck_assert(json_object_is_type(v, json_type_array));
	ck_assert(json_object_object_get_ex(h, "timeout", &v));
	ck_assert_int_eq(json_object_get_int(v), INSTALL_TIMEOUT_DEFAULT);
	/* Events without matcher support get none; FileChanged the files to watch. */
	ck_assert(json_object_object_get_ex(hooks, "UserPromptSubmit", &arr));
	ck_assert(!json_object_object_get_ex(json_object_array_get_idx(arr, 0), "matcher", &v));
	ck_assert(json_object_object_get_ex(hooks, "FileChanged", &arr));
	ck_assert(json_object_object_get_ex(json_object_array_get_idx(arr, 0), "matcher", &v));
	ck_assert_str_eq(json_object_get_string(v), INSTALL_FILECHANGED_MATCHER);
	/* SessionEnd's handler within its hooks' 1.5 s budget */
	ck_assert(json_object_object_get_ex(hooks, "SessionEnd", &arr));
	ck_assert(json_object_object_get_ex(json_object_array_get_idx(arr, 0), "hooks", &v));
	ck_assert(json_object_object_get_ex(json_object_array_get_idx(v, 0), "timeout", &v));
	ck_assert_int_eq(json_object_get_int(v), INSTALL_TIMEOUT_SESSIONEND);
	ck_assert(!json_object_object_get_ex(hooks, "WorktreeCreate", &arr));
	json_object_put(s);
}
END_TEST

START_TEST(test_empty_file)
{
	json_object *s;
	char bak[PATH_MAX], *b;
	int existed;

	write_file(settings_path, "  \n");
	s = load_ok(settings_path, &existed);
	ck_assert_int_eq(existed, 1);
	ck_assert_int_eq(json_object_object_length(s), 0);
	install_ok(s, install_events);
	save_ok(s);
	json_object_put(s);
	snprintf(bak, sizeof(bak), "%s%s", settings_path, INSTALL_BACKUP_SUFFIX);
	ck_assert_ptr_nonnull(b = read_file(bak));
	ck_assert_str_eq(b, "  \n");
	free(b);
	s = load_ok(settings_path, &existed);
	ck_assert_int_eq(count_ours(s, "Stop"), 1);
	json_object_put(s);
}
END_TEST

static const char others[] =
    "{\n"
    "  \"model\": \"opus\",\n"
    "  \"env\": { \"FOO\": \"bar\", \"N\": 1.50 },\n"
    "  \"hooks\": {\n"
    "    \"PreToolUse\": [\n"
    "      { \"matcher\": \"Bash\", \"hooks\": [ { \"type\": \"command\", \"command\": "
    "\"/usr/bin/guard.sh\", \"timeout\": 30 } ] }\n"
    "    ],\n"
    "    \"Stop\": [ { \"hooks\": [ { \"type\": \"command\", \"command\": \"notify-send "
    "done\" }, { \"type\": \"http\", \"url\": \"http://127.0.0.1:9/x\" } ] } ],\n"
    "    \"Custom\": []\n"
    "  },\n"
    "  \"permissions\": { \"allow\": [ \"Bash(git *)\" ], \"deny\": [] },\n"
    "  \"\\u00e9t\\u00e9\": \"caf\\u00e9 \\ud83d\\ude00\"\n"
    "}\n";

START_TEST(test_keeps_others)
{
	json_object *orig, *s, *v, *ov, *hooks, *arr;
	const char *keys[] = {"model", "env", "hooks", "permissions", "\xc3\xa9t\xc3\xa9"};
	int existed, i;
	char err[256];

	ck_assert_ptr_nonnull(orig = install_parse(others, strlen(others), err, sizeof(err)));
	write_file(settings_path, others);
	s = load_ok(settings_path, &existed);
	install_ok(s, install_events);
	save_ok(s);
	json_object_put(s);
	s = load_ok(settings_path, &existed);

	/* Same top-level keys, same order. */
	i = 0;
	json_object_object_foreach (s, k, val) {
		(void)val;
		ck_assert_int_lt(i, 5);
		ck_assert_str_eq(k, keys[i]);
		i++;
	}
	ck_assert_int_eq(i, 5);
	/* Every other key unchanged in meaning. */
	for (i = 0; i < 5; i++) {
		if (strcmp(keys[i], "hooks") == 0)
			continue;
		ck_assert(json_object_object_get_ex(s, keys[i], &v));
		ck_assert(json_object_object_get_ex(orig, keys[i], &ov));
		ck_assert_msg(json_object_equal(v, ov), "key %s changed", keys[i]);
	}
	/* The other hooks are still there, first, unchanged. */
	ck_assert(json_object_object_get_ex(s, "hooks", &hooks));
	ck_assert(json_object_object_get_ex(hooks, "PreToolUse", &arr));
	ck_assert_uint_eq(json_object_array_length(arr), 2);
	json_object_object_get_ex(orig, "hooks", &ov);
	json_object_object_get_ex(ov, "PreToolUse", &ov);
	ck_assert(
	    json_object_equal(json_object_array_get_idx(arr, 0), json_object_array_get_idx(ov, 0)));
	ck_assert_int_eq(count_ours(s, "PreToolUse"), 1);
	ck_assert(json_object_object_get_ex(hooks, "Stop", &arr));
	ck_assert_uint_eq(json_object_array_length(arr), 2);
	ck_assert(json_object_object_get_ex(hooks, "Custom", &arr));
	ck_assert_uint_eq(json_object_array_length(arr), 0);
	json_object_put(s);
	json_object_put(orig);
}
END_TEST

START_TEST(test_second_install)
{
	json_object *s, *once = NULL;
	char *b1, *b2;
	int existed;
	size_t i;

	write_file(settings_path, others);
	s = load_ok(settings_path, &existed);
	install_ok(s, install_events);
	save_ok(s);
	ck_assert_ptr_nonnull(b1 = read_file(settings_path));
	ck_assert_int_eq(json_object_deep_copy(s, &once, NULL), 0);
	json_object_put(s);

	s = load_ok(settings_path, &existed);
	install_ok(s, install_events);
	ck_assert_msg(json_object_equal(s, once), "second install changed the settings");
	for (i = 0; install_events[i] != NULL; i++)
		ck_assert_int_eq(count_ours(s, install_events[i]), 1);
	save_ok(s);
	ck_assert_ptr_nonnull(b2 = read_file(settings_path));
	ck_assert_str_eq(b1, b2);
	free(b1);
	free(b2);
	json_object_put(s);
	json_object_put(once);
}
END_TEST

START_TEST(test_reinstall_in_place)
{
	/* Ours from an older path, sharing a group with another handler, and
	 * a duplicate in a group of its own: one handler remains, in place. */
	const char *text = "{\"hooks\":{\"PreToolUse\":["
			   "{\"matcher\":\"*\",\"hooks\":[{\"type\":\"command\",\"command\":\"/old/"
			   "hook-capture\"},"
			   "{\"type\":\"command\",\"command\":\"/bin/other\"}]},"
			   "{\"matcher\":\"*\",\"hooks\":[{\"type\":\"command\",\"command\":\"hook-"
			   "capture -i x\"}]},"
			   "{\"matcher\":\"Edit\",\"hooks\":[{\"type\":\"command\",\"command\":\"/"
			   "bin/last\"}]}]}}";
	const char *events[] = {"PreToolUse", NULL};
	json_object *s, *hooks, *arr, *g, *v;
	int existed;

	write_file(settings_path, text);
	s = load_ok(settings_path, &existed);
	install_ok(s, events);
	ck_assert_int_eq(count_ours(s, "PreToolUse"), 1);
	json_object_object_get_ex(s, "hooks", &hooks);
	json_object_object_get_ex(hooks, "PreToolUse", &arr);
	ck_assert_uint_eq(json_object_array_length(arr), 3);
	g = json_object_array_get_idx(arr, 0);
	json_object_object_get_ex(g, "hooks", &v);
	ck_assert_uint_eq(json_object_array_length(v), 1);
	ck_assert(!install_is_ours(json_object_array_get_idx(v, 0)));
	g = json_object_array_get_idx(arr, 1);
	json_object_object_get_ex(g, "hooks", &v);
	ck_assert(install_is_ours(json_object_array_get_idx(v, 0)));
	json_object_object_get_ex(json_object_array_get_idx(v, 0), "command", &v);
	ck_assert_str_eq(json_object_get_string(v), SELF);
	g = json_object_array_get_idx(arr, 2);
	json_object_object_get_ex(g, "matcher", &v);
	ck_assert_str_eq(json_object_get_string(v), "Edit");
	json_object_put(s);
}
END_TEST

START_TEST(test_events_subset)
{
	const char *some[] = {"PreToolUse", "PostToolUse", NULL};
	json_object *s, *r;
	int existed;

	write_file(settings_path, others);
	s = load_ok(settings_path, &existed);
	install_ok(s, install_events);
	install_ok(s, some);
	r = install_registered(s);
	ck_assert_uint_eq(json_object_array_length(r), 2);
	json_object_put(r);
	ck_assert_int_eq(count_ours(s, "Stop"), 0);
	ck_assert_int_eq(count_ours(s, "PostToolUse"), 1);
	json_object_put(s);
}
END_TEST

START_TEST(test_uninstall)
{
	const char *plain = "{\"model\":\"opus\",\"permissions\":{\"allow\":[]}}";
	json_object *orig, *s;
	char err[256];
	int existed;

	/* With other hooks: exactly the original comes back. */
	ck_assert_ptr_nonnull(orig = install_parse(others, strlen(others), err, sizeof(err)));
	write_file(settings_path, others);
	s = load_ok(settings_path, &existed);
	install_ok(s, install_events);
	save_ok(s);
	json_object_put(s);
	s = load_ok(settings_path, &existed);
	ck_assert_int_eq(install_remove(s), (int)nevents());
	ck_assert_msg(json_object_equal(s, orig), "uninstall left %s",
		      json_object_to_json_string(s));
	ck_assert_int_eq(install_remove(s), 0);
	json_object_put(s);
	json_object_put(orig);

	/* Without hooks before: the "hooks" key goes away again. */
	ck_assert_ptr_nonnull(orig = install_parse(plain, strlen(plain), err, sizeof(err)));
	s = install_parse(plain, strlen(plain), err, sizeof(err));
	install_ok(s, install_events);
	ck_assert_int_eq(install_remove(s), (int)nevents());
	ck_assert(json_object_equal(s, orig));
	json_object_put(s);
	json_object_put(orig);
}
END_TEST

static const char *bad_settings[] = {
    "{ \"hooks\": ",
    "{ invalid }",
    "[]",
    "\"text\"",
    "{} {}",
    "{\"hooks\": []}",
    "{\"hooks\": {\"Stop\": {}}}",
    "{\"a\": 1,}",
};

START_TEST(test_invalid_refused)
{
	const char *text = bad_settings[_i];
	char err[256], *b;
	json_object *s;
	int existed;

	write_file(settings_path, text);
	s = install_load(settings_path, &existed, err, sizeof(err));
	ck_assert_msg(s == NULL, "accepted %s", text);
	ck_assert_ptr_nonnull(strstr(err, settings_path));
	ck_assert_ptr_nonnull(b = read_file(settings_path));
	ck_assert_str_eq(b, text);
	free(b);
}
END_TEST

START_TEST(test_bad_events)
{
	const char *wt[] = {"PreToolUse", "WorktreeCreate", NULL};
	const char *bad[] = {"Pre Tool", NULL};
	const char *none[] = {NULL};
	json_object *s = json_object_new_object(), *args = json_object_new_array();
	char err[256];

	ck_assert_int_eq(install_apply(s, SELF, args, wt, 5, err, sizeof(err)), -1);
	ck_assert_int_eq(install_apply(s, SELF, args, bad, 5, err, sizeof(err)), -1);
	ck_assert_int_eq(install_apply(s, SELF, args, none, 5, err, sizeof(err)), -1);
	ck_assert_int_eq(install_apply(s, SELF, args, install_events, 0, err, sizeof(err)), -1);
	ck_assert_int_eq(json_object_object_length(s), 0);
	json_object_put(s);
	json_object_put(args);
}
END_TEST

static const struct {
	const char *json;
	int ours;
} is_ours_cases[] = {
    {"{\"type\":\"command\",\"command\":\"/usr/local/bin/hook-capture\"}", 1},
    {"{\"type\":\"command\",\"command\":\"hook-capture\"}", 1},
    {"{\"command\":\"/x/hook-capture -i foo\"}", 1},
    {"{\"type\":\"command\",\"command\":\"/x/hook-capture-old\"}", 0},
    {"{\"type\":\"command\",\"command\":\"echo hook-capture\"}", 0},
    {"{\"type\":\"http\",\"command\":\"hook-capture\"}", 0},
    {"{\"type\":\"command\",\"command\":42}", 0},
    {"\"hook-capture\"", 0},
};

START_TEST(test_is_ours)
{
	json_object *o = json_tokener_parse(is_ours_cases[_i].json);

	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(install_is_ours(o), is_ours_cases[_i].ours);
	json_object_put(o);
}
END_TEST

START_TEST(test_save_symlink)
{
	char real[PATH_MAX], dir[PATH_MAX], *b;
	json_object *s;
	struct stat st;
	int existed;

	snprintf(dir, sizeof(dir), "%s/.claude", tmpdir);
	mkdir(dir, 0700);
	snprintf(real, sizeof(real), "%s/real.json", tmpdir);
	write_file(real, "{\"model\":\"opus\"}");
	ck_assert_int_eq(symlink(real, settings_path), 0);
	s = load_ok(settings_path, &existed);
	install_ok(s, install_events);
	save_ok(s);
	json_object_put(s);
	ck_assert_int_eq(lstat(settings_path, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_ptr_nonnull(b = read_file(real));
	ck_assert_ptr_nonnull(strstr(b, SELF));
	free(b);
}
END_TEST

/* ---------------------------------------------------------------- context */

START_TEST(test_context_utf8)
{
	size_t n;
	char *s;

	s = context_utf8_clean("a\xff"
			       "b\0c\xc3\xa9\xed\xa0\x80",
			       10, &n);
	ck_assert_str_eq(s, "a\xef\xbf\xbd"
			    "bc\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	ck_assert_uint_eq(n, strlen(s));
	free(s);
	ck_assert_uint_eq(context_chars("\xc3\xa9", 2), 1);
	ck_assert_uint_eq(context_chars("\xf0\x9f\x98\x80", 4), 2);
}
END_TEST

START_TEST(test_context_cut)
{
	char buf[256];
	size_t len, i;

	/* 40 two-byte characters cut to 35 characters, marker included. */
	for (i = 0; i < 40; i++)
		memcpy(buf + 2 * i, "\xc3\xa9", 2);
	buf[80] = '\0';
	len = 80;
	ck_assert_int_eq(context_cut(buf, &len, sizeof(buf), 40), 0);
	ck_assert_int_eq(context_cut(buf, &len, sizeof(buf), 35), 1);
	ck_assert_uint_eq(len, strlen(buf));
	ck_assert_uint_le(context_chars(buf, len), 35);
	ck_assert_ptr_nonnull(strstr(buf, CONTEXT_TRUNC_MARKER));
	ck_assert_uint_eq(context_chars(buf, len), 35);
}
END_TEST

START_TEST(test_context_expand)
{
	char *s;

	s = context_expand("~/notes/{project}.md", "/home/u", "p");
	ck_assert_str_eq(s, "/home/u/notes/p.md");
	free(s);
	s = context_expand("{project}/a/{project}", "/h", "/w/x");
	ck_assert_str_eq(s, "/w/x/a//w/x");
	free(s);
	ck_assert_ptr_null(context_expand("~/x", NULL, "p"));
	ck_assert_ptr_null(context_expand("{project}/x", "/h", NULL));
	s = context_expand("~user/x", "/h", NULL);
	ck_assert_str_eq(s, "~user/x");
	free(s);
}
END_TEST

START_TEST(test_context_answer)
{
	json_object *o, *h, *v;
	char *s;

	s = context_answer("SessionStart", "line \"1\"\n\xc3\xa9");
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(s[strlen(s) - 1], '\n');
	ck_assert_ptr_nonnull(o = json_tokener_parse(s));
	ck_assert(json_object_object_get_ex(o, "hookSpecificOutput", &h));
	ck_assert(json_object_object_get_ex(h, "hookEventName", &v));
	ck_assert_str_eq(json_object_get_string(v), "SessionStart");
	ck_assert(json_object_object_get_ex(h, "additionalContext", &v));
	ck_assert_str_eq(json_object_get_string(v), "line \"1\"\n\xc3\xa9");
	json_object_put(o);
	free(s);
	ck_assert(context_event_wants("UserPromptSubmit"));
	ck_assert(!context_event_wants("PreToolUse"));
	ck_assert(!context_event_wants(NULL));
}
END_TEST

static Suite *
install_suite(void)
{
	Suite *s = suite_create("install");
	TCase *tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_no_file);
	tcase_add_test(tc, test_empty_file);
	tcase_add_test(tc, test_keeps_others);
	tcase_add_test(tc, test_second_install);
	tcase_add_test(tc, test_reinstall_in_place);
	tcase_add_test(tc, test_events_subset);
	tcase_add_test(tc, test_uninstall);
	tcase_add_test(tc, test_save_symlink);
	tcase_add_loop_test(tc, test_is_ours, 0, sizeof(is_ours_cases) / sizeof(is_ours_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_invalid_refused, 0,
			    sizeof(bad_settings) / sizeof(bad_settings[0]));
	tcase_add_test(tc, test_bad_events);
	suite_add_tcase(s, tc);

	tc = tcase_create("context");
	tcase_add_test(tc, test_context_utf8);
	tcase_add_test(tc, test_context_cut);
	tcase_add_test(tc, test_context_expand);
	tcase_add_test(tc, test_context_answer);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(install_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
