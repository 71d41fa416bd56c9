// End-to-end harness: the built app in a real WebKit window, driven through tauri-driver
// (WebDriver) on the virtual display that scripts/test.sh provides, against the Citrix Cloud
// simulator binary or the app's own demo site.
import { spawn } from 'node:child_process';
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { Builder, By, until } from 'selenium-webdriver';

export { By, until };

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const APP = join(ROOT, 'target', 'debug', 'recording-desk');
export const SIM = join(ROOT, 'target', 'debug', 'citrix-sim');

/** Default credentials of the simulator binary. */
export const SIM_CREDS = { customer: 'e2e-customer', clientId: '3f1c7b52-6a0e-4c55-9d7e-2b8a41f0c9d1', secret: 'e2e-secret-value-7731' };

export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

function waitForLine(proc, pattern, what, ms = 20000) {
  return new Promise((ok, fail) => {
    let seen = '';
    const timer = setTimeout(() => fail(new Error(`${what} did not start in ${ms} ms:\n${seen}`)), ms);
    const onData = (d) => {
      seen += d.toString();
      const m = seen.match(pattern);
      if (m) {
        clearTimeout(timer);
        ok(m);
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`${what} exited with ${code}:\n${seen}`));
    });
  });
}

/** Starts the simulator binary on a free port; returns its base URL and a control client. */
export async function startSimulator(extraArgs = []) {
  if (!existsSync(SIM)) throw new Error(`simulator binary missing: ${SIM} (cargo build -p citrix-sim)`);
  const port = await freePort();
  const proc = spawn(SIM, [
    '--port', String(port),
    '--customer', SIM_CREDS.customer,
    '--client-id', SIM_CREDS.clientId,
    '--client-secret', SIM_CREDS.secret,
    '--control',
    ...extraArgs,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  const m = await waitForLine(proc, /Listening on (http:\/\/127\.0\.0\.1:\d+)/, 'simulator');
  const url = m[1];
  return {
    url,
    /** Flips a fault switch or reads state through the simulator's control endpoint. */
    async control(path, body) {
      const res = await fetch(`${url}/_sim/${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`simulator control ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    },
    async stop() {
      proc.kill('SIGTERM');
    },
  };
}

/**
 * Starts tauri-driver and opens the app. Each call gets fresh data/config folders unless `home`
 * is given, so settings and the audit trail start empty.
 */
export async function startApp({ env = {}, args = [], home } = {}) {
  if (!existsSync(APP)) throw new Error(`app binary missing: ${APP} (npm run tauri -- build --debug --no-bundle)`);
  const dir = home ?? mkdtempSync(join(tmpdir(), 'rd-e2e-'));
  const port = await freePort();
  const nativePort = await freePort();
  const driverEnv = {
    ...process.env,
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_CACHE_HOME: join(dir, 'cache'),
    ...env,
  };
  const driverProc = spawn('tauri-driver', ['--port', String(port), '--native-port', String(nativePort)], {
    env: driverEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let driverLog = '';
  driverProc.stdout.on('data', (d) => (driverLog += d));
  driverProc.stderr.on('data', (d) => (driverLog += d));
  await waitForPort(port, 15000);
  const driver = await new Builder()
    .withCapabilities({ browserName: 'wry', 'tauri:options': { application: APP, args } })
    .usingServer(`http://127.0.0.1:${port}/`)
    .build();
  await driver.manage().setTimeouts({ implicit: 0 });
  return {
    driver,
    home: dir,
    dataDir: join(dir, 'data'),
    configDir: join(dir, 'config'),
    driverLog: () => driverLog,
    async stop({ keepHome = false } = {}) {
      try {
        await driver.quit();
      } catch {
        /* the window may already be gone */
      }
      driverProc.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      if (!keepHome && !home) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/status`);
      if (res.ok || res.status) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`tauri-driver did not listen on ${port}`);
}

/** Waits for an element matching a CSS selector to be visible, and returns it. */
export async function visible(driver, css, ms = 15000) {
  const el = await driver.wait(until.elementLocated(By.css(css)), ms, `no element ${css}`);
  await driver.wait(until.elementIsVisible(el), ms, `element ${css} not visible`);
  return el;
}

/** Waits until the page's text contains `text`. */
export async function seeText(driver, text, ms = 15000) {
  await driver.wait(
    async () => (await driver.findElement(By.css('body')).getText()).includes(text),
    ms,
    `text not shown: ${text}`,
  );
}

export async function screenshot(driver, name) {
  const dir = process.env.RECORDING_DESK_SHOTS;
  if (!dir) return;
  const { writeFileSync, mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.png`), await driver.takeScreenshot(), 'base64');
}
