"""The observation store, ``observations.toml`` (SPEC §2.2): reading it (through its cache), and the
locked transaction that appends to it.

Append-only: an entry is never edited or removed. A writer holds an exclusive lock for the whole
read-decide-write, writes the old bytes plus the new entries to a temporary file beside the store,
fsyncs it, ``os.replace``s it over the store and fsyncs the folder, so that a crash leaves either the old
store or the new one. The store does not know the plan: the caller checks what it read and may tell the
store to remember that verdict in the cache.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol, TypeVar

from admtrack.errors import AdmError, Problem
from admtrack.model import Key, Observation
from admtrack.store import cache as cache_mod
from admtrack.store.codec import HEADER, parse_store, serialise_chunks
from admtrack.store.fs import NotRegular, atomic_write, os_problem, read_regular, remove_stale_temporaries, write_target

STORE_NAME = "observations.toml"
LOCK_NAME = ".observations.lock"
CACHE_NAME = ".observations.cache.json"
LOCK_TIMEOUT = 10.0


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


class Loaded:
    """The parsed store. The entries in force are at hand; every entry (history, a full export, a first
    check against a plan) is read from the cache or parsed only when asked for."""

    __slots__ = ("key", "verdict", "canonical", "_rows", "_current", "_more", "_encoded")

    def __init__(self, *, key: dict | None = None, verdict: str | None = None, canonical: bool = True,
                 rows: list[Observation] | None = None, current: dict[Key, Observation] | None = None,
                 more: Callable[[], list[Observation]] | None = None) -> None:
        self.key = key  # the store's size, mtime, inode and hash (None: no store yet)
        #: what the caller said of every entry, remembered with the cache (``Store.remember``)
        self.verdict = verdict
        self.canonical = canonical  # in admtrack's own layout (else appending is checked with tomllib)
        self._rows = rows
        self._current = current
        self._more = more
        self._encoded: cache_mod.Rows | None = None  # the rows as the cache holds them, when at hand

    @property
    def rows(self) -> list[Observation]:
        """Every entry, in file order."""
        if self._rows is None:
            assert self._more is not None
            self._rows = self._more()
        return self._rows

    @property
    def current(self) -> dict[Key, Observation]:
        """The entry in force for each (state, indicator, year): the last one, retractions included."""
        if self._current is None:
            self._current = {(o.state, o.indicator, o.year): o for o in self.rows}
        return self._current

    def in_force(self, key: Key) -> Observation | None:
        return self.current.get(key)


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
    def load(self) -> Loaded:
        """The store, parsed (a missing store is empty; one that does not parse raises AdmError)."""
        loaded, _, _, _ = self._load()
        return loaded

    def _load(self) -> tuple[Loaded, bytes, hashlib.blake2b, cache_mod.View | None]:
        got = self._read()
        if got is None:
            return Loaded(rows=[], current={}), b"", hashlib.blake2b(digest_size=20), None
        raw, st = got
        hasher = hashlib.blake2b(raw, digest_size=20)
        key = _key(st, hasher)
        view = self.cache.get(key)
        if view is not None:
            current = view.current()
            if current is not None:
                def more() -> list[Observation]:
                    rows = view.rows()
                    return rows if rows is not None else parse_store(raw, self.path).rows

                loaded = Loaded(key=key, verdict=view.verdict, canonical=view.canonical,
                                current={(o.state, o.indicator, o.year): o for o in current}, more=more)
                return loaded, raw, hasher, view
        parsed = parse_store(raw, self.path)
        loaded = Loaded(key=key, canonical=parsed.canonical, rows=parsed.rows)
        loaded._encoded = cache_mod.Rows.of(parsed.rows)
        self.cache.put(key, verdict=None, canonical=parsed.canonical, current=list(loaded.current.values()),
                       rows=loaded._encoded)
        return loaded, raw, hasher, None

    def _read(self) -> tuple[bytes, os.stat_result] | None:
        try:
            got = read_regular(self.path)
        except NotRegular as exc:
            raise os_problem(self.path, exc, "cannot read") from None
        except OSError as exc:
            raise os_problem(self.path, exc, "cannot read") from None
        if got is None:
            self._refuse_dangling_link()
        return got

    def _refuse_dangling_link(self) -> None:
        if self.path.is_symlink() and not self.path.exists():
            raise AdmError(Problem(str(self.path), None, None,
                                   f"is a symbolic link to {os.readlink(self.path)}, which does not exist "
                                   "(is its drive mounted?); fix the link or remove it"))

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
        rows = loaded._encoded
        if rows is None:
            view = self.cache.get(key)
            rows = view.rows_part() if view is not None else None
        if rows is None:
            rows = cache_mod.Rows.of(loaded.rows)
        self.cache.put(key, verdict=verdict, canonical=loaded.canonical, current=list(loaded.current.values()),
                       rows=rows)
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
            loaded, raw, hasher, view = self._load()
            result = decide(loaded)
            new = list(result.append)
            if not new or dry_run:
                return result
            base = raw
            if not base:
                base = HEADER.encode("utf-8")
            elif not base.endswith(b"\n"):
                base += b"\n"
            hasher.update(base[len(raw):])
            first_line = base.count(b"\n") + 2  # a blank line precedes each entry
            stamp = now_utc()  # for the entries that come without one
            tail, lines = serialise_chunks(new, first_line, stamp)
            if raw and not loaded.canonical:
                self._check_appendable(b"".join([base, *tail]), len(loaded.rows) + len(new))
            try:
                atomic_write(self.path, [base, *tail])
                st = os.stat(self.path)
            except OSError as exc:
                raise os_problem(target, exc, "cannot write") from None
            for chunk in tail:
                hasher.update(chunk)
            del tail
            rows = loaded._encoded or (view.rows_part() if view is not None else None)
            if rows is None:
                rows = cache_mod.Rows.of(loaded.rows)
            current: dict = dict(loaded.current)
            for o, entry in zip(new, cache_mod.numbered(new, lines, stamp)):
                current[(o.state, o.indicator, o.year)] = entry
            self.cache.put(_key(st, hasher), verdict=verdict, canonical=loaded.canonical or not raw,
                           current=list(current.values()), rows=rows.extended(cache_mod.numbered(new, lines, stamp)))
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


def _key(st: os.stat_result, hasher: hashlib.blake2b) -> dict:
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
            try:
                os.close(fd)  # closing the descriptor releases its lock
            except OSError:
                pass
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
