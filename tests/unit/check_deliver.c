/*
 * check_deliver.c: the router's reply as hook-capture reads it
 * (deliver_parse_reply(), hook-capture/deliver.c).
 *
 * reply: the router's own replies, read without json-c, and lines close to
 *        them, give what json-c's reading of the line gives (status, seq,
 *        reason)
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "capture.h"

#define ID "0123456789abcdef0123456789abcdef"

/* The reading of a reply by json-c alone: what deliver_parse_reply() did
 * before it read the router's own replies itself. */
static enum deliver_status
ref_parse(const char *line, size_t len, char *reason, size_t reasonlen, long long *seq)
{
	enum deliver_status st = DELIVER_BAD_REPLY;
	json_tokener *tok = json_tokener_new();
	json_object *obj, *v;
	const char *s;

	reason[0] = '\0';
	obj = json_tokener_parse_ex(tok, line, (int)len);
	if (obj == NULL || !json_object_is_type(obj, json_type_object))
		goto fail;
	if (!json_object_object_get_ex(obj, "status", &v) ||
	    !json_object_is_type(v, json_type_string))
		goto fail;
	s = json_object_get_string(v);
	if (strcmp(s, "accepted") == 0 || strcmp(s, "duplicate") == 0) {
		st = s[0] == 'a' ? DELIVER_ACCEPTED : DELIVER_DUPLICATE;
		if (json_object_object_get_ex(obj, "seq", &v))
			*seq = json_object_get_int64(v);
	} else if (strcmp(s, "rejected") == 0) {
		st = DELIVER_REJECTED;
		if (json_object_object_get_ex(obj, "reason", &v))
			snprintf(reason, reasonlen, "%s", json_object_get_string(v));
	}
fail:
	json_object_put(obj);
	json_tokener_free(tok);
	return st;
}

static const char *replies[] = {
    "{\"status\":\"accepted\",\"seq\":1,\"id\":\"" ID "\"}",
    "{\"status\":\"accepted\",\"seq\":0,\"id\":\"" ID "\"}",
    "{\"status\":\"duplicate\",\"seq\":42,\"id\":\"" ID "\"}",
    "{\"status\":\"accepted\",\"seq\":123456789012345678,\"id\":\"" ID "\"}",
    "{\"status\":\"accepted\",\"seq\":1234567890123456789,\"id\":\"" ID "\"}",
    "{\"status\":\"accepted\",\"seq\":99999999999999999999,\"id\":\"" ID "\"}",
    "{\"status\":\"accepted\",\"seq\":007,\"id\":\"" ID "\"}",
    "{\"status\":\"accepted\",\"seq\":-1,\"id\":\"" ID "\"}",
    "{\"status\":\"accepted\",\"seq\":1.5,\"id\":\"" ID "\"}",
    "{\"status\":\"accepted\",\"seq\":,\"id\":\"" ID "\"}",
    "{\"status\":\"accepted\",\"seq\":7,\"id\":\"0123456789ABCDEF0123456789abcdef\"}",
    "{\"status\":\"accepted\",\"seq\":7,\"id\":\"x\"}",
    "{\"status\":\"accepted\",\"seq\":7,\"id\":\"" ID "\"} ",
    "{\"status\":\"accepted\",\"seq\":7,\"id\":\"" ID "\"}x",
    "{\"status\":\"accepted\",\"seq\":7,\"id\":\"" ID "\"",
    "{\"status\":\"accepted\",\"seq\":7,\"id\":\"" ID "\",\"x\":1}",
    "{\"status\":\"accepted\",\"seq\":7}",
    "{\"status\":\"accepted\"}",
    "{\"status\":\"accepted\",\"seq\":7 ,\"id\":\"" ID "\"}",
    "{ \"status\":\"accepted\",\"seq\":7,\"id\":\"" ID "\"}",
    "{\"seq\":7,\"status\":\"accepted\",\"id\":\"" ID "\"}",
    "{\"status\":\"accepted\",\"seq\":7,\"id\":\"" ID "\",\"status\":\"rejected\"}",
    "{\"status\":\"rejected\",\"reason\":\"event_too_large\"}",
    "{\"status\":\"rejected\"}",
    "{\"status\":\"other\",\"seq\":7,\"id\":\"" ID "\"}",
    "{\"status\":\"accepted\",\"seq\":7,\"id\":\"" ID "\"}\n",
    "HTTP/1.0 400 Bad Request",
    "",
};

START_TEST(test_reply)
{
	const char *line = replies[_i];
	char reason[32], ref_reason[32];
	long long seq = -7, ref_seq = -7;
	enum deliver_status st, ref;

	st = deliver_parse_reply(line, strlen(line), reason, sizeof(reason), &seq);
	ref = ref_parse(line, strlen(line), ref_reason, sizeof(ref_reason), &ref_seq);
	ck_assert_msg(st == ref, "%s: %s, json-c %s", line, deliver_status_name(st),
		      deliver_status_name(ref));
	if (st == DELIVER_ACCEPTED || st == DELIVER_DUPLICATE)
		ck_assert_int_eq(seq, ref_seq);
	if (st == DELIVER_REJECTED)
		ck_assert_str_eq(reason, ref_reason);
}
END_TEST

static Suite *
deliver_suite(void)
{
	Suite *s = suite_create("deliver");
	TCase *tc = tcase_create("reply");

	tcase_add_loop_test(tc, test_reply, 0, sizeof(replies) / sizeof(replies[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(deliver_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
