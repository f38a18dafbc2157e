#!/bin/bash
# Retention of the store, oldest first, with the real router:
#   by age (store.keep_days 30): 100 events captured 40 days ago, then 100
#     captured now: the old ones go, with their sessions' counts and their
#     full-text entries; the new ones stay;
#   by size (store.keep_bytes 1M): 1500 events of ~4 KiB: the pages in use
#     stay under 1 MiB, the newest events stay, the oldest go, and the file
#     gives the space back (incremental vacuum, no VACUUM).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storelib.sh"
export HOOKWIRE_STORE_COMMIT_MS=20
DB=$T/state/store/events.db
used_bytes() { sqlite3 "$DB" 'SELECT (SELECT page_count FROM pragma_page_count) - (SELECT freelist_count FROM pragma_freelist_count)' | awk '{print $1 * 4096}'; }

hw_start_router
HOOKWIRE_STORE_KEEP_DAYS=30 hw_start_store
store_feed 1 100 40
store_feed 101 100
check "stored and indexed up to 200" store_wait_indexed 200
wait_oldest() { # N: until the oldest seq stored is N (bounded)
	i=0
	while [ "$(store_stat oldest)" != "$1" ]; do
		i=$((i + 1)); [ $i -lt 600 ] || return 1
		sleep 0.05
	done
}
check "by age: everything older than 30 days went" wait_oldest 101
check "what is left: 101..200" cmp -s <(store_seqs) <(seq 101 200)
check "--stats: kept from 101" test "$(store_stat kept_from)" -eq 101
check "an old command is no longer found" test -z "$("$B/event-query" --search 'rm -rf build')"
check "a new one is" test "$("$B/event-query" --search 'echo 150' | jq .seq)" -eq 150
check "the sessions count what is left" test "$(sqlite3 "$DB" 'SELECT sum(events) FROM sessions')" -eq 100
check "no session starts before the cut" test "$(sqlite3 "$DB" 'SELECT min(first_seq) FROM sessions')" -ge 101
check "the FTS5 index is sound" sqlite3 "$DB" "INSERT INTO events_fts(events_fts) VALUES ('integrity-check')"
check "an old event fed again does not come back" bash -c "'$B/event-query' --until 100 | wc -l | grep -qx 0"

hw_stop "$store_pid"
HOOKWIRE_STORE_KEEP_DAYS=0 HOOKWIRE_STORE_KEEP_BYTES=1M hw_start_store
PAD=4000 store_feed 201 1500
check "by size: the newest stored and indexed" store_wait_indexed 1700 120
sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
used=$(used_bytes)
echo "pages in use: $used bytes; file $(stat -c %s "$DB") bytes; $(store_stat count) events, oldest $(store_stat oldest)"
check "the pages in use are within store.keep_bytes" test "$used" -le 1048576
check "and no more went than the excess (half of it still in use)" test "$used" -ge 524288
check "the oldest went" test "$(store_stat oldest)" -gt 201
check "the newest stayed, dense" cmp -s <(store_seqs) <(seq "$(store_stat oldest)" 1700)
check "the file gave space back: under keep_bytes + the 16 MiB reserve + 1 MiB" test "$(stat -c %s "$DB")" -le $((18 * 1048576))
check "the log never mentions VACUUM" test "$(grep -ci '"vacuum' "$T/store.log")" -eq 0
check "integrity" test "$(sqlite3 "$DB" 'PRAGMA integrity_check')" = ok
check "FTS5 integrity" sqlite3 "$DB" "INSERT INTO events_fts(events_fts) VALUES ('integrity-check')"
check "the sessions count what is left" test "$(sqlite3 "$DB" 'SELECT sum(events) FROM sessions')" -eq "$(store_stat count)"
hw_done
