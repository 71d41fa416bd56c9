import { h, icon, nextId, spinner } from "../dom";
import { formatCount, plural } from "../format";
import * as ipc from "../ipc";
import type { CommandError } from "../ipc";
import { errorView } from "../components/error-view";
import { sessionTable } from "../components/session-table";
import { StatusAsker } from "../components/status-asker";
import type { VirtualTable } from "../components/virtual-table";
import { Selection, type SessionStore } from "../store";
import type { SessionQuery, SessionRow, SessionStateFilter } from "../types";

const STATES: [SessionStateFilter, string][] = [
  ["active", "Active"],
  ["disconnected", "Disconnected"],
  ["connected", "Connected"],
  ["any", "Any state"],
];

/** What the search panel needs from the window around it. */
export interface SearchHost {
  /** Results are merged into the shared session objects, so every view of a session agrees. */
  readonly store: SessionStore;
  /** Reads a short text out to screen-reader users. */
  announce(text: string): void;
  /** Sends the officer back to Connect when the error ended the connection; true if it did. */
  handleFatal(err: CommandError): boolean;
}

export class SearchPanel {
  readonly el: HTMLElement;
  readonly selection = new Selection();
  readonly table: VirtualTable<SessionRow>;
  private rows: SessionRow[] = [];
  private continuation: string | null = null;
  private total: number | null = null;
  private query: SessionQuery = { user: null, machine: null, deliveryGroup: null, state: "active" };
  private token = 0;
  private searched = false;
  private readonly statuses: StatusAsker;

  private readonly user = h("input", {
    type: "search",
    name: "user",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "Name or DOMAIN\\user",
  });
  private readonly machine = h("input", {
    type: "search",
    name: "machine",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "e.g. VDA-FIN-01",
  });
  private readonly group = h("input", { type: "search", name: "deliveryGroup", autocomplete: "off", spellcheck: "false" });
  private readonly state = h(
    "select",
    { name: "state" },
    ...STATES.map(([v, l]) => h("option", { value: v, selected: v === "active" }, l)),
  );
  private readonly submit = h("button", { type: "submit", class: "btn btn-primary" }, icon("search"), "Search");
  private readonly status = h("p", { class: "results-count", role: "status" });
  private readonly errorSlot = h("div", { class: "error-slot" });
  private readonly loadMore = h("button", { type: "button", class: "btn btn-secondary btn-small", hidden: true }, "Load more");
  private readonly refreshButton = h("button", { type: "button", class: "btn btn-ghost btn-small" }, icon("refresh"), "Refresh");

  constructor(
    private readonly app: SearchHost,
    openDetail: (row: SessionRow) => void,
  ) {
    this.table = sessionTable(
      "Search results",
      this.selection,
      openDetail,
      () => this.emptyText(),
      (rows) => this.statuses.view(rows),
    );
    this.statuses = new StatusAsker(app, this.selection, {
      rows: () => this.rows,
      repaint: (ids) => this.table.refreshCells("recording", ids),
    });
    const labelled = (label: string, control: HTMLInputElement | HTMLSelectElement) => {
      const id = nextId("q");
      control.id = id;
      return h("div", { class: "field field-compact" }, h("label", { for: id }, label), control);
    };
    const form = h(
      "form",
      { class: "search-form", role: "search", "aria-label": "Find sessions" },
      labelled("User", this.user),
      labelled("Machine", this.machine),
      labelled("Delivery group", this.group),
      labelled("State", this.state),
      h("div", { class: "search-submit" }, this.submit),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.search(false);
    });
    this.loadMore.addEventListener("click", () => void this.search(true));
    this.refreshButton.addEventListener("click", () => void this.search(false, true));
    this.el = h(
      "div",
      { class: "panel-body" },
      form,
      this.errorSlot,
      h("div", { class: "results-head" }, this.status, h("div", { class: "results-tools" }, this.refreshButton)),
      this.table.el,
      h("div", { class: "results-foot" }, this.loadMore),
    );
    this.table.setRows([]);
  }

  private emptyText() {
    if (!this.searched) return h("p", null, "Search to list sessions.");
    return h(
      "div",
      null,
      h("p", { class: "empty-title" }, "No sessions match this search."),
      h("p", { class: "muted" }, "Check the spelling, search with part of a name, or choose \u201cAny state\u201d."),
    );
  }

  private readQuery(): SessionQuery {
    const v = (i: HTMLInputElement) => i.value.trim() || null;
    return { user: v(this.user), machine: v(this.machine), deliveryGroup: v(this.group), state: this.state.value as SessionStateFilter };
  }

  /** `more` appends the next page; `refresh` re-runs the last search keeping the selection. */
  async search(more: boolean, refresh = false): Promise<void> {
    if (more && !this.continuation) return;
    if (!more && !refresh) this.query = this.readQuery();
    const token = ++this.token;
    this.setLoading(true, more);
    this.errorSlot.replaceChildren();
    try {
      const page = await ipc.searchSessions(this.query, more ? this.continuation : null);
      if (token !== this.token) return;
      this.searched = true;
      const fresh = page.items.map((r) => this.app.store.upsert(r));
      this.app.store.changed();
      if (more) {
        const have = new Set(this.rows.map((r) => r.id));
        this.rows = this.rows.concat(fresh.filter((r) => !have.has(r.id)));
      } else {
        this.rows = fresh;
        this.statuses.reset();
      }
      // Citrix is asked about recording only for the rows the officer sees or selects.
      this.statuses.listed(fresh);
      this.continuation = page.continuation;
      this.total = page.totalItems;
      // Lets the benchmark time "results in hand" to "table painted".
      performance.mark("rd:rows-received");
      this.table.setRows(this.rows, more);
      if (!more) {
        if (refresh) this.selection.retain(new Set(this.rows.map((r) => r.id)));
        else this.selection.clear();
      }
      this.setLoading(false);
      this.app.announce(this.countText());
    } catch (err) {
      if (token !== this.token) return;
      this.setLoading(false);
      const e = err as CommandError;
      if (this.app.handleFatal(e)) return;
      this.errorSlot.replaceChildren(errorView(e, { actionLabel: "Try again", onAction: () => void this.search(more, true) }));
    }
  }

  private countText(): string {
    const n = this.rows.length;
    if (n === 0) return "No sessions found";
    if (this.total !== null && this.total > n) return `Showing ${formatCount(n)} of ${plural(this.total, "session")}`;
    if (this.continuation) return `Showing the first ${plural(n, "session")}`;
    return `${plural(n, "session")} found`;
  }

  private setLoading(on: boolean, more = false): void {
    this.submit.disabled = on;
    this.refreshButton.disabled = on;
    this.loadMore.disabled = on;
    this.table.el.setAttribute("aria-busy", String(on));
    if (on) {
      this.status.replaceChildren(spinner(), more ? "Loading more sessions\u2026" : "Searching\u2026");
    } else {
      this.status.textContent = this.searched ? this.countText() : "";
    }
    this.loadMore.hidden = on ? this.loadMore.hidden : !this.continuation;
    this.loadMore.textContent =
      this.total !== null ? `Load more (${formatCount(Math.max(0, this.total - this.rows.length))} left)` : "Load more";
  }
}
