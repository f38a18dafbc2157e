#!/bin/bash
# store-bench.sh: event-store beside the router (event-store(8)).
#
#   store-bench.sh [-n EVENTS] [-r RATE] [-q DB] [-Q] BINDIR
#
# Starts a private router (default ring of 64 MiB, journal fsync "batch")
# and measures, with ingest-bench's 1 KiB events (a command, a description
# and about 800 bytes of tool output each: all of it goes to the full-text
# index):
#   1. router alone, a burst of EVENTS (4 connections, 256 in flight):
#      the router's events/s and CPU-seconds per million (the journal-only
#      figures);
#   2. the same with event-store following the ring: the router's figures
#      again, then the store's: how long after the burst it held the last
#      event and had indexed it, its CPU-seconds for storing and for
#      indexing and for merging the full-text tables it filled, lapped
#      ranges (0 when it kept up); every later phase begins with the store
#      settled (stored, indexed, merged);
#   3. paced at RATE events/s (default 20000), without and then with the
#      store: the router's ack p99, the store's CPU share and its lag when
#      the last event was acknowledged;
#      then the control: the same paced run beside cpu-burn, a process
#      that takes the store's share of a core in the store's rhythm (woken
#      every 2 ms) and does nothing else: the router's p99 there is what
#      that CPU alone costs it on this machine;
#   4. catch-up: EVENTS fed while the store is stopped, then the time and
#      CPU to import them from the journal;
#   5. idle: the store's CPU over 5 s with nothing happening;
#   6. the gateway: its delivery p99 to 1000 Socket.IO clients (sio-load)
#      fed 200 events/s, with the store stopped, following the ring, and
#      importing EVENTS from the journal meanwhile (at full speed, nice 10);
#   7. query latencies through the read API (store-query-bench) on DB (-q,
#      e.g. the 10M-event store built once with store-gen), else on the
#      store of this run; -Q skips them.
# CPU-seconds come from /proc/<pid>/stat (utime + stime).  Prints FIGURE
# lines, then one JSON object as the last line; every process it started
# is stopped by pid, its directory removed.
set -eu
N=200000 RATE=20000 QDB= NOQ=0
usage() { echo "usage: store-bench.sh [-n events] [-r rate] [-q db] [-Q] bindir" >&2; exit 100; }
while getopts n:r:q:Q o; do
	case $o in
	n) N=$OPTARG ;; r) RATE=$OPTARG ;; q) QDB=$OPTARG ;; Q) NOQ=1 ;; *) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
B=$(cd "$1" && pwd)
for b in event-router event-store event-query ws-gateway ingest-bench sio-load store-query-bench cpu-burn; do
	[ -x "$B/$b" ] || { echo "store-bench: $B/$b missing (make bins bench-tools)" >&2; exit 1; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/store-bench.XXXXXX")
I=sb$$
export HOOKWIRE_INSTANCE=$I HOOKWIRE_RUNDIR=$T/run HOOKWIRE_STATEDIR=$T/state
# room for every event of the run: retention is not what is measured here
export HOOKWIRE_STORE_KEEP_BYTES=16G
mkdir -p "$T/run" "$T/state"
chmod 700 "$T/run" "$T/state"
PIDS=""
cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	rm -f "/dev/shm/hookwire-$(id -u)-$I"
	rm -rf "$T"
}
trap cleanup EXIT
CLK=$(getconf CLK_TCK)

