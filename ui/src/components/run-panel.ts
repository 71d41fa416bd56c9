// Progress and outcome of one start/stop run. Events from the Rust side are queued and applied
// once per animation frame, so thousands of sessions finishing at once never block the window.
import { h, icon, nextId, replace } from "../dom";
import { describeError, describeIpcError } from "../errors";
import { displayName, formatCount, plural } from "../format";
import * as ipc from "../ipc";
import type { CommandError } from "../ipc";
import type { SessionStore } from "../store";
import type { Justification, RunAction, RunEvent, RunOutcome, RunStatus, SessionRow } from "../types";
import { errorView } from "./error-view";
import { shortMachine } from "./session-table";

type Phase = "queued" | "requested" | "waiting" | "finished" | "notStarted";

interface Item {
  id: string;
  name: string;
  machine: string;
  phase: Phase;
  /** Citrix answered the request (false while waiting means its answer was lost). */
  accepted: boolean;
  outcome: RunOutcome | null;
  /** When the outcome arrived, for the details an officer quotes. */
  at: Date | null;
  li: HTMLLIElement | null;
}

type Kind = RunAction["action"];

/** The final words for a session: what Citrix reports, for the action that was asked. */
export function outcomeText(action: Kind, status: RunStatus): string {
  switch (status) {
    case "recording":
      return action === "start" ? "Recording \u2014 confirmed by Citrix" : "Stop sent, but Citrix still reports it as recording";
    case "notRecording":
      return action === "start" ? "Started, but Citrix does not report it as recording" : "Recording stopped \u2014 confirmed by Citrix";
    case "sessionEnded":
      return "The session has ended \u2014 confirmed by Citrix";
    case "refused":
      return "Refused by Citrix";
    case "unknown":
      return "Not known \u2014 check again";
    case "cancelled":
      return "Cancelled before sending";
  }
}

/** Whether the status means the action took effect. */
export function succeeded(action: Kind, status: RunStatus): boolean {
  return action === "start" ? status === "recording" : status === "notRecording" || status === "sessionEnded";
}

/** The short label of each status in the running counts. */
function countLabel(action: Kind, status: RunStatus): string {
  switch (status) {
    case "recording":
      return action === "start" ? "recording" : "still recording";
    case "notRecording":
      return action === "start" ? "not recording" : "stopped";
    case "sessionEnded":
      return "session ended";
    case "refused":
      return "refused";
    case "unknown":
      return "not known";
    case "cancelled":
      return "cancelled";
  }
}

const STATUSES: RunStatus[] = ["recording", "notRecording", "sessionEnded", "refused", "unknown", "cancelled"];

function phaseText(action: Kind, item: Item): string {
  switch (item.phase) {
    case "queued":
      return "Waiting to be sent";
    case "requested":
      return "Request sent to Citrix";
    case "waiting":
      if (!item.accepted) return "Citrix\u2019s answer was lost \u2014 asking Citrix what happened";
      return action === "start" ? "Started \u2014 waiting for Citrix to confirm" : "Stop sent \u2014 waiting for Citrix to confirm";
    case "finished":
    case "notStarted":
      return "Not started";
  }
}

/** What an officer quotes to their Citrix administrator about one session. */
export function quoteDetails(item: { name: string; machine: string; id: string; at: Date | null; outcome: RunOutcome | null }): string {
  return [
    `User: ${item.name}`,
    `Machine: ${item.machine || "not known"}`,
    `Session ID: ${item.id}`,
    `Time: ${(item.at ?? new Date()).toISOString()}`,
    `Citrix transaction ID: ${item.outcome?.transactionId ?? "none given"}`,
  ].join("\n");
}

const CHUNK = 200;

/** What the run panel needs from the window around it. */
export interface RunHost {
  /** Outcomes update the shared session objects, so every list shows the new recording state. */
  readonly store: SessionStore;
  /** Re-reads the start-up notices (a result the audit trail could not keep adds one). */
  refreshNotices(): Promise<void>;
}

