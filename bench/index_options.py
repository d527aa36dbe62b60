"""Two ways to keep the store's index, measured on the same rows (issue 13): what `status` needs (the
entries in force of a few indicators), what `record` of one more costs (update one indicator, append one
row), and building the index from a million rows.

    python bench/index_options.py DATA_DIR [--reps 5]

DATA_DIR holds an observations.toml (bench/gen_store.py; with --distinct it holds a million distinct
figures over ~2,500 indicators). The options:

  json-pieces  admtrack's index: one JSON array of entries in force per indicator and the rows in
               segments, each piece with its SHA-256 in the index (a damaged piece is detected); an
               update appends the new pieces to the data file in place and rewrites the small index.
  sqlite       stdlib sqlite3: a table of entries in force keyed by (indicator, state, year) and a
               table of rows; WAL off, one transaction per update.

In-process timings (no start-up), median of --reps, CPU time beside wall time.
"""

from __future__ import annotations

import argparse
import gc
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from admtrack.store import cache as cache_mod
from admtrack.store.codec import parse_store

STATUS_INDICATORS = ["digital-economy-share", "digital-economy-value-added", "high-skill-employment-share",
                     "skilled-workforce-share", "labour-productivity", "gdp-per-worker-usd", "gdp",
                     "public-services-ai-share", "egov-online-service-index", "population", "labour-force"]


def timed(fn, reps: int):
    walls, cpus = [], []
    for _ in range(reps):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def json_pieces(rows, folder: Path, reps: int) -> dict:
    path = folder / "index.json"
    c = cache_mod.Cache(path)
    key = {"k": 1}

    def build():
        parts = cache_mod.by_indicator(rows)
        c.put(key, verdict=None, canonical=True, current=cache_mod.current_pieces(parts),
              rows=list(cache_mod.segments(rows)))

    out = {"build": timed(build, 1)}

    def status():
        v = c.get(key)
        got = v.current([i for i in STATUS_INDICATORS if i in v.pieces])
        v.close()
        return got

    out["status read"] = timed(status, reps)

    def record():
        v = c.get(key)
        o = rows[-1]
        part = v.current([o.indicator])[o.indicator]
        part[o.key] = o
        cur = dict(v.pieces)
        cur.update(cache_mod.current_pieces({o.indicator: part}))
        segs = list(v.segments)
        start = v.read(segs[-1]) if segs[-1].size < cache_mod.MERGE_BELOW else b""
        if start:
            segs.pop()
        segs += cache_mod.segments([o], start=start)
        c.put(key, verdict=None, canonical=True, current=cur, rows=segs, onto=v)  # appended in place
        v.close()

    out["record one"] = timed(record, reps)
    out["size MB"] = path.stat().st_size / 1e6
    return out


def sqlite(rows, folder: Path, reps: int) -> dict:
    path = folder / "index.sqlite"
    cols = "state TEXT, indicator TEXT, year INT, value REAL, source TEXT, note TEXT, recorded_at TEXT, " \
           "retracted INT, reason TEXT, line INT, obs_status TEXT"

    def tup(o):
        return (*o[:10], o.obs_status)

    def build():
        path.unlink(missing_ok=True)
        db = sqlite3.connect(path)
        db.execute("PRAGMA journal_mode=DELETE")
        db.execute(f"CREATE TABLE rows ({cols})")
        db.execute(f"CREATE TABLE cur ({cols}, PRIMARY KEY (indicator, state, year)) WITHOUT ROWID")
        db.executemany("INSERT INTO rows VALUES (?,?,?,?,?,?,?,?,?,?,?)", map(tup, rows))
        cur = {o.key: o for o in rows}
        db.executemany("INSERT INTO cur VALUES (?,?,?,?,?,?,?,?,?,?,?)", map(tup, cur.values()))
        db.commit()
        db.close()

    out = {"build": timed(build, 1)}

    def status():
        db = sqlite3.connect(path)
        q = ",".join("?" * len(STATUS_INDICATORS))
        got = db.execute(f"SELECT * FROM cur WHERE indicator IN ({q})", STATUS_INDICATORS).fetchall()
        db.close()
        return got

    out["status read"] = timed(status, reps)

    def record():
        db = sqlite3.connect(path)
        o = tup(rows[-1])
        with db:
            db.execute("INSERT INTO rows VALUES (?,?,?,?,?,?,?,?,?,?,?)", o)
            db.execute("INSERT OR REPLACE INTO cur VALUES (?,?,?,?,?,?,?,?,?,?,?)", o)
        db.close()

    out["record one"] = timed(record, reps)
    out["size MB"] = path.stat().st_size / 1e6
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    gc.disable()  # as admtrack's main does
    rows = parse_store((args.data_dir / "observations.toml").read_bytes(), "observations.toml").rows
    print(f"{len(rows)} rows; load average {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="admtrack-index-", dir=args.data_dir.parent) as tmp:
        results = {"json-pieces": json_pieces(rows, Path(tmp), args.reps), "sqlite": sqlite(rows, Path(tmp), args.reps)}
    print(f"{'option':<12} {'what':<12} {'wall s':>8} {'cpu s':>8}")
    for name, res in results.items():
        for what, v in res.items():
            if what == "size MB":
                print(f"{name:<12} {what:<12} {v:>8.1f}")
            else:
                print(f"{name:<12} {what:<12} {v[0]:>8.3f} {v[1]:>8.3f}")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
