// loadfeed.mjs: a paced load feeder for the router's ingest socket.
//
//   node loadfeed.mjs --socket PATH [--rate N/s] [--count N | --seconds S]
//                     [--sessions K] [--pad BYTES] [--window W] [--prefix HEX]
//
// Writes canonical-input events (one JSON line each, unique ids) on one
// connection, at most --window unanswered, paced to --rate per second
// (0: as fast as the router answers), and reads the reply lines.  Prints
// progress lines "FEED t=<s> sent=<n> acked=<n>" every second on stderr and
// at the end one line on stdout:
//   FEED sent=N accepted=N duplicate=N rejected=N seconds=S first_seq=A last_seq=B
// Exit 0 when every line was answered accepted, else 1.
import net from "node:net";
import crypto from "node:crypto";

const a = process.argv.slice(2);
const opt = (k, d) => {
  const i = a.indexOf(`--${k}`);
  return i >= 0 ? a[i + 1] : d;
};
const sock = opt("socket");
const rate = Number(opt("rate", "0"));
const seconds = Number(opt("seconds", "0"));
const count = Number(opt("count", seconds > 0 ? String(Math.ceil(rate * seconds)) : "1000"));
const sessions = Number(opt("sessions", "4"));
const pad = "p".repeat(Number(opt("pad", "200")));
const windowMax = Number(opt("window", "256"));
const prefix = opt("prefix", crypto.randomBytes(6).toString("hex"));
const marker = opt("marker", "");
if (!sock) {
  console.error("usage: loadfeed.mjs --socket PATH [--rate N] [--count N|--seconds S]");
  process.exit(100);
}

const c = net.createConnection(sock);
const t0 = Date.now();
let sent = 0,
  acked = 0,
  accepted = 0,
  duplicate = 0,
  rejected = 0,
  firstSeq = null,
  lastSeq = null,
  buf = "";

function line(i) {
  const id = prefix.padStart(12, "0").slice(-12) + i.toString(16).padStart(20, "0");
  const ev = {
    id,
    ts: new Date().toISOString().replace("Z", "000Z"),
    event: i % 3 ? "PostToolUse" : "PreToolUse",
    session_id: `feed-${prefix}-${i % sessions}`,
    tool: "Bash",
    tool_use_id: `toolu_${id}`,
    data: { i, sent_ms: Date.now(), command: `echo ${marker}${i}`, pad },
  };
  return JSON.stringify(ev) + "\n";
}

function pump() {
  const due = rate > 0 ? Math.min(count, Math.floor(((Date.now() - t0) / 1000) * rate) + 1) : count;
  let chunk = "";
  while (sent < due && sent - acked < windowMax) chunk += line(sent++);
  if (chunk) c.write(chunk);
}

let connected = false;
c.on("connect", () => {
  connected = true;
  pump();
  const timer = setInterval(pump, rate > 0 ? Math.max(1, Math.floor(1000 / rate)) : 5);
  const prog = setInterval(
    () => console.error(`FEED t=${((Date.now() - t0) / 1000).toFixed(1)} sent=${sent} acked=${acked}`),
    1000
  );
  c.on("close", () => {
    clearInterval(timer);
    clearInterval(prog);
    finish();
  });
});
c.on("data", (d) => {
  buf += d.toString();
  let nl;
  while ((nl = buf.indexOf("\n")) >= 0) {
    const r = JSON.parse(buf.slice(0, nl));
    buf = buf.slice(nl + 1);
    acked++;
    if (r.status === "accepted") accepted++;
    else if (r.status === "duplicate") duplicate++;
    else rejected++;
    if (r.seq !== undefined) {
      if (firstSeq === null) firstSeq = r.seq;
      lastSeq = r.seq;
    }
  }
  if (acked >= count) c.end();
  else pump();
});
c.on("error", (e) => {
  console.error(`FEED error: ${e.message}`);
  if (!connected) finish(); // no close handler yet: say so and exit 1 here
});
let done = false;
function finish() {
  if (done) return;
  done = true;
  const secs = (Date.now() - t0) / 1000;
  console.log(
    `FEED sent=${sent} accepted=${accepted} duplicate=${duplicate} rejected=${rejected} seconds=${secs.toFixed(2)} first_seq=${firstSeq} last_seq=${lastSeq}`
  );
  process.exit(accepted === count ? 0 : 1);
}
