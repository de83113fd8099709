#!/usr/bin/env bash
# Runs one fuzz target for SECONDS on a corpus of its own in WORK_DIR (WORK_DIR/corpus, new
# inputs it finds are kept there; the seeds are only read), crash reproducers written to
# WORK_DIR/ (crash-*, leak-*, timeout-*, oom-*). Exit status: 0 when nothing was found.
#
#   fuzz/run_fuzz.sh FUZZER SEED_DIR SECONDS WORK_DIR [libFuzzer flags...]
set -euo pipefail
if (($# < 4)); then
  echo "usage: $0 FUZZER SEED_DIR SECONDS WORK_DIR [libFuzzer flags...]" >&2
  exit 2
fi
fuzzer=$1 seeds=$2 seconds=$3 work=$4
shift 4
mkdir -p "$work/corpus"
# Leaks inside the HDF5 library itself are not ransim's (lsan.supp says which and why).
export LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")" && pwd)/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
# One process on one core; an input taking over 10 s or 2 GB is a finding, as is a leak.
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/" "$@" "$work/corpus" "$seeds"
