"""SDMX-CSV out and back in, and spreadsheet safety of CSV/TSV output (SPEC §3 `export`, `record --file`; §4).

* ``export --format sdmx-csv`` writes SDMX-CSV 1.0 (exact header, ``--dataflow AGENCY:ID(VERSION)``,
  never a ``'`` prefix), and ``export --format sdmx-csv | admtrack --data-dir other record --file -
  --input-format sdmx-csv`` reproduces the observations exactly (floats equal, not approximately);
* malformed SDMX-CSV rows are listed with their line numbers (exit 1, nothing written);
* CSV/TSV output neutralises text cells that start with = + - @ tab or CR with a ``'`` prefix, never
  touches numbers (a negative value stays ``-5.0``), and ``--raw`` turns this off.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import YEAR, assert_clean_error, store_bytes, write_file

from admtrack.plan import bundled_text
from admtrack.render.machine import inert

HEADER = "DATAFLOW,REF_AREA,INDICATOR,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS"
#: what export writes: the SDMX-CSV columns and the attributes SOURCE and COMMENT_OBS (issue 12)
EXPORT_HEADER = HEADER + ",SOURCE,COMMENT_OBS"
UNITS = {"digital-economy-share": "PT", "skilled-workforce-share": "PT", "public-services-ai-share": "PT",
         "digital-economy-value-added": "USD_BN", "gdp": "USD_BN", "labour-productivity": "USD",
         "social-service-cost": "IX", "population": "PS", "labour-force": "PS"}

# (spelling of the state, its code, indicator, year, value as typed): aliases, alpha-2 codes and the region;
# values whose shortest repr is long, tiny, huge or subnormal
OBSERVATIONS = [
    ("Vietnam", "VNM", "digital-economy-share", 2023, repr(0.1 + 0.2)),
    ("vn", "VNM", "digital-economy-share", 2024, "18.3"),
    ("Laos", "LAO", "gdp", 2024, "1e-7"),
    ("th", "THA", "population", 2022, "123456789.123"),  # also overrides a bundled reference figure
    ("East Timor", "TLS", "labour-force", 2021, "5e-324"),
    ("Burma", "MMR", "public-services-ai-share", 2025, "99.99999999999999"),
    ("ASEAN", "ASEAN", "digital-economy-share", 2024, "9.1"),
    ("KHM", "KHM", "social-service-cost", 1990, "100"),
    ("The Philippines", "PHL", "digital-economy-value-added", 2020, "1.7976931348623157e308"),
    ("Brunei", "BRN", "labour-productivity", YEAR, "0"),
    ("sg", "SGP", "skilled-workforce-share", 2019, repr(100 / 3)),
    ("Lao People's Democratic Republic", "LAO", "labour-force", 2023, "3456789"),
    ("IDN", "IDN", "public-services-ai-share", 2025, "12.5"),
]


@pytest.fixture
def recorded(adm, tmp_path) -> dict:
    """A store with OBSERVATIONS (one revised, one retracted) and hostile sources and notes."""
    rows = [{"state": s, "indicator": i, "year": y, "value": v, "source": f'=HYPERLINK("x",{n}), "quoted"',
             "note": "-line one\nline two"} for n, (s, _, i, y, v) in enumerate(OBSERVATIONS)]
    adm.ok("record", "--file", write_file(tmp_path / "obs.json", json.dumps(rows)))
    # a revision: only the latest figure is current
    adm.ok("record", "VNM", "digital-economy-share", "2024", "19.000000000000004", "--source", "@MIC", "--revise")
    # a retraction of a figure that has no reference figure beneath it: it is not exported
    adm.ok("retract", "IDN", "public-services-ai-share", "2025", "--reason", "definition changed")
    expected = {(code, ind, year): float(v) for _, code, ind, year, v in OBSERVATIONS}
    expected[("VNM", "digital-economy-share", 2024)] = 19.000000000000004
    del expected[("IDN", "public-services-ai-share", 2025)]
    return expected


def sdmx_rows(text: str) -> list[list[str]]:
    lines = text.split("\n")
    assert lines[0] == EXPORT_HEADER, lines[0]
    assert text.endswith("\n")
    return list(csv.reader(io.StringIO(text)))[1:]


def quads(observations: list[dict]) -> list[tuple]:
    return sorted((o["state"], o["indicator"], o["year"], o["value"]) for o in observations)


def exported(adm, *, no_reference: bool, data_dir=None) -> list[dict]:
    kw = {} if data_dir is None else {"data_dir": data_dir}
    r = adm.ok("export", "--format", "json", no_reference=no_reference, **kw)
    doc = r.json
    assert doc["schema"] == "admtrack.observations/1"
    return doc["observations"]


# ---- export --format sdmx-csv --------------------------------------------------------------------------------

def test_sdmx_export_is_sdmx_csv_1_0(adm, recorded):
    r = adm.ok("export", "--format", "sdmx-csv", no_reference=True)
    rows = sdmx_rows(r.out)
    got = {}
    for row in rows:
        assert len(row) == 9, row
        dataflow, area, ind, period, value, unit, status, _source, _note = row
        assert dataflow == "ASEAN:ADM2030(1.0)"
        assert period == str(int(period)) and value == repr(float(value)), row  # plain numbers, exact text
        assert unit == UNITS[ind] and status == "A", row
        got[(area, ind, int(period))] = float(value)
    assert got == recorded  # alpha-3 codes, current figures only, exact floats
    # sources and notes travel in the SOURCE and COMMENT_OBS attributes, as written (never prefixed)
    assert all(not cell.startswith("'") for row in rows for cell in row), r.out
    # --raw changes nothing: SDMX-CSV is never prefixed
    assert adm.ok("export", "--format", "sdmx-csv", "--raw", no_reference=True).out == r.out


def test_sdmx_export_never_prefixes_negative_values(adm, data_dir):
    write_file(data_dir / "targets.toml", plan_with_signed_indicator())
    adm.ok("record", "VNM", "net-balance", "2024", "--source", "-MoF", "--", "-5")
    adm.ok("record", "THA", "net-balance", "2023", "--", "-0.30000000000000004")
    rows = sdmx_rows(adm.ok("export", "--format", "sdmx-csv", no_reference=True).out)
    assert [(r[1], r[4], r[5]) for r in rows] == [("THA", "-0.30000000000000004", "USD_BN"),
                                                 ("VNM", "-5.0", "USD_BN")]


@pytest.mark.parametrize("dataflow", ["ESTAT:DF_DIGITAL(2.1)", "UNSD:SDG_GLH(1.0.0)", "ASEAN.STATS:ADM-2030(10)",
                                      "A:B(1)"])
def test_sdmx_dataflow_option_is_honoured(adm, recorded, dataflow):
    rows = sdmx_rows(adm.ok("export", "--format", "sdmx-csv", "--dataflow", dataflow, no_reference=True).out)
    assert rows and {r[0] for r in rows} == {dataflow}


@pytest.mark.parametrize("dataflow", [
    "", "ADM2030", "ASEAN:ADM2030", "ASEAN:ADM2030(1.0", "ASEAN:ADM2030(1.0)x", ":ADM2030(1.0)", "ASEAN:(1.0)",
    "ASEAN:ADM2030()", "AS EAN:ADM2030(1.0)", "ASEAN,X:ADM2030(1.0)", "=cmd|' /C calc'!A0", "ASEAN:ADM2030(1.0)\n",
    "ASEAN:ADM\n2030(1.0)", '"ASEAN":ADM2030(1.0)', "ASEAN:ADM2030(1.0),EXTRA", "ASEAN:ADM2030(-1)",
])
def test_sdmx_bad_dataflow_is_a_usage_error(adm, recorded, dataflow):
    before = store_bytes(adm.data_dir)
    r = adm("export", "--format", "sdmx-csv", "--dataflow", dataflow, no_reference=True)
    assert_clean_error(r, 2, one_line=True, contains="--dataflow")
    assert r.out == ""  # not even the header
    assert store_bytes(adm.data_dir) == before


# ---- the round trip ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("no_reference", [True, False], ids=["no-reference", "with-reference"])
def test_sdmx_round_trip_reproduces_the_observations(adm, recorded, tmp_path, no_reference):
    """export --format sdmx-csv | admtrack --data-dir other record --file - --input-format sdmx-csv."""
    original = exported(adm, no_reference=no_reference)
    if no_reference:
        assert {(o["state"], o["indicator"], o["year"]): o["value"] for o in original} == recorded
    else:
        assert {o["layer"] for o in original} == {"store", "reference"}
    sdmx = adm.ok("export", "--format", "sdmx-csv", no_reference=no_reference).out
    other = tmp_path / "other"
    r = adm.ok("record", "--file", "-", "--input-format", "sdmx-csv", stdin=sdmx.encode(), data_dir=other,
               no_reference=no_reference)
    assert f"recorded {len(original)}, unchanged 0, revised 0" in r.err
    copy = exported(adm, no_reference=no_reference, data_dir=other)
    assert quads(copy) == quads(original)  # state, indicator, year and value: floats equal, not approximately
    for a, b in zip(sorted(original, key=lambda o: (o["state"], o["indicator"], o["year"])),
                    sorted(copy, key=lambda o: (o["state"], o["indicator"], o["year"]))):
        assert repr(a["value"]) == repr(b["value"])
    # and again: the same figures are a no-op, and the copy exports the same SDMX-CSV
    r = adm.ok("record", "--file", "-", "--input-format", "sdmx-csv", stdin=sdmx.encode(), data_dir=other,
               no_reference=no_reference)
    assert f"recorded 0, unchanged {len(original)}, revised 0" in r.err
    assert adm.ok("export", "--format", "sdmx-csv", no_reference=no_reference, data_dir=other).out == sdmx


def test_sdmx_round_trip_through_a_file_and_a_custom_dataflow(adm, recorded, tmp_path):
    sdmx = adm.ok("export", "--format", "sdmx-csv", "--dataflow", "ESTAT:DF_X(2.0)", no_reference=True).out
    f = write_file(tmp_path / "obs.sdmx.csv", sdmx)
    other = tmp_path / "other"
    adm.ok("record", "--file", f, "--input-format", "sdmx-csv", data_dir=other, no_reference=True)
    assert quads(exported(adm, no_reference=True, data_dir=other)) == quads(exported(adm, no_reference=True))


def test_sdmx_from_stdin_is_read_as_sdmx_only_when_told_or_recognised(adm, recorded, tmp_path):
    """Stdin has no extension: --input-format sdmx-csv reads it. Without it, the input may be recognised by
    its DATAFLOW header (SPEC §3: "else sniffed") — but it is never misread: either the same observations are
    recorded, or it is refused with nothing written. A '.csv' file is plain CSV unless told otherwise."""
    sdmx = adm.ok("export", "--format", "sdmx-csv", no_reference=True).out.encode()
    want = quads(exported(adm, no_reference=True))

    told = tmp_path / "told"
    adm.ok("record", "--file", "-", "--input-format", "sdmx-csv", stdin=sdmx, data_dir=told, no_reference=True)
    assert quads(exported(adm, no_reference=True, data_dir=told)) == want

    sniffed = tmp_path / "sniffed"
    r = adm("record", "--file", "-", stdin=sdmx, data_dir=sniffed, no_reference=True)
    if r.code == 0:
        assert quads(exported(adm, no_reference=True, data_dir=sniffed)) == want
    else:
        assert_clean_error(r, 1)
        assert store_bytes(sniffed) is None

    # a .csv extension says plain CSV: the SDMX header is refused as such, nothing written …
    f = write_file(tmp_path / "obs.csv", sdmx)
    plain = tmp_path / "plain"
    r = adm("record", "--file", f, data_dir=plain, no_reference=True)
    assert_clean_error(r, 1, one_line=True, contains=("obs.csv:1", "header"))
    assert store_bytes(plain) is None
    # … and --input-format wins over the extension
    adm.ok("record", "--file", f, "--input-format", "sdmx-csv", data_dir=plain, no_reference=True)
    assert quads(exported(adm, no_reference=True, data_dir=plain)) == want


def test_sdmx_columns_in_another_order_and_lower_case(adm, tmp_path):
    text = ("obs_value,time_period,ref_area,indicator,unit_measure,obs_status,dataflow\n"
            "0.30000000000000004,2023,Vietnam,digital-economy-share,PT,A,X:Y(1)\n")
    adm.ok("record", "--file", "-", "--input-format", "sdmx-csv", stdin=text.encode(), no_reference=True)
    assert quads(exported(adm, no_reference=True)) == [("VNM", "digital-economy-share", 2023, 0.1 + 0.2)]


# ---- malformed SDMX-CSV --------------------------------------------------------------------------------------

BAD_SDMX = (
    HEADER + "\n"                                                   # line 1
    "ASEAN:ADM2030(1.0),VNM,gdp,2024,430.5,USD_BN,A\n"               # line 2: good
    "ASEAN:ADM2030(1.0),VNM,gdp,2023,NaN,USD_BN,A\n"                 # line 3: value
    '"ASEAN:ADM2030\n(1.0)",THA,gdp,2023,500,USD_BN,A\n'             # lines 4-5: good (a quoted line break)
    "ASEAN:ADM2030(1.0),XYZ,gdp,2023,1,USD_BN,A\n"                   # line 6: state
    "ASEAN:ADM2030(1.0),VNM,gdp,2024-Q1,1,USD_BN,A\n"                # line 7: year
    "ASEAN:ADM2030(1.0),VNM,gdp,2022,1,USD_BN\n"                     # line 8: too few fields
    'ASEAN:ADM2030(1.0),VNM,gdp,2021,"12,5",USD_BN,A\n'              # line 9: decimal comma
    "ASEAN:ADM2030(1.0),VNM,digital-economy-share,2021,101,PT,A\n"   # line 10: out of range
    "ASEAN:ADM2030(1.0),VNM,gdpp,2021,1,USD_BN,A\n"                  # line 11: indicator
    "ASEAN:ADM2030(1.0),VNM,gdp,2020,,USD_BN,A\n"                    # line 12: empty value
    f"ASEAN:ADM2030(1.0),VNM,gdp,{YEAR + 1},1,USD_BN,A\n"            # line 13: a forecast
    "ASEAN:ADM2030(1.0),VNM,gdp,2019,1e999,USD_BN,A\n"               # line 14: not finite
)
BAD_LINES = [(3, "value"), (6, "state"), (7, "year"), (8, "row"), (9, "value"), (10, "value"), (11, "indicator"),
             (12, "value"), (13, "year"), (14, "value")]


@pytest.mark.parametrize("how", ["stdin", "file"])
def test_malformed_sdmx_rows_are_listed_with_line_numbers(adm, data_dir, tmp_path, how):
    adm.ok("record", "KHM", "gdp", "2024", "45.1", "--source", "NIS")
    before = store_bytes(data_dir)
    if how == "stdin":
        r = adm("record", "--file", "-", "--input-format", "sdmx-csv", stdin=BAD_SDMX.encode())
        name = "<stdin>"
    else:
        f = write_file(tmp_path / "bad.txt", BAD_SDMX)
        r = adm("record", "--file", f, "--input-format", "sdmx-csv")
        name = str(f)
    assert_clean_error(r, 1, contains=f"{len(BAD_LINES)} bad row(s), nothing recorded")
    details = r.err.splitlines()[1:]
    assert all(d.startswith("  ") for d in details), r.err
    assert [d.strip().split(": ", 2)[:2] for d in details] == [[f"{name}:{n}", field] for n, field in BAD_LINES]
    assert "12,5" in r.err and "decimal mark" in r.err
    assert store_bytes(data_dir) == before
    assert not list(data_dir.glob(".*.tmp"))


def test_many_bad_sdmx_rows_list_the_first_20(adm, data_dir):
    text = HEADER + "\n" + "".join(f"X:Y(1),VNM,gdp,{1990 + i},bad,USD_BN,A\n" for i in range(25))
    r = adm("record", "--file", "-", "--input-format", "sdmx-csv", stdin=text.encode())
    assert_clean_error(r, 1, contains="25 bad row(s)")
    lines = r.err.splitlines()
    assert len(lines) == 22 and lines[1].startswith("  <stdin>:2: value") and lines[20].startswith("  <stdin>:21:")
    assert "5 more" in lines[21]
    assert store_bytes(data_dir) is None


@pytest.mark.parametrize("text, needle", [
    ("", "empty"),
    ("\n\n", "empty"),
    ("DATAFLOW,REF_AREA,INDICATOR,TIME_PERIOD\nX:Y(1),VNM,gdp,2024\n", "OBS_VALUE"),
    ("DATAFLOW,INDICATOR,TIME_PERIOD,OBS_VALUE\nX:Y(1),gdp,2024,1\n", "REF_AREA"),
    ('DATAFLOW,"REF_AREA\nX:Y(1),VNM,gdp,2024,1\n', "<stdin>"),
])
def test_unusable_sdmx_files_are_refused(adm, data_dir, text, needle):
    r = adm("record", "--file", "-", "--input-format", "sdmx-csv", stdin=text.encode())
    assert_clean_error(r, 1, contains=needle)
    assert store_bytes(data_dir) is None


def test_sdmx_header_with_a_column_twice_is_refused(adm, data_dir):
    """Two OBS_VALUE columns are ambiguous: refused like a plain CSV header with a column twice, never
    resolved silently by taking one of them."""
    text = "DATAFLOW,REF_AREA,INDICATOR,TIME_PERIOD,OBS_VALUE,OBS_VALUE\nX:Y(1),VNM,gdp,2024,1,2\n"
    r = adm("record", "--file", "-", "--input-format", "sdmx-csv", stdin=text.encode())
    assert_clean_error(r, 1, contains="OBS_VALUE")
    assert store_bytes(data_dir) is None


def test_sdmx_same_observation_twice_with_different_values_is_refused(adm, data_dir):
    text = HEADER + "\nX:Y(1),VNM,gdp,2024,1,USD_BN,A\nX:Y(1),Vietnam,gdp,2024,2,USD_BN,A\n"
    r = adm("record", "--file", "-", "--input-format", "sdmx-csv", stdin=text.encode())
    assert_clean_error(r, 1, contains=("<stdin>:3", "twice"))
    assert store_bytes(data_dir) is None


# ---- spreadsheet safety of CSV/TSV output ----------------------------------------------------------------------

def plan_with_signed_indicator(extra: str = "") -> str:
    """The bundled plan plus an indicator without bounds (the bundled ones are all >= 0)."""
    return bundled_text() + (
        "\n[[indicator]]\n"
        'id = "net-balance"\n'
        'name = "Net balance of digital trade"\n'
        'unit = "usd-bn"\n'
    ) + extra


FORMULA_TEXTS = ["=SUM(A1:A9)", "+1+1", "-2+3", "@SUM(1)", "\t=1", "-5", "=HYPERLINK(\"http://x\",\"y\"),z"]
SAFE_TEXTS = ["MoF", " =1 with a leading space", "a=1", "'already quoted", "5", "", "ข้อมูล"]


def read_delimited(text: str, fmt: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter="\t" if fmt == "tsv" else ","))


@pytest.fixture
def hostile(adm, data_dir) -> list[tuple[str, str, float]]:
    """net-balance figures with formula-like and ordinary sources and notes; (source, note, value) by year."""
    write_file(data_dir / "targets.toml", plan_with_signed_indicator())
    out = []
    for n, text in enumerate(FORMULA_TEXTS + SAFE_TEXTS):
        year = 1995 + n
        value = -5.0 if n % 2 == 0 else 1234.5
        adm.ok("record", "VNM", "net-balance", str(year), "--source", text, "--note", text[::-1], "--", str(value))
        out.append((year, text, value))
    return out


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_export_neutralises_formula_text_but_never_numbers(adm, hostile, fmt):
    r = adm.ok("export", "--format", fmt, "--indicator", "net-balance", no_reference=True)
    rows = {int(row["year"]): row for row in read_delimited(r.out, fmt)}
    assert len(rows) == len(hostile)
    for year, text, value in hostile:
        row = rows[year]
        want = ("'" + text) if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
        assert row["source"] == want, (text, row)
        note = text[::-1]
        assert row["note"] == (("'" + note) if note[:1] in ("=", "+", "-", "@", "\t", "\r") else note), row
        # numbers are never altered: a negative value stays a number a spreadsheet can add up
        assert row["value"] == repr(value) and float(row["value"]) == value, row
        assert row["year"] == str(year) and row["state"] == "VNM" and row["indicator"] == "net-balance"
        assert not row["recorded_at"].startswith("'")


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_raw_turns_the_prefix_off(adm, hostile, fmt):
    r = adm.ok("export", "--format", fmt, "--indicator", "net-balance", "--raw", no_reference=True)
    rows = {int(row["year"]): row for row in read_delimited(r.out, fmt)}
    for year, text, value in hostile:
        assert rows[year]["source"] == text and rows[year]["note"] == text[::-1]
        assert rows[year]["value"] == repr(value)
    assert not any((row[c] or "").startswith("'") for row in rows.values() for c in row if c not in ("source", "note"))


def test_machine_formats_other_than_csv_tsv_are_never_prefixed(adm, hostile):
    texts = {t for _, t, _ in hostile}
    for fmt in ("json", "jsonl"):
        out = adm.ok("export", "--format", fmt, "--indicator", "net-balance", no_reference=True).out
        docs = json.loads(out)["observations"] if fmt == "json" else [json.loads(ln) for ln in out.splitlines()]
        assert {d["source"] or "" for d in docs} == texts
        assert all(isinstance(d["value"], float) for d in docs)


def test_all_revisions_csv_is_prefixed_too(adm, hostile):
    adm.ok("retract", "VNM", "net-balance", "1995", "--reason", "=WEBSERVICE(\"http://evil\")")
    r = adm.ok("export", "--format", "csv", "--all-revisions", "--indicator", "net-balance", no_reference=True)
    rows = read_delimited(r.out, "csv")
    [retraction] = [row for row in rows if row["retracted"] == "true"]
    assert retraction["reason"] == "'=WEBSERVICE(\"http://evil\")"
    assert retraction["value"] == ""


def test_a_carriage_return_cannot_be_recorded_but_is_prefixed_where_it_can_appear(adm, data_dir):
    """CR is a control character: the store refuses it in text (SPEC §2.2). It can still reach CSV output
    through a plan that a user edits: a state name or a target title."""
    r = adm("record", "VNM", "gdp", "2024", "1", "--source", "\r=1+1")
    assert_clean_error(r, 1, one_line=True, contains="source")
    assert store_bytes(data_dir) is None
    plan = bundled_text().replace('name = "Viet Nam"', 'name = "\\r=HYPERLINK(1)"').replace(
        'title = "Digital economy reaches 30% of GDP"', 'title = "\\r@SUM(1)"')
    write_file(data_dir / "targets.toml", plan)
    for fmt in ("csv", "tsv"):
        states = {row["code"]: row for row in read_delimited(adm.ok("states", "--format", fmt).out, fmt)}
        assert states["VNM"]["name"] == "'\r=HYPERLINK(1)"
        raw = {row["code"]: row for row in read_delimited(adm.ok("states", "--format", fmt, "--raw").out, fmt)}
        assert raw["VNM"]["name"] == "\r=HYPERLINK(1)"
        titles = {row["id"]: row["title"] for row in read_delimited(adm.ok("targets", "--format", fmt).out, fmt)}
        assert titles["digital-economy-share"] == "'\r@SUM(1)"


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"])
def test_inert_prefixes_each_formula_lead_and_leaves_numbers_alone(lead):
    assert inert(lead + "x") == "'" + lead + "x"
    assert inert(lead + "x", raw=True) == lead + "x"
    assert inert(lead) == "'" + lead
    assert inert("x" + lead) == "x" + lead


@pytest.mark.parametrize("number, text", [(-5.0, "-5.0"), (-0.0, "-0.0"), (-5, "-5"),
                                          (0.1 + 0.2, "0.30000000000000004"), (-1e-7, "-1e-07"),
                                          (1.7976931348623157e308, "1.7976931348623157e+308")])
def test_inert_never_touches_numbers(number, text):
    assert inert(number) == text and inert(number, raw=True) == text
