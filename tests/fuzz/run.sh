#!/bin/sh
# run.sh SECONDS FUZZER...: runs each libFuzzer target for SECONDS on a copy of
# its seed corpus and prints executions and coverage reached.
set -u
secs=$1; shift
fail=0
for f in "$@"; do
	name=${f##*/}
	seeds=tests/fuzz/corpus/$name
	work=$(mktemp -d)
	[ -d "$seeds" ] && cp -R "$seeds/." "$work/"
	log=$(mktemp)
	if "$f" -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 "$work" >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1)
		echo "fuzz $name: ok, $execs executions, $cov"
	else
		fail=$((fail + 1)); echo "fuzz $name: FAILED"; tail -n 40 "$log"
	fi
	rm -rf "$work" "$log"
done
[ $fail -eq 0 ]
