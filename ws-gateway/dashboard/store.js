// store.js: the page's model of the event stream.
//
// Events are kept in one array sorted by seq (the router's global sequence
// number), deduplicated by seq, and bounded: past the cap the oldest are
// dropped (they stay in the ring and the journal; the page fetches them again
// with get_history when the user scrolls to them).  Aggregates that the views
// need (sessions, tool calls, files, subagents, rates) are updated once per
// event as it is added, so no view ever walks the whole array per frame.
// Nothing here touches the DOM.

export const MAX_EVENTS = 100000; // events kept while following the live end
export const HARD_MAX = 125000; // while the user browses older events
const MAX_CALLS = 50000; // tool calls kept for the tool-call view
const IDLE_MS = 60000; // a session with no event for this long is idle
const MAX_MARKS = 5000; // markers kept per session for the timeline

// Events the timeline draws as markers on an agent's lane.
export const MARK_EVENTS = new Set(['SessionStart', 'SessionEnd', 'UserPromptSubmit', 'Stop', 'StopFailure', 'Notification', 'PreCompact']);

// Tool names whose file paths count as reads, writes, edits or searches.
const FILE_OPS = {
	Read: 'read',
	NotebookRead: 'read',
	Write: 'write',
	Edit: 'edit',
	MultiEdit: 'edit',
	NotebookEdit: 'edit',
	Grep: 'search',
	Glob: 'search',
	LS: 'search',
};

export function parseTs(ts) {
	if (typeof ts !== 'string') return NaN;
	// Date.parse keeps milliseconds; add the microseconds (digits 23-25 of
	// "2026-11-28T20:25:03.123456Z") as a fraction, without a regexp: this
	// runs for every event.
	const ms = Date.parse(ts);
	if (ts.length >= 27 && ts.charCodeAt(19) === 46) {
		const a = ts.charCodeAt(23) - 48,
			b = ts.charCodeAt(24) - 48,
			c = ts.charCodeAt(25) - 48;
		if (a >= 0 && a <= 9 && b >= 0 && b <= 9 && c >= 0 && c <= 9) return ms + (a * 100 + b * 10 + c) / 1000;
	}
	return ms;
}

function str(v) {
	return typeof v === 'string' ? v : '';
}

export class Store {
	constructor() {
		this.events = []; // sorted by seq
		this.sessions = new Map(); // session_id -> session
		this.calls = new Map(); // tool_use_id -> call
		this.callList = []; // calls in order of first sight (bounded)
		this.names = new Set(); // event names seen
		this.tools = new Set(); // tool names seen
		this.total = 0; // events ever added (after dedupe)
		this.dups = 0; // duplicates ignored
		this.version = 0; // bumps on every change
		this.reordered = false; // an event was inserted before the end
		this.dropped = 0; // oldest events dropped by the cap, cumulated
		this.lastSeq = 0; // highest seq seen (for get_history after a reconnect)
		this.gaps = []; // {from, to} ranges the server said were lost
		this.indexers = []; // fn(ev, ms, session): more aggregates (addIndexer)
	}

	// Registers fn(ev, ms, session), called once for every new event (in any
	// order: history arrives after live events), after the store's own
	// aggregates are updated.  This is how a panel keeps an aggregate of its
	// own (events per second per session, tokens per session) without
	// walking the events array.
	addIndexer(fn) {
		this.indexers.push(fn);
	}

	get size() {
		return this.events.length;
	}

	get minSeq() {
		return this.events.length ? this.events[0].seq : 0;
	}

	// Index of the first event with seq >= s.
	lowerBound(s) {
		const a = this.events;
		let lo = 0,
			hi = a.length;
		while (lo < hi) {
			const mid = (lo + hi) >>> 1;
			if (a[mid].seq < s) lo = mid + 1;
			else hi = mid;
		}
		return lo;
	}

	has(seq) {
		const i = this.lowerBound(seq);
		return i < this.events.length && this.events[i].seq === seq;
	}

	// Adds one event; returns true if it was new.  Events without a numeric
	// seq are ignored (the router always assigns one).
	add(ev) {
		if (!ev || typeof ev !== 'object' || !Number.isSafeInteger(ev.seq)) return false;
		const a = this.events;
		if (a.length === 0 || ev.seq > a[a.length - 1].seq) {
			a.push(ev);
		} else {
			const i = this.lowerBound(ev.seq);
			if (i < a.length && a[i].seq === ev.seq) {
				this.dups++;
				return false;
			}
			a.splice(i, 0, ev);
			this.reordered = true;
		}
		if (ev.seq > this.lastSeq) this.lastSeq = ev.seq;
		this.total++;
		this.version++;
		this.index(ev);
		return true;
	}

