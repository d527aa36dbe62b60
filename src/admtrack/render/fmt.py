"""Formatting of values for people (tables, Markdown). No Rich, no arithmetic beyond presentation."""

from __future__ import annotations

import math
from decimal import Decimal

LABEL = {
    "achieved": "achieved",
    "on_track": "on track",
    "acceleration_needed": "acceleration needed",
    "limited_progress": "limited progress",
    "regressing": "regressing",
    "insufficient_data": "insufficient data",
}
#: compact labels, for narrow cells
SHORT_LABEL = {
    "achieved": "achieved",
    "on_track": "on track",
    "acceleration_needed": "accel.",
    "limited_progress": "limited",
    "regressing": "regress.",
    "insufficient_data": "no data",
}
SYMBOL_CHAR = {
    "achieved": "✔",
    "on_track": "●",
    "acceleration_needed": "▲",
    "limited_progress": "◆",
    "regressing": "▼",
    "insufficient_data": "·",
}
#: the Rich style of each status (a plain string, so that this module needs no Rich)
STATUS_STYLE = {
    "achieved": "bold green",
    "on_track": "green",
    "acceleration_needed": "yellow",
    "limited_progress": "dark_orange",
    "regressing": "bold red",
    "insufficient_data": "dim",
}

#: SPEC §8: a latest figure whose SDMX CL_OBS_STATUS is not ``A`` is marked after its value
OBS_MARK = {"B": "ᴮ", "E": "ᴱ", "F": "ᶠ", "I": "ᴵ", "P": "ᴾ", "U": "ᵁ"}
OBS_LABEL = {"B": "break in series", "E": "estimated", "F": "forecast", "I": "imputed", "P": "provisional",
             "U": "low reliability"}
#: marks a target measured by a proxy indicator (SPEC §8)
PROXY_MARK = "†"


def proxy_marked(text: str, proxy: str | None) -> str:
    """``text`` (a target's id, title or number) with ``†`` after it when a proxy measures the target."""
    return text + PROXY_MARK if proxy else text


def proxy_note(target_id: str, indicator: str, proxy: str) -> str:
    """The footnote that explains the mark, printed once by every report that shows the target (SPEC §8)."""
    return f"{PROXY_MARK} {target_id} is measured by the proxy {indicator}: {proxy}"
#: the unit in a column head
UNIT_SHORT = {"percent": "%", "usd-bn": "$bn", "usd": "$", "persons": "persons", "index": "index"}


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
#: From this magnitude on, a number is written with three significant digits and an exponent (1.7e+305)
#: rather than in hundreds of digits: the store accepts any finite value, up to 1.8e308.
EXPONENT_FROM = 1e15


def number(v: float | Decimal, spec: str) -> str:
    """``format(v, spec)`` for a format spec such as ``.1f``, ``,.0f`` or ``+.1f``; ``1.7e+305`` from
    ``EXPONENT_FROM`` on."""
    if abs(float(v)) < EXPONENT_FROM:  # a Decimal beyond the float range is inf here
        return format(v, spec)
    mantissa, _, exponent = format(v, ("+" if spec.startswith("+") else "") + ".2e").partition("e")
    return mantissa.rstrip("0").rstrip(".") + "e" + exponent


def _times(v: float, factor: int) -> float | Decimal:
    """``v × factor`` for display (a fraction as a percentage): a Decimal where the float would overflow."""
    product = v * factor
    return product if math.isfinite(product) else Decimal(v) * factor


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


def fmt_value(v: float | None, unit: str, extra: int = 0) -> str:
    """A value with its unit, compact: 14.8%, $344bn, $1.02tn, $11.3k, 695.4M, 100.0 (``extra`` more
    decimals where two values must be told apart)."""
    if v is None or not math.isfinite(v):
        return "—"
    if unit == "percent":
        return number(v, f".{1 + extra}f") + "%"
    if unit == "usd-bn":
        dollars = v * 1e9
        if not math.isfinite(dollars):  # beyond the float range in US$ (1e308 bn): straight to trillions
            return _scaled_money("-" if v < 0 else "", abs(v) / 1e3, "tn", extra)
        return _money(dollars, extra)
    if unit == "usd":
        return _money(v, extra)
    if unit == "persons":
        return si(v, extra)
    return number(v, f",.{1 + extra}f")


def fmt_amount(v: float | None, unit: str) -> str:
    """An unsigned amount in the target's unit (a shortfall): percentage points for percent targets."""
    if v is None or not math.isfinite(v):
        return "—"
    return number(v, ".1f") + "pp" if unit == "percent" else fmt_value(v, unit)


def fmt_pair(first: float, last: float, unit: str) -> tuple[str, str]:
    """Two values with just enough digits to show that they differ ($14.2k → $14.7k, not $14k → $14k)."""
    for extra in range(4):
        a, b = fmt_value(first, unit, extra), fmt_value(last, unit, extra)
        if a != b or first == last:
            break
    return a, b


def full(v: float | None) -> str:
    """A value at full precision (the shortest text that reads back as the same float), digits grouped:
    12.87, 476.4, 281,600,000."""
    if v is None or not math.isfinite(v):
        return "—"
    text = repr(float(v))
    if "e" in text or "n" in text:
        return text
    whole, _, frac = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = f"{int(whole.lstrip('-')):,}"
    return sign + whole + ("" if frac == "0" else "." + frac)


def _money(v: float, extra: int = 0) -> str:
    sign = "-" if v < 0 else ""
    a = abs(v)
    for size, suffix in ((1e12, "tn"), (1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if a >= size:
            return _scaled_money(sign, a / size, suffix, extra)
    return f"{sign}${a:.{extra}f}"


def _scaled_money(sign: str, q: float, suffix: str, extra: int) -> str:
    """``$1.02tn``, ``$344bn``: ``q`` units of ``suffix``."""
    digits = extra + (2 if q < 10 and suffix == "tn" else (1 if q < 10 else 0))
    return f"{sign}${number(q, f'.{digits}f')}{suffix}"


def si(v: float, extra: int = 0) -> str:
    a = abs(v)
    for size, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if a >= size:
            return number(v / size, f".{1 + extra}f") + suffix
    return f"{v:.{extra}f}"


def obs_mark(p) -> str:
    """The superscript mark of a point whose obs_status is not ``A`` (SPEC §8), else ''."""
    return "" if p is None or p.obs_status in (None, "A") else OBS_MARK.get(p.obs_status, p.obs_status)


def fmt_gap(v: float | None, unit: str) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    if unit == "percent":
        return number(v, "+.1f") + "pp"
    text = fmt_value(v, unit)
    return text if text.startswith("-") else "+" + text


def fmt_point(p, unit: str, *, long: bool = False) -> str:
    """A value and its year: 14.8% '24 (tables), 14.8% (2024) (reports)."""
    if p is None:
        return "—"
    if long:
        return f"{fmt_value(p.value, unit)}{obs_mark(p)} ({p.year})"
    return f"{fmt_value(p.value, unit)}{obs_mark(p)} '{p.year % 100:02d}"


def pct(v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    return number(_times(v, 100), ".0f") + "%"


def rate(v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    return number(_times(v, 100), "+.1f") + "%"


