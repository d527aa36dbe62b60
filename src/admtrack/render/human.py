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

SYMBOL = {
    "achieved": ("✔", "bold green"),
    "on_track": ("●", "green"),
    "acceleration_needed": ("▲", "yellow"),
    "limited_progress": ("◆", "dark_orange"),
    "regressing": ("▼", "bold red"),
    "insufficient_data": ("·", "dim"),
}
LABEL = {
    "achieved": "achieved",
    "on_track": "on track",
    "acceleration_needed": "acceleration needed",
    "limited_progress": "limited progress",
    "regressing": "regressing",
    "insufficient_data": "insufficient data",
}
SPARK = "▁▂▃▄▅▆▇█"


def console() -> Console:
    no_color = bool(os.environ.get("NO_COLOR")) or os.environ.get("TERM") == "dumb"
    return Console(highlight=False, no_color=no_color, emoji=False, markup=False)


# ---- number formatting -------------------------------------------------------------------------

def fmt_value(v: float | None, unit: str) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    if unit == "percent":
        return f"{v:.1f}%"
    if unit == "usd-bn":
        return f"${v:,.0f}bn" if abs(v) >= 100 else f"${v:,.1f}bn"
    if unit == "usd":
        return f"${v:,.0f}"
    if unit == "persons":
        return _si(v)
    return f"{v:,.1f}"


def fmt_gap(v: float | None, unit: str) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    if unit == "percent":
        return f"{v:+.1f}pp"
    return ("+" if v > 0 else "") + fmt_value(v, unit)


def _si(v: float) -> str:
    a = abs(v)
    if a >= 1e9:
        return f"{v / 1e9:.2f}bn"
    if a >= 1e6:
        return f"{v / 1e6:.1f}M"
    if a >= 1e3:
        return f"{v / 1e3:.1f}k"
    return f"{v:.0f}"


def pct(v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    return f"{v * 100:.0f}%"


def rate(v: float | None, unit_linear: str | None = None) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    return f"{v * 100:+.1f}%/y"


def bar(progress: float | None, width: int = 8) -> Text:
    if progress is None or not math.isfinite(progress):
        return Text("—", style="dim")
    shown = min(max(progress, 0.0), 1.0)
    full = int(round(shown * width))
    t = Text("█" * full, style="cyan")
    t.append("░" * (width - full), style="dim")
    t.append(f" {progress * 100:.0f}%", style="red" if progress < 0 else "")
    return t


def status_text(status: str, *, short: bool = False) -> Text:
    sym, style = SYMBOL.get(status, ("?", ""))
    return Text(sym if short else f"{sym} {LABEL.get(status, status)}", style=style)


def legend() -> Text:
    t = Text("Legend: ", style="dim")
    for name, (sym, style) in SYMBOL.items():
        t.append(sym, style=style)
        t.append(f" {LABEL[name]}  ")
    return t


def year_of(p) -> str:
    return "" if p is None else f" ({p.year})"


# ---- status ------------------------------------------------------------------------------------

def status(result) -> None:
    con = console()
    plan = result.plan
    m = plan.meta
    title = f"{m.name}: the region (ASEAN) — as of {result.as_of}, {result.method} method"
    t = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False, expand=False)
    t.add_column("Target", overflow="fold", ratio=None, min_width=12)
    t.add_column("Baseline", justify="right")
    t.add_column("Latest", justify="right")
    t.add_column("Goal", justify="right")
    t.add_column("of goal", justify="right")
    t.add_column("Progress", no_wrap=True)
    t.add_column("Gap", justify="right")
    t.add_column("Status", overflow="fold")
    t.add_column("Cover", justify="right")
    for tr in result.targets:
        a = tr.region
        unit = tr.indicator.unit
        cov = a.coverage
        cover = "—" if cov is None else f"{cov.states}/{cov.of}"
        if cov is not None and cov.weight_share is not None and tr.target.weight:
            cover += f" {cov.weight_share * 100:.0f}%"
        if a.basis == "reported":
            cover += " rep."
        t.add_row(
            tr.target.id,
            fmt_value(a.baseline.value, unit) + year_of(a.baseline) if a.baseline else "—",
            fmt_value(a.latest.value, unit) + year_of(a.latest) if a.latest else "—",
            fmt_value(a.target, unit),
            pct(a.attainment),
            bar(a.progress),
            fmt_gap(a.gap, unit),
            status_text(a.status),
            cover,
        )
    con.print(t)
    if result.targets and result.targets[0].states:
        _matrix(con, result)
    con.print(legend())
    con.print(Text("Cover: member states in the region's latest value, and their share of the weight "
                   "(GDP, labour force or population). Progress: share of the way from baseline to goal.",
                   style="dim"))


def _matrix(con: Console, result) -> None:
    t = Table(title="Member states — latest value, % of goal, status", box=box.SIMPLE_HEAD, title_justify="left",
              pad_edge=False)
    t.add_column("State", no_wrap=True)
    for i, tr in enumerate(result.targets, start=1):
        t.add_column(f"T{i}", justify="right", no_wrap=True)
    codes = [a.state for a in result.targets[0].states]
    for row_i, code in enumerate(codes):
        cells = [code]
        for tr in result.targets:
            a = tr.states[row_i]
            cells.append(_cell(a, tr.indicator.unit))
        t.add_row(*cells)
    con.print(t)
    key = Text("", style="dim")
    for i, tr in enumerate(result.targets, start=1):
        key.append(f"T{i} {tr.target.id}  ")
    con.print(key)


def _cell(a, unit: str) -> Text:
    if a.latest is None:
        return Text("—", style="dim")
    sym, style = SYMBOL.get(a.status, ("?", ""))
    t = Text(_compact(a.latest.value, unit) + " ")
    t.append(pct(a.attainment) if a.attainment is not None else "—", style="dim" if a.attainment is None else "")
    t.append(" " + sym, style=style)
    return t


