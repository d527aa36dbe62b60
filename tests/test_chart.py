"""`admtrack chart` (SPEC §10): a readable chart at 80 columns, no ANSI codes off a terminal, SVG and PNG
files, usage errors."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from conftest import assert_clean_error

ANSI = re.compile(r"\x1b\[")


def test_chart_at_80_columns_is_plain_and_readable(adm, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    r = adm.ok("chart", "digital-economy-share", "--state", "VNM")
    assert not ANSI.search(r.out)
    lines = r.out.splitlines()
    assert 15 <= len(lines) <= 40
    assert max(len(line) for line in lines) <= 80
    assert "Digital economy reaches 30% of GDP" in r.out
    for label in ("ASEAN", "VNM", "required path", "goal 30.0% in 2030", "projection"):
        assert label in r.out, label
    assert "'30" in r.out or "2030" in r.out  # the target year is on the axis


def test_chart_no_colour_with_no_color_set(adm, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    r = adm.ok("chart", "productivity")
    assert not ANSI.search(r.out)


def test_chart_width_follows_columns(adm, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    r = adm.ok("chart", "productivity", "--state", "SGP", "--state", "Vietnam")
    assert max(len(line) for line in r.out.splitlines()) > 100
    assert "SGP" in r.out and "VNM" in r.out


def test_chart_svg_is_a_valid_self_contained_image(adm, tmp_path):
    out = tmp_path / "chart.svg"
    r = adm.ok("chart", "digital-economy-share", "--state", "MYS", "--output", out)
    assert r.out == ""
    assert str(out) in r.err
    text = out.read_text(encoding="utf-8")
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag.endswith("svg") and root.get("role") == "img"
    assert "Digital economy reaches 30% of GDP" in root.get("aria-label")
    assert root.find("{http://www.w3.org/2000/svg}title") is not None
    body = re.sub(r'xmlns(:\w+)?="[^"]*"', "", text)
    assert "http://" not in body and "https://" not in body
    assert "MYS" in text and "goal: 30.0% by 2030" in text
    # deterministic: the same data gives the same bytes
    adm.ok("chart", "digital-economy-share", "--state", "MYS", "--output", tmp_path / "again.svg")
    assert (tmp_path / "again.svg").read_bytes() == out.read_bytes()


def test_chart_png(adm, tmp_path):
    out = tmp_path / "chart.png"
    adm.ok("chart", "productivity", "-o", out)
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_unknown_target_is_a_usage_error(adm):
    r = adm("chart", "no-such-target")
    assert_clean_error(r, 2, one_line=True, contains="no-such-target")


def test_unknown_state_and_bad_output_are_usage_errors(adm, tmp_path):
    assert_clean_error(adm("chart", "productivity", "--state", "XXX"), 2)
    assert_clean_error(adm("chart", "productivity", "-o", tmp_path / "c.pdf"), 2, contains=".svg or .png")
    assert not (tmp_path / "c.pdf").exists()


def test_chart_of_a_target_without_figures(adm):
    r = adm.ok("chart", "social-service-cost")
    assert "insufficient data" in r.out


def test_unwritable_output_is_a_data_error(adm, tmp_path):
    r = adm("chart", "productivity", "-o", tmp_path / "missing-dir" / "c.svg")
    assert_clean_error(r, 1, contains="cannot write")


def test_extreme_but_finite_values_chart_and_print_without_inf(adm, tmp_path, monkeypatch):
    """The store accepts any finite value: 1.7e308 US$ bn is 1.7e317 US$, beyond the float range, and
    beyond what plotext and matplotlib can draw. It still charts (in units of 1e308, which the axis
    names) and prints as $1.7e+305tn: never `inf`, never a traceback."""
    for year, value in (("2024", "1e308"), ("2025", "1.7e308")):
        adm.ok("record", "VNM", "digital-economy-value-added", year, value, "--source", "s", no_reference=True)
    inf = re.compile(r"(?<![A-Za-z])(inf|nan)(?![a-z]{3})", re.I)  # not "inflated", "information"
    for columns in ("80", "100"):
        monkeypatch.setenv("COLUMNS", columns)
        r = adm.ok("chart", "digital-economy-value-added", "-s", "VNM", no_reference=True)
        assert "VNM" in r.out and "× 1e308" in r.out and not inf.search(r.out)
    history = adm.ok("history", "VNM", "digital-economy-value-added", no_reference=True).out
    assert "$1e+305tn → $1.7e+305tn" in history and not inf.search(history)
    dva = "digital-economy-value-added"
    for command in (["status", "-t", dva, "-s", "VNM"], ["gaps", "-t", dva], ["explain", dva, "-s", "VNM"]):
        out = adm.ok(*command, no_reference=True).out
        assert "1.7e+305tn" in out or "1.7e+308" in out, command
        assert not inf.search(out), (command, out)
    for name in ("c.svg", "c.png"):
        adm.ok("chart", dva, "-s", "VNM", "-o", tmp_path / name, no_reference=True)
        assert (tmp_path / name).stat().st_size > 1000
    assert "1.7e+305tn" in (tmp_path / "c.svg").read_text(encoding="utf-8")
    adm.ok("report", "-o", tmp_path / "r.html", "-t", dva, no_reference=True)
    adm.ok("report", "-f", "markdown", "-o", tmp_path / "r.md", "-t", dva, no_reference=True)
    for name in ("r.html", "r.md"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert "$1.7e+305tn" in text and not inf.search(text), name


def test_values_are_never_formatted_as_inf():
    from admtrack.render import fmt

    assert fmt.fmt_value(1.7e308, "usd-bn") == "$1.7e+305tn"
    assert fmt.fmt_value(-1.7e308, "usd-bn") == "-$1.7e+305tn"
    assert fmt.fmt_value(1234.5, "usd-bn") == "$1.23tn" and fmt.fmt_value(344.0, "usd-bn") == "$344bn"
    assert fmt.fmt_value(1.7e308, "usd") == "$1.7e+296tn"
    assert fmt.fmt_value(1.7e308, "persons") == "1.7e+299bn"
    assert fmt.fmt_value(1.7e308, "index") == "1.7e+308" and fmt.fmt_value(1234.5, "index") == "1,234.5"
    assert fmt.fmt_value(1.7e308, "percent") == "1.7e+308%"
    assert fmt.pct(1.7e308) == "1.7e+310%" and fmt.rate(-1.7e308) == "-1.7e+310%"
    assert fmt.fmt_gap(-1.7e308, "percent") == "-1.7e+308pp" and fmt.fmt_gap(-1.7e308, "usd-bn") == "-$1.7e+305tn"
    assert fmt.fmt_amount(1.7e308, "percent") == "1.7e+308pp"


def test_sparkline_of_values_near_the_float_limits():
    from admtrack.render.human import sparkline

    assert sparkline([-1.7e308, 0.0, 1.7e308]) == "▁▅█"
    assert sparkline([0.0, 5e-324]) == "▁█"


def test_chart_values_too_large_or_too_small_to_draw(adm):
    """plotext overflows from ~1e307 and below ~1e-300: such charts are drawn in a power of ten."""
    from admtrack.pictures import drawing_exponent

    assert drawing_exponent([1.7e308, 1000.0]) == 308 and drawing_exponent([5e-324]) == -324
    assert drawing_exponent([0.0, 30.0, 1e14]) == 0 and drawing_exponent([]) == 0
    adm.ok("record", "VNM", "public-services-ai-share", "2024", "1e-320", "--source", "s", no_reference=True)
    adm.ok("record", "VNM", "public-services-ai-share", "2025", "3e-320", "--source", "s", no_reference=True)
    r = adm.ok("chart", "public-services-ai-share", "-s", "VNM", no_reference=True)
    assert "VNM" in r.out


@pytest.mark.parametrize("columns", [80, 81, 90, 100, 120, 160, 200])
def test_the_legend_hides_no_data(adm, monkeypatch, columns):
    """plotext draws its legend over the plot's top-left corner (at 80 columns it hid Malaysia's
    2022–2023 points): the legend is printed below the chart, and every series shows in the plot."""
    monkeypatch.setenv("COLUMNS", str(columns))
    out = adm.ok("chart", "digital-economy-share", "--state", "VNM", "--state", "MYS", "--state", "PHL").out
    lines = out.splitlines()
    top = next(i for i, ln in enumerate(lines) if "┌" in ln)
    bottom = next(i for i, ln in enumerate(lines) if "└" in ln)
    plot, below = "\n".join(lines[top:bottom + 1]), "\n".join(lines[bottom + 1:])
    for label in ("required path", "goal 30.0% in 2030", "projection (ASEAN)", "ASEAN", "MYS", "PHL", "VNM"):
        assert label not in plot and label in below, label
    for marker in ("●", "▲", "◆", "■"):  # ASEAN, MYS, PHL, VNM: each series is drawn, none covered
        assert marker in plot and f"{marker} " in below, marker
    assert max(len(line) for line in lines) <= columns


@pytest.mark.parametrize("columns", [40, 60, 70, 80, 120])
def test_chart_title_names_the_target_and_status_at_every_width(adm, monkeypatch, columns):
    """plotext leaves out a title wider than the chart: admtrack wraps its own above the plot."""
    monkeypatch.setenv("COLUMNS", str(columns))
    out = adm.ok("chart", "skilled-workforce-share").out
    head = " ".join(out.split("┌")[0].split())  # the lines above the plot's frame
    assert "80% of the workforce highly skilled†" in head and "ASEAN:" in head and "progress" in head
    assert all(len(line) <= columns for line in out.splitlines())
