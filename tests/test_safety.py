"""Never lost, never torn (SPEC §2.2, §6, §7): concurrent writers, SIGKILL mid-write, and bad input of every
kind leaving the store byte-for-byte unchanged with one clear error line."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import pytest
from conftest import (
    SEED_ROWS,
    STATES,
    YEAR,
    assert_clean_error,
    store_bytes,
    store_doc,
    strip_recorded_at,
    sub,
    write_file,
)

from admtrack import inputs
from admtrack.store import store as store_mod

INDICATORS = ["gdp", "population", "labour-force", "digital-economy-share", "skilled-workforce-share",
              "public-services-ai-share", "social-service-cost", "digital-economy-value-added", "labour-productivity"]


def _env(tmp: Path) -> dict:
    env = dict(os.environ)
    env.update({"HOME": str(tmp / "home"), "XDG_DATA_HOME": str(tmp / "home" / "share"),
                "ADMTRACK_DATA_DIR": str(tmp / "unused-env-dir"), "PYTHONDONTWRITEBYTECODE": "1"})
    return env


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


# ---- concurrency -----------------------------------------------------------------------------------------

WRITER = textwrap.dedent("""
    import functools, os, sys, time
    import typer.main
    typer.main.get_command = functools.lru_cache(maxsize=8)(typer.main.get_command)  # see conftest.py
    from admtrack.cli import main
    folder, me, go = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    while not os.path.exists(go):
        time.sleep(0.005)
    states = {states!r}
    codes = []
    for k in range(25):
        # 8 writers x 25 different observations, interleaved over the same states
        state = states[(me + k) % len(states)]
        year = 1990 + k
        indicator = {indicators!r}[me]
        try:
            main(["--data-dir", folder, "record", state, indicator, str(year), str(k + me / 10 + 0.25),
                  "--source", f"writer {{me}}"])
        except SystemExit as exc:
            codes.append(exc.code or 0)
    sys.exit(max(codes))
""").format(states=STATES, indicators=INDICATORS)


@pytest.mark.parametrize("delete_lock", [False, True], ids=["", "lock file deleted while held"])
def test_eight_concurrent_writers_of_single_records(adm, data_dir, seeded, tmp_path, delete_lock):
    import threading

    go = tmp_path / "go"
    script = write_file(tmp_path / "writer.py", WRITER)
    procs = [subprocess.Popen([sys.executable, str(script), str(data_dir), str(me), str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(tmp_path))
             for me in range(8)]
    stop = threading.Event()
    deleted = []

    def delete_the_lock_file() -> None:  # a clean-up job or a sync tool, while writers hold the lock
        while not stop.is_set():
            try:
                (data_dir / ".observations.lock").unlink()
                deleted.append(1)
            except FileNotFoundError:
                pass
            time.sleep(0.002)

    deleter = threading.Thread(target=delete_the_lock_file)
    if delete_lock:
        deleter.start()
    time.sleep(0.3)
    go.touch()
    try:
        results = [p.communicate(timeout=120) for p in procs]
    finally:
        stop.set()
        if delete_lock:
            deleter.join()
    assert not delete_lock or len(deleted) > 10
    for p, (_out, err) in zip(procs, results):
        assert p.returncode == 0, err.decode()
        assert err.decode().count("recorded ") == 25 and b"Traceback" not in err
    doc = store_doc(data_dir)  # a valid store
    assert len(doc) == len(SEED_ROWS) + 200
    new = doc[len(SEED_ROWS):]
    keys = {(o["state"], o["indicator"], o["year"]) for o in new}
    assert len(keys) == 200
    expected = {(STATES[(me + k) % len(STATES)], INDICATORS[me], 1990 + k) for me in range(8) for k in range(25)}
    assert keys == expected
    assert store_bytes(data_dir).startswith(seeded)
    assert not _leftovers(data_dir)
    adm.ok("check")
    assert len(adm.observations()) == len(SEED_ROWS) + 200


def test_lock_timeout_is_a_clean_error(adm, data_dir, seeded, monkeypatch):
    from filelock import FileLock

    monkeypatch.setattr(store_mod, "LOCK_TIMEOUT", 0.3)
    with FileLock(str(data_dir / ".observations.lock")):
        r = adm("record", "KHM", "gdp", "2024", "45")
    assert_clean_error(r, 1, one_line=True, contains="lock")
    assert store_bytes(data_dir) == seeded
    adm.ok("record", "KHM", "gdp", "2024", "45")


# ---- crash safety ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A store with data, a big CSV of new rows, and the store as it is after recording that CSV."""
    tmp = tmp_path_factory.mktemp("big")
    (tmp / "home").mkdir()
    base = tmp / "base"
    base.mkdir()
    rows = [(s, i, y) for s in STATES + ["ASEAN"] for i in INDICATORS for y in range(1990, YEAR + 1)]
    old, new = [r for r in rows if r[2] < 1996], [r for r in rows if r[2] >= 1996]

    def csv_text(rs, tag):
        lines = ["state,indicator,year,value,source,note"]
        lines += [f'{s},{i},{y},{(n * 7) % 100 + 0.125},"{tag} src, {n}","note ""{n}"" é ข"' for n, (s, i, y) in
                  enumerate(rs)]
        return "\n".join(lines) + "\n"

    t0 = time.monotonic()
    assert sub("--version", env=_env(tmp)).code == 0
    startup = time.monotonic() - t0
    seed = write_file(tmp / "seed.csv", csv_text(old, "seed"))
    big_csv = write_file(tmp / "big.csv", csv_text(new, "big"))
    env = _env(tmp)
    r = sub("record", "--file", seed, data_dir=base, env=env)
    assert r.code == 0, r.err
    before = (base / "observations.toml").read_bytes()
    ref = tmp / "ref"
    shutil.copytree(base, ref)
    t0 = time.monotonic()
    r = sub("record", "--file", big_csv, data_dir=ref, env=env)
    elapsed = time.monotonic() - t0
    assert r.code == 0 and f"recorded {len(new)}," in r.err, r.err
    after_doc = strip_recorded_at(store_doc(ref))
    assert len(after_doc) == len(old) + len(new) and len(new) >= 3000
    return {"tmp": tmp, "base": base, "csv": big_csv, "before": before, "after": after_doc, "elapsed": elapsed,
            "startup": startup,
            "env": env, "ref": ref}


