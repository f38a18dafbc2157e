// test_gw_eio_additions.mjs: what hookwire checks of `ws-gateway
// --conformance` on /engine.io/ beyond the official Engine.IO v4 suite
// (which test_upstream_suites.sh runs as published): maxPayload
// (1000000 in conformance mode) enforced on both transports the way the npm
// engine.io server does it, and a clean exit.

import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { makeInstance, startGateway, stopDaemon, stopClean, dumpLogs, wsConnect } from "./gwlib.mjs";

const inst = makeInstance("eio");
let gw;
try {
  gw = await startGateway(inst, ["--conformance"]);
} catch (e) {
  console.error(`cannot start the gateway: ${e.message}`);
  process.exit(1);
}
after(async () => {
  await stopDaemon(gw);
});

const URL = gw.url;
const WS_URL = URL.replace("http", "ws");
const T = { timeout: 10000 }; // per case

// The next message that is not a PING (pingInterval is 300 ms here).
async function nextNonPing(socket) {
  for (;;) {
    const event = await socket.next("message");
    if (event.data !== "2") return event;
  }
}

// Answers the server's pings, so that a close is the server's reaction to
// the input, not a ping timeout.
function keepAlive(socket) {
  socket.addEventListener("message", (e) => {
    if (e.data === "2" && socket.readyState === socket.OPEN) socket.send("3");
  });
}

async function initLongPollingSession() {
  const response = await fetch(`${URL}/engine.io/?EIO=4&transport=polling`);
  const content = await response.text();
  return JSON.parse(content.substring(1)).sid;
}

describe("maxPayload", () => {
  it("refuses a polling POST larger than maxPayload with 413", T, async () => {
    const sid = await initLongPollingSession();
    let status = 0;
    try {
      const r = await fetch(`${URL}/engine.io/?EIO=4&transport=polling&sid=${sid}`, {
        method: "post",
        body: "4" + "x".repeat(1000001),
      });
      status = r.status;
      await r.arrayBuffer();
    } catch (e) {
      status = -1; // closed while sending: also a refusal
    }
    assert.ok(status === 413 || status === -1, `status ${status}`);
  });

  it("closes a WebSocket whose message is larger than maxPayload (1009)", T, async () => {
    const socket = wsConnect(`${WS_URL}/engine.io/?EIO=4&transport=websocket`);
    await socket.next("message"); // handshake
    keepAlive(socket);
    socket.send("4" + "x".repeat(1000001));
    const { code } = await socket.next("close");
    assert.equal(code, 1009);
  });

  it("still echoes a message of exactly maxPayload bytes", T, async () => {
    const socket = wsConnect(`${WS_URL}/engine.io/?EIO=4&transport=websocket`);
    await socket.next("message"); // handshake
    keepAlive(socket);
    const big = "4" + "y".repeat(999999);
    socket.send(big);
    const { data } = await nextNonPing(socket);
    assert.equal(data.length, big.length);
    assert.ok(data === big);
    socket.close();
  });
});

describe("shutdown", () => {
  it("the gateway exits 0 on SIGTERM, without sanitizer reports", T, async () => {
    assert.deepEqual(await stopClean(gw), []);
  });
});

process.on("exit", (code) => {
  if (code !== 0) dumpLogs(inst);
});
