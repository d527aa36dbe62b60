"""The observation store (SPEC §2.2): file format, exact text round-trips, the cache, and a store that
does not parse never being overwritten."""

from __future__ import annotations

import json
import os
import stat
import tomllib
from datetime import datetime
from pathlib import Path

import pytest
from conftest import YEAR, assert_clean_error, store_bytes, store_doc, write_file
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from admtrack.errors import AdmError
from admtrack.model import Observation
from admtrack.rules import Decision
from admtrack.store import Store, parse_store, serialise

HARD_TEXTS = [
    'say "hello"',
    "two\nlines\n\nand a blank one",
    "a tab\there",
    "]] closing brackets [[observation]]",
    '"""triple quotes""" and \'\'\'literal\'\'\'',
    "back\\slash \\n not a newline \\u0041 \\",
    "=SUM(A1:A9)",
    "+1-2",
    "-cmd|' /C calc'!A0",
    "@SUM(1)",
    "key = \"value\"\n[plan]\nid = 'x'",
    "# not a comment",
    "ข้อมูลเศรษฐกิจดิจิทัล (ไทย)",
    "Kinh tế số Việt Nam: Bộ Thông tin và Truyền thông",
    "东盟数字总体规划 2030 · 數位經濟",
    "emoji 📈🇻🇳👩🏽‍💻 and a zero-width joiner",
    "\u2028line separator\u2029paragraph separator",
    "\ufeffleading BOM character",
    "  leading and trailing spaces  ",
    "x" * 10_000,
]


@pytest.mark.parametrize("text", HARD_TEXTS, ids=range(len(HARD_TEXTS)))
def test_hostile_text_round_trips_exactly(adm, data_dir, text):
    adm.ok("record", "VNM", "gdp", "2024", "430.1", "--source", text, "--note", text[::-1])
    [o] = adm.observations()
    assert o["source"] == text and o["note"] == text[::-1]
    [t] = store_doc(data_dir)  # tomllib parses the store
    assert t["source"] == text and t["note"] == text[::-1]
    # the same text again is recognised as the same figure
    assert adm.ok("record", "VNM", "gdp", "2024", "430.1", "--source", text, "--note", text[::-1]).err.startswith(
        "unchanged")


def test_hostile_text_round_trips_through_a_batch_and_a_retraction(adm, data_dir, tmp_path):
    rows = [{"state": "VNM", "indicator": "gdp", "year": 1990 + i, "value": 1.5 + i, "source": t, "note": t}
            for i, t in enumerate(HARD_TEXTS)]
    f = write_file(tmp_path / "hostile.json", json.dumps(rows, ensure_ascii=False))
    adm.ok("record", "--file", f)
    adm.ok("retract", "VNM", "gdp", "1990", "--reason", HARD_TEXTS[4])
    obs = adm.observations()
    assert [(o["source"], o["note"]) for o in obs[:-1]] == [(t, t) for t in HARD_TEXTS]
    assert obs[-1]["reason"] == HARD_TEXTS[4]
    assert len(store_doc(data_dir)) == len(HARD_TEXTS) + 1


def test_store_layout(adm, data_dir):
    adm.ok("record", "SGP", "gdp", "2024", "547.4", "--source", "SingStat")
    adm.ok("record", "SGP", "gdp", "2023", "1e3", "--source", "SingStat", "--note", "n")
    raw = store_bytes(data_dir).decode("utf-8")
    assert raw.startswith("#")  # a comment header, then [[observation]] tables
    doc = tomllib.loads(raw)
    assert set(doc) == {"observation"}
    first, second = doc["observation"]
    assert first == {"state": "SGP", "indicator": "gdp", "year": 2024, "value": 547.4, "source": "SingStat",
                     "recorded_at": first["recorded_at"]}
    assert isinstance(first["recorded_at"], datetime) and first["recorded_at"].utcoffset().total_seconds() == 0
    assert second["value"] == 1000.0 and isinstance(second["value"], float) and second["note"] == "n"
    # the lock and any cache live beside it, hidden; no temporary files are left behind
    names = sorted(p.name for p in data_dir.iterdir())
    assert "observations.toml" in names
    assert all(n == "observations.toml" or n.startswith(".") for n in names), names
    assert not [n for n in names if n.endswith(".tmp")], names


