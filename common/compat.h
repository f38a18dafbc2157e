/*
 * compat.h: the one portability header.  Every call that is not POSIX (or
 * not on macOS and the BSDs) goes through here, with a POSIX fallback.
 *
 * On Linux, in the normal build, the fast native forms are used
 * (SOCK_CLOEXEC, pipe2, MSG_NOSIGNAL, memmem).  With HOOKWIRE_PORTABLE
 * (make PORTABLE=1) the fallbacks are used on Linux too, so that make
 * check exercises them: socket + fcntl, pipe + fcntl, SO_NOSIGPIPE where
 * the system has it (else the callers' SIGPIPE is ignored, as every
 * hookwire tool does), and our own memmem and strchrnul.
 * tests/portable-symbols.sh checks that the objects of a PORTABLE build
 * reference none of the Linux-only symbols.
 *
 * Like the rest of common/, nothing here logs or exits.
 */
#ifndef HOOKWIRE_COMPAT_H
#define HOOKWIRE_COMPAT_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>

/* Flags of compat_socket() and compat_pipe(). */
#define COMPAT_CLOEXEC	0x1
#define COMPAT_NONBLOCK 0x2

/* The flag for send(2) that keeps a closed peer from raising SIGPIPE, or 0
 * where there is none (then compat_nosigpipe() on the socket, and SIGPIPE
 * ignored by the process). */
#if defined(MSG_NOSIGNAL) && !defined(HOOKWIRE_PORTABLE)
#define COMPAT_MSG_NOSIGNAL MSG_NOSIGNAL
#else
#define COMPAT_MSG_NOSIGNAL 0
#endif

/* Whether eventfd(2) is used for a wake-up descriptor (Linux, not
 * PORTABLE); else a non-blocking pipe (compat_pipe()). */
#if defined(__linux__) && !defined(HOOKWIRE_PORTABLE)
#define COMPAT_EVENTFD 1
#else
#define COMPAT_EVENTFD 0
#endif

/* socket(2) with COMPAT_* flags: in one call where the system can, else
 * socket + fcntl.  Returns the descriptor, or -1 with errno. */
int compat_socket(int domain, int type, int protocol, int flags);

/* pipe(2) with COMPAT_* flags on both ends.  Returns 0, or -1 with errno. */
int compat_pipe(int fds[2], int flags);

/* Sets FD_CLOEXEC, or O_NONBLOCK, on fd.  Return 0, or -1 with errno. */
int compat_set_cloexec(int fd);
int compat_set_nonblock(int fd);

/* SO_NOSIGPIPE on a socket where the system has it (macOS, the BSDs);
 * nothing elsewhere.  Returns 0, or -1 with errno. */
int compat_nosigpipe(int fd);

/* memmem(3) and strchrnul(3): the C library's where it has them, else ours. */
void *compat_memmem(const void *hay, size_t haylen, const void *needle, size_t nlen);
char *compat_strchrnul(const char *s, int c);

/* Fills buf with len random bytes: arc4random_buf() where the C library
 * (or libbsd) has it, else getentropy() (musl), else /dev/urandom.  When
 * all of these fail (no getrandom(2) and no /dev/urandom), the bytes come
 * from the clock and the pid: unique enough for a file name or an event id,
 * not for a secret. */
void compat_random_buf(void *buf, size_t len);

/* The absolute path of the running executable into out, by the system's
 * own means (Linux: /proc/self/exe; macOS: _NSGetExecutablePath; FreeBSD:
 * sysctl).  Returns its length, or -1 where there is no way or it does not
 * fit. */
ssize_t compat_exe_path(char *out, size_t outlen);

#endif
