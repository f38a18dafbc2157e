// test_fault_fds.mjs: ws-gateway runs out of file descriptors (ulimit -n
// 64).  A flood of raw TCP connections uses them all up: the gateway pauses
// accepting (logs "emfile", counts the refusals), keeps serving the clients
// it has (every event reaches them, in order), and once the flood goes away
// it accepts again: a new client connects and gets events.  The refusals are
// counted under refused_total{reason="descriptors"}, not clients_max.
import net from "node:net";
import path from "node:path";
import { spawn } from "node:child_process";
import fs from "node:fs";
import { io } from "socket.io-client";
import { makeInstance, startRouter, startDaemon, stopDaemon, until, within, dumpLogs, BIN } from "./gwlib.mjs";

const NOFILE = 64;
let fails = 0;
const check = (ok, msg) => {
  console.log(`${ok ? "ok" : "FAIL"}: ${msg}`);
  if (!ok) fails++;
};
const inst = makeInstance("fd");
const router = await startRouter(inst);
const gwlog = path.join(inst.dir, "gateway.jsonlog");
const gw = await startDaemon(inst, "gateway", "/bin/bash", [
  "-c",
  `ulimit -n ${NOFILE} && exec "$0" "$@"`,
  path.join(BIN, "ws-gateway"),
  ...inst.args,
  "--listen",
  "127.0.0.1:0",
  "--log-file",
  gwlog,
]);
const port = Number(fs.readFileSync(path.join(inst.run, "gateway.port"), "utf8"));
const token = fs.readFileSync(path.join(inst.state, "token"), "utf8").trim();
const url = `http://127.0.0.1:${port}`;
const fdCount = () => fs.readdirSync(`/proc/${gw.pid}/fd`).length;
const watch = (opts = {}) => {
  const s = io(url, { forceNew: true, reconnection: false, transports: ["websocket"], auth: { token }, ...opts });
  s.seqs = [];
  s.on("claude_event", (ev) => s.seqs.push(ev.seq));
  return s;
};
let seq = 0;
const sock = path.join(inst.run, "ingest.sock");
function feed(n) {
  return new Promise((resolve, reject) => {
    const c = net.createConnection(sock);
    let got = 0,
      buf = "",
      last = 0;
    c.on("connect", () => {
      let out = "";
      for (let i = 0; i < n; i++) {
        seq++;
        out += JSON.stringify({
          id: (Date.now().toString(16) + seq.toString(16).padStart(20, "0")).slice(-32).padStart(32, "0"),
          ts: "2026-11-28T20:25:03.000001Z",
          event: "Stop",
          session_id: "fd",
          data: { n: seq },
        }) + "\n";
      }
      c.write(out);
    });
    c.on("data", (d) => {
      buf += d;
      const lines = buf.split("\n");
      buf = lines.pop();
      for (const l of lines) {
        const r = JSON.parse(l);
        if (r.status !== "accepted") reject(new Error(`feed: ${l}`));
        last = r.seq;
        got++;
      }
      if (got === n) {
        c.end();
        resolve(last);
      }
    });
    c.on("error", reject);
  });
}

const flood = [];
let watchers = [];
try {
  watchers = Array.from({ length: 8 }, () => watch());
  await until(() => watchers.every((s) => s.connected), 20000, "8 watchers connected");
  const fds0 = fdCount();
  let last = await feed(20);
  await until(() => watchers.every((s) => s.seqs.at(-1) === last), 10000, "watchers got the first events");
  // flood: open raw connections until the gateway is out of descriptors
  for (let i = 0; i < NOFILE * 2; i++) {
    const c = net.createConnection(port, "127.0.0.1");
    c.on("error", () => {});
    c.closedByPeer = false;
    c.on("close", () => (c.closedByPeer = true));
    flood.push(c);
    await new Promise((r) => c.once("connect", r).once("error", r));
  }
  await until(() => fs.readFileSync(gwlog, "utf8").includes('"reason":"emfile"'), 10000, "the gateway to log emfile");
  check(true, "the gateway ran out of descriptors and logged it (reason emfile)");
  const fdsFull = fdCount();
  check(fdsFull <= NOFILE, `gateway descriptors at the limit: ${fdsFull} <= ${NOFILE}`);
  // while out of descriptors: the watchers are still served
  last = await feed(50);
  await until(() => watchers.every((s) => s.seqs.at(-1) === last), 15000, "watchers served while out of descriptors");
  const inOrder = watchers.every((s) => s.seqs.every((v, i) => i === 0 || v === s.seqs[i - 1] + 1));
  check(inOrder, "watchers got every event, in order, while the gateway was out of descriptors");
  // a new client now: refused or queued, not a crash
  check(gw.proc.exitCode === null, "gateway still running");
  // the flood goes away: the gateway accepts again
  for (const c of flood) c.destroy();
  const t0 = Date.now();
  const late = watch();
  await within(20000, new Promise((r, j) => late.once("connect", r).once("connect_error", j)), "a new client after the flood");
  const recoverMs = Date.now() - t0;
  check(late.connected, `a new client connects after the flood (${recoverMs} ms)`);
  last = await feed(10);
  await until(() => late.seqs.at(-1) === last && watchers.every((s) => s.seqs.at(-1) === last), 10000, "everyone gets the next events");
  check(true, "new client and old watchers get the next events");
  const m = await fetch(`${url}/metrics`).then((r) => r.text());
  const refused = m.split("\n").filter((l) => /refused/.test(l) && !l.startsWith("#"));
  console.log(`  metrics: ${refused.join(" | ")}`);
  // out of descriptors is its own reason, not clients_max (which is 20000 here)
  const refusedBy = (r) => Number(new RegExp(`^hookwire_gateway_refused_total\\{reason="${r}"\\} (\\d+)$`, "m").exec(m)?.[1]);
  check(refusedBy("descriptors") > 0, `refused_total{reason="descriptors"} counts the EMFILE refusals (${refusedBy("descriptors")})`);
  check(refusedBy("clients_max") === 0, `refused_total{reason="clients_max"} stays 0 (${refusedBy("clients_max")})`);
  late.close();
  await until(() => fdCount() <= fds0 + 2, 10000, "descriptors back to the baseline").catch(() => {});
  const fdsEnd = fdCount();
  check(fdsEnd <= fds0 + 2, `descriptors back near the baseline: ${fds0} -> ${fdsFull} -> ${fdsEnd}`);
  console.log(`FIGURE fdlimit_nofile ${NOFILE}`);
  console.log(`FIGURE fdlimit_fds_baseline ${fds0}`);
  console.log(`FIGURE fdlimit_fds_full ${fdsFull}`);
  console.log(`FIGURE fdlimit_fds_after ${fdsEnd}`);
  console.log(`FIGURE fdlimit_recover_ms ${recoverMs}`);
} catch (e) {
  console.log(`FAIL: ${e.message}`);
  fails++;
}
for (const c of flood) c.destroy();
for (const s of watchers) s.close();
const r = await stopDaemon(gw);
check(r && r.code === 0, `gateway exits 0 on SIGTERM (${JSON.stringify(r)})`);
await stopDaemon(router);
if (fails) dumpLogs(inst);
console.log(fails ? `${fails} check(s) failed` : "all checks passed");
process.exit(fails ? 1 : 0);
