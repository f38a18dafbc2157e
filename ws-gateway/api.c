/*
 * api.c: the hookwire API on the Socket.IO layer (namespace "/").
 *
 * A client connects with its token in the auth payload; a scoped token's
 * sessions are copied into the client (a reload of the token files does not
 * change what a connected client may see).  Clients on "/" are on gw->api
 * (struct api_client), which feed.c walks for each broadcast.  The server
 * emits claude_event (feed.c), sessions (the sessions table, at most once
 * every API_SESSIONS_THROTTLE_MS when it changed, filtered by scope), stats
 * (every API_STATS_SECONDS while clients are connected, when it changed) and
 * gap; clients emit get_history (acknowledged with an array of events, see
 * history.c) and subscribe/unsubscribe (acknowledged with the subscriptions).
 *
 * Connection-state recovery: the CONNECT reply carries a pid; every
 * claude_event carries its seq as the last argument (a string, which is what
 * socket.io-client records as its offset).  A client that reconnects with
 * {pid, offset} is answered with the same pid and gets the events after
 * offset replayed from the source, in order, before any new one; if some
 * left the ring it first gets a gap event {from, to}.  With an event store,
 * what left the ring comes from the store first (store_worker.c), the
 * client's live events held meanwhile; a store that has not answered
 * within API_CATCHUP_MS is not waited for: the ring's events and the gap,
 * as without one, and the store's late answer is dropped.  The ring is the
 * store, so this works across a gateway restart.  The sid is derived from
 * the pid (eio_sid_of_pid), so the client keeps its id, and the
 * subscriptions of a client whose transport went away are parked for
 * API_PARKED_SECONDS under its pid and given back when it recovers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "log.h"
#include "store_query.h"
#include "util.h"

#define API_SUBS_MAX		 1024 /* subscriptions of one client */
#define API_SESSIONS_THROTTLE_MS 1000
#define API_STATS_SECONDS	 5
#define API_STATS_MAX		 512  /* the stats object */
#define API_PARKED_MAX		 1024 /* subscriptions kept for recovery, oldest dropped first */
#define API_SEARCH_MAX		 1000 /* hits in one search answer */
#define API_PARKED_SECONDS	 120 /* how long (the reference server's maxDisconnectionDuration) */
/* How long a recovery waits for the store before the client gets the ring's
 * events and a gap for the rest, as without a store: its live events are
 * held meanwhile, and a worker stuck on a slow disk would hold them forever. */
#define API_CATCHUP_MS 1000
/* A recovery sends what the client missed while its output holds less than
 * half of gateway.outbuf_soft, then pauses (its live events held) and looks
 * again every API_REPLAY_POLL_MS until the output is below a quarter: a
 * client that missed more than gateway.outbuf_hard (a session of large tool
 * results) gets it all, as fast as it reads, instead of being cut off. */
#define API_REPLAY_POLL_MS  10
#define API_REPLAY_HIGH(gw) ((gw)->cfg.outbuf_soft / 2) /* it pauses at this much output */
#define API_REPLAY_LOW(gw)  ((gw)->cfg.outbuf_soft / 4) /* and goes on below this */

/* ---------------------------------------------------------------- what the server emits */

void
api_emit_gap(struct eio_session *s, uint64_t lf, uint64_t lt)
{
	char gap[96];
	int n;

	n = snprintf(gap, sizeof(gap), "{\"from\":%llu,\"to\":%llu}", (unsigned long long)lf,
		     (unsigned long long)lt);
	s->es_gw->m.gaps++;
	sio_layer_emit(s, "/", "gap", gap, (size_t)n);
}

/* Acknowledges packet id with one argument: the JSON array whose
 * comma-separated elements are in elems (emptied). */
static void
api_ack_array(struct eio_session *s, long long id, struct evbuffer *elems)
{
	size_t len;

	evbuffer_prepend(elems, "[[", 2);
	evbuffer_add(elems, "]]", 2);
	len = evbuffer_get_length(elems);
	sio_layer_send(s, SIO_ACK, "/", id, (const char *)evbuffer_pullup(elems, (ssize_t)len),
		       len);
	evbuffer_drain(elems, len);
}

/* Acknowledges packet id with one argument: {"error": why}. */
static void
api_ack_error(struct eio_session *s, long long id, const char *why)
{
	char ans[64];
	int n = snprintf(ans, sizeof(ans), "[{\"error\":\"%s\"}]", why);

	sio_layer_send(s, SIO_ACK, "/", id, ans, (size_t)n);
}

/* The sessions table as client s may see it. */
static void
api_emit_sessions(struct eio_session *s)
{
	char *j;
	size_t jl;

	if ((j = cc_sessions_json(s->es_gw, s->es_api.ac_scope, s->es_api.ac_nscope, 0, &jl)) ==
	    NULL)
		return;
	sio_layer_emit(s, "/", "sessions", j, jl);
	free(j);
}

/* The sessions table changed a while ago: every client gets it (the whole
 * table encoded once for the clients without a scope). */
