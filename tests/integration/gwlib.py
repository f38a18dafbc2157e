"""gwlib.py: helpers for the ws-gateway integration tests in Python.

The same conventions as gwlib.mjs: a private directory under
$HOOKWIRE_TEST_TMP, a unique instance (hence its own ring), rundir and
statedir; daemons started with --readiness-fd and awaited on that pipe with a
bounded timeout (no sleeps); everything started here stopped by pid at exit
and the ring removed; events fed with the real hook-capture binary.
"""

import atexit
import copy
import json
import os
import secrets
import select
import shutil
import signal
import subprocess
import tempfile
import time

SRC = os.environ.get("HOOKWIRE_SRC") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("HOOKWIRE_BIN") or os.path.join(SRC, "build", "bin")

_started = []  # Popen objects we own
_rings = []


def _cleanup():
    for p in _started:
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGKILL)
                p.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
    for r in _rings:
        try:
            if os.path.isdir(r):
                shutil.rmtree(r)
            else:
                os.unlink(r)
        except OSError:
            pass


atexit.register(_cleanup)

_base = None
_n = 0


class Instance:
    def __init__(self, tag="gw"):
        global _base, _n
        if _base is None:
            _base = os.environ.get("HOOKWIRE_TEST_TMP") or tempfile.mkdtemp(prefix="hw-gwtest.")
        self.name = "t%dx%s%d" % (os.getpid(), tag, _n)
        _n += 1
        self.dir = os.path.join(_base, self.name)
        self.run = os.path.join(self.dir, "run")
        self.state = os.path.join(self.dir, "state")
        for d in (self.run, self.state):
            os.makedirs(d, mode=0o700, exist_ok=True)
            os.chmod(d, 0o700)
        # the ring's name has the uid (paths.h); the wake directory is the portable build's
        _rings.append("/dev/shm/hookwire-%d-%s" % (os.getuid(), self.name))
        _rings.append("/tmp/hookwire-%d-%s.wake" % (os.getuid(), self.name))
        self.env = dict(os.environ, HOOKWIRE_INSTANCE=self.name,
                        HOOKWIRE_RUNDIR=self.run, HOOKWIRE_STATEDIR=self.state)
        self.args = ["-i", self.name, "--rundir", self.run, "--statedir", self.state]


