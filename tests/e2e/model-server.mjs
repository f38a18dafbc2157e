// model-server.mjs: a scripted stand-in for the Anthropic Messages API, on
// loopback, for running the real Claude Code CLI end to end without a model.
//
// Protocol subset.  claude 2.1.332 with CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC
// makes only streaming POST /v1/messages?beta=true calls, one per model turn,
// main thread and subagent alike; the rest is here for other versions and
// settings, and unknown calls are logged with their status:
//   POST /v1/messages[?beta=true]    streaming (SSE: message_start,
//        content_block_start/_delta/_stop for text (text_delta) and tool_use
//        (input_json_delta), message_delta with stop_reason and usage,
//        message_stop) or, with "stream": false, one JSON message
//   POST /v1/messages/count_tokens  {"input_tokens": N}
//   GET  /_log                      this server's record (below), as JSON
//   anything else                   404 with an Anthropic-style JSON error,
//                                   at once, so that nothing waits on it
//
// The script.  Each /v1/messages request is classified by its first user
// message: it carries MAIN_MARK (the test's prompt), SUB_MARK (the prompt
// the main conversation gives the subagent) or neither (a side request of
// the CLI: title, summary, quota probe...).  The reply is chosen by how many
// tool_result blocks the conversation already holds, so a run is
// deterministic however the CLI retries or interleaves requests:
//   main      0 Bash `mkdir -p sub && cd sub && echo ...` (succeeds)
//             1 Bash `...; exit 3` (fails)     2 Read notes.txt
//             3 Write new.txt                  4 Edit notes.txt (read at 2)
//             5 Agent (general-purpose, foreground) with SUB_MARK
//             6 final text, end_turn
//   subagent  0 Read notes.txt                 1 final text, end_turn
//   side      a short text, end_turn
// Replies that call a tool also carry a text block before the tool_use.
// Paths are absolute, under the project directory given to the server.
//
// The record.  Every reply gets a unique message id, the model the request
// named, and usage figures no other reply has (input_tokens,
// output_tokens, cache_creation_input_tokens, cache_read_input_tokens; in
// a stream, message_start carries the input and cache figures with
// output_tokens 1, as the real API does, and message_delta the final four).
// log.replies holds, per reply, { n, id, model, role ("main", "subagent",
// "side"), stream, step, stop_reason, tool: {id, name} | null, usage,
// cc_is_subagent (the CLI's own subagent mark in the request), seen (which
// of the strings in the `watch` option the request contains) };
// log.totals sums usage per role and overall; log.requests lists every
// request (method, path, status).  A later test compares hookwire's token
// totals with these figures, so they are exactly what was sent.  Note that
// the CLI's transcripts store a streamed message once per content block
// (text, then tool_use), each line with the message's id and full usage:
// count a message id once.
//
// Use: import { startModelServer } from "./model-server.mjs";
//      const s = await startModelServer({ project, logFile, watch });  // s.port, s.log, s.close()
// or:  node tests/e2e/model-server.mjs --port N --project DIR [--log FILE] [--dump DIR]
// (--dump / dumpDir: every request, headers and body, one file each.)

import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { fileURLToPath } from "node:url";

export const MAIN_MARK = "HOOKWIRE-E2E-MAIN";
export const SUB_MARK = "HOOKWIRE-E2E-SUBAGENT";

// Commands and file contents the script uses; the test checks their effects.
export const SCRIPT = {
  // cd into a new subdirectory: Claude Code fires CwdChanged.
  okCommand: "mkdir -p sub && cd sub && echo hookwire-e2e-bash-ok",
  failCommand: "echo hookwire-e2e-bash-fails >&2; exit 3",
  notes: "notes.txt",
  notesText: "hookwire e2e notes\nstatus: draft\n",
  editOld: "status: draft",
  editNew: "status: edited by the e2e test",
  newFile: "new.txt",
  newText: "written by the hookwire e2e test\n",
  finalMain: "All steps done.",
  finalSub: "The notes file has a status line.",
  finalSide: "Scripted reply.",
};

