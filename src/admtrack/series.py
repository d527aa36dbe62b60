"""Current values per state and indicator (SPEC §2.2–2.3, §2.1 derived indicators). Pure: no I/O.

Layers, lowest first: the bundled reference figures, then the user's store (its latest entry for a
(state, indicator, year) wins; a retraction hides the figure in every layer). Derived indicators are then
computed for every state and year where their inputs exist and no value was recorded.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from admtrack.model import Key, Observation, Point

if TYPE_CHECKING:
    from admtrack.plan import Plan



def layered(latest: Mapping[Key, Observation], reference: Iterable[Observation], *, as_of: int | None = None,
            indicators: set[str] | None = None) -> tuple[dict[Key, Observation], set[Key]]:
    """Current recorded observations by key, and the keys hidden by a retraction.

    ``latest``: the store's entry in force per key; ``indicators``: keep only these (the caller knows which
    a report needs)."""
    out: dict[Key, Observation] = {}
    for e in reference:
        if (as_of is None or e.year <= as_of) and (indicators is None or e.indicator in indicators):
            out[e.key] = e
    retracted: set[Key] = set()
    pop = out.pop
    for key, o in latest.items():
        if (as_of is not None and o.year > as_of) or (indicators is not None and o.indicator not in indicators):
            continue
        if o.retracted:
            pop(key, None)
            retracted.add(key)
        else:
            out[key] = o
    return out, retracted


class Series:
    """Per indicator, per state: the current points sorted by year (recorded and derived)."""

    def __init__(self, plan: Plan, current: dict[Key, Observation], retracted: Iterable[Key] = ()) -> None:
        self.plan = plan
        self.obs: dict[Key, Observation] = dict(current)
        self._by: dict[str, dict[str, dict[int, Observation]]] = {}
        for o in current.values():
            self._by.setdefault(o.indicator, {}).setdefault(o.state, {})[o.year] = o
        self._retracted = set(retracted)
        self._derived_done: set[str] = set()
        for ind in plan.indicators.values():
            if ind.derive:
                self._derive(ind.id, ())

    def _derive(self, ind_id: str, stack: tuple[str, ...]) -> None:
        ind = self.plan.indicators[ind_id]
        if not ind.derive or ind_id in self._derived_done or ind_id in stack:
            return
        a_id, b_id = ind.derive.of
        for dep in (a_id, b_id):
            self._derive(dep, stack + (ind_id,))
        a_all = self._by.get(a_id, {})
        b_all = self._by.get(b_id, {})
        mine = self._by.setdefault(ind_id, {})
        scale = ind.derive.scale
        op = ind.derive.op
        sym = "×" if op == "product" else "/"
        formula = f"{ind_id} = {scale:g} × {a_id} {sym} {b_id}" if scale != 1 else f"{ind_id} = {a_id} {sym} {b_id}"
        for state, a_years in a_all.items():
            b_years = b_all.get(state)
            if not b_years:
                continue
            have = mine.setdefault(state, {})
            for year, a in a_years.items():
                b = b_years.get(year)
                if b is None or year in have or (state, ind_id, year) in self._retracted:
                    continue
                x, y = a.value, b.value
                if x is None or y is None or (op == "ratio" and y == 0):
                    continue  # current figures always have a value; a ratio needs a divisor
                value = scale * x * y if op == "product" else scale * x / y
                if not math.isfinite(value):
                    continue  # an overflow (absurd inputs): no derived figure rather than inf
                source = f"derived: {formula} ({a_id}: {a.source or 'no source'}; {b_id}: {b.source or 'no source'})"
                o = Observation(state, ind_id, year, value, source, layer="derived")
                have[year] = o
                self.obs[(state, ind_id, year)] = o
            if not have:
                del mine[state]
        self._derived_done.add(ind_id)

    def points(self, indicator: str, state: str) -> list[Point]:
        years = self._by.get(indicator, {}).get(state, {})
        return [Point(y, o.value, o.source, o.obs_status) for y in sorted(years)
                if (o := years[y]).value is not None]

    def by_state(self, indicator: str, states) -> dict[str, list[Point]]:
        return {s: self.points(indicator, s) for s in states}

    def get(self, state: str, indicator: str, year: int) -> Observation | None:
        return self._by.get(indicator, {}).get(state, {}).get(year)
