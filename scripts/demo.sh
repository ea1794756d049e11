#!/usr/bin/env bash
# The main job: build dfuflash and dfusim, then update the firmware of a
# simulated FOME ECU exactly as the FOME docs tell users to with dfu-util,
# with dfuflash in dfu-util's place, and check what ended up in flash.
#
#  1. An STM32F407 ECU holding an old firmware and a tune (in the last
#     sector, 0x080E0000) is flashed with the docs' command, word for word:
#         dfuflash -v -d 0483:df11 -a 0 -D fome.dfu -s :leave
#     The new firmware must be in flash, the tune byte-identical, and the
#     ECU must have left DFU mode.
#  2. The F7 trap from the docs: the 1 MB STM32F767ZG of FOME's F7 boards,
#     in the dual-bank mode FOME requires (nDBANK=0), whose ROM erases by
#     the single-bank map. The firmware crosses into bank 2 at 0x08080000;
#     the tune lives at 0x080C0000 (sectors 18-19). dfu-util reports success
#     but leaves wrong bytes; dfuflash flashes it correctly with no mass
#     erase asked for, and the tune survives.
#
# DEMO_TIME_SCALE=1 runs the simulated chips at real-chip speed (default 0:
# instant flash; the protocol exchange is the same).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target dfuflash dfusim >/dev/null
dfuflash=$root/build/dfuflash
dfusim=$root/build/dfusim
scale=${DEMO_TIME_SCALE:-0}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# The simulated ECUs are new every run: keep their recovery journals here,
# not with a real ECU's in ~/.local/state/dfuflash.
export DFUFLASH_STATE_DIR=$work/state

# A firmware with a plausible vector table (stack at the top of RAM, reset
# handler in flash) so the simulated chip starts it after leave.
make_firmware() { # FILE SIZE
	{ printf '\x00\x00\x02\x20\xc1\x01\x00\x08'; head -c $(($2 - 8)) /dev/urandom; } >"$1"
}
# A state file: what the chip's flash holds before the update.
make_ecu() { # FILE FLASH_SIZE TUNE_OFFSET
	make_firmware old.bin 580000   # the previous release, about as big
	python3 - "$1" "$2" "$3" <<'PY'
import sys
path, size, tune_at = sys.argv[1], int(sys.argv[2]), int(sys.argv[3], 0)
flash = bytearray(b'\xff' * size)
old = open('old.bin', 'rb').read()
flash[:len(old)] = old
tune = bytes((i * 7 + 3) & 0xff for i in range(16384))
flash[tune_at:tune_at + len(tune)] = tune
open(path, 'wb').write(flash)
open('tune.bin', 'wb').write(tune)
PY
}
check() { # STATE FIRMWARE TUNE_OFFSET
	local fw_size
	fw_size=$(stat -c %s "$2")
	if cmp -s -n "$fw_size" "$1" "$2"; then
		echo "  firmware in flash: correct ($fw_size bytes at 0x08000000)"
	else
		echo "  firmware in flash: WRONG ($(cmp -l -n "$fw_size" "$1" "$2" | wc -l) bytes differ)"
		return 1
	fi
	if cmp -s -i "$(($3)):0" -n 16384 "$1" tune.bin; then
		echo "  tune at $3: kept, byte for byte"
	else
		echo "  tune at $3: LOST"
		return 1
	fi
}

echo "== 1. STM32F407 ECU: the FOME docs' dfu-util command, with dfuflash =="
make_firmware fome.bin 600000
"$dfuflash" convert fome.bin fome.dfu --address 0x08000000
make_ecu f407.state $((1024 * 1024)) 0x0E0000
echo "\$ dfuflash -v -d 0483:df11 -a 0 -D fome.dfu -s :leave"
"$dfusim" run --chip stm32f407 --time-scale "$scale" --flash f407.state --stats f407.json -- \
	"$dfuflash" -v -d 0483:df11 -a 0 -D fome.dfu -s :leave
check f407.state fome.bin 0x0E0000
echo "  requests the ROM saw: $(jq -c '.requests' f407.json 2>/dev/null || echo '?')"

echo
echo "== 2. Dual-bank STM32F767ZG, 1 MB (nDBANK=0): the F7 trap from the FOME docs =="
make_ecu f767.state $((1024 * 1024)) 0x0C0000
cp f767.state f767-dfu-util.state
cp f767.state.optbytes f767-dfu-util.state.optbytes 2>/dev/null || true
echo "\$ dfu-util -d 0483:df11 -a 0 -s 0x08000000 -D fome.bin      (the peer)"
if "$dfusim" run --chip stm32f767zg --option-bytes nDBANK=0 --time-scale "$scale" \
	--flash f767-dfu-util.state -- dfu-util -d 0483:df11 -a 0 -s 0x08000000 -D fome.bin \
	>dfu-util.log 2>&1; then
	echo "  dfu-util: exit 0 (it reports success)"
else
	echo "  dfu-util: exit $?"
fi
check f767-dfu-util.state fome.bin 0x0C0000 || echo "  -> dfu-util's 'success' left a broken firmware"
echo "\$ dfuflash flash fome.bin --address 0x08000000"
"$dfusim" run --chip stm32f767zg --option-bytes nDBANK=0 --time-scale "$scale" \
	--flash f767.state -- "$dfuflash" flash fome.bin --address 0x08000000
check f767.state fome.bin 0x0C0000
echo
echo "main job done: both ECUs hold the new firmware and their tunes"
