# The whole FOME ECU in dfusim, booted from flash (--boot flash): OpenBLT at
# 0x08000000 and a FOME application at 0x08008000. Over the simulated
# /dev/ttyACM0, with nothing but python3's os and termios (as any serial
# host): the application answers 'S' (framed and plain) and 'L', reboots
# into OpenBLT on reboot_openblt; OpenBLT speaks XCP as openblt's xcp.c
# does (nothing before CONNECT, identity registers by UPLOAD, FE 31 below
# the application base, FE 22 for an UPLOAD too long), takes a new image,
# and PROGRAM_RESET starts it: 'S' then shows the new signature. A second
# round ('Z' 00 BC, then an image with a bad CRC) leaves the chip in
# OpenBLT, which answers PROGRAM_RESET with FF. The modem ioctls succeed.
. "$(dirname "$0")/lib.sh"
need_dfusim
need python3

cat >mkimg.py <<'PY'
# mkimg.py OUT SIGNATURE SIZE [bad]: a FOME image (CRC-32 at 0x1C, size at
# 0x20) with SIGNATURE inside; "bad" spoils its CRC.
import struct, sys, zlib
out, sig, size = sys.argv[1], sys.argv[2].encode() + b"\0", int(sys.argv[3])
img = bytearray((i * 7 + 3) & 0xFF for i in range(size))
img[0x100:0x100 + len(sig)] = sig
struct.pack_into("<I", img, 0x20, size)
crc = zlib.crc32(bytes(img[:0x1C]) + bytes(img[0x20:]))
if len(sys.argv) > 4:
    crc ^= 1
struct.pack_into("<I", img, 0x1C, crc)
open(out, "wb").write(img)
PY
python3 mkimg.py app1.bin "rusEFI (FOME) master.2026.01.02.testboard.11111111" 20000
python3 mkimg.py app2.bin "rusEFI (FOME) master.2026.02.03.testboard.22222222" 30000
python3 mkimg.py bad.bin "rusEFI (FOME) master.2026.03.04.testboard.33333333" 30000 bad
# the flash: OpenBLT's 32 KiB (its name inside), then application 1
python3 - <<'PY'
blt = bytearray(b"\x00\x20\x00\x20" + b"OpenBLT bootloader" + bytes(0x8000 - 22))
open("st", "wb").write(bytes(blt) + open("app1.bin", "rb").read())
PY

cat >journey.py <<'PY'
import fcntl, glob, os, struct, sys, termios, time, zlib

# The port's node: ttyACM0 first; a port that comes back after a reset
# may get another number (as on a real host).
def port():
    found = sorted(glob.glob("/dev/ttyACM*"))
    return found[0] if found else None

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

def wait_for(cond, what, secs=10):
    end = time.time() + secs
    while time.time() < end:
        if cond():
            return
        time.sleep(0.02)
    fail("timed out waiting for " + what)

def open_port():
    global TTY
    wait_for(lambda: port() is not None, "a ttyACM")
    TTY = port()
    fd = os.open(TTY, os.O_RDWR | os.O_NOCTTY)
    a = termios.tcgetattr(fd)
    a[0] = a[1] = a[3] = 0          # raw: no input, output, local processing
    a[2] = termios.CS8 | termios.CREAD | termios.CLOCAL
    a[6][termios.VMIN] = 0
    a[6][termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSANOW, a)
    # raise DTR and RTS as serial hosts do; a pty refuses, the shim answers
    fcntl.ioctl(fd, termios.TIOCMBIS, struct.pack("i", termios.TIOCM_DTR | termios.TIOCM_RTS))
    lines = struct.unpack("i", fcntl.ioctl(fd, termios.TIOCMGET, struct.pack("i", 0)))[0]
    if not lines & termios.TIOCM_DTR:
        fail("DTR not up after TIOCMBIS")
    return fd

def read_n(fd, n, secs=2.0):
    buf, end = b"", time.time() + secs
    while len(buf) < n and time.time() < end:
        try:
            chunk = os.read(fd, n - len(buf))
        except OSError:
            chunk = b""
        if chunk:
            buf += chunk
        else:
            time.sleep(0.002)
    return buf

