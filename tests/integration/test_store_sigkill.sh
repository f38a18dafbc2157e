#!/bin/bash
# event-store killed with SIGKILL in the middle of a stream, three times:
# while it follows the ring with batches open, while it catches up from the
# journal after a restart, and while the full-text index is behind.  After
# each restart every seq the router accepted is in the store exactly once,
# with no gap row, the full-text index finds each event exactly once, and
# the database passes SQLite's and FTS5's integrity checks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storelib.sh"
export HOOKWIRE_STORE_COMMIT_MS=20 HOOKWIRE_STORE_BATCH=64 PAD=100
DB=$T/state/store/events.db

# wait_stored N: until the store holds at least seq N (bounded)
stored_ge() { hw_n=$(store_stat newest); [ -n "$hw_n" ] && [ "$hw_n" -ge "$1" ]; }
wait_stored() { hw_until 30 "" stored_ge "$1"; }
# complete N: every seq 1..N once, no gap, each indexed once
complete() {
	store_wait_indexed "$1" || { echo "not caught up: $("$B/event-query" --stats)"; return 1; }
	store_seqs >"$T/seqs"
	cmp -s "$T/seqs" <(seq 1 "$1") || { echo "seqs differ"; diff <(seq 1 "$1") "$T/seqs" | head; return 1; }
	test -z "$("$B/event-query" --gaps)" || { echo "gap rows"; return 1; }
	# "out<seq> " is in each event's tool output only
	for s in 1 $(($1 / 2)) "$1"; do
		test "$("$B/event-query" --search "out$s " | jq -c .seq)" = "$s" || { echo "search out$s"; return 1; }
	done
}

hw_start_router
hw_start_store
# 1. while following: a paced feeder runs, the store is killed mid-stream
RATE=2000 store_feed 1 3000 &
feeder=$!
check "the store is mid-stream" wait_stored 800
hw_stop "$store_pid" KILL
check "killed before the end of the stream" test "$(store_stat newest)" -lt 3000
wait "$feeder"
hw_start_store
check "after the restart: 1..3000 once, no gap, each indexed once" complete 3000
check "the restart took the rest from the journal" grep -q "events from the journal" "$T/store.log"

# 2. while catching up from the journal
hw_stop "$store_pid"
store_feed 3001 20000
hw_start_store
check "the store is catching up" wait_stored 5000
hw_stop "$store_pid" KILL
check "killed before it caught up" test "$(store_stat newest)" -lt 23000
hw_start_store
check "killed while catching up: 1..23000 once" complete 23000

# 3. while the full-text index is behind what is stored
hw_stop "$store_pid"
store_feed 23001 20000
hw_start_store
# index_behind: stored well into the new events, indexed less than stored
index_behind() {
	"$B/event-query" --stats | jq -e '.newest > 28000 and .indexed < .newest' >/dev/null
}
HW_POLL=0.005 hw_until 10 "the index fell behind what is stored" index_behind
hw_stop "$store_pid" KILL
"$B/event-query" --stats
check "killed while the index was behind" test "$(store_stat indexed)" -lt "$(store_stat newest)"
hw_start_store
check "killed while indexing: 1..43000 once" complete 43000
hw_stop "$store_pid"
check "PRAGMA integrity_check" test "$(sqlite3 "$DB" 'PRAGMA integrity_check')" = ok
check "FTS5 integrity-check" store_fts_ok "$DB"
check "the sessions add up" test "$(sqlite3 "$DB" 'SELECT sum(events) FROM sessions')" -eq 43000
hw_done
