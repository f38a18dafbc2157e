// fmt.js: turning events into text for the views.
//
// Event data is untrusted (it is whatever a hook sent, scrubbed): every
// function here returns plain strings or DOM nodes built with textContent,
// never HTML.

const REDACTED = /\[REDACTED:[^\]]*\]/;
const TRUNCATED = /\[hookwire: truncated \d+ bytes\]/;
const MARKS = /(\[REDACTED:[^\]]*\]|\[hookwire: truncated \d+ bytes\])/;

function s(v) {
	return typeof v === 'string' ? v : '';
}

function oneLine(t, max = 300) {
	t = t.replace(/\s+/g, ' ').trim();
	return t.length > max ? t.slice(0, max) + '…' : t;
}

// Path relative to the session's cwd when it is inside it.
export function shortPath(p, cwd) {
	if (typeof p !== 'string') return '';
	if (cwd && p.startsWith(cwd + '/')) return p.slice(cwd.length + 1);
	return p;
}

// What a tool call is about, in one line.
export function toolSummary(tool, input, cwd) {
	if (!input || typeof input !== 'object') return '';
	switch (tool) {
		case 'Bash':
		case 'PowerShell':
			return s(input.command) || s(input.description);
		case 'Read':
		case 'Write':
		case 'Edit':
		case 'MultiEdit':
		case 'NotebookEdit':
		case 'NotebookRead':
			return shortPath(s(input.file_path) || s(input.notebook_path), cwd);
		case 'Grep':
			return (s(input.pattern) + (input.path ? ' in ' + shortPath(s(input.path), cwd) : '') + (input.glob ? ' ' + s(input.glob) : '')).trim();
		case 'Glob':
			return (s(input.pattern) + (input.path ? ' in ' + shortPath(s(input.path), cwd) : '')).trim();
		case 'WebFetch':
			return s(input.url);
		case 'WebSearch':
			return s(input.query);
		case 'Agent':
		case 'Task':
			return (s(input.subagent_type) ? input.subagent_type + ': ' : '') + (s(input.description) || s(input.prompt));
		default:
			for (const v of Object.values(input)) if (typeof v === 'string' && v) return v;
			return '';
	}
}

// What a call's event is about, with paths relative to the session's
// working directory, else to its project.
export function callSummary(tool, ev) {
	const t = toolSummary(tool, ev && ev.data ? ev.data.tool_input : null, s(ev && ev.cwd));
	const p = s(ev && ev.project);
	return p && t.startsWith(p + '/') ? t.slice(p.length + 1) : t;
}

// The one-line summary shown in the stream.
export function summary(ev) {
	const d = ev.data && typeof ev.data === 'object' ? ev.data : {};
	const tool = s(ev.tool) || s(d.tool_name);
	const cwd = s(ev.cwd) || s(d.cwd);
	let t;
	switch (ev.event) {
		case 'PreToolUse':
		case 'PostToolUse':
		case 'PermissionRequest':
		case 'PermissionDenied':
			t = toolSummary(tool, d.tool_input, cwd);
			break;
		case 'PostToolUseFailure':
			t = s(d.error).split('\n')[0] + ' — ' + toolSummary(tool, d.tool_input, cwd);
			break;
		case 'UserPromptSubmit':
			t = s(d.prompt);
			break;
		case 'SessionStart':
			t = [s(d.source), s(d.model)].filter(Boolean).join(' · ');
			break;
		case 'SessionEnd':
			t = s(d.reason);
			break;
		case 'Notification':
			t = (d.notification_type ? d.notification_type + ': ' : '') + s(d.message);
			break;
		case 'Stop':
		case 'SubagentStop':
			t = s(d.last_assistant_message);
			break;
		case 'SubagentStart':
			t = s(d.agent_type);
			break;
		case 'PreCompact':
		case 'PostCompact':
			t = s(d.trigger);
			break;
		case 'MessageDisplay':
			t = s(d.delta);
			break;
		case 'PostToolBatch':
			// One batch, one or more calls: 'Read src/a.ts · Bash npm test'.
			t = (Array.isArray(d.tool_calls) ? d.tool_calls : [])
				.map((c) => (c && typeof c === 'object' ? [s(c.tool_name), toolSummary(s(c.tool_name), c.tool_input, cwd)].filter(Boolean).join(' ') : ''))
				.join(' · ');
			break;
		case 'InstructionsLoaded':
			t = [shortPath(s(d.file_path), cwd), s(d.load_reason)].filter(Boolean).join(' · ');
			break;
		case 'CwdChanged':
			t = s(d.new_cwd) ? (s(d.old_cwd) ? s(d.old_cwd) + ' → ' : '') + s(d.new_cwd) : '';
			break;
		case 'hookwire.input_error':
			t = s(d.reason) || s(d.error);
			break;
		case 'usage':
			// One assistant message: 'claude-sonnet-4-5 · 1.2k in · 340 out · 12k cached · $0.0123'.
			t = [
				s(d.model),
				fmtTokens(d.input_tokens) + ' in',
				fmtTokens(d.output_tokens) + ' out',
				d.cache_read_input_tokens ? fmtTokens(d.cache_read_input_tokens) + ' cached' : '',
				d.cache_creation_input_tokens ? fmtTokens(d.cache_creation_input_tokens) + ' written' : '',
				fmtCost(d.cost_usd),
			]
				.filter(Boolean)
				.join(' · ');
			break;
		case 'StatusLine': {
			// Claude Code's own figures: model, its cost, the context window.
			const cw = d.context_window && typeof d.context_window === 'object' ? d.context_window : {};
			t = [
				d.model && typeof d.model === 'object' ? s(d.model.display_name) || s(d.model.id) : '',
				d.cost && typeof d.cost === 'object' ? fmtCost(d.cost.total_cost_usd) + ' (Claude Code)' : '',
				Number.isFinite(cw.used_percentage) ? 'context ' + cw.used_percentage + '%' : '',
			]
				.filter(Boolean)
				.join(' · ');
			break;
		}
		default:
			t = s(d.message) || s(d.prompt) || s(d.reason) || '';
	}
	return oneLine(t || '');
}

