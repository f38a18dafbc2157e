#!/bin/bash
# The disk under the journal and the spool fills up: the router answers every
# line (rejected with a reason, never a hang), logs a clear error, keeps the
# journal and the ring consistent (no half line, no event in the ring that is
# not in the journal, no sequence number burnt), hook-capture still exits 0;
# when space returns, events are accepted again and the sequence goes on.
# The state directory is a small tmpfs (we are root in the test box); where
# mount(2) is not allowed, a file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored)
# on the router stands in for it.
. "$(dirname "$0")/lib.sh"

mnt=""
if mount -t tmpfs -o size=1m,mode=0700 hw-test "$T/state" 2>/dev/null; then
	mnt=$T/state
	trap 'hw_cleanup; umount "$mnt" 2>/dev/null || umount -l "$mnt"' EXIT
	echo "state directory on a 1 MiB tmpfs"
else
	echo "mount not permitted: using RLIMIT_FSIZE on the router"
fi
export HOOKWIRE_JOURNAL_SEGMENT_SIZE=64k HOOKWIRE_JOURNAL_FSYNC=always
if [ -z "$mnt" ]; then
	# the journal file may not grow past 100 KiB (write(2) fails with EFBIG)
	export HOOKWIRE_JOURNAL_SEGMENT_SIZE=1m
	hw_start_router() { hw_start router bash -c "trap '' XFSZ; ulimit -f ${FSZ:-100}; exec \"\$0\" \"\$@\"" "$B/event-router" "$@"; }
fi
send() { # send N FIRST: N 1 KiB events; prints "i status reason seq" per event ("closed": no ack, reconnected)
	timeout 60 /usr/bin/python3 - "$1" "$2" <<'PY'
import json, os, socket, sys
n, first = int(sys.argv[1]), int(sys.argv[2])
def connect():
    s = socket.socket(socket.AF_UNIX); s.settimeout(20)
    s.connect(os.environ["HOOKWIRE_RUNDIR"] + "/ingest.sock")
    return s, s.makefile("rb")
s, f = connect()
for i in range(first, first + n):
    try:
        s.sendall(json.dumps({"id": "%032x" % (0xd15c000 + i), "ts": "2026-11-28T20:25:03.000001Z",
            "event": "Stop", "session_id": "disk", "data": {"i": i, "pad": "z" * 1000}}).encode() + b"\n")
        line = f.readline()
    except OSError:
        line = b""
    if not line:
        # no ack: like a producer, count it unanswered and reconnect
        print(i, "closed - -")
        s.close(); s, f = connect()
        continue
    r = json.loads(line)
    print(i, r.get("status"), r.get("reason", "-"), r.get("seq", "-"))
PY
}
hook() { printf '{"session_id":"disk-hook","hook_event_name":"Stop","tool_use_id":"toolu_disk_%s"}' "$1" | "$B/hook-capture"; }

hw_start_router
send 50 1 >"$T/r1"
check "50 events accepted while there is room" test "$(grep -c ' accepted ' "$T/r1")" -eq 50
# fill the disk
if [ -n "$mnt" ]; then
	dd if=/dev/zero of="$mnt/filler" bs=4k 2>/dev/null || true
	echo "filled: $(df -k "$mnt" | awk 'NR==2 {print $4}') KiB left"
fi
send 60 100 >"$T/r2"
rej=$(grep -c ' rejected ' "$T/r2" || true)
acc=$(grep -c ' accepted ' "$T/r2" || true)
cls=$(grep -c ' closed ' "$T/r2" || true)
echo "disk full: $acc accepted, $rej rejected, $cls unacknowledged (connection closed)"
check "disk full: every event either answered or refused by a close (never a hang)" test "$(wc -l <"$T/r2")" -eq 60
check "disk full: events refused (rejected or not acknowledged)" test $((rej + cls)) -gt 0
check "disk full: a rejection carries a reason" sh -c "! grep -q ' rejected - ' '$T/r2'"
check "router still running" kill -0 "$router_pid"
check "router logged the write error with a reason code" grep -q '"reason":"journal_error"' "$T/router.log"
grep -iE 'no space|journal' "$T/router.log" | tail -n 2
rc=0; for i in 1 2 3; do hook "full$i" || rc=$?; done
check "hook-capture exits 0 with the disk full" test "$rc" -eq 0
# space returns
if [ -n "$mnt" ]; then rm -f "$mnt/filler"; else hw_stop "$router_pid"; FSZ=unlimited hw_start_router; fi
send 30 200 >"$T/r3"
check "space back: events accepted again" test "$(grep -c ' accepted ' "$T/r3")" -eq 30
# the producer retries all 60 of the disk-full phase: acked ones are duplicates
# with the same seq, the others are accepted now
send 60 100 >"$T/r4"
check "retry: every event answered accepted or duplicate" test "$(grep -cE ' (accepted|duplicate) ' "$T/r4")" -eq 60
join <(awk '$2=="accepted" {print $1, $4}' "$T/r2" | sort) <(sort "$T/r4") >"$T/both"
check "retry: events acked while full come back duplicate, same seq" sh -c "awk '\$3!=\"duplicate\" || \$2!=\$5 {bad=1} END {exit bad}' '$T/both'"
for i in 1 2 3; do hook "back$i"; done
# whatever hook-capture spooled (if anything) drains with the next start
hw_stop "$router_pid"
hw_start_router
hw_until 10 "the spool drained" hw_spool_empty
hw_journal >"$T/j"
check "journal: every line valid JSON" sh -c "jq -c . '$T/j' >/dev/null"
check "journal: no partial last line" sh -c "for f in '$T/state/journal/'*.ndjson; do [ ! -s \"\$f\" ] || [ \"\$(tail -c1 \"\$f\" | od -An -c | tr -d ' ')\" = '\\n' ]; done"
seq 1 "$(wc -l <"$T/j")" >"$T/expect"
check "journal: seq dense 1..$(wc -l <"$T/j") (no seq burnt by a failed write)" sh -c "jq .seq '$T/j' | cmp -s - '$T/expect'"
check "journal: each id once" test "$(jq -r .id "$T/j" | sort -u | wc -l)" -eq "$(wc -l <"$T/j")"
"$B/event-tail" >"$T/ring"
check "ring: exactly the journal's events" cmp -s "$T/j" "$T/ring"
check "accepted replies = journal lines from the socket" test "$(cat "$T/r1" "$T/r2" "$T/r3" "$T/r4" | grep -c ' accepted ')" -eq "$(jq -r 'select(.session_id=="disk")' "$T/j" | jq -s length)"
check "every socket event of the test in the journal once (140)" test "$(jq -r 'select(.session_id=="disk") | .data.i' "$T/j" | sort -u | wc -l)" -eq 140
check "the 3 hooks after recovery are in the journal" test "$(grep -c 'toolu_disk_back' "$T/j")" -eq 3
echo "FIGURE diskfull_rejected $rej"
echo "FIGURE diskfull_unacked_closed $cls"
echo "FIGURE diskfull_accepted_while_full $acc"
echo "FIGURE diskfull_hooks_saved $(grep -c 'toolu_disk_full' "$T/j" || true)"
hw_done
