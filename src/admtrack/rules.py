"""What recording means (SPEC §2.2): checking a row against the plan, checking stored entries against
it, and deciding, against the entries in force, whether each row is new, unchanged, a revision or a
conflict. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from admtrack.errors import AdmError, Problem, where
from admtrack.model import REGION, Key, Observation
from admtrack.validate import (MIN_YEAR, FieldError, check_bounds, check_number, check_text, check_year,
                               current_year, show_int)


class Place(NamedTuple):
    """Where an input row came from: a line of a file, or the n-th item of a JSON array."""

    path: str
    line: int | None = None
    item: int | None = None

    def __str__(self) -> str:
        return f"{self.path}: item {self.item}" if self.item is not None else where(self.path, self.line)

    @property
    def order(self) -> int:
        return self.line if self.line is not None else (self.item or 0)


def check_row(plan, raw: Mapping[str, Any], *, max_year: int | None = None) -> Observation:
    """A clean Observation from raw fields (text or JSON values), or FieldError naming the first bad
    field."""
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
    return Observation(state, indicator.id, year, value, source, note)


def check_stored(plan, rows: Iterable[Observation], path: Path | str) -> list[Problem]:
    """Plan checks of stored entries: a known state and indicator, the year range, the bounds."""
    out: list[Problem] = []
    name = str(path)
    codes = set(plan.state_codes) | {REGION}
    bounds = {i.id: (i.min, i.max, i.unit) for i in plan.indicators.values()}
    top = current_year()
    for o in rows:
        if o.state not in codes:
            out.append(Problem(name, o.line, "state", f"unknown state {o.state!r}"))
            continue
        b = bounds.get(o.indicator)
        if b is None:
            out.append(Problem(name, o.line, "indicator", f"unknown indicator {o.indicator!r}"))
            continue
        if not MIN_YEAR <= o.year <= top:
            out.append(Problem(name, o.line, "year", f"must be between {MIN_YEAR} and {top}, got {show_int(o.year)}"))
        lo, hi, unit = b
        v = o.value
        if v is not None and ((lo is not None and v < lo) or (hi is not None and v > hi)):
            try:
                check_bounds(v, lo, hi, unit)
            except FieldError as exc:
                out.append(Problem(name, o.line, exc.field, exc.reason))
    return out


@dataclass
class Decision:
    """What recording a batch comes to: the entries to append and how many rows were which."""

    append: list[Observation] = field(default_factory=list)
    recorded: int = 0
    unchanged: int = 0
    revised: int = 0


def decide(in_force: Callable[[Key], Observation | None], rows: Sequence[Observation], *, revise: bool,
           recorded_at: str, places: Sequence[Place] | None = None) -> Decision:
    """Classify each row against the entry in force for its key (``Loaded.in_force``); raise AdmError
    listing the conflicts (nothing is written then)."""
    seen: dict[Key, Observation] = {}
    d = Decision()
    conflicts: list[str] = []
    append = d.append.append

    def at(i: int, row: Observation) -> str:
        return f"{places[i]}: " if places else ""

    for i, row in enumerate(rows):
        key = (row.state, row.indicator, row.year)
        prior = seen.get(key)
        if prior is not None:
            # the same figure twice in one input: a repeat is harmless, a different one is an error
            if (prior.value, prior.source, prior.note) == (row.value, row.source, row.note):
                d.unchanged += 1
                continue
            conflicts.append(f"{at(i, row)}{_what(row)}: given twice in this input with different values")
            continue
        seen[key] = row
        old = in_force(key)
        if old is None or old.retracted:
            append(row._replace(recorded_at=recorded_at))
            d.recorded += 1
        elif (old.value, old.source, old.note) == (row.value, row.source, row.note):
            d.unchanged += 1
        elif revise:
            append(row._replace(recorded_at=recorded_at))
            d.revised += 1
        else:
            diff = [name for name, a, b in (("value", old.value, row.value), ("source", old.source, row.source),
                                            ("note", old.note, row.note)) if a != b]
            conflicts.append(f"{at(i, row)}{_what(row)}: already recorded with a different {' and '.join(diff)} "
                             f"({_fmt(old.value)} → {_fmt(row.value)}); use --revise to supersede it")
    if conflicts:
        head = conflicts[0] if len(conflicts) == 1 else f"{len(conflicts)} conflicting rows, nothing recorded"
        raise AdmError(head, details=conflicts if len(conflicts) > 1 else [])
    return d


def _what(row: Observation) -> str:
    return f"{row.state} {row.indicator} {row.year}"


def _fmt(v: float | None) -> str:
    return "—" if v is None else f"{v:g}"
