/*
 * check_transcript.c: event-usage's transcript reader (event-usage/transcript.c).
 *
 * core:      lines appended in pieces (a partial last line waits for its
 *            newline), one message written as several lines counted once
 *            with its last line's figures, settling by stop_reason or by
 *            force, sidechain agents in flight side by side, <synthetic>
 *            messages skipped, the reader's state saved and restored
 * files:     a truncated file and a replaced file (new inode) read again
 *            from the start without counting a message twice; a missing
 *            file; files that cannot be read (a directory, a FIFO, a
 *            path through a regular file, and mode 000 when not root)
 * malformed: lines that are not JSON objects, bad numbers, over-long
 *            lines salvaged from their head and tail
 * huge:      a 200 MB transcript read in budget-sized slices with a line
 *            buffer bounded by line_max, peak RSS and time measured
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "usage.h"

static char dir[4000], path[4100];

/* What the callback got. */
#define GOT_MAX 4096
static struct transcript_msg got[GOT_MAX];
static int ngot;

static void
collect(const struct transcript_msg *m, void *arg)
{
	(void)arg;
	if (ngot < GOT_MAX)
		got[ngot] = *m;
	ngot++;
}

static void
setup(void)
{
	const char *base = getenv("HOOKWIRE_TEST_TMP");

	snprintf(dir, sizeof(dir), "%s/check_transcript.XXXXXX", base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s1.jsonl", dir);
	ngot = 0;
}

static void
teardown(void)
{
	char cmd[8300];

	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s'; rm -rf '%s'", dir, dir);
	if (system(cmd) != 0)
		return;
}

/* One assistant line as Claude Code writes it; stop NULL means null. */
static int
asst(char *out, size_t outlen, const char *id, const char *model, long in, long o, long cw, long cr,
     const char *stop, const char *agent, const char *text)
{
	char stopv[64];

	if (stop != NULL)
		snprintf(stopv, sizeof(stopv), "\"%s\"", stop);
	else
		snprintf(stopv, sizeof(stopv), "null");
	return snprintf(out, outlen,
			"{\"parentUuid\":\"p\",\"isSidechain\":%s,%s%s%s\"message\":{\"id\":\"%s\","
			"\"type\":\"message\",\"role\":\"assistant\",\"model\":\"%s\",\"content\":"
			"[{\"type\":\"text\",\"text\":\"%s\"}],\"stop_reason\":%s,"
			"\"stop_sequence\":null,\"usage\":{\"input_tokens\":%ld,"
			"\"cache_creation_input_tokens\":%ld,\"cache_read_input_tokens\":%ld,"
			"\"output_tokens\":%ld,\"service_tier\":\"standard\"}},\"requestId\":\"r\","
			"\"type\":\"assistant\",\"uuid\":\"u\",\"timestamp\":"
			"\"2026-12-06T02:35:00.353Z\",\"sessionId\":\"s1\"}\n",
			agent != NULL ? "true" : "false", agent != NULL ? "\"agentId\":\"" : "",
			agent != NULL ? agent : "", agent != NULL ? "\"," : "", id, model,
			text != NULL ? text : "hi", stopv, in, cw, cr, o);
}

static void
append(const char *p, const char *s, size_t n)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_APPEND, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, s, n), (ssize_t)n);
	close(fd);
}

static void
line(const char *id, long in, long o, long cw, long cr, const char *stop, const char *agent)
{
	char buf[4096];
	int n = asst(buf, sizeof(buf), id, "claude-opus-4-5-20251101", in, o, cw, cr, stop, agent,
		     NULL);

	append(path, buf, (size_t)n);
}

static enum transcript_status
rd(struct transcript *t)
{
	char err[256];

	return transcript_read(t, 1 << 30, collect, NULL, err, sizeof(err));
}

