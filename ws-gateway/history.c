/*
 * history.c: the events the source still holds, filtered: for get_history
 * (api.c), for the replay of connection-state recovery (api.c) and for
 * /api/events, its HTTP twin (NDJSON, for curl users).
 *
 * A query (struct history_query) asks for the first `limit` events after a
 * sequence number, or without one for the last `limit` events, of one
 * session and one event name if given, that the asker may see: a scoped
 * token's sessions, a client's scope and subscriptions.  Only events already
 * broadcast are answered, so that a client never gets an event twice.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "log.h"

#define HISTORY_FIELD_MAX  256 /* the session and the event name of /api/events */
#define HISTORY_NUMBER_MAX 32  /* its since and limit */

int
history_parse_seq(const char *s, unsigned long long *out)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	*out = strtoull(s, &end, 10);
	return *end == '\0' ? 0 : -1;
}

int
history_match(const struct history_query *q, const char *json, size_t len)
{
	const struct api_client *a = q->client;
	const struct gw_scoped *scoped = q->scoped;
	struct record r;
	int ok = 1;

	if (q->session == NULL && q->event == NULL && scoped == NULL &&
	    (a == NULL || (a->ac_scope == NULL && a->ac_nsubs == 0)))
		return 1;
	if (record_parse(json, len, &r) < 0)
		return 0;
	if (q->session != NULL &&
	    (r.r_session_id == NULL || strcmp(r.r_session_id, q->session) != 0))
		ok = 0;
	if (q->event != NULL && (r.r_event == NULL || strcmp(r.r_event, q->event) != 0))
		ok = 0;
	if (scoped != NULL && (r.r_session_id == NULL ||
			       !record_in(scoped->sessions, scoped->nsessions, r.r_session_id)))
		ok = 0;
	if (a != NULL && !record_visible(a, r.r_session_id))
		ok = 0;
	record_clear(&r);
	return ok;
}

/* Appends the count-th event json[0..len) to out: a line of NDJSON, or an
 * element of a JSON array (after a comma unless it is the first). */
static void
history_add(struct evbuffer *out, int ndjson, long count, const char *json, size_t len)
{
	if (count > 0 && !ndjson)
		evbuffer_add(out, ",", 1);
	evbuffer_add(out, json, len);
	if (ndjson)
		evbuffer_add(out, "\n", 1);
}

/* The first q->limit matches after q->since. */
static long
history_after(struct gw *gw, const struct history_query *q, int ndjson, struct evbuffer *out)
{
	struct source_cursor cur;
	uint64_t seq, lf, lt, end = source_next_seq(&gw->cur);
	int64_t ts;
	size_t len;
	long count = 0;
	int r;

	source_seek(gw->src, &cur, q->since + 1, &lf, &lt);
	while (source_next_seq(&cur) < end) {
		r = source_read(gw->src, &cur, &gw->rbuf, &gw->rbufcap, &len, &seq, &ts, &lf, &lt);
		if (r == SOURCE_EMPTY || r < 0)
			break;
		if (r == SOURCE_LAPPED || !history_match(q, gw->rbuf, len))
			continue;
		history_add(out, ndjson, count, gw->rbuf, len);
		if (++count >= q->limit)
			break;
	}
	return count;
}

