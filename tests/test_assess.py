"""Tests of the single-series assessment (SPEC §5.1–5.4)."""

from __future__ import annotations

import math
import pathlib
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

try:  # the package may not be installed in the test environment
    import admtrack  # noqa: F401
except ImportError:  # pragma: no cover
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "src"))

from admtrack.assess import assess, find_baseline, goal_target, sorted_points, status_rank
from admtrack.model import INSUFFICIENT, STATUS_ORDER, Goal, Point, Thresholds, TrendSpan

approx = pytest.approx
B, Y = 2025, 2030
FLOAT_FIELDS = (
    "target", "progress", "attainment", "gap", "observed_rate", "required_rate",
    "projected", "anticipated", "shortfall", "ratio",
)  # fmt: skip


def level(value: float | None, direction: str = "increase") -> Goal:
    return Goal("level", direction, value, None, B, Y)


def relative(change: float, direction: str = "increase") -> Goal:
    return Goal("relative", direction, None, change, B, Y)


def pts(d: dict[int, float]) -> list[Point]:
    return [Point(y, v, f"src{y}") for y, v in d.items()]


# --------------------------------------------------------------------------- building blocks


def test_status_rank():
    assert [status_rank(s) for s in STATUS_ORDER] == [0, 1, 2, 3, 4]
    assert status_rank(INSUFFICIENT) == 5
    with pytest.raises(ValueError):
        status_rank("bogus")


def test_goal_target():
    assert goal_target(level(30), None) == 30
    assert goal_target(relative(1.5), Point(2025, 10_000)) == approx(25_000)
    assert goal_target(relative(-0.4), Point(2025, 100)) == approx(60)
    assert goal_target(relative(-0.4), None) is None


def test_find_baseline_rules():
    s = sorted_points(pts({2022: 1, 2024: 2, 2025: 3, 2027: 4}))
    assert find_baseline(s, 2025).year == 2025
    s = sorted_points(pts({2022: 1, 2024: 2, 2026: 3, 2027: 4}))
    assert find_baseline(s, 2025).year == 2024  # latest before B
    s = sorted_points(pts({2026: 3, 2027: 4}))
    assert find_baseline(s, 2025).year == 2026  # else earliest after B
    assert find_baseline([], 2025) is None


def test_duplicate_years_rejected():
    with pytest.raises(ValueError):
        assess([Point(2025, 1), Point(2025, 2)], level(3), state="X")


def test_no_points():
    a = assess([], level(30), state="VNM")
    assert a.state == "VNM" and a.status == INSUFFICIENT
    assert a.latest is None and a.baseline is None and a.years_left is None


# --------------------------------------------------------------------------- projection method


def test_level_increase_compound():
    # unordered input; window [2022, 2027] starts at 2023
    a = assess(pts({2027: 20, 2023: 10, 2025: 16, 2021: 1}), level(40), state="IDN")
    assert a.baseline == Point(2025, 16, "src2025")
    assert a.latest == Point(2027, 20, "src2027")
    assert a.target == 40
    assert a.progress == approx(4 / 24)
    assert a.attainment == approx(0.5)
    assert a.gap == approx(20)
    assert a.years_left == 3
    assert a.required_rate == approx(2 ** (1 / 3) - 1)
    assert a.trend == TrendSpan(2023, 2027, 3)
    assert a.reason is None
    assert a.observed_rate == approx(2**0.25 - 1)
    assert a.projected == approx(20 * 2**0.75)
    assert a.anticipated == approx((20 * 2**0.75 - 16) / 24)  # 0.7348
    assert a.shortfall == approx(40 - 20 * 2**0.75)
    assert a.status == "acceleration_needed"
    assert a.ratio is None


def test_relative_decrease():
    a = assess(pts({2025: 100, 2026: 90, 2027: 81}), relative(-0.40, "decrease"), state="THA")
    assert a.target == approx(60)
    assert a.gap == approx(21)
    assert a.attainment == approx(60 / 81)
    assert a.progress == approx(0.475)
    assert a.required_rate == approx((60 / 81) ** (1 / 3) - 1)
    assert a.observed_rate == approx(-0.1)
    assert a.projected == approx(81 * 0.9**3)  # 59.049
    assert a.anticipated == approx((59.049 - 100) / (60 - 100))  # 1.0238
    assert a.shortfall == 0
    assert a.status == "on_track"


