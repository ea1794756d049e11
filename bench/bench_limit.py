#!/usr/bin/env python3
"""bench_limit.py - the least time a correct tool needs for a flashing job on a
dfusim chip profile at --time-scale 1, computed from `dfusim chips --json` and
the job's layout, never from the tool under test.

    python3 bench/bench_limit.py [--dfusim build/dfusim] [--json]

prints the limit of every (profile, scenario) of bench/bench_speed.py with its
parts; bench_speed.py imports it.

The model (every number from the profile's "timing" in `dfusim chips --json`;
T(n) is the full-speed time of a control transfer with n data bytes, "usb" in
that listing: ceil(n / 64) data packets + setup + status, 8 packets to a 1 ms
frame, whole frames; so T(0) = T(5) = T(6) = 1 ms, T(2048) = 5 ms, T(1024) =
3 ms):

- A DfuSe operation (SET_ADDRESS, sector erase, mass erase, data block) is a
  DNLOAD of n bytes, then a GETSTATUS, which starts it and reports bwPollTimeout
  P, a wait of P, and a GETSTATUS that answers when the ROM is done (dfusim
  holds it until the modelled busy time B has passed, counted from the first
  GETSTATUS):  T(n) + max(B, T(6) + P + T(6)).
  This is the issue's "max(busy time, reported poll timeout) plus the USB
  time", with the two GETSTATUS placed where the ROM model puts them (the ROM
  works while the host waits), so nothing a host can do in dfusim beats it.
  B: set address `set_address_us`; erase `erase_us` of the sector's size (the
  true sector map); mass erase `mass_erase_us`; a block ceil(n / word_bytes) *
  program_word_us. P: `poll_ms`, for the mass erase `mass_erase_poll_reported_ms`.
- Every sector the job changes is erased once; every byte of it is written
  (the image, and the rest of the sector kept: read before the erase and
  written back; the bench's data is random, so no block is blank and none can
  be skipped) in blocks of wTransferSize, and read back once to verify.
- One SET_ADDRESS per contiguous run of reads or writes, none where the
  address pointer already stands at the run's start (an erase does not move
  it; at the start the pointer is taken as unknown). Reads: ABORT (T(0)) into
  dfuIDLE, UPLOADs of wTransferSize (T(n) each), ABORT back out.
- What each scenario must do:
  full    erase the sectors the image touches, keep the rest of them, write,
          verify. No read to decide (the chip holds other data).
  reflash read the image's bytes to confirm them; nothing erased or written.
  small   read the image's bytes to decide; erase, write and verify the
          sectors that differ (the three changed ones; the image covers them,
          so nothing to keep).
  tune    as full, for the two-sector image at the tune address.
- A tool may also skip the read to decide and rewrite the whole image as in
  full; the limit of reflash and small is the cheaper of the two (rewriting
  wins only where the changes need a mass erase anyway: the 1 MB dual-bank
  F767's small changes, one of which lies in bank 2).
- Where the ROM cannot erase a needed sector by itself, the job is a mass
  erase: everything outside the image is read (kept; what the decide read
  already read is not read again), one mass erase, the whole flash written
  and verified. Which sectors the ROM can erase: all, except with the quirk
  f7-dualbank-erase in dual-bank mode (nDBANK=0), where the ROM puts its
  single-bank sector number in FLASH_CR.SNB: it reaches the true sectors
  whose numbers the single-bank map also has (bank 1: 0-11 on the 2 MB F767,
  0-7 on the 1 MB F767ZG) by erasing at that single-bank sector's address,
  and never bank 2 (12 and up). So the 1 MB dual-bank F767's 620 KiB image,
  which crosses into bank 2 at 0x08080000, its small changes (one lies in bank
  2) and both dual-bank tunes (bank 2) are mass erases.
- The H743's h7-stuck-busy quirk: an erase from `stuck_busy_from_offset` on
  costs two CLRSTATUS more (T(0) each), the erase time still counted.
- Session: on profiles with first-status-errfirmware a GETSTATUS and a
  CLRSTATUS (the ROM starts in dfuERROR); on profiles with a dual-bank map the
  option bytes are read to learn nDBANK (SET_ADDRESS on alt 1, ABORT, one
  UPLOAD, ABORT). Reading descriptors and the process start are not counted.
- Leave: SET_ADDRESS to the flash base unless the pointer is there, a
  zero-length DNLOAD and the GETSTATUS that answers dfuMANIFEST (T(0) + T(6));
  the device then resets (its reported leave poll is not waited for, nor the
  application's start).
"""
import argparse
import json
import math
import os
import subprocess
import sys

KIB = 1024
STATUS_LEN = 6  # a GETSTATUS answer, DFU 1.1

