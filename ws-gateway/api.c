/*
 * api.c: the hookwire API on top of Socket.IO, and its HTTP twin.
 *
 * Events come from the source (source.h) and are broadcast as
 *   42["claude_event",<canonical event>,"<seq>"]
 * encoded once per event into a struct bcast that every WebSocket client's
 * output references (evbuffer_add_reference, refcounted); long-polling
 * clients get a copy in their queue.  A client sees an event when the
 * event's session is in its token's scope (scoped tokens) and in its
 * subscriptions (when it has any).
 *
 * Connection-state recovery: the CONNECT reply carries a pid; every
 * claude_event carries its seq as the last argument (a string, which is what
 * socket.io-client records as its offset).  A client that reconnects with
 * {pid, offset} is answered with the same pid and gets the events after
 * offset replayed from the source, in order, before any new one; if some
 * left the ring it first gets a `gap` event {from, to}.  The ring is the
 * store, so this works across a gateway restart.  The sid is derived from
 * the pid (eio_sid_of_pid), so the client keeps its id, and the
 * subscriptions of a client whose transport went away are parked for
 * API_PARKED_SECONDS under its pid and given back when it recovers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway.h"
#include "log.h"
#include "util.h"

#define API_SESSIONS_MAX	 10000
#define API_ACTIVE_US		 (300LL * 1000000) /* a session is active for 5 minutes after an event */
#define API_SESSIONS_THROTTLE_MS 1000
#define API_STATS_SECONDS	 5
#define API_RETRY_SECONDS	 1
#define API_DRAIN_MAX		 256  /* ring events broadcast per event-loop pass */
#define API_PARKED_MAX		 1024 /* subscriptions kept for recovery, oldest dropped first */
#define API_PARKED_SECONDS	 120 /* how long (the reference server's maxDisconnectionDuration) */

static void api_source_cb(evutil_socket_t fd, short ev, void *arg);
static int api_connect(struct eio_session *s, struct sio_packet *p);
static int api_event(struct eio_session *s, struct sio_packet *p, char **att, size_t *attlen);
static void api_leave(struct eio_session *s, int park);
static void api_client_free(struct eio_session *s);

static const char *const api_nsps[] = {"/", NULL};

/* The hookwire API on the Socket.IO layer: namespace "/" only. */
static const struct sio_handlers api_handlers = {
    .sh_nsps = api_nsps,
    .sh_connect = api_connect,
    .sh_event = api_event,
    .sh_leave = api_leave,
    .sh_free = api_client_free,
};

/* ---------------------------------------------------------------- broadcasts */

/* Builds 2["claude_event",<json>,"<seq>"] into a new bcast. */
static struct bcast *
api_event_bcast(const char *json, size_t len, uint64_t seq)
{
	static const char pre[] = "2[\"claude_event\",";
	char tail[40];
	char *pkt;
	struct bcast *b;
	int tl;

	tl = snprintf(tail, sizeof(tail), ",\"%llu\"]", (unsigned long long)seq);
	if ((pkt = malloc(sizeof(pre) - 1 + len + (size_t)tl)) == NULL)
		return NULL;
	memcpy(pkt, pre, sizeof(pre) - 1);
	memcpy(pkt + sizeof(pre) - 1, json, len);
	memcpy(pkt + sizeof(pre) - 1 + len, tail, (size_t)tl);
	b = bcast_new(pkt, sizeof(pre) - 1 + len + (size_t)tl);
	free(pkt);
	return b;
}

/* ---------------------------------------------------------------- event fields */

struct api_fields {
	json_object *obj;
	const char *session_id, *event, *project, *tool, *ts;
};

static int
api_parse(const char *json, size_t len, struct api_fields *f)
{
	json_tokener *tok;
	json_object *v;

	memset(f, 0, sizeof(*f));
	if ((tok = json_tokener_new_ex(128)) == NULL)
		return -1;
	f->obj = json_tokener_parse_ex(tok, json, (int)len);
	json_tokener_free(tok);
	if (f->obj == NULL || !json_object_is_type(f->obj, json_type_object)) {
		if (f->obj != NULL)
			json_object_put(f->obj);
		f->obj = NULL;
		return -1;
	}
#define API_STR(k, dst)                                                                            \
	if (json_object_object_get_ex(f->obj, k, &v) && json_object_is_type(v, json_type_string))  \
		dst = json_object_get_string(v);
	API_STR("session_id", f->session_id);
	API_STR("event", f->event);
	API_STR("project", f->project);
	API_STR("tool", f->tool);
	API_STR("ts", f->ts);
#undef API_STR
	return 0;
}

