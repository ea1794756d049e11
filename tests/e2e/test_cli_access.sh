# The two "the device is there but dfuflash cannot have it" errors of issue 4,
# each with its positive control (the same setup without the obstacle
# flashes): exit 3 (tool.h: no device, or no access), a message that says
# what to do, the simulated flash unchanged and no DFU request sent.
. "$(dirname "$0")/lib.sh"
need_dfusim
need "${DFU_UTIL:-dfu-util}"

F=$DFUFLASH
size=$(flash_size stm32f407)
make_random st "$size"
cp st before
make_random fw.bin 20K

unchanged() {
	assert_same st before
}
says() {
	grep -q -- "$1" "$T/out" || { cat "$T/out" >&2; fail "the message lacks '$1'"; }
}
# Nothing but the string descriptors libusb and the scan read (device
# recipient): no DFU class request reached the chip.
no_dfu_requests() {
	local other
	other=$(grep -v '^GET_DESCRIPTOR ' "$1" || true)
	[ -z "$other" ] || fail "the device saw requests: $(echo "$other" | head -n 3)"
}

# --- Busy: another program holds the interface (dfusim --claimed makes
# USBDEVFS_CLAIMINTERFACE fail with EBUSY, as the kernel does when another
# usbfs handle claimed it). libusb_claim_interface() returns
# LIBUSB_ERROR_BUSY. For comparison, Debian's dfu-util 0.11 in the same
# situation prints "Cannot claim interface - LIBUSB_ERROR_BUSY" and exits
# 74 (EX_IOERR), without saying who holds the device.
expect_exit 3 sim --claimed --flash st --log busy.log -- "$F" flash fw.bin
says "0483:df11 at 1-1 is in use by another program"
says "close STM32CubeProgrammer, dfu-util or the like"
unchanged
no_dfu_requests busy.log
[ -s busy.log ] || fail "the device was never opened (busy.log empty)"
# dfu-util's own command line takes the same path.
expect_exit 3 sim --claimed --flash st -- "$F" -a 0 -s 0x08000000 -D fw.bin
says "in use by another program"
unchanged
# What libusb told dfu-util, to tie --claimed to LIBUSB_ERROR_BUSY.
expect_exit 74 sim --claimed --flash st -- "${DFU_UTIL:-dfu-util}" -a 0 -s 0x08000000 -D fw.bin
says "LIBUSB_ERROR_BUSY"
unchanged
ok "busy: exit 3, says another program holds it, flash unchanged"

# Positive control: the same run without --claimed flashes.
expect_exit 0 sim --flash st -- "$F" flash fw.bin --no-leave
assert_prefix st fw.bin
cp st before
ok "busy control: flashes without --claimed"

# --- No access: the node is there but the user cannot open it read-write.
# 0664 root:root is what /dev/bus/usb/BBB/DDD gets without a udev rule
# (systemd's 50-udev-default.rules). Root ignores modes, so dfuflash runs as
# nobody; --node-mode also opens the (otherwise 0700, root's) testbed to
# other users, without which libusb cannot even start under the preload.
if [ "$(id -u)" = 0 ]; then
	need setpriv
	as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	chmod 755 "$T"            # nobody reads fw.bin and runs in $T
	chmod 644 fw.bin
	# ... and keeps its recovery journals where it may write.
	mkdir -p "$DFUFLASH_STATE_DIR"
	chown nobody "$DFUFLASH_STATE_DIR"
else
	as_user=()
fi

expect_exit 3 sim --node-mode 0664 --flash st --log denied.log -- "${as_user[@]}" "$F" flash fw.bin
says "0483:df11 at 1-1: permission denied"
says "Install the udev rule (contrib/50-dfuflash.rules into /etc/udev/rules.d"
unchanged
[ ! -s denied.log ] || fail "the device saw requests: $(head -n 3 denied.log)"
expect_exit 3 sim --node-mode 0600 --flash st -- "${as_user[@]}" "$F" -a 0 -s 0x08000000 -D fw.bin
says "permission denied"
says "contrib/50-dfuflash.rules"
unchanged
# libusb's answer, as dfu-util reports it (it exits 74 too).
expect_exit 74 sim --node-mode 0664 --flash st -- "${as_user[@]}" "${DFU_UTIL:-dfu-util}" -a 0 -s 0x08000000 -D fw.bin
says "LIBUSB_ERROR_ACCESS"
unchanged
ok "no access: exit 3, names the permission problem and the udev rule"

# Positive control: the same user and testbed with the mode the udev rule
# gives the user (uaccess: read-write) flashes.
expect_exit 0 sim --node-mode 0666 --flash st -- "${as_user[@]}" "$F" flash fw.bin --no-leave
assert_prefix st fw.bin
ok "no-access control: the same user flashes a node it may open"

# dfusim refuses a bad mode before anything runs.
expect_exit 2 sim --node-mode 0664x -- true
says "--node-mode wants an octal mode"
expect_exit 2 sim --node-mode 1777 -- true
ok "--node-mode usage errors"