# start NAME CMD...: CMD with a readiness fifo on fd 3 (at most 60 s); sets pid.
start() {
	name=$1; shift
	rm -f "$T/$name.ready"; mkfifo "$T/$name.ready"
	"$@" --readiness-fd 3 3>"$T/$name.ready" 2>>"$T/$name.log" &
	pid=$!
	PIDS="$PIDS $pid"
	timeout 60 head -n1 "$T/$name.ready" >/dev/null || { tail "$T/$name.log" >&2; exit 1; }
}
stop() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
cpu() { awk -v clk="$CLK" '{ sub(/.*\) /, ""); split($0, f, " "); printf "%.3f\n", (f[12] + f[13]) / clk }' "/proc/$1/stat"; }
now() { date +%s.%N; }
calc() { python3 -c "print($1)"; }
stat_of() { "$B/event-query" --stats | python3 -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }
# wait_store KEY SEQ: until --stats KEY reaches SEQ (bounded: 20 min); prints the time
wait_store() {
	i=0
	until [ "$(stat_of "$1" 2>/dev/null || echo 0)" -ge "$2" ]; do
		i=$((i + 1)); [ $i -lt 120000 ] || { echo "store-bench: timed out waiting for $1 $2" >&2; exit 1; }
		sleep 0.01
	done
	now
}
ib() { "$B/ingest-bench" "$@" "$T/run/ingest.sock"; }
# wait_merged: until every full full-text table is merged (event-store(8)),
# the store's last idle work (bounded: 20 min); prints the time
merged() {
	sqlite3 -readonly "$T/state/store/events.db" "SELECT (SELECT coalesce(max(value), 0) FROM meta
		WHERE key = 'merged_part') >= (SELECT coalesce(max(part), 1) - 1 FROM fts_parts)" 2>/dev/null
}
wait_merged() {
	i=0
	until [ "$(merged)" = 1 ]; do
		i=$((i + 1)); [ $i -lt 24000 ] || { echo "store-bench: timed out waiting for the merge" >&2; exit 1; }
		sleep 0.05
	done
	now
}
# settled SEQ: stored, indexed and merged up to SEQ: nothing left to do
settled() { wait_store indexed "$1" >/dev/null; wait_merged >/dev/null; }
js() { python3 -c "import json, sys; d = json.load(open('$1')); print($2)"; }

start router "$B/event-router"
router=$pid

# 1. router alone
ib -c 4 -w 256 -n $((N / 10)) >/dev/null # warm-up
c0=$(cpu "$router")
ib -c 4 -w 256 -n "$N" >"$T/alone.json"
c1=$(cpu "$router")
alone_eps=$(js "$T/alone.json" "d['events_per_s']")
alone_cpu=$(calc "($c1 - $c0) * 1e6 / $N")
printf 'FIGURE router alone: %.0f events/s, %.2f CPU-s per million (1 KiB, burst)\n' "$alone_eps" "$alone_cpu"

# 2. router and store, the same burst
start store "$B/event-store"
store=$pid
base=$(stat_of newest)
base=$(( base > 0 ? base : 0 ))
head=$("$B/event-tail" -n 1 | python3 -c "import json, sys; print(json.loads(sys.stdin.read() or '{\"seq\":0}')['seq'])")
settled "$head"
r0=$(cpu "$router") s0=$(cpu "$store")
t0=$(now)
ib -c 4 -w 256 -n "$N" >"$T/with.json"
t1=$(now)
r1=$(cpu "$router") s1=$(cpu "$store")
last=$((head + N))
ts=$(wait_store newest "$last")
s2=$(cpu "$store")
ti=$(wait_store indexed "$last")
s3=$(cpu "$store")
tm=$(wait_merged)
s4=$(cpu "$store")
with_eps=$(js "$T/with.json" "d['events_per_s']")
with_cpu=$(calc "($r1 - $r0) * 1e6 / $N")
store_lag=$(calc "$ts - $t1")
store_rate=$(calc "$N / ($ts - $t0)")
store_cpu=$(calc "($s2 - $s0) * 1e6 / $N")
index_lag=$(calc "$ti - $t1")
index_cpu=$(calc "($s3 - $s2) * 1e6 / $N")
lapped=$(grep -c '"reason":"lapped"' "$T/store.log" || true)
printf 'FIGURE router with the store: %.0f events/s, %.2f CPU-s per million (%.0f%% of alone)\n' "$with_eps" "$with_cpu" "$(calc "100 * $with_eps / $alone_eps")"
printf 'FIGURE store: every event stored %.2f s after the burst ended (%.0f events/s over the burst), %.2f CPU-s per million stored\n' "$store_lag" "$store_rate" "$store_cpu"
printf 'FIGURE store: full-text index caught up %.2f s after the burst, %.2f CPU-s per million indexed; lapped ranges: %s\n' "$index_lag" "$index_cpu" "$lapped"
merge_cpu=$(calc "($s4 - $s3) * 1e6 / $N")
printf 'FIGURE store: full tables merged %.2f s after the burst, %.2f CPU-s per million\n' "$(calc "$tm - $t1")" "$merge_cpu"

