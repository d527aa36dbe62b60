"""Readers for bulk input (``record --file``): CSV, TSV, JSON (array of objects), JSON Lines, SDMX-CSV.

Each reader turns text into ``(label, fields)`` pairs — label "line 4" or "item 2" — and problems it
found in the file's shape. Field values stay raw (text, or JSON values); ``rules.check_row`` checks them.
``parse(..., lazy=True)`` yields the rows one at a time (the problems list fills as they are read), so
that a big input is never held as text, cells and rows at once.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from admtrack.errors import AdmError, UsageError

#: the formats ``parse`` reads
FORMATS = ("csv", "tsv", "json", "jsonl", "sdmx-csv")
#: the agencies' bulk download files (SPEC §9): read by ``sources.bulk`` through the plan's mapping
#: (``commands.record.read_bulk``), since they need the plan's indicators and member states
BULK_FORMATS = ("worldbank-csv", "ilostat-csv")
INPUT_FORMATS = FORMATS + BULK_FORMATS
FIELDS = ("state", "indicator", "year", "value", "source", "note", "obs_status")
REQUIRED = ("state", "indicator", "year", "value")
#: columns of admtrack's own exports that matter on the way back in: a history (``--all-revisions``) says
#: which entries are retractions and why, and ``layer`` tells the bundled figures (not recorded) apart
HISTORY = ("retracted", "reason", "layer")
# columns that admtrack's own exports add; accepted and ignored on the way back in
IGNORED = ("recorded_at", "unit")
KEPT = FIELDS + HISTORY
MAX_BYTES = 256 * 1024 * 1024
SDMX_COLUMNS = ("DATAFLOW", "REF_AREA", "INDICATOR", "TIME_PERIOD", "OBS_VALUE", "UNIT_MEASURE", "OBS_STATUS")
#: SDMX-CSV attribute columns admtrack writes beside the standard ones, and the fields they carry
SDMX_ATTRIBUTES = {"OBS_STATUS": "obs_status", "SOURCE": "source", "COMMENT_OBS": "note"}

_EXT = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}

Row = tuple[str, dict[str, Any]]


class Problems(list):
    """Row problems: (label, field, reason) triples."""

    def add(self, label: str, field: str, reason: str) -> None:
        self.append((label, field, reason))


def read_source(path: str) -> tuple[str, bytes]:
    """(display name, raw bytes) of a file or of stdin ('-')."""
    import sys

    if path == "-":
        data = sys.stdin.buffer.read(MAX_BYTES + 1)
        name = "<stdin>"
    else:
        p = Path(path)
        try:
            if p.is_dir():
                raise AdmError(f"{path}: is a folder, not a file")
            with open(p, "rb") as fh:
                data = fh.read(MAX_BYTES + 1)
        except FileNotFoundError:
            raise AdmError(f"{path}: no such file") from None
        except OSError as exc:
            raise AdmError(f"{path}: cannot read: {exc.strerror or exc}") from None
        name = path
    if len(data) > MAX_BYTES:
        raise AdmError(
            f"{name}: input is too large (more than {MAX_BYTES // (1024 * 1024)} MiB); split it into smaller files"
        )
    check_fits(name, len(data))
    return name, data


#: what recording an input needs at most, as a multiple of its size (measured: a CSV of short rows needs
#: about 6x, a full history that appends every row about 9x; see README "Reliability")
MEMORY_FACTOR = 10


def available_memory() -> int | None:
    """Bytes this process may still use: the smaller of the system's available memory (Linux) and the
    address-space limit (ulimit -v); None when neither is known."""
    limits: list[int] = []
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft not in (resource.RLIM_INFINITY, -1) and soft > 0:
            limits.append(soft)
    except (ImportError, OSError, ValueError):
        pass
    try:
        with open("/proc/meminfo", "rb") as fh:
            for line in fh:
                if line.startswith(b"MemAvailable:"):
                    limits.append(int(line.split()[1]) * 1024)
                    break
    except (OSError, ValueError, IndexError):
        pass
    return min(limits) if limits else None


def check_fits(name: str, size: int, *, available: int | None = None) -> None:
    """Refuse, before any work, an input that would not fit in memory."""
    need = size * MEMORY_FACTOR
    have = available_memory() if available is None else available
    if have is not None and need > have:
        mib = 1024 * 1024
        raise AdmError(
            f"{name}: recording {size / mib:.0f} MiB needs about {need / mib:.0f} MiB of memory and "
            f"only {have / mib:.0f} MiB is available; split it into smaller files"
        )


def decode(name: str, data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise AdmError(f"{name}: is UTF-16 text; save it as UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise AdmError(
            f"{name}:{line}: not valid UTF-8 (byte 0x{data[exc.start]:02X}); save the file as UTF-8"
        ) from None


def detect_format(path: str, text: str, given: str | None) -> str:
    if given:
        if given not in INPUT_FORMATS:
            raise UsageError(f"--input-format: must be one of {', '.join(INPUT_FORMATS)}, got {given!r}")
        return given
    ext = _EXT.get(Path(path).suffix.lower()) if path != "-" else None
    if ext and ext != "csv":
        return ext
    head = text.lstrip()
    end = head.find("\n", 0, 1 << 16)
    first = head[:end] if end >= 0 else head[: 1 << 16]
    bulk = _sniff_bulk(first)
    if bulk or ext:
        return bulk or ext  # type: ignore[return-value]
    if head.startswith(("[", "{")):
        return _sniff_json(text)
    if first.upper().startswith("DATAFLOW,"):
        return "sdmx-csv"
    return "tsv" if "\t" in first and "," not in first else "csv"


def _sniff_bulk(first: str) -> str | None:
    """An agency's bulk file, from its first line: the WDI preamble (``"Data Source","World Development
    Indicators",``) or an ILOSTAT header (``ref_area`` or ``ref_area.label`` … ``obs_value``)."""
    cells = [c.strip().strip('"').strip().lower() for c in first.split(",")]
    if cells and cells[0] == "data source":
        return "worldbank-csv"
    if {"obs_value", "time"} <= set(cells) and ("ref_area" in cells or "ref_area.label" in cells):
        return "ilostat-csv"
    return None


