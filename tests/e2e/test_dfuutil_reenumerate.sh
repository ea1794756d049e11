# Re-enumeration seen by real libusb: a process that is already running
# (hotplug callbacks of the system libusb, through python3 ctypes) sees the
# bootloader leave the bus and the application arrive after dfu-util's
# :leave, and the bootloader leave and come back after a read-unprotect
# reset; dfu-util -w then finds it. libusb learns all of this only from
# uevents.
. "$(dirname "$0")/lib.sh"
need_dfusim
need dfu-util python3

# watch.py OUT PATTERN...: records hotplug events of VID 0483 as lines
# "arrived|left VID:PID" in OUT (after a first line "ready") until the
# events, in order, contain every PATTERN, or 20 s have passed.
cat >watch.py <<'PY'
import ctypes, ctypes.util, sys, time
out, want = open(sys.argv[1], "w", buffering=1), sys.argv[2:]
usb = ctypes.CDLL(ctypes.util.find_library("usb-1.0"))
class Desc(ctypes.Structure):
    _fields_ = [(n, t) for n, t in (("bLength", ctypes.c_uint8), ("bDescriptorType", ctypes.c_uint8),
                ("bcdUSB", ctypes.c_uint16), ("bDeviceClass", ctypes.c_uint8),
                ("bDeviceSubClass", ctypes.c_uint8), ("bDeviceProtocol", ctypes.c_uint8),
                ("bMaxPacketSize0", ctypes.c_uint8), ("idVendor", ctypes.c_uint16),
                ("idProduct", ctypes.c_uint16), ("bcdDevice", ctypes.c_uint16),
                ("iManufacturer", ctypes.c_uint8), ("iProduct", ctypes.c_uint8),
                ("iSerialNumber", ctypes.c_uint8), ("bNumConfigurations", ctypes.c_uint8))]
CB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p)
seen = []
def cb(ctx, dev, event, user):
    d = Desc()
    usb.libusb_get_device_descriptor(ctypes.c_void_p(dev), ctypes.byref(d))
    line = "%s %04x:%04x" % ("arrived" if event == 1 else "left", d.idVendor, d.idProduct)
    seen.append(line)
    out.write(line + "\n")
    return 0
cb_c = CB(cb)
ctx = ctypes.c_void_p()
assert usb.libusb_init(ctypes.byref(ctx)) == 0
assert usb.libusb_has_capability(0x0001), "no hotplug"
handle = ctypes.c_int()
assert usb.libusb_hotplug_register_callback(ctx, 3, 0, 0x0483, -1, -1, cb_c, None,
                                            ctypes.byref(handle)) == 0
out.write("ready\n")
class Tv(ctypes.Structure):
    _fields_ = [("s", ctypes.c_long), ("us", ctypes.c_long)]
def done():
    i = 0
    for line in seen:
        if i < len(want) and line == want[i]:
            i += 1
    return i == len(want)
end = time.time() + 20
while not done() and time.time() < end:
    usb.libusb_handle_events_timeout_completed(ctx, ctypes.byref(Tv(0, 50000)), None)
out.write("done\n" if done() else "timeout\n")
usb.libusb_exit(ctx)
PY

# run_watched PATTERNS -- CMD...: inside the simulator, starts the watcher,
# waits until it listens, runs CMD, waits for the watcher.
cat >watched.sh <<'SH'
out=$1; shift
pats=()
while [ "$1" != -- ]; do pats+=("$1"); shift; done
shift
python3 watch.py "$out" "${pats[@]}" &
w=$!
for i in $(seq 1 100); do grep -q ready "$out" 2>/dev/null && break; sleep 0.05; done
"$@"
echo "command exit $?"
wait $w
SH

make_random fw.bin 10K
expect_exit 0 sim --flash st -- sh -c '
	echo "devnum before $(cat /sys/bus/usb/devices/1-1/devnum)"
	bash watched.sh ev1 "left 0483:df11" "arrived 0483:5740" -- \
		dfu-util -a 0 -s 0x08000000:leave -D fw.bin
	echo "devnum after $(cat /sys/bus/usb/devices/1-1/devnum)"
	ls /dev/bus/usb/001/'
grep -q '^command exit 0$' "$T/out" || fail "dfu-util :leave failed: $(tail -n 5 "$T/out")"
# As on Linux the device that enumerates again gets the next address, and
# the old node is gone.
grep -qx 'devnum before 2' "$T/out" || fail "the bootloader is not devnum 2"
grep -qx 'devnum after 3' "$T/out" || fail "the application is not devnum 3: $(grep devnum "$T/out")"
grep -qx '002' "$T/out" && fail "/dev/bus/usb/001/002 is still there"
grep -qx "done" ev1 || fail "libusb did not see leave and the application: $(tr '\n' ' ' <ev1)"
assert_prefix st fw.bin
ok "leave: libusb sees the bootloader go and the application come ($(grep -v -e ready -e 'done' ev1 | tr '\n' ' '))"

expect_exit 0 sim --flash st -- sh -c 'cat /sys/bus/usb/devices/1-1/idProduct'
grep -qx df11 "$T/out" || fail "a new run does not start in the bootloader: $(cat "$T/out")"
ok "a new run starts in the bootloader again"

# Read unprotect: the chip wipes its flash and resets back into the ROM.
expect_exit 0 sim --flash st --option-bytes RDP=0xBB -- \
	bash watched.sh ev2 "left 0483:df11" "arrived 0483:df11" -- dfu-util -a 0 -s :unprotect:force
grep -qx "done" ev2 || fail "libusb did not see the reset: $(tr '\n' ' ' <ev2)"
ok "unprotect: libusb sees the bootloader leave and come back"

# dfu-util -w after a reset: wait (watcher, at most 20 s) until the chip has
# left the bus, then let dfu-util wait for it and read the wiped flash. The
# chip is off the bus for only 100 ms x the time scale, so dfu-util may find
# it back already; the watcher runs above prove the uevents themselves.
expect_exit 0 sim --flash st --option-bytes RDP=0xBB --time-scale 0.1 -- sh -c '
	python3 watch.py ev3 "left 0483:df11" &
	w=$!
	for i in $(seq 1 100); do grep -q ready ev3 2>/dev/null && break; sleep 0.05; done
	dfu-util -a 0 -s :unprotect:force >/dev/null 2>&1
	wait $w
	dfu-util -w -a 0 -s 0x08000000:256 -U back.bin'
grep -qx "done" ev3 || fail "the chip did not leave the bus: $(tr '\n' ' ' <ev3)"
grep -q 'Waiting for device' "$T/out" || fail "dfu-util did not wait"
[ "$(stat -c %s back.bin)" = 256 ] || fail "no read after the device came back"
assert_fill back.bin 0 ff
ok "dfu-util -w reads the chip after its reset"
