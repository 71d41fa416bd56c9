#!/usr/bin/env bash
# Proves the Windows and macOS builds of Recording Desk on a Linux machine:
#   - checks the whole workspace (every target: app, libraries, tests, benchmarks) for
#     x86_64-pc-windows-gnu, aarch64-apple-darwin and x86_64-apple-darwin, warnings as errors;
#   - builds the tests of every crate that does not need Tauri, and the app crate's own unit
#     tests (none of which opens a window), for Windows, and runs them under Wine: the Citrix
#     client against the simulator, the keychain through Windows Credential Manager, and the
#     Windows folders of settings, logs and the audit trail;
#   - builds a small NSIS setup and a small MSI around the installer additions that
#     tauri.conf.json names (packaging/windows: the NSIS hooks and the WiX fragment), installs
#     and uninstalls each silently in a fresh Wine prefix, and requires the Event Log source
#     "Recording Desk" registered as the app needs it, gone after uninstall, and the audit trail
#     in the user's folder unchanged (the MSI is built with wixl, not WiX 3: see installers_check);
#   - prints what was checked and how many tests passed under Wine.
#
#   scripts/cross-check.sh                  all of the above
#   scripts/cross-check.sh --windows-check  only the Windows check of the workspace
#   scripts/cross-check.sh --installers     only the installers' check (a minute; no Rust build)
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
NEEDS_OPENSSL="the collector tests that need TLS certificates make them with the openssl program, a Linux program here that a Windows test cannot start"
WINE_SKIPS=(
  "audit::report::tests::	the report tests read each PDF back with poppler's pdftotext and pdfinfo, Linux programs that a Windows test cannot start"
  "audit::witness::collector_tests::records_reach_the_collector_in_order_and_exactly_once	$NEEDS_OPENSSL"
  "audit::witness::collector_tests::records_written_while_the_collector_is_away_arrive_when_it_is_back	$NEEDS_OPENSSL"
  "audit::witness::collector_tests::records_waiting_at_exit_are_sent_after_a_restart_and_none_twice	$NEEDS_OPENSSL"
  "audit::witness::collector_tests::a_collector_with_an_untrusted_certificate_gets_nothing_and_the_status_says_why	$NEEDS_OPENSSL"
  "audit::witness::collector_tests::a_long_trail_is_sent_whole_in_order_and_by_one_program_only	$NEEDS_OPENSSL"
  "raw::reset_is_a_tcp_reset_without_any_response_bytes	Wine 8 reports a TCP reset to the reader as a normal end of the connection (recv returns 0, not WSAECONNRESET)"
)

