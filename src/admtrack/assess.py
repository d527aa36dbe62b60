"""Assessment of one series against one goal (SPEC §5.1–5.4, §5.6, §5.7).

Pure functions: no I/O, no printing, standard library only.

Notation (SPEC §5): target value ``T`` at target year ``Y``; baseline year ``B`` with value ``x_B``;
latest observation ``x_t`` at year ``t``. "Better" means higher for ``increase`` and lower for
``decrease``.

Choices made where the SPEC is silent (also listed in the README):

* ``points`` must hold at most one observation per year; a duplicate year raises ``ValueError``
  (revisions are resolved by the caller). Order does not matter.
* ``insufficient_data`` still carries every number that can be computed without a trend: baseline,
  latest, target, progress, attainment, gap, required_rate and years_left; a level target names its
  value even for a series without data. The trend fields (observed_rate, projected, anticipated,
  shortfall, trend) are filled whenever the trend window has two points, whatever the status (so an
  ``achieved`` series still shows where its trend leads).
* ``reason`` (SPEC §5.7), in this order: ``no_data``, ``no_target``, then ``no_trend``. A projection
  that is not a number (only with absurd data: ∞ − ∞) also gives ``no_trend``, with a note.
* ``years_left`` is ``Y − t`` as is (zero or negative once the target year is reached or passed);
  ``required_rate`` is null when ``Y − t ≤ 0``.
* Projection when ``t > Y`` (data after the target year): the same formulas, which then give the
  trend's estimate at ``Y``.
* **Baseline at or better than the target** (SPEC §5.6, ``T = x_B`` included): ``progress`` and
  ``anticipated`` are null with a note; after ``achieved`` the status is ``on_track`` when the
  projection is at or better than ``T``, else ``regressing``.
* Numbers that overflow (only with absurd data) are reported as null; the status is decided on the
  unrounded (possibly infinite) values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .model import INSUFFICIENT, STATUSES, Assessment, Goal, Point, Reason, Thresholds, TrendSpan

__all__ = [
    "TREND_YEARS",
    "Trend",
    "apply_projection",
    "assess",
    "assess_cagr_ratio_from",
    "attainment",
    "baseline_meets_target",
    "cagr_base",
    "fill_levels",
    "find_baseline",
    "fsum",
    "gap",
    "goal_target",
    "insufficient",
    "is_met",
    "pace",
    "required_rate",
    "sorted_points",
    "status_rank",
    "trend",
]

#: The trend window reaches this many years back from the latest observation (SPEC §5.3).
TREND_YEARS = 5

#: Open SDG replaces a zero base value or target by this to avoid dividing by zero.
_OPEN_SDG_ZERO = 0.001

_RANK = {status: i for i, status in enumerate(STATUSES)}


# --------------------------------------------------------------------------- small helpers


def status_rank(status: str) -> int:
    """achieved=0, on_track=1, acceleration_needed=2, limited_progress=3, regressing=4,
    insufficient_data=5. Raises ``ValueError`` for an unknown status."""
    try:
        return _RANK[status]
    except KeyError:
        raise ValueError(f"unknown status: {status!r}") from None


def _pow(base: float, exp: float) -> float:
    """``base ** exp`` for ``base ≥ 0`` that returns ``inf`` instead of raising on overflow."""
    try:
        return base**exp
    except (OverflowError, ZeroDivisionError):
        return math.inf


def _finite(x: float | None) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return float(x)


def fsum(xs: Iterable[float]) -> float:
    """``math.fsum`` that gives ±inf (or nan) instead of raising when an intermediate sum overflows."""
    items = list(xs)
    try:
        return math.fsum(items)
    except (OverflowError, ValueError):
        return sum(items, 0.0)


def is_met(value: float, target: float, direction: str) -> bool:
    """``value`` is at or better than ``target`` (SPEC §5.4 ``achieved``)."""
    return value >= target if direction == "increase" else value <= target


def baseline_meets_target(baseline: float, target: float, direction: str) -> bool:
    """SPEC §5.6: x_B is already at or better than T (``T = x_B`` included)."""
    return is_met(baseline, target, direction)


def sorted_points(points: Sequence[Point]) -> list[Point]:
    """The points by year; ``ValueError`` when a year occurs twice."""
    pts = sorted(points, key=lambda p: p.year)
    for a, b in zip(pts, pts[1:]):
        if a.year == b.year:
            raise ValueError(f"two observations for year {a.year}")
    return pts


def find_baseline(points: Sequence[Point], baseline_year: int) -> Point | None:
    """SPEC §5.1: the observation at B; else the latest before B; else the earliest after B.

    ``points`` must be sorted by year (see :func:`sorted_points`)."""
    before: Point | None = None
    for p in points:
        if p.year == baseline_year:
            return p
        if p.year < baseline_year:
            before = p
        else:
            return before if before is not None else p
    return before


def cagr_base(points: Sequence[Point], baseline_year: int) -> Point | None:
    """SPEC §5.4 ``--method cagr-ratio``: the first observation at or after B (sorted points)."""
    return next((p for p in points if p.year >= baseline_year), None)


def goal_target(goal: Goal, baseline: Point | None) -> float | None:
    """The value to reach: ``goal.value`` for a level target; ``x_B × (1 + change)`` for a relative
    one (None without a baseline). None also when the goal lacks its value / change."""
    if goal.kind == "level":
        return None if goal.value is None else float(goal.value)
    if goal.kind == "relative":
        if baseline is None or goal.change is None:
            return None
        return baseline.value * (1 + goal.change)
    raise ValueError(f"unknown target kind: {goal.kind!r}")


def gap(latest: float, target: float, direction: str) -> float:
    """``T − x_t`` (increase) or ``x_t − T`` (decrease): positive = still to go."""
    return target - latest if direction == "increase" else latest - target


def attainment(latest: float, target: float, direction: str) -> float | None:
    """``x_t / T`` (increase) or ``T / x_t`` (decrease); None on a zero divisor."""
    if direction == "increase":
        return None if target == 0 else latest / target
    return None if latest == 0 else target / latest


def pace(start: float, end: float, years: float) -> tuple[float | None, bool]:
    """The annual pace leading from ``start`` to ``end`` in ``years`` years.

    Compound ``(end / start)^(1/years) − 1`` when both are > 0, else linear ``(end − start) / years``.
    Returns ``(rate, linear)``; rate None when ``years ≤ 0``."""
    if years <= 0:
        return None, False
    if start > 0 and end > 0:
        return _pow(end / start, 1 / years) - 1, False
    return (end - start) / years, True


def required_rate(latest: float, target: float, years_left: int) -> tuple[float | None, bool]:
    """SPEC §5.2: ``(T / x_t)^(1/(Y − t)) − 1``, linear ``(T − x_t)/(Y − t)`` when T or x_t is not
    > 0; None when ``Y − t ≤ 0``. Returns ``(rate, linear)``."""
    return pace(latest, target, years_left)


@dataclass(frozen=True, slots=True)
class Trend:
    """The SPEC §5.3 trend of one series."""

    from_year: int  # f: first point of the window
    to_year: int  # t: the latest point
    points: int  # observations in the window (SPEC §5.7)
    observed_rate: float  # per year: compound rate, or change per year when ``linear``
    projected: float  # the value projected to the target year (may be ±inf on overflow)
    linear: bool  # a value in the window is ≤ 0

    @property
    def span(self) -> TrendSpan:
        return TrendSpan(self.from_year, self.to_year, self.points)


def trend(points: Sequence[Point], target_year: int) -> Trend | None:
    """SPEC §5.3 on sorted points: the window is the points with year in [t − 5, t]; None when it
    holds fewer than 2 points. Compound pace and projection, linear when a window value is ≤ 0."""
    if not points:
        return None
    last = points[-1]
    t = last.year
    window = [p for p in points if t - TREND_YEARS <= p.year <= t]
    if len(window) < 2:
        return None
    first = window[0]
    f = first.year
    x_t, x_f = last.value, first.value
    n = target_year - t
    if all(p.value > 0 for p in window):
        rate = _pow(x_t / x_f, 1 / (t - f)) - 1
        projected = x_t * _pow(1 + rate, n) if n != 0 else x_t
        return Trend(f, t, len(window), rate, projected, False)
    rate = (x_t - x_f) / (t - f)
    projected = x_t + rate * n if n != 0 else x_t
    return Trend(f, t, len(window), rate, projected, True)


def _by_cutoffs(value: float, thresholds: Thresholds) -> str:
    if value >= thresholds.on_track:
        return "on_track"
    if value >= thresholds.acceleration_needed:
        return "acceleration_needed"
    if value >= thresholds.limited_progress:
        return "limited_progress"
    return "regressing"


def insufficient(a: Assessment, reason: Reason, note: str) -> Assessment:
    """Mark ``a`` as ``insufficient_data`` for ``reason`` (SPEC §5.7) and return it."""
    a.status = INSUFFICIENT
    a.reason = reason
    a.notes.append(note)
    return a


# --------------------------------------------------------------------------- the assessment


def fill_levels(
    a: Assessment, goal: Goal, baseline: Point | None, latest: Point, target: float | None,
    *, required: bool = True,
) -> None:
    """SPEC §5.1–5.2 and §5.6 on ``a``: baseline, latest, target, progress, attainment, gap,
    required_rate (unless not ``required``: another method computes it) and years_left — whatever is
    computable. Progress is null (with a note) when the baseline already meets the target (SPEC §5.6)."""
    a.latest = latest
    a.baseline = baseline
    a.target = _finite(target)
    a.years_left = goal.target_year - latest.year
    if baseline is not None and baseline.year != goal.baseline_year:
        a.notes.append(f"baseline taken from {baseline.year} (no {goal.baseline_year} observation)")
    if target is None:
        return
    x_t = latest.value
    a.gap = _finite(gap(x_t, target, goal.direction))
    a.attainment = _finite(attainment(x_t, target, goal.direction))
    if baseline is not None:
        if baseline_meets_target(baseline.value, target, goal.direction):
            a.notes.append("baseline already at or beyond the target (SPEC §5.6): progress and anticipated "
                           "not defined; status from the projection against the target")
        else:
            a.progress = _finite((x_t - baseline.value) / (target - baseline.value))
    if not required:
        return
    rate, linear = required_rate(x_t, target, a.years_left)
    a.required_rate = _finite(rate)
    if linear:
        a.notes.append("required pace is linear (change per year): a value is not > 0")


def apply_projection(
    a: Assessment, goal: Goal, projected: float, target: float, thresholds: Thresholds
) -> Assessment:
    """SPEC §5.3–5.4 and §5.6, given the projected value at Y, on an assessment whose §5.1–5.2
    fields are filled (latest and baseline set): ``projected``, ``anticipated``, ``shortfall`` and
    the status. Returns ``a``."""
    latest, baseline = a.latest, a.baseline
    assert latest is not None and baseline is not None
    a.projected = _finite(projected)
    a.shortfall = _finite(max(0.0, gap(projected, target, goal.direction)))
    beyond = baseline_meets_target(baseline.value, target, goal.direction)
    anticipated = None if beyond else (projected - baseline.value) / (target - baseline.value)
    a.anticipated = _finite(anticipated)
    if is_met(latest.value, target, goal.direction):
        a.status = "achieved"
    elif math.isnan(projected) or (anticipated is not None and math.isnan(anticipated)):
        insufficient(a, "no_trend", "projection not computable")
    elif beyond:  # SPEC §5.6
        a.status = "on_track" if is_met(projected, target, goal.direction) else "regressing"
    else:
        assert anticipated is not None
        a.status = _by_cutoffs(anticipated, thresholds)
    return a


def assess(
    points: Sequence[Point],
    goal: Goal,
    *,
    state: str,
    thresholds: Thresholds = Thresholds(),
    method: str = "projection",
    target: float | None = None,
) -> Assessment:
    """Assess one series (SPEC §5.1–5.4, §5.6, §5.7) and return a fully filled :class:`Assessment`.

    ``points``: the series' current observations, any order, one per year, already cut at ``--as-of``.
    ``method``: ``"projection"`` (SPEC §5.3–5.4, the default) or ``"cagr-ratio"`` (Open SDG).
    ``target``: the value to reach when the goal does not give it directly — a state's fair share of a
    ``sum`` target (SPEC §5.5); None = from the goal (T, or the series' baseline × (1 + change)).

    Projection method, in order: ``insufficient_data`` when there is no observation (``no_data``), no
    target value (``no_target``), or fewer than 2 points in the trend window [t − 5, t]
    (``no_trend``); ``achieved`` when x_t is at or better than T; then ``anticipated`` against the
    thresholds, or SPEC §5.6 when the baseline already meets T.
    """
    if method == "cagr-ratio":
        return _assess_cagr_ratio(points, goal, state=state, thresholds=thresholds, target=target)
    if method != "projection":
        raise ValueError(f"unknown method: {method!r}")
    pts = sorted_points(points)
    a = Assessment(state=state)
    if not pts:
        return _no_observations(a, goal, target)
    latest = pts[-1]
    baseline = find_baseline(pts, goal.baseline_year)
    T = target if target is not None else goal_target(goal, baseline)
    fill_levels(a, goal, baseline, latest, T)
    tr = trend(pts, goal.target_year)
    if tr is not None:
        a.trend = tr.span
        a.observed_rate = _finite(tr.observed_rate)
        a.projected = _finite(tr.projected)
        if tr.linear:
            a.notes.append("observed pace is linear (change per year): a value in the trend window is ≤ 0")
    if T is None:
        return insufficient(a, "no_target", "no target value")
    if tr is None:
        return insufficient(a, "no_trend", f"fewer than 2 observations in {latest.year - TREND_YEARS}–{latest.year}")
    return apply_projection(a, goal, tr.projected, T, thresholds)


# --------------------------------------------------------------------------- --method cagr-ratio


def _open_sdg_growth(current: float, base: float, t1: float, t0: float) -> float | None:
    """sdg-build ``growth_calculation``: ``(val1 / val2)^(1/(t1 − t0)) − 1``; None where numpy would
    give NaN (a negative ratio) or divide by zero (``t1 = t0``)."""
    if t1 - t0 == 0:
        return None
    ratio = current / base
    if ratio < 0:
        return None
    return _pow(ratio, 1 / (t1 - t0)) - 1


def _no_observations(a: Assessment, goal: Goal, target: float | None) -> Assessment:
    """SPEC §5.7 ``no_data``, naming the value to reach where it is known (a level goal, an explicit one)."""
    a.target = _finite(target if target is not None else goal_target(goal, None))
    return insufficient(a, "no_data", "no observations")


def _assess_cagr_ratio(
    points: Sequence[Point], goal: Goal, *, state: str, thresholds: Thresholds, target: float | None
) -> Assessment:
    """``--method cagr-ratio`` on one series: base year = the first year with data at or after B
    (none → ``insufficient_data``, reason ``no_base_year``); then :func:`assess_cagr_ratio_from`."""
    pts = sorted_points(points)
    a = Assessment(state=state)
    if not pts:
        return _no_observations(a, goal, target)
    latest = pts[-1]
    base = cagr_base(pts, goal.baseline_year)
    T = target if target is not None else goal_target(goal, base)
    points_used = sum(1 for p in pts if base is not None and base.year <= p.year <= latest.year)
    return assess_cagr_ratio_from(a, goal, base, latest, T, thresholds, points=points_used)


def assess_cagr_ratio_from(
    a: Assessment,
    goal: Goal,
    base: Point | None,
    latest: Point,
    target: float | None,
    thresholds: Thresholds,
    *,
    points: int,
) -> Assessment:
    """The Open SDG / Statistics Canada assessment (SPEC §5.4 ``--method cagr-ratio``) from a base
    point, the latest point and the value to reach; ``points``: observations in [base, t] (for
    ``trend``). Returns ``a``, filled.

    Follows sdg-build ``sdg/ProgressMeasure.py``. The *order* is the SPEC's (that of the original
    ``measure_indicator_progress``): no base year → ``no_base_year``; ``t − base < 1`` →
    ``one_year`` even if the target is met; then ``achieved``; then ``ratio`` against the cut-offs.

    The ratio and its edge cases follow the current ``SeriesProgress.methodology_2``:
    ``ratio = sign × direction × observed_rate / |required_rate|`` with ``direction`` +1 for increase,
    −1 for decrease and ``sign`` −1 when the base value is negative. A base value of 0 is replaced by
    0.001 in the rates, and so is a **target of 0** — in the rates *and* in the ``achieved`` test, as
    sdg-build does (the reported ``target``, gap and shortfall keep the plan's 0). Base and current
    values of opposite signs, or a target of the opposite sign to the base, give no ratio →
    ``no_trend`` (sdg-build: ``not_available``). Where ``required_rate`` is 0 (``T = x_base``)
    sdg-build divides by zero and gets ±inf: the status is ``on_track``/``regressing`` by the sign of
    the observed rate and ``ratio`` is null.

    Departure kept on purpose: a **base year at or after the target year** gives ``no_base_year``.
    sdg-build raises ZeroDivisionError (base year = Y, given in the config) or gets an infinite
    exponent (base year = Y, taken from the data), and for a base year after Y computes a "required"
    rate backwards in time; none of these is a statement about progress towards Y.

    Fields: ``baseline`` = the base point (it gives T for relative targets); ``observed_rate =
    (x_t/x_base)^(1/(t − base)) − 1``; ``required_rate = (T/x_base)^(1/(Y − base)) − 1`` (from the base
    year, not from now); ``ratio``; ``projected = x_t (1 + observed_rate)^(Y − t)``; ``anticipated``
    null; ``trend`` = base year → t; progress, attainment, gap, shortfall, years_left as in the
    projection method. Rates and ratio are filled whenever computable, also for ``achieved`` series.
    """
    B, Y = goal.baseline_year, goal.target_year
    fill_levels(a, goal, base, latest, target, required=False)  # required_rate: from the base year, below
    if base is None:
        return insufficient(a, "no_base_year", f"no observation in or after the base year {B}")
    if base.year != B:
        a.notes.append(f"base year {base.year} (first observation after {B})")
    t, x_t = latest.year, latest.value
    base_value = base.value if base.value != 0 else _OPEN_SDG_ZERO
    target_sdg = None if target is None else (target if target != 0 else _OPEN_SDG_ZERO)
    if target == 0:
        a.notes.append("target 0 replaced by 0.001 in the rates and the achieved test (as sdg-build does)")

    observed = None
    if t - base.year >= 1 and (x_t == 0 or (x_t > 0) == (base_value > 0)):
        observed = _open_sdg_growth(x_t, base_value, t, base.year)
    required = None
    if target_sdg is not None and base.year < Y:
        required = _open_sdg_growth(target_sdg, base_value, Y, base.year)
    a.observed_rate = _finite(observed)
    a.required_rate = _finite(required)
    if observed is not None:
        a.trend = TrendSpan(base.year, t, points)
        projected = x_t * _pow(1 + observed, Y - t) if t != Y else x_t
        a.projected = _finite(projected)
        if target is not None:
            a.shortfall = _finite(max(0.0, gap(projected, target, goal.direction)))

    signed = None  # sign × direction × observed_rate
    ratio = None
    if observed is not None:
        signed = (-1 if base_value < 0 else 1) * (1 if goal.direction == "increase" else -1) * observed
        if required is not None and required != 0:
            ratio = signed / abs(required)
            a.ratio = _finite(ratio)

    if target_sdg is None:
        return insufficient(a, "no_target", "no target value")
    if base.year >= Y:
        return insufficient(a, "no_base_year", f"base year {base.year} is not before the target year {Y}")
    if t - base.year < 1:
        return insufficient(a, "one_year", "only one year of data at or after the base year")
    if is_met(x_t, target_sdg, goal.direction):
        a.status = "achieved"
    elif ratio is not None and not math.isnan(ratio):
        a.status = _by_cutoffs(ratio, thresholds)
    elif signed is not None and required == 0 and signed != 0 and not math.isnan(signed):
        a.status = "on_track" if signed > 0 else "regressing"
    else:
        insufficient(a, "no_trend", "growth ratio not computable (values of opposite signs)")
    return a