export class RunPanel {
  readonly el: HTMLElement;
  private items: Item[] = [];
  private byId = new Map<string, Item>();
  private queue: RunEvent[] = [];
  private frame = 0;
  private dirty = new Set<Item>();
  private lastAnnounce = 0;
  private cancelling = false;
  private built = 0;
  /** The run's ID once it is over: what "Check again" names the request by. */
  private runId: string | null = null;
  active = false;
  action: RunAction = { action: "start", notifyUser: true };

  private readonly title = h("h2", { class: "run-title", id: nextId("run-title") });
  private readonly progress = h("progress", { class: "run-progress", max: 1, value: 0 });
  private readonly counts = h("p", { class: "run-counts", id: nextId("run-counts") });
  private readonly live = h("p", { class: "sr-only", role: "status", "aria-live": "polite" });
  private readonly list = h("ol", { class: "run-list" });
  private readonly footer = h("div", { class: "run-footer" });
  private readonly headButtons = h("div", { class: "run-head-actions" });
  private readonly onlyProblems = h("input", { type: "checkbox" });

  constructor(
    private readonly app: RunHost,
    private readonly hooks: { selectIds: (ids: string[]) => void; closed: () => void },
  ) {
    this.progress.setAttribute("aria-labelledby", `${this.title.id} ${this.counts.id}`);
    this.onlyProblems.addEventListener("change", () => {
      this.list.classList.toggle("only-problems", this.onlyProblems.checked);
    });
    this.el = h(
      "aside",
      { class: "run-panel", "aria-labelledby": this.title.id, hidden: true },
      h("div", { class: "run-head" }, this.title, this.headButtons),
      this.progress,
      this.counts,
      this.live,
      h("label", { class: "check-inline run-filter" }, this.onlyProblems, "Show only sessions that need attention"),
      h("div", { class: "run-list-wrap", tabindex: 0, role: "region", "aria-label": "Sessions in this request" }, this.list),
      this.footer,
    );
  }

  /** Starts the run; resolves when it is over (whatever the outcome). */
  async run(action: RunAction, rows: SessionRow[], justification: Justification): Promise<void> {
    this.reset(action, rows);
    this.active = true;
    this.el.hidden = false;
    this.renderHead();
    this.renderCounts();
    this.title.setAttribute("tabindex", "-1");
    this.title.focus();
    // After the focus move: its layout is cheap while the list is still empty.
    this.buildMore();
    this.say(`${this.verb()} ${plural(rows.length, "session")}.`);
    try {
      const report = await ipc.runRecording(
        action,
        rows.map((r) => r.id),
        justification,
        (ev) => this.enqueue(ev),
      );
      this.runId = report.runId;
      this.flush();
      this.finish();
      // "Check again" needs the run's ID, known now.
      for (const item of this.items) if (item.outcome?.status === "unknown") this.paintItem(item);
    } catch (err) {
      this.flush();
      const e = err as CommandError;
      // The run was refused as a whole (e.g. another run is going): nothing unfinished was sent.
      for (const item of this.items) {
        if (item.phase !== "finished") {
          item.phase = "notStarted";
          this.paintItem(item);
        }
      }
      this.finish(e);
    }
  }

  private verb(): string {
    return this.action.action === "start" ? "Starting recording on" : "Stopping recording on";
  }

  private reset(action: RunAction, rows: SessionRow[]): void {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.action = action;
    this.queue = [];
    this.dirty.clear();
    this.cancelling = false;
    this.built = 0;
    this.runId = null;
    this.items = rows.map((r) => ({
      id: r.id,
      name: displayName(r),
      machine: r.machineName ? shortMachine(r.machineName) : "",
      phase: "queued",
      accepted: false,
      outcome: null,
      at: null,
      li: null,
    }));
    this.byId = new Map(this.items.map((i) => [i.id, i]));
    this.list.replaceChildren();
    this.footer.replaceChildren();
    this.onlyProblems.checked = false;
    this.list.classList.remove("only-problems");
    this.progress.max = Math.max(1, rows.length);
    this.progress.value = 0;
  }

