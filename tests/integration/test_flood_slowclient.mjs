// test_flood_slowclient.mjs: a client that stops reading is cut off at its
// output-buffer limit (gateway.outbuf_hard, set small here through
// HOOKWIRE_GATEWAY_OUTBUF_HARD / _SOFT), and the other clients do not
// notice: they get every event, and their latency (hook -> client, measured
// from the feeder's timestamp in each event) during the stall stays close
// to the latency before it.  Figures: p50/p99 before and during.
// HOOKWIRE_STRESS=1: more clients, more events.
import net from "node:net";
import path from "node:path";
import { io } from "socket.io-client";
import {
  makeInstance,
  startRouter,
  startGateway,
  startFeed,
  stopDaemon,
  until,
  within,
  dumpLogs,
  tail,
  wsFrame,
  wsRequest,
} from "./gwlib.mjs";

const STRESS = process.env.HOOKWIRE_STRESS === "1";
const NC = STRESS ? 16 : 4;
const RATE = STRESS ? 1000 : 800;
const NA = RATE * 2; // before
const NB = STRESS ? RATE * 30 : RATE * 10; // during the stall
let fails = 0;
const check = (ok, msg) => {
  console.log(`${ok ? "ok" : "FAIL"}: ${msg}`);
  if (!ok) fails++;
};
const inst = makeInstance("slow");
// small, but above what a healthy client on a loaded machine lags behind
inst.env.HOOKWIRE_GATEWAY_OUTBUF_HARD = "2m";
inst.env.HOOKWIRE_GATEWAY_OUTBUF_SOFT = "1m";
inst.env.HOOKWIRE_GATEWAY_OUTBUF_SOFT_MS = "3000";
const router = await startRouter(inst);
const gw = await startGateway(inst);

function feed(count) {
  return startFeed(inst, { rate: RATE, count, pad: 3000 }).done;
}

