"""`admtrack status` end to end, through the real CLI (SPEC §3–§6).

The assessment core has its own unit tests (test_assess.py, test_region.py); these tests check what a user
and a pipeline see: the JSON document, the numbers computed by hand from the bundled World Bank WDI and
national figures, filters, --as-of, --method, --fail-on, the CSV/TSV/Markdown formats and the terminal
behaviour of the tables.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from conftest import STATES, YEAR, assert_clean_error
from fixtures_report import (
    ANSI,
    ASSESSED_ON_BUNDLED,
    ASSESSMENT_EXTRA_KEYS,
    ASSESSMENT_KEYS,
    BEST_FIRST,
    NOT_ASSESSED_ON_BUNDLED,
    NUMBER_FIELDS,
    REASONS,
    REGION,
    STATUSES,
    TARGET_IDS,
    TARGET_YEAR,
    all_assessments,
    baseline_of,
    busy_rows,
    by_cutoffs,
    cagr,
    cell_width,
    colour_codes,
    delimited_dicts,
    is_number,
    productivity,
    record,
    record_rows,
    ref,
    ref_series,
    state_doc,
    status_json,
    strict_json,
    target_doc,
    terminal_env,
    trend_projection,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

approx = pytest.approx



# ==== the document on the bundled data alone (SPEC §4) ============================================

TOP_KEYS = {"schema", "plan", "as_of", "targets"}
TOP_EXTRA_KEYS = {"method", "as_recorded"}  # the method used (SPEC §5), the vintage (§8)
TARGET_KEYS = {"id", "title", "indicator", "unit", "kind", "direction", "value", "region", "states"}
TARGET_EXTRA_KEYS = {"change", "aggregate", "weight", "proxy", "baseline_year", "target_year"}  # SPEC §4: `change`; §8


@pytest.fixture
def bundled(adm) -> dict:
    """`status --format json` on a fresh data folder: the bundled plan and reference figures only."""
    assert not adm.data_dir.exists() or not any(adm.data_dir.iterdir())
    return status_json(adm)


def test_status_json_document_shape(bundled, adm):
    doc = bundled
    assert TOP_KEYS <= set(doc) <= TOP_KEYS | TOP_EXTRA_KEYS, set(doc) - TOP_KEYS - TOP_EXTRA_KEYS
    assert doc["plan"] == {
        "id": "ADM2030",
        "name": "ASEAN Digital Masterplan 2030",
        "baseline_year": 2025,
        "target_year": 2030,
    }
    assert doc["as_of"] == YEAR  # no --as-of: every observation up to now
    assert [t["id"] for t in doc["targets"]] == TARGET_IDS
    for t in doc["targets"]:
        assert TARGET_KEYS <= set(t) <= TARGET_KEYS | TARGET_EXTRA_KEYS, (t["id"], set(t) - TARGET_KEYS)
        assert t["region"]["state"] == REGION
        assert [a["state"] for a in t["states"]] == STATES or sorted(a["state"] for a in t["states"]) == sorted(STATES)
        assert len(t["states"]) == 11
    # a reading command never creates the store
    assert not (adm.data_dir / "observations.toml").exists()


def test_target_heads(bundled):
    heads = {t["id"]: t for t in bundled["targets"]}
    expected = {
        "digital-economy-share": ("digital-economy-share", "percent", "level", "increase", 30),
        "digital-economy-value-added": ("digital-economy-value-added", "usd-bn", "level", "increase", 1000),
        "skilled-workforce-share": ("high-skill-employment-share", "percent", "level", "increase", 80),
        "productivity": ("labour-productivity", "usd", "relative", "increase", None),
        "public-services-ai-share": ("public-services-ai-share", "percent", "level", "increase", 100),
        "social-service-cost": ("social-service-cost", "index", "relative", "decrease", None),
    }
    for tid, (indicator, unit, kind, direction, value) in expected.items():
        t = heads[tid]
        assert (t["indicator"], t["unit"], t["kind"], t["direction"]) == (indicator, unit, kind, direction), tid
        assert t["value"] == value, tid  # SPEC §4: null for relative targets
        assert isinstance(t["title"], str) and t["title"]
        if value is not None:
            assert is_number(t["value"])
    # relative targets carry `change` instead of a value
    assert heads["productivity"]["change"] == approx(1.5)
    assert heads["social-service-cost"]["change"] == approx(-0.40)


def test_every_assessment_has_exactly_the_spec_keys(bundled):
    for tid, a in all_assessments(bundled):
        keys = set(a)
        assert keys >= ASSESSMENT_KEYS, (tid, a["state"], ASSESSMENT_KEYS - keys)
        extra = {"goal"} if a["state"] == REGION and tid == "digital-economy-value-added" else set()
        assert keys <= ASSESSMENT_KEYS | ASSESSMENT_EXTRA_KEYS | extra, (tid, a["state"], keys - ASSESSMENT_KEYS)
        assert extra <= keys
        assert a["status"] in STATUSES
        assert a["baseline"] is None or set(a["baseline"]) == {"year", "value"}
        assert a["latest"] is None or set(a["latest"]) == {"year", "value", "source", "obs_status"}
        # SPEC §5.7: a reason exactly when insufficient_data; a trend {from, to, points} or null
        assert (a["reason"] in REASONS) == (a["status"] == "insufficient_data"), (tid, a["state"])
        assert a["reason"] is None or a["reason"] in REASONS
        tr = a["trend"]
        assert tr is None or (set(tr) == {"from", "to", "points"} and tr["from"] < tr["to"] and tr["points"] >= 2)
        if a["state"] == REGION:
            cov = a["coverage"]
            if cov is not None:
                assert set(cov) == {"states", "of", "weight_share"}
                assert cov["of"] == 11 and isinstance(cov["states"], int) and 0 <= cov["states"] <= 11
                assert is_number(cov["weight_share"]) and 0 <= cov["weight_share"] <= 1
        else:
            assert a["coverage"] is None  # region only (SPEC §4)
            assert a["state"] in STATES


def test_numbers_are_json_numbers_not_strings(bundled, adm):
    for tid, a in all_assessments(bundled):
        for k in NUMBER_FIELDS:
            if k in a:
                assert a[k] is None or is_number(a[k]), (tid, a["state"], k, a[k])
        for point in ("baseline", "latest"):
            if a[point] is not None:
                assert type(a[point]["year"]) is int, (tid, a["state"], point)
                assert is_number(a[point]["value"]), (tid, a["state"], point)
                assert point == "baseline" or isinstance(a[point]["source"], (str, type(None)))
    assert type(bundled["as_of"]) is int
    # the raw text has no NaN/Infinity (strict_json refuses them) and no quoted numbers
    r = adm.ok("status", "--format", "json")
    strict_json(r.out)
    assert '"NaN"' not in r.out and '"Infinity"' not in r.out


def test_states_without_data_are_insufficient_with_nulls_not_zeros(bundled):
    empty = [(tid, a) for tid, a in all_assessments(bundled) if a["latest"] is None]
    assert len(empty) >= 30  # most targets have no data on the bundled figures alone
    heads = {t["id"]: t for t in bundled["targets"]}
    for tid, a in empty:
        assert a["status"] == "insufficient_data", (tid, a["state"])
        assert a["reason"] in ({"no_data", "low_coverage"} if a["state"] == REGION else {"no_data"})
        assert a["baseline"] is None
        for k in NUMBER_FIELDS:
            if k in a and k != "target":
                assert a[k] is None, (tid, a["state"], k, a[k])
        # a level target names its value even without data (a relative one cannot: no baseline)
        if heads[tid]["kind"] == "relative":
            assert a["target"] is None
        elif tid != "digital-economy-value-added":  # a sum: each state's fair share (test_gaps_cli)
            assert a["target"] == heads[tid]["value"], (tid, a["state"])
    # every member state is listed for every target, with or without data (SPEC §4)
    for tid in NOT_ASSESSED_ON_BUNDLED:
        t = target_doc(bundled, tid)
        assert len(t["states"]) == 11
        assert all(a["latest"] is None and a["status"] == "insufficient_data" for a in t["states"])
    # Brunei has published no digital-economy share
    assert state_doc(bundled, "digital-economy-share", "BRN")["latest"] is None


def test_region_statuses_on_the_bundled_data(bundled):
    for tid in ASSESSED_ON_BUNDLED:
        region = target_doc(bundled, tid)["region"]
        assert region["status"] != "insufficient_data", (tid, region)
        assert region["latest"] is not None and region["baseline"] is not None
        assert region["basis"] == "aggregated"
    for tid in NOT_ASSESSED_ON_BUNDLED:
        region = target_doc(bundled, tid)["region"]
        assert region["status"] == "insufficient_data", (tid, region)
        assert region["latest"] is None
    # productivity and the skilled-workforce proxy are known for every state that has a bundled series
    for tid, ind in (
        ("productivity", "labour-productivity"),
        ("skilled-workforce-share", "high-skill-employment-share"),
    ):
        for a in target_doc(bundled, tid)["states"]:
            if len(ref_series(a["state"], ind)) >= 2:
                assert a["status"] != "insufficient_data", (tid, a["state"])


# ==== numbers computed by hand from the bundled reference CSV (SPEC §5) ===========================


def _productivity_case(state: str) -> dict:
    """SPEC §5.1–5.3 by hand on the bundled WDI series of one state (real GDP per person employed)."""
    series = ref_series(state, "labour-productivity")
    t = max(series)
    b = baseline_of(series)
    rate, projected, f = trend_projection(series)
    xt, xb = series[t], series[b]
    T = 2.5 * xb  # relative target: x_B × (1 + 1.5)
    return {
        "t": t,
        "b": b,
        "f": f,
        "xt": xt,
        "xb": xb,
        "T": T,
        "rate": rate,
        "projected": projected,
        "anticipated": (projected - xb) / (T - xb),
    }


@pytest.mark.parametrize("state", ["VNM", "LAO", "SGP", "TLS"])
def test_productivity_of_one_state_by_hand(bundled, state):
    a = state_doc(bundled, "productivity", state)
    c = _productivity_case(state)
    assert a["baseline"] == {"year": c["b"], "value": approx(c["xb"], rel=1e-12)}
    assert a["latest"]["year"] == c["t"] and a["latest"]["value"] == approx(c["xt"], rel=1e-12)
    assert "WDI" in a["latest"]["source"] and "SL.GDP.PCAP.EM.KD" in a["latest"]["source"]
    assert a["target"] == approx(c["T"], rel=1e-12)
    if c["t"] == c["b"]:
        assert a["progress"] == approx(0, abs=1e-12)  # latest = baseline
        assert a["attainment"] == approx(0.4, rel=1e-12)
    assert a["gap"] == approx(c["T"] - c["xt"], rel=1e-12)
    assert a["required_rate"] == approx((c["T"] / c["xt"]) ** (1 / (TARGET_YEAR - c["t"])) - 1, rel=1e-12)
    assert a["observed_rate"] == approx(c["rate"], rel=1e-9)
    assert a["projected"] == approx(c["projected"], rel=1e-9)
    assert a["anticipated"] == approx(c["anticipated"], rel=1e-9, abs=1e-12)
    assert a["status"] == by_cutoffs(c["anticipated"])
    assert a["shortfall"] == approx(max(0.0, c["T"] - c["projected"]), rel=1e-9)
    assert a["years_left"] == TARGET_YEAR - c["t"]


def test_productivity_statuses_follow_the_cutoffs_for_every_state(bundled):
    for code in STATES:
        c = _productivity_case(code)
        assert state_doc(bundled, "productivity", code)["status"] == by_cutoffs(c["anticipated"]), code


def test_productivity_region_by_hand(bundled):
    """weighted_mean by labour force of real GDP per person employed; pace bottom-up (SPEC §5.5)."""
    r = target_doc(bundled, "productivity")["region"]
    cases = {s: _productivity_case(s) for s in STATES}
    t = max(c["t"] for c in cases.values())
    assert all(c["t"] == t for c in cases.values())  # WDI publishes every state to the same year
    lf = {s: ref(s, "labour-force", t) for s in STATES}
    W = sum(lf.values())
    x = sum(lf[s] * cases[s]["xt"] for s in STATES) / W
    xb = sum(lf[s] * cases[s]["xb"] for s in STATES) / W
    projected = sum(lf[s] * cases[s]["projected"] for s in STATES) / W
    T = 2.5 * xb
    anticipated = (projected - xb) / (T - xb)

    assert r["baseline"]["value"] == approx(xb, rel=1e-12)
    assert r["latest"]["year"] == t and r["latest"]["value"] == approx(x, rel=1e-12)
    assert r["target"] == approx(T, rel=1e-12)
    assert r["gap"] == approx(T - x, rel=1e-12)
    assert r["coverage"] == {"states": 11, "of": 11, "weight_share": approx(1.0)}
    assert r["carried_forward"] == []
    assert r["projected"] == approx(projected, rel=1e-9)
    assert r["observed_rate"] == approx(cagr(x, projected, TARGET_YEAR - t), rel=1e-9)
    assert r["anticipated"] == approx(anticipated, rel=1e-9)
    assert r["status"] == by_cutoffs(anticipated)
    assert r["basis"] == "aggregated"


def _des_contributors(latest_year: int) -> dict[str, tuple[int, float]]:
    """Each state's latest digital-economy share in [y − 2, y] (SPEC §5.5 most recent value)."""
    out = {}
    for s in STATES:
        years = [y for y in ref_series(s, "digital-economy-share") if latest_year - 2 <= y <= latest_year]
        if years:
            out[s] = (max(years), ref(s, "digital-economy-share", max(years)))
    return out


