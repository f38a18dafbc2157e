#!/bin/bash
# event-tail overrun by the writer (a small ring, a stopped reader): it says
# on stderr exactly which sequence numbers it lost and goes on; what it
# printed plus what it lost is every sequence number once, in order.
. "$(dirname "$0")/lib.sh"

export HOOKWIRE_RING_SIZE=65536
send() { # send N FIRST
	/usr/bin/python3 - "$1" "$2" <<'PY'
import json, os, socket, sys
n, first = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_UNIX); s.connect(os.environ["HOOKWIRE_RUNDIR"] + "/ingest.sock")
s.sendall(b"".join(json.dumps({"id": "%032x" % (0x66000 + i), "ts": "2026-11-28T20:25:03.000001Z",
    "event": "Notification", "session_id": "lap", "data": {"i": i, "pad": "z" * 200}}).encode() + b"\n"
    for i in range(first, first + n)))
f = s.makefile("rb")
for i in range(n):
    assert json.loads(f.readline())["status"] == "accepted"
PY
}

hw_start_router
"$B/event-tail" -f >"$T/out" 2>"$T/err" &
tailpid=$!
HW_PIDS="$HW_PIDS $tailpid"
send 1 1
hw_until 10 "reader got the first event" hw_lines_ge "$T/out" 1
kill -STOP "$tailpid"
send 2000 2 # ~500 KB through a 64 KiB ring: the stopped reader is lapped
kill -CONT "$tailpid"
send 1 2002
last_seq_is() { [ "$(tail -n1 "$T/out" | jq .seq 2>/dev/null)" = "$1" ]; }
hw_until 10 "reader reached the last event" last_seq_is 2002
kill "$tailpid" 2>/dev/null; wait "$tailpid" 2>/dev/null || true
check "lost range reported on stderr" grep -qE '^event-tail: lost events [0-9]+-[0-9]+' "$T/err"
# printed + lost = 1..2002, each once, in order
{
	jq .seq "$T/out"
	sed -n 's/^event-tail: lost events \([0-9]*\)-\([0-9]*\).*/\1 \2/p' "$T/err" | while read -r a b; do seq "$a" "$b"; done
} | sort -n >"$T/covered"
seq 1 2002 >"$T/expect"
check "printed + lost = every seq exactly once" cmp -s "$T/covered" "$T/expect"
check "printed seqs strictly increasing" sh -c "jq .seq '$T/out' | sort -n -c -u"
cat "$T/err"
# --since a seq that has left the ring
"$B/event-tail" --since 1 >/dev/null 2>"$T/err2"
first=$("$B/event-tail" | head -n1 | jq .seq)
check "--since 1 on a lapped ring: names the range lost" grep -q "lost events 2-$((first - 1))" "$T/err2"
hw_done
