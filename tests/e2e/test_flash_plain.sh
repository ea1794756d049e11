# A plain DFU 1.1 device (no DfuSe: no addresses): a suffixed .dfu file and a
# raw .bin are downloaded block by block and verified by upload; read works;
# a file suffixed for another device is refused unless --force.
. "$(dirname "$0")/lib.sh"
need_dfusim
need dfu-suffix

F=$DFUFLASH
make_random fw.bin 40K
cp fw.bin fw.dfu
dfu-suffix -v 1209 -p 0001 -a fw.dfu >/dev/null || fail "dfu-suffix"

expect_exit 0 sim --chip generic-dfu11 --time-scale 0 --flash st -- "$F" flash fw.dfu --format dfu
grep -q "cannot be read back before it resets" "$T/out" ||
	fail "no word that a non-manifestation-tolerant device cannot be verified"
grep -q "the device is starting its firmware" "$T/out" || fail "the device did not leave"
assert_prefix st fw.bin
expect_exit 0 sim --chip generic-dfu11 --time-scale 0 --flash st -- "$F" verify fw.dfu --format dfu
make_random other.bin 40K
expect_exit 6 sim --chip generic-dfu11 --time-scale 0 --flash st -- "$F" verify other.bin
ok "plain DFU: flash a suffixed file, reset, verify in the next run"

make_random fw2.bin 10K
expect_exit 0 sim --chip generic-dfu11 --time-scale 0 --flash st -- "$F" flash fw2.bin --no-leave
assert_prefix st fw2.bin
ok "plain DFU: flash a raw .bin"

expect_exit 0 sim --chip generic-dfu11 --time-scale 0 --flash st -- \
	"$F" read back.bin --length 10K
assert_same back.bin fw2.bin
ok "plain DFU: read"

cp fw.bin other.dfu
dfu-suffix -v 0483 -p df11 -a other.dfu >/dev/null || fail "dfu-suffix"
cp st before
expect_exit 8 sim --chip generic-dfu11 --time-scale 0 --flash st -- "$F" flash other.dfu --format dfu
grep -q "made for device 0483:df11" "$T/out" || fail "no word about the ids"
assert_same st before
ok "plain DFU: a file for 0483:df11 is refused on 1209:0001"
