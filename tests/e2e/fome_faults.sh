# fome_faults.sh CHIP BOARD ROUTE - unplug and power loss at every phase of
# a FOME update from a running ECU, on one chip and one route (openblt or
# dfu); run by test_fome_faults_<route>_<chip>.sh (label slow).
#
# A clean update first counts the requests of each kind (dfusim --stats);
# the faults then hit the first, a middle and the last request of each
# kind the route uses (the console's, then XCP's or the ROM's), so every
# phase is hit: the signature, the reboot, connecting, the tune backup
# (reads), the erase, the writes, the verify (reads), the tune check and the
# start. For each fault:
#   - the faulted run must not claim what it did not do: exit 3 or 5, or
#     exit 0 (the chip came back from a power loss and dfuflash went on) or
#     9 ("written and verified, not started") only with the flash holding
#     exactly the new image; and the tune must be byte-identical (an update
#     never erases it, whatever happens);
#   - when the run had backed up the tune, the backup must hold exactly the
#     tune, and a failure while flashing must name it in its message;
#   - a re-run without the fault must complete: exit 0, the whole flash
#     exactly the old one with the new image written (OpenBLT route: the ECU
#     powers up from flash and OpenBLT is always there; DFU route: the
#     re-run is done with BOOT0 held, as the hand hint tells the user, since
#     the bootloader's own sectors may be half written);
#   - for the first fault of each kind, the backup is restored with
#     `dfuflash tune restore` over a lost tune and must bring it back.
# FOME_FAULTS="spec ..." runs only those (e.g. "power@xcp-clear:2");
# FOME_FAULT_PICKS=middle hits only the middle request of each kind.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
need_dfusim
need python3
. "$HERE/fome.sh"

fome_chip "$1"
BOARD=$2
ROUTE=$3
APP_OFF=$((APP_BASE - 0x08000000))

old=$(mkbundle old "$BOARD" --seed 1 --size 256)
new=$(mkbundle new "$BOARD" --seed 2 --size 192)
newsig=$(jget new.json signature)
if [ "$ROUTE" = openblt ]; then
	tail -c +$((APP_OFF + 1)) new/files/fome.bin >new.img
	img_off=$APP_OFF
	kinds="xcp-connect xcp-upload xcp-clear xcp-program xcp-reset"
else
	cp new/files/fome.bin new.img
	img_off=0
	kinds="erase write read leave"
fi

backups() {
	"$DFUFLASH" tune list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["backups"]))'
}

# The clean run: its request counts (every request of the run is counted,
# so a fault at the Nth of a kind is sure to fire), and the flash it must leave.
ecu_state st "$old" 21
cp st before
tune_of st tune.ref
overlay before new.img $img_off want
ECU_ARGS=(--boot flash --flash st --stats ref.stats)
expect_run 0 ref.json update "$new" --route "$ROUTE" --json
assert_state st want "the clean update"
count() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests"][sys.argv[2]])' ref.stats "$1"
}

if [ -n "${FOME_FAULTS:-}" ]; then
	faults=$FOME_FAULTS
else
	faults=""
	for k in ts-signature ts-bootloader ts-reboot $kinds; do
		n=$(count "$k")
		echo "$k: $n requests"
		case $k in
		ts-*) [ "$n" -gt 0 ] || continue ;;
		*) [ "$n" -gt 0 ] || fail "the clean update made no $k request" ;;
		esac
		picks="1"
		[ "$n" -ge 4 ] && picks="$picks $((n / 2))"
		[ "$n" -ge 2 ] && picks="$picks $n"
		# FOME_FAULT_PICKS=middle: one request of each kind (the chips
		# after the F407 share the journey's code; CI time).
		if [ "${FOME_FAULT_PICKS:-all}" = middle ]; then
			picks=$(( n >= 2 ? n / 2 : 1 ))
		fi
		for i in $picks; do
			faults="$faults unplug@$k:$i power@$k:$i"
		done
	done
	if [ "$ROUTE" = openblt ]; then
		faults="$faults error@xcp-clear:1 error@xcp-program:$(($(count xcp-program) / 2))"
		faults="$faults stall@xcp-program:3"
	fi
fi

report=""
restored_kinds=" "
for f in $faults; do
	kind=${f#*@}
	kind=${kind%%:*}
	ecu_state st "$old" 21
	n_before=$(backups)
	ECU_ARGS=(--boot flash --flash st --fault "$f")
	rc=0
	flashrun jf update "$new" --route "$ROUTE" --wait 5 --json || rc=$?
	msg=$(jget jf message 2>/dev/null || true)
	report="$report
$f: exit $rc: $msg"
	case $rc in
	3 | 5) ;;
	0 | 9)
		# success, or "written and verified, not started": the flash
		# must hold the new image
		cmp st want >/dev/null ||
			fail "$f: exit $rc claims the image written, but the flash differs at $(state_diff st want): $(cat jf)"
		[ "$rc" = 9 ] || assert_json jf new_signature "$newsig" ;;
	*) fail "$f: exit $rc (expected 0, 3, 5 or 9): $(cat jf) $(tail -n 5 jf.err)" ;;
	esac
	[ "$rc" = 0 ] || [ -n "$msg" ] || fail "$f: no message: $(cat jf)"
	assert_tune st tune.ref
	if [ "$ROUTE" = openblt ]; then
		cmp -n $APP_OFF st before >/dev/null || fail "$f: OpenBLT's own sectors changed"
	fi
	backup=""
	if [ "$(backups)" -gt "$n_before" ]; then
		backup=$(newest_backup)
		backup_bytes "$backup" fb.bin || fail "$f: the backup $backup is not a whole tune"
		cmp fb.bin tune.ref >/dev/null || fail "$f: the backup $backup is not the tune"
		case $kind in
		xcp-clear | xcp-program | erase | write)
			case $msg in *"$backup"*) ;;
			*) fail "$f: the failure while flashing does not name the backup $backup: $msg" ;;
			esac ;;
		esac
	fi

	# The re-run.
	if [ "$ROUTE" = openblt ]; then
		ECU_ARGS=(--boot flash --flash st)
	else
		ECU_ARGS=(--boot dfu --flash st)
	fi
	expect_run 0 jr update "$new" --route "$ROUTE" --json
	assert_json jr new_signature "$newsig"
	assert_state st want "$f, then a re-run"
	assert_tune st tune.ref

	# The backup of the failed run brings a lost tune back.
	if [ -n "$backup" ] && [ "${restored_kinds#* $kind }" = "$restored_kinds" ]; then
		restored_kinds="$restored_kinds$kind "
		$GEN tune --chip "$CHIP" --state st --seed 77
		ECU_ARGS=(--boot flash --flash st)
		sleep 1   # backups are named to the second
		expect_run 0 jt tune restore "$backup" --json
		assert_state st want "$f: tune restore $backup"
		echo "  restored the tune from $backup"
	fi
	ok "$f: exit $rc, the tune kept; the re-run completes"
done
echo "faults on the $ROUTE route ($CHIP):$report"
