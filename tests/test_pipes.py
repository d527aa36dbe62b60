"""Pipelines and round trips through the real CLI (issue 12): closed pipes, content sniffing, duplicate
JSON keys, hints for the wrong delimiter."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import assert_clean_error, store_bytes, strip_recorded_at, write_file


@pytest.mark.parametrize("args", [
    ["status"], ["gaps"], ["status", "-f", "json"], ["gaps", "-f", "csv"], ["history", "VNM", "gdp"],
    ["export"], ["targets"], ["states", "-f", "markdown"],
])
def test_closed_pipe_exits_quietly_with_0(tmp_path, args):
    """`admtrack CMD | head -1` under `set -o pipefail`: the reader goes away, admtrack exits 0 quietly."""
    cmd = [sys.executable, "-m", "admtrack", "--data-dir", str(tmp_path), *args]
    script = f"set -o pipefail; {' '.join(map(repr, cmd))} | head -c 1 >/dev/null"
    proc = subprocess.run(["bash", "-c", script], capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"Traceback" not in proc.stderr and b"error" not in proc.stderr


def test_export_json_pipes_into_record_file(adm, seeded, tmp_path):
    """`export -f json | record --file -`: an indented JSON document on stdin is JSON, not JSON Lines."""
    doc = adm.ok("export", "-f", "json", no_reference=True).out
    assert doc.startswith("{\n")
    other = tmp_path / "other"
    adm.ok("record", "--file", "-", stdin=doc.encode(), data_dir=other)
    copied = adm.observations(all_revisions=False, data_dir=other)
    assert strip_recorded_at(copied) == strip_recorded_at(adm.observations(all_revisions=False))


def test_json_document_in_a_txt_file_is_sniffed(adm, tmp_path, data_dir):
    rows = [{"state": "VNM", "indicator": "gdp", "year": 2024, "value": 476.4, "source": "x"}]
    f = write_file(tmp_path / "in.txt", json.dumps(rows, indent=2))
    adm.ok("record", "--file", f)
    lines = write_file(tmp_path / "in2.txt", "\n".join(json.dumps(r | {"year": 2023}) for r in rows) + "\n")
    adm.ok("record", "--file", lines)
    assert store_bytes(data_dir).count(b"[[observation]]") == 2


@pytest.mark.parametrize("fmt,text", [
    ("json", '[{"state": "VNM", "indicator": "gdp", "year": 2024, "value": 1, "value": 2}]'),
    ("jsonl", '{"state": "VNM", "state": "THA", "indicator": "gdp", "year": 2024, "value": 1}\n'),
])
def test_duplicate_json_keys_are_refused(adm, tmp_path, data_dir, fmt, text):
    f = write_file(tmp_path / f"in.{fmt}", text)
    r = adm("record", "--file", f)
    assert_clean_error(r, 1, contains="appears twice")
    assert store_bytes(data_dir) is None


def test_semicolon_separated_csv_gets_a_hint(adm, tmp_path):
    f = write_file(tmp_path / "in.csv", "state;indicator;year;value\nVNM;gdp;2024;476.4\n")
    r = adm("record", "--file", f)
    assert_clean_error(r, 1, contains="';'-separated")
