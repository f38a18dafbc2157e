// conversation.js: one session read as a conversation.
//
// Model (build): the session's events (store.events, in seq order, through
// the filters) become items: the user's prompts, Claude's text
// (MessageDisplay, joined per message_id), tool calls (PreToolUse with its
// PostToolUse or PostToolUseFailure, by tool_use_id: the tool, what it was
// called on, its outcome and duration, its output on demand), subagent runs
// (SubagentStart to SubagentStop, nested, with their own calls and their
// final message), Stop with Claude's last message, and the session's other
// events as one-line notes.  Items are keyed (the first event's seq, or the
// call's tool_use_id, the message_id, the agent_id) and versioned, so a
// live update re-renders only what changed and moves nothing else: the
// keyboard focus, the scroll position and the opened outputs stay.
//
// Rendering is progressive: a fresh render draws the first FIRST_ITEMS
// items (a screenful and more), and each later frame adds MORE_ITEMS until
// the list is whole; the feed is aria-busy meanwhile.  Opening a stored
// 50,000-event session drew its last 2000 items in one frame of some
// 120 ms (script, style and layout); the screen the user sees now costs a
// twentieth of that, and the rest follows a frame at a time.
//
// Keyboard: the items are a feed; Up and Down (or k and j) move between
// them, nested ones included, Home and End go to the ends, Enter or Space
// opens a call's output or folds a subagent, and Tab reaches the buttons.
// Event text is untrusted: it reaches the DOM through textContent only.

import { state, matches, oneSession, agentKey, MAIN } from './state.js';
import * as fmt from './fmt.js';

const MAX_ITEMS = 2000; // top-level items rendered; older ones on request
const FIRST_ITEMS = 100; // top-level items drawn by a fresh render
const MORE_ITEMS = 400; // and added by each later frame
const OUT_LINES = 30; // output lines shown before "show all"
const OUT_CHARS = 4000;

