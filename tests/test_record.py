"""`admtrack record` and `admtrack retract` (SPEC §2.2, §3): every case of the recording rules."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from conftest import SEED_ROWS, YEAR, assert_clean_error, store_bytes, store_doc, write_file

DES = "digital-economy-share"
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def rows_of(obs: list[dict], state: str, indicator: str, year: int) -> list[dict]:
    return [o for o in obs if (o["state"], o["indicator"], o["year"]) == (state, indicator, year)]


# ---- one observation -------------------------------------------------------------------------------

def test_record_new_observation(adm, data_dir):
    r = adm.ok("record", "VNM", DES, "2024", "18.3", "--source", "MIC", "--note", "provisional")
    assert r.out == ""
    assert r.err.strip() == f"recorded VNM {DES} 2024 = 18.3 (over the reference figure 13.17)"
    [o] = adm.observations()
    assert o["state"] == "VNM" and o["indicator"] == DES and o["year"] == 2024
    assert o["value"] == 18.3 and isinstance(o["value"], float)
    assert o["source"] == "MIC" and o["note"] == "provisional" and o["layer"] == "store"
    assert TS.match(o["recorded_at"]), o["recorded_at"]
    [t] = store_doc(data_dir)
    assert t["state"] == "VNM" and t["value"] == 18.3 and t["source"] == "MIC"


def test_record_same_again_is_unchanged(adm, data_dir):
    adm.ok("record", "VNM", DES, "2024", "18.3", "--source", "MIC")
    before = store_bytes(data_dir)
    # the same figure written differently is still the same number
    for text in ("18.3", "18.30", "+18.3", "1.83e1"):
        r = adm.ok("record", "VNM", DES, "2024", text, "--source", "MIC")
        assert r.err.startswith("unchanged VNM"), r.err
    assert store_bytes(data_dir) == before


@pytest.mark.parametrize("change, what", [
    (["18.4", "--source", "MIC"], "value"),
    (["18.3", "--source", "GSO"], "source"),
    (["18.3", "--source", "MIC", "--note", "new note"], "note"),
    (["18.3"], "source"),  # dropping the source is a change too
])
def test_record_conflict_is_refused(adm, data_dir, change, what):
    adm.ok("record", "VNM", DES, "2024", "18.3", "--source", "MIC")
    before = store_bytes(data_dir)
    r = adm("record", "VNM", DES, "2024", *change)
    assert_clean_error(r, 1, one_line=True, contains=("--revise", what, "VNM", "2024"))
    assert store_bytes(data_dir) == before


def test_record_revise_supersedes(adm, data_dir):
    adm.ok("record", "VNM", DES, "2024", "18.3", "--source", "MIC")
    r = adm.ok("record", "VNM", DES, "2024", "18.4", "--source", "MIC", "--revise")
    assert r.err.strip() == f"revised VNM {DES} 2024 = 18.4 (was 18.3)"
    # --revise with the same figure is a no-op
    before = store_bytes(data_dir)
    r = adm.ok("record", "VNM", DES, "2024", "18.4", "--source", "MIC", "--revise")
    assert r.err.startswith("unchanged")
    assert store_bytes(data_dir) == before
    every = adm.observations(all_revisions=True)
    assert [o["value"] for o in every] == [18.3, 18.4]
    current = adm.observations(all_revisions=False)
    assert [o["value"] for o in current] == [18.4]
    # append-only: the first entry is still in the file, unchanged
    assert [t["value"] for t in store_doc(data_dir)] == [18.3, 18.4]


def test_record_dry_run_writes_nothing(adm, data_dir, seeded):
    r = adm.ok("record", "KHM", "gdp", "2024", "45.1", "--dry-run")
    assert "dry run" in r.err and "KHM gdp 2024" in r.err
    assert store_bytes(data_dir) == seeded
    r = adm.ok("record", "VNM", DES, "2024", "19", "--source", "MIC", "--note", "est.", "--revise", "--dry-run")
    assert "dry run" in r.err and "revised" in r.err
    assert store_bytes(data_dir) == seeded


def test_record_region_figure(adm):
    adm.ok("record", "asean", "gdp", "2024", "3900", "--source", "ASEANstats")
    [o] = adm.observations()
    assert o["state"] == "ASEAN"


def test_aliases_all_store_the_alpha3_code(adm, data_dir):
    r = adm.ok("record", "vn", DES, "2024", "18.3", "--source", "MIC")
    assert "recorded VNM" in r.err
    for alias in ("Vietnam", "VNM", "vnm", "VN", "Viet Nam", "  viet   nam ", "VIETNAM"):
        r = adm.ok("record", alias, DES, "2024", "18.3", "--source", "MIC")
        assert r.err.startswith("unchanged VNM"), (alias, r.err)
    assert [t["state"] for t in store_doc(data_dir)] == ["VNM"]
    for alias, code in (("Laos", "LAO"), ("Lao PDR", "LAO"), ("Brunei", "BRN"), ("tl", "TLS"), ("Timor-Leste", "TLS")):
        adm.ok("record", alias, "gdp", "2023", "1", "--source", "x")
        assert store_doc(data_dir)[-1]["state"] == code


def test_negative_value_after_double_dash_is_parsed_then_bounds_checked(adm, data_dir):
    # the value parses (not a usage error); every bundled indicator has min = 0, so it is out of range
    r = adm("record", "VNM", "gdp", "2024", "--", "-5")
    assert_clean_error(r, 1, one_line=True, contains=("value", "at least 0"))
    assert store_bytes(data_dir) is None


def test_retract_and_record_again(adm, data_dir, seeded):
    r = adm.ok("retract", "VNM", DES, "2024", "--reason", "definition changed")
    assert "retracted VNM" in r.err and "was 18.3" in r.err
    current = adm.observations(all_revisions=False)
    assert rows_of(current, "VNM", DES, 2024) == []
    every = adm.observations(all_revisions=True)
    retraction = rows_of(every, "VNM", DES, 2024)[-1]
    assert retraction["retracted"] is True and retraction["reason"] == "definition changed"
    assert retraction["value"] is None
    # the original entry is still in the file
    assert rows_of(every, "VNM", DES, 2024)[0]["value"] == 18.3
    # retracting again: unchanged, nothing written
    before = store_bytes(data_dir)
    r = adm.ok("retract", "VNM", DES, "2024", "--reason", "again")
    assert r.err.startswith("unchanged") and store_bytes(data_dir) == before
    # a figure recorded after a retraction is new again, whatever it was before
    r = adm.ok("record", "VNM", DES, "2024", "18.3", "--source", "MIC", "--note", "est.")
    assert r.err.startswith("recorded")
    assert rows_of(adm.observations(all_revisions=False), "VNM", DES, 2024)[0]["value"] == 18.3
    # history shows every entry of the series
    h = adm.ok("history", "VNM", DES, "--format", "json").json
    statuses = [e["status"] for e in h["entries"] if e["layer"] == "store" and e["year"] == 2024]
    assert statuses == ["retracted", "retraction", "current"]  # the first figure was withdrawn, not revised


def test_retract_needs_a_figure_and_a_reason(adm, data_dir, seeded):
    r = adm("retract", "KHM", "population-x", "2024", "--reason", "x")
    assert_clean_error(r, 1, one_line=True, contains="indicator")
    r = adm("retract", "KHM", DES, "2024", "--reason", "nothing there", no_reference=True)
    assert_clean_error(r, 1, one_line=True, contains="nothing to retract")
    r = adm("retract", "VNM", DES, "2024")
    assert_clean_error(r, 2, contains="--reason")
    r = adm("retract", "VNM", DES, "2024", "--reason", "")
    assert_clean_error(r, 2, one_line=True, contains="--reason")  # a bad option value (SPEC §6)
    assert store_bytes(data_dir) == seeded


def test_retract_reference_figure_hides_it(adm, data_dir):
    ref = [o for o in adm.observations(all_revisions=False, no_reference=False)
           if (o["state"], o["indicator"], o["year"]) == ("VNM", "gdp", 2024)]
    assert len(ref) == 1 and ref[0]["layer"] == "reference"
    adm.ok("retract", "Vietnam", "gdp", "2024", "--reason", "distrusted")
    current = adm.observations(all_revisions=False, no_reference=False)
    assert rows_of(current, "VNM", "gdp", 2024) == []
    h = adm.ok("history", "VNM", "gdp", "--format", "json").json
    assert [e["status"] for e in h["entries"] if e["year"] == 2024] == ["retracted", "retraction"]


# ---- batches ---------------------------------------------------------------------------------------

CSV_TEXT = (
    "state,indicator,year,value,source,note\r\n"
    'vn,digital-economy-share,2023,16.5,"MIC, Viet Nam","a ""quoted"" note, with commas"\r\n'
    "Thailand,gdp,2024,526.4,NESDC,\r\n"
    'IDN,public-services-ai-share,2025,12,"Kominfo, 2025 survey","line one\nline two"\r\n'
)
EXPECTED = [
    ("VNM", DES, 2023, 16.5, "MIC, Viet Nam", 'a "quoted" note, with commas'),
    ("THA", "gdp", 2024, 526.4, "NESDC", None),
    ("IDN", "public-services-ai-share", 2025, 12.0, "Kominfo, 2025 survey", "line one\nline two"),
]


def summary(obs: list[dict]) -> list[tuple]:
    return [(o["state"], o["indicator"], o["year"], o["value"], o["source"], o["note"]) for o in obs]


def test_batch_csv_with_bom_and_quoted_commas(adm, tmp_path):
    f = write_file(tmp_path / "in.csv", b"\xef\xbb\xbf" + CSV_TEXT.encode("utf-8"))
    r = adm.ok("record", "--file", f)
    assert "recorded 3, unchanged 0, revised 0" in r.err
    assert summary(adm.observations()) == EXPECTED
    # the same file again: all unchanged, nothing written
    r = adm.ok("record", "--file", f)
    assert "recorded 0, unchanged 3, revised 0" in r.err


def _as_json_rows():
    return [{"state": s, "indicator": i, "year": y, "value": v, "source": src, "note": n}
            for s, i, y, v, src, n in EXPECTED]


def test_batch_json_array(adm, tmp_path):
    f = write_file(tmp_path / "in.json", json.dumps(_as_json_rows(), ensure_ascii=False, indent=1))
    assert "recorded 3" in adm.ok("record", "--file", f).err
    assert summary(adm.observations()) == EXPECTED


def test_batch_json_lines(adm, tmp_path):
    text = "\n".join(json.dumps(r) for r in _as_json_rows()) + "\n\n"
    f = write_file(tmp_path / "in.jsonl", text)
    assert "recorded 3" in adm.ok("record", "--file", f).err
    assert summary(adm.observations()) == EXPECTED


def test_batch_tsv(adm, tmp_path):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter="\t", lineterminator="\n")
    w.writerow(["state", "indicator", "year", "value", "source", "note"])
    for row in EXPECTED:
        w.writerow(["" if c is None else c for c in row])
    f = write_file(tmp_path / "in.tsv", buf.getvalue())
    r = adm.ok("record", "--file", f)
    assert "recorded 3" in r.err and "tsv" in r.err
    assert summary(adm.observations()) == EXPECTED


def test_batch_from_stdin_sniffed(adm):
    r = adm.ok("record", "--file", "-", stdin=b"\xef\xbb\xbf" + CSV_TEXT.encode("utf-8"))
    assert "recorded 3" in r.err and "<stdin>" in r.err
    assert summary(adm.observations()) == EXPECTED


def test_batch_from_stdin_json_and_jsonl(adm, data_dir):
    rows = _as_json_rows()
    adm.ok("record", "--file", "-", stdin=json.dumps(rows[:1]).encode())
    adm.ok("record", "--file", "-", stdin=("\n".join(json.dumps(r) for r in rows[1:])).encode())
    assert summary(adm.observations()) == EXPECTED


def test_input_format_overrides_extension(adm, tmp_path):
    f = write_file(tmp_path / "data.txt", json.dumps(_as_json_rows()))
    r = adm.ok("record", "--file", f, "--input-format", "json")
    assert "recorded 3" in r.err
    r = adm("record", "--file", f, "--input-format", "xml")
    assert_clean_error(r, 2, one_line=True, contains="--input-format")


def test_bad_rows_among_good_ones_are_all_named_and_nothing_is_written(adm, data_dir, seeded, tmp_path):
    text = (
        "state,indicator,year,value,source,note\n"
        "KHM,gdp,2024,45.1,NIS,\n"            # line 2: good
        "KHM,gdp,2023,12;5,NIS,\n"            # line 3: value
        "XYZ,gdp,2023,40,NIS,\n"              # line 4: state
        "KHM,gdp,1989,40,NIS,\n"              # line 5: year
        "KHM,digital-economy-share,2024,101,NIS,\n"  # line 6: out of range
        "KHM,gpd,2024,1,NIS,\n"               # line 7: indicator
        "KHM,gdp,2022,40,NIS\n"               # line 8: wrong number of fields
        "KHM,population,2024,17400000,NIS,\n"  # line 9: good
    )
    f = write_file(tmp_path / "mixed.csv", text)
    r = adm("record", "--file", f)
    assert_clean_error(r, 1, contains=("6 bad row(s)", "nothing recorded"))
    name = str(f)
    for line, fld in ((3, "value"), (4, "state"), (5, "year"), (6, "value"), (7, "indicator"), (8, "row")):
        assert f"{name}:{line}: {fld}:" in r.err, (line, fld, r.err)
    assert f"{name}:2:" not in r.err and f"{name}:9:" not in r.err
    assert store_bytes(data_dir) == seeded


def test_bad_items_in_json_array_are_named_by_item_number(adm, data_dir, seeded, tmp_path):
    rows = _as_json_rows()
    rows.insert(1, {"state": "KHM", "indicator": "gdp", "year": 2024, "value": "n/a"})
    rows.append({"state": "KHM", "indicator": "gdp", "year": "20x4", "value": 3})
    rows.append({"state": "KHM", "indicator": "gdp", "year": 2024, "value": 3, "colour": "red"})
    rows.append(["KHM", "gdp", 2024, 3])
    f = write_file(tmp_path / "bad.json", json.dumps(rows))
    r = adm("record", "--file", f)
    assert_clean_error(r, 1, contains=("4 bad row(s)",))
    for item, fld in ((2, "value"), (5, "year"), (6, "colour"), (7, "row")):
        assert f"item {item}: {fld}:" in r.err, (item, fld, r.err)
    assert store_bytes(data_dir) == seeded


def test_bad_lines_in_json_lines_are_named_by_line(adm, data_dir, seeded, tmp_path):
    good = json.dumps({"state": "KHM", "indicator": "gdp", "year": 2024, "value": 45})
    text = "\n".join([good, '{"state": "KHM", "indicator": "gdp", "year": 2023, "value": NaN}', "",
                      '{"state": "KHM", "indicator": "gdp", "year": 2022, "value": 1', good.replace("45", "-1")])
    f = write_file(tmp_path / "bad.jsonl", text)
    r = adm("record", "--file", f)
    assert_clean_error(r, 1, contains=("3 bad row(s)",))
    for line, fld in ((2, "value"), (4, "row"), (5, "value")):  # a NaN is named by its key, as in a JSON array
        assert f"{f}:{line}: {fld}:" in r.err, (line, r.err)
    assert store_bytes(data_dir) == seeded


def test_line_numbers_count_physical_lines_after_multiline_cells(adm, tmp_path):
    text = ("state,indicator,year,value,source,note\n"
            'KHM,gdp,2024,45,NIS,"a\nthree\nline note"\n'   # lines 2-4
            "\n"                                              # line 5: blank
            "KHM,gdp,2023,oops,NIS,\n")                       # line 6
    f = write_file(tmp_path / "multi.csv", text)
    r = adm("record", "--file", f)
    assert_clean_error(r, 1, contains=f"{f}:6: value:")


def test_more_than_twenty_bad_rows_are_summarised(adm, tmp_path):
    text = "state,indicator,year,value\n" + "".join(f"KHM,gdp,{1990 + i},bad\n" for i in range(25))
    f = write_file(tmp_path / "many.csv", text)
    r = adm("record", "--file", f)
    assert_clean_error(r, 1, contains=("25 bad row(s)", "and 5 more"))
    listed = [ln for ln in r.err.splitlines() if ": value:" in ln]
    assert len(listed) == 20
    assert f"{f}:2: value:" in r.err and f"{f}:22: value:" not in r.err


def test_same_key_twice_with_different_values_is_refused(adm, data_dir, seeded, tmp_path):
    text = ("state,indicator,year,value,source\n"
            "KHM,gdp,2024,45.1,NIS\n"
            "MMR,gdp,2024,60,CSO\n"
            "Cambodia,gdp,2024,45.2,NIS\n")
    f = write_file(tmp_path / "dup.csv", text)
    r = adm("record", "--file", f)
    assert_clean_error(r, 1, contains=("KHM gdp 2024", "twice"))
    assert store_bytes(data_dir) == seeded
    # --revise does not make an ambiguous input acceptable
    r = adm("record", "--file", f, "--revise")
    assert_clean_error(r, 1, contains="twice")
    assert store_bytes(data_dir) == seeded


def test_same_key_twice_with_the_same_values_is_harmless(adm, tmp_path):
    text = ("state,indicator,year,value,source\n"
            "KHM,gdp,2024,45.1,NIS\n"
            "kh,gdp,2024,45.10,NIS\n")
    f = write_file(tmp_path / "rep.csv", text)
    r = adm.ok("record", "--file", f)
    assert "recorded 1, unchanged 1" in r.err
    assert len(adm.observations()) == 1


def test_batch_conflict_with_store_and_revise(adm, data_dir, seeded, tmp_path):
    rows = [dict(r) for r in SEED_ROWS]
    rows[0]["value"] = 17.0            # a conflict with the store
    rows.append({"state": "KHM", "indicator": "gdp", "year": 2024, "value": 45, "source": "NIS", "note": None})
    f = write_file(tmp_path / "again.json", json.dumps(rows))
    r = adm("record", "--file", f)
    assert_clean_error(r, 1, contains=("VNM digital-economy-share 2023", "--revise", "item 1"))
    assert store_bytes(data_dir) == seeded
    r = adm.ok("record", "--file", f, "--revise")
    assert "recorded 1, unchanged 4, revised 1" in r.err
    assert rows_of(adm.observations(all_revisions=False), "VNM", DES, 2023)[0]["value"] == 17.0


def test_header_only_records_nothing(adm, data_dir, tmp_path):
    f = write_file(tmp_path / "empty.csv", "state,indicator,year,value,source,note\n")
    r = adm.ok("record", "--file", f)
    assert "recorded 0, unchanged 0, revised 0" in r.err
    assert store_bytes(data_dir) is None
    f = write_file(tmp_path / "empty.json", "[]")
    assert "recorded 0" in adm.ok("record", "--file", f).err


@pytest.mark.parametrize("content, needle", [
    ("", "empty"),
    ("state,indicator,year\nKHM,gdp,2024\n", "missing column 'value'"),
    ("state,indicator,year,value,colour\nKHM,gdp,2024,1,red\n", "unknown column 'colour'"),
    ("state,state,indicator,year,value\n", "twice"),
])
def test_bad_headers(adm, data_dir, seeded, tmp_path, content, needle):
    f = write_file(tmp_path / "h.csv", content)
    r = adm("record", "--file", f)
    assert_clean_error(r, 1, one_line=True, contains=needle)
    assert store_bytes(data_dir) == seeded


def test_record_file_usage_errors(adm, data_dir, tmp_path):
    f = write_file(tmp_path / "x.csv", "state,indicator,year,value\n")
    assert_clean_error(adm("record", "VNM", "gdp", "2024", "1", "--file", f), 2, one_line=True)
    assert_clean_error(adm("record", "--file", f, "--source", "x"), 2, one_line=True, contains="--source")
    assert_clean_error(adm("record", "--file", tmp_path / "missing.csv"), 1, one_line=True, contains="no such file")
    assert_clean_error(adm("record", "--file", tmp_path), 1, one_line=True, contains="folder")
    assert store_bytes(data_dir) is None


def test_year_bounds_follow_the_calendar(adm, data_dir):
    adm.ok("record", "KHM", "gdp", str(YEAR), "1", "--source", "x")
    adm.ok("record", "KHM", "gdp", "1990", "1", "--source", "x")
    before = store_bytes(data_dir)
    for bad in (str(YEAR + 1), "1989", "20x4", "2024.0", "", "  "):
        r = adm("record", "KHM", "gdp", bad, "1", "--source", "x")
        assert_clean_error(r, 1, one_line=True, contains="year")
    assert store_bytes(data_dir) == before
