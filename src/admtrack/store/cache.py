"""The index of the parsed store (SPEC §2.2), never the source of truth: two hidden files beside it.

``.observations.cache.data.json`` holds pieces, each a JSON array of entries, in one JSON array:
the entries in force of each indicator (so that ``status`` decodes the few indicators it reports on, not
a million rows), and the rows in file order in segments (so that ``history`` and ``export`` need not
parse the store). Pieces are never changed: a writer (under the store's lock) adds new pieces after the
last one it knows of, in place, and pieces no longer listed are garbage until the next full rewrite.

``.observations.cache.json`` says which pieces make up the index, and of which store:

    {"head":{"v":9,"key":{...},"verdict":...,"canonical":true,"index":[bytes, sha256]},
    "index":{"data":[dev, inode, end, garbage],"current":{"<indicator>":[offset, bytes, sha256],...},
             "rows":[[offset, bytes, sha256],...]}}

``key`` is the store's size, mtime, inode and SHA-256 hash: the index describes that store and no other.
It is written atomically after the pieces it lists. The head announces the size and hash of the index
part; a file of any other size is not read at all (a FIFO, a huge junk file). A data file of another
inode, or a piece whose bytes do not hash to what the index says (a hand edit, a damaged disk, a race
with another writer) is not believed: the store is parsed instead. An entry is every field of an
``Observation``, as a JSON array (a namedtuple is encoded and decoded whole, in C).

Why JSON pieces and not SQLite: see bench/index_options.py and the README's Performance section.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
import weakref
from collections.abc import Iterable, Iterator, Mapping
from itertools import chain, islice
from pathlib import Path
from typing import Any, NamedTuple

from admtrack.model import Key, Observation
from admtrack.store.fs import Copy, NotRegular, atomic_write

VERSION = 9
SEGMENT = 1 << 22  # rows are encoded in segments of about this many bytes
MERGE_BELOW = 1 << 16  # a last segment smaller than this takes the next rows (and becomes garbage)

_HEAD = b'{"head":'
_INDEX = b',\n"index":'
_END = b"}\n"
_MAX_HEAD = 1 << 16
_MAX_INDEX = 1 << 26
_O_READ = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)

def data_path(path: Path) -> Path:
    """The pieces' file beside the index ``path``."""
    return path.with_name(path.name.removesuffix(".json") + ".data.json")


def encode(rows) -> bytes:
    """A JSON array of entries (Observations, or plain tuples of their fields), each every field as it is.
    msgspec writes the same bytes as ``json`` (compact, UTF-8) in an eighth of the time (bench/index_options.py)."""
    import msgspec.json

    return msgspec.json.encode(rows if type(rows) is list else list(rows))


def digest(data) -> str:
    return hashlib.sha256(data).hexdigest()


@functools.cache
def _decoder():
    import msgspec.json

    return msgspec.json.Decoder(list[Observation])


def _decode(data: bytes) -> list[Observation] | None:
    """The entries of a piece, every field of the type ``Observation`` declares (checked in C), or None."""
    import msgspec

    try:
        return _decoder().decode(data)
    except (msgspec.DecodeError, RecursionError):
        return None


class Piece(NamedTuple):
    """A piece of the index: its bytes (new), or where they are in the data file (``src``, a descriptor
    kept open, so that the bytes read are those of the file the index names), and their size and hash."""

    size: int
    hash: str
    data: bytes | None = None
    src: int | None = None
    offset: int = 0

    @classmethod
    def of(cls, data: bytes) -> Piece:
        return cls(len(data), digest(data), data)

    def chunk(self):
        return self.data if self.data is not None else Copy(self.src, self.offset, self.size)  # type: ignore[arg-type,unused-ignore]


class View:
    """An index that describes the store as it is now; its pieces are read (and checked) when asked for."""

    def __init__(self, path: Path, main: os.stat_result, fd: int, data: list, current: dict[str, Piece],
                 rows: list[Piece], head: dict) -> None:
        self.path = path
        self.main = (main.st_dev, main.st_ino)
        self.fd = fd  # the data file
        self.data = data  # [dev, inode, end, garbage]
        self.head = head
        self.pieces = current
        self.segments = rows
        self._close = weakref.finalize(self, os.close, fd)

    def close(self) -> None:
        self._close()

    def discard(self) -> None:
        """Remove the index, if it is still this one (a damaged index is built again, not kept)."""
        try:
            there = os.stat(self.path, follow_symlinks=False)
            if (there.st_dev, there.st_ino) == self.main:
                os.unlink(self.path)
        except OSError:
            pass

    @property
    def verdict(self) -> str | None:
        v = self.head.get("verdict")
        return v if isinstance(v, str) else None

    @property
    def canonical(self) -> bool:
        return self.head.get("canonical") is True

    @property
    def lines(self) -> int | None:
        """How many newlines the store holds."""
        n = self.head.get("lines")
        return n if type(n) is int and n >= 0 else None

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

    def rows(self, first: int = 0) -> list[Observation] | None:
        """The rows, from segment ``first`` on; None if a segment is damaged."""
        out: list[Observation] = []
        for seg in self.each_segment(first):
            if seg is None:
                return None
            out += seg
        return out

    def each_segment(self, first: int = 0) -> Iterator[list[Observation] | None]:
        """The rows a segment at a time (None for a damaged one, and then no more)."""
        for seg in self.segments[first:]:
            data = self.read(seg)
            rows = None if data is None else _decode(data)
            yield rows
            if rows is None:
                return


