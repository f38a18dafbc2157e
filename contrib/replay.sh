#!/bin/sh
# replay.sh: replay recorded Claude Code sessions through hook-capture.
#
#   replay.sh [-u] [-b BINDIR] [-r RATE] [-t DIR] FILE...
#
# Each FILE holds one hook input per line (NDJSON), exactly as Claude Code
# writes it on a hook's stdin (contrib/samples/*.ndjson).  Every line is piped
# into its own, real hook-capture process, as Claude Code would run it, so
# the events take the whole path: hook-capture, event-router, ring, ws-gateway.
# A line whose hook_event_name is "StatusLine" is Claude Code's status JSON:
# it goes to `hook-capture statusline`, as Claude Code's status line would.
# The files play at the same time (one player per file), like agents working
# side by side; each player sends RATE lines per second (default 4; 0 = as
# fast as possible).  -u gives the sessions, tool calls and subagents fresh
# ids, so that a second replay shows new sessions rather than repeats.
#
# Transcripts: when FILE.ndjson has a FILE.jsonl beside it, that is the
# session's transcript as Claude Code writes it (and FILE/subagents/
# agent-ID.jsonl its subagents'), so that event-usage(8) counts the tokens
# and cost of the replay for real.  The replay writes it, line by line, into
# DIR/NAME/ (-t; default a new directory under $TMPDIR or /tmp, left there
# for event-usage to read again), at the point where Claude Code would have:
# a message with its tool call before the call's PreToolUse, the tool's
# result before its PostToolUse, the prompt with its UserPromptSubmit, the
# turn's last message before its Stop, a subagent's file by its SubagentStop,
# and what came before the session's first prompt (a resumed session) with
# its SessionStart.  Each line's "timestamp" becomes the time it is written,
# but for those before the first prompt, which keep their recorded time (an
# earlier sitting).
# The hooks' transcript_path and agent_transcript_path are made to name
# those files.
#
# hook-capture is BINDIR/hook-capture (-b), else $HOOK_CAPTURE, else
# $HOOKWIRE_BIN/hook-capture, else the one on PATH.  HOOKWIRE_* variables
# (instance, rundir, statedir, config) pass through to it.
# Exit status: 0, or 100 for a usage error, 111 if hook-capture is missing.
set -u

usage() {
	echo "usage: replay.sh [-u] [-b BINDIR] [-r RATE] [-t DIR] FILE..." >&2
	exit 100
}

rate=4
bindir=""
fresh=0
tdir=""
while getopts "b:r:t:uh" opt; do
	case $opt in
	b) bindir=$OPTARG ;;
	r) rate=$OPTARG ;;
	t) tdir=$OPTARG ;;
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
case $tdir in
*'|'* | *'&'* | *'\'*) echo "replay.sh: -t: the directory's name must not hold | & or \\" >&2; exit 100 ;;
esac

# The recorded cwd is the project; a CLAUDE_PROJECT_DIR inherited from the
# shell running this script would relabel every sample.
unset CLAUDE_PROJECT_DIR

# Seconds between two lines of one file.
interval=$(awk -v r="$rate" 'BEGIN { if (r + 0 > 0) printf "%.3f", 1 / r; else print 0 }')

# rand_hex N: N random hex digits.
rand_hex() {
	od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n' | cut -c1-"$1"
}

# session_of FILE: the session id of a sample's first line.
session_of() {
	sed -n '1s/.*"session_id": *"\([^"]*\)".*/\1/p' "$1"
}

# fresh_ids SID: stdin with the session id SID, the tool-use and agent ids
# replaced (the new session id is $new).
fresh_ids() {
	sed -e "s/$1/$new/g" \
	    -e "s/\"\(toolu_[A-Za-z0-9]*\)\"/\"\1$tag\"/g" \
	    -e "s/\"agent_id\": *\"\([0-9a-f]*\)\"/\"agent_id\": \"\1$tag\"/g" \
	    -e "s/\"agentId\": *\"\([0-9a-f]*\)\"/\"agentId\": \"\1$tag\"/g" \
	    -e "s/agent-\([0-9a-f]*\)\.jsonl/agent-\1$tag.jsonl/g"
}

