#!/usr/bin/env bash
# Checks the shape of the code (lib/LAYERS.md), so that no change can quietly
# make a lower layer depend on a higher one:
#  1. includes: a file in lib/<layer>/ includes headers of its own layer or
#     lower ones (and the public include/); sim/ includes nothing of lib/
#     and of include/ only dfu_wire.h; src/ (the tool) only include/.
#  2. symbols (with a build dir): every function an object file of
#     lib/<layer>/ calls that the library defines is defined in its own
#     layer or a lower one (nm on the objects), so the public header cannot
#     be used to call upwards either.
#  3. calls curl's style guide bans: sprintf strcat strncpy strtok atoi
#     sscanf gets.
#  4. library messages that name the tool's commands or flags.
# Usage: scripts/check_layers.sh [BUILD_DIR]. Exit 1 with one line per breach.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-}
layers=(knowledge device protocol engine)
bad=0
breach() { echo "layers: $*"; bad=1; }

rank() {
	local i
	for i in "${!layers[@]}"; do
		[ "${layers[$i]}" = "$1" ] && { echo "$i"; return; }
	done
	echo -1
}

# The layer that defines header $1 (by file name), or "public", or "".
header_layer() {
	local h=$1 l
	[ -f "include/$h" ] && { echo public; return; }
	for l in "${layers[@]}"; do
		[ -f "lib/$l/$h" ] && { echo "$l"; return; }
	done
	echo ""
}

# 1. includes
for l in "${layers[@]}"; do
	r=$(rank "$l")
	for f in lib/"$l"/*.[ch]; do
		while IFS= read -r h; do
			hl=$(header_layer "$h")
			case "$hl" in
			public) ;;
			"") breach "$f includes \"$h\", which is no header of the library" ;;
			*) [ "$(rank "$hl")" -le "$r" ] ||
				breach "$f (layer $l) includes \"$h\" of the higher layer $hl" ;;
			esac
		done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
	done
done
for f in sim/*.[ch] sim/front/*.[ch]; do
	while IFS= read -r h; do
		[ "$h" = dfu_wire.h ] && continue
		[ -f "$(dirname "$f")/$h" ] || [ -f "sim/$h" ] ||
			breach "$f includes \"$h\": the simulator shares only dfu_wire.h with the library"
	done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done
for f in src/*.[ch]; do
	while IFS= read -r h; do
		[ -f "src/$h" ] || [ -f "include/$h" ] ||
			breach "$f includes \"$h\": the tool uses only the public header"
	done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done

# 2. symbols
if [ -n "$build" ]; then
	objdir="$build/CMakeFiles/dfuflash_lib.dir/lib"
	[ -d "$objdir" ] || { echo "layers: no objects in $objdir (build first)"; exit 1; }
	declare -A defined_in
	for l in "${layers[@]}"; do
		for o in "$objdir/$l"/*.o; do
			while read -r sym; do
				defined_in[$sym]=$l
			done < <(nm --defined-only -g "$o" | awk '$2 ~ /[TDBR]/ {print $3}')
		done
	done
	for l in "${layers[@]}"; do
		r=$(rank "$l")
		for o in "$objdir/$l"/*.o; do
			while read -r sym; do
				dl=${defined_in[$sym]:-}
				[ -z "$dl" ] && continue
				[ "$(rank "$dl")" -le "$r" ] ||
					breach "$(basename "$o" .o) (layer $l) calls $sym of the higher layer $dl"
			done < <(nm --undefined-only "$o" | awk '{print $2}')
		done
	done
fi

# 3. banned calls
while IFS= read -r hit; do
	breach "banned call: $hit"
done < <(grep -nE '(^|[^_a-z])(sprintf|strcat|strncpy|strtok|atoi|sscanf|gets)\(' \
	 lib/*/*.c src/*.c sim/*.c sim/front/*.c | grep -v 'snprintf\|vsnprintf' || true)

# 4. the library speaks its own vocabulary: no message names the tool's
#    commands or flags (the tool adds those hints, src/tool_hints.c).
while IFS= read -r hit; do
	breach "a library message names the tool: $hit"
done < <(grep -nE '"[^"]*(dfuflash [a-z]|[^-a-z]--[a-z]|^--[a-z])' lib/*/*.c |
	 grep -v "udevadm control --reload" || true)

if [ "$bad" = 0 ]; then
	echo "layers: ok (${layers[*]}: every dependency points down)"
fi
exit "$bad"
