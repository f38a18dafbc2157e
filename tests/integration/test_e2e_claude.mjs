// test_e2e_claude.mjs: the real Claude Code CLI, end to end, through hookwire.
//
// The CLI (@anthropic-ai/claude-code, pinned in tests/package.json, installed
// by `make deps`) runs one whole `claude -p` session in a scratch HOME and a
// scratch project, against tests/e2e/model-server.mjs, a scripted Messages
// API on loopback.  Its hooks are registered the way a user registers them:
// `hook-capture -i NAME --rundir R --statedir S --log-file F install` into
// the scratch ~/.claude/settings.json (the settings, not the environment,
// carry the instance: the CLI runs with a clean environment).  A second hook,
// a small sh script, is added on every event in the same settings; it keeps
// each payload Claude Code hands it in a file of its own, named by the time
// it started, so the test knows exactly which hooks fired and in what order.
//
// The script: Bash `mkdir -p sub && cd sub && echo` (succeeds, changes the
// directory), Bash `exit 3` (fails), Read, Write, Edit (after the Read), and a
// foreground general-purpose subagent (Agent tool) that does one Read and
// answers; then a final text.  The project has a CLAUDE.md.
//
// What claude 2.1.332 fires for it (36 hooks).  It waits for every hook of
// an event to exit before it fires the next event, except for the two
// marked ASYNC, which it fires beside another one and does not wait for
// (seen with a hook that sleeps 0.3 s: everything else is held back by it):
//   SessionStart 1
//   InstructionsLoaded 1 (CLAUDE.md)     ASYNC, fired with SessionStart
//   UserPromptSubmit 1
//   MessageDisplay 7 (one per assistant message with text, main thread only)
//   PreToolUse 7, PostToolUse 6, PostToolUseFailure 1 (the exit 3)
//   CwdChanged 1                         ASYNC, fired with the cd's PostToolUse
//   PostToolBatch 7 (one per tool call here; none are parallel)
//   SubagentStart 1, SubagentStop 1 (agent_id, agent_type general-purpose;
//     the subagent's Pre/Post/Batch carry the same agent_id)
//   Stop 1, SessionEnd 1
// Not fired by this session: Setup, UserPromptExpansion, PermissionRequest,
// PermissionDenied, Notification, TaskCreated, TaskCompleted, StopFailure,
// TeammateIdle, ConfigChange, DirectoryAdded, FileChanged, WorktreeRemove,
// PreCompact, PostCompact, Elicitation, ElicitationResult.
//
// Checks: every hook that fired is delivered by hookwire exactly once, with
// `data` equal to the payload Claude Code sent (the same multiset), in one
// session, over three real readers that must agree: socket.io-client live
// broadcasts, get_history, and event-tail; sequence numbers follow the
// firing order; the canonical fields (event, tool, tool_use_id, agent_id,
// cwd, project, files) are lifted right; Pre/Post pair up by tool_use_id,
// with exactly the tool calls the model server made; the failing Bash is a
// PostToolUseFailure; subagent events are attributed; hook-capture's
// context (~/.claude/hookwire-context.md) reaches the model; no sanitizer
// report from a sanitized hook-capture (make check's ASan pass); the model
// server's usage record is what the CLI stored in its transcripts; tokens and
// cost (event-usage(8) beside the router and the gateway): one usage event per
// model reply with its exact figures, and the gateway's totals per session,
// per agent (main, the subagent) and per model, in /api/sessions and in
// /metrics, equal the sums of what the model server sent, the estimated cost
// equal to the CLI's own total_cost_usd; the event store (event-store(8), read
// by the gateway) answers history_sessions with the session, its event count
// (every event delivered for it) and its usage, the cost the CLI's own
// total_cost_usd; the daemons exit cleanly; and the dashboard (Debian's chromium, driven by
// playwright-core) shows the session with its subagent and a summary on
// every row, and its Spend view the model server's exact token counts for
// the main thread and the subagent, its estimate and the one turn.  Into
// $HOOKWIRE_TEST_OUT: screenshots/e2e-claude-*.png, the
// model server's record (e2e-claude-model-log.json), the CLI's JSON result
// (e2e-claude-result.json) and the delivered events (e2e-claude-events.ndjson).
// Exits 1 when a check failed, or when the CLI or chromium is missing
// (`make deps` installs both).

import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import { gunzipSync } from "node:zlib";
import path from "node:path";
import {
  makeInstance,
  startRouter,
  startGateway,
  startDaemon,
  stopClean,
  within,
  until,
  dumpLogs,
  require,
  randomHex,
  SRC,
  BIN,
  startStore,
  makeChecks,
  CHROMIUM,
  CHROMIUM_ARGS,
} from "./gwlib.mjs";
import { startModelServer, SCRIPT, MAIN_MARK } from "../e2e/model-server.mjs";

const T0 = Date.now();
// The whole test is bounded: past this, everything it started is killed by
// pid (the exit handlers here and in gwlib) and it fails.
const WALL_LIMIT_MS = 80000;
setTimeout(() => {
  console.log(`FAIL: the test ran over ${WALL_LIMIT_MS} ms`);
  process.exit(1);
}, WALL_LIMIT_MS).unref();
const OUT = process.env.HOOKWIRE_TEST_OUT || path.join(SRC, "build/test-out");
const SHOTS = path.join(OUT, "screenshots");
const CLAUDE_TIMEOUT_MS = 40000;

// What the session fires (see the header): event name -> count.
const EXPECTED = {
  SessionStart: 1,
  InstructionsLoaded: 1,
  UserPromptSubmit: 1,
  MessageDisplay: 7,
  PreToolUse: 7,
  PostToolUse: 6,
  PostToolUseFailure: 1,
  CwdChanged: 1,
  PostToolBatch: 7,
  SubagentStart: 1,
  SubagentStop: 1,
  Stop: 1,
  SessionEnd: 1,
};

const checks = makeChecks();
const ok = checks.ok;
function fatal(msg) {
  console.log("FAIL: " + msg);
  process.exit(1);
}

