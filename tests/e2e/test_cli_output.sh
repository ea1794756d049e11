# Output people can watch: progress on a pipe and on a terminal (with the
# ticker during a mass erase, which sends no progress for 8 s on an
# STM32F407), the flash map of flash --dry-run, erase --dry-run and info
# --map (rows of known plans, tune regions, write protection, colour only
# on a terminal and never with NO_COLOR), and combined short flags.
. "$(dirname "$0")/lib.sh"
need_dfusim
need script

F=$DFUFLASH
size=$(flash_size stm32f407)
make_random st "$size"
cp st before
make_random fw.bin 20K

says() {
	grep -q -- "$1" "$T/out" || { cat "$T/out" >&2; fail "the output lacks '$1'"; }
}
# row TEXT: one line of $T/out is exactly TEXT.
row() {
	grep -qxF -- "$1" "$T/out" || { cat "$T/out" >&2; fail "no row '$1'"; }
}

# --- progress on a pipe: a mass erase at real speed (8 s on the F407).
expect_exit 0 sim --chip stm32f407 --time-scale 1 --flash st -- "$F" erase --mass
says "dfuflash: mass erase: started; the device reports nothing until it is done (at most 20 s)"
n=$(grep -cE '^dfuflash: mass erase: still erasing after [0-9]+ s \(at most 20 s\)$' "$T/out" || true)
[ "$n" -ge 1 ] || { cat "$T/out" >&2; fail "no 'still erasing after' line during the mass erase"; }
says "dfuflash: erase: 1.0 MiB in "
# The read-back of 1 MiB takes about 4 s: lines while it runs, not only at its end.
grep -qE '^dfuflash: verify: [0-9]+% \([0-9.]+ [KM]iB of 1\.0 MiB, .*\) after [0-9.]+s$' "$T/out" ||
	{ cat "$T/out" >&2; fail "no progress line while the read-back ran"; }
assert_fill st 0 ff
ok "pipe: $n 'still erasing after' lines during the mass erase, lines while verifying"

# The same with --json: progress stays on stderr, stdout one object.
cp before st
expect_exit 0 sim --chip stm32f407 --time-scale 1 --flash st -- sh -c "\"$F\" erase --mass --json >json"
says "still erasing after"
python3 -c 'import json,sys; d=json.load(open("json")); assert d["ok"] and d["sectors_erased"] == 12, d'
ok "--json: progress on stderr, one object on stdout"

# -q: nothing but errors.
cp before st
expect_exit 0 sim --chip stm32f407 --time-scale 0 --flash st -- "$F" erase --mass -q
[ ! -s "$T/out" ] || { cat "$T/out" >&2; fail "-q printed something"; }
ok "-q: silent"

# --- on a terminal: the bar, its text updated during the mass erase
# (dfu-util's form, as the FOME docs write it).
cp before st
script -qec "\"$DFUSIM\" run --chip stm32f407 --time-scale 1 --flash st -- \"$F\" -a 0 -s :mass-erase:force" \
	tty.out >/dev/null || fail "mass erase on a terminal failed: $(tail -c 600 tty.out)"
cp tty.out "$T/out"
says "still erasing after"
grep -q $'\r''erase  \[\.*\]   0% mass erase: still erasing after' tty.out ||
	fail "the bar's text is not updated during the mass erase: $(tail -c 600 tty.out | cat -v)"
grep -q $'\r''erase  \[#*\] 100% 1.0 MiB/1.0 MiB' tty.out || fail "no full erase bar"
ok "terminal: the bar says 'still erasing after' while the mass erase runs"

# --- the flash map of a known plan: 20 KiB at 0x08000000 on an F407.
cp before st
expect_exit 0 sim --time-scale 0 --flash st -- "$F" flash fw.bin --dry-run
row "flash map of Internal Flash: what 'flash fw.bin' would do"
row "  STM32F405/407/415/417, 1024 KiB, single bank"
row "       0  0x08000000    16 KiB  write       16384 bytes of the image"
row "       1  0x08004000    16 KiB  merge       4096 bytes of the image, the other 12288 kept (read, erased, written back)"
row "       2  0x08008000    16 KiB  untouched"
row "       9  0x080A0000   128 KiB  untouched"
row "      10  0x080C0000   128 KiB  tune        FOME tune region, untouched"
row "      11  0x080E0000   128 KiB  tune        FOME tune region, untouched"
row "  1 to write, 1 to merge, 0 erased only, 10 untouched; FOME tune region 0x080C0000-0x080FFFFF (2 sectors); 0 write-protected"
row "dry run: nothing was changed"
[ "$(grep -c $'\033' "$T/out")" = 0 ] || fail "colour on a pipe"
assert_same st before
ok "flash --dry-run: the map's rows"

# --mass-erase: every sector erased, the tune too.
expect_exit 0 sim --time-scale 0 --flash st -- "$F" flash fw.bin --dry-run --mass-erase
row "  STM32F405/407/415/417, 1024 KiB, single bank; MASS ERASE first"
row "       2  0x08008000    16 KiB  erase       wiped by the mass erase"
row "      10  0x080C0000   128 KiB  erase       wiped by the mass erase; FOME tune region, kept"
ok "flash --dry-run --mass-erase"

