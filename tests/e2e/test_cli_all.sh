# --all: one job on every DFU-mode device at once (dfusim --devices 4,
# state files st, st.2, st.3, st.4; serials 3276386F3334, ...3301, ...3302,
# ...3303). Each device ends as it would alone (image written, kept bytes
# kept, verified), one device's failure does not stop the others, and the
# exit code is the worst failure's.
. "$(dirname "$0")/lib.sh"
need_dfusim

F=$DFUFLASH
SERIALS="3276386F3334 3276386F3301 3276386F3302 3276386F3303"
STATES="st st.2 st.3 st.4"
size=$(flash_size stm32f407)
# 40 KiB: sectors 0-1 written, sector 2 (32K-48K) partly, so its other
# 8 KiB are kept; the rest of flash is not touched.
make_random fw.bin 40K
img=$((40 * 1024))

fresh() {
	local s
	rm -f st st.* ./*.before
	for s in $STATES; do
		make_random "$s" "$size"
		cp "$s" "$s.before"
	done
}
# The state file holds the image and, after it, every byte it had.
holds_image() {
	assert_prefix "$1" fw.bin
	cmp -s <(tail -c +$((img + 1)) "$1") <(tail -c +$((img + 1)) "$1.before") ||
		fail "$1: bytes after the image changed"
}
devs() {
	sim --devices 4 --serial 3276386F3334 --flash st "$@"
}
# json_devices FILE PY-EXPR: stdout is one JSON object d whose "devices"
# list dd makes PY-EXPR true.
json_devices() {
	python3 - "$1" "$2" <<'PY' || { cat "$1" >&2; fail "JSON check: $2"; }
import json, sys
lines = [l for l in open(sys.argv[1]).read().splitlines() if l.strip()]
assert len(lines) == 1, "not one line: %r" % lines
d = json.loads(lines[0])
dd = d["devices"]
assert eval("(" + sys.argv[2] + ")"), d
PY
}

# Flash all four at once: each holds the image and its kept bytes; the
# summary names every serial.
fresh
expect_exit 0 devs -- "$F" flash fw.bin --all
for s in $STATES; do
	holds_image "$s"
done
for sn in $SERIALS; do
	grep -q "^  $sn .* ok " "$T/out" || fail "summary lacks $sn ok: $(tail -n 8 "$T/out")"
done
grep -q "4 succeeded, 0 failed" "$T/out" || fail "no summary line"
ok "flash --all: four devices, each holds the image and its kept bytes"

# Progress lines on a pipe are whole lines, each labelled by its device.
grep 'dfuflash: 3276386F33[0-9][0-9]: write: ' "$T/out" >writes || true
[ "$(wc -l <writes)" = 4 ] || fail "not one write line per device: $(cat writes)"
ok "one labelled progress line per phase and device"

# --json: one object with one entry per device.
fresh
devs -- "$F" flash fw.bin --all --json >json 2>err || fail "flash --all --json: $(tail -n 5 err)"
json_devices json 'd["ok"] and d["command"] == "flash" and len(dd) == 4 and
	sorted(x["serial"] for x in dd) == sorted("'"$SERIALS"'".split()) and
	all(x["ok"] and x["exit"] == 0 and x["verified"] and x["bytes_written"] >= 40960 for x in dd)
	and d["succeeded"] == 4 and d["failed"] == 0'
for s in $STATES; do
	holds_image "$s"
done
ok "flash --all --json: four objects"

# One device fails, the others succeed. dfusim applies --fault to every
# device, so the failure is put in device 3's own state: its option bytes
# (st.3.optbytes) say read protection level 1. That device exits 7
# (PROTECTED), the others flash, and the exit code is 7.
fresh
sim --flash prot --option-bytes RDP=0xBB -- true
cp prot.optbytes st.3.optbytes
devs -- "$F" flash fw.bin --all --json >json 2>err && fail "a protected device did not fail"
code=0
devs -- "$F" flash fw.bin --all >out 2>&1 || code=$?
[ "$code" = 7 ] || fail "exit $code, expected 7: $(tail -n 8 out)"
json_devices json 'not d["ok"] and d["exit"] == 7 and d["failed"] == 1 and len(dd) == 4 and
	[x["serial"] for x in dd if not x["ok"]] == ["3276386F3302"] and
	[x["error"] for x in dd if not x["ok"]] == ["PROTECTED"] and
	all(x["ok"] for x in dd if x["serial"] != "3276386F3302")'
for s in st st.2 st.4; do
	holds_image "$s"
done
assert_same st.3 st.3.before
grep -q "3276386F3302.*FAILED PROTECTED (7)" out || fail "summary: $(tail -n 6 out)"
grep -q "1 of 4 devices failed: 3276386F3302 (PROTECTED)" out || fail "no final message"
ok "one protected device fails (exit 7), the other three are flashed"

# The worst failure decides the exit code: three devices that differ from
# the file (6) are worse than one that cannot be read (7).
make_random other.bin 40K
expect_exit 6 devs -- "$F" verify other.bin --all
grep -q "4 of 4 devices failed" "$T/out" || fail "$(tail -n 3 "$T/out")"
rm -f st.3.optbytes
ok "exit code of the worst failure"

# read --all: one file per serial, each equal to its state file.
fresh
expect_exit 0 devs -- "$F" read dump.bin --whole --all
set -- $STATES
for sn in $SERIALS; do
	[ -f "dump-$sn.bin" ] || fail "no dump-$sn.bin"
	assert_same "dump-$sn.bin" "$1"
	shift
done
# The names are checked before any device is read: nothing is overwritten.
expect_exit 8 devs -- "$F" read dump.bin --whole --all
grep -q "dump-3276386F3334.bin exists" "$T/out" || fail "$(tail -n 3 "$T/out")"
ok "read --all --whole: dump-SERIAL.bin per device, equal to its flash"

# read --all means devices; the whole memory is --whole.
expect_exit 2 "$F" read dump2.bin --all
grep -q -- "--whole" "$T/out" || fail "no pointer to --whole: $(cat "$T/out")"
ok "read --all without a span points to --whole"

# erase --all --sector 1: 0x08004000-0x08007FFF blank on each, the rest kept.
fresh
expect_exit 0 devs -- "$F" erase --all --sector 1
for s in $STATES; do
	cmp -s <(head -c 16384 "$s") <(head -c 16384 "$s.before") || fail "$s: sector 0 changed"
	cmp -s <(tail -c +32769 "$s") <(tail -c +32769 "$s.before") || fail "$s: sectors 2- changed"
	head -c 32768 "$s" | tail -c 16384 >sector1
	assert_fill sector1 0 ff
done
ok "erase --all --sector 1"

# verify --all and option-bytes --all.
fresh
expect_exit 0 devs -- sh -c "\"$F\" flash fw.bin --all --no-leave -q &&
	\"$F\" verify fw.bin --all --json >vjson && \"$F\" option-bytes --all --json >objson"
json_devices vjson 'd["ok"] and len(dd) == 4 and all(x["verified"] for x in dd)'
json_devices objson 'd["ok"] and len(dd) == 4 and
	all(x["option_bytes"]["rdp_level"] == 0 for x in dd)'
ok "verify --all, option-bytes --all"

# No device in DFU mode: the bootloader hint, exit 3.
expect_exit 3 "$F" flash fw.bin --all
grep -q "no DFU device found: put the ECUs in bootloader mode" "$T/out" ||
	fail "$(cat "$T/out")"
ok "no device: how to put the ECUs in bootloader mode"
