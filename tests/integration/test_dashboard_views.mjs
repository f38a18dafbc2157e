// test_dashboard_views.mjs: the dashboard's timeline, pulse, conversation
// and filters in headless Chromium against the real pipeline.
//
// Starts event-router and ws-gateway (gwlib.mjs: private instance, readiness
// fds), feeds the sample sessions (contrib/samples, through contrib/replay.sh
// and so through real hook-capture processes) and one hand-built session,
// also through real hook-capture processes: a main agent with two parallel
// calls, an Explore subagent with a failing Read, a failing Bash, a Plan
// subagent whose call is still running, Claude's text and a Stop.  What the
// views must show is worked out here from the gateway's /api/events (a
// reader independent of the page), then compared with what the page shows:
//   timeline      lanes = agents, spans = tool calls, failed and running
//                 counts, parallel calls on two rows, a failed span drawn
//                 red where the page says it is, the tooltip on hover, the
//                 keyboard (arrows, Enter), the text alternative, a live
//                 event extending it
//   pulse         per-session counts = events per session, distinct
//                 colours, the 1/3/5 min ranges
//   filters       event x tool x agent x session x text combined, in the
//                 address (never the token), restored by a reload and a
//                 shared link, back and forward step through them
//   conversation  items in event order (subagent runs nested), outcomes,
//                 output on demand, Stop messages, the keyboard
//   accessibility every control reached with Tab, a visible focus, text
//                 contrast (light and dark), labelled canvases
//   frame time    a session of 6,000 calls over three agents, zoomed and
//                 panned every frame while 200 events/s arrive
//                 (FIGURE timeline_fps_6k, timeline_draw_ms_p95, ...)
// and no error in any page's console.  Screenshots of each view go to
// $HOOKWIRE_TEST_OUT/screenshots/views-*.png.  Exits 1 if a check failed.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import crypto from 'node:crypto';
import { makeInstance, startRouter, startGateway, stopClean, capture, dumpLogs, randomHex, SRC, BIN, makeChecks, CHROMIUM, CHROMIUM_ARGS } from './gwlib.mjs';

const OUT = process.env.HOOKWIRE_TEST_OUT || path.join(SRC, 'build/test-out');
const SHOTS = path.join(OUT, 'screenshots');
fs.mkdirSync(SHOTS, { recursive: true });
const SAMPLES = fs
	.readdirSync(path.join(SRC, 'contrib/samples'))
	.filter((f) => f.endsWith('.ndjson'))
	.sort()
	.map((f) => path.join(SRC, 'contrib/samples', f));

const checks = makeChecks();
const ok = checks.ok;

// ------------------------------------------------------------ feeding

// Plays the samples side by side, rate lines per second each (the pulse
// then has a few seconds to show).
function replay(inst, files, rate = 6) {
	return new Promise((resolve, reject) => {
		const p = spawn('sh', [path.join(SRC, 'contrib/replay.sh'), '-b', BIN, '-r', String(rate), '-t', path.join(inst.dir, 'transcripts'), ...files], { env: inst.env, stdio: ['ignore', 'inherit', 'inherit'] });
		p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error('replay.sh exited ' + code))));
	});
}

// The hand-built session: hook inputs as Claude Code sends them, each fed
// to its own hook-capture process, in order.
function handSession() {
	const sid = crypto.randomUUID();
	const tag = randomHex(4);
	const cwd = '/home/dev/shop-ui';
	const base = { session_id: sid, transcript_path: '/home/dev/.claude/projects/-home-dev-shop-ui/' + sid + '.jsonl', cwd, permission_mode: 'default' };
	const A = randomHex(8) + '1';
	const B = randomHex(8) + '2';
	const id = (n) => 'toolu_views' + tag + '_' + n;
	const turn = crypto.randomUUID();
	const m1 = crypto.randomUUID();
	const m2 = crypto.randomUUID();
	const final = 'Dark mode is in and the settings tests pass; a planning agent is still reading the design tokens.';
	const h = (event, extra) => ({ ...base, hook_event_name: event, ...extra });
	const pre = (n, tool, input, agent) => h('PreToolUse', { tool_name: tool, tool_input: input, tool_use_id: id(n), ...(agent ? { agent_id: agent[0], agent_type: agent[1] } : {}) });
	const post = (n, tool, input, response, agent, ms = 12) => h('PostToolUse', { tool_name: tool, tool_input: input, tool_response: response, tool_use_id: id(n), duration_ms: ms, ...(agent ? { agent_id: agent[0], agent_type: agent[1] } : {}) });
	const fail = (n, tool, input, error, agent, ms = 40) => h('PostToolUseFailure', { tool_name: tool, tool_input: input, tool_use_id: id(n), error, is_interrupt: false, duration_ms: ms, ...(agent ? { agent_id: agent[0], agent_type: agent[1] } : {}) });
	const EX = [A, 'Explore'];
	const PL = [B, 'Plan'];
	const read1 = { file_path: cwd + '/src/settings.tsx' };
	const grep2 = { pattern: 'theme', path: cwd + '/src', output_mode: 'files_with_matches' };
	const agent3 = { subagent_type: 'Explore', description: 'Find the theme tokens', prompt: 'Where are the colour tokens of the theme defined?' };
	const glob4 = { pattern: 'src/**/*.css' };
	const read5 = { file_path: cwd + '/src/theme/missing.css' };
	const edit6 = { file_path: cwd + '/src/settings.tsx', old_string: '<Section title="Display">', new_string: '<Section title="Display">\n  <DarkModeToggle />' };
	const bash7 = { command: 'npm test -- settings', description: 'Run the settings tests' };
	const bash8 = { command: 'npm test -- settings --silent', description: 'Run the settings tests again' };
	const agent9 = { subagent_type: 'Plan', description: 'Plan the design-token follow-up', prompt: 'Plan how to move the tokens to CSS variables.' };
	const web10 = { url: 'https://example.com/design-tokens', prompt: 'List the token names' };
	const stdout8 = 'PASS src/settings.test.tsx\n  dark mode toggle\n    ✓ renders (12 ms)\n    ✓ persists the choice (8 ms)\n\nTests: 4 passed, 4 total';
	const hooks = [
		h('SessionStart', { source: 'startup', model: 'claude-sonnet-4-5-20250929' }),
		h('UserPromptSubmit', { prompt: 'Add a dark mode toggle to the settings page and make the tests pass.' }),
		h('MessageDisplay', { turn_id: turn, message_id: m1, index: 0, final: true, delta: "I'll read the settings page and look for the theme first." }),
		pre(1, 'Read', read1),
		pre(2, 'Grep', grep2), // parallel with 1: two rows in the main lane
		post(1, 'Read', read1, { type: 'text', file: { filePath: read1.file_path, content: 'export function Settings() {\n  return <Section title="Display" />;\n}\n', numLines: 3 } }),
		post(2, 'Grep', grep2, { mode: 'files_with_matches', filenames: ['src/theme/tokens.css', 'src/app.tsx'], numFiles: 2 }),
		pre(3, 'Agent', agent3),
		h('SubagentStart', { agent_id: A, agent_type: 'Explore' }),
		pre(4, 'Glob', glob4, EX),
		post(4, 'Glob', glob4, { filenames: [cwd + '/src/theme/tokens.css'], numFiles: 1 }, EX),
		pre(5, 'Read', read5, EX),
		fail(5, 'Read', read5, 'File does not exist.', EX),
		h('SubagentStop', { agent_id: A, agent_type: 'Explore', stop_hook_active: false, agent_transcript_path: '/home/dev/.claude/projects/-home-dev-shop-ui/' + sid + '/subagents/agent-' + A + '.jsonl', last_assistant_message: 'The theme tokens live in src/theme/tokens.css.' }),
		post(3, 'Agent', agent3, { content: [{ type: 'text', text: 'The theme tokens live in src/theme/tokens.css.' }] }),
		pre(6, 'Edit', edit6),
		post(6, 'Edit', edit6, { filePath: edit6.file_path, oldString: edit6.old_string, newString: edit6.new_string }),
		pre(7, 'Bash', bash7),
		fail(7, 'Bash', bash7, 'Exit code 1\nFAIL src/settings.test.tsx\n  ● dark mode toggle › persists the choice', null, 2300),
		pre(8, 'Bash', bash8),
		post(8, 'Bash', bash8, { stdout: stdout8, stderr: '', interrupted: false, isImage: false }),
		pre(9, 'Agent', agent9),
		h('SubagentStart', { agent_id: B, agent_type: 'Plan' }),
		pre(10, 'WebFetch', web10, PL), // still running when the page looks
		h('MessageDisplay', { turn_id: turn, message_id: m2, index: 0, final: true, delta: final }),
		h('Stop', { stop_hook_active: false, last_assistant_message: final, background_tasks: [], session_crons: [] }),
	];
	// What arrives later, while the page shows the session.
	const later = [post(10, 'WebFetch', web10, { code: 200, result: 'primary, surface, accent' }, PL), h('SubagentStop', { agent_id: B, agent_type: 'Plan', stop_hook_active: false, last_assistant_message: 'Move the tokens to :root variables.' }), post(9, 'Agent', agent9, { content: [{ type: 'text', text: 'Move the tokens to :root variables.' }] }), pre(11, 'Bash', { command: 'git status --short' })];
	return { sid, A, B, id, hooks, later, stdout8, final };
}

