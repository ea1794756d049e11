# fome.sh - helpers for the FOME journey tests (test_fome_*.sh): a FOME ECU
# simulated by dfusim from its flash, bundles from make_fome_bundle.py, and
# checks on the bytes of the state files. Source lib.sh first, then this:
#
#   HERE=$(cd "$(dirname "$0")" && pwd)
#   . "$HERE/lib.sh"; . "$HERE/fome.sh"
#
#   fome_chip CHIP          sets CHIP, SIMOPTS (the F767ZG in dual-bank
#                           mode, as FOME needs it), APP_BASE (OpenBLT's
#                           application base), TUNE_OFF/TUNE_LEN (the tune
#                           region as offsets in the state file), FLASH_SIZE
#   mkbundle NAME BOARD ARGS...
#                           make_fome_bundle.py bundle into NAME/ (the zip
#                           NAME/fome_bundle_BOARD.zip, the loose files in
#                           NAME/files/, the description in NAME.json);
#                           prints the zip's path
#   jget FILE KEY           a field of a JSON object file ("" when null)
#   ecu_state FILE ZIP SEED the flash of an ECU that runs ZIP's firmware
#                           (its fome.bin at 0x08000000) with a tune made
#                           from SEED
#   tune_of STATE OUT       the tune region of STATE into OUT (dd)
#   assert_tune STATE REF   fail unless STATE's tune region is REF
#   overlay BEFORE FILE OFF OUT
#                           OUT = BEFORE with FILE's bytes at offset OFF:
#                           what the flash must hold after FILE was written
#                           there, every other byte kept
#   ecu ARGS... -- CMD...   dfusim run for the chip (SIMOPTS first)
#   flashrun OUT ARGS...    runs dfuflash ARGS... inside the simulated ECU
#                           (ecu --boot flash --flash st unless ECU_ARGS
#                           says otherwise); stdout (with --json: the JSON)
#                           to OUT, stderr to OUT.err; returns its status
#   expect_run CODE OUT ARGS...
#                           flashrun, and fail unless it exits CODE
#   assert_json FILE KEY VALUE
#                           fail unless the JSON field is VALUE
#   newest_backup           the newest tune backup (dfuflash tune list)

# The interpreter itself, found once: a version manager's python3 shim
# (pyenv) costs seconds a call, and these tests call python3 hundreds of
# times.
FOME_PY=$(python3 -c 'import sys; print(sys.executable)')
python3() { "$FOME_PY" "$@"; }
GEN="python3 ${HERE:?set HERE before sourcing fome.sh}/make_fome_bundle.py"
[ -n "${DFUFLASH:-}" ] && [ -x "$DFUFLASH" ] || { echo "SKIP: DFUFLASH not built" >&2; exit 77; }
ECU_ARGS=(--boot flash --flash st)

fome_chip() {
	CHIP=$1
	SIMOPTS=(--chip "$CHIP")
	case $CHIP in
	stm32f767zg) SIMOPTS+=(--option-bytes nDBANK=0) ;;
	esac
	case $CHIP in
	stm32h7*) APP_BASE=$((0x08020000)) ;;
	*) APP_BASE=$((0x08008000)) ;;
	esac
	read -r TUNE_OFF TUNE_LEN <<<"$($GEN region --chip "$CHIP")"
	case $CHIP in
	stm32h743 | stm32f767 | stm32f429) FLASH_SIZE=$((2 * 1024 * 1024)) ;;
	*) FLASH_SIZE=$((1024 * 1024)) ;;
	esac
}

mkbundle() {
	local name=$1 board=$2
	shift 2
	$GEN bundle --board "$board" --chip "$CHIP" --out "$name" --files "$name/files" --json "$@" \
		>"$name.json"
	echo "$T/$name/fome_bundle_$board.zip"
}

jget() {
	python3 - "$1" "$2" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except ValueError as e:
    sys.exit("not one JSON object: %s" % e)
v = d.get(sys.argv[2])
print("" if v is None else (str(v).lower() if isinstance(v, bool) else v))
PY
}

ecu_state() {
	rm -f "$1" "$1.optbytes"
	$GEN preflash --chip "$CHIP" --state "$1" --bundle "$2"
	$GEN tune --chip "$CHIP" --state "$1" --seed "$3"
}

