"""The file-system side of the store: read only regular files, write atomically (through a symbolic
link to its target), clean up what a killed writer left, and say in one line what went wrong."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
import time
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from admtrack.errors import AdmError, Problem

_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)

#: temporaries older than this (seconds) are a killed writer's leftovers
STALE_AFTER = 60.0


class Copy(NamedTuple):
    """Bytes to copy from another open file (``size`` bytes at ``offset`` of descriptor ``src``) when
    writing: the kernel copies them, they never pass through Python."""

    src: int
    offset: int
    size: int


class NotRegular(OSError):
    """A FIFO, a device, a socket or a folder where a regular file belongs."""


class Source:
    """A regular file kept open: hashed as it is read once, without keeping its bytes; read whole only
    when it must be parsed; copied by the kernel when it is written again with more at its end."""

    def __init__(self, fd: int, st: os.stat_result) -> None:
        self.fd = fd
        self.st = st
        self.size = st.st_size
        self._close = weakref.finalize(self, os.close, fd)

    def close(self) -> None:
        self._close()

    def hash(self, hasher, *, block: int = 1 << 22) -> None:
        """Feed the file's bytes to ``hasher`` (one buffer, reused: no copy of the file is kept)."""
        buf = bytearray(min(block, max(self.size, 1)))
        view = memoryview(buf)
        pos = 0
        while pos < self.size:
            n = os.preadv(self.fd, [view[:min(block, self.size - pos)]], pos) if hasattr(os, "preadv") else \
                _pread_into(self.fd, view[:min(block, self.size - pos)], pos)
            if not n:
                raise OSError(errno.EIO, "the file got shorter while it was read", "")
            hasher.update(view[:n])
            pos += n

    def read(self) -> bytes:
        """The whole file (one read: no chunks joined, no second copy)."""
        chunks = []
        pos = 0
        while pos < self.size:
            chunk = os.pread(self.fd, min(self.size - pos, 1 << 30), pos)
            if not chunk:
                raise OSError(errno.EIO, "the file got shorter while it was read", "")
            chunks.append(chunk)
            pos += len(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def last_byte(self) -> bytes:
        return os.pread(self.fd, 1, self.size - 1) if self.size else b""

    def copy(self) -> Copy:
        return Copy(self.fd, 0, self.size)


def _pread_into(fd: int, view: memoryview, pos: int) -> int:
    data = os.pread(fd, len(view), pos)
    view[:len(data)] = data
    return len(data)


def open_regular(path: Path) -> Source | None:
    """A regular file, open (None if there is none). Opened without blocking, so that a FIFO in its place
    cannot hang a command; anything but a regular file raises ``NotRegular``."""
    try:
        fd = os.open(path, os.O_RDONLY | _O_NONBLOCK | _O_CLOEXEC | _O_BINARY)
    except FileNotFoundError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegular(errno.EINVAL, _kind(st.st_mode), str(path))
    except BaseException:
        os.close(fd)
        raise
    return Source(fd, st)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "is a FIFO (named pipe), not a regular file"
    return "is not a regular file"


def write_target(path: Path) -> Path:
    """Where writing ``path`` lands: the file itself, or the final target of a symbolic link (a store kept
    in a synced folder), so that the link survives the atomic replace."""
    if not path.is_symlink():
        return path
    return Path(os.path.realpath(path))


def _write_all(fd: int, data) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view[:1 << 30])
        view = view[n:]


def _copy(fd: int, c: Copy) -> None:
    offset, left = c.offset, c.size
    fast = hasattr(os, "copy_file_range")
    while left > 0:
        n = 0
        if fast:
            try:
                n = os.copy_file_range(c.src, fd, min(left, 1 << 30), offset)
            except OSError:
                fast = False
        if not fast:
            chunk = os.pread(c.src, min(left, 1 << 24), offset)
            _write_all(fd, chunk)
            n = len(chunk)
        if n <= 0:
            raise OSError(errno.EIO, "the file to copy from is shorter than expected")
        offset += n
        left -= n


def atomic_write(path: Path, data: bytes | Iterable[bytes | Copy], *, durable: bool = True) -> None:
    """Write ``data`` (bytes, or chunks of bytes — or ``Copy`` ranges of another file — written one after
    the other, so that a big file need not be joined in memory first) to ``path`` so that readers see the
    old file or the new one, never a mix: a
    temporary file in the same folder, flushed (and fsynced when ``durable``), then ``os.replace``d over
    the file, then the folder fsynced. A symbolic link is written through to its target."""
    path = write_target(path)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        try:
            if isinstance(data, (bytes, bytearray, memoryview)):
                _write_all(fd, data)
            else:
                for chunk in data:
                    if isinstance(chunk, Copy):
                        _copy(fd, chunk)
                    else:
                        _write_all(fd, chunk)
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        try:
            dfd = os.open(path.parent, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(dfd)
        except OSError:
            pass
        finally:
            os.close(dfd)


def remove_stale_temporaries(folder: Path, name: str, *, older_than: float = STALE_AFTER) -> int:
    """Remove the temporaries of ``name`` (``.{name}.*.tmp``) that a killed writer left in ``folder``;
    with ``older_than`` 0, every one (the caller holds the lock under which they are written)."""
    prefix = f".{name}."
    cutoff = time.time() - older_than
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        if not (entry.name.startswith(prefix) and entry.name.endswith(".tmp")):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(st.st_mode) and (older_than <= 0 or st.st_mtime < cutoff):
                os.unlink(entry.path)
                removed += 1
        except OSError:
            pass
    return removed


def os_problem(path: Path, exc: OSError, doing: str) -> AdmError:
    """One line naming the file, what failed and what to do about it."""
    what = exc.strerror or str(exc)
    code = exc.errno
    if isinstance(exc, NotRegular):
        hint = f"{exc.strerror}; move it away"
    elif code in (errno.EACCES, errno.EPERM):
        hint = f"{doing}: permission denied; check the owner and mode of the file and of its folder"
    elif code == errno.EROFS:
        hint = f"{doing}: the file system is read-only; use another data folder (--data-dir)"
    elif code == errno.EISDIR:
        hint = "is a folder, not a file; move it away"
    elif code == errno.ENOSPC:
        hint = f"{doing}: no space left on the device"
    else:
        hint = f"{doing}: {what}"
    return AdmError(Problem(str(path), None, None, hint))
