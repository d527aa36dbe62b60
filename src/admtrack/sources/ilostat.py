"""ILOSTAT (SPEC §9): the bulk CSV API and bulk download files, in code or label layout.

API: ``{base}/data/indicator/?id=ID&ref_area=ISO3+…&type=code&format=.csv`` (base ``$ADMTRACK_ILOSTAT_URL``,
default ``https://rplumber.ilo.org``). Code layout columns: ``ref_area, source, indicator, sex, classif1
[, classif2], time, obs_value, obs_status, note_classif, note_indicator, note_source``; the label layout
has ``ref_area.label, source.label, indicator.label, …`` with texts ("Viet Nam", "Sex: Total",
"Occupation (Detailed): 1. Managers", "Break in series") instead of codes.

An indicator's mapping ``ilostat = {id, filter, classif1, total}`` selects the rows of indicator ``id``
(``EMP_2EMP_SEX_OCU_NB_A`` or ``EMP_2EMP_SEX_OCU_NB``: the ``_A`` names the annual data set), keeps those
whose dimensions equal ``filter`` (e.g. ``sex = "SEX_T"``), sums the ``classif1`` items per state and year
and, with ``total``, divides by that item × 100: a share in percent. ``scale`` then multiplies the result
(e.g. 1000 for thousands → persons). A state-year that lacks an item or the total is left out and counted.
"""

from __future__ import annotations

import csv
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from admtrack.errors import AdmError
from admtrack.sources import OBS_STATUS, Fetched, Row, csv_records, fields, get, scaled, selected

ENV_URL = "ADMTRACK_ILOSTAT_URL"
DEFAULT_URL = "https://rplumber.ilo.org"
AGENCY = "ILOSTAT"

#: ILOSTAT's status labels (label layout) → SDMX CL_OBS_STATUS
STATUS_LABELS = {
    "break in series": "B",
    "unreliable": "U",
    "low reliability": "U",
    "estimate": "E",
    "estimated": "E",
    "imputed": "I",
    "forecast": "F",
    "projection": "F",
    "provisional": "P",
    "preliminary": "P",
}
#: the label that heads the items of a classification code's first part (label layout)
DIMENSION_LABELS = {
    "SEX": "sex",
    "OCU": "occupation",
    "OC2": "occupation",
    "ECO": "economic activity",
    "EC2": "economic activity",
    "AGE": "age",
    "EDU": "education",
    "INS": "institutional sector",
    "STE": "status in employment",
    "GEO": "area type",
}
#: when items of one figure carry different statuses, the figure carries the first of these it meets
STATUS_PRIORITY = ("U", "B", "E", "I", "F", "P")


def default_base() -> str:
    return (os.environ.get(ENV_URL) or DEFAULT_URL).rstrip("/")


