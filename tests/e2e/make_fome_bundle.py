#!/usr/bin/env python3
"""make_fome_bundle.py - realistic FOME release bundles and ECU flash states
for the end-to-end tests (python3 standard library only).

  make_fome_bundle.py bundle --board B --chip C [--no-openblt] [--size KIB]
                      [--seed N] [--corrupt [bin|srec|both]] [--truncate]
                      [--out DIR] [--files DIR] [--json]
      writes DIR/fome_bundle_<board>.zip as fome-fw's build makes it
      (misc/jenkins/build_working_folder.sh): one folder holding fome.bin,
      fome_update.srec, fome_bl.srec (not on boards without OpenBLT),
      fome_<board>.ini with its `signature = "..."` line, console/ and
      drivers/. --files DIR also writes the loose files there. --json
      prints what was made (signature, addresses, sizes, CRC) on stdout.

  make_fome_bundle.py preflash --chip C --state FILE --bundle ZIP
      writes the bundle's fome.bin into a dfusim state file at 0x08000000,
      as if it had been flashed earlier (the file is made blank, 0xFF, at
      the chip's flash size when it does not exist).

  make_fome_bundle.py tune --chip C --state FILE [--seed N] [--json]
      fills the chip's FOME tune region of the state file with
      pseudo-random bytes (every byte, so that any erase or write there
      shows); --json prints {"start":..,"end":..} (file offsets).

  make_fome_bundle.py region --chip C
      prints "OFFSET LENGTH" of the tune region in the state file (for dd).

  make_fome_bundle.py check FILE [--base ADDR]
      checks the FOME CRC of a .bin (at 0x08000000), .srec or bundle .zip
      the way OpenBLT does; prints one line per image; exit 1 if any is bad.

The application image: a Cortex-M vector table (initial SP, reset vector),
FOME's integrity header (CRC-32 (zlib) at app+0x1C over [app, app+0x1C)
then [app+0x20, app+size); the size, u32 LE, at app+0x20), the
NUL-terminated signature "rusEFI (FOME) <branch>.<yyyy.MM.dd>.<board>.<hash>"
(the hash: the CRC-32 of the image's pseudo-random body, in decimal, as
fome-fw's ConfigDefinition prints its CRC, so different content gives a
different signature), pseudo-random "code" after it. On OpenBLT boards the
bootloader region before the application (32 KiB on F4/F7, 128 KiB on H7)
holds a vector table, the ASCII "OpenBLT" and pseudo-random bytes, padded
with 0xFF.
"""
import argparse
import io
import json
import os
import random
import struct
import sys
import zipfile
import zlib

FLASH_BASE = 0x08000000
CRC_OFF = 0x1C
SIZE_OFF = 0x20
SIG_OFF = 0x200          # after the vector table
MAX_IMAGE = 1 << 20

# chip -> flash size, OpenBLT application base, tune region [start, end)
# (issue 9 / REFERENCE.md "FOME specifics"; the 1 MB F767 in dual-bank mode)
CHIPS = {
    'stm32f405':   dict(flash=1 << 20, app=0x08008000, tune=(0x080C0000, 0x08100000)),
    'stm32f407':   dict(flash=1 << 20, app=0x08008000, tune=(0x080C0000, 0x08100000)),
    'stm32f429':   dict(flash=2 << 20, app=0x08008000, tune=(0x080C0000, 0x08100000)),
    'stm32f767zg': dict(flash=1 << 20, app=0x08008000, tune=(0x080C0000, 0x08100000)),
    'stm32f767':   dict(flash=2 << 20, app=0x08008000, tune=(0x08100000, 0x08110000)),
    'stm32h743':   dict(flash=2 << 20, app=0x08020000, tune=(0x08100000, 0x08140000)),
}


def chip_info(name):
    if name not in CHIPS:
        sys.exit('make_fome_bundle: unknown chip %s (known: %s)' % (name, ', '.join(sorted(CHIPS))))
    return CHIPS[name]


def fome_crc(img):
    """FOME's image CRC over img (the image from its base)."""
    size = struct.unpack_from('<I', img, SIZE_OFF)[0]
    crc = zlib.crc32(img[:CRC_OFF])
    return zlib.crc32(img[SIZE_OFF:size], crc) & 0xFFFFFFFF


