// test_relay_gateways.mjs: two pipelines ("hosts" A and B, each event-router
// + event-relay) feed one Redis stream; two ws-gateways serve it with
// --source redis://...  Shown with the official socket.io-client:
//   - both gateways deliver the same events, in the same (stream) order,
//     with the same offsets;
//   - a client moved from one gateway to the other mid-stream (its pid and
//     offset handed over, as socket.io-client does on reconnection) gets
//     exactly the events it missed, once, in order;
//   - history (get_history since an offset) is the same on both;
//   - Redis killed with SIGKILL and restarted (AOF) mid-stream: the
//     gateways keep serving, reconnect, and nothing is lost or doubled.
// Redis is a real redis-server on a private loopback port, started and
// stopped here by pid; it has no readiness descriptor, so PING is polled
// (bounded).

import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import net from "node:net";
import { spawnSync } from "node:child_process";
import { io } from "socket.io-client";
import {
  BIN,
  makeInstance,
  startDaemon,
  startRouter,
  startGateway,
  stopDaemon,
  stopClean,
  until,
  within,
  randomHex,
  dumpLogs,
  freePort,
  startRedis,
} from "./gwlib.mjs";

const T = { timeout: 60000 };
const A = makeInstance("ra"),
  B = makeInstance("rb"),
  G1 = makeInstance("g1"),
  G2 = makeInstance("g2");
const stream = `hw:t${process.pid}:events`;
const redisDir = path.join(A.dir, "redis");
fs.mkdirSync(redisDir, { recursive: true });
const tokenFile = path.join(A.dir, "token");
const token = randomHex(16);
fs.writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });

const rport = await freePort();
const url = `redis://127.0.0.1:${rport}`;
const rcli = (...args) =>
  spawnSync("redis-cli", ["-p", String(rport), ...args], { encoding: "utf8" }).stdout.trim();

let redis = null;
async function redisStart() {
  redis = await startRedis(redisDir, rport, { aof: true });
}
async function redisKill(sig = "SIGKILL") {
  const r = redis;
  r.kill(sig);
  await r.exitedP;
}

// Feeds events FROM..TO (tag: "a" or "b") to an instance's router; all acked.
function feed(inst, tag, from, to) {
  return within(
    30000,
    new Promise((resolve, reject) => {
      const c = net.connect(path.join(inst.run, "ingest.sock"));
      let buf = "",
        acked = 0;
      const n = to - from + 1;
      c.on("connect", () => {
        let out = "";
        for (let i = from; i <= to; i++)
          out +=
            JSON.stringify({
              id: tag + i.toString(16).padStart(31, "0"),
              ts: "2026-11-28T22:00:00.000001Z",
              event: "PostToolUse",
              session_id: `relay-${tag}`,
              tool: "Bash",
              data: { tag, i },
            }) + "\n";
        c.write(out);
      });
      c.on("data", (d) => {
        buf += d;
        let k;
        while ((k = buf.indexOf("\n")) >= 0) {
          const r = JSON.parse(buf.slice(0, k));
          buf = buf.slice(k + 1);
          if (r.status !== "accepted") reject(new Error(`not accepted: ${JSON.stringify(r)}`));
          if (++acked === n) {
            c.end();
            resolve();
          }
        }
      });
      c.on("error", reject);
    }),
    `feed ${tag} ${from}..${to}`
  );
}

const daemons = [];
const sockets = new Set();
let g1, g2;
after(async () => {
  for (const s of sockets) s.close();
  for (const d of daemons.reverse()) await stopDaemon(d);
  if (redis && redis.exitCode === null) await redisKill("SIGTERM");
});
process.on("exit", (code) => {
  if (code !== 0) for (const i of [A, B, G1, G2]) dumpLogs(i);
});

try {
  await redisStart();
  for (const inst of [A, B]) {
    daemons.push(await startRouter(inst));
    daemons.push(
      await startDaemon(inst, "relay", path.join(BIN, "event-relay"), [
        ...inst.args, "--redis", url, "--stream", stream,
        "--log-file", path.join(inst.dir, "relay.jsonlog"),
      ])
    );
  }
  const gwArgs = ["--source", url, "--token-file", tokenFile];
  for (const g of [G1, G2]) g.env.HOOKWIRE_GATEWAY_SOURCE_STREAM = stream;
  g1 = await startGateway(G1, gwArgs);
  g2 = await startGateway(G2, gwArgs);
  daemons.push(g1, g2);
} catch (e) {
  console.error(`cannot start: ${e.message}`);
  process.exit(1);
}

function client(gw, opts = {}) {
  const s = io(gw.url, { forceNew: true, reconnection: false, auth: { token }, transports: ["websocket"], ...opts });
  sockets.add(s);
  s.got = [];
  s.gaps = [];
  s.on("claude_event", (ev, offset) => s.got.push({ key: `${ev.data.tag}${ev.data.i}`, offset, ev }));
  s.on("gap", (g) => s.gaps.push(g));
  return s;
}
function connected(s) {
  return within(
    10000,
    new Promise((resolve, reject) => {
      if (s.connected) return resolve();
      s.once("connect", resolve);
      s.once("connect_error", reject);
    }),
    "connect"
  );
}
const keys = (s) => s.got.map((r) => r.key);
function assertIncreasing(s, what) {
  for (let i = 1; i < s.got.length; i++)
    assert.ok(BigInt(s.got[i].offset) > BigInt(s.got[i - 1].offset), `${what}: offsets increase at ${i}`);
}
function expectSet(tagRanges) {
  const out = [];
  for (const [tag, a, b] of tagRanges) for (let i = a; i <= b; i++) out.push(`${tag}${i}`);
  return out.sort();
}

