#!/bin/bash
# ws-gateway's tokens and cost (spend.c): usage events added up per session,
# per agent and per model, in /api/sessions, the sessions event's entries and
# /metrics; a model without a price gives cost_usd null (never 0) and counts
# as unpriced; StatusLine's total_cost_usd is Claude Code's own figure, the
# latest kept, never added; a restarted gateway has the totals again from the
# ring, while its /metrics counters start afresh (live events only).
. "$(dirname "$0")/lib.sh"

hw_start_router
hw_start_gateway
tok=$(cat "$T/state/token")
api() { curl -s -H "Authorization: Bearer $tok" "http://127.0.0.1:$HW_PORT$1"; }
n=0
send() { # send EVENT AGENT DATA-JSON: one canonical event into the ingest socket
	n=$((n + 1))
	jq -nc --arg ev "$1" --arg ag "$2" --argjson d "$3" --arg id "$(printf '%032x' $((0x5e0000 + n)))" \
		'{id: $id, ts: (now | strftime("%Y-%m-%dT%H:%M:%S.000000Z")), event: $ev, session_id: "spend-s1"}
		 + (if $ag == "" then {} else {agent_id: $ag} end) + {data: $d}' |
		socat -t5 - UNIX-CONNECT:"$T/run/ingest.sock" | grep -q '"accepted"' || fail "ingest of event $n"
}
u() { # u MODEL IN OUT CW CR COST: a usage event's data
	jq -nc --arg m "$1" --argjson i "$2" --argjson o "$3" --argjson w "$4" --argjson r "$5" --argjson c "$6" \
		'{source: "transcript", message_id: ("msg_" + ($i | tostring)), model: $m, input_tokens: $i,
		  output_tokens: $o, cache_creation_input_tokens: $w, cache_read_input_tokens: $r, cost_usd: $c}'
}
send UserPromptSubmit "" '{"prompt":"hello"}'
send usage "" "$(u claude-a 100 10 1000 5000 0.25)"
send usage "" "$(u claude-a 200 20 0 6000 0.5)"
send usage ag1 "$(u claude-b 300 30 3000 0 1.125)"
send usage ag1 "$(u mystery-9 7 1 0 0 null)"
send StatusLine "" '{"cost":{"total_cost_usd":1.5},"context_window":{"context_window_size":200000,"used_percentage":12}}'
send StatusLine "" '{"cost":{"total_cost_usd":2.25},"context_window":{"context_window_size":200000,"used_percentage":14}}'

sess() { api /api/sessions | jq -c '.[] | select(.session_id == "spend-s1") | .usage'; }
messages_counted() { [ "$(sess | jq -r '.messages // 0')" = "$1" ]; }
hw_until 5 "the gateway counted the four usage events" messages_counted 4
s=$(sess)
echo "usage: $s"
jqc() { printf '%s' "$s" | jq -e "$1" >/dev/null; }
check "four messages, their token sums" jqc '.messages == 4 and .input_tokens == 607 and .output_tokens == 61 and .cache_creation_input_tokens == 4000 and .cache_read_input_tokens == 11000'
check "cost: the priced messages' sum, the unpriced one counted apart" jqc '.cost_usd == 1.875 and .unpriced_messages == 1'
check "Claude Code's own cost: the latest StatusLine, not a sum" jqc '.claude_code_cost_usd == 2.25 and .context_window == 200000'
check "per agent: the main thread and ag1" jqc '(.agents | length) == 2 and (.agents[] | select(.agent_id == null) | .messages == 2 and .cost_usd == 0.75) and (.agents[] | select(.agent_id == "ag1") | .messages == 2 and .cost_usd == 1.125 and .unpriced_messages == 1)'
check "per model; a model with no price has cost null" jqc '(.models | length) == 3 and (.models[] | select(.model == "claude-a") | .input_tokens == 300) and (.models[] | select(.model == "mystery-9") | .cost_usd == null and .unpriced_messages == 1)'
m=$(api /metrics)
check "/metrics: tokens by kind and model" grep -q '^hookwire_tokens_total{kind="cache_read",model="claude-a"} 11000$' <<<"$m"
check "/metrics: cost by model" grep -q '^hookwire_cost_usd_total{model="claude-b"} 1.125000000$' <<<"$m"
check "/metrics: the unpriced model" grep -q '^hookwire_usage_unpriced_messages_total{model="mystery-9"} 1$' <<<"$m"
check "/api/sessions needs the token" test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HW_PORT/api/sessions")" = 401

# a restart: the totals come back from the ring; the counters count anew
kill -TERM "$gateway_pid"; wait "$gateway_pid" || true
hw_start_gateway
s=$(sess)
check "after a restart the totals are read again from the ring" jqc '.messages == 4 and .cost_usd == 1.875 and .claude_code_cost_usd == 2.25'
check "and /metrics counts live events only" test -z "$(api /metrics | grep '^hookwire_tokens_total{')"
hw_done
