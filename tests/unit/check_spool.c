/*
 * check_spool.c: the maildir spool (common/spool.c).
 *
 * core: names, contents, order (oldest first), nothing left in tmp/,
 *       concurrent writers, stale tmp/ files, errors
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "paths.h"
#include "spool.h"

static char tmpdir[4096], spool[4200];

static void
setup(void)
{
	const char *base = getenv("HOOKWIRE_TEST_TMP");
	char sub[4300];

	snprintf(tmpdir, sizeof(tmpdir), "%s/check_spool.XXXXXX", base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(spool, sizeof(spool), "%s/spool", tmpdir);
	mkdir(spool, 0700);
	snprintf(sub, sizeof(sub), "%s/tmp", spool);
	mkdir(sub, 0700);
	snprintf(sub, sizeof(sub), "%s/new", spool);
	mkdir(sub, 0700);
}

static void
teardown(void)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		return;
}

static int
count(const char *sub)
{
	char p[8192];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(p, sizeof(p), "%s/%s", spool, sub);
	d = opendir(p);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

START_TEST(test_order)
{
	char err[256], path[8192], buf[64], body[32];
	char **names;
	regex_t re;
	size_t n, i;
	int prev = -1, cur;
	FILE *f;

	for (i = 0; i < 50; i++) {
		snprintf(body, sizeof(body), "{\"n\":%zu}\n", i);
		ck_assert_msg(spool_write(spool, body, strlen(body), err, sizeof(err)) == 0, "%s",
			      err);
	}
	ck_assert_int_eq(count("tmp"), 0);
	ck_assert_int_eq(spool_list(spool, &names, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 50);
	ck_assert_int_eq(
	    regcomp(&re, "^[0-9]{16}\\.[0-9]+\\.[0-9a-f]{16}\\.json$", REG_EXTENDED | REG_NOSUB),
	    0);
	for (i = 0; i < n; i++) {
		ck_assert_msg(regexec(&re, names[i], 0, NULL, 0) == 0, "name %s", names[i]);
		ck_assert_uint_le(strlen(names[i]), SPOOL_NAME_MAX);
		snprintf(path, sizeof(path), "%s/new/%s", spool, names[i]);
		f = fopen(path, "r");
		ck_assert_ptr_nonnull(f);
		ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
		fclose(f);
		/* Oldest first: where two names carry the same microsecond,
		 * their order is the random part's. */
		cur = atoi(buf + 5);
		if (i > 0) {
			int c = strncmp(names[i - 1], names[i], 16);

			ck_assert_int_le(c, 0);
			if (c < 0)
				ck_assert_int_lt(prev, cur);
		}
		prev = cur;
	}
	regfree(&re);
	spool_list_free(names, n);
	spool_list_free(NULL, 0);
}
END_TEST

START_TEST(test_content_and_time)
{
	char err[256], path[8192], buf[64];
	struct timespec ts;
	char **names;
	long long t0, t;
	size_t n;
	FILE *f;

	clock_gettime(CLOCK_REALTIME, &ts);
	t0 = (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	ck_assert_int_eq(spool_write_flags(spool, "{\"a\":1}\n", 8, SPOOL_FSYNC, err, sizeof(err)),
			 0);
	ck_assert_int_eq(spool_list(spool, &names, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 1);
	t = atoll(names[0]);
	ck_assert(t >= t0 && t < t0 + 60000000);
	snprintf(path, sizeof(path), "%s/new/%s", spool, names[0]);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	fclose(f);
	ck_assert_str_eq(buf, "{\"a\":1}\n");
	spool_list_free(names, n);
}
END_TEST

START_TEST(test_concurrent)
{
	char err[256];
	char **names;
	size_t n;
	int i, j, st;
	pid_t pid;

	for (i = 0; i < 8; i++) {
		if ((pid = fork()) == 0) {
			for (j = 0; j < 100; j++)
				if (spool_write(spool, "{}\n", 3, err, sizeof(err)) != 0)
					_exit(1);
			_exit(0);
		}
		ck_assert_int_gt(pid, 0);
	}
	for (i = 0; i < 8; i++) {
		ck_assert_int_gt(wait(&st), 0);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	ck_assert_int_eq(spool_list(spool, &names, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 800);
	spool_list_free(names, n);
}
END_TEST

START_TEST(test_empty_and_errors)
{
	char err[256] = "", bad[8300];
	char **names = (char **)1;
	size_t n = 99;

	ck_assert_int_eq(spool_list(spool, &names, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 0);
	spool_list_free(names, n);
	snprintf(bad, sizeof(bad), "%s/missing", tmpdir);
	ck_assert_int_eq(spool_list(bad, &names, &n, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, bad));
	ck_assert_int_eq(spool_write(bad, "x", 1, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, bad));
}
END_TEST

START_TEST(test_clean_tmp)
{
	char err[256], p[8300];
	struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
	FILE *f;

	snprintf(p, sizeof(p), "%s/tmp/stale.json", spool);
	f = fopen(p, "w");
	fclose(f);
	ck_assert_int_eq(utimensat(AT_FDCWD, p, old, 0), 0);
	snprintf(p, sizeof(p), "%s/tmp/fresh.json", spool);
	f = fopen(p, "w");
	fclose(f);
	ck_assert_int_eq(spool_clean_tmp(spool, 3600, err, sizeof(err)), 1);
	ck_assert_int_eq(count("tmp"), 1);
}
END_TEST

static Suite *
spool_suite(void)
{
	Suite *s = suite_create("spool");
	TCase *tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_content_and_time);
	tcase_add_test(tc, test_concurrent);
	tcase_add_test(tc, test_empty_and_errors);
	tcase_add_test(tc, test_clean_tmp);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(spool_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
