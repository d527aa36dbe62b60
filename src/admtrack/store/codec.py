"""The store's TOML (SPEC §2.2): the writer, a fast reader of exactly what the writer writes, and tomllib
for anything else, so that the result is the same either way (tests/test_store.py checks it).

Every pattern here runs in time linear in the text: no nested quantifiers, possessive repeats, and one
``finditer`` over the file (SPEC §7 "No input can hang a command").
"""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import accumulate, chain, groupby, islice, repeat
from math import isfinite
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple

from admtrack.errors import AdmError, Problem, toml_error_line
from admtrack.model import Observation
from admtrack.validate import BAD_TEXT, MAX_TEXT, FieldError, check_number, check_text

HEADER = (
    "# admtrack observation store: append-only, written by `admtrack record` and `admtrack retract`.\n"
    "# A later entry for the same state, indicator and year supersedes an earlier one.\n"
)

#: the keys an [[observation]] table may hold
KEYS = frozenset({"state", "indicator", "year", "value", "source", "note", "obs_status", "recorded_at", "retracted",
                  "reason"})

_LAYER = Observation._field_defaults["layer"]
_RELEASED = Observation._field_defaults["released"]


def status_code(raw: str | None) -> str | None:
    """A stored obs_status as the model holds it: upper case, and None for ``A`` (normal, the default).
    Whether it is a known code is the plan-side checks' business (``rules.check_stored``)."""
    if raw is None:
        return None
    code = raw.strip().upper()
    return None if code in ("", "A") else code
_new = tuple.__new__


class Parsed(NamedTuple):
    """The entries of a store, whether it is in admtrack's own layout (the fast reader read it; only a
    store of ``[[observation]]`` tables can be appended to), and how many newlines it holds."""

    rows: list[Observation]
    canonical: bool
    lines: int = 0


def parse_store(raw: bytes, path: Path | str, *, problems: list[Problem] | None = None) -> Parsed:
    """Parse and type-check the store's bytes (plan checks are the caller's). AdmError naming file and
    line on the first problem — or, given a ``problems`` list (``admtrack check``), every entry that is
    wrong is added to it and left out, and only a file that does not parse as TOML raises. Pass the bytes
    alone (``parse_store(f.read(), …)``): they are let go once decoded, so that a big store is not held
    twice while it is parsed."""
    text = decode(raw, path)
    del raw
    return parse_text(text, path, problems=problems)


def parse_text(text: str, path: Path | str, *, problems: list[Problem] | None = None) -> Parsed:
    """``parse_store`` of the store's text (``decode``)."""
    fast = read_range(text)
    if fast is not None:
        return Parsed(fast[0], True, fast[1])
    return Parsed(read_toml(text, path, problems=problems), False, text.count("\n"))


