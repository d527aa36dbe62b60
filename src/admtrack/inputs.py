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
from itertools import chain, islice, repeat
from pathlib import Path
from typing import Any, NamedTuple

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
        doc = json.loads(text, parse_constant=_not_finite)
    except (ValueError, RecursionError):
        return "jsonl"
    is_export = isinstance(doc, dict) and "observations" in doc
    return "json" if isinstance(doc, list) or is_export else "jsonl"


def parse(name: str, text: str, fmt: str, *, lazy: bool = False) -> tuple[Iterable[Row], Problems]:
    """The rows of ``text`` and the problems of its shape; with ``lazy``, a generator of the rows (read
    it to the end before looking at the problems; a delimited file's is a ``Table``)."""
    rows: Iterable[Row]
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
#: what ``str.splitlines`` ends a line at, besides "\n"
_OTHER_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
#: rows of a delimited file are read and checked this many at a time (``Table.batches``): a batch that
#: fits in the processor's cache (measured: 4,096 took half as long again as 512 on a million rows)
BATCH = 512


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their ends, one at a time (``io.StringIO`` would copy the text at four
    bytes a character; ``splitlines`` would make every line at once)."""
    if "\r" in text:  # \r\n or a lone \r also end a line (csv's universal newlines)
        for m in _LINE.finditer(text):
            yield m.group()
        return
    if not any(c in text for c in _OTHER_BREAKS[1:]):
        # only "\n" ends a line: ``splitlines`` (in C) a megabyte at a time
        yield from chain.from_iterable(map(str.splitlines, _slices(text), repeat(True)))
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


def _slices(text: str, size: int = 1 << 20) -> Iterator[str]:
    """``text`` in slices of about ``size`` characters, each ending at a "\n" (or the end)."""
    start, end = 0, len(text)
    while start < end:
        stop = text.find("\n", min(start + size, end))
        stop = end if stop < 0 else stop + 1
        yield text[start:stop]
        start = stop


def _record_batches(text: str, delimiter: str, size: int):
    """(first line of each, cells of each) for up to ``size`` records at a time; quoted cells may span
    lines. A malformed record ends the reading: it comes as ([its first line], csv.Error)."""
    reader = csv.reader(_lines(text), delimiter=delimiter, strict=True)
    end = 0  # the last line read
    while True:
        cells: list[list[str]] = []
        ends: list[int] = []
        keep, last = cells.append, ends.append
        error = None
        try:
            for record in islice(reader, size):
                keep(record)
                last(reader.line_num)
        except csv.Error as exc:
            error = exc
        if cells:
            starts = [end + 1]
            starts += [e + 1 for e in ends[:-1]]
            end = ends[-1]
            yield starts, cells
        if error is not None:
            yield [end + 1], error
            return
        if len(cells) < size:
            return


class Columns(NamedTuple):
    """A batch of data rows of a delimited file, column-wise (``Table.batches``): the line each row starts
    on, and each field's raw cells, in row order."""

    lines: list[int]
    fields: dict[str, tuple[str, ...]]


