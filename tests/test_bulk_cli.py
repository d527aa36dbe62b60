"""`record --file` with the agencies' bulk download files (SPEC §9): `--input-format worldbank-csv` (the WDI
bulk CSV: preamble, wide year columns) and `--input-format ilostat-csv` (code and label layouts), on the
recorded layouts in tests/fixtures/ plus rows built in them. Aggregates and other non-members are skipped
and counted, never errors; anything malformed writes nothing."""

from __future__ import annotations

import csv
import io

import pytest
from conftest import assert_clean_error, store_bytes, write_file
from test_sources import CODE_HEADER, FIXTURES, bundled_share, code_layout_csv, evidence, wdi_file

WDI_ROWS = [
    ("Aruba", "ABW", {2020: "2481857142.85714"}),
    ("East Asia & Pacific", "EAS", {2024: "3.1e13"}),
    ("Viet Nam", "VNM", {2023: "429716969043.7", 2024: ""}),
    ("Lao PDR", "LAO", {2019: "18740555282.3421", 2020: "", 2021: "18827148530.2"}),
    ("World", "WLD", {2024: "1.1e14"}),
]
WDI_SOURCE = "World Bank WDI NY.GDP.MKTP.CD, release 2026-07-01"


def figures(adm) -> dict[tuple[str, str, int], tuple[float, str]]:
    return {
        (o["state"], o["indicator"], o["year"]): (o["value"], o["source"])
        for o in adm.observations(all_revisions=False)
    }


# ==== WDI bulk CSV ====================================================================================


def test_wdi_bulk_file_members_aggregates_and_empty_cells(adm, data_dir, tmp_path):
    f = write_file(tmp_path / "API_NY.GDP.MKTP.CD_DS2_en_csv_v2_1.csv", wdi_file(WDI_ROWS))
    r = adm.ok("record", "--file", f, "--input-format", "worldbank-csv")
    assert r.err.splitlines() == [
        f"recorded 3, unchanged 0, revised 0 ({f}, worldbank-csv)",
        "3 of the recorded figure(s) stand over a bundled reference figure (see `admtrack history`)",
        "skipped 3 row(s) for economies that are not member states (regions, income groups, other countries)",
    ]
    assert figures(adm) == {
        ("VNM", "gdp", 2023): (429.7169690437, WDI_SOURCE),
        ("LAO", "gdp", 2019): (18.7405552823421, WDI_SOURCE),
        ("LAO", "gdp", 2021): (18.8271485302, WDI_SOURCE),
    }
    before = store_bytes(data_dir)
    # the same file again, and it sniffed from its content (a .csv extension is not enough to tell)
    r = adm.ok("record", "--file", f)
    assert r.err.startswith(f"recorded 0, unchanged 3, revised 0 ({f}, worldbank-csv)")
    # a later release with the same figures is unchanged too; a changed figure needs --revise
    later = write_file(tmp_path / "later.csv", wdi_file(WDI_ROWS, updated="2026-12-15"))
    assert adm.ok("record", "--file", later).err.startswith("recorded 0, unchanged 3, revised 0")
    assert store_bytes(data_dir) == before
    rows = [*WDI_ROWS[:2], ("Viet Nam", "VNM", {2023: "430000000000"}), *WDI_ROWS[3:]]
    revised = write_file(tmp_path / "revised.csv", wdi_file(rows, updated="2026-12-15"))
    assert_clean_error(adm("record", "--file", revised), 1, contains=("VNM gdp 2023", "--revise"))
    assert store_bytes(data_dir) == before
    assert adm.ok("record", "--file", revised, "--revise").err.startswith("recorded 0, unchanged 2, revised 1")
    assert figures(adm)[("VNM", "gdp", 2023)] == (430.0, "World Bank WDI NY.GDP.MKTP.CD, release 2026-12-15")


