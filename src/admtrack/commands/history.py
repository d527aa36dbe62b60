"""`admtrack history STATE INDICATOR`: every entry of one series, both layers, with what became of it."""

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
    rows: list[HistoryRow]  # oldest year first; within a year, in recording order (reference layer first)
    points: list[Point]  # current values, by year (derived ones included)
    as_recorded: str | None = None  # the vintage (SPEC §8)


def run(ctx: Context, state: str, indicator: str, *, as_of: int | None = None) -> History:
    """SPEC §8: the entries of both layers, oldest year first and within a year in recording order (a
    bundled figure before the store entries that revise or retract it). Each value entry's status says what
    became of it, whatever its layer: ``current``; ``superseded`` by a later value; ``retracted`` when the
    next entry for its year withdrew it. A retraction entry reads ``retraction``. ``as_of``: years after it
    are left out (SPEC §3)."""
    code = ctx.state_code(state)
    ind = ctx.indicator_id(indicator)
    top = as_of if as_of is not None else float("inf")
    refs = [e for e in ctx.reference if e.state == code and e.indicator == ind and e.year <= top]
    mine = ctx.entries_where(lambda r: r.state == code and r.indicator == ind and r.year <= top)
    by_year: dict[int, list[tuple[Observation, str]]] = {}
    for e in refs:
        by_year.setdefault(e.year, []).append((e, "reference"))
    for r in mine:
        by_year.setdefault(r.year, []).append((r, "store"))
    rows = []
    for year in sorted(by_year):
        chain = by_year[year]
        for i, (e, layer) in enumerate(chain):
            if e.retracted:
                status = "retraction"
            elif i == len(chain) - 1:
                status = "current"
            else:
                status = "retracted" if chain[i + 1][0].retracted else "superseded"
            rows.append(HistoryRow(e, layer, status))
    points = ctx.series(indicators={ind}, as_of=as_of).points(ind, code)
    return History(code, ind, ctx.plan.indicators[ind], rows, points, ctx.as_recorded)
