"""`record --file` of a big delimited file (issue 13 "Hold a million observations", item 2): rows are read,
checked and written a batch at a time, column by column. What it must keep: the same Observations and the
same problems as ``check_row`` row by row, every bad row listed by its line (batches and multi-line cells
notwithstanding), all or nothing, and a store and index that say the same as a store parsed afresh."""

from __future__ import annotations

import csv
import io

import pytest
from conftest import assert_clean_error, store_bytes, store_doc, write_file
from hypothesis import given, settings
from hypothesis import strategies as st

from admtrack import inputs
from admtrack.plan import bundled_path, load_plan
from admtrack.rules import ColumnChecker, check_row
from admtrack.validate import FieldError, current_year

DES = "digital-economy-share"
PLAN = load_plan(bundled_path())

STATES = ["VNM", "vnm", " VNM ", "Viet Nam", "ASEAN", "", " ", "XXX", "KH", "Cambodia\t"]
INDICATORS = [DES, DES.upper(), f" {DES} ", "gdp", "gdp-per-worker-usd", "nope", "", " "]
YEARS = ["2020", " 2020", "1989", "1990", "2999", "20.0", "", "abc", "+2020", "02020", "2020\u00a0",
         str(current_year()), str(current_year() + 1)]
VALUES = ["1", "1.5", " 2 ", "\t7\t", "-1", "-0", "0", "100", "101", "100.0000001", "1e400", "-1e400", "1e-400",
          "nan", "NaN", "inf", "-Infinity", "1_0", "", " ", "1,5", "+.5", "1.", ".", "5e-3", "5E+1", "1e", "e1",
          "--1", "1\u00a0", "\u00a01", "1 2", "0x10", "１", "99.99999999999999999"]
TEXTS = ["", "x", "NIS", "a\x01b", "tab\there", "line\nbreak", "\u2028", "é", "\x85", "\ud800", "x" * 10_001,
         "y" * 10_000, 'say "hi"', "back\\slash"]
STATUSES = ["", "A", "a", "e", " p ", "X", "estimated", "E\x01"]


def cells(choices: list[str]):
    return st.one_of(st.sampled_from(choices), st.text(max_size=6))


ROW = st.fixed_dictionaries({"state": cells(STATES), "indicator": cells(INDICATORS), "year": cells(YEARS),
                             "value": cells(VALUES)},
                            optional={"source": cells(TEXTS), "note": cells(TEXTS), "obs_status": cells(STATUSES)})

# rows that pass, so that batches also mix clean runs (checked at once) with bad rows
GOOD = st.fixed_dictionaries({"state": st.sampled_from(STATES[:5]), "indicator": st.sampled_from(INDICATORS[:5]),
                              "year": st.sampled_from(YEARS[:2] + YEARS[3:4] + YEARS[-2:-1]),
                              "value": st.sampled_from(["1", "1.5", " 2 ", "\t7\t", "-0", "0", "100", "+.5", "5E+1"])},
                             optional={"source": st.sampled_from(TEXTS[:3] + TEXTS[7:8] + TEXTS[-3:]),
                                       "note": st.sampled_from(TEXTS[:3]), "obs_status": st.sampled_from(STATUSES[:5])})


def one_by_one(rows: list[dict]):
    got, problems = [], []
    for i, raw in enumerate(rows):
        try:
            got.append(check_row(PLAN, raw, max_year=current_year()))
        except FieldError as exc:
            got.append(None)
            problems.append((i, exc.field, exc.reason))
    return got, problems


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(GOOD, GOOD, GOOD, ROW), min_size=1, max_size=70),
       st.sets(st.sampled_from(["source", "note", "obs_status"])))
def test_column_checks_say_what_check_row_says(rows, optional):
    """Row by row or a column at a time: the same Observations, the same problem for each bad row."""
    # a delimited file has every column in every row
    rows = [{**{f: "" for f in optional}, **row} for row in rows]
    names = list(dict.fromkeys(f for row in rows for f in row))
    rows = [{f: row.get(f, "") for f in names} for row in rows]
    columns = {f: tuple(row[f] for row in rows) for f in names}
    checker = ColumnChecker(PLAN, current_year())
    assert checker.check(columns, len(rows)) == one_by_one(rows)
    # and again, with what the first pass resolved and shared already known
    assert checker.check(columns, len(rows)) == one_by_one(rows)


@pytest.mark.parametrize(("field", "cell"), [(f, c) for f, choices in (
    ("state", STATES), ("indicator", INDICATORS), ("year", YEARS), ("value", VALUES), ("source", TEXTS),
    ("note", TEXTS), ("obs_status", STATUSES)) for c in choices])
def test_one_odd_cell_among_clean_rows(field, cell):
    """Each odd cell, alone in a batch of clean rows (that would otherwise be checked at once)."""
    rows = [{"state": "VNM", "indicator": DES, "year": str(1990 + i), "value": f"{i}.5", "source": "NIS",
             "note": "", "obs_status": ""} for i in range(40)]
    rows[20][field] = cell
    columns = {f: tuple(r[f] for r in rows) for f in rows[0]}
    assert ColumnChecker(PLAN, current_year()).check(columns, len(rows)) == one_by_one(rows)


