#!/bin/sh
# Runs each Check unit test binary given as an argument and prints one
# closing line "N passed, N failed" (Check's own per-suite lines come first).
# Check has no skip: a binary fails when it exits non-zero, prints no
# summary, or ran no check at all; no binary at all fails too.
pass=0; fail=0; failed=""
for t in "$@"; do
	out=$(CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-30} "$t" 2>&1); rc=$?
	printf '%s\n' "$out" | sed "s|^|${t##*/}: |" | grep -E '^[^:]*: ([0-9]+%:|.*:[EF]:)' || true
	# Check prints "NN%: Checks: C, Failures: F, Errors: E"
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks:' | tail -n1)
	c=$(printf '%s' "$line" | sed -n 's/.*Checks: \([0-9]*\).*/\1/p'); c=${c:-0}
	f=$(printf '%s' "$line" | sed -n 's/.*Failures: \([0-9]*\).*/\1/p'); f=${f:-0}
	e=$(printf '%s' "$line" | sed -n 's/.*Errors: \([0-9]*\).*/\1/p'); e=${e:-0}
	if [ "$rc" -ne 0 ] || [ -z "$line" ] || [ "$c" -eq 0 ]; then
		[ "$f" -eq 0 ] && [ "$e" -eq 0 ] && f=1
		failed="$failed ${t##*/}"
		[ "$c" -eq 0 ] && [ -n "$line" ] && echo "${t##*/}: ran no check"
		printf '%s\n' "$out" | tail -n 30
	fi
	n=$((c - f - e)); [ "$n" -ge 0 ] || n=0
	pass=$((pass + n)); fail=$((fail + f + e))
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ] || { echo "failed:$failed"; exit 1; }
[ "$pass" -gt 0 ] || { echo "no unit test ran"; exit 1; }
