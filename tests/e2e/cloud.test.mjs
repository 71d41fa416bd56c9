// The officer's whole day against a Citrix Cloud (the simulator binary, reached through
// RECORDING_DESK_CLOUD_URL): sign in, find a session, start and stop recording with and without
// notifying the user, paste IDs, ride out rate limiting, read the audit trail, and come back
// the next day without typing the secret again. One app launch for all of it, plus the restart.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import {
  APP_ID,
  KEYCHAIN_SERVICE,
  SIM_CREDS,
  By,
  Select,
  button,
  clickInRow,
  confirmRun,
  dialog,
  field,
  filesUnder,
  heading,
  named,
  nativeWindow,
  readText,
  shootFailure,
  startApp,
  startSimulator,
  typeInto,
  visibleX,
  waitFor,
  windowsOf,
  xdotool,
  xq,
} from './harness.mjs';
import { openRequests, readAudit } from './audit-file.mjs';

const WRONG_SECRET = 'not-the-right-secret-4410';
const CASE_REF = 'INV-2291';
const CASE_REASON = 'Suspected data theft, reported by HR (request 7)';

let sim;
let app;
let home;
let special;
const env = () => ({ RECORDING_DESK_CLOUD_URL: sim.url });

before(async () => {
  sim = await startSimulator();
  special = (await sim.control('state')).special;
  app = await startApp({ env: env() });
  home = app.home;
  await heading(app.driver, 'Welcome to Recording Desk', { ms: 30000 });
});

