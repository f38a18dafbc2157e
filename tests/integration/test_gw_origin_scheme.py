"""ws-gateway's own origin has the scheme it serves, against the REAL
gateway with raw requests (test_attack_origin.py has the table of foreign
origins):
  plain  a plain-HTTP gateway's own origin is http://Host only: an Origin
         https://127.0.0.1:PORT is refused (403) on polling and on the
         WebSocket, and counted as refused{reason="origin"}; http:// is served
  tls    with TLS the own origin is https://Host; http://Host is refused
Each case starts its own router and gateway (unique instance), stopped by pid.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwlib  # noqa: E402


def case_plain():
    inst, router, gw = gwlib.start_pipeline("ors")
    try:
        P = gw.port
        before = gwlib.metric(P, "hookwire_gateway_refused_total", 'reason="origin"')
        own_other = "https://127.0.0.1:%d" % P
        st = gwlib.http_request(P, "GET", gwlib.SIO_POLLING_PATH, headers={"Origin": own_other}).status
        assert st == 403, "polling with Origin %s: %s, want 403" % (own_other, st)
        ws = gwlib.RawWS(P, origin=own_other)
        ws.close()
        assert ws.status == 403, "websocket with Origin %s: %s, want 403" % (own_other, ws.status)
        after = gwlib.metric(P, "hookwire_gateway_refused_total", 'reason="origin"')
        assert after == before + 2, "refused{origin} %s -> %s, want +2" % (before, after)
        st = gwlib.http_request(P, "GET", gwlib.SIO_POLLING_PATH,
                                headers={"Origin": "http://127.0.0.1:%d" % P}).status
        assert st == 200, "own origin http://127.0.0.1:%d: %s" % (P, st)
        ws = gwlib.RawWS(P, origin="http://127.0.0.1:%d" % P)
        ws.close()
        assert ws.status == 101, "own origin websocket: %s" % ws.status
    finally:
        gwlib.stop_clean(gw, router)


def case_tls():
    """With TLS the own origin is https://Host; http://Host is foreign."""
    inst = gwlib.Instance("orst")
    cert, key = gwlib.tls_cert(inst)
    router = gwlib.start_router(inst)
    gw = gwlib.start_gateway(inst, ["--tls-cert", cert, "--tls-key", key])

    def get(origin):
        return gwlib.http_request(gw.port, "GET", gwlib.SIO_POLLING_PATH, headers={"Origin": origin},
                                  tls=True).status
    try:
        P = gw.port
        st = get("https://127.0.0.1:%d" % P)
        assert st == 200, "TLS gateway, own origin https://127.0.0.1:%d: %s" % (P, st)
        st = get("http://127.0.0.1:%d" % P)
        assert st == 403, "TLS gateway, origin http://127.0.0.1:%d: %s, want 403" % (P, st)
    finally:
        gwlib.stop_clean(gw, router)


res = gwlib.Results()
res.case("plain HTTP: own origin http:// only, https:// refused and counted", case_plain)
res.case("TLS: own origin https:// only, http:// refused", case_tls)
sys.exit(res.done())
