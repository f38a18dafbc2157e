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
 */
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "util.h"

#define CC_SESSIONS_MAX		   10000
#define CC_SESSIONS_ACTIVE_SECONDS 300
#define CC_SESSIONS_FIRST_SLOTS	   16 /* the table's first allocation, doubled as it grows */

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
cc_sessions_update(struct gw *gw, const struct record *r, int64_t ts_us)
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
	}
	gw->cc_sessions_dirty = 1;
}

char *
cc_sessions_json(struct gw *gw, const struct api_client *a, size_t *len)
{
	json_object *arr, *o;
	int64_t now = util_now_us(), active = (int64_t)CC_SESSIONS_ACTIVE_SECONDS * 1000000;
	const char *state, *txt;
	char *out;
	size_t i;

	if ((arr = json_object_new_array()) == NULL)
		return NULL;
	for (i = 0; i < gw->ncc_sessions; i++) {
		struct cc_session *cs = &gw->cc_sessions[i];
		if (a != NULL && a->ac_scope != NULL &&
		    !record_in(a->ac_scope, a->ac_nscope, cs->cs_id))
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
}
