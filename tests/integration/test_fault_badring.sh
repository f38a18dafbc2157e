#!/bin/bash
# ws-gateway as a ring reader (test_tail_badring.sh covers event-tail and the
# router): a ring with a corrupted header (bad magic), a ring of an older
# version (compat version 0) or of a newer one, and a truncated ring object
# are refused with a clear message naming the problem; the gateway never
# serves garbage from it.  A good ring afterwards is served.
. "$(dirname "$0")/lib.sh"

ring=/dev/shm/hookwire-$HW_I
hw_start_router
check "event" hw_capture "$FIX/sessionstart.json"
hw_stop "$router_pid"
cp "$ring" "$T/good.ring"

# try_gw NAME PATTERN: the gateway facing the ring as it is now either exits
# non-zero with a message matching PATTERN, or stays up and reports it
# (log line matching PATTERN, /healthz not 200) and serves no event.
try_gw() {
	name=$1 pat=$2
	: >"$T/gw-$name.log"
	rm -f "$T/run/gateway.port"
	rc=0
	timeout 20 "$B/ws-gateway" --listen 127.0.0.1:0 --log-level debug --readiness-fd 3 3>"$T/ready-$name" 2>"$T/gw-$name.log" &
	gp=$!
	HW_PIDS="$HW_PIDS $gp"
	# bounded wait: exit, or readiness + port file
	i=0
	while kill -0 "$gp" 2>/dev/null && [ ! -s "$T/ready-$name" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	if ! kill -0 "$gp" 2>/dev/null; then
		wait "$gp" || rc=$?
		check "$name: gateway refuses the ring (exit $rc)" test "$rc" -ne 0
		check "$name: message says why" grep -qiE "$pat" "$T/gw-$name.log"
		grep -iE "$pat" "$T/gw-$name.log" | head -n 1
		return
	fi
	port=$(cat "$T/run/gateway.port")
	code=$(curl -s -o "$T/h-$name" -w '%{http_code}' "http://127.0.0.1:$port/healthz" || true)
	ev=$(curl -s -H "Authorization: Bearer $(cat "$T/state/token")" "http://127.0.0.1:$port/api/events?since=0" | wc -l)
	check "$name: gateway up, /healthz reports no ring ($code $(cat "$T/h-$name"))" sh -c "[ '$code' != 200 ] || grep -q '\"ring\":false' '$T/h-$name'"
	check "$name: serves no event from it ($ev)" test "$ev" -eq 0
	check "$name: log says why" grep -qiE "$pat" "$T/gw-$name.log"
	grep -iE "$pat" "$T/gw-$name.log" | head -n 1
	hw_stop "$gp"
}

printf 'GARBAGE!' | dd of="$ring" bs=1 seek=0 conv=notrunc status=none
try_gw badmagic 'not a hookwire ring|magic'
cp "$T/good.ring" "$ring"
# an older layout: version 0 (offset 8), compat 0 (offset 12)
printf '\000\000\000\000\000\000\000\000' | dd of="$ring" bs=1 seek=8 conv=notrunc status=none
try_gw oldversion 'version'
cp "$T/good.ring" "$ring"
printf '\143\000\000\000' | dd of="$ring" bs=1 seek=12 conv=notrunc status=none
try_gw newcompat 'version'
cp "$T/good.ring" "$ring"
truncate -s 100 "$ring"
try_gw truncated 'not a hookwire ring|too small|size|short'
: >"$ring"
try_gw empty 'not a hookwire ring|too small|size|short|empty'

# a good ring again: served
cp "$T/good.ring" "$ring"
hw_start_gateway
n=$(curl -s -H "Authorization: Bearer $HW_TOKEN" "$HW_URL/api/events?since=0" | wc -l)
check "good ring: the event is served ($n)" test "$n" -eq 1
check "good ring: /healthz 200" test "$(curl -s -o /dev/null -w '%{http_code}' "$HW_URL/healthz")" = 200
hw_done
