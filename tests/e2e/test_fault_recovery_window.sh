# The recovery window under power cuts: the bytes a job keeps are on disk in
# the journal before the first erase, and the next run on the device
# finishes the job. A power loss and a disconnect are injected at EVERY
# DNLOAD from the first erase (or the mass erase) to the last request before
# the final verify, one run per point; after each the journal must be in
# $DFUFLASH_STATE_DIR, `dfuflash recover` must list it naming the device, and
# a second run without the fault (the same command, or `dfuflash recover
# --finish` on every other point) must leave exactly the image in flash and
# every other byte as it was (the tune and everything else), and no journal.
#
# Cases (the points of each are counted in a clean run's --log):
#   1 STM32F767ZG in dual-bank mode (nDBANK=0): a 40 KB image at 0x08000000
#     and 64 bytes in bank 2, so the engine keeps everything and mass erases;
#     the tune at 0x080C0000-0x080FFFFF must survive (the FOME board)
#   2 STM32F407: an image over sector 0 and part of sector 1 (keep -> erase
#     -> write back); tune at 0x080C0000
#   3 STM32F407 with misdirect@erase:2 (the ROM erases the wrong sector) and
#     a power loss at every later DNLOAD: the wrong-erase recovery path
#   4 SIGTERM (Ctrl-C's twin) to dfuflash mid-write at --time-scale 1 on the
#     F767ZG: exit 143 naming the journal, then the re-run restores
#   5 a power cut in the finishing run itself (`dfuflash recover --finish`
#     cut at each of its DNLOADs on the F407, at six on the F767ZG): the
#     journal stays and is named, and the next run finishes
#
# RW_JOBS (default 2) points run at a time; RW_SEED (default 1) seeds the
# images and flash contents; RW_CASES (default "1 2 3 4 5") picks cases.
. "$(dirname "$0")/lib.sh"
need_dfusim
need python3
[ -n "${DFUFLASH:-}" ] && [ -x "$DFUFLASH" ] || { echo "SKIP: DFUFLASH not built" >&2; exit 77; }

F=$DFUFLASH
JOBS=${RW_JOBS:-2}
SEED=${RW_SEED:-1}
CASES=${RW_CASES:-1 2 3 4 5}
START=$SECONDS

# The starting states, shared by every point of a chip (copied per run), the
# images, and what the flash must hold after a finished job (want*).
#   F767ZG (1 MB, dual bank: 2 x (4x16K, 64K, 3x128K)): old firmware over
#   0x08000000-0x0800BFFF and 0x08080000-0x080807FF, a tune at 0x080C0000
#   (16 KB) and at the end of flash (2 KB), blank elsewhere (so a
#   whole-flash write stays quick).
#   F407 (1 MB, 4x16K, 64K, 7x128K): old firmware over sectors 0-2, 4 KB in
#   sector 4, the tune at 0x080C0000 (16 KB) and 2 KB at the end.
python3 - "$SEED" <<'PY'
import random, sys
rnd = random.Random(int(sys.argv[1]))
def rb(n):
    return bytes(rnd.getrandbits(8) for _ in range(n))
def ihex(segs, path):
    out = []
    for addr, data in segs:
        upper = None
        for i in range(0, len(data), 16):
            a = addr + i
            if a >> 16 != upper:
                upper = a >> 16
                rec = [2, 0, 0, 4, upper >> 8, upper & 255]
                out.append(':' + ''.join('%02X' % b for b in rec) + '%02X' % (-sum(rec) & 255))
            chunk = data[i:i + 16]
            rec = [len(chunk), (a >> 8) & 255, a & 255, 0] + list(chunk)
            out.append(':' + ''.join('%02X' % b for b in rec) + '%02X' % (-sum(rec) & 255))
    out.append(':00000001FF')
    open(path, 'w').write('\n'.join(out) + '\n')
def state(path, spans):
    f = bytearray(b'\xff' * (1 << 20))
    for off, n in spans:
        f[off:off + n] = rb(n)
    open(path, 'wb').write(f)
    return f
def want(base, segs, path):
    f = bytearray(base)
    for addr, data in segs:
        f[addr - 0x08000000:addr - 0x08000000 + len(data)] = data
    open(path, 'wb').write(f)

