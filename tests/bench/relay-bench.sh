#!/bin/bash
# relay-bench.sh: events/s through event-relay into Redis (event-relay(8)).
#
#   relay-bench.sh [-n EVENTS] [-s SIZE] [-b BATCH] [-a] BINDIR
#
# Starts a private redis-server (loopback, a free port, no snapshots; -a:
# AOF with appendfsync everysec), an event-router and, with the relay
# stopped, fills the ring with EVENTS events of about SIZE bytes through
# ingest-bench (from BINDIR, built by make bench-tools).  Then it starts
# event-relay and times it from readiness until the stream holds every
# event: the catch-up rate, which is the relay's and Redis's throughput
# (the ring is already full, so the router does not count).  A second run
# measures the live rate: events are fed while the relay runs, timed from
# the first write until the last event is in Redis.  Prints a FIGURE line
# per run, then one JSON object as the last line (bench.py's run_json());
# every process it started is stopped by pid.
set -eu
N=50000 SIZE=1024 BATCH=256 AOF=0
while getopts n:s:b:a o; do
	case $o in
	n) N=$OPTARG ;; s) SIZE=$OPTARG ;; b) BATCH=$OPTARG ;; a) AOF=1 ;;
	*) echo "usage: relay-bench.sh [-n events] [-s size] [-b batch] [-a] bindir" >&2; exit 100 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: relay-bench.sh [-n events] [-s size] [-b batch] [-a] bindir" >&2; exit 100; }
B=$(cd "$1" && pwd)
for b in event-router event-relay ingest-bench; do
	[ -x "$B/$b" ] || { echo "relay-bench: $B/$b missing (make bins bench-tools)" >&2; exit 1; }
done
command -v redis-server >/dev/null || { echo "relay-bench: redis-server missing" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/relay-bench.XXXXXX")
I=rb$$
export HOOKWIRE_INSTANCE=$I HOOKWIRE_RUNDIR=$T/run HOOKWIRE_STATEDIR=$T/state
export HOOKWIRE_RING_SIZE=256M HOOKWIRE_JOURNAL_FSYNC=never HOOKWIRE_RELAY_BATCH=$BATCH
export HOOKWIRE_RELAY_MAXLEN=0
mkdir -p "$T/run" "$T/state" "$T/redis"
chmod 700 "$T/run" "$T/state"
PIDS=""
cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	rm -f "/dev/shm/hookwire-$(id -u)-$I"
	rm -rf "$T"
}
trap cleanup EXIT

# start NAME CMD...: CMD with a readiness fifo on fd 3 (at most 60 s).
start() {
	name=$1; shift
	mkfifo "$T/$name.ready"
	"$@" --readiness-fd 3 3>"$T/$name.ready" 2>>"$T/$name.log" &
	pid=$!
	PIDS="$PIDS $pid"
	timeout 60 head -n1 "$T/$name.ready" >/dev/null || { tail "$T/$name.log" >&2; exit 1; }
	rm -f "$T/$name.ready"
}

RPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
if [ "$AOF" = 1 ]; then persist="--appendonly yes --appendfsync everysec"; else persist="--appendonly no"; fi
redis-server --bind 127.0.0.1 --port "$RPORT" --dir "$T/redis" --save '' $persist \
	--daemonize no --logfile "$T/redis.log" &
PIDS="$PIDS $!"
i=0
until [ "$(redis-cli -p "$RPORT" ping 2>/dev/null)" = PONG ]; do # no readiness fd: bounded poll
	i=$((i + 1)); [ $i -lt 200 ] || { echo "relay-bench: redis did not start" >&2; exit 1; }
	sleep 0.05
done
rcli() { redis-cli -p "$RPORT" "$@"; }

start router "$B/event-router"
now() { date +%s.%N; }
# wait_len KEY N: until KEY holds N entries (bounded: 600 s)
wait_len() {
	i=0
	while [ "$(rcli xlen "$1")" -lt "$2" ]; do
		i=$((i + 1)); [ $i -lt 60000 ] || { echo "relay-bench: timed out" >&2; exit 1; }
		sleep 0.01
	done
}

# run 1: catch-up
"$B/ingest-bench" -n "$N" -s "$SIZE" "$T/run/ingest.sock" >"$T/fill.json"
t0=$(now)
start relay "$B/event-relay" --redis "redis://127.0.0.1:$RPORT" --stream bench:catchup
relay_pid=$pid
wait_len bench:catchup "$N"
t1=$(now)
catchup=$(python3 -c "print($N / ($t1 - $t0))")
kill -TERM "$relay_pid"; wait "$relay_pid" 2>/dev/null || true
mem=$(rcli info memory | sed -n 's/^used_memory_human:\(.*\)\r$/\1/p')

# run 2: live, the relay following the router
start relay2 "$B/event-relay" --redis "redis://127.0.0.1:$RPORT" --stream bench:live
t0=$(now)
"$B/ingest-bench" -n "$N" -s "$SIZE" "$T/run/ingest.sock" >"$T/live.json"
wait_len bench:live "$N"
t1=$(now)
live=$(python3 -c "print($N / ($t1 - $t0))")

printf 'FIGURE relay catch-up (ring -> Redis): %.0f events/s (%d events of %d bytes, batch %d, aof %d)\n' \
	"$catchup" "$N" "$SIZE" "$BATCH" "$AOF"
printf 'FIGURE relay live (ingest -> router -> relay -> Redis): %.0f events/s\n' "$live"
printf '{"bench":"relay","events":%d,"size":%d,"batch":%d,"aof":%d,"catchup_eps":%.0f,"live_eps":%.0f,"redis_memory":"%s"}\n' \
	"$N" "$SIZE" "$BATCH" "$AOF" "$catchup" "$live" "$mem"