async function feed(inst, hooks) {
	for (const x of hooks) await capture(inst, x);
}

// Canonical events straight to the ingest socket (the frame-time load: a
// hook-capture process per event would take minutes).
function ingest(inst, events, pace = 0) {
	return new Promise((resolve, reject) => {
		const sock = net.connect(path.join(inst.run, 'ingest.sock'));
		let sent = 0,
			got = 0,
			buf = '',
			timer = null;
		const pump = () => {
			let chunk = '';
			while (sent < events.length && sent - got < 2000) chunk += JSON.stringify(events[sent++]) + '\n';
			if (chunk) sock.write(chunk);
		};
		sock.on('connect', () => {
			if (!pace) return pump();
			const per = Math.max(1, Math.round(pace / 20));
			timer = setInterval(() => {
				let chunk = '';
				for (let i = 0; i < per && sent < events.length; i++) chunk += JSON.stringify(events[sent++]) + '\n';
				if (chunk) sock.write(chunk);
				if (sent >= events.length) clearInterval(timer);
			}, 50);
		});
		sock.on('data', (d) => {
			buf += d;
			let i;
			while ((i = buf.indexOf('\n')) >= 0) {
				const r = JSON.parse(buf.slice(0, i));
				buf = buf.slice(i + 1);
				if (r.status !== 'accepted') return reject(new Error('ingest: ' + JSON.stringify(r)));
				got++;
			}
			if (got >= events.length) {
				sock.end();
				resolve(got);
			} else if (!pace) pump();
		});
		sock.on('error', (e) => {
			if (timer) clearInterval(timer);
			reject(e);
		});
	});
}

// A big session: calls (a tenth of them failing) over the main agent and two
// subagents, one every 100 ms from t0, as canonical events; with more
// (the session and agents of an earlier one), only calls.
function bigSession(nCalls, t0, more = null) {
	const sid = more ? more.sid : crypto.randomUUID();
	const agents = more ? more.agents : ['', randomHex(8) + 'a', randomHex(8) + 'b'];
	const types = ['', 'Explore', 'general-purpose'];
	const first = more ? more.next : 0;
	const tools = ['Read', 'Grep', 'Bash', 'Edit', 'Glob', 'Write'];
	const cwd = '/home/dev/big';
	const ev = (t, name, data, extra = {}) => ({ id: crypto.randomBytes(16).toString('hex'), ts: iso(t), event: name, session_id: sid, cwd, host: 'bench', user: 'dev', project: cwd, ...extra, data: { session_id: sid, cwd, hook_event_name: name, ...data }, meta: { scrubbed: 0, truncated: 0, capture_us: 0 } });
	const out = more ? [] : [ev(t0, 'SessionStart', { source: 'startup' }), ev(t0 + 1, 'UserPromptSubmit', { prompt: 'Refactor everything.' })];
	if (!more) for (let a = 1; a < 3; a++) out.push(ev(t0 + 2 + a, 'SubagentStart', { agent_id: agents[a], agent_type: types[a] }, { agent_id: agents[a] }));
	let failed = 0;
	const later = [];
	for (let i = first; i < first + nCalls; i++) {
		const a = i % 3;
		const tool = tools[i % tools.length];
		const tuid = 'toolu_big' + sid.slice(0, 8) + '_' + i;
		const input = tool === 'Bash' ? { command: 'npm run build -- --filter pkg' + (i % 13) } : tool === 'Grep' || tool === 'Glob' ? { pattern: 'TODO' + (i % 7) } : { file_path: cwd + '/src/mod' + (i % 97) + '.ts' };
		const start = t0 + 10 + (i - first) * 100;
		const extra = { tool, tool_use_id: tuid, ...(agents[a] ? { agent_id: agents[a] } : {}) };
		const d = { tool_name: tool, tool_input: input, tool_use_id: tuid, ...(agents[a] ? { agent_id: agents[a], agent_type: types[a] } : {}) };
		out.push(ev(start, 'PreToolUse', d, extra));
		const bad = i % 10 === 7;
		if (bad) failed++;
		later.push(ev(start + 20 + (i % 9) * 30, bad ? 'PostToolUseFailure' : 'PostToolUse', bad ? { ...d, error: 'Exit code 2' } : { ...d, tool_response: { ok: true }, duration_ms: 20 }, extra));
	}
	out.push(...later);
	out.sort((x, y) => (x.ts < y.ts ? -1 : x.ts > y.ts ? 1 : 0));
	return { sid, events: out, failed, agents, next: first + nCalls };
}

