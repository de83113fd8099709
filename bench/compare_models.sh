#!/usr/bin/env bash
# Measures the table of docs/models.md: each attention scenario on Mackey-Glass one-step and
# NARMA-10, next to a leaky ESN with the same number of state variables.
# Usage: bench/compare_models.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${1:-build}/bin/ransim
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

metric() {  # scenario, extra args... -> nrmse_test (or the failure status)
  local out
  out=$("$cli" run "$@" --json --quiet 2>/dev/null || true)
  if grep -q '"status": "complete"' <<<"$out"; then
    sed -E 's/.*"nrmse_test": ([^,}]*).*/\1/' <<<"$out" | xargs printf '%.3g'
  else
    sed -E 's/.*"status": "([^"]*)".*/\1/' <<<"$out"
  fi
}
state_size() { "$cli" run "$1" --json --quiet --set task.train=10 --set task.test=10 | sed -E 's/.*"state_size": ([0-9]+).*/\1/'; }

leaky() {  # N -> a leaky ESN scenario file with the same task protocol
  cat > "$tmp/leaky_$1.toml" <<TOML
seed = 1
[task]
kind = "mackey_glass"
warmup = 100
train = 2000
test = 1000
[population.res]
kind = "leaky"
size = $1
tau = 3.3333333333333335
bias_scale = 0.2
[[projection]]
from = "res"
to = "res"
density = 0.1
spectral_radius = 1.25
[[projection]]
from = "input"
to = "res"
density = 1.0
distribution = "uniform"
[readout]
ridge = 1e-8
TOML
  echo "$tmp/leaky_$1.toml"
}

echo "| scenario | state variables | Mackey-Glass one-step NRMSE | NARMA-10 NRMSE | leaky ESN, same size: MG | leaky ESN: NARMA-10 |"
echo "|---|---|---|---|---|---|"
for s in scenarios/ran_figure_a.toml scenarios/ran_figure_c.toml scenarios/ran_units_context.toml; do
  n=$(state_size "$s")
  l=$(leaky "$n")
  echo "| \`$(basename "$s")\` | $n | $(metric "$s") | $(metric "$s" --set task.kind=narma10) | $(metric "$l") | $(metric "$l" --set task.kind=narma10) |"
done
