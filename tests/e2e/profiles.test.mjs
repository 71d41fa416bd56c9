// Two accounts in the real app: a Citrix Cloud account (the simulator) saved under a name by the
// command-line tool, and the built-in demo site. The header names the current one; the officer
// switches from its menu, without being asked for the secret again, and runs a start on each. The
// audit trail names each account and its customer; the simulator's own state shows that only the
// Citrix Cloud run reached it.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KEYCHAIN_SERVICE,
  ROOT,
  SIM_CREDS,
  By,
  appDirs,
  appEnv,
  button,
  clickInRow,
  confirmRun,
  field,
  heading,
  named,
  readText,
  shootFailure,
  startApp,
  startSimulator,
  typeInto,
  visibleX,
  waitFor,
  xq,
} from './harness.mjs';
import { readAudit } from './audit-file.mjs';

const RDESK = join(ROOT, 'target', 'debug', 'rdesk');
const ACCOUNT = `${SIM_CREDS.customer}/${SIM_CREDS.clientId}`;
const NAME = 'Acme EU';

let sim;
let app;
let home;
let special;

before(async () => {
  if (!existsSync(RDESK)) throw new Error(`rdesk missing: ${RDESK} (cargo build -p rdesk)`);
  sim = await startSimulator();
  special = (await sim.control('state')).special;
  home = mkdtempSync(join(tmpdir(), 'rd-e2e-profiles-'));
  const env = appEnv(home, { RECORDING_DESK_CLOUD_URL: sim.url });
  execFileSync(
    RDESK,
    ['login', '--region', 'eu', '--customer', SIM_CREDS.customer, '--client-id', SIM_CREDS.clientId, '--name', NAME],
    { env, input: SIM_CREDS.secret, encoding: 'utf8' },
  );
});

after(async () => {
  await app?.stop({ keepHome: true });
  await sim?.stop();
  spawnSync('secret-tool', ['clear', 'service', KEYCHAIN_SERVICE, 'username', ACCOUNT]);
  if (home) rmSync(home, { recursive: true, force: true });
});

afterEach(async (t) => shootFailure(app?.driver, `profiles-${t.name}`));

const switcherName = async (d) => readText(d, await d.findElement(By.css('#account-switcher .account-switcher-name')));

/** Chooses an account in the header's menu. */
async function switchTo(d, name) {
  await (await d.findElement(By.css('#account-switcher'))).click();
  const menu = await named(d, 'Citrix accounts');
  await (await menu.findElement(By.xpath(`.//*[@role='menuitemradio'][.//*[normalize-space(.)=${xq(name)}]]`))).click();
  await waitFor(d, async () => (await switcherName(d)) === name, 30000, `the header does not name ${name}`);
  await heading(d, 'Sessions', { ms: 30000 });
}

/**
 * Finds a session (by user, or in the list the screen loads by itself), selects the first row
 * `pick` accepts, starts recording without telling the user and waits for the run to end.
 */
async function startOne(d, user, pick) {
  if (user) {
    const form = await named(d, 'Find sessions');
    await typeInto(await field(d, 'User', { within: form }), user);
    await (await button(d, 'Search', { within: form })).click();
  }
  const row = await waitFor(
    d,
    async () => {
      const grid = await named(d, 'Search results');
      const rows = await grid.findElements(By.xpath('.//tbody/tr[@data-key]'));
      const texts = await Promise.all(rows.map((el) => readText(d, el)));
      // Until the search asked for has answered, the grid still lists the earlier one.
      if (texts.length === 0 || (user && !texts.every((t) => t.toLowerCase().includes(user)))) return false;
      const i = texts.findIndex(pick);
      return i >= 0 ? { id: await rows[i].getAttribute('data-key'), text: texts[i] } : false;
    },
    20000,
    'no session to start',
  );
  // A search still arriving rebuilds the grid and its selection: select until the bar counts it.
  await waitFor(
    d,
    async () => {
      const bar = () => named(d, 'Start or stop recording');
      if (!(await readText(d, await bar())).includes('1 session selected')) {
        await clickInRow(d, 'Search results', row.id, `.//input[@type='checkbox']`);
      }
      return (await readText(d, await bar())).includes('1 session selected');
    },
    20000,
    'the session was not selected',
  );
  const notify = await field(d, 'Notify the user');
  if (await notify.isSelected()) await notify.click();
  await (await button(d, 'Start recording')).click();
  await confirmRun(d, 'Start recording', 'Start recording 1 session');
  await heading(d, 'Start recording: finished', { ms: 30000 });
  const list = await named(d, 'Sessions in this request');
  assert.match(await readText(d, list), /Recording — confirmed by Citrix/);
  await (await visibleX(d, `//aside[.//h2[normalize-space(.)='Start recording: finished']]//button[normalize-space(.)='Close']`)).click();
  return row.id;
}

test('the app opens on the saved account, named in the header, and runs on it', async () => {
  app = await startApp({ home, env: { RECORDING_DESK_CLOUD_URL: sim.url } });
  const d = app.driver;
  await heading(d, 'Sessions', { ms: 30000 });
  assert.equal(await switcherName(d), NAME);
  const id = await startOne(d, 'jsmith', (text) => text.includes('VDA-FIN-01'));
  assert.equal(id, special.recordable);
  assert.equal((await sim.control(`sessions/${special.recordable}`)).recording, true, 'the simulator records it');
});

test('switching to the demo site and back asks for no secret; each run is recorded under its account', async () => {
  const d = app.driver;
  await switchTo(d, 'Demo site');
  // The badge is shown in capitals (CSS), which WebDriver's text follows.
  assert.equal((await readText(d, await d.findElement(By.css('.app-header .badge-demo')))).toLowerCase(), 'demo site');
  const apiBefore = (await sim.control('state')).apiRequests;
  await startOne(d, '', (text) => /Not recording/.test(text) && !/Can't record/.test(text));
  assert.equal((await sim.control('state')).apiRequests, apiBefore, 'the demo run did not reach the simulator');

  const tokensBefore = (await sim.control('state')).tokenRequests;
  await switchTo(d, NAME);
  assert.ok((await sim.control('state')).tokenRequests > tokensBefore, 'signed in again with the stored secret');
  assert.equal((await d.findElements(By.css('input[name=secret]'))).length, 0, 'no sign-in form');

  const trail = readAudit(appDirs(home).audit);
  assert.equal(trail.intact, true);
  const where = trail.records.map((r) => `${r.profile} | ${r.mode} | ${r.mode === 'cloud' ? r.customerId : 'demo'}`);
  assert.deepEqual(where, [
    `${NAME} | cloud | ${SIM_CREDS.customer}`,
    `${NAME} | cloud | ${SIM_CREDS.customer}`,
    'Demo site | demo | demo',
    'Demo site | demo | demo',
  ]);
});
