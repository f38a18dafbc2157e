// test_gw_sio_additions.mjs: what hookwire checks of `ws-gateway
// --conformance` on /socket.io/ beyond the official Socket.IO v5 suite
// (which test_upstream_suites.sh runs as published): the official
// socket.io-client against the same server, on every transport choice, both
// namespaces, with binary arguments (base64 `b` packets over polling, binary
// frames over WebSocket) and acks; and a clean exit.

import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { makeInstance, startGateway, stopDaemon, stopClean, dumpLogs } from "./gwlib.mjs";

const inst = makeInstance("sio");
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
const T = { timeout: 10000 }; // per case

describe("the official socket.io-client", () => {
  const choices = [["polling"], ["websocket"], undefined];
  for (const transports of choices)
    for (const nsp of ["/", "/custom"])
      it(`connects, echoes binary and acks (${transports || "default"}, ${nsp})`, T, async () => {
        const s = io(`${URL}${nsp === "/" ? "" : nsp}`, {
          forceNew: true,
          reconnection: false,
          auth: { who: "gwtests", n: 1 },
          ...(transports ? { transports } : {}),
        });
        try {
          const auth = new Promise((resolve) => s.once("auth", resolve));
          await new Promise((resolve, reject) => {
            s.once("connect", resolve);
            s.once("connect_error", reject);
          });
          assert.deepEqual(await auth, { who: "gwtests", n: 1 });
          const args = [1, "2", { 3: [true] }, Buffer.from([1, 2, 3]), { nested: Buffer.from([4, 5]) }];
          const back = new Promise((resolve) => s.once("message-back", (...a) => resolve(a)));
          s.emit("message", ...args);
          const got = await back;
          assert.equal(got.length, args.length);
          assert.deepEqual(got.slice(0, 3), args.slice(0, 3));
          assert.deepEqual([...got[3]], [1, 2, 3]);
          assert.deepEqual([...got[4].nested], [4, 5]);
          const acked = await s.timeout(5000).emitWithAck("message-with-ack", "x", Buffer.from([9]));
          assert.equal(acked, "x"); // emitWithAck resolves with the first ack argument
          const both = await new Promise((resolve) =>
            s.emit("message-with-ack", "y", Buffer.from([7, 8]), (...a) => resolve(a))
          );
          assert.equal(both[0], "y");
          assert.deepEqual([...both[1]], [7, 8]);
          if (transports === undefined && s.io.engine.transport.name !== "websocket")
            await new Promise((resolve) => s.io.engine.once("upgrade", resolve));
        } finally {
          s.close();
        }
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
