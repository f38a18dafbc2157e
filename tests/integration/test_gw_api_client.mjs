// test_gw_api_client.mjs: the hookwire Socket.IO API and HTTP endpoints of
// ws-gateway, driven by the official socket.io-client (tests/node_modules),
// over the full pipeline: hook-capture -> event-router -> ring -> ws-gateway.
//
// Every event is fed by the real hook-capture from the hook fixtures, made
// unique by a nonce field (hookwire_test_nonce) so that the router's content
// dedup keeps it and the test can find it again in `data`.  Waits are on
// events (readiness fds, socket events, process exits) with bounded
// timeouts; where only a growing array can be watched, a bounded poll.

import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { io } from "socket.io-client";
import {
  makeInstance,
  startRouter,
  startGateway,
  stopDaemon,
  stopClean,
  capture,
  fixtures,
  hookFrom,
  once,
  until,
  within,
  randomHex,
  dumpLogs,
  rawHttp,
  httpRequest,
  wsConnect,
  SIO_WS_PATH,
} from "./gwlib.mjs";

const T = { timeout: 30000 };
const FX = fixtures();
const uuid = () => crypto.randomUUID();

// ---- the pipeline ----
const inst = makeInstance("api");
const dash = path.join(inst.dir, "dashboard");
const marker = `hookwire-gwtest-dashboard-${randomHex(8)}`;
const secret = `TOPSECRET-${randomHex(8)}`;
fs.mkdirSync(path.join(dash, "sub"), { recursive: true });
fs.writeFileSync(path.join(dash, "index.html"), `<!doctype html><title>${marker}</title>\n`);
fs.writeFileSync(path.join(dash, "sub", "a.txt"), `a-${marker}\n`);
fs.writeFileSync(path.join(inst.dir, "secret.txt"), `${secret}\n`);
fs.symlinkSync("../secret.txt", path.join(dash, "leak.txt"));
fs.symlinkSync("/etc/passwd", path.join(dash, "passwd.txt"));
fs.symlinkSync("/etc", path.join(dash, "etcdir"));
fs.symlinkSync(inst.dir, path.join(dash, "updir"));

// Session-scoped tokens.
const SA = uuid(),
  SB = uuid(),
  SC = uuid(),
  SD = uuid();
const tokA = randomHex(16),
  tokBC = randomHex(16);
fs.writeFileSync(path.join(inst.state, "tokens"), `${tokA} ${SA}\n${tokBC} ${SB},${SC}\n`, {
  mode: 0o600,
});

let router, gw, token;
try {
  router = await startRouter(inst);
  gw = await startGateway(inst, ["--dashboard", dash]);
  token = gw.token;
} catch (e) {
  console.error(`cannot start the pipeline: ${e.message}`);
  process.exit(1);
}

const sockets = new Set();
after(async () => {
  for (const s of sockets) s.close();
  await stopDaemon(gw);
  await stopDaemon(router);
});
process.on("exit", (code) => {
  if (code !== 0) dumpLogs(inst);
});

// ---- helpers ----

// A socket.io-client socket (no automatic reconnection unless asked) that
// records every claude_event, sessions and stats it gets.
function client(opts = {}) {
  const s = io(gw.url, { forceNew: true, reconnection: false, ...opts });
  sockets.add(s);
  s.got = []; // {ev, offset}
  s.byNonce = new Map();
  s.sessionsSeen = [];
  s.statsSeen = [];
  s.gaps = [];
  s.on("claude_event", (ev, offset, ...rest) => {
    const rec = { ev, offset, rest };
    s.got.push(rec);
    const n = ev && ev.data && ev.data.hookwire_test_nonce;
    if (n) s.byNonce.set(n, rec);
  });
  s.on("sessions", (list) => s.sessionsSeen.push(list));
  s.on("stats", (st) => s.statsSeen.push(st));
  s.on("gap", (g) => s.gaps.push({ gap: g, after: s.got.length }));
  return s;
}

async function connected(s, ms = 10000) {
  if (s.connected) return;
  const r = await within(
    ms,
    new Promise((resolve) => {
      s.once("connect", () => resolve(null));
      s.once("connect_error", (e) => resolve(e));
    }),
    "connect"
  );
  if (r) throw new Error(`connect_error: ${r.message}`);
}

