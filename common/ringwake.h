/*
 * ringwake.h: how readers of the ring (ring.h) learn that records were
 * published, without spinning or polling timers.
 *
 * The writer calls ringwake_notify() once per batch (ring_notify() does,
 * after bumping the ring's notify word).  A reader waits in one of two ways:
 *
 *   ringwake_wait()  blocks the calling thread until the notify word moves
 *                    (event-tail --follow);
 *   a ringwake       hands the caller a descriptor that becomes readable
 *                    when records were published, for the caller to add
 *                    to its own event loop (ws-gateway, event-relay).
 *                    No libevent here, and no signal handler: nothing is
 *                    installed behind the caller's back.
 *
 * Use of a ringwake: w = ringwake_new(r); position a cursor; watch
 * ringwake_fd(w); when it is readable, ringwake_ack(w), then ring_read()
 * until RING_EMPTY.  A record published while the caller reads makes the
 * descriptor readable again, so nothing is missed.
 *
 * The mechanism is this file's implementation and nowhere else.  On Linux
 * (ringwake.c) the notify word is a futex: the writer wakes it with
 * FUTEX_WAKE, readers wait with FUTEX_WAIT (a read-only mapping is
 * enough), and a ringwake is a helper thread blocked in FUTEX_WAIT that
 * writes to an eventfd when the word moved.  Elsewhere, and on Linux in
 * the portable build (make PORTABLE=1), ringwake_dgram.c: each waiter binds
 * a Unix datagram socket in the ring's wake directory and the writer sends
 * a byte to each; a ringwake is that socket.  common/module.mk picks the
 * file; the callers do not change.
 */
#ifndef HOOKWIRE_RINGWAKE_H
#define HOOKWIRE_RINGWAKE_H

#include <stddef.h>
#include <stdint.h>

struct ring;
struct ringwake;

/* Writer: wakes every reader waiting on r, in every process. */
void ringwake_notify(const struct ring *r);

/*
 * Blocks until r's notify word differs from seen, timeout_ms passes (-1:
 * no limit) or a signal interrupts the wait.  Use:
 *   seen = ring_notify_value(r);
 *   if (ring_read(r, ...) == RING_EMPTY)
 *           ringwake_wait(r, seen, -1);
 * Returns 1 when the word differs from seen (the writer published since:
 * read again), 0 when it still equals seen (the timeout passed, or a signal
 * or a spurious wake-up ended the wait early), -1 when the wait failed.
 */
int ringwake_wait(const struct ring *r, uint32_t seen, int timeout_ms);

/*
 * Starts watching r, which must stay mapped until ringwake_free().  The
 * descriptor becomes readable whenever r's notify word moves after this
 * call, and only then.  Returns a new ringwake, or NULL with err.
 */
struct ringwake *ringwake_new(const struct ring *r, char *err, size_t errlen);

/* The descriptor: non-blocking, close-on-exec, owned by w. */
int ringwake_fd(const struct ringwake *w);

/* Clears the readiness of ringwake_fd().  Call it before reading the ring. */
void ringwake_ack(struct ringwake *w);

/* Stops watching (the helper thread is joined) and frees w.
 * ringwake_free(NULL) does nothing. */
void ringwake_free(struct ringwake *w);

#endif
