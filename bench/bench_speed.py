#!/usr/bin/env python3
"""bench_speed.py - dfuflash against the computed limit and dfu-util, side by
side in one run, on the simulated chips at --time-scale 1 (the real chips'
erase and program times and the poll timeouts their ROMs report).

    python3 bench/bench_speed.py [--build build] [--out DIR] [--reps N]
    BENCH_REPS=5 python3 bench/bench_speed.py ...
    python3 bench/bench_speed.py --report DIR/speed.csv   (tables again from a CSV)

Profiles and scenarios are bench/bench_limit.py's: the F407, the 2 MB F767
single and dual bank (nDBANK=0), the 1 MB F767ZG dual bank, the H743; a
900 KiB image at 0x08000000 (620 KiB on the F767ZG), random like all data here:
  full     the image onto a chip holding other data (random bytes everywhere)
  reflash  the same image onto a chip that holds it already
  small    the image with three 64-byte changes (at 10%, 50%, 90% of it, three
           different sectors) onto a chip holding the old image
  tune     a two-sector image at the tune address onto a chip holding the old
           image (bench_limit.PROFILES has the ranges)
Tools, run N times each (default 3, or $BENCH_REPS) in alternation (each
repetition runs every profile, scenario and tool once, tools one after the
other):
  dfuflash            dfuflash flash IMG --address A -q (verify and leave: the defaults)
  dfuflash --no-smart the same with --no-smart (only if `dfuflash flash --help` has it)
  dfu-util            dfu-util -a 0 -s A:leave -D IMG (0.11; no smart mode, so the
                      same download in every scenario)
Each run gets a fresh state file (and option bytes), a fresh dfuflash journal
directory, and runs as
  dfusim run --chip C [--option-bytes nDBANK=0] --time-scale 1 --flash ST --stats S \\
      -- /usr/bin/time -v TOOL...
The time is the tool's own wall time (/usr/bin/time's, 10 ms resolution: the
simulator's start and its state file are not the tool's), peak memory its
maximum RSS. After each run the state file is compared with what the flash
must hold: "ok" (the image, and every other byte as it was), "image-only" (the
image right, bytes outside it lost: dfu-util erases whole sectors and keeps
nothing), "WRONG" (the image is not there), "rc=N" (the tool failed).

Writes DIR/speed.csv (every run, appended as it goes), DIR/speed_medians.csv
(for bench/plot_speed.sh) and DIR/speed.md (the tables: medians, ratios to the
limit and to dfu-util, the issue's goals with pass/miss and how far off).
"""
import argparse
import csv
import datetime
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_limit as BL  # noqa: E402

BASE = 0x08000000
TOOLS = ["dfuflash", "dfuflash --no-smart", "dfu-util"]
FIELDS = ["rep", "profile", "scenario", "tool", "time_s", "outer_s", "max_rss_kib", "rc",
          "check", "image_bytes", "setaddr", "erases", "mass_erases", "bytes_down", "bytes_up",
          "model_s"]


def profile(key):
    return next(p for p in BL.PROFILES if p[0] == key)


def make_data(key, seed):
    """(flash size, {scenario: (initial flash, image, image address)})."""
    _, chip, _, image_len, tune = profile(key)
    rng = random.Random("%s/%s" % (seed, key))
    size = 2048 * 1024 if chip in ("stm32f767", "stm32h743") else 1024 * 1024
    other = rng.randbytes(size)
    fw = rng.randbytes(image_len)
    fw2 = bytearray(fw)
    for off in BL.change_offsets(image_len):
        new = rng.randbytes(BL.CHANGE_LEN)
        # every byte differs, so no change is 1->0 only
        fw2[off:off + BL.CHANGE_LEN] = bytes(b if b != o else b ^ 0xFF
                                             for b, o in zip(new, fw[off:off + BL.CHANGE_LEN]))
    holding = fw + other[image_len:]
    tune_img = rng.randbytes(tune[1])
    return size, {
        "full": (other, fw, BASE),
        "reflash": (holding, fw, BASE),
        "small": (holding, bytes(fw2), BASE),
        "tune": (holding, tune_img, tune[0]),
    }


def overlay(flash, image, addr):
    off = addr - BASE
    return flash[:off] + image + flash[off + len(image):]


def check(state, initial, image, addr):
    off = addr - BASE
    if state == overlay(initial, image, addr):
        return "ok"
    if state[off:off + len(image)] == image:
        return "image-only"
    return "WRONG"


def tool_argv(tool, build, img, addr):
    if tool.startswith("dfuflash"):
        argv = [os.path.join(build, "dfuflash"), "flash", img, "--address", "0x%08X" % addr, "-q"]
        return argv + (["--no-smart"] if "--no-smart" in tool else [])
    return ["dfu-util", "-a", "0", "-s", "0x%08X:leave" % addr, "-D", img]


