#!/usr/bin/env bash
# Installs what is missing, builds Recording Desk and opens it.
# With no Citrix Cloud account set up yet, the app opens on the built-in demo site.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
printf '\n==> Building Recording Desk\n'
npm run --silent tauri -- build --debug --no-bundle
printf '\n==> Opening Recording Desk\n'
exec target/debug/recording-desk --demo-if-new
