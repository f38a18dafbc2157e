/*
 * check_store.c: event-store's write side (the event-store/ files) on a real
 * SQLite file in a temporary directory.
 *
 * row:      the columns and the full-text text of an event; the cut at
 *           text_max on a UTF-8 boundary; not an object; the fast path
 *           (rowscan.c) gives what json-c gives, and declines the rest
 * schema:   a new file (mode 0600, the schema, the ids), reopened; garbage,
 *           a foreign database and another schema version are BAD; moving
 *           a file aside takes its WAL along
 * writer:   idempotent on seq, batches commit at batch_max, sessions and
 *           hours summed, seqs below oldest_seq skipped, gap rows
 * fill:     a range from journal segments; what the journal lacks becomes
 *           gap rows; the stop flag
 * index:    the full-text index follows the watermark
 * retain:   by size and by age, oldest first, with the full-text entries,
 *           sessions, hours and gaps; pages given back
 */
#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"

static char dir[256], dbpath[320], jdir[320];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_store.%d.XXXXXX", (int)getpid());
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(dbpath, sizeof(dbpath), "%s/events.db", dir);
	snprintf(jdir, sizeof(jdir), "%s/journal", dir);
}

static void
teardown(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* 2026-11-28T00:00:00Z */
#define T0 1795824000000000LL

/*
 * A canonical event: seq, capture time T0 + sec seconds, session, tool
 * (NULL: none), and a command in the tool input.
 */
static size_t
mkevent(char *out, size_t outlen, uint64_t seq, int sec, const char *session, const char *tool,
	const char *command)
{
	int64_t us = T0 + (int64_t)sec * 1000000;
	char ts[40];

	snprintf(ts, sizeof(ts), "2026-11-28T%02d:%02d:%02d.000000Z", (int)(us / 3600000000LL % 24),
		 (int)(us / 60000000 % 60), (int)(us / 1000000 % 60));
	if (sec >= 86400)
		snprintf(ts, sizeof(ts), "2026-11-%02dT%02d:%02d:%02d.000000Z", 28 + sec / 86400,
			 (int)(us / 3600000000LL % 24), (int)(us / 60000000 % 60),
			 (int)(us / 1000000 % 60));
	return (size_t)snprintf(
	    out, outlen,
	    "{\"seq\":%llu,\"id\":\"%032llx\",\"ts\":\"%s\",\"event\":\"%s\",\"session_id\":\"%s\""
	    "%s%s%s,\"project\":\"/home/dev/p\",\"files\":[],\"data\":{\"hook_event_name\":\"x\","
	    "\"tool_input\":{\"command\":\"%s\"}},\"meta\":{}}",
	    (unsigned long long)seq, (unsigned long long)seq, ts,
	    tool != NULL ? "PreToolUse" : "Notification", session,
	    tool != NULL ? ",\"tool\":\"" : "", tool != NULL ? tool : "", tool != NULL ? "\"" : "",
	    command);
}

static sqlite3 *
open_new(void)
{
	struct schema_opts so;
	sqlite3 *db;
	char err[256];

	schema_opts_default(&so);
	ck_assert_int_eq(schema_open(dbpath, &so, &db, err, sizeof(err)), SCHEMA_NEW);
	return db;
}

static int64_t
q_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* True when the one-value query answers "ok". */
static int
q_ok(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int ok = 0;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	sqlite3_finalize(st);
	return ok;
}

static void
add(struct writer *w, uint64_t seq, int sec, const char *session, const char *tool,
    const char *command, int want)
{
	char buf[2048], err[256];
	size_t n = mkevent(buf, sizeof(buf), seq, sec, session, tool, command);

	ck_assert_msg(writer_add(w, buf, n, seq, 0, err, sizeof(err)) == want, "seq %llu: %s",
		      (unsigned long long)seq, err);
}

/* ---------------------------------------------------------------- row */

START_TEST(test_row_text)
{
	static const char ev[] =
	    "{\"seq\":7,\"ts\":\"2026-11-28T20:25:03.123456Z\",\"event\":\"PostToolUse\","
	    "\"session_id\":\"s1\",\"agent_id\":\"a1\",\"tool\":\"Bash\",\"tool_use_id\":\"t1\","
	    "\"cwd\":\"/w\",\"project\":\"/p\",\"files\":[\"/p/a.ts\",\"/p/b.ts\"],"
	    "\"data\":{\"prompt\":\"P\",\"tool_input\":{\"command\":\"rm -rf build\","
	    "\"description\":\"D\",\"timeout\":5},\"error\":\"E\","
	    "\"tool_response\":{\"stdout\":\"out\",\"n\":3,\"x\":[\"y\",{\"z\":\"w\"}]}}}";
	struct row r;

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(row_parse(&r, ev, strlen(ev), 4096), 0);
	ck_assert_str_eq(r.r_event, "PostToolUse");
	ck_assert_str_eq(r.r_session, "s1");
	ck_assert_str_eq(r.r_agent, "a1");
	ck_assert_str_eq(r.r_tool, "Bash");
	ck_assert_str_eq(r.r_tool_use_id, "t1");
	ck_assert_str_eq(r.r_cwd, "/w");
	ck_assert_str_eq(r.r_project, "/p");
	ck_assert_int_eq(r.r_ts_us, 1795897503123456LL);
	/* prompt, input, paths, messages, then the output, one per line */
	ck_assert_str_eq(r.r_text, "P\nrm -rf build\nD\n/p/a.ts\n/p/b.ts\nE\nout\ny\nw");
	ck_assert_uint_eq(r.r_text_len, strlen(r.r_text));
	/* the next parse starts afresh */
	ck_assert_int_eq(row_parse(&r, "{\"event\":\"E\"}", 13, 4096), 0);
	ck_assert_uint_eq(r.r_text_len, 0);
	ck_assert_ptr_null(r.r_session);
	ck_assert_int_eq(r.r_ts_us, 0);
	ck_assert_int_eq(row_parse(&r, "[1,2]", 5, 4096), -1);
	ck_assert_int_eq(row_parse(&r, "{\"a\":", 5, 4096), -1);
	row_clear(&r);
}
END_TEST

/* The same row from both readers: every column, the time, the text's bytes. */
static void
row_same(const struct row *a, const struct row *b)
{
	const char *const ca[] = {a->r_ts,   a->r_event,       a->r_session, a->r_agent,
				  a->r_tool, a->r_tool_use_id, a->r_project, a->r_cwd};
	const char *const cb[] = {b->r_ts,   b->r_event,       b->r_session, b->r_agent,
				  b->r_tool, b->r_tool_use_id, b->r_project, b->r_cwd};
	size_t i;

	for (i = 0; i < 8; i++) {
		ck_assert_msg((ca[i] == NULL) == (cb[i] == NULL), "column %zu", i);
		if (ca[i] != NULL)
			ck_assert_str_eq(ca[i], cb[i]);
	}
	ck_assert_int_eq(a->r_ts_us, b->r_ts_us);
	ck_assert_uint_eq(a->r_text_len, b->r_text_len);
	if (a->r_text_len > 0)
		ck_assert_int_eq(memcmp(a->r_text, b->r_text, a->r_text_len), 0);
}

START_TEST(test_row_scan)
{
	/* read by the fast path, each the same as json-c reads it */
	static const char *const same[] = {
	    "{}",
	    "{\"seq\":7,\"ts\":\"2026-11-28T20:25:03.123456Z\",\"event\":\"PostToolUse\","
	    "\"session_id\":\"s1\",\"agent_id\":\"a1\",\"tool\":\"Bash\",\"tool_use_id\":\"t1\","
	    "\"cwd\":\"/w\",\"project\":\"/p\",\"files\":[\"/p/a.ts\",3,\"/p/b.ts\"],"
	    "\"data\":{\"prompt\":\"P\",\"tool_input\":{\"command\":\"rm -rf build\","
	    "\"description\":\"D\",\"timeout\":5},\"error\":\"E\",\"message\":\"M\","
	    "\"tool_response\":{\"stdout\":\"out\",\"n\":-3.25,\"x\":[\"y\",{\"z\":\"w\"},[],{}],"
	    "\"t\":true,\"f\":false,\"u\":null}},\"meta\":{\"scrubbed\":1}}",
	    /* escapes, a NUL (a column and a prompt end at it, tool output
	     * keeps it), UTF-8 */
	    "{\"event\":\"E\",\"cwd\":\"/a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u0001\\u001F\","
	    "\"project\":\"x\\u0000y\",\"tool\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\","
	    "\"data\":{\"prompt\":\"p\\u0000q\",\"tool_response\":\"a\\u0000b\"}}",
	    /* data, tool_input, tool_response of other types */
	    "{\"event\":\"E\",\"data\":[1,2],\"files\":\"/f\"}",
	    "{\"event\":\"E\",\"data\":{\"tool_input\":\"cmd\",\"tool_response\":null}}",
	    "{\"event\":\"E\",\"data\":{\"tool_input\":{\"url\":7},\"tool_response\":12}}",
	    "{\"data\":{\"tool_response\":[\"a\",[\"b\",[\"c\"]],{\"d\":{\"e\":\"f\"}}]}}",
	    /* columns that are not strings */
	    "{\"event\":1,\"session_id\":null,\"tool\":{\"a\":\"b\"},\"ts\":\"yesterday\"}",
	};
	/* declined: json-c decides */
	static const char *const declined[] = {
	    "{\"event\":\"E\",\"tool\":\"caf\\u00e9\"}", /* \u of no control character */
	    "{\"event\":\"E\",\"event\":\"F\"}",	 /* a key repeated */
	    "{\"data\":{\"tool_response\":{\"a\":\"1\",\"a\":\"2\"}}}",
	    "{ \"event\":\"E\"}", /* white space */
	    "{\"event\":\"E\"} ",
	    "{\"event\":\"E\"}x",	   /* something after */
	    "{\"n\":1e3}",		   /* an exponent */
	    "{\"n\":1234567890123456789}", /* 19 digits */
	    "{\"n\":01}",
	    "{\"e\\u0076ent\":\"E\"}", /* an escape in a key */
	    "{\"s\":\"\xc3\"}",	       /* not UTF-8 */
	    "{\"s\":\"a\tb\"}",	       /* a raw control character */
	    "{\"s\":True}",
	    "[1]",
	    "",
	};
	struct row a, b;
	char deep[128];
	size_t i, n;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		/* and with the text cut short, wherever the cut falls */
		for (n = 1; n <= 4096; n = n < 64 ? n + 1 : n * 2) {
			ck_assert_msg(row_scan(&a, same[i], strlen(same[i]), n) == 0, "line %zu",
				      i);
			ck_assert_int_eq(row_parse_json(&b, same[i], strlen(same[i]), n), 0);
			row_same(&a, &b);
		}
	}
	for (i = 0; i < sizeof(declined) / sizeof(declined[0]); i++)
		ck_assert_msg(row_scan(&a, declined[i], strlen(declined[i]), 4096) == -1,
			      "line %zu", i);
	/* nesting: an object 30 deep is read, 31 declined (json-c's limit is 32) */
	for (n = 30; n <= 31; n++) {
		memcpy(deep, "{\"a\":", 5);
		memset(deep + 5, '[', n - 1);
		memset(deep + 5 + n - 1, ']', n - 1);
		deep[5 + 2 * (n - 1)] = '}';
		ck_assert_int_eq(row_scan(&a, deep, 5 + 2 * (n - 1) + 1, 4096), n == 30 ? 0 : -1);
	}
	row_clear(&a);
	row_clear(&b);
}
END_TEST

