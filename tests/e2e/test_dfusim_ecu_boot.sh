# dfusim --boot flash and --plug-in-after, and faults on OpenBLT's XCP:
# a blank chip booted from flash shows nothing on the bus (BOOT0 held, the
# ROM); a board plugged in later appears then; power lost while OpenBLT
# programs leaves the chip in OpenBLT with the bytes written so far, and a
# second run completes; an unplug during an erase takes the port away for
# good; error@ answers FE 31.
. "$(dirname "$0")/lib.sh"
need_dfusim
need python3

# blank flash: from flash nothing enumerates, with BOOT0 held the ROM does
expect_exit 0 sim --boot flash -- sh -c 'ls /sys/bus/usb/devices/ 2>/dev/null | grep -c "^1-" || true'
[ "$(tail -n 1 "$T/out")" = 0 ] || fail "a blank chip booted from flash is on the bus: $(cat "$T/out")"
expect_exit 0 sim --boot dfu -- cat /sys/bus/usb/devices/1-1/idProduct
[ "$(tail -n 1 "$T/out")" = df11 ] || fail "--boot dfu: $(cat "$T/out")"
ok "blank chip: nothing from flash, the ROM with BOOT0 held"

# OpenBLT alone in flash (no application yet)
python3 -c '
open("st", "wb").write(b"\x00\x20\x00\x20OpenBLT" + bytes(0x8000 - 11))'
cp st st.orig

# (the shell looks at once: python3 under the preload takes seconds to start)
cat >plug.sh <<'SH'
t0=$(date +%s%N)
[ -e /sys/bus/usb/devices/1-1 ] && echo "on the bus at start"
for i in $(seq 1 500); do [ -e /sys/bus/usb/devices/1-1 ] && break; sleep 0.02; done
echo "plugged after $((($(date +%s%N) - t0) / 1000000)) ms"
echo "product: $(cat /sys/bus/usb/devices/1-1/idProduct)"
SH
expect_exit 0 sim --boot flash --flash st --plug-in-after 1000 -- sh plug.sh
grep -qx "on the bus at start" "$T/out" && fail "on the bus before --plug-in-after: $(cat "$T/out")"
grep -qx "product: 5740" "$T/out" || fail "not OpenBLT's CDC after plugging in: $(cat "$T/out")"
awk '/^plugged after/ { exit !($3 >= 500) }' "$T/out" || fail "plugged in too early: $(cat "$T/out")"
ok "--plug-in-after 1000: nothing, then OpenBLT's port"

cat >xcp.py <<'PY'
# xcp.py MODE: connects to OpenBLT on the first ttyACM, erases 32 KiB at
# 0x08008000 and programs 4 KiB of 0x5A; prints how far it got.
import glob, os, sys, termios, time
def port():
    end = time.time() + 10
    while time.time() < end:
        p = sorted(glob.glob("/dev/ttyACM*"))
        if p:
            return p[0]
        time.sleep(0.02)
    sys.exit("no port")
fd = os.open(port(), os.O_RDWR | os.O_NOCTTY)
a = termios.tcgetattr(fd)
a[0] = a[1] = a[3] = 0
a[2] = termios.CS8 | termios.CREAD | termios.CLOCAL
a[6][termios.VMIN] = 0
a[6][termios.VTIME] = 0
termios.tcsetattr(fd, termios.TCSANOW, a)
def xcp(pkt, secs=1.0):
    try:
        os.write(fd, bytes([len(pkt)]) + pkt)
    except OSError:
        return None
    buf, end = b"", time.time() + secs
    while time.time() < end:
        try:
            chunk = os.read(fd, 256)
        except OSError:
            return None
        buf += chunk
        if buf and len(buf) >= buf[0] + 1:
            return buf[1:buf[0] + 1]
        if not chunk:
            time.sleep(0.002)
    return None
le = lambda v: v.to_bytes(4, "little")
print("connect:", xcp(b"\xff\x00").hex(" "))
xcp(b"\xf6\x00\x00\x00" + le(0x08008000))
r = xcp(b"\xd1\x00\x00\x00" + le(0x8000))
print("clear:", r.hex(" ") if r else "no answer")
if r != b"\xff":
    sys.exit(0)
xcp(b"\xf6\x00\x00\x00" + le(0x08008000))
for i in range(0, 4096, 128):
    r = xcp(bytes([0xd0, 128]) + b"\x5a" * 128)
    if r != b"\xff":
        print("program %d: %s" % (i // 128 + 1, r.hex(" ") if r else "no answer"))
        break
else:
    print("programmed:", xcp(b"\xd0\x00").hex(" "))
PY
# power lost at the 10th PROGRAM: 9 whole writes and half of the 10th
expect_exit 0 sim --boot flash --flash st --fault power@xcp-program:10 --log p.log -- python3 xcp.py
grep -qx "program 10: no answer" "$T/out" || fail "power@xcp-program:10: $(cat "$T/out")"
python3 -c '
st = open("st", "rb").read()
assert st[0x8000:0x8000 + 9 * 128 + 64] == b"\x5a" * (9 * 128 + 64), "not the writes before the power loss"
assert st[0x8000 + 9 * 128 + 64] == 0xFF, "more than half of the 10th write"
assert st[4:11] == b"OpenBLT"' || fail "flash after the power loss"
grep -q "ENUMERATED openblt" p.log || fail "OpenBLT did not come back: $(tail -n 3 p.log)"
expect_exit 0 sim --boot flash --flash st -- python3 xcp.py
grep -qx "programmed: ff" "$T/out" || fail "the re-run: $(cat "$T/out")"
ok "power@xcp-program:10 keeps what was written, OpenBLT back, a re-run completes"

cp st.orig st
expect_exit 0 sim --boot flash --flash st --fault unplug@xcp-clear:1 -- python3 xcp.py
grep -qx "clear: no answer" "$T/out" || fail "unplug@xcp-clear:1: $(cat "$T/out")"
expect_exit 0 sim --boot flash --flash st --fault error@xcp-program:2 -- python3 xcp.py
grep -qx "program 2: fe 31" "$T/out" || fail "error@xcp-program:2: $(cat "$T/out")"
ok "unplug@xcp-clear, error@xcp-program"

# a tray of two ECUs: each its own UID, so each its own FOME serial
python3 -c '
open("t1", "wb").write(b"\x00\x20\x00\x20OpenBLT" + bytes(0x8000 - 11))' && cp t1 t1.2
expect_exit 0 sim --devices 2 --boot flash --flash t1 -- \
	sh -c 'cat /sys/bus/usb/devices/1-1/serial /sys/bus/usb/devices/1-2/serial'
s1=$(sed -n 1p "$T/out") s2=$(sed -n 2p "$T/out")
[ "${#s1}" = 24 ] && [ "${#s2}" = 24 ] && [ "$s1" != "$s2" ] || fail "tray serials '$s1' '$s2'"
ok "two ECUs, two FOME serials"
