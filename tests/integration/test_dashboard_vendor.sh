#!/bin/bash
# The dashboard ships its Socket.IO client (ws-gateway/dashboard/vendor/):
# byte for byte the official browser build of the socket.io-client version
# the tests run against, served by the gateway from the dashboard directory
# with no test packages involved, and installed by `make install`.
. "$(dirname "$0")/lib.sh"

v=$SRC/ws-gateway/dashboard/vendor/socket.io.min.js
npmdir=$SRC/tests/node_modules/socket.io-client
[ -d "$npmdir" ] || { fail "tests/node_modules/socket.io-client missing (make deps installs it)"; hw_done; }
want=$(jq -r .version "$npmdir/package.json")
check "vendored build is socket.io-client $want" grep -q "Socket.IO v$want\$" <(head -n 3 "$v")
check "byte for byte the npm package's dist/socket.io.min.js" cmp -s "$v" "$npmdir/dist/socket.io.min.js"
check "its licence beside it" test -s "$SRC/ws-gateway/dashboard/vendor/LICENSE.socket.io-client"
check "its hash in vendor/README" grep -q "$(sha256sum "$v" | cut -d' ' -f1)" "$SRC/ws-gateway/dashboard/vendor/README"
check "index.html loads it from the dashboard" grep -q '<script src="vendor/socket.io.min.js">' "$SRC/ws-gateway/dashboard/index.html"

# served from a copy of the dashboard, far from any node_modules
mkdir -p "$T/share"
cp -R "$SRC/ws-gateway/dashboard" "$T/share/dashboard"
hw_start_gateway --dashboard "$T/share/dashboard"
code=$(curl -s -o "$T/got.js" -w '%{http_code}' "http://127.0.0.1:$HW_PORT/vendor/socket.io.min.js")
check "GET /vendor/socket.io.min.js: 200" test "$code" = 200
check "served bytes are the vendored build" cmp -s "$T/got.js" "$v"

# make install puts it where the installed dashboard finds it
make -s -C "$SRC" BUILD="$T/build" DESTDIR="$T/dest" PREFIX=/usr install-data >/dev/null
check "installed with the dashboard" cmp -s "$T/dest/usr/share/hookwire/dashboard/vendor/socket.io.min.js" "$v"
hw_done
