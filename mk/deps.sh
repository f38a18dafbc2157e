#!/bin/sh
# deps.sh check|install: the Debian packages and npm packages hookwire
# needs to build, test and run.  "check" exits 1 when something is missing;
# "install" installs only what is missing (apt-get, with sudo when not root;
# npm ci from each lockfile in NPM_DIRS).
set -eu
cd "$(dirname "$0")/.."

# Build: compiler, pkg-config and the -dev packages DESIGN.md names.
PKGS_BUILD="make gcc pkg-config libevent-dev libjson-c-dev check libsubunit-dev libbsd-dev
libpcre2-dev libssl-dev libyaml-dev libxxhash-dev libhiredis-dev libsqlite3-dev"
# Tests: man page lint, real clients, browser, tools used by test scripts.
PKGS_TEST="clang-format mandoc groff-base python3 python3-socketio python3-websocket python3-aiohttp
chromium nodejs npm jq socat curl clang procps psmisc util-linux redis-server openssl sqlite3"

missing_debs() {
	for p in $PKGS_BUILD $PKGS_TEST; do
		# node and npm may come from elsewhere (nodesource, nvm): keep them.
		case $p in nodejs | npm) command -v "${p%js}" >/dev/null 2>&1 && continue ;; esac
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			printf '%s\n' "$p"
	done
}

# Directories with a package-lock.json of their own: the test clients, and
# the upstream protocol suites (tests/upstream/README.md).
NPM_DIRS="tests tests/upstream/eio-v4 tests/upstream/sio-v5"

# A directory's npm packages are up to date when its node_modules carries
# the lockfile it was installed from.
npm_fresh() {
	[ -f "$1/node_modules/.hookwire-lock" ] &&
		cmp -s "$1/package-lock.json" "$1/node_modules/.hookwire-lock"
}
npm_stale() {
	for d in $NPM_DIRS; do npm_fresh "$d" || printf '%s\n' "$d"; done
}

case ${1:-check} in
check)
	m=$(missing_debs)
	if [ -n "$m" ]; then echo "missing Debian packages:" $m; exit 1; fi
	if ! command -v node >/dev/null 2>&1 || [ -n "$(npm_stale)" ]; then echo "npm packages missing"; exit 1; fi
	echo "all dependencies present"
	;;
install)
	m=$(missing_debs)
	if [ -n "$m" ]; then
		sudo=""
		[ "$(id -u)" -eq 0 ] || sudo=sudo
		echo "installing Debian packages:" $m
		$sudo apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $m
	fi
	for d in $(npm_stale); do
		echo "installing npm packages from $d/package-lock.json"
		(cd "$d" && npm ci --no-audit --no-fund --loglevel=error)
		cp "$d/package-lock.json" "$d/node_modules/.hookwire-lock"
	done
	;;
*)
	echo "usage: deps.sh check|install" >&2; exit 100 ;;
esac
