# lib.sh: helpers for bash integration tests.  Source it first:
#   . "$(dirname "$0")/lib.sh"
# It gives each test a private directory ($T), a unique instance name ($HW_I,
# hence a unique ring), rundir and statedir, starts daemons with a readiness
# fd (no sleeps), and on exit stops by pid what it started and removes the ring.
set -eu
: "${HOOKWIRE_BIN:?run through tests/integration/run.sh or make test-integration}"
B=$HOOKWIRE_BIN
SRC=${HOOKWIRE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
FIX=${HOOKWIRE_FIXTURES:-$SRC/../shared/fixtures/hooks}
[ -d "$FIX" ] || FIX=$SRC/tests/fixtures/hooks
T=${HOOKWIRE_TEST_TMP:-$(mktemp -d)}
HW_I=t$$x$RANDOM
# The ring's name has the uid (paths.h); this instance name is short enough
# not to be cut.  The wake directory is the portable build's (ringwake_dgram.c).
HW_RING=/dev/shm/hookwire-$(id -u)-$HW_I
HW_WAKE=/tmp/hookwire-$(id -u)-$HW_I.wake
export HOOKWIRE_INSTANCE=$HW_I HOOKWIRE_RUNDIR=$T/run HOOKWIRE_STATEDIR=$T/state
mkdir -p "$T/run" "$T/state"
chmod 700 "$T/run" "$T/state"
HW_PIDS=""
HW_FAILS=0

hw_cleanup() {
	for p in $HW_PIDS; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $HW_PIDS; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			# bounded wait for our own children, by pid
			wait "$p" 2>/dev/null || true; i=$((i + 1))
		done
		kill -KILL "$p" 2>/dev/null || true
	done
	rm -f "$HW_RING"
	rm -rf "$HW_WAKE"
}
trap hw_cleanup EXIT

# hw_need_bins NAME...: the binaries the test runs, in $B.  One missing is a
# build step (make bins), not a reason to skip: the test fails, saying so.
hw_need_bins() {
	for b in "$@"; do
		[ -x "$B/$b" ] || { echo "FAIL: $B/$b is not built: run 'make bins'"; exit 1; }
	done
}
# hw_need_cmds CMD...: commands the test runs.  One missing is an install step
# (make deps installs it, mk/deps.sh lists it): the test fails, saying so.
hw_need_cmds() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			{ echo "FAIL: $c is missing: run 'make deps'"; exit 1; }
	done
}
# hw_skip REASON: skips the test (exit 77, run.sh prints the reason).  Only
# for a reason CI cannot fix; say which in a comment where it is used.
hw_skip() { echo "SKIP: $*"; exit 77; }

# fail MSG: record a failure and go on; the test exits non-zero at hw_done.
fail() { echo "FAIL: $*"; HW_FAILS=$((HW_FAILS + 1)); }
ok() { echo "ok: $*"; }
# check DESC CMD...: runs CMD; ok or fail.
check() { d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }
hw_done() { if [ "$HW_FAILS" -ne 0 ]; then echo "$HW_FAILS check(s) failed"; exit 1; fi; echo "all checks passed"; }

# hw_start NAME CMD...: starts CMD with --readiness-fd 3 appended, waits for
# its readiness line (at most 20 s), sets HW_PID.  Logs go to $T/NAME.log.
hw_start() {
	name=$1; shift
	rm -f "$T/$name.ready"; mkfifo "$T/$name.ready"
	"$@" --readiness-fd 3 3>"$T/$name.ready" 2>>"$T/$name.log" &
	HW_PID=$!
	HW_PIDS="$HW_PIDS $HW_PID"
	if ! line=$(timeout 20 head -n1 "$T/$name.ready") || [ -z "$line$(kill -0 $HW_PID 2>/dev/null && echo alive)" ]; then
		echo "$name did not become ready; its log:"; tail -n 20 "$T/$name.log"
		return 1
	fi
	kill -0 "$HW_PID" 2>/dev/null || { echo "$name exited at start:"; tail -n 20 "$T/$name.log"; return 1; }
	eval "${name}_pid=\$HW_PID"
}

hw_start_router() { hw_start router "$B/event-router" "$@"; }
hw_start_gateway() {
	hw_start gateway "$B/ws-gateway" --listen 127.0.0.1:0 "$@"
	HW_PORT=$(cat "$T/run/gateway.port")
	HW_URL=http://127.0.0.1:$HW_PORT
	HW_TOKEN=$(cat "$T/state/token" 2>/dev/null || true)
}