static void
api_fields_clear(struct api_fields *f)
{
	if (f->obj != NULL)
		json_object_put(f->obj);
	f->obj = NULL;
}

/* Frees a's copy of its token's scope. */
static void
api_scope_clear(struct api_client *a)
{
	size_t i;

	for (i = 0; i < a->ac_nscope; i++)
		free(a->ac_scope[i]);
	free(a->ac_scope);
	a->ac_scope = NULL;
	a->ac_nscope = 0;
}

static int
api_in(char **list, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], id) == 0)
			return 1;
	return 0;
}

/* May client a see events of Claude Code session id (NULL: an event without one)? */
static int
api_visible(const struct api_client *a, const char *id)
{
	if (a->ac_scope != NULL && (id == NULL || !api_in(a->ac_scope, a->ac_nscope, id)))
		return 0;
	if (a->ac_nsubs > 0 && (id == NULL || !api_in(a->ac_subs, a->ac_nsubs, id)))
		return 0;
	return 1;
}

/* ---------------------------------------------------------------- the sessions table */

static struct cc_session *
api_ccs_find(struct gw *gw, const char *id)
{
	size_t i;

	for (i = gw->ncc_sessions; i > 0; i--)
		if (strcmp(gw->cc_sessions[i - 1].cs_id, id) == 0)
			return &gw->cc_sessions[i - 1];
	return NULL;
}

static void
api_ccs_drop_oldest(struct gw *gw)
{
	size_t i, o = 0;

	for (i = 1; i < gw->ncc_sessions; i++)
		if (gw->cc_sessions[i].cs_last_us < gw->cc_sessions[o].cs_last_us)
			o = i;
	free(gw->cc_sessions[o].cs_id);
	free(gw->cc_sessions[o].cs_project);
	free(gw->cc_sessions[o].cs_tool);
	memmove(&gw->cc_sessions[o], &gw->cc_sessions[o + 1],
		(gw->ncc_sessions - o - 1) * sizeof(gw->cc_sessions[0]));
	gw->ncc_sessions--;
}

static void
api_ccs_update(struct gw *gw, const struct api_fields *f, int64_t ts_us)
{
	struct cc_session *cs;

	if (f->session_id == NULL)
		return;
	if ((cs = api_ccs_find(gw, f->session_id)) == NULL) {
		if (gw->ncc_sessions >= API_SESSIONS_MAX)
			api_ccs_drop_oldest(gw);
		if (gw->ncc_sessions == gw->cc_sessions_cap) {
			size_t nc = gw->cc_sessions_cap ? gw->cc_sessions_cap * 2 : 16;
			struct cc_session *n = reallocarray(gw->cc_sessions, nc, sizeof(*n));
			if (n == NULL)
				return;
			gw->cc_sessions = n;
			gw->cc_sessions_cap = nc;
		}
		cs = &gw->cc_sessions[gw->ncc_sessions];
		memset(cs, 0, sizeof(*cs));
		if ((cs->cs_id = strdup(f->session_id)) == NULL)
			return;
		gw->ncc_sessions++;
		if (f->ts != NULL)
			strlcpy(cs->cs_started, f->ts, sizeof(cs->cs_started));
	}
	if (f->project != NULL &&
	    (cs->cs_project == NULL || strcmp(cs->cs_project, f->project) != 0)) {
		free(cs->cs_project);
		cs->cs_project = strdup(f->project);
	}
	if (f->tool != NULL && (cs->cs_tool == NULL || strcmp(cs->cs_tool, f->tool) != 0)) {
		free(cs->cs_tool);
		cs->cs_tool = strdup(f->tool);
	}
	if (f->ts != NULL)
		strlcpy(cs->cs_last, f->ts, sizeof(cs->cs_last));
	cs->cs_last_us = ts_us;
	cs->cs_events++;
	if (f->event != NULL) {
		if (strcmp(f->event, "SessionEnd") == 0)
			cs->cs_ended = 1;
		else if (strcmp(f->event, "SessionStart") == 0)
			cs->cs_ended = 0;
	}
	gw->cc_sessions_dirty = 1;
}

