"""The cache of the parsed store (SPEC §2.2): ``.observations.cache.json`` beside it, never the source of
truth. One JSON document laid out so that its parts can be read, and rows appended, as bytes:

    {"head":{"v":3,"key":{...},"verdict":...,"canonical":true,"current":[bytes, blake2b],"rows":[...]},
    "current":[<entry in force>,...],
    "rows":[<entry>,<entry>,...]}

``key`` is the store's size, mtime, inode and BLAKE2 hash: the cache describes that store and no other.
The head announces the size and BLAKE2 hash of each part: a cache of any other size is not read at all
(a FIFO, a huge junk file), and a part whose bytes do not hash to what the head says (a hand edit, a
damaged disk) is not believed: the store is parsed instead. An entry is the first ``STORED`` fields of
an ``Observation`` as a JSON array, then its ``obs_status`` when it has one.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

from admtrack.model import Observation
from admtrack.store.fs import NotRegular, atomic_write

VERSION = 4
STORED = 10  # state … line: the fields of an Observation the store knows (and obs_status, when set)
_TAIL = [Observation._field_defaults[f] for f in Observation._fields[STORED:]]
_STATUS = Observation._fields.index("obs_status")
_LAYER = Observation._field_defaults["layer"]
_RELEASED = Observation._field_defaults["released"]
_new = tuple.__new__

_HEAD = b'{"head":'
_CURRENT = b',\n"current":'
_ROWS = b',\n"rows":'
_END = b"}\n"
_MAX_HEAD = 1 << 16

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


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


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


class View:
    """A cache that describes the store as it is now."""

    def __init__(self, cache: Cache, head: dict, st: os.stat_result, current: bytes) -> None:
        self.cache = cache
        self.head = head
        self._st = st
        self._current = current

    @property
    def verdict(self) -> str | None:
        v = self.head.get("verdict")
        return v if isinstance(v, str) else None

    @property
    def canonical(self) -> bool:
        return self.head.get("canonical") is True

    def current(self) -> list[Observation] | None:
        return _decode(self._current)

    def rows_part(self) -> Rows | None:
        """The rows part, checked against its hash; None if the cache changed or does not match."""
        n, want = self.head["rows"]
        start = self._st.st_size - len(_END) - n
        try:
            fd = os.open(self.cache.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if (st.st_ino, st.st_size, st.st_mtime_ns) != (self._st.st_ino, self._st.st_size, self._st.st_mtime_ns):
                return None
            os.lseek(fd, start, os.SEEK_SET)
            chunks, left = [], n
            while left > 0:
                chunk = os.read(fd, min(left, 1 << 24))
                if not chunk:
                    return None
                chunks.append(chunk)
                left -= len(chunk)
        except OSError:
            return None
        finally:
            os.close(fd)
        data = b"".join(chunks)
        if not (data.startswith(b"[") and data.endswith(b"]")):
            return None
        rows = Rows([memoryview(data)[:-1]], empty=data == b"[]", data=data)
        return rows if rows.digest() == want else None

    def rows(self) -> list[Observation] | None:
        part = self.rows_part()
        return None if part is None or part.data is None else _decode(part.data)


class Rows:
    """The rows part of a cache as bytes (a JSON array), kept open (without its closing bracket) so that
    entries can be appended, and hashed as it grows, without copying or hashing it again."""

    def __init__(self, parts: list, *, empty: bool, data: bytes | None = None, hasher=None) -> None:
        self.parts = parts
        self.empty = empty
        self.data = data  # the whole part, when it was read as one
        if hasher is None:
            hasher = hashlib.blake2b(digest_size=20)
            for p in parts:
                hasher.update(p)
        self.hasher = hasher

    @classmethod
    def of(cls, rows) -> Rows:
        data = encode(rows)
        return cls([memoryview(data)[:-1]], empty=not rows, data=data)

    def extended(self, new: Iterable, *, size: int = 4096) -> Rows:
        """These rows and then ``new`` (Observations, or tuples from ``numbered``), encoded ``size`` at a
        time (a million new entries are never one string)."""
        add: list = []
        empty = self.empty
        it = iter(new)
        while True:
            batch = list(islice(it, size))
            if not batch:
                break
            if not empty:
                add.append(b",")
            add.append(memoryview(encode(batch))[1:-1])
            empty = False
        if not add:
            return self
        hasher = self.hasher.copy()
        for p in add:
            hasher.update(p)
        return Rows(self.parts + add, empty=False, hasher=hasher)

    def size(self) -> int:
        return sum(len(p) for p in self.parts) + 1

    def digest(self) -> str:
        h = self.hasher.copy()
        h.update(b"]")
        return h.hexdigest()


class Cache:
    def __init__(self, path: Path) -> None:
        self.path = path

    def get(self, key: dict) -> View | None:
        """The cache if it describes the store whose key is ``key`` and its parts are intact; else None."""
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            return None
        try:
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
            (n_cur, cur_hash), (n_rows, _) = head["current"], head["rows"]
            if not all(type(x) is int and x >= 0 for x in (n_cur, n_rows)):
                return None
            head_len = end - 1  # the head line without ",\n"
            if st.st_size != head_len + len(_CURRENT) + n_cur + len(_ROWS) + n_rows + len(_END):
                return None
            os.lseek(fd, head_len + len(_CURRENT), os.SEEK_SET)
            current = os.read(fd, n_cur)
            if len(current) != n_cur or digest(current) != cur_hash:
                return None
            return View(self, head, st, current)
        except (OSError, ValueError, TypeError, KeyError, RecursionError):
            return None
        finally:
            os.close(fd)

    def put(self, key: dict, *, verdict: str | None, canonical: bool, current: list, rows: Rows) -> None:
        """Write the cache. Never fails a command: a cache is an optimisation."""
        cur = encode(current)
        head = {"v": VERSION, "key": key, "verdict": verdict, "canonical": canonical,
                "current": [len(cur), digest(cur)], "rows": [rows.size(), rows.digest()]}
        data = [_HEAD, json.dumps(head, separators=(",", ":")).encode("ascii"), _CURRENT, cur, _ROWS,
                *rows.parts, b"]", _END]
        try:
            atomic_write(self.path, data, durable=False)
        except OSError:
            pass


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
