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
 *
 * /api/events asks the event store (store_worker.c) for what has left the
 * ring, as get_history does: the request is answered when the worker hands
 * the store's part back, and the conn reads no further request meanwhile
 * (c_await); a client that went away by then is not answered.  before=SEQ
 * pages back (the newest events below SEQ, oldest first); q= is a full-text
 * search, the store's only.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "gateway.h"
#include "log.h"
#include "store_query.h"

#define HISTORY_FIELD_MAX    256 /* the session and the event name of /api/events */
#define HISTORY_NUMBER_MAX   32	 /* its since, before and limit */
#define HISTORY_TEXT_MAX     (STORE_SEARCH_MAX + 1) /* its q, decoded, with the NUL */
#define HISTORY_COMPRESS_MAX 16			    /* its compress */

int
history_parse_seq(const char *s, unsigned long long *out)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	/* a seq is an SQLite integer in the store: at most INT64_MAX */
	return *end == '\0' && errno == 0 && *out <= INT64_MAX ? 0 : -1;
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

int
history_no_room(size_t max, size_t bytes, size_t len)
{
	return max != 0 && bytes > 0 && bytes + len > max;
}

/* The first q->limit matches after q->since, up to q->bytes_max bytes. */
static long
history_after(struct gw *gw, const struct history_query *q, int ndjson, struct evbuffer *out,
	      struct history_tally *t)
{
	struct source_cursor cur;
	uint64_t seq, lf, lt, end = source_next_seq(&gw->cur);
	int64_t ts;
	size_t len;
	long count = 0;
	int r;

	if (q->before != 0 && q->before < end)
		end = q->before;
	source_seek(gw->src, &cur, q->since + 1, &lf, &lt);
	while (source_next_seq(&cur) < end) {
		r = source_read(gw->src, &cur, &gw->rbuf, &gw->rbufcap, &len, &seq, &ts, &lf, &lt);
		if (r == SOURCE_EMPTY || r < 0)
			break;
		if (r == SOURCE_LAPPED || !history_match(q, gw->rbuf, len))
			continue;
		/* no room: unless it is the answer's first event */
		if (history_no_room(q->bytes_max, t->bytes, len)) {
			t->full = 1;
			break;
		}
		history_add(out, ndjson, count, gw->rbuf, len);
		t->bytes += len;
		if (++count >= q->limit)
			break;
	}
	return count;
}

/* The last q->limit matches, kept in a circular buffer while the source is
 * read; the newest of them within q->bytes_max bytes, so that what is kept
 * stays within that too. */
static long
history_last(struct gw *gw, const struct history_query *q, int ndjson, struct evbuffer *out,
	     struct history_tally *t)
{
	struct source_cursor cur;
	uint64_t seq, lf, lt, end = source_next_seq(&gw->cur);
	int64_t ts;
	size_t len, i, k, head = 0, nkeep = 0, lim = (size_t)q->limit;
	char **keep;
	size_t *keeplen;
	long count = 0;
	int r;

	if (q->before != 0 && q->before < end)
		end = q->before;
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
			t->bytes -= keeplen[head];
			free(keep[head]);
			i = head;
			head = (head + 1) % lim;
		} else
			nkeep++;
		if ((keep[i] = malloc(len)) != NULL)
			memcpy(keep[i], gw->rbuf, len);
		keeplen[i] = keep[i] ? len : 0;
		t->bytes += keeplen[i];
		while (nkeep > 1 && q->bytes_max != 0 && t->bytes > q->bytes_max) {
			/* the oldest kept make room for the newest */
			t->bytes -= keeplen[head];
			free(keep[head]);
			keep[head] = NULL;
			head = (head + 1) % lim;
			nkeep--;
			t->full = 1;
		}
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
history_collect(struct gw *gw, const struct history_query *q, int ndjson, struct evbuffer *out,
		struct history_tally *t)
{
	struct history_tally own = {0, 0};

	if (t == NULL)
		t = &own;
	if (gw->src == NULL || q->limit <= 0)
		return 0;
	if (q->have_since)
		return history_after(gw, q, ndjson, out, t);
	return history_last(gw, q, ndjson, out, t);
}

/* ---------------------------------------------------------------- /api/events */

/* /api/events's parameters, decoded. */
struct history_http_args {
	struct history_query q;
	char session[HISTORY_FIELD_MAX], event[HISTORY_FIELD_MAX];
	char text[HISTORY_TEXT_MAX]; /* q=, or "" */
	int gzip;		     /* compress=gzip */
};

/*
 * Query parameter key into out (outlen bytes with the NUL): 1 when given,
 * 0 when absent, -1 after a 400 (or 503) response when it does not fit.
 */
