#!/usr/bin/env bash
# The main job: build dfuflash and dfusim, then flash a firmware onto a
# simulated STM32F407 ECU exactly as the FOME docs tell users to with dfu-util.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
echo "placeholder: the main job lands with the simulator"