def fetch(
    indicators: Mapping[str, Any],
    wanted: Iterable[str] | None,
    states: Sequence[str],
    from_year: int,
    to_year: int,
    *,
    base_url: str | None = None,
    client=None,
    progress=None,
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    today: date | None = None,
    dated: bool = True,
) -> Fetched:
    """The plan's ``ilostat`` series for ``states`` (ISO3) in [from_year, to_year]: one request per ILOSTAT
    indicator id. Raises AdmError on any failure; never returns part of the data.

    The CSV API gives no release date, so each source ends with "retrieved YYYY-MM-DD" (``today``); with
    ``dated=False`` it names the agency, indicator and selection only, so that a re-fetch on another day
    of unchanged figures is recognised as unchanged."""
    series = selected(indicators, wanted, "ilostat")
    if not series:
        raise AdmError("no indicator of the plan names an ILOSTAT series (`ilostat = { id = … }` in targets.toml)")
    if not states:
        raise AdmError("no state to fetch")
    if from_year > to_year:
        raise AdmError(f"--from {from_year} is after --to {to_year}")
    from admtrack.sources import _http

    root = (base_url or default_base()).rstrip("/")
    retrieved = (today or date.today()).isoformat() if dated else None
    codes = {s.upper(): s.upper() for s in states}
    ids = list(dict.fromkeys(str(get(get(ind, "ilostat"), "id")) for _, ind in series))
    own = client is None
    client = client or _http.make_client(timeout)
    rows: list[Row] = []
    skipped = incomplete = 0
    try:
        for n, ilo_id in enumerate(ids, start=1):
            url = f"{root}/data/indicator/"
            params = {"id": ilo_id, "ref_area": "+".join(states), "type": "code", "format": ".csv"}
            resp = _http.get(client, url, params, agency=AGENCY, retries=retries, backoff=backoff, sleep=sleep)
            try:
                text = resp.content.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise AdmError(f"{AGENCY}: {ilo_id}: the answer is not UTF-8 text") from None
            if not text.strip():
                raise AdmError(f"{AGENCY}: {ilo_id}: empty answer (is the indicator id right?)")
            mine = {i: ind for i, ind in series if str(get(get(ind, "ilostat"), "id")) == ilo_id}
            got = parse_csv(
                f"{AGENCY} {ilo_id}",
                text,
                mine,
                None,
                codes.get,
                from_year=from_year,
                to_year=to_year,
                retrieved=retrieved,
            )
            rows += got.rows
            skipped += got.skipped
            incomplete += got.incomplete
            if progress is not None:
                progress(ilo_id, n, len(ids))
    finally:
        if own:
            client.close()
    return Fetched(rows, skipped, incomplete)


