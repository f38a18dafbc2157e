/*
 * check_journal.c: the router's journal (event-router/journal.c) and the
 * start-up recovery that reads it (router_recover in router.c).
 *
 * core:     append batches, last seq across reopen, replay from a seq
 * limits:   rotation at segment_size, retention by keep_bytes, a truncated
 *           last line cut at open, fsync policy names, syncs handed to the
 *           journal's thread across rotations
 * recover:  journal ahead of the ring (crash between the writes) and a new
 *           ring (reboot) are filled from the journal; a retried id is a
 *           duplicate after a restart; the sequence continues
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "router.h"

static char dir[256];
static char ring_name[64];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_journal.%d.XXXXXX", (int)getpid());
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(ring_name, sizeof(ring_name), "/hookwire-check-journal-%d", (int)getpid());
	shm_unlink(ring_name);
}

static void
teardown(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	shm_unlink(ring_name);
}

static struct journal_opts
opts(uint64_t seg, uint64_t keep)
{
	struct journal_opts o = {seg, keep, 0, JOURNAL_FSYNC_NEVER};

	return o;
}

/* Appends events from..to as one batch. */
static void
append(struct journal *j, uint64_t from, uint64_t to)
{
	static char buf[1 << 20];
	char err[256];
	size_t len = 0;
	uint64_t s;

	for (s = from; s <= to; s++)
		len += (size_t)snprintf(
		    buf + len, sizeof(buf) - len,
		    "{\"seq\":%llu,\"id\":\"%032llx\",\"ts\":\"2026-11-28T20:25:03."
		    "000001Z\",\"event\":\"E\",\"data\":{\"pad\":\"%0100d\"}}\n",
		    (unsigned long long)s, (unsigned long long)s, 0);
	ck_assert_msg(journal_append(j, buf, len, from, to, err, sizeof(err)) == 0, "%s", err);
}

/* journal_open() in dir, which must succeed. */
static struct journal *
open_ok(const struct journal_opts *o)
{
	struct journal *j;
	size_t trunc;
	char err[256];

	j = journal_open(dir, o, &trunc, err, sizeof(err));
	ck_assert_msg(j != NULL, "%s", err);
	return j;
}

static int
count_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "journal-", 8) == 0)
			n++;
	closedir(d);
	return n;
}

struct collect {
	uint64_t first, last, n;
	int dense;
};

static int
collect_cb(void *arg, const char *line, size_t len, uint64_t seq)
{
	struct collect *c = arg;

	ck_assert_uint_eq(event_line_seq(line, len), seq);
	if (c->n == 0)
		c->first = seq;
	else if (seq != c->last + 1)
		c->dense = 0;
	c->last = seq;
	c->n++;
	return 0;
}

/* Replays the whole journal: every seq from first to last, once, in order. */
static void
replay_all(uint64_t first, uint64_t last)
{
	struct collect c = {0, 0, 0, 1};
	char err[256];

	ck_assert_msg(journal_replay(dir, 0, collect_cb, &c, err, sizeof(err)) == 0, "%s", err);
	ck_assert(c.dense);
	ck_assert_uint_eq(c.first, first);
	ck_assert_uint_eq(c.last, last);
}

