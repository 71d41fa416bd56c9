import type { Region, SessionRow } from "./types";

export const REGION_LABELS: Record<Region, string> = {
  us: "United States",
  eu: "European Union",
  apS: "Asia Pacific South",
  jp: "Japan",
};

// Creating an Intl formatter is costly; one per app is enough for thousands of rows. Each is made
// on first use: the first one loads the locale data (megabytes of the window's memory), which a
// screen without dates or counts, such as the welcome screen, never needs.
function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}
const dateTime = lazy(() => new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }));
const dateTimeSeconds = lazy(() => new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" }));
const clock = lazy(() => new Intl.DateTimeFormat(undefined, { timeStyle: "short" }));
const clockSeconds = lazy(() => new Intl.DateTimeFormat(undefined, { timeStyle: "medium" }));
const day = lazy(() => new Intl.DateTimeFormat(undefined, { dateStyle: "medium" }));
const numbers = lazy(() => new Intl.NumberFormat());

/** Time and date apart, for two-line table cells; null when there is no valid time. */
export function timeParts(rfc3339: string | null | undefined, seconds = false): { time: string; date: string } | null {
  if (!rfc3339) return null;
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return null;
  return { time: (seconds ? clockSeconds : clock)().format(d), date: day().format(d) };
}

export function formatTime(rfc3339: string | null | undefined, seconds = false): string {
  if (!rfc3339) return "\u2014";
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return rfc3339;
  return (seconds ? dateTimeSeconds : dateTime)().format(d);
}

export function formatCount(n: number): string {
  return numbers().format(n);
}

/** "1 session", "3 sessions". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

export function displayName(row: Pick<SessionRow, "userDisplayName" | "userName" | "userPrincipalName">): string {
  return row.userDisplayName || row.userName || row.userPrincipalName || "Unknown user";
}

export function protocolLabel(p: string): string {
  switch (p.toLowerCase()) {
    case "hdx":
      return "HDX";
    case "rdp":
      return "RDP";
    case "":
      return "\u2014";
    default:
      return p;
  }
}

export function recordingLabel(r: boolean | null): string {
  return r === true ? "Recording" : r === false ? "Not recording" : "Unknown";
}

/** Names for a confirmation: "Ann, Bob, Cy and 9 more". */
export function summariseNames(names: string[], shown = 3): string {
  if (names.length <= shown) {
    if (names.length <= 1) return names.join("");
    return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
  }
  return `${names.slice(0, shown).join(", ")} and ${formatCount(names.length - shown)} more`;
}

/** Local calendar date as YYYY-MM-DD (for file names and date inputs). */
export function localDate(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** A local date input value as an RFC 3339 instant at the start (or end) of that day. */
export function dayBoundary(date: string, end: boolean): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return null;
  const d = end
    ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 23, 59, 59, 999)
    : new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 0, 0, 0, 0);
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const abs = Math.abs(offset);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:` +
    `${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}${sign}${p(Math.floor(abs / 60))}:${p(abs % 60)}`
  );
}