# Old data under the image's bytes in bank 2 too: they need an erase there,
# which only a mass erase gives (smart flash would program blank ones).
b767 = state('base767', [(0, 0xC000), (0x80000, 0x800), (0xC0000, 0x4000), (0xFF800, 0x800)])
segs = [(0x08000000, rb(40 * 1024)), (0x08080000, rb(64))]
ihex(segs, 'img767.hex')
want(b767, segs, 'want767')

b407 = state('base407', [(0, 0xC000), (0x10000, 0x1000), (0xC0000, 0x4000), (0xFF800, 0x800)])
img = rb(20 * 1024)
open('img407.bin', 'wb').write(img)
want(b407, [(0x08000000, img)], 'want407')
PY

# Which DNLOADs of LOG are in the window: prints FIRST LAST (1-based, over
# every DNLOAD request). FIRST is the first erase or mass erase (the first
# DNLOAD when nothing is erased: smart flash may program instead), or with
# AFTER=N the DNLOAD after the Nth sector erase; LAST is the last DNLOAD
# (the runs do not leave, so everything after it is the verify pass).
window() {
	awk -v after="${2:-0}" '
		/^DNLOAD / {
			n++
			if (after == 0 && !first && / cmd=(MASS_)?ERASE /) first = n
			if (after > 0 && / cmd=ERASE /) { e++; if (e == after) first = n + 1 }
		}
		END { if (!first) first = 1; print first + 0, n + 0 }' "$1"
}

# The clean run of a case in its own directory: must succeed and leave WANT;
# prints the window.
clean_run() {
	local name=$1 chip=$2 img=$3 base=$4 want=$5 after=$6 rc=0
	shift 6
	mkdir -p "$T/clean-$name"
	cp "$base" "$T/clean-$name/st"
	(cd "$T/clean-$name" && DFUFLASH_STATE_DIR=$T/clean-$name/state \
		"$DFUSIM" run --chip "$chip" "${SIMOPTS[@]}" --flash st "$@" --log log -- \
		"$F" flash "$T/$img" --no-leave >out 2>&1) || rc=$?
	[ "$rc" = 0 ] || { cat "$T/clean-$name/out" >&2; fail "case $name: the clean run exited $rc"; }
	cmp -s "$T/clean-$name/st" "$want" ||
		fail "case $name: the clean run left the wrong flash: $(cmp "$T/clean-$name/st" "$want" 2>&1)"
	window "$T/clean-$name/log" "$after"
}

# The chip's name in a journal's header.
journal_chip() {
	sed -n 's/^chip=//p;/^$/q' "$1" | head -n 1
}

# One point, run in $T/p/ID with its own state directory; prints "pass" or
# "FAIL: ..." (the first thing wrong) into $T/res/ID. MODE: rerun (the same
# command again) or finish (dfuflash recover --finish). The rest: the
# --fault specs, the window's own last.
point() {
	local id=$1 chip=$2 img=$3 base=$4 want=$5 mode=$6 rc=0 j jc spec d
	shift 6
	d=$T/p/$id
	mkdir -p "$d"
	cd "$d"
	export DFUFLASH_STATE_DIR=$d/state
	spec=${*: -1}
	local faults=()
	for s in "$@"; do faults+=(--fault "$s"); done
	cp "$base" st
	"$DFUSIM" run --chip "$chip" "${SIMOPTS[@]}" --flash st "${faults[@]}" --log log1 -- \
		"$F" flash "$T/$img" --no-leave >out1 2>&1 || rc=$?
	res() { echo "$*" >"$T/res/$id"; }
	grep -q -F "fault=$spec" log1 || { res "FAIL: $spec never fired"; return; }
	[ "$rc" != 0 ] || { res "FAIL: $spec: exit 0 under the fault"; return; }
	grep -q -E 'wrote [0-9]+ bytes|, verified$' out1 &&
		{ res "FAIL: $spec: claims success: $(grep -E 'wrote [0-9]+ bytes' out1)"; return; }
	local state=intermediate
	cmp -s st "$base" && state="as before"
	cmp -s st "$want" && state="already the image"
	j=$(ls state/journal-*.dfj 2>/dev/null || true)
	[ -n "$j" ] && [ "$(echo "$j" | wc -l)" = 1 ] ||
		{ res "FAIL: $spec: no journal after the fault (flash $state): $(tail -n 1 out1)"; return; }
	j=$d/$j
	grep -q -F "$j" out1 ||
		{ res "FAIL: $spec: the error does not name the journal (flash $state): $(tail -n 1 out1)"; return; }
	jc=$(journal_chip "$j")
	"$F" recover >list 2>&1 || { res "FAIL: $spec: dfuflash recover exited non-zero: $(cat list)"; return; }
	grep -q -F "$j" list && grep -q -F "device 0483:df11 $jc serial" list ||
		{ res "FAIL: $spec: dfuflash recover does not list the journal and its device: $(cat list)"; return; }
	rc=0
	if [ "$mode" = finish ]; then
		"$DFUSIM" run --chip "$chip" "${SIMOPTS[@]}" --flash st --log log2 -- \
			"$F" recover --finish >out2 2>&1 || rc=$?
		[ "$rc" = 0 ] && grep -q 'the interrupted job is finished' out2 ||
			{ res "FAIL: $spec: recover --finish exited $rc: $(tail -n 2 out2 | tr '\n' ' ')"; return; }
	else
		"$DFUSIM" run --chip "$chip" "${SIMOPTS[@]}" --flash st --log log2 -- \
			"$F" flash "$T/$img" --no-leave >out2 2>&1 || rc=$?
		[ "$rc" = 0 ] && grep -q -F "finishing it from $j" out2 ||
			{ res "FAIL: $spec: the re-run exited $rc: $(tail -n 2 out2 | tr '\n' ' ')"; return; }
	fi
	cmp -s st "$want" ||
		{ res "FAIL: $spec then $mode: the flash is wrong (was $state after the fault): $(cmp st "$want" 2>&1 | head -n 1); $(cmp -l st "$want" 2>/dev/null | wc -l) bytes differ"; return; }
	[ -z "$(ls state 2>/dev/null)" ] ||
		{ res "FAIL: $spec then $mode: left in the state directory: $(ls state)"; return; }
	res "pass $state"
}

