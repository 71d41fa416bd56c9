// Crash safety of the audit trail: the app is killed (SIGKILL, as a crash or power cut would
// stop it) in the middle of a run on ~65 sessions, ten times over. The moment of each kill is
// set by state, not by speed: the simulator serves the first start requests of the run and
// holds the next ones unanswered, and the app is killed once the window has got as far as the
// plan says and the simulator holds a request, so every kill lands while the run is in
// progress, however loaded the machine. Early kills hold every request after the first few (the
// run's requests are then on the wire, most without an answer); late kills hold only a few, so
// the rest of the run finishes and shows its outcomes. After each kill:
// - every line of the audit file but a cut-off last one is JSON, and the hash chain holds;
// - every outcome the window had shown has its outcome record (the app writes the record before
//   it tells the window);
// - every session the window showed as sent to Citrix has its request record;
// - every request without an outcome is listed on the Audit screen, after a relaunch, as a
//   request with no known outcome.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  By,
  button,
  connectToSimulator,
  confirmRun,
  heading,
  loadAllPages,
  named,
  readText,
  shootFailure,
  startApp,
  startSimulator,
  visibleX,
  waitFor,
} from './harness.mjs';
import { openRequests, readAudit } from './audit-file.mjs';

/**
 * Each kill's plan: Citrix serves `after` start requests, then holds `count` of them (all later
 * ones when not given) unanswered until the kill; any after those are served. With `count`, the
 * kill waits until every other session shows its outcome.
 */
const PLAN = [
  { after: 0 },
  { after: 3 },
  { after: 10 },
  { after: 22 },
  { after: 40 },
  { after: 5, count: 8 },
  { after: 20, count: 4 },
  { after: 35, count: 2 },
  { after: 50, count: 1 },
  { after: 60, count: 3 },
];
const KILLS = PLAN.length;
const describe = (p) => (p.count ? `${p.count} held after ${p.after}` : `all held after ${p.after}`);

const STATUS = {
  'Recording — confirmed by Citrix': 'recording',
  'Started, but Citrix does not report it as recording': 'notRecording',
  'Recording stopped — confirmed by Citrix': 'notRecording',
  'Stop sent, but Citrix still reports it as recording': 'recording',
  'The session has ended — confirmed by Citrix': 'sessionEnded',
  'Not known — check again': 'unknown',
  'Cancelled before sending': 'cancelled',
};
const SENT_PHASES = [
  'Request sent to Citrix',
  'Started — waiting for Citrix to confirm',
  'Stop sent — waiting for Citrix to confirm',
  'Citrix’s answer was lost — asking Citrix what happened',
];

let sim;
let app;
let home;
/** sessionId → how the window names it ("Jane Smith|VDA-FIN-01"). */
let shownAs;
const figures = { killRuns: 0, killedMidRun: 0, shownOutcomes: 0, openRequests: 0, recordsLost: 0, tornLastLines: 0 };
const env = () => ({ RECORDING_DESK_CLOUD_URL: sim.url });

function displayName(s) {
  const user = s.User ?? {};
  const userName = user.SamName || s.Brokering?.UserName || s.UntrustedUserName || user.Name;
  return user.DisplayName || userName || user.PrincipalName || 'Unknown user';
}

function shortMachine(name) {
  if (!name) return '';
  const i = name.lastIndexOf('\\');
  return i >= 0 && i < name.length - 1 ? name.slice(i + 1) : name;
}

before(async () => {
  sim = await startSimulator(['--sessions', '90']);
  shownAs = new Map((await sim.sessions()).map((s) => [s.Id.toLowerCase(), `${displayName(s)}|${shortMachine(s.Machine?.Name || s.Machine?.DnsName)}`]));
  home = mkdtempSync(join(tmpdir(), 'rd-e2e-crash-'));
  app = await startApp({ home, env: env() });
  await connectToSimulator(app.driver);
});

