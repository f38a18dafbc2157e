#!/bin/bash
# event-router and its journal: a truncated last journal line (a crash in
# the middle of a write) is reported (journal_truncated), cut away, and the
# router goes on with the next sequence number; the journal rotates by
# size; a router on a new ring (after a reboot) refills it from the journal.
. "$(dirname "$0")/lib.sh"

send() { # send N FIRST: N events on one connection, prints the replies
	/usr/bin/python3 - "$1" "$2" <<'PY'
import json, os, socket, sys
n, first = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_UNIX); s.connect(os.environ["HOOKWIRE_RUNDIR"] + "/ingest.sock")
f = s.makefile("rb")
for i in range(first, first + n):
    s.sendall(json.dumps({"id": "%032x" % (0x77000 + i), "ts": "2026-11-28T20:25:03.000001Z",
        "event": "Stop", "session_id": "j", "data": {"i": i, "pad": "y" * 300}}).encode() + b"\n")
    sys.stdout.write(f.readline().decode())
PY
}

export HOOKWIRE_JOURNAL_SEGMENT_SIZE=64k
hw_start_router
send 5 1 >/dev/null
hw_stop "$router_pid"
last=$(ls "$T/state/journal/"*.ndjson | tail -n1)
printf '{"seq":6,"id":"0000000000000000000000000007700' >>"$last"
hw_start_router
check "start-up reports the truncated line" grep -q '"reason":"journal_truncated"' "$T/router.log"
r=$(send 1 6)
check "next event gets seq 6" test "$(printf '%s' "$r" | jq .seq)" -eq 6
check "journal: every line valid JSON" sh -c "jq -c . '$T/state/journal/'*.ndjson >/dev/null"
check "journal: 6 events" test "$(hw_journal | wc -l)" -eq 6

# rotation at journal.segment_size (64k here): ~350 bytes x 400 events
send 400 7 >/dev/null
check "journal rotated into several segments" test "$(ls "$T/state/journal/" | wc -l)" -ge 2
hw_journal | jq .seq >"$T/seqs"
seq 1 406 >"$T/expect"
check "journal: 406 events in order across segments" cmp -s "$T/seqs" "$T/expect"
check "segment names carry their first seq" test -e "$T/state/journal/journal-00000000000000000001.ndjson"

# reboot: the ring is gone; the router refills it from the journal
hw_stop "$router_pid"
rm -f "$HW_RING"
hw_start_router
check "new ring refilled from the journal" test "$("$B/event-tail" | jq .seq | tail -n1)" -eq 406
"$B/event-tail" >"$T/ring"
hw_journal | tail -n "$(wc -l <"$T/ring")" >"$T/jtail"
check "refilled ring holds the journal's tail, byte for byte" cmp -s "$T/ring" "$T/jtail"
r=$(send 1 500)
check "sequence continues after the reboot" test "$(printf '%s' "$r" | jq .seq)" -eq 407
hw_done