tune_of() {
	dd if="$1" of="$2" bs=4096 skip=$((TUNE_OFF / 4096)) count=$((TUNE_LEN / 4096)) status=none
}

assert_tune() {
	tune_of "$1" "$T/tune.now"
	cmp "$T/tune.now" "$2" >/dev/null ||
		fail "the tune changed: $(cmp "$T/tune.now" "$2" 2>&1 | head -n 1) (region at offset $TUNE_OFF)"
}

overlay() {
	python3 - "$@" <<'PY'
import sys
before, f, off, out = sys.argv[1], sys.argv[2], int(sys.argv[3], 0), sys.argv[4]
b = bytearray(open(before, 'rb').read())
d = open(f, 'rb').read()
b[off:off + len(d)] = d
open(out, 'wb').write(b)
PY
}

# Where two state files differ: ranges of 256-byte blocks, as addresses.
state_diff() {
	python3 - "$1" "$2" <<'PY'
import sys
a = open(sys.argv[1], 'rb').read()
b = open(sys.argv[2], 'rb').read()
if len(a) != len(b):
    print("sizes %d and %d" % (len(a), len(b)))
    sys.exit()
out, cur = [], None
for i in range(0, len(a), 256):
    if a[i:i + 256] != b[i:i + 256]:
        if cur and cur[1] == i:
            cur[1] = i + 256
        else:
            cur = [i, i + 256]
            out.append(cur)
print(' '.join('0x%08X-0x%08X' % (0x08000000 + s, 0x08000000 + e - 1) for s, e in out[:6]) or 'nowhere')
PY
}

# assert_state FILE WANT WHAT: the whole flash must be WANT.
assert_state() {
	cmp "$1" "$2" >/dev/null || fail "$3: the flash differs from what it must hold at $(state_diff "$1" "$2")"
}

ecu() {
	sim "${SIMOPTS[@]}" "$@"
}

flashrun() {
	local out=$1
	shift
	local rc=0
	ecu "${ECU_ARGS[@]}" -- "$DFUFLASH" "$@" >"$out" 2>"$out.err" || rc=$?
	return "$rc"
}

expect_run() {
	local want=$1 out=$2 got=0
	shift 2
	flashrun "$out" "$@" || got=$?
	if [ "$got" != "$want" ]; then
		echo "--- dfuflash $* (${ECU_ARGS[*]}): stdout" >&2
		tail -c 3000 "$out" >&2
		echo "--- stderr" >&2
		tail -n 30 "$out.err" >&2
		fail "exit $got, expected $want: dfuflash $*"
	fi
}

assert_json() {
	local got
	got=$(jget "$1" "$2")
	[ "$got" = "$3" ] || fail "$1: \"$2\" is \"$got\", expected \"$3\" in $(cat "$1")"
}

newest_backup() {
	"$DFUFLASH" tune list --json | python3 -c '
import json, sys
b = json.load(sys.stdin)["backups"]
print(b[0] if b else "")'
}

# The tune backup (Intel HEX) as raw bytes of the tune region.
backup_bytes() {
	python3 - "$1" "$2" $((0x08000000 + TUNE_OFF)) "$TUNE_LEN" <<'PY'
import sys
path, out, start, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
buf = bytearray(b'\xFF' * n)
seen = bytearray(n)
upper = 0
for line in open(path):
    line = line.strip()
    if not line.startswith(':'):
        continue
    raw = bytes.fromhex(line[1:])
    assert sum(raw) & 0xFF == 0, "bad checksum: " + line
    cnt, addr, typ = raw[0], int.from_bytes(raw[1:3], 'big'), raw[3]
    data = raw[4:4 + cnt]
    if typ == 4:
        upper = int.from_bytes(data, 'big') << 16
    elif typ == 2:
        upper = int.from_bytes(data, 'big') << 4
    elif typ == 0:
        a = upper + addr - start
        assert 0 <= a and a + cnt <= n, "data outside the tune at 0x%08X" % (upper + addr)
        buf[a:a + cnt] = data
        seen[a:a + cnt] = b'\1' * cnt
missing = seen.count(0)
assert missing == 0, "%d bytes of the tune region missing from the backup" % missing
open(out, 'wb').write(buf)
PY
}
