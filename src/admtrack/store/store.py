"""The observation store, ``observations.toml`` (SPEC §2.2): reading it (through its cache), and the
locked transaction that appends to it.

Append-only: an entry is never edited or removed. A writer holds an exclusive lock for the whole
read-decide-write, writes the old bytes plus the new entries to a temporary file beside the store,
fsyncs it, ``os.replace``s it over the store and fsyncs the folder, so that a crash leaves either the old
store or the new one. The store does not know the plan: the caller checks what it read and may tell the
store to remember that verdict in the cache.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import chain, groupby
from operator import itemgetter
from pathlib import Path
from typing import Any, Protocol, TypeVar

from admtrack.errors import AdmError, Problem
from admtrack.model import Key, Observation
from admtrack.store import cache as cache_mod
from admtrack.store import split
from admtrack.store.codec import HEADER, decode, parse_store, parse_text, serialise_batches
from admtrack.store.fs import (
    NotRegular,
    Source,
    atomic_write,
    open_regular,
    os_problem,
    remove_stale_temporaries,
    write_target,
)

STORE_NAME = "observations.toml"
LOCK_NAME = ".observations.lock"
CACHE_NAME = ".observations.cache.json"
LOCK_TIMEOUT = 10.0


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class Loaded:
    """The parsed store. Nothing is decoded until asked for: the entries in force of the indicators a
    command needs (``current_for``, ``in_force``) are read from the index one indicator at a time; every
    entry (history, a full export, a first check against a plan) is read from the index or parsed only
    when asked for."""

    __slots__ = ("key", "verdict", "canonical", "lines", "_rows", "_current", "_parts", "_complete", "_view",
                 "_more")

    def __init__(self, *, key: dict | None = None, verdict: str | None = None, canonical: bool = True,
                 rows: list[Observation] | None = None, current: dict[Key, Observation] | None = None,
                 more: Callable[[], list[Observation]] | None = None, view: cache_mod.View | None = None) -> None:
        self.key = key  # the store's size, mtime, inode and hash (None: no store yet)
        #: what the caller said of every entry, remembered with the cache (``Store.remember``)
        self.verdict = verdict
        self.canonical = canonical  # in admtrack's own layout (else appending is checked with tomllib)
        self.lines: int | None = None  # how many newlines the store holds (where appended entries start)
        self._rows = rows
        self._current = current
        self._parts: dict[str, dict] = {}  # the entries in force, per indicator, as far as read
        self._complete = False  # ``_parts`` holds every indicator
        self._view = view
        self._more = more

    @property
    def rows(self) -> list[Observation]:
        """Every entry, in file order."""
        if self._rows is None:
            assert self._more is not None
            self._rows = self._more()
        return self._rows

    def each_row(self, keep: Callable[[Observation], bool]) -> list[Observation]:
        """The entries ``keep`` keeps, in file order, read a segment of the index at a time when the rows
        are not at hand (history of one series at a million rows: no list of every entry)."""
        if self._rows is None and self._view is not None:
            out: list[Observation] = []
            for seg in self._view.each_segment():
                if seg is None:  # damaged: the rows decide
                    break
                out += filter(keep, seg)
            else:
                return out
        return list(filter(keep, self.rows))

    @property
    def current(self) -> dict[Key, Observation]:
        """The entry in force for each (state, indicator, year): the last one, retractions included."""
        if self._current is None:
            # from the rows when they are at hand (one copy of each entry), else from the index's pieces
            if not self._complete and self._view is not None and self._rows is None:
                parts = self._view.current()
                if parts is not None:
                    self._parts, self._complete = parts, True
                else:
                    self._damaged()
            if self._complete:
                self._current = {}
                for part in self._parts.values():
                    self._current.update(part)
            else:
                self._current = {(o.state, o.indicator, o.year): o for o in self.rows}
        return self._current

    def part(self, indicator: str) -> dict[Key, Observation]:
        """The entries in force of one indicator."""
        got = self._parts.get(indicator)
        if got is not None:
            return got
        if self._complete:
            return {}
        if self._view is not None and self._current is None:
            parts = self._view.current([indicator])
            if parts is not None:
                self._parts[indicator] = got = parts[indicator]
                return got
            self._damaged()
        self._parts = cache_mod.by_indicator(self.current.values())
        self._complete = True
        return self._parts.get(indicator, {})

    def _damaged(self) -> None:
        """A piece of the index does not hash to what it says: the rows decide, and the index goes (the
        next command builds it again)."""
        view, self._view = self._view, None
        if view is not None:
            view.discard()

    def current_for(self, indicators: Iterable[str]) -> dict[Key, Observation]:
        """The entries in force of ``indicators`` only (status reads a few indicators of a million rows)."""
        out: dict[Key, Observation] = {}
        for ind in indicators:
            out.update(self.part(ind))
        return out

    def in_force(self, key: Key) -> Observation | None:
        if self._current is not None:
            return self._current.get(key)
        return self.part(key[1]).get(key)


class Decided(Protocol):
    """What a transaction's ``decide`` returns: at least the entries to append."""

    @property
    def append(self) -> Sequence[Observation]: ...


