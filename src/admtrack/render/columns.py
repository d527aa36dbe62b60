"""One column spec per report: every output format walks the same list.

**Where does a new output column go?** Here, once: add a ``Column`` to the report's tuple below (its key,
its header, how to get the raw value for programs and how to show it to people). CSV, TSV and JSON Lines
take the machine columns in list order; the Rich tables and Markdown take the people columns named by the
report's layouts (widest first: a terminal gets the first layout that fits it). The JSON documents of
``status`` and ``gaps`` (``emit.status_doc``/``gaps_doc``) are nested objects, fixed by SPEC §4: a field
added there is added by hand beside the column.

A column's getters take one row of the report: a ``Line`` (a target and one assessment of it) for status
and gaps, a ``model.Observation`` for export, a ``HistoryEntry`` for history, a ``Target``/``Indicator``
pair for targets and a ``State`` for states. ``text`` gets a second argument, ``short``: True in the
compact layouts, where cells use their short form (``T3`` for a target id, ``◆`` for a status).

No Rich here (machine formats must not pay for it): a cell for people is text, or a tuple of
(text, style) spans that the Rich table styles and Markdown joins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from admtrack.model import REGION
from admtrack.render import fmt

#: a column that wraps (prose: a title, a source) is never made narrower than this
WRAP_MIN = 20
#: which outputs carry a column
Outputs = Literal["machine", "people", "both"]
#: what a people cell holds: plain text, or (text, style) spans
Cell = str | tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Column:
    """One output column.

    ``key``: the machine name (CSV/TSV header, JSON Lines key) and the name layouts refer to.
    ``header`` / ``short``: its head in tables and Markdown, in the wide and the compact layouts.
    ``numeric``: right-aligned for people; for machines never made inert for spreadsheets.
    ``value``: the raw value for machine formats (numbers stay numbers). ``text``: the cell for people.
    ``outputs``: machine, people or both. ``when``: for optional columns, whether a result carries it.
    ``wrap``: the cell may wrap between words (a title, a source), to no less than ``min_width``
    (default ``WRAP_MIN``); other cells never wrap.
    """

    key: str
    header: str = ""
    short: str | None = None
    numeric: bool = False
    value: Callable[[Any], Any] | None = None
    text: Callable[[Any, bool], Cell] | None = None
    outputs: Outputs = "both"
    when: Callable[[Any], bool] | None = None
    wrap: bool = False
    min_width: int | None = None

    def __post_init__(self) -> None:
        if self.outputs != "people" and self.value is None:
            raise ValueError(f"column {self.key}: a machine column needs value=")
        if self.outputs != "machine" and self.text is None:
            raise ValueError(f"column {self.key}: a people column needs text=")

    def head(self, short: bool) -> str:
        return self.short if short and self.short is not None else self.header

    @property
    def narrowest(self) -> int | None:
        """How narrow a wrapping column may be (None: the column never wraps)."""
        return (self.min_width or WRAP_MIN) if self.wrap else None

    def cell(self, row: Any, short: bool = False) -> Cell:
        assert self.text is not None
        return self.text(row, short)


@dataclass(frozen=True, slots=True)
class Layout:
    """The people columns a table shows, in order; ``short`` picks short heads and compact cells.

    ``drop``: where even the narrowest layout does not fit the terminal, the columns it leaves out, first
    first, rather than cut a cell (by default from the right, the first column kept)."""

    name: str
    keys: tuple[str, ...]
    short: bool = False
    drop: tuple[str, ...] = ()

    def dropping(self) -> tuple[str, ...]:
        """The keys to leave out, in order, where this layout does not fit."""
        return tuple(k for k in self.drop if k in self.keys) or tuple(reversed(self.keys[1:]))


@dataclass(frozen=True, slots=True)
class Spec:
    """A report's columns (machine order) and its layouts for people (widest first)."""

    name: str
    columns: tuple[Column, ...]
    layouts: tuple[Layout, ...] = ()

    def machine(self, result: Any = None) -> list[Column]:
        return [c for c in self.columns if c.outputs != "people" and (c.when is None or c.when(result))]

    def people(self, layout: Layout) -> list[Column]:
        by_key = {c.key: c for c in self.columns if c.outputs != "machine"}
        return [by_key[k] for k in layout.keys]

    def records(self, rows, result: Any = None) -> list[dict]:
        """Rows as dicts of raw values, machine columns in order (CSV, TSV, JSON Lines)."""
        return list(self.each_record(rows, result))

    def each_record(self, rows, result: Any = None) -> Iterator[dict]:
        """``records`` one at a time (a million rows are never a million dicts at once)."""
        pairs = [(c.key, c.value) for c in self.machine(result)]
        for r in rows:
            yield {key: value(r) for key, value in pairs}  # type: ignore[misc]


