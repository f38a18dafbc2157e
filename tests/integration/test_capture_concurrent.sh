#!/bin/bash
# Hundreds of hook-capture processes at once with no router: every one
# exits 0 and the spool holds exactly that many distinct files and ids.
# The spool directories do not exist beforehand, so the processes also
# race to create them.
. "$(dirname "$0")/lib.sh"

H=$B/hook-capture
N=${CAPTURE_CONCURRENT:-300}
NEW=$T/state/spool/new
rm -rf "$T/state/spool"

pids=""
for i in $(seq 1 "$N"); do
	"$H" <"$FIX/pretooluse_bash.json" >"$T/out.$i" 2>&1 &
	pids="$pids $!"
done
bad=0
for p in $pids; do
	wait "$p" || bad=$((bad + 1))
done
check "all $N exited 0 ($bad did not)" test "$bad" -eq 0
check "no output from any of them" test -z "$(cat "$T"/out.*)"
files=$(ls "$NEW" | wc -l)
check "exactly $N spool files ($files)" test "$files" -eq "$N"
check "distinct file names" test "$(ls "$NEW" | sort -u | wc -l)" -eq "$N"
ids=$(cat "$NEW"/* | jq -r .id | sort -u | wc -l)
check "distinct event ids ($ids)" test "$ids" -eq "$N"
check "every file one complete event" test "$(cat "$NEW"/* | jq -r .event | grep -c '^PreToolUse$')" -eq "$N"
check "nothing left in tmp/" test -z "$(ls "$T/state/spool/tmp")"
check "spool dirs are private" test "$(stat -c %a "$T/state/spool")" = 700
hw_done
