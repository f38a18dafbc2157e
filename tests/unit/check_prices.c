/*
 * check_prices.c: the price table (event-usage/prices.c, contrib/prices.conf).
 *
 * match:     model ids against the shipped table: exact wins, then the
 *            longest pattern; provider spellings; unknown models
 * cost:      integer nano-dollars, the 1-hour cache-write split, Claude
 *            Code's own total for a scripted session, overflow
 * files:     the user's file searched first; malformed rows refused with
 *            file and line, the table left as it was
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "usage.h"

#define SHIPPED "contrib/prices.conf"

static const struct {
	const char *model;
	const char *pattern; /* NULL: no price */
	int64_t input_nano;  /* the row's input rate, nano-dollars per token */
} matches[] = {
    {"claude-opus-5-5", "*claude-opus-5-5*", 4000},
    {"claude-opus-5", "*claude-opus-5*", 5000},
    {"claude-opus-4-5-20251101", "*claude-opus-4-5*", 5000},
    {"claude-opus-4-20250514", "*claude-opus-4-20250514*", 15000},
    {"claude-opus-4-1-20250805", "*claude-opus-4-1*", 15000},
    {"claude-sonnet-4-5-20250929", "*claude-sonnet-4-5*", 3000},
    {"us.anthropic.claude-sonnet-4-5-20250929-v1:0", "*claude-sonnet-4-5*", 3000},
    {"claude-haiku-4-5@20251001", "*claude-haiku-4-5*", 1000},
    {"claude-3-5-haiku-20241022", "*claude-3-5-haiku*", 800},
    {"claude-3-haiku-20240307", "*claude-3-haiku*", 250},
    {"claude-haiku-5-5", "*claude-haiku-5-5*", 100},
    {"claude-sonnet-5-5", "*claude-sonnet-5-5*", 2000},
    {"claude-fable-5-2", "*claude-fable-5-2*", 8000},
    {"gpt-4o", NULL, 0},
    {"claude-unknown-9", NULL, 0},
    {"", NULL, 0},
};

START_TEST(test_match)
{
	struct prices *ps = prices_new();
	struct prices_match pm;
	char err[512];

	ck_assert_int_eq(prices_load(ps, SHIPPED, err, sizeof(err)), 0);
	ck_assert_uint_ge(prices_count(ps), 25);
	if (matches[_i].pattern == NULL) {
		ck_assert_int_eq(prices_find(ps, matches[_i].model, &pm), -1);
	} else {
		ck_assert_int_eq(prices_find(ps, matches[_i].model, &pm), 0);
		ck_assert_str_eq(pm.pm_pattern, matches[_i].pattern);
		ck_assert_str_eq(pm.pm_file, SHIPPED);
		ck_assert_int_gt(pm.pm_line, 0);
		ck_assert_int_eq(pm.pm_rate[PRICES_INPUT], matches[_i].input_nano);
	}
	prices_free(ps);
}
END_TEST

START_TEST(test_cost)
{
	struct prices *ps = prices_new();
	struct prices_match pm;
	char err[512];
	int64_t nano;

	ck_assert_int_eq(prices_load(ps, SHIPPED, err, sizeof(err)), 0);
	/* Claude Code 2.1.332 reported total_cost_usd 1.5312528 for these */
	ck_assert_int_eq(prices_find(ps, "claude-opus-5-5", &pm), 0);
	ck_assert_int_eq(prices_cost(&pm, 9612, 1368, 183636, 0, 2736324, &nano), 0);
	ck_assert_int_eq(nano, 1531252800);
	/* 1-hour cache writes at their own rate */
	ck_assert_int_eq(prices_find(ps, "claude-sonnet-4-5-20250929", &pm), 0);
	ck_assert_int_eq(prices_cost(&pm, 0, 0, 1000, 400, 0, &nano), 0);
	ck_assert_int_eq(nano, 600 * 3750 + 400 * 6000);
	ck_assert_int_eq(prices_cost(&pm, 1, 1, 0, 0, 10, &nano), 0);
	ck_assert_int_eq(nano, 3000 + 15000 + 10 * 300);
	/* cw1h is part of cw: never more */
	ck_assert_int_eq(prices_cost(&pm, 0, 0, 10, 50, 0, &nano), 0);
	ck_assert_int_eq(nano, 10 * 6000);
	/* overflow and negative counts: no cost rather than a wrong one */
	ck_assert_int_eq(prices_cost(&pm, INT64_MAX / 2, 0, 0, 0, 0, &nano), -1);
	ck_assert_int_eq(prices_cost(&pm, -1, 0, 0, 0, 0, &nano), -1);
	ck_assert_str_eq(prices_rate_name(PRICES_CW1H), "cache_write_1h");
	prices_free(ps);
}
END_TEST

