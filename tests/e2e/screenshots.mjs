// Screenshots of the real app for the guides (docs/screenshots/*.png), driven like the end-to-end
// tests against the Citrix Cloud simulator, in a 1200×800 window. Run by scripts/screenshots.sh,
// which provides the display, the session bus and an unlocked keyring.
// Usage: node tests/e2e/screenshots.mjs [outDir]   (default docs/screenshots)
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  ROOT,
  By,
  Select,
  button,
  clickInRow,
  dialog,
  runDialog,
  field,
  heading,
  named,
  readText,
  settle,
  sleep,
  startApp,
  startSimulator,
  typeInto,
  visibleX,
  waitFor,
} from './harness.mjs';

const out = resolve(process.argv[2] ?? join(ROOT, 'docs', 'screenshots'));
mkdirSync(out, { recursive: true });
// Realistic account details for the pictures (the simulator accepts whatever it is started with).
const CREDS = { customer: 'contoso', clientId: '3f1c7b52-6a0e-4c55-9d7e-2b8a41f0c9d1', secret: 'q8Zr-screenshot-secret-Lm4' };
const WIDTH = 1200;
const HEIGHT = 800;

/** The whole window (menu bar included), cut out of the virtual screen. */
async function shot(driver, name) {
  await settle(driver, 250);
  const { x, y, width, height } = await driver.manage().window().getRect();
  const file = join(out, `${name}.png`);
  try {
    execFileSync('import', ['-window', 'root', '-crop', `${width}x${height}+${x}+${y}`, '+repage', file]);
  } catch {
    // No ImageMagick: the web content alone, as WebDriver renders it.
    writeFileSync(file, await driver.takeScreenshot(), 'base64');
  }
  console.log(file);
}

async function sizeWindow(driver) {
  try {
    await driver.manage().window().setRect({ width: WIDTH, height: HEIGHT });
  } catch {
    /* the window already opens at 1200×800 */
  }
}

async function fillConnect(d, secret) {
  await new Select(await field(d, 'Region')).selectByVisibleText('European Union');
  await typeInto(await field(d, 'Customer ID'), CREDS.customer);
  await typeInto(await field(d, 'Client ID'), CREDS.clientId);
  await typeInto(await field(d, 'Secret'), secret);
}

// A site name of the kind officers see (the simulator's default, "Demo Site", would read as the
// app's demo site in the header).
const sim = await startSimulator(['--site-name', 'Contoso Production'], CREDS);
const homes = [];
let app;
try {
  // 1. The first screen, as an officer sees it (no test override of the Citrix address).
  app = await startApp();
  homes.push(app.home);
  let d = app.driver;
  await sizeWindow(d);
  await heading(d, 'Welcome to Recording Desk', { ms: 30000 });
  await fillConnect(d, CREDS.secret);
  await (await field(d, 'Customer ID')).click();
  await shot(d, 'connect');
  await app.stop();

  // 2. Against the simulator from here on.
  app = await startApp({ env: { RECORDING_DESK_CLOUD_URL: sim.url } });
  homes.push(app.home);
  d = app.driver;
  await sizeWindow(d);
  await heading(d, 'Welcome to Recording Desk', { ms: 30000 });
  await fillConnect(d, 'an-old-secret');
  await (await button(d, 'Connect')).click();
  const alert = await visibleX(d, `//*[@role='alert']`, { ms: 20000 });
  await (await alert.findElement(By.xpath(`.//summary[normalize-space(.)='Details for your IT team']`))).click();
  await d.executeScript('arguments[0].scrollIntoView({ block: "center" })', alert);
  await shot(d, 'error');

  await typeInto(await field(d, 'Secret'), CREDS.secret);
  await (await button(d, 'Connect')).click();
  await heading(d, 'Sessions', { ms: 20000 });

  // Search results: one delivery group, any state, so the list shows sessions that can't be recorded.
  const form = await named(d, 'Find sessions');
  await typeInto(await field(d, 'Delivery group', { within: form }), 'Finance Desktops');
  await new Select(await field(d, 'State', { within: form })).selectByVisibleText('Any state');
  await (await button(d, 'Search', { within: form })).click();
  const grid = await named(d, 'Search results');
  const rows = await waitFor(d, async () => {
    const found = await grid.findElements(By.xpath('.//tbody/tr[@data-key]'));
    const texts = await Promise.all(found.map((r) => readText(d, r)));
    // The rows in view show their recording status once Citrix has been asked.
    if (texts.length <= 6 || !texts.every((t) => t.includes('Finance Desktops')) || texts.slice(0, 4).some((t) => t.includes('Checking'))) return false;
    const ids = await Promise.all(found.map((r) => r.getAttribute('data-key')));
    return found.map((el, i) => ({ el, text: texts[i], id: ids[i] }));
  }, 20000, 'no Finance Desktops sessions listed');
  const recordable = rows.filter((r) => !r.text.includes("Can't record"));
  const notRecordable = rows.filter((r) => r.text.includes("Can't record"));
  const picked = [...recordable.slice(0, 4), ...notRecordable.slice(0, 1)];
  for (const r of picked) await clickInRow(d, 'Search results', r.id, `.//input[@type='checkbox']`);
  await sleep(200);
  await shot(d, 'results');

  // Confirmation for several sessions.
  await (await button(d, 'Start recording')).click();
  const confirm = await runDialog(d, `Start recording ${Math.min(4, recordable.length)} sessions`);
  await typeInto(await field(d, 'Reason (optional)', { within: confirm }), 'Suspected data theft, reported by HR');
  await typeInto(await field(d, 'Case or ticket reference (optional)', { within: confirm }), 'INV-2291');
  await shot(d, 'confirm');

  // Outcomes: one session whose recording agent does not record, one that ended meanwhile.
  await sim.control('faults', { neverRecords: { id: picked[2].id, never: true } });
  await sim.control('faults', { endSession: picked[3].id });
  await (await button(d, 'Start recording', { within: confirm })).click();
  // The session that never records is checked for the whole verify window (30 s) first.
  await heading(d, 'Start recording: finished', { ms: 60000 });
  await shot(d, 'outcomes');

  // Session details after the start.
  await clickInRow(d, 'Search results', picked[0].id, './/td[2]//button');
  const drawer = await dialog(d, 'Session details');
  await visibleX(d, `.//dt[normalize-space(.)='Session ID']`, { within: drawer, ms: 15000 });
  await shot(d, 'session');
  await (await button(d, 'Close session details', { within: drawer })).click();

  // The audit trail.
  await (await button(d, 'Audit trail', { within: await named(d, 'Main') })).click();
  await heading(d, 'Audit trail');
  await visibleX(d, `//p[@role='status'][contains(., 'records')]`, { ms: 15000 });
  await shot(d, 'audit');
} finally {
  await app?.stop({ keepHome: true });
  await sim.stop();
  for (const h of homes) rmSync(h, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
}
