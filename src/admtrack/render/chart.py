"""Charts of one target (SPEC §10): in the terminal with plotext, as SVG/PNG with matplotlib.

Takes a ``pictures.ChartData`` and draws it; no arithmetic on the figures here. Both libraries are
imported inside the functions, so that only ``chart`` and ``report`` pay for them.

Colours are the Okabe–Ito palette (safe for the common colour-vision deficiencies), and every line
also differs by its marker or dash, so that nothing depends on colour alone.
"""

from __future__ import annotations

import io
import re
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from admtrack.render.fmt import LABEL, SYMBOL_CHAR, fmt_value, proxy_marked, proxy_note

# Okabe & Ito (2008), "Color Universal Design"
BLUE, ORANGE, SKY, GREEN, YELLOW, VERMILLION, PURPLE, BLACK = (
    "#0072B2", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#D55E00", "#CC79A7", "#000000")
REGION_COLOUR = BLUE
STATE_COLOURS = (VERMILLION, GREEN, ORANGE, PURPLE, SKY, "#7F7F7F", BLACK)
STATE_MARKERS = ("s", "^", "D", "v", "P", "X", "h", "<", ">", "p", "*")
TERMINAL_MARKERS = ("▲", "◆", "■", "▼", "+", "x", "o", "%", "&", "@", "$")
GREY = "#8C8C8C"
#: the years before the baseline on the axis of a chart with no figure (the length of the trend window)
PLAN_YEARS = 5
#: what a chart without any figure says, where the data would be
NO_FIGURE = {True: "no region figure yet", False: "no figures yet"}


# ---- the terminal --------------------------------------------------------------------------------

def terminal(c, *, width: int = 80, height: int | None = None, colour: bool = False) -> str:
    """The chart as text, ``width`` columns wide; no ANSI codes unless ``colour``.

    plotext draws its legend over the top-left corner of the plot, where it hides data; the legend is
    printed below the chart instead (the series are drawn without labels)."""
    import textwrap

    import plotext as plt

    plt.clear_figure()
    plt.plotsize(width, height or max(18, min(28, width // 3)))
    plt.theme("pro" if colour else "clear")
    years = _years(c)
    legend: list[tuple[str, str, str]] = []  # (marker, colour, label)
    if c.required:
        plt.plot(*_xy(c.drawn(c.required)), marker=".", color="gray")
        legend.append(("..", "gray", "required path"))
    if c.goal is not None:
        plt.scatter([c.target_year], [c.drawn_value(c.goal)], marker="★", color="black")
        legend.append(("★", "black", f"goal {fmt_value(c.goal, c.unit)} in {c.target_year}"))
    if c.plan_goal is not None:
        plt.scatter([c.target_year], [c.drawn_value(c.plan_goal)], marker="☆", color="black")
        legend.append(("☆", "black", f"whole-bloc goal {fmt_value(c.plan_goal, c.unit)}"))
    for i, line in enumerate(c.lines):
        marker = "●" if line.region else TERMINAL_MARKERS[(i - 1) % len(TERMINAL_MARKERS)]
        colour_name = "blue" if line.region else ("red", "green", "orange", "magenta", "cyan")[(i - 1) % 5]
        if line.projection:
            plt.plot(*_xy(c.drawn(line.projection)), marker="·", color=colour_name)
            if line.region:
                legend.append(("··", colour_name, "projection (ASEAN)"))
        if line.points:
            xs, ys = _xy(c.drawn(line.points))
            (plt.scatter if len(xs) == 1 else plt.plot)(xs, ys, marker=marker, color=colour_name)
            legend.append((marker, colour_name, line.label))
    plt.xticks(years, [str(y) if width >= 100 or len(years) <= 8 else f"'{y % 100:02d}" for y in years])
    plt.xlim(years[0], years[-1])
    status = f"{SYMBOL_CHAR.get(c.status, '')} {LABEL.get(c.status, c.status)}"
    plt.xlabel("year")
    plt.ylabel(c.axis_unit)
    text = plt.build()
    if not colour:
        text = plt.uncolorize(text)
    # the title above the plot, wrapped: plotext leaves out a title wider than the chart
    lines = textwrap.wrap(f"{proxy_marked(c.title, c.proxy)} — ASEAN: {status}", width)
    lines += [line.rstrip() for line in text.splitlines()]
    lines += _legend_lines(legend, width, colour)
    if not any(line.points for line in c.lines):
        lines.append(NO_FIGURE[len(c.lines) == 1])
    if c.proxy:
        lines += textwrap.wrap(proxy_note(c.target_id, c.indicator, c.proxy), width)
    return "\n".join(lines) + "\n"


def _legend_lines(legend: list[tuple[str, str, str]], width: int, colour: bool) -> list[str]:
    """The legend's entries side by side, two spaces apart, in as many lines as ``width`` needs."""
    import plotext as plt

    lines: list[str] = []
    line, used = "", 0
    for marker, colour_name, label in legend:
        size = len(marker) + 1 + len(label)
        if used and used + 2 + size > width:
            lines.append(line)
            line, used = "", 0
        shown = plt.colorize(marker, colour_name) if colour else marker
        line += ("  " if used else "") + f"{shown} {label}"
        used += (2 if used else 0) + size
    return [*lines, line] if line else lines


def _xy(points) -> tuple[list[int], list[float]]:
    return [p[0] for p in points], [p[1] for p in points]


def _years(c, lines=None) -> list[int]:
    """Every year on the axis of a chart of ``lines`` (default: all of them): from the first figure to
    the target year; with no figure at all, the plan's years (``PLAN_YEARS`` before the baseline to the
    target year), so that a lone goal does not stand on an axis of two centuries."""
    found: set[int] = set()
    for line in c.lines if lines is None else lines:
        found.update(y for y, _ in line.points)
        found.update(y for y, _ in line.projection)
    found.update(y for y, _ in c.required)
    if found:
        found.add(c.target_year)
        return list(range(min(found), max(found) + 1))
    return list(range(c.baseline_year - PLAN_YEARS, c.target_year + 1))


# ---- images --------------------------------------------------------------------------------------

RC: dict[str, Any] = {
    "svg.fonttype": "none",  # text stays text: smaller, selectable, searchable
    "svg.hashsalt": "admtrack",  # stable ids: the same data gives the same bytes
    "font.family": "sans-serif",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titleweight": "bold",
    "axes.titlesize": 11,
    "axes.titlelocation": "left",
    "legend.frameon": False,
}


def _styled(draw):
    """Run a figure builder under admtrack's matplotlib style (without touching the global rcParams)."""
    import functools

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        import matplotlib

        with matplotlib.rc_context(RC):
            return draw(*args, **kwargs)

    return wrapper


@_styled
def figure(c, *, width: float = 8.0, height: float = 4.4, states: bool = True, notes: bool = True):
    """One chart: the region (and, if ``states``, the states of ``c``), required path, projection, goal.
    ``notes``: the proxy's text below the chart (a report prints it once, elsewhere)."""
    import textwrap

    from matplotlib.figure import Figure, SubFigure
    from matplotlib.ticker import MaxNLocator

    note = textwrap.wrap(proxy_note(c.target_id, c.indicator, c.proxy), int(width * 14)) if notes and c.proxy else []
    below = len(note) * 0.14 + 0.1 if note else 0.0  # inches, for the note's lines
    fig = Figure(figsize=(width, height + below), dpi=100, layout="constrained")
    panel: Figure | SubFigure = fig
    if note:  # a band of its own below the chart and its legend
        rows = fig.add_gridspec(2, 1, height_ratios=(height, below))
        panel, foot = fig.add_subfigure(rows[0]), fig.add_subfigure(rows[1])
        foot.text(0.01, 1, "\n".join(note), ha="left", va="top", fontsize=7.5, color="#444444")
    ax = panel.add_subplot()
    if c.baseline is not None:
        ax.axvline(c.baseline_year, color=GREY, lw=0.8, ls=(0, (1, 3)), zorder=0)
        ax.annotate(f"baseline {c.baseline_year}", (c.baseline_year, 1), xycoords=("data", "axes fraction"),
                    xytext=(3, -2), textcoords="offset points", va="top", fontsize=8, color="#555555")
    if c.required:
        ax.plot(*_xy(c.drawn(c.required)), color=BLACK, lw=1.2, ls="--", label="required path to the goal")
    if c.goal is not None:
        ax.plot([c.target_year], [c.drawn_value(c.goal)], ls="none", marker="*", ms=15, color=BLACK,
                label=f"goal: {fmt_value(c.goal, c.unit)} by {c.target_year}")
    if c.plan_goal is not None:
        ax.plot([c.target_year], [c.drawn_value(c.plan_goal)], ls="none", marker="*", ms=15, mfc="white",
                mec=BLACK, label=f"whole-bloc goal: {fmt_value(c.plan_goal, c.unit)}")
    for i, line in enumerate(c.lines if states else c.lines[:1]):
        _draw_line(ax, c, line, i)
    ax.set_title(proxy_marked(c.title, c.proxy))
    ax.set_xlabel("year")
    ax.set_ylabel(f"{c.indicator_name} ({c.axis_unit})" if len(c.indicator_name) < 40 else c.axis_unit)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(_value_ticks(c))
    ax.grid(axis="y", color="#E5E5E5", lw=0.8)
    ax.set_axisbelow(True)
    drawn = c.lines if states else c.lines[:1]
    if not any(line.points for line in drawn):
        years = _years(c, drawn)
        ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
        ax.text(0.5, 0.5, NO_FIGURE[len(drawn) == 1], transform=ax.transAxes, ha="center", va="center",
                color="#555555")
    panel.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=3, fontsize=8.5)
    return fig


def _value_ticks(c):
    """Value-axis labels in the target's unit; plain numbers when drawn in a power of ten (the axis
    names it)."""
    from matplotlib.ticker import FuncFormatter

    if c.exponent:
        return FuncFormatter(lambda v, _pos: f"{v:g}")
    return FuncFormatter(lambda v, _pos: fmt_value(v, c.unit))


def _draw_line(ax, c, line, i: int) -> None:
    if line.region:
        colour, marker, lw, ms = REGION_COLOUR, "o", 2.6, 6
    else:
        colour = STATE_COLOURS[(i - 1) % len(STATE_COLOURS)]
        marker, lw, ms = STATE_MARKERS[(i - 1) % len(STATE_MARKERS)], 1.6, 5
    label = "ASEAN (region)" if line.region else f"{line.label} · {line.name}"
    if line.points:
        ax.plot(*_xy(c.drawn(line.points)), color=colour, lw=lw, marker=marker, ms=ms, label=label)
    if line.projection:
        ax.plot(*_xy(c.drawn(line.projection)), color=colour, lw=lw * 0.8, ls=":",
                label="projection at the observed pace" if line.region else None)


@_styled
def small_multiples(c, *, columns: int = 4, panel: tuple[float, float] = (2.2, 1.75)):
    """One small panel per member state: its figures, projection and own goal; the region in grey for
    reference where the states share one goal and scale. States without figures get no panel (the
    caption names them). None when no state has figures."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    states = [line for line in c.states if line.points]
    if not states:
        return None
    columns = min(columns, len(states))
    rows = -(-len(states) // columns)
    fig = Figure(figsize=(panel[0] * columns, panel[1] * rows + 0.35), dpi=100, layout="constrained")
    axes = fig.subplots(rows, columns, sharex=True, sharey=c.same_scale, squeeze=False)
    years = _years(c)
    for k, ax in enumerate(axes.flat):
        if k >= len(states):
            ax.set_axis_off()
            continue
        if k + columns >= len(states):  # nothing below: this panel carries the year labels
            ax.xaxis.set_tick_params(labelbottom=True)
        line = states[k]
        if c.same_scale and c.region.points:
            ax.plot(*_xy(c.drawn(c.region.points)), color=GREY, lw=1.2)
        if line.points:
            ax.plot(*_xy(c.drawn(line.points)), color=REGION_COLOUR, lw=1.8, marker="o", ms=3.5)
        if line.projection:
            ax.plot(*_xy(c.drawn(line.projection)), color=REGION_COLOUR, lw=1.4, ls=":")
        if line.goal is not None:
            ax.plot([c.target_year], [c.drawn_value(line.goal)], ls="none", marker="*", ms=9, color=BLACK)
        if not line.points:
            ax.text(0.5, 0.5, "no figures", transform=ax.transAxes, ha="center", va="center", fontsize=8,
                    color="#555555")
        ax.set_title(f"{line.label}  {SYMBOL_CHAR.get(line.status, '')} {LABEL.get(line.status, line.status)}",
                     fontsize=8.5, loc="left", fontweight="bold")
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=3))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
        ax.yaxis.set_major_formatter(_value_ticks(c))
        ax.grid(axis="y", color="#EEEEEE", lw=0.6)
        if years:
            ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
    key = f"blue: the state · dotted: projection · ★ its goal by {c.target_year}"
    if c.exponent:
        key += f" · values in {c.axis_unit}"
    if c.same_scale:
        key += " · grey: ASEAN"
    fig.suptitle(key, fontsize=8, color="#444444", x=0.01, ha="left", fontweight="normal")
    return fig


def svg(fig, *, alt: str, prefix: str = "c") -> str:
    """Inline SVG (no XML prolog, no external reference), with ``role="img"``, an ``aria-label`` and a
    ``<title>``; ids prefixed so that several charts can share one page."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context(RC):  # type: ignore[arg-type]
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    text = buf.getvalue()
    text = re.sub(r"^.*?(?=<svg)", "", text, flags=re.S)  # XML prolog and DOCTYPE
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    text = text.replace('id="', f'id="{prefix}-').replace("url(#", f"url(#{prefix}-")
    text = text.replace('xlink:href="#', f'xlink:href="#{prefix}-').replace(' href="#', f' href="#{prefix}-')
    text = re.sub(r'\swidth="[^"]*pt"\s+height="[^"]*pt"', "", text, count=1)  # scale with the page
    text = text.replace("<svg ", f'<svg role="img" aria-label={quoteattr(alt)} ', 1)
    head_end = text.index(">", text.index("<svg")) + 1
    return text[:head_end] + f"\n <title>{escape(alt)}</title>" + text[head_end:]


def svg_file(fig, *, alt: str) -> str:
    """A standalone SVG document (with the XML prolog)."""
    return '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n' + svg(fig, alt=alt)


def png(fig, *, dpi: int = 150) -> bytes:
    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context(RC):  # type: ignore[arg-type]
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def write(c, path, *, fmt: str) -> None:
    """``admtrack chart --output``: the chart as an SVG or PNG file."""
    fig = figure(c)
    data = svg_file(fig, alt=c.alt).encode("utf-8") if fmt == "svg" else png(fig)
    from pathlib import Path

    Path(path).write_bytes(data)
