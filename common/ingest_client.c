/*
 * ingest_client.c: connect to the router's ingest socket, write a line,
 * read its reply line, all under deadlines (ingest_client.h).
 *
 * The socket is non-blocking and every wait is a poll() bounded by the
 * request's deadline, so a router that stops reading, or never answers,
 * costs the caller at most its timeout.  A reply is one JSON object on one
 * line: {"status":"accepted"|"duplicate","seq":N,...} or
 * {"status":"rejected","reason":"..."}; anything else is a bad reply.
 * The router's own replies to an event it took or had are read without
 * json-c (ingest_client_parse_fast()); any other line goes to json-c.
 *
 * A connection may be made early, without waiting (hook-capture connects
 * when it starts, so that the router accepts while the hook's input is
 * read), or kept between requests (event-usage).  Either way it may have
 * been closed by the router meanwhile (a restart): ingest_client_ready()
 * finds that with a zero-timeout poll and connects anew, so that nothing
 * is sent on a dead connection and nothing is sent twice.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "compat.h"
#include "ingest_client.h"
#include "util.h"

static const char *ingest_client_names[] = {
    "accepted", "duplicate", "rejected", "unreachable", "timeout", "bad_reply", "io_error",
};

const char *
ingest_client_status_name(enum ingest_status st)
{
	if ((size_t)st >= sizeof(ingest_client_names) / sizeof(ingest_client_names[0]))
		return "unknown";
	return ingest_client_names[st];
}

void
ingest_client_init(struct ingest_client *c)
{
	c->ic_fd = -1;
}

/* Milliseconds left until deadline (monotonic us), at least 0. */
static int
ingest_client_left_ms(int64_t deadline)
{
	int64_t left = deadline - util_mono_us();

	if (left <= 0)
		return 0;
	return (int)((left + 999) / 1000);
}

/* Waits for events on fd until deadline.  Returns 1 ready, 0 timeout, -1 error. */
static int
ingest_client_wait(int fd, short events, int64_t deadline)
{
	struct pollfd pfd;
	int n;

	for (;;) {
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, ingest_client_left_ms(deadline));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			return util_mono_us() >= deadline ? 0 : 1;
		return 1;
	}
}

/* Connects a non-blocking AF_UNIX stream socket to path by deadline.
 * Returns the socket, or -1 (errno set; ETIMEDOUT on the deadline). */
static int
ingest_client_dial(const char *path, int64_t deadline)
{
	struct sockaddr_un sun;
	socklen_t sl;
	int fd, soerr;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = compat_socket(AF_UNIX, SOCK_STREAM, 0, COMPAT_CLOEXEC | COMPAT_NONBLOCK);
	if (fd == -1)
		return -1;
	(void)compat_nosigpipe(fd);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	if (errno != EINPROGRESS && errno != EINTR)
		goto fail;
	if (ingest_client_wait(fd, POLLOUT, deadline) != 1) {
		errno = ETIMEDOUT;
		goto fail;
	}
	sl = sizeof(soerr);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1)
		goto fail;
	if (soerr != 0) {
		errno = soerr;
		goto fail;
	}
	return fd;
fail:
	soerr = errno;
	close(fd);
	errno = soerr;
	return -1;
}

enum ingest_status
ingest_client_connect(struct ingest_client *c, const char *path, int timeout_ms)
{
	ingest_client_close(c);
	c->ic_fd = ingest_client_dial(path, util_mono_us() + (int64_t)timeout_ms * 1000);
	if (c->ic_fd == -1)
		return errno == ETIMEDOUT ? INGEST_TIMEOUT : INGEST_UNREACHABLE;
	return INGEST_ACCEPTED;
}

void
ingest_client_close(struct ingest_client *c)
{
	if (c->ic_fd != -1)
		close(c->ic_fd);
	c->ic_fd = -1;
}

