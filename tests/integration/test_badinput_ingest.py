"""Bad input on the router's ingest socket, from the corpus tests/badinput/ingest/.

Every case is sent on one connection to the REAL event-router (run at
--log-level debug), followed by a valid event: the case gets exactly the
reply named by its file name ({"status":"rejected","reason":<reason>}, or
for "accepted" cases {"status":"accepted","seq":N,"id":<its id>} with N
above every seq before it), the valid event right after it is accepted,
the router keeps running, its peak memory stays bounded, and no log line
carries the payload marker "MARKER".  Each accepted case is then read back
from the ring and must hold what hookwire-event(5) (JSON details) says the
router makes of it: ACCEPTED_AS below.  See tests/badinput/README.
"""
import json
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwlib  # noqa: E402

SRC = gwlib.SRC
CORPUS = os.path.join(SRC, "tests", "badinput", "ingest")
inst = gwlib.Instance("bi")
router = gwlib.start_router(inst, ["--log-level", "debug"])
sock = socket.socket(socket.AF_UNIX)
sock.connect(os.path.join(inst.run, "ingest.sock"))
sock.settimeout(60)
rf = sock.makefile("rb")
n = 0
fails = []


def valid(i):
    return json.dumps({"id": "%032x" % (0xb000000 + i), "ts": "2026-11-28T20:25:03.000001Z",
                       "event": "PostToolUse", "session_id": "badinput",
                       "data": {"i": i}}).encode()


UINT64_MAX, INT64_MIN = 2**64 - 1, -2**63
# accepted.<description>: (what the ring holds for it, as hookwire-event(5)
# JSON details says) as a check on the event parsed from the ring line and on
# the line itself.
ACCEPTED_AS = {
    "bare_control_char_lenient": lambda e, l: e["data"] == {"s": "MARKER\x01"} and "\x01" not in l,
    "depth_limit": lambda e, l: l.count("[") == 61 and l.count("]") == 61,
    "dup_key_data": lambda e, l: e["data"] == {"b": 2},  # the last value
    "dup_key_event": lambda e, l: e["event"] == "F",
    "escaped_nul": lambda e, l: e["data"] == {"s": "a\x00b MARKER"} and "\\u0000" in l,
    "huge_exponent": lambda e, l: '"n":1e999999' in l,  # keeps its text
    "int64_min_minus_one": lambda e, l: e["data"] == {"n": INT64_MIN},  # clamped
    "int64_overflow": lambda e, l: e["data"] == {"n": UINT64_MAX},
    "lone_surrogate_high": lambda e, l: e["data"] == {"s": "\ufffdx MARKER"},
    "lone_surrogate_low": lambda e, l: e["data"] == {"s": "\ufffd MARKER"},
    "number_100k_digits.gen": lambda e, l: e["data"] == {"n": UINT64_MAX},
    "reversed_surrogates": lambda e, l: e["data"] == {"s": "\ufffd\ufffd"},
    "tiny_exponent": lambda e, l: '"n":-1e-999999' in l,
    "ts_garbage": lambda e, l: e["ts"] == "not a time MARKER",  # ts is a string
}


def reply():
    line = rf.readline()
    if not line:
        raise RuntimeError("router closed the connection")
    return json.loads(line)