START_TEST(test_row_cut)
{
	/* "ab" + é (2 bytes) + "cd": a cut at 3 must not split the é */
	static const char ev[] = "{\"data\":{\"prompt\":\"ab\xc3\xa9"
				 "cd\",\"tool_response\":\"more\"}}";
	struct row r;

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(row_parse(&r, ev, strlen(ev), 3), 0);
	ck_assert_str_eq(r.r_text, "ab");
	ck_assert_int_eq(row_parse(&r, ev, strlen(ev), 4), 0);
	ck_assert_str_eq(r.r_text, "ab\xc3\xa9");
	/* the output comes last and is what is cut */
	ck_assert_int_eq(row_parse(&r, ev, strlen(ev), 9), 0);
	ck_assert_str_eq(r.r_text, "ab\xc3\xa9"
				   "cd\nmo");
	ck_assert_int_eq(row_parse(&r, ev, strlen(ev), 0), 0);
	ck_assert_uint_eq(r.r_text_len, 0);
	row_clear(&r);
}
END_TEST

/* ---------------------------------------------------------------- schema */

START_TEST(test_schema_new_reopen)
{
	struct schema_opts so;
	struct stat st;
	sqlite3 *db;
	char err[512];
	int64_t v;

	db = open_new();
	ck_assert_int_eq(q_int(db, "PRAGMA application_id"), STORE_APPLICATION_ID);
	ck_assert_int_eq(q_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(q_int(db, "PRAGMA auto_vacuum"), 2);
	ck_assert_int_eq(q_int(db, "PRAGMA page_size"), STORE_PAGE_SIZE);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'fts_parts'"),
			 1);
	ck_assert_int_eq(schema_meta_get(db, "indexed_seq", &v), SQLITE_OK);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK); /* nothing left unfinalized */
	ck_assert_int_eq(stat(dbpath, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	schema_opts_default(&so);
	ck_assert_int_eq(schema_open(dbpath, &so, &db, err, sizeof(err)), SCHEMA_OK);
	ck_assert_str_eq((const char *)sqlite3_db_filename(db, "main"), dbpath);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK); /* nothing left unfinalized */
	/* the WAL is kept for read-only readers */
	snprintf(err, sizeof(err), "%s-wal", dbpath);
	ck_assert_int_eq(access(err, F_OK), 0);
}
END_TEST

