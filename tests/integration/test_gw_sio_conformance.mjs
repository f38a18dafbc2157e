// test_gw_sio_conformance.mjs: the official Socket.IO v5 protocol test suite,
// run against `ws-gateway --conformance` (/socket.io/: namespaces / and
// /custom, `auth` echo on connect, `message` -> `message-back`,
// `message-with-ack` -> ack with the same arguments).
//
// Ported from the Socket.IO project's test suite:
//   socketio/socket.io, docs/socket.io-protocol/v5-test-suite/test-suite.js
//   (formerly socketio/socket.io-protocol, test-suite/test-suite.js)
//   Copyright (c) 2014-present Guillermo Rauch and Socket.IO contributors.
//   Released under the MIT License (https://opensource.org/licenses/MIT).
// Changes from the original: mocha/chai replaced by node:test and node:assert;
// the `ws` package as WebSocket (as the original's node-imports.js does);
// the server is a private ws-gateway on 127.0.0.1 with a port chosen by the
// kernel (read from $RUNDIR/gateway.port) instead of localhost:3000; the
// buffered createWebSocket()/waitFor() of the Engine.IO v4 suite replace the
// once-listener waitFor(), because a server may send the CONNECT reply and
// the next packet in one TCP segment, which `ws` then delivers in one tick
// (a once-listener added after the first would miss the second); every
// WebSocket swallows 'error' events; per-case time limits; outside the
// heartbeat cases, PING packets queued before the awaited packet are skipped
// (pingInterval is 300 ms, and this machine is shared and often loaded).
// Every test case is kept, in order, with its name.  Additions are marked
// "hookwire:".
//
// HOOKWIRE_GW_REFERENCE=1 runs it against the npm socket.io server instead
// (see gwlib.mjs), to check the port itself.

import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
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
const WS_URL = URL.replace("http", "ws");

const PING_INTERVAL = 300;
const PING_TIMEOUT = 200;
const T = { timeout: 10000 }; // per case

function sleep(delay) {
  return new Promise((resolve) => setTimeout(resolve, delay));
}

function createWebSocket(url) {
  const socket = new WebSocket(url);
  socket._eventBuffer = {};
  socket._pendingPromises = {};
  socket.on("error", () => {}); // hookwire: never crash the runner

  for (const eventType of ["open", "close", "message"]) {
    socket._eventBuffer[eventType] = [];
    socket._pendingPromises[eventType] = [];

    socket.addEventListener(eventType, (event) => {
      if (socket._pendingPromises[eventType].length) {
        socket._pendingPromises[eventType].shift()(event);
      } else {
        socket._eventBuffer[eventType].push(event);
      }
    });
  }

  return socket;
}

function waitFor(socket, eventType) {
  if (socket._eventBuffer[eventType].length) {
    return Promise.resolve(socket._eventBuffer[eventType].shift());
  } else {
    return new Promise((resolve) => {
      socket._pendingPromises[eventType].push(resolve);
    });
  }
}

async function waitForPackets(socket, count) {
  const packets = [];

  while (packets.length < count) {
    const event = await waitFor(socket, "message");
    if (event.data === "2") {
      // ignore PING packets
      continue;
    }
    packets.push(event.data);
  }
  return packets;
}

// hookwire: with pingInterval 300 ms, a loaded machine (2 shared cores) can
// queue a PING ("2") before the packet a case waits for; these skip pings
// where the case is not about heartbeats.
async function waitForNonPing(socket) {
  for (;;) {
    const event = await waitFor(socket, "message");
    if (event.data !== "2") return event;
  }
}

function withoutPings(payload) {
  return payload
    .split("\x1e")
    .filter((p) => p !== "2")
    .join("\x1e");
}

async function initLongPollingSession() {
  const response = await fetch(`${URL}/socket.io/?EIO=4&transport=polling`);
  const content = await response.text();
  return JSON.parse(content.substring(1)).sid;
}

async function initSocketIOConnection() {
  const socket = createWebSocket(`${WS_URL}/socket.io/?EIO=4&transport=websocket`);
  socket.binaryType = "arraybuffer";

  await waitFor(socket, "message"); // Engine.IO handshake

  socket.send("40");

  await waitForNonPing(socket); // Socket.IO handshake
  await waitForNonPing(socket); // "auth" packet

  return socket;
}

