#!/usr/bin/env bash
# Runs the benchmarks of Recording Desk and prints a summary table with a verdict per goal
# (docs/performance.md says what each figure means):
#   1. bulk start of 1,000 sessions against the simulator (100 ms per call): wall time vs ideal,
#      vs a one-at-a-time loop, token requests;
#   2. the same under a sustained rate limit (50 and 100 requests/s, with and without Retry-After);
#   3. the UI: parsing 10,000 pasted IDs and first paint of a 5,000-row table, in Chromium;
#   4. the app on a virtual X display: start-up time and idle memory next to a bare Tauri window.
#
# Usage: scripts/bench.sh [--no-build] [engine] [ui] [app]     (no part named = all parts)
# Exit status: 0 when every goal is met, 1 when one is missed, 2 when a part could not run.
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
parts=()
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    engine | ui | app) parts+=("$arg") ;;
    *) echo "usage: scripts/bench.sh [--no-build] [engine] [ui] [app]" >&2; exit 2 ;;
  esac
done
[ "${#parts[@]}" -gt 0 ] || parts=(engine ui app)
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
  step "Parts 1 and 2: the bulk engine against the simulator"
  run_part "$bench" all --summary "$summary"
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