def test_wdi_bulk_years_and_indicator(adm, data_dir, tmp_path):
    f = write_file(tmp_path / "wdi.csv", wdi_file(WDI_ROWS))
    r = adm.ok("record", "--file", f, "--from", "2020", "--to", "2022", "--indicator", "gdp", "--dry-run")
    assert "dry run: would have recorded 1, unchanged 0, revised 0" in r.err  # LAO 2021 only
    assert store_bytes(data_dir) is None
    r = adm("record", "--file", f, "--indicator", "population")
    assert_clean_error(r, 1, contains="holds World Bank series NY.GDP.MKTP.CD; none is mapped")
    r = adm("record", "--file", f, "--indicator", "high-skill-employment-share")
    assert_clean_error(r, 2, contains="no `worldbank` series")  # a bad option value, as `fetch` says
    assert_clean_error(adm("record", "--file", f, "--indicator", "nope"), 2, contains="unknown indicator")
    assert store_bytes(data_dir) is None


def test_wdi_bulk_from_stdin_and_a_second_series(adm, data_dir):
    text = wdi_file(WDI_ROWS)
    pop = wdi_file([("Singapore", "SGP", {2024: "6036860"})], code="SP.POP.TOTL").split("\n", 5)[5]
    r = adm.ok("record", "--file", "-", "--input-format", "worldbank-csv", stdin=(text + pop).encode())
    assert r.err.startswith("recorded 4, unchanged 0, revised 0 (<stdin>, worldbank-csv)")
    assert figures(adm)[("SGP", "population", 2024)][0] == 6036860


def test_wdi_bulk_bad_files_write_nothing(adm, data_dir, seeded, tmp_path):
    excerpt = FIXTURES / "wdi-bulk-API_NY.GDP.MKTP.CD_DS2_en_csv_v2-excerpt.csv"
    r = adm("record", "--file", excerpt)  # the recorded excerpt stops inside a quoted cell
    assert_clean_error(r, 1, one_line=True, contains=":6: malformed CSV")
    bad = write_file(tmp_path / "bad.csv", wdi_file([("Viet Nam", "VNM", {2020: "12,5"})]))
    assert_clean_error(adm("record", "--file", bad), 1, one_line=True, contains="bad.csv:6: 2020: not a number")
    plain = write_file(tmp_path / "plain.csv", "state,indicator,year,value\nVNM,gdp,2020,1\n")
    r = adm("record", "--file", plain, "--input-format", "worldbank-csv")
    assert_clean_error(r, 1, contains="not a World Bank bulk CSV")
    assert store_bytes(data_dir) == seeded


def test_bulk_options_need_a_bulk_file(adm, data_dir, tmp_path):
    plain = write_file(tmp_path / "plain.csv", "state,indicator,year,value\nVNM,gdp,2020,1\n")
    assert_clean_error(adm("record", "--file", plain, "--indicator", "gdp"), 2, contains="bulk file")
    assert_clean_error(
        adm("record", "VNM", "gdp", "2020", "1", "--from", "2020"), 2, contains="--from goes with --file"
    )
    assert_clean_error(adm("record", "--file", plain, "--input-format", "imf-csv"), 2)
    assert store_bytes(data_dir) is None


# ==== ILOSTAT bulk CSV ================================================================================


def test_ilostat_code_layout(adm, data_dir, tmp_path):
    extra = [
        ["THA", "BA:123", "EMP_2EMP_SEX_OCU_NB", "SEX_T", c, "2024", v, s, "", "", ""]
        for c, v, s in (
            ("OCU_DETAILS_1", "10", "B"),
            ("OCU_DETAILS_2", "10", ""),
            ("OCU_DETAILS_3", "", ""),
            ("OCU_DETAILS_TOTAL", "100", ""),
        )
    ]
    extra += [
        ["X02", "XA:2401", "EMP_2EMP_SEX_OCU_NB", "SEX_T", "OCU_DETAILS_1", "2024", "5", "", "", "", ""],
        ["USA", "XA:2401", "EMP_2EMP_SEX_OCU_NB", "SEX_T", "OCU_DETAILS_1", "2024", "5", "", "", "", ""],
    ]
    f = write_file(tmp_path / "EMP_2EMP_SEX_OCU_NB_A.csv", code_layout_csv({"PHL"}, extra))
    r = adm.ok("record", "--file", f)  # sniffed from the header
    assert r.err.splitlines() == [
        f"recorded 7, unchanged 0, revised 0 ({f}, ilostat-csv)",
        "7 of the recorded figure(s) stand over a bundled reference figure (see `admtrack history`)",
        "skipped 2 row(s) for economies that are not member states (regions, income groups, other countries)",
        "left out 1 state-year(s) that lack an ILOSTAT item the mapping sums or divides by",
    ]
    got = figures(adm)
    assert {k for k in got} == {("PHL", "high-skill-employment-share", y) for y in range(2019, 2026)}
    for (state, _, year), (value, source) in got.items():
        assert value == pytest.approx(bundled_share(state, year), abs=5e-4)
        assert source.startswith("ILOSTAT ILO modelled estimates, EMP_2EMP_SEX_OCU_NB_A")
    before = store_bytes(data_dir)
    assert adm.ok("record", "--file", f).err.startswith("recorded 0, unchanged 7")
    assert store_bytes(data_dir) == before


