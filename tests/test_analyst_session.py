"""An analyst's session, end to end through the CLI (issue 12 "Done when"): record a year of figures,
revise one, retract one, import a batch with mistakes (refused, nothing written), fix it and import it,
export the whole history, import it into another data folder and compare the two."""

from __future__ import annotations

from conftest import assert_clean_error, store_bytes, write_file

DES = "digital-economy-share"


def without_stamps(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "recorded_at"} for r in rows]


def test_an_analyst_session(adm, data_dir, tmp_path):
    # 1. a year of figures, each with its source
    year = [("VNM", "18.3", "MIC, Digital economy report 2025"), ("THA", "21", "NESDC, 2025"),
            ("MYS", "23.4", "DOSM, ICT satellite account 2025"), ("IDN", "8.1", "BPS, 2025")]
    for state, value, source in year:
        r = adm.ok("record", state, DES, "2024", value, "--source", source)
        assert r.err.startswith(f"recorded {state} {DES} 2024 = {value}"), r.err
    adm.ok("record", "PHL", DES, "2024", "9.4", "--source", "PSA", "--obs-status", "P")

    # 2. the provisional Philippine figure becomes final: a revision, refused until --revise
    r = adm("record", "PHL", DES, "2024", "9.6", "--source", "PSA")
    assert_clean_error(r, 1, one_line=True, contains=("value 9.4 → 9.6", "obs_status P → A", "--revise"))
    r = adm.ok("record", "PHL", DES, "2024", "9.6", "--source", "PSA", "--revise")
    assert r.err.strip() == f"revised PHL {DES} 2024 = 9.6 (was 9.4 [P])"

    # 3. Indonesia's figure used another definition: withdrawn, with the reason kept
    r = adm.ok("retract", "IDN", DES, "2024", "--reason", "BPS definition differs")
    assert r.err.startswith(f"retracted IDN {DES} 2024 (was 8.1)")

    # 4. a batch with mistakes: every problem listed at once, nothing written
    before = store_bytes(data_dir)
    batch = write_file(tmp_path / "batch.csv",
                       "state,indicator,year,value,source,note\n"
                       f"VNM,{DES},2023,16.5,MIC,\n"
                       f"Atlantis,{DES},2023,3.0,?,\n"          # unknown state
                       f"THA,{DES},2023,19,5,NESDC,\n"           # a decimal comma split the row
                       f"THA,{DES},2024,21.0,NESDC 2026,\n"      # differs from what is recorded
                       f"SGP,{DES},2023,17.3,IMDA,\n"
                       f"SGP,{DES},2023,17.4,IMDA,\n")           # twice with different values
    r = adm("record", "--file", batch)
    assert_clean_error(r, 1, contains="2 bad row(s) and 2 conflict(s), nothing recorded")
    listed = [line.strip() for line in r.err.splitlines()[1:]]
    assert listed == [
        f"{batch}:3: state: unknown state 'Atlantis' (see `admtrack states`)",
        f"{batch}:4: row: has 7 fields, the header has 6",
        f"{batch}:5: THA {DES} 2024: differs from the stored entry ({data_dir / 'observations.toml'}:12): "
        "source 'NESDC, 2025' → 'NESDC 2026'; use --revise to supersede it",
        f"{batch}:7: SGP {DES} 2023: given twice in this input, differing from line 6: value 17.3 → 17.4",
    ]
    assert store_bytes(data_dir) == before

    # 5. fixed, checked with --dry-run, then imported
    fixed = write_file(tmp_path / "fixed.csv",
                       "state,indicator,year,value,source,note\n"
                       f"VNM,{DES},2023,16.5,MIC,\n"
                       f"THA,{DES},2023,19.5,NESDC,\n"
                       f"THA,{DES},2024,21.0,\"NESDC, 2025\",\n"
                       f"SGP,{DES},2023,17.4,IMDA,revised by IMDA\n")
    r = adm.ok("record", "--file", fixed, "--dry-run")
    assert r.err.splitlines()[:4] == [
        f"  {fixed}:2: would be recorded VNM {DES} 2023 = 16.5",
        f"  {fixed}:3: would be recorded THA {DES} 2023 = 19.5",
        f"  {fixed}:4: unchanged THA {DES} 2024 = 21",
        f"  {fixed}:5: would be recorded SGP {DES} 2023 = 17.4",
    ]
    assert store_bytes(data_dir) == before
    r = adm.ok("record", "--file", fixed)
    assert r.err.splitlines()[0] == f"recorded 3, unchanged 1, revised 0 ({fixed}, csv)"

    # the reports see it: Vietnam's latest figure, the Philippine revision in history
    status = adm.ok("status", "--format", "json", "--state", "VNM").json
    [des] = [t for t in status["targets"] if t["indicator"] == DES]
    assert des["states"][0]["latest"]["value"] == 18.3
    history = adm.ok("history", "PHL", DES, "--format", "json", no_reference=True).json
    assert [e["value"] for e in history["entries"] if e["year"] == 2024] == [9.4, 9.6]

    # 6. the whole history exported, and imported into another data folder
    exported = adm.ok("export", "--format", "csv", "--all-revisions").out
    elsewhere = tmp_path / "elsewhere"
    r = adm.ok("record", "--file", write_file(tmp_path / "history.csv", exported), data_dir=elsewhere)
    assert r.err.splitlines()[0].startswith("recorded 8, unchanged 0, revised 1, retracted 1")
    assert "skipped" in r.err  # the bundled reference figures in the export are not recorded

    # 7. the same history in both places
    here = adm.observations()
    there = adm.observations(data_dir=elsewhere)
    assert without_stamps(there) == without_stamps(here)
    for state in ("PHL", "IDN", "THA"):
        a = adm.ok("history", state, DES, "--format", "json", no_reference=True).json["entries"]
        b = adm.ok("history", state, DES, "--format", "json", no_reference=True, data_dir=elsewhere).json["entries"]
        assert without_stamps(b) == without_stamps(a)
    assert adm.ok("status", "--format", "json").out == adm.ok("status", "--format", "json", data_dir=elsewhere).out
