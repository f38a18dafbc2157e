/*
 * check_log.c: JSON-lines logging (common/log.c).
 *
 * core:     fields, escaping, levels, key/value pairs; every line is JSON
 * rotation: size rotation keeps log.keep files; log_reopen after a move
 * stderr:   JSON on a pipe, "<N>" + JSON on the journal's stream, text on a terminal
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "log.h"

static char tmpdir[4096], logpath[4200];

static void
setup(void)
{
	const char *base = getenv("HOOKWIRE_TEST_TMP");

	snprintf(tmpdir, sizeof(tmpdir), "%s/check_log.XXXXXX", base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(logpath, sizeof(logpath), "%s/t.log", tmpdir);
}

static void
teardown(void)
{
	char cmd[8192];

	log_close();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		return;
}

/* Reads path and parses each line; returns the number of lines, the last in *last. */
static int
read_lines(const char *path, json_object **last)
{
	char line[16384];
	int n = 0;
	FILE *f;

	*last = NULL;
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t len = strlen(line);

		ck_assert_msg(len > 0 && line[len - 1] == '\n', "line without newline: %s", line);
		json_object_put(*last);
		*last = json_tokener_parse(line);
		ck_assert_msg(*last != NULL, "not JSON: %s", line);
		n++;
	}
	fclose(f);
	return n;
}

static const char *
field(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v))
		return NULL;
	return json_object_get_string(v);
}

START_TEST(test_fields)
{
	char err[256];
	json_object *o;

	ck_assert_int_eq(log_init("event-router", logpath, LOGL_INFO, 0, 0, err, sizeof(err)), 0);
	log_msg(LOGL_INFO, "line_too_long", "conn %d: line of %zu bytes", 7, (size_t)99);
	ck_assert_int_eq(read_lines(logpath, &o), 1);
	ck_assert_str_eq(field(o, "level"), "info");
	ck_assert_str_eq(field(o, "component"), "event-router");
	ck_assert_str_eq(field(o, "msg"), "conn 7: line of 99 bytes");
	ck_assert_str_eq(field(o, "reason"), "line_too_long");
	ck_assert_int_eq(atoi(field(o, "pid")), getpid());
	ck_assert_uint_eq(strlen(field(o, "ts")), 27);
	json_object_put(o);

	/* No reason: no key. Escaping and invalid UTF-8 stay valid JSON. */
	log_msg(LOGL_WARN, NULL, "q\"b\\s\nnl\ttab \x01 \xff \xc3\xa9");
	ck_assert_int_eq(read_lines(logpath, &o), 2);
	ck_assert_ptr_null(field(o, "reason"));
	ck_assert_str_eq(field(o, "msg"), "q\"b\\s\nnl\ttab \x01 \\xff \xc3\xa9");
	json_object_put(o);

	log_kv(LOGL_ERROR, "bad_field_type", "rejected", "id", "abc", "bytes", "12", NULL);
	ck_assert_int_eq(read_lines(logpath, &o), 3);
	ck_assert_str_eq(field(o, "id"), "abc");
	ck_assert_str_eq(field(o, "bytes"), "12");
	ck_assert_str_eq(field(o, "level"), "error");
	json_object_put(o);

	errno = ENOENT;
	log_warn("spool", "open %s", "x");
	ck_assert_int_eq(read_lines(logpath, &o), 4);
	ck_assert_str_eq(field(o, "msg"), "open x: No such file or directory");
	json_object_put(o);
}
END_TEST

START_TEST(test_levels)
{
	enum log_level l;
	char err[256];
	json_object *o;

	ck_assert_int_eq(log_level_parse("debug", &l), 0);
	ck_assert_int_eq(l, LOGL_DEBUG);
	ck_assert_int_eq(log_level_parse("warn", &l), 0);
	ck_assert_int_eq(l, LOGL_WARN);
	ck_assert_int_eq(log_level_parse("loud", &l), -1);
	ck_assert_int_eq(log_init("t", logpath, LOGL_WARN, 0, 0, err, sizeof(err)), 0);
	ck_assert(!log_enabled(LOGL_INFO));
	ck_assert(log_enabled(LOGL_ERROR));
	log_info("hidden");
	log_debug("hidden");
	log_warnx(NULL, "shown");
	ck_assert_int_eq(read_lines(logpath, &o), 1);
	ck_assert_str_eq(field(o, "msg"), "shown");
	json_object_put(o);
}
END_TEST

START_TEST(test_long_message)
{
	char err[256], *big;
	json_object *o;

	big = malloc(100000);
	memset(big, '"', 99999);
	big[99999] = '\0';
	ck_assert_int_eq(log_init("t", logpath, LOGL_INFO, 0, 0, err, sizeof(err)), 0);
	log_kv(LOGL_INFO, NULL, big, "k", "v", NULL);
	log_msg(LOGL_INFO, NULL, "%s", big);
	ck_assert_int_eq(read_lines(logpath, &o), 2);
	json_object_put(o);
	free(big);
}
END_TEST

