#!/bin/bash
# Context injection: on SessionStart and UserPromptSubmit hook-capture
# prints exactly one hookSpecificOutput object with the context files'
# text (bounded to 10,000 characters); nothing for other events or when
# there is no context.  The event is spooled either way.
. "$(dirname "$0")/lib.sh"

H=$B/hook-capture
export HOME=$T/home
mkdir -p "$HOME/.claude" "$T/proj/.claude"
unset CLAUDE_PROJECT_DIR

# run FIXTURE: stdout into $T/out; exit code and stderr checked.
run() {
	local rc=0 before
	before=$(hw_spool_count)
	"$H" <"$1" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 0 ] || fail "${1##*/}: exit $rc"
	[ ! -s "$T/err" ] || fail "${1##*/}: stderr not empty"
	[ "$(hw_spool_count)" -eq $((before + 1)) ] || fail "${1##*/}: not spooled"
}
ctx() { python3 - "$T/out" "$@" <<'EOF'
import json, sys
raw = open(sys.argv[1], encoding="utf-8").read()
want_event = sys.argv[2]
# exactly one JSON object and a newline, nothing else
assert raw.endswith("}\n") and raw.count("\n") == 1, repr(raw[:200])
obj = json.loads(raw)
assert list(obj) == ["hookSpecificOutput"], obj.keys()
h = obj["hookSpecificOutput"]
assert h["hookEventName"] == want_event, h
text = h["additionalContext"]
# characters as Claude Code counts them (UTF-16 code units)
assert len(text.encode("utf-16-le")) // 2 <= 10000
for needle in sys.argv[3:]:
    if needle.startswith("!"):
        assert needle[1:] not in text, needle
    else:
        assert needle in text, (needle, text[:300])
EOF
}

# ---- no context configured, no files: nothing printed
run "$FIX/sessionstart.json"
check "no context: SessionStart prints nothing" test ! -s "$T/out"

# ---- per-user file
printf 'The user prefers tabs. é\n' >"$HOME/.claude/hookwire-context.md"
run "$FIX/sessionstart.json"
check "user file on SessionStart" ctx SessionStart "The user prefers tabs. é" "$HOME/.claude/hookwire-context.md"
run "$FIX/userpromptsubmit.json"
check "user file on UserPromptSubmit" ctx UserPromptSubmit "The user prefers tabs."
for f in pretooluse_bash.json posttooluse_read_large.json pretooluse_edit_subagent.json; do
	run "$FIX/$f"
	check "nothing printed for ${f%.json}" test ! -s "$T/out"
done

# ---- configured files with ~ and {project}, per-project file, bad UTF-8
printf 'Deploy target is staging.\n' >"$T/proj/NOTES.md"
printf 'Project rule \xff\xfe here.\n' >"$T/proj/.claude/hookwire-context.md"
printf 'Memory from home.\n' >"$HOME/mem.md"
export CLAUDE_PROJECT_DIR=$T/proj
export HOOKWIRE_CAPTURE_CONTEXT_FILES='{project}/NOTES.md,~/mem.md,~/missing.md'
run "$FIX/sessionstart.json"
check "configured, user and project files" ctx SessionStart "Deploy target is staging." "Memory from home." "The user prefers tabs." "Project rule"
check "invalid UTF-8 replaced" ctx SessionStart "Project rule �� here."
check "order: configured, user, project" python3 -c "
import json; t = json.load(open('$T/out'))['hookSpecificOutput']['additionalContext']
assert t.index('staging') < t.index('Memory from home') < t.index('prefers tabs') < t.index('Project rule')"

# ---- the same file named twice is read once
export HOOKWIRE_CAPTURE_CONTEXT_FILES='~/.claude/hookwire-context.md'
run "$FIX/sessionstart.json"
check "a file named twice appears once" python3 -c "
import json; t = json.load(open('$T/out'))['hookSpecificOutput']['additionalContext']
assert t.count('prefers tabs') == 1, t"

# ---- bounded to 10,000 characters, cut on a character boundary, marked
python3 -c 'import sys; sys.stdout.write("😀" * 4000 + "é" * 4000)' >"$T/proj/big.md"
export HOOKWIRE_CAPTURE_CONTEXT_FILES='{project}/big.md'
run "$FIX/userpromptsubmit.json"
check "long context bounded and marked" ctx UserPromptSubmit "[hookwire: context truncated]"
check "cut on a character boundary" python3 -c "
import json; json.loads(open('$T/out', encoding='utf-8', errors='strict').read())"
HOOKWIRE_CAPTURE_CONTEXT_MAX=100 run "$FIX/userpromptsubmit.json"
check "capture.context_max" python3 -c "
import json; t = json.load(open('$T/out'))['hookSpecificOutput']['additionalContext']
assert len(t.encode('utf-16-le')) // 2 <= 100 and t.endswith('[hookwire: context truncated]'), len(t)"

# ---- bad input on SessionStart-like text: no context for an input_error
printf '{"hook_event_name":"SessionStart"' >"$T/partial.json"
run "$T/partial.json"
check "input_error prints nothing" test ! -s "$T/out"

# ---- no files at all: nothing
rm -f "$HOME/.claude/hookwire-context.md" "$T/proj/.claude/hookwire-context.md"
export HOOKWIRE_CAPTURE_CONTEXT_FILES='~/missing.md'
run "$FIX/sessionstart.json"
check "only missing files: nothing printed" test ! -s "$T/out"
hw_done
