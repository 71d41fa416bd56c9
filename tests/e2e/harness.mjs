// End-to-end harness: the built app in a real WebKit window, driven through tauri-driver
// (WebDriver) on the virtual display that scripts/test.sh provides, against the Citrix Cloud
// simulator binary or the app's own demo site.
//
// Elements are found the way an officer finds them: by label, button text, heading and ARIA
// role or name. Waits poll, so a fast machine is never slowed down by fixed sleeps.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, existsSync, rmSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { Builder, By, Key, until } from 'selenium-webdriver';
import { Select } from 'selenium-webdriver/lib/select.js';

export { By, Key, until, Select };

export const ROOT = resolve(import.meta.dirname, '..', '..');
// RECORDING_DESK_E2E_APP runs another build of the app (e.g. a dev build that loads the UI from the devUrl).
export const APP = process.env.RECORDING_DESK_E2E_APP || join(ROOT, 'target', 'debug', 'recording-desk');
export const SIM = join(ROOT, 'target', 'debug', 'citrix-sim');

/** The app's bundle identifier: its data and config folders are named after it. */
export const APP_ID = 'com.recordingdesk.desk';
/** Debug builds keep their keychain entries under their own service name. */
export const KEYCHAIN_SERVICE = 'com.recordingdesk.desk.dev';

/** Default credentials of the simulator binary. */
export const SIM_CREDS = { customer: 'e2e-customer', clientId: '3f1c7b52-6a0e-4c55-9d7e-2b8a41f0c9d1', secret: 'e2e-secret-value-7731' };

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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

// ---------------------------------------------------------------------------------------------
// Processes

/** Every process as `{ pid, ppid, comm, state }`, read from /proc. */
export function processTable() {
  const table = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name is in parentheses and may itself contain spaces or parentheses.
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const [state, ppid] = stat.slice(close + 2).split(' ');
      table.push({ pid: Number(name), ppid: Number(ppid), comm, state });
    } catch {
      /* the process ended while the table was read */
    }
  }
  return table;
}

/** The processes started (directly or not) by `rootPid`. */
export function descendants(rootPid) {
  const table = processTable();
  const found = [];
  let frontier = [rootPid];
  while (frontier.length > 0) {
    const next = table.filter((p) => frontier.includes(p.ppid));
    found.push(...next);
    frontier = next.map((p) => p.pid);
  }
  return found;
}

/** Runs xdotool (the virtual display's keyboard and window lookup); returns what it prints. */
export const xdotool = (...args) => execFileSync('xdotool', args, { encoding: 'utf8' }).trim();

/** The app's visible top-level windows (the main window, and a native dialog once it shows). */
export function windowsOf(pid) {
  try {
    return xdotool('search', '--onlyvisible', '--pid', String(pid)).split('\n').filter(Boolean);
  } catch {
    return []; // xdotool exits 1 when nothing matches
  }
}

/** Waits (up to ~10 s) for a visible window of the app other than `main`, e.g. a native dialog. */
export async function nativeWindow(pid, main, what) {
  for (let i = 0; i < 100; i++) {
    const other = windowsOf(pid).find((w) => w !== main);
    if (other) return other;
    await sleep(100);
  }
  throw new Error(`not shown: ${what}`);
}

/** True while `pid` runs (a zombie waiting to be reaped no longer runs). */
export function isRunning(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export async function waitUntilGone(pid, ms = 10000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!isRunning(pid)) return true;
    await sleep(50);
  }
  return !isRunning(pid);
}

