"""`admtrack report` (SPEC §10): one self-contained HTML page (checked statically and in headless
Chromium with the network blocked), Markdown with SVG charts beside it, and start-up discipline: only
`chart` and `report` import matplotlib, plotext and Jinja2."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser import external_references, ink, screenshot
from conftest import REPO, assert_clean_error, write_file
from test_imports import loaded_modules, packages

TARGETS = [
    "digital-economy-share",
    "digital-economy-value-added",
    "skilled-workforce-share",
    "productivity",
    "public-services-ai-share",
    "social-service-cost",
]


@pytest.fixture(scope="module")
def bundled_report(tmp_path_factory) -> tuple[Path, str]:
    """The report of the bundled data (written once for the module, through the real CLI)."""
    import subprocess
    import sys

    folder = tmp_path_factory.mktemp("report")
    out = folder / "report.html"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(folder), "SOURCE_DATE_EPOCH": "1767225600"}
    p = subprocess.run(
        [sys.executable, "-m", "admtrack", "--data-dir", str(folder / "data"), "report", "--output", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    return out, out.read_text(encoding="utf-8")


class _Outline(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.figures, self.svgs, self.captions, self.text = [], 0, [], 0, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure":
            self.figures += 1
        if tag == "figcaption":
            self.captions += 1
        if tag == "svg":
            self.svgs.append(a)

    def handle_data(self, data):
        self.text.append(data)


def test_report_is_self_contained(bundled_report):
    _, html = bundled_report
    assert external_references(html) == []
    assert "<script" not in html.lower()
    assert html.startswith("<!DOCTYPE html>")


def test_report_has_header_tables_charts_sources(bundled_report):
    _, html = bundled_report
    o = _Outline()
    o.feed(html)
    text = " ".join(" ".join(o.text).split())
    for fact in (
        "ASEAN Digital Masterplan 2030",
        "As of",
        "Method",
        "Data vintage",
        "latest",
        "admtrack 0.1",
        "2026-01-01",
        "The region at a glance",
        "Member states × targets",
        "Sources",
        "Caveats",
        "World Bank WDI",
    ):
        assert fact in text, fact
    # one main chart per target, each with a text alternative; states' small multiples where they have data
    assert o.figures >= len(TARGETS) and o.captions == o.figures
    assert len(o.svgs) == o.figures
    for svg in o.svgs:
        assert svg.get("role") == "img" and svg.get("aria-label")
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "duplicate ids across inline charts"
    # status as a word and a symbol, not colour alone
    assert "◆ limited progress" in text and "· insufficient data" in text
    assert "@media print" in html and "break-inside: avoid" in html and "@page" in html
    assert 'name="viewport"' in html


def test_report_escapes_text(adm, tmp_path):
    adm.ok("record", "VNM", "digital-economy-share", "2025", "14.1", "--source", "<script>alert(1)</script> & co")
    out = tmp_path / "r.html"
    adm.ok("report", "-o", out, "--target", "digital-economy-share")
    html = out.read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html


def test_report_filters(adm, tmp_path):
    out = tmp_path / "r.html"
    adm.ok(
        "report", "-o", out, "--target", "productivity", "--state", "VNM", "--as-of", "2024", "--method", "cagr-ratio"
    )
    html = out.read_text(encoding="utf-8")
    assert "Labour productivity" in html and "Digital economy reaches" not in html
    assert "as of 2024" in html and "cagr-ratio" in html
    assert ">VNM<" in html and ">THA<" not in html


def test_report_usage_errors(adm, tmp_path):
    assert_clean_error(adm("report"), 2)
    assert_clean_error(adm("report", "-o", tmp_path / "r.html", "--target", "nope"), 2)
    # the file says what it holds: an HTML report in a .html file, a Markdown one in a .md file
    assert_clean_error(adm("report", "-o", tmp_path / "r.pdf"), 2, one_line=True, contains="--output")
    assert_clean_error(adm("report", "-f", "markdown", "-o", tmp_path / "r.html"), 2, one_line=True, contains=".md")
    assert not list(tmp_path.glob("r.*"))


def test_markdown_report_with_svg_charts_beside_it(adm, tmp_path):
    out = tmp_path / "out" / "report.md"
    out.parent.mkdir()
    r = adm.ok("report", "--format", "markdown", "--output", out)
    assert "chart(s)" in r.err
    md = out.read_text(encoding="utf-8")
    assert md.startswith("# ASEAN Digital Masterplan 2030")
    linked = re.findall(r"!\[[^\]]*\]\(([^)]+\.svg)\)", md)
    assert len(linked) >= len(TARGETS)
    for name in linked:
        svg = (out.parent / name).read_text(encoding="utf-8")
        assert "<svg" in svg and "<title>" in svg
    assert "| State | Latest | Goal |" in md


@pytest.mark.parametrize("args", [["status"], ["status", "--format", "json"], ["gaps"]])
def test_other_commands_do_not_import_the_picture_libraries(tmp_path, args):
    data = tmp_path / "data"
    data.mkdir()
    code, modules, _ = loaded_modules(["--data-dir", str(data), *args], tmp_path)
    assert code == 0
    assert packages(modules, ("matplotlib", "plotext", "jinja2", "PIL", "numpy")) == []


def test_chart_imports_plotext_but_not_matplotlib(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    code, modules, _ = loaded_modules(["--data-dir", str(data), "chart", "productivity"], tmp_path)
    assert code == 0
    assert packages(modules, ("plotext",)) and not packages(modules, ("matplotlib", "jinja2"))


def test_report_in_headless_chromium(bundled_report, tmp_path):
    """The page renders offline (every host unresolvable, a proxy that refuses), and every chart is
    drawn: a copy of the page lays each <figure> out in a known box and hides everything else, and each
    box has ink. With ADMTRACK_UPDATE_SCREENSHOT=1 the real page's screenshot refreshes docs/report.png."""
    page, html = bundled_report
    count = html.count("<figure")
    box_h, box_w = 520, 900
    css = (
        "<style>body *{visibility:hidden!important} figure{position:absolute!important;left:0;margin:0;"
        f"width:{box_w}px;height:{box_h - 20}px;overflow:hidden}} "
        "figure svg, figure svg *{visibility:visible!important}"
        "figure svg{max-width:none!important;max-height:100%!important;width:auto!important} "
        "figcaption{display:none}</style>"
    )
    n = iter(range(count))
    laid_out = re.sub(r"<figure", lambda m: f'<figure style="top:{next(n) * box_h}px"', html)
    laid_out = laid_out.replace("</head>", css + "</head>", 1)
    probe = tmp_path / "probe.html"
    probe.write_text(laid_out, encoding="utf-8")
    shot = screenshot(probe, tmp_path / "probe.png", width=box_w + 20, height=count * box_h)
    for i in range(count):
        drawn = ink(shot, (0, i * box_h, box_w, i * box_h + box_h - 20))
        assert drawn > 2000, f"chart {i + 1} of {count} looks empty ({drawn} pixels of ink)"
    # and the region between two boxes is blank: the ink above is the charts', not the page's text
    assert ink(shot, (0, box_h - 18, box_w, box_h - 2)) < 50

    real = screenshot(page, tmp_path / "report.png", width=1200, height=2400)
    assert ink(real, (0, 0, 1200, 2400)) > 50_000
    _keep_for_readme(real)


