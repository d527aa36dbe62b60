"""README: "below about 70 columns the tables drop columns rather than break a number". The status table
at every width from 40 to 200, on the bundled plan and on a small plan of two states: every line fits,
and every region row's Cover cell is whole (as the JSON's coverage says it) or the column is absent."""

from __future__ import annotations

import pytest
from conftest import write_file
from fixtures_report import FIGURES, OWN_YEARS, PLAN_HEAD, cell_width, terminal_env

WIDTHS = range(40, 201)

SMALL_PLAN = PLAN_HEAD + OWN_YEARS.format(baseline=2021, target=2030)

SMALL_FIGURES = FIGURES


@pytest.fixture
def small_plan(adm, data_dir, tmp_path):
    write_file(data_dir / "targets.toml", SMALL_PLAN)
    adm.ok("record", "--file", write_file(tmp_path / "o.csv", SMALL_FIGURES))


def _covers(target: dict) -> set[str]:
    """The Cover cell of a target's region row, in its long and short forms."""
    c = target["region"]["coverage"]
    if c is None:
        return {"—"}
    short = f"{c['states']}/{c['of']}"
    long = short + (f" {c['weight_share'] * 100:.0f}%" if target.get("weight") else "")
    return {short, long}


def _region_rows(out: str, n: int) -> tuple[str, list[str]]:
    """The head of the region table and its first ``n`` rows (a row's wrapped continuation lines begin
    with a space: the first column is left-aligned)."""
    lines = out.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("─"))
    rows = [line for line in lines[rule + 1:] if line and not line.startswith(" ")][:n]
    return lines[rule - 1], rows


def _check_widths(adm, monkeypatch) -> None:
    doc = adm.ok("status", "-f", "json").json
    targets = doc["targets"]
    for width in WIDTHS:
        terminal_env(monkeypatch, columns=width)
        out = adm.ok("status").out
        for line in out.splitlines():
            assert cell_width(line) <= width, (width, line)
        head, rows = _region_rows(out, len(targets))
        assert len(rows) == len(targets), (width, out)
        shown = head.endswith("Cover")
        assert shown or not "Cover".startswith(head.split()[-1]), (width, head)  # absent, not cut
        for t, row in zip(targets, rows):
            if shown:
                assert any(row.endswith(" " + cover) for cover in _covers(t)), (width, row, _covers(t))
                # right-aligned under its head
                assert cell_width(row) == cell_width(head), (width, head, row)
            # the attainment is never cut either (the same figure in every layout)
            attainment = t["region"]["attainment"]
            if attainment is not None:
                assert f" {attainment * 100:.0f}%" in row, (width, row)


def test_status_cover_cells_are_whole_at_every_width_small_plan(adm, small_plan, monkeypatch):
    _check_widths(adm, monkeypatch)


def test_status_cover_cells_are_whole_at_every_width_bundled_plan(adm, monkeypatch):
    _check_widths(adm, monkeypatch)


@pytest.mark.parametrize("command", [("gaps",), ("targets",), ("states",), ("history", "AAA", "x")])
def test_every_table_fits_uncropped(adm, small_plan, monkeypatch, command):
    """Rich crops a line wider than the terminal: the table picked must fit without that, its cells whole
    (no ellipsis)."""
    import io

    from rich.console import Console

    from admtrack.render import human

    picked: list = []
    pick = human.pick

    def recording(con, report, rows):
        t, layout = pick(con, report, rows)
        picked.append((t, con.width))
        return t, layout

    monkeypatch.setattr(human, "pick", recording)
    for width in range(40, 121):
        terminal_env(monkeypatch, columns=width)
        adm.ok(*command)
    assert picked
    for t, width in picked:
        buf = io.StringIO()
        Console(file=buf, width=width, color_system=None, highlight=False).print(t, crop=False)
        for line in buf.getvalue().splitlines():
            assert cell_width(line.rstrip()) <= width and "…" not in line, (command, width, line)


@pytest.mark.parametrize("state", [None, "MYS"])
def test_explain_tables_keep_numbers_whole_at_every_width(adm, monkeypatch, state):
    """explain's tables, too, leave a column out rather than break a number across lines."""
    from admtrack.render.fmt import fmt_value

    target = "digital-economy-value-added"  # long derived sources, money values
    args = ["explain", target] + (["-s", state] if state else [])
    doc = adm.ok(*args, "-f", "json").json
    unit = doc["target"]["unit"]
    figures = [(y["year"], y["value"]) for y in doc["years"]] if state is None else \
        [(p["year"], p["value"]) for p in doc["points"]]
    assert figures
    for width in range(40, 121):
        terminal_env(monkeypatch, columns=width)
        out = adm.ok(*args).out
        lines = out.splitlines()
        for line in lines:
            assert cell_width(line) <= width, (width, line)
        rule = next(i for i, line in enumerate(lines) if line.startswith("─"))
        if "Value" not in lines[rule - 1].split():
            continue
        for year, value in figures:
            row = next(line for line in lines[rule + 1:] if line.startswith(str(year)))
            assert f" {fmt_value(value, unit)}" in row, (width, row)
