// chart.js: a small bar chart of events per second (canvas, no library).

// The theme's colours, read once per colour scheme (getComputedStyle forces
// a style recalculation: not something to do every second on a busy page).
let cache = null;
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => (cache = null));
function colours(el) {
	if (!cache) {
		const cs = getComputedStyle(el);
		cache = { fg: cs.getPropertyValue('--chart').trim() || '#3b82f6', grid: cs.getPropertyValue('--line').trim() || '#ccc' };
	}
	return cache;
}

// Canvas sizes, kept by a ResizeObserver: reading clientWidth here would
// force a synchronous layout of the whole page once a second.
const sizes = new WeakMap();
const last = new WeakMap(); // the buckets drawn last, to redraw on a resize
const ro = new ResizeObserver((entries) => {
	for (const e of entries) {
		sizes.set(e.target, { w: e.contentRect.width, h: e.contentRect.height });
		if (last.has(e.target)) drawRate(e.target, last.get(e.target));
	}
});

export function drawRate(canvas, buckets) {
	const dpr = window.devicePixelRatio || 1;
	last.set(canvas, buckets);
	const sz = sizes.get(canvas);
	if (!sz) {
		ro.observe(canvas);
		sizes.set(canvas, { w: 0, h: 0 });
		return;
	}
	const w = sz.w;
	const h = sz.h;
	if (!w || !h) return;
	if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
		canvas.width = Math.round(w * dpr);
		canvas.height = Math.round(h * dpr);
	}
	const ctx = canvas.getContext('2d');
	ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
	ctx.clearRect(0, 0, w, h);
	const { fg, grid } = colours(canvas);
	// The last bucket is the second in progress: leave it out.
	const data = buckets.slice(0, -1);
	const max = Math.max(10, ...data);
	const bw = w / data.length;
	ctx.fillStyle = grid;
	ctx.fillRect(0, h - 1, w, 1);
	ctx.fillStyle = fg;
	for (let i = 0; i < data.length; i++) {
		const bh = Math.round((data[i] / max) * (h - 2));
		if (bh > 0) ctx.fillRect(i * bw, h - 1 - bh, Math.max(1, bw - 1), bh);
	}
	canvas.setAttribute('aria-label', 'events per second, last minute; now ' + data[data.length - 1] + ', peak ' + Math.max(...data));
}
