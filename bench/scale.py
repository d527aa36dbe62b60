"""Scale: cost of reading and writing commands as the store grows (SPEC §7, issue 13).

    python bench/scale.py [--sizes 1000,10000,100000,1000000] [--kinds revisions,distinct] [--reps 5]
                          [--big-reps 3] [--file-rows 10000,100000,1000000] [--peer-python PY] [--keep DIR]

For stores of 1k to 1M observations (written by bench/gen_store.py in a child process), "revisions"
(past the plan's ~2,000 keys every entry revises one) and "distinct" (every entry a different figure,
over extra indicators), times the installed `admtrack` (stdout to /dev/null), wall and CPU seconds and
peak memory (the child's ru_maxrss, or the resident sizes of it and its own child together when higher:
a cold read of a big store runs in two processes):

  status --format json, gaps --format json, status (table)
      cold: the hidden index `.observations.cache.json` deleted before each run (the store is parsed)
      warm: the index built by an untimed run first
  history VNM gdp, check (warm)
  record VNM gdp 1999 ... (one new observation), each run on a fresh copy of the store; cold: no index;
      warm: index built by an untimed `history` first (a copy has a new inode: a copied index is not trusted)
  record --file ROWS.csv of 10k, 100k and 1M distinct rows into an empty store (the data folder gets a
      targets.toml with extra percent indicators)
  a peer (pandas and/or DuckDB, where --peer-python has them) doing status's reading job from a CSV

Each timing is the median of --reps runs (--big-reps at 1M). Bars (issue 13): at 1M, `status` <= 1 s
warm and <= 5 s cold, `record` of one more <= 1 s (warm), `record --file` of 1M rows <= 15 s; at 100k,
`status` <= 1 s warm and <= 1.5 s cold, `record` of one <= 1 s, `record --file` of 100k rows <= 10 s;
peak memory of every command <= 1 GiB; cost no worse than linear (every 10k -> 100k ratio <= 10).
Exits 1 if a bar fails.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from pathlib import Path

from _common import Failed, admtrack_cmd, bench_env, check_install, load, median, run, run3

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


def med2(runs: list[tuple]) -> tuple[float, float, int]:
    """(median wall, median CPU, highest peak memory) of (wall, cpu, peak) runs."""
    return median([r[0] for r in runs]), median([r[1] for r in runs]), max(r[2] for r in runs)


def time_reads(adm, env, folder: Path, args, reps: int):
    base = adm + ["--data-dir", str(folder)] + args
    cold = []
    for _ in range(reps):
        drop_cache(folder)
        cold.append(run3(base, env=env))
    run(base, env=env)  # build the cache
    if not (folder / CACHE).exists():
        print(f"  note: no {CACHE} after `{' '.join(args)}`: 'warm' is not warm", file=sys.stderr)
    warm = [run3(base, env=env) for _ in range(reps)]
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
            times.append(run3(adm + ["--data-dir", str(folder)] + RECORD, env=env))
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
        times.append(run3(adm + ["--data-dir", str(folder), "record", "--file", str(csv_path)], env=env))
        got = (folder / STORE).read_bytes().count(b"[[observation]]")
        if got != rows:
            raise Failed(f"record --file: expected {rows} entries in the store, found {got}")
    return med2(times)


def size_label(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def fmt_s(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


GIB = 1 << 30


def peer_engines(python: str) -> list[str]:
    """The peers (pandas, DuckDB) importable by ``python``."""
    import subprocess

    out = []
    for name in ("pandas", "duckdb"):
        if subprocess.run([python, "-c", f"import {name}"], capture_output=True).returncode == 0:
            out.append(name)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000,1000000",
                    help="store sizes (default 1000,10000,100000,1000000)")
    ap.add_argument("--kinds", default="revisions,distinct",
                    help="revisions (past the plan's ~2,000 keys, revisions) and/or distinct (every figure a "
                         "different key, over extra indicators); default both")
    ap.add_argument("--reps", type=int, default=5, help="runs per timing; the median is reported (default 5)")
    ap.add_argument("--big-reps", type=int, default=3, help="runs per timing at 1M and more (default 3)")
    ap.add_argument("--file-reps", type=int, default=3, help="runs per record --file timing (default 3)")
    ap.add_argument("--file-rows", default="10000,100000,1000000",
                    help="record --file sizes (default 10000,100000,1000000)")
    ap.add_argument("--peer-python", default=sys.executable,
                    help="an interpreter with pandas and/or DuckDB for the paired peer of status (skipped "
                         "where neither is importable)")
    ap.add_argument("--keep", type=Path, help="work in this (new) folder and keep it, instead of a temporary one")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    kinds = [k for k in args.kinds.split(",") if k]
    file_rows = [int(s) for s in args.file_rows.split(",") if s]

    check_install()

    env = bench_env()
    adm = admtrack_cmd()
    peers = peer_engines(args.peer_python)
    print(f"python: {sys.executable} ({sys.version.split()[0]})")
    print(f"admtrack: {' '.join(adm)}")
    print(f"peers of status: {', '.join(peers) or 'none installed (skipped)'}")
    print(f"median of {args.reps} runs ({args.big_reps} at 1M; record --file: {args.file_reps}); load average at "
          f"the start: {load()}")
    if args.keep:
        args.keep.mkdir(parents=True)
        root = args.keep
    else:
        tmp = tempfile.TemporaryDirectory(prefix="admtrack-scale-")
        root = Path(tmp.name)

    results: dict[tuple[str, str], dict[int, tuple]] = {}
    try:
        for kind in kinds:
            for n in sizes:
                reps = args.reps if n < 1000000 else args.big_reps
                template = root / f"store-{kind}-{n}"
                # in a child process: a child's ru_maxrss starts from its parent's size at fork
                run([sys.executable, str(Path(__file__).with_name("gen_store.py")), str(template), str(n)]
                    + (["--distinct"] if kind == "distinct" else []), env=env)
                print(f"  {n:>7} observations ({kind}): {(template / STORE).stat().st_size / 1e6:.1f} MB store "
                      f"(load {load()})", flush=True)
                work = fresh(template, root / "work")
                for label, cmd, _ in READS:
                    c, w = time_reads(adm, env, work, cmd, reps)
                    results.setdefault((f"{label} [{kind}]", "cold"), {})[n] = c
                    results.setdefault((f"{label} [{kind}]", "warm"), {})[n] = w
                for label, cmd in (("history VNM gdp", ["history", "VNM", "gdp", "--format", "json"]),
                                   ("check", ["check"])):
                    w = med2([run3(adm + ["--data-dir", str(work)] + cmd, env=env) for _ in range(reps)])
                    results.setdefault((f"{label} [{kind}]", "warm"), {})[n] = w
                for engine in peers:
                    csv_path = root / "peer.csv"
                    with open(csv_path, "wb") as fh:
                        run(adm + ["--data-dir", str(work), "--no-reference", "export", "--all-revisions",
                                   "--format", "csv"], env=env, stdout=fh)
                    peer = [args.peer_python, str(Path(__file__).with_name("peer_status.py")), engine,
                            str(csv_path)]
                    run(peer, env=env)  # warm the file system cache and the peer's imports
                    w = med2([run3(peer, env=env) for _ in range(reps)])
                    results.setdefault((f"peer: {engine} [{kind}]", "csv"), {})[n] = w
                c, w = time_record(adm, env, template, root / "work", reps)
                results.setdefault((f"record (one more) [{kind}]", "cold"), {})[n] = c
                results.setdefault((f"record (one more) [{kind}]", "warm"), {})[n] = w
                shutil.rmtree(root / "work")
                shutil.rmtree(template)
        file_times = {}
        for rows in file_rows:
            folder, csv_path = file_folder(adm, env, root, rows)
            file_times[rows] = time_file(adm, env, folder, csv_path, rows, args.file_reps)
            print(f"  record --file: {rows} rows", flush=True)
            shutil.rmtree(folder)
    except Failed as exc:
        print(f"FAIL: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            tmp.cleanup()

    ok = True
    checks = []
    infos: list[str] = []
    for which, idx in (("wall", 0), ("cpu", 1), ("peak", 2)):
        print()
        print({"wall": "wall seconds (median)",
               "cpu": "cpu seconds (median): user + sys of the admtrack process, less sensitive to other load",
               "peak": "peak memory, MiB (the highest of the runs; process and children together)"}[which])
        head = f"{'command':<36} {'cache':<5} " + " ".join(f"{size_label(n):>8}" for n in sizes)
        head += f" {'10k->100k':>10}"
        print(head)
        print("-" * len(head))
        for (label, mode), by in results.items():
            t = {n: v[idx] for n, v in by.items()}
            if idx == 2:
                line = f"{label:<36} {mode:<5} " + " ".join(f"{t[n] / 2**20:>8.0f}" if n in t else f"{'-':>8}"
                                                          for n in sizes)
                if not label.startswith("peer"):
                    for n, v in t.items():
                        if v > GIB:
                            checks.append((f"{size_label(n)} {label} ({mode}): peak {v / 2**20:.0f} MiB", False,
                                           "<= 1 GiB"))
                print(line)
                continue
            line = f"{label:<36} {mode:<5} " + " ".join(f"{fmt_s(t.get(n)):>8}" for n in sizes)
            if 10000 in t and 100000 in t:
                ratio = t[100000] / t[10000]
                line += f" {ratio:>9.2f}x"
                if idx == 0 and not label.startswith("peer"):
                    checks.append((f"linear: {label} ({mode}) 10k->100k {ratio:.2f}x", ratio <= 10.0, "<= 10x"))
            print(line)
            if idx != 0 or label.startswith("peer") or not (label.startswith("status") or label.startswith("record")):
                continue
            if 100000 in t:
                if mode == "warm":
                    checks.append((f"100k {label} ({mode}): {t[100000]:.3f} s", t[100000] <= 1.0, "<= 1 s"))
                elif label.startswith("status"):
                    checks.append((f"100k {label} ({mode}): {t[100000]:.3f} s", t[100000] <= 1.5, "<= 1.5 s"))
                else:
                    infos.append(f"100k {label} ({mode}): {t[100000]:.3f} s")
            if 1000000 in t:
                bar = 5.0 if mode == "cold" and label.startswith("status") else 1.0
                if mode == "cold" and label.startswith("record"):
                    infos.append(f"1M {label} ({mode}): {t[1000000]:.3f} s")
                else:
                    checks.append((f"1M {label} ({mode}): {t[1000000]:.3f} s", t[1000000] <= bar, f"<= {bar:g} s"))
        ft = {rows: v[idx] for rows, v in file_times.items()}
        for rows, t in ft.items():
            if idx == 2:
                print(f"{f'record --file {size_label(rows)} rows':<42} {t / 2**20:>8.0f}")
                if t > GIB:
                    checks.append((f"record --file {size_label(rows)} rows: peak {t / 2**20:.0f} MiB", False,
                                   "<= 1 GiB"))
                continue
            print(f"{f'record --file {size_label(rows)} rows':<42} {t:>8.3f}")
            if idx == 0 and rows == 100000:
                checks.append((f"record --file 100,000 rows: {t:.3f} s", t <= 10.0, "<= 10 s"))
            if idx == 0 and rows == 1000000:
                checks.append((f"record --file 1,000,000 rows: {t:.3f} s", t <= 15.0, "<= 15 s"))
        if 10000 in ft and 100000 in ft and idx < 2:
            r = ft[100000] / ft[10000]
            print(f"{'record --file 10k->100k':<42} {r:>8.2f}x")
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
