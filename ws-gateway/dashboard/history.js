// history.js: the History view (a panel, see PANELS in app.js), and the
// loader of an old session.
//
// Every session the gateway's store holds, over days: a range (today,
// yesterday, the last 7 days, or custom dates), a project, the list of
// sessions most recently active first (project, start, duration, events,
// tokens and cost when the store has them), paged with `before`; and a
// search over all of history (`search`), whose hits carry their matches
// between \u0002 and \u0003: they are drawn as <mark> elements around text
// nodes, never as HTML (the text is the event's: untrusted).  All of it is
// in the address (state.js: range, from, to, project, hq), so a reload or
// a shared link opens the same list.
//
// Opening a session (a row, or a hit: ctx.open(id, seq)) is app.js's: it
// shows the session in a Store of its own with the usual views, while live
// events keep arriving into the live one.  loadSession() below fills that
// store: get_history {session, since} a page at a time, oldest first, the
// first page small so that the first screen comes at once, the rest
// progressively (the views are virtual lists).
//
// The gateway may answer any request {error: "busy"} or {error: "..."}:
// shown in the view, tried again when the user asks.

import { state, RANGES } from './state.js';
import * as fmt from './fmt.js';

const SESSIONS_PAGE = 100;
const HITS_PAGE = 50;
export const FIRST_PAGE = 500; // events in the first get_history of an old session
export const PAGE = 5000; // and in each of the next

const RANGE_LABELS = { today: 'Today', yesterday: 'Yesterday', '7d': 'Last 7 days', custom: 'Dates…' };

function el(tag, cls, text) {
	const e = document.createElement(tag);
	if (cls) e.className = cls;
	if (text !== undefined) e.textContent = text;
	return e;
}

// A snippet with its hits between \u0002 and \u0003, into el: text nodes
// and <mark>s only.
export function appendSnippet(parent, snippet) {
	const t = typeof snippet === 'string' ? snippet : '';
	let i = 0;
	let inHit = false;
	while (i <= t.length) {
		const j = t.indexOf(inHit ? '\u0003' : '\u0002', i);
		const part = t.slice(i, j < 0 ? t.length : j);
		if (part) {
			if (inHit) {
				const m = document.createElement('mark');
				m.textContent = part;
				parent.append(m);
			} else parent.append(document.createTextNode(part));
		}
		if (j < 0) break;
		inHit = !inHit;
		i = j + 1;
	}
}

// YYYY-MM-DD of a local date.
function dayOf(d) {
	return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0');
}

// Local midnight of YYYY-MM-DD (or of d, plus days).
function midnight(day, plus = 0) {
	const [y, m, d] = day.split('-').map(Number);
	return new Date(y, m - 1, d + plus);
}

// The range's bounds for history_sessions: RFC 3339 UTC times (the local
// days' midnights; to is the last millisecond of the last day), or ''.
export function bounds(h, now = new Date()) {
	const today = dayOf(now);
	const end = (day) => new Date(midnight(day, 1).getTime() - 1).toISOString();
	if (h.range === 'yesterday') return { from: midnight(today, -1).toISOString(), to: end(dayOf(midnight(today, -1))) };
	if (h.range === '7d') return { from: midnight(today, -6).toISOString(), to: '' };
	if (h.range === 'custom') return { from: h.from ? midnight(h.from).toISOString() : '', to: h.to ? end(h.to) : '' };
	return { from: midnight(today).toISOString(), to: '' };
}

// A time in the shapes a store row may carry: RFC 3339, or a number of
// microseconds (or milliseconds) since the epoch.  Returns ms or NaN.
function toMs(t) {
	if (typeof t === 'string') return Date.parse(t);
	if (typeof t === 'number' && Number.isFinite(t)) return t > 1e14 ? t / 1000 : t;
	return NaN;
}

function fmtWhen(ms) {
	if (!Number.isFinite(ms)) return '';
	const d = new Date(ms);
	return dayOf(d) + ' ' + d.toTimeString().slice(0, 5);
}

function basename(p) {
	if (typeof p !== 'string' || !p) return '';
	const parts = p.replace(/\/+$/, '').split('/');
	return parts[parts.length - 1] || p;
}

function int(v) {
	return Number.isFinite(v) ? v : 0;
}

