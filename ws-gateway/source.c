/*
 * source.c: the ring source (see source.h).
 *
 * A helper thread blocks in ring_wait() on the ring's futex word and
 * writes to an eventfd whenever the word changes; the event loop watches
 * the eventfd.  No timers, no spinning: an idle ring costs nothing.
 * The thread only reads the notify word; all record reads happen on the
 * event loop's thread.
 */
#include <sys/eventfd.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "source.h"
#include "source_redis.h"

struct source {
	struct source_redis *redis; /* the Redis source, or NULL for the ring */
	struct ring *ring;
	int efd;
	pthread_t thread;
	int thread_started;
	atomic_int stop;
};

/* SIGUSR2 only interrupts the waker's futex wait (no SA_RESTART). */
static void
source_sigusr2(int sig)
{
	(void)sig;
}

static void *
source_waker(void *arg)
{
	struct source *src = arg;
	uint64_t one = 1;
	uint32_t seen;
	ssize_t n;

	sigset_t usr2;

	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	pthread_sigmask(SIG_UNBLOCK, &usr2, NULL);
	while (!atomic_load(&src->stop)) {
		seen = ring_notify_value(src->ring);
		n = write(src->efd, &one, sizeof(one));
		(void)n;
		if (atomic_load(&src->stop))
			break;
		if (ring_wait(src->ring, seen, -1) < 0)
			sleep(1); /* should not happen; never spin */
	}
	return NULL;
}

struct source *
source_open_ring(const char *name, char *err, size_t errlen)
{
	struct source *src;
	sigset_t all, old;
	struct sigaction sa;

	if ((src = calloc(1, sizeof(*src))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	src->efd = -1;
	if ((src->ring = ring_open(name, err, errlen)) == NULL)
		goto fail;
	if ((src->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	/* The thread takes no signals but SIGUSR2 (source_close() wakes it with
	 * that): the event loop handles the others. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = source_sigusr2;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(&src->thread, NULL, source_waker, src) != 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		snprintf(err, errlen, "pthread_create failed");
		goto fail;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	src->thread_started = 1;
	return src;
fail:
	source_close(src);
	return NULL;
}

#define SOURCE_REDIS_TIMEOUT_MS 2000 /* start-up load: connect and reply deadline */

struct source *
source_open_redis(struct event_base *base, const char *url, const char *stream, size_t window,
		  size_t window_bytes, char *err, size_t errlen)
{
	struct source *src;

	if ((src = calloc(1, sizeof(*src))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((src->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	if ((src->redis = source_redis_new(base, url, stream, window, window_bytes,
					   SOURCE_REDIS_TIMEOUT_MS, src->efd, err, errlen)) == NULL)
		goto fail;
	return src;
fail:
	source_close(src);
	return NULL;
}

void
source_close(struct source *src)
{
	if (src == NULL)
		return;
	source_redis_free(src->redis);
	if (src->thread_started) {
		struct timespec ts;
		int i;
		/* The signal may land just before the wait starts: send it until
		 * the thread is gone (bounded). */
		atomic_store(&src->stop, 1);
		for (i = 0; i < 200; i++) {
			pthread_kill(src->thread, SIGUSR2);
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 10 * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			if (pthread_timedjoin_np(src->thread, NULL, &ts) == 0)
				break;
		}
		if (i == 200)
			pthread_detach(src->thread);
	}
	if (src->efd >= 0)
		close(src->efd);
	ring_close(src->ring);
	free(src);
}

int
source_fd(const struct source *src)
{
	return src->efd;
}

void
source_ack(struct source *src)
{
	uint64_t v;
	ssize_t n;

	n = read(src->efd, &v, sizeof(v));
	(void)n;
}

int
source_seek(struct source *src, struct source_cursor *cur, uint64_t seq, uint64_t *lost_from,
	    uint64_t *lost_to)
{
	if (src->redis != NULL)
		return source_redis_seek(src->redis, &cur->rc, seq, lost_from, lost_to);
	return ring_seek(src->ring, &cur->rc, seq, lost_from, lost_to);
}

void
source_seek_end(struct source *src, struct source_cursor *cur)
{
	if (src->redis != NULL) {
		source_redis_seek_end(src->redis, &cur->rc);
		return;
	}
	ring_seek_end(src->ring, &cur->rc);
}

uint64_t
source_next_seq(const struct source_cursor *cur)
{
	return cur->rc.next_seq;
}

int
source_read(struct source *src, struct source_cursor *cur, char **buf, size_t *cap, size_t *len,
	    uint64_t *seq, int64_t *ts_us, uint64_t *lost_from, uint64_t *lost_to)
{
	enum ring_read_status st;
	size_t n;
	char *nb;

	if (src->redis != NULL)
		return source_redis_read(src->redis, &cur->rc, buf, cap, len, seq, ts_us, lost_from,
					 lost_to);
	for (;;) {
		if (*buf == NULL) {
			if ((*buf = malloc(65536)) == NULL)
				return -1;
			*cap = 65536;
		}
		n = *cap;
		st = ring_read(src->ring, &cur->rc, *buf, &n, seq, ts_us, lost_from, lost_to);
		switch (st) {
		case RING_EMPTY:
			return SOURCE_EMPTY;
		case RING_OK:
			*len = n;
			return SOURCE_OK;
		case RING_LAPPED:
			return SOURCE_LAPPED;
		case RING_TOOSMALL:
			if ((nb = realloc(*buf, n + 1)) == NULL)
				return -1;
			*buf = nb;
			*cap = n + 1;
			continue;
		}
		return -1;
	}
}

uint64_t
source_first_seq(const struct source *src)
{
	if (src->redis != NULL)
		return source_redis_first(src->redis);
	return atomic_load_explicit(&ring_header(src->ring)->first_seq, memory_order_acquire);
}

uint64_t
source_last_seq(const struct source *src)
{
	if (src->redis != NULL)
		return source_redis_last(src->redis);
	return atomic_load_explicit(&ring_header(src->ring)->last_seq, memory_order_acquire);
}

const struct ring_hdr *
source_ring_header(const struct source *src)
{
	return src->ring != NULL ? ring_header(src->ring) : NULL;
}
