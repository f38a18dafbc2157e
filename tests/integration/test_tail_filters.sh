#!/bin/bash
# event-tail: what the ring holds, --since, --session, --event, -n,
# --pretty, --follow (bounded wait), jq, and a closed pipe (head) ending
# it quietly with status 0.
. "$(dirname "$0")/lib.sh"

send() { # send N FIRST
	/usr/bin/python3 - "$1" "$2" <<'PY'
import json, os, socket, sys
n, first = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_UNIX); s.connect(os.environ["HOOKWIRE_RUNDIR"] + "/ingest.sock")
buf = b"".join(json.dumps({"id": "%032x" % (0x55000 + i), "ts": "2026-11-28T20:25:03.%06dZ" % i,
    "event": "E%d" % (i % 2), "session_id": "sess-%d" % (i % 3), "tool": "Bash",
    "data": {"i": i, "tool_input": {"command": "echo %d" % i}}}).encode() + b"\n"
    for i in range(first, first + n))
s.sendall(buf)
f = s.makefile("rb")
for i in range(n):
    r = json.loads(f.readline())
    assert r["status"] == "accepted", r
PY
}

hw_start_router
rc=0; "$B/event-tail" --no-such-flag 2>/dev/null || rc=$?
check "unknown flag: exit 100" test "$rc" -eq 100
check "empty ring: prints nothing, exit 0" test -z "$("$B/event-tail")"
send 30 1
check "all: 30 events" test "$("$B/event-tail" | wc -l)" -eq 30
check "--since 20: seq 21..30" test "$("$B/event-tail" --since 20 | jq -c .seq | tr '\n' ' ')" = "21 22 23 24 25 26 27 28 29 30 "
check "--session sess-1: 10 events, all of it" test "$("$B/event-tail" --session sess-1 | jq -r .session_id | sort | uniq -c | awk '{print $1, $2}')" = "10 sess-1"
check "--event E1: 15 events" test "$("$B/event-tail" --event E1 | jq -r .event | grep -c '^E1$')" -eq 15
check "--event E1: nothing else" test "$("$B/event-tail" --event E1 | wc -l)" -eq 15
check "--session and --event together" test "$("$B/event-tail" --session sess-0 --event E0 | jq -c .seq | tr '\n' ' ')" = "6 12 18 24 30 "
check "-n 5: the last 5" test "$("$B/event-tail" -n 5 | jq -c .seq | tr '\n' ' ')" = "26 27 28 29 30 "
check "-n 3 --session sess-2: its last 3" test "$("$B/event-tail" -n 3 --session sess-2 | jq -c .seq | tr '\n' ' ')" = "23 26 29 "
check "-n 0: nothing" test -z "$("$B/event-tail" -n 0)"
check "--since past the end: nothing" test -z "$("$B/event-tail" --since 999)"
"$B/event-tail" --pretty >"$T/pretty"
check "--pretty: one line per event" test "$(wc -l <"$T/pretty")" -eq 30
check "--pretty: time, seq, session, event, tool, summary" grep -qE '^20:25:03\.000 +7 sess-1 +E1 Bash +echo 7$' "$T/pretty"
check "output is NDJSON for jq" sh -c "'$B/event-tail' | jq -e -s 'length == 30' >/dev/null"

# --follow: prints what comes, waits on the futex in between (bounded by timeout)
"$B/event-tail" -f --since 30 >"$T/follow.out" 2>"$T/follow.err" &
tailpid=$!
HW_PIDS="$HW_PIDS $tailpid"
send 3 31
hw_until 10 "--follow: three lines" hw_lines_ge "$T/follow.out" 3
check "--follow: new events arrive" test "$(jq -c .seq "$T/follow.out" | tr '\n' ' ')" = "31 32 33 "
check "--follow: blocked in the futex, not spinning" sh -c "grep -q futex_wait /proc/$tailpid/wchan 2>/dev/null || [ \"\$(awk '{print \$14+\$15}' /proc/$tailpid/stat)\" -lt 50 ]"
kill "$tailpid" 2>/dev/null; wait "$tailpid" 2>/dev/null || true

# a closed pipe: head takes one line, event-tail exits 0 without a message
send 5000 100
set +e
"$B/event-tail" 2>"$T/epipe.err" | head -n 1 >/dev/null
st=${PIPESTATUS[0]}
set -e
check "EPIPE: exit 0" test "$st" -eq 0
check "EPIPE: nothing on stderr" test ! -s "$T/epipe.err"
set +e
timeout 10 "$B/event-tail" -f 2>"$T/epipe2.err" | head -n 2 >/dev/null
st=${PIPESTATUS[0]}
set -e
check "EPIPE with --follow: exit 0" test "$st" -eq 0
hw_done