// The error an answer carries, or ''.
function errorOf(r) {
	if (r && typeof r === 'object' && !Array.isArray(r) && r.error !== undefined) return String(r.error) || 'error';
	return '';
}

function errText(what, e) {
	const m = typeof e === 'string' ? e : e && e.message ? e.message : String(e);
	return what + ': ' + (m === 'busy' ? 'the gateway is busy, try again in a moment' : m === 'operation has timed out' ? 'no answer from the gateway' : m);
}

// Loads session sid into hist (a Store), oldest first.  page({session,
// since, limit}) returns the events (conn.js fetchEvents); alive() says
// whether the page still wants it; progress(n, done) after each page.
// Resolves with the number of events, rejects with the gateway's error.
export async function loadSession(page, sid, hist, alive, progress) {
	// The next page is asked for as soon as this one's last seq is known:
	// from the answer's head when page() tells it early (fetchEvents with
	// the gateway's Hookwire-Last-Seq), else once it is parsed; so the
	// gateway reads the next page while the page takes this one in.
	const ahead = new Map(); // since -> the page after it, asked early
	const next = (since, limit) => {
		const p = page({ session: sid, since, limit }, (last) => {
			if (last > since && alive() && !ahead.has(last)) ahead.set(last, next(last, PAGE));
		});
		p.catch(() => {}); // rejections are met at the await below, or not wanted
		return p;
	};
	let since = 0;
	let n = 0;
	let pending = next(0, FIRST_PAGE);
	for (;;) {
		const r = await pending;
		if (!alive()) return n;
		const err = errorOf(r);
		if (err) throw new Error(err);
		if (!Array.isArray(r)) throw new Error('a malformed answer');
		let last = since;
		for (const ev of r) if (ev && typeof ev === 'object' && Number.isSafeInteger(ev.seq) && ev.seq > last) last = ev.seq;
		const done = !(last > since);
		if (!done) pending = ahead.get(last) || next(last, PAGE);
		ahead.delete(last);
		const evs = [];
		for (const ev of r) if (ev && typeof ev === 'object' && Number.isSafeInteger(ev.seq) && ev.session_id === sid && typeof ev.event === 'string') evs.push(ev);
		n += hist.addMany(evs);
		hist.reordered = false;
		progress(n, done);
		if (done) return n;
		since = last;
	}
}

