/*
 * ingest.c: the ingest socket, $RUNDIR/ingest.sock (event-router(8)).
 *
 * Each producer connection has a read event and a write event of its own;
 * no bufferevents (libevent 2.1 reads at most 4 KiB per callback through an
 * evbuffer, which would cut batches to a few events).  A read takes up to
 * INGEST_READ_MAX bytes into a buffer shared by all connections; every
 * complete line in it is run through router_line() in place, the batch is
 * committed (one journal write, one ring notify), and only then are the
 * reply lines written, in input order, with one write(2).  The start of a
 * line that is not complete yet is kept in the connection's own buffer.
 * A line longer than router.line_max is answered line_too_long as soon as
 * its length passes the limit and its bytes are dropped up to its newline,
 * so memory stays bounded.  Back-pressure: while more than
 * router.conn_buffer bytes of replies wait to be sent, the connection is
 * not read; reading resumes below half of it.  At most router.clients_max
 * connections: beyond that the listener is paused, and a reserve descriptor
 * lets us shed a connection when out of descriptors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "compat.h"
#include "log.h"
#include "router.h"

#define INGEST_READ_MAX	 (256 * 1024) /* bytes read from a socket per callback */
#define INGEST_REPLY_MAX 160
#define INGEST_LOG_PER_SEC                                                                         \
	20 /* rejected lines logged one by one per second; the rest summed up                      \
	    */

struct ingest_conn {
	struct ingest *c_ig;
	int c_fd;
	struct event *c_rev, *c_wev;
	char *c_in; /* the start of a line not complete yet */
	size_t c_inlen, c_incap;
	char *c_out; /* replies not sent yet: c_out[c_outoff..c_outlen) */
	size_t c_outoff, c_outlen, c_outcap;
	int c_discard;	/* dropping the rest of a line that was too long */
	int c_closing;	/* producer sent EOF: close once the replies are out */
	int c_paused;	/* not reading: back-pressure */
	uint64_t c_num; /* for the log */
	TAILQ_ENTRY(ingest_conn) c_entry;
};

struct ingest {
	struct event_base *ig_base;
	struct router *ig_rt;
	struct evconnlistener *ig_lst;
	struct event *ig_resume; /* one-shot: accept again after EMFILE */
	char ig_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	size_t ig_line_max, ig_conn_buffer;
	int ig_clients_max, ig_nconn, ig_paused;
	int ig_reserve_fd;
	uint64_t ig_seq;
	char *ig_rbuf;	  /* INGEST_READ_MAX bytes, shared */
	char *ig_replies; /* reply lines of the current batch */
	size_t ig_rlen, ig_rcap;
	void (*ig_committed)(void *);
	void *ig_committed_arg;
	TAILQ_HEAD(, ingest_conn) ig_conns;
	time_t ig_log_sec; /* rate limit of rejection logs */
	unsigned ig_log_n, ig_log_dropped;
};

static void ingest_close(struct ingest_conn *c, const char *why);

/* Grows *buf (capacity *cap) to hold at least need bytes.  Returns 0 or -1. */
static int
ingest_grow(char **buf, size_t *cap, size_t need)
{
	size_t ncap = *cap ? *cap : 4096;
	char *n;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	if ((n = realloc(*buf, ncap)) == NULL)
		return -1;
	*buf = n;
	*cap = ncap;
	return 0;
}

/* Logs a rejected line (reason and size, never the payload), at most
 * INGEST_LOG_PER_SEC a second; a flood is summed up once a second. */
static void
ingest_log_reject(struct ingest_conn *c, const char *reason, size_t len)
{
	struct ingest *ig = c->c_ig;
	time_t now = time(NULL);

	if (now != ig->ig_log_sec) {
		if (ig->ig_log_dropped > 0)
			log_warnx("rejected", "%s: %u more rejected lines not logged one by one",
				  __func__, ig->ig_log_dropped);
		ig->ig_log_sec = now;
		ig->ig_log_n = 0;
		ig->ig_log_dropped = 0;
	}
	if (ig->ig_log_n++ < INGEST_LOG_PER_SEC)
		log_warnx(reason, "%s: connection %llu: line of %zu bytes rejected", __func__,
			  (unsigned long long)c->c_num, len);
	else
		ig->ig_log_dropped++;
}