START_TEST(test_pieces)
{
	struct transcript *t = transcript_new(path, 1 << 20);
	char buf[4096];
	int n, i, cut[] = {1, 17, 100, 250};

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(rd(t), TRANSCRIPT_MISSING);
	const char *user =
	    "{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":\"hi\"}}\n";
	uint64_t ulen = strlen(user);

	append(path, user, ulen);
	n = asst(buf, sizeof(buf), "msg_A", "claude-opus-4-5-20251101", 10, 20, 30, 40, "end_turn",
		 NULL, NULL);
	/* the line arrives in pieces; nothing is taken before its newline */
	for (i = 0; i < 4; i++) {
		append(path, buf + (i ? cut[i - 1] : 0), (size_t)(cut[i] - (i ? cut[i - 1] : 0)));
		ck_assert_int_eq(rd(t), TRANSCRIPT_EOF);
		ck_assert_int_eq(transcript_pending(t), 0);
		ck_assert_int_eq(transcript_offset(t), ulen);
	}
	append(path, buf + cut[3], (size_t)(n - cut[3]));
	ck_assert_int_eq(rd(t), TRANSCRIPT_EOF);
	ck_assert_int_eq(transcript_pending(t), 1);
	ck_assert_int_eq(transcript_offset(t), ulen + (uint64_t)n);
	ck_assert_int_eq(ngot, 0);
	/* quiet and stopped: settled */
	transcript_settle(t, 0, collect, NULL);
	ck_assert_int_eq(ngot, 1);
	ck_assert_str_eq(got[0].tm_id, "msg_A");
	ck_assert_str_eq(got[0].tm_model, "claude-opus-4-5-20251101");
	ck_assert_str_eq(got[0].tm_ts, "2026-12-06T02:35:00.353Z");
	ck_assert_int_eq(got[0].tm_in, 10);
	ck_assert_int_eq(got[0].tm_out, 20);
	ck_assert_int_eq(got[0].tm_cw, 30);
	ck_assert_int_eq(got[0].tm_cr, 40);
	ck_assert_int_eq(transcript_stats(t)->ts_lines, 2);
	transcript_free(t);
}
END_TEST

START_TEST(test_multiline)
{
	struct transcript *t = transcript_new(path, 1 << 20);

	/* one message as three lines: output grows, the last line is final */
	line("msg_A", 5, 1, 100, 1000, NULL, NULL);
	line("msg_A", 5, 1, 100, 1000, NULL, NULL);
	ck_assert_int_eq(rd(t), TRANSCRIPT_EOF);
	line("msg_A", 5, 260, 100, 1000, "tool_use", NULL);
	ck_assert_int_eq(rd(t), TRANSCRIPT_EOF);
	ck_assert_int_eq(ngot, 0);
	/* the next response begins: msg_A is over */
	line("msg_B", 7, 1, 0, 1100, NULL, NULL);
	ck_assert_int_eq(rd(t), TRANSCRIPT_EOF);
	ck_assert_int_eq(ngot, 1);
	ck_assert_str_eq(got[0].tm_id, "msg_A");
	ck_assert_int_eq(got[0].tm_out, 260);
	ck_assert_int_eq(got[0].tm_lines, 3);
	/* msg_B has no stop_reason yet: a quiet file does not settle it */
	transcript_settle(t, 0, collect, NULL);
	ck_assert_int_eq(ngot, 1);
	/* a late line of msg_A: already handed out, not again */
	line("msg_A", 5, 260, 100, 1000, "tool_use", NULL);
	ck_assert_int_eq(rd(t), TRANSCRIPT_EOF);
	ck_assert_int_eq(ngot, 1);
	ck_assert_int_eq(transcript_stats(t)->ts_dup_lines, 1);
	/* the turn is over: forced */
	transcript_settle(t, 1, collect, NULL);
	ck_assert_int_eq(ngot, 2);
	ck_assert_str_eq(got[1].tm_id, "msg_B");
	ck_assert_int_eq(transcript_pending(t), 0);
	transcript_free(t);
}
END_TEST