/*
 * The router's answer to an event it took or already had, exactly as
 * router_reply() writes it: {"status":"accepted","seq":N,"id":"<32 hex>"}
 * (or "duplicate").  Returns 1 and sets *st and *seq (may be NULL) for
 * such a line, else 0 (json-c reads it): the reply of every hook, without
 * json-c's tokener, objects and their pages.
 */
static int
ingest_client_parse_fast(const char *line, size_t len, enum ingest_status *st, long long *seq)
{
	static const char acc[] = "{\"status\":\"accepted\",\"seq\":";
	static const char dup[] = "{\"status\":\"duplicate\",\"seq\":";
	const char *p, *end = line + len;
	enum ingest_status s;
	long long v = 0;
	int i;

	if (len > sizeof(acc) - 1 && memcmp(line, acc, sizeof(acc) - 1) == 0) {
		s = INGEST_ACCEPTED;
		p = line + sizeof(acc) - 1;
	} else if (len > sizeof(dup) - 1 && memcmp(line, dup, sizeof(dup) - 1) == 0) {
		s = INGEST_DUPLICATE;
		p = line + sizeof(dup) - 1;
	} else
		return 0;
	/* 1 to 18 digits, no leading zero: digits past the 18th are only
	 * counted (a 19th could overflow v), and such a seq is json-c's */
	for (i = 0; p < end && *p >= '0' && *p <= '9'; p++, i++)
		if (i < 18)
			v = v * 10 + (*p - '0');
	if (i == 0 || i > 18 || (i > 1 && p[-i] == '0'))
		return 0;
	if (end - p != 7 + 32 + 2 || memcmp(p, ",\"id\":\"", 7) != 0 ||
	    memcmp(end - 2, "\"}", 2) != 0)
		return 0;
	for (p += 7; p < end - 2; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	*st = s;
	if (seq != NULL)
		*seq = v;
	return 1;
}

enum ingest_status
ingest_client_parse_reply(const char *line, size_t len, char *reason, size_t reasonlen,
			  long long *seq)
{
	enum ingest_status st = INGEST_BAD_REPLY;
	json_tokener *tok;
	json_object *obj = NULL, *v;
	const char *s;

	if (reason != NULL && reasonlen > 0)
		reason[0] = '\0';
	if (ingest_client_parse_fast(line, len, &st, seq))
		return st;
	if ((tok = json_tokener_new()) == NULL)
		return INGEST_BAD_REPLY;
	obj = json_tokener_parse_ex(tok, line, (int)len);
	if (obj == NULL || !json_object_is_type(obj, json_type_object))
		goto fail;
	if (!json_object_object_get_ex(obj, "status", &v) ||
	    !json_object_is_type(v, json_type_string))
		goto fail;
	s = json_object_get_string(v);
	if (strcmp(s, "accepted") == 0 || strcmp(s, "duplicate") == 0) {
		st = s[0] == 'a' ? INGEST_ACCEPTED : INGEST_DUPLICATE;
		if (seq != NULL && json_object_object_get_ex(obj, "seq", &v))
			*seq = json_object_get_int64(v);
	} else if (strcmp(s, "rejected") == 0) {
		st = INGEST_REJECTED;
		if (reason != NULL && reasonlen > 0 && json_object_object_get_ex(obj, "reason", &v))
			snprintf(reason, reasonlen, "%s", json_object_get_string(v));
	}
fail:
	json_object_put(obj);
	json_tokener_free(tok);
	return st;
}

enum ingest_status
ingest_client_request(struct ingest_client *c, const char *line, size_t len, int timeout_ms,
		      char *reason, size_t reasonlen, long long *seq)
{
	char reply[INGEST_REPLY_MAX];
	enum ingest_status st;
	int64_t deadline;
	size_t off = 0, rlen = 0;
	ssize_t n;
	char *nl;
	int w;

	if (reason != NULL && reasonlen > 0)
		reason[0] = '\0';
	if (c->ic_fd == -1)
		return INGEST_UNREACHABLE;
	deadline = util_mono_us() + (int64_t)timeout_ms * 1000;
	/* The event may be larger than the socket buffer: write as the router reads. */
	while (off < len) {
		n = send(c->ic_fd, line + off, len - off, COMPAT_MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if ((w = ingest_client_wait(c->ic_fd, POLLOUT, deadline)) == 1)
				continue;
			st = w == 0 ? INGEST_TIMEOUT : INGEST_IO_ERROR;
			goto fail;
		}
		st = INGEST_IO_ERROR;
		goto fail;
	}
	/* One line was written, so one reply line comes back and nothing after
	 * it: bytes past its newline break the protocol (the next request would
	 * take them for its reply), so the connection is dropped then. */
	for (;;) {
		n = recv(c->ic_fd, reply + rlen, sizeof(reply) - 1 - rlen, 0);
		if (n > 0) {
			rlen += (size_t)n;
			reply[rlen] = '\0';
			if ((nl = memchr(reply, '\n', rlen)) != NULL) {
				st = ingest_client_parse_reply(reply, (size_t)(nl - reply), reason,
							       reasonlen, seq);
				if (st == INGEST_BAD_REPLY || (size_t)(nl - reply) + 1 != rlen) {
					st = INGEST_BAD_REPLY;
					goto fail;
				}
				return st;
			}
			if (rlen == sizeof(reply) - 1) {
				st = INGEST_BAD_REPLY;
				goto fail;
			}
			continue;
		}
		if (n == 0) {
			st = INGEST_IO_ERROR; /* closed before replying */
			goto fail;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if ((w = ingest_client_wait(c->ic_fd, POLLIN, deadline)) == 1)
				continue;
			st = w == 0 ? INGEST_TIMEOUT : INGEST_IO_ERROR;
			goto fail;
		}
		st = INGEST_IO_ERROR;
		goto fail;
	}
fail:
	ingest_client_close(c);
	return st;
}

int
ingest_client_alive(const struct ingest_client *c)
{
	struct pollfd pfd;

	if (c->ic_fd == -1)
		return 0;
	pfd.fd = c->ic_fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	/* Between requests nothing is due to be read: readable (an end of
	 * file, a reset, stray bytes) or a hang-up means this connection is
	 * of no more use. */
	return poll(&pfd, 1, 0) == 0;
}

enum ingest_status
ingest_client_ready(struct ingest_client *c, const char *path, int timeout_ms)
{
	if (ingest_client_alive(c))
		return INGEST_ACCEPTED;
	/* closed, or closed by the router since (a restart): a new one, as if
	 * there had been none; nothing was written on the old one */
	return ingest_client_connect(c, path, timeout_ms);
}

enum ingest_status
ingest_client_deliver(struct ingest_client *c, const char *path, const char *line, size_t len,
		      int timeout_ms, char *reason, size_t reasonlen, long long *seq)
{
	enum ingest_status st;
	int64_t deadline = util_mono_us() + (int64_t)timeout_ms * 1000;

	if (reason != NULL && reasonlen > 0)
		reason[0] = '\0';
	if ((st = ingest_client_ready(c, path, timeout_ms)) != INGEST_ACCEPTED)
		return st;
	return ingest_client_request(c, line, len, ingest_client_left_ms(deadline), reason,
				     reasonlen, seq);
}

enum ingest_status
ingest_client_send(const char *path, const char *line, size_t len, int timeout_ms, char *reason,
		   size_t reasonlen, long long *seq)
{
	struct ingest_client c;
	enum ingest_status st;

	ingest_client_init(&c);
	st = ingest_client_deliver(&c, path, line, len, timeout_ms, reason, reasonlen, seq);
	ingest_client_close(&c);
	return st;
}

int
ingest_client_probe(const char *path, int timeout_ms)
{
	int fd;

	fd = ingest_client_dial(path, util_mono_us() + (int64_t)timeout_ms * 1000);
	if (fd == -1)
		return 0;
	close(fd);
	return 1;
}
