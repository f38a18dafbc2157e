/*
 * schema.c: the store's database file (the schema is written down in
 * common/store_query.h, which the readers follow).
 *
 * The writer's connection runs in WAL mode with synchronous=NORMAL: a
 * commit is durable once the WAL reaches the disk at the next checkpoint;
 * a crash of the process loses nothing committed, a power loss may lose
 * the last commits but never corrupts the file, and whatever was lost is
 * still in the journal, where the next start finds it (event-store(8)).
 * The WAL is kept when the writer closes (SQLITE_FCNTL_PERSIST_WAL) so that
 * read-only readers can open the store while event-store is stopped.
 *
 * auto_vacuum=INCREMENTAL is set before the first table: retention gives
 * pages back in small steps (retain.c), never a VACUUM.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

/* The schema, version STORE_SCHEMA_VERSION.  The full-text tables,
 * events_fts_<part>, are made by textindex.c as it needs them. */
static const char schema_ddl[] =
    "CREATE TABLE events ("
    " seq INTEGER PRIMARY KEY, ts TEXT, ts_us INTEGER NOT NULL DEFAULT 0, event TEXT,"
    " session_id TEXT, agent_id TEXT, tool TEXT, tool_use_id TEXT, project TEXT, cwd TEXT,"
    " text TEXT, json TEXT NOT NULL);"
    "CREATE INDEX events_session ON events(session_id, seq) WHERE session_id IS NOT NULL;"
    "CREATE INDEX events_event ON events(event, seq);"
    "CREATE INDEX events_tool ON events(tool, seq) WHERE tool IS NOT NULL;"
    "CREATE INDEX events_project ON events(project, seq) WHERE project IS NOT NULL;"
    "CREATE INDEX events_agent ON events(agent_id, seq) WHERE agent_id IS NOT NULL;"
    "CREATE INDEX events_tool_use ON events(tool_use_id) WHERE tool_use_id IS NOT NULL;"
    "CREATE TABLE fts_parts (part INTEGER PRIMARY KEY, first_seq INTEGER NOT NULL,"
    " last_seq INTEGER NOT NULL, text_bytes INTEGER NOT NULL);"
    "CREATE TABLE sessions (session_id TEXT PRIMARY KEY, project TEXT,"
    " first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, first_ts_us INTEGER NOT NULL,"
    " last_ts_us INTEGER NOT NULL, events INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX sessions_last ON sessions(last_ts_us);"
    "CREATE TABLE hours (hour INTEGER PRIMARY KEY, first_seq INTEGER NOT NULL,"
    " last_seq INTEGER NOT NULL);"
    "CREATE TABLE gaps (from_seq INTEGER PRIMARY KEY, to_seq INTEGER NOT NULL,"
    " reason TEXT NOT NULL, noted_us INTEGER NOT NULL);"
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;";

void
schema_opts_default(struct schema_opts *o)
{
	o->tokenizer = SCHEMA_TOKENIZER_DEFAULT;
	o->incremental_vacuum = 1;
	o->cache_kib = 32768;
}

int
schema_rc_bad(int rc)
{
	rc &= 0xff;
	return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB || rc == SQLITE_FORMAT;
}

static int
schema_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;
	int rc;

	if ((rc = sqlite3_exec(db, sql, NULL, NULL, &msg)) != SQLITE_OK) {
		snprintf(err, errlen, "%s", msg != NULL ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
	}
	return rc;
}

/* The integer result of a one-value query, into *v.  Returns an SQLite code. */
static int
schema_int(sqlite3 *db, const char *sql, int64_t *v)
{
	sqlite3_stmt *st;
	int rc;

	*v = 0;
	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
		return rc;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_finalize(st);
	return rc;
}

int
schema_meta_get(sqlite3 *db, const char *key, int64_t *v)
{
	sqlite3_stmt *st;
	int rc;

	*v = 0;
	if ((rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL)) !=
	    SQLITE_OK)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_finalize(st);
	return rc;
}