START_TEST(test_sidechain)
{
	struct transcript *t = transcript_new(path, 1 << 20);
	char buf[4096];
	int n;

	/* two agents' messages interleaved, as older versions wrote them */
	line("msg_M1", 1, 1, 0, 0, NULL, NULL);
	line("msg_S1", 2, 1, 0, 0, NULL, "a1");
	line("msg_M1", 1, 11, 0, 0, "tool_use", NULL);
	line("msg_S1", 2, 22, 0, 0, "tool_use", "a1");
	line("msg_S2", 3, 33, 0, 0, "end_turn", "a1");
	ck_assert_int_eq(rd(t), TRANSCRIPT_EOF);
	ck_assert_int_eq(ngot, 1);
	ck_assert_str_eq(got[0].tm_id, "msg_S1");
	ck_assert_str_eq(got[0].tm_agent, "a1");
	ck_assert_int_eq(got[0].tm_out, 22);
	transcript_settle(t, 0, collect, NULL);
	ck_assert_int_eq(ngot, 3);
	ck_assert_str_eq(got[1].tm_id, "msg_M1");
	ck_assert_int_eq(got[1].tm_out, 11);
	ck_assert_str_eq(got[1].tm_agent, "");
	ck_assert_str_eq(got[2].tm_id, "msg_S2");
	/* <synthetic>: no API call, not counted */
	n = asst(buf, sizeof(buf), "msg_X", "<synthetic>", 0, 0, 0, 0, "stop_sequence", NULL, NULL);
	append(path, buf, (size_t)n);
	ck_assert_int_eq(rd(t), TRANSCRIPT_EOF);
	transcript_settle(t, 1, collect, NULL);
	ck_assert_int_eq(ngot, 3);
	ck_assert_int_eq(transcript_stats(t)->ts_synthetic, 1);
	transcript_free(t);
}
END_TEST

START_TEST(test_state)
{
	struct transcript *t = transcript_new(path, 1 << 20), *t2;
	json_object *st;
	char err[256];

	line("msg_A", 1, 10, 0, 0, "tool_use", NULL);
	line("msg_B", 2, 1, 0, 0, NULL, NULL);
	ck_assert_int_eq(rd(t), TRANSCRIPT_EOF);
	ck_assert_int_eq(ngot, 1);
	/* a restart: the state (offset, seen ids, msg_B in flight) carries over */
	st = transcript_state(t, TRANSCRIPT_SEEN_MAX);
	ck_assert_ptr_nonnull(st);
	transcript_free(t);
	t2 = transcript_new(path, 1 << 20);
	ck_assert_int_eq(transcript_restore(t2, st, err, sizeof(err)), 0);
	json_object_put(st);
	ck_assert_int_eq(transcript_pending(t2), 1);
	line("msg_B", 2, 20, 0, 0, "end_turn", NULL);
	ck_assert_int_eq(rd(t2), TRANSCRIPT_EOF);
	transcript_settle(t2, 0, collect, NULL);
	ck_assert_int_eq(ngot, 2);
	ck_assert_str_eq(got[1].tm_id, "msg_B");
	ck_assert_int_eq(got[1].tm_out, 20);
	/* the file rewritten from the start, and as long as before when read
	 * again: the bytes before the offset differ.  A and B are known, only
	 * C is new */
	ck_assert_int_eq(truncate(path, 0), 0);
	line("msg_A", 1, 10, 0, 0, "tool_use", NULL);
	line("msg_B", 2, 20, 0, 0, "end_turn", NULL);
	line("msg_C", 3, 30, 0, 0, "end_turn", NULL);
	ck_assert_int_eq(rd(t2), TRANSCRIPT_EOF);
	transcript_settle(t2, 1, collect, NULL);
	ck_assert_int_eq(ngot, 3);
	ck_assert_str_eq(got[2].tm_id, "msg_C");
	transcript_free(t2);
}
END_TEST

START_TEST(test_truncated)
{
	struct transcript *t = transcript_new(path, 1 << 20);

	line("msg_A", 1, 10, 0, 0, "tool_use", NULL);
	line("msg_B", 2, 20, 0, 0, "end_turn", NULL);
	ck_assert_int_eq(rd(t), TRANSCRIPT_EOF);
	transcript_settle(t, 1, collect, NULL);
	ck_assert_int_eq(ngot, 2);
	/* truncated, then the same history and one more message */
	ck_assert_int_eq(truncate(path, 0), 0);
	line("msg_A", 1, 10, 0, 0, "tool_use", NULL);
	ck_assert_int_eq(rd(t), TRANSCRIPT_EOF);
	ck_assert_int_eq(transcript_stats(t)->ts_truncated, 1);
	line("msg_B", 2, 20, 0, 0, "end_turn", NULL);
	line("msg_C", 3, 30, 0, 0, "end_turn", NULL);
	ck_assert_int_eq(rd(t), TRANSCRIPT_EOF);
	transcript_settle(t, 1, collect, NULL);
	ck_assert_int_eq(ngot, 3);
	ck_assert_str_eq(got[2].tm_id, "msg_C");
	ck_assert_int_eq(transcript_stats(t)->ts_dup_lines, 2);
	transcript_free(t);
}
END_TEST

