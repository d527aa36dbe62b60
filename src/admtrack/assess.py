"""Assessment of one series against one goal (SPEC §5.1–5.4).

Pure functions: no I/O, no printing, standard library only.

Notation (SPEC §5): target value ``T`` at target year ``Y``; baseline year ``B`` with value ``x_B``;
latest observation ``x_t`` at year ``t``. "Better" means higher for ``increase`` and lower for
``decrease``.

Choices made where the SPEC is silent (also listed in the module's callers' README):

* ``points`` must hold at most one observation per year; a duplicate year raises ``ValueError``
  (revisions are resolved by the caller). Order does not matter.
* ``insufficient_data`` still carries every number that can be computed without a trend: baseline,
  latest, target, progress, attainment, gap, required_rate and years_left. The trend fields
  (observed_rate, projected, anticipated, shortfall, trend_from) are filled whenever the trend window
  has two points, whatever the status (so an ``achieved`` series still shows where its trend leads).
* ``years_left`` is ``Y − t`` as is (zero or negative once the target year is reached or passed);
  ``required_rate`` is null when ``Y − t ≤ 0``.
* Projection when ``t > Y`` (data after the target year): the same formulas, which then give the
  trend's estimate at ``Y``.
* **Baseline already at or better than the target** (``x_B`` at or better than ``T``, e.g. an increase
  target of 30 with ``x_B = 32``) while the latest value is not: ``T − x_B`` then points the wrong way,
  so ``anticipated`` (still reported, as the SPEC defines it) would read a falling series as
  ``on_track``. The status uses the SPEC's ``T = x_B`` rule instead: ``on_track`` if the projection is
  at or better than ``T``, else ``regressing``. For ``T = x_B`` this is exactly the SPEC's rule.
* Numbers that overflow (only with absurd data) are reported as null; the status is decided on the
  unrounded (possibly infinite) values. A result that is not a number at all gives
  ``insufficient_data`` with a note.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .model import INSUFFICIENT, STATUSES, Assessment, Goal, Point, Thresholds

__all__ = [
    "Trend",
    "assess",
    "assess_levels",
    "apply_projection",
    "attainment",
    "find_baseline",
    "gap",
    "goal_target",
    "is_met",
    "pace",
    "projection_status",
    "required_rate",
    "sorted_points",
    "status_rank",
    "trend",
    "TREND_YEARS",
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


def _better_or_equal(a: float, b: float, direction: str) -> bool:
    """``a`` is at or better than ``b``."""
    return a >= b if direction == "increase" else a <= b


def is_met(value: float, target: float, direction: str) -> bool:
    """``value`` is at or better than ``target`` (SPEC §5.4 ``achieved``)."""
    return _better_or_equal(value, target, direction)


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
    observed_rate: float  # per year: compound rate, or change per year when ``linear``
    projected: float  # the value projected to the target year (may be ±inf on overflow)
    linear: bool  # a value in the window is ≤ 0


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
        return Trend(f, t, rate, projected, False)
    rate = (x_t - x_f) / (t - f)
    projected = x_t + rate * n if n != 0 else x_t
    return Trend(f, t, rate, projected, True)


def projection_status(
    direction: str,
    baseline: float,
    target: float,
    projected: float,
    anticipated: float | None,
    thresholds: Thresholds,
) -> str:
    """SPEC §5.4 step 3 (the series is known to have a trend and not to be achieved).

    By ``anticipated`` against the cut-offs; when ``T = x_B`` — and, extending that rule, when the
    baseline is already at or better than T — ``on_track`` if the projection is at or better than T,
    else ``regressing``."""
    if target == baseline or _better_or_equal(baseline, target, direction):
        if math.isnan(projected):
            return INSUFFICIENT
        return "on_track" if _better_or_equal(projected, target, direction) else "regressing"
    if anticipated is None or math.isnan(anticipated):
        return INSUFFICIENT
    return _by_cutoffs(anticipated, thresholds)


def _by_cutoffs(value: float, thresholds: Thresholds) -> str:
    if value >= thresholds.on_track:
        return "on_track"
    if value >= thresholds.acceleration_needed:
        return "acceleration_needed"
    if value >= thresholds.limited_progress:
        return "limited_progress"
    return "regressing"


def _shortfall(projected: float, target: float, direction: str) -> float:
    return max(0.0, gap(projected, target, direction))


def _anticipated(projected: float, baseline: float, target: float) -> float | None:
    if target == baseline:
        return None
    return (projected - baseline) / (target - baseline)


def _fill_levels(a: Assessment, goal: Goal, baseline: Point | None, latest: Point, target: float | None) -> None:
    """SPEC §5.2 fields from baseline, latest and target (whatever is computable)."""
    a.latest = latest
    a.baseline = baseline
    a.target = _finite(target)
    a.years_left = goal.target_year - latest.year
    if target is None:
        return
    x_t = latest.value
    a.gap = _finite(gap(x_t, target, goal.direction))
    a.attainment = _finite(attainment(x_t, target, goal.direction))
    if baseline is not None and target != baseline.value:
        a.progress = _finite((x_t - baseline.value) / (target - baseline.value))


# --------------------------------------------------------------------------- the assessment


def assess_levels(points: Sequence[Point], goal: Goal, *, state: str) -> Assessment:
    """SPEC §5.1–5.2 only, on sorted points: baseline, latest, target, progress, attainment, gap,
    required_rate and years_left; status left at ``insufficient_data``."""
    a = Assessment(state=state)
    if not points:
        a.notes.append("no observations")
        return a
    latest = points[-1]
    baseline = find_baseline(points, goal.baseline_year)
    target = goal_target(goal, baseline)
    _fill_levels(a, goal, baseline, latest, target)
    if baseline is not None and baseline.year != goal.baseline_year:
        a.notes.append(f"baseline taken from {baseline.year} (no {goal.baseline_year} observation)")
    if target is not None:
        rate, linear = required_rate(latest.value, target, goal.target_year - latest.year)
        a.required_rate = _finite(rate)
        if linear:
            a.notes.append("required pace is linear (change per year): a value is not > 0")
    return a


def assess(
    points: Sequence[Point],
    goal: Goal,
    *,
    state: str,
    thresholds: Thresholds = Thresholds(),
    method: str = "projection",
) -> Assessment:
    """Assess one series (SPEC §5.1–5.4) and return a fully filled :class:`Assessment`.

    ``points``: the series' current observations, any order, one per year, already cut at ``--as-of``.
    ``method``: ``"projection"`` (SPEC §5.3–5.4, the default) or ``"cagr-ratio"`` (Open SDG).

    Projection method, in order: ``insufficient_data`` when there is no observation, no target value
    (a level goal without ``value``), or fewer than 2 points in the trend window [t − 5, t];
    ``achieved`` when x_t is at or better than T; then ``anticipated`` against the thresholds (see
    :func:`projection_status` for ``T = x_B`` and a baseline already beyond the target).
    """
    if method == "cagr-ratio":
        return _assess_cagr_ratio(points, goal, state=state, thresholds=thresholds)
    if method != "projection":
        raise ValueError(f"unknown method: {method!r}")
    pts = sorted_points(points)
    a = assess_levels(pts, goal, state=state)
    if a.latest is None:
        return a
    latest, target = a.latest, goal_target(goal, a.baseline)

    tr = trend(pts, goal.target_year)
    if tr is not None:
        a.trend_from = tr.from_year
        a.observed_rate = _finite(tr.observed_rate)
        if tr.linear:
            a.notes.append("observed pace is linear (change per year): a value in the trend window is ≤ 0")
        apply_projection(a, goal, tr.projected, thresholds)
        return a
    a.status = INSUFFICIENT
    if target is None:
        a.notes.append("no target value")
    a.notes.append(f"fewer than 2 observations in {latest.year - TREND_YEARS}–{latest.year}")
    return a


def apply_projection(a: Assessment, goal: Goal, projected: float, thresholds: Thresholds) -> None:
    """Given the projected value at Y, set ``projected``, ``anticipated``, ``shortfall`` and the status
    (SPEC §5.3–5.4, steps 2–3) of an assessment whose §5.1–5.2 fields are filled."""
    a.projected = _finite(projected)
    latest, baseline = a.latest, a.baseline
    target = goal_target(goal, baseline)
    if latest is None or baseline is None or target is None:
        a.status = INSUFFICIENT
        if target is None:
            a.notes.append("no target value")
        return
    anticipated = _anticipated(projected, baseline.value, target)
    a.anticipated = _finite(anticipated)
    a.shortfall = _finite(_shortfall(projected, target, goal.direction))
    if is_met(latest.value, target, goal.direction):
        a.status = "achieved"
        return
    a.status = projection_status(goal.direction, baseline.value, target, projected, anticipated, thresholds)
    if target != baseline.value and _better_or_equal(baseline.value, target, goal.direction):
        a.notes.append("baseline already at or beyond the target: status from projection vs target")
    if a.status == INSUFFICIENT:
        a.notes.append("projection not computable")


def _open_sdg_growth(current: float, base: float, t1: float, t0: float) -> float | None:
    """sdg-build ``growth_calculation``: ``(val1 / val2)^(1/(t1 − t0)) − 1``; None where numpy would
    give NaN (a negative ratio) or divide by zero (``t1 = t0``)."""
    if t1 - t0 == 0:
        return None
    ratio = current / base
    if ratio < 0:
        return None
    return _pow(ratio, 1 / (t1 - t0)) - 1


def _assess_cagr_ratio(
    points: Sequence[Point], goal: Goal, *, state: str, thresholds: Thresholds
) -> Assessment:
    """``--method cagr-ratio``: the Open SDG / Statistics Canada assessment (SPEC §5.4).

    Follows sdg-build ``sdg/ProgressMeasure.py``. The *order* is that of its original
    ``measure_indicator_progress`` / ``methodology_2`` (as the SPEC requires): base year = the first
    year with data at or after B (none → ``insufficient_data``); ``insufficient_data`` when
    ``t − base < 1`` even if the target is met; then ``achieved`` when x_t is at or better than T;
    then ``ratio`` against the cut-offs (``ratio ≥ on_track`` → on_track, ``≥ acceleration_needed`` →
    acceleration_needed, ``≥ limited_progress`` → limited_progress, else regressing).

    The ratio and its edge cases follow the current ``SeriesProgress.methodology_2``:
    ``ratio = sign × direction × observed_rate / |required_rate|`` with ``direction`` +1 for increase,
    −1 for decrease and ``sign`` −1 when the base value is negative. For the usual case (target on the
    far side of the base value in the target's direction) this equals the plain
    ``observed_rate / required_rate`` of the original code — for a decrease target both rates are
    negative and the ratio is positive. Also as sdg-build does: a base value of 0 or a target of 0 is
    replaced by 0.001 in the rates (the reported target stays 0 and the ``achieved`` test uses it);
    base and current values of opposite signs, or a target of the opposite sign to the base, give
    no ratio → ``insufficient_data`` (sdg-build: ``not_available``). Where ``required_rate`` is 0
    (``T = x_base``) sdg-build divides by zero and gets ±inf: the status is ``on_track``/``regressing``
    by the sign of the observed rate and ``ratio`` is null. A base year at or after the target year
    gives no required rate → ``insufficient_data``.

    Fields under this method: ``baseline`` = the base year's point (it gives T for relative targets);
    ``observed_rate = (x_t/x_base)^(1/(t − base)) − 1``; ``required_rate = (T/x_base)^(1/(Y − base))
    − 1`` (from the base year, not from now); ``ratio``; ``projected = x_t (1 + observed_rate)^(Y − t)``;
    ``anticipated`` null; ``trend_from`` = base year; progress, attainment, gap, shortfall,
    years_left as in the projection method. Rates and ratio are filled whenever computable, also for
    ``achieved`` series.
    """
    pts = sorted_points(points)
    a = Assessment(state=state)
    if not pts:
        a.notes.append("no observations")
        return a
    latest = pts[-1]
    B, Y = goal.baseline_year, goal.target_year
    base = next((p for p in pts if p.year >= B), None)
    target = goal_target(goal, base)
    _fill_levels(a, goal, base, latest, target)
    if base is None:
        a.notes.append(f"no observation in or after the base year {B}")
        a.status = INSUFFICIENT
        return a
    if base.year != B:
        a.notes.append(f"base year {base.year} (first observation after {B})")
    a.trend_from = base.year
    t = latest.year
    x_t = latest.value
    base_value = base.value if base.value != 0 else _OPEN_SDG_ZERO

    observed = None
    if t - base.year >= 1 and (x_t == 0 or (x_t > 0) == (base_value > 0)):
        observed = _open_sdg_growth(x_t, base_value, t, base.year)
    required = None
    if target is not None:
        target_for_rate = target if target != 0 else _OPEN_SDG_ZERO
        if Y > base.year:
            required = _open_sdg_growth(target_for_rate, base_value, Y, base.year)
    a.observed_rate = _finite(observed)
    a.required_rate = _finite(required)
    if observed is not None:
        projected = x_t * _pow(1 + observed, Y - t) if Y != t else x_t
        a.projected = _finite(projected)
        if target is not None:
            a.shortfall = _finite(_shortfall(projected, target, goal.direction))

    signed = None  # sign × direction × observed_rate
    ratio = None
    if observed is not None:
        signed = (-1 if base_value < 0 else 1) * (1 if goal.direction == "increase" else -1) * observed
        if required is not None and required != 0:
            ratio = signed / abs(required)
            a.ratio = _finite(ratio)

    if target is None:
        a.notes.append("no target value")
        a.status = INSUFFICIENT
    elif t - base.year < 1:
        a.notes.append("only one year of data at or after the base year")
        a.status = INSUFFICIENT
    elif is_met(x_t, target, goal.direction):
        a.status = "achieved"
    elif ratio is not None and not math.isnan(ratio):
        a.status = _by_cutoffs(ratio, thresholds)
    elif signed is not None and required == 0 and signed != 0 and not math.isnan(signed):
        a.status = "on_track" if signed > 0 else "regressing"
    else:
        a.notes.append("growth ratio not computable (values of opposite signs or no years left)")
        a.status = INSUFFICIENT
    return a