def _compact(v: float, unit: str) -> str:
    if unit == "percent":
        return f"{v:.1f}"
    if unit in ("usd", "persons"):
        return _si(v)
    if unit == "usd-bn":
        return f"{v:,.0f}"
    return f"{v:.1f}"


# ---- gaps --------------------------------------------------------------------------------------

def gaps(result, doc) -> None:
    from admtrack.report import gap_rows

    con = console()
    m = result.plan.meta
    t = Table(title=f"Gaps to the {m.target_year} targets, worst first — as of {result.as_of}, {result.method} method",
              box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    t.add_column("Target", overflow="fold")
    t.add_column("State", no_wrap=True)
    t.add_column("Latest", justify="right")
    t.add_column("Gap", justify="right")
    t.add_column("Yrs", justify="right")
    t.add_column("Need", justify="right")
    t.add_column("Pace", justify="right")
    t.add_column(f"{m.target_year} proj.", justify="right")
    t.add_column("Short", justify="right")
    t.add_column("Status", no_wrap=True)
    t.add_column("Contrib.", justify="right")
    for tr, a in gap_rows(result):
        unit = tr.indicator.unit
        t.add_row(
            tr.target.id,
            Text(a.state, style="bold") if a.state == REGION else a.state,
            fmt_value(a.latest.value, unit) + year_of(a.latest) if a.latest else "—",
            fmt_gap(a.gap, unit),
            "—" if a.years_left is None else str(a.years_left),
            rate(a.required_rate),
            rate(a.observed_rate),
            fmt_value(a.projected, unit),
            fmt_gap(a.shortfall, unit) if a.shortfall else ("0" if a.shortfall == 0 else "—"),
            status_text(a.status, short=True),
            fmt_gap(a.contribution, unit),
        )
    con.print(t)
    con.print(legend())
    con.print(Text("Need: compound annual pace required from the latest year; Pace: observed pace over the trend "
                   "window (linear per year where values are not all positive); Short: projected shortfall at the "
                   "target year; Contrib.: the state's share of the region's gap.", style="dim"))


# ---- listings ----------------------------------------------------------------------------------

def targets(plan, rows: list[dict]) -> None:
    con = console()
    t = Table(title=f"{plan.meta.name} ({plan.meta.id}): targets for {plan.meta.target_year}, baseline "
                    f"{plan.meta.baseline_year}", box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    t.add_column("Target", overflow="fold")
    t.add_column("Title", overflow="fold")
    t.add_column("Indicator", overflow="fold")
    t.add_column("Goal", justify="right", no_wrap=True)
    t.add_column("Region", overflow="fold")
    for r in rows:
        if r["kind"] == "level":
            goal = fmt_value(r["value"], r["unit"])
        else:
            goal = f"{r['change'] * 100:+.0f}% vs base"
        region = r["aggregate"] + (f" ({r['weight']})" if r["weight"] else "")
        t.add_row(r["id"], r["title"], f"{r['indicator']} [{r['unit']}]", goal, region)
    con.print(t)
    it = Table(title="Indicators", box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    it.add_column("Indicator", overflow="fold")
    it.add_column("Name", overflow="fold")
    it.add_column("Unit")
    it.add_column("Range", no_wrap=True)
    it.add_column("Derived from", overflow="fold")
    for ind in plan.indicators.values():
        lo = "" if ind.min is None else f"{ind.min:g}"
        hi = "" if ind.max is None else f"{ind.max:g}"
        rng = f"{lo}–{hi}" if (lo or hi) else "any"
        der = ""
        if ind.derive:
            a, b = ind.derive.of
            sym = "×" if ind.derive.op == "product" else "/"
            der = (f"{ind.derive.scale:g} × " if ind.derive.scale != 1 else "") + f"{a} {sym} {b}"
        it.add_row(ind.id, ind.name, ind.unit, rng, der)
    con.print(it)


def states(docs: list[dict]) -> None:
    con = console()
    t = Table(title=f"ASEAN member states ({len(docs)})", box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    for col in ("Code", "Alpha-2", "Name", "Also accepted", "Joined"):
        t.add_column(col, overflow="fold")
    for d in docs:
        t.add_row(d["code"], d["alpha2"], d["name"], ", ".join(d["aliases"]), d["joined"] or "")
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
    t = Table(title=f"{h.state} · {h.indicator} [{unit}]: every entry, oldest first", box=box.SIMPLE_HEAD,
              title_justify="left", pad_edge=False)
    t.add_column("Year", justify="right")
    t.add_column("Value", justify="right")
    t.add_column("Layer")
    t.add_column("Status")
    t.add_column("Source / note", overflow="fold")
    t.add_column("Recorded", no_wrap=True)
    for e in entries:
        style = "" if e["status"] == "current" else "dim"
        what = e["source"] or ""
        if e["retracted"]:
            what = f"retracted: {e['reason'] or ''}"
        t.add_row(str(e["year"]), fmt_value(e["value"], unit) if e["value"] is not None else "—", e["layer"],
                  e["status"], what, (e["recorded_at"] or "")[:19].replace("T", " "), style=style)
    if not entries:
        t.add_row("—", "—", "", "", "no entries", "")
    con.print(t)
    if current:
        years = [c["year"] for c in current]
        spark = sparkline([c["value"] for c in current])
        line = Text(f"current values {years[0]}–{years[-1]}: ", style="dim")
        line.append(spark, style="cyan")
        line.append(f"  {fmt_value(current[0]['value'], unit)} → {fmt_value(current[-1]['value'], unit)}")
        con.print(line)
