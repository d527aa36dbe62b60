"""Properties of the region's constant composition (SPEC §5.5).

What the SPEC's definitions guarantee when a state starts reporting late with a flat series (its own
baseline = its latest value = its projection = v), checked on random data:

* for every rule and both kinds, the newcomer creates no movement: the region's change since the
  baseline and its projected change, summed over the states (× Σw for ``weighted_mean``, × n for
  ``mean``), are unchanged;
* progress and anticipated are exactly unchanged for ``level`` targets (all three rules) when the
  newcomer stands at its own goal (T, or its fair share of a ``sum``), and for every rule and kind
  when every state's own series is flat (the issue's example: progress stays 0).

They are *not* unchanged in general: a flat newcomer away from its own goal adds distance still to go
(T_L − v) to the region's denominator and so dilutes progress and anticipated, as an average does.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from admtrack.model import Goal, Point
from admtrack.region import assess_target

approx = pytest.approx
B, Y, T_LAST = 2025, 2030, 2027
RULES = ("sum", "mean", "weighted_mean")
OLD = ["A", "B", "C", "D"]
MEMBERS = OLD + ["L"]

value_st = st.floats(1.0, 1000.0, allow_nan=False, allow_infinity=False)
weight_st = st.floats(0.5, 100.0, allow_nan=False, allow_infinity=False)


def goal_of(kind: str, direction: str, value: float) -> Goal:
    if kind == "level":
        return Goal("level", direction, value, None, B, Y)
    return Goal("relative", direction, None, 0.5 if direction == "increase" else -0.3, B, Y)


@st.composite
def world(draw, *, flat: bool = False):
    """Random series for the old states, each reporting in T_LAST (so C = all of them, t = T_LAST),
    weights for every member and year, and a late reporter's first year and flat value."""
    values = {}
    for m in draw(st.lists(st.sampled_from(OLD), min_size=1, max_size=4, unique=True)):
        years = set(draw(st.lists(st.integers(2019, T_LAST - 1), max_size=5))) | {T_LAST}
        if flat:
            v = draw(value_st)
            values[m] = [Point(y, v) for y in sorted(years)]
        else:
            values[m] = [Point(y, draw(value_st)) for y in sorted(years)]
    weights = {m: [Point(y, draw(weight_st)) for y in range(2019, T_LAST + 1)] for m in MEMBERS}
    start = draw(st.integers(B + 1, T_LAST))  # the late reporter publishes its first figure after B
    return values, weights, start, draw(value_st)


def with_late(values, start, v):
    return {**values, "L": [Point(y, v) for y in range(start, T_LAST + 1)]}


def run(values, weights, goal, rule):
    return assess_target(values, weights, MEMBERS, goal, rule, min_coverage=0.0)


def scale(region, rule, weights, contributing):
    if rule == "sum":
        return 1.0
    if rule == "mean":
        return float(len(contributing))
    return math.fsum(w for _, w in contributing.values())


@settings(max_examples=150, deadline=None)
@given(world(), st.sampled_from(RULES), st.sampled_from(["level", "relative"]),
       st.sampled_from(["increase", "decrease"]), value_st)
def test_a_flat_late_reporter_creates_no_movement(w, rule, kind, direction, T):
    values, weights, start, v = w
    goal = goal_of(kind, direction, T)
    before, after = run(values, weights, goal, rule), run(with_late(values, start, v), weights, goal, rule)
    rb, ra = before.region, after.region
    assert rb.latest.year == ra.latest.year == T_LAST
    cb, ca = before.series[-1].contributing, after.series[-1].contributing
    assert set(ca) == set(cb) | {"L"}
    kb, ka = scale(rb, rule, weights, cb), scale(ra, rule, weights, ca)
    tol = 1e-9 * max(1.0, kb * 1000, ka * 1000)
    assert ka * (ra.latest.value - ra.baseline.value) == approx(kb * (rb.latest.value - rb.baseline.value), abs=tol)
    if rb.projected is not None:
        assert ka * (ra.projected - ra.latest.value) == approx(kb * (rb.projected - rb.latest.value),
                                                               rel=1e-9, abs=tol)
    # the newcomer's own goal and contribution follow §5.5 whatever it does to the region
    assert after.states["L"].contribution is not None


