"""Errors a user can cause, as data (beancount's habit): a ``Problem`` names where and what, one
formatter prints every list of them, and ``AdmError`` carries them to the command line with the exit code
of SPEC §6.

``AdmError`` is a ``typer.TyperException`` (the base of the Click exceptions that Typer vendors), so the
entry point handles it exactly like a usage error: one line on stderr, the exception's exit code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from typer import TyperException

#: error lists are cut here; the rest is counted ("… and 12 more")
MAX_LISTED = 20


class Problem(NamedTuple):
    """One thing wrong with one input: ``file:line: field: reason`` (any part may be unknown)."""

    path: str | None
    line: int | None
    field: str | None
    reason: str

    def __str__(self) -> str:
        place = where(self.path, self.line) if self.path else ""
        parts = [p for p in (place, self.field) if p]
        return ": ".join([*parts, self.reason])


class AdmError(TyperException):
    """The data is wrong or unusable (exit 1). ``details`` are listed under the message."""

    exit_code = 1

    def __init__(self, message: str | Problem, *, details: Sequence[str | Problem] = ()) -> None:
        super().__init__(str(message))
        self.details = [str(d) for d in details]

    @classmethod
    def of(cls, problems: Sequence[Problem], summary: str | None = None) -> AdmError:
        """One error for a list of problems: the problem itself when there is one, else ``summary`` with
        the problems listed under it."""
        if len(problems) == 1 and summary is None:
            return cls(problems[0])
        return cls(summary or f"{len(problems)} problems", details=problems)


class UsageError(AdmError):
    """A bad option value or argument (exit 2)."""

    exit_code = 2


def where(path: object, line: int | None = None) -> str:
    """``file:line`` for messages (``file`` alone when the line is unknown)."""
    name = str(path)
    return f"{name}:{line}" if line else name


def printable(text: str) -> str:
    """A message on one line: control characters from user input (newlines, escape sequences) shown as
    escapes, never sent to the terminal."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def format_lines(message: str, details: Sequence[str] = (), *, limit: int = MAX_LISTED) -> list[str]:
    """The lines of an error for stderr: ``admtrack: error: …``, then the details (the first ``limit``,
    then how many more)."""
    lines = [f"admtrack: error: {printable(message)}"]
    lines += [f"  {printable(d)}" for d in details[:limit]]
    if len(details) > limit:
        lines.append(f"  … and {len(details) - limit} more")
    return lines


def toml_error_line(exc: Exception, text: str) -> int | None:
    """The line a tomllib error points at ("at line N", or the last line for "end of document")."""
    msg = str(exc)
    m = re.search(r"at line (\d+)", msg)
    if m:
        return int(m.group(1))
    if "end of document" in msg:
        return text.count("\n") + (0 if text.endswith("\n") else 1) or 1
    return None