def test_append_only_previous_bytes_are_a_prefix(adm, data_dir):
    adm.ok("record", "SGP", "gdp", "2024", "547.4", "--source", "SingStat")
    before = store_bytes(data_dir)
    adm.ok("record", "SGP", "gdp", "2024", "550", "--source", "SingStat", "--revise")
    adm.ok("retract", "SGP", "gdp", "2024", "--reason", "why not")
    after = store_bytes(data_dir)
    assert after.startswith(before) and len(after) > len(before)


def test_store_mode_is_kept(adm, data_dir):
    adm.ok("record", "SGP", "gdp", "2024", "547.4", "--source", "SingStat")
    os.chmod(data_dir / "observations.toml", 0o600)
    adm.ok("record", "SGP", "gdp", "2023", "500", "--source", "SingStat")
    assert stat.S_IMODE(os.stat(data_dir / "observations.toml").st_mode) == 0o600


def test_hand_edited_store_is_read_and_stale_or_garbage_cache_ignored(adm, data_dir):
    adm.ok("record", "SGP", "gdp", "2024", "547.4", "--source", "SingStat")
    assert len(adm.observations()) == 1
    # a hand edit: the cache must not hide it
    with open(data_dir / "observations.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[[observation]]\nstate = "SGP"\nindicator = "gdp"\nyear = 2022\nvalue = 500.0\n'
                 'source = "by hand"\nrecorded_at = 2026-01-02T03:04:05Z\n')
    obs = adm.observations()
    assert [o["year"] for o in obs] == [2024, 2022] and obs[1]["recorded_at"] == "2026-01-02T03:04:05.000000Z"
    # a corrupt or foreign cache is ignored, never trusted, never fatal
    caches = [p for p in data_dir.iterdir() if "cache" in p.name]
    for p in caches:
        p.write_bytes(b"\x80\x04garbage that is not JSON")
    assert [o["year"] for o in adm.observations()] == [2024, 2022]
    for p in caches:
        p.write_text(json.dumps({"key": {}, "entries": [["SGP", "gdp", 1999, 1.0, "fake", None, None]]}))
    assert [o["year"] for o in adm.observations()] == [2024, 2022]


def test_cache_is_json_not_pickle(adm, data_dir):
    adm.ok("record", "SGP", "gdp", "2024", "547.4", "--source", "SingStat")
    adm.observations()
    for p in data_dir.iterdir():
        if p.name.startswith(".") and p.stat().st_size:
            json.loads(p.read_text(encoding="utf-8"))


# ---- a store that does not parse -------------------------------------------------------------------

GOOD_ENTRY = ('[[observation]]\nstate = "VNM"\nindicator = "gdp"\nyear = 2024\nvalue = 430.0\nsource = "x"\n'
              'recorded_at = 2026-01-02T03:04:05.000006Z\n\n')

