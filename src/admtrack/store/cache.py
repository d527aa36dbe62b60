"""The cache of the parsed store (SPEC §2.2): ``.observations.cache.json`` beside it, never the source of
truth. One JSON document laid out so that its parts can be read, and rows appended, as bytes:

    {"head":{"v":3,"key":{...},"verdict":...,"canonical":true,"current":[bytes, blake2b],"rows":[...]},
    "current":[<entry in force>,...],
    "rows":[<entry>,<entry>,...]}

``key`` is the store's size, mtime, inode and BLAKE2 hash: the cache describes that store and no other.
The head announces the size and BLAKE2 hash of each part: a cache of any other size is not read at all
(a FIFO, a huge junk file), and a part whose bytes do not hash to what the head says (a hand edit, a
damaged disk) is not believed: the store is parsed instead. An entry is the first ``STORED`` fields of
an ``Observation`` as a JSON array.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

from admtrack.model import Observation
from admtrack.store.fs import NotRegular, atomic_write

VERSION = 3
STORED = 10  # state … line: the fields of an Observation the store knows
_TAIL = [Observation._field_defaults[f] for f in Observation._fields[STORED:]]
_new = tuple.__new__

_HEAD = b'{"head":'
_CURRENT = b',\n"current":'
_ROWS = b',\n"rows":'
_END = b"}\n"
_MAX_HEAD = 1 << 16

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode(rows) -> bytes:
    """A JSON array of entries, each the first STORED fields of an Observation."""
    return _ENCODER.encode([o[:STORED] for o in rows]).encode("utf-8")


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def _decode(data: bytes) -> list[Observation] | None:
    try:
        rows = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if type(rows) is not list or not all(type(r) is list and len(r) == STORED for r in rows):
        return None
    tail = _TAIL
    return [_new(Observation, r + tail) for r in rows]


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

    def rows_bytes(self) -> bytes | None:
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
        return data if digest(data) == want else None

    def rows(self) -> list[Observation] | None:
        data = self.rows_bytes()
        return None if data is None else _decode(data)


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

    def put(self, key: dict, *, verdict: str | None, canonical: bool, current: list[Observation],
            rows: bytes) -> None:
        """Write the cache (``rows`` already encoded). Never fails a command: a cache is an optimisation."""
        cur = encode(current)
        head = {"v": VERSION, "key": key, "verdict": verdict, "canonical": canonical,
                "current": [len(cur), digest(cur)], "rows": [len(rows), digest(rows)]}
        data = b"".join((_HEAD, json.dumps(head, separators=(",", ":")).encode("ascii"),
                         _CURRENT, cur, _ROWS, rows, _END))
        try:
            atomic_write(self.path, data, durable=False)
        except OSError:
            pass


def extend(rows: bytes, new: list[Observation]) -> bytes:
    """The encoded rows with ``new`` appended, without decoding what is there."""
    added = encode(new)
    if rows == b"[]":
        return added
    return rows[:-1] + b"," + added[1:]
