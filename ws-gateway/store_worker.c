/*
 * store_worker.c: the event store (event-store(8)) for whatever has left the
 * ring, read on ONE worker thread so that the event loop never calls SQLite.
 *
 * The loop queues a request (struct store_req, at most STORE_QUEUE_MAX; a
 * full queue is answered "busy" at once by the caller), the worker runs it on
 * its own read-only connection (common/store_query.c) at nice
 * STORE_WORKER_NICE, and hands the request back through a pipe the loop
 * reads.  A request names its client by Engine.IO session id and the
 * client's connect counter (ac_gen): an answer for a client that has gone,
 * or reconnected, is dropped.  An HTTP request (/api/events, /api/sessions)
 * names its conn instead (r->conn), and the conn points back at that name
 * (c_await): a conn that closes sets it to NULL, so the answer finds no conn
 * and is dropped; once answered, the conn goes on to its next request.  The
 * worker also compresses the /api/events answers asked for with
 * compress=gzip (r->pack), so that the loop does not.  A store that is missing or
 * unreadable is logged once and opened again at most every STORE_RETRY_SECONDS: history then comes
 * from the ring only.
 */
#include <sys/resource.h>
#if defined(__linux__) && !defined(HOOKWIRE_PORTABLE)
#include <sys/syscall.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "compat.h"
#include "gateway.h"
#include "log.h"
#include "store_query.h"
#include "util.h"

#define STORE_QUEUE_MAX	    64 /* requests waiting for the worker */
#define STORE_WORKER_NICE   10 /* the worker's nice value */
#define STORE_RETRY_SECONDS 5  /* opening a missing store again at most this often */
#define STORE_BUSY_MS	    2000
#define STORE_JOIN_MS	    2000 /* shutdown waits this long for the worker (whole seconds) */
/* /api/events?compress=gzip: zlib's fastest level (a 5 MB page of events in
 * about 15 ms, a tenth of its size) */
#define STORE_GZIP_LEVEL 1

struct store_worker {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_cond_t done_cv; /* the worker has returned (w->done) */
	TAILQ_HEAD(, store_req) q;
	size_t nq;
	int stop, done;
	int pfd[2]; /* worker -> loop: finished requests, by pointer */
	struct event *pev;
	char path[PATH_MAX];
	/* the worker thread's own */
	struct store_query *db;
	time_t last_try;
	int logged;
	int logged_missing; /* the last failure was with the file there */
};

/* Frees r and what it holds. */
void
store_req_free(struct store_req *r)
{
	size_t i;

	if (r == NULL)
		return;
	free(r->session);
	free(r->event);
	free(r->q);
	free(r->project);
	for (i = 0; i < r->nscope; i++)
		free(r->scope[i]);
	free(r->scope);
	for (i = 0; i < r->nsubs; i++)
		free(r->subs[i]);
	free(r->subs);
	if (r->out != NULL)
		evbuffer_free(r->out);
	if (r->ring != NULL)
		evbuffer_free(r->ring);
	free(r);
}

