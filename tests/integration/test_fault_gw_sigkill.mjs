// test_fault_gw_sigkill.mjs: ws-gateway killed with SIGKILL while 100
// socket.io-client clients watch a stream of events; restarted on the same
// port.  Every client reconnects by itself, recovers (connection-state
// recovery) and ends with every event exactly once, in order (the ring is
// large enough that nothing is lapped; a gap event would be reported).
// HOOKWIRE_STRESS=1: 300 clients, 6000 events, three kills.
import { io } from "socket.io-client";
import { makeInstance, startRouter, startGateway, startFeed, stopDaemon, until, dumpLogs } from "./gwlib.mjs";

const STRESS = process.env.HOOKWIRE_STRESS === "1";
const NC = STRESS ? 300 : 100;
const NE = STRESS ? 6000 : 1200;
const KILLS = STRESS ? 3 : 1;
const RATE = STRESS ? 400 : 300;
let fails = 0;
const check = (ok, msg) => {
  console.log(`${ok ? "ok" : "FAIL"}: ${msg}`);
  if (!ok) fails++;
};

const inst = makeInstance("gk");
const router = await startRouter(inst);
let gw = await startGateway(inst);
const port = gw.port;
const clients = [];
for (let i = 0; i < NC; i++) {
  const s = io(gw.url, {
    forceNew: true,
    transports: ["websocket"],
    auth: { token: gw.token },
    reconnectionDelay: 50,
    reconnectionDelayMax: 300,
    randomizationFactor: 0.5,
  });
  s.seqs = [];
  s.gaps = [];
  s.recoveries = 0;
  s.reconnects = 0;
  s.on("claude_event", (ev) => s.seqs.push(ev.seq));
  s.on("gap", (g) => s.gaps.push(g));
  s.on("connect", () => {
    if (s.recovered) s.recoveries++;
  });
  s.io.on("reconnect", () => s.reconnects++);
  clients.push(s);
}
try {
  await until(() => clients.every((s) => s.connected), 30000, `${NC} clients connected`);
  const t0 = Date.now();
  const feedDone = startFeed(inst, { rate: RATE, count: NE, pad: 300 }).done;
  const killGap = [];
  for (let k = 1; k <= KILLS; k++) {
    // kill once every client has seen a share of the stream
    const at = Math.floor((NE * k) / (KILLS + 1));
    await until(() => clients.every((s) => s.seqs.length >= Math.min(at, 50 * k)), 60000, `clients past event ${at}`);
    process.kill(gw.pid, "SIGKILL");
    await gw.exited;
    const tk = Date.now();
    gw = await startGateway(inst, [], `127.0.0.1:${port}`);
    check(gw.port === port, `kill ${k}: restarted on the same port ${port}`);
    await until(() => clients.every((s) => s.connected && s.reconnects >= k), 60000, `every client reconnected after kill ${k}`);
    killGap.push(Date.now() - tk);
  }
  const { code: fc, out: feedOut, last: lastSeq } = await feedDone;
  check(fc === 0, `feeder: ${feedOut.trim()}`);
  await until(() => clients.every((s) => s.seqs.at(-1) === lastSeq), 60000, "every client at the last seq");
  const secs = (Date.now() - t0) / 1000;
  let bad = 0,
    notRecovered = 0,
    gapped = 0;
  for (const [i, s] of clients.entries()) {
    const first = s.seqs[0];
    const want = Array.from({ length: lastSeq - first + 1 }, (_, j) => first + j);
    const same = s.seqs.length === want.length && s.seqs.every((v, j) => v === want[j]);
    if (!same && bad++ < 3) {
      const dup = s.seqs.length - new Set(s.seqs).size;
      console.log(`  client ${i}: ${s.seqs.length} events, want ${want.length}; duplicates ${dup}; gaps ${JSON.stringify(s.gaps)}`);
    }
    if (s.recoveries < KILLS) notRecovered++;
    if (s.gaps.length) gapped++;
  }
  check(bad === 0, `every client: every event from its first to ${lastSeq} exactly once, in order (${bad} bad)`);
  check(notRecovered === 0, `every client recovered its session after each kill (${notRecovered} did not)`);
  check(gapped === 0, `no gap events (the ring was not lapped) (${gapped} clients got one)`);
  console.log(`FIGURE gwkill_clients ${NC}`);
  console.log(`FIGURE gwkill_events ${NE}`);
  console.log(`FIGURE gwkill_kills ${KILLS}`);
  console.log(`FIGURE gwkill_reconnect_all_ms ${Math.max(...killGap)}`);
  console.log(`FIGURE gwkill_seconds ${secs.toFixed(1)}`);
} catch (e) {
  console.log(`FAIL: ${e.message}`);
  fails++;
}
for (const s of clients) s.close();
await stopDaemon(gw);
await stopDaemon(router);
if (fails) dumpLogs(inst);

