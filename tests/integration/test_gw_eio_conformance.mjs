// test_gw_eio_conformance.mjs: the official Engine.IO v4 protocol test suite,
// run against `ws-gateway --conformance` (raw Engine.IO echo on /engine.io/).
//
// Ported from the Socket.IO project's test suite:
//   socketio/socket.io, docs/engine.io-protocol/v4-test-suite/test-suite.js
//   (formerly socketio/engine.io-protocol, test-suite/test-suite.js)
//   Copyright (c) 2014-present Guillermo Rauch and Socket.IO contributors.
//   Released under the MIT License (https://opensource.org/licenses/MIT).
// Changes from the original: mocha/chai replaced by node:test and node:assert;
// the `ws` package as WebSocket (as the original's node-imports.js does);
// the server is a private ws-gateway on 127.0.0.1 with a port chosen by the
// kernel (read from $RUNDIR/gateway.port) instead of localhost:3000; every
// WebSocket swallows 'error' events (a misbehaving server must fail one case,
// not crash the file); per-case time limits; outside the heartbeat cases,
// PING packets queued before the awaited packet are skipped (pingInterval is
// 300 ms, and this machine is shared and often loaded).  Every test case is
// kept, in order, with its name.  Additions are marked "hookwire:".
//
// HOOKWIRE_GW_REFERENCE=1 runs it against the npm engine.io server instead
// (see gwlib.mjs), to check the port itself.

import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { makeInstance, startGateway, stopDaemon, stopClean, dumpLogs } from "./gwlib.mjs";

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
  const response = await fetch(`${URL}/engine.io/?EIO=4&transport=polling`);
  const content = await response.text();
  return JSON.parse(content.substring(1)).sid;
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

// hookwire: the server may refuse the upgrade (HTTP 400) or accept it and
// close (the npm engine.io does), but must not open an Engine.IO session.
function assertNoSession(socket) {
  const opened = socket._eventBuffer.message.filter(
    (e) => typeof e.data === "string" && e.data.startsWith("0")
  );
  assert.equal(opened.length, 0, `a session was opened: ${opened.map((e) => e.data)}`);
}

function assertBytes(data, bytes) {
  assert.ok(data instanceof ArrayBuffer, `expected an ArrayBuffer, got ${typeof data}`);
  assert.deepEqual([...new Uint8Array(data)], bytes);
}

