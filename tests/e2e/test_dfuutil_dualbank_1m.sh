# The 1 MB STM32F767ZG in dual-bank mode (nDBANK=0, which FOME requires),
# with unmodified dfu-util and no mass erase: the ROM reports the single-bank
# layout and erases by it, the erase of 0x08080000 never reaches bank 2 (its
# sector 12), and the write over the old bytes there comes out wrong while
# dfu-util exits 0 (ST's STM32Cube_MCU_Overall_Offer issues 11 and 34,
# rusEFI 3566 and 3775).
. "$(dirname "$0")/lib.sh"
need_dfusim
need dfu-util python3

chip=stm32f767zg
size=$((1024 * 1024))
expect_exit 0 sim --chip $chip --flash blank -- true
[ "$(stat -c %s blank)" = "$size" ] || fail "$chip flash is $(stat -c %s blank) bytes, not 1 MiB"

# Old firmware over the first 768K and a tune at 0x080C0000-0x080FFFFF
# (sectors 18-19), all random; the new image: 620K of random bytes.
make_random old.bin 768K
make_random tune.bin 256K
cat old.bin tune.bin >st
cp st before
make_random img.bin 620K
img_size=$(stat -c %s img.bin)

# Where two files differ, as merged address ranges (flash base 0x08000000).
diff_ranges() {
	python3 - "$1" "$2" "$3" <<'PY'
import sys
a = open(sys.argv[1], 'rb').read()
b = open(sys.argv[2], 'rb').read()
n = int(sys.argv[3])
out, start, prev = [], None, None
for i in range(n):
    if a[i] != b[i]:
        if start is None:
            start = i
        prev = i
    elif start is not None and i - prev > 256:
        out.append((start, prev))
        start = None
if start is not None:
    out.append((start, prev))
print(' '.join('0x%08X-0x%08X' % (0x08000000 + s, 0x08000000 + e) for s, e in out))
PY
}

# In dual-bank mode the ROM still reports the single-bank layout.
expect_exit 0 sim --chip $chip --option-bytes nDBANK=0 --flash blank -- dfu-util -l
grep -q 'alt=0, name="@Internal Flash  /0x08000000/04\*032Kg,01\*128Kg,03\*256Kg"' "$T/out" ||
	fail "dfu-util -l does not show the single-bank layout"

rm -f st.optbytes
expect_exit 0 sim --chip $chip --option-bytes nDBANK=0 --flash st -- \
	dfu-util -a 0 -s 0x08000000:leave -D img.bin
grep -q 'File downloaded successfully' "$T/out" || fail "dfu-util did not report success"
ok "dfu-util exits 0 and says 'File downloaded successfully'"

ranges=$(diff_ranges st img.bin "$img_size")
echo "flash differs from the image at: ${ranges:-nowhere}"
[ -n "$ranges" ] || fail "the image came out right: the quirk did not bite"

# Bank 2 (0x08080000 on) holds wrong bytes: exactly old & new, never erased.
python3 - st before img.bin <<'PY' || fail "bank 2 is not the AND of old data and image"
import sys
st, before, img = (open(f, 'rb').read() for f in sys.argv[1:4])
bank2 = 0x80000
wrong = sum(1 for i in range(bank2, len(img)) if st[i] != img[i])
assert wrong > 0, "bank 2 holds the image"
for i in range(bank2, len(img)):
    if st[i] != before[i] & img[i]:
        sys.exit("0x%08X: 0x%02X, not old 0x%02X & new 0x%02X" %
                 (0x08000000 + i, st[i], before[i], img[i]))
print("ok: bank 2 0x08080000-0x%08X: %d of %d bytes wrong (old & new)" %
      (0x08000000 + len(img) - 1, wrong, len(img) - bank2))
PY
# Sectors 0-6 of bank 1 were erased (the single-bank numbers 0-6 the ROM
# used); sector 7 (0x08060000-0x0807FFFF) was not, and is wrong too.
cmp -n $((0x60000)) st img.bin >/dev/null || fail "0x08000000-0x0805FFFF is not the image"
cmp -i $((0x60000)) -n $((0x20000)) st img.bin >/dev/null &&
	fail "0x08060000-0x0807FFFF is right, but the ROM never erased it"
# The tune survived only because the image stops short of it.
cmp -i $((0xC0000)) st before >/dev/null || fail "the tune changed"
ok "dual bank: success reported, yet bank 2 (and bank 1's sector 7) hold old & new"

# The same write after a mass erase is right (and the tune is gone).
cp before st
rm -f st.optbytes
expect_exit 0 sim --chip $chip --option-bytes nDBANK=0 --flash st -- sh -c '
	dfu-util -a 0 -s :mass-erase:force && dfu-util -a 0 -s 0x08000000:leave -D img.bin'
assert_prefix st img.bin
assert_fill st "$img_size" ff
ok "after a mass erase the image is right, and the tune is lost"
