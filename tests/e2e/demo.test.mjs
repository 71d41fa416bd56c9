// First launch with `--demo-if-new` (what scripts/start.sh passes): the app opens on the built-in
// demo site, which shows ordinary people (the hostile user name is the test sessions', see
// hostile.test.mjs), and stays a single instance.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { APP, By, appEnv, heading, named, readText, shootFailure, sleep, startApp, visibleX, waitFor } from './harness.mjs';

let app;

before(async () => {
  app = await startApp({ args: ['--demo-if-new'] });
});

after(async () => {
  await app?.stop();
});

afterEach(async (t) => shootFailure(app?.driver, `demo-${t.name}`));

test('a first launch with --demo-if-new opens on the demo site, marked as such', async () => {
  const d = app.driver;
  await heading(d, 'Sessions', { ms: 30000 });
  const badge = await visibleX(d, `//header//*[normalize-space(.)='Demo site']`);
  assert.match(await badge.getAttribute('title'), /nothing real is recorded/i);
  const grid = await named(d, 'Search results');
  await waitFor(d, async () => (await grid.findElements(By.xpath('.//tbody/tr[@data-key]'))).length > 0, 20000, 'no demo sessions listed');
  assert.match(await readText(d, await d.findElement(By.css('header'))), /Demo Site/);
});

test('the demo site shows ordinary people, none of the test accounts', async () => {
  const d = app.driver;
  const grid = await named(d, 'Search results');
  const text = await readText(d, grid);
  assert.match(text, /VDA-/, 'sessions of the demo company are listed');
  assert.doesNotMatch(text, /</, 'no markup in any name');
  assert.doesNotMatch(text, /qa\.probe/i);
});

test('a second launch hands over to the running window and exits', async () => {
  const d = app.driver;
  const started = Date.now();
  const second = spawn(APP, [], { env: appEnv(app.home), stdio: 'ignore' });
  const code = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve('still running'), 8000);
    second.once('exit', (c, sig) => {
      clearTimeout(timer);
      resolve(c ?? sig);
    });
  });
  if (code === 'still running') second.kill('SIGKILL');
  assert.notEqual(code, 'still running', 'the second copy did not exit within 8 s');
  assert.equal(code, 0);
  const took = Date.now() - started;
  await sleep(300);
  // The first window is still there and still works.
  assert.equal((await d.getAllWindowHandles()).length, 1);
  assert.equal(await d.getTitle(), 'Recording Desk');
  await heading(d, 'Sessions');
  await (await visibleX(d, `//nav[@aria-label='Main']//button[normalize-space(.)='Audit trail']`)).click();
  await heading(d, 'Audit trail');
  assert.ok(took < 8000, `second launch took ${took} ms`);
});
