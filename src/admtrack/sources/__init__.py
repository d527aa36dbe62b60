"""Figures from statistical agencies (SPEC §9): the World Bank Indicators API and ILOSTAT's bulk CSV API
(``worldbank.fetch``, ``ilostat.fetch``) and the agencies' bulk download files (``bulk.read_worldbank_csv``,
``bulk.read_ilostat_csv``), mapped to the plan's indicators through their ``worldbank`` / ``ilostat`` /
``scale`` keys in targets.toml.

Every function here is pure in the sense that matters: it returns rows — ``(label, fields)`` pairs like
``inputs.parse`` gives, fields ``state, indicator, year, value, source, note, obs_status`` — for the same
checks and the same all-or-nothing write as ``record --file``, or raises ``AdmError``; it never returns
part of the data after a failure, and it writes nothing. HTTP (httpx) is imported only by the two ``fetch``
functions, never at start-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from admtrack.errors import AdmError, UsageError

Row = tuple[str, dict[str, Any]]


def csv_records(text: str, name: str) -> tuple[Iterator[tuple[int, list[str]]], Any]:
    """An agency's CSV file (a byte-order mark dropped) as ``(first line, cells)`` records,
    and the ``csv.reader`` behind them (to read a header first). A malformed record raises AdmError
    naming the file and line."""
    import csv
    import io

    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), strict=True)

    def records() -> Iterator[tuple[int, list[str]]]:
        line = reader.line_num
        while True:
            try:
                rec = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise AdmError(f"{name}:{reader.line_num}: malformed CSV: {exc}") from None
            first, line = line + 1, reader.line_num
            yield first, rec

    return records(), reader

#: SDMX CL_OBS_STATUS codes that admtrack stores (SPEC §8); "A" (normal) is stored as no status
OBS_STATUS = ("A", "B", "E", "F", "I", "P", "U")


class Fetched(NamedTuple):
    """What a fetch or a bulk file gave.

    ``rows``: ``(label, fields)`` pairs, in the order of the source; ``skipped``: rows (or series cells) for
    economies that are not member states of the plan — regions, income groups, other countries — counted,
    not errors; ``incomplete``: state-years left out because an ILOSTAT ``classif1`` item or ``total`` they
    need is missing (or the total is 0).
    """

    rows: list[Row]
    skipped: int = 0
    incomplete: int = 0


def get(obj: Any, key: str, default: Any = None) -> Any:
    """``obj[key]`` for a dict (the plan's tables today), ``obj.key`` for a typed record."""
    if obj is None:
        return default
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


def selected(indicators: Mapping[str, Any], wanted: Iterable[str] | None, key: str) -> list[tuple[str, Any]]:
    """(indicator id, indicator) of every indicator with a ``key`` mapping, in plan order; ``wanted`` (ids)
    narrows them, and naming one that has no such mapping is a usage error (exit 2, as ``fetch`` says)."""
    mapped = [(i, ind) for i, ind in indicators.items() if get(ind, key)]
    if wanted is None:
        return mapped
    wanted = list(dict.fromkeys(wanted))
    out = []
    for w in wanted:
        if w not in indicators:
            raise UsageError(f"--indicator: unknown indicator {w!r} (see `admtrack targets`)")
        if not get(indicators[w], key):
            names = ", ".join(i for i, _ in mapped) or "none"
            raise UsageError(f"--indicator: {w!r} has no `{key}` series in targets.toml (mapped: {names})")
        out.append((w, indicators[w]))
    return out


def scaled(raw: Any, scale: float | None) -> float:
    """A source value in the indicator's unit: ``raw × scale`` in decimal arithmetic, so that shifting
    US$ to US$ bn (1e-9) adds no binary rounding (13469235364.7032 → 13.4692353647032)."""
    try:
        d = Decimal(raw.strip()) if isinstance(raw, str) else Decimal(repr(float(raw)))
    except (InvalidOperation, ValueError, TypeError):
        raise ValueError(f"not a number: {raw!r}") from None
    if not d.is_finite():
        raise ValueError(f"not a finite number: {raw!r}")
    if scale is not None and scale != 1:
        d = d * Decimal(repr(float(scale)))
    return float(d)


def fields(state: str, indicator: str, year: int, value: float, source: str, note: str | None = None,
           obs_status: str | None = None) -> dict[str, Any]:
    return {"state": state, "indicator": indicator, "year": year, "value": value, "source": source,
            "note": note, "obs_status": obs_status}
