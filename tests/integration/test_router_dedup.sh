#!/bin/bash
# event-router dedup: the same hook JSON delivered twice within the window
# (Claude Code running one hook twice) is published once; a retry of an
# acknowledged id is answered "duplicate" with the earlier seq.
. "$(dirname "$0")/lib.sh"

hw_start_router
f=$FIX/pretooluse_bash.json
hw_capture "$f"
check "first delivery: accepted as seq 1 ($(hw_capture_answer))" test "$(hw_capture_answer)" = "accepted 1"
check "first delivery: in the journal, the hook's event" hw_journal_last_is "$f"
hw_capture "$f"
check "second delivery (same hook JSON): duplicate of seq 1 ($(hw_capture_answer))" test "$(hw_capture_answer)" = "duplicate 1"
hw_capture "$f"
check "third delivery (same hook JSON): duplicate of seq 1 ($(hw_capture_answer))" test "$(hw_capture_answer)" = "duplicate 1"
check "nothing spooled" test "$(hw_spool_count)" -eq 0
check "published once (journal)" test "$(hw_journal | wc -l)" -eq 1
check "published once (ring)" test "$("$B/event-tail" | wc -l)" -eq 1
check "the ring's one event is the first delivery" sh -c "'$B/event-tail' | jq -e '.seq == 1' >/dev/null"
# other content is not a duplicate
hw_capture "$FIX/sessionstart.json"
check "other content: accepted as seq 2 ($(hw_capture_answer))" test "$(hw_capture_answer)" = "accepted 2"
check "other content published" test "$(hw_journal | wc -l)" -eq 2
check "other content: the journal's last event is it" hw_journal_last_is "$FIX/sessionstart.json"

# retry after a lost ack: the same id again
line=$(hw_journal | head -n1 | jq -c 'del(.seq) | .data.changed = true')
id=$(printf '%s' "$line" | jq -r .id)
reply=$(printf '%s\n' "$line" | socat -t5 - UNIX-CONNECT:"$T/run/ingest.sock")
check "retry of an id: duplicate of seq 1" test "$reply" = "{\"status\":\"duplicate\",\"seq\":1,\"id\":\"$id\"}"
check "retry not published" test "$(hw_journal | wc -l)" -eq 2
hw_done
