/*
 * sio-load: a Socket.IO load generator (sio-load(1)).
 *
 * Opens many Engine.IO v4 / Socket.IO v5 WebSocket connections to one server
 * with libevent (plain events on non-blocking sockets and one shared read
 * buffer: a bufferevent would cost an extra FIONREAD ioctl per read),
 * connects each to the namespace "/" with an auth token, answers pings, and
 * timestamps every `42["<event>",{...},...]` frame against the event's "ts"
 * field (RFC 3339 UTC with microseconds).  At the end it prints one JSON
 * object: connection counts, events received, and latency percentiles taken
 * from a log-bucketed histogram (about 3% precision).
 *
 * The WebSocket client is minimal and written for this tool: it sends masked
 * text frames, reads unmasked frames (text, continuation, ping, close), and
 * never sends anything larger than a few bytes.  No JSON library is used on
 * the receive path: a small scanner finds the top-level "ts" key of the event
 * object.  Its own CPU time is in the report: on loopback a received message
 * costs about what a sent one costs (a system call each), so compare it with
 * the server's before blaming the server.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#define LOAD_FRAME_MAX (16 * 1024 * 1024) /* largest frame accepted */
#define LOAD_HEAD_MAX  (16 * 1024)	  /* largest HTTP response head */
#define LOAD_SUB_BITS  5		  /* 32 sub-buckets per power of two */
#define LOAD_BUCKETS   (64 + 40 * 32)	  /* values up to 2^45 us */

enum load_state { LOAD_CONNECTING, LOAD_HTTP, LOAD_WS, LOAD_SIO, LOAD_CLOSED };

struct load_client {
	int lc_fd;
	struct event *lc_ev; /* EV_WRITE while connecting, then EV_READ|EV_PERSIST */
	enum load_state lc_state;
	uint64_t lc_events;
	int lc_done;   /* saw --expect events */
	char *lc_rest; /* bytes of an incomplete frame kept between reads */
	size_t lc_restlen;
	char *lc_msg; /* fragmented message being assembled */
	size_t lc_msglen;
};

static struct {
	struct event_base *base;
	struct sockaddr_in addr;
	char host[256];
	char path[512];
	char token[256];
	char event[64];
	int nclients, nsources, connect_rate;
	double duration;
	uint64_t expect;
	int readiness_fd;
	struct load_client *clients;
	int started, connected, sio_connected, connect_errors, closed, ndone;
	uint64_t events, bad_frames, pings, late_ts;
	uint64_t hist[LOAD_BUCKETS];
	int64_t lat_max, lat_min;
	double lat_sum;
	int64_t t_start, t_ready, t_first, t_last;
	int64_t now_us; /* receive time of the frames of the current read */
	char *rbuf;	/* one read buffer shared by every client */
	size_t rcap;
	struct event *connect_ev, *deadline_ev, *sig_ev;
	int ready_sent;
} L;

static int64_t
load_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
load_bucket(int64_t v)
{
	int e;

	if (v < 64)
		return v < 0 ? 0 : (int)v;
	e = 63 - __builtin_clzll((uint64_t)v);
	e = 64 + (e - 6) * 32 + (int)((v >> (e - LOAD_SUB_BITS)) & 31);
	return e >= LOAD_BUCKETS ? LOAD_BUCKETS - 1 : e;
}

/* Lower bound of bucket b, in microseconds. */
static int64_t
load_bucket_value(int b)
{
	int e, sub;

	if (b < 64)
		return b;
	e = (b - 64) / 32 + 6;
	sub = (b - 64) % 32;
	return ((int64_t)1 << e) + ((int64_t)sub << (e - LOAD_SUB_BITS));
}

static int64_t
load_percentile(double p)
{
	uint64_t want, seen = 0;
	int b;

	if (L.events == 0)
		return 0;
	want = (uint64_t)(p * (double)L.events + 0.5);
	if (want < 1)
		want = 1;
	for (b = 0; b < LOAD_BUCKETS; b++) {
		seen += L.hist[b];
		if (seen >= want) /* the middle of the bucket */
			return b < 64 ? load_bucket_value(b)
				      : (load_bucket_value(b) + load_bucket_value(b + 1)) / 2;
	}
	return L.lat_max;
}

