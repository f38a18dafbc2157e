# test_gateway_limits.py: ws-gateway's answers to bad input and its limits,
# with raw sockets so that nothing is normalised by a client library.
#   - request smuggling shapes and bad heads get 400/501 and a counter
#   - a WebSocket protocol error closes that client (1002/1007), others go on
#   - a client that does not read is dropped at gateway.outbuf_hard, counted,
#     while a reading client gets every event
#   - Engine.IO / Socket.IO garbage closes the session, counted
# Starts the real event-router and ws-gateway with a readiness fd; stops them by pid.
import base64, json, os, select, socket, struct, subprocess, sys, time, urllib.request

B = os.environ["HOOKWIRE_BIN"]
T = os.environ.get("HOOKWIRE_TEST_TMP") or "/tmp"
INST = "tl%dx%d" % (os.getpid(), int(time.time()) % 100000)
RUN, STATE = os.path.join(T, INST, "run"), os.path.join(T, INST, "state")
for d in (RUN, STATE):
    os.makedirs(d, mode=0o700, exist_ok=True)
procs, fails = [], []


def start(name, args, env=None):
    r, w = os.pipe()
    log = open(os.path.join(T, INST, name + ".log"), "ab")
    p = subprocess.Popen(args + ["--readiness-fd", str(w)], pass_fds=(w,), stderr=log,
                         env=dict(os.environ, **(env or {})))
    os.close(w)
    procs.append(p)
    ready, _, _ = select.select([r], [], [], 20)
    if not ready or os.read(r, 1) != b"\n":
        sys.exit("%s did not become ready" % name)
    os.close(r)
    return p


def check(desc, cond):
    print(("ok: " if cond else "FAIL: ") + desc)
    if not cond:
        fails.append(desc)


