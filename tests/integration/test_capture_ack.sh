#!/bin/bash
# hook-capture against a stand-in for the router's ingest socket that
# answers as told: accepted or duplicate (nothing spooled), rejected
# (logged, nothing spooled), silence, a garbage reply or a closed
# connection (spooled after at most capture.ack_timeout_ms).  The real
# router is tested in test_capture_router.sh.
. "$(dirname "$0")/lib.sh"

H=$B/hook-capture
LOG=$T/capture.log

cat >"$T/fake_router.py" <<'EOF'
import os, socket, sys
path, mode, record = sys.argv[1], sys.argv[2], sys.argv[3]
fd = int(sys.argv[sys.argv.index("--readiness-fd") + 1])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(64)
os.write(fd, b"\n")
os.close(fd)
seq = 0
while True:
    c, _ = s.accept()
    buf = b""
    while not buf.endswith(b"\n"):
        d = c.recv(1 << 20)
        if not d:
            break
        buf += d
    with open(record, "ab") as f:
        f.write(buf)
    seq += 1
    if mode == "accept":
        c.sendall(b'{"status":"accepted","seq":%d,"id":"x"}\n' % seq)
    elif mode == "duplicate":
        c.sendall(b'{"status":"duplicate","seq":1,"id":"x"}\n')
    elif mode == "reject":
        c.sendall(b'{"status":"rejected","reason":"event_too_large"}\n')
    elif mode == "garbage":
        c.sendall(b'HTTP/1.0 400 Bad Request\r\n\r\n')
    elif mode == "close":
        pass
    elif mode == "silent":
        keep = c  # never answer; keep the connection open
        continue
    c.close()
EOF

# with MODE: starts the stand-in in MODE (stopping the previous one).
with() {
	[ -z "${fake_pid:-}" ] || hw_stop "$fake_pid"
	rm -f "$T/run/ingest.sock" "$T/received"
	hw_start fake python3 "$T/fake_router.py" "$T/run/ingest.sock" "$1" "$T/received"
	fake_pid=$HW_PID
}

# capture FIXTURE: runs hook-capture; sets ELAPSED (ms); checks exit 0, silence.
capture() {
	local t0 rc=0
	t0=$(date +%s%3N)
	"$H" --log-file "$LOG" <"$1" >"$T/out" 2>&1 || rc=$?
	ELAPSED=$(($(date +%s%3N) - t0))
	[ "$rc" -eq 0 ] || fail "exit $rc"
	[ ! -s "$T/out" ] || fail "output: $(head -c 200 "$T/out")"
}
received() { [ -f "$T/received" ] && jq -e "$1" "$T/received" >/dev/null 2>&1; }

with accept
capture "$FIX/pretooluse_bash.json"
check "accepted: the router got one line" test "$(wc -l <"$T/received")" -eq 1
check "accepted: a canonical event" received '.event == "PreToolUse" and (.id | length) == 32 and .meta.capture_us > 0'
check "accepted: nothing spooled" test "$(hw_spool_count)" -eq 0
capture "$FIX/posttooluse_read_large.json"
check "accepted: a large event arrives whole" received '.event == "PostToolUse" and .meta.truncated > 0'
check "accepted: still nothing spooled" test "$(hw_spool_count)" -eq 0

with duplicate
capture "$FIX/sessionstart.json"
check "duplicate: nothing spooled" test "$(hw_spool_count)" -eq 0

with reject
capture "$FIX/sessionstart.json"
check "rejected: nothing spooled" test "$(hw_spool_count)" -eq 0
check "rejected: logged with its reason" grep -q '"reason":"event_too_large"' "$LOG"

with garbage
capture "$FIX/sessionstart.json"
check "garbage reply: spooled" test "$(hw_spool_count)" -eq 1

with close
capture "$FIX/sessionstart.json"
check "closed without reply: spooled" test "$(hw_spool_count)" -eq 2

with silent
capture "$FIX/sessionstart.json"
echo "FIGURE silent router, ack_timeout_ms 250: exit after $ELAPSED ms"
check "silent router: spooled" test "$(hw_spool_count)" -eq 3
check "silent router: gave up in time ($ELAPSED ms)" test "$ELAPSED" -lt 2000
HOOKWIRE_CAPTURE_ACK_TIMEOUT_MS=1000 capture "$FIX/sessionstart.json"
check "ack_timeout_ms 1000: waited for it ($ELAPSED ms)" test "$ELAPSED" -ge 950
check "ack_timeout_ms 1000: spooled" test "$(hw_spool_count)" -eq 4
same_id() { [ "$(tail -n1 "$T/received" | jq -r .id)" = "$(jq -r .id "$T/state/spool/new/$(ls -t "$T/state/spool/new" | head -n1)")" ]; }
check "the spooled copy is the event the router saw" same_id

# A socket file with nobody listening.
hw_stop "$fake_pid"
fake_pid=""
capture "$FIX/sessionstart.json"
check "stale socket: spooled" test "$(hw_spool_count)" -eq 5
check "stale socket: at once ($ELAPSED ms)" test "$ELAPSED" -lt 1000
check "logged: unreachable" grep -q '"reason":"unreachable"' "$LOG"
check "log carries no payload" sh -c "! grep -q 'claude-sonnet' '$LOG'"
hw_done