/*
 * Parses "YYYY-MM-DDTHH:MM:SS.ffffffZ" into microseconds since the epoch.
 * timegm() costs more than the rest of a message, and consecutive events
 * share their seconds, so the last seconds prefix and its value are cached.
 */
static int
load_parse_ts(const char *s, size_t len, int64_t *out)
{
	static char last[19];
	static int64_t last_sec = -1;
	struct tm tm;
	int64_t frac = 0;
	size_t i;
	int digits = 0;

	if (len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return -1;
	if (last_sec < 0 || memcmp(last, s, sizeof(last)) != 0) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = atoi(s) - 1900;
		tm.tm_mon = (s[5] - '0') * 10 + (s[6] - '0') - 1;
		tm.tm_mday = (s[8] - '0') * 10 + (s[9] - '0');
		tm.tm_hour = (s[11] - '0') * 10 + (s[12] - '0');
		tm.tm_min = (s[14] - '0') * 10 + (s[15] - '0');
		tm.tm_sec = (s[17] - '0') * 10 + (s[18] - '0');
		last_sec = (int64_t)timegm(&tm);
		memcpy(last, s, sizeof(last));
	}
	i = 19;
	if (i < len && s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			if (digits < 6) {
				frac = frac * 10 + (s[i] - '0');
				digits++;
			}
		for (; digits < 6; digits++)
			frac *= 10;
	}
	*out = last_sec * 1000000 + frac;
	return 0;
}

/*
 * Finds the top-level string value of key in the JSON object starting at p
 * (p[0] == '{').  Returns a pointer to the value's first character and sets
 * *vlen, or NULL.
 */
static const char *
load_find_key(const char *p, const char *end, const char *key, size_t *vlen)
{
	size_t klen = strlen(key);
	const char *s, *q;
	int depth = 0;

	for (; p < end; p++) {
		switch (*p) {
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (--depth == 0)
				return NULL;
			break;
		case '"':
			s = ++p;
			while (p < end && *p != '"')
				p += (*p == '\\') ? 2 : 1;
			if (p >= end)
				return NULL;
			if (depth != 1 || (size_t)(p - s) != klen || memcmp(s, key, klen) != 0)
				break;
			q = p + 1;
			while (q < end && (*q == ' ' || *q == ':'))
				q++;
			if (q >= end || *q != '"')
				break;
			s = ++q;
			while (q < end && *q != '"')
				q += (*q == '\\') ? 2 : 1;
			if (q >= end)
				return NULL;
			*vlen = (size_t)(q - s);
			return s;
		}
	}
	return NULL;
}

static void load_close(struct load_client *c, const char *why);
static void load_check_done(void);

/*
 * Sends a small message whole, or closes the client: what a client sends
 * (CONNECT, pongs) is a few bytes, so a full socket buffer means a dead peer.
 * Returns 0, or -1 when the client was closed.
 */
static int
load_send(struct load_client *c, const void *buf, size_t len)
{
	ssize_t n;

	n = send(c->lc_fd, buf, len, MSG_NOSIGNAL);
	if (n != (ssize_t)len) {
		load_close(c, "send");
		return -1;
	}
	return 0;
}

static int
load_send_text(struct load_client *c, const char *msg, size_t len)
{
	unsigned char buf[8 + 256];
	size_t n = 0, i;
	uint32_t mask = arc4random();
	unsigned char *m = (unsigned char *)&mask;

	if (len > 256)
		return -1;
	buf[n++] = 0x81;
	if (len < 126) {
		buf[n++] = 0x80 | (unsigned char)len;
	} else {
		buf[n++] = 0x80 | 126;
		buf[n++] = (unsigned char)(len >> 8);
		buf[n++] = (unsigned char)len;
	}
	memcpy(buf + n, m, 4);
	n += 4;
	for (i = 0; i < len; i++)
		buf[n + i] = (unsigned char)msg[i] ^ m[i & 3];
	return load_send(c, buf, n + len);
}