def _dva_series(state: str) -> dict[int, float]:
    share, gdp = ref_series(state, "digital-economy-share"), ref_series(state, "gdp")
    return {y: share[y] / 100 * gdp[y] for y in share if y in gdp}


def test_digital_economy_value_added_region_by_hand(bundled):
    """sum of share/100 × GDP, each state carried forward up to 2 years; coverage by GDP (SPEC §5.5)."""
    r = target_doc(bundled, "digital-economy-value-added")["region"]
    y = 2024  # the latest year with a published share (Viet Nam); no member has a 2025 figure
    parts = _des_contributors(y)
    assert set(parts) == {"VNM", "MYS", "SGP", "PHL", "THA"}  # IDN's 2020 figure is too old for 2024
    x = sum(v / 100 * ref(s, "gdp", yr) for s, (yr, v) in parts.items())
    share = sum(ref(s, "gdp", y) for s in parts) / sum(ref(s, "gdp", y) for s in STATES)
    projected = sum(trend_projection(_dva_series(s))[1] for s in parts)

    covered = 1000 * share  # SPEC §5.5: the covered goal T_c = T × weight_share(t)
    anticipated = (projected - x) / (covered - x)

    assert r["latest"]["year"] == y and r["latest"]["value"] == approx(x, rel=1e-12)
    # matched baseline: each state's own §5.1 baseline (no 2025 figures: its latest before B) = x here
    assert r["baseline"] == {"year": y, "value": approx(x, rel=1e-12)}
    assert r["target"] == approx(covered, rel=1e-12) and r["goal"] == 1000
    assert r["gap"] == approx(covered - x, rel=1e-12)
    assert r["attainment"] == approx(x / covered, rel=1e-12)
    assert r["coverage"] == {"states": 5, "of": 11, "weight_share": approx(share, rel=1e-12)}
    assert sorted(r["carried_forward"]) == ["MYS", "PHL", "SGP", "THA"]
    assert r["basis"] == "aggregated"
    assert r["projected"] == approx(projected, rel=1e-9)
    assert r["observed_rate"] == approx(cagr(x, projected, TARGET_YEAR - y), rel=1e-9)
    assert r["required_rate"] == approx(cagr(x, covered, TARGET_YEAR - y), rel=1e-9)
    assert r["anticipated"] == approx(anticipated, rel=1e-9)
    assert r["status"] == by_cutoffs(anticipated)
    assert r["years_left"] == 6


