/*
 * check_eio.c: Engine.IO v4 packets (ws-gateway/eio.c).
 *
 * core:       text packets, polling payloads with \x1e and 'b' base64,
 *             the open packet, base64 both ways, session ids
 * malformed:  bad packet types, empty packets, bad base64
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "eio.h"

START_TEST(test_text)
{
	struct eio_packet p;

	ck_assert_int_eq(eio_decode_text("4hello", 6, &p), 0);
	ck_assert_int_eq(p.type, EIO_MESSAGE);
	ck_assert_uint_eq(p.len, 5);
	ck_assert(memcmp(p.data, "hello", 5) == 0);
	ck_assert_int_eq(eio_decode_text("2probe", 6, &p), 0);
	ck_assert_int_eq(p.type, EIO_PING);
	ck_assert_int_eq(eio_decode_text("6", 1, &p), 0);
	ck_assert_int_eq(p.type, EIO_NOOP);
	ck_assert_uint_eq(p.len, 0);
}
END_TEST

START_TEST(test_payload)
{
	const char *body = "4hello\x1e"
			   "bAQIDBA==\x1e"
			   "2\x1e"
			   "4";
	char scratch[64];
	struct eio_packet p;
	size_t off = 0, len = strlen(body);

	ck_assert_int_eq(eio_payload_next(body, len, &off, &p, scratch), 1);
	ck_assert_int_eq(p.type, EIO_MESSAGE);
	ck_assert_int_eq(p.binary, 0);
	ck_assert_uint_eq(p.len, 5);
	ck_assert_int_eq(eio_payload_next(body, len, &off, &p, scratch), 1);
	ck_assert_int_eq(p.binary, 1);
	ck_assert_uint_eq(p.len, 4);
	ck_assert(memcmp(p.data, "\x01\x02\x03\x04", 4) == 0);
	ck_assert_int_eq(eio_payload_next(body, len, &off, &p, scratch), 1);
	ck_assert_int_eq(p.type, EIO_PING);
	ck_assert_int_eq(eio_payload_next(body, len, &off, &p, scratch), 1);
	ck_assert_int_eq(p.type, EIO_MESSAGE);
	ck_assert_uint_eq(p.len, 0);
	ck_assert_int_eq(eio_payload_next(body, len, &off, &p, scratch), 0);
}
END_TEST

START_TEST(test_open)
{
	char out[256];
	int n = eio_open_json(out, sizeof(out), "abc", 1, 300, 200, 1000000);

	ck_assert_int_gt(n, 0);
	ck_assert_str_eq(out, "{\"sid\":\"abc\",\"upgrades\":[\"websocket\"],\"pingInterval\":300,"
			      "\"pingTimeout\":200,\"maxPayload\":1000000}");
	eio_open_json(out, sizeof(out), "abc", 0, 300, 200, 1000000);
	ck_assert_ptr_nonnull(strstr(out, "\"upgrades\":[]"));
	ck_assert_int_eq(eio_open_json(out, 10, "abc", 0, 300, 200, 1000000), -1);
}
END_TEST

static const struct {
	const char *raw;
	size_t len;
	const char *b64;
} b64[] = {
    {"", 0, ""},	{"f", 1, "Zg=="},	 {"fo", 2, "Zm8="},
    {"foo", 3, "Zm9v"}, {"foob", 4, "Zm9vYg=="}, {"\x00\xff\xfe", 3, "AP/+"},
};

START_TEST(test_b64)
{
	char enc[64];
	unsigned char dec[64];
	long n;

	ck_assert_uint_eq(eio_b64_encode((const unsigned char *)b64[_i].raw, b64[_i].len, enc),
			  strlen(b64[_i].b64));
	ck_assert_str_eq(enc, b64[_i].b64);
	n = eio_b64_decode(b64[_i].b64, strlen(b64[_i].b64), dec);
	ck_assert_int_eq(n, (long)b64[_i].len);
	ck_assert(memcmp(dec, b64[_i].raw, b64[_i].len) == 0);
}
END_TEST

START_TEST(test_sid)
{
	char a[EIO_SID_LEN + 1], b[EIO_SID_LEN + 1];
	size_t i;

	eio_new_sid(a);
	eio_new_sid(b);
	ck_assert_uint_eq(strlen(a), EIO_SID_LEN);
	ck_assert_str_ne(a, b);
	for (i = 0; i < EIO_SID_LEN; i++)
		ck_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
				 a[i]) != NULL);
}
END_TEST

static const char *bad_text[] = {"", "7", "9hello", "abc", "x", "\x1e"};

/* The sid of a pid: the same for the same pid, of the sid alphabet, another for another pid. */
START_TEST(test_sid_of_pid)
{
	char a[EIO_SID_LEN + 1], b[EIO_SID_LEN + 1], c[EIO_SID_LEN + 1];
	size_t i;

	eio_sid_of_pid("abcdefghij0123456789", 20, a);
	eio_sid_of_pid("abcdefghij0123456789", 20, b);
	eio_sid_of_pid("abcdefghij012345678A", 20, c);
	ck_assert_str_eq(a, b);
	ck_assert_str_ne(a, c);
	ck_assert_uint_eq(strlen(a), EIO_SID_LEN);
	ck_assert_ptr_null(strstr(a, "abcdefghij"));
	for (i = 0; i < EIO_SID_LEN; i++)
		ck_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
				 a[i]) != NULL);
}
END_TEST

START_TEST(test_bad_text)
{
	struct eio_packet p;

	ck_assert_int_eq(eio_decode_text(bad_text[_i], strlen(bad_text[_i]), &p), -1);
}
END_TEST

static const char *bad_payload[] = {"abc",
				    "4ok\x1e"
				    "8",
				    "b!!!!", "bA",
				    "4a\x1e\x1e"
				    "4b"};

START_TEST(test_bad_payload)
{
	char scratch[64];
	struct eio_packet p;
	size_t off = 0, len = strlen(bad_payload[_i]);
	int r;

	while ((r = eio_payload_next(bad_payload[_i], len, &off, &p, scratch)) == 1)
		;
	ck_assert_int_eq(r, -1);
}
END_TEST

static Suite *
eio_suite(void)
{
	Suite *s = suite_create("eio");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_text);
	tcase_add_test(tc, test_payload);
	tcase_add_test(tc, test_open);
	tcase_add_loop_test(tc, test_b64, 0, sizeof(b64) / sizeof(b64[0]));
	tcase_add_test(tc, test_sid);
	tcase_add_test(tc, test_sid_of_pid);
	suite_add_tcase(s, tc);
	tc = tcase_create("malformed");
	tcase_add_loop_test(tc, test_bad_text, 0, sizeof(bad_text) / sizeof(bad_text[0]));
	tcase_add_loop_test(tc, test_bad_payload, 0, sizeof(bad_payload) / sizeof(bad_payload[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(eio_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
