// The shell: header, notices, the current screen, and the moves between screens. Each screen
// declares the narrow host interface it needs (what it reads, what it may ask for) next to its
// own code; the App is the one object that provides them all, and nothing but main.ts imports it.
import { append, clear, h, icon, spinner } from "./dom";
import { needsReconnect } from "./errors";
import * as ipc from "./ipc";
import { CommandError } from "./ipc";
import { callout, errorView } from "./components/error-view";
import { confirmDialog } from "./components/dialog";
import { accountMenu } from "./components/account-menu";
import { manageAccountsDialog, type ManageHost } from "./components/manage-accounts";
import { aboutDialog, type AboutHost } from "./components/about";
import { SessionStore } from "./store";
import type { AppStatus, Connection, ProfileInfo, SavedAccount, Settings, UpdateStatus } from "./types";
import { connectScreen, connectingScreen, type ConnectHost } from "./screens/connect";
import { sitePickerScreen, type SiteHost } from "./screens/site";
import { SessionsScreen, type SessionsHost } from "./screens/sessions";
import { AuditScreen, type AuditHost } from "./screens/audit";
import { settingsScreen, type SettingsHost } from "./screens/settings";

type View = "connect" | "sessions" | "audit" | "settings" | "site";

const DEFAULT_SETTINGS: Settings = {
  concurrency: 16,
  notifyUserDefault: true,
  requireReason: false,
  requireCase: false,
  recentReasons: [],
  recentCases: [],
  notifyUser: "ask",
  demoSiteOffered: true,
  managedAccount: { region: null, customerId: null, clientId: null },
  locked: [],
  checkForUpdates: true,
};

/** A saved account as the sign-in form and the "Connecting" screen take it. */
function savedAccountOf(p: ProfileInfo): SavedAccount {
  return {
    profileId: p.id,
    name: p.name,
    region: p.region ?? "us",
    customerId: p.customerId,
    clientId: p.clientId,
    secretStored: p.secretStored,
  };
}

export class App implements ConnectHost, SiteHost, SessionsHost, AuditHost, SettingsHost, ManageHost, AboutHost {
  readonly store = new SessionStore();
  status: AppStatus | null = null;
  connection: Connection | null = null;
  settings: Settings = { ...DEFAULT_SETTINGS };
  private sessions: SessionsScreen | null = null;
  private view: View | "connecting" | "starting" = "starting";
  private connectAttempt = 0;
  private readonly dismissed = new Set<string>();
  updateStatus: UpdateStatus | null = null;
  private watchingUpdates = false;
  private aboutOpen = false;

  private readonly header: HTMLElement;
  private readonly notices: HTMLElement;
  /** Errors and warnings from header actions (the demo link), above the current screen. */
  private readonly alerts: HTMLElement;
  readonly main: HTMLElement;
  private readonly announcer: HTMLElement;

  constructor(root: HTMLElement) {
    this.header = h("header", { class: "app-header" });
    this.notices = h("section", { class: "notices", "aria-label": "Notices", hidden: true });
    this.alerts = h("section", { class: "notices header-alerts", "aria-label": "Alerts", hidden: true });
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
    append(root, skip, this.header, this.notices, this.alerts, this.main, this.announcer);
    this.renderHeader();
  }

  async start(): Promise<void> {
    void this.watchUpdates();
    this.setScreen(
      "starting",
      h("div", { class: "screen screen-center" }, h("p", { class: "loading" }, spinner(), "Starting Recording Desk\u2026")),
    );
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
    } else if (status.lastMode === "demo" && this.settings.demoSiteOffered) {
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
    this.showAlert(null);
    clear(this.main);
    this.main.appendChild(el);
    this.main.dataset.view = view;
    this.renderHeader();
    if (focus) {
      const heading = el.querySelector<HTMLElement>("h1");
      heading?.focus({ preventScroll: true });
    }
  }

  showConnect(error: CommandError | null, prefill: SavedAccount | null = this.status?.savedAccount ?? null, adding = false): void {
    this.connectAttempt++;
    this.setScreen("connect", connectScreen(this, { prefill, error, adding }));
  }

  /** The account shown as current in the header: the connected one, else the one last chosen. */
  private currentProfileId(): string | null {
    if (this.connection?.profileId) return this.connection.profileId;
    return this.status?.profiles.find((p) => p.current)?.id ?? null;
  }

  /** Reads the accounts again (after a sign-in, a switch, a rename) and redraws the header. */
  private async refreshProfiles(): Promise<void> {
    try {
      const status = await ipc.appStatus();
      if (this.status) {
        this.status.profiles = status.profiles;
        this.status.savedAccount = status.savedAccount;
      }
    } catch {
      // The header keeps the list it has; the next change reads it again.
    }
    this.renderHeader();
  }