function pct(a, p) {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

// a raw WebSocket Socket.IO client that stops reading after it connected
function slowClient() {
  return new Promise((resolve, reject) => {
    const s = net.createConnection(gw.port, "127.0.0.1");
    let buf = Buffer.alloc(0);
    s.on("error", () => {});
    s.on("connect", () => s.write(wsRequest(gw.port)));
    let sent = false;
    const onData = (d) => {
      buf = Buffer.concat([buf, d]);
      if (!sent && buf.includes("0{")) {
        s.write(wsFrame(1, `40{"token":"${gw.token}"}`));
        sent = true;
      }
      if (sent && buf.includes("40{")) {
        s.off("data", onData);
        s.pause(); // and never read again
        resolve(s);
      }
    };
    s.on("data", onData);
    setTimeout(() => reject(new Error("slow client did not connect")), 15000);
  });
}

const health = async () => (await fetch(`${gw.url}/healthz`)).json();
const clients = [];
let slow;
try {
  for (let i = 0; i < NC; i++) {
    const s = io(gw.url, { forceNew: true, reconnection: false, transports: ["websocket"], auth: { token: gw.token } });
    s.lat = [];
    s.seqs = [];
    s.phase = "a";
    s.on("disconnect", (why) => {
      if (s.closing) return;
      s.dropped = why;
      console.log(`  a healthy client was disconnected: ${why} at ${s.seqs.at(-1)}`);
    });
    s.on("claude_event", (ev) => {
      s.seqs.push(ev.seq);
      s.lat.push({ ph: s.phase, ms: Date.now() - ev.data.sent_ms });
    });
    clients.push(s);
  }
  await until(() => clients.every((s) => s.connected), 20000, "clients connected");
  let r = await feed(NA);
  check(r.code === 0, `before: ${r.out.trim()}`);
  await until(() => clients.every((s) => s.seqs.at(-1) === r.last), 20000, "clients got phase A").catch((e) => {
    throw new Error(`${e.message}: last ${r.last}, clients at ${clients.map((s) => `${s.seqs.length}/${s.seqs.at(-1)}`).join(" ")}`);
  });
  slow = await slowClient();
  const h0 = await health();
  for (const s of clients) s.phase = "b";
  let cutAt = null;
  let watching = true;
  const tB = Date.now();
  const fb = feed(NB);
  // when the client count drops: /healthz every 100 ms beside the feed,
  // until it does or we stop watching
  const cutSeen = until(
    async () => !watching || (await health().catch(() => h0)).clients < h0.clients,
    300000,
    "the slow client to be cut off",
    100
  ).then(() => {
    if (watching) cutAt = Date.now() - tB;
  });
  r = await fb;
  check(r.code === 0, `during: ${r.out.trim()}`);
  await until(() => clients.every((s) => s.seqs.at(-1) === r.last), 30000, "clients got phase B");
  await within(10000, cutSeen, "the slow client to be cut off").catch(() => {});
  watching = false;
  check(cutAt !== null, `the stalled client was cut off (${cutAt} ms into the stall; clients ${h0.clients} -> ${(await health()).clients})`);
  const m = await fetch(`${gw.url}/metrics`).then((x) => x.text());
  const cut = m.split("\n").filter((l) => !l.startsWith("#") && /slow_client|outbuf/.test(l) && Number(l.split(" ").at(-1)) > 0);
  check(cut.length > 0, `/metrics counts the cut-off: ${cut.join(" | ") || "(nothing)"}`);
  const log = tail(path.join(inst.dir, "gateway.jsonlog"), 5000);
  // ws-gateway(8): a client over its hard limit is disconnected, logged (a
  // warning with its reason code) and counted.
  const cutLine = log.split("\n").find((l) => /"reason":"outbuf_(hard|soft)"/.test(l) && /"level":"warn"/.test(l));
  check(cutLine !== undefined, `the cut-off is logged with its reason: ${cutLine ? cutLine.slice(0, 240) : "(no such log line)"}`);
  check(clients.every((s) => !s.dropped), "no healthy client was disconnected");
  const dense = clients.every((s) => s.seqs.length === NA + NB && s.seqs.every((v, i) => i === 0 || v === s.seqs[i - 1] + 1));
  check(dense, `every other client got all ${NA + NB} events, in order`);
  const la = clients.flatMap((s) => s.lat.filter((x) => x.ph === "a").map((x) => x.ms));
  const lb = clients.flatMap((s) => s.lat.filter((x) => x.ph === "b").map((x) => x.ms));
  const [a50, a99, b50, b99] = [pct(la, 50), pct(la, 99), pct(lb, 50), pct(lb, 99)];
  console.log(`FIGURE slowclient_clients ${NC}`);
  console.log(`FIGURE slowclient_rate ${RATE}`);
  console.log(`FIGURE slowclient_latency_before_p50_ms ${a50}`);
  console.log(`FIGURE slowclient_latency_before_p99_ms ${a99}`);
  console.log(`FIGURE slowclient_latency_during_p50_ms ${b50}`);
  console.log(`FIGURE slowclient_latency_during_p99_ms ${b99}`);
  console.log(`FIGURE slowclient_cut_after_ms ${cutAt}`);
  // generous: the machine is shared and loaded
  check(b50 <= Math.max(5 * a50, a50 + 100), `median latency during the stall (${b50} ms) close to before (${a50} ms)`);
  check(b99 <= Math.max(5 * a99, a99 + 500), `p99 latency during the stall (${b99} ms) close to before (${a99} ms)`);
  check(gw.proc.exitCode === null, "gateway still running");
} catch (e) {
  console.log(`FAIL: ${e.message}`);
  fails++;
}
if (slow) slow.destroy();
for (const s of clients) {
  s.closing = true;
  s.close();
}
const rc = await stopDaemon(gw);
check(rc && rc.code === 0, `gateway exits 0 (${JSON.stringify(rc)})`);
await stopDaemon(router);
if (fails) dumpLogs(inst);
console.log(fails ? `${fails} check(s) failed` : "all checks passed");
process.exit(fails ? 1 : 0);
