"""`admtrack export`: the current observations of both layers (or every entry), for the writers.

What an exported observation holds, and in which column order, is ``render.columns.EXPORT``.
"""

from __future__ import annotations

from admtrack.context import Context
from admtrack.model import Observation


def run(ctx: Context, *, all_revisions: bool, states: list[str] | None, indicators: list[str] | None,
        as_of: int | None, targets: list[str] | None = None) -> list[Observation]:
    """The observations to export, in order: current values by (state, indicator, year), or with
    ``all_revisions`` every entry (reference layer first, then the store in recording order).
    ``targets``: the indicators those targets measure (a derived one: what it is computed from) and their
    weights, beside any ``indicators``."""
    from admtrack.series import layered

    want_states = set(ctx.pick_states(states) or []) or None
    want_inds = {ctx.indicator_id(i, usage=True) for i in indicators} if indicators else None
    if targets:
        picked = ctx.pick_targets(targets)
        measured = ctx.with_inputs([t.indicator for t in picked] + [t.weight for t in picked if t.weight])
        want_inds = (want_inds or set()) | measured

    def keep(o: Observation) -> bool:
        return ((want_states is None or o.state in want_states)
                and (want_inds is None or o.indicator in want_inds)
                and (as_of is None or o.year <= as_of))

    if all_revisions:
        return [o for o in (*ctx.reference, *ctx.entries) if keep(o)]
    current, _ = layered(ctx.in_force, ctx.reference, as_of=as_of)
    ordered = sorted(current.values(), key=lambda o: (o.state, o.indicator, o.year))
    return [o for o in ordered if keep(o)]
