// history-open-bench.mjs: how long the dashboard takes to open a large old
// session from the event store (issue 16's bar: a 50,000-event session in
// under 1 s).
//
//   node tests/bench/history-open-bench.mjs [-n EVENTS] [-r RUNS]
//
// Starts a private event-router with a 1 MiB ring, event-store and
// ws-gateway (the binaries in $HOOKWIRE_BIN, default build/bin), feeds one
// session of EVENTS events (default 50,000; a prompt, then Bash calls of
// about 300 bytes each) and enough filler after it that none of it is left
// in the ring, waits until the store holds and has indexed all of it, then
// opens the session RUNS times (default 3) in headless Chromium from the
// History view (which loads it from /api/events?compress=gzip, 5,000 events
// a page) and reads the page's own clock: the first page of events on
// screen (first_ms) and every event loaded (done_ms), then the next frame
// drawn (drawn_ms), and the conversation holding all its items (all_ms: it
// draws a screenful first, then the rest a frame at a time).  Beside them, from Node: the same events as get_history
// pages over socket.io-client, and as /api/events pages, compressed.  Prints FIGURE lines, then one JSON object as its last
// line.  Every process it started is stopped by pid.  HISTORY_BENCH_PROFILE=FILE
// writes the page's CPU profile of the last run, HISTORY_BENCH_TRACE=FILE its
// Chromium trace (wall times in a trace include time spent off the CPU).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { makeInstance, startRouter, startGateway, startStore, storeStats, stopDaemon, ingestEvents, randomHex, until, SRC, BIN, require, CHROMIUM, CHROMIUM_ARGS } from '../integration/gwlib.mjs';

const PAGE = 5000; // the dashboard's page of an old session (ws-gateway/dashboard/history.js)


let N = 50000;
let RUNS = 3;
for (let i = 2; i < process.argv.length; i++) {
	const a = process.argv[i];
	if (a === '-n') N = Number(process.argv[++i]);
	else if (a === '-r') RUNS = Number(process.argv[++i]);
	else {
		console.error('usage: history-open-bench.mjs [-n events] [-r runs]');
		process.exit(100);
	}
}
if (!(N >= 3 && RUNS >= 1)) {
	console.error('history-open-bench: -n must be at least 3, -r at least 1');
	process.exit(100);
}

