# Each bad input: the right exit code, a clear message, and the simulated
# flash unchanged (tool.h: 2 usage, 3 no device, 4 file, 5 device,
# 6 verify, 7 protected, 8 refused).
. "$(dirname "$0")/lib.sh"
need_dfusim
need dfuse-pack

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

# No device at all (no simulator): exit 3 with the bootloader hint.
expect_exit 3 "$F" flash fw.bin
says "no DFU device found"
says "hold BOOT, then connect USB"
ok "no device"

# --wait with a timeout says what to do, then gives up.
expect_exit 3 "$F" flash fw.bin --wait=1
says "waiting for a DFU device"
ok "--wait=1 without a device"

# Usage mistakes: exit 2.
expect_exit 2 "$F" flash
expect_exit 2 "$F" flash fw.bin --bogus
expect_exit 2 "$F" read out.bin
expect_exit 2 "$F" erase
expect_exit 2 "$F" unprotect
says "WIPES THE WHOLE FLASH"
expect_exit 2 "$F" -d nonsense -a 0 -D fw.bin
ok "usage errors"

# Unreadable and malformed files: exit 4, device untouched.
expect_exit 4 sim --time-scale 0 --flash st -- "$F" flash missing.bin
printf ':10000000FFFFFFFF\n' >bad.hex
expect_exit 4 sim --time-scale 0 --flash st -- "$F" flash bad.hex
unchanged
ok "bad files"

# No such alternate setting: the message lists those that exist.
expect_exit 8 sim --time-scale 0 --flash st -- "$F" flash fw.bin --alt 9
says "no alternate setting \"9\""
says "0 \"@Internal Flash"
unchanged
ok "no such alt"

# Address outside the layout.
expect_exit 8 sim --time-scale 0 --flash st -- "$F" flash fw.bin --address 0x20000000
says "0x20000000, outside \"Internal Flash\""
unchanged
ok "address outside the layout"

# Image bigger than the flash.
make_random big.bin 1100K
expect_exit 8 sim --time-scale 0 --flash st -- "$F" flash big.bin
says "more than the $size bytes"
unchanged
ok "image bigger than the flash"

# A file made for another device: refused, then written with --force.
dfuse-pack -b 0x08000000:fw.bin -D 0x1209:0x0001 other.dfu >/dev/null || fail "dfuse-pack"
expect_exit 8 sim --time-scale 0 --flash st -- "$F" flash other.dfu
says "made for device 1209:0001, this one is 0483:df11"
unchanged
expect_exit 8 sim --time-scale 0 --flash st -- "$F" -d 0483:df11 -a 0 -D other.dfu
unchanged
expect_exit 0 sim --time-scale 0 --flash st -- "$F" flash other.dfu --force --no-leave
assert_prefix st fw.bin
cp st before
ok "file for another VID:PID"

# Found in dfuERROR (the F4 ROM's errFIRMWARE): cleared and reported.
expect_exit 0 sim --time-scale 0 --flash st -- "$F" flash fw.bin --no-leave
says "the device was in dfuERROR with status errFIRMWARE; cleared it"
ok "dfuERROR found and cleared"

# Read protection on: exit 7, says how to remove it and what that costs.
expect_exit 7 sim --time-scale 0 --flash st --option-bytes RDP=0xBB -- "$F" flash fw.bin
says "read protection is on"
says "dfuflash unprotect --force"
says "wipes the whole flash"
unchanged
rm st.optbytes   # the simulator keeps RDP there: back to level 0
ok "read protection"

# A write-protected sector in the way: exit 7 before anything is erased.
expect_exit 7 sim --time-scale 0 --flash st --option-bytes nWRP=0xFFD -- "$F" flash fw.bin
says "sector 1 (0x08004000) is write-protected"
says "nothing was erased"
unchanged
rm st.optbytes
ok "write protection"

# A device error during the write (errWRITE at sector 1): exit 5 with the
# status and the address.
make_random fw2.bin 40K
expect_exit 5 sim --time-scale 0 --flash st --fault "status=errWRITE@addr:0x08004000-0x08007fff" -- \
	"$F" flash fw2.bin --no-leave
says "errWRITE"
ok "device error"

# Two devices and no selector: exit 3 listing both; -S picks one.
expect_exit 3 sim --time-scale 0 --devices 2 -- "$F" flash fw.bin
says "2 DFU devices match"
says "path 1-1"
says "path 1-2"
expect_exit 0 sim --time-scale 0 --devices 2 -- "$F" list --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["devices"]; assert len(d)==2, d' \
	"$T/out" || fail "list --json does not show two devices"
serial=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["devices"][0]["serial"])' "$T/out")
expect_exit 0 sim --time-scale 0 --devices 2 -- "$F" flash fw.bin --no-leave -S "$serial"
expect_exit 0 sim --time-scale 0 --devices 2 -- "$F" flash fw.bin --no-leave -p 1-2
expect_exit 0 sim --time-scale 0 --devices 2 -- "$F" -d 0483:df11 -p 1-1 -a 0 -D fw.bin -s 0x08000000
ok "ambiguous devices; -S and -p choose one"

# --dry-run prints the plan and changes nothing.
make_random st "$size"
cp st before
expect_exit 0 sim --time-scale 0 --flash st -- "$F" flash fw.bin --dry-run
says "       1  0x08004000    16 KiB  merge"
says "       2  0x08008000    16 KiB  untouched"
says "dry run: nothing was changed"
unchanged
ok "--dry-run"
