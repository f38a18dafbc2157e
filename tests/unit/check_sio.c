/*
 * check_sio.c: Socket.IO v5 packets (ws-gateway/sio.c).
 *
 * core:       every packet type, namespaces with and without a comma, ack
 *             ids, binary packets with placeholders, the encoder, compact
 *             JSON in key order
 * malformed:  bad packet types, bad namespaces, bad ack ids, payload shapes
 *             that do not fit the type, reserved event names, attachment
 *             count lies, invalid JSON, too deep, NUL bytes
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sio.h"

static const struct {
	const char *in;
	int type;
	const char *nsp;
	long long id;
	int attachments;
	const char *json; /* the payload re-serialized, or NULL */
} good[] = {
    {"0", SIO_CONNECT, "/", -1, 0, NULL},
    {"0{\"token\":\"123\"}", SIO_CONNECT, "/", -1, 0, "{\"token\":\"123\"}"},
    {"0/custom,", SIO_CONNECT, "/custom", -1, 0, NULL},
    {"0/custom", SIO_CONNECT, "/custom", -1, 0, NULL},
    {"0/custom,{\"b\":1,\"a\":2}", SIO_CONNECT, "/custom", -1, 0, "{\"b\":1,\"a\":2}"},
    {"1", SIO_DISCONNECT, "/", -1, 0, NULL},
    {"1/admin,", SIO_DISCONNECT, "/admin", -1, 0, NULL},
    {"2[\"hello\",1]", SIO_EVENT, "/", -1, 0, "[\"hello\",1]"},
    {"2/admin,456[\"project:delete\",123]", SIO_EVENT, "/admin", 456, 0,
     "[\"project:delete\",123]"},
    {"212[\"get_history\",{\"limit\":5}]", SIO_EVENT, "/", 12, 0,
     "[\"get_history\",{\"limit\":5}]"},
    {"2[1,\"a\"]", SIO_EVENT, "/", -1, 0, "[1,\"a\"]"},
    {"3456[]", SIO_ACK, "/", 456, 0, "[]"},
    {"3/admin,456[]", SIO_ACK, "/admin", 456, 0, "[]"},
    {"4{\"message\":\"Not authorized\"}", SIO_CONNECT_ERROR, "/", -1, 0,
     "{\"message\":\"Not authorized\"}"},
    {"51-[\"hello\",{\"_placeholder\":true,\"num\":0}]", SIO_BINARY_EVENT, "/", -1, 1,
     "[\"hello\",{\"_placeholder\":true,\"num\":0}]"},
    {"52-789[\"m\",{\"_placeholder\":true,\"num\":1},[{\"_placeholder\":true,\"num\":0}]]",
     SIO_BINARY_EVENT, "/", 789, 2, NULL},
    {"61-/admin,456[{\"_placeholder\":true,\"num\":0}]", SIO_BINARY_ACK, "/admin", 456, 1,
     "[{\"_placeholder\":true,\"num\":0}]"},
    {"2[\"a/b\",\"\\u00e9\"]", SIO_EVENT, "/", -1, 0, "[\"a/b\",\"\xc3\xa9\"]"},
};

START_TEST(test_decode)
{
	struct sio_packet p;
	const char *reason = NULL;
	size_t jl;

	ck_assert_msg(sio_decode(good[_i].in, strlen(good[_i].in), 64, &p, &reason) == 0, "%s: %s",
		      good[_i].in, reason);
	ck_assert_int_eq(p.type, good[_i].type);
	ck_assert_str_eq(p.nsp, good[_i].nsp);
	ck_assert_int_eq(p.id, good[_i].id);
	ck_assert_int_eq(p.attachments, good[_i].attachments);
	if (good[_i].json != NULL) {
		ck_assert_ptr_nonnull(p.data);
		ck_assert_str_eq(sio_json(p.data, &jl), good[_i].json);
	}
	sio_packet_clear(&p);
}
END_TEST