after(async () => {
  await app?.stop({ keepHome: true });
  await sim?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

afterEach(async (t) => shootFailure(app?.driver, `cloud-${t.name}`));

/** What the simulator's broker says about a session's recording. */
const pick = ({ recording, notifyUser }) => ({ recording, notifyUser });

/** The rows of a session grid (by its accessible name), as `{ el, id, text }`. */
async function gridRows(label) {
  const grid = await named(app.driver, label);
  const rows = await grid.findElements(By.xpath('.//tbody/tr[@data-key]'));
  return Promise.all(rows.map(async (el) => ({ el, id: await el.getAttribute('data-key'), text: await readText(app.driver, el) })));
}

async function waitForRows(label, predicate, what) {
  return waitFor(app.driver, async () => {
    const rows = await gridRows(label);
    return predicate(rows) ? rows : false;
  }, 20000, what);
}

/** The run panel once its run is over, with each session's line. */
async function finishedRun(title, ms = 30000) {
  const d = app.driver;
  await heading(d, title, { ms });
  const list = await named(d, 'Sessions in this request');
  const items = await list.findElements(By.css('li'));
  return {
    items: await Promise.all(items.map((li) => readText(d, li))),
    counts: await readText(d, await visibleX(d, `//aside[.//h2[normalize-space(.)=${xq(title)}]]//p[contains(., 'finished')]`)),
    summary: await readText(d, await visibleX(d, `//aside[.//h2[normalize-space(.)=${xq(title)}]]//*[contains(@class, 'run-footer')]`)),
  };
}

function secretFindings() {
  const hits = [];
  const files = filesUnder(home);
  for (const file of files) {
    const bytes = readFileSync(file);
    for (const s of [SIM_CREDS.secret, WRONG_SECRET]) {
      if (bytes.includes(Buffer.from(s)) || bytes.includes(Buffer.from(s, 'utf16le'))) hits.push(`${file} contains ${s === WRONG_SECRET ? 'the wrong' : 'the'} secret`);
    }
  }
  return { files, hits };
}

test('a wrong secret is refused with the wrong-credentials message, and nothing typed is lost', async () => {
  const d = app.driver;
  await new Select(await field(d, 'Region')).selectByVisibleText('European Union');
  await typeInto(await field(d, 'Customer ID'), SIM_CREDS.customer);
  await typeInto(await field(d, 'Client ID'), SIM_CREDS.clientId);
  await typeInto(await field(d, 'Secret'), WRONG_SECRET);
  await (await button(d, 'Connect')).click();

  const alert = await visibleX(d, `//*[@role='alert'][.//*[normalize-space(.)='Citrix Cloud did not accept the client ID or secret']]`, { ms: 20000 });
  assert.match(await readText(d, alert), /Copy both again/);
  await heading(d, 'Welcome to Recording Desk');
  await heading(d, 'Connect to Citrix Cloud');
  assert.equal(await (await field(d, 'Customer ID')).getAttribute('value'), SIM_CREDS.customer);
  assert.equal(await (await field(d, 'Client ID')).getAttribute('value'), SIM_CREDS.clientId);
  assert.equal(await (await field(d, 'Secret')).getAttribute('value'), WRONG_SECRET, 'the secret field keeps what was typed');
  const region = await new Select(await field(d, 'Region')).getFirstSelectedOption();
  assert.equal(await region.getText(), 'European Union');
});

test('the right secret connects and opens the sessions list', async () => {
  const d = app.driver;
  await typeInto(await field(d, 'Secret'), SIM_CREDS.secret);
  await (await button(d, 'Connect')).click();
  await heading(d, 'Sessions', { ms: 20000 });
  // The first view lists the active sessions right away.
  await waitForRows('Search results', (rows) => rows.length > 0, 'no sessions listed after connecting');
  const nav = await named(d, 'Main');
  assert.match(await readText(d, nav), /Audit trail/);
});

test('the Recording column asks Citrix only about the rows in view', async () => {
  // The first rows show what Citrix said once it has been asked.
  const rows = await waitForRows('Search results', (r) => r.length > 10 && !/Checking/.test(r[0].text), 'the first row never showed its recording status');
  const { statusRequests } = await sim.control('state');
  const listed = new Set(rows.map((r) => r.id));
  assert.ok(statusRequests.length > 0, 'the rows in view were asked about');
  assert.ok(statusRequests.length < rows.length / 2, `${statusRequests.length} status requests for ${rows.length} listed sessions`);
  assert.equal(new Set(statusRequests).size, statusRequests.length, 'no session was asked about twice');
  for (const id of statusRequests) assert.ok(listed.has(id), `${id} was asked about but is not listed`);
  assert.ok(statusRequests.includes(rows[0].id), 'the first row was asked about');
});

test('the secret is kept in the keychain and in no file of the app', async () => {
  const account = `${SIM_CREDS.customer}/${SIM_CREDS.clientId}`;
  const stored = execFileSync('secret-tool', ['lookup', 'service', KEYCHAIN_SERVICE, 'username', account], { encoding: 'utf8' });
  assert.equal(stored, SIM_CREDS.secret, 'the keychain holds the secret under the app service and account');

  const { files, hits } = secretFindings();
  assert.ok(files.some((f) => f.endsWith('settings.json') || f.includes(APP_ID)), `the app's files were not found under ${home}: ${files.join(', ')}`);
  assert.ok(files.some((f) => f.endsWith('.log')), 'the app writes a log, which must be searched too');
  assert.deepEqual(hits, [], 'no file holds a secret');
});

test('searching for jsmith lists both of Jane Smith\'s sessions; recording starts on one without telling her', async () => {
  const d = app.driver;
  const form = await named(d, 'Find sessions');
  await typeInto(await field(d, 'User', { within: form }), 'jsmith');
  await (await button(d, 'Search', { within: form })).click();
  // "jsmith" is part of other user names too (CONTOSO\\jsmith2); every row found must match it.
  const rows = await waitForRows(
    'Search results',
    (r) => r.length > 0 && r.every((x) => /jsmith/i.test(x.text)) && r.some((x) => x.id === special.recordable && !/Checking/.test(x.text)),
    'the search did not list jsmith with the recording status of Jane Smith\'s session',
  );
  assert.equal(rows.filter((r) => r.text.includes('Jane Smith')).length, 2, 'two Jane Smith sessions');
  const row = rows.find((r) => r.text.includes('VDA-FIN-01'));
  assert.ok(row, 'one of them is on VDA-FIN-01');
  assert.equal(row.id, special.recordable);
  assert.doesNotMatch(row.text, /Can't record/);
  assert.match(row.text, /Not recording/);

  await clickInRow(app.driver, 'Search results', row.id, `.//input[@type='checkbox'][@aria-label='Select Jane Smith']`);
  const notify = await field(d, 'Notify the user');
  if (await notify.isSelected()) await notify.click();
  assert.equal(await notify.isSelected(), false);
  await waitFor(d, async () => (await readText(d, await named(d, 'Start or stop recording'))).includes('1 session selected'), 5000, 'selection not counted');
  await (await button(d, 'Start recording')).click();
  // One session is confirmed too, naming whom it will not tell.
  assert.equal(await confirmRun(d, 'Start recording', 'Start recording 1 session'), 'Start recording 1 session, without telling the user?');

  const run = await finishedRun('Start recording: finished');
  assert.equal(run.items.length, 1);
  assert.match(run.items[0], /Jane Smith/);
  assert.match(run.items[0], /Recording — confirmed by Citrix/);
  assert.match(run.summary, /Recording confirmed by Citrix on 1 session\./);
  assert.deepEqual(pick(await sim.control(`sessions/${special.recordable}`)), { recording: true, notifyUser: false });
  // The list shows the new state too.
  await waitForRows('Search results', (r) => r.some((x) => x.id === special.recordable && /\bRecording\b/.test(x.text) && !/Not recording/.test(x.text)), 'the row does not show Recording');
});

test('the session detail shows the key facts and everything Citrix reports, with the session ID', async () => {
  const d = app.driver;
  await clickInRow(app.driver, 'Search results', special.recordable, `.//button[normalize-space(.)='Jane Smith']`);
  const drawer = await dialog(d, 'Session details');
  const idFact = await visibleX(d, `.//dt[normalize-space(.)='Session ID']/following-sibling::dd[1]`, { within: drawer });
  assert.match(await readText(d, idFact), new RegExp(special.recordable));
  const fact = async (term) => readText(d, await visibleX(d, `.//dt[normalize-space(.)=${xq(term)}]/following-sibling::dd[1]`, { within: drawer }));
  assert.match(await fact('User'), /Jane Smith/);
  assert.match(await fact('User'), /CONTOSO\\jsmith/);
  assert.equal(await fact('Machine'), 'CONTOSO\\VDA-FIN-01');
  assert.equal(await fact('Protocol'), 'HDX');
  assert.equal(await fact('Recording'), 'Recording');
  const tree = await named(d, 'Session data from Citrix', { within: drawer });
  assert.match(await readText(d, tree), new RegExp(`"${special.recordable}"`), 'the JSON tree shows the session ID');
  await heading(d, "Citrix's answer to the last start request", { within: drawer });
  await (await button(d, 'Close session details', { within: drawer })).click();
  await waitFor(d, async () => (await d.findElements(By.css('dialog[open]'))).length === 0, 5000, 'the drawer did not close');
});

test('stopping the recording shows it stopped, confirmed by Citrix', async () => {
  const d = app.driver;
  const bar = await named(d, 'Start or stop recording');
  assert.match(await readText(d, bar), /1 session selected/);
  await (await button(d, 'Stop recording')).click();
  assert.equal(await confirmRun(d, 'Stop recording', 'Stop recording'), 'Stop recording 1 session?');
  const run = await finishedRun('Stop recording: finished');
  assert.equal(run.items.length, 1);
  assert.match(run.items[0], /Recording stopped — confirmed by Citrix/);
  assert.match(run.summary, /Recording stopped on 1 session, confirmed by Citrix\./);
  assert.equal((await sim.control(`sessions/${special.recordable}`)).recording, false);
});

test('with Citrix slow to start recording, the window says it is waiting, then that Citrix confirmed it', async () => {
  const d = app.driver;
  const id = special.recordable;
  // Citrix accepts the start at once but reports the recording only once the simulator is told
  // the Recording Server has started it: the window's words follow what Citrix reports.
  await sim.control('faults', { recordDelay: { ms: 600000 } });
  try {
    const bar = await named(d, 'Start or stop recording');
    assert.match(await readText(d, bar), /1 session selected/);
    await (await button(d, 'Start recording')).click();
    await confirmRun(d, 'Start recording', 'Start recording 1 session');
    await heading(d, 'Starting recording on 1 session');
    const list = await named(d, 'Sessions in this request');
    const waiting = await visibleX(d, `.//li[.//*[contains(@class,'run-status')][normalize-space(.)='Started — waiting for Citrix to confirm']]`, {
      within: list,
      ms: 20000,
      what: 'the session waiting for Citrix to confirm',
    });
    assert.match(await readText(d, waiting), /Jane Smith/);
    const counts = await readText(d, await visibleX(d, `//aside//p[contains(., ' finished')]`));
    assert.match(counts, /0 of 1 finished · 1 waiting for Citrix to confirm/);
    // Citrix has the start (applied once) but does not report it as recording yet.
    const before = await sim.control(`sessions/${id}`);
    assert.equal(before.recording, false, 'not recording yet, as the window says');
    assert.equal(before.settlesTo, true, 'the start was applied');
    assert.equal((await d.findElements(By.xpath(`//h2[normalize-space(.)='Start recording: finished']`))).length, 0, 'the run is not over');

    await sim.control('faults', { recording: { id, on: true } });
    const run = await finishedRun('Start recording: finished', 60000);
    assert.equal(run.items.length, 1);
    assert.match(run.items[0], /Recording — confirmed by Citrix/);
    assert.match(run.summary, /Recording confirmed by Citrix on 1 session\./);
    const after = await sim.control(`sessions/${id}`);
    assert.equal(after.recording, true);
    assert.equal(after.startsApplied - before.startsApplied, 0, 'the start was sent once');
  } finally {
    await sim.control('faults', { recordDelay: { ms: 0 } });
  }

  // Stopped again, so that the session is as the tests below expect it.
  await (await button(d, 'Stop recording')).click();
  await confirmRun(d, 'Stop recording', 'Stop recording 1 session');
  const stopped = await finishedRun('Stop recording: finished');
  assert.match(stopped.items[0], /Recording stopped — confirmed by Citrix/);
  assert.equal((await sim.control(`sessions/${id}`)).recording, false);
});

test('pasted IDs: counts and reasons, who each session is, the ended one and the RDP one flagged', async () => {
  const d = app.driver;
  const ended = special.connected;
  await sim.control('faults', { endSession: ended });
  await (await visibleX(d, `//*[@role='tab'][normalize-space(.)='Paste IDs']`)).click();
  const pasted = [
    'Session ID',
    special.recordable.toUpperCase(),
    `{${special.hostile}}; ${special.secondOfUser}`,
    special.rdp,
    ended,
    special.recordable,
    '12345',
    'VDA-FIN-01',
    special.recordable.slice(0, 23),
    'jsmith@contoso.com',
  ].join('\n');
  await typeInto(await field(d, 'Session IDs'), pasted);

  const feedback = await named(d, 'What was found in the pasted text');
  // The text is typed key by key: wait for the count of the whole of it, not of its first lines.
  const whole = /5 valid session IDs · 1 duplicate removed · 4 pieces not recognised/;
  await waitFor(d, async () => whole.test(await readText(d, feedback)), 10000, 'the pasted text was not counted');
  const fb = await readText(d, feedback);
  assert.match(fb, /5 valid session IDs · 1 duplicate removed · 4 pieces not recognised/);
  assert.match(fb, /12345 is a number, not a session ID/);
  assert.match(fb, /VDA-FIN-01 looks like a machine name/);
  assert.match(fb, /is too short to be a session ID \(20 of 32 hexadecimal digits\)/);
  assert.match(fb, /jsmith@contoso\.com looks like an e-mail address/);

  await (await button(d, 'Look up 5 sessions')).click();
  await visibleX(d, `//p[@role='status'][normalize-space(.)='4 sessions found and selected, 1 could not be looked up']`, { ms: 20000 });
  const problems = await visibleX(d, `//details[.//summary[normalize-space(.)='1 ID could not be looked up']]`);
  const problemText = await readText(d, problems);
  assert.match(problemText, new RegExp(`${ended} — This session has ended`));

  const rows = await waitForRows('Sessions found from the pasted IDs', (r) => r.length === 4, 'the four sessions found are not listed');
  const byId = Object.fromEntries(rows.map((r) => [r.id, r.text]));
  assert.deepEqual(Object.keys(byId).sort(), [special.recordable, special.hostile, special.secondOfUser, special.rdp].sort());
  assert.match(byId[special.recordable], /Jane Smith/);
  assert.match(byId[special.secondOfUser], /Jane Smith/);
  assert.match(byId[special.hostile], /<img src=x onerror=alert\(1\)>/);
  // The RDP session is flagged before anything is clicked.
  assert.match(byId[special.rdp], /RDP/);
  assert.match(byId[special.rdp], /Can't record/);
  for (const id of [special.recordable, special.hostile, special.secondOfUser]) assert.doesNotMatch(byId[id], /Can't record/);
  const bar = await readText(d, await named(d, 'Start or stop recording'));
  assert.match(bar, /4 sessions selected/);
  assert.match(bar, /1 selected session can't be recorded and will be skipped when you start recording\./);
});

test('after a burst of rate limiting, a start on three sessions still completes with each one recording', async () => {
  const d = app.driver;
  await sim.control('faults', { rateLimitBurst: { n: 6, retryAfter: 1 } });
  await (await button(d, 'Start recording')).click();
  const confirm = await dialog(d, 'Start recording 3 sessions, without telling the users?');
  const body = await readText(d, confirm);
  assert.match(body, /Jane Smith/);
  assert.match(body, /The users will not be told that their sessions are being recorded\./);
  assert.match(body, /1 selected session can't be recorded and will be skipped\./);
  // The reason and the case go with the run; the question names the case.
  const title = await confirmRun(d, 'Start recording', 'Start recording 3 sessions', { reason: CASE_REASON, caseRef: CASE_REF });
  assert.equal(title, `Start recording 3 sessions for case ${CASE_REF}, without telling the users?`);

  const run = await finishedRun('Start recording: finished', 60000);
  assert.equal(run.items.length, 3, 'the RDP session was skipped');
  for (const item of run.items) assert.match(item, /Recording — confirmed by Citrix/, item);
  assert.match(run.counts, /3 of 3 finished · 3 recording/);
  for (const id of [special.recordable, special.hostile, special.secondOfUser]) {
    assert.deepEqual(pick(await sim.control(`sessions/${id}`)), { recording: true, notifyUser: false }, id);
  }
  assert.equal((await sim.control(`sessions/${special.rdp}`)).recording, false);
  // The hostile user name went through the confirmation and the run panel as text only.
  assert.equal((await d.findElements(By.css('img[src="x"]'))).length, 0);
  await assert.rejects(d.switchTo().alert(), /alert/i, 'no alert is open');
});

test('the audit trail lists every action and says it is intact', async () => {
  const d = app.driver;
  await (await button(d, 'Audit trail', { within: await named(d, 'Main') })).click();
  await heading(d, 'Audit trail');
  await visibleX(d, `//*[contains(@class,'callout')][.//*[normalize-space(.)='Audit trail intact']]`, { ms: 10000 });
  await visibleX(d, `//p[@role='status'][normalize-space(.)='14 records']`);
  const grid = await named(d, 'Audit trail records');
  const text = await readText(d, grid);
  for (const expected of ['Start recording', 'Stop recording', 'Recording — confirmed by Citrix', 'Recording stopped — confirmed by Citrix', 'User not notified', 'CONTOSO\\jsmith']) {
    assert.ok(text.includes(expected), `the audit trail shows "${expected}"`);
  }
  assert.equal((await d.findElements(By.xpath(`//*[contains(normalize-space(.), 'with no known outcome')]`))).length, 0);
  assert.match(await readText(d, await d.findElement(By.css('main'))), new RegExp(`The audit trail is kept in ${app.dirs.audit.replace(/[.]/g, '\\.')}`));

  const audit = readAudit(app.dirs.audit);
  assert.equal(audit.intact, true, `chain broken at ${audit.brokenAt}`);
  assert.equal(audit.records.length, 14);
  assert.deepEqual(openRequests(audit.records), []);
  const starts = audit.records.filter((r) => r.event === 'outcome' && r.action === 'start');
  assert.ok(starts.every((r) => r.outcome === 'recording' && r.notifyUser === false));
  assert.ok(audit.records.every((r) => r.mode === 'cloud' && r.customerId === SIM_CREDS.customer));
});

test('the Audit screen shows the records of one case, with its reason and the names shown', async () => {
  const d = app.driver;
  await typeInto(await field(d, 'Case or ticket'), CASE_REF.toLowerCase());
  await (await button(d, 'Apply filters')).click();
  await visibleX(d, `//p[@role='status'][normalize-space(.)='6 records']`, { ms: 10000, what: 'the 6 records of the case' });
  const text = await readText(d, await named(d, 'Audit trail records'));
  assert.ok(text.includes(CASE_REF), text);
  assert.ok(text.includes(CASE_REASON.slice(0, 20)), text);
  assert.ok(text.includes('Jane Smith') && text.includes('CONTOSO\\jsmith'), 'the name shown and the account');

  // On disk: every record of that run, and only those, carry the reason, the case and the name.
  const { records } = readAudit(app.dirs.audit);
  const ofCase = records.filter((r) => r.caseRef === CASE_REF);
  assert.equal(ofCase.length, 6);
  assert.equal(new Set(ofCase.map((r) => r.runId)).size, 1);
  assert.ok(ofCase.every((r) => r.reason === CASE_REASON && typeof r.displayName === 'string' && r.displayName.length > 0));
  assert.ok(records.filter((r) => r.runId !== ofCase[0].runId).every((r) => r.caseRef === undefined && r.reason === undefined));

  await typeInto(await field(d, 'Case or ticket'), '');
  await (await button(d, 'Apply filters')).click();
  await visibleX(d, `//p[@role='status'][normalize-space(.)='14 records']`);
});

test('the investigation report of a case is saved as a PDF through the Save dialog, with the case, the names and the fingerprint', async () => {
  const d = app.driver;
  await typeInto(await field(d, 'Case or ticket'), CASE_REF);
  await (await button(d, 'Apply filters')).click();
  await visibleX(d, `//p[@role='status'][normalize-space(.)='6 records']`, { ms: 10000, what: 'the 6 records of the case' });
  const folder = mkdtempSync(join(tmpdir(), 'rd-e2e-report-'));
  const path = join(folder, `report ${CASE_REF}.pdf`);
  try {
    const [main] = windowsOf(app.pid);
    assert.ok(main, 'the app window is on the display');
    await (await button(d, 'Export report (PDF)…')).click();
    // The system's Save dialog (GTK's file chooser): the officer types where to save, and Enter.
    const save = await nativeWindow(app.pid, main, 'the Save dialog');
    xdotool('windowfocus', '--sync', save);
    xdotool('key', 'ctrl+a');
    xdotool('type', '--delay', '10', path);
    xdotool('key', 'Return');
    const saved = await visibleX(d, `//*[contains(@class,'callout')][.//*[starts-with(normalize-space(.), 'Report saved:')]]`, {
      ms: 30000,
      what: 'the report saved',
    });
    const said = await readText(d, saved);
    assert.match(said, /^Report saved: 6 records on \d+ pages?/);
    assert.ok(said.includes(`Saved to ${path}.`), said);
    const sha256 = said.match(/SHA-256 of the exported records: ([0-9a-f]{64})/)?.[1];
    assert.ok(sha256, said);
    assert.ok(existsSync(path), 'the PDF is where the officer chose');

    // Read back as text, as anyone the report is given to would read it.
    const text = execFileSync('pdftotext', ['-layout', path, '-'], { encoding: 'utf8' });
    const flat = text.replace(/\s+/g, ' ');
    assert.ok(flat.includes(CASE_REF), 'the case');
    assert.ok(flat.includes(CASE_REASON.slice(0, 20)), 'the reason');
    assert.ok(flat.includes('Jane Smith') && flat.includes('CONTOSO\\jsmith'), 'the name shown and the account');
    assert.ok(flat.includes('Fingerprint of the exported records'), 'the fingerprint heading');
    assert.ok(text.replace(/\s+/g, '').includes(`SHA-256${sha256}`), 'the fingerprint line, the same as the window said');
  } finally {
    rmSync(folder, { recursive: true, force: true });
    await typeInto(await field(d, 'Case or ticket'), '');
    await (await button(d, 'Apply filters')).click();
    await visibleX(d, `//p[@role='status'][normalize-space(.)='14 records']`);
  }
});

test('the audit trail names the person and the computer that acted, as the OS knows them', () => {
  // Asked of the OS, not of environment variables (which are unset or wrong often enough).
  const { records } = readAudit(app.dirs.audit);
  assert.ok(records.length > 0);
  for (const r of records) {
    assert.equal(r.osUser, userInfo().username, `record ${r.seq}: osUser`);
    assert.equal(r.computer, hostname(), `record ${r.seq}: computer`);
  }
});

test('the next start reconnects by itself with the secret from the keychain', async () => {
  await app.stop({ keepHome: true });
  const tokensBefore = (await sim.control('state')).tokenRequests;
  // As scripts/start.sh opens it: with an account saved, --demo-if-new must not open the demo.
  app = await startApp({ home, env: env(), args: ['--demo-if-new'] });
  const d = app.driver;
  await heading(d, 'Sessions', { ms: 30000 });
  assert.match(await readText(d, await d.findElement(By.css('header'))), new RegExp(SIM_CREDS.customer));
  assert.equal((await d.findElements(By.xpath(`//header//*[normalize-space(.)='Demo site']`))).length, 0, 'not on the demo site');
  assert.ok((await sim.control('state')).tokenRequests > tokensBefore, 'a new token was requested with the stored secret');
  await waitForRows('Search results', (rows) => rows.length > 0, 'no sessions listed after reconnecting');
  const { hits } = secretFindings();
  assert.deepEqual(hits, [], 'no file holds a secret after a second launch');
});

test('signing out deletes the secret from the keychain and keeps the audit trail', async () => {
  const d = app.driver;
  await (await button(d, 'Settings', { within: await named(d, 'Main') })).click();
  await heading(d, 'Settings');
  await (await button(d, 'Sign out and forget the secret')).click();
  const confirm = await dialog(d, 'Sign out of Citrix Cloud?');
  await (await button(d, 'Sign out', { within: confirm })).click();
  await heading(d, 'Welcome to Recording Desk', { ms: 15000 });
  assert.equal(await (await field(d, 'Customer ID')).getAttribute('value'), '', 'the account is forgotten');

  const account = `${SIM_CREDS.customer}/${SIM_CREDS.clientId}`;
  const lookup = spawnSync('secret-tool', ['lookup', 'service', KEYCHAIN_SERVICE, 'username', account], { encoding: 'utf8' });
  assert.equal(lookup.stdout, '', 'the keychain no longer holds the secret');
  assert.equal(readAudit(app.dirs.audit).records.length, 14, 'the audit trail is kept');
  assert.deepEqual(secretFindings().hits, []);
});
