"""Writers for programs: JSON, CSV, TSV, Markdown. No Rich here (start-up), no arithmetic."""

from __future__ import annotations

import csv
import json
import math
import sys
from collections.abc import Iterable, Sequence
from typing import Any

#: OWASP CSV injection: text cells starting with these are made inert with a leading apostrophe
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def out() -> Any:
    return sys.stdout


def write_json(doc: Any) -> None:
    text = json.dumps(_finite(doc), ensure_ascii=False, indent=2, allow_nan=False, default=_default)
    out().write(text + "\n")


def _finite(obj: Any) -> Any:
    """JSON has no inf or NaN: a result that overflowed is unknown (null)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


def write_jsonl(rows: Iterable[dict]) -> None:
    w = out()
    for row in rows:
        w.write(json.dumps(_finite(row), ensure_ascii=False, allow_nan=False, default=_default) + "\n")


def _default(obj: Any) -> Any:
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def inert(cell: Any, raw: bool = False) -> Any:
    """A cell for a spreadsheet: formula-like text gets a leading apostrophe; numbers are never altered."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float):
        return "" if not math.isfinite(cell) else repr(cell)
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, (list, tuple)):
        cell = ";".join(str(c) for c in cell)
    text = str(cell)
    if not raw and text.startswith(FORMULA_START):
        return "'" + text
    return text


def write_delimited(columns: Sequence[str], rows: Iterable[dict], *, delimiter: str = ",", raw: bool = False) -> None:
    w = csv.writer(out(), delimiter=delimiter, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    # with "\n" line endings the csv module would leave a lone CR unquoted, and readers split lines at it
    quoted = csv.writer(out(), delimiter=delimiter, lineterminator="\n", quoting=csv.QUOTE_ALL)
    w.writerow(columns)
    for row in rows:
        cells = [inert(row.get(c), raw) for c in columns]
        (quoted if any("\r" in c for c in cells) else w).writerow(cells)


def _md(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float):
        return f"{cell:.6g}" if math.isfinite(cell) else ""
    if isinstance(cell, (list, tuple)):
        cell = ", ".join(str(c) for c in cell)
    return str(cell).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", "<br>")


def md_text(text: str) -> str:
    """Text for Markdown outside a table (a footnote)."""
    return _md(text).replace("<br>", " ")


def write_markdown(columns: Sequence[str], rows: Iterable[dict], *, headers: Sequence[str] | None = None,
                   numeric: Sequence[str] = ()) -> None:
    w = out()
    heads = list(headers or columns)
    w.write("| " + " | ".join(_md(h) for h in heads) + " |\n")
    w.write("|" + "|".join("---:" if c in numeric else "---" for c in columns) + "|\n")
    for row in rows:
        w.write("| " + " | ".join(_md(row.get(c)) for c in columns) + " |\n")


def write_rows(fmt: str, columns: Sequence[str], rows: list[dict], *, raw: bool = False,
               numeric: Sequence[str] = ()) -> None:
    if fmt == "csv":
        write_delimited(columns, rows, raw=raw)
    elif fmt == "tsv":
        write_delimited(columns, rows, delimiter="\t", raw=raw)
    elif fmt == "markdown":
        write_markdown(columns, rows, numeric=numeric)
    elif fmt == "jsonl":
        write_jsonl(rows)
    else:  # pragma: no cover - the CLI restricts formats
        raise ValueError(fmt)
