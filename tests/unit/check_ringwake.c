/*
 * check_ringwake.c: the ring's waker (common/ringwake.c, or
 * common/ringwake_dgram.c in the portable build): its descriptor
 * becomes readable when records are published (by this process or
 * another), and only then; it stops promptly, without a signal, and
 * without disturbing another waker of the same ring; it installs no signal
 * handler and leaves signals to the caller's thread.
 */
#include <check.h>
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ring.h"
#include "ringwake.h"
#include "util.h"

static char ring_name[64];
static struct ring *wr, *rd; /* the writer's and a reader's mappings */
static uint64_t next_seq = 1;

static void
setup(void)
{
	char err[256];

	snprintf(ring_name, sizeof(ring_name), "/hookwire-check-ringwake-%d", (int)getpid());
	shm_unlink(ring_name);
	wr = ring_create(ring_name, 65536, err, sizeof(err));
	ck_assert_msg(wr != NULL, "%s", err);
	rd = ring_open(ring_name, err, sizeof(err));
	ck_assert_msg(rd != NULL, "%s", err);
	next_seq = 1;
}

static void
teardown(void)
{
	ring_close(rd);
	ring_close(wr);
	shm_unlink(ring_name);
}

static void
publish(struct ring *w)
{
	ck_assert_int_eq(ring_publish(w, next_seq, "{}", 2, 0), 0);
	next_seq++;
	ring_notify(w);
}

/* Whether fd becomes readable within ms milliseconds. */
static int
readable(int fd, int ms)
{
	struct pollfd p = {fd, POLLIN, 0};
	int n;

	while ((n = poll(&p, 1, ms)) == -1)
		;
	return n == 1 && (p.revents & POLLIN);
}

static struct ringwake *
new_wake(void)
{
	struct ringwake *w;
	char err[256];

	w = ringwake_new(rd, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	return w;
}

START_TEST(test_wakes_on_publish)
{
	struct ringwake *w = new_wake();
	struct ring_cursor cur;
	char buf[64];
	size_t len;
	uint64_t seq, lf, lt;
	int i;

	ring_seek_end(rd, &cur);
	ck_assert(!readable(ringwake_fd(w), 50));
	for (i = 0; i < 3; i++) {
		publish(wr);
		ck_assert(readable(ringwake_fd(w), 5000));
		ringwake_ack(w);
		ck_assert(!readable(ringwake_fd(w), 0));
		len = sizeof(buf);
		ck_assert_int_eq(ring_read(rd, &cur, buf, &len, &seq, NULL, &lf, &lt), RING_OK);
		ck_assert_uint_eq(seq, (uint64_t)i + 1);
		len = sizeof(buf);
		ck_assert_int_eq(ring_read(rd, &cur, buf, &len, &seq, NULL, &lf, &lt), RING_EMPTY);
	}
	ringwake_free(w);
}
END_TEST

/* Records published before ringwake_new() are the caller's to read; only
 * later ones make the descriptor readable. */
START_TEST(test_from_now_on)
{
	struct ringwake *w;

	publish(wr);
	w = new_wake();
	ck_assert(!readable(ringwake_fd(w), 50));
	publish(wr);
	ck_assert(readable(ringwake_fd(w), 5000));
	ringwake_free(w);
}
END_TEST

/* A wake-up without a publish (another reader stopping its waker, or a
 * writer's wake without a batch) is not passed on. */
START_TEST(test_no_wake_without_data)
{
	struct ringwake *w = new_wake(), *other = new_wake();

#ifndef HOOKWIRE_PORTABLE
	/* the datagram waker passes this one on (ringwake_dgram.c says why) */
	ringwake_notify(wr);
	ck_assert(!readable(ringwake_fd(w), 100));
#endif
	ringwake_free(other);
	ck_assert(!readable(ringwake_fd(w), 100));
	publish(wr);
	ck_assert(readable(ringwake_fd(w), 5000));
	ringwake_free(w);
}
END_TEST

/* Many starts and stops, some with a wake-up pending, all prompt. */
START_TEST(test_stops_cleanly)
{
	struct ringwake *w;
	int64_t t0 = util_mono_us();
	int i;

	for (i = 0; i < 200; i++) {
		w = new_wake();
		if (i % 2 == 0) {
			publish(wr);
			ck_assert(readable(ringwake_fd(w), 5000));
		}
		ringwake_free(w);
	}
	ck_assert_msg(util_mono_us() - t0 < 20 * 1000000, "200 stops took %lld us",
		      (long long)(util_mono_us() - t0));
	ringwake_free(NULL);
	publish(wr); /* no waker left to notice; nothing breaks */
}
END_TEST

/* The writer in another process wakes this one. */
START_TEST(test_other_process)
{
	struct ringwake *w = new_wake();
	pid_t pid;
	int status;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		publish(wr);
		_exit(0);
	}
	ck_assert(readable(ringwake_fd(w), 5000));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ringwake_free(w);
}
END_TEST

