"""Generative hostile-input tests (SPEC §2.2, §3, §6, §7 "Bad input").

Every input path is fed hostile variants drawn by Hypothesis — random bytes, and valid documents
mutated at the byte level (dropped, duplicated and swapped bytes; injected quotes, NUL, CR, a BOM in the
middle, Latin-1 bytes, huge numbers, NaN/Infinity) and at the structure level (wrong types, nested JSON,
extra or missing columns, duplicated headers, duplicated and conflicting rows):

* ``record --file`` with CSV, TSV, JSON, JSON Lines and SDMX-CSV, from a file or from stdin;
* a ``targets.toml`` in the data folder (then ``check``, ``status``, ``gaps``, ``targets``, ``record``);
* the store ``observations.toml`` itself (then ``check``, ``status``, ``history``, ``export``, ``record``).

Each command runs in-process through ``admtrack.cli.main``. What must always hold:

* the exit code is 0, 1 or 2, and nothing escapes ``main`` (no traceback);
* on failure stderr is one ``admtrack: error:`` line (``check`` prints one per problem and a count; a
  bad-rows header may be followed by detail lines indented by two spaces), and carries no raw control
  characters; stdout stays empty;
* a ``record`` that fails leaves the store byte-for-byte unchanged (and no temporary files); one that
  succeeds only appends, and leaves a store that ``check`` accepts;
* a store that tomllib cannot parse is reported by every command and never overwritten;
* what the tool reads from a store is what tomllib reads from it (the fast reader never misreads);
* an unmutated valid document is accepted and recorded exactly;
* when ``check`` accepts the data folder, the reading commands succeed (and their JSON holds no NaN).

Mutations are format-aware where blind damage rarely reaches the interesting checks: a number literal or
a ``key = value`` right-hand side swapped for a hostile one, one plan value replaced by a hostile value of
the same type. Known-hostile cases (non-finite numbers in a plan or a store, control characters in keys)
are pinned with ``@example`` so that they run on every build.

The budget is fixed (``max_examples``, ``derandomize=True``, no example database, no shrinking), so a
run is deterministic and bounded in time. For a longer local hunt raise ``ADMTRACK_FUZZ_SCALE`` (a
multiplier of every budget); ``ADMTRACK_FUZZ_SHRINK=1`` shrinks a failure to a minimal example.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import shutil
import sys
import tempfile
import tomllib
import traceback
from datetime import UTC, datetime
from pathlib import Path

import pytest
import tomli_w
from conftest import YEAR
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st

from admtrack.cli import main
from admtrack.model import Observation
from admtrack.plan import bundled_text
from admtrack.store import HEADER, serialise

STORE = "observations.toml"
PREFIX = "admtrack: error:"
SCALE = max(1, int(os.environ.get("ADMTRACK_FUZZ_SCALE", "1")))
# Shrinking a failure can take minutes; CI reports the failing example as found. ADMTRACK_FUZZ_SHRINK=1 shrinks.
PHASES = [Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if os.environ.get("ADMTRACK_FUZZ_SHRINK")
                                                          else [])


def budget(n: int):
    return settings(
        max_examples=n * SCALE,
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=False,
        phases=PHASES,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


# ---- running the CLI in-process -------------------------------------------------------------------------

class Run:
    def __init__(self, args: list[str], code: int, out: str, err: str) -> None:
        self.args, self.code, self.out, self.err = args, code, out, err

    def __repr__(self) -> str:
        return f"Run({self.args!r}, code={self.code}, err={self.err[:2000]!r}, out={self.out[:300]!r})"


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CHECK_SUMMARY = re.compile(r"admtrack: \d+ problem\(s\) found")


def adm(data_dir: Path, *args, stdin: bytes | None = None, no_reference: bool = False) -> Run:
    """``admtrack --data-dir DATA_DIR ARGS`` in-process, with the invariants every run must keep."""
    argv = ["--data-dir", str(data_dir)] + (["--no-reference"] if no_reference else []) + [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(argv)
                code = 0
            except SystemExit as exc:
                code = 0 if exc.code is None else exc.code
            except BaseException:  # noqa: BLE001 - anything escaping main() is a traceback for the user
                raise AssertionError(f"uncaught exception (a traceback for the user) from admtrack "
                                     f"{argv!r}:\n{traceback.format_exc()}") from None
    finally:
        sys.stdin = old_stdin
    r = Run(argv, code, out.getvalue(), err.getvalue())
    assert_clean(r)
    return r


def assert_clean(r: Run) -> None:
    command = next((a for a in r.args if not a.startswith("-") and a not in _option_values(r.args)), "")
    assert r.code in (0, 1, 2), r
    assert "Traceback" not in r.out and "Traceback" not in r.err, r
    lines = r.err.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if r.code == 0:
        assert not any(ln.startswith(PREFIX) for ln in lines), r
        return
    assert lines and lines[0].startswith(PREFIX), r
    for ln in lines[1:]:
        ok = ln.startswith("  ") or (command == "check" and (ln.startswith(PREFIX) or _CHECK_SUMMARY.fullmatch(ln)))
        assert ok, ("a stray stderr line", ln, r)
    assert not _CONTROL.search(r.err), ("raw control character in an error message", r)
    if command != "check":
        assert r.out == "", ("output on stdout from a failed command", r)


def _option_values(args: list[str]) -> set[str]:
    out = set()
    for i, a in enumerate(args[:-1]):
        if a in ("--data-dir", "--file", "--input-format", "--source", "--note", "--format", "-f", "--reason",
                 "--method", "--state", "--indicator", "--dataflow"):
            out.add(args[i + 1])
    return out


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(".*.tmp")) if folder.exists() else []


def read_store(folder: Path) -> bytes | None:
    p = folder / STORE
    return p.read_bytes() if p.exists() else None


def assert_record_outcome(data: Path, before: bytes | None, r: Run, *, dry_run: bool = False) -> None:
    """A failed (or dry) record leaves the store as it was; a successful one only appends, validly."""
    after = read_store(data)
    assert not leftovers(data), (leftovers(data), r)
    if r.code != 0 or dry_run:
        assert after == before, ("the store changed although record failed" if r.code else
                                 "the store changed on --dry-run", r)
        return
    if after == before:
        return
    base = before or b""
    assert after is not None and after.startswith(base), ("record rewrote earlier bytes of the store", r)
    tomllib.loads(after.decode("utf-8"))
    chk = adm(data, "check", no_reference=True)
    assert chk.code == 0, ("record wrote a store that check refuses", r, chk)


@contextlib.contextmanager
def sandbox(base: Path):
    """A fresh folder per example: ``box/data`` is the data folder, ``box`` holds input files."""
    box = Path(tempfile.mkdtemp(dir=base))
    data = box / "data"
    data.mkdir()
    try:
        yield box, data
    finally:
        shutil.rmtree(box, ignore_errors=True)


# ---- the seeded store ------------------------------------------------------------------------------------

SEED = [
    {"state": "VNM", "indicator": "digital-economy-share", "year": 2023, "value": 16.5, "source": "MIC"},
    {"state": "VNM", "indicator": "digital-economy-share", "year": 2024, "value": 18.3, "source": "MIC",
     "note": 'est. "provisional"\n2nd line\ttab'},
    {"state": "THA", "indicator": "gdp", "year": 2024, "value": 526.4, "source": "NESDC"},
    {"state": "IDN", "indicator": "public-services-ai-share", "year": 2025, "value": 12.0, "source": "Kominfo"},
    {"state": "ASEAN", "indicator": "digital-economy-share", "year": 2024, "value": 9.1,
     "source": "ASEAN Secretariat — Kinh tế số 📈"},
    {"state": "SGP", "indicator": "population", "year": 2024, "value": 6036900, "source": "=SingStat", "note": "]]"},
]


AT = "2026-01-02T03:04:05.123456Z"


def _seed_store() -> bytes:
    """SEED, a revision and a retraction, in the exact layout admtrack writes (what its fast reader reads)."""
    entries = [Observation(r["state"], r["indicator"], r["year"], float(r["value"]), r.get("source"), r.get("note"), AT)
               for r in SEED]
    entries.append(Observation("THA", "gdp", 2024, 530.25, "NESDC rev.", None, "2026-01-02T03:04:06.000001Z"))
    entries.append(Observation("IDN", "public-services-ai-share", 2025, None, None, None, "2026-01-02T03:04:07.000000Z",
                         retracted=True, reason="definition changed"))
    text, _ = serialise(entries, HEADER.count("\n") + 2)
    return HEADER.encode("utf-8") + text.encode("utf-8")


SEED_STORE = _seed_store()


def put_seed(data: Path) -> bytes:
    (data / STORE).write_bytes(SEED_STORE)
    return SEED_STORE


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


# ---- building blocks: hostile tokens and mutations -------------------------------------------------------

HOSTILE_BYTES = [
    b'"', b"'", b'""', b"\x00", b"\r", b"\n", b"\r\n", b"\xef\xbb\xbf", b"\xe9", b"caf\xe9", b"\xff\xfe", b"\xc3",
    b"\xc2\x85", b"\xe2\x80\xa8", b"\x7f", b"\x1b[31m", b",", b"\t", b";", b"{", b"}", b"[", b"]", b"[[", b"]]",
    b"=", b"#", b"\\", b"\\u0000", b"\\ud800", b"\\x", b"NaN", b"nan", b"Infinity", b"-inf", b"1e999", b"-1e999",
    b"9" * 400, b"0." + b"0" * 400 + b"1", b"null", b"true", b'"""', b"'''", b"[[observation]]\n", b"state = ",
    b"value = ", b"year = ", b" ", b"-", b"+", b"0x", b"_", b"e", b".", b"12,5", b"=cmd|' /C calc'!A0",
]