# Whether FILE differs from BASE outside the image's spans (OFFSET:LENGTH
# pairs, offsets into flash).
outside_changed() {
	python3 - "$@" <<'PY'
import sys
st = open(sys.argv[1], 'rb').read()
base = open(sys.argv[2], 'rb').read()
mask = bytearray(len(base))
for span in sys.argv[3:]:
    off, n = (int(x, 0) for x in span.split(':'))
    mask[off:off + n] = b'\x01' * n
sys.exit(0 if any(a != b and not m for a, b, m in zip(st, base, mask)) else 1)
PY
}

# A power cut in the finishing run: the first run is cut at PRE, then
# `dfuflash recover --finish` is cut at SPEC (the DNLOADs of the finishing
# job), then the same command again must finish. After the second cut the
# journal must still be there, named, and the message must not say nothing
# outside the image was erased when bytes outside it are gone from flash.
# SPANS: the image's spans in flash (OFFSET:LENGTH ...).
point_finish_cut() {
	local id=$1 chip=$2 img=$3 base=$4 want=$5 pre=$6 spec=$7 rc=0 j d
	shift 7
	d=$T/p/$id
	mkdir -p "$d"
	cd "$d"
	export DFUFLASH_STATE_DIR=$d/state
	res() { echo "$*" >"$T/res/$id"; }
	cp "$base" st
	"$DFUSIM" run --chip "$chip" "${SIMOPTS[@]}" --flash st --fault "$pre" --log log1 -- \
		"$F" flash "$T/$img" --no-leave >out1 2>&1 || rc=$?
	j=$(ls state/journal-*.dfj 2>/dev/null || true)
	[ "$rc" != 0 ] && [ -n "$j" ] || { res "FAIL: $pre: exit $rc, journal '$j'"; return; }
	j=$d/$j
	rc=0
	"$DFUSIM" run --chip "$chip" "${SIMOPTS[@]}" --flash st --fault "$spec" --log log2 -- \
		"$F" recover --finish >out2 2>&1 || rc=$?
	grep -q -F "fault=$spec" log2 || { res "FAIL: $pre, then $spec never fired"; return; }
	[ "$rc" != 0 ] || { res "FAIL: $pre, then recover --finish under $spec: exit 0"; return; }
	[ -f "$j" ] || { res "FAIL: $pre, then $spec: the journal is gone after the cut finishing run"; return; }
	grep -q -F "$j" out2 || { res "FAIL: $pre, then $spec: the error does not name the journal: $(tail -n 1 out2)"; return; }
	# A wrong message is reported after the data checks, so that it
	# hides no lost byte.
	local wrong=
	if grep -q 'nothing outside the image was erased' out2 && outside_changed st "$base" "$@"; then
		wrong="FAIL: $pre, then recover --finish cut by $spec: says \"nothing outside the image was erased\" but flash outside $img differs from before (the kept bytes are only in the journal now); the third run restored the flash: $(tail -n 1 out2)"
	fi
	rc=0
	"$DFUSIM" run --chip "$chip" "${SIMOPTS[@]}" --flash st --log log3 -- \
		"$F" flash "$T/$img" --no-leave >out3 2>&1 || rc=$?
	[ "$rc" = 0 ] && grep -q -F "finishing it from $j" out3 ||
		{ res "FAIL: $pre, $spec: the third run exited $rc: $(tail -n 2 out3 | tr '\n' ' ')"; return; }
	cmp -s st "$want" ||
		{ res "FAIL: $pre, $spec, then the re-run: the flash is wrong: $(cmp st "$want" 2>&1 | head -n 1)"; return; }
	[ -z "$(ls state 2>/dev/null)" ] ||
		{ res "FAIL: $pre, $spec: left in the state directory: $(ls state)"; return; }
	res "${wrong:-pass}"
}

