#!/bin/bash
# ws-gateway as a ring reader (test_tail_badring.sh covers event-tail and the
# router): a ring with a corrupted header (bad magic), a ring of an older
# version (compat version 0) or of a newer one, and a truncated or empty
# ring object.  The gateway treats a ring it cannot read as one not created
# yet (ws-gateway(8)): it starts, stays up and serves no event from it,
# /healthz says "ring":false, a warning with reason no_ring names the
# problem, and it looks again every second, so that once the ring is good
# the same gateway follows it.  (Exiting instead would only have the
# supervisor restart it against the same ring: the router, or whoever
# replaces the ring, is the one to fix it.)
. "$(dirname "$0")/lib.sh"

ring=$HW_RING
hw_start_router
hw_capture "$FIX/sessionstart.json"
check "event accepted as seq 1 ($(hw_capture_answer))" test "$(hw_capture_answer)" = "accepted 1"
hw_stop "$router_pid"
check "the event is in the ring" hw_ring_last_is "$FIX/sessionstart.json"
cp "$ring" "$T/good.ring"

# try_gw NAME PATTERN: starts a gateway facing the ring as it is now and
# checks that it is up and says why it serves nothing; leaves it running
# (pid in $gp).
try_gw() {
	what=$1 pat=$2  # not "name": hw_start sets that
	rm -f "$T/run/gateway.port"
	if ! hw_start "gw_$what" "$B/ws-gateway" --listen 127.0.0.1:0 --log-level debug; then
		fail "$what: the gateway did not start and stay up"
		gp=""
		return
	fi
	gp=$HW_PID
	port=$(cat "$T/run/gateway.port")
	curl -s -o "$T/h-$what" "http://127.0.0.1:$port/healthz"
	code=$(curl -s -o "$T/ev-$what" -w '%{http_code}' -H "Authorization: Bearer $(cat "$T/state/token")" \
		"http://127.0.0.1:$port/api/events?since=0")
	check "$what: /healthz says there is no ring ($(cat "$T/h-$what"))" grep -q '"ring":false' "$T/h-$what"
	check "$what: /api/events answers 200 with no event ($code, $(wc -c <"$T/ev-$what") bytes)" \
		sh -c "[ '$code' = 200 ] && [ ! -s '$T/ev-$what' ]"
	check "$what: a no_ring warning says why" sh -c \
		"grep '\"reason\":\"no_ring\"' '$T/gw_$what.log' | grep -qiE '$pat'"
	grep '"reason":"no_ring"' "$T/gw_$what.log" | head -n 1
	check "$what: the gateway is still running" kill -0 "$gp"
}

printf 'GARBAGE!' | dd of="$ring" bs=1 seek=0 conv=notrunc status=none
try_gw badmagic 'not a hookwire ring \(bad magic'
hw_stop "$gp"
cp "$T/good.ring" "$ring"
# an older layout: version 0 (offset 8), compat 0 (offset 12)
printf '\000\000\000\000\000\000\000\000' | dd of="$ring" bs=1 seek=8 conv=notrunc status=none
try_gw oldversion 'version 0 .*older than this program reads'
hw_stop "$gp"
cp "$T/good.ring" "$ring"
printf '\143\000\000\000' | dd of="$ring" bs=1 seek=12 conv=notrunc status=none
try_gw newcompat 'needs a reader of version 99'
hw_stop "$gp"
cp "$T/good.ring" "$ring"
truncate -s 100 "$ring"
try_gw truncated 'not a hookwire ring \(too small'
hw_stop "$gp"
: >"$ring"
try_gw empty 'not a hookwire ring \(too small'

# The ring is good again: the same gateway finds it on its next look (once
# a second) and serves the event.
cp "$T/good.ring" "$ring"
ring_followed() { curl -s "http://127.0.0.1:$port/healthz" | grep -q '"ring":true'; }
hw_until 5 "good ring: the running gateway follows it (/healthz ring true)" ring_followed
curl -s -H "Authorization: Bearer $(cat "$T/state/token")" "http://127.0.0.1:$port/api/events?since=0" >"$T/served"
check "good ring: the event is served ($(wc -l <"$T/served"))" test "$(wc -l <"$T/served")" -eq 1
check "good ring: it is the event captured" hw_event_is "$FIX/sessionstart.json" <"$T/served"
check "good ring: the gateway logged that it follows the ring" grep -q 'following ring' "$T/gw_empty.log"
hw_done
