#!/bin/bash
# event-router: malformed input on the ingest socket.  Each bad line gets a
# rejected reply with its reason code, the next valid line on the same
# connection is accepted, the log names the reason and never the payload,
# and a 100 MB line does not make the router grow without bound.
. "$(dirname "$0")/lib.sh"

hw_start_router
cat >"$T/malformed.py" <<'PY'
import json, os, socket, sys
path = os.environ["HOOKWIRE_RUNDIR"] + "/ingest.sock"
s = socket.socket(socket.AF_UNIX)
s.connect(path)
f = s.makefile("rb")
def ev(i, **kw):
    d = {"id": "%032x" % i, "ts": "2026-11-28T20:25:03.000001Z", "event": "PreToolUse",
         "session_id": "sess-%d" % i, "data": {"n": i}}
    d.update(kw)
    return json.dumps(d).encode()
good_id = "a" * 32
cases = [
    ("not JSON", b"PAYLOAD-MARKER not json", "invalid_json"),
    ("invalid UTF-8", b'{"id":"PAYLOAD-MARKER\xff\xfe"}', "invalid_utf8"),
    ("NUL byte", b'{"a":"PAYLOAD-MARKER\x00"}', "nul_byte"),
    ("10,000-deep nesting", b"[" * 10000 + b"]" * 10000, "too_deep"),
    ("deep object", b'{"a":' * 10000 + b"1" + b"}" * 10000, "too_deep"),
    ("not an object", b"[1,2,3]", "not_object"),
    ("a string", b'"PAYLOAD-MARKER"', "not_object"),
    ("missing fields", b'{"ts":"x","data":{}}', "missing_field"),
    ("missing data", ev(1, data=None).replace(b', "data": null', b""), "missing_field"),
    ("id a number", ev(2, id=5), "bad_field_type"),
    ("id not hex", ev(3, id="z" * 32), "bad_field_type"),
    ("data an array", ev(4, data=[1]), "bad_field_type"),
    ("event empty", ev(5, event=""), "bad_field_type"),
    ("ts a number", ev(6, ts=3), "bad_field_type"),
    ("session_id a number", ev(7, session_id=5), "bad_field_type"),
    ("files a string", ev(8, files="x"), "bad_field_type"),
    ("truncated JSON", ev(9)[:-5], "invalid_json"),
    ("NaN", b'{"id":"' + b"1" * 32 + b'","ts":"t","event":"E","data":{"n":NaN}}', "invalid_json"),
    ("empty line", b"", "invalid_json"),
]
fails = 0
n = 100
def check(desc, got, want):
    global fails
    if got == want:
        print("ok: %s" % desc)
    else:
        print("FAIL: %s: got %r, want %r" % (desc, got, want)); fails += 1
def reply():
    line = f.readline()
    return json.loads(line)
for desc, line, reason in cases:
    n += 1
    s.sendall(line + b"\n" + ev(n) + b"\n")
    r = reply()
    check(desc + ": rejected", r, {"status": "rejected", "reason": reason})
    r = reply()
    check(desc + ": next line accepted", (r.get("status"), r.get("id")), ("accepted", "%032x" % n))
def published(eid):
    # The reply comes after the commit: the journal has the event by now.
    jdir = os.environ["HOOKWIRE_STATEDIR"] + "/journal"
    for fn in sorted(os.listdir(jdir)):
        for line in open(os.path.join(jdir, fn), encoding="utf-8"):
            e = json.loads(line)
            if e.get("id") == eid:
                return e, line.rstrip("\n")
    return None, ""
def accepted(r, eid):
    return sorted(r) == ["id", "seq", "status"] and r["status"] == "accepted" and r["id"] == eid
# JSON where json-c is lenient, as hookwire-event(5) (JSON details) says:
# accepted, and published as it says.
# A lone surrogate becomes U+FFFD.
n += 1
eid = "2" * 32
s.sendall(b'{"id":"' + eid.encode() + b'","ts":"t","event":"E","data":{"s":"\\ud800x"}}\n' + ev(n) + b"\n")
r = reply()
check("lone surrogate: accepted", accepted(r, eid), True)
e, _ = published(eid)
check("lone surrogate: published as U+FFFD", e and e["data"], {"s": "\ufffdx"})
r = reply()
check("lone surrogate: next line accepted", r.get("status"), "accepted")
# A number too large (or too small) for a double keeps its text; an integer
# beyond 64 bits is clamped to the nearest 64-bit value.
for big, text in ((b"1e999999", '"n":1e999999'), (b"9" * 5000, '"n":18446744073709551615'),
                  (b"-" + b"9" * 400 + b".5e-99999", '"n":-' + "9" * 400 + '.5e-99999')):
    n += 1
    eid = "%032x" % n
    s.sendall(b'{"id":"%s","ts":"t","event":"E","data":{"n":%s}}\n' % (eid.encode(), big) + ev(n + 1000) + b"\n")
    r = reply()
    check("huge number %s...: accepted" % big[:8].decode(), accepted(r, eid), True)
    _, line = published(eid)
    check("huge number %s...: published as %s" % (big[:8].decode(), text[:30]), text in line, True)
    r = reply()
    check("huge number: next line accepted", r.get("status"), "accepted")
# 100 MB line, sent in pieces: rejected once as line_too_long, then the next line
chunk = b"x" * (1 << 20)
s.sendall(b'{"id":"')
for i in range(100):
    s.sendall(chunk)
n += 1
s.sendall(b'"}\n' + ev(n) + b"\n")
r = reply()
check("100 MB line: rejected", r, {"status": "rejected", "reason": "line_too_long"})
r = reply()
check("100 MB line: next line accepted", (r.get("status"), r.get("id")), ("accepted", "%032x" % n))
# many lines in one write: one reply each, in order
batch = b"".join(ev(5000 + i) + b"\n" + (b"bad\n" if i % 3 == 0 else b"") for i in range(300))
s.sendall(batch)
order_ok = True
for i in range(300):
    r = reply()
    if r.get("id") != "%032x" % (5000 + i): order_ok = False
    if i % 3 == 0 and reply().get("reason") != "invalid_json": order_ok = False
check("batch of 400 lines: replies in order", order_ok, True)
# a last line without its newline, then EOF: still answered
s2 = socket.socket(socket.AF_UNIX); s2.connect(path)
s2.sendall(ev(9999)); s2.shutdown(socket.SHUT_WR)
r = json.loads(s2.makefile("rb").readline())
check("line without newline before EOF: accepted", r.get("status"), "accepted")
sys.exit(1 if fails else 0)
PY
check "every malformed line rejected with its reason, the next accepted" /usr/bin/python3 "$T/malformed.py"
check "router still running" kill -0 "$router_pid"
rss=$(awk '/VmHWM/ {print $2}' /proc/$router_pid/status)
echo "FIGURE router peak RSS after a 100 MB line: ${rss} kB"
if ldd "$B/event-router" | grep -q libasan; then
	echo "ok: (peak memory not checked under ASan: its quarantine keeps freed buffers)"
else
	check "router peak memory stayed bounded (< 64 MB)" test "$rss" -lt 65536
fi
check "log names the reasons" grep -q '"reason":"too_deep"' "$T/router.log"
check "log never carries the payload" sh -c "! grep -q PAYLOAD-MARKER '$T/router.log' '$T/state/journal/'*"
check "journal lines are valid JSON" sh -c "jq -c . '$T/state/journal/'*.ndjson >/dev/null"
check "journal lines are valid UTF-8" sh -c "iconv -f UTF-8 -t UTF-8 '$T/state/journal/'*.ndjson >/dev/null"
hw_done
