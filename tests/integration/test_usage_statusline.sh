#!/bin/bash
# test_usage_statusline.sh: hook-capture statusline, Claude Code's
# statusLine.command.  The status JSON of Claude Code's documentation is
# captured as a StatusLine event with Claude Code's own cost as it came;
# the line printed is ours, one line, bounded; a wrapped user command gets
# the same stdin and its output passes through cleaned (SGR colours kept,
# other control characters and escapes dropped, 4 lines at most), with its
# exit status; one that takes too long is killed and our line shown; broken
# stdin gives an empty line and exit 0; with the router away the event is
# spooled.  event-usage reads the transcript a StatusLine event names.
# install --statusline wraps an existing statusLine and uninstall puts it
# back byte for byte.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/usagelib.sh"
H=$B/hook-capture

# The "full JSON" example of code.claude.com/docs/en/statusline (2.1.x),
# with the transcript pointing at this test's file.
TR=$T/sl.jsonl
cat >"$T/status.json" <<EOF
{
  "cwd": "/current/working/directory",
  "session_id": "sl-session",
  "transcript_path": "$TR",
  "model": { "id": "claude-opus-4-6", "display_name": "Opus" },
  "workspace": { "current_dir": "/current/working/directory", "project_dir": "/original/project/directory" },
  "version": "1.0.80",
  "output_style": { "name": "default" },
  "cost": { "total_cost_usd": 0.01234, "total_duration_ms": 45000, "total_api_duration_ms": 2300,
            "total_lines_added": 156, "total_lines_removed": 23 },
  "context_window": { "total_input_tokens": 15234, "total_output_tokens": 4521,
    "context_window_size": 200000, "used_percentage": 8, "remaining_percentage": 92,
    "current_usage": { "input_tokens": 8500, "output_tokens": 1200,
      "cache_creation_input_tokens": 5000, "cache_read_input_tokens": 2000 } },
  "exceeds_200k_tokens": false,
  "vim": { "mode": "NORMAL" },
  "agent": { "name": "security-reviewer" }
}
EOF
# sl CMD...: runs hook-capture statusline with status.json on stdin; output
# in $T/out, exit status in $rc, wall time in $ms.
sl() {
	local s0 s1
	s0=$(date +%s%N)
	rc=0
	"$H" statusline "$@" <"${SLIN:-$T/status.json}" >"$T/out" 2>"$T/err" || rc=$?
	s1=$(date +%s%N)
	ms=$(((s1 - s0) / 1000000))
}

hw_start_router
hw_start_usage
tline "$TR" msg_sl_1 claude-opus-4-6 3 4 5 6 end_turn

# ---- our own line and the event
sl
check "own line: model, Claude Code's cost, context ($(cat "$T/out"))" test "$(cat "$T/out")" = 'Opus | $0.01 | ctx 8%'
check "exit 0, nothing on stderr" test $rc -eq 0 -a ! -s "$T/err"
check "one line" test "$(wc -l <"$T/out")" = 1
statusline_in_ring() { "$B/event-tail" --event StatusLine | grep -q sl-session; }
hw_until 5 "the StatusLine event reached the ring" statusline_in_ring
"$B/event-tail" --event StatusLine >"$T/sl.ndjson"
check "a StatusLine event in the ring" test "$(wc -l <"$T/sl.ndjson")" = 1
check "with Claude Code's cost as it came" test "$(jq -r .data.cost.total_cost_usd "$T/sl.ndjson")" = 0.01234
check "and its session and cwd lifted" test "$(jq -r '"\(.session_id) \(.cwd)"' "$T/sl.ndjson")" = "sl-session /current/working/directory"
check "event-usage reads the transcript it names" wait_usage 1
check "the usage matches" usage_check "sl-session=$TR"

