"""Tests of the region series and assessment (SPEC §5.5)."""

from __future__ import annotations

import math
import pathlib
import sys

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

try:  # the package may not be installed in the test environment
    import admtrack  # noqa: F401
except ImportError:  # pragma: no cover
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "src"))

from admtrack.assess import assess
from admtrack.model import INSUFFICIENT, REGION, Coverage, Goal, Point, TrendSpan
from admtrack.region import assess_target, region_series

approx = pytest.approx
B, Y = 2025, 2030


def level(value: float, direction: str = "increase") -> Goal:
    return Goal("level", direction, value, None, B, Y)


def relative(change: float, direction: str = "increase") -> Goal:
    return Goal("relative", direction, None, change, B, Y)


def S(d: dict[int, float]) -> list[Point]:
    return [Point(y, v, "s") for y, v in d.items()]


def flat(value: float, years=range(2019, 2026)) -> list[Point]:
    return [Point(y, value) for y in years]


AB = ["A", "B"]


def assess_region(values, weights, members, goal, rule, **kw):
    """The region's assessment and each member's contribution (SPEC §5.5), via :func:`assess_target`."""
    ta = assess_target(values, weights, members, goal, rule, **kw)
    return ta.region, {m: ta.states[m].contribution for m in members}


# --------------------------------------------------------------------------- rules and coverage


def test_weighted_mean_mean_sum():
    values = {"A": S({2025: 10}), "B": S({2025: 20})}
    weights = {"A": S({2025: 1}), "B": S({2025: 3})}
    (wm,) = region_series(values, weights, AB, "weighted_mean")
    assert wm.value == approx(17.5) and wm.basis == "aggregated"
    assert wm.coverage == Coverage(2, 2, 1.0)
    assert wm.contributing["A"] == (Point(2025, 10, "s"), 1)
    (mean,) = region_series(values, None, AB, "mean")
    assert mean.value == approx(15)
    (total,) = region_series(values, weights, AB, "sum")
    assert total.value == approx(30)


def test_coverage_weight_share_and_min_coverage():
    members = ["A", "B", "C", "D"]
    values = {"A": S({2025: 10}), "B": S({2025: 20})}
    weights = {m: S({2025: w}) for m, w in zip(members, [1, 3, 2, 2])}
    (ry,) = region_series(values, weights, members, "mean")
    assert ry.coverage == Coverage(states=2, of=4, weight_share=0.5)
    assert region_series(values, weights, members, "mean", min_coverage=0.51) == []
    # without a weight indicator: states / of
    (ry,) = region_series(values, None, members, "mean")
    assert ry.coverage.weight_share == 0.5
    assert region_series(values, None, members, "mean", min_coverage=0.75) == []


def test_min_coverage_excludes_one_year_only():
    members = ["A", "B", "C"]
    values = {"A": S({2021: 1, 2025: 2}), "B": S({2025: 3}), "C": S({2025: 4})}
    years = [ry.year for ry in region_series(values, None, members, "mean")]
    assert years == [2025]  # 2021: 1 of 3 < 0.5
    years = [ry.year for ry in region_series(values, None, members, "mean", min_coverage=0.3)]
    assert years == [2021, 2025]


def test_carry_forward_two_years_not_three():
    values = {"A": S({2023: 10}), "B": S({2025: 20})}
    ys = {ry.year: ry for ry in region_series(values, None, AB, "mean")}
    assert ys[2025].value == approx(15)
    assert ys[2025].carried_forward == ("A",)
    assert ys[2025].contributing["A"][0].year == 2023
    values = {"A": S({2022: 10}), "B": S({2025: 20})}
    ys = {ry.year: ry for ry in region_series(values, None, AB, "mean")}
    assert ys[2025].value == approx(20) and ys[2025].carried_forward == ()
    assert "A" not in ys[2025].contributing and ys[2025].coverage.states == 1


def test_years_need_an_observation_in_exactly_that_year():
    values = {"A": S({2023: 10}), "B": S({2023: 20})}
    assert [ry.year for ry in region_series(values, None, AB, "mean")] == [2023]


