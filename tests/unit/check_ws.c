/*
 * check_ws.c: RFC 6455 frames (ws-gateway/ws.c).
 *
 * core:       accept key (RFC 6455 section 1.3 example), masked text and
 *             binary frames, 16- and 64-bit lengths, fragmentation,
 *             control frames between fragments, server headers, UTF-8
 * malformed:  unmasked client frames, reserved bits, bad opcodes, control
 *             frames over 125 bytes or fragmented, bad continuation order,
 *             invalid UTF-8 (also split across fragments), bad close codes,
 *             a 1-byte close payload, non-minimal lengths, maxPayload
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "ws.h"

static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};

/* Builds a masked client frame into out; returns its length. */
static size_t
frame(uint8_t *out, int b0, const void *payload, size_t len, int masked)
{
	size_t o = 0, i;

	out[o++] = (uint8_t)b0;
	if (len < 126)
		out[o++] = (uint8_t)((masked ? 0x80 : 0) | len);
	else if (len <= 0xffff) {
		out[o++] = (uint8_t)((masked ? 0x80 : 0) | 126);
		out[o++] = (uint8_t)(len >> 8);
		out[o++] = (uint8_t)len;
	} else {
		out[o++] = (uint8_t)((masked ? 0x80 : 0) | 127);
		for (i = 0; i < 8; i++)
			out[o++] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
	}
	if (masked) {
		memcpy(out + o, mask, 4);
		o += 4;
	}
	for (i = 0; i < len; i++)
		out[o + i] = ((const uint8_t *)payload)[i] ^ (masked ? mask[i & 3] : 0);
	return o + len;
}

START_TEST(test_accept)
{
	char out[WS_ACCEPT_LEN + 1];
	const char *key = "dGhlIHNhbXBsZSBub25jZQ==";

	ck_assert_int_eq(ws_accept(key, strlen(key), out), 0);
	ck_assert_str_eq(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	ck_assert_int_eq(ws_accept("", 0, out), -1);
}
END_TEST

START_TEST(test_text)
{
	uint8_t buf[64];
	struct ws_reader r;
	struct ws_frame f;
	size_t need, n = frame(buf, 0x81, "4hello", 6, 1);

	ws_reader_init(&r, 1000);
	ck_assert_int_eq(ws_read(&r, buf, 3, &f, &need), WS_NEED_MORE);
	ck_assert_uint_eq(need, n);
	ck_assert_int_eq(ws_read(&r, buf, n, &f, &need), WS_FRAME);
	ck_assert_int_eq(f.opcode, WS_OP_TEXT);
	ck_assert_int_eq(f.fin, 1);
	ck_assert_uint_eq(f.len, 6);
	ck_assert_uint_eq(f.consumed, n);
	ck_assert(memcmp(f.data, "4hello", 6) == 0);
}
END_TEST

START_TEST(test_lengths)
{
	static uint8_t payload[70000], buf[70100];
	struct ws_reader r;
	struct ws_frame f;
	size_t need, n, sizes[] = {125, 126, 65535, 65536, 70000}, i;

	memset(payload, 'x', sizeof(payload));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ws_reader_init(&r, 100000);
		n = frame(buf, 0x82, payload, sizes[i], 1);
		ck_assert_int_eq(ws_read(&r, buf, n, &f, &need), WS_FRAME);
		ck_assert_uint_eq(f.len, sizes[i]);
		ck_assert_int_eq(f.data[sizes[i] - 1], 'x');
	}
}
END_TEST

START_TEST(test_fragments)
{
	uint8_t buf[256];
	struct ws_reader r;
	struct ws_frame f;
	size_t need, n, o = 0;
	/* "hé" split inside the two-byte sequence, with a ping in between */
	const uint8_t a[] = {'h', 0xc3}, b[] = {0xa9};

	ws_reader_init(&r, 1000);
	n = frame(buf, 0x01, a, 2, 1);
	ck_assert_int_eq(ws_read(&r, buf, n, &f, &need), WS_FRAME);
	ck_assert_int_eq(f.fin, 0);
	ck_assert_int_eq(f.opcode, WS_OP_TEXT);
	o = frame(buf, 0x89, "p", 1, 1);
	ck_assert_int_eq(ws_read(&r, buf, o, &f, &need), WS_FRAME);
	ck_assert_int_eq(f.control, 1);
	ck_assert_int_eq(f.opcode, WS_OP_PING);
	n = frame(buf, 0x80, b, 1, 1);
	ck_assert_int_eq(ws_read(&r, buf, n, &f, &need), WS_FRAME);
	ck_assert_int_eq(f.fin, 1);
	ck_assert_int_eq(f.opcode, WS_OP_TEXT);
}
END_TEST

