#!/bin/bash
# Floods: (1) a burst of 10,000 events written to the ingest socket as fast
# as the router answers (the issue's "10,000 in a second"): every one accepted,
# once, in order, in the journal and the ring; the rate is printed.
# (2) many hook-capture processes at once (make check: 200, 100 at a time;
# HOOKWIRE_STRESS=1: 1000 all at once): every one exits 0, every event
# reaches the journal exactly once (acked or spooled and drained).
. "$(dirname "$0")/lib.sh"

if [ "${HOOKWIRE_STRESS:-0}" = 1 ]; then NH=1000 PH=1000; else NH=200 PH=100; fi
NB=10000
hw_start_router
out=$(timeout 120 node "$SRC/tests/integration/loadfeed.mjs" --socket "$T/run/ingest.sock" --rate 0 --count "$NB" --pad 200 --window 1024 2>/dev/null) || true
echo "$out"
check "burst: all $NB accepted" sh -c "echo '$out' | grep -q 'accepted=$NB '"
secs=$(echo "$out" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')
echo "FIGURE flood_burst_events $NB"
echo "FIGURE flood_burst_seconds $secs"
echo "FIGURE flood_burst_events_per_s $(echo "$NB / $secs" | bc)"
check "burst: router still running" kill -0 "$router_pid"
check "burst: journal has $NB events" test "$(hw_journal | wc -l)" -eq "$NB"
check "burst: ring has $NB events" test "$("$B/event-tail" | wc -l)" -eq "$NB"
check "burst: seq dense, in order" /usr/bin/python3 -c "
import json,glob,sys
s=[json.loads(l)['seq'] for f in sorted(glob.glob('$T/state/journal/*.ndjson')) for l in open(f)]
sys.exit(0 if s==list(range(1,$NB+1)) else 1)"

cat >"$T/one.sh" <<ONE
printf '{"session_id":"s-flood-%d","cwd":"/tmp","hook_event_name":"PostToolUse","tool_name":"Read","tool_use_id":"toolu_flood_%d","tool_input":{"file_path":"/tmp/f%d"}}' "\$((\$1 % 13))" "\$1" "\$1" | "$B/hook-capture"
ONE
t0=$(date +%s.%N)
rc=0; seq 1 "$NH" | xargs -P "$PH" -n 1 sh "$T/one.sh" || rc=$?
t1=$(date +%s.%N)
check "hooks: every hook-capture exited 0" test "$rc" -eq 0
hw_until 20 "hooks: the spool drained" hw_spool_empty
spooled=$(hw_journal | jq -r 'select(.tool_use_id != null and (.tool_use_id|startswith("toolu_flood_"))) | .tool_use_id' | sort | uniq -c | awk '{n++; if ($1 != 1) d++} END {print n+0, d+0}')
check "hooks: $NH events in the journal ($spooled)" test "${spooled% *}" -eq "$NH"
check "hooks: none twice" test "${spooled#* }" -eq 0
check "hooks: router still running" kill -0 "$router_pid"
echo "FIGURE flood_hooks $NH"
echo "FIGURE flood_hooks_parallel $PH"
echo "FIGURE flood_hooks_seconds $(echo "$t1 - $t0" | bc)"
echo "FIGURE flood_router_rss_kb $(awk '/VmRSS/ {print $2}' /proc/$router_pid/status)"
hw_done
