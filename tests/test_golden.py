"""Golden files for every Rich table (status, gaps, history, targets, states) at 60, 80, 120 and 200
columns, through the real CLI, on the bundled plan and reference data plus a small fixed store
(``tests/golden/data``), with ``--as-of`` so that nothing depends on today.

A layout change shows up as a diff here. When it is intended, regenerate the files and read every one:
``ADMTRACK_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from fixtures_report import terminal_env

GOLDEN = Path(__file__).parent / "golden"
WIDTHS = (60, 80, 120, 200)
REPORTS = {
    "status": ("status", "--as-of", "2025"),
    "gaps": ("gaps", "--as-of", "2025"),
    "history": ("history", "VNM", "digital-economy-share"),
    "history-gdp": ("history", "VNM", "gdp"),
    "targets": ("targets",),
    "states": ("states",),
}


@pytest.fixture
def golden_data(tmp_path) -> Path:
    folder = tmp_path / "golden-data"
    shutil.copytree(GOLDEN / "data", folder)
    return folder


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", sorted(REPORTS))
def test_table_matches_golden(adm, golden_data, monkeypatch, name, width):
    terminal_env(monkeypatch, columns=width)
    out = adm.ok(*REPORTS[name], data_dir=golden_data).out
    path = GOLDEN / f"{name}-{width}.txt"
    if os.environ.get("ADMTRACK_UPDATE_GOLDEN"):
        path.write_text(out, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with ADMTRACK_UPDATE_GOLDEN=1"
    assert out == path.read_text(encoding="utf-8"), f"{path.name} differs (ADMTRACK_UPDATE_GOLDEN=1 to accept)"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", sorted(REPORTS))
def test_golden_tables_are_honest(name, width):
    """Every line fits, none ends in a space, no cell lost to an ellipsis."""
    from rich.cells import cell_len

    path = GOLDEN / f"{name}-{width}.txt"
    if not path.exists():
        pytest.skip("golden file not generated yet")
    for line in path.read_text(encoding="utf-8").splitlines():
        assert cell_len(line) <= width, (path.name, line)
        assert line == line.rstrip(), (path.name, line)
        assert "…" not in line, (path.name, line)