START_TEST(test_append_reopen)
{
	struct journal_opts o = opts(1 << 20, 1 << 30);
	struct journal *j;
	struct collect c = {0, 0, 0, 1};
	size_t trunc;
	char err[256];

	j = journal_open(dir, &o, &trunc, err, sizeof(err));
	ck_assert_msg(j != NULL, "%s", err);
	ck_assert_uint_eq(journal_last_seq(j), 0);
	append(j, 1, 10);
	append(j, 11, 25);
	ck_assert_uint_eq(journal_last_seq(j), 25);
	journal_close(j);
	j = journal_open(dir, &o, &trunc, err, sizeof(err));
	ck_assert_msg(j != NULL, "%s", err);
	ck_assert_uint_eq(trunc, 0);
	ck_assert_uint_eq(journal_last_seq(j), 25);
	append(j, 26, 30);
	journal_close(j);
	ck_assert_int_eq(journal_replay(dir, 7, collect_cb, &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.first, 7);
	ck_assert_uint_eq(c.last, 30);
	ck_assert_uint_eq(c.n, 24);
	ck_assert(c.dense);
	ck_assert_uint_eq(event_line_seq("{\"seq\":123,\"id\"", 16), 123);
	ck_assert_uint_eq(event_line_seq("{\"id\":1}", 8), 0);
}
END_TEST

START_TEST(test_rotate_retain)
{
	struct journal_opts o = opts(64 * 1024, 256 * 1024);
	struct journal *j;
	struct collect c = {0, 0, 0, 1};
	size_t trunc;
	char err[256];
	uint64_t s;

	j = journal_open(dir, &o, &trunc, err, sizeof(err));
	ck_assert_msg(j != NULL, "%s", err);
	for (s = 1; s <= 10000; s += 50)
		append(j, s, s + 49);
	ck_assert_uint_eq(journal_last_seq(j), 10000);
	journal_close(j);
	/* ~1.8 MB written, 64 KiB segments, 256 KiB kept */
	ck_assert_int_gt(count_files(), 2);
	ck_assert_int_le(count_files(), 6);
	ck_assert_int_eq(journal_replay(dir, 0, collect_cb, &c, err, sizeof(err)), 0);
	ck_assert(c.dense);
	ck_assert_uint_eq(c.last, 10000);
	ck_assert_uint_gt(c.first, 1);
	ck_assert_uint_gt(journal_seq_for_bytes(dir, 1), c.first);
	ck_assert_uint_le(journal_seq_for_bytes(dir, 1 << 30), c.first);
	j = journal_open(dir, &o, &trunc, err, sizeof(err));
	ck_assert_uint_eq(journal_last_seq(j), 10000);
	journal_close(j);
}
END_TEST

/* fsync batch: syncs handed to the journal's thread while batches are
 * appended and segments rotated (and closed) under it; nothing is lost and
 * close waits for the last one. */
START_TEST(test_sync_thread)
{
	struct journal_opts o = {16 * 1024, 1 << 30, 0, JOURNAL_FSYNC_BATCH};
	struct journal *j = open_ok(&o);
	uint64_t s;

	ck_assert_int_eq(journal_sync_start(j), 0); /* nothing written: nothing to do */
	for (s = 1; s <= 2000; s += 20) {
		append(j, s, s + 19);
		ck_assert(journal_dirty(j));
		ck_assert_int_eq(journal_sync_start(j), 0);
		ck_assert(!journal_dirty(j));
	}
	append(j, 2001, 2010);
	journal_close(j);
	ck_assert_int_gt(count_files(), 10);
	replay_all(1, 2010);
}
END_TEST

/* Descriptors open in this process below 1024 (fcntl: no /proc needed). */
static int
count_fds(void)
{
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return n;
}

/* fsync batch, no journal_sync_start() between batches: each segment is
 * rotated out dirty and handed to the thread, many more at once than it
 * keeps waiting (the rest are synced by the rotation); it syncs and closes
 * every one, nothing is lost, no descriptor is left open. */
START_TEST(test_rotate_hand_off)
{
	struct journal_opts o = {4 * 1024, 1 << 30, 0, JOURNAL_FSYNC_BATCH};
	struct journal *j;
	int fds = count_fds();
	uint64_t s;

	j = open_ok(&o);
	for (s = 1; s <= 3000; s += 10)
		append(j, s, s + 9);
	ck_assert(journal_dirty(j));
	journal_close(j);
	ck_assert_int_eq(count_fds(), fds);
	ck_assert_int_gt(count_files(), 40);
	replay_all(1, 3000);
}
END_TEST

START_TEST(test_truncated)
{
	struct journal_opts o = opts(1 << 20, 1 << 30);
	struct journal *j;
	struct collect c = {0, 0, 0, 1};
	char err[256], path[512];
	size_t trunc;
	struct stat st;
	int fd;

	j = journal_open(dir, &o, &trunc, err, sizeof(err));
	append(j, 1, 5);
	journal_close(j);
	snprintf(path, sizeof(path), "%s/journal-%020d.ndjson", dir, 1);
	fd = open(path, O_WRONLY | O_APPEND);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "{\"seq\":6,\"id\":\"ab", 17), 17);
	close(fd);
	j = journal_open(dir, &o, &trunc, err, sizeof(err));
	ck_assert_msg(j != NULL, "%s", err);
	ck_assert_uint_eq(trunc, 17);
	ck_assert_uint_eq(journal_last_seq(j), 5);
	append(j, 6, 6);
	journal_close(j);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(journal_replay(dir, 1, collect_cb, &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.n, 6);
	ck_assert(c.dense);
}
END_TEST