def test_weighted_mean_uses_the_weight_of_the_value_year():
    # A's value is from 2023: the mean weighs it by A's 2023 weight (5), coverage uses weight(2025)
    values = {"A": S({2023: 10}), "B": S({2025: 20})}
    weights = {"A": S({2023: 5, 2025: 100}), "B": S({2023: 5, 2025: 100})}
    ys = {ry.year: ry for ry in region_series(values, weights, AB, "weighted_mean")}
    assert ys[2025].contributing["A"][1] == 5
    assert ys[2025].contributing["B"][1] == 100
    assert ys[2025].value == approx((5 * 10 + 100 * 20) / 105)
    assert ys[2025].coverage_weights == {"A": 100, "B": 100}


def test_weight_fallback_and_state_without_weight_left_out():
    values = {"A": S({2025: 10}), "B": S({2025: 20})}
    # A's weight only two years before the value: used
    ry = region_series(values, {"A": S({2023: 1}), "B": S({2025: 3})}, AB, "weighted_mean")[0]
    assert ry.contributing["A"][1] == 1 and ry.value == approx(17.5)
    # A's weight three years before: A is left out of the weighted mean
    ry = region_series(values, {"A": S({2022: 1}), "B": S({2025: 3})}, AB, "weighted_mean")[0]
    assert set(ry.contributing) == {"B"} and ry.value == approx(20)
    # weight(2025) of A unknown: the weight share falls back to states / of
    assert ry.coverage == Coverage(1, 2, 0.5)


def test_unknown_rule_and_missing_weights():
    with pytest.raises(ValueError):
        region_series({}, None, AB, "median")
    with pytest.raises(ValueError):
        region_series({}, None, AB, "weighted_mean")


# --------------------------------------------------------------------------- reported figures


def test_reported_figure_replaces_aggregate():
    values = {"A": flat(10, range(2020, 2027)), "B": flat(20, range(2020, 2027))}
    reported = [Point(2026, 50, "ASEAN Secretariat")]
    series = region_series(values, None, AB, "mean", reported=reported)
    ys = {ry.year: ry for ry in series}
    assert ys[2025].value == 15 and ys[2025].basis == "aggregated"
    assert ys[2026].value == 50 and ys[2026].basis == "reported"
    assert ys[2026].source == "ASEAN Secretariat"
    assert ys[2026].coverage == Coverage(2, 2, 1.0)

    a, contrib = assess_region(values, None, AB, level(60), "mean", reported=reported)
    assert a.state == REGION and a.basis == "reported"
    assert a.latest == Point(2026, 50, "ASEAN Secretariat")
    assert a.baseline.value == 15 and a.gap == 10
    assert contrib == {"A": None, "B": None}
    assert a.carried_forward == ()
    # the pace is §5.3 on the region series itself: window 2021..2026 = 15 → 50
    expected = assess(series_points := [ry.point for ry in series], level(60), state=REGION)
    assert series_points[0].year == 2020
    assert a.observed_rate == approx((50 / 15) ** (1 / 5) - 1)
    assert a.projected == approx(expected.projected)
    assert a.status == expected.status == "on_track"


def test_reported_year_without_member_data():
    values = {"A": S({2024: 10}), "B": S({2024: 20})}
    series = region_series(values, None, AB, "mean", reported=[Point(2028, 40)])
    assert [ry.year for ry in series] == [2024, 2028]
    assert series[-1].coverage == Coverage(0, 2, 0.0)
    assert series[-1].basis == "reported"


def test_reported_year_when_coverage_too_low():
    values = {"A": S({2025: 10})}
    series = region_series(values, None, ["A", "B", "C"], "mean", reported=[Point(2025, 99)])
    assert len(series) == 1 and series[0].value == 99


# --------------------------------------------------------------------------- assessment


