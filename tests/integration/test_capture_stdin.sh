#!/bin/bash
# hook-capture on a stdin that never closes (a known Claude Code hang):
# it exits 0 within capture.stdin_timeout_ms and spools an input_error
# event with reason stdin_timeout; a complete hook object that arrived
# before the deadline is used as it is.
. "$(dirname "$0")/lib.sh"

H=$B/hook-capture
NEW=$T/state/spool/new
mkfifo "$T/fifo"

now_ms() { date +%s%3N; }

# hang MS [TEXT]: runs hook-capture on the fifo, held open for writing by
# this shell (so no end of file ever comes), after writing TEXT into it.
# Sets ELAPSED (ms) and EV (the new spool file).
hang() {
	local ms=$1 text=${2:-} t0 rc=0
	exec 7<>"$T/fifo"
	[ -z "$text" ] || printf '%s' "$text" >&7
	t0=$(now_ms)
	HOOKWIRE_CAPTURE_STDIN_TIMEOUT_MS=$ms "$H" <"$T/fifo" >"$T/out" 2>"$T/err" || rc=$?
	ELAPSED=$(($(now_ms) - t0))
	exec 7>&-
	[ "$rc" -eq 0 ] || fail "stdin $ms ms: exit $rc"
	[ ! -s "$T/out" ] || fail "stdin $ms ms: stdout not empty"
	[ ! -s "$T/err" ] || fail "stdin $ms ms: stderr not empty"
	EV=$NEW/$(ls "$NEW" | tail -n1)
}
jqq() { jq -e "$1" "$EV" >/dev/null 2>&1; }

# The default deadline (2000 ms): not before it, not long after it.
hang 2000
echo "FIGURE stdin never closed, default deadline: exit after $ELAPSED ms"
check "default deadline: waited the deadline ($ELAPSED ms)" test "$ELAPSED" -ge 1900
check "default deadline: exited soon after ($ELAPSED ms)" test "$ELAPSED" -le 4000
check "one event spooled" test "$(hw_spool_count)" -eq 1
check "input_error" jqq '.event == "hookwire.input_error"'
check "reason stdin_timeout" jqq '.data.error == "stdin_timeout"'
check "capture_us covers the wait" jqq '.meta.capture_us >= 1900000'

# A short deadline, with part of an object read.
hang 300 '{"hook_event_name":"PreToolUse","tool_name":"Ba'
check "short deadline: exited in time ($ELAPSED ms)" test "$ELAPSED" -le 2500
check "partial input: stdin_timeout" jqq '.event == "hookwire.input_error" and .data.error == "stdin_timeout"'
check "partial input: copy kept" jqq '.data.input | startswith("{\"hook_event_name\":\"PreToolUse\"")'
check "two events spooled" test "$(hw_spool_count)" -eq 2

# A complete object but no end of file: the event is used.
hang 300 "$(tr -d '\n' <"$FIX/pretooluse_bash.json")"
check "complete object without EOF: used as it is" jqq '.event == "PreToolUse" and .tool == "Bash"'
check "three events spooled" test "$(hw_spool_count)" -eq 3

# The deadline also bounds a writer that trickles bytes.
t0=$(now_ms)
( for i in 1 2 3 4 5 6 7 8 9 10; do printf ' '; sleep 0.2; done ) |
	HOOKWIRE_CAPTURE_STDIN_TIMEOUT_MS=500 "$H" >"$T/out" 2>&1 || fail "trickle: exit $?"
# (the pipeline ends with the writer; hook-capture's own exit time is what
# the spool file's capture_us shows)
EV=$NEW/$(ls "$NEW" | tail -n1)
check "trickle: stopped at the deadline" jqq '.data.error == "stdin_timeout" and .meta.capture_us < 1500000'
hw_done
