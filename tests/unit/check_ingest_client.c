/*
 * check_ingest_client.c: the ingest socket's client (common/ingest_client.c).
 *
 * replies: reply lines parsed to a status, a seq and a reason code
 * conn:    a real AF_UNIX listener in a child process answering in order:
 *          accepted, duplicate, rejected, two replies at once (a broken
 *          protocol: the connection is dropped), silence (timeout), a close
 *          before replying; and a socket nobody listens on
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

#include "ingest_client.h"

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

static char sockpath[108];

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
	struct sockaddr_un sun;
	struct ingest_client c;
	char reason[64];
	long long seq = -1;
	const char *line = "{\"id\":\"x\"}\n";
	size_t len = strlen(line);
	pid_t pid;
	int lfd;

	snprintf(sockpath, sizeof(sockpath), "/tmp/check_ingest.%d.sock", (int)getpid());
	unlink(sockpath);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(lfd, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sockpath);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(lfd, 8), 0);
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

static Suite *
ingest_client_suite(void)
{
	Suite *s = suite_create("ingest_client");
	TCase *tc = tcase_create("replies");

	tcase_add_loop_test(tc, test_replies, 0, sizeof(replies) / sizeof(replies[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("conn");
	tcase_add_test(tc, test_conn);
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
