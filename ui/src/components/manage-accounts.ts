// "Manage accounts…": the saved Citrix accounts, each renamed in place or removed after a
// confirmation (its secret leaves this computer's password store; the audit trail keeps every
// record made with it). The demo site is listed as built in.
import { h, nextId } from "../dom";
import * as ipc from "../ipc";
import type { CommandError } from "../ipc";
import { confirmDialog, trapFocus } from "./dialog";
import { errorView } from "./error-view";
import { profileDetail } from "./account-menu";
import type { ProfileInfo } from "../types";

export interface ManageHost {
  /** After a rename or removal: the accounts as they are now, and the removed one's id. */
  profilesChanged(profiles: ProfileInfo[], removed: string | null): void;
}

export function manageAccountsDialog(host: ManageHost, profiles: ProfileInfo[]): Promise<void> {
  return new Promise((resolve) => {
    const titleId = nextId("dlg-title");
    const returnTo = document.activeElement as HTMLElement | null;
    const list = h("ul", { class: "manage-list", "aria-labelledby": titleId });
    const status = h("div", { class: "error-slot", role: "status" });
    const close = h("button", { type: "button", class: "btn btn-secondary" }, "Close");
    const dialog = h(
      "dialog",
      { class: "modal modal-wide", "aria-labelledby": titleId },
      h("h2", { id: titleId, class: "modal-title" }, "Manage Citrix accounts"),
      h(
        "div",
        { class: "modal-body" },
        h("p", null, "Rename an account, or remove it from this computer. The audit trail keeps every record, whatever you remove."),
        list,
        status,
      ),
      h("div", { class: "modal-actions" }, close),
    );
    let current = profiles;

    const render = (focusName: string | null = null): void => {
      list.replaceChildren(...current.map((p) => row(p)));
      const target = focusName
        ? [...list.querySelectorAll<HTMLElement>("[data-profile]")].find((el) => el.dataset.profile === focusName)
        : null;
      (target?.querySelector<HTMLElement>("button") ?? close).focus();
    };

    const row = (p: ProfileInfo): HTMLElement => {
      const text = h(
        "div",
        { class: "manage-text" },
        h("span", { class: "manage-name" }, p.name, p.current ? h("span", { class: "badge badge-inline" }, "Current") : null),
        h("span", { class: "manage-detail muted" }, profileDetail(p)),
      );
      if (p.mode === "demo") {
        return h("li", { class: "manage-row", "data-profile": p.id }, text, h("span", { class: "muted manage-builtin" }, "Built in"));
      }
      const rename = h("button", { type: "button", class: "btn btn-secondary btn-small", "aria-label": `Rename ${p.name}` }, "Rename");
      const remove = h("button", { type: "button", class: "btn btn-danger-outline btn-small", "aria-label": `Remove ${p.name}` }, "Remove");
      const li = h("li", { class: "manage-row", "data-profile": p.id }, text, h("div", { class: "manage-actions" }, rename, remove));
      rename.addEventListener("click", () => editName(li, p));
      remove.addEventListener("click", () => void removeOne(p));
      return li;
    };

    const editName = (li: HTMLElement, p: ProfileInfo): void => {
      const inputId = nextId("rename");
      const errorId = nextId("rename-error");
      const input = h("input", {
        type: "text",
        id: inputId,
        value: p.name,
        maxlength: 64,
        autocomplete: "off",
        "aria-describedby": errorId,
      });
      const error = h("p", { id: errorId, class: "field-error", hidden: true });
      const save = h("button", { type: "submit", class: "btn btn-primary btn-small" }, "Save");
      const cancel = h("button", { type: "button", class: "btn btn-secondary btn-small" }, "Cancel");
      const form = h(
        "form",
        { class: "manage-rename", novalidate: true },
        h("label", { for: inputId }, `New name for ${p.name}`),
        input,
        error,
        h("div", { class: "manage-actions" }, save, cancel),
      );
      cancel.addEventListener("click", () => render(p.id));
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        void (async () => {
          save.disabled = true;
          try {
            current = await ipc.renameProfile(p.id, input.value);
            host.profilesChanged(current, null);
            render(p.id);
          } catch (err) {
            error.textContent = (err as CommandError).message;
            error.hidden = false;
            input.setAttribute("aria-invalid", "true");
            input.focus();
          } finally {
            save.disabled = false;
          }
        })();
      });
      li.replaceChildren(form);
      input.focus();
      input.select();
    };

    const removeOne = async (p: ProfileInfo): Promise<void> => {
      status.replaceChildren();
      const ok = await confirmDialog({
        title: `Remove \u201c${p.name}\u201d?`,
        body: h(
          "p",
          null,
          `Recording Desk will forget this account (customer ${p.customerId}) and delete its secret from this computer's password store. You will need the secret again to add it back. The audit trail keeps every record made with it.`,
        ),
        confirmLabel: "Remove",
        tone: "danger",
      });
      if (!ok) return;
      try {
        current = await ipc.removeProfile(p.id);
        host.profilesChanged(current, p.id);
        render();
        status.textContent = `\u201c${p.name}\u201d was removed from this computer.`;
      } catch (err) {
        status.replaceChildren(errorView(err as CommandError));
      }
    };

    close.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      dialog.remove();
      returnTo?.focus?.();
      resolve();
    });
    trapFocus(dialog);
    document.body.appendChild(dialog);
    dialog.showModal();
    render(current.find((p) => p.current && p.mode === "cloud")?.id ?? null);
  });
}