def plain(cell: Cell) -> str:
    return cell if isinstance(cell, str) else "".join(text for text, _ in cell)


# ---- status and gaps ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Line:
    """One row of a status or gaps report: a target and one assessment of it (the region or a state)."""

    tr: Any  # report.TargetResult
    a: Any  # model.Assessment
    number: int  # the target's place in the report: T1, T2, …

    @property
    def unit(self) -> str:
        return self.tr.indicator.unit

    @property
    def region(self) -> bool:
        return self.a.state == REGION


def lines(result) -> list[Line]:
    """Status rows: per target, the region first (when selected), then the states."""
    out: list[Line] = []
    for n, tr in enumerate(result.targets, start=1):
        if result.region_selected:
            out.append(Line(tr, tr.region, n))
        out.extend(Line(tr, a, n) for a in tr.states)
    return out


def gap_lines(result) -> list[Line]:
    """Gaps rows, worst first (``report.gap_rows``)."""
    from admtrack.report import gap_rows

    number = {tr.target.id: n for n, tr in enumerate(result.targets, start=1)}
    return [Line(tr, a, number[tr.target.id]) for tr, a in gap_rows(result)]


def proxy_of(tr) -> str | None:
    """The proxy text of the indicator a target measures (SPEC §8), or None."""
    return tr.indicator.proxy


def target_cell(line: Line, short: bool) -> str:
    """The target's id, ``†`` after it when a proxy measures it."""
    return fmt.proxy_marked(line.tr.target.id, proxy_of(line.tr))


def target_number(line: Line, short: bool) -> str:
    """``T3``: the target's number in the report (the key below the table names it)."""
    return fmt.proxy_marked(f"T{line.number}", proxy_of(line.tr))


def status_cell(a, *, short: bool = False, symbol_only: bool = False) -> Cell:
    """The status as symbol and word (the reason word for insufficient_data, SPEC §5.7), ``*`` after it
    when the trend rests on 2 points; ``symbol_only`` leaves out the word where the status has no reason."""
    sym = fmt.SYMBOL_CHAR.get(a.status, "?")
    style = fmt.STATUS_STYLE.get(a.status, "")
    mark = fmt.trend_mark(a)
    if symbol_only and a.reason is None:
        return ((sym + mark, style),)
    label = fmt.status_label(a.status, a.reason, fmt.SHORT_LABEL if short or symbol_only else fmt.LABEL)
    return ((f"{sym} {label}{mark}", style),)


def coverage_cell(line: Line, short: bool = False) -> str:
    """The region's coverage: ``5/11 61%`` (member states in its latest value, their share of the
    weight; ``short``: the states only), ``rep`` when the figure was reported for ASEAN as a whole;
    '' for a state."""
    cov = line.a.coverage
    if not line.region:
        return ""
    if cov is None:
        return "—"
    text = f"{cov.states}/{cov.of}"
    if cov.weight_share is not None and line.tr.target.weight and not short:
        text += f" {cov.weight_share * 100:.0f}%"
    if line.a.basis == "reported":
        text += " rep"
    return text