def _sniff_json(text: str) -> str:
    """JSON when the text parses whole as one document (an array, or admtrack's export document);
    otherwise JSON Lines (one object a line)."""
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return "jsonl"
    is_export = isinstance(doc, dict) and "observations" in doc
    return "json" if isinstance(doc, list) or is_export else "jsonl"


def parse(name: str, text: str, fmt: str, *, lazy: bool = False) -> tuple[Iterable[Row], Problems]:
    """The rows of ``text`` and the problems of its shape; with ``lazy``, a generator of the rows (read
    it to the end before looking at the problems)."""
    if fmt in ("csv", "tsv"):
        rows, problems = _parse_delimited(name, text, "\t" if fmt == "tsv" else ",")
    elif fmt == "json":
        rows, problems = _parse_json(name, text)
    elif fmt == "jsonl":
        rows, problems = _parse_jsonl(text)
    elif fmt == "sdmx-csv":
        rows, problems = _parse_sdmx(name, text)
    else:
        raise UsageError(f"unknown input format {fmt!r}")
    return (rows if lazy else list(rows)), problems


_LINE = re.compile(r"[^\r\n]*+(?:\r\n?|\n)|[^\r\n]++")


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their ends, one at a time (``io.StringIO`` would copy the text at four
    bytes a character; ``splitlines`` would make every line at once)."""
    if "\r" in text:  # \r\n or a lone \r also end a line (csv's universal newlines)
        for m in _LINE.finditer(text):
            yield m.group()
        return
    find = text.find
    start, end = 0, len(text)
    while start < end:
        stop = find("\n", start)
        if stop < 0:
            yield text[start:]
            return
        yield text[start : stop + 1]
        start = stop + 1


def _records(text: str, delimiter: str):
    """(first line, cells) of each record; quoted cells may span lines."""
    reader = csv.reader(_lines(text), delimiter=delimiter, strict=True)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, exc
            return
        yield start, cells
        start = reader.line_num + 1


def _table(name: str, text: str, delimiter: str, problems: Problems, *, upper: bool, expected: str):
    """The header (normalised) and a generator of (line, cells) for each data row of the right width;
    malformed rows go to ``problems``."""
    records = _records(text, delimiter)
    header = None
    for line, cells in records:
        if isinstance(cells, Exception):
            raise AdmError(f"{name}:{line}: cannot read the header: {cells}")
        if cells:
            header = [c.strip().upper() if upper else c.strip().lower() for c in cells]
            break
    if header is None:
        raise AdmError(f"{name}: is empty; expected a header row ({expected})")
    seen: set[str] = set()
    for col in header:
        if col in seen:
            raise AdmError(f"{name}:1: header: column {col!r} appears twice")
        seen.add(col)

    def rows():
        for line, cells in records:
            if isinstance(cells, Exception):
                problems.add(f"line {line}", "row", f"malformed CSV: {cells}")
                return
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue  # blank line
            if len(cells) != len(header):
                problems.add(f"line {line}", "row", f"has {len(cells)} fields, the header has {len(header)}")
                continue
            yield line, cells

    return header, rows()


def _parse_delimited(name: str, text: str, delimiter: str) -> tuple[Iterable[Row], Problems]:
    problems = Problems()
    header, data = _table(name, text, delimiter, problems, upper=False, expected=",".join(FIELDS))
    _check_header(name, header)
    at = [(i, col) for i, col in enumerate(header) if col in KEPT]
    rows = ((f"line {line}", {col: cells[i] for i, col in at}) for line, cells in data)
    return rows, problems


def _check_header(name: str, header: list[str]) -> None:
    seen = set(header)
    for col in header:
        if col not in KEPT and col not in IGNORED:
            hint = ""
            if ";" in col:
                hint = "; the file looks ';'-separated: admtrack reads ',' (CSV) or tab (TSV) separated files"
            elif col == "dataflow":
                hint = "; the file looks like SDMX-CSV: add --input-format sdmx-csv"
            raise AdmError(f"{name}:1: header: unknown column {col!r} (expected {', '.join(FIELDS)}){hint}")
    missing = [c for c in REQUIRED if c not in seen]
    if missing:
        raise AdmError(f"{name}:1: header: missing column {missing[0]!r} (expected {', '.join(FIELDS)})")


def _object_row(label: str, obj: Any, problems: Problems) -> dict[str, Any] | None:
    if not isinstance(obj, dict):
        problems.add(label, "row", f"must be a JSON object, got {type(obj).__name__}")
        return None
    unknown = [k for k in obj if k not in KEPT and k not in IGNORED]
    if unknown:
        problems.add(label, unknown[0], f"unknown key (expected {', '.join(FIELDS)})")
        return None
    return {k: v for k, v in obj.items() if k in KEPT}


def _reject_constant(token: str):
    raise ValueError(f"{token} is not a finite number")


class DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(f"key {key!r} appears twice in one object")
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON objects with a key twice are refused (json would silently keep the last one)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(key)
        out[key] = value
    return out


def _loads(text: str) -> Any:
    return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)


def _parse_json(name: str, text: str) -> tuple[Iterable[Row], Problems]:
    try:
        doc = _loads(text)
    except json.JSONDecodeError as exc:
        raise AdmError(f"{name}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except DuplicateKey as exc:
        raise AdmError(f"{name}: {exc.key}: {exc}") from None
    except (ValueError, RecursionError) as exc:
        raise AdmError(f"{name}: not valid JSON: {exc}") from None
    if isinstance(doc, dict) and isinstance(doc.get("observations"), list):
        doc = doc["observations"]  # admtrack's own export document
    if not isinstance(doc, list):
        raise AdmError(f"{name}: a JSON input must be an array of objects")
    problems = Problems()

    def rows() -> Iterator[Row]:
        doc.reverse()  # items are popped from the end: each is let go once read
        pop = doc.pop
        i = 0
        while doc:
            i += 1
            fields = _object_row(f"item {i}", pop(), problems)
            if fields is not None:
                yield f"item {i}", fields

    return rows(), problems


def _parse_jsonl(text: str) -> tuple[Iterator[Row], Problems]:
    problems = Problems()

    def rows() -> Iterator[Row]:
        for n, line in enumerate(_lines(text), start=1):
            if not line.strip():
                continue
            label = f"line {n}"
            try:
                obj = _loads(line)
            except json.JSONDecodeError as exc:
                problems.add(label, "row", f"not valid JSON: {exc.msg}")
                continue
            except DuplicateKey as exc:
                problems.add(label, exc.key, str(exc))
                continue
            except (ValueError, RecursionError) as exc:
                problems.add(label, "row", f"not valid JSON: {exc}")
                continue
            fields = _object_row(label, obj, problems)
            if fields is not None:
                yield label, fields

    return rows(), problems


def _parse_sdmx(name: str, text: str) -> tuple[Iterable[Row], Problems]:
    problems = Problems()
    header, data = _table(name, text, ",", problems, upper=True, expected=",".join(SDMX_COLUMNS))
    for col in ("REF_AREA", "INDICATOR", "TIME_PERIOD", "OBS_VALUE"):
        if col not in header:
            raise AdmError(f"{name}:1: header: missing SDMX-CSV column {col!r}")
    columns = {"REF_AREA": "state", "INDICATOR": "indicator", "TIME_PERIOD": "year", "OBS_VALUE": "value"}
    columns.update((c, f) for c, f in SDMX_ATTRIBUTES.items() if c in header)
    at = {header.index(c): f for c, f in columns.items()}
    rows = ((f"line {line}", {f: cells[i] for i, f in at.items()}) for line, cells in data)
    return rows, problems
