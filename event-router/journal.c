/*
 * journal.c: the router's append-only journal, $STATEDIR/journal/.
 *
 * Segments are journal-<first seq, 20 digits>.ndjson, one canonical event
 * per line, "seq" first.  The router appends a whole batch with one write(2)
 * on an O_APPEND descriptor; a segment is rotated before a write that would
 * take it past segment_size, and after a rotation the oldest segments go
 * while the total exceeds keep_bytes or their last write is older than
 * keep_days.  fsync policy: always (fdatasync after each batch), batch (the
 * caller syncs at most once a second while dirty, through
 * journal_sync_start(): a thread of the journal's own runs the fdatasync,
 * so that the router's loop goes on acknowledging while the disk works; a
 * segment rotated out while dirty is handed to the same thread, which syncs
 * and closes it, up to JOURNAL_OLD_MAX waiting; past that the rotation syncs
 * it itself), never.  A crash in the
 * middle of a write leaves a last line without its newline: journal_open()
 * cuts it (it was never acknowledged).  No logging here: callers report.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "router.h"

#define JOURNAL_PREFIX	 "journal-"
#define JOURNAL_SUFFIX	 ".ndjson"
#define JOURNAL_NAME_LEN (8 + 20 + 7)
#define JOURNAL_OLD_MAX	 4 /* rotated-out segments waiting for the sync thread */

struct journal {
	char *j_dir;
	struct journal_opts j_opts;
	int j_fd;	  /* current segment, -1 before the first write */
	uint64_t j_size;  /* bytes in the current segment */
	uint64_t j_first; /* first seq of the current segment */
	uint64_t j_last;  /* last seq written */
	int j_dirty;	  /* written since the last sync */
	/* the batch sync thread (journal_sync_start), under j_mu */
	pthread_mutex_t j_mu;
	pthread_cond_t j_cv;
	pthread_t j_thr;
	int j_thr_on;		    /* j_thr runs */
	int j_sync_fd;		    /* a descriptor of the segment to sync, -1 when none */
	int j_old[JOURNAL_OLD_MAX]; /* rotated-out segments to sync and close, oldest first */
	int j_nold;
	int j_sync_err; /* errno of the thread's last failed fdatasync, or 0 */
	int j_stop;	/* the thread ends when nothing is left to sync */
};

struct journal_seg {
	uint64_t js_first;
	uint64_t js_size;
	time_t js_mtime;
};

int
journal_fsync_parse(const char *s, enum journal_fsync *out)
{
	if (strcmp(s, "always") == 0)
		*out = JOURNAL_FSYNC_ALWAYS;
	else if (strcmp(s, "batch") == 0)
		*out = JOURNAL_FSYNC_BATCH;
	else if (strcmp(s, "never") == 0)
		*out = JOURNAL_FSYNC_NEVER;
	else
		return -1;
	return 0;
}

static int
journal_name_seq(const char *name, uint64_t *seq)
{
	char *end;
	size_t i;

	if (strlen(name) != JOURNAL_NAME_LEN || strncmp(name, JOURNAL_PREFIX, 8) != 0 ||
	    strcmp(name + 28, JOURNAL_SUFFIX) != 0)
		return -1;
	for (i = 8; i < 28; i++)
		if (name[i] < '0' || name[i] > '9')
			return -1;
	*seq = strtoull(name + 8, &end, 10);
	return 0;
}

static void
journal_path(const char *dir, uint64_t first, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/" JOURNAL_PREFIX "%020llu" JOURNAL_SUFFIX, dir,
		 (unsigned long long)first);
}

static int
journal_seg_cmp(const void *a, const void *b)
{
	const struct journal_seg *x = a, *y = b;

	return x->js_first < y->js_first ? -1 : x->js_first > y->js_first;
}

/* Lists the segments of dir, oldest first.  Returns the count or -1. */
static long
journal_list(const char *dir, struct journal_seg **out)
{
	DIR *d;
	struct dirent *de;
	struct journal_seg *v = NULL, *nv;
	size_t n = 0, cap = 0;
	char path[4096];
	struct stat st;
	uint64_t first;

	*out = NULL;
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		if (journal_name_seq(de->d_name, &first) == -1)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) == -1)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL)
				goto fail;
			v = nv;
		}
		v[n].js_first = first;
		v[n].js_size = (uint64_t)st.st_size;
		v[n].js_mtime = st.st_mtime;
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(v, n, sizeof(*v), journal_seg_cmp);
	*out = v;
	return (long)n;