BROKEN_STORES = {
    # name: (text, line reported)
    "syntax": (GOOD_ENTRY + '[[observation]]\nstate = "VNM"\nindicator = "gdp\nyear = 2023\n', 11),
    "torn-append": (GOOD_ENTRY + '[[observation]]\nstate = "VNM"\nindicator = "gdp"\nyear = 2023\nvalue = 8.5\n'
                    'source = "Minis', 14),
    "unknown-key": (GOOD_ENTRY + '[[observation]]\nstate = "VNM"\nindicator = "gdp"\nyear = 2023\nvalue = 1.0\n'
                    'colour = "red"\n', 9),
    "bad-year-type": (GOOD_ENTRY + '[[observation]]\nstate = "VNM"\nindicator = "gdp"\nyear = "2023"\nvalue = 1.0\n',
                      9),
    "nan-value": (GOOD_ENTRY + '[[observation]]\nstate = "VNM"\nindicator = "gdp"\nyear = 2023\nvalue = nan\n', 9),
    "unknown-state": (GOOD_ENTRY + '[[observation]]\nstate = "XYZ"\nindicator = "gdp"\nyear = 2023\nvalue = 1.0\n',
                      9),
    "out-of-range": (GOOD_ENTRY + '[[observation]]\nstate = "VNM"\nindicator = "digital-economy-share"\n'
                     'year = 2023\nvalue = 120.0\n', 9),
    "control-char": (GOOD_ENTRY + '[[observation]]\nstate = "VNM"\nindicator = "gdp"\nyear = 2023\nvalue = 1.0\n'
                     'note = "bell\\u0007"\n', 9),
    # admtrack's own layout (the fast reader's): a retraction says why, and only a retraction has a reason
    "retraction-without-reason": (GOOD_ENTRY + '[[observation]]\nstate = "VNM"\nindicator = "gdp"\nyear = 2023\n'
                                  'retracted = true\nrecorded_at = 2026-01-02T03:04:05.000006Z\n', 9),
    "retraction-with-empty-reason": (GOOD_ENTRY + '[[observation]]\nstate = "VNM"\nindicator = "gdp"\nyear = 2023\n'
                                     'retracted = true\nreason = ""\nrecorded_at = 2026-01-02T03:04:05.000006Z\n', 9),
    "reason-without-retraction": (GOOD_ENTRY + '[[observation]]\nstate = "VNM"\nindicator = "gdp"\nyear = 2023\n'
                                  'value = 1.0\nreason = "x"\nrecorded_at = 2026-01-02T03:04:05.000006Z\n', 9),
    "byte-order-mark": ("\ufeff" + GOOD_ENTRY, 1),
    "not-utf8": (GOOD_ENTRY + '[[observation]]\nstate = "VNM"\nindicator = "gdp"\nyear = 2023\nvalue = 1.0\n'
                 'note = "caf\xe9"\n', 14),
}


def _commands(tmp_path: Path) -> list[list]:
    f = write_file(tmp_path / "one.csv", "state,indicator,year,value\nKHM,gdp,2024,45\n")
    return [
        ["record", "KHM", "gdp", "2024", "45"],
        ["record", "KHM", "gdp", "2024", "45", "--dry-run"],
        ["record", "--file", f],
        ["retract", "VNM", "gdp", "2024", "--reason", "x"],
        ["status"],
        ["gaps", "--format", "json"],
        ["export", "--format", "json"],
        ["history", "VNM", "gdp"],
        ["targets"],
        ["states", "-f", "json"],
    ]


@pytest.mark.parametrize("kind", sorted(BROKEN_STORES))
def test_broken_store_is_never_overwritten(adm, data_dir, tmp_path, kind):
    text, line = BROKEN_STORES[kind]
    raw = text.encode("latin-1") if kind == "not-utf8" else text.encode("utf-8")
    path = write_file(data_dir / "observations.toml", raw)
    mtime = os.stat(path).st_mtime_ns
    without_line = []
    for cmd in _commands(tmp_path) + [["check"]]:
        r = adm(*cmd)
        assert_clean_error(r, 1, contains="observations.toml")
        assert path.read_bytes() == raw, cmd
        if f"observations.toml:{line}:" not in r.err:
            without_line.append((cmd[0], r.err.strip()))
    assert os.stat(path).st_mtime_ns == mtime
    assert not without_line, f"file and line (:{line}) not reported: {without_line}"


def test_check_reports_every_store_problem(adm, data_dir):
    at = "recorded_at = 2026-01-02T03:04:05.000006Z\n"
    text = (GOOD_ENTRY
            + '[[observation]]\nstate = "XYZ"\nindicator = "gdp"\nyear = 2023\nvalue = 1.0\n' + at + '\n'    # 9
            + '[[observation]]\nstate = "VNM"\nindicator = "nope"\nyear = 2023\nvalue = 1.0\n' + at + '\n'   # 16
            + '[[observation]]\nstate = "VNM"\nindicator = "gdp"\nyear = 1985\nvalue = 1.0\n' + at + '\n'    # 23
            + '[[observation]]\nstate = "VNM"\nindicator = "population"\nyear = 2020\nvalue = -3.0\n' + at)  # 30
    write_file(data_dir / "observations.toml", text)
    r = adm("check")
    assert_clean_error(r, 1, contains=("4 problem(s)",))
    for line, fld in ((9, "state"), (16, "indicator"), (23, "year"), (30, "value")):
        assert f"observations.toml:{line}: {fld}:" in r.err, (line, r.err)