def test_digital_economy_share_region_weighted_by_gdp_by_hand(bundled):
    r = target_doc(bundled, "digital-economy-share")["region"]
    y = 2024
    parts = _des_contributors(y)
    w = {s: ref(s, "gdp", yr) for s, (yr, _) in parts.items()}  # weight of the same state and year as the value
    x = sum(w[s] * v for s, (_, v) in parts.items()) / sum(w.values())
    projected = sum(w[s] * trend_projection(ref_series(s, "digital-economy-share"))[1] for s in parts) / sum(w.values())
    anticipated = (projected - x) / (30 - x)
    assert r["latest"]["year"] == y and r["latest"]["value"] == approx(x, rel=1e-12)
    assert r["coverage"]["states"] == 5
    assert r["coverage"]["weight_share"] == approx(
        sum(ref(s, "gdp", y) for s in parts) / sum(ref(s, "gdp", y) for s in STATES), rel=1e-12
    )
    assert r["projected"] == approx(projected, rel=1e-9)
    assert r["anticipated"] == approx(anticipated, rel=1e-9)
    assert r["status"] == by_cutoffs(anticipated)


def test_viet_nam_digital_economy_share_by_hand(bundled):
    a = state_doc(bundled, "digital-economy-share", "VNM")
    s = ref_series("VNM", "digital-economy-share")  # 2020–2024
    rate = cagr(s[2020], s[2024], 4)  # window [2019, 2024]
    projected = s[2024] * (1 + rate) ** 6
    anticipated = (projected - s[2024]) / (30 - s[2024])
    assert a["baseline"] == {"year": 2024, "value": approx(s[2024])}  # the year used is shown (SPEC §5.1)
    assert a["latest"]["year"] == 2024
    assert a["gap"] == approx(30 - s[2024])
    assert a["required_rate"] == approx(cagr(s[2024], 30, 6))
    assert a["observed_rate"] == approx(rate, rel=1e-9)
    assert a["projected"] == approx(projected, rel=1e-9)
    assert a["anticipated"] == approx(anticipated, rel=1e-9)
    assert a["status"] == by_cutoffs(anticipated)
    # Indonesia: one figure (2020), so no trend
    idn = state_doc(bundled, "digital-economy-share", "IDN")
    assert idn["status"] == "insufficient_data"
    assert idn["latest"]["year"] == 2020 and idn["observed_rate"] is None and idn["projected"] is None


def test_region_with_carry_forward_and_a_state_without_trend_by_hand(adm):
    """--as-of 2022: Indonesia's 2020 figure is carried forward (2 years) and, having no trend, is held at
    its latest value in the bottom-up projection; so are the states with a single figure up to 2022."""
    r = state_doc(status_json(adm, "--as-of", "2022"), "digital-economy-share", REGION)
    y = 2022
    parts = {
        s: max(yr for yr in ref_series(s, "digital-economy-share") if y - 2 <= yr <= y)
        for s in STATES
        if any(y - 2 <= yr <= y for yr in ref_series(s, "digital-economy-share"))
    }
    assert parts == {"VNM": 2022, "MYS": 2022, "SGP": 2022, "PHL": 2022, "THA": 2022, "IDN": 2020}
    w = {s: ref(s, "gdp", yr) for s, yr in parts.items()}
    value = {s: ref(s, "digital-economy-share", yr) for s, yr in parts.items()}
    x = sum(w[s] * value[s] for s in parts) / sum(w.values())

    def projected_of(s):
        series = {yr: v for yr, v in ref_series(s, "digital-economy-share").items() if yr <= y}
        window = [yr for yr in series if max(series) - 5 <= yr]
        return trend_projection(series)[1] if len(window) >= 2 else series[max(series)]

    projected = sum(w[s] * projected_of(s) for s in parts) / sum(w.values())
    anticipated = (projected - x) / (30 - x)
    assert r["latest"]["year"] == y and r["latest"]["value"] == approx(x, rel=1e-12)
    assert r["carried_forward"] == ["IDN"]
    assert r["coverage"] == {
        "states": 6,
        "of": 11,
        "weight_share": approx(sum(ref(s, "gdp", y) for s in parts) / sum(ref(s, "gdp", y) for s in STATES), rel=1e-12),
    }
    assert r["projected"] == approx(projected, rel=1e-9)
    assert r["observed_rate"] == approx(cagr(x, projected, TARGET_YEAR - y), rel=1e-9)
    assert r["status"] == by_cutoffs(anticipated)


@pytest.fixture
def official_skills(adm):
    """A user's targets.toml that points the skilled-workforce target at an official series recorded as
    `skilled-workforce-share` (SPEC §2.1), which has no bundled figures: the region mechanics on clean data."""
    from admtrack.plan import bundled_text

    text = bundled_text()
    old = 'indicator = "high-skill-employment-share"\nkind = "level"'
    assert text.count(old) == 1
    adm.data_dir.mkdir(parents=True, exist_ok=True)
    (adm.data_dir / "targets.toml").write_text(
        text.replace(old, 'indicator = "skilled-workforce-share"\nkind = "level"'), encoding="utf-8"
    )