def decode(raw: bytes, path: Path | str) -> str:
    """The store's bytes as text: UTF-8 without a byte-order mark (AdmError naming the line otherwise)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raise AdmError(Problem(str(path), 1, None, "starts with a byte-order mark (BOM), which TOML does not "
                                                   "allow: save it as UTF-8 without a BOM"))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise AdmError(Problem(str(path), line, None, "not valid UTF-8 text")) from None


# ------------------------------------------------------------------------------------------ slow path

_HEADER_LINE = re.compile(r"^[ \t]*\[\[[ \t]*observation[ \t]*\]\]", re.M)


def read_toml(text: str, path: Path | str, *, problems: list[Problem] | None = None) -> list[Observation]:
    """Any TOML layout, through tomllib. A wrong entry raises AdmError, or with ``problems`` is added to
    it and left out."""
    import tomllib

    name = str(path)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = toml_error_line(exc, text)
        raise AdmError(Problem(name, line, None, f"does not parse as TOML: {str(exc).split(' (at')[0]}")) from None
    except ValueError:  # an integer beyond Python's digit limit
        raise AdmError(Problem(name, None, None, "does not parse: a number has too many digits")) from None
    except RecursionError:
        raise AdmError(Problem(name, None, None, "does not parse: nested too deeply")) from None
    extra = set(doc) - {"observation"}
    if extra:
        raise AdmError(Problem(name, None, None, f"unknown top-level key {sorted(extra)[0]!r} "
                                                 "(only [[observation]] tables belong here)"))
    items = doc.get("observation", [])
    if not isinstance(items, list):
        raise AdmError(Problem(name, None, None, "'observation' must be an array of tables ([[observation]])"))
    starts = _header_lines(text)
    lines: list[int | None] = list(starts) if len(starts) == len(items) else [None] * len(items)
    out: list[Observation] = []
    for item, line in zip(items, lines):
        if not isinstance(item, dict):
            wrong = Problem(name, line, None, "observation must be a table")
        elif unknown := set(item) - KEYS:
            wrong = Problem(name, line, sorted(unknown)[0], "unknown key")
        else:
            try:
                out.append(_entry(item, line))
                continue
            except FieldError as exc:
                wrong = Problem(name, line, exc.field, exc.reason)
        if problems is None:
            raise AdmError(wrong)
        problems.append(wrong)
    return out


def _entry(item: dict, line: int | None) -> Observation:
    state, ind = item.get("state"), item.get("indicator")
    if not isinstance(state, str) or not state:
        raise FieldError("state", "is required (text)")
    if not isinstance(ind, str) or not ind:
        raise FieldError("indicator", "is required (text)")
    year = item.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        raise FieldError("year", "must be an integer")
    retracted = item.get("retracted", False)
    if not isinstance(retracted, bool):
        raise FieldError("retracted", "must be true or false")
    value = None
    if retracted and ("value" in item or "obs_status" in item):  # admtrack writes neither on a retraction
        raise FieldError("value" if "value" in item else "obs_status",
                         "must be absent on a retraction (retracted = true withdraws the figure)")
    if not retracted:
        raw = item.get("value")
        if isinstance(raw, str):
            raise FieldError("value", "must be a number, not text (no quotes around it)")
        value = check_number(raw)
    source = check_text("source", item.get("source"))
    note = check_text("note", item.get("note"))
    status = item.get("obs_status")
    if status is not None and not isinstance(status, str):
        raise FieldError("obs_status", "must be a code in quotes, e.g. \"E\"")
    status = status_code(check_text("obs_status", status))
    reason = check_text("reason", item.get("reason"))
    if retracted and (reason is None or not reason.strip()):
        raise FieldError("reason", "is required: a retraction says why (SPEC §2.2)")
    if reason is not None and not retracted:
        raise FieldError("reason", "only a retraction has a reason (retracted = true)")
    rec = item.get("recorded_at")
    if isinstance(rec, datetime):
        rec = iso_utc(rec)
    elif isinstance(rec, str):
        try:
            rec = iso_utc(datetime.fromisoformat(rec))
        except ValueError:
            raise FieldError("recorded_at", f"must be a timestamp, got {rec[:40]!r}") from None
    elif rec is None:
        raise FieldError("recorded_at", "is missing: admtrack writes it with every entry "
                                        "(a hand edit, or a damaged file?)")
    else:
        raise FieldError("recorded_at", "must be a timestamp")
    return Observation(state, ind, year, value, source, note, rec, retracted, reason, line, obs_status=status)


def iso_utc(dt: datetime) -> str:
    if dt.tzinfo is None:
        return dt.isoformat()
    return dt.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _header_lines(text: str) -> list[int]:
    """1-based line of each [[observation]] header, in one pass."""
    out: list[int] = []
    line, pos = 1, 0
    for m in _HEADER_LINE.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        out.append(line)
    return out


# ------------------------------------------------------------------------------------------ fast path
# Exactly the layout ``serialise`` writes: keys in its order, one per line, no comments but at the top.
# A string is a run of plain characters, then (escape, run) pairs: each character can be read one way
# only, so matching is linear. Escapes are TOML's that JSON decodes alike; a surrogate escape (which TOML
# refuses and JSON would pair up) and C1 controls (the text checks refuse them) go to tomllib.
_PLAIN = r'[^"\\\x00-\x08\x0a-\x1f\x7f-\x9f]*+'
_ESC = r'\\(?:["\\btnfr]|u(?:[0-9A-Ca-cEeFf][0-9A-Fa-f]{3}|[Dd][0-7][0-9A-Fa-f]{2}))'
_STR = rf'"{_PLAIN}(?:{_ESC}{_PLAIN})*+"'
_CODE = r'"([A-Za-z0-9_-]++)"'
_INT = r'(-?(?:0|[1-9][0-9]{0,8}))'
_NUM = r'(-?(?:0|[1-9][0-9]{0,400})(?:\.[0-9]{1,400})?(?:[eE][+-]?[0-9]{1,4})?)'
_DT = r'([0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{6}Z)'
_ENTRY = re.compile(
    r"\[\[observation\]\]\n"
    rf"state = {_CODE}\n"
    rf"indicator = {_CODE}\n"
    rf"year = {_INT}\n"
    rf"(?:value = {_NUM}\n)?"
    rf"(?:source = ({_STR})\n)?"
    rf"(?:note = ({_STR})\n)?"
    rf"(?:obs_status = {_CODE}\n)?"
    rf"(?:(retracted = true\n)(?:reason = ({_STR})\n)?)?"
    rf"recorded_at = {_DT}\n"
    r"(\n*+)",
    re.ASCII,
)
_PREFIX = re.compile(r"(?:#[^\x00-\x08\x0a-\x1f\x7f]*+\n|\n)*+")
_JSON_STR = json.JSONDecoder(strict=False).decode
HEADER_TEXT = "[[observation]]"
_VALUE = itemgetter(3)
_RETRACTED = itemgetter(7)
_RECORDED = itemgetter(9)
_DAY = itemgetter(slice(0, 10))
_CHUNK = 1 << 23  # characters of the store read by one ``findall``


class _Refused(Exception):
    """Text the fast reader leaves to tomllib (and the checks)."""


def read_fast(text: str) -> list[Observation] | None:
    """The entries of a store in exactly admtrack's layout, or None for anything else."""
    got = read_range(text)
    return None if got is None else got[0]