function signal(pid, sig) {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** Lets the test runner exit: a child's open pipes would otherwise keep node alive. */
function release(proc) {
  proc.stdout?.destroy();
  proc.stderr?.destroy();
  proc.unref();
}

// ---------------------------------------------------------------------------------------------
// The simulator

/**
 * Starts the simulator binary on a free port; returns its base URL and a control client. It
 * serves the test sessions (the hostile user name, RDP, Disconnected, null fields...) unless
 * `extraArgs` says `--fixtures demo`.
 */
export async function startSimulator(extraArgs = [], creds = SIM_CREDS) {
  if (!existsSync(SIM)) throw new Error(`simulator binary missing: ${SIM} (cargo build -p citrix-sim)`);
  const port = await freePort();
  const proc = spawn(SIM, [
    '--port', String(port),
    '--fixtures', 'test',
    '--customer', creds.customer,
    '--client-id', creds.clientId,
    '--client-secret', creds.secret,
    '--control',
    ...extraArgs,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  const m = await waitForLine(proc, /Listening on (http:\/\/127\.0\.0\.1:\d+)/, 'simulator');
  const url = m[1];
  const sim = {
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
    /** Every session's JSON, read through the simulated Citrix API as a test oracle. */
    async sessions() {
      const tokenRes = await fetch(`${url}/cctrustoauth2/${creds.customer}/tokens/clients`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: creds.clientId, client_secret: creds.secret }),
      });
      const { access_token: token } = await tokenRes.json();
      const headers = { authorization: `CWSAuth bearer=${token}`, 'citrix-customerid': creds.customer, accept: 'application/json' };
      const me = await (await fetch(`${url}/cvad/manage/me`, { headers })).json();
      headers['citrix-instanceid'] = me.Customers[0].Sites[0].Id;
      const items = [];
      let continuation = null;
      do {
        const q = new URLSearchParams({ limit: '1000' });
        if (continuation) q.set('continuationToken', continuation);
        const page = await (await fetch(`${url}/cvad/manage/Sessions?${q}`, { headers })).json();
        items.push(...page.Items);
        continuation = page.ContinuationToken;
      } while (continuation);
      return items;
    },
    async stop() {
      proc.kill('SIGTERM');
      release(proc);
    },
  };
  return sim;
}

// ---------------------------------------------------------------------------------------------
// The app

/** The app's folders for a given home made by `startApp`. */
export function appDirs(home) {
  const data = join(home, 'data');
  return {
    data,
    config: join(home, 'config'),
    cache: join(home, 'cache'),
    state: join(home, 'state'),
    appData: join(data, APP_ID),
    audit: join(data, APP_ID, 'audit.jsonl'),
  };
}

