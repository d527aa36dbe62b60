"""Rich tables for people. Imported only when a table is printed.

The columns come from ``render.columns`` (the same list CSV, TSV and Markdown walk); this module only
lays them out: it picks the widest layout that fits the terminal, keeps cells whole (a cell never breaks
inside a number or a code; only titles, sources and names wrap, between words), packs legends so that a
key never parts from its name, and leaves no trailing spaces. No ANSI codes when stdout is not a
terminal (Rich's own detection); no colour when NO_COLOR is set and non-empty or TERM=dumb.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import replace

from rich import box
from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from admtrack.render import columns as spec
from admtrack.render.fmt import (
    LABEL,
    OBS_LABEL,
    OBS_MARK,
    PROXY_MARK,
    REASON_WORD,
    STATUS_STYLE,
    SYMBOL_CHAR,
    fmt_pair,
    proxy_marked,
    proxy_note,
)

SPARK = "▁▂▃▄▅▆▇█"
GAP = "  "  # between the units of a legend
_TRAILING = re.compile(r"[ \u00a0]+((?:\x1b\[[0-9;]*m)*)$")


def console() -> Console:
    """Rich, for stdout: a terminal only when stdout is one (SPEC §4: no ANSI codes at all off a terminal,
    whatever FORCE_COLOR says); no colour with NO_COLOR or TERM=dumb."""
    no_color = bool(os.environ.get("NO_COLOR")) or os.environ.get("TERM") == "dumb"
    return Console(highlight=False, no_color=no_color, emoji=False, markup=False,
                   force_terminal=stdout_is_terminal())


def stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False


def show(con: Console, *items: RenderableType | None) -> None:
    """Print ``items`` (None: an empty line) with the trailing spaces of every line removed."""
    with con.capture() as cap:
        for item in items:
            con.print() if item is None else con.print(item)
    text = "\n".join(_TRAILING.sub(r"\1", line) for line in cap.get().split("\n"))
    sys.stdout.write(text)
    sys.stdout.flush()


def styled(cell: spec.Cell) -> Text:
    if isinstance(cell, str):
        return Text(cell)
    t = Text()
    for text, style in cell:
        t.append(text, style=style or None)
    return t


# ---- tables ------------------------------------------------------------------------------------

def build(report: spec.Spec, layout: spec.Layout, rows: Iterable, cols: Sequence[spec.Column] | None = None,
          gap: int = 2) -> Table:
    """A Rich table of ``rows`` with the people columns of ``layout`` (or ``cols``), ``gap`` spaces apart."""
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 0, 0, gap - 1), show_edge=False)
    cols = list(cols if cols is not None else report.people(layout))
    for c in cols:
        t.add_column(c.head(layout.short), justify="right" if c.numeric else "left", no_wrap=not c.wrap,
                     overflow="fold" if c.wrap else "ellipsis", min_width=c.narrowest)
    for r in rows:
        t.add_row(*(styled(c.cell(r, layout.short)) for c in cols))
    return t


def column_widths(t: Table, *, squeeze: bool = True, natural: bool = False) -> list[int]:
    """The width each column of a table needs: its cells whole, a wrapping column at its narrowest
    (``squeeze``) or else only prose (wider than ``WRAP_MIN``) wrapped; ``natural``: every cell on one line.
    A column's ``min_width`` is how narrow it may wrap, not padding: one whose cells are all narrower is as
    wide as they are (``fix_widths`` then tells Rich, which would pad it)."""
    out = []
    for col in t.columns:
        cells = [cell_len(col.header) if isinstance(col.header, str) else 0]
        cells += [c.cell_len if isinstance(c, Text) else cell_len(str(c)) for c in col._cells]
        widest = max(cells)
        floor = min(col.min_width or 0, widest)
        if col.no_wrap or natural:
            out.append(max(widest, floor))
        else:
            least = (floor or widest) if squeeze else max(spec.WRAP_MIN, floor)
            out.append(max(min(widest, least), floor))
    return out


def width_of(t: Table, *, squeeze: bool = True, gap: int | None = None) -> int:
    """The width a table needs, its columns ``gap`` spaces apart (default: as built)."""
    widths = column_widths(t, squeeze=squeeze)
    spaces = (1 + t.padding[3]) if gap is None else gap
    return sum(widths) + spaces * max(len(widths) - 1, 0)


def fix_widths(t: Table, width: int, *, squeeze: bool) -> None:
    """Set the width of every column of ``t`` (which ``width_of`` says fits in ``width``): every cell on
    one line where there is room, else the widest wrapping columns narrowed first, none below what
    ``column_widths`` allows. Left to itself, Rich narrows a table that is too wide below its columns'
    needs, and crops the lines of a table it cannot narrow: a cell would be cut."""
    widths = column_widths(t, natural=True)
    floors = column_widths(t, squeeze=squeeze)
    excess = sum(widths) + (1 + t.padding[3]) * max(len(widths) - 1, 0) - width
    while excess > 0:
        room = [i for i, (w, least) in enumerate(zip(widths, floors)) if w > least]
        if not room:
            break
        top = max(widths[i] for i in room)
        for i in room:
            if widths[i] == top and excess > 0:
                widths[i] -= 1
                excess -= 1
    for col, w in zip(t.columns, widths):
        col.width = w


def pick(con: Console, report: spec.Spec, rows: list) -> tuple[Table, spec.Layout]:
    """The first (widest) layout whose table fits the terminal, its columns two spaces apart or else one;
    failing all, the narrowest with columns left out (``Layout.dropping``) until it fits: a cell is never
    cut."""
    for layout in report.layouts:
        t = _fitted(con, report, layout, rows)
        if t is not None:
            return t, layout
    keys = list(layout.keys)
    for key in layout.dropping():
        keys.remove(key)
        narrower = replace(layout, keys=tuple(keys))
        t = _fitted(con, report, narrower, rows)
        if t is not None:
            return t, narrower
    return build(report, narrower, rows, gap=1), narrower  # one column wider than the terminal


def _fitted(con: Console, report: spec.Spec, layout: spec.Layout, rows: list) -> Table | None:
    """The table of ``layout`` with its column widths fixed, if it fits the terminal (prose wrapped at no
    less than ``WRAP_MIN`` if it can be, then wrapping columns at their narrowest); else None."""
    t = build(report, layout, rows, gap=2)
    for squeeze in (False, True):
        for gap in (2, 1):
            if width_of(t, squeeze=squeeze, gap=gap) <= con.width:
                if gap != 2:
                    t = build(report, layout, rows, gap=gap)
                fix_widths(t, con.width, squeeze=squeeze)
                return t
    return None


def title(con: Console, *variants: str) -> Text:
    """The first title that fits on one line (else the last, wrapped between words)."""
    for v in variants:
        if cell_len(v) <= con.width:
            break
    return Text(v, style="bold")


def legend(con: Console, units: Sequence[spec.Cell], *, style: str = "dim") -> Text:
    """Units (a symbol and its name, a key and its target) packed into lines of the terminal's width,
    two spaces apart; a unit is never split across lines (one wider than the terminal wraps alone)."""
    out = Text(style=style)
    used = 0
    for unit in units:
        piece = styled(unit)
        n = piece.cell_len
        if used and used + len(GAP) + n > con.width:
            out.append("\n")
            used = 0
        elif used:
            out.append(GAP)
            used += len(GAP)
        out.append_text(piece)
        used += n
    return out


def status_units() -> list[spec.Cell]:
    units: list[spec.Cell] = [((SYMBOL_CHAR[s], STATUS_STYLE[s]), (" " + LABEL[s], "")) for s in SYMBOL_CHAR]
    units.append("* trend from only 2 points")
    return units


def reasons_note() -> Text:
    return Text("Why data is insufficient: " + ", ".join(REASON_WORD.values()) + ".", style="dim")


def obs_units(points) -> list[spec.Cell]:
    """A legend unit for each obs_status mark that appears (SPEC §8)."""
    seen = {p.obs_status for p in points if p is not None and p.obs_status not in (None, "A")}
    return [f"{OBS_MARK.get(code, code)} {OBS_LABEL.get(code, code)}" for code in sorted(seen)]


def target_key(result) -> list[spec.Cell]:
    return [f"{proxy_marked(f'T{i}', spec.proxy_of(tr))} {tr.target.id}"
            for i, tr in enumerate(result.targets, start=1)]


def proxy_notes(result) -> list[Text]:
    return [Text(proxy_note(tr.target.id, tr.target.indicator, proxy), style="dim")
            for tr in result.targets if (proxy := spec.proxy_of(tr))]


def _when(result) -> str:
    vintage = f", as recorded {result.as_recorded}" if result.as_recorded else ""
    return f"as of {result.as_of}{vintage}"


# ---- status ------------------------------------------------------------------------------------

def status(result) -> None:
    con = console()
    m = result.plan.meta
    lines = [line for line in spec.lines(result) if line.region]
    items: list[RenderableType | None] = [
        title(con, f"{m.id} targets, ASEAN region — {_when(result)}, {result.method} method",
              f"{m.id} region — {_when(result)}, {result.method}", f"{m.id} region, {_when(result)}")]
    if lines:
        t, layout = pick(con, spec.STATUS, lines)
        items += [t]
        if "target_no" in layout.keys:
            items.append(legend(con, target_key(result)))
    if result.targets and result.targets[0].states:
        items += [None, *_matrix(con, result)]
    points = [a.latest for tr in result.targets for a in [tr.region, *tr.states]]
    items += [legend(con, status_units() + obs_units(points)), reasons_note(), *proxy_notes(result),
              Text(_status_key(result), style="dim")]
    show(con, *items)


def _status_key(result) -> str:
    """What the status table's columns mean, naming the weights this plan's shown targets use."""
    shown = [tr.target for tr in result.targets]
    sums = sorted({t.weight or "" for t in shown if t.aggregate == "sum"})
    weights = sorted({t.weight for t in shown if t.weight})
    out = ["%goal: latest value as a share of the goal. Progress: share of the way from the baseline to the goal."]
    if sums:
        by = " or ".join(f"by {w}" if w else "equal, without a weight" for w in sums)
        out.append(f"Goal: for a sum target, the goal of the reporting states (their fair shares, {by}) of the "
                   "plan's goal.")
    cover = f"their share of its weight ({', '.join(weights)})" if weights else "their share of the member states"
    out.append(f"Cover: member states in the region's latest value and {cover}; rep = a figure reported for "
               "ASEAN as a whole.")
    return " ".join(out)


def _matrix(con: Console, result) -> list[RenderableType | None]:
    """The member-state matrix, cut into blocks of targets that fit the terminal."""
    report = spec.matrix_spec(result)
    layout = report.layouts[0]
    rows = spec.matrix_rows(result)
    state, *targets = report.people(layout)
    first, *widths = column_widths(build(report, layout, rows, [state, *targets]))
    blocks: list[list[spec.Column]] = []
    sizes: list[list[int]] = []  # the widths of each block's columns
    for col, w in zip(targets, widths):
        if blocks and first + sum(sizes[-1]) + w + len(sizes[-1]) + 1 <= con.width:  # one space apart
            blocks[-1].append(col)
            sizes[-1].append(w)
        else:
            blocks.append([col])
            sizes.append([w])
    gap = 2 if all(first + sum(b) + 2 * len(b) <= con.width for b in sizes) else 1
    out: list[RenderableType | None] = [title(con, "Member states: latest value, % of goal, status",
                                              "States: latest, % of goal, status")]
    for i, block in enumerate(blocks):
        if i:
            out.append(None)
        out.append(build(report, layout, rows, [state, *block], gap=gap))
    out.append(legend(con, target_key(result)))
    out.append(Text(f"'22: the year of a latest value older than {result.as_of}", style="dim"))
    return out


# ---- gaps --------------------------------------------------------------------------------------

def gaps(result) -> None:
    con = console()
    m = result.plan.meta
    years = target_years(result)
    (y,) = years if len(years) == 1 else (None,)
    lines = spec.gap_lines(result)
    if y is None:  # SPEC §2.1: targets with years of their own; the note below names them
        heads = (f"{m.id} gaps to the targets, worst first — {_when(result)}, {result.method} method",
                 f"{m.id} gaps, worst first — {_when(result)}", f"{m.id} gaps, {_when(result)}")
        when = "in the target's year (" + "; ".join(f"{year}: " + ", ".join(ids) for year, ids in years.items()) + ")"
    else:
        heads = (f"{m.id} gaps to the {y} targets, worst first — {_when(result)}, {result.method} method",
                 f"{m.id} gaps to {y}, worst first — {_when(result)}", f"{m.id} gaps to {y}, {_when(result)}")
        when = f"in {y}"
    items: list[RenderableType | None] = [title(con, *heads)]
    t, layout = pick(con, spec.GAPS, lines)
    items += [t]
    if "target_no" in layout.keys:
        items.append(legend(con, target_key(result)))
    items += [legend(con, status_units() + obs_units([line.a.latest for line in lines])), reasons_note(),
              *proxy_notes(result),
              Text("Need/y: annual pace required from the latest year; Pace/y: observed pace over the trend "
                   "window (compound %, or change per year where values are not all positive); Proj: projected "
                   f"value {when}; Short: projected shortfall {'in that year' if y is None else when}, in the "
                   "target's unit; Goal: the value each series must reach (a state's fair share of a sum); "
                   "Contrib: the state's share of the region's gap. Rows: worst status first, then by shortfall "
                   "as a share of the goal.", style="dim")]
    show(con, *items)


def target_years(result) -> dict[int, list[str]]:
    """The target years of the targets shown (SPEC §2.1: a target's own, else the plan's), earliest first,
    each with the ids of its targets."""
    out: dict[int, list[str]] = {}
    for tr in result.targets:
        goal = tr.goal or result.plan.goal(tr.target)
        out.setdefault(goal.target_year, []).append(tr.target.id)
    return dict(sorted(out.items())) or {result.plan.meta.target_year: []}


# ---- listings ----------------------------------------------------------------------------------

def targets(plan, rows: list[spec.TargetRow]) -> None:
    con = console()
    m = plan.meta
    t, _ = pick(con, spec.TARGETS, rows)
    it, _ = pick(con, spec.INDICATORS, list(plan.indicators.values()))
    notes = [Text(f"{PROXY_MARK} {i.id} is a proxy: {i.proxy}", style="dim")
             for i in plan.indicators.values() if i.proxy]
    spans = {(r.baseline_year, r.target_year) for r in rows} or {(m.baseline_year, m.target_year)}
    if len(spans) == 1:  # the targets' own years (SPEC §2.1), which need not be the plan's
        (baseline, year), = spans
        heads = (f"{m.name} ({m.id}): targets for {year}, baseline {baseline}",
                 f"{m.id}: targets for {year}, baseline {baseline}")
    else:  # named in each Goal cell
        heads = (f"{m.name} ({m.id}): targets, each for its own year", f"{m.id}: targets")
    show(con, title(con, *heads), t, None, title(con, "Indicators"), it, *notes)


def states(plan_states) -> None:
    con = console()
    t, _ = pick(con, spec.STATES, list(plan_states))
    show(con, title(con, f"ASEAN member states ({len(plan_states)})"), t)


# ---- history -----------------------------------------------------------------------------------

def sparkline(values: list[float]) -> str:
    if not values:
        return ""
    lo, hi = min(values), max(values)
    if hi == lo:
        return SPARK[3] * len(values)
    half = 0.5 if math.isinf(hi - lo) else 1.0  # near ±1.8e308 hi − lo overflows; halves do not
    span = hi * half - lo * half
    return "".join(SPARK[min(len(SPARK) - 1, int((v * half - lo * half) / span * (len(SPARK) - 1) + 0.5))]
                   for v in values)


def history(h, entries: list[spec.HistoryEntry], notes: list[str]) -> None:
    """The entries of one series; each distinct note printed once, below the table, numbered."""
    con = console()
    unit = h.indicator_model.unit
    vintage = f", as recorded {h.as_recorded}" if h.as_recorded else ""
    head = title(con, f"{h.state} {h.indicator} [{unit}]: every entry, oldest first{vintage}",
                 f"{h.state} {h.indicator} [{unit}]{vintage}")
    items: list[RenderableType | None] = [head]
    layout = None
    if entries:
        t, layout = pick(con, spec.HISTORY, entries)
        for i, e in enumerate(entries):
            if e.status != "current":
                t.rows[i].style = "dim"
        items += [t]
    else:  # a derived series has no entries of its own, but current values
        derive = h.indicator_model.derive
        items.append(Text("no entries" + (f" (derived from {', '.join(derive.of)})" if derive else ""), style="dim"))
    if h.points:
        first, last = h.points[0], h.points[-1]
        a, b = fmt_pair(first.value, last.value, unit)
        if len(h.points) == 1:
            line = Text(f"current value {first.year}: ", style="dim")
            line.append(a)
        else:
            line = Text(f"current values {first.year}–{last.year}: ", style="dim")
            line.append(sparkline([p.value for p in h.points]), style="cyan")
            line.append(f"  {a} → {b}")
        items.append(line)
    marks = {e.entry.obs_status for e in entries if e.entry.obs_status not in (None, "A") and not e.entry.retracted}
    if layout is not None and "obs" in layout.keys:
        units = [f"{c} {OBS_LABEL.get(c, c)}" for c in sorted(marks)]
        items.append(legend(con, ["St: SDMX observation status, A normal", *units]))
    elif marks:
        items.append(legend(con, [f"{OBS_MARK.get(c, c)} {OBS_LABEL.get(c, c)}" for c in sorted(marks)]))
    items += [Text(f"[{i}] {note}", style="dim") for i, note in enumerate(notes, start=1)]
    show(con, *items)