START_TEST(test_fsync_names)
{
	enum journal_fsync f;

	ck_assert_int_eq(journal_fsync_parse("always", &f), 0);
	ck_assert_int_eq(f, JOURNAL_FSYNC_ALWAYS);
	ck_assert_int_eq(journal_fsync_parse("batch", &f), 0);
	ck_assert_int_eq(f, JOURNAL_FSYNC_BATCH);
	ck_assert_int_eq(journal_fsync_parse("never", &f), 0);
	ck_assert_int_eq(f, JOURNAL_FSYNC_NEVER);
	ck_assert_int_eq(journal_fsync_parse("sometimes", &f), -1);
}
END_TEST

/* ---------------------------------------------------------------- recover */

static struct router *
new_router(struct ring *ring, struct journal *j)
{
	struct router_opts ro;
	struct router *rt;
	char err[256];

	memset(&ro, 0, sizeof(ro));
	event_limits_default(&ro.lim);
	ro.line_max = 1 << 20;
	ro.lim.input_max = ro.line_max;
	ro.dedup_ids = 1000;
	ro.dedup_window_us = 2000000;
	rt = router_new(&ro, ring, j, NULL, err, sizeof(err));
	ck_assert_msg(rt != NULL, "%s", err);
	return rt;
}

static uint64_t
feed(struct router *rt, unsigned n, const char *tag)
{
	char line[512], reply[256];
	const char *reason;
	uint64_t seq = 0;

	snprintf(line, sizeof(line),
		 "{\"id\":\"%032x\",\"ts\":\"2026-11-28T20:25:03.000001Z\",\"event\":\"E\","
		 "\"session_id\":\"s\",\"data\":{\"n\":%u,\"t\":\"%s\"}}",
		 n, n, tag);
	ck_assert_int_eq(router_line(rt, line, strlen(line), &seq, &reason, reply, sizeof(reply)),
			 ROUTER_ACCEPTED);
	return seq;
}

START_TEST(test_recover)
{
	struct journal_opts o = opts(1 << 20, 1 << 30);
	struct journal *j;
	struct ring *ring;
	struct router *rt;
	char err[256], line[512], reply[256];
	const char *reason;
	size_t trunc;
	uint64_t rep, seq;
	unsigned i;

	ring = ring_create(ring_name, 1 << 20, err, sizeof(err));
	ck_assert_msg(ring != NULL, "%s", err);
	j = journal_open(dir, &o, &trunc, err, sizeof(err));
	rt = new_router(ring, j);
	ck_assert_int_eq(router_recover(rt, dir, &rep, err, sizeof(err)), 0);
	ck_assert_uint_eq(router_next_seq(rt), 1);
	for (i = 1; i <= 20; i++)
		ck_assert_uint_eq(feed(rt, i, "a"), i);
	ck_assert_int_eq(router_commit(rt, err, sizeof(err)), 0);
	ck_assert_uint_eq(ring_header(ring)->last_seq, 20);
	/* the journal gets 5 more that never reach the ring (crash in between) */
	router_free(rt);
	{
		static char buf[4096];
		size_t len = 0;

		for (i = 21; i <= 25; i++)
			len += (size_t)snprintf(
			    buf + len, sizeof(buf) - len,
			    "{\"seq\":%u,\"id\":\"%032x\",\"ts\":\"2026-11-28T20:25:"
			    "03.000001Z\",\"event\":\"E\",\"data\":{}}\n",
			    i, i);
		ck_assert_int_eq(journal_append(j, buf, len, 21, 25, err, sizeof(err)), 0);
	}
	journal_close(j);
	ring_close(ring);
	ring = ring_create(ring_name, 1 << 20, err, sizeof(err));
	j = journal_open(dir, &o, &trunc, err, sizeof(err));
	rt = new_router(ring, j);
	ck_assert_int_eq(router_recover(rt, dir, &rep, err, sizeof(err)), 0);
	ck_assert_uint_eq(rep, 5);
	ck_assert_uint_eq(ring_header(ring)->last_seq, 25);
	ck_assert_uint_eq(router_next_seq(rt), 26);
	/* a retry of an acknowledged event is a duplicate of its seq */
	snprintf(line, sizeof(line),
		 "{\"id\":\"%032x\",\"ts\":\"2026-11-28T20:25:03.000001Z\",\"event\":\"E\","
		 "\"data\":{\"other\":1}}",
		 7);
	ck_assert_int_eq(router_line(rt, line, strlen(line), &seq, &reason, reply, sizeof(reply)),
			 ROUTER_DUPLICATE);
	ck_assert_uint_eq(seq, 7);
	ck_assert_str_eq(reply, "{\"status\":\"duplicate\",\"seq\":7,\"id\":"
				"\"00000000000000000000000000000007\"}\n");
	router_free(rt);
	journal_close(j);
	/* reboot: the ring is gone; a new one is refilled from the journal */
	ring_close(ring);
	shm_unlink(ring_name);
	ring = ring_create(ring_name, 1 << 20, err, sizeof(err));
	j = journal_open(dir, &o, &trunc, err, sizeof(err));
	rt = new_router(ring, j);
	ck_assert_int_eq(router_recover(rt, dir, &rep, err, sizeof(err)), 0);
	ck_assert_uint_eq(rep, 25);
	ck_assert_uint_eq(ring_header(ring)->first_seq, 1);
	ck_assert_uint_eq(ring_header(ring)->last_seq, 25);
	ck_assert_uint_eq(feed(rt, 100, "b"), 26);
	ck_assert_int_eq(router_commit(rt, err, sizeof(err)), 0);
	router_free(rt);
	journal_close(j);
	ring_close(ring);
}
END_TEST

