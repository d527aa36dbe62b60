"""The write path (SPEC §2.2, §3 `record`/`retract`, §8 obs_status; issue 12 "Pipelines and round trips"
and "Batch import"; issue 14 plans that are not files): obs_status from every input to the store, a full
history exported and imported back, what a batch import says, and targets.toml in the wrong shape."""

from __future__ import annotations

import csv
import io
import json
import os

import pytest
from conftest import assert_clean_error, store_bytes, store_doc, write_file

DES = "digital-economy-share"
VALID_CODES = "A (normal), B (break in series), E (estimated), F (forecast), I (imputed), P (provisional)"


def entries(folder) -> list[dict]:
    """The store's entries as tomllib reads them, without the timestamps."""
    return [{k: v for k, v in e.items() if k != "recorded_at"} for e in store_doc(folder)]


# ---- obs_status (SPEC §8) --------------------------------------------------------------------------

def test_record_obs_status_any_case_stored_upper_and_normal_never_written(adm, data_dir):
    r = adm.ok("record", "VNM", DES, "2024", "18.3", "--source", "MIC", "--obs-status", "p")
    assert "[P]" in r.err
    adm.ok("record", "THA", DES, "2024", "20.1", "--source", "NESDC", "--obs-status", "A")
    docs = store_doc(data_dir)
    assert docs[0]["obs_status"] == "P"
    assert "obs_status" not in docs[1]
    # the same figure with the same status is unchanged; A and no status are the same thing
    r = adm.ok("record", "VNM", DES, "2024", "18.3", "--source", "MIC", "--obs-status", "P")
    assert r.err.startswith("unchanged")
    assert adm.ok("record", "THA", DES, "2024", "20.1", "--source", "NESDC").err.startswith("unchanged")


def test_unknown_obs_status_lists_the_valid_codes(adm, data_dir):
    r = adm("record", "VNM", DES, "2024", "18.3", "--source", "MIC", "--obs-status", "X")
    assert_clean_error(r, 2, one_line=True, contains=("obs_status", "'X'", VALID_CODES))  # a bad option value
    assert store_bytes(data_dir) is None


def test_a_changed_status_is_a_revision(adm, data_dir):
    adm.ok("record", "VNM", DES, "2024", "18.3", "--source", "MIC", "--obs-status", "P")
    before = store_bytes(data_dir)
    r = adm("record", "VNM", DES, "2024", "18.3", "--source", "MIC")
    assert_clean_error(r, 1, one_line=True, contains=("obs_status P → A", "--revise"))
    assert "18.3 → 18.3" not in r.err
    assert store_bytes(data_dir) == before
    r = adm.ok("record", "VNM", DES, "2024", "18.3", "--source", "MIC", "--revise")
    assert "revised" in r.err and "was 18.3 [P]" in r.err
    assert [e.get("obs_status") for e in store_doc(data_dir)] == ["P", None]


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "jsonl", "sdmx-csv"])
def test_obs_status_from_every_input_format(adm, data_dir, tmp_path, fmt):
    rows = [{"state": "VNM", "indicator": DES, "year": 2023, "value": 16.5, "source": "MIC", "obs_status": "e"},
            {"state": "THA", "indicator": DES, "year": 2023, "value": 20.0, "source": "NESDC", "obs_status": ""}]
    if fmt in ("csv", "tsv"):
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(rows[0]), delimiter="\t" if fmt == "tsv" else ",")
        w.writeheader()
        w.writerows(rows)
        text = buf.getvalue()
    elif fmt == "json":
        text = json.dumps(rows)
    elif fmt == "jsonl":
        text = "\n".join(json.dumps(r) for r in rows)
    else:
        text = ("DATAFLOW,REF_AREA,INDICATOR,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS,SOURCE\n"
                + "".join(f"ASEAN:ADM2030(1.0),{r['state']},{DES},2023,{r['value']},PT,"
                          f"{r['obs_status'].upper() or 'A'},{r['source']}\n" for r in rows))
    f = write_file(tmp_path / f"in.{'csv' if fmt == 'sdmx-csv' else fmt}", text)
    adm.ok("record", "--file", f, "--input-format", fmt)
    assert [(e["state"], e.get("obs_status"), e["source"]) for e in store_doc(data_dir)] == [
        ("VNM", "E", "MIC"), ("THA", None, "NESDC")]


