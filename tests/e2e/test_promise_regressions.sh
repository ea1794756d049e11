# Defects an earlier dfuflash had, one case each, that must stay fixed. Every
# case checks the exit code, the message, and the whole simulated flash
# byte for byte (state_is: the named ranges hold what they should, EVERY
# other byte is as it was before the command).
#
# Each case runs in its own subshell with its own journal directory, so a
# failing case is reported ("FAIL: ...") and the others still run; the
# script fails at the end if any case failed.
. "$(dirname "$0")/lib.sh"
need_dfusim

F=$DFUFLASH

# state_is STATE BEFORE [ADDR:LEN:ff | ADDR:LEN:file=PATH]...
# STATE must equal BEFORE with each named range replaced (0xFF, or the
# first LEN bytes of PATH); addresses are from 0x08000000. Prints where it
# differs and fails.
cat >"$T/state_is.py" <<'PY'
import sys
state, before = sys.argv[1], sys.argv[2]
base = 0x08000000
got = open(state, 'rb').read()
want = bytearray(open(before, 'rb').read())
if len(got) != len(want):
    sys.exit('%s is %d bytes, expected %d' % (state, len(got), len(want)))
for spec in sys.argv[3:]:
    a, n, what = spec.split(':', 2)
    a, n = int(a, 0) - base, int(n, 0)
    if what == 'ff':
        want[a:a + n] = b'\xff' * n
    elif what.startswith('file='):
        data = open(what[5:], 'rb').read()[:n]
        assert len(data) == n, spec
        want[a:a + n] = data
    else:
        sys.exit('bad spec ' + spec)
if got == bytes(want):
    sys.exit(0)
runs, i = [], 0
while i < len(got):
    if got[i] != want[i]:
        j = i
        while j + 1 < len(got) and (got[j + 1] != want[j + 1] or
                                    got[j + 2:j + 34] != want[j + 2:j + 34]):
            j += 1
        runs.append((i, j))
        i = j + 1
    else:
        i += 1
bad = sum(1 for k in range(len(got)) if got[k] != want[k])
desc = ', '.join('0x%08X-0x%08X (first: 0x%02X, expected 0x%02X)' %
                 (base + s, base + e, got[s], want[s]) for s, e in runs[:6])
sys.exit('%s: %d bytes differ from what they should be, in %d run(s): %s%s' %
         (state, bad, len(runs), desc, ' ...' if len(runs) > 6 else ''))
PY
state_is() {
	local why
	why=$(python3 "$T/state_is.py" "$@" 2>&1) || fail "$why"
}

says() {
	grep -q -- "$1" "$T/out" || { cat "$T/out" >&2; fail "the message lacks '$1'"; }
}
says_not() {
	if grep -q -- "$1" "$T/out"; then
		cat "$T/out" >&2
		fail "the message says '$1'"
	fi
}
# expect_fail CMD...: CMD must exit non-zero; its code goes to $code.
expect_fail() {
	code=0
	"$@" >"$T/out" 2>&1 || code=$?
	if [ "$code" = 0 ]; then
		tail -n 40 "$T/out" >&2
		fail "exit 0, expected a failure: $*"
	fi
}

failed=()
# run_case NAME FUNCTION: the function in a subshell of its own (set -e on),
# in its own directory with its own journals.
run_case() {
	local name=$1 rc=0
	mkdir -p "$T/$2"
	set +e
	(
		set -e
		cd "$T/$2"
		export DFUFLASH_STATE_DIR="$T/$2/state"
		"$2"
	)
	rc=$?
	set -e
	if [ "$rc" != 0 ]; then
		echo "FAIL in case: $name" >&2
		failed+=("$name")
	fi
}

f767db() {
	sim --time-scale 0 --chip stm32f767 --option-bytes nDBANK=0 "$@"
}
f407() {
	sim --time-scale 0 --chip stm32f407 "$@"
}