def parse_csv(
    name: str,
    text: str,
    indicators: Mapping[str, Any],
    wanted: Iterable[str] | None,
    resolve_state: Callable[[str], str | None],
    *,
    from_year: int | None = None,
    to_year: int | None = None,
    retrieved: str | None = None,
) -> Fetched:
    """Rows from an ILOSTAT CSV (code or label layout) for every mapped indicator it holds.

    ``resolve_state``: a code or name → the plan's alpha-3, or None for a non-member (skipped, counted).
    A label-layout file does not name its indicator code: exactly one mapped indicator must be wanted.
    Raises AdmError naming the file and line on a malformed file."""
    series = selected(indicators, wanted, "ilostat")
    if not series:
        raise AdmError(f"{name}: no indicator of the plan names an ILOSTAT series (`ilostat = {{ id = … }}`)")
    each, reader = csv_records(text, name)
    try:
        header_cells = next(reader, None)
    except csv.Error as exc:
        raise AdmError(f"{name}:1: cannot read the header: {exc}") from None
    if not header_cells:
        raise AdmError(f"{name}: is empty; expected an ILOSTAT CSV header (ref_area, indicator, time, obs_value, …)")
    raw_header = [c.strip().lower() for c in header_cells]
    label = any(c.endswith(".label") for c in raw_header)
    header = [c.removesuffix(".label") for c in raw_header]
    for need in ("ref_area", "time", "obs_value"):
        if need not in header:
            raise AdmError(f"{name}:1: header: missing ILOSTAT column {need!r} (or {need}.label)")
    at = {c: i for i, c in enumerate(header)}
    specs = [(i, get(ind, "ilostat"), get(ind, "scale")) for i, ind in series]
    if label:
        if len(specs) != 1:
            ids = ", ".join(i for i, _, _ in specs)
            raise AdmError(
                f"{name}: a label-layout ILOSTAT file does not name its indicator code; "
                f"choose one indicator (--indicator; mapped: {ids})"
            )
    elif "indicator" not in at:
        raise AdmError(f"{name}:1: header: missing ILOSTAT column 'indicator'")
    for _, spec, _ in specs:
        for dim in get(spec, "filter") or {}:
            if dim.lower() not in at:
                raise AdmError(f"{name}:1: header: the mapping filters on {dim!r}, which the file does not have")
        if (get(spec, "classif1") or get(spec, "total")) and "classif1" not in at:
            raise AdmError(f"{name}:1: header: the mapping sums `classif1` items; the file has no classif1 column")
    lo = from_year if from_year is not None else 0
    hi = to_year if to_year is not None else 10_000

    # (indicator id, state, year) → {ILO source: {item: (value, status, line)}}
    cells: dict[tuple[str, str, int], dict[str, dict[str, tuple[float, str | None, int]]]] = {}
    modelled: dict[tuple[str, str, int], bool] = {}
    skipped = 0
    seen_ids: set[str] = set()
    for first_line, rec in each:
        if not rec or (len(rec) == 1 and not rec[0].strip()):
            continue
        if len(rec) != len(header):
            raise AdmError(f"{name}:{first_line}: has {len(rec)} fields, the header has {len(header)}")
        def cell(col: str, rec: list[str] = rec) -> str:
            return rec[at[col]].strip() if col in at else ""

        ilo_code = cell("indicator")
        if not label:
            seen_ids.add(ilo_code)
        mine = [(i, spec, scale) for i, spec, scale in specs if label or _same_indicator(get(spec, "id"), ilo_code)]
        if not mine:
            continue
        state = resolve_state(cell("ref_area"))
        if state is None:
            skipped += 1
            continue
        year = _year(cell("time"), name, first_line)
        if not lo <= year <= hi:
            continue
        raw = cell("obs_value")
        if raw == "":
            continue  # no figure
        try:
            value = scaled(raw, None)
        except ValueError as exc:
            raise AdmError(f"{name}:{first_line}: obs_value: {exc}") from None
        status = _status(cell("obs_status"), label)
        src = cell("source")
        for ind_id, spec, _ in mine:
            if not all(_matches(code, cell(dim.lower()), label) for dim, code in (get(spec, "filter") or {}).items()):
                continue
            items = list(get(spec, "classif1") or [])
            total = get(spec, "total")
            if items or total:
                item = next((c for c in [*items, total] if c and _matches(c, cell("classif1"), label)), None)
                if item is None:
                    continue
            else:
                item = ""
            key = (ind_id, state, year)
            slot = cells.setdefault(key, {}).setdefault(src, {})
            if item in slot:
                raise AdmError(
                    f"{name}:{first_line}: a second figure for {ind_id} {state} {year} "
                    f"({item or 'no classif1'}, line {slot[item][2]} has the first); narrow the "
                    f"mapping's `filter`"
                )
            slot[item] = (value, status, first_line)
            modelled[key] = modelled.get(key, False) or _is_modelled(src, label)
    if (
        not label
        and seen_ids
        and not any(_same_indicator(get(spec, "id"), c) for _, spec, _ in specs for c in seen_ids)
    ):
        held = ", ".join(sorted(seen_ids)[:5]) or "none"
        raise AdmError(f"{name}: holds ILOSTAT indicator(s) {held}; none is mapped to an indicator of the plan")

    rows: list[tuple[int, Row]] = []
    incomplete = 0
    by_id = {i: (spec, scale) for i, spec, scale in specs}
    for (ind_id, state, year), per_source in cells.items():
        if len(per_source) > 1:
            srcs = ", ".join(sorted(s or "(none)" for s in per_source))
            raise AdmError(
                f"{name}: {ind_id} {state} {year} comes from several ILO sources ({srcs}); "
                f'add `source = "…"` to the mapping\'s `filter`'
            )
        ((src, found),) = per_source.items()
        spec, scale = by_id[ind_id]
        parts = list(get(spec, "classif1") or [])
        total = get(spec, "total")
        if parts:
            if any(p not in found for p in parts) or (total and total not in found):
                incomplete += 1
                continue
            value = sum(found[p][0] for p in parts)
            used: list[tuple[float, str | None, int]] = [found[p] for p in parts] + ([found[total]] if total else [])
            if total:
                if found[total][0] == 0:
                    incomplete += 1
                    continue
                value = value / found[total][0] * 100
        else:
            used = [found[""]]
            value = used[0][0]
        if scale is not None and scale != 1:
            value = scaled(repr(value), scale)
        statuses = {s for _, s, _ in used if s}
        status = next((s for s in STATUS_PRIORITY if s in statuses), None)
        if status is None and modelled.get((ind_id, state, year)):
            status = "E"  # ILO modelled estimates: estimated (SPEC §8)
        first = min(ln for _, _, ln in used)
        source = _source_text(spec, modelled.get((ind_id, state, year), False), retrieved)
        rows.append((first, (f"line {first}", fields(state, ind_id, year, value, source, None, status))))
    rows.sort(key=lambda r: r[0])
    return Fetched([r for _, r in rows], skipped, incomplete)