# ---- a wrapped command: same stdin, output cleaned, exit status passed on
cat >"$T/mine.sh" <<'EOF'
#!/bin/sh
m=$(jq -r .model.display_name)
printf '\033[1;32m%s\033[0m \033]0;title\007\033[2Jok\tx\001\177\n' "$m"
echo "second line" >&2
printf 'l2\nl3\nl4\nl5\n'
exit 3
EOF
chmod +x "$T/mine.sh"
sl -- "$T/mine.sh"
check "wrapped: the command's first line, SGR kept, the rest cleaned" \
	test "$(head -n1 "$T/out")" = "$(printf '\033[1;32mOpus\033[0m ok x')"
check "wrapped: 4 lines at most ($(wc -l <"$T/out"))" test "$(wc -l <"$T/out")" = 4
check "wrapped: its exit status ($rc)" test $rc -eq 3
check "wrapped: its stderr is not shown" test ! -s "$T/err"
check "wrapped: no control character but ESC in the output" \
	test "$(LC_ALL=C tr -d '\033\n' <"$T/out" | LC_ALL=C grep -c '[[:cntrl:]]')" = 0
# the command line install --statusline writes, run as Claude Code runs it
sl -- /bin/sh -c 'cat >/dev/null; echo "a | b"'
check "wrapped through /bin/sh -c: a pipeline in the user's string" test "$(cat "$T/out")" = "a | b"
# a command that prints too much: every line bounded
sl -- /bin/sh -c 'cat >/dev/null; head -c 100000 /dev/zero | tr "\0" x; echo'
check "a 100 KB line is cut to the bound ($(head -n1 "$T/out" | wc -c))" test "$(head -n1 "$T/out" | wc -c)" -le 513
# too slow: killed, our own line instead
export HOOKWIRE_CAPTURE_STATUSLINE_TIMEOUT_MS=300
sl -- /bin/sh -c "echo \$\$ >'$T/slow.pid'; exec sleep 30"
check "too slow: our own line instead ($(cat "$T/out"))" test "$(cat "$T/out")" = 'Opus | $0.01 | ctx 8%'
check "too slow: exit 0 within the bound ($ms ms)" test $rc -eq 0 -a $ms -lt 2000
check "too slow: the command is killed" bash -c "! kill -0 $(cat "$T/slow.pid") 2>/dev/null"
unset HOOKWIRE_CAPTURE_STATUSLINE_TIMEOUT_MS
sl -- "$T/no-such-command"
check "a command that does not exist: exit 127, nothing printed but an empty line" \
	test $rc -eq 127 -a "$(wc -c <"$T/out")" -le 1

# ---- broken stdin: an empty line, exit 0
for input in 'garbage' '' '[1,2]' '{"model": {"display_name": "x'; do
	printf '%s' "$input" >"$T/bad.json"
	SLIN=$T/bad.json sl
	check "stdin '$input': an empty line, exit 0" test $rc -eq 0 -a "$(cat "$T/out")" = "" -a "$(wc -c <"$T/out")" = 1
done
export HOOKWIRE_CAPTURE_STDIN_TIMEOUT_MS=200
mkfifo "$T/fifo"
exec 7<>"$T/fifo" # held open: the reader never sees end of file
SLIN=$T/fifo sl
exec 7>&-
check "stdin never closed: an empty line, exit 0, in $ms ms" \
	test $rc -eq 0 -a "$(wc -c <"$T/out")" = 1 -a $ms -lt 1500
unset HOOKWIRE_CAPTURE_STDIN_TIMEOUT_MS
# a huge model name: still one bounded line
jq '.model.display_name = ("M" * 5000 + "\u0007\u001b[2J")' "$T/status.json" >"$T/big.json"
SLIN=$T/big.json sl
check "own line bounded ($(wc -c <"$T/out") bytes) and clean" \
	test "$(wc -c <"$T/out")" -le 513 -a "$(LC_ALL=C tr -d '\n' <"$T/out" | LC_ALL=C grep -c '[[:cntrl:]]')" = 0