# merge FILE TRANSCRIPT SUBDIR: the sample's lines as "H<TAB>line" and the
# transcripts' lines as "T<TAB>main<TAB>line" or
# "T<TAB>subagents/agent-ID.jsonl<TAB>line", in the order Claude Code
# writes them (see the header); "O" instead of "T" for the lines of an
# earlier sitting.  Without a transcript: the sample's lines.
merge() {
	awk -v main="$2" -v subdir="$3" '
	function field(l, k,   s) {
		if (!match(l, "\"" k "\": *\"([^\"\\\\]|\\\\.)*\"")) return ""
		s = substr(l, RSTART, RLENGTH)
		sub("^\"" k "\": *\"", "", s)
		return substr(s, 1, length(s) - 1)
	}
	function load(key, file,   line, n) {
		n = 0
		while ((getline line < file) > 0) T[key, ++n] = line
		close(file)
		N[key] = n
		P[key] = 0
		keys[++nkeys] = key
	}
	function use(aid,   key) {
		if (aid == "") return "main"
		key = "subagents/agent-" aid ".jsonl"
		if (!(key in N)) load(key, subdir "/agent-" aid ".jsonl")
		return key
	}
	function emit(key, upto,   i) {
		for (i = P[key] + 1; i <= upto; i++) print kind "\t" key "\t" T[key, i]
		if (upto > P[key]) P[key] = upto
	}
	# through the next line holding pat; nothing when none does
	function through(key, pat,   i) {
		for (i = P[key] + 1; i <= N[key]; i++)
			if (index(T[key, i], pat)) { emit(key, i); return }
	}
	function is_prompt(l) {
		return l ~ /"type":"user"/ && l !~ /"tool_result"/ && l !~ /"isCompactSummary":true/ && l !~ /"isMeta":true/
	}
	# up to the next prompt, without it
	function before_prompt(key,   i) {
		for (i = P[key] + 1; i <= N[key]; i++) if (is_prompt(T[key, i])) break
		emit(key, i - 1)
	}
	function all(   k) {
		for (k = 1; k <= nkeys; k++) emit(keys[k], N[keys[k]])
	}
	{ H[++nh] = $0 }
	END {
		kind = "T"
		if (main != "") load("main", main)
		for (i = 1; i <= nh; i++) {
			l = H[i]
			if (main != "") {
				ev = field(l, "hook_event_name")
				key = use(field(l, "agent_id"))
				tu = field(l, "tool_use_id")
				if (ev == "SessionStart") {
					# what the transcript holds before the first prompt of this sitting
					for (j = i + 1; j <= nh; j++) if (field(H[j], "hook_event_name") == "UserPromptSubmit") break
					if (j <= nh) {
						pat = "\"content\":\"" field(H[j], "prompt") "\""
						for (k = P["main"] + 1; k <= N["main"]; k++) if (index(T["main", k], pat)) break
						kind = "O"
						if (k <= N["main"]) emit("main", k - 1)
						kind = "T"
					}
				} else if (ev == "UserPromptSubmit") through("main", "\"content\":\"" field(l, "prompt") "\"")
				else if (ev == "PreToolUse" && tu != "") through(key, "\"id\":\"" tu "\"")
				else if ((ev == "PostToolUse" || ev == "PostToolUseFailure") && tu != "") through(key, "\"tool_use_id\":\"" tu "\"")
				else if (ev == "Stop") before_prompt("main")
				else if (ev == "SubagentStop") emit(key, N[key])
				else if (ev == "SessionEnd") all()
			}
			print "H\t" l
		}
		if (main != "") all()
	}' "$1"
}

# play FILE: its transcript written as it goes, one hook-capture per hook
# line, paced.
play() {
	sid=$(session_of "$1")
	new=$sid
	tag=""
	if [ "$fresh" -eq 1 ]; then
		tag=$(rand_hex 8)
		new=$(rand_hex 8)-$(rand_hex 4)-4$(rand_hex 3)-a$(rand_hex 3)-$(rand_hex 12)
	fi
	main=${1%.ndjson}.jsonl
	out=""
	if [ -f "$main" ] && [ -n "$sid" ]; then
		name=${1##*/}
		out=$work/${name%.ndjson}
		mkdir -p "$out" || exit 1
	else
		main=""
	fi
	merge "$1" "$main" "${1%.ndjson}/subagents" |
	if [ "$fresh" -eq 1 ]; then fresh_ids "$sid"; else cat; fi |
	if [ -n "$out" ]; then
		sed -e "s|\"[^\"]*/$new\\.jsonl\"|\"$out/$new.jsonl\"|g" \
		    -e "s|\"[^\"]*/$new/subagents/|\"$out/$new/subagents/|g"
	else cat; fi |
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in
		"T	"* | "O	"*)
			rest=${line#?	}
			file=${rest%%	*}
			case $file in
			main) file=$out/$new.jsonl ;;
			*) file=$out/$new/$file; mkdir -p "${file%/*}" ;;
			esac
			case $line in
			T*)
				now=$(stamp)
				printf '%s\n' "${rest#*	}" | sed "s/\"timestamp\":\"[^\"]*\"/\"timestamp\":\"$now\"/" >>"$file" ;;
			*) printf '%s\n' "${rest#*	}" >>"$file" ;;
			esac
			continue ;;
		"H	"*) line=${line#H	} ;;
		esac
		[ -n "$line" ] || continue
		case $line in
		*'"hook_event_name": "StatusLine"'* | *'"hook_event_name":"StatusLine"'*)
			printf '%s\n' "$line" | "$hc" statusline >/dev/null ;;
		*) printf '%s\n' "$line" | "$hc" >/dev/null ;;
		esac
		[ "$interval" = 0 ] || sleep "$interval"
	done
}

# stamp: a transcript line's time, to the millisecond (as Claude Code
# writes it) where date(1) can; else the next whole second, never earlier
# than the line (the dashboard takes a message older than its prompt for
# one of an earlier turn).
case $(date -u +%3N 2>/dev/null) in
[0-9][0-9][0-9]) stamp() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; } ;;
*)
	stamp() {
		s=$(($(date -u +%s) + 1))
		date -u -r "$s" +%Y-%m-%dT%H:%M:%S.000Z 2>/dev/null ||
			date -u -d "@$s" +%Y-%m-%dT%H:%M:%S.000Z
	} ;;
esac

# Where the transcripts go (left for event-usage to read again).
work=$tdir
if [ -z "$work" ]; then
	for f in "$@"; do
		[ -f "${f%.ndjson}.jsonl" ] || continue
		work=$(mktemp -d "${TMPDIR:-/tmp}/hookwire-replay.XXXXXX") || exit 1
		break
	done
fi
[ -z "$work" ] || mkdir -p "$work" || exit 1
# hooks name transcripts by absolute paths
case $work in
'' | /*) ;;
*) work=$(cd "$work" && pwd) || exit 1 ;;
esac

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
