/*
 * router-cpu: the router's CPU cost per event, without sockets.
 *
 *   router-cpu [-n EVENTS] [-s SIZE] [-b BATCH] [-r ROUNDS] [-S] [-k] [-f FILE | -H FILE]
 *
 * Links librouter.a and libhookwire.a and calls router_line() and
 * router_commit() directly on a buffer of ingest lines prepared in advance,
 * the way ingest.c does for one read: BATCH lines (default 216), then one
 * commit (one journal write, the ring records, one notify).  The lines are
 * the ones tests/bench/ingest-bench.c writes (1 KiB canonical events, unique
 * ids and contents), or the lines of FILE (NDJSON, e.g. a journal, whose
 * "seq" members the router ignores; ids must be unique), or EVENTS events
 * hook-capture makes of the hook inputs of FILE, in turn (-H, e.g. the
 * sessions of contrib/samples/: a realistic mix, secrets included).  -S turns
 * scrubbing off; -k keeps the journal (its directory is printed on stderr).  The journal (fsync
 * never) and the ring live in a private temporary directory and /dev/shm object, removed at exit.
 *
 * Prints one JSON object: events, CPU seconds of the routing loop
 * (getrusage), events per CPU-second, accepted/duplicate/rejected counts.
 * Under `valgrind --tool=callgrind --toggle-collect=rc_run` the instruction
 * count of the loop alone divided by EVENTS is the cost per event; the
 * workload is fixed (no clock in the lines), so counts compare across
 * versions.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <err.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "router.h"
#include "scrub.h"

struct rc_line {
	size_t off, len;
};

static char *rc_buf;
static size_t rc_len, rc_cap;
static struct rc_line *rc_lines;
static size_t rc_nlines;

static void
rc_append(const char *s, size_t len)
{
	while (rc_len + len > rc_cap) {
		rc_cap = rc_cap ? rc_cap * 2 : 1 << 20;
		if ((rc_buf = realloc(rc_buf, rc_cap)) == NULL)
			err(1, "realloc");
	}
	memcpy(rc_buf + rc_len, s, len);
	rc_len += len;
}

static void
rc_add_line(size_t off, size_t len)
{
	static size_t cap;

	if (rc_nlines == cap) {
		cap = cap ? cap * 2 : 1024;
		if ((rc_lines = reallocarray(rc_lines, cap, sizeof(*rc_lines))) == NULL)
			err(1, "reallocarray");
	}
	rc_lines[rc_nlines].off = off;
	rc_lines[rc_nlines].len = len;
	rc_nlines++;
}

/* The event ingest-bench writes, with a fixed run id and time. */
static void
rc_make(uint64_t n, size_t size)
{
	static const char run[] = "0123abcd4567ef89";
	char buf[65536];
	size_t len, pad, i;
	int r;

	r = snprintf(
	    buf, sizeof(buf),
	    "{\"id\":\"%s%016llx\",\"ts\":\"2026-11-28T21:00:00.%06lluZ\","
	    "\"event\":\"PostToolUse\","
	    "\"session_id\":\"bench-%s\",\"tool\":\"Bash\",\"tool_use_id\":\"toolu_%llu\","
	    "\"cwd\":\"/home/user/project\",\"data\":{\"hook_event_name\":\"PostToolUse\","
	    "\"session_id\":\"bench-%s\",\"tool_name\":\"Bash\",\"tool_input\":{\"command\":"
	    "\"git log --oneline -n 20 && make -j2 test\",\"description\":\"Run the tests\"},"
	    "\"tool_response\":{\"stdout\":\"",
	    run, (unsigned long long)n, (unsigned long long)(n % 1000000), run,
	    (unsigned long long)n, run);
	len = (size_t)r;
	pad = size > len + 40 ? size - len - 40 : 16;
	if (len + pad + 64 > sizeof(buf))
		pad = sizeof(buf) - len - 64;
	for (i = 0; i < pad; i++)
		buf[len + i] = "abcdefghijklmnopqrstuvwxyz0123456789 ./-_"[(n + i * 7) % 41];
	len += pad;
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "\",\"exit_code\":0,\"n\":%llu}}}",
				(unsigned long long)n);
	rc_add_line(rc_len, len);
	rc_append(buf, len);
}

