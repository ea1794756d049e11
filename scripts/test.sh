#!/usr/bin/env bash
# Builds dfuflash twice (gcc normal build; clang ASan+UBSan build with the
# libFuzzer targets) and runs the tests: unit (cmocka), end-to-end
# (dfuflash and Debian's dfu-util against dfusim over umockdev), the
# oracle, the layers check and fuzz. The slow suites (label "slow": the
# fault matrix, the recovery window, the defect regressions, the oracle,
# the quirk timings, the format round trips, the FOME update faults and
# its real-timing run) run
# once, in the normal build; everything else runs in both.
# The output ends with ctest's summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

jobs=$(nproc)
cmake -S . -B build -DDFU_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
CC=clang cmake -S . -B build-asan -DDFU_WERROR=ON -DDFU_SANITIZE=ON -DDFU_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs"

echo "== normal build =="
(cd build && ctest --output-on-failure -j"$jobs")
echo "== ASan+UBSan build, fuzz targets =="
(cd build-asan && ctest --output-on-failure -j"$jobs" -LE slow)
