# dfuflash update --port, and a port held by another program, on the F407:
# --port with the ECU's ttyACM path, as found inside the simulated machine
# (OpenBLT comes back on the next ttyACM number after the reboot, as a
# real cdc_acm does while the old node is still held: REFERENCE.md, issue
# 9 "it may come back on the same ttyACM or another"); --port to a tty
# that is not there (exit 3, named); a port held open and locked by a
# process named java (TunerStudio and FOME's console are java programs),
# found by USB ids and named by --port: exit 3, the message names the
# port, the holder's pid and name, and TunerStudio.
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

ecu_state st "$old" 31
cp st before
tune_of st tune.ref
overlay before new.app $APP_OFF want
port=/dev/ttyACM0

# A port held by another program: a process named "java" (TunerStudio and
# FOME's console are java programs) holds the tty open and locked (flock,
# as serial libraries and dfuflash itself lock a port they use).
cat >holder.py <<'PY'
import ctypes, fcntl, os, sys, time
ctypes.CDLL(None).prctl(15, b"java", 0, 0, 0)   # PR_SET_NAME
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
fcntl.flock(fd, fcntl.LOCK_EX)
open("holder.ready", "w").close()
time.sleep(30)
PY
cat >busy.sh <<'SH'
port=$(ls /dev/ttyACM* 2>/dev/null | head -n 1)
[ -n "$port" ] || exit 99
rm -f holder.ready
python3 holder.py "$port" &
holder=$!
for i in $(seq 1 100); do [ -e holder.ready ] && break; sleep 0.05; done
echo "holder=$holder $(cat /proc/$holder/comm)"
"$DFUFLASH" update "$1" $2 --wait 2 --json >jb 2>jb.err
echo "rc=$?"
kill $holder
wait
exit 0
SH
for how in "" "--port"; do
	arg=""
	[ -n "$how" ] && arg="--port $port"
	expect_exit 0 ecu --boot flash --flash st -- bash busy.sh "$new" "$arg"
	grep -qx 'rc=3' "$T/out" || fail "busy port ($how): $(cat "$T/out") $(cat jb)"
	msg=$(jget jb message)
	case $msg in *"$port"*) ;; *) fail "busy port ($how): the message does not name $port: $msg" ;; esac
	holder=$(sed -n 's/^holder=\([0-9]*\) java$/\1/p' "$T/out")
	[ -n "$holder" ] || fail "the holder did not start as java: $(cat "$T/out")"
	case $msg in *java*) ;; *) fail "busy port ($how): the message does not name the java holder: $msg" ;; esac
	case $msg in *"$holder"*) ;; *) fail "busy port ($how): the message does not name pid $holder: $msg" ;; esac
	case $msg in *TunerStudio*) ;; *) fail "busy port ($how): no word of TunerStudio: $msg" ;; esac
	assert_state st before "busy port"
	ok "a busy port ($how): exit 3, \"$msg\""
done


cp st before
expect_run 3 jn update "$new" --port /dev/ttyACM7 --wait 2 --json
case $(jget jn message) in *ttyACM7*) ;; *) fail "--port /dev/ttyACM7: $(jget jn message)" ;; esac
assert_state st before "--port to nothing"
ok "--port to a tty that is not there: exit 3, named"

# --port: the ECU's tty, found inside the simulated machine. dfusim brings
# OpenBLT, and then the firmware, back on the next ttyACM numbers after
# each reset: dfuflash must follow the ECU there by its USB serial (it
# once waited on the named path only and never found OpenBLT).
cat >port.sh <<'SH'
port=$(ls /dev/ttyACM* 2>/dev/null | head -n 1)
echo "port=$port"
[ -n "$port" ] || exit 99
"$DFUFLASH" update "$1" --port "$port" --json >jp 2>jp.err
SH
expect_exit 0 ecu --boot flash --flash st -- bash port.sh "$new"
port=$(sed -n 's/^port=//p' "$T/out")
assert_json jp found_as running
assert_json jp route openblt
assert_json jp new_signature "$newsig"
assert_state st want "--port $port"
assert_tune st tune.ref
ok "--port $port: updated through OpenBLT"

