/*
 * tally.c: running totals and the usage event (hookwire-event(5)).
 *
 * A tally adds up the messages of one agent or of a whole session: their
 * count, the four token counts (and the 1-hour part of the cache writes),
 * and their cost in integer nano-dollars, with the messages whose model had
 * no price counted apart so that a cost total never passes for complete
 * when it is not.  Money goes out as a JSON number written from the
 * integer (9 decimals at most, trailing zeros dropped), so that sums of
 * what is printed are sums of what was counted.
 *
 * A usage event's id is derived from the transcript's path and the
 * message id (XXH3-128), so a message sent again after a restart carries
 * the id of its first copy and the router drops it as a duplicate.  No
 * I/O.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "event.h"
#include "usage.h"

void
tally_add(struct tally *t, const struct transcript_msg *m, int priced, int64_t cost_nano)
{
	t->ta_messages++;
	t->ta_in += m->tm_in;
	t->ta_out += m->tm_out;
	t->ta_cw += m->tm_cw;
	t->ta_cw1h += m->tm_cw1h;
	t->ta_cr += m->tm_cr;
	if (priced)
		t->ta_cost += cost_nano;
	else
		t->ta_unpriced++;
}

void
tally_format_usd(int64_t nano, char *out, size_t outlen)
{
	int64_t whole = nano / 1000000000, frac = nano % 1000000000;
	size_t n;

	if (frac == 0) {
		snprintf(out, outlen, "%" PRId64, whole);
		return;
	}
	snprintf(out, outlen, "%" PRId64 ".%09" PRId64, whole, frac);
	n = strlen(out);
	while (n > 0 && out[n - 1] == '0')
		out[--n] = '\0';
}

json_object *
tally_usd(int64_t nano)
{
	char text[40];

	tally_format_usd(nano, text, sizeof(text));
	return json_object_new_double_s((double)nano / 1e9, text);
}

json_object *
tally_json(const struct tally *t)
{
	json_object *o = json_object_new_object();

	if (o == NULL)
		return NULL;
	json_object_object_add(o, "messages", json_object_new_int64(t->ta_messages));
	json_object_object_add(o, "input_tokens", json_object_new_int64(t->ta_in));
	json_object_object_add(o, "output_tokens", json_object_new_int64(t->ta_out));
	json_object_object_add(o, "cache_creation_input_tokens", json_object_new_int64(t->ta_cw));
	json_object_object_add(o, "cache_read_input_tokens", json_object_new_int64(t->ta_cr));
	json_object_object_add(o, "cache_creation_1h_input_tokens",
			       json_object_new_int64(t->ta_cw1h));
	/* no message priced: the cost is unknown, not zero */
	json_object_object_add(o, "cost_usd",
			       t->ta_messages > t->ta_unpriced ? tally_usd(t->ta_cost) : NULL);
	json_object_object_add(o, "unpriced_messages", json_object_new_int64(t->ta_unpriced));
	return o;
}

/* An integer member, 0 when absent; -1 when not a non-negative integer. */
static int
tally_get(json_object *o, const char *key, int64_t *out)
{
	json_object *v;

	*out = 0;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_int) || (*out = json_object_get_int64(v)) < 0)
		return -1;
	return 0;
}

int
tally_from_json(struct tally *t, json_object *o)
{
	json_object *v;
	const char *s;
	int64_t whole = 0, frac = 0;
	int nd = 0;

	memset(t, 0, sizeof(*t));
	if (!json_object_is_type(o, json_type_object) ||
	    tally_get(o, "messages", &t->ta_messages) == -1 ||
	    tally_get(o, "input_tokens", &t->ta_in) == -1 ||
	    tally_get(o, "output_tokens", &t->ta_out) == -1 ||
	    tally_get(o, "cache_creation_input_tokens", &t->ta_cw) == -1 ||
	    tally_get(o, "cache_read_input_tokens", &t->ta_cr) == -1 ||
	    tally_get(o, "cache_creation_1h_input_tokens", &t->ta_cw1h) == -1 ||
	    tally_get(o, "unpriced_messages", &t->ta_unpriced) == -1)
		return -1;
	/* the cost back from its exact text, not through a double */
	if (json_object_object_get_ex(o, "cost_usd", &v) && v != NULL) {
		s = json_object_get_string(v);
		for (; *s >= '0' && *s <= '9'; s++)
			whole = whole * 10 + (*s - '0');
		if (*s == '.')
			for (s++; *s >= '0' && *s <= '9' && nd < 9; s++, nd++)
				frac = frac * 10 + (*s - '0');
		for (; nd < 9; nd++)
			frac *= 10;
		t->ta_cost = whole * 1000000000 + frac;
	}
	return 0;
}