static char dir[4000];

static const char *
file(const char *name, const char *text)
{
	static char p[4100];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fp = fopen(p, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
	return p;
}

static void
setup(void)
{
	const char *base = getenv("HOOKWIRE_TEST_TMP");

	snprintf(dir, sizeof(dir), "%s/check_prices.XXXXXX", base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[4100];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return;
}

static const struct {
	const char *text;
	const char *err; /* expected in the message */
} bad[] = {
    {"m 1 2 3 4\n", "bad.conf:1: expected a model pattern and 5 rates"},
    {"# c\n\nm 1 2 3 4 5 6\n", "bad.conf:3: expected"},
    {"m 1 2 3 4 1.2345\n", "bad.conf:1: cache_read rate 1.2345"},
    {"m -1 2 3 4 5\n", "bad.conf:1: input rate -1"},
    {"m 1 x 3 4 5\n", "bad.conf:1: output rate x"},
    {"m 1 2 1e3 4 5\n", "bad.conf:1: cache_write_5m rate 1e3"},
    {"m 1 2 3 4. 5\n", "bad.conf:1: cache_write_1h rate 4."},
    {"m 1 2 3 4 100001\n", "bad.conf:1: cache_read rate 100001"},
    {"a*b 1 2 3 4 5\n", "bad.conf:1: a*b: not a model id or pattern"},
    {"* 1 2 3 4 5\n", "bad.conf:1: *: not a model id"},
    {"m 1 2 3 4 5\nm 1 2 3 4 5\n", "bad.conf:2: m: already on line 1"},
};

START_TEST(test_bad)
{
	struct prices *ps = prices_new();
	char err[512];
	const char *p = file("bad.conf", bad[_i].text);
	size_t n;

	ck_assert_int_eq(prices_load(ps, SHIPPED, err, sizeof(err)), 0);
	n = prices_count(ps);
	ck_assert_int_eq(prices_load(ps, p, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, bad[_i].err) != NULL, "got \"%s\", want \"%s\"", err,
		      bad[_i].err);
	/* the table is as it was */
	ck_assert_uint_eq(prices_count(ps), n);
	prices_free(ps);
}
END_TEST

START_TEST(test_user_first)
{
	struct prices *ps = prices_new(), *ps2;
	struct prices_match pm;
	char err[512];
	const char *user =
	    file("user.conf", "# mine\n*claude-opus-5-5*  1 2 3 4 5.5  # negotiated\n"
			      "my-gateway-model 0.001 0 0 0 0\n");
	size_t n;

	ck_assert_int_eq(prices_load(ps, user, err, sizeof(err)), 0);
	ck_assert_int_eq(prices_load(ps, SHIPPED, err, sizeof(err)), 0);
	ck_assert_int_eq(prices_find(ps, "claude-opus-5-5", &pm), 0);
	ck_assert_str_eq(pm.pm_file, user);
	ck_assert_int_eq(pm.pm_line, 2);
	ck_assert_int_eq(pm.pm_rate[PRICES_CR], 5500);
	/* the user's file has nothing for it: the shipped row */
	ck_assert_int_eq(prices_find(ps, "claude-opus-4-5-20251101", &pm), 0);
	ck_assert_str_eq(pm.pm_file, SHIPPED);
	ck_assert_int_eq(prices_find(ps, "my-gateway-model", &pm), 0);
	ck_assert_int_eq(pm.pm_rate[PRICES_INPUT], 1);
	/* a bad second file leaves the first one's rows */
	ps2 = prices_new();
	ck_assert_int_eq(prices_load(ps2, user, err, sizeof(err)), 0);
	n = prices_count(ps2);
	ck_assert_int_eq(prices_load(ps2, file("b.conf", "x 1\n"), err, sizeof(err)), -1);
	ck_assert_uint_eq(prices_count(ps2), n);
	ck_assert_int_eq(prices_find(ps2, "claude-opus-5-5", &pm), 0);
	ck_assert_int_eq(prices_load(ps2, "/nonexistent/prices.conf", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/nonexistent/prices.conf: No such file or directory");
	prices_free(ps2);
	prices_free(ps);
}
END_TEST

static Suite *
prices_suite(void)
{
	Suite *s = suite_create("prices");
	TCase *tc = tcase_create("match");

	tcase_add_loop_test(tc, test_match, 0, sizeof(matches) / sizeof(matches[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("cost");
	tcase_add_test(tc, test_cost);
	suite_add_tcase(s, tc);
	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_user_first);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(prices_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
