// app.js: the hookwire dashboard.
//
// Events arrive over Socket.IO (conn.js) into the Store (store.js), which
// deduplicates them by seq and keeps the aggregates.  Views never render on
// arrival: arrivals mark things dirty and one requestAnimationFrame callback
// draws what changed, and the long lists are virtual (vlist.js), so the page
// stays smooth with 100,000 events and hundreds arriving per second.
// Event data is untrusted: it only ever reaches the DOM through textContent.

import { Store, Rate, MAX_EVENTS, HARD_MAX } from './store.js';
import { takeToken, saveToken, forgetToken, connect, getHistory } from './conn.js';
import { VList } from './vlist.js';
import { drawRate } from './chart.js';
import * as fmt from './fmt.js';

const PAGE = 5000; // events per get_history call (the gateway may send fewer)
const ROW_H = 26;

const $ = (id) => document.getElementById(id);

// Writes text only when it changed: a DOM write, even of the same text, costs
// a style, layout and paint pass, and some of these run every frame.
function setText(el, t) {
	if (el.textContent !== t) el.textContent = t;
}

function setHidden(el, h) {
	if (el.hidden !== h) el.hidden = h;
}

const store = new Store();
const rate = new Rate(60);

const ui = {
	focus: '', // session filter ('' = all)
	fEvent: '',
	fTool: '',
	fText: '',
	order: 'newest', // or 'oldest' (following the end)
	paused: false,
	tab: 'stream',
	selected: null, // the event in the detail pane
	selectedCall: null,
	connState: 'connecting',
	connDetail: '',
	connLog: [],
	stats: null,
	transport: '',
};

let socket = null;
let view = []; // events shown in the stream, ascending seq
let viewDirty = true; // rebuild view from the store
let streamDirty = true;
let addedAbove = 0; // rows added at the live end since the last frame
// Newest first, while the user reads further down: the list shows only the
// first `frozen` events of the view, so that arrivals move nothing on screen
// (no relayout, no repaint); a pill offers the newer ones.  -1: live.
let frozen = -1;
let droppedBelow = 0; // rows dropped at the old end since the last frame
let pausedNew = 0;
let loadingOlder = false;
let noOlder = false;
let resyncing = false;

// Rows in the stream list.
function shown() {
	return frozen >= 0 ? Math.min(frozen, view.length) : view.length;
}

// ---------------------------------------------------------------- filters

function textOf(ev) {
	// Lazily cached lower-case text for free-text search.
	if (ev._text === undefined) {
		let d = '';
		try {
			d = JSON.stringify(ev.data);
		} catch (e) {
			d = '';
		}
		ev._text = (ev.event + ' ' + (ev.tool || '') + ' ' + (ev.session_id || '') + ' ' + (ev.project || '') + ' ' + d).toLowerCase();
		Object.defineProperty(ev, '_text', { enumerable: false });
	}
	return ev._text;
}

function matches(ev) {
	if (ui.focus && ev.session_id !== ui.focus) return false;
	if (ui.fEvent && ev.event !== ui.fEvent) return false;
	if (ui.fTool && (ev.tool || ev.data?.tool_name) !== ui.fTool) return false;
	if (ui.fText && !textOf(ev).includes(ui.fText)) return false;
	return true;
}

function filtering() {
	return !!(ui.focus || ui.fEvent || ui.fTool || ui.fText);
}

function rebuildView() {
	view = filtering() ? store.events.filter(matches) : store.events.slice();
	frozen = -1;
	viewDirty = false;
	store.reordered = false;
	streamDirty = true;
	pausedNew = 0;
}

// Index in view of the first event with seq >= this one.
function viewLowerBound(seq) {
	let lo = 0,
		hi = view.length;
	while (lo < hi) {
		const m = (lo + hi) >>> 1;
		if (view[m].seq < seq) lo = m + 1;
		else hi = m;
	}
	return lo;
}

// Index in view of the event with this seq, or -1.
function viewIndexOf(seq) {
	const i = viewLowerBound(seq);
	return i < view.length && view[i].seq === seq ? i : -1;
}

// The event at the top of the stream's viewport and how far it is scrolled,
// when the user is reading (not at the live end): kept in place when the
// view is rebuilt under it.
function streamAnchor() {
	if (ui.tab !== 'stream' || view.length === 0 || isAtLiveEnd()) return null;
	const top = stream.root.scrollTop;
	const i = Math.min(shown() - 1, Math.floor(top / ROW_H));
	const ev = itemAt(i);
	return ev ? { seq: ev.seq, off: top - i * ROW_H } : null;
}

function restoreAnchor(a) {
	if (!a) return;
	frozen = -1;
	let j = Math.min(view.length - 1, viewLowerBound(a.seq));
	if (j < 0) return;
	const i = ui.order === 'newest' ? view.length - 1 - j : j;
	stream.update(); // the spacer's new height first
	stream.root.scrollTop = i * ROW_H + a.off;
	addedAbove = 0;
	droppedBelow = 0;
}