fail:
	closedir(d);
	free(v);
	return -1;
}

/* Offset of the last '\n' before end, or -1. */
static long long
journal_rfind_nl(int fd, uint64_t end)
{
	char buf[65536];
	uint64_t start;
	ssize_t n, i;

	while (end > 0) {
		start = end > sizeof(buf) ? end - sizeof(buf) : 0;
		n = pread(fd, buf, (size_t)(end - start), (off_t)start);
		if (n <= 0)
			return -1;
		for (i = n - 1; i >= 0; i--)
			if (buf[i] == '\n')
				return (long long)(start + (uint64_t)i);
		end = start;
	}
	return -1;
}

/* Seq of the last complete line of fd (size bytes, ending with a newline). */
static uint64_t
journal_fd_last_seq(int fd, uint64_t size)
{
	char buf[64];
	long long nl;
	uint64_t start;
	ssize_t n;

	if (size == 0)
		return 0;
	nl = journal_rfind_nl(fd, size - 1);
	start = nl < 0 ? 0 : (uint64_t)nl + 1;
	n = pread(fd, buf, sizeof(buf), (off_t)start);
	if (n <= 0)
		return 0;
	return event_line_seq(buf, (size_t)n);
}

struct journal *
journal_open(const char *dir, const struct journal_opts *o, size_t *truncated, char *err,
	     size_t errlen)
{
	struct journal *j;
	struct journal_seg *segs = NULL;
	char path[4096];
	long n, i;
	struct stat st;
	long long nl;
	int fd;

	*truncated = 0;
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	j->j_fd = -1;
	j->j_sync_fd = -1;
	pthread_mutex_init(&j->j_mu, NULL);
	pthread_cond_init(&j->j_cv, NULL);
	if ((j->j_dir = strdup(dir)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	j->j_opts = *o;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", dir, strerror(errno));
		goto fail;
	}
	if ((n = journal_list(dir, &segs)) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	/* the newest segment that holds a line gives the last seq; the newest
	 * of all is the one we append to */
	for (i = n - 1; i >= 0; i--) {
		journal_path(dir, segs[i].js_first, path, sizeof(path));
		if ((fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC)) == -1) {
			snprintf(err, errlen, "open %s: %s", path, strerror(errno));
			goto fail;
		}
		if (fstat(fd, &st) == -1) {
			snprintf(err, errlen, "fstat %s: %s", path, strerror(errno));
			close(fd);
			goto fail;
		}
		if (st.st_size > 0) {
			char last;

			if (pread(fd, &last, 1, st.st_size - 1) != 1) {
				snprintf(err, errlen, "read %s: %s", path, strerror(errno));
				close(fd);
				goto fail;
			}
			if (last != '\n') {
				nl = journal_rfind_nl(fd, (uint64_t)st.st_size);
				if (ftruncate(fd, nl < 0 ? 0 : nl + 1) == -1) {
					snprintf(err, errlen, "ftruncate %s: %s", path,
						 strerror(errno));
					close(fd);
					goto fail;
				}
				*truncated += (size_t)(st.st_size - (nl < 0 ? 0 : nl + 1));
				st.st_size = nl < 0 ? 0 : nl + 1;
			}
		}
		if (i == n - 1) {
			j->j_fd = fd;
			j->j_size = (uint64_t)st.st_size;
			j->j_first = segs[i].js_first;
		}
		j->j_last = journal_fd_last_seq(fd, (uint64_t)st.st_size);
		if (i != n - 1)
			close(fd);
		if (j->j_last != 0)
			break;
	}
	free(segs);
	return j;
fail:
	free(segs);
	journal_close(j);
	return NULL;
}

void
journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	if (j->j_thr_on) {
		/* the sync it was handed last is done before it ends */
		pthread_mutex_lock(&j->j_mu);
		j->j_stop = 1;
		pthread_cond_signal(&j->j_cv);
		pthread_mutex_unlock(&j->j_mu);
		pthread_join(j->j_thr, NULL);
	}
	if (j->j_fd != -1) {
		if (j->j_dirty && j->j_opts.fsync != JOURNAL_FSYNC_NEVER)
			fdatasync(j->j_fd);
		close(j->j_fd);
	}
	pthread_cond_destroy(&j->j_cv);
	pthread_mutex_destroy(&j->j_mu);
	free(j->j_dir);
	free(j);
}