def test_region_weight_carried_from_an_earlier_year_by_hand(adm, tmp_path, official_skills):
    """skilled-workforce-share for 2026 (weighted by labour force, which WDI gives only to 2025): the
    weight's latest value in [2024, 2026] is used, for the mean and for coverage."""
    values = {"IDN": (40.0, 44.0), "VNM": (30.0, 33.0), "PHL": (50.0, 51.0), "THA": (60.0, 58.0), "MYS": (65.0, 70.0)}
    record_rows(
        adm,
        tmp_path,
        [
            {"state": s, "indicator": "skilled-workforce-share", "year": yr, "value": v}
            for s, pair in values.items()
            for yr, v in zip((2025, 2026), pair)
        ],
    )
    r = state_doc(status_json(adm), "skilled-workforce-share", REGION)
    lf = {s: ref(s, "labour-force", 2025) for s in STATES}
    x26 = sum(lf[s] * values[s][1] for s in values) / sum(lf[s] for s in values)
    x25 = sum(lf[s] * values[s][0] for s in values) / sum(lf[s] for s in values)
    proj = {s: values[s][1] * (values[s][1] / values[s][0]) ** 4 for s in values}
    projected = sum(lf[s] * proj[s] for s in values) / sum(lf[s] for s in values)
    assert r["latest"]["year"] == 2026 and r["latest"]["value"] == approx(x26, rel=1e-12)
    assert r["baseline"]["year"] == 2025 and r["baseline"]["value"] == approx(x25, rel=1e-12)
    assert r["progress"] == approx((x26 - x25) / (80 - x25), rel=1e-9)
    assert r["coverage"] == {
        "states": 5,
        "of": 11,
        "weight_share": approx(sum(lf[s] for s in values) / sum(lf.values()), rel=1e-12),
    }
    assert r["projected"] == approx(projected, rel=1e-9)
    assert r["anticipated"] == approx((projected - x25) / (80 - x25), rel=1e-9)
    assert r["years_left"] == 4


def test_region_is_insufficient_when_no_contributing_state_has_a_trend(adm, tmp_path, official_skills):
    record_rows(
        adm,
        tmp_path,
        [
            {"state": s, "indicator": "skilled-workforce-share", "year": 2025, "value": 50.0}
            for s in ("IDN", "VNM", "PHL", "THA", "MYS")
        ],
    )
    r = state_doc(status_json(adm), "skilled-workforce-share", REGION)
    assert r["latest"]["year"] == 2025 and r["latest"]["value"] == approx(50)
    assert r["coverage"]["states"] == 5
    assert r["status"] == "insufficient_data"
    assert r["projected"] is None and r["anticipated"] is None


def test_region_needs_the_minimum_coverage(adm):
    """A 2026 figure for Viet Nam alone covers too little GDP: the region's latest value stays 2024."""
    record(adm, "VNM", "digital-economy-share", 2026, 14.0)
    doc = status_json(adm)
    assert state_doc(doc, "digital-economy-share", "VNM")["latest"]["year"] == 2026
    r = state_doc(doc, "digital-economy-share", REGION)
    assert r["latest"]["year"] == 2024
    assert ref("VNM", "gdp", 2025) / sum(ref(s, "gdp", 2025) for s in STATES) < 0.5


# ==== recorded data changes the results (SPEC §2.2, §5) ===========================================


def test_a_series_that_reaches_the_target_is_achieved(adm):
    record(adm, "VNM", "digital-economy-share", 2025, 20)
    record(adm, "VNM", "digital-economy-share", 2026, 31, "GSO 2027")
    a = state_doc(status_json(adm), "digital-economy-share", "VNM")
    assert a["status"] == "achieved"
    assert a["baseline"] == {"year": 2025, "value": 20}
    assert a["latest"] == {"year": 2026, "value": 31, "source": "GSO 2027", "obs_status": None}
    assert a["progress"] == approx(11 / 10)
    assert a["attainment"] == approx(31 / 30)
    assert a["gap"] == approx(-1)
    assert a["shortfall"] == approx(0)
    assert a["years_left"] == 4


def test_a_declining_series_is_regressing(adm):
    for y, v in {2022: 30, 2023: 25, 2024: 20, 2025: 15}.items():
        record(adm, "IDN", "public-services-ai-share", y, v)
    a = state_doc(status_json(adm), "public-services-ai-share", "IDN")
    rate = cagr(30, 15, 3)
    projected = 15 * (1 + rate) ** 5
    assert a["observed_rate"] == approx(rate)
    assert a["projected"] == approx(projected)
    assert a["anticipated"] == approx((projected - 15) / (100 - 15))
    assert a["anticipated"] < 0
    assert a["status"] == "regressing"
    assert a["shortfall"] == approx(100 - projected)


def test_a_decrease_target_by_hand(adm):
    """social-service-cost: −40 % against the 2025 index; a rising cost regresses (SPEC §5.2, 'decrease')."""
    for y, v in {2024: 95, 2025: 100, 2026: 104}.items():
        record(adm, "VNM", "social-service-cost", y, v)
    a = state_doc(status_json(adm), "social-service-cost", "VNM")
    T = 60.0
    rate = cagr(95, 104, 2)
    projected = 104 * (1 + rate) ** 4
    anticipated = (projected - 100) / (T - 100)
    assert a["target"] == approx(T)
    assert a["progress"] == approx((104 - 100) / (T - 100))
    assert a["attainment"] == approx(T / 104)
    assert a["gap"] == approx(104 - T)
    assert a["required_rate"] == approx(cagr(104, T, 4))
    assert a["projected"] == approx(projected)
    assert a["anticipated"] == approx(anticipated)
    assert a["shortfall"] == approx(projected - T)
    assert a["status"] == "regressing"


def test_baseline_differs_from_latest_by_hand(adm):
    for y, v in {2024: 40, 2025: 50, 2026: 60}.items():
        record(adm, "VNM", "public-services-ai-share", y, v)
    a = state_doc(status_json(adm), "public-services-ai-share", "VNM")
    rate = cagr(40, 60, 2)
    projected = 60 * (1 + rate) ** 4
    assert a["baseline"] == {"year": 2025, "value": 50}
    assert a["progress"] == approx(0.2)
    assert a["attainment"] == approx(0.6)
    assert a["gap"] == approx(40)
    assert a["required_rate"] == approx(cagr(60, 100, 4))
    assert a["observed_rate"] == approx(rate)
    assert a["projected"] == approx(projected)
    assert a["anticipated"] == approx((projected - 50) / 50)
    assert a["status"] == "on_track"
    assert a["shortfall"] == 0


def test_target_equal_to_the_baseline(adm):
    """T = x_B: progress and anticipated are null; the status compares the projection with T (SPEC §5.4)."""
    record(adm, "VNM", "digital-economy-share", 2025, 30)
    record(adm, "VNM", "digital-economy-share", 2026, 28)
    a = state_doc(status_json(adm), "digital-economy-share", "VNM")
    s = ref_series("VNM", "digital-economy-share")
    projected = 28 * (28 / s[2021]) ** (4 / 5)  # window [2021, 2026]
    assert a["progress"] is None and a["anticipated"] is None
    assert a["projected"] == approx(projected)
    assert a["status"] == "on_track"  # the projection reaches T


def test_linear_pace_where_a_value_is_zero(adm):
    record(adm, "IDN", "public-services-ai-share", 2024, 0)
    record(adm, "IDN", "public-services-ai-share", 2025, 10)
    a = state_doc(status_json(adm), "public-services-ai-share", "IDN")
    assert a["observed_rate"] == approx(10)  # points per year
    assert a["projected"] == approx(60)
    assert a["anticipated"] == approx(50 / 90)
    assert a["required_rate"] == approx(cagr(10, 100, 5))
    assert a["status"] == "limited_progress"


