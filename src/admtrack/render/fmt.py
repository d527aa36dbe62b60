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


