/*
 * check_store_query.c: the store read-only (common/store_query.c), on a
 * store written by event-store's writer in a temporary directory.
 *
 * open:      no file, a foreign database, another schema version
 * events:    the newest or the first after a bound, every filter, limits,
 *            time bounds through the hours table, a callback that stops
 * search:    literal substrings (quotes, case, punctuation), FTS5
 *            expressions, bad requests (-2), snippets, the index watermark
 * sessions:  by time range and project, most recent first
 * range:     events and holes (retention, gap, not_yet), limit and next_seq
 * time:      store_query_parse_time(), table-driven
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "store_query.h"

static char dir[256], dbpath[320];

/* 2026-11-28T00:00:00Z */
#define T0 1795824000000000LL

struct ev {
	const char *event, *session, *tool, *project, *agent, *command;
};

/* 40 events, seq 1..40, one a minute from T0 (seq n at n minutes). */
static struct ev events[41];

static void
mkdb(void)
{
	struct schema_opts so;
	struct writer_opts wo = {1000, 4096};
	struct writer *w;
	sqlite3 *db;
	char buf[2048], ts[40], err[256];
	uint64_t s, indexed;
	size_t n;

	for (s = 1; s <= 40; s++) {
		struct ev *e = &events[s];

		e->session = s <= 20 ? "s1" : s <= 30 ? "s2" : "s3";
		e->project = s > 20 && s <= 30 ? "/p2" : "/p1";
		e->tool = s % 2 ? "Bash" : "Read";
		e->event = s % 4 == 0 ? "PostToolUseFailure" : s % 2 ? "PreToolUse" : "PostToolUse";
		e->agent = s % 10 == 3 ? "agent-7" : NULL;
		e->command = s == 17   ? "cd /srv && rm -rf build/ \\\"quoted\\\""
			     : s == 33 ? "git push --force"
				       : "git status";
	}
	schema_opts_default(&so);
	ck_assert_int_eq(schema_open(dbpath, &so, &db, err, sizeof(err)), SCHEMA_NEW);
	w = writer_new(db, &wo, err, sizeof(err));
	ck_assert_ptr_nonnull(w);
	for (s = 1; s <= 40; s++) {
		struct ev *e = &events[s];

		snprintf(ts, sizeof(ts), "2026-11-28T%02d:%02d:00.000000Z", (int)(s / 60),
			 (int)(s % 60));
		n = (size_t)snprintf(
		    buf, sizeof(buf),
		    "{\"seq\":%llu,\"id\":\"%032llx\",\"ts\":\"%s\",\"event\":\"%s\","
		    "\"session_id\":\"%s\"%s%s%s,\"tool\":\"%s\",\"tool_use_id\":\"tu%llu\","
		    "\"project\":\"%s\",\"files\":[\"%s/src/File%llu.ts\"],"
		    "\"data\":{\"tool_input\":{\"command\":\"%s\"}}}",
		    (unsigned long long)s, (unsigned long long)s, ts, e->event, e->session,
		    e->agent ? ",\"agent_id\":\"" : "", e->agent ? e->agent : "",
		    e->agent ? "\"" : "", e->tool, (unsigned long long)(s + 1) / 2, e->project,
		    e->project, (unsigned long long)s, e->command);
		ck_assert_msg(writer_add(w, buf, n, s, 0, err, sizeof(err)) == 1, "%s", err);
	}
	ck_assert_int_eq(writer_commit(w, err, sizeof(err)), 0);
	/* small tables (300 bytes of text, about 7 events each): a search
	 * spans several of them */
	while (textindex_step(db, 3, 300, &indexed, err, sizeof(err)) == 1)
		;
	ck_assert_uint_eq(indexed, 40);
	writer_free(w);
	sqlite3_close(db);
}

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_store_query.%d.XXXXXX", (int)getpid());
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(dbpath, sizeof(dbpath), "%s/events.db", dir);
	mkdb();
}