int
schema_meta_get_text(sqlite3 *db, const char *key, char *out, size_t outlen)
{
	sqlite3_stmt *st;
	int rc;

	out[0] = '\0';
	if ((rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL)) !=
	    SQLITE_OK)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_text(st, 0) != NULL)
			snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(st, 0));
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_finalize(st);
	return rc;
}

int
schema_meta_set_text(sqlite3 *db, const char *key, const char *v)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
				     -1, &st, NULL)) != SQLITE_OK)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, v, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int
schema_meta_set(sqlite3 *db, const char *key, int64_t v)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
				     -1, &st, NULL)) != SQLITE_OK)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Creates the schema in an empty database, with pages of STORE_PAGE_SIZE
 * (set before the first write; a file keeps the page size it was made
 * with). */
static int
schema_create(sqlite3 *db, const struct schema_opts *o, char *err, size_t errlen)
{
	struct timespec ts;
	char *ddl;
	int rc;

	if ((rc = schema_exec(db, "PRAGMA page_size=" STORE_PAGE_SIZE_STR, err, errlen)) !=
		SQLITE_OK ||
	    (rc = schema_exec(db,
			      o->incremental_vacuum ? "PRAGMA auto_vacuum=INCREMENTAL"
						    : "PRAGMA auto_vacuum=NONE",
			      err, errlen)) != SQLITE_OK ||
	    (rc = schema_exec(db, "PRAGMA journal_mode=WAL", err, errlen)) != SQLITE_OK)
		return rc;
	if ((ddl = sqlite3_mprintf("%s", schema_ddl)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return SQLITE_NOMEM;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	if ((rc = schema_exec(db, "BEGIN", err, errlen)) == SQLITE_OK &&
	    (rc = schema_exec(db, ddl, err, errlen)) == SQLITE_OK &&
	    (rc = schema_meta_set(db, "created_us",
				  (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000)) == SQLITE_OK &&
	    (rc = schema_meta_set(db, "oldest_seq", 0)) == SQLITE_OK &&
	    (rc = schema_meta_set(db, "indexed_seq", 0)) == SQLITE_OK &&
	    (rc = schema_meta_set_text(db, "tokenize", o->tokenizer)) == SQLITE_OK) {
		char pragma[128];

		snprintf(pragma, sizeof(pragma), "PRAGMA application_id=%d; PRAGMA user_version=%d",
			 STORE_APPLICATION_ID, STORE_SCHEMA_VERSION);
		if ((rc = schema_exec(db, pragma, err, errlen)) == SQLITE_OK)
			rc = schema_exec(db, "COMMIT", err, errlen);
	} else if (rc != SQLITE_OK && err[0] == '\0')
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
	if (rc != SQLITE_OK)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_free(ddl);
	return rc;
}

/* Reads both ends of the events table and the small tables: a damaged
 * header or root page shows here rather than in the middle of a batch. */
static int
schema_probe(sqlite3 *db)
{
	static const char *probes[] = {
	    "SELECT length(json) FROM events WHERE seq = (SELECT min(seq) FROM events)",
	    "SELECT length(json) FROM events WHERE seq = (SELECT max(seq) FROM events)",
	    "SELECT count(*) FROM gaps",
	    "SELECT count(*) FROM meta",
	    "SELECT max(hour) FROM hours",
	    "SELECT max(last_ts_us) FROM sessions",
	    "SELECT max(part) FROM fts_parts",
	    NULL};
	int64_t v;
	int i, rc;

	for (i = 0; probes[i] != NULL; i++)
		if ((rc = schema_int(db, probes[i], &v)) != SQLITE_OK)
			return rc;
	return SQLITE_OK;
}

enum schema_status
schema_open(const char *path, const struct schema_opts *o, sqlite3 **dbp, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	struct stat st;
	int64_t appid, version, tables;
	int rc, fresh, persist = 1;
	char pragma[160];

	*dbp = NULL;
	err[0] = '\0';
	fresh = stat(path, &st) == -1 ? errno == ENOENT : st.st_size == 0;
	if (fresh) {
		/* events carry prompts and commands: the file, and the WAL and
		 * shared memory files SQLite gives the same mode, are the user's */
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

		if (fd == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return SCHEMA_ERROR;
		}
		close(fd);
	}
	rc = sqlite3_open_v2(
	    path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return schema_rc_bad(rc) ? SCHEMA_BAD : SCHEMA_ERROR;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, 5000);
	/* the first read of the file: garbage shows here as SQLITE_NOTADB */
	if ((rc = schema_int(db, "SELECT count(*) FROM sqlite_schema", &tables)) != SQLITE_OK)
		goto bad;
	if (tables == 0)
		fresh = 1;
	if (fresh) {
		if ((rc = schema_create(db, o, err, errlen)) != SQLITE_OK)
			goto bad;
	} else {
		if ((rc = schema_int(db, "PRAGMA application_id", &appid)) != SQLITE_OK ||
		    (rc = schema_int(db, "PRAGMA user_version", &version)) != SQLITE_OK)
			goto bad;
		if (appid != STORE_APPLICATION_ID) {
			snprintf(err, errlen, "%s: not a hookwire store (application_id %lld)",
				 path, (long long)appid);
			goto foreign;
		}
		if (version != STORE_SCHEMA_VERSION) {
			snprintf(err, errlen, "%s: schema version %lld, this event-store knows %d",
				 path, (long long)version, STORE_SCHEMA_VERSION);
			goto foreign;
		}
		if ((rc = schema_exec(db, "PRAGMA journal_mode=WAL", err, errlen)) != SQLITE_OK)
			goto bad;
	}
	snprintf(pragma, sizeof(pragma),
		 "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-%d; PRAGMA temp_store=MEMORY;"
		 " PRAGMA secure_delete=FAST; PRAGMA journal_size_limit=67108864",
		 o->cache_kib);
	if ((rc = schema_exec(db, pragma, err, errlen)) != SQLITE_OK)
		goto bad;
	sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	if (!fresh && (rc = schema_probe(db)) != SQLITE_OK)
		goto bad;
	*dbp = db;
	return fresh ? SCHEMA_NEW : SCHEMA_OK;
bad:
	if (err[0] == '\0' || schema_rc_bad(rc))
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
	sqlite3_close(db);
	return schema_rc_bad(rc) ? SCHEMA_BAD : SCHEMA_ERROR;
foreign:
	sqlite3_close(db);
	return SCHEMA_BAD;
}

int
schema_move_aside(const char *path, const char *why, char *moved, size_t movedlen, char *err,
		  size_t errlen)
{
	static const char *sfx[] = {"-wal", "-shm", NULL};
	char stamp[32], from[4200], to[4200];
	struct tm tm;
	time_t now = time(NULL);
	int i;

	moved[0] = '\0';
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	/* a second file moved aside in the same second gets a number */
	for (i = 0; i < 100; i++) {
		size_t n =
		    i == 0 ? (size_t)snprintf(to, sizeof(to), "%s.%s-%s", path, why, stamp)
			   : (size_t)snprintf(to, sizeof(to), "%s.%s-%s.%d", path, why, stamp, i);

		if (n >= sizeof(to) || n >= movedlen) {
			snprintf(err, errlen, "%s: name too long", path);
			return -1;
		}
		if (access(to, F_OK) == -1)
			break;
	}
	if (rename(path, to) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "rename %s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(moved, movedlen, "%s", to);
	/* the WAL and the shared memory index belong to the old file: they go
	 * with it, or the new file would be read through them */
	for (i = 0; sfx[i] != NULL; i++) {
		snprintf(from, sizeof(from), "%s%s", path, sfx[i]);
		snprintf(to, sizeof(to), "%s%s", moved, sfx[i]);
		if (rename(from, to) == -1 && errno != ENOENT) {
			snprintf(err, errlen, "rename %s: %s", from, strerror(errno));
			return -1;
		}
	}
	return 0;
}
