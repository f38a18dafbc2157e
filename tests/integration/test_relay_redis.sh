#!/bin/bash
# event-relay: two pipelines ("hosts" A and B: two instances) feed one Redis
# stream through their relays; then the relay of A is killed with SIGKILL
# mid-stream, and Redis itself is killed mid-stream and restarted (AOF,
# appendfsync always, in the test's directory).  After each, every origin's
# seqs in the stream are dense, in order and each there once, and each
# entry's event is the ring's event byte for byte.
. "$(dirname "$0")/lib.sh"
hw_need_cmds redis-server redis-cli

export HOOKWIRE_RING_SIZE=4M HOOKWIRE_RELAY_RECONNECT_MAX_MS=300
IA=$HW_I IB=${HW_I}b
mkdir -p "$T/runB" "$T/stateB" "$T/redis"
chmod 700 "$T/runB" "$T/stateB"
B_ARGS="-i $IB --rundir $T/runB --statedir $T/stateB"
trap 'hw_cleanup; rm -rf "/dev/shm/hookwire-$(id -u)-$IB" "/tmp/hookwire-$(id -u)-$IB.wake"' EXIT
STREAM=hw:t$$:events

# a free loopback port for Redis (bound by the kernel, then released)
RPORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=redis://127.0.0.1:$RPORT
rcli() { redis-cli -p "$RPORT" --no-auth-warning "$@"; }

# Redis has no readiness descriptor: poll PING, bounded.
redis_up() { [ "$(rcli ping 2>/dev/null)" = PONG ]; }
redis_start() {
	redis-server --bind 127.0.0.1 --port "$RPORT" --dir "$T/redis" --save '' \
		--appendonly yes --appendfsync always --daemonize no \
		--logfile "$T/redis.log" &
	redis_pid=$!
	HW_PIDS="$HW_PIDS $redis_pid"
	hw_until 10 "redis answers PING" redis_up || { tail "$T/redis.log"; return 1; }
}

# feed RUNDIR TAG FROM TO: events FROM..TO to that router, every one acked.
feed() {
	/usr/bin/python3 - "$@" <<'PY'
import json, socket, sys
rundir, tag, a, b = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_UNIX); s.connect(rundir + "/ingest.sock")
f = s.makefile("rb")
def ev(i):
    return json.dumps({"id": "%s%031x" % (tag, i), "ts": "2026-11-28T21:00:00.000001Z",
                       "event": "PostToolUse", "session_id": "relay-" + tag, "tool": "Bash",
                       "data": {"i": i, "pad": "r" * 150}}).encode() + b"\n"
sent = done = 0
n = b - a + 1
while done < n:
    while sent < n and sent - done < 100:
        s.sendall(ev(a + sent)); sent += 1
    r = json.loads(f.readline())
    if r["status"] != "accepted":
        sys.exit("not accepted: %r" % r)
    done += 1
PY
}

xlen() { rcli xlen "$STREAM"; }
xlen_ge() { [ "$(xlen)" -ge "$1" ]; }
# wait_xlen N: until the stream holds N entries (bounded: 60 s), and no more.
wait_xlen() {
	hw_until 60 "" xlen_ge "$1"
	[ "$(xlen)" -eq "$1" ]
}

# dump: host<TAB>seq<TAB>event, in stream order, to $T/dump
dump() {
	/usr/bin/python3 - "$RPORT" "$STREAM" >"$T/dump" <<'PY'
import subprocess, sys
port, key = sys.argv[1], sys.argv[2]
out = subprocess.run(["redis-cli", "-p", port, "--no-raw", "xrange", key, "-", "+"],
                     capture_output=True, text=True).stdout
# --json would be nicer; parse with a second call per entry is slow: use RESP via python
import socket
s = socket.create_connection(("127.0.0.1", int(port)))
s.sendall(b"*4\r\n$6\r\nXRANGE\r\n$%d\r\n%s\r\n$1\r\n-\r\n$1\r\n+\r\n" % (len(key), key.encode()))
f = s.makefile("rb")
def rd():
    line = f.readline().rstrip(b"\r\n")
    t, v = line[:1], line[1:]
    if t == b"*":
        return [rd() for _ in range(int(v))]
    if t == b"$":
        n = int(v)
        if n < 0: return None
        d = f.read(n + 2)[:-2]
        return d
    if t == b":": return int(v)
    if t == b"-": raise SystemExit(v.decode())
    return v
for eid, fields in rd():
    d = dict(zip(fields[0::2], fields[1::2]))
    sys.stdout.write("%s\t%s\t%s\t%s\n" % (eid.decode(), d[b"host"].decode(), d[b"seq"].decode(), d[b"event"].decode()))
PY
}

