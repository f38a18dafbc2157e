#!/bin/bash
# hook-capture with no router: every fixture and every kind of bad input
# exits 0, prints nothing, and lands in the spool as one event with the
# right fields (bad input as a hookwire.input_error event with its reason).
. "$(dirname "$0")/lib.sh"

H=$B/hook-capture
NEW=$T/state/spool/new
mkdir -p "$T/in"

# run_one FILE [ARGS...]: runs hook-capture on FILE; checks exit 0, empty
# stdout and stderr, exactly one new spool file; sets EV to that file.
run_one() {
	local in=$1 before after rc
	shift
	before=$(hw_spool_count)
	rc=0
	"$H" "$@" <"$in" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 0 ] || fail "${in##*/}: exit $rc"
	[ ! -s "$T/out" ] || fail "${in##*/}: stdout not empty: $(head -c 200 "$T/out")"
	[ ! -s "$T/err" ] || fail "${in##*/}: stderr not empty: $(head -c 200 "$T/err")"
	after=$(hw_spool_count)
	if [ "$after" -ne $((before + 1)) ]; then
		fail "${in##*/}: spool went from $before to $after"
		EV=/dev/null
		return
	fi
	EV=$NEW/$(ls -t "$NEW" | head -n1)
	# The newest by name too (names sort oldest first).
	[ "$EV" = "$NEW/$(ls "$NEW" | tail -n1)" ] || fail "${in##*/}: spool names do not sort by time"
}

# jqcheck DESC FILTER: FILTER must be true on $EV.
jqq() { jq -e "$1" "$EV" >/dev/null 2>&1; }
jqcheck() { check "$1" jqq "$2"; }

# Canonical fields every event has.
common_fields() {
	jqcheck "$1: id" '.id | test("^[0-9a-f]{32}$")'
	jqcheck "$1: ts" '.ts | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{6}Z$")'
	jqcheck "$1: no seq" 'has("seq") | not'
	jqcheck "$1: host" ".host == \"$(hostname)\""
	jqcheck "$1: user" ".user == \"$(id -un)\""
	jqcheck "$1: meta" '.meta.capture_us > 0 and .meta.scrubbed == 0 and (.meta.truncated | type) == "number"'
	jqcheck "$1: one line" "true"
	[ "$(wc -l <"$EV")" -eq 1 ] || fail "$1: spool file is not one line"
}

# ---- every fixture
n=0
for f in "$FIX"/*.json; do
	name=${f##*/}
	run_one "$f"
	common_fields "$name"
	ev=$(jq -r .hook_event_name "$f")
	jqcheck "$name: event" ".event == \"$ev\""
	jqcheck "$name: session_id" ".session_id == $(jq .session_id "$f")"
	jqcheck "$name: cwd" ".cwd == $(jq .cwd "$f")"
	jqcheck "$name: project from cwd" ".project == $(jq .cwd "$f")"
	if jq -e 'has("tool_name")' "$f" >/dev/null; then
		jqcheck "$name: tool" ".tool == $(jq .tool_name "$f")"
	fi
	if jq -e 'has("tool_use_id")' "$f" >/dev/null; then
		jqcheck "$name: tool_use_id" ".tool_use_id == $(jq .tool_use_id "$f")"
	fi
	if jq -e 'has("agent_id")' "$f" >/dev/null; then
		jqcheck "$name: agent_id" ".agent_id == $(jq .agent_id "$f")"
	fi
	if [ "$(wc -c <"$f")" -lt 16384 ]; then
		# Small events: data is the hook JSON itself.
		jq -S .data "$EV" >"$T/a.json"
		jq -S . "$f" >"$T/b.json"
		check "$name: data is the hook JSON" cmp -s "$T/a.json" "$T/b.json"
		jqcheck "$name: nothing truncated" '.meta.truncated == 0'
	else
		jqcheck "$name: large strings cut" '.meta.truncated > 0'
		jqcheck "$name: cut marker" '[.. | strings | select(test("\\[hookwire: truncated [0-9]+ bytes\\]$"))] | length > 0'
		check "$name: within event_max" test "$(wc -c <"$EV")" -le $((1024 * 1024 + 1))
	fi
	n=$((n + 1))
done
[ "$n" -ge 5 ] || fail "only $n fixtures found in $FIX"
run_one "$FIX/pretooluse_edit_subagent.json"
jqcheck "Edit: files" '.files | index("/home/dev/acme-api/src/config.ts") != null'

# CLAUDE_PROJECT_DIR wins over cwd.
CLAUDE_PROJECT_DIR=/srv/proj run_one "$FIX/pretooluse_bash.json"
jqcheck "project from CLAUDE_PROJECT_DIR" '.project == "/srv/proj"'

# ---- an unknown event is forwarded as it is
printf '{"hook_event_name":"SomethingNew2027","session_id":"s1","x":[1,2,{"y":null}]}' >"$T/in/unknown.json"
run_one "$T/in/unknown.json"
jqcheck "unknown event kept" '.event == "SomethingNew2027" and .data.x[2].y == null'