  /** Creates list items a chunk per frame so a 5,000-session run appears at once and fills in. */
  private buildMore(): void {
    const end = Math.min(this.items.length, this.built + CHUNK);
    const frag = document.createDocumentFragment();
    for (let i = this.built; i < end; i++) {
      const item = this.items[i];
      item.li = h("li", { class: "run-item" });
      this.paintItem(item);
      frag.appendChild(item.li);
    }
    this.list.appendChild(frag);
    this.built = end;
    if (this.built < this.items.length) requestAnimationFrame(() => this.buildMore());
  }

  private enqueue(ev: RunEvent): void {
    this.queue.push(ev);
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  private flush(): void {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    const events = this.queue;
    this.queue = [];
    let recordingChanged = false;
    for (const ev of events) {
      // The same report is the command's return value, handled in run().
      if (ev.type === "done") continue;
      const item = this.byId.get(ev.sessionId);
      if (!item || item.phase === "finished") continue;
      if (ev.type === "requested") item.phase = "requested";
      else if (ev.type === "waiting") {
        item.phase = "waiting";
        item.accepted = ev.accepted;
      } else {
        item.phase = "finished";
        item.outcome = ev.outcome;
        item.at = new Date();
        if (this.showRecording(item.id, ev.outcome.status)) recordingChanged = true;
      }
      this.dirty.add(item);
    }
    for (const item of this.dirty) this.paintItem(item);
    this.dirty.clear();
    if (recordingChanged) this.app.store.changed();
    this.renderCounts();
  }

  /** Shows in the sessions table what Citrix reported; returns whether a row changed. */
  private showRecording(id: string, s: RunStatus): boolean {
    const row = this.app.store.get(id);
    if (!row) return false;
    if (s === "recording" || s === "notRecording") {
      row.recording = s === "recording";
      row.recordingChecked = true;
      return true;
    }
    if (s === "sessionEnded") {
      // Citrix no longer has the session: show it as ended rather than leave it Active.
      row.state = "Ended";
      row.recordable = false;
      row.notRecordableReason = "The session has ended; Citrix no longer has it.";
      row.recording = false;
      row.recordingChecked = true;
      return true;
    }
    return false;
  }

  private paintItem(item: Item): void {
    const li = item.li;
    if (!li) return;
    const o = item.outcome;
    const action = this.action.action;
    const status = item.phase === "finished" && o ? o.status : null;
    const ok = status !== null && succeeded(action, status);
    const problem = (status !== null && !ok) || item.phase === "notStarted" || (o?.auditMissing ?? false);
    li.className = `run-item phase-${item.phase}${status ? ` status-${status}` : ""}${problem ? " needs-attention" : ""}`;
    let line: (string | Node)[];
    let advice: string | null = null;
    let detail: string | null = null;
    let quote: Node | null = null;
    if (status === "refused" && o) {
      const copy = describeIpcError(o.kind ? { kind: o.kind, message: o.message ?? "" } : null);
      line = [icon("cross", "icon icon-small"), `${outcomeText(action, status)}: ${copy.title}`];
      advice = copy.advice;
      // What exactly happened to this session, in Citrix's words.
      if (o.message && o.message !== copy.advice) detail = o.message;
    } else if (status && o) {
      const ico = ok ? "check" : status === "cancelled" ? "close" : "warning";
      line = [icon(ico, "icon icon-small"), outcomeText(action, status)];
      if (status === "unknown") {
        advice = "Citrix could not be asked what happened to this session. Check again to ask Citrix now.";
        if (o.message) detail = o.message;
        if (this.runId) quote = this.checkAgainButton(item, this.runId);
      } else if (!ok && status !== "cancelled" && status !== "sessionEnded") {
        advice =
          action === "start"
            ? "Citrix accepted the request, but the session is not being recorded. Ask your Citrix administrator to look at Session Recording for this machine, and quote the details below."
            : "Citrix accepted the stop, but the session is still being recorded. Ask your Citrix administrator to look at Session Recording for this machine, and quote the details below.";
        quote = this.quoteBlock(item);
      } else if (o.message && status === "cancelled") {
        detail = o.message;
      }
    } else {
      line = [phaseText(action, item)];
    }
    if (o?.auditMissing) line.push(" \u2014 not written to the audit trail");
    replace(
      li,
      h(
        "div",
        { class: "run-who" },
        h("span", { class: "run-name" }, item.name),
        item.machine ? h("span", { class: "run-machine" }, item.machine) : null,
      ),
      h("div", { class: "run-status" }, ...line),
      advice ? h("p", { class: "run-advice" }, advice) : null,
      detail ? h("p", { class: "run-detail" }, detail) : null,
      quote,
      !quote && o?.transactionId && status !== null && !ok
        ? h("p", { class: "run-ref mono" }, `Citrix reference ${o.transactionId}`)
        : null,
    );
  }

  /** Asks Citrix again and shows its answer in place of "not known". */
  private checkAgainButton(item: Item, runId: string): Node {
    const note = h("span", { class: "run-check-note", role: "status" });
    const button = h("button", { type: "button", class: "btn btn-secondary btn-small run-check" }, "Check again");
    const check = async () => {
      button.disabled = true;
      note.textContent = "Asking Citrix\u2026";
      try {
        const result = await ipc.checkAgain(runId, item.id);
        if (item.outcome) item.outcome = { ...item.outcome, status: result.status, message: result.message, kind: null };
        item.at = new Date();
        if (this.showRecording(item.id, result.status)) this.app.store.changed();
        this.paintItem(item);
        this.renderCounts();
        this.say(`${item.name}: ${outcomeText(this.action.action, result.status)}.`);
      } catch (err) {
        button.disabled = false;
        note.textContent = describeIpcError(err as CommandError).title;
      }
    };
    button.addEventListener("click", () => void check());
    return h("div", { class: "run-actions" }, button, " ", note);
  }

  /** The details to quote, and a button that copies them. */
  private quoteBlock(item: Item): Node {
    const text = quoteDetails(item);
    const copied = h("span", { class: "run-copied", role: "status" });
    const button = h("button", { type: "button", class: "btn btn-secondary btn-small run-copy" }, "Copy details");
    const copy = async () => {
      try {
        await navigator.clipboard.writeText(text);
        copied.textContent = "Copied";
      } catch {
        copied.textContent = "Could not copy: select the text and copy it";
      }
    };
    button.addEventListener("click", () => void copy());
    return h("div", { class: "run-quote" }, h("pre", { class: "run-quote-text mono" }, text), h("div", null, button, " ", copied));
  }

  private tally(): Record<RunStatus, number> & { finished: number } {
    const t = { recording: 0, notRecording: 0, sessionEnded: 0, refused: 0, unknown: 0, cancelled: 0, finished: 0 };
    for (const i of this.items) {
      if (i.phase === "finished" && i.outcome) {
        t[i.outcome.status]++;
        t.finished++;
      }
    }
    return t;
  }

  private countParts(): string[] {
    const t = this.tally();
    const parts = [`${formatCount(t.finished)} of ${formatCount(this.items.length)} finished`];
    const waiting = this.items.filter((i) => i.phase === "waiting").length;
    if (waiting) parts.push(`${formatCount(waiting)} waiting for Citrix to confirm`);
    for (const s of STATUSES) if (t[s]) parts.push(`${formatCount(t[s])} ${countLabel(this.action.action, s)}`);
    return parts;
  }

  private renderCounts(): void {
    const t = this.tally();
    this.progress.value = t.finished;
    // Each count stays on one line ("· 1 failed" never splits); the line breaks between them.
    replace(
      this.counts,
      ...this.countParts().flatMap((p, i) =>
        i === 0 ? [h("span", { class: "run-count" }, p)] : [" ", h("span", { class: "run-count" }, `\u00b7 ${p}`)],
      ),
    );
    // Screen readers hear progress every few seconds, not on every event.
    const now = performance.now();
    if (this.active && now - this.lastAnnounce > 3000 && t.finished > 0) {
      this.lastAnnounce = now;
      this.say(this.counts.textContent);
    }
  }

  private say(text: string): void {
    this.live.textContent = text;
  }

  private renderHead(): void {
    const n = this.items.length;
    this.title.textContent = this.active
      ? `${this.verb()} ${plural(n, "session")}`
      : `${this.action.action === "start" ? "Start recording" : "Stop recording"}: finished`;
    if (this.active) {
      const cancel = h(
        "button",
        { type: "button", class: "btn btn-secondary btn-small", disabled: this.cancelling },
        this.cancelling ? "Cancelling\u2026" : "Cancel",
      );
      const cancelRun = async (): Promise<void> => {
        this.cancelling = true;
        this.renderHead();
        try {
          await ipc.cancelRun();
          this.say("Cancelling. Sessions already sent to Citrix finish first.");
        } catch (err) {
          this.cancelling = false;
          this.renderHead();
          this.footer.replaceChildren(errorView(err as CommandError));
        }
      };
      cancel.addEventListener("click", () => void cancelRun());
      this.headButtons.replaceChildren(cancel);
    } else {
      this.headButtons.replaceChildren(
        h(
          "button",
          {
            type: "button",
            class: "btn btn-ghost btn-small",
            onclick: () => {
              this.el.hidden = true;
              this.hooks.closed();
            },
          },
          "Close",
        ),
      );
    }
  }

  private finish(error: CommandError | null = null): void {
    this.active = false;
    this.renderHead();
    this.renderCounts();
    const t = this.tally();
    const start = this.action.action === "start";
    const them = (n: number) => (n === 1 ? "it" : "them");
    const lines: string[] = [];
    if (start && t.recording) lines.push(`Recording confirmed by Citrix on ${plural(t.recording, "session")}.`);
    if (!start && t.notRecording) lines.push(`Recording stopped on ${plural(t.notRecording, "session")}, confirmed by Citrix.`);
    if (start && t.notRecording) {
      lines.push(
        `${plural(t.notRecording, "session")} started, but Citrix does not report ${them(t.notRecording)} as recording: ask your Citrix administrator, quoting the details shown next to each.`,
      );
    }
    if (!start && t.recording) {
      lines.push(
        `${plural(t.recording, "session")}: stop sent, but Citrix still reports ${them(t.recording)} as recording. The details to quote are shown next to each.`,
      );
    }
    if (t.sessionEnded) lines.push(`${plural(t.sessionEnded, "session")} had ended (confirmed by Citrix).`);
    if (t.refused) lines.push(`Citrix refused ${plural(t.refused, "session")}: the reason is shown next to each.`);
    if (t.unknown) lines.push(`Not known for ${plural(t.unknown, "session")}: Citrix could not be asked. Check again later.`);
    if (t.cancelled) lines.push(`${plural(t.cancelled, "session")} cancelled before sending: no request reached Citrix.`);
    const notAudited = this.items.filter((i) => i.outcome?.auditMissing).length;
    if (notAudited) {
      lines.push(
        `${plural(notAudited, "result")} could not be written to the audit trail (marked below): note ${notAudited === 1 ? "it" : "them"} elsewhere, and check that the disk is not full.`,
      );
      void this.app.refreshNotices();
    }
    // Sessions Citrix refused or that were never sent can be tried again; the others have
    // reached Citrix already.
    const failedIds = this.items.filter((i) => i.outcome?.status === "refused" || i.outcome?.status === "cancelled").map((i) => i.id);
    replace(
      this.footer,
      error ? errorView(error) : null,
      lines.length > 0 ? h("div", { class: "run-summary" }, ...lines.map((l) => h("p", null, l))) : null,
      failedIds.length > 0
        ? h(
            "button",
            { type: "button", class: "btn btn-secondary btn-small", onclick: () => this.hooks.selectIds(failedIds) },
            `Select the ${plural(failedIds.length, "session")} not done to try again`,
          )
        : null,
    );
    this.say(`Finished. ${lines.join(" ")}${error ? ` ${describeError(error.kind).title}.` : ""}`);
  }
}
