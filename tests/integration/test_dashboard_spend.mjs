// test_dashboard_spend.mjs: tokens and cost on the dashboard, in headless
// Chromium, against the real pipeline: event-router, event-usage (with the
// shipped price table), ws-gateway, and real hook-capture processes for the
// hooks and the status line.
//
// Three sessions of hand-written transcripts (in the shape Claude Code
// 2.1.332 writes them: one line per content block, each with the message's
// id and a copy of its usage, the output count a placeholder on all but the
// last), played turn by turn: the prompt's hook, the transcript lines, the
// tool hooks, the Stop; event-usage reads them as a hook names them:
//   checkout   claude-sonnet-4-5 with an Explore subagent on claude-haiku-4-5,
//              three turns, Claude Code's status line (its cost and window)
//   notebooks  a model the price table does not know: cost unknown, never $0
//   docs       claude-opus-4-5 with a general-purpose subagent on a model
//              without a price: an estimate plus messages of unknown cost;
//              no status line: the window is assumed
// and one session of yesterday (canonical events written to the ingest
// socket with yesterday's time), which today's total must leave out.
// Then make demo's samples (contrib/samples, played by contrib/replay.sh
// with their transcripts): event-usage counts each sample session's
// messages, the gateway's totals are the transcripts' priced, and the view
// has their turns (a resumed session's history before its first prompt),
// the compaction's drop in the context window and Claude Code's figures.
// What the page must show is worked out here from the transcripts and the
// price table, and checked against the gateway's /api/sessions, then
// compared with the page:
//   session list   each session's tokens, estimate and Claude Code's figure,
//                  exactly the gateway's; "cost unknown" where no price
//   header         today's total = the sum of today's sessions (not yesterday's)
//   spend view     the overview (today by model, every session), and one
//                  session: a bar per turn whose parts and sums equal the
//                  turn's messages and whose sum is the session's total, in
//                  cost and in tokens; the agent and model tables equal the
//                  gateway's; the cache hit ratio; Claude Code's figure beside
//                  the estimate; the context window (known or assumed)
//   history        a page opened afterwards (history, not live) shows the same
// and no error in any page's console.  Screenshots go to
// $HOOKWIRE_TEST_OUT/screenshots/spend-*.png.  Exits 1 if a check failed.

import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import { makeInstance, startRouter, startGateway, startDaemon, stopClean, capture, dumpLogs, ingestEvents, randomHex, SRC, BIN, makeChecks, CHROMIUM, CHROMIUM_ARGS } from './gwlib.mjs';
import * as fmt from '../../ws-gateway/dashboard/fmt.js';

const OUT = process.env.HOOKWIRE_TEST_OUT || path.join(SRC, 'build/test-out');
const SHOTS = path.join(OUT, 'screenshots');
fs.mkdirSync(SHOTS, { recursive: true });
const PRICES = path.join(SRC, 'contrib/prices.conf');

const checks = makeChecks();
const ok = checks.ok;

// ------------------------------------------------------------ prices

// The price table as event-usage reads it (hookwire-prices(5)): rates in
// nano-dollars per token, the exact id first, then the longest pattern.
const ROWS = fs
	.readFileSync(PRICES, 'utf8')
	.split('\n')
	.map((l) => l.split('#')[0].trim().split(/\s+/))
	.filter((f) => f.length === 6)
	.map(([pat, ...r]) => ({ pat, r: r.map((x) => Math.round(Number(x) * 1000)) }));
function rates(model) {
	let best = null;
	for (const row of ROWS) {
		const lit = row.pat.replace(/^\*|\*$/g, '');
		if (row.pat === model) return row.r;
		const s = row.pat.startsWith('*'),
			e = row.pat.endsWith('*');
		const m = s && e ? model.includes(lit) : e ? model.startsWith(lit) : s ? model.endsWith(lit) : false;
		if (m && (!best || lit.length > best.lit.length)) best = { lit, r: row.r };
	}
	return best ? best.r : null;
}
// A message's cost in nano-dollars, or null (no price).
function costOf(model, u) {
	const r = rates(model);
	if (!r) return null;
	return u.in * r[0] + u.out * r[1] + u.cw * r[2] + u.cr * r[4];
}

// ------------------------------------------------------------ sessions

const MODELS = { sonnet: 'claude-sonnet-4-5-20250929', haiku: 'claude-haiku-4-5-20251001', opus: 'claude-opus-4-5-20251101', qwen: 'qwen3-coder-480b-a35b', mystery: 'mystery-model-7' };

// A session: its ids, its transcript, and what it was sent.
function newSession(inst, name, cwd) {
	const sid = crypto.randomUUID();
	const dir = path.join(inst.dir, 'projects', cwd.replace(/\//g, '-'));
	fs.mkdirSync(dir, { recursive: true });
	return { sid, name, cwd, transcript: path.join(dir, sid + '.jsonl'), msgs: [], turns: 0, prompts: [] };
}

let msgNo = 0;
// Appends one assistant message to a transcript: a line per content block,
// the output count a placeholder (1) on all but the last; returns its record.
function message(s, { model, u, agent = null, tool = null, turn }) {
	const id = 'msg_01Spend' + randomHex(6) + String(++msgNo).padStart(3, '0');
	const file = agent ? path.join(path.dirname(s.transcript), s.sid, 'subagents', 'agent-' + agent.id + '.jsonl') : s.transcript;
	fs.mkdirSync(path.dirname(file), { recursive: true });
	const usage = (out) => ({ input_tokens: u.in, cache_creation_input_tokens: u.cw, cache_read_input_tokens: u.cr, cache_creation: { ephemeral_5m_input_tokens: u.cw, ephemeral_1h_input_tokens: 0 }, output_tokens: out, service_tier: 'standard' });
	const blocks = [{ type: 'text', text: 'Looking at it (' + id + ').' }];
	if (tool) blocks.push({ type: 'tool_use', id: tool.id, name: tool.name, input: tool.input });
	const lines = blocks.map((b, i) => {
		const last = i === blocks.length - 1;
		const line = { parentUuid: crypto.randomUUID(), isSidechain: !!agent, userType: 'external', cwd: s.cwd, sessionId: s.sid, version: '2.1.332' };
		if (agent) line.agentId = agent.id;
		line.message = { id, type: 'message', role: 'assistant', model, content: [b], stop_reason: last ? (tool ? 'tool_use' : 'end_turn') : null, stop_sequence: null, usage: usage(last ? u.out : 1) };
		Object.assign(line, { requestId: 'req_' + id, type: 'assistant', uuid: crypto.randomUUID(), timestamp: new Date().toISOString() });
		return JSON.stringify(line);
	});
	fs.appendFileSync(file, lines.join('\n') + '\n');
	const m = { id, model, agent: agent ? agent.id : null, agentType: agent ? agent.type : null, turn, ...u, nanos: costOf(model, u) };
	s.msgs.push(m);
	return m;
}

function userLine(s, content, agent = null) {
	const file = agent ? path.join(path.dirname(s.transcript), s.sid, 'subagents', 'agent-' + agent.id + '.jsonl') : s.transcript;
	fs.appendFileSync(file, JSON.stringify({ parentUuid: crypto.randomUUID(), isSidechain: !!agent, type: 'user', message: { role: 'user', content }, uuid: crypto.randomUUID(), timestamp: new Date().toISOString(), sessionId: s.sid }) + '\n');
}

function hook(inst, s, event, extra = {}) {
	return capture(inst, { session_id: s.sid, transcript_path: s.transcript, cwd: s.cwd, permission_mode: 'default', hook_event_name: event, ...extra });
}

// Claude Code's status line command, the real one: hook-capture statusline.
function statusLine(inst, s, model, costUsd, window, used) {
	const input = JSON.stringify({ session_id: s.sid, transcript_path: s.transcript, cwd: s.cwd, model: { id: model, display_name: 'Sonnet 4.5' }, workspace: { current_dir: s.cwd, project_dir: s.cwd }, version: '2.1.332', cost: { total_cost_usd: costUsd, total_duration_ms: 48000, total_api_duration_ms: 21000, total_lines_added: 12, total_lines_removed: 3 }, context_window: { total_input_tokens: 1000, total_output_tokens: 900, context_window_size: window, used_percentage: Math.round((used / window) * 100), remaining_percentage: 100 - Math.round((used / window) * 100), current_usage: null } });
	return new Promise((resolve, reject) => {
		const p = spawn(path.join(BIN, 'hook-capture'), ['statusline'], { env: inst.env, stdio: ['pipe', 'pipe', 'pipe'] });
		let out = '';
		p.stdout.on('data', (d) => (out += d));
		p.on('error', reject);
		p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error('hook-capture statusline exited ' + code))));
		p.stdin.end(input);
	});
}

