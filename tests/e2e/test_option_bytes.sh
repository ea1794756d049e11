# dfuflash option-bytes against dfusim: shown decoded on every chip; set
# with the chip's reset and a read-back; nDBANK=0 makes `info` show the
# dual-bank map; a bad BOOT_ADD0 is repaired; RDP level 2 is refused without
# --permanently-lock-chip; RDP level 1 blocks flashing (exit 7) until
# unprotect; a change the chip does not take fails the command.
. "$(dirname "$0")/lib.sh"
need_dfusim
need python3

F=$DFUFLASH
says() {
	grep -q -- "$1" "$T/out" || { cat "$T/out" >&2; fail "the output lacks '$1'"; }
}

# Shown on each chip with option bytes, as text and as JSON.
for c in stm32f405:STM32F405/407 stm32f407:STM32F405/407 stm32f429:STM32F42x/43x \
	 stm32f746:STM32F74x/76x/77x stm32f767:STM32F74x/76x/77x stm32h743:STM32H74x/75x; do
	chip=${c%%:*}
	family=${c#*:}
	rm -f show show.optbytes
	expect_exit 0 sim --chip "$chip" --flash show -- "$F" option-bytes
	says "option bytes  $family"
	says "RDP          0xAA    level 0: no read protection"
	says "nWRP "
	expect_exit 0 sim --chip "$chip" --flash show -- "$F" option-bytes --json
	python3 - "$T/out" "$family" "$(xxd -p show.optbytes | tr -d '\n')" <<'PY' ||
import json, sys
line = [l for l in open(sys.argv[1]) if l.startswith('{')][0]
r = json.loads(line)
assert r["family"] == sys.argv[2], r["family"]
assert r["rdp_level"] == 0 and r["raw"] == sys.argv[3], r
names = [f["name"] for f in r["fields"]]
assert "RDP" in names and "BOR_LEV" in names and "nWRP" in names, names
PY
		fail "$chip: option-bytes --json"
done
ok "shown on every chip"
expect_exit 8 sim --chip generic-dfu11 -- "$F" option-bytes
says "no \"Option Bytes\" alternate setting"
ok "a device without option bytes is refused"

# nDBANK=0 on an F767: the chip resets, comes back, reads dual bank; info
# shows the dual-bank map; the state file holds the new byte.
rm -f st st.optbytes
expect_exit 0 sim --chip stm32f767 --flash st -- "$F" info
says "      11  0x081C0000   256 KiB"
[ "$(byte_at st.optbytes 9)" = ff ] || fail "factory nDBANK is not 1"
cp st.optbytes before.optbytes
expect_exit 0 sim --chip stm32f767 --flash st -- "$F" option-bytes --set nDBANK=0 --yes
says "nDBANK: 1 -> 0: dual bank"
says "sector map changes"
says "the chip resets"
says "nDBANK       0       dual bank"
says "read back as asked (1 change)"
[ "$(byte_at st.optbytes 9)" = df ] || fail "nDBANK not cleared in st.optbytes"
[ "$(byte_at st.optbytes 11)" = 20 ] || fail "the complement of byte 9 is not 0x20"
cmp -s before.optbytes st.optbytes && fail "st.optbytes did not change"
expect_exit 0 sim --chip stm32f767 --flash st -- "$F" info
says "      12  0x08100000    16 KiB"
says "      23  0x081E0000   128 KiB"
says "nDBANK       0"
ok "nDBANK=0: dual-bank map, state file changed"

# The way back, on the same chip.
expect_exit 0 sim --chip stm32f767 --flash st -- "$F" option-bytes --set ndbank=1 -y
[ "$(byte_at st.optbytes 9)" = ff ] || fail "nDBANK not set back"
ok "nDBANK=1 again"

# A board left with a bad BOOT_ADD0 (the rusEFI report): shown as such,
# repaired, complements right.
rm -f bad bad.optbytes
expect_exit 0 sim --chip stm32f767 --flash bad -o BOOT_ADD0=0x4000 -- true
expect_exit 0 sim --chip stm32f767 --flash bad -- "$F" option-bytes
says "BOOT_ADD0    0x4000  boots at 0x10000000 when BOOT0 is low: NO MEMORY THERE"
expect_exit 0 sim --chip stm32f767 --flash bad -- "$F" option-bytes --set BOOT_ADD0=0x0080 --yes
says "BOOT_ADD0: 0x4000 -> 0x0080: boots at 0x00200000 (flash through ITCM"
[ "$(xxd -s 16 -l 4 -p bad.optbytes)" = 80007fff ] || fail "BOOT_ADD0 word is $(xxd -s 16 -l 4 -p bad.optbytes)"
ok "bad BOOT_ADD0 repaired"

# RDP level 2 is refused without the flag that names the consequence, and
# nothing is written; without --yes (no terminal) nothing is written either.
cp st.optbytes before.optbytes
expect_exit 2 sim --chip stm32f767 --flash st -- "$F" option-bytes --set RDP=0xCC --yes
says "refusing RDP level 2"
says "--permanently-lock-chip"
assert_same before.optbytes st.optbytes
expect_exit 2 sim --chip stm32f767 --flash st -- "$F" option-bytes --set RDP=2 --yes
assert_same before.optbytes st.optbytes
expect_exit 2 sim --chip stm32f767 --flash st -- "$F" option-bytes --set BOR_LEV=1 </dev/null
says "without --yes"
assert_same before.optbytes st.optbytes
ok "RDP level 2 and writes without --yes refused, option bytes unchanged"

# Bad names and values: refused before anything is written.
expect_exit 8 sim --chip stm32f767 --flash st -- "$F" option-bytes --set NOPE=1 --yes
says "nDBANK"
expect_exit 8 sim --chip stm32f767 --flash st -- "$F" option-bytes --set BOR_LEV=9 --yes
says "at most 0x3"
expect_exit 8 sim --chip stm32f405 -- "$F" option-bytes --set nDBANK=0 --yes
assert_same before.optbytes st.optbytes
ok "unknown fields and values out of range refused"

# A change the chip does not take (an F746 has no dual bank: nDBANK reads
# 1 whatever is written) fails with the field named.
expect_exit 6 sim --chip stm32f746 -- "$F" option-bytes --set nDBANK=0 --yes
says "nDBANK at 0x1FFF0008 reads 0x1 after the write, expected 0x0"
ok "a read-back that differs fails (exit 6)"

# RDP level 1: warned, written; then flashing fails with the read
# protection message (exit 7) and unprotect --force recovers.
make_random fw.bin 8K
expect_exit 0 sim --chip stm32f767 --flash st -- "$F" option-bytes --set RDP=1 --yes
says "cannot be read"
says "wipes the whole flash"
[ "$(byte_at st.optbytes 1)" = bb ] || fail "RDP byte is $(byte_at st.optbytes 1)"
expect_exit 7 sim --chip stm32f767 --flash st -- "$F" flash fw.bin
says "read protection"
expect_exit 0 sim --chip stm32f767 --flash st -- "$F" unprotect --force
[ "$(byte_at st.optbytes 1)" = aa ] || fail "unprotect left RDP $(byte_at st.optbytes 1)"
expect_exit 0 sim --chip stm32f767 --flash st -- "$F" flash fw.bin
assert_prefix st fw.bin
ok "RDP level 1 blocks flashing (exit 7); unprotect recovers"

# Lowering RDP from level 1 through the option bytes: warned that the chip
# mass-erases first; afterwards level 0 and a blank flash.
expect_exit 0 sim --chip stm32f767 --flash st -- "$F" option-bytes --set RDP=1 --yes
expect_exit 0 sim --chip stm32f767 --flash st -- "$F" option-bytes --set RDP=0 --yes --json
says "mass-erase the whole flash"
python3 - "$T/out" <<'PY' || fail "option-bytes --set --json is not the read-back as JSON"
import json, sys
line = [l for l in open(sys.argv[1]) if l.startswith('{')][0]
r = json.loads(line)
assert r["rdp_level"] == 0, r
assert [f["value"] for f in r["fields"] if f["name"] == "RDP"] == [0xAA], r
PY
[ "$(byte_at st.optbytes 1)" = aa ] || fail "RDP not back to 0xAA"
assert_fill st 0 ff
ok "RDP 1 -> 0: warned, flash wiped, --json result"

# F42x: the second area (sectors 12-23) is written on its own.
rm -f f4 f4.optbytes
expect_exit 0 sim --chip stm32f429 --flash f4 -- "$F" option-bytes --set nWRP2=0xFFE --set BFB2=1 --yes
says "nWRP2        0xFFE   write-protected sectors: 12"
[ "$(xxd -s 24 -l 4 -p f4.optbytes)" = feff0100 ] || fail "F429 area 2 is $(xxd -s 24 -l 4 -p f4.optbytes)"
[ "$(byte_at f4.optbytes 0)" = ff ] || fail "BFB2 not set"
ok "F429 both areas"

# H7: the _PRG registers are programmed and come back in force.
rm -f h7 h7.optbytes
expect_exit 0 sim --chip stm32h743 --flash h7 -- "$F" option-bytes --set BOOT_ADD0=0x0810 --yes
says "BOOT_ADD0    0x0810  boots at 0x08100000"
[ "$(xxd -s 36 -l 4 -p h7.optbytes)" = 1008f01f ] || fail "H7 BOOT_CUR is $(xxd -s 36 -l 4 -p h7.optbytes)"
ok "H7 BOOT_ADD0"

# RDP level 2 with the flag: written, and the chip is gone for good.
rm -f lock lock.optbytes
expect_exit 0 sim --chip stm32f405 --flash lock -- "$F" option-bytes --set RDP=2 --yes \
	--permanently-lock-chip
says "locked for good"
[ "$(byte_at lock.optbytes 1)" = cc ] || fail "RDP level 2 not written"
ok "RDP level 2 with --permanently-lock-chip"
