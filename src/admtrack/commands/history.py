"""`admtrack history STATE INDICATOR`: every entry of one series, both layers, with what is in force."""

from __future__ import annotations

from dataclasses import dataclass

from admtrack.context import Context
from admtrack.model import Observation, Point
from admtrack.plan import Indicator


@dataclass(frozen=True, slots=True)
class HistoryRow:
    entry: Observation
    layer: str  # "store" | "reference"
    status: str  # current | superseded | retracted | retraction


@dataclass(frozen=True, slots=True)
class History:
    state: str
    indicator: str
    indicator_model: Indicator
    rows: list[HistoryRow]
    points: list[Point]  # current values, by year (derived ones included)


def run(ctx: Context, state: str, indicator: str) -> History:
    code = ctx.state_code(state)
    ind = ctx.indicator_id(indicator)
    mine = [r for r in ctx.entries if r.state == code and r.indicator == ind]
    refs = sorted((e for e in ctx.reference if e.state == code and e.indicator == ind), key=lambda e: e.year)
    in_force = {r.key: r for r in mine}
    rows = []
    for e in refs:
        over = in_force.get(e.key)
        status = "current" if over is None else ("retracted" if over.retracted else "superseded")
        rows.append(HistoryRow(e, "reference", status))
    for r in mine:
        if r.retracted:
            status = "retraction"
        else:
            status = "current" if in_force[r.key] is r else "superseded"
        rows.append(HistoryRow(r, "store", status))
    points = ctx.series().points(ind, code)
    return History(code, ind, ctx.plan.indicators[ind], rows, points)

