"""Connection churn against the REAL ws-gateway: connections opened and
dropped in a loop, in every shape (TCP connect+close, RST, a half request,
an Engine.IO polling handshake, a WebSocket + Socket.IO CONNECT dropped
abruptly or closed cleanly).  Afterwards no descriptor and no memory is left
behind (/proc/<pid>/fd and VmRSS after a warm-up round versus after the
churn), and a client still gets events.
make check: 2,000 connections; HOOKWIRE_STRESS=1: 10,000.
"""
import json
import os
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwlib  # noqa: E402

STRESS = os.environ.get("HOOKWIRE_STRESS") == "1"
N = 10000 if STRESS else 2000
inst = gwlib.Instance("churn")
router = gwlib.start_router(inst)
gw = gwlib.start_gateway(inst)
PORT, TOKEN = gw.port, gw.token
fails = []


def check(ok, msg):
    print(("ok: " if ok else "FAIL: ") + msg, flush=True)
    if not ok:
        fails.append(msg)


def recv_until(s, pat, limit=65536):
    buf = b""
    while pat not in buf and len(buf) < limit:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    return buf


def rst(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def one(i):
    k = i % 6
    s = None
    try:
        if k >= 4:
            # a WebSocket and a Socket.IO CONNECT, dropped (4) or closed cleanly (5)
            w = gwlib.RawWS(PORT)
            s = w.s
            w.sio_connect(TOKEN)
            if k == 4:
                rst(s)
            else:
                w.send(b"\x03\xe8", op=8)
                s.recv(64)
                s.close()
            return None
        s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
        if k == 0:
            s.close()
        elif k == 1:
            rst(s)
        elif k == 2:
            s.sendall(b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: a\r\nX-Half: ")
            rst(s)
        elif k == 3:
            s.sendall(b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: a\r\n\r\n")
            recv_until(s, b'"maxPayload"')
            s.close()
    except (OSError, EOFError, RuntimeError) as e:
        if s is not None:
            s.close()
        return str(e)
    return None


def fds():
    return len(os.listdir("/proc/%d/fd" % gw.pid))


def rss():
    with open("/proc/%d/status" % gw.pid) as f:
        return int([l for l in f if l.startswith("VmRSS")][0].split()[1])


def clients():
    return json.loads(gwlib.http_request(PORT, "GET", "/healthz").body).get("clients", 99)


def settle(secs=10):
    """Bounded wait for the gateway to notice the last drops (only the
    /healthz request itself left); it says so nowhere but there."""
    gwlib.until(lambda: clients() <= 1, secs, "the gateway to count no client but /healthz's")


asan = b"libasan" in subprocess.run(["ldd", os.path.join(gwlib.BIN, "ws-gateway")],
                                    capture_output=True).stdout
errs = [e for e in (one(i) for i in range(300)) if e]
settle()
fd0 = fds()
rss0 = rss()
t0 = time.monotonic()
errs += [e for e in (one(i) for i in range(N)) if e]
secs = time.monotonic() - t0
settle()
fd1, rss1 = fds(), rss()
with open(os.path.join(gw.url and "/proc/%d/status" % gw.pid)) as f:
    hwm = [l for l in f if l.startswith("VmHWM")][0].split()[1]
print("FIGURE churn_connections %d" % N)
print("FIGURE churn_per_s %.0f" % (N / secs))
print("FIGURE churn_fds_before %d" % fd0)
print("FIGURE churn_fds_after %d" % fd1)
print("FIGURE churn_rss_before_kb %d" % rss0)
print("FIGURE churn_rss_after_kb %d" % rss1)
print("FIGURE churn_rss_peak_kb %s" % hwm)
check(len(errs) == 0, "every connection handled (%d errors: %s)" % (len(errs), errs[:3]))
check(fd1 <= fd0, "no descriptor left behind: %d -> %d" % (fd0, fd1))
if asan:
    print("ok: (memory growth not checked under ASan)")
else:
    check(rss1 - rss0 < 2048, "no memory left behind: VmRSS %d -> %d kB" % (rss0, rss1))
h = json.loads(gwlib.http_request(PORT, "GET", "/healthz").body)
check(h.get("clients", 99) <= 1, "healthz counts no leftover client: %s" % h)
# a client still works: an event through the pipeline
cl = gwlib.RawWS(PORT)
cl.sio_connect(TOKEN)
eid = os.urandom(16).hex()
gwlib.ingest(inst, [{"id": eid, "event": "Stop", "session_id": "churn", "data": {}}])
got = cl.frames(lambda op, p: eid.encode() in p, 10)
check(any(eid.encode() in p for op, p in got), "a client after the churn gets the next event")
cl.close()
rc = gw.stop()
check(rc == 0, "gateway exits 0 on SIGTERM (%s)" % rc)
router.stop()
if fails:
    gwlib.dump_logs(inst)
sys.exit(1 if fails else 0)
