/*
 * follow.c: event-store's follower thread (event-store(8)).
 *
 * One thread does all the work on the store, so SQLite sees one connection
 * used by one thread.  At start it catches up: an empty store imports the
 * whole journal, a store that stopped at seq M takes M+1.. from the journal
 * (which holds every event the ring ever had, as long as the journal keeps
 * it).  Then it follows the ring read-only like event-tail -f: ring_read()
 * until the ring is empty, ringwake_wait() on the futex word when it is.  Events
 * go into an open transaction that is committed after writer_opts.batch_max
 * events, commit_ms after its first event, or when the ring has been empty
 * for FOLLOW_QUIET_MS, whichever comes first: a sustained stream is
 * committed in large batches (a commit writes every page the batch touched,
 * the indexes' included, so small ones cost more an event), a few events
 * alone at once.  Only while a transaction is open does the wait have a
 * timeout, so an idle store
 * sleeps in the futex with no timer (but one: the moment the oldest event
 * passes store.keep_days).  Woken by a publish, it sleeps FOLLOW_GATHER_MS
 * more before reading: a paced stream is read a few dozen events a wake-up
 * instead of one, which costs the store about a fifth less CPU and takes
 * most of its wake-ups off the cores the router and its clients run on.
 *
 * A range the ring overwrote before the store read it comes from the
 * journal; what the journal lacks too becomes a gap row.  A database found
 * damaged, at start or while writing, is moved aside and rebuilt from the
 * journal, and the log says so.
 *
 * The main thread owns the signals.  It asks this thread to stop, log its
 * status or reopen the log by setting f_flags and sending SIGUSR2, whose
 * handler does nothing but end the futex wait (no SA_RESTART); as the
 * signal may land just before the wait begins, it sends it again every
 * 10 ms until the thread has seen the flag (ws-gateway's ring waker does
 * the same).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "ring.h"
#include "ringwake.h"
#include "store.h"
#include "util.h"

#define FOLLOW_STOP	  4
#define FOLLOW_READ_BURST 4096 /* ring records read between two looks at the flags */
#define FOLLOW_QUIET_MS	  5    /* a pause in the ring this long ends the open batch */
#define FOLLOW_GATHER_MS  2    /* woken by a publish, what comes in this long is read too */

struct follow {
	struct follow_opts f_opts;
	sqlite3 *f_db;
	struct writer *f_w;
	struct ring *f_ring;
	struct ring_cursor f_cur;
	char *f_buf;
	size_t f_cap;
	pthread_t f_thread;
	int f_started;
	_Atomic int f_flags; /* FOLLOW_STATUS | FOLLOW_REOPEN | FOLLOW_STOP, cleared when seen */
	_Atomic int f_ended;
	_Atomic int f_stop; /* set with FOLLOW_STOP: long journal reads end early */
	int f_exit;
	int f_retain_due;
	int f_index_due; /* the full-text index may be behind */
	int f_merge_due; /* a full table of it may have segments to merge */
	uint64_t f_indexed;
	int64_t f_expiry_us; /* wall clock: the oldest event passes keep_us; 0: unknown */
	/* counters for the status line */
	uint64_t f_ring_events, f_lapped, f_lapped_seqs, f_filled, f_gap_seqs, f_retained;
	uint64_t f_rebuilds;
};

static void
follow_sigusr2(int sig)
{
	(void)sig;
}

/* Opens the store; a bad one is moved aside and a new one made. */
static int
follow_open_store(struct follow *f, char *err, size_t errlen)
{
	char moved[4300], why[1024];
	enum schema_status s;

	s = schema_open(f->f_opts.db_path, &f->f_opts.schema, &f->f_db, err, errlen);
	if (s == SCHEMA_BAD) {
		snprintf(why, sizeof(why), "%s", err);
		if (schema_move_aside(f->f_opts.db_path, "bad", moved, sizeof(moved), err,
				      errlen) == -1)
			return -1;
		log_warnx("store_bad", "%s: %s; moved aside to %s, rebuilding from the journal",
			  __func__, why, moved);
		f->f_rebuilds++;
		s = schema_open(f->f_opts.db_path, &f->f_opts.schema, &f->f_db, err, errlen);
	}
	if (s != SCHEMA_OK && s != SCHEMA_NEW)
		return -1;
	if (s == SCHEMA_NEW)
		log_info("%s: new store %s", __func__, f->f_opts.db_path);
	if ((f->f_w = writer_new(f->f_db, &f->f_opts.writer, err, errlen)) == NULL) {
		sqlite3_close(f->f_db);
		f->f_db = NULL;
		return -1;
	}
	f->f_retain_due = 1;
	f->f_index_due = 1;
	f->f_merge_due = 1;
	return 0;
}

