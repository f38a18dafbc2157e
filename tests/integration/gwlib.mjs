// gwlib.mjs: helpers for the ws-gateway integration tests (node).
//
// Each test gets a private directory under $HOOKWIRE_TEST_TMP, a unique
// instance name (hence its own ring), its own rundir and statedir.  Daemons
// are started with --readiness-fd 3 and awaited on that pipe (no sleeps, a
// bounded timeout); everything started here is stopped by pid at the end,
// even when the test throws, and the ring is removed.
//
// Events are fed with the REAL hook-capture binary ($HOOKWIRE_BIN/hook-capture)
// into the REAL event-router, which publishes into the ring the gateway follows.
//
// Run as a program, this file is also a stand-in for `ws-gateway --conformance`
// built on the reference implementation (the npm socket.io 4.8 / engine.io 6
// servers): `node gwlib.mjs reference-conformance --listen 127.0.0.1:0
// --rundir DIR --readiness-fd 3`.  With HOOKWIRE_GW_REFERENCE=1 the upstream
// protocol suites (test_upstream_suites.sh) and the conformance additions run
// against it, which is how the tests themselves are checked.

import { spawn, spawnSync, execFileSync } from "node:child_process";
import net from "node:net";
import fs from "node:fs";
import path from "node:path";
import os from "node:os";
import crypto from "node:crypto";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = path.dirname(fileURLToPath(import.meta.url));
export const SRC = process.env.HOOKWIRE_SRC || path.resolve(here, "../..");
export const BIN = process.env.HOOKWIRE_BIN || path.join(SRC, "build/bin");
export const REFERENCE = process.env.HOOKWIRE_GW_REFERENCE === "1";
export const require = createRequire(path.join(SRC, "tests/package.json"));

const started = new Set(); // live child processes we own
const rings = new Set(); // /dev/shm names (and wake directories) to remove at exit

function killAllSync() {
  for (const p of started) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {}
  }
  started.clear();
  for (const r of rings) {
    try {
      fs.rmSync(r, { force: true, recursive: true });
    } catch {}
  }
}
process.on("exit", killAllSync);
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    killAllSync();
    process.exit(1);
  });
}

let seqNo = 0;
let baseTmp = null;

// A private instance: { name, dir, run, state, env, args }.
export function makeInstance(tag = "gw") {
  if (!baseTmp)
    baseTmp =
      process.env.HOOKWIRE_TEST_TMP || fs.mkdtempSync(path.join(os.tmpdir(), "hw-gwtest."));
  const name = `t${process.pid}x${tag}${seqNo++}`;
  const dir = path.join(baseTmp, name);
  const run = path.join(dir, "run");
  const state = path.join(dir, "state");
  fs.mkdirSync(run, { recursive: true, mode: 0o700 });
  fs.mkdirSync(state, { recursive: true, mode: 0o700 });
  fs.chmodSync(run, 0o700);
  fs.chmodSync(state, 0o700);
  // the ring's name has the uid (paths.h); the wake directory is the portable build's
  rings.add(`/dev/shm/hookwire-${process.getuid()}-${name}`);
  rings.add(`/tmp/hookwire-${process.getuid()}-${name}.wake`);
  const env = {
    ...process.env,
    HOOKWIRE_INSTANCE: name,
    HOOKWIRE_RUNDIR: run,
    HOOKWIRE_STATEDIR: state,
  };
  const args = ["-i", name, "--rundir", run, "--statedir", state];
  return { name, dir, run, state, env, args };
}

export function tail(file, n = 30) {
  try {
    return fs.readFileSync(file, "utf8").split("\n").slice(-n).join("\n");
  } catch {
    return "(no log)";
  }
}

// Prints the tail of every daemon log of an instance (stderr and --log-file).
export function dumpLogs(inst, n = 25) {
  let files = [];
  try {
    files = fs.readdirSync(inst.dir).filter((f) => /\.(json)?log$/.test(f));
  } catch {}
  for (const f of files.sort()) console.log(`--- ${f} (tail):\n${tail(path.join(inst.dir, f), n)}`);
}