// ---------------------------------------------------------------- arrivals

function ingest(ev, live) {
	if (!store.add(ev)) return false;
	if (live) rate.hit();
	if (ui.paused) {
		if (matches(ev)) pausedNew++;
		return true;
	}
	if (store.reordered) {
		viewDirty = true;
		store.reordered = false;
	} else if (!viewDirty && matches(ev)) {
		view.push(ev);
		addedAbove++;
		streamDirty = true;
	}
	return true;
}

function trimStore() {
	const atLive = isAtLiveEnd();
	const cap = atLive && !ui.paused ? MAX_EVENTS : HARD_MAX;
	const n = store.trim(cap);
	if (!n) return;
	noOlder = false;
	if (ui.paused || viewDirty) return;
	const min = store.minSeq;
	let k = 0;
	while (k < view.length && view[k].seq < min) k++;
	if (k) {
		view.splice(0, k);
		if (frozen >= 0) frozen = Math.max(0, frozen - k);
		droppedBelow += k;
		streamDirty = true;
	}
}

function isAtLiveEnd() {
	const r = stream.root;
	if (ui.order === 'newest') return r.scrollTop < ROW_H;
	return r.scrollTop + r.clientHeight >= r.scrollHeight - ROW_H * 2;
}

// A get_history answer: many events at once, merged in one pass.
function ingestMany(evs) {
	const n = store.addMany(evs);
	if (!n) return 0;
	if (ui.paused) pausedNew += n;
	else viewDirty = true;
	store.reordered = false;
	return n;
}

// After a connect without recovery.  First connect: the newest page, then
// older pages back to MAX_EVENTS.  Reconnect: everything after the last seq
// seen, page by page (the connection-state recovery did not work).
async function resync(sock) {
	if (resyncing) return;
	resyncing = true;
	try {
		if (store.lastSeq === 0) {
			ingestMany(await getHistory(sock, { limit: PAGE }));
			kick();
			await backfill(sock, MAX_EVENTS);
		} else {
			let since = store.lastSeq;
			for (let rounds = Math.ceil(HARD_MAX / 100) + 5; rounds > 0 && sock.connected; rounds--) {
				const evs = await getHistory(sock, { since, limit: PAGE });
				ingestMany(evs);
				kick();
				const max = evs.length ? evs[evs.length - 1].seq : since;
				if (!(max > since)) break;
				since = max;
			}
		}
	} catch (e) {
		logConn('history', 'get_history failed: ' + (e && e.message ? e.message : e));
	} finally {
		resyncing = false;
		kick();
	}
}

// Fetches older events (before store.minSeq) until the page holds target.
// get_history answers "the first limit events after since", so each call
// asks for the window just below what the page has.
let pageSize = PAGE;
async function backfill(sock, target) {
	let cursor = store.minSeq; // the page has everything from cursor up
	while (store.size < target && sock.connected && cursor > 1) {
		const since = Math.max(0, cursor - pageSize - 1);
		const evs = await getHistory(sock, { since, limit: pageSize });
		const last = evs.length ? evs[evs.length - 1].seq : cursor;
		if (evs.length && evs.length < pageSize && last < cursor - 1) {
			// The gateway caps answers below our page: use its size.
			pageSize = evs.length;
			continue;
		}
		ingestMany(evs.filter((ev) => ev && ev.seq < cursor));
		cursor = since + 1;
		kick();
		await new Promise((r) => setTimeout(r, 0));
	}
	if (cursor <= 1) noOlder = true;
}

async function loadOlder() {
	if (loadingOlder || noOlder || !socket || !socket.connected || store.size === 0) return;
	if (store.size >= HARD_MAX - PAGE) return;
	loadingOlder = true;
	try {
		await backfill(socket, Math.min(HARD_MAX, store.size + PAGE));
	} catch (e) {
		/* the next scroll to the end tries again */
	} finally {
		loadingOlder = false;
		kick();
	}
}

function noteGap(g, how) {
	if (!g || typeof g !== 'object') return;
	const from = Number(g.from),
		to = Number(g.to);
	if (!Number.isFinite(from) || !Number.isFinite(to)) return;
	store.gaps.push({ from, to, at: new Date().toISOString(), how });
	const n = to - from + 1;
	showBanner('Missed ' + fmt.fmtCount(n) + ' event' + (n === 1 ? '' : 's') + ' (#' + from + '–#' + to + '): they left the ring while this page was disconnected. They are still in the journal on the server.');
	logConn('gap', '#' + from + '–#' + to);
	ui.connState = 'gap';
	ui.connDetail = '#' + from + '–#' + to;
	renderConn();
}