cases = sorted(os.listdir(CORPUS))
counts = {}
accepted = {}  # seq -> (case name, id)
last_seq = 0
for name in cases:
    with open(os.path.join(CORPUS, name), "rb") as f:
        body = f.read()
    if name.endswith(".gen"):
        body = eval(body.decode(), {})  # noqa: S307 - our own corpus
    n += 1
    case_id = "%032x" % (0xc000000 + n)
    body = body.replace(b"@ID@", case_id.encode())
    want = name.split(".", 1)[0]
    try:
        # big lines in pieces, like a real producer would write them
        for off in range(0, len(body), 1 << 20):
            sock.sendall(body[off:off + (1 << 20)])
        sock.sendall(b"\n" + valid(n) + b"\n")
        r = reply()
        if want == "accepted":
            good = (sorted(r) == ["id", "seq", "status"] and r["status"] == "accepted"
                    and r["id"] == case_id and isinstance(r["seq"], int) and r["seq"] > last_seq)
            if good:
                accepted[r["seq"]] = (name.split(".", 1)[1], case_id)
        else:
            good = r == {"status": "rejected", "reason": want}
        r2 = reply()
        good2 = (r2.get("status"), r2.get("id")) == ("accepted", "%032x" % (0xb000000 + n))
        last_seq = max([last_seq] + [x["seq"] for x in (r, r2) if isinstance(x.get("seq"), int)])
    except Exception as e:  # noqa: BLE001
        print("FAIL: %s: %s" % (name, e))
        fails.append(name)
        break
    counts[r.get("status")] = counts.get(r.get("status"), 0) + 1
    if good and good2:
        print("ok: %s -> %s" % (name, json.dumps(r)))
    else:
        print("FAIL: %s: got %s then %s; want %s then accepted" % (name, r, r2, want))
        fails.append(name)

alive = router.proc.poll() is None
print(("ok" if alive else "FAIL") + ": router still running")
with open("/proc/%d/status" % router.pid) as f:
    hwm = [int(x.split()[1]) for x in f if x.startswith("VmHWM")][0]
print("FIGURE badinput_ingest_cases %d" % len(cases))
print("FIGURE badinput_ingest_router_peak_rss_kb %d" % hwm)
sock.close()
# what was accepted reads back as strict JSON and valid UTF-8 from the ring
import subprocess  # noqa: E402
out = subprocess.run([os.path.join(gwlib.BIN, "event-tail")] + inst.args, env=inst.env,
                     capture_output=True, timeout=60).stdout
bad_lines = 0
ring = {}
for line in out.splitlines():
    try:
        text = line.decode("utf-8", "strict")
        ev = json.loads(text, parse_constant=lambda c: 1 / 0)
        ring[ev["seq"]] = (ev, text)
    except Exception:  # noqa: BLE001
        bad_lines += 1
ring_ok = bad_lines == 0 and len(out.splitlines()) >= len(cases)
print(("ok" if ring_ok else "FAIL") + ": ring: %d events, each strict JSON in valid UTF-8 (%d bad)"
      % (len(out.splitlines()), bad_lines))
if not ring_ok:
    fails.append("ring")
# every accepted case is in the ring, as hookwire-event(5) says
for seq, (desc, case_id) in sorted(accepted.items()):
    ev, text = ring.get(seq, (None, None))
    check = ACCEPTED_AS.get(desc)
    try:
        good = ev is not None and ev["id"] == case_id and check is not None and check(ev, text)
    except Exception:  # noqa: BLE001
        good = False
    if good:
        print("ok: accepted.%s: the ring holds it as hookwire-event(5) says" % desc)
    else:
        print("FAIL: accepted.%s: ring seq %d: %s%s" % (
            desc, seq, (text or "missing")[:300], "" if check else " (no ACCEPTED_AS entry)"))
        fails.append("accepted." + desc)
rc = router.stop()
logs = ""
for fn in os.listdir(inst.dir):
    if fn.endswith("log"):
        with open(os.path.join(inst.dir, fn), "rb") as f:
            logs += f.read().decode("utf-8", "replace")
if "MARKER" in logs:
    print("FAIL: a log line carries the payload marker:")
    print([l for l in logs.splitlines() if "MARKER" in l][:3])
    fails.append("logs")
else:
    print("ok: no payload in the router log at debug level (%d bytes of log)" % len(logs))
if not alive or rc != 0:
    fails.append("router exit %s" % rc)
print("%d cases, %d failed: %s" % (len(cases), len(fails), fails))
if fails:
    gwlib.dump_logs(inst)
sys.exit(1 if fails or not alive else 0)
