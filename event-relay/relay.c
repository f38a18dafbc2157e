/*
 * relay.c: follows the ring read-only and appends each event to a Redis
 * stream (event-relay(8)).
 *
 * Exactly once.  Every batch goes to Redis as one Lua script that reads the
 * last sequence number relayed for this origin from the hash
 * "<stream>:relayed", XADDs only the events after it, and stores the new
 * last one, all atomically (a script runs whole or, on a crash before it
 * ran, not at all; with AOF its effects are one MULTI/EXEC).  On every
 * (re)connection the relay asks that hash where it stopped and seeks the
 * ring there.  So a batch lost with its connection is sent again, a batch
 * that did land but whose reply was lost is skipped by the script, and a
 * SIGKILL at any point loses and doubles nothing.
 *
 * Buffering.  The ring is the buffer: while Redis is away the relay reads
 * nothing and the ring keeps the events (ring.size bytes of them); if the
 * router laps the relay, the lost range is logged and counted, never
 * silently skipped.
 *
 * Up to RELAY_INFLIGHT_MAX batches are in flight (pipelined, answered in
 * order); a reply, the deadline or the loss of the connection decides what
 * comes next.  A failed batch is never retried as such: the connection is
 * dropped, and the next one resumes from the position Redis holds.  Idle, the relay waits on the
 * ring's wake-up descriptor and Redis's socket: no timers run unless Redis
 * is away or the relay is behind.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "log.h"
#include "redisconn.h"
#include "relay.h"
#include "ring.h"
#include "ringwake.h"
#include "util.h"

/* KEYS: stream, "<stream>:relayed", "<stream>:lag"; ARGV: host, trim mode,
 * trim argument, lag, then seq and event for each event of the batch.
 * Returns {events appended, last seq relayed for host}. */
static const char relay_script[] =
    "local host, mode, arg = ARGV[1], ARGV[2], ARGV[3]\n"
    "local lasts = redis.call('HGET', KEYS[2], host) or '0'\n"
    "local last = tonumber(lasts)\n"
    "local n = 0\n"
    "for i = 5, #ARGV, 2 do\n"
    "  local seq = tonumber(ARGV[i])\n"
    "  if seq > last then\n"
    "    if mode == 'maxlen' then\n"
    "      redis.call('XADD', KEYS[1], 'MAXLEN', '~', arg, '*', 'host', host, 'seq', ARGV[i], "
    "'event', ARGV[i+1])\n"
    "    elseif mode == 'minid' then\n"
    "      redis.call('XADD', KEYS[1], 'MINID', '~', arg, '*', 'host', host, 'seq', ARGV[i], "
    "'event', ARGV[i+1])\n"
    "    else\n"
    "      redis.call('XADD', KEYS[1], '*', 'host', host, 'seq', ARGV[i], 'event', ARGV[i+1])\n"
    "    end\n"
    "    last = seq; lasts = ARGV[i]; n = n + 1\n"
    "  end\n"
    "end\n"
    "if n > 0 then redis.call('HSET', KEYS[2], host, lasts) end\n"
    "redis.call('HSET', KEYS[3], host, ARGV[4])\n"
    "return {n, lasts}\n";

#define RELAY_FIXED_ARGS   10 /* EVAL script 3 k1 k2 k3 host mode arg lag */
#define RELAY_LAG_LOG_S	   10 /* status line every so often while behind or down */
#define RELAY_INFLIGHT_MAX 2  /* batches sent before the first reply: Redis never waits on us */

enum relay_state { RL_DOWN = 0, RL_CONNECTING, RL_UP };

struct relay {
	struct ring *rl_ring;
	struct ringwake *rl_wake;
	struct ring_cursor rl_cur;
	struct event *rl_wakeev;  /* the ring's wake-up descriptor */
	struct event *rl_watchev; /* reply deadline */
	struct event *rl_lagev;	  /* status while behind */
	struct redisconn *rl_rc;  /* the connection, its setup and its back-off */
	struct relay_opts rl_o;
	char *rl_stream, *rl_host, *rl_relayed_key, *rl_lag_key;
	enum relay_state rl_state;
	int rl_inflight; /* batches sent and not answered */
	void (*rl_ready_cb)(void *);
	void *rl_ready_arg;

	uint64_t rl_relayed; /* last seq Redis holds for this origin */
	int64_t rl_down_us;  /* when the connection was lost, 0 when up */

