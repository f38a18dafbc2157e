#!/bin/bash
# test_usage_restart.sh: restarts neither lose nor double a message.
#  1. event-usage killed (SIGKILL) while hooks and transcript lines keep
#     coming: the new instance resumes from its state and the ring
#  2. SIGTERM right after a hook: it stops cleanly, the next one catches up
#  3. a crash that lost the state written after a batch (the old state put
#     back): the batch is made again with the same ids and the router drops
#     every copy as a duplicate
#  4. the router killed while event-usage has usage events to send: they
#     wait and are delivered once the router is back
#  5. event-usage killed while events wait for the router: made again by
#     the next start, since the state is never written past undelivered events
# Every time, each message of the transcripts is in the ring exactly once
# and the running totals equal the sums.
. "$(dirname "$0")/lib.sh"
export HOOKWIRE_USAGE_REREAD_MS=100,300,2500
. "$(dirname "$0")/usagelib.sh"

R=$T/r1.jsonl
A=$T/r1/subagents/agent-ab.jsonl
mkdir -p "$T/r1/subagents"
specs() { usage_check "r1=$R,ab=$A"; }
msgs() { # msgs FROM TO: messages FROM..TO in the main transcript
	for i in $(seq "$1" "$2"); do
		tother "$R"
		tline "$R" "msg_r_$i" claude-opus-4-5-20251101 $((i * 3)) 1 $((i * 100)) $((i * 1000)) null
		tline "$R" "msg_r_$i" claude-opus-4-5-20251101 $((i * 3)) $((i * 7)) $((i * 100)) $((i * 1000)) tool_use
	done
}

hw_start_router
hw_start_usage
msgs 1 3
hook SessionStart r1 "$R"
hook Stop r1 "$R"
check "3 messages" wait_usage 3

# ---- 1. SIGKILL, then hooks and lines while it is away
hw_stop "$usage_pid" KILL
msgs 4 6
hook UserPromptSubmit r1 "$R" prompt=more
tline "$A" msg_ab_1 claude-haiku-4-5-20251001 5 5 5 5 end_turn ab
hook SubagentStart r1 "$R" agent_id=ab agent_type=Explore
hook SubagentStop r1 "$R" agent_id=ab "agent_transcript_path=$A"
msgs 7 8
hook Stop r1 "$R"
hw_start_usage
check "after SIGKILL and restart: 9 messages" wait_usage 9
check "each once, totals equal the sums (SIGKILL)" specs

# ---- 2. SIGTERM right after a hook: clean stop, the next start catches up
msgs 9 10
hook Stop r1 "$R"
hw_stop "$usage_pid" TERM
check "SIGTERM: a clean stop" grep -q '"msg":"main: stopped"' "$T/usage.log"
hw_start_usage
check "after SIGTERM and restart: 11 messages" wait_usage 11
check "each once, totals equal the sums (SIGTERM)" specs

# ---- 3. the state written after a batch is lost: the batch comes again
cp -a "$T/state/usage" "$T/usage-before"
msgs 11 13
hook Stop r1 "$R"
check "3 more messages" wait_usage 14
hw_stop "$usage_pid" TERM
rm -rf "$T/state/usage"
cp -a "$T/usage-before" "$T/state/usage"
: >"$T/usage.log"
hw_start_usage
# the three are made again, sent, and dropped by the router as duplicates:
# asked for its status line (SIGUSR1) until it says so
says_3_duplicates() {
	grep -q '"msg":"follow_status: .* 3 duplicate' "$T/usage.log" || { kill -USR1 "$usage_pid"; false; }
}
HW_POLL=0.1 hw_until 10 "the batch made again was sent and dropped as 3 duplicates" says_3_duplicates
check "still each once, totals equal the sums (old state)" specs

# ---- 4. the router killed while a usage event is due: the hook is in
# the ring (hook-capture had its ack), the messages are complete only when
# the reads after it settle them, by then the router is gone
msgs 14 15
hook Stop r1 "$R"
hw_stop "$router_pid" KILL
# waits_logged N: event-usage logged N times or more that events wait for the router
waits_logged() { [ "$(grep -c 'usage events wait, retrying' "$T/usage.log")" -ge "$1" ]; }
hw_until 10 "the usage events wait while the router is away" waits_logged 1
hw_start_router
check "delivered once the router is back" wait_usage 16
check "each once, totals equal the sums (router restart)" specs
check "the usage log says the router is back" grep -q 'router back' "$T/usage.log"

# ---- 5. killed while usage events wait for the router: the state was not
# written past them, so the next start makes them again
msgs 16 17
hook Stop r1 "$R"
hw_stop "$router_pid" KILL
hw_until 10 "events wait for the router again" waits_logged 2
hw_stop "$usage_pid" KILL
hw_start_router
hw_start_usage
check "after the kill, the waiting events are made again and delivered" wait_usage 18
check "each once, totals equal the sums (killed while events waited)" specs
hw_done