static int
load_send_control(struct load_client *c, int op, const unsigned char *data, size_t len)
{
	unsigned char hdr[6 + 125];

	if (len > 125)
		len = 125;
	hdr[0] = 0x80 | (unsigned char)op;
	hdr[1] = 0x80 | (unsigned char)len;
	memset(hdr + 2, 0, 4); /* a zero mask key leaves the payload as it is */
	memcpy(hdr + 6, data, len);
	return load_send(c, hdr, 6 + len);
}

static void
load_on_event(struct load_client *c, const char *p, size_t len)
{
	const char *end = p + len, *ts;
	size_t tl;
	int64_t now = L.now_us, t, lat;

	/* 42["name",{...},"offset"] */
	if (len < 6 || memcmp(p, "42[\"", 4) != 0) {
		L.bad_frames++;
		return;
	}
	p += 4;
	tl = strlen(L.event);
	if ((size_t)(end - p) < tl + 2 || memcmp(p, L.event, tl) != 0 || p[tl] != '"')
		return; /* another event: sessions, stats */
	p += tl + 1;
	while (p < end && *p != '{')
		p++;
	if (p >= end || (ts = load_find_key(p, end, "ts", &tl)) == NULL ||
	    load_parse_ts(ts, tl, &t) == -1) {
		L.bad_frames++;
		return;
	}
	lat = now - t;
	if (lat < 0) {
		L.late_ts++;
		lat = 0;
	}
	L.hist[load_bucket(lat)]++;
	L.lat_sum += (double)lat;
	if (lat > L.lat_max)
		L.lat_max = lat;
	if (L.lat_min < 0 || lat < L.lat_min)
		L.lat_min = lat;
	if (L.events == 0)
		L.t_first = now;
	L.t_last = now;
	L.events++;
	c->lc_events++;
	if (L.expect && !c->lc_done && c->lc_events >= L.expect) {
		c->lc_done = 1;
		L.ndone++;
		load_check_done();
	}
}

static void
load_on_message(struct load_client *c, const char *p, size_t len)
{
	char buf[300];
	int n;

	if (len == 0)
		return;
	switch (p[0]) {
	case '0': /* Engine.IO open */
		n = snprintf(buf, sizeof(buf), "40{\"token\":\"%s\"}", L.token);
		load_send_text(c, buf, (size_t)n);
		break;
	case '2': /* ping */
		load_send_text(c, "3", 1);
		L.pings++;
		break;
	case '1':
		load_close(c, "engine.io close");
		break;
	case '4':
		if (len >= 2 && p[1] == '0' && c->lc_state == LOAD_WS) {
			c->lc_state = LOAD_SIO;
			L.sio_connected++;
			load_check_done();
		} else if (len >= 2 && p[1] == '4') {
			L.connect_errors++;
			load_close(c, "connect_error");
		} else if (len >= 2 && p[1] == '2') {
			load_on_event(c, p, len);
		}
		break;
	}
}

/*
 * Handles the whole frames at p (len bytes).  Returns the bytes consumed
 * (the rest is an incomplete frame), or -1 when the client was closed.
 */
