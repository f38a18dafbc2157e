# usagelib.sh: helpers for the test_usage_* tests, sourced after lib.sh.
#
# Transcripts are written by hand, in the shape Claude Code 2.1.332 writes
# them (one line per content block, each with the message id and a usage
# copy); hook events go through the real hook-capture; usage events are
# read back with the real event-tail.  usage_check compares the usage events
# with the transcripts: every message once, its last line's figures, the sums
# per session, per agent and per model, the running totals of the last
# event of each agent and session, and each cost against prices.conf.

# Short re-read delays, so that a test waits less for the lagging reads.
export HOOKWIRE_USAGE_REREAD_MS=${HOOKWIRE_USAGE_REREAD_MS:-100,300,800}
PRICES=$SRC/contrib/prices.conf

hw_start_usage() { hw_start usage "$B/event-usage" --prices "$PRICES" "$@"; }

# tline FILE ID MODEL IN OUT CW CR STOP [AGENT] [CW1H]: appends one
# assistant line (STOP "null" for none; AGENT "-" for none).
tline() {
	/usr/bin/python3 - "$@" <<'PY'
import json, sys, uuid
f, mid, model, i, o, cw, cr, stop = sys.argv[1:9]
agent = sys.argv[9] if len(sys.argv) > 9 and sys.argv[9] != "-" else None
cw1h = int(sys.argv[10]) if len(sys.argv) > 10 else 0
usage = {"input_tokens": int(i), "cache_creation_input_tokens": int(cw),
         "cache_read_input_tokens": int(cr), "output_tokens": int(o),
         "service_tier": "standard"}
if cw1h:
    usage["cache_creation"] = {"ephemeral_5m_input_tokens": int(cw) - cw1h,
                               "ephemeral_1h_input_tokens": cw1h}
line = {"parentUuid": str(uuid.uuid4()), "isSidechain": agent is not None}
if agent:
    line["agentId"] = agent
line["message"] = {"id": mid, "type": "message", "role": "assistant", "model": model,
                   "content": [{"type": "text", "text": "hello \u00e9 \"quoted\""}],
                   "stop_reason": None if stop == "null" else stop, "stop_sequence": None,
                   "usage": usage}
line.update({"requestId": "req_" + mid, "type": "assistant", "uuid": str(uuid.uuid4()),
             "timestamp": "2026-12-06T02:35:00.353Z", "sessionId": "s"})
with open(f, "a") as fp:
    fp.write(json.dumps(line, separators=(",", ":")) + "\n")
PY
}

# tother FILE: appends a user line and an attachment line (not counted).
tother() {
	printf '%s\n' '{"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"usage: assistant"}]},"uuid":"u"}' \
		'{"type":"attachment","attachment":{"type":"x"},"uuid":"v"}' >>"$1"
}

# hook EVENT SESSION TRANSCRIPT [key=value...]: one hook through hook-capture.
# A nonce keeps two hooks alike from being one to the router's content dedup.
hook() {
	/usr/bin/python3 - "$@" <<'PY' | "$B/hook-capture"
import json, sys, uuid
ev, sid, tp = sys.argv[1:4]
o = {"hook_event_name": ev, "session_id": sid, "transcript_path": tp, "cwd": "/tmp",
     "nonce": uuid.uuid4().hex}
for kv in sys.argv[4:]:
    k, v = kv.split("=", 1)
    o[k] = v
print(json.dumps(o))
PY
}

# usage_events: the usage events in the ring, one per line; from the
# journal instead with USAGE_FROM=journal (for a ring that laps).
usage_events() {
	if [ "${USAGE_FROM:-ring}" = journal ]; then
		hw_journal | grep '"event":"usage"'
	else
		"$B/event-tail" --event usage 2>/dev/null
	fi
}

# wait_usage N [SECONDS]: until N usage events are in the ring (bounded poll).
usage_ge() { [ "$(usage_events | wc -l)" -ge "$1" ]; }
wait_usage() { HW_POLL=0.1 hw_until "${2:-15}" "" usage_ge "$1"; }