def _assert_old_or_new(folder: Path, big) -> str:
    raw = (folder / "observations.toml").read_bytes()
    if raw == big["before"]:
        return "before"
    doc = tomllib.loads(raw.decode("utf-8"))["observation"]  # parses
    assert raw.startswith(big["before"])
    assert strip_recorded_at(doc) == big["after"], "the store is neither the old one nor the new one"
    return "after"


def test_sigkill_at_random_instants_leaves_old_or_new_store(adm, big, tmp_path):
    rng = random.Random(2030)
    t = big["elapsed"]
    delays = sorted([rng.uniform(0.05, t * 1.1) for _ in range(4)] + [t * f for f in (0.9, 1.0)])
    outcomes = []
    for n, delay in enumerate(delays):
        folder = tmp_path / f"kill{n}"
        shutil.copytree(big["base"], folder)
        p = subprocess.Popen([sys.executable, "-m", "admtrack", "--data-dir", str(folder), "record", "--file",
                              str(big["csv"])], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=big["env"])
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)
        outcomes.append(_assert_old_or_new(folder, big))
        # the killed writer's lock is gone and the folder is usable: a later writer and reader succeed
        adm.ok("record", "KHM", "gdp", "2024", "45.5", "--source", "after the crash", "--revise", data_dir=folder)
        tail = store_doc(folder)[-1]
        assert (tail["state"], tail["value"], tail["source"]) == ("KHM", 45.5, "after the crash")
    assert outcomes  # each was one of the two states; which one depends on timing


def test_ctrl_c_exits_130_and_leaves_old_or_new_store(big, tmp_path):
    folder = tmp_path / "int"
    shutil.copytree(big["base"], folder)
    p = subprocess.Popen([sys.executable, "-m", "admtrack", "--data-dir", str(folder), "record", "--file",
                          str(big["csv"])], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=big["env"])
    # after the interpreter has started and imported admtrack, while the rows are being read and checked
    time.sleep(big["startup"] + 0.5 * max(0.0, big["elapsed"] - big["startup"]))
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=30)
    assert p.returncode in (130, 0), err.decode()  # 0 only if it had already finished
    assert b"Traceback" not in err
    _assert_old_or_new(folder, big)


