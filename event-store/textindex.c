/*
 * textindex.c: the full-text index, filled behind the writer
 * (event-store(8)).
 *
 * Indexing an event's text costs more than storing the event (with the
 * trigram tokenizer about 75 us against 30 us for 350 bytes of text), so
 * the writer stores events and their text only, and the follower feeds the
 * index here when the ring is empty, a chunk of events per transaction,
 * oldest first.  meta.indexed_seq is the watermark: every event up to it is
 * in the index, none after it.  A burst is stored at the writer's rate and
 * becomes searchable as fast as the index can take it.
 *
 * The index is split by seq into FTS5 tables, events_fts_<part>, listed in
 * fts_parts with the seqs they cover and the text bytes they hold; a new
 * one is begun when the newest holds part_bytes of text.  Retention drops
 * whole tables below its cut (retain.c).  One table could only lose
 * entries through FTS5 'delete' commands, which cost as much as indexing
 * and leave delete markers that grow the index until an 'optimize'
 * rewrites all of it: measured on 200,000 events, deleting the oldest half
 * took 70 us an event and grew the index from 181 to 218 MB.
 */
#include <stdio.h>

#include "store.h"

/*
 * FTS5 merges a level's segments into one once it holds this many (its
 * default is 4).  Each merge rewrites what it merges, so fewer merges cost
 * less an event: on 100,000 events of store-gen's text, indexed 1000 a
 * transaction, 48.6 us an event against 73 us, the same bytes in the end,
 * and a search as fast (16-18 ms for four phrases).  A table holds at most
 * a 64th of store.keep_bytes of text, so its segments stay few.
 */
#define TEXTINDEX_AUTOMERGE 16

/*
 * A table that is full takes no more text, so its segments are merged into
 * one, a step of this many pages at a time ('merge' with a negative count:
 * an 'optimize' done in pieces), between looks at the ring.  It costs
 * about 13 us an event, once (store-gen, 1M events; 42 us to index them).
 * On the 10-million-event store (104 full tables of about 96,000 events)
 * the slowest search's median went from 129 to 13 ms, the worst of
 * store-query-bench's 13 from 129 to 37 ms.
 */
#define TEXTINDEX_MERGE_PAGES 256

uint64_t
textindex_part_bytes(uint64_t keep_bytes)
{
	uint64_t b = keep_bytes / 64;

	if (b < 64 * 1024)
		b = 64 * 1024;
	if (b > 64 * 1024 * 1024)
		b = 64 * 1024 * 1024;
	return b;
}

static int
textindex_fail(sqlite3 *db, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "full-text index: %s: %s", what, sqlite3_errmsg(db));
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* The newest table, or a new one after it when it is full.  *part gets it,
 * *room the text bytes it takes before it is full. */
static int
textindex_part(sqlite3 *db, int64_t lo, uint64_t part_bytes, int64_t *part, uint64_t *room)
{
	sqlite3_stmt *st;
	char tok[128], *sql;
	int64_t bytes = 0;
	int rc;

	*part = 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT part, text_bytes FROM fts_parts ORDER BY part DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*part = sqlite3_column_int64(st, 0);
		bytes = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	if (*part != 0 && (uint64_t)bytes < part_bytes) {
		*room = part_bytes - (uint64_t)bytes;
		return 0;
	}
	(*part)++;
	*room = part_bytes;
	if (schema_meta_get_text(db, "tokenize", tok, sizeof(tok)) != SQLITE_OK)
		return -1;
	if ((sql = sqlite3_mprintf("CREATE VIRTUAL TABLE events_fts_%lld USING fts5(text,"
				   " content='events', content_rowid='seq', columnsize=0,"
				   " tokenize=%Q);"
				   "INSERT INTO events_fts_%lld(events_fts_%lld, rank)"
				   " VALUES ('automerge', %d);"
				   "INSERT INTO fts_parts VALUES (%lld, %lld, %lld, 0)",
				   (long long)*part, tok[0] ? tok : SCHEMA_TOKENIZER_DEFAULT,
				   (long long)*part, (long long)*part, TEXTINDEX_AUTOMERGE,
				   (long long)*part, (long long)lo + 1, (long long)lo)) == NULL)
		return -1;
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_free(sql);
	return rc == SQLITE_OK ? 0 : -1;
}