# usage_check SESSION=FILE[,AGENT=FILE...] ...: compares the usage events
# with the transcripts; prints one line per problem and exits 1 on any.
# Each argument is a session: its main transcript, then its agents' files.
usage_check() {
	usage_events >"$T/usage.ndjson"
	/usr/bin/python3 - "$T/usage.ndjson" "$PRICES" "$@" <<'PY'
import json, sys
from decimal import Decimal
from collections import defaultdict

evfile, prices, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
bad = []
rows = []
for n, line in enumerate(open(prices), 1):
    line = line.split("#", 1)[0].split()
    if line:
        rows.append((line[0], [Decimal(x) for x in line[1:]], n))

def price(model):
    best, bs = None, -1
    for pat, rates, n in rows:
        lit = pat.strip("*")
        if pat == model: return rates, n, pat
        if pat.startswith("*") and pat.endswith("*"): m = lit in model
        elif pat.endswith("*"): m = model.startswith(lit)
        elif pat.startswith("*"): m = model.endswith(lit)
        else: m = False
        if m and len(lit) > bs: best, bs = (rates, n, pat), len(lit)
    return best

# what the transcripts hold: message id -> last line's figures
want = {}
for spec in specs:
    parts = spec.split(",")
    sid, main = parts[0].split("=", 1)
    files = [(None, main)] + [tuple(p.split("=", 1)) for p in parts[1:]]
    for agent, path in files:
        try:
            lines = open(path).read().splitlines()
        except OSError:
            continue
        for l in lines:
            try: o = json.loads(l)
            except ValueError: continue
            if o.get("type") != "assistant": continue
            m = o.get("message")
            if not isinstance(m, dict) or m.get("model") == "<synthetic>": continue
            u = m.get("usage")
            keys = ("input_tokens", "output_tokens", "cache_creation_input_tokens",
                    "cache_read_input_tokens")
            # what event-usage takes as malformed: not counted
            if not isinstance(u, dict) or not isinstance(m.get("id"), str) or \
               any(not isinstance(u.get(k, 0), int) or u.get(k, 0) < 0 for k in keys):
                continue
            a = o.get("agentId") if o.get("isSidechain") else agent
            want[m["id"]] = dict(session=sid, agent=a, model=m["model"], path=path,
                in_=u.get("input_tokens", 0), out=u.get("output_tokens", 0),
                cw=u.get("cache_creation_input_tokens", 0), cr=u.get("cache_read_input_tokens", 0),
                cw1h=u.get("cache_creation", {}).get("ephemeral_1h_input_tokens", 0))

evs = [json.loads(l) for l in open(evfile)]
seen = defaultdict(int)
sums = defaultdict(lambda: defaultdict(Decimal))
last_agent, last_session = {}, {}
for e in evs:
    d = e["data"]
    mid = d["message_id"]
    seen[mid] += 1
    if mid not in want:
        bad.append("usage event for unknown message %s" % mid); continue
    w = want[mid]
    got = (e["session_id"], e.get("agent_id"), d["model"], d["input_tokens"], d["output_tokens"],
           d["cache_creation_input_tokens"], d["cache_read_input_tokens"],
           d["cache_creation_1h_input_tokens"], d["transcript_path"])
    exp = (w["session"], w["agent"], w["model"], w["in_"], w["out"], w["cw"], w["cr"], w["cw1h"],
           w["path"])
    if got != exp:
        bad.append("message %s: got %r, want %r" % (mid, got, exp))
    p = price(w["model"])
    if p is None:
        if d["cost_usd"] is not None or d["price"] is not None:
            bad.append("message %s: model %s has no price, got cost %r" % (mid, w["model"], d["cost_usd"]))
        cost = None
    else:
        r = p[0]
        cost = (w["in_"] * r[0] + w["out"] * r[1] + (w["cw"] - w["cw1h"]) * r[2] + w["cw1h"] * r[3]
                + w["cr"] * r[4]) / Decimal(1000000)
        if d["cost_usd"] is None or Decimal(str(d["cost_usd"])) != cost:
            bad.append("message %s: cost %r, want %s" % (mid, d["cost_usd"], cost))
        if d["price"]["line"] != p[1] or d["price"]["match"] != p[2]:
            bad.append("message %s: price row %r, want line %d" % (mid, d["price"], p[1]))
    for key in (("session", w["session"]), ("agent", w["session"], w["agent"] or ""),
                ("model", w["model"])):
        s = sums[key]
        s["messages"] += 1
        for f, k in (("input_tokens", "in_"), ("output_tokens", "out"),
                     ("cache_creation_input_tokens", "cw"), ("cache_read_input_tokens", "cr"),
                     ("cache_creation_1h_input_tokens", "cw1h")):
            s[f] += w[k]
        if cost is None: s["unpriced_messages"] += 1
        else: s["cost_usd"] += cost
    last_agent[(w["session"], w["agent"] or "")] = d["totals"]["agent"]
    last_session[w["session"]] = d["totals"]["session"]

for mid in want:
    if seen[mid] != 1:
        bad.append("message %s counted %d times" % (mid, seen[mid]))

def same(tot, s, what):
    for f in ("messages", "input_tokens", "output_tokens", "cache_creation_input_tokens",
              "cache_read_input_tokens", "cache_creation_1h_input_tokens", "unpriced_messages"):
        if Decimal(tot[f]) != s[f]:
            bad.append("%s: running total %s = %s, sum of messages %s" % (what, f, tot[f], s[f]))
    c = None if s["messages"] == s["unpriced_messages"] else s["cost_usd"]
    if (tot["cost_usd"] is None) != (c is None) or (c is not None and Decimal(str(tot["cost_usd"])) != c):
        bad.append("%s: running cost %r, sum %r" % (what, tot["cost_usd"], c))

for k, tot in last_agent.items():
    same(tot, sums[("agent",) + k], "agent %s/%s" % k)
for k, tot in last_session.items():
    same(tot, sums[("session", k)], "session %s" % k)
for k, s in sorted(sums.items()):
    if k[0] == "model":
        print("model %s: %d messages, %d output tokens, cost %s" % (
            k[1], s["messages"], s["output_tokens"], s["cost_usd"] if s["unpriced_messages"] == 0 else "null"))
print("usage events: %d for %d messages in the transcripts" % (len(evs), len(want)))
for b in bad:
    print("MISMATCH: " + b)
sys.exit(1 if bad else 0)
PY
}