def _piece(item, end: int, fd: int) -> Piece | None:
    off, size, h = item
    if not (type(off) is int and type(size) is int and off >= 1 and size >= 2 and off + size <= end
            and isinstance(h, str)):
        return None
    return Piece(size, h, src=fd, offset=off)


class Cache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.data_path = data_path(path)

    def get(self, key: dict) -> View | None:
        """The index if it describes the store whose key is ``key`` and its layout adds up; else None.
        (Each piece is checked against its hash when it is read.)"""
        try:
            fd = os.open(self.path, _O_READ)
        except OSError:
            return None
        try:
            return self._view(fd, key)
        except (OSError, ValueError, TypeError, KeyError, RecursionError, AttributeError):
            return None
        finally:
            os.close(fd)

    def names(self, st: os.stat_result) -> bool:
        """Whether the index's head names a store of ``st``'s size, mtime and inode (then the store is
        hashed, and the hash decides); if not, the store must be parsed whatever its hash."""
        try:
            fd = os.open(self.path, _O_READ)
        except OSError:
            return False
        try:
            got = self._head(fd)
        except (OSError, ValueError, TypeError, KeyError, RecursionError, AttributeError):
            return False
        finally:
            os.close(fd)
        if got is None:
            return False
        key = got[0].get("key")
        return isinstance(key, dict) and [key.get("size"), key.get("mtime_ns"), key.get("ino")] == \
            [st.st_size, st.st_mtime_ns, st.st_ino]

    def _head(self, fd: int) -> tuple[dict, os.stat_result, int] | None:
        """The index's head (of this version), the index file's status, and where its head line ends."""
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegular
        first = os.read(fd, min(st.st_size, _MAX_HEAD))
        end = first.find(b"\n")
        if not first.startswith(_HEAD) or end < 0:
            return None
        head = json.loads(first[len(_HEAD):end - 1])
        if not (isinstance(head, dict) and head.get("v") == VERSION):
            return None
        return head, st, end

    def _view(self, fd: int, key: dict) -> View | None:
        got = self._head(fd)
        if got is None or got[0].get("key") != key:
            return None
        head, st, end = got
        n_index, index_hash = head["index"]
        at = end - 1 + len(_INDEX)  # the head line without ",\n"
        if not (type(n_index) is int and 0 < n_index <= _MAX_INDEX and st.st_size == at + n_index + len(_END)):
            return None
        data = os.pread(fd, n_index, at)
        if len(data) != n_index or digest(data) != index_hash:
            return None
        index = json.loads(data)
        dev, ino, stop, garbage = index["data"]
        dfd = os.open(self.data_path, _O_READ)
        try:
            dst = os.fstat(dfd)
            if not (stat.S_ISREG(dst.st_mode) and (dst.st_dev, dst.st_ino) == (dev, ino) and type(stop) is int
                    and 1 <= stop < dst.st_size and type(garbage) is int):
                raise ValueError
            current: dict[str, Piece] = {}
            for ind, item in index["current"].items():
                piece = _piece(item, stop, dfd)
                if piece is None or not isinstance(ind, str):
                    raise ValueError
                current[ind] = piece
            rows: list[Piece] = []
            for item in index["rows"]:
                piece = _piece(item, stop, dfd)
                if piece is None:
                    raise ValueError
                rows.append(piece)
        except BaseException:
            os.close(dfd)
            raise
        return View(self.path, st, dfd, [dev, ino, stop, garbage], current, rows, head)

    def put(self, key: dict, *, verdict: str | None, canonical: bool,
            current: Mapping[str, Piece] | Iterable[tuple[str, Piece]], rows: Iterable[Piece],
            onto: View | None = None, lines: int | None = None) -> bool:
        """Write the index: the new pieces after those of ``onto``'s data file, in place (a writer under
        the store's lock), or a new data file with every piece (``current`` and ``rows`` may then be
        iterators: each piece is written as it comes, never all held at once). Never fails a command: an
        index is an optimisation (False: it was not written)."""
        try:
            placed = None
            if onto is not None:
                current, rows = dict(current), list(rows)
                placed = self._append(onto, current, rows)
            if placed is None:
                placed = self._rewrite(current, rows)
            data, cur, segs = placed
            index = json.dumps({"data": data,
                                "current": {ind: [p.offset, p.size, p.hash] for ind, p in cur.items()},
                                "rows": [[p.offset, p.size, p.hash] for p in segs]},
                               separators=(",", ":")).encode("utf-8")
            head = {"v": VERSION, "key": key, "verdict": verdict, "canonical": canonical, "lines": lines,
                    "index": [len(index), digest(index)]}
            atomic_write(self.path, [_HEAD, json.dumps(head, separators=(",", ":")).encode("ascii"), _INDEX, index,
                                     _END], durable=False)
        except OSError:
            return False
        return True

    def _append(self, onto: View, current: Mapping[str, Piece], rows: list[Piece]):
        """Add the new pieces at the end of ``onto``'s data file (in place); None when a full rewrite is
        due (too much garbage, or the file is no longer the one ``onto`` read)."""
        pieces = [*current.values(), *rows]
        if any(p.data is None and p.src != onto.fd for p in pieces):
            return None
        dev, ino, end, garbage = onto.data
        live = sum(p.size for p in pieces if p.data is None)
        kept = {id(p) for p in pieces}
        dropped = sum(p.size + 1 for p in (*onto.pieces.values(), *onto.segments) if id(p) not in kept)
        garbage += dropped
        if garbage > max(1 << 20, live):
            return None
        new = [p for p in pieces if p.data is not None]
        if not new:
            return [dev, ino, end, garbage], dict(current), list(rows)
        fd = os.open(self.data_path, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
                     | getattr(os, "O_NONBLOCK", 0))
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) != (dev, ino) or st.st_size <= end:
                return None
            placed: dict[int, Piece] = {}
            pos = end
            chunks = []
            for p in new:
                sep = b"," if pos > 1 else b""
                chunks.append(sep + p.data)  # type: ignore[operator]
                placed[id(p)] = p._replace(data=None, src=onto.fd, offset=pos + len(sep))
                pos += len(sep) + p.size
            chunks.append(b"]\n")
            os.lseek(fd, end, os.SEEK_SET)
            for c in chunks:
                view = memoryview(c)
                while view:
                    view = view[os.write(fd, view):]
            os.ftruncate(fd, pos + 2)
        finally:
            os.close(fd)
        cur = {ind: placed.get(id(p), p) for ind, p in current.items()}
        segs = [placed.get(id(p), p) for p in rows]
        return [dev, ino, pos, garbage], cur, segs

    def _rewrite(self, current: Mapping[str, Piece] | Iterable[tuple[str, Piece]], rows: Iterable[Piece]):
        """A new data file holding every piece, written as the pieces come."""
        cur: dict[str, Piece] = {}
        segs: list[Piece] = []
        end = [1]

        def chunks():
            yield b"["
            pos = 1
            pairs = current.items() if isinstance(current, Mapping) else current
            for i, (ind, p) in enumerate(chain(pairs, ((None, p) for p in rows))):
                if i:
                    yield b","
                    pos += 1
                yield p.chunk()
                q = p._replace(data=None, src=None, offset=pos)
                if ind is None:
                    segs.append(q)
                else:
                    cur[ind] = q
                pos += p.size
            end[0] = pos
            yield b"]\n"

        atomic_write(self.data_path, chunks(), durable=False)
        st = os.stat(self.data_path)
        if st.st_size != end[0] + 2:
            raise OSError("the index's data file changed while it was written")
        return [st.st_dev, st.st_ino, end[0], 0], cur, segs


