/*
 * writer.c: events into the store, in transactions (event-store(8)).
 *
 * writer_add() runs one prepared INSERT OR IGNORE per event inside an open
 * transaction (BEGIN IMMEDIATE at the first event); the full-text index
 * follows later (textindex.c).  The sessions and hours rows of the events in the
 * transaction are summed in memory and written once per commit, so a batch
 * of N events of one session costs one upsert, not N.  A commit comes after
 * batch_max events, or when the caller says (follow.c: commit_ms after the
 * first event of the batch, and before waiting).  An event whose seq is
 * already stored is skipped and counted nowhere: the store is idempotent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "util.h"

#define WRITER_AGG_MAX 256 /* distinct sessions or hours summed before a flush */

struct writer_sess {
	char *ws_id, *ws_project;
	uint64_t ws_first, ws_last, ws_count;
	int64_t ws_first_ts, ws_last_ts;
};

struct writer_hour {
	int64_t wh_hour;
	uint64_t wh_first, wh_last;
};

struct writer {
	sqlite3 *w_db;
	struct writer_opts w_opts;
	sqlite3_stmt *w_begin, *w_commit, *w_insert, *w_session, *w_hour, *w_gap;
	struct row w_row;
	int w_in_txn;
	size_t w_pending;
	int64_t w_began_us;
	uint64_t w_max, w_oldest_seq;
	int w_rc;
	struct writer_sess w_sess[WRITER_AGG_MAX];
	size_t w_nsess;
	struct writer_hour w_hours[WRITER_AGG_MAX];
	size_t w_nhours;
	uint64_t w_stored, w_skipped, w_gaps, w_commits;
};

static const char *writer_sql[] = {
    "BEGIN IMMEDIATE",
    "COMMIT",
    "INSERT OR IGNORE INTO events(seq, ts, ts_us, event, session_id, agent_id, tool,"
    " tool_use_id, project, cwd, text, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "INSERT INTO sessions(session_id, project, first_seq, last_seq, first_ts_us, last_ts_us,"
    " events) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(session_id) DO UPDATE SET"
    " project = coalesce(sessions.project, excluded.project),"
    " first_seq = min(sessions.first_seq, excluded.first_seq),"
    " last_seq = max(sessions.last_seq, excluded.last_seq),"
    " first_ts_us = min(sessions.first_ts_us, excluded.first_ts_us),"
    " last_ts_us = max(sessions.last_ts_us, excluded.last_ts_us),"
    " events = sessions.events + excluded.events",
    "INSERT INTO hours(hour, first_seq, last_seq) VALUES (?, ?, ?) ON CONFLICT(hour) DO UPDATE"
    " SET first_seq = min(hours.first_seq, excluded.first_seq),"
    " last_seq = max(hours.last_seq, excluded.last_seq)",
    "INSERT OR IGNORE INTO gaps(from_seq, to_seq, reason, noted_us) VALUES (?, ?, ?, ?)",
};

static int
writer_fail(struct writer *w, int rc, const char *what, char *err, size_t errlen)
{
	w->w_rc = rc;
	snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(w->w_db));
	return -1;
}

struct writer *
writer_new(sqlite3 *db, const struct writer_opts *o, char *err, size_t errlen)
{
	struct writer *w;
	sqlite3_stmt **st[6];
	int64_t v;
	size_t i;
	int rc;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->w_db = db;
	w->w_opts = *o;
	if (w->w_opts.batch_max == 0)
		w->w_opts.batch_max = 1;
	st[0] = &w->w_begin;
	st[1] = &w->w_commit;
	st[2] = &w->w_insert;
	st[3] = &w->w_session;
	st[4] = &w->w_hour;
	st[5] = &w->w_gap;
	for (i = 0; i < 6; i++)
		if ((rc = sqlite3_prepare_v3(db, writer_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					     st[i], NULL)) != SQLITE_OK) {
			writer_fail(w, rc, "prepare", err, errlen);
			goto fail;
		}
	if ((rc = schema_meta_get(db, "oldest_seq", &v)) != SQLITE_OK) {
		writer_fail(w, rc, "meta", err, errlen);
		goto fail;
	}
	w->w_oldest_seq = (uint64_t)v;
	{
		sqlite3_stmt *mx;

		if ((rc = sqlite3_prepare_v2(db, "SELECT max(seq) FROM events", -1, &mx, NULL)) !=
		    SQLITE_OK) {
			writer_fail(w, rc, "max(seq)", err, errlen);
			goto fail;
		}
		if ((rc = sqlite3_step(mx)) == SQLITE_ROW)
			w->w_max = (uint64_t)sqlite3_column_int64(mx, 0);
		sqlite3_finalize(mx);
		if (rc != SQLITE_ROW) {
			writer_fail(w, rc, "max(seq)", err, errlen);
			goto fail;
		}
	}
	return w;
fail:
	writer_free(w);
	return NULL;
}

