// test_gw_polling_load.mjs: socket.io-client long-polling clients under a
// burst of large events.  N polling clients (transports: ["polling"], in this
// one node process) stay connected while the router ingests RATE events/s of
// about 2 KB, and every client receives every event exactly once and in order
// (the seq argument of claude_event, which is the client's offset, goes up by
// one from the feed's first seq to its last).
//
// A regression test for polling clients dropped with "transport error"
// (ECONNRESET) under such a burst: a long-poll response of megabytes was cut
// off by the gateway's close linger timer before the busy client had read it.
// Environment: POLL_LOAD_CLIENTS (40), POLL_LOAD_RATE (2000), POLL_LOAD_COUNT
// (3000), POLL_LOAD_PAUSE_MS (1500), POLL_LOAD_ROUNDS (1; HOOKWIRE_STRESS=1: 3).
import { io } from "socket.io-client";
import {
  makeInstance,
  startRouter,
  startGateway,
  startFeed,
  stopDaemon,
  stopClean,
  until,
  within,
  dumpLogs,
} from "./gwlib.mjs";

const N = Number(process.env.POLL_LOAD_CLIENTS || 40);
const RATE = Number(process.env.POLL_LOAD_RATE || 2000);
const COUNT = Number(process.env.POLL_LOAD_COUNT || 3000);
const PAUSE = Number(process.env.POLL_LOAD_PAUSE_MS || 1500);
const ROUNDS = Number(process.env.POLL_LOAD_ROUNDS || (process.env.HOOKWIRE_STRESS === "1" ? 3 : 1));
const t0 = Date.now();
const deadline = t0 + 33000; // with the stop (at most 5 s), the test stays under 40 s
let fails = 0;
const check = (ok, msg) => {
  console.log(`${ok ? "ok" : "FAIL"}: ${msg}`);
  if (!ok) fails++;
};
const left = () => Math.max(1000, deadline - Date.now());

const inst = makeInstance("poll");
const router = await startRouter(inst);
let totalDropped = 0;
for (let r = 1; r <= ROUNDS && Date.now() < deadline - 10000; r++) {
  const gw = await startGateway(inst, ["--log-level", "debug"]);
  const clients = [];
  for (let i = 0; i < N; i++) {
    const s = io(gw.url, {
      forceNew: true,
      reconnection: false,
      transports: ["polling"],
      auth: { token: gw.token },
    });
    s.seqs = [];
    s.on("claude_event", (ev, seq) => s.seqs.push(Number(seq)));
    s.on("disconnect", (why, d) => {
      // a polling error: description is the HTTP status (0: no response),
      // context the XMLHttpRequest, whose statusText is the socket error
      const st = d && d.context && d.context.statusText;
      const err = st && typeof st === "object" ? st.code || st.message : st;
      s.at = Date.now() - t0;
      s.why = `${why}${d && d.description !== undefined ? ":" + (d.description.message || d.description) : ""}${err ? ":" + err : ""}`;
    });
    clients.push(s);
  }
  try {
    await until(() => clients.every((s) => s.connected), Math.min(15000, left()), "clients connected");
    const feed = startFeed(inst, { rate: RATE, count: COUNT, pad: 2000 });
    // The clients fall behind the burst: this process (all the clients)
    // stalls for PAUSE ms, as a busy dashboard process does, so the events
    // pile up in the gateway and the next polls carry megabytes.
    if (PAUSE > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, PAUSE);
    const { code, out: fout, first, last } = await within(left(), feed.done, "feed");
    const m = Number.isFinite(first) && Number.isFinite(last);
    check(code === 0 && m, `round ${r}: feed of ${COUNT} events at ${RATE}/s accepted (${fout.trim()})`);
    if (!m) throw new Error("no feed summary");
    const want = last - first + 1;
    // wait until every client has the last event or has dropped
    await until(
      () => clients.every((s) => !s.connected || (s.seqs.length && s.seqs[s.seqs.length - 1] >= last)),
      Math.min(20000, left()),
      "all events delivered"
    ).catch(() => {});
    const dropped = clients.filter((s) => !s.connected);
    totalDropped += dropped.length;
    check(
      dropped.length === 0,
      `round ${r}: all ${N} polling clients stayed connected` +
        (dropped.length
          ? ` (${dropped.length} dropped, the first at ${Math.min(...dropped.map((s) => s.at))} ms: ${[...new Set(dropped.map((s) => s.why))].join(", ")})`
          : "")
    );
    const wrong = [];
    for (const [i, s] of clients.entries()) {
      const got = s.seqs.filter((q) => q >= first && q <= last);
      let ok = got.length === want;
      for (let k = 0; ok && k < got.length; k++) if (got[k] !== first + k) ok = false;
      if (!ok) {
        let at = 0;
        while (at < got.length && got[at] === first + at) at++;
        wrong.push(`client ${i}: ${got.length}/${want} events, in order up to ${first + at - 1}`);
      }
    }
    check(
      wrong.length === 0,
      `round ${r}: every client got seq ${first}..${last} exactly once, in order` +
        (wrong.length ? `: ${wrong.slice(0, 5).join("; ")}` : "")
    );
    for (const s of clients) s.close();
    const bad = await stopClean(gw);
    check(bad.length === 0, `round ${r}: gateway exit 0, no sanitizer report${bad.length ? ": " + bad.join("; ").slice(0, 400) : ""}`);
  } catch (e) {
    check(false, `round ${r}: ${e.message}`);
    for (const s of clients) s.close();
    await stopDaemon(gw);
  }
}
await stopDaemon(router);
if (fails) dumpLogs(inst);
console.log(`FIGURE polling_load_clients ${N}`);
console.log(`FIGURE polling_load_dropped ${totalDropped}`);
console.log(`FIGURE polling_load_seconds ${((Date.now() - t0) / 1000).toFixed(1)}`);
console.log(fails ? `${fails} check(s) failed` : "all checks passed");
process.exit(fails ? 1 : 0);