START_TEST(test_schema_bad)
{
	struct schema_opts so;
	sqlite3 *db;
	char err[256], moved[480], path[512];
	int fd, i;

	schema_opts_default(&so);
	/* garbage */
	fd = open(dbpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(write(fd, "garbage garbage garbage garbage ", 32), 32);
	close(fd);
	ck_assert_int_eq(schema_open(dbpath, &so, &db, err, sizeof(err)), SCHEMA_BAD);
	ck_assert_ptr_null(db);
	ck_assert_ptr_nonnull(strstr(err, "not a database"));
	/* moved aside with its -wal and -shm */
	snprintf(path, sizeof(path), "%s-wal", dbpath);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	close(fd);
	ck_assert_int_eq(schema_move_aside(dbpath, "bad", moved, sizeof(moved), err, sizeof(err)),
			 0);
	ck_assert_ptr_nonnull(strstr(moved, "events.db.bad-"));
	ck_assert_int_eq(access(dbpath, F_OK), -1);
	ck_assert_int_eq(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s-wal", moved);
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert_int_eq(access(moved, F_OK), 0);
	/* nothing to move: fine, moved empty */
	ck_assert_int_eq(schema_move_aside(dbpath, "bad", moved, sizeof(moved), err, sizeof(err)),
			 0);
	ck_assert_str_eq(moved, "");

	/* a foreign SQLite database */
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK); /* nothing left unfinalized */
	ck_assert_int_eq(schema_open(dbpath, &so, &db, err, sizeof(err)), SCHEMA_BAD);
	ck_assert_ptr_nonnull(strstr(err, "not a hookwire store"));
	unlink(dbpath);

	/* another schema version */
	db = open_new();
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK); /* nothing left unfinalized */
	ck_assert_int_eq(schema_open(dbpath, &so, &db, err, sizeof(err)), SCHEMA_BAD);
	ck_assert_ptr_nonnull(strstr(err, "schema version 99"));

	/* a directory that cannot hold the file */
	snprintf(path, sizeof(path), "%s/no/such/dir/events.db", dir);
	ck_assert_int_eq(schema_open(path, &so, &db, err, sizeof(err)), SCHEMA_ERROR);
}
END_TEST

