"""Reading commands and their formats (SPEC §2.3, §2.4, §3, §4): targets, states, history, export, check,
init; the reference layer; where data lives."""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from pathlib import Path

import pytest
from conftest import STATES, assert_clean_error, store_bytes, write_file

import admtrack
from admtrack.plan import bundled_path, bundled_text
from admtrack.reference import reference_path
from admtrack.render.machine import inert

FORMATS = ["table", "json", "csv", "tsv", "markdown"]
EXPORT_KEYS = ["state", "indicator", "year", "value", "source", "note", "recorded_at", "layer"]
ANSI = "\x1b["


def parse_delimited(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def check_format(out: str, fmt: str) -> object:
    """Light structural checks every format must pass; returns the parsed document or rows."""
    assert out.strip(), "empty output"
    assert ANSI not in out
    if fmt == "json":
        doc = json.loads(out)
        assert isinstance(doc["schema"], str) and doc["schema"].startswith("admtrack.")
        return doc
    if fmt in ("csv", "tsv"):
        rows = parse_delimited(out, "," if fmt == "csv" else "\t")
        assert len({len(r) for r in rows}) == 1, "ragged rows"
        return rows
    if fmt == "markdown":
        lines = out.strip("\n").split("\n")
        assert all(ln.startswith("|") and ln.endswith("|") for ln in lines)
        assert set(lines[1]) <= set("|-: ")
        return lines
    return out


@pytest.fixture
def wide(monkeypatch):
    """Tables at 250 columns, so that cells are not folded."""
    monkeypatch.setenv("COLUMNS", "250")


@pytest.mark.parametrize("fmt", FORMATS)
def test_targets_in_every_format(adm, fmt, wide):
    r = adm.ok("targets", "--format", fmt)
    got = check_format(r.out, fmt)
    if fmt == "json":
        assert got["schema"] == "admtrack.targets/1"
        assert set(got) >= {"schema", "plan", "targets", "indicators"}
        assert got["plan"]["id"] == "ADM2030" and got["plan"]["baseline_year"] == 2025
        assert [t["id"] for t in got["targets"]][:2] == ["digital-economy-share", "digital-economy-value-added"]
        bundled = tomllib.loads(bundled_text())
        assert len(got["targets"]) == 6 and len(got["indicators"]) == len(bundled["indicator"])
        for t in got["targets"]:
            assert {"id", "title", "indicator", "kind", "direction", "aggregate", "source"} <= set(t)
            assert ("value" in t) == (t["kind"] == "level") and ("change" in t) == (t["kind"] == "relative")
        ssc = next(t for t in got["targets"] if t["id"] == "social-service-cost")
        assert ssc["change"] == -0.4 and isinstance(ssc["change"], float)
    elif fmt in ("csv", "tsv"):
        assert got[0][:3] == ["id", "title", "indicator"] and len(got) == 7
        row = dict(zip(got[0], next(r for r in got if r[0] == "social-service-cost")))
        assert row["change"] == "-0.4"  # a number: never prefixed
        assert row["kind"] == "relative"
    elif fmt == "markdown":
        assert len(got) == 8
    else:
        assert "digital-economy-share" in r.out


def test_targets_filter(adm):
    doc = adm.ok("targets", "--format", "json", "--target", "productivity").json
    assert [t["id"] for t in doc["targets"]] == ["productivity"]
    assert_clean_error(adm("targets", "--target", "nope"), 2, one_line=True, contains="nope")


@pytest.mark.parametrize("fmt", FORMATS)
def test_states_in_every_format(adm, fmt, wide):
    r = adm.ok("states", "--format", fmt)
    got = check_format(r.out, fmt)
    if fmt == "json":
        assert got["schema"] == "admtrack.states/1"
        assert sorted(s["code"] for s in got["states"]) == sorted(STATES)
        for s in got["states"]:
            assert set(s) == {"code", "alpha2", "name", "aliases", "joined"}
            assert isinstance(s["aliases"], list)
        by = {s["code"]: s for s in got["states"]}
        assert by["TLS"]["joined"] == "2025-10-26"
        assert "Vietnam" in by["VNM"]["aliases"] and by["VNM"]["alpha2"] == "VN"
    elif fmt in ("csv", "tsv"):
        assert got[0] == ["code", "alpha2", "name", "aliases", "joined"] and len(got) == 12
    elif fmt == "markdown":
        assert len(got) == 13
    else:
        for code in STATES:
            assert code in r.out


@pytest.mark.parametrize("fmt", FORMATS)
def test_history_in_every_format(adm, fmt, seeded, wide):
    adm.ok("record", "VNM", "gdp", "2024", "999", "--source", "GSO")
    adm.ok("record", "VNM", "gdp", "2024", "998", "--source", "GSO", "--revise")
    adm.ok("record", "VNM", "gdp", "2023", "476.324572783807", "--source", "GSO")
    adm.ok("record", "VNM", "gdp", "2023", "476.3245", "--source", "GSO", "--revise")
    r = adm.ok("history", "Vietnam", "gdp", "--format", fmt)
    got = check_format(r.out, fmt)
    if fmt != "json":  # full precision in every format (SPEC §8): the revision stays visible
        assert "476.324572783807" in r.out and re.search(r"476\.3245(?!\d)", r.out), r.out
    if fmt == "json":
        assert got["schema"] == "admtrack.history/1"
        assert (got["state"], got["indicator"]) == ("VNM", "gdp")
        store = [e for e in got["entries"] if e["layer"] == "store" and e["year"] == 2024]
        assert [(e["value"], e["status"]) for e in store] == [(999.0, "superseded"), (998.0, "current")]
        ref = [e for e in got["entries"] if e["layer"] == "reference"]
        assert ref and [e["year"] for e in ref] == sorted(e["year"] for e in ref)
        assert next(e for e in ref if e["year"] == 2024)["status"] == "superseded"
        assert all(isinstance(e["value"], float) for e in got["entries"])
    elif fmt in ("csv", "tsv"):
        assert got[0][:2] == ["year", "value"]
        assert [r for r in got if r[1] == "998.0"][0][:2] == ["2024", "998.0"]
    elif fmt == "markdown":
        assert any("998" in ln for ln in got)
    else:
        assert "998" in r.out and "GSO" in r.out


@pytest.mark.parametrize("text", ["[/]", "[bold]not bold[/bold]", "[red]x", "[link=http://evil]click[/link]",
                                  "see [1] and [percent]"])
def test_history_table_shows_bracketed_text_verbatim(adm, text, wide):
    """Sources are data, not Rich markup: printed exactly, never a crash."""
    adm.ok("record", "VNM", "gdp", "2024", "430", "--source", text)
    r = adm("history", "VNM", "gdp", no_reference=True)
    assert r.code == 0, r.err
    assert text in r.out


def test_history_table_title_names_the_unit(adm, wide):
    out = adm.ok("history", "VNM", "gdp").out
    assert "VNM gdp [usd-bn]" in out.splitlines()[0], out.splitlines()[0]


def test_targets_table_shows_the_unit_of_each_target(adm, wide):
    out = adm.ok("targets").out
    for ind, unit in (("digital-economy-share", "percent"), ("digital-economy-value-added", "usd-bn"),
                      ("labour-productivity", "usd")):
        # the indicators table: one line per indicator, its id then its unit
        assert re.search(rf"^{re.escape(ind)}\s+{re.escape(unit)}\s", out, re.M), out


def test_history_errors(adm):
    assert_clean_error(adm("history", "Atlantis", "gdp"), 1, one_line=True, contains="Atlantis")
    assert_clean_error(adm("history", "VNM", "gdpp"), 1, one_line=True, contains="gdpp")
    assert_clean_error(adm("history", "VNM"), 2)


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "jsonl", "sdmx-csv"])
@pytest.mark.parametrize("all_revisions", [False, True])
def test_export_in_every_format(adm, seeded, fmt, all_revisions):
    adm.ok("record", "VNM", "digital-economy-share", "2024", "18.5", "--source", "MIC", "--note", "est.", "--revise")
    args = ["export", "--format", fmt] + (["--all-revisions"] if all_revisions else [])
    if fmt == "sdmx-csv" and all_revisions:  # one value per series and year: no history to hold
        assert_clean_error(adm(*args, no_reference=True), 2, one_line=True, contains="--all-revisions")
        return
    r = adm.ok(*args, no_reference=True)
    n_store = 6 if all_revisions else 5
    extra = (["retracted", "reason"] if all_revisions else []) + ["obs_status"]  # obs_status: SPEC §8
    if fmt == "json":
        doc = json.loads(r.out)
        assert doc["schema"] == "admtrack.observations/1"
        assert set(doc) == {"schema", "as_recorded", "observations"} and doc["as_recorded"] is None
        obs = doc["observations"]
        assert len(obs) == n_store
        for o in obs:
            assert list(o)[:8] == EXPORT_KEYS and set(o) == set(EXPORT_KEYS + extra)
            assert isinstance(o["year"], int) and isinstance(o["value"], float) and o["layer"] == "store"
    elif fmt == "jsonl":
        obs = [json.loads(ln) for ln in r.out.splitlines()]
        assert len(obs) == n_store and all(set(o) == set(EXPORT_KEYS + extra) for o in obs)
    elif fmt in ("csv", "tsv"):
        rows = parse_delimited(r.out, "," if fmt == "csv" else "\t")
        assert rows[0] == EXPORT_KEYS + extra and len(rows) == n_store + 1
    else:
        rows = parse_delimited(r.out)
        assert rows[0] == ["DATAFLOW", "REF_AREA", "INDICATOR", "TIME_PERIOD", "OBS_VALUE", "UNIT_MEASURE",
                           "OBS_STATUS", "SOURCE", "COMMENT_OBS"]
        assert all(row[0] == "ASEAN:ADM2030(1.0)" and row[6] == "A" for row in rows[1:])
        assert ["MIC", "est."] in [row[7:] for row in rows[1:] if row[3] == "2024" and row[4] == "18.5"]
        keys = [(row[1], row[2], row[3], row[4]) for row in rows[1:]]
        assert ("VNM", "digital-economy-share", "2024", "18.5") in keys
        assert len(rows) == 6 and ("VNM", "digital-economy-share", "2024", "18.3") not in keys
        assert {row[1] for row in rows[1:]} == {"VNM", "THA", "IDN", "ASEAN"}