def test_a_batch_of_clean_rows_is_checked_at_once():
    rows = [{"state": "VNM", "indicator": DES, "year": str(1990 + i % 30), "value": f"{i % 100}.5",
             "source": "NIS" if i % 2 else "", "note": ""} for i in range(1000)]
    columns = {f: tuple(r[f] for r in rows) for f in rows[0]}
    got, problems = ColumnChecker(PLAN, current_year()).check(columns, len(rows))
    assert problems == [] and got == one_by_one(rows)[0]
    assert len({id(o.source) for o in got if o.source}) == 1  # one copy of a repeated text


def test_table_reads_the_same_rows_in_batches_as_one_at_a_time():
    text = ("state,indicator,year,value,note\n" + "".join(
        f'VNM,{DES},{1990 + i % 30},{i % 100},"{"two" + chr(10) + "lines" if i % 97 == 0 else ""}"\n'
        + ("\n" if i % 101 == 0 else "") + ("VNM,too,few\n" if i % 333 == 0 else "")
        for i in range(2 * inputs.BATCH + 50)))
    rows, problems = inputs.parse("f", text, "csv")
    expected = []
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)
    for cells_ in reader:
        if len(cells_) == 5:
            expected.append(dict(zip(["state", "indicator", "year", "value", "note"], cells_)))
    assert [fields for _, fields in rows] == expected
    table, more = inputs.parse("f", text, "csv", lazy=True)
    assert isinstance(table, inputs.Table) and table.plain
    batched = [(line, {f: c[i] for f, c in b.fields.items()}) for b in table.batches()
               for i, line in enumerate(b.lines)]
    assert [(f"line {line}", fields) for line, fields in batched] == list(rows)
    assert more == problems and len(problems) == len([i for i in range(2 * inputs.BATCH + 50) if i % 333 == 0])


# ---- through the command ---------------------------------------------------------------------------

def big_csv(n: int, *, bad: dict[int, str] | None = None) -> tuple[str, dict[int, int]]:
    """A CSV of ``n`` distinct figures (one a line but row 700's note, three lines); ``bad``: row -> a value
    to put instead. Returns the text and the line each row starts on."""
    states = [s.code for s in PLAN.states]
    inds = [i for i in PLAN.indicators.values()
            if i.derive is None and (i.min or 0) <= 0 and (i.max is None or i.max >= 100)]
    assert n <= len(states) * 30 * len(inds)
    lines, at, line = ["state,indicator,year,value,source,note\n"], {}, 2
    for i in range(n):
        ind = inds[i // (len(states) * 30)]
        value = (bad or {}).get(i, f"{(i * 7) % 100}.25")
        note = '"a note\non three\nlines"' if i == 700 else ""
        year = 1990 + i // len(states) % 30
        lines.append(f"{states[i % len(states)]},{ind.id},{year},{value},source {i % 3},{note}\n")
        at[i] = line
        line += 3 if i == 700 else 1
    return "".join(lines), at


@pytest.fixture
def rows_csv(tmp_path):
    def make(n, **kw):
        text, at = big_csv(n, **kw)
        return write_file(tmp_path / "rows.csv", text), at
    return make


def test_every_bad_row_of_a_big_file_is_listed_by_its_line_and_nothing_is_written(adm, data_dir, rows_csv):
    n = 3 * inputs.BATCH + 100
    bad = {5: "n/a", inputs.BATCH - 1: "101", inputs.BATCH: "", 701: "1e999", 2 * inputs.BATCH + 3: '" 1,5"',
           n - 1: "nan"}
    f, at = rows_csv(n, bad=bad)
    r = adm("record", "--file", f)
    assert_clean_error(r, 1, contains=(f"{len(bad)} bad row(s)", "nothing recorded"))
    listed = [ln.strip() for ln in r.err.splitlines() if ": value:" in ln]
    assert [ln.split(": value:")[0] for ln in listed] == [f"{f}:{at[i]}" for i in sorted(bad)]
    assert store_bytes(data_dir) is None


def test_a_big_file_is_recorded_whole_and_the_index_says_what_the_store_says(adm, data_dir, rows_csv):
    n = 3 * inputs.BATCH + 100
    f, _ = rows_csv(n)
    adm.ok("record", "VNM", DES, "2024", "18.3", "--source", "MIC")  # a store to append to
    r = adm.ok("record", "--file", f)
    assert f"recorded {n}, unchanged 0" in r.err
    doc = store_doc(data_dir)
    assert len(doc) == n + 1 and doc[701]["note"] == "a note\non three\nlines"
    indexed = adm.observations()
    for name in (".observations.cache.json", ".observations.cache.data.json"):
        (data_dir / name).unlink()
    assert adm.observations() == indexed  # parsed afresh: the same entries
    assert [o["value"] for o in indexed] == [e["value"] for e in doc]
    # the same file again: unchanged, nothing written (decided row by row against the entries in force)
    before = store_bytes(data_dir)
    assert f"recorded 0, unchanged {n}" in adm.ok("record", "--file", f).err
    assert store_bytes(data_dir) == before


def test_one_stored_figure_that_differs_is_a_conflict_in_a_big_file(adm, data_dir, rows_csv):
    f, at = rows_csv(2 * inputs.BATCH)
    first = f.read_text().splitlines()[1].split(",")
    adm.ok("record", first[0], first[1], first[2], "0.5", "--source", "source 0")
    before = store_bytes(data_dir)
    r = adm("record", "--file", f)
    assert_clean_error(r, 1, contains=(f"{f}:2:", "differs from the stored entry", "--revise"))
    assert store_bytes(data_dir) == before
    assert "revised 1" in adm.ok("record", "--file", f, "--revise").err
