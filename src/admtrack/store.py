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
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

from admtrack.errors import AdmError, where

STORE_NAME = "observations.toml"
LOCK_NAME = ".observations.lock"
CACHE_NAME = ".observations.cache.json"
CACHE_VERSION = 1
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

    @classmethod
    def from_row(cls, row: list) -> Entry:
        return cls(*row)


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


# ---------------------------------------------------------------------------------------------- reading

_ALLOWED = {"state", "indicator", "year", "value", "source", "note", "recorded_at", "retracted", "reason"}
_HEADER_LINE = re.compile(rb"^[ \t]*\[\[[ \t]*observation[ \t]*\]\]", re.M)


class Store:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / STORE_NAME
        self.lock_path = folder / LOCK_NAME
        self.cache_path = folder / CACHE_NAME

    # reading ------------------------------------------------------------------------------------
    def read(self) -> list[Entry]:
        """Every entry in file order. A missing store is empty; one that does not parse raises AdmError."""
        try:
            raw = self.path.read_bytes()
            st = os.stat(self.path)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise AdmError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
        return self._entries(raw, st)

    def _entries(self, raw: bytes, st: os.stat_result, *, write_cache: bool = True) -> list[Entry]:
        digest = hashlib.blake2b(raw, digest_size=20).hexdigest()
        key = {"v": CACHE_VERSION, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "ino": st.st_ino, "hash": digest}
        cached = self._read_cache(key)
        if cached is not None:
            return cached
        entries = parse_store(raw, self.path)
        if write_cache:
            self._write_cache(key, entries)
        return entries

    def _read_cache(self, key: dict) -> list[Entry] | None:
        try:
            with open(self.cache_path, "rb") as fh:
                doc = json.load(fh)
        except (OSError, ValueError):
            return None
        if not isinstance(doc, dict) or doc.get("key") != key:
            return None
        try:
            return [Entry.from_row(r) for r in doc["entries"]]
        except (TypeError, KeyError):
            return None

    def _write_cache(self, key: dict, entries: list[Entry]) -> None:
        try:
            data = json.dumps({"key": key, "entries": [e.as_row() for e in entries]},
                              ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            atomic_write(self.cache_path, data, durable=False)
        except OSError:
            pass  # a cache is an optimisation; never fail a command over it

    # writing ------------------------------------------------------------------------------------
    def transact(self, decide: Callable[[list[Entry]], list[Entry]], *, dry_run: bool = False) -> list[Entry]:
        """Under the lock: read the store, let ``decide`` return the entries to append, append them.

        ``decide`` may raise to abort: nothing is written then. Returns what was appended.
        """
        from filelock import FileLock, Timeout

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AdmError(f"{self.folder}: cannot create the data folder: {exc.strerror or exc}") from None
        lock = FileLock(str(self.lock_path), timeout=LOCK_TIMEOUT)
        try:
            with lock:
                try:
                    raw = self.path.read_bytes()
                    st = os.stat(self.path)
                    existing = self._entries(raw, st, write_cache=False)
                except FileNotFoundError:
                    raw, existing = b"", []
                new = decide(existing)
                if not new or dry_run:
                    return new
                if not raw:
                    raw = HEADER.encode("utf-8")
                elif not raw.endswith(b"\n"):
                    raw += b"\n"
                first_line = raw.count(b"\n") + 2  # a blank line precedes each entry
                text, lines = serialise(new, first_line)
                for e, ln in zip(new, lines):
                    e.line = ln
                data = raw + text.encode("utf-8")
                try:
                    atomic_write(self.path, data)
                    st = os.stat(self.path)
                except OSError as exc:
                    raise AdmError(f"{self.path}: cannot write: {exc.strerror or exc}") from None
                digest = hashlib.blake2b(data, digest_size=20).hexdigest()
                key = {"v": CACHE_VERSION, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "ino": st.st_ino,
                       "hash": digest}
                self._write_cache(key, existing + new)
                return new
        except Timeout:
            raise AdmError(f"{self.lock_path}: could not lock the store within {LOCK_TIMEOUT:g} s "
                           "(another admtrack is writing?)") from None


def parse_store(raw: bytes, path: Path) -> list[Entry]:
    """Parse and type-check the store's TOML. Plan checks (known codes, bounds) are done by the caller."""
    import tomllib

    from admtrack.validate import FieldError, check_number, check_text

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise AdmError(f"{where(path, line)}: not valid UTF-8 text") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"at line (\d+)", str(exc))
        line = int(m.group(1)) if m else None
        raise AdmError(f"{where(path, line)}: does not parse as TOML: {str(exc).split(' (at')[0]}") from None
    extra = set(doc) - {"observation"}
    if extra:
        raise AdmError(f"{path}: unknown top-level key {sorted(extra)[0]!r} (only [[observation]] tables belong here)")
    items = doc.get("observation", [])
    if not isinstance(items, list):
        raise AdmError(f"{path}: 'observation' must be an array of tables ([[observation]])")
    starts = [raw.count(b"\n", 0, m.start()) + 1 for m in _HEADER_LINE.finditer(raw)]
    lines = starts if len(starts) == len(items) else [None] * len(items)
    out: list[Entry] = []
    for item, line in zip(items, lines):
        loc = where(path, line)
        if not isinstance(item, dict):
            raise AdmError(f"{loc}: observation must be a table")
        unknown = set(item) - _ALLOWED
        if unknown:
            raise AdmError(f"{loc}: {sorted(unknown)[0]}: unknown key")
        try:
            for k in ("state", "indicator"):
                if not isinstance(item.get(k), str) or not item[k]:
                    raise FieldError(k, "is required (text)")
            year = item.get("year")
            if not isinstance(year, int) or isinstance(year, bool):
                raise FieldError("year", "must be an integer")
            retracted = item.get("retracted", False)
            if not isinstance(retracted, bool):
                raise FieldError("retracted", "must be true or false")
            value = None
            if not retracted or "value" in item:
                value = check_number(item.get("value"))
            source = check_text("source", item.get("source"))
            note = check_text("note", item.get("note"))
            reason = check_text("reason", item.get("reason"))
            rec = item.get("recorded_at")
            if isinstance(rec, datetime):
                rec = rec.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z") \
                    if rec.tzinfo else rec.isoformat()
            elif rec is not None and not isinstance(rec, str):
                raise FieldError("recorded_at", "must be a timestamp")
        except FieldError as exc:
            raise AdmError(f"{loc}: {exc.field}: {exc.reason}") from None
        out.append(Entry(item["state"], item["indicator"], year, value, source, note, rec, retracted, reason, line))
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
