#!/usr/bin/env bash
# Configures and builds longtail in Release into ./build (or $LONGTAIL_BUILD_DIR).
# Extra arguments go to the CMake configure step (e.g. -DLONGTAIL_SANITIZE=ON).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${LONGTAIL_BUILD_DIR:-$root/build}
mkdir -p "$build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release "$@" > "$build/configure.log" 2>&1 || {
  cat "$build/configure.log"; exit 1; }
cmake --build "$build" -j "$(nproc)"
