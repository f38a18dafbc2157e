/*
 * check_settings.c: hook-capture's settings (hook-capture/settings.c).
 *
 * fast:    with no file and only the names settings_fast() handles, it
 *          gives what the full configuration gives, value for value
 * full:    anything else (a file, another variable, a bad value, -c) is
 *          left to the full configuration
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "config.h"

extern char **environ;

static char tmpdir[] = "/tmp/check_settings.XXXXXX";

/* Clears every HOOKWIRE_ and XDG_CONFIG_HOME variable, HOME to tmpdir. */
static void
clean_env(void)
{
	char name[256];
	size_t i;

	for (i = 0; environ[i] != NULL;) {
		const char *eq = strchr(environ[i], '=');

		if (eq != NULL && strncmp(environ[i], "HOOKWIRE_", 9) == 0 &&
		    (size_t)(eq - environ[i]) < sizeof(name)) {
			memcpy(name, environ[i], (size_t)(eq - environ[i]));
			name[eq - environ[i]] = '\0';
			unsetenv(name);
			i = 0;
			continue;
		}
		i++;
	}
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", tmpdir, 1);
}

static int
system_file(void)
{
	struct stat st;

	return stat(CONFIG_SYSTEM_FILE, &st) == 0;
}

static void
assert_same(const struct settings *a, const struct settings *b)
{
	ck_assert_str_eq(a->st_instance, b->st_instance);
	ck_assert_str_eq(a->st_rundir, b->st_rundir);
	ck_assert_str_eq(a->st_statedir, b->st_statedir);
	ck_assert_str_eq(a->st_log_file, b->st_log_file);
	ck_assert_int_eq(a->st_log_level, b->st_log_level);
	ck_assert_uint_eq(a->st_log_max_size, b->st_log_max_size);
	ck_assert_int_eq(a->st_log_keep, b->st_log_keep);
	ck_assert_uint_eq(a->st_lim.field_max, b->st_lim.field_max);
	ck_assert_uint_eq(a->st_lim.event_max, b->st_lim.event_max);
	ck_assert_uint_eq(a->st_lim.input_max, b->st_lim.input_max);
	ck_assert_uint_eq(a->st_lim.bad_copy, b->st_lim.bad_copy);
	ck_assert_int_eq(a->st_lim.depth_max, b->st_lim.depth_max);
	ck_assert_int_eq(a->st_stdin_ms, b->st_stdin_ms);
	ck_assert_int_eq(a->st_ack_ms, b->st_ack_ms);
	ck_assert_int_eq(a->st_statusline_ms, b->st_statusline_ms);
	ck_assert_str_eq(a->st_context_files, b->st_context_files);
	ck_assert_int_eq(a->st_context_max, b->st_context_max);
}

/* What settings_fast() takes: name=value pairs ("" ends), and flags. */
static const struct {
	const char *env[8];
	struct capture_opts opts;
} fast_cases[] = {
    {{NULL}, {0}},
    {{"HOOKWIRE_INSTANCE=bench1", "HOOKWIRE_RUNDIR=/tmp/r", "HOOKWIRE_STATEDIR=/tmp/s",
      "HOOKWIRE_LOG_LEVEL=debug", "HOOKWIRE_CAPTURE_LOG_FILE=/tmp/l.log", NULL},
     {0}},
    {{NULL}, {.instance = "x.y-z", .rundir = "/r", .statedir = "/s", .log_file = "/tmp/f.log"}},
    {{"HOOKWIRE_INSTANCE=a", "HOOKWIRE_RUNDIR=", NULL}, {.instance = "b", .rundir = "/r2"}},
    {{"HOOKWIRE_BIN=/x", "HOOKWIRE_SRC=/y", "HOOKWIRE_TEST_FOO=1", "HOOKWIRE_CONFIG=", NULL}, {0}},
    {{"HOOKWIRE_LOG_LEVEL=error", "HOOKWIRE_LOG_LEVEL=warn", NULL}, {0}},
};