// Feeds one event (fixture name, session) through hook-capture; returns its nonce.
async function feed(session, fx = "userpromptsubmit", extra = {}) {
  const h = hookFrom(FX[fx], session, extra);
  await capture(inst, h);
  return h.hookwire_test_nonce;
}

function waitNonces(s, nonces, ms = 15000) {
  return until(
    () => nonces.every((n) => s.byNonce.has(n)),
    ms,
    `${nonces.filter((n) => !s.byNonce.has(n)).length} of ${nonces.length} events on ${s.id}`
  );
}

function seqs(recs) {
  return recs.map((r) => r.ev.seq);
}

function assertIncreasing(list, what) {
  for (let i = 1; i < list.length; i++)
    assert.ok(list[i] > list[i - 1], `${what}: not strictly increasing at ${i}: ${list}`);
}

function history(s, args) {
  return s.timeout(10000).emitWithAck("get_history", args);
}

// Raw HTTP, so that the target is sent exactly as written.
function rawGet(target, headers = {}) {
  let req = `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\nConnection: close\r\n`;
  for (const [k, v] of Object.entries(headers)) req += `${k}: ${v}\r\n`;
  return rawHttp(gw.port, req + "\r\n");
}

// node:http request (it lets us set Origin).
function httpReq(method, pathname, headers = {}, body = null) {
  return httpRequest(gw.port, method, pathname, { headers, body });
}

// The main-token client that sees everything, connected for the whole file.
const all = client({ auth: { token }, transports: ["websocket"] });