/* The sessions list as JSON (a new string; caller frees), filtered for client a (NULL: all). */
static char *
api_sessions_json(struct gw *gw, const struct api_client *a, size_t *len)
{
	json_object *arr, *o;
	int64_t now = util_now_us();
	const char *state, *txt;
	char *out;
	size_t i;

	if ((arr = json_object_new_array()) == NULL)
		return NULL;
	for (i = 0; i < gw->ncc_sessions; i++) {
		struct cc_session *cs = &gw->cc_sessions[i];
		if (a != NULL && a->ac_scope != NULL &&
		    !api_in(a->ac_scope, a->ac_nscope, cs->cs_id))
			continue;
		state = cs->cs_ended			       ? "ended"
			: now - cs->cs_last_us < API_ACTIVE_US ? "active"
							       : "idle";
		o = json_object_new_object();
		json_object_object_add(o, "session_id", json_object_new_string(cs->cs_id));
		json_object_object_add(
		    o, "project", cs->cs_project ? json_object_new_string(cs->cs_project) : NULL);
		json_object_object_add(o, "state", json_object_new_string(state));
		json_object_object_add(o, "started", json_object_new_string(cs->cs_started));
		json_object_object_add(o, "last", json_object_new_string(cs->cs_last));
		json_object_object_add(o, "events", json_object_new_int64((int64_t)cs->cs_events));
		json_object_object_add(o, "tool",
				       cs->cs_tool ? json_object_new_string(cs->cs_tool) : NULL);
		json_object_array_add(arr, o);
	}
	txt = sio_json(arr, len);
	out = malloc(*len + 1);
	if (out != NULL)
		memcpy(out, txt, *len + 1);
	json_object_put(arr);
	return out;
}

/* Tells client s that events lf..lt are lost: a `gap` event {from, to}. */
static void
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

static void
api_emit_sessions(struct eio_session *s)
{
	char *j;
	size_t jl;

	if ((j = api_sessions_json(s->es_gw, &s->es_api, &jl)) == NULL)
		return;
	sio_layer_emit(s, "/", "sessions", j, jl);
	free(j);
}

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
		if (all == NULL && (all = api_sessions_json(gw, NULL, &al)) == NULL)
			return;
		sio_layer_emit(a->ac_session, "/", "sessions", all, al);
	}
	free(all);
}

static void
api_sessions_changed(struct gw *gw)
{
	struct timeval tv = {0, API_SESSIONS_THROTTLE_MS * 1000};

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
			(unsigned long long)gw->m.deliveries, (unsigned long long)gw->m.disc_outbuf,
			gw->ncc_sessions);
}

/* Every API_STATS_SECONDS while clients are connected, and only when something
 * changed: encoded once, shared by every client. */
