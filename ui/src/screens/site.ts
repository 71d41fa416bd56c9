import { h } from "../dom";
import type { CommandError } from "../ipc";
import { callout, errorView } from "../components/error-view";
import type { Connection } from "../types";

/** What the site picker needs from the window around it. */
export interface SiteHost {
  readonly connection: Pick<Connection, "sites" | "siteId"> | null;
  /** Selects the site and shows its sessions; rejects while a run is under way. */
  chooseSite(siteId: string): Promise<void>;
  /** Leaves this account for the Connect screen. */
  leave(): Promise<void>;
  /** Sends the officer back to Connect when the error ended the connection; true if it did. */
  handleFatal(err: CommandError): boolean;
}

export function sitePickerScreen(app: SiteHost, error: CommandError | null): HTMLElement {
  const conn = app.connection;
  const sites = conn?.sites ?? [];
  const errorSlot = h("div", { class: "error-slot" });
  if (error) errorSlot.appendChild(errorView(error));

  if (sites.length === 0) {
    return h(
      "section",
      { class: "screen screen-narrow", "aria-labelledby": "site-title" },
      h("h1", { id: "site-title", tabindex: -1 }, "No Citrix site found"),
      callout(
        "warning",
        "This Citrix Cloud account has no Citrix DaaS site.",
        "Check with your Citrix administrator that the account you connected with manages your organisation's Citrix DaaS site.",
      ),
      errorSlot,
      h("button", { type: "button", class: "btn btn-secondary", onclick: () => void app.leave() }, "Use a different account"),
    );
  }

  // Names are what officers know; an ID is only shown where two sites share a name.
  const names = new Map<string, number>();
  for (const s of sites) names.set(s.name, (names.get(s.name) ?? 0) + 1);
  const current = conn?.siteId ?? sites[0].id;
  const options = sites.map((s) =>
    h(
      "label",
      { class: "choice" },
      h("input", { type: "radio", name: "site", value: s.id, checked: s.id === current }),
      h("span", { class: "choice-text" }, s.name, (names.get(s.name) ?? 0) > 1 ? h("span", { class: "muted mono" }, ` (${s.id})`) : null),
    ),
  );
  const submit = h("button", { type: "submit", class: "btn btn-primary" }, "Continue");
  const form = h(
    "form",
    { class: "site-form" },
    h("fieldset", null, h("legend", null, "Sites"), ...options),
    errorSlot,
    h("div", { class: "form-actions" }, submit),
  );
  const submitSite = async (e: Event): Promise<void> => {
    e.preventDefault();
    const chosen = form.querySelector<HTMLInputElement>('input[name="site"]:checked');
    if (!chosen) return;
    submit.disabled = true;
    errorSlot.replaceChildren();
    try {
      await app.chooseSite(chosen.value);
    } catch (err) {
      submit.disabled = false;
      const e2 = err as CommandError;
      if (!app.handleFatal(e2)) errorSlot.replaceChildren(errorView(e2));
    }
  };
  form.addEventListener("submit", (e) => void submitSite(e));
  return h(
    "section",
    { class: "screen screen-narrow", "aria-labelledby": "site-title" },
    h("h1", { id: "site-title", tabindex: -1 }, "Choose a site"),
    h(
      "p",
      { class: "lede" },
      "This Citrix Cloud account has more than one site. Choose the one whose sessions you want to work with; Recording Desk remembers your choice.",
    ),
    h("div", { class: "card" }, form),
  );
}