def test_closed_pipe_exits_quietly(big):
    p = subprocess.Popen([sys.executable, "-m", "admtrack", "--data-dir", str(big["ref"]), "export", "--all-revisions",
                          "--format", "csv"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=big["env"])
    first = p.stdout.readline()
    p.stdout.close()
    err = p.stderr.read()
    p.wait(timeout=30)
    assert first.startswith(b"state,indicator,year")
    assert p.returncode == 0, err.decode()
    assert err == b""


# ---- bad input: exit 1 or 2, one clear line, store byte-for-byte unchanged ------------------------------

def R(*args):
    return ["record", *args]


LONG = "x" * 10_001
BAD_SINGLE = {
    "value NaN": (R("VNM", "gdp", "2024", "NaN"), 1, "value"),
    "value nan": (R("VNM", "gdp", "2024", "nan"), 1, "value"),
    "value inf": (R("VNM", "gdp", "2024", "inf"), 1, "value"),
    "value -inf": (R("VNM", "gdp", "2024", "--", "-inf"), 1, "value"),
    "value Infinity": (R("VNM", "gdp", "2024", "Infinity"), 1, "value"),
    "value 1e999": (R("VNM", "gdp", "2024", "1e999"), 1, "value"),
    "value 12,5": (R("VNM", "gdp", "2024", "12,5"), 1, "decimal"),
    "value empty": (R("VNM", "gdp", "2024", ""), 1, "value"),
    "value blank": (R("VNM", "gdp", "2024", "   "), 1, "value"),
    "value formula": (R("VNM", "gdp", "2024", "=1+1"), 1, "value"),
    "value hex": (R("VNM", "gdp", "2024", "0x10"), 1, "value"),
    "value percent sign": (R("VNM", "digital-economy-share", "2024", "12%"), 1, "value"),
    "percent above 100": (R("VNM", "digital-economy-share", "2024", "100.5"), 1, "between 0 and 100"),
    "percent below 0": (R("VNM", "digital-economy-share", "2024", "--", "-0.1"), 1, "between 0 and 100"),
    "year 1989": (R("VNM", "gdp", "1989", "1"), 1, "year"),
    "year next year": (R("VNM", "gdp", str(YEAR + 1), "1"), 1, "year"),
    "year 20x4": (R("VNM", "gdp", "20x4", "1"), 1, "year"),
    "year empty": (R("VNM", "gdp", "", "1"), 1, "year"),
    "state unknown": (R("XYZ", "gdp", "2024", "1"), 1, "state"),
    "state empty": (R("", "gdp", "2024", "1"), 1, "state"),
    "state formula": (R("=cmd|' /C calc'!A0", "gdp", "2024", "1"), 1, "state"),
    "state TOML injection": (R('VNM"\n[[observation]]\nstate = "X', "gdp", "2024", "1"), 1, "state"),
    "state NUL": (R("VNM\x00", "gdp", "2024", "1"), 1, "state"),
    "indicator unknown": (R("VNM", "gdpp", "2024", "1"), 1, "indicator"),
    "indicator TOML injection": (R("VNM", 'gdp"]]', "2024", "1"), 1, "indicator"),
    "note NUL": (R("VNM", "gdp", "2024", "1", "--note", "a\x00b"), 1, "note"),
    "note ESC": (R("VNM", "gdp", "2024", "1", "--note", "\x1b[31mred"), 1, "note"),
    "note CR": (R("VNM", "gdp", "2024", "1", "--note", "a\rb"), 1, "note"),
    "note DEL": (R("VNM", "gdp", "2024", "1", "--note", "a\x7fb"), 1, "note"),
    "note C1": (R("VNM", "gdp", "2024", "1", "--note", "a\x85b"), 1, "note"),
    "source bell": (R("VNM", "gdp", "2024", "1", "--source", "\x07"), 1, "source"),
    "note huge": (R("VNM", "gdp", "2024", "1", "--note", LONG), 1, "too long"),
    "conflict": (R("VNM", "digital-economy-share", "2024", "99", "--source", "MIC"), 1, "--revise"),
    "unknown option": (R("VNM", "gdp", "2024", "1", "--frobnicate"), 2, "--frobnicate"),
    "missing argument": (R("VNM", "gdp", "2024"), 2, "VALUE"),
    "too many arguments": (R("VNM", "gdp", "2024", "1", "2"), 2, ""),
    "no arguments": (R(), 2, ""),
    "negative without --": (R("VNM", "gdp", "2024", "-5"), 2, ""),
    "bad input format": (R("--file", "x.csv", "--input-format", "xml"), 2, "--input-format"),
    "retract without reason": (["retract", "VNM", "gdp", "2024"], 2, "--reason"),
    "retract bad year": (["retract", "VNM", "gdp", "year", "--reason", "x"], 1, "year"),
    "retract control char": (["retract", "VNM", "digital-economy-share", "2024", "--reason", "\x00"], 1, "reason"),
}


@pytest.mark.parametrize("case", sorted(BAD_SINGLE))
def test_bad_single_input_leaves_store_unchanged(adm, data_dir, seeded, case):
    args, code, needle = BAD_SINGLE[case]
    r = adm(*args)
    assert_clean_error(r, code, one_line=True, contains=needle)
    assert r.out == ""
    assert store_bytes(data_dir) == seeded
    assert not _leftovers(data_dir)


GOOD_CSV = "state,indicator,year,value,source,note\nKHM,gdp,2024,45.1,NIS,\n"
BAD_FILES = {
    "latin-1": ("in.csv", "state,indicator,year,value,source,note\nKHM,gdp,2024,45.1,Institut national,café\n"
                .encode("latin-1"), "UTF-8"),
    "utf-16 le bom": ("in.csv", GOOD_CSV.encode("utf-16"), "UTF-16"),
    "utf-16 be bom": ("in.csv", b"\xfe\xff" + GOOD_CSV.encode("utf-16-be"), "UTF-16"),
    "utf-16 no bom": ("in.csv", GOOD_CSV.encode("utf-16-le"), "in.csv"),
    "binary garbage": ("in.csv", bytes(random.Random(7).randrange(256) for _ in range(4096)), "in.csv"),
    "empty": ("in.csv", b"", "empty"),
    "control char in note": ("in.csv", GOOD_CSV.replace("NIS,", "NIS,bell\x07").encode(), "note"),
    "CR inside a quoted note": ("in.csv", GOOD_CSV.replace("NIS,", 'NIS,"a\rb"').encode(), "note"),
    "NaN in CSV": ("in.csv", GOOD_CSV.replace("45.1", "NaN").encode(), "value"),
    "decimal comma": ("in.csv", GOOD_CSV.replace("45.1", '"45,1"').encode(), "value"),
    "unbalanced quote": ("in.csv", (GOOD_CSV + 'KHM,gdp,2023,"1,NIS,\n').encode(), "in.csv:3: row"),
    "huge field": ("in.csv", (GOOD_CSV + "KHM,gdp,2023,1,NIS," + "y" * 300_000 + "\n").encode(), "in.csv:3"),
    "formula as value": ("in.csv", GOOD_CSV.replace("45.1", "=1+1").encode(), "value"),
    "TOML metacharacters as state": ("in.csv", GOOD_CSV.replace("KHM,", '"KHM""]]\n[x]",').encode(), "state"),
    "NaN in JSON": ("in.json", b'[{"state":"KHM","indicator":"gdp","year":2024,"value":NaN}]', "finite"),
    "Infinity in JSON Lines": ("in.jsonl", b'{"state":"KHM","indicator":"gdp","year":2024,"value":-Infinity}\n',
                               "in.jsonl:1: value: -Infinity is not a finite number"),
    "1e999 in JSON": ("in.json", b'[{"state":"KHM","indicator":"gdp","year":2024,"value":1e999}]', "value"),
    "huge int in JSON": ("in.json", b'[{"state":"KHM","indicator":"gdp","year":2024,"value":1' + b"0" * 400 + b"}]",
                         "value"),
    "bool value in JSON": ("in.json", b'[{"state":"KHM","indicator":"gdp","year":2024,"value":true}]', "value"),
    "state number in JSON": ("in.json", b'[{"state":116,"indicator":"gdp","year":2024,"value":1}]', "state"),
    "year 2024.5 in JSON": ("in.json", b'[{"state":"KHM","indicator":"gdp","year":2024.5,"value":1}]', "year"),
    "deeply nested JSON": ("in.json", b"[" * 100_000 + b"]" * 100_000, "in.json"),
    "JSON object": ("in.json", b'{"state":"KHM"}', "array"),
    "JSON syntax": ("in.json", b'[\n{"state": "KHM",}\n]', "in.json:2"),
    "lone surrogate escape in JSON": ("in.json",
                                      b'[{"state":"KHM","indicator":"gdp","year":2024,"value":1,"note":"\\ud800"}]',
                                      "surrogate"),
    "missing column": ("in.csv", b"state,indicator,year\nKHM,gdp,2024\n", "value"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_leaves_store_unchanged(adm, data_dir, seeded, tmp_path, case):
    name, content, needle = BAD_FILES[case]
    f = write_file(tmp_path / name, content)
    r = adm("record", "--file", f)
    assert_clean_error(r, 1, contains=needle)
    assert store_bytes(data_dir) == seeded
    # the same bytes through stdin
    r = adm("record", "--file", "-", "--input-format", {"csv": "csv", "json": "json", "jsonl": "jsonl"}[
        name.rsplit(".", 1)[1]], stdin=content)
    assert_clean_error(r, 1)
    assert store_bytes(data_dir) == seeded
    assert not _leftovers(data_dir)


def test_too_large_input_is_refused(adm, data_dir, seeded, tmp_path, monkeypatch):
    monkeypatch.setattr(inputs, "MAX_BYTES", 1024)
    f = write_file(tmp_path / "big.csv", GOOD_CSV + "KHM,gdp,2023,1,NIS,\n" * 100)
    assert_clean_error(adm("record", "--file", f), 1, one_line=True, contains="too large")
    assert_clean_error(adm("record", "--file", "-", stdin=f.read_bytes()), 1, one_line=True, contains="too large")
    assert store_bytes(data_dir) == seeded


def test_end_to_end_errors_through_the_real_entry_point(data_dir, seeded, tmp_path):
    """`python -m admtrack`: exit codes, one `admtrack: error:` line, no traceback, store untouched."""
    env = _env(tmp_path)
    before = seeded
    broken_dir = tmp_path / "broken"
    broken_dir.mkdir()
    broken = before + b"\n[[observation]]\nstate = 'VNM'\nyear = 20x4\n"
    (broken_dir / "observations.toml").write_bytes(broken)
    line = broken.count(b"\n")
    latin = write_file(tmp_path / "latin.csv", "state,indicator,year,value,source\nKHM,gdp,2024,1,café\n"
                       .encode("latin-1"))
    cases = [
        (["record", "VNM", "gdp", "2024", "NaN"], 1, "value"),
        (["record", "VNM", "digital-economy-share", "2024", "101"], 1),
        (["record", "--file", str(latin)], 1),
        (["record", "--bogus"], 2),
        (["record", "VNM", "gdp"], 2),
        (["status", "--format", "yaml"], 2),
        (["history", "Atlantis", "gdp"], 1),
        # a broken store: reported with file and line, never overwritten
        (["--data-dir", str(broken_dir), "record", "KHM", "gdp", "2024", "45"], 1, f"observations.toml:{line}:"),
        (["--data-dir", str(broken_dir), "status"], 1, f"observations.toml:{line}:"),
    ]
    argv = [sys.executable, "-m", "admtrack"]
    procs = [subprocess.Popen(argv + (c[0] if c[0][0] == "--data-dir" else ["--data-dir", str(data_dir), *c[0]]),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for c in cases]
    for p, (args, code, *needle) in zip(procs, cases):
        out, err = p.communicate(timeout=60)
        text = err.decode()
        assert p.returncode == code, (args, p.returncode, text)
        assert "Traceback" not in text + out.decode()
        lines = text.splitlines()
        assert len(lines) >= 1 and lines[0].startswith("admtrack: error:"), (args, text)
        assert len(lines) == 1 or all(ln.startswith("  ") for ln in lines[1:]), (args, text)
        assert all(n in lines[0] for n in needle), (args, text)
    assert store_bytes(data_dir) == before
    assert (broken_dir / "observations.toml").read_bytes() == broken
