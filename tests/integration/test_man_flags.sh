#!/bin/bash
# test_man_flags.sh: the man pages and the tools agree on their flags.
#
# For each tool:
#  - the flags in `TOOL -h` (usage = the SYNOPSIS) and the flags in the page
#    (its SYNOPSIS and its `.It Fl` option list) are the same, both ways;
#  - `TOOL -h` prints the page's SYNOPSIS (whitespace aside);
#  - every option in the tool's getopt_long table is in the page, the long
#    forms of short ones (--config for -c) included;
#  - `TOOL -h` writes its usage to stdout and nothing to stderr;
#  - every flag in the page is accepted: run with the flag and a missing
#    argument (or, for a flag without argument, followed by an unknown
#    flag), it must not be the one called unrecognized.
# The tools are the pages of sections 1 and 8 in man/ (hookwire(8) is the
# supervisor script contrib/hookwire).  A tool not built fails (make bins),
# and so does a tool whose usage text is in no source file.  A self-test
# first checks that a page with an undocumented flag fails.
set -u
: "${HOOKWIRE_BIN:?run through tests/integration/run.sh}"
SRC=${HOOKWIRE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
T=${HOOKWIRE_TEST_TMP:-$(mktemp -d)}
mkdir -p "$T/home" "$T/run" "$T/state" "$T/cwd"
chmod 700 "$T/run" "$T/state"
# Whatever a flag makes a tool do, it does it here.
export HOME=$T/home HOOKWIRE_INSTANCE=tf$$x$RANDOM HOOKWIRE_RUNDIR=$T/run HOOKWIRE_STATEDIR=$T/state
trap 'rm -rf "/dev/shm/hookwire-$(id -u)-$HOOKWIRE_INSTANCE" "/tmp/hookwire-$(id -u)-$HOOKWIRE_INSTANCE.wake"' EXIT
cd "$T/cwd" || exit 1

cat >"$T/flags.py" <<'EOF'
"""flags.py MODE ...: flag extraction for test_man_flags.sh.
  usage FILE          flags in a usage text
  page PAGE           flags in a page's SYNOPSIS and first of .It Fl entries
  aliases PAGE        the other flags of .It Fl entries (documented aliases)
  synopsis PAGE       the rendered SYNOPSIS, whitespace-normalized
  usagetext FILE      the usage text, "usage:" dropped, whitespace-normalized
  source FILE...      getopt_long table: "FLAG arg|noarg [alias-of]" lines
  argflags FILE       flags of a usage text that take an argument
"""
import os, re, subprocess, sys

def split_flag(f):
    # -hV is -h and -V; --name stays whole.
    if f.startswith("--") or len(f) == 2:
        return [f]
    return ["-" + c for c in f[1:]]

def usage_flags(text):
    out = set()
    for m in re.finditer(r"(?:(?<=[\s\[|])|^)(--?[A-Za-z0-9][A-Za-z0-9-]*)", text):
        out.update(split_flag(m.group(1)))
    return out

def usage_argflags(text):
    out = set()
    for m in re.finditer(r"(?:(?<=[\s\[|])|^)(--?[A-Za-z0-9][A-Za-z0-9-]*) ([a-z][a-z:_.]*)", text):
        out.add(m.group(1))
    return out

MACRO = re.compile(r"^[A-Z][a-z][a-z]?$")

def fl_tokens(line):
    toks = line.lstrip(".").split()
    out = []
    i = 0
    while i < len(toks):
        if toks[i] == "Fl":
            i += 1
            while i < len(toks) and not MACRO.match(toks[i]):
                t = toks[i].replace("\\&", "")
                if re.match(r"^-?[A-Za-z0-9][A-Za-z0-9-]*$", t):
                    out.extend(split_flag("-" + t))
                i += 1
            continue
        i += 1
    return out

def page_flags(path, aliases=False):
    # The SYNOPSIS flags and the first flag of each ".It Fl" entry; with
    # aliases, the other flags of those entries (".It Fl f , Fl -follow").
    prim, alias = set(), set()
    sec = None
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith(".Sh "):
            sec = line[4:].strip()
            continue
        if not line.startswith("."):
            continue
        if sec == "SYNOPSIS":
            prim.update(fl_tokens(line))
        elif line.startswith(".It Fl "):
            toks = fl_tokens(line)
            first = toks[:1]
            # -hV in one entry: every letter of the first word is primary.
            w = line.split()[2]
            if not w.startswith("-") and len(w) > 1:
                first = toks[:len(w)]
            prim.update(first)
            alias.update(t for t in toks if t not in first)
    return alias - prim if aliases else prim

def norm(s):
    return " ".join(s.split())

def synopsis(path):
    txt = subprocess.run(["mandoc", "-Tascii", path], capture_output=True, text=True).stdout
    txt = re.sub(r".\x08", "", txt)
    lines, on = [], False
    for l in txt.splitlines():
        if l.strip() == "SYNOPSIS":
            on = True
            continue
        if on and l and not l[0].isspace():
            break
        if on:
            lines.append(l)
    return norm("\n".join(lines))

def usagetext(text):
    # the usage proper ends at the first blank line (what follows, as in
    # hookwire --help, is a list of commands, not the SYNOPSIS)
    text = re.split(r"\n\s*\n", text, maxsplit=1)[0]
    return norm(re.sub(r"^\s*usage:", "", text, count=1))

def expand(p, s):
    # A table may name the common flags by macro (DAEMON_LONGOPTS and
    # DAEMON_SHORTOPTS of common/daemon.h): put in the object-like macros of
    # the common/ headers the file includes, as the preprocessor would.
    root = os.path.dirname(os.path.dirname(os.path.abspath(p)))
    defs = {}
    for h in re.findall(r'#include\s+"([^"]+)"', s):
        hp = os.path.join(root, "common", h)
        if os.path.exists(hp):
            t = open(hp, encoding="utf-8").read().replace("\\\n", " ")
            for m in re.finditer(r"^#define\s+([A-Z][A-Z0-9_]*)[ \t]+(.+)$", t, re.M):
                defs[m.group(1)] = m.group(2)
    for _ in range(4):
        for k, v in defs.items():
            s = re.sub(r"\b%s\b" % k, lambda _m, v=v: v, s)
    return s

def source(paths):
    res = []
    for p in paths:
        s = expand(p, open(p, encoding="utf-8").read())
        for m in re.finditer(r'"([^"]*)"\s*,\s*[A-Za-z_]*longopts|getopt_long\s*\([^,]+,[^,]+,\s*((?:"[^"]*"\s*)+)', s):
            opt = m.group(1) if m.group(1) is not None else "".join(re.findall(r'"([^"]*)"', m.group(2)))
            opt = opt.lstrip(":+-")
            for i, c in enumerate(opt):
                if c == ":":
                    continue
                arg = "arg" if i + 1 < len(opt) and opt[i + 1] == ":" else "noarg"
                res.append(f"-{c} {arg}")
        for m in re.finditer(r'\{\s*"([A-Za-z0-9-]+)"\s*,\s*(no|required|optional)_argument\s*,\s*[^,]+,\s*([^}]+?)\s*\}', s):
            name, kind, val = m.groups()
            alias = ""
            if re.match(r"^'.'$", val):
                alias = "-" + val[1]
            res.append(f"--{name} {'noarg' if kind == 'no' else 'arg'} {alias}".rstrip())
    emit(set(res))

def emit(xs):
    for x in sorted(xs):
        print(x)

mode, args = sys.argv[1], sys.argv[2:]
if mode == "usage":
    emit(usage_flags(open(args[0]).read()))
elif mode == "argflags":
    emit(usage_argflags(open(args[0]).read()))
elif mode == "page":
    emit(page_flags(args[0]))
elif mode == "aliases":
    emit(page_flags(args[0], True))
elif mode == "synopsis":
    print(synopsis(args[0]))
elif mode == "usagetext":
    print(usagetext(open(args[0]).read()))
elif mode == "source":
    source(args)
EOF
PY="/usr/bin/python3 $T/flags.py"

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# compare TOOL PAGE USAGEFILE: flag sets both ways.  Prints failures; returns
# the number found.
compare() {
	$PY usage "$3" >"$T/u.flags"
	$PY page "$2" >"$T/p.flags"
	n=0
	for f in $(comm -23 "$T/u.flags" "$T/p.flags"); do
		echo "FAIL: $1: $f is in '$1 -h' but not in ${2##*/}"
		n=$((n + 1))
	done
	for f in $(comm -13 "$T/u.flags" "$T/p.flags"); do
		echo "FAIL: $1: $f is in ${2##*/} but not in '$1 -h'"
		n=$((n + 1))
	done
	return $n
}

# Self-test: a page that lacks a flag the tool prints must fail.
printf 'usage: tool [-hV] [-c file] [--extra dir]\n' >"$T/self.usage"
sed -e '/^\.Op Fl -bindir Ar dir$/d' -e '/^\.It Fl -bindir Ar dir$/d' "$SRC/man/hookwire.8" >"$T/self.8"
printf 'usage: tool [-hV] [-c file] [-i name] [--rundir dir] [--statedir dir] [--bindir dir] [-f] [-n lines]\n' >"$T/self2.usage"
if compare tool "$T/self.8" "$T/self2.usage" >"$T/self.out"; then
	fail "self-test: a flag missing from the page went unnoticed"
else
	grep -q -- "--bindir is in 'tool -h' but not" "$T/self.out" && ok "self-test: an undocumented flag fails" ||
		fail "self-test: wrong message: $(cat "$T/self.out")"
fi

ntools=0
for page in "$SRC"/man/*.[18]; do
	[ -e "$page" ] || continue
	ntools=$((ntools + 1))
	tool=${page##*/}
	tool=${tool%.*}
	if [ "$tool" = hookwire ]; then
		run=(sh "$SRC/contrib/hookwire")
	else
		run=("$HOOKWIRE_BIN/$tool")
		if [ ! -x "$HOOKWIRE_BIN/$tool" ]; then
			fail "$tool: ${page##*/} documents it but it is not built in $HOOKWIRE_BIN: run 'make bins'"
			continue
		fi
	fi
	"${run[@]}" -h >"$T/usage" 2>"$T/usage.err" </dev/null
	rc=$?
	[ $rc -eq 0 ] || fail "$tool -h exited $rc, not 0"
	grep -q '^usage:' "$T/usage" || { fail "$tool -h prints no usage: line on stdout"; continue; }
	[ ! -s "$T/usage.err" ] || fail "$tool -h writes to stderr: $(head -n 1 "$T/usage.err")"

	$PY aliases "$page" >"$T/pa.flags"
	if compare "$tool" "$page" "$T/usage"; then
		ok "$tool: -h and ${page##*/} list the same $(wc -l <"$T/u.flags") flags"
	else
		fails=$((fails + $?))
	fi
	syn=$($PY synopsis "$page")
	use=$($PY usagetext "$T/usage")
	if [ "$syn" = "$use" ]; then
		ok "$tool: -h prints the page's SYNOPSIS"
	else
		fail "$tool: -h differs from the SYNOPSIS of ${page##*/}:"
		printf '   -h:       %s\n   SYNOPSIS: %s\n' "$use" "$syn"
	fi

	# The getopt_long table of the tool's main source file.
	srcf=$(grep -l "usage: $tool " "$SRC"/*/*.c "$SRC"/tests/*/*.c 2>/dev/null | head -n 1)
	if [ -n "$srcf" ]; then
		$PY source "$srcf" >"$T/s.table"
		while read -r f _kind alias; do
			if grep -qx -- "$f" "$T/p.flags" "$T/pa.flags"; then continue; fi
			if [ -n "$alias" ] && grep -qx -- "$alias" "$T/p.flags"; then
				fail "$tool: $f, the long form of $alias, is not documented in ${page##*/} (.It Fl ${alias#-} , Fl $f)"
				continue
			fi
			fail "$tool: $f is accepted (${srcf#"$SRC"/}) but not documented in ${page##*/}"
		done <"$T/s.table"
		while read -r f; do
			grep -q -- "^$f " "$T/s.table" ||
				fail "$tool: $f is in ${page##*/} but not in the getopt table of ${srcf#"$SRC"/}"
		done < <(cat "$T/p.flags" "$T/pa.flags")
		ok "$tool: checked the getopt table of ${srcf#"$SRC"/} ($(wc -l <"$T/s.table") entries)"
	elif [ "$tool" != hookwire ]; then
		fail "$tool: no source file holds its usage text (\"usage: $tool \"): its getopt table is unchecked"
	fi

	# Every documented flag is accepted.
	$PY argflags "$T/usage" >"$T/a.flags"
	sub=()
	# hook-capture is silent in capture mode: check in its status mode.
	[ "$tool" = hook-capture ] && sub=(status)
	nacc=0
	while read -r f; do
		if grep -qx -- "$f" "$T/a.flags"; then
			set -- "$f"
		else
			set -- "$f" --hw-no-such-flag
		fi
		out=$(timeout -k 2 5 "${run[@]}" "${sub[@]}" "$@" </dev/null 2>&1)
		case $f in
		--*) pat="unrecognized option '$f'\|unrecognized option: $f\|unknown option.*$f" ;;
		*) pat="invalid option -- '${f#-}'\|unrecognized option '$f'\|unknown option.*$f" ;;
		esac
		if grep -q -- "$pat" <<<"$out"; then
			fail "$tool: $f is documented but rejected: $(grep -m1 -- "$pat" <<<"$out")"
		else
			nacc=$((nacc + 1))
		fi
	done < <(cat "$T/p.flags" "$T/pa.flags")
	ok "$tool: $nacc documented flags accepted"
	# a flag that takes an instance name got --hw-no-such-flag as one, and
	# the router made a ring of that name
	rm -f "/dev/shm/hookwire-$(id -u)---hw-no-such-flag"
done

[ $ntools -gt 0 ] || fail "no page of a tool (sections 1 and 8) in $SRC/man"
if [ $fails -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all checks passed"
