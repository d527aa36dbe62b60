"""The bundled reference figures (SPEC §2.3, §8) and the series mapping of the bundled plan (§9): every figure
traceable, the ILO proxy recomputed from the raw occupation counts kept as evidence, and the plan schema's
new keys and cross-checks (§2.1)."""

from __future__ import annotations

import csv
import re
import tomllib
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from conftest import REPO, STATES

from admtrack.model import Observation
from admtrack.plan import bundled_path, bundled_text, load_plan
from admtrack.plan_schema import validate_text
from admtrack.reference import load_reference, reference_path

EVIDENCE = REPO / "data" / "evidence" / "ilo-employment-by-occupation-2019-2025.csv"
SHARED = Path("/work/shared/reference")
CL_OBS_STATUS = {"A", "B", "E", "F", "I", "P", "U"}
HIGH_SKILL = ("OCU_DETAILS_1", "OCU_DETAILS_2", "OCU_DETAILS_3")


def _rows() -> list[dict[str, str]]:
    with open(reference_path(), encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_reference_columns_and_provenance():
    rows = _rows()
    assert list(rows[0]) == ["state", "indicator", "year", "value", "source", "note", "obs_status", "released"]
    plan = load_plan(bundled_path())
    seen = set()
    for r in rows:
        key = (r["state"], r["indicator"], int(r["year"]))
        assert key not in seen, key
        seen.add(key)
        assert r["state"] in STATES and r["indicator"] in plan.indicators, key
        assert r["source"].strip(), key
        assert r["obs_status"] == "" or r["obs_status"] in CL_OBS_STATUS, key
        released = date.fromisoformat(r["released"])
        assert released.year >= int(r["year"]), key  # published after the year it describes
        ind = plan.indicators[r["indicator"]]
        v = float(r["value"])
        assert (ind.min is None or v >= ind.min) and (ind.max is None or v <= ind.max), key
        assert ind.derive is None, key  # derived figures are computed, never bundled


def test_bundled_series_cover_what_the_spec_promises():
    by = defaultdict(set)
    for r in _rows():
        by[r["indicator"]].add((r["state"], int(r["year"])))
    full = {(s, y) for s in STATES for y in range(2019, 2026)}
    for ind in ("population", "gdp", "labour-force", "high-skill-employment-share"):
        assert by[ind] == full, ind
    assert by["labour-productivity"] == {(s, y) for s in STATES for y in range(2019, 2025)}
    assert by["egov-online-service-index"] == {(s, y) for s in STATES for y in (2022, 2024)}
    assert by["digital-economy-share"]  # only the published national figures
    assert "skilled-workforce-share" not in by  # the official measure is not published: only the proxy


def test_ilo_proxy_figures_are_estimates_with_their_caveats():
    rows = [r for r in _rows() if r["indicator"] == "high-skill-employment-share"]
    assert {r["obs_status"] for r in rows} == {"E"}
    for r in rows:
        assert "EMP_2EMP_SEX_OCU_NB" in r["source"] and "Nov. 2025" in r["source"]
        assert "PROXY" in r["note"] and "employment" in r["note"].lower()
    prod = [r for r in _rows() if r["indicator"] == "labour-productivity"]
    assert all("SL.GDP.PCAP.EM.KD" in r["source"] for r in prod)


def test_high_skill_shares_recomputed_from_the_occupation_counts():
    """ISCO-08 groups 1–3 / total × 100, from the raw ILO counts kept in data/evidence/."""
    counts: dict[tuple[str, int], dict[str, float]] = defaultdict(dict)
    with open(EVIDENCE, encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            assert r["indicator"] == "EMP_2EMP_SEX_OCU_NB" and r["sex"] == "SEX_T"
            counts[(r["ref_area"], int(r["time"]))][r["classif1"]] = float(r["obs_value_thousands"])
    shares = {(r["state"], int(r["year"])): float(r["value"]) for r in _rows()
              if r["indicator"] == "high-skill-employment-share"}
    assert set(shares) == set(counts)
    for key, groups in counts.items():
        parts = sum(v for k, v in groups.items() if k != "OCU_DETAILS_TOTAL")
        # the groups add up to the total (to ILO's rounding: within 1 in 100,000)
        assert parts == pytest.approx(groups["OCU_DETAILS_TOTAL"], rel=1e-5), key
        share = 100 * sum(groups[g] for g in HIGH_SKILL) / groups["OCU_DETAILS_TOTAL"]
        # within rounding: the published counts carry about six significant figures (e.g. 17033.2 thousand),
        # the shares were computed from the unrounded ones and keep 4 decimals
        assert shares[key] == pytest.approx(share, abs=5e-4), key


def test_load_reference_gives_observations():
    obs = load_reference()
    assert obs and all(isinstance(o, Observation) for o in obs)
    assert {o.layer for o in obs} == {"reference"}
    first = obs[0]
    assert first.line == 2 and first.recorded_at is None and first.retracted is False
    assert first.key == (first.state, first.indicator, first.year)
    ilo = next(o for o in obs if o.indicator == "high-skill-employment-share")
    assert ilo.obs_status == "E" and ilo.released == "2025-11-30"
    wdi = next(o for o in obs if o.indicator == "gdp")
    assert wdi.obs_status is None and wdi.released == "2026-07-01"


def test_load_reference_reads_the_older_six_column_layout(tmp_path):
    p = tmp_path / "ref.csv"
    p.write_text("state,indicator,year,value,source,note\nVNM,gdp,2024,476.3,WDI,\n", encoding="utf-8")
    (o,) = load_reference(p)
    assert (o.value, o.source, o.note, o.obs_status, o.released, o.line) == (476.3, "WDI", None, None, None, 2)


@pytest.mark.skipif(not (SHARED / "wdi-asean11-2019-2025.csv").is_file(), reason="shared reference folder absent")
def test_generator_reproduces_the_bundle():
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_reference", REPO / "data" / "build_reference.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.render(mod.build(SHARED)) == reference_path().read_text(encoding="utf-8")


# ==== the series mapping of the bundled plan (SPEC §9) =============================================

def test_bundled_plan_maps_every_public_series():
    doc = tomllib.loads(bundled_text())
    ind = {i["id"]: i for i in doc["indicator"]}
    assert ind["gdp"]["worldbank"] == "NY.GDP.MKTP.CD" and ind["gdp"]["scale"] == 1e-9
    assert ind["population"]["worldbank"] == "SP.POP.TOTL"
    assert ind["labour-force"]["worldbank"] == "SL.TLF.TOTL.IN"
    assert ind["labour-productivity"]["worldbank"] == "SL.GDP.PCAP.EM.KD" and "derive" not in ind["labour-productivity"]
    ilo = ind["high-skill-employment-share"]["ilostat"]
    assert ilo == {"id": "EMP_2EMP_SEX_OCU_NB_A", "filter": {"sex": "SEX_T"}, "classif1": list(HIGH_SKILL),
                   "total": "OCU_DETAILS_TOTAL"}
    assert ind["high-skill-employment-share"]["proxy"]
    assert ind["gdp-per-worker-usd"]["derive"] == {"op": "ratio", "of": ["gdp", "labour-force"], "scale": 1e9}
    assert (ind["egov-online-service-index"]["min"], ind["egov-online-service-index"]["max"]) == (0, 1)
    targets = {t["id"]: t for t in doc["target"]}
    assert targets["skilled-workforce-share"]["indicator"] == "high-skill-employment-share"
    assert targets["productivity"]["indicator"] == "labour-productivity"
    assert not any(t["indicator"] == "egov-online-service-index" for t in doc["target"])


def _edit(old: str, new: str, text: str | None = None) -> str:
    text = bundled_text() if text is None else text
    assert text.count(old) == 1, old
    return text.replace(old, new)


def _problems(text: str) -> list[tuple[int | None, str, str]]:
    result = validate_text(text)
    assert isinstance(result, list), "expected problems"
    return [(p.line, p.field, p.reason) for p in result]


def _line_of(text: str, needle: str) -> int:
    return next(n for n, ln in enumerate(text.splitlines(), start=1) if needle in ln)


@pytest.mark.parametrize("old, new, key, reason", [
    ('worldbank = "SP.POP.TOTL"', 'worldbank = "SP.POP.TOTL"\nfetch = "yes"', "indicator[population].fetch",
     "unknown key"),
    ('total = "OCU_DETAILS_TOTAL" }', 'total = "OCU_DETAILS_TOTAL", sum = true }',
     "indicator[high-skill-employment-share].ilostat.sum", "unknown key"),
    ('filter = { sex = "SEX_T" }', 'filter = { sex = 1 }', "indicator[high-skill-employment-share].ilostat.filter.sex",
     "string"),
    ('id = "EMP_2EMP_SEX_OCU_NB_A", ', '', "indicator[high-skill-employment-share].ilostat.id", "required"),
    ('classif1 = ["OCU_DETAILS_1", "OCU_DETAILS_2", "OCU_DETAILS_3"], ', '',
     "indicator[high-skill-employment-share].ilostat", "classif1"),
    ('\nscale = 1e-9', '\nscale = 0', "indicator[gdp].scale", "must not be 0"),
    ('\nscale = 1e-9', '\nscale = inf', "indicator[gdp].scale", "finite"),
    ('worldbank = "SL.TLF.TOTL.IN"', 'worldbank = "SL TLF"', "indicator[labour-force].worldbank", "pattern"),
    ('worldbank = "SL.TLF.TOTL.IN"', 'scale = 1000', "indicator[labour-force]", "give `worldbank` or `ilostat`"),
])
def test_mapping_keys_are_validated(old, new, key, reason):
    text = _edit(old, new)
    problems = _problems(text)
    assert len(problems) == 1, problems
    line, got_key, got_reason = problems[0]
    assert got_key == key and reason in got_reason, problems
    assert line is not None


def test_unknown_ilostat_key_points_at_its_line():
    text = _edit('total = "OCU_DETAILS_TOTAL" }', 'total = "OCU_DETAILS_TOTAL", sum = true }')
    ((line, _, _),) = _problems(text)
    assert line == _line_of(text, "sum = true")


def test_derive_cycle_through_the_second_operand():
    """value-added = share × gdp-per-worker-usd, gdp-per-worker-usd = gdp / value-added: the cycle runs
    through the SECOND operand of each (the old check followed only the first)."""
    text = _edit('of = ["digital-economy-share", "gdp"]', 'of = ["digital-economy-share", "gdp-per-worker-usd"]')
    text = _edit('of = ["gdp", "labour-force"]', 'of = ["gdp", "digital-economy-value-added"]', text)
    problems = _problems(text)
    assert len(problems) == 1, problems  # one cycle, reported once
    line, key, reason = problems[0]
    assert key.startswith("indicator[") and key.endswith("].derive")
    assert "derivation cycle" in reason and "digital-economy-value-added" in reason and "gdp-per-worker-usd" in reason


def test_derive_from_itself_through_the_second_operand():
    text = _edit('of = ["gdp", "labour-force"]', 'of = ["gdp", "gdp-per-worker-usd"]')
    problems = _problems(text)
    assert any(k == "indicator[gdp-per-worker-usd].derive.of" and "itself" in r for _, k, r in problems), problems


def test_empty_alias_is_refused():
    text = _edit('aliases = ["Burma"]', 'aliases = ["Burma", " "]')
    ((line, key, reason),) = _problems(text)
    assert key == "state[MMR].aliases[1]" and "empty" in reason
    assert line == _line_of(text, 'aliases = ["Burma", " "]')


def test_level_target_outside_its_indicator_bounds():
    text = _edit("value = 80.0", "value = 180.0")
    ((line, key, reason),) = _problems(text)
    assert key == "target[skilled-workforce-share].value"
    assert "outside the bounds" in reason and "high-skill-employment-share" in reason and "0 to 100" in reason
    assert line == _line_of(text, "value = 180.0")
    # a relative target's change is not a level: no bounds check
    assert isinstance(validate_text(bundled_text()), dict)


def test_check_reports_the_new_problems_with_file_and_line(adm, data_dir):
    adm.ok("init")
    path = data_dir / "targets.toml"
    text = _edit("value = 80.0", "value = 180.0")
    path.write_text(text, encoding="utf-8")
    r = adm("check")
    assert r.code == 1
    assert re.search(rf"targets\.toml:{_line_of(text, 'value = 180.0')}: target\[skilled-workforce-share\]\.value: ",
                     r.err), r.err