START_TEST(test_fast)
{
	struct settings fast, full;
	char err[512];
	size_t i;

	clean_env();
	for (i = 0; fast_cases[_i].env[i] != NULL; i++)
		ck_assert_int_eq(putenv((char *)fast_cases[_i].env[i]), 0);
	if (system_file())
		return; /* a machine-wide file: always the full configuration */
	ck_assert_int_eq(settings_fast(&fast, &fast_cases[_i].opts, environ), 0);
	ck_assert_ptr_null(fast.st_cfg);
	settings_full(&full, &fast_cases[_i].opts, err, sizeof(err));
	ck_assert_ptr_nonnull(full.st_cfg);
	ck_assert_msg(err[0] == '\0', "%s", err);
	assert_same(&fast, &full);
	settings_free(&full);
	settings_free(&fast);
}
END_TEST

/* What settings_fast() leaves to the full configuration. */
static const struct {
	const char *env[4];
	struct capture_opts opts;
	int file; /* write $HOME/.config/hookwire/hookwire.conf */
} full_cases[] = {
    {{"HOOKWIRE_CAPTURE_FIELD_MAX=1k", NULL}, {0}, 0},
    {{"HOOKWIRE_ROUTER_LINE_MAX=bad", NULL}, {0}, 0},
    {{"HOOKWIRE_NO_SUCH_KEY=1", NULL}, {0}, 0},
    {{"HOOKWIRE_INSTANCE=bad/name", NULL}, {0}, 0},
    {{"HOOKWIRE_INSTANCE=", NULL}, {0}, 0},
    {{"HOOKWIRE_LOG_LEVEL=loud", NULL}, {0}, 0},
    {{"HOOKWIRE_CONFIG=/nonexistent/hookwire.conf", NULL}, {0}, 0},
    {{NULL}, {.config_file = "/nonexistent/hookwire.conf"}, 0},
    {{NULL}, {.instance = ".hidden"}, 0},
    {{NULL}, {0}, 1},
};

START_TEST(test_full)
{
	struct settings st;
	char path[512], err[512];
	size_t i;
	FILE *fp;

	clean_env();
	for (i = 0; full_cases[_i].env[i] != NULL; i++)
		ck_assert_int_eq(putenv((char *)full_cases[_i].env[i]), 0);
	snprintf(path, sizeof(path), "%s/.config/hookwire/hookwire.conf", tmpdir);
	if (full_cases[_i].file) {
		snprintf(path, sizeof(path), "%s/.config", tmpdir);
		mkdir(path, 0700);
		snprintf(path, sizeof(path), "%s/.config/hookwire", tmpdir);
		mkdir(path, 0700);
		snprintf(path, sizeof(path), "%s/.config/hookwire/hookwire.conf", tmpdir);
		ck_assert_ptr_nonnull(fp = fopen(path, "w"));
		fputs("{\"capture\":{\"field_max\":\"32k\"}}\n", fp);
		fclose(fp);
	}
	ck_assert_int_eq(settings_fast(&st, &full_cases[_i].opts, environ), -1);
	if (full_cases[_i].file) {
		/* and the full configuration reads it */
		settings_load(&st, &full_cases[_i].opts, err, sizeof(err));
		ck_assert_ptr_nonnull(st.st_cfg);
		ck_assert_uint_eq(st.st_lim.field_max, 32 * 1024);
		settings_free(&st);
		unlink(path);
		snprintf(path, sizeof(path), "%s/.config/hookwire", tmpdir);
		rmdir(path);
		snprintf(path, sizeof(path), "%s/.config", tmpdir);
		rmdir(path);
	}
}
END_TEST

static Suite *
settings_suite(void)
{
	Suite *s = suite_create("settings");
	TCase *tc;

	tc = tcase_create("fast");
	tcase_add_loop_test(tc, test_fast, 0, sizeof(fast_cases) / sizeof(fast_cases[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("full");
	tcase_add_loop_test(tc, test_full, 0, sizeof(full_cases) / sizeof(full_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	if (mkdtemp(tmpdir) == NULL)
		return EXIT_FAILURE;
	sr = srunner_create(settings_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rmdir(tmpdir);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
