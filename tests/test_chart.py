"""`admtrack chart` (SPEC §10): a readable chart at 80 columns, no ANSI codes off a terminal, SVG and PNG
files, usage errors."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

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
