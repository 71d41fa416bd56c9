// The question asked before every start or stop: what will happen to whom, and why, for which
// case. The reason and case are checked by the backend (the same rules rdesk follows) before the
// dialog closes, so a problem is shown next to its field with everything typed still there.
import { h, nextId } from "../dom";
import { plural } from "../format";
import * as ipc from "../ipc";
import type { CommandError } from "../ipc";
import { errorView } from "./error-view";
import { confirmDialog } from "./dialog";
import { field, setFieldError, type Field } from "./field";
import { managedBadge } from "./managed";
import type { Justification, RunAction, Settings } from "../types";

export interface RunQuestion {
  action: RunAction;
  /** Sessions that will be asked. */
  count: number;
  /** Their users' names, already summarised ("Jane Smith, Wei Zhang and 3 more"). */
  names: string;
  /** Selected sessions left out (a start skips sessions that cannot be recorded). */
  skipped: number;
  settings: Pick<Settings, "requireReason" | "requireCase" | "recentReasons" | "recentCases" | "notifyUser">;
}

/**
 * "Start recording 3 sessions for case INV-2291, without telling the users?": the title names
 * the case when there is one, and for a start says whether the users are told.
 */
export function runQuestion(action: RunAction, count: number, caseRef: string): string {
  const sessions = count === 1 ? "1 session" : plural(count, "session");
  const forCase = caseRef.trim() ? ` for case ${caseRef.trim()}` : "";
  if (action.action === "stop") return `Stop recording ${sessions}${forCase}?`;
  const whom = count === 1 ? "the user" : "the users";
  return action.notifyUser
    ? `Start recording ${sessions}${forCase} and tell ${whom}?`
    : `Start recording ${sessions}${forCase}, without telling ${whom}?`;
}

function suggestions(values: string[]): HTMLDataListElement {
  return h("datalist", { id: nextId("recent") }, ...values.map((v) => h("option", { value: v })));
}

function textField(label: string, hint: string, name: string, recent: string[]): { f: Field; list: HTMLDataListElement } {
  const list = suggestions(recent);
  // No maxlength: a pasted text that is too long is kept whole and explained, not cut silently.
  const input = h("input", { type: "text", name, autocomplete: "off", list: list.id });
  return { f: field(label, hint, input), list };
}

/** Resolves with the checked reason and case when the officer confirms, null on Cancel or Escape. */
export async function confirmRun(q: RunQuestion): Promise<Justification | null> {
  const required = (yes: boolean) => (yes ? " (required)" : " (optional)");
  const reason = textField(
    `Reason${required(q.settings.requireReason)}`,
    "Why this is needed, in a sentence. It is kept with every record of this request in the audit trail.",
    "reason",
    q.settings.recentReasons,
  );
  const caseRef = textField(
    `Case or ticket reference${required(q.settings.requireCase)}`,
    "For example INV-2291. The Audit screen can show every record of a case.",
    "caseRef",
    q.settings.recentCases,
  );
  const title = h("span", null, runQuestion(q.action, q.count, ""));
  caseRef.f.input.addEventListener("input", () => {
    title.textContent = runQuestion(q.action, q.count, caseRef.f.input.value);
  });
  for (const { f } of [reason, caseRef]) f.input.addEventListener("input", () => setFieldError(f, null));
  const problem = h("div", { class: "error-slot" });
  let checked: Justification | null = null;

  const ok = await confirmDialog({
    title,
    body: [
      h("p", { class: "confirm-names" }, `${q.names}.`),
      q.action.action === "start"
        ? h(
            "p",
            { class: q.settings.notifyUser === "ask" ? null : "confirm-notify managed-row" },
            q.action.notifyUser
              ? q.count === 1
                ? "The user will see a notice that the session is being recorded."
                : "Each user will see a notice that their session is being recorded."
              : q.count === 1
                ? "The user will not be told that the session is being recorded."
                : "The users will not be told that their sessions are being recorded.",
            // The organisation decided: the choice is shown fixed, and said to be theirs.
            q.settings.notifyUser === "ask" ? null : managedBadge(),
          )
        : h("p", null, "Recording stops at once; what was recorded so far is kept."),
      q.skipped > 0 ? h("p", { class: "warn" }, `${plural(q.skipped, "selected session")} can't be recorded and will be skipped.`) : null,
      h("div", { class: "run-why" }, reason.f.wrap, reason.list, caseRef.f.wrap, caseRef.list),
      problem,
    ],
    confirmLabel: q.action.action === "start" ? "Start recording" : "Stop recording",
    initialFocus: reason.f.input,
    beforeConfirm: async () => {
      problem.replaceChildren();
      try {
        checked = await ipc.checkJustification({ reason: reason.f.input.value, caseRef: caseRef.f.input.value });
        return true;
      } catch (err) {
        const e = err as CommandError;
        const at = e.field === "reason" ? reason.f : e.field === "caseRef" ? caseRef.f : null;
        if (at) {
          setFieldError(at, e.message);
          at.input.focus();
        } else {
          problem.replaceChildren(errorView(e));
        }
        return false;
      }
    },
  });
  return ok ? checked : null;
}