/* Runs one line (NULL: a line over the limit); appends its reply. */
static void
ingest_one(struct ingest_conn *c, const char *line, size_t len)
{
	struct ingest *ig = c->c_ig;
	const char *reason;
	uint64_t seq;
	enum router_verdict v;

	if (line != NULL && len > 0 && line[len - 1] == '\r')
		len--;
	if (ingest_grow(&ig->ig_replies, &ig->ig_rcap, ig->ig_rlen + INGEST_REPLY_MAX) == -1)
		return;
	v = router_line(ig->ig_rt, line, len, &seq, &reason, ig->ig_replies + ig->ig_rlen,
			INGEST_REPLY_MAX);
	ig->ig_rlen += strlen(ig->ig_replies + ig->ig_rlen);
	if (v == ROUTER_REJECTED)
		ingest_log_reject(c, reason, len);
}

/* Sends what c_out holds.  Returns 0, or -1 when the connection was closed. */
static int
ingest_send(struct ingest_conn *c)
{
	struct ingest *ig = c->c_ig;
	ssize_t n;

	while (c->c_outoff < c->c_outlen) {
		n = write(c->c_fd, c->c_out + c->c_outoff, c->c_outlen - c->c_outoff);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			ingest_close(c, n == 0 ? "short write" : "write failed");
			return -1;
		}
		c->c_outoff += (size_t)n;
	}
	if (c->c_outoff == c->c_outlen) {
		c->c_outoff = c->c_outlen = 0;
		event_del(c->c_wev);
		if (c->c_closing) {
			ingest_close(c, NULL);
			return -1;
		}
	} else {
		event_add(c->c_wev, NULL);
	}
	/* back-pressure on unsent replies */
	if (!c->c_paused && c->c_outlen - c->c_outoff > ig->ig_conn_buffer) {
		event_del(c->c_rev);
		c->c_paused = 1;
	} else if (c->c_paused && !c->c_closing &&
		   c->c_outlen - c->c_outoff <= ig->ig_conn_buffer / 2) {
		event_add(c->c_rev, NULL);
		c->c_paused = 0;
	}
	return 0;
}

/* Commits the batch and sends the replies.  Returns 0, or -1 when the
 * connection was closed. */
static int
ingest_flush(struct ingest_conn *c)
{
	struct ingest *ig = c->c_ig;
	char err[256];

	if (router_commit(ig->ig_rt, err, sizeof(err)) == -1) {
		/* not in the journal: acknowledge nothing; the producer spools it */
		log_warnx("journal_error", "%s: %s", __func__, err);
		ig->ig_rlen = 0;
		ingest_close(c, "journal write failed");
		return -1;
	}
	if (ig->ig_committed != NULL)
		ig->ig_committed(ig->ig_committed_arg);
	if (ig->ig_rlen == 0)
		return 0;
	if (c->c_outoff > 0 && c->c_outoff == c->c_outlen)
		c->c_outoff = c->c_outlen = 0;
	if (c->c_outlen == 0) {
		/* the usual case: nothing pending, write straight from the batch */
		ssize_t n = write(c->c_fd, ig->ig_replies, ig->ig_rlen);

		if (n == (ssize_t)ig->ig_rlen) {
			ig->ig_rlen = 0;
			return 0;
		}
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			ig->ig_rlen = 0;
			ingest_close(c, "write failed");
			return -1;
		}
		if (n < 0)
			n = 0;
		memmove(ig->ig_replies, ig->ig_replies + n, ig->ig_rlen - (size_t)n);
		ig->ig_rlen -= (size_t)n;
	}
	if (ingest_grow(&c->c_out, &c->c_outcap, c->c_outlen + ig->ig_rlen) == -1) {
		ig->ig_rlen = 0;
		ingest_close(c, "out of memory");
		return -1;
	}
	memcpy(c->c_out + c->c_outlen, ig->ig_replies, ig->ig_rlen);
	c->c_outlen += ig->ig_rlen;
	ig->ig_rlen = 0;
	return ingest_send(c);
}

/* Runs the complete lines of buf[0..len).  Returns the offset where the
 * unfinished line starts. */
static size_t
ingest_lines(struct ingest_conn *c, const char *buf, size_t len)
{
	const char *nl;
	size_t off = 0;

	if (c->c_discard) {
		if ((nl = memchr(buf, '\n', len)) == NULL)
			return len;
		off = (size_t)(nl - buf) + 1;
		c->c_discard = 0;
	}
	while (off < len && (nl = memchr(buf + off, '\n', len - off)) != NULL) {
		ingest_one(c, buf + off, (size_t)(nl - (buf + off)));
		off = (size_t)(nl - buf) + 1;
	}
	return off;
}