# hw_stop PID [SIG]: signals PID (default TERM) and waits for it.
hw_stop() {
	kill -"${2:-TERM}" "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# hw_capture FILE: runs hook-capture with FILE on stdin, its debug log in
# $T/capture.log.  It always exits 0 (hook-capture(1)), so that says
# nothing: check what the router answered (hw_capture_answer) and where the
# event went (hw_event_is on the journal or the ring).
hw_capture() {
	: >"$T/capture.log"
	HOOKWIRE_CAPTURE_LOG_FILE=$T/capture.log HOOKWIRE_LOG_LEVEL=debug "$B/hook-capture" <"$1"
}
# hw_capture_answer: what the router answered the last hw_capture, as
# hook-capture logged it: "accepted SEQ", "duplicate SEQ", or its reason
# code when it got no answer and spooled ("unreachable", "timeout", ...).
hw_capture_answer() {
	jq -r 'select(.msg | test("^(accepted|duplicate): id ")) |
		.msg | capture("^(?<st>[a-z]+): id [0-9a-f]+ seq (?<seq>[0-9]+)") |
		"\(.st) \(.seq)"' "$T/capture.log" 2>/dev/null | tail -n 1 | grep . ||
		jq -r 'select(.msg | test("spooling id")) | .reason' "$T/capture.log" 2>/dev/null | tail -n 1
}

# hw_event_is FILE: the canonical event on stdin (one line) is the hook
# event in FILE: a fresh id, its name, and the fields lifted from it as
# hookwire-event(5) says (session_id, tool, tool_use_id, cwd; absent in both
# or equal), and data.hook_event_name.
hw_event_is() {
	# jq -e is true on empty input: there must be exactly one line.
	hw_ev=$(cat)
	[ -n "$hw_ev" ] && [ "$(printf '%s\n' "$hw_ev" | wc -l)" -eq 1 ] || return 1
	printf '%s\n' "$hw_ev" | jq -e --slurpfile h "$1" '$h[0] as $h |
		(.id | test("^[0-9a-f]{32}$")) and (.seq | type == "number") and
		.event == $h.hook_event_name and .data.hook_event_name == $h.hook_event_name and
		.session_id == $h.session_id and .tool == $h.tool_name and
		.tool_use_id == $h.tool_use_id and .cwd == $h.cwd' >/dev/null
}
# hw_journal_last_is FILE: the journal's last event is FILE's (hw_event_is).
hw_journal_last_is() { hw_journal | tail -n 1 | hw_event_is "$1"; }
# hw_ring_last_is FILE: the ring's last event is FILE's (hw_event_is).
hw_ring_last_is() { "$B/event-tail" | tail -n 1 | hw_event_is "$1"; }

# hw_spool_count: events waiting in the spool.
hw_spool_count() { ls "$T/state/spool/new" 2>/dev/null | wc -l; }

# hw_journal: all journal lines, oldest first.
hw_journal() { cat "$T/state/journal/"*.ndjson 2>/dev/null || true; }

# hw_until SECONDS DESCRIPTION CMD...: runs CMD until it succeeds, every
# $HW_POLL seconds (default 0.05; 0: as fast as CMD runs), for at most
# SECONDS (whole seconds).  Then prints "ok: DESCRIPTION"; on time out it
# fails the check "DESCRIPTION (not within SECONDS s)" and returns 1 (under
# set -e the test ends there).  With DESCRIPTION "" it is a quiet bounded
# wait that only returns the status, for helpers whose caller checks
# (check DESC helper ...).  CMD runs in this shell, so it may be a function
# of the test: a condition evaluated afresh on every try goes into one
# (xlen_ge() { [ "$(xlen)" -ge "$1" ]; }; hw_until 20 "..." xlen_ge 5).
# Poll only what nothing announces (a file that grows, a counter, another
# process's log); wait on a readiness fd, a pipe or `wait PID` where there
# is one.
hw_until() {
	local _hwu_secs=$1 _hwu_desc=$2 _hwu_end
	shift 2
	_hwu_end=$((${EPOCHREALTIME//[!0-9]/} + _hwu_secs * 1000000))
	until "$@"; do
		if [ "${EPOCHREALTIME//[!0-9]/}" -ge "$_hwu_end" ]; then
			[ -z "$_hwu_desc" ] || fail "$_hwu_desc (not within $_hwu_secs s)"
			return 1
		fi
		[ "${HW_POLL:-0.05}" = 0 ] || sleep "${HW_POLL:-0.05}"
	done
	[ -z "$_hwu_desc" ] || ok "$_hwu_desc"
}

# Conditions for hw_until.
# hw_spool_empty: no event waits in the spool.
hw_spool_empty() { [ "$(hw_spool_count)" -eq 0 ]; }
# hw_journal_has N: the journal holds N lines or more.
hw_journal_has() { [ "$(hw_journal | wc -l)" -ge "$1" ]; }
# hw_lines_ge FILE N: FILE (a daemon's output, say) has N lines or more.
hw_lines_ge() { [ "$(wc -l <"$1")" -ge "$2" ]; }
# hw_pidfile_changed NAME OLD: $T/run/NAME.pid names a live process other
# than OLD (a supervisor restarted NAME).
hw_pidfile_changed() {
	hw_p=$(cat "$T/run/$1.pid" 2>/dev/null || true)
	[ -n "$hw_p" ] && [ "$hw_p" != "$2" ] && kill -0 "$hw_p" 2>/dev/null
}

# hw_wait_exit PID SECONDS: waits until process PID, ours or not, has
# exited (on a pidfd: an event, not a poll), at most SECONDS; status 1 when
# it still runs.  For our own children `wait PID` also gives the status.
hw_wait_exit() {
	/usr/bin/python3 -c '
import os, select, sys
try:
    fd = os.pidfd_open(int(sys.argv[1]))
except ProcessLookupError:
    sys.exit(0)
sys.exit(0 if select.select([fd], [], [], float(sys.argv[2]))[0] else 1)' "$1" "$2"
}
