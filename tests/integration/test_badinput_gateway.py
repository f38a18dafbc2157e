"""Bad input against the REAL running ws-gateway over TCP, from the tables in
tests/badinput/gateway/ (HTTP requests, WebSocket frames, Engine.IO and
Socket.IO packets; the packet tables over WebSocket and over long-polling).

Each case: the expected HTTP status, WebSocket close code, disconnect or
CONNECT_ERROR; then a fresh valid client on the same gateway still connects
and gets an answer to get_history.  At the end an event fed into the router
reaches a valid client, the gateway is still running, and no log line (debug
level) carries the payload marker "MARKER".  See tests/badinput/README.
"""
import json
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwlib  # noqa: E402

TABLES = os.path.join(gwlib.SRC, "tests", "badinput", "gateway")
inst = gwlib.Instance("bg")
router = gwlib.start_router(inst, ["--log-level", "debug"])
gw = gwlib.start_gateway(inst, ["--log-level", "debug"])
PORT, TOKEN = gw.port, gw.token
fails = []
nok = 0


def expand(s):
    s = s.replace("@BIG64K@", "M" * 65536).replace("@2MB@", "4" + "M" * (2 << 20))
    s = s.replace("@600K@", "M" * 600000).replace("@126@", "M" * 126)
    s = s.replace("@MANYHDR@", "".join("X-H%d: MARKER\r\n" % i for i in range(5000)))
    s = s.replace("@DEEP@", "[" * 5000 + "]" * 5000)
    s = s.replace("@PONG1000@", "3")
    return s.encode("latin-1")