# 3. paced, without then with the store
stop "$store"
ib -c 4 -n "$N" -r "$RATE" >"$T/paced_alone.json"
start store "$B/event-store"
store=$pid
head=$((last + N))
settled "$head"
s0=$(cpu "$store") r0=$(cpu "$router")
t0=$(now)
ib -c 4 -n "$N" -r "$RATE" >"$T/paced_with.json"
t1=$(now)
s1=$(cpu "$store") r1=$(cpu "$router")
lag_at_end=$(( head + N - $(stat_of newest) ))
ts=$(wait_store newest $((head + N)))
paced_eps=$(js "$T/paced_with.json" "d['events_per_s']")
p99_alone=$(js "$T/paced_alone.json" "d['rtt_us']['p99']")
p99_with=$(js "$T/paced_with.json" "d['rtt_us']['p99']")
paced_store_pct=$(calc "100 * ($s1 - $s0) / ($t1 - $t0)")
paced_router_pct=$(calc "100 * ($r1 - $r0) / ($t1 - $t0)")
paced_lapped=$(( $(grep -c '"reason":"lapped"' "$T/store.log" || true) - lapped ))
printf 'FIGURE paced %s events/s (%.0f achieved): router ack p99 %s us alone, %s us with the store; store %.0f%% of a core, router %.0f%%\n' "$RATE" "$paced_eps" "$p99_alone" "$p99_with" "$paced_store_pct" "$paced_router_pct"
printf 'FIGURE paced: the store was %s events behind when the last was acknowledged, held it %.3f s later; lapped ranges: %s\n' "$lag_at_end" "$(calc "$ts - $t1")" "$paced_lapped"
last=$((head + N))
settled "$last"

# 3b. the control: the store's share of a core, in its rhythm, no I/O
stop "$store"
share=$(calc "min(0.9, max(0.0, ($s1 - $s0) / ($t1 - $t0)))")
busy_us=$(calc "int(2000 * $share / (1 - $share))")
"$B/cpu-burn" 2000 "$busy_us" &
burn=$!
PIDS="$PIDS $burn"
b0=$(cpu "$burn") t0=$(now)
ib -c 4 -n "$N" -r "$RATE" >"$T/paced_burn.json"
t1=$(now) b1=$(cpu "$burn")
stop "$burn"
p99_burn=$(js "$T/paced_burn.json" "d['rtt_us']['p99']")
burn_pct=$(calc "100 * ($b1 - $b0) / ($t1 - $t0)")
printf 'FIGURE paced control: router ack p99 %s us beside cpu-burn taking %.0f%% of a core (2 ms asleep, %s us spinning), no I/O\n' "$p99_burn" "$burn_pct" "$busy_us"
start store "$B/event-store"
store=$pid
last=$((last + N))
settled "$last"

# 4. catch-up from the journal
stop "$store"
ib -c 4 -w 256 -n "$N" >/dev/null
t0=$(now)
start store "$B/event-store"
store=$pid
ts=$(wait_store newest $((last + N)))
s1=$(cpu "$store")
catchup_rate=$(calc "$N / ($ts - $t0)")
printf 'FIGURE catch-up from the journal: %.0f events/s, %.2f CPU-s per million (stored; the index follows)\n' "$catchup_rate" "$(calc "$s1 * 1e6 / $N")"
last=$((last + N))
settled "$last"

# 5. idle
s0=$(cpu "$store")
sleep 5
s1=$(cpu "$store")
idle=$(calc "$s1 - $s0")
printf 'FIGURE idle: %.3f CPU-s in 5 s\n' "$idle"
db_bytes=$(stat -c %s "$T/state/store/events.db")
printf 'FIGURE store file: %s bytes for %s events (%.0f bytes an event)\n' "$db_bytes" "$last" "$(calc "$db_bytes / $last")"