static void
ingest_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ingest_conn *c = arg;
	struct ingest *ig = c->c_ig;
	char *buf;
	size_t off, have, rest;
	ssize_t n;

	/* read after a kept line start, or into the shared buffer */
	if (c->c_inlen > 0) {
		if (ingest_grow(&c->c_in, &c->c_incap, c->c_inlen + INGEST_READ_MAX) == -1) {
			ingest_close(c, "out of memory");
			return;
		}
		buf = c->c_in;
		have = c->c_inlen;
	} else {
		buf = ig->ig_rbuf;
		have = 0;
	}
	n = read(fd, buf + have, INGEST_READ_MAX);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n == -1) {
		ingest_close(c, "read failed");
		return;
	}
	if (n == 0) {
		/* end of input: a last line without its newline still counts */
		if (!c->c_discard && c->c_inlen > 0)
			ingest_one(c, c->c_in, c->c_inlen);
		c->c_inlen = 0;
		event_del(c->c_rev);
		c->c_closing = 1;
		if (ingest_flush(c) == 0 && c->c_outlen == 0)
			ingest_close(c, NULL);
		return;
	}
	have += (size_t)n;
	off = ingest_lines(c, buf, have);
	rest = have - off;
	if (rest > ig->ig_line_max) {
		/* too long and not over yet: answer now, drop until its newline */
		ingest_one(c, NULL, rest);
		c->c_discard = 1;
		rest = 0;
	}
	if (rest == 0) {
		c->c_inlen = 0;
		if (c->c_incap > 2 * INGEST_READ_MAX) {
			free(c->c_in); /* give back what a long line took */
			c->c_in = NULL;
			c->c_incap = 0;
		}
	} else if (buf == c->c_in) {
		memmove(c->c_in, c->c_in + off, rest);
		c->c_inlen = rest;
	} else {
		if (ingest_grow(&c->c_in, &c->c_incap, rest) == -1) {
			ingest_close(c, "out of memory");
			return;
		}
		memcpy(c->c_in, buf + off, rest);
		c->c_inlen = rest;
	}
	ingest_flush(c);
}

static void
ingest_write_cb(evutil_socket_t fd, short what, void *arg)
{
	ingest_send(arg);
}

static void
ingest_close(struct ingest_conn *c, const char *why)
{
	struct ingest *ig = c->c_ig;

	if (why != NULL)
		log_warnx("conn_closed", "%s: connection %llu: %s", __func__,
			  (unsigned long long)c->c_num, why);
	TAILQ_REMOVE(&ig->ig_conns, c, c_entry);
	event_free(c->c_rev);
	event_free(c->c_wev);
	close(c->c_fd);
	free(c->c_in);
	free(c->c_out);
	free(c);
	ig->ig_nconn--;
	if (ig->ig_paused && ig->ig_nconn < ig->ig_clients_max &&
	    !evtimer_pending(ig->ig_resume, NULL)) {
		evconnlistener_enable(ig->ig_lst);
		ig->ig_paused = 0;
	}
}

static void
ingest_accept_cb(struct evconnlistener *lst, evutil_socket_t fd, struct sockaddr *sa, int salen,
		 void *arg)
{
	struct ingest *ig = arg;
	struct ingest_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->c_ig = ig;
	c->c_fd = fd;
	c->c_num = ++ig->ig_seq;
	/* already non-blocking: the listener accepts with SOCK_NONBLOCK (no
	 * LEV_OPT_LEAVE_SOCKETS_BLOCKING; libevent sets it itself where
	 * accept4() is missing); asking again cost a fcntl(2) per hook, in
	 * the wake-up that may take the hook's own CPU */
	c->c_rev = event_new(ig->ig_base, fd, EV_READ | EV_PERSIST, ingest_read_cb, c);
	c->c_wev = event_new(ig->ig_base, fd, EV_WRITE | EV_PERSIST, ingest_write_cb, c);
	if (c->c_rev == NULL || c->c_wev == NULL || event_add(c->c_rev, NULL) == -1) {
		if (c->c_rev != NULL)
			event_free(c->c_rev);
		if (c->c_wev != NULL)
			event_free(c->c_wev);
		free(c);
		close(fd);
		return;
	}
	TAILQ_INSERT_TAIL(&ig->ig_conns, c, c_entry);
	ig->ig_nconn++;
	router_counter_add(ig->ig_rt, RING_C_CONNECTIONS, 1);
	if (ig->ig_nconn >= ig->ig_clients_max) {
		/* pause accepting; ingest_close() resumes */
		evconnlistener_disable(lst);
		ig->ig_paused = 1;
	}
}

