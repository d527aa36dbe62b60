"""What recording means (SPEC §2.2): checking a row against the plan, checking stored entries against
it, and deciding, against the entries in force, whether each row is new, unchanged, a revision or a
conflict. Pure: no I/O."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import repeat
from operator import itemgetter, le
from pathlib import Path
from typing import Any, Literal, NamedTuple

from admtrack.errors import AdmError, Problem, where
from admtrack.model import REGION, Key, Observation
from admtrack.validate import (
    BAD_TEXT,
    MAX_TEXT,
    MIN_YEAR,
    OBS_STATUS,
    FieldError,
    check_bounds,
    check_number,
    check_obs_status,
    check_text,
    check_year,
    current_year,
    show_int,
)


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


_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no", ""})


def check_row(plan, raw: Mapping[str, Any], *, max_year: int | None = None) -> Observation:
    """A clean Observation from raw fields (text or JSON values), or FieldError naming the first bad
    field. A row of a history (``export --all-revisions``) may be a retraction: ``retracted`` true, a
    ``reason``, and no value needed."""
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
    retracted = _flag(raw.get("retracted"))
    value_raw = raw.get("value")
    if retracted and (value_raw is None or (isinstance(value_raw, str) and not value_raw.strip())):
        value = None
    elif retracted:  # a retraction withdraws the figure: a value beside it would be stored and mean nothing
        raise FieldError("value", "must be empty on a retraction (retracted = true withdraws the figure)")
    else:
        if "value" not in raw or value_raw is None:
            raise FieldError("value", "is required")
        value = check_number(value_raw)
        check_bounds(value, indicator.min, indicator.max, indicator.unit)
    source = check_text("source", raw.get("source"))
    note = check_text("note", raw.get("note"))
    obs_status = check_obs_status(raw.get("obs_status"))
    reason = check_text("reason", raw.get("reason"))
    if retracted:
        if obs_status is not None:
            raise FieldError("obs_status", "must be empty on a retraction (it has no value to qualify)")
        if reason is None or not reason.strip():
            raise FieldError("reason", "is required: a retraction says why")
    elif reason is not None and reason.strip():
        raise FieldError("reason", "only a retraction has a reason (retracted = true)")
    else:
        reason = None
    return Observation(state, indicator.id, year, value, source, note, None, retracted, reason,
                       obs_status=obs_status)


def _flag(raw: Any) -> bool:
    """``retracted``: true/false as JSON, or as text (true, false, 1, 0, yes, no, or empty)."""
    if raw is None or raw is False:
        return False
    if raw is True:
        return True
    if isinstance(raw, str):
        text = raw.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise FieldError("retracted", f"must be true or false, got {str(raw)[:20]!r}")


class ColumnChecker:
    """``check_row`` for the rows of a delimited file, a batch of columns at a time (``inputs.Columns``):
    the same Observations and the same problems, in C where it can. Each distinct state, indicator, year
    and status text is resolved once; numbers, bounds and text are checked a column at a time. A row that
    does not pass goes through ``check_row``, whose FieldError (its first bad field) is the row's problem.
    ``texts`` holds one copy of each source and note (up to ``SHARED`` of them), however many rows repeat it."""

    SHARED = 1 << 16

    def __init__(self, plan, max_year: int) -> None:
        self.plan = plan
        self.max_year = max_year
        self._states: dict[str, str | None] = {}
        self._indicators: dict[str, str | None] = {}
        self._bounds: dict[str, tuple[float, float]] = {}  # per indicator, infinity outside
        self._years: dict[str, int | None] = {}
        self._statuses: dict[str, str | None | object] = {}
        self.texts: dict[str, str | None] = {"": None}

    def check(self, fields: Mapping[str, Sequence[str]], n: int) -> tuple[list[Observation | None],
                                                                          list[tuple[int, str, str]]]:
        """The checked rows of a batch of ``n`` (None for a bad one) and the problems, as (row, field, reason)."""
        if any(f not in fields for f in ("state", "indicator", "year", "value")):
            return self._one_by_one(fields, range(n), [None] * n, [])
        states = _resolved(self._states, fields["state"], self._state)
        ids = _resolved(self._indicators, fields["indicator"], self._indicator)
        years = _resolved(self._years, fields["year"], self._year)
        values = _numbers(fields["value"])
        sources, notes = (self._text(fields.get(f)) for f in ("source", "note"))
        status = fields.get("obs_status")
        statuses = _resolved(self._statuses, status, self._status) if status is not None else None
        clean = (len(values) == n and sources is not False and notes is not False and None not in states
                 and None not in ids and None not in years and (statuses is None or _BAD not in statuses))
        if clean and n:  # within bounds, and finite: all between the tightest bounds, or each between its own
            lo, hi = zip(*map(self._bounds.__getitem__, set(ids)))
            if not max(lo) <= min(values) <= max(values) <= min(hi):
                lo, hi = zip(*map(self._bounds.__getitem__, ids))
                clean = all(map(le, lo, values)) and all(map(le, values, hi))
        if not clean:  # halves until the rows that need a closer look are found
            if n <= 16:
                return self._one_by_one(fields, range(n), [None] * n, [])
            half = n // 2
            rows, problems = self.check({f: cells[:half] for f, cells in fields.items()}, half)
            more, found = self.check({f: cells[half:] for f, cells in fields.items()}, n - half)
            rows += more
            problems += [(half + i, fld, why) for i, fld, why in found]
            return rows, problems
        none = repeat(None)
        rows = list(map(_OBSERVATION, zip(states, ids, years, values, sources or none, notes or none, none,
                                          repeat(False), none, none, repeat(_STORE), statuses or none, none)))
        return rows, []

    def _one_by_one(self, fields, todo, rows: list[Observation | None], problems: list[tuple[int, str, str]]):
        """The rows ``todo`` of a batch that did not pass as a whole, each through ``check_row``."""
        names = list(fields)
        texts = self.texts
        for i in todo:
            raw = {f: fields[f][i] for f in names}
            try:
                row = check_row(self.plan, raw, max_year=self.max_year)
            except FieldError as exc:
                problems.append((i, exc.field, exc.reason))
                continue
            if row.source is not None:
                row = row._replace(source=texts.get(row.source, row.source))
            if row.note is not None:
                row = row._replace(note=texts.get(row.note, row.note))
            rows[i] = row
        return rows, problems

    def _state(self, raw: str) -> str | None:
        return self.plan.resolve_state(raw.strip()) if raw.strip() else None

    def _indicator(self, raw: str) -> str | None:
        name = raw.strip()
        ind = self.plan.indicators.get(name) or self.plan.indicators.get(name.lower()) if name else None
        if ind is None:
            return None
        self._bounds[ind.id] = (-_BIGGEST if ind.min is None else max(ind.min, -_BIGGEST),
                                _BIGGEST if ind.max is None else min(ind.max, _BIGGEST))
        return ind.id

    def _year(self, raw: str) -> int | None:
        try:
            return check_year(raw, max_year=self.max_year)
        except FieldError:
            return None

    @staticmethod
    def _status(raw: str) -> str | None | object:
        try:
            return check_obs_status(raw)
        except FieldError:
            return _BAD

    def _text(self, cells: Sequence[str] | None) -> list[str | None] | None | Literal[False]:
        """A column of text, checked (None: no such column; False: some cell needs a closer look)."""
        if cells is None:
            return None
        if BAD_TEXT.search("".join(cells)) is not None or max(map(len, cells), default=0) > MAX_TEXT:
            return False
        shared = self.texts
        if len(shared) < self.SHARED:
            shared.update(zip(cells, cells))
            shared[""] = None  # empty text is no text
        return list(map(shared.get, cells, cells))


def _resolved(cache: dict, cells: Sequence[str], resolve: Callable[[str], Any]) -> list:
    """Each cell through ``resolve``, each distinct cell once (``cache`` keeps what it said)."""
    for cell in set(cells).difference(cache):
        cache[cell] = resolve(cell)
    return list(map(cache.__getitem__, cells))


def _numbers(cells: Sequence[str]) -> list[float]:
    """The numbers in a column of cells, [] unless every cell passes validate's number check. Made of
    these characters only, a cell that ``float`` reads is one that check passes (``float`` also reads
    ``nan``, ``inf`` and ``1_000``, and blanks that are not spaces or tabs: those go through check_row)."""
    if _NOT_NUMERIC("".join(cells)) is not None:
        return []
    try:
        return list(map(float, cells))
    except ValueError:
        return []


_NOT_NUMERIC = re.compile(r"[^0-9.eE+\- \t]").search
_BIGGEST = sys.float_info.max
_BAD = object()
_STORE = Observation._field_defaults["layer"]
_OBSERVATION = partial(tuple.__new__, Observation)


# ---- checks of entries already written (the store, the reference layer) ------------------------------
# beancount's habit: each check is a small function over the entries, yielding (entry, field, reason);
# one loop runs a list of them. The store and the bundled reference layer share the list.

Found = Iterable[tuple[Observation, str, str]]


@dataclass(frozen=True)
class Known:
    """What the checks know of the plan."""

    codes: frozenset[str]
    indicators: Mapping[str, Any]  # id -> plan.Indicator
    top_year: int

    @classmethod
    def of(cls, plan) -> Known:
        return cls(frozenset(plan.state_codes) | {REGION}, plan.indicators, current_year())


def known_state(k: Known, rows: Sequence[Observation]) -> Found:
    return ((o, "state", f"unknown state {o.state!r} (not a member state of this plan)")
            for o in rows if o.state not in k.codes)


def known_indicator(k: Known, rows: Sequence[Observation]) -> Found:
    return ((o, "indicator", f"unknown indicator {o.indicator!r} (not an indicator of this plan)")
            for o in rows if o.indicator not in k.indicators)


def year_in_range(k: Known, rows: Sequence[Observation]) -> Found:
    return ((o, "year", f"must be between {MIN_YEAR} and {k.top_year}, got {show_int(o.year)}")
            for o in rows if not MIN_YEAR <= o.year <= k.top_year)


def within_bounds(k: Known, rows: Sequence[Observation]) -> Found:
    for o in rows:
        ind = k.indicators.get(o.indicator)
        v = o.value
        if ind is None or v is None:
            continue
        if (ind.min is not None and v < ind.min) or (ind.max is not None and v > ind.max):
            try:
                check_bounds(v, ind.min, ind.max, ind.unit)
            except FieldError as exc:
                yield o, exc.field, exc.reason


def known_obs_status(k: Known, rows: Sequence[Observation]) -> Found:
    for o in rows:
        if o.obs_status is not None and o.obs_status not in OBS_STATUS:
            try:
                check_obs_status(o.obs_status)
            except FieldError as exc:
                yield o, exc.field, exc.reason


def sourced_text(k: Known, rows: Sequence[Observation]) -> Found:
    """Bundled figures must say where they come from, in clean text."""
    for o in rows:
        try:
            check_text("source", o.source, required=True)
            check_text("note", o.note)
        except FieldError as exc:
            yield o, exc.field, exc.reason


#: the checks of what admtrack wrote, and of what it ships
STORED = (known_state, known_indicator, year_in_range, within_bounds, known_obs_status)
REFERENCE = (*STORED, sourced_text)


def run_checks(checks, plan, rows: Sequence[Observation], path: Path | str) -> list[Problem]:
    """Every problem the ``checks`` find in ``rows``, in the order of the entries."""
    k = Known.of(plan)
    name = str(path)
    found = [(o.line or 0, i, Problem(name, o.line, fld, why))
             for i, check in enumerate(checks) for o, fld, why in check(k, rows)]
    found.sort(key=lambda f: (f[0], f[1]))
    return [p for _, _, p in found]


def check_stored(plan, rows: Sequence[Observation], path: Path | str) -> list[Problem]:
    """Plan checks of stored entries: a known state and indicator, the year range, the bounds, the status."""
    return run_checks(STORED, plan, rows, path)


def check_reference(plan, rows: Sequence[Observation], path: Path | str) -> list[Problem]:
    """The same checks on the bundled figures, and that each has a source."""
    return run_checks(REFERENCE, plan, rows, path)


#: what makes two entries for one (state, indicator, year) the same figure (SPEC §2.2 "Idempotent")
COMPARED = ("value", "source", "note", "obs_status", "retracted", "reason")


def same(a: Observation, b: Observation) -> bool:
    return (a.value, a.source, a.note, a.obs_status, a.retracted, a.reason) == \
        (b.value, b.source, b.note, b.obs_status, b.retracted, b.reason)


def differences(old: Observation, new: Observation) -> str:
    """What differs between two entries for one key, each field as ``old → new`` (never ``x → x``)."""
    parts = []
    for name in COMPARED:
        a, b = getattr(old, name), getattr(new, name)
        if a == b:
            continue
        if name == "value":
            sa, sb = show_number(a), show_number(b)
            if sa == sb:  # equal to 15 digits: show every digit
                sa, sb = repr(a), repr(b)
            parts.append(f"value {sa} → {sb}")
        elif name == "obs_status":
            parts.append(f"obs_status {a or 'A'} → {b or 'A'}")
        elif name == "retracted":
            parts.append("a retraction → a figure" if a else "a figure → a retraction")
        else:
            parts.append(f"{name} {_quoted(a)} → {_quoted(b)}")
    return "; ".join(parts) or "nothing"


def show_number(v: float | None) -> str:
    return "(none)" if v is None else f"{v:.15g}"


def _quoted(text: str | None) -> str:
    if text is None:
        return "(none)"
    return repr(text if len(text) <= 60 else text[:59] + "…")


RECORDED, UNCHANGED, REVISED, RETRACTED = "recorded", "unchanged", "revised", "retracted"


class Outcome(NamedTuple):
    """What became of one input row (``decide(..., listing=True)``): its index ``row`` in the batch, what it
    comes to, and the entry in force it was compared with (None for a new figure)."""

    row: int
    kind: str
    was: Observation | None


@dataclass
class Decision:
    """What recording a batch comes to: the entries to append and how many rows were which.
    ``conflicts`` are (row index, message); a caller that finds any writes nothing. ``over_reference``
    counts new figures recorded over a bundled reference figure."""

    append: list[Observation] = field(default_factory=list)
    recorded: int = 0
    unchanged: int = 0
    revised: int = 0
    retracted: int = 0
    over_reference: int = 0
    conflicts: list[tuple[int, str]] = field(default_factory=list)
    outcomes: list[Outcome] | None = None

    def message(self) -> AdmError:
        """The conflicts as one error (the caller has checked there are some)."""
        lines = [text for _, text in sorted(self.conflicts, key=lambda c: c[0])]
        if len(lines) == 1:
            return AdmError(lines[0])
        return AdmError(f"{len(lines)} conflicting rows, nothing recorded", details=lines)


def decide(in_force: Callable[[Key], Observation | None], rows: Sequence[Observation], *, revise: bool,
           recorded_at: str | None = None, places: Sequence[Place] | None = None,
           entries: Callable[[], Iterable[Observation]] | None = None,
           reference: Callable[[Key], Observation | None] | None = None,
           store_name: str = "the store", listing: bool = False, strict: bool = True,
           current_for: Callable[[Iterable[str]], Mapping[Key, Observation]] | None = None,
           bundled: Callable[[Key], Observation | None] | None = None) -> Decision:
    """Classify each row against the entry in force for its key (``Loaded.in_force``).

    A row the same as the entry in force is unchanged; a new key (or one whose figure was retracted) is
    recorded; anything else is a revision with ``revise`` and a conflict without it. Two rows for one key
    in one input are a conflict unless they are the same. With ``entries`` (every stored entry, in file
    order), the rows are a *history* (``export --all-revisions``): the rows for one key are its
    successive entries, replayed after what the store already holds of that history (see
    ``_decide_history``). Conflicts raise AdmError when ``strict``, else are left in the Decision.
    Entries to append keep ``recorded_at`` None (the store stamps them) unless ``recorded_at`` is given.
    ``current_for`` (``Loaded.current_for``: the entries in force of some indicators) lets a batch of new
    figures, none of them stored yet (a first import), be decided at once.
    """
    d = Decision(outcomes=[] if listing else None)
    if entries is not None:
        _decide_history(d, in_force, rows, revise=revise, places=places, entries=entries, reference=reference,
                        bundled=bundled,
                        store_name=store_name)
    elif current_for is None or not _all_new(d, current_for, rows, reference):
        _decide_figures(d, in_force, rows, revise=revise, places=places, reference=reference,
                        store_name=store_name)
    if recorded_at is not None:
        d.append = [o._replace(recorded_at=recorded_at) for o in d.append]
    if strict and d.conflicts:
        raise d.message()
    return d


def _at(places: Sequence[Place] | None, i: int) -> str:
    return f"{places[i]}: " if places else ""


def _stored(store_name: str, old: Observation) -> str:
    return f"the stored entry ({where(store_name, old.line)})" if old.line else "the stored entry"


def _note(d: Decision, i: int, kind: str, was: Observation | None) -> None:
    if d.outcomes is not None:
        d.outcomes.append(Outcome(i, kind, was))


def _all_new(d: Decision, current_for, rows: Sequence[Observation], reference) -> bool:
    """If every row is a figure (no retraction) for a key that neither the store nor another row holds,
    decide them all as recorded, in C, and say so; else decide nothing."""
    keys = list(map(_KEY, rows))
    if len(set(keys)) != len(keys) or any(map(_RETRACTED, rows)):
        return False
    stored = current_for(set(map(_INDICATOR, rows)))
    if not stored.keys().isdisjoint(keys):
        return False
    d.append += rows
    d.recorded += len(rows)
    if reference is not None:
        d.over_reference += len(keys) - list(map(reference, keys)).count(None)
    if d.outcomes is not None:
        d.outcomes += [Outcome(i, RECORDED, None) for i in range(len(rows))]
    return True


_KEY = itemgetter(0, 1, 2)
_INDICATOR = itemgetter(1)
_RETRACTED = itemgetter(Observation._fields.index("retracted"))


def _decide_figures(d: Decision, in_force, rows, *, revise, places, reference, store_name) -> None:
    seen: dict[Key, int] = {}
    append = d.append.append
    for i, row in enumerate(rows):
        key = (row.state, row.indicator, row.year)
        first = seen.get(key)
        if first is not None:
            prior = rows[first]
            # the same figure twice in one input: a repeat is harmless, a different one is an error
            if same(prior, row):
                d.unchanged += 1
                _note(d, i, UNCHANGED, prior)
            else:
                other = f"{places[first]}" if places else f"row {first + 1}"
                if places and places[first].path == places[i].path:
                    p = places[first]
                    other = f"item {p.item}" if p.item is not None else f"line {p.line}"
                d.conflicts.append((i, f"{_at(places, i)}{_what(row)}: given twice in this input, differing "
                                       f"from {other}: {differences(prior, row)}"))
            continue
        seen[key] = i
        old = in_force(key)
        if row.retracted:  # as `admtrack retract`: a figure already withdrawn stays so; no figure, nothing to do
            if old is not None and old.retracted:
                d.unchanged += 1
                _note(d, i, UNCHANGED, old)
            elif old is None and (reference is None or reference(key) is None):
                d.conflicts.append((i, f"{_at(places, i)}{_what(row)}: a retraction, but no figure is recorded: "
                                       "nothing to retract"))
            else:
                append(row)
                d.retracted += 1
                _note(d, i, RETRACTED, old)
        elif old is None or old.retracted:
            append(row)
            d.recorded += 1
            if old is None and reference is not None and reference(key) is not None:
                d.over_reference += 1
            _note(d, i, RECORDED, old)
        elif same(old, row):
            d.unchanged += 1
            _note(d, i, UNCHANGED, old)
        elif revise:
            append(row)
            d.revised += 1
            _note(d, i, REVISED, old)
        else:
            d.conflicts.append((i, f"{_at(places, i)}{_what(row)}: differs from {_stored(store_name, old)}: "
                                   f"{differences(old, row)}; use --revise to supersede it"))


def _restates(old: Observation, new: Observation) -> bool:
    """Whether ``new`` adds nothing after ``old``: the same figure, or a retraction after a retraction (as
    ``admtrack retract`` says of a figure already withdrawn, whatever the reason)."""
    return same(old, new) or (old.retracted and new.retracted)


def _decide_history(d: Decision, in_force, rows, *, revise, places, entries, reference, store_name,
                    bundled=None) -> None:
    """Rows of a history: for each key, the store's entries E and the input's entries R (in order).
    An entry that restates the one before it in R adds nothing (unchanged, as recording the same figure
    again does). What E and R share from the start is unchanged, and so is all of R when its last entry
    restates the entry in force (the input ends where the store stands: run twice, it adds nothing);
    else R's remaining entries are appended — without ``--revise`` only when the store holds nothing for
    that key (else a conflict). A retraction with no figure before it (in the store, the input or the
    bundled layer — ``bundled``, even where this plan or --no-reference leaves that figure out) is
    refused, as ``admtrack retract`` refuses it."""
    by_key: dict[Key, list[int]] = {}
    for i, row in enumerate(rows):
        idx = by_key.setdefault((row.state, row.indicator, row.year), [])
        if idx and _restates(rows[idx[-1]], row):
            d.unchanged += 1
            _note(d, i, UNCHANGED, rows[idx[-1]])
            continue
        idx.append(i)
    stored: dict[Key, list[Observation]] = {}
    for o in entries():
        k = (o.state, o.indicator, o.year)
        if k in by_key:
            stored.setdefault(k, []).append(o)
    take = bytearray(len(rows))  # 1: append this row
    for key, idx in by_key.items():
        have = stored.get(key, [])
        p = 0
        while p < len(idx) and p < len(have) and same(have[p], rows[idx[p]]):
            p += 1
        if p < len(idx) and have and _restates(have[-1], rows[idx[-1]]):
            p = len(idx)  # the input ends where the store stands: nothing to add
        for pos, j in enumerate(idx[:p]):
            d.unchanged += 1
            _note(d, j, UNCHANGED, have[min(pos, len(have) - 1)])
        if p == len(idx):
            continue
        if have and not revise:
            i = idx[p]
            if p < len(have):
                why = (f"differs from {_stored(store_name, have[p])}, entry {p + 1} of this figure's stored "
                       f"history: {differences(have[p], rows[i])}")
            else:
                why = (f"the store holds the first {p} entr{'y' if p == 1 else 'ies'} of this history; this "
                       f"input adds {len(idx) - p} more")
            d.conflicts.append((i, f"{_at(places, i)}{_what(rows[i])}: {why}; use --revise to append "
                                   "this input's entries from there"))
            continue
        for j in idx[p:]:
            take[j] = 1
    previous: dict[Key, Observation | None] = {}
    for i, row in enumerate(rows):
        if not take[i]:
            continue
        key = (row.state, row.indicator, row.year)
        was = previous[key] if key in previous else in_force(key)
        if row.retracted and was is not None and was.retracted:  # withdrawn already: nothing to add
            d.unchanged += 1
            _note(d, i, UNCHANGED, was)
            continue
        lookup = bundled or reference
        if row.retracted and was is None and (lookup is None or lookup(key) is None):
            d.conflicts.append((i, f"{_at(places, i)}{_what(row)}: a retraction, but no figure is recorded: "
                                   "nothing to retract"))
            previous[key] = row
            continue
        d.append.append(row)
        if row.retracted:
            d.retracted += 1
            kind = RETRACTED
        elif was is None or was.retracted:
            d.recorded += 1
            kind = RECORDED
            if was is None and reference is not None and reference(key) is not None:
                d.over_reference += 1
        else:
            d.revised += 1
            kind = REVISED
        _note(d, i, kind, was)
        previous[key] = row


def _what(row: Observation) -> str:
    return f"{row.state} {row.indicator} {row.year}"