static void
rc_load(const char *path)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if ((f = fopen(path, "r")) == NULL)
		err(1, "%s", path);
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			n--;
		rc_add_line(rc_len, (size_t)n);
		rc_append(line, (size_t)n);
	}
	free(line);
	fclose(f);
}

/*
 * Canonical events as hook-capture makes them from the hook inputs of FILE
 * (one JSON object a line, e.g. contrib/samples/), taken in turn n times,
 * each with a counter added so that no two have the same content.
 */
static void
rc_hooks(const char *path, size_t n)
{
	static const struct event_env env = {"benchhost", "bench", NULL};
	struct event_limits lim;
	char **in = NULL, *line = NULL, buf[1 << 16], id[EVENT_ID_LEN + 1];
	size_t nin = 0, cap = 0, i, k, sl;
	ssize_t len;
	json_object *ev;
	const char *s;
	FILE *f;

	event_limits_default(&lim);
	if ((f = fopen(path, "r")) == NULL)
		err(1, "%s", path);
	while ((len = getline(&line, &cap, f)) > 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == ' '))
			line[--len] = '\0';
		if (len < 2 || line[len - 1] != '}')
			continue;
		line[len - 1] = '\0'; /* the closing brace is put back below */
		if ((in = reallocarray(in, nin + 1, sizeof(*in))) == NULL ||
		    (in[nin++] = strdup(line)) == NULL)
			err(1, "strdup");
	}
	free(line);
	fclose(f);
	if (nin == 0)
		errx(1, "%s: no hook input", path);
	for (i = 0; i < n; i++) {
		k = (size_t)snprintf(buf, sizeof(buf), "%s,\"bench_n\":%zu}", in[i % nin], i);
		if (k >= sizeof(buf))
			errx(1, "%s: hook input too long", path);
		if ((ev = event_from_hook(buf, k, &lim, &env, 1764361503123456LL + (int64_t)i)) ==
			NULL ||
		    (s = event_to_string(ev, &sl)) == NULL)
			errx(1, "event_from_hook failed");
		snprintf(id, sizeof(id), "%016llx%016zx", 0x0123abcd4567ef89ULL, i); /* fixed */
		json_object_object_add(ev, "id", json_object_new_string(id));
		if ((s = event_to_string(ev, &sl)) == NULL)
			errx(1, "event_to_string failed");
		rc_add_line(rc_len, sl);
		rc_append(s, sl);
		json_object_put(ev);
	}
	for (i = 0; i < nin; i++)
		free(in[i]);
	free(in);
}

static uint64_t rc_accepted, rc_duplicate, rc_rejected;

/* The measured loop (callgrind: --toggle-collect=rc_run). */
static void __attribute__((noinline)) rc_run(struct router *rt, size_t batch)
{
	char reply[256], err[256];
	const char *reason;
	uint64_t seq;
	size_t i;

	for (i = 0; i < rc_nlines; i++) {
		switch (router_line(rt, rc_buf + rc_lines[i].off, rc_lines[i].len, &seq, &reason,
				    reply, sizeof(reply))) {
		case ROUTER_ACCEPTED:
			rc_accepted++;
			break;
		case ROUTER_DUPLICATE:
			rc_duplicate++;
			break;
		default:
			rc_rejected++;
			break;
		}
		if (router_pending(rt) >= batch && router_commit(rt, err, sizeof(err)) == -1)
			errx(1, "commit: %s", err);
	}
	if (router_commit(rt, err, sizeof(err)) == -1)
		errx(1, "commit: %s", err);
}

static int
rc_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static double
rc_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