def test_ilostat_label_layout_and_the_recorded_excerpt(adm, data_dir, tmp_path):
    excerpt = FIXTURES / "ilostat-rplumber-label-excerpt.csv"
    r = adm.ok("record", "--file", excerpt, "--input-format", "ilostat-csv")
    assert r.err.splitlines() == [
        f"recorded 0, unchanged 0, revised 0 ({excerpt}, ilostat-csv)",
        "skipped 2 row(s) for economies that are not member states (regions, income groups, other countries)",
    ]
    header = excerpt.read_text(encoding="utf-8").split("\n")[0]
    labels = {
        "OCU_DETAILS_1": "1. Managers",
        "OCU_DETAILS_2": "2. Professionals",
        "OCU_DETAILS_3": "3. Technicians and associate professionals",
        "OCU_DETAILS_TOTAL": "Total",
    }
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    for row in evidence():
        if row["ref_area"] == "KHM" and row["classif1"] in labels:
            w.writerow(
                [
                    "Cambodia",
                    "XA - ILO Modelled Estimates",
                    "Employment by sex and occupation -- ILO modelled estimates, Nov. 2025 (thousands)",
                    "Sex: Total",
                    f"Occupation (Detailed): {labels[row['classif1']]}",
                    row["time"],
                    float(row["obs_value_thousands"]),
                    "",
                    "",
                    "",
                ]
            )
    w.writerow(
        [
            "World",
            "XA - ILO Modelled Estimates",
            "x",
            "Sex: Total",
            "Occupation (Detailed): Total",
            "2024",
            3.6e6,
            "",
            "",
            "",
        ]
    )
    f = write_file(tmp_path / "khm.csv", header + "\n" + buf.getvalue())
    r = adm.ok("record", "--file", f, "--input-format", "ilostat-csv", "--from", "2023")
    assert r.err.splitlines()[0] == f"recorded 3, unchanged 0, revised 0 ({f}, ilostat-csv)"
    assert "skipped 1 row(s)" in r.err
    got = figures(adm)
    assert sorted(y for _, _, y in got) == [2023, 2024, 2025]
    for (state, _, year), (value, _) in got.items():
        assert value == pytest.approx(bundled_share(state, year), abs=5e-4)


def test_ilostat_bad_files_write_nothing(adm, data_dir, seeded, tmp_path):
    short = write_file(tmp_path / "short.csv", ",".join(CODE_HEADER) + "\nVNM,XA:1,EMP_2EMP_SEX_OCU_NB,SEX_T\n")
    r = adm("record", "--file", short, "--input-format", "ilostat-csv")
    assert_clean_error(r, 1, one_line=True, contains="short.csv:2: has 4 fields")
    year = write_file(
        tmp_path / "q.csv", ",".join(CODE_HEADER) + "\nVNM,XA:1,EMP_2EMP_SEX_OCU_NB,SEX_T,OCU_DETAILS_1,2024Q1,1,,,,\n"
    )
    assert_clean_error(adm("record", "--file", year), 1, one_line=True, contains="time: '2024Q1' is not a year")
    empty = write_file(tmp_path / "empty.csv", "")
    assert_clean_error(adm("record", "--file", empty, "--input-format", "ilostat-csv"), 1, contains="is empty")
    assert store_bytes(data_dir) == seeded