/* The last q->limit matches, kept in a circular buffer while the source is read. */
static long
history_last(struct gw *gw, const struct history_query *q, int ndjson, struct evbuffer *out)
{
	struct source_cursor cur;
	uint64_t seq, lf, lt, end = source_next_seq(&gw->cur);
	int64_t ts;
	size_t len, i, k, head = 0, nkeep = 0, lim = (size_t)q->limit;
	char **keep;
	size_t *keeplen;
	long count = 0;
	int r;

	source_seek(gw->src, &cur, source_first_seq(gw->src), &lf, &lt);
	keep = calloc(lim, sizeof(*keep));
	keeplen = calloc(lim, sizeof(*keeplen));
	if (keep == NULL || keeplen == NULL)
		goto done;
	while (source_next_seq(&cur) < end) {
		r = source_read(gw->src, &cur, &gw->rbuf, &gw->rbufcap, &len, &seq, &ts, &lf, &lt);
		if (r == SOURCE_EMPTY || r < 0)
			break;
		if (r == SOURCE_LAPPED || !history_match(q, gw->rbuf, len))
			continue;
		i = (head + nkeep) % lim;
		if (nkeep == lim) {
			free(keep[head]);
			i = head;
			head = (head + 1) % lim;
		} else
			nkeep++;
		if ((keep[i] = malloc(len)) != NULL)
			memcpy(keep[i], gw->rbuf, len);
		keeplen[i] = keep[i] ? len : 0;
	}
	for (i = 0; i < nkeep; i++) {
		k = (head + i) % lim;
		if (keep[k] == NULL)
			continue;
		history_add(out, ndjson, count, keep[k], keeplen[k]);
		count++;
	}
done:
	for (i = 0; keep != NULL && i < lim; i++)
		free(keep[i]);
	free(keep);
	free(keeplen);
	return count;
}

long
history_collect(struct gw *gw, const struct history_query *q, int ndjson, struct evbuffer *out)
{
	if (gw->src == NULL || q->limit <= 0)
		return 0;
	if (q->have_since)
		return history_after(gw, q, ndjson, out);
	return history_last(gw, q, ndjson, out);
}

/* The query of /api/events into q; 0, or -1 after a 400 response. */
static int
history_http_query(struct conn *c, const char *query, size_t qlen, struct history_query *q,
		   char *session, char *event, size_t fieldlen)
{
	char since[HISTORY_NUMBER_MAX], limit[HISTORY_NUMBER_MAX], *end;
	long long l;

	q->limit = c->c_gw->cfg.history_max;
	if (http_query_get(query, qlen, "since", since, sizeof(since)) >= 0) {
		if (history_parse_seq(since, &q->since) < 0) {
			conn_respond_str(c, 400, "text/plain", NULL, "bad since\n");
			return -1;
		}
		q->have_since = 1;
	}
	if (http_query_get(query, qlen, "session", session, fieldlen) >= 0)
		q->session = session;
	if (http_query_get(query, qlen, "event", event, fieldlen) >= 0)
		q->event = event;
	if (http_query_get(query, qlen, "limit", limit, sizeof(limit)) >= 0) {
		l = strtoll(limit, &end, 10);
		if (*end != '\0' || l < 0) {
			conn_respond_str(c, 400, "text/plain", NULL, "bad limit\n");
			return -1;
		}
		if (l < q->limit)
			q->limit = (long)l;
	}
	return 0;
}

void
history_http(struct conn *c, const struct http_request *req, const char *query, size_t qlen)
{
	struct gw *gw = c->c_gw;
	struct history_query q = {0};
	char session[HISTORY_FIELD_MAX], event[HISTORY_FIELD_MAX];
	struct evbuffer *out;

	if (!auth_origin(gw, req)) {
		conn_refuse(c, GW_REFUSED_ORIGIN, 403, "text/plain", NULL, "forbidden\n");
		return;
	}
	if (!auth_http(gw, req, query, qlen, &q.scoped)) {
		log_warnx("token", "%s: %s: /api/events without a valid token", __func__,
			  c->c_peer);
		conn_refuse(c, GW_REFUSED_TOKEN, 401, "text/plain", "WWW-Authenticate: Bearer\r\n",
			    "not authorized\n");
		return;
	}
	if (history_http_query(c, query, qlen, &q, session, event, sizeof(session)) < 0)
		return;
	if ((out = evbuffer_new()) == NULL)
		return;
	history_collect(gw, &q, 1, out);
	conn_respond_buf(c, 200, "application/x-ndjson", "Cache-Control: no-store\r\n", out);
	evbuffer_free(out);
}