def test_check_lists_wrong_entries_beside_the_plan_problems_of_the_others(adm, data_dir):
    """An entry that cannot be read (no recorded_at, a NaN, an unknown key) does not hide the others'
    problems; with a broken plan the store is not called ok, it is read and not checked against it."""
    at = "recorded_at = 2026-01-02T03:04:05.000006Z\n"
    text = (GOOD_ENTRY
            + '[[observation]]\nstate = "XYZ"\nindicator = "gdp"\nyear = 2023\nvalue = 1.0\n' + at + '\n'    # 9
            + '[[observation]]\nstate = "VNM"\nindicator = "gdp"\nyear = 2022\nvalue = 1.0\n\n'              # 16
            + '[[observation]]\nstate = "VNM"\nindicator = "gdp"\nyear = 2021\nvalue = nan\n' + at + '\n'    # 22
            + '[[observation]]\nstate = "VNM"\nindicator = "gdp"\nyear = 2020\nvalue = 1.0\ncolour = "red"\n'
            + at)                                                                                               # 29
    write_file(data_dir / "observations.toml", text)
    r = adm("check")
    assert_clean_error(r, 1, contains=("4 problem(s)",))
    for line, fld in ((9, "state"), (16, "recorded_at"), (22, "value"), (29, "colour")):
        assert f"observations.toml:{line}: {fld}:" in r.err, (line, r.err)
    write_file(data_dir / "observations.toml", GOOD_ENTRY)
    write_file(data_dir / "targets.toml", 'colour = "red"\n')
    r = adm("check")
    assert r.code == 1 and "colour" in r.err
    assert "not checked against the plan" in r.out and "ok  " + str(data_dir / "observations.toml") not in r.out


def test_check_flags_a_future_year_in_a_hand_edited_store(adm, data_dir):
    text = GOOD_ENTRY + (f'[[observation]]\nstate = "VNM"\nindicator = "gdp"\nyear = {YEAR + 5}\nvalue = 1.0\n'
                         "recorded_at = 2026-01-02T03:04:05Z\n")
    write_file(data_dir / "observations.toml", text)
    r = adm("check")
    assert_clean_error(r, 1, contains=("observations.toml:9: year:",))


def test_hand_written_toml_styles_are_read(adm, data_dir):
    text = ("[[observation]]\nstate = 'VNM'\nindicator = \"\"\"gdp\"\"\"\nyear = 2_024\nvalue = 430\n"
            "source = '''multi\nline'''\nrecorded_at = 2026-01-02T10:04:05+07:00\n\n"
            "[[observation]]\nstate = \"VNM\"\nindicator = \"gdp\"\nyear = 2023\nretracted = true\n"
            "reason = \"typo\"\nrecorded_at = 2026-01-02T03:04:05Z\n")
    write_file(data_dir / "observations.toml", text)
    obs = adm.observations()
    assert obs[0]["value"] == 430.0 and obs[0]["source"] == "multi\nline"
    assert obs[0]["recorded_at"].startswith("2026-01-02T03:04:05")
    assert obs[1]["retracted"] is True and obs[1]["value"] is None
    adm.ok("check")


# ---- the Store API --------------------------------------------------------------------------------

def test_transact_abort_writes_nothing(tmp_path):
    s = Store(tmp_path)

    def boom(existing):
        raise AdmError("no")

    with pytest.raises(AdmError):
        s.transact(boom)
    assert not (tmp_path / "observations.toml").exists()
    e = Observation("VNM", "gdp", 2024, 1.0, "s", None, "2026-01-01T00:00:00.000000Z")
    s.transact(lambda existing: Decision([e]))
    raw = (tmp_path / "observations.toml").read_bytes()
    with pytest.raises(AdmError):
        s.transact(boom)
    assert (tmp_path / "observations.toml").read_bytes() == raw
    assert [x.key for x in s.load().rows] == [("VNM", "gdp", 2024)]
    assert s.load().rows[0].line is not None


