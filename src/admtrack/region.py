"""The region (ASEAN) series and its assessment (SPEC §5.5, constant composition).

Pure functions: no I/O, no printing, standard library only. :func:`assess_target` is the entry point
for one target: the region, every member state against its own goal, and the contributions.

Choices made where the SPEC is silent (also in the README):

* Member codes in ``values``/``weights`` that are not in ``members`` are ignored; members missing
  from them simply have no data.
* ``weighted_mean`` needs ``weights`` (``ValueError`` when it is None). A weighted-mean year whose
  contributing weights sum to 0 has no value.
* **Coverage** ``weight_share`` = Σ weight(y) of the contributing states / Σ weight(y) of all
  members (weight(y): the most recent weight in [y − 2, y]) when *every* member has a weight at y and
  their total is > 0. Otherwise a weight share cannot be measured honestly, and ``weight_share`` falls
  back to ``states / of``, as without a weight indicator. **Fair shares** of a ``sum`` target follow
  the same rule (T × w_i / Σ w, else T / n), so that Σ fair shares of C = T × weight_share always.
* A fair share needs a year: the region's latest year; where the region has no value, the state's own
  latest year; for a state without any observation either, the target's baseline year.
* **Reported region figures.** A region year exists for every year with a reported ``ASEAN``
  observation, whatever the member coverage. Its ``coverage`` still describes the member data for
  that year. When the latest value is reported, baseline and pace are SPEC §5.1–5.3 on the region's
  own series (reported and aggregated years alike), a ``sum`` target is held against the plan's full
  T (a figure reported for ASEAN covers the bloc), ``carried_forward`` is empty and all contributions
  are null.
* **Pace, latest value aggregated** (projection method): each state of C's own SPEC §5.3 trend on its
  whole series (so a state with an observation after the region's latest year projects from it); a
  state without a trend is held at its own latest observation. ``trend`` (SPEC §5.7) of the region:
  ``from`` = the earliest window start among C's trends, ``to`` = the latest window end, ``points`` =
  the number of distinct years with an observation of a state of C inside its own trend window.
* ``--method cagr-ratio``, latest value aggregated: the Open SDG assessment with a *matched* base —
  the rule over C, with the weights w_i, of each state's own base value (its first observation at or
  after B); base year = the latest of those years; ``no_base_year`` when a state of C has none.
  ``trend.points`` = region years in [base year, t].
* An aggregated region point has as its ``source`` a short description such as
  ``"aggregate: weighted_mean of 8 of 11 member states"``; a reported one keeps its own source.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .assess import (
    _finite,
    apply_projection,
    assess,
    assess_cagr_ratio_from,
    cagr_base,
    fill_levels,
    find_baseline,
    fsum,
    goal_target,
    insufficient,
    pace,
    sorted_points,
    trend,
)
from .model import REGION, Assessment, Coverage, Goal, Point, Thresholds, TrendSpan

__all__ = ["CARRY_YEARS", "RULES", "RegionYear", "TargetAssessment", "assess_target", "fair_shares", "region_series"]

#: A state's observation is carried forward to later region years for at most this many years.
CARRY_YEARS = 2

RULES = ("sum", "mean", "weighted_mean")


@dataclass(frozen=True, slots=True)
class RegionYear:
    """One year of the region series.

    ``contributing``: member code → (the point used, its weight). For ``weighted_mean`` the weight is
    the one the mean uses (same state and year as the value, else the weight's latest in
    [that year − 2, that year]); for ``sum``/``mean`` it is the member's coverage weight at this year
    (None without a weight indicator or when missing). For a reported year it describes the member
    data available, not what the figure was made of.
    ``coverage_weights``: member code → weight(y) used for coverage (empty without a weight indicator).
    """

    year: int
    value: float
    coverage: Coverage
    basis: str  # "aggregated" | "reported"
    contributing: dict[str, tuple[Point, float | None]]
    carried_forward: tuple[str, ...]
    source: str | None = None
    coverage_weights: dict[str, float | None] = field(default_factory=dict)

    @property
    def point(self) -> Point:
        return Point(self.year, self.value, self.source)


def _by_year(points: Sequence[Point]) -> dict[int, Point]:
    return {p.year: p for p in sorted_points(points)}


def _most_recent(series: Mapping[int, Point], year: int) -> Point | None:
    """The observation at ``year``, else the latest in [year − 2, year)."""
    for y in range(year, year - CARRY_YEARS - 1, -1):
        p = series.get(y)
        if p is not None:
            return p
    return None


def _check(rule: str, weights: object) -> None:
    if rule not in RULES:
        raise ValueError(f"unknown aggregation rule: {rule!r}")
    if rule == "weighted_mean" and weights is None:
        raise ValueError("the weighted_mean rule needs weights")


def _aggregate(rule: str, parts: Sequence[tuple[float, float | None]]) -> float | None:
    """Apply the rule to (value, weight) pairs; None when undefined (no parts, zero total weight) or
    not a finite number (an overflow, only with absurd data)."""
    if not parts:
        return None
    if rule == "sum":
        value = fsum(x for x, _ in parts)
    elif rule == "mean":
        value = fsum(x for x, _ in parts) / len(parts)
    else:
        total = fsum(w for _, w in parts)  # type: ignore[misc]
        if total == 0:
            return None
        value = fsum(w * x for x, w in parts) / total  # type: ignore[operator]
    return value if math.isfinite(value) else None


def _year(
    y: int,
    vals: Mapping[str, Mapping[int, Point]],
    wts: Mapping[str, Mapping[int, Point]] | None,
    members: Sequence[str],
    rule: str,
) -> tuple[dict[str, tuple[Point, float | None]], dict[str, float | None], Coverage, float | None]:
    contributing: dict[str, tuple[Point, float | None]] = {}
    cov_w: dict[str, float | None] = {}
    for m in members:
        if wts is not None:
            wp = _most_recent(wts[m], y)
            cov_w[m] = None if wp is None else wp.value
        p = _most_recent(vals[m], y)
        if p is None:
            continue
        if rule == "weighted_mean":
            assert wts is not None
            vw = _most_recent(wts[m], p.year)
            if vw is None:
                continue  # a state with no weight is left out
            contributing[m] = (p, vw.value)
        else:
            contributing[m] = (p, cov_w.get(m))
    n, of = len(contributing), len(members)
    share = n / of if of else 0.0
    if wts is not None and cov_w and all(w is not None for w in cov_w.values()):
        den = fsum(cov_w.values())  # type: ignore[arg-type]
        if 0 < den < math.inf:
            share = fsum(cov_w[m] for m in contributing) / den  # type: ignore[misc]
    value = _aggregate(rule, [(p.value, w) for p, w in contributing.values()])
    return contributing, cov_w, Coverage(states=n, of=of, weight_share=share), value


def region_series(
    values: Mapping[str, Sequence[Point]],
    weights: Mapping[str, Sequence[Point]] | None,
    members: Sequence[str],
    rule: str,
    *,
    reported: Sequence[Point] = (),
    min_coverage: float = 0.5,
    overflowed: list[int] | None = None,
) -> list[RegionYear]:
    """The region series (SPEC §5.5), oldest first; ``overflowed`` (if given) gets the years left out
    because the rule's result is not a finite number (absurd data: 1e308 + 1e308).

    A year is in it when (a) a reported ``ASEAN`` observation exists for it (basis ``"reported"``,
    value = that figure), or (b) some member has an observation in exactly that year, the rule gives a
    value, and the coverage ``weight_share ≥ min_coverage`` (basis ``"aggregated"``). For year y each
    member contributes its latest observation in [y − 2, y] (``carried_forward`` lists those from an
    earlier year, sorted)."""
    _check(rule, weights)
    vals = {m: _by_year(values.get(m, ())) for m in members}
    wts = None if weights is None else {m: _by_year(weights.get(m, ())) for m in members}
    rep = _by_year(reported)
    years = sorted({y for m in members for y in vals[m]} | set(rep))
    out: list[RegionYear] = []
    for y in years:
        contributing, cov_w, coverage, value = _year(y, vals, wts, members, rule)
        carried = tuple(sorted(m for m, (p, _) in contributing.items() if p.year < y))
        if y in rep:
            r = rep[y]
            out.append(RegionYear(y, r.value, coverage, "reported", contributing, carried, r.source, cov_w))
        elif value is not None and coverage.weight_share >= min_coverage:
            source = f"aggregate: {rule} of {coverage.states} of {coverage.of} member states"
            out.append(RegionYear(y, value, coverage, "aggregated", contributing, carried, source, cov_w))
        elif value is None and contributing and coverage.weight_share >= min_coverage and overflowed is not None:
            overflowed.append(y)
    return out


@dataclass(frozen=True, slots=True)
class TargetAssessment:
    """One target assessed (SPEC §5.5): the region, each member state against its own goal (with its
    ``contribution``), and the region series year by year."""

    region: Assessment
    states: dict[str, Assessment]  # member code → assessment, in the order of ``members``
    series: list[RegionYear]


def fair_shares(
    total: float, weights_at: Mapping[str, float | None] | None, members: Sequence[str]
) -> dict[str, float]:
    """SPEC §5.5: each member's fair share of a ``sum`` target's T: T × w_i / Σ w_j over all members
    (``weights_at``: each member's weight at the year in question), or T / n without a weight
    indicator, or when some member has no weight or the total is not > 0 (the coverage rule)."""
    n = len(members)
    ws = None if weights_at is None else [weights_at.get(m) for m in members]
    if ws is not None and all(w is not None for w in ws):
        den = fsum(ws)  # type: ignore[arg-type]
        if 0 < den < math.inf:
            return {m: total * w / den for m, w in zip(members, ws)}  # type: ignore[operator]
    return {m: total / n for m in members}


def _weights_at(wts: Mapping[str, Mapping[int, Point]] | None, members: Sequence[str], year: int):
    if wts is None:
        return None
    out: dict[str, float | None] = {}
    for m in members:
        p = _most_recent(wts[m], year)
        out[m] = None if p is None else p.value
    return out


def _own_base(pts: Sequence[Point], goal: Goal, method: str) -> Point | None:
    """The point a state's own relative goal starts from: its §5.1 baseline, or its cagr-ratio base."""
    return cagr_base(pts, goal.baseline_year) if method == "cagr-ratio" else find_baseline(pts, goal.baseline_year)


def assess_target(
    values: Mapping[str, Sequence[Point]],
    weights: Mapping[str, Sequence[Point]] | None,
    members: Sequence[str],
    goal: Goal,
    rule: str,
    *,
    reported: Sequence[Point] = (),
    thresholds: Thresholds = Thresholds(),
    min_coverage: float = 0.5,
    method: str = "projection",
) -> TargetAssessment:
    """Assess one target for the region and every member state (SPEC §5.5–5.7).

    Each state is assessed against its own goal: T for a level ``mean``/``weighted_mean`` target, its
    fair share (:func:`fair_shares`, weights at the region's latest year) for a level ``sum`` target,
    its own baseline × (1 + change) for a relative one. The region is assessed over C — the states of
    its latest value, with that value's weights — against the region's goal (T; the covered goal
    T × weight_share for a level ``sum``, with ``goal`` = T; x_B × (1 + change) for a relative target),
    with a matched baseline and a bottom-up projection. ``contribution`` splits the region's gap
    exactly among C (null outside C and when the latest value is reported)."""
    _check(rule, weights)
    overflowed: list[int] = []
    series = region_series(values, weights, members, rule, reported=reported, min_coverage=min_coverage,
                           overflowed=overflowed)
    pts = {m: sorted_points(values.get(m, ())) for m in members}
    wts = None if weights is None else {m: _by_year(weights.get(m, ())) for m in members}
    last = series[-1] if series else None

    own_goal: dict[str, float | None] = {}
    explicit: dict[str, float | None] = {m: None for m in members}
    for m in members:
        if goal.kind == "level" and rule == "sum" and goal.value is not None:
            year = last.year if last else (pts[m][-1].year if pts[m] else goal.baseline_year)
            explicit[m] = fair_shares(goal.value, _weights_at(wts, members, year), members)[m]
            own_goal[m] = explicit[m]
        else:
            own_goal[m] = goal_target(goal, _own_base(pts[m], goal, method))
    states = {
        m: assess(pts[m], goal, state=m, thresholds=thresholds, method=method, target=explicit[m]) for m in members
    }

    if last is None:
        region = _no_region_value(goal, rule, any(pts.values()) or bool(reported))
    elif last.basis == "reported":
        region = _reported(series, goal, rule, thresholds, method)
    else:
        region = _constant_composition(series, pts, goal, rule, thresholds, method)
        if region.target is not None:
            _contributions(last, rule, own_goal, goal.direction, states)
    if goal.kind == "level" and rule == "sum":
        region.goal = _finite(goal.value)
    if overflowed:
        region.notes.append("the region's value is not a finite number in " + ", ".join(map(str, overflowed))
                            + " (the figures are too large to add up): those years are left out")
    return TargetAssessment(region, states, series)


def _no_region_value(goal: Goal, rule: str, has_data: bool) -> Assessment:
    a = Assessment(state=REGION)
    if goal.kind == "level" and rule != "sum":
        a.target = _finite(goal.value)
    if has_data:
        return insufficient(a, "low_coverage", "no region value: no year reaches the minimum coverage")
    return insufficient(a, "no_data", "no observations")


def _reported(series: list[RegionYear], goal: Goal, rule: str, thresholds: Thresholds, method: str) -> Assessment:
    """SPEC §5.5: the latest value is a reported figure: §5.1–5.3 on the region's own series."""
    last = series[-1]
    a = assess([ry.point for ry in series], goal, state=REGION, thresholds=thresholds, method=method)
    a.coverage, a.basis = last.coverage, last.basis
    a.notes.append(f"latest value ({last.year}) is a reported region figure")
    return a


def _constant_composition(
    series: list[RegionYear],
    pts: Mapping[str, list[Point]],
    goal: Goal,
    rule: str,
    thresholds: Thresholds,
    method: str,
) -> Assessment:
    """SPEC §5.5 for an aggregated latest value: everything over C with the weights w_i."""
    last = series[-1]
    a = Assessment(state=REGION, coverage=last.coverage, basis=last.basis, carried_forward=last.carried_forward)
    C = last.contributing
    bases = {m: _own_base(pts[m], goal, method) for m in C}
    missing = sorted(m for m, b in bases.items() if b is None)
    if missing:  # cagr-ratio only: a §5.1 baseline always exists for a state with data
        fill_levels(a, goal, None, last.point, _region_goal(goal, rule, last.coverage, None), required=False)
        return insufficient(
            a, "no_base_year", f"no observation in or after {goal.baseline_year} for " + ", ".join(missing)
        )
    found = {m: b for m, b in bases.items() if b is not None}  # every state of C, once none is missing
    x_B = _aggregate(rule, [(found[m].value, w) for m, (_p, w) in C.items()])
    if x_B is None:  # the same weights gave the latest value: only an overflow gets here
        fill_levels(a, goal, None, last.point, _region_goal(goal, rule, last.coverage, None))
        return insufficient(a, "no_data", "matched baseline not computable (overflow)")
    base = Point(max(b.year for b in found.values()), x_B, f"matched: {rule} of the baselines of {len(C)} states")
    target = _region_goal(goal, rule, last.coverage, base)
    a.notes.append(f"baseline matched over the {len(C)} states of the latest value")
    if method == "cagr-ratio":
        points = sum(1 for ry in series if base.year <= ry.year <= last.year)
        return assess_cagr_ratio_from(a, goal, base, last.point, target, thresholds, points=points)

    fill_levels(a, goal, base, last.point, target)
    Y = goal.target_year
    parts: list[tuple[float, float | None]] = []
    spans: list[tuple[int, int]] = []
    years: set[int] = set()
    for m, (_p, w) in C.items():
        tr = trend(pts[m], Y)
        if tr is None:
            parts.append((pts[m][-1].value, w))  # no trend: held at its latest value
            continue
        parts.append((tr.projected, w))
        spans.append((tr.from_year, tr.to_year))
        years.update(p.year for p in pts[m] if tr.from_year <= p.year <= tr.to_year)
    if target is None:
        return insufficient(a, "no_target", "no target value")
    if not spans:
        return insufficient(a, "no_trend", "no state of the latest value has a trend (2 observations within 5 years)")
    projected = _aggregate(rule, parts)
    if projected is None:
        return insufficient(a, "no_trend", "projection not computable (overflow)")
    a.trend = TrendSpan(min(f for f, _ in spans), max(t for _, t in spans), len(years))
    rate, linear = pace(last.value, projected, Y - last.year)
    a.observed_rate = _finite(rate)
    a.notes.append(
        f"pace built bottom-up from the projections of {len(parts)} states ({len(spans)} with a "
        "trend)" + ("; linear" if linear else "")
    )
    return apply_projection(a, goal, projected, target, thresholds)


def _region_goal(goal: Goal, rule: str, coverage: Coverage, base: Point | None) -> float | None:
    """SPEC §5.5 the region's goal: T; the covered goal T × weight_share for a level ``sum``;
    x_B × (1 + change) for a relative target."""
    if goal.kind == "level" and rule == "sum":
        return None if goal.value is None else goal.value * coverage.weight_share
    return goal_target(goal, base)


def _contributions(
    last: RegionYear,
    rule: str,
    own_goal: Mapping[str, float | None],
    direction: str,
    states: Mapping[str, Assessment],
) -> None:
    """SPEC §5.5 contributions, set on the states' assessments: with g_i = T_i − x_i (x_i − T_i for
    decrease; T_i the state's own goal, x_i its value in the latest region year), ``weighted_mean``
    w_i g_i / Σw, ``mean`` g_i / n, ``sum`` g_i. Σ = the region's gap. States outside C keep null."""
    parts = last.contributing
    if any(own_goal[m] is None for m in parts):
        return
    sign = 1.0 if direction == "increase" else -1.0
    n = len(parts)
    total = fsum(w for _, w in parts.values()) if rule == "weighted_mean" else None  # type: ignore[misc]
    for m, (p, w) in parts.items():
        g = sign * (own_goal[m] - p.value)  # type: ignore[operator]
        if rule == "weighted_mean":
            c = w * g / total  # type: ignore[operator]
        elif rule == "mean":
            c = g / n
        else:
            c = g
        states[m].contribution = _finite(c)
