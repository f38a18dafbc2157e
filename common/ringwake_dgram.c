/*
 * ringwake_dgram.c: the ring's wake-ups with nothing but POSIX
 * (ringwake.h): one Unix datagram socket per waiter.  Built where there is
 * no futex (macOS, the BSDs) and on Linux by make PORTABLE=1
 * (common/module.mk picks this file or ringwake.c), so that make check
 * runs it.
 *
 * A waiter binds a datagram socket in the ring's wake directory,
 * RINGWAKE_DIR/<ring name>.wake/ (for /hookwire-1000-default:
 * /tmp/hookwire-1000-default.wake/), named <pid>.<n>.  The directory is the
 * user's own (mode 0700, owner checked: another user's directory of that
 * name is refused).  The writer, after bumping the notify word
 * (ring_notify()), sends one byte to every socket in the directory
 * (ringwake_notify()).  A full receive queue (EAGAIN, ENOBUFS) is fine: the
 * waiter is readable already.  A refused send (ECONNREFUSED, ENOENT: a
 * waiter that died without removing its name) removes the stale name, and
 * the directory when no other name is left.
 *
 * Nothing is lost: a waiter binds first and reads the notify word after;
 * the writer bumps the word first and lists the directory after (with a
 * sequentially consistent fence on both sides).  So either the waiter sees
 * the new word, or its name is in the writer's listing.
 *
 * A ringwake is the bound socket itself, no helper thread: ringwake_fd()
 * is readable when a datagram is queued, ringwake_ack() reads them all.
 * One difference from the futex: nothing filters a ringwake_notify() that
 * follows no new batch (the futex helper checks the word); only
 * ring_notify() calls it, after bumping the word, so it does not happen
 * outside tests, and a reader woken for nothing reads nothing.
 * ringwake_wait() binds a socket for the one wait and poll()s it; a
 * signal ends the poll (EINTR) whatever its SA_RESTART.
 *
 * The cost, against one FUTEX_WAKE: the writer lists the directory and
 * sends one datagram per waiter for each published batch.  Idle, nothing
 * runs: no timers, no spinning.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "ring.h"
#include "ringwake.h"

#define RINGWAKE_DIR	  "/tmp" /* not $TMPDIR: the writer and its readers must agree */
#define RINGWAKE_TRIES	  3	 /* binds tried when another waiter removed the directory */
#define RINGWAKE_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

struct ringwake {
	int rw_fd;			 /* bound datagram socket */
	char rw_path[RINGWAKE_PATH_MAX]; /* its name */
	char rw_dir[RINGWAKE_PATH_MAX];	 /* the ring's wake directory */
};

static atomic_int ringwake_tx = -1; /* the writer's sending socket, made on first use */
static atomic_uint ringwake_serial; /* <n> of the names this process binds */

/* The ring's wake directory into dir.  Returns 0, or -1 when it does not fit. */
static int
ringwake_dirname(const struct ring *r, char *dir, size_t len)
{
	int n = snprintf(dir, len, "%s%s.wake", RINGWAKE_DIR, ring_shm_name(r));

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Returns the writer's sending socket (non-blocking: the writer never
 * waits for a reader), or -1. */
static int
ringwake_sender(void)
{
	int fd = atomic_load(&ringwake_tx), none = -1;

	if (fd != -1)
		return fd;
	if ((fd = compat_socket(AF_UNIX, SOCK_DGRAM, 0, COMPAT_CLOEXEC | COMPAT_NONBLOCK)) == -1)
		return -1;
	compat_nosigpipe(fd);
	if (!atomic_compare_exchange_strong(&ringwake_tx, &none, fd)) {
		close(fd); /* another thread made one first */
		return none;
	}
	return fd;
}

void
ringwake_notify(const struct ring *r)
{
	char dir[RINGWAKE_PATH_MAX];
	struct sockaddr_un sa;
	struct dirent *de;
	DIR *d;
	int fd, stale = 0;

	/* the word was bumped before (ring_notify()); order it before the listing */
	atomic_thread_fence(memory_order_seq_cst);
	if (ringwake_dirname(r, dir, sizeof(dir)) == -1 || (fd = ringwake_sender()) == -1)
		return;
	if ((d = opendir(dir)) == NULL)
		return; /* no directory: nobody has waited yet */
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(sa.sun_path))
			continue;
		if (sendto(fd, "", 1, COMPAT_MSG_NOSIGNAL, (struct sockaddr *)&sa, sizeof(sa)) ==
			-1 &&
		    (errno == ECONNREFUSED || errno == ENOENT)) {
			unlink(sa.sun_path); /* its waiter died without removing it */
			stale = 1;
		}
	}
	closedir(d);
	if (stale)
		rmdir(dir); /* when that was the last one (a waiter binding meanwhile retries) */
}

