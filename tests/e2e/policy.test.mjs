// Settings the organisation set, in the real app: started with a policy file (through
// RECORDING_DESK_POLICY_FILE, as a packager or IT would place it) that requires a case and decides
// that users are never told. The Settings screen shows them locked, a start without a case is
// refused in the dialog, and a start with one reaches Citrix (the simulator) without a notice to
// the user, as its own state and the audit trail show.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  By,
  button,
  clickInRow,
  connectToSimulator,
  field,
  heading,
  named,
  readText,
  runDialog,
  seeText,
  shootFailure,
  startApp,
  startSimulator,
  typeInto,
  visibleX,
  waitFor,
} from './harness.mjs';
import { readAudit } from './audit-file.mjs';

const MANAGED = 'Set by your organisation';

let sim;
let app;
let special;
let policyDir;

before(async () => {
  sim = await startSimulator();
  special = (await sim.control('state')).special;
  policyDir = mkdtempSync(join(tmpdir(), 'rd-policy-'));
  const policy = join(policyDir, 'policy.json');
  writeFileSync(policy, JSON.stringify({ requireCase: true, notifyUser: 'never' }));
  app = await startApp({ env: { RECORDING_DESK_CLOUD_URL: sim.url, RECORDING_DESK_POLICY_FILE: policy } });
  await connectToSimulator(app.driver);
});

after(async () => {
  await app?.stop();
  await sim?.stop();
  if (policyDir) rmSync(policyDir, { recursive: true, force: true });
});

afterEach(async (t) => shootFailure(app?.driver, `policy-${t.name}`));

test('the settings screen shows what the organisation set, locked', async () => {
  const d = app.driver;
  await (await button(d, 'Settings')).click();
  await heading(d, 'Settings');
  await seeText(d, 'Some settings are set by your organisation.');
  await seeText(d, 'Users are never told when their session is recorded.');
  const requireCase = await field(d, `Require a case or ticket reference`);
  assert.equal(await requireCase.isSelected(), true);
  assert.equal(await requireCase.isEnabled(), false, 'locked');
  const badge = await visibleX(d, `//label[normalize-space(.)='Require a case or ticket reference']/following-sibling::*[normalize-space(.)='${MANAGED}']`);
  assert.ok(badge);
  const requireReason = await field(d, 'Require a reason');
  assert.equal(await requireReason.isEnabled(), true, 'not set by the organisation: the officer\'s');
  await (await button(d, 'Sessions')).click();
  await heading(d, 'Sessions');
});

test('a start without a case is refused in the dialog; with one, Citrix records it without telling the user', async () => {
  const d = app.driver;
  const form = await named(d, 'Find sessions');
  await typeInto(await field(d, 'User', { within: form }), 'jsmith');
  await (await button(d, 'Search', { within: form })).click();
  await waitFor(d, async () => (await d.findElements(By.xpath(`//tbody/tr[@data-key='${special.recordable}']`))).length > 0, 20000, 'Jane Smith not listed');
  await clickInRow(d, 'Search results', special.recordable, `.//input[@type='checkbox'][@aria-label='Select Jane Smith']`);

  const notify = await field(d, 'Notify the user');
  assert.equal(await notify.isSelected(), false, "the organisation's choice: never");
  assert.equal(await notify.isEnabled(), false, 'fixed');
  assert.match(await readText(d, await named(d, 'Start or stop recording')), new RegExp(MANAGED));

  await (await button(d, 'Start recording')).click();
  const confirm = await runDialog(d, 'Start recording 1 session');
  assert.equal(await readText(d, await confirm.findElement(By.css('.modal-title'))), 'Start recording 1 session, without telling the user?');
  const said = await readText(d, confirm);
  assert.match(said, /The user will not be told that the session is being recorded\./);
  assert.match(said, new RegExp(MANAGED));

  // No case: the dialog stays, says why under the field, and nothing reaches Citrix.
  await (await button(d, 'Start recording', { within: confirm })).click();
  await visibleX(d, `.//*[contains(@class, 'field-error')][contains(., 'your organisation requires one')]`, { within: confirm });
  assert.equal((await sim.control(`sessions/${special.recordable}`)).recording, false);

  await typeInto(await field(d, 'Case or ticket reference (required)', { within: confirm }), 'INV-4410');
  await (await button(d, 'Start recording', { within: confirm })).click();
  await heading(d, 'Start recording: finished', { ms: 30000 });
  const state = await sim.control(`sessions/${special.recordable}`);
  assert.deepEqual({ recording: state.recording, notifyUser: state.notifyUser }, { recording: true, notifyUser: false });

  const { records } = readAudit(app.dirs.audit);
  const mine = records.filter((r) => r.sessionId === special.recordable);
  assert.ok(mine.length >= 2, 'requested and its outcome');
  assert.ok(mine.every((r) => r.caseRef === 'INV-4410' && r.notifyUser === false), JSON.stringify(mine));
});
