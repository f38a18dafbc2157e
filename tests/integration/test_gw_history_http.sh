#!/bin/bash
# /api/events and /api/sessions read the event store (gateway.store) for
# what has left the ring, as get_history and history_sessions do (curl, a
# real router, store and gateway, a 64 KiB ring):
#   1. store configured but not there yet: /api/events answers from the
#      ring as before; q= says the store cannot be read (503); with
#      gateway.store off, q= is 501;
#   2. events that left the ring come back: since, across the ring's edge,
#      the last limit, before= paging (oldest first), since+before,
#      session= and event= on both parts;
#   3. q=: full-text hits, the newest limit, oldest first; compress=gzip:
#      the same answers gzip-compressed (NDJSON as it is without a store);
#   4. /api/sessions?from=&to=&project=&limit= from the store; without
#      them, today's table, its most recently active limit= only;
#   5. a token scoped to one session sees only it, from the store too;
#   6. bad parameters: 400 with a message naming the parameter;
#   7. two requests on one keep-alive connection are answered in order;
#      clients that go away before the store answers do not hurt the
#      gateway;
#   8. a store that does not answer: a full queue is 503 with Retry-After,
#      and what was queued is answered from the ring when the worker is
#      done.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storelib.sh"
hw_need_bins event-router event-store ws-gateway event-tail event-query
hw_need_cmds curl jq
export HOOKWIRE_RING_SIZE=64k HOOKWIRE_STORE_COMMIT_MS=50
export PAD=200

SCOPED=5c0bed5c0bed5c0bed5c0bed5c0bed01
mkdir -p "$T/state"
echo "$SCOPED sess-2" >"$T/state/tokens"
chmod 600 "$T/state/tokens"

# api PATH [TOKEN]: the body of GET PATH (curl fails on a status >= 400)
api() { curl -sf -H "Authorization: Bearer ${2:-$HW_TOKEN}" "$HW_URL$1"; }
# seqs PATH [TOKEN]: the seqs /api/events answers, one a line
seqs() { api "$1" "${2:-}" | jq .seq; }
# status PATH: "CODE BODY" of GET PATH
status() {
	curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $HW_TOKEN" "$HW_URL$1"
	printf ' %s' "$(cat "$T/body")"
}
# jqe FILTER FILE [JQ ARGS]: FILE holds JSON for which FILTER is true (jq -e
# alone passes on empty input, as from a request that failed)
jqe() { local f=$1 j; j=$(cat "$2") && shift 2 && [ -n "$j" ] && jq -e "$@" "$f" <<<"$j" >/dev/null; }
# is_status PATH CODE TEXT: GET PATH answers CODE with TEXT in its body
is_status() { st=$(status "$1"); [ "${st%% *}" = "$2" ] && [[ $st == *"$3"* ]] || { echo "got: $st"; return 1; }; }

hw_start_router
hw_start_gateway
store_feed 1 1000
first=$("$B/event-tail" | head -n1 | jq .seq)
check "the ring lapped (oldest held $first)" test "$first" -gt 100
check "no store yet: the ring only" test "$(seqs '/api/events?since=0&limit=5' | head -n1)" = "$first"
check "no store yet: the last 5 from the ring" cmp -s <(seqs '/api/events?limit=5') <(seq 996 1000)
check "no store yet: q= is 503, the store cannot be read" is_status '/api/events?q=echo' 503 "cannot be read"

hw_start_store
check "the store follows" store_wait_indexed 1000
check "since 0: 1..50 from the store" cmp -s <(seqs '/api/events?since=0&limit=50') <(seq 1 50)
check "across the ring's edge: $((first - 10))..$((first + 9)) once, in order" \
	cmp -s <(seqs "/api/events?since=$((first - 11))&limit=20") <(seq $((first - 10)) $((first + 9)))
check "the last 1000: 1..1000 once, in order" cmp -s <(seqs '/api/events?limit=1000') <(seq 1 1000)
check "before=500&limit=100: 400..499, oldest first" \
	cmp -s <(seqs '/api/events?before=500&limit=100') <(seq 400 499)
check "the next page, before=400: 300..399" \
	cmp -s <(seqs '/api/events?before=400&limit=100') <(seq 300 399)
check "before across the ring's edge: ring and store, once, in order" \
	cmp -s <(seqs "/api/events?before=$((first + 5))&limit=20") <(seq $((first - 15)) $((first + 4)))