class Table:
    """The data rows of a delimited file (CSV, TSV, SDMX-CSV), read as they are asked for: one at a time
    as ``(label, fields)`` by iterating, or a batch at a time, column-wise, by ``batches()`` (for checks
    that run a column at a time). Either way once. Blank lines are skipped; malformed rows and rows of
    the wrong width go to ``problems``. ``plain``: every column read is one of FIELDS (no history columns,
    no layer)."""

    def __init__(self, batches: Iterator, width: int, at: dict[int, str], problems: Problems) -> None:
        self._batches = batches
        self.width = width
        self.at = at  # column index -> field
        self.problems = problems
        self.plain = all(f in FIELDS for f in at.values())

    def _rows(self) -> Iterator[tuple[list[int], list[list[str]]]]:
        """(first lines, cells) of each batch of well-formed data rows."""
        width, add = self.width, self.problems.add
        # each batch is let go before the next is read: the objects of one batch are freed together (freed
        # after the next batch was read, they would scatter its objects over memory: much slower)
        for starts, cells in self._batches:
            if isinstance(cells, Exception):
                add(f"line {starts[0]}", "row", f"malformed CSV: {cells}")
                return
            if width > 1 and set(map(len, cells)) == {width}:
                yield starts, cells  # nearly always: no blank line, no row of another width
                del starts, cells
                continue
            lines, kept = [], []
            for line, row in zip(starts, cells):
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # blank line
                if len(row) != width:
                    add(f"line {line}", "row", f"has {len(row)} fields, the header has {width}")
                    continue
                lines.append(line)
                kept.append(row)
            del starts, cells
            if kept:
                yield lines, kept
            del lines, kept

    def __iter__(self) -> Iterator[Row]:
        at = list(self.at.items())
        for lines, cells in self._rows():
            for line, row in zip(lines, cells):
                yield f"line {line}", {f: row[i] for i, f in at}

    def batches(self) -> Iterator[Columns]:
        at = list(self.at.items())
        for lines, cells in self._rows():
            columns = list(zip(*cells))
            del cells
            batch = Columns(lines, {f: columns[i] for i, f in at})
            del lines, columns
            yield batch
            del batch  # (see _rows)


def _table(name: str, text: str, delimiter: str, problems: Problems, *, upper: bool, expected: str):
    """The header (normalised) and the batches of (first lines, cells) after it."""
    batches = _record_batches(text, delimiter, BATCH)
    header = None
    pending: tuple[list[int], list] | None = None
    for starts, cells in batches:
        if isinstance(cells, Exception):
            raise AdmError(f"{name}:{starts[0]}: cannot read the header: {cells}")
        for i, row in enumerate(cells):
            if row:
                header = [c.strip().upper() if upper else c.strip().lower() for c in row]
                pending = (starts[i + 1:], cells[i + 1:])
                break
        if header is not None:
            break
    if header is None:
        raise AdmError(f"{name}: is empty; expected a header row ({expected})")
    seen: set[str] = set()
    for col in header:
        if col in seen:
            raise AdmError(f"{name}:1: header: column {col!r} appears twice")
        seen.add(col)
    rest = chain([pending] if pending and pending[1] else [], batches)
    return header, rest


def _parse_delimited(name: str, text: str, delimiter: str) -> tuple[Table, Problems]:
    problems = Problems()
    header, data = _table(name, text, delimiter, problems, upper=False, expected=",".join(FIELDS))
    _check_header(name, header)
    at = {i: col for i, col in enumerate(header) if col in KEPT}
    return Table(data, len(header), at, problems), problems


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


class Flaw(NamedTuple):
    """What the JSON reader keeps in place of a constant or an object it refuses (NaN, Infinity; a key
    twice), so that the row holding it is reported with its item or line beside the other bad rows."""

    key: str | None  # the key given twice; None for a constant (the row's key says where it sits)
    reason: str


def _not_finite(token: str) -> Flaw:
    return Flaw(None, f"{token} is not a finite number")


class _JsonReader:
    """``json.loads`` that puts a ``Flaw`` where it meets NaN, Infinity or an object with a key twice
    (json would read the constants as floats and keep the last of the keys), and says whether it met one."""

    flawed = False

    def loads(self, text: str) -> Any:
        self.flawed = False
        return json.loads(text, parse_constant=self._constant, object_pairs_hook=self._unique_keys)

    def _constant(self, token: str) -> Flaw:
        self.flawed = True
        return _not_finite(token)

    def _unique_keys(self, pairs: list[tuple[str, Any]]) -> dict[str, Any] | Flaw:
        out = dict(pairs)
        if len(out) == len(pairs):
            return out
        self.flawed = True
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                return Flaw(key, f"key {key!r} appears twice in one object")
            seen.add(key)
        raise AssertionError("unreachable: a key was given twice")


