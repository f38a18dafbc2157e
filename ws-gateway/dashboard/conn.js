// conn.js: the access token and the Socket.IO connection.
//
// The token comes from the address (?token= or #token=, as ws-gateway prints
// the dashboard URL), else from sessionStorage, else from the user.  It is
// kept for this tab's session only and taken out of the address bar at once.
// The connection is the official socket.io-client (window.io, the pinned
// browser build in vendor/, shipped with the dashboard): it reconnects with
// back-off by itself and, with connection-state recovery, resumes from the
// last offset it saw.  Only its public API is used: `auth` as a function
// decides, at each CONNECT, whether the client asks for recovery.

const KEY = 'hookwire.token';

// Returns the token from the URL (and removes it from the address bar) or
// from sessionStorage, or null.
export function takeToken() {
	const url = new URL(location.href);
	let token = url.searchParams.get('token');
	const hash = new URLSearchParams(url.hash.replace(/^#/, ''));
	if (!token) token = hash.get('token');
	if (url.searchParams.has('token') || hash.has('token')) {
		url.searchParams.delete('token');
		hash.delete('token');
		const h = hash.toString();
		history.replaceState(history.state, '', url.pathname + url.search + (h ? '#' + h : ''));
	}
	if (token) {
		try {
			sessionStorage.setItem(KEY, token);
		} catch (e) {
			/* storage disabled: keep it in memory only */
		}
		return token;
	}
	try {
		return sessionStorage.getItem(KEY);
	} catch (e) {
		return null;
	}
}

export function saveToken(token) {
	try {
		sessionStorage.setItem(KEY, token);
	} catch (e) {
		/* ignore */
	}
}

export function forgetToken() {
	try {
		sessionStorage.removeItem(KEY);
	} catch (e) {
		/* ignore */
	}
}

// Opens the connection.  h: callbacks
//   state(name, detail)   connecting | connected | recovered | reconnecting | refused | offline
//   event(ev)             one canonical event
//   sessions(list), stats(obj), gap({from, to})
//   resync(socket)        connected without recovery: fetch what is missing
export function connect(token, h) {
	if (typeof window.io !== 'function') {
		h.state('offline', 'the Socket.IO client script did not load');
		return null;
	}
	// false: the next CONNECT asks for no recovery (pid and offset null
	// override the ones the client adds), so the server starts afresh.
	let recover = true;
	const socket = window.io({
		path: '/socket.io/',
		auth: (cb) => cb(recover ? { token } : { token, pid: null, offset: null }),
		// WebSocket first (the gateway is on this machine), polling if it fails.
		transports: ['websocket', 'polling'],
		tryAllTransports: true,
		reconnectionDelay: 500,
		reconnectionDelayMax: 5000,
		randomizationFactor: 0.3,
	});
	let attempts = 0;
	let connectedAt = 0;
	let quickDrops = 0;
	h.state('connecting', '');
	socket.on('connect', () => {
		const rec = socket.recovered;
		recover = true;
		attempts = 0;
		connectedAt = Date.now();
		h.state(rec ? 'recovered' : 'connected', socket.io.engine?.transport?.name || '');
		if (!rec) h.resync(socket);
	});
	socket.on('connect_error', (err) => {
		if (!socket.active) {
			// The server refused the CONNECT (bad token): no retry.
			h.state('refused', err && err.message ? err.message : 'refused');
		} else {
			h.state('reconnecting', 'attempt ' + (attempts || 1) + nextDelay(socket));
		}
	});
	socket.on('disconnect', (reason) => {
		// A connection that keeps dropping right after it resumed is being
		// flooded with a backlog it cannot take: give up recovery by offset
		// and catch up with get_history instead, one page at a time.
		if (connectedAt && Date.now() - connectedAt < 5000) quickDrops++;
		else quickDrops = 0;
		connectedAt = 0;
		if (quickDrops >= 3 && recover) {
			recover = false;
			quickDrops = 0;
			reason += '; catching up with history instead of recovery';
		}
		if (socket.active) h.state('reconnecting', reason);
		else h.state('offline', reason);
	});
	socket.io.on('reconnect_attempt', (n) => {
		attempts = n;
		h.state('reconnecting', 'attempt ' + n + nextDelay(socket));
	});
	socket.io.engine?.on?.('upgrade', () => h.transport?.(socket.io.engine.transport.name));
	socket.io.on('open', () => {
		socket.io.engine.on('upgrade', () => h.transport?.(socket.io.engine.transport.name));
	});
	socket.on('claude_event', (ev) => h.event(ev));
	socket.on('sessions', (list) => h.sessions(list));
	socket.on('stats', (st) => h.stats(st));
	socket.on('gap', (g) => h.gap(g));
	return socket;
}

function nextDelay(socket) {
	const b = socket.io && socket.io.backoff;
	if (!b) return '';
	// The manager's back-off: min * 2^attempts, capped (jitter aside).
	const ms = Math.min(b.ms * Math.pow(b.factor || 2, Math.max(0, b.attempts - 1)), b.max);
	return ', back-off ' + (ms >= 1000 ? (ms / 1000).toFixed(1) + ' s' : Math.round(ms) + ' ms');
}

// get_history as a promise (rejects after timeoutMs).
export function getHistory(socket, args, timeoutMs = 15000) {
	return new Promise((resolve, reject) => {
		socket.timeout(timeoutMs).emit('get_history', args, (err, events) => {
			if (err) reject(err);
			else resolve(Array.isArray(events) ? events : []);
		});
	});
}

// /api/events as an array of events (args: {session, since, limit}; rejects
// with the gateway's reason, "busy" for a 503, or after timeoutMs).  The
// gateway compresses the answer (compress=gzip) and the page inflates it
// (DecompressionStream): the browser's network process, which moves a page
// only some 20 MB a second on a small machine, carries a tenth of the bytes.
// (Inflating on a worker thread instead was slower here: two cores, shared
// with the gateway and the browser's other processes.)  An old session
// loads through here.
export async function fetchEvents(token, args, timeoutMs = 30000, onLastSeq = null) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(args)) if (v !== undefined && v !== null) q.set(k, String(v));
	const inflate = typeof DecompressionStream === 'function';
	if (inflate) q.set('compress', 'gzip');
	const res = await fetch('/api/events?' + q, { headers: { Authorization: 'Bearer ' + token }, cache: 'no-store', signal: AbortSignal.timeout(timeoutMs) });
	if (!res.ok) throw new Error(res.status === 503 ? 'busy' : (await res.text()).trim() || 'HTTP ' + res.status);
	// the seq of the answer's last event, before its body is in: a caller
	// paging on with since= asks for the next page now
	const lastSeq = Number(res.headers.get('Hookwire-Last-Seq'));
	if (onLastSeq && Number.isSafeInteger(lastSeq) && lastSeq > 0) onLastSeq(lastSeq);
	// the Content-Type says whether it came compressed (not without a store)
	const packed = inflate && (res.headers.get('Content-Type') || '').startsWith('application/gzip');
	const text = packed ? await new Response(res.body.pipeThrough(new DecompressionStream('gzip'))).text() : await res.text();
	const evs = [];
	for (let i = 0, j; i < text.length; i = j + 1) {
		j = text.indexOf('\n', i);
		if (j < 0) j = text.length;
		if (j > i) evs.push(JSON.parse(text.slice(i, j)));
	}
	return evs;
}

// Any acknowledged event as a promise: the ack's first argument (rejects
// after timeoutMs, or when not connected).  history.js's history_sessions
// and search go through here.
export function ask(socket, name, args, timeoutMs = 15000) {
	return new Promise((resolve, reject) => {
		if (!socket || !socket.connected) {
			reject(new Error('not connected'));
			return;
		}
		socket.timeout(timeoutMs).emit(name, args, (err, answer) => {
			if (err) reject(err);
			else resolve(answer);
		});
	});
}