check "before=1: nothing" test -z "$(api '/api/events?before=1')"
check "since=10&before=20: 11..19" cmp -s <(seqs '/api/events?since=10&before=20') <(seq 11 19)
check "session filter on store and ring" \
	cmp -s <(seqs '/api/events?since=0&limit=1000&session=sess-1') <(seq 1 3 1000)
check "event filter on store and ring" \
	cmp -s <(seqs '/api/events?since=0&limit=1000&event=PostToolUseFailure') <(seq 10 10 1000)
check "q=rm -rf: event 7, which left the ring" cmp -s <(seqs '/api/events?q=rm%20-rf') <(echo 7)
check "q=echo 9&limit=3: the newest three hits, oldest first" \
	cmp -s <(seqs '/api/events?q=echo+9&limit=3') <(seq 997 999)
check "q= with before: the newest hits below it" \
	cmp -s <(seqs '/api/events?q=echo+9&limit=2&before=950') <(seq 948 949)
check "q= with session=: that session's hits only" \
	test "$(api '/api/events?q=echo+9&limit=1000&session=sess-0' | jq -r .session_id | sort -u)" = sess-0
# compress=gzip: the same answer, gzip-compressed on the store's worker
# gz_same QUERY: /api/events?QUERY&compress=gzip is application/gzip and
# inflates to what /api/events?QUERY answers
gz_same() {
	local type
	type=$(curl -sf -o "$T/gz.raw" -w '%{content_type}' -H "Authorization: Bearer $HW_TOKEN" \
		"$HW_URL/api/events?$1&compress=gzip") || return 1
	[ "$type" = application/gzip ] || { echo "Content-Type $type"; return 1; }
	gzip -dc "$T/gz.raw" >"$T/gz" && api "/api/events?$1" >"$T/plain" && [ -s "$T/plain" ] &&
		cmp -s "$T/gz" "$T/plain"
}
for q in "since=0&limit=1000" "since=$((first - 11))&limit=20" "limit=1000" "before=500&limit=100" \
	"since=$((first + 5))&limit=5" "q=echo+9&limit=3"; do
	check "compress=gzip, $q: gzip, the same events" gz_same "$q"
done
gz_same 'since=0&limit=1000'
check "compress=gzip: a fifth of the bytes or less for 1000 events ($(stat -c %s "$T/gz.raw") of $(stat -c %s "$T/plain"))" \
	test "$(stat -c %s "$T/gz.raw")" -le "$(($(stat -c %s "$T/plain") / 5))"
check "compress=deflate: 400 naming compress" is_status '/api/events?since=0&compress=deflate' 400 "bad compress"
# Hookwire-Last-Seq: the seq of the answer's last event, in its head (the
# dashboard asks for the next page with it before the body is in); none
# for an empty answer
# last_seq_ok QUERY: the header of /api/events?QUERY is the last line's seq
last_seq_ok() {
	local h want
	curl -sf -D "$T/ls.h" -o "$T/ls.raw" -H "Authorization: Bearer $HW_TOKEN" "$HW_URL/api/events?$1" || return 1
	case "$1" in *compress=gzip*) gzip -dc "$T/ls.raw" >"$T/ls" ;; *) cp "$T/ls.raw" "$T/ls" ;; esac
	h=$(tr -d '\r' <"$T/ls.h" | sed -n 's/^[Hh]ookwire-[Ll]ast-[Ss]eq: //p')
	want=$(tail -n 1 "$T/ls" | jq -r 'select(.seq != null) | .seq')
	[ -n "$want" ] && [ "$h" = "$want" ] || { echo "header '$h', last line's seq '$want'"; return 1; }
}
for q in "since=0&limit=700" "since=$((first - 11))&limit=20&compress=gzip" "limit=100" \
	"before=500&limit=100&compress=gzip" "q=echo+9&limit=3"; do
	check "Hookwire-Last-Seq, $q: the last event's seq" last_seq_ok "$q"
done
check "Hookwire-Last-Seq: none on an empty answer" sh -c \
	"! curl -sf -D - -o /dev/null -H 'Authorization: Bearer $HW_TOKEN' '$HW_URL/api/events?since=100000' | grep -qi '^hookwire-last-seq'"