/* Makes the wake directory dir if needed and checks it is the user's own.
 * Returns 0, or -1 with err. */
static int
ringwake_mkdir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0077) != 0) {
		snprintf(err, errlen, "%s: not a directory of this user's with mode 0700", dir);
		return -1;
	}
	return 0;
}

/* Binds a new non-blocking datagram socket in r's wake directory into w
 * (rw_fd, rw_path, rw_dir).  Returns 0, or -1 with err. */
static int
ringwake_bind(const struct ring *r, struct ringwake *w, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	int tries, n;

	w->rw_fd = -1;
	if (ringwake_dirname(r, w->rw_dir, sizeof(w->rw_dir)) == -1) {
		snprintf(err, errlen, "%s%s.wake: name too long", RINGWAKE_DIR, ring_shm_name(r));
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%ld.%u", w->rw_dir, (long)getpid(),
		     atomic_fetch_add(&ringwake_serial, 1));
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: socket name too long", w->rw_dir);
		return -1;
	}
	memcpy(w->rw_path, sa.sun_path, sizeof(w->rw_path));
	if ((w->rw_fd = compat_socket(AF_UNIX, SOCK_DGRAM, 0, COMPAT_CLOEXEC | COMPAT_NONBLOCK)) ==
	    -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	for (tries = 0; tries < RINGWAKE_TRIES; tries++) {
		if (ringwake_mkdir(w->rw_dir, err, errlen) == -1)
			return -1;
		if (bind(w->rw_fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			/* bound before the word is read (see the top of the file) */
			atomic_thread_fence(memory_order_seq_cst);
			return 0;
		}
		if (errno == EADDRINUSE)
			unlink(sa.sun_path); /* a dead process of the same pid left it */
		else if (errno != ENOENT)
			break; /* ENOENT: another waiter removed the directory; again */
	}
	snprintf(err, errlen, "bind %s: %s", sa.sun_path, strerror(errno));
	return -1;
}

/* Closes w's socket and removes its name, and the directory when it was
 * the last one. */
static void
ringwake_unbind(struct ringwake *w)
{
	if (w->rw_fd == -1)
		return;
	close(w->rw_fd);
	w->rw_fd = -1;
	unlink(w->rw_path);
	rmdir(w->rw_dir); /* fails while other waiters are there: fine */
}

int
ringwake_wait(const struct ring *r, uint32_t seen, int timeout_ms)
{
	struct ringwake w;
	struct pollfd p;
	char err[256];
	int rc = 0;

	if (ring_notify_value(r) != seen)
		return 1;
	if (ringwake_bind(r, &w, err, sizeof(err)) == -1) {
		ringwake_unbind(&w);
		errno = EIO;
		return -1;
	}
	if (ring_notify_value(r) == seen) {
		p.fd = w.rw_fd;
		p.events = POLLIN;
		p.revents = 0;
		if (poll(&p, 1, timeout_ms < 0 ? -1 : timeout_ms) == -1 && errno != EINTR)
			rc = -1;
	}
	ringwake_unbind(&w);
	if (rc == -1)
		return -1;
	/* Whatever ended the wait, the word says whether there is news. */
	return ring_notify_value(r) != seen;
}

struct ringwake *
ringwake_new(const struct ring *r, char *err, size_t errlen)
{
	struct ringwake *w;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (ringwake_bind(r, w, err, errlen) == -1) {
		ringwake_free(w);
		return NULL;
	}
	return w;
}

int
ringwake_fd(const struct ringwake *w)
{
	return w->rw_fd;
}

void
ringwake_ack(struct ringwake *w)
{
	char buf[64];

	while (recv(w->rw_fd, buf, sizeof(buf), 0) >= 0)
		; /* EAGAIN: all read */
}

void
ringwake_free(struct ringwake *w)
{
	if (w == NULL)
		return;
	ringwake_unbind(w);
	free(w);
}
