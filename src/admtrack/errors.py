"""Errors a user can cause: each carries a one-line message and the exit code of SPEC §6."""

from __future__ import annotations

import re


class AdmError(Exception):
    """The data is wrong or unusable (exit 1)."""

    exit_code = 1

    def __init__(self, message: str, *, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class UsageError(AdmError):
    """A bad option value or argument (exit 2)."""

    exit_code = 2


def where(path: object, line: int | None = None) -> str:
    """``file:line`` for messages (``file`` alone when the line is unknown)."""
    name = str(path)
    return f"{name}:{line}" if line else name


def toml_error_line(exc: Exception, text: str) -> int | None:
    """The line a tomllib error points at ("at line N", or the last line for "end of document")."""
    msg = str(exc)
    m = re.search(r"at line (\d+)", msg)
    if m:
        return int(m.group(1))
    if "end of document" in msg:
        return text.count("\n") + (0 if text.endswith("\n") else 1) or 1
    return None
