"""The parsers and field checks (SPEC §2.2 "Valid values", §3 `record --file`): unit and property tests."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import unicodedata

import pytest
from conftest import YEAR
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from admtrack import inputs
from admtrack.errors import AdmError
from admtrack.validate import MAX_TEXT, FieldError, check_bounds, check_number, check_text, check_year

PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SLOW_PROPS = settings(PROPS, max_examples=120)

# ---- check_number -----------------------------------------------------------------------------------

# A finite decimal literal, written independently of the implementation: optional sign, digits with an
# optional fraction (or a bare fraction), optional exponent; ASCII only; surrounding spaces allowed.
DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def is_decimal_literal(text: str) -> bool:
    t = text.strip(" \t\n\r\f\v")
    return bool(DECIMAL.fullmatch(t)) and math.isfinite(float(t))


digits = st.text("0123456789", min_size=1, max_size=12)
literals = st.builds(
    lambda sign, whole, frac, exp, pad: f"{pad}{sign}{whole}{frac}{exp}{pad[::-1]}",
    st.sampled_from(["", "+", "-"]),
    digits,
    st.sampled_from(["", "."]) | digits.map(lambda d: "." + d),
    st.sampled_from([""]) | st.builds(lambda e, s, d: f"{e}{s}{d}", st.sampled_from("eE"),
                                       st.sampled_from(["", "+", "-"]), st.text("0123456789", min_size=1, max_size=3)),
    st.sampled_from(["", " ", "\t", "  \n"]),
)
NUMBERISH = "0123456789+-.eE ,_xabcdfinINFNaN\t'\"∞١"


@PROPS
@given(literals)
def test_check_number_accepts_decimal_literals(text):
    if math.isfinite(float(text)):
        assert check_number(text) == float(text)
    else:  # e.g. 1e999: a literal, but not finite
        with pytest.raises(FieldError):
            check_number(text)


@PROPS
@given(st.text(NUMBERISH, max_size=12) | literals)
@example('nan')
@example('NaN')
@example('inf')
@example('-Infinity')
@example('12,5')
@example('1_000')
@example('')
@example(' ')
@example('0x1A')
@example('1e')
@example('.')
@example('+')
@example('1.2.3')
@example('1e400')
@example('-1e400')
@example('١٢')
def test_check_number_accepts_exactly_the_finite_decimal_literals(text):
    try:
        value = check_number(text)
    except FieldError as exc:
        assert exc.field == "value"
        assert not is_decimal_literal(text), text
    else:
        assert is_decimal_literal(text), (text, value)
        assert value == float(text.strip())


@PROPS
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_check_number_round_trips_floats(x):
    assert check_number(x) == x
    assert check_number(repr(x)) == x
    assert check_number(str(x)) == x
    assert math.copysign(1, check_number(repr(x))) == math.copysign(1, x)


@PROPS
@given(st.integers(-(10**300), 10**300))
def test_check_number_accepts_json_integers(n):
    assert check_number(n) == float(n)


@pytest.mark.parametrize("raw", [float("nan"), float("inf"), -float("inf"), 10**400, True, False, None, [1], {"a": 1},
                                 "NaN", "nan", "inf", "Infinity", "12,5", "1,234.5", "", " ", "12 5", "5%", "$5",
                                 "=1+1", "1e400", "0x10", "1_000"])
def test_check_number_rejects(raw):
    with pytest.raises(FieldError) as info:
        check_number(raw)
    assert info.value.field == "value"


def test_check_number_hints_at_decimal_comma():
    with pytest.raises(FieldError, match=r"'\.'"):
        check_number("12,5")


# ---- check_text -------------------------------------------------------------------------------------

def text_is_acceptable(s: str) -> bool:
    return all(c in "\t\n" or unicodedata.category(c) not in ("Cc", "Cs") for c in s)


any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
# bias towards the interesting code points: C0, DEL, C1, surrogates, tab/newline, line separators
edgy = st.text(st.sampled_from([chr(c) for c in [*range(0, 0x21), *range(0x7E, 0xA1), 0xD800, 0xDBFF, 0xDC00,
                                                 0xDFFF, 0x2028, 0x2029, 0xFEFF, 0x200D, 0xE000, 0x10FFFF, 0x1F600]]),
               max_size=10)


@PROPS
@given(any_text | edgy | st.text(max_size=40))
def test_check_text_rejects_exactly_cc_and_surrogates(s):
    if text_is_acceptable(s):
        assert check_text("note", s) == (s or None)
    else:
        with pytest.raises(FieldError) as info:
            check_text("note", s)
        assert info.value.field == "note"
        assert "U+" in info.value.reason


@pytest.mark.parametrize("ch", ["\x00", "\x07", "\x1b", "\r", "\x0b", "\x0c", "\x7f", "\x80", "\x85", "\x9f",
                                "\ud800", "\udfff"])
def test_check_text_rejects_controls(ch):
    with pytest.raises(FieldError, match=f"U\\+{ord(ch):04X} at position 3"):
        check_text("source", "ab" + ch + "cd")


def test_check_text_limits():
    assert check_text("note", "x" * MAX_TEXT) == "x" * MAX_TEXT
    with pytest.raises(FieldError, match="too long"):
        check_text("note", "x" * (MAX_TEXT + 1))
    assert check_text("note", "") is None and check_text("note", None) is None
    with pytest.raises(FieldError, match="required"):
        check_text("reason", "", required=True)
    with pytest.raises(FieldError, match="text"):
        check_text("note", 5)


# ---- check_year -------------------------------------------------------------------------------------

@PROPS
@given(st.integers(-10**6, 10**6) | st.integers(1985, YEAR + 5))
def test_check_year_accepts_exactly_1990_to_this_year(y):
    for raw in (y, str(y), f" {y} ", float(y)):
        if 1990 <= y <= YEAR:
            assert check_year(raw) == y
        else:
            with pytest.raises(FieldError):
                check_year(raw)


@pytest.mark.parametrize("raw", ["20x4", "2024.0", "2024.5", 2024.5, "", " ", "MMXXIV", True, None, "1e3", "0x7E8"])
def test_check_year_rejects(raw):
    with pytest.raises(FieldError) as info:
        check_year(raw)
    assert info.value.field == "year"


def test_check_bounds():
    check_bounds(0, 0, 100, "percent")
    check_bounds(100, 0, 100, "percent")
    with pytest.raises(FieldError, match="between 0 and 100 for percent, got 120"):
        check_bounds(120, 0, 100, "percent")
    with pytest.raises(FieldError, match="at least 0"):
        check_bounds(-1e-9, 0, None, "usd-bn")


# ---- decode / detect_format ---------------------------------------------------------------------------

def test_decode_strips_a_bom_and_refuses_other_encodings():
    assert inputs.decode("f", b"\xef\xbb\xbfstate") == "state"
    assert inputs.decode("f", "Việt".encode()) == "Việt"
    with pytest.raises(AdmError, match="UTF-16"):
        inputs.decode("f", "state".encode("utf-16"))
    with pytest.raises(AdmError, match="UTF-16"):
        inputs.decode("f", b"\xfe\xff" + "state".encode("utf-16-be"))
    with pytest.raises(AdmError, match=r"f:3: not valid UTF-8 \(byte 0xE9\)"):
        inputs.decode("f", "a\nb\ncaf\xe9\n".encode("latin-1"))


@pytest.mark.parametrize("path, text, given, fmt", [
    ("a.csv", "", None, "csv"), ("a.TSV", "", None, "tsv"), ("a.tab", "", None, "tsv"),
    ("a.json", "", None, "json"), ("a.jsonl", "", None, "jsonl"), ("a.ndjson", "", None, "jsonl"),
    ("-", '  [{"state": 1}]', None, "json"), ("-", '{"state": 1}\n', None, "jsonl"),
    ("-", "state\tindicator\tyear\tvalue\n", None, "tsv"), ("-", "state,indicator,year,value\n", None, "csv"),
    ("data.txt", "DATAFLOW,REF_AREA,INDICATOR\n", None, "sdmx-csv"), ("a.csv", "[]", "json", "json"),
])
def test_detect_format(path, text, given, fmt):
    assert inputs.detect_format(path, text, given) == fmt


# ---- property: CSV/TSV/JSON written by standard writers parse back to the same fields --------------------

cell = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=15)
row = st.fixed_dictionaries({k: cell for k in inputs.FIELDS})


def _parsed_fields(rows_out):
    return [fields for _, fields in rows_out]


@SLOW_PROPS
@given(st.lists(row, max_size=8), st.sampled_from([",", "\t"]), st.sampled_from(["\n", "\r\n"]),
       st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
def test_csv_written_by_csv_writer_parses_back(rows, delimiter, eol, quoting):
    # a row whose every cell is blank is a blank line, skipped (not data); the header has 6 columns
    assume(all(any(r.values()) for r in rows))
    # csv.writer quotes only the characters of its own line terminator: with "\n" it leaves a bare "\r"
    # unquoted, which no CSV reader can tell from a line break (and text fields refuse "\r" anyway)
    assume(quoting == csv.QUOTE_ALL or eol == "\r\n" or not any("\r" in v for r in rows for v in r.values()))
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=delimiter, lineterminator=eol, quoting=quoting)
    w.writerow(inputs.FIELDS)
    for r in rows:
        w.writerow([r[k] for k in inputs.FIELDS])
    out, problems = inputs.parse("f", buf.getvalue(), "tsv" if delimiter == "\t" else "csv")
    assert not problems, problems
    assert _parsed_fields(out) == rows
    assert all(label.startswith("line ") for label, _ in out)


@SLOW_PROPS
@given(st.lists(row, min_size=1, max_size=6))
def test_csv_labels_are_physical_start_lines(rows):
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)
    w.writerow(inputs.FIELDS)
    starts = []
    for r in rows:
        starts.append(buf.getvalue().replace("\r\n", "\n").count("\n") + 1)
        w.writerow([r[k].replace("\r", "") for k in inputs.FIELDS])
    out, problems = inputs.parse("f", buf.getvalue(), "csv")
    assert not problems
    assert [lbl for lbl, _ in out] == [f"line {n}" for n in starts]


json_value = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | cell
json_row = st.fixed_dictionaries({}, optional={k: json_value for k in inputs.FIELDS})


@SLOW_PROPS
@given(st.lists(json_row, max_size=8))
def test_json_and_json_lines_parse_back(rows):
    out, problems = inputs.parse("f", json.dumps(rows), "json")
    assert not problems and _parsed_fields(out) == rows
    assert [lbl for lbl, _ in out] == [f"item {i}" for i in range(1, len(rows) + 1)]
    out, problems = inputs.parse("f", "\n".join(json.dumps(r) for r in rows), "jsonl")
    assert not problems and _parsed_fields(out) == rows
    assert [lbl for lbl, _ in out] == [f"line {i}" for i in range(1, len(rows) + 1)]


@PROPS
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_crash_the_readers(data):
    try:
        text = inputs.decode("f", data)
    except AdmError:
        return
    for fmt in inputs.FORMATS:
        try:
            rows, problems = inputs.parse("f", text, fmt)
        except AdmError as exc:
            assert exc.message.startswith("f")
        else:
            assert isinstance(rows, list) and isinstance(problems, list)


def test_json_constants_and_shapes_are_refused():
    with pytest.raises(AdmError, match="^f: not valid JSON: NaN is not a finite number$"):
        inputs.parse("f", "NaN", "json")
    with pytest.raises(AdmError, match="array of objects"):
        inputs.parse("f", '{"state": "VNM"}', "json")
    with pytest.raises(AdmError, match=r"^f:2: not valid JSON"):
        inputs.parse("f", '[\n{"state": }]', "json")
    rows, problems = inputs.parse("f", '{"value": Infinity}\n[1]\n{"x": 1}\n', "jsonl")
    assert rows == [] and [(p[0], p[1]) for p in problems] == [("line 1", "value"), ("line 2", "row"), ("line 3", "x")]
    # admtrack's own export document is accepted back
    rows, problems = inputs.parse("f", json.dumps({"schema": "admtrack.observations/1", "observations": [
        {"state": "VNM", "indicator": "gdp", "year": 2024, "value": 1.0, "layer": "store", "recorded_at": None}]}),
        "json")
    assert not problems and rows[0][1] == {"state": "VNM", "indicator": "gdp", "year": 2024, "value": 1.0,
                                           "layer": "store"}


def _row(year: int, twice: str | None = None, **raw: str) -> str:
    """A JSON object of a valid row, with ``raw`` JSON text for some keys and ``value`` given ``twice``."""
    pairs = {"state": '"KHM"', "indicator": '"gdp"', "year": str(year), "value": "1"} | raw
    text = ", ".join(f'"{k}": {v}' for k, v in pairs.items())
    return "{" + text + (f', "value": {twice}' if twice is not None else "") + "}"


TWICE = "key 'value' appears twice in one object"


NAN = "NaN is not a finite number"


@pytest.mark.parametrize("extra, expected", [
    # the field (the top-level key that holds the flaw) and the reason, alike for JSON arrays and JSON Lines
    ({"twice": "2"}, ("value", TWICE)),
    ({"value": "NaN"}, ("value", NAN)),
    ({"note": "[1, -Infinity]"}, ("note", "-Infinity is not a finite number")),
    ({"note": '{"a": 1, "a": 2}'}, ("note", "key 'a' appears twice in one object")),
    ({"unit": "Infinity"}, ("unit", "Infinity is not a finite number")),  # a key that is otherwise ignored
])
@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_a_key_twice_or_a_non_finite_constant_is_a_problem_of_its_row(fmt, extra, expected):
    """SPEC §3: the 1-based item of a JSON array (or the line of JSON Lines), the field and the reason,
    beside the other rows' problems: the rest of the input is still read."""
    items = [_row(2021), _row(2022, **extra), _row(2023), _row(2024, **extra)]
    if fmt == "json":
        rows, problems = inputs.parse("f", "[" + ",\n".join(items) + "]", fmt)
        label = "item"
    else:
        rows, problems = inputs.parse("f", "\n".join(items) + "\n", fmt)
        label = "line"
    field, reason = expected
    assert [lbl for lbl, _ in rows] == [f"{label} 1", f"{label} 3"]
    assert problems == [(f"{label} 2", field, reason), (f"{label} 4", field, reason)]


