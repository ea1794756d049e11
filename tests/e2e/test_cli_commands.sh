# The device commands end to end: info, list, read into each format, erase
# (--mass, --range), leave, unprotect, the dfu-util upload, and --json.
. "$(dirname "$0")/lib.sh"
need_dfusim
need python3 srec_cat

F=$DFUFLASH
size=$(flash_size stm32f407)
run() {
	sim --time-scale 0 --flash st "$@"
}
says() {
	grep -q -- "$1" "$T/out" || { cat "$T/out" >&2; fail "the output lacks '$1'"; }
}

make_fill st "$size" ff
make_random fw.bin 20K
expect_exit 0 run -- "$F" flash fw.bin --json
python3 - "$T/out" <<'PY' || fail "flash --json is not the expected JSON"
import json, sys
line = [l for l in open(sys.argv[1]) if l.startswith('{')][0]
r = json.loads(line)
assert r["bytes_written"] == 20480 and r["verified"] and r["left"] and r["gone"], r
# A blank chip: smart flash programs without erasing anything.
assert r["sectors_erased"] == 0 and r["sectors_kept"] == 1, r
PY
make_fill st "$size" 00
expect_exit 0 run -- "$F" flash fw.bin --json --no-smart
python3 - "$T/out" <<'PY' || fail "flash --json --no-smart is not the expected JSON"
import json, sys
line = [l for l in open(sys.argv[1]) if l.startswith('{')][0]
r = json.loads(line)
assert r["sectors_erased"] == 2 and r["sectors_kept"] == 1 and r["verified"], r
PY
make_fill st "$size" ff
ok "flash --json"

# Not a terminal: one plain line per phase; -q: nothing at all.
expect_exit 0 run -- "$F" flash fw.bin --no-leave
for phase in read erase write verify; do
	says "dfuflash: $phase: "
done
grep -q $'\r' "$T/out" && fail "progress bars (carriage returns) on a non-terminal"
expect_exit 0 run -- "$F" flash fw.bin --no-leave -q
[ ! -s "$T/out" ] || { cat "$T/out" >&2; fail "-q printed something"; }
ok "progress lines, -q"

# A .bin is raw even when its first byte looks like Intel HEX or S-record.
for first in ':' 'S'; do
	{ printf '%s' "$first"; head -c 3000 /dev/urandom; } >odd.bin
	expect_exit 0 run -- "$F" flash odd.bin --no-leave
	assert_prefix st odd.bin
done
expect_exit 0 run -- "$F" flash fw.bin --no-leave
assert_prefix st fw.bin
ok ".bin files are raw whatever they start with"

# info: chip, ROM version, option bytes decoded, flash map from the device.
expect_exit 0 run -- "$F" info
says "chip       STM32F405/407/415/417"
says "version 2.2 (bcdDevice 0x2200)"
says "RDP level 0 (no protection)"
says "sectors  0-3   4 x     16 KiB at 0x08000000"
says "       1  0x08004000    16 KiB  used"
says "       2  0x08008000    16 KiB  blank"
ok "info"

expect_exit 0 run -- "$F" info --json
python3 - "$T/out" <<'PY' || fail "info --json is not the expected JSON"
import json, sys
line = [l for l in open(sys.argv[1]) if l.startswith('{')][0]
r = json.loads(line)
assert r["chip"] == "STM32F405/407/415/417" and r["flash_size"] == 1048576, r
assert r["rdp_level"] == 0 and len(r["option_bytes"]) == 32, r
assert len(r["alts"]) == 4 and len(r["alts"][0]["sectors"]) == 12, r
assert [m["blank"] for m in r["flash_map"]][:3] == [False, False, True], r["flash_map"]
PY
ok "info --json"

# read into .bin, .hex and .srec: the same bytes.
for ext in bin hex srec; do
	expect_exit 0 run -- "$F" read "back.$ext" --address 0x08000000 --length 20K
done
assert_same back.bin fw.bin
srec_cat back.hex -intel -offset -0x08000000 -o hex.bin -binary || fail "srec_cat hex"
assert_same hex.bin fw.bin
srec_cat back.srec -motorola -offset -0x08000000 -o srec.bin -binary || fail "srec_cat srec"
assert_same srec.bin fw.bin
ok "read into bin, hex, srec"

# dfu-util's upload, word for word.
expect_exit 0 run -- "$F" -d 0483:df11 -a 0 -s 0x08000000:20480 -U up.bin
assert_same up.bin fw.bin
ok "dfu-util -U"

# erase --range: exactly those bytes, no more (the rest of sector 1 is
# kept and written back).
cp st before
expect_exit 0 run -- "$F" erase --range 0x08004000:0x10
python3 - st before <<'PY' || fail "erase --range did not erase exactly the range"
import sys
d = open(sys.argv[1], 'rb').read()
b = open(sys.argv[2], 'rb').read()
assert d[0x4000:0x4010] == b'\xff' * 0x10
assert d[:0x4000] == b[:0x4000] and d[0x4010:] == b[0x4010:]
PY
ok "erase --range"

cp st before
expect_exit 8 run -- "$F" erase --sector 12
says "sector 12 does not exist"
says "its sectors are 0-11"
assert_same st before
expect_exit 0 run -- "$F" erase --mass
assert_fill st 0 ff
ok "erase --mass"

# leave with an address; the device leaves the bus.
expect_exit 0 run -- "$F" leave --address 0x08000000
says "the device is starting its firmware"
ok "leave --address"

# unprotect: RDP level 1 blocks reading; unprotect --force wipes and clears.
make_random st "$size"
expect_exit 7 run --option-bytes RDP=0xBB -- "$F" read x.bin --whole
says "read protection is on"
expect_exit 0 run -- "$F" unprotect --force
says "read protection removed"
[ "$(byte_at st.optbytes 1)" = aa ] || fail "RDP is $(byte_at st.optbytes 1) after unprotect"
assert_fill st 0 ff
ok "unprotect --force"

# The dfu-util way, then --wait finds the chip when it is back from its
# reset, in the same run.
make_random st "$size"
expect_exit 0 run --option-bytes RDP=0xBB -- sh -c "
	'$F' -d 0483:df11 -a 0 -s :unprotect:force || exit 1
	'$F' flash fw.bin --wait=10 --no-leave"
assert_prefix st fw.bin
python3 - st <<'PY' || fail "flash after unprotect: the rest is not blank"
import sys
d = open(sys.argv[1], 'rb').read()
assert d[0x8000:] == b'\xff' * (len(d) - 0x8000)
PY
ok "-s :unprotect:force, then flash --wait"

# After leave the application runs (no DFU interface): --wait gives up.
expect_exit 0 run -- sh -c "
	'$F' -d 0483:df11 -a 0 -e || exit 1
	'$F' flash fw.bin --wait=1; echo \"second exit \$?\""
says "left DFU mode"
says "waiting for a DFU device"
says "second exit 3"
ok "-e leaves; --wait=1 then finds no bootloader"