/* ---------------------------------------------------------------- writer */

START_TEST(test_writer_core)
{
	struct writer_opts wo = {3, 4096};
	struct writer *w;
	sqlite3 *db = open_new();
	uint64_t stored, skipped, gaps, commits;
	char err[256];

	w = writer_new(db, &wo, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	ck_assert_uint_eq(writer_max_seq(w), 0);
	add(w, 1, 0, "s1", "Bash", "ls", 1);
	add(w, 2, 10, "s1", "Read", "x", 1);
	ck_assert_uint_eq(writer_pending(w), 2);
	ck_assert_int_gt(writer_began_us(w), 0);
	add(w, 3, 20, "s2", NULL, "y", 1); /* the third: a commit */
	ck_assert_uint_eq(writer_pending(w), 0);
	ck_assert_int_eq(writer_began_us(w), 0);
	add(w, 2, 10, "s1", "Read", "x", 0); /* stored already */
	add(w, 5, 4000, "s1", "Bash", "make", 1);
	ck_assert_int_eq(writer_gap(w, 4, 4, "lapped", err, sizeof(err)), 0);
	ck_assert_int_eq(writer_commit(w, err, sizeof(err)), 0);
	ck_assert_uint_eq(writer_max_seq(w), 5);
	writer_counts(w, &stored, &skipped, &gaps, &commits);
	ck_assert_uint_eq(stored, 4);
	ck_assert_uint_eq(skipped, 1);
	ck_assert_uint_eq(gaps, 1);
	ck_assert_uint_eq(commits, 2);

	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM events"), 4);
	ck_assert_int_eq(q_int(db, "SELECT ts_us FROM events WHERE seq = 2"), T0 + 10000000);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM events WHERE seq = 3 AND tool IS NULL"
				   " AND event = 'Notification' AND session_id = 's2'"),
			 1);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM events WHERE text = 'ls'"), 1);
	/* sessions: summed across both batches */
	ck_assert_int_eq(q_int(db, "SELECT events FROM sessions WHERE session_id = 's1'"), 3);
	ck_assert_int_eq(q_int(db, "SELECT first_seq FROM sessions WHERE session_id = 's1'"), 1);
	ck_assert_int_eq(q_int(db, "SELECT last_seq FROM sessions WHERE session_id = 's1'"), 5);
	ck_assert_int_eq(q_int(db, "SELECT last_ts_us FROM sessions WHERE session_id = 's1'"),
			 T0 + 4000000000LL);
	ck_assert_int_eq(q_int(db, "SELECT project = '/home/dev/p' FROM sessions"
				   " WHERE session_id = 's2'"),
			 1);
	/* hours: seconds 0..20 in one, 4000 in the next */
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM hours"), 2);
	ck_assert_int_eq(q_int(db, "SELECT last_seq FROM hours WHERE hour = 498840"), 3);
	ck_assert_int_eq(q_int(db, "SELECT first_seq FROM hours WHERE hour = 498841"), 5);
	ck_assert_int_eq(q_int(db, "SELECT to_seq FROM gaps WHERE from_seq = 4"), 4);
	ck_assert_int_eq(q_int(db, "SELECT value FROM meta WHERE key = 'oldest_seq'"), 0);
	/* a seq missing below the newest is stored when it comes */
	add(w, 4, 30, "s1", NULL, "late", 1);
	ck_assert_int_eq(writer_commit(w, err, sizeof(err)), 0);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM events"), 5);
	/* below what retention removed: skipped */
	writer_set_oldest(w, 3);
	ck_assert_int_eq(schema_meta_set(db, "oldest_seq", 3), SQLITE_OK);
	add(w, 1, 0, "s9", NULL, "z", 0);
	ck_assert_int_eq(writer_commit(w, err, sizeof(err)), 0);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM sessions WHERE session_id = 's9'"), 0);
	writer_free(w);
	/* a new writer finds the newest seq */
	w = writer_new(db, &wo, err, sizeof(err));
	ck_assert_uint_eq(writer_max_seq(w), 5);
	writer_free(w);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK); /* nothing left unfinalized */
}
END_TEST

