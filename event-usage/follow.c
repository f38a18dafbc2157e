/*
 * follow.c: event-usage's loop: the ring in, usage events out (event-usage(8)).
 *
 * One thread.  Each pass drains the ring (ring_read) into session.c, does
 * the transcript reads that are due, hands the usage events made to the
 * router over one kept connection to $RUNDIR/ingest.sock (waiting for each
 * reply), and writes the state once every event made so far is delivered.
 * Then it waits on the ring's futex word (ring_wait), with a timeout only
 * while a read or a retry is scheduled: idle, it sleeps until the router
 * publishes.
 *
 * The kept connection is checked before each batch (ingest_client_ready()):
 * one the router closed since (a restart) is replaced at once.  A router
 * that is away leaves the events in the outbox; they
 * are sent again with back-off (100 ms doubling to 5 s), in order, and
 * transcripts are not read while the outbox is full.  The state is not
 * written while events wait, so a stop or a crash then resumes from the
 * last delivered point and makes the same events again, with the same ids:
 * the router drops those it already has.  A reader lapped by the ring logs
 * the range of events it lost and goes on: the transcripts are files, and
 * the next hook of those sessions catches up.
 *
 * Signals.  SIGTERM and SIGINT stop the loop; SIGHUP reopens the log and
 * reloads the price table; SIGUSR1 logs a status line.  A signal that
 * arrives just before the futex wait would be missed by a flag check, so
 * the handler jumps out of the wait (siglongjmp) while one is in progress.
 */
#include <sys/queue.h>

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_client.h"
#include "log.h"
#include "ring.h"
#include "ringwake.h"
#include "usage.h"
#include "util.h"

/* Ring records handled per pass before the reads get their turn. */
#define FOLLOW_RING_BATCH 4096
/* Transcript bytes read per pass, all files together. */
#define FOLLOW_READ_BUDGET (16 * 1024 * 1024)
/* Usage events waiting for the router at most; transcripts wait beyond. */
#define FOLLOW_OUTBOX_MAX 4096
/* Retry back-off while the router is away, ms. */
#define FOLLOW_RETRY_MIN_MS 100
#define FOLLOW_RETRY_MAX_MS 5000
/* state.json is written with every session written, and for ring events
 * alone at most this often, when the loop runs anyway (no timer: a
 * position up to this old makes a restart handle a few events again,
 * which only schedules reads of files it has read). */
#define FOLLOW_SEQ_SAVE_US (5 * 1000000LL)

struct follow_item {
	char *fi_line; /* the event and its newline */
	size_t fi_len;
	char fi_id[33];
	TAILQ_ENTRY(follow_item) fi_entry;
};

struct follow {
	struct follow_opts fo_o;
	struct ring *fo_ring;
	struct ring_cursor fo_cur;
	struct sessions *fo_ss;
	char *fo_buf;
	size_t fo_cap;
	uint64_t fo_seq, fo_saved_seq; /* last ring seq handled, last written */
	int64_t fo_saved_us;

	TAILQ_HEAD(, follow_item) fo_outbox;
	size_t fo_nout;
	struct ingest_client fo_ic;
	int64_t fo_retry_us; /* next delivery attempt, 0: now */
	int fo_backoff_ms;
	int fo_down; /* the router was away: logged once */

	uint64_t fo_sent, fo_dup, fo_rejected, fo_lost, fo_records;
};

static sigjmp_buf follow_jb;
static volatile sig_atomic_t follow_waiting, follow_stop, follow_hup, follow_usr1;

static void
follow_signal(int sig)
{
	if (sig == SIGHUP)
		follow_hup = 1;
	else if (sig == SIGUSR1)
		follow_usr1 = 1;
	else
		follow_stop = 1;
	if (follow_waiting) {
		follow_waiting = 0;
		siglongjmp(follow_jb, 1);
	}
}

