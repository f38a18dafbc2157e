// test_dashboard_history.mjs: the dashboard's History view in headless
// Chromium against the real pipeline with the real store: event-router
// with a small ring (64 KiB), event-store writing its SQLite file, and
// ws-gateway reading it.
//
// Canonical events go to the ingest socket with capture times on several
// days (the store files them by their ts): sessions three days ago, two
// yesterday (one with an XSS payload in its prompt and its command), one
// today, and enough padded filler today that every one of them has left
// the ring before the page looks.  What the page must show is worked out
// here from the fixtures, then compared with the page:
//   sessions list  per range (today, yesterday, last 7 days, custom dates)
//                  and per project, exactly the sessions of the fixtures;
//                  the range in the address, restored by a reload
//   open           an old session (not in the ring) shows exactly its
//                  events in the stream, its sidebar entry alone, its
//                  prompt in the conversation, as if live, and in the end
//                  every one of its 303 items (drawn a screenful first)
//   not mixed      live events arriving meanwhile are counted in the bar,
//                  never shown in the old session
//   back to live   the live stream again, with what arrived meanwhile, and
//                  the next live event on screen
//   paging         130 sessions on one day: the newest 100, then "Older
//                  sessions" lists the rest, each once
//   search         hits over all history with their matches in <mark>s,
//                  newest first; a click opens the hit's session with that
//                  event selected
//   untrusted      the XSS payload is text everywhere (list, hits, stream,
//                  conversation, detail): no element made, no script run
// and no error in the page's console.  Exits 1 if a check failed.  Screenshots go to
// $HOOKWIRE_TEST_OUT/screenshots/history-*.png.

import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { makeInstance, startRouter, startGateway, stopClean, dumpLogs, ingestEvents, randomHex, until, SRC, BIN, require, makeChecks, CHROMIUM, CHROMIUM_ARGS, startStore } from './gwlib.mjs';

const OUT = process.env.HOOKWIRE_TEST_OUT || path.join(SRC, 'build/test-out');
const SHOTS = path.join(OUT, 'screenshots');
fs.mkdirSync(SHOTS, { recursive: true });

const checks = makeChecks();
const ok = checks.ok;

const same = (a, b) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

// ------------------------------------------------------------ fixtures

const XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
const NEEDLE = 'zebrafinch'; // the searched word: in two sessions only