	/* batch buffers: events are copied into the arena, then pointed at */
	char *rl_buf;
	size_t rl_cap;
	char *rl_arena;
	size_t rl_alen, rl_acap;
	size_t *rl_off; /* arena offset of event i, then of its seq text */
	const char **rl_argv;
	size_t *rl_argvlen;

	/* counters (relay_log_status) */
	uint64_t rl_n_sent, rl_n_skipped, rl_n_lost, rl_n_batches, rl_n_connects;
};

static void relay_pump(struct relay *r);

static uint64_t
relay_lag(const struct relay *r)
{
	uint64_t last = ring_last_seq(r->rl_ring);

	return last > r->rl_relayed ? last - r->rl_relayed : 0;
}

static void
relay_ready(struct relay *r)
{
	void (*cb)(void *) = r->rl_ready_cb;

	r->rl_ready_cb = NULL;
	if (cb != NULL)
		cb(r->rl_ready_arg);
}

static void
relay_lag_arm(struct relay *r)
{
	struct timeval tv = {RELAY_LAG_LOG_S, 0};

	if (!evtimer_pending(r->rl_lagev, NULL))
		evtimer_add(r->rl_lagev, &tv);
}

/* The connection is gone, or never came (redisconn schedules the next
 * attempt): logged once with the lag, and the ready callback told. */
static void
relay_down_cb(void *arg, enum redisconn_down what, const char *why)
{
	struct relay *r = arg;

	switch (what) {
	case REDISCONN_FAILED:
		log_warnx("redis_connect", "%s: %s:%d: %s; %" PRIu64 " events behind", __func__,
			  r->rl_o.url.ru_host, r->rl_o.url.ru_port, why, relay_lag(r));
		break;
	case REDISCONN_LOST:
		log_warnx("redis_lost",
			  "%s: %s:%d: connection lost (%s); %" PRIu64 " events behind", __func__,
			  r->rl_o.url.ru_host, r->rl_o.url.ru_port, why, relay_lag(r));
		break;
	case REDISCONN_DROPPED:
		log_warnx("redis_drop", "%s: %s:%d: %s: reconnecting; %" PRIu64 " events behind",
			  __func__, r->rl_o.url.ru_host, r->rl_o.url.ru_port, why, relay_lag(r));
		break;
	}
	r->rl_state = RL_DOWN;
	r->rl_inflight = 0;
	evtimer_del(r->rl_watchev);
	if (r->rl_down_us == 0)
		r->rl_down_us = util_mono_us();
	relay_lag_arm(r);
	relay_ready(r);
}

/* HGET <stream>:relayed <host>: where this origin stopped.  Seek the ring there. */
static void
relay_resume_cb(redisAsyncContext *ac, void *rep, void *arg)
{
	struct relay *r = redisconn_arg(ac);
	redisReply *rp = rep;
	uint64_t last = 0, lost_from = 0, lost_to = 0, ring_last;
	int64_t down_ms;
	char *end;

	if (rp == NULL || ac != redisconn_ctx(r->rl_rc) || r->rl_state != RL_CONNECTING)
		return;
	if (rp->type == REDIS_REPLY_STRING) {
		errno = 0;
		last = strtoull(rp->str, &end, 10);
		if (errno || *end != '\0') {
			redisconn_drop(r->rl_rc, "the relayed position in Redis is not a number");
			return;
		}
	} else if (rp->type != REDIS_REPLY_NIL) {
		redisconn_drop(r->rl_rc,
			       rp->type == REDIS_REPLY_ERROR ? rp->str : "unexpected HGET reply");
		return;
	}
	evtimer_del(r->rl_watchev);
	r->rl_relayed = last;
	ring_last = ring_last_seq(r->rl_ring);
	if (last > ring_last)
		log_warnx("seq_regressed",
			  "%s: Redis holds seq %" PRIu64 " for %s but the ring ends at %" PRIu64
			  ": events up to seq %" PRIu64
			  " are taken as relayed (a new journal under an old host name?)",
			  __func__, last, r->rl_host, ring_last, last);
	if (ring_seek(r->rl_ring, &r->rl_cur, last + 1, &lost_from, &lost_to) == 1 &&
	    lost_to >= lost_from) {
		r->rl_n_lost += lost_to - lost_from + 1;
		log_warnx("lost",
			  "%s: seq %" PRIu64 "..%" PRIu64 " left the ring before they were relayed",
			  __func__, lost_from, lost_to);
	}
	r->rl_state = RL_UP;
	redisconn_ok(r->rl_rc);
	r->rl_n_connects++;
	down_ms = r->rl_down_us ? (util_mono_us() - r->rl_down_us) / 1000 : 0;
	r->rl_down_us = 0;
	log_info("%s: %s:%d: stream %s, host %s: resuming after seq %" PRIu64 ", %" PRIu64
		 " events behind (down %lld ms)",
		 __func__, r->rl_o.url.ru_host, r->rl_o.url.ru_port, r->rl_stream, r->rl_host, last,
		 relay_lag(r), (long long)down_ms);
	relay_ready(r);
	relay_pump(r);
}

