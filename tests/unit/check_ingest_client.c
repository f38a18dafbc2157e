/*
 * check_ingest_client.c: the ingest socket's client (common/ingest_client.c).
 *
 * replies: reply lines parsed to a status, a seq and a reason code
 * fast:    the router's own replies, read without json-c, and lines close to
 *          them, give what json-c's reading of the line gives (status, seq,
 *          reason)
 * conn:    a real AF_UNIX listener in a child process answering in order:
 *          accepted, duplicate, rejected, two replies at once (a broken
 *          protocol: the connection is dropped), silence (timeout), a close
 *          before replying; and a socket nobody listens on
 * ready:   a connection made without waiting, found closed by the listener
 *          (a router restart) and replaced by a new one; none when nobody
 *          listens
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ingest_client.h"

#define ID "0123456789abcdef0123456789abcdef"

static const struct {
	const char *line;
	enum ingest_status st;
	long long seq;
	const char *reason;
} replies[] = {
    {"{\"status\":\"accepted\",\"seq\":42,\"id\":\"x\"}", INGEST_ACCEPTED, 42, ""},
    {"{\"status\":\"duplicate\",\"seq\":7}", INGEST_DUPLICATE, 7, ""},
    {"{\"status\":\"rejected\",\"reason\":\"invalid_json\"}", INGEST_REJECTED, -1, "invalid_json"},
    {"{\"status\":\"rejected\"}", INGEST_REJECTED, -1, ""},
    {"{\"status\":\"maybe\"}", INGEST_BAD_REPLY, -1, ""},
    {"{\"status\":1}", INGEST_BAD_REPLY, -1, ""},
    {"[\"accepted\"]", INGEST_BAD_REPLY, -1, ""},
    {"not json", INGEST_BAD_REPLY, -1, ""},
    {"", INGEST_BAD_REPLY, -1, ""},
};

START_TEST(test_replies)
{
	char reason[64];
	long long seq = -1;
	enum ingest_status st;

	st = ingest_client_parse_reply(replies[_i].line, strlen(replies[_i].line), reason,
				       sizeof(reason), &seq);
	ck_assert_int_eq(st, replies[_i].st);
	ck_assert_int_eq(seq, replies[_i].seq);
	ck_assert_str_eq(reason, replies[_i].reason);
}
END_TEST

/* The reading of a reply by json-c alone: what ingest_client_parse_reply()
 * did before it read the router's own replies itself. */
static enum ingest_status
ref_parse(const char *line, size_t len, char *reason, size_t reasonlen, long long *seq)
{
	enum ingest_status st = INGEST_BAD_REPLY;
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
		st = s[0] == 'a' ? INGEST_ACCEPTED : INGEST_DUPLICATE;
		if (json_object_object_get_ex(obj, "seq", &v))
			*seq = json_object_get_int64(v);
	} else if (strcmp(s, "rejected") == 0) {
		st = INGEST_REJECTED;
		if (json_object_object_get_ex(obj, "reason", &v))
			snprintf(reason, reasonlen, "%s", json_object_get_string(v));
	}
fail:
	json_object_put(obj);
	json_tokener_free(tok);
	return st;
}

/* The router's replies (router_reply()) and lines close to them. */
static const char *router_replies[] = {
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

START_TEST(test_fast)
{
	const char *line = router_replies[_i];
	char reason[32], ref_reason[32];
	long long seq = -7, ref_seq = -7;
	enum ingest_status st, ref;

	st = ingest_client_parse_reply(line, strlen(line), reason, sizeof(reason), &seq);
	ref = ref_parse(line, strlen(line), ref_reason, sizeof(ref_reason), &ref_seq);
	ck_assert_msg(st == ref, "%s: %s, json-c %s", line, ingest_client_status_name(st),
		      ingest_client_status_name(ref));
	if (st == INGEST_ACCEPTED || st == INGEST_DUPLICATE)
		ck_assert_int_eq(seq, ref_seq);
	if (st == INGEST_REJECTED)
		ck_assert_str_eq(reason, ref_reason);
}
END_TEST

static char sockpath[108];

/* A listening AF_UNIX socket at sockpath (a new name for this process). */
static int
listen_at(const char *tag)
{
	struct sockaddr_un sun;
	int lfd;

	snprintf(sockpath, sizeof(sockpath), "/tmp/check_ingest.%s.%d.sock", tag, (int)getpid());
	unlink(sockpath);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(lfd, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sockpath);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(lfd, 8), 0);
	return lfd;
}

/* The child: one listener; answers each connection as scripted. */
static void
serve(int lfd)
{
	static const char *answers[] = {
	    "{\"status\":\"accepted\",\"seq\":1}\n",
	    "{\"status\":\"duplicate\",\"seq\":1}\n",
	    "{\"status\":\"rejected\",\"reason\":\"missing_field\"}\n",
	    "{\"status\":\"accepted\",\"seq\":2}\n{\"status\":\"accepted\",\"seq\":3}\n",
	};
	char buf[4096];
	size_t i;
	int fd;

	/* connection 1: four lines, four scripted answers */
	if ((fd = accept(lfd, NULL, NULL)) == -1)
		_exit(1);
	for (i = 0; i < 4; i++) {
		if (read(fd, buf, sizeof(buf)) <= 0)
			_exit(1);
		if (write(fd, answers[i], strlen(answers[i])) < 0)
			_exit(1);
	}
	/* connection 2: read, never answer */
	int fd2 = accept(lfd, NULL, NULL);
	if (fd2 == -1 || read(fd2, buf, sizeof(buf)) <= 0)
		_exit(1);
	/* connection 3: read, close */
	int fd3 = accept(lfd, NULL, NULL);
	if (fd3 == -1 || read(fd3, buf, sizeof(buf)) <= 0)
		_exit(1);
	close(fd3);
	pause();
	_exit(0);
}

