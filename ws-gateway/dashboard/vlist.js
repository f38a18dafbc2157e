// vlist.js: a virtual list with a fixed row height.
//
// Only the rows on screen (plus a few) exist in the DOM; they are recycled as
// the list scrolls, so 100,000 items cost no more than 40.  The owner supplies
// the items through callbacks and calls update() (at most once per animation
// frame) when they change.  Selection is kept by key, not by index, so it
// survives items arriving above it.  Keyboard: arrows, Page Up/Down, Home,
// End move the selection; Enter re-selects; the list itself is focusable and
// the selected row gets the focus when it is on screen.

const OVERSCAN = 6;

export class VList {
	// opts: rowHeight, count() -> n, item(i) -> item, keyOf(item) -> key,
	// indexOfKey(key) -> i or -1, create() -> row element,
	// render(el, item, i), onSelect(item|null, i), onEnd() (scrolled near the end).
	constructor(root, opts) {
		this.root = root;
		this.o = opts;
		this.rh = opts.rowHeight;
		this.rows = [];
		this.selectedKey = null;
		this.n = 0;
		this.first = -1;
		this.pending = false;
		this.forced = true;
		root.classList.add('vlist');
		if (!root.hasAttribute('tabindex')) root.tabIndex = 0;
		this.spacer = document.createElement('div');
		this.spacer.className = 'vspacer';
		root.append(this.spacer);
		root.addEventListener('scroll', () => this.schedule(), { passive: true });
		root.addEventListener('click', (e) => {
			const row = e.target.closest('.vrow');
			if (!row || row.dataset.index === undefined) return;
			this.selectIndex(Number(row.dataset.index), false);
		});
		root.addEventListener('keydown', (e) => this.key(e));
		this.height = 0; // the viewport's height, from the ResizeObserver
		new ResizeObserver((entries) => {
			this.height = entries[entries.length - 1].contentRect.height;
			this.schedule(true);
		}).observe(root);
	}

	schedule(force) {
		if (force) this.forced = true;
		if (this.pending) return;
		this.pending = true;
		requestAnimationFrame(() => {
			this.pending = false;
			this.update();
		});
	}

	get pageRows() {
		return Math.max(1, Math.floor((this.height || this.root.clientHeight) / this.rh) - 1);
	}

	// Re-renders the visible rows (cheap: a few dozen elements).
	update() {
		const n = this.o.count();
		// Read before writing, so that this costs at most one layout.
		const h = this.height || this.root.clientHeight || 600;
		const top = Math.max(0, Math.min(this.root.scrollTop, n * this.rh - h));
		if (n !== this.n) {
			this.n = n;
			this.spacer.style.height = n * this.rh + 'px';
		}
		const first = Math.max(0, Math.floor(top / this.rh) - OVERSCAN);
		const last = Math.min(n, Math.ceil((top + h) / this.rh) + OVERSCAN);
		const want = last - first;
		while (this.rows.length < want) {
			const el = this.o.create();
			el.classList.add('vrow');
			el.tabIndex = -1;
			el.style.height = this.rh + 'px';
			this.root.append(el);
			this.rows.push(el);
		}
		const active = document.activeElement;
		const hadFocus = active && active.classList && active.classList.contains('vrow') && this.root.contains(active);
		let selEl = null;
		// Rows keep the item they show while it stays on screen (only their
		// position changes); the rows whose item left take the new items.
		// So when items arrive above, only the new rows are re-rendered.
		const keyOf = this.o.keyOf;
		const keep = new Map();
		for (const el of this.rows) if (el._i >= first && el._i < last && el._key !== undefined) keep.set(el._key, el);
		const used = new Set();
		const todo = [];
		for (let i = first; i < last; i++) {
			const item = this.o.item(i);
			const key = keyOf(item);
			const el = keep.get(key);
			if (el && !used.has(el)) {
				used.add(el);
				this.place(el, item, i, key);
				if (el._sel) selEl = el;
			} else todo.push(i);
		}
		const free = this.rows.filter((el) => !used.has(el));
		for (const i of todo) {
			const el = free.pop();
			const item = this.o.item(i);
			this.place(el, item, i, keyOf(item));
			if (el._sel) selEl = el;
		}
		for (const el of free) {
			if (!el.hidden) el.hidden = true;
			el._i = -1;
			el._key = undefined;
		}
		this.first = first;
		this.forced = false;
		if (hadFocus) (selEl || this.root).focus({ preventScroll: true });
		if (this.o.onEnd && n > 0 && last >= n && top > 0) this.o.onEnd();
	}

	// Shows item (index i) in row el, touching the DOM only where it changed.
	place(el, item, i, key) {
		if (el.hidden) el.hidden = false;
		if (el._i !== i) {
			el._i = i;
			el.style.transform = 'translateY(' + i * this.rh + 'px)';
			el.dataset.index = i;
		}
		el._key = key;
		const sel = this.selectedKey !== null && key === this.selectedKey;
		if (el._sel !== sel) {
			el._sel = sel;
			el.setAttribute('aria-selected', sel ? 'true' : 'false');
		}
		this.o.render(el, item, i);
	}

	selectedIndex() {
		return this.selectedKey === null ? -1 : this.o.indexOfKey(this.selectedKey);
	}

	selectIndex(i, scroll = true) {
		const n = this.o.count();
		if (n === 0) return;
		i = Math.max(0, Math.min(n - 1, i));
		const item = this.o.item(i);
		this.selectedKey = this.o.keyOf(item);
		if (scroll) this.scrollToIndex(i);
		this.o.onSelect(item, i);
		this.update();
		const el = this.rows.find((r) => !r.hidden && Number(r.dataset.index) === i);
		if (el) el.focus({ preventScroll: true });
	}

	clearSelection() {
		this.selectedKey = null;
		this.o.onSelect(null, -1);
		this.schedule(true);
	}

	scrollToIndex(i) {
		const y = i * this.rh;
		const top = this.root.scrollTop;
		const h = this.root.clientHeight;
		if (y < top) this.root.scrollTop = y;
		else if (y + this.rh > top + h) this.root.scrollTop = y + this.rh - h;
	}

	key(e) {
		if (e.altKey || e.ctrlKey || e.metaKey) return;
		const cur = this.selectedIndex();
		let i;
		switch (e.key) {
			case 'ArrowDown':
				i = cur < 0 ? Math.floor(this.root.scrollTop / this.rh) : cur + 1;
				break;
			case 'ArrowUp':
				i = cur < 0 ? Math.floor(this.root.scrollTop / this.rh) : cur - 1;
				break;
			case 'PageDown':
				i = (cur < 0 ? 0 : cur) + this.pageRows;
				break;
			case 'PageUp':
				i = (cur < 0 ? 0 : cur) - this.pageRows;
				break;
			case 'Home':
				i = 0;
				break;
			case 'End':
				i = this.o.count() - 1;
				break;
			case 'Enter':
				if (cur >= 0) i = cur;
				break;
			default:
				return;
		}
		if (i === undefined) return;
		e.preventDefault();
		this.selectIndex(i);
	}
}
