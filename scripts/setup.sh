#!/usr/bin/env bash
# Set up careflow for development on a fresh machine: Graphviz's dot, a virtualenv in .venv,
# careflow with its development tools (the `dev` dependency group of pyproject.toml, which is
# not published with the package). Safe to run again; it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
if ! command -v dot >/dev/null 2>&1; then need_apt+=(graphviz); fi
PY=${PYTHON:-python3}
if ! command -v "$PY" >/dev/null 2>&1; then need_apt+=(python3); fi
if command -v "$PY" >/dev/null 2>&1 && ! "$PY" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  need_apt+=(python3-venv)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${need_apt[*]} with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "setup: please install ${need_apt[*]} (Debian/Ubuntu: sudo apt-get install -y ${need_apt[*]};" >&2
    echo "       macOS: brew install graphviz). Without Graphviz's dot, careflow still writes DOT," >&2
    echo "       but not SVG, PNG, PDF or HTML reports; the tests that need dot are skipped." >&2
  fi
fi

"$PY" - <<'PYEOF'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"setup: careflow needs Python 3.11 or newer, this is {sys.version.split()[0]}")
PYEOF

if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
# The dev group is read here rather than with `pip install --group dev`, which needs
# pip >= 25.1: a venv whose pip could not be upgraded (offline) still gets set up.
mapfile -t dev_deps < <(.venv/bin/python - <<'PYEOF'
import tomllib
with open("pyproject.toml", "rb") as f:
    print("\n".join(tomllib.load(f)["dependency-groups"]["dev"]))
PYEOF
)
.venv/bin/python -m pip install -q --disable-pip-version-check -e . "${dev_deps[@]}" 2>&1 \
  | grep -v "WARNING: Location" || true
.venv/bin/python -c 'import careflow' || { echo "setup: careflow did not install" >&2; exit 1; }