/* A connection is under way (AUTH and SELECT queued): ask where this
 * origin stopped, within the reply deadline. */
static void
relay_start_cb(void *arg, redisAsyncContext *ac)
{
	struct relay *r = arg;
	struct timeval tv = util_ms_tv(r->rl_o.timeout_ms);

	r->rl_state = RL_CONNECTING;
	redisAsyncCommand(ac, relay_resume_cb, NULL, "HGET %s %s", r->rl_relayed_key, r->rl_host);
	evtimer_add(r->rl_watchev, &tv);
}

static void
relay_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct relay *r = arg;
	char why[96];

	snprintf(why, sizeof(why), "no reply within %d ms", r->rl_o.timeout_ms);
	redisconn_drop(r->rl_rc, why);
}

static void
relay_lag_cb(evutil_socket_t fd, short what, void *arg)
{
	struct relay *r = arg;

	relay_log_status(r);
	if (r->rl_state != RL_UP || relay_lag(r) > 0)
		relay_lag_arm(r);
}

static void
relay_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct relay *r = arg;

	ringwake_ack(r->rl_wake);
	relay_pump(r);
}

static void
relay_batch_cb(redisAsyncContext *ac, void *rep, void *arg)
{
	struct relay *r = redisconn_arg(ac);
	redisReply *rp = rep;
	long long batch_n = (long long)(intptr_t)arg;
	uint64_t last;
	long long n;
	char *end;

	if (rp == NULL || ac != redisconn_ctx(r->rl_rc) || r->rl_inflight == 0)
		return; /* the connection went; relay_down_cb() and the resume take over */
	if (--r->rl_inflight == 0)
		evtimer_del(r->rl_watchev);
	if (rp->type == REDIS_REPLY_ERROR) {
		char why[200];
		snprintf(why, sizeof(why), "script refused: %.150s", rp->str);
		redisconn_drop(r->rl_rc, why);
		return;
	}
	if (rp->type != REDIS_REPLY_ARRAY || rp->elements != 2 ||
	    rp->element[0]->type != REDIS_REPLY_INTEGER ||
	    rp->element[1]->type != REDIS_REPLY_STRING) {
		redisconn_drop(r->rl_rc, "unexpected script reply");
		return;
	}
	n = rp->element[0]->integer;
	errno = 0;
	last = strtoull(rp->element[1]->str, &end, 10);
	if (errno || *end != '\0' || n < 0 || n > batch_n) {
		redisconn_drop(r->rl_rc, "unexpected script reply");
		return;
	}
	r->rl_relayed = last;
	r->rl_n_sent += (uint64_t)n;
	r->rl_n_skipped += (uint64_t)(batch_n - n);
	r->rl_n_batches++;
	relay_pump(r);
	if (r->rl_inflight == 0 && relay_lag(r) == 0 && evtimer_pending(r->rl_lagev, NULL)) {
		evtimer_del(r->rl_lagev);
		log_info("%s: caught up at seq %" PRIu64, __func__, r->rl_relayed);
	}
}

/* Appends len bytes to the arena; returns their offset or (size_t)-1. */
static size_t
relay_arena_add(struct relay *r, const char *p, size_t len)
{
	size_t off = r->rl_alen, ncap;
	char *na;

	if (r->rl_acap - r->rl_alen < len) {
		ncap = r->rl_acap ? r->rl_acap : 65536;
		while (ncap - r->rl_alen < len)
			ncap *= 2;
		if ((na = realloc(r->rl_arena, ncap)) == NULL)
			return (size_t)-1;
		r->rl_arena = na;
		r->rl_acap = ncap;
	}
	memcpy(r->rl_arena + off, p, len);
	r->rl_alen += len;
	return off;
}

