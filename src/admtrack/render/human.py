"""Rich tables for people. Imported only when a table is printed.

No ANSI codes when stdout is not a terminal (Rich's own detection); no colour when NO_COLOR is set and
non-empty or TERM=dumb. Values are formatted, never computed, here.
"""

from __future__ import annotations

import math
import os

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from admtrack.model import REGION
from admtrack.render.fmt import LABEL, REASON_WORD, fmt_gap, fmt_goal, fmt_point, fmt_value, pct, rate, si
from admtrack.render.fmt import status_label, trend_mark

SYMBOL = {
    "achieved": ("✔", "bold green"),
    "on_track": ("●", "green"),
    "acceleration_needed": ("▲", "yellow"),
    "limited_progress": ("◆", "dark_orange"),
    "regressing": ("▼", "bold red"),
    "insufficient_data": ("·", "dim"),
}
SHORT = {
    "achieved": "achieved",
    "on_track": "on track",
    "acceleration_needed": "accel.",
    "limited_progress": "limited",
    "regressing": "regress.",
    "insufficient_data": "no data",
}
SPARK = "▁▂▃▄▅▆▇█"
WIDE = 110  # from this terminal width on, tables name targets in full


def console() -> Console:
    no_color = bool(os.environ.get("NO_COLOR")) or os.environ.get("TERM") == "dumb"
    return Console(highlight=False, no_color=no_color, emoji=False, markup=False)


def table(title: str | None = None) -> Table:
    return Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", title_style="bold", pad_edge=False,
                 padding=(0, 0, 0, 0), show_edge=False)


def bar(progress: float | None, width: int = 5) -> Text:
    if progress is None or not math.isfinite(progress):
        return Text("—", style="dim")
    shown = min(max(progress, 0.0), 1.0)
    full = int(round(shown * width))
    t = Text("█" * full, style="cyan")
    t.append("░" * (width - full), style="dim")
    t.append(f" {progress * 100:.0f}%", style="red" if progress < 0 else "")
    return t


def status_text(a, *, short: bool = False, symbol_only: bool = False) -> Text:
    """The status of assessment ``a`` as symbol and word (the reason word for insufficient_data, SPEC
    §5.7), with ``*`` when its trend rests on 2 points."""
    sym, style = SYMBOL.get(a.status, ("?", ""))
    mark = trend_mark(a)
    if symbol_only and a.reason is None:
        return Text(sym + mark, style=style)
    label = status_label(a.status, a.reason, SHORT if short or symbol_only else LABEL)
    return Text(f"{sym} {label}{mark}", style=style)


def legend() -> Text:
    t = Text("")
    for name, (sym, style) in SYMBOL.items():
        t.append(sym, style=style)
        t.append(f" {LABEL[name]}  ", style="dim")
    t.append("(" + ", ".join(REASON_WORD.values()) + ")  * trend from only 2 points", style="dim")
    return t


def target_key(result) -> Text:
    t = Text("", style="dim")
    for i, tr in enumerate(result.targets, start=1):
        t.append(f"T{i} {tr.target.id}  ")
    return t


def _title(result, what: str) -> str:
    m = result.plan.meta
    return f"{m.id} {what} — as of {result.as_of}, {result.method} method"


# ---- status ------------------------------------------------------------------------------------

def _fits(con: Console, t: Table) -> bool:
    from rich.measure import Measurement

    unbounded = con.options.update_width(10_000)  # measure the table's natural width, not the terminal's
    return Measurement.get(con, unbounded, t).maximum <= con.width


def _pick(con: Console, build) -> tuple[Table, bool]:
    """The wide layout (targets named in full) where it fits the terminal, else the compact one."""
    if con.width >= WIDE:
        t = build(True)
        if _fits(con, t):
            return t, True
    return build(False), False


def num_column(t: Table, head: str) -> None:
    # numbers fold rather than lose digits to an ellipsis when a terminal is too narrow for them
    t.add_column(head, justify="right", overflow="fold")


def status(result) -> None:
    con = console()
    t, wide = _pick(con, lambda wide: _status_table(result, wide))
    con.print(t)
    if not wide:
        con.print(target_key(result))
    if result.targets and result.targets[0].states:
        con.print()
        _matrix(con, result, wide)
    con.print(legend())
    con.print(Text("%goal: latest value as a share of the goal. Progress: share of the way from the baseline to the "
                   "goal. Goal: for a sum (value added), the goal of the reporting states (their fair shares, by "
                   "GDP) of the plan's goal. Cover: member states in the region's latest value and their share of "
                   "its weight (GDP, labour force or population); rep = a figure reported for ASEAN as a whole.",
                   style="dim"))


