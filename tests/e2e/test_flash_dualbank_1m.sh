# The 1 MB STM32F767ZG in dual-bank mode (nDBANK=0, which FOME requires),
# with dfuflash: the same start as test_dfuutil_dualbank_1m (old firmware and
# a tune at 0x080C0000-0x080FFFFF, all random) and the same 620K image at
# 0x08000000, which reaches into bank 2 (0x08080000, sector 12) that the
# ROM's sector erase never reaches. dfuflash must write the image exactly,
# keep the tune (sectors 18-19) byte for byte, and change no other byte
# outside the image -- where dfu-util reports success over wrong bytes.
. "$(dirname "$0")/lib.sh"
need_dfusim
need python3

F=$DFUFLASH
chip=stm32f767zg
size=$((1024 * 1024))

make_random old.bin 768K
make_random tune.bin 256K
cat old.bin tune.bin >st
cp st before
make_random img.bin 620K
img_size=$(stat -c %s img.bin)

# What the flash must hold: the old bytes with the image over them.
python3 - before img.bin want <<'PY'
import sys
prev = bytearray(open(sys.argv[1], 'rb').read())
img = open(sys.argv[2], 'rb').read()
prev[:len(img)] = img
open(sys.argv[3], 'wb').write(prev)
PY

# Which bytes of the flash differ from what they must be, as ranges, and
# which part of the flash each range is in.
show_diff() {
	python3 - st want before "$img_size" <<'PY'
import sys
st, want, before = (open(f, 'rb').read() for f in sys.argv[1:4])
n = int(sys.argv[4])
out, start, prev = [], None, None
for i in range(len(want)):
    if st[i] != want[i]:
        if start is None:
            start = i
        prev = i
    elif start is not None and i - prev > 256:
        out.append((start, prev))
        start = None
if start is not None:
    out.append((start, prev))
def where(s, e):
    if e < n:
        return "in the image"
    if s >= 0xC0000:
        return "in the tune"
    if s >= n:
        return "outside the image"
    return "across the image's end"
for s, e in out:
    bad = sum(1 for i in range(s, e + 1) if st[i] != want[i])
    print("  0x%08X-0x%08X %s: %d bytes differ (e.g. 0x%08X is 0x%02X, want 0x%02X, was 0x%02X)"
          % (0x08000000 + s, 0x08000000 + e, where(s, e), bad, 0x08000000 + s,
             st[s], want[s], before[s]))
PY
}

rm -f st.optbytes
got=0
sim --chip $chip --option-bytes nDBANK=0 --flash st -- "$F" flash img.bin >"$T/out" 2>&1 || got=$?
if [ "$got" != 0 ] || ! cmp -s st want; then
	echo "--- dfuflash flash img.bin (exit $got) printed:" >&2
	cat "$T/out" >&2
	echo "--- flash bytes that are wrong:" >&2
	show_diff >&2
fi
[ "$got" = 0 ] || fail "dfuflash flash img.bin exited $got"
cmp -n "$img_size" st img.bin >/dev/null ||
	fail "the image range is wrong: $(cmp -n "$img_size" st img.bin 2>&1 | head -n 1)"
ok "the image is exact, bank 2's part (0x08080000-0x$(printf '%08X' $((0x08000000 + img_size - 1)))) too"
cmp -i $((0xC0000)) st before >/dev/null ||
	fail "the tune (0x080C0000-0x080FFFFF, sectors 18-19) changed"
ok "the tune at 0x080C0000-0x080FFFFF is kept byte for byte"
assert_same st want
ok "every byte outside the image is unchanged"
