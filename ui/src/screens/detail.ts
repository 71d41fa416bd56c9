// The session detail drawer: the facts an officer checks first, then everything Citrix reports
// as a collapsible tree, and the raw answer to the last start/stop request.
import { type Child, h, icon, spinner } from "../dom";
import { displayName, formatTime, protocolLabel } from "../format";
import * as ipc from "../ipc";
import type { CommandError } from "../ipc";
import { trapFocus } from "../components/dialog";
import { errorView } from "../components/error-view";
import { jsonTree, setAllOpen } from "../components/json-tree";
import { notRecordableNote, recordingChip } from "../components/session-table";
import type { SessionStore } from "../store";
import type { SessionDetail } from "../types";

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Some webviews refuse the async clipboard; a selected, hidden textarea still copies.
    const ta = h("textarea", { class: "offscreen", "aria-hidden": "true", readonly: true });
    ta.value = text;
    document.body.appendChild(ta);
    ta.select();
    const ok = document.execCommand("copy");
    ta.remove();
    return ok;
  }
}

function copyButton(label: string, accessible: string, text: () => string): HTMLElement {
  const feedback = h("span", { class: "copy-feedback", role: "status" });
  const button = h("button", { type: "button", class: "btn btn-secondary btn-small", "aria-label": accessible }, icon("copy"), label);
  const copy = async (): Promise<void> => {
    const ok = await copyText(text());
    feedback.textContent = ok ? "Copied" : "Could not copy";
    window.setTimeout(() => (feedback.textContent = ""), 2500);
  };
  button.addEventListener("click", () => void copy());
  return h("span", { class: "copy-wrap" }, button, feedback);
}

function fact(term: string, ...value: Child[]): HTMLElement[] {
  return [h("dt", null, term), h("dd", null, ...value)];
}

function renderDetail(detail: SessionDetail): HTMLElement {
  const r = detail.row;
  const saveStatus = h("div", { class: "save-status", role: "status" });
  const tree = jsonTree(detail.json, "Session data from Citrix", 1, "Session");
  const save = h("button", { type: "button", class: "btn btn-secondary btn-small" }, icon("save"), "Save to file\u2026");
  const saveToFile = async (): Promise<void> => {
    saveStatus.replaceChildren();
    try {
      const path = await ipc.chooseSavePath(`session-${r.id}.json`, "JSON", "json");
      if (!path) return;
      await ipc.saveSessionJson(r.id, path);
      saveStatus.replaceChildren(h("p", { class: "ok-text" }, `Saved to ${path}`));
    } catch (err) {
      saveStatus.replaceChildren(errorView(err as CommandError));
    }
  };
  save.addEventListener("click", () => void saveToFile());
  const last = detail.lastAction;
  return h(
    "div",
    { class: "detail" },
    h(
      "dl",
      { class: "facts" },
      fact("User", h("span", { class: "strong" }, displayName(r)), r.userName ? h("span", { class: "muted block" }, r.userName) : null),
      r.userPrincipalName ? fact("Sign-in name", r.userPrincipalName) : [],
      fact("Machine", r.machineName ?? "\u2014"),
      fact("Delivery group", r.deliveryGroup ?? "\u2014"),
      fact("Client device", r.clientName ?? "\u2014"),
      fact("State", r.state || "Unknown", notRecordableNote(r)),
      fact("Protocol", protocolLabel(r.protocol)),
      fact("Started", formatTime(r.startTime)),
      fact("Recording", recordingChip(r.recording, r.recordingChecked)),
      fact(
        "Session ID",
        h("code", { class: "mono session-id" }, r.id),
        " ",
        copyButton("Copy", "Copy session ID", () => r.id),
      ),
    ),
    h(
      "section",
      { class: "detail-section", "aria-labelledby": "json-title" },
      h("h3", { id: "json-title" }, "Everything Citrix reports about this session"),
      h(
        "div",
        { class: "toolbar" },
        h("button", { type: "button", class: "btn btn-ghost btn-small", onclick: () => setAllOpen(tree, true) }, "Expand all"),
        h("button", { type: "button", class: "btn btn-ghost btn-small", onclick: () => setAllOpen(tree, false) }, "Collapse all"),
        copyButton("Copy all", "Copy all session data", () => JSON.stringify(detail.json, null, 2)),
        save,
      ),
      saveStatus,
      h("div", { class: "json-wrap" }, tree),
    ),
    last
      ? h(
          "section",
          { class: "detail-section", "aria-labelledby": "last-title" },
          h(
            "h3",
            { id: "last-title" },
            last.action.action === "start" ? "Citrix's answer to the last start request" : "Citrix's answer to the last stop request",
          ),
          h(
            "p",
            { class: "muted" },
            `Sent ${formatTime(last.at, true)}`,
            last.transactionId ? ` \u00b7 Citrix reference ${last.transactionId}` : "",
          ),
          h("div", { class: "json-wrap" }, jsonTree(last.response, "Citrix's answer to the last request", 1, "Answer")),
        )
      : null,
  );
}

/**
 * Opens the drawer for one session; focus returns to where it was when it closes. The fresh row
 * goes into the shared store, so every list showing the session is updated too.
 */
export function openSessionDetail(store: SessionStore, sessionId: string): void {
  const returnTo = document.activeElement as HTMLElement | null;
  const body = h("div", { class: "drawer-body" }, h("p", { class: "loading" }, spinner(), "Loading session details\u2026"));
  const close = h("button", { type: "button", class: "btn btn-ghost btn-icon", "aria-label": "Close session details" }, icon("close"));
  const dialog = h(
    "dialog",
    { class: "drawer", "aria-labelledby": "drawer-title" },
    h("div", { class: "drawer-head" }, h("h2", { id: "drawer-title" }, "Session details"), close),
    body,
  );
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (e) => {
    // A click on the backdrop (outside the panel) closes it.
    if (e.target === dialog) {
      const rect = dialog.getBoundingClientRect();
      if (e.clientX < rect.left || e.clientX > rect.right || e.clientY < rect.top || e.clientY > rect.bottom) dialog.close();
    }
  });
  dialog.addEventListener("close", () => {
    dialog.remove();
    returnTo?.focus?.();
  });
  trapFocus(dialog);
  document.body.appendChild(dialog);
  dialog.showModal();
  close.focus();

  const load = async () => {
    try {
      const detail = await ipc.getSession(sessionId);
      const row = store.upsert(detail.row);
      store.changed();
      body.replaceChildren(renderDetail({ ...detail, row }));
    } catch (err) {
      const e = err as CommandError;
      body.replaceChildren(errorView(e, { actionLabel: "Try again", onAction: () => void load() }));
    }
  };
  void load();
}
