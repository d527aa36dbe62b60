"""SPEC §8, proxies: every report that shows a target measured by a proxy indicator marks it (``†``) and
prints the proxy's text once — explain, chart (terminal and files), report (HTML and Markdown) and the
targets listing, as status and gaps already do. The bundled plan has one: skilled-workforce-share."""

from __future__ import annotations

import csv
import html
import io
import tomllib

import pytest

from admtrack.plan import bundled_text

PROXIED = "skilled-workforce-share"


def _proxy() -> tuple[str, str]:
    """(indicator, proxy text) of the bundled proxied target, read from the bundled plan."""
    plan = tomllib.loads(bundled_text())
    indicator = next(t["indicator"] for t in plan["target"] if t["id"] == PROXIED)
    return indicator, next(i["proxy"] for i in plan["indicator"] if i["id"] == indicator)


def _once(text: str, needle: str) -> None:
    assert text.count(needle) == 1, (needle, text.count(needle))


def _flat(text: str) -> str:
    return " ".join(text.split())  # the note may be wrapped


@pytest.mark.parametrize("fmt", ["table", "markdown"])
@pytest.mark.parametrize("state", [None, "VNM"])
def test_explain_marks_a_proxy_and_prints_its_text_once(adm, monkeypatch, fmt, state):
    monkeypatch.setenv("COLUMNS", "80")
    indicator, proxy = _proxy()
    out = adm.ok("explain", PROXIED, "-f", fmt, *(["-s", state] if state else [])).out
    assert out.splitlines()[0].lstrip("# ").startswith(f"{PROXIED}† — ")
    _once(_flat(out), f"† {PROXIED} is measured by the proxy {indicator}: {_flat(proxy)}")
    plain = adm.ok("explain", "digital-economy-share", "-f", fmt).out
    assert "†" not in plain


def test_chart_marks_a_proxy_in_the_terminal(adm, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    indicator, proxy = _proxy()
    out = adm.ok("chart", PROXIED, "-s", "VNM").out
    assert "80% of the workforce highly skilled† — ASEAN" in out
    _once(_flat(out), f"† {PROXIED} is measured by the proxy {indicator}: {_flat(proxy)}")
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "†" not in adm.ok("chart", "digital-economy-share").out


def test_chart_file_marks_a_proxy(adm, tmp_path):
    indicator, proxy = _proxy()
    adm.ok("chart", PROXIED, "-o", tmp_path / "c.svg")
    svg = html.unescape((tmp_path / "c.svg").read_text(encoding="utf-8"))
    assert "80% of the workforce highly skilled†" in svg
    _once(svg, f"† {PROXIED} is measured by the proxy")
    adm.ok("chart", "digital-economy-share", "-o", tmp_path / "plain.svg")
    assert "†" not in (tmp_path / "plain.svg").read_text(encoding="utf-8")


def test_html_report_marks_a_proxy_and_prints_its_text_once(adm, tmp_path):
    indicator, proxy = _proxy()
    adm.ok("report", "-o", tmp_path / "r.html")
    page = html.unescape((tmp_path / "r.html").read_text(encoding="utf-8"))
    title = "80% of the workforce highly skilled†"
    assert f'>{title}</a></th>' in page  # the region table's row
    assert f"T3. {title}</h2>" in page  # the target's section
    assert ">T3†<br>" in page  # the state matrix's column
    _once(_flat(page), _flat(proxy))
    _once(page, f"† {PROXIED} is measured by the proxy {indicator}")


def test_markdown_report_marks_a_proxy_and_prints_its_text_once(adm, tmp_path):
    indicator, proxy = _proxy()
    adm.ok("report", "-f", "markdown", "-o", tmp_path / "r.md")
    md = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "| 80% of the workforce highly skilled† |" in md
    assert "## T3. 80% of the workforce highly skilled†" in md
    assert "| T3† |" in md
    _once(md, f"† {PROXIED} is measured by the proxy {indicator}")
    _once(_flat(md), _flat(proxy))
    for svg in tmp_path.glob("r-*.svg"):  # the charts beside it leave the text to the report
        assert "is measured by the proxy" not in svg.read_text(encoding="utf-8"), svg.name


@pytest.mark.parametrize("fmt", ["csv", "tsv", "markdown"])
def test_targets_listing_has_a_proxy_column(adm, fmt):
    _, proxy = _proxy()
    out = adm.ok("targets", "-f", fmt).out
    if fmt == "markdown":
        rows = [[c.strip() for c in line.strip("|").split(" | ")] for line in out.splitlines() if line]
        rows = [rows[0], *rows[2:]]
    else:
        rows = list(csv.reader(io.StringIO(out), delimiter="," if fmt == "csv" else "\t"))
    head = rows[0]
    assert head[-1] == "proxy"
    by_id = {r[0]: dict(zip(head, r)) for r in rows[1:]}
    assert by_id[PROXIED]["proxy"].replace("\\", "") == proxy
    assert all(r["proxy"] == "" for tid, r in by_id.items() if tid != PROXIED)
