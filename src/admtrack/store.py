"""The observation store, ``observations.toml`` (SPEC §2.2).

Append-only: an entry is never edited or removed. Writers hold an exclusive lock on a separate lock file
for the whole read-check-write, write the old bytes plus the new entries to a temporary file in the same
folder, fsync it, ``os.replace`` it over the store and fsync the folder, so that a crash leaves either the
old store or the new one. A JSON cache of the parsed store (``.observations.cache.json``) is kept beside
it and trusted only while the store's size, mtime, inode and content hash match.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from math import isfinite
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

from admtrack.errors import AdmError, toml_error_line, where
from admtrack.validate import BAD_TEXT
from admtrack.validate import MAX_TEXT as MAX_TEXT_LEN

STORE_NAME = "observations.toml"
LOCK_NAME = ".observations.lock"
CACHE_NAME = ".observations.cache.json"
CACHE_VERSION = 2
LOCK_TIMEOUT = 10.0

HEADER = (
    "# admtrack observation store: append-only, written by `admtrack record` and `admtrack retract`.\n"
    "# A later entry for the same state, indicator and year supersedes an earlier one.\n"
)


@dataclass(slots=True)
class Entry:
    state: str
    indicator: str
    year: int
    value: float | None
    source: str | None
    note: str | None
    recorded_at: str | None
    retracted: bool = False
    reason: str | None = None
    line: int | None = None  # line of the entry's [[observation]] header in the store

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.state, self.indicator, self.year)

    def as_row(self) -> list:
        return [self.state, self.indicator, self.year, self.value, self.source, self.note,
                self.recorded_at, self.retracted, self.reason, self.line]


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


# ---------------------------------------------------------------------------------------------- reading

_ALLOWED = {"state", "indicator", "year", "value", "source", "note", "recorded_at", "retracted", "reason"}
_HEADER_LINE = re.compile(rb"^[ \t]*\[\[[ \t]*observation[ \t]*\]\]", re.M)

# A row is a plain list, the cheapest thing to load from the cache:
# [state, indicator, year, value, source, note, recorded_at, retracted, reason, line]
Row = list
Key = tuple  # (state, indicator, year)

Checker = Callable[[list[Row]], None]  # raises AdmError on the first row the plan refuses


class Loaded:
    """The parsed store. The rows in force per key are always at hand; every row (history, full export,
    a first check against a plan) is read from the cache or parsed only when asked for."""

    __slots__ = ("_rows", "_current", "_all")

    def __init__(self, rows: list[Row] | None, current: dict[Key, Row] | None = None, all_rows=None) -> None:
        self._rows = rows
        self._current = current
        self._all = all_rows  # a callable giving every row, when they were not loaded

    @property
    def rows(self) -> list[Row]:
        if self._rows is None:
            self._rows = self._all()
        return self._rows

    def entries(self) -> list[Entry]:
        return [Entry(*r) for r in self.rows]

    def current_rows(self) -> dict[Key, Row]:
        """The row in force for each (state, indicator, year): the last one, retractions included."""
        if self._current is None:
            self._current = current_of(self.rows)
        return self._current

    def in_force(self, key: Key) -> Entry | None:
        r = self.current_rows().get(key)
        return None if r is None else Entry(*r)


def current_of(rows: list[Row]) -> dict[Key, Row]:
    last: dict[Key, Row] = {}
    for r in rows:
        last[(r[0], r[1], r[2])] = r
    return last


class _Cache:
    """The cache file beside the store: one JSON document laid out so that its parts can be read, and
    rows appended, as bytes:

        {"head":{"key":{...},"checked":"<plan fingerprint>"|null},
        "current":[<row in force>,...],
        "rows":[<row>,<row>,...]}

    ``key`` is the store's size, mtime, inode and BLAKE2 hash; ``checked`` names the plan under which every
    row passed the plan checks; ``current`` lets a report read only the rows in force.
    """

    HEAD = b'{"head":'
    CURRENT = b'"current":'
    ROWS = b'"rows":['
    END = b"]}\n"

    def __init__(self, path: Path) -> None:
        self.path = path

    def read_head(self, key: dict):
        """(head, file handle positioned after it) if the cache matches ``key``, else None."""
        try:
            fh = open(self.path, "rb")
        except OSError:
            return None
        try:
            line = fh.readline()
            if not (line.startswith(self.HEAD) and line.endswith(b",\n")):
                raise ValueError
            head = json.loads(line[len(self.HEAD):-2])
            if not isinstance(head, dict) or head.get("key") != key:
                raise ValueError
            return head, fh
        except (OSError, ValueError):
            fh.close()
            return None

    def read_current(self, fh) -> list[Row] | None:
        try:
            line = fh.readline()
            if not (line.startswith(self.CURRENT) and line.endswith(b",\n")):
                return None
            current = json.loads(line[len(self.CURRENT):-2])
        except (OSError, ValueError):
            return None
        return current if _rows_ok(current) else None

    def read_body(self, fh) -> bytes | None:
        """The rows part as raw bytes (items of a JSON array, without the brackets)."""
        try:
            line = fh.readline()
            if line != self.ROWS + b"\n":
                return None
            body = fh.read()
        except OSError:
            return None
        return body[: -len(self.END)] if body.endswith(self.END) else None

    def write(self, head: dict, current: list[Row], body: bytes) -> None:
        try:
            data = b"".join((self.HEAD, json.dumps(head, separators=(",", ":")).encode("ascii"), b",\n",
                             self.CURRENT, _encode_rows(current), b",\n", self.ROWS, b"\n", body, self.END))
            atomic_write(self.path, data, durable=False)
        except OSError:
            pass  # a cache is an optimisation; never fail a command over it


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _encode_rows(rows: list[Row]) -> bytes:
    return _ENCODER.encode(rows).encode("utf-8")


def _rows_ok(rows) -> bool:
    return isinstance(rows, list) and (not rows or (isinstance(rows[0], list) and len(rows[0]) == 10))


class Store:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / STORE_NAME
        self.lock_path = folder / LOCK_NAME
        self.cache = _Cache(folder / CACHE_NAME)

    # reading ------------------------------------------------------------------------------------
    def load(self, *, plan_id: str | None = None, check: Checker | None = None) -> Loaded:
        """The store, parsed, every row checked by ``check`` (unless the cache says that every row already
        passed the checks of plan ``plan_id``). A missing store is empty; one that does not parse raises
        AdmError."""
        try:
            with open(self.path, "rb") as fh:
                raw = fh.read()
                st = os.fstat(fh.fileno())
        except FileNotFoundError:
            return Loaded([], {})
        except OSError as exc:
            raise AdmError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
        loaded, _, _ = self._load(raw, st, plan_id, check, write_cache=True)
        return loaded

    def read(self) -> list[Entry]:
        """Every entry in file order (no plan checks)."""
        return self.load().entries()

    def _load(self, raw: bytes, st: os.stat_result, plan_id, check, *, write_cache: bool):
        """(Loaded, cache head or None, the hasher of ``raw``)."""
        hasher = hashlib.blake2b(raw, digest_size=20)
        key = _key(st, hasher)
        found = self.cache.read_head(key)
        if found is not None:
            head, fh = found
            with fh:
                current = self.cache.read_current(fh)
                if current is not None:
                    checked = plan_id is not None and head.get("checked") == plan_id
                    if checked or check is None:
                        loaded = Loaded(None, {(r[0], r[1], r[2]): r for r in current},
                                        all_rows=lambda: self._all_rows(key, raw))
                        return loaded, head, hasher
                    body = self.cache.read_body(fh)
                    rows = _decode_body(body)
                    if rows is not None:
                        check(rows)
                        head = {"key": key, "checked": plan_id}
                        if write_cache and plan_id is not None:
                            self.cache.write(head, current, body)
                        return Loaded(rows, {(r[0], r[1], r[2]): r for r in current}), head, hasher
        rows = parse_store(raw, self.path)
        if check is not None:
            check(rows)
        current = current_of(rows)
        head = {"key": key, "checked": plan_id if check is not None else None}
        if write_cache:
            self.cache.write(head, list(current.values()), _encode_rows(rows)[1:-1])
        return Loaded(rows, current), head, hasher

    def _all_rows(self, key: dict, raw: bytes) -> list[Row]:
        found = self.cache.read_head(key)
        if found is not None:
            head, fh = found
            with fh:
                if self.cache.read_current(fh) is not None:
                    rows = _decode_body(self.cache.read_body(fh))
                    if rows is not None:
                        return rows
        return parse_store(raw, self.path)

    # writing ------------------------------------------------------------------------------------
    def transact(self, decide: Callable[[Loaded], list[Entry]], *, dry_run: bool = False,
                 plan_id: str | None = None, check: Checker | None = None) -> list[Entry]:
        """Under the lock: read (and check) the store, let ``decide`` return the entries to append, append
        them. ``decide`` may raise to abort: nothing is written then. Returns what was appended."""
        from filelock import FileLock, Timeout

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AdmError(f"{self.folder}: cannot create the data folder: {exc.strerror or exc}") from None
        lock = FileLock(str(self.lock_path), timeout=LOCK_TIMEOUT)
        try:
            with lock:
                try:
                    with open(self.path, "rb") as fh:
                        raw = fh.read()
                        st = os.fstat(fh.fileno())
                except FileNotFoundError:
                    raw, st = b"", None
                if st is not None:
                    loaded, head, hasher = self._load(raw, st, plan_id, check, write_cache=False)
                else:
                    loaded, head, hasher = Loaded([], {}), {"checked": plan_id}, hashlib.blake2b(digest_size=20)
                new = decide(loaded)
                if not new or dry_run:
                    return new
                base = raw
                if not base:
                    base = HEADER.encode("utf-8")
                    hasher.update(base)
                elif not base.endswith(b"\n"):
                    base += b"\n"
                    hasher.update(b"\n")
                first_line = base.count(b"\n") + 2  # a blank line precedes each entry
                text, lines = serialise(new, first_line)
                for e, ln in zip(new, lines):
                    e.line = ln
                tail = text.encode("utf-8")
                try:
                    atomic_write(self.path, base + tail)
                    st = os.stat(self.path)
                except OSError as exc:
                    raise AdmError(f"{self.path}: cannot write: {exc.strerror or exc}") from None
                hasher.update(tail)
                self._extend_cache(loaded, new, _key(st, hasher), head, raw)
                return new
        except Timeout:
            raise AdmError(f"{self.lock_path}: could not lock the store within {LOCK_TIMEOUT:g} s "
                           "(another admtrack is writing?)") from None

    def _extend_cache(self, loaded: Loaded, new: list[Entry], key: dict, head: dict | None, raw: bytes) -> None:
        """The cache after an append, without re-encoding the rows already cached."""
        new_rows = [e.as_row() for e in new]
        current = dict(loaded.current_rows())
        for r in new_rows:
            current[(r[0], r[1], r[2])] = r
        body = None
        if loaded._rows is None and head is not None:
            found = self.cache.read_head(head.get("key"))
            if found is not None:
                _, fh = found
                with fh:
                    if self.cache.read_current(fh) is not None:
                        body = self.cache.read_body(fh)
        if body is None:
            body = _encode_rows(loaded.rows)[1:-1]
        added = _encode_rows(new_rows)[1:-1]
        body = body + b"," + added if body else added
        checked = head.get("checked") if head else None
        self.cache.write({"key": key, "checked": checked}, list(current.values()), body)


def _key(st: os.stat_result, hasher) -> dict:
    return {"v": CACHE_VERSION, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "ino": st.st_ino,
            "hash": hasher.hexdigest()}


def _decode_body(body: bytes | None) -> list[Row] | None:
    if body is None:
        return None
    try:
        rows = json.loads(b"[" + body + b"]")
    except ValueError:
        return None
    return rows if _rows_ok(rows) else None


def parse_store(raw: bytes, path: Path) -> list[Row]:
    """Parse and type-check the store's TOML. Plan checks (known codes, bounds) are done by the caller.

    Files in the layout admtrack writes go through a strict fast reader (tomllib is pure Python and takes
    seconds on a 100,000-entry store); anything else goes to tomllib, so the result is the same either way.
    """
    from admtrack.validate import FieldError, check_number, check_text

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise AdmError(f"{where(path, line)}: not valid UTF-8 text") from None
    fast = _fast_rows(text)
    if fast is not None:
        return fast
    import tomllib

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = toml_error_line(exc, text)
        raise AdmError(f"{where(path, line)}: does not parse as TOML: {str(exc).split(' (at')[0]}") from None
    extra = set(doc) - {"observation"}
    if extra:
        raise AdmError(f"{path}: unknown top-level key {sorted(extra)[0]!r} "
                       "(only [[observation]] tables belong here)")
    items = doc.get("observation", [])
    if not isinstance(items, list):
        raise AdmError(f"{path}: 'observation' must be an array of tables ([[observation]])")
    starts = _header_lines(raw)
    lines = starts if len(starts) == len(items) else [None] * len(items)
    out: list[Row] = []
    for item, line in zip(items, lines):
        if not isinstance(item, dict):
            raise AdmError(f"{where(path, line)}: observation must be a table")
        unknown = set(item) - _ALLOWED
        if unknown:
            raise AdmError(f"{where(path, line)}: {sorted(unknown)[0]}: unknown key")
        try:
            state, ind = item.get("state"), item.get("indicator")
            if not isinstance(state, str) or not state:
                raise FieldError("state", "is required (text)")
            if not isinstance(ind, str) or not ind:
                raise FieldError("indicator", "is required (text)")
            year = item.get("year")
            if not isinstance(year, int) or isinstance(year, bool):
                raise FieldError("year", "must be an integer")
            retracted = item.get("retracted", False)
            if not isinstance(retracted, bool):
                raise FieldError("retracted", "must be true or false")
            value = None
            if not retracted or "value" in item:
                value = check_number(item.get("value"))
            source = item.get("source")
            note = item.get("note")
            reason = item.get("reason")
            if source is not None:
                source = check_text("source", source)
            if note is not None:
                note = check_text("note", note)
            if reason is not None:
                reason = check_text("reason", reason)
            rec = item.get("recorded_at")
            if isinstance(rec, datetime):
                rec = _iso_utc(rec)
            elif isinstance(rec, str):
                try:
                    rec = _iso_utc(datetime.fromisoformat(rec))
                except ValueError:
                    raise FieldError("recorded_at", f"must be a timestamp, got {rec!r}") from None
            elif rec is not None:
                raise FieldError("recorded_at", "must be a timestamp")
        except FieldError as exc:
            raise AdmError(f"{where(path, line)}: {exc.field}: {exc.reason}") from None
        out.append([state, ind, year, value, source, note, rec, retracted, reason, line])
    return out


def _iso_utc(dt: datetime) -> str:
    if dt.tzinfo is None:
        return dt.isoformat()
    return dt.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


# The fast path reads the exact layout that ``serialise`` writes, entry by entry, with one regular
# expression; text it does not recognise (a hand edit, say) goes to tomllib instead, so the result is the
# same either way. Strings may hold only what the text checks allow (no C0/C1 controls but tab).
_STR = r'"(?:[^"\\\x00-\x08\x0a-\x1f\x7f-\x9f]+|\\["\\ntrbf])*"'
_DT = r'[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|[+-][0-9]{2}:[0-9]{2})?'
_BLOCK = re.compile(r'\n+(\[\[observation\]\])\n((?:[a-z_]+ = [^\n]*\n)+)')
_KV = re.compile(r'^([a-z_]+) = (.*)$', re.M)
_CODE = re.compile(r'"[A-Za-z0-9_-]+"', re.ASCII).fullmatch
_INT = re.compile(r'-?(?:0|[1-9][0-9]*)', re.ASCII).fullmatch
_NUM = re.compile(r'-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?', re.ASCII).fullmatch
_TEXT = re.compile(_STR).fullmatch
_STAMP = re.compile(rf'{_DT}|"{_DT}"', re.ASCII).fullmatch
_CANONICAL_DT = re.compile(r'[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z', re.ASCII).fullmatch
_PREFIX = re.compile(r'(?:#[^\x00-\x08\x0a-\x1f\x7f]*\n|\n)*')
_JSON_STR = json.JSONDecoder(strict=False)  # TOML's basic-string escapes are a subset of JSON's


def _fast_rows(text: str) -> list[Row] | None:
    """Rows of a store made of plain ``key = value`` lines under ``[[observation]]`` headers (any key
    order; blank lines between entries; comments only at the top), read with regular expressions; None
    for anything else, which then goes to tomllib."""
    shift = 0
    if text.startswith("[[observation]]"):
        text, shift = "\n" + text, 1  # the store opens directly with an entry
    pos = _PREFIX.match(text).end()
    if pos > 0 and text[pos - 1] == "\n":
        pos -= 1  # the block pattern consumes the newline(s) before each header
    end = len(text)
    rows: list[Row] = []
    match = _BLOCK.match
    pairs_of = _KV.findall
    decode = _JSON_STR.decode
    allowed = _ALLOWED
    limit = MAX_TEXT_LEN
    newlines, last = 0, 0
    while pos < end:
        m = match(text, pos)
        if m is None:
            if not text[pos:].strip("\n"):
                break  # trailing blank lines
            return None
        header = m.start(1)
        newlines += text.count("\n", last, header)
        last = header
        pos = m.end()
        pairs = pairs_of(m.group(2))
        d = dict(pairs)
        if len(d) != len(pairs) or not d.keys() <= allowed:
            return None  # a key twice, or an unknown key: tomllib and the checks say which
        state, ind, year = d.get("state"), d.get("indicator"), d.get("year")
        if state is None or ind is None or year is None or not (_CODE(state) and _CODE(ind) and _INT(year)):
            return None
        value = d.get("value")
        if value is not None:
            if not _NUM(value):
                return None
            value = float(value)
            if not isfinite(value):
                return None  # tomllib's reading, then the value check, say what is wrong
        retracted = d.get("retracted")
        if retracted is not None:
            if retracted not in ("true", "false"):
                return None
            retracted = retracted == "true"
        else:
            retracted = False
        if value is None and not retracted:
            return None
        texts = []
        for key in ("source", "note", "reason"):
            t = d.get(key)
            if t is not None:
                if not _TEXT(t):
                    return None
                if "\\" in t:
                    t = decode(t)
                    if BAD_TEXT.search(t):
                        return None  # an escape made a control character: the text checks refuse it
                else:
                    t = t[1:-1]
                if len(t) > limit:
                    return None
            texts.append(t or None)  # as check_text: empty text is no text
        rec = d.get("recorded_at")
        if rec is not None:
            if not _STAMP(rec):
                return None
            try:
                stamp = datetime.fromisoformat(rec.strip('"'))
            except ValueError:
                return None  # e.g. 30 February: tomllib says so
            if not _CANONICAL_DT(rec):
                rec = _iso_utc(stamp)
        rows.append([state[1:-1], ind[1:-1], int(year), value, texts[0], texts[1], rec, retracted, texts[2],
                     newlines + 1 - shift])
    return rows


def _header_lines(raw: bytes) -> list[int]:
    """1-based line of each [[observation]] header, in one pass."""
    out: list[int] = []
    line, pos = 1, 0
    for m in _HEADER_LINE.finditer(raw):
        line += raw.count(b"\n", pos, m.start())
        pos = m.start()
        out.append(line)
    return out


# ---------------------------------------------------------------------------------------------- writing

def _toml_str(s: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes; the text checks have already refused the
    # characters (DEL, C1 controls, lone surrogates) that JSON would leave raw but TOML forbids.
    return json.dumps(s, ensure_ascii=False)


def serialise(entries: Iterable[Entry], first_line: int) -> tuple[str, list[int]]:
    """TOML text for new entries (each preceded by a blank line) and the line of each header."""
    parts: list[str] = []
    lines: list[int] = []
    line = first_line
    for e in entries:
        rows = [f"state = {_toml_str(e.state)}", f"indicator = {_toml_str(e.indicator)}", f"year = {e.year}"]
        if e.value is not None:
            rows.append(f"value = {e.value!r}")
        if e.source is not None:
            rows.append(f"source = {_toml_str(e.source)}")
        if e.note is not None:
            rows.append(f"note = {_toml_str(e.note)}")
        if e.retracted:
            rows.append("retracted = true")
            if e.reason is not None:
                rows.append(f"reason = {_toml_str(e.reason)}")
        if e.recorded_at:
            rows.append(f"recorded_at = {e.recorded_at}")
        lines.append(line)
        parts.append("\n[[observation]]\n" + "\n".join(rows) + "\n")
        line += len(rows) + 2
    return "".join(parts), lines


def atomic_write(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a mix."""
    try:
        mode = os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if durable:
        try:
            dfd = os.open(path.parent, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