function showBanner(text) {
	const b = $('banner');
	b.textContent = text;
	const x = document.createElement('button');
	x.type = 'button';
	x.textContent = 'dismiss';
	x.addEventListener('click', () => (b.hidden = true));
	b.append(' ', x);
	b.hidden = false;
}

// ---------------------------------------------------------------- connection

function logConn(state, detail) {
	ui.connLog.push({ t: new Date().toTimeString().slice(0, 8), state, detail: detail || '' });
	if (ui.connLog.length > 50) ui.connLog.shift();
	healthDirty = true;
}

function onState(state, detail) {
	const prev = ui.connState;
	ui.connState = state;
	ui.connDetail = detail || '';
	if (state !== prev || state !== 'reconnecting') logConn(state, detail);
	if (state === 'refused') {
		forgetToken();
		askToken('The gateway refused this token' + (detail ? ' (' + detail + ')' : '') + '. Enter the access token that ws-gateway printed, or the one in $STATEDIR/token.');
	}
	renderConn();
}

function renderConn() {
	const el = $('conn');
	el.dataset.state = ui.connState;
	const labels = {
		connecting: 'connecting…',
		connected: 'connected',
		recovered: 'recovered',
		reconnecting: 'reconnecting',
		refused: 'token refused',
		offline: 'offline',
		gap: 'gap',
	};
	$('conn-text').textContent = (labels[ui.connState] || ui.connState) + (ui.connDetail && ui.connState !== 'connected' ? ' · ' + ui.connDetail : ui.transport ? ' · ' + ui.transport : '');
	healthDirty = true;
}

function start(token) {
	$('token-overlay').hidden = true;
	if (socket) {
		socket.removeAllListeners();
		socket.disconnect();
	}
	socket = connect(token, {
		state: onState,
		event: (ev) => {
			ingest(ev, true);
			kick();
		},
		sessions: (list) => {
			store.mergeSessions(list);
			sessionsDirty = true;
			kick();
		},
		stats: (st) => {
			ui.stats = st && typeof st === 'object' ? st : null;
			healthDirty = true;
			kick();
		},
		gap: (g) => {
			noteGap(g, 'server');
			kick();
		},
		resync: (s) => resync(s),
		transport: (t) => {
			ui.transport = t;
			renderConn();
		},
	});
}

function askToken(msg) {
	if (msg) $('token-msg').textContent = msg;
	$('token-overlay').hidden = false;
	$('token-input').value = '';
	$('token-input').focus();
}

$('token-form').addEventListener('submit', (e) => {
	e.preventDefault();
	const t = $('token-input').value.trim();
	if (!t) return;
	saveToken(t);
	start(t);
});

// ---------------------------------------------------------------- stream

function itemAt(i) {
	return ui.order === 'newest' ? view[shown() - 1 - i] : view[i];
}

function agentLabel(ev) {
	if (!ev.agent_id) return ev.event === 'SubagentStart' || ev.event === 'SubagentStop' ? (ev.data?.agent_type || 'subagent') : 'main';
	const s = store.sessions.get(ev.session_id || '');
	const a = s && s.agents.get(ev.agent_id);
	return (a && a.agent_type ? a.agent_type + ' ' : '') + fmt.shortId(ev.agent_id);
}

const stream = new VList($('stream'), {
	rowHeight: ROW_H,
	count: shown,
	item: itemAt,
	keyOf: (ev) => ev.seq,
	indexOfKey: (seq) => {
		const j = viewIndexOf(seq);
		return j < 0 || j >= shown() ? -1 : ui.order === 'newest' ? shown() - 1 - j : j;
	},
	create: () => {
		const el = document.createElement('div');
		el.className = 'row stream-cols';
		el.setAttribute('role', 'option');
		for (let i = 0; i < 6; i++) el.append(document.createElement('span'));
		el.children[5].className = 'sum';
		return el;
	},
	render: (el, ev) => {
		if (el._seq === ev.seq) return;
		el._seq = ev.seq;
		const c = el.children;
		c[0].textContent = fmt.fmtTime(ev.ts);
		c[1].textContent = fmt.shortId(ev.session_id);
		c[1].title = (ev.project || '') + ' ' + (ev.session_id || '');
		c[2].textContent = agentLabel(ev);
		c[3].textContent = ev.event;
		c[3].className = 'ev ' + fmt.eventClass(ev.event);
		c[4].textContent = ev.tool || ev.data?.tool_name || '';
		const sum = fmt.summary(ev);
		if (fmt.hasMarks(sum)) {
			c[5].replaceChildren();
			fmt.appendMarked(c[5], sum);
		} else c[5].textContent = sum;
		el.dataset.seq = ev.seq;
		el.dataset.event = ev.event;
		el.dataset.session = ev.session_id || '';
	},
	onSelect: (ev) => showDetail(ev, null),
	onEnd: () => {
		if (ui.order === 'newest') loadOlder();
	},
});
stream.root.addEventListener('scroll', () => {
	if (ui.order === 'oldest' && stream.root.scrollTop === 0 && view.length) loadOlder();
	if (ui.order === 'newest' && (frozen >= 0) === stream.root.scrollTop < ROW_H) {
		// Back at the top: live again (or just left it: freeze).
		streamDirty = true;
		streamUrgent = true;
		kick();
	}
});
$('new-pill').addEventListener('click', () => {
	stream.root.scrollTop = 0;
	frozen = -1;
	streamDirty = true;
	streamUrgent = true;
	kick();
});

