/*
 * drain.c: drains the spool ($STATEDIR/spool/new) into the router.
 *
 * How the router learns of new files, by platform (chosen at build time):
 * on Linux inotify watches new/ for files renamed in (IN_MOVED_TO) or
 * closed after writing (IN_CLOSE_WRITE); where there is kqueue (macOS, the
 * BSDs) an EVFILT_VNODE filter on new/ fires when an entry is added
 * (NOTE_WRITE); elsewhere, and on Linux in a PORTABLE build, a timer lists
 * new/ every DRAIN_POLL_MS (the one polling timer of hookwire, bounded: an
 * empty listing costs a few system calls).  The watch is set before the
 * first listing so no file is missed.  Files go through router_line() oldest first (spool_list),
 * in batches; a file is removed only after its batch is committed (journal
 * and ring).  A file that is not a valid event is moved to spool/bad/ and
 * counted as rejected: nothing is deleted unread.  No polling timer where
 * there is inotify or kqueue.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__linux__) && !defined(HOOKWIRE_PORTABLE)
#define DRAIN_INOTIFY 1
#include <sys/inotify.h>
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__) || \
    defined(__DragonFly__)
#define DRAIN_KQUEUE 1
#include <sys/types.h>
#include <sys/event.h>
#include <sys/time.h>
#else
#define DRAIN_POLL 1
#endif

#include <event2/event.h>

#include "compat.h"
#include "log.h"
#include "router.h"
#include "spool.h"

#define DRAIN_BATCH   512
#define DRAIN_POLL_MS 200 /* the listing's period where there is no inotify or kqueue */

struct drain {
	struct router *dr_rt;
	struct event *dr_ev;
	int dr_fd;  /* inotify or kqueue; -1 when polling */
	int dr_dir; /* kqueue: new/, open for its EVFILT_VNODE filter */
	char dr_spool[4096];
	char *dr_buf; /* one file */
	size_t dr_cap;
	size_t dr_line_max;
	void (*dr_committed)(void *);
	void *dr_committed_arg;
};

/* Reads dir/name into dr_buf.  Returns its length, or -1 (errno set; EFBIG when too large). */
static long
drain_read(struct drain *dr, const char *path)
{
	struct stat st;
	size_t off = 0;
	ssize_t n;
	char *nb;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	if ((size_t)st.st_size > dr->dr_line_max + 2) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	if ((size_t)st.st_size + 1 > dr->dr_cap) {
		if ((nb = realloc(dr->dr_buf, (size_t)st.st_size + 1)) == NULL) {
			close(fd);
			return -1;
		}
		dr->dr_buf = nb;
		dr->dr_cap = (size_t)st.st_size + 1;
	}
	while (off < (size_t)st.st_size) {
		n = read(fd, dr->dr_buf + off, (size_t)st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	while (off > 0 && (dr->dr_buf[off - 1] == '\n' || dr->dr_buf[off - 1] == '\r'))
		off--;
	return (long)off;
}

/* Moves a bad file to spool/bad/ (created on demand). */
static void
drain_bad(struct drain *dr, const char *name, const char *reason)
{
	char from[4200], to[4200];

	snprintf(from, sizeof(from), "%s/new/%s", dr->dr_spool, name);
	snprintf(to, sizeof(to), "%s/bad", dr->dr_spool);
	if (mkdir(to, 0700) == -1 && errno != EEXIST)
		log_warn("spool_bad", "%s: mkdir %s", __func__, to);
	snprintf(to, sizeof(to), "%s/bad/%s", dr->dr_spool, name);
	if (rename(from, to) == -1)
		log_warn("spool_bad", "%s: rename %s", __func__, name);
	else
		log_warnx(reason, "%s: spool file %s is not a valid event, moved to bad/", __func__,
			  name);
}

/* One batch of names.  Returns files committed, or -1 when the commit failed. */
static long
drain_batch(struct drain *dr, char **names, size_t n)
{
	enum router_verdict v[DRAIN_BATCH];
	const char *reason[DRAIN_BATCH];
	char path[4200], err[256];
	uint64_t seq;
	size_t i;
	long len, done = 0;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/new/%s", dr->dr_spool, names[i]);
		if ((len = drain_read(dr, path)) < 0) {
			if (errno == ENOENT) {
				v[i] = ROUTER_DUPLICATE; /* gone already; nothing to do */
				names[i][0] = '\0';
				continue;
			}
			reason[i] = errno == EFBIG ? EVENT_R_LINE_TOO_LONG : EVENT_R_INVALID_JSON;
			router_counter_add(dr->dr_rt, RING_C_RECEIVED, 1);
			router_count_rejected(dr->dr_rt, reason[i]);
			v[i] = ROUTER_REJECTED;
			continue;
		}
		v[i] = router_line(dr->dr_rt, dr->dr_buf, (size_t)len, &seq, &reason[i], NULL, 0);
	}
	if (router_commit(dr->dr_rt, err, sizeof(err)) == -1) {
		log_warnx("journal_error", "%s: %s (spool files kept)", __func__, err);
		return -1;
	}
	if (dr->dr_committed != NULL)
		dr->dr_committed(dr->dr_committed_arg);
	for (i = 0; i < n; i++) {
		if (names[i][0] == '\0')
			continue;
		if (v[i] == ROUTER_REJECTED) {
			drain_bad(dr, names[i], reason[i]);
			done++;
			continue;
		}
		snprintf(path, sizeof(path), "%s/new/%s", dr->dr_spool, names[i]);
		if (unlink(path) == 0) {
			router_counter_add(dr->dr_rt, RING_C_SPOOL_DRAINED, 1);
			done++;
		} else {
			log_warn("spool_unlink", "%s: unlink %s", __func__, names[i]);
		}
	}
	return done;
}

size_t
drain_run(struct drain *dr)
{
	char **names = NULL, err[256];
	size_t n = 0, i, total = 0, k;
	long done;

	for (;;) {
		if (spool_list(dr->dr_spool, &names, &n, err, sizeof(err)) == -1) {
			log_warnx("spool_list", "%s: %s", __func__, err);
			return total;
		}
		if (n == 0) {
			spool_list_free(names, n);
			break;
		}
		done = 0;
		for (i = 0; i < n; i += k) {
			long d;

			k = n - i > DRAIN_BATCH ? DRAIN_BATCH : n - i;
			if ((d = drain_batch(dr, names + i, k)) < 0)
				break;
			done += d;
		}
		spool_list_free(names, n);
		total += (size_t)done;
		if (done == 0)
			break; /* nothing could be removed: do not spin */
	}
	if (total > 0)
		log_info("%s: %zu spool files drained", __func__, total);
	return total;
}

static void
drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct drain *dr = arg;
#if defined(DRAIN_INOTIFY)
	char buf[16384];

	/* the events themselves do not matter: the listing is the truth */
	while (read(fd, buf, sizeof(buf)) > 0)
		;
#elif defined(DRAIN_KQUEUE)
	struct kevent kev[16];
	struct timespec zero = {0, 0};

	while (kevent(fd, NULL, 0, kev, 16, &zero) > 0)
		;
#endif
	drain_run(dr);
}