def test_a_recorded_value_wins_over_a_derived_one(adm):
    record(adm, "VNM", "digital-economy-value-added", 2024, 70, "MIC estimate")
    doc = status_json(adm)
    a = state_doc(doc, "digital-economy-value-added", "VNM")
    assert a["latest"] == {"year": 2024, "value": 70, "source": "MIC estimate", "obs_status": None}
    x = 70 + sum(
        ref(s, "digital-economy-share", y) / 100 * ref(s, "gdp", y)
        for s, y in {"MYS": 2023, "SGP": 2023, "PHL": 2023, "THA": 2022}.items()
    )
    assert state_doc(doc, "digital-economy-value-added", REGION)["latest"]["value"] == approx(x, rel=1e-12)


def test_a_retracted_reference_figure_is_not_used(adm):
    t = max(ref_series("THA", "labour-productivity"))
    adm.ok("retract", "THA", "labour-productivity", str(t), "--reason", "distrusted")
    doc = status_json(adm)
    a = state_doc(doc, "productivity", "THA")
    assert a["latest"]["year"] == t - 1
    assert a["latest"]["value"] == approx(productivity("THA", t - 1), rel=1e-12)
    r = state_doc(doc, "productivity", REGION)
    assert r["latest"]["year"] == t and r["carried_forward"] == ["THA"]


def test_as_of_ignores_later_observations(adm):
    before = adm.ok("status", "--format", "json", "--as-of", "2025").out
    before_csv = adm.ok("status", "--format", "csv", "--as-of", "2025").out
    record(adm, "VNM", "digital-economy-share", YEAR, 35)
    record(adm, "VNM", "gdp", YEAR, 600)
    record(adm, "VNM", "labour-force", YEAR, 58_000_000)
    record(adm, "VNM", "labour-productivity", YEAR, 30_000)
    # without --as-of the new figures count ...
    now = status_json(adm)
    assert state_doc(now, "digital-economy-share", "VNM")["latest"]["year"] == YEAR
    assert state_doc(now, "digital-economy-share", "VNM")["status"] == "achieved"
    assert state_doc(now, "productivity", "VNM")["latest"]["year"] == YEAR
    # ... with --as-of 2025 they do not, anywhere
    assert adm.ok("status", "--format", "json", "--as-of", "2025").out == before
    assert adm.ok("status", "--format", "csv", "--as-of", "2025").out == before_csv
    doc = strict_json(before)
    assert doc["as_of"] == 2025
    for tid, a in all_assessments(doc):
        for point in ("baseline", "latest"):
            assert a[point] is None or a[point]["year"] <= 2025, (tid, a["state"], point)


def test_as_of_before_the_bundled_data(adm):
    doc = status_json(adm, "--as-of", "2018")
    assert doc["as_of"] == 2018
    assert {a["status"] for _, a in all_assessments(doc)} == {"insufficient_data"}
    assert all(a["latest"] is None for _, a in all_assessments(doc))


def test_as_of_moves_the_trend_window(adm):
    """--as-of 2023: productivity's latest is 2023, the window [2018, 2023] starts at 2019."""
    a = state_doc(status_json(adm, "--as-of", "2023"), "productivity", "VNM")
    x23, x19 = productivity("VNM", 2023), productivity("VNM", 2019)
    assert a["latest"]["year"] == 2023 and a["baseline"]["year"] == 2023
    assert a["observed_rate"] == approx(cagr(x19, x23, 4), rel=1e-9)
    assert a["target"] == approx(2.5 * x23, rel=1e-12)
    assert a["years_left"] == 7


@pytest.mark.parametrize(
    "spelling,code",
    [
        ("vn", "VNM"),
        ("VN", "VNM"),
        ("vnm", "VNM"),
        ("Vietnam", "VNM"),
        ("VIETNAM", "VNM"),
        ("laos", "LAO"),
        ("Lao PDR", "LAO"),
        ("brunei", "BRN"),
        ("tl", "TLS"),
        ("East Timor", "TLS"),
    ],
)
def test_state_filter_accepts_alpha2_aliases_any_case(adm, spelling, code):
    doc = status_json(adm, "--state", spelling)
    for t in doc["targets"]:
        assert [a["state"] for a in t["states"]] == [code], (spelling, t["id"])
    csv_text = adm.ok("status", "--format", "csv", "-s", spelling).out
    _, rows = delimited_dicts(csv_text, ",")
    assert {r["state"] for r in rows} <= {code, REGION}
    assert any(r["state"] == code for r in rows)


def test_state_filter_several_and_repeated(adm):
    doc = status_json(adm, "-s", "vn", "-s", "SG", "-s", "Vietnam", "-s", "phl")
    for t in doc["targets"]:
        states = [a["state"] for a in t["states"]]
        assert sorted(states) == ["PHL", "SGP", "VNM"]  # once each, alpha-3
    full = status_json(adm)
    # the filtered assessments are those of the full report
    assert state_doc(doc, "productivity", "SGP") == state_doc(full, "productivity", "SGP")


def test_target_filter(adm):
    doc = status_json(adm, "-t", "productivity", "--target", "digital-economy-share", "-t", "productivity")
    assert sorted(t["id"] for t in doc["targets"]) == ["digital-economy-share", "productivity"]
    full = status_json(adm)
    assert target_doc(doc, "productivity") == target_doc(full, "productivity")


@pytest.mark.parametrize(
    "args",
    [
        ["--state", "XX"],
        ["--state", "VNM", "-s", "Atlantis"],
        ["--target", "nope"],
        ["--as-of", "soon"],
        ["--method", "linear"],
        ["--fail-on", "sometimes"],
        ["--format", "xml"],
    ],
)
@pytest.mark.parametrize("command", ["status", "gaps"])
def test_bad_filters_are_usage_errors(adm, command, args):
    r = adm(command, *args)
    assert_clean_error(r, 2)
    assert r.out == ""


def test_reported_region_figure(adm):
    record(adm, "ASEAN", "digital-economy-share", 2025, 20, "ASEAN Secretariat")
    doc = status_json(adm)
    r = state_doc(doc, "digital-economy-share", REGION)
    assert r["basis"] == "reported"
    assert r["latest"] == {"year": 2025, "value": 20, "source": "ASEAN Secretariat", "obs_status": None}
    assert r["baseline"] == {"year": 2025, "value": 20}
    assert r["gap"] == approx(10)
    # the other targets are still aggregated from the member states
    assert state_doc(doc, "productivity", REGION)["basis"] == "aggregated"
    assert state_doc(doc, "digital-economy-value-added", REGION)["basis"] == "aggregated"


def test_no_reference_gives_insufficient_data(adm):
    doc = status_json(adm, no_reference=True)
    assert {a["status"] for _, a in all_assessments(doc)} == {"insufficient_data"}
    assert all(a["latest"] is None for _, a in all_assessments(doc))
    # a user's own figures are still used without the reference layer
    for y, v in {2024: 40, 2025: 50, 2026: 60}.items():
        record(adm, "VNM", "public-services-ai-share", y, v)
    doc = status_json(adm, no_reference=True)
    assert state_doc(doc, "public-services-ai-share", "VNM")["status"] == "on_track"
    assert state_doc(doc, "productivity", "VNM")["latest"] is None  # WDI left out: nothing to derive from
    assert state_doc(doc, "digital-economy-share", "VNM")["latest"] is None


