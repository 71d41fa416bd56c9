import type { App } from "../app";
import { h, nextId, replace, spinner } from "../dom";
import { describeError } from "../errors";
import { formatCount, plural } from "../format";
import { parsePastedIds, type ParsedIds } from "../ids";
import * as ipc from "../ipc";
import type { CommandError } from "../ipc";
import { errorView } from "../components/error-view";
import { sessionTable } from "../components/session-table";
import type { VirtualTable } from "../components/virtual-table";
import { Selection } from "../store";
import type { IpcError, SessionRow } from "../types";

const SHOWN_REJECTS = 50;

export class PastePanel {
  readonly el: HTMLElement;
  readonly selection = new Selection();
  readonly table: VirtualTable<SessionRow>;
  private parsed: ParsedIds = { valid: [], duplicates: 0, rejected: [] };
  private timer = 0;
  private token = 0;
  private looked = false;

  private readonly textarea = h("textarea", { rows: 5, spellcheck: "false", autocomplete: "off", class: "paste-box" });
  private readonly summary = h("p", { class: "paste-summary", role: "status", "aria-live": "polite" });
  private readonly details = h("div", { class: "paste-details" });
  private readonly lookup = h("button", { type: "button", class: "btn btn-primary" }, "Look up sessions");
  private readonly clearButton = h("button", { type: "button", class: "btn btn-ghost" }, "Clear");
  private readonly lookupStatus = h("p", { class: "progress-text", role: "status" });
  private readonly problems = h("div", { class: "lookup-problems" });
  private readonly errorSlot = h("div", { class: "error-slot" });

  constructor(
    private readonly app: App,
    openDetail: (row: SessionRow) => void,
  ) {
    this.table = sessionTable("Sessions found from the pasted IDs", this.selection, openDetail, () =>
      h("p", null, this.looked ? "None of the pasted IDs matched a current session." : "Paste session IDs, then look them up."),
    );
    const id = nextId("paste");
    this.textarea.id = id;
    this.textarea.setAttribute("aria-describedby", `${id}-hint`);
    this.textarea.addEventListener("input", () => {
      window.clearTimeout(this.timer);
      this.timer = window.setTimeout(() => this.reparse(), 120);
    });
    this.lookup.addEventListener("click", () => void this.doLookup());
    this.clearButton.addEventListener("click", () => {
      this.textarea.value = "";
      this.reparse();
      this.textarea.focus();
    });
    this.el = h(
      "div",
      { class: "panel-body" },
      h(
        "div",
        { class: "paste-grid" },
        h(
          "div",
          { class: "paste-input" },
          h("label", { for: id }, "Session IDs"),
          h(
            "p",
            { class: "hint", id: `${id}-hint` },
            "Paste IDs from a report, a spreadsheet or an email \u2014 one per line or separated by anything. Headings and repeated IDs are taken care of.",
          ),
          this.textarea,
          h("div", { class: "form-actions" }, this.lookup, this.clearButton, this.lookupStatus),
        ),
        // Focusable because it scrolls when many pieces are reported.
        h("div", { class: "paste-feedback", tabindex: 0, role: "region", "aria-label": "What was found in the pasted text" }, this.summary, this.details),
      ),
      this.errorSlot,
      this.problems,
      this.table.el,
    );
    this.table.setRows([]);
    this.reparse();
  }

