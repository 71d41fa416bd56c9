import { h, nextId, replace, spinner } from "../dom";
import { describeError } from "../errors";
import { formatCount, plural } from "../format";
import { parsePastedIds, type ParsedIds } from "../ids";
import * as ipc from "../ipc";
import type { CommandError } from "../ipc";
import { errorView } from "../components/error-view";
import { sessionTable } from "../components/session-table";
import { StatusAsker } from "../components/status-asker";
import type { VirtualTable } from "../components/virtual-table";
import { Selection, type SessionStore } from "../store";
import type { IpcError, LookupResult, SessionRow } from "../types";

const SHOWN_REJECTS = 50;
/**
 * IDs per look-up call. Each ID costs Citrix one request (the recording status is asked for as
 * rows are seen or selected); in chunks the officer sees the sessions arrive and can cancel
 * between them instead of waiting on one call for thousands of IDs.
 */
export const LOOKUP_CHUNK = 100;

/** What the paste panel needs from the window around it. */
export interface PasteHost {
  /** Sessions found are merged into the shared session objects, so every view of a session agrees. */
  readonly store: SessionStore;
  /** Reads a short text out to screen-reader users. */
  announce(text: string): void;
  /** Sends the officer back to Connect when the error ended the connection; true if it did. */
  handleFatal(err: CommandError): boolean;
}

export class PastePanel {
  readonly el: HTMLElement;
  readonly selection = new Selection();
  readonly table: VirtualTable<SessionRow>;
  private readonly statuses: StatusAsker;
  private parsed: ParsedIds = { valid: [], duplicates: 0, rejected: [] };
  private timer = 0;
  private token = 0;
  private looked = false;
  /** The look-up under way, if any: a second click must not start another. */
  private running: { cancelled: boolean } | null = null;

  private readonly textarea = h("textarea", { rows: 5, spellcheck: "false", autocomplete: "off", class: "paste-box" });
  private readonly summary = h("p", { class: "paste-summary", role: "status", "aria-live": "polite" });
  private readonly details = h("div", { class: "paste-details" });
  private readonly lookup = h("button", { type: "button", class: "btn btn-primary" }, "Look up sessions");
  private readonly clearButton = h("button", { type: "button", class: "btn btn-ghost" }, "Clear");
  private readonly lookupStatus = h("p", { class: "progress-text", role: "status" });
  private readonly cancelLookup = h("button", { type: "button", class: "btn btn-secondary btn-small", hidden: true }, "Cancel look-up");
  private readonly problems = h("div", { class: "lookup-problems" });
  private readonly errorSlot = h("div", { class: "error-slot" });