// ---------------------------------------------------------------- prerequisites

// The CLI from tests/node_modules: the package's bin, which its postinstall
// replaces with the native binary of the platform package; when npm did not
// run the postinstall (a script policy, --ignore-scripts), the platform
// package's own binary.  The first that reports the pinned version.
function findClaude() {
  const pinned = JSON.parse(fs.readFileSync(path.join(SRC, "tests/package.json"), "utf8")).dependencies["@anthropic-ai/claude-code"];
  let pkgDir;
  try {
    pkgDir = path.dirname(require.resolve("@anthropic-ai/claude-code/package.json"));
  } catch {
    fatal(`the Claude Code CLI is not installed in tests/node_modules: run \`make deps\` (npm ci installs @anthropic-ai/claude-code ${pinned})`);
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));
  const cands = [path.join(pkgDir, typeof pkg.bin === "string" ? pkg.bin : pkg.bin.claude)];
  for (const suffix of ["", "-musl"])
    try {
      cands.push(path.join(path.dirname(require.resolve(`@anthropic-ai/claude-code-${process.platform}-${process.arch}${suffix}/package.json`)), "claude"));
    } catch {}
  const tried = [];
  for (const bin of cands) {
    const v = spawnSync(bin, ["--version"], { encoding: "utf8", timeout: 20000, env: { PATH: process.env.PATH, HOME: "/nonexistent" } });
    if (v.status === 0 && String(v.stdout).startsWith(pinned)) return { bin, version: pinned };
    tried.push(`${bin}: ${JSON.stringify(((v.stdout || "") + (v.stderr || "")).slice(0, 300) || v.error?.message)}`);
  }
  fatal(`no Claude Code CLI ${pinned} that runs (${tried.join("; ")}): run \`make deps\``);
}

async function importOrFail(name) {
  try {
    return await import(name);
  } catch (e) {
    fatal(`cannot load ${name} (${e.message.split("\n")[0]}): run \`make deps\``);
  }
}

if (!fs.existsSync(path.join(BIN, "hook-capture"))) fatal(`no ${BIN}/hook-capture: run \`make\``);
const CLAUDE = findClaude();
if (!fs.existsSync(CHROMIUM)) fatal(`no ${CHROMIUM}: run \`make deps\` (installs Debian's chromium)`);
const { io } = await importOrFail("socket.io-client");
const { chromium } = await importOrFail("playwright-core");

// ---------------------------------------------------------------- helpers

// JSON with object keys sorted: equal values, equal strings.
function canon(v) {
  if (Array.isArray(v)) return "[" + v.map(canon).join(",") + "]";
  if (v && typeof v === "object")
    return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + canon(v[k])).join(",") + "}";
  return JSON.stringify(v);
}

const label = (d) => `${d.hook_event_name}${d.tool_name ? "/" + d.tool_name : ""}${d.tool_use_id ? " " + d.tool_use_id : ""}${d.agent_id ? " agent " + d.agent_id : ""}`;

const count = (list, f) => list.filter(f).length;

function tally(names) {
  const t = {};
  for (const n of names) t[n] = (t[n] || 0) + 1;
  return t;
}

// Runs a child to completion within ms; its process group is killed by pid
// when the time is up (hooks it started included).  Resolves to
// { code, signal, out, err, ms }.
const running = new Set();
process.on("exit", () => {
  for (const p of running)
    try {
      process.kill(-p.pid, "SIGKILL");
    } catch {}
});
function runBounded(cmd, args, opts, ms) {
  const t = Date.now();
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { ...opts, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    running.add(p);
    let out = "",
      err = "",
      timedOut = false;
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-p.pid, "SIGKILL");
      } catch {}
    }, ms);
    p.on("error", (e) => {
      clearTimeout(timer);
      running.delete(p);
      resolve({ code: -1, signal: null, out, err: err + e.message, ms: Date.now() - t, timedOut });
    });
    p.on("close", (code, signal) => {
      clearTimeout(timer);
      running.delete(p);
      // Anything the session left behind in its group (a hook still running).
      try {
        process.kill(-p.pid, "SIGKILL");
      } catch {}
      resolve({ code, signal, out, err, ms: Date.now() - t, timedOut });
    });
  });
}

// ---------------------------------------------------------------- the setup

const inst = makeInstance("e2e");
inst.env.HOOKWIRE_STORE_COMMIT_MS = "50"; // the store commits what it has at most this late
const home = path.join(inst.dir, "home");
const project = path.join(inst.dir, "project");
const fired = path.join(inst.dir, "fired");
const tmp = path.join(inst.dir, "tmp");
for (const d of [home, project, fired, tmp]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
fs.mkdirSync(SHOTS, { recursive: true });
fs.writeFileSync(path.join(project, SCRIPT.notes), SCRIPT.notesText);
fs.writeFileSync(path.join(project, "CLAUDE.md"), "# hookwire e2e project\n\nA scratch project of the hookwire end-to-end test.\n");
const captureLog = path.join(inst.dir, "capture.jsonlog");
const sanDir = path.join(inst.dir, "sanitizer");
const sanLog = path.join(sanDir, "hook-capture");
fs.mkdirSync(sanDir);
// hook-capture's per-user context file: it prints it on SessionStart and
// UserPromptSubmit, and the CLI must pass it on to the model.
const contextMark = `HOOKWIRE-E2E-CONTEXT-${randomHex(6)}`;
fs.mkdirSync(path.join(home, ".claude"), { recursive: true });
fs.writeFileSync(path.join(home, ".claude/hookwire-context.md"), `The hookwire e2e context marker is ${contextMark}.\n`);

let router, store, gw, usage, ms, sock, browser;
async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  if (sock) sock.close();
  if (ms) await ms.close();
  const bad = [];
  if (usage) bad.push(...(await stopClean(usage)));
  if (gw) bad.push(...(await stopClean(gw)));
  if (store) bad.push(...(await stopClean(store)));
  if (router) bad.push(...(await stopClean(router)));
  ok(bad.length === 0, "event-router, event-store, ws-gateway and event-usage exit cleanly on SIGTERM", bad);
}