def test_export_round_trips_through_record(adm, seeded, tmp_path, data_dir):
    """What export writes, record --file reads back as the same figures (all unchanged)."""
    for fmt, ext in (("csv", "csv"), ("tsv", "tsv"), ("json", "json"), ("jsonl", "jsonl")):
        r = adm.ok("export", "--format", fmt, no_reference=True)
        f = write_file(tmp_path / f"back.{ext}", r.out)
        before = store_bytes(data_dir)
        r = adm.ok("record", "--file", f)
        assert "recorded 0, unchanged 5, revised 0" in r.err, (fmt, r.err)
        assert store_bytes(data_dir) == before


def test_export_filters(adm, seeded):
    obs = adm.ok("export", "-f", "json", "--state", "vn", no_reference=True).json["observations"]
    assert {o["state"] for o in obs} == {"VNM"} and len(obs) == 2
    obs = adm.ok("export", "-f", "json", "--indicator", "gdp", "--as-of", "2023").json["observations"]
    assert {o["indicator"] for o in obs} == {"gdp"} and max(o["year"] for o in obs) == 2023
    assert_clean_error(adm("export", "--state", "Atlantis"), 2, one_line=True)
    assert_clean_error(adm("export", "--indicator", "nope"), 2, one_line=True)
    assert_clean_error(adm("export", "--format", "xlsx"), 2, one_line=True)
    assert_clean_error(adm("export", "--format", "sdmx-csv", "--dataflow", "bad flow"), 2, one_line=True)


