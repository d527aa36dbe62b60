"""The index of the parsed store (SPEC §2.2): ``.observations.cache.json`` beside it, never the source of
truth. One JSON document laid out so that each part can be read, checked and copied as bytes alone:

    {"head":{"v":5,"key":{...},"verdict":...,"canonical":true,"index":[bytes, sha256]},
    "index":{"current":{"<indicator>":[offset, bytes, sha256],...},"rows":[[bytes, sha256],...]},
    "current":[[<entry in force>,...],[...],...],
    "rows":[<entry>,<entry>,...]}

``key`` is the store's size, mtime, inode and SHA-256 hash: the index describes that store and no other.
The head announces the size and hash of the index part, and the index part those of every piece after
it: the entries in force of each indicator (one JSON array each, so that ``status`` decodes the few
indicators it reports on, not a million rows), and the rows in file order as segments of about
``SEGMENT`` bytes (so that ``record`` appends a segment and copies the others without reading them). A
file of any other size is not read at all (a FIFO, a huge junk file), and a piece whose bytes do not hash
to what the index says (a hand edit, a damaged disk) is not believed: the store is parsed instead. An
entry is the first ``STORED`` fields of an ``Observation`` as a JSON array, then its ``obs_status`` when
it has one.

Why JSON pieces and not SQLite: see bench/index_options.py and the README's Performance section.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import weakref
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import NamedTuple

from admtrack.model import Key, Observation
from admtrack.store.fs import Copy, NotRegular, atomic_write

VERSION = 5
STORED = 10  # state … line: the fields of an Observation the store knows (and obs_status, when set)
SEGMENT = 1 << 22  # rows are kept in segments of about this many bytes
_TAIL = [Observation._field_defaults[f] for f in Observation._fields[STORED:]]
_STATUS = Observation._fields.index("obs_status")
_LAYER = Observation._field_defaults["layer"]
_RELEASED = Observation._field_defaults["released"]
_new = tuple.__new__

_HEAD = b'{"head":'
_INDEX = b',\n"index":'
_CURRENT = b',\n"current":'
_ROWS = b',\n"rows":'
_END = b"}\n"
_MAX_HEAD = 1 << 16
_MAX_INDEX = 1 << 26

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _entry(o) -> tuple:
    if len(o) <= STORED + 1:  # already as the cache keeps it (``numbered``)
        return o
    status = o[_STATUS]
    return o[:STORED] if status is None else (*o[:STORED], status)


def encode(rows) -> bytes:
    """A JSON array of entries, each the first STORED fields of an Observation (or such a tuple), then
    its obs_status if it has one."""
    return _ENCODER.encode([_entry(o) for o in rows]).encode("utf-8")


def digest(data) -> str:
    return hashlib.sha256(data).hexdigest()


def _decode(data: bytes) -> list[Observation] | None:
    try:
        rows = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if type(rows) is not list or not all(type(r) is list and STORED <= len(r) <= STORED + 1 for r in rows):
        return None
    tail = _TAIL
    return [_new(Observation, r + tail if len(r) == STORED else r[:STORED] + [_LAYER, r[STORED], _RELEASED])
            for r in rows]


class Piece(NamedTuple):
    """A piece of an index: its bytes (new), or where they are in an existing index file (``src``, a
    descriptor kept open, so the bytes cannot change under us), and their size and hash."""

    size: int
    hash: str
    data: bytes | None = None
    src: int | None = None
    offset: int = 0

    @classmethod
    def of(cls, data: bytes) -> Piece:
        return cls(len(data), digest(data), data)

    def chunk(self):
        return self.data if self.data is not None else Copy(self.src, self.offset, self.size)  # type: ignore[arg-type]


class View:
    """An index that describes the store as it is now; its pieces are read (and checked) when asked for."""

    def __init__(self, fd: int, head: dict, current: dict[str, Piece], rows: list[Piece]) -> None:
        self.fd = fd
        self.head = head
        self.pieces = current
        self.segments = rows
        self._close = weakref.finalize(self, os.close, fd)

    def close(self) -> None:
        self._close()

    @property
    def verdict(self) -> str | None:
        v = self.head.get("verdict")
        return v if isinstance(v, str) else None

    @property
    def canonical(self) -> bool:
        return self.head.get("canonical") is True

    def read(self, piece: Piece) -> bytes | None:
        """A piece's bytes if they hash to what the index says, else None."""
        if piece.data is not None:
            return piece.data
        try:
            data = os.pread(self.fd, piece.size, piece.offset)
        except OSError:
            return None
        return data if len(data) == piece.size and digest(data) == piece.hash else None

    def current(self, indicators: Iterable[str] | None = None) -> dict[str, dict[Key, Observation]] | None:
        """The entries in force of ``indicators`` (default: all), per indicator; None if a piece is damaged."""
        out: dict[str, dict[Key, Observation]] = {}
        names = self.pieces if indicators is None else indicators
        for ind in names:
            piece = self.pieces.get(ind)
            if piece is None:
                out[ind] = {}
                continue
            data = self.read(piece)
            rows = None if data is None else _decode(data)
            if rows is None or any(o.indicator != ind for o in rows):
                return None
            out[ind] = {(o.state, ind, o.year): o for o in rows}
        return out

    def rows(self) -> list[Observation] | None:
        out: list[Observation] = []
        for seg in self.segments:
            data = self.read(seg)
            rows = None if data is None else _decode(b"[" + data + b"]")
            if rows is None:
                return None
            out += rows
        return out