  profilesChanged(profiles: ProfileInfo[], removed: string | null): void {
    if (this.status) this.status.profiles = profiles;
    if (removed !== null && this.connection?.profileId === removed) {
      // The connected account was removed (the backend closed its connection).
      this.connection = null;
      this.resetSessions();
      void this.refreshProfiles().then(() => this.showConnect(null, null));
      return;
    }
    if (this.connection?.profileId) {
      const renamed = profiles.find((p) => p.id === this.connection?.profileId);
      if (renamed) this.connection = { ...this.connection, profile: renamed.name };
    }
    void this.refreshProfiles();
  }

  /** The header menu's choice of another account: the connection is closed, then the chosen one connected. */
  async switchProfile(profile: ProfileInfo): Promise<void> {
    this.showAlert(null);
    if (this.isRunActive()) {
      this.showAlert(
        callout(
          "warning",
          "A recording request is still running",
          "Wait for it to finish, or cancel it, before switching to another account.",
        ),
      );
      return;
    }
    if (profile.id === this.connection?.profileId) {
      // Already connected (the officer may be on the sign-in form of a new account): back to it.
      if (this.view !== "sessions") this.showSessions();
      return;
    }
    const account = profile.mode === "cloud" ? savedAccountOf(profile) : null;
    this.connection = null;
    this.resetSessions();
    await this.connectShowing(
      account,
      () => ipc.switchProfile(profile.id),
      async (e) => {
        await this.refreshProfiles();
        // Without a stored secret the sign-in form of that account asks for it.
        this.showConnect(e.kind === "noSecretStored" ? null : e, account);
      },
    );
  }

  /** The header menu's "Add a Citrix account…": an empty sign-in form with a name field. */
  addAccount(): void {
    this.showAlert(null);
    if (this.isRunActive()) {
      this.showAlert(
        callout("warning", "A recording request is still running", "Wait for it to finish, or cancel it, before adding an account."),
      );
      return;
    }
    this.showConnect(null, null, true);
  }

  async manageAccounts(): Promise<void> {
    await this.refreshProfiles();
    await manageAccountsDialog(this, this.status?.profiles ?? []);
  }

  /** Automatic sign-in with the saved account and the secret kept in the keychain. */
  async reconnect(account: SavedAccount): Promise<void> {
    await this.connectShowing(
      account,
      () => ipc.connectCloud(account.region, account.customerId, account.clientId, null, null, account.profileId),
      (e) => this.showConnect(e, account),
    );
  }

  /** Shows "Connecting…" (with a way to another account) while `connect` runs, then goes on. */
  private async connectShowing(
    account: SavedAccount | null,
    connect: () => Promise<Connection>,
    failed: (e: CommandError) => void | Promise<void>,
  ): Promise<void> {
    const attempt = ++this.connectAttempt;
    this.setScreen(
      "connecting",
      connectingScreen(account, () => {
        // The officer chose another account: forget this attempt's result, here and in the
        // backend (a disconnect makes the connect still under way drop its result there too).
        void ipc.disconnect().catch(() => undefined);
        this.showConnect(null, account);
      }),
    );
    try {
      const conn = await connect();
      if (attempt !== this.connectAttempt) return;
      await this.onConnected(conn);
    } catch (err) {
      if (attempt !== this.connectAttempt) return;
      await failed(err as CommandError);
    }
  }

