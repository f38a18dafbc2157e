#!/bin/bash
# hook-capture install / uninstall / status on a temporary HOME and a
# temporary project: settings.json is created or edited in place, other
# hooks and keys are kept, a second install adds nothing, uninstall takes
# out only ours, an invalid file is refused and left untouched, and the
# installed command line really runs the hook.
. "$(dirname "$0")/lib.sh"

H=$B/hook-capture
export HOME=$T/home
mkdir -p "$HOME"
S=$HOME/.claude/settings.json
SELF=$(realpath "$H")

# run EXPECTED_RC ARGS...: output in $T/out (stdout) and $T/err.
run() {
	local want=$1 rc=0
	shift
	"$H" "$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq "$want" ] || fail "hook-capture $*: exit $rc, wanted $want ($(cat "$T/err"))"
}
jqs() { jq -e "$1" "${2:-$S}" >/dev/null 2>&1; }

# ---- no settings file: created with every event but WorktreeCreate
run 0 install --here
check "settings.json created" test -f "$S"
check "30 events registered" jqs '.hooks | length == 30'
check "no WorktreeCreate" jqs '.hooks | has("WorktreeCreate") | not'
check "exec form, absolute path, short timeout" jqs "[.hooks[][] | .hooks[0] | select(.type == \"command\" and .command == \"$SELF\" and .args == [] and .timeout == 5)] | length == 29"
check "SessionEnd's timeout within its 1.5 s budget" jqs '.hooks.SessionEnd[0].hooks[0].timeout == 1'
check "matcher * on tool events" jqs '.hooks.PreToolUse[0].matcher == "*" and .hooks.SessionEnd[0].matcher == "*"'
check "no matcher where none applies" jqs '.hooks.Stop[0] | has("matcher") | not'
check "FileChanged watches the files that change Claude Code" jqs '.hooks.FileChanged[0].matcher == "CLAUDE.md|CLAUDE.local.md|.mcp.json|.env|.envrc"'
check "no backup for a new file" test ! -e "$S.hookwire-bak"

# ---- second install: nothing changes, not even the bytes
cp "$S" "$T/first.json"
run 0 install --here --user
check "second install says so" grep -q 'already installed' "$T/out"
check "second install leaves the file as it was" cmp -s "$S" "$T/first.json"

# ---- status
run 0 status
check "status: settings path" grep -q "^settings: $S" "$T/out"
check "status: this binary" grep -q "^command: $SELF (this binary)" "$T/out"
check "status: events" grep -q '^PreToolUse  *registered' "$T/out"
check "status: count" grep -q '^registered: 30 events' "$T/out"
check "status: router not answering" grep -q "^router: not answering at $T/run/ingest.sock" "$T/out"

# ---- uninstall from our own file: an empty object is left
run 0 uninstall
check "uninstall leaves {}" jqs '. == {}'
check "backup of the installed file" cmp -s "$S.hookwire-bak" "$T/first.json"
run 0 uninstall
check "second uninstall: nothing to do" grep -q 'not installed' "$T/out"

# ---- a file with other hooks and keys
cat >"$S" <<'EOF'
{
  "model": "opus",
  "env": {"FOO": "bar"},
  "hooks": {
    "PreToolUse": [
      {"matcher": "Bash", "hooks": [{"type": "command", "command": "/usr/local/bin/guard", "timeout": 30}]}
    ],
    "Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]
  },
  "permissions": {"allow": ["Bash(git *)"], "deny": []},
  "statusLine": {"type": "command", "command": "~/.claude/statusline.sh"}
}
EOF
cp "$S" "$T/orig.json"
run 0 install --here
check "backup is the original" cmp -s "$S.hookwire-bak" "$T/orig.json"
check "top-level keys kept in order" test "$(jq -c keys_unsorted "$S")" = '["model","env","hooks","permissions","statusLine"]'
check "other keys unchanged" test "$(jq -S -c 'del(.hooks)' "$S")" = "$(jq -S -c 'del(.hooks)' "$T/orig.json")"
check "other hooks kept first" jqs '.hooks.PreToolUse[0] == {"matcher": "Bash", "hooks": [{"type": "command", "command": "/usr/local/bin/guard", "timeout": 30}]} and .hooks.Stop[0].hooks[0].command == "notify-send done"'
check "ours added after them" jqs ".hooks.PreToolUse[1].hooks[0].command == \"$SELF\" and (.hooks.PreToolUse | length) == 2"
run 0 install --here
check "reinstall: one handler per event" jqs "[.hooks[][] | .hooks[] | select(.command == \"$SELF\")] | length == 30"
run 0 uninstall
check "uninstall restores the original in meaning" test "$(jq -S -c . "$S")" = "$(jq -S -c . "$T/orig.json")"

