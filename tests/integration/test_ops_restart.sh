#!/bin/bash
# test_ops_restart.sh: the supervisor (contrib/hookwire) keeps the pipeline
# whole while stages restart.  Hooks fire in a loop (real hook-capture
# processes) while we run "hookwire restart router", "hookwire restart
# gateway" and SIGKILL the router (the supervise loop restarts it).  At the
# end the journal and event-tail hold every event exactly once, in sequence
# order, and a socket.io-client watcher that connected before the restarts
# received every event exactly once (connection-state recovery).
. "$(dirname "$0")/lib.sh"
# Failures are counted by check/fail (hw_done), not by set -e.
set +e

hw_need_bins event-router ws-gateway hook-capture event-tail

# A fixed free port: the watcher must find the restarted gateway again.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$T/hw.conf" <<EOF
# test config (YAML)
gateway:
  listen: 127.0.0.1:$PORT
  port_tries: 0
EOF
H() { sh "$SRC/contrib/hookwire" --bindir "$B" -c "$T/hw.conf" "$@"; }

ops_cleanup() {
	H stop >/dev/null 2>&1 || true
	# Anything left (a loop that would not stop): by pid, from the pidfiles.
	for f in "$T"/run/supervise-*.pid "$T"/run/event-router.pid "$T"/run/ws-gateway.pid \
		"$T"/run/event-usage.pid; do
		[ -r "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
	done
	hw_cleanup
}
trap ops_cleanup EXIT

# pid_of STAGE: the daemon pid from its pidfile.
pid_of() { cat "$T/run/$1.pid" 2>/dev/null || true; }

check "hookwire start brings up router and gateway" H start
check "hookwire status exits 0 when all stages run" H status
rpid=$(pid_of event-router)
gpid=$(pid_of ws-gateway)
out=$(H start 2>&1)
echo "$out"
check "a second start says the stages already run" grep -q "already running" <<<"$out"
check "a second start does not start a second router" test "$(pid_of event-router)" = "$rpid"
check "the gateway listens on the configured port" test "$(cat "$T/run/gateway.port")" = "$PORT"
TOKEN=$(cat "$T/state/token")

# The watcher: connects before the restarts, records every claude_event
# (its data.prompt marker and seq), until it sees the sentinel.
cat >"$T/watch.mjs" <<'EOF'
import fs from "node:fs";
import { createRequire } from "node:module";
const require = createRequire(process.env.HOOKWIRE_SRC + "/tests/package.json");
const { io } = require("socket.io-client");
const [url, token, out] = process.argv.slice(2);
const s = io(url, { auth: { token }, transports: ["websocket"], reconnectionDelay: 100, reconnectionDelayMax: 500 });
const seen = [];
let connects = 0, recovered = 0;
const done = (code) => {
  fs.writeFileSync(out, seen.join("\n") + (seen.length ? "\n" : ""));
  console.log(`watcher: ${seen.length} events, ${connects} connects, ${recovered} recovered`);
  s.close();
  process.exit(code);
};
s.on("connect", () => {
  connects++;
  if (s.recovered) recovered++;
  if (connects === 1) {
    fs.writeSync(3, "1\n"); // readiness, on the fd the test reads
    fs.closeSync(3);
  }
});
s.on("gap", (g) => console.log("watcher: gap", JSON.stringify(g)));
s.on("claude_event", (ev) => {
  const p = ev && ev.data && ev.data.prompt;
  if (p === "ops-sentinel") done(0);
  if (typeof p === "string" && p.startsWith("ops-restart-")) seen.push(`${p} ${ev.seq}`);
});
setTimeout(() => { console.log("watcher: timed out"); done(1); }, 120000);
EOF
mkfifo "$T/watched.ready"
node "$T/watch.mjs" "http://127.0.0.1:$PORT" "$TOKEN" "$T/watched" 3>"$T/watched.ready" >"$T/watch.log" 2>&1 &
wpid=$!
HW_PIDS="$HW_PIDS $wpid"
# its readiness line once connected (end of file if it exits first)
check "the watcher connected" test "$(timeout 10 head -n1 "$T/watched.ready")" = 1

# fire TAG: hook-capture runs, one after the other, until $T/stop-firing
# exists; each must exit 0.  The markers fired go to $T/fired.TAG.
TMPL=$(jq -c '.prompt = "@MARK@"' "$FIX/userpromptsubmit.json")
fire() {
	i=0
	while [ ! -e "$T/stop-firing" ] || [ $i -lt 20 ]; do
		i=$((i + 1))
		m=ops-restart-$1-$i
		printf '%s\n' "${TMPL/@MARK@/$m}" | "$B/hook-capture" ||
			echo "hook-capture exited $? ($m)" >>"$T/fire.err"
		echo "$m" >>"$T/fired.$1"
	done
}
fire a & f1=$!
fire b & f2=$!
HW_PIDS="$HW_PIDS $f1 $f2"

# Let some events through, then restart each stage while the hooks fire.
wait_lines() { hw_until 30 "" hw_journal_has "$1"; }
# more_events: waits until 20 more events are in the journal.
more_events() { wait_lines $(($(hw_journal | wc -l) + 20)); }
wait_lines 20 || fail "no events reached the journal before the restarts"
check "hookwire restart router" H restart router
check "restart gave the router a new pid" test "$(pid_of event-router)" != "$rpid"
more_events || fail "events stopped after the router restart"
check "hookwire restart gateway" H restart gateway
check "restart gave the gateway a new pid" test "$(pid_of ws-gateway)" != "$gpid"
check "the restarted gateway is on the same port" test "$(cat "$T/run/gateway.port")" = "$PORT"

# A crash: the supervise loop restarts the router by itself.
more_events || fail "events stopped after the gateway restart"
rpid=$(pid_of event-router)
kill -KILL "$rpid"
hw_until 10 "the supervisor restarted the killed router" hw_pidfile_changed event-router "$rpid"
st=$(H status)
echo "$st"
check "status counts the restart" grep -Eq '^router +up +[0-9]+ +[^ ]+ +1 ' <<<"$st"

# A few more events after the last restart, then stop firing.
more_events || fail "events stopped after the router was killed"
touch "$T/stop-firing"
wait "$f1" "$f2"
check "every hook-capture exited 0" test ! -s "$T/fire.err"
total=$(cat "$T/fired.a" "$T/fired.b" | wc -l)
echo "fired $total events"

# Everything spooled while the router was down is drained.
all_journalled() { [ "$(hw_journal | grep -c '"ops-restart-')" -ge "$total" ] && hw_spool_empty; }
hw_until 20 "the spool is empty, every event fired in the journal" all_journalled

jq -c --arg p ops-sentinel '.prompt = $p' "$FIX/userpromptsubmit.json" | "$B/hook-capture"

# expect_once NAME FILE: FILE ("marker seq" lines) has every marker exactly once.
expect_once() {
	e_n=$(cut -d' ' -f1 "$2" | sort | uniq | wc -l)
	e_d=$(cut -d' ' -f1 "$2" | sort | uniq -d | wc -l)
	e_l=$(wc -l <"$2")
	echo "$1: $e_l lines, $e_n distinct markers, $e_d duplicated"
	check "$1 has all $total events" test "$e_n" -eq $total
	check "$1 has no event twice" test "$e_d" -eq 0 -a "$e_l" -eq $total
}
hw_journal | jq -r 'select(.data.prompt | startswith("ops-restart-")) | "\(.data.prompt) \(.seq)"' >"$T/journal.list"
expect_once journal "$T/journal.list"
cut -d' ' -f2 "$T/journal.list" >"$T/journal.seqs"
check "journal seqs strictly increase" sort -n -c -u "$T/journal.seqs"
"$B/event-tail" --since 0 | jq -r 'select(.data.prompt | startswith("ops-restart-")) | "\(.data.prompt) \(.seq)"' >"$T/tail.list"
expect_once event-tail "$T/tail.list"
check "event-tail and the journal agree" diff -u "$T/journal.list" "$T/tail.list"

wait "$wpid"
wrc=$?
cat "$T/watch.log"
check "the watcher ended on the sentinel" test $wrc -eq 0
sort -k2n "$T/watched" >"$T/watched.list"
expect_once watcher "$T/watched.list"
check "the watcher saw the journal's seqs" diff -u "$T/journal.list" "$T/watched.list"

rpid=$(pid_of event-router)
check "hookwire stop" H stop
check "status exits non-zero when the stages are down" bash -c '! sh "$1" status' _ "$SRC/contrib/hookwire"
check "the router is gone" bash -c '! kill -0 "$1" 2>/dev/null' _ "${rpid:-999999999}"
hw_done
