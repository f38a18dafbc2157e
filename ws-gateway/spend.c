/*
 * spend.c: tokens and cost, per Claude Code session, per agent and per model.
 *
 * The figures come from two kinds of event (hookwire-event(5)):
 *   usage        one assistant message, from its transcript (event-usage(8)):
 *                model, the four token counts, cost_usd (null: the model is
 *                not in the price table).  Each message is in the source
 *                once, so the gateway adds them up itself: per session, per
 *                agent of the session (agent_id; none: the main thread) and
 *                per model of the session, and per model for /metrics.
 *   StatusLine   Claude Code's own status JSON: cost.total_cost_usd (its
 *                cumulative figure for the session, kept as the latest seen,
 *                never added up) and context_window (the window's size and
 *                how much of it the last request used).
 * Costs are added in nano-dollars (integers), so that a sum is exact.
 *
 * The session table (cc_sessions.c) holds a struct cc_spend per session;
 * cc_sessions_update() calls spend_record() for every event.  The /metrics
 * counters (gw->spend_models) count the usage events broadcast live, not
 * those read at start-up, so that a restart looks like a counter reset.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"

#define SPEND_PARTS_MAX	 64  /* agents, or models, kept per session; more are added to "other" */
#define SPEND_NAME_MAX	 128 /* longest agent id, agent type or model name kept */
#define SPEND_MODELS_MAX 64  /* models counted in /metrics; more are counted as "other" */

