"""Helpers shared by the CLI-level tests of `admtrack status` and `admtrack gaps` (test_status_cli.py,
test_gaps_cli.py): the bundled reference figures read straight from the CSV (so that expected numbers
are computed independently of the code under test), strict JSON parsing, recording helpers, and the
SPEC §4 key sets.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path

from conftest import REPO, Result, write_file

REGION = "ASEAN"
BASELINE_YEAR = 2025
TARGET_YEAR = 2030
TARGET_IDS = [
    "digital-economy-share",
    "digital-economy-value-added",
    "skilled-workforce-share",
    "productivity",
    "public-services-ai-share",
    "social-service-cost",
]
#: the indicator each target measures in the bundled plan (SPEC §2.1)
TARGET_INDICATOR = {
    "digital-economy-share": "digital-economy-share",
    "digital-economy-value-added": "digital-economy-value-added",
    "skilled-workforce-share": "high-skill-employment-share",
    "productivity": "labour-productivity",
    "public-services-ai-share": "public-services-ai-share",
    "social-service-cost": "social-service-cost",
}


#: region statuses on the bundled data alone (SPEC §2.3): the targets whose indicator (or, for value added,
#: its inputs) has bundled figures — read from the bundled file, not listed by hand
def _bundled_indicators() -> set[str]:
    import csv as _csv

    with open(_reference_csv(), encoding="utf-8", newline="") as fh:
        return {r["indicator"] for r in _csv.DictReader(fh)}


def _assessed() -> set[str]:
    have = _bundled_indicators()
    have_dva = {"digital-economy-share", "gdp"} <= have
    return {
        t for t, ind in TARGET_INDICATOR.items() if ind in have or (ind == "digital-economy-value-added" and have_dva)
    }


#: SPEC §4: the keys every ASSESSMENT has (v2: with §5.7's reason and trend); ``goal`` only for the region
#: of a sum target
ASSESSMENT_KEYS = {
    "state",
    "baseline",
    "latest",
    "target",
    "progress",
    "attainment",
    "gap",
    "observed_rate",
    "required_rate",
    "projected",
    "anticipated",
    "status",
    "reason",
    "trend",
    "coverage",
}
#: keys beyond SPEC §4's ASSESSMENT that the output may carry (documented additions):
#: years_left/shortfall (the gaps fields, also in status), ratio (--method cagr-ratio, SPEC §5.4),
#: basis/carried_forward (region only, SPEC §5.5), unit (gaps rows), contribution (gaps rows, SPEC §4)
ASSESSMENT_EXTRA_KEYS = {"years_left", "shortfall", "notes", "ratio", "basis", "carried_forward"}
#: SPEC §5.7: why an assessment is insufficient_data
REASONS = {"no_data", "no_target", "no_trend", "low_coverage", "no_base_year", "one_year"}
#: numeric ASSESSMENT fields (JSON numbers or null)
NUMBER_FIELDS = (
    "target",
    "progress",
    "attainment",
    "gap",
    "observed_rate",
    "required_rate",
    "projected",
    "anticipated",
    "years_left",
    "shortfall",
    "ratio",
    "contribution",
)
#: SPEC §4 rows of gaps come worst first by this order; insufficient_data last
WORST_FIRST = ["regressing", "limited_progress", "acceleration_needed", "on_track", "achieved"]
#: SPEC §6 --fail-on order, best first
BEST_FIRST = ["achieved", "on_track", "acceleration_needed", "limited_progress", "regressing"]
STATUSES = set(BEST_FIRST) | {"insufficient_data"}


# ---- the bundled reference figures ------------------------------------------------------------


def _reference_csv() -> Path:
    p = REPO / "data" / "reference.csv"
    if p.is_file():
        return p
    from admtrack.reference import reference_path  # an installed wheel

    return reference_path()


def _load_reference() -> dict[tuple[str, str, int], float]:
    with open(_reference_csv(), encoding="utf-8", newline="") as fh:
        return {(r["state"], r["indicator"], int(r["year"])): float(r["value"]) for r in csv.DictReader(fh)}


REF = _load_reference()
ASSESSED_ON_BUNDLED = _assessed()
NOT_ASSESSED_ON_BUNDLED = set(TARGET_INDICATOR) - ASSESSED_ON_BUNDLED


def ref(state: str, indicator: str, year: int) -> float:
    return REF[(state, indicator, year)]


def ref_series(state: str, indicator: str) -> dict[int, float]:
    return {y: v for (s, i, y), v in REF.items() if s == state and i == indicator}


def productivity(state: str, year: int) -> float:
    """SPEC §2.1: labour-productivity is recorded (WDI GDP per person employed, constant 2021 PPP $)."""
    return ref(state, "labour-productivity", year)


def gdp_per_worker(state: str, year: int) -> float:
    """SPEC §2.1: gdp-per-worker-usd = 1e9 × gdp (US$ bn) / labour-force (persons), derived, nominal."""
    return 1e9 * ref(state, "gdp", year) / ref(state, "labour-force", year)


def baseline_of(series: dict[int, float], baseline_year: int = BASELINE_YEAR) -> int:
    """SPEC §5.1: the baseline year used — B itself, else the latest before it, else the earliest after it."""
    if baseline_year in series:
        return baseline_year
    before = [y for y in series if y < baseline_year]
    return max(before) if before else min(series)


def cagr(x_from: float, x_to: float, years: float) -> float:
    return (x_to / x_from) ** (1 / years) - 1


def trend_projection(series: dict[int, float], target_year: int = TARGET_YEAR) -> tuple[float, float, int]:
    """SPEC §5.3 (all values > 0): (observed_rate, projected, first year f) over the window [t−5, t]."""
    t = max(series)
    window = sorted(y for y in series if t - 5 <= y <= t)
    assert len(window) >= 2, series
    f = window[0]
    rate = cagr(series[f], series[t], t - f)
    return rate, series[t] * (1 + rate) ** (target_year - t), f


# ---- running the CLI ---------------------------------------------------------------------------


def _reject_constant(name: str):
    raise AssertionError(f"non-standard JSON constant {name!r} in output")


def strict_json(text: str):
    """Parse a JSON document, refusing NaN/Infinity (SPEC §4: numbers are JSON numbers)."""
    return json.loads(text, parse_constant=_reject_constant)


def run_json(adm, command: str, *args, expect_code: int = 0, **kw) -> dict:
    r = adm(command, "--format", "json", *args, **kw)
    assert r.code == expect_code, (command, args, r.code, r.err)
    return strict_json(r.out)


def status_json(adm, *args, **kw) -> dict:
    doc = run_json(adm, "status", *args, **kw)
    assert doc["schema"] == "admtrack.status/1"
    return doc


def gaps_json(adm, *args, **kw) -> dict:
    doc = run_json(adm, "gaps", *args, **kw)
    assert doc["schema"] == "admtrack.gaps/1"
    return doc


def record(
    adm, state: str, indicator: str, year: int, value: float, source: str = "test", *options: str, **kw
) -> Result:
    """`admtrack record [--source S] [OPTIONS] STATE INDICATOR YEAR VALUE`, which must succeed."""
    args = ["record", "--source", source, *options, state, indicator, str(year)]
    args += ["--", str(value)] if value < 0 else [str(value)]
    return adm.ok(*args, **kw)


def record_rows(adm, folder: Path, rows: list[dict], **kw) -> Result:
    """Record many observations at once (all or nothing) through `record --file` with a JSON array."""
    for r in rows:
        r.setdefault("source", "test")
    f = write_file(Path(folder) / f"rows-{abs(hash(json.dumps(rows, sort_keys=True)))}.json", json.dumps(rows))
    return adm.ok("record", "--file", f, **kw)


def target_doc(doc: dict, target_id: str) -> dict:
    hits = [t for t in doc["targets"] if t["id"] == target_id]
    assert len(hits) == 1, (target_id, [t["id"] for t in doc["targets"]])
    return hits[0]


def state_doc(doc: dict, target_id: str, state: str) -> dict:
    t = target_doc(doc, target_id)
    if state == REGION:
        return t["region"]
    hits = [a for a in t["states"] if a["state"] == state]
    assert len(hits) == 1, (target_id, state, [a["state"] for a in t["states"]])
    return hits[0]


def all_assessments(doc: dict):
    """(target id, assessment) for every region and state assessment of a status document."""
    for t in doc["targets"]:
        yield t["id"], t["region"]
        for a in t["states"]:
            yield t["id"], a


def gap_row(doc: dict, target_id: str, state: str) -> dict:
    hits = [r for r in doc["rows"] if r["target_id"] == target_id and r["state"] == state]
    assert len(hits) == 1, (target_id, state, len(hits))
    return hits[0]


def is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def parse_delimited(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def delimited_dicts(text: str, delimiter: str) -> tuple[list[str], list[dict[str, str]]]:
    rows = parse_delimited(text, delimiter)
    assert rows, "no output"
    header = rows[0]
    assert len(set(header)) == len(header), f"duplicate columns: {header}"
    for r in rows[1:]:
        assert len(r) == len(header), ("ragged row", r)
    return header, [dict(zip(header, r)) for r in rows[1:]]


# ---- terminal output -----------------------------------------------------------------------------

ANSI = "\x1b["
_SGR = re.compile(r"\x1b\[([0-9;]*)m")


def colour_codes(text: str) -> list[str]:
    """The SGR sequences of ``text`` that set a colour (foreground or background; 39/49 only reset)."""
    found = []
    for m in _SGR.finditer(text):
        params = [p for p in m.group(1).split(";") if p]
        i = 0
        while i < len(params):
            p = int(params[i])
            if p in (38, 48):  # extended colour: 38;5;n or 38;2;r;g;b
                found.append(m.group(0))
                break
            if 30 <= p <= 37 or 40 <= p <= 47 or 90 <= p <= 97 or 100 <= p <= 107:
                found.append(m.group(0))
                break
            i += 1
    return found


def cell_width(line: str) -> int:
    from rich.cells import cell_len

    return cell_len(line)


def terminal_env(
    monkeypatch,
    *,
    columns: int | None = None,
    force_terminal: bool = False,
    term: str = "xterm-256color",
    no_color: str | None = None,
) -> None:
    """Set up the environment Rich reads: COLUMNS, TERM, NO_COLOR; ``force_terminal``: the captured stdout
    counts as a terminal (admtrack asks ``render.human.stdout_is_terminal``: FORCE_COLOR never puts ANSI
    codes into a pipe, SPEC §4)."""
    for var in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "NO_COLOR", "COLUMNS", "LINES", "JUPYTER_COLUMNS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TERM", term)
    if columns is not None:
        monkeypatch.setenv("COLUMNS", str(columns))
    if force_terminal:
        import admtrack.render.human

        monkeypatch.setattr(admtrack.render.human, "stdout_is_terminal", lambda: True)
    if no_color is not None:
        monkeypatch.setenv("NO_COLOR", no_color)


def busy_rows() -> list[dict]:
    """Recorded figures that give every target data, every status somewhere, a reported ASEAN figure,
    a decrease target and large numbers: for layout and ordering tests."""
    rows: list[dict] = []

    def series(state, indicator, values: dict[int, float]):
        rows.extend({"state": state, "indicator": indicator, "year": y, "value": v} for y, v in values.items())

    # skilled-workforce-share (level 80, weighted by labour force), measured by high-skill-employment-share:
    # these figures override the bundled ILO ones for the same years
    series("IDN", "high-skill-employment-share", {2023: 40.0, 2024: 45.0, 2025: 50.0})  # fast: on track
    series("VNM", "high-skill-employment-share", {2023: 30.0, 2024: 29.0, 2025: 28.0})  # regressing
    series("THA", "high-skill-employment-share", {2023: 78.0, 2024: 80.5, 2025: 82.0})  # achieved
    series("PHL", "high-skill-employment-share", {2024: 50.0, 2025: 52.0})  # limited
    series("MYS", "high-skill-employment-share", {2022: 60.0, 2025: 66.0})  # acceleration needed?
    series("MMR", "high-skill-employment-share", {2025: 10.0})
    # public-services-ai-share (level 100, simple mean)
    for i, code in enumerate(["BRN", "KHM", "IDN", "LAO", "MYS", "SGP", "THA"]):
        series(code, "public-services-ai-share", {2024: 20.0 + 5 * i, 2025: 30.0 + 8 * i, 2026: 36.0 + 9 * i})
    # social-service-cost (relative −40 %, decrease, weighted by population)
    series("VNM", "social-service-cost", {2024: 103.0, 2025: 100.0, 2026: 96.0})
    series("IDN", "social-service-cost", {2024: 98.0, 2025: 100.0, 2026: 104.0})
    series("PHL", "social-service-cost", {2024: 110.0, 2025: 100.0, 2026: 88.0})
    series("THA", "social-service-cost", {2025: 100.0, 2026: 55.0})
    series("MYS", "social-service-cost", {2025: 100.0, 2026: 99.5})
    series("MMR", "social-service-cost", {2025: 100.0, 2026: 91.0})
    # a reported region figure, and a very large economy (long numbers)
    rows.append(
        {
            "state": "ASEAN",
            "indicator": "digital-economy-share",
            "year": 2025,
            "value": 20.0,
            "source": "ASEAN Secretariat estimate",
        }
    )
    series("SGP", "gdp", {2026: 98765.4})
    series("SGP", "digital-economy-share", {2026: 99.9})
    return rows


def by_cutoffs(
    value: float, on_track: float = 0.95, acceleration_needed: float = 0.60, limited_progress: float = 0.0
) -> str:
    """SPEC §5.4 step 3 with the default thresholds of the bundled targets.toml."""
    if value >= on_track:
        return "on_track"
    if value >= acceleration_needed:
        return "acceleration_needed"
    if value >= limited_progress:
        return "limited_progress"
    return "regressing"


# ---- a small plan of two states whose one target sets its own years (test_target_years, test_table_widths)

PLAN_HEAD = """\
[plan]
id = "P"
name = "P"
baseline_year = 2020
target_year = 2035

[[state]]
code = "AAA"
alpha2 = "AA"
name = "Alphaland"

[[state]]
code = "BBB"
alpha2 = "BB"
name = "Betastan"

[[indicator]]
id = "x"
name = "X"
unit = "index"
min = 0
"""

OWN_YEARS = """
[[target]]
id = "t"
title = "X doubles"
indicator = "x"
kind = "relative"
change = 1.0
direction = "increase"
aggregate = "mean"
baseline_year = {baseline}
target_year = {target}
"""

FIGURES = """\
state,indicator,year,value,source
AAA,x,2019,10,s
AAA,x,2021,11,s
AAA,x,2023,12,s
BBB,x,2021,20,s
BBB,x,2023,21,s
"""