def bar(progress: float | None, width: int = 5) -> Cell:
    """Progress since the baseline as a bar and a percentage."""
    import math

    if progress is None or not math.isfinite(progress):
        return (("—", "dim"),)
    shown = min(max(progress, 0.0), 1.0)
    full = int(round(shown * width))
    return (("█" * full, "cyan"), ("░" * (width - full), "dim"),
            (" " + fmt.pct(progress), "red" if progress < 0 else ""))


def _point(p, field: str):
    return None if p is None else getattr(p, field)


def _trend(a, field: str):
    return None if a.trend is None else getattr(a.trend, field)


def _region_only(get):
    return lambda r: get(r.a) if r.region else None


def _coverage(field: str):
    return _region_only(lambda a: None if a.coverage is None else getattr(a.coverage, field))


def _goal(r: Line):
    return r.a.goal if r.region and r.tr.target.aggregate == "sum" else None


def _cagr(result) -> bool:
    return result is not None and result.method == "cagr-ratio"


_TARGET = Column("target_id", "Target", value=lambda r: r.tr.target.id, text=target_cell)
_TARGET_NO = Column("target_no", "#", text=target_number, outputs="people")
_STATE = Column("state", "State", value=lambda r: r.a.state,
                text=lambda r, short: ((r.a.state, "bold"),) if r.region else r.a.state)
_UNIT = Column("unit", value=lambda r: r.unit, outputs="machine")
_BASELINE = (
    Column("baseline_year", numeric=True, value=lambda r: _point(r.a.baseline, "year"), outputs="machine"),
    Column("baseline_value", numeric=True, value=lambda r: _point(r.a.baseline, "value"), outputs="machine"),
    Column("baseline", "Baseline", numeric=True, text=lambda r, short: fmt.fmt_point(r.a.baseline, r.unit),
           outputs="people"),
)
_LATEST = (
    Column("latest_year", numeric=True, value=lambda r: _point(r.a.latest, "year"), outputs="machine"),
    Column("latest_value", numeric=True, value=lambda r: _point(r.a.latest, "value"), outputs="machine"),
    Column("latest_source", value=lambda r: _point(r.a.latest, "source"), outputs="machine"),
    Column("latest_obs_status", value=lambda r: _point(r.a.latest, "obs_status"), outputs="machine"),
    Column("latest", "Latest", numeric=True, text=lambda r, short: fmt.fmt_point(r.a.latest, r.unit),
           outputs="people"),
)
_GOAL = (
    # "$614bn of $1.00tn" (a covered goal and the plan's) may wrap after "of" where a terminal is narrow
    Column("target", "Goal", numeric=True, value=lambda r: r.a.target, text=lambda r, short: fmt.fmt_goal(r.a, r.unit),
           wrap=True, min_width=9),
    Column("goal", numeric=True, value=_goal, outputs="machine"),
)
_PROGRESS = (
    Column("progress", "Progress", numeric=False, value=lambda r: r.a.progress,
           text=lambda r, short: bar(r.a.progress, 4 if short else 8)),
    Column("attainment", "%goal", "%gl", numeric=True, value=lambda r: r.a.attainment,
           text=lambda r, short: fmt.pct(r.a.attainment)),
    Column("gap", "Gap", numeric=True, value=lambda r: r.a.gap, text=lambda r, short: fmt.fmt_gap(r.a.gap, r.unit)),
)
_PACE = (
    Column("observed_rate", "Pace/y", numeric=True, value=lambda r: r.a.observed_rate,
           text=lambda r, short: fmt.rate(r.a.observed_rate) + fmt.trend_mark(r.a)),
    Column("required_rate", "Need/y", numeric=True, value=lambda r: r.a.required_rate,
           text=lambda r, short: fmt.rate(r.a.required_rate)),
    Column("projected", "Projected", "Proj", numeric=True, value=lambda r: r.a.projected,
           text=lambda r, short: fmt.fmt_value(r.a.projected, r.unit)),
    Column("anticipated", numeric=True, value=lambda r: r.a.anticipated, outputs="machine"),
)
_STATUS = (
    Column("status", "Status", value=lambda r: r.a.status, text=lambda r, short: status_cell(r.a, short=short)),
    Column("status_word", "Status", text=lambda r, short: status_cell(r.a, short=True), outputs="people"),
    Column("status_mark", "", text=lambda r, short: status_cell(r.a, symbol_only=True), outputs="people"),
    Column("reason", value=lambda r: r.a.reason, outputs="machine"),
    Column("trend_from", numeric=True, value=lambda r: _trend(r.a, "from_year"), outputs="machine"),
    Column("trend_to", numeric=True, value=lambda r: _trend(r.a, "to_year"), outputs="machine"),
    Column("trend_points", numeric=True, value=lambda r: _trend(r.a, "points"), outputs="machine"),
)
_YEARS_LEFT = Column("years_left", "Yrs", numeric=True, value=lambda r: r.a.years_left,
                     text=lambda r, short: "—" if r.a.years_left is None else str(r.a.years_left))