function session(sid, project, t0, n, prefix) {
	const evs = [];
	const ev = (event, extra = {}) => {
		const e = { id: randomHex(16), ts: new Date(t0 + evs.length).toISOString(), event, session_id: sid, cwd: project, project, ...extra };
		e.data = { hook_event_name: event, session_id: sid, cwd: project, ...(extra.data || {}) };
		evs.push(e);
	};
	ev('UserPromptSubmit', { data: { prompt: prefix + ' prompt' } });
	for (let i = 0; evs.length < n; i++) {
		const tu = 'toolu_' + prefix + '_' + i;
		const input = { command: 'grep -rn pattern' + i + ' src/ | head -20', description: 'look for pattern ' + i };
		if (i % 2 === 0) ev('PreToolUse', { tool: 'Bash', tool_use_id: tu, data: { tool_name: 'Bash', tool_use_id: tu, tool_input: input } });
		else ev('PostToolUse', { tool: 'Bash', tool_use_id: tu, data: { tool_name: 'Bash', tool_use_id: tu, tool_input: input, tool_response: { stdout: 'src/x.c:' + i + ': pattern' + i, stderr: '' } } });
	}
	return evs;
}

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function main() {
	const { chromium } = await import('playwright-core');
	const inst = makeInstance('hb');
	inst.env.HOOKWIRE_RING_SIZE = '1m';
	inst.env.HOOKWIRE_STORE_COMMIT_MS = '50';
	delete inst.env.CLAUDE_PROJECT_DIR;
	const router = await startRouter(inst);
	const store = await startStore(inst);
	const gw = await startGateway(inst, ['--dashboard', path.join(SRC, 'ws-gateway/dashboard')]);
	let browser = null;
	try {
		const sid = 'bench000-' + randomHex(4);
		const now = Date.now();
		const t0 = process.hrtime.bigint();
		await ingestEvents(inst, session(sid, '/home/dev/big', now - 7200000, N, 'big'));
		const newest = (await ingestEvents(inst, session('filler00-' + randomHex(4), '/home/dev/filler', now - 60000, 8000, 'fill'))).at(-1);
		const ingestS = Number(process.hrtime.bigint() - t0) / 1e9;
		await until(
			() => {
				const st = storeStats(inst);
				return st !== null && st.newest === newest && st.indexed === newest;
			},
			600000,
			'the store to hold and index seq ' + newest,
			250,
		);
		const storedS = Number(process.hrtime.bigint() - t0) / 1e9;
		const ringMin = Math.min(...execFileSync(path.join(BIN, 'event-tail'), ['-n', '1000000'], { env: inst.env, encoding: 'utf8', maxBuffer: 1 << 28 }).split('\n').filter(Boolean).map((l) => JSON.parse(l).seq));
		if (!(ringMin > N)) throw new Error('the session is still in the ring (oldest seq there ' + ringMin + ')');

		// The same pages fetched by socket.io-client from Node: the gateway's
		// and the store's part of the time, without the page's.
		const { io } = require('socket.io-client');
		const nodeRuns = [];
		for (let r = 0; r < RUNS; r++) {
			const c = io(gw.url, { path: '/socket.io/', auth: { token: gw.token }, transports: ['websocket'] });
			await new Promise((resolve, reject) => (c.on('connect', resolve), c.on('connect_error', reject)));
			const ts = process.hrtime.bigint();
			let since = 0,
				n = 0,
				pages = 0;
			for (let limit = 500; ; limit = PAGE) {
				const evs = await c.timeout(60000).emitWithAck('get_history', { session: sid, since, limit });
				pages++;
				if (!Array.isArray(evs) || evs.length === 0) break;
				n += evs.length;
				since = evs[evs.length - 1].seq;
			}
			const ms = Number(process.hrtime.bigint() - ts) / 1e6;
			c.close();
			if (n !== N) throw new Error('node run ' + r + ': ' + n + ' events of ' + N);
			nodeRuns.push(ms);
			console.log('node run ' + r + ': ' + n + ' events in ' + pages + ' get_history calls, ' + ms.toFixed(1) + ' ms');
		}

		// The dashboard's pages, from Node: /api/events?compress=gzip, inflated.
		const zlib = await import('node:zlib');
		const httpRuns = [];
		for (let r = 0; r < RUNS; r++) {
			const ts = process.hrtime.bigint();
			let since = 0,
				n = 0,
				bytes = 0;
			for (let limit = 500; ; limit = PAGE) {
				const res = await fetch(gw.url + '/api/events?session=' + sid + '&since=' + since + '&limit=' + limit + '&compress=gzip', { headers: { Authorization: 'Bearer ' + gw.token } });
				const body = Buffer.from(await res.arrayBuffer());
				bytes += body.length;
				const text = res.headers.get('content-type') === 'application/gzip' ? zlib.gunzipSync(body).toString() : body.toString();
				const lines = text.split('\n').filter(Boolean);
				if (lines.length === 0) break;
				n += lines.length;
				since = JSON.parse(lines.at(-1)).seq;
			}
			const ms = Number(process.hrtime.bigint() - ts) / 1e6;
			if (n !== N) throw new Error('node /api/events run ' + r + ': ' + n + ' events of ' + N);
			httpRuns.push(ms);
			console.log('node /api/events run ' + r + ': ' + n + ' events, ' + bytes + ' bytes compressed, ' + ms.toFixed(1) + ' ms');
		}

		browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
		const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
		const runs = [];
		for (let r = 0; r < RUNS; r++) {
			await page.goto(gw.url + '/#view=history&range=7d&token=' + gw.token);
			await page.waitForFunction(() => window.hookwire && ['connected', 'recovered'].includes(window.hookwire.connState()), null, { timeout: 20000 });
			await page.waitForSelector('#hist-body tr[data-id="' + sid + '"]', { timeout: 20000 });
			// HISTORY_BENCH_PROFILE=FILE: the page's CPU profile of the last run (.cpuprofile, for Chromium's DevTools)
			const prof = process.env.HISTORY_BENCH_PROFILE && r === RUNS - 1 ? await page.context().newCDPSession(page) : null;
			if (prof) await prof.send('Profiler.enable'), await prof.send('Profiler.start');
			const trace = process.env.HISTORY_BENCH_TRACE && r === RUNS - 1;
			if (trace) await browser.startTracing(page, { path: process.env.HISTORY_BENCH_TRACE, categories: ['devtools.timeline', 'v8.execute', 'disabled-by-default-devtools.timeline'] });
			// the clock starts when the click reaches the page (its event's
			// timeStamp, the time the input arrived), not when page.click()
			// begins: Playwright first waits for the row to be visible and
			// stable over animation frames, and on a page still busy taking
			// in its live history that took up to half a second more
			await page.evaluate(() => {
				window.__t0 = NaN;
				document.addEventListener('click', (e) => (window.__t0 = e.timeStamp), { capture: true, once: true });
			});
			await page.click('#hist-body tr[data-id="' + sid + '"]');
			await page.waitForFunction(() => window.hookwire.history.old().loaded || window.hookwire.history.old().error, null, { timeout: 120000, polling: 'raf' });
			// (the page's own clock of the frame after it drew the last page:
			// drawn_ms below also holds Playwright's round trips)
			const shown = page.waitForFunction(() => window.hookwire.history.old().shownAt > 0, null, { timeout: 10000, polling: 'raf' });
			const m = await page.evaluate(
				() =>
					new Promise((resolve) =>
						requestAnimationFrame(() =>
							requestAnimationFrame(() => {
								const o = window.hookwire.history.old();
								resolve({ n: o.n, error: o.error, first_ms: o.firstMs, done_ms: o.doneMs, drawn_ms: performance.now() - window.__t0 });
							}),
						),
					),
			);
			await shown;
			m.shown_ms = await page.evaluate(() => window.hookwire.history.old().shownAt - window.__t0);
			// and when the conversation has every item in (it draws a screenful
			// first, then the rest a frame at a time)
			await page.waitForFunction(() => window.hookwire.conversation.pending() === 0, null, { timeout: 60000, polling: 'raf' });
			m.all_ms = await page.evaluate(() => performance.now() - window.__t0);
			if (trace) await browser.stopTracing();
			if (prof) fs.writeFileSync(process.env.HISTORY_BENCH_PROFILE, JSON.stringify((await prof.send('Profiler.stop')).profile));
			if (m.error || m.n !== N || !(m.drawn_ms > 0)) throw new Error('run ' + r + ': ' + JSON.stringify(m));
			runs.push(m);
			console.log('run ' + r + ': ' + JSON.stringify(m));
		}
		const res = {
			events: N,
			runs: RUNS,
			ingest_s: +ingestS.toFixed(2),
			stored_and_indexed_s: +storedS.toFixed(2),
			first_ms: +median(runs.map((m) => m.first_ms)).toFixed(1),
			done_ms: +median(runs.map((m) => m.done_ms)).toFixed(1),
			drawn_ms: +median(runs.map((m) => m.drawn_ms)).toFixed(1),
			all_ms: +median(runs.map((m) => m.all_ms)).toFixed(1),
			shown_ms: +median(runs.map((m) => m.shown_ms)).toFixed(1),
			node_get_history_ms: +median(nodeRuns).toFixed(1),
			node_api_events_gzip_ms: +median(httpRuns).toFixed(1),
			loadavg: os.loadavg()[0].toFixed(2),
		};
		console.log('FIGURE history_open_first_ms ' + res.first_ms);
		console.log('FIGURE history_open_done_ms ' + res.done_ms);
		console.log('FIGURE history_node_get_history_ms ' + res.node_get_history_ms + ' (the same events as get_history pages, socket.io-client in Node)');
		console.log('FIGURE history_node_api_events_gzip_ms ' + res.node_api_events_gzip_ms + ' (the dashboard\'s /api/events?compress=gzip pages, from Node)');
		console.log('FIGURE history_open_drawn_ms ' + res.drawn_ms + ' (' + N + ' events, median of ' + RUNS + ', load ' + res.loadavg + ')');
		console.log('FIGURE history_open_all_items_ms ' + res.all_ms + ' (the conversation\'s 2000 items all drawn)');
		console.log(JSON.stringify(res));
	} finally {
		if (browser) await browser.close();
		for (const d of [gw, store, router]) await stopDaemon(d);
		fs.rmSync(process.env.HOOKWIRE_TEST_TMP ? inst.dir : path.dirname(inst.dir), { recursive: true, force: true });
	}
}

main().catch((e) => {
	console.error('history-open-bench: ' + (e && e.stack ? e.stack : e));
	process.exit(1);
});
