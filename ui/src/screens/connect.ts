import { h, icon, spinner } from "../dom";
import { REGION_LABELS } from "../format";
import * as ipc from "../ipc";
import type { CommandError } from "../ipc";
import { callout, errorView } from "../components/error-view";
import { field, setFieldError, type Field } from "../components/field";
import { lockField } from "../components/managed";
import type { AppStatus, Connection, InputField, Region, SavedAccount, Settings } from "../types";

/** What the Connect screen needs from the window around it. */
export interface ConnectHost {
  /** The testing aid's address, when set, is named on the screen. */
  readonly status: Pick<AppStatus, "cloudUrlOverride"> | null;
  /** The account fields the organisation set (pre-filled and locked), and whether the demo site is offered. */
  readonly settings: Pick<Settings, "managedAccount" | "demoSiteOffered">;
  /** Takes the officer on from a new connection (site choice, then Sessions). */
  onConnected(conn: Connection): Promise<void>;
}

interface ConnectOptions {
  prefill: SavedAccount | null;
  error: CommandError | null;
  /** The officer asked to add another account (from the account menu). */
  adding?: boolean;
}

export function connectScreen(app: ConnectHost, opts: ConnectOptions): HTMLElement {
  const prefill = opts.prefill;
  const managed = app.settings.managedAccount;
  const region = h(
    "select",
    { name: "region" },
    ...(Object.keys(REGION_LABELS) as Region[]).map((r) =>
      h("option", { value: r, selected: (managed.region ?? prefill?.region ?? "us") === r }, REGION_LABELS[r]),
    ),
  );
  const customer = h("input", {
    type: "text",
    name: "customerId",
    autocomplete: "off",
    spellcheck: "false",
    value: managed.customerId ?? prefill?.customerId ?? "",
  });
  const client = h("input", {
    type: "text",
    name: "clientId",
    autocomplete: "off",
    spellcheck: "false",
    value: managed.clientId ?? prefill?.clientId ?? "",
  });
  // The name the account is kept under: follows the customer ID until the officer types one.
  const defaultName = (customerId: string): string =>
    prefill && customerId === prefill.customerId ? prefill.name : customerId ? `Citrix Cloud (${customerId})` : "";
  const name = h("input", {
    type: "text",
    name: "profileName",
    autocomplete: "off",
    maxlength: 64,
    value: prefill?.name ?? "",
  });
  let nameTouched = false;
  name.addEventListener("input", () => {
    nameTouched = name.value.trim() !== "";
  });
  customer.addEventListener("input", () => {
    if (!nameTouched) name.value = defaultName(customer.value.trim());
  });
  const storedSecret = prefill?.secretStored ?? false;
  const secret = h("input", {
    type: "password",
    name: "secret",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: storedSecret ? "Saved on this computer \u2014 leave empty to use it" : "",
  });
  const toggle = h(
    "button",
    { type: "button", class: "btn btn-secondary btn-inline", "aria-pressed": "false", "aria-label": "Show secret" },
    icon("eye"),
    h("span", { class: "toggle-text" }, "Show"),
  );
  toggle.addEventListener("click", () => {
    const show = secret.type === "password";
    secret.type = show ? "text" : "password";
    toggle.setAttribute("aria-pressed", String(show));
    toggle.replaceChildren(icon(show ? "eyeOff" : "eye"), h("span", { class: "toggle-text" }, show ? "Hide" : "Show"));
  });

  const fRegion = field("Region", "Shown in your Citrix Cloud web address, for example eu.cloud.com.", region);
  const fCustomer = field("Customer ID", "In Citrix Cloud: Identity and Access Management > API Access.", customer);
  const fClient = field("Client ID", "API Access > Secure clients: the ID of the client created for Recording Desk.", client);
  const fName = field("Name", "How this account is listed in Recording Desk, for example \u201cAcme EU\u201d.", name);
  const fSecret = field("Secret", "Shown once, when that client is created. Kept in this computer's password store.", secret, toggle);
  // The account the organisation set: filled in, fixed, and the only one the backend accepts.
  if (managed.region) lockField(fRegion);
  if (managed.customerId) lockField(fCustomer);
  if (managed.clientId) lockField(fClient);

  const errorSlot = h("div", { class: "error-slot" });
  if (opts.error) errorSlot.appendChild(errorView(opts.error));
  const progress = h("p", { class: "progress-text", role: "status" });
  const submit = h("button", { type: "submit", class: "btn btn-primary" }, "Connect");
  const demoButton = h("button", { type: "button", class: "btn btn-secondary" }, "Open the demo site");
  const demoError = h("div", { class: "error-slot" });

  let busy = false;
  const setBusy = (on: boolean, text = "") => {
    busy = on;
    submit.disabled = on;
    demoButton.disabled = on;
    progress.replaceChildren(...(on ? [spinner(), text] : []));
  };

  const form = h(
    "form",
    { class: "connect-form", novalidate: true, "aria-labelledby": "connect-cloud-title" },
    h("div", { class: "field-row" }, fRegion.wrap, fCustomer.wrap),
    fClient.wrap,
    fName.wrap,
    fSecret.wrap,
    errorSlot,
    h("div", { class: "form-actions" }, submit, progress),
  );

  const submitForm = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (busy) return;
    const customerId = customer.value.trim();
    const clientId = client.value.trim();
    const secretText = secret.value.trim();
    const nameText = name.value.trim() || defaultName(customerId);
    // The saved account this form signs in to; another customer or client is a new account.
    const saved = prefill !== null && prefill.customerId === customerId && prefill.clientId.toLowerCase() === clientId.toLowerCase();
    const sameAccount = storedSecret && saved;
    setFieldError(fCustomer, customerId ? null : "Enter the customer ID.");
    setFieldError(fClient, clientId ? null : "Enter the client ID.");
    setFieldError(fSecret, secretText || sameAccount ? null : "Enter the secret.");
    const firstInvalid = [fCustomer, fClient, fSecret].find((f) => !f.error.hidden);
    if (firstInvalid) {
      firstInvalid.input.focus();
      return;
    }
    errorSlot.replaceChildren();
    setBusy(true, "Connecting to Citrix Cloud\u2026 This can take a few seconds.");
    try {
      const conn = await ipc.connectCloud(
        region.value as Region,
        customerId,
        clientId,
        secretText || null,
        nameText || null,
        saved && prefill ? prefill.profileId : null,
      );
      secret.value = "";
      setBusy(false);
      await app.onConnected(conn);
    } catch (err) {
      setBusy(false);
      const e = err as CommandError;
      // Recording Desk's own checks name the field: show the message under it.
      const target = e.field ? fieldFor(e.field) : null;
      if (target) {
        setFieldError(target, e.message);
        target.input.focus();
        return;
      }
      errorSlot.replaceChildren(errorView(e));
      if (e.kind === "badCredentials" || e.kind === "noSecretStored") secret.focus({ preventScroll: true });
      else if (e.kind === "wrongRegion") region.focus({ preventScroll: true });
      else errorSlot.querySelector<HTMLElement>(".callout")?.focus({ preventScroll: true });
      errorSlot.scrollIntoView({ block: "nearest" });
    }
  };
  form.addEventListener("submit", (e) => void submitForm(e));

  /** The sign-in form's field an error names; other fields (settings) are not on this form. */
  const fieldFor = (field: InputField): Field | null => {
    switch (field) {
      case "customerId":
        return fCustomer;
      case "clientId":
        return fClient;
      case "secret":
        return fSecret;
      case "profileName":
        return fName;
      case "concurrency":
      case "reason":
      case "caseRef":
        return null;
    }
  };

  const openDemo = async (): Promise<void> => {
    if (busy) return;
    demoError.replaceChildren();
    setBusy(true, "Opening the demo site\u2026");
    try {
      const conn = await ipc.connectDemo();
      setBusy(false);
      await app.onConnected(conn);
    } catch (err) {
      setBusy(false);
      demoError.replaceChildren(errorView(err as CommandError));
    }
  };
  demoButton.addEventListener("click", () => void openDemo());

  const override = app.status?.cloudUrlOverride;
  return h(
    "section",
    { class: "screen screen-connect", "aria-labelledby": "welcome-title" },
    h(
      "div",
      { class: "screen-head" },
      h("h1", { id: "welcome-title", tabindex: -1 }, "Welcome to Recording Desk"),
      h(
        "p",
        { class: "lede" },
        "Recording Desk starts and stops Citrix Session Recording on your organisation's Citrix sessions, and keeps an audit trail of every request.",
      ),
    ),
    override ? callout("warning", "Test connection", `Citrix requests go to ${override} instead of Citrix Cloud.`) : null,
    h(
      "div",
      { class: app.settings.demoSiteOffered ? "connect-grid" : "connect-grid connect-grid-single" },
      h(
        "div",
        { class: "card card-connect" },
        h("h2", { id: "connect-cloud-title" }, opts.adding ? "Add a Citrix account" : "Connect to Citrix Cloud"),
        h(
          "p",
          { class: "card-intro" },
          "Use the API access details of your Citrix Cloud account. Your IT or Citrix administrator can give them to you.",
        ),
        form,
      ),
      app.settings.demoSiteOffered
        ? h(
            "div",
            { class: "card card-demo" },
            h("span", { class: "badge badge-demo" }, "Demo"),
            h("h2", null, "Try the demo site"),
            h(
              "p",
              null,
              "Explore Recording Desk on a made-up site with sample sessions. Nothing real is recorded and no Citrix account is needed.",
            ),
            demoButton,
            demoError,
          )
        : null,
    ),
  );
}

/** Shown while the app reconnects by itself: to the saved account, or (null) to the demo site. */
export function connectingScreen(account: SavedAccount | null, onChange: () => void): HTMLElement {
  return h(
    "section",
    { class: "screen screen-center", "aria-labelledby": "connecting-title", "aria-busy": "true" },
    h(
      "div",
      { class: "card card-narrow connecting" },
      spinner(),
      h("h1", { id: "connecting-title", tabindex: -1 }, account ? `Connecting to ${account.name}\u2026` : "Opening the demo site\u2026"),
      h(
        "p",
        { class: "muted" },
        account
          ? `Citrix Cloud, ${REGION_LABELS[account.region]}, customer ${account.customerId}, with the account saved on this computer.`
          : "You were last working on the demo site.",
      ),
      h(
        "button",
        { type: "button", class: "btn btn-secondary", onclick: onChange },
        account ? "Use a different account" : "Connect to Citrix Cloud instead",
      ),
    ),
  );
}