static int
history_arg(struct conn *c, const char *query, size_t qlen, const char *key, char *out,
	    size_t outlen)
{
	int r = http_query_arg(query, qlen, key, out, outlen);

	if (r == -1)
		conn_respond_fmt(c, 400, "bad %s: longer than %zu bytes\n", key, outlen - 1);
	else if (r == -2)
		conn_respond_str(c, 503, "text/plain", NULL, "out of memory\n");
	return r < 0 ? -1 : r;
}

/* A sequence-number parameter: 1 when given (*out set), 0 when absent, -1 after a 400. */
static int
history_arg_seq(struct conn *c, const char *query, size_t qlen, const char *key,
		unsigned long long *out)
{
	char v[HISTORY_NUMBER_MAX];
	int r;

	if ((r = history_arg(c, query, qlen, key, v, sizeof(v))) <= 0)
		return r;
	if (history_parse_seq(v, out) < 0) {
		conn_respond_fmt(c, 400, "bad %s: '%s' is not a number (digits only)\n", key, v);
		return -1;
	}
	return 1;
}

/* The query of /api/events into a; 0, or -1 after a 400 response. */
static int
history_http_query(struct conn *c, const char *query, size_t qlen, struct history_http_args *a)
{
	struct history_query *q = &a->q;
	unsigned long long v;
	char how[HISTORY_COMPRESS_MAX];
	int r;

	q->limit = c->c_gw->cfg.history_max;
	q->bytes_max = c->c_gw->cfg.history_bytes;
	if ((r = history_arg_seq(c, query, qlen, "since", &q->since)) < 0)
		return -1;
	q->have_since = r;
	if ((r = history_arg_seq(c, query, qlen, "before", &v)) < 0)
		return -1;
	if (r == 1 && v == 0) {
		conn_respond_fmt(c, 400, "bad before: 0 (events have seq 1 and up)\n");
		return -1;
	}
	q->before = r == 1 ? (uint64_t)v : 0;
	if ((r = history_arg_seq(c, query, qlen, "limit", &v)) < 0)
		return -1;
	if (r == 1 && v < (unsigned long long)q->limit)
		q->limit = (long)v; /* more than gateway.history_max: that many */
	if ((r = history_arg(c, query, qlen, "session", a->session, sizeof(a->session))) < 0)
		return -1;
	q->session = r ? a->session : NULL;
	if ((r = history_arg(c, query, qlen, "event", a->event, sizeof(a->event))) < 0)
		return -1;
	q->event = r ? a->event : NULL;
	if ((r = history_arg(c, query, qlen, "q", a->text, sizeof(a->text))) < 0)
		return -1;
	if (r == 1 && a->text[0] == '\0') {
		conn_respond_fmt(c, 400, "bad q: empty\n");
		return -1;
	}
	if (r == 0)
		a->text[0] = '\0';
	if ((r = history_arg(c, query, qlen, "compress", how, sizeof(how))) < 0)
		return -1;
	if (r == 1 && strcmp(how, "gzip") != 0) {
		conn_respond_fmt(c, 400, "bad compress: '%s' (gzip is the one there is)\n", how);
		return -1;
	}
	a->gzip = r == 1;
	return 0;
}

/*
 * The seq of the last event of out (NDJSON, each line a canonical event,
 * "seq" first), or 0 when it has none.  Read from the end: only the last
 * line is looked at, however long the answer.
 */
static uint64_t
history_last_seq(struct evbuffer *out)
{
	struct evbuffer_iovec *v;
	struct evbuffer_ptr at;
	size_t len = evbuffer_get_length(out), off, start = 0;
	char head[32];
	int n, i, found = 0;

	if (len < 2 || (n = evbuffer_peek(out, -1, NULL, NULL, 0)) <= 0 ||
	    (v = calloc((size_t)n, sizeof(*v))) == NULL)
		return 0;
	n = evbuffer_peek(out, -1, NULL, v, n);
	/* the newline before the last line's: it ends the answer */
	off = len;
	for (i = n - 1; i >= 0 && !found; i--) {
		const char *b = v[i].iov_base;
		size_t k = v[i].iov_len;

		off -= k;
		while (k > 0)
			if (b[--k] == '\n' && off + k < len - 1) {
				start = off + k + 1;
				found = 1;
				break;
			}
	}
	free(v);
	if (evbuffer_ptr_set(out, &at, start, EVBUFFER_PTR_SET) == -1)
		return 0;
	n = (int)evbuffer_copyout_from(out, &at, head, sizeof(head));
	return n > 0 ? event_line_seq(head, (size_t)n) : 0;
}