# cell texts for CSV/TSV/SDMX and JSON strings
HOSTILE_TEXT = [
    "", " ", "NaN", "nan", "inf", "-Infinity", "1e999", "-1e999", "1" + "0" * 400, "12,5", "1 000", "1_000",
    "0x1A", "١٢", "２０２４", "2024.0", "2024.5", " 2024 ", "-0", "+5", ".5", "5.", "1e-400", "5e-324",
    "1.7976931348623157e308", "1.8e308", "=1+1", "+1", "-1", "-5", "@SUM(A1)", "\t=1", "\r=1", "true", "null",
    '"', '""', "'", "\x00", "\r", "\n", "\r\n", "\ufeff", "é", "\u2028", "\x85", "\x7f", "\x1b[31m", "VNM\x00",
    "\ud800", "x" * 10_001, "[[observation]]", 'a"\n[[observation]]\nstate = "X', '"""', "\\", "\\n", "ASEAN",
    "asean", "Vietnam", "vn", " lao ", "xyz", "digital-economy-value-added", "labour-productivity", "GDP", "gdp ",
    "1989", "1990", str(YEAR), str(YEAR + 1), "99999999999999999999", "101", "100", "0", "2024-Q1", "2024-01",
    "[/]", "[bold red]x", "[link=javascript:alert(1)]y[/link]", "\\[x]", "%s%n", "{0}",
]

STATE_SPELLINGS = [
    ("VNM", "VNM"), ("Vietnam", "VNM"), ("vn", "VNM"), ("Viet Nam", "VNM"), ("LAO", "LAO"), ("Laos", "LAO"),
    ("lao people's democratic republic", "LAO"), ("THA", "THA"), ("th", "THA"), ("IDN", "IDN"), ("MYS", "MYS"),
    ("Burma", "MMR"), ("The Philippines", "PHL"), ("SGP", "SGP"), ("Brunei", "BRN"), ("KHM", "KHM"),
    ("East Timor", "TLS"), ("TLS", "TLS"), ("ASEAN", "ASEAN"), ("asean", "ASEAN"), (" VNM ", "VNM"),
]
INDICATORS = {
    "digital-economy-share": 100.0, "digital-economy-value-added": None, "skilled-workforce-share": 100.0,
    "labour-productivity": None, "public-services-ai-share": 100.0, "social-service-cost": None, "gdp": None,
    "population": None, "labour-force": None,
}
UNITS = {"digital-economy-share": "PT", "skilled-workforce-share": "PT", "public-services-ai-share": "PT",
         "digital-economy-value-added": "USD_BN", "gdp": "USD_BN", "labour-productivity": "USD",
         "social-service-cost": "IX", "population": "PS", "labour-force": "PS"}

# text that check_text accepts: no Cc but tab and newline, no lone surrogates
valid_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="".join(
        chr(c) for c in list(range(0, 9)) + list(range(11, 32)) + list(range(127, 160)))),
    max_size=24,
) | st.sampled_from(["=SUM(A1:A9)", "+1", "-2", "@x", "\tlead tab", "a,b", 'q"q', "line\nbreak", "]]", "# x",
                     "ข้อมูล", "数字经济", "📈🇻🇳", "\u2028", "\ufeffbom", "  spaced  "])


@st.composite
def valid_rows(draw, *, max_rows: int = 6) -> list[dict]:
    """Rows that must be accepted: unique keys, values in bounds; each row keeps its expected clean values."""
    n = draw(st.integers(1, max_rows))
    rows, keys = [], set()
    for _ in range(n):
        spelled, code = draw(st.sampled_from(STATE_SPELLINGS))
        ind = draw(st.sampled_from(sorted(INDICATORS)))
        year = draw(st.integers(1990, YEAR))
        if (code, ind, year) in keys:
            continue
        keys.add((code, ind, year))
        hi = INDICATORS[ind]
        x = draw(st.floats(0, hi if hi is not None else 1e15, allow_nan=False, allow_infinity=False)
                 | st.sampled_from([0.0, 0.1 + 0.2, 1e-7, 5e-324, 12.0, 99.99999999999999]))
        if hi is None and draw(st.booleans()):
            x = draw(st.sampled_from([123456789.123, 1.7976931348623157e308, 6036900.0, x]))
        text = draw(st.sampled_from([repr(x), f"{x:.17g}", f"{x:.17e}", f" {x!r} ", "+" + repr(x)]))
        source = draw(st.none() | valid_text)
        note = draw(st.none() | valid_text)
        rows.append({"spelled": spelled, "state": code, "indicator": ind, "year": year, "value_text": text,
                     "value": float(text), "source": source or None, "note": note or None,
                     "raw_source": source, "raw_note": note})
    return rows


