import { h, icon, nextId, spinner } from "../dom";
import { describeError } from "../errors";
import { dayBoundary, formatCount, formatTime, localDate, plural } from "../format";
import * as ipc from "../ipc";
import type { CommandError } from "../ipc";
import { callout, errorView } from "../components/error-view";
import { confirmDialog } from "../components/dialog";
import { VirtualTable } from "../components/virtual-table";
import { shortMachine, timeCell } from "../components/session-table";
import type { SessionStore } from "../store";
import type { AuditFilter, AuditRecord, AuditView, Connection, Mode, RunStatus, WitnessStatus } from "../types";
import { outcomeText } from "../components/run-panel";
import { openSessionDetail } from "./detail";

/** Records the Audit screen holds at first, and adds with each "Show earlier records". */
export const AUDIT_PAGE = 1000;

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
  if (r.event === "resealed" || r.action === "reseal") return r.message ?? "The trail was re-sealed";
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

function actionText(action: AuditRecord["action"]): string {
  switch (action) {
    case "start":
      return "Start recording";
    case "stop":
      return "Stop recording";
    case "reseal":
      return "Re-sealed the trail";
  }
}

/** "Record 4" or "Records 1 to 4". */
function recordRange(first: number, last: number): string {
  return first === last ? `Record ${first}` : `Records ${first} to ${last}`;
}

/** The backend's finding without the words the callout's title already says. */
function whatWasFound(message: string): string {
  const lead = "The end of the trail cannot be verified: ";
  return message.startsWith(lead) ? `What was found: ${message.slice(lead.length)}` : message;
}

/** What the trail proves and against whom, in the officer's words (the admin guide says more). */
function chainHelp(): HTMLElement {
  return h(
    "details",
    { class: "chain-help" },
    h("summary", null, "What the audit trail proves"),
    h(
      "ul",
      null,
      h(
        "li",
        null,
        "Each record is sealed with a key that Recording Desk keeps in this computer's keychain, and linked to the record before it. Recording Desk also notes the latest record in the keychain.",
      ),
      h(
        "li",
        null,
        "So someone who can change files on this computer but cannot open your keychain cannot change, add or remove a record, cut records from the end, or put another trail in its place without it being detected here.",
      ),
      h(
        "li",
        null,
        "It does not prove that no one with access to your keychain (you, or an administrator signed in as you) deleted the trail or cut its latest records together with the note. Against that, only a copy kept elsewhere helps, such as the exports your compliance team keeps.",
      ),
      h(
        "li",
        null,
        "Records written by earlier versions of Recording Desk were not sealed with a key: anyone who could change the file could have rewritten them before this version first added to the trail.",
      ),
      h(
        "li",
        null,
        "Copies kept elsewhere: Recording Desk also notes each record's number and seal in this computer's system log and, when your IT team set one, sends every record to their log collector. An auditor can compare those copies with the trail.",
      ),
    ),
  );
}

