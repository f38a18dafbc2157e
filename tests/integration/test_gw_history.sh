#!/bin/bash
# ws-gateway reads the event store (gateway.store) for what has left the ring:
#   1. with no store yet, get_history answers from the ring only;
#   2. events that left a 64 KiB ring come back from the store, in seq
#      order with no duplicate, then the ring's: {since} and the last
#      {limit}; a session filter holds on both parts;
#   3. a token scoped to one session sees only it, from the store too, and
#      as many events as it asked for (the store counts its rows only);
#   4. search: hits with their markers, newest first, limit and more, scoped;
#   5. history_sessions over days: limit, more, a range, scoped;
#   6. recovery of an offset the ring no longer holds: from the store, no gap;
#   7. /metrics counts the store questions (result="ok");
#   8. a recovery waits for a store that never answers at most
#      API_CATCHUP_MS: then the ring's events, and a gap for the rest.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storelib.sh"
export HOOKWIRE_RING_SIZE=64k HOOKWIRE_STORE_COMMIT_MS=50
export PAD=200

# hist ARGS_JSON: the get_history ack's seqs, one a line (a socket.io-client)
hist() {
	node -e '
const { io } = require(process.argv[1] + "/tests/node_modules/socket.io-client");
const s = io(process.argv[2], { auth: { token: process.argv[3] }, transports: ["websocket"] });
s.on("connect", () => s.emit("get_history", JSON.parse(process.argv[4]), (evs) => {
	for (const e of evs) console.log(e.error ? "error:" + e.error : e.seq + " " + e.session_id);
	s.close(); process.exit(0);
}));
s.on("connect_error", (e) => { console.error(e.message); process.exit(1); });
setTimeout(() => process.exit(2), 10000);
' "$SRC" "$HW_URL" "${2:-$HW_TOKEN}" "$1"
}

# jqf FILTER FILE [JQ ARGS]: FILE is not empty and FILTER is true of it (jq -e
# alone passes on an empty file, as from a client that failed)
jqf() { [ -s "$2" ] && jq -e "${@:3}" "$1" "$2" >/dev/null; }

# a token scoped to sess-2 ($STATEDIR/tokens)
SCOPED=5c0bed5c0bed5c0bed5c0bed5c0bed00
mkdir -p "$T/state"
echo "$SCOPED sess-2" >"$T/state/tokens"
chmod 600 "$T/state/tokens"

# search ARGS_JSON [TOKEN]: the search ack as JSON
# ask EVENT ARGS_JSON [TOKEN]: the ack as JSON
ask() {
	node -e '
const { io } = require(process.argv[1] + "/tests/node_modules/socket.io-client");
const s = io(process.argv[2], { auth: { token: process.argv[3] }, transports: ["websocket"] });
s.on("connect", () => s.emit(process.argv[5], JSON.parse(process.argv[4]), (a) => {
	console.log(JSON.stringify(a)); s.close(); process.exit(0);
}));
setTimeout(() => process.exit(2), 10000);
' "$SRC" "$HW_URL" "${3:-$HW_TOKEN}" "$2" "$1"
}

search() {
	node -e '
const { io } = require(process.argv[1] + "/tests/node_modules/socket.io-client");
const s = io(process.argv[2], { auth: { token: process.argv[3] }, transports: ["websocket"] });
s.on("connect", () => s.emit("search", JSON.parse(process.argv[4]), (a) => {
	console.log(JSON.stringify(a)); s.close(); process.exit(0);
}));
setTimeout(() => process.exit(2), 10000);
' "$SRC" "$HW_URL" "${2:-$HW_TOKEN}" "$1"
}

hw_start_router
hw_start_gateway
store_feed 1 1000
first=$("$B/event-tail" | head -n1 | jq .seq)
check "the ring lapped (oldest held $first)" test "$first" -gt 100
hist '{"since":0,"limit":50}' >"$T/h0"
check "no store: the ring only" test "$(head -n1 "$T/h0" | cut -d' ' -f1)" = "$first"

hw_start_store
check "the store follows" store_wait_indexed 1000
hist '{"since":0,"limit":50}' >"$T/h1"
check "since 0: 1..50 from the store" cmp -s <(cut -d' ' -f1 "$T/h1") <(seq 1 50)
hist "{\"since\":$((first - 11)),\"limit\":20}" >"$T/h2"
check "across the ring's edge: $((first - 10))..$((first + 9)) once, in order" \
	cmp -s <(cut -d' ' -f1 "$T/h2") <(seq $((first - 10)) $((first + 9)))
hist '{"limit":1000}' >"$T/h3"
check "the last 1000: 1..1000 once, in order" cmp -s <(cut -d' ' -f1 "$T/h3") <(seq 1 1000)
hist '{"since":0,"limit":1000,"session":"sess-1"}' >"$T/h4"
check "session filter on store and ring" cmp -s <(cut -d' ' -f1 "$T/h4") <(seq 1 3 1000)
check "only sess-1" test -z "$(grep -v ' sess-1$' "$T/h4")"
hist '{"since":0,"limit":1000}' "$SCOPED" >"$T/h5"
check "a scoped token: sess-2 only, from store and ring" cmp -s <(cut -d' ' -f1 "$T/h5") <(seq 2 3 1000)
hist '{"limit":100}' "$SCOPED" >"$T/h5b"
check "a scoped token's last 100: all 100 of sess-2, though most of the store's rows are not" \
	cmp -s <(cut -d' ' -f1 "$T/h5b") <(seq 701 3 998)
