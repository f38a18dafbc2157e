#!/bin/sh
# deps.sh check|install: the Debian packages and npm packages hookwire
# needs to build, test and run.  "check" exits 1 when something is missing;
# "install" installs only what is missing (apt-get, with sudo when not root;
# npm ci from tests/package-lock.json).
set -eu
cd "$(dirname "$0")/.."

# Build: compiler, pkg-config and the -dev packages DESIGN.md names.
PKGS_BUILD="make gcc pkg-config libevent-dev libjson-c-dev check libsubunit-dev libbsd-dev
libpcre2-dev libssl-dev libyaml-dev libxxhash-dev libhiredis-dev"
# Tests: man page lint, real clients, browser, tools used by test scripts.
PKGS_TEST="mandoc groff-base python3 python3-socketio python3-websocket python3-aiohttp
chromium nodejs npm jq socat curl clang procps psmisc util-linux redis-server openssl"

missing_debs() {
	for p in $PKGS_BUILD $PKGS_TEST; do
		# node and npm may come from elsewhere (nodesource, nvm): keep them.
		case $p in nodejs | npm) command -v "${p%js}" >/dev/null 2>&1 && continue ;; esac
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			printf '%s\n' "$p"
	done
}

# npm packages are up to date when node_modules carries the lockfile it was
# installed from.
npm_fresh() {
	[ -f tests/node_modules/.hookwire-lock ] &&
		cmp -s tests/package-lock.json tests/node_modules/.hookwire-lock
}

case ${1:-check} in
check)
	m=$(missing_debs)
	if [ -n "$m" ]; then echo "missing Debian packages:" $m; exit 1; fi
	if ! command -v node >/dev/null 2>&1 || ! npm_fresh; then echo "npm packages missing"; exit 1; fi
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
	if ! npm_fresh; then
		echo "installing npm packages from tests/package-lock.json"
		(cd tests && npm ci --no-audit --no-fund --loglevel=error)
		cp tests/package-lock.json tests/node_modules/.hookwire-lock
	fi
	;;
*)
	echo "usage: deps.sh check|install" >&2; exit 100 ;;
esac
