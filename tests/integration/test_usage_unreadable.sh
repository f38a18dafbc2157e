#!/bin/bash
# test_usage_unreadable.sh: transcripts that cannot be read.  A directory, a
# FIFO (which would block a plain open and read) and, when not root, a file
# of mode 000: each gives one log line with reason transcript_unreadable and
# its path, however many hooks name it; event-usage keeps running, the
# other sessions' usage is counted exactly, the router takes hook events
# as before.  A path that is not an absolute .jsonl is not read at all.
# Malformed lines in a transcript are skipped, the good ones counted.  Once
# the file can be read, its usage is counted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/usagelib.sh"

D=$T/u1.jsonl
F=$T/u2.jsonl
G=$T/u3.jsonl
OK=$T/ok.jsonl
mkdir "$D"
mkfifo "$F"
hw_start_router
hw_start_usage

hook UserPromptSubmit u1 "$D"
hook UserPromptSubmit u2 "$F"
hook Stop u1 "$D"
hook Stop u2 "$F"
hook Stop u4 /etc/passwd
hook Stop u5 relative/path.jsonl
if [ "$(id -u)" != 0 ]; then
	tline "$G" msg_u3_1 claude-opus-4-5-20251101 1 1 1 1 end_turn
	chmod 000 "$G"
	hook Stop u3 "$G"
else
	echo "note: running as root: mode 000 does not stop root, that case is skipped"
fi
# a good session, with malformed lines among its messages
tline "$OK" msg_ok_1 claude-opus-4-5-20251101 1 2 3 4 tool_use
printf '%s\n' 'not json' '{"type":"assistant","message":{"id":"msg_bad","usage":{"input_tokens":' \
	'{"type":"assistant","message":{"id":"msg_neg","model":"m","usage":{"input_tokens":-1}}}' >>"$OK"
tline "$OK" msg_ok_2 claude-opus-4-5-20251101 5 6 7 8 end_turn
hook Stop ok "$OK"
check "the good session's two messages" wait_usage 2
check "they match the transcript" usage_check "ok=$OK"

logged() { grep '"reason":"transcript_unreadable"' "$T/usage.log" | grep -c "\"path\":\"$1\""; }
# logged_all PATH...: each PATH logged as unreadable, once or more
logged_all() { local p; for p in "$@"; do [ "$(logged "$p")" -ge 1 ] || return 1; done; }
hw_until 10 "the directory and the FIFO are logged" logged_all "$D" "$F"
check "a directory: one log line, reason transcript_unreadable ($(logged "$D"))" test "$(logged "$D")" = 1
check "a FIFO: one log line, and no blocked read ($(logged "$F"))" test "$(logged "$F")" = 1
check "the log line says why" grep -q '"error":"not a regular file"' "$T/usage.log"
check "and names the session" grep -q '"session":"u1"' "$T/usage.log"
if [ "$(id -u)" != 0 ]; then
	logged_once() { [ "$(logged "$1")" = 1 ]; }
	hw_until 5 "mode 000: one log line" logged_once "$G"
fi
check "paths that are not absolute .jsonl files are not read" \
	test "$(grep -c 'passwd\|relative' "$T/usage.log")" = 0
check "event-usage still runs" kill -0 "$usage_pid"
hook Notification ok "$OK" message=still-here
check "the router still takes hook events" \
	bash -c "'$B/event-tail' --event Notification | grep -q still-here"

# the directory becomes a file: counted from the next hook on
rmdir "$D"
tline "$D" msg_u1_1 claude-sonnet-4-5-20250929 9 9 9 9 end_turn
hook Stop u1 "$D"
check "once readable, its usage is counted" wait_usage 3
check "everything matches" usage_check "ok=$OK" "u1=$D"
check "the log says it is readable again" grep -q 'transcript readable again' "$T/usage.log"
kill -USR1 "$usage_pid"
hw_until 5 "read errors are counted in the status line" grep -q '[1-9][0-9]* read errors' "$T/usage.log"
hw_done