char **
store_strv_dup(char *const *v, size_t n)
{
	char **c;
	size_t i;

	if (v == NULL)
		return NULL;
	if ((c = calloc(n > 0 ? n : 1, sizeof(*c))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if ((c[i] = strdup(v[i])) == NULL) {
			while (i > 0)
				free(c[--i]);
			free(c);
			return NULL;
		}
	return c;
}

static int
store_list_has(char **l, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s != NULL && strcmp(l[i], s) == 0)
			return 1;
	return 0;
}

/* 1 when r's answer has no room for len more bytes of events (it always
 * has for its first event); stops the walk. */
static int
store_req_full(struct store_req *r, size_t len)
{
	if (history_no_room(r->bytes_max, r->bytes, len))
		r->full = 1;
	return r->full;
}

/* A search's hits, newest first (a json-c array): at most lim, within
 * r->bytes_max bytes of events; more when some were left out. */
struct store_hits {
	struct store_req *r;
	json_object *hits;
	size_t lim;
	int more;
};

/* A search hit, into sh->hits.  The SQL gave only sessions the client may
 * see (store_req_sessions_json()). */
static int
store_hit(void *arg, uint64_t seq, const char *json, size_t len, const char *snippet)
{
	struct store_hits *sh = arg;
	json_object *h, *ev;
	struct record rec;

	if (json_object_array_length(sh->hits) == sh->lim || store_req_full(sh->r, len)) {
		sh->more = 1;
		return 1;
	}
	if (record_parse(json, len, &rec) < 0)
		return 0;
	ev = json_object_get(rec.r_obj);
	record_clear(&rec);
	if ((h = json_object_new_object()) == NULL) {
		json_object_put(ev);
		return 0;
	}
	json_object_object_add(h, "seq", json_object_new_int64((int64_t)seq));
	json_object_object_add(h, "snippet", json_object_new_string(snippet ? snippet : ""));
	json_object_object_add(h, "event", ev);
	json_object_array_add(sh->hits, h);
	sh->r->bytes += len;
	return 0;
}

/* On the worker: a search, newest hits first; one more than limit asked to tell "more". */
static long
store_worker_search(struct store_worker *w, struct store_req *r, struct store_filter *f, char *err,
		    size_t errlen)
{
	struct store_hits sh = {.r = r, .hits = json_object_new_array(), .lim = (size_t)r->limit};
	json_object *ans;
	long rc;
	const char *t;

	if (sh.hits == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	f->search = r->q;
	f->project = r->project;
	f->hl_open = "\002";
	f->hl_close = "\003";
	f->oldest_first = 0;
	f->newest_first = 1;
	f->limit = sh.lim + 1;
	rc = store_query_events(w->db, f, store_hit, &sh, err, errlen);
	if (rc < 0) {
		json_object_put(sh.hits);
		return rc;
	}
	ans = json_object_new_object();
	json_object_object_add(ans, "hits", sh.hits);
	json_object_object_add(ans, "more", json_object_new_boolean(sh.more));
	t = json_object_to_json_string_ext(ans,
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	evbuffer_add(r->out, t, strlen(t));
	json_object_put(ans);
	return rc;
}

struct store_sess_arg {
	struct store_query *q;
	struct store_req *r;
	json_object *arr;
	size_t n, lim;
	char *err; /* a failed usage lookup: its message, and failed set */
	size_t errlen;
	int failed;
};

static void
store_ts(char *out, size_t outlen, int64_t us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	size_t n;

	gmtime_r(&t, &tm);
	n = strftime(out, outlen, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, outlen - n, ".%06uZ", (unsigned)((uint64_t)us % 1000000));
}

/* One session for history_sessions: kept when the client may see it; the
 * usage lookup is for the kept ones only. */
static int
store_sess(void *arg, const struct store_session *ss)
{
	struct store_sess_arg *a = arg;
	struct store_req *r = a->r;
	json_object *o;
	char ts[40], *usage;

	if (r->scope != NULL && !store_list_has(r->scope, r->nscope, ss->session_id))
		return 0;
	if (r->before_us != 0 && ss->last_ts_us >= r->before_us)
		return 0;
	if (++a->n > a->lim)
		return 1; /* one more than limit: there is more */
	if (store_query_session_usage(a->q, ss->session_id, &usage, a->err, a->errlen) == -1) {
		a->failed = 1;
		return 1;
	}
	o = json_object_new_object();
	json_object_object_add(o, "session_id", json_object_new_string(ss->session_id));
	json_object_object_add(o, "project",
			       ss->project ? json_object_new_string(ss->project) : NULL);
	json_object_object_add(o, "first_seq", json_object_new_int64((int64_t)ss->first_seq));
	json_object_object_add(o, "last_seq", json_object_new_int64((int64_t)ss->last_seq));
	store_ts(ts, sizeof(ts), ss->first_ts_us);
	json_object_object_add(o, "first_ts", json_object_new_string(ts));
	store_ts(ts, sizeof(ts), ss->last_ts_us);
	json_object_object_add(o, "last_ts", json_object_new_string(ts));
	json_object_object_add(o, "last_ts_us", json_object_new_int64(ss->last_ts_us));
	json_object_object_add(o, "events", json_object_new_int64((int64_t)ss->events));
	/* tokens and cost, as the live sessions list has them (cc_sessions.c) */
	if (usage != NULL) {
		json_object *u = json_tokener_parse(usage);

		if (json_object_is_type(u, json_type_object))
			json_object_object_add(o, "usage", u);
		else
			json_object_put(u);
		free(usage);
	}
	json_object_array_add(a->arr, o);
	return 0;
}

/* On the worker: history_sessions, most recently active first. */
static long
store_worker_sessions(struct store_worker *w, struct store_req *r, char *err, size_t errlen)
{
	struct store_session_filter sf;
	struct store_sess_arg a = {
	    .q = w->db, .r = r, .lim = (size_t)r->limit, .err = err, .errlen = errlen};
	json_object *ans;
	const char *t;
	long rc;

	memset(&sf, 0, sizeof(sf));
	sf.from_us = r->from_us;
	sf.to_us = r->to_us;
	if (r->before_us != 0 && (sf.to_us == 0 || sf.to_us >= r->before_us))
		sf.to_us = r->before_us - 1;
	sf.project = r->project;
	/* scoped or paged: more rows than asked, filtered here */
	sf.limit = (r->scope != NULL || r->before_us != 0) ? STORE_SESSIONS_MAX : a.lim + 1;
	a.arr = json_object_new_array();
	rc = store_query_sessions(w->db, &sf, store_sess, &a, err, errlen);
	if (a.failed)
		rc = -1;
	if (rc < 0) {
		json_object_put(a.arr);
		return rc;
	}
	ans = json_object_new_object();
	json_object_object_add(ans, "sessions", a.arr);
	json_object_object_add(ans, "more", json_object_new_boolean(a.n > a.lim));
	t = json_object_to_json_string_ext(ans,
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	evbuffer_add(r->out, t, strlen(t));
	json_object_put(ans);
	return rc;
}

/* One store row, into r->out: after the others, or before them when they
 * come newest first (the last limit below the ring, which the ring's part,
 * newer, may already have filled in part).  The SQL gave only sessions the
 * client may see (store_req_sessions_json()): nothing to parse here. */
static int
store_row(void *arg, uint64_t seq, const char *json, size_t len, const char *snippet)
{
	struct store_req *r = arg;

	(void)seq;
	(void)snippet;
	if (store_req_full(r, len))
		return 1;
	if (!r->have_since) {
		if (r->ndjson)
			evbuffer_prepend(r->out, "\n", 1);
		else if (r->count > 0)
			evbuffer_prepend(r->out, ",", 1);
		evbuffer_prepend(r->out, json, len);
	} else {
		if (r->count > 0 && !r->ndjson)
			evbuffer_add(r->out, ",", 1);
		evbuffer_add(r->out, json, len);
		if (r->ndjson)
			evbuffer_add(r->out, "\n", 1);
	}
	r->bytes += len;
	r->count++;
	return 0;
}

/* On the worker: opens the store when it is not open (at most every STORE_RETRY_SECONDS). */
static int
store_worker_open(struct store_worker *w)
{
	char err[512];
	time_t now = time(NULL);

	if (w->db != NULL)
		return 0;
	/* a missing file is looked for again at once when it appears */
	if (w->last_try != 0 && now - w->last_try < STORE_RETRY_SECONDS &&
	    (w->logged_missing || access(w->path, F_OK) != 0))
		return -1;
	w->last_try = now;
	if ((w->db = store_query_open(w->path, STORE_BUSY_MS, err, sizeof(err))) == NULL) {
		if (!w->logged)
			log_warnx("no_store", "%s: %s; history from the ring only", __func__, err);
		w->logged = 1;
		w->logged_missing = access(w->path, F_OK) == 0;
		return -1;
	}
	log_info("%s: reading history from %s", __func__, w->path);
	w->logged = 0;
	return 0;
}

/*
 * The sessions r may see, as a JSON array for store_filter.sessions_json:
 * its scope, narrowed to its subscriptions when it has any; NULL when it may
 * see every session.  Returns a new string the caller frees (in *json);
 * -1 when out of memory.  Asked in the SQL, so that a limit counts only rows
 * the client may see (filtered after, an answer came back short).
 */
static int
store_req_sessions_json(const struct store_req *r, char **json)
{
	json_object *a;
	char *const *l = r->scope != NULL ? r->scope : r->subs;
	size_t i, n = r->scope != NULL ? r->nscope : r->nsubs;

	*json = NULL;
	if (r->scope == NULL && r->nsubs == 0)
		return 0;
	if ((a = json_object_new_array()) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (r->nsubs == 0 || store_list_has(r->subs, r->nsubs, l[i]))
			json_object_array_add(a, json_object_new_string(l[i]));
	*json = strdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
	json_object_put(a);
	return *json != NULL ? 0 : -1;
}

/* On the worker: out, gzip-compressed in place; 0, or -1 (out unchanged). */
static int
store_gzip(struct evbuffer *out)
{
	size_t len = evbuffer_get_length(out);
	struct evbuffer *z;
	struct evbuffer_iovec v;
	z_stream zs;
	unsigned char *in;
	int rc = -1;

	if (len > UINT32_MAX || ((in = evbuffer_pullup(out, -1)) == NULL && len > 0))
		return -1;
	memset(&zs, 0, sizeof(zs));
	/* windowBits 15 + 16: a gzip header and trailer around the deflate data */
	if (deflateInit2(&zs, STORE_GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	if ((z = evbuffer_new()) == NULL ||
	    evbuffer_reserve_space(z, (ev_ssize_t)deflateBound(&zs, (uLong)len), &v, 1) < 1)
		goto done;
	zs.next_in = in;
	zs.avail_in = (uInt)len;
	zs.next_out = v.iov_base;
	zs.avail_out = (uInt)v.iov_len;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		goto done;
	v.iov_len = zs.total_out;
	if (evbuffer_commit_space(z, &v, 1) < 0)
		goto done;
	evbuffer_drain(out, len);
	evbuffer_add_buffer(out, z);
	rc = 0;
done:
	deflateEnd(&zs);
	if (z != NULL)
		evbuffer_free(z);
	return rc;
}

/* On the worker: runs r. */
static void
store_worker_run(struct store_worker *w, struct store_req *r)
{
	struct store_filter f;
	char err[512], *visible = NULL;
	long n;

	r->result = STORE_RESULT_ERROR;
	if (r->pack) {
		if (store_gzip(r->out) == 0)
			r->result = STORE_RESULT_OK;
		return;
	}
	if (store_worker_open(w) < 0)
		return;
	memset(&f, 0, sizeof(f));
	if (store_req_sessions_json(r, &visible) < 0)
		return;
	f.sessions_json = visible;
	f.since_seq = r->since;
	f.before_seq = r->before;
	f.oldest_first = r->have_since;
	f.session = r->session;
	f.event = r->event;
	if (r->limit > STORE_LIMIT_MAX - 1)
		r->limit = STORE_LIMIT_MAX - 1;
	f.limit = (size_t)r->limit;
	if (r->sessions)
		n = store_worker_sessions(w, r, err, sizeof(err));
	else if (r->search)
		n = store_worker_search(w, r, &f, err, sizeof(err));
	else {
		f.search = r->q; /* /api/events?q= */
		/* the last limit: from the newest down, as far as bytes_max goes */
		f.newest_first = !r->have_since;
		n = store_query_events(w->db, &f, store_row, r, err, sizeof(err));
	}
	free(visible);
	if (n == -2) { /* a bad question: said in the answer */
		if (r->search || r->sessions)
			evbuffer_add_printf(r->out, "{\"error\":\"bad_request\"}");
		strlcpy(r->err, err, sizeof(r->err));
		r->result = STORE_RESULT_ERROR;
		return;
	}
	if (n == -1) {
		log_warnx("store_error", "%s: %s", __func__, err);
		store_query_close(w->db);
		w->db = NULL;
		w->last_try = 0;
		return;
	}
	r->result = n < 0 ? STORE_RESULT_ERROR : STORE_RESULT_OK;
}

static void *
store_worker_main(void *arg)
{
	struct store_worker *w = arg;
	struct store_req *r;
	ssize_t k;

#if defined(__linux__) && !defined(HOOKWIRE_PORTABLE)
	/* this thread only: Linux's nice is per thread (elsewhere it is the
	 * process's, and the worker keeps the gateway's) */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), STORE_WORKER_NICE);
#endif
	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (!w->stop && TAILQ_EMPTY(&w->q))
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		r = TAILQ_FIRST(&w->q);
		TAILQ_REMOVE(&w->q, r, r_entry);
		pthread_mutex_unlock(&w->mu);
		store_worker_run(w, r);
		do
			k = write(w->pfd[1], &r, sizeof(r));
		while (k < 0 && errno == EINTR);
		if (k != (ssize_t)sizeof(r))
			store_req_free(r);
	}
	store_query_close(w->db);
	/* store_worker_free() waits for this, for at most STORE_JOIN_MS
	 * (pthread_timedjoin_np is glibc's own) */
	pthread_mutex_lock(&w->mu);
	w->done = 1;
	pthread_cond_signal(&w->done_cv);
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* On the loop: finished requests come back. */
static void
store_worker_done(evutil_socket_t fd, short ev, void *arg)
{
	struct gw *gw = arg;
	struct store_worker *w = gw->store;
	struct store_req *r;
	struct conn *c;
	ssize_t k;

	(void)fd;
	(void)ev;
	while ((k = read(w->pfd[0], &r, sizeof(r))) == (ssize_t)sizeof(r)) {
		pthread_mutex_lock(&w->mu);
		w->nq--;
		pthread_mutex_unlock(&w->mu);
		if (!r->pack)
			gw->m.store_queries[r->result]++;
		c = r->conn;
		if (r->done != NULL)
			r->done(gw, r);
		if (c != NULL && c->c_await == &r->conn) {
			/* answered (a conn that closed meanwhile let go of r in
			 * conn_close, and is freed after this callback only):
			 * on to the conn's next request */
			c->c_await = NULL;
			r->conn = NULL;
			if (!c->c_closing)
				gw->hooks.conn_input(c);
		}
		store_req_free(r);
	}
}

int
store_worker_init(struct gw *gw)
{
	struct store_worker *w;

	if (gw->cfg.store[0] == '\0')
		return 0;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	strlcpy(w->path, gw->cfg.store, sizeof(w->path));
	TAILQ_INIT(&w->q);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	pthread_cond_init(&w->done_cv, NULL);
	if (compat_pipe(w->pfd, COMPAT_CLOEXEC) < 0) {
		free(w);
		return -1;
	}
	fcntl(w->pfd[0], F_SETFL, O_NONBLOCK);
	w->pev = event_new(gw->base, w->pfd[0], EV_READ | EV_PERSIST, store_worker_done, gw);
	if (w->pev == NULL || event_add(w->pev, NULL) < 0 ||
	    pthread_create(&w->th, NULL, store_worker_main, w) != 0) {
		if (w->pev)
			event_free(w->pev);
		close(w->pfd[0]);
		close(w->pfd[1]);
		free(w);
		return -1;
	}
	gw->store = w;
	log_info("%s: history beyond the ring from %s", __func__, w->path);
	return 0;
}

int
store_worker_submit(struct gw *gw, struct store_req *r)
{
	struct store_worker *w = gw->store;

	if (w == NULL)
		return -1;
	pthread_mutex_lock(&w->mu);
	if (w->nq >= STORE_QUEUE_MAX) {
		pthread_mutex_unlock(&w->mu);
		gw->m.store_queries[STORE_RESULT_BUSY]++;
		return -1;
	}
	if (r->out == NULL && (r->out = evbuffer_new()) == NULL) {
		pthread_mutex_unlock(&w->mu);
		return -1;
	}
	TAILQ_INSERT_TAIL(&w->q, r, r_entry);
	w->nq++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

int
store_worker_try_http(struct gw *gw, struct store_req *r, struct conn *c)
{
	r->conn = c;
	if (store_worker_submit(gw, r) < 0) {
		r->conn = NULL;
		return -1;
	}
	c->c_await = &r->conn;
	return 0;
}

int
store_worker_submit_http(struct gw *gw, struct store_req *r, struct conn *c)
{
	if (gw->store == NULL)
		return -1;
	if (store_worker_try_http(gw, r, c) < 0) {
		conn_respond_str(c, 503, "text/plain", "Retry-After: " STORE_RETRY_AFTER "\r\n",
				 "the event store is busy; try again\n");
		return -1;
	}
	return 0;
}

struct eio_session *
store_req_session(struct gw *gw, const struct store_req *r)
{
	struct eio_session key, *s;

	memcpy(key.es_id, r->es_id, sizeof(key.es_id));
	s = RB_FIND(eio_session_tree, &gw->eio_sessions, &key);
	if (s == NULL || s->es_closed || !s->es_api.ac_listed || s->es_api.ac_gen != r->gen)
		return NULL;
	return s;
}

void
store_worker_free(struct gw *gw)
{
	struct store_worker *w = gw->store;
	struct store_req *r;
	struct timespec until;
	int done;

	if (w == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += STORE_JOIN_MS / 1000;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->cv);
	while (!w->done && pthread_cond_timedwait(&w->done_cv, &w->mu, &until) != ETIMEDOUT)
		;
	done = w->done;
	pthread_mutex_unlock(&w->mu);
	if (!done) {
		/* stuck in a read of the disk: the process is exiting, and the
		 * thread still uses w, so w stays (its pipe too: no SIGPIPE) */
		log_warnx("store_stuck", "%s: the store worker did not stop within %d ms; left",
			  __func__, STORE_JOIN_MS);
		event_free(w->pev);
		gw->store = NULL;
		return;
	}
	pthread_join(w->th, NULL);
	while ((r = TAILQ_FIRST(&w->q)) != NULL) {
		TAILQ_REMOVE(&w->q, r, r_entry);
		store_req_free(r);
	}
	while (read(w->pfd[0], &r, sizeof(r)) == (ssize_t)sizeof(r))
		store_req_free(r);
	event_free(w->pev);
	close(w->pfd[0]);
	close(w->pfd[1]);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	pthread_cond_destroy(&w->done_cv);
	free(w);
	gw->store = NULL;
}
