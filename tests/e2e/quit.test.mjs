// Closing the window during a run: the app asks first. Enter ("Keep working") leaves the run
// going; "Stop the run and quit" cancels it, lets the requests already sent finish and be
// recorded, then quits, leaving no request without its outcome in the audit trail. The close is
// the window manager's (a WM_DELETE_WINDOW message, see wm-close.py: the virtual display has no
// window manager), and the native question is answered with the keyboard through xdotool.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  button,
  connectToSimulator,
  confirmRun,
  isRunning,
  loadAllPages,
  named,
  nativeWindow,
  readText,
  shootFailure,
  sleep,
  startApp,
  startSimulator,
  visibleX,
  waitFor,
  waitUntilGone,
  windowsOf,
  xdotool,
} from './harness.mjs';
import { openRequests, readAudit } from './audit-file.mjs';

/** Slows every Citrix call so that the run is still going when the officer quits. */
const LATENCY_MS = 1500;

let sim;
let app;
let home;

/** The window's close button, as a window manager sends it (see wm-close.py). */
const closeWindow = (w) => execFileSync('python3', [join(import.meta.dirname, 'wm-close.py'), w]);

before(async () => {
  sim = await startSimulator(['--sessions', '90']);
  home = mkdtempSync(join(tmpdir(), 'rd-e2e-quit-'));
  app = await startApp({ home, env: { RECORDING_DESK_CLOUD_URL: sim.url } });
  await connectToSimulator(app.driver);
});