function drawStream() {
	const r = stream.root;
	if (ui.order === 'newest') {
		// Keep what the user reads in place when rows arrive above it.
		if (r.scrollTop < ROW_H) frozen = -1;
		else if (frozen < 0) frozen = view.length - addedAbove;
		const more = view.length - shown();
		const pill = $('new-pill');
		setHidden(pill, more <= 0);
		if (more > 0) setText(pill, '↑ ' + fmt.fmtCount(more) + ' newer event' + (more === 1 ? '' : 's'));
	} else {
		setHidden($('new-pill'), true);
		const follow = r.scrollTop + r.clientHeight >= (view.length - addedAbove) * ROW_H - ROW_H * 2;
		if (droppedBelow && r.scrollTop > 0) r.scrollTop = Math.max(0, r.scrollTop - droppedBelow * ROW_H);
		stream.update();
		if (follow) r.scrollTop = r.scrollHeight;
	}
	addedAbove = 0;
	droppedBelow = 0;
	stream.update();
	setHidden($('empty'), store.size > 0);
	setText($('f-count'), filtering() ? fmt.fmtCount(view.length) + ' of ' + fmt.fmtCount(store.size) : '');
	const pn = $('paused-note');
	setHidden(pn, !ui.paused);
	if (ui.paused) setText(pn, 'Paused: ' + fmt.fmtCount(pausedNew) + ' new event' + (pausedNew === 1 ? '' : 's') + ' waiting. Press p or Resume.');
}

// ---------------------------------------------------------------- detail

function showDetail(ev, call) {
	ui.selected = ev;
	ui.selectedCall = call;
	const d = $('detail');
	if (!ev) {
		d.hidden = true;
		document.body.classList.remove('has-detail');
		return;
	}
	d.hidden = false;
	document.body.classList.add('has-detail');
	$('d-title').textContent = ev.event + ' #' + ev.seq;
	const meta = $('d-meta');
	meta.replaceChildren();
	const kv = (k, v) => {
		if (v === undefined || v === null || v === '') return;
		const dt = document.createElement('dt');
		dt.textContent = k;
		const dd = document.createElement('dd');
		dd.textContent = String(v);
		meta.append(dt, dd);
	};
	kv('time', ev.ts);
	kv('session', ev.session_id);
	kv('project', ev.project);
	kv('agent', ev.agent_id ? agentLabel(ev) : '');
	kv('tool', ev.tool);
	kv('tool_use_id', ev.tool_use_id);
	kv('id', ev.id);
	const pair = $('d-pair');
	pair.replaceChildren();
	const c = call || (ev.tool_use_id ? store.calls.get(ev.tool_use_id) : null);
	if (c) {
		const p = document.createElement('p');
		const other = ev === c.pre ? c.post : c.pre;
		p.className = 'pair-' + c.status;
		p.textContent =
			c.tool + ' call: ' + c.status + (Number.isFinite(c.duration) ? ', ' + fmt.fmtDuration(c.duration) : '') + (Number.isFinite(c.hookMs) ? ' (tool ' + fmt.fmtDuration(c.hookMs) + ')' : '') + (other ? '' : c.post ? '' : ' — no PostToolUse yet');
		pair.append(p);
		if (other) {
			const b = document.createElement('button');
			b.type = 'button';
			b.textContent = 'show ' + other.event + ' #' + other.seq;
			b.addEventListener('click', () => showDetail(other, c));
			pair.append(b);
		}
	}
	const stat = { redacted: 0, truncated: 0 };
	const node = fmt.jsonNode(ev, stat);
	$('d-json').replaceChildren(node);
	const marks = [];
	if (stat.redacted) marks.push(stat.redacted + ' value' + (stat.redacted === 1 ? '' : 's') + ' scrubbed');
	if (stat.truncated) marks.push(stat.truncated + ' string' + (stat.truncated === 1 ? '' : 's') + ' truncated');
	if (ev.meta && typeof ev.meta === 'object') {
		if (!stat.redacted && ev.meta.scrubbed) marks.push(ev.meta.scrubbed + ' scrubbed');
	}
	$('d-marks').textContent = marks.length ? 'Marked below: ' + marks.join(', ') + '.' : '';
}

$('d-close').addEventListener('click', closeDetail);

function closeDetail() {
	stream.selectedKey = null;
	calls.selectedKey = null;
	showDetail(null);
	stream.schedule(true);
	calls.schedule(true);
}

