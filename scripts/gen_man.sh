#!/bin/sh
# Makes a man page from its prose template and the tool's own --help, so
# that every option is described in one place: the C table that parses it
# and prints its help. Called by the build (cmake/install.cmake).
#
# Usage: scripts/gen_man.sh TOOL TEMPLATE VERSION OUT
#   writes OUT (roff) and OUT.gz (gzip -9n, as installed).
#
# The template is roff. Anywhere in it, @VERSION@ and @DATE@ are replaced
# (the date from SOURCE_DATE_EPOCH when set, for reproducible builds). A
# line that is exactly
#   @HELP ARGS...@   becomes what `TOOL ARGS...` prints, preformatted;
#   @COMMANDS@       becomes, for each command that `TOOL --help` lists
#                    under "commands:", a subsection with its summary and
#                    what `TOOL COMMAND --help` prints.
# A help command that fails fails the build.
set -eu
tool=$1 template=$2 version=$3 out=$4

if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
	date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
else
	date=$(date -u +%Y-%m-%d)
fi

# Plain text as roff: backslashes, minus signs (so that options can be
# copied from the page), and lines that would read as requests.
roff_escape() {
	sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"
}

# `TOOL ARGS...` preformatted, indented.
help_block() {
	text=$("$tool" "$@") || { echo "gen_man.sh: '$tool $*' failed" >&2; exit 1; }
	printf '.PP\n.RS 4\n.nf\n'
	printf '%s\n' "$text" | roff_escape
	printf '.fi\n.RE\n'
}

commands_block() {
	"$tool" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\)  *\(.*\)$/\1 \2/p' |
	while read -r name summary; do
		printf '.SS %s\n' "$name"
		printf '%s\n' "$summary" | roff_escape
		help_block "$name" --help
	done
}

mkdir -p "$(dirname "$out")"
while IFS= read -r line; do
	case "$line" in
	@COMMANDS@) commands_block ;;
	@HELP\ *@) args=${line#@HELP }; args=${args%@}
		   # shellcheck disable=SC2086 # ARGS are words
		   help_block $args ;;
	*) printf '%s\n' "$line" | sed -e "s/@VERSION@/$version/g" -e "s/@DATE@/$date/g" ;;
	esac
done <"$template" >"$out.tmp"
mv "$out.tmp" "$out"
gzip -9n -c "$out" >"$out.gz"