def test_relative_decrease_shortfall():
    a = assess(pts({2025: 100, 2027: 95}), relative(-0.40, "decrease"), state="THA")
    projected = 95 * (0.95**0.5) ** 3
    assert a.projected == approx(projected)
    assert a.shortfall == approx(projected - 60)
    assert a.anticipated == approx((projected - 100) / -40)
    assert a.status == "limited_progress"


def test_relative_increase():
    a = assess(pts({2025: 10_000, 2027: 11_000}), relative(1.5), state="PHL")
    assert a.target == approx(25_000)
    projected = 11_000 * 1.1**1.5
    assert a.projected == approx(projected)
    assert a.anticipated == approx((projected - 10_000) / 15_000)
    assert a.status == "limited_progress"


def test_linear_fallback_and_baseline_before_b():
    # no 2025 figure: baseline is the latest before B (2024); values ≤ 0 → linear pace
    a = assess(pts({2024: -5, 2026: -1}), level(10), state="X")
    assert a.baseline.year == 2024 and a.baseline.value == -5
    assert a.observed_rate == approx(2.0)
    assert a.projected == approx(7.0)
    assert a.anticipated == approx(12 / 15)
    assert a.required_rate == approx(11 / 4)  # linear: x_t is not > 0
    assert a.progress == approx(4 / 15)
    assert a.attainment == approx(-0.1)
    assert a.gap == approx(11)
    assert a.status == "acceleration_needed"


def test_linear_when_a_middle_window_value_is_zero():
    a = assess(pts({2021: 5, 2023: 0, 2025: 10}), level(30), state="X")
    assert a.observed_rate == approx(1.25)
    assert a.projected == approx(16.25)
    assert a.required_rate == approx(3 ** (1 / 5) - 1)  # T and x_t > 0: compound


def test_baseline_after_b():
    a = assess(pts({2026: 10, 2027: 12}), relative(1.0), state="X")
    assert a.baseline == Point(2026, 10, "src2026")
    assert a.target == approx(20)
    assert a.projected == approx(12 * 1.2**3)
    assert a.anticipated == approx((12 * 1.2**3 - 10) / 10)
    assert a.status == "on_track"
    assert any("2026" in n for n in a.notes)


def test_target_equals_baseline():
    # relative change 0: T = x_B; anticipated and progress are null
    a = assess(pts({2024: 12, 2025: 10, 2026: 9}), relative(0.0), state="X")
    assert a.target == 10 and a.progress is None and a.anticipated is None
    assert a.projected == approx(9 * 0.75**2)
    assert a.status == "regressing"
    b = assess(pts({2023: 8, 2025: 10, 2026: 9.5}), level(10), state="X")
    assert b.progress is None and b.anticipated is None
    assert b.projected == approx(9.5 * (9.5 / 8) ** (4 / 3)) and b.projected > 10
    assert b.status == "on_track"


def test_baseline_beyond_target_falling_series_is_not_on_track():
    # SPEC §5.6: x_B = 32 already above T = 30; the latest fell to 29 and keeps falling
    a = assess(pts({2024: 34, 2025: 32, 2026: 29}), level(30), state="X")
    assert a.progress is None and a.anticipated is None  # T − x_B points the wrong way
    assert any("§5.6" in n for n in a.notes)
    assert a.status == "regressing"
    # the example: a baseline of 55 against a target of 50, now 45 and falling (was "498%")
    b = assess(pts({2025: 55, 2026: 45}), level(50), state="X")
    assert b.status == "regressing" and b.progress is None and b.anticipated is None
    # baseline beyond, latest not, projection back beyond the target: on_track
    c = assess(pts({2022: 20, 2025: 32, 2026: 29}), level(30), state="X")
    assert c.projected > 30 and c.status == "on_track" and c.progress is None
    # T = x_B is covered too
    d = assess(pts({2025: 30, 2026: 29}), level(30), state="X")
    assert d.progress is None and d.status == "regressing"