START_TEST(test_close_ok)
{
	uint8_t buf[64], p[] = {0x03, 0xe8, 'b', 'y', 'e'};
	struct ws_reader r;
	struct ws_frame f;
	size_t need, n;

	ws_reader_init(&r, 1000);
	n = frame(buf, 0x88, p, sizeof(p), 1);
	ck_assert_int_eq(ws_read(&r, buf, n, &f, &need), WS_FRAME);
	ck_assert_int_eq(f.opcode, WS_OP_CLOSE);
	ck_assert_int_eq(f.close_code, 1000);
	n = frame(buf, 0x88, p, 0, 1);
	ck_assert_int_eq(ws_read(&r, buf, n, &f, &need), WS_FRAME);
	ck_assert_int_eq(f.close_code, 1005);
}
END_TEST

START_TEST(test_server_header)
{
	uint8_t h[10];

	ck_assert_uint_eq(ws_header(h, WS_OP_TEXT, 5), 2);
	ck_assert_int_eq(h[0], 0x81);
	ck_assert_int_eq(h[1], 5);
	ck_assert_uint_eq(ws_header(h, WS_OP_BINARY, 300), 4);
	ck_assert_int_eq(h[1], 126);
	ck_assert_int_eq((h[2] << 8) | h[3], 300);
	ck_assert_uint_eq(ws_header(h, WS_OP_TEXT, 70000), 10);
	ck_assert_int_eq(h[1], 127);
}
END_TEST

static const struct {
	const char *name;
	int b0;
	const char *payload;
	size_t len;
	int masked;
	int code;
	const char *reason;
} bad[] = {
    {"unmasked", 0x81, "4a", 2, 0, WS_CLOSE_PROTOCOL, "unmasked_frame"},
    {"rsv1", 0xc1, "4a", 2, 1, WS_CLOSE_PROTOCOL, "reserved_bits"},
    {"rsv2", 0xa1, "4a", 2, 1, WS_CLOSE_PROTOCOL, "reserved_bits"},
    {"rsv3", 0x91, "4a", 2, 1, WS_CLOSE_PROTOCOL, "reserved_bits"},
    {"opcode 3", 0x83, "x", 1, 1, WS_CLOSE_PROTOCOL, "bad_opcode"},
    {"opcode 7", 0x87, "x", 1, 1, WS_CLOSE_PROTOCOL, "bad_opcode"},
    {"opcode 0xb", 0x8b, "x", 1, 1, WS_CLOSE_PROTOCOL, "bad_opcode"},
    {"opcode 0xf", 0x8f, "x", 1, 1, WS_CLOSE_PROTOCOL, "bad_opcode"},
    {"fragmented ping", 0x09, "x", 1, 1, WS_CLOSE_PROTOCOL, "fragmented_control"},
    {"fragmented close", 0x08, "", 0, 1, WS_CLOSE_PROTOCOL, "fragmented_control"},
    {"continuation first", 0x80, "x", 1, 1, WS_CLOSE_PROTOCOL, "unexpected_continuation"},
    {"invalid utf8", 0x81, "\xff", 1, 1, WS_CLOSE_BAD_DATA, "invalid_utf8"},
    {"overlong utf8", 0x81, "\xc0\xaf", 2, 1, WS_CLOSE_BAD_DATA, "invalid_utf8"},
    {"surrogate utf8", 0x81, "\xed\xa0\x80", 3, 1, WS_CLOSE_BAD_DATA, "invalid_utf8"},
    {"beyond U+10FFFF", 0x81, "\xf4\x90\x80\x80", 4, 1, WS_CLOSE_BAD_DATA, "invalid_utf8"},
    {"truncated utf8", 0x81, "a\xe2\x82", 3, 1, WS_CLOSE_BAD_DATA, "invalid_utf8"},
    {"close 1 byte", 0x88, "\x03", 1, 1, WS_CLOSE_PROTOCOL, "bad_close_payload"},
    {"close code 999", 0x88, "\x03\xe7", 2, 1, WS_CLOSE_PROTOCOL, "bad_close_code"},
    {"close code 1004", 0x88, "\x03\xec", 2, 1, WS_CLOSE_PROTOCOL, "bad_close_code"},
    {"close code 1005", 0x88, "\x03\xed", 2, 1, WS_CLOSE_PROTOCOL, "bad_close_code"},
    {"close code 1006", 0x88, "\x03\xee", 2, 1, WS_CLOSE_PROTOCOL, "bad_close_code"},
    {"close code 1015", 0x88, "\x03\xf7", 2, 1, WS_CLOSE_PROTOCOL, "bad_close_code"},
    {"close code 5000", 0x88, "\x13\x88", 2, 1, WS_CLOSE_PROTOCOL, "bad_close_code"},
    {"close reason utf8", 0x88, "\x03\xe8\xff", 3, 1, WS_CLOSE_BAD_DATA, "invalid_utf8"},
};

START_TEST(test_malformed)
{
	uint8_t buf[256];
	struct ws_reader r;
	struct ws_frame f;
	size_t need, n = frame(buf, bad[_i].b0, bad[_i].payload, bad[_i].len, bad[_i].masked);

	ws_reader_init(&r, 1000);
	ck_assert_msg(ws_read(&r, buf, n, &f, &need) == WS_ERROR, "%s accepted", bad[_i].name);
	ck_assert_int_eq(f.close_code, bad[_i].code);
	ck_assert_str_eq(f.reason, bad[_i].reason);
}
END_TEST