function iso(ms) {
	const us = Math.round(ms * 1000);
	return new Date(Math.floor(us / 1000)).toISOString().slice(0, 23) + String(us % 1000).padStart(3, '0') + 'Z';
}

// ------------------------------------------------------------ what the views must show

async function apiEvents(gw, query = '') {
	const r = await fetch(gw.url + '/api/events?limit=10000' + query, { headers: { Authorization: 'Bearer ' + gw.token } });
	const text = await r.text();
	return text
		.split('\n')
		.filter(Boolean)
		.map((l) => JSON.parse(l));
}

const agentOf = (e) => e.agent_id || '';
const toolOf = (e) => e.tool || e.data?.tool_name || '';
const isCall = (e) => e.event === 'PreToolUse' || e.event === 'PostToolUse' || e.event === 'PostToolUseFailure';

// Calls by tool_use_id: {id, session, agent, tool, status}.
function callsOf(events) {
	const m = new Map();
	for (const e of events) {
		if (!isCall(e)) continue;
		let c = m.get(e.tool_use_id);
		if (!c) m.set(e.tool_use_id, (c = { id: e.tool_use_id, session: e.session_id, agent: agentOf(e), tool: toolOf(e), status: 'running' }));
		if (e.event === 'PostToolUse') c.status = 'ok';
		if (e.event === 'PostToolUseFailure') c.status = 'failed';
	}
	return [...m.values()];
}

// The conversation of one session, flattened: subagent runs at their first
// event, their own items inside, everything else in event order.
function conversationOf(events) {
	const root = [];
	const groups = new Map();
	const seen = new Set();
	for (const e of events) {
		const a = agentOf(e);
		let box = root;
		if (a) {
			if (!groups.has(a)) {
				const g = { kind: 'agent', seq: e.seq, kids: [] };
				groups.set(a, g);
				root.push(g);
			}
			box = groups.get(a).kids;
		}
		let key = null,
			kind = null;
		if (e.event === 'SubagentStart' || e.event === 'SubagentStop' || e.event === 'PostToolBatch') continue;
		else if (isCall(e)) [key, kind] = ['c' + e.tool_use_id, 'call'];
		else if (e.event === 'MessageDisplay') [key, kind] = ['m' + e.data.message_id, 'text'];
		else if (e.event === 'UserPromptSubmit') kind = 'prompt';
		else if (e.event === 'Stop' || e.event === 'StopFailure') kind = 'stop';
		else if (e.event === 'SessionStart' || e.event === 'SessionEnd') kind = 'session';
		else kind = 'note';
		if (key && seen.has(key)) continue;
		if (key) seen.add(key);
		box.push({ kind, seq: e.seq });
	}
	const flat = [];
	const walk = (l, depth) => {
		for (const it of l) {
			flat.push(it.kind + '#' + it.seq + '@' + depth);
			if (it.kids) walk(it.kids, depth + 1);
		}
	};
	walk(root, 0);
	return flat;
}

// ------------------------------------------------------------ page helpers

async function shot(page, name, opts = {}) {
	await page.screenshot({ path: path.join(SHOTS, 'views-' + name + '.png'), ...opts });
}

