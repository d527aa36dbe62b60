"""The plan, targets.toml (SPEC §2.1, §2.4): the bundled file, hand-edited overrides and their errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from conftest import STATES, assert_clean_error, store_bytes, write_file

from admtrack.plan import bundled_path, bundled_text, check_plan_file, load_plan

TARGETS = {
    # id: (indicator, kind, value or change, direction, aggregate, weight)
    "digital-economy-share": ("digital-economy-share", "level", 30, "increase", "weighted_mean", "gdp"),
    "digital-economy-value-added": ("digital-economy-value-added", "level", 1000, "increase", "sum", "gdp"),
    # measured by the ILO proxy until ADM publishes its own measure (SPEC §2.1)
    "skilled-workforce-share": (
        "high-skill-employment-share",
        "level",
        80,
        "increase",
        "weighted_mean",
        "labour-force",
    ),
    "productivity": ("labour-productivity", "relative", 1.5, "increase", "weighted_mean", "labour-force"),
    "public-services-ai-share": ("public-services-ai-share", "level", 100, "increase", "mean", None),
    "social-service-cost": ("social-service-cost", "relative", -0.40, "decrease", "weighted_mean", "population"),
}


def test_bundled_plan_is_the_adm2030_plan():
    plan = load_plan(bundled_path())
    m = plan.meta
    assert (m.id, m.baseline_year, m.target_year) == ("ADM2030", 2025, 2030)
    assert sorted(plan.state_codes) == sorted(STATES)
    tls = plan.state_by_code["TLS"]
    assert str(tls.joined) == "2025-10-26"
    got = {
        t.id: (t.indicator, t.kind, t.value if t.kind == "level" else t.change, t.direction, t.aggregate, t.weight)
        for t in plan.targets
    }
    assert got == TARGETS
    for ctx in ("gdp", "population", "labour-force"):
        assert ctx in plan.indicators
    assert plan.indicators["digital-economy-share"].unit == "percent"
    assert (plan.indicators["digital-economy-share"].min, plan.indicators["digital-economy-share"].max) == (0, 100)
    dva = plan.indicators["digital-economy-value-added"].derive
    assert (dva.op, tuple(dva.of), dva.scale) == ("product", ("digital-economy-share", "gdp"), 0.01)
    # productivity is recorded in real terms; the nominal ratio stays as derived context
    assert plan.indicators["labour-productivity"].derive is None
    assert plan.indicators["labour-productivity"].worldbank == "SL.GDP.PCAP.EM.KD"
    nominal = plan.indicators["gdp-per-worker-usd"].derive
    assert (nominal.op, tuple(nominal.of), nominal.scale) == ("ratio", ("gdp", "labour-force"), 1e9)
    assert plan.indicators["high-skill-employment-share"].proxy
    assert "skilled-workforce-share" in plan.indicators  # stays in the plan for official series
    for alias, code in (("Vietnam", "VNM"), ("Laos", "LAO"), ("Lao PDR", "LAO"), ("vn", "VNM"), ("asean", "ASEAN")):
        assert plan.resolve_state(alias) == code
    assert plan.resolve_state("Atlantis") is None


def _user_plan(adm, data_dir) -> tuple[Path, list[str]]:
    r = adm.ok("init")
    path = data_dir / "targets.toml"
    assert str(path) in r.err
    assert path.read_text(encoding="utf-8") == bundled_text()
    return path, path.read_text(encoding="utf-8").split("\n")


def _header_index(lines: list[str], table: str, nth: int = 0) -> int:
    """0-based index of the nth [[table]] header."""
    hits = [i for i, ln in enumerate(lines) if ln.strip() == f"[[{table}]]"]
    return hits[nth]


def _key_index(lines: list[str], start: int, key: str) -> int:
    for i in range(start + 1, len(lines)):
        if lines[i].split("=")[0].strip() == key:
            return i
        if lines[i].startswith("["):
            break
    raise AssertionError(f"{key} not found after line {start + 1}")


COMMANDS = [
    ["targets"],
    ["states", "--format", "json"],
    ["status"],
    ["gaps", "--format", "csv"],
    ["export"],
    ["history", "VNM", "gdp"],
    ["record", "VNM", "gdp", "2024", "430"],
]


def _fails_everywhere(adm, data_dir, needle: str) -> None:
    before = store_bytes(data_dir)
    for cmd in COMMANDS:
        r = adm(*cmd)
        assert_clean_error(r, 1, one_line=True, contains=needle)
        assert r.out == ""
    assert store_bytes(data_dir) == before
    r = adm("check")
    assert_clean_error(r, 1, contains=needle)


def test_user_plan_overrides_the_bundled_one(adm, data_dir):
    path, lines = _user_plan(adm, data_dir)
    i = _key_index(lines, _header_index(lines, "target", 0), "value")
    lines[i] = "value = 35.0"
    lines.append(
        '\n[[indicator]]\nid = "broadband-speed"\nname = "Median fixed broadband speed"\nunit = "index"\nmin = 0\n'
    )
    path.write_text("\n".join(lines), encoding="utf-8")
    doc = adm.ok("targets", "--format", "json").json
    assert doc["targets"][0]["value"] == 35.0
    assert "broadband-speed" in [i["id"] for i in doc["indicators"]]
    adm.ok("record", "VNM", "broadband-speed", "2024", "88.5", "--source", "Ookla")
    adm.ok("check")


def test_unknown_key_in_a_target(adm, data_dir):
    path, lines = _user_plan(adm, data_dir)
    h = _header_index(lines, "target", 1)
    lines.insert(h + 3, 'colour = "red"')
    path.write_text("\n".join(lines), encoding="utf-8")
    _fails_everywhere(adm, data_dir, f"targets.toml:{h + 4}: target[digital-economy-value-added].colour: unknown key")


def test_unknown_key_in_plan_table(adm, data_dir):
    path, lines = _user_plan(adm, data_dir)
    i = lines.index("[plan]")
    lines.insert(i + 1, "baseline = 2025")
    path.write_text("\n".join(lines), encoding="utf-8")
    _fails_everywhere(adm, data_dir, f"targets.toml:{i + 2}: plan.baseline: unknown key")


@pytest.mark.parametrize(
    "table, nth, key, bad, name, reason",
    [
        ("indicator", "gdp", "unit", '"furlongs"', "indicator[gdp].unit", "percent"),
        ("target", 0, "kind", '"levels"', "target[digital-economy-share].kind", "level"),
        ("target", 3, "change", '"1.5x"', "target[productivity].change", "number"),
        ("state", 2, "code", '"Indonesia"', "].code", "pattern"),
    ],
)
def test_bad_value(adm, data_dir, table, nth, key, bad, name, reason):
    path, lines = _user_plan(adm, data_dir)
    if isinstance(nth, str):  # the table with this id
        nth = [t["id"] for t in tomllib.loads("\n".join(lines))[table]].index(nth)
    i = _key_index(lines, _header_index(lines, table, nth), key)
    lines[i] = f"{key} = {bad}"
    path.write_text("\n".join(lines), encoding="utf-8")
    r = adm("targets")
    assert_clean_error(r, 1, one_line=True, contains=(f"targets.toml:{i + 1}: ", name, reason))


DVA_DERIVE = 'derive = { op = "product", of = ["digital-economy-share", "gdp"], scale = true }'
NOT_TRUE = "must be a number, not a boolean (true)"


@pytest.mark.parametrize(
    "table, which, key, bad, reason",
    [
        ("target", "public-services-ai-share", "value", "true", NOT_TRUE),
        ("target", "public-services-ai-share", "value", '"30"', 'must be a number, not a string ("30")'),
        ("target", "productivity", "change", "true", NOT_TRUE),
        ("plan", None, "min_coverage", "true", NOT_TRUE),
        ("plan.thresholds", None, "on_track", "true", NOT_TRUE),
        ("plan", None, "baseline_year", "2025.0", "must be an integer, not a float (2025.0)"),
        ("plan", None, "target_year", "true", "must be an integer, not a boolean (true)"),
        ("indicator", "gdp", "scale", "true", NOT_TRUE),
        ("indicator", "digital-economy-share", "min", '"0"', 'must be a number, not a string ("0")'),
        ("indicator", "digital-economy-share", "max", "false", "must be a number, not a boolean (false)"),
        ("indicator", "digital-economy-value-added", "derive", DVA_DERIVE, NOT_TRUE),
    ],
)
def test_a_number_key_takes_only_a_number(adm, data_dir, table, which, key, bad, reason):
    """TOML values are typed (SPEC §2.1): `true` or `"30"` where a number belongs, or `2025.0` where a year
    belongs, is an error naming the line and key — never read as 1.0, 30.0 or 2025; on every run, so
    also where a validated plan would be loaded from the cache."""
    path, lines = _user_plan(adm, data_dir)
    if which is None:
        start, name = lines.index(f"[{table}]"), f"{table}.{key}"
    else:
        nth = [t["id"] for t in tomllib.loads("\n".join(lines))[table]].index(which)
        start, name = _header_index(lines, table, nth), f"{table}[{which}].{key}"
    i = _key_index(lines, start, key)
    if key == "derive":
        lines[i], name = bad, name + ".scale"
    else:
        lines[i] = f"{key} = {bad}"
    path.write_text("\n".join(lines), encoding="utf-8")
    _fails_everywhere(adm, data_dir, f"targets.toml:{i + 1}: {name}: {reason}")


def test_a_per_target_year_takes_only_an_integer(adm, data_dir):
    path, lines = _user_plan(adm, data_dir)
    h = _header_index(lines, "target", 0)
    lines.insert(h + 1, "baseline_year = 2025.0")
    path.write_text("\n".join(lines), encoding="utf-8")
    _fails_everywhere(
        adm, data_dir, f"targets.toml:{h + 2}: target[digital-economy-share].baseline_year: must be an integer"
    )


def test_an_integer_where_a_number_belongs_is_a_number(adm, data_dir):
    path, lines = _user_plan(adm, data_dir)
    i = _key_index(lines, _header_index(lines, "target", 0), "value")
    lines[i] = "value = 30"
    t = _key_index(lines, lines.index("[plan.thresholds]"), "limited_progress")
    lines[t] = "limited_progress = 0"
    path.write_text("\n".join(lines), encoding="utf-8")
    adm.ok("check")
    doc = adm.ok("targets", "--format", "json").json
    assert doc["targets"][0]["value"] == 30


def test_bad_value_in_plan_meta(adm, data_dir):
    path, lines = _user_plan(adm, data_dir)
    i = _key_index(lines, lines.index("[plan]"), "min_coverage")
    lines[i] = "min_coverage = 1.5"
    path.write_text("\n".join(lines), encoding="utf-8")
    _fails_everywhere(adm, data_dir, f"targets.toml:{i + 1}: plan.min_coverage:")


def test_missing_required_key(adm, data_dir):
    path, lines = _user_plan(adm, data_dir)
    h = _header_index(lines, "target", 2)
    del lines[_key_index(lines, h, "direction")]
    path.write_text("\n".join(lines), encoding="utf-8")
    _fails_everywhere(
        adm, data_dir, f"targets.toml:{h + 1}: target[skilled-workforce-share].direction: required key is missing"
    )


def test_missing_required_key_in_a_state(adm, data_dir):
    path, lines = _user_plan(adm, data_dir)
    h = _header_index(lines, "state", 0)
    del lines[_key_index(lines, h, "alpha2")]
    path.write_text("\n".join(lines), encoding="utf-8")
    r = adm("states")
    assert_clean_error(r, 1, one_line=True, contains=(f"targets.toml:{h + 1}:", "alpha2", "required key is missing"))


def test_toml_syntax_error(adm, data_dir):
    path, lines = _user_plan(adm, data_dir)
    i = _key_index(lines, _header_index(lines, "target", 4), "value")
    lines[i] = "value = = 100"
    path.write_text("\n".join(lines), encoding="utf-8")
    _fails_everywhere(adm, data_dir, f"targets.toml:{i + 1}: ")


def test_toml_syntax_error_at_the_end_of_the_file_names_a_line(adm, data_dir):
    path, lines = _user_plan(adm, data_dir)
    text = "\n".join(lines).rstrip("\n") + '\n\n[[target]]\nid = "unfinished'
    path.write_text(text, encoding="utf-8")
    r = adm("targets")
    assert_clean_error(r, 1, one_line=True, contains=f"targets.toml:{text.count(chr(10)) + 1}: ")


def test_cross_reference_errors(adm, data_dir):
    path, lines = _user_plan(adm, data_dir)
    h = _header_index(lines, "target", 0)
    i = _key_index(lines, h, "indicator")
    lines[i] = 'indicator = "digital-economy-shares"'
    w = _key_index(lines, _header_index(lines, "target", 2), "weight")
    lines[w] = 'weight = "labor-force"'
    path.write_text("\n".join(lines), encoding="utf-8")
    r = adm("check")
    assert_clean_error(
        r,
        1,
        contains=(
            f"targets.toml:{i + 1}: target[digital-economy-share].indicator: unknown indicator",
            f"targets.toml:{w + 1}: target[skilled-workforce-share].weight: unknown indicator",
            "2 problem(s)",
        ),
    )


def test_check_reports_every_problem(adm, data_dir):
    path, lines = _user_plan(adm, data_dir)
    edits = []
    i = _key_index(lines, _header_index(lines, "indicator", 0), "unit")
    lines[i] = 'unit = "per cent"'
    edits.append((i + 1, "indicator[digital-economy-share].unit"))
    h = _header_index(lines, "target", 5)
    lines.insert(h + 2, "deadline = 2030")
    edits.append((h + 3, "target[social-service-cost].deadline"))
    i = _key_index(lines, _header_index(lines, "state", 10), "alpha2")
    lines[i] = "alpha2 = 12"
    edits.append((i + 1, "alpha2"))
    t = lines.index("[plan.thresholds]")
    lines[_key_index(lines, t, "on_track")] = "on_track = 0.5"  # now below acceleration_needed
    edits.append((t + 1, "plan.thresholds"))
    path.write_text("\n".join(lines), encoding="utf-8")
    r = adm("check")
    assert_clean_error(r, 1, contains=f"{len(edits)} problem(s) found")
    errors = [ln for ln in r.err.splitlines() if ln.startswith("admtrack: error:")]
    assert len(errors) == len(edits), r.err
    for line, key in edits:
        assert any(f"targets.toml:{line}: " in e and key in e for e in errors), (line, key, r.err)


def test_plan_problems_api_lists_everything(tmp_path):
    text = bundled_text().replace('direction = "increase"', 'direction = "up"')
    p = write_file(tmp_path / "targets.toml", text)
    problems = check_plan_file(p)
    assert isinstance(problems, list) and len(problems) == 5
    assert all(pr.field.endswith(".direction") and pr.line for pr in problems)


def test_broken_plan_never_touches_the_store(adm, data_dir, seeded):
    path = write_file(data_dir / "targets.toml", "[plan]\nid = 'x'\n")
    for cmd in (["record", "KHM", "gdp", "2024", "45"], ["retract", "VNM", "gdp", "2024", "--reason", "r"]):
        assert_clean_error(adm(*cmd), 1, one_line=True, contains="targets.toml")
    assert store_bytes(data_dir) == seeded
    path.write_bytes(b"\xff\xfe[\x00p\x00")
    assert_clean_error(adm("check"), 1, contains="targets.toml")
    path.write_text("", encoding="utf-8")
    assert_clean_error(adm("targets"), 1, one_line=True, contains="targets.toml")
    assert store_bytes(data_dir) == seeded


def test_a_user_plan_that_drops_a_state_makes_its_stored_figures_errors(adm, data_dir, seeded):
    path, lines = _user_plan(adm, data_dir)
    codes = [s["code"] for s in tomllib.loads(path.read_text(encoding="utf-8"))["state"]]
    n = codes.index("VNM")
    start = _header_index(lines, "state", n)
    end = _header_index(lines, "state", n + 1) if n + 1 < len(codes) else _header_index(lines, "indicator", 0)
    del lines[start:end]
    path.write_text("\n".join(lines), encoding="utf-8")
    r = adm("export")
    assert_clean_error(r, 1, contains=("observations.toml:", "state", "VNM"))
    assert store_bytes(data_dir) == seeded


# ---- init --------------------------------------------------------------------------------------------


def test_init_writes_an_editable_copy_and_never_clobbers(adm, data_dir, tmp_path, monkeypatch):
    path, _ = _user_plan(adm, data_dir)
    path.write_text(path.read_text(encoding="utf-8") + "\n# my edits\n", encoding="utf-8")
    edited = path.read_bytes()
    r = adm("init")
    assert_clean_error(r, 1, one_line=True, contains=("already exists", "--force"))
    assert path.read_bytes() == edited
    adm.ok("init", "--force")
    assert path.read_text(encoding="utf-8") == bundled_text()
    # an explicit folder
    other = tmp_path / "elsewhere" / "nested"
    r = adm.ok("init", other)
    assert (other / "targets.toml").read_text(encoding="utf-8") == bundled_text()
    assert "--data-dir" in r.err or "ADMTRACK_DATA_DIR" in r.err
    # without --data-dir: $ADMTRACK_DATA_DIR
    env_dir = tmp_path / "from-env"
    monkeypatch.setenv("ADMTRACK_DATA_DIR", str(env_dir))
    adm.ok("init", data_dir=None)
    assert (env_dir / "targets.toml").read_text(encoding="utf-8") == bundled_text()
    # the copy is a valid plan
    assert not isinstance(check_plan_file(other / "targets.toml"), list)


def test_a_plan_with_a_byte_order_mark_says_so(adm, data_dir):
    write_file(data_dir / "targets.toml", b"\xef\xbb\xbf" + bundled_text().encode("utf-8"))
    for cmd in (["status"], ["check"]):
        assert_clean_error(adm(*cmd), 1, contains=("targets.toml:1:", "byte-order mark"))


@pytest.mark.parametrize("bad, kind", [("1761436800", "an integer (1761436800)"),
                                       ("2025-10-26T00:00:00Z", "a datetime"), ("true", "a boolean (true)")])
def test_joined_takes_only_a_day(adm, data_dir, bad, kind):
    """Pydantic's lax mode would read an integer as seconds since 1970: `joined` takes a date only."""
    path, lines = _user_plan(adm, data_dir)
    i = _key_index(lines, _header_index(lines, "state", len(STATES) - 1), "joined")
    lines[i] = f"joined = {bad}"
    path.write_text("\n".join(lines), encoding="utf-8")
    r = adm("check")
    assert_clean_error(r, 1, contains=(f"targets.toml:{i + 1}: ", ".joined: must be a date (YYYY-MM-DD), not " + kind))
    lines[i] = 'joined = "2025-10-26"'  # its text is a date too
    path.write_text("\n".join(lines), encoding="utf-8")
    adm.ok("check")


@pytest.mark.parametrize("clash", ["name", "region"])
def test_a_clashing_alias_is_reported_at_its_own_line(adm, data_dir, clash):
    """The line a reader has to fix: the aliases of the state that repeats a label, not its code."""
    path, lines = _user_plan(adm, data_dir)
    states = tomllib.loads("\n".join(lines))["state"]
    last = len(states) - 1  # after the state whose name it repeats
    alias = states[0]["name"] if clash == "name" else "asean"
    reason = f"name or code {alias!r} is used twice" if clash == "name" else f"{alias!r} is reserved for the region"
    i = _key_index(lines, _header_index(lines, "state", last), "aliases")
    lines[i] = f'aliases = ["{alias}"]'
    path.write_text("\n".join(lines), encoding="utf-8")
    where = f"targets.toml:{i + 1}: state[{states[last]['code']}].aliases"
    assert_clean_error(adm("check"), 1, contains=f"{where}: {reason}")
