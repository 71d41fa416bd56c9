// Reads the app's audit trail (JSON Lines) and checks its chain independently of the app: each
// record's `prevHash` is the previous record's hash (64 zeros for the first). A record without
// `keyId` (earlier versions) has as `hash` the SHA-256 (hex) of its canonical JSON without `hash`
// (object keys sorted, compact), checked here; a keyed record's `hash` is an HMAC-SHA256 under a
// key kept in the keychain, which this reader does not have: only its links are checked here,
// its seal by the app (the Audit screen, `rdesk audit verify`) and desk-core's tamper tests.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

export const GENESIS = '0'.repeat(64);

function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function recordHash(record) {
  const { hash: _ignored, ...rest } = record;
  return createHash('sha256').update(canonical(rest)).digest('hex');
}

/**
 * Parses the file. Only the last line may be cut off (a crash while it was written); any other
 * line that is not a JSON object is reported in `badLines`. `brokenAt` is the `seq` expected
 * where the chain first fails to link, or null.
 */
export function readAudit(path) {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const lines = text.split('\n');
  const records = [];
  const badLines = [];
  let tornLast = false;
  let brokenAt = null;
  let prevHash = GENESIS;
  let expectedSeq = 1;
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let value;
    try {
      value = JSON.parse(line);
    } catch {
      value = null;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      const isLast = lines.slice(i + 1).every((l) => l.trim() === '');
      if (isLast) tornLast = true;
      else badLines.push(i + 1);
      return;
    }
    const hashHolds = value.keyId !== undefined ? /^[0-9a-f]{64}$/.test(value.hash) : recordHash(value) === value.hash;
    if (brokenAt === null && (value.seq !== expectedSeq || value.prevHash !== prevHash || !hashHolds)) {
      brokenAt = expectedSeq;
    }
    prevHash = value.hash;
    expectedSeq = value.seq + 1;
    records.push(value);
  });
  return { records, badLines, tornLast, brokenAt, intact: brokenAt === null && badLines.length === 0 };
}

/** `runId:sessionId:action` of every request that has no outcome record. */
export function openRequests(records) {
  const open = new Map();
  for (const r of records) {
    const key = `${r.runId}:${r.sessionId}:${r.action}`;
    if (r.event === 'requested') open.set(key, r);
    else open.delete(key);
  }
  return [...open.values()];
}
