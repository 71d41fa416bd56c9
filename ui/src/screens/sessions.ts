import { h, icon, nextId } from "../dom";
import { displayName, plural, summariseNames } from "../format";
import { confirmRun } from "../components/run-confirm";
import * as ipc from "../ipc";
import { RunPanel, type RunHost } from "../components/run-panel";
import { lockControl } from "../components/managed";
import type { ActionKind, RunAction, SessionRow, Settings } from "../types";
import { PastePanel, type PasteHost } from "./paste-panel";
import { SearchPanel, type SearchHost } from "./search-panel";
import { openSessionDetail } from "./detail";

type Tab = "search" | "paste";

/** What the Sessions screen needs from the window around it: its panels' needs, and the defaults. */
export interface SessionsHost extends SearchHost, PasteHost, RunHost {
  /** Refreshed before each start or stop: what is required, and the reasons and cases to offer. */
  settings: Settings;
}

export class SessionsScreen {
  readonly el: HTMLElement;
  private tab: Tab = "search";
  private readonly search: SearchPanel;
  private readonly paste: PastePanel;
  private readonly runPanel: RunPanel;
  private readonly tabs: Record<Tab, HTMLButtonElement>;
  private readonly panels: Record<Tab, HTMLElement>;
  private readonly unsubscribe: (() => void)[] = [];
  private first = true;

  private readonly selCount = h("p", { class: "sel-count" });
  private readonly note = h("p", { class: "action-note", id: nextId("action-note") });
  private readonly notify = h("input", { type: "checkbox", id: nextId("notify") });
  private readonly notifyBadge = h("span", { class: "managed-slot" });
  private readonly startButton = h("button", { type: "button", class: "btn btn-primary" }, icon("record"), "Start recording");
  private readonly stopButton = h("button", { type: "button", class: "btn btn-secondary" }, icon("stop"), "Stop recording");
  private readonly clearSel = h("button", { type: "button", class: "link link-small" }, "Clear selection");

  constructor(private readonly app: SessionsHost) {
    const open = (row: SessionRow) => openSessionDetail(app.store, row.id);
    this.search = new SearchPanel(app, open);
    this.paste = new PastePanel(app, open);
    this.runPanel = new RunPanel(app, {
      selectIds: (ids) => {
        const sel = this.current().selection;
        const listed = new Set(
          this.current()
            .table.getRows()
            .map((r) => r.id),
        );
        sel.replace(ids.filter((id) => listed.has(id)));
        this.current().table.focus();
      },
      closed: () => this.startButton.focus(),
    });
    this.notify.checked = app.settings.notifyUserDefault;
    this.applyNotifyPolicy();

    const tabButton = (t: Tab, label: string) =>
      h(
        "button",
        {
          type: "button",
          role: "tab",
          id: `tab-${t}`,
          class: "tab",
          "aria-controls": `panel-${t}`,
          "aria-selected": String(t === this.tab),
          tabindex: t === this.tab ? 0 : -1,
          onclick: () => this.selectTab(t, false),
        },
        label,
      );
    this.tabs = { search: tabButton("search", "Search"), paste: tabButton("paste", "Paste IDs") };
    const tablist = h("div", { class: "tabs", role: "tablist", "aria-label": "How to find sessions" }, this.tabs.search, this.tabs.paste);
    tablist.addEventListener("keydown", (e) => {
      if (e.key === "ArrowRight" || e.key === "ArrowLeft" || e.key === "Home" || e.key === "End") {
        e.preventDefault();
        this.selectTab(this.tab === "search" ? "paste" : "search", true);
      }
    });
    const panel = (t: Tab, body: HTMLElement) =>
      h("div", { role: "tabpanel", id: `panel-${t}`, class: "tabpanel", "aria-labelledby": `tab-${t}`, hidden: t !== this.tab }, body);
    this.panels = { search: panel("search", this.search.el), paste: panel("paste", this.paste.el) };

    this.startButton.setAttribute("aria-describedby", this.note.id);
    this.stopButton.setAttribute("aria-describedby", this.note.id);
    this.startButton.addEventListener("click", () => void this.act("start"));
    this.stopButton.addEventListener("click", () => void this.act("stop"));
    this.clearSel.addEventListener("click", () => this.current().selection.clear());

    const actions = h(
      "div",
      { class: "actions-bar", role: "region", "aria-label": "Start or stop recording" },
      h("div", { class: "actions-selection" }, this.selCount, this.note),
      h(
        "div",
        { class: "actions-notify" },
        h(
          "div",
          { class: "managed-row" },
          h("label", { class: "check-inline", for: this.notify.id }, this.notify, "Notify the user"),
          this.notifyBadge,
        ),
        h("p", { class: "hint" }, "Citrix shows the user a notice that the session is being recorded."),
      ),
      h("div", { class: "actions-buttons" }, this.stopButton, this.startButton),
    );

    this.el = h(
      "div",
      { class: "sessions-layout" },
      h(
        "section",
        { class: "screen screen-sessions", "aria-labelledby": "sessions-title" },
        h(
          "div",
          { class: "screen-head screen-head-row" },
          h("h1", { id: "sessions-title", tabindex: -1 }, "Sessions"),
          h("p", { class: "lede" }, "Find sessions, select them, then start or stop recording."),
        ),
        tablist,
        // Only this part scrolls when a tab is taller than the window: the actions stay in view.
        h("div", { class: "tab-scroll" }, this.panels.search, this.panels.paste),
        actions,
      ),
      this.runPanel.el,
    );

    for (const p of [this.search, this.paste]) {
      this.unsubscribe.push(p.selection.subscribe(() => this.updateActions()));
    }
    this.unsubscribe.push(
      app.store.subscribe(() => {
        this.search.table.refresh();
        this.paste.table.refresh();
        this.updateActions();
      }),
    );
    this.updateActions();
  }

