// The shell: header, notices, the current screen, and the moves between screens. Screens get
// the App to reach shared state (connection, settings, the session store) and to navigate.
import { append, clear, h, icon, spinner } from "./dom";
import { needsReconnect } from "./errors";
import * as ipc from "./ipc";
import type { CommandError } from "./ipc";
import { errorView } from "./components/error-view";
import { SessionStore } from "./store";
import type { AppStatus, Connection, SavedAccount, Settings } from "./types";
import { connectScreen, connectingScreen } from "./screens/connect";
import { sitePickerScreen } from "./screens/site";
import { SessionsScreen } from "./screens/sessions";
import { AuditScreen } from "./screens/audit";
import { settingsScreen } from "./screens/settings";

export type View = "connect" | "sessions" | "audit" | "settings" | "site";

const DEFAULT_SETTINGS: Settings = { concurrency: 16, notifyUserDefault: true };

export class App {
  readonly store = new SessionStore();
  status: AppStatus | null = null;
  connection: Connection | null = null;
  settings: Settings = { ...DEFAULT_SETTINGS };
  private sessions: SessionsScreen | null = null;
  private view: View | "connecting" | "starting" = "starting";
  private connectAttempt = 0;
  private readonly dismissed = new Set<string>();

  private readonly header: HTMLElement;
  private readonly notices: HTMLElement;
  readonly main: HTMLElement;
  private readonly announcer: HTMLElement;

  constructor(root: HTMLElement) {
    this.header = h("header", { class: "app-header" });
    this.notices = h("section", { class: "notices", "aria-label": "Notices", hidden: true });
    this.main = h("main", { id: "main", class: "app-main", tabindex: -1 });
    this.announcer = h("div", { class: "sr-only", role: "status", "aria-live": "polite", "aria-atomic": "true" });
    const skip = h(
      "a",
      {
        class: "skip-link",
        href: "#main",
        onclick: (e: Event) => {
          e.preventDefault();
          (this.main.querySelector<HTMLElement>("h1") ?? this.main).focus();
        },
      },
      "Skip to main content",
    );
    append(root, skip, this.header, this.notices, this.main, this.announcer);
    this.renderHeader();
  }

  async start(): Promise<void> {
    this.setScreen("starting", h("div", { class: "screen screen-center" }, h("p", { class: "loading" }, spinner(), "Starting Recording Desk\u2026")));
    try {
      this.status = await ipc.appStatus();
    } catch (err) {
      const e = err as CommandError;
      this.setScreen(
        "starting",
        h(
          "section",
          { class: "screen screen-narrow", "aria-labelledby": "start-title" },
          h("h1", { id: "start-title", tabindex: -1 }, "Recording Desk could not start"),
          errorView(e, { actionLabel: "Try again", onAction: () => void this.start() }),
        ),
      );
      return;
    }
    this.renderNotices();
    try {
      this.settings = await ipc.getSettings();
    } catch {
      // Defaults are safe (notify on, moderate concurrency); Settings shows the error if it persists.
      this.settings = { ...DEFAULT_SETTINGS };
    }
    const status = this.status;
    // Reconnect the way the officer last worked: the demo site, or the saved Citrix account.
    if (status.connection) {
      void this.onConnected(status.connection);
    } else if (status.lastMode === "demo") {
      void this.reopenDemo();
    } else if (status.savedAccount?.secretStored) {
      void this.reconnect(status.savedAccount);
    } else {
      this.showConnect(null);
    }
  }

  announce(text: string): void {
    // Clearing first makes a repeated message be announced again.
    this.announcer.textContent = "";
    window.setTimeout(() => {
      this.announcer.textContent = text;
    }, 50);
  }

  private setScreen(view: App["view"], el: HTMLElement, focus = true): void {
    this.view = view;
    clear(this.main);
    this.main.appendChild(el);
    this.main.dataset.view = view;
    this.renderHeader();
    if (focus) {
      const heading = el.querySelector<HTMLElement>("h1");
      heading?.focus({ preventScroll: true });
    }
  }

  showConnect(error: CommandError | null, prefill: SavedAccount | null = this.status?.savedAccount ?? null): void {
    this.connectAttempt++;
    this.setScreen("connect", connectScreen(this, { prefill, error }));
  }

  /** Automatic sign-in with the saved account and the secret kept in the keychain. */
  async reconnect(account: SavedAccount): Promise<void> {
    const attempt = ++this.connectAttempt;
    this.setScreen(
      "connecting",
      connectingScreen(account, () => {
        // The officer chose another account: forget this attempt's result.
        this.showConnect(null, account);
      }),
    );
    try {
      const conn = await ipc.connectCloud(account.region, account.customerId, account.clientId, null);
      if (attempt !== this.connectAttempt) return;
      await this.onConnected(conn);
    } catch (err) {
      if (attempt !== this.connectAttempt) return;
      this.showConnect(err as CommandError, account);
    }
  }

  private async reopenDemo(): Promise<void> {
    const attempt = ++this.connectAttempt;
    this.setScreen("connecting", connectingScreen(null, () => this.showConnect(null)));
    try {
      const conn = await ipc.connectDemo();
      if (attempt !== this.connectAttempt) return;
      await this.onConnected(conn);
    } catch (err) {
      if (attempt !== this.connectAttempt) return;
      this.showConnect(err as CommandError);
    }
  }

