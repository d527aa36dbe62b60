"""Field checks shared by every way an observation gets in (SPEC §2.2 "Valid values").

Each checker takes a raw value (text from a CSV cell, or a JSON/TOML value) and returns the clean value or
raises ``FieldError`` with the reason. No I/O here.
"""

from __future__ import annotations

import math
import re
from datetime import date

MIN_YEAR = 1990
MAX_TEXT = 10_000  # characters in a source, note or reason

_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$", re.ASCII)
_INT = re.compile(r"^[+-]?\d+$", re.ASCII)
# Unicode category Cc (C0, DEL, C1) except tab and newline, and the surrogate range
BAD_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


class FieldError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def current_year() -> int:
    return date.today().year


def check_year(raw: object, *, max_year: int | None = None) -> int:
    top = max_year if max_year is not None else current_year()
    if isinstance(raw, bool):
        raise FieldError("year", f"must be a whole year, got {raw!r}")
    if isinstance(raw, int):
        year = raw
    elif isinstance(raw, float) and raw.is_integer():
        year = int(raw)
    elif isinstance(raw, str) and _INT.match(raw.strip()):
        digits = raw.strip().lstrip("+-").lstrip("0")
        if len(digits) > 9:  # far out of range, and int() of more than 4,300 digits would raise
            raise FieldError("year", f"must be a whole year, got {_short(raw.strip())!r}")
        year = int(raw.strip())
    else:
        shown = raw if isinstance(raw, str) else repr(raw)
        raise FieldError("year", f"must be a whole year, got {_short(shown)!r}" if raw != "" else "is empty")
    if not MIN_YEAR <= year <= top:
        raise FieldError("year", f"must be between {MIN_YEAR} and {top} (observed figures, not forecasts), "
                                 f"got {show_int(year)}")
    return year


def check_number(raw: object) -> float:
    if isinstance(raw, bool) or raw is None:
        raise FieldError("value", f"must be a number, got {raw!r}" if raw is not None else "is missing")
    if isinstance(raw, (int, float)):
        try:
            value = float(raw)
        except OverflowError:
            raise FieldError("value", "is too large") from None
    elif isinstance(raw, str):
        text = raw.strip()
        if not text:
            raise FieldError("value", "is empty")
        if not _NUMBER.match(text):
            hint = " (use '.' as the decimal mark, no thousands separators)" if "," in text else ""
            raise FieldError("value", f"must be a finite number, got {_short(text)!r}{hint}")
        value = float(text)
    else:
        raise FieldError("value", f"must be a number, got {type(raw).__name__}")
    if not math.isfinite(value):
        shown = repr(_short(raw)) if isinstance(raw, str) else repr(raw)
        raise FieldError("value", f"must be a finite number, got {shown}")
    return value


def check_bounds(value: float, lo: float | None, hi: float | None, unit: str) -> None:
    if lo is not None and hi is not None and not lo <= value <= hi:
        raise FieldError("value", f"must be between {_num(lo)} and {_num(hi)} for {unit}, got {_num(value)}")
    if lo is not None and value < lo:
        raise FieldError("value", f"must be at least {_num(lo)} for {unit}, got {_num(value)}")
    if hi is not None and value > hi:
        raise FieldError("value", f"must be at most {_num(hi)} for {unit}, got {_num(value)}")


def check_text(field: str, raw: object, *, required: bool = False) -> str | None:
    """Any Unicode text but no control characters other than tab and newline, and no lone surrogates."""
    if raw is None or (isinstance(raw, str) and raw == ""):
        if required:
            raise FieldError(field, "is required")
        return None
    if not isinstance(raw, str):
        raise FieldError(field, f"must be text, got {type(raw).__name__}")
    if len(raw) > MAX_TEXT:
        raise FieldError(field, f"is too long ({len(raw)} characters; at most {MAX_TEXT})")
    bad = BAD_TEXT.search(raw)
    if bad:
        ch = bad.group()
        kind = "a lone surrogate" if "\ud800" <= ch <= "\udfff" else "a control character"
        raise FieldError(field, f"contains {kind} U+{ord(ch):04X} at position {bad.start() + 1}")
    return raw


#: SDMX CL_OBS_STATUS (SPEC §8): the codes admtrack accepts, and what each means. ``A`` is the default
#: and is never written to the store.
OBS_STATUS = {"A": "normal", "B": "break in series", "E": "estimated", "F": "forecast", "I": "imputed",
              "P": "provisional", "U": "low reliability"}


def check_obs_status(raw: object) -> str | None:
    """An SDMX CL_OBS_STATUS code, any case; None for ``A`` (normal) or no code."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise FieldError("obs_status", f"must be a code (text), got {type(raw).__name__}")
    code = raw.strip().upper()
    if not code or code == "A":
        return None
    if code not in OBS_STATUS:
        valid = ", ".join(f"{c} ({what})" for c, what in OBS_STATUS.items())
        raise FieldError("obs_status", f"unknown code {_short(raw.strip())!r}; one of {valid}")
    return code


def show_int(n: int) -> str:
    """An integer for a message: a huge one (str() fails beyond 4,300 digits) by its size."""
    if -10**18 < n < 10**18:
        return str(n)
    return f"a number of about {int(n.bit_length() * 0.30103) + 1} digits"


def _num(x: float) -> str:
    return f"{x:g}" if abs(x) < 1e15 else repr(x)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
