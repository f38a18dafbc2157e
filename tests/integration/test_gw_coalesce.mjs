// test_gw_coalesce.mjs: gateway.coalesce_ms gathers new events for that long
// and sends them together; nothing is lost, reordered or duplicated, and
// replies (get_history acks) are not delayed.
//
// With coalesce_ms=400, 10 events fed 20 ms apart (over ~180 ms) reach each
// client within one short spread, at least ~400 ms after the first was fed.
// Without coalescing (a second gateway on the same ring, coalesce_ms=0) the
// same events arrive spread out as they were fed: the control that makes
// the assertion able to fail.
import path from "node:path";
import { io } from "socket.io-client";
import fs from "node:fs";
import { makeInstance, startRouter, startGateway, startFeed, stopDaemon, until, dumpLogs } from "./gwlib.mjs";

const WINDOW = 400;
let fails = 0;
const check = (ok, msg) => {
  console.log(`${ok ? "ok" : "FAIL"}: ${msg}`);
  if (!ok) fails++;
};

function feed(inst, count, rate) {
  return startFeed(inst, { rate, count }).done;
}

function client(gw, transports) {
  const s = io(gw.url, { forceNew: true, reconnection: false, transports, auth: { token: gw.token } });
  s.got = [];
  s.on("claude_event", (ev, off) => s.got.push({ seq: ev.seq, off, at: Date.now(), sent: ev.data.sent_ms }));
  return s;
}

const inst = makeInstance("coal");
const router = await startRouter(inst);
// two gateways on the one ring: same instance, each its own rundir (port file, pidfile)
function gwInst(tag, ms) {
  const run = path.join(inst.dir, `run-${tag}`);
  fs.mkdirSync(run, { recursive: true, mode: 0o700 });
  const args = inst.args.map((a) => (a === inst.run ? run : a));
  return { ...inst, run, args, env: { ...inst.env, HOOKWIRE_RUNDIR: run, HOOKWIRE_GATEWAY_COALESCE_MS: String(ms) } };
}
const plainInst = gwInst("plain", 0);
const coalInst = gwInst("coal", WINDOW);
const gwPlain = await startGateway(plainInst);
const gwCoal = await startGateway(coalInst);
const clients = [];
try {
  const cs = [
    ["coalesced, websocket", client(gwCoal, ["websocket"])],
    ["coalesced, polling", client(gwCoal, ["polling"])],
    ["immediate, websocket", client(gwPlain, ["websocket"])],
  ];
  for (const [, s] of cs) clients.push(s);
  await until(() => clients.every((s) => s.connected), 20000, "clients connected");

  // one event first: it closes any window opened at start-up
  const w = await feed(inst, 1, 0);
  await until(() => clients.every((s) => s.got.some((g) => g.seq === w.last)), 10000, "the warm-up event");
  for (let round = 1; round <= 2; round++) {
    for (const s of clients) s.got = [];
    const r = await feed(inst, 10, 50);
    check(r.code === 0 && r.last - r.first === 9, `round ${round}: 10 events fed 20 ms apart (${r.out.trim()})`);
    await until(() => clients.every((s) => s.got.length >= 10), 10000, "every client got the 10 events").catch(() => {});
    for (const [name, s] of cs) {
      const seqs = s.got.map((g) => g.seq);
      const want = Array.from({ length: 10 }, (_, i) => r.first + i);
      check(JSON.stringify(seqs) === JSON.stringify(want), `round ${round}, ${name}: each event once, in order (${seqs.join(",")})`);
      check(s.got.every((g) => String(g.off) === String(g.seq)), `round ${round}, ${name}: the offset of each is its seq`);
      if (s.got.length < 10) continue;
      const spread = s.got[9].at - s.got[0].at;
      const fedSpread = s.got[9].sent - s.got[0].sent;
      const firstDelay = s.got[0].at - s.got[0].sent;
      if (name.startsWith("coalesced")) {
        check(spread < fedSpread / 2, `round ${round}, ${name}: arrived together (spread ${spread} ms, fed over ${fedSpread} ms)`);
        check(firstDelay >= WINDOW - 100, `round ${round}, ${name}: the first waited for the window (${firstDelay} ms >= ${WINDOW - 100})`);
      } else {
        check(spread > fedSpread / 2, `round ${round}, ${name} (control): arrived as fed (spread ${spread} ms, fed over ${fedSpread} ms)`);
        check(firstDelay < WINDOW - 100, `round ${round}, ${name} (control): not delayed (${firstDelay} ms)`);
      }
    }
  }
  // a reply is not held back by the window
  const s = cs[0][1];
  const t0 = Date.now();
  const h = await s.timeout(5000).emitWithAck("get_history", { limit: 5 });
  const dt = Date.now() - t0;
  check(Array.isArray(h) && h.length === 5, `get_history answered with 5 events (${JSON.stringify(h).slice(0, 60)})`);
  check(dt < WINDOW / 2, `get_history ack not delayed by the window (${dt} ms)`);
} catch (e) {
  check(false, e.message);
} finally {
  for (const c of clients) c.close();
  await stopDaemon(gwCoal);
  await stopDaemon(gwPlain);
  await stopDaemon(router);
}
if (fails) dumpLogs(inst);
console.log(fails ? `${fails} check(s) failed` : "all checks passed");
process.exit(fails ? 1 : 0);