def test_reason_on_every_insufficient_assessment():
    assert assess([], level(30), state="X").reason == "no_data"
    assert assess([], level(30), state="X").target == 30  # a level target names its value
    assert assess([], relative(1.5), state="X").target is None
    assert assess(pts({2024: 1, 2025: 2}), level(None), state="X").reason == "no_target"
    assert assess(pts({2025: 2}), level(30), state="X").reason == "no_trend"
    assert assess(pts({2025: 2, 2026: 3}), level(30), state="X").reason is None
    cagr = dict(method="cagr-ratio")
    no_base = assess(pts({2023: 2, 2024: 3}), level(30), state="X", **cagr)
    assert no_base.reason == "no_base_year"
    assert no_base.required_rate is None and no_base.observed_rate is None  # rates run from a base year
    assert no_base.gap == 27 and no_base.attainment == approx(0.1)  # the level fields stay
    assert assess(pts({2024: 2, 2025: 3}), level(30), state="X", **cagr).reason == "one_year"
    assert assess(pts({2025: 2, 2026: 3}), level(30), state="X", **cagr).reason is None


def test_explicit_target_overrides_the_goal():
    a = assess(pts({2025: 10, 2026: 12}), level(1000), state="X", target=20)
    assert a.target == 20 and a.gap == 8 and a.progress == approx(0.2)
    assert assess([], level(1000), state="X", target=20).target == 20


def test_trend_window_bounds():
    # [t − 5, t] is inclusive
    assert assess(pts({2020: 10, 2025: 12}), level(30), state="X").trend == TrendSpan(2020, 2025, 2)
    a = assess(pts({2019: 10, 2025: 12}), level(30), state="X")
    assert a.status == INSUFFICIENT and a.observed_rate is None


def test_insufficient_still_fills_levels():
    a = assess(pts({2025: 20}), level(30), state="X")
    assert a.status == INSUFFICIENT
    assert a.baseline.value == 20 and a.latest.value == 20 and a.target == 30
    assert a.gap == 10 and a.attainment == approx(2 / 3) and a.progress == 0 and a.reason == "no_trend"
    assert a.required_rate == approx(1.5**0.2 - 1) and a.years_left == 5
    assert a.observed_rate is a.projected is a.anticipated is a.shortfall is a.trend is None
    # insufficient comes before achieved
    assert assess(pts({2025: 35}), level(30), state="X").status == INSUFFICIENT


def test_achieved():
    assert assess(pts({2024: 25, 2025: 30}), level(30), state="X").status == "achieved"
    a = assess(pts({2025: 100, 2027: 60}), relative(-0.4, "decrease"), state="X")
    assert a.status == "achieved" and a.gap == approx(0)
    # achieved but trending away: projected still reported, shortfall from it
    b = assess(pts({2024: 40, 2025: 35}), level(30), state="X")
    assert b.status == "achieved" and b.projected < 30 and b.shortfall > 0


def test_required_rate_null_at_target_year():
    a = assess(pts({2029: 10, 2030: 12}), level(20), state="X")
    assert a.years_left == 0 and a.required_rate is None
    # baseline: earliest after B = 2029 (10); the target year is reached: projected = x_t
    assert a.projected == approx(12) and a.anticipated == approx(0.2)
    assert a.status == "limited_progress"


@pytest.mark.parametrize(
    ("step", "status"),
    [
        (19.0, "on_track"),  # anticipated exactly 0.95
        (18.99, "acceleration_needed"),
        (12.0, "acceleration_needed"),  # exactly 0.60
        (11.99, "limited_progress"),
        (0.0, "limited_progress"),  # exactly 0
        (-0.01, "regressing"),
    ],
)
def test_cutoff_boundaries(step, status):
    # x_B = 0 (≤ 0 → linear), T = 100: projected = 5 × step, anticipated = projected / 100
    a = assess(pts({2025: 0.0, 2026: step}), level(100), state="X")
    assert a.projected == approx(5 * step)
    assert a.status == status


