#!/usr/bin/env bash
# Regenerates the screenshots in docs/screenshots/ from the real app, driven through tauri-driver
# against the Citrix Cloud simulator, in a 1200×800 window.
#
# It runs on its own virtual display, in a private D-Bus session with its own unlocked keyring and
# fresh settings/data folders, so it never touches the keychain, settings or audit trail of the
# person running it. Needs what the end-to-end tests need (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${RECORDING_DESK_SHOTS_ISOLATED:-}" ]; then
  export RECORDING_DESK_SHOTS_ISOLATED=1
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  export XDG_DATA_HOME="$scratch/data" XDG_CONFIG_HOME="$scratch/config" XDG_STATE_HOME="$scratch/state"
  mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_STATE_HOME"
  # No `exec`: the trap above must still clean up.
  xvfb-run -a -s "-screen 0 1440x960x24" dbus-run-session -- "$0" "$@"
  exit $?
fi

# A locked keyring would open a password prompt: start it unlocked.
printf %s "recording-desk-screenshots" | gnome-keyring-daemon --unlock --components=secrets >/dev/null

if [ ! -x target/debug/recording-desk ]; then
  printf '==> Building the app\n'
  npm run --silent tauri -- build --debug --no-bundle
fi
# Always (a no-op when up to date): the script uses the simulator's newer options.
printf '==> Building the simulator\n'
cargo build -p citrix-sim --locked

printf '==> Taking screenshots\n'
node tests/e2e/screenshots.mjs "${1:-docs/screenshots}"
