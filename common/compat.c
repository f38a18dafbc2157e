/*
 * compat.c: the POSIX fallbacks of compat.h.
 */
#include <sys/types.h>
#include <sys/socket.h>
#if defined(__FreeBSD__) || defined(__DragonFly__)
#include <sys/sysctl.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __APPLE__
#include <mach-o/dyld.h>
#endif

#include "compat.h"

int
compat_set_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	return fl == -1 ? -1 : fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

int
compat_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl == -1 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

#if defined(HOOKWIRE_PORTABLE) || !defined(__linux__)
/* Applies COMPAT_* flags to fd (the fallbacks only). */
static int
compat_apply(int fd, int flags)
{
	if ((flags & COMPAT_CLOEXEC) && compat_set_cloexec(fd) == -1)
		return -1;
	if ((flags & COMPAT_NONBLOCK) && compat_set_nonblock(fd) == -1)
		return -1;
	return 0;
}
#endif

int
compat_socket(int domain, int type, int protocol, int flags)
{
#if defined(SOCK_CLOEXEC) && defined(SOCK_NONBLOCK) && !defined(HOOKWIRE_PORTABLE)
	return socket(domain,
		      type | (flags & COMPAT_CLOEXEC ? SOCK_CLOEXEC : 0) |
			  (flags & COMPAT_NONBLOCK ? SOCK_NONBLOCK : 0),
		      protocol);
#else
	int fd, e;

	if ((fd = socket(domain, type, protocol)) == -1)
		return -1;
	if (compat_apply(fd, flags) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
#endif
}

int
compat_pipe(int fds[2], int flags)
{
#if defined(__linux__) && !defined(HOOKWIRE_PORTABLE)
	return pipe2(fds, (flags & COMPAT_CLOEXEC ? O_CLOEXEC : 0) |
			      (flags & COMPAT_NONBLOCK ? O_NONBLOCK : 0));
#else
	int e;

	if (pipe(fds) == -1)
		return -1;
	if (compat_apply(fds[0], flags) == -1 || compat_apply(fds[1], flags) == -1) {
		e = errno;
		close(fds[0]);
		close(fds[1]);
		errno = e;
		return -1;
	}
	return 0;
#endif
}

int
compat_nosigpipe(int fd)
{
#ifdef SO_NOSIGPIPE
	int one = 1;

	return setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof(one));
#else
	(void)fd;
	return 0;
#endif
}

void *
compat_memmem(const void *hay, size_t haylen, const void *needle, size_t nlen)
{
#if defined(_GNU_SOURCE) && !defined(HOOKWIRE_PORTABLE)
	return memmem(hay, haylen, needle, nlen);
#else
	const unsigned char *h = hay, *n = needle, *p, *end;

	if (nlen == 0)
		return (void *)hay;
	if (nlen > haylen)
		return NULL;
	end = h + (haylen - nlen) + 1;
	for (p = h; p < end; p++) {
		if ((p = memchr(p, n[0], (size_t)(end - p))) == NULL)
			return NULL;
		if (memcmp(p, n, nlen) == 0)
			return (void *)p;
	}
	return NULL;
#endif
}

char *
compat_strchrnul(const char *s, int c)
{
#if defined(_GNU_SOURCE) && !defined(HOOKWIRE_PORTABLE)
	return strchrnul(s, c);
#else
	while (*s != '\0' && *s != (char)c)
		s++;
	return (char *)s;
#endif
}

/* arc4random_buf(): the BSDs, macOS, glibc 2.36 and later, and libbsd's
 * overlay (the normal Linux build); musl has none. */
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__) ||   \
    defined(__DragonFly__) || defined(LIBBSD_OVERLAY) ||                                           \
    (defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 36)))
#define COMPAT_ARC4RANDOM 1
#endif

void
compat_random_buf(void *buf, size_t len)
{
#ifdef COMPAT_ARC4RANDOM
	arc4random_buf(buf, len);
#else
	unsigned char *p = buf;
	size_t off, n;
	ssize_t r = -1;
	struct timespec ts;
	uint64_t x;
	int fd;

	for (off = 0; off < len; off += n) {
		n = len - off < 256 ? len - off : 256; /* getentropy()'s limit */
		if (getentropy(p + off, n) == -1)
			break;
	}
	if (off >= len)
		return;
	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) != -1) {
		for (off = 0; off < len; off += (size_t)r)
			if ((r = read(fd, p + off, len - off)) <= 0)
				break;
		close(fd);
		if (off >= len)
			return;
	}
	/* the last resort the header warns of: splitmix64 over the clock and pid */
	clock_gettime(CLOCK_REALTIME, &ts);
	x = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec + ((uint64_t)getpid() << 32);
	for (off = 0; off < len; off++) {
		uint64_t z = (x += 0x9e3779b97f4a7c15u);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
		p[off] = (unsigned char)(z ^ (z >> 31));
	}
#endif
}

ssize_t
compat_exe_path(char *out, size_t outlen)
{
#if defined(__linux__)
	ssize_t n;

	if (outlen < 2 || (n = readlink("/proc/self/exe", out, outlen - 1)) <= 0 ||
	    (size_t)n >= outlen - 1)
		return -1;
	out[n] = '\0';
	return n;
#elif defined(__APPLE__)
	char buf[PATH_MAX], real[PATH_MAX];
	uint32_t len = sizeof(buf);

	if (_NSGetExecutablePath(buf, &len) != 0 || realpath(buf, real) == NULL ||
	    strlen(real) >= outlen)
		return -1;
	memcpy(out, real, strlen(real) + 1);
	return (ssize_t)strlen(out);
#elif defined(__FreeBSD__) || defined(__DragonFly__)
	int mib[4] = {CTL_KERN, KERN_PROC, KERN_PROC_PATHNAME, -1};
	size_t len = outlen;

	if (sysctl(mib, 4, out, &len, NULL, 0) == -1 || len == 0)
		return -1;
	out[len < outlen ? len : outlen - 1] = '\0';
	return (ssize_t)strlen(out);
#else
	(void)out;
	(void)outlen;
	errno = ENOSYS;
	return -1;
#endif
}
