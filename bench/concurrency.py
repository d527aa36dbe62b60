"""Concurrency: 8 writers at the same time leave exactly 200 new observations and a valid store (SPEC §7).

    python bench/concurrency.py [--writers 8] [--each 25] [--base 1000] [--mode one|file|both]

Starts from a store of --base observations (bench/gen_store.py) in a fresh data folder, then starts all
writers together (a barrier releases them at once) with the installed `admtrack`:

  one   each writer records its observations one `admtrack record` at a time (8 x 25 = 200 processes,
        8 of them running at any moment: 200 lock acquisitions under contention)
  file  each writer is one `admtrack record --file` of its 25 rows (8 processes at once)

Every writer records different (state, indicator, year) keys (years 1990-1999, which the generated store
does not use). Afterwards: every process exited 0, the store (read back with `admtrack export --format
json --all-revisions`) holds exactly the 200 expected new entries with their values and nothing else
changed, and `admtrack check` passes. Prints the wall time from release to the last exit. Exits 1 on
any failure.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import admtrack_cmd, bench_env, check_install, load

STATES = ["BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "TLS", "VNM"]
INDICATORS = ["gdp", "population", "labour-force"]
YEARS = range(1990, 2000)


def keys_for(writer: int, each: int) -> list[tuple[str, str, int, float]]:
    """`each` distinct keys for one writer; writers never share a key."""
    out = []
    slot = 0
    while len(out) < each:
        k = writer * each + len(out)
        state = STATES[k // (len(INDICATORS) * len(YEARS)) % len(STATES)]
        ind = INDICATORS[k // len(YEARS) % len(INDICATORS)]
        year = YEARS[k % len(YEARS)]
        out.append((state, ind, year, 100.0 + k + 0.25))
        slot += 1
    return out


def store_entries(adm, env, folder: Path) -> list[tuple]:
    p = subprocess.run(adm + ["--data-dir", str(folder), "export", "--format", "json", "--all-revisions"],
                       capture_output=True, env=env)
    if p.returncode != 0:
        raise SystemExit(f"FAIL: export exited {p.returncode}: {p.stderr.decode(errors='replace')}")
    doc = json.loads(p.stdout)
    return [(o["state"], o["indicator"], o["year"], o["value"], o["source"])
            for o in doc["observations"] if o["layer"] == "store"]


def run_mode(mode: str, adm, env, root: Path, writers: int, each: int, base: int) -> bool:
    import gen_store

    folder = root / mode
    gen_store.write(folder, base)
    before = store_entries(adm, env, folder)
    plans = [keys_for(w, each) for w in range(writers)]
    keyset = {(s, i, y) for plan in plans for s, i, y, _ in plan}
    assert len(keyset) == writers * each, "bench bug: writers' keys overlap"
    if keyset & {(s, i, y) for s, i, y, *_ in before}:
        raise SystemExit("bench bug: new keys already in the base store")
    failures: list[str] = []
    ends: list[float] = []
    barrier = threading.Barrier(writers + 1)
    lock = threading.Lock()

    def writer(w: int) -> None:
        cmds: list[tuple[list[str], bytes | None]] = []
        if mode == "one":
            for s, i, y, v in plans[w]:
                cmds.append((adm + ["--data-dir", str(folder), "record", s, i, str(y), repr(v),
                                    "--source", f"bench writer {w}"], None))
        else:
            csv = "state,indicator,year,value,source,note\n" + "".join(
                f"{s},{i},{y},{v!r},bench writer {w},\n" for s, i, y, v in plans[w])
            path = root / f"{mode}-writer-{w}.csv"
            path.write_text(csv, encoding="utf-8")
            cmds.append((adm + ["--data-dir", str(folder), "record", "--file", str(path)], None))
        barrier.wait()
        for cmd, _ in cmds:
            p = subprocess.run(cmd, capture_output=True, env=env)
            if p.returncode != 0:
                with lock:
                    failures.append(f"writer {w}: {' '.join(cmd[len(adm):])}: exit {p.returncode}: "
                                    f"{p.stderr.decode(errors='replace').strip()}")
        with lock:
            ends.append(time.perf_counter())

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = max(ends) - t0

    after = store_entries(adm, env, folder)
    new = after[len(before):]
    expected = sorted((s, i, y, v, f"bench writer {w}") for w, plan in enumerate(plans) for s, i, y, v in plan)
    ok = True
    print(f"[{mode}] {writers} writers x {each} observations "
          f"({'one record per process' if mode == 'one' else 'one record --file per writer'}), "
          f"base store {base}: wall {wall:.2f} s")
    for f in failures[:10]:
        print(f"  {f}")
    if failures:
        ok = False
        print(f"  {len(failures)} process(es) failed")
    if after[:len(before)] != before:
        ok = False
        print("  the entries that were there before changed")
    print(f"  new entries: {len(new)} (expected {len(expected)})")
    if sorted(new) != expected:
        ok = False
        missing = set(expected) - set(new)
        extra = [e for e in new if e not in set(expected)]
        print(f"  missing {len(missing)}, unexpected {len(extra)}, duplicates {len(new) - len(set(new))}")
    chk = subprocess.run(adm + ["--data-dir", str(folder), "check"], capture_output=True, env=env)
    print(f"  admtrack check: exit {chk.returncode}")
    if chk.returncode != 0:
        ok = False
        print("  " + chk.stderr.decode(errors="replace").strip().replace("\n", "\n  "))
    print(f"{'PASS' if ok else 'FAIL'}: concurrency ({mode}): {len(new)} new observations, "
          f"check exit {chk.returncode}, {wall:.2f} s")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--writers", type=int, default=8)
    ap.add_argument("--each", type=int, default=25)
    ap.add_argument("--base", type=int, default=1000, help="observations in the store before (default 1000)")
    ap.add_argument("--mode", choices=["one", "file", "both"], default="both")
    args = ap.parse_args()
    if args.writers * args.each > len(STATES) * len(INDICATORS) * len(YEARS):
        ap.error(f"at most {len(STATES) * len(INDICATORS) * len(YEARS)} distinct keys")

    check_install()
    env = bench_env()
    adm = admtrack_cmd()
    print(f"python: {sys.executable} ({sys.version.split()[0]})")
    print(f"admtrack: {' '.join(adm)}")
    print(f"load average: {load()}")
    ok = True
    with tempfile.TemporaryDirectory(prefix="admtrack-conc-") as tmp:
        for mode in (["one", "file"] if args.mode == "both" else [args.mode]):
            ok &= run_mode(mode, adm, env, Path(tmp), args.writers, args.each, args.base)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
