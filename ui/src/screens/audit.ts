import { h, icon, nextId, spinner } from "../dom";
import { describeError } from "../errors";
import { dayBoundary, formatCount, formatTime, localDate, plural } from "../format";
import * as ipc from "../ipc";
import type { CommandError } from "../ipc";
import { callout, errorView } from "../components/error-view";
import { VirtualTable } from "../components/virtual-table";
import { shortMachine, timeCell } from "../components/session-table";
import type { SessionStore } from "../store";
import type { AuditFilter, AuditRecord, AuditView, Connection, Mode, RunStatus } from "../types";
import { outcomeText } from "../components/run-panel";
import { openSessionDetail } from "./detail";

const OUTCOMES: [string, string][] = [
  ["", "Any outcome"],
  ["recording", "Recording (Citrix reports it)"],
  ["notRecording", "Not recording (Citrix reports it)"],
  ["sessionEnded", "Session ended"],
  ["refused", "Refused by Citrix"],
  ["unknown", "Not known"],
  ["cancelled", "Cancelled before sending"],
  ["requested", "Requests only"],
  // Words of trails written by earlier versions.
  ["startedNotRecording", "Started, not confirmed (earlier versions)"],
  ["stopped", "Stopped (earlier versions)"],
  ["failed", "Failed (earlier versions)"],
];

function whatHappened(r: AuditRecord, open: boolean): string {
  if (r.event === "requested") return open ? "Outcome unknown \u2014 check status" : "Requested";
  const checked = r.event === "check" ? "Checked again: " : "";
  const outcome = r.outcome ?? "";
  switch (outcome) {
    case "recording":
    case "notRecording":
    case "sessionEnded":
    case "unknown":
    case "cancelled":
      return checked + (r.event === "check" ? checkText(outcome) : outcomeText(r.action, outcome));
    case "refused":
      return `Refused by Citrix: ${describeError(r.kind).title}`;
    // Statuses written by earlier versions keep their meaning.
    case "startedNotRecording":
      return "Started, but not confirmed as recording";
    case "stopped":
      return "Stopped";
    case "failed":
      return `Failed: ${describeError(r.kind).title}`;
    default:
      return outcome || "\u2014";
  }
}

/** What a check found, whatever was asked before. */
function checkText(status: RunStatus): string {
  switch (status) {
    case "recording":
      return "recording, Citrix reports";
    case "notRecording":
      return "not recording, Citrix reports";
    case "sessionEnded":
      return "the session has ended";
    case "refused":
    case "unknown":
    case "cancelled":
      return "still not known";
  }
}

/** What the audit trail screen needs from the window around it. */
export interface AuditHost {
  /** The current connection opens the trail on its kind of records (demo or Citrix Cloud). */
  readonly connection: Pick<Connection, "mode"> | null;
  /** A record's session opens in the details drawer, which refreshes the shared session objects. */
  readonly store: SessionStore;
}

export class AuditScreen {
  readonly el: HTMLElement;
  private readonly table: VirtualTable<AuditRecord>;
  private unknownSeqs = new Set<number>();
  private view: AuditView | null = null;
  private filter: AuditFilter = { from: null, to: null, user: null, caseRef: null, action: null, outcome: null, mode: null };

  private readonly from = h("input", { type: "date", name: "from" });
  private readonly to = h("input", { type: "date", name: "to" });
  private readonly user = h("input", { type: "search", name: "user", autocomplete: "off", spellcheck: "false" });
  // A whole reference: INV-22 does not show the records of INV-2291.
  private readonly caseRef = h("input", {
    type: "search",
    name: "caseRef",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "e.g. INV-2291",
  });
  private readonly action = h(
    "select",
    { name: "action" },
    h("option", { value: "" }, "Start and stop"),
    h("option", { value: "start" }, "Start recording"),
    h("option", { value: "stop" }, "Stop recording"),
  );
  private readonly outcome = h("select", { name: "outcome" }, ...OUTCOMES.map(([v, l]) => h("option", { value: v }, l)));
  private readonly mode = h(
    "select",
    { name: "mode" },
    h("option", { value: "cloud" }, "Citrix Cloud"),
    h("option", { value: "demo" }, "Demo site"),
    h("option", { value: "" }, "Citrix Cloud and demo site"),
  );
  private readonly chain = h("div", { class: "chain-slot" });
  private readonly unknownSlot = h("div", { class: "unknown-slot" });
  private readonly status = h("p", { class: "results-count", role: "status" });
  private readonly errorSlot = h("div", { class: "error-slot" });
  private readonly exportStatus = h("div", { class: "export-status", role: "status" });
  private readonly pathNote = h("p", { class: "muted path-note" });

