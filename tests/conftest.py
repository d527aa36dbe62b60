"""Shared helpers for the admtrack test suite.

Every test runs with HOME, XDG_DATA_HOME and ADMTRACK_DATA_DIR pointed into its own tmp_path, so the
user's real data folder is never touched, and passes ``--data-dir`` explicitly unless the test is about
where data lives.

Two ways to run the CLI:
* ``adm(...)`` calls the real entry point ``admtrack.cli.main`` in-process (fast; exit code from SystemExit,
  stdout/stderr via capsys);
* ``sub(...)`` runs ``python -m admtrack`` in a subprocess (for concurrency, signals, and end-to-end checks).
"""

from __future__ import annotations

import functools
import io
import json
import os
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import typer.main

from admtrack.cli import main

# Typer rebuilds the whole Click command tree from the function signatures on every call of the app
# (~60 ms). The tree of the module-level `admtrack.cli.app` never changes, so in-process runs share one
# build; argument parsing, callbacks and the commands themselves still run afresh on every call.
if not hasattr(typer.main.get_command, "cache_info"):
    typer.main.get_command = functools.lru_cache(maxsize=8)(typer.main.get_command)

YEAR = date.today().year  # the upper bound of a valid year (SPEC §2.2)
REPO = Path(__file__).resolve().parents[1]
STORE = "observations.toml"
STATES = ["BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "VNM", "TLS"]
ERROR_PREFIX = "admtrack: error:"


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self):
        return json.loads(self.out)


def assert_clean_error(r: Result, code: int = 1, *, one_line: bool = False, contains: str | tuple = ()) -> None:
    """Exit ``code``, a first stderr line starting 'admtrack: error:', never a traceback."""
    assert r.code == code, (r.code, r.err)
    assert "Traceback" not in r.err and "Traceback" not in r.out
    lines = r.err.splitlines()
    assert lines, "no message on stderr"
    assert lines[0].startswith(ERROR_PREFIX), r.err
    if one_line:
        assert len(lines) == 1, r.err
    for part in (contains,) if isinstance(contains, str) else contains:
        assert part in r.err, (part, r.err)


def store_bytes(folder: Path) -> bytes | None:
    p = Path(folder) / STORE
    return p.read_bytes() if p.exists() else None


def store_doc(folder: Path) -> list[dict]:
    """The store parsed with tomllib: the list of [[observation]] tables."""
    return tomllib.loads((Path(folder) / STORE).read_text(encoding="utf-8")).get("observation", [])


def write_file(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


class Adm:
    """Runs ``admtrack.cli.main`` in-process with ``--data-dir`` set to the test's data folder."""

    _default = object()

    def __init__(self, capsys, monkeypatch, data_dir: Path) -> None:
        self.capsys = capsys
        self.monkeypatch = monkeypatch
        self.data_dir = data_dir

    def __call__(self, *args, data_dir=_default, stdin: bytes | None = None, no_reference: bool = False) -> Result:
        argv: list[str] = []
        folder = self.data_dir if data_dir is Adm._default else data_dir
        if folder is not None:
            argv += ["--data-dir", str(folder)]
        if no_reference:
            argv.append("--no-reference")
        argv += [str(a) for a in args]
        self.capsys.readouterr()
        if stdin is not None:
            self.monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
        with pytest.raises(SystemExit) as info:
            main(argv)
        out, err = self.capsys.readouterr()
        code = info.value.code
        code = 0 if code is None else code
        assert "Traceback" not in out + err
        return Result(code, out, err)

    def ok(self, *args, **kw) -> Result:
        r = self(*args, **kw)
        assert r.code == 0, (args, r.err)
        return r

    def observations(self, *, all_revisions: bool = True, no_reference: bool = True, data_dir=_default) -> list[dict]:
        args = ["export", "--format", "json"] + (["--all-revisions"] if all_revisions else [])
        r = self(*args, no_reference=no_reference, data_dir=data_dir)
        assert r.code == 0, r.err
        doc = r.json
        assert doc["schema"] == "admtrack.observations/1"
        return doc["observations"]


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    """Never touch the user's real data folder; no colour settings leaking in."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("ADMTRACK_DATA_DIR", str(tmp_path / "env-data-dir"))
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    for var in ("NO_COLOR", "FORCE_COLOR", "COLUMNS"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def adm(capsys, monkeypatch, data_dir) -> Adm:
    return Adm(capsys, monkeypatch, data_dir)


SEED_ROWS = [
    {"state": "VNM", "indicator": "digital-economy-share", "year": 2023, "value": 16.5, "source": "MIC", "note": None},
    {
        "state": "VNM",
        "indicator": "digital-economy-share",
        "year": 2024,
        "value": 18.3,
        "source": "MIC",
        "note": "est.",
    },
    {"state": "THA", "indicator": "gdp", "year": 2024, "value": 526.4, "source": "NESDC", "note": None},
    {
        "state": "IDN",
        "indicator": "public-services-ai-share",
        "year": 2025,
        "value": 12.0,
        "source": "Kominfo",
        "note": None,
    },
    {
        "state": "ASEAN",
        "indicator": "digital-economy-share",
        "year": 2024,
        "value": 9.1,
        "source": "ASEAN Secretariat",
        "note": None,
    },
]


@pytest.fixture
def seeded(adm, data_dir, tmp_path) -> bytes:
    """A data folder whose store already holds SEED_ROWS; returns the store's bytes."""
    f = write_file(tmp_path / "seed.json", json.dumps(SEED_ROWS))
    adm.ok("record", "--file", f)
    raw = store_bytes(data_dir)
    assert raw is not None
    return raw


def sub(
    *args, data_dir: Path | None = None, input: bytes | None = None, timeout: float = 60, env: dict | None = None
) -> Result:
    """``python -m admtrack [--data-dir D] ARGS`` in a subprocess."""
    argv = [sys.executable, "-m", "admtrack"]
    if data_dir is not None:
        argv += ["--data-dir", str(data_dir)]
    argv += [str(a) for a in args]
    proc = subprocess.run(
        argv, input=input, capture_output=True, timeout=timeout, env=env if env is not None else dict(os.environ)
    )
    return Result(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))


def strip_recorded_at(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "recorded_at"} for r in rows]