static void
api_sessions_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct gw *gw = arg;
	struct api_client *a, *na;
	char *all = NULL;
	size_t al = 0;

	gw->cc_sessions_dirty = 0;
	TAILQ_FOREACH_SAFE (a, &gw->api, ac_entry, na) {
		if (a->ac_scope != NULL) {
			api_emit_sessions(a->ac_session);
			continue;
		}
		if (all == NULL && (all = cc_sessions_json(gw, NULL, 0, 0, &al)) == NULL)
			return;
		sio_layer_emit(a->ac_session, "/", "sessions", all, al);
	}
	free(all);
}

void
api_sessions_changed(struct gw *gw)
{
	struct timeval tv = util_ms_tv(API_SESSIONS_THROTTLE_MS);

	if (TAILQ_EMPTY(&gw->api) || evtimer_pending(gw->sessions_ev, NULL))
		return;
	evtimer_add(gw->sessions_ev, &tv);
}

/* The stats object into j; returns its length. */
static int
api_stats_json(struct gw *gw, char *j, size_t jlen)
{
	long clients = gw->napi; /* kept, not counted: this runs on every connect */

	return snprintf(j, jlen,
			"{\"clients\":%ld,\"websocket\":%ld,\"polling\":%ld,\"head\":%llu,"
			"\"first\":%llu,\"delivered\":%llu,\"dropped_clients\":%llu,"
			"\"sessions\":%zu}",
			clients, gw->nws, gw->npolling,
			(unsigned long long)(gw->src ? source_last_seq(gw->src) : 0),
			(unsigned long long)(gw->src ? source_first_seq(gw->src) : 0),
			(unsigned long long)gw->m.deliveries,
			(unsigned long long)gw->m.disc[GW_DISC_SLOW], gw->ncc_sessions);
}

/* Every API_STATS_SECONDS while clients are connected, and only when something
 * changed: encoded once, shared by every client. */
static void
api_stats_cb(evutil_socket_t fd, short ev, void *arg)
{
	static char last[API_STATS_MAX];
	struct gw *gw = arg;
	struct api_client *a, *na;
	struct bcast *b;
	char j[API_STATS_MAX], pkt[API_STATS_MAX + 32];
	int n;

	n = api_stats_json(gw, j, sizeof(j));
	if (n < 0 || (size_t)n >= sizeof(j) || strcmp(j, last) == 0)
		return;
	memcpy(last, j, (size_t)n + 1);
	n = snprintf(pkt, sizeof(pkt), "2[\"stats\",%s]", j);
	if ((b = bcast_new(pkt, (size_t)n)) == NULL)
		return;
	TAILQ_FOREACH_SAFE (a, &gw->api, ac_entry, na)
		eio_session_send_bcast(a->ac_session, b);
	bcast_unref(b);
}

/* ---------------------------------------------------------------- clients */

static void
api_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Frees a's copy of its token's scope. */
static void
api_scope_clear(struct api_client *a)
{
	api_strv_free(a->ac_scope, a->ac_nscope);
	a->ac_scope = NULL;
	a->ac_nscope = 0;
}

/* s is freed (sio_handlers.sh_free): its API state goes. */
static void
api_client_free(struct eio_session *s)
{
	api_strv_free(s->es_api.ac_subs, s->es_api.ac_nsubs);
	s->es_api.ac_subs = NULL;
	s->es_api.ac_nsubs = 0;
	api_scope_clear(&s->es_api);
	if (s->es_api.ac_catchup_ev != NULL)
		event_free(s->es_api.ac_catchup_ev);
	s->es_api.ac_catchup_ev = NULL;
	if (s->es_api.ac_replay_ev != NULL)
		event_free(s->es_api.ac_replay_ev);
	s->es_api.ac_replay_ev = NULL;
}

/* ---------------------------------------------------------------- parked subscriptions */

static void
api_parked_drop(struct gw *gw, struct api_parked *p)
{
	TAILQ_REMOVE(&gw->parked, p, p_entry);
	gw->nparked--;
	api_strv_free(p->p_subs, p->p_nsubs);
	free(p);
}

/* Drops what is past its time (the list is in order of expiry). */
static void
api_parked_expire(struct gw *gw, int64_t now)
{
	struct api_parked *p;

	while ((p = TAILQ_FIRST(&gw->parked)) != NULL && p->p_until <= now)
		api_parked_drop(gw, p);
}

/* Keeps s's subscriptions for the recovery of its pid; takes them from s. */
static void
api_park(struct eio_session *s)
{
	struct gw *gw = s->es_gw;
	struct api_client *a = &s->es_api;
	struct api_parked *p;
	int64_t now = util_mono_us();

	if (!gw->cfg.recovery || a->ac_pid[0] == '\0' || a->ac_nsubs == 0 || gw->shutting_down)
		return;
	api_parked_expire(gw, now);
	if (gw->nparked >= API_PARKED_MAX)
		api_parked_drop(gw, TAILQ_FIRST(&gw->parked));
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return; /* the client recovers with no subscriptions: it sees more, not less */
	memcpy(p->p_pid, a->ac_pid, sizeof(p->p_pid));
	p->p_subs = a->ac_subs;
	p->p_nsubs = a->ac_nsubs;
	p->p_until = now + (int64_t)API_PARKED_SECONDS * 1000000;
	a->ac_subs = NULL;
	a->ac_nsubs = 0;
	TAILQ_INSERT_TAIL(&gw->parked, p, p_entry);
	gw->nparked++;
}

