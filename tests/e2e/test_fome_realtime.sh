# One FOME update at the real chip's timing (dfusim --time-scale 1): the
# F407 running an older release, updated through OpenBLT (reboot, the
# 128 KiB sector erases, the writes and read-backs at their real speed,
# OpenBLT's and the firmware's start-up times), then the same through the
# ROM DFU bootloader. dfuflash's waits and timeouts must fit the real
# durations (no fixed sleeps, no erase timing out). The time each took is
# printed for the log.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
need_dfusim
need python3
. "$HERE/fome.sh"

fome_chip stm32f407
BOARD=f407-discovery
APP_OFF=$((APP_BASE - 0x08000000))
old=$(mkbundle old $BOARD --seed 1 --size 256)
new=$(mkbundle new $BOARD --seed 2 --size 192)
newsig=$(jget new.json signature)
tail -c +$((APP_OFF + 1)) new/files/fome.bin >new.app

for route in openblt dfu; do
	ecu_state st "$old" 41
	cp st before
	tune_of st tune.ref
	if [ $route = openblt ]; then
		overlay before new.app $APP_OFF want
	else
		overlay before new/files/fome.bin 0 want
	fi
	ECU_ARGS=(--boot flash --flash st --time-scale 1)
	t0=$(date +%s.%N)
	expect_run 0 jr update "$new" --route $route --json
	t1=$(date +%s.%N)
	assert_json jr found_as running
	assert_json jr route $route
	assert_json jr new_signature "$newsig"
	assert_json jr tune_kept true
	assert_state st want "real timing, $route"
	assert_tune st tune.ref
	ok "$route at real timing: $(python3 -c "print('%.1f s' % ($t1 - $t0))")"
done
