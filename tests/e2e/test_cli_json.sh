# --json: every command prints exactly one JSON object on stdout, on success
# ({"ok":true,...} with the command's fields) and on failure
# ({"ok":false,"error","code","exit","message"}, docs/dfuflash.md).
. "$(dirname "$0")/lib.sh"
need_dfusim

F=$DFUFLASH
size=$(flash_size stm32f407)
make_random st "$size"
cp st before
make_random fw.bin 20K

# json_check FILE PY-EXPR: stdout must be one JSON object d with PY-EXPR true.
json_check() {
	python3 - "$1" "$2" <<'PY' || { cat "$1" >&2; fail "JSON check: $2"; }
import json, sys
text = open(sys.argv[1]).read()
lines = [l for l in text.splitlines() if l.strip()]
assert len(lines) == 1, "not one line: %r" % text
d = json.loads(lines[0])
assert isinstance(d, dict)
assert eval(sys.argv[2]), d
PY
}
# run_json CODE CMD...: stdout to $T/json, stderr to $T/err; exit must be CODE.
run_json() {
	local want=$1 got=0
	shift
	"$@" >"$T/json" 2>"$T/err" || got=$?
	[ "$got" = "$want" ] || { cat "$T/err" >&2; fail "exit $got, expected $want: $*"; }
}

run_json 0 sim --time-scale 0 --flash st -- "$F" flash fw.bin --no-leave --json
json_check "$T/json" 'd["ok"] is True and d["command"] == "flash" and d["verified"] is True'
run_json 0 sim --time-scale 0 --flash st -- "$F" verify fw.bin --json
json_check "$T/json" 'd["ok"] is True and d["command"] == "verify"'
run_json 0 sim --time-scale 0 --flash st -- "$F" list --json
json_check "$T/json" 'd["ok"] is True and len(d["devices"]) == 1'
run_json 0 sim --time-scale 0 --flash st -- "$F" unprotect --force --json
json_check "$T/json" 'd["ok"] is True and d["wiped"] is False'
cp st before
ok "success objects"

# Failures: the library's error, its code and our exit code.
make_random other.bin 20K
"$F" convert other.bin other.hex --address 0x08000000 >/dev/null
run_json 6 sim --time-scale 0 --flash st -- "$F" verify other.hex --json
json_check "$T/json" 'd == dict(d, ok=False, command="verify", error="VERIFY", code=-21, exit=6) and "0x08000000" in d["message"]'
run_json 7 sim --time-scale 0 --flash st --option-bytes RDP=0xBB -- "$F" flash fw.bin --json
json_check "$T/json" 'd["error"] == "PROTECTED" and d["code"] == -20 and d["exit"] == 7 and "unprotect --force" in d["message"]'
rm -f st.optbytes
run_json 3 "$F" info --json
json_check "$T/json" 'd["error"] == "NO_DEVICE" and d["exit"] == 3 and d["command"] == "info"'
ok "library failures"

# The tool's own failures: usage (also before --json is parsed) and refusals.
run_json 2 "$F" flash --bogus fw.bin --json
json_check "$T/json" 'd["error"] == "USAGE" and d["code"] is None and d["exit"] == 2 and "--bogus" in d["message"]'
run_json 8 "$F" read fw.bin --address 0x08000000 --length 1K --json
json_check "$T/json" 'd["error"] == "REFUSED" and d["exit"] == 8 and "exists" in d["message"]'
"$F" convert fw.bin fw.hex --address 0x08008000 >/dev/null
run_json 8 sim --time-scale 0 --flash st -- "$F" flash fw.hex --address 0x08010000 --json
json_check "$T/json" 'd["error"] == "REFUSED" and "0x08008000-0x0800CFFF" in d["message"]'
assert_same st before
ok "tool failures"
