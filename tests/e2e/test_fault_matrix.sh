# The fault matrix (issue 5): every STM32 profile x every fault x every phase
# of a flash, from the table tests/data/fault_matrix.tsv.
#
#   test_fault_matrix.sh                  (ctest) check the table is whole and
#                                         every STM32 profile has its runner
#   test_fault_matrix.sh --run [CHIP...]  run the matrix (default: every STM32
#                                         profile); the result table goes to
#                                         $FM_OUT (default fault_matrix.md in
#                                         $DFU_BUILD_DIR, or the current dir)
#
# The per-chip tests test_fault_matrix_<chip>.sh run `--run <chip>`, so ctest
# -j2 runs two chips at a time. By hand, from the source dir:
#   DFUSIM=build/dfusim DFUFLASH=build/dfuflash FM_OUT=$PWD/fm.md \
#       bash tests/e2e/test_fault_matrix.sh --run
#
# One cell: a state file holds an old firmware over sectors 0-2 and a "tune"
# in sector 3, the rest blank; the image covers sectors 0-1 exactly. The
# first run, under the fault, must exit non-zero with a message naming the
# phase, an address and the device's status, must not claim success, and
# the device must see no leave request after the fault; flash outside
# sectors 0-1 must be untouched. A second run without the fault must succeed
# and leave exactly the image over sectors 0-1 and the old flash elsewhere.
#
# The leave column: the image was written and verified before the manifest
# request, so a device that stalls it, drops off the bus, loses power or
# never answers has done (or will do, at the next reset) what was asked:
# correct is exit 0, "verified", and a word about the device (left the bus,
# or still there: reset it by hand). A device that answers the manifest
# request with dfuERROR has refused to start the firmware: correct is a
# non-zero exit naming leave, the address and the status.
_fm_src=${DFU_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
_fm_out=${FM_OUT:-${DFU_BUILD_DIR:-$PWD}/fault_matrix.md}
. "$(dirname "$0")/lib.sh"
need_dfusim
[ -n "${DFUFLASH:-}" ] && [ -x "$DFUFLASH" ] || { echo "SKIP: DFUFLASH not built" >&2; exit 77; }

TABLE=$_fm_src/tests/data/fault_matrix.tsv
FAULTS="disconnect stall errWRITE errERASE errVERIFY errADDRESS timeout powerloss"
PHASES="erase write verify leave option-bytes"
# The option-bytes column writes this field, which every STM32 profile has.
OB_SET=BOR_LEV=1

# The rows: the STM32 profiles (DfuSe), and the F767 in dual-bank mode
# (nDBANK=0, with its ROM's wrong-sector erase quirk on) as its own row. The
# plain DFU 1.1 profiles erase their whole flash at the first block, so no
# tune can survive there: see docs/FAULTS.md.
stm32_chips() {
	"$DFUSIM" chips --json | python3 -c '
import json, sys
for c in json.load(sys.stdin):
    if c["protocol"] == "dfuse":
        print(c["name"])
    if "sectors_dual_bank" in c:
        print(c["name"] + "-dualbank")'
}

# Sets CHIP (the dfusim profile), SIMOPTS and SECTORS_KEY for the row $1.
row_setup() {
	case $1 in
	*-dualbank)
		CHIP=${1%-dualbank}
		SIMOPTS=(--option-bytes nDBANK=0)
		SECTORS_KEY=sectors_dual_bank
		;;
	*)
		CHIP=$1
		SIMOPTS=()
		SECTORS_KEY=sectors
		;;
	esac
}

# The spec for CHIP FAULT PHASE from the table: the last matching line wins.
# Prints nothing if no line matches.
spec_for() {
	local chip=$1 fault=$2 phase=$3 pat f p s res=
	while IFS=$'\t' read -r pat f p s; do
		case $pat in '#'* | '') continue ;; esac
		[ "$f" = "$fault" ] && [ "$p" = "$phase" ] || continue
		# shellcheck disable=SC2254
		case $chip in $pat) res=$s ;; esac
	done <"$TABLE"
	printf '%s' "$res"
}

# The table must name a spec or a reason for every fault x phase.
check_table() {
	local chip fault phase s
	for chip in $(stm32_chips); do
		for fault in $FAULTS; do
			for phase in $PHASES; do
				s=$(spec_for "$chip" "$fault" "$phase")
				[ -n "$s" ] || fail "$TABLE: nothing for $chip $fault $phase"
			done
		done
		[ -f "$_fm_src/tests/e2e/test_fault_matrix_$chip.sh" ] ||
			fail "no tests/e2e/test_fault_matrix_$chip.sh: $chip is not in the matrix"
	done
	ok "the fault table covers every STM32 profile, fault and phase"
}