def make_app(board, base, size, seed, branch, date):
    """The application image at base: (bytes, signature)."""
    rng = random.Random('app:%s:%d' % (board, seed))
    body = bytearray(rng.randbytes(size))
    h = zlib.crc32(bytes(body)) & 0xFFFFFFFF
    sig = 'rusEFI (FOME) %s.%s.%s.%d' % (branch, date, board, h)
    img = body
    # vector table: SP, reset, NMI, HardFault, MemManage, BusFault, UsageFault
    struct.pack_into('<7I', img, 0, 0x20020000, base + 0x401, base + 0x411, base + 0x421,
                     base + 0x431, base + 0x441, base + 0x451)
    struct.pack_into('<I', img, SIZE_OFF, size)
    struct.pack_into('<3I', img, 0x24, 0, 0, 0)
    s = sig.encode() + b'\0'
    img[SIG_OFF:SIG_OFF + len(s)] = s
    # the signature's prefix only once in the image
    rest = bytes(img[SIG_OFF + len(s):])
    assert b'rusEFI (FOME) ' not in rest and b'rusEFI (FOME) ' not in bytes(img[:SIG_OFF])
    struct.pack_into('<I', img, CRC_OFF, fome_crc(img))
    return bytes(img), sig


def make_openblt(board, app_base, seed):
    """The bootloader region [FLASH_BASE, app_base): vector table, code,
    its name, 0xFF padding."""
    n = app_base - FLASH_BASE
    used = min(n, 20 * 1024 if n <= 32 * 1024 else 40 * 1024)
    rng = random.Random('openblt:%s:%d' % (board, seed))
    bl = bytearray(rng.randbytes(used))
    struct.pack_into('<7I', bl, 0, 0x20020000, FLASH_BASE + 0x1C1, FLASH_BASE + 0x1D1,
                     FLASH_BASE + 0x1E1, FLASH_BASE + 0x1F1, FLASH_BASE + 0x201, FLASH_BASE + 0x211)
    struct.pack_into('<4I', bl, 0x1C, 0, 0, 0, 0)   # reserved vectors: no FOME header here
    name = b'OpenBLT 1.17.0 (FOME) ' + board.encode() + b'\0'
    bl[0x300:0x300 + len(name)] = name
    return bytes(bl) + b'\xFF' * (n - used)


def srec(data, address, header=b'fome'):
    """S-records (S0, S3 with 32 data bytes each, S7) for data at address."""
    def rec(t, payload):
        n = len(payload) + 1
        ck = (~(n + sum(payload))) & 0xFF
        return 'S%d%02X%s%02X\n' % (t, n, payload.hex().upper(), ck)
    out = [rec(0, b'\0\0' + header)]
    for i in range(0, len(data), 32):
        out.append(rec(3, struct.pack('>I', address + i) + data[i:i + 32]))
    out.append(rec(7, struct.pack('>I', address)))
    return ''.join(out)


def read_srec(text):
    """{address: bytes} merged into (base, bytes) for contiguous S1-S3 data."""
    chunks = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] != 'S':
            continue
        t = int(line[1])
        raw = bytes.fromhex(line[2:])
        if (sum(raw) & 0xFF) != 0xFF:
            raise ValueError('bad S-record checksum: ' + line)
        if raw[0] != len(raw) - 1:
            raise ValueError('bad S-record length: ' + line)
        if t in (1, 2, 3):
            al = t + 1
            chunks.append((int.from_bytes(raw[1:1 + al], 'big'), raw[1 + al:-1]))
    chunks.sort()
    base = chunks[0][0]
    buf = bytearray()
    for a, d in chunks:
        if a != base + len(buf):
            raise ValueError('gap in S-records at 0x%08X' % a)
        buf += d
    return base, bytes(buf)


def corrupt_at(img, off):
    b = bytearray(img)
    b[off] ^= 0x5A
    return bytes(b)


