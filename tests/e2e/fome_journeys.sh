# fome_journeys.sh CHIP BOARD - issue 9's journeys on one chip, both routes:
# run by test_fome_update_<chip>.sh. Every ECU is a dfusim chip whose state
# file holds an older FOME release (OpenBLT + application) and a tune of
# pseudo-random bytes over the chip's whole tune region; after every run the
# whole flash is compared with what it must hold: the old flash with the
# new image's bytes where the route writes them (OpenBLT: the application
# from its base; DFU: all of fome.bin from 0x08000000), every other byte
# kept - the tune, OpenBLT on the OpenBLT route, and the old bytes of the
# sectors the new image only partly covers.
#
#   1 running ECU, auto route: OpenBLT (signatures, --json fields, the
#     backup's bytes); the same again changes nothing
#   2 running ECU, --route dfu
#   3 already in OpenBLT (its application's CRC is bad), text output
#   4 already in the ROM DFU bootloader (--boot dfu); --route openblt there
#     is refused
#   5 a blank chip in the ROM
#   6 corrupt, truncated and half-corrupt bundles refused before the ECU is
#     touched (exit 4, flash byte-identical)
#   7 a bundle for another board refused (exit 8), then taken with --force
#   8 tune backup / list / restore; restoring a file that is no tune refused
#   9 reboot --to openblt and --to dfu
#  10 OpenBLT's cross-sector erase quirk on (rusEFI 8515): still right
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
need_dfusim
need python3
. "$HERE/fome.sh"

fome_chip "$1"
BOARD=$2
APP_OFF=$((APP_BASE - 0x08000000))
TUNE_ADDR=$((0x08000000 + TUNE_OFF))

old=$(mkbundle old "$BOARD" --seed 1 --size 256)
new=$(mkbundle new "$BOARD" --seed 2 --size 192)
oldsig=$(jget old.json signature)
newsig=$(jget new.json signature)
# What OpenBLT writes: the new application alone, from its base.
tail -c +$((APP_OFF + 1)) new/files/fome.bin >new.app
[ "$(stat -c %s new.app)" = $((192 * 1024)) ] || fail "new.app is not the 192 KiB application"
echo "chip $CHIP, board $BOARD, application at $(printf 0x%08X $APP_BASE), tune at" \
     "$(printf 0x%08X $TUNE_ADDR) ($TUNE_LEN bytes)"

# The JSON of a successful update that found the ECU as $2 and went by $3.
check_update_json() {
	local j=$1
	assert_json "$j" ok true
	assert_json "$j" command update
	assert_json "$j" found_as "$2"
	assert_json "$j" route "$3"
	assert_json "$j" new_signature "$4"
	assert_json "$j" started true
	assert_json "$j" verified true
	assert_json "$j" tune_kept true
	assert_json "$j" tune_address "$TUNE_ADDR"
	assert_json "$j" tune_size "$TUNE_LEN"
	[ -n "$(jget "$j" serial)" ] || fail "$j: no serial"
	[ -n "$(jget "$j" chip)" ] || fail "$j: no chip"
	[ "$(jget "$j" board)" = "$BOARD" ] || fail "$j: board \"$(jget "$j" board)\", not $BOARD"
}

# The backup named in $1 must hold exactly the tune $2.
check_backup() {
	[ -n "$1" ] && [ -f "$1" ] || fail "no tune backup file: \"$1\""
	case $1 in
	"$DFUFLASH_STATE_DIR"/tunes/tune_*.hex) ;;
	*) fail "the tune backup $1 is not in $DFUFLASH_STATE_DIR/tunes" ;;
	esac
	backup_bytes "$1" backup.bin || fail "the tune backup $1 is not a whole Intel HEX of the tune"
	cmp backup.bin "$2" >/dev/null || fail "the tune backup $1 is not the tune: $(cmp backup.bin "$2" | head -n 1)"
}

backups() {
	"$DFUFLASH" tune list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["backups"]))'
}

# 1 -------------------------------------------------------------------------
ecu_state st "$old" 11
cp st before
tune_of st tune.ref
expect_run 0 j1 update "$new" --json
check_update_json j1 running openblt "$newsig"
assert_json j1 old_signature "$oldsig"
overlay before new.app $APP_OFF want
assert_state st want "running ECU, auto route (OpenBLT)"
assert_tune st tune.ref
check_backup "$(jget j1 backup)" tune.ref
case $(jget j1 backup) in
*"tune_${BOARD//[^A-Za-z0-9-]/_}_"*) ;;
*) fail "the backup's name does not carry the board: $(jget j1 backup)" ;;
esac
[ "$(jget j1 bytes_written)" -gt 0 ] || fail "j1: bytes_written $(jget j1 bytes_written)"
ok "1 running ECU -> OpenBLT -> \"$newsig\"; OpenBLT, the tune and the old bytes kept"

