#!/usr/bin/env bash
# `ransim compare` over MPI ranks, shards and resume (docs/compare.md, "Scale-out"): each must
# give the CSV of one process, wall times aside (the last column). Expected values: the
# one-process run of the same config.
# Usage: test_mpi_compare.sh RANSIM WORK_DIR
set -euo pipefail
ransim=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
cd "$work"

if ! command -v mpirun > /dev/null; then
  echo "SKIPPED: mpirun not found (scripts/setup.sh installs openmpi-bin and libopenmpi-dev)" >&2
  exit 77
fi

cat > c.toml <<'TOML'
seeds = [1, 2]
[task.narma]
kind = "narma10"
warmup = 10
train = 150
test = 60
[task.recall]
kind = "copy"
symbols = 2
delay = 2
train = 120
test = 40
[model.small]
population.res = { kind = "leaky", size = 10, tau = 2.0 }
[[model.small.projection]]
from = "input"
to = "res"
density = 1.0
[model.recurrent]
population.res = { kind = "leaky", size = 14, tau = 2.0 }
[[model.recurrent.projection]]
from = "res"
to = "res"
spectral_radius = 0.9
[[model.recurrent.projection]]
from = "input"
to = "res"
density = 1.0
TOML

fail() { echo "FAILED: $*" >&2; exit 1; }
no_wall() { sed 's/,[^,]*$//' "$1"; }
same_csv() {  # same_csv A.csv B.csv WHAT
  diff <(no_wall "$1") <(no_wall "$2") > /dev/null || { diff <(no_wall "$1") <(no_wall "$2") >&2; fail "$3"; }
}

"$ransim" compare c.toml --out serial > serial.md 2> serial.err || { cat serial.err >&2; fail "serial run"; }
[ "$(wc -l < serial.csv)" -eq 5 ] || fail "serial.csv: expected a header and 4 rows"

# Two ranks: rank 0 writes the outputs, the runs are spread over both.
mpirun --oversubscribe --allow-run-as-root -np 2 "$ransim" compare c.toml --out mpi > mpi.md 2> mpi.err ||
  { cat mpi.err >&2; fail "mpirun -np 2 ransim compare"; }
same_csv serial.csv mpi.csv "mpirun -np 2 gave another CSV than one process"
grep -q ', rank 1)' mpi.err || { cat mpi.err >&2; fail "no run was reported from rank 1"; }
grep -q ', rank 0)' mpi.err || { cat mpi.err >&2; fail "no run was reported from rank 0"; }
[ "$(grep -c '^\[\[run\]\]' mpi.runs.toml)" -eq 8 ] || fail "mpi.runs.toml: expected 8 runs"
for f in mpi.md mpi.json mpi.h5 mpi.png mpi.svg; do [ -s "$f" ] || fail "$f not written"; done

# Shards of a job array, then merged.
for i in 0 1 2; do
  "$ransim" compare c.toml --shard "$i/3" --out sharded --quiet > /dev/null || fail "shard $i/3"
done
[ ! -e sharded.csv ] || fail "a shard wrote the outputs (only merge should)"
"$ransim" merge c.toml sharded.shard-*-of-3.runs.toml --out merged --quiet > /dev/null || fail "merge"
same_csv serial.csv merged.csv "merged shards gave another CSV than one process"
# A shard missing: named, exit 1.
if "$ransim" merge c.toml sharded.shard-0-of-3.runs.toml --out partial > /dev/null 2> partial.err; then
  fail "merge with a shard missing exited 0"
fi
grep -q '5 of 8 runs are in none of the journals' partial.err || { cat partial.err >&2; fail "missing runs"; }

# Resume of a finished comparison runs nothing: the same CSV, wall times included.
cp serial.csv before_resume.csv
"$ransim" compare c.toml --out serial --resume > /dev/null 2> resume.err || fail "resume"
grep -q '8 of 8 runs taken from serial.runs.toml, 0 to run' resume.err || { cat resume.err >&2; fail "resume"; }
cmp -s before_resume.csv serial.csv || fail "a resumed finished comparison changed its CSV"
# A journal of another config is refused with exit 2 and kept.
sed 's/train = 150/train = 151/' c.toml > other.toml
cp serial.runs.toml kept.toml
set +e
"$ransim" compare other.toml --out serial --resume > /dev/null 2> foreign.err
code=$?
set -e
[ "$code" -eq 2 ] || fail "a foreign journal: exit $code, expected 2"
grep -q 'is the journal of another comparison' foreign.err || { cat foreign.err >&2; fail "foreign message"; }
cmp -s kept.toml serial.runs.toml || fail "the refused journal was changed"
echo "mpirun, shards, merge and resume: the CSV of one process"
