# dfusim's command line: help, chips, usage errors (exit 2), the command's
# exit status passed through, state and stats files.
. "$(dirname "$0")/lib.sh"
need_dfusim
need python3

expect_exit 0 "$DFUSIM" --help
grep -q -- '--time-scale' "$T/out" || fail "--help does not describe --time-scale"
grep -q -- '--option-bytes' "$T/out" || fail "--help does not describe --option-bytes"
expect_exit 0 "$DFUSIM" run --help
ok "help"

expect_exit 0 "$DFUSIM" chips
grep -qx stm32f407 "$T/out" || fail "chips does not list stm32f407"
for c in stm32f405 stm32f429 stm32f746 stm32f767 stm32h743; do
	grep -qx "$c" "$T/out" || fail "chips does not list $c"
done
expect_exit 0 "$DFUSIM" chips --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d' "$T/out" ||
	fail "chips --json is not JSON"
ok "chips"

# Usage errors: a message naming the problem, exit 2, the command not run.
bad() {
	local pattern=$1
	shift
	expect_exit 2 "$DFUSIM" "$@"
	grep -q -- "$pattern" "$T/out" || { cat "$T/out" >&2; fail "no '$pattern' in: $*"; }
	[ ! -e "$T/ran" ] || fail "the command ran despite: $*"
}
bad 'no command' 
bad 'unknown command' bogus
bad 'unknown option' run --bogus -- touch "$T/ran"
bad 'no COMMAND' run --chip stm32f407
bad 'needs an argument' run --chip
bad 'unknown chip' run --chip stm32f999 -- touch "$T/ran"
bad 'time-scale' run --time-scale -1 -- touch "$T/ran"
bad 'time-scale' run --time-scale fast -- touch "$T/ran"
bad 'devices' run --devices 0 -- touch "$T/ran"
bad 'devices' run --devices 33 -- touch "$T/ran"
bad 'NAME=VALUE' run --option-bytes RDP -- touch "$T/ran"
bad 'NAME=VALUE' run --option-bytes RDP=zz -- touch "$T/ran"
bad 'serial' run --serial 'a\b' -- touch "$T/ran"
bad 'serial' run --serial '' -- touch "$T/ran"
bad 'unknown argument' chips --yaml
# The model refuses what it does not know; dfusim says so and exits 2.
expect_exit 2 "$DFUSIM" run --quirk no-such-quirk -- touch "$T/ran"
[ ! -e "$T/ran" ] || fail "ran with an unknown quirk"
expect_exit 2 "$DFUSIM" run --option-bytes NOSUCHFIELD=1 -- touch "$T/ran"
[ ! -e "$T/ran" ] || fail "ran with an unknown option-byte field"
ok "usage errors"

# The command's status is dfusim's; a command that cannot start is 127.
expect_exit 0 sim -- true
expect_exit 7 sim -- sh -c 'exit 7'
expect_exit 127 sim -- /nonexistent/command
expect_exit 143 sim -- sh -c 'kill -TERM $$'
ok "exit status"

# The command sees the testbed: UMOCKDEV_DIR, the preload, the device node
# and its sysfs attributes.
expect_exit 0 sim --serial ABC123 -- sh -c \
	'test -n "$UMOCKDEV_DIR" && case "$LD_PRELOAD" in *libumockdev-preload*) ;; *) exit 3;; esac &&
	 test -e /dev/bus/usb/001/002 && cat /sys/bus/usb/devices/1-1/serial /sys/bus/usb/devices/1-1/idVendor'
grep -qx ABC123 "$T/out" || fail "sysfs serial is not ABC123: $(cat "$T/out")"
grep -qx 0483 "$T/out" || fail "sysfs idVendor is not 0483"
ok "testbed environment"

# State file: a missing one is a blank chip, saved at exit; a short one
# fills the start of flash; one larger than flash is refused.
expect_exit 0 sim --flash st -- true
[ -s st ] || fail "no state file written"
assert_fill st 0 ff
[ -s st.optbytes ] || fail "no option-byte file written"
size=$(stat -c %s st)
make_random head.bin 1000
expect_exit 0 sim --flash st2 -- true
cp head.bin st2
expect_exit 0 sim --flash st2 -- true
[ "$(stat -c %s st2)" = "$size" ] || fail "a short state file was not grown to the flash size"
assert_prefix st2 head.bin
assert_fill st2 1000 ff
make_fill big.bin "$((size + 1))" 00
expect_exit 2 sim --flash big.bin -- touch "$T/ran"
grep -q 'larger than' "$T/out" || fail "no message for a state file larger than flash"
[ ! -e "$T/ran" ] || fail "ran with a state file larger than flash"
ok "state files"

# --stats is JSON, --log has one line per request: every control transfer
# the front end passed to the model is both logged and counted.
make_random fw.bin 5000
expect_exit 0 sim --stats stats.json --log req.log -- sh -c '
	dfu-util -l && dfu-util -a 0 -s 0x08000000 -D fw.bin'
n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests"]["control"])' stats.json) ||
	fail "stats is not JSON with requests.control"
logged=$(grep -c ' -> ' req.log)
[ "$n" -gt 20 ] || fail "only $n control transfers counted"
[ "$logged" = "$n" ] || fail "$logged requests logged, $n counted"
grep -q 'STRING' req.log || fail "no string descriptor requests logged"
grep -q 'DNLOAD block=2 ' req.log || fail "no data DNLOAD logged"
ok "stats and log agree: $n control transfers"