# erase --dry-run: a whole sector and a range in the tune.
expect_exit 0 sim --time-scale 0 --flash st -- "$F" erase --sector 3 --range 0x080C0000:4K --dry-run
row "flash map: what 'erase --sector 3 --range 0x080C0000:4K' would do"
row "       3  0x0800C000    16 KiB  erase       made blank"
row "      10  0x080C0000   128 KiB  merge       4096 bytes made blank, the other 126976 kept (read, erased, written back); FOME tune region: ERASED"
row "      11  0x080E0000   128 KiB  tune        FOME tune region, untouched"
row "  1 to erase, 1 to merge (partly kept), 10 untouched; FOME tune region 0x080C0000-0x080FFFFF (2 sectors); 0 write-protected"
assert_same st before
ok "erase --dry-run: the map's rows; nothing erased"

# Write protection from the option bytes (nWRP bit 2 cleared: sector 2).
rm -f st.optbytes
expect_exit 0 sim --time-scale 0 --flash st --option-bytes nWRP=0xFFB -- "$F" flash fw.bin --dry-run
row "       2  0x08008000    16 KiB  protected   write-protected (option bytes nWRP bit 2 is 0), untouched"
row "  1 to write, 1 to merge, 0 erased only, 10 untouched; FOME tune region 0x080C0000-0x080FFFFF (2 sectors); 1 write-protected"
rm -f st.optbytes
ok "flash --dry-run: a write-protected sector"

# info --map: the chip as it is.
make_fill blank.bin 16K ff
cp before st
dd if=blank.bin of=st bs=16K seek=2 conv=notrunc status=none
expect_exit 0 sim --time-scale 0 --flash st -- "$F" info --map
row "       1  0x08004000    16 KiB  used"
row "       2  0x08008000    16 KiB  blank"
row "      11  0x080E0000   128 KiB  used        FOME tune region"
row "  1 blank, 11 used; FOME tune region 0x080C0000-0x080FFFFF (2 sectors); 0 write-protected"
ok "info --map"

# The tune regions of the F7 parts: 1 MB dual bank, 2 MB single and dual bank.
make_random st7 1M
expect_exit 0 sim --chip stm32f767zg --option-bytes nDBANK=0 --time-scale 0 --flash st7 -- "$F" info --map
row "  STM32F74x/75x or F76x/77x 1 MB, 1024 KiB, dual bank"
row "      17  0x080A0000   128 KiB  used"
row "      18  0x080C0000   128 KiB  used        FOME tune region"
row "      19  0x080E0000   128 KiB  used        FOME tune region"
make_random st8 2M
expect_exit 0 sim --chip stm32f767 --time-scale 0 --flash st8 -- "$F" info --map
row "       8  0x08100000   256 KiB  used        FOME tune region"
row "       9  0x08140000   256 KiB  used        FOME tune region"
row "      10  0x08180000   256 KiB  used"
rm -f st8.optbytes
expect_exit 0 sim --chip stm32f767 --option-bytes nDBANK=0 --time-scale 0 --flash st8 -- "$F" info --map
row "      15  0x0810C000    16 KiB  used        FOME tune region"
row "      16  0x08110000    64 KiB  used"
ok "F7 tune regions"

# Colour on a terminal, none with NO_COLOR.
script -qec "\"$DFUSIM\" run --time-scale 0 --flash st -- \"$F\" flash fw.bin --dry-run" tty.out >/dev/null
grep -q $'\033\[32mwrite\033\[0m' tty.out || fail "no colour on a terminal: $(cat -v tty.out | head -n 8)"
grep -q $'\033\[36mtune\033\[0m' tty.out || fail "the tune is not coloured"
NO_COLOR=1 script -qec "\"$DFUSIM\" run --time-scale 0 --flash st -- \"$F\" flash fw.bin --dry-run" tty.out >/dev/null
grep -q $'\033\[3' tty.out && fail "colour with NO_COLOR set: $(cat -v tty.out | head -n 8)"
ok "colour on a terminal only, not with NO_COLOR"

# --- combined short flags, ours and dfu-util's.
expect_exit 0 sim --time-scale 0 --flash st -- "$F" -l
cp "$T/out" plain.out
for f in -lv -vl; do
	expect_exit 0 sim --time-scale 0 --flash st -- "$F" $f
	grep -q 'Found DFU: \[0483:df11\]' "$T/out" || fail "$f does not list"
done
expect_exit 0 sim --time-scale 0 --flash st -- "$F" -vv -a 0 -e
says "GETSTATUS"
expect_exit 0 sim --time-scale 0 --flash st -- "$F" read r.bin --address 0x08000000 --length 1K -vv
says "GETSTATUS"
expect_exit 0 sim --time-scale 0 --flash st -- "$F" flash fw.bin -vnq
says "dry run: nothing was changed"
grep -q "^dfuflash:" "$T/out" && fail "-vnq: -q did not hold"
expect_exit 2 "$F" -lz
says "unknown option '-z' in '-lz'"
expect_exit 2 "$F" info -vz
says "unknown option '-z' in '-vz'"
ok "-vv, -lv, -vl, -vnq"