// ---------------------------------------------------------------- sessions

let sessionsDirty = true;
const sessionEls = new Map();

function sessionEl(id) {
	let li = sessionEls.get(id);
	if (li) return li;
	li = document.createElement('li');
	li.className = 'session';
	li.setAttribute('role', 'option');
	li.tabIndex = 0;
	li.dataset.id = id;
	const head = document.createElement('div');
	head.className = 's-head';
	const proj = document.createElement('span');
	proj.className = 's-project';
	const st = document.createElement('span');
	st.className = 's-state';
	head.append(proj, st);
	const meta = document.createElement('div');
	meta.className = 's-meta';
	const agents = document.createElement('ul');
	agents.className = 'agents';
	li.append(head, meta, agents);
	sessionEls.set(id, li);
	return li;
}

function basename(p) {
	if (typeof p !== 'string' || !p) return '';
	const parts = p.replace(/\/+$/, '').split('/');
	return parts[parts.length - 1] || p;
}

function drawSessions() {
	const ul = $('sessions');
	const now = Date.now();
	const list = store.sessionList();
	let prev = $('session-all');
	const allSel = ui.focus === '' ? 'true' : 'false';
	if ($('session-all').getAttribute('aria-selected') !== allSel) $('session-all').setAttribute('aria-selected', allSel);
	setText($('all-meta'), fmt.fmtCount(store.size) + ' events');
	for (const s of list) {
		const li = sessionEl(s.session_id);
		const state = store.stateOf(s, now);
		const [head, meta, agents] = li.children;
		setText(head.children[0], basename(s.project) || '(no project)');
		if (head.children[0].title !== s.project) head.children[0].title = s.project;
		setText(head.children[1], state);
		if (head.children[1].dataset.state !== state) head.children[1].dataset.state = state;
		const tool = s.ended ? '' : s.events ? s.tool : s.serverTool || '';
		setText(meta, fmt.shortId(s.session_id) + ' · ' + fmt.fmtDate(s.started || s.serverStarted) + ' · ' + fmt.fmtCount(s.serverEvents > s.events ? s.serverEvents : s.events) + ' events' + (s.failures ? ' · ' + s.failures + ' failed' : '') + (tool ? ' · ' + tool + '…' : ''));
		if (meta.title !== s.session_id) meta.title = s.session_id;
		const selv = ui.focus === s.session_id ? 'true' : 'false';
		if (li.getAttribute('aria-selected') !== selv) li.setAttribute('aria-selected', selv);
		if (li.dataset.state !== state) li.dataset.state = state;
		// Subagents, nested: which agent ran which tools.
		const subs = [...s.agents.values()].filter((a) => a.agent_id);
		setHidden(agents, subs.length === 0);
		const akey = subs.map((a) => a.agent_id + a.events + a.running + a.stopped).join();
		if (agents._key === akey) {
			if (prev.nextSibling !== li) prev.after(li);
			prev = li;
			continue;
		}
		agents._key = akey;
		const items = [];
		for (const a of subs.slice(0, 8)) {
			const ali = document.createElement('li');
			const tools = [...a.tools.entries()].sort((x, y) => y[1] - x[1]).map(([t, n]) => t + '×' + n).join(' ');
			const name = document.createElement('span');
			name.className = 'a-name';
			name.textContent = '↳ ' + (a.agent_type || 'subagent') + ' ' + fmt.shortId(a.agent_id);
			const info = document.createElement('span');
			info.className = 'a-tools';
			info.textContent = (tools || 'no tools yet') + (a.running ? ' · running' : a.stopped ? ' · done' : '');
			ali.append(name, info);
			items.push(ali);
		}
		if (subs.length > 8) {
			const more = document.createElement('li');
			more.textContent = '… ' + (subs.length - 8) + ' more subagents';
			items.push(more);
		}
		agents.replaceChildren(...items);
		if (prev.nextSibling !== li) prev.after(li);
		prev = li;
	}
	setText($('count-sessions'), fmt.fmtCount(list.length));
	// The session filter's options follow the list.
	syncOptions($('f-session'), list.map((s) => [s.session_id, (basename(s.project) || '?') + ' · ' + fmt.shortId(s.session_id)]), ui.focus);
	sessionsDirty = false;
}

function syncOptions(sel, pairs, value) {
	const key = pairs.map((p) => p[0]).join('\n');
	if (sel._key !== key) {
		const opts = [new Option('all', '')];
		for (const [v, label] of pairs) opts.push(new Option(label, v));
		sel.replaceChildren(...opts);
		sel._key = key;
	}
	if (sel.value !== value) sel.value = value;
}

function setFocus(id) {
	ui.focus = id || '';
	drawSessions.t = 0; // redraw the list now, not at its usual pace
	viewDirty = true;
	streamUrgent = true;
	sessionsDirty = true;
	callsDirty = true;
	filesDirty = true;
	kick();
}

