// Builds the command-line tool `rdesk` for an installer and puts it where Tauri's `externalBin`
// expects it: src-tauri/binaries/rdesk-<target triple>[.exe]. Run by `tauri build` as part of
// its beforeBuildCommand when the installer config (src-tauri/tauri.bundle.conf.json) is given,
// with Tauri's own TAURI_ENV_DEBUG and TAURI_ENV_TARGET_TRIPLE, so the tool is built the same way
// (debug or release, same target) as the app it ships with.
//
// It is not in tauri.conf.json itself because Tauri's build script insists that an external
// binary exists whenever the app crate is compiled, which would break `cargo build`, `clippy`
// and `test` of the workspace.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cargo = process.env.CARGO ?? 'cargo';
const debug = process.env.TAURI_ENV_DEBUG === 'true';
const host = execFileSync('rustc', ['-vV'], { encoding: 'utf8' }).match(/^host: (\S+)$/m)?.[1];
const triple = process.env.TAURI_ENV_TARGET_TRIPLE || host;
if (!triple) throw new Error('rustc -vV did not name the host target');
const exe = triple.includes('windows') ? '.exe' : '';
const profile = debug ? 'debug' : 'release';

function build(target) {
  const args = ['build', '--locked', '-p', 'rdesk'];
  if (!debug) args.push('--release');
  // The host's own target builds into target/<profile>, where the workspace's other builds are.
  if (target !== host) args.push('--target', target);
  console.log(`Building rdesk (${profile}, ${target})`);
  execFileSync(cargo, args, { cwd: root, stdio: 'inherit' });
  return target === host
    ? join(root, 'target', profile, `rdesk${exe}`)
    : join(root, 'target', target, profile, `rdesk${exe}`);
}

const out = join(root, 'src-tauri', 'binaries', `rdesk-${triple}${exe}`);
mkdirSync(dirname(out), { recursive: true });
if (triple === 'universal-apple-darwin') {
  // One binary for Apple silicon and Intel, like the app's.
  const parts = ['aarch64-apple-darwin', 'x86_64-apple-darwin'].map(build);
  execFileSync('lipo', ['-create', '-output', out, ...parts], { stdio: 'inherit' });
} else {
  copyFileSync(build(triple), out);
}
console.log(`rdesk ready for the installer: ${out}`);