  /** Called after connect_cloud / connect_demo succeeded. */
  async onConnected(conn: Connection): Promise<void> {
    this.connection = conn;
    if (conn.mode === "cloud") {
      // Keep the saved-account view current (the secret may just have been stored).
      ipc
        .appStatus()
        .then((s) => {
          if (this.status) this.status.savedAccount = s.savedAccount;
        })
        .catch(() => undefined);
    }
    if (conn.siteId) {
      this.showSessions();
    } else if (conn.sites.length === 1) {
      try {
        this.connection = await ipc.selectSite(conn.sites[0].id);
        this.showSessions();
      } catch (err) {
        this.showSitePicker(err as CommandError);
      }
    } else {
      this.showSitePicker(null);
    }
  }

  showSitePicker(error: CommandError | null): void {
    this.setScreen("site", sitePickerScreen(this, error));
  }

  async chooseSite(siteId: string): Promise<void> {
    const previous = this.connection?.siteId;
    this.connection = await ipc.selectSite(siteId);
    if (previous !== this.connection.siteId) this.resetSessions();
    this.showSessions();
  }

  private resetSessions(): void {
    this.sessions?.dispose();
    this.sessions = null;
    this.store.clear();
  }

  showSessions(): void {
    if (!this.connection) {
      this.showConnect(null);
      return;
    }
    if (!this.sessions) this.sessions = new SessionsScreen(this);
    this.setScreen("sessions", this.sessions.el);
    this.sessions.shown();
  }

  showAudit(): void {
    const screen = new AuditScreen(this);
    this.setScreen("audit", screen.el);
    void screen.load();
  }

  showSettings(): void {
    this.setScreen("settings", settingsScreen(this));
  }

  /** Leaves the current connection (keeps the saved account and its secret). */
  async leave(): Promise<void> {
    try {
      await ipc.disconnect();
    } finally {
      this.connection = null;
      this.resetSessions();
      this.showConnect(null);
    }
  }

  /** Disconnects and deletes the saved account and its secret from this computer. */
  async signOut(): Promise<void> {
    await ipc.disconnect().catch(() => undefined);
    await ipc.forgetCredentials();
    if (this.status) this.status.savedAccount = null;
    this.connection = null;
    this.resetSessions();
    this.showConnect(null, null);
  }

  /** Errors that end the connection send the officer back to Connect; true if handled here. */
  handleFatal(err: CommandError): boolean {
    if (!needsReconnect(err.kind)) return false;
    this.connection = null;
    this.resetSessions();
    this.showConnect(err);
    return true;
  }

  isRunActive(): boolean {
    return this.sessions?.runActive() ?? false;
  }

  renderHeader(): void {
    const conn = this.connection;
    const connected = conn !== null && (this.view === "sessions" || this.view === "audit" || this.view === "settings");
    const site = conn?.sites.find((s) => s.id === conn.siteId) ?? null;
    const navItem = (view: View, label: string, go: () => void) =>
      h(
        "li",
        null,
        h(
          "button",
          { type: "button", class: "nav-link", "aria-current": this.view === view ? "page" : null, onclick: go },
          label,
        ),
      );
    clear(this.header);
    append(
      this.header,
      h("div", { class: "brand" }, icon("record", "icon brand-icon"), h("span", { class: "brand-name" }, "Recording Desk")),
      conn?.mode === "demo" && this.view !== "connect"
        ? h("span", { class: "badge badge-demo", title: "Made-up sessions: nothing real is recorded" }, "Demo site")
        : null,
      connected
        ? h(
            "nav",
            { class: "main-nav", "aria-label": "Main" },
            h(
              "ul",
              null,
              navItem("sessions", "Sessions", () => this.showSessions()),
              navItem("audit", "Audit trail", () => this.showAudit()),
              navItem("settings", "Settings", () => this.showSettings()),
            ),
          )
        : null,
      connected && conn
        ? h(
            "div",
            { class: "header-account" },
            site ? h("span", { class: "header-site" }, site.name) : null,
            h("span", { class: "header-customer" }, conn.customerName || conn.customerId),
          )
        : null,
    );
  }

  private renderNotices(): void {
    const list = (this.status?.notices ?? []).filter((n) => !this.dismissed.has(n));
    clear(this.notices);
    this.notices.hidden = list.length === 0;
    for (const text of list) {
      this.notices.appendChild(
        h(
          "div",
          { class: "callout callout-warning notice" },
          icon("info", "icon callout-icon"),
          h("div", { class: "callout-body" }, h("p", { class: "callout-text" }, text)),
          h(
            "button",
            {
              type: "button",
              class: "btn btn-ghost btn-small",
              "aria-label": "Dismiss this notice",
              onclick: () => {
                this.dismissed.add(text);
                this.renderNotices();
                (this.main.querySelector<HTMLElement>("h1") ?? this.main).focus();
              },
            },
            "Dismiss",
          ),
        ),
      );
    }
  }
}
