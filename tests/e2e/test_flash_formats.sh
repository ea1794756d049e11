# dfuflash flash on every chip profile with .bin, .dfu, .hex, .srec and .elf:
# afterwards the state file holds the image where it wrote and the previous
# contents everywhere else (a pre-filled "tune" survives, and so do the bytes
# of partly written sectors); verify, read back, erase and leave work.
. "$(dirname "$0")/lib.sh"
need_dfusim
need dfuse-pack srec_cat python3

F=$DFUFLASH
make_random fw.bin 100K
size_fw=$(stat -c %s fw.bin)
dfuse-pack -b 0x08000000:fw.bin -D 0x0483:0xdf11 fw.dfu >/dev/null || fail "dfuse-pack"
srec_cat fw.bin -binary -offset 0x08000000 -o fw.hex -intel || fail "srec_cat hex"
srec_cat fw.bin -binary -offset 0x08000000 -o fw.srec -motorola -address-length=4 ||
	fail "srec_cat srec"
"$F" convert fw.bin fw.elf --address 0x08000000 >/dev/null || fail "convert to elf"

# expected PREVIOUS IMAGE OUT: PREVIOUS with IMAGE laid over its start.
expected() {
	python3 - "$1" "$2" "$3" <<'PY'
import sys
prev = bytearray(open(sys.argv[1], 'rb').read())
img = open(sys.argv[2], 'rb').read()
prev[:len(img)] = img
open(sys.argv[3], 'wb').write(prev)
PY
}

for chip in $(chips | grep "^stm32"); do
	rm -f st st.optbytes   # the simulator keeps option bytes next to the flash
	size=$(flash_size "$chip")
	[ "$size" -gt 0 ] || fail "$chip: no flash size"
	for ext in bin dfu hex srec elf; do
		make_random st "$size"
		cp st before
		expected before fw.bin want
		expect_exit 0 sim --chip "$chip" --time-scale 0 --flash st -- \
			"$F" flash "fw.$ext" --no-leave
		assert_same st want
		ok "$chip: flash fw.$ext keeps every byte it does not write"
	done

	# verify against the device, and a mismatch is exit 6.
	expect_exit 0 sim --chip "$chip" --time-scale 0 --flash st -- "$F" verify fw.hex
	make_random other.bin 4K
	expect_exit 6 sim --chip "$chip" --time-scale 0 --flash st -- "$F" verify other.bin
	grep -q "verify failed at 0x08000000" "$T/out" || fail "$chip: no mismatch address"
	ok "$chip: verify"

	# read back what was written, as bin and as hex (into new files: read
	# does not overwrite the previous chip's).
	rm -f back.bin all.bin
	expect_exit 0 sim --chip "$chip" --time-scale 0 --flash st -- \
		"$F" read back.bin --address 0x08000000 --length "$size_fw"
	assert_same back.bin fw.bin
	expect_exit 0 sim --chip "$chip" --time-scale 0 --flash st -- "$F" read all.bin --whole
	assert_same all.bin st
	ok "$chip: read"

	# erase sector 0 only: it becomes blank, the rest stays.
	cp st before
	expect_exit 0 sim --chip "$chip" --time-scale 0 --flash st -- "$F" erase --sector 0
	sec0=$(python3 -c "
import re,sys
m=re.search(r'/(\d+)\*(\d+)([KM ]?)', sys.argv[1])
n,s,u=m.groups(); print(int(s)*{'K':1024,'M':1<<20}.get(u,1))" \
		"$(sim --chip "$chip" -- dfu-util -l 2>/dev/null | grep 'alt=0' | head -n 1)")
	head -c "$sec0" st >s0
	assert_fill s0 0 ff
	cmp -i "$sec0" st before >/dev/null || fail "$chip: erase --sector 0 changed other sectors"
	ok "$chip: erase --sector 0"

	expect_exit 0 sim --chip "$chip" --time-scale 0 --flash st -- "$F" leave
	ok "$chip: leave"
done