HOSTILE_NUMBERS = [
    b"1e999", b"-1e999", b"1E400", b"nan", b"-nan", b"inf", b"+inf", b"NaN", b"Infinity", b"9" * 400, b"-0",
    b"-0.0", b"1e-400", b"0x10", b"0o7", b"0b1", b"1_000", b"+5", b"2024.5", b"-5", b"101", b"100.0000001",
    b"5e-324", b"1.7976931348623157e308", b"01", b"1.", b".5", b"1e", b"1989", b"2200", b"9999", b"-2024", b"0",
    b"true", b'"12"', b"[]",
]
# keys and names that error messages might echo
HOSTILE_KEYS = ["extra", "State", "", "value ", "\x00", "a\nb", "\x1b[31mred\x1b[0m", "cr\rlf", "\u2028", "\x85",
                "recorded_at", "layer", "k" * 300, "=1+1", "[x]"]
_NUMBER_TOKEN = re.compile(rb"(?<![\w.-])-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w.])")
_STRING_TOKEN = re.compile(rb'"(?:[^"\\\n]|\\.)*"')


@st.composite
def byte_mutations(draw, data: bytes, max_ops: int = 4) -> bytes:
    """Byte-level damage, plus token swaps: a number literal for a hostile one, a string's content for
    hostile text (escaped as JSON/TOML would, or raw)."""
    buf = bytearray(data)
    for _ in range(draw(st.integers(0, max_ops))):
        op = draw(st.sampled_from(["drop", "dup", "swap", "insert", "insert", "byte", "truncate", "drop_line",
                                   "dup_line", "swap_lines", "number", "number", "string", "string"]))
        i = draw(st.integers(0, len(buf)))
        if op == "drop":
            del buf[i:i + draw(st.integers(1, 8))]
        elif op == "dup":
            buf[i:i] = buf[i:i + draw(st.integers(1, 16))]
        elif op == "swap" and i + 1 < len(buf):
            buf[i], buf[i + 1] = buf[i + 1], buf[i]
        elif op == "insert":
            buf[i:i] = draw(st.sampled_from(HOSTILE_BYTES))
        elif op == "byte" and i < len(buf):
            buf[i] = draw(st.integers(0, 255))
        elif op == "truncate":
            del buf[i:]
        elif op in ("drop_line", "dup_line", "swap_lines"):
            lines = bytes(buf).split(b"\n")
            j = draw(st.integers(0, len(lines) - 1))
            if op == "drop_line":
                del lines[j]
            elif op == "dup_line":
                lines.insert(j, lines[j])
            elif j + 1 < len(lines):
                lines[j], lines[j + 1] = lines[j + 1], lines[j]
            buf = bytearray(b"\n".join(lines))
        elif op in ("number", "string"):
            found = list((_NUMBER_TOKEN if op == "number" else _STRING_TOKEN).finditer(bytes(buf)))
            if not found:
                continue
            m = found[draw(st.integers(0, len(found) - 1))]
            if op == "number":
                new = draw(st.sampled_from(HOSTILE_NUMBERS))
            else:
                text = draw(st.sampled_from(HOSTILE_TEXT + HOSTILE_KEYS))
                escaped = draw(st.booleans())
                new = encode(json.dumps(text, ensure_ascii=False)) if escaped else b'"' + encode(text) + b'"'
            buf[m.start():m.end()] = new
    return bytes(buf)


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate becomes invalid UTF-8, as in the wild


# ---- tabular documents (CSV, TSV, SDMX-CSV) ---------------------------------------------------------------

def table_of(rows: list[dict], fmt: str, draw) -> list[list[str]]:
    if fmt == "sdmx-csv":
        head = ["DATAFLOW", "REF_AREA", "INDICATOR", "TIME_PERIOD", "OBS_VALUE", "UNIT_MEASURE", "OBS_STATUS"]
        body = [["ASEAN:ADM2030(1.0)", r["spelled"], r["indicator"], str(r["year"]), r["value_text"],
                 UNITS[r["indicator"]], "A"] for r in rows]
        return [head] + body
    cols = ["state", "indicator", "year", "value", "source", "note"]
    if draw(st.booleans()):
        cols = draw(st.permutations(cols))
    head = [draw(st.sampled_from([c, c.upper(), f" {c} ", c.title()])) for c in cols]
    get = {"state": "spelled", "indicator": "indicator", "year": "year", "value": "value_text",
           "source": "raw_source", "note": "raw_note"}
    body = [["" if r[get[c]] is None else str(r[get[c]]) for c in cols] for r in rows]
    return [head] + body


@st.composite
def table_mutations(draw, table: list[list[str]], fmt: str) -> list[list[str]]:
    t = [list(r) for r in table]
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["cell", "cell", "cell", "drop_cell", "add_cell", "dup_header", "rename_header",
                                   "drop_column", "add_column", "dup_row", "conflict", "header_only", "blank_row",
                                   "no_header", "swap_header"]))
        r = draw(st.integers(0, len(t) - 1))
        width = len(t[0]) if t and t[0] else 1
        c = draw(st.integers(0, max(0, width - 1)))
        if op == "cell" and len(t) > 1 and r > 0 and c < len(t[r]):
            t[r][c] = draw(st.sampled_from(HOSTILE_TEXT))
        elif op == "drop_cell" and t[r]:
            del t[r][min(c, len(t[r]) - 1)]
        elif op == "add_cell":
            t[r].append(draw(st.sampled_from(HOSTILE_TEXT)))
        elif op == "dup_header" and t[0]:
            name = t[0][min(c, len(t[0]) - 1)]
            t[0].append(name)
            for row in t[1:]:
                row.append(draw(st.sampled_from(HOSTILE_TEXT)))
        elif op == "rename_header" and t[0]:
            t[0][min(c, len(t[0]) - 1)] = draw(st.sampled_from(
                HOSTILE_TEXT[:20] + ["State", "DATAFLOW", "REF_AREA", "recorded_at", "layer", "unit", "extra", "",
                                     "\ufeffstate", "state\x00"]))
        elif op == "drop_column" and t[0]:
            for row in t:
                if c < len(row):
                    del row[c]
        elif op == "add_column":
            t[0].append(draw(st.sampled_from(["recorded_at", "layer", "comment", "OBS_COMMENT", "retracted"])))
            for row in t[1:]:
                row.append(draw(st.sampled_from(HOSTILE_TEXT)))
        elif op == "dup_row" and len(t) > 1:
            t.insert(r or 1, list(t[r or 1]))
        elif op == "conflict" and len(t) > 1:
            row = list(t[r or 1])
            vi = next((i for i, h in enumerate(t[0]) if h.strip().lower() in ("value", "obs_value")), None)
            if vi is not None and vi < len(row):
                row[vi] = "7.25" if row[vi] != "7.25" else "7.5"
            t.append(row)
        elif op == "header_only":
            t = t[:1]
        elif op == "blank_row":
            t.insert(r, [])
        elif op == "no_header" and len(t) > 1:
            t = t[1:]
        elif op == "swap_header" and len(t[0]) > 1:
            a, b = draw(st.permutations(range(len(t[0]))))[:2]
            t[0][a], t[0][b] = t[0][b], t[0][a]
    return t


