/*
 * textindex.c: the full-text index, filled behind the writer
 * (event-store(8)).
 *
 * Indexing an event's text costs several times what storing the event
 * does (with the trigram tokenizer about 200 us against 30 us for 350
 * bytes of text), so the writer stores events and their text only, and
 * the follower feeds the FTS5 index here when the ring is empty, a chunk
 * of events per transaction, oldest first.  meta.indexed_seq is the
 * watermark: every event up to it is in the index, none after it.  A burst
 * of events is stored at the writer's rate and becomes searchable as fast
 * as the index can take it; searches say how far the index has got
 * (store_query_bounds()).
 */
#include <stdio.h>

#include "store.h"

static int
textindex_fail(sqlite3 *db, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "full-text index: %s: %s", what, sqlite3_errmsg(db));
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int
textindex_step(sqlite3 *db, size_t chunk, uint64_t *indexed, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t lo, hi = 0, max = 0;
	int rc;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return textindex_fail(db, "begin", err, errlen);
	if (schema_meta_get(db, "indexed_seq", &lo) != SQLITE_OK)
		return textindex_fail(db, "meta", err, errlen);
	/* the last seq of the chunk, or the newest */
	if (sqlite3_prepare_v2(db,
			       "SELECT (SELECT seq FROM events WHERE seq > ?1 ORDER BY seq"
			       " LIMIT 1 OFFSET ?2), (SELECT max(seq) FROM events)",
			       -1, &st, NULL) != SQLITE_OK)
		return textindex_fail(db, "chunk", err, errlen);
	sqlite3_bind_int64(st, 1, lo);
	sqlite3_bind_int64(st, 2, (int64_t)(chunk > 0 ? chunk - 1 : 0));
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		max = sqlite3_column_int64(st, 1);
		hi = sqlite3_column_type(st, 0) == SQLITE_NULL ? max : sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return textindex_fail(db, "chunk", err, errlen);
	*indexed = (uint64_t)lo;
	if (hi <= lo) {
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		return 0;
	}
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO events_fts(rowid, text) SELECT seq, text FROM events"
			       " WHERE seq > ? AND seq <= ? AND text IS NOT NULL",
			       -1, &st, NULL) != SQLITE_OK)
		return textindex_fail(db, "insert", err, errlen);
	sqlite3_bind_int64(st, 1, lo);
	sqlite3_bind_int64(st, 2, hi);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE || schema_meta_set(db, "indexed_seq", hi) != SQLITE_OK)
		return textindex_fail(db, "insert", err, errlen);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return textindex_fail(db, "commit", err, errlen);
	*indexed = (uint64_t)hi;
	return hi < max ? 1 : 0;
}
