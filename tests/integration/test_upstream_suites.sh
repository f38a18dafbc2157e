#!/bin/bash
# The Socket.IO project's own protocol test suites, as published (vendored in
# tests/upstream/, see its README), against `ws-gateway --conformance`: the
# Engine.IO v4 suite (25 cases) and the Socket.IO v5 suite (32 cases).  Each
# file must match its upstream hash once the URL line is put back; mocha runs
# it with the URL of a private gateway; every case must pass.
# HOOKWIRE_GW_REFERENCE=1 runs them against the npm socket.io server instead
# (the stand-in in gwlib.mjs), which passes them all too.
. "$(dirname "$0")/lib.sh"

up=$SRC/tests/upstream
url_line='const URL = globalThis.process?.env.HOOKWIRE_SUITE_URL ?? "http://localhost:3000";'
orig_line='const URL = "http://localhost:3000";'

if [ "${HOOKWIRE_GW_REFERENCE:-}" = 1 ]; then
	hw_start gateway node "$SRC/tests/integration/gwlib.mjs" reference-conformance \
		--listen 127.0.0.1:0 --rundir "$T/run"
	HW_PORT=$(cat "$T/run/gateway.port")
else
	hw_start_gateway --conformance
fi
for suite in eio-v4:25 sio-v5:32; do
	name=${suite%%:*} want=${suite##*:}
	f=$up/$name/test-suite.js
	if [ ! -x "$up/$name/node_modules/.bin/mocha" ]; then
		fail "$name: mocha is not installed in tests/upstream/$name (make deps installs it)"
		continue
	fi
	sum=$(grep -Fxc "$url_line" "$f" >/dev/null && sed "s|^${url_line//|/\\|}\$|$orig_line|" "$f" | sha256sum | cut -d' ' -f1)
	check "$name: the upstream file, the URL line aside" \
		test "$sum" = "$(awk -v f="$name/test-suite.js" '$2 == f { print $1 }' "$up/UPSTREAM.sha256")"
	out=$T/$name.out
	rc=0
	(cd "$up/$name" && HOOKWIRE_SUITE_URL=http://127.0.0.1:$HW_PORT \
		timeout 120 ./node_modules/.bin/mocha --reporter spec test-suite.js) >"$out" 2>&1 || rc=$?
	passing=$(sed -n 's/^ *\([0-9]*\) passing.*/\1/p' "$out")
	failing=$(sed -n 's/^ *\([0-9]*\) failing.*/\1/p' "$out")
	echo "FIGURE $name upstream suite: ${passing:-0} passing, ${failing:-0} failing (of $want)"
	if [ "$rc" -ne 0 ] || [ "${passing:-0}" -ne "$want" ]; then
		fail "$name: mocha exit $rc, ${passing:-0}/$want passing"
		sed 's/^/    /' "$out" | tail -n 60
	else
		ok "$name: $want/$want"
	fi
done
check "gateway still up" kill -0 "$gateway_pid"
kill -TERM "$gateway_pid"
rc=0
wait "$gateway_pid" || rc=$?
check "gateway exits 0 on SIGTERM" test "$rc" -eq 0
check "no sanitizer report" test "$(grep -c 'Sanitizer' "$T/gateway.log")" -eq 0
hw_done