/* The signals every other thread of this process blocks (their SigBlk
 * masks of /proc/self/task/<tid>/status, ANDed).  Returns how many other
 * threads there are. */
static int
other_threads_blocked(unsigned long long *and_mask)
{
	char path[300], line[256];
	DIR *d;
	struct dirent *de;
	FILE *f;
	unsigned long long m;
	int n = 0;

	*and_mask = ~0ULL;
	ck_assert((d = opendir("/proc/self/task")) != NULL);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || atoi(de->d_name) == (int)gettid())
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status", de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "SigBlk: %llx", &m) == 1) {
				*and_mask &= m;
				n++;
			}
		fclose(f);
	}
	closedir(d);
	return n;
}

/* No handler is installed behind the caller's back, and the helper thread
 * blocks the signals a daemon handles, so they stay with the caller. */
START_TEST(test_signals_stay)
{
	static const int handled[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGPIPE, SIGCHLD};
	struct sigaction before[NSIG], after;
	sigset_t set;
	unsigned long long blk;
	struct ringwake *w;
	size_t i;
	int sig;

	/* the caller takes them (whatever mask the test runner left) */
	sigemptyset(&set);
	for (i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaddset(&set, handled[i]);
	ck_assert_int_eq(pthread_sigmask(SIG_UNBLOCK, &set, NULL), 0);
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, NULL, &before[sig]);
	w = new_wake();
	for (sig = 1; sig < NSIG; sig++)
		if (sigaction(sig, NULL, &after) == 0)
			ck_assert_msg(before[sig].sa_handler == after.sa_handler,
				      "signal %d's handler changed", sig);
	/* once it has passed on a wake-up the helper runs with its own mask
	 * (a thread starts with every signal blocked until it sets its own) */
	publish(wr);
	ck_assert(readable(ringwake_fd(w), 5000));
#ifdef HOOKWIRE_PORTABLE
	/* ringwake_dgram.c: the descriptor is the socket itself, no thread */
	ck_assert_int_eq(other_threads_blocked(&blk), 0);
	(void)i;
#else
	ck_assert_int_eq(other_threads_blocked(&blk), 1);
	for (i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		ck_assert_msg(blk & (1ULL << (handled[i] - 1)), "the helper takes signal %d",
			      handled[i]);
#endif
	ringwake_free(w);
	ck_assert_int_eq(other_threads_blocked(&blk), 0);
}
END_TEST

#ifdef HOOKWIRE_PORTABLE
/* ringwake_dgram.c: the name a killed waiter left behind (a socket bound,
 * then closed without unlink) is removed by the writer's next wake-up, and
 * the directory with it when it was the last; a live waiter is kept. */
START_TEST(test_stale_names)
{
	struct sockaddr_un sa;
	struct ringwake *w;
	char dir[80]; /* "/tmp" ring_name ".wake" */
	struct stat st;
	int fd;

	w = new_wake();
	snprintf(dir, sizeof(dir), "/tmp%s.wake", ring_name);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/dead.1", dir);
	ck_assert_int_ge(fd = socket(AF_UNIX, SOCK_DGRAM, 0), 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	ck_assert_int_eq(stat(sa.sun_path, &st), 0);
	publish(wr);
	ck_assert(readable(ringwake_fd(w), 5000));
	ck_assert_int_eq(stat(sa.sun_path, &st), -1);
	ck_assert_int_eq(stat(dir, &st), 0); /* w is still there */
	ringwake_free(w);
	ck_assert_int_eq(stat(dir, &st), -1); /* the last waiter removed it */

	/* a waiter killed alone: its name and the directory go at the next batch */
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_ge(fd = socket(AF_UNIX, SOCK_DGRAM, 0), 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	publish(wr);
	ck_assert_int_eq(stat(dir, &st), -1);
}
END_TEST
#endif

static Suite *
ringwake_suite(void)
{
	Suite *s = suite_create("ringwake");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_wakes_on_publish);
	tcase_add_test(tc, test_from_now_on);
	tcase_add_test(tc, test_no_wake_without_data);
	tcase_add_test(tc, test_other_process);
	tcase_add_test(tc, test_signals_stay);
#ifdef HOOKWIRE_PORTABLE
	tcase_add_test(tc, test_stale_names);
#endif
	suite_add_tcase(s, tc);
	tc = tcase_create("stop");
	tcase_set_timeout(tc, 60); /* a loaded machine: 200 threads started and joined */
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_stops_cleanly);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ringwake_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
