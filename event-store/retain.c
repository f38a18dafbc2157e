/*
 * retain.c: retention by age and by size (store.keep_days,
 * store.keep_bytes), in small steps and with no VACUUM.
 *
 * A step deletes at most a chunk of the oldest events, in one transaction:
 * those older than keep_days, or, while the pages in use exceed keep_bytes,
 * the oldest regardless of age, as many as the excess takes at the mean
 * size of an event (the next step measures again).  Only a prefix of the seqs is ever removed,
 * so everything below meta.oldest_seq is gone and nothing above it is
 * missing but recorded gaps.  The full-text tables that only hold seqs
 * below the cut are dropped whole (textindex.c says why not FTS5 'delete'),
 * the sessions lose the events counted in the chunk (a session with none
 * left goes), and hours and gaps below the cut go.
 *
 * The pages freed go to SQLite's free list; new events reuse them.  Beyond
 * a reserve of free pages (a sixteenth of keep_bytes, at most 16 MiB), the
 * rest go back to the file system through
 * PRAGMA incremental_vacuum, vacuum_bytes at a time (auto_vacuum is
 * INCREMENTAL from the creation of the file): the file shrinks in small
 * steps and never needs a VACUUM, which would copy the whole database.
 * event-store(8) gives the figures behind these choices.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

void
retain_opts_default(struct retain_opts *o)
{
	o->keep_us = 30LL * 86400 * 1000000;
	o->keep_bytes = 2048ULL * 1024 * 1024;
	o->chunk = 2000;
	o->vacuum_bytes = 4 * 1024 * 1024;
	o->free_reserve = 16 * 1024 * 1024;
}

static int64_t
retain_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

uint64_t
retain_reserve_bytes(uint64_t keep_bytes)
{
	uint64_t bytes = keep_bytes / 16;

	return bytes > 16 * 1024 * 1024 ? 16 * 1024 * 1024 : bytes;
}

int
retain_usage(sqlite3 *db, uint64_t *used_bytes, uint64_t *free_pages)
{
	int64_t pages = retain_int(db, "PRAGMA page_count");
	int64_t freel = retain_int(db, "PRAGMA freelist_count");
	int64_t psize = retain_int(db, "PRAGMA page_size");

	if (pages < 0 || freel < 0 || psize <= 0)
		return -1;
	*used_bytes = (uint64_t)(pages - freel) * (uint64_t)psize;
	*free_pages = (uint64_t)freel;
	return 0;
}

static int
retain_fail(sqlite3 *db, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Runs sql with ?1 = a, ?2 = b (when >= 0).  Returns an SQLite code. */
static int
retain_exec2(sqlite3 *db, const char *sql, int64_t a, int64_t b)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 1, a);
	if (b >= 0)
		sqlite3_bind_int64(st, 2, b);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* Drops the full-text tables that only hold seqs below cut. */
static int
retain_drop_parts(sqlite3 *db, uint64_t cut)
{
	sqlite3_stmt *st;
	int64_t part;
	char *sql;
	int rc;

	for (;;) {
		if (sqlite3_prepare_v2(db, "SELECT part FROM fts_parts WHERE last_seq < ? LIMIT 1",
				       -1, &st, NULL) != SQLITE_OK)
			return -1;
		sqlite3_bind_int64(st, 1, (int64_t)cut);
		rc = sqlite3_step(st);
		part = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		sqlite3_finalize(st);
		if (rc == SQLITE_DONE)
			return 0;
		if (rc != SQLITE_ROW)
			return -1;
		if ((sql = sqlite3_mprintf("DROP TABLE events_fts_%lld;"
					   " DELETE FROM fts_parts WHERE part = %lld",
					   (long long)part, (long long)part)) == NULL)
			return -1;
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
		sqlite3_free(sql);
		if (rc != SQLITE_OK)
			return -1;
	}
}