static const char *
spend_str(json_object *o, const char *k)
{
	json_object *v;

	if (o != NULL && json_object_object_get_ex(o, k, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

static int64_t
spend_int(json_object *o, const char *k)
{
	json_object *v;

	if (o != NULL && json_object_object_get_ex(o, k, &v) &&
	    (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))) {
		int64_t n = json_object_get_int64(v);
		return n > 0 ? n : 0;
	}
	return 0;
}

/* Adds one message's figures to s. */
static void
spend_add(struct spend *s, const struct spend *m)
{
	s->sp_messages += m->sp_messages;
	s->sp_in += m->sp_in;
	s->sp_out += m->sp_out;
	s->sp_cw += m->sp_cw;
	s->sp_cr += m->sp_cr;
	s->sp_cost_nusd += m->sp_cost_nusd;
	s->sp_unpriced += m->sp_unpriced;
}

/* The part named name in *parts (grown as needed, at most max; past that,
 * "other"), or NULL when out of memory. */
static struct spend_part *
spend_part(struct spend_part **parts, size_t *n, size_t max, const char *name)
{
	struct spend_part *p;
	size_t i;

	if (strlen(name) > SPEND_NAME_MAX)
		name = "other";
	for (i = 0; i < *n; i++)
		if (strcmp((*parts)[i].spp_name, name) == 0)
			return &(*parts)[i];
	if (*n >= max) { /* full: into "other", the one part past max */
		name = "other";
		for (i = 0; i < *n; i++)
			if (strcmp((*parts)[i].spp_name, name) == 0)
				return &(*parts)[i];
	}
	if ((p = reallocarray(*parts, *n + 1, sizeof(*p))) == NULL)
		return NULL;
	*parts = p;
	p = &p[*n];
	memset(p, 0, sizeof(*p));
	if ((p->spp_name = strdup(name)) == NULL)
		return NULL;
	(*n)++;
	return p;
}

static void
spend_parts_free(struct spend_part *parts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(parts[i].spp_name);
		free(parts[i].spp_type);
	}
	free(parts);
}

void
spend_free(struct cc_spend *cs)
{
	spend_parts_free(cs->csp_agents, cs->csp_nagents);
	spend_parts_free(cs->csp_models, cs->csp_nmodels);
	memset(cs, 0, sizeof(*cs));
}

void
spend_models_free(struct gw *gw)
{
	spend_parts_free(gw->spend_models, gw->nspend_models);
	gw->spend_models = NULL;
	gw->nspend_models = 0;
}

/* The figures of a usage event's data; -1 when it has none (no model). */
static int
spend_message(json_object *data, struct spend *m, const char **model)
{
	json_object *v;

	memset(m, 0, sizeof(*m));
	if ((*model = spend_str(data, "model")) == NULL)
		return -1;
	m->sp_messages = 1;
	m->sp_in = (uint64_t)spend_int(data, "input_tokens");
	m->sp_out = (uint64_t)spend_int(data, "output_tokens");
	m->sp_cw = (uint64_t)spend_int(data, "cache_creation_input_tokens");
	m->sp_cr = (uint64_t)spend_int(data, "cache_read_input_tokens");
	if (json_object_object_get_ex(data, "cost_usd", &v) &&
	    (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		m->sp_cost_nusd = llround(json_object_get_double(v) * 1e9);
	else
		m->sp_unpriced = 1; /* null: cost unknown, never zero */
	return 0;
}

void
spend_record(struct gw *gw, struct cc_spend *cs, const struct record *r, int live)
{
	json_object *data, *o;
	struct spend m;
	struct spend_part *p;
	const char *model, *agent, *type;

	if (r->r_event == NULL || !json_object_object_get_ex(r->r_obj, "data", &data))
		return;
	if (strcmp(r->r_event, "StatusLine") == 0) {
		if (json_object_object_get_ex(data, "cost", &o) &&
		    json_object_object_get_ex(o, "total_cost_usd", &o) &&
		    (json_object_is_type(o, json_type_double) ||
		     json_object_is_type(o, json_type_int))) {
			cs->csp_claude_cost_nusd = llround(json_object_get_double(o) * 1e9);
			cs->csp_have_claude_cost = 1;
		}
		if (json_object_object_get_ex(data, "context_window", &o)) {
			cs->csp_ctx_size = spend_int(o, "context_window_size");
			cs->csp_ctx_pct = spend_int(o, "used_percentage");
		}
		return;
	}
	if (strcmp(r->r_event, "usage") != 0 || spend_message(data, &m, &model) < 0)
		return;
	spend_add(&cs->csp_total, &m);
	/* the context the message was given: what it read, cached or not */
	cs->csp_ctx_used = (int64_t)(m.sp_in + m.sp_cw + m.sp_cr);
	agent = spend_str(r->r_obj, "agent_id");
	if ((p = spend_part(&cs->csp_agents, &cs->csp_nagents, SPEND_PARTS_MAX,
			    agent != NULL ? agent : "")) != NULL) {
		spend_add(&p->spp_spend, &m);
		if (p->spp_type == NULL && (type = spend_str(data, "agent_type")) != NULL &&
		    strlen(type) <= SPEND_NAME_MAX)
			p->spp_type = strdup(type);
	}
	if ((p = spend_part(&cs->csp_models, &cs->csp_nmodels, SPEND_PARTS_MAX, model)) != NULL)
		spend_add(&p->spp_spend, &m);
	if (live && (p = spend_part(&gw->spend_models, &gw->nspend_models, SPEND_MODELS_MAX,
				    model)) != NULL)
		spend_add(&p->spp_spend, &m);
}

/* {"messages":..,"input_tokens":..,...,"cost_usd":x|null,"unpriced_messages":n}: the cost
 * is null only when no message had a price; otherwise it is the priced ones' sum. */
static json_object *
spend_json_one(const struct spend *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "messages", json_object_new_int64((int64_t)s->sp_messages));
	json_object_object_add(o, "input_tokens", json_object_new_int64((int64_t)s->sp_in));
	json_object_object_add(o, "output_tokens", json_object_new_int64((int64_t)s->sp_out));
	json_object_object_add(o, "cache_creation_input_tokens",
			       json_object_new_int64((int64_t)s->sp_cw));
	json_object_object_add(o, "cache_read_input_tokens",
			       json_object_new_int64((int64_t)s->sp_cr));
	json_object_object_add(o, "cost_usd",
			       s->sp_messages > s->sp_unpriced
				   ? json_object_new_double((double)s->sp_cost_nusd / 1e9)
				   : NULL);
	json_object_object_add(o, "unpriced_messages",
			       json_object_new_int64((int64_t)s->sp_unpriced));
	return o;
}

static json_object *
spend_json_parts(const struct spend_part *parts, size_t n, const char *key)
{
	json_object *arr = json_object_new_array(), *o;
	size_t i;

	for (i = 0; i < n; i++) {
		o = spend_json_one(&parts[i].spp_spend);
		json_object_object_add(o, key,
				       parts[i].spp_name[0] != '\0'
					   ? json_object_new_string(parts[i].spp_name)
					   : NULL);
		if (parts[i].spp_type != NULL)
			json_object_object_add(o, "agent_type",
					       json_object_new_string(parts[i].spp_type));
		json_object_array_add(arr, o);
	}
	return arr;
}

json_object *
spend_json(const struct cc_spend *cs)
{
	json_object *o;

	if (cs->csp_total.sp_messages == 0 && !cs->csp_have_claude_cost)
		return NULL;
	o = spend_json_one(&cs->csp_total);
	json_object_object_add(o, "claude_code_cost_usd",
			       cs->csp_have_claude_cost
				   ? json_object_new_double((double)cs->csp_claude_cost_nusd / 1e9)
				   : NULL);
	json_object_object_add(o, "context_tokens", json_object_new_int64(cs->csp_ctx_used));
	json_object_object_add(o, "context_window",
			       cs->csp_ctx_size > 0 ? json_object_new_int64(cs->csp_ctx_size)
						    : NULL);
	json_object_object_add(o, "agents",
			       spend_json_parts(cs->csp_agents, cs->csp_nagents, "agent_id"));
	json_object_object_add(o, "models",
			       spend_json_parts(cs->csp_models, cs->csp_nmodels, "model"));
	return o;
}

/* name as a Prometheus label value: backslash, quote and newline escaped. */
static const char *
spend_label(const char *name, char *buf, size_t len)
{
	size_t o = 0;

	for (; *name != '\0' && o + 3 < len; name++) {
		if (*name == '\\' || *name == '"' || *name == '\n')
			buf[o++] = '\\';
		buf[o++] = *name == '\n' ? 'n' : *name;
	}
	buf[o] = '\0';
	return buf;
}

void
spend_metrics(struct gw *gw, struct evbuffer *b)
{
	static const char *const kinds[] = {"input", "output", "cache_write", "cache_read"};
	char lbl[2 * SPEND_NAME_MAX + 8];
	size_t i, k;

	evbuffer_add_printf(b, "# HELP hookwire_tokens_total Tokens of the usage events broadcast, "
			       "by kind and model.\n# TYPE hookwire_tokens_total counter\n");
	for (i = 0; i < gw->nspend_models; i++) {
		const struct spend *s = &gw->spend_models[i].spp_spend;
		const uint64_t v[] = {s->sp_in, s->sp_out, s->sp_cw, s->sp_cr};

		spend_label(gw->spend_models[i].spp_name, lbl, sizeof(lbl));
		for (k = 0; k < 4; k++)
			evbuffer_add_printf(
			    b, "hookwire_tokens_total{kind=\"%s\",model=\"%s\"} %llu\n", kinds[k],
			    lbl, (unsigned long long)v[k]);
	}
	evbuffer_add_printf(b, "# HELP hookwire_cost_usd_total Estimated cost of the priced usage "
			       "events broadcast, by model (hookwire-prices(5)).\n"
			       "# TYPE hookwire_cost_usd_total counter\n");
	for (i = 0; i < gw->nspend_models; i++)
		evbuffer_add_printf(b, "hookwire_cost_usd_total{model=\"%s\"} %.9f\n",
				    spend_label(gw->spend_models[i].spp_name, lbl, sizeof(lbl)),
				    (double)gw->spend_models[i].spp_spend.sp_cost_nusd / 1e9);
	evbuffer_add_printf(b, "# HELP hookwire_usage_unpriced_messages_total Messages of a model "
			       "missing from the price table.\n"
			       "# TYPE hookwire_usage_unpriced_messages_total counter\n");
	for (i = 0; i < gw->nspend_models; i++)
		evbuffer_add_printf(b,
				    "hookwire_usage_unpriced_messages_total{model=\"%s\"} %llu\n",
				    spend_label(gw->spend_models[i].spp_name, lbl, sizeof(lbl)),
				    (unsigned long long)gw->spend_models[i].spp_spend.sp_unpriced);
}
