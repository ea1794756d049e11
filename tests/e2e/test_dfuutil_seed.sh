# The commands from the seed (FOME's docs), as written, with Debian's
# dfu-util 0.11: a .dfu made by dfuse-pack flashed with :leave, and a mass
# erase.
. "$(dirname "$0")/lib.sh"
need_dfusim
need dfu-util dfuse-pack python3

make_random fw.bin 300K
dfuse-pack -b 0x08000000:fw.bin -D 0x0483:0xdf11 fome.dfu >/dev/null ||
	fail "dfuse-pack failed"

expect_exit 0 sim --flash st -- dfu-util -v -d 0483:df11 -a 0 -D fome.dfu -s :leave
grep -q 'Done parsing DfuSe file' "$T/out" || fail "dfu-util did not finish the .dfu file"
grep -q 'Submitting leave request' "$T/out" || fail "dfu-util did not leave"
assert_prefix st fw.bin
assert_fill st "$(stat -c %s fw.bin)" ff
ok "dfu-util -v -d 0483:df11 -a 0 -D fome.dfu -s :leave"

# Mass erase over a chip full of data leaves every byte 0xFF.
size=$(stat -c %s st)
make_random st "$size"
expect_exit 0 sim --flash st -- dfu-util -v -d 0483:df11 -a 0 -s :mass-erase:force
grep -qi 'mass erase' "$T/out" || fail "dfu-util did not mass erase"
[ "$(stat -c %s st)" = "$size" ] || fail "state file changed size"
assert_fill st 0 ff
ok "dfu-util -v -d 0483:df11 -a 0 -s :mass-erase:force"
