#!/bin/bash
# test_usage_prices.sh: which price table event-usage uses.  Without
# --prices: the user's $XDG_CONFIG_HOME/hookwire/prices.conf first, then the
# shipped table (found beside the binaries, ../share/hookwire); a user row
# overrides the shipped one for its models only.  SIGHUP reloads it; a file
# that does not load on reload keeps the table in use (reason bad_prices),
# and at start-up stops event-usage with exit status 100 and the line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/usagelib.sh"
export XDG_CONFIG_HOME=$T/config
mkdir -p "$XDG_CONFIG_HOME/hookwire"
U=$XDG_CONFIG_HOME/hookwire/prices.conf
printf '# mine\n*claude-opus-4-5*  1 1 1 1 1\n' >"$U"

R=$T/p.jsonl
cost() { usage_events | jq -r "select(.data.message_id == \"$1\") | \"\\(.data.cost_usd) \\(.data.price.file):\\(.data.price.line)\""; }

hw_start_router
hw_start usage "$B/event-usage" # no --prices: the search
check "the log names both tables" grep -q "rows from $U, .*share/hookwire/prices.conf" "$T/usage.log"
tline "$R" m1 claude-opus-4-5-20251101 1000000 0 0 0 end_turn
tline "$R" m2 claude-haiku-4-5-20251001 1000000 0 0 0 end_turn
hook Stop p "$R"
check "two messages" wait_usage 2
check "the user's row prices its model ($(cost m1))" test "$(cost m1)" = "1 $U:2"
c2=$(cost m2)
l2=$(grep -n '^\*claude-haiku-4-5\*' "$SRC/contrib/prices.conf" | cut -d: -f1)
# the installed table under DATADIR when there is one, else the build tree's
check "the shipped row prices the others ($c2)" bash -c "case '$c2' in '1 '*/share/hookwire/prices.conf:$l2) true ;; *) false ;; esac"

# reload with a changed file
printf '*claude-opus-4-5*  2 1 1 1 1\n' >"$U"
kill -HUP "$usage_pid"
loaded() { [ "$(grep -c 'rows from' "$T/usage.log")" -ge "$1" ]; }
hw_until 5 "SIGHUP: the table loaded again" loaded 2
tline "$R" m3 claude-opus-4-5-20251101 1000000 0 0 0 end_turn
hook Stop p "$R"
check "three messages" wait_usage 3
check "after SIGHUP the new rate ($(cost m3))" test "$(cost m3)" = "2 $U:1"

# a bad file on reload: the table in use stays
printf '*claude-opus-4-5*  x 1 1 1 1\n' >"$U"
kill -HUP "$usage_pid"
hw_until 5 "a bad file on reload is logged (bad_prices) with its line" grep -q "prices.conf:1: input rate x" "$T/usage.log"
tline "$R" m4 claude-opus-4-5-20251101 1000000 0 0 0 end_turn
hook Stop p "$R"
check "and the table in use stays" wait_usage 4
check "  m4 priced at 2 ($(cost m4))" test "$(cost m4)" = "2 $U:1"
check "event-usage still runs" kill -0 "$usage_pid"
hw_stop "$usage_pid"

# a bad file at start-up: exit 100, the line named
rc=0
"$B/event-usage" >"$T/start.out" 2>&1 || rc=$?
check "a bad price file at start: exit 100 ($rc)" test $rc -eq 100
check "  naming the file and line" grep -q "prices.conf:1: input rate x" "$T/start.out"
rc=0
"$B/event-usage" --prices "$T/none.conf" >"$T/start.out" 2>&1 || rc=$?
check "a missing --prices file: exit 100 ($rc)" test $rc -eq 100
hw_done
