#!/bin/sh
# demo.sh [BINDIR]: shows a new user the dashboard working (make demo).
#
# Starts the pipeline in the background with hookwire(8) if it is not
# running yet, prints the dashboard URL with its token, then replays the
# recorded sessions in contrib/samples/*.ndjson through contrib/replay.sh:
# every line goes through a real hook-capture, the router, the ring and the
# gateway, as if Claude Code were working; the replay writes the sessions'
# transcripts (contrib/samples/*.jsonl) as it goes, so that event-usage
# counts their tokens and cost for the dashboard's Spend view.  Without samples it sends the
# bundled hook fixtures instead.  The instance and directories are those of
# hookwire(8) (-i and HOOKWIRE_INSTANCE, HOOKWIRE_RUNDIR, HOOKWIRE_STATEDIR).
# Exit status: 0, 1 when the pipeline could not be started.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bindir=${1:-${HOOKWIRE_BUILD:+$HOOKWIRE_BUILD/bin}}
# In the source tree: the build; installed (share/doc/hookwire): the tools on PATH.
[ -n "$bindir" ] || [ ! -x "$here/../build/bin/hook-capture" ] || bindir=$here/../build/bin
[ -n "$bindir" ] || bindir=$(dirname "$(command -v hook-capture || echo /usr/local/bin/hook-capture)")
unset HOOKWIRE_BUILD
# The supervisor: next to this script in the source tree, else the
# installed one.
hwsh=$here/hookwire
[ -r "$hwsh" ] || hwsh=$bindir/hookwire
[ -r "$hwsh" ] || hwsh=$(command -v hookwire || echo hookwire)
hw() { sh "$hwsh" --bindir "$bindir" "$@"; }

if ! hw status >/dev/null 2>&1; then
	echo "demo: starting the pipeline in the background (stop it with: sh $hwsh stop)"
	hw start || exit 1
	started=1
else
	started=0
fi

echo "demo: open $(hw url)"

set -- "$here"/samples/*.ndjson
if [ -r "$here/replay.sh" ] && [ -e "$1" ]; then
	echo "demo: replaying $# recorded sessions (Ctrl-C to stop)"
	sh "$here/replay.sh" -u -b "$bindir" "$@"
else
	echo "demo: no recorded sessions in $here/samples; sending the hook fixtures"
	for f in "$here"/../tests/fixtures/hooks/*.json; do
		[ -e "$f" ] && "$bindir/hook-capture" <"$f"
	done
fi
echo "demo: done; the events are on the dashboard and in: $bindir/event-tail"
[ "$started" = 1 ] && echo "demo: the pipeline still runs; stop it with: sh $hwsh stop"
exit 0