def render_table(t: list[list[str]], delimiter: str, draw) -> bytes:
    buf = io.StringIO()
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    # Python's writer quotes only the characters of its own line terminator: with "\r" alone, a cell
    # holding "\n" would go out bare, so quote everything then
    quoting = csv.QUOTE_ALL if eol == "\r" else draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    w = csv.writer(buf, delimiter=delimiter, lineterminator=eol, quoting=quoting)
    for row in t:
        w.writerow(row)
    data = encode(buf.getvalue())
    return (b"\xef\xbb\xbf" + data) if draw(st.booleans()) else data


# ---- JSON documents ---------------------------------------------------------------------------------------

class Raw:
    """A JSON fragment written as is (NaN, 1e999, deep nesting, bad escapes, …)."""

    def __init__(self, text: str) -> None:
        self.text = text


RAW_JSON = ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1" + "0" * 400, "0." + "0" * 400 + "1", "01",
            "+1", ".5", "0x10", "tru", '"\\ud800"', '"\\u0000"', '"a\\x"', "[" * 3000 + "]" * 3000,
            '{"a":' * 3000 + "1" + "}" * 3000, "[" * 30 + "]" * 30, '"2024"', "2024.0", "2024.5", "1e3", "-0",
            '"5e-324"', "5e-324", "1.7976931348623157e308", "1.8e308"]
JSON_VALUES = st.one_of(
    st.sampled_from([None, True, False, 0, -1, 10 ** 400, 1e308, -0.0, "", [], {}, [1], {"a": 1}, [[[]]],
                     {"state": "VNM"}, 2024, 2024.5, "VNM", "gdp", 18.3]),
    st.sampled_from(HOSTILE_TEXT),
    st.sampled_from(RAW_JSON).map(Raw),
)


def json_value(v) -> str:
    if isinstance(v, Raw):
        return v.text
    return json.dumps(v, ensure_ascii=False)


def json_object(pairs: list[tuple[str, object]]) -> str:
    return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {json_value(v)}" for k, v in pairs) + "}"


def json_pairs(r: dict, draw) -> list[tuple[str, object]]:
    value = draw(st.sampled_from([r["value"], r["value_text"]]))
    year = draw(st.sampled_from([r["year"], str(r["year"])]))
    pairs = [("state", r["spelled"]), ("indicator", r["indicator"]), ("year", year), ("value", value)]
    for k in ("source", "note"):
        raw = r[f"raw_{k}"]
        if raw is not None or draw(st.booleans()):
            pairs.append((k, raw))
    return pairs


@st.composite
def pair_mutations(draw, objs: list[list[tuple[str, object]]]) -> tuple[list, object]:
    """Mutated objects, and a top-level shape (None: a plain array)."""
    objs = [list(o) for o in objs]
    shape = None
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["value", "value", "value", "drop_key", "unknown_key", "dup_key", "rename_key",
                                   "dup_obj", "conflict", "not_object", "shape", "empty"]))
        if not objs:
            objs = [[("state", "VNM")]]
        o = draw(st.integers(0, len(objs) - 1))
        obj = objs[o]
        k = draw(st.integers(0, max(0, len(obj) - 1)))
        if op == "value" and obj:
            obj[k] = (obj[k][0], draw(JSON_VALUES))
        elif op == "drop_key" and obj:
            del obj[k]
        elif op == "unknown_key":
            obj.append((draw(st.sampled_from(HOSTILE_KEYS)), draw(JSON_VALUES)))
        elif op == "dup_key" and obj:
            obj.append((obj[k][0], draw(JSON_VALUES)))
        elif op == "rename_key" and obj:
            obj[k] = (draw(st.sampled_from(["STATE", "Value", "years", "ref_area", "OBS_VALUE"])), obj[k][1])
        elif op == "dup_obj":
            objs.insert(o, list(obj))
        elif op == "conflict":
            objs.append([(a, (7.25 if a == "value" else b)) for a, b in obj])
        elif op == "not_object":
            objs[o] = [("__raw__", draw(JSON_VALUES))]
        elif op == "shape":
            shape = draw(st.sampled_from(["observations", "observations-not-list", "object", "scalar", "nested"]))
        elif op == "empty":
            objs = []
    return objs, shape


def render_json(objs: list, shape, jsonl: bool) -> bytes:
    def one(o):
        if len(o) == 1 and o[0][0] == "__raw__":
            return json_value(o[0][1])
        return json_object(o)

    if jsonl:
        return encode("".join(one(o) + "\n" for o in objs))
    body = "[" + ",\n ".join(one(o) for o in objs) + "]"
    if shape == "observations":
        body = '{"schema": "admtrack.observations/1", "observations": ' + body + "}"
    elif shape == "observations-not-list":
        body = '{"observations": {"state": "VNM"}}'
    elif shape == "object":
        body = one(objs[0]) if objs else "{}"
    elif shape == "scalar":
        body = "42"
    elif shape == "nested":
        body = "[" + body + "]"
    return encode(body)


# ---- the documents of record --file -----------------------------------------------------------------------

EXT = {"csv": ".csv", "tsv": ".tsv", "json": ".json", "jsonl": ".jsonl", "sdmx-csv": ".sdmx"}


@st.composite
def input_docs(draw, fmt: str) -> tuple[bytes, list[dict], bool]:
    """(bytes, the valid rows it was made from, mutated?)."""
    rows = draw(valid_rows())
    if fmt in ("csv", "tsv", "sdmx-csv"):
        table = table_of(rows, fmt, draw)
        structural = draw(st.booleans())
        if structural:
            table = draw(table_mutations(table, fmt))
        data = render_table(table, "\t" if fmt == "tsv" else ",", draw)
    else:
        objs = [json_pairs(r, draw) for r in rows]
        structural = draw(st.booleans())
        shape = None
        if structural:
            objs, shape = draw(pair_mutations(objs))
        data = render_json(objs, shape, fmt == "jsonl")
    mutated = draw(byte_mutations(data))
    return mutated, rows, structural or mutated != data


CHANNELS = ["file", "stdin-explicit", "stdin-sniff", "file-explicit"]


def record_file(box: Path, data: Path, doc: bytes, fmt: str, channel: str, *extra: str) -> Run:
    if channel == "file":
        f = box / f"in{EXT[fmt]}"
        f.write_bytes(doc)
        args = ["record", "--file", f]
        if fmt == "sdmx-csv":
            args += ["--input-format", fmt]  # '.sdmx' is no known extension: say what it is
    elif channel == "file-explicit":
        f = box / "input.txt"
        f.write_bytes(doc)
        args = ["record", "--file", f, "--input-format", fmt]
    elif channel == "stdin-explicit":
        args = ["record", "--file", "-", "--input-format", fmt]
    else:
        args = ["record", "--file", "-"]
    return adm(data, *args, *extra, stdin=doc if channel.startswith("stdin") else None)


