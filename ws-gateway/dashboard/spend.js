// spend.js: tokens and cost.  A line per session in the session list, the
// Spend view (a panel, see PANELS in app.js) and today's total in the header.
//
// Two sources, each used for what it is exact at:
//   - the sessions event's `usage` member (ws-gateway(8)): the gateway's own
//     sums over every usage event it has, per session, per agent and per
//     model, Claude Code's own cost and its context window from StatusLine.
//     The session list, the agent and model tables, the figures at the top
//     of the view and today's total show these, as the gateway sent them.
//   - the `usage` events in the page (one per assistant message, folded by a
//     store indexer, live or from history, in any order) with the session's
//     UserPromptSubmit and Stop events: the spend per turn and the context
//     window over the session.  When the page holds fewer of a session's
//     messages than the gateway counted (the page keeps the newest events
//     only), the view asks the gateway for that session's usage and prompt
//     events (get_history), into this index only, and says when some are
//     still missing.
//
// A turn runs from a UserPromptSubmit of the main thread to the next one; its
// Stop says when it ended.  A message belongs to the turn of the last prompt
// before its usage event in sequence order: event-usage reads a transcript
// when a hook names it, so a turn's messages arrive after its prompt and, at
// the latest, with its Stop (the turn is over).  But a message whose own
// time in the transcript (message_ts, written by Claude Code after the
// prompt's hook ran, on the same clock) is before that prompt was written
// earlier and read late (a turn's last message read just after the next
// prompt, a resumed session's history, event-usage catching up after a
// restart): it goes to the last prompt before its time.  Messages before
// the first prompt the page knows are a turn "before the first prompt".  Costs are added as whole nano-dollars, as the gateway adds them,
// so that sums are exact; a message whose model has no price has cost null
// and is shown as "cost unknown", never as $0.
//
// Charts are canvases drawn from the data here (turns, context); each has an
// aria-label that sums it up and a table beside it with the same figures.
// Event data is untrusted: it reaches the DOM through textContent only.

import { state, oneSession } from './state.js';
import { onScheme, sessionColour } from './colors.js';
import * as fmt from './fmt.js';

// The four kinds of tokens, bottom to top in the stacked bars.
export const KINDS = [
	{ k: 'in', field: 'input_tokens', label: 'input', css: '--k-in', fallback: '#2f6fe4' },
	{ k: 'cw', field: 'cache_creation_input_tokens', label: 'cache write', css: '--k-cw', fallback: '#b35c00' },
	{ k: 'cr', field: 'cache_read_input_tokens', label: 'cache read', css: '--k-cr', fallback: '#13966b' },
	{ k: 'out', field: 'output_tokens', label: 'output', css: '--k-out', fallback: '#c23d80' },
];
const MSGS_MAX = 20000; // messages kept per session (the oldest go first)
const TABLE_ROWS_MAX = 2000; // rows of the per-message context table
const BUILD_MS = 400; // rebuild at most this often while data arrives
// Context windows when no status line said (marked as assumed): Claude
// models have 200k tokens, 1M with the long-context variant ("[1m]", or
// when a message was given more than 200k).
const DEFAULT_WINDOW = 200000;
const LONG_WINDOW = 1000000;

const str = (v) => (typeof v === 'string' ? v : '');
const int = (v) => (Number.isSafeInteger(v) && v > 0 ? v : 0);
// Nano-dollars from a cost in USD (which has at most 9 decimals), or null.
export const nanos = (usd) => (typeof usd === 'number' && Number.isFinite(usd) ? Math.round(usd * 1e9) : null);

export function defaultWindow(model) {
	const m = str(model);
	if (/\[1m\]/i.test(m)) return LONG_WINDOW;
	return /claude/i.test(m) ? DEFAULT_WINDOW : 0;
}

// Total tokens of a figures object (gateway shape or page shape).
function tokensOf(x) {
	if (!x) return 0;
	if ('in' in x) return x.in + x.out + x.cw + x.cr;
	return int(x.input_tokens) + int(x.output_tokens) + int(x.cache_creation_input_tokens) + int(x.cache_read_input_tokens);
}

// cache_read / (input + cache_read + cache_write), or null with no input.
export function hitRatio(x) {
	if (!x) return null;
	const i = 'in' in x ? x.in : int(x.input_tokens);
	const w = 'cw' in x ? x.cw : int(x.cache_creation_input_tokens);
	const r = 'cr' in x ? x.cr : int(x.cache_read_input_tokens);
	const d = i + w + r;
	return d > 0 ? r / d : null;
}

// An axis label in nano-dollars: '$0', '$0.05', '$1.5', '$20'.
function axisCost(n) {
	const usd = n / 1e9;
	if (!usd) return '$0';
	return '$' + (usd < 1 ? String(+usd.toPrecision(2)) : String(+usd.toFixed(2)));
}

function fmtPct(r, digits = 1) {
	return r === null || !Number.isFinite(r) ? '–' : (r * 100).toFixed(digits) + '%';
}

// A cost in nano-dollars, short; null: unknown.
function fmtNanos(n) {
	return n === null ? 'cost unknown' : fmt.fmtCost(n / 1e9);
}

// A cost in nano-dollars, to the nano-dollar: '$0.174278'.
export function exactUsd(n) {
	if (n === null) return 'unknown';
	const neg = n < 0;
	const s = String(Math.abs(n)).padStart(10, '0');
	const t = (s.slice(0, -9) + '.' + s.slice(-9)).replace(/0+$/, '').replace(/\.$/, '');
	return (neg ? '-$' : '$') + t;
}

// The cost of figures with unpriced messages: '$0.482', '$0.482 + unknown',
// 'cost unknown'.
function costText(n, unpriced, short = false) {
	if (n === null) return 'cost unknown';
	return fmtNanos(n) + (unpriced ? (short ? ' + ?' : ' + unknown') : '');
}

// An axis from 0 to at least v in 2 to 6 round steps: {max, step}.
function ticks(v) {
	if (!(v > 0)) return { max: 1, step: 0.5 };
	const raw = v / 5;
	const p = Math.pow(10, Math.floor(Math.log10(raw)));
	const step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((x) => x >= raw);
	return { max: Math.ceil(v / step - 1e-9) * step, step };
}

function el(tag, cls, text) {
	const e = document.createElement(tag);
	if (cls) e.className = cls;
	if (text !== undefined) e.textContent = text;
	return e;
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs) {
	const e = document.createElementNS(SVG, tag);
	for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
	return e;
}

function sameDay(ts, now) {
	if (typeof ts !== 'string' || !ts) return false;
	const d = new Date(ts);
	return !Number.isNaN(d.getTime()) && d.toDateString() === new Date(now).toDateString();
}

// ------------------------------------------------------------ the index

// Per session: its messages (usage events, in seq order), its main thread's
// prompts and Stops, and the latest StatusLine's figures.
export class SpendIndex {
	constructor() {
		this.m = new Map();
		this.version = 0;
	}

	of(sid) {
		let x = this.m.get(sid);
		if (!x) {
			x = { msgs: [], prompts: [], stops: [], seqs: new Set(), status: null, v: 0 };
			this.m.set(sid, x);
		}
		return x;
	}

	// Folds one event in; returns whether it changed anything.
	add(ev) {
		const name = ev.event;
		if (name !== 'usage' && name !== 'UserPromptSubmit' && name !== 'Stop' && name !== 'StatusLine') return false;
		if (!Number.isSafeInteger(ev.seq)) return false;
		if ((name === 'UserPromptSubmit' || name === 'Stop') && ev.agent_id) return false;
		const x = this.of(str(ev.session_id));
		if (x.seqs.has(ev.seq)) return false;
		x.seqs.add(ev.seq);
		const d = ev.data && typeof ev.data === 'object' ? ev.data : {};
		if (name === 'usage') {
			const r = {
				seq: ev.seq,
				ts: str(ev.ts),
				mts: Date.parse(str(d.message_ts)), // when it was written; NaN without one
				at: Date.parse(str(d.message_ts || ev.ts)), // the same, or when it was read, for the context's order
				aid: str(ev.agent_id),
				atype: str(d.agent_type),
				model: str(d.model) || '(no model)',
				in: int(d.input_tokens),
				out: int(d.output_tokens),
				cw: int(d.cache_creation_input_tokens),
				cw1h: int(d.cache_creation_1h_input_tokens),
				cr: int(d.cache_read_input_tokens),
				nanos: nanos(d.cost_usd),
				kn: null,
			};
			if (r.nanos !== null) r.kn = kindNanos(r, d.price);
			insert(x.msgs, r);
			if (x.msgs.length > MSGS_MAX + 500) for (const o of x.msgs.splice(0, x.msgs.length - MSGS_MAX)) x.seqs.delete(o.seq);
		} else if (name === 'UserPromptSubmit') insert(x.prompts, { seq: ev.seq, ts: str(ev.ts), ms: Date.parse(str(ev.ts)), text: str(d.prompt), ev });
		else if (name === 'Stop') insert(x.stops, { seq: ev.seq, ts: str(ev.ts) });
		else if (!x.status || x.status.seq < ev.seq) {
			const cw = d.context_window && typeof d.context_window === 'object' ? d.context_window : {};
			const cost = d.cost && typeof d.cost === 'object' ? d.cost : {};
			x.status = { seq: ev.seq, window: int(cw.context_window_size), cost: nanos(cost.total_cost_usd) };
		}
		x.v++;
		this.version++;
		return true;
	}
}

