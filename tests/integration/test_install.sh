#!/bin/bash
# test_install.sh: make install into a temporary DESTDIR gives a pipeline
# that works from the installed paths alone: the installed supervisor finds
# its sibling binaries, the installed example configuration loads in both
# daemons, the installed dashboard is served, a hook-capture event reaches
# event-tail, man finds the installed pages; make uninstall removes it all.
. "$(dirname "$0")/lib.sh"
# Failures are counted by check/fail (hw_done), not by set -e.
set +e

BUILD_DIR=${HOOKWIRE_BIN%/bin}
hw_need_bins event-router ws-gateway hook-capture event-tail
D=$T/dest
P=/usr
inst() { make -s -C "$SRC" "$@" DESTDIR="$D" PREFIX=$P BUILD="$BUILD_DIR" >>"$T/make.log" 2>&1; }
if ! inst install; then
	tail -n 30 "$T/make.log"
	fail "make install"
	hw_done
fi
ok "make install DESTDIR=$D PREFIX=$P BUILD=$BUILD_DIR"

for f in bin/hookwire bin/event-router bin/ws-gateway bin/hook-capture bin/event-tail \
	bin/event-usage share/hookwire/prices.conf share/man/man8/event-usage.8 \
	share/man/man5/hookwire-prices.5 lib/systemd/user/hookwire-usage.service \
	share/man/man8/hookwire.8 share/man/man7/hookwire.7 share/hookwire/dashboard/index.html \
	share/doc/hookwire/hookwire.conf.example lib/systemd/user/hookwire-router.service; do
	check "installed $P/$f" test -s "$D$P/$f"
done
check "installed binaries are executable" test -x "$D$P/bin/hookwire" -a -x "$D$P/bin/event-router"
check "the installed hookwire knows its version" grep -q '^hookwire [0-9]' <<<"$("$D$P/bin/hookwire" -V)"
check "the systemd unit points at the installed binary" \
	grep -q "^ExecStart=$P/bin/event-router " "$D$P/lib/systemd/user/hookwire-router.service"
check "man finds the installed hookwire(8)" test "$(MANPATH=$D$P/share/man man -w 8 hookwire 2>/dev/null)" = "$D$P/share/man/man8/hookwire.8"
check "man renders the installed hookwire(7)" bash -c "MANPATH='$D$P/share/man' man 7 hookwire 2>/dev/null | grep -q 'What to restart when'"

# The installed pipeline: no --bindir (the supervisor finds its siblings),
# the installed example configuration, two settings from the environment.
H="$D$P/bin/hookwire"
export HOOKWIRE_GATEWAY_LISTEN=127.0.0.1:0 HOOKWIRE_GATEWAY_DASHBOARD_DIR=$D$P/share/hookwire/dashboard
CONF=$D$P/share/doc/hookwire/hookwire.conf.example
inst_cleanup() {
	sh "$H" -c "$CONF" stop >/dev/null 2>&1 || true
	for f in "$T"/run/supervise-*.pid "$T"/run/event-router.pid "$T"/run/event-store.pid \
		"$T"/run/ws-gateway.pid "$T"/run/event-usage.pid; do
		[ -r "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
	done
	hw_cleanup
}
trap inst_cleanup EXIT
out=$(PATH=/usr/bin:/bin sh "$H" -c "$CONF" start 2>&1)
rc=$?
echo "$out"
check "the installed hookwire starts the pipeline with the example config" test $rc -eq 0
check "it runs the installed router" grep -q "$D$P/bin/event-router" "$T/state/log/router.log"
check "it runs the installed gateway" grep -q "$D$P/bin/ws-gateway" "$T/state/log/gateway.log"
check "it runs the installed event-usage" grep -q "$D$P/bin/event-usage" "$T/state/log/usage.log"
check "which prices with the installed table" \
	grep -q "rows from $D$P/bin/../share/hookwire/prices.conf" "$T/state/log/usage.log"
check "it runs the installed store" grep -q "$D$P/bin/event-store" "$T/state/log/store.log"
check "status is up" sh "$H" -c "$CONF" status

PORT=$(cat "$T/run/gateway.port" 2>/dev/null || echo 0)
curl -s -o "$T/index.html" "http://127.0.0.1:$PORT/"
check "the installed dashboard is served" cmp -s "$T/index.html" "$D$P/share/hookwire/dashboard/index.html"
url=$(sh "$H" -c "$CONF" url)
check "hookwire url prints the dashboard URL with the token" test "$url" = "http://127.0.0.1:$PORT/#token=$(cat "$T/state/token")"

"$D$P/bin/hook-capture" <"$FIX/sessionstart.json"
id=$(jq -r .session_id "$FIX/sessionstart.json")
got=$(timeout 10 "$D$P/bin/event-tail" | jq -r 'select(.event == "SessionStart") | .session_id')
check "a hook-capture event reaches the installed event-tail" test "$got" = "$id"
curl -s -H "Authorization: Bearer $(cat "$T/state/token")" "http://127.0.0.1:$PORT/api/events" >"$T/api.ndjson"
check "and the installed gateway's /api/events" grep -q "\"session_id\":\"$id\"" "$T/api.ndjson"

check "hookwire stop" sh "$H" -c "$CONF" stop
if inst uninstall; then ok "make uninstall"; else fail "make uninstall"; fi
left=$(find "$D" -type f | sed "s|^$D||")
[ -z "$left" ] || echo "left after uninstall: $left"
check "make uninstall removes every installed file" test -z "$left"
hw_done
