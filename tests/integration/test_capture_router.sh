#!/bin/bash
# hook-capture with the real event-router: events are acked (nothing
# spooled) and reach the journal with their sequence numbers; events
# spooled while the router was down are drained when it comes up.
. "$(dirname "$0")/lib.sh"

H=$B/hook-capture
LOG=$T/capture.log
export HOOKWIRE_LOG_LEVEL=debug
[ -x "$B/event-router" ] || { echo "no event-router in $B"; exit 1; }

# ---- router down: spooled
"$H" --log-file "$LOG" <"$FIX/sessionstart.json" || fail "exit $?"
check "router down: spooled" test "$(hw_spool_count)" -eq 1
spooled_id=$(jq -r .id "$T/state/spool/new/"*)

# ---- router up
hw_start_router
# The spool is drained (bounded poll: there is no event to wait on).
hw_until 5 "spool drained by the router" hw_spool_empty

n=0
for f in "$FIX"/*.json; do
	rc=0
	"$H" --log-file "$LOG" <"$f" >"$T/out" 2>&1 || rc=$?
	[ "$rc" -eq 0 ] || fail "${f##*/}: exit $rc"
	[ ! -s "$T/out" ] || fail "${f##*/}: output $(head -c 200 "$T/out")"
	n=$((n + 1))
done
check "router up: nothing spooled" test "$(hw_spool_count)" -eq 0
# (the SessionStart fixture may be a duplicate of the spooled copy: the
# router drops identical content within router.dedup_window_ms)
check "router up: every event acked ($n)" test "$(grep -c '"msg":"\(accepted\|duplicate\): id [0-9a-f]\{32\} seq [0-9]\+"' "$LOG")" -eq "$n"
ids=$(grep -o '"msg":"accepted: id [0-9a-f]*' "$LOG" | sed 's/.* id //')
check "router up: at least $((n - 1)) accepted" test "$(echo $ids | wc -w)" -ge $((n - 1))
# (not a count: the spooled SessionStart and the fixture's may be one event)
journal_holds() { for id in "$@"; do hw_journal | grep -q "\"id\":\"$id\"" || return 1; done; }
hw_until 5 "the journal holds every event acked and the one spooled" journal_holds $ids $spooled_id
for id in $ids $spooled_id; do
	check "journal holds $id" sh -c "$(declare -f hw_journal); T='$T'; hw_journal | grep -q '\"id\":\"$id\"'"
done
check "journal: sequence numbers increase" sh -c "$(declare -f hw_journal); T='$T'; hw_journal | jq -s -e '[.[].seq] as \$s | \$s == (\$s | sort) and (\$s | unique | length) == (\$s | length)' >/dev/null"

capus=$(hw_journal | jq -s '[.[].meta.capture_us] | sort | .[length / 2 | floor]')
echo "FIGURE meta.capture_us (start to send, in-process), median of $n fixtures: $capus us"

# ---- bad input reaches the router as an input_error
: >"$LOG"
printf 'not json' | "$H" --log-file "$LOG" || fail "bad input: exit $?"
check "bad input: acked, not spooled" grep -q '"msg":"accepted: id [0-9a-f]\{32\} seq [0-9]\+"' "$LOG"
input_error_journalled() { hw_journal | grep -q '"event":"hookwire.input_error"'; }
hw_until 5 "bad input: input_error in the journal" input_error_journalled

# ---- many at once, router up
N=100
pids=""
: >"$LOG"
# The longest ack wait allowed: every one must get its answer, however slow
# the machine (under ASan some miss the default 250 ms and spool, correctly).
for _ in $(seq 1 $N); do
	HOOKWIRE_CAPTURE_ACK_TIMEOUT_MS=10000 "$H" --log-file "$LOG" <"$FIX/pretooluse_bash.json" >/dev/null 2>&1 &
	pids="$pids $!"
done
bad=0
for p in $pids; do wait "$p" || bad=$((bad + 1)); done
check "$N concurrent: all exit 0 (none crashed)" test "$bad" -eq 0
# the same hook JSON: each one answered, as accepted or as a duplicate
check "$N concurrent: every one acked ($(grep -c '"msg":"\(accepted\|duplicate\): id ' "$LOG"))" \
	test "$(grep -c '"msg":"\(accepted\|duplicate\): id [0-9a-f]\{32\} seq [0-9]\+"' "$LOG")" -eq "$N"
check "$N concurrent: nothing spooled" sh -c "! grep -q 'spooling id' '$LOG'"

# ---- wall time per event, exec to exit, router up, ack received
if [ -x "$B/exec-bench" ]; then
	"$B/exec-bench" -n 200 -w 20 -i "$FIX/pretooluse_bash.json" -- "$H" >"$T/bench" 2>&1 &&
		echo "FIGURE hook-capture, router up: $(cat "$T/bench")"
	"$B/exec-bench" -n 200 -w 20 -i "$FIX/pretooluse_bash.json" -- /bin/true >"$T/bench" 2>&1 &&
		echo "FIGURE /bin/true on this machine: $(cat "$T/bench")"
fi
# ---- the router restarts while a hook reads its stdin: hook-capture
# connects when it starts, finds that connection closed when it sends, and
# sends on a new one (not to the spool)
: >"$LOG"
mkfifo "$T/stdin"
"$H" --log-file "$LOG" <"$T/stdin" &
hpid=$!
exec 7>"$T/stdin"
# bounded poll: hook-capture holds its early connection (a socket among its
# fds; it says so nowhere else)
holds_socket() { ls -l "/proc/$1/fd" 2>/dev/null | grep -q 'socket:'; }
HW_POLL=0.01 hw_until 2 "early connection made" holds_socket "$hpid"
hw_stop "$router_pid"
hw_start_router
cat "$FIX/pretooluse_edit_subagent.json" >&7
exec 7>&-
wait "$hpid"
check "router restarted meanwhile: acked by the new router" grep -q '"msg":"\(accepted\|duplicate\): id ' "$LOG"
check "router restarted meanwhile: nothing spooled" test "$(hw_spool_count)" -eq 0

check "router still up" kill -0 "$router_pid"
hw_done
