/*
 * util.c: clocks, readiness, pidfile locks, privilege drop, sizes, writes.
 *
 * Nothing here logs or exits; failures come back as -1 (and a message in
 * the caller's buffer where there is one).
 */
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

/* pidfile_open(3): libbsd's (the normal Linux build) or FreeBSD's libutil;
 * elsewhere (macOS, musl) and in the portable build, the small one below. */
#if (defined(LIBBSD_OVERLAY) || defined(__FreeBSD__)) && !defined(HOOKWIRE_PORTABLE)
#define UTIL_LIBUTIL_PIDFILE 1
#include <libutil.h>
#else
#include <sys/file.h>
#include <sys/stat.h>

#include <fcntl.h>
#endif
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "util.h"

int64_t
util_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
util_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct timeval
util_ms_tv(long ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	return tv;
}

int
util_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
util_readiness(int fd)
{
	int rc = 0;

	if (fd >= 0) {
		rc = util_write_all(fd, "\n", 1);
		if (close(fd) == -1)
			rc = -1;
	}
	if (util_notify_ready() == -1)
		rc = -1;
	return rc;
}

int
util_notify_ready(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	char msg[64];
	size_t n;
	ssize_t w;
	int fd, len;

	if (path == NULL || path[0] == '\0')
		return 0;
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa.sun_path)) {
		errno = EINVAL;
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0'; /* the abstract namespace */
	len = snprintf(msg, sizeof(msg), "READY=1\nMAINPID=%ld", (long)getpid());
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1)
		return -1;
	w = sendto(fd, msg, (size_t)len, COMPAT_MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n));
	close(fd);
	return w == (ssize_t)len ? 0 : -1;
}

#ifndef UTIL_LIBUTIL_PIDFILE
/* What util.c uses of pidfile(3), with flock(2) as libbsd's has it (macOS,
 * the BSDs and Linux have flock): a pidfile is locked by whoever holds an
 * exclusive flock on it, the lock goes with the process, and the file says
 * the holder's pid. */
struct pidfh {
	int pf_fd;
	char pf_path[PATH_MAX];
};

/* Opens and locks path.  Returns a handle, or NULL with errno (EEXIST:
 * another process holds it, its pid in *pidptr, 0 when unknown). */
static struct pidfh *
util_pf_open(const char *path, mode_t mode, pid_t *pidptr)
{
	struct pidfh *pfh;
	char buf[32];
	ssize_t n;
	int fd, e;

	if (strlen(path) >= sizeof(pfh->pf_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NONBLOCK, mode)) == -1)
		return NULL;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		e = errno;
		if (e == EWOULDBLOCK) {
			n = pread(fd, buf, sizeof(buf) - 1, 0);
			buf[n > 0 ? n : 0] = '\0';
			*pidptr = (pid_t)strtol(buf, NULL, 10);
			e = EEXIST;
		}
		close(fd);
		errno = e;
		return NULL;
	}
	if ((pfh = malloc(sizeof(*pfh))) == NULL) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	pfh->pf_fd = fd;
	memcpy(pfh->pf_path, path, strlen(path) + 1);
	return pfh;
}

/* Writes our pid into the locked file.  Returns 0, or -1 with errno. */
static int
util_pf_write(struct pidfh *pfh)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(pfh->pf_fd, 0) == -1 || pwrite(pfh->pf_fd, buf, (size_t)n, 0) != n)
		return -1;
	return 0;
}

/* Removes the file and releases the lock. */
static int
util_pf_remove(struct pidfh *pfh)
{
	int rc = unlink(pfh->pf_path);

	close(pfh->pf_fd);
	free(pfh);
	return rc;
}
#else
#define util_pf_open   pidfile_open
#define util_pf_write  pidfile_write
#define util_pf_remove pidfile_remove
#endif

struct pidfh *
util_pidfile_lock(const char *path, pid_t *other, char *err, size_t errlen)
{
	struct pidfh *pfh;
	pid_t pid = 0;

	pfh = util_pf_open(path, 0600, &pid);
	if (pfh == NULL) {
		if (other != NULL)
			*other = errno == EEXIST ? pid : 0;
		if (errno == EEXIST)
			snprintf(err, errlen, "%s: already locked by pid %ld", path, (long)pid);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (util_pf_write(pfh) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		util_pf_remove(pfh);
		return NULL;
	}
	if (other != NULL)
		*other = 0;
	return pfh;
}

void
util_pidfile_remove(struct pidfh *pfh)
{
	if (pfh != NULL)
		util_pf_remove(pfh);
}

int
util_drop_privileges(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;

	if (user == NULL || *user == '\0')
		return 0;
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "user %s: %s", user,
			 errno ? strerror(errno) : "no such user");
		return -1;
	}
	if (geteuid() != 0) {
		if (geteuid() == pw->pw_uid)
			return 0;
		snprintf(err, errlen, "user %s: must be root to change user", user);
		return -1;
	}
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		snprintf(err, errlen, "user %s: cannot drop privileges: %s", user, strerror(errno));
		return -1;
	}
	/* Make sure there is no way back. */
	if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(err, errlen, "user %s: could regain root", user);
		return -1;
	}
	return 0;
}

/*
 * "123", "64k", "16M", "1G", "1T" (powers of 1024, case-insensitive suffix,
 * an optional trailing "b"/"B" after a suffix letter).  Negative numbers
 * and overflow are errors.
 */
int
util_parse_size(const char *s, long long *out)
{
	unsigned long long v, mul = 1;
	char *end;

	if (s == NULL)
		return -1;
	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case 'k':
	case 'K':
		mul = 1ULL << 10;
		end++;
		break;
	case 'm':
	case 'M':
		mul = 1ULL << 20;
		end++;
		break;
	case 'g':
	case 'G':
		mul = 1ULL << 30;
		end++;
		break;
	case 't':
	case 'T':
		mul = 1ULL << 40;
		end++;
		break;
	}
	if (mul > 1 && (*end == 'b' || *end == 'B'))
		end++;
	while (isspace((unsigned char)*end))
		end++;
	if (*end != '\0')
		return -1;
	if (v > (unsigned long long)LLONG_MAX / mul)
		return -1;
	*out = (long long)(v * mul);
	return 0;
}

size_t
util_utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c;

	if (n == 0)
		return 0;
	c = p[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && p[1] < 0xa0) /* overlong */
			return 0;
		if (c == 0xed && p[1] >= 0xa0) /* surrogates */
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && p[1] < 0x90) /* overlong */
			return 0;
		if (c == 0xf4 && p[1] >= 0x90) /* over U+10FFFF */
			return 0;
		return 4;
	}
	return 0;
}

size_t
util_utf8_valid(const char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf;
	size_t i = 0, n;
	uint64_t w;

	while (i < len) {
		/* ASCII fast path, eight bytes at a time. */
		while (i + 8 <= len) {
			memcpy(&w, p + i, 8);
			if (w & 0x8080808080808080ULL)
				break;
			i += 8;
		}
		if (i >= len)
			break;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = util_utf8_seq(p + i, len - i)) == 0)
			return i;
		i += n;
	}
	return len;
}

void
util_populate(void *p, size_t len)
{
#ifdef MADV_POPULATE_WRITE
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t a, b;

	if (len < UTIL_POPULATE_MIN || page <= 0)
		return;
	/* whole pages: those written to, in part or whole */
	a = (uintptr_t)p & ~((uintptr_t)page - 1);
	b = ((uintptr_t)p + len + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
	(void)madvise((void *)a, b - a, MADV_POPULATE_WRITE);
#else
	(void)p;
	(void)len;
#endif
}

int
util_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