// hookwire: answers the server's pings, so that a close the case waits for
// is the server's reaction to the bad input, not a ping timeout.
function keepAlive(socket) {
  socket.addEventListener("message", (e) => {
    if (e.data === "2" && socket.readyState === WebSocket.OPEN) socket.send("3");
  });
}

function assertKeys(value, keys) {
  assert.deepEqual(Object.keys(value).sort(), [...keys].sort());
}

function assertBytes(data, bytes) {
  assert.ok(data instanceof ArrayBuffer, `expected an ArrayBuffer, got ${typeof data}`);
  assert.deepEqual([...new Uint8Array(data)], bytes);
}

// hookwire: see test_gw_eio_conformance.mjs
function assertNoSession(socket) {
  const opened = socket._eventBuffer.message.filter(
    (e) => typeof e.data === "string" && e.data.startsWith("0")
  );
  assert.equal(opened.length, 0, `a session was opened: ${opened.map((e) => e.data)}`);
}

describe("Engine.IO protocol", () => {
  describe("handshake", () => {
    describe("HTTP long-polling", () => {
      it("should successfully open a session", T, async () => {
        const response = await fetch(`${URL}/socket.io/?EIO=4&transport=polling`);

        assert.equal(response.status, 200);

        const content = await response.text();

        assert.ok(content.startsWith("0"), content);

        const value = JSON.parse(content.substring(1));

        assertKeys(value, ["sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"]);
        assert.equal(typeof value.sid, "string");
        assert.deepEqual(value.upgrades, ["websocket"]);
        assert.equal(value.pingInterval, PING_INTERVAL);
        assert.equal(value.pingTimeout, PING_TIMEOUT);
        assert.equal(value.maxPayload, 1000000);
      });

      it("should fail with an invalid 'EIO' query parameter", T, async () => {
        const response = await fetch(`${URL}/socket.io/?transport=polling`);

        assert.equal(response.status, 400);

        const response2 = await fetch(`${URL}/socket.io/?EIO=abc&transport=polling`);

        assert.equal(response2.status, 400);
      });

      it("should fail with an invalid 'transport' query parameter", T, async () => {
        const response = await fetch(`${URL}/socket.io/?EIO=4`);

        assert.equal(response.status, 400);

        const response2 = await fetch(`${URL}/socket.io/?EIO=4&transport=abc`);

        assert.equal(response2.status, 400);
      });

      it("should fail with an invalid request method", T, async () => {
        const response = await fetch(`${URL}/socket.io/?EIO=4&transport=polling`, {
          method: "post",
        });

        assert.equal(response.status, 400);

        const response2 = await fetch(`${URL}/socket.io/?EIO=4&transport=polling`, {
          method: "put",
        });

        assert.equal(response2.status, 400);
      });
    });

    describe("WebSocket", () => {
      it("should successfully open a session", T, async () => {
        const socket = createWebSocket(`${WS_URL}/socket.io/?EIO=4&transport=websocket`);

        const { data } = await waitFor(socket, "message");

        assert.ok(data.startsWith("0"), data);

        const value = JSON.parse(data.substring(1));

        assertKeys(value, ["sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"]);
        assert.equal(typeof value.sid, "string");
        assert.deepEqual(value.upgrades, []);
        assert.equal(value.pingInterval, PING_INTERVAL);
        assert.equal(value.pingTimeout, PING_TIMEOUT);
        assert.equal(value.maxPayload, 1000000);

        socket.close();
      });

      it("should fail with an invalid 'EIO' query parameter", T, async () => {
        const socket = createWebSocket(`${WS_URL}/socket.io/?transport=websocket`);

        await waitFor(socket, "close");
        assertNoSession(socket); // hookwire

        const socket2 = createWebSocket(`${WS_URL}/socket.io/?EIO=abc&transport=websocket`);

        await waitFor(socket2, "close");
        assertNoSession(socket2); // hookwire
      });

      it("should fail with an invalid 'transport' query parameter", T, async () => {
        const socket = createWebSocket(`${WS_URL}/socket.io/?EIO=4`);

        await waitFor(socket, "close");
        assertNoSession(socket); // hookwire

        const socket2 = createWebSocket(`${WS_URL}/socket.io/?EIO=4&transport=abc`);

        await waitFor(socket2, "close");
        assertNoSession(socket2); // hookwire
      });
    });
  });

  describe("heartbeat", { timeout: 5000 }, () => {
    describe("HTTP long-polling", () => {
      it("should send ping/pong packets", T, async () => {
        const sid = await initLongPollingSession();

        for (let i = 0; i < 3; i++) {
          const pollResponse = await fetch(
            `${URL}/socket.io/?EIO=4&transport=polling&sid=${sid}`
          );

          assert.equal(pollResponse.status, 200);

          const pollContent = await pollResponse.text();

          assert.equal(pollContent, "2");

          const pushResponse = await fetch(
            `${URL}/socket.io/?EIO=4&transport=polling&sid=${sid}`,
            { method: "post", body: "3" }
          );

          assert.equal(pushResponse.status, 200);
        }
      });

      it("should close the session upon ping timeout", T, async () => {
        const sid = await initLongPollingSession();

        // hookwire: + a margin, so that a loaded machine does not decide the race
        await sleep(PING_INTERVAL + PING_TIMEOUT + 150);

        const pollResponse = await fetch(`${URL}/socket.io/?EIO=4&transport=polling&sid=${sid}`);

        assert.equal(pollResponse.status, 400);
      });
    });

    describe("WebSocket", () => {
      it("should send ping/pong packets", T, async () => {
        const socket = createWebSocket(`${WS_URL}/socket.io/?EIO=4&transport=websocket`);

        await waitFor(socket, "message"); // handshake

        for (let i = 0; i < 3; i++) {
          const { data } = await waitFor(socket, "message");

          assert.equal(data, "2");

          socket.send("3");
        }

        socket.close();
      });

      it("should close the session upon ping timeout", T, async () => {
        const socket = createWebSocket(`${WS_URL}/socket.io/?EIO=4&transport=websocket`);

        await waitFor(socket, "close"); // handshake
      });
    });
  });

  describe("close", () => {
    describe("HTTP long-polling", () => {
      it("should forcefully close the session", T, async () => {
        const sid = await initLongPollingSession();

        const [pollResponse] = await Promise.all([
          fetch(`${URL}/socket.io/?EIO=4&transport=polling&sid=${sid}`),
          fetch(`${URL}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
            method: "post",
            body: "1",
          }),
        ]);

        assert.equal(pollResponse.status, 200);

        const pullContent = await pollResponse.text();

        assert.equal(pullContent, "6");

        const pollResponse2 = await fetch(`${URL}/socket.io/?EIO=4&transport=polling&sid=${sid}`);

        assert.equal(pollResponse2.status, 400);
      });
    });

    describe("WebSocket", () => {
      it("should forcefully close the session", T, async () => {
        const socket = createWebSocket(`${WS_URL}/socket.io/?EIO=4&transport=websocket`);

        await waitFor(socket, "message"); // handshake

        socket.send("1");

        await waitFor(socket, "close");
      });
    });
  });

  describe("upgrade", () => {
    it("should successfully upgrade from HTTP long-polling to WebSocket", T, async () => {
      const sid = await initLongPollingSession();

      const socket = createWebSocket(`${WS_URL}/socket.io/?EIO=4&transport=websocket&sid=${sid}`);

      await waitFor(socket, "open");

      // send probe
      socket.send("2probe");

      const probeResponse = await waitFor(socket, "message");

      assert.equal(probeResponse.data, "3probe");

      // complete upgrade
      socket.send("5");

      socket.close(); // hookwire: do not leave it to the ping timeout
    });

    it("should ignore HTTP requests with same sid after upgrade", T, async () => {
      const sid = await initLongPollingSession();

      const socket = createWebSocket(`${WS_URL}/socket.io/?EIO=4&transport=websocket&sid=${sid}`);

      await waitFor(socket, "open");
      socket.send("2probe");
      socket.send("5");

      const pollResponse = await fetch(`${URL}/socket.io/?EIO=4&transport=polling&sid=${sid}`);

      assert.equal(pollResponse.status, 400);

      socket.close();
    });

    it("should ignore WebSocket connection with same sid after upgrade", T, async () => {
      const sid = await initLongPollingSession();

      const socket = createWebSocket(`${WS_URL}/socket.io/?EIO=4&transport=websocket&sid=${sid}`);

      await waitFor(socket, "open");
      socket.send("2probe");
      socket.send("5");

      const socket2 = createWebSocket(`${WS_URL}/socket.io/?EIO=4&transport=websocket&sid=${sid}`);

      await waitFor(socket2, "close");

      socket.close();
    });
  });
});

describe("Socket.IO protocol", () => {
  describe("connect", () => {
    it("should allow connection to the main namespace", T, async () => {
      const socket = createWebSocket(`${WS_URL}/socket.io/?EIO=4&transport=websocket`);

      await waitFor(socket, "message"); // Engine.IO handshake

      socket.send("40");

      const { data } = await waitForNonPing(socket); // hookwire: waitForNonPing

      assert.ok(data.startsWith("40"), data);

      const handshake = JSON.parse(data.substring(2));

      assertKeys(handshake, ["sid"]);
      assert.equal(typeof handshake.sid, "string");

      const authPacket = await waitForNonPing(socket); // hookwire: waitForNonPing

      assert.equal(authPacket.data, '42["auth",{}]');

      socket.close();
    });

    it("should allow connection to the main namespace with a payload", T, async () => {
      const socket = createWebSocket(`${WS_URL}/socket.io/?EIO=4&transport=websocket`);

      await waitFor(socket, "message"); // Engine.IO handshake

      socket.send('40{"token":"123"}');

      const { data } = await waitForNonPing(socket); // hookwire: waitForNonPing

      assert.ok(data.startsWith("40"), data);

      const handshake = JSON.parse(data.substring(2));

      assertKeys(handshake, ["sid"]);
      assert.equal(typeof handshake.sid, "string");

      const authPacket = await waitForNonPing(socket); // hookwire: waitForNonPing

      assert.equal(authPacket.data, '42["auth",{"token":"123"}]');

      socket.close();
    });

    it("should allow connection to a custom namespace", T, async () => {
      const socket = createWebSocket(`${WS_URL}/socket.io/?EIO=4&transport=websocket`);

      await waitFor(socket, "message"); // Engine.IO handshake

      socket.send("40/custom,");

      const { data } = await waitForNonPing(socket); // hookwire: waitForNonPing

      assert.ok(data.startsWith("40/custom,"), data);

      const handshake = JSON.parse(data.substring(10));

      assertKeys(handshake, ["sid"]);
      assert.equal(typeof handshake.sid, "string");

      const authPacket = await waitForNonPing(socket); // hookwire: waitForNonPing

      assert.equal(authPacket.data, '42/custom,["auth",{}]');

      socket.close();
    });

    it("should allow connection to a custom namespace with a payload", T, async () => {
      const socket = createWebSocket(`${WS_URL}/socket.io/?EIO=4&transport=websocket`);

      await waitFor(socket, "message"); // Engine.IO handshake

      socket.send('40/custom,{"token":"abc"}');

      const { data } = await waitForNonPing(socket); // hookwire: waitForNonPing

      assert.ok(data.startsWith("40/custom,"), data);

      const handshake = JSON.parse(data.substring(10));

      assertKeys(handshake, ["sid"]);
      assert.equal(typeof handshake.sid, "string");

      const authPacket = await waitForNonPing(socket); // hookwire: waitForNonPing

      assert.equal(authPacket.data, '42/custom,["auth",{"token":"abc"}]');

      socket.close();
    });

    it("should disallow connection to an unknown namespace", T, async () => {
      const socket = createWebSocket(`${WS_URL}/socket.io/?EIO=4&transport=websocket`);

      await waitFor(socket, "message"); // Engine.IO handshake

      socket.send("40/random");

      const { data } = await waitForNonPing(socket); // hookwire: waitForNonPing

      assert.equal(data, '44/random,{"message":"Invalid namespace"}');

      socket.close();
    });

    it("should disallow connection with an invalid handshake", T, async () => {
      const socket = createWebSocket(`${WS_URL}/socket.io/?EIO=4&transport=websocket`);

      await waitFor(socket, "message"); // Engine.IO handshake

      keepAlive(socket); // hookwire
      socket.send("4abc");

      await waitFor(socket, "close");
    });

    it("should close the connection if no handshake is received", T, async () => {
      const socket = createWebSocket(`${WS_URL}/socket.io/?EIO=4&transport=websocket`);

      await waitFor(socket, "close");
    });
  });

  describe("disconnect", () => {
    it("should disconnect from the main namespace", T, async () => {
      const socket = await initSocketIOConnection();

      socket.send("41");

      const { data } = await waitFor(socket, "message");

      assert.equal(data, "2");

      socket.close();
    });

    it("should connect then disconnect from a custom namespace", T, async () => {
      const socket = await initSocketIOConnection();

      await waitFor(socket, "message"); // ping

      socket.send("40/custom");

      await waitForNonPing(socket); // Socket.IO handshake
      await waitForNonPing(socket); // auth packet

      socket.send("41/custom");
      socket.send('42["message","message to main namespace"]');

      const { data } = await waitForNonPing(socket); // hookwire: waitForNonPing

      assert.equal(data, '42["message-back","message to main namespace"]');

      socket.close();
    });
  });

  describe("message", () => {
    it("should send a plain-text packet", T, async () => {
      const socket = await initSocketIOConnection();

      socket.send('42["message",1,"2",{"3":[true]}]');

      const { data } = await waitForNonPing(socket); // hookwire: waitForNonPing

      assert.equal(data, '42["message-back",1,"2",{"3":[true]}]');

      socket.close();
    });

    it("should send a packet with binary attachments", T, async () => {
      const socket = await initSocketIOConnection();

      socket.send(
        '452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'
      );
      socket.send(Uint8Array.from([1, 2, 3]));
      socket.send(Uint8Array.from([4, 5, 6]));

      const packets = await waitForPackets(socket, 3);

      assert.equal(
        packets[0],
        '452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'
      );
      assertBytes(packets[1], [1, 2, 3]);
      assertBytes(packets[2], [4, 5, 6]);

      socket.close();
    });

    it("should send a plain-text packet with an ack", T, async () => {
      const socket = await initSocketIOConnection();

      socket.send('42456["message-with-ack",1,"2",{"3":[false]}]');

      const { data } = await waitForNonPing(socket); // hookwire: waitForNonPing

      assert.equal(data, '43456[1,"2",{"3":[false]}]');

      socket.close();
    });

    it("should send a packet with binary attachments and an ack", T, async () => {
      const socket = await initSocketIOConnection();

      socket.send(
        '452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'
      );
      socket.send(Uint8Array.from([1, 2, 3]));
      socket.send(Uint8Array.from([4, 5, 6]));

      const packets = await waitForPackets(socket, 3);

      assert.equal(
        packets[0],
        '462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'
      );
      assertBytes(packets[1], [1, 2, 3]);
      assertBytes(packets[2], [4, 5, 6]);

      socket.close();
    });

    it("should close the connection upon invalid format (unknown packet type)", T, async () => {
      const socket = await initSocketIOConnection();

      keepAlive(socket); // hookwire
      socket.send("4abc");

      await waitFor(socket, "close");
    });

    it("should close the connection upon invalid format (invalid payload format)", T, async () => {
      const socket = await initSocketIOConnection();

      keepAlive(socket); // hookwire
      socket.send("42{}");

      await waitFor(socket, "close");
    });

    it("should close the connection upon invalid format (invalid ack id)", T, async () => {
      const socket = await initSocketIOConnection();

      keepAlive(socket); // hookwire
      socket.send('42abc["message-with-ack",1,"2",{"3":[false]}]');

      await waitFor(socket, "close");
    });
  });
});

// hookwire: the official socket.io-client against the same server, on every
// transport choice, both namespaces, with binary arguments (base64 `b`
// packets over polling, binary frames over WebSocket) and acks.
describe("hookwire additions: the official socket.io-client", () => {
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

// hookwire: the server exits cleanly (status 0, no sanitizer report).
describe("shutdown", () => {
  it("the gateway exits 0 on SIGTERM, without sanitizer reports", T, async () => {
    assert.deepEqual(await stopClean(gw), []);
  });
});

process.on("exit", (code) => {
  if (code !== 0) dumpLogs(inst);
});
