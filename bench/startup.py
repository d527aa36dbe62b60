"""Start-up against the floor of the stack (SPEC §7).

    python bench/startup.py [--rounds 30] [--only version|status]

Two comparisons, each in paired runs that alternate floor, admtrack, floor, admtrack ... so that both
see the same machine state (caches, load, CPU frequency):

  version  `admtrack --version`                               vs `python bench/floor.py run --n 1`
           bar: median per-pair ratio <= 1.0
  status   `admtrack --data-dir EMPTY status` (bundled plan and reference data, stdout to /dev/null)
                                                              vs `python bench/floor_status.py status`
           bar: median per-pair ratio <= 1.3

Every process runs with this interpreter (sys.executable) and the same environment. admtrack is the
console script installed next to sys.executable (else on PATH). Two untimed warm-up pairs come first.
Prints the median wall time of each side, the median of the per-pair ratios (admtrack / floor), the
median child CPU time (user + sys) as a steadier second view, and a PASS/FAIL line per bar; exits 1 if a
bar fails.
"""

from __future__ import annotations

import argparse
import sys
import tempfile

from _common import BENCH, Failed, admtrack_cmd, bench_env, check_install, load, median, ms, run

BARS = {"version": 1.0, "status": 1.3}


def pairs(floor: list[str], subject: list[str], rounds: int, env: dict[str, str]):
    for _ in range(2):  # warm-up: page cache, first-run effects
        run(floor, env=env)
        run(subject, env=env)
    out = []
    for _ in range(rounds):
        f = run(floor, env=env)
        s = run(subject, env=env)
        out.append((f, s))
    return out


def report(name: str, label_f: str, label_s: str, res, bar: float) -> bool:
    fw = median([f[0] for f, _ in res])
    sw = median([s[0] for _, s in res])
    fc = median([f[1] for f, _ in res])
    sc = median([s[1] for _, s in res])
    ratio = median([s[0] / f[0] for f, s in res])
    ok = ratio <= bar
    print(f"[{name}] {len(res)} pairs")
    print(f"  floor     {label_f:<44} median wall {ms(fw):>7}   cpu {ms(fc):>7}")
    print(f"  admtrack  {label_s:<44} median wall {ms(sw):>7}   cpu {ms(sc):>7}")
    print(f"  median per-pair ratio (admtrack / floor): {ratio:.3f}x   "
          f"(ratio of medians {sw / fw:.3f}x, cpu {sc / fc:.3f}x)")
    print(f"{'PASS' if ok else 'FAIL'}: {name}: {ratio:.2f}x the floor (bar <= {bar:.1f}x)")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=30, help="timed pairs per comparison (default 30)")
    ap.add_argument("--only", choices=sorted(BARS), help="run one comparison only")
    args = ap.parse_args()

    check_install()
    env = bench_env()
    adm = admtrack_cmd()
    py = sys.executable
    print(f"python: {py} ({sys.version.split()[0]})")
    print(f"admtrack: {' '.join(adm)}")
    print(f"load average: {load()}")
    ok = True
    try:
        if args.only in (None, "version"):
            res = pairs([py, str(BENCH / "floor.py"), "run", "--n", "1"], adm + ["--version"], args.rounds, env)
            ok &= report("version", "floor.py run --n 1", "admtrack --version", res, BARS["version"])
        if args.only in (None, "status"):
            with tempfile.TemporaryDirectory(prefix="admtrack-bench-") as empty:
                res = pairs([py, str(BENCH / "floor_status.py"), "status"],
                            adm + ["--data-dir", empty, "status"], args.rounds, env)
            ok &= report("status", "floor_status.py status", "admtrack status (bundled data)", res,
                         BARS["status"])
    except Failed as exc:
        print(f"FAIL: {exc}", file=sys.stderr)
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