static void
follow_close_store(struct follow *f)
{
	char err[256];

	if (f->f_w != NULL)
		writer_commit(f->f_w, err, sizeof(err));
	writer_free(f->f_w);
	f->f_w = NULL;
	/* a statement left unfinalized would keep the database open, and its
	 * WAL unchecked: a bug to see in the log */
	if (f->f_db != NULL && sqlite3_close(f->f_db) != SQLITE_OK)
		log_warnx("store", "%s: the database stays open: %s", __func__,
			  sqlite3_errmsg(f->f_db));
	f->f_db = NULL;
}

struct follow *
follow_new(const struct follow_opts *o, int *exit_code, char *err, size_t errlen)
{
	struct follow *f;

	*exit_code = EXIT_SYSCALL;
	if ((f = calloc(1, sizeof(*f))) == NULL || (f->f_buf = malloc(65536)) == NULL) {
		free(f);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->f_cap = 65536;
	f->f_opts = *o;
	if (follow_open_store(f, err, errlen) == -1)
		goto fail;
	if ((f->f_ring = ring_open(o->ring_name, err, errlen)) == NULL)
		goto fail;
	return f;
fail:
	follow_free(f);
	return NULL;
}

void
follow_free(struct follow *f)
{
	if (f == NULL)
		return;
	follow_close_store(f);
	ring_close(f->f_ring);
	free(f->f_buf);
	free(f);
}

/* Logs one status line. */
static void
follow_status(struct follow *f, const char *why)
{
	const struct ring_hdr *h = ring_header(f->f_ring);
	uint64_t stored, skipped, gaps, commits, used = 0, freep = 0, head, max;

	writer_counts(f->f_w, &stored, &skipped, &gaps, &commits);
	retain_usage(f->f_db, &used, &freep);
	head = atomic_load_explicit(&h->last_seq, memory_order_acquire);
	max = writer_max_seq(f->f_w);
	log_info("%s: %s: stored up to seq %llu (ring head %llu, lag %llu), searchable up to %llu; "
		 "%llu stored, %llu already there, %llu commits; %llu from the ring, %llu from the "
		 "journal; %llu lapped ranges (%llu seqs), %llu gap rows (%llu seqs); %llu "
		 "retained away; %llu MiB in use, %llu free pages",
		 __func__, why, (unsigned long long)max, (unsigned long long)head,
		 (unsigned long long)(head > max ? head - max : 0),
		 (unsigned long long)f->f_indexed, (unsigned long long)stored,
		 (unsigned long long)skipped, (unsigned long long)commits,
		 (unsigned long long)f->f_ring_events, (unsigned long long)f->f_filled,
		 (unsigned long long)f->f_lapped, (unsigned long long)f->f_lapped_seqs,
		 (unsigned long long)gaps, (unsigned long long)f->f_gap_seqs,
		 (unsigned long long)f->f_retained, (unsigned long long)(used >> 20),
		 (unsigned long long)freep);
}

/* Fills from..to from the journal, gaps for the rest (to finite) or none (to UINT64_MAX). */
static int
follow_fill(struct follow *f, uint64_t from, uint64_t to, const char *reason, char *err,
	    size_t errlen)
{
	struct fill_result fr;

	if (writer_commit(f->f_w, err, errlen) == -1)
		return -1;
	if (fill_from_journal(f->f_w, f->f_opts.journal_dir, from, to, to != UINT64_MAX, reason,
			      &f->f_stop, &fr, err, errlen) == -1)
		return -1;
	f->f_filled += fr.fr_stored;
	f->f_gap_seqs += fr.fr_gap_seqs;
	if (fr.fr_gaps > 0)
		log_warnx("gap",
			  "%s: seq %llu..%llu: %llu events from the journal, %llu seqs in "
			  "neither the ring nor the journal recorded as %llu gap rows (%s)",
			  __func__, (unsigned long long)from, (unsigned long long)to,
			  (unsigned long long)fr.fr_stored, (unsigned long long)fr.fr_gap_seqs,
			  (unsigned long long)fr.fr_gaps, reason);
	else if (fr.fr_stored > 0 || to != UINT64_MAX)
		log_info("%s: %llu events from the journal (seq %llu..%llu)", __func__,
			 (unsigned long long)fr.fr_stored, (unsigned long long)from,
			 (unsigned long long)(to != UINT64_MAX ? to : fr.fr_last));
	f->f_retain_due = 1;
	f->f_index_due = 1;
	return 0;
}

/*
 * Catches up from the journal, then places the ring cursor after the newest
 * event stored; what the ring no longer holds comes from the journal again
 * (it may have grown meanwhile), and what neither has is a gap.
 */
static int
follow_catch_up(struct follow *f, char *err, size_t errlen)
{
	const struct ring_hdr *h = ring_header(f->f_ring);
	uint64_t max = writer_max_seq(f->f_w), lf, lt, head;
	int tries;

	if (follow_fill(f, max + 1, UINT64_MAX, "lapped", err, errlen) == -1)
		return -1;
	if (atomic_load(&f->f_stop))
		return 0;
	head = atomic_load_explicit(&h->last_seq, memory_order_acquire);
	if (max > 0 && writer_max_seq(f->f_w) == max && head != 0 && head < max) {
		/* The router numbers events after max(ring, journal): both are
		 * behind the store, so they were replaced and the seqs that come
		 * next would be taken for events stored already. */
		char moved[4300];

		log_warnx("seq_regressed",
			  "%s: the ring (head %llu) and the journal are behind the store (seq "
			  "%llu): a new history; moving the store aside",
			  __func__, (unsigned long long)head, (unsigned long long)max);
		follow_close_store(f);
		if (schema_move_aside(f->f_opts.db_path, "regressed", moved, sizeof(moved), err,
				      errlen) == -1 ||
		    follow_open_store(f, err, errlen) == -1)
			return -1;
		log_info("%s: the old store is %s", __func__, moved);
		if (follow_fill(f, 1, UINT64_MAX, "lapped", err, errlen) == -1)
			return -1;
	}
	for (tries = 0; tries < 1000 && !atomic_load(&f->f_stop); tries++) {
		max = writer_max_seq(f->f_w);
		if (ring_seek(f->f_ring, &f->f_cur, max + 1, &lf, &lt) == 0)
			return 0;
		if (follow_fill(f, lf, lt, "lapped", err, errlen) == -1)
			return -1;
	}
	if (atomic_load(&f->f_stop))
		return 0;
	snprintf(err, errlen, "the ring runs ahead of the journal import");
	return -1;
}

/* A damaged store while running: move it aside, start a new one from the journal. */
static int
follow_rebuild_now(struct follow *f, const char *why, char *err, size_t errlen)
{
	char moved[4300];

	log_warnx("store_bad", "%s: %s; moving the store aside and rebuilding it from the journal",
		  __func__, why);
	writer_free(f->f_w);
	f->f_w = NULL;
	sqlite3_close(f->f_db);
	f->f_db = NULL;
	if (schema_move_aside(f->f_opts.db_path, "bad", moved, sizeof(moved), err, errlen) == -1)
		return -1;
	log_info("%s: the damaged store is %s", __func__, moved);
	f->f_rebuilds++;
	if (follow_open_store(f, err, errlen) == -1)
		return -1;
	return follow_catch_up(f, err, errlen);
}

/* After a writer failure: rebuild when the file is damaged, else fail. */
static int
follow_failed(struct follow *f, char *err, size_t errlen)
{
	char why[1024];

	if (f->f_w == NULL || !schema_rc_bad(writer_rc(f->f_w)))
		return -1;
	snprintf(why, sizeof(why), "%s", err);
	return follow_rebuild_now(f, why, err, errlen);
}

/* One retention step when one is due.  Returns 0 or -1. */
static int
follow_retain(struct follow *f, char *err, size_t errlen)
{
	struct retain_result rr;
	int rc;

	if (writer_commit(f->f_w, err, errlen) == -1)
		return -1;
	if ((rc = retain_step(f->f_db, &f->f_opts.retain, util_now_us(), &rr, err, errlen)) == -1)
		return -1;
	if (rr.rr_deleted > 0) {
		writer_set_oldest(f->f_w, rr.rr_oldest);
		f->f_retained += rr.rr_deleted;
	}
	if (rr.rr_deleted > 0 || rr.rr_vacuumed > 0)
		log_debug(
		    "%s: %llu events removed by %s, seqs below %llu gone; %d pages given back",
		    __func__, (unsigned long long)rr.rr_deleted,
		    rr.rr_why != NULL ? rr.rr_why : "nothing", (unsigned long long)rr.rr_oldest,
		    rr.rr_vacuumed);
	f->f_expiry_us = rr.rr_next_us;
	f->f_retain_due = rc == 1;
	return 0;
}

/* Reads up to FOLLOW_READ_BURST records into the open transaction.
 * Returns 1 when the ring may hold more, 0 when it is empty, -1 on error. */
static int
follow_read(struct follow *f, char *err, size_t errlen)
{
	enum ring_read_status st;
	uint64_t seq, lf, lt;
	int64_t ts_us;
	size_t len;
	int i;
	char *nb;

	for (i = 0; i < FOLLOW_READ_BURST; i++) {
		len = f->f_cap;
		st = ring_read(f->f_ring, &f->f_cur, f->f_buf, &len, &seq, &ts_us, &lf, &lt);
		switch (st) {
		case RING_EMPTY:
			return 0;
		case RING_TOOSMALL:
			if ((nb = realloc(f->f_buf, len)) == NULL) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			f->f_buf = nb;
			f->f_cap = len;
			i--;
			continue;
		case RING_LAPPED:
			f->f_lapped++;
			f->f_lapped_seqs += lt - lf + 1;
			log_warnx("lapped",
				  "%s: the ring overwrote seq %llu..%llu before the store read "
				  "them; taking them from the journal",
				  __func__, (unsigned long long)lf, (unsigned long long)lt);
			if (follow_fill(f, lf, lt, "lapped", err, errlen) == -1)
				return -1;
			continue;
		case RING_OK:
			if (writer_add(f->f_w, f->f_buf, len, seq, ts_us, err, errlen) == -1)
				return -1;
			f->f_ring_events++;
			if (writer_pending(f->f_w) == 0)
				f->f_retain_due = f->f_index_due = 1; /* a full batch committed */
			continue;
		}
	}
	return 1;
}

/* Handles the main thread's requests.  Returns 1 when asked to stop. */
static int
follow_flags(struct follow *f)
{
	int fl = atomic_load(&f->f_flags);

	if (fl & FOLLOW_REOPEN)
		log_reopen();
	if (fl & FOLLOW_STATUS)
		follow_status(f, "status");
	atomic_fetch_and(&f->f_flags, ~(FOLLOW_REOPEN | FOLLOW_STATUS));
	return (fl & FOLLOW_STOP) != 0;
}

/* The wait's timeout in ms: the open batch's deadline, or the next expiry, or -1. */
static int
follow_timeout(struct follow *f)
{
	int64_t began = writer_began_us(f->f_w), left, ms;

	if (began != 0) {
		left = began + (int64_t)f->f_opts.commit_ms * 1000 - util_mono_us();
		return left <= 0 ? 0 : (int)((left + 999) / 1000);
	}
	if (f->f_expiry_us == 0)
		return -1;
	ms = (f->f_expiry_us - util_now_us()) / 1000 + 1;
	if (ms <= 0)
		return 0;
	return ms > 86400000 ? 86400000 : (int)ms;
}

/* Commits the open batch; retention and the index may have work after it. */
static int
follow_commit(struct follow *f, char *err, size_t errlen)
{
	if (writer_commit(f->f_w, err, errlen) == -1)
		return -1;
	f->f_retain_due = f->f_index_due = 1;
	return 0;
}

/*
 * The ring first: records are read while there are any, committed when the
 * batch is full or commit_ms old, or the ring stayed empty FOLLOW_QUIET_MS.
 * Only when the ring is empty and nothing is left to commit does the
 * thread turn to retention, to the full-text index and to merging the
 * index's full tables, one step at a time, looking at the ring between
 * steps; under a burst they wait.
 */
static int
follow_loop(struct follow *f, char *err, size_t errlen)
{
	uint32_t seen;
	size_t before;
	int rc, ms, idle_work, quiet = 0;

	for (;;) {
		if (follow_flags(f))
			return 0;
		seen = ring_notify_value(f->f_ring);
		before = writer_pending(f->f_w);
		if ((rc = follow_read(f, err, errlen)) == -1)
			return -1;
		if (rc == 1 || writer_pending(f->f_w) != before)
			quiet = 0; /* events came during the quiet wait */
		ms = follow_timeout(f);
		if (rc == 1) {
			/* more to read: commit only when the batch is due */
			if (writer_pending(f->f_w) > 0 && ms == 0 &&
			    follow_commit(f, err, errlen) == -1)
				return -1;
			continue;
		}
		if (f->f_expiry_us != 0 && util_now_us() >= f->f_expiry_us)
			f->f_retain_due = 1;
		idle_work = f->f_retain_due || f->f_index_due || f->f_merge_due;
		if (writer_pending(f->f_w) > 0 && (ms == 0 || quiet)) {
			if (follow_commit(f, err, errlen) == -1)
				return -1;
			quiet = 0;
			continue;
		}
		if (writer_pending(f->f_w) == 0 && idle_work) {
			if (f->f_retain_due && follow_retain(f, err, errlen) == -1)
				return -1;
			if (f->f_index_due) {
				if ((rc = textindex_step(
					 f->f_db, f->f_opts.index_chunk,
					 textindex_part_bytes(f->f_opts.retain.keep_bytes),
					 &f->f_indexed, err, errlen)) == -1)
					return -1;
				f->f_index_due = rc == 1;
				f->f_merge_due |= rc == 0; /* a table it filled may wait */
				f->f_retain_due = 1;	   /* the index grew the store */
			} else if (f->f_merge_due) {
				if ((rc = textindex_merge_step(f->f_db, err, errlen)) == -1)
					return -1;
				f->f_merge_due = rc == 1;
				f->f_retain_due = 1;
			}
			continue; /* look at the ring between two steps */
		}
		if (writer_pending(f->f_w) > 0) {
			/* the batch ends after a quiet wait that nothing interrupts */
			if (ms < 0 || ms > FOLLOW_QUIET_MS)
				ms = FOLLOW_QUIET_MS;
			quiet = 1;
		}
		if ((rc = ringwake_wait(f->f_ring, seen, ms)) == -1) {
			snprintf(err, errlen, "futex wait: %s", strerror(errno));
			return -1;
		}
		/* the store is no hurry (the ring serves what is new): let the
		 * stream gather; SIGUSR2 ends the sleep as it ends the wait */
		if (rc == 1)
			nanosleep(&(struct timespec){0, FOLLOW_GATHER_MS * 1000000L}, NULL);
	}
}

static void *
follow_main(void *arg)
{
	struct follow *f = arg;
	char err[1024];
	sigset_t usr2;
	int rc = -1;

	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	pthread_sigmask(SIG_UNBLOCK, &usr2, NULL);

	while (rc == -1) {
		if (f->f_w == NULL)
			break;
		if ((rc = follow_catch_up(f, err, sizeof(err))) == 0 &&
		    (rc = follow_loop(f, err, sizeof(err))) == 0)
			break;
		if (follow_failed(f, err, sizeof(err)) == -1)
			break;
		rc = -1; /* rebuilt: follow again */
		if (f->f_rebuilds > 100) {
			snprintf(err, sizeof(err), "rebuilt 100 times; giving up");
			break;
		}
	}
	if (rc == 0 && f->f_w != NULL && writer_commit(f->f_w, err, sizeof(err)) == -1)
		rc = -1;
	if (rc == -1) {
		log_warnx(f->f_w != NULL && schema_rc_bad(writer_rc(f->f_w)) ? "store_bad"
									     : "store",
			  "%s: %s", __func__, err);
		f->f_exit = EXIT_RUNTIME;
	} else {
		follow_status(f, "stopping");
		f->f_exit = EXIT_OK;
	}
	atomic_store(&f->f_ended, 1);
	if (!(atomic_load(&f->f_flags) & FOLLOW_STOP))
		kill(getpid(), SIGTERM); /* tell the main thread */
	return NULL;
}

int
follow_start(struct follow *f, char *err, size_t errlen)
{
	struct sigaction sa;
	sigset_t all, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = follow_sigusr2; /* no SA_RESTART: it ends the futex wait */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(&f->f_thread, NULL, follow_main, f) != 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		snprintf(err, errlen, "pthread_create failed");
		return -1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	f->f_started = 1;
	return 0;
}

/* Sets bits and sends SIGUSR2 until the thread cleared them (or ended). */
static void
follow_kick(struct follow *f, int bits, int join)
{
	struct timespec ts;
	int i;

	atomic_fetch_or(&f->f_flags, bits);
	for (i = 0; i < 200; i++) {
		if (!join && ((atomic_load(&f->f_flags) & bits) == 0 || atomic_load(&f->f_ended)))
			return;
		pthread_kill(f->f_thread, SIGUSR2);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (join) {
#ifdef HOOKWIRE_PORTABLE
			/* no pthread_timedjoin_np() (glibc's, FreeBSD's): join
			 * once the thread says it has ended */
			if (atomic_load(&f->f_ended)) {
				pthread_join(f->f_thread, NULL);
				f->f_started = 0;
				return;
			}
			nanosleep(&(struct timespec){0, 10 * 1000000}, NULL);
#else
			if (pthread_timedjoin_np(f->f_thread, NULL, &ts) == 0) {
				f->f_started = 0;
				return;
			}
#endif
		} else
			nanosleep(&(struct timespec){0, 10 * 1000000}, NULL);
	}
}

void
follow_poke(struct follow *f, int what)
{
	if (f->f_started)
		follow_kick(f, what, 0);
}

int
follow_stop(struct follow *f)
{
	if (f->f_started) {
		/* a long journal import checks f_stop between events; the
		 * join waits for it however long the last commit takes */
		atomic_store(&f->f_stop, 1);
		follow_kick(f, FOLLOW_STOP, 1);
		if (f->f_started) {
			pthread_join(f->f_thread, NULL);
			f->f_started = 0;
		}
	}
	return f->f_exit;
}

int
follow_ended(const struct follow *f)
{
	return atomic_load(&((struct follow *)f)->f_ended);
}

int
follow_rebuild(const struct follow_opts *o, char *err, size_t errlen)
{
	struct follow f;
	struct fill_result fr;
	char moved[4300];
	uint64_t stored, skipped, gaps, commits;

	memset(&f, 0, sizeof(f));
	f.f_opts = *o;
	if (schema_move_aside(o->db_path, "old", moved, sizeof(moved), err, errlen) == -1)
		return -1;
	if (moved[0] != '\0')
		log_info("%s: the old store is %s", __func__, moved);
	if (follow_open_store(&f, err, errlen) == -1)
		return -1;
	if (fill_from_journal(f.f_w, o->journal_dir, 1, UINT64_MAX, 0, "lapped", NULL, &fr, err,
			      errlen) == -1) {
		follow_close_store(&f);
		return -1;
	}
	writer_counts(f.f_w, &stored, &skipped, &gaps, &commits);
	log_info("%s: %llu events from the journal, up to seq %llu, in %llu commits", __func__,
		 (unsigned long long)fr.fr_stored, (unsigned long long)fr.fr_last,
		 (unsigned long long)commits);
	/* searchable, merged and within its limits, as the daemon would leave it */
	{
		uint64_t indexed, part_bytes = textindex_part_bytes(o->retain.keep_bytes);
		int rc;

		while ((rc = textindex_step(f.f_db, 10000, part_bytes, &indexed, err, errlen)) == 1)
			;
		while (rc == 0 && (rc = textindex_merge_step(f.f_db, err, errlen)) == 1)
			;
		if (rc == -1) {
			follow_close_store(&f);
			return -1;
		}
	}
	do {
		struct retain_result rr;
		int rc = retain_step(f.f_db, &o->retain, util_now_us(), &rr, err, errlen);

		if (rc == -1) {
			follow_close_store(&f);
			return -1;
		}
		if (rc == 0)
			break;
	} while (1);
	follow_close_store(&f);
	return 0;
}
