#!/bin/bash
# event-router dedup keys the content window on what arrived, before
# scrubbing: prompts of one session that differ only in a secret of one kind
# are all delivered, each scrubbed; the same prompt again is still dropped.
. "$(dirname "$0")/lib.sh"

hw_start_router
prompt() { # prompt SECRET
	jq -c --arg p "deploy with $1 now" '.session_id = "dedup-secrets" | .prompt = $p' \
		"$FIX/userpromptsubmit.json" | "$B/hook-capture"
}
keys="sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
sk-ant-oat01-BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB
sk-ant-ort01-CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"
for k in $keys; do prompt "$k"; done
prompt "sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" # a true double delivery
ev=$("$B/event-tail" --session dedup-secrets)
check "three distinct prompts delivered" test "$(printf '%s\n' "$ev" | grep -c UserPromptSubmit)" -eq 3
check "each one scrubbed" test "$(printf '%s\n' "$ev" | jq -r .data.prompt | grep -c '^deploy with \[REDACTED:anthropic-key\] now$')" -eq 3
check "no secret in the ring" test "$(printf '%s\n' "$ev" | grep -c 'sk-ant-')" -eq 0
check "no secret in the journal" test "$(hw_journal | grep -c 'sk-ant-')" -eq 0
check "three in the journal, the repeat dropped" test "$(hw_journal | wc -l)" -eq 3
check "nothing spooled" test "$(hw_spool_count)" -eq 0
hw_done