struct follow *
follow_new(const struct follow_opts *o)
{
	struct follow *fw;

	if ((fw = calloc(1, sizeof(*fw))) == NULL)
		return NULL;
	fw->fo_o = *o;
	TAILQ_INIT(&fw->fo_outbox);
	ingest_client_init(&fw->fo_ic);
	fw->fo_backoff_ms = FOLLOW_RETRY_MIN_MS;
	fw->fo_cap = 65536;
	if ((fw->fo_buf = malloc(fw->fo_cap)) == NULL) {
		free(fw);
		return NULL;
	}
	return fw;
}

static void follow_pop(struct follow *fw);

void
follow_free(struct follow *fw)
{
	if (fw == NULL)
		return;
	while (!TAILQ_EMPTY(&fw->fo_outbox))
		follow_pop(fw);
	ingest_client_close(&fw->fo_ic);
	free(fw->fo_buf);
	free(fw);
}

void
follow_emit(json_object *ev, void *arg)
{
	struct follow *fw = arg;
	struct follow_item *it;
	json_object *v;
	const char *s;
	size_t len;

	s = json_object_to_json_string_length(
	    ev, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL || (it = calloc(1, sizeof(*it))) == NULL ||
	    (it->fi_line = malloc(len + 1)) == NULL) {
		if (s != NULL)
			free(it);
		log_warnx("oom", "%s: out of memory: a usage event is lost", __func__);
		return;
	}
	memcpy(it->fi_line, s, len);
	it->fi_line[len] = '\n';
	it->fi_len = len + 1;
	if (json_object_object_get_ex(ev, "id", &v))
		snprintf(it->fi_id, sizeof(it->fi_id), "%s", json_object_get_string(v));
	TAILQ_INSERT_TAIL(&fw->fo_outbox, it, fi_entry);
	fw->fo_nout++;
}

static void
follow_pop(struct follow *fw)
{
	struct follow_item *it = TAILQ_FIRST(&fw->fo_outbox);

	TAILQ_REMOVE(&fw->fo_outbox, it, fi_entry);
	fw->fo_nout--;
	free(it->fi_line);
	free(it);
}

/* The router is away or misbehaved: try again later. */
static void
follow_retry(struct follow *fw, enum ingest_status st, int64_t now)
{
	ingest_client_close(&fw->fo_ic);
	if (!fw->fo_down)
		log_warnx(ingest_client_status_name(st),
			  "%s: router %s at %s; %zu usage events wait, retrying", __func__,
			  ingest_client_status_name(st), fw->fo_o.fo_ingest, fw->fo_nout);
	fw->fo_down = 1;
	fw->fo_retry_us = now + (int64_t)fw->fo_backoff_ms * 1000;
	fw->fo_backoff_ms = fw->fo_backoff_ms * 2 > FOLLOW_RETRY_MAX_MS ? FOLLOW_RETRY_MAX_MS
									: fw->fo_backoff_ms * 2;
}

/* Sends what waits, in order, until the outbox is empty or the router fails. */
static void
follow_deliver(struct follow *fw, int64_t now)
{
	struct follow_item *it;
	enum ingest_status st;
	char reason[64];
	long long seq = 0;

	if (TAILQ_EMPTY(&fw->fo_outbox) || now < fw->fo_retry_us)
		return;
	/* the connection kept since the last batch, unless the router closed
	 * it meanwhile (a restart): then a new one, without a failed request
	 * and a back-off first */
	if ((st = ingest_client_ready(&fw->fo_ic, fw->fo_o.fo_ingest, fw->fo_o.fo_ack_ms)) !=
	    INGEST_ACCEPTED) {
		follow_retry(fw, st, now);
		return;
	}
	while ((it = TAILQ_FIRST(&fw->fo_outbox)) != NULL) {
		st = ingest_client_request(&fw->fo_ic, it->fi_line, it->fi_len, fw->fo_o.fo_ack_ms,
					   reason, sizeof(reason), &seq);
		switch (st) {
		case INGEST_ACCEPTED:
			fw->fo_sent++;
			break;
		case INGEST_DUPLICATE:
			fw->fo_dup++; /* sent before a restart: the router has it */
			break;
		case INGEST_REJECTED:
			fw->fo_rejected++;
			log_warnx(reason[0] != '\0' ? reason : "rejected",
				  "%s: router rejected usage event %s (%zu bytes)", __func__,
				  it->fi_id, it->fi_len);
			break;
		default:
			follow_retry(fw, st, util_mono_us());
			return;
		}
		follow_pop(fw);
	}
	if (fw->fo_down)
		log_info("%s: router back at %s; every waiting usage event delivered", __func__,
			 fw->fo_o.fo_ingest);
	fw->fo_down = 0;
	fw->fo_backoff_ms = FOLLOW_RETRY_MIN_MS;
	fw->fo_retry_us = 0;
}