  constructor(private readonly app: AuditHost) {
    this.table = new VirtualTable<AuditRecord>({
      label: "Audit trail records",
      rowHeight: 56,
      rowKey: (r) => String(r.seq),
      rowClass: (r) => (this.unknownSeqs.has(r.seq) ? "row-attention" : ""),
      emptyText: () => h("p", null, this.view ? "No records match these filters." : "Loading\u2026"),
      onOpen: (r) => openSessionDetail(app.store, r.sessionId),
      columns: [
        { id: "seq", header: "No.", width: "5%", cell: (r) => h("span", { class: "cell-text num" }, String(r.seq)) },
        { id: "time", header: "Time", width: "11%", cell: (r) => timeCell(r.time, true) },
        {
          id: "action",
          header: "Action",
          width: "11%",
          cell: (r) =>
            h(
              "div",
              { class: "cell-stack" },
              h(
                "span",
                { class: "cell-text" },
                r.action === "start" ? "Start recording" : "Stop recording",
                // Only needed when both kinds are listed; otherwise the "Where" filter says it.
                r.mode === "demo" && this.filter.mode === null
                  ? h(
                      "span",
                      { class: "badge badge-demo badge-inline", title: "Made-up session on the demo site: nothing real was recorded" },
                      "Demo",
                    )
                  : null,
              ),
              r.action === "start" && r.notifyUser !== null
                ? h("span", { class: "cell-sub" }, r.notifyUser ? "User notified" : "User not notified")
                : null,
            ),
        },
        {
          id: "what",
          header: "What happened",
          width: "22%",
          cell: (r) => {
            const unknown = this.unknownSeqs.has(r.seq);
            return h(
              "div",
              { class: "cell-stack" },
              h(
                "span",
                { class: `cell-text${unknown ? " attention" : ""}` },
                unknown ? icon("warning", "icon icon-small") : null,
                whatHappened(r, unknown),
              ),
              r.transactionId ? h("span", { class: "cell-sub mono" }, `Ref. ${r.transactionId}`) : null,
            );
          },
        },
        {
          id: "case",
          header: "Case and reason",
          width: "14%",
          cell: (r) =>
            h(
              "div",
              { class: "cell-stack" },
              h("span", { class: "cell-text" }, r.caseRef ?? (r.reason ? "No case" : "\u2014")),
              r.reason ? h("span", { class: "cell-sub", title: r.reason }, r.reason) : null,
            ),
        },
        {
          id: "user",
          header: "Session user",
          width: "15%",
          // The name the officer sees, then the account; older records carry the account only.
          cell: (r) =>
            h(
              "div",
              { class: "cell-stack" },
              h("span", { class: "cell-text" }, r.displayName ?? r.sessionUser ?? "\u2014"),
              r.displayName && r.sessionUser ? h("span", { class: "cell-sub" }, r.sessionUser) : null,
            ),
        },
        {
          id: "machine",
          header: "Machine",
          width: "10%",
          hideBelow: 1000,
          cell: (r) => h("span", { class: "cell-text", title: r.machine ?? null }, shortMachine(r.machine)),
        },
        {
          id: "by",
          header: "By",
          width: "12%",
          cell: (r) =>
            h("div", { class: "cell-stack" }, h("span", { class: "cell-text" }, r.osUser), h("span", { class: "cell-sub" }, r.computer)),
        },
      ],
    });
    const labelled = (label: string, control: HTMLInputElement | HTMLSelectElement) => {
      const id = nextId("af");
      control.id = id;
      return h("div", { class: "field field-compact" }, h("label", { for: id }, label), control);
    };
    // An empty date input can look filled in (WebKitGTK greys out a date): say it is not a filter.
    const dateField = (label: string, control: HTMLInputElement) => {
      const id = nextId("af");
      control.id = id;
      const hint = h("span", { class: "date-any", id: `${id}-any` }, "Any date");
      control.setAttribute("aria-describedby", hint.id);
      const sync = () => {
        hint.hidden = control.value !== "";
      };
      control.addEventListener("input", sync);
      control.addEventListener("change", sync);
      return {
        sync,
        el: h("div", { class: "field field-compact" }, h("div", { class: "label-row" }, h("label", { for: id }, label), hint), control),
      };
    };
    const fromField = dateField("From", this.from);
    const toField = dateField("To", this.to);
    const form = h(
      "form",
      { class: "search-form audit-filters", "aria-label": "Filter the audit trail" },
      fromField.el,
      toField.el,
      labelled("Session user", this.user),
      labelled("Case or ticket", this.caseRef),
      labelled("Action", this.action),
      labelled("Outcome", this.outcome),
      labelled("Where", this.mode),
      h(
        "div",
        { class: "search-submit" },
        h("button", { type: "submit", class: "btn btn-primary" }, "Apply filters"),
        h("button", { type: "reset", class: "btn btn-ghost" }, "Reset"),
      ),
      h(
        "p",
        { class: "hint filter-note" },
        "Session user finds the name shown (Daniel Martinez) or the account (ACME\\daniel.martinez); records made before names were kept are found by the account only.",
      ),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.load();
    });
    form.addEventListener("reset", () =>
      window.setTimeout(() => {
        fromField.sync();
        toField.sync();
        this.mode.value = this.defaultMode();
        void this.load();
      }, 0),
    );
    this.mode.value = this.defaultMode();
    const exportButton = h("button", { type: "button", class: "btn btn-secondary" }, icon("save"), "Export CSV\u2026");
    exportButton.addEventListener("click", () => void this.exportCsv());