def test_export_by_target(adm, seeded):
    """--target: the indicators a target measures (a derived one: what it is computed from), and its weight."""
    obs = adm.ok("export", "-f", "json", "-t", "digital-economy-value-added").json["observations"]
    assert {o["indicator"] for o in obs} == {"digital-economy-share", "gdp"}
    assert_clean_error(adm("export", "-t", "nope"), 2, one_line=True)


def test_history_as_of_and_a_derived_series(adm, seeded):
    doc = adm.ok("history", "VNM", "gdp", "--as-of", "2021", "-f", "json").json
    assert doc["entries"] and max(e["year"] for e in doc["entries"]) <= 2021
    assert doc["current"] and max(p["year"] for p in doc["current"]) <= 2021
    # a derived series has no entries of its own, but its current values draw a sparkline
    r = adm.ok("history", "VNM", "digital-economy-value-added")
    assert "no entries (derived from digital-economy-share, gdp)" in r.out and "current values" in r.out


def test_states_filter(adm):
    doc = adm.ok("states", "-s", "vn", "-s", "Thailand", "-f", "json").json
    assert [s["code"] for s in doc["states"]] == ["THA", "VNM"]
    assert_clean_error(adm("states", "-s", "Atlantis"), 2, one_line=True)


def test_reference_layer_and_no_reference(adm, data_dir):
    ref = adm.ok("export", "--format", "json").json["observations"]
    assert len(ref) > 200 and {o["layer"] for o in ref} == {"reference"}
    assert all(o["source"] and o["recorded_at"] is None for o in ref)
    assert {o["state"] for o in ref} == set(STATES)
    assert adm.ok("export", "--format", "json", no_reference=True).json["observations"] == []
    # a user figure for the same key wins over the reference one; the others stay
    adm.ok("record", "VNM", "gdp", "2024", "500", "--source", "GSO")
    cur = adm.ok("export", "--format", "json").json["observations"]
    vnm = [o for o in cur if (o["state"], o["indicator"], o["year"]) == ("VNM", "gdp", 2024)]
    assert vnm == [{**vnm[0], "value": 500.0, "source": "GSO", "layer": "store"}]
    assert len(cur) == len(ref)
    every = adm.ok("export", "--format", "json", "--all-revisions").json["observations"]
    assert len(every) == len(ref) + 1
    # --no-reference leaves the bundled figures out of the other commands too
    h = adm.ok("history", "VNM", "gdp", "--format", "json", no_reference=True).json
    assert {e["layer"] for e in h["entries"]} == {"store"}
    st = adm.ok("status", "--format", "json", no_reference=True).json
    gdp_weighted = next(t for t in st["targets"] if t["id"] == "digital-economy-share")
    assert gdp_weighted["region"]["latest"] is None


