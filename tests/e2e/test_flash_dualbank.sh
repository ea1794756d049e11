# The seed's F7 problem, with dfuflash: a dual-bank STM32F767 (nDBANK=0)
# whose ROM erases by the single-bank map. dfuflash reads nDBANK, uses the
# true map, and the flash ends up exact, with every byte outside the image
# kept -- no mass erase needed (dfu-util fails here: test_dfuutil_dualbank).
. "$(dirname "$0")/lib.sh"
need_dfusim
need python3

F=$DFUFLASH
chip=stm32f767
make_random fw.bin 600K
size=$((2 * 1024 * 1024))

expected() {
	python3 - "$1" "$2" "$3" "$4" <<'PY'
import sys
prev = bytearray(open(sys.argv[1], 'rb').read())
img = open(sys.argv[2], 'rb').read()
off = int(sys.argv[3], 0)
prev[off:off + len(img)] = img
open(sys.argv[4], 'wb').write(prev)
PY
}

make_random st "$size"
rm -f st.optbytes
expected st fw.bin 0 want
expect_exit 0 sim --chip $chip --option-bytes nDBANK=0 --flash st -- "$F" flash fw.bin --no-leave
assert_same st want
ok "dual bank: 600K over random data is exact and the rest is kept"

# An image in bank 2, which the ROM cannot erase sector by sector: the whole
# flash is kept through a mass erase.
make_random fw2.bin 8K
expected st fw2.bin 0x100000 want
expect_exit 0 sim --chip $chip --option-bytes nDBANK=0 --flash st -- \
	"$F" flash fw2.bin --address 0x08100000 --no-leave
grep -q "mass erased, and written back" "$T/out" || fail "no word about the mass erase"
assert_same st want
ok "dual bank: bank 2 written, everything else kept"

# The dry run shows the true (dual-bank) map: sector 12 at 0x08100000.
expect_exit 0 sim --chip $chip --option-bytes nDBANK=0 --flash st -- \
	"$F" flash fw2.bin --address 0x08100000 --dry-run
grep -q "      12  0x08100000    16 KiB  merge" "$T/out" || fail "dry run lacks the true map"
grep -q "MASS ERASE first" "$T/out" || fail "dry run does not say it mass erases"
expect_exit 0 sim --chip $chip --option-bytes nDBANK=0 --flash st -- \
	"$F" flash fw.bin --dry-run
grep -q "       8  0x08080000   128 KiB  merge" "$T/out" || fail "dry run: sector 8"
grep -q "       9  0x080A0000   128 KiB  untouched" "$T/out" || fail "dry run: sector 9"
grep -q "      23  0x081E0000   128 KiB  untouched" "$T/out" || fail "dry run: sector 23"
assert_same st want
ok "dual bank dry runs show the true map"
