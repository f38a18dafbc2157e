#!/bin/bash
# event-relay and the gateway's Redis source against a Redis that wants a
# password, on database 2: both set their connections up with AUTH and
# SELECT (common/redisconn.c: the relay's asynchronous connection, the
# gateway's start-up load and its follower), and the events go through;
# a wrong password is refused by name.  (The gateway's start-up load used
# to free the AUTH reply twice and abort.)
. "$(dirname "$0")/lib.sh"
command -v redis-server >/dev/null || { echo "redis-server missing (mk/deps.sh)"; exit 1; }

mkdir -p "$T/redis"
STREAM=hw:t$$:auth
PASS=pw-$$-$RANDOM
RPORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=redis://:$PASS@127.0.0.1:$RPORT/2
export HOOKWIRE_GATEWAY_SOURCE_STREAM=$STREAM
rcli() { redis-cli -p "$RPORT" -a "$PASS" --no-auth-warning "$@"; }

redis-server --bind 127.0.0.1 --port "$RPORT" --dir "$T/redis" --save '' --appendonly no \
	--requirepass "$PASS" --daemonize no --logfile "$T/redis.log" &
redis_pid=$!
HW_PIDS="$HW_PIDS $redis_pid"
# Redis has no readiness descriptor: poll PING, bounded
redis_up() { [ "$(rcli ping 2>/dev/null)" = PONG ]; }
hw_until 10 "redis answers PING" redis_up

# feed FROM TO: events FROM..TO to the router, every one acked.
feed() {
	/usr/bin/python3 - "$T/run" "$1" "$2" <<'PY'
import json, socket, sys
rundir, a, b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_UNIX); s.connect(rundir + "/ingest.sock")
f = s.makefile("rb")
for i in range(a, b + 1):
    s.sendall(json.dumps({"id": "%032x" % (0xa0000 + i), "ts": "2026-11-28T21:00:00.000001Z",
                          "event": "PostToolUse", "session_id": "auth", "data": {"i": i}}).encode()
              + b"\n")
    r = json.loads(f.readline())
    if r["status"] != "accepted":
        sys.exit("not accepted: %r" % r)
PY
}

# wait_xlen N: until the stream on db 2 holds N entries (bounded: 20 s),
# and no more.
xlen_ge() { [ "$(rcli -n 2 xlen "$STREAM")" -ge "$1" ]; }
wait_xlen() {
	hw_until 20 "" xlen_ge "$1"
	[ "$(rcli -n 2 xlen "$STREAM")" -eq "$1" ]
}

# api_count: events the gateway's /api/events holds.
api_count() {
	curl -s -H "Authorization: Bearer $HW_TOKEN" "$HW_URL/api/events?since=0" | grep -c '"seq"' || true
}
api_count_is() { [ "$(api_count)" -eq "$1" ]; }

hw_start_router
hw_start relay "$B/event-relay" --redis "$URL" --stream "$STREAM"
check "feed 3" feed 1 3
check "the relay wrote to db 2 after AUTH" wait_xlen 3
check "and nothing to db 0" test "$(rcli -n 0 exists "$STREAM")" -eq 0

# the gateway loads the stream at start (synchronous AUTH + SELECT), then follows it
hw_start_gateway --source "$URL"
check "the gateway loaded 3 entries" grep -q 'source_redis_new: stream .*: 3 entries held' "$T/gateway.log"
check "feed 2 more" feed 4 5
check "the relay wrote them" wait_xlen 5
hw_until 20 "the gateway followed them (asynchronous AUTH + SELECT)" api_count_is 5

# a wrong password: the relay says so, by reason code and Redis's words
mkdir -p "$T/runbad" "$T/statebad"
chmod 700 "$T/runbad" "$T/statebad"
hw_start relay_bad "$B/event-relay" --rundir "$T/runbad" --statedir "$T/statebad" \
	--redis "redis://:wrong@127.0.0.1:$RPORT/2" --stream "$STREAM"
refused_by_name() { grep redis_drop "$T/relay_bad.log" | grep -q 'AUTH refused: WRONGPASS'; }
hw_until 20 "a wrong password is refused by name" refused_by_name
check "and nothing relayed was doubled" wait_xlen 5
hw_done