def table(name):
    with open(os.path.join(TABLES, name), encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def result(name, good, detail):
    global nok
    if good:
        nok += 1
        print("ok: %s (%s)" % (name, detail), flush=True)
    else:
        fails.append(name)
        print("FAIL: %s: %s" % (name, detail), flush=True)


class WS(gwlib.RawWS):
    """A raw WebSocket client speaking Engine.IO / Socket.IO by hand."""

    def __init__(self, sio=True):
        super().__init__(PORT)
        if self.status != 101:
            raise RuntimeError("handshake: %r" % self.head[:100])
        op, p = self.recv()
        if op != 1 or not p.startswith(b"0{"):
            raise RuntimeError("no Engine.IO open packet: %r" % p[:100])
        if sio:
            self.text('40{"token":"%s"}' % TOKEN)
            op, p = self.recv_skip()
            if not p.startswith(b"40{"):
                raise RuntimeError("no Socket.IO CONNECT: %r" % p[:100])

    def text(self, t):
        self.send(t.encode("latin-1") if isinstance(t, str) else t)

    def recv_skip(self):
        """Next frame that is not a broadcast (claude_event, sessions, stats) or a ping."""
        while True:
            op, p = self.recv()
            if op == 1 and (p == b"2" or p.startswith(b'42["claude_event"') or
                            p.startswith(b'42["sessions"') or p.startswith(b'42["stats"')):
                if p == b"2":
                    self.text("3")
                continue
            return op, p

    def outcome(self, timeout=8):
        """What the gateway does next: ('close', code), ('eof', None),
        ('connect_error', payload) or ('alive', None) when nothing within timeout."""
        self.s.settimeout(timeout)
        try:
            while True:
                op, p = self.recv_skip()
                if op == 8:
                    code = struct.unpack("!H", p[:2])[0] if len(p) >= 2 else 1005
                    return "close", code
                if op == 1 and p.startswith(b"44"):
                    return "connect_error", p
                if op == 1 and p.startswith(b"41"):
                    continue  # Socket.IO DISCONNECT first; the close follows
                if op == 1 and p == b"1":
                    continue  # Engine.IO close packet
        except EOFError:
            return "eof", None
        except ConnectionResetError:
            return "eof", None
        except socket.timeout:
            return "alive", None

    def history_ok(self, ack=7):
        self.s.settimeout(10)
        self.text('42%d["get_history",{"limit":1}]' % ack)
        while True:
            op, p = self.recv_skip()
            if op == 1 and p.startswith(b"43%d[" % ack):
                return True
            if op == 8:
                return False


def valid_client_works():
    try:
        w = WS()
        ok = w.history_ok()
        w.close()
        return ok
    except Exception as e:  # noqa: BLE001
        print("   valid client: %s" % e)
        return False


t0 = time.monotonic()
# ---- HTTP ----
for c in table("http.jsonl"):
    # the head is enough to know the status
    st = gwlib.raw_http(PORT, expand(c["send"]), timeout=5, head_only=True).status
    good = st in c["status"]
    after = valid_client_works()
    result("http: " + c["name"], good and after,
           "status %s, want %s; valid client after: %s" % (st, c["status"], after))

# ---- WebSocket frames ----
for c in table("ws.jsonl"):
    try:
        w = WS()
        try:
            if "raw" in c:
                w.s.sendall(c["raw"].encode("latin-1"))
            for f in c["frames"] if "frames" in c else []:
                w.s.sendall(gwlib.ws_frame(f["op"], expand(f["payload"]), f.get("fin", True),
                                           f.get("mask", True), f.get("rsv", 0)))
        except (BrokenPipeError, ConnectionResetError):
            pass
        kind, code = w.outcome()
        w.close()
        good = kind == "close" and code in c["close"]
        detail = "%s %s, want close %s" % (kind, code, c["close"])
    except Exception as e:  # noqa: BLE001
        good, detail = False, "error %s" % e
    after = valid_client_works()
    result("ws: " + c["name"], good and after, "%s; valid client after: %s" % (detail, after))


def run_packets(c, layer):
    w = WS()
    try:
        for t in c.get("send", []):
            if t == "@PONG1000@":
                w.s.sendall(b"".join(gwlib.ws_frame(1, b"3") for _ in range(1000)))
            else:
                w.text(expand(t))
        for b in c.get("binary", []) + c.get("binary_after", []):
            w.s.sendall(gwlib.ws_frame(2, expand(b)))
    except (BrokenPipeError, ConnectionResetError):
        pass
    want = c["expect"]
    kind, code = w.outcome(timeout=2 if "alive" in want else 8)
    alive_ok = None
    if kind in ("alive", "connect_error"):
        try:
            alive_ok = w.history_ok(ack=9)
        except Exception:  # noqa: BLE001
            alive_ok = False
    w.close()
    disc = kind in ("close", "eof")
    if want == "disconnect":
        good = disc
    elif want == "connect_error":
        good = kind == "connect_error"
    elif want == "alive":
        good = kind == "alive" and alive_ok
    else:  # each case names the one outcome the gateway must give
        raise ValueError("unknown expect %r" % want)
    return good, "%s %s (alive %s), want %s" % (kind, code if code is None or isinstance(code, int) else code[:60], alive_ok, want)


for layer, fn in (("eio", "eio.jsonl"), ("sio", "sio.jsonl")):
    for c in table(fn):
        try:
            good, detail = run_packets(c, layer)
        except Exception as e:  # noqa: BLE001
            good, detail = False, "error %s" % e
        after = valid_client_works()
        result("%s: %s" % (layer, c["name"]), good and after,
               "%s; valid client after: %s" % (detail, after))

# ---- the same Engine.IO / Socket.IO packets over long-polling (POST bodies) ----
class Poll(gwlib.RawPolling):
    """A raw Engine.IO long-polling session with a Socket.IO CONNECT done."""

    def __init__(self):
        super().__init__(PORT, TOKEN)
        if not self.connect.startswith("40{"):
            raise RuntimeError("no CONNECT reply: %r" % self.connect[:80])

    def req(self, method, body, timeout=10):
        """(status, body) of one request on the session: no status (None)
        is an outcome here, not an error."""
        r = gwlib.http_request(PORT, method, self.url(), body,
                               {"Content-Type": "text/plain;charset=UTF-8"} if method == "POST" else None,
                               timeout)
        return r.status, r.body

    def outcome(self, ack=9):
        """disconnect | connect_error | alive, after the case's POST."""
        st, _ = self.req("POST", '42%d["get_history",{"limit":1}]' % ack)
        if st != 200:
            return "disconnect", st
        got_err = False
        for _ in range(5):
            st, body = self.req("GET", "", timeout=8)
            if st != 200:
                return "disconnect", st
            pk = body.split(b"\x1e")
            if any(p.startswith(b"44") for p in pk):
                got_err = True
            if any(p.startswith(b"43%d[" % ack) for p in pk):
                return ("connect_error" if got_err else "alive"), st
            if any(p == b"1" or p.startswith(b"41") for p in pk):
                return "disconnect", st
        return "hung", None


for fn in ("eio.jsonl", "sio.jsonl"):
    for c in table(fn):
        if "binary" in c or "binary_after" in c:
            continue
        name = "polling %s: %s" % (fn[:3], c["name"])
        try:
            pl = Poll()
            body = b"\x1e".join(b"3" for _ in range(1000)) if c["send"] == ["@PONG1000@"] else \
                b"\x1e".join(expand(t) for t in c["send"])
            st, _ = pl.req("POST", body)
            kind, code = ("disconnect", st) if st != 200 else pl.outcome()
            want = c.get("polling_expect", c["expect"])
            if want == "disconnect":
                good = kind == "disconnect"
            elif want == "connect_error":
                good = kind == "connect_error"
            elif want == "alive":
                good = kind == "alive"
            else:
                raise ValueError("unknown expect %r" % want)
            detail = "%s %s, want %s" % (kind, code, want)
        except Exception as e:  # noqa: BLE001
            good, detail = False, "error %s" % e
        after = valid_client_works()
        result(name, good and after, "%s; valid client after: %s" % (detail, after))

# ---- the pipeline still delivers ----
w = WS()
w.text('42["subscribe",[]]')
eid = "%032x" % int.from_bytes(os.urandom(16), "big")
gwlib.ingest(inst, [{"id": eid, "event": "Stop", "session_id": "after-bad", "data": {"x": 1}}])


def is_it(op, p):
    return op == 1 and p.startswith(b'42["claude_event"') and eid.encode() in p


got = any(is_it(*f) for f in w.frames(is_it, 10))
result("an event after all the bad input reaches a valid client", got, eid)
w.close()
result("gateway still running", gw.proc.poll() is None, "pid %d" % gw.pid)
with open("/proc/%d/status" % gw.pid) as f:
    st = dict(l.split(":", 1) for l in f)
print("FIGURE badinput_gateway_cases %d" % (nok + len(fails) - 2))
print("FIGURE badinput_gateway_seconds %.1f" % (time.monotonic() - t0))
print("FIGURE badinput_gateway_peak_rss_kb %s" % st["VmHWM"].split()[0])
print("FIGURE badinput_gateway_open_fds %d" % len(os.listdir("/proc/%d/fd" % gw.pid)))
rc = gw.stop()
router.stop()
logs = ""
for fn in os.listdir(inst.dir):
    if fn.endswith("log"):
        with open(os.path.join(inst.dir, fn), "rb") as f:
            logs += f.read().decode("utf-8", "replace")
marked = [l for l in logs.splitlines() if "MARKER" in l]
result("no payload (MARKER) in any log line at debug level", not marked, marked[:3])
result("gateway exits 0 on SIGTERM", rc == 0, rc)
print("%d ok, %d failed" % (nok, len(fails)))
for f in fails:
    print("  failed: " + f)
if fails:
    gwlib.dump_logs(inst, 15)
sys.exit(1 if fails else 0)
