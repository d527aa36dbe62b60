"""`admtrack explain TARGET [--state CODE]`: how a figure was built (SPEC §3, §5.5, §8).

For the region: its series year by year — the states that made each value (their years, values and
weights, those carried forward), those left out and why, the coverage and whether the year reaches
``min_coverage`` — then the matched baseline and the projection of every state of the latest value, and
the assessment. For a state: its points with their layer, source and status, the baseline choice, the
trend window and the assessment. The document is schema ``admtrack.explain/1``; renderers turn it into
tables. Every number here comes from the same core functions as `status` (nothing is recomputed).
"""

from __future__ import annotations

from typing import Any

from admtrack.assess import TREND_YEARS, cagr_base, find_baseline, sorted_points, trend
from admtrack.context import Context
from admtrack.errors import UsageError
from admtrack.model import REGION, Point
from admtrack.plan import Target

SCHEMA = "admtrack.explain/1"


def run(ctx: Context, target_id: str, state: str | None, *, as_of: int | None, method: str) -> dict[str, Any]:
    from admtrack import report
    from admtrack.render.emit import assessment_doc, plan_head, target_head

    target = ctx.plan.target_by_id.get(target_id.strip())
    if target is None:
        raise UsageError(f"target: unknown target {target_id!r} (one of: {', '.join(ctx.plan.target_by_id)})")
    code = REGION if state is None else ctx.state_code(state, usage=True)
    result = report.run(ctx, target=[target.id], as_of=as_of, method=method)
    tr = result.targets[0]
    head = {"schema": SCHEMA, "plan": plan_head(ctx.plan), "as_of": result.as_of, "as_recorded": ctx.as_recorded,
            "method": method, "target": target_head(tr), "state": code}
    series = ctx.series(as_of=as_of, indicators={target.indicator} | ({target.weight} if target.weight else set()))
    if code == REGION:
        doc = head | _region(ctx, target, series, method)
        doc["no_baseline"] = None if tr.region.baseline is not None else _no_region_baseline(ctx, target, doc, series)
        doc["assessment"] = assessment_doc(tr.region, method=method, region=True,
                                           sum_target=target.aggregate == "sum")
        return doc
    a = next(s for s in tr.states if s.state == code)
    doc = head | _state(ctx, target, series, code, method)
    doc["no_baseline"] = None if a.baseline is not None else _no_state_baseline(ctx, target, doc, method)
    doc["assessment"] = assessment_doc(a, method=method)
    return doc


def _no_region_baseline(ctx: Context, target: Target, doc: dict[str, Any], series) -> str:
    """Why the region has no baseline (SPEC §5.5: it is matched over the states of the latest value)."""
    B = ctx.plan.goal(target).baseline_year
    latest = next((y for y in reversed(doc["years"]) if y["used"]), None)
    if latest is None:
        if doc["years"]:
            return f"the region has no figure: no year reaches the minimum coverage of {doc['min_coverage']:.0%}"
        if any(series.by_state(target.indicator, list(ctx.plan.state_codes)).values()):
            return f"the region has no figure: no member state with a figure has a weight ({target.weight})"
        return "the region has no figure: no member state has one"
    if latest["basis"] == "reported":
        return f"no figure reported for the region in or after {B} (the cagr-ratio base year)"
    have = {p["state"] for p in doc["baseline_parts"]}
    missing = [c["state"] for c in latest["contributors"] if c["state"] not in have]
    if missing:
        return (f"no observation in or after {B} (the cagr-ratio base year) for {', '.join(missing)}, "
                f"{'one' if len(missing) == 1 else 'some'} of the {len(latest['contributors'])} states of the "
                f"latest value ({latest['year']}), over which the baseline is matched")
    return "the matched baseline is not computable (overflow)"


def _no_state_baseline(ctx: Context, target: Target, doc: dict[str, Any], method: str) -> str:
    """Why a state has no baseline (SPEC §5.1, §5.4)."""
    if not doc["points"]:
        return "no figure"
    B = ctx.plan.goal(target).baseline_year
    if method == "cagr-ratio":
        return f"no observation in or after {B} (the cagr-ratio base year)"
    return "no figure"  # a §5.1 baseline exists for any state with a figure


