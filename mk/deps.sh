#!/bin/sh
# deps.sh check|install [run|test]: the Debian and npm packages hookwire
# needs.  "run" (what `make run` asks for) is what building and running the
# pipeline needs, nothing more; "test" (the default, what `make check` asks
# for) adds the test tools: real clients, the browser, the Redis server, the
# upstream protocol suites.  "check" exits 1 when something is missing;
# "install" installs only what is missing (apt-get, with sudo when not root;
# npm ci from each lockfile in NPM_DIRS).
#
# No service is left running by this step: Debian's redis-server package
# starts and enables a system redis on installation.  The tests start their
# own redis-server on a private port, so the package is installed with
# service starts refused (policy-rc.d) and the service disabled after.
set -eu
cd "$(dirname "$0")/.."

# Build and run: compiler, pkg-config, the -dev packages DESIGN.md names, and
# what the supervisor script uses (flock, setsid: util-linux).
PKGS_RUN="make gcc pkg-config libevent-dev libjson-c-dev libbsd-dev libpcre2-dev libssl-dev
libyaml-dev libxxhash-dev libhiredis-dev libsqlite3-dev zlib1g-dev util-linux"
# Tests: unit test framework, formatting and man page lint, real clients,
# browser, tools used by test scripts, the Redis server of the relay tests,
# clang and musl-gcc (musl-tools) for make check's other compilers.
PKGS_TEST="check libsubunit-dev clang clang-format mandoc groff-base python3 python3-socketio
python3-websocket python3-aiohttp chromium nodejs npm jq socat curl procps psmisc openssl
sqlite3 redis-server systemd dpkg-dev debhelper lintian fakeroot prometheus musl-tools"
# Packages that start a system service when installed.
PKGS_SERVICE="redis-server prometheus"

# Directories with a package-lock.json of their own: the test clients, and
# the upstream protocol suites (tests/upstream/README.md).  Test only.
NPM_DIRS="tests tests/upstream/eio-v4 tests/upstream/sio-v5"

action=${1:-check}
profile=${2:-test}
case $profile in
run) pkgs=$PKGS_RUN; npm_dirs="" ;;
test) pkgs="$PKGS_RUN $PKGS_TEST"; npm_dirs=$NPM_DIRS ;;
*) echo "usage: deps.sh check|install [run|test]" >&2; exit 100 ;;
esac

missing_debs() {
	for p in $pkgs; do
		# node and npm may come from elsewhere (nodesource, nvm): keep them.
		case $p in nodejs | npm) command -v "${p%js}" >/dev/null 2>&1 && continue ;; esac
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			printf '%s\n' "$p"
	done
}

# A directory's npm packages are up to date when its node_modules carries
# the lockfile it was installed from.
npm_fresh() {
	[ -f "$1/node_modules/.hookwire-lock" ] &&
		cmp -s "$1/package-lock.json" "$1/node_modules/.hookwire-lock"
}
npm_stale() {
	for d in $npm_dirs; do npm_fresh "$d" || printf '%s\n' "$d"; done
}

# apt_install PKG...: installs with service starts refused, then disables
# the services of PKGS_SERVICE that this step installed.
apt_install() {
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "installing Debian packages:" "$@"
	$sudo apt-get update -qq
	prc=/usr/sbin/policy-rc.d
	ours=""
	if [ ! -e "$prc" ]; then
		printf '#!/bin/sh\n# hookwire mk/deps.sh: no service starts while installing\nexit 101\n' |
			$sudo tee "$prc" >/dev/null
		$sudo chmod 0755 "$prc"
		ours=1
	fi
	rc=0
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" || rc=$?
	[ -z "$ours" ] || $sudo rm -f "$prc"
	[ "$rc" -eq 0 ] || exit "$rc"
	for p in "$@"; do
		case " $PKGS_SERVICE " in *" $p "*) ;; *) continue ;; esac
		if command -v systemctl >/dev/null 2>&1; then
			$sudo systemctl disable --now "$p" >/dev/null 2>&1 || true
		fi
		if command -v update-rc.d >/dev/null 2>&1; then
			$sudo update-rc.d "$p" disable >/dev/null 2>&1 || true
		fi
	done
}

case $action in
check)
	m=$(missing_debs)
	if [ -n "$m" ]; then echo "missing Debian packages:" $m; exit 1; fi
	if [ -n "$npm_dirs" ] && { ! command -v node >/dev/null 2>&1 || [ -n "$(npm_stale)" ]; }; then
		echo "npm packages missing"
		exit 1
	fi
	echo "all dependencies present ($profile)"
	;;
install)
	m=$(missing_debs)
	[ -z "$m" ] || apt_install $m
	for d in $(npm_stale); do
		echo "installing npm packages from $d/package-lock.json"
		(cd "$d" && npm ci --no-audit --no-fund --loglevel=error)
		cp "$d/package-lock.json" "$d/node_modules/.hookwire-lock"
	done
	;;
*)
	echo "usage: deps.sh check|install [run|test]" >&2; exit 100 ;;
esac
