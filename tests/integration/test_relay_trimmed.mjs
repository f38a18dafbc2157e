// test_relay_trimmed.mjs: a ws-gateway following a Redis stream
// (--source redis://...) loses its Redis connection; meanwhile entries are
// added and Redis drops some of them before the gateway read them.  Shown
// with the official socket.io-client, one client connected throughout and
// one recovering by offset:
//   - a reconnection with nothing dropped: the new entries, no gap;
//   - entries trimmed (XTRIM MAXLEN) while away: a `gap` naming exactly the
//     positions trimmed, then the remaining entries in order, for the live
//     client and for the client recovering from an offset in the hole; the
//     gateway logs it and /metrics counts it;
//   - the stream deleted and recreated while away: a `gap` from the newest
//     entry held to the first entry of the new stream, then its entries;
//   - trimmed while away, but only entries it had read: no gap;
//   - a trim before a catch-up of several XREAD replies: the gap, then the rest.
// The gateway is held with SIGSTOP while Redis kills its connection (CLIENT
// KILL) and the stream is changed, so that nothing races the reconnection;
// SIGCONT lets it notice and reconnect.  Entries are XADDed with explicit
// ids (ms-n) so that their positions (ms * 2048 + n) are known here.
// Redis is a real redis-server on a private loopback port, started and
// stopped here by pid; it has no readiness descriptor, so PING is polled
// (bounded).

import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { io } from "socket.io-client";
import { makeInstance, startGateway, stopDaemon, stopClean, until, within, randomHex, dumpLogs, freePort, startRedis } from "./gwlib.mjs";

const T = { timeout: 20000 };
const G = makeInstance("trim");
const stream = `hw:t${process.pid}:trim`;
const redisDir = path.join(G.dir, "redis");
fs.mkdirSync(redisDir, { recursive: true });
const tokenFile = path.join(G.dir, "token");
const token = randomHex(16);
fs.writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });

const MS = 1764000000000n; // entry i has id MS-i (MS+1 for the recreated stream)
const pos = (ms, n) => ms * 2048n + BigInt(n);

const rport = await freePort();
const url = `redis://127.0.0.1:${rport}`;
function rcli(...args) {
  const r = spawnSync("redis-cli", ["-p", String(rport), ...args], { encoding: "utf8" });
  if (r.status !== 0 || /^(ERR|WRONGTYPE)/m.test(r.stdout)) throw new Error(`redis-cli ${args.join(" ")}: ${r.stdout}${r.stderr}`);
  return r.stdout.trim();
}
// XADDs entries i = from..to with ids ms-i (or id(i)), in one redis-cli call.
function xadd(ms, from, to, id = (i) => `${ms}-${i}`) {
  let cmds = "";
  for (let i = from; i <= to; i++) {
    const ev = JSON.stringify({ id: `trim${i}`, seq: i, ts: "2026-11-29T00:00:00.000001Z", event: "Note", session_id: "trim", data: { i } });
    cmds += `XADD ${stream} ${id(i)} host test seq ${i} event '${ev}'\n`;
  }
  const r = spawnSync("redis-cli", ["-p", String(rport)], { input: cmds, encoding: "utf8" });
  if (r.status !== 0 || /ERR/.test(r.stdout)) throw new Error(`XADD: ${r.stdout}${r.stderr}`);
}

let redis = null;
let gw = null;
const sockets = new Set();
after(async () => {
  for (const s of sockets) s.close();
  if (gw) {
    try {
      process.kill(gw.pid, "SIGCONT");
    } catch {}
    await stopDaemon(gw);
  }
  if (redis && redis.exitCode === null) {
    redis.kill("SIGTERM");
    await redis.exitedP;
  }
});
process.on("exit", (code) => {
  if (code !== 0) dumpLogs(G);
});

try {
  redis = await startRedis(redisDir, rport);
  xadd(MS, 1, 10);
  G.env.HOOKWIRE_GATEWAY_SOURCE_STREAM = stream;
  gw = await startGateway(G, ["--source", url, "--token-file", tokenFile]);
} catch (e) {
  console.error(`cannot start: ${e.message}`);
  process.exit(1);
}

function client(opts = {}) {
  const s = io(gw.url, { forceNew: true, reconnection: false, auth: { token }, transports: ["websocket"], ...opts });
  sockets.add(s);
  s.got = []; // [i, offset] and gaps, in arrival order
  s.on("claude_event", (ev, offset) => s.got.push({ i: ev.data.i, offset: BigInt(offset) }));
  s.on("gap", (g) => s.got.push({ gap: [BigInt(g.from), BigInt(g.to)] }));
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
const events = (s) => s.got.filter((r) => r.i !== undefined);
const gaps = (s) => s.got.filter((r) => r.gap);
const range = (a, b) => Array.from({ length: b - a + 1 }, (_, k) => a + k);
// What a client got from index k on, as [i...] with gaps as "gap from..to".
const shape = (s, k) => s.got.slice(k).map((r) => (r.gap ? `gap ${r.gap[0]}..${r.gap[1]}` : r.i));
async function metric(name) {
  const m = await fetch(`${gw.url}/metrics`).then((r) => r.text());
  const line = m.split("\n").find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(" ")[1]) : NaN;
}