describe("ws-gateway API with socket.io-client", () => {
  it("creates the access token: 32 hex characters, mode 0600", T, () => {
    const f = path.join(inst.state, "token");
    assert.match(fs.readFileSync(f, "utf8"), /^[0-9a-f]{32}\n?$/);
    assert.equal(fs.statSync(f).mode & 0o777, 0o600);
  });

  it("default transports: polling, upgraded to websocket; claude_event with a string offset", T, async () => {
    await connected(all);
    const s = client({ auth: { token } });
    let first = null;
    const upgraded = new Promise((resolve) => {
      s.io.on("open", () => {
        first = s.io.engine.transport.name;
        s.io.engine.on("upgrade", (t) => resolve(t.name));
      });
    });
    await connected(s);
    assert.equal(first, "polling", "the first transport must be polling");
    assert.equal(typeof s._pid, "string", "the CONNECT reply must carry a pid (recovery on)");
    assert.equal(s.recovered, false);
    assert.equal(await within(10000, upgraded, "upgrade"), "websocket");
    assert.equal(s.io.engine.transport.name, "websocket");

    const sess = uuid();
    const n = await feed(sess, "userpromptsubmit");
    await waitNonces(s, [n]);
    const { ev, offset, rest } = s.byNonce.get(n);
    assert.equal(typeof offset, "string", "offset must be a string");
    assert.equal(offset, String(ev.seq));
    assert.deepEqual(rest, []);
    assert.equal(typeof ev.seq, "number");
    assert.match(ev.id, /^[0-9a-f]{32}$/);
    assert.equal(ev.event, "UserPromptSubmit");
    assert.equal(ev.session_id, sess);
    assert.equal(typeof ev.ts, "string");
    assert.equal(typeof ev.data, "object");
    assert.equal(ev.data.hook_event_name, "UserPromptSubmit");
    assert.equal(typeof ev.meta, "object");
    s.close();
  });

  it("websocket-only transport gets claude_event", T, async () => {
    const s = client({ auth: { token }, transports: ["websocket"] });
    await connected(s);
    assert.equal(s.io.engine.transport.name, "websocket");
    const sess = uuid();
    const n1 = await feed(sess, "pretooluse_bash");
    const n2 = await feed(sess, "sessionstart");
    await waitNonces(s, [n1, n2]);
    const a = s.byNonce.get(n1),
      b = s.byNonce.get(n2);
    assert.equal(a.ev.event, "PreToolUse");
    assert.equal(a.ev.tool, "Bash");
    assert.equal(b.ev.event, "SessionStart");
    assert.ok(b.ev.seq > a.ev.seq, "events in order");
    assert.equal(b.offset, String(b.ev.seq));
    s.close();
  });

  for (const transports of [["polling", "websocket"], ["websocket"]]) {
    it(`wrong or missing token refused with connect_error (${transports.join("+")})`, T, async () => {
      for (const auth of [{ token: "0".repeat(32) }, { token: token.slice(0, 31) }, {}, undefined]) {
        const s = client({ transports, ...(auth === undefined ? {} : { auth }) });
        let didConnect = false;
        s.on("connect", () => (didConnect = true));
        const [err] = await once(s, "connect_error");
        assert.ok(err instanceof Error);
        assert.equal(didConnect, false, `connected with auth ${JSON.stringify(auth)}`);
        assert.equal(s.connected, false);
        s.close();
      }
    });
  }

  it("refuses a namespace other than / with connect_error", T, async () => {
    const s = io(`${gw.url}/other`, { forceNew: true, reconnection: false, auth: { token } });
    sockets.add(s);
    let didConnect = false;
    s.on("connect", () => (didConnect = true));
    const [err] = await once(s, "connect_error");
    assert.ok(err instanceof Error);
    assert.equal(didConnect, false);
    s.close();
  });

  it("get_history with since, session, event and limit", T, async () => {
    await connected(all);
    const H1 = uuid(),
      H2 = uuid();
    const nonces = [];
    for (let i = 0; i < 8; i++)
      nonces.push(await feed(i % 2 ? H2 : H1, i % 4 < 2 ? "userpromptsubmit" : "pretooluse_bash"));
    await waitNonces(all, nonces);
    const recs = nonces.map((n) => all.byNonce.get(n));
    const h1 = recs.filter((r) => r.ev.session_id === H1);
    assert.equal(h1.length, 4);

    const ids = (list) => list.map((e) => e.id);

    let got = await history(all, { session: H1 });
    assert.ok(Array.isArray(got), "get_history acks an array");
    assertIncreasing(got.map((e) => e.seq), "history");
    assert.ok(got.every((e) => e.session_id === H1), "session filter");
    assert.deepEqual(ids(got), ids(h1.map((r) => r.ev)));
    // the events are the same objects as the broadcast ones
    assert.deepEqual(got[0], h1[0].ev);

    got = await history(all, { session: H1, event: "PreToolUse" });
    assert.deepEqual(
      ids(got),
      ids(h1.filter((r) => r.ev.event === "PreToolUse").map((r) => r.ev))
    );
    assert.equal(got.length, 2);

    const since = h1[1].ev.seq;
    got = await history(all, { since, session: H1 });
    assert.ok(got.every((e) => e.seq >= since), "since filter");
    assert.deepEqual(
      ids(got.filter((e) => e.seq > since)),
      ids(h1.filter((r) => r.ev.seq > since).map((r) => r.ev))
    );

    got = await history(all, { session: H1, limit: 2 });
    assert.equal(got.length, 2, "limit");
    assertIncreasing(got.map((e) => e.seq), "history with limit");
    const h1ids = ids(h1.map((r) => r.ev));
    assert.ok(got.every((e) => h1ids.includes(e.id)));

    got = await history(all, { session: uuid() });
    assert.deepEqual(got, []);
  });

  it("subscribe and unsubscribe (one session, then an array)", T, async () => {
    await connected(all);
    const s = client({ auth: { token }, transports: ["websocket"] });
    await connected(s);
    const S1 = uuid(),
      S2 = uuid(),
      S3 = uuid();
    s.emit("subscribe", S2);
    await history(s, { limit: 1 }); // in order after the subscribe: it is applied
    let n = [await feed(S1), await feed(S2), await feed(S3), await feed(S2)];
    await waitNonces(all, n);
    await waitNonces(s, [n[1], n[3]]); // the last one fed: anything else came before it
    assert.deepEqual(
      s.got.map((r) => r.ev.session_id),
      [S2, S2],
      "only the subscribed session"
    );

    s.emit("unsubscribe", S2);
    await history(s, { limit: 1 });
    s.got.length = 0;
    n = [await feed(S1), await feed(S3)];
    await waitNonces(s, n);
    assert.deepEqual(s.got.map((r) => r.ev.session_id), [S1, S3], "all sessions again");

    s.emit("subscribe", [S1, S3]);
    await history(s, { limit: 1 });
    s.got.length = 0;
    n = [await feed(S2), await feed(S1), await feed(S2), await feed(S3)];
    await waitNonces(s, [n[1], n[3]]);
    assert.deepEqual(s.got.map((r) => r.ev.session_id), [S1, S3], "subscribed to an array");
    s.close();
  });

  it("session-scoped tokens: a client sees only its sessions (many sessions interleaved)", T, async () => {
    await connected(all);
    const cA = client({ auth: { token: tokA }, transports: ["websocket"] });
    const cBC = client({ auth: { token: tokBC } });
    await connected(cA);
    await connected(cBC);
    const order = [SA, SB, SC, SD];
    const fed = [];
    for (let i = 0; i < 24; i++) {
      const sess = order[i % 4];
      fed.push({ sess, n: await feed(sess, i % 3 ? "userpromptsubmit" : "pretooluse_bash") });
    }
    // sentinels: the last events each scoped client may see
    fed.push({ sess: SD, n: await feed(SD) });
    fed.push({ sess: SA, n: await feed(SA) });
    fed.push({ sess: SC, n: await feed(SC) });
    const want = (set) => fed.filter((f) => set.includes(f.sess)).map((f) => f.n);
    await waitNonces(all, fed.map((f) => f.n));
    await waitNonces(cA, want([SA]));
    await waitNonces(cBC, want([SB, SC]));
    const ours = (s) => s.got.filter((r) => r.ev.data && r.ev.data.hookwire_test_nonce);
    assert.deepEqual(
      ours(cA).map((r) => r.ev.data.hookwire_test_nonce),
      want([SA]),
      "tokA: exactly session A's events, in order"
    );
    assert.ok(cA.got.every((r) => r.ev.session_id === SA), "tokA: nothing of other sessions");
    assert.deepEqual(
      ours(cBC).map((r) => r.ev.data.hookwire_test_nonce),
      want([SB, SC]),
      "tokBC: exactly sessions B and C, in order"
    );
    assert.ok(cBC.got.every((r) => [SB, SC].includes(r.ev.session_id)));

    // history is scoped too
    let h = await history(cA, {});
    assert.ok(h.length >= want([SA]).length);
    assert.ok(h.every((e) => e.session_id === SA), "tokA history: session A only");
    h = await history(cA, { session: SB });
    assert.deepEqual(h, [], "tokA history of session B: nothing");
    h = await history(cBC, { limit: 1000 });
    assert.ok(h.every((e) => [SB, SC].includes(e.session_id)), "tokBC history: B and C only");

    // so is subscribing to a session out of scope
    cA.emit("subscribe", [SD, SA]);
    await history(cA, { limit: 1 });
    const nD = await feed(SD);
    const nA = await feed(SA);
    await waitNonces(cA, [nA]);
    assert.equal(cA.byNonce.has(nD), false, "subscribing cannot widen a scope");

    // and the sessions list
    await until(
      () => cA.sessionsSeen.some((l) => Array.isArray(l) && l.some((x) => x.session_id === SA)),
      15000,
      "a sessions list with session A on tokA's client"
    );
    const seenA = cA.sessionsSeen.flat().map((x) => x && x.session_id);
    for (const other of [SB, SC, SD])
      assert.ok(!seenA.includes(other), "tokA's sessions list shows another session");
    cA.close();
    cBC.close();
  });

  it("sessions and stats events reach a full-scope client", T, async () => {
    await connected(all);
    await until(
      () => all.sessionsSeen.some((l) => Array.isArray(l) && l.some((x) => x.session_id === SD)),
      15000,
      "a sessions list with session D"
    );
    const last = all.sessionsSeen.at(-1);
    for (const x of last) {
      assert.equal(typeof x.session_id, "string");
      assert.ok(["active", "idle", "ended"].includes(x.state), `state ${x.state}`);
    }
    await until(() => all.statsSeen.length > 0, 15000, "a stats event");
    assert.equal(typeof all.statsSeen[0], "object");
  });

  it("session-scoped tokens: recovery and /api/events stay in scope", T, async () => {
    await connected(all);
    const cA = client({ auth: { token: tokA }, transports: ["websocket"] });
    await connected(cA);
    const n0 = await feed(SA);
    await waitNonces(cA, [n0]);
    const disc = once(cA, "disconnect");
    cA.io.engine.close();
    await disc;
    const fed = [];
    for (const sess of [SB, SA, SD, SC, SA, SB]) fed.push({ sess, n: await feed(sess) });
    await waitNonces(all, fed.map((f) => f.n));
    const before = cA.got.length;
    cA.connect();
    await connected(cA);
    assert.equal(cA.recovered, true, "a scoped client recovers too");
    const sentinel = await feed(SA);
    await waitNonces(cA, [sentinel]);
    assert.deepEqual(
      cA.got.slice(before).map((r) => r.ev.data.hookwire_test_nonce),
      [...fed.filter((f) => f.sess === SA).map((f) => f.n), sentinel],
      "the replay holds session A's missed events only"
    );
    cA.close();

    const r = await httpReq("GET", `/api/events?limit=10000`, { Authorization: `Bearer ${tokA}` });
    assert.equal(r.status, 200, `/api/events with a scoped token: ${r.status}`);
    const evs = r.body.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
    assert.ok(evs.length >= 3, `events of session A: ${evs.length}`);
    assert.ok(evs.every((e) => e.session_id === SA), "/api/events with tokA: session A only");
  });

  for (const transports of [["websocket"], ["polling"]]) {
    it(`recovery after a transport close: the missed events exactly once, in order (${transports})`, T, async () => {
      await connected(all);
      const s = client({ auth: { token }, transports });
      await connected(s);
      const R = uuid();
      const other = uuid();
      s.emit("subscribe", R);
      await history(s, { limit: 1 }); // in order after the subscribe: it is applied
      const n0 = await feed(R);
      await waitNonces(s, [n0]);
      const id = s.id;
      assert.equal(typeof id, "string");
      const disc = once(s, "disconnect");
      s.io.engine.close(); // the transport dies; not a client disconnect
      await disc;
      const missed = [];
      const unseen = [];
      for (let i = 0; i < 5; i++) {
        missed.push(await feed(R, i % 2 ? "pretooluse_bash" : "userpromptsubmit"));
        unseen.push(await feed(other)); // not subscribed: must stay unseen
      }
      await waitNonces(all, [...missed, ...unseen]); // they are in the ring and were broadcast
      const before = s.got.length;
      s.connect();
      await connected(s);
      assert.equal(s.recovered, true, "socket.recovered");
      assert.equal(s.id, id, "socket.id is the one it had");
      await waitNonces(s, missed);
      const sentinel = await feed(R);
      await waitNonces(s, [sentinel]);
      await feed(other);
      const sentinel2 = await feed(R);
      await waitNonces(s, [sentinel2]);
      const after = s.got.slice(before).map((r) => r.ev.data.hookwire_test_nonce);
      assert.deepEqual(
        after,
        [...missed, sentinel, sentinel2],
        "exactly the missed events of the subscribed session, once, in order: the subscription was kept"
      );
      assertIncreasing(seqs(s.got), "all events on the recovered client");
      assert.deepEqual(s.gaps, []);
      s.close();
    });
  }

  it("refuses a foreign Origin on polling and WebSocket (403), allows none or its own", T, async () => {
    const p = "/socket.io/?EIO=4&transport=polling";
    let r = await httpReq("GET", p, { Origin: "http://evil.example" });
    assert.equal(r.status, 403, "polling handshake with a foreign Origin");
    const f = await fetch(`${gw.url}${p}`, { headers: { Origin: "http://evil.example" } });
    assert.equal(f.status, 403, "fetch() polling handshake with a foreign Origin");
    await f.arrayBuffer();
    r = await httpReq("GET", p, { Origin: "null" });
    assert.equal(r.status, 403, "polling handshake with Origin: null");
    r = await httpReq("GET", p, { Origin: `http://127.0.0.1:${gw.port + 1}` });
    assert.equal(r.status, 403, "another port is another origin");
    r = await httpReq("GET", p);
    assert.equal(r.status, 200, "no Origin header (non-browser client)");
    const sid = JSON.parse(r.body.slice(1)).sid;
    r = await httpReq("GET", p, { Origin: `http://127.0.0.1:${gw.port}` });
    assert.equal(r.status, 200, "the gateway's own origin");
    // an established polling session, then a foreign POST / GET on it
    r = await httpReq("POST", `${p}&sid=${sid}`, { Origin: "http://evil.example", "Content-Type": "text/plain;charset=UTF-8" }, `40{"token":"${token}"}`);
    assert.equal(r.status, 403, "polling POST with a foreign Origin");
    r = await httpReq("GET", `${p}&sid=${sid}`, { Origin: "http://evil.example" });
    assert.equal(r.status, 403, "polling GET with a foreign Origin");

    const wsTry = async (origin) => {
      const ws = wsConnect(`${gw.wsUrl}${SIO_WS_PATH}`, { origin });
      try {
        return { open: true, first: (await ws.next("message")).data };
      } catch (e) {
        return e.status ? { status: e.status } : { error: e.message };
      } finally {
        ws.close();
      }
    };
    r = await wsTry("http://evil.example");
    assert.equal(r.status, 403, `WebSocket with a foreign Origin: ${JSON.stringify(r)}`);
    r = await wsTry("https://127.0.0.1.evil.example");
    assert.equal(r.status, 403, `WebSocket with a look-alike Origin: ${JSON.stringify(r)}`);
    r = await wsTry(null);
    assert.ok(r.open && r.first.startsWith("0{"), `WebSocket without Origin: ${JSON.stringify(r)}`);
    r = await wsTry(`http://127.0.0.1:${gw.port}`);
    assert.ok(r.open && r.first.startsWith("0{"), `WebSocket with its own Origin: ${JSON.stringify(r)}`);
  });

  it("GET /healthz", T, async () => {
    const r = await httpReq("GET", "/healthz");
    assert.equal(r.status, 200);
  });

  it("GET /metrics: Prometheus text with the counters", T, async () => {
    const r = await httpReq("GET", "/metrics");
    assert.equal(r.status, 200);
    assert.match(r.headers["content-type"] || "", /^text\/plain/);
    const samples = [];
    const types = new Map();
    for (const line of r.body.split("\n")) {
      if (line === "") continue;
      let m;
      if ((m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line))) {
        types.set(m[1], m[2]);
        continue;
      }
      if (line.startsWith("#")) continue;
      m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)( -?\d+)?$/.exec(line);
      assert.ok(m, `not a Prometheus sample line: ${JSON.stringify(line)}`);
      samples.push({ name: m[1], labels: m[2] || "", value: Number(m[3]) });
    }
    assert.ok([...types.values()].includes("counter"), "at least one counter");
    const has = (re, what) =>
      assert.ok(
        samples.some((s) => re.test(s.name + s.labels) && s.value > 0),
        `no non-zero sample for ${what}`
      );
    has(/"origin"/, "refused by origin (the previous case made some)");
    has(/"token"/, "refused by token (wrong-token cases)");
    has(/"websocket"/, "clients by transport");
    has(/sent|messages|bytes/, "messages or bytes sent");
  });

  it("GET /api/events: NDJSON with since, session, event and limit", T, async () => {
    await connected(all);
    const A = uuid();
    const nonces = [];
    for (let i = 0; i < 6; i++) nonces.push(await feed(A, i % 2 ? "pretooluse_bash" : "sessionstart"));
    await waitNonces(all, nonces);
    const evs = nonces.map((n) => all.byNonce.get(n).ev);
    const auth = { Authorization: `Bearer ${token}` };
    const get = async (q) => {
      const r = await httpReq("GET", `/api/events?${q}`, auth);
      assert.equal(r.status, 200, `/api/events?${q}: ${r.status} ${r.body.slice(0, 200)}`);
      const lines = r.body.split("\n").filter((l) => l !== "");
      assert.ok(r.body === "" || r.body.endsWith("\n"), "NDJSON lines end with a newline");
      return lines.map((l) => JSON.parse(l));
    };
    let got = await get(`session=${A}`);
    assert.deepEqual(got.map((e) => e.id), evs.map((e) => e.id));
    assert.deepEqual(got[0], evs[0]);
    got = await get(`session=${A}&event=PreToolUse`);
    assert.deepEqual(got.map((e) => e.id), evs.filter((e) => e.event === "PreToolUse").map((e) => e.id));
    const since = evs[2].seq;
    got = await get(`session=${A}&since=${since}`);
    assert.ok(got.every((e) => e.seq >= since));
    assert.deepEqual(
      got.filter((e) => e.seq > since).map((e) => e.id),
      evs.filter((e) => e.seq > since).map((e) => e.id)
    );
    got = await get(`session=${A}&limit=2`);
    assert.equal(got.length, 2);
    assertIncreasing(got.map((e) => e.seq), "/api/events with limit");
    got = await get(`session=${uuid()}`);
    assert.deepEqual(got, []);
    const bad = await httpReq("GET", `/api/events?session=${A}`, { Authorization: "Bearer 00000000000000000000000000000000" });
    assert.ok([401, 403].includes(bad.status), `a wrong bearer token: ${bad.status}`);
  });

  it("serves the dashboard and the socket.io client file", T, async () => {
    let r = await rawGet("/");
    assert.equal(r.status, 200);
    assert.ok(r.body.includes(marker), "/ serves --dashboard DIR/index.html");
    r = await rawGet("/sub/a.txt");
    assert.equal(r.status, 200);
    assert.ok(r.body.includes(`a-${marker}`));
    r = await httpReq("GET", "/socket.io/socket.io.js");
    assert.equal(r.status, 200);
    assert.match(r.headers["content-type"] || "", /javascript/);
    assert.ok(r.body.length > 10000 && r.body.includes("io"), "the socket.io client bundle");
  });

  it("refuses path traversal (raw requests, nothing normalised by the client)", T, async () => {
    const targets = [
      "/../secret.txt",
      "/../../../../../../etc/passwd",
      "/sub/../../secret.txt",
      "/%2e%2e/secret.txt",
      "/%2E%2E/%2E%2E/%2E%2E/%2E%2E/etc/passwd",
      "/.%2e/secret.txt",
      "/%2e./secret.txt",
      "/..%2fsecret.txt",
      "/..%2Fsecret.txt",
      "/sub/..%2f..%2fsecret.txt",
      "/%2e%2e%2fsecret.txt",
      "/%252e%252e/secret.txt",
      "/..\\secret.txt",
      "/sub\\..\\..\\secret.txt",
      "/..%5csecret.txt",
      "/%5c..%5csecret.txt",
      "/index.html%00",
      "/index.html%00.txt",
      "/%00/../secret.txt",
      "/leak.txt",
      "/passwd.txt",
      "/etcdir/passwd",
      "/updir/secret.txt",
      "/./../secret.txt",
      "//../secret.txt",
    ];
    const leaked = [];
    for (const t of targets) {
      const r = await rawGet(t);
      if (r.status === 200 || r.body.includes(secret) || /root:.*:0:0:/.test(r.body))
        leaked.push(`${t} -> ${r.status}`);
      else assert.ok(r.status >= 400 && r.status < 500, `${t}: status ${r.status}`);
    }
    assert.deepEqual(leaked, [], "served outside the dashboard root");
    // the gateway is still fine
    const r = await rawGet("/");
    assert.equal(r.status, 200);
    // and counted the refusals
    const m = await httpReq("GET", "/metrics");
    const counted = m.body
      .split("\n")
      .filter((l) => !l.startsWith("#") && /"path"/.test(l))
      .map((l) => Number(l.split(" ").at(-1)));
    assert.ok(counted.some((v) => v > 0), "a non-zero refused{reason=\"path\"}-like counter");
  });

  it("recovery across a gateway restart on the same port: missed events once, in order", T, async () => {
    for (const s of sockets) if (s !== all) s.close();
    all.close();
    const s = client({ auth: { token }, transports: ["websocket"] });
    await connected(s);
    const R = uuid();
    const n0 = await feed(R);
    await waitNonces(s, [n0]);
    const id = s.id;
    const port = gw.port;
    const disc = once(s, "disconnect", 15000);
    await stopDaemon(gw);
    await disc;
    const missed = [];
    for (let i = 0; i < 4; i++) missed.push(await feed(R, i % 2 ? "sessionstart" : "userpromptsubmit"));
    gw = await startGateway(inst, ["--dashboard", dash], `127.0.0.1:${port}`);
    assert.equal(gw.port, port, "restarted on the same port");
    const before = s.got.length;
    s.connect();
    await connected(s);
    assert.equal(s.recovered, true, "socket.recovered after a gateway restart");
    assert.equal(s.id, id, "socket.id after a gateway restart");
    await waitNonces(s, missed);
    const sentinel = await feed(R);
    await waitNonces(s, [sentinel]);
    const after = s.got.slice(before).map((r) => r.ev.data.hookwire_test_nonce);
    assert.deepEqual(after, [...missed, sentinel], "exactly the missed events, once, in order");
    assertIncreasing(seqs(s.got), "all events on the recovered client");
    s.close();
  });
});