def test_custom_thresholds():
    th = Thresholds(on_track=0.95, acceleration_needed=0.5, limited_progress=-0.1)
    a = assess(pts({2025: 0.0, 2026: 11.0}), level(100), state="X", thresholds=th)
    assert a.anticipated == approx(0.55) and a.status == "acceleration_needed"
    b = assess(pts({2025: 0.0, 2026: -1.0}), level(100), state="X", thresholds=th)
    assert b.anticipated == approx(-0.05) and b.status == "limited_progress"


def test_unknown_method():
    with pytest.raises(ValueError):
        assess(pts({2025: 1}), level(2), state="X", method="bogus")


# --------------------------------------------------------------------------- cagr-ratio method


def cagr(points, goal, **kw):
    return assess(points, goal, state="X", method="cagr-ratio", **kw)


def test_cagr_level_increase():
    a = cagr(pts({2024: 8, 2025: 10, 2027: 12}), level(30))
    assert a.baseline.year == 2025 and a.trend.from_year == 2025
    obs, req = 1.2**0.5 - 1, 3**0.2 - 1
    assert a.observed_rate == approx(obs)
    assert a.required_rate == approx(req)
    assert a.ratio == approx(obs / req)  # 0.388
    assert a.projected == approx(12 * (1 + obs) ** 3)
    assert a.anticipated is None
    assert a.progress == approx(0.1) and a.gap == approx(18)
    assert a.years_left == 3
    assert a.status == "limited_progress"


def test_cagr_base_year_is_first_at_or_after_b():
    # 2024 is ignored (projection would take it as the baseline)
    a = cagr(pts({2024: 5, 2026: 10, 2028: 12.1}), level(20))
    assert a.baseline.year == 2026
    assert a.ratio == approx(0.1 / (2**0.25 - 1))
    assert a.status == "limited_progress"
    assert assess(pts({2024: 5, 2026: 10, 2028: 12.1}), level(20), state="X").baseline.year == 2024


def test_cagr_relative_decrease_ratio_positive():
    a = cagr(pts({2025: 100, 2027: 81}), relative(-0.4, "decrease"))
    assert a.target == approx(60)
    assert a.observed_rate == approx(-0.1)
    assert a.required_rate == approx(0.6**0.2 - 1)
    assert a.ratio == approx(-0.1 / (0.6**0.2 - 1))  # both negative: ratio > 0
    assert a.ratio > 1 and a.status == "on_track"


def test_cagr_relative_increase_moving_wrong_way():
    a = cagr(pts({2025: 100, 2026: 90}), relative(1.5))
    assert a.ratio < 0 and a.status == "regressing"


def test_cagr_order_insufficient_before_achieved():
    # only the base year at or after B: insufficient even though the target is met
    a = cagr(pts({2023: 20, 2025: 35}), level(30))
    assert a.status == INSUFFICIENT
    assert a.baseline.year == 2025 and a.gap == -5 and a.observed_rate is None
    assert assess(pts({2023: 20, 2025: 35}), level(30), state="X").status == "achieved"
    # no data at or after B
    b = cagr(pts({2023: 20, 2024: 35}), level(30))
    assert b.status == INSUFFICIENT and b.baseline is None and b.latest.year == 2024
    assert b.target == 30 and b.gap == -5
    assert cagr(pts({2023: 20, 2024: 35}), relative(0.5)).target is None


def test_cagr_achieved():
    a = cagr(pts({2025: 25, 2026: 31}), level(30))
    assert a.status == "achieved"
    b = cagr(pts({2025: 100, 2028: 59}), relative(-0.4, "decrease"))
    assert b.status == "achieved"


def test_cagr_cutoffs_inclusive():
    a = cagr(pts({2025: 10, 2027: 12}), level(30))
    r = a.ratio
    assert cagr(pts({2025: 10, 2027: 12}), level(30), thresholds=Thresholds(r, 0.1, 0)).status == "on_track"
    above = math.nextafter(r, math.inf)
    assert (
        cagr(pts({2025: 10, 2027: 12}), level(30), thresholds=Thresholds(above, r, 0)).status
        == "acceleration_needed"
    )
    assert (
        cagr(pts({2025: 10, 2027: 12}), level(30), thresholds=Thresholds(1, above, r)).status
        == "limited_progress"
    )
    assert (
        cagr(pts({2025: 10, 2027: 12}), level(30), thresholds=Thresholds(1, 0.9, above)).status
        == "regressing"
    )


