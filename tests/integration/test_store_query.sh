#!/bin/bash
# event-store and event-query with the real router: 300 events through the
# ingest socket come back from the store all, once, in order, byte for
# byte as the journal has them; every filter of event-query selects
# exactly what it says (checked against jq over the journal); full-text
# search finds a command and a file path, with highlights when asked;
# --sessions, --gaps, --stats; exit codes 0, 1, 100; readiness; a status
# line on SIGUSR1; no CPU when idle; a clean stop on SIGTERM.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storelib.sh"
export HOOKWIRE_STORE_COMMIT_MS=50

rc=0; "$B/event-query" >/dev/null 2>"$T/err" || rc=$?
check "no store yet: exit 1" test "$rc" -eq 1
check "and says so" grep -q "no store at" "$T/err"

hw_start_router
store_feed 1 100
hw_start_store
# (ps prints no nice value for SCHED_IDLE: /proc/PID/stat's 19th field)
check "the store runs at nice 10 (store.nice)" \
	test "$(sed 's/.*) //' "/proc/$store_pid/stat" | cut -d' ' -f17)" -eq 10
policy() { ps -L -o cls= -p "$1" | sort -u | tr -d ' '; }
check "under the normal policy (store.idle false)" test "$(policy "$store_pid")" = TS
store_feed 101 200
check "the store catches up and indexes every event" store_wait_indexed 300
check "its full-text table merges 16 segments at a time (FTS5 automerge)" test \
	"$(sqlite3 -readonly "$T/state/store/events.db" "SELECT v FROM events_fts_1_config WHERE k = 'automerge'")" = 16

Q() { "$B/event-query" "$@"; }
J() { hw_journal | jq -c "$@"; }
check "--since 0: all 300, in order" test "$(Q --since 0 --limit 1000 | jq .seq | tr '\n' ' ')" = "$(seq 1 300 | tr '\n' ' ')"
Q --since 0 --limit 1000 >"$T/all"
hw_journal >"$T/journal"
check "byte for byte as in the journal" cmp -s "$T/all" "$T/journal"
check "default: the newest 100" test "$(Q | jq .seq | tr '\n' ' ')" = "$(seq 201 300 | tr '\n' ' ')"
check "--limit 5: the newest 5" test "$(Q --limit 5 | jq -c .seq | tr '\n' ' ')" = "296 297 298 299 300 "
check "--since 10 --limit 3" test "$(Q --since 10 --limit 3 | jq -c .seq | tr '\n' ' ')" = "11 12 13 "
check "--until 4" test "$(Q --until 4 | jq -c .seq | tr '\n' ' ')" = "1 2 3 4 "
check "--session sess-1" test "$(Q --session sess-1 --limit 1000 | jq -c .seq)" = "$(J 'select(.session_id == "sess-1") | .seq')"
check "--event PostToolUseFailure" test "$(Q --event PostToolUseFailure --limit 1000 | jq -c .seq)" = "$(J 'select(.event == "PostToolUseFailure") | .seq')"
check "--tool Edit --session sess-2" test "$(Q --tool Edit --session sess-2 --limit 1000 | jq -c .seq)" = "$(J 'select(.tool == "Edit" and .session_id == "sess-2") | .seq')"
check "--project /home/dev/proj-1 --event PreToolUse" test "$(Q --project /home/dev/proj-1 --event PreToolUse --limit 1000 | jq -c .seq)" = "$(J 'select(.project == "/home/dev/proj-1" and .event == "PreToolUse") | .seq')"
check "--tool-use toolu_42" test "$(Q --tool-use toolu_42 | jq -c .seq | tr '\n' ' ')" = "$(J 'select(.tool_use_id == "toolu_42") | .seq' | tr '\n' ' ')"
check "--tool Bash: nothing but Bash" test "$(Q --tool Bash --limit 1000 | jq -r .tool | sort -u)" = Bash
# time: the journal's ts of seq 150, then --since that time starts at 150
t150=$(J 'select(.seq == 150) | .ts' | tr -d '"')
t160=$(J 'select(.seq == 160) | .ts' | tr -d '"')
echo "seq 150 at $t150, 160 at $t160: $(Q --since "$t150" --limit 3 | jq -c .seq | tr '\n' ' ')"
check "--since RFC 3339 time" test "$(Q --since "$t150" --limit 3 | jq -c .seq | tr '\n' ' ')" = "150 151 152 "
check "--since and --until times" test "$(Q --since "$t150" --until "$t160" | jq -c .seq | wc -l)" -eq 11
check "--since 1h: everything (captured just now)" test "$(Q --since 1h --limit 1000 | wc -l)" -eq 300
check "--until 1h: nothing" test -z "$(Q --until 1h)"
# full text
check "--search finds the command" test "$(Q --search 'rm -rf build' | jq -c .seq)" = 7
check "--search finds the file path" test "$(Q --search 'src/auth.ts' | jq -c .seq)" = 8
check "--search ignores case" test "$(Q --search 'RM -RF' | jq -c .seq)" = 7
check "--search with a filter" test -z "$(Q --search 'rm -rf' --session sess-0)"
check "--match: an FTS5 expression" test "$(Q --match '"echo 12" OR "echo 13"' | jq -c .seq | tr '\n' ' ')" = "12 13 120 121 122 123 124 125 126 127 128 129 130 131 132 133 134 135 136 137 138 139 "
check "no snippet unless asked" test "$(Q --search 'rm -rf' | jq -r 'has("snippet")')" = false
check "--highlight marks the hit" test "$(Q --search 'rm -rf' --highlight | jq -r .snippet)" = "«rm -rf» build/ dist/"
check "--highlight keeps the event intact" test "$(Q --search 'rm -rf' --highlight | jq -c 'del(.snippet)')" = "$(J 'select(.seq == 7)')"
# sessions, gaps, stats
Q --sessions >"$T/sessions"
check "--sessions: three" test "$(jq -r .session_id "$T/sessions" | sort | tr '\n' ' ')" = "sess-0 sess-1 sess-2 "
check "--sessions: counts" test "$(jq -r 'select(.session_id == "sess-1") | .events' "$T/sessions")" -eq 100
check "--sessions: most recent first" test "$(head -n1 "$T/sessions" | jq -r .last_seq)" -eq 300
check "--sessions --project" test "$(Q --sessions --project /home/dev/proj-0 | jq -r .project | sort -u)" = /home/dev/proj-0
check "--gaps: none" test -z "$(Q --gaps)"
check "--stats" test "$(Q --stats | jq -c '[.oldest, .newest, .count, .gaps]')" = "[1,300,300,0]"
# usage and errors
for bad in "--limit 10001" "--limit 0" "--since yesterday" "--search rm" "--match AND(" "--highlight" "--sessions --gaps" "--no-such-flag" "--sessions --since 5"; do
	rc=0; Q $bad >/dev/null 2>&1 || rc=$?
	check "$bad: exit 100" test "$rc" -eq 100
