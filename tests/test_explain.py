"""`admtrack explain` (SPEC §3, issue 8): every region year rebuilt from its listed contributors by the
target's rule, for all three rules, with carried-forward values and years below min_coverage; the state
view; every format."""

from __future__ import annotations

import json
import math

import pytest
from conftest import assert_clean_error, write_file
from pytest import approx

RULE = {"digital-economy-share": "weighted_mean", "digital-economy-value-added": "sum",
        "public-services-ai-share": "mean"}


def _rebuild(rule: str, contributors: list[dict]) -> float:
    values = [c["value"] for c in contributors]
    if rule == "sum":
        return math.fsum(values)
    if rule == "mean":
        return math.fsum(values) / len(values)
    total = math.fsum(c["weight"] for c in contributors)
    return math.fsum(c["weight"] * c["value"] for c in contributors) / total


@pytest.fixture
def ai_figures(adm, tmp_path):
    """A mean target with data: some states report, some only in earlier years (carried forward)."""
    rows = [{"state": s, "indicator": "public-services-ai-share", "year": y, "value": v, "source": "survey"}
            for s, y, v in [("VNM", 2024, 20.0), ("VNM", 2025, 25.0), ("THA", 2023, 30.0), ("THA", 2025, 40.0),
                            ("SGP", 2024, 60.0), ("MYS", 2022, 10.0), ("IDN", 2025, 15.0), ("PHL", 2025, 12.0),
                            ("BRN", 2024, 5.0)]]
    adm.ok("record", "--file", write_file(tmp_path / "ai.json", json.dumps(rows)))


@pytest.mark.parametrize("target", list(RULE))
def test_every_region_year_is_rebuilt_from_its_contributors(adm, ai_figures, target):
    doc = adm.ok("explain", target, "-f", "json").json
    assert doc["schema"] == "admtrack.explain/1" and doc["state"] == "ASEAN"
    assert doc["target"]["id"] == target and "as_recorded" in doc
    assert doc["years"], target
    for y in doc["years"]:
        assert y["value"] == approx(_rebuild(RULE[target], y["contributors"]), rel=1e-12), (target, y["year"])
        assert y["coverage"]["states"] == len(y["contributors"])
        assert y["used"] == (y["coverage"]["weight_share"] >= doc["min_coverage"])
        listed = {c["state"] for c in y["contributors"]} | {o["state"] for o in y["left_out"]}
        assert len(listed) == y["coverage"]["of"]
        for c in y["contributors"]:
            assert c["carried"] == (c["year"] < y["year"]) and y["year"] - 2 <= c["year"] <= y["year"]
            if RULE[target] != "weighted_mean":
                assert c["weight"] == 1


def test_carried_values_and_years_below_min_coverage_are_shown(adm, ai_figures):
    doc = adm.ok("explain", "public-services-ai-share", "-f", "json").json
    y2025 = next(y for y in doc["years"] if y["year"] == 2025)
    carried = {c["state"]: c["year"] for c in y2025["contributors"] if c["carried"]}
    assert carried == {"SGP": 2024, "BRN": 2024}  # MYS 2022 is out of [2023, 2025]
    assert any(o["state"] == "MYS" and "2023–2025" in o["reason"] for o in y2025["left_out"])
    share = next(y for y in adm.ok("explain", "digital-economy-share", "-f", "json").json["years"] if not y["used"])
    assert share["coverage"]["weight_share"] < 0.5


def test_region_assessment_follows_the_parts(adm):
    doc = adm.ok("explain", "digital-economy-value-added", "-f", "json").json
    status = adm.ok("status", "-t", "digital-economy-value-added", "-f", "json").json["targets"][0]["region"]
    assert doc["assessment"] == status
    latest = [y for y in doc["years"] if y["used"]][-1]
    assert {p["state"] for p in doc["baseline_parts"]} == {c["state"] for c in latest["contributors"]}
    assert doc["assessment"]["baseline"]["value"] == approx(math.fsum(p["value"] for p in doc["baseline_parts"]))
    assert doc["assessment"]["projected"] == approx(math.fsum(p["projected"] for p in doc["projection_parts"]))


def test_state_view(adm):
    doc = adm.ok("explain", "digital-economy-share", "--state", "Vietnam", "-f", "json").json
    assert doc["state"] == "VNM"
    years = [p["year"] for p in doc["points"]]
    assert years == sorted(years) and all(p["layer"] == "reference" for p in doc["points"])
    assert doc["baseline"]["year"] == max(y for y in years if y <= 2025) and doc["baseline"]["why"]
    f, t = doc["trend_window"]
    assert t == years[-1] and t - f <= 5
    assert doc["assessment"]["state"] == "VNM"
    derived = adm.ok("explain", "digital-economy-value-added", "-s", "VNM", "-f", "json").json
    assert derived["points"] and all(p["derived"] and p["layer"] == "derived" for p in derived["points"])


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv", "tsv"])
@pytest.mark.parametrize("state", [None, "VNM"])
def test_every_format(adm, monkeypatch, fmt, state):
    monkeypatch.setenv("COLUMNS", "80")
    args = ["explain", "digital-economy-share", "-f", fmt] + (["-s", state] if state else [])
    out = adm.ok(*args).out
    assert out.strip()
    if fmt == "table":
        assert max(len(line) for line in out.splitlines()) <= 80
        assert "Status:" in out