# The same bundle again: nothing to erase, nothing changes.
cp st before
expect_run 0 j1b update "$new" --json
check_update_json j1b running openblt "$newsig"
assert_json j1b old_signature "$newsig"
assert_json j1b sectors_erased 0
assert_state st before "the same update again"
ok "1 the same update again: 0 sectors erased, flash unchanged"

# 2 -------------------------------------------------------------------------
ecu_state st "$old" 12
cp st before
tune_of st tune.ref
expect_run 0 j2 update "$new" --route dfu --json
check_update_json j2 running dfu "$newsig"
assert_json j2 old_signature "$oldsig"
overlay before new/files/fome.bin 0 want
assert_state st want "running ECU, --route dfu"
assert_tune st tune.ref
check_backup "$(jget j2 backup)" tune.ref
ok "2 running ECU -> ROM DFU (--route dfu): fome.bin written, the tune kept"

# 3 -------------------------------------------------------------------------
# An ECU whose application is broken (its CRC wrong) stays in OpenBLT.
bad=$(mkbundle bad "$BOARD" --seed 5 --size 128 --corrupt bin)
ecu_state st "$bad" 13
cp st before
tune_of st tune.ref
expect_run 0 t3 update "$new"
grep -q '^\[found\] the ECU is in OpenBLT' t3.err || fail "3: no '[found] ... in OpenBLT' line in: $(cat t3.err)"
grep -q '^\[reboot\]' t3.err && fail "3: an ECU already in OpenBLT was rebooted: $(cat t3.err)"
grep -q '^\[backup\] ' t3.err || fail "3: no [backup] line"
grep -qF "running: $newsig" t3 || fail "3: stdout lacks 'running: $newsig': $(cat t3)"
grep -q '^tune: unchanged' t3 || fail "3: stdout lacks 'tune: unchanged': $(cat t3)"
grep -q "^updated .* through OpenBLT" t3 || fail "3: stdout lacks 'updated ... through OpenBLT': $(cat t3)"
overlay before new.app $APP_OFF want
assert_state st want "ECU in OpenBLT"
assert_tune st tune.ref
ok "3 ECU in OpenBLT (bad application CRC) -> updated, text output"

# 4 -------------------------------------------------------------------------
ecu_state st "$old" 14
cp st before
tune_of st tune.ref
ECU_ARGS=(--boot dfu --flash st)
expect_run 8 j4r update "$new" --route openblt --json
assert_json j4r ok false
assert_state st before "ECU in the ROM, --route openblt"
expect_run 0 j4 update "$new" --json
check_update_json j4 dfu dfu "$newsig"
assert_json j4 old_signature ""
overlay before new/files/fome.bin 0 want
assert_state st want "ECU in the ROM DFU bootloader"
assert_tune st tune.ref
ECU_ARGS=(--boot flash --flash st)
ok "4 ECU in the ROM DFU bootloader -> updated; --route openblt refused there (exit 8)"

# 5 -------------------------------------------------------------------------
rm -f st st.optbytes
make_fill st "$FLASH_SIZE" ff
cp st before
tune_of st tune.ref
ECU_ARGS=(--boot dfu --flash st)
expect_run 0 j5 update "$new" --json
check_update_json j5 dfu dfu "$newsig"
overlay before new/files/fome.bin 0 want
assert_state st want "blank chip"
ECU_ARGS=(--boot flash --flash st)
ok "5 blank chip (BOOT0) -> fome.bin at 0x08000000, the rest blank"

# 6 -------------------------------------------------------------------------
ecu_state st "$old" 15
cp st before
n6=$(backups)
for how in "--corrupt" "--corrupt srec" "--corrupt bin" "--truncate"; do
	# shellcheck disable=SC2086
	b=$(mkbundle broken "$BOARD" --seed 7 --size 192 $how)
	expect_run 4 j6 update "$b" --json
	assert_json j6 ok false
	assert_json j6 exit 4
	msg=$(jget j6 message)
	case $how in
	--truncate) ;;
	*) case $msg in *CRC*) ;; *) fail "6 $how: the message does not speak of the CRC: $msg" ;; esac ;;
	esac
	assert_state st before "6 $how"
	[ "$(backups)" = "$n6" ] || fail "6 $how: a tune backup was made: the ECU was touched"
	rm -rf broken broken.json
done
# the plain files too: the corrupt application as fome_update.srec, fome.bin
b=$(mkbundle broken "$BOARD" --seed 7 --size 192 --corrupt)
for f in broken/files/fome_update.srec broken/files/fome.bin; do
	expect_run 4 j6f update "$T/$f" --json
	assert_state st before "6 $f"
done
ok "6 corrupt, half-corrupt and truncated bundles and files: exit 4, the flash byte-identical"