  /** Parses now (tests and the Look up button call this to skip the typing delay). */
  reparse(): void {
    window.clearTimeout(this.timer);
    this.parsed = parsePastedIds(this.textarea.value);
    const p = this.parsed;
    // Counts parses, so tests can wait for the debounced one.
    this.summary.dataset.parses = String(Number(this.summary.dataset.parses ?? 0) + 1);
    const n = p.valid.length;
    this.summary.textContent =
      this.textarea.value.trim() === ""
        ? "No session IDs yet."
        : `${plural(n, "valid session ID")}` +
          (p.duplicates ? ` \u00b7 ${plural(p.duplicates, "duplicate")} removed` : "") +
          (p.rejected.length ? ` \u00b7 ${plural(p.rejected.length, "piece")} not recognised` : "");
    this.lookup.textContent = n === 0 ? "Look up sessions" : `Look up ${plural(n, "session")}`;
    this.lookup.setAttribute("aria-disabled", String(n === 0));
    const items = p.rejected.slice(0, SHOWN_REJECTS).map((r) =>
      h("li", null, h("code", { class: "piece" }, r.piece), ` ${r.reason}`),
    );
    replace(
      this.details,
      p.rejected.length
        ? h(
            "div",
            { class: "rejected" },
            h("p", { class: "rejected-title" }, "Not recognised as session IDs (these are skipped):"),
            h("ul", { class: "rejected-list" }, ...items),
            p.rejected.length > SHOWN_REJECTS
              ? h("p", { class: "muted" }, `and ${formatCount(p.rejected.length - SHOWN_REJECTS)} more`)
              : null,
          )
        : null,
    );
  }

  private async doLookup(): Promise<void> {
    this.reparse();
    const ids = this.parsed.valid;
    if (ids.length === 0) {
      this.lookupStatus.textContent = "Paste at least one session ID first.";
      this.textarea.focus();
      return;
    }
    const token = ++this.token;
    this.lookup.setAttribute("aria-disabled", "true");
    this.lookupStatus.replaceChildren(spinner(), `Looking up ${plural(ids.length, "session")}\u2026`);
    this.errorSlot.replaceChildren();
    try {
      const results = await ipc.lookupSessions(ids);
      if (token !== this.token) return;
      this.looked = true;
      const rows: SessionRow[] = [];
      const failed: { id: string; error: IpcError }[] = [];
      for (const r of results) {
        if (r.row) rows.push(this.app.store.upsert(r.row));
        else failed.push({ id: r.id, error: r.error ?? { kind: "unexpected", message: "" } });
      }
      this.app.store.changed();
      this.table.setRows(rows);
      // The officer pasted these to act on them: select everything that was found.
      this.selection.replace(rows.map((r) => r.id));
      this.renderProblems(failed);
      const text = `${plural(rows.length, "session")} found and selected` + (failed.length ? `, ${formatCount(failed.length)} could not be looked up` : "");
      this.lookupStatus.textContent = text;
      this.app.announce(text);
    } catch (err) {
      if (token !== this.token) return;
      this.lookupStatus.textContent = "";
      const e = err as CommandError;
      if (!this.app.handleFatal(e)) {
        this.errorSlot.replaceChildren(errorView(e, { actionLabel: "Try again", onAction: () => void this.doLookup() }));
      }
    } finally {
      if (token === this.token) this.lookup.setAttribute("aria-disabled", String(this.parsed.valid.length === 0));
    }
  }

  private renderProblems(failed: { id: string; error: IpcError }[]): void {
    if (failed.length === 0) {
      this.problems.replaceChildren();
      return;
    }
    const kinds = new Map<string, number>();
    for (const f of failed) kinds.set(f.error.kind, (kinds.get(f.error.kind) ?? 0) + 1);
    this.problems.replaceChildren(
      h(
        "details",
        { class: "callout callout-warning problems", open: true },
        h("summary", { class: "callout-title" }, `${plural(failed.length, "ID")} could not be looked up`),
        h(
          "ul",
          { class: "problem-list", tabindex: 0, "aria-label": "IDs that could not be looked up" },
          ...failed.map((f) =>
            h("li", { "data-id": f.id, "data-kind": f.error.kind }, h("code", null, f.id), ` \u2014 ${describeError(f.error.kind).title}`),
          ),
        ),
        ...[...kinds.keys()].map((k) => {
          const c = describeError(k);
          return h("p", { class: "callout-text" }, h("strong", null, `${c.title}: `), c.advice);
        }),
      ),
    );
  }
}
