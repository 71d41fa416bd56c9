// A table that only builds the rows in view (plus a margin), so 5,000 sessions paint as fast as
// 50 and scrolling stays smooth. It is an ARIA grid: the table element holds focus and points at
// the active row with aria-activedescendant, which keeps working when rows scrolled out of view
// are discarded. Keys: arrows / Page Up / Page Down / Home / End move, Space toggles the
// selection, Ctrl/Cmd+A selects all, Enter opens the row.
import { append, clear, h, nextId, type Child } from "../dom";
import type { Selection } from "../store";

export interface Column<T> {
  id: string;
  header: string;
  /** CSS width of the column (table-layout is fixed, so rows never reflow while scrolling). */
  width: string;
  cell: (row: T) => Child;
  className?: string;
  /** Hidden while the table is narrower than this many px, so key columns keep their room. */
  hideBelow?: number;
}

export interface VirtualTableOptions<T> {
  label: string;
  columns: Column<T>[];
  rowKey: (row: T) => string;
  /** Expected row height in px; the real one is measured after the first paint. */
  rowHeight: number;
  emptyText: () => Child;
  selection?: Selection;
  /** Accessible name of a row's checkbox, e.g. "Select Jane Smith". */
  rowLabel?: (row: T) => string;
  rowClass?: (row: T) => string;
  onOpen?: (row: T) => void;
  /** Called after rows were (re)built, e.g. for tests and benchmarks. */
  onPaint?: () => void;
  /** Called after each paint with the rows the officer can see now (none while the table is hidden). */
  onView?: (rows: T[]) => void;
}

const OVERSCAN = 8;

export class VirtualTable<T> {
  readonly el: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly thead: HTMLTableSectionElement;
  private readonly tbody: HTMLTableSectionElement;
  private readonly topSpacer: HTMLTableRowElement;
  private readonly bottomSpacer: HTMLTableRowElement;
  private readonly empty: HTMLElement;
  private readonly headerCheckbox: HTMLInputElement | null = null;
  private readonly colgroup = h("colgroup");
  private visibleColumns: Column<T>[] = [];
  private width = 0;
  private readonly id = nextId("grid");
  private rows: T[] = [];
  private rowHeight: number;
  private measured = false;
  private first = 0;
  private rendered = new Map<number, HTMLTableRowElement>();
  private active = -1;
  private anchor = -1;
  private frame = 0;

  constructor(private readonly opts: VirtualTableOptions<T>) {
    this.rowHeight = opts.rowHeight;
    if (opts.selection) {
      this.headerCheckbox = h("input", {
        type: "checkbox",
        class: "row-check",
        "aria-label": "Select all listed sessions",
        onchange: () => this.toggleAll(),
      });
    }
    this.thead = h("thead");
    const span = opts.columns.length + (opts.selection ? 1 : 0);
    this.topSpacer = h("tr", { class: "vt-spacer", "aria-hidden": "true" }, h("td", { colspan: span }));
    this.bottomSpacer = h("tr", { class: "vt-spacer", "aria-hidden": "true" }, h("td", { colspan: span }));
    this.tbody = h("tbody", null, this.topSpacer, this.bottomSpacer);
    this.table = h(
      "table",
      {
        class: "vt-table",
        role: "grid",
        id: this.id,
        tabindex: 0,
        "aria-label": opts.label,
        "aria-multiselectable": opts.selection ? "true" : null,
        "aria-rowcount": 1,
        onkeydown: (e: KeyboardEvent) => this.onKey(e),
        onfocus: () => {
          if (this.active < 0 && this.rows.length > 0) this.setActive(Math.max(0, this.first), false);
        },
        onclick: (e: MouseEvent) => this.onClick(e),
        ondblclick: (e: MouseEvent) => {
          const i = this.indexOf(e.target);
          if (i >= 0 && opts.onOpen && !(e.target as Element).closest("button,input")) opts.onOpen(this.rows[i]);
        },
      },
      this.colgroup,
      this.thead,
      this.tbody,
    );
    this.scroller = h("div", { class: "vt-scroll" }, this.table);
    // Scroll events come at most once per frame: render right away so fast scrolling never
    // shows a frame of empty rows.
    this.scroller.addEventListener("scroll", () => this.render(), { passive: true });
    this.empty = h("div", { class: "vt-empty", hidden: true });
    this.el = h("div", { class: "vt" }, this.scroller, this.empty);
    this.el.style.setProperty("--row-h", `${this.rowHeight}px`);
    this.layoutColumns(Number.POSITIVE_INFINITY);
    if (typeof ResizeObserver !== "undefined") {
      new ResizeObserver((entries) => {
        const w = entries[entries.length - 1]?.contentRect.width ?? 0;
        if (w > 0 && w !== this.width) {
          this.width = w;
          if (this.layoutColumns(w)) this.invalidate();
        }
        this.schedule();
      }).observe(this.el);
    }
    opts.selection?.subscribe(() => this.syncSelection());
  }

