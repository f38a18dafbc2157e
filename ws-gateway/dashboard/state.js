// state.js: what the user is looking at, and the address that says so.
//
// The view (tab), the filters (sets of sessions, event names, tools and
// agents, and a free text) and the pulse chart's range live here, and in the
// address's fragment, so that a reload or a shared link opens the same view
// and the browser's back and forward buttons step through the user's
// changes:
//
//   #view=timeline&session=4f1c…&tool=Bash&tool=Read&agent=main&q=npm&pulse=3
//
// Repeated keys hold the several values of one filter.  Only the keys below
// are ever written: the access token (conn.js takes it out of the address at
// start-up) never goes back into it.  Nothing here touches the DOM.

export const FILTERS = ['session', 'event', 'tool', 'agent'];
export const PULSE_RANGES = [1, 3, 5]; // minutes
export const MAIN = 'main'; // the agent key of the main thread (agent_id '')

export const state = {
	view: 'stream',
	f: { session: new Set(), event: new Set(), tool: new Set(), agent: new Set() },
	text: '', // as typed
	q: '', // lower-cased, trimmed: what matches() looks for
	pulse: 1,
	// The history view (history.js): the range of days (today, yesterday,
	// 7d or custom from..to, dates YYYY-MM-DD), the project, the search text;
	// open: the old session the page shows instead of the live stream (with
	// at: the event to show in it), '' for live.
	h: { range: 'today', from: '', to: '', project: '', q: '' },
	open: '',
	at: 0,
};
export const RANGES = ['today', 'yesterday', '7d', 'custom'];
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

let views = new Set(['stream']); // the views the page has (setViews)
const listeners = [];

export function setViews(names) {
	views = new Set(names);
}

// fn(how) after the state changed: how is 'user' or 'history' (back, forward,
// a hash typed in the address bar).
export function onChange(fn) {
	listeners.push(fn);
}

export function toolOf(ev) {
	return ev.tool || (ev.data && typeof ev.data.tool_name === 'string' ? ev.data.tool_name : '');
}

// The agent an event belongs to: MAIN or the subagent's agent_id.
export function agentKey(ev) {
	if (ev.agent_id) return ev.agent_id;
	if ((ev.event === 'SubagentStart' || ev.event === 'SubagentStop') && typeof ev.data?.agent_id === 'string' && ev.data.agent_id) return ev.data.agent_id;
	return MAIN;
}

function textOf(ev) {
	// Lazily cached lower-case text for free-text search (not enumerable: the
	// detail pane prints the event's own keys).
	if (ev._text === undefined) {
		let d = '';
		try {
			d = JSON.stringify(ev.data);
		} catch (e) {
			d = '';
		}
		Object.defineProperty(ev, '_text', { value: (ev.event + ' ' + (ev.tool || '') + ' ' + (ev.session_id || '') + ' ' + (ev.project || '') + ' ' + d).toLowerCase(), enumerable: false });
	}
	return ev._text;
}

// Whether an event passes every filter.
export function matches(ev) {
	const f = state.f;
	if (f.session.size && !f.session.has(ev.session_id || '')) return false;
	if (f.event.size && !f.event.has(ev.event)) return false;
	if (f.tool.size && !f.tool.has(toolOf(ev))) return false;
	if (f.agent.size && !f.agent.has(agentKey(ev))) return false;
	if (state.q && !textOf(ev).includes(state.q)) return false;
	return true;
}

// Whether any filter is set; without the session filter when but is 'session'.
export function filtering(but) {
	const f = state.f;
	return !!((but !== 'session' && f.session.size) || f.event.size || f.tool.size || f.agent.size || state.q);
}

// The one session the user picked, or '' (none, or several).
export function oneSession() {
	return state.f.session.size === 1 ? state.f.session.values().next().value : '';
}

export function setText(t) {
	state.text = t;
	state.q = t.trim().toLowerCase();
}

// The fragment for the current state (without '#'); defaults are left out.
export function encode() {
	const p = new URLSearchParams();
	if (state.view !== 'stream') p.set('view', state.view);
	for (const k of FILTERS) for (const v of [...state.f[k]].sort()) p.append(k, v);
	if (state.text.trim()) p.set('q', state.text.trim());
	if (state.pulse !== 1) p.set('pulse', String(state.pulse));
	const h = state.h;
	if (h.range !== 'today') p.set('range', h.range);
	if (h.range === 'custom') {
		if (h.from) p.set('from', h.from);
		if (h.to) p.set('to', h.to);
	}
	if (h.project) p.set('project', h.project);
	if (h.q.trim()) p.set('hq', h.q.trim());
	if (state.open) p.set('open', state.open);
	if (state.open && state.at > 0) p.set('at', String(state.at));
	return p.toString();
}

// Sets the state from a fragment (with or without '#'); unknown keys and
// values are ignored.
export function decode(hash) {
	const p = new URLSearchParams(String(hash || '').replace(/^#/, ''));
	const v = p.get('view');
	state.view = v && views.has(v) ? v : 'stream';
	for (const k of FILTERS) state.f[k] = new Set(p.getAll(k).filter((x) => x.length > 0 && x.length <= 512));
	setText(p.get('q') || '');
	const r = Number(p.get('pulse'));
	state.pulse = PULSE_RANGES.includes(r) ? r : 1;
	const rg = p.get('range');
	const day = (k) => (DAY_RE.test(p.get(k) || '') ? p.get(k) : '');
	state.h = { range: RANGES.includes(rg) ? rg : 'today', from: day('from'), to: day('to'), project: (p.get('project') || '').slice(0, 4096), q: (p.get('hq') || '').slice(0, 1024) };
	const o = p.get('open') || '';
	state.open = o.length <= 512 ? o : '';
	const at = Number(p.get('at'));
	state.at = state.open && Number.isSafeInteger(at) && at > 0 ? at : 0;
}

// Writes the state into the address: a new history entry (push) or in place
// (typing in the search box replaces the entry its first keystroke made).
export function commit(push = true) {
	const h = encode();
	const url = location.pathname + location.search + (h ? '#' + h : '');
	if (url === location.pathname + location.search + location.hash) return;
	if (push) history.pushState(null, '', url);
	else history.replaceState(null, '', url);
}

// A change made by the user: written to the address, then announced.
export function changed(push = true) {
	commit(push);
	for (const fn of listeners) fn('user');
}

// Back, forward, or a fragment edited by hand.
window.addEventListener('popstate', () => {
	decode(location.hash);
	for (const fn of listeners) fn('history');
});