class Cache:
    def __init__(self, path: Path) -> None:
        self.path = path

    def get(self, key: dict) -> View | None:
        """The index if it describes the store whose key is ``key`` and its layout adds up; else None.
        (Each piece is checked against its hash when it is read.)"""
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return None
        try:
            view = self._view(fd, key)
        except (OSError, ValueError, TypeError, KeyError, RecursionError, AttributeError):
            view = None
        if view is None:
            os.close(fd)
        return view

    def _view(self, fd: int, key: dict) -> View | None:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegular
        first = os.read(fd, min(st.st_size, _MAX_HEAD))
        end = first.find(b"\n")
        if not first.startswith(_HEAD) or end < 0:
            return None
        head = json.loads(first[len(_HEAD):end - 1])
        if not (isinstance(head, dict) and head.get("v") == VERSION and head.get("key") == key):
            return None
        n_index, index_hash = head["index"]
        at = end - 1 + len(_INDEX)  # the head line without ",\n"
        if not (type(n_index) is int and 0 < n_index <= min(_MAX_INDEX, st.st_size - at)):
            return None
        data = os.pread(fd, n_index, at)
        if len(data) != n_index or digest(data) != index_hash:
            return None
        index = json.loads(data)
        at += n_index + len(_CURRENT)
        current: dict[str, Piece] = {}
        pos = at + 1  # after "["
        for ind, (off, size, h) in index["current"].items():
            if off != pos - at or type(size) is not int or size < 2 or not isinstance(h, str):
                return None
            current[ind] = Piece(size, h, src=fd, offset=pos)
            pos += size + 1
        at = max(pos, at + 2) + len(_ROWS)
        rows: list[Piece] = []
        pos = at + 1
        for size, h in index["rows"]:
            if type(size) is not int or size < 1 or not isinstance(h, str):
                return None
            rows.append(Piece(size, h, src=fd, offset=pos))
            pos += size + 1
        if st.st_size != max(pos, at + 2) + len(_END):
            return None
        return View(fd, head, current, rows)

    def put(self, key: dict, *, verdict: str | None, canonical: bool, current: Mapping[str, Piece],
            rows: list[Piece]) -> None:
        """Write the index. Never fails a command: an index is an optimisation."""
        spans = {}
        pos = 1
        for ind, piece in current.items():
            spans[ind] = [pos, piece.size, piece.hash]
            pos += piece.size + 1
        index = json.dumps({"current": spans, "rows": [[p.size, p.hash] for p in rows]},
                           separators=(",", ":")).encode("utf-8")
        head = {"v": VERSION, "key": key, "verdict": verdict, "canonical": canonical,
                "index": [len(index), digest(index)]}
        data: list = [_HEAD, json.dumps(head, separators=(",", ":")).encode("ascii"), _INDEX, index, _CURRENT]
        data += _joined([p.chunk() for p in current.values()])
        data.append(_ROWS)
        data += _joined([p.chunk() for p in rows])
        data.append(_END)
        try:
            atomic_write(self.path, data, durable=False)
        except OSError:
            pass


def _joined(chunks: list) -> list:
    out: list = [b"["]
    for i, c in enumerate(chunks):
        if i:
            out.append(b",")
        out.append(c)
    out.append(b"]")
    return out


def current_pieces(by_indicator: Mapping[str, Mapping]) -> dict[str, Piece]:
    """The entries in force (Observations, or tuples from ``numbered``), one piece per indicator."""
    return {ind: Piece.of(encode(entries.values())) for ind, entries in by_indicator.items() if entries}


def segments(rows: Iterable, *, size: int = 4096, start: bytes = b"") -> Iterator[Piece]:
    """Rows (Observations, or tuples from ``numbered``) as segments of about SEGMENT bytes, encoded
    ``size`` at a time (a million entries are never one string); ``start``: a segment to go on from."""
    parts: list[bytes] = [start] if start else []
    n = len(start)
    it = iter(rows)
    while True:
        batch = list(islice(it, size))
        if not batch:
            break
        data = encode(batch)[1:-1]
        parts.append(data)
        n += len(data) + 1
        if n >= SEGMENT:
            yield Piece.of(b",".join(parts))
            parts, n = [], 0
    if parts:
        yield Piece.of(b",".join(parts))


def by_indicator(rows: Iterable) -> dict[str, dict[Key, object]]:
    """The last entry per (state, indicator, year), grouped by indicator."""
    out: dict[str, dict[Key, object]] = {}
    for o in rows:
        ind = o[1]
        part = out.get(ind)
        if part is None:
            part = out[ind] = {}
        part[(o[0], ind, o[2])] = o
    return out


def numbered(entries: Iterable[Observation], lines: Iterable[int], stamp: str | None = None) -> Iterator[tuple]:
    """Entries as the cache keeps them, with the lines they were written at and (when they have none)
    ``stamp`` as their recorded_at (cheaper than building new Observations: a big ``record --file``
    appends 100,000 of them), one at a time."""
    for e, line in zip(entries, lines):
        head = e[:_LINE] if e[_RECORDED] or stamp is None else e[:_RECORDED] + (stamp,) + e[_RECORDED + 1:_LINE]
        status = e[_STATUS]
        yield head + (line,) if status is None else head + (line, status)


_LINE = Observation._fields.index("line")
_RECORDED = Observation._fields.index("recorded_at")
assert _LINE == STORED - 1