D = TypeVar("D", bound=Decided)


class Store:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / STORE_NAME
        self.lock_path = folder / LOCK_NAME
        self.cache = cache_mod.Cache(folder / CACHE_NAME)

    # reading ------------------------------------------------------------------------------------
    def load(self, vouch: Callable[[list[Observation]], str | None] | None = None) -> Loaded:
        """The store, parsed (a missing store is empty; one that does not parse raises AdmError).
        ``vouch``: when the store has to be parsed, the caller's checks of every entry (raising on a
        problem), returning the verdict to keep with the index (written once, with it)."""
        loaded, src, _ = self._load(vouch)
        if src is not None:
            src.close()
        return loaded

    def _load(self, vouch: Callable[[list[Observation]], str | None] | None = None,
              ) -> tuple[Loaded, Source | None, hashlib._Hash]:
        """The store (through its index when that describes it), the open store file (None: there is
        none yet) and its hash."""
        hasher = hashlib.sha256()
        src, raw = self._open(hasher, whole=True)
        if src is None:
            return Loaded(rows=[], current={}), None, hasher
        if raw is None:
            key = _key(src.st, hasher)
            view = self.cache.get(key)
            if view is not None:
                return self._indexed(view, key), src, hasher
        try:
            if raw is None:
                text = decode(src.read(), self.path)
            else:  # hashed by a thread of the parent while the halves are read (see split.read)
                text = decode(raw, self.path)
                held = [raw]
                del raw
                halves = split.read(text, vouch, self.folder, hashing=(held, hasher)) \
                    if split.worth(len(text)) else None
                if held:  # (not read in halves)
                    hasher.update(held.pop())
                if halves is not None:
                    del text
                    return self._from_halves(halves, _key(src.st, hasher)), src, hasher
            key = _key(src.st, hasher)
            parsed = parse_text(text, self.path)
            del text
            verdict = vouch(parsed.rows) if vouch is not None else None  # no index for a store that fails
        except BaseException:
            src.close()
            raise
        loaded = Loaded(key=key, verdict=verdict, canonical=parsed.canonical, rows=parsed.rows)
        loaded.lines = parsed.lines
        loaded._parts = parts = cache_mod.by_indicator(parsed.rows)
        loaded._complete = True
        # the index's pieces are encoded and written one at a time (a million entries are ~250 MB of
        # JSON), then read back as a view for a writer that appends next; without one, it re-encodes
        written = self.cache.put(key, verdict=verdict, canonical=parsed.canonical,
                                 current=((ind, cache_mod.Piece.of(cache_mod.encode(part.values())))
                                          for ind, part in parts.items() if part),
                                 rows=cache_mod.segments(parsed.rows), lines=loaded.lines)
        loaded._view = self.cache.get(key) if written else None
        return loaded, src, hasher

    def _indexed(self, view: cache_mod.View, key: dict, head: tuple[list[Observation], int] = ([], 0)) -> Loaded:
        """The store as its index describes it (nothing decoded yet); ``head``: its first rows, already at
        hand, and how many segments of the index hold them."""
        def more() -> list[Observation]:
            rows = view.rows(head[1])
            if rows is None:  # a damaged segment
                loaded._damaged()
                return self._parse_again(key)
            return head[0] + rows

        loaded = Loaded(key=key, verdict=view.verdict, canonical=view.canonical, more=more, view=view)
        loaded.lines = view.lines
        return loaded

    def _from_halves(self, halves: split.Halves, key: dict) -> Loaded:
        """A store read in two halves (``split``): its index written, then read as any index is."""
        with halves:
            written = self.cache.put(key, verdict=halves.verdict, canonical=True, current=halves.current(),
                                     rows=halves.segments(), lines=halves.lines)
            view = self.cache.get(key) if written else None
            if view is not None:
                loaded = self._indexed(view, key, (halves.own, len(halves.my_segments)))
                loaded._parts = halves.parts  # every entry in force of the indicators of the first half
                return loaded
            rows, parts = halves.complete()
        loaded = Loaded(key=key, verdict=halves.verdict, canonical=True, rows=rows)
        loaded.lines = halves.lines
        loaded._parts, loaded._complete = parts, True
        return loaded

    def every_problem(self) -> tuple[list[Observation], list[Problem]]:
        """The entries that are right and a problem for each one that is wrong (``admtrack check``);
        AdmError when the file cannot be read or does not parse as TOML at all."""
        hasher = hashlib.sha256()
        src = self._read(hasher)
        if src is None:
            return [], []
        problems: list[Problem] = []
        try:
            return parse_store(src.read(), self.path, problems=problems).rows, problems
        finally:
            src.close()

    def _parse_again(self, key: dict) -> list[Observation]:
        """The rows, when the index's turn out damaged: parse the store (still the one ``key`` names)."""
        hasher = hashlib.sha256()
        src = self._read(hasher)
        try:
            if src is None or _key(src.st, hasher) != key:
                raise AdmError(Problem(str(self.path), None, None, "changed while it was being read; run the "
                                                                   "command again"))
            return parse_store(src.read(), self.path).rows
        finally:
            if src is not None:
                src.close()

    def _read(self, hasher) -> Source | None:
        """The store, open, and hashed into ``hasher`` (its bytes are not kept)."""
        return self._open(hasher)[0]

    def _open(self, hasher, *, whole: bool = False) -> tuple[Source | None, bytes | None]:
        """The store, open and hashed into ``hasher``; with ``whole``, its bytes instead, not hashed yet,
        when it will surely be parsed in halves (big, and no index names it): one read serves the hash and
        the parse."""
        raw = None
        try:
            src = open_regular(self.path)
            if src is not None:
                if whole and split.worth(src.size) and not self.cache.names(src.st):
                    raw = src.read()
                else:
                    src.hash(hasher)
        except OSError as exc:
            raise os_problem(self.path, exc, "cannot read") from None
        if src is None:
            self._refuse_dangling_link()
        return src, raw

    def _refuse_dangling_link(self) -> None:
        if self.path.is_symlink() and not self.path.exists():
            raise AdmError(Problem(str(self.path), None, None,
                                   f"is a symbolic link to {os.readlink(self.path)}, which does not exist "
                                   "(is its drive mounted?); fix the link or remove it"))

    @staticmethod
    def _pieces(loaded: Loaded, new: Sequence[tuple] = ()) -> tuple[dict[str, cache_mod.Piece], list[cache_mod.Piece]]:
        """The index's pieces for what ``loaded`` holds and then ``new`` (entries as written: stamped and
        numbered): the pieces of an intact index are copied as they are; only the indicators ``new``
        touches are encoded again, and ``new`` goes into the last row segment (read back and checked) or
        new ones."""
        view = loaded._view
        if view is not None:  # still intact (a damaged piece would have set it to None)
            current, segs = dict(view.pieces), list(view.segments)
            read = view.read
        else:
            parts = cache_mod.by_indicator(loaded.current.values())
            current, segs = cache_mod.current_pieces(parts), list(cache_mod.segments(loaded.rows))
            read = lambda piece: piece.data  # noqa: E731
        start = b""
        if new and segs and segs[-1].size < cache_mod.MERGE_BELOW:
            last = read(segs[-1])
            if last is None:  # damaged: build the index again from the rows (parsed, if need be)
                loaded._view = None
                return Store._pieces(loaded, new)
            start = last
            segs.pop()
        # the entries in force of each indicator ``new`` touches (runs of one indicator, in C)
        changed: dict[str, list[tuple]] = {}
        for ind, run in groupby(new, _INDICATOR):
            have = changed.get(ind)
            if have is None:
                changed[ind] = list(run)
            else:
                have.extend(run)
        for ind, entries in changed.items():
            part: dict[Key, Any] = dict(loaded.part(ind))
            part.update(zip(map(_KEY, entries), entries))
            current[ind] = cache_mod.Piece.of(cache_mod.encode(list(part.values())))
        del changed
        if new:
            segs += cache_mod.segments(new, start=start)
        return current, segs

    def remember(self, loaded: Loaded, verdict: str) -> None:
        """Keep ``verdict`` (what the caller found true of every entry) with the cache, if the store is
        still the one ``loaded`` was read from."""
        if loaded.key is None or loaded.verdict == verdict:
            return
        try:
            st = os.stat(self.path)
        except OSError:
            return
        key = loaded.key
        if (st.st_size, st.st_mtime_ns, st.st_ino) != (key["size"], key["mtime_ns"], key["ino"]):
            return
        current, segs = self._pieces(loaded)
        self.cache.put(key, verdict=verdict, canonical=loaded.canonical, current=current, rows=segs,
                       onto=loaded._view, lines=loaded.lines)
        loaded.verdict = verdict

    # writing ------------------------------------------------------------------------------------
    def transact(self, decide: Callable[[Loaded], D], *, dry_run: bool = False, verdict: str | None = None) -> D:
        """Under the lock: read the store, let ``decide`` say what to append (its result's ``append``),
        append it, and return the result. ``decide`` may raise to abort: nothing is written then.
        ``verdict`` is kept with the cache of the new store (the caller vouches for every entry)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise os_problem(self.folder, exc, "cannot create the data folder") from None
        self._refuse_dangling_link()
        target = write_target(self.path)
        with FolderLock(target.parent, target.parent / LOCK_NAME, LOCK_TIMEOUT):
            remove_stale_temporaries(target.parent, target.name, older_than=0)  # written under this lock only
            remove_stale_temporaries(self.folder, CACHE_NAME)
            remove_stale_temporaries(self.folder, cache_mod.data_path(self.cache.path).name)
            loaded, src, hasher = self._load()
            try:
                return self._append(loaded, src, hasher, decide, dry_run=dry_run, verdict=verdict, target=target)
            finally:
                if src is not None:
                    src.close()

    def _append(self, loaded: Loaded, src: Source | None, hasher, decide: Callable[[Loaded], D], *,
                dry_run: bool, verdict: str | None, target: Path) -> D:
        result = decide(loaded)
        new = result.append
        if not new or dry_run:
            return result
        # the old bytes (copied by the kernel from the open store, never read into memory), then the new
        base: list = []
        if src is None or not src.size:
            extra = HEADER.encode("utf-8")
            lines = 0
            if src is not None:
                base.append(src.copy())
        else:
            base.append(src.copy())
            extra = b"" if src.last_byte() == b"\n" else b"\n"
            lines = loaded.lines if loaded.lines is not None else src.read().count(b"\n")
        if extra:
            base.append(extra)
            hasher.update(extra)
        first_line = lines + extra.count(b"\n") + 2  # a blank line precedes each entry
        tail = _Tail(new, first_line, now_utc(), hasher)  # the stamp: for the entries that come without one
        chunks: Iterable[bytes] = tail
        if src is not None and src.size and not loaded.canonical:
            chunks = list(tail)
            self._check_appendable(b"".join([src.read(), extra, *chunks]), len(loaded.rows) + len(new))
        try:
            atomic_write(self.path, chain(base, chunks))
            st = os.stat(self.path)
        except OSError as exc:
            raise os_problem(target, exc, "cannot write") from None
        del chunks
        current, segs = self._pieces(loaded, tail.written)
        self.cache.put(_key(st, hasher), verdict=verdict, canonical=loaded.canonical or src is None or not src.size,
                       current=current, rows=segs, onto=loaded._view, lines=first_line - 2 + tail.newlines)
        return result


    def _check_appendable(self, data: bytes, entries: int) -> None:
        """A store in another layout than admtrack's: appending [[observation]] tables must still give
        TOML holding every entry (it would not after ``observation = [ … ]``, an inline array)."""
        import tomllib

        try:
            doc = tomllib.loads(data.decode("utf-8"))
            items = doc.get("observation")
            ok = isinstance(items, list) and len(items) == entries
        except (tomllib.TOMLDecodeError, ValueError, RecursionError):
            ok = False
        if not ok:
            raise AdmError(Problem(str(self.path), None, None,
                                   "holds its entries in another form than [[observation]] tables (an inline "
                                   "array `observation = [ … ]`?), after which admtrack cannot append; rewrite "
                                   "each entry as an [[observation]] table, then record again"))


class _Tail:
    """The new entries' TOML, one chunk of UTF-8 at a time as it is written (never the whole text at once),
    hashed into ``hasher`` on the way; and the entries as written (stamped, numbered), for the index."""

    def __init__(self, new: Sequence[Observation], first_line: int, stamp: str, hasher) -> None:
        self.new = new
        self.first_line = first_line
        self.stamp = stamp
        self.hasher = hasher
        self.newlines = 0
        self.written: list[tuple] = []

    def __iter__(self) -> Iterator[bytes]:
        at = 0
        for chunk, lines, _ in serialise_batches(self.new, self.first_line, self.stamp):
            self.hasher.update(chunk)
            self.newlines += chunk.count(b"\n")
            columns: list[Sequence] = list(zip(*self.new[at : at + len(lines)]))
            at += len(lines)
            columns[_RECORDED] = [r or self.stamp for r in columns[_RECORDED]]
            columns[_LINE] = lines
            self.written += zip(*columns)
            yield chunk


_RECORDED = Observation._fields.index("recorded_at")
_LINE = Observation._fields.index("line")
_INDICATOR = itemgetter(1)
_KEY = itemgetter(0, 1, 2)


def _key(st: os.stat_result, hasher) -> dict:
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ino": st.st_ino, "hash": hasher.hexdigest()}


# ---------------------------------------------------------------------------------------------- the lock

class LockTimeout(AdmError):
    pass


class FolderLock:
    """The writers' exclusive lock, robust to the lock file being deleted while it is held.

    Two locks, taken in this order by every writer: the folder that holds the store (a file that cannot
    disappear while the store is in it), and the lock file ``.observations.lock`` (what other tools and
    older versions lock, and what still works where a folder cannot be locked). After locking the file,
    its path is checked to still name the locked file (else it was replaced meanwhile: lock again).
    Where ``fcntl`` is missing (Windows), filelock's lock of the file (a file that is open there cannot
    be deleted).
    """

    def __init__(self, folder: Path, path: Path, timeout: float) -> None:
        self.folder = folder
        self.path = path
        self.timeout = timeout
        self._fds: list[int] = []
        self._other: Any = None

    def __enter__(self) -> FolderLock:
        deadline = time.monotonic() + self.timeout
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            from filelock import FileLock, Timeout

            self._other = FileLock(str(self.path), timeout=self.timeout)
            try:
                self._other.acquire()
            except Timeout:
                raise self._timeout() from None
            except OSError as exc:
                raise os_problem(self.path, exc, "cannot lock") from None
            return self
        try:
            self._lock_folder(fcntl, deadline)
            self._lock_file(fcntl, deadline)
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._release()

    def _release(self) -> None:
        if self._other is not None:  # pragma: no cover - Windows
            self._other.release()
        for fd in reversed(self._fds):
            with contextlib.suppress(OSError):
                os.close(fd)  # closing the descriptor releases its lock
        self._fds.clear()

    def _timeout(self) -> AdmError:
        return LockTimeout(Problem(str(self.path), None, None,
                                   f"could not lock the store within {self.timeout:g} s (another admtrack is "
                                   "writing?)"))

    def _wait(self, fcntl, fd: int, deadline: float) -> None:
        delay = 0.001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
            if time.monotonic() >= deadline:
                raise self._timeout()
            time.sleep(delay)
            delay = min(delay * 2, 0.02)

    def _lock_folder(self, fcntl, deadline: float) -> None:
        try:
            fd = os.open(self.folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return  # the lock file alone, then
        self._fds.append(fd)
        try:
            self._wait(fcntl, fd, deadline)
        except OSError as exc:
            if isinstance(exc, BlockingIOError) or exc.errno not in (errno.EBADF, errno.ENOLCK, errno.EINVAL,
                                                                       errno.EOPNOTSUPP):
                raise
            self._fds.remove(fd)  # a file system that cannot lock folders (NFS): the lock file alone
            os.close(fd)

    def _lock_file(self, fcntl, deadline: float) -> None:
        flags = os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
        while True:
            try:
                try:
                    fd = os.open(self.path, os.O_RDWR | flags, 0o644)
                except PermissionError:
                    fd = os.open(self.path, os.O_RDONLY | flags)  # another user's lock file: locking needs no write
            except OSError as exc:
                raise self._cannot_open(exc) from None
            try:
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode):
                    raise os_problem(self.path, NotRegular(errno.EINVAL, "is not a regular file"), "cannot lock")
                self._wait(fcntl, fd, deadline)
                try:
                    now = os.stat(self.path, follow_symlinks=False)
                except FileNotFoundError:
                    now = None
            except BaseException:
                os.close(fd)
                raise
            if now is not None and (now.st_dev, now.st_ino) == (st.st_dev, st.st_ino):
                self._fds.append(fd)
                return
            os.close(fd)  # the lock file was deleted or replaced while we waited: lock what is there now

    def _cannot_open(self, exc: OSError) -> AdmError:
        if exc.errno == errno.ELOOP:
            why = "is a symbolic link; remove it (admtrack creates its lock file itself)"
        elif exc.errno == errno.EISDIR:
            why = "is a folder, not a lock file; remove it (admtrack creates its lock file itself)"
        elif exc.errno in (errno.EACCES, errno.EPERM):
            why = ("cannot open the lock file: permission denied; make the data folder writable (or remove a "
                   "lock file left by another user)")
        elif exc.errno == errno.EROFS:
            why = "cannot create the lock file: the file system is read-only; use another data folder (--data-dir)"
        elif exc.errno == errno.ENOENT:
            why = "cannot create the lock file: the folder does not exist"
        else:
            why = f"cannot open the lock file: {exc.strerror or exc}"
        return AdmError(Problem(str(self.path), None, None, why))
