# The FOME test bundles (make_fome_bundle.py) are what the FOME journeys
# (test_fome_*.sh) stand on: check them against a second implementation.
# The S-records are read back by srec_cat (Debian's srecord) and must give
# the bytes of fome.bin's application part; srec_cat's own CRC-32 over the
# image with the CRC word left out must equal the CRC at app+0x1C; the
# corrupt and truncated variants must fail the check; a different seed
# must give a different signature; fome.bin carries OpenBLT's name before
# the application on OpenBLT boards and is the application alone without.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
need python3
GEN="python3 $HERE/make_fome_bundle.py"

check_srec() {   # BOARD DIR
	local d=$2 base size off end crc want
	base=$((16#$(sed -n 2p "$d/fome_update.srec" | cut -c5-12)))
	srec_cat "$d/fome_update.srec" -offset -"$base" -o "$d/app.bin" -binary ||
		fail "$1: srec_cat cannot read fome_update.srec"
	size=$(stat -c %s "$d/app.bin")
	off=$((base - 0x08000000))
	tail -c +$((off + 1)) "$d/fome.bin" | cmp - "$d/app.bin" >/dev/null ||
		fail "$1: fome_update.srec is not fome.bin's application part"
	end=$((base + size))
	crc=$(srec_cat "$d/fome_update.srec" -exclude $((base + 0x1C)) $((base + 0x20)) \
		-crc32-l-e $end -crop $end $((end + 4)) -offset -$end -o - -binary 2>/dev/null |
	      od -An -tx4 | tr -d ' ')
	want=$(od -An -tx4 -j $((off + 0x1C)) -N4 "$d/fome.bin" | tr -d ' ')
	[ -n "$crc" ] && [ "$crc" = "$want" ] || fail "$1: srec_cat's CRC-32 $crc, the image says $want"
	[ "$(od -An -tu4 -j $((off + 0x20)) -N4 "$d/fome.bin" | tr -d ' ')" = "$size" ] ||
		fail "$1: the size at app+0x20 is not $size"
	srec_cat "$d/fome_bl.srec" -offset -0x08000000 -o "$d/bl.bin" -binary
	assert_prefix "$d/fome.bin" "$d/bl.bin"
	ok "$1: srec_cat reads the same application (0x$(printf %08X "$base"), $size bytes) and CRC 0x$crc"
}

for cb in stm32f407:f407-discovery:0x08008000 stm32f767zg:proteus_f7:0x08008000 \
	  stm32h743:proteus_h7:0x08020000; do
	IFS=: read -r chip board app <<<"$cb"
	$GEN bundle --board "$board" --chip "$chip" --seed 3 --size 100 --files "f_$board" --json >"$board.json"
	[ -f "fome_bundle_$board.zip" ] || fail "no fome_bundle_$board.zip"
	$GEN check "fome_bundle_$board.zip" >check.out || fail "$board: $(cat check.out)"
	grep -q "fome.bin: image at $(printf 0x%08X "$app"), 102400 bytes" check.out ||
		fail "$board: fome.bin's application is not at $app: $(cat check.out)"
	grep -q "fome_update.srec: image at $(printf 0x%08X "$app")" check.out ||
		fail "$board: fome_update.srec: $(cat check.out)"
	# OpenBLT's name in the bootloader region, the signature in the app
	off=$((app - 0x08000000))
	grep -aq OpenBLT <(head -c "$off" "f_$board/fome.bin") || fail "$board: no OpenBLT in fome.bin"
	sig=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["signature"])' "$board.json")
	case $sig in "rusEFI (FOME) master.2026.11.30.$board."[0-9]*) ;;
	*) fail "$board: signature '$sig'" ;; esac
	grep -aqF "$sig" <(tail -c +$((off + 1)) "f_$board/fome.bin") || fail "$board: the app lacks its signature"
	grep -q "signature *= *\"$sig\"" "f_$board/fome_$board.ini" || fail "$board: the .ini lacks it"
	python3 - "fome_bundle_$board.zip" "$board" <<'PY' || fail "$board: zip layout"
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
b = sys.argv[2]
folder = 'fome.2026.11.30.%s/' % b
for n in ('fome.bin', 'fome_update.srec', 'fome_bl.srec', 'fome_%s.ini' % b, 'console/', 'drivers/'):
    assert folder + n in names, n
PY
	if command -v srec_cat >/dev/null; then
		check_srec "$board" "f_$board"
	else
		echo "srec_cat not installed: the srecord cross-check is skipped"
	fi

	# another seed: another image, another signature
	$GEN bundle --board "$board" --chip "$chip" --seed 4 --size 100 --json >"$board.4.json"
	sig4=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["signature"])' "$board.4.json")
	[ "$sig4" != "$sig" ] || fail "$board: seeds 3 and 4 give the same signature"

	# corrupt, truncated: the check must fail, naming the image
	for bad in "--corrupt" "--corrupt srec" "--truncate"; do
		# shellcheck disable=SC2086
		$GEN bundle --board "$board" --chip "$chip" --seed 3 --size 100 $bad --out bad >/dev/null
		if $GEN check "bad/fome_bundle_$board.zip" >check.out; then
			fail "$board $bad: the check passes: $(cat check.out)"
		fi
		grep -q "image at $(printf 0x%08X "$app")" check.out || fail "$board $bad: $(cat check.out)"
	done
	ok "$board ($chip): OpenBLT + application at $app, corrupt and truncated images fail the check"
done

# Without OpenBLT: fome.bin is the application at 0x08000000, no .srec.
$GEN bundle --board uaefi --chip stm32f407 --no-openblt --size 64 --files f_plain >/dev/null
grep -q 'fome.bin: image at 0x08000000, 65536 bytes' <($GEN check fome_bundle_uaefi.zip) ||
	fail "no-OpenBLT fome.bin: $($GEN check fome_bundle_uaefi.zip)"
[ ! -e f_plain/fome_update.srec ] && [ ! -e f_plain/fome_bl.srec ] || fail "no-OpenBLT bundle has .srec files"
grep -aq OpenBLT f_plain/fome.bin && fail "no-OpenBLT fome.bin names OpenBLT"
ok "without OpenBLT: the application alone at 0x08000000"

# The tune: every byte of the chip's region, nothing else.
$GEN tune --chip stm32h743 --state h7.st --seed 9 --json >tune.json
[ "$(stat -c %s h7.st)" = $((2 * 1024 * 1024)) ] || fail "h743 state file size"
read -r toff tlen <<<"$($GEN region --chip stm32h743)"
[ "$toff" = $((0x100000)) ] && [ "$tlen" = $((0x40000)) ] || fail "h743 tune region $toff $tlen"
head -c "$toff" h7.st | cmp - <(head -c "$toff" /dev/zero | tr '\000' '\377') >/dev/null ||
	fail "tune wrote below its region"
assert_fill h7.st $((toff + tlen)) ff
[ "$(dd if=h7.st bs=4096 skip=$((toff / 4096)) count=$((tlen / 4096)) 2>/dev/null | tr -d '\377' | wc -c)" -gt $((tlen / 2)) ] ||
	fail "the tune region is mostly blank"
ok "tune: 0x08100000-0x0813FFFF on the H743, nothing else touched"