/* Gives s the subscriptions parked under its pid, if any. */
static void
api_unpark(struct eio_session *s)
{
	struct gw *gw = s->es_gw;
	struct api_client *a = &s->es_api;
	struct api_parked *p;

	api_parked_expire(gw, util_mono_us());
	for (p = TAILQ_FIRST(&gw->parked); p != NULL; p = TAILQ_NEXT(p, p_entry))
		if (strcmp(p->p_pid, a->ac_pid) == 0)
			break;
	if (p == NULL)
		return;
	api_strv_free(a->ac_subs, a->ac_nsubs);
	a->ac_subs = p->p_subs;
	a->ac_nsubs = p->p_nsubs;
	p->p_subs = NULL;
	p->p_nsubs = 0;
	api_parked_drop(gw, p);
}

/* ---------------------------------------------------------------- connect and leave */

static int api_replay_pause(struct eio_session *s, uint64_t from);

/* Replays the events after offset up to what has been broadcast, or up to
 * API_REPLAY_HIGH of output, then pauses (api_replay_pause()). */
static void
api_replay(struct eio_session *s, unsigned long long offset)
{
	struct gw *gw = s->es_gw;
	struct api_client *a = &s->es_api;
	struct history_query visible = {.client = &s->es_api};
	struct source_cursor cur;
	struct bcast *b;
	uint64_t seq, lf = 0, lt = 0, end;
	int64_t ts;
	size_t len;
	int r;

	a->ac_replaying = 0;
	if (gw->src == NULL)
		return;
	end = source_next_seq(&gw->cur);
	if (offset + 1 >= end)
		return;
	if (source_seek(gw->src, &cur, offset + 1, &lf, &lt) == 1)
		api_emit_gap(s, lf, lt);
	while (source_next_seq(&cur) < end && !s->es_closed) {
		r = source_read(gw->src, &cur, &gw->rbuf, &gw->rbufcap, &len, &seq, &ts, &lf, &lt);
		if (r == SOURCE_EMPTY || r < 0)
			break;
		if (r == SOURCE_LAPPED) {
			api_emit_gap(s, lf, lt);
			continue;
		}
		if (!history_match(&visible, gw->rbuf, len))
			continue;
		if ((b = record_bcast(gw->rbuf, len, seq)) != NULL) {
			eio_session_send_bcast(s, b);
			bcast_unref(b);
		}
		if (eio_session_check_output(s) < 0)
			return;
		if (eio_session_outlen(s) >= API_REPLAY_HIGH(gw) && source_next_seq(&cur) < end &&
		    api_replay_pause(s, seq) == 0)
			return;
	}
}

/* The store answered a recovery: its events, then the ring's from where it
 * stopped, then the live ones again. */
static void
api_catchup_done(struct gw *gw, struct store_req *r)
{
	struct eio_session *s = store_req_session(gw, r);
	struct bcast *b;
	struct record rec;
	json_object *v;
	size_t len;
	char *p, *nl, *end;
	uint64_t last = r->since, seq;
	int filtered = r->scope != NULL || r->nsubs > 0;

	if (s == NULL || !s->es_api.ac_catchup)
		return; /* gone, or the ring answered after API_CATCHUP_MS */
	evtimer_del(s->es_api.ac_catchup_ev);
	if (r->result != STORE_RESULT_OK) {
		/* no store after all: from the ring, with its gap, as without one */
		s->es_api.ac_catchup = 0;
		api_replay(s, r->since);
		return;
	}
	len = evbuffer_get_length(r->out);
	p = (char *)evbuffer_pullup(r->out, (ssize_t)len);
	for (end = p + len; p != NULL && p < end && !s->es_closed; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		if (record_parse(p, (size_t)(nl - p), &rec) == 0 &&
		    json_object_object_get_ex(rec.r_obj, "seq", &v)) {
			seq = (uint64_t)json_object_get_int64(v);
			/* a hole the store has (retention, gap rows): named, for a
			 * client that sees every session (else filtered rows look alike) */
			if (seq > last + 1 && !filtered)
				api_emit_gap(s, last + 1, seq - 1);
			last = seq;
		}
		record_clear(&rec);
		if ((b = record_bcast(p, (size_t)(nl - p), last)) != NULL) {
			eio_session_send_bcast(s, b);
			bcast_unref(b);
		}
	}
	s->es_api.ac_catchup = 0;
	s->es_api.ac_stored += r->count;
	if (s->es_closed || eio_session_check_output(s) < 0)
		return;
	/* the answer's bytes (gateway.history_bytes): the store again from
	 * there once the client has read this (out of memory for the timer:
	 * on from the ring, with a gap for the rest, as below) */
	if (r->full && api_replay_pause(s, last) == 0)
		return;
	if ((r->count >= r->limit || !filtered) && last + 1 < r->before)
		api_emit_gap(s, last + 1, r->before - 1); /* beyond one answer, or not stored */
	api_replay(s, r->before - 1);
}

/* The store has not answered a recovery within API_CATCHUP_MS: the ring's
 * events, with a gap for what it lacks; the store's answer is dropped. */
