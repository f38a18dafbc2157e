/*
 * util.h: small things every tool needs: exit codes, clocks, readiness,
 * pidfile locks, privilege drop.  No logging, no exits.
 */
#ifndef HOOKWIRE_UTIL_H
#define HOOKWIRE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>
#include <sys/types.h>

/* Exit codes shared by all tools (hookwire(7)). */
#define EXIT_OK	     0
#define EXIT_RUNTIME 1
#define EXIT_USAGE   100 /* usage or bad configuration: do not restart */
#define EXIT_SYSCALL 111 /* a system call failed at start-up */

/* Wall clock, microseconds since the epoch. */
int64_t util_now_us(void);
/* Monotonic clock, microseconds. */
int64_t util_mono_us(void);
/* A duration of ms milliseconds (>= 0) as a struct timeval, for libevent's timers. */
struct timeval util_ms_tv(long ms);

/*
 * Says the daemon is ready: writes "\n" to fd and closes it (s6 readiness;
 * fd < 0: no descriptor), and when $NOTIFY_SOCKET is set, sends systemd's
 * READY=1 there (util_notify_ready()).  Returns 0, or -1 when either failed.
 */
int util_readiness(int fd);
/* sd_notify(3)'s "READY=1" and "MAINPID=" without libsystemd: one datagram to
 * the AF_UNIX socket $NOTIFY_SOCKET names (a path, or "@name" in the abstract
 * namespace).  Returns 0 (also when the variable is unset), or -1. */
int util_notify_ready(void);

/*
 * Takes the pidfile lock at path (pidfile_open(3): libbsd's, else util.c's
 * own with flock(2)) and writes our pid.
 * On success returns an opaque handle (release with util_pidfile_remove()).
 * When another process holds it, returns NULL, sets *other to its pid
 * (0 if unknown) and explains in err.
 */
struct pidfh;
struct pidfh *util_pidfile_lock(const char *path, pid_t *other, char *err, size_t errlen);
void util_pidfile_remove(struct pidfh *pfh);

/* Drops root privileges to user (setgroups, setgid, setuid).  Returns 0 or -1. */
int util_drop_privileges(const char *user, char *err, size_t errlen);

/* Parses a size with an optional k/M/G suffix.  Returns 0 or -1. */
int util_parse_size(const char *s, long long *out);

/* Writes len bytes fully (retrying on EINTR and short writes).  Returns 0 or -1. */
int util_write_all(int fd, const void *buf, size_t len);

/*
 * Faults in the pages of [p, p + len) with one madvise(MADV_POPULATE_WRITE)
 * (Linux 5.14 and later), for a buffer about to be written whole: one
 * system call instead of a page fault per page, each a trap (10 us on a
 * virtual machine with shadow page tables, 0.7 us a page here).  Does
 * nothing below UTIL_POPULATE_MIN bytes, or where it is not supported or
 * fails: the writes then fault the pages in as before.
 */
#define UTIL_POPULATE_MIN (32 * 1024)
void util_populate(void *p, size_t len);

/* The value of hex digit c (either case), or -1. */
int util_hexval(int c);

/*
 * UTF-8 (additions by the common/ engineer).  util_utf8_seq() returns the
 * length (1 to 4) of the well-formed UTF-8 sequence at p[0..n), or 0 when
 * the bytes there are not one (overlong forms, surrogates and code points
 * over U+10FFFF are not well-formed).  util_utf8_valid() returns the length
 * of the longest well-formed prefix of buf: len when all of it is valid.
 */
size_t util_utf8_seq(const unsigned char *p, size_t n);
size_t util_utf8_valid(const char *buf, size_t len);

#endif
