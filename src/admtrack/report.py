"""Builds the status/gaps result: picks the series, calls the pure assessment core, orders rows.

No printing and no arithmetic of its own beyond selecting data; renderers turn the result into output.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from admtrack.assess import status_rank as rank
from admtrack.model import INSUFFICIENT, REGION, Assessment, Goal
from admtrack.plan import Indicator, Plan, Target


@dataclass
class TargetResult:
    target: Target
    indicator: Indicator
    region: Assessment
    states: list[Assessment]
    goal: Goal | None = None  # what the target asks (its own baseline and target years included)


@dataclass
class Result:
    plan: Plan
    as_of: int
    method: str
    targets: list[TargetResult]
    state_filter: list[str] | None = None
    region_selected: bool = True
    as_recorded: str | None = None  # the vintage (SPEC §8), None for the data as it stands


def run(ctx, *, state=None, target=None, as_of=None, method="projection") -> Result:
    from admtrack.region import assess_target

    plan = ctx.plan
    chosen_targets = ctx.pick_targets(target)
    chosen_states = ctx.pick_states(state)
    members = list(plan.state_codes)
    needed = {t.indicator for t in chosen_targets} | {t.weight for t in chosen_targets if t.weight}
    series = ctx.series(as_of=as_of, indicators=needed)
    thresholds = plan.thresholds
    out: list[TargetResult] = []
    for tgt in chosen_targets:
        goal = plan.goal(tgt)
        values = series.by_state(tgt.indicator, members)
        weights = series.by_state(tgt.weight, members) if tgt.weight else None
        reported = series.points(tgt.indicator, REGION)
        assessed = assess_target(
            values, weights, members, goal, tgt.aggregate, reported=reported, thresholds=thresholds,
            min_coverage=plan.meta.min_coverage, method=method)
        rows = [assessed.states[s] for s in members if chosen_states is None or s in chosen_states]
        out.append(TargetResult(tgt, plan.indicators[tgt.indicator], assessed.region, rows, goal))
    region_selected = chosen_states is None or REGION in chosen_states
    if as_of is None:  # the year the data stood in: today's, or that of the --as-recorded day (a report reproduced)
        as_of = int(ctx.as_recorded[:4]) if ctx.as_recorded else date.today().year
    return Result(plan, as_of, method, out,
                  chosen_states, region_selected, ctx.as_recorded)


def gap_rows(result: Result) -> list[tuple[TargetResult, Assessment]]:
    """(target, assessment) pairs worst first (SPEC §4, §5.7): by status (regressing first), then by
    ``shortfall_share`` largest first (rows without one last within their status); insufficient_data
    last. Ties: target, the region before the states, state code. The region's rows are included
    when it is selected."""
    pairs: list[tuple[TargetResult, Assessment]] = []
    for tr in result.targets:
        if result.region_selected:
            pairs.append((tr, tr.region))
        pairs.extend((tr, a) for a in tr.states)

    def key(pair):
        tr, a = pair
        insufficient = a.status == INSUFFICIENT
        share = a.shortfall_share
        return (insufficient, -rank(a.status), share is None, -(share or 0.0), tr.target.id, a.state != REGION,
                a.state)

    return sorted(pairs, key=key)


def failing(result: Result, status: str) -> list[str]:
    """Series at ``status`` or worse (insufficient_data never counts), as 'target/STATE'."""
    limit = rank(status)
    hits: list[str] = []
    for tr in result.targets:
        series = list(tr.states)
        if result.region_selected:
            series.insert(0, tr.region)
        for a in series:
            if a.status != INSUFFICIENT and rank(a.status) >= limit:
                hits.append(f"{tr.target.id}/{a.state}")
    return hits