static void
api_catchup_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct eio_session *s = arg;
	struct api_client *a = &s->es_api;

	if (!a->ac_catchup || s->es_closed || !a->ac_listed)
		return;
	log_warnx("store_slow", "%s: %s: no store answer within %d ms; recovering from the ring",
		  __func__, s->es_id, API_CATCHUP_MS);
	a->ac_catchup = 0;
	api_replay(s, a->ac_catchup_from);
	if (!s->es_closed)
		eio_session_check_output(s);
}

/* A store request for client s: whom it answers (its eio session, the
 * client's generation, ack_id) and what it may see (its scope, and its
 * subscriptions when subs); NULL when out of memory. */
static struct store_req *
api_store_req(struct eio_session *s, long long ack_id, int subs)
{
	struct api_client *a = &s->es_api;
	struct store_req *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	memcpy(r->es_id, s->es_id, sizeof(r->es_id));
	r->gen = a->ac_gen;
	r->ack_id = ack_id;
	r->scope = store_strv_dup(a->ac_scope, a->ac_nscope);
	r->nscope = r->scope ? a->ac_nscope : 0;
	if (subs) {
		r->subs = store_strv_dup(a->ac_subs, a->ac_nsubs);
		r->nsubs = r->subs ? a->ac_nsubs : 0;
	}
	if ((a->ac_scope && !r->scope) || (subs && a->ac_nsubs > 0 && !r->subs)) {
		store_req_free(r);
		return NULL;
	}
	return r;
}

/* Recovery from an offset the ring no longer holds: the store's events
 * first, on the worker, for at most API_CATCHUP_MS; 0 when asked, -1
 * (replay from the ring, a gap). */
static int
api_catchup(struct eio_session *s, unsigned long long offset)
{
	struct gw *gw = s->es_gw;
	struct api_client *a = &s->es_api;
	struct store_req *r;
	struct timeval tv = util_ms_tv(API_CATCHUP_MS);
	uint64_t first = gw->src != NULL ? source_first_seq(gw->src) : 0;

	if (gw->store == NULL || first <= 1 || offset + 1 >= first ||
	    (r = api_store_req(s, 0, 1)) == NULL)
		return -1;
	r->have_since = 1;
	r->since = offset;
	r->before = first;
	/* at most STORE_LIMIT_MAX - 1 in all, however many answers the bytes take */
	r->limit = STORE_LIMIT_MAX - 1 - a->ac_stored;
	if (r->limit <= 0) {
		store_req_free(r);
		return -1;
	}
	r->bytes_max = gw->cfg.history_bytes;
	r->ndjson = 1;
	r->done = api_catchup_done;
	if (store_worker_submit(gw, r) < 0) {
		store_req_free(r);
		return -1;
	}
	a->ac_catchup = 1;
	a->ac_catchup_from = offset;
	if (a->ac_catchup_ev == NULL)
		a->ac_catchup_ev = evtimer_new(gw->base, api_catchup_timeout, s);
	if (a->ac_catchup_ev != NULL)
		evtimer_add(a->ac_catchup_ev, &tv);
	return 0;
}

/* Goes on with a recovery after seq from: from the store while that is below
 * the ring, else from the ring. */
static void
api_recover_from(struct eio_session *s, uint64_t from)
{
	if (api_catchup(s, from) < 0)
		api_replay(s, from);
}

/* A paused recovery: goes on once the client has read most of its output. */
static void
api_replay_poll(evutil_socket_t fd, short ev, void *arg)
{
	struct eio_session *s = arg;
	struct api_client *a = &s->es_api;
	struct timeval tv = util_ms_tv(API_REPLAY_POLL_MS);

	(void)fd;
	(void)ev;
	if (!a->ac_replaying || s->es_closed)
		return;
	if (eio_session_outlen(s) >= API_REPLAY_LOW(s->es_gw)) {
		evtimer_add(a->ac_replay_ev, &tv);
		return;
	}
	api_recover_from(s, a->ac_replay_from);
}

/* Pauses s's recovery after seq from: its live events are held meanwhile
 * (feed.c), and it goes on from from when its output has gone down.  0, or
 * -1 when there is no timer for it (out of memory): the caller goes on at
 * once, as before there was a pause, up to the output's hard limit. */
static int
api_replay_pause(struct eio_session *s, uint64_t from)
{
	struct api_client *a = &s->es_api;
	struct timeval tv = util_ms_tv(API_REPLAY_POLL_MS);

	if (a->ac_replay_ev == NULL &&
	    (a->ac_replay_ev = evtimer_new(s->es_gw->base, api_replay_poll, s)) == NULL)
		return -1;
	a->ac_replaying = 1;
	a->ac_replay_from = from;
	evtimer_add(a->ac_replay_ev, &tv);
	return 0;
}

