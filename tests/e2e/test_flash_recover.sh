# A ROM that erases the wrong place when nobody expects it (dfusim's
# misdirect fault: a sector erase reports success but erases the sector
# before the one asked). dfuflash's blank check after each erase catches
# it, and dfuflash recovers without the user: it keeps everything outside
# the image, mass erases, writes image and kept data back and verifies all
# of it, and says what happened and why (issue 5, "Dual bank").
. "$(dirname "$0")/lib.sh"
need_dfusim
need python3

F=$DFUFLASH

# expected PREV IMG OFFSET OUT [LOST_OFF LOST_LEN]: PREV with IMG at OFFSET,
# and the span the ROM wrongly erased (if any) blank.
expected() {
	python3 - "$@" <<'PY'
import sys
prev = bytearray(open(sys.argv[1], 'rb').read())
img = open(sys.argv[2], 'rb').read()
off = int(sys.argv[3], 0)
if len(sys.argv) > 6:
    lo, n = int(sys.argv[5], 0), int(sys.argv[6], 0)
    prev[lo:lo + n] = b'\xff' * n
prev[off:off + len(img)] = img
open(sys.argv[4], 'wb').write(prev)
PY
}

# The flash command, its stderr apart in err.
flash() {
	local chip=$1 fault=$2
	shift 2
	expect_exit 0 sim --chip "$chip" --flash st --fault "$fault" --log req.log "$@" -- \
		sh -c '"$0" flash "$1" --no-leave ${2:+--address "$2"} 2>err' "$F" "$IMG" "${ADDR:-}"
}

# F407, image over sectors 0-2 (sector 2 partly): the 2nd erase (sector 1)
# erases sector 0 instead, which the image replaces anyway: nothing lost.
# Sector 3 (0x0800C000) is the tune sector, outside the image.
make_random st 1M
cp st prev
dd if=prev of=tune.before bs=16K skip=3 count=1 status=none
make_random fw.bin 40K
IMG=fw.bin ADDR= flash stm32f407 misdirect@erase:2
expected prev fw.bin 0 want
assert_same st want
dd if=st of=tune.after bs=16K skip=3 count=1 status=none
assert_same tune.after tune.before
grep -q "sector 1 at 0x08004000 still held data after the ROM erased it: the ROM erased another place. Reading the rest of the flash, saving it, and mass erasing instead" err ||
	fail "no warning on stderr: $(cat err)"
grep -q "lost" err && fail "a loss is claimed where there is none: $(cat err)"
grep -q "MASS_ERASE" req.log || fail "the device saw no mass erase"
ok "f407: a misdirected erase is caught and recovered by mass erase; tune sector kept"

# F407, image at sector 2 (0x08008000): the first erase (sector 2) erases
# sector 1 instead, outside the image: its bytes are gone. Everything else
# is kept, and the run FAILS (exit 5) naming the lost sector: a success it
# did not have is never reported.
cp prev st
make_random fw2.bin 20K
expect_exit 5 sim --chip stm32f407 --flash st --fault misdirect@erase:1 --log req.log -- \
	sh -c '"$0" flash "$1" --no-leave --address 0x08008000 2>err' "$F" fw2.bin
expected prev fw2.bin 0x8000 want 0x4000 0x4000
assert_same st want
grep -q "sector 2 at 0x08008000 still held data after the ROM erased it" err ||
	fail "no warning on stderr: $(cat err)"
grep -q "erased sector 1 (0x08004000-0x08007FFF) instead .* 16384 bytes there are lost" err ||
	fail "the loss is not named: $(cat err)"
grep -q "MASS_ERASE" req.log || fail "the device saw no mass erase"
ok "f407: a misdirected erase outside the image: the rest kept, the loss named"

# Dual-bank F767 (nDBANK=0, true map 16K x4, 64K, 128K x7 per bank): image
# over sectors 0-5, the 3rd erase (sector 2) erases sector 1 instead.
make_random st 2M
cp st prev
rm -f st.optbytes
make_random fw3.bin 200K
IMG=fw3.bin ADDR= flash stm32f767 misdirect@erase:3 --option-bytes nDBANK=0
expected prev fw3.bin 0 want
assert_same st want
grep -q "sector 2 at 0x08008000 still held data after the ROM erased it" err ||
	fail "no warning on stderr: $(cat err)"
grep -q "MASS_ERASE" req.log || fail "the device saw no mass erase"
ok "f767 dual bank: a misdirected erase is recovered, every other byte kept"
