#!/bin/sh
# Runs every tests/integration/test_* (or those named in $TESTS) against the
# binaries in $HOOKWIRE_BIN, each in its own temporary directory with a time
# limit, and prints one closing line "N passed, N failed".
# $SKIP: names of tests not to run here (the sanitizer pass skips the
# browser and soak tests, whose C paths the normal pass already covers).
#   .sh: bash   .py: /usr/bin/python3 (Debian's, which has python3-socketio)   .mjs: node
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${HOOKWIRE_BIN:?}" "${HOOKWIRE_SRC:?}"
limit=${TEST_TIMEOUT:-300}
pass=0; fail=0; failed=""
tests=${TESTS:-$(ls "$here"/test_* 2>/dev/null)}
outdir=${HOOKWIRE_TEST_OUT:-$HOOKWIRE_SRC/build/test-out}
mkdir -p "$outdir"
for t in $tests; do
	case $t in /*) ;; *) t=$here/$t ;; esac
	name=${t##*/}
	case " ${SKIP:-} " in *" $name "*) echo "skip $name"; continue ;; esac
	case $name in
	*.sh) run="bash $t" ;;
	*.py) run="/usr/bin/python3 $t" ;;
	*.mjs) run="node $t" ;;
	*) continue ;;
	esac
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/hw-it.XXXXXX")
	start=$(date +%s)
	HOOKWIRE_TEST_TMP=$tmp HOOKWIRE_TEST_OUT=$outdir timeout -k 10 "$limit" $run >"$tmp/output" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1)); echo "ok   $name (${secs}s)"
	else
		fail=$((fail + 1)); failed="$failed $name"
		echo "FAIL $name (exit $rc, ${secs}s)"; tail -n 40 "$tmp/output" | sed 's/^/    /'
	fi
	grep -h '^FIGURE ' "$tmp/output" 2>/dev/null | sed 's/^/    /'
	cp "$tmp/output" "$outdir/$name.log" 2>/dev/null
	rm -rf "$tmp"
done
echo "integration: $pass passed, $fail failed"
[ $fail -eq 0 ] || { echo "failed:$failed"; exit 1; }
