#!/usr/bin/env bash
# Set everything up, then run careflow's main job on the bundled examples.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cf=.venv/bin/careflow
echo "== careflow validate examples/*.yaml"
$cf validate examples/*.yaml
