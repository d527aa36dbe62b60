"""`admtrack fetch worldbank|ilostat` through the real command line (SPEC §9), against a local HTTP server
(loopback only) that replays answers in the exact shapes of ../shared/reference/formats/ (the fixtures and
builders of test_sources.py). No test touches the internet.

What is pinned: every page is read; nulls and non-members are skipped (and counted); any failure — the API's
HTTP-200 error body, a 500 on a later page, a time-out, a value out of range — exits 1 with one line and
leaves the store byte-for-byte as it was; a re-fetch of unchanged figures records nothing (also after a new
release date); a revised figure is a conflict without --revise; --dry-run writes nothing."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from datetime import date

import pytest
from conftest import assert_clean_error, store_bytes, sub
from test_sources import (
    TEMPLATE,
    WB_NO_FIGURES,
    Server,
    code_layout_csv,
    fixture_json,
    gdp_items,
    serve_pages,
    wb_item,
    wb_pages,
)

GDP_ARGS = (
    "fetch",
    "worldbank",
    "--indicator",
    "gdp",
    "--state",
    "VNM",
    "--state",
    "la",
    "--from",
    "2019",
    "--to",
    "2025",
)


@pytest.fixture
def server(monkeypatch):
    s = Server()
    monkeypatch.setenv("ADMTRACK_WORLDBANK_URL", s.url)
    monkeypatch.setenv("ADMTRACK_ILOSTAT_URL", s.url)
    monkeypatch.setenv("ADMTRACK_HTTP_BACKOFF", "0.01")
    monkeypatch.setenv("ADMTRACK_HTTP_RETRIES", "1")
    monkeypatch.setenv("ADMTRACK_HTTP_TIMEOUT", "5")
    yield s
    s.close()


def gdp_pages(**kw):
    return {"NY.GDP.MKTP.CD": wb_pages(gdp_items(), per_page=2, **kw)}


def stored(adm) -> dict[tuple[str, str, int], tuple[float, str]]:
    return {
        (o["state"], o["indicator"], o["year"]): (o["value"], o["source"])
        for o in adm.observations(all_revisions=False)
    }


# ==== World Bank ======================================================================================


def test_every_page_nulls_and_aggregates(adm, data_dir, server):
    serve_pages(server, gdp_pages(strings=True))
    r = adm.ok(*GDP_ARGS)
    assert [q["page"] for _, q in server.log] == [["1"], ["2"], ["3"]]
    assert {p for p, _ in server.log} == {"/country/VNM;LAO/indicator/NY.GDP.MKTP.CD"}
    assert server.log[0][1]["date"] == ["2019:2025"]
    source = "World Bank WDI NY.GDP.MKTP.CD, release 2026-07-01"
    # Lao PDR 2022 is null in the answer: skipped; East Asia & Pacific is not a member: skipped and counted
    assert stored(adm) == {
        ("VNM", "gdp", 2023): (429.7169690437, source),
        ("VNM", "gdp", 2022): (413.4452308859, source),
        ("LAO", "gdp", 2023): (14.0911025475, source),
    }
    assert r.err.splitlines() == [
        "recorded 3, unchanged 0, revised 0 (World Bank API NY.GDP.MKTP.CD; 2 state(s), 2019–2025)",
        "skipped 1 row(s) for economies that are not member states (regions, income groups, other countries)",
    ]
    assert r.out == ""


def test_unchanged_refetch_and_a_new_release_with_the_same_figures(adm, data_dir, server):
    serve_pages(server, gdp_pages())
    adm.ok(*GDP_ARGS)
    before = store_bytes(data_dir)
    r = adm.ok(*GDP_ARGS)
    assert r.err.startswith("recorded 0, unchanged 3, revised 0 ")
    assert store_bytes(data_dir) == before
    # the agency publishes again (a later release date) with the same figures: still nothing to record
    serve_pages(server, gdp_pages(lastupdated="2026-10-15"))
    r = adm.ok(*GDP_ARGS)
    assert r.err.startswith("recorded 0, unchanged 3, revised 0 ")
    assert store_bytes(data_dir) == before


def revised_pages():
    items = gdp_items()
    items[0]["value"] = 431000000000.5  # VNM 2023, revised by the agency in a later release
    return {"NY.GDP.MKTP.CD": wb_pages(items, per_page=2, lastupdated="2026-10-15")}


def test_a_revised_figure_needs_revise(adm, data_dir, server):
    serve_pages(server, gdp_pages())
    adm.ok(*GDP_ARGS)
    before = store_bytes(data_dir)
    serve_pages(server, revised_pages())
    r = adm(*GDP_ARGS)
    assert_clean_error(r, 1, one_line=True, contains=("VNM gdp 2023", "--revise"))
    assert store_bytes(data_dir) == before
    r = adm(*GDP_ARGS, "--revise", "--dry-run")
    assert r.code == 0, r.err
    assert (
        "would revise VNM gdp 2023 = 431.0000000005 (was 429.7169690437, World Bank WDI NY.GDP.MKTP.CD, release "
        "2026-07-01)" in r.err
    )
    assert store_bytes(data_dir) == before
    r = adm.ok(*GDP_ARGS, "--revise")
    assert r.err.splitlines()[0] == (
        "revised VNM gdp 2023 = 431.0000000005 (was 429.7169690437, World Bank WDI NY.GDP.MKTP.CD, release 2026-07-01)"
    )
    assert "recorded 0, unchanged 2, revised 1 " in r.err
    now = stored(adm)
    assert now[("VNM", "gdp", 2023)] == (431.0000000005, "World Bank WDI NY.GDP.MKTP.CD, release 2026-10-15")
    # the two figures whose value did not change keep the source they were first recorded with
    assert now[("VNM", "gdp", 2022)][1].endswith("release 2026-07-01")
    history = adm.ok("history", "VNM", "gdp", "--format", "json", no_reference=True).out
    assert "429.7169690437" in history and "431.0000000005" in history


def test_dry_run_lists_and_writes_nothing(adm, data_dir, server):
    serve_pages(server, gdp_pages())
    r = adm.ok(*GDP_ARGS, "--dry-run")
    assert r.err.splitlines()[:4] == [
        "would record VNM gdp 2023 = 429.7169690437",
        "would record VNM gdp 2022 = 413.4452308859",
        "would record LAO gdp 2023 = 14.0911025475",
        "dry run: would have recorded 3, unchanged 0, revised 0 (World Bank API NY.GDP.MKTP.CD; 2 state(s), 2019–2025)",
    ]
    assert store_bytes(data_dir) is None


def test_a_series_without_figures_records_nothing_and_the_others_are_fetched(adm, data_dir, server):
    """The API answers a selection with no figures with page 0 of 0 and null data (HTTP 200): no figures
    for that series, as when all its values are null; not an error."""
    serve_pages(server, {**gdp_pages(), "SL.GDP.PCAP.EM.KD": [json.loads(WB_NO_FIGURES)]})
    r = adm.ok(*GDP_ARGS, "--indicator", "labour-productivity")
    assert r.err.startswith("recorded 3, unchanged 0, revised 0 (World Bank API NY.GDP.MKTP.CD, SL.GDP.PCAP.EM.KD;")
    assert sorted({k[1] for k in stored(adm)}) == ["gdp"]
    r = adm.ok("fetch", "worldbank", "--indicator", "labour-productivity")
    assert r.err.startswith("recorded 0, unchanged 0, revised 0 (World Bank API SL.GDP.PCAP.EM.KD;")


def test_http_200_error_body(adm, data_dir, seeded, server):
    server.handler = lambda p, q: (200, json.dumps(fixture_json("worldbank-api-v2-error.json")).encode(), 0)
    r = adm(*GDP_ARGS)
    assert_clean_error(
        r, 1, one_line=True, contains="error 120 (Invalid value): The provided parameter value is not valid"
    )
    assert store_bytes(data_dir) == seeded
    assert len(server.log) == 1  # an API error is not tried again


def test_a_500_on_a_later_page_writes_nothing(adm, data_dir, seeded, server):
    serve_pages(server, gdp_pages(), fail={("NY.GDP.MKTP.CD", 3): [(500, 0)] * 5})
    r = adm(*GDP_ARGS)
    assert_clean_error(r, 1, one_line=True, contains=("HTTP 500", "2 attempts", "nothing was recorded"))
    assert store_bytes(data_dir) == seeded
    assert [q["page"] for _, q in server.log] == [["1"], ["2"], ["3"], ["3"]]


def test_a_500_that_passes_is_retried(adm, data_dir, server):
    serve_pages(server, gdp_pages(), fail={("NY.GDP.MKTP.CD", 2): [(503, 0)]})
    r = adm.ok(*GDP_ARGS)
    assert r.err.startswith("recorded 3,")
    assert [q["page"] for _, q in server.log] == [["1"], ["2"], ["2"], ["3"]]


def test_a_time_out_writes_nothing(adm, data_dir, seeded, server, monkeypatch):
    monkeypatch.setenv("ADMTRACK_HTTP_TIMEOUT", "0.2")
    serve_pages(server, gdp_pages(), fail={("NY.GDP.MKTP.CD", 2): [(200, 1.0), (200, 1.0)]})
    r = adm(*GDP_ARGS)
    assert_clean_error(r, 1, one_line=True, contains=("timed out (2 attempts)", "nothing was recorded"))
    assert store_bytes(data_dir) == seeded
    # a time-out once, then an answer: fetched
    serve_pages(server, gdp_pages(), fail={("NY.GDP.MKTP.CD", 2): [(200, 1.0)]})
    assert adm.ok(*GDP_ARGS).err.startswith("recorded 3,")


def test_a_refused_connection_writes_nothing(adm, data_dir, seeded, server, monkeypatch):
    gone = Server()
    gone.close()  # a loopback port nobody listens on any more
    monkeypatch.setenv("ADMTRACK_WORLDBANK_URL", gone.url)
    r = adm(*GDP_ARGS)
    assert_clean_error(r, 1, one_line=True, contains=("network error", "2 attempts", "nothing was recorded"))
    assert store_bytes(data_dir) == seeded


def test_a_value_out_of_range_writes_nothing(adm, data_dir, seeded, server):
    items = gdp_items()
    items[1]["value"] = -5.0  # VNM 2022: GDP below 0
    serve_pages(server, {"NY.GDP.MKTP.CD": wb_pages(items, per_page=2)})
    r = adm(*GDP_ARGS)
    assert_clean_error(
        r, 1, one_line=True, contains=("World Bank API: NY.GDP.MKTP.CD page 1 item 2: value:", "nothing recorded")
    )
    assert store_bytes(data_dir) == seeded


def test_every_mapped_series_of_every_state_by_default(adm, data_dir, server):
    codes = ("SL.GDP.PCAP.EM.KD", "NY.GDP.MKTP.CD", "SP.POP.TOTL", "SL.TLF.TOTL.IN")
    serve_pages(server, {c: wb_pages([wb_item(TEMPLATE, "SGP", "SG", "Singapore", 2024, 1000.0)], 10) for c in codes})
    r = adm.ok("fetch", "worldbank")
    countries = {p.split("/")[2] for p, _ in server.log}
    from admtrack.plan import bundled_path, load_plan

    assert countries == {";".join(load_plan(bundled_path()).state_codes)}
    first = load_plan(bundled_path()).meta.baseline_year - 6  # the default first year
    assert {q["date"][0] for _, q in server.log} == {f"{first}:{date.today().year}"}
    assert sorted(p.rsplit("/", 1)[1] for p, _ in server.log) == sorted(codes)
    assert sorted(k[1] for k in stored(adm)) == ["gdp", "labour-force", "labour-productivity", "population"]
    assert (
        "recorded 4, unchanged 0, revised 0 (World Bank API NY.GDP.MKTP.CD, SL.GDP.PCAP.EM.KD, SL.TLF.TOTL.IN, "
        "SP.POP.TOTL; 11 state(s), 2019–" in r.err
    )


# ==== usage errors ===================================================================================


@pytest.mark.parametrize(
    "args, says",
    [
        (("fetch", "imf"), "'imf' is not one of 'worldbank', 'ilostat'"),
        (
            ("fetch", "worldbank", "--indicator", "high-skill-employment-share"),
            "has no `worldbank` series in targets.toml (mapped: labour-productivity, gdp, population, labour-force)",
        ),
        (("fetch", "ilostat", "--indicator", "gdp"), "(mapped: high-skill-employment-share)"),
        (("fetch", "worldbank", "--indicator", "nope"), "unknown indicator 'nope'"),
        (("fetch", "worldbank", "--state", "XX"), "'XX' is not a member state"),
        (("fetch", "worldbank", "--state", "ASEAN"), "the region is not fetched"),
        (("fetch", "worldbank", "--from", "2024", "--to", "2020"), "--from 2024 is after --to 2020"),
        (("fetch", "worldbank", "--to", "2100"), "--to: at most"),
    ],
)
def test_usage_errors_exit_2_without_a_request(adm, data_dir, server, args, says):
    r = adm(*args)
    assert_clean_error(r, 2, contains=says)
    assert server.log == []
    assert store_bytes(data_dir) is None


def test_a_bad_http_setting_is_a_usage_error(adm, server, monkeypatch):
    monkeypatch.setenv("ADMTRACK_HTTP_TIMEOUT", "soon")
    assert_clean_error(adm("fetch", "worldbank"), 2, contains="$ADMTRACK_HTTP_TIMEOUT")
    assert server.log == []


# ==== ILOSTAT =========================================================================================

ILO_ARGS = ("fetch", "ilostat", "--state", "VNM", "--state", "Singapore", "--state", "TH", "--from", "2020")


def ilo_answer() -> str:
    """ILOSTAT's code layout for Viet Nam and Singapore (the real counts), Thailand missing group 3 in
    2024, and the United States (not a member)."""
    extra = [
        ["THA", "BA:123", "EMP_2EMP_SEX_OCU_NB", "SEX_T", c, "2024", v, "", "", "", ""]
        for c, v in (("OCU_DETAILS_1", "10"), ("OCU_DETAILS_2", "10"), ("OCU_DETAILS_TOTAL", "100"))
    ]
    extra += [["USA", "XA:2401", "EMP_2EMP_SEX_OCU_NB", "SEX_T", "OCU_DETAILS_1", "2024", "1000", "", "", "", ""]]
    return code_layout_csv({"VNM", "SGP"}, extra)


def test_ilostat_fetch_and_an_unchanged_refetch_another_day(adm, data_dir, server, monkeypatch):
    text = ilo_answer()
    server.handler = lambda p, q: (200, text.encode(), 0)
    r = adm.ok(*ILO_ARGS)
    ((path, query),) = server.log
    assert path == "/data/indicator/" and query["ref_area"] == ["VNM+SGP+THA"] and query["type"] == ["code"]
    assert r.err.splitlines() == [
        f"recorded 12, unchanged 0, revised 0 (ILOSTAT EMP_2EMP_SEX_OCU_NB_A; 3 state(s), 2020–{date.today().year})",
        "skipped 1 row(s) for economies that are not member states (regions, income groups, other countries)",
        "left out 1 state-year(s) that lack an ILOSTAT item the mapping sums or divides by",
    ]
    figures = stored(adm)
    assert {k[0] for k in figures} == {"VNM", "SGP"} and {k[2] for k in figures} == set(range(2020, 2026))
    src = figures[("VNM", "high-skill-employment-share", 2024)][1]
    assert src == (
        f"ILOSTAT ILO modelled estimates, EMP_2EMP_SEX_OCU_NB_A (sex=SEX_T; OCU_DETAILS_1+OCU_DETAILS_2+"
        f"OCU_DETAILS_3 as % of OCU_DETAILS_TOTAL), retrieved {date.today().isoformat()}"
    )
    before = store_bytes(data_dir)

    class Later(date):
        @classmethod
        def today(cls):
            return date(2099, 1, 2)

    from admtrack.sources import ilostat

    monkeypatch.setattr(ilostat, "date", Later)
    r = adm.ok(*ILO_ARGS)  # another day: the source's retrieval date moves, the figures do not
    assert r.err.startswith("recorded 0, unchanged 12, revised 0 ")
    assert store_bytes(data_dir) == before


def test_ilostat_errors_write_nothing(adm, data_dir, seeded, server):
    server.handler = lambda p, q: (500, b"", 0)
    assert_clean_error(adm(*ILO_ARGS), 1, one_line=True, contains=("ILOSTAT", "HTTP 500"))
    server.handler = lambda p, q: (200, b"<html>maintenance</html>\n", 0)
    assert_clean_error(adm(*ILO_ARGS), 1, one_line=True, contains="missing ILOSTAT column")
    assert store_bytes(data_dir) == seeded


# ==== progress: a bar on a terminal, nothing on a pipe; the real process =============================


def test_a_real_process_on_a_pipe_shows_no_progress(data_dir, server):
    serve_pages(server, gdp_pages())
    r = sub(*GDP_ARGS, data_dir=data_dir)
    assert r.code == 0, r.err
    assert r.err.splitlines()[0].startswith("recorded 3, unchanged 0, revised 0")
    assert "\x1b" not in r.err and "━" not in r.err and len(r.err.splitlines()) == 2


def test_a_progress_bar_on_a_terminal(data_dir, server):
    serve_pages(server, gdp_pages())
    master, slave = pty.openpty()
    env = dict(os.environ, TERM="xterm", COLUMNS="100")
    proc = subprocess.Popen(
        [sys.executable, "-m", "admtrack", "--data-dir", str(data_dir), *GDP_ARGS],
        stdout=subprocess.PIPE,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(master)
    seen = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, seen
    assert "NY.GDP.MKTP.CD" in seen and "3/3" in seen  # the bar of that series, all pages done
    assert "recorded 3, unchanged 0, revised 0" in seen


def test_fetch_reaches_back_before_a_targets_own_earlier_baseline(adm, data_dir, server):
    """--from defaults to a few years before the earliest baseline: the plan's, or a target's own."""
    from admtrack.plan import bundled_text

    plan = bundled_text()
    marker = 'id = "digital-economy-share"\ntitle'
    assert marker in plan
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "targets.toml").write_text(plan.replace(marker, 'id = "digital-economy-share"\nbaseline_year = 2020\n'
                                                                'title'), encoding="utf-8")
    serve_pages(server, gdp_pages(strings=True))
    adm.ok("fetch", "worldbank", "--indicator", "gdp", "--state", "VNM", "--state", "la", "--to", "2025")
    assert server.log[0][1]["date"] == ["2014:2025"]  # 2020 − 6 (the plan's own baseline, 2025, gave 2019)
