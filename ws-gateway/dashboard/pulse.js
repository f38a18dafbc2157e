// pulse.js: the live pulse, events per time bucket per session.
//
// A store indexer (store.addIndexer) counts every event into a per-second
// ring per session, by the event's capture time (ts), so that history loaded
// after a reload shows the last minutes as well as live arrivals.  Drawing
// sums those seconds into 60 buckets of 1, 3 or 5 seconds (the 1, 3 and 5
// minute ranges) and stacks one colour per session (colors.js), once a
// second, on a canvas.  The legend below it is the text alternative: each
// session with its colour and its count in the range; a click (or Enter)
// on one selects that session, as in the session list.  The chart follows
// the session filter only: the others would need a count per filter value.

import { sessionColour, theme, onScheme } from './colors.js';
import { state, PULSE_RANGES } from './state.js';
import * as fmt from './fmt.js';

const KEEP = 320; // seconds of counts kept per session (5 min and a margin)
const BARS = 60;
const LEGEND_MAX = 8;

export class PulseCounts {
	constructor() {
		this.m = new Map(); // session id -> {stamp: Int32Array, n: Int32Array}
	}

	// Counts one event captured at ms (epoch milliseconds).
	add(sid, ms, now = Date.now()) {
		const nowSec = Math.floor(now / 1000);
		let sec = Math.floor(ms / 1000);
		if (!(sec > nowSec - KEEP)) return; // too old (or NaN)
		if (sec > nowSec) sec = nowSec; // a clock ahead of ours
		let e = this.m.get(sid);
		if (!e) {
			e = { stamp: new Int32Array(KEEP).fill(-1), n: new Int32Array(KEEP) };
			this.m.set(sid, e);
		}
		const i = sec % KEEP;
		if (e.stamp[i] !== sec) {
			e.stamp[i] = sec;
			e.n[i] = 0;
		}
		e.n[i]++;
	}

	// Events of session sid in second sec.
	at(sid, sec) {
		const e = this.m.get(sid);
		if (!e) return 0;
		const i = sec % KEEP;
		return e.stamp[i] === sec ? e.n[i] : 0;
	}
}

