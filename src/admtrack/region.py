"""The region (ASEAN) series and its assessment (SPEC §5.5).

Pure functions: no I/O, no printing, standard library only.

Choices made where the SPEC is silent:

* Member codes in ``values``/``weights`` that are not in ``members`` are ignored; members missing
  from them simply have no data.
* ``weighted_mean`` needs ``weights`` (``ValueError`` when it is None). A weighted-mean year whose
  contributing weights sum to 0 has no value.
* **Coverage** ``weight_share`` = Σ weight(y) of the contributing states / Σ weight(y) of all
  members (weight(y): the most recent weight in [y − 2, y]) when *every* member has a weight at y and
  their total is > 0. Otherwise a weight share cannot be measured honestly (leaving the unknown
  members out would overstate it), and ``weight_share`` falls back to ``states / of``, as without a
  weight indicator.
* **Reported region figures.** A region year exists for every year with a reported ``ASEAN``
  observation, whatever the member coverage (the reported figure covers the region by definition).
  Its ``coverage`` still describes the member data for that year (``states`` may be 0, then
  ``weight_share`` is 0.0), so a reader sees how much member data lies behind it. The region
  assessment's ``carried_forward`` is empty when the latest value is reported (no member value went
  into it), and all contributions are null.
* **Pace, latest value aggregated** (projection method): each contributing state's own SPEC §5.3
  trend, computed on its whole series (so a state with an observation after the region's latest year
  projects from that newer observation); a state without a trend is held at its latest observation.
  ``observed_rate`` is the pace from x_t,region to the projection over ``Y − t`` years (compound when
  both are > 0, else linear; null when ``Y − t ≤ 0``). ``trend_from`` is the earliest window start
  among the contributing states' trends.
* **Pace, latest value reported** (projection method): SPEC §5.3 on the region series itself (its
  reported and aggregated years alike), since no member breakdown lies behind the reported figure.
* ``--method cagr-ratio``: the Open SDG method on the region series itself (reported and
  aggregated years alike); contributions use the target that method yields.
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
    assess_levels,
    pace,
    sorted_points,
    trend,
)
from .model import INSUFFICIENT, REGION, Assessment, Coverage, Goal, Point, Thresholds

__all__ = ["CARRY_YEARS", "RULES", "RegionYear", "assess_region", "region_series"]

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
    """Apply the rule to (value, weight) pairs; None when undefined (no parts, zero total weight)."""
    if not parts:
        return None
    if rule == "sum":
        return math.fsum(x for x, _ in parts)
    if rule == "mean":
        return math.fsum(x for x, _ in parts) / len(parts)
    total = math.fsum(w for _, w in parts)  # type: ignore[misc]
    if total == 0:
        return None
    return math.fsum(w * x for x, w in parts) / total  # type: ignore[operator]


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
        den = math.fsum(cov_w.values())  # type: ignore[arg-type]
        if den > 0:
            share = math.fsum(cov_w[m] for m in contributing) / den  # type: ignore[misc]
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
) -> list[RegionYear]:
    """The region series (SPEC §5.5), oldest first.

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
    return out


def _contributions(
    last: RegionYear, rule: str, target: float, direction: str, members: Sequence[str]
) -> dict[str, float | None]:
    """Each contributing state's share of the region's gap at its latest (aggregated) year.

    weighted_mean: w_i (T − x_i) / Σw; mean: (T − x_i) / n; sum: T w_i / Σw − x_i with the coverage
    weights at that year (T / n − x_i without a weight indicator, or when a contributing state has
    no weight at that year). Signs flip for decrease. Σ = the region's gap."""
    out: dict[str, float | None] = {m: None for m in members}
    parts = last.contributing
    n = len(parts)
    sign = 1.0 if direction == "increase" else -1.0
    if rule == "weighted_mean":
        total = math.fsum(w for _, w in parts.values())  # type: ignore[misc]
        for m, (p, w) in parts.items():
            out[m] = sign * w * (target - p.value) / total  # type: ignore[operator]
    elif rule == "mean":
        for m, (p, _) in parts.items():
            out[m] = sign * (target - p.value) / n
    else:
        ws = [w for _, w in parts.values()]
        total = math.fsum(w for w in ws if w is not None)
        if all(w is not None for w in ws) and total > 0:
            for m, (p, w) in parts.items():
                out[m] = sign * (target * w / total - p.value)  # type: ignore[operator]
        else:
            for m, (p, _) in parts.items():
                out[m] = sign * (target / n - p.value)
    return {m: _finite(c) for m, c in out.items()}


