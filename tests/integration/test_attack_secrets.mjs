// test_attack_secrets.mjs: the scrubbing corpus (tests/scrub/secrets.txt and
// lookalikes.txt) fed through the REAL pipeline, hook-capture -> event-router
// -> ring -> ws-gateway, in every placement: a prompt, a Bash command, a Read
// result (file contents), a Write's content, a Bash stdout env dump, a JSON
// document inside a string, a URL.  No line of any secret may be left in the
// ring (event-tail), the journal, the /api/events output, any daemon log or
// any message a socket.io-client received; every look-alike survives unchanged
// (in the ring and at the client).
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { io } from "socket.io-client";
import { makeInstance, startRouter, startGateway, stopDaemon, capture, until, dumpLogs, SRC, BIN } from "./gwlib.mjs";

let fails = 0;
const check = (ok, msg) => {
  console.log(`${ok ? "ok" : "FAIL"}: ${msg}`);
  if (!ok) fails++;
};
const unesc = (s) => s.replace(/\\n/g, "\n");
const rows = (f) =>
  fs
    .readFileSync(path.join(SRC, "tests/scrub", f), "utf8")
    .split("\n")
    .filter((l) => l && !l.startsWith("#"));
const secrets = rows("secrets.txt").map((l) => {
  const [rule, secret, tmpl] = l.split("\t");
  return { rule, secret: unesc(secret), text: unesc(tmpl).split("{}").join(unesc(secret)) };
});
const looks = rows("lookalikes.txt").map(unesc);

const inst = makeInstance("sec");
const router = await startRouter(inst, ["--log-level", "debug"]);
const gw = await startGateway(inst, ["--log-level", "debug"]);
const raw = []; // every message the client got, as JSON text
const s = io(gw.url, { forceNew: true, reconnection: false, transports: ["websocket"], auth: { token: gw.token } });
s.onAny((...args) => raw.push(JSON.stringify(args)));
const seen = [];
s.on("claude_event", (ev) => seen.push(ev));
await until(() => s.connected, 15000, "client connected");

