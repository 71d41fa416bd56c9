// Modal dialogs on the native <dialog>: showModal() makes the rest of the window inert and
// Escape closes it; Tab is additionally kept inside so focus never lands on the page behind.
import { h, nextId, type Child } from "../dom";

const FOCUSABLE =
  'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

export function trapFocus(dialog: HTMLDialogElement): void {
  dialog.addEventListener("keydown", (e) => {
    if (e.key !== "Tab") return;
    const items = [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
      (el) => el.offsetParent !== null || el === document.activeElement,
    );
    if (items.length === 0) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (e.shiftKey && (document.activeElement === first || !dialog.contains(document.activeElement))) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  });
}

export interface ConfirmOptions {
  /** Text, or an element the caller keeps up to date (the run dialog names the case as it is typed). */
  title: Child;
  body: Child;
  confirmLabel: string;
  cancelLabel?: string;
  tone?: "primary" | "danger";
  /** Focused when the dialog opens; the Cancel button when not given. */
  initialFocus?: HTMLElement;
  /**
   * Runs on the confirm button; the dialog stays open (with everything typed in it) unless it
   * resolves true.
   */
  beforeConfirm?: () => Promise<boolean>;
}

/** Resolves true when the officer confirms, false on Cancel or Escape. */
export function confirmDialog(opts: ConfirmOptions): Promise<boolean> {
  return new Promise((resolve) => {
    const titleId = nextId("dlg-title");
    const bodyId = nextId("dlg-body");
    const returnTo = document.activeElement as HTMLElement | null;
    const cancel = h("button", { type: "button", class: "btn btn-secondary", value: "cancel" }, opts.cancelLabel ?? "Cancel");
    const ok = h(
      "button",
      { type: "button", class: `btn ${opts.tone === "danger" ? "btn-danger" : "btn-primary"}`, value: "ok" },
      opts.confirmLabel,
    );
    const dialog = h(
      "dialog",
      { class: "modal", "aria-labelledby": titleId, "aria-describedby": bodyId },
      h("h2", { id: titleId, class: "modal-title" }, opts.title),
      h("div", { id: bodyId, class: "modal-body" }, opts.body),
      h("div", { class: "modal-actions" }, cancel, ok),
    );
    let result = false;
    cancel.addEventListener("click", () => dialog.close());
    ok.addEventListener("click", () => {
      void (async () => {
        if (opts.beforeConfirm) {
          ok.disabled = true;
          const go = await opts.beforeConfirm().finally(() => {
            ok.disabled = false;
          });
          if (!go) return;
        }
        result = true;
        dialog.close();
      })();
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      returnTo?.focus?.();
      resolve(result);
    });
    trapFocus(dialog);
    document.body.appendChild(dialog);
    dialog.showModal();
    // The safe choice has focus, so an Enter pressed by habit does not start anything.
    (opts.initialFocus ?? cancel).focus();
  });
}
