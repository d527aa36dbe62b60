"""Readers for the agencies' bulk download files (``record --file --input-format worldbank-csv|ilostat-csv``,
SPEC §9), mapped through the same ``worldbank`` / ``ilostat`` / ``scale`` keys as ``admtrack fetch``.

WDI bulk CSV (``API_<CODE>_DS2_en_csv_v2_*.csv``, or the all-series ``WDIData.csv``): four preamble lines
(``"Data Source","World Development Indicators",`` / blank / ``"Last Updated Date","2026-07-01",`` / blank),
then ``"Country Name","Country Code","Indicator Name","Indicator Code","1960",…`` — wide, one column per
year, every cell quoted, empty cells ``""``, a trailing comma on each line; aggregates (regions, income
groups) mixed with countries. Rows for economies that are not member states are skipped and counted;
series that no indicator maps are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from admtrack.errors import AdmError
from admtrack.sources import Fetched, Row, csv_records, fields, get, scaled, selected
from admtrack.sources.worldbank import source_text

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def read_worldbank_csv(name: str, text: str, indicators: Mapping[str, Any],
                       resolve_state: Callable[[str], str | None], *, wanted: Iterable[str] | None = None,
                       from_year: int | None = None, to_year: int | None = None) -> Fetched:
    """Rows ``("line N, YEAR", fields)`` for every non-empty cell of a mapped series, years in
    [from_year, to_year] (default 1990 — the first valid year — to the current year).

    ``resolve_state``: an ISO3 code → the plan's alpha-3, or None (a non-member row: skipped, counted).
    Raises AdmError (file and line) on a file that is not in the WDI bulk layout or a cell that is not a number.
    """
    from admtrack.validate import MIN_YEAR

    lo = from_year if from_year is not None else MIN_YEAR
    hi = to_year if to_year is not None else date.today().year
    by_code: dict[str, list[tuple[str, Any]]] = {}
    for ind_id, ind in selected(indicators, wanted, "worldbank"):
        by_code.setdefault(str(get(ind, "worldbank")).upper(), []).append((ind_id, get(ind, "scale")))
    if not by_code:
        raise AdmError(f"{name}: no indicator of the plan names a World Bank series (`worldbank = \"CODE\"`)")
    lastupdated = sourcename = None
    header: list[str] | None = None
    records = []
    each, _ = csv_records(text, name)
    for first, rec in each:
        cells = [c.strip() for c in rec]
        if header is None:
            if cells and cells[0] == "Data Source" and len(cells) > 1:
                sourcename = cells[1]
            elif cells and cells[0] == "Last Updated Date" and len(cells) > 1 and _DATE.match(cells[1]):
                lastupdated = cells[1]
            elif cells and cells[0] == "Country Name":
                header = cells
            elif any(cells) and first > 6:
                break
            continue
        records.append((first, cells))
    if header is None:
        raise AdmError(f"{name}: not a World Bank bulk CSV: no \"Country Name\",\"Country Code\",… header "
                       f"in its first lines")
    at = {c: i for i, c in enumerate(header)}
    for need in ("Country Code", "Indicator Code"):
        if need not in at:
            raise AdmError(f"{name}: header: missing column {need!r}")
    years = [(i, int(c)) for i, c in enumerate(header) if len(c) == 4 and c.isdigit() and lo <= int(c) <= hi]
    rows: list[Row] = []
    skipped = 0
    codes_seen: set[str] = set()
    for first, cells in records:
        if not any(cells):
            continue
        if len(cells) < len(header) and any(cells[len(cells):]):
            raise AdmError(f"{name}:{first}: has {len(cells)} fields, the header has {len(header)}")
        code = cells[at["Indicator Code"]].upper() if at["Indicator Code"] < len(cells) else ""
        codes_seen.add(code)
        targets = by_code.get(code)
        if not targets:
            continue
        state = resolve_state(cells[at["Country Code"]]) if at["Country Code"] < len(cells) else None
        if state is None:
            skipped += 1
            continue
        source = source_text(code, sourcename, lastupdated, date.today().isoformat())
        for i, year in years:
            raw = cells[i] if i < len(cells) else ""
            if raw == "":
                continue
            for ind_id, scale in targets:
                try:
                    v = scaled(raw, scale)
                except ValueError as exc:
                    raise AdmError(f"{name}:{first}: {year}: {exc}") from None
                rows.append((f"line {first}, {year}", fields(state, ind_id, year, v, source)))
    if codes_seen - {""} and not any(c in by_code for c in codes_seen):
        held = ", ".join(sorted(c for c in codes_seen if c)[:5]) or "none"
        mapped = ", ".join(sorted(by_code))
        raise AdmError(f"{name}: holds World Bank series {held}; none is mapped to an indicator of the plan "
                       f"(mapped: {mapped})")
    return Fetched(rows, skipped)


def read_ilostat_csv(name: str, text: str, indicators: Mapping[str, Any],
                     resolve_state: Callable[[str], str | None], *, wanted: Iterable[str] | None = None,
                     from_year: int | None = None, to_year: int | None = None) -> Fetched:
    """Rows ``("line N", fields)`` from an ILOSTAT bulk CSV (code or label layout), one per state and year of
    each mapped indicator (``line N``: the first line that went into the figure). See ``ilostat``."""
    from admtrack.sources.ilostat import parse_csv
    from admtrack.validate import MIN_YEAR

    return parse_csv(name, text, indicators, wanted, resolve_state,
                     from_year=from_year if from_year is not None else MIN_YEAR,
                     to_year=to_year if to_year is not None else date.today().year)
