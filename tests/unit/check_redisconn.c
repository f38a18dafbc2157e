/*
 * check_redisconn.c: the Redis connection event-relay and the gateway's
 * Redis source share (common/redisconn.c), without a Redis server.
 *
 * backoff: the delays double from 100 ms up to the ceiling, and start over
 *          once a connection worked.
 * setup:   AUTH [user] password and SELECT db, as argument vectors, only
 *          when the URL asks for them.
 * sync:    a refused connection, a refused AUTH, a refused SELECT each say
 *          so in err (a forked fake server answers).
 * async:   against a fake server on this event loop: the bytes sent are
 *          the setup commands then the caller's, in order; a refused AUTH,
 *          a server closing, a refused connection and redisconn_drop()
 *          each reach the down callback once, and a new attempt follows;
 *          nothing is called back after redisconn_free().
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "redisconn.h"
#include "redisurl.h"
#include "util.h"

/* ---------------------------------------------------------------- helpers */

/* A listening socket on 127.0.0.1 and its port. */
static int
listen_any(int *port)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd;

	ck_assert_int_ge(fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* A port nothing listens on (one just closed). */
static int
refused_port(void)
{
	int port, fd = listen_any(&port);

	close(fd);
	return port;
}

static void
parse(const char *url, struct redisurl *u)
{
	char err[256];

	ck_assert_msg(redisurl_parse(url, u, err, sizeof(err)) == 0, "%s: %s", url, err);
}

/* ---------------------------------------------------------------- backoff */

static const struct {
	int min, max;
	int seq[9];
} backoffs[] = {
    {100, 5000, {100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000}},
    {100, 300, {100, 200, 300, 300, 300, 300, 300, 300, 300}},
    {100, 50, {100, 50, 50, 50, 50, 50, 50, 50, 50}},
    {100, 100, {100, 100, 100, 100, 100, 100, 100, 100, 100}},
};

START_TEST(test_backoff)
{
	struct redisconn_backoff b;
	int i, k;

	redisconn_backoff_init(&b, backoffs[_i].min, backoffs[_i].max);
	for (k = 0; k < 2; k++) {
		for (i = 0; i < 9; i++)
			ck_assert_int_eq(redisconn_backoff_next(&b), backoffs[_i].seq[i]);
		redisconn_backoff_reset(&b);
	}
}
END_TEST

START_TEST(test_backoff_no_overflow)
{
	struct redisconn_backoff b;
	int i, last = 0, ms;

	redisconn_backoff_init(&b, 100, INT_MAX);
	for (i = 0; i < 40; i++) {
		ms = redisconn_backoff_next(&b);
		ck_assert_int_ge(ms, last);
		last = ms;
	}
	ck_assert_int_eq(last, INT_MAX);
}
END_TEST

/* ---------------------------------------------------------------- setup */

START_TEST(test_setup)
{
	struct redisconn_cmd c[REDISCONN_SETUP_MAX];
	struct redisurl u;

	parse("redis://127.0.0.1:6379", &u);
	ck_assert_int_eq(redisconn_setup(&u, c), 0);

	parse("redis://:se%20cret@h", &u);
	ck_assert_int_eq(redisconn_setup(&u, c), 1);
	ck_assert_str_eq(c[0].rc_name, "AUTH");
	ck_assert_int_eq(c[0].rc_argc, 2);
	ck_assert_str_eq(c[0].rc_argv[0], "AUTH");
	ck_assert_str_eq(c[0].rc_argv[1], "se cret");
	ck_assert_uint_eq(c[0].rc_argvlen[1], 7);

	parse("redis://alice:pw@h:7000/12", &u);
	ck_assert_int_eq(redisconn_setup(&u, c), 2);
	ck_assert_int_eq(c[0].rc_argc, 3);
	ck_assert_str_eq(c[0].rc_argv[1], "alice");
	ck_assert_str_eq(c[0].rc_argv[2], "pw");
	ck_assert_str_eq(c[1].rc_name, "SELECT");
	ck_assert_int_eq(c[1].rc_argc, 2);
	ck_assert_str_eq(c[1].rc_argv[1], "12");
	ck_assert_uint_eq(c[1].rc_argvlen[1], 2);

	parse("redis://h/3", &u);
	ck_assert_int_eq(redisconn_setup(&u, c), 1);
	ck_assert_str_eq(c[0].rc_name, "SELECT");
	ck_assert_str_eq(c[0].rc_argv[1], "3");
}
END_TEST

/* ---------------------------------------------------------------- sync */

/* A fake server in a child: accepts one connection and answers each
 * command (one read each) with the next of replies. */
static pid_t
fake_sync(int lfd, const char *const *replies)
{
	char buf[1024];
	pid_t pid;
	int cfd;

	ck_assert_int_ge(pid = fork(), 0);
	if (pid != 0)
		return pid;
	if ((cfd = accept(lfd, NULL, NULL)) < 0)
		_exit(1);
	for (; *replies != NULL; replies++)
		if (read(cfd, buf, sizeof(buf)) <= 0 ||
		    write(cfd, *replies, strlen(*replies)) != (ssize_t)strlen(*replies))
			_exit(1);
	while (read(cfd, buf, sizeof(buf)) > 0)
		;
	_exit(0);
}

START_TEST(test_sync)
{
	static const char *const wrongpass[] = {"-WRONGPASS invalid username-password pair\r\n",
						NULL};
	static const char *const baddb[] = {"+OK\r\n", "-ERR DB index is out of range\r\n", NULL};
	static const char *const fine[] = {"+OK\r\n", "+OK\r\n", NULL};
	struct redisurl u;
	redisContext *c;
	char url[128], err[256], want[128];
	int port, lfd;
	pid_t pid;

	port = refused_port();
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
	parse(url, &u);
	ck_assert(redisconn_connect_sync(&u, 2000, err, sizeof(err)) == NULL);
	snprintf(want, sizeof(want), "redis 127.0.0.1:%d: ", port);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);

	lfd = listen_any(&port);
	snprintf(url, sizeof(url), "redis://:nope@127.0.0.1:%d", port);
	parse(url, &u);
	pid = fake_sync(lfd, wrongpass);
	ck_assert(redisconn_connect_sync(&u, 2000, err, sizeof(err)) == NULL);
	ck_assert_str_eq(err, "redis AUTH: WRONGPASS invalid username-password pair");
	waitpid(pid, NULL, 0);

	snprintf(url, sizeof(url), "redis://:pw@127.0.0.1:%d/99", port);
	parse(url, &u);
	pid = fake_sync(lfd, baddb);
	ck_assert(redisconn_connect_sync(&u, 2000, err, sizeof(err)) == NULL);
	ck_assert_str_eq(err, "redis SELECT: ERR DB index is out of range");
	waitpid(pid, NULL, 0);

	pid = fake_sync(lfd, fine);
	c = redisconn_connect_sync(&u, 2000, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	redisFree(c);
	waitpid(pid, NULL, 0);
	close(lfd);
}
END_TEST

/* ---------------------------------------------------------------- async */

/* What the fake server does with its k-th connection. */
struct fake_conn {
	const char *fc_expect; /* bytes to receive before replying */
	const char *fc_reply;  /* then sent */
	int fc_close;	       /* close at once instead */
};

static struct {
	struct event_base *base;
	int lfd, cfd;
	struct event *accept_ev, *read_ev, *deadline_ev;
	const struct fake_conn *script;
	size_t nscript, accepts;
	char in[1024];
	size_t inlen;
	int replied, eofs, timed_out;

	/* what the callbacks saw */
	int starts, pongs, downs[3];
	int gone;	      /* downs[REDISCONN_FAILED] + downs[REDISCONN_LOST] */
	int64_t failed_us[4]; /* when the first failures were told */
	char why[3][160];
	struct redisconn *rc;
} t;

static void
fake_read_cb(evutil_socket_t fd, short what, void *arg)
{
	const struct fake_conn *fc = &t.script[t.accepts - 1];
	ssize_t n;

	n = read(fd, t.in + t.inlen, sizeof(t.in) - 1 - t.inlen);
	if (n <= 0) {
		t.eofs++;
		event_free(t.read_ev);
		t.read_ev = NULL;
		close(fd);
		t.cfd = -1;
		return;
	}
	t.inlen += (size_t)n;
	t.in[t.inlen] = '\0';
	ck_assert_msg(strncmp(t.in, fc->fc_expect, t.inlen) == 0, "sent \"%s\"", t.in);
	if (!t.replied && t.inlen >= strlen(fc->fc_expect)) {
		ck_assert_str_eq(t.in, fc->fc_expect);
		ck_assert_int_eq(write(fd, fc->fc_reply, strlen(fc->fc_reply)),
				 (int)strlen(fc->fc_reply));
		t.replied = 1;
	}
}

static void
fake_accept_cb(evutil_socket_t fd, short what, void *arg)
{
	int cfd = accept(fd, NULL, NULL);

	ck_assert_int_ge(cfd, 0);
	ck_assert_uint_lt(t.accepts, t.nscript);
	if (t.read_ev != NULL) { /* the previous connection, given up by the client */
		event_free(t.read_ev);
		close(t.cfd);
	}
	t.read_ev = NULL;
	t.inlen = 0;
	t.replied = 0;
	if (t.script[t.accepts++].fc_close) {
		close(cfd);
		t.cfd = -1;
		return;
	}
	t.cfd = cfd;
	t.read_ev = event_new(t.base, cfd, EV_READ | EV_PERSIST, fake_read_cb, NULL);
	event_add(t.read_ev, NULL);
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	t.timed_out = 1;
	event_base_loopbreak(t.base);
}

static void
ping_cb(redisAsyncContext *ac, void *rep, void *arg)
{
	redisReply *rp = rep;

	ck_assert_ptr_eq(redisconn_arg(ac), &t);
	if (rp != NULL && rp->type == REDIS_REPLY_STATUS && strcmp(rp->str, "PONG") == 0) {
		t.pongs++;
		redisconn_ok(t.rc);
	}
}

static void
start_cb(void *arg, redisAsyncContext *ac)
{
	ck_assert_ptr_eq(arg, &t);
	t.starts++;
	redisAsyncCommand(ac, ping_cb, NULL, "PING");
}

static void
down_cb(void *arg, enum redisconn_down what, const char *why)
{
	ck_assert_ptr_eq(arg, &t);
	ck_assert_int_le((int)what, 2);
	if (what == REDISCONN_FAILED && t.downs[what] < 4)
		t.failed_us[t.downs[what]] = util_mono_us();
	t.downs[what]++;
	if (what != REDISCONN_DROPPED)
		t.gone++;
	snprintf(t.why[what], sizeof(t.why[what]), "%s", why);
}

static void
async_setup(void)
{
	memset(&t, 0, sizeof(t));
	t.cfd = -1;
	t.lfd = -1;
	ck_assert((t.base = event_base_new()) != NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void
async_teardown(void)
{
	redisconn_free(t.rc);
	if (t.read_ev != NULL)
		event_free(t.read_ev);
	if (t.accept_ev != NULL)
		event_free(t.accept_ev);
	if (t.deadline_ev != NULL)
		event_free(t.deadline_ev);
	if (t.cfd >= 0)
		close(t.cfd);
	if (t.lfd >= 0)
		close(t.lfd);
	event_base_free(t.base);
}

static void
fake_start(const struct fake_conn *script, size_t n, int *port)
{
	t.script = script;
	t.nscript = n;
	t.lfd = listen_any(port);
	t.accept_ev = event_new(t.base, t.lfd, EV_READ | EV_PERSIST, fake_accept_cb, NULL);
	event_add(t.accept_ev, NULL);
}

static struct redisconn *
conn_new(const char *url)
{
	static const struct redisconn_cb cb = {start_cb, down_cb};
	struct redisurl u;
	char err[256];
	struct redisconn *rc;

	parse(url, &u);
	rc = redisconn_new(t.base, &u, 5000, 1, &cb, &t, err, sizeof(err));
	ck_assert_msg(rc != NULL, "%s", err);
	return rc;
}

/* Runs the loop until *flag reaches n (10 s at most). */
static void
run_until(const int *flag, int n)
{
	struct timeval tv = {10, 0};

	t.timed_out = 0;
	if (t.deadline_ev == NULL)
		t.deadline_ev = evtimer_new(t.base, deadline_cb, NULL);
	evtimer_add(t.deadline_ev, &tv);
	while (*flag < n && !t.timed_out)
		event_base_loop(t.base, EVLOOP_ONCE);
	evtimer_del(t.deadline_ev);
	ck_assert_msg(!t.timed_out, "timed out waiting (%d of %d)", *flag, n);
}

#define SETUP_CMDS                                                                                 \
	"*3\r\n$4\r\nAUTH\r\n$5\r\nalice\r\n$2\r\npw\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n"
#define PING_CMD "*1\r\n$4\r\nPING\r\n"

START_TEST(test_async_script)
{
	static const struct fake_conn script[] = {
	    {SETUP_CMDS PING_CMD, "+OK\r\n+OK\r\n+PONG\r\n", 0},
	    {SETUP_CMDS PING_CMD, "-WRONGPASS invalid username-password pair\r\n", 0},
	    {NULL, NULL, 1},
	    {SETUP_CMDS PING_CMD, "+OK\r\n+OK\r\n+PONG\r\n", 0},
	};
	char url[128];
	int port;

	fake_start(script, sizeof(script) / sizeof(script[0]), &port);
	snprintf(url, sizeof(url), "redis://alice:pw@127.0.0.1:%d/3", port);
	t.rc = conn_new(url);
	ck_assert(redisconn_ctx(t.rc) == NULL);
	redisconn_connect(t.rc);
	ck_assert_int_eq(t.starts, 1);
	ck_assert(redisconn_ctx(t.rc) != NULL);

	/* 1: setup commands, then the caller's, in one pipeline */
	run_until(&t.pongs, 1);
	ck_assert_int_eq(t.downs[0] + t.downs[1] + t.downs[2], 0);

	/* dropped on purpose: told once, the server sees the close */
	redisconn_drop(t.rc, "no reply within 5 ms");
	ck_assert(redisconn_ctx(t.rc) == NULL);
	ck_assert_int_eq(t.downs[REDISCONN_DROPPED], 1);
	ck_assert_str_eq(t.why[REDISCONN_DROPPED], "no reply within 5 ms");
	redisconn_drop(t.rc, "again"); /* nothing to drop */
	ck_assert_int_eq(t.downs[REDISCONN_DROPPED], 1);

	/* 2: after the back-off, a new attempt; AUTH refused */
	run_until(&t.downs[REDISCONN_DROPPED], 2);
	ck_assert_int_eq(t.starts, 2);
	ck_assert_str_eq(t.why[REDISCONN_DROPPED],
			 "AUTH refused: WRONGPASS invalid username-password pair");

	/* 3: the server closes at once: lost (or, by the time the client
	 * looks, failed), told once */
	ck_assert_int_eq(t.gone, 0);
	run_until(&t.gone, 1);
	ck_assert_int_eq(t.starts, 3);
	ck_assert_int_eq(t.downs[REDISCONN_DROPPED], 2);

	/* 4: and it works again */
	run_until(&t.pongs, 2);
	ck_assert_int_eq(t.starts, 4);
}
END_TEST

START_TEST(test_async_refused)
{
	char url[128];
	int64_t gap1, gap2;

	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", refused_port());
	t.rc = conn_new(url);
	redisconn_connect(t.rc);
	run_until(&t.downs[REDISCONN_FAILED], 3);
	/* 100 ms, then 200 ms, between the three attempts (libevent's clock
	 * is coarse: a few ms of slack) */
	gap1 = t.failed_us[1] - t.failed_us[0];
	gap2 = t.failed_us[2] - t.failed_us[1];
	ck_assert_msg(gap1 >= 90000 && gap2 >= 180000 && gap2 > gap1,
		      "attempts %lld us, then %lld us apart", (long long)gap1, (long long)gap2);
	ck_assert_int_eq(t.downs[REDISCONN_LOST] + t.downs[REDISCONN_DROPPED], 0);
	ck_assert_int_eq(t.pongs, 0);
}
END_TEST

START_TEST(test_async_free)
{
	static const struct fake_conn script[] = {{SETUP_CMDS PING_CMD, "+OK\r\n+OK\r\n", 0}};
	char url[128];
	int port;

	fake_start(script, 1, &port);
	snprintf(url, sizeof(url), "redis://alice:pw@127.0.0.1:%d/3", port);
	t.rc = conn_new(url);
	redisconn_connect(t.rc);
	run_until(&t.replied, 1);
	/* freed with a command pending: its callback gets NULL, nothing else comes */
	redisconn_free(t.rc);
	t.rc = NULL;
	run_until(&t.eofs, 1);
	ck_assert_int_eq(t.downs[0] + t.downs[1] + t.downs[2], 0);
	ck_assert_int_eq(t.pongs, 0);
}
END_TEST

static Suite *
redisconn_suite(void)
{
	Suite *s = suite_create("redisconn");
	TCase *tc;

	tc = tcase_create("backoff");
	tcase_add_loop_test(tc, test_backoff, 0, sizeof(backoffs) / sizeof(backoffs[0]));
	tcase_add_test(tc, test_backoff_no_overflow);
	suite_add_tcase(s, tc);
	tc = tcase_create("setup");
	tcase_add_test(tc, test_setup);
	tcase_add_test(tc, test_sync);
	suite_add_tcase(s, tc);
	tc = tcase_create("async");
	tcase_add_checked_fixture(tc, async_setup, async_teardown);
	tcase_add_test(tc, test_async_script);
	tcase_add_test(tc, test_async_refused);
	tcase_add_test(tc, test_async_free);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(redisconn_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
