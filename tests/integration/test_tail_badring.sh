#!/bin/bash
# event-tail refuses what is not a ring it can read, with a clear message
# and exit 1: no ring, a corrupted header (bad magic), a ring of a newer
# compat version.  event-router refuses such a ring too.
. "$(dirname "$0")/lib.sh"

rc=0; "$B/event-tail" 2>"$T/err" || rc=$?
check "no ring: exit 1" test "$rc" -eq 1
check "no ring: says so" grep -q "no ring $HW_RING" "$T/err"

hw_start_router
hw_capture "$FIX/sessionstart.json"
check "event accepted as seq 1 ($(hw_capture_answer))" test "$(hw_capture_answer)" = "accepted 1"
hw_stop "$router_pid"
ring=$HW_RING
check "ring readable: one event" test "$("$B/event-tail" | wc -l)" -eq 1
check "ring readable: the event captured" hw_ring_last_is "$FIX/sessionstart.json"

# compat version (offset 12, u32 little-endian) from the future
printf '\143\000\000\000' | dd of="$ring" bs=1 seek=12 conv=notrunc status=none
rc=0; "$B/event-tail" 2>"$T/err" || rc=$?
check "newer compat: exit 1" test "$rc" -eq 1
check "newer compat: message names the versions" grep -q 'version' "$T/err"
cat "$T/err"
rc=0; timeout 10 "$B/event-router" 2>"$T/rerr" || rc=$?
check "router refuses the foreign ring (exit 111)" test "$rc" -eq 111
check "router says why" grep -q 'version' "$T/rerr"

# corrupted magic (offset 0)
printf 'GARBAGE!' | dd of="$ring" bs=1 seek=0 conv=notrunc status=none
rc=0; "$B/event-tail" 2>"$T/err" || rc=$?
check "bad magic: exit 1" test "$rc" -eq 1
check "bad magic: not a hookwire ring" grep -q 'not a hookwire ring' "$T/err"
cat "$T/err"
# too small to be a ring
: >"$ring"
rc=0; "$B/event-tail" 2>"$T/err" || rc=$?
check "empty object: exit 1 with a message" sh -c "[ $rc -eq 1 ] && grep -q 'not a hookwire ring' '$T/err'"
hw_done
