#!/usr/bin/env bash
# Runs every test of Recording Desk: formatting, lints (Rust, the UI's TypeScript and the CI
# workflows), the generated TypeScript bindings, the Rust tests (the Citrix client against the
# simulator over real HTTP, the keychain against a real Secret Service), the UI tests in Chromium,
# and the end-to-end tests of the built app in a real WebKit window.
#
# `scripts/test.sh --quick` is the loop for while you work: formatting, clippy, the UI's lint, the
# bindings, the Rust tests and the UI tests; no workflow lint, no bundle, no end-to-end tests.
#
# RECORDING_DESK_LEAN_DISK=1 (set by CI) removes build output that later steps no longer need, for
# machines with little free disk.
#
# Everything runs inside a private D-Bus session with its own unlocked keyring, on a virtual display,
# with fresh settings/data folders, so it never touches the keychain, settings or audit trail of the
# person running it.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${RECORDING_DESK_TEST_ISOLATED:-}" ]; then
  export RECORDING_DESK_TEST_ISOLATED=1
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  export XDG_DATA_HOME="$scratch/data" XDG_CONFIG_HOME="$scratch/config" XDG_STATE_HOME="$scratch/state"
  mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_STATE_HOME"
  # The display first, so services the D-Bus session starts on demand can reach it too.
  # No `exec`: the trap above must still clean up.
  xvfb-run -a -s "-screen 0 1440x960x24" dbus-run-session -- "$0" "$@"
  exit $?
fi

quick=
case "${1:-}" in
  --quick) quick=1 ;;
  "") ;;
  *) echo "usage: scripts/test.sh [--quick]" >&2; exit 2 ;;
esac

step() { printf '\n==> %s\n' "$*"; }

# A locked keyring would open a password prompt and hang the keychain tests: start it unlocked.
printf %s "recording-desk-tests" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
export RECORDING_DESK_REQUIRE_KEYCHAIN=1

step "Formatting"
cargo fmt --all --check

step "Lints"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Lints and formatting of the UI's TypeScript and tests (ESLint, Prettier)"
npm run --silent lint

if [ -z "$quick" ]; then
  step "Workflow files (actionlint, shellcheck)"
  scripts/lint-workflows.sh
fi

step "Generated TypeScript bindings are current"
# Regenerates ui/src/bindings from the Rust types, then fails if that changed anything: a Rust
# type changed without its bindings being regenerated and committed.
committed=$(mktemp -d)
cp -R ui/src/bindings/. "$committed/"
cargo test -p desk-core --locked --lib --quiet bindings:: >/dev/null
if ! diff -r "$committed" ui/src/bindings; then
  rm -rf "$committed"
  echo "The TypeScript bindings in ui/src/bindings were out of date; they are regenerated now. Commit them." >&2
  exit 1
fi
rm -rf "$committed"

step "Type-checking and building the UI"
npm run --silent ui:build

step "Rust tests (client against the simulator, keychain, audit trail, settings)"
cargo test --workspace --locked

step "UI tests in Chromium"
node --test --test-concurrency=1 tests/ui/

if [ -n "$quick" ]; then
  printf '\nQuick tests passed (no workflow lint, Windows check, bundle or end-to-end tests: run scripts/test.sh for those).\n'
  exit 0
fi

step "Windows: the whole workspace checked for x86_64-pc-windows-gnu, and the installers' Event Log source under Wine (scripts/cross-check.sh --windows-check, --installers)"
# The full cross check (macOS too, and the Windows tests under Wine) is scripts/cross-check.sh,
# run by the GitHub workflow: cold, it would take this command past an hour. The installers'
# check needs no Rust build (about a minute).
if dpkg-query -W -f='${Status}' rustc-web 2>/dev/null | grep "install ok installed" >/dev/null; then
  scripts/cross-check.sh --windows-check
  scripts/cross-check.sh --installers
  if [ -n "${RECORDING_DESK_LEAN_DISK:-}" ]; then
    # A CI machine's disk may be small: nothing later needs the Windows build folder.
    rm -rf "${RECORDING_DESK_CROSS_TARGET:-target-cross}"
  fi
else
  echo "Skipped: the cross toolchain (Debian 12's rustc-web) is not installed on this system; scripts/install-deps.sh installs it on Debian 12."
fi

step "Building the app, its .deb and the simulator for the end-to-end tests"
npm run --silent bundle -- --debug --bundles deb
cargo build -p citrix-sim --locked

step "End-to-end tests of the app (tauri-driver, WebKit)"
node --test --test-concurrency=1 tests/e2e/