def _status_table(result, wide: bool) -> Table:
    t = table(_title(result, "targets, ASEAN region"))
    t.add_column("Target" if wide else "#", no_wrap=True, min_width=2)
    num_column(t, "Baseline")
    num_column(t, "Latest")
    num_column(t, "Goal")
    num_column(t, "%goal" if wide else "%gl")
    t.add_column("Progress", no_wrap=True)
    num_column(t, "Gap")
    t.add_column("Status", overflow="fold")
    num_column(t, "Cover")
    for i, tr in enumerate(result.targets, start=1):
        a = tr.region
        unit = tr.indicator.unit
        cov = a.coverage
        cover = "—" if cov is None else f"{cov.states}/{cov.of}"
        if cov is not None and cov.weight_share is not None and tr.target.weight:
            cover += f" {cov.weight_share * 100:.0f}%"
        if a.basis == "reported":
            cover += " rep"
        t.add_row(
            tr.target.id if wide else f"T{i}",
            fmt_point(a.baseline, unit),
            fmt_point(a.latest, unit),
            fmt_goal(a, unit),
            pct(a.attainment),
            bar(a.progress, 8 if wide else 4),
            fmt_gap(a.gap, unit),
            status_text(a, short=not wide),
            cover,
        )
    return t


def _matrix(con: Console, result, wide: bool) -> None:
    t = table("Member states: latest value, %goal, status")
    t.add_column("State", no_wrap=True)
    for i, tr in enumerate(result.targets, start=1):
        head = f"T{i}"
        if wide:
            head = f"T{i} [{tr.indicator.unit}]"
        num_column(t, head)
    codes = [a.state for a in result.targets[0].states]
    for row_i, code in enumerate(codes):
        cells = [code]
        for tr in result.targets:
            cells.append(_cell(tr.states[row_i], tr.indicator.unit))
        t.add_row(*cells)
    con.print(t)
    con.print(target_key(result))


def _cell(a, unit: str) -> Text:
    if a.latest is None:
        return Text(status_label(a.status, a.reason, SHORT), style="dim")
    sym, style = SYMBOL.get(a.status, ("?", ""))
    t = Text(_compact(a.latest.value, unit) + " ")
    t.append(pct(a.attainment), style="dim")
    t.append(" " + sym + trend_mark(a), style=style)
    return t


def _compact(v: float, unit: str) -> str:
    if unit == "percent":
        return f"{v:.1f}"
    if unit == "usd-bn":
        return f"{v:,.0f}"
    if unit in ("usd", "persons"):
        return si(v)
    return f"{v:.1f}"


# ---- gaps --------------------------------------------------------------------------------------

def gaps(result, doc) -> None:
    from admtrack.report import gap_rows

    con = console()
    y = result.plan.meta.target_year
    rows = gap_rows(result)
    t, wide = _pick(con, lambda wide: _gaps_table(result, rows, wide))
    con.print(t)
    if not wide:
        con.print(target_key(result))
    con.print(legend())
    con.print(Text("Need/y: annual pace required from the latest year; Pace/y: observed pace over the trend window "
                   "(compound %, or change per year where values are not all positive); Short: projected "
                   f"shortfall in {y}; Goal: the value each series must reach (a state's fair share of a sum); "
                   "Contrib: the state's share of the region's gap. Rows: worst status first, then by shortfall as "
                   "a share of the goal.", style="dim"))


def _gaps_table(result, rows, wide: bool) -> Table:
    y = result.plan.meta.target_year
    t = table(_title(result, f"gaps to the {y} targets, worst first"))
    t.add_column("Target" if wide else "#", no_wrap=True, min_width=2)
    t.add_column("State", no_wrap=True, min_width=5)
    num_column(t, "Latest")
    num_column(t, "Goal")
    num_column(t, "Gap")
    t.add_column("Yrs", justify="right", no_wrap=True, min_width=3)
    num_column(t, "Need/y")
    num_column(t, "Pace/y")
    num_column(t, f"Proj {y % 100:02d}")
    num_column(t, "Short")
    t.add_column("Status" if wide else "", no_wrap=True, min_width=1)
    num_column(t, "Contrib")
    index = {tr.target.id: i for i, tr in enumerate(result.targets, start=1)}
    for tr, a in rows:
        unit = tr.indicator.unit
        t.add_row(
            tr.target.id if wide else f"T{index[tr.target.id]}",
            Text(a.state, style="bold") if a.state == REGION else a.state,
            fmt_point(a.latest, unit),
            fmt_goal(a, unit),
            fmt_gap(a.gap, unit),
            "—" if a.years_left is None else str(a.years_left),
            rate(a.required_rate),
            rate(a.observed_rate) + trend_mark(a),
            fmt_value(a.projected, unit),
            "—" if a.shortfall is None else fmt_value(a.shortfall, unit),
            status_text(a, short=True, symbol_only=not wide),
            fmt_gap(a.contribution, unit),
        )
    return t


