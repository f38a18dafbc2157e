#!/bin/bash
# The store as a stage of hookwire(8): "start" starts it after the router
# and before the gateway, "status" shows it up with the newest seq stored,
# a SIGKILLed event-store is restarted and loses nothing, "stop" stops it
# (after the gateway, before the router); store.enabled false leaves it out.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storelib.sh"
set +e
HW=$SRC/contrib/hookwire
printf 'gateway:\n  listen: 127.0.0.1:0\nstore:\n  commit_ms: 20\n' >"$T/on.conf"
printf 'gateway:\n  listen: 127.0.0.1:0\nstore:\n  enabled: false\n' >"$T/off.conf"
H() { sh "$HW" --bindir "$B" "$@"; }
sup_cleanup() {
	H -c "$T/on.conf" stop >/dev/null 2>&1
	for f in "$T"/run/supervise-*.pid "$T"/run/event-*.pid "$T"/run/ws-gateway.pid; do
		[ -r "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
	done
	hw_cleanup
}
trap sup_cleanup EXIT
pid_of() { cat "$T/run/$1.pid" 2>/dev/null || true; }

out=$(H -c "$T/on.conf" start 2>&1)
echo "$out"
check "start: router, store, gateway, usage, in that order" test "$(echo "$out" | sed -n 's/^\([a-z]*\): ready.*/\1/p' | tr '\n' ' ')" = "router store gateway usage "
store_feed 1 50
check "the supervised store stores the events" store_wait_indexed 50
st=$(H -c "$T/on.conf" status)
echo "$st"
check "status: the store is up, with its seq" grep -Eq '^store +up +[0-9]+ .*stored up to seq 50, searchable up to 50' <<<"$st"

p=$(pid_of event-store)
kill -KILL "$p"
store_feed 51 50
hw_until 10 "a killed store is restarted" hw_pidfile_changed event-store "$p"
check "and loses nothing" store_wait_indexed 100
check "every seq once" cmp -s <(store_seqs) <(seq 1 100)

out=$(H -c "$T/on.conf" stop 2>&1)
echo "$out"
check "stop: usage, gateway, store, router, in that order" test "$(echo "$out" | sed -n 's/^\([a-z]*\): stopped.*/\1/p' | tr '\n' ' ')" = "usage gateway store router "

out=$(H -c "$T/off.conf" start 2>&1)
echo "$out"
check "store.enabled false: no store stage" bash -c "! grep -q '^store' <<<'$out'"
check "status has no store line" bash -c "! sh '$HW' --bindir '$B' -c '$T/off.conf' status | grep -q '^store'"
check "HOOKWIRE_STORE_ENABLED=false does the same" bash -c "! HOOKWIRE_STORE_ENABLED=false sh '$HW' --bindir '$B' -c '$T/on.conf' status | grep -q '^store'"
H -c "$T/off.conf" stop >/dev/null
hw_done
