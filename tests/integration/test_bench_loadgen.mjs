// test_bench_loadgen.mjs: sio-load(1), the load generator of `make bench`,
// sees what the official socket.io-client sees.
//
// Over the real pipeline (event-router -> ring -> ws-gateway), sio-load with
// 3 clients and one socket.io-client connection are connected, then 100
// canonical events are written to the router's ingest socket.  Both must
// count exactly 100 claude_event frames per client, sio-load must have
// parsed every frame (no bad frames) and timed it sensibly; with a wrong
// token sio-load must count connect errors, not events.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { io } from "socket.io-client";
import {
  BIN,
  makeInstance,
  startRouter,
  startGateway,
  stopClean,
  once,
  until,
  within,
  randomHex,
  dumpLogs,
} from "./gwlib.mjs";

const N = 100;
const SIO_LOAD = path.join(BIN, "sio-load");

// Runs sio-load; resolves { ready (promise), done (promise of the parsed JSON) }.
function sioLoad(args) {
  const p = spawn(SIO_LOAD, [...args, "--readiness-fd", "3"], {
    stdio: ["ignore", "pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  p.stdout.on("data", (d) => (out += d));
  p.stderr.on("data", (d) => (err += d));
  const ready = new Promise((resolve, reject) => {
    let buf = "";
    p.stdio[3].on("data", (d) => {
      buf += d;
      if (buf.includes("\n")) resolve();
    });
    p.stdio[3].on("end", () => {
      if (!buf.includes("\n")) reject(new Error(`sio-load: no readiness line; stderr: ${err}`));
    });
  });
  const done = new Promise((resolve, reject) => {
    p.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`sio-load exit ${code}: ${err}`));
      try {
        resolve(JSON.parse(out.trim().split("\n").pop()));
      } catch (e) {
        reject(new Error(`sio-load output ${JSON.stringify(out)}: ${e.message}`));
      }
    });
  });
  return { proc: p, ready, done };
}

// Writes n canonical events to the ingest socket; resolves with the reply lines.
function ingest(sock, n) {
  return new Promise((resolve, reject) => {
    const c = net.connect(sock);
    const run = randomHex(8);
    let buf = "";
    const replies = [];
    c.on("error", reject);
    c.on("data", (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        replies.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
      }
      if (replies.length >= n) {
        c.end();
        resolve(replies);
      }
    });
    c.on("connect", () => {
      let lines = "";
      for (let k = 0; k < n; k++) {
        const ev = {
          id: run + k.toString(16).padStart(16, "0"),
          ts: new Date().toISOString().replace(/Z$/, "000Z"),
          event: "PostToolUse",
          session_id: `loadgen-${run}`,
          data: { hook_event_name: "PostToolUse", n: k, text: "x".repeat(512) },
        };
        lines += JSON.stringify(ev) + "\n";
      }
      c.write(lines);
    });
  });
}

describe("sio-load against socket.io-client", { timeout: 90000 }, () => {
  const inst = makeInstance("loadgen");
  let router, gw;
  after(async () => {
    const bad = [];
    if (gw) bad.push(...(await stopClean(gw)));
    if (router) bad.push(...(await stopClean(router)));
    if (bad.length) {
      dumpLogs(inst);
      assert.fail(bad.join("\n"));
    }
  });

  it("is built", () => {
    assert.ok(fs.existsSync(SIO_LOAD), `${SIO_LOAD} missing: make bins`);
  });

  it("counts the same 100 events as socket.io-client", async () => {
    router = await startRouter(inst);
    gw = await startGateway(inst);
    const load = sioLoad(["--url", gw.url, "--clients", "3", "--token", gw.token, "--expect", String(N), "--duration", "30"]);
    const sock = io(gw.url, { transports: ["websocket"], auth: { token: gw.token }, reconnection: false });
    const connected = once(sock, "connect", 20000);
    const got = [];
    sock.on("claude_event", (ev, off) => got.push([ev, off]));
    try {
      await within(20000, load.ready, "sio-load readiness");
      await connected;
      const replies = await within(20000, ingest(path.join(inst.run, "ingest.sock"), N), "ingest");
      assert.equal(replies.filter((r) => r.status === "accepted").length, N, JSON.stringify(replies[0]));
      const r = await within(40000, load.done, "sio-load exit");
      await until(() => got.length >= N, 20000, `${N} events at socket.io-client`);
      assert.equal(got.length, N, "socket.io-client count");
      assert.equal(r.sio_connected, 3);
      assert.equal(r.connect_errors, 0);
      assert.equal(r.bad_frames, 0);
      assert.equal(r.events, 3 * N, "sio-load total");
      assert.equal(r.events_per_client_min, got.length, "sio-load per client = socket.io-client");
      assert.equal(r.events_per_client_max, got.length);
      assert.equal(r.clients_complete, 3);
      // the offsets are the sequence numbers, as socket.io-client saw them
      assert.ok(got.every(([ev, off]) => String(ev.seq) === off));
      assert.ok(r.latency_us.p50 > 0 && r.latency_us.max < 30e6, JSON.stringify(r.latency_us));
      assert.ok(r.latency_us.p50 <= r.latency_us.p99 && r.latency_us.p99 <= r.latency_us.max * 1.04 + 1);
    } finally {
      sock.close();
      if (load.proc.exitCode === null) load.proc.kill("SIGTERM");
    }
  });

  it("counts a wrong token as connect errors", async () => {
    const load = sioLoad(["--url", gw.url, "--clients", "2", "--token", "wrong" + randomHex(8), "--duration", "5"]);
    await within(20000, load.ready, "sio-load readiness");
    const r = await within(20000, load.done, "sio-load exit");
    assert.equal(r.sio_connected, 0);
    assert.equal(r.connect_errors, 2);
    assert.equal(r.events, 0);
  });
});
