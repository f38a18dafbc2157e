#!/bin/bash
# event-relay and a ring that overran it: with a 64 KiB ring, events pile up
# while (1) the relay is stopped (SIGSTOP) and (2) Redis is down.  Each time
# the relay logs the exact range of sequence numbers that left the ring
# before it could relay them (reason "lost"), relays everything after it,
# and the stream holds no gap other than the one logged.
. "$(dirname "$0")/lib.sh"
hw_need_cmds redis-server redis-cli jq
export HOOKWIRE_RING_SIZE=64k HOOKWIRE_RELAY_RECONNECT_MAX_MS=200
STREAM=hw:t$$:lapped
RPORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
rcli() { redis-cli -p "$RPORT" "$@"; }
mkdir -p "$T/redis"
redis_up() { [ "$(rcli ping 2>/dev/null)" = PONG ]; }
redis_start() {
	redis-server --bind 127.0.0.1 --port "$RPORT" --dir "$T/redis" --save '' \
		--appendonly yes --appendfsync always --daemonize no --logfile "$T/redis.log" &
	redis_pid=$!
	HW_PIDS="$HW_PIDS $redis_pid"
	# no readiness descriptor: poll PING, bounded
	hw_until 10 "redis answers PING" redis_up
}
feed() {
	/usr/bin/python3 - "$T/run/ingest.sock" "$1" "$2" <<'PY'
import json, socket, sys
path, a, b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_UNIX); s.connect(path); f = s.makefile("rb")
for i in range(a, b + 1):
    s.sendall(json.dumps({"id": "%032x" % (0xfeed0000 + i), "ts": "2026-11-28T21:00:00.000001Z",
                          "event": "Note", "session_id": "lapped", "data": {"i": i, "pad": "p" * 300}}).encode() + b"\n")
    r = json.loads(f.readline())
    if r["status"] != "accepted": sys.exit("not accepted: %r" % r)
PY
}
# seqs: the origin seqs in the stream, in order
seqs() { rcli --raw xrange "$STREAM" - + | awk 'p == "seq" { print } { p = $0 }'; }
# wait_last SEQ: until the newest entry in the stream is SEQ (bounded: 30 s)
last_is() { [ "$(seqs | tail -n1)" = "$1" ]; }
wait_last() { hw_until 30 "" last_is "$1"; }
# lost FROM TO: the relay logged exactly that range
lost() { grep '"reason":"lost"' "$T/relay.log" | grep -q "seq $1\.\.$2 left the ring"; }

redis_start
hw_start_router
hw_start relay "$B/event-relay" --redis "redis://127.0.0.1:$RPORT" --stream "$STREAM"
feed 1 10
check "10 events relayed" wait_last 10

# 1. relay stopped while the ring laps it
kill -STOP "$relay_pid"
feed 11 1000
first=$("$B/event-tail" | head -n1 | jq .seq)
kill -CONT "$relay_pid"
check "after SIGCONT: relayed up to 1000" wait_last 1000
check "ring overran the relay (oldest held $first)" test "$first" -gt 11
check "relay logged the lost range 11..$((first - 1))" lost 11 $((first - 1))
seqs >"$T/s1"
{ seq 1 10; seq "$first" 1000; } >"$T/e1"
check "stream: 1..10 then $first..1000, nothing else" cmp -s "$T/s1" "$T/e1"

# 2. Redis down while the ring laps the relay
kill -TERM "$redis_pid"; wait "$redis_pid" 2>/dev/null || true
feed 1001 2000
first=$("$B/event-tail" | head -n1 | jq .seq)
redis_start
check "after the outage: relayed up to 2000" wait_last 2000
check "relay logged the lost range 1001..$((first - 1))" lost 1001 $((first - 1))
seqs >"$T/s2"
{ seq 1 10; seq "$(sed -n 11p "$T/e1")" 1000; seq "$first" 2000; } >"$T/e2"
check "stream: no gap but the logged ones, no duplicate" cmp -s "$T/s2" "$T/e2"
hw_done