# Runs the points of a case, JOBS at a time: POINTS lines of "ID MODE SPEC...".
TOTAL=0
FAILED=0
mkdir -p "$T/res" "$T/p"
run_points() {
	local name=$1 chip=$2 img=$3 base=$4 want=$5 list=$6 id mode specs n=0 bad=0 r p
	local pids=() alive
	while read -r id mode specs; do
		while :; do
			alive=0
			for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
			[ "$alive" -lt "$JOBS" ] && break
			wait -n || true
		done
		# shellcheck disable=SC2086
		case $mode in
		cut:*) (point_finish_cut "$id" "$chip" "$img" "$base" "$want" "${mode#cut:}" $specs) & ;;
		*) (point "$id" "$chip" "$img" "$base" "$want" "$mode" $specs) & ;;
		esac
		pids+=($!)
	done <"$list"
	wait "${pids[@]}" || true
	MID=0
	while read -r id mode specs; do
		n=$((n + 1))
		r=$(cat "$T/res/$id" 2>/dev/null || echo "FAIL: no result")
		case $r in
		"pass intermediate") MID=$((MID + 1)) ;;
		pass*) ;;
		*)
			bad=$((bad + 1))
			echo "FAIL: case $name, point $id ($mode): ${r#FAIL: }" >&2
			echo "  in $T/p/$id (E2E_KEEP=1 keeps it)" >&2
			;;
		esac
	done <"$list"
	TOTAL=$((TOTAL + n))
	FAILED=$((FAILED + bad))
	CASE_N=$n
	CASE_BAD=$bad
}

# Case 4 (in the background from the start: it runs at the chip's real
# timing, mostly waiting for the 16 s mass erase): SIGTERM to dfuflash once
# the 5th data block after the mass erase was sent.
sigterm_case() {
	local d=$T/sig rc=0 pid child i j n
	mkdir -p "$d"
	cd "$d"
	export DFUFLASH_STATE_DIR=$d/state
	cp "$T/base767" st
	"$DFUSIM" run --time-scale 1 --chip stm32f767zg --option-bytes nDBANK=0 --flash st \
		--log log1 -- "$F" flash "$T/img767.hex" --no-leave >out1 2>&1 &
	pid=$!
	child=
	for i in $(seq 1 1200); do
		n=$(sed -n '/cmd=MASS_ERASE/,$p' log1 2>/dev/null |
		    grep -c -E '^DNLOAD block=([2-9]|[1-9][0-9]+) ' || true)
		[ "$n" -ge 5 ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	child=$(pgrep -P "$pid" || true)
	[ -n "$child" ] || { echo "FAIL: no dfuflash under dfusim (after $n data blocks)" >sigres; return; }
	kill -TERM "$child"
	wait "$pid" || rc=$?
	[ "$rc" = 143 ] || { echo "FAIL: exit $rc after SIGTERM, expected 143: $(tail -n 2 out1 | tr '\n' ' ')" >sigres; return; }
	grep -q 'interrupted by SIGTERM' out1 || { echo "FAIL: no 'interrupted by SIGTERM': $(tail -n 2 out1)" >sigres; return; }
	n=$(sed -n '/cmd=MASS_ERASE/,$p' log1 | grep -c -E '^DNLOAD block=([2-9]|[1-9][0-9]+) ' || true)
	j=$(ls state/journal-*.dfj 2>/dev/null || true)
	[ -n "$j" ] || { echo "FAIL: no journal after SIGTERM at data block $n after the mass erase" >sigres; return; }
	j=$d/$j
	grep -q -F "$j" out1 || { echo "FAIL: the message does not name the journal: $(tail -n 1 out1)" >sigres; return; }
	! cmp -s st "$T/base767" && ! cmp -s st "$T/want767" ||
		{ echo "FAIL: the flash is not in between after SIGTERM mid-write" >sigres; return; }
	"$F" recover >list 2>&1
	grep -q -F "$j" list && grep -q -F "device 0483:df11 $(journal_chip "$j") serial" list ||
		{ echo "FAIL: dfuflash recover does not list the journal and its device: $(cat list)" >sigres; return; }
	rc=0
	"$DFUSIM" run --chip stm32f767zg --option-bytes nDBANK=0 --flash st -- \
		"$F" flash "$T/img767.hex" --no-leave >out2 2>&1 || rc=$?
	[ "$rc" = 0 ] && grep -q -F "finishing it from $j" out2 ||
		{ echo "FAIL: the re-run exited $rc: $(tail -n 2 out2 | tr '\n' ' ')" >sigres; return; }
	cmp -s st "$T/want767" || { echo "FAIL: the flash is wrong after the re-run: $(cmp st "$T/want767" 2>&1)" >sigres; return; }
	[ -z "$(ls state)" ] || { echo "FAIL: left in the state directory: $(ls state)" >sigres; return; }
	echo "pass (stopped after data block $n of the write)" >sigres
}
case " $CASES " in *" 4 "*) (sigterm_case) & SIGPID=$! ;; *) SIGPID= ;; esac