# verify HOST RINGDUMP N: HOST's entries are seq 1..N in order, once each,
# and their events equal the ring's, byte for byte.
verify() {
	awk -F'\t' -v h="$1" '$2 == h { print $3 }' "$T/dump" >"$T/seqs"
	seq 1 "$3" >"$T/expect"
	check "$1: seq 1..$3 in stream order, each once" cmp -s "$T/seqs" "$T/expect"
	awk -F'\t' -v h="$1" '$2 == h { print $4 }' "$T/dump" >"$T/events"
	check "$1: events equal the ring's" cmp -s "$T/events" "$2"
}

redis_start
hw_start_router
router_a=$router_pid
hw_start router_b "$B/event-router" $B_ARGS
hw_start relay_a "$B/event-relay" --redis "$URL" --stream "$STREAM"
hw_start relay_b "$B/event-relay" $B_ARGS --redis "$URL" --stream "$STREAM"
HA=$(hostname)/$IA HB=$(hostname)/$IB

# 1. two hosts into one stream, concurrently
feed "$T/run" a 1 500 & fa=$!
feed "$T/runB" b 1 500 & fb=$!
check "feed A" wait $fa
check "feed B" wait $fb
check "stream: 1000 entries" wait_xlen 1000
dump
"$B/event-tail" >"$T/ringA"
"$B/event-tail" $B_ARGS >"$T/ringB"
verify "$HA" "$T/ringA" 500
verify "$HB" "$T/ringB" 500
check "ids strictly increase" sh -c "cut -f1 '$T/dump' | sort -t- -k1,1n -k2,2n -c"
check "relayed position kept in <stream>:relayed" test "$(rcli hget "$STREAM:relayed" "$HA")" = 500

# 2. SIGKILL the relay of A mid-stream, restart it: nothing lost, nothing
#    doubled.  The relay is stopped while 2500 events pile up in the ring,
#    then let go with small batches and killed as soon as the stream grows.
hw_stop "$relay_a_pid"
HOOKWIRE_RELAY_BATCH=5 hw_start relay_a "$B/event-relay" --redis "$URL" --stream "$STREAM"
kill -STOP "$relay_a_pid"
check "feed A (relay stopped)" feed "$T/run" a 501 3000
kill -CONT "$relay_a_pid"
HW_POLL=0 hw_until 10 "relay A is writing the backlog" xlen_ge 1001
kill -KILL "$relay_a_pid"; wait "$relay_a_pid" 2>/dev/null || true
before=$(xlen)
echo "relay A killed with $before entries in the stream"
check "relay A was killed mid-stream" test "$before" -gt 1000 -a "$before" -lt 3500
hw_start relay_a "$B/event-relay" --redis "$URL" --stream "$STREAM"
check "stream: 3500 entries after the restart" wait_xlen 3500
dump
"$B/event-tail" >"$T/ringA"
verify "$HA" "$T/ringA" 3000

# 3. Redis killed with SIGKILL mid-stream and restarted (AOF): both relays
#    buffer in the ring, report the lag, reconnect and resume
feed "$T/runB" b 501 2500 & fb=$!
HW_POLL=0.02 hw_until 12 "relay B is mid-stream (4000 entries)" xlen_ge 4000
kill -KILL "$redis_pid"; wait "$redis_pid" 2>/dev/null || true
check "feed B (Redis down)" wait $fb
feed "$T/run" a 3001 3200
redis_start
check "stream: 5700 entries after the Redis restart" wait_xlen 5700
dump
"$B/event-tail" >"$T/ringA"
"$B/event-tail" $B_ARGS >"$T/ringB"
verify "$HA" "$T/ringA" 3200
verify "$HB" "$T/ringB" 2500
check "relay logged the outage with its lag" sh -c "grep redis_lost '$T/relay_b.log' | grep -q 'events behind'"
check "relay logged the resume" grep -q 'resuming after seq' "$T/relay_a.log"
check "lag hash written" test -n "$(rcli hget "$STREAM:lag" "$HB")"

# 4. clean stop: SIGTERM, exit 0, pidfile gone, no sanitizer report
kill -TERM "$relay_b_pid"; rc=0; wait "$relay_b_pid" || rc=$?
check "SIGTERM: exit 0" test $rc -eq 0
check "SIGTERM: pidfile removed" test ! -e "$T/runB/event-relay.pid"
kill -TERM "$relay_a_pid"; rc=0; wait "$relay_a_pid" || rc=$?
check "SIGTERM (relay A): exit 0" test $rc -eq 0
check "no sanitizer report" sh -c "! grep -l 'Sanitizer\|runtime error:' '$T'/relay_*.log"
hw_done
