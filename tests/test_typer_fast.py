"""admtrack's parameters are coerced without Pydantic (``admtrack._typer_fast``), as Typer would: the
same values, and a usage error (exit 2) naming the option for a bad one."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _run(*args: str, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "admtrack", "--data-dir", str(tmp_path / "d"), *args],
                          capture_output=True, text=True, timeout=120)


def test_no_pydantic_in_a_status_run(tmp_path):
    """(Once the validated plan is cached: validating a plan is what admtrack uses Pydantic for.)"""
    code = ("import sys; sys.argv = ['admtrack', '--data-dir', sys.argv[1], 'status', '--format', 'json', "
            "'--as-of', '2024', '--state', 'VNM']\n"
            "from admtrack.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('pydantic' in sys.modules, file=sys.stderr)")
    for _ in range(2):  # the first run caches the plan
        r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "d")], capture_output=True, text=True,
                           timeout=120)
    assert r.stderr.strip().splitlines()[-1] == "False", r.stderr


@pytest.mark.parametrize("args, option", [
    (["status", "--as-of", "soon"], "--as-of"),
    (["status", "--as-of", "1800"], "--as-of"),
    (["status", "--format", "yaml"], "--format"),
])
def test_bad_values_are_usage_errors(tmp_path, args, option):
    r = _run(*args, tmp_path=tmp_path)
    assert r.returncode == 2, r.stderr
    assert option in r.stderr and "Traceback" not in r.stderr


def test_values_are_coerced(tmp_path):
    r = _run("status", "--format", "JSON", "--as-of", " 2024 ", "--state", "VNM", "--state", "IDN", tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.lstrip().startswith("{")


def test_a_data_dir_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "d").write_text("not a folder")
    r = _run("status", tmp_path=tmp_path)
    assert r.returncode in (1, 2) and "Traceback" not in r.stderr


def test_typer_helpers_not_as_expected_fall_back_to_typer(monkeypatch, tmp_path):
    """If Typer's helpers change shape, the parameter is coerced Typer's own way, not a traceback."""
    from admtrack import cli

    def changed(*args, **kwargs):
        raise TypeError("changed signature")

    monkeypatch.setattr("admtrack._typer_fast._coerce", changed)
    monkeypatch.setenv("ADMTRACK_DATA_DIR", str(tmp_path / "d"))
    with pytest.raises(SystemExit) as exit_:
        cli.main(["status", "--format", "json", "--as-of", "2024"])
    assert exit_.value.code == 0