def test_region_assessment_weighted_mean_bottom_up():
    values = {"A": S({2020: 10, 2025: 20}), "B": S({2024: 30, 2025: 40}), "C": S({2023: 5})}
    weights = {"A": S({2025: 1}), "B": S({2025: 3}), "C": S({2023: 2, 2025: 2})}
    a, contrib = assess_region(values, weights, ["A", "B", "C"], level(30), "weighted_mean")
    assert a.latest.year == 2025 and a.latest.value == approx(25)
    assert a.basis == "aggregated" and a.coverage == Coverage(3, 3, 1.0)
    assert a.carried_forward == ("C",)
    # own projections: A 20·2 = 40, B 40·(4/3)^5, C no trend → held at 5
    pa, pb, pc = 20 * 2, 40 * (40 / 30) ** 5, 5
    projected = (1 * pa + 3 * pb + 2 * pc) / 6
    assert a.projected == approx(projected)
    assert a.observed_rate == approx((projected / 25) ** (1 / 5) - 1)
    assert a.anticipated == approx((projected - 25) / (30 - 25))
    # matched baseline: A 20 (2025), B 40 (2025), C 5 (2023, its latest before B), weights 1, 3, 2
    assert a.baseline == Point(2025, approx(25), a.baseline.source)
    assert a.trend == TrendSpan(2020, 2025, 3)  # A's window 2020–2025, B's 2024–2025: years 2020, 2024, 2025
    assert a.status == "on_track"
    # contributions: w_i (T − x_i) / Σw
    assert contrib == approx({"A": 1 * 10 / 6, "B": 3 * -10 / 6, "C": 2 * 25 / 6})
    assert sum(contrib.values()) == approx(a.gap)


def test_state_dropping_out_is_not_growth():
    # mean of a low state A (stops reporting after 2023) and a high state B (flat at 50)
    values = {"A": flat(10, range(2019, 2024)), "B": flat(50, range(2019, 2029))}
    series = region_series(values, None, AB, "mean")
    ys = {ry.year: ry.value for ry in series}
    assert ys[2023] == 30 and ys[2025] == 30  # A carried forward to 2025
    assert ys[2026] == 50  # A gone: only B (coverage 0.5)
    a, contrib = assess_region(values, None, AB, level(60), "mean")
    assert a.latest == Point(2028, 50, a.latest.source)
    # constant composition: C = {B}, so the baseline is B's own (50), not the 2025 region value (30)
    assert a.baseline.value == 50 and a.progress == 0
    # bottom-up: B's own projection is flat; the region's x_t is 50 → no growth
    assert a.projected == approx(50)
    assert a.observed_rate == approx(0)
    assert a.anticipated == approx(0)
    assert a.status == "limited_progress"
    # a region-level trend would have read A's exit as growth and called it on track
    naive = assess([ry.point for ry in series], level(60), state=REGION)
    assert naive.observed_rate > 0.1 and naive.status == "on_track"
    assert contrib == {"A": None, "B": approx(10.0)}


def test_state_dropping_out_sum():
    # a big state drops out of a sum: the region value falls, but that is no trend either
    values = {"A": flat(100, range(2019, 2025)), "B": flat(10, range(2019, 2028))}
    a, _ = assess_region(values, None, AB, level(200), "sum")
    assert a.latest.year == 2027 and a.latest.value == 10
    assert a.projected == approx(10) and a.observed_rate == approx(0)
    # the covered goal: B's fair share of 200 (no weight indicator: T / n)
    assert a.target == approx(100) and a.goal == 200 and a.baseline.value == 10


def test_region_insufficient_without_any_state_trend():
    values = {"A": S({2025: 10}), "B": S({2025: 20})}
    a, contrib = assess_region(values, None, AB, level(30), "mean")
    assert a.status == INSUFFICIENT
    assert a.latest.value == 15 and a.gap == 15 and a.projected is None and a.reason == "no_trend"
    assert contrib == {"A": 10.0, "B": 5.0}  # contributions need no trend