function insert(a, r) {
	if (!a.length || a[a.length - 1].seq < r.seq) a.push(r);
	else {
		let i = a.length;
		while (i > 0 && a[i - 1].seq > r.seq) i--;
		a.splice(i, 0, r);
	}
}

// A message's cost split by kind, in nano-dollars, from the price row the
// event carries (USD per million tokens, at most 3 decimals: a whole number
// of nano-dollars per token).  What rounding leaves (never, with the shipped
// table) goes to the largest part, so that the parts add up to the cost.
function kindNanos(r, price) {
	const p = price && typeof price === 'object' ? price : null;
	const rate = (k) => (p && typeof p[k] === 'number' && Number.isFinite(p[k]) ? Math.round(p[k] * 1000) : NaN);
	const kn = { in: r.in * rate('input'), out: r.out * rate('output'), cw: (r.cw - r.cw1h) * rate('cache_write_5m') + r.cw1h * rate('cache_write_1h'), cr: r.cr * rate('cache_read') };
	if (![kn.in, kn.out, kn.cw, kn.cr].every(Number.isFinite)) return { in: 0, out: r.nanos, cw: 0, cr: 0 };
	const diff = r.nanos - (kn.in + kn.out + kn.cw + kn.cr);
	if (diff) {
		let big = 'in';
		for (const k of ['out', 'cw', 'cr']) if (kn[k] > kn[big]) big = k;
		kn[big] += diff;
	}
	return kn;
}

// Parts with the largest estimate first, those of unknown cost last.
function byCost(parts) {
	return parts.sort((a, b) => (b.f.nanos ?? -1) - (a.f.nanos ?? -1) || tokensOf(b.f) - tokensOf(a.f));
}

function zero() {
	return { messages: 0, in: 0, out: 0, cw: 0, cr: 0, nanos: null, unpriced: 0, kn: { in: 0, out: 0, cw: 0, cr: 0 } };
}

function addMsg(t, r) {
	t.messages++;
	t.in += r.in;
	t.out += r.out;
	t.cw += r.cw;
	t.cr += r.cr;
	if (r.nanos === null) t.unpriced++;
	else {
		t.nanos = (t.nanos || 0) + r.nanos;
		for (const k of ['in', 'out', 'cw', 'cr']) t.kn[k] += r.kn[k];
	}
}

// The model of one session's view, from the index and the gateway's usage.
export function buildSession(x, g, sid) {
	const msgs = x ? x.msgs : [];
	const prompts = x ? x.prompts : [];
	const stops = x ? x.stops : [];
	const pre = { n: 0, label: 'before the first prompt', prompt: null, stop: null, first: -1, ...zero() };
	const turns = prompts.map((p, i) => ({ n: i + 1, label: 'turn ' + (i + 1), prompt: p, stop: null, first: -1, ...zero() }));
	let p = 0;
	const points = [];
	const page = zero();
	let peak = 0;
	for (let i = 0; i < msgs.length; i++) {
		const r = msgs[i];
		while (p < prompts.length && prompts[p].seq < r.seq) p++;
		let q = p;
		while (q > 0 && r.mts < prompts[q - 1].ms) q--;
		const t = q === 0 ? pre : turns[q - 1];
		addMsg(t, r);
		addMsg(page, r);
		const ctxTokens = r.in + r.cw + r.cr;
		if (ctxTokens > peak) peak = ctxTokens;
		points.push({ i, r, ctx: ctxTokens, turn: t.n, t });
	}
	// The context in the order the messages were written (a tool call's
	// message is counted once the next one begins: after a subagent's).
	points.sort((a, b) => (a.r.at - b.r.at || 0) || a.r.seq - b.r.seq);
	points.forEach((pt, i) => {
		pt.i = i;
		if (pt.t.first < 0) pt.t.first = i;
		delete pt.t;
	});
	let s = 0;
	for (let i = 0; i < turns.length; i++) {
		const next = i + 1 < turns.length ? turns[i + 1].prompt.seq : Infinity;
		while (s < stops.length && stops[s].seq < turns[i].prompt.seq) s++;
		if (s < stops.length && stops[s].seq < next) turns[i].stop = stops[s];
	}
	const all = pre.messages ? [pre, ...turns] : turns;
	// The window: the status line's, else the model's usual one (assumed).
	const lastPt = [...points].reverse().find((pt) => !pt.r.aid) || points[points.length - 1];
	const lastMain = lastPt ? lastPt.r : null;
	const model = lastMain ? lastMain.model : '';
	let window = g && int(g.context_window) ? int(g.context_window) : x && x.status && x.status.window ? x.status.window : 0;
	let assumed = false;
	if (!window && model) {
		window = defaultWindow(model);
		if (window && peak > window) window = LONG_WINDOW;
		assumed = window > 0;
	}
	const ctxNow = lastMain ? lastMain.in + lastMain.cw + lastMain.cr : g ? int(g.context_tokens) : 0;
	return { sid, turns: all, points, page, g, window, assumed, model, ctxNow, peak, complete: !g || page.messages >= int(g.messages) };
}

// Today's total: the gateway's sums over the sessions with an event today
// (local time), per model too.
export function buildToday(sessions, now) {
	const t = { sessions: 0, messages: 0, in: 0, out: 0, cw: 0, cr: 0, nanos: null, unpriced: 0, models: new Map(), ids: [] };
	for (const s of sessions) {
		const u = s.usage;
		if (!u || typeof u !== 'object') continue;
		if (!sameDay(s.serverLast || s.last, now)) continue;
		t.sessions++;
		t.ids.push(s.session_id);
		addFigures(t, u);
		for (const m of Array.isArray(u.models) ? u.models : []) {
			const name = str(m.model) || '(no model)';
			let e = t.models.get(name);
			if (!e) t.models.set(name, (e = { model: name, messages: 0, in: 0, out: 0, cw: 0, cr: 0, nanos: null, unpriced: 0 }));
			addFigures(e, m);
		}
	}
	return t;
}

function addFigures(t, u) {
	t.messages += int(u.messages);
	t.in += int(u.input_tokens);
	t.out += int(u.output_tokens);
	t.cw += int(u.cache_creation_input_tokens);
	t.cr += int(u.cache_read_input_tokens);
	t.unpriced += int(u.unpriced_messages);
	const n = nanos(u.cost_usd);
	if (n !== null) t.nanos = (t.nanos || 0) + n;
}

// The gateway's figures of one part (agent, model), in the page's shape.
function figures(u) {
	const n = nanos(u && u.cost_usd);
	return { messages: int(u && u.messages), in: int(u && u.input_tokens), out: int(u && u.output_tokens), cw: int(u && u.cache_creation_input_tokens), cr: int(u && u.cache_read_input_tokens), nanos: n, unpriced: int(u && u.unpriced_messages) };
}

// ------------------------------------------------------------ the panel