# 1. Dual-bank F767: erase works on the true map. Before: --range at bank 2
# wiped 0x08080000-0x0809FFFF (bank 1, by the ROM's map), left bank 2 as it
# was, and said "erased", exit 0.
case_dualbank_erase() {
	make_random st 2M
	cp st before
	expect_exit 0 f767db --flash st -- "$F" erase --range 0x08100000:0x4000
	state_is st before 0x08100000:0x4000:ff
	cp "$T/out" bank2-range.out
	cp st before
	expect_exit 0 f767db --flash st -- "$F" erase --range 0x08008000:0x4000
	state_is st before 0x08008000:0x4000:ff
	says "erased sector 2 (16.0 KiB made blank)"
	expect_exit 0 f767db --flash st -- "$F" erase --range 0x08000000:0x200000
	state_is st before 0x08000000:0x200000:ff
	says "erased sectors 0-23 (2048.0 KiB made blank)"
	# --sector 12 is bank 2's first sector (16 KiB at 0x08100000): not
	# refused, erased, and nothing else.
	make_random st 2M
	cp st before
	expect_exit 0 f767db --flash st -- "$F" erase --sector 12
	state_is st before 0x08100000:0x4000:ff
	# info: sectors 0-23 with the dual-bank sizes.
	expect_exit 0 f767db --flash st -- "$F" info
	python3 - "$T/out" <<'PY' || fail "info does not show the dual-bank map 0-23"
import re, sys
# the flash map's rows: "  sector  address  size  holds"
rows = re.findall(r'^\s+(\d+)\s+0x([0-9A-F]{8})\s+(\d+) KiB', open(sys.argv[1]).read(), re.M)
bank = [16] * 4 + [64] + [128] * 7
want, a = [], 0x08000000
for n, size in enumerate(bank + bank):
    want.append((str(n), '%08X' % a, str(size)))
    a += size * 1024
assert rows == want, rows
PY
	state_is st before 0x08100000:0x4000:ff
	# A sector that does not exist in the mode: refused (exit 8) with the
	# valid ones; nothing changed.
	make_random zg 1M
	cp zg zg.before
	expect_exit 8 sim --time-scale 0 --chip stm32f767zg --option-bytes nDBANK=0 --flash zg -- \
		"$F" erase --sector 8
	says "sector 8 does not exist"
	says "0-7, 12-19"
	state_is zg zg.before
	expect_exit 8 f767db --flash st -- "$F" erase --sector 24
	says "0-23"
	state_is st before 0x08100000:0x4000:ff
	# erase's output names the real sectors and sizes: what the user asked
	# for is bank 2's sector 12, 16 KiB (how it got there, a whole-flash
	# mass erase and write-back, is what the warning says).
	cp bank2-range.out "$T/out"
	grep -Eq 'erased sectors? (12|[0-9, -]*, 12)\b' "$T/out" ||
		fail "erase --range 0x08100000:0x4000 does not name sector 12 as erased: $(grep 'dfuflash: erased' "$T/out")"
	says "16.0 KiB"
	ok "dual-bank F767: erase --range/--sector on the true map, info 0-23, unknown sectors refused"
}

# 2. F407, the ROM's first sector erase goes to the sector before (misdirect):
# erase --sector 2-3 must not say "erased" with exit 0 while sector 2 holds
# data. Recovered; sector 1 (outside the request) was wiped before anything
# could keep it: exit 5 naming it.
case_misdirect_erase() {
	make_random st 1M
	cp st before
	expect_exit 5 f407 --flash st --fault misdirect@erase:1 -- "$F" erase --sector 2-3
	says "sector 1 (0x08004000-0x08007FFF)"
	says "lost"
	says_not "dfuflash: erased"
	state_is st before 0x08008000:0x8000:ff 0x08004000:0x4000:ff
	ok "misdirected erase during erase --sector 2-3: exit 5 naming sector 1"
}

# 3. F407: a misdirected erase (recovered by a mass erase) and then a
# disconnect in the write-back; the re-run finishes: the image in place,
# 0x08095800-0x080FFFFF (where the write stopped, tune included) and every
# other byte as before.
case_misdirect_then_disconnect() {
	make_random st 1M
	cp st before
	make_random b64k.bin 64K
	expect_fail f407 --flash st --fault misdirect@erase:2 --fault disconnect@write:300 -- \
		"$F" flash b64k.bin --address 0x08004000
	says "still held data"
	says "disconnected"
	expect_exit 0 f407 --flash st -- "$F" flash b64k.bin --address 0x08004000
	says "verified"
	state_is st before 0x08004000:0x10000:file=b64k.bin
	ok "misdirect + disconnect in the write-back (exit $code), re-run restores everything"
}