/* The string field key of the CONNECT's auth payload, or NULL. */
static const char *
api_auth_str(json_object *auth, const char *key)
{
	json_object *v;

	if (auth != NULL && json_object_object_get_ex(auth, key, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

/* Checks the token: refuses the client (-1), or gives it its scope (0). */
static int
api_connect_token(struct eio_session *s, const char *token)
{
	struct gw *gw = s->es_gw;
	struct api_client *a = &s->es_api;
	const struct gw_scoped *scoped = NULL;
	size_t i, ns;
	int kind;

	kind = token != NULL ? auth_token(gw, token, &scoped) : 0;
	if (kind == 0) {
		conn_count_refusal(gw, GW_REFUSED_TOKEN);
		log_warnx("token", "%s: client %s: %s token", __func__, s->es_id,
			  token ? "wrong" : "no");
		sio_layer_connect_error(s, "/", "not authorized");
		return -1;
	}
	if (kind == 2) {
		/* the session keeps its own copy: a reload (SIGHUP) may free the table */
		api_scope_clear(a);
		ns = scoped != NULL ? scoped->nsessions : 0;
		if ((a->ac_scope = calloc(ns > 0 ? ns : 1, sizeof(char *))) == NULL)
			return -1; /* ns == 0: scoped to nothing */
		for (i = 0; i < ns; i++) {
			if ((a->ac_scope[i] = strdup(scoped->sessions[i])) == NULL)
				return -1;
			a->ac_nscope = i + 1;
		}
	}
	return 0;
}

/* Recovery: the client's pid (the one it offers with an offset, when it is a
 * plain token; else a new one) and the sid that follows from it, so that a
 * recovered client keeps its id.  Returns 1 when the client recovers. */
static int
api_connect_pid(struct eio_session *s, const char *pid, const char *offset, unsigned long long *off)
{
	struct api_client *a = &s->es_api;
	char newpid[EIO_SID_LEN + 1];
	int recover = 0;
	size_t i;

	if (pid != NULL && strlen(pid) <= EIO_SID_LEN && offset != NULL &&
	    history_parse_seq(offset, off) == 0)
		recover = 1;
	if (!recover) {
		eio_new_sid(newpid);
		pid = newpid;
	}
	/* pid is echoed only when it is a plain token */
	for (i = 0; pid[i] != '\0'; i++)
		if (pid[i] == '"' || pid[i] == '\\' || (unsigned char)pid[i] < 0x20) {
			eio_new_sid(newpid);
			pid = newpid;
			recover = 0;
			break;
		}
	snprintf(a->ac_pid, sizeof(a->ac_pid), "%s", pid);
	eio_sid_of_pid(a->ac_pid, strlen(a->ac_pid), s->es_sio.sc_sid);
	if (recover)
		api_unpark(s);
	return recover;
}

/* CONNECT on "/" (sio_handlers.sh_connect): checks the token, replies, may
 * replay, then sends the sessions table and the stats. */
static int
api_connect(struct eio_session *s, struct sio_packet *p)
{
	struct gw *gw = s->es_gw;
	struct api_client *a = &s->es_api;
	unsigned long long off = 0;
	char body[256], j[API_STATS_MAX];
	int recover = 0, n;

	if (api_connect_token(s, api_auth_str(p->data, "token")) < 0)
		return -1;
	if (gw->cfg.recovery) {
		recover = api_connect_pid(s, api_auth_str(p->data, "pid"),
					  api_auth_str(p->data, "offset"), &off);
		n = snprintf(body, sizeof(body), "{\"sid\":\"%s\",\"pid\":\"%s\"}",
			     s->es_sio.sc_sid, a->ac_pid);
	} else
		n = snprintf(body, sizeof(body), "{\"sid\":\"%s\"}", s->es_sio.sc_sid);
	sio_layer_send(s, SIO_CONNECT, "/", -1, body, (size_t)n);
	a->ac_gen = ++gw->store_gen;
	a->ac_catchup = 0;
	if (a->ac_catchup_ev != NULL)
		evtimer_del(a->ac_catchup_ev);
	a->ac_replaying = 0;
	a->ac_stored = 0;
	if (a->ac_replay_ev != NULL)
		evtimer_del(a->ac_replay_ev);
	if (!a->ac_listed) {
		a->ac_session = s;
		TAILQ_INSERT_TAIL(&gw->api, a, ac_entry);
		a->ac_listed = 1;
		gw->napi++;
	}
	if (!evtimer_pending(gw->stats_ev, NULL)) {
		struct timeval tv = {API_STATS_SECONDS, 0};
		evtimer_add(gw->stats_ev, &tv);
	}
	if (recover) {
		gw->m.recovered++;
		if (api_catchup(s, off) < 0)
			api_replay(s, off);
		if (s->es_closed)
			return 0;
	}
	api_emit_sessions(s);
	n = api_stats_json(gw, j, sizeof(j));
	if (n > 0 && (size_t)n < sizeof(j))
		sio_layer_emit(s, "/", "stats", j, (size_t)n);
	return 0;
}

/* The client leaves "/" (sio_handlers.sh_leave).  park: its transport went away
 * (not a DISCONNECT), so its subscriptions are kept for the recovery of its pid. */
static void
api_leave(struct eio_session *s, int park)
{
	struct gw *gw = s->es_gw;
	struct api_client *a = &s->es_api;

	if (!a->ac_listed)
		return;
	if (park)
		api_park(s);
	TAILQ_REMOVE(&gw->api, a, ac_entry);
	a->ac_listed = 0;
	gw->napi--;
	if (TAILQ_EMPTY(&gw->api)) {
		evtimer_del(gw->stats_ev);
		evtimer_del(gw->sessions_ev);
	}
}

/* ---------------------------------------------------------------- subscriptions */

static int
api_sub_add(struct api_client *a, const char *id)
{
	char **n;

	if (record_in(a->ac_subs, a->ac_nsubs, id))
		return 0;
	if (a->ac_nsubs >= API_SUBS_MAX)
		return -1;
	if ((n = reallocarray(a->ac_subs, a->ac_nsubs + 1, sizeof(*n))) == NULL)
		return -1;
	a->ac_subs = n;
	if ((a->ac_subs[a->ac_nsubs] = strdup(id)) == NULL)
		return -1;
	a->ac_nsubs++;
	return 0;
}

static void
api_sub_del(struct api_client *a, const char *id)
{
	size_t i;

	for (i = 0; i < a->ac_nsubs; i++) {
		if (strcmp(a->ac_subs[i], id) == 0) {
			free(a->ac_subs[i]);
			a->ac_subs[i] = a->ac_subs[--a->ac_nsubs];
			return;
		}
	}
}

/* subscribe (add) or unsubscribe a session id or an array of them. */
static int
api_subscribe(struct api_client *a, json_object *arg, int add)
{
	size_t i, n;
	json_object *e;

	if (json_object_is_type(arg, json_type_string)) {
		if (add)
			return api_sub_add(a, json_object_get_string(arg));
		api_sub_del(a, json_object_get_string(arg));
		return 0;
	}
	if (!json_object_is_type(arg, json_type_array))
		return -1;
	n = json_object_array_length(arg);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(arg, i);
		if (!json_object_is_type(e, json_type_string))
			return -1;
		if (add) {
			if (api_sub_add(a, json_object_get_string(e)) < 0)
				return -1;
		} else
			api_sub_del(a, json_object_get_string(e));
	}
	return 0;
}

/* Acknowledges packet id with the client's subscriptions. */
static void
api_subs_ack(struct eio_session *s, long long id)
{
	struct api_client *a = &s->es_api;
	struct evbuffer *out;
	json_object *js;
	const char *t;
	size_t i, l;

	if ((out = evbuffer_new()) == NULL)
		return;
	for (i = 0; i < a->ac_nsubs; i++) {
		js = json_object_new_string(a->ac_subs[i]);
		t = sio_json(js, &l);
		if (i > 0)
			evbuffer_add(out, ",", 1);
		evbuffer_add(out, t, l);
		json_object_put(js);
	}
	api_ack_array(s, id, out);
	evbuffer_free(out);
}

/* ---------------------------------------------------------------- events from clients */

/* get_history's query object {since, session, event, limit} into q. */
static void
api_history_query(struct gw *gw, json_object *args, struct history_query *q)
{
	json_object *v;
	int64_t l;

	q->limit = gw->cfg.history_max;
	if (args == NULL || !json_object_is_type(args, json_type_object))
		return;
	if (json_object_object_get_ex(args, "since", &v)) {
		if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0) {
			q->have_since = 1;
			q->since = (unsigned long long)json_object_get_int64(v);
		} else if (json_object_is_type(v, json_type_string) &&
			   history_parse_seq(json_object_get_string(v), &q->since) == 0)
			q->have_since = 1;
	}
	if (json_object_object_get_ex(args, "session", &v) &&
	    json_object_is_type(v, json_type_string))
		q->session = json_object_get_string(v);
	if (json_object_object_get_ex(args, "event", &v) &&
	    json_object_is_type(v, json_type_string))
		q->event = json_object_get_string(v);
	if (json_object_object_get_ex(args, "limit", &v) && json_object_is_type(v, json_type_int)) {
		l = json_object_get_int64(v);
		if (l >= 0 && l < q->limit)
			q->limit = (long)l;
	}
}

/* The store answered a get_history: its events, then the ring's. */
static void
api_history_done(struct gw *gw, struct store_req *r)
{
	struct eio_session *s = store_req_session(gw, r);
	struct history_query q = {.client = s ? &s->es_api : NULL};
	struct evbuffer *out = r->out;

	if (s == NULL)
		return; /* the client has gone or reconnected: dropped */
	if (r->have_since && r->count < r->limit && !r->full && r->ring == NULL) {
		/* the first events after since: the store's, then the ring's from
		 * before on (none when the store's filled the answer's bytes) */
		struct evbuffer *tail = evbuffer_new();
		struct history_tally t = {r->bytes, 0};

		q.have_since = 1;
		q.since = r->before > 0 ? r->before - 1 : 0;
		q.session = r->session;
		q.event = r->event;
		q.limit = r->limit - r->count;
		q.bytes_max = r->bytes_max;
		if (tail != NULL) {
			if (history_collect(gw, &q, 0, tail, &t) > 0) {
				if (r->count > 0)
					evbuffer_add(out, ",", 1);
				evbuffer_add_buffer(out, tail);
			}
			evbuffer_free(tail);
		}
	} else if (r->ring != NULL && r->ring_count > 0) {
		if (r->count > 0)
			evbuffer_add(out, ",", 1);
		evbuffer_add_buffer(out, r->ring);
	}
	api_ack_array(s, r->ack_id, out);
	eio_session_check_output(s);
}

/* Asks the store for what q wants below the ring (before: the ring's first
 * seq); ring holds the ring's answer already (last-limit questions: its
 * ring_count events, ring_bytes bytes).
 * Returns 0 when queued, 1 when the store is busy, -1 when there is none. */
static int
api_history_store(struct eio_session *s, long long id, const struct history_query *q,
		  uint64_t before, struct evbuffer *ring, long ring_count, size_t ring_bytes)
{
	struct gw *gw = s->es_gw;
	struct store_req *r;

	if (gw->store == NULL || (r = api_store_req(s, id, 1)) == NULL)
		return -1;
	r->have_since = q->have_since;
	r->since = q->since;
	r->before = before;
	r->limit = q->limit - ring_count;
	r->session = q->session ? strdup(q->session) : NULL;
	r->event = q->event ? strdup(q->event) : NULL;
	r->ring = ring;
	r->ring_count = ring_count;
	r->bytes_max = q->bytes_max;
	r->bytes = ring_bytes;
	r->done = api_history_done;
	if ((q->session && !r->session) || (q->event && !r->event)) {
		r->ring = NULL;
		store_req_free(r);
		return -1;
	}
	if (store_worker_submit(gw, r) < 0) {
		r->ring = NULL;
		store_req_free(r);
		return 1;
	}
	return 0;
}

static void
api_get_history(struct eio_session *s, struct sio_packet *p)
{
	struct gw *gw = s->es_gw;
	struct history_query q = {.client = &s->es_api, .bytes_max = gw->cfg.history_bytes};
	struct history_tally t = {0, 0};
	struct evbuffer *out;
	uint64_t first;
	long n;
	int r;

	gw->m.history_requests++;
	api_history_query(
	    gw,
	    json_object_array_length(p->data) > 1 ? json_object_array_get_idx(p->data, 1) : NULL,
	    &q);
	if ((out = evbuffer_new()) == NULL)
		return;
	first = gw->src != NULL ? source_first_seq(gw->src) : 0;
	if (gw->store != NULL && first > 1 && q.limit > 0 && q.have_since && q.since + 1 < first) {
		/* it begins below the ring: the store, then the ring */
		if ((r = api_history_store(s, p->id, &q, first, NULL, 0, 0)) == 0) {
			evbuffer_free(out);
			return;
		}
		if (r == 1) {
			api_ack_error(s, p->id, "busy");
			evbuffer_free(out);
			return;
		}
	}
	n = history_collect(gw, &q, 0, out, &t);
	if (gw->store != NULL && first > 1 && !q.have_since && n < q.limit && !t.full) {
		/* the last limit: what the ring lacks comes from the store, before it */
		if ((r = api_history_store(s, p->id, &q, first, out, n, t.bytes)) == 0)
			return; /* out is the request's now */
	}
	api_ack_array(s, p->id, out);
	evbuffer_free(out);
	eio_session_check_output(s);
}

/* Queues r, whose answer acknowledges id; with the worker's queue full,
 * acknowledges "busy" at once instead (r freed). */
static void
api_store_ask(struct eio_session *s, long long id, struct store_req *r)
{
	if (store_worker_submit(s->es_gw, r) == 0)
		return;
	store_req_free(r);
	api_ack_error(s, id, "busy");
}

/* The string member key of o (a copy), or NULL; -1 when out of memory. */
static int
api_arg_str(json_object *o, const char *key, char **out)
{
	json_object *v;

	*out = NULL;
	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return 0;
	return (*out = strdup(json_object_get_string(v))) == NULL ? -1 : 0;
}

/* The store answered a search. */
static void
api_search_done(struct gw *gw, struct store_req *r)
{
	struct eio_session *s = store_req_session(gw, r);
	size_t len;

	if (s == NULL)
		return;
	if (evbuffer_get_length(r->out) == 0)
		evbuffer_add_printf(r->out, "{\"error\":\"store\"}");
	evbuffer_prepend(r->out, "[", 1);
	evbuffer_add(r->out, "]", 1);
	len = evbuffer_get_length(r->out);
	sio_layer_send(s, SIO_ACK, "/", r->ack_id,
		       (const char *)evbuffer_pullup(r->out, (ssize_t)len), len);
	eio_session_check_output(s);
}

/* The integer member key of o when it is from 1 to max, else 0. */
static int64_t
api_arg_count(json_object *o, const char *key, int64_t max)
{
	json_object *v;
	int64_t l;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	l = json_object_get_int64(v);
	return l > 0 && l <= max ? l : 0;
}

/* search {q, session?, project?, limit?, before?}: full text over the store,
 * acknowledged with {hits: [{seq, snippet, event}], more} (newest first). */
static void
api_search(struct eio_session *s, struct sio_packet *p)
{
	struct gw *gw = s->es_gw;
	json_object *o =
	    json_object_array_length(p->data) > 1 ? json_object_array_get_idx(p->data, 1) : NULL;
	struct store_req *r;
	uint64_t end = gw->src != NULL ? source_next_seq(&gw->cur) : 0;
	int64_t l;

	if (gw->store == NULL) {
		api_ack_error(s, p->id, "no_store");
		return;
	}
	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    (r = api_store_req(s, p->id, 1)) == NULL) {
		api_ack_error(s, p->id, "bad_request");
		return;
	}
	r->search = 1;
	r->limit = (l = api_arg_count(o, "limit", API_SEARCH_MAX)) ? (long)l : STORE_LIMIT_DEFAULT;
	r->bytes_max = gw->cfg.history_bytes;
	/* nothing not yet broadcast */
	r->before = (l = api_arg_count(o, "before", end != 0 ? (int64_t)end - 1 : INT64_MAX))
			? (uint64_t)l
			: end;
	r->done = api_search_done;
	if (api_arg_str(o, "q", &r->q) < 0 || r->q == NULL ||
	    api_arg_str(o, "session", &r->session) < 0 ||
	    api_arg_str(o, "project", &r->project) < 0) {
		store_req_free(r);
		api_ack_error(s, p->id, "bad_request");
		return;
	}
	api_store_ask(s, p->id, r);
}