function frames(page, n = 2) {
	return page.evaluate((n) => new Promise((r) => {
		const f = (k) => (k ? requestAnimationFrame(() => f(k - 1)) : r());
		f(n);
	}), n);
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

// Sets a multi-select filter to exactly values, as a user does.
async function pick(page, id, values) {
	await page.click(id + ' .ms-btn');
	for (const cb of await page.$$(id + ' .ms-list input')) {
		const want = values.includes(await cb.getAttribute('value'));
		if ((await cb.isChecked()) !== want) await cb.click();
	}
	await page.keyboard.press('Escape');
}

const tl = (page) => page.evaluate(() => window.hookwire.timeline.debug());
const cvItems = (page) => page.evaluate(() => window.hookwire.conversation.items());
const stateOf = (page) => page.evaluate(() => ({ view: window.hookwire.state.view, tab: window.hookwire.ui.tab, f: Object.fromEntries(Object.entries(window.hookwire.state.f).map(([k, v]) => [k, [...v].sort()])), q: window.hookwire.state.text, pulse: window.hookwire.state.pulse }));

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

// ------------------------------------------------------------ the test

async function main() {
	for (const b of ['ws-gateway', 'event-router', 'hook-capture']) if (!fs.existsSync(path.join(BIN, b))) throw new Error(path.join(BIN, b) + ' is not built: run make bins');
	let chromium;
	try {
		({ chromium } = await import('playwright-core'));
	} catch (e) {
		throw new Error('the npm package playwright-core is missing (' + e.code + '): run make deps');
	}
	if (!fs.existsSync(CHROMIUM)) throw new Error(CHROMIUM + ' is missing: run make deps');

	const inst = makeInstance('views');
	inst.env.HOOKWIRE_RING_SIZE = '64M';
	delete inst.env.CLAUDE_PROJECT_DIR;
	const router = await startRouter(inst);
	const gw = await startGateway(inst, ['--dashboard', path.join(SRC, 'ws-gateway/dashboard')]);
	const base = gw.url;
	const T = gw.token;
	console.log('gateway on ' + base);

	const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
	const errors = [];
	const watch = (page, name) => {
		page.on('pageerror', (e) => errors.push(name + ': ' + e.message));
		page.on('console', (m) => m.type() === 'error' && errors.push(name + ': ' + m.text()));
	};
	const tokenFree = (page, where) => ok(!page.url().includes(T), 'the token is not in the address ' + where, page.url());
	try {
		const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
		const page = await ctx.newPage();
		watch(page, 'main page');
		await page.goto(base + '/#token=' + T);
		await waitFor(page, () => window.hookwire && ['connected', 'recovered'].includes(window.hookwire.connState()), null, 'the page to connect', 20000);
		tokenFree(page, 'after start-up');

		// 1. Feed: the samples and the hand-built session, while the page watches.
		const hand = handSession();
		await Promise.all([replay(inst, SAMPLES), feed(inst, hand.hooks)]);
		let all = await apiEvents(gw);
		const want = SAMPLES.reduce((n, f) => n + fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).length, 0) + hand.hooks.length;
		ok(all.length === want, 'the gateway has the samples and the hand-built session', { got: all.length, want });
		await waitFor(page, (n) => window.hookwire.store.size >= n, all.length, 'the events on the page');
		const H = all.filter((e) => e.session_id === hand.sid);
		const sessions = [...new Set(all.map((e) => e.session_id))];
		const projectOf = (sid) => all.find((e) => e.session_id === sid).project;
		const shop = sessions.find((s) => projectOf(s).endsWith('web-shop'));
		const acme = sessions.find((s) => projectOf(s).endsWith('acme-api'));

		// 2. The pulse: every session's events in the last minute, a colour each.
		const perSession = Object.fromEntries(sessions.map((s) => [s, all.filter((e) => e.session_id === s).length]));
		const pulseOk = await page
			.waitForFunction(
				(want) => {
					const d = window.hookwire.pulse.drawn();
					if (!d) return false;
					const got = Object.fromEntries(d.series.map((s) => [s.id, s.total]));
					return Object.keys(want).length === d.series.length && Object.entries(want).every(([k, v]) => got[k] === v);
				},
				perSession,
				{ timeout: 5000 },
			)
			.then(
				() => true,
				() => false,
			);
		const drawn = await page.evaluate(() => window.hookwire.pulse.drawn());
		ok(pulseOk, 'the pulse counts each session\'s events (1 min range)', { want: perSession, got: drawn && drawn.series.map((s) => [s.id, s.total]) });
		ok(drawn && drawn.bucket === 1, 'the 1 min range has 1 s buckets', drawn && drawn.bucket);
		const swatches = await page.$$eval('#pulse-legend .sw', (els) => els.map((e) => getComputedStyle(e).backgroundColor));
		ok(swatches.length === sessions.length && new Set(swatches).size === swatches.length, 'the legend gives each session its own colour', swatches);
		const pulseLabel = await page.getAttribute('#pulse-canvas', 'aria-label');
		ok(new RegExp(all.length + ' events in ' + sessions.length + ' sessions').test(pulseLabel), 'the pulse canvas says what it shows', pulseLabel);
		await shot(page, 'stream-pulse');
		await page.click('#pulse [data-range="3"]');
		await waitFor(page, () => window.hookwire.pulse.drawn()?.bucket === 3, null, 'the 3 min range');
		ok((await page.getAttribute('#pulse [data-range="3"]', 'aria-pressed')) === 'true' && /(^|&)pulse=3(&|$)/.test(new URL(page.url()).hash.slice(1)), 'the 3 min range is pressed and in the address', page.url());
		await shot(page, 'pulse-3min', { clip: await page.$eval('#pulse', (e) => { const r = e.getBoundingClientRect(); return { x: r.x, y: r.y, width: r.width, height: r.height }; }) });
		await page.click('#pulse [data-range="5"]');
		await waitFor(page, () => window.hookwire.pulse.drawn()?.bucket === 5, null, 'the 5 min range');
		const p5 = await page.evaluate(() => window.hookwire.pulse.drawn().series.reduce((a, s) => a + s.total, 0));
		ok(p5 === all.length, 'the 5 min range counts every event too', { p5, all: all.length });
		await page.click('#pulse [data-range="1"]');

		// 3. The timeline of the hand-built session.
		await page.click('#tab-timeline');
		await page.click('#sessions li.session[data-id="' + hand.sid + '"]');
		await waitFor(page, (sid) => { const d = window.hookwire.timeline.debug(); return d && d.lanes.length && d.lanes.every((l) => l.session === sid); }, hand.sid, 'the session\'s timeline');
		let d = await tl(page);
		const hc = callsOf(H);
		const agentsH = [...new Set(H.map(agentOf))];
		ok(d.lanes.length === agentsH.length && agentsH.length === 3, 'one lane per agent: main, Explore, Plan', d.lanes.map((l) => l.label));
		ok(d.lanes[0].agent === '' && d.lanes[0].label === 'main' && /^Explore /.test(d.lanes[1].label) && /^Plan /.test(d.lanes[2].label), 'lanes are labelled with the agent type, main first, then by start', d.lanes.map((l) => l.label));
		const byLane = (a) => hc.filter((c) => c.agent === a);
		ok(d.lanes.every((l) => l.calls === byLane(l.agent).length) && d.total === hc.length, 'each lane holds its agent\'s tool calls', { lanes: d.lanes.map((l) => [l.label, l.calls]), want: agentsH.map((a) => byLane(a).length) });
		ok(d.failed === hc.filter((c) => c.status === 'failed').length && d.failed === 2 && d.lanes[0].failed === 1 && d.lanes[1].failed === 1, 'the failed calls are counted where they failed', { d: d.failed, lanes: d.lanes.map((l) => l.failed) });
		ok(d.running === 2 && d.lanes[0].running === 1 && d.lanes[2].running === 1, 'the unfinished calls (the Plan agent and its WebFetch) are running', d.lanes.map((l) => l.running));
		ok(d.lanes[0].rows === 2, 'the two parallel calls take two rows', d.lanes[0].rows);
		ok(d.lanes[0].marks.join() === 'SessionStart,UserPromptSubmit,Stop', 'SessionStart, the prompt and Stop are markers on the main lane', d.lanes[0].marks);
		// The failed Bash is drawn red where the page says it is, the Edit in its colour.
		const rect = (id) => page.evaluate((id) => window.hookwire.timeline.rectOf(id), id);
		const pixel = (x, y) =>
			page.evaluate(
				([x, y]) => {
					const c = document.getElementById('tl-canvas');
					const r = c.getBoundingClientRect();
					const k = c.width / r.width;
					const p = c.getContext('2d').getImageData(Math.round((x - r.left) * k), Math.round((y - r.top) * k), 1, 1).data;
					return [p[0], p[1], p[2]];
				},
				[x, y],
			);
		// Ctrl+wheel over a call zooms around it, until it is 40 px wide.
		const zoomOn = async (id) => {
			let r = await rect(id);
			for (let i = 0; r && r.w < 40 && i < 30; i++) {
				await page.mouse.move(r.x + r.w / 2, r.y + r.h / 2);
				await page.keyboard.down('Control');
				await page.mouse.wheel(0, -240);
				await page.keyboard.up('Control');
				await frames(page, 1);
				r = await rect(id);
			}
			return r;
		};
		let rEdit = await zoomOn(hand.id(6));
		// The pointer off the canvas first: the bar under it has a hover
		// ring, whose anti-aliased right edge can reach the pixels read.
		await page.mouse.move(1, 1);
		// The bar's place and its pixels read in one task, two frames after
		// the last change (rectOf() follows the view at once, the canvas the
		// next frame it draws): 2 px inside its right end, then 3 px inside
		// its top right corner (a bar wider than 44 px carries its label from
		// the left, up to 4 px before its right end).  A few tries, for a
		// loaded machine.
		const edgePixels = (id) =>
			page.evaluate(
				(id) =>
					new Promise((resolve) =>
						requestAnimationFrame(() =>
							requestAnimationFrame(() => {
								const r = window.hookwire.timeline.rectOf(id);
								const c = document.getElementById('tl-canvas');
								const b = c.getBoundingClientRect();
								const k = c.width / b.width;
								const at = (x, y) => [...c.getContext('2d').getImageData(Math.round((x - b.left) * k), Math.round((y - b.top) * k), 1, 1).data.slice(0, 3)];
								resolve({ r, px: r ? [at(r.x + r.w - 2, r.y + r.h / 2), at(r.x + r.w - 3, r.y + 3)] : [] });
							}),
						),
					),
				id,
			);
		const isEdit = (c) => c[0] > 120 && c[2] < 60 && !(c[0] > 150 && c[1] < 60);
		let cEdit = null;
		for (let i = 0; rEdit && i < 10; i++) {
			const got = await edgePixels(hand.id(6));
			rEdit = got.r;
			cEdit = got.px;
			if (cEdit.some(isEdit)) break;
		}
		ok(rEdit && rEdit.w >= 40 && !(await tl(page)).fit, 'Ctrl+wheel zooms in around the pointer', rEdit);
		ok(cEdit && cEdit.some(isEdit), 'the Edit is drawn in the edit colour', { rEdit, cEdit });
		await page.click('#tl-fit');
		const rFail = await zoomOn(hand.id(7));
		// the reddest of a few pixels (the hatching lightens some)
		let cFail = null;
		for (let dx = 1; rFail && dx < 12; dx++) {
			const c = await pixel(rFail.x + dx, rFail.y + rFail.h / 2);
			if (!cFail || c[1] < cFail[1]) cFail = c;
		}
		ok(cFail && cFail[0] > 150 && cFail[1] < 110 && cFail[2] < 110, 'the failed Bash is drawn red', { rFail, cFail });
		// Hover: the call's tool, command, outcome and duration.
		await page.mouse.move(rFail.x + rFail.w / 2, rFail.y + rFail.h / 2);
		await waitFor(page, () => !document.getElementById('tl-tip').hidden, null, 'the tooltip');
		let tip = await page.textContent('#tl-tip');
		ok(/Bash · failed ✕/.test(tip) && tip.includes('npm test -- settings') && /duration \d/.test(tip) && tip.includes('Exit code 1'), 'hovering a call shows its tool, command, outcome and duration', tip);
		await shot(page, 'timeline-hover');
		await page.click('#tl-fit');
		const label = await page.getAttribute('#tl-canvas', 'aria-label');
		ok(label.includes('3 agent lanes, ' + hc.length + ' tool calls, 2 failed, 2 running'), 'the canvas has a text alternative with the counts', label);
		// Keyboard: the canvas takes the focus, arrows move, Enter opens.
		await page.mouse.move(5, 5);
		await page.focus('#tl-canvas');
		await page.keyboard.press('Home');
		let said = await page.textContent('#tl-live');
		ok(/^SessionStart/.test(said), 'Home goes to the lane\'s first item, announced', said);
		await page.keyboard.press('ArrowRight');
		await page.keyboard.press('ArrowRight');
		said = await page.textContent('#tl-live');
		ok(/^Read · ok ✓\. src\/settings\.tsx\. duration/.test(said), 'ArrowRight moves to the next call, announced with tool, file and duration', said);
		await page.keyboard.press('ArrowDown');
		said = await page.textContent('#tl-live');
		ok(/^Glob · ok/.test(said) && /subagent Explore/.test(said), 'ArrowDown moves to the nearest call in the lane below', said);
		await page.keyboard.press('Enter');
		await waitFor(page, () => !document.getElementById('detail').hidden, null, 'Enter to open the detail');
		const dTitle = await page.textContent('#d-title');
		const glob = H.find((e) => e.tool_use_id === hand.id(4) && e.event === 'PostToolUse');
		ok(dTitle === 'PostToolUse #' + glob.seq, 'Enter opens the call in the detail pane', dTitle);
		await shot(page, 'timeline-keyboard');
		await page.keyboard.press('Escape');
		ok(await page.isHidden('#detail'), 'Esc closes the detail');
		// Live: the rest of the session arrives; the timeline extends.
		await feed(inst, hand.later);
		await waitFor(page, (n) => { const d = window.hookwire.timeline.debug(); return d.running === 1 && d.total === n; }, hc.length + 1, 'the live events on the timeline');
		d = await tl(page);
		ok(d.total === hc.length + 1 && d.running === 1 && d.lanes[2].running === 0 && d.lanes[0].running === 1, 'live events extend the timeline: the Plan run finished, a new call runs', d.lanes.map((l) => [l.label, l.calls, l.running]));
		await shot(page, 'timeline-session');
		// Zoom and fit.
		const v0 = d.view;
		await page.click('#tl-in');
		await page.click('#tl-in');
		d = await tl(page);
		ok(!d.fit && d.view.t1 - d.view.t0 < (v0.t1 - v0.t0) * 0.5, 'zoom in narrows the range', { before: v0, after: d.view });
		await page.focus('#tl-canvas');
		await page.keyboard.press('f');
		await frames(page);
		d = await tl(page);
		ok(d.fit && (await page.getAttribute('#tl-fit', 'aria-pressed')) === 'true', 'F fits the session again');

		all = await apiEvents(gw);
		const H2 = all.filter((e) => e.session_id === hand.sid);

		// 4. All sessions on the timeline: lanes = agents, spans = calls.
		await page.click('#session-all');
		await waitFor(page, (n) => window.hookwire.timeline.debug()?.lanes.length === n, [...new Set(all.map((e) => e.session_id + '/' + agentOf(e)))].length, 'every session\'s lanes');
		d = await tl(page);
		const allCalls = callsOf(all);
		ok(d.total === allCalls.length && d.failed === allCalls.filter((c) => c.status === 'failed').length, 'all sessions: spans = tool calls, failed counted', { total: d.total, failed: d.failed, want: [allCalls.length, allCalls.filter((c) => c.status === 'failed').length] });
		await shot(page, 'timeline-all');

		// 5. Filters combined, in the address; reload; back and forward.
		await page.click('#tab-stream');
		await pick(page, '#f-event', ['PreToolUse', 'PostToolUseFailure']);
		await pick(page, '#f-tool', ['Bash']);
		let n = all.filter((e) => ['PreToolUse', 'PostToolUseFailure'].includes(e.event) && toolOf(e) === 'Bash').length;
		await waitFor(page, (n) => window.hookwire.viewLength() === n, n, 'event x tool');
		ok((await page.evaluate(() => window.hookwire.viewLength())) === n && n > 4, 'event and tool filters combine (Bash PreToolUse or PostToolUseFailure)', n);
		const hash1 = new URL(page.url()).hash;
		ok(hash1 === '#event=PostToolUseFailure&event=PreToolUse&tool=Bash', 'the filters are in the address', hash1);
		await shot(page, 'filters', { clip: { x: 0, y: 0, width: 1440, height: 520 } });
		await page.click('#f-event .ms-btn');
		await shot(page, 'filter-open', { clip: { x: 0, y: 0, width: 1440, height: 620 } });
		await page.keyboard.press('Escape');
		await page.fill('#f-text', 'npm test');
		n = all.filter((e) => ['PreToolUse', 'PostToolUseFailure'].includes(e.event) && toolOf(e) === 'Bash' && JSON.stringify(e.data).toLowerCase().includes('npm test')).length;
		await waitFor(page, (n) => window.hookwire.viewLength() === n, n, 'event x tool x text');
		await pick(page, '#f-agent', ['main']);
		await page.click('#sessions li.session[data-id="' + acme + '"]', { modifiers: ['Control'] });
		await page.click('#sessions li.session[data-id="' + hand.sid + '"]', { modifiers: ['Control'] });
		const S5 = { f: { session: [acme, hand.sid].sort(), event: ['PostToolUseFailure', 'PreToolUse'], tool: ['Bash'], agent: ['main'] }, q: 'npm test' };
		n = all.filter((e) => [acme, hand.sid].includes(e.session_id) && ['PreToolUse', 'PostToolUseFailure'].includes(e.event) && toolOf(e) === 'Bash' && !e.agent_id && JSON.stringify(e.data).toLowerCase().includes('npm test')).length;
		await waitFor(page, (n) => window.hookwire.viewLength() === n, n, 'five filters at once');
		let st = await stateOf(page);
		ok(JSON.stringify(st.f) === JSON.stringify(S5.f) && st.q === S5.q, 'session x agent x event x tool x text, all set', st);
		const rowsNow = await page.$$eval('#stream .vrow:not([hidden])', (els) => els.map((e) => [e.dataset.session, e.dataset.event, e.children[2].textContent, e.children[4].textContent]));
		ok(rowsNow.length === n && n >= 4 && rowsNow.every(([s, ev, ag, tool]) => [acme, hand.sid].includes(s) && ['PreToolUse', 'PostToolUseFailure'].includes(ev) && ag === 'main' && tool === 'Bash'), 'the stream shows exactly the events the five filters let through', { n, rows: rowsNow });
		const url5 = page.url();
		tokenFree(page, 'with filters set');
		// A reload restores all of it (the token is in sessionStorage).
		await page.reload();
		await waitFor(page, (n) => window.hookwire && window.hookwire.store.size >= n, all.length, 'the reloaded page');
		await waitFor(page, (n) => window.hookwire.viewLength() === n, n, 'the filters after the reload');
		st = await stateOf(page);
		ok(page.url() === url5 && JSON.stringify(st.f) === JSON.stringify(S5.f) && st.q === S5.q && (await page.inputValue('#f-text')) === 'npm test', 'a reload restores the filters', { url: page.url(), st });
		const btns = await page.$$eval('.filters .ms-btn', (bs) => bs.map((b) => b.textContent));
		ok(btns.some((t) => t === 'ToolBash') && btns.some((t) => /^Agentmain$/.test(t)) && btns.some((t) => t.startsWith('Session') && t.includes(acme.slice(0, 8)) && t.includes(hand.sid.slice(0, 8))), 'the filter buttons show what they hold', btns);
		// The list is redrawn at most twice a second: wait for it.
		await waitFor(page, (n) => document.querySelectorAll('#sessions li.session[aria-selected="true"]').length === n, S5.f.session.length, 'the session list after the reload', 3000);
		const selected = await page.$$eval('#sessions li.session[aria-selected="true"]', (l) => l.map((x) => x.dataset.id).sort());
		ok(JSON.stringify(selected) === JSON.stringify(S5.f.session), 'the selected sessions are marked in the list after the reload', selected);
		// Back and forward step through the changes (one entry each).
		await page.goBack();
		await waitFor(page, () => window.hookwire.state.f.session.size === 1, null, 'back: one session');
		st = await stateOf(page);
		ok(JSON.stringify(st.f.session) === JSON.stringify([acme]) && st.f.agent.join() === 'main', 'back undoes the last session added', st.f);
		await waitFor(page, () => document.querySelectorAll('#sessions li.session[aria-selected="true"]').length === 1, null, 'the list to follow back');
		await page.goBack();
		await page.goBack();
		await waitFor(page, () => window.hookwire.state.f.agent.size === 0, null, 'back: no agent filter');
		st = await stateOf(page);
		ok(st.f.session.length === 0 && st.f.agent.length === 0 && st.q === 'npm test' && st.f.tool.join() === 'Bash', 'back again: before the sessions and the agent', st);
		ok((await page.$eval('#f-agent .ms-btn', (b) => b.textContent)) === 'Agentall', 'the agent button follows back', await page.$eval('#f-agent .ms-btn', (b) => b.textContent));
		await page.goForward();
		await waitFor(page, () => window.hookwire.state.f.agent.size === 1, null, 'forward: the agent filter');
		st = await stateOf(page);
		ok(st.f.agent.join() === 'main' && st.f.session.length === 0, 'forward redoes the agent filter', st.f);
		await page.goBack();
		await page.goBack();
		await waitFor(page, () => window.hookwire.state.text === '', null, 'back: no text');
		ok((await page.inputValue('#f-text')) === '' && (await stateOf(page)).f.tool.join() === 'Bash', 'back undoes the typed search as one step', await page.inputValue('#f-text'));
		tokenFree(page, 'after back and forward');
		await page.click('#f-clear');
		await waitFor(page, (n) => window.hookwire.viewLength() === n, all.length, 'clearing the filters');
		ok(new URL(page.url()).hash === '', 'clearing the filters clears the address', page.url());
		// The agent filter alone: one subagent's events, its lane alone.
		await pick(page, '#f-agent', [hand.A]);
		n = all.filter((e) => e.agent_id === hand.A).length;
		await waitFor(page, (n) => window.hookwire.viewLength() === n, n, 'the agent filter');
		const agentRows = await page.$$eval('#stream .vrow:not([hidden])', (els) => els.map((e) => e.children[2].textContent));
		ok(n >= 5 && agentRows.length === n && agentRows.every((a) => a === 'Explore ' + hand.A.slice(0, 8)), 'the agent filter shows that subagent\'s events only', { n, agentRows });
		await page.click('#tab-timeline');
		await waitFor(page, () => window.hookwire.timeline.debug()?.lanes.length === 1, null, 'the agent filter on the timeline');
		d = await tl(page);
		ok(d.lanes.length === 1 && d.lanes[0].agent === hand.A && d.total === 2, 'the timeline shows that agent\'s lane alone', d.lanes.map((l) => [l.label, l.calls]));
		await page.click('#tab-stream');
		await pick(page, '#f-agent', []);

		// 6. The conversation of the hand-built session.
		await page.click('#tab-conversation');
		ok(await waitFor(page, () => !document.getElementById('cv-pick').hidden, null, 'the session picker'), 'with no session selected the conversation asks which');
		await page.click('#cv-pick-list button[data-id="' + hand.sid + '"]');
		await waitFor(page, () => window.hookwire.conversation.items().length > 5, null, 'the conversation');
		ok(new URL(page.url()).hash === '#view=conversation&session=' + hand.sid, 'the conversation and its session are in the address', page.url());
		const items = await cvItems(page);
		const got = items.map((i) => i.kind + '#' + i.seq + '@' + i.depth);
		const wantConv = conversationOf(H2);
		ok(JSON.stringify(got) === JSON.stringify(wantConv), 'the conversation is in event order, subagent runs nested', { got, want: wantConv });
		ok(items.filter((i) => i.depth === 1 && i.kind === 'call').length === hc.filter((c) => c.agent).length, 'the subagents\' calls are inside their runs');
		const calls = items.filter((i) => i.kind === 'call');
		ok(calls.filter((i) => i.status === 'failed').length === 2 && calls.filter((i) => i.status === 'running').length === 1, 'outcomes: two failed, one running', calls.map((i) => i.status));
		const bashFail = items.find((i) => i.key === 'c:' + hand.id(7));
		ok(bashFail && /✕Bashnpm test -- settingsfailed · /.test(bashFail.text) && bashFail.text.includes('Exit code 1'), 'a failed call shows its command, its outcome and the error\'s first line', bashFail && bashFail.text);
		const explore = items.find((i) => i.kind === 'agent' && i.key === 'g:' + hand.A);
		ok(explore && explore.text.includes('The theme tokens live in src/theme/tokens.css.') && /Subagent\s*Explore/.test(explore.text), 'the Explore run shows its final message', explore && explore.text.slice(0, 300));
		const texts = items.filter((i) => i.kind === 'text').map((i) => i.text);
		ok(texts.length === 2 && texts[1].includes(hand.final), 'Claude\'s text is shown', texts);
		const stop = items.find((i) => i.kind === 'stop');
		ok(stop && /Claude finished/.test(stop.text), 'the Stop is shown', stop && stop.text);
		ok(!(await page.isVisible('.cv-item[data-key="c:' + hand.id(8) + '"] .cv-out')), 'outputs are closed at first');
		await page.click('.cv-item[data-key="c:' + hand.id(8) + '"] .cv-toggle');
		const out = await page.textContent('.cv-item[data-key="c:' + hand.id(8) + '"] .cv-out');
		ok(out === hand.stdout8, 'a call\'s output on demand', out);
		ok((await page.getAttribute('.cv-item[data-key="c:' + hand.id(8) + '"] .cv-toggle', 'aria-expanded')) === 'true', 'the output button says it is open');
		// Keyboard: Down moves through the items (nested ones too), Enter opens.
		await page.focus('#cv .cv-item');
		for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowDown');
		const focused = await page.evaluate(() => document.activeElement.dataset.key);
		ok(focused === items[4].key, 'ArrowDown moves one item at a time', { focused, want: items[4].key });
		const iAgentCall = items.findIndex((i) => i.key === 'c:' + hand.id(4));
		for (let i = 4; i < iAgentCall; i++) await page.keyboard.press('ArrowDown');
		ok((await page.evaluate(() => document.activeElement.dataset.key)) === 'c:' + hand.id(4), 'ArrowDown enters a subagent run');
		await page.keyboard.press('Enter');
		ok((await page.getAttribute('.cv-item[data-key="c:' + hand.id(4) + '"] .cv-toggle', 'aria-expanded')) === 'true' && (await page.isVisible('.cv-item[data-key="c:' + hand.id(4) + '"] .cv-out')), 'Enter opens the focused call\'s output');
		await shot(page, 'conversation');
		// The samples: a Stop's message on its own, a scrubbed prompt.
		await page.click('#sessions li.session[data-id="' + acme + '"]');
		const acmeStopEv = all.find((e) => e.session_id === acme && e.event === 'Stop');
		await waitFor(page, (seq) => window.hookwire.conversation.items().some((i) => i.kind === 'stop' && i.seq === seq), acmeStopEv.seq, 'the acme-api conversation');
		const acmeStop = (await cvItems(page)).find((i) => i.kind === 'stop');
		const acmeFinal = acmeStopEv.data.last_assistant_message;
		ok(acmeStop && acmeStop.text.includes(acmeFinal), 'a Stop shows last_assistant_message', acmeStop && acmeStop.text);
		ok((await page.$$('#cv .cv-prompt mark.redacted')).length === 1, 'the scrubbed key in the prompt is marked');
		await page.click('#sessions li.session[data-id="' + shop + '"]');
		const shopFirst = all.find((e) => e.session_id === shop).seq;
		await waitFor(page, (seq) => window.hookwire.conversation.items()[0]?.seq === seq, shopFirst, 'the web-shop conversation');
		const shopGot = (await cvItems(page)).map((i) => i.kind + '#' + i.seq + '@' + i.depth);
		ok(JSON.stringify(shopGot) === JSON.stringify(conversationOf(all.filter((e) => e.session_id === shop))), 'the web-shop sample in event order, its Explore run nested', shopGot);
		await shot(page, 'conversation-sample');

		// 7. Accessibility: Tab reaches every control; the focus shows; contrast.
		await page.click('#tab-timeline');
		await page.click('#sessions li.session[data-id="' + hand.sid + '"]');
		await page.focus('#tab-timeline');
		const reached = new Set();
		for (let i = 0; i < 40; i++) {
			await page.keyboard.press('Tab');
			reached.add(await page.evaluate(() => { const a = document.activeElement; return a.id || (a.closest('[id]') ? a.closest('[id]').id + ' ' + a.className : a.tagName); }));
		}
		const needed = ['f-session ms-btn', 'f-agent ms-btn', 'f-event ms-btn', 'f-tool ms-btn', 'f-text', 'tl-fit', 'tl-in', 'tl-out', 'tl-canvas'];
		ok(needed.every((x) => reached.has(x)), 'Tab reaches the filters, the zoom buttons and the timeline', { missing: needed.filter((x) => !reached.has(x)), reached: [...reached] });
		await page.focus('#tab-timeline');
		await page.keyboard.press('Tab');
		const ring = await page.evaluate(() => { const cs = getComputedStyle(document.activeElement); return { style: cs.outlineStyle, width: parseFloat(cs.outlineWidth), el: document.activeElement.className }; });
		ok(ring.style !== 'none' && ring.width >= 2, 'the keyboard focus is visible', ring);
		await page.keyboard.press('Enter'); // opens the session filter
		ok(await page.isVisible('#f-session-pop'), 'Enter opens a filter');
		await page.keyboard.press('ArrowDown'); // the first box is the selected session (the newest)
		await page.keyboard.press('Space');
		await page.keyboard.press('Escape');
		st = await stateOf(page);
		ok(st.f.session.length === 2 && (await page.evaluate(() => document.activeElement.classList.contains('ms-btn'))), 'Space ticks a box, Esc closes and gives the focus back', st.f.session);
		await page.goBack();
		const TEXT = '#pulse, .tabs, .filters, #view-timeline, #view-conversation, #view-conversation *, .tl-legend li, .ms-btn *, .sessions *, .tip *';
		let cr = await contrastReport(page, TEXT);
		ok(cr.n > 20 && cr.bad.length === 0, 'text contrast at least 4.5:1 (light)', cr);
		for (const sel of ['#tl-canvas', '#pulse-canvas']) ok(/\d/.test((await page.getAttribute(sel, 'aria-label')) || ''), sel + ' has a label with figures', await page.getAttribute(sel, 'aria-label'));

		// 8. A shared link, dark, in a fresh browser (no token stored).
		const ctx2 = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'dark' });
		const p2 = await ctx2.newPage();
		watch(p2, 'shared link');
		await p2.goto(base + '/#view=conversation&session=' + hand.sid + '&token=' + T);
		await waitFor(p2, () => window.hookwire && window.hookwire.conversation.items().length > 5, null, 'the shared link to open the conversation');
		ok(new URL(p2.url()).hash === '#view=conversation&session=' + hand.sid, 'a shared link opens its view and keeps it in the address, without the token', p2.url());
		ok(JSON.stringify((await cvItems(p2)).map((i) => i.kind + '#' + i.seq + '@' + i.depth)) === JSON.stringify(conversationOf(H2)), 'the shared link shows the same conversation');
		await p2.click('.cv-item[data-key="c:' + hand.id(7) + '"] .cv-toggle');
		await shot(p2, 'conversation-dark');
		cr = await contrastReport(p2, TEXT);
		ok(cr.n > 20 && cr.bad.length === 0, 'text contrast at least 4.5:1 (dark)', cr);
		await p2.click('#tab-timeline');
		await waitFor(p2, () => window.hookwire.timeline.debug()?.lanes.length === 3, null, 'the dark timeline');
		const r9 = await p2.evaluate((id) => window.hookwire.timeline.rectOf(id), hand.id(3));
		await p2.mouse.move(r9.x + r9.w / 2, r9.y + r9.h / 2);
		await waitFor(p2, () => !document.getElementById('tl-tip').hidden, null, 'the dark tooltip');
		await shot(p2, 'timeline-dark');
		cr = await contrastReport(p2, '.tip *, .tl-legend li, #tl-range, #tl-summary');
		ok(cr.bad.length === 0, 'the tooltip and legend are readable (dark)', cr);
		await ctx2.close();
		// Narrow: the views fit a phone.
		const ctx3 = await browser.newContext({ viewport: { width: 390, height: 800 }, colorScheme: 'light' });
		const p3 = await ctx3.newPage();
		watch(p3, 'narrow');
		await p3.goto(base + '/#view=timeline&session=' + hand.sid + '&token=' + T);
		await waitFor(p3, () => window.hookwire && window.hookwire.timeline.debug()?.lanes.length === 3, null, 'the narrow timeline');
		ok((await p3.evaluate(() => document.documentElement.scrollWidth)) <= 390, 'no horizontal overflow at 390 px');
		await shot(p3, 'narrow-timeline');
		await ctx3.close();

		// 9. Frame time: 6,000 calls in one session, zoomed and panned every
		//    frame while 200 events/s arrive.
		const N = 6000;
		const big = bigSession(N, Date.now() - N * 100 - 5000);
		const t1 = Date.now();
		await ingest(inst, big.events);
		console.log('FIGURE timeline_ingest_6k_ms ' + (Date.now() - t1));
		await page.goto(base + '/#view=timeline&session=' + big.sid);
		await waitFor(page, (n) => window.hookwire.timeline.debug()?.total === n, N, 'the 6,000 calls on the timeline', 60000);
		d = await tl(page);
		ok(d.total === N && d.failed === big.failed && d.lanes.length === 3, 'the big session: 3 lanes, 6,000 spans, the failures counted', { total: d.total, failed: d.failed, lanes: d.lanes.length });
		console.log('FIGURE timeline_build_6k_ms ' + d.buildMs.toFixed(1));
		await shot(page, 'timeline-6k');
		// Live calls for the measurement: more of the same session, paced.
		const more = bigSession(450, Date.now(), big).events;
		const measure = (mode) =>
			page.evaluate(
				(mode) =>
					new Promise((resolve) => {
						const c = document.getElementById('tl-canvas');
						const r = c.getBoundingClientRect();
						// zoom in, pan right and back, zoom out: the view stays on the calls
						const keys = ['w', 'w', 'w', 'd', 'd', 'a', 'a', 's', 's', 's'];
						const start = performance.now();
						let last = start,
							frames = 0,
							worst = 0,
							k = 0;
						const draws = [];
						let seen = window.hookwire.timeline.debug().drawCount;
						const tick = (t) => {
							frames++;
							worst = Math.max(worst, t - last);
							last = t;
							const dbg = window.hookwire.timeline.debug();
							if (dbg.drawCount !== seen) draws.push(dbg.drawMs);
							seen = dbg.drawCount;
							if (mode === 'keys') c.dispatchEvent(new KeyboardEvent('keydown', { key: keys[k++ % keys.length], bubbles: true }));
							else c.dispatchEvent(new PointerEvent('pointermove', { clientX: r.left + 200 + ((k++ * 37) % (r.width - 220)), clientY: r.top + 60 + ((k * 13) % 120), bubbles: true }));
							if (t - start < 4000) requestAnimationFrame(tick);
							else {
								draws.sort((a, b) => a - b);
								resolve({ fps: (frames * 1000) / (t - start), worst, draws: draws.length, p50: draws[Math.floor(draws.length / 2)] || 0, p95: draws[Math.floor(draws.length * 0.95)] || 0, max: draws[draws.length - 1] || 0 });
							}
						};
						requestAnimationFrame(tick);
					}),
				mode,
			);
		const FLOOR = 10; // frames per second on this shared 2-core machine; the figures show what it allows
		await page.focus('#tl-canvas');
		const feedP = ingest(inst, more, 200);
		const hover = await measure('hover'); // the whole session fitted, hovered
		const keys = await measure('keys'); // zoomed and panned every frame
		await feedP;
		console.log('load average during the measurement: ' + fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '));
		for (const [name, m] of [['fit_hover', hover], ['zoom_pan', keys]]) {
			console.log('FIGURE timeline_fps_6k_' + name + ' ' + m.fps.toFixed(1));
			console.log('FIGURE timeline_worst_frame_6k_' + name + '_ms ' + m.worst.toFixed(1));
			console.log('FIGURE timeline_draw_6k_' + name + '_ms_p50 ' + m.p50.toFixed(2));
			console.log('FIGURE timeline_draw_6k_' + name + '_ms_p95 ' + m.p95.toFixed(2));
			ok(m.fps >= FLOOR && m.draws > 20, 'the timeline keeps ' + FLOOR + '+ frames/s with 6,000 calls and 200 events/s (' + name + ')', m);
		}
		d = await tl(page);
		ok(d.total > N, 'the live calls joined the big session', d.total);
		await shot(page, 'timeline-6k-zoomed');

		ok(errors.length === 0, 'no errors in the pages\' consoles', errors.slice(0, 5));
		await ctx.close();
	} finally {
		await browser.close();
		const bad = [...(await stopClean(gw)), ...(await stopClean(router))];
		ok(bad.length === 0, 'event-router and ws-gateway exit cleanly', bad);
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