if [ "${1:-}" != --run ]; then
	check_table
	exit 0
fi
shift
CHIPS=${*:-$(stm32_chips)}

# Per chip: the flash size and the first four sector sizes of the map KEY.
chip_geometry() {
	"$DFUSIM" chips --json | python3 -c '
import json, sys
for c in json.load(sys.stdin):
    if c["name"] == sys.argv[1]:
        sizes = [r["size"] for r in c[sys.argv[2]] for _ in range(r["count"])]
        print(c["flash_size"], *sizes[:4])' "$1" "$2"
}

# Words the message must hold, per phase and per fault (extended regexes).
phase_re() {
	case $1 in
	erase) echo 'eras' ;;
	write) echo 'writ' ;;
	verify) echo 'verif' ;;
	leave) echo 'leav' ;;
	option-bytes) echo 'option' ;;
	esac
}
status_re() {
	case $1 in
	disconnect | powerloss) echo 'disconnect|gone|left the bus|no longer|vanish' ;;
	stall) echo 'stall' ;;
	timeout) echo 'did not answer|timed? ?out' ;;
	err*) echo "$1" ;;
	esac
}
SUCCESS_RE='verified|left DFU mode|wrote [0-9]+ bytes|option bytes (are|were) (now|written)'
ADDR_RE='0x[0-9A-Fa-f]{8}'

# The message of a run: its output without progress lines and warnings.
message_of() {
	grep -v -E 'KiB in|MiB in| B in [0-9]|: warning: ' "$1" | tr '\n' ' '
}

# Runs the command of phase PHASE (flash or option bytes) under dfusim with
# extra dfusim options; output in $2, log in $3; returns the exit status.
run_job() {
	local chip=$1 out=$2 log=$3 rc=0
	shift 3
	if [ "$PHASE" = option-bytes ]; then
		"$DFUSIM" run --chip "$chip" "${SIMOPTS[@]}" --flash st --log "$log" "$@" -- \
			"$DFUFLASH" option-bytes --set "$OB_SET" --yes >"$out" 2>&1 || rc=$?
	else
		"$DFUSIM" run --chip "$chip" "${SIMOPTS[@]}" --flash st --log "$log" "$@" -- \
			"$DFUFLASH" flash img.bin >"$out" 2>&1 || rc=$?
	fi
	return $rc
}

# Whether the fault SPEC shows in the device's LOG. dfusim marks the request
# a fault fires at with "fault="; a status or power loss delivered at the
# GETSTATUS after the leave request shows only as that status or the event.
fired() {
	local spec=$1 log=$2 status
	grep -q 'fault=' "$log" && return 0
	case $spec in
	status=*) status=${spec#status=}; status=${status%%@*}
		  grep -q -E -- "-> $status " "$log" ;;
	powerloss@*) grep -q 'event=RESET_TO_DFU' "$log" ;;
	disconnect@*) grep -q 'event=DISCONNECT' "$log" ;;
	*) return 1 ;;
	esac
}

# How many data blocks the device sent before the leave request in LOG.
reads_before_leave() {
	sed -n '/(leave)/q;p' "$1" | grep -c -E '^UPLOAD block=([2-9]|[1-9][0-9]+) ' || true
}

