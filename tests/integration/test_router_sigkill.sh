#!/bin/bash
# event-router killed with SIGKILL in the middle of a stream: after a
# restart nothing is lost and nothing is published twice.
#   part 1: one producer pipelines 3000 events on a socket; the router is
#           killed after ~1000 acks; the producer reconnects to the new
#           router and sends all 3000 again: acked ones come back
#           "duplicate" with the same seq, the others are accepted.
#   part 2: real hook-capture processes fire in a loop while the router is
#           killed and restarted; whatever could not be acked was spooled
#           and is drained.
. "$(dirname "$0")/lib.sh"

K=3000
hw_start_router
cat >"$T/stream.py" <<'PY'
import json, os, signal, socket, sys
phase, K, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
path = os.environ["HOOKWIRE_RUNDIR"] + "/ingest.sock"
state = os.environ["STATE"]
def ev(i):
    return json.dumps({"id": "%032x" % (0xabc000000 + i), "ts": "2026-11-28T20:25:03.000001Z",
                       "event": "PostToolUse", "session_id": "kill", "tool": "Bash",
                       "data": {"i": i, "pad": "x" * 200}}).encode() + b"\n"
s = socket.socket(socket.AF_UNIX); s.connect(path)
f = s.makefile("rb")
acked = {}
if phase == "2":
    acked = json.load(open(state))
got = {}
sent = 0; done = 0; killed = False; fails = 0
try:
    while done < K:
        while sent < K and sent - done < 200:
            s.sendall(ev(sent)); sent += 1
        line = f.readline()
        if not line:
            break
        r = json.loads(line)
        i = int(r["id"], 16) - 0xabc000000
        got[str(i)] = r["seq"]
        if phase == "2":
            if str(i) in acked and (r["status"], r["seq"]) != ("duplicate", acked[str(i)]):
                print("FAIL: event %d acked as seq %d before, now %r" % (i, acked[str(i)], r)); fails += 1
            if r["status"] not in ("accepted", "duplicate"):
                print("FAIL: event %d: %r" % (i, r)); fails += 1
        done += 1
        if phase == "1" and done == 1000 and not killed:
            os.kill(pid, signal.SIGKILL); killed = True
except (ConnectionResetError, BrokenPipeError):
    pass
if phase == "1":
    json.dump(got, open(state, "w"))
    print("phase 1: %d acked before the router died" % len(got))
    sys.exit(0 if 1000 <= len(got) < K else 1)
print("phase 2: %d answered" % len(got))
sys.exit(1 if fails or len(got) != K else 0)
PY
export STATE=$T/acked.json
old=$router_pid
check "phase 1: stream, SIGKILL mid-stream" /usr/bin/python3 "$T/stream.py" 1 "$K" "$router_pid"
wait "$old" 2>/dev/null || true
hw_start_router
check "phase 2: every event again to the restarted router" /usr/bin/python3 "$T/stream.py" 2 "$K" 0
hw_journal >"$T/j"
check "journal: $K events" test "$(wc -l <"$T/j")" -eq "$K"
check "journal: each once" test "$(jq -r .data.i "$T/j" | sort -u | wc -l)" -eq "$K"
seq 1 "$K" >"$T/expect"
check "journal: seq 1..$K dense, in order" sh -c "jq .seq '$T/j' | cmp -s - '$T/expect'"
"$B/event-tail" >"$T/ring"
check "ring: the same $K events in order" cmp -s "$T/j" "$T/ring"

# part 2: real hook-capture processes while the router dies
L=150
(
	for i in $(seq 1 "$L"); do
		printf '{"session_id":"s-kill","cwd":"/tmp","hook_event_name":"PreToolUse","tool_name":"Bash","tool_use_id":"toolu_k%d","tool_input":{"command":"echo kill %d"}}' "$i" "$i" |
			"$B/hook-capture"
	done
) &
loop=$!
loop_journalled() { [ "$(hw_journal | grep -c 'echo kill')" -ge "$1" ]; }
hw_until 15 "hook-capture loop: 30 events in the journal before the kill" loop_journalled 30
kill -KILL "$router_pid"
wait "$router_pid" 2>/dev/null || true
hw_start_router
wait "$loop"
hw_until 10 "hook-capture loop: spool drained" hw_spool_empty
check "hook-capture loop: $L events, each once" test "$(hw_journal | jq -r 'select(.session_id == "s-kill") | .data.tool_input.command' | sort | uniq | wc -l)" -eq "$L"
check "hook-capture loop: no duplicates" test "$(hw_journal | grep -c 'echo kill')" -eq "$L"
hw_journal | jq .seq >"$T/all.seq"
seq 1 "$(wc -l <"$T/all.seq")" >"$T/expect2"
check "seq stays dense across both kills" cmp -s "$T/all.seq" "$T/expect2"
hw_done