def current_pieces(by_indicator: Mapping[str, Mapping]) -> dict[str, Piece]:
    """The entries in force (Observations, or plain tuples of their fields), one piece per indicator."""
    return {ind: Piece.of(encode(entries.values())) for ind, entries in by_indicator.items() if entries}


def segments(rows: Iterable, *, size: int = 4096, start: bytes = b"") -> Iterator[Piece]:
    """Rows (Observations, or plain tuples of their fields) as segments (JSON arrays) of about SEGMENT bytes,
    encoded ``size`` at a time (a million entries are never one string); ``start``: a segment (its
    bytes) to go on from."""
    parts: list[bytes] = [start[1:-1]] if len(start) > 2 else []
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
            yield Piece.of(b"[" + b",".join(parts) + b"]")
            parts, n = [], 0
    if parts:
        yield Piece.of(b"[" + b",".join(parts) + b"]")


def by_indicator(rows: Iterable) -> dict[str, dict[Key, Any]]:
    """The last entry per (state, indicator, year), grouped by indicator. (One dict per indicator, filled
    row by row: faster at a million rows than one dict of every key grouped afterwards.)"""
    out: dict[str, dict[Key, Any]] = {}
    for o in rows:
        ind = o[1]
        part = out.get(ind)
        if part is None:
            part = out[ind] = {}
        part[(o[0], ind, o[2])] = o
    return out
