import { h, nextId, type Child } from "../dom";
import { REGION_LABELS } from "../format";
import * as ipc from "../ipc";
import type { CommandError } from "../ipc";
import { confirmDialog } from "../components/dialog";
import { callout, errorView } from "../components/error-view";
import { isLocked, lockControl, managedBadge, managedNote, withBadge } from "../components/managed";
import type { AppStatus, Connection, Settings } from "../types";

/** What the Settings screen needs from the window around it. */
export interface SettingsHost {
  readonly connection: Connection | null;
  readonly status: Pick<AppStatus, "savedAccount" | "version"> | null;
  /** The officer's preferences; the screen puts the saved ones here once the backend has them. */
  settings: Settings;
  isRunActive(): boolean;
  /** Leaves the connection, keeping the saved account. */
  leave(): Promise<void>;
  /** Leaves the connection and forgets the saved account and its secret. */
  signOut(): Promise<void>;
  showSitePicker(error: CommandError | null): void;
  /** The About box: the installed version and whether it is the newest. */
  showAbout(): void;
}

function row(term: string, value: Child): HTMLElement[] {
  return [h("dt", null, term), h("dd", null, value)];
}

export function settingsScreen(app: SettingsHost): HTMLElement {
  const conn = app.connection;
  const saved = app.status?.savedAccount ?? null;
  const accountStatus = h("div", { class: "error-slot" });

  const changeAccount = h(
    "button",
    { type: "button", class: "btn btn-secondary" },
    conn?.mode === "demo" ? "Leave the demo site" : "Change account",
  );
  const leaveAccount = async (): Promise<void> => {
    if (app.isRunActive()) {
      accountStatus.replaceChildren(
        callout("warning", "A recording request is still running", "Wait for it to finish, or cancel it, first."),
      );
      return;
    }
    try {
      await app.leave();
    } catch (err) {
      accountStatus.replaceChildren(errorView(err as CommandError));
    }
  };
  changeAccount.addEventListener("click", () => void leaveAccount());
  const signOut = h("button", { type: "button", class: "btn btn-danger-outline" }, "Sign out and forget the secret");
  const signOutAndForget = async (): Promise<void> => {
    if (app.isRunActive()) {
      accountStatus.replaceChildren(
        callout("warning", "A recording request is still running", "Wait for it to finish, or cancel it, first."),
      );
      return;
    }
    const ok = await confirmDialog({
      title: "Sign out of Citrix Cloud?",
      body: h(
        "p",
        null,
        "Recording Desk will forget this account and delete its secret from this computer's password store. You will need the secret again to reconnect. The audit trail is kept.",
      ),
      confirmLabel: "Sign out",
      tone: "danger",
    });
    if (!ok) return;
    try {
      await app.signOut();
    } catch (err) {
      accountStatus.replaceChildren(errorView(err as CommandError));
    }
  };
  signOut.addEventListener("click", () => void signOutAndForget());

  const site = conn?.sites.find((s) => s.id === conn.siteId);
  const account =
    conn?.mode === "demo"
      ? h(
          "div",
          null,
          h("p", null, "You are exploring the demo site. Its sessions are made up; nothing real is recorded."),
          h("div", { class: "form-actions" }, changeAccount),
        )
      : h(
          "div",
          null,
          h(
            "dl",
            { class: "facts facts-compact" },
            conn?.customerName ? row("Customer", conn.customerName) : [],
            row("Customer ID", h("span", { class: "mono" }, conn?.customerId ?? saved?.customerId ?? "\u2014")),
            row("Region", conn?.region ? REGION_LABELS[conn.region] : saved ? REGION_LABELS[saved.region] : "\u2014"),
            saved ? row("Client ID", h("span", { class: "mono" }, saved.clientId)) : [],
            row("Secret", saved?.secretStored ? "Kept in this computer's password store" : "Not saved on this computer"),
            conn?.userDisplayName ? row("Signed in as", conn.userDisplayName) : [],
          ),
          h("div", { class: "form-actions" }, changeAccount, saved ? signOut : null),
        );

  // Recording preferences
  const concurrency = h("input", {
    type: "number",
    min: 1,
    max: 64,
    step: 1,
    inputmode: "numeric",
    value: String(app.settings.concurrency),
  });
  const notify = h("input", { type: "checkbox", checked: app.settings.notifyUserDefault });
  const requireReason = h("input", { type: "checkbox", name: "requireReason", checked: app.settings.requireReason });
  const requireCase = h("input", { type: "checkbox", name: "requireCase", checked: app.settings.requireCase });
  const cId = nextId("set");
  const nId = nextId("set");
  const rId = nextId("set");
  const kId = nextId("set");
  requireReason.id = rId;
  requireCase.id = kId;
  requireReason.setAttribute("aria-describedby", `${rId}-hint`);
  requireCase.setAttribute("aria-describedby", `${rId}-hint`);
  concurrency.id = cId;
  notify.id = nId;
  concurrency.setAttribute("aria-describedby", `${cId}-hint ${cId}-err`);
  notify.setAttribute("aria-describedby", `${nId}-hint`);
  // What the organisation set is shown, fixed, with the words "Set by your organisation".
  const lock = (control: HTMLInputElement, name: Parameters<typeof isLocked>[1]) =>
    isLocked(app.settings, name) ? lockControl(control) : null;
  const concurrencyBadge = lock(concurrency, "concurrency");
  const notifyBadge = lock(notify, "notifyUserDefault");
  const reasonBadge = lock(requireReason, "requireReason");
  const caseBadge = lock(requireCase, "requireCase");
  const forced = app.settings.notifyUser;
  const cErr = h("p", { class: "field-error", id: `${cId}-err`, hidden: true });
  const saveStatus = h("div", { class: "save-status", role: "status" });
  const saveButton = h("button", { type: "submit", class: "btn btn-primary" }, "Save settings");
  const prefs = h(
    "form",
    { class: "settings-form", novalidate: true, "aria-labelledby": "prefs-title" },
    managedNote(app.settings),
    h(
      "div",
      { class: "field" },
      withBadge(h("label", { for: cId }, "Sessions handled at the same time"), concurrencyBadge),
      concurrency,
      h(
        "p",
        { class: "hint", id: `${cId}-hint` },
        "From 1 to 64. Higher is faster for large batches; lower it if Citrix reports too many requests.",
      ),
      cErr,
    ),
    h(
      "div",
      { class: "field" },
      withBadge(h("label", { class: "check-inline", for: nId }, notify, "Notify users by default"), notifyBadge),
      h(
        "p",
        { class: "hint", id: `${nId}-hint` },
        "Sets the \u201cNotify the user\u201d box when Recording Desk opens. Citrix then shows each user a notice that the session is being recorded.",
      ),
      forced === "ask"
        ? null
        : withBadge(
            h(
              "p",
              { class: "managed-choice" },
              forced === "always"
                ? "Users are always told when their session is recorded."
                : "Users are never told when their session is recorded.",
            ),
            managedBadge(),
          ),
    ),
    h(
      "fieldset",
      { class: "field field-set" },
      h("legend", null, "Before each start or stop"),
      withBadge(h("label", { class: "check-inline", for: rId }, requireReason, "Require a reason"), reasonBadge),
      withBadge(h("label", { class: "check-inline", for: kId }, requireCase, "Require a case or ticket reference"), caseBadge),
      h(
        "p",
        { class: "hint", id: `${rId}-hint` },
        "The reason and the case are kept with every record of the request in the audit trail, and apply to the command-line tool rdesk on this computer too. When not required they can still be given.",
      ),
    ),
    h("div", { class: "form-actions" }, saveButton),
    saveStatus,
  );
  const savePrefs = async (e: Event): Promise<void> => {
    e.preventDefault();
    const n = Number(concurrency.value);
    if (!Number.isInteger(n) || n < 1 || n > 64) {
      cErr.hidden = false;
      cErr.textContent = "Enter a whole number from 1 to 64.";
      concurrency.setAttribute("aria-invalid", "true");
      concurrency.focus();
      return;
    }
    cErr.hidden = true;
    concurrency.removeAttribute("aria-invalid");
    saveButton.disabled = true;
    saveStatus.replaceChildren();
    try {
      app.settings = await ipc.updateSettings({
        ...app.settings,
        concurrency: n,
        notifyUserDefault: notify.checked,
        requireReason: requireReason.checked,
        requireCase: requireCase.checked,
      });
      saveStatus.replaceChildren(callout("success", "Settings saved"));
    } catch (err) {
      saveStatus.replaceChildren(errorView(err as CommandError));
    } finally {
      saveButton.disabled = false;
    }
  };
  prefs.addEventListener("submit", (e) => void savePrefs(e));

  // New versions: saved as soon as the box changes, since it is the card's only control.
  const checkUpdates = h("input", { type: "checkbox", name: "checkForUpdates", checked: app.settings.checkForUpdates });
  const uId = nextId("set");
  checkUpdates.id = uId;
  checkUpdates.setAttribute("aria-describedby", `${uId}-hint`);
  const updatesBadge = lock(checkUpdates, "checkForUpdates");
  const updatesStatus = h("div", { class: "save-status", role: "status" });
  checkUpdates.addEventListener("change", () => {
    void (async () => {
      checkUpdates.disabled = true;
      updatesStatus.replaceChildren();
      try {
        app.settings = await ipc.updateSettings({ ...app.settings, checkForUpdates: checkUpdates.checked });
        updatesStatus.replaceChildren(callout("success", "Settings saved"));
      } catch (err) {
        checkUpdates.checked = app.settings.checkForUpdates;
        updatesStatus.replaceChildren(errorView(err as CommandError));
      } finally {
        checkUpdates.disabled = isLocked(app.settings, "checkForUpdates");
      }
    })();
  });
  const updates = h(
    "section",
    { class: "card", "aria-labelledby": "updates-title" },
    h("h2", { id: "updates-title" }, "New versions"),
    h(
      "div",
      { class: "field" },
      withBadge(
        h("label", { class: "check-inline", for: uId }, checkUpdates, "Check for new versions when Recording Desk starts"),
        updatesBadge,
      ),
      h(
        "p",
        { class: "hint", id: `${uId}-hint` },
        "At most once a day. A new version is installed only when you choose to, and only after Recording Desk has checked that it comes from its makers.",
      ),
    ),
    updatesStatus,
    h(
      "p",
      null,
      h("button", { type: "button", class: "link-button", "data-action": "about", onclick: () => app.showAbout() }, "About Recording Desk"),
      " \u2014 the installed version, and whether it is the newest",
    ),
  );

  const multiSite = (conn?.sites.length ?? 0) > 1;
  const siteStatus = h("div", { class: "error-slot" });
  return h(
    "section",
    { class: "screen screen-narrow screen-settings", "aria-labelledby": "settings-title" },
    h("div", { class: "screen-head" }, h("h1", { id: "settings-title", tabindex: -1 }, "Settings")),
    h(
      "section",
      { class: "card", "aria-labelledby": "account-title" },
      h("h2", { id: "account-title" }, "Account"),
      account,
      accountStatus,
    ),
    site
      ? h(
          "section",
          { class: "card", "aria-labelledby": "site-title" },
          h("h2", { id: "site-title" }, "Site"),
          h("p", null, site.name),
          multiSite
            ? h(
                "div",
                { class: "form-actions" },
                h(
                  "button",
                  {
                    type: "button",
                    class: "btn btn-secondary",
                    onclick: () => {
                      // Another site means another session list: not while a run is showing its outcomes.
                      if (app.isRunActive()) {
                        siteStatus.replaceChildren(
                          callout("warning", "A recording request is still running", "Wait for it to finish, or cancel it, first."),
                        );
                        return;
                      }
                      app.showSitePicker(null);
                    },
                  },
                  "Choose another site",
                ),
              )
            : null,
          siteStatus,
        )
      : null,
    h("section", { class: "card", "aria-labelledby": "prefs-title" }, h("h2", { id: "prefs-title" }, "Recording"), prefs),
    updates,
    h(
      "p",
      { class: "muted about" },
      `Recording Desk ${app.status?.version ?? ""}`,
      app.settings.locked.length > 0 ? " \u00b7 Some settings are set by your organisation" : null,
    ),
  );
}