def read_range(text: str, start: int = 0, stop: int | None = None) -> tuple[list[Observation], int] | None:
    """The entries of ``text[start:stop]`` if it is exactly admtrack's layout, and how many newlines
    ``text[:stop]`` holds; None for anything else. (``store.split`` reads two halves at once: the part
    before ``start`` counts for the line numbers, and ``start`` begins a line.)

    ``findall`` (no match objects) and a comprehension, a few MB of text at a time: at a million entries
    every operation per entry counts (a fifth less time than a ``finditer`` loop). ``findall`` skips what does not
    match, so the entries are proved to follow each other to the end of the text by counting: every
    ``[[observation]]`` in the text begins a found entry, each but the first right after a newline, the
    text ends with a newline, and the found entries hold every newline there is. Junk between two entries
    would hold a newline (the count fails) or sit right before a header (not after a newline); junk after
    the last entry would hold a newline or end the text without one.
    """
    stop = len(text) if stop is None else stop
    pos = _PREFIX.match(text, start, stop).end()  # type: ignore[union-attr]
    if pos == stop:
        return [], text.count("\n", 0, stop)
    n = text.count(HEADER_TEXT, pos, stop)
    if not (text.startswith(HEADER_TEXT, pos, stop) and text.endswith("\n", pos, stop)
            and text.count("\n" + HEADER_TEXT, pos, stop) == n - 1):
        return None
    names: dict[str, str] = {}  # one string object per state and indicator code (a million copies otherwise)
    dates: set[str] = set()  # the days of the recorded_at stamps (the pattern lets 02-30 and year 0 through)
    retracting = False  # a retraction is among the entries (checked below)
    first = text.count("\n", 0, pos) + 1
    at = first
    escaped = text.find("\\", pos, stop) >= 0
    careful = escaped or text.find("value = -0\n", pos, stop) >= 0
    rows: list[Observation] = []
    start = pos
    try:
        while start < stop:  # a few MB at a time: the found fields of a million entries are not all kept
            end = min(text.find("\n" + HEADER_TEXT, start + _CHUNK, stop) + 1 or stop, stop)
            found = _ENTRY.findall(text, start, end)
            dates.update(map(_DAY, map(_RECORDED, found)))
            if careful:
                retracting = retracting or any(map(_RETRACTED, found))
                rows += [_careful(e, (at := at + (sp := _span(e))) - sp) for e in found]
            else:  # no escape to decode, no -0 to turn into 0: the text between the quotes is the text
                if any(max(map(len, map(itemgetter(k), found)), default=0) > MAX_TEXT + 2 for k in (4, 5, 8)):
                    return None  # (with escapes, ``_text`` measures each text)
                uniform = _uniform(found, at, names)
                if uniform is not None:
                    more, at = uniform
                    rows += more
                    start = end
                    continue
                retracting = retracting or any(map(_RETRACTED, found))
                rows += [_new(Observation, (s, i, int(y), float(v) if v else _no_value(ret),
                                            src[1:-1] or None, note[1:-1] or None, rec, ret != "", rea[1:-1] or None,
                                            (at := at + (sp := 5 + (v != "") + (src != "") + (note != "")
                                                         + (st != "") + (ret != "") + (rea != "") + len(bl))) - sp,
                                            _LAYER, status_code(st) if st else None, _RELEASED))
                         for s, i, y, v, src, note, st, ret, rea, rec, bl in found]
            start = end
    except _Refused:
        return None
    if len(rows) != n or at - first != text.count("\n", pos, stop):
        return None
    for day in dates:
        if day[8:] in ("29", "30", "31") or day.startswith("0000"):
            try:
                datetime.fromisoformat(day)
            except ValueError:
                return None
    # a retraction holds no value, no status and a reason that says something (else tomllib's path says which)
    if retracting and any(o.retracted and (o.value is not None or o.obs_status is not None
                                            or not (o.reason or "").strip()) for o in rows):
        return None
    # an infinite value (1e999) makes the sum infinite (so may a sum of huge ones: then look at each)
    if not isfinite(sum(filter(None, map(_VALUE, rows)))) and not all(map(isfinite, filter(None, map(_VALUE, rows)))):
        return None
    return rows, at - 1


