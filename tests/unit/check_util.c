/*
 * check_util.c: small things (common/util.c).
 *
 * core: sizes, UTF-8, clocks, full writes, readiness, pidfile locks,
 *       privilege drop refusals
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static const struct {
	const char *in;
	int ok;
	long long want;
} sizes[] = {
    {"0", 1, 0},
    {"123", 1, 123},
    {"64k", 1, 65536},
    {"64K", 1, 65536},
    {"16M", 1, 16777216},
    {"1G", 1, 1073741824},
    {"1T", 1, 1099511627776LL},
    {"4kb", 1, 4096},
    {"4KB", 1, 4096},
    {" 7 ", 1, 7},
    {"", 0, 0},
    {"k", 0, 0},
    {"-1", 0, 0},
    {"1.5M", 0, 0},
    {"12x", 0, 0},
    {"1b", 0, 0},
    {"99999999999999999999", 0, 0},
    {"9999999999T", 0, 0},
};

START_TEST(test_parse_size)
{
	long long v = -42;

	ck_assert_int_eq(util_parse_size(sizes[_i].in, &v), sizes[_i].ok ? 0 : -1);
	if (sizes[_i].ok)
		ck_assert_int_eq(v, sizes[_i].want);
}
END_TEST

static const struct {
	const char *in;
	size_t len;
	size_t valid;
} utf8[] = {
    {"plain ascii text, long enough for the fast path", 0, 0},
    {"caf\xc3\xa9", 0, 0},
    {"\xe2\x82\xac euro", 0, 0},
    {"\xf0\x9f\x98\x80 emoji", 0, 0},
    {"\xef\xbf\xbd", 0, 0},
    {"ab\xff", 3, 2},
    {"abcdefghij\x80", 11, 10},
    {"\xc3", 1, 0},
    {"\xc0\xaf", 2, 0},		/* overlong '/' */
    {"\xe0\x80\xaf", 3, 0},	/* overlong */
    {"\xed\xa0\x80", 3, 0},	/* surrogate U+D800 */
    {"\xf4\x90\x80\x80", 4, 0}, /* over U+10FFFF */
    {"\xf5\x80\x80\x80", 4, 0},
    {"a\0b", 3, 3}, /* NUL is valid UTF-8 */
    {"0123456789abcdef\xc3(", 18, 16},
};

START_TEST(test_utf8)
{
	size_t len = utf8[_i].len ? utf8[_i].len : strlen(utf8[_i].in);
	size_t want = utf8[_i].len ? utf8[_i].valid : len;

	ck_assert_uint_eq(util_utf8_valid(utf8[_i].in, len), want);
}
END_TEST

START_TEST(test_clocks)
{
	int64_t a, b;

	a = util_now_us();
	ck_assert(a > 1700000000LL * 1000000);
	a = util_mono_us();
	b = util_mono_us();
	ck_assert(b >= a);
}
END_TEST

START_TEST(test_write_readiness)
{
	char big[200000], got[200000], c;
	int p[2];
	ssize_t n;
	size_t off = 0;
	pid_t pid;

	memset(big, 'z', sizeof(big));
	ck_assert_int_eq(pipe(p), 0);
	/* More than a pipe holds: the writer must loop over short writes. */
	if ((pid = fork()) == 0) {
		close(p[0]);
		_exit(util_write_all(p[1], big, sizeof(big)) == 0 ? 0 : 1);
	}
	close(p[1]);
	while ((n = read(p[0], got + off, sizeof(got) - off)) > 0)
		off += (size_t)n;
	ck_assert_uint_eq(off, sizeof(big));
	close(p[0]);

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(util_readiness(p[1]), 0);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	ck_assert_int_eq(c, '\n');
	ck_assert_int_eq(read(p[0], &c, 1), 0); /* closed */
	close(p[0]);
	ck_assert_int_eq(util_readiness(-1), 0);
}
END_TEST

/* READY=1 reaches $NOTIFY_SOCKET, a path or an abstract name; unset: nothing, 0. */
START_TEST(test_notify_ready)
{
	struct sockaddr_un sa;
	char buf[128], path[108], want[64];
	int s, i;
	ssize_t n;

	unsetenv("NOTIFY_SOCKET");
	ck_assert_int_eq(util_notify_ready(), 0);
	snprintf(want, sizeof(want), "READY=1\nMAINPID=%ld", (long)getpid());
	for (i = 0; i < 2; i++) {
		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		if (i == 0)
			snprintf(path, sizeof(path), "/tmp/check-notify.%ld", (long)getpid());
		else
			snprintf(path, sizeof(path), "@check-notify.%ld", (long)getpid());
		memcpy(sa.sun_path, path, strlen(path));
		if (i == 1)
			sa.sun_path[0] = '\0';
		unlink(path);
		ck_assert_int_ge(s = socket(AF_UNIX, SOCK_DGRAM, 0), 0);
		ck_assert_int_eq(
		    bind(s, (struct sockaddr *)&sa,
			 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path))),
		    0);
		setenv("NOTIFY_SOCKET", path, 1);
		ck_assert_int_eq(util_readiness(-1), 0);
		n = recv(s, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		ck_assert_int_gt(n, 0);
		buf[n] = '\0';
		ck_assert_str_eq(buf, want);
		close(s);
		if (i == 0)
			unlink(path);
	}
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	ck_assert_int_eq(util_notify_ready(), -1);
	unsetenv("NOTIFY_SOCKET");
}
END_TEST

START_TEST(test_pidfile)
{
	const char *base = getenv("HOOKWIRE_TEST_TMP");
	char dir[4096], path[4200], err[256], buf[32];
	struct pidfh *a, *b;
	pid_t other = -1;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/check_util.XXXXXX", base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.pid", dir);
	a = util_pidfile_lock(path, &other, err, sizeof(err));
	ck_assert_msg(a != NULL, "%s", err);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	fclose(f);
	ck_assert_int_eq(atoi(buf), getpid());
	b = util_pidfile_lock(path, &other, err, sizeof(err));
	ck_assert_ptr_null(b);
	ck_assert_int_eq(other, getpid());
	ck_assert_ptr_nonnull(strstr(err, "already locked"));
	util_pidfile_remove(a);
	ck_assert_int_eq(access(path, F_OK), -1);
	util_pidfile_remove(NULL);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_drop_privileges)
{
	char err[256] = "";

	ck_assert_int_eq(util_drop_privileges(NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(util_drop_privileges("", err, sizeof(err)), 0);
	ck_assert_int_eq(util_drop_privileges("no-such-user-hookwire", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "no-such-user-hookwire"));
}
END_TEST

static Suite *
util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc;

	tc = tcase_create("core");
	tcase_add_loop_test(tc, test_parse_size, 0, sizeof(sizes) / sizeof(sizes[0]));
	tcase_add_loop_test(tc, test_utf8, 0, sizeof(utf8) / sizeof(utf8[0]));
	tcase_add_test(tc, test_clocks);
	tcase_add_test(tc, test_write_readiness);
	tcase_add_test(tc, test_notify_ready);
	tcase_add_test(tc, test_pidfile);
	tcase_add_test(tc, test_drop_privileges);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(util_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