# sessions
api '/api/sessions?from=3d' >"$T/d1"
check "/api/sessions?from=3d: the three, 1000 events, most recent first" jqe \
	'.more == false and ([.sessions[].session_id] | sort) == ["sess-0","sess-1","sess-2"] and ([.sessions[].events] | add) == 1000 and ([.sessions[].last_seq] == [1000, 999, 998])' "$T/d1"
api '/api/sessions?from=3d&limit=2' >"$T/d2"
check "/api/sessions: limit and more" jqe '.more == true and (.sessions | length) == 2' "$T/d2"
api "/api/sessions?from=$(date -u -d '-3 days' +%F)&to=$(date -u -d '-2 days' +%F)" >"$T/d3"
check "/api/sessions: a range of days with none" jqe '.sessions == [] and .more == false' "$T/d3"
proj=$(jq -r '.sessions[0].project' "$T/d1")
api "/api/sessions?project=$proj" >"$T/d4"
check "/api/sessions?project=$proj: its sessions only" jqe \
	'(.sessions | length) > 0 and all(.sessions[]; .project == $p)' "$T/d4" --arg p "$proj"
check "/api/sessions?project=/nowhere: none" jqe '.sessions == []' <(api '/api/sessions?project=/nowhere')
check "/api/sessions with none of from, to, project: the table as before" \
	jqe 'type == "array" and length == 3 and all(.[]; has("state"))' <(api '/api/sessions')
# sess-1 has the last event (seq 1000), then sess-0 (999); sess-2 (998) was seen before sess-0
check "/api/sessions?limit=1 without from, to: the most recently active from the table" \
	jqe 'type == "array" and length == 1 and .[0].session_id == "sess-1" and (.[0] | has("state"))' \
	<(api '/api/sessions?limit=1')
# the table's order is the order the gateway first saw them in, which
# depends on where it began to read the lapping ring: taken from the table
check "/api/sessions?limit=2 without from, to: the two most recently active, in table order" \
	jqe '[.[].session_id] == $t' <(api '/api/sessions?limit=2') \
	--argjson t "$(api '/api/sessions' | jq -c '[.[].session_id | select(. == "sess-1" or . == "sess-0")]')"
check "/api/sessions?limit=0 without from, to: 400 naming limit" is_status '/api/sessions?limit=0' 400 "bad limit"

# a scoped token
check "scoped: sess-2 only, from store and ring" \
	cmp -s <(seqs '/api/events?since=0&limit=1000' "$SCOPED") <(seq 2 3 1000)
check "scoped: the last 100 of sess-2 (before=)" \
	cmp -s <(seqs '/api/events?before=400&limit=100' "$SCOPED") <(seq 101 3 399)
check "scoped, asking for another session: nothing" \
	test -z "$(api '/api/events?since=0&limit=1000&session=sess-1' "$SCOPED")"
check "scoped q=: sess-2 hits only" \
	test "$(api '/api/events?q=echo+9&limit=1000' "$SCOPED" | jq -r .session_id | sort -u)" = sess-2
check "scoped /api/sessions?from=3d: sess-2 only" \
	jqe '[.sessions[].session_id] == ["sess-2"]' <(api '/api/sessions?from=3d' "$SCOPED")

# bad parameters
check "since=abc: 400 naming since" is_status '/api/events?since=abc' 400 "bad since"
check "before=x: 400 naming before" is_status '/api/events?before=x' 400 "bad before"
check "before=0: 400" is_status '/api/events?before=0' 400 "bad before"
check "since past INT64_MAX: 400" is_status '/api/events?since=9223372036854775808' 400 "bad since"
check "q= empty: 400" is_status '/api/events?q=' 400 "bad q"
check "limit=-1: 400 naming limit" is_status '/api/events?limit=-1' 400 "bad limit"
check "session= too long: 400" is_status "/api/events?session=$(printf 'x%.0s' $(seq 300))" 400 "bad session"
check "q=ab: 400, too short" is_status '/api/events?q=ab' 400 "at least 3"
check "/api/sessions?from=soon: 400 naming from" is_status '/api/sessions?from=soon' 400 "bad from"
check "/api/sessions?limit=0: 400 naming limit" is_status '/api/sessions?from=1d&limit=0' 400 "bad limit"
check "/api/events without the token: 401" test "$(curl -s -o /dev/null -w '%{http_code}' "$HW_URL/api/events?since=0")" = 401