# ==== --method cagr-ratio (SPEC §5.4, Open SDG) ====================================================


def test_cagr_ratio_adds_ratio_and_nulls_anticipated(adm):
    doc = status_json(adm, "--method", "cagr-ratio")
    for tid, a in all_assessments(doc):
        assert "ratio" in a, (tid, a["state"])
        assert a["anticipated"] is None, (tid, a["state"])
        assert a["ratio"] is None or is_number(a["ratio"])
    # bundled productivity ends before 2025: there is no base year at or after the baseline
    for a in target_doc(doc, "productivity")["states"]:
        assert a["status"] == "insufficient_data", a["state"]
    # the projection method has no ratio
    assert all("ratio" not in a for _, a in all_assessments(status_json(adm)))


def test_cagr_ratio_productivity_by_hand(adm):
    """Open SDG on real WDI figures plus recorded 2025 and 2026 years: base 2025, ratio = observed / required."""
    x25 = productivity("VNM", 2024) * 1.05
    x26 = x25 * 1.07
    record(adm, "VNM", "labour-productivity", 2025, x25)
    record(adm, "VNM", "labour-productivity", 2026, x26)
    a = state_doc(status_json(adm, "--method", "cagr-ratio"), "productivity", "VNM")
    T = 2.5 * x25
    observed = x26 / x25 - 1
    required = (T / x25) ** (1 / 5) - 1
    ratio = observed / required
    assert a["baseline"] == {"year": 2025, "value": approx(x25, rel=1e-12)}
    assert a["latest"]["year"] == 2026 and a["latest"]["value"] == approx(x26, rel=1e-12)
    assert a["target"] == approx(T, rel=1e-12)
    assert a["observed_rate"] == approx(observed, rel=1e-9)
    assert a["required_rate"] == approx(required, rel=1e-9)
    assert a["ratio"] == approx(ratio, rel=1e-9)
    assert a["projected"] == approx(x26 * (1 + observed) ** 4, rel=1e-9)
    assert a["anticipated"] is None
    assert a["status"] == by_cutoffs(ratio)


def test_cagr_ratio_digital_economy_share_by_hand(adm):
    record(adm, "VNM", "digital-economy-share", 2025, 14)
    record(adm, "VNM", "digital-economy-share", 2026, 16.5)
    a = state_doc(status_json(adm, "--method", "cagr-ratio"), "digital-economy-share", "VNM")
    observed = 16.5 / 14 - 1
    required = (30 / 14) ** (1 / 5) - 1
    assert a["baseline"] == {"year": 2025, "value": 14}  # first year at or after B (2020–2024 ignored)
    assert a["observed_rate"] == approx(observed)
    assert a["required_rate"] == approx(required)
    assert a["ratio"] == approx(observed / required)
    assert a["status"] == by_cutoffs(observed / required)
    assert a["projected"] == approx(16.5 * (1 + observed) ** 4)


def test_cagr_ratio_tests_insufficient_before_achieved(adm):
    """Open SDG's order: a single year at or after the base year is insufficient even when the target is met."""
    record(adm, "VNM", "digital-economy-share", 2025, 35)
    assert state_doc(status_json(adm), "digital-economy-share", "VNM")["status"] == "achieved"
    a = state_doc(status_json(adm, "--method", "cagr-ratio"), "digital-economy-share", "VNM")
    assert a["status"] == "insufficient_data"


# ==== --fail-on (SPEC §6) ===========================================================================


def _worst_rank(doc, *, region: bool = True) -> int:
    ranks = [
        BEST_FIRST.index(a["status"])
        for _, a in all_assessments(doc)
        if a["status"] != "insufficient_data" and (region or a["state"] != REGION)
    ]
    return max(ranks, default=-1)


@pytest.mark.parametrize("status", BEST_FIRST)
def test_fail_on_each_status_on_the_bundled_data(adm, status):
    full = adm.ok("status", "--format", "json")
    worst = _worst_rank(strict_json(full.out))
    r = adm("status", "--format", "json", "--fail-on", status)
    expected = 3 if worst >= BEST_FIRST.index(status) else 0
    assert r.code == expected, (status, worst, r.err)
    assert r.out == full.out  # stdout keeps the full document either way
    if expected == 3:
        assert status in r.err and "Traceback" not in r.err
        assert r.err.startswith("admtrack")
    else:
        assert r.err == ""


def test_fail_on_regressing_is_met_on_the_bundled_data(adm):
    # Lao PDR's real GDP per person employed fell over its trend window (WDI SL.GDP.PCAP.EM.KD)
    assert state_doc(status_json(adm), "productivity", "LAO")["status"] == "regressing"
    table = adm.ok("status").out
    r = adm("status", "--fail-on", "regressing")
    assert r.code == 3
    assert r.out == table  # the table is printed in full on stdout
    assert "regressing" in r.err and "Traceback" not in r.err  # the message goes to stderr


def test_insufficient_data_never_triggers(adm):
    no_data = sorted(NOT_ASSESSED_ON_BUNDLED)[0]  # a target without bundled figures
    r = adm("status", "-t", no_data, "--fail-on", "achieved")
    assert r.code == 0, r.err
    assert adm("status", "--fail-on", "achieved", no_reference=True).code == 0
    assert adm("status", "--as-of", "2010", "--fail-on", "achieved").code == 0
    # it is not a status one can fail on
    assert adm("status", "--fail-on", "insufficient_data").code in (0, 2)


def test_fail_on_counts_the_region_only_with_asean(adm):
    # Viet Nam on track; the region (aggregated, 2024 or 2025) not
    for y, v in {2025: 20.0, 2026: 23.0}.items():
        record(adm, "VNM", "digital-economy-share", y, v)
    doc = status_json(adm, "-t", "digital-economy-share")
    vnm = state_doc(doc, "digital-economy-share", "VNM")["status"]
    region = state_doc(doc, "digital-economy-share", REGION)["status"]
    assert BEST_FIRST.index(vnm) < BEST_FIRST.index("limited_progress"), vnm
    assert region in ("limited_progress", "regressing"), region
    base = ["status", "-t", "digital-economy-share", "--fail-on", "limited_progress"]
    assert adm(*base, "--state", "VNM").code == 0
    assert adm(*base, "--state", "vn").code == 0
    assert adm(*base, "--state", "VNM", "--state", "ASEAN").code == 3
    assert adm(*base, "--state", "asean").code == 3
    assert adm(*base).code == 3
    # the same rule for gaps
    gbase = ["gaps", "-t", "digital-economy-share", "--fail-on", "limited_progress"]
    assert adm(*gbase, "-s", "VNM").code == 0
    assert adm(*gbase, "-s", "VNM", "-s", "ASEAN").code == 3


# ==== CSV, TSV, Markdown (SPEC §4) ==================================================================

FLAT = [
    "target_id",
    "state",
    "baseline_year",
    "baseline_value",
    "latest_year",
    "latest_value",
    "latest_source",
    "target",
    "progress",
    "attainment",
    "gap",
    "observed_rate",
    "required_rate",
    "projected",
    "anticipated",
    "status",
]