describe("Engine.IO protocol", () => {
  describe("handshake", () => {
    describe("HTTP long-polling", () => {
      it("successfully opens a session", T, async () => {
        const response = await fetch(`${URL}/engine.io/?EIO=4&transport=polling`);

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

      it("fails with an invalid 'EIO' query parameter", T, async () => {
        const response = await fetch(`${URL}/engine.io/?transport=polling`);

        assert.equal(response.status, 400);

        const response2 = await fetch(`${URL}/engine.io/?EIO=abc&transport=polling`);

        assert.equal(response2.status, 400);
      });

      it("fails with an invalid 'transport' query parameter", T, async () => {
        const response = await fetch(`${URL}/engine.io/?EIO=4`);

        assert.equal(response.status, 400);

        const response2 = await fetch(`${URL}/engine.io/?EIO=4&transport=abc`);

        assert.equal(response2.status, 400);
      });

      it("fails with an invalid request method", T, async () => {
        const response = await fetch(`${URL}/engine.io/?EIO=4&transport=polling`, {
          method: "post",
        });

        assert.equal(response.status, 400);

        const response2 = await fetch(`${URL}/engine.io/?EIO=4&transport=polling`, {
          method: "put",
        });

        assert.equal(response2.status, 400);
      });
    });

    describe("WebSocket", () => {
      it("successfully opens a session", T, async () => {
        const socket = createWebSocket(`${WS_URL}/engine.io/?EIO=4&transport=websocket`);

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

      it("fails with an invalid 'EIO' query parameter", T, async () => {
        const socket = createWebSocket(`${WS_URL}/engine.io/?transport=websocket`);

        await waitFor(socket, "close");
        // hookwire: no session may have been opened
        assertNoSession(socket);

        const socket2 = createWebSocket(`${WS_URL}/engine.io/?EIO=abc&transport=websocket`);

        await waitFor(socket2, "close");
        assertNoSession(socket2);
      });

      it("fails with an invalid 'transport' query parameter", T, async () => {
        const socket = createWebSocket(`${WS_URL}/engine.io/?EIO=4`);

        await waitFor(socket, "close");
        assertNoSession(socket);

        const socket2 = createWebSocket(`${WS_URL}/engine.io/?EIO=4&transport=abc`);

        await waitFor(socket2, "close");
        assertNoSession(socket2);
      });
    });
  });

  describe("message", () => {
    describe("HTTP long-polling", () => {
      it("sends and receives a payload containing one plain text packet", T, async () => {
        const sid = await initLongPollingSession();

        const pushResponse = await fetch(
          `${URL}/engine.io/?EIO=4&transport=polling&sid=${sid}`,
          { method: "post", body: "4hello" }
        );

        assert.equal(pushResponse.status, 200);

        const postContent = await pushResponse.text();

        assert.equal(postContent, "ok");

        const pollResponse = await fetch(`${URL}/engine.io/?EIO=4&transport=polling&sid=${sid}`);

        assert.equal(pollResponse.status, 200);

        const pollContent = await pollResponse.text();

        assert.equal(withoutPings(pollContent), "4hello"); // hookwire: withoutPings
      });

      it("sends and receives a payload containing several plain text packets", T, async () => {
        const sid = await initLongPollingSession();

        const pushResponse = await fetch(
          `${URL}/engine.io/?EIO=4&transport=polling&sid=${sid}`,
          { method: "post", body: "4test1\x1e4test2\x1e4test3" }
        );

        assert.equal(pushResponse.status, 200);

        const postContent = await pushResponse.text();

        assert.equal(postContent, "ok");

        const pollResponse = await fetch(`${URL}/engine.io/?EIO=4&transport=polling&sid=${sid}`);

        assert.equal(pollResponse.status, 200);

        const pollContent = await pollResponse.text();

        assert.equal(withoutPings(pollContent), "4test1\x1e4test2\x1e4test3"); // hookwire: withoutPings
      });

      it("sends and receives a payload containing plain text and binary packets", T, async () => {
        const sid = await initLongPollingSession();

        const pushResponse = await fetch(
          `${URL}/engine.io/?EIO=4&transport=polling&sid=${sid}`,
          { method: "post", body: "4hello\x1ebAQIDBA==" }
        );

        assert.equal(pushResponse.status, 200);

        const postContent = await pushResponse.text();

        assert.equal(postContent, "ok");

        const pollResponse = await fetch(`${URL}/engine.io/?EIO=4&transport=polling&sid=${sid}`);

        assert.equal(pollResponse.status, 200);

        const pollContent = await pollResponse.text();

        assert.equal(withoutPings(pollContent), "4hello\x1ebAQIDBA=="); // hookwire: withoutPings
      });

      it("closes the session upon invalid packet format", T, async () => {
        const sid = await initLongPollingSession();

        try {
          const pushResponse = await fetch(
            `${URL}/engine.io/?EIO=4&transport=polling&sid=${sid}`,
            { method: "post", body: "abc" }
          );

          assert.equal(pushResponse.status, 400);
        } catch (e) {
          // fetch throws when the request is closed abnormally
        }

        const pollResponse = await fetch(`${URL}/engine.io/?EIO=4&transport=polling&sid=${sid}`);

        assert.equal(pollResponse.status, 400);
      });

      it("closes the session upon duplicate poll requests", T, async () => {
        const sid = await initLongPollingSession();

        const pollResponses = await Promise.all([
          fetch(`${URL}/engine.io/?EIO=4&transport=polling&sid=${sid}`),
          sleep(5).then(() =>
            fetch(`${URL}/engine.io/?EIO=4&transport=polling&sid=${sid}&t=burst`)
          ),
        ]);

        assert.equal(pollResponses[0].status, 200);

        const content = await pollResponses[0].text();

        assert.equal(content, "1");

        // the Node.js implementation uses HTTP 500 (Internal Server Error), but HTTP 400 seems more suitable
        assert.ok([400, 500].includes(pollResponses[1].status), `status ${pollResponses[1].status}`);

        const pollResponse = await fetch(`${URL}/engine.io/?EIO=4&transport=polling&sid=${sid}`);

        assert.equal(pollResponse.status, 400);
      });

      it("closes the session upon cancelled polling request", T, async () => {
        const sid = await initLongPollingSession();
        const controller = new AbortController();

        fetch(`${URL}/engine.io/?EIO=4&transport=polling&sid=${sid}`, {
          signal: controller.signal,
        }).catch(() => {});

        await sleep(5);

        controller.abort();

        const pollResponse = await fetch(`${URL}/engine.io/?EIO=4&transport=polling&sid=${sid}`);

        assert.equal(pollResponse.status, 400);
      });
    });

    describe("WebSocket", () => {
      it("sends and receives a plain text packet", T, async () => {
        const socket = createWebSocket(`${WS_URL}/engine.io/?EIO=4&transport=websocket`);

        await waitFor(socket, "open");

        await waitFor(socket, "message"); // handshake

        socket.send("4hello");

        const { data } = await waitForNonPing(socket); // hookwire: waitForNonPing

        assert.equal(data, "4hello");

        socket.close();
      });

      it("sends and receives a binary packet", T, async () => {
        const socket = createWebSocket(`${WS_URL}/engine.io/?EIO=4&transport=websocket`);
        socket.binaryType = "arraybuffer";

        await waitFor(socket, "message"); // handshake

        socket.send(Uint8Array.from([1, 2, 3, 4]));

        const { data } = await waitForNonPing(socket); // hookwire: waitForNonPing

        assertBytes(data, [1, 2, 3, 4]);

        socket.close();
      });

      it("closes the session upon invalid packet format", T, async () => {
        const socket = createWebSocket(`${WS_URL}/engine.io/?EIO=4&transport=websocket`);

        await waitFor(socket, "message"); // handshake

        keepAlive(socket); // hookwire
        socket.send("abc");

        await waitFor(socket, "close");

        socket.close();
      });
    });
  });

  describe("heartbeat", { timeout: 5000 }, () => {
    describe("HTTP long-polling", () => {
      it("sends ping/pong packets", T, async () => {
        const sid = await initLongPollingSession();

        for (let i = 0; i < 3; i++) {
          const pollResponse = await fetch(
            `${URL}/engine.io/?EIO=4&transport=polling&sid=${sid}`
          );

          assert.equal(pollResponse.status, 200);

          const pollContent = await pollResponse.text();

          assert.equal(pollContent, "2");

          const pushResponse = await fetch(
            `${URL}/engine.io/?EIO=4&transport=polling&sid=${sid}`,
            { method: "post", body: "3" }
          );

          assert.equal(pushResponse.status, 200);
        }
      });

      it("closes the session upon ping timeout", T, async () => {
        const sid = await initLongPollingSession();

        // hookwire: + a margin, so that a loaded machine does not decide the race
        await sleep(PING_INTERVAL + PING_TIMEOUT + 150);

        const pollResponse = await fetch(`${URL}/engine.io/?EIO=4&transport=polling&sid=${sid}`);

        assert.equal(pollResponse.status, 400);
      });
    });

    describe("WebSocket", () => {
      it("sends ping/pong packets", T, async () => {
        const socket = createWebSocket(`${WS_URL}/engine.io/?EIO=4&transport=websocket`);

        await waitFor(socket, "message"); // handshake

        for (let i = 0; i < 3; i++) {
          const { data } = await waitFor(socket, "message");

          assert.equal(data, "2");

          socket.send("3");
        }

        socket.close();
      });

      it("closes the session upon ping timeout", T, async () => {
        const socket = createWebSocket(`${WS_URL}/engine.io/?EIO=4&transport=websocket`);

        await waitFor(socket, "close"); // handshake
      });
    });
  });

  describe("close", () => {
    describe("HTTP long-polling", () => {
      it("forcefully closes the session", T, async () => {
        const sid = await initLongPollingSession();

        const [pollResponse] = await Promise.all([
          fetch(`${URL}/engine.io/?EIO=4&transport=polling&sid=${sid}`),
          fetch(`${URL}/engine.io/?EIO=4&transport=polling&sid=${sid}`, {
            method: "post",
            body: "1",
          }),
        ]);

        assert.equal(pollResponse.status, 200);

        const pullContent = await pollResponse.text();

        assert.equal(pullContent, "6");

        const pollResponse2 = await fetch(`${URL}/engine.io/?EIO=4&transport=polling&sid=${sid}`);

        assert.equal(pollResponse2.status, 400);
      });
    });

    describe("WebSocket", () => {
      it("forcefully closes the session", T, async () => {
        const socket = createWebSocket(`${WS_URL}/engine.io/?EIO=4&transport=websocket`);

        await waitFor(socket, "message"); // handshake

        socket.send("1");

        await waitFor(socket, "close");
      });
    });
  });

  describe("upgrade", () => {
    it("successfully upgrades from HTTP long-polling to WebSocket", T, async () => {
      const sid = await initLongPollingSession();

      const socket = createWebSocket(
        `${WS_URL}/engine.io/?EIO=4&transport=websocket&sid=${sid}`
      );

      await waitFor(socket, "open");

      // send probe
      socket.send("2probe");

      const probeResponse = await waitFor(socket, "message");

      assert.equal(probeResponse.data, "3probe");

      const pollResponse = await fetch(`${URL}/engine.io/?EIO=4&transport=polling&sid=${sid}`);

      assert.equal(pollResponse.status, 200);

      const pollContent = await pollResponse.text();

      assert.equal(pollContent, "6"); // "noop" packet to cleanly end the HTTP long-polling request

      // complete upgrade
      socket.send("5");

      socket.send("4hello");

      const { data } = await waitForNonPing(socket); // hookwire: waitForNonPing

      assert.equal(data, "4hello");

      socket.close(); // hookwire: do not leave it to the ping timeout
    });

    it("ignores HTTP requests with same sid after upgrade", T, async () => {
      const sid = await initLongPollingSession();

      const socket = createWebSocket(
        `${WS_URL}/engine.io/?EIO=4&transport=websocket&sid=${sid}`
      );

      await waitFor(socket, "open");
      socket.send("2probe");
      await waitFor(socket, "message"); // "3probe"
      socket.send("5");

      const pollResponse = await fetch(`${URL}/engine.io/?EIO=4&transport=polling&sid=${sid}`);

      assert.equal(pollResponse.status, 400);

      socket.send("4hello");

      const { data } = await waitForNonPing(socket); // hookwire: waitForNonPing

      assert.equal(data, "4hello");

      socket.close();
    });

    it("ignores WebSocket connection with same sid after upgrade", T, async () => {
      const sid = await initLongPollingSession();

      const socket = createWebSocket(
        `${WS_URL}/engine.io/?EIO=4&transport=websocket&sid=${sid}`
      );

      await waitFor(socket, "open");
      socket.send("2probe");
      await waitFor(socket, "message"); // "3probe"
      socket.send("5");

      const socket2 = createWebSocket(
        `${WS_URL}/engine.io/?EIO=4&transport=websocket&sid=${sid}`
      );

      await waitFor(socket2, "close");

      socket.send("4hello");

      const { data } = await waitForNonPing(socket); // hookwire: waitForNonPing

      assert.equal(data, "4hello");

      socket.close();
    });
  });
});

// hookwire: maxPayload (1000000 in conformance mode) is enforced on both
// transports, the way the npm engine.io server does it.
describe("hookwire additions: maxPayload", () => {
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
    const socket = createWebSocket(`${WS_URL}/engine.io/?EIO=4&transport=websocket`);
    await waitFor(socket, "message"); // handshake
    keepAlive(socket);
    socket.send("4" + "x".repeat(1000001));
    const { code } = await waitFor(socket, "close");
    assert.equal(code, 1009);
  });

  it("still echoes a message of exactly maxPayload bytes", T, async () => {
    const socket = createWebSocket(`${WS_URL}/engine.io/?EIO=4&transport=websocket`);
    await waitFor(socket, "message"); // handshake
    keepAlive(socket);
    const big = "4" + "y".repeat(999999);
    socket.send(big);
    const { data } = await waitForNonPing(socket);
    assert.equal(data.length, big.length);
    assert.ok(data === big);
    socket.close();
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