$('sessions').addEventListener('click', (e) => {
	const li = e.target.closest('li.session');
	if (li) setFocus(li.dataset.id === ui.focus ? '' : li.dataset.id);
});
$('sessions').addEventListener('keydown', (e) => {
	const li = e.target.closest('li.session');
	if (!li) return;
	if (e.key === 'Enter' || e.key === ' ') {
		e.preventDefault();
		setFocus(li.dataset.id);
	} else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
		e.preventDefault();
		const all = [...$('sessions').querySelectorAll(':scope > li.session')];
		const i = all.indexOf(li) + (e.key === 'ArrowDown' ? 1 : -1);
		if (all[i]) all[i].focus();
	}
});

// ---------------------------------------------------------------- filters UI

function syncFilterOptions() {
	syncOptions($('f-event'), [...store.names].sort().map((n) => [n, n]), ui.fEvent);
	syncOptions($('f-tool'), [...store.tools].sort().map((n) => [n, n]), ui.fTool);
}

$('f-session').addEventListener('change', (e) => setFocus(e.target.value));
$('f-event').addEventListener('change', (e) => {
	ui.fEvent = e.target.value;
	viewDirty = true;
	streamUrgent = true;
	kick();
});
$('f-tool').addEventListener('change', (e) => {
	ui.fTool = e.target.value;
	viewDirty = true;
	streamUrgent = true;
	kick();
});
let textTimer = 0;
$('f-text').addEventListener('input', (e) => {
	clearTimeout(textTimer);
	textTimer = setTimeout(() => {
		ui.fText = e.target.value.trim().toLowerCase();
		viewDirty = true;
		streamUrgent = true;
		kick();
	}, 120);
});
$('filters').addEventListener('submit', (e) => e.preventDefault());

function setPaused(p) {
	ui.paused = p;
	$('pause').setAttribute('aria-pressed', p ? 'true' : 'false');
	$('pause').textContent = p ? 'Resume' : 'Pause';
	if (!p) viewDirty = true;
	streamDirty = true;
	streamUrgent = true;
	kick();
}
$('pause').addEventListener('click', () => setPaused(!ui.paused));
$('order').addEventListener('click', () => {
	ui.order = ui.order === 'newest' ? 'oldest' : 'newest';
	frozen = -1;
	$('order').textContent = ui.order === 'newest' ? 'Newest first' : 'Following';
	const sel = stream.selectedIndex();
	stream.root.scrollTop = ui.order === 'newest' ? 0 : stream.root.scrollHeight;
	streamDirty = true;
	streamUrgent = true;
	stream.schedule(true);
	if (sel >= 0) requestAnimationFrame(() => stream.scrollToIndex(stream.selectedIndex()));
	kick();
});

// ---------------------------------------------------------------- tabs

function setTab(name) {
	ui.tab = name;
	for (const b of document.querySelectorAll('.tabs [role=tab]')) {
		const on = b.dataset.view === name;
		b.setAttribute('aria-selected', on ? 'true' : 'false');
		b.tabIndex = on ? 0 : -1;
		$('view-' + b.dataset.view).hidden = !on;
	}
	document.body.dataset.tab = name;
	lastRateDraw = 0; // the health tab's chart: draw it now
	callsDirty = filesDirty = healthDirty = true;
	streamDirty = true;
	streamUrgent = true;
	stream.schedule(true);
	calls.schedule(true);
	kick();
}
document.querySelector('.tabs').addEventListener('click', (e) => {
	const b = e.target.closest('[role=tab]');
	if (b) setTab(b.dataset.view);
});
document.querySelector('.tabs').addEventListener('keydown', (e) => {
	const tabs = [...document.querySelectorAll('.tabs [role=tab]')];
	const i = tabs.findIndex((t) => t.dataset.view === ui.tab);
	let j = -1;
	if (e.key === 'ArrowRight') j = (i + 1) % tabs.length;
	else if (e.key === 'ArrowLeft') j = (i + tabs.length - 1) % tabs.length;
	if (j < 0) return;
	e.preventDefault();
	setTab(tabs[j].dataset.view);
	tabs[j].focus();
});

// ---------------------------------------------------------------- tool calls

let callsDirty = true;
let callsView = [];
let callsLast = 0;

