"""ws-gateway re-reads its tokens on SIGHUP, against the REAL gateway with a
raw long-polling Socket.IO client: the access token ($STATEDIR/token) and the
session-scoped tokens ($STATEDIR/tokens) are read again; new tokens work,
removed ones are refused, a session opened before keeps its scope (its
table lives on across two reloads); a file that does not load (a bad line,
a missing token file) is logged as an error (token_reload) and keeps the
tokens in use; good files again reload, and free the tables no session uses.
Starts its own router and gateway (unique instance), stopped by pid.
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwlib  # noqa: E402


def sio_ok(port, token):
    """'ok' when a Socket.IO CONNECT with token is accepted, 'refused' when refused."""
    p = gwlib.RawPolling(port, token)
    r = p.connect
    p.close()
    if r.startswith("40"):
        return "ok"
    if r.startswith("44"):
        return "refused"
    return "?" + r


def write(path, text):
    """Replaces path with text, mode 0600, at once (a rename)."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    os.rename(tmp, path)


def case_reload():
    inst = gwlib.Instance("tkr")
    tok_a, tok_b, tok_c = ("a" * 8 + os.urandom(12).hex(), "b" * 8 + os.urandom(12).hex(),
                           "c" * 8 + os.urandom(12).hex())
    tokens = os.path.join(inst.state, "tokens")
    write(tokens, "%s sessA\n" % tok_a)
    router = gwlib.start_router(inst)
    gw = gwlib.start_gateway(inst)
    log = os.path.join(inst.dir, "gateway.jsonlog")

    def logged(what):
        """How many times the gateway's log says what (a reload is
        announced nowhere else: polled, with gwlib.until)."""
        with open(log) as f:
            return f.read().count(what)
    try:
        P = gw.port
        old_full = gw.token
        assert sio_ok(P, tok_a) == "ok", "scoped token A before the reload"
        assert sio_ok(P, tok_b) == "refused", "token B before the reload"
        keep = gwlib.RawPolling(P, tok_a)  # scoped to sessA; lives across the reload
        assert keep.connect.startswith("40"), keep.connect
        write(tokens, "# reloaded\n%s sessB,sessA\n" % tok_b)
        new_full = os.urandom(16).hex()
        write(os.path.join(inst.state, "token"), new_full + "\n")
        os.kill(gw.pid, signal.SIGHUP)
        gwlib.until(lambda: sio_ok(P, tok_b) == "ok", 10, "token B accepted after SIGHUP", 0.1)
        assert sio_ok(P, tok_a) == "refused", "removed token A still accepted"
        assert sio_ok(P, new_full) == "ok", "new access token refused"
        assert sio_ok(P, old_full) == "refused", "old access token still accepted"
        # a second reload while the old session still points into the first table
        os.kill(gw.pid, signal.SIGHUP)
        gwlib.until(lambda: logged("tokens reloaded") >= 2, 10, "the second reload logged", 0.1)
        # the session opened with A keeps its scope: sessA events only
        gwlib.ingest(inst, [{"event": "Stop", "session_id": "sessB", "data": {"n": 1}},
                            {"event": "Stop", "session_id": "sessA", "data": {"n": 2}}])
        got, deadline = [], time.monotonic() + 10
        while not any('"sessA"' in p for p in got) and time.monotonic() < deadline:
            got += keep.get(timeout=15)  # a long-poll: waits for the next packets
        assert any('"sessA"' in p and "claude_event" in p for p in got), "old session: %r" % got
        assert not any('"session_id":"sessB"' in p for p in got), "old session saw sessB"
        keep.close()
        # a bad file on reload: the old tokens stay, an error is logged
        write(tokens, "this is not a tokens line\n")
        os.kill(gw.pid, signal.SIGHUP)
        gwlib.until(lambda: logged("token_reload") >= 1, 10, "a token_reload error logged", 0.1)
        with open(log) as f:
            line = [ln for ln in f if "token_reload" in ln][0]
        print("  bad reload logged: " + line.strip()[:200])
        assert '"level":"error"' in line, "the bad reload is not logged as an error"
        assert sio_ok(P, tok_b) == "ok", "token B lost after a bad reload"
        assert sio_ok(P, new_full) == "ok", "access token lost after a bad reload"
        # an unreadable token file too
        os.unlink(os.path.join(inst.state, "token"))
        os.kill(gw.pid, signal.SIGHUP)
        gwlib.until(lambda: logged("token_reload") >= 2, 10, "a second token_reload error logged", 0.1)
        assert sio_ok(P, new_full) == "ok", "access token lost after a missing token file"
        # good files again: the reload succeeds (and frees the tables no session uses)
        write(os.path.join(inst.state, "token"), new_full + "\n")
        write(tokens, "%s sessC\n" % tok_c)
        os.kill(gw.pid, signal.SIGHUP)
        gwlib.until(lambda: logged("tokens reloaded") >= 3, 10, "the third reload logged", 0.1)
        assert sio_ok(P, tok_c) == "ok" and sio_ok(P, tok_b) == "refused", "third reload"
    finally:
        gwlib.stop_clean(gw, router)


res = gwlib.Results()
res.case("SIGHUP reloads the tokens; sessions keep their scope; a bad file keeps the old", case_reload)
sys.exit(res.done())
