#!/usr/bin/env bash
# Checks that a man page and its tool agree: every line the tool prints for
# --help, -h and each command's --help is in the rendered page. Run by the
# build's `man` test on the generated pages, and by tests/e2e/test_package.sh
# on the installed ones.
# Usage: scripts/check_man.sh PAGE TOOL [PAGE TOOL...]   (PAGE may be .gz)
# Exit 0 when they agree, 1 with the missing lines, 77 without man(1).
set -euo pipefail
command -v man >/dev/null || { echo "check_man: no man(1)"; exit 77; }
bad=0
while [ $# -ge 2 ]; do
	page=$1 tool=$2
	shift 2
	# ASCII rendering, wide enough that no preformatted line is cut.
	rendered=$(MANWIDTH=200 MANPAGER=cat man -E ascii -l "$page" 2>/dev/null |
		   sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//')
	[ -n "$rendered" ] || { echo "check_man: $page renders empty"; bad=1; continue; }
	helps=("--help" "-h")
	while read -r cmd; do
		helps+=("$cmd --help")
	done < <("$tool" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
	n=0
	for h in "${helps[@]}"; do
		# shellcheck disable=SC2086 # words
		text=$("$tool" $h) || { echo "check_man: '$tool $h' failed"; bad=1; continue; }
		while IFS= read -r line; do
			line=$(sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' <<<"$line")
			[ -z "$line" ] && continue
			n=$((n + 1))
			if ! grep -qxF -- "$line" <<<"$rendered"; then
				echo "check_man: $(basename "$page") lacks a line of '$(basename "$tool") $h': $line"
				bad=1
			fi
		done <<<"$text"
	done
	[ "$bad" = 0 ] && echo "check_man: $(basename "$page") has all $n lines of $(basename "$tool")'s help (${#helps[@]} texts)"
done
exit "$bad"