def _first_flaw(value: Any) -> Flaw | None:
    """The first ``Flaw`` in a JSON value, however deep (without recursion: JSON nests deeper than Python)."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, Flaw):
            return v
        if isinstance(v, list):
            stack.extend(reversed(v))
        elif isinstance(v, dict):
            stack.extend(reversed(list(v.values())))
    return None


def _flawed_row(label: str, obj: Any, problems: Problems) -> bool:
    """Whether the JSON row ``obj`` holds a ``Flaw``; the first one is added to ``problems``, under the key
    that holds it."""
    if isinstance(obj, Flaw):
        problems.add(label, obj.key or "row", obj.reason)
        return True
    if isinstance(obj, dict):
        for key, value in obj.items():
            flaw = _first_flaw(value)
            if flaw is not None:
                problems.add(label, key, flaw.reason)
                return True
    return False


def _parse_json(name: str, text: str) -> tuple[Iterable[Row], Problems]:
    reader = _JsonReader()
    try:
        doc = reader.loads(text)
    except json.JSONDecodeError as exc:
        raise AdmError(f"{name}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:
        raise AdmError(f"{name}: not valid JSON: {exc}") from None
    flawed = reader.flawed
    if isinstance(doc, dict) and isinstance(doc.get("observations"), list):
        # admtrack's own export document: its rows are the observations; a flaw beside them refuses it
        if flawed:
            for key, value in doc.items():
                flaw = None if key == "observations" else _first_flaw(value)
                if flaw is not None:
                    raise AdmError(f"{name}: {key}: {flaw.reason}")
        doc = doc["observations"]
    if isinstance(doc, Flaw):
        raise AdmError(f"{name}: {doc.key}: {doc.reason}" if doc.key else f"{name}: not valid JSON: {doc.reason}")
    if not isinstance(doc, list):
        raise AdmError(f"{name}: a JSON input must be an array of objects")
    problems = Problems()

    def rows() -> Iterator[Row]:
        doc.reverse()  # items are popped from the end: each is let go once read
        pop = doc.pop
        i = 0
        while doc:
            i += 1
            obj = pop()
            if flawed and _flawed_row(f"item {i}", obj, problems):
                continue
            fields = _object_row(f"item {i}", obj, problems)
            if fields is not None:
                yield f"item {i}", fields

    return rows(), problems


def _parse_jsonl(text: str) -> tuple[Iterator[Row], Problems]:
    problems = Problems()
    reader = _JsonReader()

    def rows() -> Iterator[Row]:
        for n, line in enumerate(_lines(text), start=1):
            if not line.strip():
                continue
            label = f"line {n}"
            try:
                obj = reader.loads(line)
            except json.JSONDecodeError as exc:
                problems.add(label, "row", f"not valid JSON: {exc.msg}")
                continue
            except (ValueError, RecursionError) as exc:
                problems.add(label, "row", f"not valid JSON: {exc}")
                continue
            if reader.flawed and _flawed_row(label, obj, problems):  # named by its key, as in a JSON array
                continue
            fields = _object_row(label, obj, problems)
            if fields is not None:
                yield label, fields

    return rows(), problems


def _parse_sdmx(name: str, text: str) -> tuple[Table, Problems]:
    problems = Problems()
    header, data = _table(name, text, ",", problems, upper=True, expected=",".join(SDMX_COLUMNS))
    for col in ("REF_AREA", "INDICATOR", "TIME_PERIOD", "OBS_VALUE"):
        if col not in header:
            raise AdmError(f"{name}:1: header: missing SDMX-CSV column {col!r}")
    columns = {"REF_AREA": "state", "INDICATOR": "indicator", "TIME_PERIOD": "year", "OBS_VALUE": "value"}
    columns.update((c, f) for c, f in SDMX_ATTRIBUTES.items() if c in header)
    at = {header.index(c): f for c, f in columns.items()}
    return Table(data, len(header), at, problems), problems
