#!/bin/bash
# bench_flash.sh - flash a 900 KiB image onto the STM32F407 and STM32F767
# models at --time-scale 1 (the real chips' timing and poll timeouts) with
# dfuflash and with dfu-util, side by side in one run, and print a Markdown
# table with both times and their ratio.
#
#   bash bench/bench_flash.sh BUILD_DIR
#
# dfu-util: `dfu-util -a 0 -s 0x08000000 -D fw.bin` (no verify; erases the
# pages the image touches). dfuflash: `dfuflash flash fw.bin --no-leave`
# (erases the sectors it touches, checks each erased sector reads blank,
# keeps the rest of partly written sectors, verifies by reading back).
# Both start from a flash full of other data. Takes a few minutes.
set -euo pipefail

build=${1:?usage: bench_flash.sh BUILD_DIR}
dfusim=$build/dfusim
dfuflash=$build/dfuflash
command -v dfu-util >/dev/null || { echo "dfu-util not installed" >&2; exit 1; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cd "$t"
head -c $((900 * 1024)) /dev/urandom >fw.bin

# Runs a command under the simulator on a flash of random data; prints the
# wall time in seconds and checks the image landed.
timed() {
	local chip=$1 size start end
	shift
	size=$((2048 * 1024))
	[ "$chip" = stm32f407 ] && size=$((1024 * 1024))
	rm -f st st.optbytes
	head -c "$size" /dev/urandom >st
	start=$(date +%s.%N)
	"$dfusim" run --chip "$chip" --time-scale 1 --flash st -- "$@" >log 2>&1 ||
		{ cat log >&2; echo "failed: $*" >&2; exit 1; }
	end=$(date +%s.%N)
	cmp -n $((900 * 1024)) st fw.bin >/dev/null || { echo "wrong flash after: $*" >&2; exit 1; }
	echo "$end - $start" | bc
}

echo "| chip | dfuflash (s) | dfuflash --no-verify (s) | dfu-util (s) | dfu-util / dfuflash |"
echo "|---|---|---|---|---|"
for chip in stm32f407 stm32f767; do
	a=$(timed $chip "$dfuflash" flash fw.bin --no-leave -q)
	n=$(timed $chip "$dfuflash" flash fw.bin --no-leave --no-verify -q)
	b=$(timed $chip dfu-util -a 0 -s 0x08000000 -D fw.bin)
	printf '| %s | %.1f | %.1f | %.1f | %.2fx |\n' "$chip" "$a" "$n" "$b" \
		"$(echo "$b / $a" | bc -l)"
done
