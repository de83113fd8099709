#!/usr/bin/env bash
# Installs ransim to a temporary prefix, builds plugins/example_unit out of tree with
# find_package(ransim), and runs a scenario that uses its model.
# Usage: plugin_out_of_tree.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
cmake -S "$src/plugins/example_unit" -B "$work/example" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_BUILD_TYPE=Release > "$work/configure.log"
cmake --build "$work/example" > "$work/build.log"
cat > "$work/s.toml" <<'TOML'
[task]
kind = "narma10"
warmup = 10
train = 200
test = 50
[population.ex]
kind = "example_unit"
size = 5
tau = 2.0
gain = 0.5
[[projection]]
from = "input"
to = "ex"
density = 1.0
TOML
out=$("$work/prefix/bin/ransim" run "$work/s.toml" --plugin-dir "$work/example/lib/ransim/plugins" --json)
echo "$out"
grep -q '"status": "complete"' <<<"$out"
# Captured first: grep -q on a pipe would stop reading at the match, and ransim, still writing a
# listing longer than the pipe's buffer, would die of SIGPIPE (a failure under pipefail).
info=$("$work/prefix/bin/ransim" info --plugin-dir "$work/example/lib/ransim/plugins")
grep -q "example_unit.so: example_unit" <<<"$info"
echo "out-of-tree plugin: built, loaded and run"
