#!/bin/bash
# hookwire.conf layouts (hookwire.conf(5), Versions): a version 1 file with a
# key renamed since is read under the new name and value, and the daemons
# say so in their log; the environment's old name works the same way;
# `hookwire config check` lists the renamed keys, `hookwire config migrate`
# rewrites the file (comments and order kept, the original beside it), after
# which the daemons read it without a warning; --dry-run writes nothing; a
# current file is left alone; a file the rewrite cannot follow is refused.
. "$(dirname "$0")/lib.sh"

HW=$B/hookwire
conf=$T/hookwire.conf
cat >"$conf" <<'CONF'
# my hookwire settings
gateway:
  # slow clients get a while
  outbuf_soft_seconds: 7   # seconds
  clients_max: 77
CONF
cp "$conf" "$T/orig.conf"

hw_start_gateway -c "$conf"
check "a v1 file: the gateway says which key moved" \
	grep -q 'gateway.outbuf_soft_seconds is gateway.outbuf_soft_ms since layout version 2.*"reason":"config_renamed"' "$T/gateway.log"
out=$("$HW" -c "$conf" config show)
check "and reads it under the new name, in milliseconds" test "$(jq .gateway.outbuf_soft_ms <<<"$out")" = 7000
check "the other keys as written" test "$(jq .gateway.clients_max <<<"$out")" = 77
kill -TERM "$gateway_pid"; wait "$gateway_pid" || true

out=$("$HW" -c "$conf" config check)
check "config check: good, and names the renamed key" grep -q 'outbuf_soft_seconds is gateway.outbuf_soft_ms' <<<"$out"
"$HW" -c "$conf" --dry-run config migrate >"$T/dry.conf"
check "--dry-run prints the rewrite" grep -q '^  outbuf_soft_ms: 7000   # seconds$' "$T/dry.conf"
check "  and writes nothing" cmp -s "$conf" "$T/orig.conf"

"$HW" -c "$conf" config migrate >"$T/mig.out"
check "migrate says what it did" grep -q 'rewritten for layout version 2 (1 key renamed)' "$T/mig.out"
check "the original is kept beside it" cmp -s "$conf.before-v2" "$T/orig.conf"
check "comments and order kept, the key renamed, the version set" test "$(cat "$conf")" = "$(printf '# my hookwire settings\nversion: 2\ngateway:\n  # slow clients get a while\n  outbuf_soft_ms: 7000   # seconds\n  clients_max: 77')"
"$HW" -c "$conf" config migrate >"$T/mig2.out"
check "a current file is left alone" grep -q 'already layout version 2' "$T/mig2.out"

rm -f "$T/gateway.log"
hw_start_gateway -c "$conf"
check "the migrated file: no warning" test "$(grep -c config_renamed "$T/gateway.log")" -eq 0
kill -TERM "$gateway_pid"; wait "$gateway_pid" || true

# the environment's old name: read, with the warning
out=$(HOOKWIRE_GATEWAY_OUTBUF_SOFT_SECONDS=3 "$B/hookwire-config" check)
check "an old variable name works, with a warning" grep -q 'HOOKWIRE_GATEWAY_OUTBUF_SOFT_SECONDS: gateway.outbuf_soft_seconds is gateway.outbuf_soft_ms' <<<"$out"
# a version 2 file may not use the old name
printf 'version: 2\ngateway:\n  outbuf_soft_seconds: 3\n' >"$T/v2bad.conf"
rc=0; "$B/hookwire-config" -c "$T/v2bad.conf" check >/dev/null 2>"$T/err" || rc=$?
check "a v2 file with the old name is refused (100)" test "$rc" -eq 100
check "  naming the key" grep -q 'gateway.outbuf_soft_seconds: unknown key' "$T/err"
# a value the line-based rewrite cannot follow: refused, nothing written
printf '{"gateway": {"outbuf_soft_seconds":\n 5}}\n' >"$T/split.conf"
cp "$T/split.conf" "$T/split.orig"
rc=0; "$B/hookwire-config" -c "$T/split.conf" migrate >/dev/null 2>"$T/err" || rc=$?
check "a key across lines: refused (100), saying why" test "$rc" -eq 100 -a -n "$(grep 'by hand' "$T/err")"
check "  and the file untouched" cmp -s "$T/split.conf" "$T/split.orig"
hw_done