// Bounded wait for a promise.
export function within(ms, promise, what = "operation") {
  let t;
  const timeout = new Promise((_, reject) => {
    t = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(t));
}

// Starts cmd with args + --readiness-fd 3 and waits (at most timeoutMs) for
// the readiness line.  Output goes to <inst.dir>/<name>.log.
// Returns { proc, pid, name, log, exited (promise of {code, signal}) }.
export async function startDaemon(inst, name, cmd, args, timeoutMs = 20000) {
  const log = path.join(inst.dir, `${name}.log`);
  const fd = fs.openSync(log, "a");
  const proc = spawn(cmd, [...args, "--readiness-fd", "3"], {
    env: inst.env,
    stdio: ["ignore", fd, fd, "pipe"],
  });
  fs.closeSync(fd);
  started.add(proc);
  const exited = new Promise((resolve) => {
    proc.on("exit", (code, signal) => {
      started.delete(proc);
      resolve({ code, signal });
    });
    proc.on("error", (err) => {
      started.delete(proc);
      resolve({ code: -1, signal: null, error: err });
    });
  });
  const ready = new Promise((resolve, reject) => {
    let buf = "";
    proc.stdio[3].on("data", (d) => {
      buf += d.toString();
      if (buf.includes("\n")) resolve();
    });
    proc.stdio[3].on("error", () => {});
    proc.stdio[3].on("end", () => {
      if (!buf.includes("\n")) reject(new Error(`${name}: readiness fd closed without a line`));
    });
    exited.then((r) =>
      reject(new Error(`${name} exited before readiness (${JSON.stringify(r)})`))
    );
  });
  try {
    await within(timeoutMs, ready, `${name} readiness`);
  } catch (e) {
    try {
      process.kill(proc.pid, "SIGKILL");
    } catch {}
    throw new Error(`${e.message}\n--- ${name} log:\n${tail(log)}`);
  }
  return { proc, pid: proc.pid, name, log, exited };
}

// Stops a daemon by pid: sig (default SIGTERM), then SIGKILL after timeoutMs.
export async function stopDaemon(d, sig = "SIGTERM", timeoutMs = 5000) {
  if (!d || !started.has(d.proc)) return d ? d.exited : undefined;
  try {
    process.kill(d.pid, sig);
  } catch {}
  try {
    return await within(timeoutMs, d.exited, `${d.name} exit`);
  } catch {
    try {
      process.kill(d.pid, "SIGKILL");
    } catch {}
    return d.exited;
  }
}

// Stops a daemon with SIGTERM and returns what was wrong with its exit: not
// exit status 0, or a sanitizer report in its stderr log.  [] when clean.
export async function stopClean(d) {
  const r = await stopDaemon(d);
  const bad = [];
  if (!r || r.code !== 0) bad.push(`${d.name} exit ${JSON.stringify(r)} after SIGTERM`);
  let log = "";
  try {
    log = fs.readFileSync(d.log, "utf8");
  } catch {}
  if (/AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:/.test(log))
    bad.push(`${d.name}: sanitizer report:\n${tail(d.log, 60)}`);
  return bad;
}

export function startRouter(inst, extra = []) {
  return startDaemon(inst, "router", path.join(BIN, "event-router"), [
    ...inst.args,
    "--log-file",
    path.join(inst.dir, "router.jsonlog"),
    ...extra,
  ]);
}

export function startStore(inst, extra = []) {
  return startDaemon(inst, "store", path.join(BIN, "event-store"), [
    ...inst.args,
    "--log-file",
    path.join(inst.dir, "store.jsonlog"),
    ...extra,
  ]);
}

// event-query --stats of inst's store ({newest, indexed, ...}), or null while
// it cannot be read (not there yet).
export function storeStats(inst) {
  try {
    return JSON.parse(execFileSync(path.join(BIN, "event-query"), ["--stats"], { env: inst.env, encoding: "utf8" }));
  } catch {
    return null;
  }
}

// Debian's Chromium, headless, as the browser tests launch it: no sandbox
// (root), nothing that reaches for the network, no throttling of a page that
// is not in front.
export const CHROMIUM = "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
  "--disable-extensions",
  "--mute-audio",
  "--disable-background-timer-throttling",
  "--disable-renderer-backgrounding",
  "--disable-backgrounding-occluded-windows",
];