  constructor(
    private readonly app: PasteHost,
    openDetail: (row: SessionRow) => void,
  ) {
    this.table = sessionTable(
      "Sessions found from the pasted IDs",
      this.selection,
      openDetail,
      () => h("p", null, this.looked ? "None of the pasted IDs matched a current session." : "Paste session IDs, then look them up."),
      (rows) => this.statuses.view(rows),
    );
    this.statuses = new StatusAsker(app, this.selection, {
      rows: () => this.table.getRows(),
      repaint: (ids) => this.table.refreshCells("recording", ids),
    });
    const id = nextId("paste");
    this.textarea.id = id;
    this.textarea.setAttribute("aria-describedby", `${id}-hint`);
    this.textarea.addEventListener("input", () => {
      window.clearTimeout(this.timer);
      this.timer = window.setTimeout(() => this.reparse(), 120);
    });
    this.lookup.addEventListener("click", () => {
      // aria-disabled (not `disabled`) keeps the button focusable for screen readers, so a click
      // still arrives while a look-up runs: it must not start a second one.
      if (this.running) return;
      void this.doLookup();
    });
    this.cancelLookup.addEventListener("click", () => {
      if (this.running) this.running.cancelled = true;
      this.cancelLookup.disabled = true;
      this.cancelLookup.textContent = "Cancelling\u2026";
    });
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
          h("div", { class: "form-actions" }, this.lookup, this.clearButton, this.lookupStatus, this.cancelLookup),
        ),
        // Focusable because it scrolls when many pieces are reported.
        h(
          "div",
          { class: "paste-feedback", tabindex: 0, role: "region", "aria-label": "What was found in the pasted text" },
          this.summary,
          this.details,
        ),
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
    this.lookup.setAttribute("aria-disabled", String(n === 0 || this.running !== null));
    const items = p.rejected.slice(0, SHOWN_REJECTS).map((r) => h("li", null, h("code", { class: "piece" }, r.piece), ` ${r.reason}`));
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
    if (this.running) return;
    this.reparse();
    const ids = this.parsed.valid;
    if (ids.length === 0) {
      this.lookupStatus.textContent = "Paste at least one session ID first.";
      this.textarea.focus();
      return;
    }
    const token = ++this.token;
    const run = { cancelled: false };
    this.running = run;
    this.lookup.setAttribute("aria-disabled", "true");
    const chunked = ids.length > LOOKUP_CHUNK;
    this.cancelLookup.hidden = !chunked;
    this.cancelLookup.disabled = false;
    this.cancelLookup.textContent = "Cancel look-up";
    this.lookupStatus.replaceChildren(spinner(), `Looking up ${plural(ids.length, "session")}\u2026`);
    this.errorSlot.replaceChildren();
    const rows: SessionRow[] = [];
    const failed: { id: string; error: IpcError }[] = [];
    let done = 0;
    // While IDs are still being looked up, only the rows in view are asked about, so the look-up
    // keeps the site's request budget; the rest of the found sessions follow once it is done.
    this.statuses.reset();
    this.statuses.askSelected(false);
    try {
      const chunks: string[][] = [];
      for (let start = 0; start < ids.length; start += LOOKUP_CHUNK) chunks.push(ids.slice(start, start + LOOKUP_CHUNK));
      // Two chunks in flight: while one is being listed, Citrix already answers the next, so the
      // requests never pause between chunks. Cancelling sends no further chunk.
      const pending: Promise<LookupResult[]>[] = [];
      const send = () => {
        const call = ipc.lookupSessions(chunks[pending.length]);
        call.catch(() => undefined); // handled where it is awaited, in order
        pending.push(call);
      };
      send();
      if (chunks.length > 1) send();
      for (let i = 0; i < pending.length; i++) {
        const results = await pending[i];
        if (token !== this.token) return;
        if (!run.cancelled && pending.length < chunks.length) send();
        const found: SessionRow[] = [];
        for (const r of results) {
          if (r.row) found.push(this.app.store.upsert(r.row));
          else failed.push({ id: r.id, error: r.error ?? { kind: "unexpected", message: "" } });
        }
        rows.push(...found);
        // The sessions found so far are listed and selected as they arrive.
        this.looked = true;
        this.show(rows, failed, i > 0 ? found : null);
        this.statuses.listed(found);
        done += chunks[i].length;
        if (chunked && done < ids.length && !run.cancelled) {
          this.lookupStatus.replaceChildren(spinner(), `Looked up ${formatCount(done)} of ${formatCount(ids.length)} sessions\u2026`);
        }
      }
      this.looked = true;
      this.show(rows, failed, []);
      const stopped = run.cancelled && done < ids.length;
      const text =
        (stopped ? `Look-up cancelled after ${formatCount(done)} of ${formatCount(ids.length)}: ` : "") +
        `${plural(rows.length, "session")} found and selected` +
        (failed.length ? `, ${formatCount(failed.length)} could not be looked up` : "");
      this.lookupStatus.textContent = text;
      this.app.announce(text);
    } catch (err) {
      if (token !== this.token) return;
      // What was found before the failure stays usable.
      if (rows.length > 0 || failed.length > 0) {
        this.looked = true;
        this.show(rows, failed, []);
        this.lookupStatus.textContent = `Stopped after ${formatCount(done)} of ${formatCount(ids.length)}: ${plural(rows.length, "session")} found and selected`;
      } else {
        this.lookupStatus.textContent = "";
      }
      const e = err as CommandError;
      if (!this.app.handleFatal(e)) {
        this.errorSlot.replaceChildren(errorView(e, { actionLabel: "Try again", onAction: () => void this.doLookup() }));
      }
    } finally {
      if (token === this.token) this.statuses.askSelected(true);
      if (this.running === run) this.running = null;
      if (token === this.token) {
        this.cancelLookup.hidden = true;
        this.lookup.setAttribute("aria-disabled", String(this.parsed.valid.length === 0));
      }
    }
  }

  /**
   * Lists the sessions found. `added`: the rows new since the last call, when this one adds to
   * the list (the officer's place in it and their changes to the selection are kept).
   */
  private show(rows: SessionRow[], failed: { id: string; error: IpcError }[], added: SessionRow[] | null = null): void {
    this.app.store.changed();
    this.table.setRows([...rows], added !== null);
    // The officer pasted these to act on them: select everything that was found.
    if (added === null) this.selection.replace(rows.map((r) => r.id));
    else
      this.selection.setMany(
        added.map((r) => r.id),
        true,
      );
    this.renderProblems(failed);
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
