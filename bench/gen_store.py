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

from admtrack.model import Observation as Entry
from admtrack.plan import bundled_path, load_plan
from admtrack.store import HEADER, STORE_NAME
from admtrack.store.codec import serialise_chunks

SCALE = {"percent": 60.0, "usd-bn": 900.0, "usd": 30000.0, "persons": 3e8, "index": 150.0}


EXTRA_YEARS = range(1990, 2026)


def extra_indicators(n: int, states: int) -> int:
    """How many extra percent indicators a store of ``n`` distinct figures needs beside the plan's own."""
    return max(0, -(-n // (states * len(EXTRA_YEARS))))


def extra_plan(n: int) -> str:
    """The bundled plan plus enough extra (non-target) percent indicators for ``n`` distinct figures: a
    store of many distinct series (provincial or monthly ones, say) of which status reads a few."""
    plan = load_plan(bundled_path())
    out = [bundled_path().read_text(encoding="utf-8"), "\n# Added by bench/gen_store.py --distinct\n"]
    for k in range(extra_indicators(n, len(plan.state_codes))):
        out.append(f'\n[[indicator]]\nid = "bench-extra-{k:04d}"\nname = "Bench indicator {k}"\n'
                   'unit = "percent"\nmin = 0\nmax = 100\n')
    return "".join(out)


def entries(n: int, seed: int = 2030, *, distinct: bool = False):
    plan = load_plan(bundled_path())
    rng = random.Random(seed)
    inds = [i for i in plan.indicators.values() if not i.derive]
    keys = [(s, i, y) for y in range(2000, 2026) for s in plan.state_codes for i in inds]
    if distinct:  # the plan's own keys once, then the extra indicators' (see extra_plan)
        from types import SimpleNamespace

        extra = [SimpleNamespace(id=f"bench-extra-{k:04d}", unit="percent", min=0, max=100)
                 for k in range(extra_indicators(n, len(plan.state_codes)))]
        keys += [(s, i, y) for i in extra for s in plan.state_codes for y in EXTRA_YEARS]
    for k in range(n):
        state, ind, year = keys[k % len(keys)]
        low = getattr(ind, "min", None)
        high = getattr(ind, "max", None)
        value = round(rng.uniform(low if low is not None else 1, high if high is not None else SCALE[ind.unit]), 4)
        stamp = f"2026-{1 + k // 200000 % 12:02d}-01T00:00:{k % 60:02d}.{k % 1000000:06d}Z"
        yield Entry(state, ind.id, year, value, f"bench source {k}", None, stamp)


def write(folder: Path, n: int, *, distinct: bool = False) -> Path:
    """A store of ``n`` observations in ``folder``: mostly revisions past the plan's ~2,000 keys, or with
    ``distinct`` every one a different figure (and a targets.toml with the extra indicators)."""
    folder.mkdir(parents=True, exist_ok=True)
    if distinct:
        (folder / "targets.toml").write_text(extra_plan(n), encoding="utf-8")
    head = HEADER.encode("utf-8")
    chunks, _ = serialise_chunks(entries(n, distinct=distinct), head.count(b"\n") + 2)
    path = folder / STORE_NAME
    with open(path, "wb") as fh:
        fh.write(head)
        for chunk in chunks:
            fh.write(chunk)
    return path


if __name__ == "__main__":
    target = write(Path(sys.argv[1]), int(sys.argv[2]), distinct="--distinct" in sys.argv[3:])
    print(f"wrote {target} ({target.stat().st_size / 1e6:.1f} MB)")