def test_csv_text_cells_are_made_inert_numbers_never(adm, tmp_path):
    rows = [
        {"state": "VNM", "indicator": "gdp", "year": 2020, "value": 0.5, "source": "=HYPERLINK(\"http://x\")",
         "note": "@SUM(A1)"},
        {"state": "VNM", "indicator": "gdp", "year": 2021, "value": 1e16, "source": "+1 555", "note": "-2 down"},
        {"state": "VNM", "indicator": "gdp", "year": 2022, "value": 0, "source": "\tindented", "note": "plain"},
    ]
    adm.ok("record", "--file", write_file(tmp_path / "f.json", json.dumps(rows)))
    out = adm.ok("export", "--format", "csv", no_reference=True).out
    got = parse_delimited(out)
    cells = [dict(zip(got[0], r)) for r in got[1:]]
    assert [(c["source"], c["note"]) for c in cells] == [
        ("'=HYPERLINK(\"http://x\")", "'@SUM(A1)"), ("'+1 555", "'-2 down"), ("'\tindented", "plain")]
    assert [c["value"] for c in cells] == ["0.5", "1e+16", "0.0"]
    assert [c["year"] for c in cells] == ["2020", "2021", "2022"]
    tsv = parse_delimited(adm.ok("export", "--format", "tsv", no_reference=True).out, "\t")
    assert tsv[1][4] == "'=HYPERLINK(\"http://x\")"
    # --raw opts out; JSON is never altered
    raw = parse_delimited(adm.ok("export", "--format", "csv", "--raw", no_reference=True).out)
    assert raw[1][4] == "=HYPERLINK(\"http://x\")"
    obs = adm.ok("export", "--format", "json", no_reference=True).json["observations"]
    assert obs[0]["source"] == "=HYPERLINK(\"http://x\")" and obs[1]["note"] == "-2 down"
    # sdmx-csv is never prefixed (and carries no free text)
    sd = adm.ok("export", "--format", "sdmx-csv", no_reference=True).out
    assert "'" not in sd


def test_inert_cell_rules():
    for text in ("=1", "+1", "-1", "@a", "\tx", "\rx"):
        assert inert(text) == "'" + text
        assert inert(text, raw=True) == text
    assert inert(-1.5) == "-1.5" and inert(-3) == "-3" and inert(1e-7) == "1e-07"
    assert inert(None) == "" and inert("a=b") == "a=b" and inert("ข้อมูล") == "ข้อมูล"