_OPTIONAL = (4, 5, 6)  # source, note, obs_status: each on every entry of a chunk, or on none
_UNQUOTE = itemgetter(slice(1, -1))


def _uniform(found: list[tuple], at: int, names: dict[str, str]) -> tuple[list[Observation], int] | None:
    """The entries of a chunk in which every entry has a value, no retraction, and the same optional
    lines (a source on each or on none, a note on each or on none…) followed by one blank line (the last
    entry of the store may have none), and no empty text: built column by column, in C (a million
    entries: a second less than one at a time). The header line of each entry, and the line after the
    chunk; None for any other chunk (the entry-by-entry reader takes it)."""
    m = len(found)
    if not m:
        return None
    cols = list(zip(*found))
    values, retracted, reasons, blanks = cols[3], cols[7], cols[8], cols[10]
    if "" in values or retracted.count("") != m or reasons.count("") != m:
        return None
    texts: list = []
    span = 6  # blank, header, state, indicator, year, recorded_at (the blank line before the next header)
    for k in _OPTIONAL:
        absent = cols[k].count("")
        if absent == m:
            texts.append(repeat(None))
        elif absent or (k != 6 and '""' in cols[k]):
            return None  # on some entries only, or an empty text (read as none): entry by entry
        else:
            span += 1
            if k == 6:
                codes = {c: status_code(c) for c in set(cols[k])}  # (the pattern captures a code unquoted)
                texts.append(map(codes.__getitem__, cols[k]))
            else:
                texts.append(map(_UNQUOTE, cols[k]))
    span += 1  # the value line
    nl = blanks.count("\n")
    short = 0 if nl == m else 1 if nl == m - 1 and blanks[-1] == "" else None
    if short is None:
        return None
    source, note, status = texts
    rows = list(map(_new, repeat(Observation),
                    zip(_shared(cols[0], names), _shared(cols[1], names), map(int, cols[2]), map(float, values),
                        source, note, cols[9],
                        repeat(False), repeat(None), range(at, at + m * span, span), repeat(_LAYER), status,
                        repeat(_RELEASED))))
    return rows, at + m * span - short