// ctx: store, selectSession(id, additive), sessionLabel(id), kick().
export function createPulse(ctx) {
	const counts = new PulseCounts();
	const counter = (ev, ms) => counts.add(ev.session_id || '', ms);
	counter.liveOnly = true; // not for an old session's store (history.js)
	ctx.store.addIndexer(counter);
	const $ = (id) => document.getElementById(id);
	const root = $('pulse');
	const canvas = $('pulse-canvas');
	const legend = $('pulse-legend');
	const tip = $('pulse-tip');
	const toggle = $('pulse-toggle');
	let size = { w: 0, h: 0 };
	let dirty = true;
	let lastSec = 0;
	let drawn = null; // what the last draw showed: {series, from, bucket, max}
	let hoverBar = -1;

	// Open, unless the user closed it or the window is narrow (a phone).
	let open = !matchMedia('(max-width: 760px)').matches;
	try {
		const was = localStorage.getItem('hookwire.pulse');
		if (was) open = was === 'open';
	} catch (e) {
		/* storage disabled */
	}
	setOpen(open);
	toggle.addEventListener('click', () => {
		setOpen(!open);
		try {
			localStorage.setItem('hookwire.pulse', open ? 'open' : 'closed');
		} catch (e) {
			/* storage disabled */
		}
	});
	function setOpen(o) {
		open = o;
		toggle.setAttribute('aria-expanded', o ? 'true' : 'false');
		$('pulse-body').hidden = !o;
		root.classList.toggle('closed', !o);
		dirty = true;
		ctx.kick();
	}

	for (const b of root.querySelectorAll('[data-range]'))
		b.addEventListener('click', () => {
			const r = Number(b.dataset.range);
			if (r === state.pulse) return;
			state.pulse = r;
			ctx.changed();
		});

	new ResizeObserver((entries) => {
		const r = entries[entries.length - 1].contentRect;
		size = { w: r.width, h: r.height };
		dirty = true;
		ctx.kick();
	}).observe(canvas);
	onScheme(() => {
		dirty = true;
		ctx.kick();
	});

	legend.addEventListener('click', (e) => {
		const b = e.target.closest('button[data-id]');
		if (b) ctx.selectSession(b.dataset.id, e.ctrlKey || e.metaKey || e.shiftKey);
	});

	canvas.addEventListener('mousemove', (e) => {
		if (!drawn) return;
		const r = canvas.getBoundingClientRect();
		const i = Math.floor(((e.clientX - r.left - drawn.left) / drawn.plotW) * BARS);
		hoverBar = i >= 0 && i < BARS ? i : -1;
		showTip(e.clientX - r.left, e.clientY - r.top);
	});
	canvas.addEventListener('mouseleave', () => {
		hoverBar = -1;
		tip.hidden = true;
	});

	function showTip(x, y) {
		if (hoverBar < 0 || !drawn) {
			tip.hidden = true;
			return;
		}
		const t0 = (drawn.from + hoverBar * drawn.bucket) * 1000;
		const lines = [];
		let total = 0;
		for (const s of drawn.series) {
			const n = s.bars[hoverBar];
			if (n) lines.push([s.id, n]);
			total += n;
		}
		const head = document.createElement('strong');
		head.textContent = fmtClock(t0) + (drawn.bucket > 1 ? '–' + fmtClock(t0 + drawn.bucket * 1000) : '') + ' · ' + total + ' event' + (total === 1 ? '' : 's');
		const rows = lines.map(([id, n]) => {
			const d = document.createElement('div');
			const sw = document.createElement('span');
			sw.className = 'sw';
			sw.style.background = sessionColour(id);
			d.append(sw, ctx.sessionLabel(id) + ': ' + n);
			return d;
		});
		tip.replaceChildren(head, ...rows);
		tip.hidden = false;
		const w = tip.offsetWidth;
		tip.style.left = Math.max(0, Math.min(size.w - w, x + 12)) + 'px';
		tip.style.top = Math.max(0, y - tip.offsetHeight - 8) + 'px';
	}

	// The series to draw: sessions with events in the range (the filtered
	// ones when a session filter is set), largest first.
	function series(nowSec, bucket) {
		const from = nowSec - BARS * bucket + 1;
		const out = [];
		for (const sid of counts.m.keys()) {
			if (state.f.session.size && !state.f.session.has(sid)) continue;
			const bars = new Array(BARS).fill(0);
			let total = 0;
			for (let b = 0; b < BARS; b++) {
				let n = 0;
				const s0 = from + b * bucket;
				for (let k = 0; k < bucket; k++) n += counts.at(sid, s0 + k);
				bars[b] = n;
				total += n;
			}
			if (total) out.push({ id: sid, bars, total });
		}
		out.sort((a, b) => b.total - a.total || (a.id < b.id ? -1 : 1));
		return { from, out };
	}

	function draw(now) {
		const bucket = state.pulse; // seconds per bar: 1, 3, 5 for 1, 3, 5 minutes
		const nowSec = Math.floor(now / 1000);
		const { from, out } = series(nowSec, bucket);
		const dpr = window.devicePixelRatio || 1;
		const w = size.w,
			h = size.h;
		if (!w || !h) return;
		if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
			canvas.width = Math.round(w * dpr);
			canvas.height = Math.round(h * dpr);
		}
		const g = canvas.getContext('2d');
		const th = theme();
		g.setTransform(dpr, 0, 0, dpr, 0, 0);
		g.clearRect(0, 0, w, h);
		const left = 34,
			right = 6,
			top = 6,
			bottom = 16;
		const plotW = Math.max(10, w - left - right);
		const plotH = Math.max(10, h - top - bottom);
		const totals = new Array(BARS).fill(0);
		for (const s of out) for (let b = 0; b < BARS; b++) totals[b] += s.bars[b];
		const peak = Math.max(0, ...totals);
		const max = niceMax(Math.max(4, peak));
		// grid and y labels
		g.font = '10px ' + getComputedStyle(canvas).fontFamily;
		g.textBaseline = 'middle';
		g.textAlign = 'right';
		for (const f of [0, 0.5, 1]) {
			const y = Math.round(top + plotH - f * plotH) + 0.5;
			g.fillStyle = th.line;
			g.fillRect(left, y, plotW, 1);
			g.fillStyle = th.muted;
			g.fillText(fmt.fmtCount(max * f), left - 4, y);
		}
		// stacked bars, oldest left
		const bw = plotW / BARS;
		for (let b = 0; b < BARS; b++) {
			let y = top + plotH;
			for (const s of out) {
				const n = s.bars[b];
				if (!n) continue;
				const bh = (n / max) * plotH;
				g.fillStyle = sessionColour(s.id);
				g.fillRect(left + b * bw + 0.5, y - bh, Math.max(1, bw - 1.5), bh);
				y -= bh;
			}
		}
		// x labels: the range's start, middle and now
		g.textBaseline = 'alphabetic';
		g.fillStyle = th.muted;
		const span = BARS * bucket;
		const marks = [
			[0, '−' + fmtSpan(span)],
			[0.5, '−' + fmtSpan(span / 2)],
			[1, 'now'],
		];
		for (const [f, label] of marks) {
			g.textAlign = f === 0 ? 'left' : f === 1 ? 'right' : 'center';
			g.fillText(label, left + f * plotW, h - 3);
		}
		drawn = { series: out, from, bucket, max, left, plotW };
		const total = out.reduce((a, s) => a + s.total, 0);
		const peakAt = totals.indexOf(peak);
		const label =
			'Events per ' + (bucket === 1 ? 'second' : bucket + ' seconds') + ' by session, last ' + fmtSpan(span) + ': ' + total + ' event' + (total === 1 ? '' : 's') + ' in ' + out.length + ' session' + (out.length === 1 ? '' : 's') + (peak ? ', peak ' + peak + ' at ' + fmtClock((from + peakAt * bucket) * 1000) : '') + '. The legend lists each session with its count.';
		if (canvas.getAttribute('aria-label') !== label) canvas.setAttribute('aria-label', label);
		const sum = total ? fmt.fmtCount(total) + ' in ' + fmtSpan(span) + (state.f.session.size ? ' · selected sessions' : '') : 'no events in the last ' + fmtSpan(span);
		if ($('pulse-sum').textContent !== sum) $('pulse-sum').textContent = sum;
		drawLegend(out);
		if (hoverBar >= 0 && !tip.hidden) showTip(parseFloat(tip.style.left) - 12, parseFloat(tip.style.top) + tip.offsetHeight + 8);
	}

	function drawLegend(out) {
		const shown = out.slice(0, LEGEND_MAX);
		const key = shown.map((s) => s.id + ':' + s.total + ':' + state.f.session.has(s.id)).join() + '|' + (out.length - shown.length);
		if (legend._key === key) return;
		legend._key = key;
		const items = shown.map((s) => {
			const li = document.createElement('li');
			const b = document.createElement('button');
			b.type = 'button';
			b.dataset.id = s.id;
			b.setAttribute('aria-pressed', state.f.session.has(s.id) ? 'true' : 'false');
			b.title = 'Show only this session (Ctrl+click adds it)';
			const sw = document.createElement('span');
			sw.className = 'sw';
			sw.style.background = sessionColour(s.id);
			const name = document.createElement('span');
			name.textContent = ctx.sessionLabel(s.id);
			const n = document.createElement('span');
			n.className = 'n';
			n.textContent = fmt.fmtCount(s.total);
			b.append(sw, name, n);
			li.append(b);
			return li;
		});
		if (out.length > shown.length) {
			const li = document.createElement('li');
			li.className = 'muted';
			li.textContent = '+' + (out.length - shown.length) + ' more';
			items.push(li);
		}
		legend.replaceChildren(...items);
	}

	return {
		counts,
		// After a state change: the range buttons and a redraw.
		sync() {
			for (const b of root.querySelectorAll('[data-range]')) b.setAttribute('aria-pressed', Number(b.dataset.range) === state.pulse ? 'true' : 'false');
			dirty = true;
		},
		invalidate() {
			dirty = true;
		},
		// Called every animation frame the page draws; draws at most once a
		// second unless something changed.
		frame() {
			if (!open) return;
			const now = Date.now();
			const sec = Math.floor(now / 1000);
			if (!dirty && sec === lastSec) return;
			dirty = false;
			lastSec = sec;
			draw(now);
		},
		drawn: () => drawn,
		ranges: PULSE_RANGES,
	};
}

function niceMax(v) {
	const p = Math.pow(10, Math.floor(Math.log10(v)));
	for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
	return 10 * p;
}

function fmtSpan(sec) {
	return sec >= 60 && sec % 60 === 0 ? sec / 60 + ' min' : sec >= 60 ? (sec / 60).toFixed(1) + ' min' : sec + ' s';
}

// UTC, as the stream shows times.
function fmtClock(ms) {
	return new Date(ms).toISOString().slice(11, 19);
}
