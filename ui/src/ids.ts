// Pasted session IDs, read exactly as the Rust parser reads them (`citrix_cloud::ids::parse_pasted`)
// so the count the officer sees before "Look up" is the count the app acts on. Both parsers run
// the shared corpus tests/fixtures/session-ids.json. The rules, in order:
//
// 1. Split at separators: any Unicode whitespace, U+200B–U+200D, U+2060, U+FEFF, and
//    , ; | " ' ` { } [ ] ( ) < > : = & ? plus typographic quotes and full-width punctuation.
// 2. Turn typographic dashes into "-", then trim . ! * # ~ ^ - _ from both ends of the piece.
// 3. Ignore pieces with no letter or digit, and header words (id, SessionId, Session ID, ...).
// 4. Accept 32 hex digits, bare or hyphenated 8-4-4-4-12, any case; keep the first of duplicates.
// 5. Reject anything else with the first reason that applies (see `rejectionReason`).

export interface RejectedPiece {
  piece: string;
  reason: string;
}

export interface ParsedIds {
  /** Canonical lower-case hyphenated GUIDs, in first-seen order. */
  valid: string[];
  duplicates: number;
  rejected: RejectedPiece[];
}

// Rust's char::is_whitespace is Unicode White_Space: JS \s plus U+0085 (and \s adds U+FEFF,
// which is a separator anyway).
// All BMP characters, so no "u" flag (which V8 runs slower). U+200B to U+200D is a range because
// a zero-width joiner listed between two characters reads as joining them.
const SEPARATORS =
  /[\s\u0085\u200B-\u200D\u2060\uFEFF,;|"'`{}[\]()<>:=&?\u201C\u201D\u201E\u2018\u2019\u201A\u00AB\u00BB\u2039\u203A\uFF0C\uFF1B\uFF1A\u3001]+/;
const DASHES = /[\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]/g;
const TRIM = /^[.!*#~^\-_]+|[.!*#~^\-_]+$/g;
const ALPHANUMERIC = /[\p{Alphabetic}\p{N}]/u;
const HEX32 = /^[0-9a-fA-F]{32}$/;
const HYPHENATED = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const HEX_OR_HYPHEN = /^[0-9a-fA-F-]*$/;
const DIGITS = /^[0-9]*$/;
const HEX_DIGIT = /[0-9a-fA-F]/g;
const MACHINE_CHARS = /^[A-Za-z0-9._-]*$/;

const NOISE_WORDS = new Set([
  "id",
  "ids",
  "uid",
  "guid",
  "uuid",
  "urn",
  "http",
  "https",
  "session",
  "sessions",
  "sessionid",
  "sessionids",
  "session_id",
  "session-id",
  "session_ids",
  "session-ids",
]);

const MAX_PIECE = 80;

function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/** The canonical form of one bare GUID (no braces), or null. */
export function canonicalSessionId(s: string): string | null {
  let digits: string;
  if (s.length === 32 && HEX32.test(s)) digits = s.toLowerCase();
  else if (s.length === 36 && HYPHENATED.test(s)) digits = s.replace(/-/g, "").toLowerCase();
  else return null;
  return `${digits.slice(0, 8)}-${digits.slice(8, 12)}-${digits.slice(12, 16)}-${digits.slice(16, 20)}-${digits.slice(20)}`;
}

function hyphensInGuidPlaces(chars: string[]): boolean {
  return chars.length === 36 && chars.every((c, i) => (i === 8 || i === 13 || i === 18 || i === 23) === (c === "-"));
}

function nonHexChars(chars: string[]): string {
  const bad: string[] = [];
  for (const c of chars) {
    if (!/^[0-9a-fA-F-]$/.test(c) && !bad.includes(c)) bad.push(c);
  }
  const list = bad.slice(0, 5);
  if (bad.length > 5) list.push("\u2026");
  return list.join(", ");
}

function looksLikeMachine(piece: string): boolean {
  return (
    MACHINE_CHARS.test(piece) &&
    /[A-Za-z]/.test(piece) &&
    (piece.includes("-") || piece.includes(".")) &&
    (/[0-9]/.test(piece) || piece.includes("."))
  );
}

/** Why `piece` is not a session ID, as words that follow the piece. Same order as the Rust side. */
export function rejectionReason(piece: string): string {
  if (piece.includes("@")) return "looks like an e-mail address or user principal name, not a session ID";
  if (piece.includes("\\")) return "looks like a DOMAIN\\name (a machine or user name), not a session ID";
  if (piece.includes("/")) return "looks like a web address or file path, not a session ID";
  if (DIGITS.test(piece) && piece.length < 32) {
    return "is a number, not a session ID (session IDs have 32 hexadecimal digits)";
  }
  const hexDigits = piece.match(HEX_DIGIT)?.length ?? 0;
  if (HEX_OR_HYPHEN.test(piece)) {
    if (hexDigits < 32) return `is too short to be a session ID (${hexDigits} of 32 hexadecimal digits)`;
    if (hexDigits > 32) return `is too long to be a session ID (${hexDigits} hexadecimal digits; expected 32)`;
    return "has its hyphens in the wrong places (expected 8-4-4-4-12)";
  }
  const chars = Array.from(piece);
  const bad = nonHexChars(chars);
  const guidShaped = hexDigits >= 20 || hyphensInGuidPlaces(chars) || (chars.length === 32 && /^[A-Za-z0-9]*$/.test(piece));
  if (guidShaped) return `contains characters that are not hexadecimal (${bad})`;
  if (looksLikeMachine(piece)) return "looks like a machine name, not a session ID";
  return `is not a session ID (contains characters that are not hexadecimal: ${bad})`;
}

function shorten(piece: string): string {
  const chars = Array.from(piece);
  return chars.length > MAX_PIECE ? `${chars.slice(0, MAX_PIECE).join("")}\u2026` : piece;
}

export function parsePastedIds(text: string): ParsedIds {
  const valid: string[] = [];
  const seen = new Set<string>();
  const rejected: RejectedPiece[] = [];
  let duplicates = 0;
  const accept = (id: string) => {
    if (seen.has(id)) duplicates++;
    else {
      seen.add(id);
      valid.push(id);
    }
  };
  for (const raw of text.split(SEPARATORS)) {
    if (raw === "") continue;
    // Fast path for the common case, a clean hyphenated ID: trimming and dash folding cannot
    // change it, so the general steps below would give the same answer.
    if (raw.length === 36 && HYPHENATED.test(raw)) {
      accept(raw.toLowerCase());
      continue;
    }
    const piece = raw.replace(DASHES, "-").replace(TRIM, "");
    if (!ALPHANUMERIC.test(piece) || NOISE_WORDS.has(asciiLower(piece))) continue;
    const id = canonicalSessionId(piece);
    if (id !== null) {
      accept(id);
    } else {
      rejected.push({ piece: shorten(piece), reason: rejectionReason(piece) });
    }
  }
  return { valid, duplicates, rejected };
}