def cmd_bundle(a):
    info = chip_info(a.chip)
    openblt = not a.no_openblt
    app_base = info['app'] if openblt else FLASH_BASE
    size = a.size * 1024
    tune_start = info['tune'][0]
    if app_base + size > tune_start:
        sys.exit('make_fome_bundle: an application of %d KiB at 0x%08X reaches the tune at 0x%08X'
                 % (a.size, app_base, tune_start))
    app, sig = make_app(a.board, app_base, size, a.seed, a.branch, a.date)
    good_crc = struct.unpack_from('<I', app, CRC_OFF)[0]
    # a byte in the middle of the code, after the CRC was computed
    bad_off = size // 2 + 17
    app_bin = app_srec = app
    if a.corrupt in ('bin', 'both'):
        app_bin = corrupt_at(app, bad_off)
    if a.corrupt in ('srec', 'both'):
        app_srec = corrupt_at(app, bad_off)
    if a.truncate:
        cut = max(1024, size // 8)
        app_bin = app_bin[:size - cut]
        app_srec = app_srec[:size - cut]
    bl = make_openblt(a.board, app_base, a.seed) if openblt else b''
    full = bl + app_bin

    folder = 'fome.%s.%s' % (a.date, a.board)
    files = {'fome.bin': full}
    if openblt:
        files['fome_update.srec'] = srec(app_srec, app_base).encode()
        files['fome_bl.srec'] = srec(bl.rstrip(b'\xFF'), FLASH_BASE, b'fome_bl').encode()
    ini = ('; generated by make_fome_bundle.py: a FOME TunerStudio project header\n'
           '[MegaTune]\n'
           '   MTversion      = 2.25\n'
           '   queryCommand   = "S"\n'
           '   versionInfo    = "V"\n'
           '   signature      = "%s" ; signature is expected to be 7 or more characters.\n'
           '\n[TunerStudio]\n'
           '   iniSpecVersion = 3.64\n' % sig)
    files['fome_%s.ini' % a.board] = ini.encode()
    files['console/fome_console.jar'] = b'PK\x05\x06' + b'\0' * 18   # an empty zip
    files['drivers/README.txt'] = b'ST drivers would be here.\n'
    os.makedirs(a.out, exist_ok=True)
    zpath = os.path.join(a.out, 'fome_bundle_%s.zip' % a.board)
    with zipfile.ZipFile(zpath + '.tmp', 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo(folder + '/'), b'')
        for d in ('console/', 'drivers/'):
            z.writestr(zipfile.ZipInfo(folder + '/' + d), b'')
        for name, data in files.items():
            z.writestr(folder + '/' + name, data)
    os.replace(zpath + '.tmp', zpath)
    if a.files:
        os.makedirs(a.files, exist_ok=True)
        for name, data in files.items():
            if '/' in name:
                continue
            with open(os.path.join(a.files, name), 'wb') as f:
                f.write(data)
    desc = {
        'zip': zpath, 'board': a.board, 'chip': a.chip, 'signature': sig,
        'openblt': openblt, 'app_base': app_base, 'app_size': size, 'crc': good_crc,
        'full_size': len(full), 'corrupt': a.corrupt, 'truncated': a.truncate,
        'corrupt_address': app_base + bad_off if a.corrupt else None,
        'tune_start': info['tune'][0], 'tune_end': info['tune'][1],
    }
    if a.json:
        print(json.dumps(desc))
    else:
        print(zpath)


def read_bundle(path):
    """{name: bytes} of a bundle's own files (folder stripped)."""
    out = {}
    with zipfile.ZipFile(path) as z:
        for n in z.namelist():
            if n.endswith('/'):
                continue
            parts = n.split('/')
            if len(parts) == 2:
                out[parts[1]] = z.read(n)
    return out


def ensure_state(path, info):
    if not os.path.exists(path):
        with open(path, 'wb') as f:
            f.write(b'\xFF' * info['flash'])
    if os.path.getsize(path) != info['flash']:
        sys.exit('make_fome_bundle: %s is %d bytes, not the chip\'s %d'
                 % (path, os.path.getsize(path), info['flash']))


def cmd_preflash(a):
    info = chip_info(a.chip)
    ensure_state(a.state, info)
    full = read_bundle(a.bundle)['fome.bin']
    with open(a.state, 'r+b') as f:
        f.write(full)


def cmd_tune(a):
    info = chip_info(a.chip)
    ensure_state(a.state, info)
    start, end = info['tune']
    rng = random.Random('tune:%d' % a.seed)
    data = rng.randbytes(end - start)
    with open(a.state, 'r+b') as f:
        f.seek(start - FLASH_BASE)
        f.write(data)
    if a.json:
        print(json.dumps({'start': start - FLASH_BASE, 'end': end - FLASH_BASE,
                          'address': start, 'size': end - start}))


def cmd_region(a):
    start, end = chip_info(a.chip)['tune']
    print(start - FLASH_BASE, end - start)


def check_image(name, base, data):
    """(ok, line) for the FOME image in data (based at base): tries base,
    base+32K, base+128K as the bundle reader does."""
    for app in (FLASH_BASE, 0x08008000, 0x08020000):
        off = app - base
        if off < 0 or off + SIZE_OFF + 4 > len(data):
            continue
        size = struct.unpack_from('<I', data, off + SIZE_OFF)[0]
        if size < SIZE_OFF + 4 or size > MAX_IMAGE:
            continue
        if off + size > len(data):
            return False, '%s: image at 0x%08X says %d bytes, only %d there' % (
                name, app, size, len(data) - off)
        want = struct.unpack_from('<I', data, off + CRC_OFF)[0]
        got = fome_crc(data[off:off + size])
        if want == got:
            return True, '%s: image at 0x%08X, %d bytes, CRC 0x%08X ok' % (name, app, size, got)
        return False, '%s: image at 0x%08X says CRC 0x%08X, its bytes give 0x%08X' % (
            name, app, want, got)
    return False, '%s: no FOME image header' % name


def cmd_check(a):
    results = []
    if a.file.endswith('.zip'):
        files = read_bundle(a.file)
        for name in sorted(files):
            if name.endswith('.bin'):
                results.append(check_image(name, FLASH_BASE, files[name]))
            elif name == 'fome_update.srec':
                base, data = read_srec(files[name].decode())
                results.append(check_image(name, base, data))
    elif a.file.endswith('.srec') or a.file.endswith('.s19'):
        base, data = read_srec(open(a.file).read())
        results.append(check_image(a.file, base, data))
    else:
        results.append(check_image(a.file, a.base, open(a.file, 'rb').read()))
    for _, line in results:
        print(line)
    return 0 if results and all(ok for ok, _ in results) else 1


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='cmd', required=True)
    b = sub.add_parser('bundle')
    b.add_argument('--board', required=True)
    b.add_argument('--chip', required=True)
    b.add_argument('--no-openblt', action='store_true')
    b.add_argument('--size', type=int, default=192, help='application size in KiB (default 192)')
    b.add_argument('--seed', type=int, default=1)
    b.add_argument('--corrupt', nargs='?', const='both', choices=('bin', 'srec', 'both'))
    b.add_argument('--truncate', action='store_true')
    b.add_argument('--branch', default='master')
    b.add_argument('--date', default='2026.11.30')
    b.add_argument('--out', default='.')
    b.add_argument('--files', help='also write the loose files into this directory')
    b.add_argument('--json', action='store_true')
    f = sub.add_parser('preflash')
    f.add_argument('--chip', required=True)
    f.add_argument('--state', required=True)
    f.add_argument('--bundle', required=True)
    t = sub.add_parser('tune')
    t.add_argument('--chip', required=True)
    t.add_argument('--state', required=True)
    t.add_argument('--seed', type=int, default=1)
    t.add_argument('--json', action='store_true')
    r = sub.add_parser('region')
    r.add_argument('--chip', required=True)
    c = sub.add_parser('check')
    c.add_argument('file')
    c.add_argument('--base', type=lambda s: int(s, 0), default=FLASH_BASE)
    a = p.parse_args(argv)
    if a.cmd == 'bundle':
        if a.size * 1024 > MAX_IMAGE or a.size < 4:
            p.error('--size takes 4 to 1024 KiB')
        return cmd_bundle(a)
    if a.cmd == 'preflash':
        return cmd_preflash(a)
    if a.cmd == 'tune':
        return cmd_tune(a)
    if a.cmd == 'region':
        return cmd_region(a)
    return cmd_check(a)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]) or 0)