START_TEST(test_conn)
{
	struct ingest_client c;
	char reason[64];
	long long seq = -1;
	const char *line = "{\"id\":\"x\"}\n";
	size_t len = strlen(line);
	pid_t pid;
	int lfd;

	lfd = listen_at("conn");
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		serve(lfd);
	close(lfd);

	ingest_client_init(&c);
	ck_assert_int_eq(ingest_client_request(&c, line, len, 100, NULL, 0, NULL),
			 INGEST_UNREACHABLE);
	ck_assert_int_eq(ingest_client_connect(&c, sockpath, 1000), INGEST_ACCEPTED);
	ck_assert_int_eq(ingest_client_request(&c, line, len, 1000, reason, sizeof(reason), &seq),
			 INGEST_ACCEPTED);
	ck_assert_int_eq(seq, 1);
	ck_assert_int_eq(ingest_client_request(&c, line, len, 1000, reason, sizeof(reason), &seq),
			 INGEST_DUPLICATE);
	ck_assert_int_eq(ingest_client_request(&c, line, len, 1000, reason, sizeof(reason), &seq),
			 INGEST_REJECTED);
	ck_assert_str_eq(reason, "missing_field");
	/* two replies to one line: the second would be taken for the next
	 * line's; the connection is dropped */
	ck_assert_int_eq(ingest_client_request(&c, line, len, 1000, reason, sizeof(reason), &seq),
			 INGEST_BAD_REPLY);
	ck_assert_int_eq(c.ic_fd, -1);

	/* silence: a timeout within the deadline, connection dropped */
	ck_assert_int_eq(ingest_client_connect(&c, sockpath, 1000), INGEST_ACCEPTED);
	ck_assert_int_eq(ingest_client_request(&c, line, len, 150, reason, sizeof(reason), &seq),
			 INGEST_TIMEOUT);
	ck_assert_int_eq(c.ic_fd, -1);

	/* closed before replying: the one-shot call says io_error */
	ck_assert_int_eq(
	    ingest_client_send(sockpath, line, len, 1000, reason, sizeof(reason), &seq),
	    INGEST_IO_ERROR);

	kill(pid, SIGKILL); /* SIGKILL: the child inherited Check's SIGTERM handler */
	waitpid(pid, NULL, 0);
	unlink(sockpath);
	/* nobody listening */
	ck_assert_int_eq(
	    ingest_client_send(sockpath, line, len, 1000, reason, sizeof(reason), &seq),
	    INGEST_UNREACHABLE);
	ck_assert_int_eq(ingest_client_probe(sockpath, 100), 0);
	ck_assert_str_eq(ingest_client_status_name(INGEST_BAD_REPLY), "bad_reply");
	ck_assert_str_eq(ingest_client_status_name((enum ingest_status)99), "unknown");
}
END_TEST

START_TEST(test_ready)
{
	struct ingest_client c;
	int lfd, afd, early;

	lfd = listen_at("ready");
	ingest_client_init(&c);
	ck_assert_int_eq(ingest_client_alive(&c), 0);
	/* made without waiting: the backlog takes it before any accept() */
	ck_assert_int_eq(ingest_client_connect(&c, sockpath, 0), INGEST_ACCEPTED);
	ck_assert_int_eq(ingest_client_alive(&c), 1);
	early = c.ic_fd;
	/* still open: ready keeps it */
	ck_assert_int_eq(ingest_client_ready(&c, sockpath, 100), INGEST_ACCEPTED);
	ck_assert_int_eq(c.ic_fd, early);
	/* the router restarts: its end is closed, a new router listens */
	afd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(afd, 0);
	close(afd);
	close(lfd);
	lfd = listen_at("ready");
	ck_assert_int_eq(ingest_client_alive(&c), 0);
	ck_assert_int_eq(ingest_client_ready(&c, sockpath, 100), INGEST_ACCEPTED);
	ck_assert_int_eq(ingest_client_alive(&c), 1);
	afd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(afd, 0); /* the new one reached the new router */
	close(afd);
	/* the router gone: the closed connection is dropped, none is made */
	close(lfd);
	unlink(sockpath);
	ck_assert_int_eq(ingest_client_ready(&c, sockpath, 100), INGEST_UNREACHABLE);
	ck_assert_int_eq(c.ic_fd, -1);
	ck_assert_int_eq(ingest_client_connect(&c, sockpath, 0), INGEST_UNREACHABLE);
	ingest_client_close(&c);
	ingest_client_close(&c);
}
END_TEST

static Suite *
ingest_client_suite(void)
{
	Suite *s = suite_create("ingest_client");
	TCase *tc = tcase_create("replies");

	tcase_add_loop_test(tc, test_replies, 0, sizeof(replies) / sizeof(replies[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("fast");
	tcase_add_loop_test(tc, test_fast, 0, sizeof(router_replies) / sizeof(router_replies[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("conn");
	tcase_add_test(tc, test_conn);
	suite_add_tcase(s, tc);
	tc = tcase_create("ready");
	tcase_add_test(tc, test_ready);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ingest_client_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