/* Writes the state when everything made so far is delivered. */
static void
follow_save(struct follow *fw, int64_t now, int force)
{
	char err[512];
	int seq_due;

	if (!TAILQ_EMPTY(&fw->fo_outbox))
		return;
	seq_due = fw->fo_seq != fw->fo_saved_seq &&
		  (force || now - fw->fo_saved_us >= FOLLOW_SEQ_SAVE_US);
	if (!sessions_dirty(fw->fo_ss) && !seq_due)
		return;
	if (sessions_save(fw->fo_ss, fw->fo_seq, seq_due, err, sizeof(err)) == -1) {
		log_warnx("state", "%s: %s", __func__, err);
		return;
	}
	fw->fo_saved_seq = fw->fo_seq;
	fw->fo_saved_us = now;
}

/* Handles up to FOLLOW_RING_BATCH ring records.  Returns 1 when more wait. */
static int
follow_ring(struct follow *fw, int64_t now)
{
	enum ring_read_status st;
	uint64_t seq, lf, lt;
	size_t len;
	char *nb;
	int n = 0;

	while (n < FOLLOW_RING_BATCH) {
		len = fw->fo_cap;
		st = ring_read(fw->fo_ring, &fw->fo_cur, fw->fo_buf, &len, &seq, NULL, &lf, &lt);
		if (st == RING_EMPTY)
			return 0;
		if (st == RING_TOOSMALL) {
			if ((nb = realloc(fw->fo_buf, len)) == NULL) {
				log_warnx("oom", "%s: out of memory for a %zu-byte event", __func__,
					  len);
				return 0;
			}
			fw->fo_buf = nb;
			fw->fo_cap = len;
			continue;
		}
		if (st == RING_LAPPED) {
			fw->fo_lost += lt - lf + 1;
			log_warnx("lapped",
				  "%s: events %" PRIu64 "..%" PRIu64
				  " left the ring before they were "
				  "read; their sessions are caught up by their next hook",
				  __func__, lf, lt);
			continue;
		}
		sessions_event(fw->fo_ss, fw->fo_buf, len, now);
		fw->fo_seq = seq;
		fw->fo_records++;
		n++;
	}
	return 1;
}

static void
follow_status(struct follow *fw)
{
	const struct sessions_stats *s;
	size_t mem, active;

	s = sessions_stats(fw->fo_ss, &mem, &active);
	log_info("%s: seq %" PRIu64 ", %" PRIu64 " ring events, %" PRIu64
		 " naming a transcript, %" PRIu64 " lost; %zu sessions in memory, %zu active; "
		 "%" PRIu64 " usage events made (%" PRIu64 " unpriced), %" PRIu64
		 " accepted, %" PRIu64 " duplicate, %" PRIu64 " rejected, %zu waiting; %" PRIu64
		 " read errors",
		 __func__, fw->fo_seq, fw->fo_records, s->sst_events, fw->fo_lost, mem, active,
		 s->sst_messages, s->sst_unpriced, fw->fo_sent, fw->fo_dup, fw->fo_rejected,
		 fw->fo_nout, s->sst_read_errors);
}