describe("recovery when the missed events have left the ring", () => {
  it("sends a gap event naming the lost range, then the rest in order", T, async () => {
    const small = makeInstance("gap");
    small.env.HOOKWIRE_RING_SIZE = "65536";
    let r2, g2;
    try {
      r2 = await startRouter(small);
      g2 = await startGateway(small);
      const s = io(g2.url, {
        forceNew: true,
        reconnection: false,
        auth: { token: g2.token },
        transports: ["websocket"],
      });
      sockets.add(s);
      const got = [];
      const gaps = [];
      s.on("claude_event", (ev, off) => got.push(ev));
      s.on("gap", (g) => gaps.push({ g, at: got.length }));
      await connected(s);
      const R = uuid();
      const h0 = hookFrom(FX.userpromptsubmit, R);
      await capture(small, h0);
      await until(() => got.some((e) => e.data.hookwire_test_nonce === h0.hookwire_test_nonce), 10000, "first event");
      const seq0 = got.at(-1).seq;
      const disc = once(s, "disconnect");
      s.io.engine.close();
      await disc;
      // ~9 KiB each: 16 of them overrun a 64 KiB ring (the router refuses
      // events larger than a fraction of the ring, so not one big one)
      const N = 16;
      const last = [];
      for (let i = 0; i < N; i++) {
        const h = hookFrom(FX.userpromptsubmit, R, { hookwire_test_pad: "x".repeat(8192) });
        await capture(small, h);
        last.push(h.hookwire_test_nonce);
      }
      const before = got.length;
      s.connect();
      await connected(s);
      await until(() => got.some((e) => e.data.hookwire_test_nonce === last.at(-1)), 10000, "the last event");
      assert.equal(gaps.length, 1, `one gap event: ${JSON.stringify(gaps)}`);
      const { g, at } = gaps[0];
      assert.equal(at, before, "the gap comes before the replayed events");
      assert.equal(Number(g.from), seq0 + 1, `gap.from: ${JSON.stringify(g)}`);
      assert.ok(Number(g.to) >= Number(g.from), `gap.to: ${JSON.stringify(g)}`);
      const replayed = got.slice(before);
      assert.ok(replayed.length >= 1 && replayed.length < N, `replayed ${replayed.length}`);
      assert.equal(replayed[0].seq, Number(g.to) + 1, "replay starts right after the gap");
      assertIncreasing(replayed.map((e) => e.seq), "replayed events");
      assert.equal(replayed.at(-1).seq - Number(g.from) + 1, N, "gap + replay = every missed seq");
      s.close();
    } catch (e) {
      dumpLogs(small);
      throw e;
    } finally {
      const bad = await stopClean(g2);
      await stopDaemon(r2);
      assert.deepEqual(bad, []);
    }
  });
});

describe("shutdown", () => {
  it("the gateway exits 0 on SIGTERM, without sanitizer reports", T, async () => {
    for (const s of sockets) s.close();
    assert.deepEqual(await stopClean(gw), []);
  });
});