// ---- part 2: the ring is lapped while the gateway is dead: every client
// gets one explicit gap event naming exactly the lost range, then the rest
// in order, nothing twice.
const NL = STRESS ? 100 : 20;
const small = makeInstance("gklap");
small.env.HOOKWIRE_RING_SIZE = "65536";
const r2 = await startRouter(small);
let g2 = await startGateway(small);
const port2 = g2.port;
const lap = [];
const feedN = (n, pad) => startFeed(small, { rate: 0, count: n, pad }).done;
try {
  for (let i = 0; i < NL; i++) {
    const s = io(g2.url, { forceNew: true, transports: ["websocket"], auth: { token: g2.token }, reconnectionDelay: 50, reconnectionDelayMax: 300 });
    s.seqs = [];
    s.gaps = [];
    s.on("claude_event", (ev) => s.seqs.push(ev.seq));
    s.on("gap", (g) => s.gaps.push({ from: Number(g.from), to: Number(g.to), at: s.seqs.length }));
    lap.push(s);
  }
  await until(() => lap.every((s) => s.connected), 20000, "lap clients connected");
  let f = await feedN(5, 100);
  await until(() => lap.every((s) => s.seqs.at(-1) === f.last), 10000, "lap clients got the first events");
  const seen = f.last;
  process.kill(g2.pid, "SIGKILL");
  await g2.exited;
  // ~2 KiB each: 100 of them lap a 64 KiB ring several times
  f = await feedN(100, 2000);
  check(f.code === 0, `lap feeder: ${f.out.trim()}`);
  g2 = await startGateway(small, [], `127.0.0.1:${port2}`);
  await until(() => lap.every((s) => s.seqs.at(-1) === f.last), 30000, "lap clients at the last event");
  let badGap = 0, badSeq = 0;
  for (const s of lap) {
    const g = s.gaps[0];
    if (s.gaps.length !== 1 || g.from !== seen + 1 || g.at !== 5 || s.seqs[5] !== g.to + 1) {
      if (badGap++ < 3) console.log(`  gaps ${JSON.stringify(s.gaps)}, seqs after ${s.seqs.slice(4, 8)}`);
    }
    const after = s.seqs.slice(5);
    if (!after.every((v, i) => i === 0 || v === after[i - 1] + 1) || new Set(s.seqs).size !== s.seqs.length) badSeq++;
  }
  check(badGap === 0, `every client: one gap event from ${seen + 1}, right before the replay (${badGap} bad)`);
  check(badSeq === 0, `every client: after the gap every later event once, in order (${badSeq} bad)`);
  console.log(`FIGURE gwkill_lapped_clients ${NL}`);
  console.log(`FIGURE gwkill_lapped_gap_events ${lap[0].gaps[0] ? lap[0].gaps[0].to - lap[0].gaps[0].from + 1 : -1}`);
} catch (e) {
  console.log(`FAIL: lapped: ${e.message}`);
  fails++;
}
for (const s of lap) s.close();
await stopDaemon(g2);
await stopDaemon(r2);
if (fails) dumpLogs(small);
console.log(fails ? `${fails} check(s) failed` : "all checks passed");
process.exit(fails ? 1 : 0);
