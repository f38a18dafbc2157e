/*
 * check_paths.c: instance paths (common/paths.c).
 *
 * core:   defaults from XDG_*, HOME, /tmp; instance suffixes; explicit dirs
 * limits: instance names; paths too long for a socket
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"

START_TEST(test_xdg)
{
	struct paths p;
	char err[256], want[64];

	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	setenv("XDG_STATE_HOME", "/home/u/.state", 1);
	ck_assert_int_eq(paths_init(&p, NULL, NULL, NULL, err, sizeof(err)), 0);
	ck_assert_str_eq(p.instance, "default");
	ck_assert_str_eq(p.rundir, "/run/user/1000/hookwire");
	ck_assert_str_eq(p.statedir, "/home/u/.state/hookwire");
	ck_assert_str_eq(p.ingest_sock, "/run/user/1000/hookwire/ingest.sock");
	ck_assert_str_eq(p.port_file, "/run/user/1000/hookwire/gateway.port");
	ck_assert_str_eq(p.spool_dir, "/home/u/.state/hookwire/spool");
	ck_assert_str_eq(p.journal_dir, "/home/u/.state/hookwire/journal");
	ck_assert_str_eq(p.token_file, "/home/u/.state/hookwire/token");
	snprintf(want, sizeof(want), "/hookwire-%lu-default", (unsigned long)getuid());
	ck_assert_str_eq(p.ring_name, want);

	ck_assert_int_eq(paths_init(&p, "t2", NULL, NULL, err, sizeof(err)), 0);
	ck_assert_str_eq(p.rundir, "/run/user/1000/hookwire/t2");
	ck_assert_str_eq(p.statedir, "/home/u/.state/hookwire/t2");
	snprintf(want, sizeof(want), "/hookwire-%lu-t2", (unsigned long)getuid());
	ck_assert_str_eq(p.ring_name, want);
}
END_TEST

/* The path members point into p_buf: a copy points into its own. */
START_TEST(test_copy)
{
	static struct paths p, q;
	char err[256];

	ck_assert_int_eq(paths_init(&p, "c", "/r", "/s", err, sizeof(err)), 0);
	paths_copy(&q, &p);
	memset(&p, 'x', sizeof(p));
	ck_assert_str_eq(q.instance, "c");
	ck_assert_str_eq(q.rundir, "/r");
	ck_assert_str_eq(q.statedir, "/s");
	ck_assert_str_eq(q.ingest_sock, "/r/ingest.sock");
	ck_assert_str_eq(q.port_file, "/r/gateway.port");
	ck_assert_str_eq(q.spool_dir, "/s/spool");
	ck_assert_str_eq(q.journal_dir, "/s/journal");
	ck_assert_str_eq(q.token_file, "/s/token");
	{
		char want[64];

		snprintf(want, sizeof(want), "/hookwire-%lu-c", (unsigned long)getuid());
		ck_assert_str_eq(q.ring_name, want);
	}
	/* names taken from the struct being filled */
	ck_assert_int_eq(paths_init(&q, q.instance, q.spool_dir, q.rundir, err, sizeof(err)), 0);
	ck_assert_str_eq(q.instance, "c");
	ck_assert_str_eq(q.rundir, "/s/spool");
	ck_assert_str_eq(q.statedir, "/r");
}
END_TEST

START_TEST(test_fallbacks)
{
	struct paths p;
	char err[256], want[128];

	unsetenv("XDG_RUNTIME_DIR");
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "/home/u", 1);
	ck_assert_int_eq(paths_init(&p, "", NULL, NULL, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "/tmp/hookwire-%lu", (unsigned long)getuid());
	ck_assert_str_eq(p.rundir, want);
	ck_assert_str_eq(p.statedir, "/home/u/.local/state/hookwire");
	/* Relative XDG values are ignored, as the XDG spec says. */
	setenv("XDG_STATE_HOME", "relative", 1);
	ck_assert_int_eq(paths_init(&p, NULL, NULL, NULL, err, sizeof(err)), 0);
	ck_assert_str_eq(p.statedir, "/home/u/.local/state/hookwire");
	unsetenv("HOME");
	unsetenv("XDG_STATE_HOME");
	ck_assert_int_eq(paths_init(&p, NULL, NULL, NULL, err, sizeof(err)), -1);
	ck_assert_int_eq(paths_init(&p, NULL, NULL, "/s", err, sizeof(err)), 0);
}
END_TEST

START_TEST(test_explicit)
{
	struct paths p;
	char err[256], pid[4096];

	ck_assert_int_eq(paths_init(&p, "x", "/r", "/s", err, sizeof(err)), 0);
	/* Explicit directories get no instance suffix. */
	ck_assert_str_eq(p.rundir, "/r");
	ck_assert_str_eq(p.statedir, "/s");
	ck_assert_str_eq(p.ingest_sock, "/r/ingest.sock");
	ck_assert_int_eq(paths_pidfile(&p, "event-router", pid, sizeof(pid)), 0);
	ck_assert_str_eq(pid, "/r/event-router.pid");
	ck_assert_int_eq(paths_pidfile(&p, "event-router", pid, 8), -1);
}
END_TEST

static const struct {
	const char *name;
	int ok;
} names[] = {
    {"default", 1},
    {"a", 1},
    {"A-b_c.9", 1},
    {"123456789012345678901234567890123456789012345678", 1},
    {"1234567890123456789012345678901234567890123456789", 0},
    {"", 0},
    {".hidden", 0},
    {"a/b", 0},
    {"..", 0},
    {"a b", 0},
    {"caf\xc3\xa9", 0},
};

