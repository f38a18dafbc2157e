#!/bin/bash
# Retention of the store, oldest first, with the real router:
#   by age (store.keep_days 30): 100 events captured 40 days ago, then 100
#     captured now: the old ones go, with their sessions' counts and their
#     full-text entries; the new ones stay;
#   by size (store.keep_bytes 1M): 1500 events of ~4 KiB: the pages in use
#     stay under 1 MiB, the newest events stay, the oldest go with their
#     full-text tables; 1500 more fed while the store is stopped grow the
#     file on catch-up, and incremental vacuum gives it back down to the
#     limit and a reserve of a sixteenth of it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storelib.sh"
export HOOKWIRE_STORE_COMMIT_MS=20
DB=$T/state/store/events.db
# (pages of 16 KiB: event-store(8))
page_size() { sqlite3 "$DB" 'PRAGMA page_size'; }
used_bytes() { sqlite3 "$DB" 'SELECT ((SELECT page_count FROM pragma_page_count) - (SELECT freelist_count FROM pragma_freelist_count)) * (SELECT page_size FROM pragma_page_size)'; }

hw_start_router
HOOKWIRE_STORE_KEEP_DAYS=30 hw_start_store
store_feed 1 100 40
store_feed 101 100
check "stored and indexed up to 200" store_wait_indexed 200
# wait_oldest N: until the oldest seq stored is N (bounded)
oldest_is() { [ "$(store_stat oldest)" = "$1" ]; }
wait_oldest() { hw_until 30 "" oldest_is "$1"; }
check "by age: everything older than 30 days went" wait_oldest 101
check "what is left: 101..200" cmp -s <(store_seqs) <(seq 101 200)
check "--stats: kept from 101" test "$(store_stat kept_from)" -eq 101
check "an old command is no longer found" test -z "$("$B/event-query" --search 'rm -rf build')"
check "a new one is" test "$("$B/event-query" --search 'echo 150' | jq .seq)" -eq 150
check "the sessions count what is left" test "$(sqlite3 "$DB" 'SELECT sum(events) FROM sessions')" -eq 100
check "no session starts before the cut" test "$(sqlite3 "$DB" 'SELECT min(first_seq) FROM sessions')" -ge 101
check "an old event fed again does not come back" bash -c "'$B/event-query' --until 100 | wc -l | grep -qx 0"

# by size (store.keep_bytes 1M): 1500 events of ~4 KiB while the store runs,
# then 1500 more while it is stopped (its catch-up from the journal grows
# the file past 20 MiB before retention takes it back)
hw_stop "$store_pid"
export HOOKWIRE_STORE_KEEP_DAYS=0 HOOKWIRE_STORE_KEEP_BYTES=1M
HOOKWIRE_LOG_LEVEL=debug hw_start_store
PAD=4000 store_feed 201 1500
check "the newest stored and indexed" store_wait_indexed 1700 120
sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
used=$(used_bytes)
echo "pages in use: $used bytes; file $(stat -c %s "$DB") bytes; $(store_stat count) events, oldest $(store_stat oldest); $(sqlite3 "$DB" 'SELECT count(*) FROM fts_parts') full-text tables"
check "the pages in use are within store.keep_bytes" test "$used" -le 1048576
check "no more went than the excess and a full-text table: half still in use" test "$used" -ge 524288
check "the oldest went" test "$(store_stat oldest)" -gt 201
check "the newest stayed, dense" cmp -s <(store_seqs) <(seq "$(store_stat oldest)" 1700)
check "integrity" test "$(sqlite3 "$DB" 'PRAGMA integrity_check')" = ok
check "the full-text tables above the cut are sound" store_fts_ok "$DB" "$(store_stat oldest)"
# the follower merges each full table's segments when idle (the newest fills)
merged_upto() { test "$(sqlite3 "$DB" "SELECT value FROM meta WHERE key = 'merged_part'")" = \
	"$(sqlite3 "$DB" 'SELECT max(part) - 1 FROM fts_parts')"; }
check "every full full-text table is merged (meta merged_part)" hw_until 30 "" merged_upto
check "the tables below the cut were dropped" test "$(sqlite3 "$DB" "SELECT count(*) FROM fts_parts WHERE last_seq < $(store_stat oldest)")" -eq 0
check "the sessions count what is left" test "$(sqlite3 "$DB" 'SELECT sum(events) FROM sessions')" -eq "$(store_stat count)"
check "a search finds a kept event" test "$("$B/event-query" --search "out1700 " | jq .seq)" -eq 1700
check "and not a removed one" test -z "$("$B/event-query" --search "out500 ")"

hw_stop "$store_pid"
PAD=4000 store_feed 1701 1500
HOOKWIRE_LOG_LEVEL=debug hw_start_store
check "the catch-up stored and indexed" store_wait_indexed 3200 120
given=$(sed -n 's/.*; \([0-9]*\) pages given back.*/\1/p' "$T/store.log" | awk '{ s += $1 } END { print s + 0 }')
echo "pages given back: $given of $(page_size) bytes"
check "the file grew and gave more than 16 MiB back (incremental vacuum)" test $((given * $(page_size))) -gt $((16 << 20))
shrunk() {
	sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null 2>&1
	[ "$(used_bytes)" -le 1048576 ] && [ "$(stat -c %s "$DB")" -le $((2 * 1048576)) ]
}
# (go on when it did not: the sizes below tell how far it got)
hw_until 30 "the file is back under 2 MiB: 1 MiB in use, a reserve of 64 KiB, the rest given back" shrunk || true
echo "pages in use: $(used_bytes) bytes; file $(stat -c %s "$DB") bytes"
check "the limit holds" test "$(used_bytes)" -le 1048576
check "the newest stayed, dense" cmp -s <(store_seqs) <(seq "$(store_stat oldest)" 3200)
hw_done