describe("two gateways serving one Redis stream fed by two relays", () => {
  let c1, c2;
  it("both gateways deliver the same events, in the same order, with the same offsets", T, async () => {
    c1 = client(g1);
    c2 = client(g2);
    await connected(c1);
    await connected(c2);
    await Promise.all([feed(A, "a", 1, 100), feed(B, "b", 1, 100)]);
    await until(() => c1.got.length >= 200 && c2.got.length >= 200, 20000, "200 events on both");
    assert.deepEqual([...keys(c1)].sort(), expectSet([["a", 1, 100], ["b", 1, 100]]), "each event once");
    assert.deepEqual(keys(c1), keys(c2), "same order on both gateways");
    assert.deepEqual(c1.got.map((r) => r.offset), c2.got.map((r) => r.offset), "same offsets");
    assert.ok(c1.got.every((r) => typeof r.offset === "string"), "offsets are strings");
    assertIncreasing(c1, "gateway 1");
    // per origin, the origin's seq is in order
    for (const tag of ["a", "b"]) {
      const seqs = c1.got.filter((r) => r.ev.data.tag === tag).map((r) => r.ev.seq);
      assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), `origin ${tag} in seq order`);
    }
  });

  it("get_history since an offset is the same on both gateways", T, async () => {
    const mid = c1.got[99].offset;
    const h1 = await c1.timeout(10000).emitWithAck("get_history", { since: Number(mid), limit: 1000 });
    const h2 = await c2.timeout(10000).emitWithAck("get_history", { since: Number(mid), limit: 1000 });
    const want = c1.got.slice(100).map((r) => r.ev.id);
    assert.deepEqual(h1.map((e) => e.id), want, "gateway 1: the events after the offset");
    assert.deepEqual(h2.map((e) => e.id), want, "gateway 2: the same");
  });

  it("a client moved from gateway 1 to gateway 2 mid-stream misses nothing", T, async () => {
    const before = c1.got.length;
    await Promise.all([feed(A, "a", 101, 150), feed(B, "b", 101, 150)]);
    await until(() => c1.got.length >= before + 100, 20000, "101..150 on gateway 1");
    const pid = c1._pid,
      offset = c1._lastOffset;
    assert.equal(typeof pid, "string", "the CONNECT reply carried a pid");
    assert.equal(offset, c1.got.at(-1).offset, "socket.io-client kept the last offset");
    c1.close();
    // the stream goes on while the client moves
    await Promise.all([feed(A, "a", 151, 300), feed(B, "b", 151, 300)]);
    await until(() => c2.got.length >= 600, 20000, "gateway 2 has them all");
    const m = client(g2, { autoConnect: false });
    m._pid = pid; // what socket.io-client sends when it reconnects
    m._lastOffset = offset;
    m.connect();
    await connected(m);
    assert.equal(m.recovered, true, "recovered on the other gateway");
    await until(() => m.got.length >= 300, 20000, "the missed events on gateway 2");
    await new Promise((r) => setTimeout(r, 200)); // a late duplicate would show here
    assert.deepEqual([...keys(m)].sort(), expectSet([["a", 151, 300], ["b", 151, 300]]), "each missed event once");
    assert.deepEqual(keys(m), keys(c2).slice(300), "in stream order");
    assert.equal(m.gaps.length, 0, "no gap");
    m.close();
  });

  it("Redis killed with SIGKILL mid-stream and restarted: nothing lost or doubled", T, async () => {
    const start = c2.got.length;
    const feeding = Promise.all([feed(A, "a", 301, 600), feed(B, "b", 301, 600)]);
    await until(() => c2.got.length >= start + 20, 20000, "streaming");
    await redisKill("SIGKILL");
    await feeding;
    await redisStart();
    await feed(A, "a", 601, 650);
    await until(() => c2.got.length >= start + 650, 30000, "every event after the restart");
    await new Promise((r) => setTimeout(r, 300)); // a late duplicate would show here
    const got = c2.got.slice(start).map((r) => r.key);
    assert.deepEqual([...got].sort(), expectSet([["a", 301, 650], ["b", 301, 600]]), "each once");
    assertIncreasing(c2, "gateway 2 across the restart");
    assert.equal(Number(rcli("xlen", stream)), 1250, "the stream holds every event once");
  });

  it("a gateway with a small window: recovery from an offset that left it gets a gap, then the rest", T, async () => {
    const G3 = makeInstance("g3");
    G3.env.HOOKWIRE_GATEWAY_SOURCE_STREAM = stream;
    G3.env.HOOKWIRE_GATEWAY_SOURCE_WINDOW = "100";
    const g3 = await startGateway(G3, ["--source", url, "--token-file", tokenFile]);
    daemons.push(g3);
    const old = c2.got[10].offset;
    const m = client(g3, { autoConnect: false });
    m._pid = "moved-from-elsewhere";
    m._lastOffset = old;
    m.connect();
    await connected(m);
    assert.equal(m.recovered, true);
    await until(() => m.got.length >= 100, 20000, "the window replayed");
    assert.equal(m.gaps.length, 1, "one gap event");
    const g = m.gaps[0];
    assert.equal(String(g.from), String(BigInt(old) + 1n), "the gap starts after the offset");
    assert.ok(BigInt(g.to) < BigInt(m.got[0].offset), "the gap ends before the first event replayed");
    assert.deepEqual(keys(m), keys(c2).slice(-100), "the newest 100 events, in order");
    m.close();
  });

  it("gateways and relays stop cleanly (exit 0, no sanitizer report)", T, async () => {
    for (const s of sockets) s.close();
    const bad = [];
    for (const d of [g1, g2, ...daemons.filter((x) => x.name === "relay")]) bad.push(...(await stopClean(d)));
    assert.deepEqual(bad, []);
  });
});