def parse_time_v(path):
    txt = open(path).read()
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)",
                  txt)
    el = (int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))) if m else None
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", txt)
    return el, int(m.group(1)) if m else None


def run_one(a, work, key, scenario, tool, data, rep, timeout):
    _, chip, dual, _, _ = profile(key)
    initial, image, addr = data[scenario]
    st = os.path.join(work, "st")
    for f in (st + ".optbytes", os.path.join(work, "stats.json"), os.path.join(work, "time.txt")):
        if os.path.exists(f):
            os.unlink(f)
    with open(st, "wb") as f:
        f.write(initial)
    img = os.path.join(work, "%s-%s.bin" % (key, scenario))
    if not os.path.exists(img):
        with open(img, "wb") as f:
            f.write(image)
    jdir = os.path.join(work, "journal")
    shutil.rmtree(jdir, ignore_errors=True)
    os.makedirs(jdir)
    env = dict(os.environ, DFUFLASH_STATE_DIR=jdir)
    argv = [os.path.join(a.build, "dfusim"), "run", "--chip", chip, "--time-scale", "1",
            "--flash", st, "--stats", os.path.join(work, "stats.json")]
    if dual:
        argv += ["--option-bytes", "nDBANK=0"]
    argv += ["--", "/usr/bin/time", "-v", "-o", os.path.join(work, "time.txt")]
    argv += tool_argv(tool, a.build, img, addr)
    t0 = time.monotonic()
    timed_out = False
    with open(os.path.join(work, "log.txt"), "wb") as log:
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env,
                             start_new_session=True)
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            rc = p.wait()
            timed_out = True
    outer = time.monotonic() - t0
    el, rss = parse_time_v(os.path.join(work, "time.txt")) if not timed_out else (None, None)
    with open(st, "rb") as f:
        state = f.read()
    if timed_out:
        res = "timeout %.0fs" % timeout
    else:
        res = check(state, initial, image, addr) if rc == 0 else "rc=%d" % rc
    if rc != 0:
        shutil.copy(os.path.join(work, "log.txt"),
                    os.path.join(a.out, "failed-%s-%s-%s-%d.log" %
                                 (key, scenario, tool.replace(" ", ""), rep)))
    stats = {}
    try:
        stats = json.load(open(os.path.join(work, "stats.json")))
    except (OSError, ValueError):
        pass
    req = stats.get("requests", {})
    return {"rep": rep, "profile": key, "scenario": scenario, "tool": tool,
            "time_s": "%.2f" % el if el is not None else "", "outer_s": "%.3f" % outer,
            "max_rss_kib": rss if rss is not None else "", "rc": rc, "check": res,
            "image_bytes": len(image), "setaddr": req.get("setaddr", ""),
            "erases": sum(e["count"] for e in stats.get("erases", [])) if stats else "",
            "mass_erases": stats.get("mass_erases", ""), "bytes_down": stats.get("bytes_down", ""),
            "bytes_up": stats.get("bytes_up", ""),
            "model_s": "%.3f" % (stats["model_us"] / 1e6) if "model_us" in stats else ""}


def has_no_smart(build):
    out = subprocess.run([os.path.join(build, "dfuflash"), "flash", "--help"],
                         capture_output=True, text=True)
    return "no-smart" in out.stdout + out.stderr


def med(xs):
    xs = [float(x) for x in xs if x not in ("", None)]
    return statistics.median(xs) if xs else None


def fmt(x, spec="%.2f"):
    return spec % x if x is not None else "-"