static void
api_stats_cb(evutil_socket_t fd, short ev, void *arg)
{
	static char last[512];
	struct gw *gw = arg;
	struct api_client *a, *na;
	struct bcast *b;
	char j[512], pkt[600];
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

/* ---------------------------------------------------------------- the source */

static void
api_broadcast(struct gw *gw, const char *json, size_t len, uint64_t seq, int64_t ts_us)
{
	struct api_fields f;
	struct bcast *b = NULL;
	struct api_client *a, *na;

	if (api_parse(json, len, &f) < 0) {
		log_warnx("bad_record", "%s: seq %llu: not a JSON object; skipped", __func__,
			  (unsigned long long)seq);
		return;
	}
	api_ccs_update(gw, &f, ts_us);
	gw->m.events_broadcast++;
	TAILQ_FOREACH_SAFE (a, &gw->api, ac_entry, na) {
		if (!api_visible(a, f.session_id))
			continue;
		if (b == NULL && (b = api_event_bcast(json, len, seq)) == NULL)
			break;
		eio_session_send_bcast(a->ac_session, b);
		gw->m.deliveries++;
		eio_session_check_output(a->ac_session);
	}
	bcast_unref(b);
	api_fields_clear(&f);
	if (gw->cc_sessions_dirty)
		api_sessions_changed(gw);
}

/* Tells every client that events lf..lt are lost (they never reached it). */
static void
api_broadcast_gap(struct gw *gw, uint64_t lf, uint64_t lt)
{
	struct api_client *a, *na;

	TAILQ_FOREACH_SAFE (a, &gw->api, ac_entry, na) {
		api_emit_gap(a->ac_session, lf, lt);
		eio_session_check_output(a->ac_session);
	}
}

/* Broadcasts the events the source holds, API_DRAIN_MAX per loop pass: a
 * burst of thousands (each copied into every long-polling session) must not
 * hold up heartbeats, accepts and writes for seconds.  The rest follows in
 * the next pass, after this pass's output is written. */
static void
api_source_drain(evutil_socket_t fd, short ev, void *arg)
{
	struct gw *gw = arg;
	uint64_t seq, lf, lt;
	int64_t ts;
	size_t len;
	int r, n;

	for (n = 0;; n++) {
		if (n == API_DRAIN_MAX) {
			event_active(gw->drain_ev, EV_TIMEOUT, 0);
			break;
		}
		r = source_read(gw->src, &gw->cur, &gw->rbuf, &gw->rbufcap, &len, &seq, &ts, &lf,
				&lt);
		if (r == SOURCE_EMPTY || r < 0)
			break;
		if (r == SOURCE_LAPPED) {
			gw->m.ring_lapped++;
			log_warnx("lapped", "%s: events %llu..%llu left the ring before broadcast",
				  __func__, (unsigned long long)lf, (unsigned long long)lt);
			api_broadcast_gap(gw, lf, lt);
			continue;
		}
		api_broadcast(gw, gw->rbuf, len, seq, ts);
	}
}

/* The source has news.  With gateway.coalesce_ms, the read waits that long
 * so that the events of the window reach each client in one write (fewer
 * system calls per message, at the price of that much latency). */
static void
api_source_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct gw *gw = arg;
	struct timeval tv;

	source_ack(gw->src);
	if (gw->cfg.coalesce_ms > 0 && gw->drain_ev != NULL) {
		if (!evtimer_pending(gw->drain_ev, NULL)) {
			tv = util_ms_tv(gw->cfg.coalesce_ms);
			evtimer_add(gw->drain_ev, &tv);
		}
		return;
	}
	api_source_drain(-1, 0, gw);
}

/* Reads the whole ring once to fill the sessions table. */
static void
api_seed(struct gw *gw)
{
	struct source_cursor cur;
	struct api_fields f;
	uint64_t seq, lf, lt, end;
	int64_t ts;
	size_t len;
	int r;

	end = source_next_seq(&gw->cur);
	source_seek(gw->src, &cur, source_first_seq(gw->src), &lf, &lt);
	while (source_next_seq(&cur) < end) {
		r = source_read(gw->src, &cur, &gw->rbuf, &gw->rbufcap, &len, &seq, &ts, &lf, &lt);
		if (r == SOURCE_EMPTY || r < 0)
			break;
		if (r == SOURCE_LAPPED)
			continue;
		if (api_parse(gw->rbuf, len, &f) == 0) {
			api_ccs_update(gw, &f, ts);
			api_fields_clear(&f);
		}
	}
	gw->cc_sessions_dirty = 0;
}

static int
api_open_source(struct gw *gw, char *err, size_t errlen)
{
	if (gw->cfg.source[0] != '\0')
		gw->src = source_open_redis(gw->base, gw->cfg.source, gw->cfg.source_stream,
					    gw->cfg.source_window, gw->cfg.source_window_bytes, err,
					    errlen);
	else
		gw->src = source_open_ring(gw->paths.ring_name, err, errlen);
	if (gw->src == NULL)
		return -1;
	source_seek_end(gw->src, &gw->cur);
	api_seed(gw);
	gw->src_ev =
	    event_new(gw->base, source_fd(gw->src), EV_READ | EV_PERSIST, api_source_cb, gw);
	if (gw->src_ev == NULL || event_add(gw->src_ev, NULL) < 0) {
		snprintf(err, errlen, "cannot watch the source");
		if (gw->src_ev != NULL)
			event_free(gw->src_ev);
		gw->src_ev = NULL;
		source_close(gw->src);
		gw->src = NULL;
		return -1;
	}
	log_info("%s: following %s %s from seq %llu (%zu sessions known)", __func__,
		 gw->cfg.source[0] ? "stream" : "ring",
		 gw->cfg.source[0] ? gw->cfg.source_stream : gw->paths.ring_name,
		 (unsigned long long)source_next_seq(&gw->cur), gw->ncc_sessions);
	return 0;
}

static void
api_retry_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct gw *gw = arg;
	struct timeval tv = {API_RETRY_SECONDS, 0};
	char err[256];

	/* The router creates the ring; until it has, look again every second. */
	if (api_open_source(gw, err, sizeof(err)) < 0)
		evtimer_add(gw->src_retry, &tv);
}