uint64_t
journal_last_seq(const struct journal *j)
{
	return j->j_last;
}

/* Deletes the oldest segments beyond keep_bytes and keep_days (never the current one). */
static void
journal_retain(struct journal *j)
{
	struct journal_seg *segs;
	uint64_t total = 0;
	time_t cutoff = time(NULL) - (time_t)j->j_opts.keep_days * 86400;
	char path[4096];
	long n, i;

	if ((n = journal_list(j->j_dir, &segs)) <= 0)
		return;
	for (i = 0; i < n; i++)
		total += segs[i].js_size;
	for (i = 0; i < n - 1 && segs[i].js_first != j->j_first; i++) {
		if (total <= j->j_opts.keep_bytes &&
		    (j->j_opts.keep_days == 0 || segs[i].js_mtime >= cutoff))
			break;
		journal_path(j->j_dir, segs[i].js_first, path, sizeof(path));
		if (unlink(path) == 0)
			total -= segs[i].js_size;
	}
	free(segs);
}

static int journal_hand_off(struct journal *, int);

static int
journal_rotate(struct journal *j, uint64_t first_seq, char *err, size_t errlen)
{
	char path[4096];
	int fd, dfd;

	journal_path(j->j_dir, first_seq, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd == -1) {
		snprintf(err, errlen, "open %s: %s", path, strerror(errno));
		return -1;
	}
	/* batch: the old segment goes to the sync thread, which closes it (an
	 * fdatasync here held every acknowledgement for 5.9 to 32 ms) */
	if (j->j_fd != -1 && (!j->j_dirty || j->j_opts.fsync != JOURNAL_FSYNC_BATCH ||
			      journal_hand_off(j, j->j_fd) == -1)) {
		if (j->j_dirty && j->j_opts.fsync != JOURNAL_FSYNC_NEVER)
			fdatasync(j->j_fd);
		close(j->j_fd);
	}
	j->j_fd = fd;
	j->j_size = 0;
	j->j_first = first_seq;
	j->j_dirty = 0;
	if (j->j_opts.fsync == JOURNAL_FSYNC_ALWAYS &&
	    (dfd = open(j->j_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(dfd);
		close(dfd);
	}
	journal_retain(j);
	return 0;
}

int
journal_append(struct journal *j, const char *buf, size_t len, uint64_t first_seq,
	       uint64_t last_seq, char *err, size_t errlen)
{
	size_t off = 0;
	ssize_t n;

	if (len == 0)
		return 0;
	if (j->j_fd == -1 || (j->j_size > 0 && j->j_size + len > j->j_opts.segment_size))
		if (journal_rotate(j, first_seq, err, errlen) == -1)
			return -1;
	while (off < len) {
		n = write(j->j_fd, buf + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "write journal-%020llu: %s",
				 (unsigned long long)j->j_first,
				 n == 0 ? "short write" : strerror(errno));
			/* never leave a half batch behind */
			if (ftruncate(j->j_fd, (off_t)j->j_size) == -1) {
				/* the next start-up cuts an incomplete last line */
			}
			return -1;
		}
		off += (size_t)n;
	}
	j->j_size += len;
	j->j_last = last_seq;
	j->j_dirty = 1;
	if (j->j_opts.fsync == JOURNAL_FSYNC_ALWAYS && journal_sync(j) == -1) {
		snprintf(err, errlen, "fdatasync journal: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
journal_dirty(const struct journal *j)
{
	return j->j_dirty && j->j_opts.fsync != JOURNAL_FSYNC_NEVER;
}

int
journal_sync(struct journal *j)
{
	if (j->j_fd == -1 || !j->j_dirty)
		return 0;
	if (fdatasync(j->j_fd) == -1)
		return -1;
	j->j_dirty = 0;
	return 0;
}

/* The sync thread: fdatasync of each descriptor it is handed, then close;
 * rotated-out segments first, oldest first. */
static void *
journal_syncer(void *arg)
{
	struct journal *j = arg;
	int fd, rc, e;

	pthread_mutex_lock(&j->j_mu);
	for (;;) {
		while (j->j_nold == 0 && j->j_sync_fd == -1 && !j->j_stop)
			pthread_cond_wait(&j->j_cv, &j->j_mu);
		if (j->j_nold > 0) {
			fd = j->j_old[0];
			memmove(j->j_old, j->j_old + 1, (size_t)--j->j_nold * sizeof(j->j_old[0]));
		} else if ((fd = j->j_sync_fd) != -1)
			j->j_sync_fd = -1;
		else
			break;
		pthread_mutex_unlock(&j->j_mu);
		rc = fdatasync(fd);
		e = errno;
		close(fd);
		pthread_mutex_lock(&j->j_mu);
		if (rc == -1)
			j->j_sync_err = e;
	}
	pthread_mutex_unlock(&j->j_mu);
	return NULL;
}

static int
journal_thread(struct journal *j)
{
	if (!j->j_thr_on) {
		if (pthread_create(&j->j_thr, NULL, journal_syncer, j) != 0)
			return -1;
		j->j_thr_on = 1;
	}
	return 0;
}

/* Gives the thread a rotated-out segment's descriptor to sync and close.
 * -1: no thread, or JOURNAL_OLD_MAX already waiting; the caller keeps fd. */
static int
journal_hand_off(struct journal *j, int fd)
{
	int rc = -1;

	if (journal_thread(j) == -1)
		return -1;
	pthread_mutex_lock(&j->j_mu);
	if (j->j_nold < JOURNAL_OLD_MAX) {
		j->j_old[j->j_nold++] = fd;
		pthread_cond_signal(&j->j_cv);
		rc = 0;
	}
	pthread_mutex_unlock(&j->j_mu);
	return rc;
}

int
journal_sync_start(struct journal *j)
{
	int fd, e;

	if (j->j_fd == -1 || !j->j_dirty)
		return 0;
	if (journal_thread(j) == -1)
		return journal_sync(j); /* no thread: sync here */
	if ((fd = dup(j->j_fd)) == -1)
		return journal_sync(j);
	pthread_mutex_lock(&j->j_mu);
	/* one not begun yet is covered by this one: the same segment, or
	 * one that was rotated out, which is in j_old or was synced then */
	if (j->j_sync_fd != -1)
		close(j->j_sync_fd);
	j->j_sync_fd = fd;
	e = j->j_sync_err;
	j->j_sync_err = 0;
	pthread_cond_signal(&j->j_cv);
	pthread_mutex_unlock(&j->j_mu);
	j->j_dirty = 0;
	if (e != 0) {
		errno = e;
		return -1;
	}
	return 0;
}

int
journal_replay(const char *dir, uint64_t from_seq, journal_cb cb, void *arg, char *err,
	       size_t errlen)
{
	struct journal_seg *segs;
	char path[4096], *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long n, i, start = 0;
	uint64_t seq;
	FILE *f;
	int rc = 0;

	if ((n = journal_list(dir, &segs)) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++)
		if (segs[i].js_first <= from_seq)
			start = i;
	for (i = start; i < n && rc == 0; i++) {
		journal_path(dir, segs[i].js_first, path, sizeof(path));
		if ((f = fopen(path, "re")) == NULL) {
			if (errno == ENOENT)
				continue;
			snprintf(err, errlen, "open %s: %s", path, strerror(errno));
			rc = -1;
			break;
		}
		while ((len = getline(&line, &cap, f)) > 0) {
			if (line[len - 1] != '\n')
				break; /* incomplete last line: never acknowledged */
			len--;
			seq = event_line_seq(line, (size_t)len);
			if (seq < from_seq || seq == 0)
				continue;
			if (cb(arg, line, (size_t)len, seq) != 0) {
				rc = 1;
				break;
			}
		}
		fclose(f);
	}
	free(line);
	free(segs);
	return rc < 0 ? -1 : 0;
}

uint64_t
journal_seq_for_bytes(const char *dir, uint64_t bytes)
{
	struct journal_seg *segs;
	uint64_t sum = 0, first = 0;
	long n, i;

	if ((n = journal_list(dir, &segs)) <= 0)
		return 0;
	for (i = n - 1; i >= 0; i--) {
		first = segs[i].js_first;
		sum += segs[i].js_size;
		if (sum >= bytes)
			break;
	}
	free(segs);
	return first;
}
