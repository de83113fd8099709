#!/usr/bin/env bash
# Installs the Debian packages ransim needs (only the missing ones), then configures and
# builds with CMake. Usage: scripts/setup.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}

packages=(
  build-essential cmake pkg-config
  libarmadillo-dev libopenblas-dev libboost-dev libhdf5-dev zlib1g-dev libtomlplusplus-dev
  libcairo2-dev dataset-fashion-mnist
  libgtest-dev libgmock-dev libbenchmark-dev
  hdf5-tools python3 python3-h5py python3-numpy
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

cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE:-Release} >&2
cmake --build "$build_dir" -j2 >&2
