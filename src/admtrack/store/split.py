"""A cold read of a big store on two processors (issue 13: a million entries with no index yet).

The text is cut in two at an entry's header just past its middle. A child process (``os.fork``: it
shares the parent's text and plan, nothing is copied) reads the second half — the fast reader, the
caller's checks of every entry, the entries in force per indicator — and writes its pieces of the index
(encoded and hashed, as ``cache`` writes them) into a scratch file, while the parent does the same with
the first half and a thread of the parent hashes the store. The parent then joins the two: an indicator
found in both halves gets the child's entries over its own (they come later in the file); the child's
other pieces are copied into the index by the kernel, never decoded.

Anything the child cannot vouch for — a store not in admtrack's own layout, an entry the checks refuse,
a child that fails or is killed, no process or no room to be had — and the caller reads the whole store
in one process, as it reads a small one, so that every message is the one a one-process read gives.
Only Linux with two processors or more, a store of ``MIN_SIZE`` bytes or more, and a process with no
other thread (forking one is not safe) take this path.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from admtrack.errors import AdmError
from admtrack.model import Key, Observation
from admtrack.store import cache
from admtrack.store.codec import HEADER_TEXT, read_range
from admtrack.store.fs import _write_all

#: a smaller store is read in one process (forking costs little, but a second process is not free)
MIN_SIZE = 32 << 20

#: the parent's share of the text (the child also counts the lines before its half)
SHARE = 0.51

Vouch = Callable[[list[Observation]], "str | None"] | None
Hashing = tuple[list[bytes], Any]  # the store's bytes, alone in a list; a hashlib object


def worth(size: int) -> bool:
    """Whether a store of ``size`` characters is read in two halves here."""
    if size < MIN_SIZE or sys.platform != "linux" or not hasattr(os, "memfd_create"):
        return False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores >= 2 and threading.active_count() == 1


class Scratch:
    """A file of index pieces that no one else sees: unnamed, in the data folder (its pages are the
    kernel's to write out, not this process's memory), else in memory; the pieces are copied from it
    into the index by the kernel."""

    def __init__(self, folder: Path) -> None:
        try:
            self.fd = os.open(folder, os.O_TMPFILE | os.O_RDWR | os.O_CLOEXEC, 0o600)
        except (OSError, AttributeError):  # a file system without unnamed files, a read-only folder
            self.fd = os.memfd_create("admtrack-index", os.MFD_CLOEXEC)
        self.end = 0

    def add(self, piece: cache.Piece) -> cache.Piece:
        """``piece`` (its bytes) written at the end; the piece as it is now, in this file."""
        _write_all(self.fd, piece.data)
        self.end += piece.size
        return piece._replace(data=None, src=self.fd, offset=self.end - piece.size)

    def close(self) -> None:
        os.close(self.fd)


class Halves:
    """The two halves of a store, read: the first half's entries and its entries in force per indicator
    (the child's joined in, for an indicator found in both, as the index is written), the pieces of each
    half (in a ``Scratch`` each), the verdict of the caller's checks and how many newlines the store
    holds. A context manager: leaving it closes the scratch files."""

    def __init__(self, own: list[Observation], parts: dict[str, dict[Key, Observation]],
                 mine: tuple[dict[str, cache.Piece], list[cache.Piece]], scratch: tuple[Scratch, Scratch],
                 manifest: dict[str, Any], verdict: str | None) -> None:
        self.own = own
        self.parts = parts
        self.mine, self.my_segments = mine
        self.scratch = scratch
        self.verdict = verdict
        self.lines: int = manifest["lines"]  # (the child counted them)
        fd = scratch[1].fd
        self.theirs = {ind: cache.Piece(size, h, src=fd, offset=off) for ind, off, size, h in manifest["current"]}
        self.their_segments = [cache.Piece(size, h, src=fd, offset=off) for off, size, h in manifest["rows"]]

    def __enter__(self) -> Halves:
        return self

    def __exit__(self, *exc: object) -> None:
        for scratch in self.scratch:
            scratch.close()

    def current(self) -> Iterator[tuple[str, cache.Piece]]:
        """The index's piece for each indicator, in the order the indicators first appear in the store."""
        for ind, part in self.parts.items():
            theirs = self.theirs.get(ind)
            if theirs is None:
                yield ind, self.mine[ind]
                continue
            part.update(((o.state, ind, o.year), o) for o in _decode(theirs))
            yield ind, cache.Piece.of(cache.encode(part.values()))
        yield from ((ind, p) for ind, p in self.theirs.items() if ind not in self.parts)

    def segments(self) -> list[cache.Piece]:
        """The index's row segments: the first half's, then the child's."""
        return self.my_segments + self.their_segments

    def complete(self) -> tuple[list[Observation], dict[str, dict[Key, Observation]]]:
        """Every entry and the entries in force per indicator, decoded (when no index could be written)."""
        parts = self.parts
        for ind, piece in self.theirs.items():
            part = parts.setdefault(ind, {})
            part.update(((o.state, ind, o.year), o) for o in _decode(piece))
        rows = list(self.own)
        for seg in self.their_segments:
            rows += _decode(seg)
        return rows, parts


def _decode(piece: cache.Piece) -> list[Observation]:
    rows = cache._decode(os.pread(piece.src, piece.size, piece.offset))  # type: ignore[arg-type]
    if rows is None:  # encoded a moment ago by the child: this cannot be
        raise OSError("the second half of the store came back damaged")
    return rows


def read(text: str, vouch: Vouch, folder: Path, *, hashing: Hashing | None = None) -> Halves | None:
    """The store's text read in two halves at once, or None: the caller reads it in one process (also
    when a process, a pipe or a scratch file cannot be had, or the disk is full). ``folder``: where the
    scratch files go (the data folder); ``hashing``: the store's bytes (alone in a list) and a hasher —
    once the child is forked, a thread of the parent feeds the bytes to the hasher (hashlib lets go of
    the interpreter meanwhile) and lets go of them, and the child lets go of them at once; the list is
    left holding them if that did not happen."""
    mid = text.find("\n" + HEADER_TEXT, int(len(text) * SHARE)) + 1
    if mid <= 0:
        return None
    scratch: list[Scratch] = []
    halves = None
    try:
        scratch.append(Scratch(folder))
        scratch.append(Scratch(folder))
        halves = _fork(text, mid, vouch, scratch[0], scratch[1], hashing)
    except OSError:
        pass
    finally:
        if halves is None:
            for file in scratch:
                file.close()
    return halves


def _fork(text: str, mid: int, vouch: Vouch, mine: Scratch, theirs: Scratch, hashing: Hashing | None,
          ) -> Halves | None:
    r, w = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(r)
        os.close(w)
        raise
    if pid == 0:  # the child: the second half, then straight out (no atexit, no flushing of the parent's buffers)
        code = 1
        try:
            if hashing is not None:
                hashing[0].clear()
            os.close(r)
            _write_all(w, _second_half(text, mid, vouch, theirs))
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    thread = None
    if hashing is not None:
        held, hasher = hashing
        thread = threading.Thread(target=lambda: hasher.update(held.pop()))
    try:
        if thread is not None:  # (never before the fork: a process with threads is not safely forked)
            thread.start()
        own = _first_half(text, mid, vouch)
        if own is None:
            return None
        rows, verdict, parts = own
        # the first half's pieces, encoded while the child works (an indicator also in the second half is
        # encoded again once joined)
        pieces = {ind: mine.add(cache.Piece.of(cache.encode(part.values()))) for ind, part in parts.items()}
        segments = list(map(mine.add, cache.segments(rows)))
        got = _read_all(r)
        _, status = os.waitpid(pid, 0)
        pid = 0
        if status != 0 or not got:
            return None
        return Halves(rows, parts, (pieces, segments), (mine, theirs), json.loads(got), verdict)
    finally:
        if thread is not None and thread.ident is not None:
            thread.join()
        os.close(r)
        if pid:  # (the child is killed when the parent gives up on the halves, or is interrupted)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def _first_half(text: str, mid: int, vouch: Vouch) -> tuple[list[Observation], str | None, dict] | None:
    got = read_range(text, 0, mid)
    if got is None:
        return None
    rows = got[0]
    try:
        verdict = vouch(rows) if vouch is not None else None
    except AdmError:  # the one-process read says which entry, and how many more
        return None
    return rows, verdict, cache.by_indicator(rows)


def _second_half(text: str, mid: int, vouch: Vouch, out: Scratch) -> bytes:
    """The child's work: its pieces written to ``out``, and where each is (JSON) for the parent."""
    got = read_range(text, mid)
    if got is None:
        raise ValueError("not in admtrack's own layout")
    rows, lines = got
    if vouch is not None:
        vouch(rows)

    def put(piece: cache.Piece) -> list[Any]:
        p = out.add(piece)
        return [p.offset, p.size, p.hash]

    current = [[ind, *put(cache.Piece.of(cache.encode(part.values())))]
               for ind, part in cache.by_indicator(rows).items()]
    segments = list(map(put, cache.segments(rows)))
    return json.dumps({"current": current, "rows": segments, "lines": lines}).encode("ascii")


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)