@settings(max_examples=150, deadline=None)
@given(world(), st.sampled_from(RULES), st.sampled_from(["increase", "decrease"]), value_st)
def test_a_late_reporter_at_its_own_goal_moves_nothing(w, rule, direction, T):
    values, weights, start, _ = w
    goal = goal_of("level", direction, T)
    before = run(values, weights, goal, rule)
    own_goal = before.states["L"].target  # T, or L's fair share of a sum (weights at the region's t)
    after = run(with_late(values, start, own_goal), weights, goal, rule)
    rb, ra = before.region, after.region
    assert after.states["L"].target == approx(own_goal)
    # T = x_B exactly (progress undefined, §5.6) is not kept exactly by floating-point sums: leave it out
    assume(abs(rb.target - rb.baseline.value) > 1e-9 * max(1.0, abs(rb.target)))
    # (a newcomer with two figures can give a trend to a region that had none: compare pace only with one)
    for name in ("progress", "anticipated") if rb.reason is None else ("progress",):
        b, a = getattr(rb, name), getattr(ra, name)
        assert (a is None) == (b is None), name
        if b is not None:
            assert a == approx(b, rel=1e-9, abs=1e-9), name
    if rb.reason is None:
        assert ra.status == rb.status


@settings(max_examples=150, deadline=None)
@given(world(flat=True), st.sampled_from(RULES), st.sampled_from(["level", "relative"]),
       st.sampled_from(["increase", "decrease"]), value_st)
def test_no_state_moves_so_the_region_does_not_move(w, rule, kind, direction, T):
    """The issue's example: every state flat, one more publishing its first figure late at another
    level: progress and anticipated stay 0 (they were 0.48 with a region-level baseline)."""
    values, weights, start, v = w
    goal = goal_of(kind, direction, T)
    for ta in (run(values, weights, goal, rule), run(with_late(values, start, v), weights, goal, rule)):
        r = ta.region
        assert r.progress is None or r.progress == approx(0, abs=1e-9)
        assert r.anticipated is None or r.anticipated == approx(0, abs=1e-9)
        assert r.observed_rate is None or r.observed_rate == approx(0, abs=1e-12)


def test_the_issue_example_large_newcomer():
    flat = {m: [Point(y, 10.0) for y in range(2020, 2028)] for m in OLD}
    weights = {m: [Point(y, 1.0 if m != "L" else 10.0) for y in range(2019, 2028)] for m in MEMBERS}
    goal = goal_of("level", "increase", 30)
    before = run(flat, weights, goal, "weighted_mean").region
    after = run(with_late(flat, 2026, 25.0), weights, goal, "weighted_mean").region
    assert after.latest.value > before.latest.value  # the region's level rose with the newcomer ...
    assert before.progress == after.progress == 0  # ... but nothing moved
    assert before.anticipated == after.anticipated == 0
    assert before.status == after.status == "limited_progress"


@settings(max_examples=200, deadline=None)
@given(world(), st.sampled_from(RULES), st.sampled_from(["level", "relative"]),
       st.sampled_from(["increase", "decrease"]), value_st, st.sampled_from(["projection", "cagr-ratio"]),
       st.booleans())
def test_contributions_split_the_region_gap_exactly(w, rule, kind, direction, T, method, late):
    values, weights, start, v = w
    if late:
        values = with_late(values, start, v)
    ta = assess_target(values, weights, MEMBERS, goal_of(kind, direction, T), rule, method=method,
                       min_coverage=0.0)
    region = ta.region
    contributing = ta.series[-1].contributing
    given_ = {m: a.contribution for m, a in ta.states.items() if a.contribution is not None}
    if region.gap is None:
        return
    assert set(given_) == set(contributing)  # null outside C
    assert math.fsum(given_.values()) == approx(region.gap, rel=1e-9, abs=1e-9 * 1000 * len(MEMBERS))


def test_fair_shares_sum_to_the_goal_and_the_covered_goal():
    values = {"A": [Point(2024, 5.0), Point(2025, 6.0)], "B": [Point(2025, 1.0)]}
    weights = {"A": [Point(2025, 3.0)], "B": [Point(2025, 1.0)], "C": [Point(2025, 4.0)]}
    ta = assess_target(values, weights, ["A", "B", "C"], goal_of("level", "increase", 80), "sum")
    shares = {m: a.target for m, a in ta.states.items()}
    assert shares == {"A": approx(30), "B": approx(10), "C": approx(40)}
    assert ta.region.target == approx(40) and ta.region.goal == 80  # T × weight share 4/8
    assert ta.states["C"].reason == "no_data"