// The steps of each conversation, by number of tool_result blocks so far.
function mainStep(step, project) {
  const p = (f) => path.join(project, f);
  switch (step) {
    case 0:
      return { text: "Running a command.", tool: "Bash", input: { command: SCRIPT.okCommand, description: "Print a marker" } };
    case 1:
      return { text: "Running a command that fails.", tool: "Bash", input: { command: SCRIPT.failCommand, description: "Exit with status 3" } };
    case 2:
      return { text: "Reading the notes.", tool: "Read", input: { file_path: p(SCRIPT.notes) } };
    case 3:
      return { text: "Writing a new file.", tool: "Write", input: { file_path: p(SCRIPT.newFile), content: SCRIPT.newText } };
    case 4:
      return { text: "Editing the notes.", tool: "Edit", input: { file_path: p(SCRIPT.notes), old_string: SCRIPT.editOld, new_string: SCRIPT.editNew } };
    case 5:
      return {
        text: "Asking a subagent.",
        tool: "Agent",
        input: {
          description: "Summarise the notes",
          prompt: `${SUB_MARK}: read ${p(SCRIPT.notes)} and say what its status line is.`,
          subagent_type: "general-purpose",
          run_in_background: false,
        },
      };
    default:
      return { text: SCRIPT.finalMain };
  }
}

function subStep(step, project) {
  if (step === 0) return { text: "Reading the file.", tool: "Read", input: { file_path: path.join(project, SCRIPT.notes) } };
  return { text: SCRIPT.finalSub };
}

// The text of a message's content (string or blocks).
function textOf(content) {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((b) => (b && b.type === "text" ? b.text : "")).join("\n");
}

function countToolResults(messages) {
  let n = 0;
  for (const m of messages || [])
    if (m && m.role === "user" && Array.isArray(m.content))
      for (const b of m.content) if (b && b.type === "tool_result") n++;
  return n;
}

function classify(body) {
  const msgs = Array.isArray(body.messages) ? body.messages : [];
  const firstUser = msgs.find((m) => m && m.role === "user");
  const t = firstUser ? textOf(firstUser.content) : "";
  if (t.includes(SUB_MARK)) return "subagent";
  if (t.includes(MAIN_MARK)) return "main";
  return "side";
}

// Claude Code marks a subagent's requests in the billing header, the first
// system block: "x-anthropic-billing-header: ...; cc_is_subagent=true;".
function markedSubagent(body) {
  const sys = Array.isArray(body.system) ? body.system.map((b) => (b && b.text) || "").join("\n") : String(body.system || "");
  return /cc_is_subagent=true/.test(sys);
}

