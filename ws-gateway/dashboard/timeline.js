// timeline.js: sessions on a time axis, one swim lane per agent.
//
// Model (build): for each session the filters let through, one lane for the
// main agent and one per subagent (store.js's session.agents, labelled with
// agent_type), holding the session's tool calls (store.callList: PreToolUse
// paired with PostToolUse or PostToolUseFailure by tool_use_id) as spans,
// and its markers (session.marks: prompts, Stop, SessionStart and End, ...).
// Overlapping calls of one agent (parallel tool calls) are packed into rows.
// A lane keeps its spans sorted by start in typed arrays, so drawing and
// hit-testing find the visible ones by binary search.  The model is rebuilt
// when the store changes (at most every 200 ms, every second past 10,000
// calls), only while the view is shown.
//
// Drawing (draw) is one canvas the size of the viewport, redrawn only when
// something changed: data, zoom, pan, scroll, hover, focus, or the clock
// while a session is live (running calls grow up to "now").  Spans too
// small to see are merged with their neighbours of the same kind, so a
// frame costs at most a few rectangles per pixel column, whatever the
// number of calls.  A failed call is red, hatched and carries a cross; a
// running one is pale with a dashed outline and an arrow; so neither is
// told by colour alone.
//
// Keyboard (the canvas takes the focus): arrows move between the calls and
// markers of a lane and between lanes, Enter opens the detail, + and -
// zoom, Shift+arrows (or A and D) pan, F fits the whole session; what has
// the focus is announced in a live region, and the tooltip shows it.  The
// canvas's aria-label sums the view up; the Conversation and Tool calls
// views hold the same calls as text.

import { theme, toolKind, sessionColour, onScheme } from './colors.js';
import { state, matches, filtering, MAIN } from './state.js';
import * as fmt from './fmt.js';

const AXIS_H = 28; // the time axis at the top
const LABEL_WIDE = 204; // lane labels at the left
const LABEL_NARROW = 112; // in a window narrower than 640 px
const HEAD_H = 24; // a session's header row
const ROW_H = 20; // one row of spans
const BAR_H = 14;
const LANE_PAD = 6;
const LANE_MIN = 34;
const ROWS_MAX = 8; // rows of overlapping calls per lane; more share the last
const RIGHT_PAD = 12;
const MIN_SPAN_MS = 2; // the deepest zoom: 2 ms across the plot
const LIVE_MS = 5 * 60000; // a session with an event this recent is live

