"""The writing commands: record one, record many (all or nothing), retract. Each decides inside the
store's transaction (``Store.transact``) and reports what the transaction returned."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from admtrack.errors import AdmError
from admtrack.model import Observation
from admtrack.rules import Decision, Place, check_row, decide
from admtrack.store import Loaded, now_utc
from admtrack.validate import FieldError


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")


def _num(v: float | None) -> str:
    return "—" if v is None else f"{v:.15g}"


def _checked(ctx, loaded: Loaded) -> None:
    """The plan checks of what the store holds, unless the cache says they passed under this plan."""
    if loaded.verdict != ctx.plan.fingerprint:
        ctx.check_rows(loaded.rows)


@dataclass
class OneRecorded:
    decision: Decision
    was: Observation | None  # the entry in force before

    @property
    def append(self) -> list[Observation]:
        return self.decision.append


def record_one(ctx, state, indicator, year, value, *, source, note, revise: bool, dry_run: bool) -> None:
    plan = ctx.plan
    try:
        row = check_row(plan, {"state": state, "indicator": indicator, "year": year, "value": value,
                               "source": source, "note": note})
    except FieldError as exc:
        raise AdmError(f"{exc.field}: {exc.reason}") from None

    def choose(loaded: Loaded) -> OneRecorded:
        _checked(ctx, loaded)
        return OneRecorded(decide(loaded.in_force, [row], revise=revise, recorded_at=now_utc()),
                           loaded.in_force(row.key))

    done = ctx.store.transact(choose, dry_run=dry_run, verdict=plan.fingerprint)
    d = done.decision
    what = f"{row.state} {row.indicator} {row.year} = {_num(row.value)}"
    prefix = "dry run: would have " if dry_run else ""
    if d.revised:
        _say(f"{prefix}revised {what} (was {_num(done.was.value if done.was else None)})")
    elif d.recorded:
        _say(f"{prefix}recorded {what}")
    else:
        _say(f"unchanged {what} (already recorded)")


def _place(name: str, label: str) -> Place:
    """The reader's label ("line 4", "item 2") as data."""
    kind, _, n = label.partition(" ")
    number = int(n) if n.isdigit() else None
    return Place(name, item=number) if kind == "item" else Place(name, line=number)


class _Places(Sequence[Place]):
    """The place of each row, made when a message needs it."""

    def __init__(self, name: str, labels: list[str]) -> None:
        self.name = name
        self.labels = labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i):  # type: ignore[override]
        return _place(self.name, self.labels[i])


def _by_place(problem: tuple[Place, str, str]) -> int:
    place, _, _ = problem
    return place.order


def record_file(ctx, path: str, input_format: str | None, *, revise: bool, dry_run: bool) -> None:
    from admtrack import inputs
    from admtrack.validate import current_year

    plan = ctx.plan
    name, data = inputs.read_source(path)
    text = inputs.decode(name, data)
    del data
    fmt = inputs.detect_format(path, text, input_format)
    rows, bad = inputs.parse(name, text, fmt)
    del text
    clean: list[Observation] = []
    labels: list[str] = []
    problems = [(_place(name, label), fld, why) for label, fld, why in bad]
    top = current_year()
    for label, fields in rows:
        try:
            clean.append(check_row(plan, fields, max_year=top))
            labels.append(label)
        except FieldError as exc:
            problems.append((_place(name, label), exc.field, exc.reason))
    places = _Places(name, labels)
    del rows
    if problems:
        problems.sort(key=_by_place)
        detail = [f"{place}: {fld}: {why}" for place, fld, why in problems]
        raise AdmError(f"{name}: {len(problems)} bad row(s), nothing recorded", details=detail)

    def choose(loaded: Loaded) -> Decision:
        _checked(ctx, loaded)
        return decide(loaded.in_force, clean, revise=revise, recorded_at=now_utc(), places=places)

    d = ctx.store.transact(choose, dry_run=dry_run, verdict=plan.fingerprint)
    prefix = "dry run: would have " if dry_run else ""
    _say(f"{prefix}recorded {d.recorded}, unchanged {d.unchanged}, revised {d.revised} ({name}, {fmt})")


@dataclass
class Retraction:
    append: list[Observation] = field(default_factory=list)
    was: float | None = None  # the figure withdrawn; None when it was already retracted


def retract(ctx, state, indicator, year, *, reason: str, dry_run: bool) -> None:
    from admtrack.validate import check_text, check_year

    code = ctx.state_code(state)
    ind = ctx.indicator_id(indicator)
    try:
        y = check_year(year)
        why = check_text("reason", reason, required=True)
    except FieldError as exc:
        raise AdmError(f"{exc.field}: {exc.reason}") from None
    key = (code, ind, y)
    reference = next((e for e in ctx.reference if e.key == key), None)

    def choose(loaded: Loaded) -> Retraction:
        _checked(ctx, loaded)
        last = loaded.in_force(key)
        if last is not None and last.retracted:
            return Retraction()
        if last is None and reference is None:
            raise AdmError(f"{code} {ind} {y}: no figure recorded, nothing to retract")
        was = last.value if last is not None else reference.value  # type: ignore[union-attr]
        entry = Observation(code, ind, y, None, recorded_at=now_utc(), retracted=True, reason=why)
        return Retraction([entry], was)

    done = ctx.store.transact(choose, dry_run=dry_run, verdict=ctx.plan.fingerprint)
    if not done.append:
        _say(f"unchanged {code} {ind} {y} (already retracted)")
    else:
        prefix = "dry run: would have " if dry_run else ""
        _say(f"{prefix}retracted {code} {ind} {y} (was {_num(done.was)}); it stays in `admtrack history`")