static ssize_t
load_frames(struct load_client *c, const char *p, size_t len)
{
	const unsigned char *h;
	size_t off = 0, hl, plen, i;
	char *m;
	int op, fin;

	for (;;) {
		h = (const unsigned char *)p + off;
		if (len - off < 2)
			return (ssize_t)off;
		fin = h[0] & 0x80;
		op = h[0] & 0x0f;
		plen = h[1] & 0x7f;
		hl = 2;
		if (h[1] & 0x80) {
			load_close(c, "masked frame from the server");
			return -1;
		}
		if (plen == 126) {
			if (len - off < 4)
				return (ssize_t)off;
			plen = ((size_t)h[2] << 8) | h[3];
			hl = 4;
		} else if (plen == 127) {
			if (len - off < 10)
				return (ssize_t)off;
			for (plen = 0, i = 0; i < 8; i++)
				plen = (plen << 8) | h[2 + i];
			hl = 10;
		}
		if (plen > LOAD_FRAME_MAX) {
			load_close(c, "frame too large");
			return -1;
		}
		if (len - off < hl + plen)
			return (ssize_t)off;
		switch (op) {
		case 0x9: /* ping */
			if (load_send_control(c, 0xA, h + hl, plen) == -1)
				return -1;
			break;
		case 0x8:
			load_close(c, "websocket close");
			return -1;
		case 0x0:
		case 0x1:
		case 0x2:
			if (op == 0 || !fin || c->lc_msg != NULL) {
				if (c->lc_msglen + plen > LOAD_FRAME_MAX ||
				    (m = realloc(c->lc_msg, c->lc_msglen + plen + 1)) == NULL) {
					load_close(c, "message too large");
					return -1;
				}
				memcpy(m + c->lc_msglen, h + hl, plen);
				c->lc_msg = m;
				c->lc_msglen += plen;
				if (fin) {
					load_on_message(c, c->lc_msg, c->lc_msglen);
					if (c->lc_state == LOAD_CLOSED)
						return -1;
					free(c->lc_msg);
					c->lc_msg = NULL;
					c->lc_msglen = 0;
				}
				break;
			}
			load_on_message(c, (const char *)h + hl, plen);
			if (c->lc_state == LOAD_CLOSED)
				return -1;
			break;
		default:
			break;
		}
		off += hl + plen;
	}
}

static void
load_readcb(evutil_socket_t fd, short what, void *arg)
{
	struct load_client *c = arg;
	size_t need, len, off = 0;
	ssize_t n, used;
	char *nb, *e;

	/* the shared buffer holds the kept bytes plus a good read */
	need = c->lc_restlen + 65536;
	if (need > L.rcap) {
		if ((nb = realloc(L.rbuf, need)) == NULL) {
			load_close(c, "out of memory");
			return;
		}
		L.rbuf = nb;
		L.rcap = need;
	}
	n = recv(fd, L.rbuf + c->lc_restlen, L.rcap - c->lc_restlen, 0);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (c->lc_state == LOAD_HTTP)
			L.connect_errors++;
		load_close(c, n == 0 ? "eof" : "recv");
		return;
	}
	/* one clock read per read: the frames of one read arrived together */
	L.now_us = load_now_us();
	if (c->lc_restlen > 0)
		memcpy(L.rbuf, c->lc_rest, c->lc_restlen);
	len = c->lc_restlen + (size_t)n;
	if (c->lc_state == LOAD_HTTP) {
		if ((e = memmem(L.rbuf, len, "\r\n\r\n", 4)) == NULL) {
			if (len > LOAD_HEAD_MAX)
				load_close(c, "response head too large");
			else
				goto keep;
			return;
		}
		if (len < 12 || memcmp(L.rbuf, "HTTP/1.1 101", 12) != 0) {
			L.connect_errors++;
			load_close(c, "no 101");
			return;
		}
		off = (size_t)(e - L.rbuf) + 4;
		c->lc_state = LOAD_WS;
		L.connected++;
	}
	if ((used = load_frames(c, L.rbuf + off, len - off)) == -1)
		return; /* closed */
	off += (size_t)used;
keep:
	/* keep what is left of an incomplete frame (or response head) */
	if (len - off > 0) {
		if ((nb = realloc(c->lc_rest, len - off)) == NULL) {
			load_close(c, "out of memory");
			return;
		}
		memcpy(nb, L.rbuf + off, len - off);
		c->lc_rest = nb;
		c->lc_restlen = len - off;
	} else if (c->lc_rest != NULL) {
		free(c->lc_rest);
		c->lc_rest = NULL;
		c->lc_restlen = 0;
	}
}