static void
ingest_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ingest *ig = arg;

	if (ig->ig_nconn < ig->ig_clients_max) {
		evconnlistener_enable(ig->ig_lst);
		ig->ig_paused = 0;
	}
}

static void
ingest_error_cb(struct evconnlistener *lst, void *arg)
{
	struct ingest *ig = arg;
	struct timeval tv = {1, 0};
	int e = errno, fd;

	if (e != EMFILE && e != ENFILE) {
		log_warn("accept_failed", "%s: accept", __func__);
		return;
	}
	/*
	 * Out of descriptors: give back the reserve, take the waiting
	 * connection and close it (the producer spools), take the reserve
	 * again and pause accepting for a second, or libevent will haunt us.
	 */
	log_warnx("fd_exhausted", "%s: out of file descriptors, shedding a connection", __func__);
	if (ig->ig_reserve_fd != -1) {
		close(ig->ig_reserve_fd);
		if ((fd = accept(evconnlistener_get_fd(lst), NULL, NULL)) != -1)
			close(fd);
		ig->ig_reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	evconnlistener_disable(lst);
	ig->ig_paused = 1;
	evtimer_add(ig->ig_resume, &tv);
}

struct ingest *
ingest_new(struct event_base *base, struct router *rt, const char *path, size_t line_max,
	   size_t conn_buffer, int clients_max, char *err, size_t errlen)
{
	struct ingest *ig;
	struct sockaddr_un sun;
	mode_t old;
	int fd = -1;

	if ((ig = calloc(1, sizeof(*ig))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ig->ig_base = base;
	ig->ig_rt = rt;
	ig->ig_line_max = line_max;
	ig->ig_conn_buffer = conn_buffer;
	ig->ig_clients_max = clients_max;
	ig->ig_reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	TAILQ_INIT(&ig->ig_conns);
	if ((ig->ig_rbuf = malloc(INGEST_READ_MAX)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", path);
		goto fail;
	}
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	strlcpy(ig->ig_path, path, sizeof(ig->ig_path));
	if ((fd = compat_socket(AF_UNIX, SOCK_STREAM, 0, COMPAT_CLOEXEC | COMPAT_NONBLOCK)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	/* we hold the pidfile lock: a socket file left here is stale */
	unlink(path);
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		snprintf(err, errlen, "bind %s: %s", path, strerror(errno));
		goto fail;
	}
	umask(old);
	chmod(path, 0600);
	if (listen(fd, 4096) == -1) {
		snprintf(err, errlen, "listen %s: %s", path, strerror(errno));
		goto fail;
	}
	ig->ig_lst = evconnlistener_new(base, ingest_accept_cb, ig,
					LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (ig->ig_lst == NULL) {
		snprintf(err, errlen, "evconnlistener_new failed");
		goto fail;
	}
	fd = -1;
	evconnlistener_set_error_cb(ig->ig_lst, ingest_error_cb);
	if ((ig->ig_resume = evtimer_new(base, ingest_resume_cb, ig)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return ig;
fail:
	if (fd != -1)
		close(fd);
	ingest_free(ig);
	return NULL;
}

void
ingest_set_commit_cb(struct ingest *ig, void (*cb)(void *), void *arg)
{
	ig->ig_committed = cb;
	ig->ig_committed_arg = arg;
}

void
ingest_free(struct ingest *ig)
{
	struct ingest_conn *c;

	if (ig == NULL)
		return;
	while ((c = TAILQ_FIRST(&ig->ig_conns)) != NULL)
		ingest_close(c, NULL);
	if (ig->ig_lst != NULL) {
		evconnlistener_free(ig->ig_lst);
		unlink(ig->ig_path);
	}
	if (ig->ig_resume != NULL)
		event_free(ig->ig_resume);
	if (ig->ig_reserve_fd != -1)
		close(ig->ig_reserve_fd);
	free(ig->ig_replies);
	free(ig->ig_rbuf);
	free(ig);
}
