#!/usr/bin/env bash
# Installs every Debian package dfuflash needs to build, test and benchmark.
# Both README commands call this, so a fresh Debian 12 machine (as root) needs nothing else.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  clang llvm lld libclang-rt-14-dev      # ASan/UBSan build, libFuzzer, ELF test files
  libusb-1.0-0-dev zlib1g-dev libelf-dev libzip-dev libcmocka-dev
  umockdev libumockdev-dev libumockdev0 gir1.2-umockdev-1.0 libglib2.0-dev
  dfu-util usbutils srecord binutils     # peers, and makers of test files
  python3-intelhex                       # dfuse-pack -i (HEX input) in the format tests
  python3 jq time hyperfine gnuplot-nox  # test, demo and benchmark helpers (gnuplot: bench/plot_speed.sh)
  dpkg-dev man-db                        # cpack's Debian packages (dpkg-shlibdeps), man -w
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
