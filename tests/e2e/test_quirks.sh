# ROM quirks (lib/quirks.c), each switched on in dfusim: dfuflash completes
# the job (exit 0, the state file right) and, where it shows, dfu-util 0.11
# fails or misbehaves on the same device.
. "$(dirname "$0")/lib.sh"
need_dfusim
need dfu-util timeout

make_random fw.bin 20K

# f405-masserase-timeout: the ROM says 100 ms and erases for 8 s, blocking
# GETSTATUS meanwhile. Real timing here (scale 1): a host that gives up
# after its usual 5 s transfer timeout fails. dfuflash waits, as the quirk
# table says, up to the F4 datasheet's maximum.
size=$(flash_size stm32f405)
make_random st "$size"
rm -f st.optbytes
expect_exit 0 sim --chip stm32f405 --time-scale 1 --flash st -- \
	"$DFUFLASH" -v -d 0483:df11 -a 0 -s :mass-erase:force
assert_fill st 0 ff
grep -q "f405-masserase-timeout" "$T/out" || fail "the wait does not name its quirk"
grep -q "mass erase: waiting up to 20 s" "$T/out" || fail "no word about the long wait"
ok "f405-masserase-timeout: mass erase completes (8 s behind a 100 ms answer)"

# dfu-util knows this one and waits a fixed 35 s whatever the device says.
make_random st "$size"
rm -f st.optbytes
expect_exit 0 sim --chip stm32f405 --time-scale 1 --flash st -- \
	timeout 120 dfu-util -a 0 -s 0x08000000:mass-erase:force
grep -q "Setting timeout to 35 seconds" "$T/out" || fail "dfu-util did not wait its fixed 35 s"
ok "f405-masserase-timeout: dfu-util ignores the device and sleeps 35 s"

# The same mass erase followed by a write, in one run, at scale 0.1.
make_random st "$size"
rm -f st.optbytes
expect_exit 0 sim --chip stm32f405 --time-scale 0.1 --flash st -- \
	"$DFUFLASH" -d 0483:df11 -a 0 -s 0x08000000:mass-erase:force -D fw.bin
assert_prefix st fw.bin
assert_fill st "$(stat -c %s fw.bin)" ff
ok "f405-masserase-timeout: mass erase + write"

# l4-stall-busy: GETSTATUS stalls while an erase or write runs. Real timing
# (scale 1), so that a host that waits only the reported poll timeout does
# meet the stall: the model's busy times exceed what the ROM reports.
size=$(flash_size stm32f407)
make_fill st "$size" 00
rm -f st.optbytes
expect_exit 0 sim --chip stm32f407 --time-scale 1 --quirk l4-stall-busy --log l4.log --flash st -- \
	"$DFUFLASH" -d 0483:df11 -a 0 -s 0x08000000 -D fw.bin
assert_prefix st fw.bin
grep -q "STALL (l4-stall-busy)" l4.log || fail "the model never stalled: the test proves nothing"
ok "l4-stall-busy: dfuflash writes correctly through stalled GETSTATUS"
make_fill st "$size" 00
rm -f st.optbytes
sim --chip stm32f407 --time-scale 1 --quirk l4-stall-busy --flash st -- \
	timeout 60 dfu-util -a 0 -s 0x08000000 -D fw.bin >dfu-util.out 2>&1 && rc=0 || rc=$?
[ "$rc" != 0 ] || fail "dfu-util survived GETSTATUS stalls (expected a failure)"
grep -q "Error during download get_status" dfu-util.out || fail "dfu-util failed otherwise"
ok "l4-stall-busy: dfu-util 0.11 fails (exit $rc: get_status error)"

# h7-stuck-busy: an erase in bank 2 leaves dfuDNBUSY until a CLRSTATUS pair.
size=$(flash_size stm32h743)
make_fill st "$size" 00
rm -f st.optbytes
expect_exit 0 sim --chip stm32h743 --time-scale 0.01 --quirk h7-stuck-busy --flash st -- \
	"$DFUFLASH" -v -d 0483:df11 -a 0 -s 0x08100000 -D fw.bin
grep -q "h7-stuck-busy" "$T/out" || fail "the cure does not name its quirk"
cmp -n "$(stat -c %s fw.bin)" -i 0:$((1024 * 1024)) fw.bin st >/dev/null ||
	fail "bank 2 does not hold the image"
ok "h7-stuck-busy: dfuflash writes bank 2 (CLRSTATUS pair)"
make_fill st "$size" 00
rm -f st.optbytes
sim --chip stm32h743 --time-scale 0.01 --quirk h7-stuck-busy --flash st -- \
	timeout 15 dfu-util -a 0 -s 0x08100000 -D fw.bin >dfu-util.out 2>&1 && rc=0 || rc=$?
[ "$rc" != 0 ] || fail "dfu-util completed on a stuck H7 (expected it to hang or fail)"
ok "h7-stuck-busy: dfu-util 0.11 does not complete (exit $rc; 124 = polled until killed)"

# leave-pipe-error: the GETSTATUS after leave stalls; the device runs the
# application anyway. That is success.
size=$(flash_size stm32f407)
make_fill st "$size" 00
rm -f st.optbytes
expect_exit 0 sim --chip stm32f407 --quirk leave-pipe-error --flash st -- \
	"$DFUFLASH" -v -d 0483:df11 -a 0 -s 0x08000000:leave -D fw.bin
assert_prefix st fw.bin
grep -q "left DFU mode" "$T/out" || fail "leave not reported"
ok "leave-pipe-error: dfuflash exits 0 after a stalled leave"

# first-status-errfirmware: the ROM starts in dfuERROR/errFIRMWARE; that is
# its habit: cleared, and the message says so.
make_fill st "$size" 00
rm -f st.optbytes
expect_exit 0 sim --chip stm32f407 --quirk first-status-errfirmware --flash st -- \
	"$DFUFLASH" -v -d 0483:df11 -a 0 -s 0x08000000 -D fw.bin
assert_prefix st fw.bin
grep -q "errFIRMWARE; cleared it (quirk first-status-errfirmware" "$T/out" ||
	fail "the clear does not name its quirk"
ok "first-status-errfirmware: cleared and noted"