/** Where copies of the trail go (the system log, IT's collector), and whether they get them. */
function witnessState(witnesses: WitnessStatus | null | undefined): HTMLElement | null {
  if (!witnesses) return null;
  const item = (ok: boolean, which: string, label: string, text: string) =>
    h(
      "li",
      { class: ok ? "witness-ok" : "witness-attention", "data-witness": which },
      icon(ok ? "check" : "warning", "icon icon-small"),
      h("span", null, h("strong", null, label), " ", text),
    );
  const items = [item(witnesses.systemLog.on, "systemLog", "System log:", witnesses.systemLog.message)];
  const c = witnesses.collector;
  if (c) {
    const waiting = c.waiting > 0 && c.waitingSince ? `${plural(c.waiting, "record")} waiting since ${formatTime(c.waitingSince)}. ` : "";
    items.push(item(c.connected && c.waiting === 0, "collector", `Log collector ${c.target}:`, waiting + c.message));
  }
  return h("div", { class: "witness-status", role: "status", "aria-label": "Copies of the audit trail" }, h("ul", null, ...items));
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
  /** How many of the latest matching records are shown. */
  private limit = AUDIT_PAGE;
  private filter: AuditFilter = { from: null, to: null, user: null, caseRef: null, action: null, outcome: null, mode: null };

  private readonly from = h("input", { type: "date", name: "from" });
  private readonly to = h("input", { type: "date", name: "to" });
  private readonly user = h("input", { type: "search", name: "user", autocomplete: "off", spellcheck: "false" });
  // The cases of the latest runs, offered as the officer types (read again at each load).
  private readonly recentCases = h("datalist", { id: nextId("recent-cases") });
  // A whole reference: INV-22 does not show the records of INV-2291.
  private readonly caseRef = h("input", {
    type: "search",
    name: "caseRef",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "e.g. INV-2291",
    list: this.recentCases.id,
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
  private readonly earlier = h("button", { type: "button", class: "btn btn-secondary btn-small", hidden: true });
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
                actionText(r.action),
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
      this.recentCases,
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
      this.limit = AUDIT_PAGE;
      void this.load();
    });
    form.addEventListener("reset", () =>
      window.setTimeout(() => {
        fromField.sync();
        toField.sync();
        this.mode.value = this.defaultMode();
        this.limit = AUDIT_PAGE;
        void this.load();
      }, 0),
    );
    this.earlier.addEventListener("click", () => {
      this.limit += AUDIT_PAGE;
      void this.load();
    });
    this.mode.value = this.defaultMode();
    const exportButton = h("button", { type: "button", class: "btn btn-secondary" }, icon("save"), "Export CSV\u2026");
    exportButton.addEventListener("click", () => void this.exportCsv());
    const reportButton = h("button", { type: "button", class: "btn btn-secondary" }, icon("save"), "Export report (PDF)\u2026");
    reportButton.addEventListener("click", () => void this.exportReport());

    this.el = h(
      "section",
      { class: "screen screen-audit", "aria-labelledby": "audit-title" },
      h(
        "div",
        { class: "screen-head screen-head-row" },
        h("h1", { id: "audit-title", tabindex: -1 }, "Audit trail"),
        h("p", { class: "lede" }, "Every start and stop request made from this computer, and what Citrix answered."),
        h("div", { class: "head-actions" }, exportButton, reportButton),
      ),
      this.chain,
      this.unknownSlot,
      this.exportStatus,
      form,
      this.errorSlot,
      h("div", { class: "results-head" }, this.status),
      this.table.el,
      h("div", { class: "results-foot" }, this.earlier),
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
    // The settings hold the cases of the latest runs, from the window or rdesk. Not being able
    // to read them only means nothing is offered: the filter works as before.
    ipc
      .getSettings()
      .then((s) => this.recentCases.replaceChildren(...s.recentCases.map((c) => h("option", { value: c }))))
      .catch(() => undefined);
    this.filter = this.readFilter();
    this.status.replaceChildren(spinner(), "Loading the audit trail\u2026");
    this.errorSlot.replaceChildren();
    try {
      const view = await ipc.auditView(this.filter, this.limit);
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

    this.chain.replaceChildren(...[this.chainState(view), witnessState(view.witnesses), chainHelp()].filter((e) => e !== null));

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
    const shown = view.records.length;
    const hidden = view.total - shown;
    this.status.textContent =
      shown === 0
        ? "No records"
        : hidden > 0
          ? `Showing the latest ${formatCount(shown)} of ${plural(view.total, "record")}`
          : plural(shown, "record");
    // The window holds a page of the trail, not all of it: earlier records on request.
    this.earlier.hidden = hidden <= 0;
    this.earlier.textContent = `Show ${formatCount(Math.min(hidden, AUDIT_PAGE))} earlier ${Math.min(hidden, AUDIT_PAGE) === 1 ? "record" : "records"}`;
    this.pathNote.textContent = view.path ? `The audit trail is kept in ${view.path}` : "";
  }

  /** Whether the trail can be relied on, and which part of it is sealed with the key. */
  private chainState(view: AuditView): HTMLElement {
    const c = view.chain;
    const count = view.total;
    if (c.state === "intact") {
      const notes: string[] = [];
      if (c.keyedFrom === null && count > 0) {
        notes.push(
          "These records were written by an earlier version of Recording Desk, before records were sealed with a key. They are linked to each other and the end matches the note the earlier version kept; new records will be sealed with this computer's key.",
        );
      } else if (c.keyedFrom !== null && c.keyedFrom > 1) {
        notes.push(
          `${recordRange(1, c.keyedFrom - 1)} ${c.keyedFrom === 2 ? "was" : "were"} written by an earlier version of Recording Desk, before records were sealed with a key. Record ${c.keyedFrom} and every record after it are sealed, and record ${c.keyedFrom} fixes the earlier ones as they were then.`,
        );
      }
      if (c.lostKey !== null) {
        const [first, last] = c.lostKey;
        const which = recordRange(first, last);
        notes.push(
          `${which} ${first === last ? "was" : "were"} sealed with a key that is no longer on this computer (for example, because its keychain was reset), so ${first === last ? "it" : "they"} can no longer be checked here; the records after ${first === last ? "it" : "them"} are checked. Keep a copy of the audit trail file, and ask IT whether the old keychain can be restored: with it, ${first === last ? "this record" : "these records"} could be checked again.`,
        );
      }
      if (c.resealedAt !== null) {
        notes.push(
          `The trail was re-sealed at record ${c.resealedAt}, after its end could not be verified: that record says what was found and who re-sealed it.`,
        );
      }
      return h(
        "div",
        { class: "callout callout-success", "data-state": "intact" },
        icon("check", "icon callout-icon"),
        h(
          "div",
          { class: "callout-body" },
          h("p", { class: "callout-title" }, "Audit trail intact"),
          h(
            "p",
            { class: "callout-text" },
            c.lostKey !== null
              ? "The records are linked to each other, the records this computer's key sealed are checked, and the end of the trail matches the note Recording Desk keeps in the keychain."
              : "Every record is sealed with this computer's key and linked to the one before it, and the end of the trail matches the note Recording Desk keeps in the keychain: a record changed, added or removed would be detected.",
          ),
          ...notes.map((n) => h("p", { class: "callout-text chain-note" }, n)),
        ),
      );
    }
    if (c.state === "endUnverified") {
      const reseal = h("button", { type: "button", class: "btn btn-secondary" }, "Re-seal the trail\u2026");
      reseal.addEventListener("click", () => void this.reseal(c.message, reseal));
      return h(
        "div",
        { class: "callout callout-warning", role: "alert", "data-state": "endUnverified" },
        icon("warning", "icon callout-icon"),
        h(
          "div",
          { class: "callout-body" },
          h("p", { class: "callout-title" }, "The end of the trail cannot be verified"),
          h(
            "p",
            { class: "callout-text" },
            "The records are linked to each other, but nothing outside the file vouches that it is the trail Recording Desk wrote, or that no records were cut from its end. Keep a copy of the file and tell your IT or security team.",
          ),
          h("p", { class: "callout-text chain-detail" }, whatWasFound(c.message)),
          h(
            "p",
            { class: "callout-text" },
            "Once they know what happened (for example, the keychain was reset), you can re-seal the trail: Recording Desk then checks its end again from a new record that says what was found and who re-sealed it.",
          ),
          h("div", { class: "callout-actions" }, reseal),
        ),
      );
    }
    return h(
      "div",
      { class: "callout callout-error", role: "alert", "data-state": "altered" },
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
    );
  }

  /** The officer's explicit Re-seal, asked in plain words first; the trail reloads after it. */
  private async reseal(found: string, button: HTMLButtonElement): Promise<void> {
    const ok = await confirmDialog({
      title: "Re-seal the audit trail?",
      body: h(
        "div",
        null,
        h("p", null, "Do this only after your IT or security team has looked at why the end of the trail cannot be verified."),
        h("p", null, "Recording Desk will add a record to the trail saying what was found, and that you re-sealed it on this computer:"),
        h("p", { class: "chain-detail" }, found),
        h(
          "p",
          null,
          "From then on the end of the trail is checked again. Re-sealing does not bring back records that are missing, and the records before it stay as they are.",
        ),
      ),
      confirmLabel: "Re-seal the trail",
      cancelLabel: "Cancel",
    });
    if (!ok) return;
    button.disabled = true;
    this.errorSlot.replaceChildren();
    try {
      await ipc.resealAudit();
      await this.load();
    } catch (err) {
      button.disabled = false;
      this.errorSlot.replaceChildren(errorView(err as CommandError));
    }
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

  private exportCsv(): Promise<void> {
    return this.exportFile(`recording-desk-audit-${localDate()}.csv`, "CSV", "csv", async (path) => {
      const n = await ipc.exportAuditCsv(this.filter, path);
      return callout("success", `Exported ${formatCount(n)} ${n === 1 ? "record" : "records"}`, `Saved to ${path}`);
    });
  }

  /** The investigation report of the records the current filter shows. */
  private exportReport(): Promise<void> {
    return this.exportFile(`recording-desk-report-${localDate()}.pdf`, "PDF", "pdf", async (path) => {
      const saved = await ipc.exportAuditReport(this.filter, path);
      return callout(
        "success",
        `Report saved: ${plural(saved.records, "record")} on ${plural(saved.pages, "page")}`,
        `Saved to ${saved.path}. SHA-256 of the exported records: ${saved.sha256}`,
      );
    });
  }

  /** The Save dialog, then `write` to the chosen file; its result or error is shown. */
  private async exportFile(
    defaultName: string,
    filterName: string,
    extension: string,
    write: (path: string) => Promise<HTMLElement>,
  ): Promise<void> {
    this.exportStatus.replaceChildren();
    try {
      const path = await ipc.chooseSavePath(defaultName, filterName, extension);
      if (!path) return;
      this.exportStatus.replaceChildren(h("p", { class: "muted" }, spinner(), " Saving\u2026"));
      this.exportStatus.replaceChildren(await write(path));
    } catch (err) {
      this.exportStatus.replaceChildren(errorView(err as CommandError));
    }
  }
}
