/*
 * check_dedup.c: the router's duplicate tables (event-router/dedup.c).
 *
 * core:    an id seen before gives its seq; content within the window is a
 *          duplicate, after the window it is not; the key covers session,
 *          event, tool_use_id and data
 * limits:  the id table keeps the newest dedup_ids ids (oldest evicted);
 *          0 disables; forgetting a failed batch; many keys (hash churn)
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"

static void
id_of(unsigned n, char out[EVENT_ID_LEN + 1])
{
	snprintf(out, EVENT_ID_LEN + 1, "%016x%016x", n * 2654435761u, n);
}

START_TEST(test_ids)
{
	struct dedup *d = dedup_new(16, 2000000);
	struct dedup_key k, k2;
	char id[EVENT_ID_LEN + 1];
	uint64_t seq = 0;

	ck_assert_ptr_nonnull(d);
	id_of(1, id);
	dedup_id_key(id, EVENT_ID_LEN, &k);
	ck_assert_int_eq(dedup_id_find(d, &k, &seq), 0);
	dedup_id_add(d, &k, 42);
	ck_assert_int_eq(dedup_id_find(d, &k, &seq), 1);
	ck_assert_uint_eq(seq, 42);
	/* upper and lower case hex are the same id; another string is hashed */
	dedup_id_key("0000000000000001000000000000000A", EVENT_ID_LEN, &k);
	dedup_id_key("0000000000000001000000000000000a", EVENT_ID_LEN, &k2);
	ck_assert(k.k_hi == k2.k_hi && k.k_lo == k2.k_lo);
	dedup_id_key("not-an-id", 9, &k2);
	ck_assert_int_eq(dedup_id_find(d, &k2, &seq), 0);
	dedup_free(d);
}
END_TEST

START_TEST(test_eviction)
{
	struct dedup *d = dedup_new(100, 0);
	struct dedup_key k;
	char id[EVENT_ID_LEN + 1];
	uint64_t seq;
	unsigned i;

	for (i = 1; i <= 1000; i++) {
		id_of(i, id);
		dedup_id_key(id, EVENT_ID_LEN, &k);
		dedup_id_add(d, &k, i);
	}
	ck_assert_uint_eq(dedup_ids_count(d), 100);
	for (i = 1; i <= 1000; i++) {
		id_of(i, id);
		dedup_id_key(id, EVENT_ID_LEN, &k);
		ck_assert_int_eq(dedup_id_find(d, &k, &seq), i > 900);
		if (i > 900)
			ck_assert_uint_eq(seq, i);
	}
	dedup_free(d);
	/* 0: no id dedup */
	d = dedup_new(0, 0);
	ck_assert_ptr_nonnull(d);
	dedup_id_key(id, EVENT_ID_LEN, &k);
	dedup_id_add(d, &k, 1);
	ck_assert_int_eq(dedup_id_find(d, &k, &seq), 0);
	dedup_free(d);
}
END_TEST

START_TEST(test_content)
{
	struct dedup *d = dedup_new(64, 2000000);
	struct dedup_key a, b;
	uint64_t seq = 0;

	dedup_content_key("s1", "PreToolUse", "tu1", "{\"x\":1}", 7, &a);
	ck_assert_int_eq(dedup_content_find(d, &a, 1000000, &seq), 0);
	dedup_content_add(d, &a, 1000000, 7);
	ck_assert_int_eq(dedup_content_find(d, &a, 2500000, &seq), 1);
	ck_assert_uint_eq(seq, 7);
	ck_assert_int_eq(dedup_content_find(d, &a, 3000001, &seq), 0); /* window passed */
	/* every part of the key matters */
	dedup_content_add(d, &a, 4000000, 8);
	dedup_content_key("s2", "PreToolUse", "tu1", "{\"x\":1}", 7, &b);
	ck_assert_int_eq(dedup_content_find(d, &b, 4000001, &seq), 0);
	dedup_content_key("s1", "PostToolUse", "tu1", "{\"x\":1}", 7, &b);
	ck_assert_int_eq(dedup_content_find(d, &b, 4000001, &seq), 0);
	dedup_content_key("s1", "PreToolUse", NULL, "{\"x\":1}", 7, &b);
	ck_assert_int_eq(dedup_content_find(d, &b, 4000001, &seq), 0);
	dedup_content_key("s1", "PreToolUse", "tu1", "{\"x\":2}", 7, &b);
	ck_assert_int_eq(dedup_content_find(d, &b, 4000001, &seq), 0);
	/* parts do not run into each other */
	dedup_content_key("s1P", "reToolUse", "tu1", "{\"x\":1}", 7, &b);
	ck_assert_int_eq(dedup_content_find(d, &b, 4000001, &seq), 0);
	dedup_free(d);
	/* window 0: off */
	d = dedup_new(64, 0);
	dedup_content_add(d, &a, 1, 1);
	ck_assert_int_eq(dedup_content_find(d, &a, 1, &seq), 0);
	dedup_free(d);
}
END_TEST

START_TEST(test_forget)
{
	struct dedup *d = dedup_new(64, 2000000);
	struct dedup_key k[10];
	char id[EVENT_ID_LEN + 1];
	uint64_t seq;
	unsigned i;

	for (i = 0; i < 10; i++) {
		id_of(i + 1, id);
		dedup_id_key(id, EVENT_ID_LEN, &k[i]);
		dedup_id_add(d, &k[i], i + 1);
		dedup_content_add(d, &k[i], 5, i + 1);
	}
	dedup_forget_from(d, 6);
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(dedup_id_find(d, &k[i], &seq), i + 1 < 6);
		ck_assert_int_eq(dedup_content_find(d, &k[i], 5, &seq), i + 1 < 6);
	}
	dedup_free(d);
}
END_TEST

START_TEST(test_churn)
{
	/* many more keys than slots, with re-adds: the hash stays consistent */
	struct dedup *d = dedup_new(1000, 1000);
	struct dedup_key k;
	char id[EVENT_ID_LEN + 1];
	uint64_t seq;
	unsigned i;

	for (i = 1; i <= 200000; i++) {
		id_of(i % 3000, id);
		dedup_id_key(id, EVENT_ID_LEN, &k);
		if (!dedup_id_find(d, &k, &seq))
			dedup_id_add(d, &k, i);
		dedup_content_add(d, &k, (int64_t)i, i);
	}
	for (i = 0; i < 3000; i++) {
		id_of(i, id);
		dedup_id_key(id, EVENT_ID_LEN, &k);
		(void)dedup_id_find(d, &k, &seq);
	}
	ck_assert_uint_le(dedup_ids_count(d), 1000);
	dedup_free(d);
}
END_TEST

static Suite *
dedup_suite(void)
{
	Suite *s = suite_create("dedup");
	TCase *tc = tcase_create("core");
	TCase *tl = tcase_create("limits");

	tcase_add_test(tc, test_ids);
	tcase_add_test(tc, test_content);
	tcase_add_test(tl, test_eviction);
	tcase_add_test(tl, test_forget);
	tcase_add_test(tl, test_churn);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tl);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(dedup_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