// ctx: ask(name, args) -> Promise, open(session_id, seq, row), changed(),
// kick().
export function createHistory(ctx) {
	const $ = (id) => document.getElementById(id);
	const root = $('history');
	let shown = false;
	let key = ''; // the query the list shows
	let gen = 0; // answers of an older query are dropped
	let rows = []; // sessions shown
	let more = false;
	let loading = false;
	let hits = [];
	let hitsMore = false;
	let hitsKey = '';
	const projects = new Set();

	// ---- the skeleton

	const bar = el('form', 'toolbar hist-bar');
	bar.id = 'hist-form';
	bar.setAttribute('autocomplete', 'off');
	const seg = el('div', 'seg');
	seg.setAttribute('role', 'group');
	seg.setAttribute('aria-label', 'Days');
	const rangeBtns = RANGES.map((r) => {
		const b = el('button', '', RANGE_LABELS[r]);
		b.type = 'button';
		b.dataset.range = r;
		seg.append(b);
		return b;
	});
	const custom = el('span', 'hist-custom');
	const from = el('input');
	from.type = 'date';
	from.id = 'hist-from';
	from.setAttribute('aria-label', 'From');
	const to = el('input');
	to.type = 'date';
	to.id = 'hist-to';
	to.setAttribute('aria-label', 'To');
	custom.append(from, ' – ', to);
	const projLabel = el('label', '', 'Project ');
	const proj = el('select');
	proj.id = 'hist-project';
	projLabel.append(proj);
	const qLabel = el('label', 'grow', 'Search all history ');
	const q = el('input');
	q.type = 'search';
	q.id = 'hist-q';
	q.placeholder = 'a command, a path, a prompt… (3 characters or more, Enter)';
	q.spellcheck = false;
	q.maxLength = 1024;
	qLabel.append(q);
	bar.append(seg, custom, projLabel, qLabel);

	const error = el('p', 'hist-error');
	error.id = 'hist-error';
	error.setAttribute('role', 'alert');
	error.hidden = true;
	const status = el('p', 'muted hist-status');
	status.id = 'hist-status';
	status.setAttribute('aria-live', 'polite');

	const hitsBox = el('section', 'hist-hits');
	hitsBox.hidden = true;
	const hitsHead = el('h3', '', 'Matches');
	const hitsList = el('ol', 'hist-hit-list');
	hitsList.id = 'hist-hits';
	const hitsMoreBtn = el('button', '', 'Older matches');
	hitsMoreBtn.type = 'button';
	hitsMoreBtn.id = 'hist-hits-more';
	hitsMoreBtn.hidden = true;
	hitsBox.append(hitsHead, hitsList, hitsMoreBtn);

	const table = el('table', 'hist-sessions');
	const thead = el('thead');
	const htr = el('tr');
	for (const [t, c] of [
		['project', ''],
		['started', ''],
		['duration', 'num'],
		['events', 'num'],
		['tokens', 'num'],
		['cost', 'num'],
		['session', ''],
	])
		htr.append(el('th', c, t));
	thead.append(htr);
	const tbody = el('tbody');
	tbody.id = 'hist-body';
	table.append(thead, tbody);
	const moreBtn = el('button', '', 'Older sessions');
	moreBtn.type = 'button';
	moreBtn.id = 'hist-more';
	moreBtn.hidden = true;
	root.append(bar, error, status, hitsBox, table, moreBtn);

	// ---- the controls write the state (the address), then applyState redraws

	seg.addEventListener('click', (e) => {
		const b = e.target.closest('button[data-range]');
		if (!b || b.dataset.range === state.h.range) return;
		state.h.range = b.dataset.range;
		if (state.h.range === 'custom' && !state.h.from) state.h.from = state.h.to = dayOf(new Date());
		ctx.changed();
	});
	for (const inp of [from, to])
		inp.addEventListener('change', () => {
			state.h.from = from.value;
			state.h.to = to.value;
			ctx.changed();
		});
	proj.addEventListener('change', () => {
		state.h.project = proj.value;
		ctx.changed();
	});
	bar.addEventListener('submit', (e) => {
		e.preventDefault();
		if (q.value.trim() === state.h.q.trim()) {
			hitsKey = ''; // the same again: ask again (after busy)
			sync();
			return;
		}
		state.h.q = q.value.trim();
		ctx.changed();
	});
	q.addEventListener('input', () => {
		if (q.value === '' && state.h.q) {
			state.h.q = '';
			ctx.changed();
		}
	});
	moreBtn.addEventListener('click', () => fetchSessions(true));
	hitsMoreBtn.addEventListener('click', () => fetchHits(true));
	tbody.addEventListener('click', (e) => {
		const tr = e.target.closest('tr[data-id]');
		if (tr) ctx.open(tr.dataset.id, 0, tr._row);
	});
	tbody.addEventListener('keydown', (e) => {
		const tr = e.target.closest('tr[data-id]');
		if (!tr) return;
		if (e.key === 'Enter' || e.key === ' ') {
			e.preventDefault();
			ctx.open(tr.dataset.id, 0, tr._row);
		} else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
			e.preventDefault();
			(e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling)?.focus();
		}
	});
	hitsList.addEventListener('click', (e) => {
		const li = e.target.closest('li[data-seq]');
		if (li) ctx.open(li.dataset.session, Number(li.dataset.seq), null);
	});
	hitsList.addEventListener('keydown', (e) => {
		const li = e.target.closest('li[data-seq]');
		if (li && e.key === 'Enter') ctx.open(li.dataset.session, Number(li.dataset.seq), null);
	});

	function showError(t) {
		error.textContent = t;
		error.hidden = !t;
	}

	// ---- sessions

	function query() {
		const b = bounds(state.h);
		const a = { limit: SESSIONS_PAGE };
		if (b.from) a.from = b.from;
		if (b.to) a.to = b.to;
		if (state.h.project) a.project = state.h.project;
		return a;
	}

	async function fetchSessions(next) {
		if (loading && next) return;
		const a = query();
		if (next && rows.length) {
			const last = rows[rows.length - 1];
			// the gateway pages sessions by time (ms, inclusive of the last row's
			// millisecond; the rows already shown are dropped below)
			a.before = Number.isSafeInteger(last.last_ts_us) ? Math.floor(last.last_ts_us / 1000) + 1 : last.last_ts;
		}
		const g = ++gen;
		loading = true;
		status.textContent = next ? 'Loading older sessions…' : 'Loading sessions…';
		moreBtn.disabled = true;
		try {
			const r = await ctx.ask('history_sessions', a);
			if (g !== gen) return;
			const err = errorOf(r);
			if (err) throw new Error(err);
			const list = r && Array.isArray(r.sessions) ? r.sessions.filter((s) => s && typeof s.session_id === 'string') : null;
			if (!list) throw new Error('a malformed answer');
			const seen = new Set(rows.map((s) => s.session_id));
			if (!next) rows = [];
			for (const s of list) if (!next || !seen.has(s.session_id)) rows.push(s);
			more = !!r.more;
			for (const s of list) if (typeof s.project === 'string' && s.project) projects.add(s.project);
			showError('');
		} catch (e) {
			if (g !== gen) return;
			showError(errText('Sessions', e));
		} finally {
			if (g === gen) {
				loading = false;
				moreBtn.disabled = false;
				drawSessions();
			}
		}
	}

	function drawSessions() {
		syncProjects();
		const trs = rows.map((s) => {
			const tr = el('tr');
			tr.tabIndex = 0;
			tr.dataset.id = s.session_id;
			tr._row = s;
			const project = typeof s.project === 'string' && s.project ? s.project : typeof s.cwd === 'string' ? s.cwd : '';
			const p = el('td', 'path', basename(project) || '(no project)');
			p.title = project;
			const t0 = toMs(s.first_ts),
				t1 = toMs(s.last_ts);
			const u = s.usage && typeof s.usage === 'object' ? s.usage : null;
			const tok = u ? int(u.input_tokens) + int(u.output_tokens) + int(u.cache_creation_input_tokens) + int(u.cache_read_input_tokens) : NaN;
			const id = el('td', 'mono', fmt.shortId(s.session_id));
			id.title = s.session_id;
			tr.append(p, el('td', '', fmtWhen(t0)), el('td', 'num', Number.isFinite(t1 - t0) ? fmt.fmtDuration(t1 - t0) : ''), el('td', 'num', Number.isFinite(s.events) ? fmt.fmtCount(s.events) : ''), el('td', 'num', u ? fmt.fmtTokens(tok) : ''), el('td', 'num', u ? fmt.fmtCost(u.cost_usd) : ''), id);
			return tr;
		});
		tbody.replaceChildren(...trs);
		moreBtn.hidden = !more;
		const r = state.h.range;
		const what = r === 'custom' ? (state.h.from || '…') + ' – ' + (state.h.to || '…') : RANGE_LABELS[r].toLowerCase();
		status.textContent = loading ? status.textContent : rows.length ? fmt.fmtCount(rows.length) + (more ? '+' : '') + ' session' + (rows.length === 1 ? '' : 's') + ', ' + what + (state.h.project ? ', in ' + state.h.project : '') + '. Click one to open it.' : 'No session ' + what + (state.h.project ? ' in ' + state.h.project : '') + '.';
	}

	function syncProjects() {
		if (state.h.project) projects.add(state.h.project);
		const want = ['', ...[...projects].sort()];
		const have = [...proj.options].map((o) => o.value);
		if (want.join('\n') !== have.join('\n'))
			proj.replaceChildren(
				...want.map((p) => {
					const o = el('option', '', p ? p : 'all projects');
					o.value = p;
					return o;
				}),
			);
		if (proj.value !== state.h.project) proj.value = state.h.project;
	}

	// ---- search

	async function fetchHits(next) {
		const text = state.h.q.trim();
		const g = ++gen;
		if (text.length < 3) {
			hits = [];
			hitsMore = false;
			drawHits(text ? 'Type 3 characters or more.' : '');
			return;
		}
		const a = { q: text, limit: HITS_PAGE };
		if (state.h.project) a.project = state.h.project;
		if (next && hits.length) a.before = Math.min(...hits.map((h) => h.seq));
		hitsMoreBtn.disabled = true;
		status.textContent = 'Searching…';
		try {
			const r = await ctx.ask('search', a);
			if (g !== gen) return;
			const err = errorOf(r);
			if (err) throw new Error(err);
			if (!r || !Array.isArray(r.hits)) throw new Error('a malformed answer');
			const got = r.hits.filter((h) => h && Number.isSafeInteger(h.seq));
			const seen = new Set(next ? hits.map((h) => h.seq) : []);
			if (!next) hits = [];
			for (const h of got) if (!seen.has(h.seq)) hits.push(h);
			hits.sort((x, y) => y.seq - x.seq);
			hitsMore = !!r.more;
			showError('');
			drawHits('');
		} catch (e) {
			if (g !== gen) return;
			showError(errText('Search', e));
			drawHits('');
		} finally {
			hitsMoreBtn.disabled = false;
		}
	}

	function drawHits(note) {
		const on = !!state.h.q.trim();
		hitsBox.hidden = !on;
		table.hidden = on;
		moreBtn.hidden = on || !more;
		if (!on) return;
		const lis = hits.map((h) => {
			const ev = h.event && typeof h.event === 'object' ? h.event : {};
			const sid = typeof ev.session_id === 'string' ? ev.session_id : typeof h.session_id === 'string' ? h.session_id : '';
			const name = typeof ev.event === 'string' ? ev.event : typeof h.event === 'string' ? h.event : '';
			const li = el('li', 'hist-hit');
			li.tabIndex = 0;
			li.dataset.seq = String(h.seq);
			li.dataset.session = sid;
			const head = el('div', 'hit-head');
			const project = typeof ev.project === 'string' ? ev.project : typeof h.project === 'string' ? h.project : '';
			head.append(el('span', 'hit-when', fmtWhen(toMs(ev.ts ?? h.ts))), el('span', 'hit-project', basename(project) || '(no project)'), el('span', 'ev ' + fmt.eventClass(name), name), el('span', 'hit-tool', typeof ev.tool === 'string' ? ev.tool : ''), el('span', 'muted mono', fmt.shortId(sid) + ' #' + h.seq));
			const snip = el('div', 'hit-snippet');
			appendSnippet(snip, h.snippet);
			li.append(head, snip);
			return li;
		});
		hitsList.replaceChildren(...lis);
		hitsMoreBtn.hidden = !hitsMore;
		status.textContent = note || (hits.length ? fmt.fmtCount(hits.length) + (hitsMore ? '+' : '') + ' match' + (hits.length === 1 ? '' : 'es') + ' for “' + state.h.q.trim() + '”, newest first. Click one to open its session there.' : 'Nothing matches “' + state.h.q.trim() + '”.');
	}

	// ---- the state into the controls, and the list it names

	function sync() {
		const h = state.h;
		for (const b of rangeBtns) b.setAttribute('aria-pressed', b.dataset.range === h.range ? 'true' : 'false');
		custom.hidden = h.range !== 'custom';
		if (from.value !== h.from) from.value = h.from;
		if (to.value !== h.to) to.value = h.to;
		if (document.activeElement !== q && q.value !== h.q) q.value = h.q;
		syncProjects();
		if (!shown) return;
		if (h.q.trim()) {
			const k = h.q.trim() + '|' + h.project;
			if (k !== hitsKey) {
				hitsKey = k;
				fetchHits(false);
			} else drawHits('');
			return;
		}
		hitsKey = '';
		drawHits('');
		const k = JSON.stringify(query());
		if (k !== key) {
			key = k;
			fetchSessions(false);
		}
	}

	return {
		id: 'history',
		show() {
			shown = true;
			key = ''; // fresh on every visit: the store grows
			hitsKey = '';
			sync();
		},
		hide() {
			shown = false;
			gen++;
			loading = false;
		},
		invalidate() {
			sync();
		},
		frame() {},
		// Connected (again): what failed or was never asked, ask now.
		connected() {
			if (!shown) return;
			key = '';
			hitsKey = '';
			sync();
		},
		debug: () => ({ rows: rows.map((s) => s.session_id), hits: hits.map((h) => h.seq), more, hitsMore, key, loading }),
	};
}