def current_store_rows(data: Path) -> dict:
    r = adm(data, "export", "--format", "json", no_reference=True)
    assert r.code == 0, r
    doc = json.loads(r.out)
    return {(o["state"], o["indicator"], o["year"]): o for o in doc["observations"]}


def check_input_doc(base: Path, fmt: str, doc: bytes, rows: list[dict], mutated: bool, channel: str,
                    flags: tuple[str, ...]) -> None:
    with sandbox(base) as (box, data):
        before = put_seed(data)
        if not mutated:
            flags = ("--revise",)
        r = record_file(box, data, doc, fmt, channel, *flags)
        event(f"{'mutated' if mutated else 'valid'} document: exit {r.code}")
        assert r.code in (0, 1), r  # no usage error: every argument here is well-formed
        assert_record_outcome(data, before, r, dry_run="--dry-run" in flags)
        if r.code == 1:
            assert "nothing recorded" in r.err or r.err.count("\n") == 1, r
        if mutated:
            return
        # an unmutated valid document is accepted and recorded exactly; sniffing (no extension, no
        # --input-format) may fail to recognise SDMX-CSV with a quoted header, but then refuses it cleanly
        if fmt == "sdmx-csv" and channel == "stdin-sniff" and r.code == 1:
            assert "unknown column 'dataflow'" in r.err, r
            return
        assert r.code == 0, ("a valid document was refused", fmt, channel, r)
        now = current_store_rows(data)
        for row in rows:
            got = now[(row["state"], row["indicator"], row["year"])]
            assert got["value"] == row["value"], (row, got)
            if fmt != "sdmx-csv":
                assert (got["source"], got["note"]) == (row["source"], row["note"]), (row, got)


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "jsonl", "sdmx-csv"])
@budget(70)
@given(data=st.data())
def test_record_file_survives_mutated_documents(base, fmt, data):
    doc, rows, mutated = data.draw(input_docs(fmt), label="document")
    channel = data.draw(st.sampled_from(CHANNELS), label="channel")
    flags = data.draw(st.sampled_from([(), (), ("--revise",), ("--dry-run",)]), label="flags")
    check_input_doc(base, fmt, doc, rows, mutated, channel, flags)


@budget(60)
@given(doc=st.binary(max_size=600) | st.binary(max_size=64).map(lambda b: b * 40),
       fmt=st.sampled_from(["csv", "tsv", "json", "jsonl", "sdmx-csv"]),
       channel=st.sampled_from(CHANNELS))
def test_record_file_survives_random_bytes(base, doc, fmt, channel):
    with sandbox(base) as (box, data):
        before = put_seed(data)
        r = record_file(box, data, doc, fmt, channel)
        event(f"exit {r.code}")
        assert r.code in (0, 1), r
        assert_record_outcome(data, before, r)


@budget(25)
@given(doc=st.binary(max_size=300), fmt=st.sampled_from(["csv", "json", "jsonl"]))
def test_record_file_into_an_empty_data_folder(base, doc, fmt):
    """No store yet: a refusal must not create one (nor a lock-free temp file)."""
    with sandbox(base) as (box, data):
        r = record_file(box, data, doc, fmt, "stdin-explicit")
        assert_record_outcome(data, None, r)
        if r.code:
            assert not (data / STORE).exists()


GOOD_ROW = '"state": "KHM", "indicator": "gdp", "year": 2024, "value": 45.1'
KNOWN_HOSTILE_INPUTS = [
    # names the reader echoes in its messages: they must come out escaped, on one line
    ("json", ('[{' + GOOD_ROW + ', "a\\nb\\u001b[31m": 1}]').encode()),
    ("json", ('[{' + GOOD_ROW + ', "\\u0000": 1}]').encode()),
    ("jsonl", ('{' + GOOD_ROW + ', "cr\\rlf": 1}\n').encode()),
    ("jsonl", ('{' + GOOD_ROW + ', "\\u0085": 1}\n').encode()),
    ("csv", b'state,indicator,year,value,"a\nb"\nKHM,gdp,2024,45.1,x\n'),
    ("csv", b'state,indicator,year,value,"\x1b[31m"\nKHM,gdp,2024,45.1,x\n'),
    ("tsv", b'state\tindicator\tyear\t"value\r"\nKHM\tgdp\t2024\t45.1\n'),
    ("csv", b'state,indicator,year,value\n"KHM\r\n[[observation]]",gdp,2024,45.1\n'),
    ("json", b'[{"state": "KHM\\n\\u001b[2J", "indicator": "gdp\\r", "year": "2024\\n", "value": "1\\u0000"}]'),
    ("sdmx-csv", b'DATAFLOW,REF_AREA,INDICATOR,TIME_PERIOD,OBS_VALUE\nX:Y(1),"KHM\n\x1b[31m",gdp,2024,1\n'),
    # numbers and nesting
    ("json", ('[{"state": "KHM", "indicator": "gdp", "year": 1' + "0" * 400 + ', "value": 1}]').encode()),
    ("json", b'[{"state": "KHM", "indicator": "gdp", "year": 1e400, "value": 1}]'),
    ("json", b'[{"state": "KHM", "indicator": "gdp", "year": 2024, "value": "1e999"}]'),
    ("json", b'[{"state": "KHM", "indicator": "gdp", "year": 2024, "value": -0.0}]'),
    ("json", b'[{"state": "KHM", "indicator": "gdp", "year": 2024, "value": 5e-324}]'),
    ("json", b'[{"state": ["KHM"], "indicator": {"id": "gdp"}, "year": [2024], "value": {"v": 1}}]'),
    ("json", b"[" * 50_000 + b"]" * 50_000),
    ("json", b'{"observations": [' + b"[" * 5000 + b"]" * 5000 + b"]}"),
    ("jsonl", b'{"state": ' + b"[" * 50_000 + b"\n"),
    ("csv", b"state,indicator,year,value\nKHM,gdp,2024,1" + b"0" * 5000 + b"\n"),
    ("csv", b"state,indicator,year,value\nKHM,gdp,2024,\xef\xbc\x91\n"),  # a full-width digit
    # encodings and line endings
    ("csv", b"state,indicator,year,value\r\nKHM,gdp,2024,45.1\r\n\xef\xbb\xbfKHM,gdp,2023,44\r\n"),
    ("tsv", b"state\tindicator\tyear\tvalue\rKHM\tgdp\t2024\t45.1\r"),
    ("csv", "state,indicator,year,value,source\nKHM,gdp,2024,45.1,Institut national de la statistique café\n"
     .encode("latin-1")),
    ("csv", "state,indicator,year,value\nKHM,gdp,2024,45.1\n".encode("utf-16")),
    ("json", b'[{"state": "KHM", "indicator": "gdp", "year": 2024, "value": 45.1, "note": "\\ud800"}]'),
    ("csv", b"state,indicator,year,value,state\nKHM,gdp,2024,45.1,VNM\n"),
    ("sdmx-csv", b"DATAFLOW,REF_AREA,INDICATOR,TIME_PERIOD,OBS_VALUE,REF_AREA\nX:Y(1),KHM,gdp,2024,1,VNM\n"),
]