def test_a_bad_code_in_a_file_is_a_row_error(adm, data_dir, tmp_path):
    f = write_file(tmp_path / "in.csv", f"state,indicator,year,value,source,obs_status\nVNM,{DES},2023,16.5,MIC,Q\n")
    r = adm("record", "--file", f)
    assert_clean_error(r, 1, contains=("in.csv:2: obs_status: unknown code 'Q'", VALID_CODES))
    assert store_bytes(data_dir) is None


def test_store_status_is_read_alike_by_both_readers_and_checked(adm, data_dir):
    from admtrack.store.codec import read_fast, read_toml

    adm.ok("record", "VNM", DES, "2024", "18.3", "--source", "MIC", "--obs-status", "E")
    text = (data_dir / "observations.toml").read_text()
    fast = read_fast(text)
    assert fast is not None and fast[0].obs_status == "E"
    assert read_toml(text, "s") == fast
    # a hand edit: lower case is still E; an unknown code is reported by check and refused by status
    (data_dir / "observations.toml").write_text(text.replace('"E"', '"e"'))
    assert read_fast((data_dir / "observations.toml").read_text())[0].obs_status == "E"
    adm.ok("check")
    (data_dir / "observations.toml").write_text(text.replace('"E"', '"Z"'))
    r = adm("check")
    assert r.code == 1 and "obs_status: unknown code 'Z'" in r.err and ":4:" in r.err
    assert_clean_error(adm("status"), 1, contains="obs_status")


def test_status_survives_the_cache(adm, data_dir):
    adm.ok("record", "VNM", DES, "2024", "18.3", "--source", "MIC", "--obs-status", "E")
    adm.ok("record", "VNM", DES, "2023", "16.3", "--source", "MIC")
    for _ in range(2):  # the second run reads the cache
        r = adm.ok("status", "--format", "json", "--state", "VNM")
        [t] = [t for t in r.json["targets"] if t["indicator"] == DES]
        assert t["states"][0]["latest"]["obs_status"] == "E"


# ---- history round trips (issue 12) --------------------------------------------------------------

def make_history(adm):
    """Figures, a revision, a retraction of a recorded figure and of a bundled one, a status."""
    adm.ok("record", "VNM", DES, "2023", "16.5", "--source", "MIC", "--note", "GSO definition")
    adm.ok("record", "VNM", DES, "2024", "18.3", "--source", "MIC", "--obs-status", "P")
    adm.ok("record", "VNM", DES, "2024", "18.7", "--source", "MIC, final", "--revise")
    adm.ok("record", "THA", "gdp", "2024", "526.4", "--source", "NESDC")
    adm.ok("retract", "THA", "gdp", "2024", "--reason", "wrong series")
    adm.ok("record", "THA", "gdp", "2024", "514.7", "--source", "NESDC, revised")
    adm.ok("retract", "IDN", "gdp", "2024", "--reason", "distrusted bundled figure")
    adm.ok("record", "ASEAN", DES, "2024", "9.1", "--source", "ASEAN Secretariat")


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "jsonl"])
def test_all_revisions_export_reimports_to_the_same_history(adm, data_dir, tmp_path, fmt):
    make_history(adm)
    exported = adm.ok("export", "--format", fmt, "--all-revisions").out  # the reference layer included
    f = write_file(tmp_path / f"history.{fmt}", exported)
    other = tmp_path / "elsewhere"
    r = adm.ok("record", "--file", f, data_dir=other)
    assert "recorded 5, unchanged 0, revised 1, retracted 2" in r.err
    assert "skipped" in r.err and "reference layer" in r.err
    assert entries(other) == entries(data_dir)
    # importing the same history again changes nothing
    before = store_bytes(other)
    r = adm.ok("record", "--file", f, data_dir=other)
    assert "recorded 0, unchanged 8, revised 0" in r.err
    assert store_bytes(other) == before


def test_obs_status_round_trip(adm, data_dir, tmp_path):
    adm.ok("record", "VNM", DES, "2024", "18.3", "--source", "MIC", "--obs-status", "P")
    for fmt in ("csv", "json", "jsonl", "tsv"):
        exported = adm.ok("export", "--format", fmt, "--all-revisions", no_reference=True).out
        assert "obs_status" in exported
        other = tmp_path / f"other-{fmt}"
        adm.ok("record", "--file", write_file(tmp_path / f"x.{fmt}", exported), data_dir=other)
        assert store_doc(other)[0]["obs_status"] == "P"