	// Adds a batch (a get_history answer) in O(n + m): events past the end
	// are appended, the others merged in one pass.  Returns how many were new.
	addMany(evs) {
		const a = this.events;
		const before = [];
		const seen = new Set();
		let added = 0;
		for (const ev of evs) {
			if (!ev || typeof ev !== 'object' || !Number.isSafeInteger(ev.seq)) continue;
			if (a.length === 0 || ev.seq > a[a.length - 1].seq) a.push(ev);
			else if (seen.has(ev.seq) || this.has(ev.seq)) {
				this.dups++;
				continue;
			} else {
				seen.add(ev.seq);
				before.push(ev);
			}
			if (ev.seq > this.lastSeq) this.lastSeq = ev.seq;
			this.total++;
			added++;
			this.index(ev);
		}
		if (before.length) {
			// this.events may have grown (appends above): merge with it.
			const cur = this.events;
			before.sort((x, y) => x.seq - y.seq);
			const merged = new Array(cur.length + before.length);
			let i = 0,
				j = 0,
				k = 0;
			while (i < cur.length && j < before.length) merged[k++] = cur[i].seq < before[j].seq ? cur[i++] : before[j++];
			while (i < cur.length) merged[k++] = cur[i++];
			while (j < before.length) merged[k++] = before[j++];
			this.events = merged;
			this.reordered = true;
		}
		if (added) this.version++;
		return added;
	}

	// Drops the oldest events past the cap; returns how many were dropped.
	trim(cap) {
		const extra = this.events.length - cap;
		// Hysteresis: splice in chunks, not once per event.
		if (extra <= Math.max(1000, cap / 50)) return 0;
		this.events.splice(0, extra);
		this.dropped += extra;
		this.version++;
		return extra;
	}

	session(id) {
		let s = this.sessions.get(id);
		if (!s) {
			s = {
				session_id: id,
				project: '',
				state: 'active',
				started: '',
				last: '',
				lastMs: 0,
				events: 0,
				tool: '',
				ended: false,
				agents: new Map(), // agent_id ('' = main thread) -> agent
				files: new Map(), // path -> {path, read, write, edit, search, last, lastTs}
				failures: 0,
				calls: 0,
				marks: [], // {ms, ev} of MARK_EVENTS, in seq order
				fromServer: false,
			};
			this.sessions.set(id, s);
		}
		return s;
	}

	agent(s, id, type) {
		let a = s.agents.get(id);
		if (!a) {
			a = { agent_id: id, agent_type: type || '', started: '', stopped: '', startMs: NaN, stopMs: NaN, firstMs: 0, lastMs: NaN, stopEv: null, tools: new Map(), events: 0, running: false };
			s.agents.set(id, a);
		}
		if (type && !a.agent_type) a.agent_type = type;
		return a;
	}