def test_status_and_gaps_json_documents(adm, seeded):
    st = adm.ok("status", "--format", "json").json
    assert st["schema"] == "admtrack.status/1"
    assert {"id", "name", "baseline_year", "target_year"} <= set(st["plan"]) and "as_of" in st
    assessment = {"state", "baseline", "latest", "target", "progress", "attainment", "gap", "observed_rate",
                  "required_rate", "projected", "anticipated", "status", "coverage"}
    for t in st["targets"]:
        assert {"id", "title", "indicator", "unit", "kind", "direction", "value", "region", "states"} <= set(t)
        assert assessment <= set(t["region"]) and t["region"]["state"] == "ASEAN"
        assert len(t["states"]) == 11 and all(assessment <= set(a) for a in t["states"])
        cov = t["region"]["coverage"]
        assert cov is None or (set(cov) == {"states", "of", "weight_share"} and cov["of"] == 11)
    gp = adm.ok("gaps", "--format", "json").json
    assert gp["schema"] == "admtrack.gaps/1" and gp["rows"]
    assert all({"target_id", "years_left", "shortfall", "contribution"} | assessment <= set(r) for r in gp["rows"])


@pytest.mark.parametrize("cmd", [["status"], ["gaps"], ["targets"], ["states"], ["history", "VNM", "gdp"]])
def test_tables_have_no_ansi_off_a_terminal(adm, cmd, monkeypatch):
    r = adm.ok(*cmd)
    assert r.out.strip() and ANSI not in r.out
    monkeypatch.setenv("FORCE_COLOR", "1")  # no ANSI codes at all off a terminal (SPEC §4), whatever it says
    assert ANSI not in adm.ok(*cmd).out
    monkeypatch.delenv("FORCE_COLOR")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "dumb")
    assert ANSI not in adm.ok(*cmd).out


def test_check_on_a_fresh_and_a_used_folder(adm, data_dir, tmp_path):
    r = adm.ok("check")
    assert r.err == ""
    lines = r.out.splitlines()
    assert len(lines) == 3 and all(ln.startswith("ok") for ln in lines)
    assert "not created yet" in r.out and "reference layer" in r.out
    assert not data_dir.exists() or not any(data_dir.iterdir())  # check writes nothing
    adm.ok("record", "--file", write_file(tmp_path / "s.csv", "state,indicator,year,value\nVNM,gdp,2024,1\n"))
    r = adm.ok("check", no_reference=True)
    assert "1 entries" in r.out and "reference" not in r.out


def test_check_leaves_out_the_bundled_figures_a_user_plan_has_no_place_for(adm, data_dir):
    """A user's plan may drop a bundled indicator: its reference figures are left out (as status does),
    not reported as the user's problems."""
    from admtrack.plan import bundled_path

    plan = bundled_path().read_text(encoding="utf-8")
    block = re.search(r'\[\[indicator\]\]\nid = "egov-online-service-index"\n.*?\n\n', plan, re.S)
    assert block is not None
    write_file(data_dir / "targets.toml", plan.replace(block.group(0), ""))
    r = adm.ok("check")
    assert re.search(r"ok  reference layer: \d+ figures \(\d+ left out: their state or indicator is not in this "
                     r"plan, or their value is outside its bounds\)", r.out), r.out
    assert adm.ok("status", "-f", "json").json["schema"] == "admtrack.status/1"


def test_bundled_figures_outside_a_user_plans_bounds_are_left_out(adm, data_dir):
    """A plan that narrows a bundled indicator's bounds: the figures it would refuse to record are not
    assessed either (and check does not blame the user for them)."""
    from admtrack.plan import bundled_path

    plan = bundled_path().read_text(encoding="utf-8")
    old = 'id = "digital-economy-share"\nname = '
    assert old in plan
    i = plan.index(old)
    j = plan.index("min = 0", i)
    everything = adm.ok("export", "-f", "json", "-i", "digital-economy-share").json["observations"]
    assert any(o["value"] < 10 for o in everything)
    write_file(data_dir / "targets.toml", plan[:j] + "min = 10" + plan[j + len("min = 0"):])
    r = adm.ok("check")
    assert "left out" in r.out
    doc = adm.ok("export", "-f", "json", "-i", "digital-economy-share").json
    assert doc["observations"] and all(o["value"] >= 10 for o in doc["observations"])
    for t in adm.ok("status", "-f", "json", "-t", "digital-economy-share").json["targets"]:
        assert all(a["latest"] is None or a["latest"]["value"] >= 10 for a in t["states"])


