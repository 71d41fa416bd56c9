// New versions, in the real app against an update feed served by this test (named through the
// debug build's RECORDING_DESK_UPDATER_FEED and RECORDING_DESK_UPDATER_PUBKEY, with a signing
// key made here): the installed version is the newest; a new version whose download does not
// match its signature is refused with a plain message and not offered again, while one that
// matches passes the check; a feed that cannot be reached is "could not check", and Check again
// works once it can; and with checks turned off by the organisation the app never asks the feed,
// as the feed's own request log shows.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  By,
  button,
  confirmRun,
  connectToSimulator,
  dialog,
  heading,
  loadAllPages,
  named,
  readText,
  screenshot,
  shootFailure,
  sleep,
  startApp,
  startSimulator,
  visibleX,
  waitFor,
} from './harness.mjs';

// ---- a minisign key and signatures, as `tauri signer` makes them -----------------------------

const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const keyId = randomBytes(8);
const rawPublic = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url');
const b64 = (text) => Buffer.from(text).toString('base64');
/** The public key as tauri.conf.json holds it: the base64 of minisign's key file. */
const PUBKEY = b64(`untrusted comment: minisign public key ${keyId.toString('hex').toUpperCase()}\n${Buffer.concat([Buffer.from('Ed'), keyId, rawPublic]).toString('base64')}\n`);

/**
 * The signature (base64 of minisign's .sig file, prehashed) of `data` with the test key, made for
 * `version` (written into the trusted comment, as `tauri build` does; none, as older signing
 * tools made them, when not given).
 */
function signature(data, version) {
  const digest = createHash('blake2b512').update(data).digest();
  const sig = sign(null, digest, privateKey);
  const named = version ? `\tversion:${version}` : '';
  const trusted = `timestamp:${Math.floor(Date.now() / 1000)}\tfile:recording-desk.tar.gz${named}`;
  const global = sign(null, Buffer.concat([sig, Buffer.from(trusted)]), privateKey);
  return b64(
    `untrusted comment: signature from tauri secret key\n${Buffer.concat([Buffer.from('ED'), keyId, sig]).toString('base64')}\ntrusted comment: ${trusted}\n${global.toString('base64')}\n`,
  );
}

// ---- the feed ----------------------------------------------------------------------------------

const PACKAGE = randomBytes(4096);
/**
 * What the feed does now: `current`, `tampered` (a new version whose download was altered),
 * `mislabelled` (a version number announced with the package and signature of another version),
 * `unversioned` (a package signed without naming its version, as older signing tools did),
 * `signed` (a new version served exactly as signed), `down`.
 */
let mode = 'current';
const requests = [];
let feed;
let feedUrl;

function manifest(version, sig, url) {
  const platform = { signature: sig, url };
  return {
    version,
    notes: 'Faster search.',
    pub_date: '2026-03-01T10:00:00Z',
    platforms: { 'linux-x86_64': platform, 'linux-x86_64-deb': platform },
  };
}

