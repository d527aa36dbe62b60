"""SPEC §2.1: a target may override the plan's ``baseline_year``/``target_year``. Every label then names
the target's own years (the numbers already do): explain, gaps, the report, the targets listing; where
targets with different years share a table, the years are named per target, never the plan's for a target
that overrides them."""

from __future__ import annotations

import csv
import io
import re

import pytest
from conftest import write_file
from fixtures_report import FIGURES, OWN_YEARS, PLAN_HEAD, terminal_env

PLAN_YEARS = """
[[target]]
id = "u"
title = "X reaches 30"
indicator = "x"
kind = "level"
value = 30.0
direction = "increase"
aggregate = "mean"
"""


def _setup(adm, data_dir, tmp_path, *, baseline: int = 2021, target: int = 2030, plan_years: bool = False):
    text = PLAN_HEAD + OWN_YEARS.format(baseline=baseline, target=target) + (PLAN_YEARS if plan_years else "")
    write_file(data_dir / "targets.toml", text)
    adm.ok("record", "--file", write_file(tmp_path / "o.csv", FIGURES))


@pytest.fixture
def own_years(adm, data_dir, tmp_path, monkeypatch):
    """The plan's years are 2020–2035; its one target's, 2021–2030."""
    terminal_env(monkeypatch, columns=200)
    _setup(adm, data_dir, tmp_path)


@pytest.fixture
def mixed_years(adm, data_dir, tmp_path, monkeypatch):
    """Target t measured 2021–2030, target u at the plan's 2020–2035."""
    terminal_env(monkeypatch, columns=200)
    _setup(adm, data_dir, tmp_path, plan_years=True)


def _plan_years_absent(text: str) -> None:
    assert "2035" not in text, text
    assert "2020" not in text, text


# ---- explain -----------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_explain_state_names_the_targets_year(adm, own_years, fmt):
    out = adm.ok("explain", "t", "-s", "AAA", "-f", fmt).out
    doc = adm.ok("explain", "t", "-s", "AAA", "-f", "json").json
    assert doc["target"]["target_year"] == 2030
    assert "goal 22.0 by 2030" in out
    assert re.search(r"Projected 2030: 16\.\d", out), out
    assert "2035" not in out


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_explain_region_names_the_targets_year(adm, own_years, fmt):
    out = adm.ok("explain", "t", "-f", fmt).out
    assert "Projected 2030:" in out
    if fmt == "table":
        assert "Proj 2030" in out
    assert "2035" not in out


# ---- gaps --------------------------------------------------------------------------------------

def test_gaps_note_and_title_name_the_targets_year(adm, own_years):
    out = " ".join(adm.ok("gaps").out.split())
    assert "Proj: projected value in 2030; Short: projected shortfall in 2030" in out
    assert "gaps to the 2030 targets" in out
    assert "2035" not in out


def test_gaps_with_targets_of_different_years_name_each(adm, mixed_years):
    out = " ".join(adm.ok("gaps").out.split())
    assert "2030" in out and "2035" in out
    assert "in 2035" not in out.replace("2035: u", "")  # no blanket "in 2035" for t
    assert "gaps to the 2035 targets" not in out and "gaps to 2035" not in out
    assert "2030: t" in out and "2035: u" in out, out


# ---- the report --------------------------------------------------------------------------------

def _outside_svg(html: str) -> str:
    return re.sub(r"<svg.*?</svg>", "", html, flags=re.S)


@pytest.mark.parametrize("target_year", [2030, 2032])
def test_report_markdown_names_the_targets_years(adm, data_dir, tmp_path, target_year):
    _setup(adm, data_dir, tmp_path, target=target_year)
    adm.ok("report", "-f", "markdown", "-o", tmp_path / "r.md")
    text = (tmp_path / "r.md").read_text(encoding="utf-8")
    _plan_years_absent(text)
    assert f"carried to {target_year} " in text  # the method line
    assert "carried to 2030" not in text or target_year == 2030
    head = next(line for line in text.splitlines() if line.startswith("| # | Target |"))
    row = next(line for line in text.splitlines() if line.startswith("| T1 |"))
    cells = dict(zip([c.strip() for c in head.split("|")], [c.strip() for c in row.split("|")]))
    projected = next(v for k, v in cells.items() if k.startswith("Projected"))
    assert str(target_year) in projected or f"Projected {target_year}" in head, (head, row)


@pytest.mark.parametrize("target_year", [2030, 2032])
def test_report_html_names_the_targets_years(adm, data_dir, tmp_path, target_year):
    _setup(adm, data_dir, tmp_path, target=target_year)
    adm.ok("report", "-o", tmp_path / "r.html")
    text = _outside_svg((tmp_path / "r.html").read_text(encoding="utf-8"))
    _plan_years_absent(text)
    if target_year != 2030:
        assert "2030" not in text
    assert str(target_year) in text


def test_report_with_targets_of_different_years_names_each(adm, data_dir, tmp_path):
    _setup(adm, data_dir, tmp_path, target=2032, plan_years=True)
    adm.ok("report", "-f", "markdown", "-o", tmp_path / "r.md")
    md = (tmp_path / "r.md").read_text(encoding="utf-8")
    adm.ok("report", "-o", tmp_path / "r.html")
    html = _outside_svg((tmp_path / "r.html").read_text(encoding="utf-8"))
    for text in (md, html):
        assert "carried to 2030" not in text and "2030" not in text
        rows = {m.group(1): m.group(0) for m in re.finditer(r"\| T\d \| (X doubles|X reaches 30) \|.*", text)}
        if text is md:
            assert "2032" in rows["X doubles"] and "2035" in rows["X reaches 30"], rows
            assert "2035" not in rows["X doubles"] and "2032" not in rows["X reaches 30"], rows


# ---- targets -----------------------------------------------------------------------------------

def test_targets_table_names_the_targets_years(adm, own_years):
    out = " ".join(adm.ok("targets").out.split())
    assert "+100% vs 2021" in out
    assert "targets for 2030, baseline 2021" in out
    _plan_years_absent(out)


def test_targets_table_with_different_years_names_them_per_row(adm, mixed_years):
    out = adm.ok("targets").out
    title = out.splitlines()[0]
    assert "2030" not in title and "2035" not in title
    t_row = next(line for line in out.splitlines() if line.startswith("t "))
    u_row = next(line for line in out.splitlines() if line.startswith("u "))
    assert "2021" in t_row and "2030" in t_row and "2035" not in t_row and "2020" not in t_row, t_row
    assert "2035" in u_row and "2030" not in u_row, u_row


@pytest.mark.parametrize("fmt", ["csv", "tsv", "markdown"])
def test_targets_rows_carry_the_years(adm, mixed_years, fmt):
    out = adm.ok("targets", "-f", fmt).out
    if fmt == "markdown":
        lines = [line.strip("|").split("|") for line in out.strip().splitlines()]
        rows = [dict(zip([h.strip() for h in lines[0]], [c.strip() for c in r])) for r in lines[2:]]
    else:
        rows = list(csv.DictReader(io.StringIO(out), delimiter="," if fmt == "csv" else "\t"))
    by_id = {r["id"]: r for r in rows}
    assert (by_id["t"]["baseline_year"], by_id["t"]["target_year"]) == ("2021", "2030")
    assert (by_id["u"]["baseline_year"], by_id["u"]["target_year"]) == ("2020", "2035")
    doc = adm.ok("targets", "-f", "json").json
    t = next(x for x in doc["targets"] if x["id"] == "t")
    assert (t["baseline_year"], t["target_year"]) == (2021, 2030)