static const struct {
	const char *in;
	const char *reason;
} bad[] = {
    {"", "bad_packet_type"},
    {"7", "bad_packet_type"},
    {"a", "bad_packet_type"},
    {"abc", "bad_packet_type"},
    {"2{}", "bad_payload"},
    {"2[]", "bad_payload"},
    {"2\"x\"", "bad_payload"},
    {"2[{}]", "bad_payload"},
    {"2[\"connect\"]", "bad_payload"},
    {"2[\"disconnect\",1]", "bad_payload"},
    {"2abc[\"message-with-ack\",1]", "invalid_json"},
    {"21234567890123456[\"x\"]", "bad_ack_id"},
    {"3[]", "bad_ack_id"},
    {"3456{}", "bad_payload"},
    {"012{}", "bad_ack_id"},
    {"0[]", "bad_payload"},
    {"0\"tok\"", "bad_payload"},
    {"1{}", "bad_payload"},
    {"13", "bad_ack_id"},
    {"4", "bad_payload"},
    {"4[]", "bad_payload"},
    {"2[\"x\",", "invalid_json"},
    {"2[\"x\"]]", "invalid_json"},
    {"5[\"x\"]", "bad_attachments"},
    {"5-[\"x\"]", "bad_attachments"},
    {"5a-[\"x\"]", "bad_attachments"},
    {"599-[\"x\"]", "too_many_attachments"},
    {"51-[\"x\"]", "attachment_mismatch"},
    {"50-[\"x\",{\"_placeholder\":true,\"num\":0}]", "attachment_mismatch"},
    {"52-[\"x\",{\"_placeholder\":true,\"num\":0}]", "attachment_mismatch"},
    {"52-[\"x\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":0}]",
     "attachment_mismatch"},
    {"51-[\"x\",{\"_placeholder\":true,\"num\":5}]", "attachment_mismatch"},
    {"51-[\"x\",{\"_placeholder\":true,\"num\":\"0\"}]", "attachment_mismatch"},
    {"51-[\"x\",{\"_placeholder\":false,\"num\":0}]", "attachment_mismatch"},
    {"0/a\"b,", "bad_namespace"},
    {"0/a\\b,", "bad_namespace"},
    {"2[\"\xff\"]", "invalid_json"},
};

START_TEST(test_malformed)
{
	struct sio_packet p;
	const char *reason = NULL;

	ck_assert_msg(sio_decode(bad[_i].in, strlen(bad[_i].in), 64, &p, &reason) == -1,
		      "%s accepted", bad[_i].in);
	ck_assert_str_eq(reason, bad[_i].reason);
	ck_assert_ptr_null(p.data);
}
END_TEST

START_TEST(test_long_namespace)
{
	char in[512];
	struct sio_packet p;
	const char *reason;

	memset(in, 'n', sizeof(in));
	in[0] = '0';
	in[1] = '/';
	ck_assert_int_eq(sio_decode(in, sizeof(in), 64, &p, &reason), -1);
	ck_assert_str_eq(reason, "bad_namespace");
}
END_TEST

START_TEST(test_nul)
{
	const char in[] = "2[\"a\0b\"]";
	struct sio_packet p;
	const char *reason;

	ck_assert_int_eq(sio_decode(in, sizeof(in) - 1, 64, &p, &reason), -1);
	ck_assert_str_eq(reason, "nul_byte");
}
END_TEST

START_TEST(test_too_deep)
{
	char in[300];
	struct sio_packet p;
	const char *reason;
	size_t i;

	in[0] = '2';
	in[1] = '[';
	in[2] = '"';
	in[3] = 'x';
	in[4] = '"';
	in[5] = ',';
	for (i = 6; i < 6 + 100; i++)
		in[i] = '[';
	for (; i < 6 + 200; i++)
		in[i] = ']';
	in[i++] = ']';
	ck_assert_int_eq(sio_decode(in, i, 64, &p, &reason), -1);
	ck_assert_str_eq(reason, "too_deep");
}
END_TEST

START_TEST(test_encode)
{
	size_t n;
	char *s;

	s = sio_encode(SIO_CONNECT, "/", -1, 0, "{\"sid\":\"x\"}", 11, &n);
	ck_assert_str_eq(s, "0{\"sid\":\"x\"}");
	ck_assert_uint_eq(n, strlen(s));
	free(s);
	s = sio_encode(SIO_CONNECT_ERROR, "/random", -1, 0, "{\"message\":\"Invalid namespace\"}",
		       31, &n);
	ck_assert_str_eq(s, "4/random,{\"message\":\"Invalid namespace\"}");
	free(s);
	s = sio_encode(SIO_ACK, "/", 456, 0, "[1]", 3, &n);
	ck_assert_str_eq(s, "3456[1]");
	free(s);
	s = sio_encode(SIO_BINARY_ACK, "/custom", 789, 2, "[]", 2, &n);
	ck_assert_str_eq(s, "62-/custom,789[]");
	free(s);
	s = sio_encode(SIO_DISCONNECT, "/", -1, 0, NULL, 0, &n);
	ck_assert_str_eq(s, "1");
	free(s);
}
END_TEST

static Suite *
sio_suite(void)
{
	Suite *s = suite_create("sio");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_decode, 0, sizeof(good) / sizeof(good[0]));
	tcase_add_test(tc, test_encode);
	suite_add_tcase(s, tc);
	tc = tcase_create("malformed");
	tcase_add_loop_test(tc, test_malformed, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_long_namespace);
	tcase_add_test(tc, test_nul);
	tcase_add_test(tc, test_too_deep);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sio_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
