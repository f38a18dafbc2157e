/*
 * store_query.c: the event store, read-only (store_query.h).
 *
 * Each call builds one SELECT with the filters as bound parameters and picks
 * the index itself, so that the plan never depends on statistics: of the
 * filters given, the most selective column (tool_use_id, session, agent,
 * project, tool, event, in that order) is compared with "col = ?" and its
 * (col, seq) index walks in seq order; the others are written "+col = ?",
 * which SQLite checks on the row without using their index.  A time bound
 * becomes a seq bound through the hours table first (every event of an
 * hour lies between that hour's first_seq and last_seq), then the exact
 * ts_us comparison filters the rows in between.  Each column filter
 * narrows the seq range too (min and max seq of its value, through its
 * index), so a full-text query, which walks the FTS5 index in rowid (seq)
 * order and joins the events by primary key, only walks the hits where the
 * session, agent or tool call can be.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>

#include "store_query.h"

struct store_query {
	sqlite3 *q_db;
	sqlite3_stmt *q_usage; /* store_query_session_usage(), prepared at its first call */
};

int
store_query_path(const char *statedir, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%s/%s", statedir, STORE_DB_DIR, STORE_DB_FILE);

	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

static int
store_query_fail(struct store_query *q, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(q->q_db));
	return -1;
}

static int
store_query_int(sqlite3 *db, const char *sql, int64_t *v)
{
	sqlite3_stmt *st;
	int rc;

	*v = 0;
	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

struct store_query *
store_query_open(const char *path, int busy_ms, char *err, size_t errlen)
{
	struct store_query *q;
	struct stat st;
	int64_t appid, version;
	int rc;

	if (stat(path, &st) == -1) {
		if (errno == ENOENT)
			snprintf(err, errlen, "no store at %s (is event-store running?)", path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rc = sqlite3_open_v2(path, &q->q_db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
			 q->q_db != NULL ? sqlite3_errmsg(q->q_db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(q->q_db, busy_ms > 0 ? busy_ms : 2000);
	if ((rc = store_query_int(q->q_db, "PRAGMA application_id", &appid)) != SQLITE_OK ||
	    (rc = store_query_int(q->q_db, "PRAGMA user_version", &version)) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(q->q_db));
		goto fail;
	}
	if (appid != STORE_APPLICATION_ID) {
		snprintf(err, errlen, "%s is not a hookwire store", path);
		goto fail;
	}
	if (version != STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: schema version %lld, this reader knows %d", path,
			 (long long)version, STORE_SCHEMA_VERSION);
		goto fail;
	}
	/* a reader's page cache: 8 MiB; sorts in memory */
	sqlite3_exec(q->q_db, "PRAGMA cache_size=-8192; PRAGMA temp_store=MEMORY", NULL, NULL,
		     NULL);
	return q;
fail:
	store_query_close(q);
	return NULL;
}

void
store_query_close(struct store_query *q)
{
	if (q == NULL)
		return;
	sqlite3_finalize(q->q_usage);
	sqlite3_close(q->q_db);
	free(q);
}

/* ---------------------------------------------------------------- events */

/* Parameters of the SELECT being built, bound in order. */
struct store_params {
	enum { SP_INT, SP_TEXT } sp_type[24];
	int64_t sp_int[24];
	const char *sp_text[24];
	int sp_n;
};

static void
store_param_int(struct store_params *p, int64_t v)
{
	p->sp_type[p->sp_n] = SP_INT;
	p->sp_int[p->sp_n++] = v;
}

static void
store_param_text(struct store_params *p, const char *s)
{
	p->sp_type[p->sp_n] = SP_TEXT;
	p->sp_text[p->sp_n++] = s;
}

static void
store_params_bind(sqlite3_stmt *st, const struct store_params *p)
{
	int i;

	for (i = 0; i < p->sp_n; i++)
		if (p->sp_type[i] == SP_INT)
			sqlite3_bind_int64(st, i + 1, p->sp_int[i]);
		else
			sqlite3_bind_text(st, i + 1, p->sp_text[i], -1, SQLITE_STATIC);
}

/* Characters (UTF-8 sequences) in s. */
static size_t
store_query_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* The FTS5 expression for a literal: one quoted phrase, quotes doubled. */
static char *
store_query_phrase(const char *s)
{
	sqlite3_str *x = sqlite3_str_new(NULL);

	sqlite3_str_appendchar(x, 1, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"')
			sqlite3_str_appendchar(x, 1, '"');
		sqlite3_str_appendchar(x, 1, *s);
	}
	sqlite3_str_appendchar(x, 1, '"');
	return sqlite3_str_finish(x);
}

/*
 * The seq bounds a time range allows: every event with ts_us >= since_us
 * has seq >= *lo, every event with ts_us <= until_us has seq <= *hi.
 * Returns 1 when no event can match, 0, or -1.
 */
static int
store_query_time_bounds(struct store_query *q, const struct store_filter *f, uint64_t *lo,
			uint64_t *hi)
{
	sqlite3_stmt *st;
	int rc, none = 0;

	*lo = 0;
	*hi = UINT64_MAX;
	if (f->since_us != 0) {
		if (sqlite3_prepare_v2(q->q_db, "SELECT min(first_seq) FROM hours WHERE hour >= ?",
				       -1, &st, NULL) != SQLITE_OK)
			return -1;
		sqlite3_bind_int64(st, 1, f->since_us / 3600000000LL - (f->since_us < 0));
		if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
		    sqlite3_column_type(st, 0) != SQLITE_NULL)
			*lo = (uint64_t)sqlite3_column_int64(st, 0);
		else if (rc == SQLITE_ROW)
			none = 1;
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW)
			return -1;
	}
	if (f->until_us != 0) {
		if (sqlite3_prepare_v2(q->q_db, "SELECT max(last_seq) FROM hours WHERE hour <= ?",
				       -1, &st, NULL) != SQLITE_OK)
			return -1;
		sqlite3_bind_int64(st, 1, f->until_us / 3600000000LL);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
		    sqlite3_column_type(st, 0) != SQLITE_NULL)
			*hi = (uint64_t)sqlite3_column_int64(st, 0);
		else if (rc == SQLITE_ROW)
			none = 1;
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW)
			return -1;
	}
	return none || *lo > *hi;
}