  private col(width: string): HTMLTableColElement {
    const c = h("col");
    c.style.width = width;
    return c;
  }

  /** Picks the columns that fit `width`; true when the set changed (rows must be rebuilt). */
  private layoutColumns(width: number): boolean {
    const visible = this.opts.columns.filter((c) => !c.hideBelow || width >= c.hideBelow);
    if (visible.length === this.visibleColumns.length && visible.every((c, i) => c === this.visibleColumns[i])) return false;
    this.visibleColumns = visible;
    // Share the room of hidden columns among the visible ones.
    const total = visible.reduce((sum, c) => sum + (c.width.endsWith("%") ? parseFloat(c.width) : 0), 0) || 100;
    const headRow = h("tr", { "aria-rowindex": 1 });
    this.colgroup.replaceChildren();
    if (this.headerCheckbox) {
      this.colgroup.appendChild(this.col("3rem"));
      headRow.appendChild(h("th", { scope: "col", class: "col-check" }, this.headerCheckbox));
    }
    for (const c of visible) {
      this.colgroup.appendChild(this.col(c.width.endsWith("%") ? `${(parseFloat(c.width) / total) * 100}%` : c.width));
      headRow.appendChild(h("th", { scope: "col", class: c.className ?? null }, c.header));
    }
    this.thead.replaceChildren(headRow);
    const span = String(visible.length + (this.headerCheckbox ? 1 : 0));
    this.topSpacer.firstElementChild?.setAttribute("colspan", span);
    this.bottomSpacer.firstElementChild?.setAttribute("colspan", span);
    return true;
  }

  getRows(): readonly T[] {
    return this.rows;
  }

  /** Replaces the rows; keeps the scroll position when `keepPosition` (e.g. "Load more"). */
  setRows(rows: T[], keepPosition = false): void {
    this.rows = rows;
    if (!keepPosition) {
      this.scroller.scrollTop = 0;
      this.active = rows.length > 0 ? 0 : -1;
      this.anchor = -1;
    } else if (this.active >= rows.length) {
      this.active = rows.length - 1;
    }
    this.table.setAttribute("aria-rowcount", String(rows.length + 1));
    const empty = rows.length === 0;
    this.scroller.hidden = empty;
    this.empty.hidden = !empty;
    if (empty) {
      clear(this.empty);
      append(this.empty, this.opts.emptyText());
    }
    this.invalidate();
    this.render();
    this.syncSelection();
  }

  /**
   * Row data changed in place (e.g. a recording status): rebuild the rows in view. Reads no
   * layout, so it stays cheap when called every frame during a run.
   */
  refresh(): void {
    if (this.rendered.size === 0) {
      this.schedule();
      return;
    }
    for (const [i, tr] of this.rendered) {
      if (i >= this.rows.length) {
        tr.remove();
        this.rendered.delete(i);
        continue;
      }
      const fresh = this.buildRow(i);
      tr.replaceWith(fresh);
      this.rendered.set(i, fresh);
    }
    this.updateActiveDescendant();
  }

  /**
   * Builds again one column's cells of the rows in view whose key is in `keys`, leaving the rest
   * of each row as it is: a click or focus on it is never lost to a row being replaced.
   */
  refreshCells(columnId: string, keys: ReadonlySet<string>): void {
    const col = this.visibleColumns.findIndex((c) => c.id === columnId);
    if (col < 0) return;
    const column = this.visibleColumns[col];
    const offset = this.opts.selection ? 1 : 0;
    for (const [i, tr] of this.rendered) {
      const row = this.rows[i];
      if (row === undefined || !keys.has(this.opts.rowKey(row))) continue;
      const td = tr.children[col + offset];
      if (!td) continue;
      clear(td);
      append(td, column.cell(row));
    }
  }

  /** Builds the window again from the current size and scroll position (e.g. after being shown). */
  relayout(): void {
    this.invalidate();
    this.render();
  }

  focus(): void {
    this.table.focus();
  }

