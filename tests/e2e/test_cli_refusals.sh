# What dfuflash refuses instead of doing something the user did not ask for:
# each refusal exits with its code and a message that says what to do, and
# leaves the simulated flash (and every file) byte for byte as it was.
. "$(dirname "$0")/lib.sh"
need_dfusim

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

# 1. read OUT and -U FILE never overwrite an existing file without --force;
# the refusal comes before the device is opened (no simulator needed).
make_random keep.bin 1K
cp keep.bin keep.orig
expect_exit 8 "$F" read keep.bin --address 0x08000000 --length 1K
says "keep.bin exists; refused to overwrite it"
says "add --force"
assert_same keep.bin keep.orig
expect_exit 8 "$F" -a 0 -U keep.bin
says "-U: keep.bin exists"
assert_same keep.bin keep.orig
expect_exit 8 sim --time-scale 0 --flash st -- "$F" read keep.bin --whole
assert_same keep.bin keep.orig
unchanged
expect_exit 0 sim --time-scale 0 --flash st -- "$F" read keep.bin --address 0x08000000 \
	--length 1K --force
head -c 1024 st >want.bin
assert_same keep.bin want.bin
cp keep.orig keep.bin
expect_exit 0 sim --time-scale 0 --flash st -- "$F" -a 0 -U keep.bin -Z 2048 --force
head -c 2048 st >want.bin
assert_same keep.bin want.bin
expect_exit 0 sim --time-scale 0 --flash st -- "$F" read new.bin --address 0x08000000 --length 1K
head -c 1024 st >want.bin
assert_same new.bin want.bin
unchanged
ok "existing output files are kept unless --force"

# 2. A file with its own addresses and an explicit address: refused (exit 8),
# naming the file's range and how to move it; nothing is touched.
"$F" convert fw.bin app.hex --address 0x08008000 >/dev/null || fail "convert to hex"
"$F" convert fw.bin app.dfu --address 0x08008000 >/dev/null || fail "convert to dfu"
expect_exit 8 sim --time-scale 0 --flash st -- "$F" flash app.hex --address 0x08010000
says "refused: app.hex (Intel HEX) holds its own addresses (0x08008000-0x0800CFFF)"
says "dfuflash convert app.hex moved.hex --address 0x08010000"
unchanged
expect_exit 8 sim --time-scale 0 --flash st -- "$F" verify app.dfu --address 0x08008000
says "refused: app.dfu (DfuSe)"
expect_exit 8 sim --time-scale 0 --flash st -- "$F" -d 0483:df11 -a 0 -s 0x08008000 -D app.dfu
says "-s 0x08008000 would be ignored (dfu-util refuses it too)"
says "as in -s :leave"
expect_exit 8 sim --time-scale 0 --flash st -- "$F" -a 0 -s 0x08000000:leave -D app.hex
unchanged
# The FOME docs' commands keep working.
expect_exit 0 sim --time-scale 0 --flash st -- "$F" -v -d 0483:df11 -a 0 -D app.dfu -s :leave
cmp -s <(tail -c +$((0x8000 + 1)) st | head -c 20480) fw.bin || fail "app.dfu not at 0x08008000"
expect_exit 0 sim --time-scale 0 --flash st -- "$F" -d 0483:df11 -a 0 -s 0x08000000:leave -D fw.bin
assert_prefix st fw.bin
cp st before
ok "explicit address with an addressed file"

# 3. convert drops nothing silently: addresses and entry points are kept or
# the conversion is refused (exit 8) with what to do.
python3 - <<'PY'
def rec(t, addr, data):
    b = [len(data), addr >> 8, addr & 255, t] + list(data)
    return ':' + ''.join('%02X' % x for x in b) + '%02X' % ((-sum(b)) & 255)
lines = [rec(4, 0, [0x08, 0x00]), rec(0, 0x8000, range(16)),
         rec(5, 0, [0x08, 0x00, 0x80, 0x01]), ':00000001FF']