let toolNo = 0;
const toolId = () => 'toolu_01Spend' + randomHex(4) + String(++toolNo).padStart(3, '0');

// One turn: the prompt, then for each step a message (with a tool call and
// its hooks, or a subagent run), the final message, the Stop.
async function turn(inst, gw, s, prompt, steps) {
	const n = ++s.turns;
	s.prompts.push(prompt);
	await hook(inst, s, 'UserPromptSubmit', { prompt });
	userLine(s, prompt);
	for (const st of steps) {
		if (st.agent) {
			const tu = { id: toolId(), name: 'Agent', input: { subagent_type: st.agent.type, description: st.agent.desc, prompt: st.agent.desc } };
			message(s, { model: st.model, u: st.u, tool: tu, turn: n });
			await hook(inst, s, 'PreToolUse', { tool_name: 'Agent', tool_input: tu.input, tool_use_id: tu.id });
			await hook(inst, s, 'SubagentStart', { agent_id: st.agent.id, agent_type: st.agent.type });
			for (const sub of st.agent.msgs) {
				const t2 = sub.tool ? { id: toolId(), name: sub.tool, input: { file_path: s.cwd + '/src/x.ts' } } : null;
				message(s, { model: sub.model, u: sub.u, agent: st.agent, tool: t2, turn: n });
				if (t2) {
					const ag = { agent_id: st.agent.id, agent_type: st.agent.type };
					await hook(inst, s, 'PreToolUse', { tool_name: t2.name, tool_input: t2.input, tool_use_id: t2.id, ...ag });
					userLine(s, [{ type: 'tool_result', tool_use_id: t2.id, content: 'ok' }], st.agent);
					await hook(inst, s, 'PostToolUse', { tool_name: t2.name, tool_input: t2.input, tool_response: { ok: true }, tool_use_id: t2.id, duration_ms: 9, ...ag });
				}
			}
			await hook(inst, s, 'SubagentStop', { agent_id: st.agent.id, agent_type: st.agent.type, stop_hook_active: false, agent_transcript_path: path.join(path.dirname(s.transcript), s.sid, 'subagents', 'agent-' + st.agent.id + '.jsonl'), last_assistant_message: 'Found it.' });
			userLine(s, [{ type: 'tool_result', tool_use_id: tu.id, content: 'Found it.' }]);
			await hook(inst, s, 'PostToolUse', { tool_name: 'Agent', tool_input: tu.input, tool_response: { content: [{ type: 'text', text: 'Found it.' }] }, tool_use_id: tu.id, duration_ms: 1200 });
		} else if (st.tool) {
			const tu = { id: toolId(), name: st.tool, input: st.tool === 'Bash' ? { command: 'npm test' } : { file_path: s.cwd + '/src/invoice.ts' } };
			message(s, { model: st.model, u: st.u, tool: tu, turn: n });
			await hook(inst, s, 'PreToolUse', { tool_name: tu.name, tool_input: tu.input, tool_use_id: tu.id });
			userLine(s, [{ type: 'tool_result', tool_use_id: tu.id, content: 'ok' }]);
			await hook(inst, s, 'PostToolUse', { tool_name: tu.name, tool_input: tu.input, tool_response: { ok: true }, tool_use_id: tu.id, duration_ms: 15 });
		} else message(s, { model: st.model, u: st.u, turn: n });
	}
	await hook(inst, s, 'Stop', { stop_hook_active: false, last_assistant_message: 'Done with turn ' + n + '.' });
	// The user reads the answer before the next prompt: every message of the
	// turn is counted by then.
	await waitMessages(gw, s.sid, s.msgs.length);
}

async function apiSessions(gw) {
	const r = await fetch(gw.url + '/api/sessions', { headers: { Authorization: 'Bearer ' + gw.token } });
	return r.status === 200 ? r.json() : [];
}

// Until the gateway counts n messages of session sid (bounded).
async function waitMessages(gw, sid, n) {
	const end = Date.now() + 20000;
	let got = 0;
	while (Date.now() < end) {
		const u = (await apiSessions(gw)).find((x) => x.session_id === sid)?.usage;
		got = u ? u.messages : 0;
		if (got >= n) return got;
		await new Promise((r) => setTimeout(r, 50));
	}
	ok(false, 'the gateway counts ' + n + ' messages of ' + sid, { got });
	return got;
}

// ------------------------------------------------------------ sums

const KEYS = ['in', 'out', 'cw', 'cr'];
const GKEYS = { in: 'input_tokens', out: 'output_tokens', cw: 'cache_creation_input_tokens', cr: 'cache_read_input_tokens' };
function sum(msgs) {
	const t = { messages: msgs.length, in: 0, out: 0, cw: 0, cr: 0, nanos: null, unpriced: 0 };
	for (const m of msgs) {
		for (const k of KEYS) t[k] += m[k];
		if (m.nanos === null) t.unpriced++;
		else t.nanos = (t.nanos || 0) + m.nanos;
	}
	return t;
}
const tokens = (t) => t.in + t.out + t.cw + t.cr;
const gTokens = (u) => KEYS.reduce((a, k) => a + u[GKEYS[k]], 0);
const gNanos = (v) => (v === null || v === undefined ? null : Math.round(v * 1e9));
const sameFigures = (t, u) => t.messages === u.messages && KEYS.every((k) => t[k] === u[GKEYS[k]]) && t.nanos === gNanos(u.cost_usd) && t.unpriced === u.unpriced_messages;

// ------------------------------------------------------------ page helpers

