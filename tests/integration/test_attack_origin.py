"""Cross-site WebSocket hijacking and cross-origin polling against the REAL
ws-gateway: a page on a foreign origin (in many look-alike shapes) opening
the WebSocket or the polling transport is refused (a 4xx, no Engine.IO open
packet, no session); the gateway's own origin and requests without an
Origin header (non-browser clients) are served.  (test_gw_api_client.mjs
covers one foreign origin; this is the table.)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwlib  # noqa: E402

inst = gwlib.Instance("orig")
router = gwlib.start_router(inst)
gw = gwlib.start_gateway(inst)
P = gw.port
foreign = [
    "http://evil.example", "null", "http://127.0.0.1.evil.example:%d" % P, "http://127.0.0.1:%d.evil.example" % P,
    "http://evil.example/http://127.0.0.1:%d" % P, "http://127.0.0.1:%d" % (P + 1),
    "http://127.0.0.2:%d" % P, "http://0.0.0.0:%d" % P, "http://[::1]:%d.evil" % P, "http://127.0.0.1@evil.example",
    "http://evil.example#http://127.0.0.1:%d" % P, "file://", "chrome-extension://abcdef", "http://127.0.0.1",
    "http://127.0.0.1:%d, http://evil.example" % P, "HTTP://EVIL.EXAMPLE", " http://evil.example",
    "http://localhost.evil.example:%d" % P, "http://xn--80ak6aa92e.com",
]


def req(path, origin, ws=False):
    """(status, what was read): the whole answer on polling; on the
    WebSocket the head and whatever came with it (an open packet would)."""
    if ws:
        w = gwlib.RawWS(P, path, origin=origin)
        w.close()
        return w.status, w.head.encode("latin-1") + b"\r\n\r\n" + w.buf
    r = gwlib.http_request(P, "GET", path, headers=None if origin is None else {"Origin": origin})
    return r.status, r.raw


bad = 0
for o in foreign:
    for ws in (False, True):
        st, body = req("/socket.io/?EIO=4&transport=%s" % ("websocket" if ws else "polling"), o, ws)
        good = st is not None and 400 <= st < 500 and b'"sid"' not in body
        bad += not good
        print("%s: %s origin %r -> %s" % ("ok" if good else "FAIL", "websocket" if ws else "polling", o, st))
for o in (None, "http://127.0.0.1:%d" % P):
    st, body = req("/socket.io/?EIO=4&transport=polling", o)
    good = st == 200 and b'"sid"' in body
    bad += not good
    print("%s: polling origin %r served -> %s" % ("ok" if good else "FAIL", o, st))
    st, body = req("/socket.io/?EIO=4&transport=websocket", o, True)
    bad += st != 101
    print("%s: websocket origin %r served -> %s" % ("ok" if st == 101 else "FAIL", o, st))
# The gateway's own host and port with the other scheme: a plain-HTTP
# gateway's own origin is http://Host only (test_gw_origin_scheme.py checks the count).
for ws in (False, True):
    st, _ = req("/socket.io/?EIO=4&transport=%s" % ("websocket" if ws else "polling"), "https://127.0.0.1:%d" % P, ws)
    good = st == 403
    bad += not good
    print("%s: %s origin https://127.0.0.1:%d (scheme differs) -> %s" % ("ok" if good else "FAIL", "websocket" if ws else "polling", P, st))
print("FIGURE origin_cases %d" % (2 * len(foreign)))
gw.stop()
router.stop()
sys.exit(1 if bad else 0)