_SHORTFALL = Column("shortfall", "Short", numeric=True, value=lambda r: r.a.shortfall,
                    text=lambda r, short: fmt.fmt_amount(r.a.shortfall, r.unit))
_RATIO = Column("ratio", numeric=True, value=lambda r: r.a.ratio, outputs="machine", when=_cagr)
_GAPS_ONLY = (
    Column("shortfall_share", numeric=True, value=lambda r: r.a.shortfall_share, outputs="machine"),
    Column("contribution", "Contrib", numeric=True, value=lambda r: r.a.contribution,
           text=lambda r, short: fmt.fmt_gap(r.a.contribution, r.unit)),
)
_REGION = (
    Column("basis", value=_region_only(lambda a: a.basis), outputs="machine"),
    Column("coverage_states", numeric=True, value=_coverage("states"), outputs="machine"),
    Column("coverage_of", numeric=True, value=_coverage("of"), outputs="machine"),
    Column("coverage_weight_share", numeric=True, value=_coverage("weight_share"), outputs="machine"),
    Column("carried_forward", value=lambda r: " ".join(r.a.carried_forward) if r.region else "", outputs="machine"),
    Column("coverage", "Cover", numeric=True, text=lambda r, short: coverage_cell(r), outputs="people"),
    Column("coverage_short", "Cover", numeric=True, text=lambda r, short: coverage_cell(r, True), outputs="people"),
)
_PROXY = Column("proxy", value=lambda r: proxy_of(r.tr), outputs="machine")

_ASSESSMENT_HEAD = (_TARGET, _TARGET_NO, _STATE, _UNIT, *_BASELINE, *_LATEST, *_GOAL, *_PROGRESS, *_PACE, *_STATUS,
                    _YEARS_LEFT, _SHORTFALL, _RATIO)

_STATUS_KEYS = ("baseline", "latest", "target", "attainment", "progress", "gap", "status", "coverage")
STATUS = Spec("status", (*_ASSESSMENT_HEAD, *_REGION, _PROXY), (
    Layout("wide", ("target_id", *_STATUS_KEYS)),
    Layout("medium", ("target_no", *_STATUS_KEYS)),
    Layout("compact", ("target_no", *_STATUS_KEYS), short=True),
    Layout("narrow", ("target_no", "latest", "target", "attainment", "gap", "status_mark", "coverage_short"),
           short=True, drop=("coverage_short", "target", "gap", "latest", "attainment")),
))
#: Markdown: the status report's rows (region and states) with the columns of the wide table
STATUS_MARKDOWN = Layout("markdown", ("target_id", "state", *_STATUS_KEYS))

_GAPS_KEYS = ("state", "latest", "target", "gap", "years_left", "required_rate", "observed_rate", "projected",
              "shortfall", "status_word", "contribution")