/* ---------------------------------------------------------------- parked subscriptions */

static void
api_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

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

/* s is freed (sio_handlers.sh_free): its API state goes. */
static void
api_client_free(struct eio_session *s)
{
	api_strv_free(s->es_api.ac_subs, s->es_api.ac_nsubs);
	s->es_api.ac_subs = NULL;
	s->es_api.ac_nsubs = 0;
	api_scope_clear(&s->es_api);
}

int
api_init(struct gw *gw)
{
	struct timeval tv = {API_RETRY_SECONDS, 0};
	char err[256];

	TAILQ_INIT(&gw->api);
	TAILQ_INIT(&gw->parked);
	sio_layer_init(gw, &api_handlers);
	gw->sessions_ev = evtimer_new(gw->base, api_sessions_cb, gw);
	gw->stats_ev = event_new(gw->base, -1, EV_PERSIST, api_stats_cb, gw);
	gw->src_retry = evtimer_new(gw->base, api_retry_cb, gw);
	gw->drain_ev = evtimer_new(gw->base, api_source_drain, gw);
	if (gw->sessions_ev == NULL || gw->stats_ev == NULL || gw->src_retry == NULL ||
	    gw->drain_ev == NULL)
		return -1;
	if (api_open_source(gw, err, sizeof(err)) < 0) {
		log_warnx("no_ring", "%s: %s; waiting for the router", __func__, err);
		evtimer_add(gw->src_retry, &tv);
	}
	return 0;
}

void
api_free(struct gw *gw)
{
	size_t i;

	if (gw->src_ev)
		event_free(gw->src_ev);
	if (gw->src_retry)
		event_free(gw->src_retry);
	if (gw->sessions_ev)
		event_free(gw->sessions_ev);
	if (gw->stats_ev)
		event_free(gw->stats_ev);
	if (gw->drain_ev)
		event_free(gw->drain_ev);
	source_close(gw->src);
	while (!TAILQ_EMPTY(&gw->parked))
		api_parked_drop(gw, TAILQ_FIRST(&gw->parked));
	for (i = 0; i < gw->ncc_sessions; i++) {
		free(gw->cc_sessions[i].cs_id);
		free(gw->cc_sessions[i].cs_project);
		free(gw->cc_sessions[i].cs_tool);
	}
	free(gw->cc_sessions);
	free(gw->rbuf);
}

/* ---------------------------------------------------------------- history */

struct api_query {
	int have_since;
	unsigned long long since; /* events with seq > since */
	const char *session;
	const char *event;
	long limit;
};

static int
api_matches(struct gw *gw, const struct api_client *a, const struct gw_scoped *scoped,
	    const struct api_query *q, const char *json, size_t len)
{
	struct api_fields f;
	int ok = 1;

	if (q->session == NULL && q->event == NULL && scoped == NULL &&
	    (a == NULL || (a->ac_scope == NULL && a->ac_nsubs == 0)))
		return 1;
	if (api_parse(json, len, &f) < 0)
		return 0;
	if (q->session != NULL && (f.session_id == NULL || strcmp(f.session_id, q->session) != 0))
		ok = 0;
	if (q->event != NULL && (f.event == NULL || strcmp(f.event, q->event) != 0))
		ok = 0;
	if (scoped != NULL &&
	    (f.session_id == NULL || !api_in(scoped->sessions, scoped->nsessions, f.session_id)))
		ok = 0;
	if (a != NULL && !api_visible(a, f.session_id))
		ok = 0;
	api_fields_clear(&f);
	return ok;
}

/* Appends the count-th event json[0..len) to out: a line of NDJSON, or an
 * element of a JSON array (after a comma unless it is the first). */
static void
api_history_add(struct evbuffer *out, int ndjson, long count, const char *json, size_t len)
{
	if (count > 0 && !ndjson)
		evbuffer_add(out, ",", 1);
	evbuffer_add(out, json, len);
	if (ndjson)
		evbuffer_add(out, "\n", 1);
}

/*
 * Appends matching events to out: ndjson (one per line) or as JSON array
 * elements separated by commas.  With since: the first limit events after
 * it; without: the last limit events.  Returns the count.
 */