async function main() {
  router = await startRouter(inst);
  // the store before the gateway, which reads it (gateway.store, on by default)
  store = await startStore(inst);
  gw = await startGateway(inst, ["--dashboard", path.join(SRC, "ws-gateway/dashboard")]);
  usage = await startDaemon(inst, "usage", path.join(BIN, "event-usage"), [...inst.args, "--log-file", path.join(inst.dir, "usage.jsonlog")]);
  ms = await startModelServer({ project, watch: [contextMark] });
  console.log(`gateway ${gw.url}, model server ${ms.url}, claude ${CLAUDE.version} (${CLAUDE.bin})`);

  // 1. hook-capture install, as a user runs it, into the scratch HOME.
  const install = spawnSync(path.join(BIN, "hook-capture"), [...inst.args, "--log-file", captureLog, "install", "--here"], {
    env: { ...inst.env, HOME: home },
    encoding: "utf8",
    timeout: 10000,
  });
  const settingsFile = path.join(home, ".claude/settings.json");
  ok(install.status === 0 && /installed .* for \d+ events/.test(install.stdout), "hook-capture install registers the hooks", install.stdout + install.stderr);
  const settings = JSON.parse(fs.readFileSync(settingsFile, "utf8"));
  const installed = Object.keys(settings.hooks || {});
  ok(Object.keys(EXPECTED).every((e) => installed.includes(e)), "every event the session fires is installed", installed);

  // 2. The recording hook, on every event hook-capture is installed for.
  const recorder = path.join(inst.dir, "record-hook.sh");
  fs.writeFileSync(
    recorder,
    `#!/bin/sh
# The e2e test's second hook: keeps the payload on stdin in a file of its
# own, named by the time the hook started (ns), complete when renamed.
t=$(date +%s%N)
f=$(mktemp "${fired}/tmp.$t.XXXXXX") || exit 0
cat >"$f" && mv "$f" "${fired}/$t.\${f##*.}.json"
exit 0
`,
    { mode: 0o755 }
  );
  for (const [event, groups] of Object.entries(settings.hooks)) {
    const g = { hooks: [{ type: "command", command: recorder, timeout: 10 }] };
    if (groups[0] && "matcher" in groups[0]) g.matcher = groups[0].matcher;
    groups.push(g);
  }
  fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 2) + "\n");

  // 3. A real client, connected before the session starts: every broadcast.
  sock = io(gw.url, { forceNew: true, reconnection: false, auth: { token: gw.token }, transports: ["websocket"] });
  const live = [];
  sock.on("claude_event", (ev, offset) => live.push({ ev, offset }));
  await within(
    10000,
    new Promise((resolve, reject) => {
      sock.once("connect", resolve);
      sock.once("connect_error", reject);
    }),
    "socket.io connect"
  );

  // 4. The session.
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    TMPDIR: tmp,
    LANG: "C.UTF-8",
    ANTHROPIC_BASE_URL: ms.url,
    ANTHROPIC_API_KEY: "hookwire-e2e-no-key",
    DISABLE_AUTOUPDATER: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_TELEMETRY: "1",
    DISABLE_ERROR_REPORTING: "1",
    // A sanitized hook-capture (the ASan pass of make check) reports here.
    ASAN_OPTIONS: [process.env.ASAN_OPTIONS, `log_path=${sanLog}`].filter(Boolean).join(":"),
    UBSAN_OPTIONS: [process.env.UBSAN_OPTIONS, `log_path=${sanLog}`].filter(Boolean).join(":"),
  };
  const prompt = `${MAIN_MARK}: run the scripted steps.`;
  const run = await runBounded(
    CLAUDE.bin,
    ["-p", prompt, "--allowedTools", "Bash,Read,Write,Edit,Agent", "--output-format", "json"],
    { cwd: project, env },
    CLAUDE_TIMEOUT_MS
  );
  console.log(`FIGURE e2e_claude_ms ${run.ms}`);
  let result = null;
  try {
    result = JSON.parse(run.out);
  } catch {}
  ok(run.code === 0 && !run.timedOut, "claude -p exits 0 in time", { code: run.code, signal: run.signal, timedOut: run.timedOut, err: run.err.slice(-1500), out: run.out.slice(-500) });
  ok(result && result.is_error === false && result.result === SCRIPT.finalMain, "the session ends with the script's final answer", result && { is_error: result.is_error, result: result.result, subtype: result.subtype });
  const S = result && result.session_id;

  // The model server's side of it.
  const L = ms.log;
  fs.writeFileSync(path.join(OUT, "e2e-claude-model-log.json"), JSON.stringify(L, null, 1) + "\n");
  if (result) fs.writeFileSync(path.join(OUT, "e2e-claude-result.json"), JSON.stringify(result, null, 1) + "\n");
  const mainReplies = L.replies.filter((r) => r.role === "main");
  const subReplies = L.replies.filter((r) => r.role === "subagent");
  ok(mainReplies.length === 7 && subReplies.length === 2, "the model server answered 7 main and 2 subagent requests", L.replies.map((r) => [r.role, r.step]));
  ok(subReplies.every((r) => r.cc_is_subagent) && mainReplies.every((r) => !r.cc_is_subagent), "the CLI marks exactly the subagent's requests as a subagent's");
  const usageKeys = ["input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"];
  ok(usageKeys.every((k) => new Set(L.replies.map((r) => r.usage[k])).size === L.replies.length) && new Set(L.replies.map((r) => r.id)).size === L.replies.length, "every reply has its own id and usage figures");
  ok(mainReplies.length > 0 && mainReplies.every((r) => r.seen.includes(contextMark)), "hook-capture's context reaches the model in every main request", mainReplies.map((r) => r.seen));
  const unknown = L.requests.filter((r) => r.status !== 200);
  if (unknown.length) console.log("requests the model server does not serve: " + JSON.stringify(unknown));
  ok(fs.readFileSync(path.join(project, SCRIPT.notes), "utf8").includes(SCRIPT.editNew) && fs.readFileSync(path.join(project, SCRIPT.newFile), "utf8") === SCRIPT.newText, "the Write and the Edit changed the project");
  const serverTools = L.replies.filter((r) => r.tool).map((r) => ({ ...r.tool, role: r.role, step: r.step }));

  // 5. What fired: the recording hook's files.
  const files = fs.readdirSync(fired).filter((f) => f.endsWith(".json"));
  const R = files
    .map((f) => ({ t: BigInt(f.split(".")[0]), file: f, data: JSON.parse(fs.readFileSync(path.join(fired, f), "utf8")) }))
    .sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
  console.log(`FIGURE e2e_hooks_fired ${R.length}`);
  console.log("fired: " + JSON.stringify(tally(R.map((r) => r.data.hook_event_name))));
  const san = fs.readdirSync(sanDir);
  ok(san.length === 0, "no sanitizer report from any hook-capture", san.map((f) => fs.readFileSync(path.join(sanDir, f), "utf8").slice(0, 1500)));
  ok(canon(tally(R.map((r) => r.data.hook_event_name))) === canon(EXPECTED), "claude fires the expected hooks", { got: tally(R.map((r) => r.data.hook_event_name)), want: EXPECTED });
  ok(R.length > 0 && R.every((r) => r.data.session_id === S), "every hook fired is of the one session", [...new Set(R.map((r) => r.data.session_id))]);

  // 6. What hookwire delivered, by three readers.
  // The hooks' events, and the usage events event-usage makes of the
  // transcripts (one per model reply), which come in beside them.
  const isHook = (e) => e.event !== "usage";
  const settled = await until(() => count(live, (x) => x.ev.session_id === S && isHook(x.ev)) >= R.length, 10000, "the live events").then(
    () => true,
    (e) => e
  );
  ok(settled === true, "socket.io-client gets as many live events as hooks fired", settled.message);
  const hist = await sock.timeout(10000).emitWithAck("get_history", { session: S, limit: 10000 });
  const histAll = await sock.timeout(10000).emitWithAck("get_history", { limit: 10000 });
  const tailRun = spawnSync(path.join(BIN, "event-tail"), inst.args, { encoding: "utf8", timeout: 10000 });
  const tailEvents = tailRun.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const D = hist.filter(isHook);
  console.log(`FIGURE e2e_events_delivered ${D.length}`);
  fs.writeFileSync(path.join(OUT, "e2e-claude-events.ndjson"), D.map((e) => JSON.stringify(e)).join("\n") + "\n");
  const seqsOf = (l) => l.map((e) => e.seq).join(",");
  ok(D.length === R.length, "hookwire delivers as many events as hooks fired", { fired: R.length, delivered: D.length });
  ok(seqsOf(histAll.filter(isHook)) === seqsOf(D) && histAll.every((e) => e.session_id === S), "the instance holds nothing else (no input errors, no strays)", tally(histAll.filter((e) => e.session_id !== S).map((e) => e.event)));
  const liveHooks = live.filter((x) => isHook(x.ev));
  ok(seqsOf(liveHooks.map((x) => x.ev)) === seqsOf(D) && live.every((x) => x.offset === String(x.ev.seq) || x.offset === x.ev.seq), "live broadcasts = get_history, in order, offsets = seq", { live: seqsOf(liveHooks.map((x) => x.ev)), hist: seqsOf(D) });
  const tailHooks = tailEvents.filter(isHook);
  ok(tailRun.status === 0 && seqsOf(tailHooks) === seqsOf(D) && canon(tailHooks) === canon(D), "event-tail prints the same events", { status: tailRun.status, stderr: tailRun.stderr, n: tailHooks.length });
  ok(D.every((e, i) => i === 0 || e.seq > D[i - 1].seq) && new Set(D.map((e) => e.id)).size === D.length, "sequence numbers increase, ids are unique");

  // 7. Exactly once, exactly as sent: the multiset of payloads.
  const byKey = new Map(); // canon(payload) -> [delivered]
  for (const e of D) {
    const k = canon(e.data);
    if (!byKey.has(k)) byKey.set(k, []);
    byKey.get(k).push(e);
  }
  const unmatched = [];
  for (const r of R) {
    const l = byKey.get(canon(r.data));
    if (l && l.length) r.ev = l.shift();
    else unmatched.push(label(r.data));
  }
  const extra = [...byKey.values()].flat().map((e) => label(e.data));
  ok(unmatched.length === 0 && extra.length === 0, "every hook fired is delivered exactly once, its data equal to the payload", { notDelivered: unmatched, deliveredNotFired: extra });
  ok(D.every((e) => e.meta && e.meta.truncated === 0 && e.meta.scrubbed === 0), "nothing was cut or scrubbed", D.filter((e) => e.meta?.truncated || e.meta?.scrubbed).map((e) => [label(e.data), e.meta]));
  const key2 = (d) => `${d.hook_event_name} ${d.tool_use_id || ""}`;
  ok(canon(tally(R.map((r) => key2(r.data)))) === canon(tally(D.map((e) => key2(e.data)))), "the same multiset of (event, tool_use_id)");

  // 8. The canonical fields.
  const filesOf = (d) => (["Read", "Write", "Edit"].includes(d.tool_name) && d.tool_input?.file_path ? [d.tool_input.file_path] : []);
  const badFields = D.filter((e) => {
    const d = e.data;
    return (
      e.event !== d.hook_event_name ||
      e.session_id !== S ||
      (e.tool ?? null) !== (d.tool_name ?? null) ||
      (e.tool_use_id ?? null) !== (d.tool_use_id ?? null) ||
      (e.agent_id ?? null) !== (d.agent_id ?? null) ||
      e.cwd !== d.cwd ||
      e.project !== project ||
      !/^[0-9a-f]{32}$/.test(e.id) ||
      filesOf(d).some((f) => !(e.files || []).includes(f))
    );
  });
  ok(badFields.length === 0, "event, session_id, tool, tool_use_id, agent_id, cwd, project, files lifted from the hook", badFields.slice(0, 3));
  ok(D.some((e) => e.cwd === path.join(project, "sub")), "events after the cd carry the new cwd, the project stays", [...new Set(D.map((e) => e.cwd))]);

  // 9. Order: sequence numbers follow the firing order.  Claude Code waits
  //    for every hook of an event before it fires the next one, so the
  //    recorder's start times order every pair of those.  The two it fires
  //    without waiting (ASYNC, see the header) fire after the hooks of the
  //    event that caused them and are ordered after it only.
  const cdTool = serverTools.find((t) => t.role === "main" && t.step === 0)?.id;
  const M = R.filter((r) => r.ev);
  const cause = {
    InstructionsLoaded: () => null,
    CwdChanged: () => M.find((r) => r.data.hook_event_name === "PreToolUse" && r.data.tool_use_id === cdTool),
  };
  const inversions = [];
  let pairs = 0;
  const W = M.filter((r) => !(r.data.hook_event_name in cause));
  for (let i = 0; i < W.length; i++)
    for (let j = i + 1; j < W.length; j++) {
      pairs++;
      if (!(W[i].ev.seq < W[j].ev.seq)) inversions.push(`${label(W[i].data)} (seq ${W[i].ev.seq}) fired before ${label(W[j].data)} (seq ${W[j].ev.seq})`);
    }
  for (const r of M.filter((r) => r.data.hook_event_name in cause)) {
    const c = cause[r.data.hook_event_name]();
    if (!c) continue;
    pairs++;
    if (!(c.ev.seq < r.ev.seq)) inversions.push(`${label(c.data)} (seq ${c.ev.seq}) fired before ${label(r.data)} (seq ${r.ev.seq})`);
  }
  ok(M.length === R.length && inversions.length === 0, `sequence numbers follow the firing order (${pairs} ordered pairs)`, inversions.slice(0, 5));
  ok(D[0].event === "SessionStart" || D[0].event === "InstructionsLoaded", "the session starts the stream", D[0].event);
  ok(D[D.length - 1].event === "SessionEnd", "SessionEnd ends it", D[D.length - 1].event);

  // 10. Tool calls: Pre/Post pairs, exactly the model's tool calls.
  const pre = D.filter((e) => e.event === "PreToolUse");
  const post = D.filter((e) => e.event === "PostToolUse" || e.event === "PostToolUseFailure");
  console.log(`FIGURE e2e_tool_calls ${pre.length}`);
  ok(canon(pre.map((e) => e.tool_use_id).sort()) === canon(serverTools.map((t) => t.id).sort()), "PreToolUse for exactly the tool calls the model made", { pre: pre.map((e) => e.tool_use_id), model: serverTools.map((t) => t.id) });
  const unpaired = pre.filter((p) => count(post, (q) => q.tool_use_id === p.tool_use_id && q.tool === p.tool) !== 1).map((e) => e.tool_use_id);
  ok(unpaired.length === 0 && post.length === pre.length, "every PreToolUse has one PostToolUse or PostToolUseFailure", { unpaired, pre: pre.length, post: post.length });
  const failTool = serverTools.find((t) => t.role === "main" && t.step === 1)?.id;
  const fails = D.filter((e) => e.event === "PostToolUseFailure");
  ok(fails.length === 1 && fails[0].tool_use_id === failTool && fails[0].tool === "Bash" && /Exit code 3/.test(String(fails[0].data.error)), "the failing Bash is a PostToolUseFailure", fails.map((e) => [e.tool_use_id, e.data.error]));
  const batches = D.filter((e) => e.event === "PostToolBatch");
  ok(canon(batches.flatMap((e) => e.data.tool_calls.map((c) => c.tool_use_id)).sort()) === canon(serverTools.map((t) => t.id).sort()), "PostToolBatch covers each tool call once");

  // 11. The subagent.
  const starts = D.filter((e) => e.event === "SubagentStart");
  const stops = D.filter((e) => e.event === "SubagentStop");
  const A = starts[0]?.agent_id;
  const subIds = new Set(subReplies.filter((r) => r.tool).map((r) => r.tool.id));
  const subEvents = D.filter((e) => e.agent_id);
  console.log(`FIGURE e2e_subagent_events ${subEvents.length}`);
  ok(starts.length === 1 && stops.length === 1 && A && stops[0].agent_id === A && starts[0].data.agent_type === "general-purpose", "SubagentStart and SubagentStop carry the agent_id and agent_type", [...starts, ...stops].map((e) => [e.agent_id, e.data.agent_type]));
  const subTool = D.filter((e) => subIds.has(e.tool_use_id) || (e.event === "PostToolBatch" && e.data.tool_calls.some((c) => subIds.has(c.tool_use_id))));
  ok(A && subTool.length === 3 && subTool.every((e) => e.agent_id === A), "the subagent's own tool events carry its agent_id", subTool.map((e) => [e.event, e.agent_id]));
  ok(A && subEvents.length === 5 && subEvents.every((e) => e.agent_id === A), "no other event is attributed to an agent", subEvents.map((e) => e.event));
  const agentCall = pre.find((e) => e.tool === "Agent");
  const agentPost = post.find((e) => e.tool === "Agent");
  ok(agentCall && agentPost && agentCall.seq < starts[0]?.seq && stops[0]?.seq < agentPost.seq, "the subagent runs inside its Agent tool call");

  // 12. The session's frame.
  const one = (n) => count(D, (e) => e.event === n) === 1;
  ok(["SessionStart", "UserPromptSubmit", "Stop", "SessionEnd"].every(one), "SessionStart, UserPromptSubmit, Stop, SessionEnd once each");
  ok(D.find((e) => e.event === "UserPromptSubmit")?.data.prompt === prompt, "UserPromptSubmit carries the prompt");

  // 13. The model server's record is what the CLI stored (for the token
  //     totals issue): per message id, the model and the four usage figures.
  //     The transcripts repeat a message on one line per content block.
  const transcript = (f) => {
    const m = new Map();
    try {
      for (const l of fs.readFileSync(f, "utf8").split("\n"))
        if (l) {
          const x = JSON.parse(l);
          if (x.type === "assistant" && x.message?.id) m.set(x.message.id, x.message);
        }
    } catch {}
    return m;
  };
  const tMain = transcript(D.find((e) => e.event === "SessionStart")?.data.transcript_path);
  const tSub = transcript(stops[0]?.data.agent_transcript_path);
  const same = (r, m) => m && m.model === r.model && usageKeys.every((k) => m.usage?.[k] === r.usage[k]);
  ok(mainReplies.every((r) => same(r, tMain.get(r.id))) && tMain.size === mainReplies.length, "the main transcript holds the main replies' ids, models and usage", { transcript: tMain.size });
  ok(subReplies.every((r) => same(r, tSub.get(r.id))) && tSub.size === subReplies.length, "the subagent transcript holds the subagent replies'", { transcript: tSub.size });

  // 14. Tokens and cost: one usage event per model reply, with its figures;
  //     the gateway's totals per session, agent and model equal the sums of
  //     what the model server sent, exactly; the estimated cost equals the
  //     CLI's own total_cost_usd.
  // event-usage reads a transcript again 0.25, 1 and 4 s after a hook names it
  await until(() => count(live, (x) => x.ev.event === "usage") >= L.replies.length, 20000, "the usage events").catch(() => {});
  const U = await sock.timeout(10000).emitWithAck("get_history", { session: S, event: "usage", limit: 10000 });
  console.log(`FIGURE e2e_usage_events ${U.length}`);
  const byMsg = new Map(U.map((e) => [e.data.message_id, e]));
  const wrongUsage = L.replies.filter((r) => {
    const e = byMsg.get(r.id);
    return !e || e.data.model !== r.model || usageKeys.some((k) => e.data[k] !== r.usage[k]) || (r.role === "subagent" ? e.agent_id !== A : e.agent_id !== undefined && e.agent_id !== null);
  });
  ok(U.length === L.replies.length && byMsg.size === U.length && wrongUsage.length === 0, "one usage event per model reply: its model, its four token counts, its agent", { usage: U.length, replies: L.replies.length, wrong: wrongUsage.map((r) => [r.role, r.id]) });
  ok(U.every((e) => typeof e.data.cost_usd === "number" && e.data.cost_usd > 0), "every message priced (the model is in the price table)", U.map((e) => [e.data.model, e.data.cost_usd]));
  const sum = (rs) => Object.fromEntries(usageKeys.map((k) => [k, rs.reduce((a, r) => a + r.usage[k], 0)]));
  const figures = (x) => x && Object.fromEntries(usageKeys.map((k) => [k, x[k]]));
  const r = await fetch(`${gw.url}/api/sessions`, { headers: { Authorization: `Bearer ${gw.token}` } });
  const sessions = r.status === 200 ? await r.json() : [];
  const su = sessions.find((x) => x.session_id === S)?.usage;
  ok(su && canon(figures(su)) === canon(sum(L.replies)) && su.messages === L.replies.length, "/api/sessions: the session's tokens are the sums of the model server's", { gateway: figures(su), server: sum(L.replies) });
  const agentOf = (id) => su?.agents?.find((a) => (a.agent_id ?? null) === id);
  ok(canon(figures(agentOf(null))) === canon(sum(mainReplies)) && canon(figures(agentOf(A))) === canon(sum(subReplies)) && agentOf(A)?.agent_type === "general-purpose" && su.agents.length === 2, "per agent: the main thread's and the subagent's sums", su?.agents);
  const models = [...new Set(L.replies.map((x) => x.model))];
  ok(models.every((m) => canon(figures(su?.models?.find((x) => x.model === m))) === canon(sum(L.replies.filter((x) => x.model === m)))) && su?.models?.length === models.length, "per model: the sums of that model's replies", su?.models);
  const est = U.reduce((a, e) => a + Math.round(e.data.cost_usd * 1e9), 0) / 1e9;
  ok(Math.abs(su?.cost_usd - est) < 1e-9 && su?.unpriced_messages === 0, "the session's cost is the sum of its messages'", { gateway: su?.cost_usd, events: est });
  console.log(`FIGURE e2e_cost_usd ${su?.cost_usd} (claude: ${result?.total_cost_usd})`);
  ok(typeof result?.total_cost_usd === "number" && Math.abs(su?.cost_usd - result.total_cost_usd) < 1e-9, "the estimate equals the CLI's own total_cost_usd", { hookwire: su?.cost_usd, claude: result?.total_cost_usd });
  // The event store has the session too: history_sessions (the store's
  // sessions, through the gateway's worker) with every event delivered for
  // it, hooks and usage, and the totals of its newest usage event.
  const delivered = D.length + U.length;
  const fromStore = async () => {
    const a = await sock.timeout(5000).emitWithAck("history_sessions", { limit: 10 });
    const s = a?.sessions?.find((x) => x.session_id === S);
    return s && s.events === delivered ? s : null;
  };
  const stored = await until(fromStore, 20000, "the store to hold the session's events", 100).catch((e) => e);
  ok(stored && stored.session_id === S && stored.events === delivered, "history_sessions from the store: the session, with every event delivered for it", { store: stored?.events ?? stored?.message, delivered });
  ok(Math.abs(stored?.usage?.cost_usd - result?.total_cost_usd) < 1e-9 && stored?.usage?.messages === L.replies.length, "history_sessions: its usage, the cost the CLI's own total_cost_usd", { store: stored?.usage, claude: result?.total_cost_usd });
  // The session's events as the dashboard reads an old session
  // (/api/events?compress=gzip, compressed on the store's worker): inflated,
  // the same text as uncompressed, every event delivered for it.
  const apiEvents = async (extra) => {
    const res = await fetch(`${gw.url}/api/events?session=${encodeURIComponent(S)}&since=0&limit=10000${extra}`, { headers: { Authorization: `Bearer ${gw.token}` } });
    const type = res.headers.get("content-type");
    const body = Buffer.from(await res.arrayBuffer());
    return { type, last: res.headers.get("hookwire-last-seq"), text: (type === "application/gzip" ? gunzipSync(body) : body).toString() };
  };
  const plainEvents = await apiEvents("");
  const packedEvents = await apiEvents("&compress=gzip");
  const seqsIn = (t) => t.split("\n").filter(Boolean).map((l) => JSON.parse(l).seq);
  ok(packedEvents.type === "application/gzip" && packedEvents.text === plainEvents.text && seqsIn(plainEvents.text).length === delivered, "/api/events?compress=gzip: the session's events compressed, the same as uncompressed", { type: packedEvents.type, plain: seqsIn(plainEvents.text).length, packed: seqsIn(packedEvents.text).length, delivered });
  ok(packedEvents.last === String(seqsIn(packedEvents.text).at(-1)), "/api/events: Hookwire-Last-Seq, the seq of the answer's last event", { header: packedEvents.last, last: seqsIn(packedEvents.text).at(-1) });
  const metrics = await (await fetch(`${gw.url}/metrics`, { headers: { Authorization: `Bearer ${gw.token}` } })).text();
  const metric = (kind, m) => Number((metrics.match(new RegExp(`^hookwire_tokens_total\\{kind="${kind}",model="${m.replace(/[.]/g, "\\.")}"\\} (\\d+)$`, "m")) || [])[1]);
  const kinds = { input: "input_tokens", output: "output_tokens", cache_write: "cache_creation_input_tokens", cache_read: "cache_read_input_tokens" };
  ok(models.every((m) => Object.entries(kinds).every(([k, f]) => metric(k, m) === sum(L.replies.filter((x) => x.model === m))[f])), "/metrics: hookwire_tokens_total{kind,model} equal the sums", metrics.split("\n").filter((l) => l.startsWith("hookwire_tokens_total")));

  // 15. The dashboard shows the session with its subagent.
  const profile = path.join(inst.dir, "chromium-profile");
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 1800 }, // the whole session's rows at once (hooks and usage)
  });
  const page = browser.pages()[0] || (await browser.newPage());
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto(`${gw.url}/#token=${gw.token}`);
  const all = [...D, ...U].sort((a, b) => a.seq - b.seq);
  const loaded = await page
    .waitForFunction((n) => window.hookwire && window.hookwire.store.size >= n, all.length, { timeout: 20000 })
    .then(() => true, (e) => e.message.split("\n")[0]);
  ok(loaded === true, "the dashboard loads the session's events", loaded);
  const pageSeqs = await page.evaluate(() => window.hookwire.seqs());
  ok(canon([...pageSeqs].sort((a, b) => a - b)) === canon(all.map((e) => e.seq)), "the dashboard has exactly the delivered events (hooks and usage)");
  const li = `#sessions li.session[data-id="${S}"]`;
  const shown = await page
    .waitForFunction((sel) => /general-purpose/.test(document.querySelector(sel)?.textContent || ""), li, { timeout: 10000 })
    .then(() => true, () => false);
  const text = (await page.textContent(li).catch(() => "")) || "";
  ok(shown && text.includes("project") && text.includes(`${all.length} events`) && text.includes("1 failed") && /ended/.test(text), "the session is listed: project, event count, the failure, ended", text);
  ok(A && text.includes(`↳ general-purpose ${A.slice(0, 8)}`) && /Read×1/.test(text) && /done/.test(text), "the subagent is nested under it with its tool and state", text);
  await page.click(li);
  await page.waitForFunction((n) => window.hookwire.viewLength() === n, all.length, { timeout: 5000 }).catch(() => {});
  const rows = await page.$$eval("#stream .vrow:not([hidden])", (els) => els.map((e) => ({ event: e.dataset.event, summary: e.children[5]?.textContent || "" })));
  const blank = rows.filter((r) => !r.summary.trim()).map((r) => r.event);
  ok(rows.length === all.length && blank.length === 0, "every row of the session has a summary", { rows: rows.length, blank: tally(blank) });
  await page.screenshot({ path: path.join(SHOTS, "e2e-claude-session.png") });
  await page.click("#tab-calls");
  await page.waitForSelector("#calls .vrow", { timeout: 5000 }).catch(() => {});
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.screenshot({ path: path.join(SHOTS, "e2e-claude-calls.png") });
  // The timeline: a lane for the main agent and one for the subagent, with
  // their own calls; the failing Bash counted where it failed.
  await page.click("#tab-timeline");
  const tl = await page
    .waitForFunction((n) => window.hookwire.timeline.debug()?.total === n, pre.length, { timeout: 5000 })
    .then(() => page.evaluate(() => window.hookwire.timeline.debug()), () => page.evaluate(() => window.hookwire.timeline.debug()));
  const lanes = tl ? tl.lanes.map((l) => [l.agent, l.label, l.calls, l.failed]) : null;
  const mainCalls = pre.filter((e) => !e.agent_id).length;
  ok(
    tl && tl.lanes.length === 2 && tl.lanes[0].agent === "" && tl.lanes[0].calls === mainCalls && tl.lanes[0].failed === 1 && tl.lanes[1].agent === A && tl.lanes[1].label === `general-purpose ${A.slice(0, 8)}` && tl.lanes[1].calls === pre.length - mainCalls,
    "the timeline has the main lane and the subagent's, each with its calls",
    lanes
  );
  ok(tl && tl.lanes[0].marks.join() === "SessionStart,UserPromptSubmit,Stop,SessionEnd", "the session's start, prompt, Stop and end are markers", tl && tl.lanes[0].marks);
  const agentRect = await page.evaluate((id) => window.hookwire.timeline.rectOf(id), agentCall?.tool_use_id);
  const subRect = await page.evaluate((id) => window.hookwire.timeline.rectOf(id), [...subIds][0]);
  ok(agentRect && subRect && subRect.x >= agentRect.x && subRect.x + subRect.w <= agentRect.x + agentRect.w + 1 && subRect.y > agentRect.y, "the subagent's Read is drawn below its Agent call, inside its span", { agentRect, subRect });
  await page.screenshot({ path: path.join(SHOTS, "e2e-claude-timeline.png") });
  // The conversation: the subagent's run nested where it started, with its
  // Read and its answer; the prompt and the final message.
  await page.click("#tab-conversation");
  await page.waitForFunction(() => window.hookwire.conversation.items().some((i) => i.kind === "agent"), null, { timeout: 5000 }).catch(() => {});
  const conv = await page.evaluate(() => window.hookwire.conversation.items());
  const nested = conv.filter((i) => i.depth === 1);
  const group = conv.find((i) => i.kind === "agent");
  ok(
    group && nested.length === 1 && nested[0].kind === "call" && nested[0].key === `c:${[...subIds][0]}` && group.text.includes(String(stops[0]?.data.last_assistant_message)),
    "the conversation nests the subagent's Read and its answer",
    conv.map((i) => `${i.kind}@${i.depth}`)
  );
  ok(conv.filter((i) => i.kind === "call").length === pre.length && conv.filter((i) => i.kind === "call" && i.status === "failed").length === 1, "the conversation lists every call, the failing one as failed");
  ok(conv.filter((i) => i.depth === 0).every((x, i, a) => i === 0 || a[i - 1].seq < x.seq), "the conversation is in event order");
  ok(conv.some((i) => i.kind === "prompt" && i.text.includes(prompt)) && conv.some((i) => i.kind === "stop"), "the prompt and the Stop are in it");
  await page.screenshot({ path: path.join(SHOTS, "e2e-claude-conversation.png") });
  // The Spend view: the model server's figures, exactly, per agent; the
  // estimate (the CLI's own figure); the one turn holding every reply.
  await page.click("#tab-spend");
  const spendShown = await page
    .waitForFunction((n) => window.hookwire.spend.debug().page?.messages === n && document.querySelectorAll("#sp-agents tbody tr").length === 2, L.replies.length, { timeout: 10000 })
    .then(() => true, (e) => e.message.split("\n")[0]);
  ok(spendShown === true, "the Spend view shows the session", spendShown);
  const kinds4 = (x) => usageKeys.map((k) => x[k]).join();
  const agentRows = await page.$$eval("#sp-agents tbody tr", (trs) => trs.map((tr) => ({ key: tr.dataset.key, name: tr.children[0].textContent, cells: [...tr.children].slice(1, 6).map((c) => c.textContent), ...tr.dataset })));
  const mainRow = agentRows.find((r) => r.key === "");
  const subRow = agentRows.find((r) => r.key === A);
  const shownFigures = (row) => row && [row.cells[1], row.cells[2], row.cells[3], row.cells[4]].map((c) => Number(c.replace(/,/g, ""))).join();
  const serverOrder = (rs) => { const t = sum(rs); return [t.input_tokens, t.output_tokens, t.cache_creation_input_tokens, t.cache_read_input_tokens].join(); };
  ok(
    mainRow && mainRow.messages === String(mainReplies.length) && mainRow.tokens === kinds4(sum(mainReplies)) && shownFigures(mainRow) === serverOrder(mainReplies),
    "the Spend view: the main thread's tokens are the model server's, exactly",
    { page: mainRow, server: sum(mainReplies) }
  );
  ok(
    subRow && subRow.name === `general-purpose ${A.slice(0, 8)}` && subRow.messages === String(subReplies.length) && subRow.tokens === kinds4(sum(subReplies)) && shownFigures(subRow) === serverOrder(subReplies),
    "and the subagent's",
    { page: subRow, server: sum(subReplies) }
  );
  const sd = await page.evaluate(() => window.hookwire.spend.debug());
  const estNanos = Math.round(su?.cost_usd * 1e9);
  ok(sd.turns.length === 1 && sd.turns[0].messages === L.replies.length && sd.bars.length === 1 && (sd.unit === "cost" ? sd.bars[0].total === estNanos : true), "one turn, one bar, holding every reply", sd.turns.map((t) => [t.n, t.messages, t.nanos]));
  const estKpi = await page.$eval(".sp-kpi", (e) => ({ value: e.querySelector(".sp-kpi-value").textContent, cost: e.dataset.cost }));
  ok(estKpi.cost === String(estNanos) && Math.abs(Number(estKpi.cost) / 1e9 - result?.total_cost_usd) < 1e-9, "the estimate is the CLI's own total_cost_usd", { page: estKpi, claude: result?.total_cost_usd });
  await page.screenshot({ path: path.join(SHOTS, "e2e-claude-spend.png") });
  // The session opened from History as an old one: loaded through
  // /api/events?compress=gzip page by page (history.js loadSession).
  await page.goto(`${gw.url}/#view=history&range=7d&token=${gw.token}`);
  const opened = await page
    .waitForSelector(`#hist-body tr[data-id="${S}"]`, { timeout: 10000 })
    .then(() => page.click(`#hist-body tr[data-id="${S}"]`))
    .then(() => page.waitForFunction(() => window.hookwire.history.old().loaded || window.hookwire.history.old().error, null, { timeout: 10000 }))
    .then(() => page.evaluate(() => window.hookwire.history.old()), (e) => ({ error: e.message.split("\n")[0] }));
  ok(opened.loaded && !opened.error && opened.n === delivered, "History: the session opened as an old one, every event delivered for it", { n: opened.n, error: opened.error, delivered });
  ok(errors.length === 0, "no errors in the page console", errors.slice(0, 5));
}

try {
  await main();
} catch (e) {
  checks.failures++;
  console.log("FAIL: " + (e && e.stack ? e.stack : e));
}
await cleanup();
if (checks.failures) {
  dumpLogs(inst);
  console.log("--- capture.jsonlog (tail):\n" + (fs.existsSync(captureLog) ? fs.readFileSync(captureLog, "utf8").split("\n").slice(-20).join("\n") : "(none)"));
}
console.log(`FIGURE e2e_wall_ms ${Date.now() - T0}`);
console.log(`${checks.count} checks, ${checks.failures} failed`);
process.exit(checks.failures ? 1 : 0);
