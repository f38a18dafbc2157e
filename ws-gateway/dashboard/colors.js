// colors.js: the colours the canvas views draw with.
//
// Each session gets one of ten hues (style.css, --s0 to --s9, a light and a
// dark set), the same in the pulse chart, the timeline and the session list.
// The hue is picked from a hash of the session id, so a session keeps its
// colour across reloads; when that hue is already taken by another session
// on this page the next free one is used, so that up to ten sessions never
// share a colour.  Tool calls are coloured by kind (read, search, edit, run,
// agent, web, other: --t-*).  Colours are read from the style sheet once per
// colour scheme: getComputedStyle is not something to call per frame.

const SLOTS = 10;
const slotOf = new Map(); // session id -> slot
const owner = new Array(SLOTS).fill(null); // slot -> session id

let cache = null;
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
	cache = null;
	for (const fn of schemeListeners) fn();
});
const schemeListeners = [];

// fn() when the colour scheme changes (the views redraw).
export function onScheme(fn) {
	schemeListeners.push(fn);
}

export function theme() {
	if (cache) return cache;
	const cs = getComputedStyle(document.documentElement);
	const v = (k, d) => cs.getPropertyValue(k).trim() || d;
	cache = {
		tool: {
			read: v('--t-read', '#2a5fc4'),
			search: v('--t-search', '#087a8e'),
			edit: v('--t-edit', '#a85400'),
			run: v('--t-run', '#127a57'),
			agent: v('--t-agent', '#6a3fc4'),
			web: v('--t-web', '#7d6000'),
			other: v('--t-other', '#5a6472'),
		},
		onTool: v('--on-tool', '#fff'),
		bad: v('--bad', '#c62828'),
		warn: v('--warn', '#9a6700'),
		fg: v('--fg', '#1d1f23'),
		muted: v('--muted', '#6b7079'),
		line: v('--line', '#dedfe3'),
		panel: v('--panel', '#fff'),
		bg: v('--bg', '#f7f7f5'),
		hover: v('--hover', '#eef1f6'),
		sel: v('--sel', '#dbe7ff'),
		accent: v('--accent', '#2456c9'),
		prompt: v('--ev-prompt', '#8250df'),
		sessionMark: v('--ev-session', '#0b7285'),
		stop: v('--ev-stop', '#57606a'),
		note: v('--ev-note', '#9a6700'),
		agentBand: v('--agent-band', 'rgba(106, 63, 196, 0.08)'),
		sessionColours: Array.from({ length: SLOTS }, (_, i) => v('--s' + i, '#888')),
	};
	return cache;
}

function hash(s) {
	let h = 2166136261;
	for (let i = 0; i < s.length; i++) {
		h ^= s.charCodeAt(i);
		h = Math.imul(h, 16777619);
	}
	return h >>> 0;
}

// The slot (0-9) of a session's colour.
export function sessionSlot(id) {
	let s = slotOf.get(id);
	if (s !== undefined) return s;
	// The last slot (slate) only when the nine hues are taken.
	const want = hash(id || '-') % (SLOTS - 1);
	s = want;
	for (let i = 0; i < SLOTS; i++) {
		const k = i < SLOTS - 1 ? (want + i) % (SLOTS - 1) : SLOTS - 1;
		if (owner[k] === null) {
			s = k;
			break;
		}
	}
	if (owner[s] === null) owner[s] = id;
	slotOf.set(id, s);
	return s;
}

export function sessionColour(id) {
	return theme().sessionColours[sessionSlot(id)];
}

const KIND = {
	Read: 'read',
	NotebookRead: 'read',
	LS: 'read',
	Grep: 'search',
	Glob: 'search',
	ToolSearch: 'search',
	Edit: 'edit',
	MultiEdit: 'edit',
	Write: 'edit',
	NotebookEdit: 'edit',
	Bash: 'run',
	PowerShell: 'run',
	BashOutput: 'run',
	KillShell: 'run',
	Agent: 'agent',
	Task: 'agent',
	WebFetch: 'web',
	WebSearch: 'web',
};

// read | search | edit | run | agent | web | other
export function toolKind(tool) {
	return KIND[tool] || (typeof tool === 'string' && tool.startsWith('mcp__') ? 'web' : 'other');
}