static long
api_history(struct gw *gw, const struct api_client *a, const struct gw_scoped *scoped,
	    const struct api_query *q, int ndjson, struct evbuffer *out)
{
	struct source_cursor cur;
	uint64_t seq, lf, lt, end;
	int64_t ts;
	size_t len, i, head = 0, nkeep = 0;
	char **keep = NULL;
	size_t *keeplen = NULL;
	long count = 0;
	int r;

	if (gw->src == NULL || q->limit <= 0)
		return 0;
	end = source_next_seq(&gw->cur);
	source_seek(gw->src, &cur, q->have_since ? q->since + 1 : source_first_seq(gw->src), &lf,
		    &lt);
	if (!q->have_since) {
		keep = calloc((size_t)q->limit, sizeof(*keep));
		keeplen = calloc((size_t)q->limit, sizeof(*keeplen));
		if (keep == NULL || keeplen == NULL)
			goto done;
	}
	while (source_next_seq(&cur) < end) {
		r = source_read(gw->src, &cur, &gw->rbuf, &gw->rbufcap, &len, &seq, &ts, &lf, &lt);
		if (r == SOURCE_EMPTY || r < 0)
			break;
		if (r == SOURCE_LAPPED)
			continue;
		if (!api_matches(gw, a, scoped, q, gw->rbuf, len))
			continue;
		if (q->have_since) {
			api_history_add(out, ndjson, count, gw->rbuf, len);
			if (++count >= q->limit)
				break;
			continue;
		}
		/* keep the last limit matches in a circular buffer */
		i = (head + nkeep) % (size_t)q->limit;
		if (nkeep == (size_t)q->limit) {
			free(keep[head]);
			i = head;
			head = (head + 1) % (size_t)q->limit;
		} else
			nkeep++;
		if ((keep[i] = malloc(len)) != NULL)
			memcpy(keep[i], gw->rbuf, len);
		keeplen[i] = keep[i] ? len : 0;
	}
	for (i = 0; keep != NULL && i < nkeep; i++) {
		size_t k = (head + i) % (size_t)q->limit;
		if (keep[k] == NULL)
			continue;
		api_history_add(out, ndjson, count, keep[k], keeplen[k]);
		count++;
	}
done:
	if (keep != NULL)
		for (i = 0; i < (size_t)q->limit; i++)
			free(keep[i]);
	free(keep);
	free(keeplen);
	return count;
}

static int
api_parse_seq(const char *s, unsigned long long *out)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	*out = strtoull(s, &end, 10);
	return *end == '\0' ? 0 : -1;
}

/* ---------------------------------------------------------------- Socket.IO API */

static void
api_send_record(struct eio_session *s, const char *json, size_t len, uint64_t seq)
{
	struct bcast *b = api_event_bcast(json, len, seq);

	if (b == NULL)
		return;
	eio_session_send_bcast(s, b);
	bcast_unref(b);
}

/* Replays the events after offset up to what has been broadcast. */
static void
api_replay(struct eio_session *s, unsigned long long offset)
{
	struct gw *gw = s->es_gw;
	struct source_cursor cur;
	uint64_t seq, lf = 0, lt = 0, end;
	int64_t ts;
	size_t len;
	int r;

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
		if (!api_matches(gw, &s->es_api, NULL, &(struct api_query){0}, gw->rbuf, len))
			continue;
		api_send_record(s, gw->rbuf, len, seq);
		if (eio_session_check_output(s) < 0)
			return;
	}
}

