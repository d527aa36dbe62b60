"""The file-system side of the store: read only regular files, write atomically (through a symbolic
link to its target), clean up what a killed writer left, and say in one line what went wrong."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from admtrack.errors import AdmError, Problem

_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)

#: temporaries older than this (seconds) are a killed writer's leftovers
STALE_AFTER = 60.0


class NotRegular(OSError):
    """A FIFO, a device, a socket or a folder where a regular file belongs."""


def read_regular(path: Path, *, limit: int | None = None) -> tuple[bytes, os.stat_result] | None:
    """The bytes (at most ``limit``) and status of a regular file; None if there is none.

    Opened without blocking, so that a FIFO in its place cannot hang a command; anything but a regular
    file raises ``NotRegular``."""
    try:
        fd = os.open(path, os.O_RDONLY | _O_NONBLOCK | _O_CLOEXEC | _O_BINARY)
    except FileNotFoundError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegular(errno.EINVAL, _kind(st.st_mode), str(path))
        chunks = []
        left = st.st_size if limit is None else min(st.st_size, limit)
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 24))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks), st
    finally:
        os.close(fd)


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


def atomic_write(path: Path, data: bytes | Iterable[bytes], *, durable: bool = True) -> None:
    """Write ``data`` (bytes, or chunks of bytes written one after the other, so that a big file need not
    be joined in memory first) to ``path`` so that readers see the old file or the new one, never a mix: a
    temporary file in the same folder, flushed (and fsynced when ``durable``), then ``os.replace``d over
    the file, then the folder fsynced. A symbolic link is written through to its target."""
    path = write_target(path)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, (bytes, bytearray, memoryview)):
                fh.write(data)
            else:
                for chunk in data:
                    fh.write(chunk)
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
