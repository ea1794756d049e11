# The seed's two commands (FOME's docs), word for word with dfuflash in place
# of dfu-util, and what they leave in flash.
. "$(dirname "$0")/lib.sh"
need_dfusim
need dfuse-pack

make_random fw.bin 300K
dfuse-pack -b 0x08000000:fw.bin -D 0x0483:0xdf11 fome.dfu >/dev/null || fail "dfuse-pack"
size=$(flash_size stm32f407)

# A "tune" in the last sector, which a 300K image does not touch.
make_fill st "$size" ff
printf 'TUNE-1234' | dd of=st bs=1 seek=$((size - 131072)) conv=notrunc 2>/dev/null
cp st before
expect_exit 0 sim --time-scale 0 --flash st -- "$DFUFLASH" -v -d 0483:df11 -a 0 -D fome.dfu -s :leave
grep -q "verif" "$T/out" || fail "no word about verifying"
grep -q "left DFU mode" "$T/out" || fail "did not say it left DFU mode"
assert_prefix st fw.bin
cmp -i $((300 * 1024)) st before >/dev/null || fail "bytes after the image changed"
ok "dfuflash -v -d 0483:df11 -a 0 -D fome.dfu -s :leave (tune kept)"

expect_exit 0 sim --time-scale 0 --flash st -- "$DFUFLASH" -v -d 0483:df11 -a 0 -s :mass-erase:force
grep -qi "mass erase" "$T/out" || fail "no mass erase reported"
assert_fill st 0 ff
ok "dfuflash -v -d 0483:df11 -a 0 -s :mass-erase:force"

# Without :force it refuses, as dfu-util does, and nothing changes.
make_random st "$size"
cp st before
expect_exit 2 sim --time-scale 0 --flash st -- "$DFUFLASH" -v -d 0483:df11 -a 0 -s :mass-erase
grep -q ":force" "$T/out" || fail "no hint about :force"
assert_same st before
ok "mass erase without :force is refused"
