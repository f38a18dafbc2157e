"""ws-gateway's soft output limit is enforced by time, against the REAL
gateway with a raw WebSocket client: a client over gateway.outbuf_soft that
stops reading, and then gets nothing more queued, is still cut
gateway.outbuf_soft_ms after it went over (counted as
disconnects{reason="slow_client"}), well under gateway.outbuf_hard.
Starts its own router and gateway (unique instance), stopped by pid.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwlib  # noqa: E402

SOFT_S = 5


def case_soft_time():
    inst, router, gw = gwlib.start_pipeline("sft", {"HOOKWIRE_GATEWAY_OUTBUF_SOFT": "64k",
                                                    "HOOKWIRE_GATEWAY_OUTBUF_SOFT_MS": str(SOFT_S * 1000),
                                                    "HOOKWIRE_GATEWAY_OUTBUF_HARD": "512m",
                                                    "HOOKWIRE_GATEWAY_PING_INTERVAL_MS": "120000",
                                                    "HOOKWIRE_GATEWAY_PING_TIMEOUT_MS": "120000"})

    def metric(name, label=None):
        return gwlib.metric(gw.port, name, label)
    try:
        ws = gwlib.RawWS(gw.port, rcvbuf=4096)
        assert ws.status == 101, ws.status
        m = ws.sio_connect(gw.token)
        assert m.startswith(b"40"), m
        # now it stops reading; ~16 MB of events in one go
        pad = "x" * 8000
        ev0 = metric("hookwire_gateway_events_total")
        n = 0
        for _ in range(4):
            gwlib.ingest(inst, [{"event": "Stop", "session_id": "soft", "data": {"i": n + i, "pad": pad}}
                                for i in range(500)])
            n += 500
        # (counters on /metrics: nothing announces them, so polled)
        gwlib.until(lambda: metric("hookwire_gateway_events_total") >= ev0 + n, 20,
                    "the gateway to broadcast the events", 0.1)
        t_fed = time.monotonic()
        cut = metric("hookwire_gateway_disconnects_total", 'reason="slow_client"')
        assert cut == 0, "cut while the feed was still going (%s): the test needs a faster feed" % cut
        # nothing more is queued for it: it must be cut by time all the same
        gwlib.until(lambda: metric("hookwire_gateway_disconnects_total", 'reason="slow_client"') != 0,
                    SOFT_S + 5, "the client over the soft limit to be cut", 0.1)
        dt = time.monotonic() - t_fed
        print("FIGURE soft_limit_cut_after_last_event_s %.2f" % dt)
        assert dt <= SOFT_S + 1.5, "cut %.2f s after the last event, want <= %.1f" % (dt, SOFT_S + 1.5)
        ws.close()
    finally:
        gwlib.stop_clean(gw, router)


res = gwlib.Results()
res.case("a stalled client over the soft limit is cut after outbuf_soft_ms", case_soft_time)
sys.exit(res.done())