common = ["-i", INST, "--rundir", RUN, "--statedir", STATE]
try:
    start("router", [B + "/event-router"] + common)
    gw = start("gateway", [B + "/ws-gateway"] + common + ["--listen", "127.0.0.1:0"],
               env={"HOOKWIRE_GATEWAY_OUTBUF_HARD": "256k", "HOOKWIRE_GATEWAY_OUTBUF_SOFT": "128k"})
    port = int(open(os.path.join(RUN, "gateway.port")).read())
    token = open(os.path.join(STATE, "token")).read().strip()

    def raw(req, read=True):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(req)
        data = b""
        while read:
            try:
                d = s.recv(65536)
            except socket.timeout:
                break
            if not d:
                break
            data += d
        s.close()
        return data

    def metric(name, label=None):
        body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()
        for line in body.splitlines():
            if line.startswith(name + ("{" + label + "}" if label else " ")):
                return int(line.split()[-1])
        return None

    # --- HTTP
    bad0 = metric("hookwire_gateway_bad_input_total", 'protocol="http"')
    for req, status in [
        (b"POST /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", b" 400 "),
        (b"POST /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", b" 501 "),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", b" 400 "),
        (b"GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n z\r\n\r\n", b" 400 "),
        (b"GET / HTTP/1.1\nHost: a\r\n\r\n", b" 400 "),
        (b"GET / HTTP/3.0\r\nHost: a\r\n\r\n", b" 505 "),
        (b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 20000 + b"\r\n\r\n", b" 431 "),
    ]:
        got = raw(req)
        check("bad head %r -> %s" % (req[:40], status.strip().decode()), got.startswith(b"HTTP/1.1" + status))
    check("bad HTTP counted", metric("hookwire_gateway_bad_input_total", 'protocol="http"') >= bad0 + 7)

    # --- WebSocket helpers
    def ws_open(path="/socket.io/?EIO=4&transport=websocket", origin=None):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        key = base64.b64encode(os.urandom(16)).decode()
        h = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n" % (path, port, key))
        if origin:
            h += "Origin: %s\r\n" % origin
        s.sendall((h + "\r\n").encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            d = s.recv(4096)
            if not d:
                break
            buf += d
        head, _, rest = buf.partition(b"\r\n\r\n")
        return s, head, rest

    def frame(payload, op=1, masked=True, fin=True):
        b0 = (0x80 if fin else 0) | op
        m = os.urandom(4)
        n = len(payload)
        hdr = bytes([b0]) + (bytes([(0x80 if masked else 0) | n]) if n < 126 else
                             bytes([(0x80 if masked else 0) | 126]) + struct.pack(">H", n))
        if not masked:
            return hdr + payload
        return hdr + m + bytes(c ^ m[i % 4] for i, c in enumerate(payload))

    def read_frames(s, rest, until, timeout=10):
        """Reads frames until until(opcode, payload) is true; returns (frames, rest)."""
        frames, buf, end = [], rest, time.time() + timeout
        while time.time() < end:
            while len(buf) >= 2:
                n, o = buf[1] & 0x7F, 2
                if n == 126:
                    if len(buf) < 4: break
                    n, o = struct.unpack(">H", buf[2:4])[0], 4
                elif n == 127:
                    if len(buf) < 10: break
                    n, o = struct.unpack(">Q", buf[2:10])[0], 10
                if len(buf) < o + n: break
                f = (buf[0] & 0x0F, buf[o:o + n]); buf = buf[o + n:]
                frames.append(f)
                if until(*f):
                    return frames, buf
            s.settimeout(max(0.1, end - time.time()))
            try:
                d = s.recv(1 << 20)
            except socket.timeout:
                break
            if not d:
                break
            buf += d
        return frames, buf

    def sio_connect():
        s, head, rest = ws_open()
        s.sendall(frame(('40{"token":"%s"}' % token).encode()))
        fr, rest = read_frames(s, rest, lambda op, p: p.startswith(b"40"))
        return s, rest

    # --- Origin on the WebSocket handshake
    s, head, _ = ws_open(origin="http://evil.example")
    check("WebSocket handshake with a foreign Origin -> 403", head.startswith(b"HTTP/1.1 403"))
    s.close()

    # --- WebSocket protocol errors close that client only
    good, grest = sio_connect()
    for name, data, code in [
        ("unmasked frame", frame(b"40", masked=False), 1002),
        ("reserved bit", bytes([0xC1, 0x82]) + b"\0\0\0\0" + b"40", 1002),
        ("opcode 3", frame(b"x", op=3), 1002),
        ("ping of 126 bytes", frame(b"p" * 126, op=9), 1002),
        ("fragmented ping", frame(b"p", op=9, fin=False), 1002),
        ("invalid UTF-8", frame(b"4\xff"), 1007),
        ("close code 1005", frame(b"\x03\xed", op=8), 1002),
    ]:
        s, head, rest = ws_open()
        s.sendall(data)
        fr, _ = read_frames(s, rest, lambda op, p: op == 8, timeout=5)
        closes = [p for op, p in fr if op == 8]
        got = struct.unpack(">H", closes[0][:2])[0] if closes and len(closes[0]) >= 2 else None
        check("%s -> close %d (got %s)" % (name, code, got), got == code)
        s.close()
    # Engine.IO / Socket.IO garbage: the session is closed
    for name, pkt in [("Engine.IO type 9", b"9"), ("Socket.IO type 8", b"48"),
                      ("ack id too long", b'421234567890123456["x"]'),
                      ("attachment count lie", b'451-["x"]'), ("bad namespace", b'40/a"b,')]:
        s, rest = sio_connect()
        s.sendall(frame(pkt))
        fr, _ = read_frames(s, rest, lambda op, p: op == 8, timeout=5)
        check("%s closes the client" % name, any(op == 8 for op, p in fr))
        s.close()
    check("Socket.IO errors counted", metric("hookwire_gateway_bad_input_total", 'protocol="socket_io"') >= 3)
    # the good client is still served
    good.sendall(frame(b'421["get_history",{"limit":1}]'))
    fr, grest = read_frames(good, grest, lambda op, p: p.startswith(b"431"))
    check("a well-behaved client is unaffected", any(p.startswith(b"431") for op, p in fr))

    # --- slow client: never reads; dropped at outbuf_hard; the reader gets everything
    slow, srest = sio_connect()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    drop0 = metric("hookwire_gateway_disconnects_total", 'reason="slow_client"')
    ing = socket.socket(socket.AF_UNIX)
    ing.connect(os.path.join(RUN, "ingest.sock"))
    N, pad = 150, "z" * 60000
    lines = [json.dumps({"id": os.urandom(16).hex(), "ts": "2026-11-28T21:00:00.000000Z",
                         "event": "PreToolUse", "session_id": "slow-test",
                         "data": {"i": i, "pad": pad}}) + "\n" for i in range(N)]
    got = []
    # paced: two events, then wait until the reading client has them
    for i in range(0, N, 2):
        ing.sendall("".join(lines[i:i + 2]).encode())
        last = min(i + 1, N - 1)
        fr, grest = read_frames(good, grest, lambda op, p: b'"i":%d,' % last in p, timeout=20)
        got += [p for op, p in fr if p.startswith(b'42["claude_event"')]
    check("the reading client got all %d events (%d)" % (N, len(got)), len(got) == N)
    end = time.time() + 20
    while time.time() < end and metric("hookwire_gateway_disconnects_total", 'reason="slow_client"') == drop0:
        time.sleep(0.1)  # bounded poll: there is no event to wait on from outside
    check("the slow client was dropped and counted",
          metric("hookwire_gateway_disconnects_total", 'reason="slow_client"') == drop0 + 1)
    ing.close()
    good.close()
    slow.close()
    gw.terminate()
    check("the gateway exits 0 on SIGTERM", gw.wait(20) == 0)
finally:
    for p in procs:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
    try:
        os.unlink("/dev/shm/hookwire-" + INST)
    except OSError:
        pass
print("%d check(s) failed" % len(fails) if fails else "all checks passed")
sys.exit(1 if fails else 0)