/* CONNECT on "/": checks the token, replies, may replay (sio_handlers.sh_connect). */
static int
api_connect(struct eio_session *s, struct sio_packet *p)
{
	json_object *auth = p->data;
	struct gw *gw = s->es_gw;
	struct api_client *a = &s->es_api;
	const struct gw_scoped *scoped = NULL;
	json_object *v;
	const char *token = NULL, *pid = NULL, *offset = NULL;
	unsigned long long off = 0;
	char newpid[EIO_SID_LEN + 1], body[256];
	int recover = 0, n, kind;
	size_t i, ns;

	if (auth != NULL) {
		if (json_object_object_get_ex(auth, "token", &v) &&
		    json_object_is_type(v, json_type_string))
			token = json_object_get_string(v);
		if (json_object_object_get_ex(auth, "pid", &v) &&
		    json_object_is_type(v, json_type_string))
			pid = json_object_get_string(v);
		if (json_object_object_get_ex(auth, "offset", &v) &&
		    json_object_is_type(v, json_type_string))
			offset = json_object_get_string(v);
	}
	kind = token != NULL ? auth_token(gw, token, &scoped) : 0;
	if (kind == 0) {
		gw->m.refused_token++;
		log_warnx("token", "%s: client %s: %s token", __func__, s->es_id,
			  token ? "wrong" : "no");
		sio_layer_connect_error(s, "/", "not authorized");
		return -1;
	}
	if (kind == 2) {
		/* the session keeps its own copy: a reload (SIGHUP) may free the table */
		api_scope_clear(&s->es_api);
		ns = scoped != NULL ? scoped->nsessions : 0;
		if ((a->ac_scope = calloc(ns > 0 ? ns : 1, sizeof(char *))) == NULL)
			return -1; /* ns == 0: scoped to nothing */
		for (i = 0; i < ns; i++) {
			if ((a->ac_scope[i] = strdup(scoped->sessions[i])) == NULL)
				return -1;
			a->ac_nscope = i + 1;
		}
	}
	if (gw->cfg.recovery && pid != NULL && strlen(pid) <= EIO_SID_LEN && offset != NULL &&
	    api_parse_seq(offset, &off) == 0)
		recover = 1;
	if (!recover) {
		eio_new_sid(newpid);
		pid = newpid;
	}
	if (gw->cfg.recovery) {
		/* pid is echoed only when it is a plain token */
		for (i = 0; pid[i] != '\0'; i++)
			if (pid[i] == '"' || pid[i] == '\\' || (unsigned char)pid[i] < 0x20) {
				eio_new_sid(newpid);
				pid = newpid;
				recover = 0;
				break;
			}
		/* the sid follows from the pid: a recovered client keeps its id */
		snprintf(a->ac_pid, sizeof(a->ac_pid), "%s", pid);
		eio_sid_of_pid(a->ac_pid, strlen(a->ac_pid), s->es_sio.sc_sid);
		if (recover)
			api_unpark(s);
		n = snprintf(body, sizeof(body), "{\"sid\":\"%s\",\"pid\":\"%s\"}",
			     s->es_sio.sc_sid, pid);
	} else
		n = snprintf(body, sizeof(body), "{\"sid\":\"%s\"}", s->es_sio.sc_sid);
	sio_layer_send(s, SIO_CONNECT, "/", -1, body, (size_t)n);
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
		api_replay(s, off);
		if (s->es_closed)
			return 0;
	}
	api_emit_sessions(s);
	{
		char j[512];
		int jl = api_stats_json(gw, j, sizeof(j));
		if (jl > 0 && (size_t)jl < sizeof(j))
			sio_layer_emit(s, "/", "stats", j, (size_t)jl);
	}
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

static int
api_sub_add(struct api_client *a, const char *id)
{
	char **n;

	if (api_in(a->ac_subs, a->ac_nsubs, id))
		return 0;
	if (a->ac_nsubs >= 1024)
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

static int
api_subscribe(struct eio_session *s, json_object *arg, int add)
{
	size_t i, n;
	json_object *e;

	if (json_object_is_type(arg, json_type_string)) {
		if (add)
			return api_sub_add(&s->es_api, json_object_get_string(arg));
		api_sub_del(&s->es_api, json_object_get_string(arg));
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
			if (api_sub_add(&s->es_api, json_object_get_string(e)) < 0)
				return -1;
		} else
			api_sub_del(&s->es_api, json_object_get_string(e));
	}
	return 0;
}