# ---- listings ----------------------------------------------------------------------------------

def targets(plan, rows: list[dict]) -> None:
    con = console()
    m = plan.meta
    t = table(f"{m.name} ({m.id}): targets for {m.target_year}, baseline {m.baseline_year}")
    t.add_column("Target", no_wrap=True)
    t.add_column("Goal", justify="right", no_wrap=True)
    t.add_column("Region", no_wrap=True)
    t.add_column("Title", overflow="fold")
    for r in rows:
        if r["kind"] == "level":
            goal = fmt_value(r["value"], r["unit"])
        else:
            goal = f"{r['change'] * 100:+.0f}% vs {m.baseline_year}"
        region = {"weighted_mean": "w. mean", "mean": "mean", "sum": "sum"}[r["aggregate"]]
        if r["weight"]:
            region += f" ({r['weight']})"
        t.add_row(r["id"], goal, region, r["title"])
    con.print(t)
    con.print()
    it = table("Indicators")
    it.add_column("Indicator", no_wrap=True)
    it.add_column("Unit", no_wrap=True)
    it.add_column("Range", no_wrap=True)
    it.add_column("Name / derivation", overflow="fold")
    for ind in plan.indicators.values():
        lo = "" if ind.min is None else f"{ind.min:g}"
        hi = "" if ind.max is None else f"{ind.max:g}"
        rng = f"{lo}–{hi}" if (lo and hi) else (f"≥ {lo}" if lo else (f"≤ {hi}" if hi else "any"))
        name = ind.name
        if ind.derive:
            a, b = ind.derive.of
            sym = "×" if ind.derive.op == "product" else "/"
            name += " = " + (f"{ind.derive.scale:g} × " if ind.derive.scale != 1 else "") + f"{a} {sym} {b}"
        it.add_row(ind.id, ind.unit, rng, name)
    con.print(it)


def states(docs: list[dict]) -> None:
    con = console()
    t = table(f"ASEAN member states ({len(docs)})")
    for col in ("Code", "α-2", "Name", "Joined"):
        t.add_column(col, no_wrap=True)
    t.add_column("Also accepted", overflow="fold")
    for d in docs:
        t.add_row(d["code"], d["alpha2"], d["name"], d["joined"] or "", ", ".join(d["aliases"]))
    con.print(t)


def sparkline(values: list[float]) -> str:
    if not values:
        return ""
    lo, hi = min(values), max(values)
    if hi == lo:
        return SPARK[3] * len(values)
    return "".join(SPARK[min(len(SPARK) - 1, int((v - lo) / (hi - lo) * (len(SPARK) - 1) + 0.5))] for v in values)


def history(h, entries: list[dict], current: list[dict]) -> None:
    con = console()
    unit = h.indicator_model.unit
    t = table(f"{h.state} {h.indicator} [{unit}]: every entry, oldest first")
    t.add_column("Year", justify="right", no_wrap=True)
    t.add_column("Value", justify="right", no_wrap=True)
    t.add_column("Layer", no_wrap=True)
    t.add_column("Status", no_wrap=True)
    t.add_column("Recorded", no_wrap=True)
    t.add_column("Source", overflow="fold")
    for e in entries:
        style = "" if e["status"] == "current" else "dim"
        what = e["source"] or ""
        if e["retracted"]:
            what = f"retracted: {e['reason'] or ''}"
        value = fmt_value(e["value"], unit) if e["value"] is not None else "—"
        t.add_row(str(e["year"]), value, e["layer"], e["status"], (e["recorded_at"] or "")[:10], what, style=style)
    if not entries:
        t.add_row("—", "—", "", "", "", "no entries")
    con.print(t)
    if current:
        years = [c["year"] for c in current]
        spark = sparkline([c["value"] for c in current])
        line = Text(f"current values {years[0]}–{years[-1]}: ", style="dim")
        line.append(spark, style="cyan")
        line.append(f"  {fmt_value(current[0]['value'], unit)} → {fmt_value(current[-1]['value'], unit)}")
        con.print(line)