def test_unknown_target_or_state_is_a_usage_error(adm):
    assert_clean_error(adm("explain", "no-such-target"), 2, contains="unknown target")
    assert_clean_error(adm("explain", "digital-economy-share", "-s", "XXX"), 2, contains="unknown state")


@pytest.fixture
def base_year_missing(adm, tmp_path):
    """A mean target whose latest region value (2025) counts VNM, carried forward from 2024: under
    cagr-ratio VNM has no base year (no figure in or after 2025), so the region has no baseline."""
    rows = "state,indicator,year,value,source\nVNM,public-services-ai-share,2024,50,x\n" + "".join(
        f"{s},public-services-ai-share,2025,60,x\n" for s in ("THA", "MYS", "SGP", "IDN", "PHL"))
    adm.ok("record", "--file", write_file(tmp_path / "in.csv", rows), no_reference=True)


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_a_region_without_baseline_says_why(adm, base_year_missing, monkeypatch, fmt):
    monkeypatch.setenv("COLUMNS", "200")
    args = ["explain", "public-services-ai-share", "--method", "cagr-ratio"]
    out = adm.ok(*args, "-f", fmt, no_reference=True).out
    line = next(ln for ln in out.splitlines() if ln.startswith("Baseline:"))
    assert line.startswith("Baseline: none — no observation in or after 2025") and "VNM" in line, line
    assert "Status: insufficient data (no base year)." in out
    doc = adm.ok(*args, "-f", "json", no_reference=True).json
    assert doc["assessment"]["baseline"] is None and "VNM" in doc["no_baseline"]
    state = adm.ok(*args, "-s", "VNM", "-f", fmt, no_reference=True).out
    assert "Baseline: none — no observation in or after 2025 (the cagr-ratio base year)." in state
    assert adm.ok("explain", "public-services-ai-share", "-f", "json", no_reference=True).json["no_baseline"] is None


def _shapes(doc):
    """Every field of a document (and every item of its lists), once per shape: the first and the last
    item of a list stand for the others. The paths to set to null."""
    def walk(node, path):
        items = node.items() if isinstance(node, dict) else [(i, node[i]) for i in {0, len(node) - 1} if node]
        for key, value in items:
            yield (*path, key)
            if isinstance(value, (dict, list)):
                yield from walk(value, (*path, key))

    shapes = {}
    for path in walk(doc, ()):
        shapes.setdefault(tuple("*" if isinstance(k, int) else k for k in path), path)
    return list(shapes.values())


def _nulled(doc, path):
    import copy

    out = copy.deepcopy(doc)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = None
    return out


@pytest.mark.parametrize("method", ["projection", "cagr-ratio"])
@pytest.mark.parametrize("state", [None, "VNM"])
def test_every_renderer_takes_any_null_field(adm, ai_figures, capsys, method, state):
    """SPEC §4: unknown is null. Each field of real documents set to null in turn: every format renders."""
    from admtrack.render.explain import emit

    args = ["explain", "public-services-ai-share", "-f", "json", "--method", method] + (["-s", state] if state else [])
    doc = adm.ok(*args).json
    paths = _shapes(doc)
    assert len(paths) > 30
    for path in paths:
        nulled = _nulled(doc, path)
        for fmt in ("table", "markdown", "csv", "tsv"):
            emit(nulled, fmt)
            assert capsys.readouterr().out, (path, fmt)


def test_a_region_without_any_figure_says_why(adm):
    def baseline(target):
        out = adm.ok("explain", target, "-f", "markdown", no_reference=True).out
        return next(ln for ln in out.splitlines() if ln.startswith("Baseline:"))

    assert baseline("productivity") == "Baseline: none — the region has no figure: no member state has one."
    adm.ok("record", "VNM", "labour-productivity", "2024", "100", "--source", "s", no_reference=True)
    assert "no member state with a figure has a weight (labour-force)" in baseline("productivity")
    adm.ok("record", "VNM", "public-services-ai-share", "2024", "3", "--source", "s", no_reference=True)
    assert "no year reaches the minimum coverage of 50%" in baseline("public-services-ai-share")


def test_a_baseline_beyond_the_goal_is_said_in_words(adm, tmp_path):
    """SPEC §5.6: progress and anticipated are null "with a note": the ASSESSMENT's notes, and explain."""
    f = tmp_path / "b.csv"
    f.write_text("state,indicator,year,value,source\nMYS,digital-economy-share,2024,33,t\n"
                 "MYS,digital-economy-share,2025,35,t\nMYS,digital-economy-share,2026,28,t\n", encoding="utf-8")
    adm.ok("record", "--file", f, no_reference=True)
    doc = adm.ok("status", "-t", "digital-economy-share", "-s", "MYS", "-f", "json", no_reference=True).json
    a = doc["targets"][0]["states"][0]
    assert a["progress"] is None and a["anticipated"] is None
    assert any("baseline already at or beyond the target" in n for n in a["notes"]), a["notes"]
    out = adm.ok("explain", "digital-economy-share", "-s", "MYS", no_reference=True).out
    assert "baseline already at or beyond the target" in " ".join(out.split())