    this.el = h(
      "section",
      { class: "screen screen-audit", "aria-labelledby": "audit-title" },
      h(
        "div",
        { class: "screen-head screen-head-row" },
        h("h1", { id: "audit-title", tabindex: -1 }, "Audit trail"),
        h("p", { class: "lede" }, "Every start and stop request made from this computer, and what Citrix answered."),
        h("div", { class: "head-actions" }, exportButton),
      ),
      this.chain,
      this.unknownSlot,
      this.exportStatus,
      form,
      this.errorSlot,
      h("div", { class: "results-head" }, this.status),
      this.table.el,
      this.pathNote,
    );
    this.table.setRows([]);
  }

  /** Demo clicks and real ones are kept apart: the trail opens on the kind the officer is using. */
  private defaultMode(): Mode {
    return this.app.connection?.mode === "demo" ? "demo" : "cloud";
  }

  private readFilter(): AuditFilter {
    const user = this.user.value.trim();
    const caseRef = this.caseRef.value.trim();
    return {
      from: this.from.value ? dayBoundary(this.from.value, false) : null,
      to: this.to.value ? dayBoundary(this.to.value, true) : null,
      user: user || null,
      caseRef: caseRef || null,
      action: (this.action.value || null) as AuditFilter["action"],
      outcome: this.outcome.value || null,
      mode: (this.mode.value || null) as Mode | null,
    };
  }

  async load(): Promise<void> {
    this.filter = this.readFilter();
    this.status.replaceChildren(spinner(), "Loading the audit trail\u2026");
    this.errorSlot.replaceChildren();
    try {
      const view = await ipc.auditView(this.filter);
      this.view = view;
      this.render(view);
    } catch (err) {
      this.status.textContent = "";
      this.errorSlot.replaceChildren(errorView(err as CommandError, { actionLabel: "Try again", onAction: () => void this.load() }));
    }
  }

  private render(view: AuditView): void {
    // Exactly the request records the backend found without an outcome, by number: a session
    // asked for again later (and answered) does not hide, or take the blame for, the open one.
    const open = view.unknownOutcomes;
    this.unknownSeqs = new Set(open.map((r) => r.seq));

    const c = view.chain;
    this.chain.replaceChildren(
      c.intact
        ? callout(
            "success",
            "Audit trail intact",
            "Every record is sealed to the one before it, so a change to a record is detected. Recording Desk also keeps a separate note of the latest record, so records removed from the end of the trail are detected too.",
          )
        : h(
            "div",
            { class: "callout callout-error", role: "alert" },
            icon("warning", "icon callout-icon"),
            h(
              "div",
              { class: "callout-body" },
              h(
                "p",
                { class: "callout-title" },
                c.brokenAt !== null ? `Audit trail has been altered at record ${c.brokenAt}` : "Audit trail has been altered",
              ),
              h(
                "p",
                { class: "callout-text" },
                "Records from that point on may have been changed or removed after they were written. Keep a copy of the file and tell your IT or security team.",
              ),
              c.message ? h("p", { class: "callout-text chain-detail" }, c.message) : null,
            ),
          ),
    );

    if (open.length > 0) {
      this.unknownSlot.replaceChildren(
        h(
          "div",
          { class: "callout callout-warning" },
          icon("warning", "icon callout-icon"),
          h(
            "div",
            { class: "callout-body" },
            h("p", { class: "callout-title" }, `${plural(open.length, "request")} with no known outcome`),
            h(
              "p",
              { class: "callout-text" },
              "Citrix could not be asked what these requests did (or Recording Desk closed before it answered), so it is not known whether recording changed. Use Check again to ask Citrix now.",
            ),
            h(
              "ul",
              { class: "unknown-list" },
              ...open.map((r) =>
                h(
                  "li",
                  { "data-seq": String(r.seq) },
                  `${r.displayName ?? r.sessionUser ?? r.sessionId} (record ${r.seq}, ${r.action === "start" ? "start" : "stop"}, ${formatTime(r.time)}${r.mode === "demo" ? ", demo site" : ""}) `,
                  h(
                    "button",
                    {
                      type: "button",
                      class: "btn btn-secondary btn-small",
                      onclick: (ev: Event) => void this.checkAgain(r, ev.currentTarget as HTMLButtonElement),
                    },
                    "Check again",
                  ),
                  " ",
                  h(
                    "button",
                    { type: "button", class: "btn btn-ghost btn-small", onclick: () => openSessionDetail(this.app.store, r.sessionId) },
                    "Details",
                  ),
                ),
              ),
            ),
          ),
        ),
      );
    } else {
      this.unknownSlot.replaceChildren();
    }
    this.table.setRows(view.records);
    this.status.textContent = view.records.length === 0 ? "No records" : `${plural(view.records.length, "record")}`;
    this.pathNote.textContent = view.path ? `The audit trail is kept in ${view.path}` : "";
  }

  /** Asks Citrix about an open outcome; the answer is written to the trail and the list reloads. */
  private async checkAgain(r: AuditRecord, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    this.errorSlot.replaceChildren();
    try {
      const result = await ipc.checkAgain(r.runId, r.sessionId);
      await this.load();
      const who = r.displayName ?? r.sessionUser ?? r.sessionId;
      this.errorSlot.replaceChildren(
        h(
          "div",
          { class: "check-result" },
          result.status === "unknown"
            ? callout("warning", `${who}: still not known`, result.message ?? "Citrix could not be asked. Try again later.")
            : callout("success", `${who}: ${checkText(result.status)}`, "Citrix's answer is now in the audit trail."),
        ),
      );
    } catch (err) {
      button.disabled = false;
      this.errorSlot.replaceChildren(errorView(err as CommandError));
    }
  }

  private async exportCsv(): Promise<void> {
    this.exportStatus.replaceChildren();
    try {
      const path = await ipc.chooseSavePath(`recording-desk-audit-${localDate()}.csv`, "CSV", "csv");
      if (!path) return;
      const n = await ipc.exportAuditCsv(this.filter, path);
      this.exportStatus.replaceChildren(
        callout("success", `Exported ${formatCount(n)} ${n === 1 ? "record" : "records"}`, `Saved to ${path}`),
      );
    } catch (err) {
      this.exportStatus.replaceChildren(errorView(err as CommandError));
    }
  }
}
