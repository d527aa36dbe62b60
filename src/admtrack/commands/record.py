"""The writing commands: record one, record many (all or nothing), retract. Each decides inside the
store's transaction (``Store.transact``) and reports what the transaction returned."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Sequence
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
    """The reader's label ("line 4", "item 2", "line 7, 2023") as data."""
    kind, _, n = label.partition(" ")
    n = n.split(",", 1)[0]
    number = int(n) if n.isdigit() else None
    return Place(name, item=number) if kind == "item" else Place(name, line=number)


class _Places(Sequence[Place]):
    """The place of each row, made when a message needs it."""

    def __init__(self, name: str, labels: list[str], place=_place) -> None:
        self.name = name
        self.labels = labels
        self.place = place

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i):  # type: ignore[override]
        return self.place(self.name, self.labels[i])


def _by_place(problem: tuple[Place, str, str]) -> int:
    place, _, _ = problem
    return place.order


@dataclass
class Batch:
    """What recording a batch came to: the decision, and (``detail=True``) the entry each appended row
    supersedes (None for a new figure), in the order of ``decision.append``."""

    decision: Decision
    was: list[Observation | None] = field(default_factory=list)

    @property
    def append(self) -> list[Observation]:
        return self.decision.append


#: adjust(row, entry in force) -> the row to decide with (``same_release``: the stored source when only
#: the release or retrieval date in it moved)
Adjust = Callable[[Observation, Observation], Observation]


def record_rows(ctx, name: str, rows: Iterable[tuple[str, dict]], *, revise: bool, dry_run: bool,
                bad: Iterable[tuple[str, str, str]] = (), place=_place, adjust: Adjust | None = None,
                detail: bool = False) -> Batch:
    """Record ``(label, fields)`` rows all or nothing (SPEC §3, §9): check every row against the plan
    (``rules.check_row``), then — inside the store's transaction — decide each against the entry in force
    (``rules.decide``: recorded, unchanged, revised, or a conflict without ``revise``). Any bad row or
    conflict raises AdmError listing them, and nothing is written. Shared by ``record --file`` (every
    format) and ``fetch``. ``bad``: problems the reader found, ``(label, field, reason)``; ``place``: a
    label → ``Place`` for messages. A list of ``rows`` is emptied once checked (a million raw rows need
    not stay in memory while the store is read)."""
    from admtrack.validate import current_year

    plan = ctx.plan
    clean: list[Observation] = []
    labels: list[str] = []
    problems = [(place(name, label), fld, why) for label, fld, why in bad]
    top = current_year()
    for label, fields in rows:
        try:
            clean.append(check_row(plan, fields, max_year=top))
            labels.append(label)
        except FieldError as exc:
            problems.append((place(name, label), exc.field, exc.reason))
    if isinstance(rows, list):
        rows.clear()
    places = _Places(name, labels, place)
    if problems:
        problems.sort(key=_by_place)
        detail_lines = [f"{where}: {fld}: {why}" for where, fld, why in problems]
        raise AdmError(f"{name}: {len(problems)} bad row(s), nothing recorded", details=detail_lines)

    def choose(loaded: Loaded) -> Batch:
        _checked(ctx, loaded)
        batch = clean
        if adjust is not None:
            batch = []
            for row in clean:
                old = loaded.in_force(row.key)
                batch.append(row if old is None or old.retracted else adjust(row, old))
        d = decide(loaded.in_force, batch, revise=revise, recorded_at=now_utc(), places=places)
        was = [loaded.in_force(o.key) for o in d.append] if detail else []
        return Batch(d, was)

    return ctx.store.transact(choose, dry_run=dry_run, verdict=plan.fingerprint)


def record_file(ctx, path: str, input_format: str | None, *, revise: bool, dry_run: bool,
                indicators: list[str] | None = None, from_year: int | None = None,
                to_year: int | None = None) -> None:
    from admtrack import inputs

    name, data = inputs.read_source(path)
    text = inputs.decode(name, data)
    del data
    fmt = inputs.detect_format(path, text, input_format)
    if fmt in inputs.BULK_FORMATS:
        got = read_bulk(ctx, name, text, fmt, indicators, from_year, to_year)
        rows, bad, adjust = got.rows, [], same_release
    else:
        if indicators or from_year is not None or to_year is not None:
            from admtrack.errors import UsageError

            raise UsageError(f"--indicator, --from and --to select from an agency's bulk file "
                             f"(--input-format {' or '.join(inputs.BULK_FORMATS)}), not from a {fmt} file")
        rows, bad = inputs.parse(name, text, fmt)
        got, adjust = None, None
    del text
    d = record_rows(ctx, name, rows, revise=revise, dry_run=dry_run, bad=bad, adjust=adjust).decision
    prefix = "dry run: would have " if dry_run else ""
    _say(f"{prefix}recorded {d.recorded}, unchanged {d.unchanged}, revised {d.revised} ({name}, {fmt})")
    if got is not None:
        say_left_out(got)


def read_bulk(ctx, name: str, text: str, fmt: str, indicators: list[str] | None, from_year: int | None,
              to_year: int | None):
    """The rows of an agency's bulk file (SPEC §9), mapped through the plan's ``worldbank`` / ``ilostat``
    keys: a ``sources.Fetched``."""
    from admtrack.sources import bulk

    plan = ctx.plan
    wanted = [ctx.indicator_id(i, usage=True) for i in indicators] if indicators else None

    def member(code: str) -> str | None:
        return plan.resolve_state(code.strip(), allow_region=False)

    read = bulk.read_worldbank_csv if fmt == "worldbank-csv" else bulk.read_ilostat_csv
    return read(name, text, plan.indicators, member, wanted=wanted, from_year=from_year, to_year=to_year)


def say_left_out(got) -> None:
    """What an agency's data held that was not recorded: economies that are not member states (regions,
    income groups, other countries) and ILOSTAT state-years missing a group or the total."""
    if got.skipped:
        _say(f"skipped {got.skipped} row(s) for economies that are not member states (regions, income groups, "
             f"other countries)")
    if got.incomplete:
        _say(f"left out {got.incomplete} state-year(s) that lack an ILOSTAT item the mapping sums or divides by")


_DATED = re.compile(r", (?:release|retrieved) \d{4}-\d{2}-\d{2}$")


def same_release(row: Observation, old: Observation) -> Observation:
    """A figure the agency published again with the same value (and note) but a newer release or retrieval
    date in its source is unchanged: the entry in force stands (SPEC §9: a re-fetch of unchanged figures
    records nothing). A different value is a revision, with the new source."""
    if (row.value, row.note) != (old.value, old.note) or row.source == old.source or not row.source or not old.source:
        return row
    if _DATED.sub("", row.source) == _DATED.sub("", old.source):
        return row._replace(source=old.source)
    return row


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