// The checks of a test: c.ok(cond, what, detail) prints "ok: what" or
// "FAIL: what (detail)" and returns cond; c.count and c.failures for its end.
export function makeChecks() {
  const c = { count: 0, failures: 0 };
  c.ok = (cond, what, detail) => {
    c.count++;
    if (cond) console.log("ok: " + what);
    else {
      c.failures++;
      const d = detail === undefined ? "" : " (" + (typeof detail === "string" ? detail : JSON.stringify(detail)) + ")";
      console.log("FAIL: " + what + d.slice(0, 3000));
    }
    return !!cond;
  };
  return c;
}

// Starts ws-gateway (or, for --conformance with HOOKWIRE_GW_REFERENCE=1, the
// reference stand-in).  listen defaults to 127.0.0.1:0.  Returns the daemon
// plus port, url, wsUrl and token (the contents of $STATEDIR/token, if any).
export async function startGateway(inst, extra = [], listen = "127.0.0.1:0") {
  try {
    fs.rmSync(path.join(inst.run, "gateway.port"), { force: true });
  } catch {}
  let d;
  const args = [...inst.args, "--listen", listen, ...extra];
  if (REFERENCE && extra.includes("--conformance"))
    d = await startDaemon(inst, "gateway", process.execPath, [
      fileURLToPath(import.meta.url),
      "reference-conformance",
      ...args,
    ]);
  else
    d = await startDaemon(inst, "gateway", path.join(BIN, "ws-gateway"), [
      ...args,
      "--log-file",
      path.join(inst.dir, "gateway.jsonlog"),
    ]);
  const portText = fs.readFileSync(path.join(inst.run, "gateway.port"), "utf8");
  const port = Number.parseInt(portText.trim(), 10);
  if (!(port > 0 && port < 65536))
    throw new Error(`bad gateway.port contents: ${JSON.stringify(portText)}`);
  let token = null;
  try {
    token = fs.readFileSync(path.join(inst.state, "token"), "utf8").trim();
  } catch {}
  return {
    ...d,
    port,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    token,
  };
}

// The hook fixtures: { name: object }.
export function fixtureDir() {
  const cands = [
    process.env.HOOKWIRE_FIXTURES,
    path.join(SRC, "../shared/fixtures/hooks"),
    path.join(SRC, "tests/fixtures/hooks"),
  ].filter(Boolean);
  for (const c of cands) if (fs.existsSync(c)) return c;
  throw new Error(`no hook fixtures in ${cands.join(", ")}`);
}
export function fixtures() {
  const dir = fixtureDir();
  const out = {};
  for (const f of fs.readdirSync(dir).sort())
    if (f.endsWith(".json"))
      out[f.replace(/\.json$/, "")] = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));
  return out;
}

let nonce = 0;
// A hook JSON built from a fixture, for session `session`, made unique (so
// that the router's content dedup does not drop it): a fresh tool_use_id
// where the fixture has one, and an extra top-level field.
export function hookFrom(fixture, session, extra = {}) {
  const h = structuredClone(fixture);
  if (session) h.session_id = session;
  const n = nonce++;
  if ("tool_use_id" in h || h.tool_name) h.tool_use_id = `toolu_gwtest_${process.pid}_${n}`;
  h.hookwire_test_nonce = `${process.pid}-${n}-${crypto.randomBytes(4).toString("hex")}`;
  return Object.assign(h, extra);
}

// Feeds one hook JSON (object or string) through the real hook-capture.
// Resolves when hook-capture exits (it has then got the router's ack, or
// spooled); rejects when its exit code is not 0.
export function capture(inst, hook, timeoutMs = 10000) {
  const input = typeof hook === "string" ? hook : JSON.stringify(hook);
  return within(
    timeoutMs,
    new Promise((resolve, reject) => {
      const p = spawn(path.join(BIN, "hook-capture"), inst.args, {
        env: inst.env,
        stdio: ["pipe", "pipe", "pipe"],
      });
      started.add(p);
      let out = "",
        err = "";
      p.stdout.on("data", (d) => (out += d));
      p.stderr.on("data", (d) => (err += d));
      p.on("error", (e) => {
        started.delete(p);
        reject(e);
      });
      p.on("exit", (code) => {
        started.delete(p);
        if (code === 0) resolve({ out, err });
        else reject(new Error(`hook-capture exited ${code}: ${err}`));
      });
      p.stdin.on("error", () => {});
      p.stdin.end(input);
    }),
    "hook-capture"
  );
}

