#!/usr/bin/env bash
# Proves the Windows and macOS builds of Recording Desk on a Linux machine:
#   - checks the whole workspace (every target: app, libraries, tests, benchmarks) for
#     x86_64-pc-windows-gnu, aarch64-apple-darwin and x86_64-apple-darwin, warnings as errors;
#   - builds the tests of every crate that does not need Tauri, and the app crate's own unit
#     tests (none of which opens a window), for Windows, and runs them under Wine: the Citrix
#     client against the simulator, the keychain through Windows Credential Manager, and the
#     Windows folders of settings, logs and the audit trail;
#   - prints what was checked and how many tests passed under Wine.
#
#   scripts/cross-check.sh                  all of the above
#   scripts/cross-check.sh --windows-check  only the Windows check of the workspace
#   scripts/cross-check.sh --install        only install the system packages it needs
#
# Installs what a fresh Debian 12 machine lacks (apt; it needs the bookworm-security updates,
# which carry the Rust 1.96 toolchain used here). The cross builds use Debian's own toolchain
# (rustc-web, cargo-web, rust-web-src), which builds the standard library for each target with
# -Zbuild-std (allowed on a stable compiler by RUSTC_BOOTSTRAP=1): rustup cannot fetch other
# targets on every machine, and needs no SDK here. Everything else keeps using rustup's
# toolchain. What cannot be proven here: linking for macOS (needs Apple's SDK), and the UI on
# Windows (WebView2 does not run under Wine); the GitHub Windows and macOS runners cover those.
#
# Its build output and its Wine prefix live in target-cross/ (RECORDING_DESK_CROSS_TARGET to
# change): delete that folder for a cold run. On a shared machine, run it under `nice -n 19`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

WINDOWS=x86_64-pc-windows-gnu
MACOS=(aarch64-apple-darwin x86_64-apple-darwin)
# The crate of the desktop app: only its unit tests run under Wine (its binary needs WebView2).
APP_CRATE=recording-desk
# Tests that Wine cannot run as Windows would, each with the reason (name<TAB>reason).
WINE_SKIPS=(
  "audit::report::tests::	the report tests read each PDF back with poppler's pdftotext and pdfinfo, Linux programs that a Windows test cannot start"
  "raw::reset_is_a_tcp_reset_without_any_response_bytes	Wine 8 reports a TCP reset to the reader as a normal end of the connection (recv returns 0, not WSAECONNRESET)"
)

APT_PACKAGES=(
  ca-certificates
  rustc-web cargo-web rust-web-src libstd-rust-web-dev
  mingw-w64 gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64
  clang lld
  wine64 wine
)

target_dir="$root/${RECORDING_DESK_CROSS_TARGET:-target-cross}"
wine_prefix="$target_dir/wine-prefix"
log="$target_dir/windows-tests.log"
started=$SECONDS

say() { printf '\n==> %s\n' "$*"; }
fail() {
  printf 'cross-check: %s\n' "$*" >&2
  exit 1
}
elapsed() { printf '%dm%02ds' $(((SECONDS - $1) / 60)) $(((SECONDS - $1) % 60)); }

install_packages() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep "install ok installed" >/dev/null || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return
  say "Installing system packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  if ! apt-cache policy rustc-web | grep 'Candidate: [0-9]' >/dev/null; then
    fail "Debian's rustc-web package is not available: this needs Debian 12 (bookworm) with its security updates."
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Debian's toolchain, isolated from rustup's (which stays first on PATH everywhere else).
cross_cargo() {
  env -u RUSTUP_TOOLCHAIN -u RUSTC_WRAPPER -u CARGO_BUILD_RUSTC_WRAPPER \
    PATH=/usr/local/bin:/usr/bin:/bin \
    RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 \
    RUSTFLAGS="-D warnings" \
    CARGO_TARGET_DIR="$target_dir" \
    CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
    CC_aarch64_apple_darwin=clang CC_x86_64_apple_darwin=clang \
    /usr/bin/cargo "$@"
}

check_toolchain() {
  local have msrv
  have=$(/usr/bin/rustc --version | awk '{print $2}')
  msrv=$(sed -n 's/^rust-version *= *"\(.*\)"/\1/p' Cargo.toml | head -n 1)
  if [ "$(printf '%s\n%s\n' "$msrv" "$have" | sort -V | head -n 1)" != "$msrv" ]; then
    fail "Debian's Rust is $have, older than the workspace's rust-version $msrv: update the system (apt-get upgrade) first."
  fi
  printf 'Cross toolchain: %s, %s (workspace rust-version %s)\n' \
    "$(/usr/bin/rustc --version)" "$(/usr/bin/cargo --version)" "$msrv"
}

