# Read protection (RDP level 1) blocks reads; -s :unprotect:force clears it,
# wiping the flash; the chip resets and is back on the bus for the next
# command.
. "$(dirname "$0")/lib.sh"
need_dfusim
need dfu-util

make_random fw.bin 64K
expect_exit 0 sim --flash st -- dfu-util -a 0 -s 0x08000000 -D fw.bin
assert_prefix st fw.bin

# Level 1: a read fails (errVENDOR), the flash is untouched.
expect_exit 74 sim --flash st --option-bytes RDP=0xBB -- \
	dfu-util -a 0 -s 0x08000000:1024 -U locked.bin
assert_prefix st fw.bin
[ "$(byte_at st.optbytes 1)" = bb ] || fail "RDP byte is $(byte_at st.optbytes 1), not bb"
ok "RDP level 1 blocks reads"

# Unprotect, then read in the same run once the chip is back.
expect_exit 0 sim --flash st -- sh -c '
	dfu-util -a 0 -s :unprotect:force; echo "unprotect exit $?"
	# The chip resets: the old device may still be listed for a moment,
	# so retry the read, as a user would, until the new one answers.
	for i in 1 2 3 4 5 6 7 8 9 10; do
		dfu-util -a 0 -s 0x08000000:1024 -U open.bin && break
		rm -f open.bin
		sleep 0.3
	done'
[ "$(byte_at st.optbytes 1)" = aa ] || fail "RDP byte is $(byte_at st.optbytes 1) after unprotect, not aa"
[ "$(stat -c %s open.bin)" = 1024 ] || fail "read after unprotect gave $(stat -c %s open.bin) bytes"
assert_fill open.bin 0 ff
assert_fill st 0 ff
ok "unprotect clears RDP and wipes flash; reads work after the reset"