async function shot(page, name, opts = {}) {
	await page.screenshot({ path: path.join(SHOTS, 'spend-' + name + '.png'), ...opts });
}

async function waitFor(page, fn, arg, what, timeout = 10000) {
	try {
		await page.waitForFunction(fn, arg, { timeout, polling: 'raf' });
		return true;
	} catch (e) {
		ok(false, 'waiting for ' + what, e.message.split('\n')[0]);
		return false;
	}
}

// Runs fn with the window as tall as the spend view, then as it was.
async function tall(page, fn) {
	const vp = page.viewportSize();
	const h = await page.evaluate(() => { const s = document.querySelector('.sp-scroll'); return s.scrollHeight - s.clientHeight; });
	await page.setViewportSize({ width: vp.width, height: vp.height + Math.max(0, h) + 8 });
	await frames(page, 4);
	await fn();
	await page.setViewportSize(vp);
	await frames(page, 2);
}

const debug = (page) => page.evaluate(() => window.hookwire.spend.debug());
const frames = (page, n = 3) => page.evaluate((n) => new Promise((r) => { const f = (k) => (k ? requestAnimationFrame(() => f(k - 1)) : r()); f(n); }), n);

// The rows of a spend table: {key, cells, data}.
const tableRows = (page, id) => page.$$eval('#' + id + ' tbody tr', (trs) => trs.map((tr) => ({ key: tr.dataset.key ?? tr.dataset.id ?? tr.dataset.turn, cells: [...tr.children].map((c) => c.textContent), data: { ...tr.dataset } })));

// WCAG contrast of the text in the elements matching sel (visible ones with
// their own text), against the first opaque background up their ancestors.
function contrastReport(page, sel) {
	return page.evaluate((sel) => {
		const rgb = (s) => {
			const m = s.match(/rgba?\(([^)]+)\)/);
			if (!m) return null;
			const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
			return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
		};
		const lum = (c) => {
			const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
			return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
		};
		const bgOf = (el) => {
			for (let e = el; e; e = e.parentElement) {
				const c = rgb(getComputedStyle(e).backgroundColor);
				if (c && c.a > 0.5) return c;
			}
			return { r: 255, g: 255, b: 255, a: 1 };
		};
		const bad = [];
		let n = 0;
		for (const el of document.querySelectorAll(sel)) {
			if (!el.offsetParent && getComputedStyle(el).position !== 'fixed') continue;
			const own = [...el.childNodes].some((x) => x.nodeType === 3 && x.textContent.trim());
			if (!own) continue;
			const cs = getComputedStyle(el);
			const fg = rgb(cs.color);
			const bg = bgOf(el);
			const a = lum(fg),
				b = lum(bg);
			const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
			const large = parseFloat(cs.fontSize) >= 24 || (parseFloat(cs.fontSize) >= 18.66 && Number(cs.fontWeight) >= 700);
			n++;
			if (ratio < (large ? 3 : 4.5)) bad.push({ text: el.textContent.trim().slice(0, 40), cls: el.className, ratio: Math.round(ratio * 100) / 100, fg: cs.color, bg: 'rgb(' + bg.r + ',' + bg.g + ',' + bg.b + ')' });
		}
		return { n, bad };
	}, sel);
}

// ------------------------------------------------------------ make demo

// What a sample's transcripts hold: its messages (each once, the last
// line's figures), with their agent and turn: the turn of the sample's
// prompt before them in the main transcript (0: before the first, an
// earlier sitting), a subagent's the turn of its Agent call.
function sampleMessages(file) {
	const hooks = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
	const prompts = new Set(hooks.filter((h) => h.hook_event_name === 'UserPromptSubmit').map((h) => h.prompt));
	const read = (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
	const msgs = new Map();
	let turn = 0;
	const agentTurn = new Map(); // Agent tool_use id -> turn
	for (const l of read(file.replace(/\.ndjson$/, '.jsonl'))) {
		if (l.type === 'user' && typeof l.message?.content === 'string' && prompts.has(l.message.content)) turn++;
		if (l.type !== 'assistant') continue;
		for (const b of l.message.content) if (b.type === 'tool_use' && b.name === 'Agent') agentTurn.set(b.id, turn);
		msgs.set(l.message.id, { model: l.message.model, agent: null, turn, in: l.message.usage.input_tokens, out: l.message.usage.output_tokens, cw: l.message.usage.cache_creation_input_tokens, cr: l.message.usage.cache_read_input_tokens });
	}
	const dir = file.replace(/\.ndjson$/, '/subagents');
	for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
		const aid = f.replace(/^agent-|\.jsonl$/g, '');
		const call = hooks.find((h) => h.hook_event_name === 'PreToolUse' && h.tool_name === 'Agent');
		for (const l of read(path.join(dir, f))) if (l.type === 'assistant') msgs.set(l.message.id, { model: l.message.model, agent: aid, turn: agentTurn.get(call?.tool_use_id) ?? turn, in: l.message.usage.input_tokens, out: l.message.usage.output_tokens, cw: l.message.usage.cache_creation_input_tokens, cr: l.message.usage.cache_read_input_tokens });
	}
	const list = [...msgs.values()].map((m) => ({ ...m, nanos: costOf(m.model, m) }));
	return { sid: hooks[0].session_id, hooks, msgs: list, turns: prompts.size, status: hooks.filter((h) => h.hook_event_name === 'StatusLine').at(-1) };
}

