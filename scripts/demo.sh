#!/usr/bin/env bash
# Set everything up, then run careflow's main job on the bundled examples: check them, score
# them against the ten målbilder, list their gap findings, draw their diagrams, write an HTML
# report of each and compare today's fragmented journey with the coordinated one. Everything
# is written to out/ (or the folder given as the first argument).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cf=.venv/bin/careflow
out=${1:-out}
mkdir -p "$out"
echo "== careflow validate examples/*.yaml"
$cf validate examples/*.yaml
for f in examples/*.yaml; do
  echo
  echo "== careflow score $f"
  $cf score "$f"
done
echo
echo "== careflow gaps examples/fragmented.yaml"
$cf gaps examples/fragmented.yaml
if command -v dot >/dev/null 2>&1; then
  for f in examples/*.yaml; do
    name=$(basename "$f" .yaml)
    $cf render "$f" --kind journey -o "$out/$name.journey.svg"
    $cf render "$f" --kind profile -o "$out/$name.profile.svg"
    $cf render "$f" --kind actors -o "$out/$name.actors.svg"
    $cf report "$f" -o "$out/$name.report.html"
  done
  echo
  echo "== careflow compare examples/fragmented.yaml examples/coordinated.yaml"
  $cf compare examples/fragmented.yaml examples/coordinated.yaml -o "$out/compare.profile.svg"
  echo
  echo "Diagrams and reports are in $out/: open $out/fragmented.report.html in a browser."
else
  for f in examples/*.yaml; do
    $cf render "$f" --kind journey -o "$out/$(basename "$f" .yaml).journey.dot"
  done
  echo
  echo "Graphviz's dot is not installed, so only DOT files were written to $out/;"
  echo "install it (apt-get install -y graphviz) for SVG diagrams and HTML reports."
fi
