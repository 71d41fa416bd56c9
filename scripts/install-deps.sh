#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks to build, run and test Recording Desk.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n==> %s\n' "$*"; }

# System libraries for Tauri (WebKitGTK), the keychain (Secret Service over D-Bus), and the test
# tools: a virtual display, a headless Secret Service, the WebKit WebDriver and Chromium, and
# poppler-utils (pdftotext, pdfinfo), with which the tests read the PDF report back; rsyslog, the
# syslog daemon the tests start on a socket of their own to receive the audit trail's copies (and,
# with rsyslog-gnutls, as a TLS log collector), and
# openssl, which makes the certificates of the tests' TLS syslog collector.
APT_PACKAGES=(
  build-essential pkg-config curl ca-certificates file
  libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev libdbus-1-dev libssl-dev
  xvfb xauth dbus dbus-x11 gnome-keyring libsecret-tools webkit2gtk-driver chromium imagemagick x11-utils xdotool
  python3 poppler-utils rsyslog rsyslog-gnutls openssl
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep "install ok installed" >/dev/null || missing+=("$p")
done
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs npm); fi

if [ "${#missing[@]}" -gt 0 ]; then
  say "Installing system packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  say "Installing the Rust toolchain (rustup)"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component clippy,rustfmt
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi

# tauri-driver bridges WebDriver to the app's WebKit window for the end-to-end tests.
# Pinned: crates.io already carries Tauri 3 pre-releases.
if ! command -v tauri-driver >/dev/null 2>&1; then
  say "Installing tauri-driver"
  cargo install tauri-driver --version 2.1.0 --locked
fi

# Debian's own Rust toolchain with its standard library sources, mingw-w64 and Wine: the
# Windows and macOS checks of scripts/cross-check.sh (the test command runs its Windows check).
if apt-cache policy rustc-web 2>/dev/null | grep 'Candidate: [0-9]' >/dev/null; then
  scripts/cross-check.sh --install
else
  say "Not installing the cross toolchain: Debian 12's rustc-web is not available on this system (scripts/test.sh skips its Windows check)"
fi

say "Installing npm packages"
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi

say "Dependencies are in place"
