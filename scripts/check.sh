#!/usr/bin/env bash
# Set everything up, then run the whole test suite: pytest (with doctests), ruff, mypy --strict.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== ruff" && .venv/bin/ruff check src tests bench scripts && .venv/bin/ruff format --check src tests bench scripts
echo "== mypy" && .venv/bin/mypy
echo "== pytest" && .venv/bin/python -m pytest -q -p no:cacheprovider src tests