START_TEST(test_writer_rollback)
{
	struct writer_opts wo = {100, 4096};
	struct writer *w;
	sqlite3 *db = open_new();
	char err[256];

	w = writer_new(db, &wo, err, sizeof(err));
	add(w, 1, 0, "s1", "Bash", "ls", 1);
	add(w, 2, 0, "s1", "Bash", "ls", 1);
	writer_free(w); /* never committed: rolled back */
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM events"), 0);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK); /* nothing left unfinalized */
}
END_TEST

/* ---------------------------------------------------------------- fill */

/* Writes journal segments: seqs from..to except those in skip, a segment per 10. */
static void
mkjournal(uint64_t from, uint64_t to, uint64_t skip_from, uint64_t skip_to)
{
	char buf[2048], path[512];
	FILE *f = NULL;
	uint64_t s;
	size_t n;

	mkdir(jdir, 0700);
	for (s = from; s <= to; s++) {
		if (s >= skip_from && s <= skip_to)
			continue;
		if (f == NULL || s % 10 == 0) {
			if (f != NULL)
				fclose(f);
			snprintf(path, sizeof(path), "%s/journal-%020llu.ndjson", jdir,
				 (unsigned long long)s);
			f = fopen(path, "w");
			ck_assert_ptr_nonnull(f);
		}
		n = mkevent(buf, sizeof(buf), s, (int)s, "j", "Bash", "from the journal");
		buf[n++] = '\n';
		ck_assert_uint_eq(fwrite(buf, 1, n, f), n);
	}
	if (f != NULL)
		fclose(f);
}