def test_a_history_into_a_store_that_holds_part_of_it_needs_revise(adm, data_dir, tmp_path):
    adm.ok("record", "VNM", DES, "2024", "18.3", "--source", "MIC")
    adm.ok("record", "VNM", DES, "2024", "18.7", "--source", "MIC", "--revise")
    f = write_file(tmp_path / "h.json", adm.ok("export", "--format", "json", "--all-revisions", no_reference=True).out)
    other = tmp_path / "other"
    adm.ok("record", "VNM", DES, "2024", "18.3", "--source", "MIC", data_dir=other)
    before = store_bytes(other)
    r = adm("record", "--file", f, data_dir=other)
    assert_clean_error(r, 1, contains=("item 2", "holds the first 1 entry", "--revise"))
    assert store_bytes(other) == before
    r = adm.ok("record", "--file", f, "--revise", data_dir=other)
    assert "recorded 0, unchanged 1, revised 1" in r.err
    assert entries(other) == entries(data_dir)


def test_a_retraction_row_needs_a_reason(adm, data_dir, tmp_path):
    f = write_file(tmp_path / "h.csv", f"state,indicator,year,value,retracted,reason\nVNM,{DES},2024,,true,\n")
    assert_clean_error(adm("record", "--file", f), 1, contains="h.csv:2: reason: is required")
    f = write_file(tmp_path / "h.csv", f"state,indicator,year,value,retracted,reason\nVNM,{DES},2024,,maybe,x\n")
    assert_clean_error(adm("record", "--file", f), 1, contains="retracted: must be true or false")
    f = write_file(tmp_path / "h.csv", f"state,indicator,year,value,retracted,reason\nVNM,{DES},2024,,true,gone\n")
    adm.ok("record", "--file", f)
    assert entries(data_dir) == [{"state": "VNM", "indicator": DES, "year": 2024, "retracted": True, "reason": "gone"}]


def test_an_unknown_layer_is_a_row_error(adm, data_dir, tmp_path):
    f = write_file(tmp_path / "x.csv", f"state,indicator,year,value,layer\nVNM,{DES},2024,1,derived\n")
    assert_clean_error(adm("record", "--file", f), 1, contains="x.csv:2: layer: must be store or reference")


def test_sdmx_csv_keeps_source_and_comment(adm, data_dir, tmp_path):
    text = ("DATAFLOW,REF_AREA,INDICATOR,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS,SOURCE,COMMENT_OBS\n"
            f'ASEAN:ADM2030(1.0),VNM,{DES},2024,18.3,PT,P,"MIC, 2025","national definition"\n')
    f = write_file(tmp_path / "s.csv", text)
    assert_clean_error(adm("record", "--file", f), 1, contains="looks like SDMX-CSV: add --input-format sdmx-csv")
    adm.ok("record", "--file", f, "--input-format", "sdmx-csv")
    assert entries(data_dir) == [{"state": "VNM", "indicator": DES, "year": 2024, "value": 18.3, "source": "MIC, 2025",
                                  "note": "national definition", "obs_status": "P"}]


def test_sdmx_csv_export_round_trip(adm, data_dir, tmp_path):
    adm.ok("record", "VNM", DES, "2024", "18.3", "--source", "MIC", "--note", "n", "--obs-status", "P")
    exported = adm.ok("export", "--format", "sdmx-csv", no_reference=True).out
    assert "SOURCE" in exported.splitlines()[0]
    other = tmp_path / "other"
    adm.ok("record", "--file", write_file(tmp_path / "s.csv", exported), "--input-format", "sdmx-csv", data_dir=other)
    assert entries(other) == entries(data_dir)


# ---- what a batch import says (issue 12) -----------------------------------------------------------

