#!/usr/bin/env bash
# One shard of a `ransim compare` per task of a SLURM job array (docs/compare.md, "Scale-out").
#
#   sbatch --array=0-7 scripts/slurm_compare.sh CONFIG PREFIX [compare options, e.g. --quick]
#   # when every task is done (e.g. sbatch --dependency=afterok:JOBID ...):
#   build/bin/ransim merge CONFIG PREFIX.shard-*-of-8.runs.toml --out PREFIX
#
# Task I of an array of K tasks runs `ransim compare CONFIG --shard I/K --resume`: the runs whose
# index modulo K is I, into PREFIX.shard-I-of-K.runs.toml. A task that is requeued or submitted
# again continues its journal. RANSIM names the program (default build/bin/ransim, from the
# folder sbatch was called in).
#SBATCH --job-name=ransim-compare
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
#SBATCH --time=04:00:00
#SBATCH --requeue
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: sbatch --array=0-(K-1) $0 CONFIG PREFIX [ransim compare options]" >&2
  exit 2
fi
config=$1
prefix=$2
shift 2
if [ -z "${SLURM_ARRAY_TASK_ID:-}" ]; then
  echo "$0: not a task of a job array (submit it with sbatch --array=0-(K-1))" >&2
  exit 2
fi
# The array's tasks are shards 0 .. K-1 whatever its first index (--array=1-8 works too), as
# long as the indices are one contiguous range.
first=${SLURM_ARRAY_TASK_MIN:-0}
last=${SLURM_ARRAY_TASK_MAX:-$((SLURM_ARRAY_TASK_COUNT - 1))}
count=$((last - first + 1))
if [ -n "${SLURM_ARRAY_TASK_COUNT:-}" ] && [ "$SLURM_ARRAY_TASK_COUNT" -ne "$count" ]; then
  echo "$0: the array's indices must be one range without gaps or steps (--array=0-$((count - 1)))" >&2
  exit 2
fi
shard=$((SLURM_ARRAY_TASK_ID - first))

exec "${RANSIM:-build/bin/ransim}" compare "$config" --out "$prefix" --shard "$shard/$count" --resume "$@"
