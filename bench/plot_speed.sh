#!/bin/bash
# plot_speed.sh - the plot of bench/bench_speed.py's medians: one panel per
# scenario, per profile the computed limit and each tool's median time.
#
#   bash bench/plot_speed.sh DIR/speed_medians.csv docs/speed.svg [TITLE]
#   (an OUT ending in .png makes a PNG instead)
#
# Needs gnuplot (gnuplot-nox; scripts/setup.sh installs it).
set -euo pipefail

in=${1:?usage: plot_speed.sh speed_medians.csv out.svg [title]}
out=${2:?usage: plot_speed.sh speed_medians.csv out.svg [title]}
title=${3:-flash time per scenario at --time-scale 1: the computed limit and the tools (median)}
command -v gnuplot >/dev/null || { echo "plot_speed: gnuplot not installed" >&2; exit 1; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

# One whitespace-separated file per scenario: profile, limit, tools...
tr -d '\r' <"$in" >"$t/in.csv"
in=$t/in.csv
head -1 "$in" | tr ',' '\n' | tail -n +3 >"$t/cols"
ncols=$(wc -l <"$t/cols")
for s in full reflash small tune; do
	awk -F, -v s="$s" 'NR > 1 && $2 == s { $2 = ""; print }' OFS=' ' "$in" |
		awk '{ $1 = $1; print }' >"$t/$s.dat"
done

{
	case $out in
	*.png) echo "set terminal pngcairo size 1200,860 font 'sans,10'" ;;
	*) echo "set terminal svg size 1200,860 dynamic font 'sans,11' background '#ffffff'" ;;
	esac
	echo "set output '$out'"
	echo "set datafile missing 'NaN'"
	echo "set style data histogram"
	echo "set style histogram clustered gap 1"
	echo "set style fill solid 0.85 border -1"
	echo "set boxwidth 0.9"
	echo "set grid ytics"
	echo "set ylabel 'seconds'"
	echo "set yrange [0:*]"
	echo "set xtics rotate by -20 font 'sans,9'"
	echo "set key top center horizontal font 'sans,9'"
	echo "set offsets 0, 0, graph 0.08, 0"
	echo "set multiplot layout 2,2 title \"$title\""
	for s in full reflash small tune; do
		case $s in
		full) st="full flash onto other data" ;;
		reflash) st="re-flash of the identical image" ;;
		small) st="three 64-byte changes" ;;
		tune) st="tune only (two sectors)" ;;
		esac
		echo "set title '$st'"
		plot="plot"
		for ((i = 0; i < ncols; i++)); do
			name=$(sed -n "$((i + 1))p" "$t/cols")
			case $name in
			limit) color="#555555" ;;
			dfuflash) color="#1f77b4" ;;
			dfu-util) color="#d62728" ;;
			*) color="#8fc1ec" ;;
			esac
			[ "$plot" = plot ] || plot+=","
			plot+=" '$t/$s.dat' using $((i + 2)):xtic(1) title '$name' lc rgb '$color'"
		done
		echo "$plot"
	done
	echo "unset multiplot"
} >"$t/plot.gp"
gnuplot "$t/plot.gp"
echo "plot_speed: wrote $out"
