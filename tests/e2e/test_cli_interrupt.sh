# Ctrl-C, SIGTERM and SIGHUP stop a flash between two requests: the exit code
# is 128 + the signal, stderr says the job was interrupted, and a second
# signal while stopping does not kill the process in the middle of a request.
. "$(dirname "$0")/lib.sh"
need_dfusim

F=$DFUFLASH
size=$(flash_size stm32f407)
make_random st "$size"
make_random big.bin 900K

# interrupt SIG [SIG2]: flash big.bin at the real chip's timing (with the
# flash options in $EXTRA), send SIG to dfuflash after a second (and SIG2
# 20 ms later); exit status in $rc.
interrupt() {
	local pid child i
	"$DFUSIM" run --time-scale 1 --flash st -- "$F" flash big.bin ${EXTRA:-} >"$T/out" 2>&1 &
	pid=$!
	sleep 1
	child=
	for i in 1 2 3 4 5 6 7 8 9 10; do
		child=$(pgrep -P "$pid" || true)
		[ -n "$child" ] && break
		sleep 0.2
	done
	[ -n "$child" ] || fail "no dfuflash under dfusim"
	kill -"$1" "$child"
	if [ -n "${2:-}" ]; then
		sleep 0.02   # while the request in flight finishes
		kill -"$2" "$child" 2>/dev/null || true
	fi
	rc=0
	wait "$pid" || rc=$?
}
says() {
	grep -q -- "$1" "$T/out" || { cat "$T/out" >&2; fail "the message lacks '$1'"; }
}

# With --mass-erase the request in flight at 1 s is the F407's 8 s mass
# erase: the second SIGINT surely comes while dfuflash is still stopping.
EXTRA=--mass-erase interrupt INT INT
[ "$rc" = 130 ] || { cat "$T/out" >&2; fail "exit $rc after SIGINT, expected 130"; }
says "interrupted: stopping after the current request"
says "already stopping after the current request"
says "interrupted by SIGINT"
ok "SIGINT twice: exit 130"

interrupt TERM
[ "$rc" = 143 ] || { cat "$T/out" >&2; fail "exit $rc after SIGTERM, expected 143"; }
says "interrupted by SIGTERM"
ok "SIGTERM: exit 143"

interrupt HUP
[ "$rc" = 129 ] || { cat "$T/out" >&2; fail "exit $rc after SIGHUP, expected 129"; }
ok "SIGHUP: exit 129"

# The job can be run again after an interruption and finishes.
expect_exit 0 sim --time-scale 0 --flash st -- "$F" flash big.bin --no-leave
assert_prefix st big.bin
ok "flashing again after the interruption"