const calls = new VList($('calls'), {
	rowHeight: ROW_H,
	count: () => callsView.length,
	item: (i) => callsView[i],
	keyOf: (c) => c.id,
	indexOfKey: (id) => callsView.findIndex((c) => c.id === id),
	create: () => {
		const el = document.createElement('div');
		el.className = 'row calls-cols';
		el.setAttribute('role', 'option');
		for (let i = 0; i < 7; i++) el.append(document.createElement('span'));
		el.children[5].className = 'num';
		return el;
	},
	render: (el, c) => {
		const v = c.status + c.duration;
		if (el._c === c && el._v === v) return;
		el._c = c;
		el._v = v;
		const ev = c.pre || c.post;
		const x = el.children;
		x[0].textContent = fmt.fmtTime(ev.ts);
		x[1].textContent = fmt.shortId(c.session_id);
		x[2].textContent = c.agent_id ? agentLabel(ev) : 'main';
		x[3].textContent = c.tool;
		x[4].textContent = fmt.toolSummary(c.tool, (c.pre || c.post).data?.tool_input, ev.cwd);
		x[5].textContent = fmt.fmtDuration(c.duration);
		x[6].textContent = c.status === 'failed' || c.status === 'interrupted' ? c.status + ': ' + String(c.post?.data?.error || '').split('\n')[0] : c.status;
		x[6].className = 'outcome o-' + c.status;
		el.dataset.tool = c.tool;
		el.dataset.status = c.status;
		el.dataset.id = c.id;
	},
	onSelect: (c) => {
		if (c) showDetail(c.post || c.pre, c);
		else showDetail(null);
	},
});

function drawCalls() {
	const sort = $('c-sort').value;
	const failedOnly = $('c-failed').checked;
	let list = store.callList.filter((c) => (!ui.focus || c.session_id === ui.focus) && (!failedOnly || c.status === 'failed' || c.status === 'interrupted'));
	if (sort === 'slowest') list.sort((a, b) => (Number.isFinite(b.duration) ? b.duration : -1) - (Number.isFinite(a.duration) ? a.duration : -1));
	else list.reverse();
	callsView = list;
	let failed = 0,
		running = 0;
	for (const c of list) {
		if (c.status === 'failed' || c.status === 'interrupted') failed++;
		else if (c.status === 'running') running++;
	}
	$('c-summary').textContent = fmt.fmtCount(list.length) + ' calls · ' + failed + ' failed · ' + running + ' running';
	calls.schedule(true);
	callsDirty = false;
	callsLast = performance.now();
}
$('c-sort').addEventListener('change', () => {
	callsDirty = true;
	kick();
});
$('c-failed').addEventListener('change', () => {
	callsDirty = true;
	kick();
});

// ---------------------------------------------------------------- files

let filesDirty = true;
let filesLast = 0;
const OP_NAMES = { read: 'read', write: 'written', edit: 'edited', search: 'searched' };

function drawFiles() {
	const rows = [];
	for (const s of store.sessions.values()) {
		if (ui.focus && s.session_id !== ui.focus) continue;
		for (const f of s.files.values()) rows.push([s, f]);
	}
	rows.sort((a, b) => (a[1].lastTs < b[1].lastTs ? 1 : a[1].lastTs > b[1].lastTs ? -1 : 0));
	const shown = rows.slice(0, 500);
	const trs = shown.map(([s, f]) => {
		const tr = document.createElement('tr');
		const td = (t, cls) => {
			const c = document.createElement('td');
			c.textContent = t;
			if (cls) c.className = cls;
			tr.append(c);
			return c;
		};
		td(fmt.shortPath(f.path, s.project), 'path').title = f.path;
		td(fmt.shortId(s.session_id)).title = s.project;
		td(f.read || '', 'num');
		td(f.write || '', 'num');
		td(f.edit || '', 'num');
		td(f.search || '', 'num');
		td(OP_NAMES[f.last] || f.last, 'op op-' + f.last);
		td(fmt.fmtTime(f.lastTs));
		return tr;
	});
	$('files-body').replaceChildren(...trs);
	$('files-summary').textContent = rows.length ? fmt.fmtCount(rows.length) + ' files' + (ui.focus ? ' in this session' : ' in all sessions') + (rows.length > shown.length ? ' (the ' + shown.length + ' most recent shown)' : '') : 'No file operations seen yet.';
	filesDirty = false;
	filesLast = performance.now();
}

// ---------------------------------------------------------------- health

let healthDirty = true;
let healthLast = 0;

function statsNode(obj, depth = 0) {
	const dl = document.createElement('dl');
	dl.className = 'kv';
	for (const [k, v] of Object.entries(obj)) {
		const dt = document.createElement('dt');
		dt.textContent = k;
		const dd = document.createElement('dd');
		if (v && typeof v === 'object' && !Array.isArray(v) && depth < 3) dd.append(statsNode(v, depth + 1));
		else dd.textContent = typeof v === 'number' ? fmt.fmtCount(v) : typeof v === 'string' ? v : JSON.stringify(v);
		dl.append(dt, dd);
	}
	return dl;
}

