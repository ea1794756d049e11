# dfu-util -l against every chip profile: every alternate setting, with the
# exact strings the real ROMs report (REFERENCE.md, from published dumps),
# and the USB identity.
. "$(dirname "$0")/lib.sh"
need_dfusim
need dfu-util

# Strings seen on real parts. Alternate settings not listed here are not
# confirmed anywhere public; for those only their presence is checked.
expected_alts() {
	case $1 in
	stm32f405 | stm32f407)
		echo '0 @Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg'
		echo '1 @Option Bytes  /0x1FFFC000/01*016 e'
		echo '2 @OTP Memory /0x1FFF7800/01*512 e,01*016 e'
		echo '3 @Device Feature/0xFFFF0000/01*004 e' ;;
	stm32f429)
		echo '0 @Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg,04*016Kg,01*064Kg,07*128Kg'
		echo '1 @Option Bytes  /0x1FFFC000/01*016 e/0x1FFEC000/01*016 e'
		echo '2 @OTP Memory /0x1FFF7800/01*512 e,01*016 e'
		echo '3 @Device Feature/0xFFFF0000/01*004 e' ;;
	stm32f746)
		echo '0 @Internal Flash  /0x08000000/04*032Kg,01*128Kg,03*256Kg' ;;
	stm32f767)
		echo '0 @Internal Flash  /0x08000000/04*032Kg,01*128Kg,07*256Kg' ;;
	stm32h743)
		echo '0 @Internal Flash   /0x08000000/16*128Kg'
		echo '1 @Option Bytes   /0x5200201C/01*128 e' ;;
	esac
}

# How many alternate settings the ROM has, where known.
expected_count() {
	case $1 in
	stm32f405 | stm32f407 | stm32f429) echo 4 ;;
	stm32h743) echo 2 ;;
	*) echo "" ;;
	esac
}

expected_version() {
	case $1 in
	stm32f405 | stm32f407 | stm32f429) echo 2200 ;;
	stm32h743) echo 0200 ;;
	*) echo "" ;;
	esac
}

n=0
for chip in $(chips); do
	expect_exit 0 sim --chip "$chip" -- dfu-util -l
	grep '^Found DFU' "$T/out" >"$chip.list" || fail "$chip: dfu-util -l found nothing"
	count=$(wc -l <"$chip.list")
	want=$(expected_count "$chip")
	[ -z "$want" ] || [ "$count" = "$want" ] ||
		fail "$chip: $count alternate settings listed, the ROM has $want"
	# every alt from 0 to count-1, each once, all on one device
	for ((alt = 0; alt < count; alt++)); do
		[ "$(grep -c "alt=$alt, " "$chip.list")" = 1 ] ||
			fail "$chip: alt $alt listed $(grep -c "alt=$alt, " "$chip.list") times"
	done
	case $chip in
	stm32*) id=0483:df11 ;;   # every ST ROM bootloader
	*) id=$(sed -n 's/.*\[\([0-9a-f:]*\)\].*/\1/p' "$chip.list" | head -n 1) ;;
	esac
	grep -v -q "\[$id\]" "$chip.list" && fail "$chip: not all $id: $(cat "$chip.list")"
	grep -v -q 'devnum=2, cfg=1, intf=0, path="1-1"' "$chip.list" &&
		fail "$chip: wrong devnum/cfg/intf/path: $(head -n 1 "$chip.list")"
	ver=$(expected_version "$chip")
	[ -z "$ver" ] || ! grep -v -q "ver=$ver," "$chip.list" ||
		fail "$chip: bcdDevice is not $ver: $(head -n 1 "$chip.list")"
	grep -q 'serial="[0-9A-Za-z]\{1,\}"' "$chip.list" || fail "$chip: no serial number"
	while read -r alt name; do
		grep -qF "alt=$alt, name=\"$name\"," "$chip.list" ||
			fail "$chip: alt $alt is not \"$name\": $(grep "alt=$alt, " "$chip.list")"
	done < <(expected_alts "$chip")
	ok "$chip: $count alternate settings"
	n=$((n + 1))
done
[ "$n" -ge 6 ] || fail "only $n chip profiles"

# lsusb, through libusb and sysfs, sees the ROM's strings too.
if command -v lsusb >/dev/null; then
	expect_exit 0 sim -- lsusb -v -d 0483:df11
	grep -q 'iProduct.*STM32  BOOTLOADER' "$T/out" || fail "lsusb: no iProduct STM32  BOOTLOADER"
	grep -q 'bInterfaceClass *254' "$T/out" || fail "lsusb: no DFU interface"
	ok "lsusb -v"
fi
