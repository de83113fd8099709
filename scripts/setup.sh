#!/usr/bin/env bash
# Installs the Debian packages ransim needs (only the missing ones), then configures and
# builds with CMake (the settings of the `release` preset in CMakePresets.json).
# Usage: scripts/setup.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}

packages=(
  build-essential cmake pkg-config
  libarmadillo-dev libopenblas-dev libboost-dev libhdf5-dev zlib1g-dev libtomlplusplus-dev
  libcairo2-dev dataset-fashion-mnist
  libgtest-dev libgmock-dev libbenchmark-dev
  hdf5-tools python3 python3-h5py python3-numpy python3-torch
  pybind11-dev python3-dev python3-pytest
  python3-scipy python3-joblib python3-dill python3-tqdm python3-sklearn python3-threadpoolctl
  openmpi-bin libopenmpi-dev
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev libgl-dev xvfb xauth
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# Warnings are errors in CI (CI=true, as .ci/run and most CI services set it). The option is
# passed either way, so that a build directory configured once in CI does not keep it.
if [ "${CI:-}" = true ]; then werror=ON; else werror=OFF; fi
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE:-Release} -DRANSIM_WERROR=$werror >&2
cmake --build "$build_dir" -j2 >&2