// Starts the paced load feeder (loadfeed.mjs) on inst's ingest socket; the
// options left undefined keep loadfeed's defaults.  Its stderr (progress
// lines) is dropped.  Returns { proc, done } at once; done resolves when the
// feeder has exited and its stdout is read, to { code, out, first, last }:
// first and last are the Numbers of its "first_seq=N last_seq=N" (NaN when
// absent).  A feeder still running at exit is killed with the daemons.
export function startFeed(inst, { rate = 0, count, seconds, pad, sessions, prefix, window } = {}) {
  const args = [path.join(here, "loadfeed.mjs"), "--socket", path.join(inst.run, "ingest.sock"), "--rate", String(rate)];
  for (const [k, v] of Object.entries({ count, seconds, pad, sessions, prefix, window }))
    if (v !== undefined) args.push(`--${k}`, String(v));
  const proc = spawn(process.execPath, args, { env: inst.env, stdio: ["ignore", "pipe", "ignore"] });
  started.add(proc);
  let out = "";
  proc.stdout.on("data", (d) => (out += d));
  const done = new Promise((resolve) => {
    const seq = (k) => Number(new RegExp(`${k}_seq=(\\d+)`).exec(out)?.[1]);
    const fin = (code) => resolve({ code, out, first: seq("first"), last: seq("last") });
    proc.on("exit", () => started.delete(proc));
    proc.on("close", (code) => fin(code));
    proc.on("error", () => {
      started.delete(proc);
      fin(-1);
    });
  });
  return { proc, done };
}

// Resolves with the args of the next `event` on emitter (socket.io-client
// socket or Manager, EventEmitter) within ms.
// Canonical events (hookwire-event(5)) straight to the router's ingest
// socket, at most `window` unacknowledged; resolves with their seqs in
// order, rejects on the first answer that is not "accepted".
export function ingestEvents(inst, events, window = 500) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(path.join(inst.run, "ingest.sock"));
    const seqs = [];
    let sent = 0,
      buf = "";
    const pump = () => {
      let chunk = "";
      while (sent < events.length && sent - seqs.length < window) chunk += JSON.stringify(events[sent++]) + "\n";
      if (chunk) sock.write(chunk);
    };
    sock.on("connect", pump);
    sock.on("data", (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const r = JSON.parse(buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (r.status !== "accepted") return reject(new Error("ingest: " + JSON.stringify(r)));
        seqs.push(r.seq);
      }
      if (seqs.length >= events.length) {
        sock.end();
        resolve(seqs);
      } else pump();
    });
    sock.on("error", reject);
  });
}

export function once(emitter, event, ms = 10000) {
  return within(
    ms,
    new Promise((resolve) => {
      const f = (...args) => {
        if (emitter.off) emitter.off(event, f);
        else emitter.removeListener(event, f);
        resolve(args);
      };
      emitter.on(event, f);
    }),
    `event ${event}`
  );
}

// Polls cond() every intervalMs until it gives a truthy value, at most ms;
// resolves with that value.  cond may be async (a fetch, a file read): each
// try is awaited before the next.  Only where there is no event to wait on,
// e.g. "N events have arrived in this array" or a counter on /metrics.
export async function until(cond, ms = 10000, what = "condition", intervalMs = 10) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function randomHex(n = 16) {
  return crypto.randomBytes(n).toString("hex");
}

// ---- the reference stand-in for `ws-gateway --conformance` ----

async function referenceConformance(argv) {
  let listen = "127.0.0.1:0",
    rundir = null,
    readyFd = -1;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--listen") listen = argv[++i];
    else if (argv[i] === "--rundir") rundir = argv[++i];
    else if (argv[i] === "--readiness-fd") readyFd = Number(argv[++i]);
    else if (["-i", "--statedir", "--log-file"].includes(argv[i])) i++;
  }
  const http = await import("node:http");
  const { Server } = require("socket.io");
  const engine = require("engine.io");
  const opts = {
    pingInterval: 300,
    pingTimeout: 200,
    maxPayload: 1000000,
    cors: { origin: "*" },
  };
  const server = http.createServer();
  const eio = engine.attach(server, { ...opts, path: "/engine.io/" });
  eio.on("connection", (socket) => {
    socket.on("data", (...args) => socket.send(...args));
  });
  const io = new Server(server, { ...opts, path: "/socket.io/" });
  function onConnection(socket) {
    socket.emit("auth", socket.handshake.auth);
    socket.on("message", (...args) => socket.emit("message-back", ...args));
    socket.on("message-with-ack", (...args) => {
      const ack = args.pop();
      ack(...args);
    });
  }
  io.of("/").on("connection", onConnection);
  io.of("/custom").on("connection", onConnection);
  const i = listen.lastIndexOf(":");
  server.listen(Number(listen.slice(i + 1)), listen.slice(0, i), () => {
    fs.writeFileSync(path.join(rundir, "gateway.port"), `${server.address().port}\n`);
    if (readyFd >= 0) {
      fs.writeSync(readyFd, "\n");
      fs.closeSync(readyFd);
    }
  });
  process.removeAllListeners("SIGTERM");
  process.on("SIGTERM", () => process.exit(0));
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === "reference-conformance")
  referenceConformance(process.argv.slice(3));