async function startFeed() {
  feed = createServer((req, res) => {
    requests.push(req.url);
    if (mode === 'down') {
      req.socket.destroy();
      return;
    }
    if (req.url.startsWith('/download/')) {
      // Tampered: the package as served differs from the one that was signed (altered on the way).
      const served = Buffer.from(PACKAGE);
      if (mode === 'tampered') served[0] ^= 0xff;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': served.length });
      res.end(served);
      return;
    }
    const base = `http://127.0.0.1:${feed.address().port}`;
    const version = { current: '0.1.0', tampered: '9.9.9', mislabelled: '9.9.11', unversioned: '9.9.12', signed: '9.9.10' }[mode];
    // Mislabelled: the package and signature of 9.9.10, announced as 9.9.11.
    const signedFor = mode === 'mislabelled' ? '9.9.10' : mode === 'unversioned' ? undefined : version;
    const body = manifest(version, signature(PACKAGE, signedFor), `${base}/download/${version}.tar.gz`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise((ok) => feed.listen(0, '127.0.0.1', ok));
  feedUrl = `http://127.0.0.1:${feed.address().port}/feed/{{target}}/{{arch}}/{{current_version}}`;
}

// ---- the app -----------------------------------------------------------------------------------

let app;
let sim;
let policyDir;

before(async () => {
  await startFeed();
  policyDir = mkdtempSync(join(tmpdir(), 'rd-updates-'));
});

after(async () => {
  await app?.stop();
  await sim?.stop();
  feed?.close();
  if (policyDir) rmSync(policyDir, { recursive: true, force: true });
});

afterEach(async (t) => shootFailure(app?.driver, `updates-${t.name}`));

/** Starts the app with this test's feed and key in place of the built-in ones. */
const startWithFeed = ({ args = [], env = {} }) =>
  startApp({ args, env: { RECORDING_DESK_UPDATER_FEED: feedUrl, RECORDING_DESK_UPDATER_PUBKEY: PUBKEY, ...env } });

const ABOUT = 'About Recording Desk';

/** Opens the About box from Settings' link; returns the dialog. */
async function openAbout(d) {
  await (await button(d, 'Settings')).click();
  await heading(d, 'Settings');
  await (await button(d, ABOUT)).click();
  return dialog(d, ABOUT);
}

async function closeAbout(d, about) {
  await (await button(d, 'Close', { within: about })).click();
  await waitFor(d, async () => (await d.findElements(By.css('dialog.modal-about[open]'))).length === 0, 5000, 'the About box stayed open');
}

/** The About box's status message, once it says `pattern`. */
async function aboutSays(d, about, pattern, ms = 30000) {
  let text = '';
  await waitFor(d, async () => pattern.test((text = await readText(d, about))), ms, `the About box did not say ${pattern}`);
  return text;
}

test('the installed version is the newest: the About box says so', async () => {
  mode = 'current';
  app = await startWithFeed({ args: ['--demo-if-new'] });
  const d = app.driver;
  await heading(d, 'Sessions', { ms: 30000 });
  // The look at start-up asked the feed, naming this computer and version.
  await waitFor(d, async () => requests.length > 0, 20000, 'the feed was not asked at start-up');
  assert.match(requests[0], /^\/feed\/linux\/x86_64\/0\.1\.0$/);
  const about = await openAbout(d);
  const text = await aboutSays(d, about, /the newest version/);
  assert.match(text, /Installed version\s+0\.1\.0/);
  assert.match(text, /You have version 0\.1\.0, the newest version\./);
  await screenshot(d, 'about-current');
  await closeAbout(d, about);
});

test('a new version whose download does not match its signature is refused, plainly, and not offered again', async () => {
  const d = app.driver;
  mode = 'tampered';
  const about = await openAbout(d);
  await (await button(d, 'Check again', { within: about })).click();
  await aboutSays(d, about, /Version 9\.9\.9 is available/);
  await (await button(d, 'Install version 9.9.9', { within: about })).click();
  const text = await aboutSays(d, about, /was not installed/);
  assert.match(text, /could not be proven to come from the makers of Recording Desk/);
  assert.match(text, /Nothing on this computer was changed/);
  assert.ok(requests.some((r) => r.startsWith('/download/9.9.9')), 'the package was downloaded, then refused');
  assert.equal((await about.findElements(By.xpath(".//button[starts-with(normalize-space(.), 'Install')]"))).length, 0);
  await screenshot(d, 'about-refused');

  // Asked again, the feed still offers it: the app does not.
  await (await button(d, 'Check for a new version', { within: about })).click();
  await sleep(500);
  await aboutSays(d, about, /Version 9\.9\.9 was not installed/);
  assert.equal((await about.findElements(By.xpath(".//button[starts-with(normalize-space(.), 'Install')]"))).length, 0);
  await closeAbout(d, about);
});

test('a feed that cannot be reached: "could not check" in plain words, and Check again works once it can', async () => {
  const d = app.driver;
  mode = 'down';
  const about = await openAbout(d);
  await (await button(d, 'Check for a new version', { within: about })).click();
  const text = await aboutSays(d, about, /could not find out whether a newer version exists/);
  assert.match(text, /could not reach the place new versions come from/);
  assert.doesNotMatch(text, /HTTP|error|status|reqwest/i);
  await screenshot(d, 'about-could-not-check');

  mode = 'current';
  await (await button(d, 'Check again', { within: about })).click();
  await aboutSays(d, about, /You have version 0\.1\.0, the newest version\./);
  await closeAbout(d, about);
  await app.stop();
  app = undefined;
});

test('a package signed for another version, or for none, is refused; one signed for its version passes the check', async () => {
  // A signature that does not name its version (as older signing tools made them) could be any
  // release's: refused, because the app requires the signed version (requireSignedVersion).
  mode = 'unversioned';
  requests.length = 0;
  app = await startWithFeed({ args: ['--demo-if-new'] });
  const d = app.driver;
  await heading(d, 'Sessions', { ms: 30000 });
  const about = await openAbout(d);
  await aboutSays(d, about, /Version 9\.9\.12 is available/);
  await (await button(d, 'Install version 9.9.12', { within: about })).click();
  assert.match(await aboutSays(d, about, /Version 9\.9\.12 was not installed/), /could not be proven to come from the makers/);

  // The feed announces 9.9.11 with the package and valid signature of 9.9.10 (a way to hold
  // officers on an old version): the signature names 9.9.10, so it is refused.
  mode = 'mislabelled';
  await (await button(d, 'Check for a new version', { within: about })).click();
  await aboutSays(d, about, /Version 9\.9\.11 is available/);
  await (await button(d, 'Install version 9.9.11', { within: about })).click();
  const refused = await aboutSays(d, about, /Version 9\.9\.11 was not installed/);
  assert.match(refused, /could not be proven to come from the makers of Recording Desk/);
  assert.ok(requests.some((r) => r.startsWith('/download/9.9.11')), 'the package was downloaded, then refused');

  // Served exactly as signed, 9.9.10 passes the signature check, so the plugin hands the package
  // (random bytes) to the installer step, which finds nothing it can install (neither a .deb nor
  // an AppImage) and stops there. The app says "did not finish", not "could not be proven": the
  // check accepts a good signature and refuses only a bad one.
  mode = 'signed';
  await (await button(d, 'Check for a new version', { within: about })).click();
  await aboutSays(d, about, /Version 9\.9\.10 is available/);
  await (await button(d, 'Install version 9.9.10', { within: about })).click();
  const text = await aboutSays(d, about, /Version 9\.9\.10 was not installed/);
  assert.match(text, /installing it did not finish/);
  assert.doesNotMatch(text, /could not be proven/);
  assert.ok(requests.some((r) => r.startsWith('/download/9.9.10')), 'the package was downloaded');
  await closeAbout(d, about);
  await app.stop();
  app = undefined;
});

test('during a recording run, Install is refused in plain words and nothing is downloaded', async () => {
  // On Windows the installer closes the app as soon as it starts: a run must never be cut off.
  sim = await startSimulator(['--sessions', '6']);
  mode = 'signed';
  requests.length = 0;
  app = await startWithFeed({ env: { RECORDING_DESK_CLOUD_URL: sim.url } });
  const d = app.driver;
  await connectToSimulator(d);
  await loadAllPages(d);
  // Citrix holds every start request unanswered: the run stays in progress until released.
  await sim.control('faults', { holdStartStop: { after: 0 } });
  try {
    await (await named(d, 'Select all listed sessions')).click();
    await (await button(d, 'Start recording')).click();
    await confirmRun(d, 'Start recording', 'Start recording');
    await waitFor(d, async () => (await sim.control('state')).heldStartStop > 0, 60000, 'no request waiting at Citrix');

    const about = await openAbout(d);
    await aboutSays(d, about, /Version 9\.9\.10 is available/);
    await (await button(d, 'Install version 9.9.10', { within: about })).click();
    const text = await aboutSays(d, about, /Another recording request is still running/);
    assert.match(text, /Wait for it to finish, or cancel it, then try again/);
    assert.ok(!requests.some((r) => r.startsWith('/download/')), 'nothing was downloaded');
    assert.ok((await sim.control('state')).heldStartStop > 0, 'the run was still going');
    await closeAbout(d, about);
  } finally {
    await sim.control('faults', { releaseStartStop: true });
  }
  await app.stop();
  app = undefined;
});

test('turned off by the organisation: the app never asks the feed, and says who installs new versions', async () => {
  // An app left running by a test that failed half-way would take this start over (one instance).
  await app?.stop();
  app = undefined;
  const policy = join(policyDir, 'policy.json');
  writeFileSync(policy, JSON.stringify({ checkForUpdates: false }));
  requests.length = 0;
  app = await startWithFeed({ args: ['--demo-if-new'], env: { RECORDING_DESK_POLICY_FILE: policy } });
  const d = app.driver;
  await heading(d, 'Sessions', { ms: 30000 });
  await (await button(d, 'Settings')).click();
  await heading(d, 'Settings');
  const box = await visibleX(d, `//label[normalize-space(.)='Check for new versions when Recording Desk starts']//input`);
  assert.equal(await box.isSelected(), false);
  assert.equal(await box.isEnabled(), false, 'set by the organisation');
  await (await button(d, ABOUT)).click();
  const about = await dialog(d, ABOUT);
  const text = await aboutSays(d, about, /Your organisation installs new versions/);
  assert.match(text, /Set by your organisation/);
  assert.equal((await about.findElements(By.xpath('.//button[contains(., "Check")]'))).length, 0);
  await screenshot(d, 'about-turned-off');
  // Long enough for a look at start-up to have been made, were it going to be.
  await sleep(3000);
  assert.deepEqual(requests, [], 'no request reached the feed');
  await closeAbout(d, about);
});
