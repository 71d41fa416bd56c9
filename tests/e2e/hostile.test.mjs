// The hostile user name of the simulator's test sessions (an HTML <img> with an onerror
// handler) in the real window: listed, and shown in the session details, as literal text that
// makes no element and runs nothing. The demo site an officer first sees has no such name, so
// this runs against the simulator binary with its test sessions.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { By, connectToSimulator, named, readText, shootFailure, startApp, startSimulator, visibleX } from './harness.mjs';

const HOSTILE = '<img src=x onerror=alert(1)>';

let sim;
let app;

before(async () => {
  // The hostile session is the second of the test sessions: on the first page of any listing.
  sim = await startSimulator(['--sessions', '12']);
  app = await startApp({ env: { RECORDING_DESK_CLOUD_URL: sim.url } });
  await connectToSimulator(app.driver);
});

after(async () => {
  await app?.stop();
  await sim?.stop();
});

afterEach(async (t) => shootFailure(app?.driver, `hostile-${t.name}`));

test('a user name made of HTML is shown as literal text and runs nothing', async () => {
  const d = app.driver;
  const grid = await named(d, 'Search results');
  // Once Citrix was asked about the rows in view, their status is shown (the rows are built again).
  await visibleX(d, `.//tbody/tr[.//button[normalize-space(.)='${HOSTILE}']]//span[contains(@class, 'chip') and not(contains(@class, 'chip-checking'))]`, { within: grid, what: "the hostile row's recording status" });
  // The name is a text node inside the row's "Show details" button: no element was made from it.
  // (Read with innerText: WebKitWebDriver's Get Element Text returns "" inside this grid.)
  const name = await visibleX(d, `.//tbody/tr//button[normalize-space(.)='${HOSTILE}']`, { within: grid, what: 'the hostile user name' });
  assert.equal(await readText(d, name), HOSTILE);
  assert.equal((await name.findElements(By.xpath('./*'))).length, 0, 'no element was made from the name');
  assert.equal((await d.findElements(By.css('img[src="x"]'))).length, 0, 'no <img src=x> anywhere');
  await assert.rejects(d.switchTo().alert(), /alert/i, 'no alert is open');

  // The detail view shows it as text too.
  await name.click();
  const drawer = await visibleX(d, `//dialog[@open][.//h2[normalize-space(.)='Session details']]`);
  const user = await visibleX(d, `.//dt[normalize-space(.)='User']/following-sibling::dd[1]`, { within: drawer, ms: 15000 });
  assert.match(await readText(d, user), /<img src=x onerror=alert\(1\)>/);
  assert.equal((await d.findElements(By.css('img[src="x"]'))).length, 0);
  await assert.rejects(d.switchTo().alert(), /alert/i, 'no alert is open');
  await (await visibleX(d, `.//button[@aria-label='Close session details']`, { within: drawer })).click();
});
