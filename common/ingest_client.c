/*
 * ingest_client.c: connect to the router's ingest socket, write a line,
 * read its reply line, all under deadlines (ingest_client.h).
 *
 * The socket is non-blocking and every wait is a poll() bounded by the
 * request's deadline, so a router that stops reading, or never answers,
 * costs the caller at most its timeout.  A reply is one JSON object on one
 * line: {"status":"accepted"|"duplicate","seq":N,...} or
 * {"status":"rejected","reason":"..."}; anything else is a bad reply.
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
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
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

	if (c->ic_fd == -1)
		return INGEST_UNREACHABLE;
	deadline = util_mono_us() + (int64_t)timeout_ms * 1000;
	/* The event may be larger than the socket buffer: write as the router reads. */
	while (off < len) {
		n = send(c->ic_fd, line + off, len - off, MSG_NOSIGNAL);
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

enum ingest_status
ingest_client_send(const char *path, const char *line, size_t len, int timeout_ms, char *reason,
		   size_t reasonlen, long long *seq)
{
	struct ingest_client c;
	enum ingest_status st;
	int64_t deadline = util_mono_us() + (int64_t)timeout_ms * 1000;

	ingest_client_init(&c);
	if ((st = ingest_client_connect(&c, path, timeout_ms)) != INGEST_ACCEPTED)
		return st;
	st = ingest_client_request(&c, line, len, ingest_client_left_ms(deadline), reason,
				   reasonlen, seq);
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