START_TEST(test_fill)
{
	struct writer_opts wo = {7, 4096};
	struct fill_result fr;
	struct writer *w;
	sqlite3 *db = open_new();
	_Atomic int stop = 0;
	char err[256];

	mkjournal(1, 100, 40, 59); /* 40..59 are gone from the journal */
	w = writer_new(db, &wo, err, sizeof(err));
	add(w, 30, 30, "j", "Bash", "from the ring", 1);
	ck_assert_int_eq(writer_commit(w, err, sizeof(err)), 0);
	/* a lapped range 25..70: 25..39 and 60..70 come back, 40..59 is a gap */
	ck_assert_int_eq(
	    fill_from_journal(w, jdir, 25, 70, 1, "lapped", NULL, &fr, err, sizeof(err)), 0);
	ck_assert_uint_eq(fr.fr_stored, 15 + 11 - 1);
	ck_assert_uint_eq(fr.fr_skipped, 1); /* 30 */
	ck_assert_uint_eq(fr.fr_gaps, 1);
	ck_assert_uint_eq(fr.fr_gap_seqs, 20);
	ck_assert_uint_eq(fr.fr_last, 70);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM events"), 26);
	ck_assert_int_eq(q_int(db, "SELECT to_seq FROM gaps WHERE from_seq = 40"), 59);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM events WHERE seq > 70"), 0);
	ck_assert_int_eq(q_int(db, "SELECT text = 'from the ring' FROM events WHERE seq = 30"), 1);
	/* the end of the range beyond the journal is a gap too */
	ck_assert_int_eq(
	    fill_from_journal(w, jdir, 95, 120, 1, "lapped", NULL, &fr, err, sizeof(err)), 0);
	ck_assert_uint_eq(fr.fr_stored, 6);
	ck_assert_int_eq(q_int(db, "SELECT to_seq FROM gaps WHERE from_seq = 101"), 120);
	/* to the end of the journal, no gaps asked */
	ck_assert_int_eq(
	    fill_from_journal(w, jdir, 71, UINT64_MAX, 1, "lapped", NULL, &fr, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(fr.fr_stored, 24);
	ck_assert_uint_eq(fr.fr_gaps, 0);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM gaps"), 2);
	/* a stop flag ends it early, without a gap for the rest */
	sqlite3_exec(db, "DELETE FROM events WHERE seq > 60", NULL, NULL, NULL);
	stop = 1;
	ck_assert_int_eq(
	    fill_from_journal(w, jdir, 61, 200, 1, "lapped", &stop, &fr, err, sizeof(err)), 0);
	ck_assert_int_eq(fr.fr_stopped, 1);
	ck_assert_uint_eq(fr.fr_stored, 0);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM gaps WHERE from_seq > 60"), 1);
	/* no journal at all: everything is a gap */
	ck_assert_int_eq(fill_from_journal(w, "/nonexistent", 300, 310, 1, "lapped", NULL, &fr, err,
					   sizeof(err)),
			 0);
	ck_assert_uint_eq(fr.fr_gap_seqs, 11);
	writer_free(w);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK); /* nothing left unfinalized */
}
END_TEST

/* ---------------------------------------------------------------- index */

/* The full-text tables, in part order, into parts; returns how many. */
static int
fts_parts(sqlite3 *db, int64_t *parts, int max)
{
	sqlite3_stmt *st;
	int n = 0;

	ck_assert_int_eq(
	    sqlite3_prepare_v2(db, "SELECT part FROM fts_parts ORDER BY part", -1, &st, NULL),
	    SQLITE_OK);
	while (n < max && sqlite3_step(st) == SQLITE_ROW)
		parts[n++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Hits of a phrase in every full-text table, joined with the events (the
 * entries of events retention removed are no hits). */
static int64_t
matches(sqlite3 *db, const char *phrase)
{
	int64_t parts[256], sum = 0;
	char sql[512];
	int n = fts_parts(db, parts, 256), i;

	for (i = 0; i < n; i++) {
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM events_fts_%lld t JOIN events e ON e.seq = t.rowid"
			 " WHERE events_fts_%lld MATCH '\"%s\"'",
			 (long long)parts[i], (long long)parts[i], phrase);
		sum += q_int(db, sql);
	}
	return sum;
}

/* FTS5's integrity-check on every full-text table from the one holding
 * seq from on (retention leaves the entries of removed events in the
 * table it cut into, until it drops that table whole). */
static int
fts_ok(sqlite3 *db, int64_t from)
{
	int64_t parts[256];
	char sql[256];
	int n = fts_parts(db, parts, 256), i;

	for (i = 0; i < n; i++) {
		snprintf(sql, sizeof(sql),
			 "SELECT first_seq >= %lld FROM fts_parts WHERE part = %lld",
			 (long long)from, (long long)parts[i]);
		if (q_int(db, sql) != 1)
			continue;
		snprintf(sql, sizeof(sql),
			 "INSERT INTO events_fts_%lld(events_fts_%lld) VALUES ('integrity-check')",
			 (long long)parts[i], (long long)parts[i]);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			return 0;
	}
	return 1;
}

START_TEST(test_textindex)
{
	struct writer_opts wo = {1000, 4096};
	struct writer *w;
	sqlite3 *db = open_new();
	uint64_t indexed, s;
	char err[256];
	int rc;

	w = writer_new(db, &wo, err, sizeof(err));
	for (s = 1; s <= 25; s++)
		add(w, s, (int)s, "s", "Bash", s == 7 ? "rm -rf /tmp/x" : "git status", 1);
	ck_assert_int_eq(writer_commit(w, err, sizeof(err)), 0);
	ck_assert_int_eq(matches(db, "rm -rf"), 0); /* stored, not yet indexed */
	/* tables of 50 bytes of text: "git status" is 10, so 5 events a table
	 * at most (but one, whatever its size, when the table is not full) */
	ck_assert_int_eq(textindex_step(db, 10, 50, &indexed, err, sizeof(err)), 1);
	ck_assert_uint_eq(indexed, 5);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM fts_parts"), 1);
	ck_assert_int_eq(matches(db, "git status"), 5);
	ck_assert_int_eq(matches(db, "rm -rf"), 0);
	ck_assert_int_eq(textindex_step(db, 10, 50, &indexed, err, sizeof(err)), 1);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM fts_parts"), 2); /* the first was full */
	ck_assert_int_eq(q_int(db, "SELECT first_seq FROM fts_parts WHERE part = 2"), 6);
	ck_assert_int_eq(q_int(db, "SELECT last_seq FROM fts_parts WHERE part = 2"), 9);
	ck_assert_int_eq(q_int(db, "SELECT text_bytes FROM fts_parts WHERE part = 2"), 43);
	ck_assert_int_eq(matches(db, "rm -rf"), 1);
	while ((rc = textindex_step(db, 10, 50, &indexed, err, sizeof(err))) == 1)
		;
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(indexed, 25);
	ck_assert_int_eq(textindex_step(db, 10, 50, &indexed, err, sizeof(err)), 0);
	/* the tables follow each other, cover 1..25, none much over 50 bytes */
	ck_assert_int_ge(q_int(db, "SELECT count(*) FROM fts_parts"), 5);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM fts_parts a JOIN fts_parts b"
				   " ON b.part = a.part + 1 WHERE b.first_seq != a.last_seq + 1"),
			 0);
	ck_assert_int_eq(q_int(db, "SELECT min(first_seq) FROM fts_parts"), 1);
	ck_assert_int_eq(q_int(db, "SELECT max(last_seq) FROM fts_parts"), 25);
	ck_assert_int_le(q_int(db, "SELECT max(text_bytes) FROM fts_parts"), 50 + 13);
	ck_assert_int_eq(matches(db, "git status"), 24);
	/* substrings, any case */
	ck_assert_int_eq(matches(db, "TATU"), 24);
	ck_assert(q_ok(db, "PRAGMA integrity_check"));
	ck_assert(fts_ok(db, 0));
	writer_free(w);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK); /* nothing left unfinalized */
}
END_TEST

static int64_t
segments(sqlite3 *db, int64_t part)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(DISTINCT segid) FROM events_fts_%lld_idx",
		 (long long)part);
	return q_int(db, sql);
}

