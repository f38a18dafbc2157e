#!/bin/bash
# test_usage_totals.sh: event-usage beside a real router, hand-written
# transcripts, hook events through the real hook-capture.  The usage events
# count every assistant message once with its last line's figures; the sums
# per session, per subagent and per model, and the running totals, equal
# the transcripts' figures exactly; costs follow prices.conf and a model it
# does not know has cost null; a line written after its hook fired is still
# counted; event-tail --event usage | jq works.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/usagelib.sh"

P=$T/projects
mkdir -p "$P/s1/subagents"
S1=$P/s1.jsonl
A1=$P/s1/subagents/agent-a1.jsonl # where Claude Code puts a subagent's transcript
A2=$P/s1/subagents/agent-a2.jsonl
S2=$P/s2.jsonl

hw_start_router
hw_start_usage

# ---- session s1: main thread, two subagents, three models, one unknown
tother "$S1"
tline "$S1" msg_s1_1 claude-opus-4-5-20251101 10 1 2000 0 null
tline "$S1" msg_s1_1 claude-opus-4-5-20251101 10 1 2000 0 null
tline "$S1" msg_s1_1 claude-opus-4-5-20251101 10 377 2000 0 tool_use # the last line is final
hook SessionStart s1 "$S1" source=startup
hook UserPromptSubmit s1 "$S1" prompt=go
tother "$S1"
tline "$S1" msg_s1_2 claude-opus-4-5-20251101 12 250 0 2000 tool_use - 0
tline "$S1" msg_s1_2 claude-opus-4-5-20251101 12 250 0 2000 tool_use - 0
hook PreToolUse s1 "$S1" tool_name=Agent
hook SubagentStart s1 "$S1" agent_id=a1 agent_type=Explore
tline "$A1" msg_a1_1 claude-haiku-4-5-20251001 100 20 5000 0 tool_use a1 1200
hook PreToolUse s1 "$S1" tool_name=Read agent_id=a1 agent_type=Explore
# read from the path derived from the agent id, before SubagentStop names it
has_usage_of() { usage_events | grep -q "\"message_id\":\"$1\""; }
hw_until 10 "a subagent's usage arrives while it runs" has_usage_of msg_a1_1
tother "$A1"
tline "$A1" msg_a1_2 claude-haiku-4-5-20251001 110 30 0 5000 end_turn a1
hook SubagentStop s1 "$S1" agent_id=a1 agent_type=Explore "agent_transcript_path=$A1"
# a second subagent on a model missing from the price table
hook SubagentStart s1 "$S1" agent_id=a2 agent_type=Plan
tline "$A2" msg_a2_1 claude-unknown-model-9 7 8 9 10 end_turn a2
tline "$A2" msg_a2_2 claude-sonnet-4-5-20250929 1 2 3 4 end_turn a2
hook SubagentStop s1 "$S1" agent_id=a2 agent_type=Plan "agent_transcript_path=$A2"
tother "$S1"
tline "$S1" msg_s1_3 claude-opus-4-5-20251101 14 99 0 4000 end_turn
hook Stop s1 "$S1"

check "s1: 7 usage events" wait_usage 7
check "s1: figures, sums per session/agent/model, running totals and costs match the transcripts" \
	usage_check "s1=$S1,a1=$A1,a2=$A2"
cat "$T/usage.ndjson" >/dev/null

# ---- session s2: the transcript lags its hook
tline "$S2" msg_s2_1 claude-sonnet-4-5-20250929 5 6 7 8 tool_use
hook UserPromptSubmit s2 "$S2" prompt=go
check "s2: the first message" wait_usage 8
hook Stop s2 "$S2"
# written after the Stop hook fired and after its first read: only the
# re-reads (100, 300, 800 ms here) can find it
sleep 0.2
tline "$S2" msg_s2_2 claude-sonnet-4-5-20250929 50 60 70 80 end_turn
check "s2: the message written after its hook is counted, without a further hook" wait_usage 9 5
check "s2 and s1: everything still matches" usage_check "s1=$S1,a1=$A1,a2=$A2" "s2=$S2"

# ---- the figures as jq sees them
got=$(usage_events | jq -r 'select(.session_id == "s1" and .agent_id == "a2") | "\(.data.model) \(.data.cost_usd)"' | sort | tr '\n' ' ')
check "jq: the unknown model has cost null, the known one a number ($got)" \
	test "$got" = "claude-sonnet-4-5-20250929 4.545e-05 claude-unknown-model-9 null "
check "the cost is written as an exact decimal" grep -q '"message_id":"msg_a2_2",.*"cost_usd":0.00004545,' "$T/usage.ndjson"
got=$(usage_events | jq -s '[.[] | select(.session_id == "s1")] | last | .data.totals.session | [.messages, .unpriced_messages, .output_tokens]' | tr -d ' \n')
check "s1's last running total: 7 messages, 1 unpriced, 786 output tokens ($got)" test "$got" = "[7,1,786]"
got=$(usage_events | jq -r 'select(.agent_id == "a1") | .data.agent_type' | sort -u)
check "subagent events carry agent_id and agent_type ($got)" test "$got" = "Explore"
got=$(usage_events | jq -r 'select(.data.message_id == "msg_a1_1") | .data.cache_creation_1h_input_tokens')
check "the 1-hour cache writes are carried ($got)" test "$got" = 1200
n=$("$B/event-tail" | jq -s 'map(select(.event == "usage" and .data.source == "transcript" and (.id | test("^[0-9a-f]{32}$")))) | length')
check "canonical usage events: 32-hex ids, data.source transcript ($n)" test "$n" = 9

# ---- SessionEnd ends the watch; a resumed session goes on counting
hook SessionEnd s1 "$S1" reason=exit
tline "$S1" msg_s1_4 claude-opus-4-5-20251101 1 1 1 1 end_turn
hook SessionStart s1 "$S1" source=resume
hook Stop s1 "$S1"
check "a resumed session's new message" wait_usage 10
check "everything matches after the resume" usage_check "s1=$S1,a1=$A1,a2=$A2" "s2=$S2"
check "event-usage is still running" kill -0 "$usage_pid"

# ---- idle: no timer once the re-reads are over; SIGTERM ends it at once
ticks() { awk '{ print $14 + $15 }' "/proc/$usage_pid/stat"; }
wakes() { awk '/^(non)?voluntary_ctxt_switches/ { n += $2 } END { print n }' "/proc/$usage_pid/status"; }
sleep 1.5 # the last re-read is 1.2 s after the last hook here
t0=$(ticks) w0=$(wakes)
sleep 3
t1=$(ticks) w1=$(wakes)
echo "FIGURE event-usage idle: $((t1 - t0)) CPU ticks, $((w1 - w0)) wake-ups in 3 s"
check "idle: no timer (at most 1 tick and 2 wake-ups in 3 s: $((t1 - t0)), $((w1 - w0)))" \
	test $((t1 - t0)) -le 1 -a $((w1 - w0)) -le 2
s0=$(date +%s%N)
kill -TERM "$usage_pid"
wait "$usage_pid"
rc=$?
s1=$(date +%s%N)
check "SIGTERM while idle: exit 0 ($rc) within 1 s ($(((s1 - s0) / 1000000)) ms)" test $rc -eq 0 -a $(((s1 - s0) / 1000000)) -lt 1000
grep -q '"level":"error"' "$T/usage.log" && fail "errors in the usage log: $(grep '"level":"error"' "$T/usage.log" | head -3)"
hw_done