done
rc=0; Q --db "$T/journal" >/dev/null 2>"$T/err" || rc=$?
check "a file that is not a store: exit 1" test "$rc" -eq 1
check "a closed pipe is a normal end" bash -c "'$B/event-query' --since 0 --limit 1000 | head -n1 >/dev/null; test \${PIPESTATUS[0]} -eq 0"
# readers never block the writer: a query while events arrive
store_feed 301 200 &
feeder=$!
Q --since 0 --limit 10000 >/dev/null
check "a query while the store writes" test $? -eq 0
wait "$feeder"
check "and the store keeps up" store_wait_indexed 500
# SIGUSR1: a status line; idle: no CPU at all (a futex wait, no timer)
kill -USR1 "$store_pid"
hw_until 10 "SIGUSR1: a status line with the newest seq" grep -q '"msg":"follow_status: status: stored up to seq 500' "$T/store.log"
# wakeups: context switches of all the store's threads (a thread that
# sleeps in a futex wait makes none; a timer would, at every tick)
wakeups() { cat /proc/"$store_pid"/task/*/status | awk '/ctxt_switches/ { s += $2 } END { print s }'; }
w0=$(wakeups)
sleep 2 # an idle store must not wake up; nothing to wait for but time
w1=$(wakeups)
echo "idle: $((w1 - w0)) wakeups in 2 s"
check "idle: no wakeup in 2 s" test $((w1 - w0)) -le 2
# SIGTERM: clean stop, logged
hw_stop "$store_pid"
check "SIGTERM: the store logs its last status" grep -q '"msg":"follow_status: stopping: stored up to seq 500' "$T/store.log"
check "the store is readable with the daemon stopped" test "$(Q --stats | jq .newest)" -eq 500
HOOKWIRE_STORE_IDLE=true hw_start_store
check "store.idle true: every thread under SCHED_IDLE" test "$(policy "$store_pid")" = IDL
hw_stop "$store_pid"
hw_done
