"""Random stores through every report (issue 14 "Done when"): figures of any size the rules accept (0,
1e308, the smallest subnormal, …), revisions, retractions and figures reported for the region as a whole,
written through `record --file`, then every reading command in every format and with both methods. Each
must exit 0 (or 3 with --fail-on) — never a traceback — and JSON must always parse.

A fixed budget (``ADMTRACK_FUZZ_SCALE`` multiplies it), derandomised, so CI runs the same examples."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

from conftest import YEAR, write_file
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from admtrack.plan import bundled_path, load_plan

PLAN = load_plan(bundled_path())
STATES = [*PLAN.state_codes, "ASEAN"]
INDICATORS = [i for i in PLAN.indicators.values() if not i.derive]
TARGETS = list(PLAN.target_by_id)
REPORT_FORMATS = ["table", "json", "csv", "tsv", "markdown"]
EXPORT_FORMATS = ["csv", "tsv", "json", "jsonl", "sdmx-csv"]
METHODS = ["projection", "cagr-ratio"]
SCALE = max(1, int(os.environ.get("ADMTRACK_FUZZ_SCALE", "1")))
EXTREMES = [0.0, 1e308, 1.7976931348623157e308, 5e-324, 1e-300, 2.2250738585072014e-308, 1.0, 100.0, 1e15, 0.5]


def _within(value: float, lo: float | None, hi: float | None) -> float:
    if lo is not None and value < lo:
        return lo
    if hi is not None and value > hi:
        return hi
    return value


@st.composite
def figures(draw):
    """One history row: a figure, or a retraction."""
    ind = draw(st.sampled_from(INDICATORS))
    state = draw(st.sampled_from(STATES))
    year = draw(st.integers(min_value=max(1990, YEAR - 14), max_value=YEAR))
    if draw(st.integers(0, 9)) == 0:
        return {"state": state, "indicator": ind.id, "year": year, "value": None, "retracted": True,
                "reason": "withdrawn"}
    raw = draw(st.sampled_from(EXTREMES) | st.floats(allow_nan=False, allow_infinity=False, width=64))
    value = _within(raw, ind.min, ind.max)
    if draw(st.booleans()) and ind.max is None and value > 0:
        value = value * draw(st.sampled_from([1.0, 1e-3, 1e3]))
        if not math.isfinite(value):
            value = 1e308
    return {"state": state, "indicator": ind.id, "year": year, "value": value, "retracted": False,
            "reason": None, "source": draw(st.sampled_from(["WDI", "=HYPERLINK(\"x\")", "Ω source", None])),
            "obs_status": draw(st.sampled_from([None, "E", "P", "B"]))}


@st.composite
def stores(draw):
    rows = draw(st.lists(figures(), min_size=1, max_size=40))
    # revisions: the same key again with another figure
    for row in draw(st.lists(st.sampled_from(rows), max_size=8)):
        if not row["retracted"]:
            bigger = row["value"] * 1.5 + 1
            bigger = bigger if math.isfinite(bigger) else 1e308
            rows.append({**row, "value": _within(bigger, *_bounds(row["indicator"]))})
    # a retraction withdraws a figure recorded before it (one of nothing is refused, as `retract` refuses it)
    seen: set[tuple] = set()
    kept = []
    for row in rows:
        key = (row["state"], row["indicator"], row["year"])
        if not row["retracted"]:
            seen.add(key)
        elif key not in seen:
            continue
        kept.append(row)
    if not kept:  # only retractions of nothing were drawn: a figure in their place
        kept = [{**rows[0], "value": _within(1.0, *_bounds(rows[0]["indicator"])), "retracted": False, "reason": None}]
    return kept


def _bounds(ind_id: str) -> tuple[float | None, float | None]:
    ind = PLAN.indicators[ind_id]
    return ind.min, ind.max


def budget(n: int):
    return settings(max_examples=n * SCALE, deadline=None, derandomize=True, database=None, print_blob=False,
                    phases=[Phase.explicit, Phase.reuse, Phase.generate],
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


def _ok(r, *, allowed=(0,)) -> None:
    assert "Traceback" not in r.err and "Traceback" not in r.out
    assert r.code in allowed, (r.code, r.err[-2000:])


@budget(20)
@given(rows=stores(), no_reference=st.booleans(), method_pair=st.booleans())
def test_every_report_on_random_stores(adm, tmp_path, rows, no_reference, method_pair):
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    data = folder / "data"
    f = write_file(folder / "history.json", json.dumps(rows))
    r = adm("record", "--file", f, data_dir=data)
    _ok(r)

    def run(*args, allowed=(0,)):
        r = adm(*args, data_dir=data, no_reference=no_reference)
        _ok(r, allowed=allowed)
        return r

    for kind in ("status", "gaps"):
        for fmt in REPORT_FORMATS:
            for method in METHODS:
                r = run(kind, "--format", fmt, "--method", method)
                if fmt == "json":
                    json.loads(r.out)
        run(kind, "--format", "json", "--fail-on", "on-track", allowed=(0, 3))
    for fmt in EXPORT_FORMATS:
        # SDMX-CSV holds one value per series and year: the full history is refused there (exit 2)
        r = run("export", "--format", fmt, "--all-revisions", allowed=(2,) if fmt == "sdmx-csv" else (0,))
        if fmt == "json":
            json.loads(r.out)
        if fmt == "jsonl":
            [json.loads(line) for line in r.out.splitlines()]
    state, ind = rows[0]["state"], rows[0]["indicator"]
    for fmt in REPORT_FORMATS:
        r = run("history", state, ind, "--format", fmt)
        if fmt == "json":
            json.loads(r.out)
    target = TARGETS[len(rows) % len(TARGETS)]
    for fmt in ("table", "json"):
        for extra in ([], ["--state", rows[-1]["state"] if rows[-1]["state"] != "ASEAN" else "VNM"]):
            r = run("explain", target, "--format", fmt, "--method", METHODS[method_pair], *extra)
            if fmt == "json":
                json.loads(r.out)
    run("check")