async function demoSamples(inst, gw, page) {
	const files = fs.readdirSync(path.join(SRC, 'contrib/samples')).filter((f) => f.endsWith('.ndjson')).sort().map((f) => path.join(SRC, 'contrib/samples', f));
	const samples = files.map(sampleMessages);
	ok(samples.every((s) => s.msgs.length > 0), 'every sample has a transcript with messages', samples.map((s) => [s.sid, s.msgs.length]));
	const t0 = Date.now();
	await new Promise((resolve, reject) => {
		const p = spawn('sh', [path.join(SRC, 'contrib/replay.sh'), '-b', BIN, '-r', '8', '-t', path.join(inst.dir, 'demo-transcripts'), ...files], { env: inst.env, stdio: ['ignore', 'inherit', 'inherit'] });
		p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error('replay.sh exited ' + code))));
	});
	for (const s of samples) await waitMessages(gw, s.sid, s.msgs.length);
	console.log('FIGURE spend_demo_replay_ms ' + (Date.now() - t0));
	const G = new Map((await apiSessions(gw)).map((x) => [x.session_id, x]));
	for (const s of samples) {
		const u = G.get(s.sid)?.usage;
		ok(u && sameFigures(sum(s.msgs), u), 'sample ' + path.basename(s.hooks[0].cwd) + ': event-usage counted its transcripts, priced', { want: sum(s.msgs), gateway: u });
		const cc = s.status ? s.status.cost.total_cost_usd : null;
		ok(u && u.claude_code_cost_usd === cc, 'sample ' + path.basename(s.hooks[0].cwd) + ': Claude Code\'s figure from its last status line', { gateway: u?.claude_code_cost_usd, sample: cc });
	}
	// The session list: the gateway's figures.
	const want = Object.fromEntries(samples.map((s) => [s.sid, [String(gTokens(G.get(s.sid).usage)), String(gNanos(G.get(s.sid).usage.cost_usd))]]));
	const listed = await page
		.waitForFunction((want) => Object.entries(want).every(([id, [t, c]]) => { const e = document.querySelector('#sessions li.session[data-id="' + id + '"] .s-spend'); return e && e.dataset.tokens === t && e.dataset.cost === c; }), want, { timeout: 10000 })
		.then(() => true, () => false);
	ok(listed, 'the samples in the session list: the gateway\'s figures', { want, got: await page.$$eval('#sessions li.session .s-spend', (els) => els.map((e) => [e.closest('li').dataset.id, e.dataset.tokens, e.dataset.cost])) });
	// The view of each sample: its turns (an earlier sitting first).
	await page.click('#tab-spend');
	for (const s of samples) {
		await page.click('#sessions li.session[data-id="' + s.sid + '"]');
		const nTurns = s.turns + (s.msgs.some((m) => m.turn === 0) ? 1 : 0);
		await waitFor(page, (a) => window.hookwire.spend.debug().session === a.sid && window.hookwire.spend.debug().turns.length === a.n && window.hookwire.spend.debug().page.messages === a.m, { sid: s.sid, n: nTurns, m: s.msgs.length }, 'the view of sample ' + s.sid);
		await page.click('.sp-head [data-unit="cost"]');
		await frames(page);
		const d = await debug(page);
		const want = [...new Set(s.msgs.map((m) => m.turn))].sort().map((n) => ({ n, ...sum(s.msgs.filter((m) => m.turn === n)) }));
		ok(d.turns.length === want.length && d.turns.every((t, i) => t.n === want[i].n && t.messages === want[i].messages && t.nanos === want[i].nanos) && d.bars.length === want.length, 'sample ' + path.basename(s.hooks[0].cwd) + ': its turns, each with its messages', { page: d.turns.map((t) => [t.n, t.messages, t.nanos]), want: want.map((t) => [t.n, t.messages, t.nanos]) });
	}
	// data-pipeline: resumed (its history before the prompt), compacted.
	const dp = samples.find((s) => s.hooks.some((h) => h.hook_event_name === 'PreCompact'));
	await page.click('#sessions li.session[data-id="' + dp.sid + '"]');
	await waitFor(page, (sid) => window.hookwire.spend.debug().session === sid, dp.sid, 'the data-pipeline sample');
	await frames(page);
	const d = await debug(page);
	const ctxs = d.context.map((p) => p.ctx);
	ok(d.turns[0].n === 0 && d.turns[0].messages === dp.msgs.filter((m) => m.turn === 0).length && ctxs.at(-1) < Math.max(...ctxs) / 4 && d.window.size === 200000 && !d.window.assumed, 'data-pipeline: the earlier sitting before the first prompt, the context falls after the compaction', { turns: d.turns.map((t) => [t.n, t.messages]), ctxs, window: d.window });
	await tall(page, () => shot(page, 'demo-resumed'));
	await page.click('#sessions li.session[data-id="' + samples.find((s) => s.hooks.some((h) => h.agent_id)).sid + '"]');
	await frames(page, 6);
	await tall(page, () => shot(page, 'demo-subagent'));
	await page.click('.sp-back');
	await frames(page, 6);
	await shot(page, 'demo-overview');
}

// ------------------------------------------------------------ the test