/* Waits on the ring's futex word; a signal ends the wait even when it
 * comes between the flag check and the system call (see the header). */
static void
follow_wait(const struct ring *r, uint32_t seen, int timeout_ms)
{
	if (sigsetjmp(follow_jb, 1) != 0)
		return; /* the handler jumped here: follow_waiting is 0 again */
	follow_waiting = 1;
	if (!follow_stop && !follow_hup && !follow_usr1 && ringwake_wait(r, seen, timeout_ms) == -1)
		log_warn("futex", "%s: ring_wait", __func__);
	follow_waiting = 0;
}

int
follow_run(struct follow *fw, struct ring *r, struct sessions *ss, void (*ready)(void *), void *arg)
{
	struct sigaction sa;
	uint64_t last, lf, lt;
	int64_t now, next, timeout_us;
	int have, more, i, timeout_ms;
	uint32_t seen;
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};

	fw->fo_ring = r;
	fw->fo_ss = ss;

	/* no SA_RESTART: a signal ends the futex wait */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = follow_signal;
	sigfillset(&sa.sa_mask);
	for (i = 0; i < 4; i++)
		sigaction(sigs[i], &sa, NULL);

	/* where to start: after the last event handled, else at the end */
	last = sessions_last_seq(ss, &have);
	if (have) {
		if (ring_seek(r, &fw->fo_cur, last + 1, &lf, &lt) == 1) {
			fw->fo_lost += lt - lf + 1;
			log_warnx("lapped",
				  "%s: events %" PRIu64 "..%" PRIu64
				  " left the ring while event-usage "
				  "was away; their sessions are caught up by their next hook",
				  __func__, lf, lt);
		}
		fw->fo_seq = fw->fo_saved_seq = last;
	} else
		ring_seek_end(r, &fw->fo_cur);
	log_info("%s: following the ring from seq %" PRIu64 "%s", __func__, fw->fo_cur.next_seq,
		 have ? "" : " (no state yet: new events only)");
	ready(arg);

	while (!follow_stop) {
		if (follow_hup) {
			follow_hup = 0;
			log_reopen();
			if (fw->fo_o.fo_reload != NULL)
				fw->fo_o.fo_reload(arg);
		}
		if (follow_usr1) {
			follow_usr1 = 0;
			follow_status(fw);
		}
		seen = ring_notify_value(r);
		now = util_mono_us();
		more = follow_ring(fw, now);
		next = 0;
		if (fw->fo_nout < FOLLOW_OUTBOX_MAX)
			next = sessions_run(ss, now, FOLLOW_READ_BUDGET);
		follow_deliver(fw, util_mono_us());
		now = util_mono_us();
		follow_save(fw, now, 0);
		sessions_evict(ss, now);

		/* sleep until the ring moves, a read is due or a retry */
		if (!TAILQ_EMPTY(&fw->fo_outbox) && (next == 0 || fw->fo_retry_us < next))
			next = fw->fo_retry_us > 0 ? fw->fo_retry_us : now;
		if (more || (next != 0 && next <= now))
			continue;
		timeout_us = next == 0 ? -1 : next - now;
		timeout_ms = timeout_us < 0 ? -1 : (int)((timeout_us + 999) / 1000);
		follow_wait(r, seen, timeout_ms);
	}

	/* stopping: deliver what waits if the router takes it, then write the state */
	log_info("%s: stopping at seq %" PRIu64, __func__, fw->fo_seq);
	fw->fo_retry_us = 0;
	follow_deliver(fw, util_mono_us());
	if (!TAILQ_EMPTY(&fw->fo_outbox))
		log_warnx("undelivered",
			  "%s: %zu usage events not delivered; the state stays where they are made "
			  "again from",
			  __func__, fw->fo_nout);
	follow_save(fw, util_mono_us(), 1);
	follow_status(fw);
	return 0;
}
