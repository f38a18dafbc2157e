#!/bin/bash
# event-router life cycle: usage and exit codes, the pidfile lock (a second
# router on the same instance refuses, naming the pid), the socket's mode,
# SIGHUP reopens the log file, SIGTERM shuts down cleanly (socket and
# pidfile gone, exit 0) and a restart continues the sequence.
. "$(dirname "$0")/lib.sh"

out=$("$B/event-router" -h)
check "-h prints the synopsis, exit 0" sh -c "printf '%s' \"\$1\" | grep -q '^usage: event-router'" _ "$out"
rc=0; "$B/event-router" --no-such-flag 2>/dev/null || rc=$?
check "unknown flag: exit 100" test "$rc" -eq 100
rc=0; HOOKWIRE_JOURNAL_FSYNC=sometimes "$B/event-router" 2>"$T/bad.err" || rc=$?
check "bad config value: exit 100" test "$rc" -eq 100
check "bad config value: message names the key" grep -q 'fsync' "$T/bad.err"
check "-V prints the version" sh -c "'$B/event-router' -V | grep -q '^event-router '"

hw_start_router --log-file "$T/router.jsonl"
check "ingest socket is mode 0600" test "$(stat -c %a "$T/run/ingest.sock")" = 600
check "pidfile holds the pid" test "$(cat "$T/run/event-router.pid")" = "$router_pid"
rc=0; timeout 10 "$B/event-router" 2>"$T/second.err" || rc=$?
check "second router on the instance refuses (exit 1)" test "$rc" -eq 1
check "second router names the running pid" grep -q "pid $router_pid" "$T/second.err"
hw_capture "$FIX/sessionstart.json"
check "first router still serves: accepted as seq 1 ($(hw_capture_answer))" test "$(hw_capture_answer)" = "accepted 1"
check "first router still serves: the event is in the journal" hw_journal_last_is "$FIX/sessionstart.json"

mv "$T/router.jsonl" "$T/router.jsonl.old"
kill -HUP "$router_pid"
reopened() { grep -q 'log reopened' "$T/router.jsonl" 2>/dev/null; }
hw_until 5 "SIGHUP: log file reopened" reopened

rc=0; kill -TERM "$router_pid"; wait "$router_pid" || rc=$?
check "SIGTERM: exit 0" test "$rc" -eq 0
check "SIGTERM: socket removed" test ! -e "$T/run/ingest.sock"
check "SIGTERM: pidfile released" test ! -e "$T/run/event-router.pid"
check "SIGTERM: logged" grep -q '"msg":"main: stopped"' "$T/router.jsonl"

hw_start_router
hw_capture "$FIX/userpromptsubmit.json"
check "restart: next event accepted as seq 2 ($(hw_capture_answer))" test "$(hw_capture_answer)" = "accepted 2"
check "restart: sequence continues" test "$(hw_journal | jq .seq | tr '\n' ' ')" = "1 2 "
check "restart: seq 2 is the new event" hw_journal_last_is "$FIX/userpromptsubmit.json"
hw_done