# one connection, two questions sent at once (pipelined): the store's
# answer, then the ring's (at hand at once), in the order asked
/usr/bin/python3 - "$HW_PORT" "$HW_TOKEN" "$first" >"$T/ka" <<'PY'
import socket, sys
port, tok, first = sys.argv[1], sys.argv[2], int(sys.argv[3])
req = "GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tok + "\r\n%s\r\n"
s = socket.create_connection(("127.0.0.1", int(port)))
s.sendall((req % ("/api/events?since=0&limit=3", "") +
           req % ("/api/events?since=%d&limit=2" % first, "Connection: close\r\n")).encode())
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
for line in data.decode().split("\n"):
    if line.startswith("{"):
        print(line)
PY
check "pipelined: 1 2 3 then $((first + 1)) $((first + 2)), on one connection" \
	test "$(jq .seq "$T/ka" | tr '\n' ' ')" = "1 2 3 $((first + 1)) $((first + 2)) "
# clients that leave before the store answers: their answers are dropped
pids=
for i in $(seq 20); do
	curl -s -m 0.01 -H "Authorization: Bearer $HW_TOKEN" "$HW_URL/api/events?q=echo&limit=10000" >/dev/null &
	pids="$pids $!"
done
wait $pids || true # they time out: curl exits 28
check "the gateway lives on after clients left mid-question" \
	cmp -s <(seqs '/api/events?since=0&limit=3') <(seq 1 3)

# a store that never answers (a FIFO nobody writes: the worker blocks in
# open(2)): the questions queue up to STORE_QUEUE_MAX, then 503 with
# Retry-After; once the worker goes on, the queued ones get the ring
hw_stop "$gateway_pid"
mkfifo "$T/stuck.db"
HOOKWIRE_GATEWAY_STORE=$T/stuck.db hw_start_gateway
pids=
for i in $(seq 64); do
	curl -s -m 30 -H "Authorization: Bearer $HW_TOKEN" "$HW_URL/api/events?since=0&limit=2" >"$T/q$i" &
	pids="$pids $!"
done
# busy_503: a question now is answered 503 with Retry-After at once (one that
# is queued instead times out, and takes a place in the queue)
busy_503() {
	[ "$(curl -s -m 1 -D "$T/busy.h" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $HW_TOKEN" \
		"$HW_URL/api/events?since=0&limit=2")" = 503 ] && grep -qi '^Retry-After: 1' "$T/busy.h"
}
hw_until 20 "a full store queue: 503 with Retry-After" busy_503 || true # and unstick the worker below
timeout 10 sh -c ": >'$T/stuck.db'" # the worker's open(2) returns: no store there
wait $pids || true
check "the queued questions: answered from the ring after all" \
	cmp -s <(jq .seq "$T/q1") <(printf '%s\n' "$first" $((first + 1)))

# and a gateway whose worker is stuck still stops when told to
hw_stop "$gateway_pid"
rm -f "$T/stuck.db"
mkfifo "$T/stuck.db"
HOOKWIRE_GATEWAY_STORE=$T/stuck.db hw_start_gateway
curl -s -m 1 -H "Authorization: Bearer $HW_TOKEN" "$HW_URL/api/events?since=0&limit=2" >/dev/null || true
kill -TERM "$gateway_pid"
check "a stuck store worker: the gateway stops on SIGTERM all the same" hw_wait_exit "$gateway_pid" 10
check "... and says why" grep -q store_stuck "$T/gateway.log"
timeout 2 sh -c ": >'$T/stuck.db'" || true # (no reader left: nothing to unstick)

# gateway.store off: q= is not there to be had
HOOKWIRE_GATEWAY_STORE=off hw_start_gateway
check "gateway.store off: q= is 501" is_status '/api/events?q=echo' 501 "event store"
check "gateway.store off: from= is 501" is_status '/api/sessions?from=1d' 501 "event store"
check "gateway.store off: /api/events from the ring" test "$(seqs '/api/events?since=0&limit=1')" = "$first"
check "gateway.store off: compress=gzip answers NDJSON as it is, and says so" test \
	"$(curl -sf -o "$T/nz" -w '%{content_type}' -H "Authorization: Bearer $HW_TOKEN" "$HW_URL/api/events?since=0&limit=1&compress=gzip") $(jq .seq "$T/nz")" = "application/x-ndjson $first"
hw_done