def _shared(codes: Sequence[str], names: dict[str, str]) -> Iterable[str]:
    """The codes, each the one string object ``names`` holds for it (added if new)."""
    for c in set(codes).difference(names):
        names[c] = c
    return map(names.__getitem__, codes)


def _no_value(retracted: str) -> float | None:
    if not retracted:
        raise _Refused  # a value is required
    return None


def _span(e: tuple) -> int:
    """How many lines a found entry takes (with the blank lines after it)."""
    return 5 + sum(1 for k in (3, 4, 5, 6, 7, 8) if e[k]) + len(e[10])


def _careful(e: tuple, line: int) -> Observation:
    """A found entry whose texts may hold escapes (or whose value is -0)."""
    state, ind, year, value, source, note, status, retracted, reason, rec, _ = e
    if value:
        number: float | None = 0.0 if value == "-0" else float(value)  # TOML's integer -0 is 0
    else:
        number = _no_value(retracted)
    return _new(Observation, (state, ind, int(year), number, _text(source or None), _text(note or None), rec,
                              retracted != "", _text(reason or None), line, _LAYER,
                              status_code(status) if status else None, _RELEASED))


def _text(quoted: str | None) -> str | None:
    if quoted is None:
        return None
    if "\\" in quoted:
        text = _JSON_STR(quoted)
        if BAD_TEXT.search(text):
            raise _Refused  # an escape made a control character: the text checks say which
    else:
        text = quoted[1:-1]
    if len(text) > MAX_TEXT:
        raise _Refused
    return text or None  # as check_text: empty text is no text


# ------------------------------------------------------------------------------------------ writing

_ESCAPED = re.compile(r'[\x00-\x1f"\\]')  # what json.dumps(ensure_ascii=False) escapes


