#!/bin/bash
# event-router killed with SIGKILL (twice) while many hook-capture processes
# run at once (xargs -P); restarted each time.  Whatever hook-capture could
# not get acked was spooled and is drained: at the end the journal and the
# ring hold every event exactly once, with dense sequence numbers.
# (test_router_sigkill.sh covers one pipelining producer and a sequential
# hook-capture loop; this one is about concurrent producers.)
# HOOKWIRE_STRESS=1: 3000 events, 16 at once, 4 kills.
. "$(dirname "$0")/lib.sh"

if [ "${HOOKWIRE_STRESS:-0}" = 1 ]; then N=3000 P=16 KILLS=4; else N=240 P=8 KILLS=2; fi
hw_start_router
cat >"$T/one.sh" <<ONE
printf '{"session_id":"s-conc-%d","cwd":"/tmp","hook_event_name":"PreToolUse","tool_name":"Bash","tool_use_id":"toolu_conc_%d","tool_input":{"command":"echo %d"}}' "\$((\$1 % 7))" "\$1" "\$1" | "$B/hook-capture"
ONE
t0=$(date +%s.%N)
seq 1 "$N" | xargs -P "$P" -n 1 sh "$T/one.sh" &
load=$!
for k in $(seq 1 "$KILLS"); do
	# bounded poll: wait until the journal has grown by a share of the events
	want=$((N * k / (KILLS + 2)))
	hw_until 30 "kill $k: the journal reached $want events" hw_journal_has "$want"
	kill -KILL "$router_pid"; wait "$router_pid" 2>/dev/null || true
	spooled=$(hw_spool_count)
	hw_start_router
	echo "kill $k at $(hw_journal | wc -l) journal lines, spool had $spooled"
done
rc=0; wait "$load" || rc=$?
check "every hook-capture exited 0" test "$rc" -eq 0
# the spool drains (bounded poll: the router has no event to wait on here)
hw_until 20 "spool drained" hw_spool_empty
hw_until 10 "the journal reached $N events" hw_journal_has "$N"
t1=$(date +%s.%N)
hw_journal >"$T/j"
check "journal: $N events" test "$(wc -l <"$T/j")" -eq "$N"
check "journal: each tool_use_id once" test "$(jq -r .tool_use_id "$T/j" | sort -u | wc -l)" -eq "$N"
check "journal: each id once" test "$(jq -r .id "$T/j" | sort -u | wc -l)" -eq "$N"
seq 1 "$(wc -l <"$T/j")" >"$T/expect"
check "journal: seq dense and in order" sh -c "jq .seq '$T/j' | cmp -s - '$T/expect'"
"$B/event-tail" >"$T/ring"
check "ring: the same events as the journal" cmp -s "$T/j" "$T/ring"
echo "FIGURE routerkill_events $N"
echo "FIGURE routerkill_parallel $P"
echo "FIGURE routerkill_kills $KILLS"
echo "FIGURE routerkill_seconds $(echo "$t1 - $t0" | bc)"
hw_done
