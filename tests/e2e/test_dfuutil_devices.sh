# Several simulated chips at once: dfu-util -l lists them all, -S SERIAL and
# -p PATH pick one, each keeps its own state file.
. "$(dirname "$0")/lib.sh"
need_dfusim
need dfu-util

expect_exit 0 sim --devices 3 --serial 3276386F3334 --flash st -- dfu-util -l
grep '^Found DFU' "$T/out" | grep 'alt=0' >alt0 || fail "nothing listed"
[ "$(wc -l <alt0)" = 3 ] || fail "$(wc -l <alt0) devices listed, not 3"
for s in 3276386F3334 3276386F3301 3276386F3302; do
	grep -q "serial=\"$s\"" alt0 || fail "serial $s not listed"
done
for p in 1-1 1-2 1-3; do
	grep -q "path=\"$p\"" alt0 || fail "path $p not listed"
done
grep -q 'devnum=4,' alt0 || fail "devnum 4 not listed"
ok "three devices listed, distinct serials and paths"

make_random two.bin 20000
make_random three.bin 30000
expect_exit 0 sim --devices 3 --serial 3276386F3334 --flash st --log req.log -- sh -c '
	dfu-util -S 3276386F3301 -a 0 -s 0x08000000 -D two.bin &&
	dfu-util -p 1-3 -a 0 -s 0x08000000 -D three.bin &&
	dfu-util -S 3276386F3301 -a 0 -s 0x08000000:20000 -U two.out'
# Seen once in CI under ctest -j2 load (not reproduced in 15 runs): st.2
# did not start with two.bin although every dfu-util run exited 0. Show
# which device saw what before judging, so a recurrence says why.
if ! cmp -s -n 20000 st.2 two.bin; then
	echo "DNLOAD blocks per device: $(grep -o '^\[[0-9]\] DNLOAD' req.log | sort | uniq -c | tr '\n' ' ')" >&2
	echo "first bytes: st.2 $(head -c 8 st.2 | od -An -tx1) two.bin $(head -c 8 two.bin | od -An -tx1)" >&2
	cmp -s two.out two.bin && echo "the upload from device 2 matched two.bin" >&2
	tail -n 5 "$T/out" >&2
fi
assert_prefix st.2 two.bin
assert_prefix st.3 three.bin
assert_fill st 0 ff
assert_same two.out two.bin
grep -q '^\[2\] DNLOAD block=2 ' req.log || fail "no DNLOAD logged for device 2"
grep -q '^\[3\] DNLOAD block=2 ' req.log || fail "no DNLOAD logged for device 3"
grep -q '^\[1\] DNLOAD' req.log && fail "device 1 saw a DNLOAD meant for another"
ok "-S and -p pick one device; state files st, st.2, st.3"

# Without a serial option the ROM's serial is the base for the others.
expect_exit 0 sim --devices 2 -- dfu-util -l
[ "$(grep 'alt=0' "$T/out" | sed 's/.*serial=//' | sort -u | wc -l)" = 2 ] ||
	fail "two devices without --serial do not have distinct serials"
ok "derived serials are distinct"