static void
load_conncb(evutil_socket_t fd, short what, void *arg)
{
	struct load_client *c = arg;
	socklen_t sl = sizeof(int);
	char req[1024];
	int n, e = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) == -1 || e != 0) {
		L.connect_errors++;
		load_close(c, "connect");
		return;
	}
	n = snprintf(req, sizeof(req),
		     "GET %s?EIO=4&transport=websocket HTTP/1.1\r\n"
		     "Host: %s\r\n"
		     "Upgrade: websocket\r\n"
		     "Connection: Upgrade\r\n"
		     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		     "Sec-WebSocket-Version: 13\r\n\r\n",
		     L.path, L.host);
	c->lc_state = LOAD_HTTP;
	if (load_send(c, req, (size_t)n) == -1)
		return;
	event_free(c->lc_ev);
	c->lc_ev = event_new(L.base, fd, EV_READ | EV_PERSIST, load_readcb, c);
	if (c->lc_ev == NULL || event_add(c->lc_ev, NULL) == -1)
		load_close(c, "event_new");
}

static void
load_close(struct load_client *c, const char *why)
{
	if (c->lc_state == LOAD_CLOSED)
		return;
	c->lc_state = LOAD_CLOSED;
	L.closed++;
	if (c->lc_ev != NULL) {
		event_free(c->lc_ev);
		c->lc_ev = NULL;
	}
	if (c->lc_fd != -1) {
		close(c->lc_fd);
		c->lc_fd = -1;
	}
	free(c->lc_rest);
	c->lc_rest = NULL;
	c->lc_restlen = 0;
	free(c->lc_msg);
	c->lc_msg = NULL;
	c->lc_msglen = 0;
	(void)why;
	load_check_done();
}

static void
load_ready(void)
{
	if (L.ready_sent)
		return;
	L.ready_sent = 1;
	L.t_ready = load_now_us();
	if (L.readiness_fd >= 0) {
		if (write(L.readiness_fd, "\n", 1) != 1) {
			/* the driver sees no readiness and gives up: nothing to add */
		}
		close(L.readiness_fd);
	}
	if (L.duration > 0) {
		struct timeval tv;

		tv.tv_sec = (time_t)L.duration;
		tv.tv_usec = (suseconds_t)((L.duration - (double)tv.tv_sec) * 1e6);
		event_add(L.deadline_ev, &tv);
	}
}

static void
load_check_done(void)
{
	int live = L.started - L.closed;

	if (!L.ready_sent && L.started == L.nclients && L.sio_connected + L.closed >= L.nclients)
		load_ready();
	if (L.started == L.nclients && L.expect && L.ndone >= live && L.ready_sent)
		event_base_loopexit(L.base, NULL);
	if (L.started == L.nclients && live == 0)
		event_base_loopexit(L.base, NULL);
}

static void
load_open_one(void)
{
	struct load_client *c = &L.clients[L.started++];
	struct sockaddr_in src;
	int one = 1;

	c->lc_state = LOAD_CONNECTING;
	c->lc_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->lc_fd == -1)
		goto fail;
	setsockopt(c->lc_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (L.nsources > 1) {
		memset(&src, 0, sizeof(src));
		src.sin_family = AF_INET;
		src.sin_addr.s_addr = htonl(0x7f000001 + (uint32_t)((L.started - 1) % L.nsources));
		setsockopt(c->lc_fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(c->lc_fd, (struct sockaddr *)&src, sizeof(src)) == -1)
			goto fail;
	}
	if (connect(c->lc_fd, (struct sockaddr *)&L.addr, sizeof(L.addr)) == -1 &&
	    errno != EINPROGRESS)
		goto fail;
	/* writable once connected (or failed): load_conncb tells which */
	c->lc_ev = event_new(L.base, c->lc_fd, EV_WRITE, load_conncb, c);
	if (c->lc_ev == NULL || event_add(c->lc_ev, NULL) == -1)
		goto fail;
	return;
fail:
	L.connect_errors++;
	load_close(c, "connect");
}

static void
load_connect_tick(evutil_socket_t fd, short what, void *arg)
{
	int i, n = L.connect_rate / 100;

	if (n < 1)
		n = 1;
	for (i = 0; i < n && L.started < L.nclients; i++)
		load_open_one();
	if (L.started >= L.nclients)
		event_del(L.connect_ev);
	load_check_done();
}