  private async reopenDemo(): Promise<void> {
    const attempt = ++this.connectAttempt;
    this.setScreen(
      "connecting",
      connectingScreen(null, () => {
        void ipc.disconnect().catch(() => undefined);
        this.showConnect(null);
      }),
    );
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
    // Keep the accounts current (a new one, the secret just stored, the current one marked).
    void this.refreshProfiles();
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

  /** Refuses (with the backend's `busy`) what would throw away the run panel mid-run. */
  private refuseDuringRun(): void {
    if (this.isRunActive()) {
      throw new CommandError("busy", "A recording run is already in progress. Wait for it to finish or cancel it first.");
    }
  }

  async chooseSite(siteId: string): Promise<void> {
    this.refuseDuringRun();
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
    this.refuseDuringRun();
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
    this.refuseDuringRun();
    await ipc.disconnect().catch(() => undefined);
    await ipc.forgetCredentials();
    if (this.status) this.status.savedAccount = null;
    this.connection = null;
    this.resetSessions();
    await this.refreshProfiles();
    this.showConnect(null, null);
  }

  /** Errors that end the connection send the officer back to Connect; true if handled here. */
  handleFatal(err: CommandError): boolean {
    // Mid-run the run panel holds the live outcomes: the error is shown where it happened, and
    // the officer reconnects once the run is over.
    if (!needsReconnect(err.kind) || this.isRunActive()) return false;
    this.connection = null;
    this.resetSessions();
    this.showConnect(err);
    return true;
  }

  isRunActive(): boolean {
    return this.sessions?.runActive() ?? false;
  }

  private showAlert(el: HTMLElement | null): void {
    this.alerts.replaceChildren(...(el ? [el] : []));
    this.alerts.hidden = el === null;
  }

  /** The header's "Try the demo site": always one click away, with a confirmation when it leaves Citrix Cloud. */
  async openDemo(): Promise<void> {
    this.showAlert(null);
    if (this.isRunActive()) {
      this.showAlert(
        callout("warning", "A recording request is still running", "Wait for it to finish, or cancel it, before opening the demo site."),
      );
      return;
    }
    if (this.connection?.mode === "cloud") {
      const ok = await confirmDialog({
        title: "Open the demo site?",
        body: h(
          "p",
          null,
          "Recording Desk will leave your Citrix Cloud account and show made-up sessions instead. Your account stays saved: choose Settings > Leave the demo site to come back.",
        ),
        confirmLabel: "Open the demo site",
      });
      if (!ok) return;
    }
    const attempt = ++this.connectAttempt;
    try {
      const conn = await ipc.connectDemo();
      if (attempt !== this.connectAttempt) return;
      this.resetSessions();
      await this.onConnected(conn);
    } catch (err) {
      if (attempt !== this.connectAttempt) return;
      const el = h("div", null, errorView(err as CommandError));
      this.showAlert(el);
    }
  }

  renderHeader(): void {
    const conn = this.connection;
    const connected = conn !== null && (this.view === "sessions" || this.view === "audit" || this.view === "settings");
    const site = conn?.sites.find((s) => s.id === conn.siteId) ?? null;
    const navItem = (view: View, label: string, go: () => void) =>
      h(
        "li",
        null,
        h("button", { type: "button", class: "nav-link", "aria-current": this.view === view ? "page" : null, onclick: go }, label),
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
      connected && conn?.mode === "cloud" && this.settings.demoSiteOffered
        ? h(
            "button",
            { type: "button", class: "btn btn-ghost btn-small header-demo", onclick: () => void this.openDemo() },
            "Try the demo site",
          )
        : null,
      this.status && this.view !== "starting"
        ? h(
            "div",
            { class: "header-account" },
            accountMenu({
              profiles: this.status.profiles,
              currentId: this.currentProfileId(),
              onSwitch: (p) => void this.switchProfile(p),
              onAdd: () => this.addAccount(),
              onManage: () => void this.manageAccounts(),
            }),
            connected && conn
              ? h(
                  "span",
                  { class: "header-where" },
                  site ? h("span", { class: "header-site" }, site.name) : null,
                  site && conn.mode === "cloud" ? " \u00b7 " : null,
                  conn.mode === "cloud" ? h("span", { class: "header-customer" }, conn.customerName || conn.customerId) : null,
                )
              : null,
          )
        : null,
    );
  }

  /**
   * Follows the update status (the look at start-up ends whenever it ends) and the menu's About
   * item. Listening starts before the first ask, so no change falls between the two.
   */
  private async watchUpdates(): Promise<void> {
    if (this.watchingUpdates) return;
    this.watchingUpdates = true;
    try {
      await ipc.onUpdateStatus((status) => this.setUpdateStatus(status));
      await ipc.onShowAbout(() => this.showAbout());
      this.setUpdateStatus(await ipc.updateStatus());
    } catch {
      // The About box asks again when it opens, and says what went wrong there.
    }
  }

  setUpdateStatus(status: UpdateStatus): void {
    this.updateStatus = status;
    this.renderNotices();
  }

  showAbout(): void {
    if (this.aboutOpen) return;
    this.aboutOpen = true;
    void aboutDialog(this).finally(() => {
      this.aboutOpen = false;
    });
  }

  /** Picks up notices the backend added since start-up (e.g. results missing from the audit trail). */
  async refreshNotices(): Promise<void> {
    try {
      const status = await ipc.appStatus();
      if (this.status) this.status.notices = status.notices;
      this.renderNotices();
    } catch {
      // The run panel already says what happened; the banner is a second place only.
    }
  }

  private renderNotices(): void {
    const list = (this.status?.notices ?? []).filter((n) => !this.dismissed.has(n));
    const update = this.updateStatus;
    const offer = update?.state === "available" && !this.dismissed.has(`update ${update.version}`) ? update : null;
    clear(this.notices);
    this.notices.hidden = list.length === 0 && offer === null;
    if (offer?.state === "available") this.notices.appendChild(this.updateNotice(offer.version, offer.installed));
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

  /** A new version is available: said once, until dismissed, with the way to the About box. */
  private updateNotice(version: string, installed: string): HTMLElement {
    return h(
      "div",
      { class: "callout callout-info notice notice-update" },
      icon("info", "icon callout-icon"),
      h(
        "div",
        { class: "callout-body" },
        h("p", { class: "callout-text" }, `Version ${version} of Recording Desk is available. You have version ${installed}.`),
      ),
      h("button", { type: "button", class: "btn btn-secondary btn-small", onclick: () => this.showAbout() }, "See what to do"),
      h(
        "button",
        {
          type: "button",
          class: "btn btn-ghost btn-small",
          "aria-label": "Dismiss the notice about the new version",
          onclick: () => {
            this.dismissed.add(`update ${version}`);
            this.renderNotices();
            (this.main.querySelector<HTMLElement>("h1") ?? this.main).focus();
          },
        },
        "Dismiss",
      ),
    );
  }
}
