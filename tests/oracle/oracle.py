#!/usr/bin/env python3
"""oracle.py - a seeded, bounded, randomized differential test of dfuflash.

The promise under test: only the bytes the user asked to change ever change,
and dfuflash never reports a success it did not have; on every chip profile,
for every command, through faults.

For each chip profile of `dfusim chips --json` (every DfuSe chip, the F7
parts with a dual-bank map also with nDBANK=0, and the plain DFU 1.1
profiles) the oracle starts from a state file of random bytes, runs a random
sequence of dfuflash commands under `dfusim run --time-scale 0`, and after
every step compares the whole state file byte by byte with its own model of
what the flash must now hold. A failing sequence is shrunk (steps deleted and
simplified while the same failure persists) and saved as a JSON case file;
--replay runs such files (tests/oracle/regressions/). See docs/oracle.md.

Python 3 standard library only. Images are made with srec_cat (.hex, .srec),
dfuse-pack and dfu-suffix (.dfu) and written here (.bin, .elf, empty files).
"""
import argparse
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

EXIT_OK = 0
EXIT_VERIFY = 6     # verify: the flash differs from the image
EXIT_REFUSED = 8    # refused, nothing changed

RUN_TIMEOUT = 180   # seconds one dfusim run may take before it counts as a hang


# --------------------------------------------------------------------------
# Chip profiles
# --------------------------------------------------------------------------

def expand_map(runs):
    """[{count,size}...] -> [(offset, size)...] from the flash base."""
    out, off = [], 0
    for r in runs:
        for _ in range(r["count"]):
            out.append((off, r["size"]))
            off += r["size"]
    return out


