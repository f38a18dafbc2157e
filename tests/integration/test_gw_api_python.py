"""test_gw_api_python.py: the hookwire Socket.IO API of ws-gateway with a
second real client, Debian's python3-socketio (5.7) and python3-engineio:
socketio.AsyncClient (aiohttp) over polling and over WebSocket, and the sync
socketio.Client (requests + python3-websocket).  Full pipeline: events fed by
the real hook-capture into the real event-router; the gateway follows the ring.

Each case: connect with the access token, receive claude_event (the canonical
event, then its offset as a string), get_history through call(), a wrong
token refused.  Prints a summary; exits 1 when any case fails.
"""

import asyncio
import logging
import os
import sys
import threading
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwlib  # noqa: E402

import aiohttp  # noqa: E402
import socketio  # noqa: E402

# python-engineio 4.3 leaves an aiohttp session of its own unclosed when a
# WebSocket connect is refused; aiohttp then reports it through the asyncio
# logger at garbage collection.  Noise, not a finding.
logging.getLogger("asyncio").setLevel(logging.CRITICAL)

FX = gwlib.fixtures()
inst = gwlib.Instance("py")
try:
    router = gwlib.start_router(inst)
    gw = gwlib.start_gateway(inst)
except Exception as e:  # noqa: BLE001
    print("cannot start the pipeline: %s" % e)
    sys.exit(1)
TOKEN = gw.token
res = gwlib.Results()


def check_event(ev, offset, session, event_name, nonce):
    assert isinstance(offset, str), "offset must be a string, got %r" % (offset,)
    assert offset == str(ev["seq"]), (offset, ev["seq"])
    assert isinstance(ev["seq"], int)
    assert ev["session_id"] == session
    assert ev["event"] == event_name
    assert len(ev["id"]) == 32 and all(c in "0123456789abcdef" for c in ev["id"])
    assert ev["data"]["hookwire_test_nonce"] == nonce


# ---- asyncio client ----

async def async_case(transport):
    async with aiohttp.ClientSession() as http:
        await async_case_with(transport, http)


async def async_case_with(transport, http):
    sio = socketio.AsyncClient(reconnection=False, http_session=http)
    got = {}
    arrived = asyncio.Event()

    @sio.on("claude_event")
    async def on_event(*args):
        ev = args[0]
        n = ev.get("data", {}).get("hookwire_test_nonce")
        if n:
            got[n] = args
            arrived.set()

    await sio.connect(gw.url, auth={"token": TOKEN}, transports=[transport], wait_timeout=10)
    try:
        assert sio.connected
        assert sio.transport() == transport, sio.transport()
        session = str(uuid.uuid4())
        nonces = []
        for name, evname in (("userpromptsubmit", "UserPromptSubmit"),
                             ("pretooluse_bash", "PreToolUse"),
                             ("sessionstart", "SessionStart")):
            h = gwlib.hook_from(FX[name], session)
            await asyncio.get_running_loop().run_in_executor(None, gwlib.capture, inst, h)
            nonces.append((h["hookwire_test_nonce"], evname))

        async def all_arrived():
            while not all(n in got for n, _ in nonces):
                arrived.clear()
                await arrived.wait()
        await asyncio.wait_for(all_arrived(), 10)
        seqs = []
        for n, evname in nonces:
            ev, offset = got[n][0], got[n][1]
            assert len(got[n]) == 2, "claude_event has two arguments: %r" % (got[n][2:],)
            check_event(ev, offset, session, evname, n)
            seqs.append(ev["seq"])
        assert seqs == sorted(seqs) and len(set(seqs)) == 3, seqs

        hist = await sio.call("get_history", {"session": session}, timeout=10)
        assert isinstance(hist, list), hist
        assert [e["data"]["hookwire_test_nonce"] for e in hist] == [n for n, _ in nonces]
        hist = await sio.call("get_history", {"session": session, "event": "PreToolUse"},
                              timeout=10)
        assert [e["event"] for e in hist] == ["PreToolUse"], hist
        hist = await sio.call("get_history", {"session": session, "limit": 2}, timeout=10)
        assert len(hist) == 2, hist
        hist = await sio.call("get_history", {"since": seqs[0], "session": session},
                              timeout=10)
        assert all(e["seq"] >= seqs[0] for e in hist)
        assert [e["seq"] for e in hist if e["seq"] > seqs[0]] == seqs[1:]
    finally:
        await sio.disconnect()


