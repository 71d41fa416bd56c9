import { h, icon, type Child } from "../dom";
import { displayName, protocolLabel, recordingLabel, timeParts } from "../format";
import type { Selection } from "../store";
import type { SessionRow } from "../types";
import { VirtualTable } from "./virtual-table";

export function shortMachine(name: string | null): string {
  if (!name) return "\u2014";
  const i = name.lastIndexOf("\\");
  return i >= 0 && i < name.length - 1 ? name.slice(i + 1) : name;
}

/** What Citrix said about the session's recording; "Checking…" until it has been asked. */
export function recordingChip(recording: boolean | null, checked = true): HTMLElement {
  if (!checked) {
    return h("span", { class: "chip chip-checking" }, h("span", { class: "chip-dot", "aria-hidden": "true" }), "Checking\u2026");
  }
  const cls = recording === true ? "chip-recording" : recording === false ? "chip-off" : "chip-unknown";
  return h("span", { class: `chip ${cls}` }, h("span", { class: "chip-dot", "aria-hidden": "true" }), recordingLabel(recording));
}

function notRecordableReason(row: SessionRow): string {
  return row.notRecordableReason ?? "Citrix can only record active HDX sessions.";
}

/** The full reason, for the detail drawer where there is room for it. */
export function notRecordableNote(row: SessionRow): HTMLElement | null {
  if (row.recordable) return null;
  const reason = notRecordableReason(row);
  return h("span", { class: "cell-sub warn", title: reason }, icon("warning", "icon icon-small"), `Can't record: ${reason}`);
}

/** A few words that fit a table cell, in the same order Recording Desk checks (state, then protocol). */
export function notRecordableShort(row: Pick<SessionRow, "state" | "protocol">): string {
  const state = (row.state || "").toLowerCase();
  if (state && state !== "active") {
    if (state === "disconnected") return "Can't record: disconnected";
    if (state === "connected") return "Can't record: connecting";
    if (state === "ended") return "Can't record: ended";
    return "Can't record";
  }
  const protocol = (row.protocol || "").toLowerCase();
  if (protocol === "rdp") return "Can't record: RDP";
  if (protocol === "console") return "Can't record: console";
  return "Can't record";
}

/** Short label in the cell; the full reason in the tooltip and for screen readers. */
export function notRecordableCellNote(row: SessionRow): HTMLElement | null {
  if (row.recordable) return null;
  const reason = notRecordableReason(row);
  return h(
    "span",
    { class: "cell-sub warn cell-note", title: reason },
    icon("warning", "icon icon-small"),
    h("span", { class: "note-short", "aria-hidden": "true" }, notRecordableShort(row)),
    h("span", { class: "sr-only" }, `Can't record: ${reason}`),
  );
}

/** Time on top, date below (or the raw text when it is not a valid time). */
export function timeCell(value: string | null, seconds = false): HTMLElement {
  const parts = timeParts(value, seconds);
  if (!parts) return h("span", { class: "cell-text" }, value ?? "\u2014");
  return h("div", { class: "cell-stack" }, h("span", { class: "cell-text" }, parts.time), h("span", { class: "cell-sub" }, parts.date));
}

export function sessionTable(
  label: string,
  selection: Selection,
  onOpen: (row: SessionRow) => void,
  emptyText: () => Child,
  onView?: (rows: SessionRow[]) => void,
): VirtualTable<SessionRow> {
  return new VirtualTable<SessionRow>({
    label,
    selection,
    onView,
    rowHeight: 56,
    rowKey: (r) => r.id,
    rowLabel: (r) => `Select ${displayName(r)}`,
    rowClass: (r) => (r.recordable ? "" : "not-recordable"),
    onOpen,
    emptyText,
    columns: [
      {
        id: "user",
        header: "User",
        width: "18%",
        cell: (r) =>
          h(
            "div",
            { class: "cell-stack" },
            h(
              "button",
              { type: "button", class: "link cell-main", tabindex: -1, onclick: () => onOpen(r), title: "Show details" },
              displayName(r),
            ),
            // Without a display name the main line already is the account name: no need to repeat it.
            ((sub) => (sub && sub !== displayName(r) ? h("span", { class: "cell-sub", title: sub }, sub) : null))(
              r.userName ?? r.userPrincipalName ?? "",
            ),
          ),
      },
      {
        id: "machine",
        header: "Machine",
        width: "14%",
        // The domain prefix is the same on every row; the name alone is what officers recognise.
        cell: (r) => h("span", { class: "cell-text", title: r.machineName ?? null }, shortMachine(r.machineName)),
      },
      {
        id: "group",
        header: "Delivery group",
        width: "14%",
        hideBelow: 1000,
        cell: (r) => h("span", { class: "cell-text" }, r.deliveryGroup ?? "\u2014"),
      },
      {
        id: "state",
        header: "State",
        // Room for "Can't record: RDP" even when the run panel narrows the table.
        width: "18%",
        cell: (r) => h("div", { class: "cell-stack" }, h("span", { class: "cell-text" }, r.state || "Unknown"), notRecordableCellNote(r)),
      },
      {
        id: "protocol",
        header: "Protocol",
        width: "8%",
        hideBelow: 1100,
        cell: (r) => h("span", { class: "cell-text" }, protocolLabel(r.protocol)),
      },
      // Fixed widths: these two must never be cut, whatever room the window leaves.
      { id: "started", header: "Started", width: "7rem", cell: (r) => timeCell(r.startTime) },
      {
        id: "recording",
        header: "Recording",
        width: "9.5rem",
        className: "col-recording",
        cell: (r) => recordingChip(r.recording, r.recordingChecked),
      },
    ],
  });
}
