#!/bin/sh
# replay.sh: replay recorded Claude Code sessions through hook-capture.
#
#   replay.sh [-u] [-b BINDIR] [-r RATE] FILE...
#
# Each FILE holds one hook input per line (NDJSON), exactly as Claude Code
# writes it on a hook's stdin (contrib/samples/*.ndjson).  Every line is piped
# into its own, real hook-capture process, as Claude Code would run it, so
# the events take the whole path: hook-capture, event-router, ring, ws-gateway.
# The files play at the same time (one player per file), like agents working
# side by side; each player sends RATE lines per second (default 4; 0 = as
# fast as possible).  -u gives the sessions, tool calls and subagents fresh
# ids, so that a second replay shows new sessions rather than repeats.
#
# hook-capture is BINDIR/hook-capture (-b), else $HOOK_CAPTURE, else
# $HOOKWIRE_BIN/hook-capture, else the one on PATH.  HOOKWIRE_* variables
# (instance, rundir, statedir, config) pass through to it.
# Exit status: 0, or 100 for a usage error, 111 if hook-capture is missing.
set -u

usage() {
	echo "usage: replay.sh [-u] [-b BINDIR] [-r RATE] FILE..." >&2
	exit 100
}

rate=4
bindir=""
fresh=0
while getopts "b:r:uh" opt; do
	case $opt in
	b) bindir=$OPTARG ;;
	r) rate=$OPTARG ;;
	u) fresh=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || usage
case $rate in
'' | *[!0-9.]* | *.*.*) echo "replay.sh: bad rate: $rate" >&2; exit 100 ;;
esac

if [ -n "$bindir" ]; then
	hc=$bindir/hook-capture
elif [ -n "${HOOK_CAPTURE:-}" ]; then
	hc=$HOOK_CAPTURE
elif [ -n "${HOOKWIRE_BIN:-}" ]; then
	hc=$HOOKWIRE_BIN/hook-capture
else
	hc=$(command -v hook-capture || true)
fi
if [ -z "$hc" ] || [ ! -x "$hc" ]; then
	echo "replay.sh: hook-capture not found (use -b BINDIR)" >&2
	exit 111
fi
for f in "$@"; do
	[ -r "$f" ] || { echo "replay.sh: cannot read $f" >&2; exit 100; }
done

# The recorded cwd is the project; a CLAUDE_PROJECT_DIR inherited from the
# shell running this script would relabel every sample.
unset CLAUDE_PROJECT_DIR

# Seconds between two lines of one file.
interval=$(awk -v r="$rate" 'BEGIN { if (r + 0 > 0) printf "%.3f", 1 / r; else print 0 }')

# rand_hex N: N random hex digits.
rand_hex() {
	od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n' | cut -c1-"$1"
}

# fresh_ids FILE: FILE with its session, tool-use and agent ids replaced.
fresh_ids() {
	tag=$(rand_hex 8)
	sid=$(sed -n '1s/.*"session_id": *"\([^"]*\)".*/\1/p' "$1")
	new=$(rand_hex 8)-$(rand_hex 4)-4$(rand_hex 3)-a$(rand_hex 3)-$(rand_hex 12)
	sed -e "s/$sid/$new/g" \
	    -e "s/\"\(toolu_[A-Za-z0-9]*\)\"/\"\1$tag\"/g" \
	    -e "s/\"agent_id\": *\"\([0-9a-f]*\)\"/\"agent_id\": \"\1$tag\"/g" \
	    -e "s/\"agentId\": *\"\([0-9a-f]*\)\"/\"agentId\": \"\1$tag\"/g" \
	    -e "s/agent-\([0-9a-f]*\)\.jsonl/agent-\1$tag.jsonl/g" "$1"
}

# play FILE: one hook-capture per line, paced.
play() {
	if [ "$fresh" -eq 1 ]; then fresh_ids "$1"; else cat "$1"; fi |
	while IFS= read -r line || [ -n "$line" ]; do
		[ -n "$line" ] || continue
		printf '%s\n' "$line" | "$hc" >/dev/null
		[ "$interval" = 0 ] || sleep "$interval"
	done
}

pids=""
for f in "$@"; do
	play "$f" &
	pids="$pids $!"
done
rc=0
for p in $pids; do
	wait "$p" || rc=1
done
exit $rc
