#!/usr/bin/env bash
# `dfuflash image info` and `dfuflash convert` as a user runs them: output,
# exit codes (0 ok, 2 usage, 4 bad file, 8 refused; enum tool_exit in
# src/tool.h) and files byte-identical to what dfuse-pack and dfu-suffix make.
set -uo pipefail

: "${DFUFLASH:?DFUFLASH must name the dfuflash binary}"
for tool in dfuse-pack dfu-suffix srec_cat jq; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fails=0
checks=0

# expect CODE CMD...: runs CMD, keeps its stdout/stderr in out/err.
expect() {
	local want=$1
	shift
	checks=$((checks + 1))
	"$@" >out 2>err
	local got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL: '$*' exited $got, expected $want"
		sed 's/^/  stderr: /' err
		fails=$((fails + 1))
	fi
}

# has FILE TEXT: FILE contains TEXT.
has() {
	checks=$((checks + 1))
	if ! grep -qF -- "$2" "$1"; then
		echo "FAIL: $1 lacks '$2':"
		sed 's/^/  /' "$1"
		fails=$((fails + 1))
	fi
}

same() {
	checks=$((checks + 1))
	if ! cmp -s "$1" "$2"; then
		echo "FAIL: $1 and $2 differ"
		fails=$((fails + 1))
	fi
}

head -c 3000 /dev/urandom >fw.bin
head -c 16 /dev/urandom >ob.bin
dfuse-pack -b 0x08000000:fw.bin -b 0x1FFFC000@1:ob.bin -D 0x0483:0xdf11 two.dfu >/dev/null
dfuse-pack -b 0x08000000:fw.bin -D 0x0483:0xdf11 ref.dfu >/dev/null

# image info, text and JSON.
expect 0 "$DFUFLASH" image info two.dfu
has out "format:  dfuse"
has out "VID 0x0483, PID 0xdf11, bcdDevice 0x0000, bcdDFU 0x011a"
has out "target 1: alt 1, name \"ST...\", 1 segment, 16 bytes"
has out "0x1fffc000          16 bytes  end 0x1fffc010"
has out "total:   3016 bytes"
expect 0 "$DFUFLASH" image info two.dfu --json
checks=$((checks + 1))
jq -e '.format == "dfuse" and (.targets | length) == 2 and .targets[1].alt == 1
       and .targets[0].segments[0].address == 134217728 and .suffix.crc_ok
       and .suffix.vid == "0x0483" and .total == 3016' out >/dev/null ||
	{ echo "FAIL: JSON: $(cat out)"; fails=$((fails + 1)); }

# convert: bin -> DfuSe is byte-identical to dfuse-pack.
expect 0 "$DFUFLASH" convert fw.bin ours.dfu --address 0x08000000 --vid 0x0483 --pid 0xdf11 --bcd 0
same ours.dfu ref.dfu
# ... and so it is with dfuse-pack's default ids, when none are given.
dfuse-pack -b 0x08000000:fw.bin default.dfu >/dev/null
expect 0 "$DFUFLASH" convert fw.bin ours-default.dfu --address 0x08000000
same ours-default.dfu default.dfu
# A chain through every format gives back the same bytes.
expect 0 "$DFUFLASH" convert ref.dfu a.hex
expect 0 "$DFUFLASH" convert a.hex a.srec
expect 0 "$DFUFLASH" convert a.srec a.elf
expect 0 "$DFUFLASH" convert a.elf a.dfu --out-format dfu
expect 0 "$DFUFLASH" image info a.dfu
has out "format:  dfu"
has out "VID any, PID any, bcdDevice any, bcdDFU 0x0100"  # HEX, S-record, ELF carry no ids
expect 0 "$DFUFLASH" convert a.dfu back.bin
same back.bin fw.bin
# Plain DFU: the same file dfu-suffix makes from the same ids.
cp fw.bin suffixed.dfu
dfu-suffix -v 0483 -p df11 -d 0x2200 -a suffixed.dfu >/dev/null
expect 0 "$DFUFLASH" convert fw.bin ours-plain.dfu --address 0x08000000 --out-format dfu \
	--vid 0x0483 --pid 0xdf11 --bcd 0x2200
same ours-plain.dfu suffixed.dfu
# srec_cat reads our HEX to the same bytes.
srec_cat a.hex -intel -offset -0x08000000 -o via-srec_cat.bin -binary
same via-srec_cat.bin fw.bin
# --address moves an addressed image; --alt sets the target's alternate setting.
expect 0 "$DFUFLASH" convert a.hex moved.hex --address 0x08010000
expect 0 "$DFUFLASH" image info moved.hex
has out "0x08010000        3000 bytes"
expect 0 "$DFUFLASH" convert a.hex alt2.dfu --alt 2
expect 0 "$DFUFLASH" image info alt2.dfu --json
checks=$((checks + 1))
jq -e '.targets[0].alt == 2 and .suffix.vid == "0x0483" and .suffix.pid == "0xdf11"
       and .suffix.bcd_device == "0x0000"' out >/dev/null ||
	{ echo "FAIL: --alt: $(cat out)"; fails=$((fails + 1)); }

# Bad files: exit 4 with the file, the place and the problem.
cp ref.dfu bad.dfu
printf '\xAA' | dd of=bad.dfu bs=1 seek=400 conv=notrunc 2>/dev/null
expect 4 "$DFUFLASH" image info bad.dfu
has err "dfuflash: bad.dfu: byte 3305: DFU suffix CRC is 0x"
expect 0 "$DFUFLASH" image info bad.dfu --force
has err "warning: bad.dfu: DFU suffix CRC"
has out "BAD"
expect 4 "$DFUFLASH" image info fw.bin
has err "--address A says where a raw binary goes"
printf ':0400000001020304F2\n:0400000001020304F3\n' >sum.hex
expect 4 "$DFUFLASH" image info sum.hex
has err "sum.hex: line 2: record checksum is 0xF3, expected 0xF2"
printf ':0400000001020304F2\n:0400000001020305F1\n:00000001FF\n' >overlap.hex
expect 4 "$DFUFLASH" convert overlap.hex x.bin
has err "overlap.hex: line 2: data at 0x00000000-0x00000003 overlaps earlier data"
test ! -e x.bin || { echo "FAIL: a failed convert left x.bin"; fails=$((fails + 1)); }
head -c 1000 a.srec >cut.srec
expect 4 "$DFUFLASH" convert cut.srec x.bin
has err "cut.srec: line"
expect 4 "$DFUFLASH" image info does-not-exist.hex
has err "does-not-exist.hex: cannot open"
# Refused: several targets do not fit in one HEX file.
expect 8 "$DFUFLASH" convert two.dfu two.hex
has err "2 targets"

# Usage mistakes: exit 2.
expect 2 "$DFUFLASH" image
expect 2 "$DFUFLASH" image info
expect 2 "$DFUFLASH" image info two.dfu --bogus
expect 2 "$DFUFLASH" image info two.dfu --format zip
expect 2 "$DFUFLASH" convert fw.bin
expect 2 "$DFUFLASH" convert a.hex out.unknown
expect 2 "$DFUFLASH" convert a.hex out.dfu --vid 0x0483
expect 2 "$DFUFLASH" convert a.hex out.dfu --alt 300
expect 0 "$DFUFLASH" image --help
has out "usage: dfuflash image info FILE"
expect 0 "$DFUFLASH" convert --help
has out "usage: dfuflash convert IN OUT"

echo "test_image_cli: $checks checks, $fails failed"
[ "$fails" = 0 ]