# The benchmark's profiles: (key, chip, dual bank, image bytes, tune range).
# The tune ranges are the issue's; on the 2 MB dual-bank F767 it is 64 KiB,
# four 16 KiB sectors (bank 2's 12-15), on every other profile two sectors.
PROFILES = [
    ("f407", "stm32f407", False, 900 * KIB, (0x080C0000, 0x40000)),
    ("f767-2m-single", "stm32f767", False, 900 * KIB, (0x08100000, 0x80000)),
    ("f767-2m-dual", "stm32f767", True, 900 * KIB, (0x08100000, 0x10000)),
    ("f767zg-1m-dual", "stm32f767zg", True, 620 * KIB, (0x080C0000, 0x40000)),
    ("h743", "stm32h743", False, 900 * KIB, (0x08100000, 0x40000)),
]
SCENARIOS = ["full", "reflash", "small", "tune"]
CHANGE_AT = (0.1, 0.5, 0.9)  # where in the image the three 64-byte changes are
CHANGE_LEN = 64


def change_offsets(image_len):
    """The three changes' offsets in the image: at 10%, 50% and 90% of it,
    64-byte aligned."""
    return [int(image_len * f) // 64 * 64 for f in CHANGE_AT]


def load_chips(dfusim):
    out = subprocess.run([dfusim, "chips", "--json"], check=True, capture_output=True,
                         text=True).stdout
    return {c["name"]: c for c in json.loads(out)}


def sector_map(chip, dual):
    """[(number, start, size)] of the true map, from the flash base."""
    runs = chip["sectors_dual_bank" if dual else "sectors"]
    addr = chip["flash_base"]
    out = []
    for r in runs:
        for i in range(r["count"]):
            out.append((r["first"] + i, addr, r["size"]))
            addr += r["size"]
    return out


def merge(ranges):
    """Sorted, merged [(start, end)] of half-open ranges."""
    out = []
    for s, e in sorted(r for r in ranges if r[1] > r[0]):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def subtract(ranges, minus):
    """ranges minus the union of minus, both half-open."""
    out = []
    minus = merge(minus)
    for s, e in merge(ranges):
        cur = s
        for ms, me in minus:
            if me <= cur or ms >= e:
                continue
            if ms > cur:
                out.append((cur, ms))
            cur = max(cur, me)
        if cur < e:
            out.append((cur, e))
    return out


class Limit:
    """Adds up the model time of a job's steps, in microseconds, by part."""

    def __init__(self, chip):
        self.c = chip
        self.t = chip["timing"]
        self.ts = chip["wTransferSize"]
        self.ptr = None  # address pointer: unknown at the start
        self.parts = {}
        self.counts = {}

    def xfer(self, n):
        u = self.t["usb"]
        packets = -(-n // u["packet_bytes"]) + u["extra_packets"]
        return -(-packets // u["packets_per_frame"]) * u["frame_us"]

    def add(self, part, us, count=1):
        self.parts[part] = self.parts.get(part, 0) + us
        self.counts[part] = self.counts.get(part, 0) + count

    def op(self, dn_len, busy_us, poll_ms):
        return self.xfer(dn_len) + max(busy_us, self.xfer(STATUS_LEN) + poll_ms * 1000 +
                                       self.xfer(STATUS_LEN))

    def set_address(self, addr, part="set_address"):
        if self.ptr == addr:
            return
        self.add(part, self.op(5, self.t["set_address_us"], self.t["poll_ms"]["set_address"]))
        self.ptr = addr

    def erase_us(self, size):
        best = 0
        for e in self.t["erase_us"]:
            if e["size"] == size:
                return e["us"]
            best = e["us"]
        return best

    def erase(self, start, size):
        self.add("erase", self.op(5, self.erase_us(size), self.t["poll_ms"]["erase"]))
        off = self.t.get("stuck_busy_from_offset")
        if off is not None and start - self.c["flash_base"] >= off:
            self.add("erase", 2 * self.xfer(0), 0)  # the CLRSTATUS pair

    def mass_erase(self):
        self.add("erase", self.op(1, self.t["mass_erase_us"],
                                  self.t["mass_erase_poll_reported_ms"]))

    def write(self, runs):
        wb = self.t["word_bytes"] or 4
        for s, e in runs:
            self.set_address(s)
            for a in range(s, e, self.ts):
                n = min(self.ts, e - a)
                self.add("write", self.op(n, -(-n // wb) * self.t["program_word_us"],
                                          self.t["poll_ms"]["write"]), 0)
            self.counts["write"] = self.counts.get("write", 0) + (e - s)

    def read(self, runs, part):
        for s, e in runs:
            self.set_address(s)
            us = 2 * self.xfer(0)  # ABORT in, ABORT out
            for a in range(s, e, self.ts):
                us += self.xfer(min(self.ts, e - a))
            self.add(part, us, e - s)

    def session(self, dual_capable):
        if "first-status-errfirmware" in self.c["quirks"]:
            self.add("session", 2 * self.xfer(0))
        if dual_capable:
            # nDBANK: SET_ADDRESS on the option-byte alt, ABORT, UPLOAD, ABORT
            self.add("session", self.op(5, self.t["set_address_us"],
                                        self.t["poll_ms"]["set_address"]) +
                     2 * self.xfer(0) + self.xfer(32))

    def leave(self):
        self.set_address(self.c["flash_base"], "leave")
        self.add("leave", self.xfer(0) + self.xfer(STATUS_LEN))

    def total_us(self):
        return sum(self.parts.values())


def rom_erasable(chip, dual):
    """The true sector numbers the ROM can erase one by one, and for each the
    address to send (the quirk's single-bank address in dual-bank mode)."""
    true_map = sector_map(chip, dual)
    if not (dual and "f7-dualbank-erase" in chip["quirks"]):
        return {n: start for n, start, _ in true_map}
    single = {n: start for n, start, _ in sector_map(chip, False)}
    return {n: single[n] for n, _, _ in true_map if n in single and n < 12}


def job(profile_key, scenario):
    """The job of a scenario: (image address, image length, decide-read?,
    changed ranges or None for "every sector the image touches")."""
    key, chip, dual, image_len, tune = next(p for p in PROFILES if p[0] == profile_key)
    base = 0x08000000
    if scenario == "full":
        return base, image_len, False, None
    if scenario == "reflash":
        return base, image_len, True, []
    if scenario == "small":
        return base, image_len, True, [(base + o, base + o + CHANGE_LEN)
                                       for o in change_offsets(image_len)]
    if scenario == "tune":
        return tune[0], tune[1], False, None
    raise ValueError(scenario)


def limit(chips, profile_key, scenario):
    """(total seconds, {part: seconds}, notes, counts) of a scenario on a
    profile: the cheaper of reading to decide and rewriting without reading
    (which a correct tool may do too, and which wins where the changes need a
    mass erase anyway)."""
    decided = strategy(chips, profile_key, scenario, True)
    if scenario not in ("reflash", "small"):
        return decided
    blind = strategy(chips, profile_key, scenario, False)
    if blind[0] < decided[0]:
        blind[2].append("cheaper without the read to decide: rewrites the whole image")
        return blind
    return decided


def strategy(chips, profile_key, scenario, use_decide):
    key, chip_name, dual, _, _ = next(p for p in PROFILES if p[0] == profile_key)
    c = chips[chip_name]
    addr, length, decide, changed = job(profile_key, scenario)
    if not use_decide:
        decide, changed = False, None
    image = [(addr, addr + length)]
    smap = sector_map(c, dual)
    touched = changed if changed is not None else image
    targets = [(n, s, z) for n, s, z in smap
               if any(a < s + z and b > s for a, b in touched)]
    erasable = rom_erasable(c, dual)
    mass = any(n not in erasable for n, _, _ in targets)
    L = Limit(c)
    L.session("sectors_dual_bank" in c)
    reads = list(image) if decide else []
    if mass:
        flash = [(c["flash_base"], c["flash_base"] + c["flash_size"])]
        written = flash
        keep = subtract(flash, image)
    else:
        written = merge((s, s + z) for _, s, z in targets)
        keep = subtract(written, image)
    keep = subtract(keep, reads)
    # The decide read and the keep read are one pass where they meet.
    L.read(merge(reads + keep), "read_decide_keep")
    if mass:
        L.mass_erase()
    else:
        for n, s, z in targets:
            L.erase(s, z)
    written = merge(written)
    L.write(written)
    # Verify: the last write run first, where the pointer stands.
    L.read(list(reversed(written)), "verify")
    L.leave()
    notes = []
    if mass:
        notes.append("mass erase: the ROM cannot erase sector(s) %s" %
                     ",".join(str(n) for n, _, _ in targets if n not in erasable))
    parts = {k: v / 1e6 for k, v in L.parts.items()}
    return L.total_us() / 1e6, parts, notes, {"erased": len(targets), "mass": mass,
                                            "written": sum(e - s for s, e in written),
                                            "kept": sum(e - s for s, e in keep)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dfusim", default=os.path.join("build", "dfusim"))
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    chips = load_chips(a.dfusim)
    rows = []
    for p in PROFILES:
        for s in SCENARIOS:
            total, parts, notes, info = limit(chips, p[0], s)
            rows.append({"profile": p[0], "scenario": s, "limit_s": total, "parts_s": parts,
                         "notes": notes, **info})
    if a.json:
        json.dump(rows, sys.stdout, indent=1)
        print()
        return
    print("| profile | scenario | limit (s) | session | read (decide/keep) | erase | set address "
          "| write | verify | leave | notes |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        p = r["parts_s"]
        print("| %s | %s | %.2f | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["profile"], r["scenario"], r["limit_s"],
            *("%.2f" % p.get(k, 0) for k in ("session", "read_decide_keep", "erase",
                                            "set_address", "write", "verify", "leave")),
            "; ".join(r["notes"])))


if __name__ == "__main__":
    main()
