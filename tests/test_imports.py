"""Start-up discipline (SPEC §7): what each command imports.

`admtrack --version` must stay within 1.0x of a bare Typer app, so it may import nothing heavier than
Typer: no Rich, pydantic, filelock, platformdirs or tomllib, and none of our own modules beyond the CLI.
Machine formats never need Rich, and reading commands never take the write lock (filelock).

Each case runs `admtrack.cli.main` in a fresh interpreter (the one running the tests, so the installed
package when the suite runs against `pip install .`) and reads `sys.modules` afterwards. This checks
imports, not timings: timings live in bench/startup.py.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import pytest

MARK = "\n@@modules@@"

PROBE = f"""
import sys
sys.argv = ["admtrack"] + sys.argv[1:]
from admtrack.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
sys.stdout.write({MARK!r} + repr((code, sorted(sys.modules))) + "\\n")
"""

# Our modules that `--version` may load: the package, the CLI and its small error types.
VERSION_OK_OURS = {"admtrack", "admtrack.cli", "admtrack.errors", "admtrack.__main__", "admtrack._typer_fast"}
VERSION_FORBIDDEN = ("rich", "pydantic", "pydantic_core", "filelock", "platformdirs", "tomllib", "tomli_w")


def loaded_modules(args: list[str], cwd) -> tuple[int, set[str], str]:
    env = dict(os.environ)
    env.pop("PYTHONSTARTUP", None)
    p = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, env=env, capture_output=True,
                       text=True, timeout=120)
    assert MARK in p.stdout, (p.returncode, p.stdout, p.stderr)
    out, tail = p.stdout.split(MARK, 1)
    code, modules = ast.literal_eval(tail.strip())
    return code, set(modules), out


def packages(modules: set[str], roots) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in roots)


def test_version_imports_only_typer_and_the_cli(tmp_path):
    code, modules, out = loaded_modules(["--version"], tmp_path)
    assert code == 0
    assert out.startswith("admtrack ")
    assert packages(modules, VERSION_FORBIDDEN) == []
    ours = {m for m in modules if m == "admtrack" or m.startswith("admtrack.")}
    assert ours <= VERSION_OK_OURS, sorted(ours - VERSION_OK_OURS)


@pytest.mark.parametrize(
    "args",
    [
        ["status", "--format", "json"],
        ["gaps", "--format", "json"],
        ["status", "--format", "csv"],
        ["export", "--format", "csv"],
    ],
    ids=["status-json", "gaps-json", "status-csv", "export-csv"],
)
def test_machine_formats_import_neither_rich_nor_filelock(tmp_path, args):
    data = tmp_path / "data"
    data.mkdir()
    code, modules, out = loaded_modules(["--data-dir", str(data), *args], tmp_path)
    assert code == 0, out
    assert out.strip(), "no output"
    assert packages(modules, ("rich",)) == []
    assert packages(modules, ("filelock",)) == []


def test_record_does_not_import_rich(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    code, modules, _ = loaded_modules(
        ["--data-dir", str(data), "record", "VNM", "gdp", "1995", "12.5", "--source", "test"], tmp_path)
    assert code == 0
    assert packages(modules, ("rich",)) == []
    assert (data / "observations.toml").exists()


# fetch, chart and report (issue 9, SPEC §7, §9, §10): what only they need is loaded by them only
OPTIONAL_HEAVY = ("httpx", "httpcore", "matplotlib", "plotext", "jinja2")
OPTIONAL_OURS = ("admtrack.sources", "admtrack.commands.fetch", "admtrack.render.chart", "admtrack.render.html")


@pytest.mark.parametrize("args", [["status"], ["gaps", "--format", "json"], ["export"],
                                  ["record", "VNM", "gdp", "1995", "12.5"]], ids=["status", "gaps", "export", "record"])
def test_other_commands_load_nothing_of_fetch_chart_or_report(tmp_path, args):
    data = tmp_path / "data"
    data.mkdir()
    code, modules, out = loaded_modules(["--data-dir", str(data), *args], tmp_path)
    assert code == 0, out
    assert packages(modules, OPTIONAL_HEAVY) == []
    assert sorted(m for m in modules if m.startswith(OPTIONAL_OURS)) == []


def test_fetch_loads_httpx_only_to_make_a_request(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    # a usage error is found before any request: no HTTP client
    code, modules, _ = loaded_modules(["--data-dir", str(data), "fetch", "worldbank", "--state", "XX"], tmp_path)
    assert code == 2
    assert packages(modules, ("httpx", "httpcore")) == []
