#!/bin/bash
# test_usage_lapped.sh: event-usage lapped by the ring.  With a 64 KiB ring,
# event-usage is stopped (SIGSTOP) while a session's hook and then many other
# events go by, so the hook leaves the ring unread.  On SIGCONT event-usage
# logs the exact range it lost (reason lapped) and goes on; the session's
# messages are not lost, only late: its next hook catches them up, each
# counted once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/usagelib.sh"
export HOOKWIRE_RING_SIZE=64k
USAGE_FROM=journal # the usage events leave the ring too

R=$T/lap.jsonl
feed() { # feed A B: other events A..B straight to the ingest socket
	/usr/bin/python3 - "$T/run/ingest.sock" "$1" "$2" <<'PY'
import json, socket, sys
path, a, b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_UNIX); s.connect(path); f = s.makefile("rb")
for i in range(a, b + 1):
    s.sendall(json.dumps({"id": "%032x" % (0xbeef0000 + i), "ts": "2026-12-06T03:00:00.000001Z",
                          "event": "Note", "session_id": "other", "data": {"i": i, "pad": "p" * 400}}).encode() + b"\n")
    if json.loads(f.readline())["status"] != "accepted": sys.exit("not accepted")
PY
}

hw_start_router
hw_start_usage
tline "$R" msg_l_1 claude-opus-4-5-20251101 1 2 3 4 end_turn
hook Stop lap "$R"
check "the first message" wait_usage 1

kill -STOP "$usage_pid"
tline "$R" msg_l_2 claude-opus-4-5-20251101 5 6 7 8 end_turn
hook Stop lap "$R" # lost with the lap
feed 1 600
first=$("$B/event-tail" | head -n1 | jq .seq)
kill -CONT "$usage_pid"
check "the ring lapped event-usage (oldest held $first)" test "$first" -gt 3
hw_until 10 "the lost range is logged, reason lapped" \
	grep -q "events 3\.\.$((first - 1)) left the ring before they were read" "$T/usage.log"
check "event-usage goes on" kill -0 "$usage_pid"
hook UserPromptSubmit lap "$R" prompt=next
check "the next hook catches the session up" wait_usage 2
check "each message once, totals equal the sums" usage_check "lap=$R"
hw_done
