import { h, icon, type Child } from "../dom";
import { describeIpcError, messageIsAdvice } from "../errors";
import type { IpcError } from "../types";

export interface ErrorViewOptions {
  /** Text of a button offering the next step, e.g. "Try again". */
  actionLabel?: string;
  onAction?: () => void;
  extra?: Child;
}

/**
 * An error as the officer sees it: what happened, what to do, and the raw text folded away for
 * IT. Messages Recording Desk wrote for the officer (invalid input) are the advice itself.
 */
export function errorView(err: IpcError, opts: ErrorViewOptions = {}): HTMLElement {
  const copy = describeIpcError(err);
  return h(
    "div",
    { class: "callout callout-error", role: "alert", tabindex: -1, "data-kind": err.kind },
    icon("warning", "icon callout-icon"),
    h(
      "div",
      { class: "callout-body" },
      h("p", { class: "callout-title" }, copy.title),
      h("p", { class: "callout-text" }, copy.advice),
      opts.extra ?? null,
      opts.actionLabel && opts.onAction
        ? h("p", null, h("button", { type: "button", class: "btn btn-secondary", onclick: opts.onAction }, opts.actionLabel))
        : null,
      err.message && !messageIsAdvice(err.kind)
        ? h(
            "details",
            { class: "it-details" },
            h("summary", null, "Details for your IT team"),
            h("p", { class: "mono" }, `${err.kind}: ${err.message}`),
          )
        : null,
    ),
  );
}

export function callout(kind: "info" | "success" | "warning", title: Child, text?: Child, role: "status" | null = null): HTMLElement {
  const iconName = kind === "success" ? "check" : kind === "warning" ? "warning" : "info";
  return h(
    "div",
    { class: `callout callout-${kind}`, role },
    icon(iconName, "icon callout-icon"),
    h("div", { class: "callout-body" }, h("p", { class: "callout-title" }, title), text ? h("p", { class: "callout-text" }, text) : null),
  );
}
