# test_gateway_limits.py: ws-gateway's answers to bad input and its limits,
# with raw sockets so that nothing is normalised by a client library.
#   - request smuggling shapes and bad heads get 400/501 and a counter
#   - a WebSocket protocol error closes that client (1002/1007), others go on
#   - a client that does not read is dropped at gateway.outbuf_hard, counted,
#     while a reading client gets every event
#   - Engine.IO / Socket.IO garbage closes the session, counted
# Starts the real event-router and ws-gateway with a readiness fd (gwlib.py);
# stops them by pid.
import os, socket, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwlib  # noqa: E402

fails = []


def check(desc, cond):
    print(("ok: " if cond else "FAIL: ") + desc)
    if not cond:
        fails.append(desc)


inst = gwlib.Instance("tl")
inst.env.update({"HOOKWIRE_GATEWAY_OUTBUF_HARD": "256k", "HOOKWIRE_GATEWAY_OUTBUF_SOFT": "128k"})
router = gw = None
try:
    router = gwlib.start_router(inst)
    gw = gwlib.start_gateway(inst)
    port, token = gw.port, gw.token

    def metric(name, label=None):
        return gwlib.metric(port, name, label)

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
        got = gwlib.raw_http(port, req, timeout=5).raw
        check("bad head %r -> %s" % (req[:40], status.strip().decode()), got.startswith(b"HTTP/1.1" + status))
    check("bad HTTP counted", metric("hookwire_gateway_bad_input_total", 'protocol="http"') >= bad0 + 7)

    # --- WebSocket
    def sio_connect():
        w = gwlib.RawWS(port, timeout=5)
        w.sio_connect(token)
        return w

    # --- Origin on the WebSocket handshake
    w = gwlib.RawWS(port, origin="http://evil.example", timeout=5)
    check("WebSocket handshake with a foreign Origin -> 403", w.head.startswith("HTTP/1.1 403"))
    w.close()

    # --- WebSocket protocol errors close that client only
    good = sio_connect()
    for name, data, code in [
        ("unmasked frame", gwlib.ws_frame(1, b"40", mask=False), 1002),
        ("reserved bit", bytes([0xC1, 0x82]) + b"\0\0\0\0" + b"40", 1002),
        ("opcode 3", gwlib.ws_frame(3, b"x"), 1002),
        ("ping of 126 bytes", gwlib.ws_frame(9, b"p" * 126), 1002),
        ("fragmented ping", gwlib.ws_frame(9, b"p", fin=False), 1002),
        ("invalid UTF-8", gwlib.ws_frame(1, b"4\xff"), 1007),
        ("close code 1005", gwlib.ws_frame(8, b"\x03\xed"), 1002),
    ]:
        w = gwlib.RawWS(port, timeout=5)
        w.s.sendall(data)
        fr = w.frames(lambda op, p: op == 8, timeout=5)
        closes = [p for op, p in fr if op == 8]
        got = int.from_bytes(closes[0][:2], "big") if closes and len(closes[0]) >= 2 else None
        check("%s -> close %d (got %s)" % (name, code, got), got == code)
        w.close()
    # Engine.IO / Socket.IO garbage: the session is closed
    for name, pkt in [("Engine.IO type 9", b"9"), ("Socket.IO type 8", b"48"),
                      ("ack id too long", b'421234567890123456["x"]'),
                      ("attachment count lie", b'451-["x"]'), ("bad namespace", b'40/a"b,')]:
        w = sio_connect()
        w.send(pkt)
        fr = w.frames(lambda op, p: op == 8, timeout=5)
        check("%s closes the client" % name, any(op == 8 for op, p in fr))
        w.close()
    check("Socket.IO errors counted", metric("hookwire_gateway_bad_input_total", 'protocol="socket_io"') >= 3)
    # the good client is still served
    good.send('421["get_history",{"limit":1}]')
    fr = good.frames(lambda op, p: p.startswith(b"431"))
    check("a well-behaved client is unaffected", any(p.startswith(b"431") for op, p in fr))

    # --- slow client: never reads; dropped at outbuf_hard; the reader gets everything
    slow = sio_connect()
    slow.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    drop0 = metric("hookwire_gateway_disconnects_total", 'reason="slow_client"')
    N, pad = 150, "z" * 60000
    events = [{"id": os.urandom(16).hex(), "ts": "2026-11-28T21:00:00.000000Z",
               "event": "PreToolUse", "session_id": "slow-test", "data": {"i": i, "pad": pad}}
              for i in range(N)]
    got = []
    # paced: two events, then wait until the reading client has them
    for i in range(0, N, 2):
        gwlib.ingest(inst, events[i:i + 2])
        last = min(i + 1, N - 1)
        fr = good.frames(lambda op, p: b'"i":%d,' % last in p, timeout=20)
        got += [p for op, p in fr if p.startswith(b'42["claude_event"')]
    check("the reading client got all %d events (%d)" % (N, len(got)), len(got) == N)
    try:  # bounded poll: there is no event to wait on from outside; the check says
        gwlib.until(lambda: metric("hookwire_gateway_disconnects_total", 'reason="slow_client"') != drop0,
                    20, "the slow client to be dropped", 0.1)
    except AssertionError:
        pass
    check("the slow client was dropped and counted",
          metric("hookwire_gateway_disconnects_total", 'reason="slow_client"') == drop0 + 1)
    good.close()
    slow.close()
    check("the gateway exits 0 on SIGTERM", gw.stop(timeout=20) == 0)
finally:
    for d in (gw, router):
        if d is not None:
            d.stop()
print("%d check(s) failed" % len(fails) if fails else "all checks passed")
sys.exit(1 if fails else 0)