def _same_indicator(mapped: Any, code: str) -> bool:
    """``EMP_2EMP_SEX_OCU_NB_A`` (the API's data-set id) names the rows of indicator ``EMP_2EMP_SEX_OCU_NB``."""
    m, c = str(mapped).upper(), code.strip().upper()
    return m == c or re.sub(r"_[AQM]$", "", m) == re.sub(r"_[AQM]$", "", c)


def _family(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def _matches(code: str, cell: str, label: bool) -> bool:
    """Whether a file's cell is the mapping's code: equal codes (code layout), or — label layout — the
    label of that code: "Sex: Total" for SEX_T, "Occupation (Detailed): 1. Managers" for OCU_DETAILS_1
    (the classification in brackets must agree with the code's: ISCO-08 is not Detailed)."""
    c, v = code.strip().upper(), cell.strip()
    if v.upper() == c:
        return True
    if not label or not v:
        return False
    head, _, item = v.rpartition(": ")
    item = item.strip()
    parts = c.split("_")
    suffix = parts[-1]
    dimension = DIMENSION_LABELS.get(parts[0])
    if dimension and head and not head.lower().startswith(dimension):
        return False  # "Institutional sector: Total" is not OCU_DETAILS_TOTAL
    m = re.search(r"\(([^)]*)\)", head)
    if m and len(parts) >= 3:
        fam_label, fam_code = _family(m.group(1)), _family(parts[1])
        if not (fam_label.startswith(fam_code[:5]) or fam_code.startswith(fam_label[:5])):
            return False
    token = item.split()[0].rstrip(".").upper() if item else ""
    if token == suffix:
        return True
    return len(suffix) == 1 and suffix.isalpha() and item.upper().startswith(suffix) and suffix != "X"


def _status(raw: str, label: bool) -> str | None:
    text = raw.strip()
    if not text:
        return None
    if text.upper() in OBS_STATUS:
        return None if text.upper() == "A" else text.upper()
    return STATUS_LABELS.get(text.lower()) if label else None


def _is_modelled(source: str, label: bool) -> bool:
    s = source.strip()
    if label:
        low = s.lower()
        return "modelled estimates" in low or "estimates and projections" in low
    return s.upper().startswith("XA")


def _year(text: str, name: str, line: int) -> int:
    if len(text) == 4 and text.isdigit():
        return int(text)
    raise AdmError(f"{name}:{line}: time: {text!r} is not a year (admtrack reads annual ILOSTAT series, id …_A)")


def _source_text(spec: Any, modelled: bool, retrieved: str | None) -> str:
    ilo_id = str(get(spec, "id"))
    filt = get(spec, "filter") or {}
    parts = list(get(spec, "classif1") or [])
    total = get(spec, "total")
    how = []
    if filt:
        how.append(", ".join(f"{k}={v}" for k, v in filt.items()))
    if parts:
        summed = "+".join(parts)
        how.append(f"{summed} as % of {total}" if total else summed)
    kind = "ILO modelled estimates, " if modelled else ""
    text = f"ILOSTAT {kind}{ilo_id}" + (f" ({'; '.join(how)})" if how else "")
    return text + (f", retrieved {retrieved}" if retrieved else "")