static void
writer_agg_reset(struct writer *w)
{
	size_t i;

	for (i = 0; i < w->w_nsess; i++) {
		free(w->w_sess[i].ws_id);
		free(w->w_sess[i].ws_project);
	}
	w->w_nsess = 0;
	w->w_nhours = 0;
}

void
writer_free(struct writer *w)
{
	if (w == NULL)
		return;
	if (w->w_in_txn)
		sqlite3_exec(w->w_db, "ROLLBACK", NULL, NULL, NULL);
	writer_agg_reset(w);
	sqlite3_finalize(w->w_begin);
	sqlite3_finalize(w->w_commit);
	sqlite3_finalize(w->w_insert);
	sqlite3_finalize(w->w_session);
	sqlite3_finalize(w->w_hour);
	sqlite3_finalize(w->w_gap);
	row_clear(&w->w_row);
	free(w);
}

/* Runs a prepared statement that returns no row.  Returns an SQLite code. */
static int
writer_run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
writer_begin(struct writer *w, char *err, size_t errlen)
{
	int rc;

	if (w->w_in_txn)
		return 0;
	if ((rc = writer_run(w->w_begin)) != SQLITE_OK)
		return writer_fail(w, rc, "begin", err, errlen);
	w->w_in_txn = 1;
	w->w_pending = 0;
	w->w_began_us = util_mono_us();
	return 0;
}

static void
writer_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* Writes the summed sessions and hours. */
static int
writer_flush_agg(struct writer *w, char *err, size_t errlen)
{
	size_t i;
	int rc;

	for (i = 0; i < w->w_nsess; i++) {
		struct writer_sess *s = &w->w_sess[i];

		sqlite3_bind_text(w->w_session, 1, s->ws_id, -1, SQLITE_STATIC);
		writer_bind_text(w->w_session, 2, s->ws_project);
		sqlite3_bind_int64(w->w_session, 3, (int64_t)s->ws_first);
		sqlite3_bind_int64(w->w_session, 4, (int64_t)s->ws_last);
		sqlite3_bind_int64(w->w_session, 5, s->ws_first_ts);
		sqlite3_bind_int64(w->w_session, 6, s->ws_last_ts);
		sqlite3_bind_int64(w->w_session, 7, (int64_t)s->ws_count);
		if ((rc = writer_run(w->w_session)) != SQLITE_OK)
			return writer_fail(w, rc, "sessions", err, errlen);
	}
	for (i = 0; i < w->w_nhours; i++) {
		sqlite3_bind_int64(w->w_hour, 1, w->w_hours[i].wh_hour);
		sqlite3_bind_int64(w->w_hour, 2, (int64_t)w->w_hours[i].wh_first);
		sqlite3_bind_int64(w->w_hour, 3, (int64_t)w->w_hours[i].wh_last);
		if ((rc = writer_run(w->w_hour)) != SQLITE_OK)
			return writer_fail(w, rc, "hours", err, errlen);
	}
	writer_agg_reset(w);
	return 0;
}

