#!/usr/bin/env bash
# Command 2 of the README: install dependencies, build, run the whole test suite with CTest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh" "$@"
cd "${LONGTAIL_BUILD_DIR:-$root/build}"
ctest --output-on-failure -j "$(nproc)"
