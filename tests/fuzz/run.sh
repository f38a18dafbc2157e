#!/bin/sh
# run.sh SECONDS FUZZER...: runs each libFuzzer target for SECONDS on a copy of
# its seed corpus and prints executions and coverage reached, then one
# closing line "fuzz: N passed, N failed".  A target fails when it crashes,
# when it ran no input at all, or when it is not built; no target at all
# fails too (there is nothing a fuzz run may skip).
set -u
secs=$1; shift
pass=0; fail=0; failed=""
for f in "$@"; do
	name=${f##*/}
	if [ ! -x "$f" ]; then
		fail=$((fail + 1)); failed="$failed $name"; echo "fuzz $name: FAILED, $f is not built"
		continue
	fi
	seeds=tests/fuzz/corpus/$name
	work=$(mktemp -d)
	[ -d "$seeds" ] && cp -R "$seeds/." "$work/"
	log=$(mktemp)
	if "$f" -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 "$work" >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1)
		if [ "${execs:-0}" -gt 0 ]; then
			pass=$((pass + 1)); echo "fuzz $name: ok, $execs executions, $cov"
		else
			fail=$((fail + 1)); failed="$failed $name"
			echo "fuzz $name: FAILED, no input executed"; tail -n 20 "$log"
		fi
	else
		fail=$((fail + 1)); failed="$failed $name"; echo "fuzz $name: FAILED"; tail -n 40 "$log"
	fi
	rm -rf "$work" "$log"
done
echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ] || { echo "failed:$failed"; exit 1; }
[ $pass -gt 0 ] || { echo "no fuzz target ran"; exit 1; }