	// Updates the aggregates with one event (in any order).
	index(ev) {
		const name = str(ev.event);
		const data = ev.data && typeof ev.data === 'object' ? ev.data : {};
		this.names.add(name);
		const tool = str(ev.tool) || str(data.tool_name);
		if (tool) this.tools.add(tool);
		const sid = str(ev.session_id);
		const s = this.session(sid);
		const ms = parseTs(ev.ts);
		s.events++;
		if (!s.project) s.project = str(ev.project) || str(ev.cwd);
		if (!s.started || ev.ts < s.started) s.started = str(ev.ts);
		if (!s.last || ev.ts >= s.last) {
			s.last = str(ev.ts);
			s.lastMs = ms;
			if (name === 'PreToolUse') s.tool = tool;
			else if (name === 'PostToolUse' || name === 'PostToolUseFailure' || name === 'Stop') s.tool = '';
		}
		if (name === 'SessionEnd') s.ended = true;
		if (MARK_EVENTS.has(name)) {
			const m = s.marks;
			const k = { ms, ev };
			if (!m.length || m[m.length - 1].ev.seq < ev.seq) m.push(k);
			else {
				let i = m.length;
				while (i > 0 && m[i - 1].ev.seq > ev.seq) i--;
				m.splice(i, 0, k);
			}
			if (m.length > MAX_MARKS + 500) m.splice(0, m.length - MAX_MARKS);
		}

		const aid = str(ev.agent_id) || (name === 'SubagentStart' || name === 'SubagentStop' ? str(data.agent_id) : '');
		const ag = this.agent(s, aid, str(data.agent_type));
		ag.events++;
		if (!ag.firstMs || ms < ag.firstMs) ag.firstMs = ms;
		if (!(ag.lastMs >= ms)) ag.lastMs = ms;
		if (name === 'SubagentStart') {
			ag.started = str(ev.ts);
			ag.startMs = ms;
			ag.running = !ag.stopped;
		} else if (name === 'SubagentStop') {
			ag.stopped = str(ev.ts);
			ag.stopMs = ms;
			ag.stopEv = ev;
			ag.running = false;
		}

		const tuid = str(ev.tool_use_id) || str(data.tool_use_id);
		if (tuid && (name === 'PreToolUse' || name === 'PostToolUse' || name === 'PostToolUseFailure')) {
			let c = this.calls.get(tuid);
			const first = !c;
			if (!c) {
				c = { id: tuid, session_id: sid, agent_id: aid, tool, pre: null, post: null, status: 'running', duration: NaN, startMs: ms, endMs: NaN };
				this.calls.set(tuid, c);
				this.callList.push(c);
				s.calls++;
				if (this.callList.length > MAX_CALLS + 1000) {
					for (const old of this.callList.splice(0, this.callList.length - MAX_CALLS)) this.calls.delete(old.id);
				}
			}
			if (name === 'PreToolUse') {
				c.pre = ev;
				c.startMs = ms;
			} else {
				if (c.status !== 'failed' && name === 'PostToolUseFailure') s.failures++;
				c.post = ev;
				c.endMs = ms;
				// No PreToolUse (yet): the call started duration_ms before.
				if (!c.pre) c.startMs = typeof data.duration_ms === 'number' ? ms - data.duration_ms : ms;
				c.status = name === 'PostToolUseFailure' ? (data.is_interrupt ? 'interrupted' : 'failed') : 'ok';
			}
			if (c.pre && c.post) c.duration = parseTs(c.post.ts) - parseTs(c.pre.ts);
			else if (c.post && typeof data.duration_ms === 'number') c.duration = data.duration_ms;
			c.hookMs = c.post && typeof c.post.data?.duration_ms === 'number' ? c.post.data.duration_ms : NaN;
			this.version++;
			if (first) {
				// A call counts once for its agent and its files.
				ag.tools.set(tool, (ag.tools.get(tool) || 0) + 1);
				const op = FILE_OPS[tool];
				const files = Array.isArray(ev.files) ? ev.files : [];
				const paths = files.length ? files : str(data.tool_input?.file_path) ? [data.tool_input.file_path] : [];
				if (op) {
					for (const p of paths) {
						if (typeof p !== 'string') continue;
						let f = s.files.get(p);
						if (!f) {
							f = { path: p, read: 0, write: 0, edit: 0, search: 0, last: '', lastTs: '' };
							s.files.set(p, f);
						}
						f[op]++;
						if (!f.lastTs || ev.ts >= f.lastTs) {
							f.last = op;
							f.lastTs = str(ev.ts);
						}
					}
				}
			}
		}
		for (const fn of this.indexers) fn(ev, ms, s);
	}

	// Merges the server's sessions list (authoritative for state and counts).
	mergeSessions(list) {
		if (!Array.isArray(list)) return;
		for (const x of list) {
			if (!x || typeof x.session_id !== 'string') continue;
			const s = this.session(x.session_id);
			s.fromServer = true;
			if (typeof x.project === 'string' && x.project) s.project = x.project;
			if (typeof x.state === 'string') s.serverState = x.state;
			if (x.started != null) s.serverStarted = x.started;
			if (typeof x.events === 'number') s.serverEvents = x.events;
			if (typeof x.tool === 'string') s.serverTool = x.tool;
			if (x.last != null) s.serverLast = x.last;
			if (x.usage !== undefined) s.usage = x.usage; // tokens and cost (spend.js)
		}
		this.version++;
	}

	// Session state: the server's word if it gave one, else derived.
	stateOf(s, now) {
		if (s.ended) return 'ended';
		if (s.serverState) return s.serverState;
		return now - s.lastMs > IDLE_MS ? 'idle' : 'active';
	}

	sessionList() {
		const last = (s) => s.last || (typeof s.serverLast === 'string' ? s.serverLast : '');
		return [...this.sessions.values()].sort((a, b) => (last(a) < last(b) ? 1 : last(a) > last(b) ? -1 : 0));
	}
}

// Counts arrivals per second for the rate chart (the last `span` seconds).
export class Rate {
	constructor(span = 60) {
		this.span = span;
		this.buckets = new Array(span).fill(0);
		this.sec = Math.floor(Date.now() / 1000);
	}

	roll(now = Date.now()) {
		const s = Math.floor(now / 1000);
		let d = s - this.sec;
		if (d <= 0) return;
		if (d > this.span) d = this.span;
		for (let i = 0; i < d; i++) {
			this.buckets.shift();
			this.buckets.push(0);
		}
		this.sec = s;
	}

	hit(n = 1) {
		this.roll();
		this.buckets[this.span - 1] += n;
	}

	// Events in the last complete second.
	current() {
		this.roll();
		return this.buckets[this.span - 2];
	}
}