START_TEST(test_init_error)
{
	char err[256];

	ck_assert_int_eq(log_init("t", "/nonexistent/dir/x.log", LOGL_INFO, 0, 0, err, sizeof(err)),
			 -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/dir/x.log"));
}
END_TEST

static int
exists(const char *fmt, const char *a)
{
	char p[8192];
	struct stat st;

	snprintf(p, sizeof(p), fmt, a);
	return stat(p, &st) == 0;
}

START_TEST(test_rotation)
{
	char err[256];
	json_object *o;
	int i;

	/* Each line is ~150 bytes: 1000 lines rotate many times at 4 KiB. */
	ck_assert_int_eq(log_init("t", logpath, LOGL_INFO, 4096, 2, err, sizeof(err)), 0);
	for (i = 0; i < 1000; i++)
		log_info("message number %d", i);
	ck_assert(exists("%s", logpath));
	ck_assert(exists("%s.1", logpath));
	ck_assert(exists("%s.2", logpath));
	ck_assert(!exists("%s.3", logpath));
	ck_assert_int_gt(read_lines(logpath, &o), 0);
	ck_assert_str_eq(field(o, "msg"), "message number 999");
	json_object_put(o);
	{
		struct stat st;

		ck_assert_int_eq(stat(logpath, &st), 0);
		ck_assert_int_le(st.st_size, 4096);
	}
}
END_TEST

START_TEST(test_reopen)
{
	char err[256], moved[8300];
	json_object *o;

	ck_assert_int_eq(log_init("t", logpath, LOGL_INFO, 0, 0, err, sizeof(err)), 0);
	log_info("before");
	snprintf(moved, sizeof(moved), "%s.old", logpath);
	ck_assert_int_eq(rename(logpath, moved), 0);
	log_info("still old");
	ck_assert_int_eq(log_reopen(), 0);
	log_info("after");
	ck_assert_int_eq(read_lines(moved, &o), 2);
	json_object_put(o);
	/* the reopen says so in the new file, before what follows */
	ck_assert_int_eq(read_lines(logpath, &o), 2);
	ck_assert_str_eq(field(o, "msg"), "after");
	json_object_put(o);
}
END_TEST

/* A log that cannot be reopened stays on the old file and says why there. */
START_TEST(test_reopen_fails)
{
	char err[256], dir[4100], gone[4200], oldpath[4300];
	json_object *o;

	snprintf(dir, sizeof(dir), "%s/d", tmpdir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(logpath, sizeof(logpath), "%s/t.log", dir);
	ck_assert_int_eq(log_init("t", logpath, LOGL_INFO, 0, 0, err, sizeof(err)), 0);
	log_info("before");
	snprintf(gone, sizeof(gone), "%s/gone", tmpdir);
	ck_assert_int_eq(rename(dir, gone), 0); /* the log's directory is no more */
	ck_assert_int_eq(log_reopen(), -1);
	log_info("after");
	snprintf(oldpath, sizeof(oldpath), "%s/t.log", gone);
	ck_assert_int_eq(read_lines(oldpath, &o), 3);
	ck_assert_str_eq(field(o, "msg"), "after");
	json_object_put(o);
}
END_TEST

/* Logs one warning to stderr made a copy of fd (the journal's stream when
 * journal is set) and returns what arrived at rfd. */
static void
stderr_line(int wfd, int rfd, int journal, char *out, size_t outlen)
{
	char js[64], err[256];
	struct stat st;
	int saved = dup(STDERR_FILENO);
	ssize_t n;

	ck_assert_int_ge(saved, 0);
	ck_assert_int_eq(dup2(wfd, STDERR_FILENO), STDERR_FILENO);
	ck_assert_int_eq(fstat(STDERR_FILENO, &st), 0);
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	if (journal)
		setenv("JOURNAL_STREAM", js, 1);
	else
		setenv("JOURNAL_STREAM", "1:2", 1); /* another stream: not ours */
	ck_assert_int_eq(log_init("check", NULL, LOGL_INFO, 0, 0, err, sizeof(err)), 0);
	log_warnx("why", "hello %d", 7);
	dup2(saved, STDERR_FILENO);
	close(saved);
	unsetenv("JOURNAL_STREAM");
	n = read(rfd, out, outlen - 1);
	ck_assert_int_gt(n, 0);
	out[n] = '\0';
	log_close();
}

START_TEST(test_stderr_styles)
{
	char out[1024], *slave;
	int p[2], m, sfd;
	json_object *o;

	/* a pipe: JSON */
	ck_assert_int_eq(pipe(p), 0);
	stderr_line(p[1], p[0], 0, out, sizeof(out));
	o = json_tokener_parse(out);
	ck_assert_msg(o != NULL, "not JSON: %s", out);
	ck_assert_str_eq(field(o, "msg"), "hello 7");
	json_object_put(o);
	/* the same pipe as the journal's stream: a priority prefix, then JSON */
	stderr_line(p[1], p[0], 1, out, sizeof(out));
	ck_assert_msg(strncmp(out, "<4>{", 4) == 0, "%s", out);
	o = json_tokener_parse(out + 3);
	ck_assert_msg(o != NULL, "not JSON after the prefix: %s", out);
	ck_assert_str_eq(field(o, "reason"), "why");
	json_object_put(o);
	close(p[0]);
	close(p[1]);
	/* a terminal: text */
	ck_assert_int_ge(m = posix_openpt(O_RDWR | O_NOCTTY), 0);
	ck_assert_int_eq(grantpt(m), 0);
	ck_assert_int_eq(unlockpt(m), 0);
	ck_assert_ptr_nonnull(slave = ptsname(m));
	ck_assert_int_ge(sfd = open(slave, O_RDWR | O_NOCTTY), 0);
	stderr_line(sfd, m, 0, out, sizeof(out));
	ck_assert_msg(strncmp(out, "check: warn: hello 7 (why)", 26) == 0, "%s", out);
	close(sfd);
	close(m);
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fields);
	tcase_add_test(tc, test_levels);
	tcase_add_test(tc, test_long_message);
	tcase_add_test(tc, test_init_error);
	suite_add_tcase(s, tc);
	tc = tcase_create("rotation");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rotation);
	tcase_add_test(tc, test_reopen);
	tcase_add_test(tc, test_reopen_fails);
	suite_add_tcase(s, tc);
	tc = tcase_create("stderr");
	tcase_add_test(tc, test_stderr_styles);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(log_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