def _region(ctx: Context, target: Target, series, method: str) -> dict[str, Any]:
    from admtrack.region import region_series

    plan = ctx.plan
    members = list(plan.state_codes)
    goal = plan.goal(target)
    values = series.by_state(target.indicator, members)
    weights = series.by_state(target.weight, members) if target.weight else None
    reported = series.points(target.indicator, REGION)
    min_cov = plan.meta.min_coverage
    years: list[dict[str, Any]] = []
    for ry in region_series(values, weights, members, target.aggregate, reported=reported, min_coverage=0.0):
        used = ry.basis == "reported" or ry.coverage.weight_share >= min_cov
        if ry.basis == "reported":
            contributors = [{"state": REGION, "year": ry.year, "value": ry.value, "weight": 1.0, "carried": False,
                             "source": ry.source, "obs_status": _status_of(reported, ry.year)}]
            left_out = [{"state": m, "reason": "a figure reported for the region as a whole is used"}
                        for m in members]
        else:
            contributors = [_contributor(m, p, w, ry.year, target) for m, (p, w) in ry.contributing.items()]
            left_out = [{"state": m, "reason": _why_left_out(m, values, weights, ry.year, target.aggregate)}
                        for m in members if m not in ry.contributing]
        c = ry.coverage
        years.append({"year": ry.year, "value": ry.value, "basis": ry.basis, "used": used,
                      "coverage": {"states": c.states, "of": c.of, "weight_share": c.weight_share},
                      "contributors": contributors, "left_out": left_out})
    latest: dict[str, Any] | None = next((y for y in reversed(years) if y["used"]), None)
    baseline_parts: list[dict[str, Any]] = []
    projection_parts: list[dict[str, Any]] = []
    if latest is not None and latest["basis"] == "aggregated":
        for part in latest["contributors"]:
            pts = sorted_points(values[part["state"]])
            base = cagr_base(pts, goal.baseline_year) if method == "cagr-ratio" else find_baseline(
                pts, goal.baseline_year)
            if base is not None:
                baseline_parts.append({"state": part["state"], "year": base.year, "value": base.value,
                                       "weight": part["weight"]})
            tr = trend(pts, goal.target_year)
            projection_parts.append({
                "state": part["state"], "latest": {"year": pts[-1].year, "value": pts[-1].value},
                "projected": pts[-1].value if tr is None else tr.projected,
                "trend": None if tr is None else {"from": tr.from_year, "to": tr.to_year,
                                                  "points": sum(1 for p in pts if tr.from_year <= p.year)},
            })
    return {"min_coverage": min_cov, "years": years, "baseline_parts": baseline_parts,
            "projection_parts": projection_parts}


def _contributor(state: str, p: Point, weight: float | None, year: int, target: Target) -> dict[str, Any]:
    # the weight the rule uses: 1 for a mean, and for a sum (whose weight indicator only measures coverage)
    w = weight if target.aggregate == "weighted_mean" else 1.0
    return {"state": state, "year": p.year, "value": p.value, "weight": w, "carried": p.year < year,
            "source": p.source, "obs_status": p.obs_status}


def _why_left_out(state: str, values, weights, year: int, rule: str) -> str:
    from admtrack.region import CARRY_YEARS

    recent = [p for p in values[state] if year - CARRY_YEARS <= p.year <= year]
    if not recent:
        return f"no figure in {year - CARRY_YEARS}–{year}"
    if rule == "weighted_mean":
        return f"no weight in {recent[-1].year - CARRY_YEARS}–{recent[-1].year}"
    return "left out"


def _status_of(points: list[Point], year: int) -> str | None:
    return next((p.obs_status for p in points if p.year == year), None)


def _state(ctx: Context, target: Target, series, code: str, method: str) -> dict[str, Any]:
    goal = ctx.plan.goal(target)
    observations = [series.get(code, target.indicator, p.year) for p in series.points(target.indicator, code)]
    points = [{"year": o.year, "value": o.value, "layer": o.layer, "source": o.source, "obs_status": o.obs_status,
               "derived": o.layer == "derived"} for o in observations if o is not None]
    pts = sorted_points(series.points(target.indicator, code))
    B = goal.baseline_year
    baseline: dict[str, Any] | None = None
    if method == "cagr-ratio":
        base = cagr_base(pts, B)
        if base is not None:
            why = (f"the observation at {B}" if base.year == B
                   else f"no {B} observation: the first one after it (Open SDG's base year)")
            baseline = {"year": base.year, "value": base.value, "why": why}
    else:
        base = find_baseline(pts, B)
        if base is not None:
            if base.year == B:
                why = f"the observation at {B}"
            elif base.year < B:
                why = f"no {B} observation: the latest one before it"
            else:
                why = f"no observation at or before {B}: the earliest one after it"
            baseline = {"year": base.year, "value": base.value, "why": why}
    window = None
    if pts:
        t = pts[-1].year
        in_window = [p.year for p in pts if t - TREND_YEARS <= p.year <= t]
        if len(in_window) >= 2:
            window = [in_window[0], t]
    return {"points": points, "baseline": baseline, "trend_window": window}