// ctx: store, kick(), showDetail(ev), selectSession(id, additive),
// sessionLabel(id), changed(), getHistory(query).
export function createSpend(ctx) {
	const index = new SpendIndex();
	ctx.store.addIndexer((ev) => index.add(ev));
	const $ = (id) => document.getElementById(id);
	const root = $('spend');
	let shown = false;
	let builtKey = '';
	let builtAt = -Infinity;
	let timer = 0;
	let model = null; // the one session's model, as drawn
	let over = null; // the overview's model, as drawn
	let unit = 'cost';
	try {
		if (localStorage.getItem('hookwire.spend.unit') === 'tokens') unit = 'tokens';
	} catch (e) {
		/* storage disabled */
	}
	const fetched = new Map(); // session id -> the gateway's message count when its history was asked for
	let pulled = 0; // events added by those answers
	let colours = null;
	onScheme(() => {
		colours = null;
		builtKey = '';
		ctx.kick();
	});

	// ---- the skeleton (built once; its parts are filled on each build)

	const head = el('div', 'toolbar sp-head');
	const back = el('button', 'sp-back', '← All sessions');
	back.type = 'button';
	back.title = 'Show the spend of every session (Esc)';
	const title = el('h2', 'sp-title');
	title.id = 'sp-title';
	const sub = el('span', 'muted sp-sub');
	const seg = el('div', 'seg');
	seg.setAttribute('role', 'group');
	seg.setAttribute('aria-label', 'Bars show');
	const bCost = el('button', '', 'Cost');
	const bTok = el('button', '', 'Tokens');
	for (const [b, u] of [
		[bCost, 'cost'],
		[bTok, 'tokens'],
	]) {
		b.type = 'button';
		b.dataset.unit = u;
		seg.append(b);
	}
	head.append(back, title, sub, seg);

	const scroll = el('div', 'sp-scroll');
	const none = el('div', 'sp-none');
	none.hidden = true;

	// The overview: today, then every session.
	const overview = el('div', 'sp-over');
	const todayCard = card('Today', 'sp-today');
	const todayBig = el('p', 'sp-big');
	const todayNote = el('p', 'muted sp-note');
	const todaySplit = el('div', 'sp-split');
	const todayTable = table(['model', 'messages', 'input', 'output', 'cache write', 'cache read', 'cache hit', 'est. cost'], 'sp-today-models');
	todayCard.append(todayBig, todayNote, todaySplit, todayTable.wrap);
	const sessCard = card('Sessions', 'sp-sessions-card');
	const sessNote = el('p', 'muted sp-note');
	const sessTable = table(['session', 'state', 'messages', 'tokens', 'cache hit', 'est. cost', 'Claude Code', ''], 'sp-sessions');
	sessCard.append(sessNote, sessTable.wrap);
	overview.append(todayCard, sessCard);

	// One session.
	const one = el('div', 'sp-one');
	const kpis = el('div', 'sp-kpis');
	const turnsCard = card('Spend per turn', 'sp-turns-card');
	const turnsLegend = legend(KINDS.map((k) => [k.k, k.label]));
	const turnsNote = el('p', 'muted sp-note');
	const turnsChart = chart('sp-turns-canvas', 'spend per turn');
	const turnsTable = table(['turn', 'prompt', 'messages', 'input', 'output', 'cache write', 'cache read', 'cache hit', 'est. cost'], 'sp-turns-table');
	const turnsDetails = details('Turns as a table', turnsTable.wrap, true);
	turnsCard.append(turnsLegend, turnsNote, turnsChart.wrap, turnsDetails);
	const agentsCard = card('By agent', 'sp-agents-card');
	const agentsSplit = el('div', 'sp-split');
	const agentsTable = table(['agent', 'messages', 'input', 'output', 'cache write', 'cache read', 'cache hit', 'est. cost'], 'sp-agents');
	agentsCard.append(agentsSplit, agentsTable.wrap);
	const modelsCard = card('By model', 'sp-models-card');
	const modelsSplit = el('div', 'sp-split');
	const modelsTable = table(['model', 'messages', 'input', 'output', 'cache write', 'cache read', 'cache hit', 'est. cost'], 'sp-models');
	modelsCard.append(modelsSplit, modelsTable.wrap);
	const ctxCard = card('Context window', 'sp-ctx-card');
	const ctxNote = el('p', 'muted sp-note');
	const ctxLegend = el('ul', 'sp-legend');
	const ctxChart = chart('sp-ctx-canvas', 'context window');
	const ctxTable = table(['message', 'turn', 'agent', 'model', 'context tokens', 'of the window'], 'sp-ctx-table');
	const ctxDetails = details('Context per message as a table', ctxTable.wrap, false);
	ctxCard.append(ctxNote, ctxLegend, ctxChart.wrap, ctxDetails);
	const grid = el('div', 'sp-grid');
	grid.append(turnsCard, agentsCard, modelsCard, ctxCard);
	one.append(kpis, grid);
	scroll.append(none, overview, one);
	root.append(head, scroll);

	function card(h, cls) {
		const c = el('section', 'card ' + cls);
		const h3 = el('h3', '', h);
		h3.id = cls + '-h';
		c.setAttribute('aria-labelledby', h3.id);
		c.append(h3);
		return c;
	}

	function table(cols, id) {
		const wrap = el('div', 'sp-table-wrap');
		const t = el('table', 'sp-table');
		t.id = id;
		const tr = el('tr');
		cols.forEach((c, i) => {
			const th = el('th', i > 0 && c !== 'prompt' && c !== 'state' && c !== 'model' && c !== 'agent' ? 'num' : '', c);
			th.scope = 'col';
			tr.append(th);
		});
		const thead = el('thead');
		thead.append(tr);
		const tbody = el('tbody');
		t.append(thead, tbody);
		wrap.append(t);
		return { wrap, t, tbody };
	}

	function details(summary, body, open) {
		const d = el('details', 'sp-details');
		d.append(el('summary', '', summary), body);
		d.open = open;
		d.addEventListener('toggle', () => {
			builtKey = '';
			ctx.kick();
		});
		return d;
	}

	function legend(items) {
		const ul = el('ul', 'sp-legend');
		ul.setAttribute('aria-label', 'Legend');
		for (const [k, label] of items) {
			const li = el('li');
			li.append(el('span', 'key sp-k-' + k), label);
			ul.append(li);
		}
		return ul;
	}

	function chart(id, label) {
		const wrap = el('div', 'sp-chart');
		const canvas = el('canvas');
		canvas.id = id;
		canvas.setAttribute('role', 'img');
		canvas.setAttribute('aria-label', label);
		const tip = el('div', 'tip');
		tip.setAttribute('role', 'tooltip');
		tip.hidden = true;
		wrap.append(canvas, tip);
		const c = { wrap, canvas, tip, w: 0, h: 0, drawn: null, hover: -1 };
		new ResizeObserver((entries) => {
			const r = entries[entries.length - 1].contentRect;
			if (r.width === c.w && r.height === c.h) return;
			c.w = r.width;
			c.h = r.height;
			if (shown) {
				builtKey = '';
				ctx.kick();
			}
		}).observe(canvas);
		return c;
	}

	// ---- controls

	function setUnit(u) {
		unit = u;
		try {
			localStorage.setItem('hookwire.spend.unit', u);
		} catch (e) {
			/* storage disabled */
		}
		builtKey = '';
		ctx.kick();
	}
	bCost.addEventListener('click', () => setUnit('cost'));
	bTok.addEventListener('click', () => setUnit('tokens'));
	back.addEventListener('click', () => ctx.selectSession('', false));
	sessTable.tbody.addEventListener('click', (e) => {
		const tr = e.target.closest('tr[data-id]');
		if (tr) ctx.selectSession(tr.dataset.id, e.ctrlKey || e.metaKey || e.shiftKey);
	});
	sessTable.tbody.addEventListener('keydown', (e) => {
		const tr = e.target.closest('tr[data-id]');
		if (tr && (e.key === 'Enter' || e.key === ' ')) {
			e.preventDefault();
			ctx.selectSession(tr.dataset.id, false);
		}
	});
	turnsTable.tbody.addEventListener('click', (e) => {
		const b = e.target.closest('button[data-seq]');
		if (!b || !model) return;
		const t = model.turns.find((t) => t.prompt && t.prompt.seq === Number(b.dataset.seq));
		if (t) ctx.showDetail(t.prompt.ev, null);
	});

	// ---- colours

	function theme() {
		if (colours) return colours;
		const cs = getComputedStyle(document.documentElement);
		const v = (k, d) => cs.getPropertyValue(k).trim() || d;
		colours = { kinds: Object.fromEntries(KINDS.map((k) => [k.k, v(k.css, k.fallback)])), fg: v('--fg', '#1d1f23'), muted: v('--muted', '#5f646c'), line: v('--line', '#dedfe3'), accent: v('--accent', '#2456c9'), agent: v('--t-agent', '#6a3fc4'), bad: v('--bad', '#c62828'), warn: v('--warn', '#9a6700'), prompt: v('--ev-prompt', '#8250df'), panel: v('--panel', '#fff') };
		return colours;
	}

	function setupCanvas(c) {
		const dpr = window.devicePixelRatio || 1;
		const w = c.w,
			h = c.h;
		if (!w || !h) return null;
		if (c.canvas.width !== Math.round(w * dpr) || c.canvas.height !== Math.round(h * dpr)) {
			c.canvas.width = Math.round(w * dpr);
			c.canvas.height = Math.round(h * dpr);
		}
		const g = c.canvas.getContext('2d');
		g.setTransform(dpr, 0, 0, dpr, 0, 0);
		g.clearRect(0, 0, w, h);
		g.font = '11px ' + getComputedStyle(c.canvas).fontFamily;
		return g;
	}

	// ---- the session list's line, the header's total

	// Fills a session's spend line in the session list from the gateway's
	// figures: tokens, the estimate, Claude Code's own figure.
	function sessionLine(line, s) {
		const u = s.usage && typeof s.usage === 'object' ? s.usage : null;
		if (!u) {
			if (!line.hidden) line.hidden = true;
			return;
		}
		const tok = tokensOf(u);
		const n = nanos(u.cost_usd);
		const cc = nanos(u.claude_code_cost_usd);
		const unpriced = int(u.unpriced_messages);
		const key = tok + '|' + n + '|' + cc + '|' + unpriced + '|' + int(u.messages);
		if (line._key === key) return;
		line._key = key;
		line.hidden = false;
		const parts = [el('span', 'sp-tok', fmt.fmtTokens(tok) + ' tok')];
		const cost = el('span', n === null ? 'sp-cost unknown' : 'sp-cost', n === null ? 'cost unknown' : costText(n, unpriced, true) + ' est.');
		parts.push(cost);
		if (cc !== null) parts.push(el('span', 'sp-cc', 'CC ' + fmtNanos(cc)));
		line.replaceChildren(...parts.flatMap((p, i) => (i ? [' · ', p] : [p])));
		line.dataset.tokens = String(tok);
		line.dataset.cost = n === null ? '' : String(n);
		line.dataset.claudeCost = cc === null ? '' : String(cc);
		line.dataset.unpriced = String(unpriced);
		const models = (Array.isArray(u.models) ? u.models : []).filter((m) => nanos(m.cost_usd) === null).map((m) => str(m.model));
		line.title =
			fmt.fmtCount(int(u.messages)) + ' messages · ' + fmt.fmtCount(tok) + ' tokens: ' + KINDS.map((k) => fmt.fmtCount(int(u[k.field])) + ' ' + k.label).join(', ') + '\n' +
			(n === null ? 'Cost unknown: ' + (models.join(', ') || 'the model') + ' has no price in the price table (hookwire-prices(5))' : 'Estimated at list prices: ' + exactUsd(n) + (unpriced ? ' for the priced messages; ' + unpriced + ' of unknown cost (' + models.join(', ') + ')' : '')) +
			(cc !== null ? '\nCC: Claude Code\'s own figure, from its status line: ' + exactUsd(cc) : '');
	}

	let glanceKey = '';
	let glanceAt = -Infinity;
	let todayModel = null;
	// The header's total for today, from the gateway's session figures
	// (which come at most once a second): at most once a second.
	function glance(now) {
		const day = new Date(now).toDateString();
		const ls = ctx.live || ctx.store; // live, even while an old session is shown
		const key = ls.version + '|' + day;
		if (key === glanceKey || now - glanceAt < 1000) return;
		glanceKey = key;
		glanceAt = now;
		todayModel = buildToday(ls.sessions.values(), now);
		const b = $('spend-today');
		if (!b) return;
		const t = todayModel;
		b.hidden = t.sessions === 0;
		if (!t.sessions) return;
		const tok = tokensOf(t);
		const text = 'Today ' + costText(t.nanos, t.unpriced, true) + ' · ' + fmt.fmtTokens(tok) + ' tok';
		if (b.textContent !== text) b.textContent = text;
		b.dataset.cost = t.nanos === null ? '' : String(t.nanos);
		b.dataset.tokens = String(tok);
		b.title =
			'Today, ' + t.sessions + ' session' + (t.sessions === 1 ? '' : 's') + ' with an event since midnight (whole sessions): estimated ' + (t.nanos === null ? 'cost unknown' : exactUsd(t.nanos)) + (t.unpriced ? ' + ' + t.unpriced + ' messages of unknown cost' : '') + ', ' + fmt.fmtCount(tok) + ' tokens\n' +
			[...t.models.values()].map((m) => m.model + ': ' + costText(m.nanos, m.unpriced) + ', ' + fmt.fmtTokens(tokensOf(m)) + ' tokens').join('\n') + '\nClick for the Spend view.';
		b.setAttribute('aria-label', 'Today: ' + (t.nanos === null ? 'cost unknown' : 'estimated ' + fmtNanos(t.nanos)) + ', ' + fmt.fmtCount(tok) + ' tokens. Open the Spend view.');
	}
	const todayBtn = $('spend-today');
	if (todayBtn)
		todayBtn.addEventListener('click', () => {
			state.view = 'spend';
			state.f.session = new Set();
			ctx.changed();
		});

	// ---- building

	function filterKey() {
		return [...state.f.session].join() + '|' + unit;
	}

	// Asks the gateway for a session's usage and prompts the page lacks:
	// only when the page does not hold the ring from its start (it keeps
	// the newest events; before its first history answer it holds none).
	function complete(sid, g) {
		const want = int(g && g.messages);
		const x = index.m.get(sid);
		if (!want || (x && x.msgs.length >= want) || fetched.get(sid) === want || !ctx.getHistory) return;
		if (!(ctx.store.size > 0 && ctx.store.minSeq > 1)) return;
		fetched.set(sid, want);
		const names = ['usage', 'UserPromptSubmit', 'Stop'];
		Promise.all(names.map((event) => ctx.getHistory({ session: sid, event, limit: 10000 })))
			.then((lists) => {
				let n = 0;
				for (const l of lists) for (const ev of l) if (ev && ev.session_id === sid && index.add(ev)) n++;
				pulled += n;
				if (n) {
					builtKey = '';
					ctx.kick();
				}
			})
			.catch(() => fetched.delete(sid));
	}

	function render(now) {
		const sid = oneSession();
		const th = theme();
		for (const b of [bCost, bTok]) b.setAttribute('aria-pressed', b.dataset.unit === unit ? 'true' : 'false');
		if (!sid) {
			model = null;
			back.hidden = true;
			one.hidden = true;
			renderOverview(now);
			return;
		}
		over = null;
		overview.hidden = true;
		back.hidden = false;
		const s = ctx.store.sessions.get(sid);
		const g = s && s.usage && typeof s.usage === 'object' ? s.usage : null;
		complete(sid, g);
		const m = buildSession(index.m.get(sid), g, sid);
		model = m;
		title.textContent = ctx.sessionLabel(sid);
		title.title = sid;
		const priced = (g ? nanos(g.cost_usd) : m.page.nanos) !== null;
		const u = priced ? unit : 'tokens';
		for (const b of [bCost, bTok]) b.setAttribute('aria-pressed', b.dataset.unit === u ? 'true' : 'false');
		bCost.disabled = !priced;
		bCost.title = priced ? 'Bars show the estimated cost' : 'No message of this session has a price: cost unknown';
		if (!g && !m.page.messages) {
			one.hidden = true;
			none.hidden = false;
			none.replaceChildren(el('h3', '', 'No token counts for this session yet'), el('p', '', 'Tokens and cost come from event-usage(8), which reads the transcript each hook event names and sends a usage event per assistant message. Is it running (hookwire status)? Claude Code\'s own cost comes with hook-capture install --statusline.'));
			sub.textContent = '';
			return;
		}
		none.hidden = true;
		one.hidden = false;
		const tot = g ? figures(g) : m.page;
		const nt = m.turns.filter((t) => t.n > 0).length;
		sub.textContent = fmt.fmtCount(tot.messages) + ' message' + (tot.messages === 1 ? '' : 's') + ' · ' + nt + ' turn' + (nt === 1 ? '' : 's');
		renderKpis(m, tot, g);
		renderTurns(m, u, th);
		const agents = g && Array.isArray(g.agents) ? g.agents : [];
		const models = g && Array.isArray(g.models) ? g.models : [];
		renderParts(
			agentsTable,
			agentsSplit,
			agents.map((a) => ({ key: a.agent_id ?? '', label: a.agent_id ? (str(a.agent_type) || 'subagent') + ' ' + fmt.shortId(a.agent_id) : 'main', title: a.agent_id || 'the main thread', f: figures(a) })).sort((a, b) => (a.key === '' ? -1 : b.key === '' ? 1 : 0)),
			u,
			'agent',
		);
		renderParts(
			modelsTable,
			modelsSplit,
			byCost(models.map((x) => ({ key: str(x.model), label: str(x.model) || '(no model)', title: str(x.model), f: figures(x) }))),
			u,
			'model',
		);
		renderContext(m, th);
	}

	function kpi(label, value, detail, cls) {
		const d = el('div', 'sp-kpi' + (cls ? ' ' + cls : ''));
		d.append(el('div', 'sp-kpi-label', label), el('div', 'sp-kpi-value', value));
		if (detail) d.append(typeof detail === 'string' ? el('div', 'sp-kpi-detail', detail) : detail);
		return d;
	}

	function renderKpis(m, tot, g) {
		const cc = g ? nanos(g.claude_code_cost_usd) : null;
		const items = [];
		const est = kpi('Estimated cost', costText(tot.nanos, tot.unpriced, true), tot.nanos === null ? 'no price for ' + ((g && Array.isArray(g.models) ? g.models.map((x) => str(x.model)) : []).join(', ') || 'the model') : tot.unpriced ? tot.unpriced + ' message' + (tot.unpriced === 1 ? '' : 's') + ' of unknown cost not included' : 'at list prices (hookwire-prices(5))', tot.nanos === null ? 'unknown' : '');
		est.dataset.cost = tot.nanos === null ? '' : String(tot.nanos);
		est.title = tot.nanos === null ? '' : exactUsd(tot.nanos);
		items.push(est);
		// Claude Code's own figure beside the estimate, as two bars.
		const ccBox = kpi('Claude Code\'s own cost', cc === null ? 'not reported' : fmtNanos(cc), null, 'sp-cc-kpi');
		if (cc !== null && tot.nanos !== null) {
			const d = cc - tot.nanos;
			const pct = tot.nanos ? (d / tot.nanos) * 100 : 0;
			ccBox.append(el('div', 'sp-kpi-detail', d === 0 ? 'the same as the estimate' : (d > 0 ? '+' : '−') + fmtNanos(Math.abs(d)) + ' (' + (d > 0 ? '+' : '−') + Math.abs(pct).toFixed(1) + '%) against the estimate'));
			const max = Math.max(cc, tot.nanos) || 1;
			const s = svg('svg', { class: 'sp-vs', viewBox: '0 0 100 18', preserveAspectRatio: 'none', 'aria-hidden': 'true' });
			s.append(svg('rect', { class: 'sp-vs-est', x: 0, y: 1, height: 7, width: Math.max(0.5, (tot.nanos / max) * 100) }), svg('rect', { class: 'sp-vs-cc', x: 0, y: 10, height: 7, width: Math.max(0.5, (cc / max) * 100) }));
			const l = el('div', 'sp-vs-legend');
			l.append(el('span', 'key sp-k-est'), 'estimate ', el('span', 'key sp-k-cc'), 'Claude Code');
			ccBox.append(s, l);
		} else ccBox.append(el('div', 'sp-kpi-detail', cc === null ? 'from the status line: hook-capture install --statusline' : 'the estimate is unknown'));
		ccBox.dataset.cost = cc === null ? '' : String(cc);
		items.push(ccBox);
		const tok = tokensOf(tot);
		const t = kpi('Tokens', fmt.fmtTokens(tok), KINDS.map((k) => fmt.fmtTokens(tot[k.k]) + ' ' + k.label).join(' · '));
		t.dataset.tokens = String(tok);
		t.title = fmt.fmtCount(tok) + ' tokens';
		items.push(t);
		const hr = hitRatio(tot);
		const h = kpi('Cache hit ratio', fmtPct(hr), 'cache read ÷ (input + cache write + cache read)');
		h.dataset.ratio = hr === null ? '' : String(hr);
		items.push(h);
		const ctxK = kpi('Context now', m.window ? fmt.fmtTokens(m.ctxNow) + ' of ' + fmt.fmtTokens(m.window) : fmt.fmtTokens(m.ctxNow), m.window ? fmtPct(m.ctxNow / m.window, 0) + ' of the window' + (m.assumed ? ' (window assumed for ' + m.model + ')' : ' (window from Claude Code)') : 'window size unknown', m.window && m.ctxNow / m.window > 0.8 ? 'warn' : '');
		items.push(ctxK);
		kpis.replaceChildren(...items);
		let note = '';
		if (g && !m.complete) note = 'The page holds ' + fmt.fmtCount(m.page.messages) + ' of the ' + fmt.fmtCount(int(g.messages)) + ' messages the gateway counted: the turns and the context below cover those.';
		turnsNote.textContent = note;
		turnsNote.hidden = !note;
	}

	// ---- spend per turn

	function turnValue(t, u) {
		if (u === 'tokens') return { parts: KINDS.map((k) => t[k.k]), total: tokensOf(t) };
		return { parts: KINDS.map((k) => t.kn[k.k]), total: t.nanos || 0 };
	}

	function renderTurns(m, u, th) {
		drawTurns(m, u, th);
		turnRows(m);
	}

	function drawTurns(m, u, th) {
		const c = turnsChart;
		const turns = m.turns;
		const g = setupCanvas(c);
		const left = 54,
			right = 8,
			top = 10,
			bottom = 20;
		const bars = [];
		let max = 0;
		for (const t of turns) max = Math.max(max, turnValue(t, u).total);
		const axis = ticks(max);
		const ymax = axis.max;
		if (g) {
			const w = c.w,
				h = c.h;
			const plotW = Math.max(10, w - left - right),
				plotH = Math.max(10, h - top - bottom);
			g.textBaseline = 'middle';
			g.textAlign = 'right';
			for (let v = 0; v <= ymax + axis.step / 2; v += axis.step) {
				const y = Math.round(top + plotH - (v / ymax) * plotH) + 0.5;
				g.fillStyle = th.line;
				g.fillRect(left, y, plotW, 1);
				g.fillStyle = th.muted;
				g.fillText(u === 'tokens' ? fmt.fmtTokens(v) : axisCost(v), left - 5, y);
			}
			const n = Math.max(1, turns.length);
			const slot = plotW / n;
			const bw = Math.max(2, Math.min(56, slot * 0.72));
			const every = Math.max(1, Math.ceil(26 / slot));
			g.textAlign = 'center';
			g.textBaseline = 'alphabetic';
			turns.forEach((t, i) => {
				const { parts, total } = turnValue(t, u);
				const x = left + i * slot + (slot - bw) / 2;
				let y = top + plotH;
				parts.forEach((v, k) => {
					if (!v) return;
					const bh = (v / ymax) * plotH;
					g.fillStyle = th.kinds[KINDS[k].k];
					g.fillRect(x, y - bh, bw, Math.max(bh, 0.5));
					y -= bh;
				});
				// unknown cost in a turn: a hatched cap with a question mark
				if (u === 'cost' && t.unpriced) {
					const capH = 12;
					g.strokeStyle = th.warn;
					g.setLineDash([3, 2]);
					g.strokeRect(x + 0.5, y - capH + 0.5, bw - 1, capH - 1);
					g.setLineDash([]);
					g.fillStyle = th.warn;
					g.textBaseline = 'middle';
					g.fillText('?', x + bw / 2, y - capH / 2);
					g.textBaseline = 'alphabetic';
				}
				if (i === c.hover) {
					g.strokeStyle = th.fg;
					g.lineWidth = 1;
					g.strokeRect(x - 1.5, top + plotH - (total / ymax) * plotH - 1.5, bw + 3, (total / ymax) * plotH + 3);
				}
				if (i % every === 0 || i === turns.length - 1) {
					g.fillStyle = th.muted;
					g.fillText(t.n ? String(t.n) : '·', x + bw / 2, h - 5);
				}
				bars.push({ n: t.n, x, w: bw, slot, total, parts, messages: t.messages, unpriced: t.unpriced });
			});
			c.drawn = { bars, left, slot, unit: u, ymax };
		} else c.drawn = { bars: turns.map((t) => ({ n: t.n, total: turnValue(t, u).total, parts: turnValue(t, u).parts, messages: t.messages, unpriced: t.unpriced })), unit: u, ymax, offscreen: true };
		const total = turns.reduce((a, t) => a + turnValue(t, u).total, 0);
		const peak = turns.reduce((a, t) => (turnValue(t, u).total > turnValue(a, u).total ? t : a), turns[0] || null);
		const say = (v) => (u === 'tokens' ? fmt.fmtCount(v) + ' tokens' : fmtNanos(v));
		c.canvas.setAttribute('aria-label', 'Spend per turn, ' + (u === 'tokens' ? 'tokens' : 'estimated cost') + ', stacked by input, cache write, cache read and output: ' + turns.length + ' turn' + (turns.length === 1 ? '' : 's') + ', ' + say(total) + ' in all' + (peak ? ', most in ' + peak.label + ' (' + say(turnValue(peak, u).total) + ')' : '') + '. The table below has each turn.');
		c.canvas.dataset.unit = u;
	}

	// The turns as a table, in the chart's order.
	function turnRows(m) {
		const rows = m.turns.map((t) => {
			const tr = el('tr');
			tr.dataset.turn = String(t.n);
			const cell = (v, cls) => {
				const td = el('td', cls || 'num', v);
				tr.append(td);
				return td;
			};
			cell(t.n ? String(t.n) : '·', '');
			const p = el('td', 'sp-prompt');
			if (t.prompt) {
				const b = el('button', 'sp-link', oneLine(t.prompt.text) || '(empty prompt)');
				b.type = 'button';
				b.dataset.seq = String(t.prompt.seq);
				b.title = 'Show the prompt event' + (t.stop ? ' · ended ' + fmt.fmtTime(t.stop.ts) : ' · no Stop yet');
				p.append(b);
			} else p.append(el('span', 'muted', t.label));
			tr.append(p);
			cell(fmt.fmtCount(t.messages));
			cell(fmt.fmtCount(t.in));
			cell(fmt.fmtCount(t.out));
			cell(fmt.fmtCount(t.cw));
			cell(fmt.fmtCount(t.cr));
			cell(fmtPct(hitRatio(t)));
			const cc = cell(costText(t.nanos, t.unpriced));
			if (t.nanos === null && t.messages) cc.classList.add('unknown');
			cc.title = t.nanos === null ? '' : exactUsd(t.nanos);
			tr.dataset.tokens = String(tokensOf(t));
			tr.dataset.cost = t.nanos === null ? '' : String(t.nanos);
			return tr;
		});
		turnsTable.tbody.replaceChildren(...rows);
	}

	function oneLine(t) {
		t = String(t || '').replace(/\s+/g, ' ').trim();
		return t.length > 90 ? t.slice(0, 90) + '…' : t;
	}

	turnsChart.canvas.addEventListener('mousemove', (e) => {
		const c = turnsChart;
		if (!c.drawn || !c.drawn.bars || !model) return;
		const r = c.canvas.getBoundingClientRect();
		const x = e.clientX - r.left;
		const i = Math.floor((x - c.drawn.left) / c.drawn.slot);
		const hov = i >= 0 && i < c.drawn.bars.length ? i : -1;
		if (hov !== c.hover) {
			c.hover = hov;
			drawTurns(model, c.drawn.unit, theme());
		}
		if (hov < 0) {
			c.tip.hidden = true;
			return;
		}
		const t = model.turns[hov];
		const head = el('strong', '', (t.n ? 'Turn ' + t.n : 'Before the first prompt') + ' · ' + costText(t.nanos, t.unpriced) + ' · ' + fmt.fmtTokens(tokensOf(t)) + ' tokens');
		const lines = [head];
		if (t.prompt) lines.push(el('div', 'what', oneLine(t.prompt.text)));
		for (const k of [...KINDS].reverse()) {
			const d = el('div');
			const sw = el('span', 'sw');
			sw.style.background = theme().kinds[k.k];
			d.append(sw, k.label + ': ' + fmt.fmtCount(t[k.k]) + ' tokens' + (t.nanos !== null ? ' · ' + fmtNanos(t.kn[k.k]) : ''));
			lines.push(d);
		}
		lines.push(el('div', 'muted', fmt.fmtCount(t.messages) + ' message' + (t.messages === 1 ? '' : 's') + (t.unpriced ? ', ' + t.unpriced + ' of unknown cost' : '') + ' · cache hit ' + fmtPct(hitRatio(t)) + (t.prompt ? ' · ' + fmt.fmtTime(t.prompt.ts) + (t.stop ? '–' + fmt.fmtTime(t.stop.ts) : '') : '')));
		c.tip.replaceChildren(...lines);
		c.tip.hidden = false;
		const tw = c.tip.offsetWidth;
		c.tip.style.left = Math.max(0, Math.min(c.w - tw, x + 12)) + 'px';
		c.tip.style.top = '4px';
	});
	turnsChart.canvas.addEventListener('mouseleave', () => {
		turnsChart.tip.hidden = true;
		if (turnsChart.hover >= 0 && model) {
			turnsChart.hover = -1;
			drawTurns(model, turnsChart.drawn.unit, theme());
		}
	});
	turnsChart.canvas.addEventListener('click', () => {
		const t = model && turnsChart.hover >= 0 ? model.turns[turnsChart.hover] : null;
		if (t && t.prompt) ctx.showDetail(t.prompt.ev, null);
	});

	// ---- agents and models: a split bar and a table

	function renderParts(tbl, split, parts, u, what) {
		const val = (p) => (u === 'tokens' ? tokensOf(p.f) : p.f.nanos || 0);
		const total = parts.reduce((a, p) => a + val(p), 0);
		// main, then the subagents in turn; models in turn
		const cls = new Map();
		let nsub = 0;
		parts.forEach((p, i) => cls.set(p, what === 'agent' ? (p.key ? 'sp-c-agent' + (nsub++ % 4) : 'sp-c-main') : 'sp-c-model' + (i % 6)));
		const palette = (i, p) => cls.get(p);
		// The split: one bar, a segment per part, as wide as its share.
		const s = svg('svg', { class: 'sp-split-bar', viewBox: '0 0 1000 16', preserveAspectRatio: 'none', role: 'img' });
		let x = 0;
		const said = [];
		parts.forEach((p, i) => {
			const v = val(p);
			if (!total || !v) return;
			const w = (v / total) * 1000;
			const r = svg('rect', { class: palette(i, p), x, y: 0, width: Math.max(1, w - 2), height: 16 });
			const t = svg('title');
			t.textContent = p.label + ': ' + fmtPct(v / total, 0);
			r.append(t);
			s.append(r);
			x += w;
			said.push(p.label + ' ' + fmtPct(v / total, 0));
		});
		s.setAttribute('aria-label', 'Share of the ' + (u === 'tokens' ? 'tokens' : 'estimated cost') + ' by ' + what + ': ' + (said.join(', ') || 'nothing yet'));
		const unknown = u === 'tokens' ? [] : parts.filter((p) => p.f.nanos === null).map((p) => p.label);
		const cap = el('div', 'sp-split-cap', 'Share of the ' + (u === 'tokens' ? 'tokens' : 'estimated cost') + (unknown.length ? '; not in it, cost unknown: ' + unknown.join(', ') : ''));
		cap.setAttribute('aria-hidden', 'true');
		split.replaceChildren(cap, s);
		const rows = parts.map((p, i) => {
			const tr = el('tr');
			tr.dataset.key = p.key;
			const name = el('td', 'sp-name');
			name.append(el('span', 'sw ' + palette(i, p)), p.label);
			name.title = p.title;
			tr.append(name);
			const f = p.f;
			for (const v of [f.messages, f.in, f.out, f.cw, f.cr]) tr.append(el('td', 'num', fmt.fmtCount(v)));
			tr.append(el('td', 'num', fmtPct(hitRatio(f))));
			const c = el('td', 'num' + (f.nanos === null ? ' unknown' : ''), costText(f.nanos, f.unpriced));
			c.title = f.nanos === null ? 'no price for this model' : exactUsd(f.nanos);
			tr.append(c);
			tr.dataset.messages = String(f.messages);
			tr.dataset.tokens = [f.in, f.out, f.cw, f.cr].join(',');
			tr.dataset.cost = f.nanos === null ? '' : String(f.nanos);
			tr.dataset.unpriced = String(f.unpriced);
			return tr;
		});
		tbl.tbody.replaceChildren(...rows);
	}

	// ---- the context window

	const agentLabel = (r) => (r.aid ? (r.atype || 'subagent') + ' ' + fmt.shortId(r.aid) : 'main');

	function agentsOf(pts) {
		const agents = [];
		for (const p of pts) if (!agents.includes(p.r.aid)) agents.push(p.r.aid);
		return agents.sort((a, b) => (a === '' ? -1 : b === '' ? 1 : 0));
	}

	function renderContext(m, th) {
		const pts = m.points;
		const agents = agentsOf(pts);
		const label = agentLabel;
		ctxNote.textContent = m.window ? 'What each message was given (input + cache write + cache read) against a window of ' + fmt.fmtCount(m.window) + ' tokens' + (m.assumed ? ', assumed for ' + m.model + ' (no status line gave its size)' : ', as Claude Code\'s status line reports it') + '.' : 'What each message was given (input + cache write + cache read); the window\'s size is not known for ' + (m.model || 'this model') + '.';
		ctxLegend.replaceChildren(
			...agents.map((aid) => {
				const li = el('li');
				const sw = el('span', 'key ' + (aid ? 'sp-k-sub' : 'sp-k-main'));
				li.append(sw, aid ? label(pts.find((p) => p.r.aid === aid).r) : 'main thread');
				return li;
			}),
			...(m.window ? [(() => {
				const li = el('li');
				li.append(el('span', 'key sp-k-window'), 'window' + (m.assumed ? ' (assumed)' : ''));
				return li;
			})()] : []),
		);
		drawContext(m, th);
		if (ctxDetails.open) {
			const shownPts = pts.slice(-TABLE_ROWS_MAX);
			const rows = shownPts.map((p) => {
				const tr = el('tr');
				tr.append(el('td', '', String(p.i + 1)), el('td', 'num', p.turn ? String(p.turn) : '·'), el('td', '', label(p.r)), el('td', '', p.r.model), el('td', 'num', fmt.fmtCount(p.ctx)), el('td', 'num', m.window ? fmtPct(p.ctx / m.window) : '–'));
				return tr;
			});
			if (pts.length > shownPts.length) {
				const tr = el('tr');
				const td = el('td', 'muted', 'The last ' + shownPts.length + ' of ' + pts.length + ' messages');
				td.colSpan = 6;
				tr.append(td);
				rows.unshift(tr);
			}
			ctxTable.tbody.replaceChildren(...rows);
		}
	}

	function drawContext(m, th) {
		const c = ctxChart;
		const pts = m.points;
		const agents = agentsOf(pts);
		const colourOf = (aid) => (aid === '' ? th.accent : th.agent);
		const g = setupCanvas(c);
		const left = 54,
			right = 10,
			top = 14,
			bottom = 20;
		if (g) {
			const w = c.w,
				h = c.h;
			const plotW = Math.max(10, w - left - right),
				plotH = Math.max(10, h - top - bottom);
			const axis = ticks(Math.max(m.window || 0, m.peak, 1) * 1.04);
			const ymax = axis.max;
			const n = pts.length;
			const X = (i) => left + (n <= 1 ? plotW / 2 : (i / (n - 1)) * plotW);
			const Y = (v) => top + plotH - (v / ymax) * plotH;
			g.textBaseline = 'middle';
			g.textAlign = 'right';
			for (let v = 0; v <= ymax + axis.step / 2; v += axis.step) {
				const y = Math.round(Y(v)) + 0.5;
				g.fillStyle = th.line;
				g.fillRect(left, y, plotW, 1);
				g.fillStyle = th.muted;
				g.fillText(fmt.fmtTokens(v), left - 5, y);
			}
			// turn boundaries
			g.textAlign = 'left';
			g.textBaseline = 'top';
			for (const t of m.turns) {
				if (t.first < 0 || !t.n) continue;
				const x = Math.round(Math.max(left, X(t.first - (n > 1 ? 0.5 : 0)))) + 0.5;
				g.fillStyle = th.prompt;
				g.globalAlpha = 0.35;
				g.fillRect(x, top, 1, plotH);
				g.globalAlpha = 1;
				g.fillText('T' + t.n, x + 3, top - 11 < 0 ? 0 : top - 11);
			}
			if (m.window) {
				const y = Math.round(Y(m.window)) + 0.5;
				g.strokeStyle = m.assumed ? th.muted : th.bad;
				g.setLineDash([5, 4]);
				g.beginPath();
				g.moveTo(left, y);
				g.lineTo(left + plotW, y);
				g.stroke();
				g.setLineDash([]);
				g.fillStyle = m.assumed ? th.muted : th.bad;
				g.textAlign = 'right';
				g.textBaseline = 'bottom';
				g.fillText('window ' + fmt.fmtTokens(m.window) + (m.assumed ? ' (assumed)' : ''), left + plotW, y - 2);
			}
			for (const aid of agents) {
				const ps = pts.filter((p) => p.r.aid === aid);
				g.strokeStyle = g.fillStyle = colourOf(aid);
				g.lineWidth = aid ? 1.5 : 2;
				g.setLineDash(aid ? [4, 2] : []);
				g.beginPath();
				ps.forEach((p, k) => (k ? g.lineTo(X(p.i), Y(p.ctx)) : g.moveTo(X(p.i), Y(p.ctx))));
				g.stroke();
				g.setLineDash([]);
				if (ps.length < 200) for (const p of ps) g.fillRect(X(p.i) - 2, Y(p.ctx) - 2, 4, 4);
			}
			if (c.hover >= 0 && c.hover < n) {
				const p = pts[c.hover];
				g.strokeStyle = th.fg;
				g.lineWidth = 1;
				g.strokeRect(X(p.i) - 4.5, Y(p.ctx) - 4.5, 9, 9);
			}
			g.fillStyle = th.muted;
			g.textAlign = 'center';
			g.textBaseline = 'alphabetic';
			g.fillText('messages, in order →', left + plotW / 2, h - 5);
			c.drawn = { left, plotW, n, X, points: pts.length, ymax };
		} else c.drawn = { points: pts.length, offscreen: true };
		const last = pts.length ? pts[pts.length - 1] : null;
		c.canvas.setAttribute('aria-label', 'Context window over the session: ' + pts.length + ' messages' + (m.peak ? ', the largest given ' + fmt.fmtCount(m.peak) + ' tokens' : '') + (m.window ? ' of a window of ' + fmt.fmtCount(m.window) + (m.assumed ? ' (assumed)' : '') : '') + (last ? '; the last ' + fmt.fmtCount(last.ctx) : '') + '. The table below has each message.');
	}

	ctxChart.canvas.addEventListener('mousemove', (e) => {
		const c = ctxChart;
		if (!c.drawn || !c.drawn.n || !model) return;
		const r = c.canvas.getBoundingClientRect();
		const x = e.clientX - r.left;
		const n = c.drawn.n;
		const i = n <= 1 ? 0 : Math.round(((x - c.drawn.left) / c.drawn.plotW) * (n - 1));
		const hov = i >= 0 && i < n ? i : -1;
		if (hov !== c.hover) {
			c.hover = hov;
			drawContext(model, theme());
		}
		if (hov < 0) {
			c.tip.hidden = true;
			return;
		}
		const p = model.points[hov];
		const lines = [el('strong', '', 'Message ' + (hov + 1) + (p.turn ? ' · turn ' + p.turn : '') + ' · ' + fmt.fmtCount(p.ctx) + ' tokens' + (model.window ? ' (' + fmtPct(p.ctx / model.window) + ')' : '')), el('div', '', (p.r.aid ? (p.r.atype || 'subagent') + ' ' + fmt.shortId(p.r.aid) : 'main thread') + ' · ' + p.r.model), el('div', 'muted', fmt.fmtCount(p.r.in) + ' input · ' + fmt.fmtCount(p.r.cw) + ' cache write · ' + fmt.fmtCount(p.r.cr) + ' cache read · ' + fmt.fmtCount(p.r.out) + ' output')];
		c.tip.replaceChildren(...lines);
		c.tip.hidden = false;
		const tw = c.tip.offsetWidth;
		c.tip.style.left = Math.max(0, Math.min(c.w - tw, x + 12)) + 'px';
		c.tip.style.top = '4px';
	});
	ctxChart.canvas.addEventListener('mouseleave', () => {
		ctxChart.tip.hidden = true;
		if (ctxChart.hover >= 0 && model) {
			ctxChart.hover = -1;
			drawContext(model, theme());
		}
	});

	// ---- the overview: today and every session

	function renderOverview(now) {
		const store = ctx.store;
		const sel = state.f.session;
		const list = store.sessionList().filter((s) => s.usage && typeof s.usage === 'object' && (!sel.size || sel.has(s.session_id)));
		const t = buildToday(store.sessions.values(), now);
		todayModel = t;
		over = { today: t, sessions: list.map((s) => s.session_id) };
		title.textContent = sel.size ? 'Spend of the selected sessions' : 'Spend';
		title.title = '';
		sub.textContent = list.length ? list.length + ' session' + (list.length === 1 ? '' : 's') + ' with token counts' : '';
		bCost.disabled = false;
		bCost.title = 'Bars show the estimated cost';
		if (!list.length && !t.sessions) {
			overview.hidden = true;
			none.hidden = false;
			none.replaceChildren(el('h3', '', 'No token counts yet'), el('p', '', 'Tokens and cost come from event-usage(8), which reads the transcript each hook event names and sends a usage event per assistant message; Claude Code\'s own cost comes with hook-capture install --statusline. Start a session, or run make demo.'));
			return;
		}
		none.hidden = true;
		overview.hidden = false;
		// Today, all sessions.
		const tok = tokensOf(t);
		todayBig.replaceChildren(el('span', 'sp-big-cost' + (t.nanos === null && t.sessions ? ' unknown' : ''), t.sessions ? costText(t.nanos, t.unpriced) : '$0'), el('span', 'muted', ' estimated · ' + fmt.fmtTokens(tok) + ' tokens · ' + fmt.fmtCount(t.messages) + ' messages'));
		todayBig.dataset.cost = t.nanos === null ? '' : String(t.nanos);
		todayBig.dataset.tokens = String(tok);
		todayBig.title = t.nanos === null ? '' : exactUsd(t.nanos);
		todayNote.textContent = t.sessions ? 'The ' + t.sessions + ' session' + (t.sessions === 1 ? '' : 's') + ' with an event since midnight (local time), whole: the gateway\'s figures' + (t.unpriced ? '; ' + t.unpriced + ' message' + (t.unpriced === 1 ? '' : 's') + ' of unknown cost (no price) not included' : '') + '.' : 'No session has had an event since midnight.';
		renderParts(
			todayTable,
			todaySplit,
			byCost([...t.models.values()].map((m) => ({ key: m.model, label: m.model, title: m.model, f: m }))),
			unit,
			'model',
		);
		todayTable.wrap.hidden = !t.models.size;
		todaySplit.hidden = !t.models.size;
		// Every session, newest first, with a bar of its share.
		const val = (s) => (unit === 'tokens' ? tokensOf(s.usage) : nanos(s.usage.cost_usd) || 0);
		const max = Math.max(1, ...list.map(val));
		sessNote.textContent = list.length ? 'Click a session for its turns, agents, models and context window.' : '';
		const rows = list.map((s) => {
			const u = s.usage;
			const f = figures(u);
			const tr = el('tr', 'sp-row');
			tr.dataset.id = s.session_id;
			tr.tabIndex = 0;
			const name = el('td', 'sp-name');
			const sw = el('span', 'sw');
			sw.style.background = sessionColour(s.session_id);
			name.append(sw, ctx.sessionLabel(s.session_id));
			name.title = s.project + ' ' + s.session_id;
			tr.append(name, el('td', '', store.stateOf(s, now)), el('td', 'num', fmt.fmtCount(f.messages)), el('td', 'num', fmt.fmtTokens(tokensOf(f))), el('td', 'num', fmtPct(hitRatio(f))));
			const c = el('td', 'num' + (f.nanos === null ? ' unknown' : ''), costText(f.nanos, f.unpriced));
			c.title = f.nanos === null ? 'no price for ' + (Array.isArray(u.models) ? u.models.filter((m) => nanos(m.cost_usd) === null).map((m) => str(m.model)).join(', ') : 'the model') : exactUsd(f.nanos);
			const cc = nanos(u.claude_code_cost_usd);
			tr.append(c, el('td', 'num', cc === null ? '–' : fmtNanos(cc)));
			const bar = el('td', 'sp-barcell');
			const b = svg('svg', { class: 'sp-bar', viewBox: '0 0 100 10', preserveAspectRatio: 'none', 'aria-hidden': 'true' });
			b.append(svg('rect', { class: 'sp-bar-fill', fill: sessionColour(s.session_id), x: 0, y: 1, height: 8, width: Math.max(0.5, (val(s) / max) * 100) }));
			bar.append(b);
			tr.append(bar);
			tr.dataset.tokens = String(tokensOf(f));
			tr.dataset.cost = f.nanos === null ? '' : String(f.nanos);
			return tr;
		});
		sessTable.tbody.replaceChildren(...rows);
		sessCard.hidden = !list.length;
	}

	let sig = '';
	let sigVersion = -1;
	let sigAt = -Infinity;
	// The gateway's figures of what the view shows, and the day.
	function signature(now) {
		const sid = oneSession();
		const one = (s) => {
			const u = s && s.usage && typeof s.usage === 'object' ? s.usage : null;
			return u ? int(u.messages) + ':' + u.cost_usd + ':' + u.claude_code_cost_usd + ':' + u.context_window + ':' + tokensOf(u) + ':' + (s.serverState || '') + ':' + (s.serverLast || s.last) : '-';
		};
		if (sid) return one(ctx.store.sessions.get(sid));
		let out = new Date(now).toDateString();
		for (const s of ctx.store.sessions.values()) if (s.usage) out += '|' + s.session_id + one(s) + ctx.store.stateOf(s, now);
		return out;
	}

	return {
		id: 'spend',
		show() {
			shown = true;
			builtKey = '';
			ctx.kick();
		},
		hide() {
			shown = false;
			turnsChart.tip.hidden = ctxChart.tip.hidden = true;
		},
		invalidate() {
			builtKey = '';
		},
		frame(now) {
			if (!shown) return;
			// What the view shows changes with the index (usage, prompts,
			// Stops) and the gateway's figures (the sessions event): not
			// with every event.  Those are looked at at most every BUILD_MS.
			if (ctx.store.version !== sigVersion && now - sigAt >= BUILD_MS) {
				sigVersion = ctx.store.version;
				sigAt = now;
				sig = signature(Date.now());
			} else if (ctx.store.version !== sigVersion && !timer)
				timer = setTimeout(() => {
					timer = 0;
					ctx.kick();
				}, BUILD_MS);
			const key = filterKey() + '|' + index.version + '|' + sig;
			if (key === builtKey) return;
			if (builtKey.startsWith(filterKey() + '|') && now - builtAt < BUILD_MS) {
				if (!timer)
					timer = setTimeout(() => {
						timer = 0;
						ctx.kick();
					}, BUILD_MS);
				return;
			}
			render(Date.now());
			builtKey = key;
			builtAt = now;
		},
		sessionLine,
		glance,
		// What the view shows, for the tests: the models and what was drawn.
		debug() {
			const sid = oneSession();
			const strip = (t) => ({ n: t.n, prompt: t.prompt ? t.prompt.seq : null, stop: t.stop ? t.stop.seq : null, messages: t.messages, in: t.in, out: t.out, cw: t.cw, cr: t.cr, nanos: t.nanos, unpriced: t.unpriced, kn: t.kn });
			return {
				session: sid,
				unit: turnsChart.drawn ? turnsChart.drawn.unit : unit,
				turns: model ? model.turns.map(strip) : [],
				bars: turnsChart.drawn && model ? turnsChart.drawn.bars.map((b) => ({ n: b.n, total: b.total, parts: b.parts, messages: b.messages, unpriced: b.unpriced, x: b.x, w: b.w })) : [],
				page: model ? strip(model.page) : null,
				complete: model ? model.complete : null,
				window: model ? { size: model.window, assumed: model.assumed, now: model.ctxNow, peak: model.peak } : null,
				context: model ? model.points.map((p) => ({ seq: p.r.seq, agent: p.r.aid, ctx: p.ctx, turn: p.turn })) : [],
				contextDrawn: ctxChart.drawn ? ctxChart.drawn.points : 0,
				today: todayModel ? { sessions: todayModel.sessions, ids: todayModel.ids, messages: todayModel.messages, in: todayModel.in, out: todayModel.out, cw: todayModel.cw, cr: todayModel.cr, nanos: todayModel.nanos, unpriced: todayModel.unpriced, models: [...todayModel.models.values()] } : null,
				overview: over,
				pulled,
			};
		},
	};
}