def report(rows, limits, cmdline, out):
    """speed.md and speed_medians.csv from the runs."""
    tools = [t for t in TOOLS if any(r["tool"] == t for r in rows)]
    reps = max(int(r["rep"]) for r in rows)
    M = {}
    for key, *_ in BL.PROFILES:
        for s in BL.SCENARIOS:
            for t in tools:
                rs = [r for r in rows if r["profile"] == key and r["scenario"] == s and
                      r["tool"] == t]
                if not rs:
                    continue
                checks = {}
                for r in rs:
                    checks[r["check"]] = checks.get(r["check"], 0) + 1
                M[key, s, t] = {"time": med(r["time_s"] for r in rs if r["rc"] in (0, "0")),
                                "rss": max((int(r["max_rss_kib"]) for r in rs
                                            if r["max_rss_kib"] not in ("", None)), default=None),
                                "n": len(rs), "checks": checks,
                                "image": int(rs[0]["image_bytes"]),
                                "mass": med(r["mass_erases"] for r in rs),
                                "erases": med(r["erases"] for r in rs),
                                "setaddr": med(r["setaddr"] for r in rs)}
    L = lambda k, s: limits[k, s][0]  # noqa: E731
    T = lambda k, s, t: M.get((k, s, t), {}).get("time")  # noqa: E731
    lines = []
    w = lines.append
    w("Command: `%s`; %s; %d repetition(s) in alternation; median tool wall time in s "
      "(/usr/bin/time inside `dfusim run`); x L = time / limit." % (cmdline, out["when"], reps))
    w("")
    head = "| profile | scenario | limit (s) |"
    sep = "|---|---|---|"
    for t in tools:
        head += " %s (s) | x L |" % t
        sep += "---|---|"
    head += " dfu-util / dfuflash | dfuflash peak RSS (MiB) | flash after each run |"
    sep += "---|---|---|"
    w(head)
    w(sep)
    for key, *_ in BL.PROFILES:
        for s in BL.SCENARIOS:
            lim = L(key, s)
            row = "| %s | %s | %.2f |" % (key, s, lim)
            for t in tools:
                x = T(key, s, t)
                hang = any(c.startswith("timeout")
                           for c in M.get((key, s, t), {}).get("checks", {}))
                row += " %s | %s |" % ("hangs" if x is None and hang else fmt(x),
                                       fmt(x / lim if x else None, "%.2fx"))
            a, b = T(key, s, "dfuflash"), T(key, s, "dfu-util")
            rss = M.get((key, s, "dfuflash"), {}).get("rss")
            row += " %s | %s |" % (fmt(b / a if a and b else None, "%.2fx"),
                                   fmt(rss / 1024 if rss else None, "%.1f"))
            ch = []
            for t in tools:
                m = M.get((key, s, t))
                if m:
                    ch.append("%s: %s" % (t, ", ".join("%s %d/%d" % (c, n, m["n"])
                                                       for c, n in sorted(m["checks"].items()))))
            row += " %s |" % "; ".join(ch)
            w(row)
    w("")
    # Goals
    w("Goals (dfuflash, default options):")
    w("")
    w("| goal | profile | measured | goal | result | a tool at the limit |")
    w("|---|---|---|---|---|---|")

    def goal(name, key, measured, limit_v, unit, lower_is_better=True, best=None):
        if best is None:
            bests = "-"
        else:
            reach = best <= limit_v if lower_is_better else best >= limit_v
            bests = "%s%s (%s)" % (fmt(best), unit, "reachable" if reach else
                                   "the goal is out of reach")
        if measured is None:
            w("| %s | %s | - | %s%s | not measured | %s |" % (name, key, fmt(limit_v), unit,
                                                             bests))
            return
        ok = measured <= limit_v if lower_is_better else measured >= limit_v
        if ok:
            res = "pass"
        elif lower_is_better:
            res = "miss: %.1f%% over (%.3fx too slow)" % ((measured / limit_v - 1) * 100,
                                                        measured / limit_v)
        else:
            res = "miss: %.2fx short" % (limit_v / measured)
        w("| %s | %s | %s%s | %s %s%s | %s | %s |" % (name, key, fmt(measured, "%.3f"), unit,
                                                     "<=" if lower_is_better else ">=",
                                                     fmt(limit_v), unit, res, bests))

    for key, *_ in BL.PROFILES:
        f = T(key, "full", "dfuflash")
        goal("full flash / limit", key, f / L(key, "full") if f else None, 1.15, "x",
             best=1.0)
    f, d = T("f407", "full", "dfuflash"), T("f407", "full", "dfu-util")
    goal("full flash: dfu-util / dfuflash", "f407", d / f if f and d else None, 4.0, "x",
         lower_is_better=False, best=d / L("f407", "full") if d else None)
    for key, *_ in BL.PROFILES:
        f, n = T(key, "full", "dfuflash"), T(key, "full", "dfuflash --no-smart")
        if n is not None or "dfuflash --no-smart" in tools:
            goal("full flash: smart / --no-smart", key, f / n if f and n else None, 1.05, "x",
                 best=1.0)
    for key, *_ in BL.PROFILES:
        f, r = T(key, "full", "dfuflash"), T(key, "reflash", "dfuflash")
        goal("re-flash / own full flash", key, r / f if f and r else None, 0.2, "x",
             best=L(key, "reflash") / L(key, "full"))
    for key, *_ in BL.PROFILES:
        f, r = T(key, "full", "dfuflash"), T(key, "small", "dfuflash")
        goal("3 small changes / own full flash", key, r / f if f and r else None, 0.35, "x",
             best=L(key, "small") / L(key, "full"))
    for key, *_ in BL.PROFILES:
        worst = None
        for s in BL.SCENARIOS:
            m = M.get((key, s, "dfuflash"))
            if not m or m["rss"] is None:
                continue
            allowed = (3 * m["image"] + 8 * 1024 * 1024) / 1024 / 1024
            ratio = m["rss"] / 1024 / allowed
            if worst is None or ratio > worst[0]:
                worst = (ratio, s, m["rss"] / 1024, allowed)
        if worst:
            name = "peak RSS <= 3 x image + 8 MiB (worst: %s)" % worst[1]
            goal(name, key, worst[2], worst[3], " MiB")
    md = "\n".join(lines) + "\n"
    with open(os.path.join(out["dir"], "speed.md"), "w") as f:
        f.write(md)
    with open(os.path.join(out["dir"], "speed_medians.csv"), "w", newline="") as f:
        cw = csv.writer(f)
        cw.writerow(["profile", "scenario", "limit"] + tools)
        for key, *_ in BL.PROFILES:
            for s in BL.SCENARIOS:
                cw.writerow([key, s, "%.3f" % L(key, s)] +
                            [fmt(T(key, s, t), "%.3f") if T(key, s, t) else "NaN"
                             for t in tools])
    return md


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--out", default="speed-results")
    ap.add_argument("--reps", type=int, default=int(os.environ.get("BENCH_REPS", "3")))
    ap.add_argument("--profiles", default=",".join(p[0] for p in BL.PROFILES))
    ap.add_argument("--scenarios", default=",".join(BL.SCENARIOS))
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--seed", default="dfuflash-bench-speed")
    ap.add_argument("--report", metavar="CSV", help="only write the tables from this CSV")
    a = ap.parse_args()
    a.build = os.path.abspath(a.build)
    a.out = os.path.abspath(a.out)
    os.makedirs(a.out, exist_ok=True)
    chips = BL.load_chips(os.path.join(a.build, "dfusim"))
    limits = {(p[0], s): BL.limit(chips, p[0], s) for p in BL.PROFILES for s in BL.SCENARIOS}
    cmdline = "python3 bench/bench_speed.py " + " ".join(sys.argv[1:])
    when = datetime.date.today().isoformat()
    if a.report:
        rows = list(csv.DictReader(open(a.report)))
        meta = os.path.join(os.path.dirname(os.path.abspath(a.report)), "speed.meta")
        if os.path.exists(meta):
            m = json.load(open(meta))
            cmdline, when = m["command"], m["when"]
        print(report(rows, limits, cmdline, {"dir": a.out, "when": when}), end="")
        return
    tools = [t for t in a.tools.split(",") if t]
    if "dfuflash --no-smart" in tools and not has_no_smart(a.build):
        print("bench_speed: dfuflash has no --no-smart yet; running dfuflash default only",
              file=sys.stderr)
        tools.remove("dfuflash --no-smart")
    if "dfu-util" in tools and not shutil.which("dfu-util"):
        sys.exit("bench_speed: dfu-util not installed")
    profiles = a.profiles.split(",")
    scenarios = a.scenarios.split(",")
    csv_path = os.path.join(a.out, "speed.csv")
    with open(os.path.join(a.out, "speed.meta"), "w") as f:
        json.dump({"command": cmdline, "when": when, "tools": tools}, f)
    work = tempfile.mkdtemp(prefix="bench-speed-")
    rows = []
    hung = set()
    try:
        datas = {k: make_data(k, a.seed)[1] for k in profiles}
        with open(csv_path, "w", newline="") as f:
            cw = csv.DictWriter(f, FIELDS)
            cw.writeheader()
            for rep in range(1, a.reps + 1):
                for key in profiles:
                    for s in scenarios:
                        for t in tools:
                            if (key, s, t) in hung:
                                r = {"rep": rep, "profile": key, "scenario": s, "tool": t,
                                     "check": "timeout (not run again)",
                                     "image_bytes": len(datas[key][s][1])}
                            else:
                                # a hang (dfu-util on the H743's stuck-busy erases)
                                # ends the run and is not tried again
                                r = run_one(a, work, key, s, t, datas[key], rep,
                                            60 + 6 * limits[key, s][0])
                                if r["check"].startswith("timeout"):
                                    hung.add((key, s, t))
                            rows.append(r)
                            cw.writerow({k: r.get(k, "") for k in FIELDS})
                            f.flush()
                            print("rep %d %-15s %-8s %-20s %6ss (limit %.2f) rss %s KiB %s" %
                                  (rep, key, s, t, r.get("time_s", ""), limits[key, s][0],
                                   r.get("max_rss_kib", ""), r["check"]),
                                  file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(report([{k: str(r.get(k, "")) for k in FIELDS} for r in rows], limits, cmdline,
                 {"dir": a.out, "when": when}), end="")


if __name__ == "__main__":
    main()