def test_row_errors_and_conflicts_are_listed_in_one_run(adm, data_dir, tmp_path):
    adm.ok("record", "VNM", "gdp", "2024", "514.7", "--source", "GSO")
    before = store_bytes(data_dir)
    f = write_file(tmp_path / "b.csv", "state,indicator,year,value,source\n"
                                       "VNM,gdp,2024,514.7,WDI\n"        # differs from the store in source
                                       "THA,gdp,2024,12;5,NESDC\n"       # a bad value
                                       "MYS,gdp,2024,400,DOSM\n"
                                       "MYS,gdp,2024,401,DOSM\n")        # differs from line 4
    r = adm("record", "--file", f)
    assert_clean_error(r, 1, contains=("1 bad row(s) and 2 conflict(s), nothing recorded",))
    lines = r.err.splitlines()[1:]
    assert lines[0].strip().startswith(f"{f}:2: VNM gdp 2024: differs from the stored entry")
    assert "observations.toml:4)" in lines[0] and "source 'GSO' → 'WDI'" in lines[0] and "514.7 → 514.7" not in lines[0]
    assert lines[1].strip().startswith(f"{f}:3: value:")
    assert lines[2].strip() == f"{f}:5: MYS gdp 2024: given twice in this input, differing from line 4: value 400 → 401"
    assert store_bytes(data_dir) == before


def test_values_equal_to_15_digits_show_every_digit(adm, data_dir):
    adm.ok("record", "VNM", "gdp", "2024", "514.7", "--source", "GSO")
    import math

    close = repr(math.nextafter(514.7, math.inf))
    r = adm("record", "VNM", "gdp", "2024", close, "--source", "GSO")
    assert_clean_error(r, 1, contains=f"value 514.7 → {close}")


def test_dry_run_lists_each_row_then_the_counts(adm, data_dir, tmp_path):
    adm.ok("record", "VNM", "gdp", "2024", "514.7", "--source", "GSO")
    adm.ok("record", "THA", "gdp", "2024", "526.4", "--source", "NESDC")
    before = store_bytes(data_dir)
    f = write_file(tmp_path / "b.csv", "state,indicator,year,value,source\n"
                                       "VNM,gdp,2024,520.1,GSO\n"
                                       "THA,gdp,2024,526.4,NESDC\n"
                                       "MYS,gdp,2024,400,DOSM\n")
    r = adm.ok("record", "--file", f, "--revise", "--dry-run")
    assert r.err.splitlines() == [
        f"  {f}:2: would be revised VNM gdp 2024 = 520.1 (was 514.7)",
        f"  {f}:3: unchanged THA gdp 2024 = 526.4",
        f"  {f}:4: would be recorded MYS gdp 2024 = 400",
        f"dry run: would have recorded 1, unchanged 1, revised 1 ({f}, csv)",
        "1 of the recorded figure(s) stand over a bundled reference figure (see `admtrack history`)",
    ]
    assert store_bytes(data_dir) == before


def test_a_figure_without_a_source_is_accepted_with_a_warning(adm, data_dir, tmp_path):
    r = adm.ok("record", "VNM", DES, "2024", "18.3")
    assert "admtrack: warning: recorded without a source" in r.err
    assert adm.ok("record", "VNM", DES, "2024", "18.3").err.startswith("unchanged")  # no second warning
    assert "warning" not in adm.ok("record", "VNM", DES, "2024", "18.3").err
    f = write_file(tmp_path / "b.csv", f"state,indicator,year,value\nTHA,{DES},2024,20\nMYS,{DES},2024,21\n")
    r = adm.ok("record", "--file", f)
    assert "admtrack: warning: 2 figure(s) recorded without a source" in r.err


def test_recording_over_a_reference_figure_says_so(adm, data_dir):
    from admtrack.reference import load_reference

    [ref] = [e for e in load_reference() if e.key == ("VNM", "gdp", 2024)]
    r = adm.ok("record", "VNM", "gdp", "2024", "480.1", "--source", "GSO")
    assert r.err.strip() == f"recorded VNM gdp 2024 = 480.1 (over the reference figure {ref.value:.15g})"
    r = adm.ok("record", "VNM", "gdp", "2023", "470", "--source", "GSO", no_reference=True)
    assert "reference" not in r.err


# ---- targets.toml that is not a plan file (issue 14) ----------------------------------------------

def _folder_plan(data_dir):
    (data_dir / "targets.toml").mkdir(parents=True)


def _dangling_plan(data_dir):
    data_dir.mkdir(parents=True)
    os.symlink(data_dir / "gone.toml", data_dir / "targets.toml")


def _fifo_plan(data_dir):
    data_dir.mkdir(parents=True)
    os.mkfifo(data_dir / "targets.toml")