/** The environment the app runs with for a given home (also for launching it directly). */
export function appEnv(home, env = {}) {
  const dirs = appDirs(home);
  return {
    ...process.env,
    XDG_DATA_HOME: dirs.data,
    XDG_CONFIG_HOME: dirs.config,
    XDG_CACHE_HOME: dirs.cache,
    XDG_STATE_HOME: dirs.state,
    // Each home is a computer of its own, with its own audit trail key and anchor in the one
    // keychain the tests share.
    RECORDING_DESK_TRAIL_NAMESPACE: basename(home),
    ...env,
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
  const driverProc = spawn('tauri-driver', ['--port', String(port), '--native-port', String(nativePort)], {
    env: appEnv(dir, env),
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
  await driver.manage().setTimeouts({ implicit: 0, script: 15000 });
  const findPid = () => descendants(driverProc.pid).find((p) => p.comm === 'recording-desk' && p.state !== 'Z')?.pid;
  let pid = findPid();
  for (let i = 0; !pid && i < 50; i++) {
    await sleep(100);
    pid = findPid();
  }
  if (!pid) throw new Error(`the app's process was not found under tauri-driver:\n${driverLog}`);

  // The app's own helpers (WebKit's web and network processes) outlive it for a moment.
  const family = () => [pid, ...descendants(pid).map((p) => p.pid)];
  const shutDown = async (members) => {
    driverProc.kill('SIGTERM');
    // WebKitWebDriver normally closes the app with the session; make sure of it, as a second
    // copy would hand over to a leftover one (single instance) instead of opening.
    if (!(await waitUntilGone(pid, 5000))) signal(pid, 'SIGKILL');
    for (const p of members) {
      if (!(await waitUntilGone(p, 2000))) signal(p, 'SIGKILL');
      await waitUntilGone(p, 2000);
    }
    release(driverProc);
  };
  const removeHome = () => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });

  return {
    driver,
    pid,
    home: dir,
    dirs: appDirs(dir),
    dataDir: join(dir, 'data'),
    configDir: join(dir, 'config'),
    driverLog: () => driverLog,
    /** Closes the app the way the WebDriver session ends. */
    async stop({ keepHome = false } = {}) {
      const members = family();
      await Promise.race([driver.quit().catch(() => undefined), sleep(5000)]);
      await shutDown(members);
      if (!keepHome && !home) removeHome();
    },
    /** Kills the app at once (SIGKILL), as a crash or power cut would stop it. */
    async crash() {
      const members = family();
      signal(pid, 'SIGKILL');
      await waitUntilGone(pid, 5000);
      await Promise.race([driver.quit().catch(() => undefined), sleep(3000)]);
      await shutDown(members);
    },
  };
}

async function waitForPort(port, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/status`);
      if (res.ok || res.status) return;
    } catch {
      /* not up yet */
    }
    await sleep(100);
  }
  throw new Error(`tauri-driver did not listen on ${port}`);
}

// ---------------------------------------------------------------------------------------------
// Finding things the way an officer does

/** An XPath string literal for any text (XPath 1 has no escape for quotes). */
export function xq(text) {
  if (!text.includes("'")) return `'${text}'`;
  if (!text.includes('"')) return `"${text}"`;
  return `concat(${text.split("'").map((p) => `'${p}'`).join(`, "'", `)})`;
}

/** Polls `fn` until it returns something truthy; errors while polling count as "not yet". */
export async function waitFor(driver, fn, ms = 15000, message = 'condition not met') {
  return driver.wait(
    async () => {
      try {
        return await fn();
      } catch {
        return false;
      }
    },
    ms,
    message,
    50,
  );
}

async function firstVisible(elements) {
  for (const el of elements) {
    try {
      if (await el.isDisplayed()) return el;
    } catch {
      /* went stale */
    }
  }
  return null;
}

/** Waits for a visible element matching an XPath (inside `within` when given). */
export async function visibleX(driver, xpath, { within, ms = 15000, what = xpath } = {}) {
  return waitFor(driver, async () => firstVisible(await (within ?? driver).findElements(By.xpath(xpath))), ms, `not shown: ${what}`);
}

/** Waits for an element matching a CSS selector to be visible, and returns it. */
export async function visible(driver, css, ms = 15000) {
  return waitFor(driver, async () => firstVisible(await driver.findElements(By.css(css))), ms, `no visible element ${css}`);
}

/** A visible button whose text (or accessible name) is `name`. */
export async function button(driver, name, opts = {}) {
  const n = xq(name);
  return visibleX(driver, `.//button[normalize-space(.)=${n} or @aria-label=${n}]`, { what: `button "${name}"`, ...opts });
}

/** The form control labelled `label` (through <label for>, or a label wrapping it). */
export async function field(driver, label, opts = {}) {
  const lab = await visibleX(driver, `.//label[normalize-space(.)=${xq(label)}]`, { what: `label "${label}"`, ...opts });
  const id = await lab.getAttribute('for');
  if (id) return driver.findElement(By.id(id));
  return lab.findElement(By.css('input, select, textarea'));
}

/** A visible heading of any level with exactly this text. */
export async function heading(driver, text, opts = {}) {
  return visibleX(driver, `.//*[self::h1 or self::h2 or self::h3][normalize-space(.)=${xq(text)}]`, { what: `heading "${text}"`, ...opts });
}

/** The ARIA region / grid / landmark named by its aria-label. */
export async function named(driver, label, opts = {}) {
  return visibleX(driver, `.//*[@aria-label=${xq(label)}]`, { what: `"${label}"`, ...opts });
}

/** The open modal dialog whose title is `title` (a native <dialog>, role "dialog"). */
export async function dialog(driver, title, opts = {}) {
  return visibleX(driver, `//dialog[@open][.//*[@id=ancestor::dialog/@aria-labelledby][normalize-space(.)=${xq(title)}]]`, {
    what: `dialog "${title}"`,
    ...opts,
  });
}

/** The open start/stop dialog whose title begins with `titleStart` (the rest names the case and whom it tells). */
export async function runDialog(driver, titleStart) {
  return visibleX(driver, `//dialog[@open][.//*[@id=ancestor::dialog/@aria-labelledby][starts-with(normalize-space(.), ${xq(titleStart)})]]`, {
    what: `dialog "${titleStart}..."`,
  });
}

/**
 * Confirms a start or stop ("Start recording" / "Stop recording") in its dialog (see
 * `runDialog`), after giving the reason and case when there are any. Returns the dialog's title.
 */
export async function confirmRun(driver, verb, titleStart, { reason = '', caseRef = '' } = {}) {
  const confirm = await runDialog(driver, titleStart);
  if (reason) await typeInto(await field(driver, 'Reason (optional)', { within: confirm }), reason);
  if (caseRef) await typeInto(await field(driver, 'Case or ticket reference (optional)', { within: confirm }), caseRef);
  const title = await readText(driver, await confirm.findElement(By.css('.modal-title')));
  await (await button(driver, verb, { within: confirm })).click();
  return title;
}

/**
 * Clicks something (found by `xpath`) in the row of session `id` of the grid named `label`. Rows
 * are rebuilt whenever a session's data changes (its recording status arrives), so the row is
 * found afresh until the click lands.
 */
export async function clickInRow(driver, label, id, xpath) {
  await waitFor(driver, async () => {
    const grid = await named(driver, label, { ms: 1000 });
    const [row] = await grid.findElements(By.xpath(`.//tbody/tr[@data-key=${xq(id)}]`));
    await (await row.findElement(By.xpath(xpath))).click();
    return true;
  }, 10000, `could not click ${xpath} in the row of ${id}`);
}

/** Waits until the page's text contains `text`. */
export async function seeText(driver, text, ms = 15000) {
  await waitFor(driver, async () => (await driver.findElement(By.css('body')).getText()).includes(text), ms, `text not shown: ${text}`);
}

/** The element's rendered text as a person reads it (line breaks between blocks). */
export async function readText(driver, el) {
  return driver.executeScript('return arguments[0].innerText', el);
}

/**
 * Replaces the text of an input the way a person does: clear, then type. Line breaks are typed
 * as the Enter key (WebKitWebDriver drops a literal "\n" from typed text).
 */
export async function typeInto(el, text) {
  await el.clear();
  if (!text) return;
  const keys = text.split('\n').flatMap((line, i) => (i === 0 ? [line] : [Key.ENTER, line])).filter((k) => k !== '');
  await el.sendKeys(...keys);
}

/** Waits for the next painted frame, so a screenshot shows what the DOM says. */
export async function settle(driver, ms = 150) {
  await driver.executeAsyncScript('const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done()));');
  await sleep(ms);
}

export async function screenshot(driver, name) {
  const dir = process.env.RECORDING_DESK_SHOTS;
  if (!dir) return;
  const { writeFileSync, mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  await settle(driver);
  writeFileSync(join(dir, `${name}.png`), await driver.takeScreenshot(), 'base64');
}

/** Every file under `dir`, recursively. */
export function filesUnder(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/**
 * Saves a screenshot after each test when RECORDING_DESK_E2E_ARTIFACTS names a folder, so a
 * failure can be looked at afterwards.
 */
export async function shootFailure(driver, name) {
  const dir = process.env.RECORDING_DESK_E2E_ARTIFACTS;
  if (!dir || !driver) return;
  try {
    const { writeFileSync, mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    const file = name.replace(/[^A-Za-z0-9-]+/g, '-').slice(0, 80);
    writeFileSync(join(dir, `${file}.png`), await driver.takeScreenshot(), 'base64');
  } catch {
    /* the window may be gone */
  }
}

// ---------------------------------------------------------------------------------------------
// Steps several files take the same way

/** From the welcome screen, connects to the simulator as an officer does, up to "Sessions". */
export async function connectToSimulator(driver, creds = SIM_CREDS) {
  await heading(driver, 'Welcome to Recording Desk', { ms: 30000 });
  await typeInto(await field(driver, 'Customer ID'), creds.customer);
  await typeInto(await field(driver, 'Client ID'), creds.clientId);
  await typeInto(await field(driver, 'Secret'), creds.secret);
  await (await button(driver, 'Connect')).click();
  await heading(driver, 'Sessions', { ms: 30000 });
}

/**
 * Clicks "Load more" until the search has listed every page; returns the result count's element
 * (the status line, e.g. "90 sessions found").
 */
export async function loadAllPages(driver) {
  const status = await visibleX(driver, `//p[@role='status'][contains(., 'session')]`, { ms: 20000, what: 'the search result count' });
  for (;;) {
    const more = [];
    for (const b of await driver.findElements(By.xpath(`//button[starts-with(normalize-space(.), 'Load more')]`))) {
      if (await b.isDisplayed()) more.push(b);
    }
    if (more.length === 0) return status;
    const before = await readText(driver, status);
    await more[0].click();
    await waitFor(driver, async () => {
      const now = await readText(driver, status);
      return now !== before && !now.includes('Loading');
    }, 20000, 'the next page did not load');
  }
}
