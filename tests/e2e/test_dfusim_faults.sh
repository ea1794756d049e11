# What the front end does with the model's answers, seen by dfu-util:
# a stall (EPIPE), no answer (libusb's timeout, which needs DISCARDURB), a
# disconnect (ENODEV, the device gone from the bus), a power loss (gone,
# then back in the ROM), and a device held busy while another one works.
. "$(dirname "$0")/lib.sh"
need_dfusim
need dfu-util

make_random fw.bin 10K

# The device never answers the 2nd upload: libusb times out (dfu-util's
# 5 s), discards the URB and dfu-util fails; dfusim ends normally.
expect_exit 0 sim --fault timeout@upload:2 --log t.log -- sh -c '
	dfu-util -a 0 -s 0x08000000:8192 -U up.bin; echo "dfu-util exit $?"'
grep -q 'LIBUSB_ERROR_TIMEOUT' "$T/out" || fail "no timeout: $(tail -n 3 "$T/out")"
grep -q 'dfu-util exit 74' "$T/out" || fail "dfu-util did not fail: $(tail -n 3 "$T/out")"
grep -q 'UPLOAD block=3 .*TIMEOUT' t.log || fail "the model did not see the timed-out request"
ok "no answer: libusb times out and discards"

# A stalled GETSTATUS: dfu-util sees a pipe error and gives up.
expect_exit 0 sim --fault stall@getstatus:3 --flash st -- sh -c '
	dfu-util -a 0 -s 0x08000000 -D fw.bin; echo "dfu-util exit $?"'
grep -q 'dfu-util exit 74' "$T/out" || fail "dfu-util did not fail on a stall"
assert_fill st 0 ff
ok "stall: dfu-util fails, nothing written"

# Disconnect at the 5th DNLOAD: the URB fails with ENODEV, and the device is
# gone from sysfs and from libusb's list.
expect_exit 0 sim --fault disconnect@dnload:5 -- sh -c '
	dfu-util -a 0 -s 0x08000000 -D fw.bin; echo "dfu-util exit $?"
	for i in $(seq 1 50); do test -e /sys/bus/usb/devices/1-1 || break; sleep 0.1; done
	test -e /sys/bus/usb/devices/1-1 && echo "still in sysfs"
	echo "listed: $(dfu-util -l | grep -c "Found DFU")"'
grep -q 'LIBUSB_ERROR_NO_DEVICE' "$T/out" || fail "no ENODEV: $(tail -n 5 "$T/out")"
grep -q 'dfu-util exit 74' "$T/out" || fail "dfu-util did not fail on a disconnect"
grep -q 'still in sysfs' "$T/out" && fail "the device is still in sysfs after the disconnect"
grep -q 'listed: 0' "$T/out" || fail "dfu-util -l still lists the device"
ok "disconnect: ENODEV, device gone"

# Power loss in the 3rd write: the download fails, the chip comes back in
# the ROM and a second download, as a user would retry, is correct.
expect_exit 0 sim --fault powerloss@write:3 --flash st -- sh -c '
	dfu-util -a 0 -s 0x08000000 -D fw.bin; echo "first exit $?"
	# The old device may still be listed for a moment while the chip
	# resets: retry, as a user would, until the new one takes it.
	rc=1
	for i in $(seq 1 20); do
		dfu-util -a 0 -s 0x08000000 -D fw.bin && { rc=0; break; }
		rc=$?
		sleep 0.3
	done
	echo "second exit $rc"'
grep -q 'first exit 74' "$T/out" || fail "the download during the power loss did not fail"
grep -q 'second exit 0' "$T/out" || fail "the retry failed: $(tail -n 5 "$T/out")"
assert_prefix st fw.bin
ok "power loss: device back in the ROM, retry correct"

# A busy device does not hold up another: device 1 mass-erases (the F407
# ROM reports 100 ms and then holds the next GETSTATUS for the real erase,
# here at half the real time), and meanwhile device 2 is read and written.
# dfusim never sleeps in its ioctl handler, so device 2 is served while
# device 1's GETSTATUS waits.
make_random st 1M
expect_exit 0 sim --devices 2 --time-scale 0.5 --flash st --log busy.log -- sh -c '
	dfu-util -p 1-1 -a 0 -s :mass-erase:force >erase.out 2>&1 &
	e=$!
	for i in $(seq 1 100); do
		grep -q "^\[1\] GETSTATUS.*MASS_ERASE" busy.log && break
		sleep 0.05
	done
	dfu-util -p 1-2 -a 0 -s 0x08000000 -D fw.bin >/dev/null 2>&1 &&
		dfu-util -p 1-2 -a 0 -s 0x08000000:10240 -U two.bin >/dev/null 2>&1 &&
		echo "device 2 done"
	kill -0 $e 2>/dev/null && echo "device 1 still erasing"
	wait $e; echo "erase exit $?"'
grep -q 'device 2 done' "$T/out" || fail "device 2 was not served: $(cat "$T/out")"
grep -q 'device 1 still erasing' "$T/out" || fail "the mass erase of device 1 was not still running"
grep -q 'erase exit 0' "$T/out" || fail "the held mass erase failed: $(cat erase.out)"
assert_same two.bin fw.bin
assert_fill st 0 ff
ok "a held GETSTATUS on one device does not stop another"