def test_region_without_any_value():
    a, contrib = assess_region({}, None, AB, level(30), "mean")
    assert a.status == INSUFFICIENT and a.latest is None and a.coverage is None
    assert a.reason == "no_data" and a.target == 30  # a level target names its value
    assert contrib == {"A": None, "B": None}
    # figures, but no year reaches the minimum coverage
    a, _ = assess_region({"A": S({2025: 1})}, None, ["A", "B", "C"], level(30), "mean")
    assert a.reason == "low_coverage" and a.latest is None


def test_region_relative_target_uses_region_baseline():
    values = {"A": S({2025: 100, 2027: 110}), "B": S({2025: 300, 2027: 330})}
    a, contrib = assess_region(values, None, AB, relative(1.5), "mean")
    assert a.baseline.value == 200 and a.target == approx(500)
    assert a.latest.value == approx(220)
    assert a.progress == approx(20 / 300)
    assert a.projected == approx(220 * 1.1**1.5)
    # each state against its own goal: its own baseline × 2.5
    assert contrib == approx({"A": (250 - 110) / 2, "B": (750 - 330) / 2})
    assert sum(contrib.values()) == approx(a.gap)


def test_contributions_rules():
    values = {"A": S({2025: 10}), "B": S({2025: 20})}
    weights = {"A": S({2025: 1}), "B": S({2025: 3})}
    members = ["A", "B", "C"]
    weights["C"] = S({2025: 0.0})  # C never contributes
    _, c = assess_region(values, weights, members, level(30), "weighted_mean")
    assert c == {"A": approx(5.0), "B": approx(7.5), "C": None}
    _, c = assess_region(values, weights, members, level(30), "mean")
    assert c == {"A": approx(10.0), "B": approx(5.0), "C": None}
    # sum with a weight indicator: fair share T·w_i/Σw (over all members) − x_i
    a, c = assess_region(values, weights, members, level(100), "sum")
    assert a.target == approx(100) and a.gap == approx(70)  # C's weight is 0: A and B cover it all
    assert c == {"A": approx(15.0), "B": approx(55.0), "C": None}
    # sum without: T/n − x_i; the region is held against the covered goal 2/3 × T
    a, c = assess_region(values, None, members, level(100), "sum", min_coverage=0.5)
    assert a.target == approx(200 / 3) and a.goal == 100
    assert c == {"A": approx(100 / 3 - 10), "B": approx(100 / 3 - 20), "C": None}
    # decrease: signs flip
    a, c = assess_region(values, weights, members, level(5, "decrease"), "weighted_mean")
    assert a.gap == approx(12.5)
    assert c == {"A": approx(1.25), "B": approx(11.25), "C": None}


def test_region_cagr_ratio_on_region_series():
    values = {"A": S({2025: 10, 2027: 12}), "B": S({2025: 10, 2027: 12})}
    a, contrib = assess_region(values, None, AB, level(30), "mean", method="cagr-ratio")
    assert a.ratio == approx((1.2**0.5 - 1) / (3**0.2 - 1))
    assert a.status == "limited_progress" and a.basis == "aggregated"
    assert sum(contrib.values()) == approx(a.gap)


def test_region_cagr_ratio_without_a_base_has_no_rates():
    """SPEC §5.4: under cagr-ratio the required rate runs from the base year; a state of C without a
    figure at or after B leaves the region without one: no rate, not the projection method's."""
    values = {"A": S({2025: 10, 2026: 12}), "B": S({2024: 20})}
    a, _ = assess_region(values, None, AB, level(30), "mean", method="cagr-ratio")
    assert (a.status, a.reason) == (INSUFFICIENT, "no_base_year")
    assert a.required_rate is None and a.observed_rate is None and a.ratio is None
    assert a.gap == approx(30 - 16)  # the level fields stay


# --------------------------------------------------------------------------- properties

members_st = st.lists(st.sampled_from(list("ABCDEFGHIJK")), min_size=1, max_size=11, unique=True)
val_st = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)
w_st = st.floats(0.001, 1e4, allow_nan=False, allow_infinity=False)