def ts(fd, payload):
    os.write(fd, struct.pack(">H", len(payload)) + payload + struct.pack(">I", zlib.crc32(payload)))
    head = read_n(fd, 2)
    if len(head) != 2:
        fail("no TS answer to %r" % payload[:1])
    n = struct.unpack(">H", head)[0]
    body = read_n(fd, n + 4)
    if len(body) != n + 4 or struct.unpack(">I", body[n:])[0] != zlib.crc32(body[:n]):
        fail("bad TS frame %r" % body)
    return body[:n]

def xcp(fd, pkt, expect_answer=True, secs=2.0):
    os.write(fd, bytes([len(pkt)]) + pkt)
    n = read_n(fd, 1, secs if expect_answer else 0.3)
    if not n:
        if expect_answer:
            fail("no XCP answer to %02X" % pkt[0])
        return None
    return read_n(fd, n[0])

def le32(v):
    return struct.pack("<I", v)

def gone_and_back(what):
    wait_for(lambda: not os.path.exists(TTY), what + ": port leaves")
    wait_for(lambda: port() is not None, what + ": port comes back")

def signature(fd):
    r = ts(fd, b"S")
    if r[0] != 0 or not r.endswith(b"\0"):
        fail("S answered %r" % r)
    return r[1:-1].decode()

serial = open("/sys/bus/usb/devices/1-1/serial").read().strip()

# 1. the application
fd = open_port()
sig = signature(fd)
print("app signature: " + sig)
os.write(fd, b"S")                 # plain: signature and NUL, unframed
plain = read_n(fd, len(sig) + 1)
print("plain S: " + plain.rstrip(b"\0").decode())
r = ts(fd, b"L")
print("L: %d %d" % (r[0], r[1]))
os.write(fd, b"\x00\x0fEreboot_openblt" + struct.pack(">I", zlib.crc32(b"Ereboot_openblt")))
os.close(fd)
gone_and_back("reboot_openblt")

# 2. OpenBLT
fd = open_port()
if xcp(fd, bytes([0xFD]), expect_answer=False) is None:
    print("no answer before CONNECT")
r = xcp(fd, bytes([0xFF, 0x00]))
print("CONNECT: " + r.hex(" "))
print("GET_STATUS: " + xcp(fd, bytes([0xFD])).hex(" "))
print("PROGRAM_START: " + xcp(fd, bytes([0xD2])).hex(" "))
idcode = xcp(fd, bytes([0xF4, 4, 0, 0]) + le32(0xE0042000))
print("DEV_ID: 0x%03x" % (struct.unpack("<I", idcode[1:])[0] & 0xFFF))
kib = xcp(fd, bytes([0xF4, 2, 0, 0]) + le32(0x1FFF7A22))
print("flash KiB: %d" % struct.unpack("<H", kib[1:])[0])
uid = xcp(fd, bytes([0xF4, 12, 0, 0]) + le32(0x1FFF7A10))
print("UID: " + "".join("%08X" % w for w in struct.unpack("<3I", uid[1:])))
print("UPLOAD 240: " + xcp(fd, bytes([0xF5, 240])).hex(" "))
print("SET_MTA: " + xcp(fd, bytes([0xF6, 0, 0, 0]) + le32(0x08000000)).hex(" "))
print("CLEAR below base: " + xcp(fd, bytes([0xD1, 0, 0, 0]) + le32(0x4000)).hex(" "))
print("PROGRAM below base: " + xcp(fd, bytes([0xD0, 4, 1, 2, 3, 4])).hex(" "))