@budget(40)
@given(case=st.sampled_from(KNOWN_HOSTILE_INPUTS), channel=st.sampled_from(CHANNELS), data=st.data())
def test_record_file_known_hostile_documents(base, case, channel, data):
    fmt, doc = case
    doc = data.draw(byte_mutations(doc, max_ops=1) | st.just(doc), label="document")
    with sandbox(base) as (box, folder):
        before = put_seed(folder)
        r = record_file(box, folder, doc, fmt, channel)
        assert r.code in (0, 1), r
        assert_record_outcome(folder, before, r)


# ---- targets.toml in the data folder ---------------------------------------------------------------------

PLAN_TEXT = bundled_text()
PLAN_DOC = tomllib.loads(PLAN_TEXT)
PLAN_BYTES = PLAN_TEXT.encode("utf-8")

HOSTILE_FLOATS = [float("nan"), float("inf"), float("-inf"), 1e308, -1e308, 1.7976931348623157e308, 5e-324, 0.0,
                  -0.0, -1.0, -2.0, 0.5, 1e-300, 10 ** 30, -10 ** 30, 2 ** 63, 0, -1, 1899, 2200, 2025, 2030]
HOSTILE_STRINGS = HOSTILE_KEYS + [
    "x", "=1+1", "\r=HYPERLINK(1)", "line\nbreak", "a\tb", "\ud800", "é", "x" * 10_001, "ASEAN", "asean", "VNM",
    "VN", "Vietnam", "gdp", "digital-economy-value-added", "labour-productivity", "Not-Kebab", "kebab-", "median",
    "sideways", "furlongs", "ratio", "relative", "level", "decrease", "sum", "mean", "ABCD", "ab",
]
TOML_VALUES = st.one_of(
    st.sampled_from(HOSTILE_FLOATS + HOSTILE_STRINGS + [
        True, False, [], [1], ["a", "b"], ["gdp", "gdp"], ["gdp", "digital-economy-value-added"], ["gdp"], [[]],
        {}, {"op": "ratio", "of": ["gdp", "gdp"], "scale": 0.0}, {"x": 1},
        {"op": "product", "of": ["digital-economy-value-added", "gdp"]},
    ]),
    st.dates(),
    st.datetimes(timezones=st.none() | st.just(UTC)),
)


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, path + (i,))


def _get(doc, path):
    for p in path:
        doc = doc[p]
    return doc


