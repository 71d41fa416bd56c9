// Progress and outcome of one start/stop run. Events from the Rust side are queued and applied
// once per animation frame, so thousands of sessions finishing at once never block the window.
import type { App } from "../app";
import { h, icon, nextId, replace } from "../dom";
import { describeError, describeIpcError } from "../errors";
import { displayName, formatCount, plural } from "../format";
import * as ipc from "../ipc";
import type { CommandError } from "../ipc";
import type { RunAction, RunEvent, RunOutcome, RunStatus, SessionRow } from "../types";
import { errorView } from "./error-view";
import { shortMachine } from "./session-table";

type Phase = "queued" | "requested" | "verifying" | "finished" | "notStarted";

interface Item {
  id: string;
  name: string;
  machine: string;
  phase: Phase;
  outcome: RunOutcome | null;
  li: HTMLLIElement | null;
}

export const STATUS_TEXT: Record<RunStatus, string> = {
  recording: "Recording \u2014 confirmed by Citrix",
  startedNotRecording:
    "Started, but Citrix does not report it as recording: check the Session Recording agent and policy on that machine",
  stopped: "Stopped",
  failed: "Failed",
  cancelled: "Cancelled",
};

const PHASE_TEXT: Record<Exclude<Phase, "finished">, string> = {
  queued: "Waiting",
  requested: "Request sent to Citrix",
  verifying: "Checking with Citrix\u2026",
  notStarted: "Not started",
};

const CHUNK = 200;

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
    private readonly app: App,
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
  async run(action: RunAction, rows: SessionRow[]): Promise<void> {
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
      await ipc.runRecording(
        action,
        rows.map((r) => r.id),
        (ev) => this.enqueue(ev),
      );
      this.flush();
      this.finish();
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
    this.items = rows.map((r) => ({
      id: r.id,
      name: displayName(r),
      machine: r.machineName ? shortMachine(r.machineName) : "",
      phase: "queued" as Phase,
      outcome: null,
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
      else if (ev.type === "verifying") item.phase = "verifying";
      else {
        item.phase = "finished";
        item.outcome = ev.outcome;
        const s = ev.outcome.status;
        const row = this.app.store.get(item.id);
        if (row && (s === "recording" || s === "startedNotRecording" || s === "stopped")) {
          row.recording = s === "recording";
          recordingChanged = true;
        } else if (row && s === "failed" && ev.outcome.kind === "notFound") {
          // Citrix no longer has the session: show it as ended rather than leave it Active.
          row.state = "Ended";
          row.recordable = false;
          row.notRecordableReason = "The session has ended; Citrix no longer has it.";
          row.recording = false;
          recordingChanged = true;
        }
      }
      this.dirty.add(item);
    }
    for (const item of this.dirty) this.paintItem(item);
    this.dirty.clear();
    if (recordingChanged) this.app.store.changed();
    this.renderCounts();
  }

  private paintItem(item: Item): void {
    const li = item.li;
    if (!li) return;
    const o = item.outcome;
    const status = item.phase === "finished" && o ? o.status : null;
    const problem = status === "failed" || status === "startedNotRecording" || item.phase === "notStarted" || (o?.auditMissing ?? false);
    li.className = `run-item phase-${item.phase}${status ? ` status-${status}` : ""}${problem ? " needs-attention" : ""}`;
    let line: (string | Node)[];
    let advice: string | null = null;
    let detail: string | null = null;
    let reference: string | null = null;
    if (status === "failed" && o) {
      const copy = describeIpcError(o.kind ? { kind: o.kind, message: o.message ?? "" } : null);
      line = [icon("cross", "icon icon-small"), `Failed: ${copy.title}`];
      advice = copy.advice;
      // What exactly happened to this session, and what Citrix support will ask for.
      if (o.message && o.message !== copy.advice) detail = o.message;
      if (o.transactionId) reference = `Citrix reference ${o.transactionId}`;
    } else if (status) {
      const ico = status === "recording" || status === "stopped" ? "check" : status === "cancelled" ? "close" : "warning";
      line = [icon(ico, "icon icon-small"), STATUS_TEXT[status]];
    } else {
      line = [PHASE_TEXT[item.phase as Exclude<Phase, "finished">]];
    }
    if (o?.auditMissing) line.push(" \u2014 not written to the audit trail");
    replace(
      li,
      h("div", { class: "run-who" }, h("span", { class: "run-name" }, item.name), item.machine ? h("span", { class: "run-machine" }, item.machine) : null),
      h("div", { class: "run-status" }, ...line),
      advice ? h("p", { class: "run-advice" }, advice) : null,
      detail ? h("p", { class: "run-detail" }, detail) : null,
      reference ? h("p", { class: "run-ref mono" }, reference) : null,
    );
  }

  private tally(): Record<RunStatus, number> & { finished: number } {
    const t = { recording: 0, startedNotRecording: 0, stopped: 0, failed: 0, cancelled: 0, finished: 0 };
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
    if (t.recording) parts.push(`${formatCount(t.recording)} recording`);
    if (t.startedNotRecording) parts.push(`${formatCount(t.startedNotRecording)} not confirmed`);
    if (t.stopped) parts.push(`${formatCount(t.stopped)} stopped`);
    if (t.failed) parts.push(`${formatCount(t.failed)} failed`);
    if (t.cancelled) parts.push(`${formatCount(t.cancelled)} cancelled`);
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
      cancel.addEventListener("click", async () => {
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
      });
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
    const lines: string[] = [];
    if (t.recording) lines.push(`Recording confirmed by Citrix on ${plural(t.recording, "session")}.`);
    if (t.stopped) lines.push(`Recording stopped on ${plural(t.stopped, "session")}.`);
    if (t.startedNotRecording) {
      lines.push(
        `${plural(t.startedNotRecording, "session")} started, but Citrix does not report ${t.startedNotRecording === 1 ? "it" : "them"} as recording: check the Session Recording agent and policy on ${t.startedNotRecording === 1 ? "that machine" : "those machines"}.`,
      );
    }
    if (t.failed) lines.push(`${plural(t.failed, "session")} failed: the reason is shown next to each.`);
    if (t.cancelled) lines.push(`${plural(t.cancelled, "session")} cancelled before the request was sent.`);
    const notAudited = this.items.filter((i) => i.outcome?.auditMissing).length;
    if (notAudited) {
      lines.push(
        `${plural(notAudited, "result")} could not be written to the audit trail (marked below): note ${notAudited === 1 ? "it" : "them"} elsewhere, and check that the disk is not full.`,
      );
      void this.app.refreshNotices();
    }
    const failedIds = this.items.filter((i) => i.outcome?.status === "failed").map((i) => i.id);
    replace(
      this.footer,
      error ? errorView(error) : null,
      lines.length > 0 ? h("div", { class: "run-summary" }, ...lines.map((l) => h("p", null, l))) : null,
      failedIds.length > 0
        ? h(
            "button",
            { type: "button", class: "btn btn-secondary btn-small", onclick: () => this.hooks.selectIds(failedIds) },
            `Select the ${plural(failedIds.length, "failed session")} to try again`,
          )
        : null,
    );
    this.say(`Finished. ${lines.join(" ")}${error ? ` ${describeError(error.kind).title}.` : ""}`);
  }
}