GAPS = Spec("gaps", (*_ASSESSMENT_HEAD, *_GAPS_ONLY, *_REGION, _PROXY), (
    Layout("wide", ("target_id", *_GAPS_KEYS)),
    Layout("medium", ("target_no", *_GAPS_KEYS)),
    Layout("compact", ("target_no", "state", "latest", "target", "gap", "required_rate", "observed_rate",
                       "shortfall", "status_mark", "contribution"), short=True),
    Layout("narrow", ("target_no", "state", "latest", "gap", "required_rate", "observed_rate", "shortfall",
                      "status_mark"), short=True,
           drop=("latest", "observed_rate", "required_rate", "gap", "shortfall")),
))
GAPS_MARKDOWN = GAPS.layouts[0]


# ---- the state matrix (status) -----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class MatrixRow:
    state: str
    cells: tuple  # one Assessment per target
    as_of: int


def matrix_rows(result) -> list[MatrixRow]:
    if not result.targets:
        return []
    codes = [a.state for a in result.targets[0].states]
    return [MatrixRow(code, tuple(tr.states[i] for tr in result.targets), result.as_of)
            for i, code in enumerate(codes)]


def compact_value(v: float, unit: str) -> str:
    if unit == "usd-bn":  # whole billions, but two significant digits below 10 (0.0456 is not "0")
        return fmt.number(v, ",.0f" if not -10 < v < 10 else ".2g")
    if unit in ("usd", "persons"):
        return fmt.si(v)
    return fmt.number(v, ".1f")


def _matrix_value(r, i: int) -> float | None:
    latest = r.cells[i].latest
    return None if latest is None else latest.value


def _matrix_text(r, short: bool, i: int, unit: str) -> Cell:
    return matrix_cell(r.cells[i], unit, r.as_of)


def matrix_cell(a, unit: str, as_of: int) -> Cell:
    """Latest value (its obs_status mark, and its year when that is not the as-of year: ``4.0'20``),
    % of goal, status symbol."""
    if a.latest is None:
        return ((fmt.status_label(a.status, a.reason, fmt.SHORT_LABEL), "dim"),)
    text = compact_value(a.latest.value, unit) + fmt.obs_mark(a.latest)
    if a.latest.year != as_of:
        text += f"'{a.latest.year % 100:02d}"
    style = fmt.STATUS_STYLE.get(a.status, "")
    return ((text + " ", ""), (fmt.pct(a.attainment), "dim"),
            (" " + fmt.SYMBOL_CHAR.get(a.status, "?") + fmt.trend_mark(a), style))


def matrix_spec(result) -> Spec:
    """The member-state × target matrix: one column per target, headed ``T1 %`` (the unit)."""
    cols = [Column("state", "State", value=lambda r: r.state, text=lambda r, short: r.state)]
    for n, tr in enumerate(result.targets, start=1):
        unit = tr.indicator.unit
        cols.append(Column(
            f"T{n}", f"{fmt.proxy_marked(tr.target.id, proxy_of(tr))} [{fmt.UNIT_SHORT.get(unit, unit)}]",
            f"{fmt.proxy_marked(f'T{n}', proxy_of(tr))} {fmt.UNIT_SHORT.get(unit, unit)}", numeric=True,
            value=partial(_matrix_value, i=n - 1),
            text=partial(_matrix_text, i=n - 1, unit=unit)))
    keys = tuple(c.key for c in cols)
    return Spec("matrix", tuple(cols), (Layout("compact", keys, short=True),))


# ---- history -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One entry of a series' history, with what became of it."""

    entry: Any  # model.Observation
    layer: str  # store | reference
    status: str  # current | superseded | retracted | retraction
    unit: str
    note_ref: int | None = None  # the number of its note among the table's footnotes


def _recorded(e) -> str:
    return (e.entry.recorded_at or e.entry.released or "")[:10]


def _what(e, short: bool) -> str:
    o = e.entry
    text = f"retraction: {o.reason or ''}" if o.retracted else (o.source or "")
    return text + (f" [{e.note_ref}]" if e.note_ref else "")