/*
 * Narrows *lo..*hi to the seqs where col = val: min(seq) and max(seq)
 * through the column's index, two seeks.  A search then walks the hits of
 * the full-text index only between them, which for a session, an agent or
 * a tool_use_id is a small part of the store.  Returns 1 when no event has
 * the value, 0, or -1.
 */
static int
store_query_column_bounds(struct store_query *q, const char *col, const char *val, uint64_t *lo,
			  uint64_t *hi)
{
	sqlite3_stmt *st;
	char sql[160];
	int rc, none = 0;

	snprintf(sql, sizeof(sql),
		 "SELECT (SELECT seq FROM events WHERE %s = ?1 ORDER BY seq LIMIT 1),"
		 " (SELECT seq FROM events WHERE %s = ?1 ORDER BY seq DESC LIMIT 1)",
		 col, col);
	if (sqlite3_prepare_v2(q->q_db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, val, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) == SQLITE_NULL)
			none = 1;
		else {
			uint64_t a = (uint64_t)sqlite3_column_int64(st, 0);
			uint64_t b = (uint64_t)sqlite3_column_int64(st, 1);

			if (a > *lo)
				*lo = a;
			if (b < *hi)
				*hi = b;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return -1;
	return none || *lo > *hi;
}

/* The column filters, most selective first: the first one given drives
 * the plan of a plain query. */
#define STORE_COLS 6
struct store_cols {
	const char *col, *val;
};

static void
store_query_cols(const struct store_filter *f, struct store_cols *c)
{
	c[0] = (struct store_cols){"tool_use_id", f->tool_use_id};
	c[1] = (struct store_cols){"session_id", f->session};
	c[2] = (struct store_cols){"agent_id", f->agent};
	c[3] = (struct store_cols){"project", f->project};
	c[4] = (struct store_cols){"tool", f->tool};
	c[5] = (struct store_cols){"event", f->event};
}

/*
 * Appends the time and column filters of f for the table alias e ("" or
 * "e."): ts_us compared on the row (+), the first column given plainly so
 * that its (col, seq) index drives a plain query, the others with + so that
 * they are checked on the row; all with + when unary is set (a search,
 * where the full-text index drives).
 */
static void
store_query_row_filters(sqlite3_str *x, struct store_params *p, const struct store_filter *f,
			const char *e, int unary)
{
	struct store_cols cols[STORE_COLS];
	int i, driven = unary;

	store_query_cols(f, cols);
	if (f->since_us != 0) {
		sqlite3_str_appendf(x, " AND +%sts_us >= ?", e);
		store_param_int(p, f->since_us);
	}
	if (f->until_us != 0) {
		sqlite3_str_appendf(x, " AND +%sts_us <= ?", e);
		store_param_int(p, f->until_us);
	}
	for (i = 0; i < STORE_COLS; i++) {
		if (cols[i].val == NULL)
			continue;
		sqlite3_str_appendf(x, " AND %s%s%s = ?", driven ? "+" : "", e, cols[i].col);
		store_param_text(p, cols[i].val);
		driven = 1;
	}
	if (f->sessions_json != NULL) {
		/* one parameter however many sessions: SQLite's json_each reads the list */
		sqlite3_str_appendf(x, " AND +%ssession_id IN (SELECT value FROM json_each(?))", e);
		store_param_text(p, f->sessions_json);
	}
}

struct store_hit {
	uint64_t seq;
	char *snippet;
};

/*
 * A search: the full-text tables (fts_parts) that meet [lo, hi] and the
 * seq bounds of f, newest first (or oldest first with asc), each asked for
 * the hits that are left to find, in rowid order; then the events of the
 * hits, oldest first, by primary key.
 */
static long
store_query_search(struct store_query *q, const struct store_filter *f, const char *expr,
		   uint64_t lo, uint64_t hi, size_t limit, int asc, store_event_cb cb, void *arg,
		   char *err, size_t errlen)
{
	struct store_hit *hits = NULL;
	struct store_params p;
	sqlite3_stmt *parts = NULL, *st = NULL;
	sqlite3_str *x;
	char *sql;
	uint64_t a = lo, b = hi;
	size_t nh = 0, i;
	long n = 0, rc = -1;
	int snip = f->hl_open != NULL, r;

	if (f->since_seq != 0 && f->since_seq + 1 > a)
		a = f->since_seq + 1;
	if (f->before_seq != 0 && f->before_seq - 1 < b)
		b = f->before_seq - 1;
	if (b > (uint64_t)INT64_MAX)
		b = INT64_MAX;
	if (a > b)
		return 0;
	if ((hits = calloc(limit, sizeof(*hits))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* one read transaction: the tables listed are the tables searched,
	 * whatever retention drops meanwhile */
	if (sqlite3_exec(q->q_db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		store_query_fail(q, "search", err, errlen);
		free(hits);
		return -1;
	}
	if (sqlite3_prepare_v2(q->q_db,
			       asc ? "SELECT part, first_seq, last_seq FROM fts_parts"
				     " WHERE last_seq >= ? AND first_seq <= ? ORDER BY part ASC"
				   : "SELECT part, first_seq, last_seq FROM fts_parts"
				     " WHERE last_seq >= ? AND first_seq <= ? ORDER BY part DESC",
			       -1, &parts, NULL) != SQLITE_OK) {
		store_query_fail(q, "search", err, errlen);
		goto done;
	}
	sqlite3_bind_int64(parts, 1, (int64_t)a);
	sqlite3_bind_int64(parts, 2, (int64_t)b);
	while (nh < limit && (r = sqlite3_step(parts)) == SQLITE_ROW) {
		long long part = sqlite3_column_int64(parts, 0);
		uint64_t pa = (uint64_t)sqlite3_column_int64(parts, 1);
		uint64_t pb = (uint64_t)sqlite3_column_int64(parts, 2);

		memset(&p, 0, sizeof(p));
		x = sqlite3_str_new(q->q_db);
		if (snip) {
			sqlite3_str_appendf(
			    x, "SELECT e.seq, snippet(events_fts_%lld, 0, ?, ?, '…', 48)", part);
			store_param_text(&p, f->hl_open);
			store_param_text(&p, f->hl_close != NULL ? f->hl_close : "");
		} else
			sqlite3_str_appendall(x, "SELECT e.seq, NULL");
		sqlite3_str_appendf(
		    x,
		    " FROM events_fts_%lld AS t CROSS JOIN events e ON e.seq = t.rowid"
		    " WHERE events_fts_%lld MATCH ? AND t.rowid >= ? AND t.rowid <= ?",
		    part, part);
		store_param_text(&p, expr);
		store_param_int(&p, (int64_t)(pa > a ? pa : a));
		store_param_int(&p, (int64_t)(pb < b ? pb : b));
		store_query_row_filters(x, &p, f, "e.", 1);
		sqlite3_str_appendf(x, " ORDER BY t.rowid %s LIMIT ?", asc ? "ASC" : "DESC");
		store_param_int(&p, (int64_t)(limit - nh));
		if ((sql = sqlite3_str_finish(x)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto done;
		}
		r = sqlite3_prepare_v2(q->q_db, sql, -1, &st, NULL);
		sqlite3_free(sql);
		if (r != SQLITE_OK) {
			store_query_fail(q, "search", err, errlen);
			goto done;
		}
		store_params_bind(st, &p);
		while ((r = sqlite3_step(st)) == SQLITE_ROW) {
			hits[nh].seq = (uint64_t)sqlite3_column_int64(st, 0);
			if (snip && sqlite3_column_text(st, 1) != NULL &&
			    (hits[nh].snippet = strdup((const char *)sqlite3_column_text(st, 1))) ==
				NULL) {
				snprintf(err, errlen, "out of memory");
				goto done;
			}
			nh++;
		}
		if (r != SQLITE_DONE) {
			/* an FTS5 expression that does not parse fails here with
			 * SQLITE_ERROR; damage and I/O have codes of their own */
			store_query_fail(q, "search", err, errlen);
			rc = r == SQLITE_ERROR ? -2 : -1;
			goto done;
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	sqlite3_finalize(parts);
	parts = NULL;
	/* the events, oldest first (the newest first as found, when asked) */
	if (sqlite3_prepare_v2(q->q_db, "SELECT json FROM events WHERE seq = ?", -1, &st, NULL) !=
	    SQLITE_OK) {
		store_query_fail(q, "search", err, errlen);
		goto done;
	}
	for (i = 0; i < nh; i++) {
		struct store_hit *h = &hits[asc || f->newest_first ? i : nh - 1 - i];

		sqlite3_bind_int64(st, 1, (int64_t)h->seq);
		if ((r = sqlite3_step(st)) == SQLITE_ROW) {
			n++;
			if (cb(arg, h->seq, (const char *)sqlite3_column_text(st, 0),
			       (size_t)sqlite3_column_bytes(st, 0), h->snippet) != 0)
				break;
		} else if (r != SQLITE_DONE) {
			store_query_fail(q, "search", err, errlen);
			goto done;
		}
		sqlite3_reset(st);
	}
	rc = n;
done:
	sqlite3_finalize(parts);
	sqlite3_finalize(st);
	sqlite3_exec(q->q_db, "COMMIT", NULL, NULL, NULL);
	for (i = 0; i < nh; i++)
		free(hits[i].snippet);
	free(hits);
	return rc;
}

long
store_query_events(struct store_query *q, const struct store_filter *f, store_event_cb cb,
		   void *arg, char *err, size_t errlen)
{
	/* column filters, most selective first: the first one given drives the plan */
	struct store_cols cols[STORE_COLS];
	struct store_params p;
	sqlite3_str *x;
	sqlite3_stmt *st = NULL;
	char *sql = NULL, *phrase = NULL;
	const char *expr = NULL;
	uint64_t lo, hi;
	size_t limit = f->limit ? f->limit : STORE_LIMIT_DEFAULT, i;
	int asc = f->oldest_first || f->since_seq != 0 || f->since_us != 0, rc;
	long n = 0;

	if (limit > STORE_LIMIT_MAX) {
		snprintf(err, errlen, "limit %zu: at most %d", limit, STORE_LIMIT_MAX);
		return -2;
	}
	if (f->search != NULL) {
		if (strlen(f->search) > STORE_SEARCH_MAX) {
			snprintf(err, errlen, "search text longer than %d bytes", STORE_SEARCH_MAX);
			return -2;
		}
		if (store_query_chars(f->search) < STORE_SEARCH_MIN) {
			snprintf(err, errlen, "search text '%s': at least %d characters", f->search,
				 STORE_SEARCH_MIN);
			return -2;
		}
		if ((expr = phrase = store_query_phrase(f->search)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	} else if (f->match != NULL)
		expr = f->match;
	store_query_cols(f, cols);
	rc = store_query_time_bounds(q, f, &lo, &hi);
	for (i = 0; rc == 0 && i < STORE_COLS; i++)
		if (cols[i].val != NULL)
			rc = store_query_column_bounds(q, cols[i].col, cols[i].val, &lo, &hi);
	if (rc != 0) {
		sqlite3_free(phrase);
		return rc == 1 ? 0 : store_query_fail(q, "bounds", err, errlen);
	}

	if (expr != NULL) {
		n = store_query_search(q, f, expr, lo, hi, limit, asc, cb, arg, err, errlen);
		sqlite3_free(phrase);
		return n;
	}
	memset(&p, 0, sizeof(p));
	x = sqlite3_str_new(q->q_db);
	sqlite3_str_appendall(x, "SELECT seq, json FROM events WHERE 1");
	if (f->since_seq != 0 || lo != 0) {
		sqlite3_str_appendall(x, " AND seq > ?");
		store_param_int(&p, (int64_t)(f->since_seq > lo ? f->since_seq : lo - 1));
	}
	if (f->before_seq != 0 || hi != UINT64_MAX) {
		uint64_t b = f->before_seq != 0 ? f->before_seq : UINT64_MAX;

		if (hi != UINT64_MAX && hi + 1 < b)
			b = hi + 1;
		sqlite3_str_appendall(x, " AND seq < ?");
		store_param_int(&p, b > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)b);
	}
	store_query_row_filters(x, &p, f, "", 0);
	sqlite3_str_appendf(x, " ORDER BY seq %s LIMIT ?", asc ? "ASC" : "DESC");
	store_param_int(&p, (int64_t)limit);
	if ((sql = sqlite3_str_finish(x)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!asc && !f->newest_first) {
		/* the newest, given oldest first */
		char *outer = sqlite3_mprintf("SELECT * FROM (%s) ORDER BY 1 ASC", sql);

		sqlite3_free(sql);
		if ((sql = outer) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	if (sqlite3_prepare_v2(q->q_db, sql, -1, &st, NULL) != SQLITE_OK) {
		store_query_fail(q, "query", err, errlen);
		n = -1;
		goto done;
	}
	store_params_bind(st, &p);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if (cb(arg, (uint64_t)sqlite3_column_int64(st, 0),
		       (const char *)sqlite3_column_text(st, 1),
		       (size_t)sqlite3_column_bytes(st, 1), NULL) != 0)
			goto done;
	}
	if (rc != SQLITE_DONE) {
		store_query_fail(q, "query", err, errlen);
		n = -1;
	}
done:
	sqlite3_finalize(st);
	sqlite3_free(sql);
	return n;
}

/* ---------------------------------------------------------------- range */

int
store_query_bounds(struct store_query *q, struct store_bounds *b, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t gapseqs = 0;
	int rc;

	memset(b, 0, sizeof(*b));
	if (sqlite3_prepare_v2(
		q->q_db,
		"SELECT (SELECT min(seq) FROM events), (SELECT max(seq) FROM events),"
		" (SELECT value FROM meta WHERE key = 'oldest_seq'),"
		" (SELECT value FROM meta WHERE key = 'indexed_seq'),"
		" (SELECT count(*) FROM gaps)",
		-1, &st, NULL) != SQLITE_OK)
		return store_query_fail(q, "bounds", err, errlen);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		b->oldest = (uint64_t)sqlite3_column_int64(st, 0);
		b->newest = (uint64_t)sqlite3_column_int64(st, 1);
		b->kept = (uint64_t)sqlite3_column_int64(st, 2);
		b->indexed = (uint64_t)sqlite3_column_int64(st, 3);
		b->gaps = (uint64_t)sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return store_query_fail(q, "bounds", err, errlen);
	if (b->newest == 0)
		return 0;
	if (sqlite3_prepare_v2(q->q_db,
			       "SELECT coalesce(sum(min(to_seq, ?2) - max(from_seq, ?1) + 1), 0)"
			       " FROM gaps WHERE to_seq >= ?1 AND from_seq <= ?2",
			       -1, &st, NULL) != SQLITE_OK)
		return store_query_fail(q, "bounds", err, errlen);
	sqlite3_bind_int64(st, 1, (int64_t)b->oldest);
	sqlite3_bind_int64(st, 2, (int64_t)b->newest);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		gapseqs = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return store_query_fail(q, "bounds", err, errlen);
	b->count = b->newest - b->oldest + 1 - (uint64_t)gapseqs;
	if (b->kept < b->oldest)
		b->kept = b->oldest;
	return 0;
}

struct store_holes {
	uint64_t sh_oldest, sh_newest; /* the bounds' kept, max(seq) */
	store_hole_cb sh_cb;
	void *sh_arg;
};

/* Reports the missing run a..b: below oldest_seq "retention", above the
 * newest "not_yet", the rest "gap".  Returns the callback's result. */
static int
store_query_hole(const struct store_holes *h, uint64_t a, uint64_t b)
{
	uint64_t m;
	int rc;

	if (h->sh_cb == NULL || a > b)
		return 0;
	if (a < h->sh_oldest) {
		m = b < h->sh_oldest - 1 ? b : h->sh_oldest - 1;
		if ((rc = h->sh_cb(h->sh_arg, a, m, "retention")) != 0)
			return rc;
		a = m + 1;
	}
	if (a > b)
		return 0;
	if (a <= h->sh_newest) {
		m = b < h->sh_newest ? b : h->sh_newest;
		if ((rc = h->sh_cb(h->sh_arg, a, m, "gap")) != 0)
			return rc;
		a = m + 1;
	}
	if (a > b)
		return 0;
	return h->sh_cb(h->sh_arg, a, b, "not_yet");
}

long
store_query_range(struct store_query *q, uint64_t from_seq, uint64_t to_seq, size_t limit,
		  store_event_cb ev_cb, store_hole_cb hole_cb, void *arg, uint64_t *next_seq,
		  char *err, size_t errlen)
{
	struct store_holes h;
	sqlite3_stmt *st;
	uint64_t expect = from_seq, seq;
	int64_t v;
	long n = 0;
	int rc;

	*next_seq = to_seq + 1;
	if (limit == 0)
		limit = STORE_LIMIT_DEFAULT;
	if (limit > STORE_LIMIT_MAX) {
		snprintf(err, errlen, "limit %zu: at most %d", limit, STORE_LIMIT_MAX);
		return -2;
	}
	if (from_seq > to_seq)
		return 0;
	memset(&h, 0, sizeof(h));
	h.sh_cb = hole_cb;
	h.sh_arg = arg;
	if (store_query_int(q->q_db,
			    "SELECT max(coalesce((SELECT value FROM meta WHERE key = 'oldest_seq'),"
			    " 0), coalesce((SELECT min(seq) FROM events), 0))",
			    &v) != SQLITE_OK)
		return store_query_fail(q, "meta", err, errlen);
	h.sh_oldest = (uint64_t)v;
	if (store_query_int(q->q_db, "SELECT max(seq) FROM events", &v) != SQLITE_OK)
		return store_query_fail(q, "range", err, errlen);
	h.sh_newest = (uint64_t)v;
	if (sqlite3_prepare_v2(q->q_db,
			       "SELECT seq, json FROM events WHERE seq >= ? AND seq <= ?"
			       " ORDER BY seq LIMIT ?",
			       -1, &st, NULL) != SQLITE_OK)
		return store_query_fail(q, "range", err, errlen);
	sqlite3_bind_int64(st, 1, (int64_t)from_seq);
	sqlite3_bind_int64(st, 2, to_seq > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)to_seq);
	sqlite3_bind_int64(st, 3, (int64_t)limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		seq = (uint64_t)sqlite3_column_int64(st, 0);
		if (seq > expect && store_query_hole(&h, expect, seq - 1) != 0)
			goto stop;
		n++;
		expect = seq + 1;
		if (ev_cb != NULL && ev_cb(arg, seq, (const char *)sqlite3_column_text(st, 1),
					   (size_t)sqlite3_column_bytes(st, 1), NULL) != 0)
			goto stop;
	}
	if (rc != SQLITE_DONE) {
		store_query_fail(q, "range", err, errlen);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	if ((size_t)n == limit) {
		*next_seq = expect;
		return n;
	}
	store_query_hole(&h, expect, to_seq);
	return n;
stop:
	sqlite3_finalize(st);
	*next_seq = expect;
	return n;
}

/* ---------------------------------------------------------------- sessions, gaps */

long
store_query_sessions(struct store_query *q, const struct store_session_filter *sf,
		     store_session_cb cb, void *arg, char *err, size_t errlen)
{
	struct store_session s;
	sqlite3_stmt *st;
	size_t limit = sf->limit ? sf->limit : STORE_LIMIT_DEFAULT;
	long n = 0;
	int rc;

	if (limit > STORE_SESSIONS_MAX) {
		snprintf(err, errlen, "limit %zu: at most %d", limit, STORE_SESSIONS_MAX);
		return -2;
	}
	if (sqlite3_prepare_v2(q->q_db,
			       "SELECT session_id, project, first_seq, last_seq, first_ts_us,"
			       " last_ts_us, events FROM sessions WHERE last_ts_us >= ?"
			       " AND first_ts_us <= ? AND (?3 IS NULL OR project = ?3)"
			       " ORDER BY last_ts_us DESC LIMIT ?",
			       -1, &st, NULL) != SQLITE_OK)
		return store_query_fail(q, "sessions", err, errlen);
	sqlite3_bind_int64(st, 1, sf->from_us);
	sqlite3_bind_int64(st, 2, sf->to_us != 0 ? sf->to_us : INT64_MAX);
	if (sf->project != NULL)
		sqlite3_bind_text(st, 3, sf->project, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s.session_id = (const char *)sqlite3_column_text(st, 0);
		s.project = (const char *)sqlite3_column_text(st, 1);
		s.first_seq = (uint64_t)sqlite3_column_int64(st, 2);
		s.last_seq = (uint64_t)sqlite3_column_int64(st, 3);
		s.first_ts_us = sqlite3_column_int64(st, 4);
		s.last_ts_us = sqlite3_column_int64(st, 5);
		s.events = (uint64_t)sqlite3_column_int64(st, 6);
		n++;
		if (cb(arg, &s) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_query_fail(q, "sessions", err, errlen);
		n = -1;
	}
	sqlite3_finalize(st);
	return n;
}

int
store_query_session_usage(struct store_query *q, const char *session_id, char **usage, char *err,
			  size_t errlen)
{
	int rc;

	*usage = NULL;
	/* The newest usage event of the session, through events_session: its
	 * events from the newest back to that one ("+event": not by
	 * events_event, which would walk every session's usage events). */
	if (q->q_usage == NULL &&
	    sqlite3_prepare_v2(
		q->q_db,
		"SELECT json_extract(json, '$.data.totals.session') FROM events"
		" WHERE session_id = ? AND +event = 'usage' ORDER BY seq DESC LIMIT 1",
		-1, &q->q_usage, NULL) != SQLITE_OK)
		return store_query_fail(q, "session usage", err, errlen);
	sqlite3_bind_text(q->q_usage, 1, session_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(q->q_usage);
	if (rc == SQLITE_ROW && sqlite3_column_type(q->q_usage, 0) == SQLITE_TEXT &&
	    (*usage = strdup((const char *)sqlite3_column_text(q->q_usage, 0))) == NULL) {
		snprintf(err, errlen, "session usage: out of memory");
		rc = -1;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		store_query_fail(q, "session usage", err, errlen);
	/* reset at once, or the statement would hold its read transaction
	 * (and the snapshot) open until the next call */
	sqlite3_reset(q->q_usage);
	sqlite3_clear_bindings(q->q_usage);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

long
store_query_gaps(struct store_query *q, uint64_t from_seq, uint64_t to_seq, store_gap_cb cb,
		 void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	long n = 0;
	int rc;

	if (sqlite3_prepare_v2(q->q_db,
			       "SELECT from_seq, to_seq, reason, noted_us FROM gaps"
			       " WHERE to_seq >= ? AND from_seq <= ? ORDER BY from_seq",
			       -1, &st, NULL) != SQLITE_OK)
		return store_query_fail(q, "gaps", err, errlen);
	sqlite3_bind_int64(st, 1, (int64_t)from_seq);
	sqlite3_bind_int64(
	    st, 2, to_seq == 0 || to_seq > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)to_seq);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if (cb(arg, (uint64_t)sqlite3_column_int64(st, 0),
		       (uint64_t)sqlite3_column_int64(st, 1),
		       (const char *)sqlite3_column_text(st, 2), sqlite3_column_int64(st, 3)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_query_fail(q, "gaps", err, errlen);
		n = -1;
	}
	sqlite3_finalize(st);
	return n;
}

/* ---------------------------------------------------------------- time */

/* Exactly n digits at s, as a number; -1 when not. */
static int
store_query_digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int
store_query_parse_time(const char *s, int64_t now_us, int64_t *us, uint64_t *seq)
{
	struct tm tm;
	const char *p;
	char *end;
	unsigned long long v;
	int64_t frac = 0, scale = 100000, off = 0, unit;
	time_t t;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om;

	*us = 0;
	*seq = 0;
	if (s == NULL || *s == '\0')
		return -1;
	if (s[0] >= '0' && s[0] <= '9' && strlen(s) <= 20) {
		errno = 0;
		v = strtoull(s, &end, 10);
		if (errno == 0 && *end == '\0') {
			*seq = v;
			return 0;
		}
		if (errno == 0 && end[0] != '\0' && end[1] == '\0' && end != s) {
			switch (*end) {
			case 's':
				unit = 1000000LL;
				break;
			case 'm':
				unit = 60000000LL;
				break;
			case 'h':
				unit = 3600000000LL;
				break;
			case 'd':
				unit = 86400000000LL;
				break;
			case 'w':
				unit = 7 * 86400000000LL;
				break;
			default:
				unit = 0;
			}
			if (unit != 0) {
				if (v > (unsigned long long)(INT64_MAX / unit) ||
				    (int64_t)v * unit > now_us)
					return -1;
				*us = now_us - (int64_t)v * unit;
				return 0;
			}
		}
	}
	/* YYYY-MM-DD[THH:MM[:SS[.frac]](Z|+HH:MM|-HH:MM)] */
	if (strlen(s) < 10 || (y = store_query_digits(s, 4)) < 1970 || s[4] != '-' ||
	    (mo = store_query_digits(s + 5, 2)) < 1 || mo > 12 || s[7] != '-' ||
	    (d = store_query_digits(s + 8, 2)) < 1 || d > 31)
		return -1;
	p = s + 10;
	if (*p != '\0') {
		if ((*p != 'T' && *p != 't' && *p != ' ') ||
		    (h = store_query_digits(p + 1, 2)) < 0 || h > 23 || p[3] != ':' ||
		    (mi = store_query_digits(p + 4, 2)) < 0 || mi > 59)
			return -1;
		p += 6;
		if (*p == ':') {
			if ((sec = store_query_digits(p + 1, 2)) < 0 || sec > 60)
				return -1;
			p += 3;
			if (*p == '.') {
				if (p[1] < '0' || p[1] > '9')
					return -1;
				for (p++; *p >= '0' && *p <= '9'; p++) {
					frac += (*p - '0') * scale;
					scale /= 10;
				}
			}
		}
		if (*p == 'Z' || *p == 'z')
			p++;
		else if (*p == '+' || *p == '-') {
			if ((oh = store_query_digits(p + 1, 2)) < 0 || oh > 23 || p[3] != ':' ||
			    (om = store_query_digits(p + 4, 2)) < 0 || om > 59)
				return -1;
			off = (*p == '+' ? 1 : -1) * ((int64_t)oh * 3600 + om * 60);
			p += 6;
		} else
			return -1;
		if (*p != '\0')
			return -1;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*us = ((int64_t)t - off) * 1000000 + frac;
	return 0;
}
