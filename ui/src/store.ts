// One live object per session ID, shared by the search results, the pasted-ID results, the run
// panel and the detail drawer, so a recording outcome updates every place that shows the session.
import type { SessionRow } from "./types";

type Listener = () => void;

export class SessionStore {
  private rows = new Map<string, SessionRow>();
  private listeners = new Set<Listener>();

  /**
   * Stores fresh data and returns the shared object for that session. A row whose recording
   * status was not asked (a search result) keeps the status already known.
   */
  upsert(row: SessionRow): SessionRow {
    const existing = this.rows.get(row.id);
    if (existing) {
      const { recording, recordingChecked } = existing;
      Object.assign(existing, row);
      if (!row.recordingChecked && recordingChecked) Object.assign(existing, { recording, recordingChecked });
      return existing;
    }
    this.rows.set(row.id, row);
    return row;
  }

  get(id: string): SessionRow | undefined {
    return this.rows.get(id);
  }

  /**
   * What Citrix said about the session's recording (`null`: it could not be asked). `announce`
   * false leaves telling the views to the caller (which may repaint just that cell).
   */
  setRecording(id: string, recording: boolean | null, announce = true): void {
    const row = this.rows.get(id);
    if (row && (row.recording !== recording || !row.recordingChecked)) {
      row.recording = recording;
      row.recordingChecked = true;
      if (announce) this.changed();
    }
  }

  clear(): void {
    this.rows.clear();
    this.changed();
  }

  /** Several updates can be announced with one call. */
  changed(): void {
    for (const l of this.listeners) l();
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

export class Selection {
  private ids = new Set<string>();
  private listeners = new Set<Listener>();

  has(id: string): boolean {
    return this.ids.has(id);
  }
  get size(): number {
    return this.ids.size;
  }
  values(): string[] {
    return [...this.ids];
  }
  toggle(id: string, on = !this.ids.has(id)): void {
    if (on) this.ids.add(id);
    else this.ids.delete(id);
    this.emit();
  }
  setMany(ids: Iterable<string>, on: boolean): void {
    for (const id of ids) {
      if (on) this.ids.add(id);
      else this.ids.delete(id);
    }
    this.emit();
  }
  replace(ids: Iterable<string>): void {
    this.ids = new Set(ids);
    this.emit();
  }
  /** Keeps only IDs that are still listed (after a refresh). */
  retain(present: Set<string>): void {
    let changed = false;
    for (const id of this.ids) {
      if (!present.has(id)) {
        this.ids.delete(id);
        changed = true;
      }
    }
    if (changed) this.emit();
  }
  clear(): void {
    if (this.ids.size === 0) return;
    this.ids.clear();
    this.emit();
  }
  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  private emit(): void {
    for (const l of this.listeners) l();
  }
}