/*
 * The header lines of an answer to /api/events: Cache-Control, and
 * Hookwire-Last-Seq with the seq of its last event when it has one, so that
 * a client paging on with since= can ask for the next page before this
 * one's body is in (the dashboard does, ws-gateway(8)).
 */
static void
history_http_headers(struct evbuffer *out, char *hdr, size_t len)
{
	uint64_t seq = history_last_seq(out);

	if (seq != 0)
		snprintf(hdr, len, "Cache-Control: no-store\r\nHookwire-Last-Seq: %llu\r\n",
			 (unsigned long long)seq);
	else
		snprintf(hdr, len, "Cache-Control: no-store\r\n");
}

/* The worker compressed an answer for c (NULL: it went away). */
static void
history_http_packed(struct gw *gw, struct store_req *r)
{
	(void)gw;
	if (r->conn == NULL)
		return;
	if (r->result == STORE_RESULT_OK)
		conn_respond_buf(r->conn, 200, "application/gzip", r->hdr, r->out);
	else
		conn_respond_str(r->conn, 503, "text/plain",
				 "Retry-After: " STORE_RETRY_AFTER "\r\n",
				 "out of memory compressing the answer\n");
}

/*
 * Answers /api/events with out, NDJSON; with gzip, compressed on the store's
 * worker (Content-Type application/gzip), so that a browser inflates it in
 * the page: a tenth of the bytes through its network process, which on a
 * small machine moves a page only about 20 MB a second.  Without a store
 * worker, or with its queue full, the answer goes out as it is (its
 * Content-Type says which).
 */
static void
history_http_answer(struct conn *c, struct evbuffer *out, int gzip)
{
	struct store_req *z;
	char hdr[sizeof(z->hdr)];

	history_http_headers(out, hdr, sizeof(hdr));
	if (gzip && c->c_gw->store != NULL && (z = calloc(1, sizeof(*z))) != NULL) {
		z->pack = 1;
		z->done = history_http_packed;
		memcpy(z->hdr, hdr, sizeof(hdr));
		if ((z->out = evbuffer_new()) != NULL) {
			evbuffer_add_buffer(z->out, out);
			if (store_worker_try_http(c->c_gw, z, c) == 0)
				return;
			evbuffer_add_buffer(out, z->out); /* busy: as it is */
		}
		store_req_free(z);
	}
	conn_respond_buf(c, 200, "application/x-ndjson", hdr, out);
}

/* The store answered /api/events on r->conn (NULL: it went away). */
static void
history_http_done(struct gw *gw, struct store_req *r)
{
	struct conn *c = r->conn;
	struct gw_scoped scope = {.sessions = r->scope, .nsessions = r->nscope};
	struct history_query q = {.scoped = r->scope != NULL ? &scope : NULL};
	struct evbuffer *tail;

	if (c == NULL)
		return; /* the client went away: dropped */
	q.session = r->session;
	q.event = r->event;
	if (r->q != NULL) { /* q=: the store's answer only */
		if (r->result == STORE_RESULT_OK)
			history_http_answer(c, r->out, r->gzip);
		else if (r->err[0] != '\0')
			conn_respond_fmt(c, 400, "bad q: %s\n", r->err);
		else
			conn_respond_str(c, 503, "text/plain",
					 "Retry-After: " STORE_RETRY_AFTER "\r\n",
					 "the event store cannot be read now\n");
		return;
	}
	if (r->result != STORE_RESULT_OK) {
		/* no store after all: the ring's answer, as without one */
		evbuffer_drain(r->out, evbuffer_get_length(r->out));
		r->count = 0;
		if (!r->have_since) {
			if (r->ring != NULL)
				evbuffer_add_buffer(r->out, r->ring);
			history_http_answer(c, r->out, r->gzip);
			return;
		}
		r->before = r->since + 1; /* the ring from since on, as asked */
	}
	if (r->have_since && r->count < r->limit && !r->full) {
		/* the first events after since: the store's, then the ring's from
		 * before on (none when the store's filled the answer's bytes) */
		struct history_tally t = {r->bytes, 0};

		q.have_since = 1;
		q.since = r->before > 0 ? r->before - 1 : 0;
		q.before = r->http_before;
		q.limit = r->limit - r->count;
		q.bytes_max = r->bytes_max;
		if ((tail = evbuffer_new()) != NULL) {
			history_collect(gw, &q, 1, tail, &t);
			evbuffer_add_buffer(r->out, tail);
			evbuffer_free(tail);
		}
	} else if (!r->have_since && r->ring != NULL)
		evbuffer_add_buffer(r->out, r->ring);
	history_http_answer(c, r->out, r->gzip);
}

