#!/usr/bin/env bash
# Runs the benchmarks of Recording Desk and prints a summary table with a verdict per goal
# (docs/performance.md says what each figure means):
#   1. bulk start of 1,000 sessions against the simulator (100 ms per call): wall time vs ideal,
#      vs a one-at-a-time loop, token requests;
#   2. the same under a sustained rate limit (50 and 100 requests/s, with and without Retry-After);
#   3. the UI: parsing 10,000 pasted IDs and first paint of a 5,000-row table, in Chromium;
#   4. the app on a virtual X display: start-up time and idle memory next to a bare Tauri window;
#   5. scrolling 5,000 listed sessions in the app's own WebKit window (tests/e2e/scroll-bench.mjs);
#   6. looking up 1,000 pasted session IDs as the Paste IDs tab does: listed, then every status
#      (run with part 1, "engine").
#
# Usage: scripts/bench.sh [--no-build] [engine] [ui] [app] [scroll]   (no part named = all parts)
# Exit status: 0 when every goal is met, 1 when one is missed, 2 when a part could not run.
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
parts=()
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    engine | ui | app | scroll) parts+=("$arg") ;;
    *) echo "usage: scripts/bench.sh [--no-build] [engine] [ui] [app] [scroll]" >&2; exit 2 ;;
  esac
done
[ "${#parts[@]}" -gt 0 ] || parts=(engine ui app scroll)
wants() { [[ " ${parts[*]} " == *" $1 "* ]]; }

step() { printf '\n==> %s\n' "$*"; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
summary="$scratch/summary.tsv"
: >"$summary"
broken=0

step "Machine"
echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "cores:   $(nproc)"
echo "CPU:     $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "RAM:     $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min; other work on the machine skews the figures)"

if [ "$build" = 1 ]; then
  step "Building in release (the first build takes several minutes)"
  cargo build --release --locked -p desk-bench
  if wants app; then
    # The app as it is built for release (the Tauri CLI builds the UI first), and the bare
    # window the same way: the same CLI, run in its own folder.
    npm run --silent tauri -- build --no-bundle
    (cd src-tauri/crates/desk-bench/bare-window && ../../../../node_modules/.bin/tauri build --no-bundle)
  fi
  if wants scroll; then
    # The app as the end-to-end tests run it, and the simulator binary.
    npm run --silent tauri -- build --debug --no-bundle
    cargo build --locked -p citrix-sim
  fi
fi

bench=target/release/desk-bench
SECONDS=0
run_part() {
  # desk-bench exits 3 when it ran but a goal was missed: that is a result, not a breakage.
  local status=0
  "$@" || status=$?
  if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then broken=1; fi
}

if wants engine; then
  step "Parts 1, 2 and 6: the bulk engine and the pasted-ID look-up against the simulator"
  # The rows "with the audit trail" seal it with a key in the keychain: a session bus and an
  # unlocked keyring of their own, as the tests have.
  run_part env XDG_DATA_HOME="$scratch/keyring-data" dbus-run-session -- \
    sh -c 'printf %s bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "$@"' \
    sh "$bench" all --summary "$summary"
fi

if wants ui; then
  step "Part 3: the UI in Chromium (tests/ui/bench.mjs)"
  if [ -f tests/ui/bench.mjs ]; then
    ui_out="$scratch/ui.txt"
    if node tests/ui/bench.mjs | tee "$ui_out"; then
      # "Parse 10,000 pasted IDs (...): median 12.3 ms, ..." and
      # "First paint of a 5,000-row table: median 45.6 ms (...)".
      parse=$(sed -n 's/^Parse 10,000 pasted IDs.*: median \([0-9.]*\) ms.*/\1/p' "$ui_out")
      paint=$(sed -n 's/^First paint of a 5,000-row table: median \([0-9.]*\) ms.*/\1/p' "$ui_out")
      verdict() { awk -v v="$1" -v g="$2" 'BEGIN { print (v != "" && v < g) ? "pass" : "FAIL" }'; }
      printf 'UI: parse 10,000 pasted IDs (Chromium, median)\t%s ms\t< 50 ms\t%s\n' \
        "${parse:-?}" "$(verdict "$parse" 50)" >>"$summary"
      printf 'UI: first paint of a 5,000-row table (median)\t%s ms\t< 100 ms\t%s\n' \
        "${paint:-?}" "$(verdict "$paint" 100)" >>"$summary"
    else
      echo "The UI benchmark failed." >&2
      broken=1
    fi
  else
    echo "Skipped: tests/ui/bench.mjs does not exist yet."
  fi
fi

if wants app; then
  step "Part 4: the app's start-up and idle memory on a virtual display"
  for bin in target/release/recording-desk target/release/desk-bench-bare-window; do
    [ -x "$bin" ] || { echo "$bin is missing: run without --no-build" >&2; exit 2; }
  done
  # Its own session bus and display, as the end-to-end tests have; every launch gets fresh
  # settings and data folders (desk-bench makes them).
  run_part dbus-run-session -- xvfb-run -a -s "-screen 0 1440x960x24 -noreset" \
    "$bench" app --app target/release/recording-desk \
    --bare target/release/desk-bench-bare-window --summary "$summary"
fi

if wants scroll; then
  step "Part 5: scrolling 5,000 sessions in the app's WebKit window (tests/e2e/scroll-bench.mjs)"
  for bin in target/debug/recording-desk target/debug/citrix-sim; do
    [ -x "$bin" ] || { echo "$bin is missing: run without --no-build" >&2; exit 2; }
  done
  # As scripts/test.sh runs the end-to-end tests: a virtual display, a session bus and an
  # unlocked keyring of its own.
  scroll_out="$scratch/scroll.txt"
  if XDG_DATA_HOME="$scratch/keyring-data" xvfb-run -a -s "-screen 0 1440x960x24 -noreset" \
    dbus-run-session -- sh -c 'printf %s bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null &&
      node tests/e2e/scroll-bench.mjs' | tee "$scroll_out"; then
    # "WebKit scrolling, fast flick (5,000 rows): median frame 56.0 ms, 95th percentile 76.0 ms, ..."
    sed -n 's/^WebKit scrolling, \([a-z -]*\) (\([0-9,]*\) rows): median frame \([0-9.]*\) ms, 95th percentile \([0-9.]*\) ms.*/\1\t\2\t\3\t\4/p' "$scroll_out" |
      while IFS=$'\t' read -r kind rows median p95; do
        printf 'WebKit: scrolling %s rows, %s (median frame; 95th pct %s ms)\t%s ms\t(smooth: ~17 ms)\tfigure\n' \
          "$rows" "$kind" "$p95" "$median" >>"$summary"
      done
  else
    echo "The WebKit scrolling benchmark failed." >&2
    broken=1
  fi
fi

step "Summary (the benchmarks took $((SECONDS / 60)) min $((SECONDS % 60)) s after the build)"
if [ -s "$summary" ]; then
  { printf 'figure\tmeasured\tgoal\tverdict\n'; cat "$summary"; } | column -t -s $'\t'
fi
if [ "$broken" = 1 ]; then
  echo "A part could not run (see above)." >&2
  exit 2
fi
if grep -q $'\tFAIL$' "$summary"; then
  echo "At least one goal was missed."
  exit 1
fi
echo "Every goal was met."