# One cell; prints "pass", or "FAIL: why" (the first thing wrong).
run_cell() {
	local chip=$1 fault=$2 spec=$3 rc=0 msg
	rm -f st st.optbytes
	cp base.bin st
	run_job "$CHIP" out1 log1 --fault "$spec" || rc=$?
	fired "$spec" log1 || { echo "FAIL: the fault never fired ($spec)"; return; }
	# In the sanitizer build a report is a failure even where the exit
	# status is expected to be non-zero anyway.
	if grep -q -E 'Sanitizer|runtime error:' out1; then
		echo "FAIL: sanitizer: $(grep -m 1 -E 'Sanitizer|runtime error:' out1)"
		return
	fi
	msg=$(message_of out1)
	if [ "$PHASE" = leave ]; then
		# The manifest request came only after the whole verify pass.
		[ "$(reads_before_leave log1)" = "$CLEAN_READS" ] ||
			{ echo "FAIL: asked to leave after $(reads_before_leave log1) of $CLEAN_READS reads"; return; }
		case $fault in
		err*)
			[ "$rc" != 0 ] || { echo "FAIL: exit 0 when the device refused to leave"; return; }
			;;
		*)
			[ "$rc" = 0 ] || { echo "FAIL: exit $rc after a verified write: $msg"; return; }
			grep -q 'verified' out1 || { echo "FAIL: no word that the image is verified"; return; }
			grep -q -E 'left the bus|reset it by hand|starting its firmware|left DFU mode' out1 ||
				{ echo "FAIL: no word about the device after leave"; return; }
			;;
		esac
		cmp -s st want.bin || { echo "FAIL: the flash is wrong after a fault at leave"; return; }
	else
		[ "$rc" != 0 ] || { echo "FAIL: exit 0 under the fault"; return; }
		if grep -q -E "$SUCCESS_RE" out1; then
			echo "FAIL: claims success: $(grep -E "$SUCCESS_RE" out1 | head -n 1)"
			return
		fi
		if grep -q '(leave)' log1; then
			echo "FAIL: the device was asked to leave DFU mode after the fault"
			return
		fi
		# Flash past the image's two sectors is as it was.
		cmp -s -i "$IMG_END" st base.bin ||
			{ echo "FAIL: flash outside the image changed: $(cmp -i "$IMG_END" st base.bin 2>&1 | head -n 1)"; return; }
	fi
	if [ "$rc" != 0 ]; then
		echo "$msg" | grep -q -i -E "$(phase_re "$PHASE")" ||
			{ echo "FAIL: the message does not name the phase: $msg"; return; }
		echo "$msg" | grep -q -E "$ADDR_RE" ||
			{ echo "FAIL: the message names no address: $msg"; return; }
		echo "$msg" | grep -q -i -E "$(status_re "$fault")" ||
			{ echo "FAIL: the message does not name the device's status: $msg"; return; }
	fi
	# The same command again, without the fault, completes the job.
	rc=0
	run_job "$CHIP" out2 log2 || rc=$?
	[ "$rc" = 0 ] || { echo "FAIL: the retry exited $rc: $(message_of out2)"; return; }
	if grep -q -E 'Sanitizer|runtime error:' out2; then
		echo "FAIL: sanitizer in the retry: $(grep -m 1 -E 'Sanitizer|runtime error:' out2)"
		return
	fi
	if [ "$PHASE" = option-bytes ]; then
		cmp -s st.optbytes want.optbytes ||
			{ echo "FAIL: the option bytes are wrong after the retry"; return; }
		cmp -s st base.bin || { echo "FAIL: the flash changed writing option bytes"; return; }
	else
		cmp -s st want.bin ||
			{ echo "FAIL: the flash is wrong after the retry: $(cmp st want.bin 2>&1 | head -n 1)"; return; }
		grep -q '(leave)' log2 || { echo "FAIL: the retry did not leave DFU mode"; return; }
	fi
	echo pass
}

# Whether this dfuflash has `option-bytes --set` (written in parallel).
have_option_bytes() {
	"$DFUFLASH" option-bytes --help 2>&1 | grep -q -- '--set'
}