def toml_str(s: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes; the text checks have already refused the
    # characters (DEL, C1 controls, lone surrogates) that JSON would leave raw but TOML forbids. Text
    # without a character to escape (nearly all) is quoted as it is: the same string, without json.dumps.
    if _ESCAPED.search(s) is None:
        return f'"{s}"'
    return json.dumps(s, ensure_ascii=False)


def serialise(entries: Iterable[Observation], first_line: int, stamp: str | None = None) -> tuple[str, list[int]]:
    """TOML text for new entries (each preceded by a blank line) and the line of each header; an entry
    without a recorded_at gets ``stamp``."""
    chunks, lines = serialise_chunks(entries, first_line, stamp)
    return b"".join(chunks).decode("utf-8"), list(lines)


#: entries are serialised this many at a time: a batch that fits in the processor's cache (measured)
BATCH = 512


def serialise_chunks(entries: Iterable[Observation], first_line: int, stamp: str | None = None,
                     *, size: int = BATCH) -> tuple[list[bytes], array]:
    """``serialise`` as UTF-8 chunks of ``size`` entries (a million entries are never one string), and
    the header lines as a compact array."""
    chunks: list[bytes] = []
    lines = array("q")
    for chunk, at, _ in serialise_batches(entries, first_line, stamp, size=size):
        chunks.append(chunk)
        lines.extend(at)
    return chunks, lines


def serialise_batches(entries: Iterable[Observation], first_line: int, stamp: str | None = None,
                      *, size: int = BATCH) -> Iterator[tuple[bytes, list[int], list[Sequence]]]:
    """``serialise`` a batch of ``size`` entries at a time: the batch's text as UTF-8, the line of each
    entry's header, and the batch's fields column by column (one sequence per field of Observation)."""
    line = first_line - 1  # the blank line before the first entry
    it = iter(entries)
    while batch := list(islice(it, size)):
        columns: list[Sequence] = list(zip(*batch))
        del batch
        text, lines, line = _batch_text(columns, line, stamp)
        yield text.encode("utf-8"), lines, columns


def _batch_text(columns: list[Sequence], line: int, stamp: str | None) -> tuple[str, list[int], int]:
    """The text of a batch of entries given column by column, its first blank line at ``line``: the text,
    the line of each entry's header, and the line after the batch.

    In C, column by column: the text is joined from pieces (``key = ``, a value, a newline) taken from
    each column in turn; each distinct code is quoted once, and a column of text is put between quotes
    as it is when nothing in it needs an escape (nearly always)."""
    state, indicator, year, value, source, note, recorded, retracted, reason = columns[:9]
    n = len(state)
    # the pieces of each entry, in order: constant text (str) or one piece per entry (a column)
    pieces: list[str | Iterable[str]] = ["\n[[observation]]\nstate = ", _codes(state), "\nindicator = ",
                                         _codes(indicator), "\nyear = ", map(str, year), "\n"]
    some: list[Sequence[bool]] = []  # which entries have a line that not every entry has
    steps = 5  # the lines every entry has: blank, header, state, indicator, year

    def add(key: str, values: Sequence, show: Callable[[Any], str] | None = None) -> None:
        """The ``key = value`` lines of a column (None: no line); text is quoted unless ``show``."""
        nonlocal steps
        absent = values.count(None)
        if absent == n:
            return
        if absent:
            has = [v is not None for v in values]
            some.append(has)
            shown = map(show or toml_str, [v for v in values if v is not None])
            pieces.append([f"{key} = {next(shown)}\n" if h else "" for h in has])
            return
        steps += 1
        if show is None and _ESCAPED.search("".join(values)) is None:
            pieces.extend((f'{key} = "', values, '"\n'))
        else:
            pieces.extend((f"{key} = ", map(show or toml_str, values), "\n"))

    add("value", value, repr)
    add("source", source)
    add("note", note)
    add("obs_status", columns[_STATUS])
    if any(retracted):
        add("retracted", ["true" if r else None for r in retracted], str)
        add("reason", [w if r else None for w, r in zip(reason, retracted)])
    if stamp is not None and recorded.count(None) == n:
        steps += 1
        pieces.append(f"recorded_at = {stamp}\n")
    else:
        add("recorded_at", [r or stamp or None for r in recorded], str)
    merged: list[Iterable[str]] = []  # constants next to each other joined: fewer pieces to join
    for constant, items in groupby(pieces, key=lambda p: type(p) is str):
        if constant:
            merged.append(repeat("".join(items)))  # type: ignore[arg-type]
        else:
            merged.extend(items)
    text = "".join(chain.from_iterable(zip(*merged)))
    if some:
        starts = list(accumulate([steps + sum(has) for has in zip(*some)], initial=line))
        after = starts.pop()
        return text, [s + 1 for s in starts], after
    return text, list(range(line + 1, line + 1 + steps * n, steps)), line + steps * n


_STATUS = Observation._fields.index("obs_status")


def _codes(codes: Sequence[str]) -> Iterator[str]:
    """Codes (states, indicators) quoted, each distinct one once."""
    quoted = {c: toml_str(c) for c in set(codes)}
    return map(quoted.__getitem__, codes)