after(async () => {
  await app?.stop({ keepHome: true }).catch(() => undefined);
  await sim?.stop();
  if (home) rmSync(home, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

afterEach(async (t) => shootFailure(app?.driver, `quit-${t.name}`));

/** Lists every active session (all pages) and selects them all; returns how many can be recorded. */
async function selectAllActive(d) {
  await loadAllPages(d);
  await (await named(d, 'Select all listed sessions')).click();
  const bar = await named(d, 'Start or stop recording');
  const selected = Number((await readText(d, bar)).match(/(\d+) sessions selected/)?.[1]);
  const skipped = Number((await readText(d, bar)).match(/(\d+) selected sessions? can't be recorded/)?.[1] ?? 0);
  return { recordable: selected - skipped, bar };
}

/** Closes the main window as a window manager would; returns the question that then shows. */
async function askToQuit(main) {
  closeWindow(main);
  const question = await nativeWindow(app.pid, main, 'the question next to the window');
  assert.ok(isRunning(app.pid), 'the app did not quit before the officer answered');
  return question;
}

test('closing during a run asks; Enter keeps working; "Stop the run and quit" stops it with every request recorded, then quits', async (t) => {
  const d = app.driver;
  // Every active session (all pages), so that the run lasts several waves.
  const { recordable, bar } = await selectAllActive(d);
  assert.ok(recordable >= 60, `enough sessions for a run that lasts: ${await readText(d, bar)}`);
  await sim.control('faults', { latencyMs: LATENCY_MS });
  await (await button(d, 'Start recording')).click();
  await confirmRun(d, 'Start recording', `Start recording ${recordable} sessions`);
  const counts = await visibleX(d, `//aside//p[contains(., ' finished')]`, { what: 'the run counts' });
  await waitFor(d, async () => Number((await counts.getText()).match(/^(\d+) of/)?.[1] ?? 0) >= 2, 30000, 'no outcome shown');

  // The officer closes the window: the app stays, and asks.
  const [main] = windowsOf(app.pid);
  assert.ok(main, 'the app window is on the display');
  const ask = () => askToQuit(main);
  const shown = async () => Number((await counts.getText()).match(/^(\d+) of/)?.[1] ?? 0);

  // Enter answers "Keep working": the question goes, the window and the run go on.
  let question = await ask();
  const before = await shown();
  xdotool('windowfocus', '--sync', question);
  xdotool('key', 'Return');
  await waitFor(d, async () => !windowsOf(app.pid).includes(question), 10000, 'the question stayed');
  await waitFor(d, async () => (await shown()) > before, 20000, 'the run did not go on');
  assert.ok(isRunning(app.pid), 'Keep working keeps the app');

  // "Stop the run and quit" (the second button): the run stops, what was sent finishes, it quits.
  question = await ask();
  // The native question, to look at, when screenshots are asked for (as harness.screenshot).
  if (process.env.RECORDING_DESK_SHOTS) {
    mkdirSync(process.env.RECORDING_DESK_SHOTS, { recursive: true });
    execFileSync('import', ['-window', question, join(process.env.RECORDING_DESK_SHOTS, 'quit-question.png')]);
  }
  t.diagnostic(`asked again after ${await shown()} of ${recordable} outcomes`);
  xdotool('windowfocus', '--sync', question);
  xdotool('key', 'Tab', 'Return');
  assert.ok(await waitUntilGone(app.pid, 30000), 'the app quit once the run had stopped');

  const audit = readAudit(app.dirs.audit);
  assert.equal(audit.intact, true, 'the audit chain holds');
  assert.deepEqual(openRequests(audit.records), [], 'every request sent has its outcome recorded');
  const requested = audit.records.filter((r) => r.event === 'requested').length;
  const outcomes = audit.records.filter((r) => r.event === 'outcome');
  t.diagnostic(`${requested} requests sent and ${outcomes.length} outcomes recorded, of ${recordable} sessions`);
  // Requests go out ahead of their confirmations, so a stopped run shows as sessions that were
  // never sent ("cancelled") or whose confirmation was not awaited ("unknown"), not as fewer
  // requests.
  const byStatus = {};
  for (const r of outcomes) (byStatus[r.outcome] ??= []).push(r);
  t.diagnostic(`outcomes: ${Object.entries(byStatus).map(([k, v]) => `${k} ${v.length}`).join(', ')}`);
  assert.ok(requested > 0, 'the run sent requests');
  assert.equal(outcomes.length, recordable, 'one outcome per selected session, sent or not');
  assert.ok((byStatus.recording?.length ?? 0) < recordable, 'the run was stopped part-way');
  for (const r of outcomes) assert.ok(['recording', 'unknown', 'cancelled'].includes(r.outcome), `${r.sessionId}: ${r.outcome}`);
  // What the trail calls recording, Citrix (the simulator) reports as recording.
  await sim.control('faults', { latencyMs: 0 });
  for (const r of byStatus.recording ?? []) {
    assert.equal((await sim.control(`sessions/${encodeURIComponent(r.sessionId)}`)).recording, true, `${r.sessionId} recorded as recording`);
  }
});

test('quitting while Citrix does not answer ends the app promptly, and those sessions are recorded as not known', async (t) => {
  // A fresh window on the same computer (the first test quit the app).
  await app.stop({ keepHome: true }).catch(() => undefined);
  await sim.control('faults', { latencyMs: 0 });
  app = await startApp({ home, env: { RECORDING_DESK_CLOUD_URL: sim.url } });
  const d = app.driver;
  const auditBefore = readAudit(app.dirs.audit).records.length;
  const { recordable } = await selectAllActive(d);
  // Citrix answers the first two start requests and then holds every other one unanswered, for
  // as long as this test lasts: the run is in progress, with requests waiting at Citrix.
  await sim.control('faults', { holdStartStop: { after: 2 } });
  try {
    await (await button(d, 'Start recording')).click();
    await confirmRun(d, 'Start recording', `Start recording ${recordable} sessions`);
    await waitFor(d, async () => (await sim.control('state')).heldStartStop > 0, 60000, 'no request waiting at Citrix');
    const held = (await sim.control('state')).heldStartStop;

    const [main] = windowsOf(app.pid);
    assert.ok(main, 'the app window is on the display');
    const question = await askToQuit(main);
    xdotool('windowfocus', '--sync', question);
    xdotool('key', 'Tab', 'Return');
    // The answers never come: the app ending at all shows that it does not wait for them (after
    // a stop, a request already sent gets half a second to bring its answer back, then counts as
    // not known). The 30 s here only keeps a broken build from hanging the tests.
    assert.ok(await waitUntilGone(app.pid, 30000), 'the app quit although Citrix did not answer');
    t.diagnostic(`quit with ${held} requests waiting at Citrix`);
  } finally {
    await sim.control('faults', { releaseStartStop: true });
  }

  const audit = readAudit(app.dirs.audit);
  assert.equal(audit.intact, true, 'the audit chain holds');
  assert.deepEqual(openRequests(audit.records), [], 'every request sent has its outcome recorded');
  const ofRun = audit.records.slice(auditBefore);
  const requested = ofRun.filter((r) => r.event === 'requested');
  const outcomes = ofRun.filter((r) => r.event === 'outcome');
  const byStatus = {};
  for (const r of outcomes) (byStatus[r.outcome] ??= []).push(r);
  t.diagnostic(`${requested.length} requests, outcomes: ${Object.entries(byStatus).map(([k, v]) => `${k} ${v.length}`).join(', ')}`);
  assert.equal(outcomes.length, recordable, 'one outcome per selected session, sent or not');
  assert.ok((byStatus.unknown?.length ?? 0) > 0, 'the requests Citrix did not answer are recorded as not known');
  for (const r of outcomes) assert.ok(['recording', 'unknown', 'cancelled'].includes(r.outcome), `${r.sessionId}: ${r.outcome}`);
  // No false outcome: what the trail calls recording, Citrix reports as recording, and only the
  // two requests Citrix answered can be recorded as recording.
  for (const r of byStatus.recording ?? []) {
    assert.equal((await sim.control(`sessions/${encodeURIComponent(r.sessionId)}`)).recording, true, `${r.sessionId} recorded as recording`);
  }
  assert.ok((byStatus.recording?.length ?? 0) <= 2, 'only the two answered requests can be recorded as recording');
});