/*
 * Asks the store for what a->q wants below seq before (the ring's first
 * seq, or the asker's before when lower); ring holds the ring's answer
 * already (last-limit questions, ring_count events of ring_bytes bytes; the
 * request takes it).
 * Returns 0 when queued, 1 when answered here (busy, out of memory), -1
 * when there is no store.
 */
static int
history_http_store(struct conn *c, const struct history_http_args *a, uint64_t before,
		   struct evbuffer *ring, long ring_count, size_t ring_bytes)
{
	struct gw *gw = c->c_gw;
	const struct history_query *q = &a->q;
	struct store_req *r;

	if (gw->store == NULL)
		return -1;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto oom;
	r->have_since = q->have_since;
	r->since = q->since;
	r->before = before;
	r->http_before = q->before;
	r->limit = q->limit - ring_count;
	r->ndjson = 1;
	r->session = q->session ? strdup(q->session) : NULL;
	r->event = q->event ? strdup(q->event) : NULL;
	r->q = a->text[0] != '\0' ? strdup(a->text) : NULL;
	if (q->scoped != NULL) {
		r->scope = store_strv_dup(q->scoped->sessions, q->scoped->nsessions);
		r->nscope = q->scoped->nsessions;
	}
	r->done = history_http_done;
	if ((q->session && !r->session) || (q->event && !r->event) ||
	    (a->text[0] != '\0' && !r->q) || (q->scoped != NULL && !r->scope)) {
		store_req_free(r);
		goto oom;
	}
	r->ring = ring;
	r->ring_count = ring_count;
	r->gzip = a->gzip;
	r->bytes_max = q->bytes_max;
	r->bytes = ring_bytes;
	if (store_worker_submit_http(gw, r, c) < 0) {
		r->ring = NULL; /* the caller's still */
		store_req_free(r);
		return 1;
	}
	return 0;
oom:
	conn_respond_str(c, 503, "text/plain", NULL, "out of memory\n");
	return 1;
}

void
history_http(struct conn *c, const struct http_request *req, const char *query, size_t qlen)
{
	struct gw *gw = c->c_gw;
	struct history_http_args a;
	struct history_query *q = &a.q;
	struct history_tally t = {0, 0};
	struct evbuffer *out;
	uint64_t first, end, below;
	long n;
	int r;

	memset(&a, 0, sizeof(a));
	if (!auth_origin(gw, req)) {
		conn_refuse(c, GW_REFUSED_ORIGIN, 403, "text/plain", NULL, "forbidden\n");
		return;
	}
	if (!auth_http(gw, req, query, qlen, &q->scoped)) {
		log_warnx("token", "%s: %s: /api/events without a valid token", __func__,
			  c->c_peer);
		conn_refuse(c, GW_REFUSED_TOKEN, 401, "text/plain", "WWW-Authenticate: Bearer\r\n",
			    "not authorized\n");
		return;
	}
	if (history_http_query(c, query, qlen, &a) < 0)
		return;
	first = gw->src != NULL ? source_first_seq(gw->src) : 0;
	end = gw->src != NULL ? source_next_seq(&gw->cur) : 0;
	/* the store is asked below `below`: the ring's first seq, or before when lower */
	below = q->before != 0 && q->before < first ? q->before : first;
	if (a.text[0] != '\0') {
		/* full text: the store only (it indexes the ring's events too), and
		 * nothing not yet broadcast */
		if (gw->store == NULL) {
			conn_respond_str(
			    c, 501, "text/plain", NULL,
			    "q= needs the event store (gateway.store, event-store(8))\n");
			return;
		}
		if (q->limit == 0) {
			conn_respond(c, 200, "application/x-ndjson", "Cache-Control: no-store\r\n",
				     "", 0);
			return;
		}
		below = q->before != 0 && (end == 0 || q->before < end) ? q->before : end;
		history_http_store(c, &a, below, NULL, 0, 0);
		return;
	}
	if (gw->store != NULL && first > 1 && q->limit > 0 && q->have_since &&
	    q->since + 1 < below) {
		/* it begins below the ring: the store, then the ring */
		if (history_http_store(c, &a, below, NULL, 0, 0) >= 0)
			return;
	}
	if ((out = evbuffer_new()) == NULL) {
		conn_respond_str(c, 503, "text/plain", NULL, "out of memory\n");
		return;
	}
	n = history_collect(gw, q, 1, out, &t);
	if (gw->store != NULL && first > 1 && !q->have_since && n < q->limit && below > 1 &&
	    !t.full) {
		/* the last limit: what the ring lacks comes from the store, below it */
		if ((r = history_http_store(c, &a, below, out, n, t.bytes)) == 0)
			return; /* out is the request's now */
		if (r == 1) {
			evbuffer_free(out);
			return;
		}
	}
	history_http_answer(c, out, a.gzip);
	evbuffer_free(out);
}