static void
teardown(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* What a query gave: the seqs, comma-separated, and the last snippet. */
struct got {
	char seqs[1024];
	char snippet[512];
	int stop_after; /* 0: never */
	int n;
};

static int
got_cb(void *arg, uint64_t seq, const char *json, size_t len, const char *snippet)
{
	struct got *g = arg;
	size_t l = strlen(g->seqs);

	ck_assert_uint_eq(strlen(json), len);
	ck_assert_int_eq(json[0], '{');
	snprintf(g->seqs + l, sizeof(g->seqs) - l, "%s%llu", l ? "," : "", (unsigned long long)seq);
	snprintf(g->snippet, sizeof(g->snippet), "%s", snippet ? snippet : "");
	g->n++;
	return g->stop_after && g->n >= g->stop_after;
}

static struct store_query *
qopen(void)
{
	struct store_query *q;
	char err[256];

	q = store_query_open(dbpath, 0, err, sizeof(err));
	ck_assert_msg(q != NULL, "%s", err);
	return q;
}

/* Runs f and returns the seqs it gave ("" for none, "ERR-2"/"ERR-1" on failure). */
static const char *
run(struct store_query *q, const struct store_filter *f)
{
	static struct got g;
	char err[256];
	long n;

	memset(&g, 0, sizeof(g));
	n = store_query_events(q, f, got_cb, &g, err, sizeof(err));
	if (n < 0) {
		snprintf(g.seqs, sizeof(g.seqs), "ERR%ld", n);
		return g.seqs;
	}
	ck_assert_int_eq(n, g.n);
	return g.seqs;
}

START_TEST(test_open)
{
	struct store_query *q;
	sqlite3 *db;
	char err[256], path[400];

	snprintf(path, sizeof(path), "%s/none.db", dir);
	ck_assert_ptr_null(store_query_open(path, 0, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "no store at"));
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL);
	sqlite3_close(db);
	ck_assert_ptr_null(store_query_open(path, 0, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "not a hookwire store"));
	/* it is read-only: a write fails */
	q = qopen();
	store_query_close(q);
	ck_assert_int_eq(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_exec(db, "PRAGMA user_version=2", NULL, NULL, NULL);
	sqlite3_close(db);
	ck_assert_ptr_null(store_query_open(dbpath, 0, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "schema version 2"));
	store_query_close(NULL);
	ck_assert_int_eq(store_query_path("/s", path, sizeof(path)), 0);
	ck_assert_str_eq(path, "/s/store/events.db");
	ck_assert_int_eq(store_query_path("/s", path, 8), -1);
}
END_TEST

START_TEST(test_events)
{
	struct store_query *q = qopen();
	struct store_filter f;
	struct got g;
	char err[256];

	memset(&f, 0, sizeof(f));
	f.limit = 5;
	ck_assert_str_eq(run(q, &f), "36,37,38,39,40"); /* the newest, oldest first */
	f.oldest_first = 1;
	ck_assert_str_eq(run(q, &f), "1,2,3,4,5");
	f.oldest_first = 0;
	f.since_seq = 10;
	f.limit = 3;
	ck_assert_str_eq(run(q, &f), "11,12,13"); /* the first after the bound */
	f.before_seq = 12;
	ck_assert_str_eq(run(q, &f), "11");
	memset(&f, 0, sizeof(f));
	f.before_seq = 5;
	f.limit = 2;
	ck_assert_str_eq(run(q, &f), "3,4"); /* paging back */
	f.newest_first = 1;		     /* the same, for a caller that stops early */
	ck_assert_str_eq(run(q, &f), "4,3");
	f.before_seq = 0;
	ck_assert_str_eq(run(q, &f), "40,39");
	f.since_seq = 10; /* a lower bound: the first after it, oldest first, as before */
	ck_assert_str_eq(run(q, &f), "11,12");
	memset(&f, 0, sizeof(f));
	f.session = "s2";
	f.limit = 3;
	ck_assert_str_eq(run(q, &f), "28,29,30");
	f.tool = "Read";
	ck_assert_str_eq(run(q, &f), "26,28,30");
	f.event = "PostToolUseFailure";
	ck_assert_str_eq(run(q, &f), "24,28");
	memset(&f, 0, sizeof(f));
	f.project = "/p1";
	f.event = "PreToolUse";
	f.since_seq = 18;
	ck_assert_str_eq(run(q, &f), "19,31,33,35,37,39");
	memset(&f, 0, sizeof(f));
	f.agent = "agent-7";
	ck_assert_str_eq(run(q, &f), "3,13,23,33");
	memset(&f, 0, sizeof(f));
	f.tool_use_id = "tu5";
	ck_assert_str_eq(run(q, &f), "9,10");
	f.session = "nobody";
	ck_assert_str_eq(run(q, &f), "");
	/* a list of sessions (a scoped reader): limit counts its rows only */
	memset(&f, 0, sizeof(f));
	f.sessions_json = "[\"s1\",\"s2\"]";
	f.limit = 3;
	ck_assert_str_eq(run(q, &f), "28,29,30");
	f.before_seq = 22;
	ck_assert_str_eq(run(q, &f), "19,20,21");
	f.sessions_json = "[\"s3\",\"nobody\"]";
	f.before_seq = 0;
	f.since_seq = 2;
	ck_assert_str_eq(run(q, &f), "31,32,33");
	f.sessions_json = "[]";
	ck_assert_str_eq(run(q, &f), "");
	/* time: seq n is at minute n */
	memset(&f, 0, sizeof(f));
	f.since_us = T0 + 35 * 60000000LL;
	ck_assert_str_eq(run(q, &f), "35,36,37,38,39,40");
	f.until_us = T0 + 36 * 60000000LL;
	ck_assert_str_eq(run(q, &f), "35,36");
	f.since_us = 0;
	f.until_us = T0 + 2 * 60000000LL + 1;
	ck_assert_str_eq(run(q, &f), "1,2");
	f.since_us = T0 + 86400000000LL; /* after everything: no hour to start from */
	f.until_us = 0;
	ck_assert_str_eq(run(q, &f), "");
	f.since_us = 0;
	f.until_us = T0 - 86400000000LL; /* before everything */
	ck_assert_str_eq(run(q, &f), "");
	/* limits */
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(strlen(run(q, &f)) > 0, 1);
	f.limit = STORE_LIMIT_MAX + 1;
	ck_assert_str_eq(run(q, &f), "ERR-2");
	f.limit = STORE_LIMIT_MAX;
	memset(&g, 0, sizeof(g));
	g.stop_after = 2;
	ck_assert_int_eq(store_query_events(q, &f, got_cb, &g, err, sizeof(err)), 2);
	ck_assert_str_eq(g.seqs, "1,2");
	store_query_close(q);
}
END_TEST

START_TEST(test_search)
{
	struct store_query *q = qopen();
	struct store_filter f;
	struct store_bounds b;
	struct writer_opts wo = {10, 4096};
	struct schema_opts so;
	struct writer *w;
	sqlite3 *db;
	char err[256], big[STORE_SEARCH_MAX + 2];
	static const char late[] = "{\"seq\":41,\"event\":\"E\",\"data\":{\"prompt\":\"rm -rf "
				   "again\"}}";

	memset(&f, 0, sizeof(f));
	f.search = "rm -rf";
	ck_assert_str_eq(run(q, &f), "17");
	f.search = "RM -RF BUILD";
	ck_assert_str_eq(run(q, &f), "17");
	f.search = "\"quoted\"";
	ck_assert_str_eq(run(q, &f), "17");
	f.search = "build/ \"quo"; /* a quote inside the text: still one literal */
	ck_assert_str_eq(run(q, &f), "17");
	f.search = "File33.ts";
	ck_assert_str_eq(run(q, &f), "33");
	f.search = "push";
	ck_assert_str_eq(run(q, &f), "33");
	f.search = "git status";
	f.limit = 3;
	ck_assert_str_eq(run(q, &f), "38,39,40");
	f.newest_first = 1;
	ck_assert_str_eq(run(q, &f), "40,39,38");
	f.newest_first = 0;
	f.session = "s1";
	ck_assert_str_eq(run(q, &f), "18,19,20");
	f.since_seq = 5;
	ck_assert_str_eq(run(q, &f), "6,7,8");
	memset(&f, 0, sizeof(f));
	f.search = "/src/File1";
	f.project = "/p2";
	ck_assert_str_eq(run(q, &f), ""); /* File1, File10..19: all /p1 */
	f.project = "/p1";
	f.limit = 100;
	ck_assert_str_eq(run(q, &f), "1,10,11,12,13,14,15,16,17,18,19");
	/* a selective column drives, the index is asked per row */
	memset(&f, 0, sizeof(f));
	f.search = "git status";
	f.agent = "agent-7";
	ck_assert_str_eq(run(q, &f), "3,13,23");
	f.hl_open = "[";
	f.hl_close = "]";
	ck_assert_str_eq(run(q, &f), "3,13,23");
	{
		static struct got g;

		memset(&g, 0, sizeof(g));
		ck_assert_int_eq(store_query_events(q, &f, got_cb, &g, err, sizeof(err)), 3);
		ck_assert_msg(strstr(g.snippet, "[git status]") != NULL, "%s", g.snippet);
	}
	memset(&f, 0, sizeof(f));
	f.search = "push";
	f.tool_use_id = "tu17";
	ck_assert_str_eq(run(q, &f), "33");
	f.tool_use_id = "tu16";
	ck_assert_str_eq(run(q, &f), "");
	f.tool_use_id = NULL;
	f.session = "nobody";
	ck_assert_str_eq(run(q, &f), "");
	/* a list of sessions: the newest hits among them */
	memset(&f, 0, sizeof(f));
	f.search = "git status";
	f.limit = 2;
	f.sessions_json = "[\"s2\"]";
	ck_assert_str_eq(run(q, &f), "29,30");
	/* bad requests */
	memset(&f, 0, sizeof(f));
	f.search = "rm";
	ck_assert_str_eq(run(q, &f), "ERR-2");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	f.search = big;
	ck_assert_str_eq(run(q, &f), "ERR-2");
	f.search = NULL;
	f.match = "\"git push\" AND force";
	ck_assert_str_eq(run(q, &f), "33");
	f.match = "\"git\" NOT status";
	ck_assert_str_eq(run(q, &f), "33");
	f.match = "AND AND (";
	ck_assert_str_eq(run(q, &f), "ERR-2");
	/* snippets */
	memset(&f, 0, sizeof(f));
	f.search = "rf bu";
	f.hl_open = "<";
	f.hl_close = ">";
	ck_assert_str_eq(run(q, &f), "17");
	{
		static struct got g;

		memset(&g, 0, sizeof(g));
		ck_assert_int_eq(store_query_events(q, &f, got_cb, &g, err, sizeof(err)), 1);
		ck_assert_msg(strstr(g.snippet, "rm -<rf bu>ild") != NULL, "%s", g.snippet);
	}
	/* an event stored after the index caught up is not found until indexed */
	schema_opts_default(&so);
	ck_assert_int_eq(schema_open(dbpath, &so, &db, err, sizeof(err)), SCHEMA_OK);
	w = writer_new(db, &wo, err, sizeof(err));
	ck_assert_int_eq(writer_add(w, late, strlen(late), 41, 0, err, sizeof(err)), 1);
	ck_assert_int_eq(writer_commit(w, err, sizeof(err)), 0);
	memset(&f, 0, sizeof(f));
	f.search = "rm -rf";
	ck_assert_str_eq(run(q, &f), "17");
	ck_assert_int_eq(store_query_bounds(q, &b, err, sizeof(err)), 0);
	ck_assert_uint_eq(b.newest, 41);
	ck_assert_uint_eq(b.indexed, 40);
	{
		uint64_t indexed;

		ck_assert_int_eq(textindex_step(db, 100, 300, &indexed, err, sizeof(err)), 0);
	}
	ck_assert_str_eq(run(q, &f), "17,41");
	writer_free(w);
	sqlite3_close(db);
	store_query_close(q);
}
END_TEST

struct sess_got {
	char ids[256];
	uint64_t events_s1;
};

static int
sess_cb(void *arg, const struct store_session *s)
{
	struct sess_got *g = arg;
	size_t l = strlen(g->ids);

	snprintf(g->ids + l, sizeof(g->ids) - l, "%s%s:%s", l ? "," : "", s->session_id,
		 s->project);
	if (strcmp(s->session_id, "s1") == 0) {
		ck_assert_uint_eq(s->first_seq, 1);
		ck_assert_uint_eq(s->last_seq, 20);
		ck_assert_int_eq(s->first_ts_us, T0 + 60000000LL);
		ck_assert_int_eq(s->last_ts_us, T0 + 20 * 60000000LL);
		g->events_s1 = s->events;
	}
	return 0;
}

/* Each session's usage through store_query_session_usage(), from the
 * callback as the gateway and event-query call it, in the sessions' read. */
struct usage_got {
	struct store_query *q;
	char s1[512];
	int s2_null, n;
};

static int
usage_cb(void *arg, const struct store_session *s)
{
	struct usage_got *g = arg;
	char err[256], *u;

	g->n++;
	ck_assert_msg(store_query_session_usage(g->q, s->session_id, &u, err, sizeof(err)) == 0,
		      "%s", err);
	if (strcmp(s->session_id, "s1") == 0)
		snprintf(g->s1, sizeof(g->s1), "%s", u ? u : "(null)");
	if (strcmp(s->session_id, "s2") == 0)
		g->s2_null = u == NULL;
	free(u);
	return 0;
}

START_TEST(test_sessions_usage)
{
	struct schema_opts so;
	struct writer_opts wo = {1000, 4096};
	struct writer *w;
	struct store_query *q;
	struct store_session_filter sf;
	struct usage_got g;
	sqlite3 *db;
	char buf[1024], err[256];
	uint64_t s;
	size_t n;

	/* two usage events of s1 after the fixture's 40, then one PreToolUse */
	schema_opts_default(&so);
	ck_assert_int_eq(schema_open(dbpath, &so, &db, err, sizeof(err)), SCHEMA_OK);
	w = writer_new(db, &wo, err, sizeof(err));
	ck_assert_ptr_nonnull(w);
	for (s = 41; s <= 43; s++) {
		n = (size_t)snprintf(
		    buf, sizeof(buf),
		    "{\"seq\":%llu,\"id\":\"%032llx\",\"ts\":\"2026-11-28T00:%02d:00.000000Z\","
		    "\"event\":\"%s\",\"session_id\":\"s1\",\"project\":\"/p1\",\"files\":[],"
		    "\"data\":{\"totals\":{\"session\":{\"messages\":%llu,\"output_tokens\":%llu,"
		    "\"cost_usd\":0.5}}}}",
		    (unsigned long long)s, (unsigned long long)s, (int)s,
		    s == 43 ? "PreToolUse" : "usage", (unsigned long long)s - 40,
		    (unsigned long long)s * 100);
		ck_assert_msg(writer_add(w, buf, n, s, 0, err, sizeof(err)) == 1, "%s", err);
	}
	ck_assert_int_eq(writer_commit(w, err, sizeof(err)), 0);
	writer_free(w);
	sqlite3_close(db);

	q = qopen();
	memset(&sf, 0, sizeof(sf));
	memset(&g, 0, sizeof(g));
	g.q = q;
	ck_assert_int_eq(store_query_sessions(q, &sf, usage_cb, &g, err, sizeof(err)), 3);
	ck_assert_int_eq(g.n, 3);
	/* the newest usage event's totals, not the PreToolUse after it */
	ck_assert_str_eq(g.s1, "{\"messages\":2,\"output_tokens\":4200,\"cost_usd\":0.5}");
	ck_assert_int_eq(g.s2_null, 1);
	/* on its own, outside a sessions query, and again (the statement is kept) */
	for (n = 0; n < 2; n++) {
		char *u;

		ck_assert_msg(store_query_session_usage(q, "s1", &u, err, sizeof(err)) == 0, "%s",
			      err);
		ck_assert_str_eq(u, "{\"messages\":2,\"output_tokens\":4200,\"cost_usd\":0.5}");
		free(u);
		ck_assert_int_eq(store_query_session_usage(q, "nosuch", &u, err, sizeof(err)), 0);
		ck_assert_ptr_null(u);
	}
	store_query_close(q);
}
END_TEST

START_TEST(test_sessions)
{
	struct store_query *q = qopen();
	struct store_session_filter sf;
	struct sess_got g;
	char err[256];

	memset(&sf, 0, sizeof(sf));
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(store_query_sessions(q, &sf, sess_cb, &g, err, sizeof(err)), 3);
	ck_assert_str_eq(g.ids, "s3:/p1,s2:/p2,s1:/p1");
	ck_assert_uint_eq(g.events_s1, 20);
	/* minutes 22..25: only s2 */
	sf.from_us = T0 + 22 * 60000000LL;
	sf.to_us = T0 + 25 * 60000000LL;
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(store_query_sessions(q, &sf, sess_cb, &g, err, sizeof(err)), 1);
	ck_assert_str_eq(g.ids, "s2:/p2");
	/* from minute 15 in /p1: s3 and s1 */
	sf.from_us = T0 + 15 * 60000000LL;
	sf.to_us = 0;
	sf.project = "/p1";
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(store_query_sessions(q, &sf, sess_cb, &g, err, sizeof(err)), 2);
	ck_assert_str_eq(g.ids, "s3:/p1,s1:/p1");
	sf.project = NULL;
	sf.limit = 1;
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(store_query_sessions(q, &sf, sess_cb, &g, err, sizeof(err)), 1);
	sf.limit = STORE_SESSIONS_MAX + 1;
	ck_assert_int_eq(store_query_sessions(q, &sf, sess_cb, &g, err, sizeof(err)), -2);
	store_query_close(q);
}
END_TEST

struct range_got {
	char out[1024];
};

static int
range_ev(void *arg, uint64_t seq, const char *json, size_t len, const char *snippet)
{
	struct range_got *g = arg;
	size_t l = strlen(g->out);

	snprintf(g->out + l, sizeof(g->out) - l, "%s%llu", l ? "," : "", (unsigned long long)seq);
	return 0;
}

static int
range_hole(void *arg, uint64_t from, uint64_t to, const char *reason)
{
	struct range_got *g = arg;
	size_t l = strlen(g->out);

	snprintf(g->out + l, sizeof(g->out) - l, "%s[%llu-%llu %s]", l ? "," : "",
		 (unsigned long long)from, (unsigned long long)to, reason);
	return 0;
}

static int
gap_cb(void *arg, uint64_t from, uint64_t to, const char *reason, int64_t noted_us)
{
	struct range_got *g = arg;
	size_t l = strlen(g->out);

	ck_assert_int_gt(noted_us, 0);
	snprintf(g->out + l, sizeof(g->out) - l, "%s%llu-%llu:%s", l ? "," : "",
		 (unsigned long long)from, (unsigned long long)to, reason);
	return 0;
}

START_TEST(test_range)
{
	struct store_query *q;
	struct store_bounds b;
	struct range_got g;
	sqlite3 *db;
	uint64_t next;
	char err[256];

	/* retention cut at 5, seqs 12..14 a gap row, 20 missing */
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db,
				      "DELETE FROM events WHERE seq < 5 OR seq IN (12, 13, 14, 20);"
				      "INSERT INTO gaps VALUES (12, 14, 'lapped', 1);"
				      "UPDATE meta SET value = 5 WHERE key = 'oldest_seq'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	q = qopen();
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(
	    store_query_range(q, 2, 16, 100, range_ev, range_hole, &g, &next, err, sizeof(err)), 9);
	ck_assert_str_eq(g.out, "[2-4 retention],5,6,7,8,9,10,11,[12-14 gap],15,16");
	ck_assert_uint_eq(next, 17);
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(
	    store_query_range(q, 38, 45, 100, range_ev, range_hole, &g, &next, err, sizeof(err)),
	    3);
	ck_assert_str_eq(g.out, "38,39,40,[41-45 not_yet]");
	/* a limit stops the walk; next_seq says where to go on */
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(
	    store_query_range(q, 17, 30, 3, range_ev, range_hole, &g, &next, err, sizeof(err)), 3);
	ck_assert_str_eq(g.out, "17,18,19");
	ck_assert_uint_eq(next, 20);
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(
	    store_query_range(q, next, 22, 3, range_ev, range_hole, &g, &next, err, sizeof(err)),
	    2);
	ck_assert_str_eq(g.out, "[20-20 gap],21,22");
	ck_assert_int_eq(store_query_range(q, 1, 2, STORE_LIMIT_MAX + 1, range_ev, range_hole, &g,
					   &next, err, sizeof(err)),
			 -2);
	/* the gap rows and the bounds */
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(store_query_gaps(q, 0, 0, gap_cb, &g, err, sizeof(err)), 1);
	ck_assert_str_eq(g.out, "12-14:lapped");
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(store_query_gaps(q, 15, 30, gap_cb, &g, err, sizeof(err)), 0);
	ck_assert_int_eq(store_query_bounds(q, &b, err, sizeof(err)), 0);
	ck_assert_uint_eq(b.oldest, 5);
	ck_assert_uint_eq(b.newest, 40);
	ck_assert_uint_eq(b.kept, 5);
	ck_assert_uint_eq(b.gaps, 1);
	ck_assert_uint_eq(b.count, 36 - 3); /* 20 is missing without a gap row: counted */
	store_query_close(q);
}
END_TEST

static const struct {
	const char *in;
	int ok;
	int64_t us; /* with now = T0 */
	uint64_t seq;
} times[] = {
    {"0", 1, 0, 0},
    {"42", 1, 0, 42},
    {"90s", 1, T0 - 90000000LL, 0},
    {"15m", 1, T0 - 900000000LL, 0},
    {"2h", 1, T0 - 7200000000LL, 0},
    {"2d", 1, T0 - 172800000000LL, 0},
    {"1w", 1, T0 - 604800000000LL, 0},
    {"2026-11-28", 1, T0, 0},
    {"2026-11-28T20:25:03Z", 1, T0 + 73503000000LL, 0},
    {"2026-11-28T20:25:03.123456Z", 1, T0 + 73503123456LL, 0},
    {"2026-11-28T20:25:03.1Z", 1, T0 + 73503100000LL, 0},
    {"2026-11-28t20:25:03z", 1, T0 + 73503000000LL, 0},
    {"2026-11-28 20:25Z", 1, T0 + 73500000000LL, 0},
    {"2026-11-28T21:25:03+01:00", 1, T0 + 73503000000LL, 0},
    {"2026-11-28T19:25:03-01:00", 1, T0 + 73503000000LL, 0},
    {"", 0, 0, 0},
    {"2x", 0, 0, 0},
    {"-5", 0, 0, 0},
    {"d", 0, 0, 0},
    {"2026-13-01", 0, 0, 0},
    {"2026-11-28T20:25:03", 0, 0, 0},
    {"2026-11-28T25:00Z", 0, 0, 0},
    {"2026-11-28T20:25:03.Z", 0, 0, 0},
    {"2026-11-28T20:25:03Zjunk", 0, 0, 0},
    {"1969-12-31", 0, 0, 0},
    {"99999999999999999999999", 0, 0, 0},
    {"999999999999d", 0, 0, 0},
};

START_TEST(test_parse_time)
{
	int64_t us = -1;
	uint64_t seq = 1;
	int rc = store_query_parse_time(times[_i].in, T0, &us, &seq);

	ck_assert_msg(rc == (times[_i].ok ? 0 : -1), "%s: rc %d", times[_i].in, rc);
	if (rc == 0) {
		ck_assert_msg(us == times[_i].us, "%s: us %lld", times[_i].in, (long long)us);
		ck_assert_uint_eq(seq, times[_i].seq);
	}
}
END_TEST

static Suite *
store_query_suite(void)
{
	Suite *s = suite_create("store_query");
	TCase *to = tcase_create("open");
	TCase *te = tcase_create("events");
	TCase *ts = tcase_create("search");
	TCase *tn = tcase_create("sessions");
	TCase *tr = tcase_create("range");
	TCase *tt = tcase_create("time");

	tcase_add_checked_fixture(to, setup, teardown);
	tcase_add_test(to, test_open);
	tcase_add_checked_fixture(te, setup, teardown);
	tcase_add_test(te, test_events);
	tcase_add_checked_fixture(ts, setup, teardown);
	tcase_add_test(ts, test_search);
	tcase_add_checked_fixture(tn, setup, teardown);
	tcase_add_test(tn, test_sessions);
	tcase_add_test(tn, test_sessions_usage);
	tcase_add_checked_fixture(tr, setup, teardown);
	tcase_add_test(tr, test_range);
	tcase_add_loop_test(tt, test_parse_time, 0, sizeof(times) / sizeof(times[0]));
	suite_add_tcase(s, to);
	suite_add_tcase(s, te);
	suite_add_tcase(s, ts);
	suite_add_tcase(s, tn);
	suite_add_tcase(s, tr);
	suite_add_tcase(s, tt);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(store_query_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
