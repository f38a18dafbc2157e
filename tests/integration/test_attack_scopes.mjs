// test_attack_scopes.mjs: session-scoped tokens under many interleaved
// sessions (make check: 20 sessions x 50 events; HOOKWIRE_STRESS=1: 50 x
// 200).  Every scoped client gets exactly its session's events, all of them,
// in order, and nothing else: not through the live stream, get_history,
// subscribe, /api/events, nor by replaying another client's recovery
// session id ({pid, offset} taken from a full-scope client) with its own
// token.  Wrong and missing tokens are refused.
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { io } from "socket.io-client";
import { makeInstance, startRouter, startGateway, startFeed, stopDaemon, until, within, dumpLogs } from "./gwlib.mjs";

const STRESS = process.env.HOOKWIRE_STRESS === "1";
const NS = STRESS ? 50 : 20;
const PER = STRESS ? 200 : 50;
let fails = 0;
const check = (ok, msg) => {
  console.log(`${ok ? "ok" : "FAIL"}: ${msg}`);
  if (!ok) fails++;
};
const prefix = crypto.randomBytes(6).toString("hex");
const sess = Array.from({ length: NS }, (_, k) => `feed-${prefix}-${k}`);
const toks = sess.map(() => crypto.randomBytes(16).toString("hex"));
const inst = makeInstance("scope");
fs.writeFileSync(path.join(inst.state, "tokens"), sess.map((s, k) => `${toks[k]} ${s}\n`).join(""), { mode: 0o600 });
const router = await startRouter(inst);
const gw = await startGateway(inst);
const mk = (auth, extra = {}) => {
  const s = io(gw.url, { forceNew: true, reconnection: false, transports: ["websocket"], auth, ...extra });
  s.evs = [];
  s.on("claude_event", (ev) => s.evs.push(ev));
  return s;
};
const conn = (s) =>
  within(10000, new Promise((r) => (s.connected ? r(null) : s.once("connect", () => r(null)).once("connect_error", (e) => r(e)))), "connect");
const all = [];
try {
  // refused: wrong, missing, truncated, another instance's format
  for (const auth of [{ token: "0".repeat(32) }, {}, { token: toks[0].slice(0, 31) }, { token: toks[0] + "x" }, { token: [toks[0]] }]) {
    const s = mk(auth);
    const e = await conn(s);
    check(e !== null && !s.connected, `token ${JSON.stringify(auth).slice(0, 50)} refused (${e && e.message})`);
    s.close();
  }
  const full = mk({ token: gw.token });
  all.push(full);
  const scoped = toks.map((t) => mk({ token: t }));
  all.push(...scoped);
  let refusedOk = 0;
  for (const s of [full, ...scoped]) if ((await conn(s)) !== null) refusedOk++;
  check(refusedOk === 0, `the full-scope and ${NS} scoped clients connect (${refusedOk} refused)`);
  // interleaved stream over all sessions
  const { code, out } = await startFeed(inst, { rate: 0, count: NS * PER, sessions: NS, prefix }).done;
  check(code === 0, `feeder: ${out.trim()}`);
  await until(() => full.evs.length >= NS * PER && scoped.every((s) => s.evs.length >= PER), 30000, "every client got its events");
  let wrong = 0,
    short = 0,
    unordered = 0;
  scoped.forEach((s, k) => {
    if (s.evs.some((e) => e.session_id !== sess[k])) wrong++;
    if (s.evs.length !== PER) short++;
    if (!s.evs.every((e, i) => i === 0 || e.seq > s.evs[i - 1].seq)) unordered++;
  });
  check(wrong === 0, `no scoped client saw another session's event (${wrong} did)`);
  check(short === 0, `every scoped client got exactly its ${PER} events (${short} did not)`);
  check(unordered === 0, `in order (${unordered} not)`);
  // history, subscribe and /api/events stay in scope
  const a = scoped[0];
  const h = await a.timeout(10000).emitWithAck("get_history", { session: sess[1], limit: 1000 });
  check(Array.isArray(h) && h.length === 0, `get_history of another session: nothing (${Array.isArray(h) ? h.length : JSON.stringify(h)})`);
  const h2 = await a.timeout(10000).emitWithAck("get_history", { limit: 100000 });
  check(Array.isArray(h2) && h2.length === PER && h2.every((e) => e.session_id === sess[0]), `get_history: own session only (${h2.length})`);
  const r = await fetch(`${gw.url}/api/events?since=0&session=${sess[1]}&limit=100000`, { headers: { Authorization: `Bearer ${toks[0]}` } });
  const body = await r.text();
  check(!body.includes(sess[1]), `/api/events for another session with a scoped token: nothing of it (status ${r.status})`);
  // replay another client's recovery session with a scoped token
  const stolenPid = full.io?.engine && full._pid;
  check(typeof stolenPid === "string" && stolenPid.length > 0, `the full-scope client has a recovery pid (${stolenPid})`);
  const thief = mk({ token: toks[0], pid: stolenPid, offset: String(full.evs[0].seq - 1) });
  all.push(thief);
  check((await conn(thief)) === null, "a scoped client may connect with another session's pid (it gets no recovery)");
  const marker = await thief.timeout(10000).emitWithAck("get_history", { limit: 1 }).catch(() => null);
  // (a replay would come before the ack: the gateway answers in order on one socket)
  const foreign = thief.evs.filter((e) => e.session_id !== sess[0]);
  check(foreign.length === 0, `replaying a full-scope pid with a scoped token leaks nothing (${foreign.length} foreign events, recovered ${thief.recovered})`);
  void marker;
  console.log(`FIGURE scopes_sessions ${NS}`);
  console.log(`FIGURE scopes_events ${NS * PER}`);
} catch (e) {
  console.log(`FAIL: ${e.message}`);
  fails++;
}
for (const s of all) s.close();
await stopDaemon(gw);
await stopDaemon(router);
if (fails) dumpLogs(inst, 10);
console.log(fails ? `${fails} check(s) failed` : "all checks passed");
process.exit(fails ? 1 : 0);
