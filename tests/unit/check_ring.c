/*
 * check_ring.c: the shared-memory ring (common/ring.c): publish and read,
 * wrap-around with pad records, a lapped reader gets the exact lost range,
 * seek, re-attach by a new writer, readers refusing a foreign ring, waiting
 * for news (woken, or timed out).
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ring.h"
#include "ringwake.h"

static char ring_name[64];

static void
setup(void)
{
	snprintf(ring_name, sizeof(ring_name), "/hookwire-check-ring-%d", (int)getpid());
	shm_unlink(ring_name);
}

static void
teardown(void)
{
	shm_unlink(ring_name);
}

/* Payload for seq: a string of a size that depends on seq. */
static size_t
payload_for(uint64_t seq, char *buf, size_t size)
{
	size_t n = 20 + (seq * 37) % 300;
	size_t i;

	if (n > size)
		n = size;
	for (i = 0; i < n; i++)
		buf[i] = (char)('a' + (seq + i) % 26);
	snprintf(buf, n, "{\"seq\":%llu}", (unsigned long long)seq);
	return n;
}

static void
publish_range(struct ring *w, uint64_t from, uint64_t to)
{
	char buf[512];
	uint64_t s;

	for (s = from; s <= to; s++) {
		size_t n = payload_for(s, buf, sizeof(buf));

		ck_assert_int_eq(ring_publish(w, s, buf, (uint32_t)n, (int64_t)s * 10), 0);
	}
	ring_notify(w);
}

/* Reads every record from cur and checks it; returns the count read. */
static uint64_t
read_all(struct ring *rd, struct ring_cursor *cur, uint64_t *last)
{
	char buf[512], want[512];
	uint64_t seq, lf, lt, n = 0;
	int64_t ts;
	size_t len;
	enum ring_read_status st;

	for (;;) {
		len = sizeof(buf);
		st = ring_read(rd, cur, buf, &len, &seq, &ts, &lf, &lt);
		if (st == RING_EMPTY)
			break;
		ck_assert_int_eq(st, RING_OK);
		ck_assert_uint_eq(len, payload_for(seq, want, sizeof(want)));
		ck_assert(memcmp(buf, want, len) == 0);
		ck_assert_int_eq(ts, (int64_t)seq * 10);
		if (*last != 0)
			ck_assert_uint_eq(seq, *last + 1);
		*last = seq;
		n++;
	}
	return n;
}