@pytest.mark.parametrize("make, words", [(_folder_plan, "is a folder"), (_dangling_plan, "does not exist"),
                                         (_fifo_plan, "not a regular file")])
@pytest.mark.parametrize("command", [["status"], ["gaps"], ["targets"], ["export"], ["history", "VNM", "gdp"],
                                     ["record", "VNM", "gdp", "2024", "1", "--source", "x"], ["check"]])
def test_a_plan_that_is_not_a_file_is_an_error_everywhere(adm, data_dir, make, words, command):
    make(data_dir)
    r = adm(*command)
    assert r.code == 1 and "Traceback" not in r.err
    assert "targets.toml" in r.err and words in r.err, r.err
    assert "observations.toml" not in os.listdir(data_dir)


def test_check_still_reads_the_store_when_the_plan_is_not_a_file(adm, data_dir):
    adm.ok("record", "VNM", "gdp", "2024", "1", "--source", "x")
    _folder_plan(data_dir) if not (data_dir / "targets.toml").exists() else None
    r = adm("check")
    assert r.code == 1 and "is a folder" in r.err


# ---- inputs that would not fit in memory (issue 14) -------------------------------------------------

def test_an_input_that_would_not_fit_is_refused_before_any_work(monkeypatch, adm, data_dir, tmp_path):
    from admtrack import inputs

    with pytest.raises(inputs.AdmError, match=r"needs about 100 MiB of memory and only 50 MiB is available; split"):
        inputs.check_fits("big.csv", 10 * 1024 * 1024, available=50 * 1024 * 1024)
    inputs.check_fits("small.csv", 1024, available=50 * 1024 * 1024)
    monkeypatch.setattr(inputs, "available_memory", lambda: 10)
    f = write_file(tmp_path / "b.csv", f"state,indicator,year,value,source\nVNM,{DES},2024,1,x\n")
    assert_clean_error(adm("record", "--file", f), 1, one_line=True, contains=("b.csv", "split it into smaller files"))
    assert store_bytes(data_dir) is None


# ---- a history input restates what it repeats (SPEC §2.2 "Idempotent") --------------------------------

HISTORY_HEAD = "state,indicator,year,value,source,retracted,reason\n"


def test_a_history_that_ends_where_the_store_stands_adds_nothing(adm, data_dir, tmp_path):
    adm.ok("record", "IDN", "gdp", "2020", "1", "--source", "a")
    adm.ok("record", "IDN", "gdp", "2020", "3", "--source", "a", "--revise")
    before = store_bytes(data_dir)
    f = write_file(tmp_path / "cur.csv", HISTORY_HEAD + "IDN,gdp,2020,3,a,false,\n")
    for extra in ([], ["--revise"], ["--revise"]):  # run again and again: nothing to add
        r = adm.ok("record", "--file", f, *extra)
        assert r.err.startswith("recorded 0, unchanged 1, revised 0"), r.err
    assert store_bytes(data_dir) == before
    # an input that goes on from there needs --revise; appended once, it then ends where the store stands
    f2 = write_file(tmp_path / "more.csv", HISTORY_HEAD + "IDN,gdp,2020,3,a,false,\nIDN,gdp,2020,4,a,false,\n")
    assert_clean_error(adm("record", "--file", f2), 1, contains="--revise")
    adm.ok("record", "--file", f2, "--revise")
    after = store_bytes(data_dir)
    assert "unchanged 2" in adm.ok("record", "--file", f2, "--revise").err
    assert store_bytes(data_dir) == after
    mine = [e for e in adm.ok("history", "IDN", "gdp", "-f", "json").json["entries"]
            if e["year"] == 2020 and e["layer"] == "store"]
    assert mine[-1]["value"] == 4.0 and mine[-1]["status"] == "current"


def test_repeated_entries_in_a_history_are_restatements(adm, data_dir, tmp_path):
    f = write_file(tmp_path / "h.csv", HISTORY_HEAD + "MMR,gdp,2021,5,a,false,\nMMR,gdp,2021,5,a,false,\n"
                                                      "MMR,gdp,2021,,,true,r\nMMR,gdp,2021,,,true,r\n")
    r = adm.ok("record", "--file", f, no_reference=True)
    assert "recorded 1, unchanged 2, revised 0" in r.err and "retracted 1" in r.err, r.err
    assert [(e.get("value"), e.get("retracted", False)) for e in entries(data_dir)] == [(5.0, False), (None, True)]


