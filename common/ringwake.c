/*
 * ringwake.c: the ring's wake-ups on Linux (ringwake.h): the notify word
 * in the ring header is a futex.
 *
 * The writer bumps the word (ring_notify()) and wakes every waiter with
 * FUTEX_WAKE.  A reader blocks in FUTEX_WAIT on the value it saw; the
 * futex is shared (no FUTEX_PRIVATE_FLAG: the ring is mapped by many
 * processes), and waiting on or waking a word of a read-only mapping is
 * allowed.
 *
 * A ringwake is a helper thread that loops: wait on the word, and when its
 * value moved, write to an eventfd the caller watches.  It only reads the
 * notify word; every record read happens on the caller's thread.  Idle, it
 * sleeps in the kernel: no timers, no spinning.  It blocks every signal,
 * so that signals stay with the caller's event loop.
 *
 * Stopping it needs no signal: ringwake_free() sets rw_stop, then wakes
 * the futex word itself (FUTEX_WAKE works on a read-only mapping too)
 * until the thread has gone.  One wake is enough unless the thread was
 * between its check of rw_stop and its wait; then the next one, 10 ms
 * later, finds it waiting.  Readers of the same ring in other processes
 * see a spurious wake-up at that moment: their notify word has not moved,
 * so they wait again (a ringwake signals nothing; event-tail reads
 * nothing new).
 */
#include <sys/eventfd.h>
#include <sys/syscall.h>

#include <errno.h>
#if __has_include(<linux/futex.h>)
#include <linux/futex.h>
#else
/* musl-gcc sees no kernel headers: the two operations, from the kernel's ABI */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#endif
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ring.h"
#include "ringwake.h"

#define RINGWAKE_JOIN_MS 10 /* between wakes while stopping */

struct ringwake {
	const struct ring *rw_ring;
	int rw_efd;
	uint32_t rw_seen; /* the notify word when watching started */
	pthread_t rw_thread;
	int rw_started;
	atomic_int rw_stop;
};

static _Atomic uint32_t *
ringwake_word(const struct ring *r)
{
	/* futex(2) takes the word's address; the kernel never writes to it */
	return (_Atomic uint32_t *)&ring_header(r)->notify;
}

void
ringwake_notify(const struct ring *r)
{
	syscall(SYS_futex, ringwake_word(r), FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
}

int
ringwake_wait(const struct ring *r, uint32_t seen, int timeout_ms)
{
	struct timespec ts, *tsp = NULL;
	long rc;

	if (atomic_load_explicit(ringwake_word(r), memory_order_acquire) != seen)
		return 1;
	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000;
		tsp = &ts;
	}
	rc = syscall(SYS_futex, ringwake_word(r), FUTEX_WAIT, seen, tsp, NULL, 0);
	if (rc == -1 && errno != EAGAIN && errno != EINTR && errno != ETIMEDOUT)
		return -1;
	/* Whatever ended the wait, the word says whether there is news. */
	return atomic_load_explicit(ringwake_word(r), memory_order_acquire) != seen;
}

static void *
ringwake_thread(void *arg)
{
	struct ringwake *w = arg;
	uint32_t seen = w->rw_seen, now;
	uint64_t one = 1;
	ssize_t n;

	while (!atomic_load_explicit(&w->rw_stop, memory_order_acquire)) {
		if (ringwake_wait(w->rw_ring, seen, -1) == -1) {
			sleep(1); /* should not happen; never spin */
			continue;
		}
		now = atomic_load_explicit(ringwake_word(w->rw_ring), memory_order_acquire);
		if (now == seen)
			continue; /* spurious, or ringwake_free() */
		seen = now;
		n = write(w->rw_efd, &one, sizeof(one));
		(void)n; /* EAGAIN: the counter is full, the fd readable anyway */
	}
	return NULL;
}

struct ringwake *
ringwake_new(const struct ring *r, char *err, size_t errlen)
{
	struct ringwake *w;
	sigset_t all, old;
	int rc;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->rw_ring = r;
	if ((w->rw_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	w->rw_seen = ring_notify_value(r);
	/* created with every signal blocked: it inherits the mask */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&w->rw_thread, NULL, ringwake_thread, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "pthread_create: %s", strerror(rc));
		goto fail;
	}
	w->rw_started = 1;
	return w;
fail:
	ringwake_free(w);
	return NULL;
}

int
ringwake_fd(const struct ringwake *w)
{
	return w->rw_efd;
}

void
ringwake_ack(struct ringwake *w)
{
	uint64_t v;
	ssize_t n;

	n = read(w->rw_efd, &v, sizeof(v));
	(void)n; /* EAGAIN: nothing to clear */
}

/* Joins the thread within ms milliseconds.  Returns pthread_timedjoin_np()'s result. */
static int
ringwake_join(struct ringwake *w, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)ms * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return pthread_timedjoin_np(w->rw_thread, NULL, &ts);
}

void
ringwake_free(struct ringwake *w)
{
	if (w == NULL)
		return;
	if (w->rw_started) {
		atomic_store_explicit(&w->rw_stop, 1, memory_order_release);
		do
			syscall(SYS_futex, ringwake_word(w->rw_ring), FUTEX_WAKE, INT32_MAX, NULL,
				NULL, 0);
		while (ringwake_join(w, RINGWAKE_JOIN_MS) == ETIMEDOUT);
	}
	if (w->rw_efd >= 0)
		close(w->rw_efd);
	free(w);
}
