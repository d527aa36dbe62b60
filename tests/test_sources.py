"""The agencies' APIs and bulk files (SPEC §9), through a local HTTP server that replays answers in the exact
shapes of the recorded World Bank responses and ILOSTAT files (tests/fixtures/, copied from
../shared/reference/formats/). No test touches the internet."""

from __future__ import annotations

import copy
import csv
import io
import json
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from conftest import REPO, STATES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from admtrack.errors import AdmError
from admtrack.plan import bundled_path, load_plan
from admtrack.rules import check_row
from admtrack.sources import bulk, ilostat, worldbank

FIXTURES = Path(__file__).parent / "fixtures"
PLAN = load_plan(bundled_path())
IND = PLAN.indicators
NO_SLEEP = lambda s: None  # noqa: E731


def member(code: str) -> str | None:
    return PLAN.resolve_state(code, allow_region=False)


def fixture_json(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


# ==== a local HTTP server ============================================================================


class Server:
    """Answers each GET with ``handler(path, query) -> (status, body bytes, delay seconds)``; logs requests."""

    def __init__(self) -> None:
        self.handler = lambda path, query: (404, b"not found", 0)
        self.log: list[tuple[str, dict[str, list[str]]]] = []
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                parts = urlsplit(self.path)
                path, query = unquote(parts.path), parse_qs(parts.query, keep_blank_values=True)
                outer.log.append((path, query))
                status, body, delay = outer.handler(path, query)
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json;charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


# ==== World Bank Indicators API v2 ===================================================================


def wb_item(template: dict, iso3: str, alpha2: str, name: str, year: int, value) -> dict:
    item = copy.deepcopy(template)
    item["country"] = {"id": alpha2, "value": name}
    item["countryiso3code"] = iso3
    item["date"] = str(year)
    item["value"] = value
    return item


def wb_pages(items: list[dict], per_page: int, *, strings: bool = False, lastupdated: str = "2026-07-01") -> list[list]:
    """The items split into pages in the API's shape (header numbers as strings where ``strings``)."""
    header0 = fixture_json("worldbank-api-v2-paged.json")[0]
    pages = max(1, -(-len(items) // per_page))
    out = []
    for k in range(pages):
        h = dict(header0, page=k + 1, pages=pages, per_page=per_page, total=len(items), lastupdated=lastupdated)
        if strings:
            h = {key: str(v) for key, v in h.items()}
        out.append([h, items[k * per_page : (k + 1) * per_page]])
    return out


TEMPLATE = fixture_json("worldbank-api-v2-paged.json")[1][0]
GDP = {"VNM": {2023: 429716969043.7, 2022: 413445230885.9}, "LAO": {2023: 14091102547.5, 2022: None}}


def gdp_items() -> list[dict]:
    items = []
    for iso3, a2, name in (("VNM", "VN", "Viet Nam"), ("LAO", "LA", "Lao PDR")):
        for year, v in GDP[iso3].items():
            items.append(wb_item(TEMPLATE, iso3, a2, name, year, v))
    # an aggregate in the answer: not a member state, skipped and counted
    items.append(wb_item(TEMPLATE, "EAS", "Z4", "East Asia & Pacific", 2023, 3.1e13))
    return items


def serve_pages(server, pages_by_code: dict[str, list], fail: dict | None = None):
    fail = dict(fail or {})  # (code, page) -> list of (status, delay) to answer first

    def handler(path, query):
        code = path.rsplit("/", 1)[-1]
        page = int(query.get("page", ["1"])[0])
        queue = fail.get((code, page))
        if queue:
            status, delay = queue.pop(0)
            return status, b'{"error": "busy"}', delay
        pages = pages_by_code.get(code)
        if pages is None or page > len(pages):
            return 200, json.dumps(fixture_json("worldbank-api-v2-error.json")).encode(), 0
        return 200, json.dumps(pages[page - 1]).encode(), 0

    server.handler = handler


def test_worldbank_every_page_nulls_aggregates_and_scale(server):
    serve_pages(server, {"NY.GDP.MKTP.CD": wb_pages(gdp_items(), per_page=2, strings=True)})
    progress = []
    got = worldbank.fetch(
        IND,
        ["gdp"],
        ["VNM", "LAO"],
        2019,
        2025,
        base_url=server.url,
        per_page=2,
        progress=lambda *a: progress.append(a),
        sleep=NO_SLEEP,
    )
    # three pages asked for, each with the documented query
    assert [q["page"] for _, q in server.log] == [["1"], ["2"], ["3"]]
    for path, q in server.log:
        assert path == "/country/VNM;LAO/indicator/NY.GDP.MKTP.CD"
        assert q["format"] == ["json"] and q["date"] == ["2019:2025"] and q["per_page"] == ["2"]
    assert progress == [("NY.GDP.MKTP.CD", 1, 3), ("NY.GDP.MKTP.CD", 2, 3), ("NY.GDP.MKTP.CD", 3, 3)]
    assert got.skipped == 1  # East Asia & Pacific
    values = {(f["state"], f["year"]): f["value"] for _, f in got.rows}
    assert values == {("VNM", 2023): 429.7169690437, ("VNM", 2022): 413.4452308859, ("LAO", 2023): 14.0911025475}
    for label, f in got.rows:
        assert f["indicator"] == "gdp"
        assert f["source"] == "World Bank WDI NY.GDP.MKTP.CD, release 2026-07-01"
        assert f["obs_status"] is None and label.startswith("NY.GDP.MKTP.CD page ")
        check_row(PLAN, f)  # the same checks as record --file accept them


def test_worldbank_recorded_page_verbatim(server):
    """The recorded JPN/USA answer, served as it was: values in US$, scaled to US$ bn exactly."""
    page1 = fixture_json("worldbank-api-v2-paged.json")
    page2 = copy.deepcopy(page1)
    page2[0]["page"] = 2
    for item, year in zip(page2[1], (2017, 2016)):
        item["date"] = str(year)
    serve_pages(server, {"NY.GDP.MKTP.CD": [page1, page2]})
    got = worldbank.fetch(IND, ["gdp"], ["JPN", "USA"], 2016, 2019, base_url=server.url, per_page=2)
    assert [(f["state"], f["year"], f["value"]) for _, f in got.rows] == [
        ("JPN", 2019, 5081.76954237977),
        ("JPN", 2018, 4954.80661999519),
        ("JPN", 2017, 5081.76954237977),
        ("JPN", 2016, 4954.80661999519),
    ]
    assert all(f["source"] == "World Bank WDI NY.GDP.MKTP.CD, release 2021-05-25" for _, f in got.rows)


def test_worldbank_first_recorded_page_with_a_null(server):
    page = fixture_json("worldbank-api-v2-page1.json")
    page[0]["pages"] = 1  # only this page is served
    serve_pages(server, {"NY.GDP.MKTP.CD": [page]})
    got = worldbank.fetch(IND, ["gdp"], ["JPN", "USA"], 2010, 2020, base_url=server.url)
    years = [f["year"] for _, f in got.rows if f["state"] == "JPN"]
    assert 2020 not in years and 2019 in years  # 2020 is null in the recorded answer: skipped


#: the API's answer, verbatim, for a selection with no figures at all (HTTP 200)
WB_NO_FIGURES = '[{"page":0,"pages":0,"per_page":0,"total":0,"sourceid":null,"lastupdated":null},null]'


def test_worldbank_a_series_without_figures_is_no_figures(server):
    serve_pages(server, {"NY.GDP.MKTP.CD": wb_pages(gdp_items(), per_page=10),
                         "SL.GDP.PCAP.EM.KD": [json.loads(WB_NO_FIGURES)]})
    progress = []
    got = worldbank.fetch(IND, ["gdp", "labour-productivity"], ["VNM", "LAO"], 2019, 2025, base_url=server.url,
                          progress=lambda *a: progress.append(a), sleep=NO_SLEEP)
    assert sorted({f["indicator"] for _, f in got.rows}) == ["gdp"] and len(got.rows) == 3
    asked = [(p.rsplit("/", 1)[-1], q["page"][0]) for p, q in server.log]
    assert sorted(asked) == [("NY.GDP.MKTP.CD", "1"), ("SL.GDP.PCAP.EM.KD", "1")]  # one request, no page 0
    assert progress == [("NY.GDP.MKTP.CD", 1, 1)]


@pytest.mark.parametrize("header, data, says", [
    ({"page": 0, "pages": 1, "total": 0}, None, "asked for page 1, got page 0"),  # page 0 of something
    ({"page": 0, "pages": 0, "total": 3}, None, "asked for page 1, got page 0"),  # figures it does not send
    ({"page": 0, "pages": 0, "total": 0}, [TEMPLATE], "asked for page 1, got page 0"),  # none, yet data
    ({"page": "zero", "pages": 0, "total": 0}, None, "header 'page' is not a number: 'zero'"),
])
def test_worldbank_other_inconsistent_paging_still_fails(server, header, data, says):
    serve_pages(server, {"NY.GDP.MKTP.CD": [[dict(header, per_page=0, sourceid=None, lastupdated=None), data]]})
    with pytest.raises(AdmError, match=says):
        worldbank.fetch(IND, ["gdp"], ["VNM"], 2019, 2025, base_url=server.url, sleep=NO_SLEEP)


def test_worldbank_no_figures_after_page_one_fails(server):
    pages = wb_pages(gdp_items(), per_page=2)
    pages[1] = json.loads(WB_NO_FIGURES)  # page 1 promised 3 pages
    serve_pages(server, {"NY.GDP.MKTP.CD": pages})
    with pytest.raises(AdmError, match="asked for page 2, got page 0"):
        worldbank.fetch(IND, ["gdp"], ["VNM", "LAO"], 2019, 2025, base_url=server.url, per_page=2, sleep=NO_SLEEP)


def test_worldbank_http_200_error_body(server):
    server.handler = lambda p, q: (200, (FIXTURES / "worldbank-api-v2-error.json").read_bytes(), 0)
    with pytest.raises(AdmError) as e:
        worldbank.fetch(IND, ["gdp"], ["XXX"], 2019, 2025, base_url=server.url, sleep=NO_SLEEP)
    msg = e.value.message
    assert "error 120 (Invalid value): The provided parameter value is not valid" in msg and "\n" not in msg
    assert len(server.log) == 1  # an API error is not retried


def test_worldbank_500_on_a_later_page_returns_nothing(server):
    pages = wb_pages(gdp_items(), per_page=2)
    serve_pages(server, {"NY.GDP.MKTP.CD": pages}, fail={("NY.GDP.MKTP.CD", 2): [(500, 0)] * 10})
    slept = []
    with pytest.raises(AdmError) as e:
        worldbank.fetch(
            IND,
            ["gdp"],
            ["VNM", "LAO"],
            2019,
            2025,
            base_url=server.url,
            per_page=2,
            retries=2,
            backoff=0.01,
            sleep=slept.append,
        )
    assert "HTTP 500" in e.value.message and "3 attempts" in e.value.message
    assert [q["page"][0] for _, q in server.log] == ["1", "2", "2", "2"]
    assert slept == [0.01, 0.02]  # back-off doubles


def test_worldbank_retries_then_succeeds(server):
    pages = wb_pages(gdp_items(), per_page=10)
    serve_pages(server, {"NY.GDP.MKTP.CD": pages}, fail={("NY.GDP.MKTP.CD", 1): [(503, 0), (502, 0)]})
    slept = []
    got = worldbank.fetch(
        IND, ["gdp"], ["VNM", "LAO"], 2019, 2025, base_url=server.url, retries=3, backoff=0.01, sleep=slept.append
    )
    assert len(got.rows) == 3 and slept == [0.01, 0.02] and len(server.log) == 3


def test_worldbank_time_out_is_retried_then_fails(server):
    pages = wb_pages(gdp_items(), per_page=10)
    serve_pages(server, {"NY.GDP.MKTP.CD": pages}, fail={("NY.GDP.MKTP.CD", 1): [(200, 1.0)] * 3})
    t0 = time.monotonic()
    with pytest.raises(AdmError) as e:
        worldbank.fetch(IND, ["gdp"], ["VNM"], 2019, 2025, base_url=server.url, timeout=0.2, retries=1, backoff=0.01)
    assert "timed out" in e.value.message and "2 attempts" in e.value.message
    assert time.monotonic() - t0 < 5


def test_worldbank_time_out_then_success(server):
    pages = wb_pages(gdp_items(), per_page=10)
    serve_pages(server, {"NY.GDP.MKTP.CD": pages}, fail={("NY.GDP.MKTP.CD", 1): [(200, 1.0)]})
    got = worldbank.fetch(
        IND, ["gdp"], ["VNM", "LAO"], 2019, 2025, base_url=server.url, timeout=0.3, retries=2, backoff=0.01
    )
    assert len(got.rows) == 3


def test_worldbank_client_errors_and_bad_bodies_are_not_retried(server):
    server.handler = lambda p, q: (404, b"<html>no such page</html>", 0)
    with pytest.raises(AdmError, match="HTTP 404"):
        worldbank.fetch(IND, ["gdp"], ["VNM"], 2019, 2025, base_url=server.url, sleep=NO_SLEEP)
    assert len(server.log) == 1
    server.handler = lambda p, q: (200, b"<html>maintenance</html>", 0)
    with pytest.raises(AdmError, match="not JSON"):
        worldbank.fetch(IND, ["gdp"], ["VNM"], 2019, 2025, base_url=server.url, sleep=NO_SLEEP)
    server.handler = lambda p, q: (200, b'{"page": 1}', 0)
    with pytest.raises(AdmError, match="shape"):
        worldbank.fetch(IND, ["gdp"], ["VNM"], 2019, 2025, base_url=server.url, sleep=NO_SLEEP)


def test_worldbank_every_mapped_series_and_the_environment(server, monkeypatch):
    items = {
        code: wb_pages([wb_item(TEMPLATE, "SGP", "SG", "Singapore", 2024, 1.0)], 10)
        for code in ("NY.GDP.MKTP.CD", "SP.POP.TOTL", "SL.TLF.TOTL.IN", "SL.GDP.PCAP.EM.KD")
    }
    serve_pages(server, items)
    monkeypatch.setenv("ADMTRACK_WORLDBANK_URL", server.url + "/")
    got = worldbank.fetch(IND, None, ["SGP"], 2024, 2024, sleep=NO_SLEEP)
    assert sorted(f["indicator"] for _, f in got.rows) == ["gdp", "labour-force", "labour-productivity", "population"]
    assert {p.rsplit("/", 1)[-1] for p, _ in server.log} == set(items)


def test_worldbank_refuses_an_unmapped_indicator():
    with pytest.raises(AdmError, match="no `worldbank` series"):
        worldbank.fetch(IND, ["high-skill-employment-share"], ["VNM"], 2019, 2025, base_url="http://127.0.0.1:9")
    with pytest.raises(AdmError, match="unknown indicator"):
        worldbank.fetch(IND, ["gdpp"], ["VNM"], 2019, 2025, base_url="http://127.0.0.1:9")


# ==== ILOSTAT bulk CSV API ============================================================================

CODE_HEADER = [
    "ref_area",
    "source",
    "indicator",
    "sex",
    "classif1",
    "time",
    "obs_value",
    "obs_status",
    "note_classif",
    "note_indicator",
    "note_source",
]


def evidence() -> list[dict[str, str]]:
    with open(REPO / "data" / "evidence" / "ilo-employment-by-occupation-2019-2025.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def code_layout_csv(states: set[str], extra: list[list[str]] = ()) -> str:
    """ILOSTAT's code layout built from the real ILO counts kept as evidence (both sexes), plus a female row
    and a non-member, as `type=code&format=.csv` answers."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CODE_HEADER)
    for r in evidence():
        if r["ref_area"] in states:
            w.writerow(
                [
                    r["ref_area"],
                    "XA:2401",
                    "EMP_2EMP_SEX_OCU_NB",
                    "SEX_T",
                    r["classif1"],
                    r["time"],
                    r["obs_value_thousands"],
                    "",
                    "",
                    "",
                    "",
                ]
            )
            if r["classif1"] == "OCU_DETAILS_1":  # another sex: filtered out
                w.writerow(
                    [
                        r["ref_area"],
                        "XA:2401",
                        "EMP_2EMP_SEX_OCU_NB",
                        "SEX_F",
                        r["classif1"],
                        r["time"],
                        "1.0",
                        "",
                        "",
                        "",
                        "",
                    ]
                )
    for row in extra:
        w.writerow(row)
    return buf.getvalue()


def bundled_share(state: str, year: int) -> float:
    from admtrack.reference import load_reference

    return next(o.value for o in load_reference() if o.key == (state, "high-skill-employment-share", year))


def test_ilostat_fetch_share_from_the_counts(server):
    usa = [
        ["USA", "XA:2401", "EMP_2EMP_SEX_OCU_NB", "SEX_T", c, "2024", "1000", "", "", "", ""]
        for c in ("OCU_DETAILS_1", "OCU_DETAILS_2", "OCU_DETAILS_3", "OCU_DETAILS_TOTAL")
    ]
    text = code_layout_csv({"VNM", "SGP"}, usa)
    server.handler = lambda p, q: (200, text.encode(), 0)
    got = ilostat.fetch(IND, None, ["VNM", "SGP"], 2020, 2025, base_url=server.url, sleep=NO_SLEEP)
    ((path, q),) = server.log
    assert path == "/data/indicator/"
    assert q == {"id": ["EMP_2EMP_SEX_OCU_NB_A"], "ref_area": ["VNM+SGP"], "type": ["code"], "format": [".csv"]}
    assert got.skipped == 4  # the United States' rows
    assert {(f["state"], f["year"]) for _, f in got.rows} == {(s, y) for s in ("VNM", "SGP") for y in range(2020, 2026)}
    for label, f in got.rows:
        assert f["indicator"] == "high-skill-employment-share" and label.startswith("line ")
        assert f["value"] == pytest.approx(bundled_share(f["state"], f["year"]), abs=5e-4)
        assert f["obs_status"] == "E"  # ILO modelled estimates
        assert "EMP_2EMP_SEX_OCU_NB_A" in f["source"] and "retrieved" in f["source"]
        check_row(PLAN, f)
    undated = ilostat.fetch(IND, None, ["VNM", "SGP"], 2020, 2025, base_url=server.url, dated=False)
    assert [f["value"] for _, f in undated.rows] == [f["value"] for _, f in got.rows]
    assert undated.rows[0][1]["source"] == (
        "ILOSTAT ILO modelled estimates, EMP_2EMP_SEX_OCU_NB_A (sex=SEX_T; "
        "OCU_DETAILS_1+OCU_DETAILS_2+OCU_DETAILS_3 as % of OCU_DETAILS_TOTAL)"
    )


def test_ilostat_status_missing_items_and_errors(server):
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
        ["MYS", "BA:1", "EMP_2EMP_SEX_OCU_NB", "SEX_T", c, "2024", v, "", "", "", ""]
        for c, v in (
            ("OCU_DETAILS_1", "1"),
            ("OCU_DETAILS_2", "2"),
            ("OCU_DETAILS_3", "3"),
            ("OCU_DETAILS_TOTAL", "60"),
        )
    ]
    text = code_layout_csv(set(), extra)
    server.handler = lambda p, q: (200, text.encode(), 0)
    got = ilostat.fetch(IND, None, ["THA", "MYS"], 2019, 2025, base_url=server.url, sleep=NO_SLEEP)
    ((_, f),) = got.rows  # THA lacks group 3 (empty cell): left out, counted
    assert (f["state"], f["value"], f["obs_status"]) == ("MYS", 10.0, None)
    assert got.incomplete == 1
    server.handler = lambda p, q: (500, b"", 0)
    with pytest.raises(AdmError, match="HTTP 500"):
        ilostat.fetch(IND, None, ["THA"], 2019, 2025, base_url=server.url, retries=1, sleep=NO_SLEEP)
    server.handler = lambda p, q: (200, b"ref_area,indicator\n", 0)
    with pytest.raises(AdmError, match="missing ILOSTAT column 'time'"):
        ilostat.fetch(IND, None, ["THA"], 2019, 2025, base_url=server.url, sleep=NO_SLEEP)


def test_ilostat_break_in_series_is_carried(server):
    rows = [
        ["PHL", "BA:9", "EMP_2EMP_SEX_OCU_NB", "SEX_T", c, "2023", v, s, "", "", ""]
        for c, v, s in (
            ("OCU_DETAILS_1", "1", "B"),
            ("OCU_DETAILS_2", "2", ""),
            ("OCU_DETAILS_3", "3", ""),
            ("OCU_DETAILS_TOTAL", "12", ""),
        )
    ]
    got = bulk.read_ilostat_csv("f.csv", code_layout_csv(set(), rows), IND, member)
    ((_, f),) = got.rows
    assert (f["value"], f["obs_status"]) == (50.0, "B")
    assert "modelled" not in f["source"]


def test_ilostat_header_only_and_unmapped_indicator():
    assert bulk.read_ilostat_csv("f.csv", ",".join(CODE_HEADER) + "\n", IND, member).rows == []
    other = [["PHL", "BA:1", "UNE_DEAP_SEX_AGE_RT", "SEX_T", "AGE_YTHADULT_YGE15", "2023", "2.1", "", "", "", ""]]
    with pytest.raises(AdmError, match="UNE_DEAP_SEX_AGE_RT; none is mapped"):
        bulk.read_ilostat_csv("f.csv", code_layout_csv(set(), other), IND, member)


def test_ilostat_several_sources_for_one_figure_is_an_error():
    rows = [
        ["PHL", src, "EMP_2EMP_SEX_OCU_NB", "SEX_T", c, "2023", "1", "", "", "", ""]
        for src in ("BA:1", "BA:2")
        for c in ("OCU_DETAILS_1", "OCU_DETAILS_2", "OCU_DETAILS_3", "OCU_DETAILS_TOTAL")
    ]
    with pytest.raises(AdmError, match="several ILO sources"):
        bulk.read_ilostat_csv("f.csv", code_layout_csv(set(), rows), IND, member)


# ==== bulk files: WDI ================================================================================


def test_wdi_excerpt_verbatim_is_truncated():
    """The recorded excerpt stops inside its last quoted cell: a clean error with the line, not a crash."""
    text = (FIXTURES / "wdi-bulk-API_NY.GDP.MKTP.CD_DS2_en_csv_v2-excerpt.csv").read_text(encoding="utf-8")
    with pytest.raises(AdmError, match=r":6: malformed CSV"):
        bulk.read_worldbank_csv("wdi.csv", text, IND, member)


def wdi_file(
    rows: list[tuple[str, str, dict[int, str]]], years=range(2015, 2026), code="NY.GDP.MKTP.CD", updated="2026-07-01"
) -> str:
    """A WDI bulk file in the recorded layout (preamble, every cell quoted, trailing comma)."""
    excerpt = (FIXTURES / "wdi-bulk-API_NY.GDP.MKTP.CD_DS2_en_csv_v2-excerpt.csv").read_text(encoding="utf-8")
    pre = excerpt.split("\n")[:4]
    pre[2] = pre[2].replace("2016-05-02", updated)
    q = lambda cells: ",".join(f'"{c}"' for c in cells) + ","  # noqa: E731
    lines = pre + [q(["Country Name", "Country Code", "Indicator Name", "Indicator Code", *map(str, years)])]
    for name, iso3, values in rows:
        lines.append(q([name, iso3, "GDP (current US$)", code, *(values.get(y, "") for y in years)]))
    return "\n".join(lines) + "\n"


def test_wdi_bulk_members_aggregates_and_empty_cells():
    text = wdi_file(
        [
            ("Aruba", "ABW", {2020: "2481857142.85714"}),
            ("East Asia & Pacific", "EAS", {2024: "3.1e13"}),
            ("Viet Nam", "VNM", {2023: "429716969043.7", 2024: ""}),
            ("Lao PDR", "LAO", {2019: "18740555282.3421"}),
            ("World", "WLD", {2024: "1.1e14"}),
        ]
    )
    got = bulk.read_worldbank_csv("API_NY.GDP.MKTP.CD.csv", text, IND, member)
    assert got.skipped == 3
    assert [(f["state"], f["year"], f["value"]) for _, f in got.rows] == [
        ("VNM", 2023, 429.7169690437),
        ("LAO", 2019, 18.7405552823421),
    ]
    assert got.rows[0][0] == "line 8, 2023"
    assert got.rows[0][1]["source"] == "World Bank WDI NY.GDP.MKTP.CD, release 2026-07-01"
    for _, f in got.rows:
        check_row(PLAN, f)


def test_wdi_bulk_years_before_1990_are_left_out_and_bad_cells_fail():
    text = wdi_file([("Viet Nam", "VNM", {1989: "1", 1990: "2"})], years=range(1985, 1995))
    got = bulk.read_worldbank_csv("f.csv", text, IND, member)
    assert [(f["year"], f["value"]) for _, f in got.rows] == [(1990, 2e-9)]
    with pytest.raises(AdmError, match=r"f\.csv:6: 2020: not a number"):
        bulk.read_worldbank_csv("f.csv", wdi_file([("Viet Nam", "VNM", {2020: "12,5"})]), IND, member)
    with pytest.raises(AdmError, match="none is mapped"):
        bulk.read_worldbank_csv("f.csv", wdi_file([("Viet Nam", "VNM", {2020: "1"})], code="XX.YY"), IND, member)
    with pytest.raises(AdmError, match="not a World Bank bulk CSV"):
        bulk.read_worldbank_csv("f.csv", "state,indicator,year,value\nVNM,gdp,2020,1\n", IND, member)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(STATES + ["EAS", "WLD", "ABW", "ARB"]),
            st.dictionaries(
                st.integers(2019, 2025),
                st.one_of(st.just(""), st.floats(0, 1e14, allow_nan=False).map(repr)),
                max_size=7,
            ),
        ),
        max_size=12,
        unique_by=lambda t: t[0],
    )
)
def test_wdi_bulk_reader_property(rows):
    text = wdi_file([(c, c, v) for c, v in rows])
    got = bulk.read_worldbank_csv("f.csv", text, IND, member)
    expected = {
        (c, y): float(Decimal(v) * Decimal("1e-9"))
        for c, vals in rows
        if c in STATES
        for y, v in vals.items()
        if v != ""
    }
    assert {(f["state"], f["year"]): f["value"] for _, f in got.rows} == expected
    assert got.skipped == sum(1 for c, _ in rows if c not in STATES)


# ==== bulk files: ILOSTAT ===========================================================================


def test_ilostat_label_excerpt_verbatim():
    """The recorded label-layout file (Afghanistan, employment by sector): not a member; nothing recorded."""
    text = (FIXTURES / "ilostat-rplumber-label-excerpt.csv").read_text(encoding="utf-8")
    got = bulk.read_ilostat_csv("ilo.csv", text, IND, member)
    assert got.rows == [] and got.skipped == 2


def test_ilostat_label_layout_rows():
    header = (FIXTURES / "ilostat-rplumber-label-excerpt.csv").read_text(encoding="utf-8").split("\n")[0]
    labels = {
        "OCU_DETAILS_1": "1. Managers",
        "OCU_DETAILS_2": "2. Professionals",
        "OCU_DETAILS_3": "3. Technicians and associate professionals",
        "OCU_DETAILS_4": "4. Clerical support workers",
        "OCU_DETAILS_TOTAL": "Total",
    }
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    for r in evidence():
        if r["ref_area"] == "VNM" and r["classif1"] in labels:
            for sex in ("Total", "Male"):
                w.writerow(
                    [
                        "Viet Nam",
                        "XA - ILO Modelled Estimates",
                        "Employment by sex and occupation -- ILO modelled estimates, Nov. 2025 (thousands)",
                        f"Sex: {sex}",
                        f"Occupation (Detailed): {labels[r['classif1']]}",
                        r["time"],
                        float(r["obs_value_thousands"]) * (1 if sex == "Total" else 0.5),
                        "",
                        "",
                        "",
                    ]
                )
    w.writerow(
        [
            "Lao People's Democratic Republic",
            "LFS - Labour Force Survey",
            "x",
            "Sex: Total",
            "Occupation (ISCO-08): 1. Managers",
            "2022",
            5.0,
            "Break in series",
            "",
            "",
        ]
    )
    got = bulk.read_ilostat_csv("ilo.csv", header + "\n" + buf.getvalue(), IND, member)
    assert {f["year"] for _, f in got.rows} == set(range(2019, 2026))
    for _, f in got.rows:
        assert f["state"] == "VNM" and f["obs_status"] == "E"
        assert f["value"] == pytest.approx(bundled_share("VNM", f["year"]), abs=5e-4)
    # Lao PDR's row is an ISCO-08 item, not one of the Detailed classification that the mapping names
    assert got.incomplete == 0 and got.skipped == 0


def test_ilostat_label_layout_needs_one_indicator():
    from admtrack.plan import Indicator

    two = dict(IND)
    two["other"] = Indicator.of(
        {"id": "other", "name": "other", "unit": "persons", "ilostat": {"id": "EAP_2EAP_SEX_AGE_NB_A"}}
    )
    text = (FIXTURES / "ilostat-rplumber-label-excerpt.csv").read_text(encoding="utf-8")
    with pytest.raises(AdmError, match="--indicator"):
        bulk.read_ilostat_csv("ilo.csv", text, two, member)
    assert bulk.read_ilostat_csv("ilo.csv", text, two, member, wanted=["high-skill-employment-share"]).rows == []


def test_httpx_is_not_imported_by_the_readers():
    import subprocess
    import sys

    code = (
        "import sys; import admtrack.sources.bulk, admtrack.sources.ilostat, admtrack.sources.worldbank; "
        "print('httpx' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_ilostat_malformed_csv_names_the_line():
    """A record the csv module refuses (an unterminated quoted cell) is a clean error naming its first line."""
    text = code_layout_csv({"VNM"})
    n = text.count("\n")
    with pytest.raises(AdmError, match=rf"^i\.csv:{n + 1}: malformed CSV"):
        bulk.read_ilostat_csv("i.csv", text + 'VNM,"XA:2401,EMP\n', IND, member)