static void
api_get_history(struct eio_session *s, struct sio_packet *p)
{
	struct gw *gw = s->es_gw;
	struct api_query q = {0};
	json_object *args =
	    json_object_array_length(p->data) > 1 ? json_object_array_get_idx(p->data, 1) : NULL;
	json_object *v;
	struct evbuffer *out;

	gw->m.history_requests++;
	q.limit = gw->cfg.history_max;
	if (args != NULL && json_object_is_type(args, json_type_object)) {
		if (json_object_object_get_ex(args, "since", &v)) {
			if (json_object_is_type(v, json_type_int) &&
			    json_object_get_int64(v) >= 0) {
				q.have_since = 1;
				q.since = (unsigned long long)json_object_get_int64(v);
			} else if (json_object_is_type(v, json_type_string) &&
				   api_parse_seq(json_object_get_string(v), &q.since) == 0)
				q.have_since = 1;
		}
		if (json_object_object_get_ex(args, "session", &v) &&
		    json_object_is_type(v, json_type_string))
			q.session = json_object_get_string(v);
		if (json_object_object_get_ex(args, "event", &v) &&
		    json_object_is_type(v, json_type_string))
			q.event = json_object_get_string(v);
		if (json_object_object_get_ex(args, "limit", &v) &&
		    json_object_is_type(v, json_type_int)) {
			int64_t l = json_object_get_int64(v);
			if (l >= 0 && l < q.limit)
				q.limit = (long)l;
		}
	}
	if ((out = evbuffer_new()) == NULL)
		return;
	api_history(gw, &s->es_api, NULL, &q, 0, out);
	api_ack_array(s, p->id, out);
	evbuffer_free(out);
	eio_session_check_output(s);
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
	add = strcmp(ev, "subscribe") == 0;
	if (add || strcmp(ev, "unsubscribe") == 0) {
		size_t i;
		struct evbuffer *out;
		if (arg == NULL || api_subscribe(s, arg, add) < 0)
			return 0; /* a bad argument changes nothing */
		if (p->id < 0 || (out = evbuffer_new()) == NULL)
			return 0;
		for (i = 0; i < s->es_api.ac_nsubs; i++) {
			json_object *js = json_object_new_string(s->es_api.ac_subs[i]);
			size_t l;
			const char *t = sio_json(js, &l);
			if (i > 0)
				evbuffer_add(out, ",", 1);
			evbuffer_add(out, t, l);
			json_object_put(js);
		}
		api_ack_array(s, p->id, out);
		evbuffer_free(out);
		return 0;
	}
	return 0;
}

/* ---------------------------------------------------------------- HTTP API */

void
api_healthz(struct conn *c)
{
	struct gw *gw = c->c_gw;
	char body[256];
	int n;

	n = snprintf(
	    body, sizeof(body),
	    "{\"status\":\"ok\",\"ring\":%s,\"head\":%llu,\"first\":%llu,\"broadcast\":%llu,"
	    "\"clients\":%ld}\n",
	    gw->src ? "true" : "false",
	    (unsigned long long)(gw->src ? source_last_seq(gw->src) : 0),
	    (unsigned long long)(gw->src ? source_first_seq(gw->src) : 0),
	    (unsigned long long)(gw->src ? source_next_seq(&gw->cur) - 1 : 0), gw->nconns);
	conn_respond(c, 200, "application/json", "Cache-Control: no-store\r\n", body, (size_t)n);
}

void
api_events_http(struct conn *c, const struct http_request *req, const char *query, size_t qlen)
{
	struct gw *gw = c->c_gw;
	const struct gw_scoped *scoped = NULL;
	struct api_query q = {0};
	char since[32], session[256], event[256], limit[32];
	struct evbuffer *out;
	long long l;

	if (!auth_origin(gw, req)) {
		gw->m.refused_origin++;
		conn_respond_str(c, 403, "text/plain", NULL, "forbidden\n");
		return;
	}
	if (!auth_http(gw, req, query, qlen, &scoped)) {
		gw->m.refused_token++;
		log_warnx("token", "%s: %s: /api/events without a valid token", __func__,
			  c->c_peer);
		conn_respond_str(c, 401, "text/plain", "WWW-Authenticate: Bearer\r\n",
				 "not authorized\n");
		return;
	}
	q.limit = gw->cfg.history_max;
	if (http_query_get(query, qlen, "since", since, sizeof(since)) >= 0) {
		if (api_parse_seq(since, &q.since) < 0) {
			conn_respond_str(c, 400, "text/plain", NULL, "bad since\n");
			return;
		}
		q.have_since = 1;
	}
	if (http_query_get(query, qlen, "session", session, sizeof(session)) >= 0)
		q.session = session;
	if (http_query_get(query, qlen, "event", event, sizeof(event)) >= 0)
		q.event = event;
	if (http_query_get(query, qlen, "limit", limit, sizeof(limit)) >= 0) {
		char *end;
		l = strtoll(limit, &end, 10);
		if (*end != '\0' || l < 0) {
			conn_respond_str(c, 400, "text/plain", NULL, "bad limit\n");
			return;
		}
		if (l < q.limit)
			q.limit = (long)l;
	}
	if ((out = evbuffer_new()) == NULL)
		return;
	api_history(gw, NULL, scoped, &q, 1, out);
	conn_respond_buf(c, 200, "application/x-ndjson", "Cache-Control: no-store\r\n", out);
	evbuffer_free(out);
}