def test_parse_store_reports_line_of_each_entry(tmp_path):
    stamp = "2026-01-01T00:00:00.000000Z"
    entries = [Observation("VNM", "gdp", 2000 + i, float(i), "s\nt", "n" if i % 2 else None, stamp)
               for i in range(5)]
    prefix = "# a\n# b\n"
    # the caller passes the line where the first [[observation]] header lands (a blank line precedes it)
    text, lines = serialise(entries, prefix.count("\n") + 2)
    raw = (prefix + text).encode()
    parsed = parse_store(raw, Path("obs.toml")).rows
    assert [p.line for p in parsed] == lines
    split = raw.decode().split("\n")
    assert all(split[ln - 1] == "[[observation]]" for ln in lines)


# ---- property: whatever text passes the checks, serialise() writes TOML that tomllib reads back -----

def _valid_char(c: str) -> bool:
    import unicodedata

    cat = unicodedata.category(c)
    return c in "\t\n" or cat not in ("Cc", "Cs")


valid_text = st.text(st.characters(codec=None).filter(_valid_char), max_size=60)
maybe_text = st.none() | valid_text
finite = st.floats(allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(maybe_text, maybe_text, finite, st.integers(1990, YEAR), st.booleans(), maybe_text),
                min_size=1, max_size=5))
def test_serialise_round_trips_through_tomllib(rows):
    entries = []
    for source, note, value, year, retracted, reason in rows:
        if retracted:
            entries.append(Observation("VNM", "gdp", year, None, None, None, "2026-11-22T01:02:03.456789Z",
                                 retracted=True, reason=reason if (reason or "").strip() else "withdrawn"))
        else:
            entries.append(Observation("VNM", "gdp", year, value, source, note, "2026-11-22T01:02:03.456789Z"))
    text, lines = serialise(entries, 2)  # header of the first entry: line 2, after a blank line
    doc = tomllib.loads(text)["observation"]
    assert len(doc) == len(entries)
    for e, d in zip(entries, doc):
        assert d.get("source") == e.source and d.get("note") == e.note
        assert d["year"] == e.year
        if e.retracted:
            assert d["retracted"] is True and d.get("reason") == e.reason and "value" not in d
        else:
            assert d["value"] == e.value and str(d["value"]) == str(e.value)  # bit-exact, -0.0 included
    back = parse_store(text.encode("utf-8"), Path("x.toml")).rows

    def opt(t):  # the store reads an empty text as absent, as check_text does on the way in
        return t or None

    assert [(b.source, b.note, b.value, b.reason, b.line) for b in back] == \
        [(opt(e.source), opt(e.note), e.value, opt(e.reason), ln) for e, ln in zip(entries, lines)]


def test_entry_lines_stay_right_through_the_cache(adm, data_dir, tmp_path):
    """Lines reported for stored entries are the lines of their [[observation]] headers, whether the entries
    come from a fresh parse or from the cache written by the last writer."""
    adm.ok("record", "VNM", "gdp", "2022", "5", "--source", "multi\nline\nsource")
    adm.ok("record", "--file", write_file(tmp_path / "two.csv", "state,indicator,year,value,note\n"
                                          'VNM,gdp,2023,50,"a\nb"\nVNM,gdp,2024,500,\n'))
    adm.ok("retract", "VNM", "gdp", "2022", "--reason", "x")
    adm.ok("record", "VNM", "gdp", "2022", "600", "--source", "y")
    raw = store_bytes(data_dir).decode()
    headers = [n for n, ln in enumerate(raw.split("\n"), start=1) if ln == "[[observation]]"]
    assert len(headers) == 5
    adm.ok("init")
    plan = data_dir / "targets.toml"
    text = plan.read_text(encoding="utf-8").replace('id = "gdp"\n', 'id = "gdp"\nmax = 10\n', 1)
    assert text != plan.read_text(encoding="utf-8")
    plan.write_text(text, encoding="utf-8")
    for attempt in ("cached", "fresh"):
        if attempt == "fresh":
            for p in data_dir.iterdir():
                if "cache" in p.name:
                    p.unlink()
        r = adm("check", no_reference=True)
        assert_clean_error(r, 1, contains="3 problem(s)")
        for n in (headers[1], headers[2], headers[4]):
            assert f"observations.toml:{n}: value:" in r.err, (attempt, n, r.err)