# points NAME FIRST LAST [EXTRA_FAULT] [FAULTS]: the list of points of a case.
# Odd points finish with `dfuflash recover --finish`, even ones re-run.
points() {
	local name=$1 first=$2 last=$3 extra=$4 faults=$5 n f mode
	for f in $faults; do
		for n in $(seq "$first" "$last"); do
			mode=rerun
			[ $((n % 2)) = 1 ] && mode=finish
			echo "$name-$f-$n $mode $extra $f@dnload:$n"
		done
	done
}

if case " $CASES " in *" 1 "*) true ;; *) false ;; esac; then
	SIMOPTS=(--option-bytes nDBANK=0)
	clean_run 1 stm32f767zg img767.hex "$T/base767" "$T/want767" 0 >"$T/win1"
	read -r first last <"$T/win1"
	grep -q 'cmd=MASS_ERASE' "$T/clean-1/log" || fail "case 1: the clean run did not mass erase"
	points 1 "$first" "$last" "" "powerloss disconnect" >"$T/list1"
	run_points 1 stm32f767zg img767.hex "$T/base767" "$T/want767" "$T/list1"
	[ "$CASE_BAD" = 0 ] || echo "FAIL: case 1: $CASE_BAD of $CASE_N points failed" >&2
	[ "$CASE_BAD" = 0 ] && ok "case 1, F767ZG dual bank, mass erase: power loss and disconnect at each of DNLOAD $first-$last ($CASE_N points, $MID left the flash in between): image in flash, tune and every other byte kept, no journal left"
fi

if case " $CASES " in *" 2 "*) true ;; *) false ;; esac; then
	SIMOPTS=()
	clean_run 2 stm32f407 img407.bin "$T/base407" "$T/want407" 0 >"$T/win2"
	read -r first last <"$T/win2"
	grep -q 'cmd=MASS_ERASE' "$T/clean-2/log" && fail "case 2: the clean run mass erased"
	points 2 "$first" "$last" "" "powerloss disconnect" >"$T/list2"
	run_points 2 stm32f407 img407.bin "$T/base407" "$T/want407" "$T/list2"
	[ "$CASE_BAD" = 0 ] || echo "FAIL: case 2: $CASE_BAD of $CASE_N points failed" >&2
	[ "$CASE_BAD" = 0 ] && ok "case 2, F407 sector 0 and part of sector 1: power loss and disconnect at each of DNLOAD $first-$last ($CASE_N points, $MID left the flash in between): image in flash, every other byte kept, no journal left"
fi