static void
load_deadline(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopexit(L.base, NULL);
}

static void
load_signal(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopexit(L.base, NULL);
}

static void
load_report(void)
{
	int64_t end = L.t_last ? L.t_last : load_now_us();
	double span = L.t_first ? (double)(end - L.t_first) / 1e6 : 0;
	uint64_t minc = UINT64_MAX, maxc = 0;
	struct rusage ru;
	int i, live = 0;

	for (i = 0; i < L.started; i++) {
		if (L.clients[i].lc_events < minc)
			minc = L.clients[i].lc_events;
		if (L.clients[i].lc_events > maxc)
			maxc = L.clients[i].lc_events;
		if (L.clients[i].lc_state == LOAD_SIO)
			live++;
	}
	if (L.started == 0)
		minc = 0;
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"clients\":%d,\"connected\":%d,\"sio_connected\":%d,\"connect_errors\":%d,"
	       "\"closed\":%d,\"live_at_end\":%d,\"connect_s\":%.3f,"
	       "\"events\":%llu,\"expect\":%llu,\"clients_complete\":%d,"
	       "\"events_per_client_min\":%llu,\"events_per_client_max\":%llu,"
	       "\"bad_frames\":%llu,\"pings\":%llu,\"receive_span_s\":%.3f,\"rate\":%.1f,"
	       "\"latency_us\":{\"min\":%lld,\"mean\":%.1f,\"p50\":%lld,\"p90\":%lld,"
	       "\"p99\":%lld,\"p999\":%lld,\"max\":%lld},"
	       "\"cpu_s\":%.3f,\"maxrss_kb\":%ld}\n",
	       L.nclients, L.connected, L.sio_connected, L.connect_errors, L.closed, live,
	       L.t_ready ? (double)(L.t_ready - L.t_start) / 1e6 : -1.0,
	       (unsigned long long)L.events, (unsigned long long)L.expect, L.ndone,
	       (unsigned long long)minc, (unsigned long long)maxc, (unsigned long long)L.bad_frames,
	       (unsigned long long)L.pings, span, span > 0 ? (double)L.events / span : 0.0,
	       (long long)(L.lat_min < 0 ? 0 : L.lat_min),
	       L.events ? L.lat_sum / (double)L.events : 0.0, (long long)load_percentile(0.50),
	       (long long)load_percentile(0.90), (long long)load_percentile(0.99),
	       (long long)load_percentile(0.999), (long long)L.lat_max,
	       (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		   (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6,
	       ru.ru_maxrss);
	fflush(stdout);
}

static void
usage(int code)
{
	fprintf(code == 0 ? stdout : stderr,
		"usage: sio-load [-h] [--clients n] [--connect-rate n] [--duration seconds]\n"
		"                [--event name] [--expect n] [--readiness-fd n] [--sources n]\n"
		"                [--token token] --url url\n");
	exit(code);
}

/* Parses http://HOST:PORT[/PATH] (an IPv4 address). */
static int
load_parse_url(const char *url)
{
	const char *p, *slash, *colon;
	char ip[64];
	size_t n;
	long port;

	if (strncmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncmp(url, "ws://", 5) == 0)
		p = url + 5;
	else
		return -1;
	slash = strchr(p, '/');
	n = slash ? (size_t)(slash - p) : strlen(p);
	if (n == 0 || n >= sizeof(L.host))
		return -1;
	memcpy(L.host, p, n);
	L.host[n] = '\0';
	if ((colon = strrchr(L.host, ':')) == NULL)
		return -1;
	port = strtol(colon + 1, NULL, 10);
	if (port <= 0 || port > 65535 || (size_t)(colon - L.host) >= sizeof(ip))
		return -1;
	memcpy(ip, L.host, (size_t)(colon - L.host));
	ip[colon - L.host] = '\0';
	if (strcmp(ip, "localhost") == 0)
		strlcpy(ip, "127.0.0.1", sizeof(ip));
	memset(&L.addr, 0, sizeof(L.addr));
	L.addr.sin_family = AF_INET;
	L.addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, ip, &L.addr.sin_addr) != 1)
		return -1;
	if (slash == NULL || strcmp(slash, "/") == 0)
		strlcpy(L.path, "/socket.io/", sizeof(L.path));
	else
		strlcpy(L.path, slash, sizeof(L.path));
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"url", required_argument, NULL, 'u'},
	    {"clients", required_argument, NULL, 'n'},
	    {"token", required_argument, NULL, 't'},
	    {"duration", required_argument, NULL, 'd'},
	    {"connect-rate", required_argument, NULL, 'r'},
	    {"expect", required_argument, NULL, 'e'},
	    {"event", required_argument, NULL, 'E'},
	    {"sources", required_argument, NULL, 's'},
	    {"readiness-fd", required_argument, NULL, 'R'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct timeval tick = {0, 10000};
	struct rlimit rl;
	const char *url = NULL;
	int ch;

	L.nclients = 1;
	L.nsources = 1;
	L.connect_rate = 2000;
	L.readiness_fd = -1;
	L.lat_min = -1;
	strlcpy(L.event, "claude_event", sizeof(L.event));
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			url = optarg;
			break;
		case 'n':
			L.nclients = atoi(optarg);
			break;
		case 't':
			if (strlcpy(L.token, optarg, sizeof(L.token)) >= sizeof(L.token) ||
			    strpbrk(optarg, "\"\\") != NULL)
				usage(100);
			break;
		case 'd':
			L.duration = atof(optarg);
			break;
		case 'r':
			L.connect_rate = atoi(optarg);
			break;
		case 'e':
			L.expect = strtoull(optarg, NULL, 10);
			break;
		case 'E':
			if (strlcpy(L.event, optarg, sizeof(L.event)) >= sizeof(L.event))
				usage(100);
			break;
		case 's':
			L.nsources = atoi(optarg);
			break;
		case 'R':
			L.readiness_fd = atoi(optarg);
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(100);
		}
	}
	if (url == NULL || optind != argc || L.nclients < 1 || L.nclients > 1000000 ||
	    L.nsources < 1 || L.nsources > 250 || L.connect_rate < 1 || L.duration < 0 ||
	    load_parse_url(url) == -1)
		usage(100);

	/* One descriptor per client, plus a reserve. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)L.nclients + 16)
		errx(111, "RLIMIT_NOFILE %llu is too low for %d clients",
		     (unsigned long long)rl.rlim_cur, L.nclients);
	signal(SIGPIPE, SIG_IGN);
	if ((L.clients = calloc((size_t)L.nclients, sizeof(*L.clients))) == NULL)
		err(111, "calloc");
	for (ch = 0; ch < L.nclients; ch++)
		L.clients[ch].lc_fd = -1;
	if ((L.base = event_base_new()) == NULL)
		errx(111, "event_base_new");
	L.connect_ev = event_new(L.base, -1, EV_PERSIST, load_connect_tick, NULL);
	L.deadline_ev = evtimer_new(L.base, load_deadline, NULL);
	L.sig_ev = evsignal_new(L.base, SIGTERM, load_signal, NULL);
	if (L.connect_ev == NULL || L.deadline_ev == NULL || L.sig_ev == NULL)
		errx(111, "event_new");
	event_add(L.sig_ev, NULL);
	L.t_start = load_now_us();
	if (L.duration > 0) {
		/* a bound on the connect phase too, should clients hang */
		struct timeval tv = {(time_t)L.duration + L.nclients / L.connect_rate + 30, 0};

		event_add(L.deadline_ev, &tv);
	}
	event_add(L.connect_ev, &tick);
	load_connect_tick(-1, 0, NULL);
	event_base_dispatch(L.base);
	load_report();
	for (ch = 0; ch < L.started; ch++)
		load_close(&L.clients[ch], "exit");
	event_free(L.connect_ev);
	event_free(L.deadline_ev);
	event_free(L.sig_ev);
	event_base_free(L.base);
	free(L.clients);
	free(L.rbuf);
	return 0;
}
