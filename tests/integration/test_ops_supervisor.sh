#!/bin/bash
# test_ops_supervisor.sh: the supervisor's promises, with the real daemons:
# usage errors exit 100; a bad configuration (exit 100) is reported and not
# retried; a daemon started by hand is not started twice; a crashed stage is
# restarted with back-off (1 s, then 2 s); "run" prints the dashboard URL and
# the hook install command and stops everything on SIGTERM.
. "$(dirname "$0")/lib.sh"
# Failures are counted by check/fail (hw_done), not by set -e.
set +e

hw_need_bins event-router ws-gateway hook-capture
HW=$SRC/contrib/hookwire
printf 'gateway:\n  listen: 127.0.0.1:0\n' >"$T/good.conf"
printf 'router:\n  no_such_key: 1\n' >"$T/bad.conf"
H() { sh "$HW" --bindir "$B" "$@"; }
sup_cleanup() {
	H -c "$T/good.conf" stop >/dev/null 2>&1 || true
	for f in "$T"/run/supervise-*.pid "$T"/run/event-router.pid "$T"/run/event-store.pid \
		"$T"/run/ws-gateway.pid "$T"/run/event-usage.pid; do
		[ -r "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
	done
	[ -n "${runpid:-}" ] && kill -KILL "$runpid" 2>/dev/null
	hw_cleanup
}
trap sup_cleanup EXIT
pid_of() { cat "$T/run/$1.pid" 2>/dev/null || true; }
# wait_newpid NAME OLD: bounded poll until $T/run/NAME.pid holds a live pid
# other than OLD (a pidfile announces nothing).
wait_newpid() { hw_until 15 "" hw_pidfile_changed "$1" "$2"; }

# Usage.
H bogus >/dev/null 2>&1
check "an unknown command exits 100" test $? -eq 100
H --no-such-flag status >/dev/null 2>&1
check "an unknown flag exits 100" test $? -eq 100
H -i ../x status >/dev/null 2>&1
check "a bad instance name exits 100" test $? -eq 100
check "-h prints the usage" bash -c "sh '$HW' -h | grep -q '^usage: hookwire'"
H status >/dev/null 2>&1
check "status exits 1 when nothing runs" test $? -eq 1

# A bad configuration: reported, not retried.
out=$(H -c "$T/bad.conf" start router 2>&1)
rc=$?
echo "$out"
check "start with a bad config fails" test $rc -ne 0
check "and says it is a usage or configuration error" grep -q "exit 100 (usage or bad configuration)" <<<"$out"
check "and shows the router's message naming the key" grep -q "no_such_key" <<<"$out"
check "no supervise loop is left" test -z "$(cat "$T/run/supervise-router.pid" 2>/dev/null)"
st=$(H status 2>&1)
check "status shows the router failed" grep -Eq '^router +failed' <<<"$st"

# A router started by hand is not started a second time.
hw_start_router
# shellcheck disable=SC2154 # router_pid: set by hw_start (lib.sh)
: "$router_pid"
out=$(H start router 2>&1)
rc=$?
echo "$out"
check "start refuses when the router runs without a supervisor" test $rc -ne 0
check "and names its pid" grep -q "already runs (pid $router_pid) without a supervisor" <<<"$out"
check "the router started by hand still runs" kill -0 "$router_pid"
hw_stop "$router_pid"

# Crashes: restarted after 1 s, then 2 s.
check "start" H -c "$T/good.conf" start
p0=$(pid_of event-router)
t0=$(date +%s%N)
kill -KILL "$p0"
wait_newpid event-router "$p0" || fail "the router was not restarted"
t1=$(date +%s%N)
p1=$(pid_of event-router)
kill -KILL "$p1"
wait_newpid event-router "$p1" || fail "the router was not restarted a second time"
t2=$(date +%s%N)
d1=$(((t1 - t0) / 1000000)) d2=$(((t2 - t1) / 1000000))
echo "restart delays: ${d1} ms, ${d2} ms"
check "the first restart waits at least 1 s" test $d1 -ge 1000
check "the second restart waits at least 2 s (back-off)" test $d2 -ge 2000
check "the log says why" grep -q 'was killed by signal 9.*restart 2 in 2s' "$T/state/log/router.log"
check "status shows 2 restarts" bash -c "sh '$HW' --bindir '$B' status | grep -Eq '^router +up +[0-9]+ +[^ ]+ +2 '"
check "logs shows the router's log" bash -c "sh '$HW' logs router | grep -q '\"component\":\"event-router\"'"

# A crash after which the configuration is bad: the loop gives up.
p=$(pid_of event-router)
sp=$(pid_of supervise-router)
# The loop passes -c good.conf; make that file bad, then crash the router.
cp "$T/good.conf" "$T/good.conf.orig"
cp "$T/bad.conf" "$T/good.conf"
kill -KILL "$p"
check "the loop ends when the restarted router exits 100" hw_wait_exit "$sp" 10
check "the log says it will not restart it" grep -q 'status 100 (usage or bad configuration): not restarting' "$T/state/log/router.log"
check "status shows failed" bash -c "sh '$HW' --bindir '$B' status | grep -Eq '^router +failed'"
cp "$T/good.conf.orig" "$T/good.conf"
check "stop" H -c "$T/good.conf" stop
check "nothing runs after stop" bash -c "! sh '$HW' status >/dev/null"

# run: foreground, URL and install command, SIGTERM stops everything.
sh "$HW" --bindir "$B" -c "$T/good.conf" run >"$T/run.out" 2>&1 &
runpid=$!
# its banner ends with the Stop: line (bounded poll on the file it writes)
hw_until 20 "run printed its banner" grep -q 'Stop:' "$T/run.out"
cat "$T/run.out"
PORT=$(cat "$T/run/gateway.port")
check "run prints the dashboard URL with the token" grep -q "Dashboard: *http://127.0.0.1:$PORT/#token=$(cat "$T/state/token")" "$T/run.out"
check "run prints the hook install command (--here: a build tree)" grep -q "Register the hooks: *$B/hook-capture install --here\$" "$T/run.out"
check "status under run is up" H status
check "run started the usage stage" bash -c "sh '$HW' --bindir '$B' status | grep -Eq '^usage +up '"
rp=$(pid_of event-router) gp=$(pid_of ws-gateway) up=$(pid_of event-usage)
kill -TERM $runpid
wait $runpid
rc=$?
check "run exits 0 on SIGTERM" test $rc -eq 0
check "run stopped the router" bash -c "! kill -0 ${rp:-999999999} 2>/dev/null"
check "run stopped the gateway" bash -c "! kill -0 ${gp:-999999999} 2>/dev/null"
check "run stopped event-usage" bash -c "! kill -0 ${up:-999999999} 2>/dev/null"
runpid=

# Control-C on a terminal (a pty): "run" stops the gateway, then the router.
cat >"$T/ctrlc.py" <<'EOF2'
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
buf, end, sent = b"", time.time() + 90, False
while time.time() < end:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            d = os.read(fd, 4096)
        except OSError:
            d = b""
        if not d:
            break
        buf += d
    if not sent and b"Stop:" in buf:
        os.write(fd, b"\x03")
        sent = True
_, st = os.waitpid(pid, 0)
sys.stdout.write(buf.decode(errors="replace"))
print("pty: sent ^C" if sent else "pty: never saw Stop:")
sys.exit(os.waitstatus_to_exitcode(st) if sent else 99)
EOF2
/usr/bin/python3 "$T/ctrlc.py" sh "$HW" --bindir "$B" -c "$T/good.conf" run >"$T/pty.out" 2>&1
rc=$?
grep -v '^{' "$T/pty.out"
check "run exits 0 on Control-C" test $rc -eq 0
check "Control-C stopped the gateway before the router" \
	bash -c "grep -n 'stopped (' '$T/pty.out' | tr '\n' ' ' | grep -q 'gateway: stopped.*router: stopped'"
check "nothing runs after Control-C" bash -c "! sh '$HW' status >/dev/null"
hw_done