# The macOS SDK is missing here, so aws-lc-sys (reqwest -> rustls -> aws-lc-rs) cannot run its
# build script. For a check, its output is given instead through its `links` key, keeping the
# bindings it ships. The key carries the crate's version, so it is read from Cargo.lock.
macos_config() {
  local config="$target_dir/macos-check.toml" stand_in="$target_dir/macos-sdk-stand-in" versions v key t
  versions=$(awk '/^name = "aws-lc-sys"$/ { getline; gsub(/version = |"/, ""); print }' Cargo.lock)
  [ -n "$versions" ] || fail "aws-lc-sys is no longer in Cargo.lock: remove its override from this script."
  mkdir -p "$stand_in"
  : >"$config"
  for v in $versions; do
    key="aws_lc_${v//./_}"
    for t in "${MACOS[@]}"; do
      printf '[target.%s.%s]\nrustc-cfg = ["universal"]\ninclude = "%s"\nlibcrypto = "%s_crypto"\n\n' \
        "$t" "$key" "$stand_in" "$key" >>"$config"
    done
  done
  printf '%s' "$config"
}

# Workspace crates whose tests build without Tauri (so without a webview): all their tests run.
tauri_free_crates() {
  local name
  cross_cargo tree --workspace --depth 0 --prefix none --locked --target "$WINDOWS" |
    awk 'NF { print $1 }' | sort -u |
    while read -r name; do
      if ! cross_cargo tree -p "$name" --prefix none --locked --target "$WINDOWS" | grep '^tauri v' >/dev/null; then
        printf '%s\n' "$name"
      fi
    done
}

# A Wine prefix of its own, with the one DLL Wine 8 lacks (see scripts/wine/processprng.c).
setup_wine() {
  local marker="$wine_prefix/.processprng"
  export WINEPREFIX="$wine_prefix" WINEARCH=win64 WINEDEBUG=-all
  if [ -f "$marker" ] && [ scripts/wine/processprng.c -ot "$marker" ]; then return; fi
  say "Preparing the Wine prefix ($wine_prefix)"
  mkdir -p "$wine_prefix"
  # No Mono or Gecko: nothing here needs .NET or Wine's HTML engine, and offering them opens dialogs.
  WINEDLLOVERRIDES="mscoree,mshtml=" "$wine" wineboot --init
  wineserver -w
  x86_64-w64-mingw32-gcc -shared -O2 -Wall -Wextra -Werror -o "$target_dir/bcryptprimitives.dll" \
    scripts/wine/processprng.c -ladvapi32
  cp "$target_dir/bcryptprimitives.dll" "$wine_prefix/drive_c/windows/system32/"
  touch "$marker"
}

# Runs one crate's Windows tests under Wine and notes each test executable's result.
results=()
wine_tests() {
  local crate=$1 status=0 out
  shift
  out=$(mktemp)
  cross_cargo test -Zbuild-std --target "$WINDOWS" --locked --no-fail-fast -p "$crate" "$@" 2>&1 |
    tee "$out" || status=$?
  cat "$out" >>"$log"
  # Pairs "Running unittests src/lib.rs (….exe)" with its "test result: ok. 51 passed; 0 failed;
  # 1 ignored; …"; an executable that stopped without a result (a crash) counts as failed.
  while IFS=$'\t' read -r what passed failed ignored; do
    if [ "$passed" = "-" ]; then
      results+=("$(printf '%-16s %-28s stopped without a result' "$crate" "$what")")
      total_failed=$((total_failed + 1))
      continue
    fi
    results+=("$(printf '%-16s %-28s %4d passed  %d failed  %d ignored' "$crate" "$what" "$passed" "$failed" "$ignored")")
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
  done < <(awk '
    function unfinished() { if (what != "") printf "%s\t-\t-\t-\n", what }
    /^ +Running / { unfinished(); what = ($2 == "unittests") ? $3 : $2; next }
    /^test result: / {
      passed = failed = ignored = 0
      for (i = 1; i < NF; i++) {
        word = $(i + 1); sub(/;$/, "", word)
        if (word == "passed") passed = $i; else if (word == "failed") failed = $i; else if (word == "ignored") ignored = $i
      }
      printf "%s\t%d\t%d\t%d\n", what, passed, failed, ignored
      what = ""
    }
    END { unfinished() }' "$out")
  rm -f "$out"
  return "$status"
}

mode=all
case "${1:-}" in
  "") ;;
  --install) mode=install ;;
  --windows-check) mode=windows-check ;;
  -h | --help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
  *) fail "unknown option $1 (try --help)" ;;
