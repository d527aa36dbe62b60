"""What recording means (SPEC §2.2): validating rows against the plan, and deciding, against the store,
whether each row is new, unchanged, a revision or a conflict. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from admtrack.errors import AdmError
from admtrack.model import REGION
from admtrack.store import Entry
from admtrack.validate import FieldError, check_bounds, check_number, check_text, check_year


def check_row(plan, raw: Mapping[str, Any], *, max_year: int | None = None) -> Entry:
    """A clean Entry from raw fields (text or JSON values), or FieldError naming the first bad field."""
    state_raw = raw.get("state")
    if state_raw is None or (isinstance(state_raw, str) and not state_raw.strip()):
        raise FieldError("state", "is required")
    if not isinstance(state_raw, str):
        raise FieldError("state", f"must be text, got {type(state_raw).__name__}")
    state = plan.resolve_state(state_raw.strip())
    if state is None:
        raise FieldError("state", f"unknown state {state_raw.strip()!r} (see `admtrack states`)")
    ind_raw = raw.get("indicator")
    if ind_raw is None or (isinstance(ind_raw, str) and not ind_raw.strip()):
        raise FieldError("indicator", "is required")
    if not isinstance(ind_raw, str):
        raise FieldError("indicator", f"must be text, got {type(ind_raw).__name__}")
    ind_id = ind_raw.strip()
    indicator = plan.indicators.get(ind_id) or plan.indicators.get(ind_id.lower())
    if indicator is None:
        raise FieldError("indicator", f"unknown indicator {ind_id!r} (see `admtrack targets`)")
    if "year" not in raw or raw.get("year") is None:
        raise FieldError("year", "is required")
    year = check_year(raw.get("year"), max_year=max_year)
    if "value" not in raw or raw.get("value") is None:
        raise FieldError("value", "is required")
    value = check_number(raw.get("value"))
    check_bounds(value, indicator.min, indicator.max, indicator.unit)
    source = check_text("source", raw.get("source"))
    note = check_text("note", raw.get("note"))
    return Entry(state, indicator.id, year, value, source, note, None)


def check_stored(plan, rows: list, path) -> list[str]:
    """Plan checks of stored rows (known state and indicator, year range, bounds): 'file:line: field: reason'."""
    from admtrack.errors import where
    from admtrack.validate import MIN_YEAR, current_year

    out: list[str] = []
    codes = set(plan.state_codes) | {REGION}
    bounds = {i.id: (i.min, i.max, i.unit) for i in plan.indicators.values()}
    top = current_year()
    for r in rows:
        state, ind_id, year, value = r[0], r[1], r[2], r[3]
        if state not in codes:
            out.append(f"{where(path, r[9])}: state: unknown state {state!r}")
            continue
        b = bounds.get(ind_id)
        if b is None:
            out.append(f"{where(path, r[9])}: indicator: unknown indicator {ind_id!r}")
            continue
        if not MIN_YEAR <= year <= top:
            out.append(f"{where(path, r[9])}: year: must be between {MIN_YEAR} and {top}, got {year}")
        lo, hi, unit = b
        if value is not None and ((lo is not None and value < lo) or (hi is not None and value > hi)):
            try:
                check_bounds(value, lo, hi, unit)
            except FieldError as exc:
                out.append(f"{where(path, r[9])}: {exc.field}: {exc.reason}")
    return out


@dataclass
class Decision:
    append: list[Entry] = field(default_factory=list)
    recorded: int = 0
    unchanged: int = 0
    revised: int = 0
    outcomes: list[str] = field(default_factory=list)  # per input row


def decide(in_force: Callable[[tuple[str, str, int]], Entry | None], rows: list[Entry], *, revise: bool,
           recorded_at: str, labels: list[str] | None = None) -> Decision:
    """Classify each row against the store's entry in force for its key (``Loaded.in_force``); raise
    AdmError listing conflicts (nothing is written then)."""
    seen: dict[tuple[str, str, int], Entry] = {}
    d = Decision()
    conflicts: list[str] = []
    for i, row in enumerate(rows):
        label = labels[i] if labels else None
        prior = seen.get(row.key)
        if prior is not None:
            # the same figure twice in one input: a repeat is harmless, a different one is an error
            if (prior.value, prior.source, prior.note) == (row.value, row.source, row.note):
                d.unchanged += 1
                d.outcomes.append("unchanged")
                continue
            conflicts.append(f"{label + ': ' if label else ''}{row.state} {row.indicator} {row.year}: "
                             "given twice in this input with different values")
            continue
        seen[row.key] = row
        old = in_force(row.key)
        row.recorded_at = recorded_at
        if old is None or old.retracted:
            d.append.append(row)
            d.recorded += 1
            d.outcomes.append("recorded")
        elif (old.value, old.source, old.note) == (row.value, row.source, row.note):
            d.unchanged += 1
            d.outcomes.append("unchanged")
        elif revise:
            d.append.append(row)
            d.revised += 1
            d.outcomes.append("revised")
        else:
            what = [name for name, a, b in (("value", old.value, row.value), ("source", old.source, row.source),
                                            ("note", old.note, row.note)) if a != b]
            conflicts.append(
                f"{label + ': ' if label else ''}{row.state} {row.indicator} {row.year}: already recorded with a "
                f"different {' and '.join(what)} ({_fmt(old.value)} → {_fmt(row.value)}); use --revise to supersede it")
    if conflicts:
        head = conflicts[0] if len(conflicts) == 1 else f"{len(conflicts)} conflicting rows, nothing recorded"
        raise AdmError(head, details=conflicts if len(conflicts) > 1 else [])
    return d


def _fmt(v: float | None) -> str:
    return "—" if v is None else f"{v:g}"