def test_a_retraction_row_withdraws_only_what_is_there(adm, data_dir, tmp_path):
    """As `admtrack retract`: no figure in any layer, nothing to retract; a retraction carries no value."""
    ai = "public-services-ai-share"  # no bundled figure: nothing in any layer to retract
    f = write_file(tmp_path / "r.csv", HISTORY_HEAD.replace("source,", "") + f"MYS,{ai},2019,,true,why\n")
    assert_clean_error(adm("record", "--file", f), 1, contains="nothing to retract")
    assert store_bytes(data_dir) is None
    adm.ok("record", "MYS", "gdp", "2019", "340", "--source", "a", no_reference=True)
    before = store_bytes(data_dir)
    for row, field in (("MYS,gdp,2019,340,a,true,r", "value"), ("MYS,gdp,2019,,a,true,r,E", "obs_status")):
        head = HISTORY_HEAD.rstrip("\n") + (",obs_status\n" if field == "obs_status" else "\n")
        r = adm("record", "--file", write_file(tmp_path / "bad.csv", head + row + "\n"), no_reference=True)
        assert_clean_error(r, 1, contains=f"{field}: must be empty on a retraction")
        assert store_bytes(data_dir) == before


def test_messages_show_a_revision_at_full_precision(adm, data_dir):
    adm.ok("record", "IDN", "gdp", "2021", "16.6817391341234567", "--source", "x")
    r = adm.ok("record", "IDN", "gdp", "2021", "16.68173913412346", "--source", "x", "--revise")
    assert f"revised IDN gdp 2021 = 16.68173913412346 (was {float('16.6817391341234567')!r})" in r.err, r.err
    assert adm.ok("record", "IDN", "gdp", "2022", "45", "--source", "x").err.startswith("recorded IDN gdp 2022 = 45")


def test_a_retraction_after_a_retraction_adds_nothing(adm, data_dir, tmp_path):
    """As `admtrack retract` says "already retracted", whatever the reason."""
    f = write_file(tmp_path / "z.csv", HISTORY_HEAD + "KHM,gdp,2019,1,s,false,\nKHM,gdp,2019,,,true,a\n"
                                                      "KHM,gdp,2019,,,true,b\n")
    adm.ok("record", "--file", f, no_reference=True)
    assert [e.get("reason") for e in entries(data_dir)] == [None, "a"]


def test_reasons_in_an_input_are_a_retractions_and_say_something(adm, data_dir, tmp_path):
    for row, needle in (("KHM,gdp,2019,1,s,false,kept?", "only a retraction has a reason"),
                        ("KHM,gdp,2019,,,true,   ", "reason: is required")):
        r = adm("record", "--file", write_file(tmp_path / "w.csv", HISTORY_HEAD + row + "\n"))
        assert_clean_error(r, 1, contains=needle)
    assert store_bytes(data_dir) is None


def test_a_retraction_of_a_bundled_figure_out_of_view_round_trips(adm, data_dir, tmp_path):
    """A store retracting a bundled figure, exported under --no-reference, reads back anywhere."""
    adm.ok("retract", "THA", DES, "2021", "--reason", "definition changed")
    out = adm.ok("export", "--all-revisions", "-f", "jsonl", no_reference=True).out
    f = write_file(tmp_path / "h.jsonl", out)
    other = tmp_path / "other"
    adm.ok("record", "--file", f, data_dir=other, no_reference=True)
    assert entries(other) == entries(data_dir)


def test_check_refuses_a_stored_retraction_with_a_value(adm, data_dir):
    text = ('[[observation]]\nstate = "KHM"\nindicator = "gdp"\nyear = 2019\nvalue = 27.0\nsource = "s"\n'
            'recorded_at = 2026-12-03T19:30:08.000000Z\n\n'
            '[[observation]]\nstate = "KHM"\nindicator = "gdp"\nyear = 2019\nvalue = 3.0\nretracted = true\n'
            'reason = "x"\nrecorded_at = 2026-12-03T19:30:09.000000Z\n')
    write_file(data_dir / "observations.toml", text)
    assert_clean_error(adm("check"), 1, contains="observations.toml:9: value: must be absent on a retraction")