START_TEST(test_instance_names)
{
	struct paths p;
	char err[256];

	ck_assert_int_eq(paths_instance_valid(names[_i].name), names[_i].ok);
	if (names[_i].name[0] != '\0')
		ck_assert_int_eq(paths_init(&p, names[_i].name, "/r", "/s", err, sizeof(err)),
				 names[_i].ok ? 0 : -1);
}
END_TEST

START_TEST(test_long_socket)
{
	char dir[300], err[256];
	struct paths p;

	memset(dir, 'd', sizeof(dir));
	dir[0] = '/';
	dir[sizeof(dir) - 1] = '\0';
	ck_assert_int_eq(paths_init(&p, NULL, dir, "/s", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "108"));
}
END_TEST

/* The ring's name carries the uid and stays within macOS's 31 characters;
 * a long instance is cut and hashed, and two long instances that share
 * their head still get two names (hashes checked with Python).
 */
static const struct {
	unsigned long uid;
	const char *instance, *name;
} ring_names[] = {
    {1000, "default", "/hookwire-1000-default"},
    {0, "t2", "/hookwire-0-t2"},
    {1000, "exactly-sixteen1", "/hookwire-1000-exactly-sixteen1"},
    {1000, "exactly-seventeen", "/hookwire-1000-exactly~69315a17"},
    {1000, "exactly-seventeeN", "/hookwire-1000-exactly~493127b7"},
    {4294967295ul, "default", "/hookwire-4294967295-default"},
    {4294967295ul, "a-very-long-instance-name", "/hookwire-4294967295-a~0b5ab048"},
};

START_TEST(test_ring_names)
{
	char out[64];

	ck_assert_int_eq(
	    paths_ring_name(out, sizeof(out), ring_names[_i].uid, ring_names[_i].instance), 0);
	ck_assert_str_eq(out, ring_names[_i].name);
	ck_assert_uint_le(strlen(out), PATHS_SHM_NAME_MAX);
	ck_assert_int_eq(paths_ring_name(out, 10, 1000, "default"), -1);
}
END_TEST

START_TEST(test_mkdirs)
{
	char base[4096], sub[4300], err[256];
	const char *t = getenv("HOOKWIRE_TEST_TMP");
	struct paths p;
	struct stat st;

	snprintf(base, sizeof(base), "%s/check_paths.XXXXXX", t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(sub, sizeof(sub), "%s/run/deep", base);
	ck_assert_int_eq(paths_init(&p, "m", sub, NULL, err, sizeof(err)), 0);
	snprintf(sub, sizeof(sub), "%s/state", base);
	ck_assert_int_eq(paths_init(&p, "m", p.rundir, sub, err, sizeof(err)), 0);
	ck_assert_msg(paths_mkdirs(&p, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(stat(p.rundir, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	snprintf(sub, sizeof(sub), "%s/tmp", p.spool_dir);
	ck_assert_int_eq(stat(sub, &st), 0);
	snprintf(sub, sizeof(sub), "%s/new", p.spool_dir);
	ck_assert_int_eq(stat(sub, &st), 0);
	ck_assert_int_eq(stat(p.journal_dir, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	/* Again: nothing to do, no error. */
	ck_assert_int_eq(paths_mkdirs(&p, err, sizeof(err)), 0);
	/* A file where a directory should be. */
	snprintf(sub, sizeof(sub), "%s/file", base);
	fclose(fopen(sub, "w"));
	ck_assert_int_eq(paths_init(&p, NULL, sub, sub, err, sizeof(err)), 0);
	ck_assert_int_eq(paths_mkdirs(&p, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, sub));
	/* A run directory others may write to is refused. */
	snprintf(sub, sizeof(sub), "%s/open", base);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	ck_assert_int_eq(chmod(sub, 0777), 0);
	ck_assert_int_eq(paths_init(&p, NULL, sub, base, err, sizeof(err)), 0);
	ck_assert_int_eq(paths_mkdirs(&p, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "writable by group or others"));
	/* A symbolic link as the run directory is refused. */
	snprintf(sub, sizeof(sub), "%s/link", base);
	ck_assert_int_eq(symlink(p.rundir, sub), 0);
	ck_assert_int_eq(paths_init(&p, NULL, sub, base, err, sizeof(err)), 0);
	ck_assert_int_eq(paths_mkdirs(&p, err, sizeof(err)), -1);
	snprintf(sub, sizeof(sub), "rm -rf '%s'", base);
	ck_assert_int_eq(system(sub), 0);
}
END_TEST

static Suite *
paths_suite(void)
{
	Suite *s = suite_create("paths");
	TCase *tc;

	tc = tcase_create("core");
	tcase_add_test(tc, test_xdg);
	tcase_add_test(tc, test_copy);
	tcase_add_test(tc, test_fallbacks);
	tcase_add_test(tc, test_explicit);
	tcase_add_test(tc, test_mkdirs);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_add_loop_test(tc, test_instance_names, 0, sizeof(names) / sizeof(names[0]));
	tcase_add_test(tc, test_long_socket);
	tcase_add_loop_test(tc, test_ring_names, 0, sizeof(ring_names) / sizeof(ring_names[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(paths_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