START_TEST(test_textindex_merge)
{
	struct writer_opts wo = {1000, 4096};
	struct writer *w;
	sqlite3 *db = open_new();
	uint64_t indexed, s;
	char err[256];
	int rc, steps = 0;
	int64_t p, last;

	w = writer_new(db, &wo, err, sizeof(err));
	for (s = 1; s <= 60; s++)
		add(w, s, (int)s, "s", "Bash", s % 7 == 0 ? "rm -rf /tmp/x" : "git status", 1);
	ck_assert_int_eq(writer_commit(w, err, sizeof(err)), 0);
	/* one event a step: a segment each, ten to a table of 100 bytes */
	while ((rc = textindex_step(db, 1, 100, &indexed, err, sizeof(err))) == 1)
		;
	ck_assert_int_eq(rc, 0);
	last = q_int(db, "SELECT max(part) FROM fts_parts");
	ck_assert_int_ge(last, 5);
	ck_assert_int_gt(segments(db, 1), 4);
	ck_assert_int_gt(segments(db, last), 1);
	ck_assert_int_eq(matches(db, "git status"), 52);
	ck_assert_int_eq(matches(db, "rm -rf"), 8);
	while ((rc = textindex_merge_step(db, err, sizeof(err))) == 1)
		steps++;
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_int_ge(steps, (int)last - 1);
	/* every full table in one segment; the newest, still filling, untouched */
	for (p = 1; p < last; p++)
		ck_assert_int_eq(segments(db, p), 1);
	ck_assert_int_gt(segments(db, last), 1);
	ck_assert_int_eq(q_int(db, "SELECT value FROM meta WHERE key = 'merged_part'"), last - 1);
	ck_assert_int_eq(textindex_merge_step(db, err, sizeof(err)), 0);
	ck_assert_int_eq(matches(db, "git status"), 52);
	ck_assert_int_eq(matches(db, "rm -rf"), 8);
	ck_assert(fts_ok(db, 0));
	/* a new table makes the one before it full: its turn comes */
	for (s = 61; s <= 80; s++)
		add(w, s, (int)s, "s", "Bash", "git status", 1);
	ck_assert_int_eq(writer_commit(w, err, sizeof(err)), 0);
	while ((rc = textindex_step(db, 1, 100, &indexed, err, sizeof(err))) == 1)
		;
	ck_assert_int_gt(q_int(db, "SELECT max(part) FROM fts_parts"), last);
	while ((rc = textindex_merge_step(db, err, sizeof(err))) == 1)
		;
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(segments(db, last), 1);
	ck_assert_int_eq(matches(db, "git status"), 72);
	ck_assert(q_ok(db, "PRAGMA integrity_check"));
	ck_assert(fts_ok(db, 0));
	writer_free(w);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
}
END_TEST

/* ---------------------------------------------------------------- retain */

START_TEST(test_retain_age)
{
	struct writer_opts wo = {1000, 4096};
	struct retain_opts ro;
	struct retain_result rr;
	struct writer *w;
	sqlite3 *db = open_new();
	uint64_t s, indexed;
	char err[256];
	int rc;

	w = writer_new(db, &wo, err, sizeof(err));
	/* s1: seqs 1..40 at days 0..; s2: seqs 41..60 a day later */
	for (s = 1; s <= 60; s++)
		add(w, s, s <= 40 ? (int)s * 60 : 86400 + (int)s * 60, s <= 40 ? "s1" : "s2",
		    "Bash", s == 5 ? "rm -rf old" : "echo new", 1);
	ck_assert_int_eq(writer_gap(w, 61, 62, "lapped", err, sizeof(err)), 0);
	ck_assert_int_eq(writer_commit(w, err, sizeof(err)), 0);
	ck_assert_int_eq(writer_gap(w, 20, 20, "lapped", err, sizeof(err)), 0);
	ck_assert_int_eq(writer_commit(w, err, sizeof(err)), 0);
	/* 10 events a step, a table each (text "echo new" is 8 bytes) */
	while (textindex_step(db, 10, 80, &indexed, err, sizeof(err)) == 1)
		;
	ck_assert_int_eq(matches(db, "rm -rf"), 1);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM fts_parts"), 6);

	retain_opts_default(&ro);
	ro.keep_bytes = 0;
	ro.chunk = 15;
	/* now = day 2, keep one day: the events of day 0 go */
	ro.keep_us = 86400LL * 1000000;
	rc = retain_step(db, &ro, T0 + 2 * 86400 * 1000000LL, &rr, err, sizeof(err));
	ck_assert_int_eq(rc, 1); /* a full chunk: maybe more */
	ck_assert_uint_eq(rr.rr_deleted, 15);
	ck_assert_str_eq(rr.rr_why, "age");
	ck_assert_uint_eq(rr.rr_oldest, 16);
	ck_assert_int_eq(matches(db, "rm -rf"), 0); /* its event went */
	/* the table of seqs 1..10 went whole, the one of 11..20 stays (cut into) */
	ck_assert_int_eq(q_int(db, "SELECT min(first_seq) FROM fts_parts"), 11);
	ck_assert_int_eq(
	    q_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'events_fts_1'"), 0);
	ck_assert_int_eq(q_int(db, "SELECT events FROM sessions WHERE session_id = 's1'"), 25);
	ck_assert_int_eq(q_int(db, "SELECT first_seq FROM sessions WHERE session_id = 's1'"), 16);
	while ((rc = retain_step(db, &ro, T0 + 2 * 86400 * 1000000LL, &rr, err, sizeof(err))) == 1)
		;
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(q_int(db, "SELECT min(seq) FROM events"), 41);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM sessions WHERE session_id = 's1'"), 0);
	ck_assert_int_eq(q_int(db, "SELECT events FROM sessions WHERE session_id = 's2'"), 20);
	ck_assert_int_eq(q_int(db, "SELECT value FROM meta WHERE key = 'oldest_seq'"), 41);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM gaps WHERE from_seq < 41"), 0);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM gaps"), 1);
	ck_assert_int_eq(q_int(db, "SELECT count(*) FROM hours WHERE last_seq < 41"), 0);
	ck_assert_int_eq(matches(db, "echo new"), 20);
	ck_assert_int_eq(q_int(db, "SELECT min(first_seq) FROM fts_parts"), 41);
	/* the next event of s2 passes the limit at day 2 + 41 min */
	ck_assert_int_eq(rr.rr_next_us, T0 + (86400 + 41 * 60) * 1000000LL + ro.keep_us);
	ck_assert(fts_ok(db, 41));
	writer_free(w);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK); /* nothing left unfinalized */
}
END_TEST