START_TEST(test_pipeline)
{
	struct journal_opts o = opts(1 << 20, 1 << 30);
	struct journal *j;
	struct ring *ring;
	struct router *rt;
	struct ring_cursor cur;
	char err[256], reply[256], buf[4096];
	const char *reason;
	uint64_t seq, lf, lt;
	size_t trunc, len = sizeof(buf);
	int64_t ts;
	static const char *good = "{\"id\":\"0123456789abcdef0123456789abcdef\",\"ts\":\"2026-11-"
				  "28T20:25:03.5Z\",\"event\":\"Stop\",\"seq\":99,\"data\":{}}";

	ring = ring_create(ring_name, 1 << 16, err, sizeof(err));
	j = journal_open(dir, &o, &trunc, err, sizeof(err));
	rt = new_router(ring, j);
	ck_assert_int_eq(router_line(rt, "{", 1, &seq, &reason, reply, sizeof(reply)),
			 ROUTER_REJECTED);
	ck_assert_str_eq(reply, "{\"status\":\"rejected\",\"reason\":\"invalid_json\"}\n");
	ck_assert_int_eq(router_line(rt, good, strlen(good), &seq, &reason, reply, sizeof(reply)),
			 ROUTER_ACCEPTED);
	ck_assert_uint_eq(seq, 1);
	ck_assert_uint_eq(router_pending(rt), 1);
	ck_assert_int_eq(router_commit(rt, err, sizeof(err)), 0);
	ring_seek(ring, &cur, 1, NULL, NULL);
	ck_assert_int_eq(ring_read(ring, &cur, buf, &len, &seq, &ts, &lf, &lt), RING_OK);
	buf[len] = '\0';
	/* seq first, the producer's seq dropped */
	ck_assert_str_eq(buf, "{\"seq\":1,\"id\":\"0123456789abcdef0123456789abcdef\",\"ts\":"
			      "\"2026-11-28T20:25:03.5Z\",\"event\":\"Stop\",\"data\":{}}");
	ck_assert_int_eq(ts, 1795897503500000LL);
	ck_assert_uint_eq(ring_header(ring)->counters[RING_C_ACCEPTED], 1);
	ck_assert_uint_eq(ring_header(ring)->rejected[router_reason_index("invalid_json")], 1);
	router_free(rt);
	journal_close(j);
	ring_close(ring);
}
END_TEST

static Suite *
journal_suite(void)
{
	Suite *s = suite_create("journal");
	TCase *tc = tcase_create("core");
	TCase *tl = tcase_create("limits");
	TCase *tr = tcase_create("recover");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_checked_fixture(tl, setup, teardown);
	tcase_add_checked_fixture(tr, setup, teardown);
	tcase_add_test(tc, test_append_reopen);
	tcase_add_test(tl, test_rotate_retain);
	tcase_add_test(tl, test_truncated);
	tcase_add_test(tl, test_sync_thread);
	tcase_add_test(tl, test_rotate_hand_off);
	tcase_add_test(tl, test_fsync_names);
	tcase_add_test(tr, test_recover);
	tcase_add_test(tr, test_pipeline);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tl);
	suite_add_tcase(s, tr);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(journal_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