def test_flaws_in_a_json_array_and_its_export_document():
    rows, problems = inputs.parse("f", '[NaN, {"state": "VNM"}, [Infinity]]', "json")
    assert [lbl for lbl, _ in rows] == ["item 2"]
    assert problems == [("item 1", "row", NAN),
                        ("item 3", "row", "must be a JSON object, got list")]
    doc = f'{{"schema": "admtrack.observations/1", "observations": [{_row(2023)}, {_row(2024, value="NaN")}]}}'
    rows, problems = inputs.parse("f", doc, "json")
    assert [lbl for lbl, _ in rows] == ["item 1"] and problems == [("item 2", "value", NAN)]
    with pytest.raises(AdmError, match="^f: schema: NaN is not a finite number$"):
        inputs.parse("f", '{"schema": NaN, "observations": []}', "json")
    with pytest.raises(AdmError, match="^f: observations: key 'observations' appears twice in one object$"):
        inputs.parse("f", '{"observations": [], "observations": []}', "json")


def test_a_json_array_with_a_constant_is_sniffed_as_json():
    text = "[" + ",\n".join([_row(2023), _row(2024, value="NaN")]) + "]"
    assert inputs.detect_format("-", text, None) == "json"


def test_malformed_csv_is_a_row_problem_with_its_line():
    rows, problems = inputs.parse("f", 'state,indicator,year,value\nVNM,gdp,2024,1\nVNM,"gdp,2023,2\n', "csv")
    assert len(rows) == 1 and problems and problems[0][0] == "line 3" and problems[0][1] == "row"


def test_read_source_size_limit(monkeypatch, tmp_path):
    monkeypatch.setattr(inputs, "MAX_BYTES", 100)
    p = tmp_path / "big.csv"
    p.write_bytes(b"x" * 101)
    with pytest.raises(AdmError, match="too large"):
        inputs.read_source(str(p))
    p.write_bytes(b"x" * 100)
    assert inputs.read_source(str(p)) == (str(p), b"x" * 100)