/* Deletes the events below cut and what refers to them, in one transaction. */
static int
retain_delete(sqlite3 *db, uint64_t cut, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL, *up = NULL, *del = NULL;
	struct {
		char *id;
		int64_t n;
	} *sess = NULL;
	size_t n = 0, cap = 0, i;
	int64_t indexed;
	int rc;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return retain_fail(db, "begin", err, errlen);
	/* the sessions of the chunk, with their counts */
	if (sqlite3_prepare_v2(db,
			       "SELECT session_id, count(*) FROM events WHERE seq < ?"
			       " AND session_id IS NOT NULL GROUP BY session_id",
			       -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, (int64_t)cut);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			void *nv;

			cap = cap ? cap * 2 : 16;
			if ((nv = reallocarray(sess, cap, sizeof(*sess))) == NULL)
				goto fail;
			sess = nv;
		}
		if ((sess[n].id = strdup((const char *)sqlite3_column_text(st, 0))) == NULL)
			goto fail;
		sess[n++].n = sqlite3_column_int64(st, 1);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	/* the rows; their full-text entries stay until their table goes whole
	 * (below): a search joins the events and finds nothing for them */
	if (schema_meta_get(db, "indexed_seq", &indexed) != SQLITE_OK ||
	    retain_exec2(db, "DELETE FROM events WHERE seq < ?", (int64_t)cut, -1) != SQLITE_OK ||
	    (indexed < (int64_t)cut - 1 &&
	     schema_meta_set(db, "indexed_seq", (int64_t)cut - 1) != SQLITE_OK) ||
	    retain_drop_parts(db, cut) == -1)
		goto fail;
	if (sqlite3_prepare_v2(
		db,
		"UPDATE sessions SET events = events - ?2,"
		" first_seq = coalesce((SELECT seq FROM events WHERE session_id = ?1"
		" ORDER BY seq LIMIT 1), first_seq),"
		" first_ts_us = coalesce((SELECT ts_us FROM events WHERE session_id = ?1"
		" ORDER BY seq LIMIT 1), first_ts_us) WHERE session_id = ?1",
		-1, &up, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "DELETE FROM sessions WHERE session_id = ? AND events <= 0", -1,
			       &del, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < n; i++) {
		sqlite3_bind_text(up, 1, sess[i].id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(up, 2, sess[i].n);
		if (sqlite3_step(up) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(up);
		sqlite3_bind_text(del, 1, sess[i].id, -1, SQLITE_STATIC);
		if (sqlite3_step(del) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(del);
	}
	if (retain_exec2(db, "DELETE FROM hours WHERE last_seq < ?", (int64_t)cut, -1) !=
		SQLITE_OK ||
	    retain_exec2(db, "DELETE FROM gaps WHERE to_seq < ?", (int64_t)cut, -1) != SQLITE_OK ||
	    retain_exec2(db, "UPDATE gaps SET from_seq = ? WHERE from_seq < ?1", (int64_t)cut,
			 -1) != SQLITE_OK ||
	    schema_meta_set(db, "oldest_seq", (int64_t)cut) != SQLITE_OK)
		goto fail;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_finalize(up);
	sqlite3_finalize(del);
	for (i = 0; i < n; i++)
		free(sess[i].id);
	free(sess);
	return 0;
fail:
	snprintf(err, errlen, "retention: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	sqlite3_finalize(del);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	for (i = 0; i < n; i++)
		free(sess[i].id);
	free(sess);
	return -1;
}

int
retain_step(sqlite3 *db, const struct retain_opts *o, int64_t now_us, struct retain_result *res,
	    char *err, size_t errlen)
{
	sqlite3_stmt *st;
	uint64_t used, freep, cut = 0, seq, reserve, step;
	int64_t psize, cutoff = o->keep_us > 0 ? now_us - o->keep_us : INT64_MIN, ts;
	size_t n = 0, limit;
	int by_size, more = 0, rc;

	memset(res, 0, sizeof(*res));
	if (retain_usage(db, &used, &freep) == -1)
		return retain_fail(db, "page_count", err, errlen);
	by_size = o->keep_bytes > 0 && used > o->keep_bytes;
	limit = o->chunk;
	if (by_size) {
		/* as many of the oldest as the excess takes at the mean size of
		 * an event (at least one), not a whole chunk: the next step looks
		 * again */
		int64_t span = retain_int(db, "SELECT max(seq) - min(seq) + 1 FROM events");

		if (span > 0) {
			uint64_t mean = used / (uint64_t)span + 1;
			uint64_t need = (used - o->keep_bytes + mean - 1) / mean;

			if (need < limit)
				limit = need > 0 ? need : 1;
		}
	}
	if (sqlite3_prepare_v2(db, "SELECT seq, ts_us FROM events ORDER BY seq LIMIT ?", -1, &st,
			       NULL) != SQLITE_OK)
		return retain_fail(db, "oldest", err, errlen);
	sqlite3_bind_int64(st, 1, (int64_t)limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		seq = (uint64_t)sqlite3_column_int64(st, 0);
		ts = sqlite3_column_int64(st, 1);
		if (!by_size && ts >= cutoff)
			break;
		cut = seq + 1;
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return retain_fail(db, "oldest", err, errlen);
	if (n > 0) {
		if (retain_delete(db, cut, err, errlen) == -1)
			return -1;
		res->rr_deleted = n;
		res->rr_oldest = cut;
		res->rr_why = by_size ? "size" : "age";
		more = by_size || n == o->chunk;
	}
	/* give back what the new events will not need soon (the limits are
	 * in bytes: a store made before 16 KiB pages has 4 KiB ones) */
	psize = retain_int(db, "PRAGMA page_size");
	reserve = psize > 0 ? o->free_reserve / (uint64_t)psize : 0;
	step = psize > 0 ? o->vacuum_bytes / (uint64_t)psize : 0;
	if (step == 0)
		step = 1;
	if (psize > 0 && retain_usage(db, &used, &freep) == 0 && freep > reserve &&
	    retain_int(db, "PRAGMA auto_vacuum") == 2) {
		char sql[64];
		uint64_t k = freep - reserve;

		if (k > step)
			k = step;
		snprintf(sql, sizeof(sql), "PRAGMA incremental_vacuum(%llu)",
			 (unsigned long long)k);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			return retain_fail(db, "incremental_vacuum", err, errlen);
		res->rr_vacuumed = (int)k;
		if (freep - k > reserve)
			more = 1;
	}
	/* when the oldest left will be too old */
	if (sqlite3_prepare_v2(db, "SELECT seq, ts_us FROM events ORDER BY seq LIMIT 1", -1, &st,
			       NULL) != SQLITE_OK)
		return retain_fail(db, "oldest", err, errlen);
	if (sqlite3_step(st) == SQLITE_ROW && o->keep_us > 0)
		res->rr_next_us = sqlite3_column_int64(st, 1) + o->keep_us;
	sqlite3_finalize(st);
	return more;
}