@pytest.mark.parametrize("fmt,delimiter", [("csv", ","), ("tsv", "\t")])
def test_status_csv_tsv_rows_and_numbers(adm, fmt, delimiter):
    doc = status_json(adm)
    out = adm.ok("status", "--format", fmt).out
    assert ANSI not in out
    header, rows = delimited_dicts(out, delimiter)
    assert set(FLAT) <= set(header), set(FLAT) - set(header)
    assert not any(c in header for c in ("baseline", "latest", "coverage"))  # flattened, not nested
    pairs = [(r["target_id"], r["state"]) for r in rows]
    assert len(pairs) == len(set(pairs)) == 6 * 12  # one row per (target, state), region rows included
    assert {s for _, s in pairs} == set(STATES) | {REGION}
    for r in rows:
        a = state_doc(doc, r["target_id"], r["state"])
        for col, value in [
            ("baseline_year", a["baseline"] and a["baseline"]["year"]),
            ("baseline_value", a["baseline"] and a["baseline"]["value"]),
            ("latest_year", a["latest"] and a["latest"]["year"]),
            ("latest_value", a["latest"] and a["latest"]["value"]),
        ] + [
            (k, a[k])
            for k in (
                "target",
                "progress",
                "attainment",
                "gap",
                "observed_rate",
                "required_rate",
                "projected",
                "anticipated",
            )
        ]:
            cell = r[col]
            if value is None:
                assert cell == "", (r["target_id"], r["state"], col, cell)
            else:
                # numbers unaltered: the exact value, negative numbers without an apostrophe
                assert not cell.startswith("'"), (col, cell)
                assert float(cell) == value, (r["target_id"], r["state"], col, cell, value)
        assert r["status"] == a["status"]
    negatives = [r for r in rows if r["observed_rate"].startswith("-")]
    assert negatives  # e.g. LAO and TLS productivity fell: their rates are negative numbers, left as they are


@pytest.mark.parametrize(
    "source", ['=HYPERLINK("http://evil.example","x")', "+1+2", "-2+3", "@SUM(A1:A3)", "\tindented"]
)
@pytest.mark.parametrize("fmt,delimiter", [("csv", ","), ("tsv", "\t")])
def test_formula_like_text_is_neutralised(adm, source, fmt, delimiter):
    record(adm, "VNM", "digital-economy-share", 2025, 14.5, source)
    for command in ("status", "gaps"):
        _, rows = delimited_dicts(adm.ok(command, "--format", fmt).out, delimiter)
        row = next(r for r in rows if r["target_id"] == "digital-economy-share" and r["state"] == "VNM")
        assert row["latest_source"] == "'" + source, (command, row["latest_source"])
        assert row["latest_value"] == "14.5"
        _, raw = delimited_dicts(adm.ok(command, "--format", fmt, "--raw").out, delimiter)
        row = next(r for r in raw if r["target_id"] == "digital-economy-share" and r["state"] == "VNM")
        assert row["latest_source"] == source, command
    # JSON is never altered
    assert state_doc(status_json(adm), "digital-economy-share", "VNM")["latest"]["source"] == source


def test_cagr_ratio_csv_has_a_ratio_column(adm):
    header, rows = delimited_dicts(adm.ok("status", "-f", "csv", "--method", "cagr-ratio").out, ",")
    assert "ratio" in header
    assert all(r["anticipated"] == "" for r in rows)


def _check_gfm(text: str) -> list[str]:
    text = text.partition("\n\n")[0]  # the table; footnotes (a proxy's text) follow a blank line
    lines = text.rstrip("\n").split("\n")
    assert len(lines) >= 3, text
    for ln in lines:
        assert ln.startswith("|") and ln.endswith("|"), repr(ln)
    cells = lambda ln: len([c for c in _split_unescaped(ln)])  # noqa: E731
    assert all(set(c.strip()) <= set("-:") and "---" in c for c in _split_unescaped(lines[1])), lines[1]
    n = cells(lines[0])
    assert all(cells(ln) == n for ln in lines), "rows with different column counts"
    assert ANSI not in text
    return lines


def _split_unescaped(line: str) -> list[str]:
    parts, cur, i = [], "", 1
    body = line[1:-1] if line.endswith("|") else line[1:]
    while i <= len(body):
        ch = body[i - 1]
        if ch == "\\" and i < len(body):
            cur += ch + body[i]
            i += 2
            continue
        if ch == "|":
            parts.append(cur)
            cur = ""
        else:
            cur += ch
        i += 1
    parts.append(cur)
    return parts


def test_status_markdown_is_a_gfm_table(adm):
    record(adm, "VNM", "digital-economy-share", 2025, 14.5, "GSO | MIC, table 3\\a")
    lines = _check_gfm(adm.ok("status", "--format", "markdown").out)
    assert len(lines) - 2 >= 6  # at least the region row of every target
    body = "\n".join(lines)
    for tid in TARGET_IDS:
        assert tid in body


# ==== terminal behaviour (SPEC §4) ==================================================================


def test_no_ansi_when_stdout_is_not_a_terminal(adm, monkeypatch, tmp_path):
    terminal_env(monkeypatch)
    for command in ("status", "gaps"):
        r = adm.ok(command)
        assert ANSI not in r.out and ANSI not in r.err
        assert "ADM2030" in r.out


def _busy(adm, tmp_path):
    record_rows(adm, tmp_path, busy_rows())


def _check_fits(out: str, width: int, command: str) -> None:
    for line in out.splitlines():
        assert cell_width(line) <= width, (command, width, cell_width(line), line)
    truncated = [ln for ln in out.splitlines() if "…" in ln]
    assert not truncated, (command, width, truncated)


@pytest.mark.parametrize("data", ["bundled", "busy"])
def test_tables_fit_80_columns(adm, monkeypatch, tmp_path, data):
    if data == "busy":
        _busy(adm, tmp_path)
    terminal_env(monkeypatch, columns=80)
    for command in ("status", "gaps"):
        _check_fits(adm.ok(command).out, 80, command)
    assert "11/11" in adm.ok("status").out  # the region table's coverage cell in full


@pytest.mark.parametrize("width", [90, 100, 109, 110, 112, 116, 118, 120, 140])
@pytest.mark.parametrize("data", ["bundled", "busy"])
def test_tables_fit_any_terminal_width_without_truncation(adm, monkeypatch, tmp_path, data, width):
    """Between 80 and 200 columns too: no line wider than the terminal, no cell cut short with '…'."""
    if data == "busy":
        _busy(adm, tmp_path)
    terminal_env(monkeypatch, columns=width)
    for command in ("status", "gaps"):
        _check_fits(adm.ok(command).out, width, command)


@pytest.mark.parametrize("width", [80, 120])
def test_tables_keep_their_cells_with_extreme_values(adm, monkeypatch, tmp_path, width):
    """Valid but extreme figures (no upper bound on GDP or an index; a labour force of 1) must not cut
    the target key or the numbers short: a reader cannot tell '$9999…' from '$9999tn'."""
    record_rows(
        adm,
        tmp_path,
        [
            {"state": "SGP", "indicator": "gdp", "year": 2026, "value": 9999999},
            {"state": "SGP", "indicator": "labour-force", "year": 2026, "value": 1},
            {"state": "SGP", "indicator": "digital-economy-share", "year": 2026, "value": 100},
            {"state": "VNM", "indicator": "social-service-cost", "year": 2025, "value": 1e9},
            {"state": "VNM", "indicator": "social-service-cost", "year": 2026, "value": 0.001},
        ],
    )
    terminal_env(monkeypatch, columns=width)
    for command in ("status", "gaps"):
        _check_fits(adm.ok(command).out, width, command)