if case " $CASES " in *" 3 "*) true ;; *) false ;; esac; then
	SIMOPTS=()
	clean_run 3 stm32f407 img407.bin "$T/base407" "$T/want407" 2 \
		--fault misdirect@erase:2 >"$T/win3"
	read -r first last <"$T/win3"
	grep -q 'cmd=MASS_ERASE' "$T/clean-3/log" || fail "case 3: the clean run did not recover by mass erase"
	points 3 "$first" "$last" misdirect@erase:2 powerloss >"$T/list3"
	run_points 3 stm32f407 img407.bin "$T/base407" "$T/want407" "$T/list3"
	[ "$CASE_BAD" = 0 ] || echo "FAIL: case 3: $CASE_BAD of $CASE_N points failed" >&2
	[ "$CASE_BAD" = 0 ] && ok "case 3, F407 misdirected erase recovered by mass erase: power loss at each of DNLOAD $first-$last ($CASE_N points, $MID left the flash in between): image in flash, every other byte kept, no journal left"
fi

# The window of a finishing run: the first run cut by PRE, then a clean
# `dfuflash recover --finish` (which must leave WANT); prints FIRST LAST.
finish_window() {
	local name=$1 chip=$2 img=$3 base=$4 want=$5 pre=$6 d=$T/clean-$1 rc=0
	mkdir -p "$d"
	cp "$base" "$d/st"
	(cd "$d" && export DFUFLASH_STATE_DIR=$d/state &&
	 { "$DFUSIM" run --chip "$chip" "${SIMOPTS[@]}" --flash st --fault "$pre" -- \
		"$F" flash "$T/$img" --no-leave >out1 2>&1 || true; } &&
	 "$DFUSIM" run --chip "$chip" "${SIMOPTS[@]}" --flash st --log log -- \
		"$F" recover --finish >out 2>&1) || rc=$?
	[ "$rc" = 0 ] || { cat "$d/out" >&2; fail "case $name: recover --finish after $pre exited $rc"; }
	cmp -s "$d/st" "$want" || fail "case $name: recover --finish after $pre left the wrong flash"
	window "$d/log" 0
}

# Case 5: power cuts in the finishing run itself (recover --finish), every
# DNLOAD of it on the F407 (case 2's job cut mid-write), and its mass erase,
# first blocks, a tune block and last request on the F767ZG (case 1's).
if case " $CASES " in *" 5 "*) true ;; *) false ;; esac; then
	SIMOPTS=()
	finish_window 5a stm32f407 img407.bin "$T/base407" "$T/want407" powerloss@dnload:14 >"$T/win5a"
	read -r first last <"$T/win5a"
	for n in $(seq "$first" "$last"); do
		echo "5a-$n cut:powerloss@dnload:14 powerloss@dnload:$n 0:20480"
	done >"$T/list5a"
	run_points 5a stm32f407 img407.bin "$T/base407" "$T/want407" "$T/list5a"
	n5=$CASE_N bad5=$CASE_BAD
	SIMOPTS=(--option-bytes nDBANK=0)
	finish_window 5b stm32f767zg img767.hex "$T/base767" "$T/want767" powerloss@dnload:30 >"$T/win5b"
	read -r first last <"$T/win5b"
	for n in "$first" $((first + 1)) $((first + 2)) $(((first + last) / 2)) $((last - 1)) "$last"; do
		echo "5b-$n cut:powerloss@dnload:30 powerloss@dnload:$n 0:40960 0x80000:64"
	done >"$T/list5b"
	run_points 5b stm32f767zg img767.hex "$T/base767" "$T/want767" "$T/list5b"
	n5=$((n5 + CASE_N)) bad5=$((bad5 + CASE_BAD))
	[ "$bad5" = 0 ] || echo "FAIL: case 5: $bad5 of $n5 points failed" >&2
	[ "$bad5" = 0 ] && ok "case 5, a power cut in the finishing run (recover --finish): $n5 points on the F407 and the F767ZG: the journal stays, the next run finishes"
fi

if [ -n "$SIGPID" ]; then
	wait "$SIGPID" || true
	TOTAL=$((TOTAL + 1))
	r=$(cat "$T/sig/sigres" 2>/dev/null || echo "FAIL: no result")
	case $r in
	pass*) ok "case 4, F767ZG: SIGTERM mid-write: exit 143 naming the journal, the re-run restores ${r#pass }" ;;
	*) FAILED=$((FAILED + 1)); echo "FAIL: case 4: ${r#FAIL: }" >&2 ;;
	esac
fi

echo "recovery window: $TOTAL fault points tried, $((TOTAL - FAILED)) pass, $FAILED fail ($((SECONDS - START)) s)"
[ "$FAILED" = 0 ] || fail "$FAILED of $TOTAL fault points failed"
