"""ws-gateway's request-head deadline (gateway.header_timeout_ms), against
the REAL gateway with raw sockets:
  dribble  a client dribbling a request head one byte every 0.5 s is cut at
           the deadline (408, counted as refused{reason="header_timeout"},
           logged with its peer) while other clients are served; a parked
           long-poll GET and an idle WebSocket outlive the deadline; a
           client that connects and says nothing is cut as well
  tls      a TLS client that never sends its ClientHello is cut at the
           deadline too, and counted
Each case starts its own router and gateway (unique instance), stopped by pid.
"""
import json
import os
import select
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwlib  # noqa: E402

TO = 2.0  # gateway.header_timeout_ms, in seconds


def silent_close(port, limit):
    """Connects, sends nothing; returns (seconds until the server closed, what it sent)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=limit)
    t0, got = time.monotonic(), b""
    try:
        while True:
            d = s.recv(4096)
            if not d:
                return time.monotonic() - t0, got
            got += d
    except OSError:
        return None, got
    finally:
        s.close()


def case_dribble():
    inst, router, gw = gwlib.start_pipeline("hto", {"HOOKWIRE_GATEWAY_HEADER_TIMEOUT_MS": "2000",
                                                    "HOOKWIRE_GATEWAY_PING_INTERVAL_MS": "6000",
                                                    "HOOKWIRE_GATEWAY_PING_TIMEOUT_MS": "5000"})
    try:
        P = gw.port

        def refused():
            return gwlib.metric(P, "hookwire_gateway_refused_total", 'reason="header_timeout"')
        # a parked long-poll GET and an idle WebSocket, both older than the timeout
        r = gwlib.http_request(P, "GET", gwlib.SIO_POLLING_PATH)
        sid = json.loads(r.body[1:])["sid"]
        parked = {}

        def park():
            t0 = time.monotonic()
            try:
                r = gwlib.http_request(P, "GET", gwlib.SIO_POLLING_PATH + "&sid=" + sid, timeout=20)
                parked["r"] = (r.status, r.body, time.monotonic() - t0)
            except Exception as e:  # noqa: BLE001
                parked["r"] = (None, repr(e).encode(), time.monotonic() - t0)
        pt = threading.Thread(target=park)
        pt.start()
        ws = gwlib.RawWS(P)
        assert ws.status == 101, ws.status
        assert ws.recv()[1].startswith(b"0{"), "no open packet"

        # the slow client: a byte, then up to 0.5 s for the gateway to answer or close
        head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200
        s = socket.create_connection(("127.0.0.1", P), timeout=10)
        t0 = time.monotonic()
        got, closed, served, i = b"", None, 0, 0
        while closed is None and time.monotonic() - t0 < TO + 6:
            if i < len(head):
                try:
                    s.send(head[i:i + 1])
                    i += 1
                except OSError:
                    pass
            # meanwhile a normal client is served
            if gwlib.http_request(P, "GET", "/healthz", timeout=5).status == 200:
                served += 1
            end = time.monotonic() + 0.5
            while closed is None:
                left = end - time.monotonic()
                if left <= 0 or not select.select([s], [], [], left)[0]:
                    break
                try:
                    d = s.recv(4096)
                except OSError:
                    d = b""
                if not d:
                    closed = time.monotonic() - t0
                got += d
        s.close()
        print("  dribbler: %d bytes sent, closed after %s s, got %r" % (
            i, None if closed is None else round(closed, 2), got[:40]))
        print("FIGURE header_timeout_cut_s %s" % (None if closed is None else round(closed, 2)))
        assert closed is not None, "the dribbling client was not cut within %.0f s" % (TO + 6)
        assert closed <= TO + 1.5, "cut after %.2f s, want <= %.1f" % (closed, TO + 1.5)
        assert got.startswith(b"HTTP/1.1 408"), "no 408: %r" % got[:60]
        assert served >= 2, "normal clients served meanwhile: %d" % served
        n = refused()
        assert n == 1, "refused{header_timeout} = %s, want 1" % n
        pt.join(25)
        st, body, dt = parked["r"]
        assert st == 200 and body == b"2" and dt > TO + 1, \
            "parked long-poll: %s %r after %.1f s (want the ping after the ping interval)" % (st, body, dt)
        ws.s.settimeout(10)
        m = ws.recv()[1]
        assert m == b"2", "idle WebSocket: got %r, want the ping" % m
        ws.close()
        n = refused()
        assert n == 1, "refused{header_timeout} = %s after poll and websocket, want 1" % n
        with open(os.path.join(inst.dir, "gateway.jsonlog")) as f:
            log = f.read()
        assert "request head not complete" in log and "127.0.0.1:" in log, "not logged with the peer"
        # a client that connects and says nothing is cut as well
        closed, got = silent_close(P, TO + 6)
        print("  silent client: closed after %s s, got %r" % (
            None if closed is None else round(closed, 2), got[:40]))
        assert closed is not None and closed <= TO + 1.5, "silent client: closed after %s" % closed
        assert got.startswith(b"HTTP/1.1 408"), "silent client: no 408: %r" % got[:60]
        n = refused()
        assert n == 2, "refused{header_timeout} = %s after the silent client, want 2" % n
    finally:
        gwlib.stop_clean(gw, router)


def case_tls():
    """A TLS client that never sends its ClientHello is cut at header_timeout_ms."""
    inst = gwlib.Instance("tlsto")
    cert, key = gwlib.tls_cert(inst)
    inst.env["HOOKWIRE_GATEWAY_HEADER_TIMEOUT_MS"] = "2000"
    router = gwlib.start_router(inst)
    gw = gwlib.start_gateway(inst, ["--tls-cert", cert, "--tls-key", key])
    try:
        closed, _ = silent_close(gw.port, 8)
        print("  silent TLS client: closed after %s s" % (None if closed is None else round(closed, 2)))
        assert closed is not None and closed <= 3.5, "silent TLS client: closed after %s" % closed
        n = gwlib.metric(gw.port, "hookwire_gateway_refused_total", 'reason="header_timeout"', tls=True)
        assert n == 1, "refused{header_timeout} over TLS: %s" % n
    finally:
        gwlib.stop_clean(gw, router)


res = gwlib.Results()
res.case("a dribbled head is cut at the deadline, parked polls and WebSockets are not", case_dribble)
res.case("a TLS client silent before its ClientHello is cut at the deadline", case_tls)
sys.exit(res.done())
