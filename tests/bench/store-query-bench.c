/*
 * store-query-bench: query latencies of a store through the read API
 * (common/store_query.c), in process, as the gateway will call it.
 *
 *   store-query-bench [-r REPEAT] DB
 *
 * Picks its arguments from the store itself (a busy session, a project,
 * a tool_use_id and times in the middle of the data), runs each query of
 * a fixed list REPEAT times (default 7) on one connection, the first run
 * included (no warm-up: the page cache is as the caller finds it), and
 * prints one JSON object: per query the rows, the median, p90 and max in
 * milliseconds; then the bars (filtered <= 50 ms, full-text <= 200 ms) and
 * whether every query's median is under its bar.
 */
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store_query.h"

static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
count_cb(void *arg, uint64_t seq, const char *json, size_t len, const char *snippet)
{
	(void)seq;
	(void)json;
	(void)len;
	(void)snippet;
	(*(long *)arg)++;
	return 0;
}

static int
sess_cb(void *arg, const struct store_session *s)
{
	(void)s;
	(*(long *)arg)++;
	return 0;
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* A text value from the store, by SQL, into out. */
static void
pick(const char *db, const char *sql, char *out, size_t outlen)
{
	sqlite3 *h;
	sqlite3_stmt *st;

	out[0] = '\0';
	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		errx(1, "%s: %s", db, sqlite3_errmsg(h));
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		errx(1, "%s: %s", sql, sqlite3_errmsg(h));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(h);
}

struct bq {
	const char *name;
	int fts; /* the bar: 0 filtered (50 ms), 1 full-text (200 ms) */
	struct store_filter f;
	int sessions; /* a sessions list instead */
	struct store_session_filter sf;
};

int
main(int argc, char *argv[])
{
	static char session[128], project[256], tooluse[128], agent[128];
	char buf[64], err[512];
	struct store_query *q;
	struct store_bounds b;
	struct bq qs[32];
	double t[64], t0, med, first, worst_f = 0, worst_s = 0;
	int64_t newest_us, span_us;
	int repeat = 7, ch, i, k, n = 0, ok = 1;
	long rows;

	while ((ch = getopt(argc, argv, "r:")) != -1) {
		if (ch == 'r')
			repeat = atoi(optarg);
		else
			errx(100, "usage: store-query-bench [-r repeat] db");
	}
	if (optind + 1 != argc || repeat < 1 || repeat > 64)
		errx(100, "usage: store-query-bench [-r repeat] db");

	/* arguments from the data: the busiest session of the middle, ... */
	pick(argv[optind],
	     "SELECT session_id FROM sessions ORDER BY abs(last_seq - (SELECT max(seq) / 2 FROM"
	     " events)) LIMIT 1",
	     session, sizeof(session));
	pick(argv[optind],
	     "SELECT project FROM sessions GROUP BY project ORDER BY count(*) LIMIT 1", project,
	     sizeof(project));
	pick(argv[optind],
	     "SELECT tool_use_id FROM events WHERE seq >= (SELECT max(seq) / 3 FROM events) AND"
	     " tool_use_id IS NOT NULL LIMIT 1",
	     tooluse, sizeof(tooluse));
	pick(argv[optind], "SELECT agent_id FROM events WHERE agent_id IS NOT NULL LIMIT 1", agent,
	     sizeof(agent));
	pick(argv[optind], "SELECT max(ts_us) FROM events", buf, sizeof(buf));
	newest_us = strtoll(buf, NULL, 10);
	pick(argv[optind], "SELECT max(ts_us) - min(ts_us) FROM events", buf, sizeof(buf));
	span_us = strtoll(buf, NULL, 10);

	if ((q = store_query_open(argv[optind], 0, err, sizeof(err))) == NULL)
		errx(1, "%s", err);
	if (store_query_bounds(q, &b, err, sizeof(err)) == -1)
		errx(1, "%s", err);

	memset(qs, 0, sizeof(qs));
#define Q(nm, isfts) (qs[n].name = (nm), qs[n].fts = (isfts), &qs[n++].f)
	{
		struct store_filter *f;

		f = Q("newest 100", 0);
		f = Q("session, newest 100", 0);
		f->session = session;
		f = Q("session + event PreToolUse, newest 100", 0);
		f->session = session;
		f->event = "PreToolUse";
		f = Q("session from its start, first 1000", 0);
		f->session = session;
		f->oldest_first = 1;
		f->limit = 1000;
		f = Q("tool Bash, last 2 days, first 100", 0);
		f->tool = "Bash";
		f->since_us = newest_us - 2 * 86400000000LL;
		f = Q("project + PostToolUseFailure, newest 100", 0);
		f->project = project;
		f->event = "PostToolUseFailure";
		f = Q("one hour a week ago, first 1000", 0);
		f->since_us = newest_us - 7 * 86400000000LL;
		f->until_us = f->since_us + 3600000000LL;
		f->limit = 1000;
		f = Q("tool_use_id", 0);
		f->tool_use_id = tooluse;
		f = Q("agent, newest 100", 0);
		f->agent = agent;
		f = Q("after seq newest/2, first 100 (paging)", 0);
		f->since_seq = b.newest / 2;
		f = Q("before seq newest/4, newest 100 (paging back)", 0);
		f->before_seq = b.newest / 4;
		f = Q("event Stop, a day in the middle, newest 100", 0);
		f->event = "Stop";
		f->since_us = newest_us - span_us / 2;
		f->until_us = f->since_us + 86400000000LL;

		f = Q("search 'rm -rf'", 1);
		f->search = "rm -rf";
		f = Q("search 'kubectl get pods'", 1);
		f->search = "kubectl get pods";
		f = Q("search a path 'src/routes/'", 1);
		f->search = "src/routes/";
		f = Q("search 'git status' + session", 1);
		f->search = "git status";
		f->session = session;
		f = Q("search 'rm -rf', highlighted", 1);
		f->search = "rm -rf";
		f->hl_open = "<b>";
		f->hl_close = "</b>";
		f = Q("search 'terraform plan', last 2 days", 1);
		f->search = "terraform plan";
		f->since_us = newest_us - 2 * 86400000000LL;
		f = Q("search 'git status' + agent", 1);
		f->search = "git status";
		f->agent = agent;
		f = Q("search 'rm -rf' + the rarest project", 1);
		f->search = "rm -rf";
		f->project = project;
		f = Q("search 'git' (3 characters, everywhere)", 1);
		f->search = "git";
		f = Q("search 'Exit code 1' (failures)", 1);
		f->search = "Exit code 1";
		f = Q("search nothing matches 'qqzzxxyy'", 1);
		f->search = "qqzzxxyy";
		f = Q("match: npm test OR pytest", 1);
		f->match = "\"npm test\" OR \"pytest\"";
		f = Q("search 'status git' (common pieces, rare order)", 1);
		f->search = "status git";
	}
	qs[n].name = "sessions, last 2 days";
	qs[n].sessions = 1;
	qs[n].sf.from_us = newest_us - 2 * 86400000000LL;
	n++;
	qs[n].name = "sessions of a project, all";
	qs[n].sessions = 1;
	qs[n].sf.project = project;
	qs[n].sf.limit = 1000;
	n++;

	printf("{\"db\":\"%s\",\"events\":%llu,\"indexed\":%llu,\"repeat\":%d,\"queries\":[",
	       argv[optind], (unsigned long long)b.count, (unsigned long long)b.indexed, repeat);
	for (i = 0; i < n; i++) {
		for (k = 0; k < repeat; k++) {
			rows = 0;
			t0 = mono_ms();
			if (qs[i].sessions)
				rows = store_query_sessions(q, &qs[i].sf, sess_cb, &rows, err,
							    sizeof(err)) < 0
					   ? -1
					   : rows;
			else if (store_query_events(q, &qs[i].f, count_cb, &rows, err,
						    sizeof(err)) < 0)
				rows = -1;
			t[k] = mono_ms() - t0;
			if (rows < 0)
				errx(1, "%s: %s", qs[i].name, err);
		}
		first = t[0];
		qsort(t, (size_t)repeat, sizeof(t[0]), dcmp);
		med = t[repeat / 2];
		if (qs[i].fts) {
			if (med > worst_s)
				worst_s = med;
		} else if (med > worst_f)
			worst_f = med;
		if (med > (qs[i].fts ? 200 : 50))
			ok = 0;
		printf("%s{\"name\":\"%s\",\"kind\":\"%s\",\"rows\":%ld,\"median_ms\":%.2f,"
		       "\"p90_ms\":%.2f,\"max_ms\":%.2f,\"first_ms\":%.2f}",
		       i ? "," : "", qs[i].name, qs[i].fts ? "full-text" : "filtered", rows, med,
		       t[(repeat * 9) / 10 < repeat ? (repeat * 9) / 10 : repeat - 1],
		       t[repeat - 1], first);
		fflush(stdout);
	}
	printf("],\"worst_filtered_median_ms\":%.2f,\"worst_fulltext_median_ms\":%.2f,"
	       "\"bars_ms\":{\"filtered\":50,\"full_text\":200},\"within_bars\":%s}\n",
	       worst_f, worst_s, ok ? "true" : "false");
	store_query_close(q);
	return 0;
}
