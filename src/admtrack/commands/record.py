"""The writing commands: record one, record many (all or nothing), retract. Each decides inside the
store's transaction (``Store.transact``) and reports what the transaction returned."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from admtrack.errors import AdmError, UsageError
from admtrack.model import Observation
from admtrack.rules import ColumnChecker, Decision, Place, check_row, decide
from admtrack.store import Loaded, now_utc
from admtrack.validate import FieldError


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")


def _num(v: float | None) -> str:
    """A figure in a message, at full precision (a revision of the 16th digit stays visible): the shortest
    text that reads back as the same number, without a trailing ``.0``."""
    if v is None:
        return "—"
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


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


def _reference(ctx):
    """The bundled figure for a key (None without one, or with --no-reference)."""
    layer = {e.key: e for e in ctx.reference}
    return layer.get


def _bundled():
    """Any bundled figure for a key, whether or not this plan or --no-reference leaves it out: a history
    may retract one (exported where it was in view)."""
    from admtrack.reference import load_reference

    layer = {e.key: e for e in load_reference()}
    return layer.get


def _warn(text: str) -> None:
    _say(f"admtrack: warning: {text}")


def record_one(ctx, state, indicator, year, value, *, source, note, revise: bool, dry_run: bool,
               obs_status: str | None = None) -> None:
    plan = ctx.plan
    try:
        row = check_row(plan, {"state": state, "indicator": indicator, "year": year, "value": value,
                               "source": source, "note": note, "obs_status": obs_status})
    except FieldError as exc:  # --obs-status takes a code of a fixed list: a bad option value (SPEC §6)
        err = UsageError if exc.field == "obs_status" and obs_status is not None else AdmError
        raise err(f"{exc.field}: {exc.reason}") from None
    reference = _reference(ctx)(row.key)

    def choose(loaded: Loaded) -> OneRecorded:
        _checked(ctx, loaded)
        return OneRecorded(decide(loaded.in_force, [row], revise=revise, store_name=str(ctx.store.path)),
                           loaded.in_force(row.key))

    done = ctx.store.transact(choose, dry_run=dry_run, verdict=plan.fingerprint)
    d = done.decision
    what = f"{row.state} {row.indicator} {row.year} = {_num(row.value)}"
    if row.obs_status:
        what += f" [{row.obs_status}]"
    prefix = "dry run: would have " if dry_run else ""
    if d.revised:
        _say(f"{prefix}revised {what} (was {_was(done.was)})")
    elif d.recorded:
        over = f" (over the reference figure {_num(reference.value)})" if reference and done.was is None else ""
        _say(f"{prefix}recorded {what}{over}")
    else:
        _say(f"unchanged {what} (already recorded)")
    if (d.revised or d.recorded) and row.source is None:
        _warn("recorded without a source: every figure should say where it comes from (--source TEXT)")


def _was(old: Observation | None) -> str:
    if old is None:
        return "—"
    text = _num(old.value)
    return text + (f" [{old.obs_status}]" if old.obs_status else "")


class _Labels(Sequence[Place]):
    """The place of each checked row, kept small (a million rows): "line N" / "item N" as one signed
    integer (items negative), any other label as itself."""

    def __init__(self, name: str, place: Callable[[str, str], Place] | None = None) -> None:
        from array import array

        self.name = name
        self.place = place or _place
        self.numbers = array("q")
        self.other: dict[int, str] = {}

    def add(self, label: str) -> None:
        kind, _, n = label.partition(" ")
        if n.isdigit() and kind in ("line", "item") and len(n) < 18:
            self.numbers.append(int(n) if kind == "line" else -int(n))
        else:
            self.other[len(self.numbers)] = label
            self.numbers.append(0)

    def __len__(self) -> int:
        return len(self.numbers)

    def __getitem__(self, i):
        n = self.numbers[i]
        if n > 0:
            return Place(self.name, line=n)
        if n < 0:
            return Place(self.name, item=-n)
        return self.place(self.name, self.other.get(i, ""))


def _place(name: str, label: str) -> Place:
    """The reader's label ("line 4", "item 2", "line 7, 2023" in an agency's bulk file) as data."""
    kind, _, n = label.partition(" ")
    n = n.split(",", 1)[0]
    number = int(n) if n.isdigit() else None
    return Place(name, item=number) if kind == "item" else Place(name, line=number)


def _by_place(problem: tuple[Place, str, str]) -> int:
    place, _, _ = problem
    return place.order


@dataclass
class Checked:
    """An input's rows, checked: the clean ones (and where each came from), the bad ones, and what was
    left out. ``history``: the input carries a ``retracted`` column (an ``export --all-revisions``), so
    that its rows are replayed as a history."""

    rows: list[Observation]
    places: _Labels
    problems: list[tuple[Place, str, str]]
    reference_rows: int = 0
    history: bool = False
    unsourced: int = 0


def check_input(ctx, name: str, rows, bad, place: Callable[[str, str], Place] | None = None) -> Checked:
    """Check each ``(label, fields)`` row against the plan as it comes (a row's raw fields are dropped
    once checked, so a big input is held once, as Observations). Rows of the bundled reference layer
    (``layer = reference`` in an export) are counted, not recorded."""
    from admtrack.inputs import Table
    from admtrack.validate import current_year

    plan = ctx.plan
    clean: list[Observation] = []
    keep = clean.append
    place = place or _place
    places = _Labels(name, place)
    problems: list[tuple[Place, str, str]] = []
    top = current_year()
    shared: dict[str, str] = {}  # one copy of each source and note text, however many rows repeat it
    out = Checked(clean, places, problems)
    if isinstance(rows, Table) and rows.plain:
        _check_columns(ColumnChecker(plan, top), name, rows, out, place)
        rows = ()
    for label, fields in rows:
        layer = fields.pop("layer", None)
        if "retracted" in fields:
            out.history = True
        if isinstance(layer, str) and layer.strip().lower() == "reference":
            out.reference_rows += 1
            continue
        if layer not in (None, "") and not (isinstance(layer, str) and layer.strip().lower() == "store"):
            problems.append((place(name, label), "layer", f"must be store or reference, got {str(layer)[:20]!r}"))
            continue
        for key in ("source", "note"):
            text = fields.get(key)
            if type(text) is str:
                fields[key] = shared.setdefault(text, text)
        try:
            row = check_row(plan, fields, max_year=top)
        except FieldError as exc:
            problems.append((place(name, label), exc.field, exc.reason))
            continue
        keep(row)
        places.add(label)
    problems += [(place(name, label), fld, why) for label, fld, why in bad]
    return out


def _check_columns(checker: ColumnChecker, name: str, table, out: Checked, place) -> None:
    """``check_input`` for a delimited file of FIELDS only (an ``inputs.Table``), a batch of columns at a time."""
    keep, numbers = out.rows.extend, out.places.numbers
    for batch in table.batches():
        got, found = checker.check(batch.fields, len(batch.lines))
        if not found:
            keep(got)  # type: ignore[arg-type]  # no None in a batch without problems
            numbers.extend(batch.lines)
            del batch, got  # before the next batch is read (see inputs.Table._rows)
            continue
        for i, fld, why in found:
            out.problems.append((place(name, f"line {batch.lines[i]}"), fld, why))
        for row, line in zip(got, batch.lines):
            if row is not None:
                out.rows.append(row)
                numbers.append(line)
        del batch, got  # before the next batch is read (see inputs.Table._rows)


#: adjust(row, entry in force) -> the row to decide with (``same_release``: the stored source when only
#: the release or retrieval date in it moved)
Adjust = Callable[[Observation, Observation], Observation]


def record_rows(ctx, name: str, rows: Iterable[tuple[str, dict]], *, revise: bool, dry_run: bool,
                bad: Iterable[tuple[str, str, str]] = (), place: Callable[[str, str], Place] | None = None,
                adjust: Adjust | None = None, listing: bool = False) -> tuple[Decision, Checked]:
    """Record ``(label, fields)`` rows all or nothing (SPEC §3, §9): check every row against the plan as it
    comes (``check_input``), then — inside the store's transaction — decide each against the entry in force
    (``rules.decide``: recorded, unchanged, revised, retracted, or a conflict without ``revise``). Bad rows
    and conflicts are listed together, in file order, and nothing is written. Shared by ``record --file``
    (every format) and ``fetch``. ``listing``: keep what became of each row (``Decision.outcomes``)."""
    batch = check_input(ctx, name, rows, bad, place)
    reference = _reference(ctx)
    store_name = str(ctx.store.path)
    problems = batch.problems

    def choose(loaded: Loaded) -> Decision:
        _checked(ctx, loaded)
        todo = batch.rows
        if adjust is not None:
            todo = [row if (old := loaded.in_force(row.key)) is None or old.retracted else adjust(row, old)
                    for row in batch.rows]
        d = decide(loaded.in_force, todo, revise=revise, places=batch.places, reference=reference,
                   entries=(lambda: loaded.rows) if batch.history else None, store_name=store_name,
                   listing=listing, strict=False, current_for=loaded.current_for,
                   bundled=_bundled() if batch.history else None)
        if d.conflicts or problems:
            raise _refused(name, problems, d, batch)
        return d

    if problems:
        # still compare with the store, to list the conflicts in the same run (without the lock: nothing
        # will be written); a store that cannot be read leaves the bad rows to say
        try:
            loaded = ctx.store.load()
            _checked(ctx, loaded)
        except AdmError:
            loaded = Loaded(rows=[], current={})
        choose(loaded)
    return ctx.store.transact(choose, dry_run=dry_run, verdict=ctx.plan.fingerprint), batch


def record_file(ctx, path: str, input_format: str | None, *, revise: bool, dry_run: bool,
                indicators: list[str] | None = None, from_year: int | None = None,
                to_year: int | None = None) -> None:
    from admtrack import inputs

    name, data = inputs.read_source(path)
    text = inputs.decode(name, data)
    del data
    fmt = inputs.detect_format(path, text, input_format)
    got = None
    if fmt in inputs.BULK_FORMATS:
        got = read_bulk(ctx, name, text, fmt, indicators, from_year, to_year)
        rows, bad, adjust = got.rows, list[tuple[str, str, str]](), same_release
    else:
        if indicators or from_year is not None or to_year is not None:
            from admtrack.errors import UsageError

            raise UsageError(f"--indicator, --from and --to select from an agency's bulk file "
                             f"(--input-format {' or '.join(inputs.BULK_FORMATS)}), not from a {fmt} file")
        rows, bad = inputs.parse(name, text, fmt, lazy=True)
        adjust = None
    del text  # the readers hold it while they run, not longer
    d, batch = record_rows(ctx, name, rows, revise=revise, dry_run=dry_run, bad=bad, adjust=adjust,
                           listing=dry_run)
    del rows
    if dry_run:
        _list(d, batch)
    prefix = "dry run: would have " if dry_run else ""
    counts = f"recorded {d.recorded}, unchanged {d.unchanged}, revised {d.revised}"
    if d.retracted:
        counts += f", retracted {d.retracted}"
    _say(f"{prefix}{counts} ({name}, {fmt})")
    if d.over_reference:
        _say(f"{d.over_reference} of the recorded figure(s) stand over a bundled reference figure "
             "(see `admtrack history`)")
    if batch.reference_rows:
        _say(f"skipped {batch.reference_rows} row(s) of the bundled reference layer (layer = reference): "
             "they ship with admtrack and are not recorded")
    if got is not None:
        say_left_out(got)
    unsourced = sum(1 for o in d.append if o.source is None and not o.retracted)
    if unsourced:
        _warn(f"{unsourced} figure(s) {'would be ' if dry_run else ''}recorded without a source: every figure "
              "should say where it comes from (add a source column)")


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


def _refused(name: str, problems, d: Decision, batch: Checked) -> AdmError:
    """One error listing the bad rows and the conflicts of a batch, in file order."""
    listed = [(place.order, f"{place}: {fld}: {why}") for place, fld, why in problems]
    listed += [(batch.places[i].order, text) for i, text in d.conflicts]
    listed.sort(key=lambda item: item[0])
    parts = []
    if problems:
        parts.append(f"{len(problems)} bad row(s)")
    if d.conflicts:
        parts.append(f"{len(d.conflicts)} conflict(s)")
    return AdmError(f"{name}: {' and '.join(parts)}, nothing recorded", details=[text for _, text in listed])


def _list(d: Decision, batch: Checked) -> None:
    """--dry-run: one line per row, what it would come to."""
    for outcome in sorted(d.outcomes or [], key=lambda o: o.row):
        row = batch.rows[outcome.row]
        what = f"{row.state} {row.indicator} {row.year}"
        if row.retracted:
            line = f"{outcome.kind} {what}" + (f" (was {_was(outcome.was)})" if outcome.was else "")
        else:
            line = f"{outcome.kind} {what} = {_num(row.value)}"
            if row.obs_status:
                line += f" [{row.obs_status}]"
            if outcome.kind == "revised" or (outcome.kind == "recorded" and outcome.was is not None):
                line += f" (was {_was(outcome.was)})"
        _say(f"  {batch.places[outcome.row]}: {'would be ' if outcome.kind != 'unchanged' else ''}{line}")


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
    except FieldError as exc:
        raise AdmError(f"{exc.field}: {exc.reason}") from None
    if reason is None or not reason.strip():  # an empty option value (SPEC §6); bad text is bad data, as --source's
        raise UsageError("--reason: is required: say why the figure is withdrawn")
    try:
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
