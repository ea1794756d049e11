# The running application's serial console: after leave FOME enumerates as
# CDC-ACM and, as cdc_acm would on Linux, dfusim gives it /dev/ttyACM<k-1>.
# FOME's framed "reboot_dfu" command written there sends the chip back into
# the ROM bootloader (REFERENCE.md: 00 0b 'E' "reboot_dfu" + CRC-32); other
# bytes do not. The whole FOME update cycle then works: leave, reboot to
# DFU over the console, flash again.
. "$(dirname "$0")/lib.sh"
need_dfusim
need dfu-util stty

make_random a.bin 12K
make_random b.bin 20K
cat >cycle.sh <<'SH'
set -u
frame='\000\013Ereboot_dfu\375\150\300\337'
product() { cat "/sys/bus/usb/devices/$1/idProduct" 2>/dev/null || echo none; }
wait_product() {   # PATH PID: wait up to 5 s for it
	for i in $(seq 1 50); do [ "$(product "$1")" = "$2" ] && return 0; sleep 0.1; done
	return 1
}
dfu-util -p 1-2 -a 0 -s 0x08000000:leave -D a.bin >/dev/null 2>&1 || echo "leave failed"
wait_product 1-2 5740 || echo "no application after leave"
# the tty comes after the USB device, as cdc_acm and udev make it
for i in $(seq 1 50); do [ -c /dev/ttyACM1 ] && break; sleep 0.1; done
[ -c /dev/ttyACM1 ] && echo "tty ttyACM1 present"
[ -e /dev/ttyACM0 ] && echo "unexpected ttyACM0"
[ -e /sys/class/tty/ttyACM1 ] && echo "sysfs tty present"
stty -F /dev/ttyACM1 raw -echo || echo "stty failed"
printf 'help\r\n\000\013Ereboot_dfx\000\000\000\000' >/dev/ttyACM1
sleep 0.3
echo "after other bytes: $(product 1-2)"
# the frame in two writes, as a host may send it
printf '\000\013Ereboot' >/dev/ttyACM1
printf '_dfu\375\150\300\337' >/dev/ttyACM1
wait_product 1-2 df11 && echo "bootloader back"
[ -e /dev/ttyACM1 ] && echo "tty still there"
echo "device 1: $(product 1-1)"
dfu-util -p 1-2 -a 0 -s 0x08000000 -D b.bin >/dev/null 2>&1 && echo "reflashed"
SH
expect_exit 0 sim --devices 2 --flash st -- bash cycle.sh
out=$(cat "$T/out")
for want in "tty ttyACM1 present" "sysfs tty present" "after other bytes: 5740" \
	    "bootloader back" "device 1: df11" "reflashed"; do
	grep -qx "$want" "$T/out" || fail "missing '$want' in: $out"
done
for bad in "leave failed" "no application after leave" "unexpected ttyACM0" \
	   "stty failed" "tty still there"; do
	grep -qx "$bad" "$T/out" && fail "$bad: $out"
done
assert_prefix st.2 b.bin
assert_fill st 0 ff
ok "leave, reboot_dfu over /dev/ttyACM1, flash again; device 1 untouched"