// placements: hook JSON builders for one text
const SESSION = "0b5e55ed-5ec2-4e75-8000-5c2b5c2b5c2b";
let n = 0;
const tid = () => `toolu_attack_secret_${process.pid}_${n++}`;
const place = {
  prompt: (t) => ({ hook_event_name: "UserPromptSubmit", prompt: t }),
  command: (t) => ({ hook_event_name: "PreToolUse", tool_name: "Bash", tool_use_id: tid(), tool_input: { command: t } }),
  read: (t) => ({
    hook_event_name: "PostToolUse",
    tool_name: "Read",
    tool_use_id: tid(),
    tool_input: { file_path: "/home/dev/app/.env" },
    tool_response: { type: "text", file: { filePath: "/home/dev/app/.env", content: t } },
  }),
  write: (t) => ({ hook_event_name: "PreToolUse", tool_name: "Write", tool_use_id: tid(), tool_input: { file_path: "/tmp/x.txt", content: t } }),
  envdump: (t) => ({
    hook_event_name: "PostToolUse",
    tool_name: "Bash",
    tool_use_id: tid(),
    tool_input: { command: "env" },
    tool_response: { stdout: t.split("\n").map((l, i) => `VAR_${i}=${l}`).join("\n"), stderr: "" },
  }),
  nestedjson: (t) => ({
    hook_event_name: "PostToolUse",
    tool_name: "Bash",
    tool_use_id: tid(),
    tool_input: { command: "cat config.json" },
    tool_response: { stdout: JSON.stringify({ config: { note: t, deeper: JSON.stringify({ v: t }) } }), stderr: "" },
  }),
  url: (t) => ({ hook_event_name: "PreToolUse", tool_name: "WebFetch", tool_use_id: tid(), tool_input: { url: `https://example.com/search?raw=${t}`, prompt: "x" } }),
};
// a token in a percent-encoded query (WebFetch URLs usually are): the
// token itself needs no escaping, its neighbours do ("key%3D<token>%26")
// (only the self-identifying formats: the context rules need their context)
const contextRules = new Set(["authorization", "bearer-token", "key-name", "url-credentials", "aws-secret-key"]);
const tokenLike = secrets.filter((x) => !contextRules.has(x.rule) && /^[A-Za-z0-9_.-]+$/.test(x.secret));
const urlEncoded = (x) => `https://example.com/search?q=${encodeURIComponent(`my key is ${x.secret} & more`)}`;
// batches small enough to stay under capture.field_max (16k): no truncation
const batches = (list, f, per = 12) => {
  const out = [];
  for (let i = 0; i < list.length; i += per) out.push(list.slice(i, i + per).map(f).join("\n"));
  return out;
};
let fed = 0;
try {
  for (const [name, mk] of Object.entries(place)) {
    for (const text of batches(secrets, (x) => x.text)) {
      await capture(inst, { session_id: SESSION, cwd: "/home/dev/app", ...mk(text) });
      fed++;
    }
    // one secret per event too (each rule alone)
    if (name === "prompt" || name === "command")
      for (const x of secrets) {
        await capture(inst, { session_id: SESSION, cwd: "/home/dev/app", ...mk(x.text) });
        fed++;
      }
  }
  for (const x of tokenLike) {
    await capture(inst, { session_id: SESSION, cwd: "/home/dev/app", hook_event_name: "PreToolUse", tool_name: "WebFetch", tool_use_id: tid(), tool_input: { url: urlEncoded(x), prompt: "x" } });
    fed++;
  }
  const lookNonce = `looks-${process.pid}`;
  for (const text of batches(looks, (x) => x, 20)) {
    await capture(inst, { session_id: SESSION, cwd: "/home/dev/app", hook_event_name: "UserPromptSubmit", prompt: `${lookNonce}\n${text}` });
    fed++;
  }
  await until(() => seen.length >= fed, 30000, `${fed} events at the client`);
  check(seen.length === fed, `${fed} events through the pipeline`);

  const ring = execFileSync(path.join(BIN, "event-tail"), inst.args, { env: inst.env }).toString();
  const journal = fs
    .readdirSync(path.join(inst.state, "journal"))
    .map((f) => fs.readFileSync(path.join(inst.state, "journal", f), "utf8"))
    .join("");
  const api = execFileSync("curl", ["-s", "-H", `Authorization: Bearer ${gw.token}`, `${gw.url}/api/events?since=0&limit=100000`]).toString();
  const logs = fs
    .readdirSync(inst.dir)
    .filter((f) => /log$/.test(f))
    .map((f) => fs.readFileSync(path.join(inst.dir, f), "utf8"))
    .join("");
  // search decoded strings (JSON escapes would hide quotes and newlines) and the raw text
  const strings = (text) => {
    const out = [];
    const walk = (v) => {
      if (typeof v === "string") {
        out.push(v);
        try {
          if (/^[\[{]/.test(v)) walk(JSON.parse(v));
        } catch {}
      } else if (v && typeof v === "object") for (const x of Object.values(v)) walk(x);
    };
    for (const l of text.split("\n")) {
      try {
        walk(JSON.parse(l));
      } catch {}
    }
    return out.join("\n") + "\n" + text;
  };
  const places = {
    ring: strings(ring),
    journal: strings(journal),
    "/api/events": strings(api),
    "client messages": strings(raw.join("\n")),
    "daemon logs": logs,
  };
  for (const [where, text] of Object.entries(places)) {
    const dec = decodeURIComponent(text.replace(/%(?![0-9a-fA-F]{2})/g, "%25"));
    const leaked = [];
    for (const x of secrets)
      for (const line of x.secret.split("\n"))
        if (line.length >= 8 && (text.includes(line) || dec.includes(line))) leaked.push(`${x.rule}: ${line.slice(0, 24)}...`);
    check(leaked.length === 0, `${where}: no secret left (${leaked.length} leaked${leaked.length ? ": " + [...new Set(leaked)].slice(0, 6).join(" | ") : ""})`);
  }
  // which placements leak: per event, the first secret line found in it
  const byPlace = {};
  for (const e of seen) {
    const txt = strings(JSON.stringify(e));
    for (const x of secrets)
      for (const line of x.secret.split("\n"))
        if (line.length >= 8 && txt.includes(line)) {
          const k = `${e.event}/${e.tool || "-"}`;
          byPlace[k] = (byPlace[k] || new Set()).add(x.rule);
        }
  }
  for (const [k, v] of Object.entries(byPlace)) console.log(`  leaks in ${k}: ${[...v].join(",")}`);
  const rules = new Set(secrets.map((x) => x.rule));
  const redacted = [...rules].filter((r) => ring.includes(`[REDACTED:${r}]`));
  check(redacted.length === rules.size, `ring: every rule redacted something (${redacted.length}/${rules.size}; missing ${[...rules].filter((r) => !redacted.includes(r)).join(",")})`);
  const gotLooks = seen.filter((e) => typeof e.data?.prompt === "string" && e.data.prompt.startsWith(lookNonce)).map((e) => e.data.prompt).join("\n");
  const lost = looks.filter((l) => !gotLooks.includes(l));
  check(lost.length === 0, `client: every look-alike survives unchanged (${looks.length - lost.length}/${looks.length}${lost.length ? "; changed: " + lost.slice(0, 3).join(" | ") : ""})`);
  const scrubbed = seen.reduce((a, e) => a + (e.meta?.scrubbed || 0), 0);
  console.log(`FIGURE secrets_cases ${secrets.length}`);
  console.log(`FIGURE secrets_events ${fed}`);
  console.log(`FIGURE secrets_redactions ${scrubbed}`);
  console.log(`FIGURE secrets_lookalikes ${looks.length}`);
} catch (e) {
  console.log(`FAIL: ${e.message}`);
  fails++;
}
s.close();
await stopDaemon(gw);
await stopDaemon(router);
if (fails) dumpLogs(inst, 5);
console.log(fails ? `${fails} check(s) failed` : "all checks passed");
process.exit(fails ? 1 : 0);
