// test_gw_history_bytes.mjs: a get_history or /api/events answer is bounded
// in bytes (gateway.history_bytes), not only in events, so that a session of
// large payloads (Read results of 100-200 KB) neither gets its client cut off
// as too slow (gateway.outbuf_hard) nor makes the gateway hold the whole ring
// at once; the client pages on with since = the last seq it got, and gets
// every event, in order, each once.
//
// 120 events of ~200 KB (24 MB: more than outbuf_hard, 16 MB) in a 64 MB
// ring: get_history {limit: 5000} without since (the newest that fit), then
// paged with since over websocket and polling, then /api/events; with the
// store holding the older half (a 16 MB ring), the same from the store.
import path from "node:path";
import { io } from "socket.io-client";
import { makeInstance, startRouter, startGateway, startStore, storeStats, stopDaemon, ingestEvents, until, randomHex, httpRequest, BIN, dumpLogs, makeChecks, CHROMIUM, CHROMIUM_ARGS } from "./gwlib.mjs";
import { execFileSync } from "node:child_process";

const N = 120;
const PAYLOAD = 200 * 1024;
const BOUND = 4 * 1024 * 1024; // gateway.history_bytes, its default
const checks = makeChecks();
const check = checks.ok;

function bigSession(sid, n) {
  const evs = [];
  const t0 = Date.now() - 60000;
  for (let i = 0; i < n; i++) {
    const tu = "toolu_big_" + i;
    // text a scrubber leaves alone, different in every event (no dedup)
    const content = (i + " line of a large file read by the agent\n").repeat(Math.ceil(PAYLOAD / 40)).slice(0, PAYLOAD);
    evs.push({ id: randomHex(16), ts: new Date(t0 + i).toISOString(), event: "PostToolUse", session_id: sid, cwd: "/home/dev/big", tool: "Read", tool_use_id: tu,
      data: { hook_event_name: "PostToolUse", session_id: sid, cwd: "/home/dev/big", tool_name: "Read", tool_use_id: tu, tool_input: { file_path: "/home/dev/big/f" + i + ".c" }, tool_response: { file: { filePath: "/home/dev/big/f" + i + ".c", content } } } });
  }
  return evs;
}

const SMALL = 20000;
function smallSession(sid, n, tag = "") {
  const evs = [];
  const t0 = Date.now() - 120000;
  for (let i = 0; i < n; i++)
    evs.push({ id: randomHex(16), ts: new Date(t0 + i).toISOString(), event: "UserPromptSubmit", session_id: sid, cwd: "/home/dev/small",
      data: { hook_event_name: "UserPromptSubmit", session_id: sid, cwd: "/home/dev/small", prompt: tag + "prompt " + i } });
  return evs;
}

// hookwire_gateway_history_requests_total of gw's /metrics
async function historyRequests(gw) {
  const r = await httpRequest(gw.port, "GET", "/metrics", { headers: { Authorization: "Bearer " + gw.token } });
  const m = /^hookwire_gateway_history_requests_total(?:\{[^}]*\})? (\d+)/m.exec(r.body);
  return m ? Number(m[1]) : NaN;
}

function client(gw, transports) {
  const s = io(gw.url, { forceNew: true, reconnection: false, transports, auth: { token: gw.token } });
  s.disc = null;
  s.on("disconnect", (r) => (s.disc = r));
  return s;
}

// Pages get_history {session, since} to the end: [events, answers, largest answer bytes]
async function pageAll(s, sid) {
  let since = 0, answers = 0, largest = 0;
  const got = [];
  for (;;) {
    const evs = await s.timeout(30000).emitWithAck("get_history", { session: sid, since, limit: 5000 });
    answers++;
    if (!Array.isArray(evs)) throw new Error("not an array: " + JSON.stringify(evs).slice(0, 200));
    largest = Math.max(largest, Buffer.byteLength(JSON.stringify(evs)));
    if (evs.length === 0) break;
    got.push(...evs);
    since = evs.at(-1).seq;
  }
  return [got, answers, largest];
}

function inOrderOnce(got, seqs) {
  return got.length === seqs.length && got.every((e, i) => e.seq === seqs[i]);
}

// A router with a ring of ringSize, the event store when withStore, and
// the gateway, on a new instance named after prefix.
async function startStack(prefix, ringSize, withStore) {
  const inst = makeInstance(prefix);
  inst.env.HOOKWIRE_RING_SIZE = ringSize;
  inst.env.HOOKWIRE_STORE_COMMIT_MS = "50";
  const router = await startRouter(inst);
  const store = withStore ? await startStore(inst) : null;
  const gw = await startGateway(inst);
  return { inst, router, store, gw };
}

