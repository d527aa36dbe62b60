"""Writers for programs: JSON, CSV, TSV, Markdown. No Rich here (start-up), no arithmetic."""

from __future__ import annotations

import csv
import json
import math
import sys
from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

#: OWASP CSV injection: text cells starting with these are made inert with a leading apostrophe
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def out() -> Any:
    return sys.stdout


def write_json(doc: Any) -> None:
    text = json.dumps(_finite(doc), ensure_ascii=False, indent=2, allow_nan=False, default=_default)
    out().write(text + "\n")


def write_json_items(doc: dict, key: str, items: Iterable[Any], *, batch: int = 4096) -> None:
    """``write_json`` of ``doc`` with ``doc[key]`` = ``items``, the items written a batch at a time (the
    same text, without a million-item document in memory). The items must hold finite numbers only.
    Each batch is encoded compactly by ``json``'s C encoder and indented by msgspec (``json`` indents in
    Python, ten times slower); the text is the same as ``json.dumps(..., indent=2)``."""
    import msgspec.json

    head = json.dumps(_finite({**doc, key: []}), ensure_ascii=False, indent=2, allow_nan=False, default=_default)
    at = head.rindex("[]")  # the last key is ``key``, its list written here
    w = out()
    w.write(head[:at] + "[")
    it = iter(items)
    sep = "\n"
    while chunk := list(islice(it, batch)):
        compact = json.dumps(chunk, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_default)
        text = msgspec.json.format(compact.encode("utf-8"), indent=2).decode("utf-8")
        # "[\n  {…},\n  {…}\n]" at depth 0 -> the items at depth 2 (JSON text holds no raw newline in a string)
        w.write(sep + "  " + text[2:-2].replace("\n", "\n  "))
        sep = ",\n"
    w.write(("]" if sep == "\n" else "\n  ]") + head[at + 2:] + "\n")


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
    kind = type(cell)
    if kind is str:  # the common cases first: a million cells go through here on an export
        return "'" + cell if not raw and cell.startswith(FORMULA_START) else cell
    if kind is float:
        return repr(cell) if math.isfinite(cell) else ""
    if kind is int:
        return str(cell)
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
        cells = [inert(v, raw) for v in map(row.get, columns)]
        (quoted if "\r" in "".join(cells) else w).writerow(cells)


def _md(cell: Any) -> str:
    """A Markdown table cell. Numbers at full precision, as CSV writes them (reports format theirs before:
    a history's revision from 12.87 to 12.9 must stay visible, SPEC §8); booleans as CSV writes them."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float):
        return repr(cell) if math.isfinite(cell) else ""
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


def write_rows(fmt: str, columns: Sequence[str], rows: Iterable[dict], *, raw: bool = False,
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
