// The Linux package: the .deb built by the test command installs (dpkg checks its
// dependencies), its command-line tool runs, and the installed app opens its window on the demo
// site.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './harness.mjs';

const DEB_DIR = join(ROOT, 'target', 'debug', 'bundle', 'deb');
const isRoot = process.getuid?.() === 0;
const cleanups = [];
after(() => cleanups.reverse().forEach((f) => f()));

function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

async function poll(what, fn, ms) {
  const until = Date.now() + ms;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('the .deb installs, its rdesk runs and the installed app opens its window', async () => {
  const debs = existsSync(DEB_DIR) ? readdirSync(DEB_DIR).filter((f) => f.endsWith('.deb')) : [];
  assert.equal(debs.length, 1, `exactly one .deb expected in ${DEB_DIR} (npm run bundle -- --debug --bundles deb)`);
  const deb = join(DEB_DIR, debs[0]);

  let binary;
  if (isRoot) {
    // A real installation: dpkg refuses it if a dependency the package declares is missing.
    sh('dpkg', ['-i', deb]);
    cleanups.push(() => sh('dpkg', ['-r', 'recording-desk']));
    assert.match(sh('dpkg-query', ['-W', '-f=${Status}', 'recording-desk']), /install ok installed/);
    binary = '/usr/bin/recording-desk';
    assert.ok(existsSync('/usr/share/applications/Recording Desk.desktop'), 'desktop entry installed');
  } else {
    // Without root, unpack the package and run the binary it carries.
    const root = mkdtempSync(join(tmpdir(), 'rd-deb-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    sh('dpkg-deb', ['-x', deb, root]);
    binary = join(root, 'usr', 'bin', 'recording-desk');
  }

  const home = mkdtempSync(join(tmpdir(), 'rd-deb-home-'));
  cleanups.push(() => rmSync(home, { recursive: true, force: true }));
  const env = { ...process.env, XDG_DATA_HOME: join(home, 'data'), XDG_CONFIG_HOME: join(home, 'config') };

  // The command-line tool comes in the package, next to the app (on PATH once installed), and
  // works on its own: the demo site's sessions, with no account.
  const rdesk = join(binary, '..', 'rdesk');
  assert.ok(existsSync(rdesk), `rdesk missing from the package (${rdesk})`);
  const rows = JSON.parse(sh(rdesk, ['--demo', 'sessions', '--json'], { env }));
  assert.ok(rows.length > 0 && rows.every((r) => typeof r.id === 'string'), 'rdesk lists the demo sessions');

  const app = spawn(binary, ['--demo-if-new'], {
    env,
    stdio: 'ignore',
  });
  cleanups.push(() => app.kill('SIGKILL'));
  let exited = null;
  app.once('exit', (code) => (exited = code));

  const windowId = await poll(
    'the Recording Desk window',
    () => {
      if (exited !== null) throw new Error(`the installed app exited with ${exited}`);
      try {
        return sh('xdotool', ['search', '--onlyvisible', '--name', '^Recording Desk$']).trim().split('\n')[0];
      } catch {
        return null; // no such window yet
      }
    },
    30000,
  );

  // The window shows the page, not a blank surface: its pixels vary once the UI has painted.
  const shot = join(home, 'window.png');
  const spread = await poll(
    'the window to paint',
    () => {
      sh('import', ['-window', windowId, shot]);
      const sd = Number(sh('convert', [shot, '-colorspace', 'Gray', '-format', '%[fx:standard_deviation]', 'info:']));
      return sd > 0.05 ? sd : null;
    },
    30000,
  );
  assert.ok(spread > 0.05);
});