  /** Called each time the screen is shown; the first time it lists active sessions. */
  shown(): void {
    if (this.first) {
      this.first = false;
      void this.search.search(false);
    }
  }

  dispose(): void {
    for (const u of this.unsubscribe) u();
  }

  runActive(): boolean {
    return this.runPanel.active;
  }

  private current(): SearchPanel | PastePanel {
    return this.tab === "search" ? this.search : this.paste;
  }

  private selectTab(t: Tab, focus: boolean): void {
    this.tab = t;
    for (const k of ["search", "paste"] as Tab[]) {
      this.tabs[k].setAttribute("aria-selected", String(k === t));
      this.tabs[k].tabIndex = k === t ? 0 : -1;
      this.panels[k].hidden = k !== t;
    }
    if (focus) this.tabs[t].focus();
    // The panel was hidden, so its table could not measure itself: lay it out again.
    this.current().table.relayout();
    this.updateActions();
  }

  private selectedRows(): SessionRow[] {
    const rows: SessionRow[] = [];
    for (const id of this.current().selection.values()) {
      const r = this.app.store.get(id);
      if (r) rows.push(r);
    }
    return rows;
  }

  private updateActions(): void {
    const rows = this.selectedRows();
    const n = rows.length;
    const skipped = rows.filter((r) => !r.recordable).length;
    const running = this.runPanel.active;
    this.selCount.replaceChildren(
      n === 0 ? "No sessions selected" : `${plural(n, "session")} selected`,
      n > 0 ? " " : "",
      n > 0 ? this.clearSel : "",
    );
    let note = "";
    let startOk = n > 0 && skipped < n && !running;
    const stopOk = n > 0 && !running;
    if (running) note = "A recording request is in progress. Wait for it to finish or cancel it.";
    else if (n === 0) note = "Select one or more sessions in the list to start or stop recording.";
    else if (skipped === n) {
      note =
        n === 1
          ? "This session can't be recorded: only active sessions that use Citrix HDX can be."
          : "None of the selected sessions can be recorded: only active sessions that use Citrix HDX can be.";
      startOk = false;
    } else if (skipped > 0) {
      note = `${plural(skipped, "selected session")} can't be recorded and will be skipped when you start recording.`;
    }
    this.note.textContent = note;
    this.note.classList.toggle("warn", skipped > 0 && n > 0 && !running);
    this.startButton.setAttribute("aria-disabled", String(!startOk));
    this.stopButton.setAttribute("aria-disabled", String(!stopOk));
  }

  private async act(action: ActionKind): Promise<void> {
    const button = action === "start" ? this.startButton : this.stopButton;
    if (button.getAttribute("aria-disabled") === "true") {
      // The button explains itself rather than ignoring the click.
      this.app.announce(this.note.textContent ?? "");
      this.note.classList.add("flash");
      window.setTimeout(() => this.note.classList.remove("flash"), 800);
      return;
    }
    const rows = this.selectedRows();
    const targets = action === "start" ? rows.filter((r) => r.recordable) : rows;
    const skipped = rows.length - targets.length;
    if (targets.length === 0) return;
    // What is required may have been changed by rdesk, another window or the organisation, and
    // the last run added to the reasons and cases offered: read them now. Without an answer, the
    // last ones known do.
    try {
      this.app.settings = await ipc.getSettings();
      this.applyNotifyPolicy();
    } catch {
      // The backend checks the requirements again when the run starts.
    }
    const notify = this.notify.checked;
    const run: RunAction = action === "start" ? { action: "start", notifyUser: notify } : { action: "stop" };
    // Every start or stop is confirmed, one session included: it is where the reason is given.
    const justification = await confirmRun({
      action: run,
      count: targets.length,
      names: summariseNames(targets.map(displayName)),
      skipped,
      settings: this.app.settings,
    });
    if (!justification) return;
    this.updateActionsWhile(this.runPanel.run(run, targets, justification));
  }

  /** When the organisation decided whether users are told, the box shows its choice, fixed. */
  private applyNotifyPolicy(): void {
    const forced = this.app.settings.notifyUser;
    if (forced === "ask") {
      if (this.notifyBadge.childElementCount > 0) {
        this.notify.disabled = false;
        this.notify.removeAttribute("title");
        this.notify.removeAttribute("aria-describedby");
        this.notifyBadge.replaceChildren();
      }
      return;
    }
    this.notify.checked = forced === "always";
    if (this.notifyBadge.childElementCount === 0) this.notifyBadge.replaceChildren(lockControl(this.notify));
  }

  private updateActionsWhile(p: Promise<void>): void {
    this.updateActions();
    void p.finally(() => this.updateActions());
  }
}
