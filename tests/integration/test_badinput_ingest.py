"""Bad input on the router's ingest socket, from the corpus tests/badinput/ingest/.

Every case is sent on one connection to the REAL event-router (run at
--log-level debug), followed by a valid event: the case gets the reply
named by its file name (rejected with that reason, or for "answered" cases
any reply), the valid event right after it is accepted, the router keeps
running, its peak memory stays bounded, and no log line carries the payload
marker "MARKER".  See tests/badinput/README.
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


def reply():
    line = rf.readline()
    if not line:
        raise RuntimeError("router closed the connection")
    return json.loads(line)


cases = sorted(os.listdir(CORPUS))
counts = {}
for name in cases:
    with open(os.path.join(CORPUS, name), "rb") as f:
        body = f.read()
    if name.endswith(".gen"):
        body = eval(body.decode(), {})  # noqa: S307 - our own corpus
    n += 1
    body = body.replace(b"@ID@", b"%032x" % (0xc000000 + n))
    want = name.split(".", 1)[0]
    try:
        # big lines in pieces, like a real producer would write them
        for off in range(0, len(body), 1 << 20):
            sock.sendall(body[off:off + (1 << 20)])
        sock.sendall(b"\n" + valid(n) + b"\n")
        r = reply()
        if want == "answered":
            good = r.get("status") in ("accepted", "rejected", "duplicate")
        else:
            good = (r.get("status"), r.get("reason")) == ("rejected", want)
        r2 = reply()
        good2 = (r2.get("status"), r2.get("id")) == ("accepted", "%032x" % (0xb000000 + n))
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
for line in out.splitlines():
    try:
        json.loads(line.decode("utf-8", "strict"), parse_constant=lambda c: 1 / 0)
    except Exception:  # noqa: BLE001
        bad_lines += 1
ring_ok = bad_lines == 0 and len(out.splitlines()) >= len(cases)
print(("ok" if ring_ok else "FAIL") + ": ring: %d events, each strict JSON in valid UTF-8 (%d bad)"
      % (len(out.splitlines()), bad_lines))
if not ring_ok:
    fails.append("ring")
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
