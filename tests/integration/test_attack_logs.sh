#!/bin/bash
# Logs carry ids, sizes and reason codes, never payloads.  The router and the
# gateway run at --log-level debug, hook-capture with its own log file at
# debug; a stream of events goes through with a unique marker in every
# payload, good and bad: valid hooks, hooks that are not JSON / too deep /
# empty, malformed ingest lines, HTTP requests with the marker in the path,
# the query, the headers and the body, a bad token, Socket.IO events and
# get_history calls carrying it, a WebSocket frame with it in bad UTF-8.
# The marker must appear in no log line (it may and does appear in events).
. "$(dirname "$0")/lib.sh"

M=LOGMARK$RANDOM$RANDOM$$
export HOOKWIRE_CAPTURE_LOG_FILE=$T/capture.log HOOKWIRE_LOG_LEVEL=debug
hw_start_router --log-level debug
hw_start_gateway --log-level debug
# hook-capture: good and bad input
for i in 1 2 3 4 5; do
	printf '{"session_id":"s-%s","hook_event_name":"UserPromptSubmit","prompt":"%s prompt %d password=%s-pw","cwd":"/tmp/%s"}' "$M" "$M" "$i" "$M" "$M" | "$B/hook-capture"
	printf '{"session_id":"s-log","hook_event_name":"PreToolUse","tool_name":"Bash","tool_use_id":"toolu_%s_%d","tool_input":{"command":"echo %s"}}' "$M" "$i" "$M" | "$B/hook-capture"
done
printf 'not json %s' "$M" | "$B/hook-capture"
printf '%s' "$(printf '[%.0s' $(seq 200))\"$M\"" | "$B/hook-capture"
printf '{"hook_event_name":"%s\377\376","x":"%s"}' "$M" "$M" | "$B/hook-capture"
printf '{"hook_event_name":"Stop","session_id":"%s","x":"%s\000"}' "$M" "$M" | "$B/hook-capture"
: | "$B/hook-capture"
# ingest socket: bad lines with the marker
/usr/bin/python3 - "$M" <<'PY'
import os, socket, sys
m = sys.argv[1].encode()
s = socket.socket(socket.AF_UNIX); s.connect(os.environ["HOOKWIRE_RUNDIR"] + "/ingest.sock")
lines = [m + b" not json", b'{"id":"' + m + b'"}', b'{"a":"' + m + b'\xff"}', b'{"a":"' + m + b'\x00"}',
         b'[' * 100 + m, b'{"id":"' + b"a" * 32 + b'","ts":"t","event":"' + m + b'","data":5}',
         b'{"id":"' + b"b" * 32 + b'","ts":"t","event":"E","session_id":"' + m + b'","data":{"k":"' + m + b'"}}',
         b'{"id":"' + b"b" * 32 + b'","ts":"t","event":"E","session_id":"' + m + b'","data":{"k":"' + m + b'"}}']
s.sendall(b"\n".join(lines) + b"\n")
f = s.makefile("rb")
for _ in lines:
    f.readline()
PY
# HTTP with the marker everywhere
for p in "/$M" "/socket.io/?EIO=4&transport=polling&sid=$M" "/api/events?session=$M" "/../$M" "/%2e%2e/$M" "/api/events?since=$M"; do
	curl -s -o /dev/null -H "X-Marker: $M" -H "Authorization: Bearer $M" -H "Origin: http://$M.example" "$HW_URL$p" || true
done
curl -s -o /dev/null -X POST --data "40{\"token\":\"$M\"}" "$HW_URL/socket.io/?EIO=4&transport=polling&sid=$M" || true
curl -s -o /dev/null -H "Cookie: io=$M" -H "User-Agent: $M" "$HW_URL/healthz" || true
# Socket.IO over WebSocket: a bad token, events and calls carrying the marker, bad UTF-8
/usr/bin/python3 - "$M" "$HW_PORT" "$HW_TOKEN" <<'PY'
import base64, os, socket, struct, sys
m, port, tok = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def frame(p, op=1):
    key = os.urandom(4)
    n = len(p)
    head = struct.pack("!BB", 0x80 | op, 0x80 | n) if n < 126 else struct.pack("!BBH", 0x80 | op, 0xFE, n)
    return head + key + bytes(c ^ key[i & 3] for i, c in enumerate(p))
def ws(token):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(("GET /socket.io/?EIO=4&transport=websocket&%s=1 HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
               % (m, base64.b64encode(os.urandom(16)).decode())).encode())
    s.recv(4096)
    s.sendall(frame(('40{"token":"%s","x":"%s"}' % (token, m)).encode()))
    try:
        s.recv(4096)
    except OSError:
        pass
    return s
ws(m).close()
s = ws(tok)
for p in ['42["%s",{"a":"%s"}]' % (m, m), '421["get_history",{"session":"%s","event":"%s"}]' % (m, m),
          '42["subscribe",["%s"]]' % m, '49%s' % m]:
    try:
        s.sendall(frame(p.encode()))
    except OSError:
        s = ws(tok)
s = ws(tok)
s.sendall(frame(b'42["x","' + m.encode() + b'\xff"]'))
try:
    s.recv(4096)
except OSError:
    pass
PY
# everything reached the ring (sanity: the marker IS in the events)
check "the marker is in the events (the payloads went through)" sh -c "'$B/event-tail' | grep -q '$M'"
hw_stop "$gateway_pid"
hw_stop "$router_pid"
ls "$T"/*.log >/dev/null
for f in "$T"/*.log "$T"/*.jsonlog; do
	[ -e "$f" ] || continue
	n=$(grep -c "$M" "$f" || true)
	check "$(basename "$f") ($(wc -l <"$f") lines): no payload marker ($n)" test "$n" -eq 0
	[ "$n" -eq 0 ] || grep "$M" "$f" | head -n 3 | cut -c1-300
done
check "the logs are at debug level (debug lines present)" grep -q '"level":"debug"' "$T/gateway.log" "$T/router.log"
echo "FIGURE logs_lines $(cat "$T"/*.log | wc -l)"
hw_done