APT_PACKAGES=(
  ca-certificates
  rustc-web cargo-web rust-web-src libstd-rust-web-dev
  mingw-w64 gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64
  clang lld
  wine64 wine
  nsis wixl msitools python3
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

find_wine() {
  wine=/usr/lib/wine/wine64
  [ -x "$wine" ] || wine=$(command -v wine64) || fail "wine64 is not installed."
}

# The Event Log source the installers register, as the app's system-log crate writes to it
# (source "Recording Desk", event ID 1000, information). The message file is .NET Framework's
# EventLogMessages.dll, part of Windows 10 and 11, whose every event ID shows its text as it is:
# a path with %SystemRoot%, so REG_EXPAND_SZ. TypesSupported 7: error, warning and information.
EVENT_LOG_KEY='HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application'
EVENT_SOURCE_KEY="$EVENT_LOG_KEY\\Recording Desk"
EVENT_MESSAGE_FILE='%SystemRoot%\Microsoft.NET\Framework64\v4.0.30319\EventLogMessages.dll'

# One setting of src-tauri/tauri.conf.json by its dotted path (a list: one item a line; missing:
# nothing).
tauri_conf() {
  python3 -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("\n".join(v) if isinstance(v, list) else v or "")' src-tauri/tauri.conf.json "$1"
}

# One line of the summary per installer: $1 its kind, $2 its status, $3 what it was built from,
# $4 when it started.
installer_results=()
installer_result() {
  local outcome="FAILED (see above)"
  [ "$2" -eq 0 ] && outcome="source registered, removed on uninstall, audit trail kept"
  installer_results+=("$(printf '%-5s %s: %s (%s)' "$1" "$3" "$outcome" "$(elapsed "$4")")")
}

# Builds, in a fresh Wine prefix, a small NSIS setup with the hooks that tauri.conf.json names
# (scripts/wine/installer-check.nsi: Tauri 2's template, per machine, x64) and a small MSI with
# its WiX fragments and component references (scripts/wine/installer-check.wxs); installs and
# uninstalls each silently, as an administrator's deployment would (`setup.exe /S`, `msiexec /qn`);
# and requires, each time:
#   - after install: the source's key with EventMessageFile (REG_EXPAND_SZ) and TypesSupported
#     (REG_DWORD 0x7) as above, and the app in C:\Program Files\Recording Desk;
#   - after uninstall: the key gone, even with a value in it that the installer did not write
#     (one is added before uninstalling, as another tool may), the Application log's own key
#     still there, the app gone, and the audit trail, its head anchor, the settings and the log
#     in the user's folders byte for byte as before (a silent uninstall never deletes app data).
# The MSI is built with wixl (msitools), which differs from WiX 3, the tool Tauri uses, in two
# ways that matter here; scripts/wine/wix3-registry-rows.py adds the rows WiX 3 would write,
# only where the fragment asks for them. So the MSI half proves the fragment under wixl's
# reading plus those rows, not WiX 3's own output.
installers_check() {
  local dir="$target_dir/installers" hooks fragments=() refs="" id
  local prefix trail_win local_win trail local_dir uninstall
  rm -rf "$dir"
  mkdir -p "$dir/nsis" "$dir/msi" "$dir/expected"
  prefix="$dir/wine-prefix"
  iwine() { WINEPREFIX="$prefix" WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" "$wine" "$@"; }
  iwait() { WINEPREFIX="$prefix" wineserver -w; }
  # Runs a Windows program and waits for every process it started (an NSIS uninstaller copies
  # itself to a temporary folder and goes on from there).
  irun() {
    local rc=0
    iwine "$@" || rc=$?
    iwait
    return "$rc"
  }
  find_wine

  # What tauri.conf.json wires, with its paths relative to src-tauri/ as Tauri reads them.
  hooks=$(tauri_conf bundle.windows.nsis.installerHooks)
  [ -n "$hooks" ] || { echo "tauri.conf.json names no NSIS installer hooks (bundle.windows.nsis.installerHooks)"; return 1; }
  [ "$(tauri_conf bundle.windows.nsis.installMode)" = perMachine ] ||
    { echo "the NSIS setup is not per machine (bundle.windows.nsis.installMode): it could not write under HKLM"; return 1; }
  mapfile -t fragments < <(tauri_conf bundle.windows.wix.fragmentPaths)
  [ "${#fragments[@]}" -gt 0 ] || { echo "tauri.conf.json names no WiX fragment (bundle.windows.wix.fragmentPaths)"; return 1; }
  while read -r id; do [ -n "$id" ] && refs+="<ComponentRef Id=\"$id\" />"; done \
    < <(tauri_conf bundle.windows.wix.componentRefs)
  while read -r id; do [ -n "$id" ] && refs+="<ComponentGroupRef Id=\"$id\" />"; done \
    < <(tauri_conf bundle.windows.wix.componentGroupRefs)

  # A stand-in for the app's binary: only its place is looked at.
  printf 'Recording Desk stand-in\r\n' >"$dir/recording-desk.exe"
  makensis -V2 -WX -DHOOKS="$root/src-tauri/$hooks" -DMAINBINARYSRCPATH="$dir/recording-desk.exe" \
    -DOUTFILE="$dir/nsis/recording-desk-setup.exe" scripts/wine/installer-check.nsi >"$dir/nsis/makensis.log" 2>&1 ||
    { cat "$dir/nsis/makensis.log"; echo "makensis could not build the setup"; return 1; }
  cp "$dir/recording-desk.exe" "$dir/msi/"
  sed "s|@REFS@|$refs|" scripts/wine/installer-check.wxs >"$dir/msi/product.wxs"
  (cd "$dir/msi" && wixl -a x64 -o recording-desk.msi product.wxs "${fragments[@]/#/$root/src-tauri/}") \
    >"$dir/msi/wixl.log" 2>&1 || { cat "$dir/msi/wixl.log"; echo "wixl could not build the MSI"; return 1; }
  (cd "$dir/msi" && msiinfo export recording-desk.msi Registry >Registry.idt &&
    python3 "$root/scripts/wine/wix3-registry-rows.py" Registry.idt "${fragments[@]/#/$root/src-tauri/}" >wix3-rows.log &&
    msibuild recording-desk.msi -i Registry.idt) || { echo "could not add WiX 3's registry rows to the MSI"; return 1; }
  local wix3_rows=""
  if [ -s "$dir/msi/wix3-rows.log" ]; then
    wix3_rows=", plus the registry rows WiX 3 writes"
    echo "Added to the MSI, as WiX 3 would write them for the fragment:"
    sed 's/^/  /' "$dir/msi/wix3-rows.log"
  fi

  iwine wineboot --init >/dev/null 2>&1
  iwait
  # A user's data: the trail and its head anchor in %APPDATA%\<identifier>, the log in
  # %LOCALAPPDATA%\<identifier>\logs (desk-core's paths), kept aside to compare with afterwards.
  id=$(tauri_conf identifier)
  trail_win=$(iwine cmd /c echo "%APPDATA%\\$id" | tr -d '\r')
  local_win=$(iwine cmd /c echo "%LOCALAPPDATA%\\$id" | tr -d '\r')
  trail=$(iwine winepath -u "$trail_win" | tr -d '\r')
  local_dir=$(iwine winepath -u "$local_win" | tr -d '\r')
  mkdir -p "$trail" "$local_dir/logs"
  printf '%s\n' \
    '{"seq":1,"at":"2026-11-02T09:14:03Z","action":"startRecording","session":"c1e0…","prev":"0000"}' \
    '{"seq":2,"at":"2026-11-02T09:41:55Z","action":"stopRecording","session":"c1e0…","prev":"9f2b"}' >"$trail/audit.jsonl"
  printf '2 9f2b41c7\n' >"$trail/audit.head"
  printf '{"region":"us"}\n' >"$trail/settings.json"
  printf 'INFO started\n' >"$local_dir/logs/recording-desk.log"
  cp -a "$trail" "$dir/expected/roaming"
  cp -a "$local_dir" "$dir/expected/local"

  # Before each installer: no source, the Application log's key as Windows has it (a fresh Wine
  # prefix has none), and the user's data as above, so that each installer is judged on its own.
  reset_state() {
    iwine reg delete "$EVENT_SOURCE_KEY" /f >/dev/null 2>&1 || true
    iwine reg add "$EVENT_LOG_KEY" /v File /t REG_EXPAND_SZ /d '%SystemRoot%\System32\Winevt\Logs\Application.evtx' /f >/dev/null
    rm -rf "$trail" "$local_dir"
    cp -a "$dir/expected/roaming" "$trail"
    cp -a "$dir/expected/local" "$local_dir"
  }

  # $1: the installer's name; $2: "installed" or "uninstalled". Prints what is wrong, if anything.
  check_state() {
    local query message_file types problems=()
    if [ "$2" = installed ]; then
      query=$(iwine reg query "$EVENT_SOURCE_KEY" 2>/dev/null | tr -d '\r') ||
        problems+=("the source's key is missing after install ($EVENT_SOURCE_KEY)")
      message_file=$(awk -F '    ' '$2 == "EventMessageFile" { print $3 " " $4 }' <<<"$query")
      types=$(awk -F '    ' '$2 == "TypesSupported" { print $3 " " $4 }' <<<"$query")
      [ "$message_file" = "REG_EXPAND_SZ $EVENT_MESSAGE_FILE" ] ||
        problems+=("EventMessageFile is '${message_file:-missing}', not 'REG_EXPAND_SZ $EVENT_MESSAGE_FILE'")
      [ "$types" = "REG_DWORD 0x7" ] || problems+=("TypesSupported is '${types:-missing}', not 'REG_DWORD 0x7'")
      [ -f "$prefix/drive_c/Program Files/Recording Desk/recording-desk.exe" ] ||
        problems+=("the app is not in C:\\Program Files\\Recording Desk")
    else
      ! iwine reg query "$EVENT_SOURCE_KEY" >/dev/null 2>&1 || problems+=("the source's key is still there after uninstall")
      iwine reg query "$EVENT_LOG_KEY" >/dev/null 2>&1 || problems+=("the Application log's own key is gone")
      [ ! -e "$prefix/drive_c/Program Files/Recording Desk/recording-desk.exe" ] ||
        problems+=("the app is still installed: the uninstaller did not run")
      diff -r "$dir/expected/roaming" "$trail" >/dev/null 2>&1 ||
        problems+=("the audit trail's folder changed ($trail_win)")
      diff -r "$dir/expected/local" "$local_dir" >/dev/null 2>&1 ||
        problems+=("the app's log folder changed ($local_win)")
    fi
    [ "${#problems[@]}" -eq 0 ] && return 0
    local problem
    for problem in "${problems[@]}"; do printf '%s: %s\n' "$1" "$problem"; done
    return 1
  }
  # A value the installer did not write, so that uninstall must remove the key, not only its values.
  add_foreign_value() { iwine reg add "$EVENT_SOURCE_KEY" /v AddedByAnotherTool /t REG_SZ /d x /f >/dev/null 2>&1 || true; }

  local status=0 step_at uninstall_string
  step_at=$SECONDS
  reset_state
  irun "$dir/nsis/recording-desk-setup.exe" /S || { echo "NSIS setup: the setup failed"; status=1; }
  if check_state "NSIS setup" installed; then
    add_foreign_value
    # The uninstaller as Add/Remove Programs would start it.
    uninstall_string=$(iwine reg query 'HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\Recording Desk' /v UninstallString 2>/dev/null |
      tr -d '\r' | awk -F '    ' '$2 == "UninstallString" { print $4 }')
    uninstall=${uninstall_string//\"/}
    if [ -z "$uninstall" ]; then
      echo "NSIS setup: no uninstaller in Add/Remove Programs (HKLM)"
      status=1
    else
      irun "$uninstall" /S || { echo "NSIS setup: the uninstaller failed"; status=1; }
      check_state "NSIS setup" uninstalled || status=1
    fi
  else
    status=1
  fi
  installer_result NSIS "$status" "${hooks#../}" "$step_at"

  local msi_status=0 msi
  step_at=$SECONDS
  reset_state
  msi=$(iwine winepath -w "$dir/msi/recording-desk.msi" | tr -d '\r')
  irun msiexec /i "$msi" /qn ||
    { echo "MSI: msiexec /i failed"; msi_status=1; }
  if check_state "MSI" installed; then
    add_foreign_value
    irun msiexec /x "$msi" /qn ||
      { echo "MSI: msiexec /x failed"; msi_status=1; }
    check_state "MSI" uninstalled || msi_status=1
  else
    msi_status=1
  fi
  installer_result MSI "$msi_status" "${fragments[*]#../} (built with wixl$wix3_rows)" "$step_at"

  iwait
  [ "$status" -eq 0 ] && [ "$msi_status" -eq 0 ] || return 1
  # A Wine prefix is 700 MB: kept only when something failed, to look into.
  rm -rf "$prefix"
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
  --installers) mode=installers ;;
  -h | --help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
  *) fail "unknown option $1 (try --help)" ;;
esac

install_packages
[ "$mode" = install ] && exit 0
mkdir -p "$target_dir"
if [ "$mode" = installers ]; then
  say "Windows installers: the Event Log source, installed and uninstalled under Wine"
  step_start=$SECONDS installers_status=0
  installers_check || installers_status=$?
  installers_time=$(elapsed "$step_start")
  printf '\n'
  [ "${#installer_results[@]}" -eq 0 ] || printf '%s\n' "${installer_results[@]}"
  printf 'Installers checked in %s\n' "$installers_time"
  [ "$installers_status" -eq 0 ] || fail "the installers' check failed"
  exit 0
fi
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

find_wine
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

say "Windows installers: the Event Log source, installed and uninstalled under Wine"
step_start=$SECONDS installers_status=0
installers_check || installers_status=$?
installers_time=$(elapsed "$step_start")

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
echo "Installers under Wine ($installers_time):"
[ "${#installer_results[@]}" -gt 0 ] || installer_results=("none installed: see the step's output above")
printf '  %s\n' "${installer_results[@]}"
if [ "$failures" -gt 0 ] || [ "$total_failed" -gt 0 ]; then
  fail "Windows tests failed under Wine"
fi
[ "$installers_status" -eq 0 ] || fail "the installers' check failed"