# 7 -------------------------------------------------------------------------
other=$(mkbundle other "${BOARD}-other" --seed 8 --size 192)
othersig=$(jget other.json signature)
expect_run 8 j7 update "$other" --json
assert_json j7 ok false
assert_json j7 error MISMATCH
msg=$(jget j7 message)
case $msg in *"${BOARD}-other"*"$BOARD"*) ;; *) fail "7: the message does not name both boards: $msg" ;; esac
assert_state st before "7 another board"
tail -c +$((APP_OFF + 1)) other/files/fome.bin >other.app
tune_of st tune.ref
expect_run 0 t7 update "$other" --force
grep -q "^\[note\] .*${BOARD}-other" t7.err || fail "7: no [note] about the other board in: $(cat t7.err)"
grep -qF "running: $othersig" t7 || fail "7: stdout lacks 'running: $othersig': $(cat t7)"
overlay before other.app $APP_OFF want
assert_state st want "7 --force"
assert_tune st tune.ref
ok "7 a bundle for board ${BOARD}-other: refused (exit 8, flash unchanged), taken with --force"

# 8 -------------------------------------------------------------------------
ecu_state st "$old" 16
cp st before
tune_of st tune.ref
n0=$(backups)
expect_run 0 j8 tune backup --json
assert_json j8 ok true
b8=$(jget j8 backup)
check_backup "$b8" tune.ref
assert_state st before "8 tune backup"
[ "$(newest_backup)" = "$b8" ] || fail "8: tune list's newest is $(newest_backup), not $b8"
"$DFUFLASH" tune list >list.out
[ "$(head -n 1 list.out)" = "$b8" ] || fail "8: tune list's first line: $(head -n 1 list.out)"
[ "$(wc -l <list.out)" = $((n0 + 1)) ] || fail "8: tune list has $(wc -l <list.out) lines, expected $((n0 + 1))"
# the tune is lost (another one written over it); restore brings it back
$GEN tune --chip "$CHIP" --state st --seed 99
tune_of st tune.lost
cp st before
sleep 1   # backups are named to the second
expect_run 0 j8r tune restore "$b8" --json
assert_json j8r ok true
assert_tune st tune.ref
overlay before tune.ref $TUNE_OFF want
assert_state st want "8 tune restore"
# what the restore replaced was backed up first
check_backup "$(newest_backup)" tune.lost
# a file that is not a tune of this ECU: refused, nothing changed
cp st before
expect_run 8 j8x tune restore "$T/new/files/fome_update.srec" --json
assert_state st before "8 restoring fome_update.srec"
ok "8 tune backup, list, restore (the lost tune back byte for byte); a firmware file as tune refused"

# 9 -------------------------------------------------------------------------
ecu_state st "$old" 17
cp st before
cat >reboot.sh <<'SH'
"$DFUFLASH" reboot --to "$1" >reboot.out 2>reboot.err
echo "reboot rc=$?"
"$DFUFLASH" update "$2" --json >j9 2>j9.err
echo "update rc=$?"
SH
for to in openblt dfu; do
	expect_exit 0 ecu --boot flash --flash st -- bash reboot.sh "$to" "$new"
	grep -qx "reboot rc=0" "$T/out" || fail "9 reboot --to $to: $(cat "$T/out" reboot.err)"
	grep -qx "update rc=0" "$T/out" || fail "9 update after reboot --to $to: $(cat "$T/out" j9 j9.err)"
	case $to in
	openblt) grep -q "OpenBLT" reboot.out || fail "9: reboot says $(cat reboot.out)" ;;
	dfu) grep -q "DFU" reboot.out || fail "9: reboot says $(cat reboot.out)" ;;
	esac
	assert_json j9 found_as "$to"
	assert_json j9 route "$to"
	assert_json j9 new_signature "$newsig"
	ecu_state st "$old" 17
done
ok "9 reboot --to openblt, --to dfu: the next update finds the ECU there"

# 10 ------------------------------------------------------------------------
ecu_state st "$old" 18
cp st before
tune_of st tune.ref
overlay before new.app $APP_OFF want
expect_run 0 j10 update "$new" --json --no-smart
check_update_json j10 running openblt "$newsig"
assert_state st want "10 --no-smart"
# dfusim's quirk: one PROGRAM_CLEAR across a sector boundary erases only
# the first sector; dfuflash must never send one.
ecu_state st "$old" 18
ECU_ARGS=(--boot flash --flash st --quirk openblt-cross-erase)
expect_run 0 j10q update "$new" --json
check_update_json j10q running openblt "$newsig"
assert_state st want "10 with the openblt-cross-erase quirk"
assert_tune st tune.ref
ECU_ARGS=(--boot flash --flash st --quirk openblt-cross-erase)
expect_run 0 j10n update "$new" --json --no-smart
assert_state st want "10 --no-smart with the openblt-cross-erase quirk"
ECU_ARGS=(--boot flash --flash st)
ok "10 --no-smart, and OpenBLT's cross-sector erase quirk: the flash still right"