async function scenario(name, ringSize, withStore) {
  const { inst, router, store, gw } = await startStack("hb", ringSize, withStore);
  const clients = [];
  let ringFirst = 0; // the ring's oldest seq, with the store
  try {
    const sid = "bigpay00-" + randomHex(4);
    // before it, a session of small events: the dashboard's pages back go
    // through the large events into these (20,000 in few answers)
    const small = withStore ? [] : await ingestEvents(inst, smallSession("smallev0-" + randomHex(4), SMALL));
    const seqs = await ingestEvents(inst, bigSession(sid, N), 8);
    if (withStore) {
      await until(() => storeStats(inst)?.newest >= seqs.at(-1), 60000, "the store to hold every event", 100);
      const first = (ringFirst = Math.min(...execFileSync(path.join(BIN, "event-tail"), ["-n", "1000"], { env: inst.env, encoding: "utf8", maxBuffer: 1 << 28 }).split("\n").filter(Boolean).map((l) => JSON.parse(l).seq)));
      check(first > seqs[0], `${name}: the oldest events have left the ring (its first seq ${first})`);
    }
    for (const tr of [["websocket"], ["polling"]]) {
      const s = client(gw, tr);
      clients.push(s);
      await until(() => s.connected, 10000, "connected");
      const last = await s.timeout(30000).emitWithAck("get_history", { session: sid, limit: 5000 });
      const bytes = Buffer.byteLength(JSON.stringify(last));
      check(Array.isArray(last) && last.length > 0 && last.length < N, `${name}, ${tr}: the last 5000 without since: ${last.length} events (the newest that fit), not all ${N}`);
      check(bytes <= BOUND + PAYLOAD + 4096, `${name}, ${tr}: that answer is ${bytes} bytes, within history_bytes and one event`);
      check(Array.isArray(last) && inOrderOnce(last, seqs.slice(N - last.length)), `${name}, ${tr}: they are the newest, in order`);
      const [got, answers, largest] = await pageAll(s, sid);
      check(inOrderOnce(got, seqs), `${name}, ${tr}: paged with since: all ${N} events in order, each once (${got.length} in ${answers} answers)`);
      check(largest <= BOUND + PAYLOAD + 4096, `${name}, ${tr}: largest answer ${largest} bytes`);
      check(s.connected && s.disc === null, `${name}, ${tr}: still connected (${s.disc})`);
    }
    if (withStore) {
      // the last limit below the ring: the store's part alone, newest first
      // in the SQL and as far as the bytes go, given oldest first
      const r = await httpRequest(gw.port, "GET", `/api/events?session=${sid}&before=${ringFirst}&limit=5000`, { headers: { Authorization: "Bearer " + gw.token }, timeout: 30000 });
      const evs = r.body.split("\n").filter(Boolean).map((l) => JSON.parse(l));
      const want = seqs.filter((q) => q < ringFirst);
      check(r.status === 200 && evs.length > 0 && evs.length < want.length && inOrderOnce(evs, want.slice(want.length - evs.length)),
        `${name}: /api/events before=${ringFirst} (the store's last limit): the newest ${evs.length} of ${want.length} below the ring, in order`);
      check(Buffer.byteLength(r.body) <= BOUND + PAYLOAD + 4096, `${name}: and ${Buffer.byteLength(r.body)} bytes`);
      // search: hits newest first, within the bound, "more" said
      const s = clients[0];
      const a = await s.timeout(30000).emitWithAck("search", { q: "large file read by the agent", session: sid, limit: 100 });
      const hits = a && a.hits;
      check(Array.isArray(hits) && hits.length > 0 && hits.length < N && a.more === true && hits.every((h, i) => h.seq === seqs[N - 1 - i]),
        `${name}: search: ${hits && hits.length} hits, the newest first, more: ${a && a.more} (${hits && hits.map((h) => h.seq).join(",")}; last ${seqs.at(-1)})`);
      check(Buffer.byteLength(JSON.stringify(a)) <= BOUND + 2 * PAYLOAD, `${name}: search answer ${Buffer.byteLength(JSON.stringify(a))} bytes`);
    }
    if (!withStore) {
      // the dashboard: its first page (the newest that fit), then its
      // background pages back through the large events, each window in
      // as many answers as the bound needs
      const { chromium } = await import("playwright-core");
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
      try {
        const page = await (await browser.newContext()).newPage();
        const asked = await historyRequests(gw);
        await page.goto(gw.url + "/#token=" + gw.token);
        const all = [...small, ...seqs];
        let held = [];
        try {
          await page.waitForFunction((n) => window.hookwire && window.hookwire.store.size >= n, all.length, { timeout: 60000, polling: 250 });
        } finally {
          held = await page.evaluate(() => (window.hookwire ? window.hookwire.seqs() : []));
        }
        check(held.length === all.length && held.every((q, i) => q === all[i]), `dashboard: holds all ${all.length} events, in order, once (${held.length})`);
        const calls = (await historyRequests(gw)) - asked;
        // 5 windows of 5,000 seqs: the large events' window in 7 answers,
        // the others in one each (an early answer once shrank every later
        // window to its size: 20,000 small events in 19s, 1,000 calls)
        check(calls <= 20, `dashboard: it asked get_history ${calls} times`);
        check((await page.evaluate(() => window.hookwire.connState())) === "connected", "dashboard: still connected");
      } finally {
        await browser.close();
      }
    }
    // /api/events: the same bound, paged with since
    let since = 0, n = 0, ok = true, largest = 0;
    for (let k = 0; k < 100; k++) {
      const r = await httpRequest(gw.port, "GET", `/api/events?session=${sid}&since=${since}&limit=5000`, { headers: { Authorization: "Bearer " + gw.token }, timeout: 30000 });
      const lines = r.body.toString().split("\n").filter(Boolean).map((l) => JSON.parse(l));
      largest = Math.max(largest, Buffer.byteLength(r.body));
      if (r.status !== 200) { ok = false; break; }
      if (lines.length === 0) break;
      for (const e of lines) if (e.seq !== seqs[n++]) ok = false;
      since = lines.at(-1).seq;
    }
    check(ok && n === N, `${name}: /api/events paged: ${n} of ${N} in order`);
    check(largest <= BOUND + PAYLOAD + 4096, `${name}: /api/events largest answer ${largest} bytes`);
  } catch (e) {
    check(false, `${name}: ${e.stack || e}`);
    dumpLogs(inst);
  } finally {
    for (const s of clients) s.close();
    for (const d of [gw, store, router]) if (d) await stopDaemon(d);
  }
}

