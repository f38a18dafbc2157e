/*
 * check_redisurl.c: the Redis URL parser (common/redisurl.c) that
 * event-relay and ws-gateway's Redis source share.
 *
 * core:       host, port, database, credentials, IPv6, TLS scheme
 * malformed:  every bad URL is refused, and the message never holds the password
 */
#include <check.h>
#include <string.h>

#include "redisurl.h"

static const struct {
	const char *url;
	const char *host;
	int port, db, tls;
	const char *user, *pass;
} good[] = {
    {"redis://127.0.0.1", "127.0.0.1", 6379, 0, 0, "", ""},
    {"redis://localhost:6380", "localhost", 6380, 0, 0, "", ""},
    {"redis://r.example.com:7000/3", "r.example.com", 7000, 3, 0, "", ""},
    {"redis://:s3cret@h/0", "h", 6379, 0, 0, "", "s3cret"},
    {"redis://relay:p%40ss%3Aw@h:1/2", "h", 1, 2, 0, "relay", "p@ss:w"},
    {"redis://[::1]:6379/1", "::1", 6379, 1, 0, "", ""},
    {"redis://[::1]", "::1", 6379, 0, 0, "", ""},
    {"rediss://h:6380", "h", 6380, 0, 1, "", ""},
    {"redis://h/", "h", 6379, 0, 0, "", ""},
};

static const char *bad[] = {
    "",
    "http://h",
    "redis://",
    "redis://:6379",
    "redis://h:0",
    "redis://h:65536",
    "redis://h:x",
    "redis://h/x",
    "redis://user@h",
    "redis://u:@h",
    "redis://[::1",
    "redis://[::1]x",
    "redis://h o",
    "redis://u:p%zz@h",
    "redis://u:p%00@h",
    "redis://u:p%4@h",
};

START_TEST(test_good)
{
	struct redisurl u;
	char err[256];

	ck_assert_msg(redisurl_parse(good[_i].url, &u, err, sizeof(err)) == 0, "%s: %s",
		      good[_i].url, err);
	ck_assert_str_eq(u.ru_host, good[_i].host);
	ck_assert_int_eq(u.ru_port, good[_i].port);
	ck_assert_int_eq(u.ru_db, good[_i].db);
	ck_assert_int_eq(u.ru_tls, good[_i].tls);
	ck_assert_str_eq(u.ru_user, good[_i].user);
	ck_assert_str_eq(u.ru_pass, good[_i].pass);
}
END_TEST

START_TEST(test_bad)
{
	struct redisurl u;
	char err[256] = "";

	ck_assert_msg(redisurl_parse(bad[_i], &u, err, sizeof(err)) == -1, "%s accepted", bad[_i]);
	ck_assert(err[0] != '\0');
	ck_assert_ptr_null(strstr(err, "p%"));
}
END_TEST

START_TEST(test_no_password_in_error)
{
	struct redisurl u;
	char err[256] = "";

	ck_assert_int_eq(redisurl_parse("redis://u:hunter2@h:99999", &u, err, sizeof(err)), -1);
	ck_assert_ptr_null(strstr(err, "hunter2"));
}
END_TEST

static Suite *
redisurl_suite(void)
{
	Suite *s = suite_create("redisurl");
	TCase *tc;

	tc = tcase_create("core");
	tcase_add_loop_test(tc, test_good, 0, (int)(sizeof(good) / sizeof(good[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("malformed");
	tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_no_password_in_error);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(redisurl_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
