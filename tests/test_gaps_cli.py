"""`admtrack gaps` end to end, through the real CLI (SPEC §3–§5): the document, the order of its rows,
years left / shortfall / contribution (computed by hand from the bundled reference CSV), filters and
formats."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import pytest
from conftest import STATES, YEAR
from fixtures_report import (
    ANSI,
    ASSESSMENT_EXTRA_KEYS,
    ASSESSMENT_KEYS,
    NUMBER_FIELDS,
    REGION,
    STATUSES,
    TARGET_IDS,
    TARGET_YEAR,
    WORST_FIRST,
    busy_rows,
    delimited_dicts,
    gap_row,
    gaps_json,
    is_number,
    productivity,
    record,
    record_rows,
    ref,
    ref_series,
    state_doc,
    status_json,
    strict_json,
    terminal_env,
    trend_projection,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

approx = pytest.approx

ROW_KEYS = {"target_id"} | ASSESSMENT_KEYS | {"years_left", "shortfall", "shortfall_share", "contribution"}
ROW_EXTRA_KEYS = (ASSESSMENT_EXTRA_KEYS - {"years_left", "shortfall"}) | {
    "unit",
    "proxy",
}  # the target's unit and proxy
AGGREGATED_RULES = {  # SPEC §2.1: targets whose region value is a sum or weighted mean
    "digital-economy-share": "weighted_mean",
    "digital-economy-value-added": "sum",
    "skilled-workforce-share": "weighted_mean",
    "productivity": "weighted_mean",
    "social-service-cost": "weighted_mean",
}
UNITS = {
    "digital-economy-share": "percent",
    "digital-economy-value-added": "usd-bn",
    "skilled-workforce-share": "percent",
    "productivity": "usd",
    "public-services-ai-share": "percent",
    "social-service-cost": "index",
}


@pytest.fixture
def busy(adm, tmp_path):
    record_rows(adm, tmp_path, busy_rows())


# ==== the document ================================================================================


def test_gaps_json_document(adm):
    doc = gaps_json(adm)
    assert (
        {"schema", "plan", "as_of", "as_recorded", "rows"}
        <= set(doc)
        <= {"schema", "plan", "as_of", "as_recorded", "rows", "method"}
    )
    assert doc["plan"] == {
        "id": "ADM2030",
        "name": "ASEAN Digital Masterplan 2030",
        "baseline_year": 2025,
        "target_year": 2030,
    }
    assert doc["as_of"] == YEAR
    rows = doc["rows"]
    pairs = [(r["target_id"], r["state"]) for r in rows]
    assert len(pairs) == len(set(pairs)) == 6 * 11 + 6  # every (target, state), and the region per target
    assert set(pairs) == {(t, s) for t in TARGET_IDS for s in STATES + [REGION]}
    for r in rows:
        keys = set(r)
        assert keys >= ROW_KEYS, (r["target_id"], r["state"], ROW_KEYS - keys)
        extra = {"goal"} if (r["target_id"], r["state"]) == ("digital-economy-value-added", REGION) else set()
        assert extra <= keys
        assert keys <= ROW_KEYS | ROW_EXTRA_KEYS | extra, (r["target_id"], r["state"], keys - ROW_KEYS - ROW_EXTRA_KEYS)
        # SPEC §5.7: shortfall_share = shortfall / |target|, null when the target is 0 or the shortfall null
        if r["shortfall"] is None or not r["target"]:
            assert r["shortfall_share"] is None
        else:
            assert r["shortfall_share"] == approx(r["shortfall"] / abs(r["target"]), rel=1e-12)
        assert r["status"] in STATUSES
        for k in NUMBER_FIELDS:
            assert r.get(k) is None or is_number(r[k]), (r["target_id"], r["state"], k, r[k])
        if r["state"] == REGION:
            assert r["contribution"] is None  # the region's own row holds no share of itself
        else:
            assert r["coverage"] is None
        if r["latest"] is None:
            assert r["status"] == "insufficient_data"
            assert all(r[k] is None for k in ("gap", "years_left", "shortfall", "contribution"))
            assert r["reason"] in ("no_data", "low_coverage")


def test_gaps_rows_carry_the_status_assessments(adm, busy):
    """gaps and status assess the same series the same way."""
    status = status_json(adm)
    for r in gaps_json(adm)["rows"]:
        a = state_doc(status, r["target_id"], r["state"])
        for k in ASSESSMENT_KEYS:
            assert r[k] == a[k], (r["target_id"], r["state"], k)


# ==== order: worst first (SPEC §4) ================================================================


def _sort_size(r) -> float:
    """SPEC §5.7: rows of any unit rank by shortfall_share; rows without one come last in their status."""
    return -math.inf if r["shortfall_share"] is None else r["shortfall_share"]


def _check_order(rows):
    assessed = [r for r in rows if r["status"] != "insufficient_data"]
    n = len(assessed)
    assert all(r["status"] == "insufficient_data" for r in rows[n:]), "insufficient_data rows come last"
    ranks = [WORST_FIRST.index(r["status"]) for r in assessed]
    assert ranks == sorted(ranks), [r["status"] for r in assessed]
    # within a status, the largest shortfall_share first, whatever the unit (SPEC §4, §5.7)
    for status in WORST_FIRST:
        sizes = [_sort_size(r) for r in assessed if r["status"] == status]
        assert sizes == sorted(sizes, reverse=True), (status, sizes)


def test_rows_worst_first_on_the_bundled_data(adm):
    rows = gaps_json(adm)["rows"]
    _check_order(rows)
    assert rows[0]["status"] == "regressing"
    assert rows[-1]["status"] == "insufficient_data"


def test_rows_worst_first_with_every_status(adm, busy):
    rows = gaps_json(adm)["rows"]
    assert {r["status"] for r in rows} == STATUSES  # the data exercises every status
    _check_order(rows)


def test_rows_worst_first_with_filters(adm, busy):
    for args in (
        ["-s", "VNM", "-s", "IDN"],
        ["-t", "social-service-cost", "-t", "skilled-workforce-share"],
        ["-s", "ASEAN"],
        ["--as-of", "2025"],
        ["--method", "cagr-ratio"],
    ):
        _check_order(gaps_json(adm, *args)["rows"])


# ==== years_left, shortfall (SPEC §4, §5.3) ======================================================


def test_years_left_and_shortfall(adm, busy):
    directions = {t: ("decrease" if t == "social-service-cost" else "increase") for t in TARGET_IDS}
    for r in gaps_json(adm)["rows"]:
        where = (r["target_id"], r["state"])
        if r["latest"] is None:
            assert r["years_left"] is None, where
        else:
            assert r["years_left"] == TARGET_YEAR - r["latest"]["year"], where
        if r["projected"] is None or r["target"] is None:
            assert r["shortfall"] is None, where
        else:
            short = (
                r["target"] - r["projected"]
                if directions[r["target_id"]] == "increase"
                else r["projected"] - r["target"]
            )
            assert r["shortfall"] == approx(max(0.0, short), rel=1e-9, abs=1e-9), where
            assert r["shortfall"] >= 0
        if (
            r["gap"] is not None
            and r["required_rate"] is not None
            and r["years_left"]
            and r["latest"]["value"] > 0
            and r["target"] > 0
        ):
            x, T, n = r["latest"]["value"], r["target"], r["years_left"]
            assert r["required_rate"] == approx((T / x) ** (1 / n) - 1, rel=1e-9), where


def test_productivity_row_by_hand(adm):
    r = gap_row(gaps_json(adm), "productivity", "LAO")
    series = ref_series("LAO", "labour-productivity")
    t = max(series)  # WDI ends before the 2025 baseline: the baseline is the latest year before it
    xt = series[t]
    rate, projected, _ = trend_projection(series)
    assert r["years_left"] == TARGET_YEAR - t
    assert r["gap"] == approx(1.5 * xt, rel=1e-12)
    assert r["shortfall"] == approx(2.5 * xt - projected, rel=1e-9)
    assert r["status"] == ("regressing" if rate < 0 else r["status"])  # real GDP per person employed fell


# ==== contributions (SPEC §5.5) ===================================================================


def _contributions(doc, tid) -> dict[str, float | None]:
    return {r["state"]: r["contribution"] for r in doc["rows"] if r["target_id"] == tid and r["state"] != REGION}


@pytest.mark.parametrize("data", ["bundled", "busy"])
def test_contributions_sum_to_the_region_gap(adm, tmp_path, data):
    if data == "busy":
        record_rows(adm, tmp_path, busy_rows())
    doc = gaps_json(adm)
    checked = 0
    for tid in TARGET_IDS:
        region = gap_row(doc, tid, REGION)
        contrib = _contributions(doc, tid)
        assert len(contrib) == 11
        if region["basis"] != "aggregated" or region["gap"] is None:
            assert all(c is None for c in contrib.values()), tid
            continue
        given = [c for c in contrib.values() if c is not None]
        assert given, tid
        assert math.fsum(given) == approx(region["gap"], rel=1e-9, abs=1e-9), tid
        # the states that did not contribute to the region's latest value have null
        assert len(given) == region["coverage"]["states"], tid
        checked += 1
    assert checked >= (3 if data == "bundled" else 5)


def test_sum_fair_shares_and_contributions_by_hand(adm):
    """digital-economy-value-added (sum, coverage by GDP), SPEC §5.5: each state's own goal is its fair
    share T × GDP_i(2024) / Σ GDP(2024) of all 11 members (2024: the region's latest year); the region
    is held against the covered goal Σ fair shares of the 5 reporters; contribution_i = fair share − x_i."""
    doc = gaps_json(adm)
    latest = {"VNM": 2024, "MYS": 2023, "SGP": 2023, "PHL": 2023, "THA": 2022}
    x = {s: ref(s, "digital-economy-share", y) / 100 * ref(s, "gdp", y) for s, y in latest.items()}
    gdp = {s: ref(s, "gdp", 2024) for s in STATES}
    fair = {s: 1000 * gdp[s] / sum(gdp.values()) for s in STATES}
    assert sum(fair.values()) == approx(1000)
    contrib = _contributions(doc, "digital-economy-value-added")
    for s in STATES:
        row = gap_row(doc, "digital-economy-value-added", s)
        assert row["target"] == approx(fair[s], rel=1e-12), s  # also for states without data
        if s in latest:
            assert contrib[s] == approx(fair[s] - x[s], rel=1e-9), s
            assert row["gap"] == approx(fair[s] - x[s], rel=1e-9), s
        else:
            assert contrib[s] is None, s  # IDN's 2020 share is too old; the others have none
    region = gap_row(doc, "digital-economy-value-added", REGION)
    covered = sum(fair[s] for s in latest)
    assert region["target"] == approx(covered, rel=1e-12) and region["goal"] == 1000
    assert region["gap"] == approx(covered - sum(x.values()), rel=1e-12)
    # Thailand is asked for its fair share, not for half of the bloc's gap
    assert contrib["THA"] == approx(fair["THA"] - x["THA"]) and contrib["THA"] < fair["THA"]
    # Timor-Leste's own goal is a few hundred million dollars, not US$1 trillion
    assert gap_row(doc, "digital-economy-value-added", "TLS")["target"] < 1


def test_weighted_mean_contributions_by_hand(adm):
    doc = gaps_json(adm)
    # digital-economy-share: w_i (T − x_i) / Σw, weights = GDP of the value's year
    latest = {"VNM": 2024, "MYS": 2023, "SGP": 2023, "PHL": 2023, "THA": 2022}
    w = {s: ref(s, "gdp", y) for s, y in latest.items()}
    contrib = _contributions(doc, "digital-economy-share")
    for s, y in latest.items():
        expected = w[s] * (30 - ref(s, "digital-economy-share", y)) / sum(w.values())
        assert contrib[s] == approx(expected, rel=1e-9), s
    # productivity: every state, weights = labour force of the latest year t, each state's own goal
    # 2.5 × its own baseline (the latest figure at or before 2025)
    t = max(ref_series("VNM", "labour-productivity"))
    lf = {s: ref(s, "labour-force", t) for s in STATES}
    contrib = _contributions(doc, "productivity")
    for s in STATES:
        own = productivity(s, t)
        expected = lf[s] * (2.5 * own - own) / sum(lf.values())
        assert contrib[s] == approx(expected, rel=1e-9), s
        assert gap_row(doc, "productivity", s)["target"] == approx(2.5 * own, rel=1e-12)
    # Singapore is as far from its own ×2.5 as anyone: it holds the region back too
    assert contrib["SGP"] > 0
    assert math.fsum(contrib.values()) == approx(gap_row(doc, "productivity", REGION)["gap"], rel=1e-9)


def test_mean_and_decrease_contributions(adm, busy):
    doc = gaps_json(adm)
    # public-services-ai-share: simple mean, (T − x_i) / n
    contrib = _contributions(doc, "public-services-ai-share")
    region = gap_row(doc, "public-services-ai-share", REGION)
    reporting = {
        r["state"]: r["latest"]["value"]
        for r in doc["rows"]
        if r["target_id"] == "public-services-ai-share" and r["state"] != REGION and r["latest"]
    }
    assert len(reporting) == 7 and region["coverage"] == {"states": 7, "of": 11, "weight_share": approx(7 / 11)}
    for s, v in reporting.items():
        assert contrib[s] == approx((100 - v) / 7), s
    assert region["latest"]["value"] == approx(sum(reporting.values()) / 7)
    # social-service-cost: a decrease target, signs flip: w_i (x_i − T) / Σw
    contrib = _contributions(doc, "social-service-cost")
    region = gap_row(doc, "social-service-cost", REGION)
    assert region["gap"] == approx(region["latest"]["value"] - region["target"])
    assert math.fsum(c for c in contrib.values() if c is not None) == approx(region["gap"])
    tha = gap_row(doc, "social-service-cost", "THA")  # cut to 55, below the region's target
    assert tha["latest"]["value"] < region["target"] and contrib["THA"] < 0
    assert contrib["IDN"] > 0  # a rising cost holds the region back


def test_reported_region_figure_nulls_the_contributions(adm):
    before = gaps_json(adm)
    record(adm, "ASEAN", "digital-economy-share", 2025, 20, "ASEAN Secretariat")
    doc = gaps_json(adm)
    region = gap_row(doc, "digital-economy-share", REGION)
    assert region["basis"] == "reported"
    assert region["latest"] == {"year": 2025, "value": 20, "source": "ASEAN Secretariat", "obs_status": None}
    assert region["gap"] == approx(10)
    assert all(c is None for c in _contributions(doc, "digital-economy-share").values())
    # the other targets keep theirs
    assert _contributions(doc, "productivity") == _contributions(before, "productivity")
    assert gap_row(doc, "digital-economy-value-added", REGION)["basis"] == "aggregated"


def test_contributions_do_not_depend_on_the_state_filter(adm):
    full = gaps_json(adm)
    doc = gaps_json(adm, "-s", "vn")
    assert {r["state"] for r in doc["rows"]} == {"VNM"}
    assert len(doc["rows"]) == 6
    for r in doc["rows"]:
        assert r == gap_row(full, r["target_id"], "VNM")


# ==== filters, --as-of, methods ====================================================================


def test_state_filter_and_the_region_rows(adm):
    doc = gaps_json(adm, "--state", "VNM", "--state", "ASEAN")
    assert sorted((r["target_id"], r["state"]) for r in doc["rows"]) == sorted(
        (t, s) for t in TARGET_IDS for s in ("VNM", REGION)
    )
    doc = gaps_json(adm, "--state", "asean")
    assert {r["state"] for r in doc["rows"]} == {REGION} and len(doc["rows"]) == 6
    doc = gaps_json(adm, "-s", "Laos", "-s", "TL", "-t", "productivity")
    assert sorted(r["state"] for r in doc["rows"]) == ["LAO", "TLS"]
    assert {r["target_id"] for r in doc["rows"]} == {"productivity"}


def test_gaps_as_of_ignores_later_observations(adm):
    before = adm.ok("gaps", "--format", "json", "--as-of", "2025").out
    record(adm, "VNM", "digital-economy-share", YEAR, 35)
    record(adm, "ASEAN", "digital-economy-share", YEAR, 29)
    record(adm, "THA", "gdp", YEAR, 600)
    record(adm, "THA", "labour-force", YEAR, 41_000_000)
    assert gap_row(gaps_json(adm), "digital-economy-share", "VNM")["status"] == "achieved"
    assert adm.ok("gaps", "--format", "json", "--as-of", "2025").out == before
    for r in strict_json(before)["rows"]:
        assert r["latest"] is None or r["latest"]["year"] <= 2025


def test_gaps_cagr_ratio(adm):
    record(adm, "VNM", "digital-economy-share", 2025, 14)
    record(adm, "VNM", "digital-economy-share", 2026, 16.5)
    doc = gaps_json(adm, "--method", "cagr-ratio")
    for r in doc["rows"]:
        assert "ratio" in r and r["anticipated"] is None
    r = gap_row(doc, "digital-economy-share", "VNM")
    observed, required = 16.5 / 14 - 1, (30 / 14) ** (1 / 5) - 1
    assert r["ratio"] == approx(observed / required)
    assert r["years_left"] == 4
    assert r["shortfall"] == approx(max(0.0, 30 - 16.5 * (1 + observed) ** 4))


def test_gaps_no_reference(adm):
    doc = gaps_json(adm, no_reference=True)
    assert len(doc["rows"]) == 72
    assert {r["status"] for r in doc["rows"]} == {"insufficient_data"}
    assert all(r["contribution"] is None and r["latest"] is None for r in doc["rows"])


def test_gaps_fail_on(adm):
    full = adm.ok("gaps", "--format", "json").out
    r = adm("gaps", "--format", "json", "--fail-on", "regressing")
    assert r.code == 3 and r.out == full and "regressing" in r.err
    r = adm("gaps", "--format", "json", "--fail-on", "regressing", "-t", "public-services-ai-share")
    assert r.code == 0 and r.err == ""  # no bundled figures: insufficient data never triggers
    # MYS digital economy: acceleration needed, not worse
    assert gap_row(strict_json(full), "digital-economy-share", "MYS")["status"] == "acceleration_needed"
    assert adm("gaps", "-t", "digital-economy-share", "-s", "MYS", "--fail-on", "limited_progress").code == 0
    assert adm("gaps", "-t", "digital-economy-share", "-s", "MYS", "--fail-on", "acceleration_needed").code == 3


# ==== formats (SPEC §4) ============================================================================


@pytest.mark.parametrize("fmt,delimiter", [("csv", ","), ("tsv", "\t")])
def test_gaps_csv_tsv(adm, busy, fmt, delimiter):
    doc = gaps_json(adm)
    out = adm.ok("gaps", "--format", fmt).out
    assert ANSI not in out
    header, rows = delimited_dicts(out, delimiter)
    for col in (
        "target_id",
        "state",
        "baseline_year",
        "baseline_value",
        "latest_year",
        "latest_value",
        "latest_source",
        "target",
        "gap",
        "years_left",
        "required_rate",
        "observed_rate",
        "projected",
        "shortfall",
        "status",
        "contribution",
    ):
        assert col in header, col
    assert len(rows) == len(doc["rows"]) == 72
    # same rows, same order (worst first), numbers unaltered
    for r, d in zip(rows, doc["rows"]):
        assert (r["target_id"], r["state"], r["status"]) == (d["target_id"], d["state"], d["status"])
        for col in (
            "target",
            "gap",
            "years_left",
            "required_rate",
            "observed_rate",
            "projected",
            "shortfall",
            "contribution",
            "progress",
            "attainment",
            "anticipated",
        ):
            if d[col] is None:
                assert r[col] == "", (col, r[col])
            else:
                assert not r[col].startswith("'") and float(r[col]) == d[col], (d["target_id"], d["state"], col)
        if d["latest"] is not None:
            assert float(r["latest_value"]) == d["latest"]["value"] and int(r["latest_year"]) == d["latest"]["year"]
    assert any(r["contribution"].startswith("-") for r in rows)  # negative contributions stay numbers


def test_gaps_markdown(adm, busy):
    out = adm.ok("gaps", "--format", "markdown").out
    table, _, notes = out.partition("\n\n")  # the table, then footnotes (a proxy's text, SPEC §8)
    assert "† skilled-workforce-share is measured by the proxy high-skill-employment-share" in notes
    lines = table.rstrip("\n").split("\n")
    assert all(ln.startswith("|") and ln.endswith("|") for ln in lines)
    sep = [c.strip() for c in lines[1].strip("|").split("|")]
    assert all(c and set(c) <= set("-:") and "---" in c for c in sep), lines[1]
    n = lines[0].count("|")
    assert all(ln.replace("\\|", "").count("|") == n for ln in lines)
    assert len(lines) - 2 >= 1
    assert ANSI not in out


def test_gaps_table(adm, monkeypatch, busy):
    terminal_env(monkeypatch, columns=140)  # wide enough for targets named in full
    out = adm.ok("gaps").out
    assert ANSI not in out
    assert "ASEAN" in out and "LAO" in out
    # worst first in the table too: a regressing productivity row before Singapore's (limited progress)
    lines = out.splitlines()
    first = lambda needle: next(i for i, ln in enumerate(lines) if needle(ln))  # noqa: E731
    assert first(lambda ln: "productivity" in ln and " LAO " in ln) < first(
        lambda ln: "productivity" in ln and " SGP " in ln
    )
    # the covered goal of the value-added target beside the plan's, and the states' fair shares (SPEC §5.5)
    dva = [ln for ln in lines if ln.startswith("digital-economy-value-added")]
    assert any(" ASEAN " in ln and " of $1.00tn" in ln for ln in dva)
    assert any(" TLS " in ln for ln in dva) and not any(" TLS " in ln and "$1.00tn" in ln for ln in dva)
    # insufficient_data says why; 2-point trends are marked
    assert "no data" in out and "*" in out


# ==== property: contributions and order on random member data (SPEC §4, §5.5) =====================

RANDOM_TARGETS = {
    "skilled-workforce-share": (0.0, 100.0),
    "public-services-ai-share": (0.0, 100.0),
    "social-service-cost": (1.0, 250.0),
}


@st.composite
def _member_data(draw):
    indicator = draw(st.sampled_from(sorted(RANDOM_TARGETS)))
    lo, hi = RANDOM_TARGETS[indicator]
    values = st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    states = draw(st.lists(st.sampled_from(STATES), min_size=1, max_size=11, unique=True))
    rows = []
    for s in states:
        for y, v in draw(st.dictionaries(st.integers(2019, YEAR), values, min_size=1, max_size=4)).items():
            rows.append({"state": s, "indicator": indicator, "year": y, "value": v})
    return indicator, rows


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(case=_member_data())
def test_contributions_and_order_on_random_data(adm, tmp_path, case):
    indicator, rows = case
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    record_rows(adm, tmp_path, rows, data_dir=folder)
    r = adm("gaps", "--format", "json", data_dir=folder)
    assert r.code == 0, r.err
    doc = strict_json(r.out)
    _check_order(doc["rows"])
    region = gap_row(doc, indicator, REGION)
    contrib = [c for c in _contributions(doc, indicator).values() if c is not None]
    if region["basis"] == "aggregated" and region["gap"] is not None:
        assert len(contrib) == region["coverage"]["states"]
        scale = max([abs(region["gap"]), 1.0] + [abs(c) for c in contrib])
        assert math.fsum(contrib) == approx(region["gap"], abs=1e-9 * scale)
    else:
        assert contrib == []
    for row in doc["rows"]:
        if row["latest"] is not None:
            assert row["years_left"] == TARGET_YEAR - row["latest"]["year"]
        if row["shortfall"] is not None:
            assert row["shortfall"] >= 0
