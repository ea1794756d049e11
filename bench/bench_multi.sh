#!/bin/bash
# bench_multi.sh - flash a 900 KiB image onto 1, 4 and 8 simulated
# STM32F407s at once (`dfuflash flash --all`) at --time-scale 1 (the real
# chips' timing and poll timeouts), several runs of each in alternation,
# and print a Markdown table of the median times, the CPU the whole run
# used, and the ratios 4/1 and 8/1.
#
#   bash bench/bench_multi.sh BUILD_DIR [RUNS]     (RUNS per count, default 3)
#
# Every device starts from a flash full of other data; after each run every
# state file must hold the image and keep the rest of flash. Goals: 4
# devices in at most 1.3x the time of one, 8 in at most 1.6x. Takes a few
# minutes.
set -euo pipefail

build=${1:?usage: bench_multi.sh BUILD_DIR [RUNS]}
runs=${2:-3}
dfusim=$(realpath "$build/dfusim")
dfuflash=$(realpath "$build/dfuflash")
counts="1 4 8"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cd "$t"
export DFUFLASH_STATE_DIR="$t/state"
head -c $((900 * 1024)) /dev/urandom >fw.bin
size=$((1024 * 1024))

# The state file of device k (dfusim: st, st.2, st.3, ...).
state() { if [ "$1" = 1 ]; then echo st; else echo "st.$1"; fi; }

# One run on n devices: prints "wall user+sys" in seconds and checks that
# every device holds the image and kept the rest.
one() {
	local n=$1 k f
	rm -f st st.* ./*.tail
	for k in $(seq 1 "$n"); do
		f=$(state "$k")
		head -c "$size" /dev/urandom >"$f"
		tail -c +$((900 * 1024 + 1)) "$f" >"$f.tail"
	done
	TIMEFORMAT='%R %U %S'
	{ time "$dfusim" run --devices "$n" --serial 3276386F3334 --time-scale 1 --flash st -- \
		"$dfuflash" flash fw.bin --all --no-leave -q >log 2>&1 ||
		{ cat log >&2; echo "failed: $n devices" >&2; exit 1; }; } 2>timing
	for k in $(seq 1 "$n"); do
		f=$(state "$k")
		cmp -n $((900 * 1024)) "$f" fw.bin >/dev/null ||
			{ echo "device $k: wrong flash after $n devices" >&2; exit 1; }
		tail -c +$((900 * 1024 + 1)) "$f" | cmp - "$f.tail" >/dev/null ||
			{ echo "device $k: kept bytes lost with $n devices" >&2; exit 1; }
	done
	awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' timing
}

median() {
	sort -n | awk '{ v[NR] = $1 }
		END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

declare -A wall cpu
for r in $(seq 1 "$runs"); do
	# Alternate the order so that a slow moment of the machine does not
	# fall on one count only.
	order=$counts
	[ $((r % 2)) = 0 ] && order=$(echo "$counts" | tr ' ' '\n' | tac | tr '\n' ' ')
	for n in $order; do
		read -r w c < <(one "$n")
		wall[$n]="${wall[$n]:-} $w"
		cpu[$n]="${cpu[$n]:-} $c"
		echo "run $r: $n device(s): ${w}s wall, ${c}s CPU" >&2
	done
done

echo "| devices | runs (s) | median (s) | CPU, median (s) | vs 1 device |"
echo "|---|---|---|---|---|"
for n in $counts; do
	m=$(echo "${wall[$n]}" | tr ' ' '\n' | grep . | median)
	mc=$(echo "${cpu[$n]}" | tr ' ' '\n' | grep . | median)
	[ "$n" = 1 ] && base=$m
	printf '| %s | %s | %.1f | %.1f | %.2fx |\n' "$n" "$(echo ${wall[$n]} | tr ' ' '/')" \
		"$m" "$mc" "$(echo "$m / $base" | bc -l)"
done
