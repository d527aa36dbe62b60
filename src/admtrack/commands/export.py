"""`admtrack export`: the current observations of both layers (or every entry), as rows for the writers."""

from __future__ import annotations

from admtrack.context import Context
from admtrack.model import Observation

#: what one exported observation holds, in column order (SPEC §4 `admtrack.observations/1`)
FIELDS = ("state", "indicator", "year", "value", "source", "note", "recorded_at", "layer")


def run(ctx: Context, *, all_revisions: bool, states: list[str] | None, indicators: list[str] | None,
        as_of: int | None) -> list[dict]:
    from admtrack.series import layered

    want_states = set(ctx.pick_states(states) or []) or None
    want_inds = {ctx.indicator_id(i, usage=True) for i in indicators} if indicators else None

    def keep(o: Observation) -> bool:
        return ((want_states is None or o.state in want_states)
                and (want_inds is None or o.indicator in want_inds)
                and (as_of is None or o.year <= as_of))

    if all_revisions:
        entries = [*ctx.reference, *ctx.entries]
        return [row(o, revisions=True) for o in entries if keep(o)]
    current, _ = layered(ctx.in_force, ctx.reference, as_of=as_of)
    ordered = sorted(current.values(), key=lambda o: (o.state, o.indicator, o.year))
    return [row(o) for o in ordered if keep(o)]


def row(o: Observation, *, revisions: bool = False) -> dict:
    """One exported observation; with ``revisions`` also whether it is a retraction and why."""
    out = {name: getattr(o, name) for name in FIELDS}
    if revisions:
        out["retracted"] = o.retracted
        out["reason"] = o.reason
    return out