START_TEST(test_retain_size)
{
	struct writer_opts wo = {500, 4096};
	struct retain_opts ro;
	struct retain_result rr;
	struct writer *w;
	sqlite3 *db = open_new();
	uint64_t s, used, freep, used0, indexed;
	char err[256], big[1500];
	struct stat st0, st1;
	int rc;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	w = writer_new(db, &wo, err, sizeof(err));
	for (s = 1; s <= 3000; s++) {
		big[s % 1000] = (char)('a' + s % 26); /* no two texts alike */
		add(w, s, (int)s, "s", "Bash", big, 1);
	}
	ck_assert_int_eq(writer_commit(w, err, sizeof(err)), 0);
	/* tables of 100 events each */
	while (textindex_step(db, 1000, 100 * 1499, &indexed, err, sizeof(err)) == 1)
		;
	sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	ck_assert_int_eq(retain_usage(db, &used0, &freep), 0);
	ck_assert_int_eq(stat(dbpath, &st0), 0);

	retain_opts_default(&ro);
	ro.keep_us = 0;
	ro.keep_bytes = used0 / 2; /* about 1500 of the 3000 events; chunk 2000 */
	ro.free_reserve = 16 * 4096;
	ro.vacuum_bytes = 64 * 4096;
	while ((rc = retain_step(db, &ro, T0, &rr, err, sizeof(err))) == 1)
		;
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_int_eq(retain_usage(db, &used, &freep), 0);
	ck_assert_uint_le(used, used0 / 2);
	/* no more than the excess went: within 5% of the limit (deleting
	 * from the full-text index writes delete markers, so a step frees a
	 * little less than its events took) */
	ck_assert_msg(used >= used0 / 2 / 20 * 19, "used %llu of %llu", (unsigned long long)used,
		      (unsigned long long)used0 / 2);
	ck_assert_uint_le(freep * (uint64_t)q_int(db, "PRAGMA page_size"), 16 * 4096);
	/* the oldest went, the newest stayed */
	ck_assert_int_gt(q_int(db, "SELECT min(seq) FROM events"), 1000);
	ck_assert_int_eq(q_int(db, "SELECT max(seq) FROM events"), 3000);
	ck_assert_int_eq(q_int(db, "SELECT events FROM sessions"),
			 q_int(db, "SELECT count(*) FROM events"));
	/* and the file gave the space back */
	sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	ck_assert_int_eq(stat(dbpath, &st1), 0);
	ck_assert_int_lt(st1.st_size, st0.st_size * 2 / 3);
	ck_assert(fts_ok(db, q_int(db, "SELECT min(seq) FROM events")));
	writer_free(w);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK); /* nothing left unfinalized */
}
END_TEST

static Suite *
store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tr = tcase_create("row");
	TCase *ts = tcase_create("schema");
	TCase *tw = tcase_create("writer");
	TCase *tf = tcase_create("fill");
	TCase *ti = tcase_create("index");
	TCase *tt = tcase_create("retain");

	tcase_add_test(tr, test_row_text);
	tcase_add_test(tr, test_row_cut);
	tcase_add_test(tr, test_row_scan);
	tcase_add_checked_fixture(ts, setup, teardown);
	tcase_add_test(ts, test_schema_new_reopen);
	tcase_add_test(ts, test_schema_bad);
	tcase_add_checked_fixture(tw, setup, teardown);
	tcase_add_test(tw, test_writer_core);
	tcase_add_test(tw, test_writer_rollback);
	tcase_add_checked_fixture(tf, setup, teardown);
	tcase_add_test(tf, test_fill);
	tcase_add_checked_fixture(ti, setup, teardown);
	tcase_add_test(ti, test_textindex);
	tcase_add_test(ti, test_textindex_merge);
	tcase_add_checked_fixture(tt, setup, teardown);
	tcase_add_test(tt, test_retain_age);
	tcase_add_test(tt, test_retain_size);
	suite_add_tcase(s, tr);
	suite_add_tcase(s, ts);
	suite_add_tcase(s, tw);
	suite_add_tcase(s, tf);
	suite_add_tcase(s, ti);
	suite_add_tcase(s, tt);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(store_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
