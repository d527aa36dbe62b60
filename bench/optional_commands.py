"""What `fetch`, `report` and `chart` cost the other commands at start-up (issue 9, SPEC §7).

    python bench/optional_commands.py [--rounds 20]

Two checks:

  imports  each of `--version`, `status`, `gaps`, `status --format json`, `export`, `targets`, `history`,
           `record` runs in a fresh interpreter and must load none of the modules that only those three
           commands need: httpx (and httpcore), matplotlib, plotext, jinja2, and admtrack's own
           `sources`, `commands.fetch`, `render.chart`, `render.html`.
           bar: no such module loaded (a hard PASS/FAIL)
  timing   `admtrack --data-dir EMPTY status`, paired with the same run of an app from which `fetch`,
           `chart` and `report` are removed before it starts (bench/_without.py): what remains is the
           cost of Typer building the three commands' Click objects on every start-up (Typer builds the
           whole command tree each time), since nothing of theirs is imported.
           reported: median per-pair ratio and the median difference in ms (no bar: a few ms are within
           the noise of a 2-core machine)

Uses the installed admtrack like the other scripts (see bench/README.md).
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
import tempfile

from _common import BENCH, Failed, admtrack_cmd, bench_env, check_install, load, median, ms, run

HEAVY = ("httpx", "httpcore", "matplotlib", "plotext", "jinja2")
OURS = ("admtrack.sources", "admtrack.commands.fetch", "admtrack.render.chart", "admtrack.render.html")

PROBE = """
import sys
from admtrack.cli import main
sys.argv = ["admtrack"] + sys.argv[1:]
try:
    main()
except SystemExit:
    pass
sys.stderr.write("\\n@@" + repr(sorted(sys.modules)) + "\\n")
"""


def modules(args: list[str], env: dict[str, str]) -> set[str]:
    p = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env,
                       timeout=120)
    if "\n@@" not in p.stderr:
        raise Failed(f"admtrack {' '.join(args)}: {p.stderr}")
    return set(ast.literal_eval(p.stderr.rsplit("\n@@", 1)[1].strip()))


def check_imports(env: dict[str, str]) -> bool:
    ok = True
    with tempfile.TemporaryDirectory(prefix="admtrack-bench-") as data:
        cases = [["--version"], ["status"], ["gaps"], ["status", "--format", "json"], ["export"], ["targets"],
                 ["history", "VNM", "gdp"], ["record", "VNM", "gdp", "1995", "1", "--source", "bench"]]
        for args in cases:
            full = args if args == ["--version"] else ["--data-dir", data, *args]
            loaded = modules(full, env)
            bad = sorted(m for m in loaded if m.split(".")[0] in HEAVY or m.startswith(OURS))
            print(f"  admtrack {' '.join(args):<44} {len(loaded):>4} modules; "
                  f"{'none of theirs' if not bad else 'LOADS ' + ', '.join(bad[:6])}")
            ok &= not bad
    print(f"{'PASS' if ok else 'FAIL'}: imports: no command but fetch, chart and report loads "
          f"{', '.join(HEAVY)} or admtrack's sources/fetch/chart/html modules")
    return ok


def timing(env: dict[str, str], rounds: int, drop: str) -> None:
    adm = admtrack_cmd()
    without = [sys.executable, str(BENCH / "_without.py"), drop]
    with tempfile.TemporaryDirectory(prefix="admtrack-bench-") as empty:
        args = ["--data-dir", empty, "status"]
        for _ in range(2):
            run(without + args, env=env)
            run(adm + args, env=env)
        res = [(run(without + args, env=env), run(adm + args, env=env)) for _ in range(rounds)]
    fw, sw = median([f[0] for f, _ in res]), median([s[0] for _, s in res])
    fc, sc = median([f[1] for f, _ in res]), median([s[1] for _, s in res])
    ratio = median([s[0] / f[0] for f, s in res])
    diff = median([s[0] - f[0] for f, s in res])
    cpu = median([s[1] - f[1] for f, s in res])
    print(f"[timing] {rounds} pairs of `admtrack --data-dir EMPTY status`")
    print(f"  without {drop:<22} median wall {ms(fw):>7}   cpu {ms(fc):>7}")
    print(f"  admtrack as installed          median wall {ms(sw):>7}   cpu {ms(sc):>7}")
    print(f"  median per-pair ratio {ratio:.3f}x; median difference {diff * 1000:+.1f} ms wall, "
          f"{cpu * 1000:+.1f} ms cpu (Typer building those commands' Click objects; nothing of theirs is imported)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=20, help="timed pairs (default 20)")
    ap.add_argument("--drop", default="fetch,chart,report", help="the commands removed for the comparison")
    args = ap.parse_args()
    check_install()
    env = bench_env()
    print(f"python: {sys.executable} ({sys.version.split()[0]})")
    print(f"load average: {load()}")
    try:
        ok = check_imports(env)
        timing(env, args.rounds, args.drop)
    except Failed as exc:
        print(f"FAIL: {exc}", file=sys.stderr)
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
