// test_fault_shutdown.mjs: ws-gateway stopped with SIGTERM while it is busy:
// WebSocket and long-polling clients connected, events streaming, some
// connections mid-write.  It must exit 0 within its bound, without a crash
// or a sanitizer report (a regression test for a use-after-free of the
// reaper event by connections that were still draining during shutdown).
// Two rounds (HOOKWIRE_STRESS=1: ten); the crash it guards against showed in
// about half of the rounds before the fix.
import { io } from "socket.io-client";
import { makeInstance, startRouter, startGateway, startFeed, stopDaemon, stopClean, until, dumpLogs } from "./gwlib.mjs";

const ROUNDS = process.env.HOOKWIRE_STRESS === "1" ? 10 : 2;
let fails = 0;
const check = (ok, msg) => {
  console.log(`${ok ? "ok" : "FAIL"}: ${msg}`);
  if (!ok) fails++;
};
const inst = makeInstance("down");
const router = await startRouter(inst);
let pollErrors = 0;
for (let r = 1; r <= ROUNDS; r++) {
  const gw = await startGateway(inst);
  const clients = [];
  for (let i = 0; i < 40; i++) {
    const s = io(gw.url, { forceNew: true, reconnection: false, transports: [i % 2 ? "websocket" : "polling"], auth: { token: gw.token } });
    s.n = 0;
    s.on("claude_event", () => s.n++);
    s.on("disconnect", (why, d) => (s.why = `${why}${d && d.description ? ":" + (d.description.message || d.description) : ""}`));
    clients.push(s);
  }
  try {
    await until(() => clients.every((s) => s.connected), 20000, "clients connected");
    const fed = startFeed(inst, { rate: 1000, count: 2000, pad: 2000 }).done;
    // (no client may drop under this burst: polling clients used to, with
    // "transport error" (ECONNRESET), when a long-poll response of megabytes
    // was cut off by the close linger timer; test_gw_polling_load.mjs)
    await until(() => clients.every((s) => s.n > 50 || !s.connected), 20000, "events flowing").catch((e) => {
      throw new Error(`${e.message}: ${clients.map((s) => `${s.n}${s.connected ? "" : "x(" + s.why + ")"}`).join(" ")}`);
    });
    // stop it in the middle of the stream, with polls parked and writes pending
    const dropped = clients.filter((s) => !s.connected);
    pollErrors += dropped.length;
    check(
      dropped.length === 0,
      `round ${r}: no client dropped before the stop${dropped.length ? ` (${dropped.length} dropped: ${[...new Set(dropped.map((s) => s.why))].join(", ")})` : ""}`
    );
    const bad = await stopClean(gw);
    check(bad.length === 0, `round ${r}: SIGTERM under load: exit 0, no sanitizer report${bad.length ? ": " + bad.join("; ").slice(0, 400) : ""}`);
    await fed;
  } catch (e) {
    check(false, `round ${r}: ${e.message}`);
    await stopDaemon(gw);
  }
  for (const s of clients) s.close();
}
await stopDaemon(router);
if (fails) dumpLogs(inst);
console.log(`FIGURE shutdown_rounds ${ROUNDS}`);
console.log(`FIGURE shutdown_clients_dropped_under_burst ${pollErrors}`);
console.log(fails ? `${fails} check(s) failed` : "all checks passed");
process.exit(fails ? 1 : 0);