/* Adds one stored event to the sums (flushing them when full). */
static int
writer_agg(struct writer *w, const struct row *r, uint64_t seq, char *err, size_t errlen)
{
	int64_t hour = r->r_ts_us / 3600000000LL;
	size_t i;

	if (r->r_session != NULL) {
		struct writer_sess *s = NULL;

		for (i = w->w_nsess; i > 0; i--)
			if (strcmp(w->w_sess[i - 1].ws_id, r->r_session) == 0) {
				s = &w->w_sess[i - 1];
				break;
			}
		if (s == NULL) {
			if (w->w_nsess == WRITER_AGG_MAX && writer_flush_agg(w, err, errlen) == -1)
				return -1;
			s = &w->w_sess[w->w_nsess];
			memset(s, 0, sizeof(*s));
			if ((s->ws_id = strdup(r->r_session)) == NULL ||
			    (r->r_project != NULL &&
			     (s->ws_project = strdup(r->r_project)) == NULL)) {
				free(s->ws_id);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			w->w_nsess++;
			s->ws_first = s->ws_last = seq;
			s->ws_first_ts = s->ws_last_ts = r->r_ts_us;
		} else if (s->ws_project == NULL && r->r_project != NULL &&
			   (s->ws_project = strdup(r->r_project)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		s->ws_first = seq < s->ws_first ? seq : s->ws_first;
		s->ws_last = seq > s->ws_last ? seq : s->ws_last;
		s->ws_first_ts = r->r_ts_us < s->ws_first_ts ? r->r_ts_us : s->ws_first_ts;
		s->ws_last_ts = r->r_ts_us > s->ws_last_ts ? r->r_ts_us : s->ws_last_ts;
		s->ws_count++;
	}
	for (i = w->w_nhours; i > 0; i--)
		if (w->w_hours[i - 1].wh_hour == hour) {
			struct writer_hour *h = &w->w_hours[i - 1];

			h->wh_first = seq < h->wh_first ? seq : h->wh_first;
			h->wh_last = seq > h->wh_last ? seq : h->wh_last;
			return 0;
		}
	if (w->w_nhours == WRITER_AGG_MAX && writer_flush_agg(w, err, errlen) == -1)
		return -1;
	w->w_hours[w->w_nhours].wh_hour = hour;
	w->w_hours[w->w_nhours].wh_first = w->w_hours[w->w_nhours].wh_last = seq;
	w->w_nhours++;
	return 0;
}

int
writer_add(struct writer *w, const char *json, size_t len, uint64_t seq, int64_t ts_us, char *err,
	   size_t errlen)
{
	struct row *r = &w->w_row;
	sqlite3_stmt *st = w->w_insert;
	int rc, stored = 0;

	if (writer_begin(w, err, errlen) == -1)
		return -1;
	w->w_pending++;
	if (seq < w->w_oldest_seq) {
		/* retention removed it: it does not come back */
		w->w_skipped++;
		goto done;
	}
	if (row_parse(r, json, len, w->w_opts.text_max) == -1)
		r->r_ts_us = 0; /* not an object: kept as it is, the columns NULL */
	if (ts_us != 0)
		r->r_ts_us = ts_us;
	sqlite3_bind_int64(st, 1, (int64_t)seq);
	writer_bind_text(st, 2, r->r_ts);
	sqlite3_bind_int64(st, 3, r->r_ts_us);
	writer_bind_text(st, 4, r->r_event);
	writer_bind_text(st, 5, r->r_session);
	writer_bind_text(st, 6, r->r_agent);
	writer_bind_text(st, 7, r->r_tool);
	writer_bind_text(st, 8, r->r_tool_use_id);
	writer_bind_text(st, 9, r->r_project);
	writer_bind_text(st, 10, r->r_cwd);
	if (r->r_text_len > 0)
		sqlite3_bind_text(st, 11, r->r_text, (int)r->r_text_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 11);
	sqlite3_bind_text(st, 12, json, (int)len, SQLITE_STATIC);
	if ((rc = writer_run(st)) != SQLITE_OK)
		return writer_fail(w, rc, "insert", err, errlen);
	stored = sqlite3_changes(w->w_db) > 0;
	if (!stored) {
		w->w_skipped++;
		goto done;
	}
	w->w_stored++;
	if (writer_agg(w, r, seq, err, errlen) == -1)
		return -1;
	if (seq > w->w_max)
		w->w_max = seq;
done:
	if (w->w_pending >= w->w_opts.batch_max && writer_commit(w, err, errlen) == -1)
		return -1;
	return stored ? 1 : 0;
}

int
writer_gap(struct writer *w, uint64_t from, uint64_t to, const char *reason, char *err,
	   size_t errlen)
{
	int rc;

	if (writer_begin(w, err, errlen) == -1)
		return -1;
	sqlite3_bind_int64(w->w_gap, 1, (int64_t)from);
	sqlite3_bind_int64(w->w_gap, 2, (int64_t)to);
	sqlite3_bind_text(w->w_gap, 3, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(w->w_gap, 4, util_now_us());
	if ((rc = writer_run(w->w_gap)) != SQLITE_OK)
		return writer_fail(w, rc, "gap", err, errlen);
	w->w_gaps++;
	return 0;
}

int
writer_commit(struct writer *w, char *err, size_t errlen)
{
	int rc;

	if (!w->w_in_txn)
		return 0;
	if (writer_flush_agg(w, err, errlen) == -1)
		return -1;
	if ((rc = writer_run(w->w_commit)) != SQLITE_OK)
		return writer_fail(w, rc, "commit", err, errlen);
	w->w_in_txn = 0;
	w->w_pending = 0;
	w->w_began_us = 0;
	w->w_commits++;
	return 0;
}

size_t
writer_pending(const struct writer *w)
{
	return w->w_in_txn ? w->w_pending : 0;
}

int64_t
writer_began_us(const struct writer *w)
{
	return w->w_in_txn ? w->w_began_us : 0;
}

uint64_t
writer_max_seq(const struct writer *w)
{
	return w->w_max;
}

void
writer_set_oldest(struct writer *w, uint64_t oldest)
{
	w->w_oldest_seq = oldest;
}

int
writer_rc(const struct writer *w)
{
	return w->w_rc;
}

void
writer_counts(const struct writer *w, uint64_t *stored, uint64_t *skipped, uint64_t *gaps,
	      uint64_t *commits)
{
	*stored = w->w_stored;
	*skipped = w->w_skipped;
	*gaps = w->w_gaps;
	*commits = w->w_commits;
}

sqlite3 *
writer_db(const struct writer *w)
{
	return w->w_db;
}