HISTORY = Spec("history", (
    Column("year", "Year", numeric=True, value=lambda e: e.entry.year, text=lambda e, short: str(e.entry.year)),
    Column("value", "Value", numeric=True, value=lambda e: e.entry.value,
           text=lambda e, short: "—" if e.entry.value is None else fmt.full(e.entry.value)),
    Column("obs", "St", text=lambda e, short: "" if e.entry.retracted else (e.entry.obs_status or "A"),
           outputs="people"),
    Column("value_marked", "Value", numeric=True, outputs="people",
           text=lambda e, short: "—" if e.entry.value is None else fmt.full(e.entry.value) + fmt.obs_mark(e.entry)),
    Column("layer", "Layer", value=lambda e: e.layer, text=lambda e, short: e.layer[:3] if short else e.layer),
    Column("status", "Status", value=lambda e: e.status, text=lambda e, short: e.status),
    Column("source", value=lambda e: e.entry.source, outputs="machine"),
    Column("note", value=lambda e: e.entry.note, outputs="machine"),
    Column("recorded_at", "Recorded", value=lambda e: e.entry.recorded_at, text=lambda e, short: _recorded(e)),
    Column("retracted", value=lambda e: e.entry.retracted, outputs="machine"),
    Column("reason", value=lambda e: e.entry.reason, outputs="machine"),
    Column("obs_status", value=lambda e: e.entry.obs_status, outputs="machine"),
    Column("what", "Source [note]", text=_what, outputs="people", wrap=True),
), (
    Layout("wide", ("year", "value", "obs", "layer", "status", "recorded_at", "what")),
    Layout("medium", ("year", "value", "obs", "layer", "status", "what"), short=True),
    Layout("narrow", ("year", "value_marked", "layer", "status", "what"), short=True,
           drop=("layer", "what", "status")),
))


# ---- export ------------------------------------------------------------------------------------

def _all_revisions(flag) -> bool:
    return bool(flag)


#: SPEC §4 ``admtrack.observations/1``; ``retracted``/``reason`` with ``--all-revisions`` only
EXPORT = Spec("export", (
    Column("state", value=lambda o: o.state, outputs="machine"),
    Column("indicator", value=lambda o: o.indicator, outputs="machine"),
    Column("year", numeric=True, value=lambda o: o.year, outputs="machine"),
    Column("value", numeric=True, value=lambda o: o.value, outputs="machine"),
    Column("source", value=lambda o: o.source, outputs="machine"),
    Column("note", value=lambda o: o.note, outputs="machine"),
    Column("recorded_at", value=lambda o: o.recorded_at, outputs="machine"),
    Column("layer", value=lambda o: o.layer, outputs="machine"),
    Column("retracted", value=lambda o: o.retracted, outputs="machine", when=_all_revisions),
    Column("reason", value=lambda o: o.reason, outputs="machine", when=_all_revisions),
    Column("obs_status", value=lambda o: o.obs_status, outputs="machine"),
))


# ---- plan listings -----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TargetRow:
    """A target of the listing, with the years it is measured between (SPEC §2.1: its own, else the
    plan's); ``years_shown``: the targets listed do not all share them, so its Goal cell names them."""

    target: Any  # plan.Target
    indicator: Any  # plan.Indicator
    baseline_year: int
    target_year: int
    years_shown: bool = False


def target_rows(plan, targets) -> list[TargetRow]:
    goals = [plan.goal(t) for t in targets]
    shown = len({(g.baseline_year, g.target_year) for g in goals}) > 1
    return [TargetRow(t, plan.indicators[t.indicator], g.baseline_year, g.target_year, shown)
            for t, g in zip(targets, goals)]


def _goal_text(r: TargetRow, short: bool) -> str:
    t = r.target
    if t.kind == "level":
        text = fmt.fmt_value(t.value, r.indicator.unit)
        return f"{text} by {r.target_year}, baseline {r.baseline_year}" if r.years_shown else text
    text = f"{t.change * 100:+.0f}% vs {r.baseline_year}"
    return f"{text} by {r.target_year}" if r.years_shown else text