START_TEST(test_replaced)
{
	struct transcript *t = transcript_new(path, 1 << 20);
	char other[4300], buf[4096];
	int n;

	line("msg_A", 1, 10, 0, 0, "tool_use", NULL);
	line("msg_B", 2, 20, 0, 0, "end_turn", NULL);
	ck_assert_int_eq(rd(t), TRANSCRIPT_EOF);
	transcript_settle(t, 1, collect, NULL);
	ck_assert_int_eq(ngot, 2);
	/* a new file renamed over the path: longer than the old one, so only
	 * the inode tells */
	snprintf(other, sizeof(other), "%s/new.jsonl", dir);
	n = asst(buf, sizeof(buf), "msg_A", "m", 1, 10, 0, 0, "tool_use", NULL, NULL);
	append(other, buf, (size_t)n);
	n = asst(buf, sizeof(buf), "msg_B", "m", 2, 20, 0, 0, "end_turn", NULL, NULL);
	append(other, buf, (size_t)n);
	n = asst(buf, sizeof(buf), "msg_C", "m", 3, 30, 0, 0, "end_turn", NULL, NULL);
	append(other, buf, (size_t)n);
	n = asst(buf, sizeof(buf), "msg_D", "m", 4, 40, 0, 0, "end_turn", NULL, NULL);
	append(other, buf, (size_t)n);
	ck_assert_int_eq(rename(other, path), 0);
	ck_assert_int_eq(rd(t), TRANSCRIPT_EOF);
	transcript_settle(t, 1, collect, NULL);
	ck_assert_int_eq(transcript_stats(t)->ts_replaced, 1);
	ck_assert_int_eq(ngot, 4);
	ck_assert_str_eq(got[2].tm_id, "msg_C");
	ck_assert_str_eq(got[3].tm_id, "msg_D");
	transcript_free(t);
}
END_TEST

