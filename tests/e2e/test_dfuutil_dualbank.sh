# The seed's problem, reproduced with unmodified dfu-util: a dual-bank
# STM32F767 (nDBANK=0) whose ROM erases by the single-bank sector map. An
# image larger than the first sectors, written over flash that held other
# data without a mass erase, comes out wrong while dfu-util says success;
# after -s :mass-erase:force the same write is correct.
. "$(dirname "$0")/lib.sh"
need_dfusim
need dfu-util

chip=stm32f767
expect_exit 0 sim --chip $chip --flash blank -- true
size=$(stat -c %s blank)
[ "$size" = $((2 * 1024 * 1024)) ] || fail "$chip flash is $size bytes, not 2 MiB"
make_random fw.bin 600K

# Single bank (the factory setting) over old data: correct.
make_fill st "$size" 00
expect_exit 0 sim --chip $chip --flash st -- dfu-util -a 0 -s 0x08000000 -D fw.bin
assert_prefix st fw.bin
ok "single bank: write over old data is correct"

# Dual bank with the ROM's erase quirk: success reported, flash wrong.
make_fill st "$size" 00
rm -f st.optbytes
expect_exit 0 sim --chip $chip --option-bytes nDBANK=0 --flash st -- \
	dfu-util -a 0 -s 0x08000000 -D fw.bin
grep -q 'File downloaded successfully' "$T/out" || fail "dfu-util did not report success"
assert_differs st fw.bin "$(stat -c %s fw.bin)"
ok "dual bank: dfu-util exits 0 but flash differs from the image"

# The same again with random old data, to be sure it is not a 0x00 artefact.
make_random st "$size"
rm -f st.optbytes
expect_exit 0 sim --chip $chip --option-bytes nDBANK=0 --flash st -- \
	dfu-util -a 0 -s 0x08000000 -D fw.bin
assert_differs st fw.bin "$(stat -c %s fw.bin)"
ok "dual bank over random data: flash differs too"

# Mass erase first: correct, and the rest of flash blank.
expect_exit 0 sim --chip $chip --option-bytes nDBANK=0 --flash st -- sh -c '
	dfu-util -a 0 -s :mass-erase:force && dfu-util -a 0 -s 0x08000000 -D fw.bin'
assert_prefix st fw.bin
assert_fill st "$(stat -c %s fw.bin)" ff
ok "dual bank after mass erase: correct"

# The quirk is the cause: without it the dual-bank write is correct.
make_fill st "$size" 00
rm -f st.optbytes
expect_exit 0 sim --chip $chip --option-bytes nDBANK=0 --no-quirk f7-dualbank-erase \
	--flash st -- dfu-util -a 0 -s 0x08000000 -D fw.bin
assert_prefix st fw.bin
ok "dual bank without f7-dualbank-erase: correct"