// A free TCP port on 127.0.0.1 (bound, read, released).
export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

// Starts a private redis-server on 127.0.0.1:port with its files in dir
// (aof: appendonly with fsync always); resolves once it answers PING.
// The process carries exitedP, a promise of its exit; it is killed with the
// daemons at exit.
export async function startRedis(dir, port, { aof = false } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const p = spawn(
    "redis-server",
    ["--bind", "127.0.0.1", "--port", String(port), "--dir", dir, "--save", "",
     ...(aof ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]),
     "--daemonize", "no", "--logfile", path.join(dir, "redis.log")],
    { stdio: "ignore" }
  );
  started.add(p);
  p.exitedP = new Promise((r) => p.once("exit", r));
  p.exitedP.then(() => started.delete(p));
  const ping = () => spawnSync("redis-cli", ["-p", String(port), "ping"], { encoding: "utf8" }).stdout.trim();
  await until(() => ping() === "PONG", 10000, "redis PING");
  return p;
}

// ---- raw HTTP and WebSocket: for tests that send bytes exactly as written
// (nothing normalised by a client library) or read what a library hides ----

// The Socket.IO endpoint on the WebSocket transport.
export const SIO_WS_PATH = "/socket.io/?EIO=4&transport=websocket";

function parseHttpResponse(raw, closed, error) {
  const text = raw.toString("latin1");
  const i = text.indexOf("\r\n\r\n");
  const head = i >= 0 ? text.slice(0, i) : text;
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  const headers = {};
  for (const line of head.split("\r\n").slice(1)) {
    const k = line.indexOf(":");
    if (k > 0) headers[line.slice(0, k).trim().toLowerCase()] = line.slice(k + 1).trim();
  }
  return { status: m ? Number(m[1]) : 0, head, headers, body: i >= 0 ? text.slice(i + 4) : "", raw, closed, error };
}

// Sends request (a string, taken as latin1, or a Buffer) on a new TCP
// connection to 127.0.0.1:port and reads until the peer closes, at most
// timeout ms (headOnly: until the end of the response head).  Resolves with
// { status (0 when there is none), head, headers (lower-case names; the
// last of a repeated one), body (latin1), raw (every byte read, a Buffer),
// closed (the peer closed: end of file or reset), error (the code of a
// reset or write error after the connect, else undefined) }.  A connection
// that cannot be made rejects.
export function rawHttp(port, request, { timeout = 10000, headOnly = false } = {}) {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, "127.0.0.1");
    const chunks = [];
    let connected = false,
      done = false,
      error;
    const finish = (closed) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      c.destroy();
      resolve(parseHttpResponse(Buffer.concat(chunks), closed, error));
    };
    const timer = setTimeout(() => finish(false), timeout);
    c.on("connect", () => {
      connected = true;
      c.write(typeof request === "string" ? Buffer.from(request, "latin1") : request);
    });
    c.on("data", (d) => {
      chunks.push(d);
      if (headOnly && Buffer.concat(chunks).includes("\r\n\r\n")) finish(false);
    });
    c.on("error", (e) => {
      if (connected) return void (error = e.code || e.message);
      done = true;
      clearTimeout(timer);
      reject(e);
    });
    c.on("close", () => finish(true));
  });
}

