// Where the window opens, in the real app on the virtual display: a window saved on a monitor
// that is gone (a position far beyond this screen) opens centred on the screen there is, at its
// saved size; one saved bigger than the screen is made to fit it; one saved on this screen opens
// where it was left.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appDirs, shootFailure, startApp, waitFor } from './harness.mjs';

let app;
let home;

afterEach(async (t) => {
  await shootFailure(app?.driver, `window-${t.name}`);
  await app?.stop();
  app = undefined;
  if (home) rmSync(home, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

/**
 * Starts the app with the window saved as `window` by an earlier run; returns its rectangle once
 * `settled(rect, screenWidth)` holds (by default: at its saved width), and the screen's size.
 */
async function openWith(window, settled = (rect) => rect.width === window.width) {
  home = mkdtempSync(join(tmpdir(), 'rd-e2e-window-'));
  const { appData } = appDirs(home);
  mkdirSync(appData, { recursive: true });
  writeFileSync(join(appData, 'settings.json'), JSON.stringify({ settings: { window: { maximized: false, ...window } } }));
  app = await startApp({ home });
  const d = app.driver;
  await waitFor(d, async () => (await d.getTitle()) === 'Recording Desk', 30000, 'the window did not open');
  const [screenWidth, screenHeight] = await d.executeScript('return [screen.width, screen.height]');
  // The window manager may apply the placement a moment after the window is shown.
  let rect;
  await waitFor(d, async () => {
    rect = await d.manage().window().getRect();
    return settled(rect, screenWidth);
  }, 10000, 'the window did not take its size');
  return { rect, screenWidth, screenHeight };
}

function assertOnScreen({ rect, screenWidth, screenHeight }) {
  const where = `window at ${rect.x},${rect.y} sized ${rect.width}x${rect.height} on a ${screenWidth}x${screenHeight} screen`;
  assert.ok(rect.x >= 0 && rect.y >= 0, `${where}: off the top or left of the screen`);
  assert.ok(rect.x + rect.width <= screenWidth && rect.y + rect.height <= screenHeight, `${where}: off the bottom or right`);
}

test('a window saved on a monitor that is gone opens centred on this screen, at its saved size', async () => {
  const opened = await openWith({ x: 6000, y: 5000, width: 1000, height: 700 });
  assertOnScreen(opened);
  const { rect, screenWidth, screenHeight } = opened;
  assert.equal(rect.width, 1000);
  assert.equal(rect.height, 700);
  assert.ok(Math.abs(rect.x - (screenWidth - 1000) / 2) <= 1, `centred across: x=${rect.x}`);
  assert.ok(Math.abs(rect.y - (screenHeight - 700) / 2) <= 1, `centred down: y=${rect.y}`);
});

test('a window saved on a monitor to the left, bigger than this screen, is made to fit it', async () => {
  const opened = await openWith({ x: -3000, y: -200, width: 3000, height: 2000 }, (rect, screenWidth) => rect.width === screenWidth);
  assertOnScreen(opened);
  assert.equal(opened.rect.width, opened.screenWidth);
  assert.equal(opened.rect.height, opened.screenHeight);
});

test('a window saved on this screen opens where it was left', async () => {
  const { rect } = await openWith({ x: 100, y: 60, width: 950, height: 650 });
  assert.deepEqual({ x: rect.x, y: rect.y, width: rect.width, height: rect.height }, { x: 100, y: 60, width: 950, height: 650 });
});
