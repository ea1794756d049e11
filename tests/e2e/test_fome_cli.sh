# dfuflash update / tune / reboot on the command line, around the journeys
# of test_fome_update_<chip>.sh, on the F407 (--port and busy ports:
# test_fome_port.sh): the command lines that are wrong (exit 2) and files
# that are missing (exit 4); a board without OpenBLT (auto takes the DFU route, --route openblt is refused);
# no ECU at all (the hand hint, exit 3), an ECU plugged in later, Ctrl-C
# while waiting (exit 130); the plain files of a bundle (fome_update.srec,
# fome.bin); an ECU that does not come back after a verified write (exit 9).
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
need_dfusim
need python3 timeout
. "$HERE/fome.sh"

fome_chip stm32f407
BOARD=f407-discovery
APP_OFF=$((APP_BASE - 0x08000000))
old=$(mkbundle old $BOARD --seed 1 --size 256)
new=$(mkbundle new $BOARD --seed 2 --size 192)
newsig=$(jget new.json signature)
tail -c +$((APP_OFF + 1)) new/files/fome.bin >new.app

# Usage and files: no ECU needed.
expect_exit 2 "$DFUFLASH" update
expect_exit 2 "$DFUFLASH" update "$new" --route sideways
expect_exit 2 "$DFUFLASH" reboot
expect_exit 2 "$DFUFLASH" reboot --to auto
expect_exit 2 "$DFUFLASH" tune
expect_exit 2 "$DFUFLASH" tune restore
expect_exit 2 "$DFUFLASH" tune frobnicate
expect_exit 0 "$DFUFLASH" update --help
grep -q -- '--route' "$T/out" || fail "update --help lacks --route"
expect_exit 4 "$DFUFLASH" update "$T/no-such-bundle.zip"
grep -q 'no-such-bundle.zip' "$T/out" || fail "the missing bundle is not named: $(cat "$T/out")"
printf 'PK\003\004 this is no zip' >broken.zip
expect_exit 4 "$DFUFLASH" update broken.zip
expect_exit 4 "$DFUFLASH" tune restore "$T/no-such-backup.hex"
ok "usage errors exit 2, missing and broken files 4"

# A board without OpenBLT: fome.bin is the application at 0x08000000.
plain=$(mkbundle plain uaefi --no-openblt --seed 1 --size 256)
plain2=$(mkbundle plain2 uaefi --no-openblt --seed 2 --size 192)
ecu_state st "$plain" 32
cp st before
tune_of st tune.ref
expect_run 8 jo update "$plain2" --route openblt --json
case $(jget jo message) in *OpenBLT*) ;; *) fail "--route openblt without OpenBLT: $(jget jo message)" ;; esac
assert_state st before "--route openblt on a board without OpenBLT"
expect_run 0 ja update "$plain2" --json
assert_json ja found_as running
assert_json ja route dfu
assert_json ja new_signature "$(jget plain2.json signature)"
overlay before plain2/files/fome.bin 0 want
assert_state st want "a board without OpenBLT"
assert_tune st tune.ref
ok "a board without OpenBLT: auto takes the DFU route; --route openblt refused (exit 8)"

# No ECU: the hand hint, then exit 3 when --wait runs out.
rm -f st st.optbytes
make_fill st "$FLASH_SIZE" ff
cp st before
expect_run 3 th update "$new" --wait 2
grep -q '^\[need-hand\] .*BOOT' th.err || fail "no hand hint naming BOOT: $(cat th.err)"
assert_state st before "no ECU"
ok "no ECU: the hand hint (BOOT), exit 3 after --wait"

# Plugged in (with BOOT0 held) 1.5 s after the command started.
ECU_ARGS=(--boot dfu --flash st --plug-in-after 1500)
expect_run 0 jl update "$new" --json
assert_json jl found_as dfu
assert_json jl new_signature "$newsig"
overlay before new/files/fome.bin 0 want
assert_state st want "plugged in later"
ECU_ARGS=(--boot flash --flash st)
ok "an ECU plugged in while dfuflash waits: found in the ROM, updated"

# Ctrl-C while waiting for an ECU: exit 130, nothing touched.
make_fill st "$FLASH_SIZE" ff
cp st before
expect_exit 0 ecu --boot flash --flash st -- sh -c \
	'timeout --preserve-status -s INT 2 "$DFUFLASH" update "$1" --wait 30 >ti 2>ti.err; echo "rc=$?"' sh "$new"
grep -qx 'rc=130' "$T/out" || fail "Ctrl-C while waiting: $(cat "$T/out") $(cat ti.err)"
assert_state st before "Ctrl-C"
ok "Ctrl-C while waiting: exit 130"

# The plain files of a bundle: no board to check, the CRC checked all the
# same; fome.bin with OpenBLT in it goes through OpenBLT from its app base.
for f in fome_update.srec fome.bin; do
	ecu_state st "$old" 33
	cp st before
	tune_of st tune.ref
	expect_run 0 jf update "$T/new/files/$f" --json
	assert_json jf found_as running
	assert_json jf route openblt
	assert_json jf new_signature "$newsig"
	overlay before new.app $APP_OFF want
	assert_state st want "update $f"
	assert_tune st tune.ref
done
ok "update fome_update.srec, update fome.bin: through OpenBLT, the application only"

# Written and verified, but the firmware does not come back: the second
# signature request (the new firmware's) finds the ECU gone. Exit 9.
ecu_state st "$old" 34
cp st before
tune_of st tune.ref
overlay before new.app $APP_OFF want
ECU_ARGS=(--boot flash --flash st --fault unplug@ts-signature:2)
expect_run 9 j9 update "$new" --json
assert_json j9 ok false
assert_json j9 exit 9
assert_state st want "not started"
assert_tune st tune.ref
ECU_ARGS=(--boot flash --flash st)
ok "written and verified, the firmware gone: exit 9, the flash right"