class Profile:
    """One chip profile as the oracle drives it: a dfusim chip, and for the
    F7 parts with a dual-bank map the option byte nDBANK it starts with."""

    def __init__(self, chip, dual):
        self.chip = chip["name"]
        self.name = self.chip + (":nDBANK=0" if dual else "")
        self.dfuse = chip["protocol"] == "dfuse"
        self.base = chip["flash_base"]
        self.size = chip["flash_size"]
        self.xfer = chip["wTransferSize"]
        self.vid = int(chip["idVendor"], 16)
        self.pid = int(chip["idProduct"], 16)
        self.quirks = set(chip.get("quirks", []))
        self.map_single = expand_map(chip["sectors"])
        dual_runs = chip.get("sectors_dual_bank")
        self.map_dual = expand_map(dual_runs) if dual_runs else None
        self.init_dual = dual

    @property
    def has_ndbank(self):
        return self.map_dual is not None

    def true_map(self, dual):
        return self.map_dual if (dual and self.map_dual) else self.map_single

    def own_sectors(self, dual):
        """The chip's own sector numbers in a mode: {number: (offset, size)}.
        Single bank: 0..n-1 in address order. Dual bank (RM0410): bank 1 is
        0..k-1 and bank 2 starts at 12 (0-11/12-23 on 2 MB parts, 0-7/12-19
        on 1 MB parts)."""
        if dual and self.map_dual:
            half = self.size // 2
            b1 = [s for s in self.map_dual if s[0] < half]
            b2 = [s for s in self.map_dual if s[0] >= half]
            out = {i: s for i, s in enumerate(b1)}
            out.update({12 + i: s for i, s in enumerate(b2)})
            return out
        return {i: s for i, s in enumerate(self.map_single)}

    def boundaries(self, dual):
        """Interesting offsets: every sector start in both maps, the banks."""
        b = {s[0] for s in self.true_map(dual)}
        if self.map_dual:
            b |= {s[0] for s in self.map_dual} | {s[0] for s in self.map_single}
            b.add(self.size // 2)
        b.add(self.size)
        return sorted(b)


def load_profiles(dfusim):
    out = subprocess.run([dfusim, "chips", "--json"], check=True, capture_output=True,
                         text=True).stdout
    profiles = []
    for chip in json.loads(out):
        if chip["protocol"] == "dfuse":
            # Every DfuSe chip as it comes; the parts with a dual-bank map
            # in dual-bank mode too (nDBANK=0).
            profiles.append(Profile(chip, False))
            if chip.get("sectors_dual_bank"):
                profiles.append(Profile(chip, True))
        elif chip["protocol"] == "dfu11":
            profiles.append(Profile(chip, False))
    return profiles


# --------------------------------------------------------------------------
# Image files
# --------------------------------------------------------------------------

def seg_bytes(seg, model, profile):
    """The bytes of a segment [addr, len, dseed]; dseed None = what the model
    holds there (a verify image that matches)."""
    addr, n, dseed = seg
    if dseed is None:
        off = addr - profile.base
        return bytes(model.flash[off:off + n])
    return random.Random(dseed).randbytes(n)


def write_elf(path, pieces):
    n = len(pieces)
    phoff = 52
    data_off = phoff + 32 * n
    eh = struct.pack("<16sHHIIIIIHHHHHH", b"\x7fELF\x01\x01\x01" + bytes(9), 2, 40, 1,
                     pieces[0][0], phoff, 0, 0x05000000, 52, 32, n, 40, 0, 0)
    phs, datas, off = b"", b"", data_off
    for addr, data in pieces:
        phs += struct.pack("<IIIIIIII", 1, off, addr, addr, len(data), len(data), 5, 4)
        datas += data
        off += len(data)
    with open(path, "wb") as f:
        f.write(eh + phs + datas)


def make_image(workdir, name, fmt, pieces, profile):
    """Writes pieces [(addr, bytes)] as a file of format fmt; returns the
    path and the extra arguments the command needs (--address, --format)."""
    path = os.path.join(workdir, name + "." + fmt)
    if os.path.exists(path):
        os.remove(path)
    extra = []
    if fmt == "bin":
        assert len(pieces) == 1
        with open(path, "wb") as f:
            f.write(pieces[0][1])
        if profile.dfuse and pieces[0][0] != profile.base:
            extra = ["--address", "0x%08X" % pieces[0][0]]
    elif fmt == "elf":
        write_elf(path, pieces)
    elif fmt in ("hex", "srec"):
        cmd = ["srec_cat"]
        for i, (addr, data) in enumerate(pieces):
            pp = os.path.join(workdir, "%s.p%d" % (name, i))
            with open(pp, "wb") as f:
                f.write(data)
            cmd += [pp, "-binary", "-offset", "0x%08X" % addr]
        if fmt == "hex":
            cmd += ["-o", path, "-intel"]
        else:
            cmd += ["-o", path, "-motorola", "-address-length=4"]
        subprocess.run(cmd, check=True, capture_output=True)
    elif fmt == "dfu" and profile.dfuse:
        cmd = ["dfuse-pack"]
        for i, (addr, data) in enumerate(pieces):
            pp = os.path.join(workdir, "%s.p%d" % (name, i))
            with open(pp, "wb") as f:
                f.write(data)
            cmd += ["-b", "0x%08X:%s" % (addr, pp)]
        cmd += ["-D", "0x%04x:0x%04x" % (profile.vid, profile.pid), path]
        subprocess.run(cmd, check=True, capture_output=True)
    elif fmt == "dfu":
        # plain DFU 1.1 file: the raw bytes and a suffix for this device
        assert len(pieces) == 1
        with open(path, "wb") as f:
            f.write(pieces[0][1])
        subprocess.run(["dfu-suffix", "-v", "%04x" % profile.vid, "-p", "%04x" % profile.pid,
                        "-a", path], check=True, capture_output=True)
        extra = ["--format", "dfu"]
    else:
        raise ValueError(fmt)
    return path, extra


def make_empty(workdir, fmt):
    path = os.path.join(workdir, "empty." + fmt)
    with open(path, "w") as f:
        if fmt == "hex":
            f.write(":00000001FF\n")          # end-of-file record only
        elif fmt == "srec":
            f.write("S0030000FC\nS9030000FC\n")  # header and start record only
        # bin: zero bytes
    return path


# --------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------

class Model:
    def __init__(self, flash, dual):
        self.flash = flash
        self.dual = dual

    def copy(self):
        return Model(bytearray(self.flash), self.dual)


def diff_ranges(actual, expected, base, limit=6):
    """Where two flash images differ, as a short text."""
    if len(actual) != len(expected):
        return "state file is %d bytes, the flash %d" % (len(actual), len(expected))
    ranges, i, n = [], 0, len(expected)
    count = 0
    # Compare in blocks first (fast), then bytes inside differing blocks.
    blk = 4096
    start = None
    for b in range(0, n, blk):
        if actual[b:b + blk] == expected[b:b + blk]:
            if start is not None:
                ranges.append((start, b))
                start = None
            continue
        for j in range(b, min(n, b + blk)):
            if actual[j] != expected[j]:
                count += 1
                if start is None:
                    start = j
            elif start is not None:
                ranges.append((start, j))
                start = None
    if start is not None:
        ranges.append((start, n))
    txt = ", ".join("0x%08X-0x%08X (%d bytes)" % (base + a, base + e - 1, e - a)
                    for a, e in ranges[:limit])
    if len(ranges) > limit:
        txt += ", ... %d ranges in all" % len(ranges)
    return "%d wrong bytes: %s" % (count, txt)


def wrong_positions_outside(actual, expected, lo, hi):
    """True if actual and expected differ anywhere outside [lo, hi)."""
    return actual[:lo] != expected[:lo] or actual[hi:] != expected[hi:]


# --------------------------------------------------------------------------
# Running one step
# --------------------------------------------------------------------------

class Failure(Exception):
    def __init__(self, kind, step_index, message):
        super().__init__(message)
        self.kind = kind
        self.step_index = step_index
        self.message = message

    def signature(self, steps):
        return (steps[self.step_index]["op"], self.kind)


def describe(step):
    op = step["op"]
    if op in ("flash", "verify"):
        segs = ", ".join("0x%08X+0x%X%s" % (a, n, "" if d is not None else "=flash")
                         for a, n, d in step["segs"])
        s = "%s .%s [%s]" % (op, step["fmt"], segs)
        if op == "flash" and not step.get("leave"):
            s += " --no-leave"
        if op == "verify" and step.get("flip") is not None:
            s += " (byte %d flipped)" % step["flip"]
    elif op == "erase_range":
        s = "erase --range 0x%08X:0x%X" % (step["addr"], step["len"])
    elif op == "erase_sector":
        s = "erase --sector %s" % sector_arg(step)
    elif op == "erase_mass":
        s = "erase --mass"
    elif op == "read":
        s = "read --address 0x%08X --length 0x%X%s" % (
            step["addr"], step["len"], " into an existing file" if step.get("existing") else "")
    elif op == "optbytes":
        s = "option-bytes --set nDBANK=%d --yes" % step["ndbank"]
    elif op == "empty":
        s = "flash an empty .%s" % step["fmt"]
    else:
        s = op
    if step.get("fault"):
        s += "   [fault %s, then the same again without]" % step["fault"]
    return s


def sector_arg(step):
    if step["first"] == step["last"]:
        return "%d" % step["first"]
    return "%d-%d" % (step["first"], step["last"])


class Runner:
    def __init__(self, profile, dfuflash, dfusim, verbose=False):
        self.p = profile
        self.dfuflash = dfuflash
        self.dfusim = dfusim
        self.verbose = verbose
        self.dir = tempfile.mkdtemp(prefix="dfu-oracle.")
        self.st = os.path.join(self.dir, "st")
        self.statedir = os.path.join(self.dir, "journal")
        self.log = os.path.join(self.dir, "req.log")
        self.runs = 0

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def reset(self, init_seed):
        """A fresh chip: random flash, factory option bytes (nDBANK=0 on a
        dual-bank profile), an empty journal directory."""
        for f in os.listdir(self.dir):
            path = os.path.join(self.dir, f)
            if os.path.isdir(path):
                shutil.rmtree(path)
            else:
                os.remove(path)
        os.mkdir(self.statedir)
        flash = bytearray(random.Random(init_seed).randbytes(self.p.size))
        with open(self.st, "wb") as f:
            f.write(flash)
        if self.p.init_dual:
            # Writes st.optbytes with nDBANK=0; later runs read it from there
            # (a --option-bytes on every run would undo option-bytes --set).
            subprocess.run([self.dfusim, "run", "--chip", self.p.chip, "--flash", self.st,
                            "--option-bytes", "nDBANK=0", "--", "true"], check=True,
                           capture_output=True)
        return Model(flash, self.p.init_dual)

    def state(self):
        with open(self.st, "rb") as f:
            return f.read()

    def ndbank(self):
        with open(self.st + ".optbytes", "rb") as f:
            ob = f.read()
        return (ob[9] >> 5) & 1

    def run(self, args, fault=None):
        cmd = [self.dfusim, "run", "--chip", self.p.chip, "--time-scale", "0",
               "--flash", self.st]
        if fault:
            if os.path.exists(self.log):
                os.remove(self.log)
            cmd += ["--fault", fault, "--log", self.log]
        cmd += ["--", self.dfuflash] + args
        env = dict(os.environ, DFUFLASH_STATE_DIR=self.statedir)
        self.runs += 1
        try:
            r = subprocess.run(cmd, cwd=self.dir, env=env, capture_output=True, text=True,
                               errors="replace", timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            return None, "(no answer in %d s)" % RUN_TIMEOUT
        out = (r.stdout + r.stderr).strip()
        if self.verbose:
            print("    $ dfuflash %s%s -> %d" % (" ".join(args), " [%s]" % fault if fault else "",
                                                 r.returncode), file=sys.stderr)
        return r.returncode, out

    def misdirected_sector(self, dual):
        """The sector (offset, size) a misdirect fault erased, from the log;
        None if the fault did not fire or erased nothing."""
        try:
            with open(self.log, errors="replace") as f:
                text = f.read()
        except OSError:
            return None
        m = re.search(r"ERASE 0x([0-9a-fA-F]{8}) misdirected to the sector before", text)
        if not m:
            return None
        off = int(m.group(1), 16) - self.p.base
        # As sim/ops.c: the sector asked, by the true map, or in dual-bank
        # mode with the f7-dualbank-erase quirk by its single-bank number.
        tmap = self.p.true_map(dual)
        nmap = self.p.map_single if (dual and self.p.map_dual and
                                     "f7-dualbank-erase" in self.p.quirks) else tmap
        n = next((i for i, (o, s) in enumerate(nmap) if o <= off < o + s), None)
        if not n or n - 1 >= len(tmap):
            return None
        return tmap[n - 1]


def expected_after(step, model, profile):
    """What a successful step leaves: (model, target) where target is the
    list of (offset, length) spans the step sets, and the exit code rule:
    'ok' (0), 'refused' (8), 'nonzero', 'verify' (0 or 6 by content)."""
    op = step["op"]
    m = model.copy()
    if op == "flash":
        pieces = [(a, seg_bytes((a, n, d), model, profile)) for a, n, d in step["segs"]]
        if profile.dfuse:
            for a, data in pieces:
                o = a - profile.base
                m.flash[o:o + len(data)] = data
            target = [(a - profile.base, len(d)) for a, d in pieces]
        else:
            # plain DFU: the first block erases the whole flash
            m.flash[:] = b"\xff" * profile.size
            m.flash[:len(pieces[0][1])] = pieces[0][1]
            target = [(0, profile.size)]
        return m, target, "ok"
    if op == "erase_range":
        o = step["addr"] - profile.base
        m.flash[o:o + step["len"]] = b"\xff" * step["len"]
        return m, [(o, step["len"])], "ok"
    if op == "erase_sector":
        secs = profile.own_sectors(model.dual)
        nums = range(step["first"], step["last"] + 1)
        if step["first"] > step["last"] or any(n not in secs for n in nums):
            return m, [], "refused"
        target = []
        for n in nums:
            o, s = secs[n]
            m.flash[o:o + s] = b"\xff" * s
            target.append((o, s))
        return m, target, "ok"
    if op == "erase_mass":
        m.flash[:] = b"\xff" * profile.size
        return m, [(0, profile.size)], "ok"
    if op == "optbytes":
        m.dual = step["ndbank"] == 0
        return m, [], "ok"
    if op in ("read", "verify"):
        return m, [], "read" if op == "read" else "verify"
    if op == "empty":
        return m, [], "nonzero"
    raise ValueError(op)


def step_args(step, runner, model):
    """The dfuflash arguments of a step, after writing its files."""
    p = runner.p
    op = step["op"]
    if op in ("flash", "verify"):
        pieces = [(a, seg_bytes((a, n, d), model, p)) for a, n, d in step["segs"]]
        if op == "verify" and step.get("flip") is not None:
            a, data = pieces[0]
            k = step["flip"] % len(data)
            data = bytearray(data)
            data[k] ^= 0x5A
            pieces[0] = (a, bytes(data))
        path, extra = make_image(runner.dir, "img", step["fmt"], pieces, p)
        args = [op, os.path.basename(path)] + extra
        if op == "flash" and not step.get("leave"):
            args.append("--no-leave")
        return args, pieces
    if op == "erase_range":
        return ["erase", "--range", "0x%08X:0x%X" % (step["addr"], step["len"])], None
    if op == "erase_sector":
        return ["erase", "--sector", sector_arg(step)], None
    if op == "erase_mass":
        return ["erase", "--mass"], None
    if op == "read":
        args = ["read", "out.bin"]
        if p.dfuse:
            args += ["--address", "0x%08X" % step["addr"]]
        return args + ["--length", "0x%X" % step["len"]], None
    if op == "optbytes":
        return ["option-bytes", "--set", "nDBANK=%d" % step["ndbank"], "--yes"], None
    if op == "empty":
        return ["flash", os.path.basename(make_empty(runner.dir, step["fmt"]))], None
    raise ValueError(op)


def run_case(runner, init_seed, steps, on_step=None):
    """Runs a sequence from a fresh chip. Raises Failure at the first rule
    broken; returns the number of dfusim runs otherwise."""
    p = runner.p
    model = runner.reset(init_seed)
    out_path = os.path.join(runner.dir, "out.bin")
    for i, step in enumerate(steps):
        if on_step:
            on_step(i)
        op = step["op"]
        fault = step.get("fault")
        want, target, rule = expected_after(step, model, p)
        args, pieces = step_args(step, runner, model)

        def fail(kind, msg, out=""):
            tail = "\n".join(out.splitlines()[-8:])
            raise Failure(kind, i, "step %d (%s): %s%s" % (
                i + 1, describe(step), msg, ("\n      dfuflash said: " +
                                              tail.replace("\n", "\n        ")) if tail else ""))

        # read: a fresh output file, or one that exists and must survive
        old_out = None
        if op == "read":
            if os.path.exists(out_path):
                os.remove(out_path)
            if step.get("existing"):
                old_out = random.Random(step["len"]).randbytes(100 + step["len"] % 1000)
                with open(out_path, "wb") as f:
                    f.write(old_out)
        matches = None
        if op == "verify":
            matches = all(bytes(model.flash[a - p.base:a - p.base + len(d)]) == d
                          for a, d in pieces)

        def check_read_out(rc, out, faulty):
            if old_out is not None:
                if rc == 0:
                    fail("read-overwrote", "exit 0: a read into an existing file without "
                         "--force must be refused", out)
                if not os.path.exists(out_path) or open(out_path, "rb").read() != old_out:
                    fail("read-overwrote", "exit %d, but the existing output file was "
                         "changed" % rc, out)
                return
            if rc == 0:
                o = step["addr"] - p.base
                got = open(out_path, "rb").read() if os.path.exists(out_path) else None
                exp = bytes(model.flash[o:o + step["len"]])
                if got != exp:
                    fail("read-wrong", "exit 0 but the output file %s" % (
                        "is missing" if got is None else
                        "differs from the flash (%d bytes, %s)" % (
                            len(got), diff_ranges(got, exp, step["addr"])
                            if len(got) == len(exp) else "length differs")), out)
            elif not faulty:
                fail("exit", "exit %d, expected 0" % rc, out)

        def check_exit(rc, out, faulty):
            """The exit code rule for a run; a faulty run may fail."""
            if rc is None:
                fail("hang", out)
            if rule == "ok":
                if rc != 0 and not faulty:
                    fail("exit", "exit %d, expected 0" % rc, out)
            elif rule == "refused":
                if rc != EXIT_REFUSED and not (faulty and rc != 0):
                    fail("exit", "exit %d, expected %d (no such sector in this mode)"
                         % (rc, EXIT_REFUSED), out)
            elif rule == "nonzero":
                if rc == 0:
                    fail("empty-accepted", "exit 0: an image with no data must be refused",
                         out)
            elif rule == "verify":
                good = 0 if matches else EXIT_VERIFY
                if rc == 0 and not matches:
                    fail("verify-false-ok", "exit 0 but the flash does not hold the image",
                         out)
                if rc == EXIT_VERIFY and matches:
                    fail("verify-false-diff", "exit 6 but the flash holds the image", out)
                if rc != good and not faulty:
                    fail("exit", "exit %d, expected %d" % (rc, good), out)
            elif rule == "read":
                check_read_out(rc, out, faulty)

        def check_state(rc, out, when, allowed=None):
            got = runner.state()
            if got == want.flash:
                return got
            if allowed:
                lo, hi = allowed
                if not wrong_positions_outside(got, want.flash, lo, hi):
                    return got
            if rule in ("read", "verify", "nonzero", "refused"):
                kind = "changed"
                what = "the flash changed"
            else:
                kind = "state"
                what = "the flash is not what it must be"
            fail(kind, "%s%s, exit %s: %s" % (what, when, rc,
                                               diff_ranges(got, want.flash, p.base)), out)

        if not fault:
            rc, out = runner.run(args)
            check_exit(rc, out, False)
            check_state(rc, out, "")
        else:
            rc, out = runner.run(args, fault)
            if rc is None:
                fail("hang", out)
            lost = runner.misdirected_sector(model.dual) if fault.startswith("misdirect") \
                else None
            got = runner.state()
            if rc == 0 and got != want.flash:
                fail("false-success", "exit 0 under fault %s, but %s" % (
                    fault, diff_ranges(got, want.flash, p.base)), out)
            check_exit(rc, out, True)
            if rule in ("read", "verify", "nonzero", "refused"):
                check_state(rc, out, " (under fault %s)" % fault)
            # The same command again, no fault, same journal directory.
            if op == "read" and os.path.exists(out_path) and old_out is None:
                os.remove(out_path)
            if op in ("flash", "verify"):
                args, pieces = step_args(step, runner, model)
            allowed = None
            if lost:
                allowed = (lost[0], lost[0] + lost[1])
            rc2, out2 = runner.run(args)
            check_exit(rc2, out2, False)
            got = check_state(rc2, out2, " after the fault %s and a run without it" % fault,
                              allowed)
            if allowed:
                # The misdirected erase lost what it lost: the model takes the
                # bytes of that sector the step does not set from the flash.
                tmask = bytearray(p.size)
                for o, n in target:
                    tmask[o:o + n] = b"\x01" * n
                lo, hi = allowed
                for j in range(lo, hi):
                    if not tmask[j] and got[j] != want.flash[j]:
                        want.flash[j] = got[j]
                if got != want.flash:
                    fail("state", "after a misdirected erase of 0x%08X+0x%X and a run "
                         "without fault the bytes the step sets are wrong: %s" % (
                             p.base + lo, hi - lo, diff_ranges(got, want.flash, p.base)), out2)
        if op == "optbytes":
            nd = runner.ndbank()
            if nd != step["ndbank"]:
                fail("optbytes", "option bytes say nDBANK=%d after setting %d" %
                     (nd, step["ndbank"]))
        model = want
    return runner.runs


# --------------------------------------------------------------------------
# Random steps
# --------------------------------------------------------------------------

FAULTS_WRITE = ["powerloss@write:%d", "disconnect@write:%d", "status=errWRITE@write:%d"]
FAULTS_ERASE = ["disconnect@erase:%d", "misdirect@erase:%d"]
FAULTS_READ = ["stall@upload:%d"]


class Gen:
    def __init__(self, profile, rng, ops=None, fault_rate=0.3):
        self.p = profile
        self.r = rng
        self.ops = ops
        self.fault_rate = fault_rate

    def pick(self, ops):
        if self.ops:
            ops = [(o, w) for o, w in ops if o in self.ops] or ops
        return self.r.choices([o for o, _ in ops], [w for _, w in ops])[0]

    def addr(self, dual):
        r, p = self.r, self.p
        if r.random() < 0.6:
            b = r.choice(p.boundaries(dual))
            o = b + r.randint(-400, 400)
        else:
            o = r.randrange(p.size)
        return min(max(o, 0), p.size - 1)

    def length(self, off, big=True):
        r = self.r
        k = r.random()
        if k < 0.35:
            n = r.randint(1, 300)
        elif k < 0.8 or not big:
            n = r.randint(300, 24 * 1024)
        else:
            n = r.randint(24 * 1024, 260 * 1024)
        return max(1, min(n, self.p.size - off))

    def segments(self, dual, count):
        segs = []
        for _ in range(count * 3):
            if len(segs) == count:
                break
            o = self.addr(dual)
            n = self.length(o, big=count == 1 or self.r.random() < 0.3)
            if any(o < so + sn + 1 and so < o + n + 1 for so, sn in segs):
                continue
            segs.append((o, n))
        segs.sort()
        return [[self.p.base + o, n, self.r.getrandbits(32)] for o, n in segs]

    def fault(self, op, nbytes, nsectors):
        r = self.r
        if op == "flash":
            kinds = FAULTS_WRITE + FAULTS_ERASE + FAULTS_READ
        elif op.startswith("erase") and op != "erase_mass":
            kinds = FAULTS_ERASE + FAULTS_WRITE + FAULTS_READ
        else:
            kinds = FAULTS_READ
        if not self.p.dfuse:
            kinds = [k for k in kinds if "erase" not in k]
        k = r.choice(kinds)
        if "@write" in k or "@upload" in k:
            n = r.randint(1, max(2, nbytes // self.p.xfer + 2))
        else:
            n = r.randint(1, max(1, nsectors))
        return k % n

    def sectors_touched(self, segs, dual):
        return sum(1 for o, s in self.p.true_map(dual)
                   for a, n, _ in segs if a - self.p.base < o + s and o < a - self.p.base + n)

    def step(self, model):
        r, p = self.r, self.p
        dual = model.dual
        if not p.dfuse:
            return self.plain_step()
        ops = [("flash", 34), ("erase_range", 12), ("erase_sector", 12), ("erase_mass", 2),
               ("read", 10), ("verify", 12), ("empty", 4)]
        if p.has_ndbank:
            ops.append(("optbytes", 5))
        op = self.pick(ops)
        s = {"op": op}
        if op in ("flash", "verify"):
            fmt = r.choice(["bin", "hex", "srec", "elf", "dfu"])
            count = 1 if fmt == "bin" else r.choice([1, 1, 2, 3, 4])
            s["fmt"] = fmt
            s["segs"] = self.segments(dual, count)
            if op == "flash":
                s["leave"] = r.random() < 0.25
            else:
                if r.random() < 0.7:
                    for seg in s["segs"]:
                        seg[2] = None          # the flash's own bytes
                    s["flip"] = r.randrange(1 << 20) if r.random() < 0.3 else None
                else:
                    s["flip"] = None
            nb = sum(n for _, n, _ in s["segs"])
            ns = self.sectors_touched(s["segs"], dual)
        elif op == "erase_range":
            o = self.addr(dual)
            s["addr"] = p.base + o
            s["len"] = self.length(o)
            nb, ns = s["len"], self.sectors_touched([[s["addr"], s["len"], 0]], dual)
        elif op == "erase_sector":
            secs = p.own_sectors(dual)
            nums = sorted(secs)
            if r.random() < 0.2:
                # a number that does not exist in this mode
                bad = [n for n in range(0, max(nums) + 3) if n not in secs]
                first = r.choice(bad)
                last = first if r.random() < 0.5 else first + r.randint(0, 2)
                if r.random() < 0.3 and first > 0:
                    first = max(0, first - r.randint(1, 3))
            else:
                first = r.choice(nums)
                last = first if r.random() < 0.6 else min(max(nums), first + r.randint(1, 3))
            s["first"], s["last"] = first, last
            nb, ns = 0, last - first + 1
        elif op == "read":
            o = self.addr(dual)
            s["addr"] = p.base + o
            s["len"] = self.length(o)
            s["existing"] = r.random() < 0.2
            nb, ns = s["len"], 0
        elif op == "optbytes":
            s["ndbank"] = 0 if not dual else 1
            nb = ns = 0
        elif op == "empty":
            s["fmt"] = r.choice(["bin", "hex", "srec"])
            nb = ns = 0
        else:
            nb = ns = 0
        if op not in ("optbytes", "empty", "erase_mass") and r.random() < self.fault_rate:
            s["fault"] = self.fault(op, nb, ns)
        return s

    def plain_step(self):
        r, p = self.r, self.p
        op = self.pick([("flash", 40), ("read", 20), ("verify", 30), ("empty", 6)])
        s = {"op": op}
        if op in ("flash", "verify"):
            s["fmt"] = r.choice(["bin", "dfu"])
            n = self.length(0)
            s["segs"] = [[p.base, n, r.getrandbits(32)]]
            if op == "flash":
                s["leave"] = r.random() < 0.25
            else:
                if r.random() < 0.7:
                    s["segs"][0][2] = None
                s["flip"] = r.randrange(1 << 20) if r.random() < 0.3 else None
            nb = n
        elif op == "read":
            s["addr"] = p.base
            s["len"] = self.length(0)
            s["existing"] = r.random() < 0.2
            nb = s["len"]
        else:
            s["fmt"] = r.choice(["bin", "hex"])
            nb = 0
        if op != "empty" and r.random() < self.fault_rate:
            s["fault"] = self.fault(op, nb, 0)
        return s


def gen_case(profile, seed, index, nsteps, ops=None, fault_rate=0.3):
    """A case: its initial-state seed and steps. Steps are made against a
    model that assumes every step does what it must (as the run checks)."""
    rng = random.Random("%d/%s/%d" % (seed, profile.name, index))
    init_seed = rng.getrandbits(48)
    g = Gen(profile, rng, ops, fault_rate)
    model = Model(bytearray(random.Random(init_seed).randbytes(profile.size)),
                  profile.init_dual)
    steps = []
    for _ in range(nsteps):
        s = g.step(model)
        steps.append(s)
        model = expected_after(s, model, profile)[0]
    return init_seed, steps


# --------------------------------------------------------------------------
# Shrinking
# --------------------------------------------------------------------------

def simplifications(step):
    """Simpler variants of a step, simplest first."""
    out = []
    if step.get("fault"):
        s = dict(step)
        del s["fault"]
        out.append(s)
        m = re.match(r"(.*:)(\d+)$", step["fault"])
        if m and int(m.group(2)) > 1:
            for n in (1, int(m.group(2)) // 2):
                s = dict(step, fault="%s%d" % (m.group(1), n))
                out.append(s)
    op = step["op"]
    if op in ("flash", "verify"):
        segs = step["segs"]
        if len(segs) > 1:
            for k in range(len(segs)):
                out.append(dict(step, segs=segs[:k] + segs[k + 1:]))
        if step["fmt"] != "bin" and len(segs) == 1:
            out.append(dict(step, fmt="bin"))
        for k, (a, n, d) in enumerate(segs):
            if n > 1:
                for nn in (n // 16, n // 2):
                    if nn >= 1:
                        out.append(dict(step, segs=segs[:k] + [[a, nn, d]] + segs[k + 1:]))
        if step.get("leave"):
            out.append(dict(step, leave=False))
        if step.get("flip"):
            out.append(dict(step, flip=0))
    elif op in ("erase_range", "read"):
        n = step["len"]
        for nn in (n // 16, n // 2):
            if nn >= 1 and nn != n:
                out.append(dict(step, len=nn))
    elif op == "erase_sector" and step["last"] > step["first"]:
        out.append(dict(step, last=step["first"]))
        out.append(dict(step, first=step["last"]))
    return out


class Shrinker:
    def __init__(self, runner, init_seed, signature, budget):
        self.runner = runner
        self.init_seed = init_seed
        self.sig = signature
        self.deadline = time.monotonic() + budget
        self.tries = 0

    def fails(self, steps):
        """The failure if steps still show the same one, else None."""
        if time.monotonic() > self.deadline or not steps:
            return None
        self.tries += 1
        try:
            run_case(self.runner, self.init_seed, steps)
        except Failure as f:
            if f.signature(steps) == self.sig:
                return f
        return None

    def shrink(self, steps, failure):
        steps = steps[:failure.step_index + 1]
        best = failure
        # 1. delete steps: chunks, then single steps (keep the failing one)
        n = 2
        while len(steps) > 1 and time.monotonic() < self.deadline:
            chunk = max(1, len(steps) // n)
            removed = False
            for lo in range(0, len(steps), chunk):
                cand = steps[:lo] + steps[lo + chunk:]
                f = self.fails(cand)
                if f:
                    steps, best = cand[:f.step_index + 1], f
                    removed = True
                    break
            if removed:
                n = max(n - 1, 2)
            elif chunk == 1:
                break
            else:
                n = min(len(steps), n * 2)
        # 2. simplify steps until nothing simpler still fails
        changed = True
        while changed and time.monotonic() < self.deadline:
            changed = False
            for k in range(len(steps)):
                for simpler in simplifications(steps[k]):
                    cand = steps[:k] + [simpler] + steps[k + 1:]
                    f = self.fails(cand)
                    if f:
                        steps, best = cand[:f.step_index + 1], f
                        changed = True
                        break
                if changed:
                    break
        return steps, best


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def save_case(path, profile, init_seed, steps, failure, origin):
    case = {
        "profile": profile.name,
        "init_seed": init_seed,
        "found": origin,
        "failure": failure.message.splitlines()[0] if failure else None,
        "signature": list(failure.signature(steps)) if failure else None,
        "steps": steps,
    }
    with open(path, "w") as f:
        json.dump(case, f, indent=1)
        f.write("\n")


def print_case(profile, init_seed, steps, failure, out=sys.stdout):
    print("  chip %s, initial flash from seed %d, %d step%s:" % (
        profile.name, init_seed, len(steps), "" if len(steps) == 1 else "s"), file=out)
    for i, s in enumerate(steps):
        print("    %d. %s" % (i + 1, describe(s)), file=out)
    print("  what was wrong: %s" % failure.message, file=out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dfuflash", required=True)
    ap.add_argument("--dfusim", required=True)
    ap.add_argument("--seed", type=int,
                    help="seed of the random cases (default 1; with --replay and neither "
                    "--seed nor --chips only the case files run)")
    ap.add_argument("--steps", type=int, default=12, help="steps per case")
    ap.add_argument("--cases", type=int, default=0,
                    help="cases per chip at most (0: as many as the time allows)")
    ap.add_argument("--time-limit", type=float, default=180,
                    help="seconds for all random cases together, shared by the chips")
    ap.add_argument("--shrink-limit", type=float, default=120,
                    help="seconds to shrink one failure")
    ap.add_argument("--chips", help="profiles, comma-separated (stm32f767:nDBANK=0 is the "
                    "dual-bank F767)")
    ap.add_argument("--replay", nargs="*", metavar="FILE", help="run these case files")
    ap.add_argument("--save-dir", default="oracle-failures",
                    help="where shrunk failing cases are written")
    ap.add_argument("--no-shrink", action="store_true")
    ap.add_argument("--ops", help="only these step kinds (comma-separated: flash, verify, "
                    "read, erase_range, erase_sector, erase_mass, optbytes, empty)")
    ap.add_argument("--fault-rate", type=float, default=0.3,
                    help="share of steps run with a fault (default 0.3)")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    a.dfuflash = os.path.abspath(a.dfuflash)
    a.dfusim = os.path.abspath(a.dfusim)

    profiles = {p.name: p for p in load_profiles(a.dfusim)}
    ops = set(a.ops.split(",")) if a.ops else None
    failures = 0

    if a.replay is not None:
        for path in a.replay:
            case = json.load(open(path))
            p = profiles.get(case["profile"])
            if not p:
                print("%s: SKIP, dfusim has no profile %s" % (path, case["profile"]))
                continue
            runner = Runner(p, a.dfuflash, a.dfusim, a.verbose)
            t0 = time.monotonic()
            try:
                run_case(runner, case["init_seed"], case["steps"])
                print("%s: pass (%s, %d steps, %.1f s)" % (
                    os.path.basename(path), p.name, len(case["steps"]), time.monotonic() - t0))
            except Failure as f:
                failures += 1
                print("%s: FAIL (%s, %.1f s)" % (os.path.basename(path), p.name,
                                                  time.monotonic() - t0))
                print_case(p, case["init_seed"], case["steps"][:f.step_index + 1], f)
            finally:
                runner.close()
        if a.seed is None and not a.chips:
            return 1 if failures else 0
    if a.seed is None:
        a.seed = 1

    names = a.chips.split(",") if a.chips else list(profiles)
    for n in names:
        if n not in profiles:
            ap.error("no profile %s (there are: %s)" % (n, ", ".join(profiles)))
    os.makedirs(a.save_dir, exist_ok=True) if names else None
    total_t0 = time.monotonic()
    shrink_time = 0.0
    for k, n in enumerate(names):
        p = profiles[n]
        # Each chip gets an equal share of what is left (shrinking apart).
        left = a.time_limit - (time.monotonic() - total_t0 - shrink_time)
        share = max(left / (len(names) - k), 1.0)
        t0 = time.monotonic()
        runner = Runner(p, a.dfuflash, a.dfusim, a.verbose)
        cases = steps_run = 0
        found = None
        try:
            while True:
                if a.cases and cases >= a.cases:
                    break
                if cases and time.monotonic() - t0 > share:
                    break
                init_seed, steps = gen_case(p, a.seed, cases, a.steps, ops, a.fault_rate)
                done = [0]
                try:
                    run_case(runner, init_seed, steps,
                             on_step=lambda i: done.__setitem__(0, i + 1))
                    steps_run += len(steps)
                    cases += 1
                except Failure as f:
                    steps_run += done[0]
                    cases += 1
                    found = (cases - 1, init_seed, steps, f)
                    break
            elapsed = time.monotonic() - t0
            print("%-24s %3d cases, %4d steps, %6.1f s%s" % (
                p.name, cases, steps_run, elapsed, "  FAIL" if found else ""), flush=True)
            if found:
                failures += 1
                idx, init_seed, steps, f = found
                print("FAIL seed %d chip %s case %d" % (a.seed, p.name, idx))
                sig = f.signature(steps)
                t1 = time.monotonic()
                if not a.no_shrink:
                    sh = Shrinker(runner, init_seed, sig, a.shrink_limit)
                    steps, f = sh.shrink(steps, f)
                    print("  shrunk in %.1f s (%d tries) to the shortest sequence found:" %
                          (time.monotonic() - t1, sh.tries))
                else:
                    steps = steps[:f.step_index + 1]
                shrink_time += time.monotonic() - t1
                print_case(p, init_seed, steps, f)
                path = os.path.join(a.save_dir, "%s-seed%d-case%d.json" % (
                    p.name.replace(":", "-"), a.seed, idx))
                save_case(path, p, init_seed, steps, f,
                          {"seed": a.seed, "case": idx, "steps": a.steps, "ops": a.ops,
                           "fault_rate": a.fault_rate})
                print("  saved %s (replay: --replay %s)" % (path, path), flush=True)
        finally:
            runner.close()
    print("%d profile%s, %.1f s, %s" % (len(names), "" if len(names) == 1 else "s",
                                         time.monotonic() - total_t0,
                                         "%d failure%s" % (failures, "" if failures == 1 else "s")
                                         if failures else "no failures"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
