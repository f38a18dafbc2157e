// reference-server.mjs: what a user would build instead of ws-gateway, on the
// official Node.js `socket.io` package (the version in tests/node_modules),
// for the fan-out benchmarks of `make bench`.
//
//   event-tail -f -n 0 | node reference-server.mjs --listen 127.0.0.1:0 \
//       --port-file FILE --token TOKEN [--readiness-fd N]
//
// Reads canonical events as NDJSON on stdin and broadcasts each one to every
// connected client: io.emit("claude_event", ev, String(ev.seq)), the same
// frames ws-gateway sends.  Clients must connect with auth {token}, as with
// ws-gateway.  Writes the chosen port to FILE, then a newline to the
// readiness fd.  Exits when stdin ends or on SIGTERM.
import http from "node:http";
import fs from "node:fs";
import readline from "node:readline";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "../package.json"));
const { Server } = require("socket.io");

const args = { listen: "127.0.0.1:0", portFile: null, token: "", readinessFd: -1 };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const v = process.argv[++i];
  if (a === "--listen") args.listen = v;
  else if (a === "--port-file") args.portFile = v;
  else if (a === "--token") args.token = v;
  else if (a === "--readiness-fd") args.readinessFd = Number(v);
  else {
    console.error(`usage: reference-server.mjs [--listen ADDR:PORT] [--port-file FILE] [--token TOKEN] [--readiness-fd N]`);
    process.exit(100);
  }
}
const [host, port] = [args.listen.replace(/:[0-9]+$/, ""), Number(args.listen.replace(/^.*:/, ""))];

const server = http.createServer();
const io = new Server(server, { path: "/socket.io/", maxHttpBufferSize: 1e6 });
io.use((socket, next) => {
  const t = socket.handshake.auth && socket.handshake.auth.token;
  if (args.token && t !== args.token) next(new Error("invalid token"));
  else next();
});

let broadcast = 0;
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", (line) => {
  if (!line) return;
  let ev;
  try {
    ev = JSON.parse(line);
  } catch {
    return;
  }
  io.emit("claude_event", ev, String(ev.seq));
  broadcast++;
});
rl.on("close", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));

server.listen(port, host, () => {
  const p = server.address().port;
  if (args.portFile) fs.writeFileSync(args.portFile, `${p}\n`);
  if (args.readinessFd >= 0) {
    fs.writeSync(args.readinessFd, "\n");
    fs.closeSync(args.readinessFd);
  }
});