/* A time bound of history_sessions: a number (ms since the epoch) or what
 * store_query_parse_time() reads (RFC 3339, a date, "2d"); 0 when absent, -1 when bad. */
static int
api_arg_time(json_object *o, const char *key, int64_t *us)
{
	json_object *v;
	uint64_t seq = 0;

	*us = 0;
	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		*us = json_object_get_int64(v) * 1000;
		return *us > 0 ? 0 : -1;
	}
	if (!json_object_is_type(v, json_type_string) ||
	    store_query_parse_time(json_object_get_string(v), util_now_us(), us, &seq) < 0 ||
	    *us == 0)
		return -1;
	return 0;
}

/* history_sessions {from?, to?, project?, limit?, before?}: the store's
 * sessions over any range of days, most recently active first, acknowledged
 * with {sessions: [...], more}. */
static void
api_history_sessions(struct eio_session *s, struct sio_packet *p)
{
	struct gw *gw = s->es_gw;
	json_object *o =
	    json_object_array_length(p->data) > 1 ? json_object_array_get_idx(p->data, 1) : NULL;
	struct store_req *r;
	int64_t l;

	if (gw->store == NULL) {
		api_ack_error(s, p->id, "no_store");
		return;
	}
	/* the sessions list is not narrowed by subscriptions: no subs */
	if ((o != NULL && !json_object_is_type(o, json_type_object)) ||
	    (r = api_store_req(s, p->id, 0)) == NULL) {
		api_ack_error(s, p->id, "bad_request");
		return;
	}
	r->sessions = 1;
	r->limit =
	    (l = api_arg_count(o, "limit", STORE_SESSIONS_MAX - 1)) ? (long)l : STORE_LIMIT_DEFAULT;
	r->done = api_search_done;
	if (o != NULL &&
	    (api_arg_time(o, "from", &r->from_us) < 0 || api_arg_time(o, "to", &r->to_us) < 0 ||
	     api_arg_time(o, "before", &r->before_us) < 0 ||
	     api_arg_str(o, "project", &r->project) < 0)) {
		store_req_free(r);
		api_ack_error(s, p->id, "bad_request");
		return;
	}
	api_store_ask(s, p->id, r);
}

