/*
 * state.c: event-usage's state on disk, $STATEDIR/usage (event-usage(8)).
 *
 *   state.json            {"version":1,"last_seq":N,"active":[KEY...]}: the
 *                         last ring event handled, the sessions not ended
 *   sessions/KEY.json     one session: its totals, per agent and whole,
 *                         and each transcript's reader state (offset,
 *                         inode, the bytes before the offset, the ids of
 *                         the last messages, messages in flight)
 *
 * KEY is 32 hex digits derived from the session id, so a hostile id
 * cannot name a path.  Every file is written whole to a temporary file in
 * the same directory, synced, and renamed over the old one: a crash leaves
 * the old state or the new, never half of one.  Files are small (a
 * session's is at most TRANSCRIPT_SEEN_MAX ids per transcript) and a
 * session's file is written only when that session changed.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "usage.h"
#include "util.h"

/* Largest state file read. */
#define STATE_FILE_MAX (64 * 1024 * 1024)

int
state_init(struct state *st, const char *statedir, char *err, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	if ((size_t)snprintf(st->st_dir, sizeof(st->st_dir), "%s/usage", statedir) >=
		sizeof(st->st_dir) ||
	    (size_t)snprintf(st->st_sessions, sizeof(st->st_sessions), "%s/sessions", st->st_dir) >=
		sizeof(st->st_sessions)) {
		snprintf(err, errlen, "%s: path too long", statedir);
		return -1;
	}
	if ((mkdir(st->st_dir, 0700) == -1 && errno != EEXIST) ||
	    (mkdir(st->st_sessions, 0700) == -1 && errno != EEXIST)) {
		snprintf(err, errlen, "mkdir %s: %s", st->st_sessions, strerror(errno));
		return -1;
	}
	return 0;
}

void
state_key(const char *session_id, char *out)
{
	XXH128_hash_t h = XXH3_128bits(session_id, strlen(session_id));

	snprintf(out, STATE_KEY_LEN + 1, "%016" PRIx64 "%016" PRIx64, (uint64_t)h.high64,
		 (uint64_t)h.low64);
}

int
state_write(const char *path, json_object *o, char *err, size_t errlen)
{
	char tmp[4200];
	const char *text;
	size_t len;
	int fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	if ((text = json_object_to_json_string_length(
		 o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if (util_write_all(fd, text, len) == -1 || util_write_all(fd, "\n", 1) == -1 ||
	    fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

json_object *
state_read(const char *path, int *missing, char *err, size_t errlen)
{
	json_tokener *tok;
	json_object *o = NULL;
	struct stat sb;
	char *buf = NULL;
	size_t n = 0;
	ssize_t r;
	int fd;

	*missing = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			*missing = 1;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) || sb.st_size > STATE_FILE_MAX) {
		snprintf(err, errlen, "%s: not a regular file of at most %d bytes", path,
			 STATE_FILE_MAX);
		goto done;
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto done;
	}
	while (n < (size_t)sb.st_size) {
		r = read(fd, buf + n, (size_t)sb.st_size - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if ((tok = json_tokener_new()) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto done;
	}
	o = json_tokener_parse_ex(tok, buf, (int)n);
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "%s: not a JSON object", path);
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
done:
	free(buf);
	close(fd);
	return o;
}

int
state_session_path(const struct state *st, const char *key, char *out, size_t outlen)
{
	return (size_t)snprintf(out, outlen, "%s/%s.json", st->st_sessions, key) < outlen ? 0 : -1;
}

int
state_main_path(const struct state *st, char *out, size_t outlen)
{
	return (size_t)snprintf(out, outlen, "%s/state.json", st->st_dir) < outlen ? 0 : -1;
}

int
state_prune(const struct state *st, int keep_days, const char *const *keep, size_t nkeep)
{
	char p[4400];
	struct dirent *de;
	struct stat sb;
	time_t limit = time(NULL) - (time_t)keep_days * 86400;
	size_t i, len;
	int n = 0, skip;
	DIR *d;

	if (keep_days <= 0 || (d = opendir(st->st_sessions)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len != STATE_KEY_LEN + 5 || strcmp(de->d_name + STATE_KEY_LEN, ".json") != 0)
			continue;
		for (i = 0, skip = 0; i < nkeep && !skip; i++)
			skip = strncmp(de->d_name, keep[i], STATE_KEY_LEN) == 0;
		if (skip || (size_t)snprintf(p, sizeof(p), "%s/%s", st->st_sessions, de->d_name) >=
				sizeof(p))
			continue;
		if (stat(p, &sb) == 0 && sb.st_mtime < limit && unlink(p) == 0)
			n++;
	}
	closedir(d);
	return n;
}