/* Sets up how dr learns of new files in newdir (see the top of the file)
 * and its event on base.  Returns 0, or -1 with err. */
static int
drain_watch(struct drain *dr, struct event_base *base, const char *newdir, char *err, size_t errlen)
{
#if defined(DRAIN_INOTIFY)
	if ((dr->dr_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		snprintf(err, errlen, "inotify_init1: %s", strerror(errno));
		return -1;
	}
	if (inotify_add_watch(dr->dr_fd, newdir, IN_MOVED_TO | IN_CLOSE_WRITE) == -1) {
		snprintf(err, errlen, "inotify_add_watch %s: %s", newdir, strerror(errno));
		return -1;
	}
	dr->dr_ev = event_new(base, dr->dr_fd, EV_READ | EV_PERSIST, drain_cb, dr);
#elif defined(DRAIN_KQUEUE)
	struct kevent kev;

	if ((dr->dr_dir = open(newdir, O_RDONLY | O_CLOEXEC | O_DIRECTORY)) == -1) {
		snprintf(err, errlen, "open %s: %s", newdir, strerror(errno));
		return -1;
	}
	if ((dr->dr_fd = kqueue()) == -1 || compat_set_cloexec(dr->dr_fd) == -1) {
		snprintf(err, errlen, "kqueue: %s", strerror(errno));
		return -1;
	}
	EV_SET(&kev, dr->dr_dir, EVFILT_VNODE, EV_ADD | EV_CLEAR, NOTE_WRITE, 0, NULL);
	if (kevent(dr->dr_fd, &kev, 1, NULL, 0, NULL) == -1) {
		snprintf(err, errlen, "kevent %s: %s", newdir, strerror(errno));
		return -1;
	}
	/* a kqueue descriptor is readable when it holds events */
	dr->dr_ev = event_new(base, dr->dr_fd, EV_READ | EV_PERSIST, drain_cb, dr);
#else
	struct timeval tv = {DRAIN_POLL_MS / 1000, (DRAIN_POLL_MS % 1000) * 1000};

	(void)newdir;
	dr->dr_ev = event_new(base, -1, EV_PERSIST, drain_cb, dr);
	if (dr->dr_ev != NULL && event_add(dr->dr_ev, &tv) == -1) {
		snprintf(err, errlen, "event_add failed");
		return -1;
	}
	return dr->dr_ev != NULL ? 0 : (snprintf(err, errlen, "event_new failed"), -1);
#endif
	if (dr->dr_ev == NULL || event_add(dr->dr_ev, NULL) == -1) {
		snprintf(err, errlen, "event_new failed");
		return -1;
	}
	return 0;
}

struct drain *
drain_new(struct event_base *base, struct router *rt, const char *spool_dir, char *err,
	  size_t errlen)
{
	struct drain *dr;
	char newdir[4200];

	if ((dr = calloc(1, sizeof(*dr))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	dr->dr_fd = -1;
	dr->dr_dir = -1;
	dr->dr_rt = rt;
	dr->dr_line_max = router_line_max(rt);
	strlcpy(dr->dr_spool, spool_dir, sizeof(dr->dr_spool));
	snprintf(newdir, sizeof(newdir), "%s/new", spool_dir);
	if (drain_watch(dr, base, newdir, err, errlen) == -1)
		goto fail;
	return dr;
fail:
	drain_free(dr);
	return NULL;
}

void
drain_set_commit_cb(struct drain *dr, void (*cb)(void *), void *arg)
{
	dr->dr_committed = cb;
	dr->dr_committed_arg = arg;
}

void
drain_free(struct drain *dr)
{
	if (dr == NULL)
		return;
	if (dr->dr_ev != NULL)
		event_free(dr->dr_ev);
	if (dr->dr_fd != -1)
		close(dr->dr_fd);
	if (dr->dr_dir != -1)
		close(dr->dr_dir);
	free(dr->dr_buf);
	free(dr);
}