# ---- field_max and event_max from the environment
python3 -c 'import json; print(json.dumps({"hook_event_name":"PostToolUse","tool_name":"Bash","s":"a"*5000,"t":"é"*3000}))' >"$T/in/long.json"
HOOKWIRE_CAPTURE_FIELD_MAX=1000 run_one "$T/in/long.json"
jqcheck "field_max: cut to 1000 bytes" '(.data.s | startswith("a" * 1000)) and (.data.s | test("^a{1000}\\[hookwire: truncated 4000 bytes\\]$"))'
jqcheck "field_max: cut on a UTF-8 boundary" '.data.t | test("^(é)+\\[hookwire: truncated [0-9]+ bytes\\]$")'
jqcheck "field_max: truncated counted" '.meta.truncated >= 4000'
python3 -c 'import json; print(json.dumps({"hook_event_name":"PostToolUse","k%d" % 0:"v", **{"k%d" % i: "x" * 200 for i in range(100)}}))' >"$T/in/wide.json"
HOOKWIRE_CAPTURE_EVENT_MAX=8k run_one "$T/in/wide.json"
check "event_max: event within 8 KiB" test "$(wc -c <"$EV")" -le 8193
jqcheck "event_max: still PostToolUse" '.event == "PostToolUse"'

# ---- bad input: reason codes from hookwire-event(5)
bad() { # NAME REASON (input already in $T/in/NAME)
	run_one "$T/in/$1"
	common_fields "bad $1"
	jqcheck "bad $1: input_error" '.event == "hookwire.input_error"'
	jqcheck "bad $1: reason $2" ".data.error == \"$2\""
}
printf 'not json at all' >"$T/in/notjson"
bad notjson invalid_json
printf '[1,2,3]' >"$T/in/array"
bad array not_object
printf '"a string"' >"$T/in/string"
bad string not_object
printf '{"hook_event_name":"Stop","x":"\xff\xfe"}' >"$T/in/utf8"
bad utf8 invalid_utf8
jqcheck "bad utf8: bytes escaped in the copy" '.data.input | contains("\\xff")'
printf '{"hook_event_name":"Stop"}\0{}' >"$T/in/nul"
bad nul nul_byte
python3 -c 'print("{\"hook_event_name\":\"Stop\",\"d\":" + "[" * 200 + "]" * 200 + "}")' >"$T/in/deep"
bad deep too_deep
: >"$T/in/empty"
bad empty empty_input
printf '{"session_id":"s"}' >"$T/in/noname"
bad noname missing_field
printf '{"hook_event_name":"Stop"} trailing' >"$T/in/trailing"
bad trailing invalid_json
head -c 3000 /dev/urandom >"$T/in/random"
run_one "$T/in/random"
jqcheck "random bytes: input_error" '.event == "hookwire.input_error"'
jqcheck "random bytes: bounded copy" '(.data.input | length) <= 4096 * 4'
python3 -c 'print("{\"hook_event_name\":\"Stop\",\"x\":\"" + "a" * 3000 + "\"}")' >"$T/in/big"
HOOKWIRE_CAPTURE_INPUT_MAX=2k bad big event_too_large
jqcheck "too large: input_bytes counts it all" ".data.input_bytes == $(wc -c <"$T/in/big")"
jqcheck "too large: detail" ".data.detail | contains(\"$(wc -c <"$T/in/big") bytes\")"

# ---- bad flags and bad configuration: still exit 0, silent, captured
run_one "$FIX/sessionstart.json" --no-such-flag -c "$T/nonexistent.conf" extra-arg
jqcheck "bad flags: event captured" '.event == "SessionStart"'
HOOKWIRE_NO_SUCH_VARIABLE=1 run_one "$FIX/sessionstart.json" --log-file "$T/capture.log"
jqcheck "unknown variable: event captured in the configured spool" '.event == "SessionStart"'
check "unknown variable: logged" grep -q 'HOOKWIRE_NO_SUCH_VARIABLE' "$T/capture.log"
printf '{"capture": {"stdin_timeout_ms": "soon"}}' >"$T/bad.conf"
run_one "$FIX/sessionstart.json" -c "$T/bad.conf" --log-file "$T/capture.log"
check "bad config: logged with its key" grep -q 'stdin_timeout_ms' "$T/capture.log"
check "log lines carry no payload" sh -c "! grep -q 4f1c2e9a '$T/capture.log'"
printf '{"capture": {"field_max": "1k"}}' >"$T/good.conf"
HOOKWIRE_NO_SUCH_VARIABLE=1 run_one "$T/in/long.json" -c "$T/good.conf"
jqcheck "unknown variable: a good config file still applies" '.data.s | test("^a{1024}\\[hookwire: truncated")'
# Closed standard descriptors.
before=$(hw_spool_count)
"$H" <&- >&- 2>&- || fail "closed fds: exit $?"
check "closed fds: an empty_input event" test "$(hw_spool_count)" -eq $((before + 1))
# A log file that cannot be opened is not an error either.
run_one "$FIX/sessionstart.json" --log-file /nonexistent/dir/log

# No stray files in the spool's tmp/.
check "spool tmp/ empty" test -z "$(ls "$T/state/spool/tmp")"
hw_done