def test_cagr_target_equals_base():
    a = cagr(pts({2025: 10, 2027: 9}), relative(0.0))
    assert a.required_rate == 0 and a.ratio is None and a.status == "regressing"


def test_cagr_opposite_signs_insufficient():
    a = cagr(pts({2025: 10, 2027: -2}), level(30))
    assert a.status == INSUFFICIENT and a.ratio is None


# --------------------------------------------------------------------------- properties

years_st = st.lists(st.integers(2015, 2030), min_size=2, max_size=10, unique=True)
pos = st.floats(0.01, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def positive_series(draw, min_gap_ok=True):
    years = sorted(draw(years_st))
    if min_gap_ok and years[-1] - years[-2] > 5:
        years[-2] = years[-1] - draw(st.integers(1, 5))
        years = sorted(set(years))
        if len(years) < 2:
            years = [years[0] - 1, years[0]]
    return [Point(y, draw(pos)) for y in years]


@settings(max_examples=100, deadline=None)
@given(positive_series(), st.sampled_from(["increase", "decrease"]), st.floats(0, 1e6))
def test_prop_at_or_beyond_target_is_achieved(points, direction, margin):
    x_t = max(points, key=lambda p: p.year).value
    target = x_t - margin if direction == "increase" else x_t + margin
    a = assess(points, level(target, direction), state="X")
    assert a.status == "achieved"
    assert a.gap <= 0


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(2025, 2030), min_size=2, max_size=6, unique=True),
    st.lists(pos, min_size=6, max_size=6),
    st.sampled_from(["increase", "decrease"]),
    st.floats(0, 1e6),
)
def test_prop_cagr_at_or_beyond_target_is_achieved(years, values, direction, margin):
    points = [Point(y, v) for y, v in zip(sorted(years), values)]
    x_t = points[-1].value
    target = x_t - margin if direction == "increase" else x_t + margin
    assert cagr(points, level(target, direction)).status == "achieved"


goals_st = st.one_of(
    st.builds(level, pos),
    st.builds(relative, st.floats(-0.9, 3.0)),
)


@settings(max_examples=200, deadline=None)
@given(positive_series(min_gap_ok=False), goals_st, st.floats(0.0, 1.0, exclude_max=True),
       st.sampled_from(["projection", "cagr-ratio"]))  # fmt: skip
def test_prop_worse_latest_never_improves_status(points, goal, shrink, method):
    """Increase targets, all values positive, years up to the target year, default thresholds:
    lowering the latest value (keeping it positive) never gives a better status."""
    points = sorted(points, key=lambda p: p.year)
    last = points[-1]
    lower = last.value * (1 - shrink)
    if lower <= 0:
        return
    worse = points[:-1] + [Point(last.year, lower)]
    before = assess(points, goal, state="X", method=method)
    after = assess(worse, goal, state="X", method=method)
    if before.status == INSUFFICIENT:
        assert after.status == INSUFFICIENT  # sufficiency does not depend on the value
    else:
        assert status_rank(after.status) >= status_rank(before.status)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(2010, 2035), st.one_of(st.floats(-1e6, 1e6), st.sampled_from([0.0, -0.0, 1e-9]))),
        max_size=8,
        unique_by=lambda t: t[0],
    ),
    st.one_of(st.builds(level, st.floats(-1e6, 1e6), st.sampled_from(["increase", "decrease"])),
              st.builds(relative, st.floats(-1, 3), st.sampled_from(["increase", "decrease"]))),
    st.sampled_from(["projection", "cagr-ratio"]),
)  # fmt: skip
def test_prop_numbers_finite_or_null(data, goal, method):
    a = assess([Point(y, v) for y, v in data], goal, state="X", method=method)
    for name in FLOAT_FIELDS:
        v = getattr(a, name)
        assert v is None or (isinstance(v, float) and math.isfinite(v)), (name, v)
    assert a.status in STATUS_ORDER + (INSUFFICIENT,)
