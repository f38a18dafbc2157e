# storelib.sh: helpers for the event-store integration tests (test_store_*).
# Source it after lib.sh.

# hw_start_store [ARGS]: event-store with a readiness fd; sets store_pid.
hw_start_store() { hw_start store "$B/event-store" "$@"; }

# store_feed FIRST N [DAYS_AGO]: N events (ids FIRST..FIRST+N-1, unique per
# test) on the ingest socket, all acknowledged "accepted".  Event i: session
# sess-(i%3), project /home/dev/proj-(i%2), tool Bash/Read/Edit by i%3,
# PreToolUse or PostToolUse by i%2 (every 10th a PostToolUseFailure),
# command "echo i"; event 7 (when fed) runs "rm -rf build/ dist/", event 8
# reads /home/dev/proj-0/src/auth.ts.  Event i is captured i milliseconds
# after STORE_T0 (ten minutes before the test began), less DAYS_AGO days:
# the capture times grow with i across feeds.  PAD (env) adds that many
# bytes of tool output; RATE (env) paces the events at about that many a
# second.
STORE_T0=$(($(date +%s) - 600))
export STORE_T0
store_feed() {
	/usr/bin/python3 - "$1" "$2" "${3:-0}" <<'PY'
import json, os, socket, sys, time
first, n, days = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
pad = int(os.environ.get("PAD", "0"))
rate = float(os.environ.get("RATE", "0"))
t0 = time.monotonic()
base = int(os.environ["STORE_T0"]) - days * 86400
def ts(i):
    t = base + i / 1000.0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int((t % 1) * 1e6)
def ev(i):
    tool = ["Bash", "Read", "Edit"][i % 3]
    event = "PostToolUseFailure" if i % 10 == 0 else ("PreToolUse" if i % 2 else "PostToolUse")
    project = "/home/dev/proj-%d" % (i % 2)
    cmd = "rm -rf build/ dist/" if i == 7 else "echo %d" % i
    files = ["/home/dev/proj-0/src/auth.ts"] if i == 8 else []
    data = {"hook_event_name": event, "tool_name": tool, "tool_input": {"command": cmd}}
    if pad:
        data["tool_response"] = {"stdout": ("out%d " % i) * (pad // 8)}
    return json.dumps({"id": "%032x" % (0x5700000000 + i), "ts": ts(i), "event": event,
                       "session_id": "sess-%d" % (i % 3), "tool": tool,
                       "tool_use_id": "toolu_%d" % (i // 2), "cwd": project,
                       "project": project, "files": files, "data": data}).encode() + b"\n"
s = socket.socket(socket.AF_UNIX)
s.connect(os.environ["HOOKWIRE_RUNDIR"] + "/ingest.sock")
f = s.makefile("rb")
sent = done = 0
while done < n:
    while sent < n and sent - done < 256:
        if rate and sent > rate * (time.monotonic() - t0):
            break
        s.sendall(ev(first + sent)); sent += 1
    if sent == done:
        time.sleep(0.005)
        continue
    r = json.loads(f.readline())
    if r["status"] != "accepted":
        sys.exit("not accepted: %r" % r)
    done += 1
PY
}

# store_stat KEY: a number from event-query --stats (empty when no store).
store_stat() { "$B/event-query" --stats 2>/dev/null | jq -r ".$1" 2>/dev/null; }

# store_indexed N: the store holds seq N and the full-text index has reached it.
store_indexed() { [ "$(store_stat indexed)" = "$1" ] && [ "$(store_stat newest)" = "$1" ]; }
# store_wait_indexed N [SECONDS]: until store_indexed N (bounded poll,
# default 60 s).
store_wait_indexed() { hw_until "${2:-60}" "" store_indexed "$1"; }

# store_seqs: every seq in the store, oldest first, one a line.
store_seqs() {
	last=0
	while :; do
		"$B/event-query" --since "$last" --limit 10000 | jq .seq >"$T/.page"
		[ -s "$T/.page" ] || break
		cat "$T/.page"
		last=$(tail -n1 "$T/.page")
	done
}

# store_fts_ok DB [FROM]: FTS5's integrity-check on each full-text table
# (fts_parts) whose seqs start at FROM or later (default 0: all).  The
# table retention cut into keeps the entries of the events it removed
# until it is dropped whole, which the check would report.
# Fails when there is no such table (a check of nothing is no check).
store_fts_ok() {
	n=0
	for p in $(sqlite3 "$1" "SELECT part FROM fts_parts WHERE first_seq >= ${2:-0}"); do
		sqlite3 "$1" "INSERT INTO events_fts_$p(events_fts_$p) VALUES ('integrity-check')" || return 1
		n=$((n + 1))
	done
	echo "$n full-text tables checked"
	[ "$n" -gt 0 ]
}
