/*
 * check_ndjson.c: NDJSON framing (common/ndjson.c).
 *
 * core:   lines in one feed, split at every byte, CR stripped, empty lines
 * limits: an over-long line is reported once, in its place, with its
 *         length, and the next line frames normally; memory stays bounded
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ndjson.h"

/* Feeds in (with chunk-byte pieces, 0 = all at once) and collects the items
 * as text: each line as itself, each over-long line as "<TOO_LONG n>",
 * joined with '|'. */
static char *
frame(size_t line_max, const char *in, size_t len, size_t chunk)
{
	struct ndjson *nj = ndjson_new(line_max);
	static char out[65536];
	enum ndjson_status st;
	const char *line;
	size_t off = 0, n, ll;

	ck_assert_ptr_nonnull(nj);
	out[0] = '\0';
	if (chunk == 0)
		chunk = len ? len : 1;
	while (off < len) {
		n = len - off < chunk ? len - off : chunk;
		ck_assert_int_eq(ndjson_feed(nj, in + off, n), 0);
		off += n;
		while ((st = ndjson_next(nj, &line, &ll)) != NDJSON_NEED_MORE) {
			if (out[0] != '\0')
				strcat(out, "|");
			if (st == NDJSON_LINE)
				strncat(out, line, ll);
			else
				sprintf(out + strlen(out), "<TOO_LONG %zu>", ll);
		}
		/* Bounded: never more than line_max plus one feed. */
		ck_assert_uint_le(ndjson_pending(nj), line_max + chunk);
	}
	ndjson_free(nj);
	return out;
}

static const struct {
	size_t line_max;
	const char *in;
	const char *want;
} cases[] = {
    {100, "a\nb\nc\n", "a|b|c"},
    {100, "a\r\nb\r\n", "a|b"},
    {100, "a\n\nb\n", "a||b"},
    {100, "partial", ""},
    {100, "x\npartial", "x"},
    {100, "a\rb\n", "a\rb"},
    {5, "12345\n123456\nok\n", "12345|<TOO_LONG 6>|ok"},
    {5, "1234567890123\nok\n", "<TOO_LONG 13>|ok"},
    {5, "a\n1234567890123\n1234567\nb\n", "a|<TOO_LONG 13>|<TOO_LONG 7>|b"},
    {3, "abcdefghijklmnopqrstuvwxyz0123456789\nz\n", "<TOO_LONG 36>|z"},
};

START_TEST(test_frames)
{
	size_t len = strlen(cases[_i].in), chunk;

	/* All at once and in every chunk size: the same items. */
	for (chunk = 0; chunk <= len; chunk++)
		ck_assert_msg(strcmp(frame(cases[_i].line_max, cases[_i].in, len, chunk),
				     cases[_i].want) == 0,
			      "case %d chunk %zu: got '%s' want '%s'", _i, chunk,
			      frame(cases[_i].line_max, cases[_i].in, len, chunk), cases[_i].want);
}
END_TEST

START_TEST(test_huge_line_bounded)
{
	struct ndjson *nj = ndjson_new(1024);
	char chunk[4096];
	const char *line;
	size_t len, i;

	memset(chunk, 'x', sizeof(chunk));
	/* 40 MB without a newline: memory stays at line_max + one feed. */
	for (i = 0; i < 10000; i++) {
		ck_assert_int_eq(ndjson_feed(nj, chunk, sizeof(chunk)), 0);
		ck_assert_int_eq(ndjson_next(nj, &line, &len), NDJSON_NEED_MORE);
		ck_assert_uint_le(ndjson_pending(nj), 1024 + sizeof(chunk));
	}
	ck_assert_int_eq(ndjson_feed(nj, "\n{\"ok\":1}\n", 10), 0);
	ck_assert_int_eq(ndjson_next(nj, &line, &len), NDJSON_TOO_LONG);
	ck_assert_uint_eq(len, 10000 * sizeof(chunk));
	ck_assert_int_eq(ndjson_next(nj, &line, &len), NDJSON_LINE);
	ck_assert_uint_eq(len, 8);
	ck_assert(memcmp(line, "{\"ok\":1}", 8) == 0);
	ck_assert_int_eq(ndjson_next(nj, &line, &len), NDJSON_NEED_MORE);
	ck_assert_uint_eq(ndjson_pending(nj), 0);
	ndjson_free(nj);
	ndjson_free(NULL);
}
END_TEST

START_TEST(test_binary)
{
	struct ndjson *nj = ndjson_new(16);
	const char *line;
	size_t len;

	ck_assert_int_eq(ndjson_feed(nj, "a\0b\n", 4), 0);
	ck_assert_int_eq(ndjson_next(nj, &line, &len), NDJSON_LINE);
	ck_assert_uint_eq(len, 3);
	ck_assert(memcmp(line, "a\0b", 3) == 0);
	ndjson_free(nj);
}
END_TEST

START_TEST(test_scan)
{
	size_t next = 0;

	ck_assert_uint_eq(ndjson_scan("abc\ndef", 7, &next), 3);
	ck_assert_uint_eq(next, 4);
	ck_assert_uint_eq(ndjson_scan("\n", 1, &next), 0);
	ck_assert_uint_eq(next, 1);
	ck_assert_uint_eq(ndjson_scan("abc", 3, &next), (size_t)-1);
	ck_assert_uint_eq(ndjson_scan("", 0, &next), (size_t)-1);
}
END_TEST

static Suite *
ndjson_suite(void)
{
	Suite *s = suite_create("ndjson");
	TCase *tc;

	tc = tcase_create("core");
	tcase_add_loop_test(tc, test_frames, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_binary);
	tcase_add_test(tc, test_scan);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_add_test(tc, test_huge_line_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ndjson_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