open('entry.hex', 'w').write('\n'.join(lines) + '\n')
PY
expect_exit 0 "$F" convert app.hex kept.dfu
"$F" image info kept.dfu >"$T/out"
says "0x08008000"
expect_exit 8 "$F" convert app.hex plain.dfu --out-format dfu
says "holds data at 0x08008000-0x0800CFFF, and a plain DFU file holds no addresses"
says "--drop addresses"
[ ! -e plain.dfu ] || fail "plain.dfu was written"
expect_exit 8 "$F" convert app.hex app.bin
says "raw binary (.bin) file holds no addresses"
[ ! -e app.bin ] || fail "app.bin was written"
expect_exit 0 "$F" convert app.hex app.bin --drop addresses
assert_same app.bin fw.bin
expect_exit 8 "$F" convert entry.hex entry.dfu
says "entry.hex names an entry point (0x08008001)"
says "--drop entry"
[ ! -e entry.dfu ] || fail "entry.dfu was written"
expect_exit 0 "$F" convert entry.hex entry.srec
"$F" image info entry.srec >"$T/out"
says "entry:   0x08008001"
expect_exit 0 "$F" convert entry.hex entry.dfu --drop entry
ok "convert keeps or refuses"

# 4. unprotect at RDP level 0 changes nothing; at level 1 it wipes.
expect_exit 0 sim --time-scale 0 --flash st -- "$F" unprotect --force
says "read protection is already off (RDP level 0)"
unchanged
expect_exit 0 sim --time-scale 0 --flash st -- "$F" -d 0483:df11 -a 0 -s :unprotect:force
says "already off"
unchanged
expect_exit 0 sim --time-scale 0 --flash st --option-bytes RDP=0xBB -- "$F" unprotect --force
says "read protection removed"
assert_fill st 0 ff
rm -f st.optbytes
cp before st
expect_exit 0 sim --time-scale 0 --flash st --option-bytes RDP=0xBB -- \
	"$F" -a 0 -s :unprotect:force
says "read protection removed"
assert_fill st 0 ff
rm -f st.optbytes
cp before st
ok "unprotect only when protected"

# 5. A single-value option given twice is refused; --sector and --range
# may repeat and never silently lose one of them.
expect_exit 2 sim --time-scale 0 --flash st -- "$F" flash fw.bin --address 0x08000000 \
	--address 0x08004000
says "flash: --address given twice ('0x08000000', then '0x08004000')"
expect_exit 2 "$F" -a 0 -a 1 -D fw.bin
says "given twice"
expect_exit 2 sim --time-scale 0 --flash st -- "$F" read o.bin --length 1K --length 2K
unchanged
# Sectors 1 and 3: both erased, in one job, and nothing else.
got=0
sim --time-scale 0 --flash st -- "$F" erase --sector 1 --sector 3 >"$T/out" 2>&1 || got=$?
[ "$got" = 0 ] || fail "erase --sector 1 --sector 3 exited $got: $(cat "$T/out")"
python3 - st before <<'PY' || fail "erase --sector 1 --sector 3 did not erase exactly sectors 1 and 3"
import sys
d, b = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
k = 0x4000
assert d[k:2 * k] == b'\xff' * k and d[3 * k:4 * k] == b'\xff' * k
assert d[:k] == b[:k] and d[2 * k:3 * k] == b[2 * k:3 * k] and d[4 * k:] == b[4 * k:]
PY
says "erased sectors 1, 3 (32.0 KiB made blank); read back blank"
cp st before
ok "repeated options"

# 8. The tool's hint after a library error names our flag, once.
expect_exit 7 sim --time-scale 0 --flash st --option-bytes RDP=0xBB -- "$F" read p.bin --whole
says "unprotect --force"
[ "$(grep -o 'unprotect --force' "$T/out" | wc -l)" -le 1 ] || fail "the hint is there twice"
rm -f st.optbytes
expect_exit 8 sim --time-scale 0 --flash st -- "$F" flash fw.bin --alt 9
says "(--alt takes a number or a name, as dfuflash list shows)"
expect_exit 8 sim --time-scale 0 --flash st -- "$F" -a 9 -D fw.bin
says "(-a takes a number or a name, as dfuflash -l shows)"
unchanged
ok "hints"