# ---- the router away: spooled, answered in time
hw_stop "$router_pid"
sl
check "router away: our line still ($ms ms)" test "$(cat "$T/out")" = 'Opus | $0.01 | ctx 8%' -a $ms -lt 1000
n=$(cat "$T"/state/spool/new/* 2>/dev/null | jq -s 'map(select(.event == "StatusLine")) | length')
check "router away: the StatusLine event is spooled ($n)" test "$n" = 1

# ---- install --statusline wraps, uninstall restores byte for byte
export HOME=$T/home
S=$HOME/.claude/settings.json
mkdir -p "$HOME/.claude"
cat >"$S" <<'EOF'
{
  "model": "opus",
  "statusLine": {"type": "command", "command": "printf 'mine %s' \"$(jq -r .model.id)\" | tr a-z A-Z", "padding": 2},
  "env": {"A": "b"}
}
EOF
# in json-c's own layout first, so that bytes can be compared
"$H" install --here --events Stop >/dev/null && "$H" uninstall >/dev/null
cp "$S" "$T/orig.json"
check "install --statusline" bash -c "'$H' install --here --statusline >/dev/null"
jqs() { jq -e "$1" "$S" >/dev/null; }
check "statusLine is ours, wrapping the original" \
	jqs '.statusLine.command | test("hook-capture. statusline -- /bin/sh -c")'
check "its other keys kept" jqs '.statusLine.padding == 2 and .statusLine.type == "command"' 
check "the original kept beside" cmp -s <(jq -S .original "$S.hookwire-statusline") <(jq -S .statusLine "$T/orig.json")
"$H" status >"$T/status.out"
check "status shows it" grep -q '^statusline: hook-capture, wrapping printf' "$T/status.out"
got=$(sh -c "$(jq -r .statusLine.command "$S")" <"$T/status.json")
check "the installed command runs the original ($got)" test "$got" = "MINE CLAUDE-OPUS-4-6"
cp "$S" "$T/once.json"
"$H" install --here --statusline >/dev/null
check "a second install changes nothing (no double wrap)" cmp -s "$S" "$T/once.json"
check "uninstall" bash -c "'$H' uninstall >/dev/null"
check "uninstall restores the original file byte for byte" cmp "$S" "$T/orig.json"
check "and removes the side file" test ! -e "$S.hookwire-statusline"
# no statusLine before: none after
jq 'del(.statusLine)' "$T/orig.json" >"$S"
"$H" install --here --events Stop >/dev/null && "$H" uninstall >/dev/null
cp "$S" "$T/none.json"
"$H" install --here --statusline >/dev/null
check "no statusLine before: ours added" jqs '.statusLine.command | test("statusline$")' 
"$H" uninstall >/dev/null
check "no statusLine before: none after, byte for byte" cmp "$S" "$T/none.json"
# changed by hand after install: left alone
"$H" install --here --statusline >/dev/null
jq '.statusLine = {"type": "command", "command": "echo theirs"}' "$S" >"$S.new" && mv "$S.new" "$S"
"$H" uninstall >"$T/un.out"
check "a statusLine changed since install is left alone" jqs '.statusLine.command == "echo theirs"' 
check "and uninstall says so" grep -q 'changed since install' "$T/un.out"
# a statusLine that is not a command object is refused, file untouched
printf '{"statusLine": "oops"}\n' >"$S"
cp "$S" "$T/oops.json"
rc=0
"$H" install --here --statusline >/dev/null 2>"$T/err" || rc=$?
check "a statusLine that is not a command object: refused ($rc)" test $rc -eq 1
check "  with a message, the file untouched" bash -c "grep -q 'not wrapped' '$T/err' && cmp -s '$S' '$T/oops.json'"
# a new home: no ~/.claude yet
mkdir "$T/home2"
check "install --statusline: exit 0 in a new home" bash -c "HOME='$T/home2' '$H' install --here --statusline >/dev/null"
check "install --statusline in a home without ~/.claude" \
	jq -e '.statusLine.command | test("statusline$")' "$T/home2/.claude/settings.json"
HOME=$T/home2 "$H" uninstall >/dev/null
check "  and uninstall takes it out" jq -e 'has("statusLine") | not' "$T/home2/.claude/settings.json"
rc=0
"$H" uninstall --statusline >/dev/null 2>&1 || rc=$?
check "--statusline belongs to install ($rc)" test $rc -eq 100
hw_done
