"""Formatting of values for people (tables, Markdown). No Rich, no arithmetic beyond presentation."""

from __future__ import annotations

import math

LABEL = {
    "achieved": "achieved",
    "on_track": "on track",
    "acceleration_needed": "acceleration needed",
    "limited_progress": "limited progress",
    "regressing": "regressing",
    "insufficient_data": "insufficient data",
}
SYMBOL_CHAR = {
    "achieved": "✔",
    "on_track": "●",
    "acceleration_needed": "▲",
    "limited_progress": "◆",
    "regressing": "▼",
    "insufficient_data": "·",
}


#: SPEC §5.7: a short word for why a series is insufficient_data (instead of a bare "no data").
REASON_WORD = {
    "no_data": "no data",
    "no_target": "no target",
    "no_trend": "no trend",
    "low_coverage": "low cov.",
    "no_base_year": "no base yr",
    "one_year": "one year",
}
#: Marks a trend drawn from only 2 points (SPEC §5.7).
TWO_POINTS = "*"


def status_label(status: str, reason: str | None, labels: dict[str, str] = LABEL) -> str:
    """The status in words; for insufficient_data, the short reason word when there is one."""
    if status == "insufficient_data" and reason in REASON_WORD:
        return REASON_WORD[reason]
    return labels.get(status, status)


def trend_mark(a) -> str:
    """``*`` when the assessment's trend rests on only 2 points, else ''."""
    return TWO_POINTS if a.trend is not None and a.trend.points == 2 else ""


def fmt_goal(a, unit: str) -> str:
    """The value to reach; for the region of a sum target, the covered goal and the plan's goal:
    ``$612bn of $1.00tn``."""
    text = fmt_value(a.target, unit)
    if a.goal is not None and a.goal != a.target:
        text += f" of {fmt_value(a.goal, unit)}"
    return text


def fmt_value(v: float | None, unit: str) -> str:
    """A value with its unit, compact: 14.8%, $344bn, $1.02tn, $11.3k, 695.4M, 100.0."""
    if v is None or not math.isfinite(v):
        return "—"
    if unit == "percent":
        return f"{v:.1f}%"
    if unit == "usd-bn":
        return _money(v * 1e9)
    if unit == "usd":
        return _money(v)
    if unit == "persons":
        return si(v)
    return f"{v:,.1f}"


def _money(v: float) -> str:
    sign = "-" if v < 0 else ""
    a = abs(v)
    for size, suffix in ((1e12, "tn"), (1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if a >= size:
            q = a / size
            return f"{sign}${q:.{2 if q < 10 and suffix == 'tn' else (1 if q < 10 else 0)}f}{suffix}"
    return f"{sign}${a:.0f}"


def si(v: float) -> str:
    a = abs(v)
    for size, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if a >= size:
            return f"{v / size:.1f}{suffix}"
    return f"{v:.0f}"


def fmt_gap(v: float | None, unit: str) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    if unit == "percent":
        return f"{v:+.1f}pp"
    text = fmt_value(v, unit)
    return text if text.startswith("-") else "+" + text


def fmt_point(p, unit: str, *, long: bool = False) -> str:
    """A value and its year: 14.8% '24 (tables), 14.8% (2024) (reports)."""
    if p is None:
        return "—"
    if long:
        return f"{fmt_value(p.value, unit)} ({p.year})"
    return f"{fmt_value(p.value, unit)} '{p.year % 100:02d}"


def pct(v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    return f"{v * 100:.0f}%"


def rate(v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    return f"{v * 100:+.1f}%"