def tail(path, n=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return "(no log)"


def dump_logs(inst, n=25):
    """Prints the tail of every daemon log of an instance (stderr and --log-file)."""
    for f in sorted(os.listdir(inst.dir)):
        if f.endswith(".log") or f.endswith(".jsonlog"):
            print("--- %s (tail):\n%s" % (f, tail(os.path.join(inst.dir, f), n)))


class Daemon:
    def __init__(self, name, proc, log):
        self.name, self.proc, self.pid, self.log = name, proc, proc.pid, log
        self.port = self.url = self.token = None

    def stop(self, sig=signal.SIGTERM, timeout=5):
        if self.proc.poll() is not None:
            return self.proc.returncode
        os.kill(self.pid, sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.pid, signal.SIGKILL)
            return self.proc.wait(5)


def start_daemon(inst, name, argv, timeout=20.0):
    """Starts argv + --readiness-fd N; waits for the readiness line."""
    log = os.path.join(inst.dir, name + ".log")
    r, w = os.pipe()
    with open(log, "ab") as lf:
        proc = subprocess.Popen(argv + ["--readiness-fd", str(w)], env=inst.env,
                                stdin=subprocess.DEVNULL, stdout=lf, stderr=lf,
                                pass_fds=(w,))
    os.close(w)
    _started.append(proc)
    d = Daemon(name, proc, log)
    try:
        end = time.monotonic() + timeout
        buf = b""
        while b"\n" not in buf:
            left = end - time.monotonic()
            if left <= 0:
                raise RuntimeError("%s: no readiness within %.0f s" % (name, timeout))
            ready, _, _ = select.select([r], [], [], left)
            if ready:
                chunk = os.read(r, 64)
                if not chunk:
                    raise RuntimeError("%s: readiness fd closed without a line (exit %s)"
                                       % (name, proc.poll()))
                buf += chunk
    except RuntimeError as e:
        d.stop(signal.SIGKILL)
        raise RuntimeError("%s\n--- %s log:\n%s" % (e, name, tail(log)))
    finally:
        os.close(r)
    return d


def start_router(inst, extra=()):
    return start_daemon(inst, "router", [os.path.join(BIN, "event-router")] + inst.args +
                        ["--log-file", os.path.join(inst.dir, "router.jsonlog")] + list(extra))


def start_gateway(inst, extra=(), listen="127.0.0.1:0"):
    try:
        os.unlink(os.path.join(inst.run, "gateway.port"))
    except OSError:
        pass
    d = start_daemon(inst, "gateway", [os.path.join(BIN, "ws-gateway")] + inst.args +
                     ["--listen", listen,
                      "--log-file", os.path.join(inst.dir, "gateway.jsonlog")] + list(extra))
    with open(os.path.join(inst.run, "gateway.port")) as f:
        d.port = int(f.read().strip())
    d.url = "http://127.0.0.1:%d" % d.port
    try:
        with open(os.path.join(inst.state, "token")) as f:
            d.token = f.read().strip()
    except OSError:
        d.token = None
    return d


def fixture_dir():
    for c in (os.environ.get("HOOKWIRE_FIXTURES"),
              os.path.join(SRC, "..", "shared", "fixtures", "hooks"),
              os.path.join(SRC, "tests", "fixtures", "hooks")):
        if c and os.path.isdir(c):
            return c
    raise RuntimeError("no hook fixtures")


def fixtures():
    d = fixture_dir()
    out = {}
    for f in sorted(os.listdir(d)):
        if f.endswith(".json"):
            with open(os.path.join(d, f)) as fh:
                out[f[:-5]] = json.load(fh)
    return out


_nonce = 0


def hook_from(fixture, session=None, **extra):
    """A unique copy of a fixture (fresh tool_use_id, a nonce field)."""
    global _nonce
    h = copy.deepcopy(fixture)
    if session:
        h["session_id"] = session
    _nonce += 1
    if "tool_use_id" in h or "tool_name" in h:
        h["tool_use_id"] = "toolu_gwtest_py_%d_%d" % (os.getpid(), _nonce)
    h["hookwire_test_nonce"] = "py-%d-%d-%s" % (os.getpid(), _nonce, secrets.token_hex(4))
    h.update(extra)
    return h


def capture(inst, hook, timeout=10):
    """Feeds one hook JSON through the real hook-capture; its exit code must be 0."""
    data = hook if isinstance(hook, (bytes, str)) else json.dumps(hook)
    if isinstance(data, str):
        data = data.encode()
    p = subprocess.run([os.path.join(BIN, "hook-capture")] + inst.args, input=data,
                       env=inst.env, capture_output=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError("hook-capture exited %d: %r" % (p.returncode, p.stderr[-500:]))
    return hook["hookwire_test_nonce"] if isinstance(hook, dict) else None


class Results:
    """Named cases, a closing summary, a non-zero exit on any failure."""

    def __init__(self):
        self.passed, self.failed = [], []

    def case(self, name, fn, *args):
        t0 = time.monotonic()
        try:
            fn(*args)
        except Exception as e:  # noqa: BLE001 - report every failure and go on
            import traceback
            self.failed.append(name)
            print("not ok - %s (%.1fs): %s: %s" % (name, time.monotonic() - t0,
                                                  type(e).__name__, e), flush=True)
            traceback.print_exc()
        else:
            self.passed.append(name)
            print("ok - %s (%.1fs)" % (name, time.monotonic() - t0), flush=True)

    def done(self):
        print("# %d passed, %d failed" % (len(self.passed), len(self.failed)))
        for n in self.failed:
            print("#   failed: " + n)
        return 1 if self.failed else 0


# ---- waiting, and raw HTTP and WebSocket: for tests that send bytes exactly
# as written (nothing normalised by a client library) ----

import base64  # noqa: E402 - with the helpers that use them
import socket  # noqa: E402
import ssl  # noqa: E402
import struct  # noqa: E402


def until(cond, timeout=10.0, what="condition", interval=0.05):
    """Polls cond() every interval seconds until it returns a true value,
    which is returned; at most timeout seconds, then AssertionError naming
    what.  Only for a state nothing announces (a counter on /metrics, a line
    another process logs): wait on the socket, pipe or process where there
    is one."""
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() >= end:
            raise AssertionError("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(interval)


SIO_WS_PATH = "/socket.io/?EIO=4&transport=websocket"
SIO_POLLING_PATH = "/socket.io/?EIO=4&transport=polling"


class Response:
    """What raw_http read: status (None when there was no status line), head
    (text), headers (lower-case names; the last of a repeated one), body
    (bytes), raw (every byte read), closed (the peer closed: end of file or
    reset; False when the read stopped at the time limit or the head)."""

    def __init__(self, raw, closed):
        self.raw, self.closed = raw, closed
        head, sep, self.body = raw.partition(b"\r\n\r\n")
        self.head = head.decode("latin-1")
        self.headers = {}
        for line in self.head.split("\r\n")[1:]:
            k, colon, v = line.partition(":")
            if colon:
                self.headers[k.strip().lower()] = v.strip()
        try:
            self.status = int(raw.split(b"\r\n", 1)[0].split()[1]) if raw.startswith(b"HTTP/") else None
        except (IndexError, ValueError):
            self.status = None


def tls_context():
    """A client context that takes the test's self-signed certificate."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def connect(port, timeout=10, tls=False):
    """A TCP connection to 127.0.0.1:port (TLS without verification if tls)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return tls_context().wrap_socket(s) if tls else s


def read_response(s, timeout=10, head_only=False):
    """Reads a response from s until the peer closes, at most timeout
    seconds (head_only: until the end of the head); a Response."""
    s.settimeout(timeout)
    buf, closed = b"", False
    try:
        while not (head_only and b"\r\n\r\n" in buf):
            d = s.recv(65536)
            if not d:
                closed = True
                break
            buf += d
    except socket.timeout:
        pass
    except (ConnectionResetError, ssl.SSLError):
        closed = True
    return Response(buf, closed)


def raw_http(port, request, timeout=10, head_only=False, tls=False):
    """Sends request (bytes, sent as they are) on a new connection and
    reads the answer (read_response); a peer that closes while we send is
    not an error: what it answered is read."""
    s = connect(port, timeout, tls)
    try:
        try:
            s.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return read_response(s, timeout, head_only)
    finally:
        s.close()


def http_request(port, method, path, body=b"", headers=None, timeout=10, tls=False):
    """One HTTP/1.1 request on its own connection (Host, Connection: close,
    Content-Length when there is a body or for a POST); a Response."""
    if isinstance(body, str):
        body = body.encode("latin-1")
    h = "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n" % (method, path, port)
    if body or method == "POST":
        h += "Content-Length: %d\r\n" % len(body)
    for k, v in (headers or {}).items():
        h += "%s: %s\r\n" % (k, v)
    return raw_http(port, h.encode("latin-1") + b"\r\n" + body, timeout, tls=tls)


def metric(port, name, label=None, tls=False):
    """The value of a counter or gauge on the gateway's /metrics (an int),
    or None when it is not there."""
    body = http_request(port, "GET", "/metrics", tls=tls).body.decode(errors="replace")
    want = name + ("{" + label + "}" if label else "") + " "
    for line in body.splitlines():
        if line.startswith(want):
            return int(float(line[len(want):]))
    return None


def ws_frame(op, payload, fin=True, mask=True, rsv=0):
    """A WebSocket frame as a client sends it, masked with a random key;
    fin, mask and rsv for a client that breaks the rules."""
    if isinstance(payload, str):
        payload = payload.encode()
    n = len(payload)
    b0 = (0x80 if fin else 0) | (rsv << 4) | op
    mbit = 0x80 if mask else 0
    if n < 126:
        head = struct.pack("!BB", b0, mbit | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        head = struct.pack("!BBQ", b0, mbit | 127, n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(c ^ key[i & 3] for i, c in enumerate(payload))


class RawWS:
    """A WebSocket client on a raw socket: the opening handshake (status and
    head kept; a refusal is no exception), then frames by hand.  rcvbuf sets
    SO_RCVBUF before the connect (a client that reads slowly)."""

    def __init__(self, port, path=SIO_WS_PATH, origin=None, headers=None, rcvbuf=None,
                 timeout=10, tls=False):
        s = socket.socket()
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(timeout)
        s.connect(("127.0.0.1", port))
        self.s = tls_context().wrap_socket(s) if tls else s
        h = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n" %
             (path, port, base64.b64encode(os.urandom(16)).decode()))
        if origin is not None:
            h += "Origin: %s\r\n" % origin
        for k, v in (headers or {}).items():
            h += "%s: %s\r\n" % (k, v)
        self.s.sendall((h + "\r\n").encode("latin-1"))
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            d = self.s.recv(4096)
            if not d:
                break
            self.buf += d
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        self.head = head.decode("latin-1")
        r = Response(head + b"\r\n\r\n", False)
        self.status = r.status

    def send(self, payload, op=1, **kw):
        """Sends one frame (ws_frame); a str is UTF-8 text."""
        self.s.sendall(ws_frame(op, payload, **kw))

    def _need(self, n):
        while len(self.buf) < n:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("the peer closed")
            self.buf += d

    def recv(self):
        """The next frame, (opcode, payload bytes); EOFError when the peer
        closed, socket.timeout past the socket's timeout."""
        self._need(2)
        b0, b1 = self.buf[0], self.buf[1]
        n, off = b1 & 0x7F, 2
        if n == 126:
            self._need(4)
            n, off = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10)
            n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._need(off + n)
        p, self.buf = self.buf[off:off + n], self.buf[off + n:]
        return b0 & 0x0F, p

    def frames(self, until, timeout=10):
        """Reads frames until until(opcode, payload) is true, the peer
        closes or timeout seconds pass; returns every frame read."""
        got, end = [], time.monotonic() + timeout
        try:
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    break
                self.s.settimeout(left)
                f = self.recv()
                got.append(f)
                if until(*f):
                    break
        except (EOFError, socket.timeout, ConnectionResetError):
            pass
        return got

    def sio_connect(self, token):
        """Takes the Engine.IO open packet, sends a Socket.IO CONNECT with
        token and returns the answer's payload (b"40..." or b"44...");
        frames in between (pings, broadcasts) are passed over."""
        op, p = self.recv()
        if op != 1 or not p.startswith(b"0{"):
            raise RuntimeError("no Engine.IO open packet: %r" % p[:100])
        self.send('40{"token":"%s"}' % token)
        while True:
            op, p = self.recv()
            if op == 1 and (p.startswith(b"40") or p.startswith(b"44")):
                return p

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


class RawPolling:
    """A Socket.IO session on Engine.IO long-polling, by hand: the
    handshake, then (token not None) a CONNECT with token, whose answer is
    kept in .connect."""

    def __init__(self, port, token=None, timeout=10):
        self.port, self.timeout = port, timeout
        r = http_request(port, "GET", SIO_POLLING_PATH, timeout=timeout)
        if r.status != 200 or not r.body.startswith(b"0{"):
            raise RuntimeError("polling handshake: %s %r" % (r.status, r.body[:80]))
        self.sid = json.loads(r.body[1:])["sid"]
        self.connect = None
        if token is not None:
            self.post("40" + json.dumps({"token": token}))
            self.connect = self.get()[0]

    def url(self):
        return SIO_POLLING_PATH + "&sid=" + self.sid

    def post(self, payload):
        """POSTs payload (packets joined by \\x1e); asserts 200."""
        st = http_request(self.port, "POST", self.url(), payload,
                          {"Content-Type": "text/plain;charset=UTF-8"}, self.timeout).status
        assert st == 200, "polling POST: %s" % st

    def get(self, timeout=30):
        """The packets of the next GET (a long-poll: waits for them)."""
        r = http_request(self.port, "GET", self.url(), timeout=timeout)
        assert r.status == 200, "polling GET: %s" % r.status
        return r.body.decode().split("\x1e")

    def close(self):
        try:
            self.post("1")
        except Exception:  # noqa: BLE001 - it may be gone already
            pass


def ingest(inst, events, timeout=30):
    """Writes canonical events (dicts; "id" and "ts" filled in when missing)
    to the router's ingest socket, each acknowledged "accepted"; returns
    the last seq."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(os.path.join(inst.run, "ingest.sock"))
    out = []
    for e in events:
        e = dict(e)
        e.setdefault("id", secrets.token_hex(16))
        e.setdefault("ts", time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime()))
        out.append(json.dumps(e))
    s.sendall(("\n".join(out) + "\n").encode())
    f = s.makefile("rb")
    last = 0
    try:
        for _ in out:
            line = f.readline()
            assert line, "the router closed the ingest socket"
            r = json.loads(line)
            assert r["status"] == "accepted", r
            last = r["seq"]
    finally:
        f.close()
        s.close()
    return last


# ---- a pipeline per case ----

def start_pipeline(tag, env=None, extra=()):
    """A new instance (environment env added) with its router and a gateway
    (extra arguments); returns (inst, router, gateway)."""
    inst = Instance(tag)
    inst.env.update(env or {})
    router = start_router(inst)
    return inst, router, start_gateway(inst, extra)


def stop_clean(*daemons):
    """Stops each daemon with SIGTERM, in order; asserts that each exits 0."""
    for d in daemons:
        rc = d.stop()
        assert rc == 0, "%s exited %s" % (d.name, rc)


def tls_cert(inst):
    """A self-signed certificate for 127.0.0.1 in inst's directory:
    (cert, key), for --tls-cert and --tls-key."""
    cert, key = os.path.join(inst.dir, "cert.pem"), os.path.join(inst.dir, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True, timeout=60)
    return cert, key