// Holds the gateway, cuts its Redis connection, runs what (the changes made
// while it is away), and lets it go; it reconnects after its back-off.
async function whileAway(what) {
  process.kill(gw.pid, "SIGSTOP");
  try {
    const before = rcli("client", "list");
    rcli("client", "kill", "type", "normal"); // every client but this one: the gateway's
    assert.ok(/cmd=xread/.test(before), `the gateway was blocked in XREAD: ${before}`);
    what();
  } finally {
    process.kill(gw.pid, "SIGCONT");
  }
}

describe("ws-gateway on a Redis stream that was trimmed while it was away", () => {
  let live, rec, recPid, recOffset, mark;

  it("follows the stream", T, async () => {
    live = client();
    rec = client();
    await connected(live);
    await connected(rec);
    xadd(MS, 11, 20);
    await until(() => events(live).length >= 10 && events(rec).length >= 10, 10000, "11..20");
    assert.deepEqual(shape(live, 0), range(11, 20));
    assert.equal(live.got[9].offset, pos(MS, 20), "offsets are stream positions");
  });

  it("a reconnection with nothing dropped: the new entries, no gap", T, async () => {
    await whileAway(() => xadd(MS, 21, 25));
    await until(() => events(live).length >= 15 && events(rec).length >= 15, 10000, "21..25");
    assert.deepEqual(shape(live, 0), range(11, 25));
    assert.deepEqual(shape(rec, 0), range(11, 25));
    recPid = rec._pid;
    recOffset = rec._lastOffset;
    assert.equal(BigInt(recOffset), pos(MS, 25));
    rec.close();
    mark = live.got.length;
  });

  it("entries trimmed while away: a gap naming them, then the rest in order", T, async () => {
    const lapped = await metric("hookwire_gateway_ring_lapped_total");
    await whileAway(() => {
      xadd(MS, 26, 45);
      rcli("xtrim", stream, "maxlen", "10"); // 36..45 remain: 26..35 were never read
    });
    await until(() => events(live).length >= 25, 10000, "36..45");
    await new Promise((r) => setTimeout(r, 200)); // a late event would show here
    assert.deepEqual(shape(live, mark), [`gap ${pos(MS, 26)}..${pos(MS, 35)}`, ...range(36, 45)]);
    assert.equal(gaps(live).length, 1, "one gap in all");
    assert.equal((await metric("hookwire_gateway_ring_lapped_total")) - lapped, 1, "/metrics counts the loss");
    assert.ok((await metric("hookwire_gateway_gaps_total")) >= 1, "/metrics counts the gap sent");
    const log = fs.readFileSync(path.join(G.dir, "gateway.jsonlog"), "utf8");
    assert.match(log, /redis_trimmed/, "logged");
    mark = live.got.length;
  });

  it("a client recovering from an offset in the hole: the gap, then the rest", T, async () => {
    const m = client({ autoConnect: false });
    m._pid = recPid;
    m._lastOffset = recOffset;
    m.connect();
    await connected(m);
    assert.equal(m.recovered, true, "recovered");
    await until(() => events(m).length >= 10, 10000, "36..45 replayed");
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(shape(m, 0), [`gap ${pos(MS, 26)}..${pos(MS, 35)}`, ...range(36, 45)]);
    m.close();
  });

  it("the stream deleted and recreated while away: a gap up to its first entry", T, async () => {
    await whileAway(() => {
      rcli("del", stream);
      xadd(MS + 1n, 46, 50);
    });
    await until(() => events(live).length >= 30, 10000, "46..50");
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(shape(live, mark), [`gap ${pos(MS, 46)}..${pos(MS + 1n, 46) - 1n}`, ...range(46, 50)]);
    const log = fs.readFileSync(path.join(G.dir, "gateway.jsonlog"), "utf8");
    assert.match(log, /redis_recreated/, "logged");
    mark = live.got.length;
  });

  it("trimmed while away, but only entries it had read: no gap", T, async () => {
    const lapped = await metric("hookwire_gateway_ring_lapped_total");
    await whileAway(() => {
      xadd(MS + 1n, 51, 60);
      rcli("xtrim", stream, "maxlen", "10"); // 46..50 go, which it holds
    });
    await until(() => events(live).length >= 40, 10000, "51..60");
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(shape(live, mark), range(51, 60));
    assert.equal(await metric("hookwire_gateway_ring_lapped_total"), lapped, "no loss counted");
    mark = live.got.length;
  });

  it("a long catch-up (several XREAD replies) after a trim: the gap, then all the rest", T, async () => {
    // 2500 entries, 1000 per ms; 61..560 trimmed
    const ms = (i) => MS + 2n + BigInt(Math.floor(i / 1000));
    await whileAway(() => {
      xadd(0n, 61, 2560, (i) => `${ms(i)}-${i % 1000}`);
      rcli("xtrim", stream, "maxlen", "2000");
    });
    await until(() => events(live).length >= 2040, 15000, "561..2560");
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(shape(live, mark), [`gap ${pos(MS + 1n, 61)}..${pos(ms(561), 561 % 1000) - 1n}`, ...range(561, 2560)]);
  });

  it("the gateway stops cleanly (exit 0, no sanitizer report)", T, async () => {
    for (const s of sockets) s.close();
    const bad = await stopClean(gw);
    gw = null;
    assert.deepEqual(bad, []);
  });
});