/* An EVENT from a client on "/" (sio_handlers.sh_event); returns 0, or -1 to close it. */
static int
api_event(struct eio_session *s, struct sio_packet *p, char **att, size_t *attlen)
{
	json_object *name = json_object_array_get_idx(p->data, 0);
	json_object *arg =
	    json_object_array_length(p->data) > 1 ? json_object_array_get_idx(p->data, 1) : NULL;
	const char *ev;
	int add;

	if (!json_object_is_type(name, json_type_string))
		return 0;
	ev = json_object_get_string(name);
	if (strcmp(ev, "get_history") == 0) {
		if (p->id >= 0)
			api_get_history(s, p);
		return 0;
	}
	if (strcmp(ev, "history_sessions") == 0) {
		if (p->id >= 0)
			api_history_sessions(s, p);
		return 0;
	}
	if (strcmp(ev, "search") == 0) {
		if (p->id >= 0)
			api_search(s, p);
		return 0;
	}
	add = strcmp(ev, "subscribe") == 0;
	if (add || strcmp(ev, "unsubscribe") == 0) {
		if (arg == NULL || api_subscribe(&s->es_api, arg, add) < 0)
			return 0; /* a bad argument changes nothing more */
		if (p->id >= 0)
			api_subs_ack(s, p->id);
	}
	return 0;
}

/* ---------------------------------------------------------------- start, end */

static const char *const api_nsps[] = {"/", NULL};

/* The hookwire API on the Socket.IO layer: namespace "/" only. */
static const struct sio_handlers api_handlers = {
    .sh_nsps = api_nsps,
    .sh_connect = api_connect,
    .sh_event = api_event,
    .sh_leave = api_leave,
    .sh_free = api_client_free,
};

int
api_init(struct gw *gw)
{
	TAILQ_INIT(&gw->api);
	TAILQ_INIT(&gw->parked);
	gw->sessions_ev = evtimer_new(gw->base, api_sessions_cb, gw);
	gw->stats_ev = event_new(gw->base, -1, EV_PERSIST, api_stats_cb, gw);
	if (gw->sessions_ev == NULL || gw->stats_ev == NULL)
		return -1;
	sio_layer_init(gw, &api_handlers);
	return 0;
}

void
api_free(struct gw *gw)
{
	if (gw->sessions_ev)
		event_free(gw->sessions_ev);
	if (gw->stats_ev)
		event_free(gw->stats_ev);
	while (!TAILQ_EMPTY(&gw->parked))
		api_parked_drop(gw, TAILQ_FIRST(&gw->parked));
}