def _deepcopy(x):
    if isinstance(x, dict):
        return {k: _deepcopy(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_deepcopy(v) for v in x]
    return x


@st.composite
def toml_mutations(draw, doc: dict, max_ops: int = 3) -> dict:
    """Structure-level damage to a TOML document: mostly one value replaced by a hostile one of the same
    type (so that the rest stays valid and the check that matters is reached), also wrong types, deleted
    and unknown keys, duplicated tables, hostile ids."""
    doc = _deepcopy(doc)
    for _ in range(draw(st.integers(1, max_ops))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            doc = {"plan": draw(TOML_VALUES)}
            continue
        leaves = [p for p in paths if not isinstance(_get(doc, p), (dict, list))]
        path = draw(st.sampled_from(leaves if leaves and draw(st.integers(0, 4)) else paths))
        parent, key = _get(doc, path[:-1]), path[-1]
        op = draw(st.sampled_from(["alike", "alike", "alike", "set", "delete", "unknown_key", "dup_element", "swap",
                                   "retype", "hostile_id"]))
        if op == "alike":
            v = parent[key]
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                parent[key] = draw(st.sampled_from(HOSTILE_FLOATS))
            elif isinstance(v, str):
                parent[key] = draw(st.sampled_from(HOSTILE_STRINGS))
            else:
                parent[key] = draw(TOML_VALUES)
        elif op == "set":
            parent[key] = draw(TOML_VALUES)
        elif op == "delete":
            del parent[key]
        elif op == "unknown_key":
            target = parent if isinstance(parent, dict) else doc
            target[draw(st.sampled_from(HOSTILE_KEYS + ["Id", "aliases ", "weight_share"]))] = draw(TOML_VALUES)
        elif op == "dup_element":
            if isinstance(parent, list):
                parent.insert(key, _deepcopy(parent[key]))
            elif len(path) > 2 and isinstance(_get(doc, path[:-2]), list):  # a whole table, e.g. a target
                tables = _get(doc, path[:-2])
                tables.insert(path[-2], _deepcopy(tables[path[-2]]))
        elif op == "swap" and isinstance(parent, dict) and len(parent) > 1:
            a, b = draw(st.permutations(list(parent)))[:2]
            parent[a], parent[b] = parent[b], parent[a]
        elif op == "retype":
            v = parent[key]
            parent[key] = [v] if not isinstance(v, list) else (v[0] if v else {})
        elif op == "hostile_id":
            # a table whose id/code is hostile text, and which is wrong in some other way too
            tables = [p for p in paths if len(p) == 2 and isinstance(_get(doc, p), dict)]
            if tables:
                table = _get(doc, draw(st.sampled_from(tables)))
                table["code" if "code" in table else "id"] = draw(st.sampled_from(HOSTILE_STRINGS))
                table[draw(st.sampled_from(HOSTILE_KEYS))] = draw(TOML_VALUES)
    return doc


def toml_bytes(doc: dict) -> bytes | None:
    try:
        return encode(tomli_w.dumps(doc))
    except (TypeError, ValueError):
        return None  # a shape TOML cannot write (e.g. an array of tables next to a plain value)


@st.composite
def plan_files(draw) -> bytes:
    kind = draw(st.sampled_from(["structure", "structure", "structure", "bytes", "assign", "both", "random"]))
    if kind == "random":
        return draw(st.binary(max_size=400))
    data = PLAN_BYTES
    if kind in ("structure", "both"):
        dumped = toml_bytes(draw(toml_mutations(PLAN_DOC)))
        data = dumped if dumped is not None else data
    if kind in ("bytes", "both"):
        data = draw(byte_mutations(data, max_ops=3))
    if kind == "assign":
        data = draw(assignments(data))
    return data


def _json_doc(r: Run) -> dict:
    def no_constants(token):
        raise AssertionError(f"{token} in JSON output: {r!r}")

    return json.loads(r.out, parse_constant=no_constants)


def plan_replace(old: str, new: str, count: int = 1) -> bytes:
    assert old in PLAN_TEXT, old
    return PLAN_TEXT.replace(old, new, count).encode("utf-8", "surrogatepass")


TARGET_VALUE = "value = 30.0"
PRODUCT_SCALE = "scale = 0.01 }"
RATIO_SCALE = "scale = 1e9 }"


@budget(110)
@given(plan=plan_files())
# values a plan may hold that no JSON number can: reports must refuse the plan, or cope, never crash
@example(plan=plan_replace(TARGET_VALUE, "value = inf"))
@example(plan=plan_replace(TARGET_VALUE, "value = nan"))
@example(plan=plan_replace("change = 1.5", "change = inf"))
@example(plan=plan_replace(PRODUCT_SCALE, "scale = inf }"))
@example(plan=plan_replace(RATIO_SCALE, "scale = nan }"))
@example(plan=plan_replace(RATIO_SCALE, "scale = 1e308 }"))
@example(plan=plan_replace("on_track = 0.95", "on_track = nan"))
@example(plan=plan_replace("min_coverage = 0.5", "min_coverage = nan"))
@example(plan=plan_replace("max = 100", "max = inf"))
@example(plan=plan_replace("min = 0", "min = -inf"))
# hostile names echoed in messages: one line, no raw control characters
@example(plan=plan_replace('id = "digital-economy-share"\ntitle', 'id = "bad\\nid\\u001b[31m"\ntitle'))
@example(plan=plan_replace('code = "VNM"', 'code = "V\\rN"'))
@example(plan=plan_replace("[plan]\n", '[plan]\n"a\\nb" = 1\n'))
@example(plan=plan_replace("[plan]\n", '[plan]\n"\\u0000" = 1\n'))
@example(plan=plan_replace('name = "Viet Nam"', 'name = "\\r=HYPERLINK(1)"'))
@example(plan=b"\xef\xbb\xbf" + PLAN_BYTES)
@example(plan=PLAN_BYTES.replace(b"\n", b"\r\n"))
def test_mutated_targets_file(base, plan):
    with sandbox(base) as (box, data):
        before = put_seed(data)
        (data / "targets.toml").write_bytes(plan)
        chk = adm(data, "check", no_reference=True)
        assert chk.code in (0, 1), chk
        plan_bad = "targets.toml" in chk.err
        event(f"check exit {chk.code}" + (" (plan refused)" if plan_bad else ""))
        for args in (("status", "--format", "json"), ("gaps", "--format", "json", "--method", "cagr-ratio"),
                     ("targets", "--format", "json"), ("states", "--format", "csv")):
            r = adm(data, *args)
            assert r.code in (0, 1), r
            if chk.code == 0:
                assert r.code == 0, ("check accepts the data but a reading command fails", chk, r)
            if plan_bad:
                assert r.code == 1 and "targets.toml" in r.err, ("an invalid plan was used", chk, r)
            if r.code == 0 and "json" in args:
                assert _json_doc(r)["schema"].startswith("admtrack."), r
        r = adm(data, "record", "KHM", "gdp", "2023", "45.1", "--source", "NIS")
        assert r.code in (0, 1), r
        if plan_bad:
            assert r.code == 1, ("record used an invalid plan", chk, r)
        assert_record_outcome(data, before, r)


# ---- the store ---------------------------------------------------------------------------------------------

def tomllib_rows(raw: bytes) -> list | None:
    """The observations as tomllib reads them, or None if the bytes are not a TOML document."""
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    obs = doc.get("observation", [])
    return obs if isinstance(obs, list) else []


def _when(x) -> datetime | None:
    if x is None:
        return None
    dt = x if isinstance(x, datetime) else datetime.fromisoformat(x)
    return dt.astimezone(UTC) if dt.tzinfo else dt


def _as_float(x) -> float:
    try:
        return float(x)
    except OverflowError:  # an integer literal too large for a float
        return float("inf") if x > 0 else float("-inf")


def _expected(item: dict) -> tuple:
    value = item.get("value")
    return (item["state"], item["indicator"], item["year"], None if value is None else _as_float(value),
            item.get("source") or None, item.get("note") or None, bool(item.get("retracted", False)),
            item.get("reason") or None, _when(item.get("recorded_at")))


_BAD_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
KNOWN_STATES = {code for _, code in STATE_SPELLINGS}


def spec_problems(o: dict) -> list[str]:
    """What SPEC §2.2 "Valid values" says about an observation the tool accepted from its store, checked
    independently of the tool: known state and indicator, a year from 1990 to now, a finite value inside
    the indicator's bounds, text without control characters other than tab and newline."""
    out = []
    if o["state"] not in KNOWN_STATES:
        out.append(f"unknown state {o['state']!r}")
    if o["indicator"] not in INDICATORS:
        out.append(f"unknown indicator {o['indicator']!r}")
    if not 1990 <= o["year"] <= YEAR:
        out.append(f"year {o['year']}")
    value = o["value"]
    if value is None:
        if not o["retracted"]:
            out.append("no value")
    elif not (isinstance(value, float) and 0 <= value <= (INDICATORS.get(o["indicator"]) or 1.8e308)):
        out.append(f"value {value!r}")  # all bundled indicators are >= 0; NaN and infinities fail too
    for key in ("source", "note", "reason"):
        if o[key] is not None and _BAD_TEXT.search(o[key]):
            out.append(f"{key} {o[key]!r}")
    return out


def _exported(o: dict) -> tuple:
    return (o["state"], o["indicator"], o["year"], o["value"], o["source"], o["note"], o["retracted"], o["reason"],
            _when(o["recorded_at"]))


_ASSIGNMENT = re.compile(rb"^([A-Za-z_][A-Za-z0-9_-]*) = (.*)$", re.M)
HOSTILE_RHS = HOSTILE_NUMBERS + [
    b'"', b'""', b'"\\u0000"', b'"a\\rb"', b'"\\ud800"', b'"\xe9"', b"'literal'", b'"""multi\nline"""', b"[]",
    b"{}", b"[1, 2]", b"{ a = 1 }", b"true", b"false", b"1979-05-27", b"1979-05-27T07:32:00",
    b"2024-01-01T00:00:00+07:00", b"07:32:00", b"", b'"VNM" # comment', b'"VNM"\nstate = "THA"',
    b"2026-02-30T03:04:05.123456Z", b"2026-13-01T00:00:00.000000Z", b"9999-99-99T99:99:99.999999Z",
    b"2026-01-02 03:04:05", b'"2026-01-02T03:04:05Z"', b'"yesterday"', b'"a\\rb"', b'"\\b\\f"', b'"\\u001b"',
    b'"\\U0001F4C8"', b'"\\x41"', b'"\\e"',
]


@st.composite
def assignments(draw, data: bytes, max_ops: int = 2) -> bytes:
    """`key = value` lines of a TOML file given hostile right-hand sides (numbers for numbers mostly),
    keeping everything else — and so, for a store, admtrack's own layout — intact."""
    for _ in range(draw(st.integers(1, max_ops))):
        found = list(_ASSIGNMENT.finditer(data))
        if not found:
            break
        keys = sorted({m.group(1) for m in found})
        key = draw(st.sampled_from(keys))
        m = draw(st.sampled_from([m for m in found if m.group(1) == key]))
        numeric = _NUMBER_TOKEN.fullmatch(m.group(2)) is not None
        rhs = draw(st.sampled_from(HOSTILE_NUMBERS if numeric and draw(st.integers(0, 3)) else HOSTILE_RHS))
        data = data[:m.start(2)] + rhs + data[m.end(2):]
    return data


@st.composite
def store_files(draw) -> bytes:
    kind = draw(st.sampled_from(["bytes", "assign", "assign", "structure", "structure", "both", "random",
                                 "rewritten"]))
    if kind == "random":
        return draw(st.binary(max_size=400))
    data = SEED_STORE
    if kind in ("structure", "both", "rewritten"):
        doc = tomllib.loads(SEED_STORE.decode("utf-8"))
        if kind != "rewritten":
            doc = draw(toml_mutations(doc))
        dumped = toml_bytes(doc)  # tomli_w's layout: read by tomllib, not by the fast reader
        data = dumped if dumped is not None else data
    if kind in ("bytes", "both"):
        data = draw(byte_mutations(data, max_ops=3))
    if kind == "assign":
        data = draw(assignments(data))
    return data


def store_replace(old: bytes, new: bytes) -> bytes:
    assert old in SEED_STORE, old
    return SEED_STORE.replace(old, new, 1)


def test_seed_store_is_admtracks_own_layout(tmp_path):
    """The store fuzzing starts from what admtrack writes, so that byte-level damage reaches its fast reader."""
    data = tmp_path / "data"
    data.mkdir()
    put_seed(data)
    r = adm(data, "export", "--format", "json", "--all-revisions", no_reference=True)
    assert r.code == 0, r
    got = [_exported(o) for o in _json_doc(r)["observations"]]
    assert got == [_expected(i) for i in tomllib_rows(SEED_STORE)] and len(got) == len(SEED) + 2
    assert adm(data, "record", "KHM", "gdp", "2023", "45.1").code == 0
    new = (data / STORE).read_bytes()
    assert new.startswith(SEED_STORE) and new.count(b"[[observation]]") == len(SEED) + 3


@budget(120)
@given(raw=store_files(), in_place=st.booleans())
# numbers TOML reads as non-finite floats, in admtrack's own layout (the fast reader) and in another one
@example(raw=store_replace(b"value = 526.4", b"value = 1e999"), in_place=False)
@example(raw=store_replace(b"value = 16.5", b"value = -1e999"), in_place=True)
@example(raw=store_replace(b"value = 526.4", b"value = " + b"9" * 400), in_place=False)
@example(raw=store_replace(b"value = 9.1", b"value = inf"), in_place=False)
@example(raw=store_replace(b"value = 9.1", b"value = nan"), in_place=False)
@example(raw=store_replace(b"value = 526.4", b"value = 1e999").replace(b"\n", b"\r\n"), in_place=False)
@example(raw=store_replace(b"year = 2023", b"year = 99999999999999999999"), in_place=False)
@example(raw=store_replace(b"value = 526.4", b"value = 5e-324"), in_place=True)
# escapes that decode to control characters, and a timestamp TOML refuses, in admtrack's own layout
@example(raw=store_replace(b'source = "NESDC"', b'source = "NE\\rSDC"'), in_place=False)
@example(raw=store_replace(b'source = "NESDC"', b'source = "NE\\bSD\\fC"'), in_place=False)
@example(raw=store_replace(b'source = "NESDC"', b'source = "NE\\u001bSDC"'), in_place=False)
@example(raw=store_replace(b"recorded_at = " + AT.encode(), b"recorded_at = 2026-02-30T03:04:05.123456Z"),
         in_place=False)
@example(raw=store_replace(b"recorded_at = " + AT.encode(), b'recorded_at = "2026-01-02T10:04:05+07:00"'),
         in_place=True)
# a torn value, hostile keys echoed in messages, a BOM, other line endings and time zones
@example(raw=store_replace(b"value = 526.4", b"value = 5"), in_place=True)
@example(raw=store_replace(b'source = "MIC"\n', b'source = "MIC"\n"a\\u0000b" = 1\n'), in_place=False)
@example(raw=store_replace(b'source = "MIC"\n', b'source = "MIC"\n"line\\nbreak\\u001b[31m" = 1\n'), in_place=False)
@example(raw=store_replace(b'state = "THA"', b'state = "T\\rHA"'), in_place=False)
@example(raw=store_replace(b'source = "MIC"', b'source = "M\\u0085IC"'), in_place=False)
@example(raw=b"\xef\xbb\xbf" + SEED_STORE, in_place=False)
@example(raw=SEED_STORE.replace(b"\n", b"\r\n"), in_place=True)
@example(raw=SEED_STORE.replace(b"Z\n", b"+07:00\n"), in_place=False)
@example(raw=SEED_STORE[:-40], in_place=True)
def test_mutated_store(base, raw, in_place):
    with sandbox(base) as (box, folder):
        store = folder / STORE
        if in_place:
            # a cache that matched the old bytes (same inode; size and mtime kept): it must not be trusted
            put_seed(folder)
            assert adm(folder, "status", "--format", "json", no_reference=True).code == 0
            st_old = os.stat(store)
            with open(store, "r+b") as fh:
                fh.write(raw)
                fh.truncate()
            os.utime(store, ns=(st_old.st_atime_ns, st_old.st_mtime_ns))
        else:
            store.write_bytes(raw)
        parsed = tomllib_rows(raw)

        chk = adm(folder, "check", no_reference=True)
        assert chk.code in (0, 1), chk
        event(f"tomllib {'parses' if parsed is not None else 'refuses'}; check exit {chk.code}")
        if parsed is None:
            assert chk.code == 1 and STORE in chk.err, ("a store that does not parse passed check", chk)

        reads = [adm(folder, "status", "--format", "json"),
                 adm(folder, "history", "VNM", "digital-economy-share", "--format", "json"),
                 adm(folder, "history", "SGP", "population"),  # a table: hostile text meets Rich
                 adm(folder, "export", "--format", "csv", no_reference=True),
                 adm(folder, "export", "--format", "json", "--all-revisions", no_reference=True)]
        for r in reads:
            assert r.code in (0, 1), r
            if parsed is None:
                assert r.code == 1 and STORE in r.err, ("a store that does not parse was read", r)
            if chk.code == 0:
                assert r.code == 0, ("check accepts the store but a reading command fails", chk, r)
            if r.code == 0 and "json" in r.args:
                _json_doc(r)
        export = reads[-1]
        if export.code == 0:
            # what admtrack read is what tomllib reads: the fast reader never misreads a store
            assert parsed is not None, ("admtrack read a store that is not TOML", export)
            observations = [o for o in _json_doc(export)["observations"] if o["layer"] == "store"]
            got = [_exported(o) for o in observations]
            assert got == [_expected(i) for i in parsed], ("admtrack and tomllib read the store differently",
                                                           raw[:3000])
            bad = [(o["state"], o["indicator"], o["year"], spec_problems(o)) for o in observations if spec_problems(o)]
            assert not bad, ("admtrack accepted a store entry that SPEC §2.2 forbids", bad)
        assert store.read_bytes() == raw, "a reading command changed the store"

        for args in (("record", "BRN", "population", "1991", "12345", "--source", "fuzz"),
                     ("record", "VNM", "digital-economy-share", "2023", "16.5", "--source", "MIC"),
                     ("retract", "THA", "gdp", "2024", "--reason", "fuzz")):
            r = adm(folder, *args)
            assert r.code in (0, 1), r
            if parsed is None:
                assert r.code == 1, ("a write went ahead on a store that does not parse", r)
            if chk.code == 1:
                assert r.code == 1, ("a write went ahead on a store that check refuses", chk, r)
            assert_record_outcome(folder, raw, r)
            raw = store.read_bytes()