START_TEST(test_unreadable)
{
	struct transcript *t;
	char p[4300], err[256];

	/* a directory */
	snprintf(p, sizeof(p), "%s/d.jsonl", dir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	t = transcript_new(p, 1 << 20);
	ck_assert_int_eq(transcript_read(t, 1 << 20, collect, NULL, err, sizeof(err)),
			 TRANSCRIPT_ERROR);
	ck_assert_str_eq(err, "not a regular file");
	transcript_free(t);
	/* a FIFO: refused at once, no blocking open or read */
	snprintf(p, sizeof(p), "%s/f.jsonl", dir);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	t = transcript_new(p, 1 << 20);
	ck_assert_int_eq(transcript_read(t, 1 << 20, collect, NULL, err, sizeof(err)),
			 TRANSCRIPT_ERROR);
	transcript_free(t);
	/* a path through a regular file */
	line("msg_A", 1, 1, 1, 1, "end_turn", NULL);
	snprintf(p, sizeof(p), "%s/x.jsonl", path);
	t = transcript_new(p, 1 << 20);
	ck_assert_int_eq(transcript_read(t, 1 << 20, collect, NULL, err, sizeof(err)),
			 TRANSCRIPT_ERROR);
	ck_assert_str_eq(err, strerror(ENOTDIR));
	transcript_free(t);
	/* mode 000 (root reads it anyway) */
	if (geteuid() != 0) {
		ck_assert_int_eq(chmod(path, 0), 0);
		t = transcript_new(path, 1 << 20);
		ck_assert_int_eq(transcript_read(t, 1 << 20, collect, NULL, err, sizeof(err)),
				 TRANSCRIPT_ERROR);
		ck_assert_str_eq(err, strerror(EACCES));
		transcript_free(t);
	}
	ck_assert_int_eq(ngot, 0);
}
END_TEST

START_TEST(test_malformed)
{
	struct transcript *t = transcript_new(path, 256 * 1024);
	const char *bad = "not json at all\n"
			  "{\"type\":\"assistant\",\"message\":{\"id\":\"msg_T\",\"usage\":{\"inp\n"
			  "{\"type\":\"assistant\",\"message\":{\"id\":\"msg_N\",\"model\":\"m\","
			  "\"usage\":{\"input_tokens\":-5}}}\n"
			  "{\"type\":\"assistant\",\"message\":{\"id\":7,\"model\":\"m\","
			  "\"usage\":{\"input_tokens\":5}}}\n"
			  "[1,2,3]\n"
			  "\n";
	static char big[3 * 1024 * 1024];
	char *buf;
	size_t n;

	line("msg_A", 1, 10, 0, 0, "tool_use", NULL);
	append(path, bad, strlen(bad));
	/* an over-long line (a large tool input): salvaged from head and tail */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf = malloc(sizeof(big) + 4096);
	ck_assert_ptr_nonnull(buf);
	n = (size_t)asst(buf, sizeof(big) + 4096, "msg_L", "claude-sonnet-4-5-20250929", 4, 44, 444,
			 4444, "tool_use", NULL, big);
	append(path, buf, n);
	/* an over-long line that is not an assistant message */
	n = (size_t)snprintf(buf, sizeof(big) + 4096, "{\"type\":\"user\",\"x\":\"%s\"}\n", big);
	append(path, buf, n);
	free(buf);
	line("msg_B", 2, 20, 0, 0, "end_turn", NULL);
	ck_assert_int_eq(rd(t), TRANSCRIPT_EOF);
	transcript_settle(t, 1, collect, NULL);
	ck_assert_int_eq(ngot, 3);
	ck_assert_str_eq(got[0].tm_id, "msg_A");
	ck_assert_str_eq(got[1].tm_id, "msg_L");
	ck_assert_str_eq(got[1].tm_model, "claude-sonnet-4-5-20250929");
	ck_assert_int_eq(got[1].tm_in, 4);
	ck_assert_int_eq(got[1].tm_out, 44);
	ck_assert_int_eq(got[1].tm_cw, 444);
	ck_assert_int_eq(got[1].tm_cr, 4444);
	ck_assert_str_eq(got[2].tm_id, "msg_B");
	/* not json, cut JSON, a negative count, a numeric id, an array */
	ck_assert_int_eq(transcript_stats(t)->ts_malformed, 5);
	ck_assert_int_eq(transcript_stats(t)->ts_too_long, 2);
	ck_assert_int_eq(transcript_stats(t)->ts_salvaged, 1);
	ck_assert_uint_le(transcript_stats(t)->ts_buf_peak, 256 * 1024);
	transcript_free(t);
}
END_TEST

/* Peak resident set, KiB. */
static long
maxrss(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static long sum_out, sum_msgs;

static void
sum_cb(const struct transcript_msg *m, void *arg)
{
	(void)arg;
	sum_out += m->tm_out;
	sum_msgs++;
}

START_TEST(test_huge)
{
	const size_t target = 200u * 1024 * 1024, line_max = 1024 * 1024;
	struct transcript *t;
	static char big[4 * 1024 * 1024];
	char *buf, id[64], err[256];
	size_t size = 0, n;
	long i, rss0, rss1, expect_out = 0;
	int64_t t0, t1;
	struct timeval tv;
	enum transcript_status rs;
	int fd, passes = 0, pfd[2];
	pid_t pid;
	FILE *fp;

	/* written by a child, so that this process's peak RSS is the reader's */
	ck_assert_int_eq(pipe(pfd), 0);
	if ((pid = fork()) == 0) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		ck_assert_int_ge(fd, 0);
		fp = fdopen(fd, "w");
		buf = malloc(sizeof(big) + 4096);
		ck_assert_ptr_nonnull(buf);
		memset(big, 'y', sizeof(big) - 1);
		/* ~1 KiB messages of two lines each; every 5000th carries 4 MiB */
		for (i = 0; size < target; i++) {
			char text[800];
			long o = 100 + i % 97;

			memset(text, 'z', sizeof(text) - 1);
			text[sizeof(text) - 1] = '\0';
			snprintf(id, sizeof(id), "msg_%08ld", i);
			n = (size_t)asst(buf, sizeof(big) + 4096, id, "claude-haiku-4-5", 3, 1, 5,
					 7, NULL, NULL, text);
			size += fwrite(buf, 1, n, fp);
			n = (size_t)asst(buf, sizeof(big) + 4096, id, "claude-haiku-4-5", 3, o, 5,
					 7, "tool_use", NULL, i % 5000 == 4999 ? big : "tool");
			size += fwrite(buf, 1, n, fp);
			expect_out += o;
		}
		ck_assert_int_eq(fclose(fp), 0);
		free(buf);
		if (write(pfd[1], &i, sizeof(i)) != sizeof(i) ||
		    write(pfd[1], &expect_out, sizeof(expect_out)) != sizeof(expect_out) ||
		    write(pfd[1], &size, sizeof(size)) != sizeof(size))
			_exit(1);
		_exit(0);
	}
	ck_assert_int_eq(read(pfd[0], &i, sizeof(i)), sizeof(i));
	ck_assert_int_eq(read(pfd[0], &expect_out, sizeof(expect_out)), sizeof(expect_out));
	ck_assert_int_eq(read(pfd[0], &size, sizeof(size)), sizeof(size));
	waitpid(pid, NULL, 0);
	rss0 = maxrss();
	gettimeofday(&tv, NULL);
	t0 = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
	t = transcript_new(path, line_max);
	sum_out = sum_msgs = 0;
	do {
		rs = transcript_read(t, 8 * 1024 * 1024, sum_cb, NULL, err, sizeof(err));
		passes++;
	} while (rs == TRANSCRIPT_MORE);
	ck_assert_int_eq(rs, TRANSCRIPT_EOF);
	transcript_settle(t, 1, sum_cb, NULL);
	gettimeofday(&tv, NULL);
	t1 = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
	rss1 = maxrss();

	ck_assert_int_eq(transcript_stats(t)->ts_messages, i);
	ck_assert_int_eq(sum_msgs, i);
	ck_assert_int_eq(sum_out, expect_out);
	ck_assert_int_eq(transcript_stats(t)->ts_salvaged, transcript_stats(t)->ts_too_long);
	ck_assert_uint_ge(transcript_stats(t)->ts_too_long, 1);
	/* bounded: the line buffer never passed line_max, the process grew
	 * by far less than the file, and no read took more than its budget */
	ck_assert_uint_le(transcript_stats(t)->ts_buf_peak, line_max);
#ifndef __SANITIZE_ADDRESS__
	ck_assert_int_lt(rss1 - rss0, 32 * 1024);
#else
	/* ASan keeps freed memory in quarantine: the RSS says nothing there */
#endif
	ck_assert_int_ge(passes, (int)(size / (8 * 1024 * 1024)));
	printf("FIGURE transcript %zu MB, %ld messages: %.2f s, %d reads of <= 8 MiB, line "
	       "buffer peak %zu KiB, RSS growth %ld KiB\n",
	       size >> 20, i, (double)(t1 - t0) / 1e6, passes,
	       transcript_stats(t)->ts_buf_peak >> 10, rss1 - rss0);
	ck_assert_int_lt(t1 - t0, 60 * 1000000);
	transcript_free(t);
}
END_TEST

static Suite *
transcript_suite(void)
{
	Suite *s = suite_create("transcript");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pieces);
	tcase_add_test(tc, test_multiline);
	tcase_add_test(tc, test_sidechain);
	tcase_add_test(tc, test_state);
	suite_add_tcase(s, tc);
	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_replaced);
	tcase_add_test(tc, test_unreadable);
	suite_add_tcase(s, tc);
	tc = tcase_create("malformed");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_malformed);
	suite_add_tcase(s, tc);
	tc = tcase_create("huge");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_huge);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(transcript_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