after(async () => {
  await app?.stop({ keepHome: true });
  await sim?.stop();
  if (home) rmSync(home, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

afterEach(async (t) => shootFailure(app?.driver, `crash-${t.name}`));

/** Lists every active session (all pages) and selects them all. Returns how many are recordable. */
async function selectAllActive() {
  const d = app.driver;
  const status = await loadAllPages(d);
  const count = await readText(d, status);
  const total = Number(count.match(/(\d+) sessions found/)?.[1]);
  assert.ok(total > 50, `all active sessions listed: ${count}`);
  await (await named(d, 'Select all listed sessions')).click();
  const bar = await named(d, 'Start or stop recording');
  await waitFor(d, async () => (await readText(d, bar)).includes(`${total} sessions selected`), 5000, 'not all sessions were selected');
  const skipped = Number((await readText(d, bar)).match(/(\d+) selected sessions? can't be recorded/)?.[1] ?? 0);
  return total - skipped;
}

/** What the run panel shows for each session right now, read in one go. */
async function runPanelSnapshot() {
  const list = await named(app.driver, 'Sessions in this request');
  return app.driver.executeScript(
    `return [...arguments[0].querySelectorAll('li')].map((li) => ({
       name: li.querySelector('.run-name')?.textContent ?? '',
       machine: li.querySelector('.run-machine')?.textContent ?? '',
       status: li.querySelector('.run-status')?.textContent ?? '',
     }))`,
    list,
  );
}

/** Counts each key of `wanted` against `have`; returns what `have` lacks. */
function missingFrom(have, wanted) {
  const pool = new Map();
  for (const k of have) pool.set(k, (pool.get(k) ?? 0) + 1);
  const missing = [];
  for (const k of wanted) {
    const n = pool.get(k) ?? 0;
    if (n > 0) pool.set(k, n - 1);
    else missing.push(k);
  }
  return missing;
}

/** Checks the Audit screen of a freshly launched app against the file; returns what is missing. */
async function checkAuditScreen(audit, t) {
  const d = app.driver;
  await (await button(d, 'Audit trail', { within: await named(d, 'Main') })).click();
  await heading(d, 'Audit trail');
  await visibleX(d, `//*[contains(@class,'callout')][.//*[normalize-space(.)='Audit trail intact']]`, { ms: 15000 });
  const open = openRequests(audit.records);
  const lost = [];
  if (open.length === 0) {
    assert.equal((await d.findElements(By.xpath(`//*[contains(normalize-space(.), 'with no known outcome')]`))).length, 0);
    return lost;
  }
  const callout = await visibleX(d, `//*[contains(@class,'callout')][.//p[contains(., 'with no known outcome')]]`, { ms: 15000 });
  const title = await readText(d, await callout.findElement(By.xpath(`.//p[contains(., 'with no known outcome')]`)));
  const shown = Number(title.match(/^(\d+) requests?/)?.[1]);
  const items = await callout.findElements(By.css('li'));
  const seqs = (await Promise.all(items.map((li) => li.getAttribute('data-seq')))).filter(Boolean).map(Number);
  if (seqs.length > 0) {
    // One entry per open request record, by its number.
    const missing = open.filter((r) => !seqs.includes(r.seq));
    lost.push(...missing.map((r) => `request ${r.seq} (${r.sessionId}) not shown as outcome unknown`));
    assert.equal(shown, open.length, title);
  } else {
    // One entry per session with an open request, named by its user.
    const sessions = new Map();
    for (const r of open) sessions.set(r.sessionId, r);
    const texts = await Promise.all(items.map((li) => readText(d, li)));
    const missing = missingFrom(
      texts.map((x) => x.replace(/ \((start|stop), .*$/s, '')),
      [...sessions.values()].map((r) => r.sessionUser ?? r.sessionId),
    );
    lost.push(...missing.map((u) => `a request for ${u} not shown as outcome unknown`));
    assert.equal(shown, sessions.size, title);
  }
  t.diagnostic(`audit screen: "${title}"`);
  // "Check again" asks Citrix about the session now: the window's answer is the simulator's own
  // state, and the request leaves the list of open outcomes.
  const seq = Number(await items[0].getAttribute('data-seq'));
  const checked = open.find((r) => r.seq === seq) ?? open[0];
  await (await items[0].findElement(By.xpath(`.//button[normalize-space(.)='Check again']`))).click();
  const answer = await readText(
    d,
    await visibleX(d, `//*[contains(@class,'check-result')]//*[contains(@class,'callout-title')]`, { ms: 15000, what: 'the answer of Check again' }),
  );
  const truth = await sim.control(`sessions/${encodeURIComponent(checked.sessionId)}`);
  assert.match(answer, /: (recording|not recording), Citrix reports$/, 'the simulator answers, so the answer is definite');
  assert.equal(answer.endsWith(': recording, Citrix reports'), truth.recording, `"${answer}" against the simulator's state`);
  if (seqs.length > 0) {
    await waitFor(d, async () => (await d.findElements(By.css(`.unknown-list li[data-seq="${seq}"]`))).length === 0, 15000, 'the checked request stayed open');
  }
  t.diagnostic(`check again: "${answer}"`);
  return lost;
}

for (let i = 0; i < KILLS; i++) {
  test(`kill ${i + 1} of ${KILLS} (${describe(PLAN[i])}): nothing is lost`, async (t) => {
    const d = app.driver;
    if (i > 0) {
      await (await button(d, 'Sessions', { within: await named(d, 'Main') })).click();
      await heading(d, 'Sessions');
    }
    const recordable = await selectAllActive();
    const plan = PLAN[i];
    assert.ok(recordable > plan.after + (plan.count ?? 0), `more sessions to record (${recordable}) than the plan serves and holds`);
    await sim.control('faults', { holdStartStop: plan });
    await (await button(d, 'Start recording')).click();
    await confirmRun(d, 'Start recording', `Start recording ${recordable} sessions`);

    const counts = await visibleX(d, `//aside//p[contains(., ' finished')]`, { what: 'the run counts' });
    // A held request cannot finish until the hold is released (after the kill): once one is
    // held, the run is in progress whatever happens next. Whatever the window shows in the
    // snapshot must be in the file after the kill.
    const finishedCount = async () => Number((await counts.getText()).match(/^(\d+) of/)?.[1] ?? 0);
    const shownSent = async () =>
      (await runPanelSnapshot()).filter((s) => {
        const status = s.status.trim();
        return SENT_PHASES.includes(status) || status in STATUS || status.startsWith('Refused by Citrix');
      }).length;
    await waitFor(d, async () => {
      const held = (await sim.control('state')).heldStartStop;
      if (plan.count) return held === plan.count && (await finishedCount()) >= recordable - plan.count;
      return held > 0 && (await shownSent()) >= plan.after;
    }, 60000, `the run did not get as far as planned (${describe(plan)})`);
    const snapshot = await runPanelSnapshot();
    await app.crash();
    await sim.control('faults', { releaseStartStop: true });
    figures.killRuns++;

    const audit = readAudit(app.dirs.audit);
    assert.deepEqual(audit.badLines, [], 'only the last line may be cut off');
    assert.equal(audit.brokenAt, null, `the hash chain breaks at record ${audit.brokenAt}`);
    if (audit.tornLast) figures.tornLastLines++;

    const runId = audit.records.filter((r) => r.event === 'requested').at(-1)?.runId;
    assert.ok(runId, 'the run wrote request records');
    const ofRun = audit.records.filter((r) => r.runId === runId);
    const key = (r) => shownAs.get(r.sessionId) ?? `?|${r.sessionId}`;
    const outcomes = ofRun.filter((r) => r.event === 'outcome').map((r) => `${key(r)}|${r.outcome}`);
    const requests = ofRun.filter((r) => r.event === 'requested').map(key);

    const finished = [];
    const sent = [];
    const lost = [];
    for (const item of snapshot) {
      const who = `${item.name}|${item.machine}`;
      if (item.status.includes('not written to the audit trail')) lost.push(`${who}: the window says its result was not written`);
      const status = item.status.startsWith('Refused by Citrix') ? 'refused' : STATUS[item.status.trim()];
      if (status) finished.push(`${who}|${status}`);
      else if (SENT_PHASES.includes(item.status.trim())) sent.push(who);
    }
    lost.push(...missingFrom(outcomes, finished).map((k) => `outcome shown but not recorded: ${k}`));
    lost.push(...missingFrom(requests, [...sent, ...finished.map((k) => k.split('|').slice(0, 2).join('|'))]).map((k) => `request shown but not recorded: ${k}`));

    const open = openRequests(audit.records).filter((r) => r.runId === runId);
    figures.shownOutcomes += finished.length;
    figures.openRequests += open.length;
    if (open.length > 0) figures.killedMidRun++;
    t.diagnostic(
      `window showed ${finished.length} outcomes and ${sent.length} requests in flight of ${snapshot.length}; ` +
        `file: ${requests.length} requests, ${outcomes.length} outcomes, ${open.length} without outcome` +
        `${audit.tornLast ? ', last line cut off' : ''}`,
    );

    app = await startApp({ home, env: env() });
    await heading(app.driver, 'Sessions', { ms: 30000 });
    lost.push(...(await checkAuditScreen(audit, t)));
    figures.recordsLost += lost.length;
    assert.deepEqual(lost, [], 'records lost');
  });
}

test('crash-safety figures', (t) => {
  t.diagnostic(`kill runs: ${figures.killRuns} (mid-run: ${figures.killedMidRun}); outcomes shown before the kills: ${figures.shownOutcomes}; ` +
    `requests left without outcome: ${figures.openRequests}; cut-off last lines: ${figures.tornLastLines}; records lost: ${figures.recordsLost}`);
  assert.equal(figures.killRuns, KILLS);
  assert.equal(figures.recordsLost, 0);
  assert.equal(figures.killedMidRun, KILLS, 'every kill hit a run in progress');
});

test('a record changed in the file, or records cut from its end, are reported on the Audit screen', async () => {
  const d = app.driver;
  const path = app.dirs.audit;
  const original = readFileSync(path, 'utf8');
  const lines = original.split('\n').filter((l) => l !== '');
  const reload = async () => {
    await (await button(d, 'Apply filters')).click();
    await visibleX(d, `//p[@role='status'][contains(., 'record')]`, { ms: 15000 });
  };
  const chainTitle = async () =>
    readText(d, await visibleX(d, `//*[contains(@class,'callout')]//p[starts-with(normalize-space(.), 'Audit trail')]`, { ms: 15000 }));
  try {
    await heading(d, 'Audit trail');
    const changed = lines.map((l, i) => (i === 2 ? l.replace(/"sessionUser":"[^"]*"/, '"sessionUser":"CONTOSO\\\\someone.else"') : l));
    assert.notEqual(changed[2], lines[2]);
    writeFileSync(path, `${changed.join('\n')}\n`);
    await reload();
    await waitFor(d, async () => (await chainTitle()) === 'Audit trail has been altered at record 3', 10000, 'a changed record 3 was not reported');

    writeFileSync(path, `${lines.slice(0, -3).join('\n')}\n`);
    await reload();
    await waitFor(d, async () => (await chainTitle()) === `Audit trail has been altered at record ${lines.length - 2}`, 10000, 'records cut from the end were not reported');
  } finally {
    writeFileSync(path, original);
  }
  await reload();
  await waitFor(d, async () => (await chainTitle()) === 'Audit trail intact', 10000, 'the restored trail is not intact');
});
