// "Set by your organisation": how a setting that IT set and locked for everyone on this computer
// is shown wherever it appears (Settings, the sign-in form, the run question). The backend refuses
// changes to it anyway; the UI shows it fixed so nobody tries.
import { h, icon, nextId, type Child } from "../dom";
import type { Field } from "./field";
import type { SettingName, Settings } from "../types";

export const MANAGED_LABEL = "Set by your organisation";
export const MANAGED_EXPLANATION =
  "Your IT department set this for everyone who uses Recording Desk on this computer, so it can't be changed here. If it needs to change, ask your IT department.";

export function isLocked(settings: Pick<Settings, "locked">, name: SettingName): boolean {
  return settings.locked.includes(name);
}

/** The badge next to a locked setting; hovering it (or a screen reader's description) explains it. */
export function managedBadge(): HTMLElement {
  return h("span", { class: "badge-managed", id: nextId("managed"), title: MANAGED_EXPLANATION }, icon("lock"), MANAGED_LABEL);
}

/** Disables `control` and returns the badge that says why, read by screen readers with the control. */
export function lockControl(control: HTMLInputElement | HTMLSelectElement): HTMLElement {
  const badge = managedBadge();
  control.disabled = true;
  control.title = MANAGED_EXPLANATION;
  const described = control.getAttribute("aria-describedby");
  control.setAttribute("aria-describedby", described ? `${badge.id} ${described}` : badge.id);
  return badge;
}

/** `first` (a label, a checkbox with its label) and the badge on one line. */
export function withBadge(first: Child, badge: HTMLElement | null): Child {
  return badge ? h("div", { class: "managed-row" }, first, badge) : first;
}

/** Locks a labelled form field: disabled, with the badge beside its label. */
export function lockField(f: Field): void {
  const badge = lockControl(f.input);
  const label = f.wrap.querySelector("label");
  if (!label) return;
  const row = h("div", { class: "managed-row" });
  label.replaceWith(row);
  row.append(label, badge);
}

/** The line that says some settings here are the organisation's, when any is. */
export function managedNote(settings: Pick<Settings, "locked">): HTMLElement | null {
  if (settings.locked.length === 0) return null;
  return h(
    "p",
    { class: "managed-note" },
    icon("lock"),
    h(
      "span",
      null,
      "Some settings are set by your organisation. Your IT department set them for everyone who uses Recording Desk on this computer; ask them if one needs to change.",
    ),
  );
}
