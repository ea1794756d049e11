# --json on every command, on success and on failure: stdout is exactly one
# JSON object on one line that validates against
# docs/dfuflash-json.schema.json (checked by jsonschema_subset.py, standard
# library only), and the exit code is the one the object names.
. "$(dirname "$0")/lib.sh"
need_dfusim

F=$DFUFLASH
SCHEMA=$DFU_SOURCE_DIR/docs/dfuflash-json.schema.json
CHECK=$DFU_SOURCE_DIR/tests/e2e/jsonschema_subset.py
size=$(flash_size stm32f407)
make_random st "$size"
make_random fw.bin 20K
make_random other.bin 20K
"$F" convert other.bin other.hex --address 0x08000000 >/dev/null
checked=0

# js CODE WANT CMD...: run CMD (stdout to $T/json), expect exit CODE; the
# object must validate, have "ok" as CODE says and "exit" equal to CODE;
# WANT (a Python expression on d, or "") must hold too.
js() {
	local want=$1 expr=$2 got=0
	shift 2
	"$@" >"$T/json" 2>"$T/err" || got=$?
	[ "$got" = "$want" ] || { cat "$T/err" "$T/json" >&2; fail "exit $got, expected $want: $*"; }
	python3 "$CHECK" "$SCHEMA" "$T/json" >&2 || fail "schema: $*"
	python3 - "$T/json" "$want" "${expr:-True}" <<'PY' || { cat "$T/json" >&2; fail "fields: $*"; }
import json, sys
d = json.loads(open(sys.argv[1]).read())
code = int(sys.argv[2])
assert d["ok"] is (code == 0), d
assert code == 0 or d["exit"] == code, d
assert eval(sys.argv[3]), d
PY
	checked=$((checked + 1))
}
dev() {
	sim --time-scale 0 --flash st -- "$F" "$@" --json
}

# Success, every command.
js 0 'len(d["devices"]) == 1' sim --time-scale 0 --flash st -- "$F" list --json
js 0 'd["chip"].startswith("STM32F405") and len(d["flash_map"]) == 12' dev info
js 0 '[s["tune"] for s in d["flash_map"]][10:] == [True, True]' dev info --map
js 0 'd["plan"]["sectors"][0]["action"] == "write"' dev flash fw.bin --dry-run
js 0 'd["verified"] is True' dev flash fw.bin --no-leave
js 0 'd["verified"] is True' dev verify fw.bin
js 0 'd["length"] == 1024' dev read back.bin --address 0x08000000 --length 1K
js 0 'd["sectors"] == "3"' dev erase --sector 3
js 0 '[s["action"] for s in d["plan"]["sectors"]][9:] == ["untouched", "merge", "tune"]' \
	dev erase --range 0x080C0000:4K --dry-run
js 0 'd["left"] is True' dev leave
js 0 'd["wiped"] is False' dev unprotect --force
js 0 'd["rdp_level"] == 0' dev option-bytes
js 0 'd["journals"] == []' "$F" recover --json
js 0 'd["finished"] is False' dev recover --finish
js 0 'd["total"] == 20480' "$F" image info fw.bin --address 0x08000000 --json
js 0 'd["out_format"] == "ihex"' "$F" convert fw.bin fw.hex --address 0x08000000 --json
js 0 '"usage" in d["output"]' "$F" flash --help --json
ok "success objects of every command"

# dfu-util's command line.
js 0 'len(d["devices"]) == 1' sim --time-scale 0 --flash st -- "$F" -l --json
js 0 'd["verified"] is True and d["left"] is True' \
	sim --time-scale 0 --flash st -- "$F" -a 0 -D fw.bin -s :leave --json
js 0 'd["bytes_read"] == 1024' sim --time-scale 0 --flash st -- "$F" -a 0 -U up.bin -Z 1024 --json
js 0 'd["sectors"] == "0-11"' sim --time-scale 0 --flash st -- "$F" -a 0 -s :mass-erase:force --json
js 0 'd["left"] is True' sim --time-scale 0 --flash st -- "$F" -a 0 -e --json
js 0 '"dfu-util" in d["output"]' "$F" -h --json
ok "success objects of the dfu-util form"

# Failure, every command.
js 2 'd["error"] == "USAGE"' "$F" list -d zz --json
js 3 'd["error"] == "NO_DEVICE"' "$F" info --json
js 3 'd["error"] == "NO_DEVICE"' "$F" info --map --json
js 4 'd["error"] == "IO"' dev flash missing.bin
js 6 'd["error"] == "VERIFY"' dev verify other.hex
js 8 'd["error"] == "REFUSED"' dev read fw.bin --address 0x08000000 --length 1K
js 8 'd["error"] == "RANGE"' dev erase --sector 40
js 8 'd["error"] == "RANGE"' dev erase --sector 40 --dry-run
js 2 'd["error"] == "USAGE"' "$F" erase --json
js 3 'd["error"] == "NO_DEVICE"' "$F" leave --json
js 2 'd["error"] == "USAGE"' "$F" unprotect --bogus --json
js 8 'd["error"] == "NOT_FOUND"' dev option-bytes --set FOO=1 --yes
js 2 'd["error"] == "USAGE"' "$F" recover --discard x --json
js 4 'd["error"] == "IO"' "$F" image info missing.bin --json
js 2 'd["error"] == "USAGE"' "$F" convert fw.bin --json
js 7 'd["error"] == "PROTECTED"' \
	sim --time-scale 0 --flash st --option-bytes RDP=0xBB -- "$F" flash fw.bin --json
rm -f st.optbytes
ok "failure objects of every command"

js 4 'd["error"] == "IO" and d["command"] == "dfu-util"' dev -a 0 -D missing.bin
js 2 '"-x" in d["message"]' "$F" -vvx --json
js 2 'd["error"] == "USAGE"' "$F" -a 0 -s :mass-erase --json
ok "failure objects of the dfu-util form"
echo "$checked objects validated against $SCHEMA"