@st.composite
def region_case(draw):
    members = draw(members_st)
    values = {}
    weights = {}
    for m in members:
        years = draw(st.lists(st.integers(2018, 2030), max_size=6, unique=True))
        values[m] = [Point(y, draw(val_st)) for y in years]
        wyears = draw(st.lists(st.integers(2018, 2030), max_size=6, unique=True))
        weights[m] = [Point(y, draw(w_st)) for y in wyears]
    rule = draw(st.sampled_from(["sum", "mean", "weighted_mean"]))
    use_weights = rule == "weighted_mean" or draw(st.booleans())
    goal = draw(
        st.one_of(
            st.builds(level, val_st, st.sampled_from(["increase", "decrease"])),
            st.builds(relative, st.floats(-0.9, 2), st.sampled_from(["increase", "decrease"])),
        )
    )
    min_cov = draw(st.sampled_from([0.0, 0.5]))
    return members, values, weights if use_weights else None, rule, goal, min_cov


@settings(max_examples=60, deadline=None)
@given(region_case(), st.sampled_from(["projection", "cagr-ratio"]))
def test_prop_contributions_sum_to_gap(case, method):
    members, values, weights, rule, goal, min_cov = case
    a, contrib = assess_region(values, weights, members, goal, rule, min_coverage=min_cov, method=method)
    assert set(contrib) == set(members)
    for name in ("target", "progress", "attainment", "gap", "observed_rate", "required_rate",
                 "projected", "anticipated", "shortfall", "ratio"):  # fmt: skip
        v = getattr(a, name)
        assert v is None or math.isfinite(v)
    assume(a.basis == "aggregated" and a.gap is not None)
    got = [c for c in contrib.values() if c is not None]
    assert len(got) == a.coverage.states
    scale = max([1.0, abs(a.target)] + [abs(p.value) for p, _ in region_last(values, weights, members, rule, min_cov)])
    assert math.fsum(got) == approx(a.gap, abs=1e-9 * scale * len(members))


def region_last(values, weights, members, rule, min_cov):
    return list(region_series(values, weights, members, rule, min_coverage=min_cov)[-1].contributing.values())


@settings(max_examples=80, deadline=None)
@given(
    members_st,
    st.floats(-1e6, 1e6, allow_nan=False),
    st.data(),
)
def test_prop_weighted_mean_of_identical_values(members, v, data):
    values = {m: [Point(2025, v)] for m in members}
    weights = {m: [Point(2025, data.draw(w_st))] for m in members}
    (ry,) = region_series(values, weights, members, "weighted_mean")
    assert ry.value == approx(v, rel=1e-12, abs=1e-12)
    (ry,) = region_series(values, weights, members, "mean")
    assert ry.value == approx(v, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("rule", ["sum", "mean", "weighted_mean"])
def test_overflow_gives_null_not_a_traceback(rule):
    """1e308-sized figures: sums overflow; the numbers become null (with a note), never inf or an error."""
    values = {"A": S({2024: 1e308, 2025: 1.7e308}), "B": S({2024: 1e308, 2025: 1.7e308})}
    weights = {"A": S({2024: 1e308, 2025: 1e308}), "B": S({2024: 1e308, 2025: 1e308})}
    ta = assess_target(values, weights, AB, level(1e308), rule)
    for a in [ta.region, *ta.states.values()]:
        for name in ("target", "progress", "attainment", "gap", "observed_rate", "required_rate", "projected",
                     "anticipated", "shortfall", "contribution", "goal", "shortfall_share"):
            v = getattr(a, name)
            assert v is None or math.isfinite(v), (a.state, name, v)
        assert a.latest is None or math.isfinite(a.latest.value)
        assert (a.reason is None) == (a.status != INSUFFICIENT)


def test_years_whose_aggregate_overflows_are_left_out_with_a_note():
    """Absurd figures (1e308 + 1e308): the year has no finite region value; the region says so."""
    values = {"A": S({2024: 1e308, 2025: 1e308}), "B": S({2024: 1e308, 2025: 1e308})}
    ta = assess_target(values, None, AB, level(1000), "sum")
    assert [ry.year for ry in ta.series] == []
    assert any("not a finite number in 2024, 2025" in n for n in ta.region.notes), ta.region.notes