def flash_image(fd, img):
    xcp(fd, bytes([0xF6, 0, 0, 0]) + le32(0x08008000))
    r = xcp(fd, bytes([0xD1, 0, 0, 0]) + le32(len(img)))
    if r != b"\xff":
        fail("PROGRAM_CLEAR answered " + r.hex(" "))
    xcp(fd, bytes([0xF6, 0, 0, 0]) + le32(0x08008000))
    off = 0
    while len(img) - off >= 239:
        r = xcp(fd, bytes([0xC9]) + img[off:off + 239])
        if r != b"\xff":
            fail("PROGRAM_MAX at %d answered %s" % (off, r.hex(" ")))
        off += 239
    if off < len(img):
        r = xcp(fd, bytes([0xD0, len(img) - off]) + img[off:])
        if r != b"\xff":
            fail("PROGRAM answered " + r.hex(" "))
    if xcp(fd, bytes([0xD0, 0])) != b"\xff":
        fail("PROGRAM 0 failed")
    # read back the first 239 bytes
    xcp(fd, bytes([0xF6, 0, 0, 0]) + le32(0x08008000))
    if xcp(fd, bytes([0xF5, 239]))[1:] != img[:239]:
        fail("UPLOAD does not read back what was programmed")

flash_image(fd, open("app2.bin", "rb").read())
r = xcp(fd, bytes([0xCF]), expect_answer=False)
print("PROGRAM_RESET: " + ("no answer" if r is None else r.hex(" ")))
os.close(fd)
gone_and_back("PROGRAM_RESET")

# 3. the new application
fd = open_port()
print("new signature: " + signature(fd))
r = ts(fd, b"Z\x00\xbc\x00\x00")
print("Z BC: %s" % r.hex())
os.close(fd)
gone_and_back("Z 00 BC")

# 4. a bad image keeps the chip in OpenBLT
fd = open_port()
xcp(fd, bytes([0xFF, 0x00]))
flash_image(fd, open("bad.bin", "rb").read())
r = xcp(fd, bytes([0xCF]))
print("PROGRAM_RESET bad: " + r.hex(" "))
r = xcp(fd, bytes([0xFF, 0x00]))
print("still OpenBLT: " + r.hex(" "))
os.close(fd)
print("serial " + serial)
PY

expect_exit 0 sim --boot flash --flash st --stats stats.json -- python3 journey.py
out=$(cat "$T/out")
for want in \
	"app signature: rusEFI (FOME) master.2026.01.02.testboard.11111111" \
	"plain S: rusEFI (FOME) master.2026.01.02.testboard.11111111" \
	"L: 0 1" \
	"no answer before CONNECT" \
	"CONNECT: ff 10 00 f0 f0 00 01 01" \
	"GET_STATUS: ff 00 00 00 00 00" \
	"PROGRAM_START: ff 00 00 f0 00 00 00" \
	"DEV_ID: 0x413" \
	"flash KiB: 1024" \
	"UPLOAD 240: fe 22" \
	"SET_MTA: ff" \
	"CLEAR below base: fe 31" \
	"PROGRAM below base: fe 31" \
	"PROGRAM_RESET: no answer" \
	"new signature: rusEFI (FOME) master.2026.02.03.testboard.22222222" \
	"Z BC: 00" \
	"PROGRAM_RESET bad: ff" \
	"still OpenBLT: ff 10 00 f0 f0 00 01 01"; do
	grep -qxF "$want" "$T/out" || fail "missing '$want' in: $out"
done
grep -q '^FAIL' "$T/out" && fail "$out"
uid=$(sed -n 's/^UID: //p' "$T/out")
serial=$(sed -n 's/^serial //p' "$T/out")
[ "${#uid}" = 24 ] && [ "$uid" = "$serial" ] || fail "UID '$uid' is not the USB serial '$serial'"
ok "app S/L, reboot_openblt, XCP identity/clear/program/reset, new signature, bad CRC stays in OpenBLT"

# the flash keeps OpenBLT and holds the bad image after the application base
python3 - <<'PY' || fail "flash contents after the journey"
st = open("st", "rb").read()
assert st[4:11] == b"OpenBLT", "OpenBLT overwritten"
assert st[0x8000:0x8000 + 30000] == open("bad.bin", "rb").read(), "bad image not in flash"
PY
python3 - <<'PY' || fail "stats do not count the XCP requests"
import json
r = json.load(open("stats.json"))["requests"]
assert r["xcp-connect"] >= 3 and r["xcp-reset"] == 2 and r["ts-signature"] >= 3, r
assert r["xcp-program"] > 200 and r["ts-reboot"] == 2, r
PY
ok "flash and stats after the journey"