def test_version_and_help(adm):
    r = adm.ok("--version", data_dir=None)
    assert r.out.strip() == f"admtrack {admtrack.__version__}"
    assert "record" in adm.ok("--help", data_dir=None).out
    assert "Usage" in adm.ok(data_dir=None).out
    assert_clean_error(adm("frobnicate"), 2, one_line=True)


# ---- where data lives ----------------------------------------------------------------------------------

def _record_into(adm, **kw) -> None:
    adm.ok("record", "KHM", "gdp", "2024", "45", "--source", "NIS", **kw)


def test_data_dir_option_beats_the_environment(adm, tmp_path, monkeypatch):
    env_dir, opt_dir = tmp_path / "env", tmp_path / "opt"
    monkeypatch.setenv("ADMTRACK_DATA_DIR", str(env_dir))
    _record_into(adm, data_dir=opt_dir)
    assert (opt_dir / "observations.toml").exists() and not env_dir.exists()
    _record_into(adm, data_dir=None)
    assert (env_dir / "observations.toml").exists()
    assert len(adm.observations(data_dir=None)) == 1
    # the environment's plan is used too
    write_file(env_dir / "targets.toml", "broken = [")
    assert_clean_error(adm("targets", data_dir=None), 1, contains=str(env_dir / "targets.toml"))
    adm.ok("targets", data_dir=opt_dir)


def test_default_is_the_per_user_data_folder(adm, tmp_path, monkeypatch):
    monkeypatch.delenv("ADMTRACK_DATA_DIR")
    monkeypatch.setenv("ADMTRACK_DATA_DIR", "")  # empty counts as unset
    _record_into(adm, data_dir=None)
    from platformdirs import user_data_dir

    expected = Path(user_data_dir("admtrack", appauthor=False))
    assert str(expected).startswith(str(tmp_path)), expected  # the test's HOME/XDG_DATA_HOME, never the real one
    assert (expected / "observations.toml").exists()


def test_reading_commands_work_with_no_setup_and_write_nothing(adm, data_dir, tmp_path):
    for cmd in (["status"], ["gaps", "-f", "json"], ["targets"], ["states"], ["export"], ["check"],
                ["history", "THA", "gdp"]):
        adm.ok(*cmd)
    assert not data_dir.exists()
    # the only thing a reading command may leave is the validated-plan cache in the user cache folder
    cache = tmp_path / "home" / ".cache" / "admtrack"
    written = [p for p in (tmp_path / "home").rglob("*") if p.is_file()]
    assert all(cache in p.parents for p in written), written
    assert all(p.suffix == ".json" for p in written), written


def _package_files() -> dict[Path, int]:
    roots = {Path(admtrack.__file__).resolve().parent, bundled_path().resolve().parent,
             reference_path().resolve().parent}
    out = {}
    for root in roots:
        for p in root.rglob("*"):
            if p.is_file() and "__pycache__" not in p.parts:
                out[p] = p.stat().st_mtime_ns
    return out


def test_nothing_is_written_inside_the_package(adm, tmp_path, monkeypatch):
    before = _package_files()
    bundled = {p: p.read_bytes() for p in (bundled_path(), reference_path())}
    monkeypatch.delenv("ADMTRACK_DATA_DIR")
    f = write_file(tmp_path / "in.csv", "state,indicator,year,value,source\nKHM,gdp,2024,45,NIS\n")
    for kw in ({"data_dir": None}, {}):
        adm.ok("record", "--file", f, **kw)
        adm.ok("record", "VNM", "gdp", "2024", "1", "--source", "x", **kw)
        adm.ok("retract", "VNM", "gdp", "2024", "--reason", "x", **kw)
        adm.ok("init", **kw)
        adm.ok("status", **kw)
        adm.ok("export", "--all-revisions", **kw)
        adm.ok("check", **kw)
    after = _package_files()
    new = [p for p in after if p not in before]
    suspicious = [p for p in new if "observations" in p.name or p.name.startswith(("targets.toml", ".targets.toml"))]
    assert not suspicious, suspicious
    for p, data in bundled.items():
        assert p.read_bytes() == data and after.get(p.resolve(), before.get(p.resolve())) == before.get(p.resolve())