hist '{"since":0,"limit":1000,"session":"sess-1"}' "$SCOPED" >"$T/h6"
check "a scoped token asking for another session gets nothing" test ! -s "$T/h6"
search '{"q":"rm -rf"}' >"$T/s1"
check "search: event 7 (left the ring) with its hit between \\u0002 and \\u0003" jqf \
	'.more == false and (.hits | length) == 1 and .hits[0].seq == 7 and .hits[0].event.seq == 7 and (.hits[0].snippet | contains("\u0002rm -rf\u0003"))' "$T/s1"
search '{"q":"echo 9","limit":3}' >"$T/s2"
check "search: newest first, limit and more" jqf '.more == true and ([.hits[].seq] == [999, 998, 997] or ([.hits[].seq] | . == (sort | reverse)))' "$T/s2"
search '{"q":"echo 9","limit":1000}' "$SCOPED" >"$T/s3"
check "search with a scoped token: sess-2 hits only" jqf '(.hits | length) > 0 and all(.hits[]; .event.session_id == "sess-2")' "$T/s3"
ask history_sessions '{}' >"$T/d1"
check "history_sessions: the three, 1000 events, most recent first" jqf \
	'.more == false and ([.sessions[].session_id] | sort) == ["sess-0","sess-1","sess-2"] and ([.sessions[].events] | add) == 1000 and ([.sessions[].last_seq] == [1000, 999, 998])' "$T/d1"
ask history_sessions '{"limit":2}' >"$T/d2"
check "history_sessions: limit and more" jqf '.more == true and (.sessions | length) == 2' "$T/d2"
ask history_sessions "{\"from\":\"$(date -u -d '-3 days' +%F)\",\"to\":\"$(date -u -d '-2 days' +%F)\"}" >"$T/d3"
check "history_sessions: a range of days with none" jqf '.sessions == []' "$T/d3"
ask history_sessions '{"from":"3d"}' "$SCOPED" >"$T/d4"
check "history_sessions with a scoped token: sess-2 only" jqf '[.sessions[].session_id] == ["sess-2"]' "$T/d4"
# offline_client FIRST LAST WHILE_OFFLINE LIMIT_MS: a socket.io-client with
# connection-state recovery gets event FIRST, goes offline while the shell
# command WHILE_OFFLINE runs (it feeds up to LAST), reconnects and waits for
# LAST; prints {recovered, ms (from reconnecting), got, gaps}.  Exits 2 after
# LIMIT_MS.
offline_client() {
	node -e '
const { io } = require(process.argv[1] + "/tests/node_modules/socket.io-client");
const { execSync } = require("child_process");
const [first, last, offline, limit] = [+process.argv[4], +process.argv[5], process.argv[6], +process.argv[7]];
const s = io(process.argv[2], { auth: { token: process.argv[3] }, transports: ["websocket"], reconnection: false });
const got = [], gaps = [];
s.on("claude_event", (e) => got.push(e.seq));
s.on("gap", (g) => gaps.push(g));
const until = async (c) => { for (let i = 0; i < 200 && !c(); i++) await new Promise((r) => setTimeout(r, 50)); };
s.once("connect", async () => {
	execSync("store_feed " + first + " 1", { shell: "/bin/bash" });
	await until(() => got.length >= 1);
	s.disconnect();
	execSync(offline, { shell: "/bin/bash" });
	const t0 = Date.now();
	s.once("connect", async () => {
		await until(() => got.includes(last));
		console.log(JSON.stringify({ recovered: s.recovered, ms: Date.now() - t0, got, gaps }));
		process.exit(0);
	});
	s.connect();
});
setTimeout(() => process.exit(2), limit);
' "$SRC" "$HW_URL" "$HW_TOKEN" "$@"
}

# recovery: a client offline while the ring laps gets what it missed from the store
export B T HOOKWIRE_RUNDIR
export -f store_feed store_stat
offline_client 1001 2001 \
	'store_feed 1002 1000; for i in $(seq 600); do [ "$(store_stat newest)" = 2001 ] && break; sleep 0.1; done' \
	60000 >"$T/r1"
first=$("$B/event-tail" | head -n1 | jq .seq)
check "recovery: the ring lapped while offline (oldest held $first)" test "$first" -gt 1002
check "recovery: socket.recovered, every missed event once, in order, no gap" jqf \
	'.recovered == true and .gaps == [] and .got == [range(1001; 2002)]' "$T/r1"
check "/metrics counts store questions" sh -c \
	"curl -s '$HW_URL/metrics' | grep -q 'hookwire_gateway_store_queries_total{result=\"ok\"} [1-9]'"

# a store that never answers (a FIFO nobody writes: the worker blocks in
# open(2)): a recovery gets the ring's events and a gap after API_CATCHUP_MS
hw_stop "$gateway_pid"
mkfifo "$T/stuck.db"
HOOKWIRE_GATEWAY_STORE=$T/stuck.db hw_start_gateway
offline_client 2002 3002 'store_feed 2003 1000' 30000 >"$T/r2" || true
first=$("$B/event-tail" | head -n1 | jq .seq)
check "stuck store: the recovery ends within 5 s (ring's oldest $first)" jqf '.ms < 5000' "$T/r2"
check "stuck store: the ring's events once, in order, after a gap for what it lacks" jqf \
	'.recovered == true and .gaps == [{"from": 2003, "to": ($f - 1)}] and .got == [2002] + [range($f; 3003)]' "$T/r2" --argjson f "$first"
check "stuck store: the gateway logged it" grep -q store_slow "$T/gateway.log"
# the worker goes on: its open(2) returns, the empty file is no store
timeout 10 sh -c ": >'$T/stuck.db'"
hw_done
