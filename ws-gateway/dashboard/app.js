// app.js: the hookwire dashboard.
//
// Events arrive over Socket.IO (conn.js) into the Store (store.js), which
// deduplicates them by seq and keeps the aggregates.  Views never render on
// arrival: arrivals mark things dirty and one requestAnimationFrame callback
// draws what changed, and the long lists are virtual (vlist.js), so the page
// stays smooth with 100,000 events and hundreds arriving per second.
// Event data is untrusted: it only ever reaches the DOM through textContent.
//
// What the user looks at (the view, the filters) is state.js's, kept in the
// address's fragment; every view reads the same filters.  The views:
// stream, tool calls, files and health are here; the pulse chart
// (pulse.js), the timeline (timeline.js), the conversation
// (conversation.js) and the spend (spend.js: tokens and cost, with a line
// per session in the list and today's total in the header) are panels, see
// PANELS below for how one plugs in.

import { Store, Rate, MAX_EVENTS, HARD_MAX, parseTs } from './store.js';
import { takeToken, saveToken, forgetToken, connect, getHistory, ask, fetchEvents } from './conn.js';
import { VList } from './vlist.js';
import { drawRate } from './chart.js';
import { state, matches, filtering, setViews, onChange, changed, decode, setText as setQuery, MAIN } from './state.js';
import { MultiSelect } from './multiselect.js';
import { sessionColour } from './colors.js';
import { createPulse } from './pulse.js';
import { createTimeline } from './timeline.js';
import { createConversation } from './conversation.js';
import { createSpend } from './spend.js';
import { createHistory, loadSession } from './history.js';
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

// live holds what arrives; store is what the views show: live, or an old
// session opened from the history view (history.js) in a Store of its own,
// while live events go on arriving into live, unseen and unmixed.
const live = new Store();
let store = live;
const rate = new Rate(60);

