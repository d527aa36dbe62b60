"""Help, option spellings and hints a newcomer meets in the first hour (issue 12)."""

from __future__ import annotations

import pytest
from conftest import assert_clean_error


@pytest.mark.parametrize("command", ["status", "gaps", "history", "export", "record", "retract", "targets",
                                     "states", "check", "init"])
def test_help_speaks_words_not_python_types(adm, command):
    r = adm.ok(command, "--help", data_dir=None)
    for python_type in ("<list[str]>", "<int range>", "markdow n"):
        assert python_type not in r.out, (command, python_type)
    assert "Example" in r.out


def test_global_options_are_accepted_after_the_command(adm, tmp_path):
    folder = tmp_path / "elsewhere"
    adm.ok("record", "VNM", "gdp", "2024", "476.4", "--source", "x", data_dir=None)  # the env data folder
    r = adm.ok("export", "-f", "json", "--data-dir", str(folder), "--no-reference", data_dir=None)
    assert r.json["observations"] == []


@pytest.mark.parametrize("spelling", ["cagr-ratio", "cagr_ratio", "CAGR-Ratio"])
def test_method_accepts_both_spellings(adm, spelling):
    assert adm.ok("status", "--method", spelling, "-f", "json").json["schema"] == "admtrack.status/1"


@pytest.mark.parametrize("spelling", ["limited-progress", "limited_progress", "LIMITED-PROGRESS"])
def test_fail_on_accepts_both_spellings(adm, spelling):
    assert adm("status", "--fail-on", spelling).code in (0, 3)


def test_unknown_status_lists_the_choices(adm):
    r = adm("status", "--fail-on", "bad")
    assert_clean_error(r, 2, contains=("on-track", "regressing"))


def test_a_target_id_given_as_an_indicator_names_its_indicator(adm, data_dir):
    r = adm("history", "VNM", "productivity")
    assert_clean_error(r, 1, contains=("is a target", "labour-productivity"))


def _complete(words: str, cword: int) -> list[str]:
    import os
    import subprocess
    import sys

    env = dict(os.environ, _ADMTRACK_COMPLETE="complete_bash", COMP_WORDS=words, COMP_CWORD=str(cword))
    code = "from admtrack.__main__ import main; main()"
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


def test_shell_completion_from_the_plan():
    """States, indicators, target ids and statuses complete from the plan (`--install-completion`)."""
    assert _complete("admtrack status --state V", 3) == ["VNM"]
    assert _complete("admtrack status --target digital-economy-", 3) == ["digital-economy-share",
                                                                        "digital-economy-value-added"]
    assert "labour-productivity" in _complete("admtrack history VNM labour", 3)
    assert _complete("admtrack gaps --fail-on acc", 3) == ["acceleration-needed"]


def test_completion_scripts_are_offered(adm):
    r = adm.ok("--show-completion", "bash", data_dir=None)
    assert "_admtrack_completion" in r.out