START_TEST(test_publish_read)
{
	char err[256];
	struct ring *w, *rd;
	struct ring_cursor cur;
	uint64_t last = 0;

	w = ring_create(ring_name, 65536, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	rd = ring_open(ring_name, err, sizeof(err));
	ck_assert_msg(rd != NULL, "%s", err);
	ring_seek_end(rd, &cur);
	ck_assert_uint_eq(read_all(rd, &cur, &last), 0);
	publish_range(w, 1, 50);
	ck_assert_uint_eq(read_all(rd, &cur, &last), 50);
	ck_assert_uint_eq(last, 50);
	ck_assert_uint_eq(ring_header(rd)->last_seq, 50);
	ck_assert_uint_eq(ring_header(rd)->first_seq, 1);
	ring_close(rd);
	ring_close(w);
}
END_TEST

START_TEST(test_wrap)
{
	char err[256];
	struct ring *w, *rd;
	struct ring_cursor cur;
	uint64_t last = 0, s, total = 0;

	w = ring_create(ring_name, 65536, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	rd = ring_open(ring_name, err, sizeof(err));
	ck_assert_msg(rd != NULL, "%s", err);
	ring_seek(rd, &cur, 1, NULL, NULL);
	/* small batches, reader keeps up: wraps many times, never lapped */
	for (s = 1; s <= 20000; s += 40) {
		publish_range(w, s, s + 39);
		total += read_all(rd, &cur, &last);
	}
	ck_assert_uint_eq(total, 20000);
	ck_assert_uint_gt(ring_header(rd)->first_seq, 1);
	ck_assert_uint_gt(ring_header(rd)->counters[RING_C_OVERRUNS], 0);
	/* a new reader starting at first_seq reads what the ring holds, dense */
	ring_seek(rd, &cur, ring_header(rd)->first_seq, NULL, NULL);
	last = 0;
	total = read_all(rd, &cur, &last);
	ck_assert_uint_eq(last, 20000);
	ck_assert_uint_eq(total, 20000 - ring_header(rd)->first_seq + 1);
	ring_close(rd);
	ring_close(w);
}
END_TEST

START_TEST(test_lapped)
{
	char err[256], buf[512];
	struct ring *w, *rd;
	struct ring_cursor cur;
	uint64_t last = 0, seq, lf = 0, lt = 0, fs;
	size_t len = sizeof(buf);

	w = ring_create(ring_name, 65536, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	rd = ring_open(ring_name, err, sizeof(err));
	ck_assert_msg(rd != NULL, "%s", err);
	publish_range(w, 1, 10);
	ring_seek(rd, &cur, 1, NULL, NULL);
	ck_assert_uint_eq(read_all(rd, &cur, &last), 10);
	/* the reader sleeps while the writer goes round several times */
	publish_range(w, 11, 5000);
	fs = ring_header(rd)->first_seq;
	ck_assert_uint_gt(fs, 11);
	ck_assert_int_eq(ring_read(rd, &cur, buf, &len, &seq, NULL, &lf, &lt), RING_LAPPED);
	ck_assert_uint_eq(lf, 11);
	ck_assert_uint_eq(lt, fs - 1);
	last = 0;
	ck_assert_uint_eq(read_all(rd, &cur, &last), 5000 - fs + 1);
	ck_assert_uint_eq(last, 5000);
	/* a reader mid-record whose position is overwritten learns the same */
	len = sizeof(buf);
	ring_seek(rd, &cur, 4990, NULL, NULL);
	ck_assert_int_eq(ring_read(rd, &cur, buf, &len, &seq, NULL, &lf, &lt), RING_OK);
	ck_assert_uint_eq(seq, 4990);
	publish_range(w, 5001, 9000);
	fs = ring_header(rd)->first_seq;
	len = sizeof(buf);
	ck_assert_int_eq(ring_read(rd, &cur, buf, &len, &seq, NULL, &lf, &lt), RING_LAPPED);
	ck_assert_uint_eq(lf, 4991);
	ck_assert_uint_eq(lt, fs - 1);
	ring_close(rd);
	ring_close(w);
}
END_TEST

START_TEST(test_seek)
{
	char err[256], buf[512];
	struct ring *w, *rd;
	struct ring_cursor cur;
	uint64_t seq, lf = 0, lt = 0, fs;
	size_t len;

	w = ring_create(ring_name, 65536, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	rd = ring_open(ring_name, err, sizeof(err));
	ck_assert_msg(rd != NULL, "%s", err);
	publish_range(w, 100, 2000);
	fs = ring_header(rd)->first_seq;
	ck_assert_int_eq(ring_seek(rd, &cur, 1990, &lf, &lt), 0);
	len = sizeof(buf);
	ck_assert_int_eq(ring_read(rd, &cur, buf, &len, &seq, NULL, &lf, &lt), RING_OK);
	ck_assert_uint_eq(seq, 1990);
	ck_assert_int_eq(ring_seek(rd, &cur, 5, &lf, &lt), 1);
	ck_assert_uint_eq(lf, 5);
	ck_assert_uint_eq(lt, fs - 1);
	len = sizeof(buf);
	ck_assert_int_eq(ring_read(rd, &cur, buf, &len, &seq, NULL, &lf, &lt), RING_OK);
	ck_assert_uint_eq(seq, fs);
	/* past the end: clamped to the next one to come */
	ck_assert_int_eq(ring_seek(rd, &cur, 999999, &lf, &lt), 0);
	ck_assert_uint_eq(cur.next_seq, 2001);
	len = sizeof(buf);
	ck_assert_int_eq(ring_read(rd, &cur, buf, &len, &seq, NULL, &lf, &lt), RING_EMPTY);
	publish_range(w, 2001, 2001);
	len = sizeof(buf);
	ck_assert_int_eq(ring_read(rd, &cur, buf, &len, &seq, NULL, &lf, &lt), RING_OK);
	ck_assert_uint_eq(seq, 2001);
	/* buffer too small: told the size, cursor unchanged */
	ring_seek(rd, &cur, 2000, NULL, NULL);
	len = 4;
	ck_assert_int_eq(ring_read(rd, &cur, buf, &len, &seq, NULL, &lf, &lt), RING_TOOSMALL);
	ck_assert_uint_gt(len, 4);
	len = sizeof(buf);
	ck_assert_int_eq(ring_read(rd, &cur, buf, &len, &seq, NULL, &lf, &lt), RING_OK);
	ck_assert_uint_eq(seq, 2000);
	ring_close(rd);
	ring_close(w);
}
END_TEST

START_TEST(test_reattach)
{
	char err[256];
	struct ring *w, *rd;
	struct ring_cursor cur;
	uint64_t last = 0;

	w = ring_create(ring_name, 65536, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	publish_range(w, 1, 300);
	ring_close(w);
	ck_assert(ring_create(ring_name, 131072, err, sizeof(err)) == NULL);
	ck_assert(strstr(err, "size") != NULL);
	w = ring_create(ring_name, 65536, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	ck_assert_uint_eq(ring_header(w)->last_seq, 300);
	ck_assert_int_eq(ring_header(w)->writer_pid, getpid());
	ck_assert_int_eq(ring_publish(w, 302, "x", 1, 0), 0); /* any seq is accepted by the ring */
	ring_close(w);
	w = ring_create(ring_name, 65536, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	publish_range(w, 303, 400);
	rd = ring_open(ring_name, err, sizeof(err));
	ck_assert_msg(rd != NULL, "%s", err);
	ring_seek(rd, &cur, 303, NULL, NULL);
	ck_assert_uint_eq(read_all(rd, &cur, &last), 98);
	ring_close(rd);
	ring_close(w);
}
END_TEST

START_TEST(test_refuse)
{
	char err[256];
	struct ring *w;
	struct ring_hdr *h;
	int fd;
	void *p;

	ck_assert(ring_open(ring_name, err, sizeof(err)) == NULL);
	ck_assert(strstr(err, "no ring") != NULL);
	w = ring_create(ring_name, 65536, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	ring_close(w);
	fd = shm_open(ring_name, O_RDWR, 0);
	ck_assert_int_ge(fd, 0);
	p = mmap(NULL, RING_HEADER_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert(p != MAP_FAILED);
	close(fd);
	h = p;
	h->compat = RING_VERSION + 1;
	h->version = RING_VERSION + 1;
	ck_assert(ring_open(ring_name, err, sizeof(err)) == NULL);
	ck_assert_msg(strstr(err, "version") != NULL, "%s", err);
	ck_assert(ring_create(ring_name, 65536, err, sizeof(err)) == NULL);
	h->magic = 42;
	ck_assert(ring_open(ring_name, err, sizeof(err)) == NULL);
	ck_assert_msg(strstr(err, "not a hookwire ring") != NULL, "%s", err);
	munmap(p, RING_HEADER_SIZE);
}
END_TEST

START_TEST(test_limits)
{
	char err[256];
	struct ring *w;
	char *big;

	ck_assert(ring_create(ring_name, 65537, err, sizeof(err)) == NULL);
	ck_assert(ring_create(ring_name, 1024, err, sizeof(err)) == NULL);
	w = ring_create(ring_name, 65536, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	ck_assert_uint_eq(ring_payload_max(w), 16384);
	big = calloc(1, 16385);
	ck_assert_int_eq(ring_publish(w, 1, big, 16385, 0), -1);
	ck_assert_int_eq(ring_publish(w, 1, big, 16384, 0), 0);
	free(big);
	ring_close(w);
}
END_TEST

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ringwake_wait() tells news (1) from a timeout (0): news that came before the
 * wait returns at once, a timeout returns after the time given, and a
 * ring_notify() from another process ends a long wait early. */
START_TEST(test_wait)
{
	char err[256];
	struct ring *w, *rd;
	uint32_t seen;
	int64_t t0, dt;
	pid_t pid;
	int status;

	w = ring_create(ring_name, 65536, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	rd = ring_open(ring_name, err, sizeof(err));
	ck_assert_msg(rd != NULL, "%s", err);

	seen = ring_notify_value(rd);
	ring_notify(w);
	ck_assert_int_eq(ringwake_wait(rd, seen, 0), 1);
	ck_assert_int_eq(ringwake_wait(rd, seen, -1), 1);

	seen = ring_notify_value(rd);
	t0 = now_ms();
	ck_assert_int_eq(ringwake_wait(rd, seen, 50), 0);
	dt = now_ms() - t0;
	ck_assert_msg(dt >= 50, "a 50 ms timeout returned after %lld ms", (long long)dt);
	ck_assert_int_eq(ringwake_wait(rd, seen, 0), 0);

	/* The writer notifies 20 ms into a 10 s wait (most often while the
	 * reader is in FUTEX_WAIT; if it comes first, the answer is the same). */
	seen = ring_notify_value(rd);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct timespec d = {0, 20 * 1000000};

		nanosleep(&d, NULL);
		ring_notify(w);
		_exit(0);
	}
	t0 = now_ms();
	ck_assert_int_eq(ringwake_wait(rd, seen, 10000), 1);
	dt = now_ms() - t0;
	ck_assert_msg(dt < 5000, "a wake-up after 20 ms took %lld ms", (long long)dt);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_uint_ne(ring_notify_value(rd), seen);
	ring_close(rd);
	ring_close(w);
}
END_TEST

/* A writer process publishes fast while this process reads: every record
 * read is intact, and records read plus ranges reported lost are exactly
 * 1..N, in order (no silent gap, no torn copy). */
START_TEST(test_concurrent)
{
	char err[256], buf[512], want[512];
	struct ring *w, *rd;
	struct ring_cursor cur;
	uint64_t seq, lf, lt, expect = 1, nlost = 0, nread = 0;
	const uint64_t total = 100000;
	size_t len;
	pid_t pid;
	int status;
	enum ring_read_status st;

	w = ring_create(ring_name, 65536, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	rd = ring_open(ring_name, err, sizeof(err));
	ck_assert_msg(rd != NULL, "%s", err);
	ring_seek(rd, &cur, 1, NULL, NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		uint64_t s;

		for (s = 1; s <= total; s++) {
			size_t n = payload_for(s, buf, sizeof(buf));

			ring_publish(w, s, buf, (uint32_t)n, (int64_t)s * 10);
			if (s % 16 == 0 || s == total)
				ring_notify(w);
		}
		_exit(0);
	}
	while (expect <= total) {
		uint32_t seen = ring_notify_value(rd);

		len = sizeof(buf);
		st = ring_read(rd, &cur, buf, &len, &seq, NULL, &lf, &lt);
		if (st == RING_EMPTY) {
			ringwake_wait(rd, seen, 100);
			continue;
		}
		if (st == RING_LAPPED) {
			ck_assert_uint_eq(lf, expect);
			ck_assert_uint_ge(lt, lf);
			nlost += lt - lf + 1;
			expect = lt + 1;
			continue;
		}
		ck_assert_int_eq(st, RING_OK);
		ck_assert_uint_eq(seq, expect);
		ck_assert_uint_eq(len, payload_for(seq, want, sizeof(want)));
		ck_assert(memcmp(buf, want, len) == 0);
		expect++;
		nread++;
	}
	ck_assert_uint_eq(nread + nlost, total);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ring_close(rd);
	ring_close(w);
}
END_TEST

static Suite *
ring_suite(void)
{
	Suite *s = suite_create("ring");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_publish_read);
	tcase_add_test(tc, test_wrap);
	tcase_add_test(tc, test_lapped);
	tcase_add_test(tc, test_seek);
	tcase_add_test(tc, test_reattach);
	tcase_add_test(tc, test_refuse);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_wait);
	suite_add_tcase(s, tc);
	tc = tcase_create("concurrent");
	tcase_set_timeout(tc, 120); /* a loaded machine: two processes racing */
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_concurrent);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ring_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