int
main(int argc, char *argv[])
{
	struct router_opts ro;
	struct journal_opts jo;
	struct journal *jr;
	struct ring *ring;
	struct scrub *sc = NULL;
	struct router *rt;
	char dir[] = "/tmp/router-cpu.XXXXXX", ringname[64], jdir[256], ebuf[256];
	const char *file = NULL, *hooks = NULL;
	size_t n = 20000, size = 1024, batch = 216, trunc, i;
	int ch, scrub = 1, rounds = 1, r, keep = 0;
	double t0, cpu;

	while ((ch = getopt(argc, argv, "b:f:H:kn:r:s:S")) != -1) {
		switch (ch) {
		case 'b':
			batch = strtoul(optarg, NULL, 10);
			break;
		case 'f':
			file = optarg;
			break;
		case 'H':
			hooks = optarg;
			break;
		case 'k':
			keep = 1;
			break;
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 's':
			size = strtoul(optarg, NULL, 10);
			break;
		case 'S':
			scrub = 0;
			break;
		default:
			fprintf(stderr, "usage: router-cpu [-n EVENTS] [-s SIZE] [-b BATCH] "
					"[-r ROUNDS] [-S] [-k] [-f FILE | -H FILE]\n");
			return 100;
		}
	}
	if (batch == 0 || rounds < 1)
		errx(100, "bad -b or -r");
	if (file != NULL)
		rc_load(file);
	else if (hooks != NULL)
		rc_hooks(hooks, n);
	else
		for (i = 0; i < n; i++)
			rc_make(i, size);

	if (mkdtemp(dir) == NULL)
		err(111, "mkdtemp");
	snprintf(jdir, sizeof(jdir), "%s/journal", dir);
	snprintf(ringname, sizeof(ringname), "/hookwire-router-cpu-%ld", (long)getpid());
	memset(&jo, 0, sizeof(jo));
	jo.segment_size = 1ULL << 40;
	jo.keep_bytes = 1ULL << 42;
	jo.fsync = JOURNAL_FSYNC_NEVER;
	if ((jr = journal_open(jdir, &jo, &trunc, ebuf, sizeof(ebuf))) == NULL)
		errx(111, "journal: %s", ebuf);
	if ((ring = ring_create(ringname, 64ULL << 20, ebuf, sizeof(ebuf))) == NULL)
		errx(111, "ring: %s", ebuf);
	if (scrub && (sc = scrub_new(NULL, 1, ebuf, sizeof(ebuf))) == NULL)
		errx(111, "scrub: %s", ebuf);
	memset(&ro, 0, sizeof(ro));
	event_limits_default(&ro.lim);
	ro.line_max = 4 << 20;
	ro.lim.input_max = ro.line_max;
	ro.dedup_ids = 65536;
	ro.dedup_window_us = 2000000;
	ro.scrub_enabled = sc != NULL;
	if ((rt = router_new(&ro, ring, jr, sc, ebuf, sizeof(ebuf))) == NULL)
		errx(111, "router: %s", ebuf);

	t0 = rc_cpu();
	for (r = 0; r < rounds; r++) /* later rounds: every event a duplicate by id */
		rc_run(rt, batch);
	cpu = rc_cpu() - t0;
	printf("{\"events\":%zu,\"rounds\":%d,\"scrub\":%s,\"cpu_s\":%.3f,"
	       "\"events_per_cpu_s\":%.0f,\"accepted\":%llu,\"duplicate\":%llu,"
	       "\"rejected\":%llu}\n",
	       rc_nlines, rounds, scrub ? "true" : "false", cpu,
	       cpu > 0 ? (double)rc_nlines * rounds / cpu : 0.0, (unsigned long long)rc_accepted,
	       (unsigned long long)rc_duplicate, (unsigned long long)rc_rejected);

	router_free(rt);
	scrub_free(sc);
	ring_close(ring);
	shm_unlink(ringname);
	journal_close(jr);
	if (keep)
		fprintf(stderr, "%s\n", jdir);
	else
		nftw(dir, rc_rm, 16, FTW_DEPTH | FTW_PHYS);
	free(rc_buf);
	free(rc_lines);
	return rc_rejected > 0 ? 1 : 0;
}