// One request with node:http (which sends any header, Origin included), on
// its own connection, at most timeout ms: { status, headers, body (UTF-8) }.
export async function httpRequest(port, method, pathname, { headers = {}, body = null, timeout = 10000 } = {}) {
  const { request } = await import("node:http");
  return within(
    timeout,
    new Promise((resolve, reject) => {
      const r = request({ host: "127.0.0.1", port, method, path: pathname, headers, agent: false }, (res) => {
        let b = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (b += d));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: b }));
      });
      r.on("error", reject);
      if (body !== null) {
        r.setHeader("Content-Length", Buffer.byteLength(body));
        r.write(body);
      }
      r.end();
    }),
    `${method} ${pathname}`
  );
}

// A WebSocket frame as a client sends it: payload (a string is UTF-8)
// masked with a random key; mask false, fin false or rsv bits for a client
// that breaks the rules.
export function wsFrame(opcode, payload, { mask = true, fin = true, rsv = 0 } = {}) {
  const p = typeof payload === "string" ? Buffer.from(payload) : payload;
  const b0 = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
  const m = mask ? 0x80 : 0;
  let head;
  if (p.length < 126) head = Buffer.from([b0, m | p.length]);
  else if (p.length < 65536) {
    head = Buffer.from([b0, m | 126, 0, 0]);
    head.writeUInt16BE(p.length, 2);
  } else {
    head = Buffer.from([b0, m | 127, 0, 0, 0, 0, 0, 0, 0, 0]);
    head.writeBigUInt64BE(BigInt(p.length), 2);
  }
  if (!mask) return Buffer.concat([head, p]);
  const key = crypto.randomBytes(4);
  return Buffer.concat([head, key, Buffer.from(p.map((b, i) => b ^ key[i & 3]))]);
}

// The opening handshake of a WebSocket client, to send raw on a socket of
// one's own: a GET of path on 127.0.0.1:port with a fresh key and headers.
export function wsRequest(port, path = SIO_WS_PATH, headers = {}) {
  let req =
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n`;
  for (const [k, v] of Object.entries(headers)) req += `${k}: ${v}\r\n`;
  return req + "\r\n";
}

// A WebSocket client (the `ws` package) that keeps its events until they
// are awaited: ws.next(type, ms) resolves with the next "open", "message"
// ({ data }: a string, or a Buffer when binary), "close" ({ code, reason })
// or "error" event, in order, even one that came before the call (a server
// may send two packets in one segment).  It never swallows an error: an
// "error", or a handshake answered with another status than 101 (an Error
// with .status), rejects every pending and later next() but next("error"),
// and a close rejects a wait for "open" or "message".
export function wsConnect(url, { headers = {}, origin, timeout = 10000 } = {}) {
  const WebSocket = require("ws");
  const ws = new WebSocket(url, { headers, ...(origin ? { origin } : {}) });
  const kept = { open: [], message: [], close: [], error: [] };
  const waiting = { open: [], message: [], close: [], error: [] };
  let failure = null,
    closed = null;
  const deliver = (type, ev) => (waiting[type].length ? waiting[type].shift().resolve(ev) : kept[type].push(ev));
  const rejectAll = (types, e) => {
    for (const t of types) while (waiting[t].length) waiting[t].shift().reject(e);
  };
  const onError = (e) => {
    if (failure) return;
    failure = e;
    deliver("error", e);
    rejectAll(["open", "message", "close"], e);
  };
  ws.on("open", () => deliver("open", {}));
  ws.on("message", (data, binary) => deliver("message", { data: binary ? data : data.toString() }));
  ws.on("close", (code, reason) => {
    closed = { code, reason: reason.toString() };
    deliver("close", closed);
    rejectAll(["open", "message"], new Error(`closed (${code}) while waiting`));
  });
  ws.on("unexpected-response", (req, res) => {
    const e = new Error(`handshake answered ${res.statusCode}`);
    e.status = res.statusCode;
    req.destroy();
    onError(e);
  });
  ws.on("error", onError);
  ws.next = (type, ms = timeout) => {
    if (kept[type].length) return Promise.resolve(kept[type].shift());
    if (type !== "error" && failure) return Promise.reject(failure);
    if ((type === "open" || type === "message") && closed)
      return Promise.reject(new Error(`closed (${closed.code}) while waiting for ${type}`));
    let w;
    const p = new Promise((resolve, reject) => waiting[type].push((w = { resolve, reject })));
    return within(ms, p, `WebSocket ${type}`).catch((e) => {
      const i = waiting[type].indexOf(w);
      if (i >= 0) waiting[type].splice(i, 1);
      throw e;
    });
  };
  return ws;
}
