#!/usr/bin/env bash
# Runs one fuzz target for SECONDS on a corpus of its own in WORK_DIR (WORK_DIR/corpus, new
# inputs it finds are kept there; the seeds are only read), crash reproducers written to
# WORK_DIR/ (crash-*, leak-*, timeout-*, oom-*). Exit status: 0 when nothing was found.
#
#   fuzz/run_fuzz.sh FUZZER SEED_DIR SECONDS WORK_DIR [libFuzzer flags...]
#
# With RANSIM_FUZZ_FOREIGN=LIB (e.g. libhdf5), crashes inside that library are not ransim's
# to fix: the fuzzer runs in fork mode and goes on after a crash, and the run fails only for
# a crash whose innermost frame (below libc and the sanitizer's interceptors) is elsewhere,
# or that is neither a wild access (SEGV), an allocation the library sized from a corrupt
# field, nor an overrun of memory the library allocated (the library overrunning a buffer
# ransim passed it is ransim's). Each crash is listed.
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
flags=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
  -artifact_prefix="$work/")
if [ -z "${RANSIM_FUZZ_FOREIGN:-}" ]; then
  exec "$fuzzer" "${flags[@]}" "$@" "$work/corpus" "$seeds"
fi

# The first frame of a stack (lines "#N 0x... in f (module)") that is not libc, an interceptor
# or the sanitizer's malloc (operator new stays: its caller's vector is the caller's memory).
first_own_frame() {
  { grep -E '^ *#[0-9]+ 0x' | grep -vE '__interceptor_|sysdeps/|libc\.so|/libc-|__asan_|__ubsan_' |
      grep -vE ' in (malloc|calloc|realloc) ' || true; } | head -1
}
before=$(ls "$work" | grep -cE '^(crash|leak|timeout|oom)-' || true)
"$fuzzer" "${flags[@]}" -fork=1 -ignore_crashes=1 -ignore_timeouts=0 -ignore_ooms=0 "$@" \
  "$work/corpus" "$seeds" || true
status=0
for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
  [ -e "$f" ] || continue
  report=$("$fuzzer" -timeout=10 -rss_limit_mb=2048 "$f" 2>&1 || true)
  crash_frame=$(printf '%s\n' "$report" | sed -n '/ERROR: /,/^$/p' | first_own_frame)
  alloc_frame=$(printf '%s\n' "$report" | sed -n '/allocated by thread/,/^$/p' | first_own_frame)
  lib=$RANSIM_FUZZ_FOREIGN
  wild_or_own=no  # a wild access, an allocation of a corrupt size, or an overrun of the library's memory
  case $report in
    *"AddressSanitizer: SEGV"* | *"allocator is out of memory"* | *"requested allocation size"*)
      wild_or_own=yes ;;
  esac
  if [[ $alloc_frame == *"$lib"* ]]; then wild_or_own=yes; fi
  if ! grep -q 'ERROR: ' <<<"$report"; then
    echo "run_fuzz: no longer fails (fixed): $f"
  elif [[ $(basename "$f") == crash-* && $crash_frame == *"$lib"* && $wild_or_own == yes ]]; then
    echo "run_fuzz: inside $RANSIM_FUZZ_FOREIGN (not ransim's): $f:$crash_frame"
  else
    echo "run_fuzz: FINDING: $f:${crash_frame:- (no stack)}"
    status=1
  fi
done
echo "run_fuzz: $(($(ls "$work" | grep -cE '^(crash|leak|timeout|oom)-' || true) - before)) new reproducers"
exit $status
