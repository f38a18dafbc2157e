/*
 * deliver.c: hand one event to the router, or spool it.
 *
 * One non-blocking AF_UNIX connect to $RUNDIR/ingest.sock, one line out,
 * one reply line in, all under one deadline (capture.ack_timeout_ms).
 * There is no retry: when the router is not there or does not answer in
 * time the caller writes the event to the spool, which the router drains
 * when it is back (a late ack after a spooled copy is harmless: the router
 * drops the second copy by its id).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "capture.h"
#include "spool.h"
#include "util.h"

/* Longest reply line read; replies are short objects. */
#define DELIVER_REPLY_MAX 1024

static const char *deliver_names[] = {
    "accepted", "duplicate", "rejected", "unreachable", "timeout", "bad_reply", "io_error",
};

const char *
deliver_status_name(enum deliver_status st)
{
	if ((size_t)st >= sizeof(deliver_names) / sizeof(deliver_names[0]))
		return "unknown";
	return deliver_names[st];
}

/* Milliseconds left until deadline (monotonic us), at least 0. */
static int
deliver_left_ms(int64_t deadline)
{
	int64_t left = deadline - util_mono_us();

	if (left <= 0)
		return 0;
	return (int)((left + 999) / 1000);
}

/* Waits for events on fd until deadline.  Returns 1 ready, 0 timeout, -1 error. */
static int
deliver_wait(int fd, short events, int64_t deadline)
{
	struct pollfd pfd;
	int n;

	for (;;) {
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, deliver_left_ms(deadline));
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
deliver_connect(const char *path, int64_t deadline)
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
	if (deliver_wait(fd, POLLOUT, deadline) != 1) {
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

/*
 * The router's answer to an event it took or already had, exactly as
 * router_reply() writes it: {"status":"accepted","seq":N,"id":"<32 hex>"}
 * (or "duplicate").  Returns 1 and sets *st and *seq for such a line, else
 * 0 (json-c reads it): the reply of every hook, without json-c's tokener,
 * objects and their pages.
 */
static int
deliver_parse_fast(const char *line, size_t len, enum deliver_status *st, long long *seq)
{
	static const char acc[] = "{\"status\":\"accepted\",\"seq\":";
	static const char dup[] = "{\"status\":\"duplicate\",\"seq\":";
	const char *p, *end = line + len;
	enum deliver_status s;
	long long v = 0;
	int i;

	if (len > sizeof(acc) - 1 && memcmp(line, acc, sizeof(acc) - 1) == 0) {
		s = DELIVER_ACCEPTED;
		p = line + sizeof(acc) - 1;
	} else if (len > sizeof(dup) - 1 && memcmp(line, dup, sizeof(dup) - 1) == 0) {
		s = DELIVER_DUPLICATE;
		p = line + sizeof(dup) - 1;
	} else
		return 0;
	for (i = 0; p < end && *p >= '0' && *p <= '9'; p++, i++)
		if (i < 18) /* more are not ours to read */
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

enum deliver_status
deliver_parse_reply(const char *line, size_t len, char *reason, size_t reasonlen, long long *seq)
{
	enum deliver_status st = DELIVER_BAD_REPLY;
	json_tokener *tok;
	json_object *obj = NULL, *v;
	const char *s;

	if (reason != NULL && reasonlen > 0)
		reason[0] = '\0';
	if (deliver_parse_fast(line, len, &st, seq))
		return st;
	if ((tok = json_tokener_new()) == NULL)
		return DELIVER_BAD_REPLY;
	obj = json_tokener_parse_ex(tok, line, (int)len);
	if (obj == NULL || !json_object_is_type(obj, json_type_object))
		goto fail;
	if (!json_object_object_get_ex(obj, "status", &v) ||
	    !json_object_is_type(v, json_type_string))
		goto fail;
	s = json_object_get_string(v);
	if (strcmp(s, "accepted") == 0 || strcmp(s, "duplicate") == 0) {
		st = s[0] == 'a' ? DELIVER_ACCEPTED : DELIVER_DUPLICATE;
		if (seq != NULL && json_object_object_get_ex(obj, "seq", &v))
			*seq = json_object_get_int64(v);
	} else if (strcmp(s, "rejected") == 0) {
		st = DELIVER_REJECTED;
		if (reason != NULL && reasonlen > 0 && json_object_object_get_ex(obj, "reason", &v))
			snprintf(reason, reasonlen, "%s", json_object_get_string(v));
	}
fail:
	json_object_put(obj);
	json_tokener_free(tok);
	return st;
}

int
deliver_open(const char *path, int timeout_ms, enum deliver_status *st)
{
	int fd;

	if ((fd = deliver_connect(path, util_mono_us() + (int64_t)timeout_ms * 1000)) == -1)
		*st = errno == ETIMEDOUT ? DELIVER_TIMEOUT : DELIVER_UNREACHABLE;
	return fd;
}

int
deliver_alive(int fd)
{
	struct pollfd pfd;

	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	/* nothing to read before we have written: readable means closed */
	return poll(&pfd, 1, 0) == 0;
}

enum deliver_status
deliver_send(const char *path, const char *line, size_t len, int timeout_ms, char *reason,
	     size_t reasonlen, long long *seq)
{
	enum deliver_status st;
	int fd;

	if ((fd = deliver_open(path, timeout_ms, &st)) == -1)
		return st;
	st = deliver_request(fd, line, len, timeout_ms, reason, reasonlen, seq);
	close(fd);
	return st;
}

enum deliver_status
deliver_request(int fd, const char *line, size_t len, int timeout_ms, char *reason,
		size_t reasonlen, long long *seq)
{
	char reply[DELIVER_REPLY_MAX];
	enum deliver_status st;
	int64_t deadline;
	size_t off = 0, rlen = 0;
	ssize_t n;
	char *nl;
	int w;

	if (reason != NULL && reasonlen > 0)
		reason[0] = '\0';
	deadline = util_mono_us() + (int64_t)timeout_ms * 1000;
	/* The event may be larger than the socket buffer: write as the router reads. */
	while (off < len) {
		n = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if ((w = deliver_wait(fd, POLLOUT, deadline)) == 1)
				continue;
			st = w == 0 ? DELIVER_TIMEOUT : DELIVER_IO_ERROR;
			goto done;
		}
		st = DELIVER_IO_ERROR;
		goto done;
	}
	for (;;) {
		n = recv(fd, reply + rlen, sizeof(reply) - 1 - rlen, 0);
		if (n > 0) {
			rlen += (size_t)n;
			reply[rlen] = '\0';
			if ((nl = memchr(reply, '\n', rlen)) != NULL) {
				st = deliver_parse_reply(reply, (size_t)(nl - reply), reason,
							 reasonlen, seq);
				goto done;
			}
			if (rlen == sizeof(reply) - 1) {
				st = DELIVER_BAD_REPLY;
				goto done;
			}
			continue;
		}
		if (n == 0) {
			st = DELIVER_IO_ERROR; /* closed before replying */
			goto done;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if ((w = deliver_wait(fd, POLLIN, deadline)) == 1)
				continue;
			st = w == 0 ? DELIVER_TIMEOUT : DELIVER_IO_ERROR;
			goto done;
		}
		st = DELIVER_IO_ERROR;
		goto done;
	}
done:
	return st;
}

int
deliver_probe(const char *path, int timeout_ms)
{
	int fd;

	fd = deliver_connect(path, util_mono_us() + (int64_t)timeout_ms * 1000);
	if (fd == -1)
		return 0;
	close(fd);
	return 1;
}

/* mkdir that accepts an existing directory. */
static int
deliver_mkdir(const char *dir, char *err, size_t errlen)
{
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int
deliver_spool(const char *spool_dir, const char *buf, size_t len, char *err, size_t errlen)
{
	char dir[PATH_MAX], *p;
	const char *sub[] = {"tmp", "new"};
	size_t i;

	if (spool_write(spool_dir, buf, len, err, errlen) == 0)
		return 0;
	/* First event on this machine, or a cleaned state dir: make the
	 * directories (parents included) and try once more. */
	if (snprintf(dir, sizeof(dir), "%s", spool_dir) >= (int)sizeof(dir)) {
		snprintf(err, errlen, "spool path too long");
		return -1;
	}
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (deliver_mkdir(dir, err, errlen) == -1)
			return -1;
		*p = '/';
	}
	if (deliver_mkdir(dir, err, errlen) == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		if (snprintf(dir, sizeof(dir), "%s/%s", spool_dir, sub[i]) >= (int)sizeof(dir)) {
			snprintf(err, errlen, "spool path too long");
			return -1;
		}
		if (deliver_mkdir(dir, err, errlen) == -1)
			return -1;
	}
	return spool_write(spool_dir, buf, len, err, errlen);
}