int
textindex_step(sqlite3 *db, size_t chunk, uint64_t part_bytes, uint64_t *indexed, char *err,
	       size_t errlen)
{
	sqlite3_stmt *st;
	int64_t lo, hi = 0, max, part, bytes = 0;
	uint64_t room;
	char *sql;
	int rc;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return textindex_fail(db, "begin", err, errlen);
	if (schema_meta_get(db, "indexed_seq", &lo) != SQLITE_OK)
		return textindex_fail(db, "meta", err, errlen);
	*indexed = (uint64_t)lo;
	if (textindex_part(db, lo, part_bytes, &part, &room) == -1)
		return textindex_fail(db, "new table", err, errlen);
	/* the events of the step: up to chunk of them, and no more text than
	 * the table has room for (one event at least) */
	if (sqlite3_prepare_v2(db,
			       "SELECT seq, coalesce(length(CAST(text AS BLOB)), 0) FROM events"
			       " WHERE seq > ? ORDER BY seq LIMIT ?",
			       -1, &st, NULL) != SQLITE_OK)
		return textindex_fail(db, "chunk", err, errlen);
	sqlite3_bind_int64(st, 1, lo);
	sqlite3_bind_int64(st, 2, (int64_t)(chunk > 0 ? chunk : 1));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t len = sqlite3_column_int64(st, 1);

		if (hi > lo && (uint64_t)(bytes + len) > room)
			break;
		hi = sqlite3_column_int64(st, 0);
		bytes += len;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return textindex_fail(db, "chunk", err, errlen);
	if (hi <= lo) {
		/* nothing to index (a table made for nothing goes back) */
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return 0;
	}
	max = 0;
	if (sqlite3_prepare_v2(db, "SELECT max(seq) FROM events", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			max = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if ((sql = sqlite3_mprintf("INSERT INTO events_fts_%lld(rowid, text) SELECT seq, text"
				   " FROM events WHERE seq > ?1 AND seq <= ?2 AND text IS NOT NULL",
				   (long long)part)) == NULL)
		return textindex_fail(db, "insert", err, errlen);
	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return textindex_fail(db, "insert", err, errlen);
	sqlite3_bind_int64(st, 1, lo);
	sqlite3_bind_int64(st, 2, hi);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return textindex_fail(db, "insert", err, errlen);
	if (sqlite3_prepare_v2(db,
			       "UPDATE fts_parts SET last_seq = ?2, text_bytes = text_bytes + ?3"
			       " WHERE part = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return textindex_fail(db, "parts", err, errlen);
	sqlite3_bind_int64(st, 1, part);
	sqlite3_bind_int64(st, 2, hi);
	sqlite3_bind_int64(st, 3, bytes);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE || schema_meta_set(db, "indexed_seq", hi) != SQLITE_OK)
		return textindex_fail(db, "watermark", err, errlen);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return textindex_fail(db, "commit", err, errlen);
	*indexed = (uint64_t)hi;
	return hi < max ? 1 : 0;
}

int
textindex_merge_step(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t merged, part = 0;
	char *sql;
	int rc, changes;

	/* the oldest full table not merged yet (any but the newest), looked
	 * for outside a transaction: the follower asks each time the index
	 * catches up, and mostly there is none.  This connection is the only
	 * writer, so the answer holds until the step below (textindex_fail's
	 * ROLLBACK finds no transaction before it, and does nothing). */
	if (schema_meta_get(db, "merged_part", &merged) != SQLITE_OK)
		return textindex_fail(db, "meta", err, errlen);
	if (sqlite3_prepare_v2(db,
			       "SELECT part FROM fts_parts WHERE part > ?1 AND"
			       " part < (SELECT max(part) FROM fts_parts) ORDER BY part LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return textindex_fail(db, "parts", err, errlen);
	sqlite3_bind_int64(st, 1, merged);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		part = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return textindex_fail(db, "parts", err, errlen);
	if (part == 0)
		return 0;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return textindex_fail(db, "begin", err, errlen);
	if ((sql = sqlite3_mprintf("INSERT INTO events_fts_%lld(events_fts_%lld, rank)"
				   " VALUES ('merge', %d)",
				   (long long)part, (long long)part, -TEXTINDEX_MERGE_PAGES)) ==
	    NULL)
		return textindex_fail(db, "merge", err, errlen);
	changes = sqlite3_total_changes(db);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return textindex_fail(db, "merge", err, errlen);
	/* FTS5: fewer than 2 changes means nothing was left to merge */
	if (sqlite3_total_changes(db) - changes < 2 &&
	    schema_meta_set(db, "merged_part", part) != SQLITE_OK)
		return textindex_fail(db, "watermark", err, errlen);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return textindex_fail(db, "commit", err, errlen);
	return 1;
}
