#!/bin/sh
# portable-symbols.sh BUILD: checks that a portable build (make PORTABLE=1
# BUILD=...) calls nothing that macOS or FreeBSD lacks.  It reads what the
# tools link: the module archives (BUILD/lib/*.a, nm -u per member), the
# C library symbols each dynamic binary imports (nm -D -u), and the main()
# object of hook-capture (a static binary imports nothing).  Left out:
# sio-load, a Linux load generator from tests/bench, and the unit tests.
# The deny-list: the Linux calls that common/compat.h, ringwake_dgram.c
# and drain.c's timer stand in for, libbsd's pidfile(3) (util.c has its
# own), and a few more with no macOS form.
# Calls made inside shared libraries (libevent's accept4) are theirs.
# Prints each offending symbol and where it is; exit 1 if there is one,
# 100 on usage.
set -u
[ $# -eq 1 ] && [ -d "$1/lib" ] && [ -d "$1/bin" ] ||
	{ echo "usage: portable-symbols.sh BUILD (after make PORTABLE=1 BUILD=... bins)" >&2; exit 100; }
b=$1
deny='inotify_init|inotify_init1|inotify_add_watch|inotify_rm_watch|accept4|pipe2|syscall|eventfd|eventfd_read|eventfd_write|epoll_create|epoll_create1|epoll_ctl|epoll_wait|signalfd|timerfd_create|timerfd_settime|memfd_create|memmem|strchrnul|pthread_timedjoin_np|pthread_tryjoin_np|sched_getaffinity|sendmmsg|recvmmsg|splice|getrandom|prctl|pidfile_open|pidfile_write|pidfile_remove'
bad=0 n=0
# check WHERE: reads "symbol" lines on stdin
check() {
	for s in $(sed 's/@.*//' | grep -Ex "($deny)"); do
		echo "portable-symbols: $1 calls $s"
		bad=1
	done
}
for a in "$b"/lib/*.a; do
	n=$((n + 1))
	nm -u "$a" 2>/dev/null | awk '/:$/ { o = $0; next } NF == 2 { print $2 }' >"$b/.syms" &&
		check "${a##*/}" <"$b/.syms"
done
for f in "$b"/bin/*; do
	[ -f "$f" ] && [ "${f##*/}" != sio-load ] || continue
	head -c 4 "$f" | grep -q ELF || continue
	n=$((n + 1))
	if [ "${f##*/}" = hook-capture ]; then
		nm -u "$b/obj/hook-capture/hook-capture.o" | awk '{ print $2 }'
	else
		nm -D -u "$f" | awk '{ print $2 }'
	fi >"$b/.syms"
	check "${f##*/}" <"$b/.syms"
done
rm -f "$b/.syms"
[ $bad -eq 0 ] && echo "portable-symbols: $n archives and binaries, none calls a Linux-only function"
exit $bad
