#!/usr/bin/env bash
# Reading and converting a 2 MiB image as Intel HEX and S-record:
# `dfuflash convert` against `srec_cat` doing the same conversions on the
# same files, side by side. Prints a Markdown table (MB/s of image data,
# best of N runs; peak RSS from /usr/bin/time -v) for docs/PERFORMANCE.md.
#   bench/bench_formats.sh [BUILD_DIR] [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
runs=${2:-5}
dfuflash=$build/dfuflash
[ -x "$dfuflash" ] || { echo "no $dfuflash: build first (cmake --build $build)" >&2; exit 1; }
for t in srec_cat /usr/bin/time; do
	command -v "$t" >/dev/null || { echo "$t missing: run scripts/setup.sh" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
size=$((2 * 1024 * 1024))
head -c $size /dev/urandom >img.bin
srec_cat img.bin -binary -offset 0x08000000 -o img.hex -intel
srec_cat img.bin -binary -offset 0x08000000 -o img.srec -motorola -address-length=4

# best_ms CMD...: the fastest of $runs runs, in milliseconds.
best_ms() {
	local best= i t0 t1 ms
	for ((i = 0; i < runs; i++)); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
		t1=$(date +%s%N)
		ms=$(((t1 - t0) / 1000000))
		if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
	done
	echo "$best"
}

# peak_kb CMD...: maximum resident set size of one run, in KiB.
peak_kb() {
	/usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ { print $2 }'
}

mbps() {  # bytes ms
	awk -v b="$1" -v ms="$2" 'BEGIN { if (ms < 1) ms = 1; printf "%.1f", b / 1e6 / (ms / 1000) }'
}

row() {  # label cmd...
	local label=$1
	shift
	local ms kb
	ms=$(best_ms "$@")
	kb=$(peak_kb "$@")
	printf '%s|%s|%s|%s\n' "$label" "$ms" "$(mbps $size "$ms")" "$kb"
}

echo "2 MiB image; HEX $(stat -c %s img.hex) bytes, S-record $(stat -c %s img.srec) bytes; best of $runs runs"
echo
echo "| conversion | tool | time (ms) | MB/s | peak RSS (KiB) | dfuflash vs srec_cat |"
echo "|---|---|---|---|---|---|"
for conv in hex-srec srec-hex info-hex info-srec; do
	case $conv in
	hex-srec)
		a=$(row "HEX -> S-record" "$dfuflash" convert img.hex out.srec)
		b=$(row "HEX -> S-record" srec_cat img.hex -intel -o out2.srec -motorola -address-length=4) ;;
	srec-hex)
		a=$(row "S-record -> HEX" "$dfuflash" convert img.srec out.hex)
		b=$(row "S-record -> HEX" srec_cat img.srec -motorola -o out2.hex -intel) ;;
	info-hex)
		a=$(row "HEX -> bin" "$dfuflash" convert img.hex out.bin)
		b=$(row "HEX -> bin" srec_cat img.hex -intel -offset -0x08000000 -o out2.bin -binary) ;;
	info-srec)
		a=$(row "S-record -> bin" "$dfuflash" convert img.srec out.bin)
		b=$(row "S-record -> bin" srec_cat img.srec -motorola -offset -0x08000000 -o out2.bin -binary) ;;
	esac
	IFS='|' read -r la ma sa ka <<<"$a"
	IFS='|' read -r lb mb sb kb <<<"$b"
	ratio=$(awk -v a="$ma" -v b="$mb" 'BEGIN { if (a < 1) a = 1; printf "%.1fx faster", b / a }')
	echo "| $la | dfuflash | $ma | $sa | $ka | $ratio |"
	echo "| $lb | srec_cat | $mb | $sb | $kb | |"
done
# The converted files hold the same data as srec_cat's.
"$dfuflash" convert out.srec check.bin >/dev/null
cmp -s check.bin img.bin && echo && echo "check: dfuflash's S-record converts back to the same 2 MiB"