/* Reads one batch from the ring and sends it.  Returns 1 when sent, 0 when
 * there was nothing to send or the connection was dropped. */
static int
relay_send_batch(struct relay *r)
{
	uint64_t seq, lost_from, lost_to;
	int64_t ts_us;
	size_t len, seqoff, evoff;
	char seqtxt[24], mode[8], arg[32], lag[24];
	int n = 0, i, st;
	struct timeval tv;

	r->rl_alen = 0;
	while (n < r->rl_o.batch_max && r->rl_alen < r->rl_o.batch_bytes) {
		st = ring_read_grow(r->rl_ring, &r->rl_cur, &r->rl_buf, &r->rl_cap, &len, &seq,
				    &ts_us, &lost_from, &lost_to);
		if (st == -1) {
			log_warnx("oom", "%s: out of memory reading the ring", __func__);
			break;
		}
		if (st == RING_EMPTY)
			break;
		if (st == RING_LAPPED) {
			r->rl_n_lost += lost_to - lost_from + 1;
			log_warnx("lost",
				  "%s: seq %" PRIu64 "..%" PRIu64
				  " left the ring before they were relayed (Redis too slow or "
				  "away too long for ring.size)",
				  __func__, lost_from, lost_to);
			continue;
		}
		snprintf(seqtxt, sizeof(seqtxt), "%" PRIu64, seq);
		if ((seqoff = relay_arena_add(r, seqtxt, strlen(seqtxt))) == (size_t)-1 ||
		    (evoff = relay_arena_add(r, r->rl_buf, len)) == (size_t)-1) {
			log_warnx("oom", "%s: out of memory building a batch", __func__);
			break;
		}
		r->rl_off[2 * n] = seqoff;
		r->rl_off[2 * n + 1] = evoff;
		r->rl_argvlen[RELAY_FIXED_ARGS + 2 * n] = strlen(seqtxt);
		r->rl_argvlen[RELAY_FIXED_ARGS + 2 * n + 1] = len;
		n++;
	}
	if (n == 0)
		return 0;
	/* the arena may have moved while growing: point into it now */
	for (i = 0; i < 2 * n; i++)
		r->rl_argv[RELAY_FIXED_ARGS + i] = r->rl_arena + r->rl_off[i];
	if (r->rl_o.minid_age_s > 0) {
		snprintf(mode, sizeof(mode), "minid");
		snprintf(arg, sizeof(arg), "%lld",
			 (long long)(util_now_us() / 1000 - r->rl_o.minid_age_s * 1000));
	} else if (r->rl_o.maxlen > 0) {
		snprintf(mode, sizeof(mode), "maxlen");
		snprintf(arg, sizeof(arg), "%lld", r->rl_o.maxlen);
	} else {
		snprintf(mode, sizeof(mode), "none");
		snprintf(arg, sizeof(arg), "0");
	}
	{
		uint64_t last = ring_last_seq(r->rl_ring);
		snprintf(lag, sizeof(lag), "%" PRIu64, last > seq ? last - seq : 0);
	}
	r->rl_argv[0] = "EVAL";
	r->rl_argv[1] = relay_script;
	r->rl_argv[2] = "3";
	r->rl_argv[3] = r->rl_stream;
	r->rl_argv[4] = r->rl_relayed_key;
	r->rl_argv[5] = r->rl_lag_key;
	r->rl_argv[6] = r->rl_host;
	r->rl_argv[7] = mode;
	r->rl_argv[8] = arg;
	r->rl_argv[9] = lag;
	for (i = 0; i < RELAY_FIXED_ARGS; i++)
		r->rl_argvlen[i] = strlen(r->rl_argv[i]);
	/* hiredis formats (copies) the command here: the buffers are free again after */
	if (redisAsyncCommandArgv(redisconn_ctx(r->rl_rc), relay_batch_cb, (void *)(intptr_t)n,
				  RELAY_FIXED_ARGS + 2 * n, r->rl_argv,
				  r->rl_argvlen) != REDIS_OK) {
		redisconn_drop(r->rl_rc, "cannot queue the batch");
		return 0;
	}
	r->rl_inflight++;
	/* the deadline runs from the newest batch sent */
	tv = util_ms_tv(r->rl_o.timeout_ms);
	evtimer_add(r->rl_watchev, &tv);
	if (relay_lag(r) > (uint64_t)r->rl_o.batch_max)
		relay_lag_arm(r);
	return 1;
}