const ui = {
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
let apiToken = ''; // the token, for /api/events
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

// matches() and filtering() are state.js's: every view uses the same ones.
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

function ingest(ev, isLive) {
	if (!live.add(ev)) return false;
	if (isLive) rate.hit();
	if (store !== live) {
		old.meanwhile++;
		return true;
	}
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
	const cap = (atLive && !ui.paused) || store !== live ? MAX_EVENTS : HARD_MAX;
	const n = live.trim(cap);
	if (!n) return;
	noOlder = false;
	if (ui.paused || viewDirty || store !== live) return;
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
	const n = live.addMany(evs);
	if (!n) return 0;
	live.reordered = false;
	if (store !== live) return n;
	if (ui.paused) pausedNew += n;
	else viewDirty = true;
	return n;
}

// After a connect without recovery.  First connect: the newest page, then
// older pages back to MAX_EVENTS.  Reconnect: everything after the last seq
// seen, page by page (the connection-state recovery did not work).
async function resync(sock) {
	if (resyncing) return;
	resyncing = true;
	try {
		if (live.lastSeq === 0) {
			ingestMany(await getHistory(sock, { limit: PAGE }));
			kick();
			await backfill(sock, MAX_EVENTS);
		} else {
			let since = live.lastSeq;
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
// asks for the window of PAGE seqs just below what the page has; when the
// gateway ends an answer early (gateway.history_max below PAGE, or
// gateway.history_bytes reached by large tool results), the next call goes
// on from the last seq it gave, until the window is done.  While an old
// session is open (history.js), it waits: that is what the user is looking
// at, the live view is not shown, and the two would share the connection,
// the gateway's store worker and the page's thread.
const BACKFILL_YIELD_MS = 50;

async function backfill(sock, target) {
	let cursor = live.minSeq; // the page has everything from cursor up
	while (live.size < target && sock.connected && cursor > 1) {
		while (store !== live && sock.connected) await new Promise((r) => setTimeout(r, BACKFILL_YIELD_MS));
		const since = Math.max(0, cursor - PAGE - 1);
		const got = [];
		for (let from = since; sock.connected; ) {
			const evs = await getHistory(sock, { since: from, limit: cursor - 1 - from });
			const inWindow = evs.filter((ev) => ev && ev.seq < cursor);
			got.push(...inWindow);
			const last = inWindow.length ? inWindow[inWindow.length - 1].seq : cursor;
			if (inWindow.length === 0 || inWindow.length < evs.length || !(last > from) || last >= cursor - 1) break;
			from = last;
		}
		ingestMany(got);
		cursor = since + 1;
		kick();
		await new Promise((r) => setTimeout(r, 0));
	}
	if (cursor <= 1) noOlder = true;
}

async function loadOlder() {
	if (store !== live) return; // an old session: history.js loads it whole
	if (loadingOlder || noOlder || !socket || !socket.connected || live.size === 0) return;
	if (live.size >= HARD_MAX - PAGE) return;
	loadingOlder = true;
	try {
		await backfill(socket, Math.min(HARD_MAX, live.size + PAGE));
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
	live.gaps.push({ from, to, at: new Date().toISOString(), how });
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
	if (state === 'connected' || state === 'recovered')
		setTimeout(() => {
			loadOld();
			historyView.connected();
		}, 0);
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
	apiToken = token;
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
			live.mergeSessions(list);
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
	// The session's colour in the pulse chart and the timeline.
	li.style.setProperty('--sc', sessionColour(id));
	const meta = document.createElement('div');
	meta.className = 's-meta';
	const spendLine = document.createElement('div'); // tokens and cost (spend.js)
	spendLine.className = 's-spend';
	spendLine.hidden = true;
	const agents = document.createElement('ul');
	agents.className = 'agents';
	li.append(head, meta, spendLine, agents);
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
	const allSel = state.f.session.size === 0 ? 'true' : 'false';
	if ($('session-all').getAttribute('aria-selected') !== allSel) $('session-all').setAttribute('aria-selected', allSel);
	setText($('all-meta'), fmt.fmtCount(store.size) + ' events');
	for (const s of list) {
		const li = sessionEl(s.session_id);
		const st = store.stateOf(s, now);
		const [head, meta, spendLine, agents] = li.children;
		setText(head.children[0], basename(s.project) || '(no project)');
		if (head.children[0].title !== s.project) head.children[0].title = s.project;
		setText(head.children[1], st);
		if (head.children[1].dataset.state !== st) head.children[1].dataset.state = st;
		const tool = s.ended ? '' : s.events ? s.tool : s.serverTool || '';
		setText(meta, fmt.shortId(s.session_id) + ' · ' + fmt.fmtDate(s.started || s.serverStarted) + ' · ' + fmt.fmtCount(s.serverEvents > s.events ? s.serverEvents : s.events) + ' events' + (s.failures ? ' · ' + s.failures + ' failed' : '') + (tool ? ' · ' + tool + '…' : ''));
		if (meta.title !== s.session_id) meta.title = s.session_id;
		spend.sessionLine(spendLine, s);
		const selv = state.f.session.has(s.session_id) ? 'true' : 'false';
		if (li.getAttribute('aria-selected') !== selv) li.setAttribute('aria-selected', selv);
		if (li.dataset.state !== st) li.dataset.state = st;
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
	sessionsDirty = false;
}

// A session's name in the views: its project's last directory and its id.
function sessionLabel(id) {
	const s = store.sessions.get(id);
	return (basename(s && s.project) || '(no project)') + ' · ' + fmt.shortId(id);
}

// Selects one session (additive: adds it to the selection, or takes it
// out); toggle: a click on the only selected session shows all again.
function selectSession(id, additive, toggle = true) {
	const cur = state.f.session;
	let next;
	if (!id) next = new Set();
	else if (additive) {
		next = new Set(cur);
		if (next.has(id)) next.delete(id);
		else next.add(id);
	} else next = toggle && cur.size === 1 && cur.has(id) ? new Set() : new Set([id]);
	state.f.session = next;
	drawSessions.t = -Infinity; // redraw the list now, not at its usual pace
	changed();
}

$('sessions').addEventListener('click', (e) => {
	const li = e.target.closest('li.session');
	if (li) selectSession(li.dataset.id, !!li.dataset.id && (e.ctrlKey || e.metaKey || e.shiftKey));
});
$('sessions').addEventListener('keydown', (e) => {
	const li = e.target.closest('li.session');
	if (!li) return;
	if (e.key === 'Enter' || e.key === ' ') {
		e.preventDefault();
		selectSession(li.dataset.id, !!li.dataset.id && (e.ctrlKey || e.metaKey || e.shiftKey), false);
	} else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
		e.preventDefault();
		const all = [...$('sessions').querySelectorAll(':scope > li.session')];
		const i = all.indexOf(li) + (e.key === 'ArrowDown' ? 1 : -1);
		if (all[i]) all[i].focus();
	}
});

// ---------------------------------------------------------------- filters UI

const pickers = {
	session: new MultiSelect($('f-session'), { label: 'Session', onChange: (v, first) => setFilter('session', v, first), describe: (id) => fmt.shortId(id) }),
	agent: new MultiSelect($('f-agent'), { label: 'Agent', onChange: (v, first) => setFilter('agent', v, first), describe: (id) => (id === MAIN ? 'main' : fmt.shortId(id)) }),
	event: new MultiSelect($('f-event'), { label: 'Event', onChange: (v, first) => setFilter('event', v, first) }),
	tool: new MultiSelect($('f-tool'), { label: 'Tool', onChange: (v, first) => setFilter('tool', v, first) }),
};

// One visit to a filter's panel is one step back in the browser's history.
function setFilter(k, v, push = true) {
	state.f[k] = v;
	changed(push);
}

// The options follow what the page has seen.
function syncFilterOptions() {
	const list = store.sessionList();
	pickers.session.setOptions(list.map((s) => [s.session_id, sessionLabel(s.session_id), s.project + ' ' + s.session_id]));
	pickers.event.setOptions([...store.names].sort().map((n) => [n, n]));
	pickers.tool.setOptions([...store.tools].filter(Boolean).sort().map((n) => [n, n]));
	const agents = [[MAIN, 'main', 'the main thread of each session']];
	const several = state.f.session.size !== 1;
	for (const s of list) {
		if (state.f.session.size && !state.f.session.has(s.session_id)) continue;
		for (const a of s.agents.values()) if (a.agent_id && agents.length < 300) agents.push([a.agent_id, (a.agent_type || 'subagent') + ' ' + fmt.shortId(a.agent_id) + (several ? ' · ' + basename(s.project) : ''), a.agent_id]);
	}
	pickers.agent.setOptions(agents);
}

// Typing in the search box: the first keystroke makes a history entry,
// the next ones update it.
let textTimer = 0;
let typing = false;
$('f-text').addEventListener('input', (e) => {
	clearTimeout(textTimer);
	textTimer = setTimeout(() => {
		if (e.target.value === state.text) return;
		setQuery(e.target.value);
		changed(!typing);
		typing = true;
	}, 120);
});
$('f-text').addEventListener('blur', () => (typing = false));
$('filters').addEventListener('submit', (e) => e.preventDefault());
$('f-clear').addEventListener('click', () => {
	for (const k of Object.keys(state.f)) state.f[k] = new Set();
	setQuery('');
	changed();
});

// After any change of the state (by the user here, or back and forward):
// the controls show it and every view redraws with it.
function applyState() {
	syncOpen();
	for (const [k, p] of Object.entries(pickers)) p.set(state.f[k]);
	if ($('f-text').value !== state.text && document.activeElement !== $('f-text')) $('f-text').value = state.text;
	setHidden($('f-clear'), !filtering() && state.f.session.size === 0);
	pulse.sync();
	for (const p of PANELS) p.invalidate();
	viewDirty = true;
	streamUrgent = true;
	sessionsDirty = true;
	drawSessions.t = -Infinity;
	callsDirty = true;
	filesDirty = true;
	if (state.view !== ui.tab) showTab(state.view);
	kick();
}
onChange(applyState);

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

// The user picks a view: a history entry, then showTab (applyState).
function setTab(name) {
	if (name === state.view) return;
	state.view = name;
	changed();
}

function showTab(name) {
	const was = ui.tab;
	ui.tab = name;
	for (const p of PANELS) if (p.id === was && p.id !== name) p.hide();
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
	for (const p of PANELS) if (p.id === name) p.show();
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
	const narrow = filtering();
	let list = store.callList.filter((c) => (!narrow || (c.pre && matches(c.pre)) || (c.post && matches(c.post))) && (!failedOnly || c.status === 'failed' || c.status === 'interrupted'));
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
		if (state.f.session.size && !state.f.session.has(s.session_id)) continue;
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
	$('files-summary').textContent = rows.length ? fmt.fmtCount(rows.length) + ' files' + (state.f.session.size === 1 ? ' in this session' : state.f.session.size ? ' in the selected sessions' : ' in all sessions') + (rows.length > shown.length ? ' (the ' + shown.length + ' most recent shown)' : '') : 'No file operations seen yet.';
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
		if (old.at && store !== live && !viewDirty) gotoAt();
		if (old.id && old.meanwhile !== old.drawn) drawOldBar();
		lastStreamDraw = now;
		streamUrgent = false;
		// The header's counter changes with every event: at the same pace.
		setText($('count-events'), fmt.fmtCount(store.size));
	}
	if (sessionsDirty || store.version !== drawSessions.v) {
		if (now - (drawSessions.t ?? -Infinity) > 500) {
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
	// While an old session loads, the panels redraw as the stream does:
	// at most once every OLD_REDRAW_MS (each redraw rebuilds them).
	const holding = old.loading && now - old.drawnAt < OLD_REDRAW_MS;
	for (const p of PANELS) if (p.id === ui.tab && !holding) p.frame(now);
	pulse.frame(now);
	spend.glance(Date.now());
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

// ---------------------------------------------------------------- an old session

// The address names it (state.open, from history.js's ctx.open or a link):
// the views show it from a Store of its own, as if it were live; live
// events keep arriving into live (counted in the bar, not shown) until
// "Back to live".
const old = {
	id: '', // the session shown ('' : live)
	gen: 0, // a newer open (or back to live) drops older answers
	row: null, // history.js's row for it (project, usage), if it came from the list
	loading: false,
	loaded: false,
	n: 0,
	error: '',
	at: 0, // the event to select once loaded (a search hit)
	meanwhile: 0, // live events since it was opened
	t0: 0,
	firstMs: NaN, // when its first page was drawn
	doneMs: NaN, // when it was all in
	shownAt: NaN, // performance.now() at the frame after the one that drew it all in
};
let epoch = 0;

function openOld(sid, seq, row) {
	if (!sid) return;
	old.row = row && row.session_id === sid ? row : null;
	state.open = sid;
	state.at = seq > 0 ? seq : 0;
	for (const k of Object.keys(state.f)) state.f[k] = new Set();
	state.f.session = new Set([sid]);
	setQuery('');
	if (seq > 0) state.view = 'stream';
	else if (state.view === 'history') state.view = 'conversation';
	changed();
}

function backToLive() {
	state.open = '';
	state.at = 0;
	state.f.session = new Set();
	if (state.view === 'history') state.view = 'stream';
	changed();
}
$('back-live').addEventListener('click', backToLive);

// The page's views forget what they showed: the other store is coming.
function resetShown() {
	view = [];
	viewDirty = true;
	frozen = -1;
	pausedNew = 0;
	addedAbove = droppedBelow = 0;
	stream.selectedKey = null;
	calls.selectedKey = null;
	showDetail(null);
	for (const li of sessionEls.values()) li.remove();
	sessionEls.clear();
	sessionsDirty = true;
	drawSessions.t = -Infinity;
	callsDirty = filesDirty = healthDirty = true;
	streamUrgent = true;
	stream.root.scrollTop = 0;
	if (ui.paused) setPaused(false);
}

// After a change of the state: open the session it names, or go back.
function syncOpen() {
	if (state.open === old.id) {
		if (old.id && state.at && state.at !== old.at && !old.jumped?.has(state.at)) old.at = state.at;
		return;
	}
	old.gen++;
	old.id = state.open;
	old.loading = old.loaded = false;
	old.n = old.meanwhile = 0;
	old.error = '';
	old.at = state.at;
	old.jumped = new Set();
	old.firstMs = old.doneMs = old.shownAt = NaN;
	document.body.classList.toggle('history-open', !!old.id);
	if (!old.id) {
		old.row = null;
		store = live;
		resetShown();
		drawOldBar();
		return;
	}
	const hist = new Store();
	hist.indexers = live.indexers.filter((fn) => !fn.liveOnly);
	hist.version = ++epoch * 1e12; // never a version a view drew from another store
	const r = old.row;
	if (r) hist.mergeSessions([{ session_id: r.session_id, project: typeof r.project === 'string' ? r.project : '', usage: r.usage, events: r.events }]);
	store = hist;
	resetShown();
	drawOldBar();
	loadOld();
}

// Fills the old session's store (again after a failed attempt, or once
// connected).
const OLD_REDRAW_MS = 1000;

function loadOld() {
	if (!old.id || old.loading || old.loaded || !socket || !socket.connected) return;
	const gen = old.gen;
	const hist = store;
	old.loading = true;
	old.error = '';
	old.t0 = performance.now();
	old.drawnAt = -Infinity;
	drawOldBar();
	loadSession(
		(args, onLastSeq) => fetchEvents(apiToken, args, undefined, onLastSeq),
		old.id,
		hist,
		() => gen === old.gen,
		(n, done) => {
			old.n = n;
			// Each redraw rebuilds the views over every event loaded so far:
			// the first page at once, the last at once, the rest at most once
			// every OLD_REDRAW_MS (a 50,000-event session is 11 pages).
			const t = performance.now();
			if (!Number.isFinite(old.firstMs) || done || t - old.drawnAt >= OLD_REDRAW_MS) {
				old.drawnAt = t;
				viewDirty = true;
				streamUrgent = true;
			}
			if (!Number.isFinite(old.firstMs)) old.firstMs = performance.now() - old.t0;
			if (done) old.doneMs = performance.now() - old.t0;
			drawOldBar();
			kick();
		},
	)
		.then(() => {
			if (gen !== old.gen) return;
			old.loaded = true;
			// the last page's frame is queued (progress() kicked it): the
			// callback after it runs once that frame is drawn
			requestAnimationFrame(() => requestAnimationFrame(() => gen === old.gen && (old.shownAt = performance.now())));
		})
		.catch((e) => {
			if (gen !== old.gen) return;
			old.error = e && e.message ? e.message : String(e);
		})
		.finally(() => {
			if (gen !== old.gen) return;
			old.loading = false;
			drawOldBar();
			kick();
		});
}

// Selects the event the address names (a search hit) once it is in.
function gotoAt() {
	const seq = old.at;
	const j = viewIndexOf(seq);
	if (j < 0) {
		if (old.loaded || old.error) old.at = 0; // not in the session (or filtered out)
		return;
	}
	old.at = 0;
	old.jumped.add(seq);
	if (ui.tab !== 'stream') return;
	const i = ui.order === 'newest' ? shown() - 1 - j : j;
	stream.selectIndex(i, false);
	stream.root.scrollTop = Math.max(0, i * ROW_H - stream.root.clientHeight / 3);
	stream.schedule(true);
}

function drawOldBar() {
	const bar = $('hist-bar');
	setHidden(bar, !old.id);
	if (!old.id) return;
	const s = store.sessions.get(old.id);
	const project = (s && s.project) || (old.row && old.row.project) || '';
	const parts = ['History: ' + (basename(project) || '(no project)') + ' · session ' + fmt.shortId(old.id)];
	if (s && s.started) parts.push('started ' + fmt.fmtDate(s.started));
	if (old.error) parts.push('could not load it: ' + (old.error === 'busy' ? 'the gateway is busy' : old.error) + (old.n ? ' (' + fmt.fmtCount(old.n) + ' events shown)' : ''));
	else if (old.loading) parts.push('loading… ' + fmt.fmtCount(old.n) + ' events');
	else if (old.loaded) parts.push(fmt.fmtCount(old.n) + ' events');
	else parts.push('waiting for the connection');
	if (old.meanwhile) parts.push(fmt.fmtCount(old.meanwhile) + ' live event' + (old.meanwhile === 1 ? '' : 's') + ' meanwhile');
	setText($('hist-bar-text'), parts.join(' · '));
	old.drawn = old.meanwhile;
	setHidden($('hist-retry'), !old.error);
}
$('hist-retry').addEventListener('click', loadOld);

// ---------------------------------------------------------------- panels

// A panel is a view in a module of its own, made by a function that takes
// the context below and returns {id, show(), hide(), invalidate(), frame(now)}:
//   id           its tab's data-view, and its section's id after 'view-'
//   show, hide   its tab was selected, or left
//   invalidate   the state (filters, view) changed: rebuild on the next frame
//   frame(now)   called on every animation frame the page draws (arrivals,
//                user actions, and once a second): compare store.version
//                with what was drawn, rebuild at a pace that suits the panel
// To add one (tokens and cost per session, a history browser): write
// name.js, add a tab button and a <section id="view-name"> to index.html,
// and its create function to PANELS.  A panel that needs an aggregate of
// its own registers a store.addIndexer() in its create function: it sees
// every event once, live or from history.
const panelCtx = {
	get store() {
		return store;
	},
	live,
	parseTs,
	kick: () => kick(),
	showDetail: (ev, call) => showDetail(ev, call),
	selectSession: (id, additive) => selectSession(id, additive, false),
	sessionLabel,
	changed: () => changed(),
	getHistory: (q) => (socket && socket.connected ? getHistory(socket, q) : Promise.reject(new Error('not connected'))),
};
const pulse = createPulse(panelCtx);
const timeline = createTimeline(panelCtx);
const conversation = createConversation(panelCtx);
const spend = createSpend(panelCtx);
const historyView = createHistory({ ask: (name, args) => ask(socket, name, args), open: openOld, changed: () => changed(), kick: () => kick() });
const PANELS = [timeline, conversation, spend, historyView];
setViews([...document.querySelectorAll('.tabs [role=tab]')].map((b) => b.dataset.view));

// ---------------------------------------------------------------- keyboard

document.addEventListener('keydown', (e) => {
	const t = e.target;
	const typing = t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA');
	if (e.key === '/' && !typing) {
		e.preventDefault();
		if (ui.tab === 'files' || ui.tab === 'health') setTab('stream');
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
			if (ui.tab === 'timeline') $('tl-canvas').focus();
			else if (ui.tab === 'conversation') $('cv').querySelector('.cv-item[tabindex="0"]')?.focus();
			else (ui.tab === 'calls' ? calls : stream).root.focus();
		} else if (state.f.session.size) selectSession('');
	} else if ((e.key === 'p' || e.key === 'P') && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
		setPaused(!ui.paused);
	}
});

// ---------------------------------------------------------------- start

// Read-only hooks for the integration test and for curious users' consoles.
window.hookwire = Object.freeze({
	get store() {
		return store;
	},
	live,
	ui,
	state,
	seqs: () => store.events.map((e) => e.seq),
	viewLength: () => view.length,
	connState: () => ui.connState,
	timeline: Object.freeze({ debug: () => timeline.debug(), rectOf: (id) => timeline.rectOf(id) }),
	conversation: Object.freeze({ items: () => conversation.items(), pending: () => conversation.pending() }),
	pulse: Object.freeze({ drawn: () => pulse.drawn() }),
	spend: Object.freeze({ debug: () => spend.debug() }),
	history: Object.freeze({ debug: () => historyView.debug(), old: () => ({ id: old.id, n: old.n, loading: old.loading, loaded: old.loaded, error: old.error, meanwhile: old.meanwhile, firstMs: old.firstMs, doneMs: old.doneMs, shownAt: old.shownAt, live: live.size, shown: store.size }) }),
});

// The token first (it leaves the address), then the view the address names.
const token = takeToken();
decode(location.hash);
if (token) start(token);
else askToken();
showTab('stream');
applyState();