async def async_wrong_token(transport):
    async with aiohttp.ClientSession() as http:
        for auth in ({"token": "0" * 32}, {"token": TOKEN[:-1]}, None):
            sio = socketio.AsyncClient(reconnection=False, http_session=http)
            refused = []
            sio.on("connect_error", lambda *a: refused.append(a))
            try:
                await sio.connect(gw.url, auth=auth, transports=[transport], wait_timeout=3)
            except socketio.exceptions.ConnectionError:
                pass
            else:
                await sio.disconnect()
                raise AssertionError("connected with auth %r" % (auth,))
            finally:
                if sio.connected:
                    await sio.disconnect()
            assert not sio.connected
            assert refused, "no CONNECT_ERROR for auth %r (a timeout?)" % (auth,)


for t in ("polling", "websocket"):
    res.case("AsyncClient %s: claude_event, get_history" % t, lambda t=t: asyncio.run(async_case(t)))
    res.case("AsyncClient %s: wrong or missing token refused" % t,
             lambda t=t: asyncio.run(async_wrong_token(t)))


# ---- sync client (requests, python3-websocket) ----

def sync_case(transport):
    sio = socketio.Client(reconnection=False)
    got = {}
    cv = threading.Condition()

    @sio.on("claude_event")
    def on_event(*args):
        n = args[0].get("data", {}).get("hookwire_test_nonce")
        with cv:
            if n:
                got[n] = args
            cv.notify_all()

    sio.connect(gw.url, auth={"token": TOKEN}, transports=[transport], wait_timeout=10)
    try:
        assert sio.connected
        assert sio.transport() == transport, sio.transport()
        session = str(uuid.uuid4())
        h1 = gwlib.hook_from(FX["pretooluse_edit_subagent"], session)
        h2 = gwlib.hook_from(FX["userpromptsubmit"], session)
        gwlib.capture(inst, h1)
        gwlib.capture(inst, h2)
        n1, n2 = h1["hookwire_test_nonce"], h2["hookwire_test_nonce"]
        with cv:
            ok = cv.wait_for(lambda: n1 in got and n2 in got, timeout=10)
        assert ok, "claude_event did not arrive within 10 s"
        check_event(got[n1][0], got[n1][1], session, "PreToolUse", n1)
        check_event(got[n2][0], got[n2][1], session, "UserPromptSubmit", n2)
        assert got[n1][0]["tool"] == "Edit"
        assert got[n1][0]["agent_id"] == FX["pretooluse_edit_subagent"]["agent_id"]
        hist = sio.call("get_history", {"session": session}, timeout=10)
        assert [e["data"]["hookwire_test_nonce"] for e in hist] == [n1, n2], hist
        hist = sio.call("get_history", {"session": session, "event": "UserPromptSubmit"},
                        timeout=10)
        assert [e["data"]["hookwire_test_nonce"] for e in hist] == [n2], hist
    finally:
        sio.disconnect()


def sync_wrong_token(transport):
    for auth in ({"token": "f" * 32}, None):
        sio = socketio.Client(reconnection=False)
        refused = []
        sio.on("connect_error", lambda *a: refused.append(a))
        try:
            sio.connect(gw.url, auth=auth, transports=[transport], wait_timeout=3)
        except socketio.exceptions.ConnectionError:
            pass
        else:
            sio.disconnect()
            raise AssertionError("connected with auth %r" % (auth,))
        assert not sio.connected
        assert refused, "no CONNECT_ERROR for auth %r (a timeout?)" % (auth,)


# The sync client's polling transport needs python3-requests, which is not
# among the dependencies: the sync client is tested over WebSocket
# (python3-websocket); polling is covered by the AsyncClient (aiohttp).
for t in ("websocket",):
    res.case("Client %s: claude_event, get_history" % t, sync_case, t)
    res.case("Client %s: wrong or missing token refused" % t, sync_wrong_token, t)

def clean_shutdown():
    code = gw.stop()
    assert code == 0, "gateway exit status %r after SIGTERM" % (code,)
    with open(gw.log, errors="replace") as f:
        log = f.read()
    for word in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
        assert word not in log, "sanitizer report in the gateway's stderr:\n" + gwlib.tail(gw.log, 40)


res.case("the gateway exits 0 on SIGTERM, without sanitizer reports", clean_shutdown)
router.stop()
rc = res.done()
if rc:
    gwlib.dump_logs(inst)
sys.exit(rc)