export function createTimeline(ctx) {
	const $ = (id) => document.getElementById(id);
	const section = $('view-timeline');
	const wrap = $('tl-wrap');
	const canvas = $('tl-canvas');
	const spacer = $('tl-spacer');
	const tip = $('tl-tip');
	const live = $('tl-live');
	const fitBtn = $('tl-fit');

	let model = null;
	let builtVersion = -1;
	let builtKey = '';
	let builtAt = 0;
	let rebuildTimer = 0;
	let shown = false;
	let view = { t0: 0, t1: 1 };
	let fit = true; // follow the whole session (and its live end)
	let size = { w: 0, h: 0 };
	let labelW = LABEL_WIDE;
	let needDraw = true;
	let lastDraw = 0;
	let drawMs = 0;
	let buildMs = 0;
	let drawCount = 0;
	let focus = null; // {lane, i} an index into lane.nav
	let hover = null; // a hit
	let drag = null;
	let font = '12px sans-serif';
	let small = '11px sans-serif';
	let hatch = null;
	let hatchFor = null;

	new ResizeObserver((entries) => {
		const r = entries[entries.length - 1].contentRect;
		size = { w: r.width, h: r.height };
		labelW = r.width < 640 ? LABEL_NARROW : LABEL_WIDE;
		canvas.style.width = r.width + 'px';
		canvas.style.height = r.height + 'px';
		layoutSpacer();
		invalidate();
	}).observe(wrap);
	onScheme(() => {
		hatch = null;
		invalidate();
	});
	wrap.addEventListener('scroll', () => invalidate(), { passive: true });

	function invalidate() {
		needDraw = true;
		ctx.kick();
	}

	// ------------------------------------------------------------ model

	function filterKey() {
		return [...state.f.session].join() + '|' + [...state.f.agent].join() + '|' + [...state.f.event].join() + '|' + [...state.f.tool].join() + '|' + state.q;
	}

	function build(now) {
		const store = ctx.store;
		const sel = state.f.session;
		const narrowing = filtering('session');
		const agentF = state.f.agent;
		let sessions = sel.size ? [...sel].map((id) => store.sessions.get(id)).filter(Boolean) : [...store.sessions.values()];
		sessions = sessions.filter((s) => s.events > 0);
		sessions.sort((a, b) => (a.started < b.started ? -1 : a.started > b.started ? 1 : 0));
		const laneOf = new Map();
		const groups = [];
		for (const s of sessions) {
			const g = { s, id: s.session_id, lanes: [], y: 0, h: HEAD_H, live: !s.ended && now - s.lastMs < LIVE_MS, lastMs: s.lastMs, calls: 0, failed: 0, running: 0 };
			const agents = [...s.agents.values()].sort((a, b) => (a.agent_id === '' ? -1 : b.agent_id === '' ? 1 : (a.startMs || a.firstMs) - (b.startMs || b.firstMs)));
			for (const a of agents) {
				if (agentF.size && !agentF.has(a.agent_id || MAIN)) continue;
				const lane = { g, aid: a.agent_id, agent: a, label: a.agent_id ? (a.agent_type || 'subagent') + ' ' + fmt.shortId(a.agent_id) : 'main', calls: [], marks: [], y: 0, h: LANE_MIN, rows: 1, failed: 0, running: 0 };
				g.lanes.push(lane);
				laneOf.set(s.session_id + '\u0001' + a.agent_id, lane);
			}
			groups.push(g);
		}
		for (const c of store.callList) {
			const lane = laneOf.get(c.session_id + '\u0001' + c.agent_id);
			if (!lane) continue;
			if (narrowing && !((c.pre && matches(c.pre)) || (c.post && matches(c.post)))) continue;
			lane.calls.push(c);
		}
		for (const g of groups)
			for (const m of g.s.marks) {
				const lane = laneOf.get(g.id + '\u0001' + (m.ev.agent_id || ''));
				if (!lane || (narrowing && !matches(m.ev))) continue;
				lane.marks.push(m);
			}
		let y = 0;
		let min = Infinity,
			max = -Infinity,
			total = 0,
			failed = 0,
			running = 0,
			nLanes = 0;
		const out = [];
		for (const g of groups) {
			const end = g.live ? now : g.lastMs;
			g.end = end;
			g.lanes = g.lanes.filter((l) => !narrowing || l.calls.length || l.marks.length);
			if (!g.lanes.length) continue;
			g.y = y;
			y += HEAD_H;
			for (const lane of g.lanes) {
				pack(lane, end);
				lane.y = y;
				lane.h = Math.max(LANE_MIN, lane.rows * ROW_H + 2 * LANE_PAD);
				y += lane.h;
				g.calls += lane.calls.length;
				g.failed += lane.failed;
				g.running += lane.running;
				if (lane.calls.length) {
					min = Math.min(min, lane.s0[0]);
					max = Math.max(max, lane.maxEnd);
				}
				if (lane.marks.length) {
					min = Math.min(min, lane.marks[0].ms);
					max = Math.max(max, lane.marks[lane.marks.length - 1].ms);
				}
				const a = lane.agent;
				if (a.agent_id && Number.isFinite(a.startMs)) min = Math.min(min, a.startMs);
				if (a.agent_id && Number.isFinite(a.stopMs)) max = Math.max(max, a.stopMs);
				nLanes++;
			}
			if (g.live) max = Math.max(max, now);
			total += g.calls;
			failed += g.failed;
			running += g.running;
			g.h = y - g.y;
			out.push(g);
		}
		const lanes = out.flatMap((g) => g.lanes);
		return { groups: out, lanes, height: y, min, max, total, failed, running, nLanes, live: out.some((g) => g.live) };
	}

	// Sorts a lane's calls by start, fills its typed arrays and packs
	// overlapping calls into rows (first row free at the call's start).
	function pack(lane, end) {
		const cs = lane.calls;
		cs.sort((a, b) => a.startMs - b.startMs);
		const n = cs.length;
		lane.s0 = new Float64Array(n);
		lane.s1 = new Float64Array(n); // NaN: still running
		lane.row = new Uint8Array(n);
		const rowEnd = [];
		let maxDur = 0,
			maxEnd = -Infinity;
		for (let i = 0; i < n; i++) {
			const c = cs[i];
			const a = c.startMs;
			const b = c.post ? Math.max(a, c.endMs) : NaN;
			lane.s0[i] = a;
			lane.s1[i] = b;
			const e = Number.isNaN(b) ? Math.max(a, end) : b;
			if (Number.isNaN(b)) lane.running++;
			else if (c.status === 'failed' || c.status === 'interrupted') lane.failed++;
			if (e - a > maxDur) maxDur = e - a;
			if (e > maxEnd) maxEnd = e;
			let r = 0;
			while (r < rowEnd.length && rowEnd[r] > a) r++;
			if (r >= ROWS_MAX) r = ROWS_MAX - 1;
			rowEnd[r] = Math.max(rowEnd[r] || 0, e);
			lane.row[i] = r;
		}
		lane.rows = Math.max(1, Math.min(ROWS_MAX, rowEnd.length));
		lane.maxDur = maxDur;
		lane.maxEnd = maxEnd;
		lane.builtEnd = end;
		lane.nav = null; // built on demand (keyboard)
	}

	// Calls and markers of a lane in time order, for the keyboard.
	function navOf(lane) {
		if (!lane.nav) {
			const items = [];
			for (let i = 0; i < lane.calls.length; i++) items.push({ t: lane.s0[i], i, c: lane.calls[i] });
			for (const m of lane.marks) items.push({ t: m.ms, m });
			items.sort((a, b) => a.t - b.t);
			lane.nav = items;
		}
		return lane.nav;
	}

	function layoutSpacer() {
		const total = model ? AXIS_H + model.height + 8 : 0;
		const h = Math.max(0, total - size.h) + 'px';
		if (spacer.style.height !== h) spacer.style.height = h;
	}

	function refit() {
		if (!model || !Number.isFinite(model.min)) {
			const now = Date.now();
			view = { t0: now - 60000, t1: now };
			return;
		}
		let a = model.min,
			b = model.max;
		if (b - a < 50) {
			a -= 500;
			b += 500;
		}
		const pad = (b - a) * 0.02;
		view = { t0: a - pad, t1: b + pad };
	}

	// ------------------------------------------------------------ geometry

	const plotW = () => Math.max(20, size.w - labelW - RIGHT_PAD);
	const xOf = (t) => labelW + ((t - view.t0) / (view.t1 - view.t0)) * plotW();
	const tOf = (x) => view.t0 + ((x - labelW) / plotW()) * (view.t1 - view.t0);

	function laneTop(lane) {
		return AXIS_H + lane.y - wrap.scrollTop;
	}

	function spanEnd(lane, i) {
		const b = lane.s1[i];
		return Number.isNaN(b) ? Math.max(lane.s0[i], lane.g.live ? Date.now() : lane.g.end) : b;
	}

	// Index of the first span of lane that may be visible from time t.
	function firstFrom(lane, t) {
		const s0 = lane.s0;
		let lo = 0,
			hi = s0.length;
		// Running calls have grown since the build (they end now).
		const from = t - lane.maxDur - (lane.running ? Math.max(0, Date.now() - lane.builtEnd) : 0);
		while (lo < hi) {
			const m = (lo + hi) >>> 1;
			if (s0[m] < from) lo = m + 1;
			else hi = m;
		}
		return lo;
	}

	function spanRect(lane, i) {
		const y = laneTop(lane) + LANE_PAD + lane.row[i] * ROW_H + (ROW_H - BAR_H) / 2;
		const x0 = xOf(lane.s0[i]);
		const x1 = xOf(spanEnd(lane, i));
		const c = lane.calls[i];
		const min = c.status === 'failed' || c.status === 'interrupted' ? 3 : 2;
		return { x: x0, y, w: Math.max(min, x1 - x0), h: BAR_H };
	}

	function markPos(lane, m) {
		return { x: xOf(m.ms), y: laneTop(lane) + lane.h / 2 };
	}

	// What is under (px, py), canvas coordinates: {kind: 'span'|'mark'|'head'|'label', ...} or null.
	function hit(px, py) {
		if (!model || py < AXIS_H) return null;
		const y = py - AXIS_H + wrap.scrollTop;
		for (const g of model.groups) {
			if (y < g.y || y >= g.y + g.h) continue;
			if (y < g.y + HEAD_H) return { kind: 'head', g };
			for (const lane of g.lanes) {
				if (y < lane.y || y >= lane.y + lane.h) continue;
				if (px < labelW) return { kind: 'label', lane };
				for (const m of lane.marks) {
					const h = { kind: 'mark', lane, m };
					const r = ringOf(h);
					if (px >= r.x && px <= r.x + r.w && py >= r.y && py <= r.y + r.h) return h;
				}
				const row = Math.min(lane.rows - 1, Math.floor((y - lane.y - LANE_PAD) / ROW_H));
				const t = tOf(px);
				const tol = ((view.t1 - view.t0) / plotW()) * 3;
				// The span under the pointer, else the nearest within 3 px;
				// of equals, the one drawn last (on top).
				let best = -1,
					dist = Infinity;
				for (let i = firstFrom(lane, t - tol); i < lane.s0.length && lane.s0[i] <= t + tol; i++) {
					if (lane.row[i] !== row) continue;
					const r = spanRect(lane, i);
					const dx = px < r.x ? r.x - px : px > r.x + r.w ? px - r.x - r.w : 0;
					if (dx <= 3 && dx <= dist) {
						best = i;
						dist = dx;
					}
				}
				return best >= 0 ? { kind: 'span', lane, i: best, c: lane.calls[best] } : null;
			}
		}
		return null;
	}

	// ------------------------------------------------------------ drawing

	function hatchPattern(g, colour) {
		if (hatch && hatchFor === colour) return hatch;
		const c = document.createElement('canvas');
		c.width = c.height = 8;
		const x = c.getContext('2d');
		x.strokeStyle = colour;
		x.lineWidth = 2;
		x.beginPath();
		x.moveTo(-2, 10);
		x.lineTo(10, -2);
		x.moveTo(-2, 2);
		x.lineTo(2, -2);
		x.moveTo(6, 10);
		x.lineTo(10, 6);
		x.stroke();
		hatch = g.createPattern(c, 'repeat');
		hatchFor = colour;
		return hatch;
	}

	function niceStep(msPerPx) {
		const want = msPerPx * 90;
		const steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000, 600000, 900000, 1800000, 3600000, 7200000, 10800000, 21600000, 43200000, 86400000];
		for (const s of steps) if (s >= want) return s;
		return steps[steps.length - 1];
	}

	function clock(t, step) {
		const iso = new Date(t).toISOString();
		return step < 1000 ? iso.slice(11, 23) : step < 60000 ? iso.slice(11, 19) : iso.slice(11, 16);
	}

	function draw() {
		const t = performance.now();
		const dpr = window.devicePixelRatio || 1;
		const W = size.w,
			H = size.h;
		if (!W || !H) return;
		if (canvas.width !== Math.round(W * dpr) || canvas.height !== Math.round(H * dpr)) {
			canvas.width = Math.round(W * dpr);
			canvas.height = Math.round(H * dpr);
		}
		const g = canvas.getContext('2d');
		const th = theme();
		g.setTransform(dpr, 0, 0, dpr, 0, 0);
		g.clearRect(0, 0, W, H);
		g.font = font;
		g.textBaseline = 'middle';
		const pw = plotW();
		const msPerPx = (view.t1 - view.t0) / pw;
		const step = niceStep(msPerPx);
		const first = Math.ceil(view.t0 / step) * step;
		const now = Date.now();

		// grid
		g.fillStyle = th.line;
		for (let s = first; s <= view.t1; s += step) g.fillRect(Math.round(xOf(s)), AXIS_H, 1, H - AXIS_H);

		const scroll = wrap.scrollTop;
		g.save();
		g.beginPath();
		g.rect(0, AXIS_H, W, H - AXIS_H);
		g.clip();
		for (const grp of model.groups) {
			const gy = AXIS_H + grp.y - scroll;
			if (gy > H || gy + grp.h < AXIS_H) continue;
			drawHead(g, th, grp, gy, W);
			for (const lane of grp.lanes) {
				const ly = AXIS_H + lane.y - scroll;
				if (ly > H || ly + lane.h < AXIS_H) continue;
				drawLane(g, th, lane, ly, W, msPerPx);
			}
			// prompts: a line across the session's lanes (turns)
			const top = gy + HEAD_H;
			g.fillStyle = th.prompt;
			for (const lane of grp.lanes)
				for (const m of lane.marks)
					if (m.ev.event === 'UserPromptSubmit') {
						const x = xOf(m.ms);
						if (x >= labelW && x <= W) for (let yy = top; yy < gy + grp.h; yy += 6) g.fillRect(Math.round(x), yy, 1, 3);
					}
			for (const lane of grp.lanes) {
				const ly = AXIS_H + lane.y - scroll;
				if (ly > H || ly + lane.h < AXIS_H) continue;
				for (const m of lane.marks) drawMark(g, th, lane, m);
			}
		}
		// now
		if (model.live) {
			const x = xOf(now);
			if (x >= labelW && x <= W) {
				g.fillStyle = th.accent;
				g.fillRect(Math.round(x), AXIS_H, 1.5, H - AXIS_H);
			}
		}
		drawRings(g, th);
		g.restore();

		// axis, over the top
		g.fillStyle = th.panel;
		g.fillRect(0, 0, W, AXIS_H);
		g.fillStyle = th.line;
		g.fillRect(0, AXIS_H - 1, W, 1);
		g.fillStyle = th.muted;
		g.textAlign = 'left';
		g.fillText('UTC', 10, AXIS_H / 2);
		g.textAlign = 'center';
		const nowX = model.live ? xOf(now) : -1000;
		for (let s = first; s <= view.t1; s += step) {
			const x = xOf(s);
			if (x < labelW + 20 || x > W - 30) continue;
			if (Math.abs(x - nowX) < 44) continue; // 'now' is written there
			g.fillStyle = th.line;
			g.fillRect(Math.round(x), AXIS_H - 6, 1, 5);
			g.fillStyle = th.muted;
			g.fillText(clock(s, step), x, AXIS_H / 2 - 2);
		}
		if (model.live) {
			const x = xOf(now);
			if (x >= labelW && x <= W) {
				g.fillStyle = th.accent;
				g.textAlign = x > W - 30 ? 'right' : 'center';
				g.fillText('now', Math.min(x, W - 2), AXIS_H / 2 + 8);
			}
		}
		drawMs = performance.now() - t;
		drawCount++;
	}

	function drawHead(g, th, grp, gy, W) {
		g.fillStyle = th.bg;
		g.fillRect(0, gy, W, HEAD_H);
		g.fillStyle = th.line;
		g.fillRect(0, gy + HEAD_H - 1, W, 1);
		g.fillStyle = sessionColour(grp.id);
		g.fillRect(0, gy, 5, grp.h);
		g.fillStyle = th.fg;
		g.textAlign = 'left';
		g.font = '600 ' + font;
		const name = ctx.sessionLabel(grp.id);
		g.fillText(name, 12, gy + HEAD_H / 2);
		const nw = g.measureText(name).width;
		g.font = font;
		g.fillStyle = th.muted;
		const state = ctx.store.stateOf(grp.s, Date.now());
		g.fillText(state + ' · ' + fmt.fmtCount(grp.calls) + ' call' + (grp.calls === 1 ? '' : 's') + (grp.failed ? ' · ' + grp.failed + ' failed' : '') + (grp.running ? ' · ' + grp.running + ' running' : ''), 12 + nw + 10, gy + HEAD_H / 2);
	}

	function drawLane(g, th, lane, ly, W, msPerPx) {
		const a = lane.agent;
		// subagent: a band from its start to its stop (or now)
		if (a.agent_id) {
			const s = Number.isFinite(a.startMs) ? a.startMs : a.firstMs;
			const e = Number.isFinite(a.stopMs) ? a.stopMs : lane.g.live ? Date.now() : a.lastMs;
			const x0 = Math.max(labelW, xOf(s)),
				x1 = Math.min(W, xOf(e));
			if (x1 > x0) {
				g.fillStyle = th.agentBand;
				g.fillRect(x0, ly + 2, x1 - x0, lane.h - 4);
			}
		}
		g.fillStyle = th.line;
		g.fillRect(0, ly + lane.h - 1, W, 1);
		g.fillRect(labelW - 1, ly, 1, lane.h); // the label column's edge
		// label
		g.textAlign = 'left';
		const indent = a.agent_id ? 24 : 12;
		if (a.agent_id) {
			g.fillStyle = th.muted;
			g.fillText('↳', 12, ly + 12);
		}
		g.fillStyle = th.fg;
		g.fillText(clip(lane.label, labelW - indent - 8), indent, ly + 12);
		g.fillStyle = th.muted;
		g.font = small;
		const info = fmt.fmtCount(lane.calls.length) + ' call' + (lane.calls.length === 1 ? '' : 's') + (lane.failed ? ' · ' + lane.failed + ' failed' : '') + (lane.running ? ' · ' + lane.running + ' running' : '');
		g.fillText(clip(info, (labelW - indent - 8) * 1.1), indent, ly + 26);
		g.font = font;

		g.save();
		g.beginPath();
		g.rect(labelW, ly, W - labelW, lane.h);
		g.clip();
		const n = lane.s0.length;
		const tEnd = view.t1;
		// Runs of tiny spans, per row: [x0, x1, kind]
		const runs = new Array(lane.rows).fill(null);
		const flush = (r) => {
			const run = runs[r];
			if (!run) return;
			g.fillStyle = th.tool[run.k];
			g.fillRect(run.x0, run.y, Math.max(1, run.x1 - run.x0), BAR_H);
			runs[r] = null;
		};
		const labelled = [];
		const fails = [];
		for (let i = firstFrom(lane, view.t0); i < n && lane.s0[i] <= tEnd; i++) {
			const c = lane.calls[i];
			const e = spanEnd(lane, i);
			if (e < view.t0) continue;
			const r = lane.row[i];
			const y = ly + LANE_PAD + r * ROW_H + (ROW_H - BAR_H) / 2;
			const x0 = xOf(lane.s0[i]);
			const x1 = xOf(e);
			const k = toolKind(c.tool);
			const runningNow = Number.isNaN(lane.s1[i]);
			const bad = c.status === 'failed' || c.status === 'interrupted';
			if (bad) {
				// drawn over the others, below
				fails.push([c, x0, x1, y, r]);
				continue;
			}
			if (!runningNow && x1 - x0 < 3) {
				const run = runs[r];
				if (run && run.k === k && x0 <= run.x1 + 1) {
					if (x1 > run.x1) run.x1 = Math.max(x1, x0 + 1);
					continue;
				}
				flush(r);
				runs[r] = { x0, x1: Math.max(x1, x0 + 1), y, k };
				continue;
			}
			flush(r);
			const w = Math.max(2, x1 - x0);
			if (runningNow) {
				g.globalAlpha = 0.35;
				g.fillStyle = th.tool[k];
				g.fillRect(x0, y, w, BAR_H);
				g.globalAlpha = 1;
				g.strokeStyle = th.tool[k];
				g.lineWidth = 1.5;
				g.setLineDash([4, 3]);
				g.strokeRect(x0 + 0.75, y + 0.75, Math.max(1, w - 1.5), BAR_H - 1.5);
				g.setLineDash([]);
				// an arrow at the live end
				g.fillStyle = th.tool[k];
				g.beginPath();
				g.moveTo(x0 + w + 1, y);
				g.lineTo(x0 + w + 7, y + BAR_H / 2);
				g.lineTo(x0 + w + 1, y + BAR_H);
				g.fill();
			} else {
				g.fillStyle = th.tool[k];
				g.fillRect(x0, y, w, BAR_H);
			}
			if (w > 44) labelled.push([c, x0, y, w, false, runningNow]);
		}
		for (let r = 0; r < runs.length; r++) flush(r);
		// Failed calls: red, hatched when there is room, with a cross
		// (inside when it fits, else after the bar).  Where failures crowd
		// (zoomed out on a long session) each is a red tick under the bar
		// instead, so that the colours of the calls around stay readable.
		const prevX = new Array(lane.rows).fill(-Infinity);
		for (let j = 0; j < fails.length; j++) {
			const [c, x0, x1, y, r] = fails[j];
			const w = Math.max(3, x1 - x0);
			let crowded = x0 - prevX[r] < 10;
			for (let k = j + 1; !crowded && k < fails.length && fails[k][1] < x0 + w + 10; k++) if (fails[k][4] === r) crowded = true;
			prevX[r] = x0 + w;
			if (crowded && x1 - x0 < 3) {
				g.fillStyle = th.bad;
				g.fillRect(x0, y + BAR_H - 5, 2, 5);
				continue;
			}
			g.fillStyle = th.bad;
			g.fillRect(x0, y, w, BAR_H);
			if (w >= 10) {
				g.fillStyle = hatchPattern(g, 'rgba(255,255,255,0.45)');
				g.fillRect(x0, y, w, BAR_H);
			}
			const cx = w >= 14 ? x0 + w - 7 : x0 + w + 6;
			g.strokeStyle = w >= 14 ? th.onTool : th.bad;
			g.lineWidth = 2;
			g.beginPath();
			g.moveTo(cx - 3.5, y + BAR_H / 2 - 3.5);
			g.lineTo(cx + 3.5, y + BAR_H / 2 + 3.5);
			g.moveTo(cx + 3.5, y + BAR_H / 2 - 3.5);
			g.lineTo(cx - 3.5, y + BAR_H / 2 + 3.5);
			g.stroke();
			if (w > 44) labelled.push([c, x0, y, w, true, false]);
		}
		// labels inside the wide bars
		g.textAlign = 'left';
		for (const [c, x0, y, w, bad, runningNow] of labelled) {
			const room = w - 8 - (bad ? 14 : 0);
			const text = c.tool + ' ' + fmt.callSummary(c.tool, c.pre || c.post);
			g.fillStyle = runningNow ? th.fg : th.onTool;
			g.fillText(clip(text, room), Math.max(x0, labelW) + 4, y + BAR_H / 2 + 0.5);
		}
		g.restore();
	}

	// Cuts text to about px pixels (by an average glyph width: measuring
	// every label every frame costs more than the drawing).
	function clip(text, px) {
		const n = Math.floor(px / 6.6);
		if (n <= 1) return '';
		return text.length > n ? text.slice(0, n - 1) + '…' : text;
	}

	function drawMark(g, th, lane, m) {
		const { x, y } = markPos(lane, m);
		if (x < labelW - 6 || x > size.w + 6) return;
		const name = m.ev.event;
		g.lineWidth = 2;
		g.strokeStyle = th.panel;
		g.beginPath();
		let fill = th.stop;
		switch (name) {
			case 'UserPromptSubmit': // a flag pointing down at the lane's top
				fill = th.prompt;
				g.moveTo(x - 6, lane.y + AXIS_H - wrap.scrollTop + 2);
				g.lineTo(x + 6, lane.y + AXIS_H - wrap.scrollTop + 2);
				g.lineTo(x, lane.y + AXIS_H - wrap.scrollTop + 11);
				g.closePath();
				break;
			case 'SessionStart': // a triangle pointing right
				fill = th.sessionMark;
				g.moveTo(x - 1, y - 7);
				g.lineTo(x + 8, y);
				g.lineTo(x - 1, y + 7);
				g.closePath();
				break;
			case 'SessionEnd': // a bar
				fill = th.sessionMark;
				g.rect(x - 2, y - 9, 4, 18);
				break;
			case 'Stop': // a square
				fill = th.stop;
				g.rect(x - 5, y - 5, 10, 10);
				break;
			case 'StopFailure':
				fill = th.bad;
				g.rect(x - 5, y - 5, 10, 10);
				break;
			case 'PreCompact': // a diamond
				fill = th.note;
				g.moveTo(x, y - 6);
				g.lineTo(x + 6, y);
				g.lineTo(x, y + 6);
				g.lineTo(x - 6, y);
				g.closePath();
				break;
			default: // Notification: a dot
				fill = th.note;
				g.arc(x, y, 4.5, 0, Math.PI * 2);
		}
		g.stroke();
		g.fillStyle = fill;
		g.fill();
	}

	function ringOf(h) {
		if (!h) return null;
		if (h.kind === 'span') {
			const r = spanRect(h.lane, h.i);
			return { x: r.x - 3, y: r.y - 3, w: r.w + 6, h: r.h + 6 };
		}
		if (h.kind === 'mark') {
			const p = markPos(h.lane, h.m);
			const top = h.m.ev.event === 'UserPromptSubmit' ? laneTop(h.lane) : p.y - 9;
			return { x: p.x - 9, y: top, w: 18, h: h.m.ev.event === 'UserPromptSubmit' ? 15 : 18 };
		}
		return null;
	}

	function drawRings(g, th) {
		const hr = ringOf(hover);
		if (hr && !(focus && sameHit(hover, focusHit()))) {
			g.strokeStyle = th.fg;
			g.lineWidth = 1;
			g.strokeRect(hr.x + 0.5, hr.y + 0.5, hr.w - 1, hr.h - 1);
		}
		const fr = ringOf(focusHit());
		if (fr && document.activeElement === canvas) {
			g.strokeStyle = th.accent;
			g.lineWidth = 2.5;
			g.strokeRect(fr.x, fr.y, fr.w, fr.h);
		}
	}

	// ------------------------------------------------------------ hover, focus, text

	function sameHit(a, b) {
		return !!a && !!b && a.kind === b.kind && a.lane === b.lane && (a.kind === 'span' ? a.c === b.c : a.m === b.m);
	}

	function focusHit() {
		if (!focus || !model) return null;
		const lane = focus.lane;
		const it = navOf(lane)[focus.i];
		if (!it) return null;
		return it.c ? { kind: 'span', lane, i: it.i, c: it.c } : { kind: 'mark', lane, m: it.m };
	}

	function agentText(lane) {
		return lane.aid ? 'subagent ' + lane.label : 'main agent';
	}

	// The lines that describe a hit (tooltip and announcement).
	function describe(h) {
		if (h.kind === 'span') {
			const c = h.c;
			const ev = c.pre || c.post;
			const status = c.status === 'ok' ? 'ok ✓' : c.status === 'running' ? (h.lane.g.live ? 'running ▸' : 'unfinished ▸') : c.status + ' ✕';
			const lines = [[c.tool + ' · ' + status, 'strong']];
			const what = fmt.callSummary(c.tool, ev);
			if (what) lines.push([what, 'what']);
			if ((c.status === 'failed' || c.status === 'interrupted') && c.post?.data?.error) lines.push([String(c.post.data.error).split('\n').slice(0, 2).join(' · '), 'err']);
			const dur = c.post ? fmt.fmtDuration(c.duration) : fmt.fmtDuration(Date.now() - c.startMs) + ' so far';
			lines.push(['duration ' + dur + (Number.isFinite(c.hookMs) && Math.abs(c.hookMs - c.duration) > 1 ? ' (the tool reports ' + fmt.fmtDuration(c.hookMs) + ')' : ''), '']);
			lines.push(['started ' + fmt.fmtTime(ev.ts) + ' UTC · ' + agentText(h.lane), 'muted']);
			return lines;
		}
		const ev = h.m.ev;
		const lines = [[ev.event, 'strong']];
		const sum = fmt.summary(ev);
		if (sum) lines.push([sum.length > 240 ? sum.slice(0, 240) + '…' : sum, 'what']);
		lines.push([fmt.fmtTime(ev.ts) + ' UTC · ' + agentText(h.lane), 'muted']);
		return lines;
	}

	function showTip(h, anchor) {
		if (!h || (h.kind !== 'span' && h.kind !== 'mark')) {
			tip.hidden = true;
			return;
		}
		const nodes = describe(h).map(([t, cls]) => {
			const d = document.createElement('div');
			if (cls) d.className = cls;
			d.textContent = t;
			return d;
		});
		tip.replaceChildren(...nodes);
		tip.hidden = false;
		const r = ringOf(h);
		const ax = anchor ? anchor.x : r.x + r.w / 2;
		const ay = r.y + r.h;
		const tw = tip.offsetWidth,
			tht = tip.offsetHeight;
		let left = Math.min(size.w - tw - 4, Math.max(4, ax - tw / 2));
		let top = ay + 6;
		if (top + tht > size.h) top = r.y - tht - 6;
		tip.style.left = left + wrap.offsetLeft + 'px';
		tip.style.top = Math.max(AXIS_H, top) + wrap.offsetTop + 'px';
	}

	function announce(h) {
		if (!h) return;
		live.textContent = describe(h)
			.map((l) => l[0])
			.join('. ');
	}

	function updateLabel() {
		if (!model) return;
		const label =
			'Timeline: ' +
			model.groups.length +
			' session' +
			(model.groups.length === 1 ? '' : 's') +
			', ' +
			model.nLanes +
			' agent lane' +
			(model.nLanes === 1 ? '' : 's') +
			', ' +
			model.total +
			' tool call' +
			(model.total === 1 ? '' : 's') +
			', ' +
			model.failed +
			' failed, ' +
			model.running +
			' running. Arrow keys move between calls and markers, Enter opens one; the Conversation and Tool calls views list them as text.';
		if (canvas.getAttribute('aria-label') !== label) canvas.setAttribute('aria-label', label);
		const sum = model.total ? fmt.fmtCount(model.total) + ' calls · ' + model.failed + ' failed · ' + model.running + ' running · ' + model.nLanes + ' lane' + (model.nLanes === 1 ? '' : 's') : '';
		if ($('tl-summary').textContent !== sum) $('tl-summary').textContent = sum;
		$('tl-empty').hidden = model.groups.length > 0;
	}

	function updateRange() {
		const span = view.t1 - view.t0;
		const text = fmt.fmtTime(new Date(view.t0).toISOString()) + ' – ' + fmt.fmtTime(new Date(view.t1).toISOString()) + ' UTC · ' + fmt.fmtDuration(span) + ' shown';
		if ($('tl-range').textContent !== text) $('tl-range').textContent = text;
		fitBtn.setAttribute('aria-pressed', fit ? 'true' : 'false');
	}

	// ------------------------------------------------------------ zoom, pan

	function zoom(factor, atT) {
		const span = view.t1 - view.t0;
		const full = model && Number.isFinite(model.min) ? Math.max(1000, (model.max - model.min) * 4) : 3600000;
		const ns = Math.max(MIN_SPAN_MS, Math.min(full, span * factor));
		const at = atT === undefined ? (view.t0 + view.t1) / 2 : atT;
		const f = (at - view.t0) / span;
		view = { t0: at - f * ns, t1: at - f * ns + ns };
		fit = false;
		hideTipIfMoved();
		invalidate();
	}

	function pan(dt) {
		view = { t0: view.t0 + dt, t1: view.t1 + dt };
		fit = false;
		hideTipIfMoved();
		invalidate();
	}

	function hideTipIfMoved() {
		hover = null;
		if (!focus) tip.hidden = true;
	}

	function setFit() {
		fit = true;
		refit();
		invalidate();
	}

	$('tl-fit').addEventListener('click', setFit);
	$('tl-in').addEventListener('click', () => zoom(1 / 1.5));
	$('tl-out').addEventListener('click', () => zoom(1.5));

	canvas.addEventListener(
		'wheel',
		(e) => {
			if (!model) return;
			const r = canvas.getBoundingClientRect();
			const x = e.clientX - r.left;
			if (e.ctrlKey || e.metaKey) {
				e.preventDefault();
				zoom(Math.exp(e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0025)), x >= labelW ? tOf(x) : undefined);
			} else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
				e.preventDefault();
				const d = e.shiftKey && !e.deltaX ? e.deltaY : e.deltaX;
				pan((d / plotW()) * (view.t1 - view.t0));
			}
		},
		{ passive: false },
	);

	canvas.addEventListener('pointerdown', (e) => {
		if (e.button !== 0 || !model) return;
		const r = canvas.getBoundingClientRect();
		drag = { x: e.clientX, y: e.clientY, t0: view.t0, t1: view.t1, top: wrap.scrollTop, moved: false, px: e.clientX - r.left, py: e.clientY - r.top };
		canvas.setPointerCapture(e.pointerId);
	});
	canvas.addEventListener('pointermove', (e) => {
		const r = canvas.getBoundingClientRect();
		const px = e.clientX - r.left,
			py = e.clientY - r.top;
		if (drag) {
			const dx = e.clientX - drag.x,
				dy = e.clientY - drag.y;
			if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
			if (!drag.moved && drag.px < labelW) return;
			drag.moved = true;
			const dt = (-dx / plotW()) * (drag.t1 - drag.t0);
			view = { t0: drag.t0 + dt, t1: drag.t1 + dt };
			fit = false;
			wrap.scrollTop = drag.top - dy;
			tip.hidden = true;
			invalidate();
			return;
		}
		const h = hit(px, py);
		canvas.style.cursor = h && (h.kind === 'span' || h.kind === 'mark' || h.kind === 'head') ? 'pointer' : 'default';
		if (!sameHit(h, hover)) {
			hover = h && (h.kind === 'span' || h.kind === 'mark') ? h : null;
			if (hover) showTip(hover, { x: px });
			else if (!focus) tip.hidden = true;
			invalidate();
		}
	});
	canvas.addEventListener('pointerleave', () => {
		if (drag) return;
		hover = null;
		if (!focus || document.activeElement !== canvas) tip.hidden = true;
		invalidate();
	});
	canvas.addEventListener('pointerup', (e) => {
		const d = drag;
		drag = null;
		if (!d || d.moved) return;
		const h = hit(d.px, d.py);
		if (!h) return;
		if (h.kind === 'head') ctx.selectSession(h.g.id, e.ctrlKey || e.metaKey || e.shiftKey);
		else if (h.kind === 'span' || h.kind === 'mark') {
			setFocusTo(h, false);
			open(h);
		}
	});
	canvas.addEventListener('dblclick', (e) => {
		const r = canvas.getBoundingClientRect();
		const x = e.clientX - r.left;
		if (x >= labelW) zoom(e.shiftKey ? 2 : 0.5, tOf(x));
	});
	canvas.addEventListener('focus', () => {
		if (!focus) {
			const h = firstVisible();
			if (h) setFocusTo(h, true);
		} else {
			const h = focusHit();
			if (h) showTip(h);
		}
		invalidate();
	});
	canvas.addEventListener('blur', () => {
		tip.hidden = true;
		invalidate();
	});

	function open(h) {
		if (h.kind === 'span') ctx.showDetail(h.c.post || h.c.pre, h.c);
		else ctx.showDetail(h.m.ev, null);
	}

	function firstVisible() {
		if (!model) return null;
		const top = wrap.scrollTop;
		for (const lane of model.lanes) {
			if (lane.y + lane.h < top) continue;
			const nav = navOf(lane);
			if (!nav.length) continue;
			let i = nav.findIndex((it) => it.t >= view.t0);
			if (i < 0) i = nav.length - 1;
			return hitOf(lane, i);
		}
		return null;
	}

	function hitOf(lane, i) {
		const it = navOf(lane)[i];
		return it.c ? { kind: 'span', lane, i: it.i, c: it.c } : { kind: 'mark', lane, m: it.m };
	}

	// Gives the keyboard focus to a hit: scrolls and pans it into view,
	// shows the tooltip and announces it.
	function setFocusTo(h, reveal) {
		const nav = navOf(h.lane);
		const i = nav.findIndex((it) => (h.kind === 'span' ? it.c === h.c : it.m === h.m));
		if (i < 0) return;
		focus = { lane: h.lane, i };
		if (reveal) {
			const it = nav[i];
			const t0 = it.t,
				t1 = it.c ? spanEnd(h.lane, it.i) : it.t;
			const span = view.t1 - view.t0;
			if (t1 - t0 > span * 0.9) {
				view = { t0: t0 - (t1 - t0) * 0.1, t1: t1 + (t1 - t0) * 0.1 };
				fit = false;
			} else if (t0 < view.t0 || t1 > view.t1) {
				const mid = (t0 + t1) / 2;
				view = { t0: mid - span / 2, t1: mid + span / 2 };
				fit = false;
			}
			const top = wrap.scrollTop;
			const y = h.lane.y,
				hh = h.lane.h;
			const avail = size.h - AXIS_H;
			if (y - HEAD_H < top) wrap.scrollTop = Math.max(0, y - HEAD_H);
			else if (y + hh > top + avail) wrap.scrollTop = y + hh - avail;
		}
		const fh = focusHit();
		showTip(fh);
		announce(fh);
		invalidate();
	}

	canvas.addEventListener('keydown', (e) => {
		if (!model || e.altKey || e.ctrlKey || e.metaKey) return;
		const span = view.t1 - view.t0;
		let h = focusHit();
		const k = e.key;
		const lanes = model.lanes;
		if (k === '+' || k === '=' || k === 'w' || k === 'W') zoom(1 / 1.5, h ? (h.kind === 'span' ? h.lane.s0[h.i] : h.m.ms) : undefined);
		else if (k === '-' || k === '_' || k === 's' || k === 'S') zoom(1.5, h ? (h.kind === 'span' ? h.lane.s0[h.i] : h.m.ms) : undefined);
		else if (k === 'f' || k === 'F' || k === '0') setFit();
		else if (k === 'a' || k === 'A' || (e.shiftKey && k === 'ArrowLeft')) pan(-span * 0.2);
		else if (k === 'd' || k === 'D' || (e.shiftKey && k === 'ArrowRight')) pan(span * 0.2);
		else if (k === 'ArrowLeft' || k === 'ArrowRight' || k === 'Home' || k === 'End') {
			if (!h) h = firstVisible();
			if (!h) return;
			const nav = navOf(h.lane);
			let i = focus && focus.lane === h.lane ? focus.i : 0;
			if (k === 'ArrowLeft') i = Math.max(0, i - 1);
			else if (k === 'ArrowRight') i = Math.min(nav.length - 1, i + 1);
			else if (k === 'Home') i = 0;
			else i = nav.length - 1;
			setFocusTo(hitOf(h.lane, i), true);
		} else if (k === 'ArrowDown' || k === 'ArrowUp') {
			if (!h) h = firstVisible();
			if (!h) return;
			let li = lanes.indexOf(h.lane);
			const t = h.kind === 'span' ? h.lane.s0[h.i] : h.m.ms;
			for (;;) {
				li += k === 'ArrowDown' ? 1 : -1;
				if (li < 0 || li >= lanes.length) return e.preventDefault();
				if (navOf(lanes[li]).length) break;
			}
			const nav = navOf(lanes[li]);
			let best = 0;
			for (let j = 0; j < nav.length; j++) if (Math.abs(nav[j].t - t) < Math.abs(nav[best].t - t)) best = j;
			setFocusTo(hitOf(lanes[li], best), true);
		} else if (k === 'Enter' || k === ' ') {
			if (h) open(h);
		} else if (k === 'Escape') {
			// Esc closes the detail first (app.js), then lets go of the call.
			if (!focus || !document.getElementById('detail').hidden) return;
			focus = null;
			tip.hidden = true;
			invalidate();
		} else return;
		e.preventDefault();
		e.stopPropagation();
	});

	// ------------------------------------------------------------ the panel

	function rebuild(now) {
		// Keep the focus on the same call or marker across a rebuild.
		const fh = focusHit();
		const key = fh ? (fh.kind === 'span' ? fh.c : fh.m) : null;
		const t = performance.now();
		model = build(now);
		buildMs = performance.now() - t;
		builtVersion = ctx.store.version;
		builtKey = filterKey();
		builtAt = performance.now();
		focus = null;
		if (key)
			for (const lane of model.lanes) {
				const nav = navOf(lane);
				const i = nav.findIndex((it) => it.c === key || it.m === key);
				if (i >= 0) {
					focus = { lane, i };
					break;
				}
			}
		hover = null;
		if (fit) refit();
		layoutSpacer();
		updateLabel();
		needDraw = true;
	}

	return {
		id: 'timeline',
		show() {
			shown = true;
			font = '12px ' + getComputedStyle(document.body).fontFamily;
			small = '11px ' + getComputedStyle(document.body).fontFamily;
			invalidate();
		},
		hide() {
			shown = false;
			tip.hidden = true;
		},
		// The filters changed: rebuild now.
		invalidate() {
			builtKey = '';
			invalidate();
		},
		frame(now) {
			if (!shown) return;
			const wall = Date.now();
			const stale = builtVersion !== ctx.store.version;
			if (!model || builtKey !== filterKey()) rebuild(wall);
			else if (stale) {
				const wait = (ctx.store.callList.length > 10000 ? 1000 : 200) - (now - builtAt);
				if (wait <= 0) rebuild(wall);
				else if (!rebuildTimer)
					rebuildTimer = setTimeout(() => {
						rebuildTimer = 0;
						ctx.kick();
					}, wait);
			}
			// A live session moves with the clock: redraw twice a second.
			if (model.live && now - lastDraw > 500) {
				if (fit) refit();
				needDraw = true;
			}
			if (!needDraw) return;
			needDraw = false;
			lastDraw = now;
			draw();
			updateRange();
			const fh = focusHit();
			if (fh && !tip.hidden && document.activeElement === canvas) showTip(fh);
		},
		// For the tests and the curious: the model and where things are drawn.
		debug() {
			if (!model) return null;
			return {
				lanes: model.lanes.map((l) => ({ session: l.g.id, agent: l.aid, label: l.label, calls: l.calls.length, failed: l.failed, running: l.running, marks: l.marks.map((m) => m.ev.event), rows: l.rows })),
				total: model.total,
				failed: model.failed,
				running: model.running,
				view: { ...view },
				fit,
				drawMs,
				buildMs,
				drawCount,
			};
		},
		// The rectangle of a call's span in page coordinates, or null.
		rectOf(toolUseId) {
			if (!model) return null;
			for (const lane of model.lanes) {
				const i = lane.calls.findIndex((c) => c.id === toolUseId);
				if (i < 0) continue;
				const r = spanRect(lane, i);
				const b = canvas.getBoundingClientRect();
				return { x: b.left + r.x, y: b.top + r.y, w: r.w, h: r.h };
			}
			return null;
		},
		zoom,
		pan,
	};
}


