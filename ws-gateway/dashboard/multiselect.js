// multiselect.js: a filter that takes several values at once.
//
// A button that names the filter and what it holds ("Tool: Bash, Read") and
// opens a small panel of checkboxes, with a box to narrow a long list and a
// button to clear.  Real checkboxes, so the keyboard and screen readers work
// as they do with any form: Tab, Space; the arrow keys also move between
// the boxes, Esc closes and gives the focus back to the button.  The owner
// hears of every tick (onChange(values, first)); first is true for the
// first change since the panel opened, so that one visit to a filter can
// make one entry in the browser's history.  Options
// come from the owner (setOptions), and values the user picked that are not
// (or not yet) among them stay listed, so that a filter restored from the
// address can be seen and undone before its events have arrived.

const SEARCH_MIN = 8; // options before the panel gets a box to narrow them

export class MultiSelect {
	// root: an empty element (its id names the filter); opts: label,
	// onChange(Set, first), describe(value) -> label for a value not in the
	// options.
	constructor(root, opts) {
		this.root = root;
		this.o = opts;
		this.value = new Set();
		this.options = []; // [value, label, title]
		this.key = null;
		this.changes = 0; // since the panel opened
		root.classList.add('ms');
		const id = root.id;
		this.btn = el('button', 'ms-btn');
		this.btn.type = 'button';
		this.btn.setAttribute('aria-haspopup', 'true');
		this.btn.setAttribute('aria-expanded', 'false');
		this.btn.setAttribute('aria-controls', id + '-pop');
		this.btnLabel = el('span', 'ms-label');
		this.btnLabel.textContent = opts.label;
		this.btnValue = el('span', 'ms-value');
		this.btn.append(this.btnLabel, this.btnValue);
		this.pop = el('div', 'ms-pop');
		this.pop.id = id + '-pop';
		this.pop.hidden = true;
		this.pop.setAttribute('role', 'group');
		this.pop.setAttribute('aria-label', opts.label + ' filter');
		const head = el('div', 'ms-head');
		this.search = el('input', 'ms-search');
		this.search.type = 'search';
		this.search.placeholder = 'narrow the list';
		this.search.setAttribute('aria-label', 'narrow the ' + opts.label.toLowerCase() + ' list');
		this.search.spellcheck = false;
		this.clear = el('button', 'ms-clear');
		this.clear.type = 'button';
		this.clear.textContent = 'Clear';
		head.append(this.search, this.clear);
		this.list = el('ul', 'ms-list');
		this.none = el('p', 'ms-none muted');
		this.none.textContent = 'nothing seen yet';
		this.pop.append(head, this.list, this.none);
		root.append(this.btn, this.pop);

		this.btn.addEventListener('click', () => (this.pop.hidden ? this.open() : this.close(false)));
		this.btn.addEventListener('keydown', (e) => {
			if (e.key === 'ArrowDown' && this.pop.hidden) {
				e.preventDefault();
				this.open();
			}
		});
		this.list.addEventListener('change', (e) => {
			const cb = e.target;
			if (!(cb instanceof HTMLInputElement)) return;
			const v = new Set(this.value);
			if (cb.checked) v.add(cb.value);
			else v.delete(cb.value);
			this.set(v);
			this.o.onChange(new Set(v), this.changes++ === 0);
		});
		this.clear.addEventListener('click', () => {
			if (!this.value.size) return;
			this.set(new Set());
			this.o.onChange(new Set(), this.changes++ === 0);
		});
		this.search.addEventListener('input', () => this.narrow());
		this.pop.addEventListener('keydown', (e) => {
			if (e.key === 'Escape') {
				e.preventDefault();
				e.stopPropagation();
				this.close(true);
			} else if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && e.target !== this.search) {
				e.preventDefault();
				this.step(e.key === 'ArrowDown' ? 1 : -1);
			} else if (e.key === 'ArrowDown' && e.target === this.search) {
				e.preventDefault();
				this.step(1);
			}
		});
		root.addEventListener('focusout', (e) => {
			if (!this.pop.hidden && !root.contains(e.relatedTarget)) this.close(false);
		});
		document.addEventListener('pointerdown', (e) => {
			if (!this.pop.hidden && !root.contains(e.target)) this.close(false);
		});
	}

	open() {
		this.changes = 0;
		this.render();
		this.pop.hidden = false;
		this.btn.setAttribute('aria-expanded', 'true');
		const showSearch = this.options.length >= SEARCH_MIN;
		this.search.hidden = !showSearch;
		if (!showSearch) this.search.value = '';
		this.narrow();
		const first = showSearch ? this.search : this.list.querySelector('input');
		(first || this.clear).focus();
	}

	close(refocus) {
		if (this.pop.hidden) return;
		this.pop.hidden = true;
		this.btn.setAttribute('aria-expanded', 'false');
		if (refocus) this.btn.focus();
	}

	// Moves the focus to the next (or previous) visible checkbox.
	step(d) {
		const boxes = [...this.list.querySelectorAll('li:not([hidden]) input')];
		if (!boxes.length) return;
		const i = boxes.indexOf(document.activeElement);
		const j = i < 0 ? (d > 0 ? 0 : boxes.length - 1) : Math.max(0, Math.min(boxes.length - 1, i + d));
		boxes[j].focus();
	}

	narrow() {
		const q = this.search.hidden ? '' : this.search.value.trim().toLowerCase();
		for (const li of this.list.children) li.hidden = !!q && !li.textContent.toLowerCase().includes(q);
	}

	// pairs: [value, label, title?].  Cheap when nothing changed.
	setOptions(pairs) {
		const key = pairs.map((p) => p[0] + '\u0001' + p[1]).join('\u0002');
		if (key === this.key) return;
		this.key = key;
		this.options = pairs;
		this.set(this.value); // the labels may have changed
		if (!this.pop.hidden) this.render();
	}

	set(v) {
		this.value = new Set(v);
		const vals = [...this.value];
		const names = vals.map((x) => this.labelOf(x));
		this.btnValue.textContent = vals.length === 0 ? 'all' : names.length <= 2 ? names.join(', ') : names[0] + ' +' + (names.length - 1);
		this.root.classList.toggle('active', vals.length > 0);
		this.btn.title = vals.length ? this.o.label + ': ' + names.join(', ') : this.o.label + ': all';
		if (!this.pop.hidden) for (const cb of this.list.querySelectorAll('input')) cb.checked = this.value.has(cb.value);
	}

	labelOf(v) {
		const o = this.options.find((p) => p[0] === v);
		return o ? o[1] : this.o.describe ? this.o.describe(v) : v;
	}

	// Rows are keyed by value: those already there stay (a box under the
	// pointer is not replaced when more options arrive while it is open).
	render() {
		const all = this.options.slice();
		for (const v of this.value) if (!all.some((p) => p[0] === v)) all.push([v, this.labelOf(v), v]);
		const old = new Map();
		for (const li of this.list.children) old.set(li._value, li);
		let prev = null;
		for (const [v, label, title] of all) {
			let li = old.get(v);
			if (li) old.delete(v);
			else {
				li = document.createElement('li');
				li._value = v;
				const lab = document.createElement('label');
				const cb = document.createElement('input');
				cb.type = 'checkbox';
				cb.value = v;
				lab.append(cb, document.createElement('span'));
				li.append(lab);
			}
			const lab = li.firstChild;
			if (lab.lastChild.textContent !== label) lab.lastChild.textContent = label;
			if (title) lab.title = title;
			else lab.removeAttribute('title');
			lab.firstChild.checked = this.value.has(v);
			const want = prev ? prev.nextSibling : this.list.firstChild;
			if (want !== li) this.list.insertBefore(li, want);
			prev = li;
		}
		for (const li of old.values()) li.remove();
		this.none.hidden = all.length > 0;
		this.narrow();
	}
}

function el(tag, cls) {
	const e = document.createElement(tag);
	e.className = cls;
	return e;
}
