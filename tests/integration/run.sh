#!/bin/sh
# Runs every tests/integration/test_* (or those named in $TESTS) against the
# binaries in $HOOKWIRE_BIN, each in its own temporary directory with a time
# limit, and prints one closing line "N passed, N failed, N skipped".
#
# Exit status of a test: 0 passed; 77 skipped (its last "SKIP: reason" line
# is printed as "skip NAME (reason)"); anything else failed.  Exit 77 is for
# reasons CI cannot fix (say which in a comment where a test uses it): a
# missing package or binary is an install or build step (make deps, make
# bins), so a test that lacks one fails, naming the step; after a failure
# the runner also says when mk/deps.sh finds something missing.
# $SKIP: names of tests not to run here (the sanitizer pass skips the
# browser and soak tests, whose C paths the normal pass already covers);
# they are counted as skipped.
# Exit status: 0 when nothing failed and at least one test ran or was skipped.
#   .sh: bash   .py: /usr/bin/python3 (Debian's, which has python3-socketio)   .mjs: node
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${HOOKWIRE_BIN:?}" "${HOOKWIRE_SRC:?}"
limit=${TEST_TIMEOUT:-300}
pass=0; fail=0; skip=0; failed=""
# The real Claude Code session first: it is what users run.
tests=${TESTS:-$(ls "$here"/test_e2e_* 2>/dev/null; ls "$here"/test_* 2>/dev/null | grep -v '/test_e2e_')}
outdir=${HOOKWIRE_TEST_OUT:-$HOOKWIRE_SRC/build/test-out}
mkdir -p "$outdir"
for t in $tests; do
	case $t in /*) ;; *) t=$here/$t ;; esac
	name=${t##*/}
	case " ${SKIP:-} " in *" $name "*)
		skip=$((skip + 1)); echo "skip $name (in \$SKIP)"; continue ;;
	esac
	case $name in
	*.sh) run="bash $t" ;;
	*.py) run="/usr/bin/python3 $t" ;;
	*.mjs) run="node $t" ;;
	*) continue ;;
	esac
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/hw-it.XXXXXX")
	start=$(date +%s)
	# XDG_CONFIG_HOME: no hookwire.conf of the user's is read by the tools under test
	mkdir -p "$tmp/xdg-config"
	XDG_CONFIG_HOME=$tmp/xdg-config HOOKWIRE_TEST_TMP=$tmp HOOKWIRE_TEST_OUT=$outdir \
		timeout -k 10 "$limit" $run >"$tmp/output" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1)); echo "ok   $name (${secs}s)"
	elif [ $rc -eq 77 ]; then
		why=$(sed -n 's/^SKIP: //p' "$tmp/output" | tail -n 1)
		skip=$((skip + 1)); echo "skip $name (${why:-no reason given})"
	else
		fail=$((fail + 1)); failed="$failed $name"
		echo "FAIL $name (exit $rc, ${secs}s)"; tail -n 40 "$tmp/output" | sed 's/^/    /'
		# A test that could not load a package or find a command names no step.
		grep -qE "ERR_MODULE_NOT_FOUND|Cannot find (module|package)|ModuleNotFoundError|: command not found|: not found$" "$tmp/output" &&
			echo "    (something the test needs is not installed: run 'make deps')"
	fi
	grep -h '^FIGURE ' "$tmp/output" 2>/dev/null | sed 's/^/    /'
	cp "$tmp/output" "$outdir/$name.log" 2>/dev/null
	rm -rf "$tmp"
done
echo "integration: $pass passed, $fail failed, $skip skipped"
if [ $fail -ne 0 ]; then
	echo "failed:$failed"
	# What is missing makes tests fail: say what installs it.
	deps=$(sh "$HOOKWIRE_SRC/mk/deps.sh" check 2>&1) || echo "$deps: run 'make deps'"
	exit 1
fi
[ $((pass + skip)) -gt 0 ] || { echo "no test ran"; exit 1; }
