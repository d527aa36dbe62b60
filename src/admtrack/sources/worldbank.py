"""The World Bank Indicators API v2 (SPEC §9).

``{base}/country/{ISO3;ISO3;…}/indicator/{CODE}?format=json&date=FROM:TO&per_page=N&page=K``, every page.
A page is ``[header, data]``: header ``{page, pages, per_page, total, sourceid, sourcename, lastupdated}``
(numbers sometimes as strings), data a list of ``{indicator:{id,value}, country:{id,value},
countryiso3code, date, value, unit, obs_status, decimal}`` (or null when there is nothing; a selection
without a single figure is page 0 of 0, total 0, with null data). An API error
arrives with HTTP 200 as ``[{"message": [{"id", "key", "value"}]}]``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from admtrack.errors import AdmError
from admtrack.sources import OBS_STATUS, Fetched, Row, fields, get, scaled, selected

ENV_URL = "ADMTRACK_WORLDBANK_URL"
DEFAULT_URL = "https://api.worldbank.org/v2"
AGENCY = "World Bank API"

#: progress(label, done, total): called after each page (``total`` = pages of that series)
Progress = Callable[[str, int, int], None]


def default_base() -> str:
    return (os.environ.get(ENV_URL) or DEFAULT_URL).rstrip("/")


def source_text(code: str, sourcename: str | None, lastupdated: str | None, retrieved: str) -> str:
    """"World Bank WDI NY.GDP.MKTP.CD, release 2026-07-01": the agency, the series and its release — the
    same text for the same release, so that fetching it again (or importing its bulk file) is a no-op.
    Without a release date, the retrieval date."""
    name = "WDI" if (sourcename or "World Development Indicators") == "World Development Indicators" else sourcename
    when = f"release {lastupdated}" if lastupdated else f"retrieved {retrieved}"
    return f"World Bank {name} {code}, {when}"


def fetch(indicators: Mapping[str, Any], wanted: Iterable[str] | None, states: Sequence[str],
          from_year: int, to_year: int, *, base_url: str | None = None, client=None, progress: Progress | None = None,
          per_page: int = 1000, timeout: float = 30.0, retries: int = 3, backoff: float = 1.0,
          sleep: Callable[[float], None] = time.sleep, today: date | None = None) -> Fetched:
    """Every figure of the plan's ``worldbank`` series for ``states`` (ISO3) in [from_year, to_year].

    ``indicators``: the plan's indicators by id (dicts or typed records with ``worldbank`` and ``scale``);
    ``wanted``: indicator ids to fetch (None: every mapped one). Rows are labelled
    ``"NY.GDP.MKTP.CD page 2 item 7"``; values are scaled to the indicator's unit; nulls are skipped;
    economies outside ``states`` are counted in ``skipped``. Raises AdmError on any failure (HTTP, network,
    an API error message, a page that is not the documented shape) — never returns part of the data.
    """
    series = selected(indicators, wanted, "worldbank")
    if not series:
        raise AdmError("no indicator of the plan names a World Bank series (`worldbank = \"CODE\"` in targets.toml)")
    if not states:
        raise AdmError("no state to fetch")
    if from_year > to_year:
        raise AdmError(f"--from {from_year} is after --to {to_year}")
    from admtrack.sources import _http

    root = (base_url or default_base()).rstrip("/")
    retrieved = (today or date.today()).isoformat()
    wanted_states = {s.upper() for s in states}
    own = client is None
    client = client or _http.make_client(timeout)
    rows: list[Row] = []
    skipped = 0
    try:
        by_code: dict[str, list[tuple[str, Any]]] = {}
        for ind_id, ind in series:
            by_code.setdefault(str(get(ind, "worldbank")), []).append((ind_id, get(ind, "scale")))
        for code, targets in by_code.items():
            url = f"{root}/country/{';'.join(states)}/indicator/{code}"
            page, pages = 1, 1
            while page <= pages:
                params = {"format": "json", "date": f"{from_year}:{to_year}", "per_page": per_page, "page": page}
                resp = _http.get(client, url, params, agency=AGENCY, retries=retries, backoff=backoff, sleep=sleep)
                header, data = _page(resp, code, page)
                if page == 1 and _no_figures(header, data, code):
                    break
                pages = _int(header.get("pages"), "pages", code, page) if header.get("pages") is not None else 1
                got = _int(header.get("page", page), "page", code, page)
                if got != page:
                    raise AdmError(f"{AGENCY}: {code}: asked for page {page}, got page {got}")
                source = source_text(code, header.get("sourcename"), header.get("lastupdated"), retrieved)
                for i, item in enumerate(data, start=1):
                    label = f"{code} page {page} item {i}"
                    if not isinstance(item, dict):
                        raise AdmError(f"{AGENCY}: {label}: not an object")
                    iso3 = str(item.get("countryiso3code") or "").upper()
                    if iso3 not in wanted_states:
                        skipped += 1
                        continue
                    value = item.get("value")
                    if value is None:
                        continue  # no figure for that year
                    year = _year(item.get("date"), label)
                    if year is None or not from_year <= year <= to_year:
                        continue
                    status = str(item.get("obs_status") or "").strip().upper() or None
                    note = None
                    if status is not None and status not in OBS_STATUS:
                        note, status = f"World Bank obs_status {status}", None
                    for ind_id, scale in targets:
                        try:
                            v = scaled(value, scale)
                        except ValueError as exc:
                            raise AdmError(f"{AGENCY}: {label}: value: {exc}") from None
                        rows.append((label if len(targets) == 1 else f"{label} ({ind_id})",
                                     fields(iso3, ind_id, year, v, source, note, None if status == "A" else status)))
                if progress is not None:
                    progress(code, page, pages)
                page += 1
    finally:
        if own:
            client.close()
    return Fetched(rows, skipped)


def _page(resp, code: str, page: int) -> tuple[dict, list]:
    try:
        doc = json.loads(resp.content)
    except (ValueError, UnicodeDecodeError):
        raise AdmError(f"{AGENCY}: {code} page {page}: the answer is not JSON "
                       f"(HTTP {resp.status_code}, {resp.headers.get('content-type', 'no content type')})") from None
    message = _message(doc)
    if message is not None:
        raise AdmError(f"{AGENCY}: {code}: {message}")
    if not (isinstance(doc, list) and len(doc) >= 1 and isinstance(doc[0], dict)):
        raise AdmError(f"{AGENCY}: {code} page {page}: not the documented [header, data] shape")
    data = doc[1] if len(doc) > 1 else None
    if data is None:
        data = []  # no figures at all for this selection
    if not isinstance(data, list):
        raise AdmError(f"{AGENCY}: {code} page {page}: the data part is not a list")
    return doc[0], data


def _no_figures(header: dict, data: list, code: str) -> bool:
    """The API's answer for a selection without a single figure, with HTTP 200: page 0 of 0, nothing in
    all, no data — ``[{"page": 0, "pages": 0, "per_page": 0, "total": 0, "sourceid": null, …}, null]``."""
    return not data and all(_int(header.get(key, 0), key, code, 1) == 0 for key in ("page", "pages", "total"))


def _message(doc: Any) -> str | None:
    """The API's own error, e.g. 'error 120 (Invalid value): The provided parameter value is not valid'."""
    if isinstance(doc, list) and doc and isinstance(doc[0], dict) and "message" in doc[0]:
        msgs = doc[0]["message"]
        parts = []
        for m in msgs if isinstance(msgs, list) else [msgs]:
            if isinstance(m, dict):
                parts.append(f"error {m.get('id', '?')} ({m.get('key', '?')}): {m.get('value', '')}".rstrip(": "))
            else:
                parts.append(str(m))
        return "; ".join(parts) or "an error message without text"
    return None


def _int(raw: Any, name: str, code: str, page: int) -> int:
    try:
        return int(str(raw).strip())
    except ValueError:
        raise AdmError(f"{AGENCY}: {code} page {page}: header {name!r} is not a number: {raw!r}") from None


def _year(raw: Any, label: str) -> int | None:
    text = str(raw or "").strip()
    if text.isdigit() and len(text) == 4:
        return int(text)
    raise AdmError(f"{AGENCY}: {label}: date {raw!r} is not a year (admtrack reads annual series)")
