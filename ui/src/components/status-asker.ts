// The Recording column of a list of sessions. Citrix gives the recording status one session at a
// time, so a list asks only about the rows the officer can see or has selected, once each, after
// scrolling has settled; each look-up goes through the same limits as runs.
import * as ipc from "../ipc";
import type { CommandError } from "../ipc";
import type { Selection, SessionStore } from "../store";
import type { RecordingStatusRow, SessionRow } from "../types";

/** How long scrolling must rest before the rows in view are asked about. */
const ASK_AFTER_MS = 150;

export interface StatusAskerHost {
  readonly store: SessionStore;
  /** Sends the officer back to Connect when the error ended the connection; true if it did. */
  handleFatal(err: CommandError): boolean;
}

export class StatusAsker {
  /** Listed sessions whose recording Citrix has not been asked about since they were listed. */
  private unasked = new Set<string>();
  /** Sessions being asked about now. */
  private asking = new Set<string>();
  private inView: SessionRow[] = [];
  private timer = 0;
  /** While false, only the rows in view are asked about (e.g. while a look-up is still going). */
  private selectedToo = true;

  constructor(
    private readonly host: StatusAskerHost,
    private readonly selection: Selection,
    /** The rows listed now, and a repaint of the Recording cells of those sessions in view. */
    private readonly list: { rows(): readonly SessionRow[]; repaint(ids: ReadonlySet<string>): void },
  ) {
    selection.subscribe(() => this.soon());
  }

  /** A new list: forget what was to be asked about the old one. */
  reset(): void {
    this.unasked.clear();
  }

  /** Rows just listed; those without a status are asked about when seen or selected. */
  listed(rows: readonly SessionRow[]): void {
    for (const r of rows) if (!r.recordingChecked) this.unasked.add(r.id);
    this.soon();
  }

  /** The table's rows in view changed. */
  view(rows: SessionRow[]): void {
    this.inView = rows;
    this.soon();
  }

  /** Whether selected rows out of view are asked about too. */
  askSelected(on: boolean): void {
    this.selectedToo = on;
    this.soon();
  }

  private soon(): void {
    if (this.unasked.size === 0) return;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.ask(), ASK_AFTER_MS);
  }

  private async ask(): Promise<void> {
    const wanted = new Set<string>();
    for (const r of this.inView) wanted.add(r.id);
    if (this.selectedToo) {
      const listed = new Set(this.list.rows().map((r) => r.id));
      for (const id of this.selection.values()) if (listed.has(id)) wanted.add(id);
    }
    const ids = [...wanted].filter((id) => this.unasked.has(id) && !this.asking.has(id));
    if (ids.length === 0) return;
    for (const id of ids) this.asking.add(id);
    let answers: RecordingStatusRow[];
    try {
      answers = await ipc.recordingStatuses(ids);
    } catch (err) {
      for (const id of ids) this.asking.delete(id);
      if (this.host.handleFatal(err as CommandError)) return;
      // Shown as "Unknown", like a status Citrix did not give.
      answers = ids.map((id) => ({ id, recording: null }));
    }
    for (const a of answers) {
      this.asking.delete(a.id);
      this.unasked.delete(a.id);
      // Only the Recording cells change: rows being replaced would lose a click on them.
      this.host.store.setRecording(a.id, a.recording, false);
    }
    this.list.repaint(new Set(ids));
    // What came into view or was selected while Citrix answered.
    this.soon();
  }
}