def _keep_for_readme(png: Path) -> None:
    """With ADMTRACK_UPDATE_SCREENSHOT=1, refresh docs/report.png (the README's picture)."""
    import os

    from PIL import Image

    docs = REPO / "docs"
    if not os.environ.get("ADMTRACK_UPDATE_SCREENSHOT") or not docs.is_dir():
        return
    with Image.open(png) as img:
        small = img.convert("RGB").resize((900, 1800), Image.LANCZOS).quantize(colors=128)
        small.save(docs / "report.png", optimize=True)


def test_a_region_chart_without_a_region_figure_keeps_the_plans_years(adm, tmp_path):
    """Three states of a GDP-weighted target, without the reference layer (so without GDP): no region
    figure. The region's chart then shows the plan's years and says so, instead of a lone goal star on
    an axis from 1925 to 2125."""
    rows = "state,indicator,year,value,source\n" + "".join(
        f"{s},digital-economy-share,{y},{v + y - 2024},x\n" for s, v in (("VNM", 13), ("MYS", 23), ("PHL", 8))
        for y in (2024, 2025))
    adm.ok("record", "--file", write_file(tmp_path / "in.csv", rows), no_reference=True)
    doc = adm.ok("status", "-t", "digital-economy-share", "-f", "json", no_reference=True).json
    assert doc["targets"][0]["region"]["latest"] is None
    adm.ok("report", "-o", tmp_path / "r.html", "-t", "digital-economy-share", no_reference=True)
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    region_chart = re.findall(r"<svg.*?</svg>", page, re.S)[0]
    texts = re.findall(r">([^<>]+)</text>", region_chart)
    years = [int(t) for t in texts if re.fullmatch(r"\d{4}", t)]
    assert years and min(years) >= 2019 and max(years) <= 2031 and 2030 in years, years
    assert "no region figure yet" in texts
    # the same in the terminal: the plan's years, not 1015-3045
    out = adm.ok("chart", "digital-economy-share", no_reference=True).out
    assert "'20" in out and "'30" in out and "no region figure yet" in out
    assert not re.search(r"\b(1[0-9]|3[0-9])\d\d\.\d\b", out), out
