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
  readText,
  shootFailure,
  sleep,
  startApp,
  startSimulator,
  visibleX,
  waitFor,
  waitUntilGone,
} from './harness.mjs';
import { openRequests, readAudit } from './audit-file.mjs';

/** Slows every Citrix call so that the run is still going when the officer quits. */
const LATENCY_MS = 1500;

let sim;
let app;
let home;

/** The window's close button, as a window manager sends it (see wm-close.py). */
const closeWindow = (w) => execFileSync('python3', [join(import.meta.dirname, 'wm-close.py'), w]);
const xdotool = (...args) => execFileSync('xdotool', args, { encoding: 'utf8' }).trim();
/** The app's visible top-level windows (the main window, and the question once it shows). */
function windowsOf(pid) {
  try {
    return xdotool('search', '--onlyvisible', '--pid', String(pid)).split('\n').filter(Boolean);
  } catch {
    return []; // xdotool exits 1 when nothing matches
  }
}

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

test('closing during a run asks; Enter keeps working; "Stop the run and quit" stops it with every request recorded, then quits', async (t) => {
  const d = app.driver;
  // Every active session (all pages), so that the run lasts several waves.
  await loadAllPages(d);
  await (await named(d, 'Select all listed sessions')).click();
  const bar = await named(d, 'Start or stop recording');
  const selected = Number((await readText(d, bar)).match(/(\d+) sessions selected/)?.[1]);
  const skipped = Number((await readText(d, bar)).match(/(\d+) selected sessions? can't be recorded/)?.[1] ?? 0);
  const recordable = selected - skipped;
  assert.ok(recordable >= 60, `enough sessions for a run that lasts: ${await readText(d, bar)}`);
  await sim.control('faults', { latencyMs: LATENCY_MS });
  await (await button(d, 'Start recording')).click();
  await confirmRun(d, 'Start recording', `Start recording ${recordable} sessions`);
  const counts = await visibleX(d, `//aside//p[contains(., ' finished')]`, { what: 'the run counts' });
  await waitFor(d, async () => Number((await counts.getText()).match(/^(\d+) of/)?.[1] ?? 0) >= 2, 30000, 'no outcome shown');

  // The officer closes the window: the app stays, and asks.
  const [main] = windowsOf(app.pid);
  assert.ok(main, 'the app window is on the display');
  const ask = async () => {
    closeWindow(main);
    let question;
    for (let i = 0; i < 100 && !question; i++) {
      await sleep(100);
      question = windowsOf(app.pid).find((w) => w !== main);
    }
    assert.ok(question, 'a question appeared next to the window');
    assert.ok(isRunning(app.pid), 'the app did not quit before the officer answered');
    return question;
  };
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
