# dfu-util -D then -U reads back the same bytes, on every chip; the state
# file carries the flash from one run to the next.
. "$(dirname "$0")/lib.sh"
need_dfusim
need dfu-util

len=$((200 * 1024 + 123))    # several sectors on every part, odd length
make_random fw.bin "$len"
for chip in $(chips | grep '^stm32'); do
	rm -f st st.optbytes out.bin
	expect_exit 0 sim --chip "$chip" --flash st -- \
		dfu-util -a 0 -s 0x08000000 -D fw.bin
	assert_prefix st fw.bin
	# a second run reads what the first one left
	expect_exit 0 sim --chip "$chip" --flash st -- \
		dfu-util -a 0 -s "0x08000000:$len" -U out.bin
	assert_same out.bin fw.bin
	ok "$chip: -D then -U in another run"
done

# Read and write in one run, at an offset, with the chip's first sectors
# kept (dfu-util erases only what it writes).
make_random a.bin 16K
make_random b.bin 40000
rm -f st st.optbytes
expect_exit 0 sim --flash st -- sh -c '
	dfu-util -a 0 -s 0x08000000 -D a.bin &&
	dfu-util -a 0 -s 0x08020000 -D b.bin &&
	dfu-util -a 0 -s 0x08020000:40000 -U b.out &&
	dfu-util -a 0 -s 0x08000000:16384 -U a.out'
assert_same a.out a.bin
assert_same b.out b.bin
assert_prefix st a.bin
ok "two regions written and read in one run"

# Plain DFU 1.1 devices (the non-ST profiles, no DfuSe): dfu-util
# downloads in order from the start; an upload in a new run reads the whole
# memory back.
for chip in $(chips | grep -v '^stm32'); do
	make_random small.bin 5000
	rm -f st st.optbytes up.bin
	got=0
	sim --chip "$chip" --flash st -- dfu-util -a 0 -D small.bin >"$T/out" 2>&1 || got=$?
	grep -q '^Done!' "$T/out" || { cat "$T/out" >&2; fail "$chip: download not done"; }
	# Without manifestation tolerance dfu-util resets the device, which
	# re-enumerates; dfu-util 0.11 then exits 74 although the download
	# worked (dfuload_do_dnload() returns libusb_reset_device()'s
	# LIBUSB_ERROR_NOT_FOUND, as on Linux with a real device).
	if grep -q 'Resetting USB to switch back to runtime mode' "$T/out"; then
		[ "$got" = 74 ] || fail "$chip: exit $got after the reset, dfu-util 0.11 gives 74"
	else
		[ "$got" = 0 ] || fail "$chip: download exit $got"
	fi
	assert_prefix st small.bin
	expect_exit 0 sim --chip "$chip" --flash st -- dfu-util -a 0 -U up.bin
	[ "$(stat -c %s up.bin)" = "$(stat -c %s st)" ] || fail "$chip: upload is not the whole memory"
	assert_same up.bin st
	ok "$chip: plain DFU download, upload in a new run"
done