def _region_text(r: TargetRow, short: bool) -> str:
    t = r.target
    text = {"weighted_mean": "w. mean", "mean": "mean", "sum": "sum"}.get(t.aggregate, t.aggregate)
    return text + (f" ({t.weight})" if t.weight else "")


TARGETS = Spec("targets", (
    Column("id", "Target", value=lambda r: r.target.id,
           text=lambda r, short: fmt.proxy_marked(r.target.id, r.indicator.proxy)),
    Column("title", "Title", value=lambda r: r.target.title, text=lambda r, short: r.target.title, wrap=True),
    Column("indicator", "Indicator", value=lambda r: r.target.indicator, text=lambda r, short: r.target.indicator),
    Column("unit", value=lambda r: r.indicator.unit, outputs="machine"),
    Column("kind", value=lambda r: r.target.kind, outputs="machine"),
    Column("value", numeric=True, value=lambda r: r.target.value, outputs="machine"),
    Column("change", numeric=True, value=lambda r: r.target.change, outputs="machine"),
    Column("baseline_year", numeric=True, value=lambda r: r.baseline_year, outputs="machine"),  # SPEC §2.1
    Column("target_year", numeric=True, value=lambda r: r.target_year, outputs="machine"),
    Column("goal", "Goal", numeric=True, text=_goal_text, outputs="people"),
    Column("direction", value=lambda r: r.target.direction, outputs="machine"),
    Column("aggregate", "Region", value=lambda r: r.target.aggregate, text=_region_text, wrap=True,
           min_width=14),
    Column("weight", value=lambda r: r.target.weight, outputs="machine"),
    Column("source", value=lambda r: r.target.source, outputs="machine"),
    Column("proxy", value=lambda r: r.indicator.proxy, outputs="machine"),  # SPEC §8
), (
    Layout("wide", ("id", "indicator", "goal", "aggregate", "title")),
    Layout("compact", ("id", "indicator", "goal")),
    Layout("narrow", ("id", "goal", "aggregate"), short=True),
))


def _range(ind) -> str:
    lo = "" if ind.min is None else f"{ind.min:g}"
    hi = "" if ind.max is None else f"{ind.max:g}"
    return f"{lo}–{hi}" if (lo and hi) else (f"≥ {lo}" if lo else (f"≤ {hi}" if hi else "any"))


def _indicator_name(ind, short: bool) -> str:
    name = ind.name
    if ind.derive:
        a, b = ind.derive.of
        sym = "×" if ind.derive.op == "product" else "/"
        name += " = " + (f"{ind.derive.scale:g} × " if ind.derive.scale != 1 else "") + f"{a} {sym} {b}"
    return name + (" " + fmt.PROXY_MARK if ind.proxy else "")


INDICATORS = Spec("indicators", (
    Column("id", "Indicator", text=lambda i, short: i.id, outputs="people"),
    Column("unit", "Unit", text=lambda i, short: i.unit, outputs="people"),
    Column("range", "Range", text=lambda i, short: _range(i), outputs="people"),
    Column("name", "Name / derivation", text=_indicator_name, outputs="people", wrap=True),
), (
    Layout("wide", ("id", "unit", "range", "name")),
    Layout("narrow", ("id", "unit", "name"), short=True, drop=("unit", "name")),
))

STATES = Spec("states", (
    Column("code", "Code", value=lambda s: s.code, text=lambda s, short: s.code),
    Column("alpha2", "α-2", value=lambda s: s.alpha2, text=lambda s, short: s.alpha2),
    Column("name", "Name", value=lambda s: s.name, text=lambda s, short: s.name),
    Column("aliases", "Also accepted", value=lambda s: list(s.aliases),
           text=lambda s, short: ", ".join(s.aliases), wrap=True),
    Column("joined", "Joined", value=lambda s: s.joined, text=lambda s, short: str(s.joined or "")),
), (
    Layout("wide", ("code", "alpha2", "name", "joined", "aliases"), drop=("aliases", "joined", "alpha2")),
))
