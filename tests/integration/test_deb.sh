#!/bin/bash
# The Debian package: `make deb` builds it (dpkg-buildpackage -us -uc -b on a
# copy of the tree), lintian has nothing to say (debian/*.lintian-overrides
# explains the rest), the daemons link Debian's shared json-c, libyaml and
# libbsd (security updates), hook-capture is one static-pie binary whose
# static libraries' sources the package names in Static-Built-Using
# (hook-capture(1), CAVEATS), and once installed (dpkg --root, a private
# root: this test does not touch the machine's /usr) its pipeline runs: a
# hook captured by the installed hook-capture reaches a client of the
# installed gateway, which serves the installed dashboard and its client.
. "$(dirname "$0")/lib.sh"

for t in dpkg-buildpackage dh lintian readelf; do
	command -v "$t" >/dev/null || { fail "$t missing (make deps installs dpkg-dev, debhelper, lintian)"; hw_done; }
done
make -s -C "$SRC" BUILD="$T/b" deb >"$T/deb.log" 2>&1 || { tail -n 30 "$T/deb.log"; fail "make deb"; hw_done; }
deb=$(ls "$T"/b/deb/hookwire_*_*.deb | head -n 1)
check "make deb built a package" test -s "$deb"
lint=$(lintian -I --pedantic "$deb" 2>&1 | grep -v 'running with root privileges' || true)
check "lintian: nothing left unexplained${lint:+: $lint}" test -z "$lint"

root=$T/root
mkdir -p "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/info"
touch "$root/var/lib/dpkg/status"
dpkg --root="$root" --force-depends --force-not-root --force-script-chrootless --log=/dev/null -i "$deb" >"$T/dpkg.log" 2>&1 ||
	{ cat "$T/dpkg.log"; fail "dpkg -i"; hw_done; }
ub=$root/usr/bin
for b in hook-capture event-router ws-gateway event-tail event-relay hookwire; do
	check "installed: /usr/bin/$b" test -x "$ub/$b"
done
for b in event-router ws-gateway; do
	check "$b links the shared json-c" grep -q 'libjson-c\.so' <(ldd "$ub/$b")
done
# static-pie: position-independent (ET_DYN, DF_1_PIE), no program
# interpreter, no shared library needed
check "hook-capture is a PIE" grep -q 'Flags: .*PIE' <(readelf -d "$ub/hook-capture")
check "hook-capture has no program interpreter" test -z "$(readelf -l "$ub/hook-capture" | grep INTERP)"
check "hook-capture needs no shared library" test -z "$(readelf -d "$ub/hook-capture" | grep NEEDED)"
sbu=$(dpkg-deb -f "$deb" Static-Built-Using)
for src in glibc json-c libyaml libbsd libmd; do
	check "Static-Built-Using names $src with its version" grep -Eq "(^|, )$src \(= [^)]+\)" <<<"$sbu"
done
check "the dashboard and its Socket.IO client are installed" test -s "$root/usr/share/hookwire/dashboard/vendor/socket.io.min.js"
check "man pages installed" test -s "$root/usr/share/man/man8/ws-gateway.8.gz" -o -s "$root/usr/share/man/man8/ws-gateway.8"

# the installed pipeline
hw_start router "$ub/event-router"
hw_start gateway "$ub/ws-gateway" --listen 127.0.0.1:0 --dashboard "$root/usr/share/hookwire/dashboard"
HW_PORT=$(cat "$T/run/gateway.port")
"$ub/hook-capture" <"$FIX/userpromptsubmit.json"
check "the installed event-tail shows the hook" test "$("$ub/event-tail" | jq -r .event)" = UserPromptSubmit
tok=$(cat "$T/state/token")
code=$(curl -s -o "$T/index.html" -w '%{http_code}' "http://127.0.0.1:$HW_PORT/")
check "the installed gateway serves the dashboard" test "$code" = 200
check "whose client script loads" test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HW_PORT/vendor/socket.io.min.js")" = 200
ev=$(curl -s -H "Authorization: Bearer $tok" "http://127.0.0.1:$HW_PORT/api/events?limit=10" | jq -r .event)
check "and the event over /api/events" test "$ev" = UserPromptSubmit
hw_done
