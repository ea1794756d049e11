#!/usr/bin/env bash
# The main job: build dfuflash and dfusim, then update simulated FOME ECUs
# from their release bundles with one command, `dfuflash update`, and check
# what ended up in flash.
#
#  1. An STM32F407 board with OpenBLT, running an older FOME release and
#     holding a tune (sectors 10-11). `dfuflash update fome_bundle_*.zip`
#     finds it on its USB serial port, checks the bundle is for its board,
#     reboots it into OpenBLT, backs up the tune, writes the new
#     application over XCP, verifies it, checks the tune, starts the
#     firmware and prints its new signature.
#  2. The F7 trap from the FOME docs: the 1 MB STM32F767ZG in the dual-bank
#     mode FOME requires (nDBANK=0), updated through the ROM DFU bootloader
#     (--route dfu), where dfu-util's erase misses bank 2 and leaves a
#     broken firmware. The tune (0x080C0000-0x080FFFFF) survives.
#  3. The FOME docs' own dfu-util command line, word for word, with
#     dfuflash in dfu-util's place, on a board already in DFU mode.
#
# Each check compares the simulated flash (dfusim's state file) byte for
# byte: the new firmware where the bundle puts it, the tune unchanged.
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
bundle=$root/tests/e2e/make_fome_bundle.py
scale=${DEMO_TIME_SCALE:-0}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# The simulated ECUs are new every run: keep their tune backups and
# journals here, not with a real ECU's in ~/.local/state/dfuflash.
export DFUFLASH_STATE_DIR=$work/state

# An ECU: the older release flashed and a tune in its place.
make_ecu() { # CHIP BOARD STATE
	python3 "$bundle" bundle --chip "$1" --board "$2" --seed 1 --date 2026.06.01 \
		--out old >/dev/null
	python3 "$bundle" preflash --chip "$1" --state "$3" --bundle "old/fome_bundle_$2.zip"
	python3 "$bundle" tune --chip "$1" --state "$3" --seed 7 >/dev/null
	cp "$3" "$3.before"
}
# The new firmware in flash, byte for byte (from FROM on: OpenBLT writes
# the application only), and the tune unchanged.
check() { # CHIP STATE FOME_BIN FROM
	local off len
	if python3 - "$2" "$3" "$4" <<'PY'
import sys
state, fw, start = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read(), int(sys.argv[3], 0)
sys.exit(0 if state[start:len(fw)] == fw[start:] else 1)
PY
	then
		echo "  new firmware in flash: correct, byte for byte"
	else
		echo "  new firmware in flash: WRONG"
		return 1
	fi
	read -r off len < <(python3 "$bundle" region --chip "$1")
	if cmp -s -i "$off:$off" -n "$len" "$2" "$2.before"; then
		printf '  tune at 0x%08X (%u KiB): unchanged, byte for byte\n' $((0x08000000 + off)) \
			$((len / 1024))
	else
		echo "  tune: CHANGED"
		return 1
	fi
}

echo "== 1. STM32F407 board with OpenBLT, running FOME: dfuflash update =="
board=f407-discovery
make_ecu stm32f407 $board f407.state
python3 "$bundle" bundle --chip stm32f407 --board $board --seed 2 --out new --files new >/dev/null
echo "\$ dfuflash update fome_bundle_$board.zip"
"$dfusim" run --chip stm32f407 --boot flash --time-scale "$scale" --flash f407.state -- \
	"$dfuflash" update "new/fome_bundle_$board.zip"
check stm32f407 f407.state new/fome.bin 0x8000

echo
echo "== 2. Dual-bank STM32F767ZG, 1 MB (nDBANK=0), through the ROM DFU bootloader =="
board=proteus_f7
make_ecu stm32f767zg $board f767.state
python3 "$bundle" bundle --chip stm32f767zg --board $board --seed 2 --out new --files new \
	>/dev/null
cp f767.state f767-dfu-util.state
echo "\$ dfu-util -d 0483:df11 -a 0 -s 0x08000000:leave -D fome.bin      (the peer, in DFU mode)"
if "$dfusim" run --chip stm32f767zg --option-bytes nDBANK=0 --time-scale "$scale" \
	--flash f767-dfu-util.state -- dfu-util -d 0483:df11 -a 0 -s 0x08000000 -D new/fome.bin \
	>dfu-util.log 2>&1; then
	echo "  dfu-util: exit 0 (it reports success)"
else
	echo "  dfu-util: exit $?"
fi
cp f767.state.before f767-dfu-util.state.before
check stm32f767zg f767-dfu-util.state new/fome.bin 0 ||
	echo "  -> dfu-util's 'success' left a broken firmware"
echo "\$ dfuflash update --route dfu fome_bundle_$board.zip"
"$dfusim" run --chip stm32f767zg --option-bytes nDBANK=0 --boot flash --time-scale "$scale" \
	--flash f767.state -- "$dfuflash" update --route dfu "new/fome_bundle_$board.zip"
check stm32f767zg f767.state new/fome.bin 0

echo
echo "== 3. The FOME docs' command, word for word, on a board in DFU mode =="
board=f407-discovery
make_ecu stm32f407 $board f407b.state
python3 "$bundle" bundle --chip stm32f407 --board $board --seed 2 --out docs \
	--files docs >/dev/null
"$dfuflash" convert docs/fome.bin fome.dfu --address 0x08000000
echo "\$ dfuflash -v -d 0483:df11 -a 0 -D fome.dfu -s :leave"
"$dfusim" run --chip stm32f407 --time-scale "$scale" --flash f407b.state -- \
	"$dfuflash" -v -d 0483:df11 -a 0 -D fome.dfu -s :leave
check stm32f407 f407b.state docs/fome.bin 0
echo
echo "main job done: every ECU runs the new firmware and kept its tune"