# ---- --events, --timeout and the flags carried into args
run 0 -i other --statedir "$T/state2" install --here --events 'PreToolUse, Stop' --timeout 3
check "--events: two events" jqs '[.hooks[][] | .hooks[] | select(.command | endswith("hook-capture"))] | length == 2'
check "--timeout" jqs "[.hooks[][] | .hooks[] | select(.command == \"$SELF\") | .timeout] == [3, 3]"
check "flags carried into args" jqs ".hooks.PreToolUse[1].hooks[0].args == [\"-i\", \"other\", \"--statedir\", \"$T/state2\"]"

# ---- usage errors: exit 100, file untouched
cp "$S" "$T/before.json"
run 100 install --here --events WorktreeCreate
run 100 install --here --events 'Not An Event'
run 100 install --here --events Bogus
check "an unknown event name is refused, and says so" grep -q 'Bogus: not a Claude Code hook event' "$T/err"
run 100 install --here --local
check "--local needs --project" grep -q -- '--local needs --project' "$T/err"
run 100 install --here --timeout 0
run 100 install --here --timeout 601
run 100 install --here --user --project "$T"
run 100 uninstall --events Stop
run 100 status extra
run 100 install --here --bogus
check "usage errors left the file alone" cmp -s "$S" "$T/before.json"
run 0 install --here --events 'Stop,NewEvent2027' --force
check "--force takes a name hook-capture does not know" jqs '.hooks | has("NewEvent2027")'
cp "$T/before.json" "$S"
run 0 -h
check "-h prints the synopsis on stdout, as every tool does" grep -q '^usage: hook-capture' "$T/out"
check "-h prints nothing on stderr" test ! -s "$T/err"
run 0 -V
check "-V on stdout" grep -q '^hook-capture [0-9]' "$T/out"

# ---- invalid JSON: exit 1, a clear message, file untouched
printf '{ "model": "opus", }' >"$S"
cp "$S" "$T/bad.json"
run 1 install --here
check "invalid JSON named" grep -q 'not valid JSON' "$T/err"
check "invalid JSON untouched" cmp -s "$S" "$T/bad.json"
run 1 uninstall
check "invalid JSON untouched by uninstall" cmp -s "$S" "$T/bad.json"
printf '{"hooks": []}' >"$S"
run 1 install --here
check "hooks not an object: refused" grep -q '"hooks" is not an object' "$T/err"

# ---- --project DIR
mkdir -p "$T/proj"
run 0 install --here --project "$T/proj"
check "project settings created" jqs '.hooks | length == 30' "$T/proj/.claude/settings.json"
run 0 status --project "$T/proj"
check "project status" grep -q '^registered: 30 events' "$T/out"
run 0 uninstall --project "$T/proj"
check "project uninstall" jqs '. == {}' "$T/proj/.claude/settings.json"
run 1 install --here --project "$T/no-such-dir"
run 0 install --here --project "$T/proj" --local
check "--project DIR --local: the project's settings.local.json" jqs '.hooks | length == 30' "$T/proj/.claude/settings.local.json"
check "  and not its shared settings.json" test ! -e "$T/proj/.claude/settings.json" -o "$(jq -c . "$T/proj/.claude/settings.json")" = '{}'
run 0 uninstall --project "$T/proj" --local
check "uninstall --local" jqs '. == {}' "$T/proj/.claude/settings.local.json"

# ---- a build tree's hook-capture: refused, or the installed one recorded
mkdir -p "$T/home-b" "$T/inst/bin"
HOME=$T/home-b run 100 install
check "a build-tree path is refused without --here, saying why" grep -q 'in a build tree' "$T/err"
check "  and the settings are not written" test ! -e "$T/home-b/.claude/settings.json"
cp "$H" "$T/inst/bin/hook-capture"
HOME=$T/home-b PATH=$T/inst/bin:$PATH run 0 install
check "the installed hook-capture on PATH is recorded instead" jqs "[.hooks[][] | .hooks[0].command] | unique == [\"$T/inst/bin/hook-capture\"]" "$T/home-b/.claude/settings.json"
check "  and install says so" grep -q "registering the installed $T/inst/bin/hook-capture" "$T/err"

# ---- the installed handler runs as Claude Code would run it (exec form)
rm -f "$S"
run 0 --statedir "$T/state3" install --here --events SessionStart
cmd=$(jq -r '.hooks.SessionStart[0].hooks[0].command' "$S")
mapfile -t args < <(jq -r '.hooks.SessionStart[0].hooks[0].args[]' "$S")
rc=0
env -u HOOKWIRE_STATEDIR "$cmd" "${args[@]}" <"$FIX/sessionstart.json" >"$T/out" 2>&1 || rc=$?
check "installed command exits 0" test "$rc" -eq 0
check "installed command is silent" test ! -s "$T/out"
check "installed command spooled into its statedir" test "$(ls "$T/state3/spool/new" | wc -l)" -eq 1
hw_done
