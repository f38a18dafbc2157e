// http-sink.mjs: a tiny local HTTP server that answers every request with
// 200 once its body is read: the receiving end of the bash+curl hook that
// `make bench` times beside hook-capture (the common peer approach: a hook
// that POSTs its JSON to a local server).
//
//   node http-sink.mjs [--port-file FILE] [--readiness-fd N]
import http from "node:http";
import fs from "node:fs";

let portFile = null;
let readinessFd = -1;
for (let i = 2; i < process.argv.length; i += 2) {
  if (process.argv[i] === "--port-file") portFile = process.argv[i + 1];
  else if (process.argv[i] === "--readiness-fd") readinessFd = Number(process.argv[i + 1]);
  else {
    console.error("usage: http-sink.mjs [--port-file FILE] [--readiness-fd N]");
    process.exit(100);
  }
}
let requests = 0;
const server = http.createServer((req, res) => {
  req.on("data", () => {});
  req.on("end", () => {
    requests++;
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end('{"ok":true}\n');
  });
});
process.on("SIGTERM", () => {
  console.error(`http-sink: ${requests} requests`);
  process.exit(0);
});
server.listen(0, "127.0.0.1", () => {
  if (portFile) fs.writeFileSync(portFile, `${server.address().port}\n`);
  if (readinessFd >= 0) {
    fs.writeSync(readinessFd, "\n");
    fs.closeSync(readinessFd);
  }
});