// 1234 -> '1.2k', 1234567 -> '1.2M'.
export function fmtTokens(n) {
	if (!Number.isFinite(n)) return '?';
	if (n < 1000) return String(n);
	if (n < 1e6) return (n / 1e3).toFixed(n < 1e4 ? 1 : 0) + 'k';
	return (n / 1e6).toFixed(n < 1e7 ? 1 : 0) + 'M';
}

// A cost in USD; null or missing: the model is not in the price table.
export function fmtCost(usd) {
	if (usd === null || usd === undefined || !Number.isFinite(usd)) return 'cost unknown';
	if (usd === 0) return '$0';
	return '$' + (usd < 0.01 ? usd.toFixed(4) : usd < 10 ? usd.toFixed(3) : usd.toFixed(2));
}

export function shortId(id) {
	return typeof id === 'string' && id.length > 8 ? id.slice(0, 8) : s(id);
}

export function fmtTime(ts) {
	// "2026-11-28T20:25:03.123456Z" -> "20:25:03.123"
	if (typeof ts !== 'string' || ts.length < 19) return s(ts);
	return ts.slice(11, 23);
}

export function fmtDate(ts) {
	if (typeof ts !== 'string' || ts.length < 16) return s(ts);
	const d = new Date(ts);
	if (Number.isNaN(d.getTime())) return ts;
	const today = new Date();
	const hm = d.toTimeString().slice(0, 5);
	return d.toDateString() === today.toDateString() ? hm : d.toISOString().slice(0, 10) + ' ' + hm;
}

export function fmtDuration(ms) {
	if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
	if (ms < 1) return ms.toFixed(2) + ' ms';
	if (ms < 1000) return Math.round(ms) + ' ms';
	if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + ' s';
	const m = Math.floor(ms / 60000);
	return m + ' min ' + Math.round((ms % 60000) / 1000) + ' s';
}

export function fmtCount(n) {
	if (typeof n !== 'number') return s(n);
	// toLocaleString is slow enough to show in a profile at 60 frames/s.
	const t = String(Math.trunc(n));
	return t.length <= 3 ? t : t.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function hasMarks(text) {
	return REDACTED.test(text) || TRUNCATED.test(text);
}

// Appends text to el, wrapping scrub and truncation markers in <mark>s.
export function appendMarked(el, text) {
	const parts = text.split(MARKS);
	for (let i = 0; i < parts.length; i++) {
		if (!parts[i]) continue;
		if (i % 2 === 1) {
			const m = document.createElement('mark');
			m.className = parts[i].startsWith('[REDACTED') ? 'redacted' : 'truncated';
			m.title = parts[i].startsWith('[REDACTED') ? 'scrubbed by the router' : 'cut to the field limit';
			m.textContent = parts[i];
			el.append(m);
		} else {
			el.append(document.createTextNode(parts[i]));
		}
	}
}

// Builds a pretty-printed JSON tree as DOM nodes (strings with markers
// highlighted).  Counts redactions and truncations into stat.
export function jsonNode(value, stat = { redacted: 0, truncated: 0 }) {
	const pre = document.createElement('pre');
	pre.className = 'json';
	const walk = (v, indent) => {
		if (v === null || typeof v !== 'object') {
			const span = document.createElement('span');
			if (typeof v === 'string') {
				span.className = 'j-str';
				const q = JSON.stringify(v);
				if (hasMarks(v)) {
					const r = v.match(new RegExp(REDACTED.source, 'g'));
					const t = v.match(new RegExp(TRUNCATED.source, 'g'));
					stat.redacted += r ? r.length : 0;
					stat.truncated += t ? t.length : 0;
					appendMarked(span, q);
				} else span.textContent = q;
			} else {
				span.className = typeof v === 'number' ? 'j-num' : 'j-lit';
				span.textContent = String(v);
			}
			pre.append(span);
			return;
		}
		const isArr = Array.isArray(v);
		const keys = isArr ? v.map((_, i) => i) : Object.keys(v);
		if (keys.length === 0) {
			pre.append(isArr ? '[]' : '{}');
			return;
		}
		pre.append(isArr ? '[\n' : '{\n');
		const pad = '  '.repeat(indent + 1);
		keys.forEach((k, i) => {
			pre.append(pad);
			if (!isArr) {
				const ks = document.createElement('span');
				ks.className = 'j-key';
				ks.textContent = JSON.stringify(k);
				pre.append(ks, ': ');
			}
			walk(v[k], indent + 1);
			pre.append(i < keys.length - 1 ? ',\n' : '\n');
		});
		pre.append('  '.repeat(indent) + (isArr ? ']' : '}'));
	};
	walk(value, 0);
	return pre;
}

// Event names get a colour family in the stream.
export function eventClass(name) {
	switch (name) {
		case 'PreToolUse':
			return 'ev-pre';
		case 'PostToolUse':
			return 'ev-post';
		case 'PostToolUseFailure':
		case 'StopFailure':
		case 'PermissionDenied':
		case 'hookwire.input_error':
			return 'ev-fail';
		case 'UserPromptSubmit':
			return 'ev-prompt';
		case 'SessionStart':
		case 'SessionEnd':
			return 'ev-session';
		case 'SubagentStart':
		case 'SubagentStop':
			return 'ev-agent';
		case 'Notification':
			return 'ev-note';
		case 'Stop':
			return 'ev-stop';
		default:
			return 'ev-other';
	}
}
