#!/bin/bash
# event-store overrun by the ring (64 KiB ring, the store stopped with
# SIGSTOP while ~500 KB of events go through):
#   1. the journal has the range the ring overwrote: the store logs it
#      ("lapped"), takes it from the journal, and holds every seq once,
#      with no gap row;
#   2. the journal lost part of that range too (its segments removed, as
#      retention would): exactly those seqs become gap rows, event-query
#      --gaps shows them, and the store holds every other seq once;
#   3. the journal lost altogether while the store was stopped: it resumes
#      from the ring at exactly the seq after its newest.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storelib.sh"
export HOOKWIRE_RING_SIZE=64k HOOKWIRE_JOURNAL_SEGMENT_SIZE=64k HOOKWIRE_STORE_COMMIT_MS=50
export PAD=200

hw_start_router
hw_start_store
store_feed 1 20
check "the store follows the ring" store_wait_indexed 20

# 1. lapped, the journal has it all
kill -STOP "$store_pid"
store_feed 21 1000
first=$("$B/event-tail" | head -n1 | jq .seq)
kill -CONT "$store_pid"
check "the ring overran the store (oldest held $first)" test "$first" -gt 21
check "the store catches up to 1020" store_wait_indexed 1020
lapped_logged() { grep "seq $1\.\.$2 before the store read them" "$T/store.log" | grep -q '"reason":"lapped"'; }
check "it logged the lapped range 21..$((first - 1))" lapped_logged 21 $((first - 1))
store_seqs >"$T/s1"
check "every seq 1..1020 once, in order" cmp -s "$T/s1" <(seq 1 1020)
check "no gap rows" test -z "$("$B/event-query" --gaps)"

# 2. lapped, and the journal lost part of it
kill -STOP "$store_pid"
store_feed 1021 1000
first=$("$B/event-tail" | head -n1 | jq .seq)
check "the ring overran the store again (oldest held $first)" test "$first" -gt 1021
# remove the segments that lie wholly in 1021..first-1, but the first such one
ls "$T/state/journal" | sed -n 's/^journal-0*\([0-9]*\)\.ndjson$/\1/p' | sort -n >"$T/segs"
: >"$T/removed"
prev=""
while read -r s; do
	if [ -n "$prev" ] && [ "$prev" -ge 1021 ] && [ $((s - 1)) -le $((first - 1)) ] && [ -n "${kept_one:-}" ]; then
		rm "$T/state/journal/$(printf 'journal-%020d.ndjson' "$prev")"
		echo "$prev $((s - 1))" >>"$T/removed"
	elif [ -n "$prev" ] && [ "$prev" -ge 1021 ]; then
		kept_one=1
	fi
	prev=$s
done <"$T/segs"
check "journal segments removed inside the lost range" test -s "$T/removed"
cat "$T/removed"
kill -CONT "$store_pid"
check "the store catches up to 2020" store_wait_indexed 2020
check "it logged the lapped range 1021..$((first - 1))" lapped_logged 1021 $((first - 1))
"$B/event-query" --gaps | jq -r '"\(.from) \(.to)"' >"$T/gaps"
# adjacent removed segments make one gap row
awk 'NR == 1 { a = $1; b = $2; next } $1 == b + 1 { b = $2; next } { print a, b; a = $1; b = $2 } END { if (NR) print a, b }' "$T/removed" >"$T/want_gaps"
check "the gap rows are exactly the seqs neither the ring nor the journal had" cmp -s "$T/gaps" "$T/want_gaps"
check "with the reason" test "$("$B/event-query" --gaps | jq -r .reason | sort -u)" = lapped
check "the store logged them as a gap" grep -q '"reason":"gap"' "$T/store.log"
store_seqs >"$T/s2"
{ seq 1 2020; while read -r a b; do seq "$a" "$b"; done <"$T/want_gaps"; } | sort -n | uniq -u >"$T/want"
check "every other seq once, in order" cmp -s "$T/s2" "$T/want"
check "--stats counts them" test "$("$B/event-query" --stats | jq .count)" -eq "$(wc -l <"$T/want")"

# 3. the journal lost, the ring holds the events: the store resumes from the
# ring at exactly the seq after its newest
hw_stop "$store_pid"
export PAD=0
store_feed 2021 30
rm -f "$T/state/journal"/journal-*.ndjson
hw_start_store
check "the store takes 2021..2050 from the ring" store_wait_indexed 2050
store_seqs | tail -n 31 >"$T/s3"
check "every one of them once, none skipped" cmp -s "$T/s3" <(seq 2020 2050)
hw_done