RESULTS=$T/results.tsv
: >"$RESULTS"
total=0
passed=0
failed=0
for chip in $CHIPS; do
	row_setup "$chip"
	read -r fsize s0 s1 s2 s3 <<<"$(chip_geometry "$CHIP" "$SECTORS_KEY")"
	[ -n "${s3:-}" ] || fail "no geometry for chip $chip"
	IMG_END=$((s0 + s1))
	make_random old.bin $((s0 + s1 + s2))
	make_random tune.bin "$s3"
	make_fill blank.bin $((fsize - s0 - s1 - s2 - s3)) ff
	cat old.bin tune.bin blank.bin >base.bin
	make_random img.bin "$IMG_END"
	{ cat img.bin; tail -c +$((IMG_END + 1)) base.bin; } >want.bin
	# A clean run: the baseline for the verify trigger, and a check that
	# the job itself works without faults.
	cp base.bin st
	rm -f st.optbytes
	"$DFUSIM" run --chip "$CHIP" "${SIMOPTS[@]}" --flash st --log clean.log -- "$DFUFLASH" flash img.bin \
		>clean.out 2>&1 || fail "$chip: the clean flash failed: $(cat clean.out)"
	cmp -s st want.bin || fail "$chip: the clean flash is wrong"
	last_write=$(grep -n 'WRITE 0x' clean.log | tail -n 1 | cut -d: -f1)
	reads_before=$(head -n "$last_write" clean.log | grep -c -E '^UPLOAD block=([2-9]|[1-9][0-9]+) ' || true)
	VERIFY_READ=$((reads_before + 2))
	CLEAN_READS=$(reads_before_leave clean.log)
	grep -q '(leave)' clean.log || fail "$chip: the clean flash did not leave DFU mode"
	# The option bytes as a correct `--set` leaves them.
	rm -f ref ref.optbytes
	"$DFUSIM" run --chip "$CHIP" "${SIMOPTS[@]}" --flash ref --option-bytes "$OB_SET" -- true ||
		fail "$chip: dfusim does not take --option-bytes $OB_SET"
	cp ref.optbytes want.optbytes
	ok "$chip: baseline (image ${IMG_END} bytes, tune at sector 3, verify read $VERIFY_READ)"
	# The cells run $FM_JOBS at a time, each in its own directory: most
	# of a cell's time is spent waiting (a silent device costs libusb's
	# 5 s timeout, a device that stays after leave the leave wait), not
	# computing.
	for fault in $FAULTS; do
		for PHASE in $PHASES; do
			spec=$(spec_for "$chip" "$fault" "$PHASE")
			case $spec in 'n/a'*) continue ;; esac
			if [ "$PHASE" = option-bytes ] && ! have_option_bytes; then
				continue
			fi
			spec=${spec//\{VERIFY_READ\}/$VERIFY_READ}
			cell=$T/cell-$chip-$fault-$PHASE
			mkdir "$cell"
			ln -s "$T/base.bin" "$T/img.bin" "$T/want.bin" "$T/want.optbytes" "$cell/"
			while [ "$(jobs -rp | wc -l)" -ge "${FM_JOBS:-4}" ]; do
				wait -n || true
			done
			(cd "$cell" && run_cell "$chip" "$fault" "$spec" >result) &
		done
	done
	wait
	for fault in $FAULTS; do
		for PHASE in $PHASES; do
			spec=$(spec_for "$chip" "$fault" "$PHASE")
			case $spec in
			'n/a'*)
				printf '%s\t%s\t%s\tn/a\t%s\n' "$chip" "$fault" "$PHASE" "${spec#n/a: }" >>"$RESULTS"
				continue
				;;
			esac
			if [ "$PHASE" = option-bytes ] && ! have_option_bytes; then
				printf '%s\t%s\t%s\tskip\t%s\n' "$chip" "$fault" "$PHASE" \
					"dfuflash option-bytes --set is not built" >>"$RESULTS"
				continue
			fi
			spec=${spec//\{VERIFY_READ\}/$VERIFY_READ}
			res=$(cat "$T/cell-$chip-$fault-$PHASE/result" 2>/dev/null || echo "FAIL: the cell did not finish")
			[ -n "$res" ] || res="FAIL: the cell printed nothing"
			total=$((total + 1))
			if [ "$res" = pass ]; then
				passed=$((passed + 1))
				printf '%s\t%s\t%s\tpass\t%s\n' "$chip" "$fault" "$PHASE" "$spec" >>"$RESULTS"
			else
				failed=$((failed + 1))
				printf '%s\t%s\t%s\tFAIL\t%s: %s\n' "$chip" "$fault" "$PHASE" "$spec" "${res#FAIL: }" >>"$RESULTS"
				echo "FAIL $chip $fault $PHASE ($spec): ${res#FAIL: }" >&2
			fi
		done
	done
	ok "$chip done"
done

# The result table: rows chip x fault, columns phases.
{
	echo "| chip | fault | ${PHASES// / | } |"
	echo "|---|---|$(for _ in $PHASES; do printf -- '---|'; done)"
	for chip in $CHIPS; do
		for fault in $FAULTS; do
			printf '| %s | %s |' "$chip" "$fault"
			for PHASE in $PHASES; do
				printf ' %s |' "$(awk -F'\t' -v c="$chip" -v f="$fault" -v p="$PHASE" \
					'$1 == c && $2 == f && $3 == p { print $4 }' "$RESULTS")"
			done
			echo
		done
	done
	echo
	echo "$passed of $total cells pass, $failed fail; $(grep -c $'\tn/a\t' "$RESULTS" || true) n/a, $(grep -c $'\tskip\t' "$RESULTS" || true) skipped."
	if [ "$failed" != 0 ]; then
		echo
		echo "Failures:"
		echo
		awk -F'\t' '$4 == "FAIL" { printf "- %s %s %s: %s\n", $1, $2, $3, $5 }' "$RESULTS"
	fi
} >"$_fm_out"
cat "$_fm_out"
[ "$failed" = 0 ] || fail "$failed of $total fault cells fail (table in $_fm_out)"
ok "$passed of $total fault cells pass"