async function main() {
	for (const b of ['ws-gateway', 'event-router', 'event-usage', 'hook-capture']) if (!fs.existsSync(path.join(BIN, b))) throw new Error(path.join(BIN, b) + ' is not built: run make bins');
	let chromium;
	try {
		({ chromium } = await import('playwright-core'));
	} catch (e) {
		throw new Error('the npm package playwright-core is missing (' + e.code + '): run make deps');
	}
	if (!fs.existsSync(CHROMIUM)) throw new Error(CHROMIUM + ' is missing: run make deps');

	const inst = makeInstance('spend');
	delete inst.env.CLAUDE_PROJECT_DIR;
	inst.env.HOOKWIRE_USAGE_REREAD_MS = '100,300,800';
	const router = await startRouter(inst);
	const gw = await startGateway(inst, ['--dashboard', path.join(SRC, 'ws-gateway/dashboard')]);
	const usage = await startDaemon(inst, 'usage', path.join(BIN, 'event-usage'), [...inst.args, '--prices', PRICES, '--log-file', path.join(inst.dir, 'usage.jsonlog')]);
	const base = gw.url;
	const T = gw.token;
	console.log('gateway on ' + base);

	const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
	const errors = [];
	const watch = (page, name) => {
		page.on('pageerror', (e) => errors.push(name + ': ' + e.message));
		page.on('console', (m) => m.type() === 'error' && errors.push(name + ': ' + m.text()));
	};
	try {
		// A page open from the start: everything arrives live.
		const ctx = await browser.newContext({ viewport: { width: 1440, height: 1000 }, colorScheme: 'light' });
		const page = await ctx.newPage();
		watch(page, 'live page');
		await page.goto(base + '/#token=' + T);
		await waitFor(page, () => window.hookwire && ['connected', 'recovered'].includes(window.hookwire.connState()), null, 'the page to connect', 20000);

		// 1. Yesterday's session: canonical events with yesterday's time.
		const y = { sid: crypto.randomUUID(), cwd: '/home/dev/old-cli' };
		const yTs = (k) => new Date(Date.now() - 30 * 3600e3 + k * 1000).toISOString().replace('Z', '000Z');
		const yMsgs = [
			{ model: MODELS.sonnet, in: 12, out: 800, cw: 9000, cr: 40000 },
			{ model: MODELS.sonnet, in: 8, out: 300, cw: 1200, cr: 49000 },
		].map((m) => ({ ...m, nanos: costOf(m.model, m) }));
		const base1 = (k, event, data) => ({ id: randomHex(16), ts: yTs(k), event, session_id: y.sid, cwd: y.cwd, host: 'dev1', user: 'dev', project: y.cwd, files: [], data });
		await ingestEvents(inst, [
			base1(0, 'UserPromptSubmit', { hook_event_name: 'UserPromptSubmit', session_id: y.sid, prompt: 'Bump the CLI version.' }),
			...yMsgs.map((m, i) => base1(i + 1, 'usage', { source: 'transcript', message_id: 'msg_yday' + i, model: m.model, input_tokens: m.in, output_tokens: m.out, cache_creation_input_tokens: m.cw, cache_read_input_tokens: m.cr, cache_creation_1h_input_tokens: 0, cost_usd: m.nanos / 1e9 })),
			base1(4, 'Stop', { hook_event_name: 'Stop', session_id: y.sid }),
		]);

		// 2. checkout: three turns, a subagent on another model, the status line.
		const A = newSession(inst, 'checkout', '/home/dev/checkout');
		const explore = { id: randomHex(8), type: 'Explore', desc: 'Find where invoice totals are rounded', msgs: [
			{ model: MODELS.haiku, u: { in: 10, out: 210, cw: 8200, cr: 0 }, tool: 'Grep' },
			{ model: MODELS.haiku, u: { in: 6, out: 180, cw: 2100, cr: 8200 }, tool: 'Read' },
			{ model: MODELS.haiku, u: { in: 4, out: 320, cw: 900, cr: 10300 } },
		] };
		await hook(inst, A, 'SessionStart', { source: 'startup', model: MODELS.sonnet });
		await turn(inst, gw, A, 'Invoice totals are off by a cent for some carts: find out why.', [
			{ model: MODELS.sonnet, u: { in: 3, out: 140, cw: 15200, cr: 0 }, tool: 'Read' },
			{ model: MODELS.sonnet, u: { in: 5, out: 260, cw: 2100, cr: 15200 }, agent: explore },
			{ model: MODELS.sonnet, u: { in: 4, out: 610, cw: 1300, cr: 17300 } },
		]);
		let est = sum(A.msgs).nanos;
		await statusLine(inst, A, MODELS.sonnet, (est + 21000000) / 1e9, 200000, 18600);
		await turn(inst, gw, A, 'Round per line, then sum; add a test for the 3 x 0.335 cart.', [
			{ model: MODELS.sonnet, u: { in: 6, out: 420, cw: 2600, cr: 18600 }, tool: 'Edit' },
			{ model: MODELS.sonnet, u: { in: 5, out: 380, cw: 1900, cr: 21200 }, tool: 'Write' },
			{ model: MODELS.sonnet, u: { in: 4, out: 90, cw: 1100, cr: 23100 }, tool: 'Bash' },
			{ model: MODELS.sonnet, u: { in: 3, out: 450, cw: 700, cr: 24200 } },
		]);
		await turn(inst, gw, A, 'Thanks. Write the commit message.', [{ model: MODELS.sonnet, u: { in: 9, out: 160, cw: 800, cr: 24900 } }]);
		est = sum(A.msgs).nanos;
		const ccA = est + 37500000; // Claude Code's own figure: a little more than the estimate
		await statusLine(inst, A, MODELS.sonnet, ccA / 1e9, 200000, 25709);

		// 3. notebooks: a model without a price.
		const B = newSession(inst, 'notebooks', '/home/dev/notebooks');
		await turn(inst, gw, B, 'Vectorise the feature loop in prep.py.', [
			{ model: MODELS.qwen, u: { in: 5200, out: 700, cw: 0, cr: 0 }, tool: 'Read' },
			{ model: MODELS.qwen, u: { in: 6100, out: 1300, cw: 0, cr: 0 } },
		]);
		await turn(inst, gw, B, 'Now the tests.', [{ model: MODELS.qwen, u: { in: 7400, out: 900, cw: 0, cr: 0 } }]);

		// 4. docs: priced main thread, a subagent on a model without a price.
		const C = newSession(inst, 'docs', '/home/dev/docs-site');
		const helper = { id: randomHex(8), type: 'general-purpose', desc: 'Check every link', msgs: [
			{ model: MODELS.mystery, u: { in: 900, out: 400, cw: 0, cr: 0 }, tool: 'Read' },
			{ model: MODELS.mystery, u: { in: 1400, out: 250, cw: 0, cr: 0 } },
		] };
		await turn(inst, gw, C, 'Fix the broken links in the guide.', [
			{ model: MODELS.opus, u: { in: 3, out: 300, cw: 21000, cr: 0 }, agent: helper },
			{ model: MODELS.opus, u: { in: 4, out: 520, cw: 1500, cr: 21000 } },
		]);
		await turn(inst, gw, C, 'Also the images.', [
			{ model: MODELS.opus, u: { in: 6, out: 200, cw: 900, cr: 22500 }, tool: 'Edit' },
			{ model: MODELS.opus, u: { in: 2, out: 150, cw: 400, cr: 23400 } },
		]);

		// 5. The gateway's figures equal the transcripts' and the prices'.
		const G = new Map((await apiSessions(gw)).map((x) => [x.session_id, x]));
		for (const s of [A, B, C]) ok(G.get(s.sid)?.usage && sameFigures(sum(s.msgs), G.get(s.sid).usage), s.name + ': the gateway\'s totals are the transcript\'s messages priced', { want: sum(s.msgs), gateway: G.get(s.sid)?.usage });
		ok(G.get(y.sid)?.usage && sameFigures(sum(yMsgs), G.get(y.sid).usage), 'yesterday\'s session: its totals');
		ok(G.get(A.sid)?.usage?.claude_code_cost_usd === ccA / 1e9 && G.get(A.sid)?.usage?.context_window === 200000, 'checkout: Claude Code\'s cost and window from the last status line', G.get(A.sid)?.usage);
		ok(G.get(B.sid)?.usage?.cost_usd === null && G.get(B.sid)?.usage?.unpriced_messages === 3, 'notebooks: cost null, three unpriced messages');

		// 6. The session list: each session's line, the gateway's figures.
		// (the gateway sends the sessions at most once a second)
		const wantTokens = Object.fromEntries([A, B, C, y].map((s) => [s.sid, String(gTokens(G.get(s.sid).usage))]));
		await waitFor(page, (want) => Object.entries(want).every(([id, t]) => document.querySelector('#sessions li.session[data-id="' + id + '"] .s-spend')?.dataset.tokens === t), wantTokens, 'a spend line on every session, up to date');
		await waitFor(page, (want) => document.querySelector('#sessions li.session[data-id="' + want.id + '"] .s-spend')?.dataset.claudeCost === want.cc, { id: A.sid, cc: String(ccA) }, 'the last status line on the page');
		const lines = await page.$$eval('#sessions li.session .s-spend', (els) => Object.fromEntries(els.map((e) => [e.closest('li').dataset.id, { text: e.textContent, title: e.title, ...e.dataset }])));
		for (const s of [A, B, C, y]) {
			const u = G.get(s.sid).usage;
			const l = lines[s.sid];
			const n = gNanos(u.cost_usd);
			ok(l && l.tokens === String(gTokens(u)) && l.cost === (n === null ? '' : String(n)) && l.claudeCost === (u.claude_code_cost_usd === null ? '' : String(gNanos(u.claude_code_cost_usd))), (s.name || 'yesterday') + ': the session list holds the gateway\'s exact figures', { line: l, gateway: u });
			ok(l && l.text.startsWith(fmt.fmtTokens(gTokens(u)) + ' tok · ') && l.title.includes(fmt.fmtCount(gTokens(u)) + ' tokens'), (s.name || 'yesterday') + ': and shows its tokens', l && l.text);
		}
		ok(lines[A.sid].text === fmt.fmtTokens(gTokens(G.get(A.sid).usage)) + ' tok · ' + fmt.fmtCost(est / 1e9) + ' est. · CC ' + fmt.fmtCost(ccA / 1e9), 'checkout: the estimate and Claude Code\'s own figure beside it', lines[A.sid].text);
		ok(lines[B.sid].text.includes('cost unknown') && !/\$0\b|\$0\.0+\b/.test(lines[B.sid].text) && lines[B.sid].title.includes(MODELS.qwen), 'notebooks: "cost unknown", not $0, naming the model', lines[B.sid]);
		const nC = sum(C.msgs).nanos;
		ok(lines[C.sid].text.includes(fmt.fmtCost(nC / 1e9) + ' + ? est.') && lines[C.sid].title.includes('2 of unknown cost'), 'docs: the estimate of the priced messages, and "+ ?" for the others', lines[C.sid]);
		await shot(page, 'session-list', { clip: { x: 0, y: 0, width: 320, height: 420 } });

		// 7. The header: today's total is the sum of today's sessions.
		const today = [A, B, C].map((s) => G.get(s.sid).usage);
		const todayNanos = today.reduce((a, u) => a + (gNanos(u.cost_usd) || 0), 0);
		const todayTokens = today.reduce((a, u) => a + gTokens(u), 0);
		await waitFor(page, (n) => document.getElementById('spend-today')?.dataset.tokens === String(n), todayTokens, 'today\'s total in the header');
		const head = await page.$eval('#spend-today', (b) => ({ text: b.textContent, hidden: b.hidden, title: b.title, ...b.dataset }));
		ok(!head.hidden && head.cost === String(todayNanos) && head.tokens === String(todayTokens), 'the header\'s total for today = the sum of today\'s three sessions, not yesterday\'s', { head, todayNanos, todayTokens });
		ok(head.text === 'Today ' + fmt.fmtCost(todayNanos / 1e9) + ' + ? · ' + fmt.fmtTokens(todayTokens) + ' tok', 'it reads: today, the estimate, "+ ?" for unknown costs, the tokens', head.text);
		ok([MODELS.sonnet, MODELS.haiku, MODELS.opus, MODELS.qwen, MODELS.mystery].every((m) => head.title.includes(m)), 'its title has the models', head.title);

		// 8. The spend view: the overview.
		await page.click('#spend-today');
		await waitFor(page, () => window.hookwire.ui.tab === 'spend' && window.hookwire.spend.debug().overview, null, 'the spend overview');
		ok(new URL(page.url()).hash === '#view=spend', 'the header opens the spend view, in the address', page.url());
		let d = await debug(page);
		ok(d.today && d.today.sessions === 3 && d.today.nanos === todayNanos && d.today.ids.sort().join() === [A.sid, B.sid, C.sid].sort().join(), 'the overview\'s today: the three sessions of today', d.today);
		const byModel = new Map();
		for (const u of today)
			for (const m of u.models) {
				const e = byModel.get(m.model) || { messages: 0, in: 0, out: 0, cw: 0, cr: 0, nanos: null, unpriced: 0 };
				e.messages += m.messages;
				for (const k of KEYS) e[k] += m[GKEYS[k]];
				if (m.cost_usd !== null) e.nanos = (e.nanos || 0) + gNanos(m.cost_usd);
				e.unpriced += m.unpriced_messages;
				byModel.set(m.model, e);
			}
		let rows = await tableRows(page, 'sp-today-models');
		ok(rows.length === byModel.size && rows.every((r) => { const e = byModel.get(r.key); return e && r.data.messages === String(e.messages) && r.data.tokens === [e.in, e.out, e.cw, e.cr].join() && r.data.cost === (e.nanos === null ? '' : String(e.nanos)); }), 'today by model: the sums of the sessions\' models', { rows: rows.map((r) => [r.key, r.data]), want: [...byModel] });
		ok(rows.filter((r) => r.key === MODELS.qwen || r.key === MODELS.mystery).every((r) => r.cells[7] === 'cost unknown'), 'models without a price: "cost unknown"', rows.map((r) => r.cells[7]));
		rows = await tableRows(page, 'sp-sessions');
		ok(rows.length === 4 && [A, B, C, y].every((s) => rows.some((r) => r.key === s.sid && r.data.cost === (gNanos(G.get(s.sid).usage.cost_usd) === null ? '' : String(gNanos(G.get(s.sid).usage.cost_usd))) && r.data.tokens === String(gTokens(G.get(s.sid).usage)))), 'the sessions table: every session with its figures, yesterday\'s too', rows.map((r) => [r.key, r.data]));
		ok(rows.find((r) => r.key === B.sid)?.cells[5] === 'cost unknown', 'notebooks in the table: cost unknown', rows.find((r) => r.key === B.sid)?.cells);
		await frames(page);
		await shot(page, 'overview');

		// 9. One session: checkout.
		await page.click('#sp-sessions tr[data-id="' + A.sid + '"]');
		await waitFor(page, (sid) => window.hookwire.spend.debug().session === sid && window.hookwire.spend.debug().turns.length === 3, A.sid, 'the checkout session\'s spend');
		ok(new URL(page.url()).hash === '#view=spend&session=' + A.sid, 'the session is in the address', page.url());
		await page.click('.sp-head [data-unit="cost"]');
		await frames(page);
		d = await debug(page);
		const uA = G.get(A.sid).usage;
		const turnsA = [1, 2, 3].map((n) => sum(A.msgs.filter((m) => m.turn === n)));
		ok(d.unit === 'cost' && d.bars.length === 3 && d.bars.every((b) => b.w > 0), 'a bar per turn: three', d.bars.map((b) => [b.n, b.total, b.w]));
		ok(d.turns.every((t, i) => t.n === i + 1 && t.messages === turnsA[i].messages && KEYS.every((k) => t[k] === turnsA[i][k]) && t.nanos === turnsA[i].nanos), 'each turn has its own messages: the prompt\'s, the subagent\'s, up to the next prompt', { page: d.turns, want: turnsA });
		ok(d.bars.every((b, i) => b.total === turnsA[i].nanos && b.parts.reduce((a, v) => a + v, 0) === b.total), 'each bar\'s height is its turn\'s cost, its parts add up to it', d.bars.map((b) => [b.total, b.parts]));
		ok(d.bars.reduce((a, b) => a + b.total, 0) === gNanos(uA.cost_usd), 'the bars add up to the gateway\'s estimate for the session', { bars: d.bars.reduce((a, b) => a + b.total, 0), gateway: gNanos(uA.cost_usd) });
		const r0 = rates(MODELS.sonnet);
		const m0 = A.msgs[0];
		ok(d.turns[0].kn.cw === A.msgs.filter((m) => m.turn === 1).reduce((a, m) => a + m.cw * rates(m.model)[2], 0) && d.turns[0].kn.cr === A.msgs.filter((m) => m.turn === 1).reduce((a, m) => a + m.cr * rates(m.model)[4], 0) && r0[2] * m0.cw > 0, 'the cost is stacked by kind at each model\'s rates', d.turns[0].kn);
		const stops = await page.evaluate((sid) => window.hookwire.store.events.filter((e) => e.session_id === sid && e.event === 'Stop').map((e) => e.seq), A.sid);
		ok(d.turns.every((t, i) => t.stop === stops[i]), 'each turn ends with its Stop', { turns: d.turns.map((t) => t.stop), stops });
		await page.click('.sp-head [data-unit="tokens"]');
		await waitFor(page, () => window.hookwire.spend.debug().unit === 'tokens', null, 'the bars in tokens');
		d = await debug(page);
		ok(d.bars.every((b, i) => b.total === tokens(turnsA[i])) && d.bars.reduce((a, b) => a + b.total, 0) === gTokens(uA), 'in tokens: each turn\'s tokens, adding up to the gateway\'s', d.bars.map((b) => b.total));
		rows = await tableRows(page, 'sp-turns-table');
		ok(rows.length === 3 && rows.every((r, i) => r.data.tokens === String(tokens(turnsA[i])) && r.data.cost === String(turnsA[i].nanos) && r.cells[1] === A.prompts[i] && r.cells[2] === String(turnsA[i].messages)), 'the turns table: the same figures, with the prompts', rows.map((r) => r.cells));
		// Agents and models: the gateway's.
		rows = await tableRows(page, 'sp-agents');
		ok(rows.length === uA.agents.length && uA.agents.every((a) => { const r = rows.find((r) => r.key === (a.agent_id ?? '')); return r && r.data.messages === String(a.messages) && r.data.tokens === KEYS.map((k) => a[GKEYS[k]]).join() && r.data.cost === String(gNanos(a.cost_usd)); }), 'the agents table: the gateway\'s figures per agent', { rows: rows.map((r) => [r.key, r.data]), gateway: uA.agents });
		ok(rows[0].cells[0] === 'main' && rows[1].cells[0] === 'Explore ' + explore.id.slice(0, 8) && rows[1].data.tokens === [sum(A.msgs.filter((m) => m.agent)).in, sum(A.msgs.filter((m) => m.agent)).out, sum(A.msgs.filter((m) => m.agent)).cw, sum(A.msgs.filter((m) => m.agent)).cr].join(), 'the main thread and the Explore subagent, its own messages', rows.map((r) => r.cells));
		rows = await tableRows(page, 'sp-models');
		ok(rows.length === 2 && uA.models.every((m) => { const r = rows.find((r) => r.key === m.model); return r && r.data.messages === String(m.messages) && r.data.tokens === KEYS.map((k) => m[GKEYS[k]]).join() && r.data.cost === String(gNanos(m.cost_usd)) && r.cells[7] === fmt.fmtCost(m.cost_usd); }), 'the models table: the gateway\'s figures per model', { rows: rows.map((r) => [r.key, r.cells]), gateway: uA.models });
		// The figures at the top.
		const tA = sum(A.msgs);
		const ratio = tA.cr / (tA.in + tA.cw + tA.cr);
		const kp = await page.$$eval('.sp-kpi', (els) => els.map((e) => ({ label: e.querySelector('.sp-kpi-label').textContent, value: e.querySelector('.sp-kpi-value').textContent, text: e.textContent, ...e.dataset })));
		const kpi = (l) => kp.find((k) => k.label === l) || {};
		ok(kpi('Cache hit ratio').ratio === String(ratio) && kpi('Cache hit ratio').value === (ratio * 100).toFixed(1) + '%', 'the cache hit ratio: cache read ÷ (input + cache write + cache read)', { page: kpi('Cache hit ratio'), want: ratio });
		ok(kpi('Estimated cost').cost === String(est) && kpi('Estimated cost').value === fmt.fmtCost(est / 1e9), 'the estimate', kpi('Estimated cost'));
		ok(kpi('Claude Code\'s own cost').cost === String(ccA) && kpi('Claude Code\'s own cost').value === fmt.fmtCost(ccA / 1e9) && kpi('Claude Code\'s own cost').text.includes('+' + fmt.fmtCost((ccA - est) / 1e9)), 'Claude Code\'s own figure beside it, with the difference', kpi('Claude Code\'s own cost'));
		ok(kpi('Tokens').tokens === String(gTokens(uA)), 'the tokens', kpi('Tokens'));
		// The context window: from the status line; a point per message.
		const lastMain = A.msgs.filter((m) => !m.agent).at(-1);
		ok(d.window && d.window.size === 200000 && d.window.assumed === false && d.window.now === lastMain.in + lastMain.cw + lastMain.cr, 'the context window: Claude Code\'s size, the last message\'s context', d.window);
		ok(d.context.length === A.msgs.length && d.contextDrawn === A.msgs.length && d.context.filter((p) => p.agent).length === 3, 'the context chart: a point per message, the subagent\'s apart', { points: d.context.length, drawn: d.contextDrawn });
		ok(kpi('Context now').value === fmt.fmtTokens(d.window.now) + ' of 200k' && kpi('Context now').text.includes('from Claude Code'), 'context now: of the window Claude Code reported', kpi('Context now'));
		await page.click('.sp-head [data-unit="cost"]');
		await waitFor(page, () => window.hookwire.spend.debug().unit === 'cost', null, 'the bars in cost again');
		const dA = await debug(page);
		// hover the second turn: the tooltip
		const bar = (await debug(page)).bars[1];
		const box = await page.$eval('#sp-turns-canvas', (c) => { const r = c.getBoundingClientRect(); return { x: r.x, y: r.y, h: r.height }; });
		await page.mouse.move(box.x + bar.x + bar.w / 2, box.y + box.h - 40);
		await waitFor(page, () => !document.querySelector('.sp-turns-card .tip').hidden, null, 'the turn\'s tooltip');
		const tip = await page.textContent('.sp-turns-card .tip');
		ok(tip.startsWith('Turn 2 · ' + fmt.fmtCost(turnsA[1].nanos / 1e9)) && tip.includes(A.prompts[1]), 'hovering a bar shows its turn', tip);
		await page.$eval('.sp-ctx-card details', (e) => (e.open = true));
		await frames(page);
		rows = await tableRows(page, 'sp-ctx-table');
		ok(rows.length === A.msgs.length && rows.at(-1).cells[4] === fmt.fmtCount(lastMain.in + lastMain.cw + lastMain.cr), 'the context table: a row per message', rows.at(-1)?.cells);
		await shot(page, 'session');
		// The whole view, in a window tall enough for it.
		await tall(page, async () => {
			await page.mouse.move(box.x + bar.x + bar.w / 2, box.y + box.h - 40);
			await shot(page, 'session-tall');
		});

		// 10. notebooks: cost unknown everywhere, never $0.
		await page.click('#sessions li.session[data-id="' + B.sid + '"]');
		await waitFor(page, (sid) => window.hookwire.spend.debug().session === sid && window.hookwire.spend.debug().turns.length === 2, B.sid, 'the notebooks session');
		d = await debug(page);
		const viewText = await page.textContent('#view-spend');
		ok(d.unit === 'tokens' && (await page.$eval('.sp-head [data-unit="cost"]', (b) => b.disabled)), 'no price: the bars show tokens, the cost button is off', d.unit);
		ok(!/\$0(?![.\d]*[1-9])/.test(viewText) && viewText.includes('cost unknown'), 'no "$0" in the view, "cost unknown" instead', viewText.match(/.{0,30}\$0.{0,30}/g));
		ok(kpi('Estimated cost') && (await page.$eval('.sp-kpi', (e) => e.querySelector('.sp-kpi-value').textContent)) === 'cost unknown', 'the estimate: cost unknown');
		ok(d.window && d.window.size === 0, 'a model that is not Claude: the window is not guessed', d.window);
		ok((await page.textContent('.sp-ctx-card')).includes('the window\'s size is not known'), 'and the view says so');
		const turnsB = [1, 2].map((n) => sum(B.msgs.filter((m) => m.turn === n)));
		ok(d.bars.length === 2 && d.bars.every((b, i) => b.total === tokens(turnsB[i])), 'its bars: tokens per turn', d.bars.map((b) => b.total));
		await tall(page, () => shot(page, 'unpriced'));
		// "cost unknown" on the selected row too
		const SPEND_TEXT = '#view-spend, #view-spend *, .s-spend, .s-spend *, #spend-today';
		let cr = await contrastReport(page, SPEND_TEXT);
		ok(cr.n > 40 && cr.bad.length === 0, 'text contrast at least 4.5:1 (light, an unpriced session selected)', cr);

		// 11. docs: an estimate and messages of unknown cost; the window assumed.
		await page.click('#sessions li.session[data-id="' + C.sid + '"]');
		await waitFor(page, (sid) => window.hookwire.spend.debug().session === sid && window.hookwire.spend.debug().unit === 'cost', C.sid, 'the docs session');
		d = await debug(page);
		const uC = G.get(C.sid).usage;
		const turnsC = [1, 2].map((n) => sum(C.msgs.filter((m) => m.turn === n)));
		ok(d.bars.length === 2 && d.bars.every((b, i) => b.total === turnsC[i].nanos && b.unpriced === turnsC[i].unpriced) && d.bars.reduce((a, b) => a + b.total, 0) === gNanos(uC.cost_usd), 'docs: the bars are the priced messages\' cost, the unpriced counted apart', d.bars.map((b) => [b.total, b.unpriced]));
		rows = await tableRows(page, 'sp-turns-table');
		ok(rows[0].cells[8] === fmt.fmtCost(turnsC[0].nanos / 1e9) + ' + unknown' && rows[1].cells[8] === fmt.fmtCost(turnsC[1].nanos / 1e9), 'the turn with unpriced messages says "+ unknown"', rows.map((r) => r.cells[8]));
		rows = await tableRows(page, 'sp-models');
		ok(rows.find((r) => r.key === MODELS.mystery)?.cells[7] === 'cost unknown' && rows.find((r) => r.key === MODELS.opus)?.data.cost === String(gNanos(uC.models.find((m) => m.model === MODELS.opus).cost_usd)), 'the models table: the unpriced model "cost unknown"', rows.map((r) => r.cells));
		rows = await tableRows(page, 'sp-agents');
		ok(rows.length === 2 && rows.find((r) => r.key === helper.id)?.cells[7] === 'cost unknown' && rows.find((r) => r.key === '')?.data.cost === String(gNanos(uC.agents.find((a) => a.agent_id === null).cost_usd)), 'the agents table: the subagent on the unpriced model "cost unknown"', rows.map((r) => r.cells));
		const lastC = C.msgs.filter((m) => !m.agent).at(-1);
		ok(d.window && d.window.size === 200000 && d.window.assumed === true && d.window.now === lastC.in + lastC.cw + lastC.cr, 'no status line: the window is assumed from the model', d.window);
		ok((await page.textContent('.sp-ctx-card')).includes('assumed for ' + MODELS.opus), 'and marked as assumed');
		await tall(page, () => shot(page, 'partly-priced'));
		cr = await contrastReport(page, SPEND_TEXT);
		ok(cr.n > 40 && cr.bad.length === 0, 'text contrast at least 4.5:1 (light)', cr);

		// 12. A page opened now gets it all from history, and shows the same.
		const ctx2 = await browser.newContext({ viewport: { width: 1440, height: 1000 }, colorScheme: 'dark' });
		const p2 = await ctx2.newPage();
		watch(p2, 'history page');
		const n = await page.evaluate(() => window.hookwire.store.size);
		await p2.goto(base + '/#view=spend&session=' + A.sid + '&token=' + T);
		await waitFor(p2, (n) => window.hookwire && window.hookwire.store.size >= n && window.hookwire.spend.debug().turns.length === 3, n, 'the history page');
		await p2.click('.sp-head [data-unit="cost"]');
		await frames(p2);
		const d2 = await debug(p2);
		ok(JSON.stringify(d2.turns) === JSON.stringify(dA.turns) && d2.bars.length === 3 && d2.bars.every((b, i) => b.total === turnsA[i].nanos), 'a page loading history shows the same turns and bars', d2.bars.map((b) => b.total));
		ok(d2.pulled === 0 && dA.pulled === 0, 'from the events it loaded: it asked the gateway for none apart', { history: d2.pulled, live: dA.pulled });
		// (the session list is redrawn at most twice a second: wait for its lines)
		await waitFor(p2, (ids) => ids.every((id) => document.querySelector('#sessions li.session[data-id="' + id + '"] .s-spend')), [A, B, C, y].map((s) => s.sid), 'the session list with its spend');
		const lines2 = await p2.$$eval('#sessions li.session .s-spend', (els) => Object.fromEntries(els.map((e) => [e.closest('li').dataset.id, { text: e.textContent, ...e.dataset }])));
		ok([A, B, C, y].every((s) => lines2[s.sid] && lines2[s.sid].text === lines[s.sid].text && lines2[s.sid].cost === lines[s.sid].cost && lines2[s.sid].tokens === wantTokens[s.sid]), 'and the same session list', lines2);
		await frames(p2);
		await tall(p2, () => shot(p2, 'session-dark'));
		await p2.click('#sessions li.session[data-id="' + B.sid + '"]');
		await waitFor(p2, (sid) => window.hookwire.spend.debug().session === sid, B.sid, 'an unpriced session, dark');
		await frames(p2);
		cr = await contrastReport(p2, SPEND_TEXT);
		ok(cr.n > 40 && cr.bad.length === 0, 'text contrast at least 4.5:1 (dark)', cr);
		await ctx2.close();
		// Narrow.
		const ctx3 = await browser.newContext({ viewport: { width: 390, height: 900 }, colorScheme: 'light' });
		const p3 = await ctx3.newPage();
		watch(p3, 'narrow page');
		await p3.goto(base + '/#view=spend&session=' + A.sid + '&token=' + T);
		await waitFor(p3, () => window.hookwire && window.hookwire.spend.debug().turns.length === 3, null, 'the narrow page');
		await frames(p3);
		ok((await p3.evaluate(() => document.documentElement.scrollWidth)) <= 390, 'no horizontal overflow at 390 px');
		await shot(p3, 'narrow');
		await ctx3.close();

		// 13. make demo: the samples and their transcripts, through the replay.
		await demoSamples(inst, gw, page);

		ok(errors.length === 0, 'no errors in the pages\' consoles', errors.slice(0, 5));
		await ctx.close();
	} finally {
		await browser.close();
		const bad = [...(await stopClean(usage)), ...(await stopClean(gw)), ...(await stopClean(router))];
		ok(bad.length === 0, 'event-usage, event-router and ws-gateway exit cleanly', bad);
		if (checks.failures) dumpLogs(inst);
	}
}

try {
	await main();
} catch (e) {
	checks.failures++;
	console.log('FAIL: ' + (e && e.stack ? e.stack : e));
}
console.log(checks.count + ' checks, ' + checks.failures + ' failed');
process.exit(checks.failures ? 1 : 0);
