#!/bin/bash
# A damaged or missing store is rebuilt from the journal, and the log says so:
#   - garbage written over the whole database file (its WAL left beside it):
#     at start-up the file is moved aside to events.db.bad-<time>, with its
#     WAL, a new store is built from the journal, every event is back;
#   - garbage over the header only: the same;
#   - the database removed after a SIGKILL, its WAL left with frames: a new
#     store (the old WAL is not read into it), every event back;
#   - event-store --rebuild: refused while the daemon runs (the pidfile),
#     done when it is stopped: the old store moved to events.db.old-<time>,
#     every event back and searchable, exit 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storelib.sh"
export HOOKWIRE_STORE_COMMIT_MS=50
S=$T/state/store
DB=$S/events.db

hw_start_router
hw_start_store
store_feed 1 200
check "200 events stored" store_wait_indexed 200
store_seqs >"$T/before"

# garbage over the whole file
hw_stop "$store_pid"
size=$(stat -c %s "$DB")
head -c "$size" /dev/urandom >"$DB"
check "the WAL is still there" test -e "$DB-wal"
: >"$T/store.log"
hw_start_store
check "a new store, rebuilt from the journal" store_wait_indexed 200
check "the log says the store was bad and moved aside" grep -q '"reason":"store_bad"' "$T/store.log"
check "and that it is rebuilding from the journal" grep -q 'moved aside to .*events.db.bad-.*rebuilding from the journal' "$T/store.log"
check "the damaged file is kept" test "$(ls "$S" | grep -c '^events\.db\.bad-[0-9TZ]*$')" -eq 1
check "with its WAL" test "$(ls "$S" | grep -c '^events\.db\.bad-[0-9TZ]*-wal$')" -eq 1
store_seqs >"$T/after"
check "every event is back" cmp -s "$T/before" "$T/after"
check "and searchable" test "$("$B/event-query" --search 'rm -rf build' | jq .seq)" -eq 7
store_feed 201 50
check "and the store follows the ring again" store_wait_indexed 250

# garbage over the header only
hw_stop "$store_pid"
printf 'this is not an SQLite header, not at all' | dd of="$DB" bs=1 seek=0 conv=notrunc 2>/dev/null
: >"$T/store.log"
hw_start_store
check "a damaged header: rebuilt" store_wait_indexed 250
check "and logged" grep -q '"reason":"store_bad"' "$T/store.log"
check "two damaged files kept now, neither overwritten" test "$(ls "$S" | grep -c '^events\.db\.bad-[0-9TZ.]*$')" -eq 2

# the database removed, its WAL left behind with frames not yet
# checkpointed (the store was killed)
store_feed 251 10
check "250..260 stored" store_wait_indexed 260
hw_stop "$store_pid" KILL
check "the WAL of the store holds frames" test -s "$DB-wal"
rm -f "$DB"
: >"$T/store.log"
hw_start_store
check "a missing store: built anew from the journal" store_wait_indexed 260
check "the log says it is new" grep -q 'new store' "$T/store.log"
check "every event once" cmp -s <(store_seqs) <(seq 1 260)
check "and sound" test "$(sqlite3 "$DB" 'PRAGMA integrity_check')" = ok

# --rebuild
rc=0; "$B/event-store" --rebuild 2>"$T/rebuild.err" || rc=$?
check "--rebuild while the daemon runs: refused" test "$rc" -ne 0
cat "$T/rebuild.err"
check "naming the running daemon" grep -q "$store_pid" "$T/rebuild.err"
check "the running store is untouched" test "$(store_stat newest)" -eq 260
hw_stop "$store_pid"
rc=0; "$B/event-store" --rebuild --log-file "$T/rebuild.log" || rc=$?
check "--rebuild with the daemon stopped: exit 0" test "$rc" -eq 0
check "the old store was moved aside" test "$(ls "$S" | grep -c '^events\.db\.old-[0-9TZ]*$')" -eq 1
check "every event back" cmp -s <(store_seqs) <(seq 1 260)
check "all of it searchable" test "$(store_stat indexed)" -eq 260
check "the log counts the journal's events" grep -q '260 events from the journal' "$T/rebuild.log"
hw_done
