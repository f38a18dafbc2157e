#!/bin/bash
# test_man_render.sh: man(1) renders every page in man/ (man -l), with its
# NAME and DESCRIPTION, without a warning; every page another page refers to
# with .Xr (for hookwire's own pages) exists; every tool built has a page.
set -u
SRC=${HOOKWIRE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
T=${HOOKWIRE_TEST_TMP:-$(mktemp -d)}
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
n=0
for page in "$SRC"/man/*.[1-8]; do
	[ -e "$page" ] || continue
	n=$((n + 1))
	name=${page##*/}
	if ! MANWIDTH=80 man -l "$page" >"$T/out" 2>"$T/err" </dev/null; then
		fail "$name: man -l failed: $(head -n 3 "$T/err")"
		continue
	fi
	[ -s "$T/err" ] && fail "$name: man -l warned: $(head -n 3 "$T/err")"
	col -b <"$T/out" >"$T/txt"
	grep -q '^NAME' "$T/txt" || fail "$name: no NAME section in the rendering"
	grep -q '^DESCRIPTION' "$T/txt" || fail "$name: no DESCRIPTION section in the rendering"
	[ "$(wc -l <"$T/txt")" -gt 10 ] || fail "$name: rendering is only $(wc -l <"$T/txt") lines"
	echo "ok: $name renders ($(wc -l <"$T/txt") lines)"
done
[ $n -gt 0 ] || fail "no pages in $SRC/man"

# Every cross reference resolves, name and section: to a page in man/ (what
# man/module.mk installs), or to a page of another package named below.  A
# reference to one of ours that does not exist, or a misspelt one, is in
# neither.  Read from every macro line (".Xr", ".Pq Xr", ".It Xr", ...).
# The other packages' pages are listed by hand, not looked up with man -w:
# several are not installed by make deps (libevent has no page in Debian,
# spiped and stunnel are suggestions) and minimal systems drop man pages.
# hookwire(8), PORTABILITY, also names system calls and macOS and FreeBSD
# pages (kqueue.2, launchd.8, sysctl.3).
foreign=" cp.1 eventfd.2 fcntl.2 fdatasync.2 flock.2 futex.2 getrusage.2 grep.1 head.1 inotify.7 \
jq.1 kqueue.2 launchd.8 libevent.3 pcre2pattern.3 pipe.2 ps.1 redis-cli.1 send.2 socat.1 socket.2 \
spiped.1 sqlite3.1 stunnel.8 sysctl.3 systemd.1 write.2 writev.2 "
nours=0 nforeign=0 before=$fails
for page in "$SRC"/man/*.[1-8]; do
	[ -e "$page" ] || continue
	refs=$(grep '^\.' "$page" | grep -o 'Xr [^ ]* [1-9]' | sed 's/^Xr \([^ ]*\) \([1-9]\)$/\1.\2/' | sort -u)
	for ref in $refs; do
		if [ -f "$SRC/man/$ref" ]; then
			nours=$((nours + 1))
			continue
		fi
		case $foreign in
		*" $ref "*) nforeign=$((nforeign + 1)) ;;
		*)
			fail "${page##*/} refers to ${ref%.*}(${ref##*.}): not in man/, not a known page of another package" ;;
		esac
	done
done
[ $nours -gt 0 ] || fail "found no cross reference between our pages (is the extraction broken?)"
[ $fails -ne $before ] ||
	echo "ok: cross references resolve ($nours to our pages, $nforeign to other packages')"

# Every tool the Makefile builds (its BINS under $(BIN)) has a page.  The
# make that reads them is not the caller's sub-make: under make -j2 check it
# would print directories into the list and warn of the jobserver.
tools=$(printf 'hw-print-bins:\n\t@echo $(notdir $(filter $(BIN)/%%,$(BINS)))\n' |
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory -C "$SRC" -f Makefile -f - hw-print-bins)
[ -n "$tools" ] || fail "could not read the Makefile's BINS"
before=$fails
for b in $tools; do
	set -- "$SRC/man/$b".[1-8]
	[ -e "$1" ] || fail "$b is in the Makefile's BINS but has no page in man/"
done
[ $fails -ne $before ] || echo "ok: $(echo $tools | wc -w) tools, each with a page"

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all checks passed ($n pages)"
