/*
 * cc_sessions.c: the table of the Claude Code sessions the gateway has seen
 * (struct cc_session, by the session_id of their events).
 *
 * Filled from the whole source at start-up, then from every event broadcast.
 * A session is active for CC_SESSIONS_ACTIVE_SECONDS after its last event
 * (by the event's capture time), idle after that, ended after SessionEnd (and
 * active again after a SessionStart).  At most CC_SESSIONS_MAX are kept; the
 * one with the oldest event makes room.  gw->cc_sessions_dirty says that the
 * table changed since api.c last sent it to the clients.
 *
 * The table is in the order the sessions were first seen (not by last
 * activity).  /api/sessions answers it (with limit=, only its limit most
 * recently active sessions, still in that order); with from=, to= or
 * project= it asks the event store instead (store_worker.c), as
 * history_sessions does, and the request is answered when the worker hands
 * the answer back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "log.h"
#include "store_query.h"
#include "util.h"

#define CC_SESSIONS_MAX		   10000
#define CC_SESSIONS_ACTIVE_SECONDS 300
#define CC_SESSIONS_FIRST_SLOTS	   16	/* the table's first allocation, doubled as it grows */
#define CC_SESSIONS_ARG_MAX	   64	/* /api/sessions's from, to and limit, bytes */
#define CC_SESSIONS_PROJECT_MAX	   4096 /* and its project (a directory) */

static struct cc_session *
cc_sessions_find(struct gw *gw, const char *id)
{
	size_t i;

	for (i = gw->ncc_sessions; i > 0; i--)
		if (strcmp(gw->cc_sessions[i - 1].cs_id, id) == 0)
			return &gw->cc_sessions[i - 1];
	return NULL;
}

static void
cc_sessions_clear(struct cc_session *cs)
{
	free(cs->cs_id);
	free(cs->cs_project);
	free(cs->cs_tool);
	spend_free(&cs->cs_spend);
}

static void
cc_sessions_drop_oldest(struct gw *gw)
{
	size_t i, o = 0;

	for (i = 1; i < gw->ncc_sessions; i++)
		if (gw->cc_sessions[i].cs_last_us < gw->cc_sessions[o].cs_last_us)
			o = i;
	cc_sessions_clear(&gw->cc_sessions[o]);
	memmove(&gw->cc_sessions[o], &gw->cc_sessions[o + 1],
		(gw->ncc_sessions - o - 1) * sizeof(gw->cc_sessions[0]));
	gw->ncc_sessions--;
}

/* A new entry for session id, or NULL when out of memory. */
static struct cc_session *
cc_sessions_add(struct gw *gw, const char *id, const char *ts)
{
	struct cc_session *cs;

	if (gw->ncc_sessions >= CC_SESSIONS_MAX)
		cc_sessions_drop_oldest(gw);
	if (gw->ncc_sessions == gw->cc_sessions_cap) {
		size_t nc = gw->cc_sessions_cap ? gw->cc_sessions_cap * 2 : CC_SESSIONS_FIRST_SLOTS;
		struct cc_session *n = reallocarray(gw->cc_sessions, nc, sizeof(*n));
		if (n == NULL)
			return NULL;
		gw->cc_sessions = n;
		gw->cc_sessions_cap = nc;
	}
	cs = &gw->cc_sessions[gw->ncc_sessions];
	memset(cs, 0, sizeof(*cs));
	if ((cs->cs_id = strdup(id)) == NULL)
		return NULL;
	gw->ncc_sessions++;
	if (ts != NULL)
		strlcpy(cs->cs_started, ts, sizeof(cs->cs_started));
	return cs;
}

/* *dst becomes a copy of v when v is set and differs. */
static void
cc_sessions_set(char **dst, const char *v)
{
	if (v != NULL && (*dst == NULL || strcmp(*dst, v) != 0)) {
		free(*dst);
		*dst = strdup(v);
	}
}

void
cc_sessions_update(struct gw *gw, const struct record *r, int64_t ts_us, int live)
{
	struct cc_session *cs;

	if (r->r_session_id == NULL)
		return;
	if ((cs = cc_sessions_find(gw, r->r_session_id)) == NULL &&
	    (cs = cc_sessions_add(gw, r->r_session_id, r->r_ts)) == NULL)
		return;
	cc_sessions_set(&cs->cs_project, r->r_project);
	cc_sessions_set(&cs->cs_tool, r->r_tool);
	if (r->r_ts != NULL)
		strlcpy(cs->cs_last, r->r_ts, sizeof(cs->cs_last));
	cs->cs_last_us = ts_us;
	cs->cs_events++;
	if (r->r_event != NULL) {
		if (strcmp(r->r_event, "SessionEnd") == 0)
			cs->cs_ended = 1;
		else if (strcmp(r->r_event, "SessionStart") == 0)
			cs->cs_ended = 0;
		spend_record(gw, &cs->cs_spend, r, live);
	}
	gw->cc_sessions_dirty = 1;
}