/* Sends batches while up, until RELAY_INFLIGHT_MAX are unanswered or the ring
 * is drained.  Replies come in order, so the position Redis holds only moves
 * forward. */
static void
relay_pump(struct relay *r)
{
	while (r->rl_state == RL_UP && redisconn_ctx(r->rl_rc) != NULL &&
	       r->rl_inflight < RELAY_INFLIGHT_MAX && relay_send_batch(r))
		;
}

static char *
relay_concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s;

	if ((s = malloc(la + lb + 1)) == NULL)
		return NULL;
	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}

struct relay *
relay_new(struct event_base *base, const char *ring_name, const struct relay_opts *o,
	  void (*ready_cb)(void *), void *arg, char *err, size_t errlen)
{
	static const struct redisconn_cb cb = {relay_start_cb, relay_down_cb};
	struct relay *r;
	size_t nargs;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->rl_o = *o;
	r->rl_ready_cb = ready_cb;
	r->rl_ready_arg = arg;
	nargs = RELAY_FIXED_ARGS + 2 * (size_t)o->batch_max;
	if ((r->rl_stream = strdup(o->stream)) == NULL || (r->rl_host = strdup(o->host)) == NULL ||
	    (r->rl_relayed_key = relay_concat(o->stream, ":relayed")) == NULL ||
	    (r->rl_lag_key = relay_concat(o->stream, ":lag")) == NULL ||
	    (r->rl_off = calloc(2 * (size_t)o->batch_max, sizeof(*r->rl_off))) == NULL ||
	    (r->rl_argv = calloc(nargs, sizeof(*r->rl_argv))) == NULL ||
	    (r->rl_argvlen = calloc(nargs, sizeof(*r->rl_argvlen))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	r->rl_o.stream = r->rl_stream;
	r->rl_o.host = r->rl_host;
	if ((r->rl_ring = ring_open(ring_name, err, errlen)) == NULL ||
	    (r->rl_wake = ringwake_new(r->rl_ring, err, errlen)) == NULL ||
	    (r->rl_rc = redisconn_new(base, &r->rl_o.url, o->reconnect_max_ms, 0, &cb, r, err,
				      errlen)) == NULL)
		goto fail;
	ring_seek_end(r->rl_ring, &r->rl_cur);
	if ((r->rl_wakeev = event_new(base, ringwake_fd(r->rl_wake), EV_READ | EV_PERSIST,
				      relay_wake_cb, r)) == NULL ||
	    event_add(r->rl_wakeev, NULL) == -1 ||
	    (r->rl_watchev = evtimer_new(base, relay_watch_cb, r)) == NULL ||
	    (r->rl_lagev = evtimer_new(base, relay_lag_cb, r)) == NULL) {
		snprintf(err, errlen, "libevent: cannot create events");
		goto fail;
	}
	redisconn_connect(r->rl_rc);
	return r;
fail:
	relay_free(r);
	return NULL;
}

void
relay_free(struct relay *r)
{
	if (r == NULL)
		return;
	redisconn_free(r->rl_rc); /* an atomic batch in flight happened or did not */
	if (r->rl_wakeev != NULL)
		event_free(r->rl_wakeev);
	if (r->rl_watchev != NULL)
		event_free(r->rl_watchev);
	if (r->rl_lagev != NULL)
		event_free(r->rl_lagev);
	ringwake_free(r->rl_wake);
	ring_close(r->rl_ring);
	free(r->rl_buf);
	free(r->rl_arena);
	free(r->rl_off);
	free(r->rl_argv);
	free(r->rl_argvlen);
	free(r->rl_stream);
	free(r->rl_host);
	free(r->rl_relayed_key);
	free(r->rl_lag_key);
	free(r);
}

void
relay_log_status(struct relay *r)
{
	log_info("%s: %s, relayed up to seq %" PRIu64 ", ring at %" PRIu64 ", %" PRIu64
		 " events behind; appended %" PRIu64 ", skipped as already there %" PRIu64
		 ", lost %" PRIu64 ", batches %" PRIu64 ", connections %" PRIu64,
		 __func__, r->rl_state == RL_UP ? "up" : "Redis unreachable", r->rl_relayed,
		 ring_last_seq(r->rl_ring), relay_lag(r), r->rl_n_sent, r->rl_n_skipped,
		 r->rl_n_lost, r->rl_n_batches, r->rl_n_connects);
}
