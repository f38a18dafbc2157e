#!/bin/sh
# lint.sh PAGE...: lints mdoc man pages with mandoc (-Tlint -Wwarning) and
# groff (-mdoc -ww -z); a page passes when neither prints anything.
# Prints one line per failing page with the messages, then
# "man: N passed, N failed".  Exit status 1 if any page failed, or if no
# page was given.
set -u
pass=0
fail=0
for page in "$@"; do
	out=$(mandoc -Tlint -Wwarning "$page" 2>&1)
	gout=$(groff -mdoc -ww -z "$page" 2>&1 >/dev/null)
	if [ -z "$out" ] && [ -z "$gout" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "man: $page:"
		[ -n "$out" ] && printf '%s\n' "$out"
		[ -n "$gout" ] && printf '%s\n' "$gout"
	fi
done
echo "man: $pass passed, $fail failed"
[ "$fail" -eq 0 ] || exit 1
[ "$pass" -gt 0 ] || { echo "man: no page given"; exit 1; }