static int
cc_sessions_by_last_desc(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * With a limit below the number of sessions in scope: the last activity
 * (cs_last_us) of the limit-th most recently active into *cutoff, and in
 * *ties how many of those at exactly *cutoff are kept (the first in the
 * table).  Returns 1 then, 0 when every session in scope is kept, -1 when
 * out of memory.
 */
static int
cc_sessions_cutoff(struct gw *gw, char *const *scope, size_t nscope, size_t limit, int64_t *cutoff,
		   size_t *ties)
{
	int64_t *last;
	size_t i, n = 0, above = 0;

	if (limit == 0 || limit >= gw->ncc_sessions)
		return 0;
	if ((last = reallocarray(NULL, gw->ncc_sessions, sizeof(*last))) == NULL)
		return -1;
	for (i = 0; i < gw->ncc_sessions; i++)
		if (scope == NULL || record_in((char **)scope, nscope, gw->cc_sessions[i].cs_id))
			last[n++] = gw->cc_sessions[i].cs_last_us;
	if (n <= limit) {
		free(last);
		return 0;
	}
	qsort(last, n, sizeof(*last), cc_sessions_by_last_desc);
	*cutoff = last[limit - 1];
	while (above < limit && last[above] > *cutoff)
		above++;
	*ties = limit - above;
	free(last);
	return 1;
}

char *
cc_sessions_json(struct gw *gw, char *const *scope, size_t nscope, size_t limit, size_t *len)
{
	json_object *arr, *o;
	int64_t now = util_now_us(), active = (int64_t)CC_SESSIONS_ACTIVE_SECONDS * 1000000;
	int64_t cutoff = 0;
	const char *state, *txt;
	char *out;
	size_t i, ties = 0;
	int cut;

	if ((cut = cc_sessions_cutoff(gw, scope, nscope, limit, &cutoff, &ties)) < 0 ||
	    (arr = json_object_new_array()) == NULL)
		return NULL;
	/* in the table's order: the order the sessions were first seen */
	for (i = 0; i < gw->ncc_sessions; i++) {
		struct cc_session *cs = &gw->cc_sessions[i];
		if (scope != NULL && !record_in((char **)scope, nscope, cs->cs_id))
			continue;
		if (cut && (cs->cs_last_us < cutoff || (cs->cs_last_us == cutoff && ties-- == 0)))
			continue;
		state = cs->cs_ended ? "ended" : now - cs->cs_last_us < active ? "active" : "idle";
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
		json_object_object_add(o, "usage", spend_json(&cs->cs_spend));
		json_object_array_add(arr, o);
	}
	txt = sio_json(arr, len);
	out = malloc(*len + 1);
	if (out != NULL)
		memcpy(out, txt, *len + 1);
	json_object_put(arr);
	return out;
}

void
cc_sessions_free(struct gw *gw)
{
	size_t i;

	for (i = 0; i < gw->ncc_sessions; i++)
		cc_sessions_clear(&gw->cc_sessions[i]);
	free(gw->cc_sessions);
	gw->cc_sessions = NULL;
	gw->ncc_sessions = gw->cc_sessions_cap = 0;
	spend_models_free(gw);
}

/* The store answered /api/sessions?from=... on r->conn (NULL: it went away). */
static void
cc_sessions_http_done(struct gw *gw, struct store_req *r)
{
	if (r->conn == NULL)
		return; /* the client went away: dropped */
	if (r->result == STORE_RESULT_OK)
		conn_respond_buf(r->conn, 200, "application/json", "Cache-Control: no-store\r\n",
				 r->out);
	else if (r->err[0] != '\0')
		conn_respond_fmt(r->conn, 400, "bad request: %s\n", r->err);
	else
		conn_respond_str(r->conn, 503, "text/plain",
				 "Retry-After: " STORE_RETRY_AFTER "\r\n",
				 "the event store cannot be read now\n");
}

/*
 * A time bound of /api/sessions into *us (what store_query_parse_time()
 * reads: RFC 3339, a date, "2d"; not a sequence number): 1 when given, 0
 * when absent, -1 after a 400 response.
 */
static int
cc_sessions_arg_time(struct conn *c, const char *query, size_t qlen, const char *key, int64_t *us)
{
	char v[CC_SESSIONS_ARG_MAX];
	uint64_t seq = 0;
	int r;

	*us = 0;
	if ((r = http_query_arg(query, qlen, key, v, sizeof(v))) == 0)
		return 0;
	if (r < 0 || store_query_parse_time(v, util_now_us(), us, &seq) < 0 || *us <= 0) {
		conn_respond_fmt(c, 400,
				 "bad %s: a time (2026-11-28T20:25:03Z), a date (2026-11-28) "
				 "or a duration back from now (2d)\n",
				 key);
		return -1;
	}
	return 1;
}

/*
 * /api/sessions?from=&to=&project=&limit=: the store's sessions over any
 * range of days, as history_sessions answers them ({sessions, more}, most
 * recently active first).  Returns 0 when the store was asked or c was
 * answered, -1 when none of from, to and project is given (the table
 * answers), with the limit= given in *table_limit (0: none).
 */
static int
cc_sessions_http_store(struct conn *c, const char *query, size_t qlen,
		       const struct gw_scoped *scoped, size_t *table_limit)
{
	struct gw *gw = c->c_gw;
	struct store_req *r;
	char project[CC_SESSIONS_PROJECT_MAX], limit[CC_SESSIONS_ARG_MAX], *end;
	int64_t from, to;
	int hf, ht, hp, hl;
	long long l = STORE_LIMIT_DEFAULT;

	if ((hf = cc_sessions_arg_time(c, query, qlen, "from", &from)) < 0 ||
	    (ht = cc_sessions_arg_time(c, query, qlen, "to", &to)) < 0)
		return 0;
	if ((hp = http_query_arg(query, qlen, "project", project, sizeof(project))) < 0) {
		conn_respond_fmt(c, 400, "bad project: longer than %zu bytes\n",
				 sizeof(project) - 1);
		return 0;
	}
	if ((hl = http_query_arg(query, qlen, "limit", limit, sizeof(limit))) != 0) {
		errno = 0;
		l = hl > 0 ? strtoll(limit, &end, 10) : -1;
		if (hl < 0 || *limit < '0' || *limit > '9' || *end != '\0' || errno != 0 || l < 1 ||
		    l >= STORE_SESSIONS_MAX) {
			conn_respond_fmt(c, 400, "bad limit: 1 to %d\n", STORE_SESSIONS_MAX - 1);
			return 0;
		}
	}
	if (!hf && !ht && !hp) {
		*table_limit = hl ? (size_t)l : 0;
		return -1;
	}
	if (gw->store == NULL) {
		conn_respond_str(c, 501, "text/plain", NULL,
				 "from=, to= and project= need the event store (gateway.store, "
				 "event-store(8))\n");
		return 0;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto oom;
	r->sessions = 1;
	r->limit = (long)l;
	r->from_us = from;
	r->to_us = to;
	if (hp)
		r->project = strdup(project);
	if (scoped != NULL) {
		r->scope = store_strv_dup(scoped->sessions, scoped->nsessions);
		r->nscope = scoped->nsessions;
	}
	r->done = cc_sessions_http_done;
	if ((hp && r->project == NULL) || (scoped != NULL && r->scope == NULL)) {
		store_req_free(r);
		goto oom;
	}
	if (store_worker_submit_http(gw, r, c) < 0)
		store_req_free(r); /* answered: busy */
	return 0;
oom:
	conn_respond_str(c, 503, "text/plain", NULL, "out of memory\n");
	return 0;
}

void
cc_sessions_http(struct conn *c, const struct http_request *req, const char *query, size_t qlen)
{
	struct gw *gw = c->c_gw;
	const struct gw_scoped *scoped = NULL;
	char *j;
	size_t jl, limit = 0;

	if (!auth_origin(gw, req)) {
		conn_refuse(c, GW_REFUSED_ORIGIN, 403, "text/plain", NULL, "forbidden\n");
		return;
	}
	if (!auth_http(gw, req, query, qlen, &scoped)) {
		log_warnx("token", "%s: %s: /api/sessions without a valid token", __func__,
			  c->c_peer);
		conn_refuse(c, GW_REFUSED_TOKEN, 401, "text/plain", "WWW-Authenticate: Bearer\r\n",
			    "not authorized\n");
		return;
	}
	if (cc_sessions_http_store(c, query, qlen, scoped, &limit) == 0)
		return;
	/* the table; with limit=, its limit most recently active sessions only
	 * (validated as for the store), still in the table's order */
	if ((j = cc_sessions_json(gw, scoped != NULL ? scoped->sessions : NULL,
				  scoped != NULL ? scoped->nsessions : 0, limit, &jl)) == NULL) {
		conn_respond_str(c, 503, "text/plain", NULL, "out of memory\n");
		return;
	}
	conn_respond(c, 200, "application/json", "Cache-Control: no-store\r\n", j, jl);
	free(j);
}