// Starts the server on 127.0.0.1:port (0: any free port).
// Returns { port, url, log, close() }; log is live (see the header).
export function startModelServer({ port = 0, project = process.cwd(), logFile = null, dumpDir = null, watch = [] } = {}) {
  const run = crypto.randomBytes(4).toString("hex");
  const log = {
    run,
    requests: [],
    replies: [],
    totals: {},
  };
  let nReply = 0;
  let nTool = 0;

  // Usage figures unique to reply n: each field has its own range, and no
  // two replies share a value in any field.
  const usageFor = (n) => ({
    input_tokens: 1000 + 17 * n,
    output_tokens: 100 + 13 * n,
    cache_creation_input_tokens: 20000 + 101 * n,
    cache_read_input_tokens: 300000 + 1009 * n,
  });

  function addTotals(role, u) {
    for (const k of [role, "all"]) {
      const t = (log.totals[k] ||= { replies: 0, input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
      t.replies++;
      for (const f of Object.keys(u)) t[f] += u[f];
    }
  }

  function save() {
    if (logFile) fs.writeFileSync(logFile, JSON.stringify(log, null, 1) + "\n");
  }

  function reply(req, res, body) {
    const role = classify(body);
    const step = countToolResults(body.messages);
    const s = role === "main" ? mainStep(step, project) : role === "subagent" ? subStep(step, project) : { text: SCRIPT.finalSide };
    const n = nReply++;
    const id = `msg_hwe2e_${run}_${String(n).padStart(3, "0")}`;
    const model = typeof body.model === "string" && body.model ? body.model : "claude-unknown";
    const usage = usageFor(n);
    const tool = s.tool ? { id: `toolu_hwe2e_${run}_${String(nTool++).padStart(3, "0")}`, name: s.tool } : null;
    const stop_reason = tool ? "tool_use" : "end_turn";
    const stream = body.stream === true;
    const text = JSON.stringify(body);
    const seen = watch.filter((w) => text.includes(w));
    const rec = { n, id, model, role, stream, step, stop_reason, tool, usage, cc_is_subagent: markedSubagent(body), seen };
    log.replies.push(rec);
    addTotals(role, usage);

    const content = [{ type: "text", text: s.text }];
    if (tool) content.push({ type: "tool_use", id: tool.id, name: tool.name, input: s.input });
    if (!stream) {
      res.writeHead(200, { "content-type": "application/json", "request-id": `req_${id}` });
      res.end(JSON.stringify({ id, type: "message", role: "assistant", model, content, stop_reason, stop_sequence: null, usage }));
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", "request-id": `req_${id}` });
    const ev = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
    ev("message_start", {
      message: { id, type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } },
    });
    content.forEach((b, index) => {
      if (b.type === "text") {
        ev("content_block_start", { index, content_block: { type: "text", text: "" } });
        const h = Math.ceil(b.text.length / 2);
        for (const part of [b.text.slice(0, h), b.text.slice(h)]) if (part) ev("content_block_delta", { index, delta: { type: "text_delta", text: part } });
      } else {
        ev("content_block_start", { index, content_block: { type: "tool_use", id: b.id, name: b.name, input: {} } });
        const json = JSON.stringify(b.input);
        for (let i = 0; i < json.length; i += 40) ev("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: json.slice(i, i + 40) } });
      }
      ev("content_block_stop", { index });
    });
    ev("message_delta", { delta: { stop_reason, stop_sequence: null }, usage });
    ev("message_stop", {});
    res.end();
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (d) => chunks.push(d));
    req.on("end", () => {
      const url = new URL(req.url, "http://x");
      const r = { method: req.method, path: url.pathname, status: 200 };
      log.requests.push(r);
      res.on("finish", save);
      let body = null;
      try {
        body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : null;
      } catch {}
      if (dumpDir) {
        const f = path.join(dumpDir, `req${String(log.requests.length - 1).padStart(3, "0")}.json`);
        fs.writeFileSync(f, JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }, null, 1));
      }
      if (req.method === "GET" && url.pathname === "/_log") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(log));
        return;
      }
      if (req.method === "POST" && url.pathname === "/v1/messages/count_tokens") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ input_tokens: 4242 }));
        return;
      }
      if (req.method === "POST" && url.pathname === "/v1/messages" && body && typeof body === "object") {
        reply(req, res, body);
        return;
      }
      r.status = 404;
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ type: "error", error: { type: "not_found_error", message: `model-server: no ${req.method} ${url.pathname}` } }));
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const p = server.address().port;
      resolve({
        port: p,
        url: `http://127.0.0.1:${p}`,
        log,
        close: () =>
          new Promise((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const a = process.argv.slice(2);
  const opt = (k, d) => (a.includes(k) ? a[a.indexOf(k) + 1] : d);
  const s = await startModelServer({ port: Number(opt("--port", "0")), project: path.resolve(opt("--project", ".")), logFile: opt("--log", null), dumpDir: opt("--dump", null) });
  console.log(`model-server listening on ${s.url}`);
  const stop = () => s.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