# 4. F407: errWRITE in the 5th write block of an image covering half of
# sector 0; the re-run restores the kept half.
case_errwrite_rerun() {
	make_random st 1M
	cp st before
	make_random small.bin 8K
	expect_fail f407 --flash st --fault status=errWRITE@write:5 -- "$F" flash small.bin
	says "errWRITE"
	expect_exit 0 f407 --flash st -- "$F" flash small.bin
	state_is st before 0x08000000:0x2000:file=small.bin
	ok "errWRITE in sector 0 (exit $code), re-run keeps its other half"
}

# 5. Dual-bank F767, an image reaching bank 2 (so: read everything, mass
# erase, write back): power lost during the mass erase; the re-run leaves
# bank 1 (and the tune in it) and bank 2 as they were, the image in place.
case_powerloss_masserase() {
	make_random st 2M
	cp st before
	make_random b64k.bin 64K
	expect_fail f767db --flash st --fault powerloss@masserase -- \
		"$F" flash b64k.bin --address 0x080F8000
	says "mass erase"
	cmp -s st before && fail "the power loss changed nothing: the fault did not fire"
	expect_exit 0 f767db --flash st -- "$F" flash b64k.bin --address 0x080F8000
	state_is st before 0x080F8000:0x10000:file=b64k.bin
	ok "power loss in the mass erase (exit $code), re-run restores both banks"
}

# 5b. (Not in the original list, same promise as 2 and 7.) F407: the
# misdirected erase wipes sector 1 (outside the image), then power is lost
# in the recovery's mass erase. The re-run finishes the job from the
# journal; sector 1's bytes are gone for good, and some run must say so
# (as case 7 does without the power loss).
case_misdirect_powerloss() {
	make_random st 1M
	cp st before
	make_random b16k.bin 16K
	expect_fail f407 --flash st --fault misdirect@erase:1 --fault powerloss@masserase -- \
		"$F" flash b16k.bin --address 0x08008000
	cp "$T/out" first.out
	says "still held data"
	code1=$code
	code=0
	f407 --flash st -- "$F" flash b16k.bin --address 0x08008000 >"$T/out" 2>&1 || code=$?
	cat first.out "$T/out" >both.out
	state_is st before 0x08008000:0x4000:file=b16k.bin 0x08004000:0x4000:ff
	if ! grep -q "lost" both.out || ! grep -q "sector 1 (0x08004000" both.out; then
		cat both.out >&2
		fail "sector 1 (0x08004000-0x08007FFF) was wiped by the misdirected erase and is blank now, but neither run names it as lost (exit $code1, then $code)"
	fi
	ok "misdirect + power loss in the recovery: the lost sector is named"
}

# 6. Dual-bank F767, one stalled option-byte read: retried, flashed on the
# TRUE map (before: the ROM's map, and 128 KiB of bank-1 firmware erased).
# The option bytes never readable: refused, nothing changed.
case_optionbyte_read() {
	make_random st 2M
	cp st before
	make_random b64k.bin 64K
	# 0x08040000: the ROM's map has a 256 KiB sector there, the true map
	# 128 KiB; the image covers half of the true one.
	expect_exit 0 f767db --flash st --fault stall@upload:1 -- \
		"$F" flash b64k.bin --address 0x08040000
	says "verified"
	state_is st before 0x08040000:0x10000:file=b64k.bin
	cp st before
	make_random b16k.bin 16K
	local fault
	for fault in stall@upload,repeat "status=errTARGET@addr:0x1FFF0000,repeat"; do
		expect_fail f767db --flash st --fault "$fault" -- "$F" flash b16k.bin --address 0x08008000
		says "nDBANK"
		says_not "verified"
		state_is st before
	done
	ok "option-byte read: one stall retried (true map), always failing refused (exit $code)"
}

# 7. F407, the first sector erase misdirected while flashing 16 KiB at
# 0x08008000 (sector 2): exit 5 naming sector 1 as lost (not exit 0 with a
# hedged warning); the image in place, every other byte as before.
case_misdirect_flash() {
	make_random st 1M
	cp st before
	make_random b16k.bin 16K
	expect_exit 5 f407 --flash st --fault misdirect@erase:1 -- \
		"$F" flash b16k.bin --address 0x08008000
	says "sector 1 (0x08004000-0x08007FFF)"
	says "lost"
	state_is st before 0x08008000:0x4000:file=b16k.bin 0x08004000:0x4000:ff
	ok "misdirected erase during flash: exit 5 naming sector 1"
}