  private invalidate(): void {
    for (const tr of this.rendered.values()) tr.remove();
    this.rendered.clear();
    this.first = 0;
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  private headerHeight(): number {
    return this.thead.offsetHeight;
  }

  private render(): void {
    const n = this.rows.length;
    if (n === 0) {
      this.topSpacer.hidden = true;
      this.bottomSpacer.hidden = true;
      return;
    }
    const viewport = this.scroller.clientHeight || 600;
    const top = Math.max(0, this.scroller.scrollTop - this.headerHeight());
    const first = Math.max(0, Math.floor(top / this.rowHeight) - OVERSCAN);
    const last = Math.min(n - 1, Math.ceil((top + viewport) / this.rowHeight) + OVERSCAN);
    // Drop rows that left the window, then add the missing ones in order.
    for (const [i, tr] of this.rendered) {
      if (i < first || i > last) {
        tr.remove();
        this.rendered.delete(i);
      }
    }
    let before: Node = this.bottomSpacer;
    for (let i = last; i >= first; i--) {
      let tr = this.rendered.get(i);
      if (!tr) {
        tr = this.buildRow(i);
        this.rendered.set(i, tr);
        this.tbody.insertBefore(tr, before);
      }
      before = tr;
    }
    this.first = first;
    this.topSpacer.hidden = first === 0;
    this.bottomSpacer.hidden = last >= n - 1;
    this.topSpacer.style.height = `${first * this.rowHeight}px`;
    this.bottomSpacer.style.height = `${(n - 1 - last) * this.rowHeight}px`;
    this.updateActiveDescendant();
    if (!this.measured) {
      const sample = this.rendered.get(first);
      const real = sample?.getBoundingClientRect().height ?? 0;
      if (real > 0) {
        this.measured = true;
        if (Math.abs(real - this.rowHeight) > 0.5) {
          this.rowHeight = real;
          this.render();
          return;
        }
      }
    }
    this.opts.onPaint?.();
    if (this.opts.onView && this.scroller.clientHeight > 0) {
      // Strictly the rows in view, without the overscan margin built around them. The sticky
      // header covers the top of the scroller; rows start below it in the content.
      const scrolled = this.scroller.scrollTop;
      const seen = Math.max(0, Math.floor(scrolled / this.rowHeight));
      const end = Math.min(n, Math.ceil((scrolled + this.scroller.clientHeight - this.headerHeight()) / this.rowHeight));
      this.opts.onView(this.rows.slice(seen, Math.max(seen, end)));
    }
  }

  private buildRow(i: number): HTMLTableRowElement {
    const row = this.rows[i];
    const key = this.opts.rowKey(row);
    const sel = this.opts.selection;
    const selected = sel ? sel.has(key) : false;
    const tr = h("tr", {
      id: `${this.id}-r${i}`,
      class: `vt-row${this.opts.rowClass ? ` ${this.opts.rowClass(row)}` : ""}${i === this.active ? " is-active" : ""}`,
      "aria-rowindex": i + 2,
      "aria-selected": sel ? String(selected) : null,
      "data-index": i,
      "data-key": key,
    });
    if (sel) {
      tr.appendChild(
        h(
          "td",
          { class: "col-check" },
          h("input", {
            type: "checkbox",
            class: "row-check",
            tabindex: -1,
            checked: selected,
            "aria-label": this.opts.rowLabel ? this.opts.rowLabel(row) : "Select",
          }),
        ),
      );
    }
    for (const c of this.visibleColumns) {
      tr.appendChild(h("td", { class: c.className ?? null }, c.cell(row)));
    }
    return tr;
  }

  private indexOf(target: EventTarget | null): number {
    const tr = (target as Element | null)?.closest?.("tr.vt-row") as HTMLElement | null;
    return tr ? Number(tr.dataset.index) : -1;
  }

  private onClick(e: MouseEvent): void {
    const i = this.indexOf(e.target);
    if (i < 0) return;
    const target = e.target as Element;
    this.setActive(i, false);
    if (!target.closest("input.row-check")) this.table.focus({ preventScroll: true });
    // Buttons inside cells (the user's name opens the details) do their own thing.
    if (target.closest("button, a")) return;
    if (!this.opts.selection) return;
    const key = this.opts.rowKey(this.rows[i]);
    if (e.shiftKey && this.anchor >= 0) {
      this.selectRange(this.anchor, i);
    } else {
      const box = target.closest<HTMLInputElement>("input.row-check");
      this.opts.selection.toggle(key, box ? box.checked : undefined);
      this.anchor = i;
    }
  }

  private selectRange(a: number, b: number): void {
    const [from, to] = a < b ? [a, b] : [b, a];
    const keys: string[] = [];
    for (let i = from; i <= to; i++) keys.push(this.opts.rowKey(this.rows[i]));
    this.opts.selection?.setMany(keys, true);
  }

  private toggleAll(): void {
    const sel = this.opts.selection;
    if (!sel) return;
    const keys = this.rows.map(this.opts.rowKey);
    const all = keys.length > 0 && keys.every((k) => sel.has(k));
    sel.setMany(keys, !all);
  }

  selectAll(): void {
    this.opts.selection?.setMany(this.rows.map(this.opts.rowKey), true);
  }

  private pageSize(): number {
    return Math.max(1, Math.floor((this.scroller.clientHeight - this.headerHeight()) / this.rowHeight) - 1);
  }

  private onKey(e: KeyboardEvent): void {
    const n = this.rows.length;
    if (n === 0) return;
    const cur = this.active < 0 ? 0 : this.active;
    let next: number;
    switch (e.key) {
      case "ArrowDown":
        next = Math.min(n - 1, cur + 1);
        break;
      case "ArrowUp":
        next = Math.max(0, cur - 1);
        break;
      case "PageDown":
        next = Math.min(n - 1, cur + this.pageSize());
        break;
      case "PageUp":
        next = Math.max(0, cur - this.pageSize());
        break;
      case "Home":
        next = 0;
        break;
      case "End":
        next = n - 1;
        break;
      case " ":
      case "Spacebar":
        if (this.opts.selection && this.active >= 0) {
          e.preventDefault();
          if (e.shiftKey && this.anchor >= 0) this.selectRange(this.anchor, this.active);
          else {
            this.opts.selection.toggle(this.opts.rowKey(this.rows[this.active]));
            this.anchor = this.active;
          }
        }
        return;
      case "Enter":
        if (this.opts.onOpen && this.active >= 0) {
          e.preventDefault();
          this.opts.onOpen(this.rows[this.active]);
        }
        return;
      case "a":
      case "A":
        if ((e.ctrlKey || e.metaKey) && this.opts.selection) {
          e.preventDefault();
          this.selectAll();
        }
        return;
      default:
        return;
    }
    e.preventDefault();
    this.setActive(next, true);
    if (e.shiftKey && this.opts.selection) {
      if (this.anchor < 0) this.anchor = cur;
      this.selectRange(this.anchor, next);
    }
  }

  private setActive(i: number, scroll: boolean): void {
    const old = this.rendered.get(this.active);
    old?.classList.remove("is-active");
    this.active = i;
    if (scroll) this.scrollIntoView(i);
    this.rendered.get(i)?.classList.add("is-active");
    this.updateActiveDescendant();
  }

  private scrollIntoView(i: number): void {
    const head = this.headerHeight();
    const rowTop = i * this.rowHeight;
    const viewTop = this.scroller.scrollTop;
    const viewBottom = viewTop + this.scroller.clientHeight - head;
    if (rowTop < viewTop) this.scroller.scrollTop = rowTop;
    else if (rowTop + this.rowHeight > viewBottom) {
      this.scroller.scrollTop = rowTop + this.rowHeight - (this.scroller.clientHeight - head);
    }
    this.render();
  }

  private updateActiveDescendant(): void {
    const tr = this.rendered.get(this.active);
    if (tr) {
      this.table.setAttribute("aria-activedescendant", tr.id);
      tr.classList.add("is-active");
    } else this.table.removeAttribute("aria-activedescendant");
  }

  private syncSelection(): void {
    const sel = this.opts.selection;
    if (!sel) return;
    for (const tr of this.rendered.values()) {
      const on = sel.has(tr.dataset.key ?? "");
      tr.setAttribute("aria-selected", String(on));
      const box = tr.querySelector<HTMLInputElement>("input.row-check");
      if (box) box.checked = on;
    }
    if (this.headerCheckbox) {
      let count = 0;
      for (const r of this.rows) if (sel.has(this.opts.rowKey(r))) count++;
      this.headerCheckbox.checked = count > 0 && count === this.rows.length;
      this.headerCheckbox.indeterminate = count > 0 && count < this.rows.length;
      this.headerCheckbox.disabled = this.rows.length === 0;
    }
  }
}
