// test_attack_browser.mjs: cross-site WebSocket hijacking from a real
// browser.  Debian's chromium (playwright-core) opens a page served by a
// foreign origin (a node http server on another loopback port) whose script
// knows the gateway's URL and even its token, and tries the WebSocket
// transport, the polling transport (fetch and XHR) and the socket.io client
// bundle.  The browser sets the Origin header itself: every attempt must be
// refused, and no event may reach the page.  A page on the gateway's own
// origin (its dashboard) connects, as a control.
import http from "node:http";
import { chromium } from "playwright-core";
import { makeInstance, startRouter, startGateway, stopDaemon, capture, fixtures, hookFrom, dumpLogs } from "./gwlib.mjs";

let fails = 0;
const check = (ok, msg) => {
  console.log(`${ok ? "ok" : "FAIL"}: ${msg}`);
  if (!ok) fails++;
};
const inst = makeInstance("xsite");
const router = await startRouter(inst);
const gw = await startGateway(inst);
const FX = fixtures();
const evil = http.createServer((req, res) => {
  res.writeHead(200, { "Content-Type": "text/html" });
  res.end(`<!doctype html><title>evil</title><script src="${gw.url}/socket.io/socket.io.js"></script>`);
});
await new Promise((r) => evil.listen(0, "127.0.0.1", r));
const evilUrl = `http://127.0.0.1:${evil.address().port}/`;
let browser;
try {
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions", "--disable-quic"], headless: true });
  const page = await browser.newPage();
  await page.goto(evilUrl);
  const r = await page.evaluate(
    async ({ url, token }) => {
      const out = {};
      const wsUrl = url.replace("http:", "ws:") + "/socket.io/?EIO=4&transport=websocket";
      out.ws = await new Promise((res) => {
        const w = new WebSocket(wsUrl);
        const msgs = [];
        w.onopen = () => w.send(`40{"token":"${token}"}`);
        w.onmessage = (m) => msgs.push(String(m.data).slice(0, 40));
        w.onerror = () => res({ opened: false, msgs });
        w.onclose = (e) => res({ opened: e.code !== 1006, code: e.code, msgs });
        setTimeout(() => res({ opened: w.readyState === 1, msgs }), 5000);
      });
      try {
        const f = await fetch(url + "/socket.io/?EIO=4&transport=polling", { mode: "cors", credentials: "include" });
        out.fetch = { status: f.status, body: (await f.text()).slice(0, 40) };
      } catch (e) {
        out.fetch = { error: String(e) };
      }
      try {
        const f = await fetch(url + "/socket.io/?EIO=4&transport=polling", { mode: "no-cors" });
        out.nocors = { type: f.type, status: f.status };
      } catch (e) {
        out.nocors = { error: String(e) };
      }
      try {
        const f = await fetch(url + "/api/events?since=0", { headers: { Authorization: "Bearer " + token } });
        out.api = { status: f.status, body: (await f.text()).slice(0, 40) };
      } catch (e) {
        out.api = { error: String(e) };
      }
      out.sio = await new Promise((res) => {
        if (typeof io !== "function") return res({ loaded: false });
        const got = [];
        const s = io(url, { auth: { token }, reconnection: false, transports: ["polling", "websocket"] });
        s.on("claude_event", (e) => got.push(e));
        s.on("connect", () => res({ loaded: true, connected: true, got: got.length }));
        s.on("connect_error", (e) => res({ loaded: true, connected: false, error: String(e && e.message) }));
        setTimeout(() => res({ loaded: true, connected: s.connected, got: got.length }), 6000);
      });
      return out;
    },
    { url: gw.url, token: gw.token }
  );
  console.log(`  foreign page: ${JSON.stringify(r)}`);
  check(!r.ws.opened && !r.ws.msgs.some((m) => m.startsWith("0{") || m.startsWith("40")), "WebSocket from a foreign origin refused (no open, no Engine.IO packet)");
  check(!(r.fetch.status === 200 && r.fetch.body.includes('"sid"')), "polling handshake from a foreign origin not readable by the page");
  check(!(r.api.status === 200 && r.api.body.length > 0), "/api/events not readable by a foreign page, even with the token");
  check(!r.sio.connected, `the socket.io client on a foreign page does not connect (${r.sio.error || ""})`);
  // a real event meanwhile: it must not show up on the foreign page
  await capture(inst, hookFrom(FX.userpromptsubmit, "xsite"));
  // control: the gateway's own origin connects
  const own = await browser.newPage();
  await own.goto(`${gw.url}/`);
  const ok = await own.evaluate(
    async ({ url, token }) =>
      new Promise((res) => {
        const w = new WebSocket(url.replace("http:", "ws:") + "/socket.io/?EIO=4&transport=websocket");
        w.onopen = () => w.send(`40{"token":"${token}"}`);
        w.onmessage = (m) => String(m.data).startsWith("40{") && res(true);
        w.onclose = () => res(false);
        setTimeout(() => res(false), 5000);
      }),
    { url: gw.url, token: gw.token }
  );
  check(ok, "the gateway's own origin connects (control)");
} catch (e) {
  check(false, e.message);
}
if (browser) await browser.close();
evil.close();
await stopDaemon(gw);
await stopDaemon(router);
if (fails) dumpLogs(inst, 10);
console.log(fails ? `${fails} check(s) failed` : "all checks passed");
process.exit(fails ? 1 : 0);
