#!/usr/bin/env bash
# The sanitizer job of CI (.ci/run): an AddressSanitizer + UndefinedBehaviorSanitizer build
# (the `asan` preset, build-asan/) of the core library, the bundled plugins and the suites of
# the rooms that read outside input or own memory: engine, scenario, tasks and their data
# files, readout, train, run, io, study, analysis and the command line. A subset, so that CI
# stays short: the plugin suites, the chart, the GUI and the docs examples run in the release
# build only; `make asan` builds and runs the whole fast suite under the sanitizers.
# Usage: scripts/sanitize.sh   (after scripts/setup.sh has installed the packages)
set -euo pipefail
cd "$(dirname "$0")/.."

suites=(test_engine test_projection test_scenario test_stream_tasks test_episodic_tasks test_idx
        test_stream_benchmark test_csl test_japanese_vowels test_data_tasks test_file_task test_ridge test_online
        test_gradients test_trainer test_session test_episode_runner test_recorder test_hdf5_read test_compare
        test_sweep test_search test_measures test_recording_analysis test_cli)
# Warnings stay warnings here: under -fsanitize GCC 12 reports -Wmaybe-uninitialized inside
# libstdc++'s <regex> (false positives); the release build of CI has -Werror.
cmake --preset asan -DRANSIM_WERROR=OFF >&2
cmake --build --preset asan --target ransim_cli "${suites[@]}" >&2
# The suites not built here are listed by ctest as <suite>_NOT_BUILT; the script tests need
# the whole build (the Python ones the module, which an ASan build cannot load into python3).
# compare_mpi runs in the release build only: LeakSanitizer reports OpenMPI's own allocations
# that live until exit (MPI_Init's, not ransim's). Tests that measure peak memory
# (*BoundedMemory) run in the release build only: ASan's shadow memory and quarantine count there.
ctest --preset asan -E '_NOT_BUILT$|^plugin_out_of_tree$|^est_converter$|^docs_|^compare_mpi$|^python_|^analyze_memory_curve$|BoundedMemory$'
