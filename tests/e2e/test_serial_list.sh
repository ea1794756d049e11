# dfu_serial_list() on dfusim's bus: after leave the chip runs its
# application, which enumerates as CDC-ACM and gets /dev/ttyACM<k-1>
# (see test_dfusim_console.sh); the list must show that tty with the USB
# device's ids, serial and strings as sysfs has them, and the interface
# number. Before leave (only the ROM's DFU device) it lists nothing. Then
# the library opens that tty as an ECU's port and sends reboot_dfu: the ROM
# comes back. The lister is the unit test program's --list-ports and
# --reboot-dfu modes.
. "$(dirname "$0")/lib.sh"
need_dfusim
need dfu-util
lister="$DFU_BUILD_DIR/tests/test_serial_protocols"
[ -x "$lister" ] || fail "no $lister (build the unit tests)"

make_random a.bin 12K
cat >list.sh <<SH
set -u
product() { cat "/sys/bus/usb/devices/\$1/idProduct" 2>/dev/null || echo none; }
echo "before: \$("$lister" --list-ports | grep -c . || true) ports"
dfu-util -p 1-2 -a 0 -s 0x08000000:leave -D a.bin >/dev/null 2>&1 || echo "leave failed"
for i in \$(seq 1 50); do [ "\$(product 1-2)" = 5740 ] && break; sleep 0.1; done
for i in \$(seq 1 50); do [ -c /dev/ttyACM1 ] && break; sleep 0.1; done
echo "sysfs serial=\$(cat /sys/bus/usb/devices/1-2/serial 2>/dev/null)"
echo "sysfs manufacturer=\$(cat /sys/bus/usb/devices/1-2/manufacturer 2>/dev/null)"
echo "sysfs product=\$(cat /sys/bus/usb/devices/1-2/product 2>/dev/null)"
"$lister" --list-ports | sed 's/^/port: /'
# the library's open (exclusive, raw, DTR/RTS) and reboot_dfu on that tty
"$lister" --reboot-dfu /dev/ttyACM1 || echo "reboot failed"
for i in \$(seq 1 50); do [ "\$(product 1-2)" = df11 ] && break; sleep 0.1; done
echo "after reboot: \$(product 1-2)"
SH
expect_exit 0 sim --devices 2 --flash st -- bash list.sh
out=$(cat "$T/out")
grep -qx "before: 0 ports" "$T/out" || fail "ports listed before leave: $out"
grep -qx "leave failed" "$T/out" && fail "leave failed: $out"
serial=$(sed -n 's/^sysfs serial=//p' "$T/out")
manufacturer=$(sed -n 's/^sysfs manufacturer=//p' "$T/out")
product=$(sed -n 's/^sysfs product=//p' "$T/out")
[ -n "$serial" ] || fail "the application has no serial in sysfs: $out"
want="port: /dev/ttyACM1 0483:5740 if=0 serial=$serial manufacturer=$manufacturer product=$product"
grep -qxF "$want" "$T/out" || fail "missing '$want' in: $out"
[ "$(grep -c '^port: ' "$T/out")" = 1 ] || fail "one port expected (device 1 stays in DFU): $out"
grep -qx "reboot failed" "$T/out" && fail "reboot_dfu over the library's port failed: $out"
grep -qx "after reboot: df11" "$T/out" || fail "the ROM did not come back after reboot_dfu: $out"
ok "dfu_serial_list shows the application's /dev/ttyACM1 with ids, serial, strings and interface; reboot_dfu through dfu_serial_open brings the ROM back"
