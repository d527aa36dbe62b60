"""Write a data folder whose observations.toml holds N observations for the bundled plan.

    python bench/gen_store.py DIR N [--distinct]

Observations cycle over every (state, recordable indicator, year) of the bundled plan; past the number
of distinct keys they become revisions (later entries for the same key), as a long-lived store would
hold. Values stay inside each indicator's bounds. Uses only the project and the standard library.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from admtrack.plan import bundled_path, load_plan
from admtrack.model import Observation as Entry
from admtrack.store import HEADER, STORE_NAME, serialise

SCALE = {"percent": 60.0, "usd-bn": 900.0, "usd": 30000.0, "persons": 3e8, "index": 150.0}


def entries(n: int, seed: int = 2030) -> list[Entry]:
    plan = load_plan(bundled_path())
    rng = random.Random(seed)
    inds = [i for i in plan.indicators.values() if not i.derive]
    keys = [(s, i, y) for y in range(2000, 2026) for s in plan.state_codes for i in inds]
    out = []
    for k in range(n):
        state, ind, year = keys[k % len(keys)]
        value = round(rng.uniform(1, SCALE[ind.unit]), 4)
        stamp = f"2026-{1 + k // 200000 % 12:02d}-01T00:00:{k % 60:02d}.{k % 1000000:06d}Z"
        out.append(Entry(state, ind.id, year, value, f"bench source {k}", None, stamp))
    return out


def write(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    head = HEADER.encode("utf-8")
    text, _ = serialise(entries(n), head.count(b"\n") + 2)
    path = folder / STORE_NAME
    path.write_bytes(head + text.encode("utf-8"))
    return path


if __name__ == "__main__":
    target = write(Path(sys.argv[1]), int(sys.argv[2]))
    print(f"wrote {target} ({target.stat().st_size / 1e6:.1f} MB)")