export function createConversation(ctx) {
	const $ = (id) => document.getElementById(id);
	const feed = $('cv');
	const scroller = $('cv-scroll');
	const pick = $('cv-pick');
	const head = $('cv-head');
	let shown = false;
	let builtVersion = -1;
	let builtKey = '';
	let builtAt = 0;
	let timer = 0;
	let limit = MAX_ITEMS;
	let model = null;
	let list = []; // the top-level items to render (the newest MAX_ITEMS or more)
	let upto = 0; // how many of them are in the feed
	const opened = new Set(); // keys of calls whose output is shown
	const full = new Set(); // keys of calls whose whole output is shown
	const folded = new Set(); // keys of subagent runs folded

	function filterKey() {
		return [...state.f.session].join() + '|' + [...state.f.agent].join() + '|' + [...state.f.event].join() + '|' + [...state.f.tool].join() + '|' + state.q + '|' + limit;
	}

	// ------------------------------------------------------------ model

	function build(sid) {
		const root = { kind: 'root', kids: [] };
		const groups = new Map();
		const calls = new Map();
		const msgs = new Map();
		let n = 0;
		const counts = { prompts: 0, calls: 0, failed: 0, agents: 0, events: 0 };
		for (const ev of ctx.store.events) {
			if (ev.session_id !== sid) continue;
			counts.events++;
			if (!matches(ev)) continue;
			n++;
			const ak = agentKey(ev);
			let box = root;
			let g = null;
			if (ak !== MAIN) {
				g = groups.get(ak);
				if (!g) {
					g = { kind: 'agent', key: 'g:' + ak, seq: ev.seq, aid: ak, start: null, stop: null, kids: [], calls: 0, failed: 0 };
					groups.set(ak, g);
					root.kids.push(g);
					counts.agents++;
				}
				box = g;
			}
			const name = ev.event;
			const d = ev.data && typeof ev.data === 'object' ? ev.data : {};
			if (name === 'SubagentStart' && g) g.start = ev;
			else if (name === 'SubagentStop' && g) g.stop = ev;
			else if (name === 'PreToolUse' || name === 'PostToolUse' || name === 'PostToolUseFailure') {
				const id = ev.tool_use_id || (typeof d.tool_use_id === 'string' ? d.tool_use_id : '');
				let it = id ? calls.get(id) : null;
				if (!it) {
					it = { kind: 'call', key: 'c:' + (id || ev.seq), seq: ev.seq, id, pre: null, post: null, box: g };
					if (id) calls.set(id, it);
					box.kids.push(it);
					counts.calls++;
					if (g) g.calls++;
				}
				if (name === 'PreToolUse') it.pre = ev;
				else it.post = ev;
			} else if (name === 'MessageDisplay') {
				const mid = typeof d.message_id === 'string' ? d.message_id : '';
				let it = mid ? msgs.get(mid) : null;
				if (!it) {
					it = { kind: 'text', key: 'm:' + (mid || ev.seq), seq: ev.seq, parts: [] };
					if (mid) msgs.set(mid, it);
					box.kids.push(it);
				}
				it.parts.push(ev);
			} else if (name === 'UserPromptSubmit') {
				box.kids.push({ kind: 'prompt', key: 'e:' + ev.seq, seq: ev.seq, ev });
				counts.prompts++;
			} else if (name === 'Stop' || name === 'StopFailure') box.kids.push({ kind: 'stop', key: 'e:' + ev.seq, seq: ev.seq, ev });
			else if (name === 'SessionStart' || name === 'SessionEnd') box.kids.push({ kind: 'session', key: 'e:' + ev.seq, seq: ev.seq, ev });
			else if (name === 'PostToolBatch') continue; // the calls are listed already
			else if (name === 'usage' || name === 'StatusLine') continue; // accounting, not the conversation
			else box.kids.push({ kind: 'note', key: 'e:' + ev.seq, seq: ev.seq, ev });
		}
		for (const it of calls.values()) {
			const c = it.id ? ctx.store.calls.get(it.id) : null;
			it.call = c;
			it.status = c ? c.status : it.post ? (it.post.event === 'PostToolUseFailure' ? 'failed' : 'ok') : 'running';
			if (it.status === 'failed' || it.status === 'interrupted') {
				counts.failed++;
				if (it.box) it.box.failed++;
			}
		}
		return { sid, root, n, counts };
	}

	// ------------------------------------------------------------ rendering

	function versionOf(it) {
		switch (it.kind) {
			case 'call':
				return it.status + (it.pre ? it.pre.seq : '') + '/' + (it.post ? it.post.seq : '') + (opened.has(it.key) ? 'o' : '') + (full.has(it.key) ? 'f' : '');
			case 'text':
				return it.parts.length + ':' + it.parts[it.parts.length - 1].seq;
			case 'agent':
				return (it.start ? it.start.seq : '') + '/' + (it.stop ? it.stop.seq : '') + '/' + it.calls + '/' + it.failed + (folded.has(it.key) ? 'f' : '');
			default:
				return String(it.seq) + (it.dup ? 'd' : '');
		}
	}

	function el(tag, cls, text) {
		const e = document.createElement(tag);
		if (cls) e.className = cls;
		if (text !== undefined) e.textContent = text;
		return e;
	}

	function marked(tag, cls, text) {
		const e = el(tag, cls);
		if (fmt.hasMarks(text)) fmt.appendMarked(e, text);
		else e.textContent = text;
		return e;
	}

	function when(ev) {
		const t = el('time', 'cv-time', fmt.fmtTime(ev.ts));
		t.dateTime = ev.ts;
		return t;
	}

	function textOf(it) {
		return it.parts
			.slice()
			.sort((a, b) => (a.data?.index ?? 0) - (b.data?.index ?? 0))
			.map((p) => (typeof p.data?.delta === 'string' ? p.data.delta : ''))
			.join('');
	}

	function outputOf(it) {
		const post = it.post || it.call?.post;
		if (!post) return '';
		const d = post.data || {};
		if (post.event === 'PostToolUseFailure') return typeof d.error === 'string' ? d.error : JSON.stringify(d.error ?? '', null, 2);
		const r = d.tool_response;
		if (typeof r === 'string') return r;
		if (r && typeof r === 'object') {
			if (typeof r.stdout === 'string' || typeof r.stderr === 'string') return [r.stdout, r.stderr].filter((x) => typeof x === 'string' && x).join('\n');
			if (r.file && typeof r.file.content === 'string') return r.file.content;
			if (typeof r.content === 'string') return r.content;
			if (Array.isArray(r.content)) return r.content.map((x) => (x && typeof x.text === 'string' ? x.text : '')).join('\n');
			if (Array.isArray(r.filenames)) return r.filenames.join('\n');
		}
		return r === undefined ? '' : JSON.stringify(r, null, 2);
	}

	function fill(e, it) {
		e.replaceChildren();
		const ev = it.ev || it.pre || it.post || it.start || (it.parts && it.parts[0]) || null;
		switch (it.kind) {
			case 'prompt': {
				const who = el('div', 'cv-who');
				who.append(el('span', 'cv-role', 'You'), ev ? when(ev) : '');
				e.append(who, marked('div', 'cv-body', typeof ev.data?.prompt === 'string' ? ev.data.prompt : ''));
				e.setAttribute('aria-label', 'Prompt');
				break;
			}
			case 'text': {
				const who = el('div', 'cv-who');
				who.append(el('span', 'cv-role', 'Claude'), when(it.parts[0]));
				e.append(who, marked('div', 'cv-body', textOf(it)));
				e.setAttribute('aria-label', 'Claude');
				break;
			}
			case 'stop': {
				const msg = typeof ev.data?.last_assistant_message === 'string' ? ev.data.last_assistant_message : '';
				const who = el('div', 'cv-who');
				const failed = ev.event === 'StopFailure';
				who.append(el('span', 'cv-role', failed ? '✕ Turn failed' : '■ Claude finished'), when(ev));
				e.append(who);
				if (failed) e.append(el('div', 'cv-body', [ev.data?.error_type, ev.data?.error].filter((x) => typeof x === 'string').join(': ')));
				else if (it.dup) e.append(el('div', 'cv-body muted', 'with the message above'));
				else if (msg) e.append(marked('div', 'cv-body', msg));
				e.setAttribute('aria-label', failed ? 'Turn failed' : 'Stop');
				break;
			}
			case 'call':
				fillCall(e, it);
				break;
			case 'agent': {
				const a = ctx.store.sessions.get(model.sid)?.agents.get(it.aid);
				const type = a?.agent_type || it.start?.data?.agent_type || 'subagent';
				const line = el('div', 'cv-line');
				const fold = el('button', 'cv-fold', folded.has(it.key) ? '▸' : '▾');
				fold.type = 'button';
				fold.setAttribute('aria-expanded', folded.has(it.key) ? 'false' : 'true');
				fold.setAttribute('aria-label', (folded.has(it.key) ? 'Unfold' : 'Fold') + ' the ' + type + ' subagent');
				const dur = it.start && it.stop ? fmt.fmtDuration(ctx.parseTs(it.stop.ts) - ctx.parseTs(it.start.ts)) : '';
				const status = it.stop ? 'done' + (dur ? ' in ' + dur : '') : a?.running || (it.start && !it.stop) ? 'running' : '';
				line.append(fold, el('span', 'cv-role', 'Subagent '), el('strong', 'cv-agent-type', type), el('span', 'cv-id', ' ' + fmt.shortId(it.aid)), el('span', 'cv-meta', ' · ' + it.calls + ' call' + (it.calls === 1 ? '' : 's') + (it.failed ? ' · ' + it.failed + ' failed' : '') + (status ? ' · ' + status : '')));
				if (it.start) line.append(when(it.start));
				const kids = el('div', 'cv-kids');
				kids.setAttribute('role', 'group');
				kids.setAttribute('aria-label', type + ' subagent');
				kids.hidden = folded.has(it.key);
				e.append(line, kids);
				const msg = typeof it.stop?.data?.last_assistant_message === 'string' ? it.stop.data.last_assistant_message : '';
				if (msg) {
					const fin = el('div', 'cv-final');
					fin.append(el('span', 'cv-role', '■ ' + type + ' finished: '), marked('span', '', msg));
					fin.hidden = folded.has(it.key);
					e.append(fin);
				}
				e.setAttribute('aria-label', 'Subagent ' + type + ', ' + it.calls + ' calls' + (it.failed ? ', ' + it.failed + ' failed' : ''));
				break;
			}
			case 'session': {
				const d = ev.data || {};
				const what = ev.event === 'SessionStart' ? 'Session started' + (d.source ? ' (' + d.source + ')' : '') + (d.model ? ' · ' + d.model : '') : 'Session ended' + (d.reason ? ' (' + d.reason + ')' : '');
				e.append(el('span', 'cv-rule', what), when(ev));
				break;
			}
			default: {
				const line = el('div', 'cv-line');
				line.append(el('span', 'cv-ev', ev.event), marked('span', 'cv-what', fmt.summary(ev)), when(ev));
				e.append(line);
			}
		}
	}

	function fillCall(e, it) {
		const ev = it.pre || it.post;
		const c = it.call;
		const tool = c?.tool || ev.tool || ev.data?.tool_name || '';
		const st = it.status;
		const icon = st === 'ok' ? '✓' : st === 'running' ? '▸' : '✕';
		const line = el('div', 'cv-line');
		line.append(el('span', 'cv-icon', icon), el('span', 'cv-tool', tool), marked('span', 'cv-what', fmt.callSummary(tool, ev)));
		// The time between the hooks; the tool's own figure too when it
		// tells another story (a replay, a slow hook).
		let dur = c && Number.isFinite(c.duration) ? fmt.fmtDuration(c.duration) : '';
		if (dur && Number.isFinite(c.hookMs) && Math.abs(c.hookMs - c.duration) > Math.max(100, c.duration / 2)) dur += ' (tool: ' + fmt.fmtDuration(c.hookMs) + ')';
		const stText = st === 'running' ? 'running' : st + (dur ? ' · ' + dur : '');
		line.append(el('span', 'cv-status', stText));
		const out = outputOf(it);
		const btn = el('button', 'cv-toggle', opened.has(it.key) ? 'hide output' : st === 'failed' || st === 'interrupted' ? 'error' : 'output');
		btn.type = 'button';
		btn.setAttribute('aria-expanded', opened.has(it.key) ? 'true' : 'false');
		btn.disabled = !out;
		if (!out) btn.textContent = st === 'running' ? 'no result yet' : 'no output';
		line.append(btn, when(ev));
		e.append(line);
		if ((st === 'failed' || st === 'interrupted') && !opened.has(it.key)) {
			const first = out.split('\n').find((l) => l.trim()) || '';
			if (first) e.append(marked('div', 'cv-err', first.length > 200 ? first.slice(0, 200) + '…' : first));
		}
		if (opened.has(it.key) && out) {
			const lines = out.split('\n');
			const whole = full.has(it.key);
			let text = out;
			let more = 0;
			if (!whole && (lines.length > OUT_LINES || out.length > OUT_CHARS)) {
				text = lines.slice(0, OUT_LINES).join('\n').slice(0, OUT_CHARS);
				more = out.length - text.length;
			}
			const pre = marked('pre', 'cv-out' + (st === 'failed' || st === 'interrupted' ? ' bad' : ''), text);
			e.append(pre);
			if (more) {
				const b = el('button', 'cv-more', 'show all (' + fmt.fmtCount(lines.length) + ' lines, ' + fmt.fmtCount(more) + ' more characters)');
				b.type = 'button';
				e.append(b);
			}
		}
		e.dataset.status = st;
		e.setAttribute('aria-label', tool + ' call, ' + stText);
	}

	function create(it) {
		const e = el('article', 'cv-item cv-' + it.kind);
		e.tabIndex = -1;
		e._key = it.key;
		e.dataset.kind = it.kind;
		e.dataset.key = it.key;
		return e;
	}

	// Renders items into container, reusing the elements of the same key.
	function renderList(container, items) {
		const old = new Map();
		for (const c of container.children) if (c._key) old.set(c._key, c);
		let prev = null;
		for (const it of items) {
			let e = old.get(it.key);
			if (e) old.delete(it.key);
			else e = create(it);
			const v = versionOf(it);
			if (e._ver !== v) {
				fill(e, it);
				e._ver = v;
				e._kidsBox = e.querySelector(':scope > .cv-kids');
			}
			e.dataset.seq = it.seq;
			if (it.kind === 'agent' && e._kidsBox) renderList(e._kidsBox, it.kids);
			const want = prev ? prev.nextSibling : container.firstChild;
			if (want !== e) container.insertBefore(e, want);
			prev = e;
		}
		for (const e of old.values()) e.remove();
	}

	// A Stop whose message is the text just shown says so instead of
	// repeating it (Claude Code sends the final text both ways).
	function markDups(items) {
		let lastText = '';
		for (const it of items) {
			if (it.kind === 'text') lastText = textOf(it).trim();
			else if (it.kind === 'stop') {
				const m = typeof it.ev.data?.last_assistant_message === 'string' ? it.ev.data.last_assistant_message.trim() : '';
				it.dup = !!m && m === lastText;
				lastText = '';
			} else if (it.kind === 'agent') markDups(it.kids);
			else if (it.kind !== 'call') lastText = '';
		}
	}

	// Puts the first n items of list in the feed (at least as many as it
	// holds already: a live update redraws what is shown, in one frame).
	function renderUpto(n) {
		upto = Math.min(list.length, Math.max(n, upto));
		renderList(feed, upto < list.length ? list.slice(0, upto) : list);
		feed.setAttribute('aria-busy', upto < list.length ? 'true' : 'false');
		// One item is reachable with Tab: the focused one, else the first.
		const current = feed.querySelectorAll('.cv-item[tabindex="0"]');
		for (let i = 1; i < current.length; i++) current[i].tabIndex = -1;
		if (!current.length && feed.firstElementChild) feed.firstElementChild.tabIndex = 0;
	}

	function render(sid, fresh) {
		const atEnd = scroller.scrollTop > 0 && scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 40;
		model = build(sid);
		markDups(model.root.kids);
		const items = model.root.kids;
		const from = Math.max(0, items.length - limit);
		const more = $('cv-earlier');
		more.hidden = from === 0;
		if (from) more.textContent = 'Show ' + fmt.fmtCount(Math.min(MAX_ITEMS, from)) + ' earlier items (' + fmt.fmtCount(from) + ' not shown)';
		list = from ? items.slice(from) : items;
		if (fresh) upto = 0;
		renderUpto(FIRST_ITEMS);
		const s = ctx.store.sessions.get(sid);
		const c = model.counts;
		$('cv-title').textContent = ctx.sessionLabel(sid);
		$('cv-summary').textContent = (s ? ctx.store.stateOf(s, Date.now()) + ' · ' : '') + c.prompts + ' prompt' + (c.prompts === 1 ? '' : 's') + ' · ' + c.calls + ' tool call' + (c.calls === 1 ? '' : 's') + (c.failed ? ' · ' + c.failed + ' failed' : '') + (c.agents ? ' · ' + c.agents + ' subagent' + (c.agents === 1 ? '' : 's') : '') + (model.n < c.events ? ' · ' + model.n + ' of ' + c.events + ' events match the filters' : '');
		$('cv-none').hidden = model.n > 0;
		if (atEnd && builtKey === filterKey()) scroller.scrollTop = scroller.scrollHeight;
	}

	function renderPick() {
		const ids = state.f.session.size ? [...state.f.session] : ctx.store.sessionList().map((s) => s.session_id);
		const key = ids.join();
		if (pick._key === key) return;
		pick._key = key;
		const ul = $('cv-pick-list');
		ul.replaceChildren(
			...ids.slice(0, 50).map((id) => {
				const li = el('li');
				const b = el('button', 'cv-pick-btn');
				b.type = 'button';
				b.dataset.id = id;
				const s = ctx.store.sessions.get(id);
				b.append(el('strong', '', ctx.sessionLabel(id)), el('span', 'muted', s ? ' · ' + ctx.store.stateOf(s, Date.now()) + ' · ' + fmt.fmtCount(s.events) + ' events · ' + s.calls + ' calls' : ''));
				li.append(b);
				return li;
			}),
		);
		$('cv-pick-msg').textContent = ids.length ? (state.f.session.size > 1 ? 'Several sessions are selected. Which one to read?' : 'Which session to read?') : 'No sessions yet.';
	}

	$('cv-pick-list').addEventListener('click', (e) => {
		const b = e.target.closest('button[data-id]');
		if (b) ctx.selectSession(b.dataset.id, false);
	});
	$('cv-earlier').addEventListener('click', () => {
		limit += MAX_ITEMS;
		ctx.kick();
	});
	$('cv-expand').addEventListener('click', () => {
		if (!model) return;
		const calls = [];
		const walk = (l) => {
			for (const it of l) {
				if (it.kind === 'call') calls.push(it);
				else if (it.kind === 'agent') walk(it.kids);
			}
		};
		walk(model.root.kids);
		const openAll = calls.some((it) => !opened.has(it.key));
		for (const it of calls) {
			if (openAll) opened.add(it.key);
			else opened.delete(it.key);
		}
		$('cv-expand').textContent = openAll ? 'Hide all outputs' : 'Show all outputs';
		builtKey = '';
		ctx.kick();
	});

	// Clicks on the buttons inside items.
	feed.addEventListener('click', (e) => {
		const item = e.target.closest('.cv-item');
		if (!item) return;
		setCurrent(item, false);
		if (e.target.closest('.cv-toggle')) toggle(item);
		else if (e.target.closest('.cv-more')) {
			full.add(item._key);
			rerender();
		} else if (e.target.closest('.cv-fold')) toggle(item);
	});
	feed.addEventListener('dblclick', (e) => {
		const item = e.target.closest('.cv-item');
		if (!item || e.target.closest('button')) return;
		const it = findItem(item._key);
		const ev = it && (it.post || it.pre || it.ev || it.start);
		if (ev) ctx.showDetail(ev, it.call || null);
	});

	function findItem(key) {
		const walk = (l) => {
			for (const it of l) {
				if (it.key === key) return it;
				if (it.kind === 'agent') {
					const r = walk(it.kids);
					if (r) return r;
				}
			}
			return null;
		};
		return model ? walk(model.root.kids) : null;
	}

	function toggle(item) {
		const key = item._key;
		if (item.dataset.kind === 'call') {
			if (item.querySelector('.cv-toggle')?.disabled) return;
			if (opened.has(key)) opened.delete(key);
			else opened.add(key);
		} else if (item.dataset.kind === 'agent') {
			if (folded.has(key)) folded.delete(key);
			else folded.add(key);
		} else return;
		rerender();
		const again = feed.querySelector('.cv-item[data-key="' + CSS.escape(key) + '"]');
		if (again) setCurrent(again, document.activeElement && feed.contains(document.activeElement));
	}

	function rerender() {
		const sid = oneSession();
		if (sid) render(sid, false);
	}

	function setCurrent(item, focus) {
		for (const x of feed.querySelectorAll('.cv-item[tabindex="0"]')) if (x !== item) x.tabIndex = -1;
		item.tabIndex = 0;
		if (focus) item.focus();
	}

	feed.addEventListener('keydown', (e) => {
		if (e.altKey || e.ctrlKey || e.metaKey) return;
		const item = e.target.closest('.cv-item');
		if (!item) return;
		const onItem = e.target === item;
		const all = [...feed.querySelectorAll('.cv-item')].filter((x) => x.offsetParent !== null);
		const i = all.indexOf(item);
		let j = -1;
		switch (e.key) {
			case 'ArrowDown':
			case 'j':
				j = i + 1;
				break;
			case 'ArrowUp':
			case 'k':
				j = i - 1;
				break;
			case 'PageDown':
				j = i + 10;
				break;
			case 'PageUp':
				j = i - 10;
				break;
			case 'Home':
				j = 0;
				break;
			case 'End':
				j = all.length - 1;
				break;
			case 'Enter':
			case ' ':
				if (!onItem) return;
				e.preventDefault();
				if (e.key === 'Enter' && e.shiftKey) {
					const it = findItem(item._key);
					const ev = it && (it.post || it.pre || it.ev || it.start);
					if (ev) ctx.showDetail(ev, it.call || null);
				} else toggle(item);
				return;
			default:
				return;
		}
		if ((e.key === 'j' || e.key === 'k') && !onItem) return;
		e.preventDefault();
		j = Math.max(0, Math.min(all.length - 1, j));
		if (all[j]) {
			setCurrent(all[j], true);
			all[j].scrollIntoView({ block: 'nearest' });
		}
	});

	return {
		id: 'conversation',
		show() {
			shown = true;
			builtKey = '';
			ctx.kick();
		},
		hide() {
			shown = false;
		},
		invalidate() {
			builtKey = '';
			limit = MAX_ITEMS;
		},
		frame(now) {
			if (!shown) return;
			const sid = oneSession();
			pick.hidden = !!sid;
			head.hidden = !sid;
			scroller.hidden = !sid;
			if (!sid) {
				renderPick();
				$('cv-none').hidden = true;
				$('cv-earlier').hidden = true;
				builtKey = '';
				return;
			}
			pick._key = null;
			const key = filterKey();
			if (key === builtKey && builtVersion === ctx.store.version) {
				if (upto < list.length) {
					renderUpto(upto + MORE_ITEMS);
					if (upto < list.length) ctx.kick();
				}
				return;
			}
			if (key === builtKey && now - builtAt < 300) {
				if (upto < list.length) renderUpto(upto + MORE_ITEMS);
				if (!timer)
					timer = setTimeout(() => {
						timer = 0;
						ctx.kick();
					}, 300);
				return;
			}
			const fresh = key !== builtKey;
			render(sid, fresh);
			builtKey = key;
			builtVersion = ctx.store.version;
			builtAt = now;
			if (fresh) scroller.scrollTop = 0;
			if (upto < list.length) ctx.kick();
		},
		// Top-level items not drawn yet (progressive rendering), for the tests.
		pending() {
			return shown && oneSession() ? list.length - upto : 0;
		},
		// The items in document order (nested ones included), for the tests.
		items() {
			return [...feed.querySelectorAll('.cv-item')].map((e) => ({ kind: e.dataset.kind, key: e.dataset.key, seq: Number(e.dataset.seq), status: e.dataset.status || '', depth: e.parentElement.closest('.cv-item') ? 1 : 0, text: e.textContent }));
		},
	};
}