def assess_region(
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
) -> tuple[Assessment, dict[str, float | None]]:
    """Assess the region (SPEC §5.5) against ``goal``.

    Returns the region's :class:`Assessment` (``state="ASEAN"``, with ``coverage``, ``basis`` and
    ``carried_forward`` of its latest year) and the contributions: member code → share of the
    region's gap (None for members that did not contribute at the latest region year; all None when
    the latest value is reported or there is no target value).

    Baseline, latest, target, progress, attainment, gap and required_rate come from the region series
    (SPEC §5.1–5.2). Under the projection method the pace is bottom-up when the latest value is
    aggregated: ``projected`` = the rule applied to the contributing states' own projections (weights
    held at those of the latest region year), then ``anticipated``, ``shortfall`` and the status as
    SPEC §5.3–5.4; ``insufficient_data`` when there is no latest value, no baseline or no contributing
    state with a trend. See the module docstring for the reported and cagr-ratio cases."""
    series = region_series(
        values, weights, members, rule, reported=reported, min_coverage=min_coverage
    )
    points = [ry.point for ry in series]
    contributions: dict[str, float | None] = {m: None for m in members}
    aggregated = bool(series) and series[-1].basis == "aggregated"
    if method == "projection" and aggregated:
        # SPEC §5.1–5.2 on the region series; the pace bottom-up.
        a = assess_levels(points, goal, state=REGION)
        _bottom_up(a, series[-1], values, rule, goal, thresholds)
    else:
        # cagr-ratio, a reported latest value, or no region value: the region series itself.
        a = assess(points, goal, state=REGION, thresholds=thresholds, method=method)
    if not series:
        a.notes.append("no region value: no year reaches the minimum coverage")
        return a, contributions
    last = series[-1]
    a.coverage = last.coverage
    a.basis = last.basis
    if not aggregated:
        a.notes.append(f"latest value ({last.year}) is a reported region figure")
        return a, contributions
    a.carried_forward = last.carried_forward
    if a.target is not None:
        contributions = _contributions(last, rule, a.target, goal.direction, members)
    return a, contributions


def _bottom_up(
    a: Assessment,
    last: RegionYear,
    values: Mapping[str, Sequence[Point]],
    rule: str,
    goal: Goal,
    thresholds: Thresholds,
) -> None:
    """Set the bottom-up pace and the status of the region assessment ``a`` (SPEC §5.5)."""
    Y = goal.target_year
    parts: list[tuple[float, float | None]] = []
    starts: list[int] = []
    for m, (_p, w) in last.contributing.items():
        pts = sorted_points(values.get(m, ()))
        tr = trend(pts, Y)
        if tr is None:
            parts.append((pts[-1].value, w))  # no trend: held at its latest value
        else:
            parts.append((tr.projected, w))
            starts.append(tr.from_year)
    latest = a.latest
    assert latest is not None
    if not starts:
        a.notes.append("no contributing state has a trend (2 observations within 5 years)")
        a.status = INSUFFICIENT
        return
    projected = _aggregate(rule, parts)
    assert projected is not None
    a.trend_from = min(starts)
    rate, linear = pace(latest.value, projected, Y - latest.year)
    a.observed_rate = _finite(rate)
    a.notes.append(
        f"pace built bottom-up from the projections of {len(parts)} contributing states "
        f"({len(starts)} with a trend)" + ("; linear" if linear else "")
    )
    apply_projection(a, goal, projected, thresholds)