// Connection-state recovery across large events: a client offline while
// 120 events of 200 KB (more than outbuf_hard) go by gets them all when it
// reconnects, from the ring and (with a 16 MB ring) the store, paced by its
// output instead of queued at once past the hard limit.
async function recovery(name, ringSize, withStore) {
  const { inst, router, store, gw } = await startStack("hr", ringSize, withStore);
  const s = io(gw.url, { forceNew: true, reconnection: false, transports: ["websocket"], auth: { token: gw.token } });
  try {
    const sid = "recover0-" + randomHex(4);
    const got = [], gaps = [], discs = [];
    s.on("claude_event", (e) => got.push(e.seq));
    s.on("gap", (g) => gaps.push(g));
    s.on("disconnect", (r) => discs.push(r));
    await until(() => s.connected, 10000, "connected");
    const [first] = await ingestEvents(inst, smallSession(sid, 1));
    await until(() => got.includes(first), 10000, "the first event");
    s.disconnect();
    const seqs = await ingestEvents(inst, bigSession(sid, N), 8);
    if (withStore)
      await until(() => storeStats(inst)?.newest >= seqs.at(-1), 60000, "the store to hold every event", 100);
    // live events while the recovery waits for the client to read: at the
    // first missed event the client stops reading its socket for a while
    // (the gateway's output fills, the recovery pauses), the live events
    // come meanwhile; they must be held and come after the missed ones
    let live = null;
    const onFirst = (e) => {
      if (e.seq !== seqs[0]) return;
      s.off("claude_event", onFirst);
      const raw = s.io.engine.transport.ws._socket;
      raw.pause();
      live = ingestEvents(inst, smallSession(sid, 5, "live ")).finally(() => setTimeout(() => raw.resume(), 300));
    };
    s.on("claude_event", onFirst);
    s.connect();
    await until(() => s.connected && live !== null, 10000, "reconnected");
    live = await live;
    const recovered = s.recovered;
    try {
      await until(() => got.includes(live.at(-1)) || discs.length > 1, 60000, "the last event", 50);
    } catch {}
    check(recovered === true, `${name}: the client recovered`);
    check(inOrderOnce(got.slice(1).map((q) => ({ seq: q })), [...seqs, ...live]) && gaps.length === 0, `${name}: every missed event once, in order, then the live ones, no gap (${got.length - 1} of ${N + live.length}, gaps ${JSON.stringify(gaps)})`);
    check(discs.length === 1, `${name}: not cut off meanwhile (disconnects: ${JSON.stringify(discs)})`);
  } catch (e) {
    check(false, `${name}: ${e.stack || e}`);
    dumpLogs(inst);
  } finally {
    s.close();
    for (const d of [gw, store, router]) if (d) await stopDaemon(d);
  }
}

await recovery("recovery from the ring", "64m", false);
await recovery("recovery from the store", "16m", true);
await scenario("ring", "64m", false);
await scenario("store", "16m", true);
console.log(checks.failures ? `${checks.failures} FAILED` : "all passed");
process.exit(checks.failures ? 1 : 0);