function drawHealth() {
	$('h-conn').textContent = $('conn-text').textContent;
	$('h-log').replaceChildren(
		...ui.connLog
			.slice(-12)
			.reverse()
			.map((l) => {
				const li = document.createElement('li');
				li.textContent = l.t + '  ' + l.state + (l.detail ? ' · ' + l.detail : '');
				return li;
			}),
	);
	const page = {
		'events in page': store.size,
		'events received': store.total,
		'duplicates ignored': store.dups,
		['dropped (page cap ' + fmt.fmtCount(MAX_EVENTS) + ')']: store.dropped,
		'last seq': store.lastSeq,
		gaps: store.gaps.length ? store.gaps.map((g) => '#' + g.from + '–#' + g.to).join(', ') : 'none',
		transport: ui.transport || (socket?.io?.engine?.transport?.name ?? ''),
	};
	$('h-page').replaceChildren(...statsNode(page).childNodes);
	if (ui.stats) $('h-stats').replaceChildren(statsNode(ui.stats));
	healthDirty = false;
	healthLast = performance.now();
}

// ---------------------------------------------------------------- frame loop

let frameQueued = false;
let lastRateDraw = 0;

function kick() {
	if (frameQueued) return;
	frameQueued = true;
	requestAnimationFrame(frame);
}

// Live arrivals redraw the stream at most this often; what the user does
// (filters, focus, order, pause, tabs) redraws on the next frame.
const STREAM_MIN_MS = 100;
let streamUrgent = true;
let lastStreamDraw = 0;
let throttleTimer = 0;

function frame(now) {
	frameQueued = false;
	trimStore();
	// Nobody reads 200 rows a second: past 50 events/s, 4 redraws a second.
	const r = rate.current();
	const minMs = r > 150 ? 400 : r > 50 ? 250 : STREAM_MIN_MS;
	const due = streamUrgent || now - lastStreamDraw >= minMs;
	if ((viewDirty || streamDirty) && !due) {
		if (!throttleTimer) throttleTimer = setTimeout(() => ((throttleTimer = 0), kick()), minMs - (now - lastStreamDraw));
	} else {
		if (viewDirty && !ui.paused) {
			const a = streamAnchor();
			rebuildView();
			restoreAnchor(a);
		}
		if (ui.tab === 'stream' && (streamDirty || ui.paused)) {
			drawStream();
			streamDirty = false;
		}
		lastStreamDraw = now;
		streamUrgent = false;
		// The header's counter changes with every event: at the same pace.
		setText($('count-events'), fmt.fmtCount(store.size));
	}
	if (sessionsDirty || store.version !== drawSessions.v) {
		if (now - (drawSessions.t || 0) > 500) {
			drawSessions.v = store.version;
			drawSessions.t = now;
			drawSessions();
			syncFilterOptions();
		} else kick();
	}
	if (ui.tab === 'calls' && (callsDirty || store.version !== drawCalls.v)) {
		if (callsDirty || now - callsLast > 500) {
			drawCalls.v = store.version;
			drawCalls();
		} else kick();
	}
	if (ui.tab === 'files' && (filesDirty || store.version !== drawFiles.v)) {
		if (filesDirty || now - filesLast > 1000) {
			drawFiles.v = store.version;
			drawFiles();
		} else kick();
	}
	if (ui.tab === 'health' && (healthDirty || now - healthLast > 1000)) drawHealth();
	if (now - lastRateDraw > 1000) {
		lastRateDraw = now;
		const b = rate.buckets;
		rate.roll();
		drawRate($('rate-mini'), b.slice(-31));
		setText($('rate-now'), rate.current() + '/s');
		if (ui.tab === 'health') {
			drawRate($('rate-big'), b);
			$('h-rate').textContent = rate.current() + '/s now, peak ' + Math.max(...b.slice(0, -1)) + '/s';
		}
	}
}

// The rate chart and idle states tick once a second even without events.
setInterval(() => {
	sessionsDirty = true;
	kick();
}, 1000);

// ---------------------------------------------------------------- keyboard

document.addEventListener('keydown', (e) => {
	const t = e.target;
	const typing = t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA');
	if (e.key === '/' && !typing) {
		e.preventDefault();
		setTab('stream');
		$('f-text').focus();
		$('f-text').select();
	} else if (e.key === 'Escape') {
		if (!$('token-overlay').hidden) return;
		if (typing) {
			if (t.id === 'f-text' && t.value) {
				t.value = '';
				t.dispatchEvent(new Event('input'));
			} else t.blur();
		} else if (ui.selected) {
			closeDetail();
			(ui.tab === 'calls' ? calls : stream).root.focus();
		} else if (ui.focus) setFocus('');
	} else if ((e.key === 'p' || e.key === 'P') && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
		setPaused(!ui.paused);
	}
});

// ---------------------------------------------------------------- start

// Read-only hooks for the integration test and for curious users' consoles.
window.hookwire = Object.freeze({
	store,
	ui,
	seqs: () => store.events.map((e) => e.seq),
	viewLength: () => view.length,
	connState: () => ui.connState,
});

const token = takeToken();
if (token) start(token);
else askToken();
setTab('stream');
kick();
