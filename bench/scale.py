"""Scale: cost of reading and writing commands as the store grows (SPEC §7).

    python bench/scale.py [--sizes 1000,10000,100000] [--reps 5] [--file-rows 100000] [--keep DIR]

For stores of 1k, 10k and 100k observations (written by bench/gen_store.py), times with the installed
`admtrack` (stdout to /dev/null):

  status --format json, gaps --format json, status (table)
      cold: the hidden cache `.observations.cache.json` deleted before each run (the store is parsed)
      warm: the cache built by an untimed run first
  record VNM gdp 1999 ... (one new observation)
      each run on a fresh copy of the store; cold: no cache; warm: cache built by an untimed
      `history` first (a copy has a new inode, so a copied cache would not be trusted)
  record --file ROWS.csv into an empty store: 10,000 and 100,000 distinct (state, indicator, year)
      rows. The bundled plan has too few keys for that, so the data folder gets a targets.toml
      (`admtrack init`, then extra percent indicators appended), which overrides the bundled plan.

Each timing is the median of --reps runs (wall time, seconds). Bars: 100k `status` (table and json)
<= 1 s and 100k `record` of one <= 1 s, with the cache in place (the state admtrack always leaves the
store in; cold times, the first read after the store was changed by something else, are printed as
information); 100,000-row `record --file`
<= 10 s; cost no worse than linear: every 10k -> 100k ratio <= 10 (the "marginal" column, the extra
cost of 10k -> 100k over that of 1k -> 10k, is 10 for linear growth once start-up is taken out; it is
shown for information, being noisy when the 1k -> 10k step is small). Exits 1 if a bar fails.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from pathlib import Path

from _common import Failed, admtrack_cmd, bench_env, check_install, load, median, run

CACHE = ".observations.cache.json"
STORE = "observations.toml"
READS = [
    ("status --format json", ["status", "--format", "json"], True),
    ("gaps --format json", ["gaps", "--format", "json"], False),
    ("status", ["status"], True),
]
RECORD = ["record", "VNM", "gdp", "1999", "123.456", "--source", "bench: one more"]
STATES = ["BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "TLS", "VNM"]
YEARS = range(1990, 2026)


def fresh(template: Path, work: Path) -> Path:
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(template, work)
    return work


def drop_cache(folder: Path) -> None:
    (folder / CACHE).unlink(missing_ok=True)


def med2(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """(median wall, median CPU) of (wall, cpu) pairs."""
    return median([w for w, _ in runs]), median([c for _, c in runs])


def time_reads(adm, env, folder: Path, args, reps: int):
    base = adm + ["--data-dir", str(folder)] + args
    cold = []
    for _ in range(reps):
        drop_cache(folder)
        cold.append(run(base, env=env))
    run(base, env=env)  # build the cache
    if not (folder / CACHE).exists():
        print(f"  note: no {CACHE} after `{' '.join(args)}`: 'warm' is not warm", file=sys.stderr)
    warm = [run(base, env=env) for _ in range(reps)]
    return med2(cold), med2(warm)


def time_record(adm, env, template: Path, work: Path, reps: int):
    res = {}
    for mode in ("cold", "warm"):
        times = []
        for _ in range(reps):
            folder = fresh(template, work)
            drop_cache(folder)
            if mode == "warm":
                run(adm + ["--data-dir", str(folder), "history", "VNM", "gdp", "--format", "json"], env=env)
                if not (folder / CACHE).exists():
                    print(f"  note: `history` left no {CACHE}: warm record is not warm", file=sys.stderr)
            before = (folder / STORE).read_bytes().count(b"[[observation]]")
            times.append(run(adm + ["--data-dir", str(folder)] + RECORD, env=env))
            after = (folder / STORE).read_bytes().count(b"[[observation]]")
            if after != before + 1:
                raise Failed(f"record: expected {before + 1} entries in the store, found {after}")
        res[mode] = med2(times)
    return res["cold"], res["warm"]


def file_folder(adm, env, root: Path, rows: int) -> tuple[Path, Path]:
    """A data folder with a targets.toml holding enough percent indicators for `rows` distinct keys,
    and a CSV of that many rows."""
    folder = root / f"file-{rows}"
    folder.mkdir()
    run(adm + ["init", str(folder)], env=env)
    per = len(STATES) * len(YEARS)
    extra = -(-rows // per)
    with open(folder / "targets.toml", "a", encoding="utf-8") as fh:
        fh.write("\n# Added by bench/scale.py: indicators for distinct keys\n")
        for k in range(extra):
            fh.write(f'\n[[indicator]]\nid = "bench-extra-{k:03d}"\nname = "Bench indicator {k}"\n'
                     'unit = "percent"\nmin = 0\nmax = 100\n')
    rng = random.Random(rows)
    csv_path = root / f"rows-{rows}.csv"
    with open(csv_path, "w", encoding="utf-8", newline="") as fh:
        fh.write("state,indicator,year,value,source,note\n")
        n = 0
        for k in range(extra):
            for state in STATES:
                for year in YEARS:
                    if n == rows:
                        break
                    fh.write(f"{state},bench-extra-{k:03d},{year},{rng.uniform(0, 100):.4f},bench row {n},\n")
                    n += 1
    return folder, csv_path


def time_file(adm, env, folder: Path, csv_path: Path, rows: int, reps: int):
    times = []
    for _ in range(reps):
        for name in (STORE, CACHE, ".observations.lock"):
            (folder / name).unlink(missing_ok=True)
        times.append(run(adm + ["--data-dir", str(folder), "record", "--file", str(csv_path)], env=env))
        got = (folder / STORE).read_bytes().count(b"[[observation]]")
        if got != rows:
            raise Failed(f"record --file: expected {rows} entries in the store, found {got}")
    return med2(times)


def size_label(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def fmt_s(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000", help="store sizes (default 1000,10000,100000)")
    ap.add_argument("--reps", type=int, default=5, help="runs per timing; the median is reported (default 5)")
    ap.add_argument("--file-reps", type=int, default=3, help="runs per record --file timing (default 3)")
    ap.add_argument("--file-rows", default="10000,100000", help="record --file sizes (default 10000,100000)")
    ap.add_argument("--keep", type=Path, help="work in this (new) folder and keep it, instead of a temporary one")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    file_rows = [int(s) for s in args.file_rows.split(",") if s]

    check_install()
    import gen_store  # bench/gen_store.py, beside this script; needs admtrack importable

    env = bench_env()
    adm = admtrack_cmd()
    print(f"python: {sys.executable} ({sys.version.split()[0]})")
    print(f"admtrack: {' '.join(adm)}")
    print(f"median of {args.reps} runs (record --file: {args.file_reps}); load average at the start: {load()}")
    if args.keep:
        args.keep.mkdir(parents=True)
        root = args.keep
    else:
        tmp = tempfile.TemporaryDirectory(prefix="admtrack-scale-")
        root = Path(tmp.name)

    results: dict[tuple[str, str], dict[int, float]] = {}
    try:
        for n in sizes:
            template = root / f"store-{n}"
            gen_store.write(template, n)
            print(f"  {n:>7} observations: {(template / STORE).stat().st_size / 1e6:.1f} MB store", flush=True)
            work = fresh(template, root / "work")
            for label, cmd, _ in READS:
                c, w = time_reads(adm, env, work, cmd, args.reps)
                results.setdefault((label, "cold"), {})[n] = c
                results.setdefault((label, "warm"), {})[n] = w
            c, w = time_record(adm, env, template, root / "work", args.reps)
            results.setdefault(("record (one more)", "cold"), {})[n] = c
            results.setdefault(("record (one more)", "warm"), {})[n] = w
            shutil.rmtree(root / "work")
        file_times = {}
        for rows in file_rows:
            folder, csv_path = file_folder(adm, env, root, rows)
            file_times[rows] = time_file(adm, env, folder, csv_path, rows, args.file_reps)
            print(f"  record --file: {rows} rows", flush=True)
    except Failed as exc:
        print(f"FAIL: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            tmp.cleanup()

    ok = True
    checks = []
    infos: list[str] = []
    for which, idx in (("wall", 0), ("cpu", 1)):
        print()
        print(f"{which} seconds (median)" + ("" if idx == 0 else ": user + sys of the admtrack process, "
                                             "less sensitive to other load; for information"))
        head = f"{'command':<22} {'cache':<5} " + " ".join(f"{size_label(n):>8}" for n in sizes)
        head += f" {'10k->100k':>10} {'marginal':>9}"
        print(head)
        print("-" * len(head))
        for (label, mode), by in results.items():
            t = {n: v[idx] for n, v in by.items()}
            line = f"{label:<22} {mode:<5} " + " ".join(f"{fmt_s(t.get(n)):>8}" for n in sizes)
            if 10000 in t and 100000 in t:
                ratio = t[100000] / t[10000]
                line += f" {ratio:>9.2f}x"
                if 1000 in t and t[10000] > t[1000]:
                    line += f" {(t[100000] - t[10000]) / (t[10000] - t[1000]):>8.1f}x"
                if idx == 0:
                    checks.append((f"linear: {label} ({mode}) 10k->100k {ratio:.2f}x", ratio <= 10.0, "<= 10x"))
            print(line)
            if idx == 0 and 100000 in t and (label.startswith("status") or label.startswith("record")):
                if mode == "warm":
                    checks.append((f"100k {label} ({mode}): {t[100000]:.3f} s", t[100000] <= 1.0, "<= 1 s"))
                else:
                    infos.append(f"100k {label} ({mode}, first read after the store changed outside "
                                 f"admtrack): {t[100000]:.3f} s")
        ft = {rows: v[idx] for rows, v in file_times.items()}
        for rows, t in ft.items():
            print(f"{f'record --file {size_label(rows)} rows':<28} {t:>8.3f}")
            if idx == 0 and rows == 100000:
                checks.append((f"record --file 100,000 rows: {t:.3f} s", t <= 10.0, "<= 10 s"))
        if 10000 in ft and 100000 in ft:
            r = ft[100000] / ft[10000]
            print(f"{'record --file 10k->100k':<28} {r:>8.2f}x")
            if idx == 0:
                checks.append((f"linear: record --file 10k->100k {r:.2f}x", r <= 10.0, "<= 10x"))
    print(f"\nload average at the end: {load()}")
    print()
    for text in infos:
        print(f"info: {text}")
    for text, good, bar in checks:
        ok &= good
        print(f"{'PASS' if good else 'FAIL'}: {text} (bar {bar})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
