// The About box: which version is installed and whether it is the newest, with the one next step
// that fits (install the new version, restart into it, or look again). Opened from the app menu's
// About item and from Settings. The words come from the backend (desk-core's updates module), so
// the box, the notice and the log say the same thing.
import { h, icon, nextId, spinner } from "../dom";
import * as ipc from "../ipc";
import type { CommandError } from "../ipc";
import { trapFocus } from "./dialog";
import { errorView } from "./error-view";
import { managedBadge } from "./managed";
import type { UpdateStatus } from "../types";

/** What the About box needs from the window around it. */
export interface AboutHost {
  /** The latest status the window knows; the box asks the backend again when it opens. */
  readonly updateStatus: UpdateStatus | null;
  /** Called with each status the box receives, so the window's notice follows it. */
  setUpdateStatus(status: UpdateStatus): void;
}

/** The box's content for one status; `act` runs a button's command. */
function body(status: UpdateStatus, act: (step: () => Promise<UpdateStatus | null>) => void): HTMLElement {
  const busy = status.state === "checking" || status.state === "downloading";
  const tone =
    status.state === "available" || status.state === "readyToRestart"
      ? "info"
      : status.state === "current"
        ? "success"
        : status.state === "refused" || status.state === "couldNotCheck" || status.state === "installFailed"
          ? "warning"
          : "neutral";
  const iconName = tone === "success" ? "check" : tone === "warning" ? "warning" : "info";
  const actions: HTMLElement[] = [];
  if (status.state === "available") {
    actions.push(
      h(
        "button",
        { type: "button", class: "btn btn-primary", "data-action": "install", onclick: () => act(ipc.updateInstall) },
        `Install version ${status.version}`,
      ),
    );
  } else if (status.state === "readyToRestart") {
    actions.push(
      h(
        "button",
        {
          type: "button",
          class: "btn btn-primary",
          "data-action": "restart",
          onclick: () =>
            act(async () => {
              await ipc.updateRestart();
              return null;
            }),
        },
        "Restart Recording Desk",
      ),
    );
  } else if (status.canCheck) {
    const again = status.state === "couldNotCheck" || status.state === "installFailed" || status.state === "current";
    actions.push(
      h(
        "button",
        { type: "button", class: "btn btn-secondary", "data-action": "check", onclick: () => act(ipc.updateCheck) },
        again ? "Check again" : "Check for a new version",
      ),
    );
  }
  const progress =
    status.state === "downloading" && status.percent !== null
      ? h("progress", { class: "about-progress", max: 100, value: status.percent, "aria-label": "Downloaded" })
      : null;
  return h(
    "div",
    { class: "about-update", "data-state": status.state },
    h(
      "div",
      { class: `about-status about-status-${tone}` },
      busy ? spinner() : icon(iconName, "icon"),
      h("p", { class: "about-message" }, status.message),
    ),
    status.state === "turnedOff" ? h("p", { class: "about-managed" }, managedBadge()) : null,
    progress,
    status.state === "available" && status.notes ? h("p", { class: "about-notes" }, status.notes) : null,
    actions.length > 0 ? h("div", { class: "about-actions" }, ...actions) : null,
  );
}

/** Opens the About box; resolves when it is closed. */
export function aboutDialog(host: AboutHost): Promise<void> {
  return new Promise((resolve) => {
    const titleId = nextId("about-title");
    const returnTo = document.activeElement as HTMLElement | null;
    // Announced when the status changes: a look or a download ends while the box is open.
    const live = h("div", { class: "about-live", role: "status", "aria-live": "polite" });
    const version = h("strong", { class: "mono" }, host.updateStatus?.installed ?? "\u2014");
    const problem = h("div", { class: "error-slot" });
    const close = h("button", { type: "button", class: "btn btn-secondary", value: "close" }, "Close");
    const dialog = h(
      "dialog",
      { class: "modal modal-about", "aria-labelledby": titleId },
      h("h2", { id: titleId, class: "modal-title" }, "About Recording Desk"),
      h(
        "div",
        { class: "modal-body" },
        h("p", { class: "about-lead" }, "Start and stop Citrix Session Recording on the sessions of a Citrix DaaS site."),
        h("p", { class: "about-version" }, "Installed version ", version),
        live,
        problem,
        h("p", { class: "muted about-copyright" }, "Copyright \u00a9 2026 Recording Desk"),
      ),
      h("div", { class: "modal-actions" }, close),
    );

    let open = true;
    const show = (status: UpdateStatus): void => {
      if (!open) return;
      const hadFocus = dialog.contains(document.activeElement) && document.activeElement !== close;
      version.textContent = status.installed;
      live.replaceChildren(body(status, act));
      // Focus stays in the box when the button that had it went away with the old status.
      if (hadFocus && !dialog.contains(document.activeElement)) {
        (live.querySelector<HTMLElement>("button") ?? close).focus();
      }
    };
    const act = (step: () => Promise<UpdateStatus | null>): void => {
      problem.replaceChildren();
      for (const b of live.querySelectorAll("button")) b.disabled = true;
      void step()
        .then((status) => {
          if (status) {
            host.setUpdateStatus(status);
            show(status);
          }
        })
        .catch((err: unknown) => {
          problem.replaceChildren(errorView(err as CommandError));
          for (const b of live.querySelectorAll("button")) b.disabled = false;
        });
    };

    const stop = ipc.onUpdateStatus((status) => show(status));
    close.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      open = false;
      void stop.then((unlisten) => unlisten()).catch(() => undefined);
      dialog.remove();
      returnTo?.focus?.();
      resolve();
    });
    trapFocus(dialog);
    if (host.updateStatus) show(host.updateStatus);
    else live.replaceChildren(h("p", { class: "loading" }, spinner(), "Finding out which version is installed\u2026"));
    document.body.appendChild(dialog);
    dialog.showModal();
    close.focus();
    void ipc
      .updateStatus()
      .then((status) => {
        host.setUpdateStatus(status);
        show(status);
      })
      .catch((err: unknown) => problem.replaceChildren(errorView(err as CommandError)));
  });
}
