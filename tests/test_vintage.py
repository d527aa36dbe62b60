"""Vintages (SPEC §8): `--as-recorded DATE` reproduces a report as the data stood at the end of that day."""

from __future__ import annotations

import pytest
from conftest import write_file

STORE = """\
[[observation]]
state = "VNM"
indicator = "digital-economy-share"
year = 2023
value = 16.5
source = "MIC"
recorded_at = 2026-06-01T09:00:00.000000Z

[[observation]]
state = "VNM"
indicator = "digital-economy-share"
year = 2024
value = 18.3
source = "MIC"
recorded_at = 2026-06-01T09:00:00.000000Z
"""


@pytest.fixture
def june(data_dir):
    write_file(data_dir / "observations.toml", STORE)


@pytest.mark.parametrize("command", [["status"], ["gaps"], ["export"], ["history", "VNM", "digital-economy-share"]])
def test_a_published_report_is_reproduced_after_revisions(adm, june, command):
    args = [*command, "--format", "json", "--as-recorded", "2026-06-30"]
    before = adm.ok(*args).out
    adm.ok("record", "VNM", "digital-economy-share", "2024", "19.0", "--source", "MIC", "--revise")
    adm.ok("record", "VNM", "digital-economy-share", "2022", "14.0", "--source", "MIC")
    assert adm.ok(*args).out == before
    assert adm.ok(*command, "--format", "json").out != before


@pytest.mark.parametrize("command", [["status"], ["gaps"], ["explain", "digital-economy-share"]])
def test_a_report_as_recorded_on_a_day_is_as_of_that_year(adm, june, command):
    """A report published on a day is reproduced the same in a later year: its as_of is that day's year."""
    doc = adm.ok(*command, "--format", "json", "--as-recorded", "2025-06-30").json
    assert doc["as_of"] == 2025 and doc["as_recorded"] == "2025-06-30"
    assert adm.ok(*command, "--format", "json", "--as-recorded", "2025-06-30", "--as-of", "2024").json["as_of"] == 2024


def test_entries_recorded_after_the_day_are_ignored(adm, june):
    adm.ok("record", "VNM", "digital-economy-share", "2024", "19.0", "--source", "MIC", "--revise")
    then = adm.ok("export", "-f", "json", "--as-recorded", "2026-06-30", no_reference=True).json["observations"]
    now = adm.ok("export", "-f", "json", no_reference=True).json["observations"]
    assert {o["value"] for o in then if o["year"] == 2024} == {18.3}
    assert {o["value"] for o in now if o["year"] == 2024} == {19.0}
    before_any = adm.ok("export", "-f", "json", "--as-recorded", "2026-05-31", no_reference=True).json
    assert before_any["observations"] == []


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday", "2026/06/01", "", "20260601", "2026-W22"])
def test_as_recorded_needs_a_day(adm, bad):
    r = adm("status", "--as-recorded", bad)
    assert r.code == 2 and "YYYY-MM-DD" in r.err
