# lib.sh - helpers for the end-to-end tests (bash). Source it first:
#
#   . "$(dirname "$0")/lib.sh"
#
# ctest sets DFUSIM, DFUFLASH, DFU_TEST_DATA, DFU_SOURCE_DIR, DFU_BUILD_DIR.
# Sourcing turns on `set -euo pipefail`, makes a private temp dir $T (removed
# at exit; kept if E2E_KEEP=1), cd's into it, and points dfuflash's state
# directory (recovery journals) at $T/state.
#
#   need TOOL...            exit 77 (skip) unless every TOOL is on PATH; use
#                           only for tools that may truly be absent
#   need_dfusim             exit 77 unless $DFUSIM is set and executable
#   fail MSG...             print "FAIL: MSG" and exit 1
#   ok MSG...               print "ok: MSG" (progress in the ctest log)
#   make_random FILE SIZE   SIZE pseudo-random bytes (SIZE: 1024, 64K, 1M)
#   make_fill FILE SIZE HH  SIZE bytes of the byte 0xHH (make_fill f 2M 00)
#   expect_exit CODE CMD... run CMD, output to $T/out (shown on mismatch);
#                           fail unless it exits with CODE
#   sim ARGS...             "$DFUSIM" run ARGS... (e.g. sim --chip stm32f767
#                           --flash st -- dfu-util -l); returns its status
#   dfu ARGS...             dfu-util ARGS... (DFU_UTIL overrides the binary)
#   assert_same A B         fail unless files A and B are identical
#   assert_prefix FILE IMG  fail unless FILE starts with the bytes of IMG
#   assert_fill FILE OFF HH fail unless every byte of FILE from OFF is 0xHH
#   assert_differs A B LEN  fail if the first LEN bytes of A and B are equal
#   byte_at FILE OFF        the byte at OFF as two lower-case hex digits
#   chips                   the simulator's chip names, one per line
#   flash_size CHIP         the chip's flash size in bytes, from its first
#                           dfu-util -l alt 0 layout (runs the simulator)
#
# In the sanitizer build dfusim runs with ctest's ASAN_OPTIONS (leak checks
# on); Debian's dfu-util is not instrumented, so they do not touch it.

set -euo pipefail

T=$(mktemp -d "${TMPDIR:-/tmp}/dfu-e2e.XXXXXX")
_e2e_cleanup() {
	if [ "${E2E_KEEP:-0}" = 1 ]; then
		echo "kept $T" >&2
	else
		rm -rf "$T"
	fi
}
trap _e2e_cleanup EXIT
cd "$T"
# dfuflash's recovery journals: this test's own, fresh for every run.
export DFUFLASH_STATE_DIR="$T/state"

need() {
	local t
	for t in "$@"; do
		if ! command -v "$t" >/dev/null 2>&1; then
			echo "SKIP: $t not installed" >&2
			exit 77
		fi
	done
}

need_dfusim() {
	if [ -z "${DFUSIM:-}" ] || [ ! -x "$DFUSIM" ]; then
		echo "SKIP: DFUSIM not built" >&2
		exit 77
	fi
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

ok() {
	echo "ok: $*"
}

# Sizes like 1024, 64K, 1M.
_e2e_size() {
	local s=$1
	case $s in
	*K) echo $((${s%K} * 1024)) ;;
	*M) echo $((${s%M} * 1024 * 1024)) ;;
	*) echo "$s" ;;
	esac
}

make_random() {
	head -c "$(_e2e_size "$2")" /dev/urandom >"$1"
}

make_fill() {
	head -c "$(_e2e_size "$2")" /dev/zero | tr '\000' "\\$(printf '%03o' "0x$3")" >"$1"
}

expect_exit() {
	local want=$1 got=0
	shift
	"$@" >"$T/out" 2>&1 || got=$?
	if [ "$got" != "$want" ]; then
		echo "--- output of: $*" >&2
		tail -n 40 "$T/out" >&2
		fail "exit $got, expected $want: $*"
	fi
}

sim() {
	"$DFUSIM" run "$@"
}

dfu() {
	"${DFU_UTIL:-dfu-util}" "$@"
}

assert_same() {
	cmp "$1" "$2" >/dev/null || fail "$1 and $2 differ: $(cmp "$1" "$2" 2>&1 | head -n 1)"
}

assert_prefix() {
	local n
	n=$(stat -c %s "$2")
	cmp -n "$n" "$1" "$2" >/dev/null ||
		fail "$1 does not start with $2: $(cmp -n "$n" "$1" "$2" 2>&1 | head -n 1)"
}

assert_fill() {
	local file=$1 off=$2 hh=$3 size bad
	size=$(stat -c %s "$file")
	[ "$size" -gt "$off" ] || fail "$file has only $size bytes, nothing from $off"
	bad=$(tail -c +"$((off + 1))" "$file" | od -An -v -tx1 -w16 | tr -s ' ' '\n' |
	      grep -v -e '^$' -e "^$hh\$" | head -n 1 || true)
	[ -z "$bad" ] || fail "$file: byte $bad found from offset $off where all should be $hh"
}

assert_differs() {
	if cmp -n "$3" "$1" "$2" >/dev/null; then
		fail "the first $3 bytes of $1 and $2 are equal"
	fi
}

byte_at() {
	od -An -tx1 -j "$2" -N 1 "$1" | tr -d ' \n'
}

chips() {
	"$DFUSIM" chips
}

flash_size() {
	local layout
	layout=$(sim --chip "$1" -- dfu-util -l 2>/dev/null |
		 sed -n 's/.*alt=0, name="@[^/]*\/0x[0-9A-Fa-f]*\/\([^"]*\)".*/\1/p' | head -n 1)
	python3 - "$layout" <<'EOF'
import re, sys
total = 0
for n, size, unit in re.findall(r'(\d+)\*\s*(\d+)\s*([KM ]?)', sys.argv[1]):
    total += int(n) * int(size) * {'K': 1024, 'M': 1 << 20}.get(unit, 1)
print(total)
EOF
}
