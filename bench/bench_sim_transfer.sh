#!/bin/bash
# bench_sim_transfer.sh - what one control transfer costs through dfusim's
# umockdev front end at --time-scale 0 (the model instant, so what is left
# is libusb -> umockdev preload -> socket -> dfusim's handler and back).
#
#   bench/bench_sim_transfer.sh [DFUSIM] [KIB] [RUNS]
#
# DFUSIM defaults to build/dfusim, KIB (the read size) to 1024, RUNS to 5.
# Each run times `dfu-util -U` of KIB KiB from an STM32F407 and divides by
# the control transfers the model counted (--stats requests.control); the
# start-up of an empty run (`dfusim run -- true`) is measured the same way
# and taken off first. Prints the median of the runs. Figures go in
# docs/PERFORMANCE.md, "## dfusim transfer cost".
set -euo pipefail

dfusim=${1:-build/dfusim}
kib=${2:-1024}
runs=${3:-5}
command -v dfu-util >/dev/null || { echo "dfu-util not installed" >&2; exit 1; }
[ -x "$dfusim" ] || { echo "no dfusim at $dfusim" >&2; exit 1; }
dfusim=$(realpath "$dfusim")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

now_ns() { date +%s%N; }

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

empty=()
per=()
total=()
for ((i = 0; i < runs; i++)); do
	t0=$(now_ns)
	"$dfusim" run -- true
	t1=$(now_ns)
	empty+=($((t1 - t0)))

	t0=$(now_ns)
	"$dfusim" run --stats stats.json -- \
		dfu-util -a 0 -s "0x08000000:$((kib * 1024))" -U out.bin >/dev/null 2>&1
	t1=$(now_ns)
	n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests"]["control"])' stats.json)
	[ "$(stat -c %s out.bin)" = $((kib * 1024)) ] || { echo "short read" >&2; exit 1; }
	rm -f out.bin
	total+=($((t1 - t0)))
	per+=($(((t1 - t0 - empty[i]) / n)))
done

e=$(printf '%s\n' "${empty[@]}" | median)
t=$(printf '%s\n' "${total[@]}" | median)
p=$(printf '%s\n' "${per[@]}" | median)
echo "dfu-util -U ${kib} KiB from stm32f407 at --time-scale 0, median of $runs runs:"
echo "  control transfers per run: $n"
echo "  whole run:   $((t / 1000000)) ms"
echo "  empty run:   $((e / 1000000)) ms (testbed, preload, exec)"
echo "  per control transfer: $((p / 1000)).$(printf '%03d' $((p % 1000))) us"
echo "  throughput:  $(((kib * 1024 * 1000000) / ((t - e) / 1000 + 1))) bytes/s"