void
tally_event_id(const char *path, const char *message_id, char *out)
{
	XXH3_state_t st;
	XXH128_hash_t h;

	XXH3_128bits_reset(&st);
	XXH3_128bits_update(&st, path, strlen(path) + 1); /* with its NUL: a separator */
	XXH3_128bits_update(&st, message_id, strlen(message_id));
	h = XXH3_128bits_digest(&st);
	snprintf(out, EVENT_ID_LEN + 1, "%016" PRIx64 "%016" PRIx64, (uint64_t)h.high64,
		 (uint64_t)h.low64);
}

static void
tally_str(json_object *o, const char *key, const char *val)
{
	if (val != NULL && val[0] != '\0')
		json_object_object_add(o, key, json_object_new_string(val));
}

json_object *
tally_event(const struct transcript_msg *m, const struct tally_ctx *c)
{
	json_object *ev, *data, *price, *tot;
	char id[EVENT_ID_LEN + 1], ts[40];
	int i;

	if ((ev = json_object_new_object()) == NULL || (data = json_object_new_object()) == NULL) {
		json_object_put(ev);
		return NULL;
	}
	/* the canonical order (hookwire-event(5)): id, ts, event, session_id, agent_id, ... */
	tally_event_id(c->tc_path, m->tm_id, id);
	event_format_ts(c->tc_now_us, ts, sizeof(ts));
	json_object_object_add(ev, "id", json_object_new_string(id));
	json_object_object_add(ev, "ts", json_object_new_string(ts));
	json_object_object_add(ev, "event", json_object_new_string(TALLY_EVENT));
	tally_str(ev, "session_id", c->tc_session);
	tally_str(ev, "agent_id", c->tc_agent);
	tally_str(ev, "cwd", c->tc_cwd);
	tally_str(ev, "host", c->tc_host);
	tally_str(ev, "user", c->tc_user);
	tally_str(ev, "project", c->tc_project);
	json_object_object_add(ev, "files", json_object_new_array());
	json_object_object_add(ev, "data", data);

	json_object_object_add(data, "source", json_object_new_string("transcript"));
	json_object_object_add(data, "transcript_path", json_object_new_string(c->tc_path));
	json_object_object_add(data, "message_id", json_object_new_string(m->tm_id));
	tally_str(data, "message_ts", m->tm_ts);
	tally_str(data, "agent_type", c->tc_agent_type);
	json_object_object_add(data, "model", json_object_new_string(m->tm_model));
	json_object_object_add(data, "input_tokens", json_object_new_int64(m->tm_in));
	json_object_object_add(data, "output_tokens", json_object_new_int64(m->tm_out));
	json_object_object_add(data, "cache_creation_input_tokens",
			       json_object_new_int64(m->tm_cw));
	json_object_object_add(data, "cache_read_input_tokens", json_object_new_int64(m->tm_cr));
	json_object_object_add(data, "cache_creation_1h_input_tokens",
			       json_object_new_int64(m->tm_cw1h));
	json_object_object_add(data, "cost_usd",
			       c->tc_price != NULL ? tally_usd(c->tc_cost) : NULL);
	if (c->tc_price != NULL) {
		price = json_object_new_object();
		json_object_object_add(price, "match",
				       json_object_new_string(c->tc_price->pm_pattern));
		json_object_object_add(price, "file", json_object_new_string(c->tc_price->pm_file));
		json_object_object_add(price, "line", json_object_new_int(c->tc_price->pm_line));
		/* the rates, USD per million tokens */
		for (i = 0; i < PRICES_NRATES; i++)
			json_object_object_add(price, prices_rate_name(i),
					       tally_usd(c->tc_price->pm_rate[i] * 1000000));
		json_object_object_add(data, "price", price);
	} else
		json_object_object_add(data, "price", NULL);
	tot = json_object_new_object();
	json_object_object_add(tot, "agent", tally_json(c->tc_agent_total));
	json_object_object_add(tot, "session", tally_json(c->tc_session_total));
	json_object_object_add(data, "totals", tot);
	return ev;
}