esac

install_packages
[ "$mode" = install ] && exit 0
mkdir -p "$target_dir"
check_toolchain

checked=()
step_start=$SECONDS
say "Windows ($WINDOWS): checking the whole workspace, all targets"
cross_cargo check -Zbuild-std --target "$WINDOWS" --workspace --all-targets --locked
checked+=("$(printf '%-22s whole workspace, all targets: no warnings (%s)' "$WINDOWS" "$(elapsed "$step_start")")")
if [ "$mode" = windows-check ]; then
  printf '\n%s\n' "${checked[@]}"
  exit 0
fi

mac_config=$(macos_config)
for t in "${MACOS[@]}"; do
  step_start=$SECONDS
  say "macOS ($t): checking the whole workspace, all targets"
  cross_cargo check -Zbuild-std --target "$t" --workspace --all-targets --locked --config "$mac_config"
  checked+=("$(printf '%-22s whole workspace, all targets: no warnings (%s)' "$t" "$(elapsed "$step_start")")")
done

mapfile -t crates < <(tauri_free_crates)
[ "${#crates[@]}" -gt 0 ] || fail "found no Tauri-free crate to test"

step_start=$SECONDS
say "Windows: building the tests of ${crates[*]} and the unit tests of $APP_CRATE"
build_args=()
for c in "${crates[@]}"; do build_args+=(-p "$c"); done
cross_cargo test -Zbuild-std --target "$WINDOWS" --locked --no-run --tests "${build_args[@]}"
cross_cargo test -Zbuild-std --target "$WINDOWS" --locked --no-run --lib -p "$APP_CRATE"
build_time=$(elapsed "$step_start")

wine=/usr/lib/wine/wine64
[ -x "$wine" ] || wine=$(command -v wine64) || fail "wine64 is not installed."
setup_wine
# The app links WebView2Loader.dll (shipped by webview2-com-sys) even for tests that open no
# window; Wine finds it through WINEPATH.
loader=$(find "$target_dir/$WINDOWS/debug" -name WebView2Loader.dll -print -quit)
[ -n "$loader" ] || fail "WebView2Loader.dll was not found under $target_dir/$WINDOWS/debug"
export WINEPATH
WINEPATH=$("$wine" winepath -w "$(dirname "$loader")" 2>/dev/null)
export WINEDLLOVERRIDES="bcryptprimitives=n"
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$wine"
# The vault's round trip must run, not skip: here it goes through Credential Manager in Wine.
export RECORDING_DESK_REQUIRE_KEYCHAIN=1

skip_args=() skipped=()
for entry in "${WINE_SKIPS[@]}"; do
  skip_args+=(--skip "${entry%%$'\t'*}")
  skipped+=("${entry%%$'\t'*}: ${entry#*$'\t'}")
done

step_start=$SECONDS
say "Windows: running the tests under Wine ($("$wine" --version))"
: >"$log"
total_passed=0 total_failed=0 failures=0
for c in "${crates[@]}"; do
  wine_tests "$c" --tests -- "${skip_args[@]}" || failures=$((failures + 1))
done
wine_tests "$APP_CRATE" --lib -- "${skip_args[@]}" || failures=$((failures + 1))
wineserver -w
run_time=$(elapsed "$step_start")

say "Summary ($(elapsed "$started") in all)"
echo "Checked, warnings as errors:"
printf '  %s\n' "${checked[@]}"
echo "Test executables built for Windows ($build_time) and run under Wine ($run_time):"
printf '  %s\n' "${results[@]}"
if [ "${#skipped[@]}" -gt 0 ]; then
  echo "Not run under Wine (each runs on the Windows runner of the GitHub workflow):"
  printf '  %s\n' "${skipped[@]}"
fi
printf 'Tests passed under Wine: %d, failed: %d (full output: %s)\n' "$total_passed" "$total_failed" "$log"
if [ "$failures" -gt 0 ] || [ "$total_failed" -gt 0 ]; then
  fail "Windows tests failed under Wine"
fi
