/*
 * check_http.c: HTTP/1.1 request heads (ws-gateway/http.c).
 *
 * core:       request line, headers, Content-Length, keep-alive, queries, targets
 * malformed:  every refused shape: smuggling (TE, TE+CL, duplicate or bad CL),
 *             obs-fold, bare CR/LF, NUL and control bytes, bad methods,
 *             versions and targets, missing Host, limits
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "http.h"

#define HMAX 16384
#define BMAX 1048576

START_TEST(test_basic)
{
	const char *r = "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: a:1\r\n"
			"Origin:  http://a:1 \r\nConnection: keep-alive\r\n\r\nXYZ";
	struct http_request req;
	const char *reason;
	size_t n;
	const char *v;

	ck_assert_int_eq(http_parse(r, strlen(r), HMAX, BMAX, &req, &reason), HTTP_OK);
	ck_assert_str_eq(req.method, "GET");
	ck_assert_uint_eq(req.head_len, strlen(r) - 3);
	ck_assert_int_eq(req.minor, 1);
	ck_assert_int_eq(req.keep_alive, 1);
	ck_assert_int_eq(req.clen, 0);
	v = http_header(&req, "ORIGIN", &n);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(n, 10);
	ck_assert(memcmp(v, "http://a:1", 10) == 0);
	ck_assert(http_header_has_token(&req, "connection", "Keep-Alive"));
	ck_assert(!http_header_has_token(&req, "connection", "upgrade"));
}
END_TEST

START_TEST(test_incomplete)
{
	const char *r = "GET / HTTP/1.1\r\nHost: a\r\n";
	struct http_request req;
	const char *reason;

	ck_assert_int_eq(http_parse(r, strlen(r), HMAX, BMAX, &req, &reason), HTTP_INCOMPLETE);
}
END_TEST

START_TEST(test_close_and_clen)
{
	const char *r =
	    "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\nConnection: close\r\n\r\n";
	const char *r10 = "GET / HTTP/1.0\r\n\r\n";
	struct http_request req;
	const char *reason;

	ck_assert_int_eq(http_parse(r, strlen(r), HMAX, BMAX, &req, &reason), HTTP_OK);
	ck_assert_int_eq(req.clen, 12);
	ck_assert_int_eq(req.keep_alive, 0);
	ck_assert_int_eq(http_parse(r10, strlen(r10), HMAX, BMAX, &req, &reason), HTTP_OK);
	ck_assert_int_eq(req.keep_alive, 0);
}
END_TEST

static const struct {
	const char *req;
	int status;
	const char *reason;
} bad[] = {
    {"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 501, "transfer_encoding"},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
     "te_and_content_length"},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", 400,
     "duplicate_content_length"},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3x\r\n\r\n", 400, "bad_content_length"},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400, "bad_content_length"},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", 400, "bad_content_length"},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", 413,
     "body_too_large"},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n", 413, "body_too_large"},
    {"GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", 400, "obs_fold"},
    {"GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400, "bare_cr"},
    {"GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", 400, "bare_lf"},
    {"GET / HTTP/1.1\r\nHost: a\r\nX: b\x01\r\n\r\n", 400, "bad_byte"},
    {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, "bad_header_name"},
    {"GET / HTTP/1.1\r\n: a\r\n\r\n", 400, "bad_header"},
    {"GET / HTTP/1.1\r\nnocolon\r\n\r\n", 400, "bad_header"},
    {"G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "bad_method"},
    {" GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "bad_method"},
    {"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "bad_target"},
    {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "bad_version"},
    {"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 505, "bad_version"},
    {"GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400, "bad_byte"},
    {"GET / HTTP/1.1\r\n\r\n", 400, "missing_host"},
    {"GET /\xff HTTP/1.1\r\nHost: a\r\n\r\n", 400, "bad_target"},
};

START_TEST(test_malformed)
{
	struct http_request req;
	const char *reason = NULL;
	size_t len = strlen(bad[_i].req);

	ck_assert_int_eq(http_parse(bad[_i].req, len, HMAX, BMAX, &req, &reason), HTTP_BAD);
	ck_assert_int_eq(req.error, bad[_i].status);
	ck_assert_str_eq(reason, bad[_i].reason);
}
END_TEST

START_TEST(test_nul_early)
{
	const char r[] = "GET /\0 HTTP/1.1";
	struct http_request req;
	const char *reason;

	ck_assert_int_eq(http_parse(r, sizeof(r) - 1, HMAX, BMAX, &req, &reason), HTTP_BAD);
}
END_TEST

START_TEST(test_header_limit)
{
	char big[2048];
	struct http_request req;
	const char *reason;

	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	ck_assert_int_eq(http_parse(big, sizeof(big), 1024, BMAX, &req, &reason), HTTP_BAD);
	ck_assert_int_eq(req.error, 431);
}
END_TEST

START_TEST(test_too_many_headers)
{
	char buf[8192];
	size_t o = 0;
	int i;
	struct http_request req;
	const char *reason;

	o += (size_t)sprintf(buf, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (i = 0; i < HTTP_HEADERS_MAX + 1; i++)
		o += (size_t)sprintf(buf + o, "X%d: y\r\n", i);
	o += (size_t)sprintf(buf + o, "\r\n");
	ck_assert_int_eq(http_parse(buf, o, HMAX, BMAX, &req, &reason), HTTP_BAD);
	ck_assert_int_eq(req.error, 431);
}
END_TEST

static const struct {
	const char *target;
	int ok;
	const char *path;
} targets[] = {
    {"/", 1, "/"},
    {"/a/b.html?x=1", 1, "/a/b.html"},
    {"/a%20b", 1, "/a b"},
    {"/%2e%2e/etc/passwd", 1, "/../etc/passwd"}, /* decoded; static.c refuses ".." */
    {"/a%2fb", 0, NULL},
    {"/a%2Fb", 0, NULL},
    {"/a%5cb", 0, NULL},
    {"/a%00b", 0, NULL},
    {"/a%zz", 0, NULL},
    {"/a%2", 0, NULL},
    {"a/b", 0, NULL},
    {"*", 0, NULL},
};