# 8. An empty .bin and a .hex with only the EOF record: refused, nothing
# changed, never "verified".
case_empty_images() {
	make_random st 1M
	cp st before
	: >empty.bin
	printf ':00000001FF\n' >eof.hex
	local f
	for f in empty.bin eof.hex; do
		expect_fail f407 --flash st -- "$F" flash "$f"
		says_not "verified"
		state_is st before
		expect_fail f407 --flash st -- "$F" -a 0 -s 0x08000000:leave -D "$f"
		says_not "verified"
		state_is st before
		expect_fail f407 --flash st -- "$F" verify "$f"
		says_not "verified"
		state_is st before
	done
	ok "empty images refused (exit $code), nothing changed"
}

# 9. option-bytes --set RDP=3: refused (not a level), STATE.optbytes
# unchanged; RDP=1 works and changes only the RDP byte (and its
# complement).
case_rdp_value() {
	make_random st 1M
	cp st before
	expect_exit 0 f407 --flash st -- true
	cp st.optbytes ob.before
	expect_exit 8 f407 --flash st -- "$F" option-bytes --set RDP=3 --yes
	says "RDP=0x3 is no read-protection level"
	cmp -s st.optbytes ob.before || fail "RDP=3 changed st.optbytes: $(xxd -p st.optbytes)"
	state_is st before
	expect_exit 0 f407 --flash st -- "$F" option-bytes --set RDP=1 --yes
	says "read back as asked"
	python3 - st.optbytes ob.before <<'PY' || fail "RDP=1: st.optbytes is $(xxd -p st.optbytes)"
import sys
got, was = open(sys.argv[1], 'rb').read(), bytearray(open(sys.argv[2], 'rb').read())
was[1], was[3] = 0xBB, 0x44
assert got == bytes(was)
PY
	state_is st before
	ok "RDP=3 refused, RDP=1 set"
}

# 10. A write-protected sector and erase: refused like flash refuses it
# (same exit code, nWRP named), nothing changed.
case_wrp_erase() {
	make_random st 1M
	cp st before
	make_random fw.bin 20K
	expect_fail f407 --flash st --option-bytes nWRP=0xFFD -- "$F" flash fw.bin
	local flash_code=$code
	cp st.optbytes ob.before
	state_is st before
	expect_exit "$flash_code" f407 --flash st --option-bytes nWRP=0xFFD -- "$F" erase --sector 1
	says "sector 1 (0x08004000) is write-protected"
	says "nWRP"
	says "nothing was erased"
	cmp -s st.optbytes ob.before || fail "erase changed st.optbytes"
	state_is st before
	ok "write-protected erase --sector 1 refused like flash (exit $flash_code)"
}

# 11. flash --json on a failure: one JSON object on stdout, "ok":false.
case_json_failure() {
	make_random st 1M
	cp st before
	make_random fw.bin 20K
	local fault
	for fault in disconnect@write:3 misdirect@erase:1; do
		code=0
		f407 --flash st --fault "$fault" -- "$F" flash fw.bin --address 0x08008000 --json \
			>json.out 2>"$T/out" || code=$?
		[ "$code" != 0 ] || fail "$fault: flash --json exited 0"
		python3 - json.out "$code" <<'PY' || fail "$fault: stdout is not one JSON object with ok false: $(cat json.out)"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
d = json.loads(lines[0])
assert d['ok'] is False and d['command'] == 'flash', d
assert d['exit'] == int(sys.argv[2]) and d['message'], d
PY
		rm -rf "$DFUFLASH_STATE_DIR"
		cp before st
	done
	ok "flash --json failures: one object, ok false"
}

run_case "1 dual-bank erase" case_dualbank_erase
run_case "2 misdirect erase --sector 2-3" case_misdirect_erase
run_case "3 misdirect + disconnect, re-run" case_misdirect_then_disconnect
run_case "4 errWRITE, re-run" case_errwrite_rerun
run_case "5 power loss in the mass erase, re-run" case_powerloss_masserase
run_case "5b misdirect + power loss: the lost sector named" case_misdirect_powerloss
run_case "6 option-byte read" case_optionbyte_read
run_case "7 misdirect during flash" case_misdirect_flash
run_case "8 empty images" case_empty_images
run_case "9 RDP=3" case_rdp_value
run_case "10 write-protected erase" case_wrp_erase
run_case "11 flash --json failure" case_json_failure

if [ "${#failed[@]}" != 0 ]; then
	printf 'FAIL: %s\n' "${failed[@]}" >&2
	exit 1
fi