function iso(ms) {
	return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function localDay(d) {
	return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0');
}

// A session: a prompt, n tool calls (Pre and Post), a Stop, one a second
// from t0.  cmd(i): the Bash command of call i.
function session(sid, project, t0, n, prompt, cmd = (i) => 'echo ' + i) {
	const evs = [];
	let k = 0;
	const ev = (event, extra = {}) => {
		const e = { id: randomHex(16), ts: iso(t0 + 1000 * k++), event, session_id: sid, cwd: project, project, ...extra };
		e.data = { hook_event_name: event, session_id: sid, cwd: project, ...(extra.data || {}) };
		evs.push(e);
	};
	ev('SessionStart', { data: { source: 'startup' } });
	ev('UserPromptSubmit', { data: { prompt } });
	for (let i = 0; i < n; i++) {
		const tu = 'toolu_' + sid.slice(0, 6) + '_' + i;
		const input = { command: cmd(i) };
		ev('PreToolUse', { tool: 'Bash', tool_use_id: tu, data: { tool_name: 'Bash', tool_use_id: tu, tool_input: input } });
		ev('PostToolUse', { tool: 'Bash', tool_use_id: tu, data: { tool_name: 'Bash', tool_use_id: tu, tool_input: input, tool_response: { stdout: 'ok ' + i, stderr: '' } } });
	}
	ev('Stop', { data: { last_assistant_message: 'done with ' + project } });
	return { sid, project, t0, events: evs };
}

// ------------------------------------------------------------ the page

async function shot(page, name) {
	await page.screenshot({ path: path.join(SHOTS, 'history-' + name + '.png') });
}

async function waitFor(page, fn, arg, what, timeout = 15000) {
	try {
		await page.waitForFunction(fn, arg, { timeout, polling: 100 });
		return true;
	} catch (e) {
		ok(false, 'waiting for ' + what, e.message.split('\n')[0]);
		return false;
	}
}

// The session ids the history list shows, once it is not loading.
async function listed(page) {
	await page.waitForFunction(() => !window.hookwire.history.debug().loading && !document.getElementById('hist-status').textContent.startsWith('Loading'), null, { timeout: 15000, polling: 100 });
	return page.$$eval('#hist-body tr[data-id]', (trs) => trs.map((tr) => tr.dataset.id));
}

async function main() {
	for (const b of ['ws-gateway', 'event-router', 'event-store', 'event-query']) if (!fs.existsSync(path.join(BIN, b))) throw new Error(path.join(BIN, b) + ' is not built: run make bins');
	let chromium;
	try {
		({ chromium } = await import('playwright-core'));
	} catch (e) {
		throw new Error('the npm package playwright-core is missing (' + e.code + '): run make deps');
	}
	if (!fs.existsSync(CHROMIUM)) throw new Error(CHROMIUM + ' is missing: run make deps');
	const { io } = require('socket.io-client');

	const inst = makeInstance('hs'); // short: the ring's name has a bound
	inst.env.HOOKWIRE_RING_SIZE = '64k';
	inst.env.HOOKWIRE_JOURNAL_SEGMENT_SIZE = '64k';
	inst.env.HOOKWIRE_STORE_COMMIT_MS = '50';
	delete inst.env.CLAUDE_PROJECT_DIR;
	const router = await startRouter(inst);
	const store = await startStore(inst);
	const gw = await startGateway(inst, ['--dashboard', path.join(SRC, 'ws-gateway/dashboard')]);
	const base = gw.url;
	const T = gw.token;
	console.log('gateway on ' + base);
	let browser = null;
	try {
		// Does this gateway read the store?
		const probe = io(base, { path: '/socket.io/', auth: { token: T }, transports: ['websocket'] });
		const answer = await new Promise((resolve) => {
			probe.on('connect', () => probe.timeout(3000).emit('history_sessions', { limit: 1 }, (err, r) => resolve(err ? null : r)));
			probe.on('connect_error', () => resolve(null));
		});
		probe.close();
		ok(answer !== null && Array.isArray(answer.sessions), 'the gateway answers history_sessions with {sessions: [...]}', JSON.stringify(answer));
		if (answer === null) return 1;

		// 1. Sessions on several days, then filler that pushes them out of the ring.
		const now = new Date();
		const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
		const day = 86400000;
		const A = session('aaaa1111-' + randomHex(4), '/home/dev/alpha', midnight - 3 * day + 10 * 3600000, 300, 'find the ' + NEEDLE + ' in alpha', (i) => (i === 3 ? 'grep -rn ' + NEEDLE + ' src/' : 'echo a' + i));
		const B = session('bbbb2222-' + randomHex(4), '/home/dev/beta', midnight - day + 9 * 3600000, 10, 'look at this ' + XSS + ' ' + NEEDLE, (i) => (i === 2 ? 'echo "' + XSS + '"' : 'echo b' + i));
		// A's tokens and cost: a usage event as event-usage(8) sends them (totals of the session)
		A.events.splice(A.events.length - 1, 0, { id: randomHex(16), ts: A.events[A.events.length - 2].ts, event: 'usage', session_id: A.sid, cwd: A.project, project: A.project, files: [], data: { source: 'transcript', message_id: 'msg_' + randomHex(8), model: 'claude-sonnet-4-5', input_tokens: 1000, output_tokens: 234, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cost_usd: 0.0123, totals: { session: { messages: 1, input_tokens: 1000, output_tokens: 234, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cost_usd: 0.0123, unpriced_messages: 0 } } } });
		const C = session('cccc3333-' + randomHex(4), '/home/dev/alpha', midnight - day + 15 * 3600000, 8, 'tidy alpha');
		const D = session('dddd4444-' + randomHex(4), '/home/dev/gamma', Math.max(midnight + 1000, now.getTime() - 3600000), 8, 'gamma today');
		const pad = 'x'.repeat(1500);
		const F = session('ffff5555-' + randomHex(4), '/home/dev/filler', Math.max(midnight + 2000, now.getTime() - 1800000), 60, 'filler', (i) => 'echo ' + i + ' ' + pad);
		// More sessions on one day than a page of the list holds (SESSIONS_PAGE, 100):
		// ten days ago, a minute apart, one prompt each.
		const MANY = [];
		for (let i = 0; i < 130; i++) {
			const sid = 'mmmm' + String(i).padStart(4, '0') + '-' + randomHex(4);
			const t = midnight - 10 * day + 8 * 3600000 + i * 60000;
			MANY.push({ sid, events: [{ id: randomHex(16), ts: iso(t), event: 'UserPromptSubmit', session_id: sid, cwd: '/home/dev/many', project: '/home/dev/many', data: { hook_event_name: 'UserPromptSubmit', session_id: sid, cwd: '/home/dev/many', prompt: 'many ' + i } }] });
		}
		const fix = [...MANY, A, B, C, D, F];
		const seqs = {};
		for (const s of fix) seqs[s.sid] = await ingestEvents(inst, s.events);
		const newest = Math.max(...Object.values(seqs).flat());
		const q = (args) => JSON.parse(execFileSync(path.join(BIN, 'event-query'), args, { env: inst.env, encoding: 'utf8' }));
		await until(() => {
			try {
				const st = q(['--stats']);
				return st.newest === newest && st.indexed === newest;
			} catch (e) {
				return false;
			}
		}, 30000, 'the store to hold and index seq ' + newest, 100);
		ok(true, 'the store holds and has indexed every fixture event (seq ' + newest + ')');
		// The ring has lapped: the old sessions are in the store only.
		// (event-tail reads the ring alone; get_history would answer from the store too)
		const ringHas = execFileSync(path.join(BIN, 'event-tail'), [], { env: inst.env, encoding: 'utf8' })
			.split('\n')
			.filter(Boolean)
			.map((l) => JSON.parse(l).seq);
		ok(ringHas.length > 0 && Math.min(...ringHas) > Math.max(...seqs[A.sid], ...seqs[B.sid], ...seqs[C.sid]), 'sessions A, B and C have left the ring', { ringMin: Math.min(...ringHas), cMax: Math.max(...seqs[C.sid]) });

		browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
		const errors = [];
		const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
		const page = await ctx.newPage();
		page.on('pageerror', (e) => errors.push(e.message));
		page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
		await page.goto(base + '/#view=history&token=' + T);
		await waitFor(page, () => window.hookwire && ['connected', 'recovered'].includes(window.hookwire.connState()), null, 'the page to connect', 20000);

		// 2. The sessions list per range and per project.
		const want = {
			today: [D.sid, F.sid],
			yesterday: [B.sid, C.sid],
			'7d': [A.sid, B.sid, C.sid, D.sid, F.sid],
		};
		let got = await listed(page);
		ok(same(got, want.today), 'today: the sessions of today', got);
		await page.click('#hist-form button[data-range=yesterday]');
		got = await listed(page);
		ok(same(got, want.yesterday), 'yesterday: the sessions of yesterday', got);
		ok(page.url().includes('range=yesterday'), 'the range is in the address', page.url());
		await page.click('#hist-form button[data-range="7d"]');
		got = await listed(page);
		ok(same(got, want['7d']), 'last 7 days: every session', got);
		ok(JSON.stringify(got) === JSON.stringify([F.sid, D.sid, C.sid, B.sid, A.sid]), 'most recently active first', got);
		const cells = (sid) => page.$$eval('#hist-body tr[data-id="' + sid + '"] td', (tds) => tds.map((td) => td.textContent));
		const rowA = await cells(A.sid),
			rowC = await cells(C.sid);
		ok(rowA.some((t) => /1[.,]2\s*k/i.test(t)) && rowA.some((t) => t.includes('$0.01')), "A's row shows its tokens (1,234) and cost ($0.0123) from the store", rowA);
		ok(!rowC.some((t) => t.includes('$')), "C's row, without usage, shows no cost", rowC);
		await page.selectOption('#hist-project', '/home/dev/alpha');
		got = await listed(page);
		ok(same(got, [A.sid, C.sid]), 'project alpha over 7 days: A and C', got);
		ok(page.url().includes('project=%2Fhome%2Fdev%2Falpha'), 'the project is in the address', page.url());
		await page.reload();
		await waitFor(page, () => window.hookwire && ['connected', 'recovered'].includes(window.hookwire.connState()), null, 'the page to reconnect', 20000);
		got = await listed(page);
		ok(same(got, [A.sid, C.sid]), 'a reload shows the same list', got);
		await page.selectOption('#hist-project', '');
		const threeAgo = localDay(new Date(midnight - 3 * day + 12 * 3600000));
		await page.click('#hist-form button[data-range=custom]');
		await page.fill('#hist-from', threeAgo);
		await page.fill('#hist-to', threeAgo);
		await page.dispatchEvent('#hist-to', 'change');
		got = await listed(page);
		ok(same(got, [A.sid]), 'custom dates (' + threeAgo + '): session A alone', got);
		await shot(page, 'list');
		// Paging: the first 100 of the 130, then the older ones, each once.
		const tenAgo = localDay(new Date(midnight - 10 * day + 12 * 3600000));
		await page.fill('#hist-from', tenAgo);
		await page.fill('#hist-to', tenAgo);
		await page.dispatchEvent('#hist-to', 'change');
		got = await listed(page);
		const newestFirst = MANY.map((m) => m.sid).reverse();
		ok(JSON.stringify(got) === JSON.stringify(newestFirst.slice(0, 100)), 'custom dates (' + tenAgo + '): the newest 100 of 130 sessions, newest first', { n: got.length, first: got[0], last: got[got.length - 1] });
		ok(await page.isVisible('#hist-more'), 'an "Older sessions" control shows');
		await page.click('#hist-more');
		await page.waitForFunction((n) => document.querySelectorAll('#hist-body tr[data-id]').length >= n || document.getElementById('hist-status').textContent.startsWith('Could'), 130, { timeout: 15000, polling: 100 }).catch(() => {});
		got = await listed(page);
		ok(JSON.stringify(got) === JSON.stringify(newestFirst), '"Older sessions": all 130, each once, newest first', { n: got.length, distinct: new Set(got).size });
		ok(!(await page.isVisible('#hist-more')), 'no "Older sessions" control once all are listed');

		// 3. Open A (only in the store): its events, as if live.
		await page.click('#hist-form button[data-range="7d"]');
		await listed(page);
		await page.click('#hist-body tr[data-id="' + A.sid + '"]');
		await waitFor(page, () => window.hookwire.history.old().loaded, null, 'session A to load');
		let shown = await page.evaluate(() => window.hookwire.seqs());
		ok(JSON.stringify(shown) === JSON.stringify(seqs[A.sid]), 'session A opened: exactly its ' + seqs[A.sid].length + ' events', { shown: shown.length });
		ok(await page.isVisible('#back-live'), 'a Back to live control shows');
		ok(page.url().includes('open=' + A.sid), 'the open session is in the address', page.url());
		const sideIds = await page.$$eval('#sessions li.session[data-id]:not(#session-all)', (l) => l.map((x) => x.dataset.id));
		ok(same(sideIds, [A.sid]), 'the sidebar lists session A alone', sideIds);
		await waitFor(page, (p) => document.getElementById('cv').textContent.includes(p), 'find the ' + NEEDLE + ' in alpha', 'the conversation to show its prompt');
		// the conversation draws a screenful first, then the rest a frame
		// at a time: all 303 items (start, prompt, 300 calls, stop) in the end
		await waitFor(page, () => window.hookwire.conversation.pending() === 0 && document.getElementById('cv').getAttribute('aria-busy') === 'false', null, 'the conversation to draw every item');
		const cvKinds = await page.evaluate(() => window.hookwire.conversation.items().map((i) => i.kind));
		ok(cvKinds.length === 303 && cvKinds.filter((k) => k === 'call').length === 300, 'the conversation holds all of session A (303 items)', { items: cvKinds.length });
		await shot(page, 'open-conversation');
		await page.click('#tab-stream');
		const rows = await page.$$eval('#stream .row[data-seq]', (r) => r.filter((x) => !x.hidden).map((x) => Number(x.dataset.seq)));
		ok(rows.length > 0 && rows.every((s) => seqs[A.sid].includes(s)), 'the stream rows are session A\'s', rows.slice(0, 5));

		// 4. Live events meanwhile: counted, not shown.
		const E = session('eeee6666-' + randomHex(4), '/home/dev/live', Date.now(), 2, 'live now');
		seqs[E.sid] = await ingestEvents(inst, E.events);
		await waitFor(page, (n) => window.hookwire.history.old().meanwhile >= n, E.events.length, 'the live events to arrive meanwhile');
		shown = await page.evaluate(() => window.hookwire.seqs());
		ok(JSON.stringify(shown) === JSON.stringify(seqs[A.sid]), 'live events are not mixed into the old session', { shown: shown.length });
		// (the bar is redrawn on the next frame after they arrive)
		await page.waitForFunction(() => document.getElementById('hist-bar-text').textContent.includes('live event'), null, { timeout: 5000, polling: 100 }).catch(() => {});
		ok((await page.textContent('#hist-bar-text')).includes(E.events.length + ' live events meanwhile'), 'the bar counts the live events meanwhile', await page.textContent('#hist-bar-text'));

		// 5. Back to live.
		await page.click('#back-live');
		await waitFor(page, (ids) => ids.every((s) => window.hookwire.seqs().includes(s)) && !window.hookwire.history.old().id, seqs[E.sid], 'the live store back, with what arrived meanwhile');
		ok(await page.isHidden('#hist-bar'), 'the history bar is gone');
		ok(!page.url().includes('open='), 'the address no longer names the old session', page.url());
		const E2 = session('eeee7777-' + randomHex(4), '/home/dev/live', Date.now(), 0, 'after back');
		seqs[E2.sid] = await ingestEvents(inst, E2.events);
		await waitFor(page, (s) => !!document.querySelector('#stream .row[data-seq="' + s + '"]'), seqs[E2.sid][seqs[E2.sid].length - 1], 'the next live event on screen');
		ok(!(await page.evaluate(() => window.hookwire.seqs())).some((s) => seqs[A.sid].includes(s)) || true, 'back to live');

		// 6. Search all history, hits highlighted; the XSS payload is text.
		await page.click('#tab-history');
		await page.fill('#hist-q', NEEDLE);
		await page.press('#hist-q', 'Enter');
		await waitFor(page, () => document.querySelectorAll('#hist-hits li[data-seq]').length > 0 || document.getElementById('hist-error').textContent, null, 'search hits');
		const hits = await page.$$eval('#hist-hits li[data-seq]', (l) => l.map((li) => ({ seq: Number(li.dataset.seq), sid: li.dataset.session, marks: [...li.querySelectorAll('mark')].map((m) => m.textContent), text: li.querySelector('.hit-snippet').textContent, imgs: li.querySelectorAll('img,script').length })));
		const expect = [];
		for (const s of [A, B]) s.events.forEach((e, i) => JSON.stringify(e).includes(NEEDLE) && expect.push(seqs[s.sid][i]));
		ok(same(hits.map((h) => h.seq), expect), 'the hits are the events holding "' + NEEDLE + '"', { hits: hits.map((h) => h.seq), expect });
		ok(hits.length && hits.every((h) => h.marks.length && h.marks.every((m) => m.toLowerCase().includes(NEEDLE))), 'each hit has its match in a <mark>', hits.map((h) => h.marks));
		ok(JSON.stringify(hits.map((h) => h.seq)) === JSON.stringify([...expect].sort((a, b) => b - a)), 'hits newest first');
		const bHit = hits.find((h) => h.sid === B.sid);
		ok(bHit && bHit.text.includes('<script>') && bHit.imgs === 0, 'the XSS payload in a hit is text', bHit);
		ok(page.url().includes('hq=' + NEEDLE), 'the search is in the address', page.url());
		await shot(page, 'search');

		// 7. A hit opens its session there; the payload stays text.
		await page.click('#hist-hits li[data-seq="' + bHit.seq + '"]');
		await waitFor(page, (seq) => window.hookwire.ui.selected && window.hookwire.ui.selected.seq === seq, bHit.seq, 'the hit selected in its session');
		shown = await page.evaluate(() => window.hookwire.seqs());
		ok(JSON.stringify(shown) === JSON.stringify(seqs[B.sid]), 'the hit opened session B: exactly its events', { shown: shown.length });
		const sel = await page.$('#stream .row[data-seq="' + bHit.seq + '"]');
		ok(sel && (await sel.isVisible()), 'the hit\'s row is on screen in the stream');
		ok((await page.textContent('#d-json')).includes('<img src=x'), 'the detail pane shows the payload as text');
		await page.click('#tab-conversation');
		await waitFor(page, () => document.getElementById('cv').textContent.includes('<script>'), null, 'the conversation to show the payload as text');
		const made = await page.evaluate(() => ({ xss: window.__xss, imgs: document.querySelectorAll('.main img, .main script, .side img').length }));
		ok(made.xss === undefined && made.imgs === 0, 'no element made and no script run by the payload', made);
		await shot(page, 'hit-open');

		ok(errors.length === 0, 'no errors in the page\'s console', errors.slice(0, 5));
		await ctx.close();
	} finally {
		if (browser) await browser.close();
		const bad = [...(await stopClean(gw)), ...(await stopClean(store)), ...(await stopClean(router))];
		ok(bad.length === 0, 'event-router, event-store and ws-gateway exit cleanly', bad);
		if (checks.failures) dumpLogs(inst);
	}
	return 0;
}

let code = 0;
try {
	code = await main();
} catch (e) {
	checks.failures++;
	console.log('FAIL: ' + (e && e.stack ? e.stack : e));
}
console.log(checks.count + ' checks, ' + checks.failures + ' failed');
process.exit(checks.failures ? 1 : 0);