def test_tables_fit_80_columns_when_forced_to_a_terminal(adm, monkeypatch, tmp_path):
    _busy(adm, tmp_path)
    terminal_env(monkeypatch, columns=80, force_terminal=True, no_color="1")
    for command in ("status", "gaps"):
        _check_fits(re.sub(r"\x1b\[[0-9;]*m", "", adm.ok(command).out), 80, command)


@pytest.mark.parametrize("fmt", ["json", "csv", "tsv", "markdown"])
def test_machine_formats_do_not_depend_on_the_terminal(adm, monkeypatch, tmp_path, fmt):
    _busy(adm, tmp_path)
    plain = {c: adm.ok(c, "--format", fmt).out for c in ("status", "gaps")}
    terminal_env(monkeypatch, columns=40, force_terminal=True)
    for command in ("status", "gaps"):
        assert adm.ok(command, "--format", fmt).out == plain[command], (command, fmt)


def test_wide_terminal_names_targets_in_full(adm, monkeypatch):
    terminal_env(monkeypatch, columns=200)
    for command in ("status", "gaps"):
        out = adm.ok(command).out
        lines = out.splitlines()
        for tid in TARGET_IDS:
            # a table row that starts with the target id, not only the T1..T6 key line
            assert any(ln.strip().startswith((tid + " ", tid + "† ")) for ln in lines), (command, tid)
        assert all(cell_width(ln) <= 200 for ln in lines)


def test_forced_terminal_has_colour(adm, monkeypatch):
    """Control: a stdout taken for a terminal gets colour; without it the colour tests below would prove
    nothing."""
    terminal_env(monkeypatch, columns=120, force_terminal=True)
    assert colour_codes(adm.ok("status").out)
    assert colour_codes(adm.ok("gaps").out)


@pytest.mark.parametrize("env", [{"no_color": "1"}, {"no_color": "yes"}, {"term": "dumb"}])
def test_no_colour_with_no_color_or_dumb_terminal(adm, monkeypatch, env):
    terminal_env(monkeypatch, columns=120, force_terminal=True, **env)
    for command in ("status", "gaps"):
        out = adm.ok(command).out
        assert colour_codes(out) == [], (command, env, sorted(set(colour_codes(out)))[:5])
        assert "ADM2030" in out


def test_empty_no_color_does_not_disable_colour(adm, monkeypatch):
    """SPEC §4: NO_COLOR counts only when set and non-empty."""
    terminal_env(monkeypatch, columns=120, force_terminal=True, no_color="")
    assert colour_codes(adm.ok("status").out)


def test_table_shows_states_and_region(adm, monkeypatch):
    terminal_env(monkeypatch, columns=120)
    out = adm.ok("status", "-s", "VN", "-s", "Laos").out
    assert "VNM" in out and "LAO" in out
    assert "SGP" not in out  # filtered out of the matrix


# ==== property: --as-of never looks past its year (SPEC §3) =======================================

INDICATORS = {
    "public-services-ai-share": (0.0, 100.0),
    "digital-economy-share": (0.0, 100.0),
    "gdp": (0.5, 5000.0),
    "labour-force": (1e4, 2e8),
    "social-service-cost": (1.0, 300.0),
}


@st.composite
def _series(draw):
    indicator = draw(st.sampled_from(sorted(INDICATORS)))
    lo, hi = INDICATORS[indicator]
    values = st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    years = draw(st.dictionaries(st.integers(2012, YEAR), values, min_size=1, max_size=8))
    state = draw(st.sampled_from(STATES))
    as_of = draw(st.integers(2014, YEAR))
    extra = draw(values)
    offset = draw(st.integers(0, 20))
    return state, indicator, years, as_of, extra, offset


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(case=_series())
def test_as_of_never_reports_a_later_year(adm, tmp_path, case):
    state, indicator, years, as_of, extra, offset = case
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    rows = [{"state": state, "indicator": indicator, "year": y, "value": v} for y, v in sorted(years.items())]
    record_rows(adm, tmp_path, rows, data_dir=folder)
    r = adm("status", "--as-of", str(as_of), "--format", "json", data_dir=folder)
    assert r.code == 0, r.err
    doc = strict_json(r.out)
    assert doc["as_of"] == as_of
    for tid, a in all_assessments(doc):
        for point in ("baseline", "latest"):
            assert a[point] is None or a[point]["year"] <= as_of, (tid, a["state"], point, a[point])
        for k in NUMBER_FIELDS:
            assert a.get(k) is None or is_number(a[k])
    if as_of < YEAR:
        later = as_of + 1 + offset % (YEAR - as_of)
        assert as_of < later <= YEAR
        record(adm, state, indicator, later, extra, "later", "--revise", data_dir=folder)
        again = adm("status", "--as-of", str(as_of), "--format", "json", data_dir=folder)
        assert again.code == 0 and again.out == r.out


def test_status_key_names_the_plans_own_weights(adm, data_dir, monkeypatch):
    """The note under the status table names the weights this plan uses, not the bundled plan's."""
    from admtrack.plan import bundled_path

    monkeypatch.setenv("COLUMNS", "200")
    plan = bundled_path().read_text(encoding="utf-8")
    assert 'aggregate = "sum"\nweight = "gdp"' in plan
    (data_dir / "targets.toml").parent.mkdir(parents=True, exist_ok=True)
    (data_dir / "targets.toml").write_text(plan.replace('aggregate = "sum"\nweight = "gdp"',
                                                        'aggregate = "sum"\nweight = "population"'), encoding="utf-8")
    out = " ".join(adm.ok("status", "-t", "digital-economy-value-added").out.split())
    assert "fair shares, by population" in out and "weight (population)" in out and "GDP" not in out


def test_status_json_names_a_targets_own_years(adm, data_dir):
    """A target that overrides the plan's years says so in its head (years_left alone hid it)."""
    from admtrack.plan import bundled_path

    plan = bundled_path().read_text(encoding="utf-8")
    marker = 'id = "digital-economy-share"\ntitle'
    assert marker in plan
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "targets.toml").write_text(plan.replace(marker, 'id = "digital-economy-share"\ntarget_year = 2028\n'
                                                                'title'), encoding="utf-8")
    heads = {t["id"]: t for t in adm.ok("status", "-f", "json").json["targets"]}
    des = heads["digital-economy-share"]
    assert (des["baseline_year"], des["target_year"]) == (2025, 2028)
    assert heads["productivity"]["target_year"] == 2030


def test_matrix_shows_a_small_value_in_billions(adm, monkeypatch):
    """The state matrix's US$ bn cells are whole billions, but a figure under 10 keeps two digits."""
    monkeypatch.setenv("COLUMNS", "120")
    adm.ok("record", "VNM", "digital-economy-value-added", "2023", "0.03", "--source", "S", no_reference=True)
    adm.ok("record", "VNM", "digital-economy-value-added", "2024", "0.0456", "--source", "S", no_reference=True)
    out = adm.ok("status", "-t", "digital-economy-value-added", "-s", "VNM", no_reference=True).out
    assert re.search(r"^VNM\s+0\.046'24", out, re.M), out