# 6. the gateway beside the store: sio-load's FAN_CLIENTS clients fed
# FAN_RATE events/s by the router (bench.py's 1000x200/s scenario), with
# the store stopped, following, and importing N events from the journal
start gateway "$B/ws-gateway" --listen 127.0.0.1:0
gw=$pid
port=$(cat "$T/run/gateway.port")
token=$(cat "$T/state/token")
FAN_CLIENTS=1000 FAN_RATE=200 FAN_EVENTS=1200
# fan NAME: one fan-out; the gateway's p99 (us) in $T/fan-NAME.json
fan() {
	rm -f "$T/fan.ready"; mkfifo "$T/fan.ready"
	"$B/sio-load" --url "http://127.0.0.1:$port" --clients $FAN_CLIENTS --token "$token" \
		--expect $FAN_EVENTS --duration 60 --connect-rate 2000 --readiness-fd 3 \
		3>"$T/fan.ready" >"$T/fan-$1.json" 2>>"$T/sio-load.log" &
	fan_pid=$!
	timeout 120 head -n1 "$T/fan.ready" >/dev/null || { tail "$T/sio-load.log" >&2; exit 1; }
}
fan_feed() {
	ib -c 1 -r $FAN_RATE -n $FAN_EVENTS >/dev/null
	wait "$fan_pid"
	last=$((last + FAN_EVENTS))
}
fan_p99() { js "$T/fan-$1.json" "d['latency_us']['p99']"; }
fan_ok() { js "$T/fan-$1.json" "d['events'] == $FAN_CLIENTS * $FAN_EVENTS"; }
stop "$store"
fan alone
fan_feed
fan following
start store "$B/event-store"
store=$pid
settled "$last"
fan_feed
stop "$store"
ib -c 4 -w 256 -n "$N" >/dev/null
last=$((last + N))
fan importing
start store "$B/event-store"
store=$pid
fan_feed
busy=$(( last - $(stat_of newest) ))
settled "$last"
printf 'FIGURE gateway, %s clients x %s events/s: p99 %s us with the store stopped, %s us with it following, %s us while it imported %s events from the journal (%s events still to store when the fan-out ended); every event delivered: %s/%s/%s\n' \
	$FAN_CLIENTS $FAN_RATE "$(fan_p99 alone)" "$(fan_p99 following)" "$(fan_p99 importing)" "$N" "$busy" \
	"$(fan_ok alone)" "$(fan_ok following)" "$(fan_ok importing)"
stop "$gw"

# 7. queries
queries=null
if [ "$NOQ" = 0 ]; then
	qdb=${QDB:-$T/state/store/events.db}
	"$B/store-query-bench" "$qdb" >"$T/queries.json"
	queries=$(cat "$T/queries.json")
	printf 'FIGURE queries on %s events: worst filtered median %s ms (bar 50), worst full-text median %s ms (bar 200)\n' \
		"$(js "$T/queries.json" "d['events']")" "$(js "$T/queries.json" "d['worst_filtered_median_ms']")" \
		"$(js "$T/queries.json" "d['worst_fulltext_median_ms']")"
fi

printf '{"bench":"store","events":%d,"rate":%s,"router_alone_eps":%.0f,"router_alone_cpu_s_per_million":%.3f,' \
	"$N" "$RATE" "$alone_eps" "$alone_cpu"
printf '"router_with_store_eps":%.0f,"router_with_store_cpu_s_per_million":%.3f,' "$with_eps" "$with_cpu"
printf '"store_lag_after_burst_s":%.3f,"store_eps_over_burst":%.0f,"store_cpu_s_per_million":%.3f,' "$store_lag" "$store_rate" "$store_cpu"
printf '"index_lag_after_burst_s":%.3f,"index_cpu_s_per_million":%.3f,"lapped_burst":%s,' "$index_lag" "$index_cpu" "$lapped"
printf '"merge_cpu_s_per_million":%.3f,' "$merge_cpu"
printf '"paced_eps":%.0f,"router_p99_us_alone":%s,"router_p99_us_with_store":%s,"paced_store_core_pct":%.1f,' "$paced_eps" "$p99_alone" "$p99_with" "$paced_store_pct"
printf '"paced_router_core_pct":%.1f,"paced_lag_events":%s,"paced_lapped":%s,' "$paced_router_pct" "$lag_at_end" "$paced_lapped"
printf '"router_p99_us_beside_cpu_burn":%s,"cpu_burn_core_pct":%.1f,' "$p99_burn" "$burn_pct"
printf '"gateway_p99_us_store_stopped":%s,"gateway_p99_us_store_following":%s,"gateway_p99_us_store_importing":%s,' \
	"$(fan_p99 alone)" "$(fan_p99 following)" "$(fan_p99 importing)"
printf '"catchup_eps":%.0f,"idle_cpu_s_5s":%.3f,"db_bytes":%s,"db_events":%s,"queries":%s}\n' \
	"$catchup_rate" "$idle" "$db_bytes" "$last" "$queries"
