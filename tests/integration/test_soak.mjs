// test_soak.mjs: a bounded soak of the whole pipeline.  The load feeder
// (loadfeed.mjs) paces events into the router's ingest socket while
// socket.io-client clients watch; resident memory and descriptor counts of
// the router and the gateway are sampled every few seconds and must stay
// flat (after a warm-up); every client gets every event, in order.
// make check: 30 s at 200 events/s with 20 clients.
// HOOKWIRE_STRESS=1: 30 minutes at 500 events/s with 200 clients
// (HOOKWIRE_TEST_SOAK_SECONDS, _RATE, _CLIENTS override).
import fs from "node:fs";
import path from "node:path";
import { spawn } from "node:child_process";
import { io } from "socket.io-client";
import { makeInstance, startRouter, startGateway, startFeed, stopDaemon, until, dumpLogs } from "./gwlib.mjs";

const STRESS = process.env.HOOKWIRE_STRESS === "1";
const env = (k, d) => Number(process.env[`HOOKWIRE_TEST_SOAK_${k}`] || d);
const SECS = env("SECONDS", STRESS ? 1800 : 30);
const RATE = env("RATE", STRESS ? 500 : 200);
const NC = env("CLIENTS", STRESS ? 200 : 20);
const SAMPLE_MS = STRESS ? 30000 : 5000;
let fails = 0;
const check = (ok, msg) => {
  console.log(`${ok ? "ok" : "FAIL"}: ${msg}`);
  if (!ok) fails++;
};
const inst = makeInstance("soak");
const router = await startRouter(inst);
const gw = await startGateway(inst);
const proc = (pid) => {
  const st = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return {
    // private memory: VmRSS also counts the shared ring pages as they are touched
    rss: Number(/RssAnon:\s+(\d+)/.exec(st)[1]),
    vmrss: Number(/VmRSS:\s+(\d+)/.exec(st)[1]),
    fds: fs.readdirSync(`/proc/${pid}/fd`).length,
  };
};
const asan = /libasan/.test(
  (await new Promise((r) => {
    const p = spawn("ldd", [path.join(process.env.HOOKWIRE_BIN || "", "ws-gateway")]);
    let o = "";
    p.stdout.on("data", (d) => (o += d));
    p.on("exit", () => r(o));
    p.on("error", () => r(""));
  })) || ""
);
const clients = [];
try {
  for (let i = 0; i < NC; i++) {
    const s = io(gw.url, { forceNew: true, reconnection: false, transports: [i % 5 ? "websocket" : "polling"], auth: { token: gw.token } });
    s.n = 0;
    s.last = 0;
    s.bad = 0;
    s.on("claude_event", (ev) => {
      if (s.last && ev.seq !== s.last + 1) s.bad++;
      s.last = ev.seq;
      s.n++;
    });
    s.on("disconnect", (why) => {
      if (!s.closing) s.dropped = why;
    });
    clients.push(s);
  }
  await until(() => clients.every((s) => s.connected), 30000, `${NC} clients connected`);
  const samples = [];
  const sample = () => samples.push({ t: Date.now(), r: proc(router.pid), g: proc(gw.pid) });
  const { done } = startFeed(inst, { rate: RATE, seconds: SECS, pad: 600, sessions: 16 });
  const timer = setInterval(sample, SAMPLE_MS);
  sample();
  const { code, out, last } = await done;
  clearInterval(timer);
  check(code === 0, `feeder: ${out.trim()}`);
  await until(() => clients.every((s) => s.last === last || s.dropped), 30000, "every client at the last event");
  sample();
  check(clients.every((s) => !s.dropped), `no client dropped (${clients.filter((s) => s.dropped).map((s) => s.dropped).join(",")})`);
  check(clients.every((s) => s.n === last && s.bad === 0), `every client got all ${last} events, in order`);
  // flat: compare the sample after warm-up (a fifth of the run) with the last
  const w = samples[Math.max(1, Math.floor(samples.length / 5))];
  const z = samples.at(-1);
  for (const [k, name] of [
    ["r", "router"],
    ["g", "gateway"],
  ]) {
    console.log(`FIGURE soak_${name}_rssanon_kb_start ${w[k].rss}`);
    console.log(`FIGURE soak_${name}_rssanon_kb_end ${z[k].rss}`);
    console.log(`FIGURE soak_${name}_rssanon_kb_max ${Math.max(...samples.map((s) => s[k].rss))}`);
    console.log(`FIGURE soak_${name}_vmrss_kb_end ${z[k].vmrss}`);
    console.log(`FIGURE soak_${name}_fds_start ${w[k].fds}`);
    console.log(`FIGURE soak_${name}_fds_end ${z[k].fds}`);
    // polling clients hold one long-poll and now and then a POST: slack for those
    const slack = 2 + (k === "g" ? Math.ceil(NC / 5) : 0);
    check(z[k].fds <= w[k].fds + slack, `${name}: descriptors flat (${w[k].fds} -> ${z[k].fds}, slack ${slack}; samples ${samples.map((s) => s[k].fds).join(" ")})`);
    if (asan) console.log(`ok: (${name} memory not checked under ASan)`);
    else
      check(
        z[k].rss <= w[k].rss * 1.25 + 2048,
        `${name}: private resident memory (RssAnon) flat (${w[k].rss} -> ${z[k].rss} kB, samples ${samples.map((s) => s[k].rss).join(" ")})`
      );
  }
  console.log(`FIGURE soak_seconds ${SECS}`);
  console.log(`FIGURE soak_rate ${RATE}`);
  console.log(`FIGURE soak_clients ${NC}`);
  console.log(`FIGURE soak_events ${last}`);
  console.log(`FIGURE soak_deliveries ${clients.reduce((a, s) => a + s.n, 0)}`);
} catch (e) {
  console.log(`FAIL: ${e.message}`);
  fails++;
}
for (const s of clients) {
  s.closing = true;
  s.close();
}
const rg = await stopDaemon(gw);
check(rg && rg.code === 0, `gateway exits 0 (${JSON.stringify(rg)})`);
const rr = await stopDaemon(router);
check(rr && rr.code === 0, `router exits 0 (${JSON.stringify(rr)})`);
if (fails) dumpLogs(inst);
console.log(fails ? `${fails} check(s) failed` : "all checks passed");
process.exit(fails ? 1 : 0);