START_TEST(test_targets)
{
	char path[256];
	const char *q;
	size_t ql;
	int r = http_split_target(targets[_i].target, strlen(targets[_i].target), path,
				  sizeof(path), &q, &ql);

	ck_assert_int_eq(r == 0, targets[_i].ok);
	if (targets[_i].ok)
		ck_assert_str_eq(path, targets[_i].path);
}
END_TEST

START_TEST(test_query)
{
	const char *q = "EIO=4&transport=polling&sid=ab%2Bc&t=x+y&empty=&flag";
	char out[32];

	ck_assert_int_eq(http_query_get(q, strlen(q), "EIO", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "4");
	ck_assert_int_eq(http_query_get(q, strlen(q), "sid", out, sizeof(out)), 4);
	ck_assert_str_eq(out, "ab+c");
	http_query_get(q, strlen(q), "t", out, sizeof(out));
	ck_assert_str_eq(out, "x y");
	ck_assert_int_eq(http_query_get(q, strlen(q), "empty", out, sizeof(out)), 0);
	ck_assert_int_eq(http_query_get(q, strlen(q), "flag", out, sizeof(out)), 0);
	ck_assert_int_eq(http_query_get(q, strlen(q), "missing", out, sizeof(out)), -1);
	ck_assert_int_eq(http_query_get(q, strlen(q), "transport", out, 4), -1);
	ck_assert_int_eq(http_query_get(NULL, 0, "EIO", out, sizeof(out)), -1);
}
END_TEST

/* http_query_arg tells absent (0) from too long (-1): a long session= is
 * refused, not read as no filter at all. */
START_TEST(test_query_arg)
{
	const char *q = "session=abcdef&empty=&limit=5";
	char out[4], big[7];

	ck_assert_int_eq(http_query_arg(q, strlen(q), "limit", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "5");
	ck_assert_int_eq(http_query_arg(q, strlen(q), "empty", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(http_query_arg(q, strlen(q), "session", out, sizeof(out)), -1);
	ck_assert_int_eq(http_query_arg(q, strlen(q), "session", big, sizeof(big)), 1);
	ck_assert_str_eq(big, "abcdef");
	ck_assert_int_eq(http_query_arg(q, strlen(q), "missing", out, sizeof(out)), 0);
	ck_assert_int_eq(http_query_arg(NULL, 0, "limit", out, sizeof(out)), 0);
}
END_TEST

static Suite *
http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_basic);
	tcase_add_test(tc, test_incomplete);
	tcase_add_test(tc, test_close_and_clen);
	tcase_add_loop_test(tc, test_targets, 0, sizeof(targets) / sizeof(targets[0]));
	tcase_add_test(tc, test_query);
	suite_add_tcase(s, tc);
	tc = tcase_create("query_arg");
	tcase_add_test(tc, test_query_arg);
	suite_add_tcase(s, tc);
	tc = tcase_create("malformed");
	tcase_add_loop_test(tc, test_malformed, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_nul_early);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_add_test(tc, test_header_limit);
	tcase_add_test(tc, test_too_many_headers);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(http_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
