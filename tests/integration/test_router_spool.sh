#!/bin/bash
# event-router and the spool: with the router stopped, hook-capture spools;
# started, the router drains the spool (oldest first) and every event
# arrives once; while it runs, a file renamed into spool/new is drained at
# once (inotify); a spool file that is not an event goes to spool/bad/.
. "$(dirname "$0")/lib.sh"

M=60
mkdir -p "$T/state/spool/tmp" "$T/state/spool/new"
for i in $(seq 1 "$M"); do
	printf '{"session_id":"s-spool","cwd":"/tmp","hook_event_name":"UserPromptSubmit","prompt":"spooled prompt %d"}' "$i" |
		"$B/hook-capture"
done
check "router down: $M events spooled" test "$(hw_spool_count)" -eq "$M"
# a file that is not an event
printf 'this is not an event\n' >"$T/state/spool/tmp/x"
mv "$T/state/spool/tmp/x" "$T/state/spool/new/0000000000000001.1.0000000000000000.json"

hw_start_router
check "router up: spool drained before readiness" test "$(hw_spool_count)" -eq 0
check "bad spool file kept in spool/bad/" test "$(ls "$T/state/spool/bad" | wc -l)" -eq 1
hw_journal >"$T/j1"
check "journal: $M events" test "$(wc -l <"$T/j1")" -eq "$M"
check "journal: each prompt once" test "$(jq -r .data.prompt "$T/j1" | sort -u | wc -l)" -eq "$M"
check "drained oldest first" sh -c "jq -r .data.prompt '$T/j1' | sed 's/.* //' | cmp -s - /dev/stdin <<EOS
$(seq 1 "$M")
EOS"
check "ring: $M events" test "$("$B/event-tail" | wc -l)" -eq "$M"
check "log: bad spool file reported" grep -q 'moved to bad/' "$T/router.log"

# while running: a new spool file (a new event, and a copy of an old one)
head -n1 "$T/j1" | jq -c 'del(.seq) | .id = "fedcba9876543210fedcba9876543210" | .data.prompt = "late"' >"$T/state/spool/tmp/a"
head -n1 "$T/j1" | jq -c 'del(.seq)' >"$T/state/spool/tmp/b"
mv "$T/state/spool/tmp/a" "$T/state/spool/new/$(date +%s%6N).1.00000000000000aa.json"
mv "$T/state/spool/tmp/b" "$T/state/spool/new/$(date +%s%6N).1.00000000000000bb.json"
hw_until 10 "running router drains new spool files (inotify)" hw_spool_empty
hw_journal >"$T/j2"
check "journal: the new event once, the copy not again" test "$(wc -l <"$T/j2")" -eq $((M + 1))
check "journal: the late event is there" grep -q '"prompt":"late"' "$T/j2"
hw_done