START_TEST(test_control_too_long)
{
	uint8_t payload[126], buf[256];
	struct ws_reader r;
	struct ws_frame f;
	size_t need, n;

	memset(payload, 'p', sizeof(payload));
	ws_reader_init(&r, 1000);
	n = frame(buf, 0x89, payload, 126, 1);
	ck_assert_int_eq(ws_read(&r, buf, n, &f, &need), WS_ERROR);
	ck_assert_str_eq(f.reason, "control_too_long");
}
END_TEST

START_TEST(test_expected_continuation)
{
	uint8_t buf[64];
	struct ws_reader r;
	struct ws_frame f;
	size_t need, n;

	ws_reader_init(&r, 1000);
	n = frame(buf, 0x01, "ab", 2, 1);
	ck_assert_int_eq(ws_read(&r, buf, n, &f, &need), WS_FRAME);
	n = frame(buf, 0x81, "cd", 2, 1);
	ck_assert_int_eq(ws_read(&r, buf, n, &f, &need), WS_ERROR);
	ck_assert_str_eq(f.reason, "expected_continuation");
}
END_TEST

START_TEST(test_utf8_across_fragments_bad)
{
	uint8_t buf[64];
	const uint8_t a[] = {'a', 0xe2}, b[] = {0x28}; /* 0xe2 then a non-continuation byte */
	struct ws_reader r;
	struct ws_frame f;
	size_t need, n;

	ws_reader_init(&r, 1000);
	n = frame(buf, 0x01, a, 2, 1);
	ck_assert_int_eq(ws_read(&r, buf, n, &f, &need), WS_FRAME);
	n = frame(buf, 0x80, b, 1, 1);
	ck_assert_int_eq(ws_read(&r, buf, n, &f, &need), WS_ERROR);
	ck_assert_str_eq(f.reason, "invalid_utf8");
}
END_TEST

START_TEST(test_max_payload)
{
	static uint8_t payload[2000], buf[2100];
	struct ws_reader r;
	struct ws_frame f;
	size_t need, n;

	memset(payload, 'a', sizeof(payload));
	ws_reader_init(&r, 1000);
	n = frame(buf, 0x82, payload, 1001, 1);
	/* refused from the header alone, before the payload is buffered */
	ck_assert_int_eq(ws_read(&r, buf, 8, &f, &need), WS_ERROR);
	ck_assert_int_eq(f.close_code, WS_CLOSE_TOO_BIG);
	/* fragments adding up past the limit */
	ws_reader_init(&r, 1000);
	n = frame(buf, 0x02, payload, 600, 1);
	ck_assert_int_eq(ws_read(&r, buf, n, &f, &need), WS_FRAME);
	n = frame(buf, 0x80, payload, 600, 1);
	ck_assert_int_eq(ws_read(&r, buf, n, &f, &need), WS_ERROR);
	ck_assert_int_eq(f.close_code, WS_CLOSE_TOO_BIG);
}
END_TEST

START_TEST(test_non_minimal)
{
	uint8_t buf[64] = {0x81, 0x80 | 126, 0, 5, 1, 2, 3, 4};
	struct ws_reader r;
	struct ws_frame f;
	size_t need;

	ws_reader_init(&r, 1000);
	ck_assert_int_eq(ws_read(&r, buf, 8, &f, &need), WS_ERROR);
	ck_assert_str_eq(f.reason, "non_minimal_length");
}
END_TEST

START_TEST(test_close_codes)
{
	ck_assert(ws_close_code_valid(1000));
	ck_assert(ws_close_code_valid(1001));
	ck_assert(ws_close_code_valid(1011));
	ck_assert(ws_close_code_valid(3000));
	ck_assert(ws_close_code_valid(4999));
	ck_assert(!ws_close_code_valid(1004));
	ck_assert(!ws_close_code_valid(1100));
	ck_assert(!ws_close_code_valid(2999));
	ck_assert(!ws_close_code_valid(0));
}
END_TEST

static Suite *
ws_suite(void)
{
	Suite *s = suite_create("ws");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_accept);
	tcase_add_test(tc, test_text);
	tcase_add_test(tc, test_lengths);
	tcase_add_test(tc, test_fragments);
	tcase_add_test(tc, test_close_ok);
	tcase_add_test(tc, test_server_header);
	tcase_add_test(tc, test_close_codes);
	suite_add_tcase(s, tc);
	tc = tcase_create("malformed");
	tcase_add_loop_test(tc, test_malformed, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_control_too_long);
	tcase_add_test(tc, test_expected_continuation);
	tcase_add_test(tc, test_utf8_across_fragments_bad);
	tcase_add_test(tc, test_non_minimal);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_add_test(tc, test_max_payload);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ws_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
