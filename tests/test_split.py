"""A cold read of a big store in two processes (``store/split.py``) gives exactly what the one-process read
gives: the same entries (line numbers included), the same entries in force, the same index, the same
messages — and whatever the halves cannot vouch for is read in one process."""

from __future__ import annotations

import errno
import os
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from admtrack.errors import AdmError
from admtrack.model import Observation
from admtrack.store import HEADER, Store, serialise, split
from admtrack.store import cache as cache_mod

pytestmark = pytest.mark.skipif(sys.platform != "linux" or not hasattr(os, "memfd_create"),
                                reason="the two-process read is for Linux")

AT = "2026-01-02T03:04:05.123456Z"
STATES = ("VNM", "THA", "IDN")
INDICATORS = ("digital-economy-share", "gdp", "internet-users-share")
_READ = split.read


def _write(folder, entries, *, extra: str = "") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text, _ = serialise(entries, HEADER.count("\n") + 2)
    (folder / "observations.toml").write_text(HEADER + text + extra, encoding="utf-8")


def _entries(n: int = 60) -> list[Observation]:
    """Figures of several indicators in both halves, revisions and retractions across the middle, and
    texts that need escapes (the careful reader) in the second half only."""
    out = []
    for k in range(n):
        state, ind, year = STATES[k % 3], INDICATORS[k % 2 if k < n // 2 else k % 3], 2015 + k % 7
        source = f"src {k}" if k < n // 2 else f'src "{k}"\t\u00e9'
        out.append(Observation(state, ind, year, float(k % 40) + 0.5, source, "n" if k % 5 == 0 else None, AT,
                               obs_status="E" if k % 4 == 0 else None))
    out.append(Observation("VNM", "digital-economy-share", 2015, None, None, None, AT, retracted=True,
                           reason="withdrawn"))
    return out


def _load(folder, monkeypatch, *, halves: bool, vouch=None):
    """The store read cold, in halves or in one process; and whether the halves were used."""
    for name in (".observations.cache.json", ".observations.cache.data.json"):
        (folder / name).unlink(missing_ok=True)
    used = []
    read = _READ
    monkeypatch.setattr(split, "worth", lambda size: halves)
    monkeypatch.setattr(split, "read", lambda *a, **k: used.append(read(*a, **k)) or used[-1])
    loaded = Store(folder).load(vouch)
    return loaded, bool(used) and used[-1] is not None


def _same(a, b) -> None:
    assert [tuple(o) for o in a.rows] == [tuple(o) for o in b.rows]
    assert {k: tuple(o) for k, o in a.current.items()} == {k: tuple(o) for k, o in b.current.items()}
    assert (a.lines, a.canonical, a.verdict) == (b.lines, b.canonical, b.verdict)


def _vouch(rows):
    bad = [o for o in rows if o.state == "XXX"]
    if bad:
        raise AdmError(f"line {bad[0].line}: unknown state (and {len(bad) - 1} more)")
    return "fingerprint"


def test_halves_read_what_one_process_reads(tmp_path, monkeypatch):
    folder = tmp_path / "d"
    _write(folder, _entries())
    one, used = _load(folder, monkeypatch, halves=False, vouch=_vouch)
    assert not used
    two, used = _load(folder, monkeypatch, halves=True, vouch=_vouch)
    assert used
    _same(one, two)
    for ind in INDICATORS:  # each indicator's entries in force, before anything else is decoded
        fresh, _ = _load(folder, monkeypatch, halves=True, vouch=_vouch)
        assert {k: tuple(o) for k, o in fresh.part(ind).items()} == \
            {k: tuple(o) for k, o in one.current.items() if k[1] == ind}
    # the index the halves wrote is read back (warm) as the same store
    monkeypatch.setattr(split, "worth", lambda size: True)
    warm = Store(folder).load(_vouch)
    assert warm._view is not None and warm._rows is None
    _same(one, warm)


def test_an_index_that_cannot_be_written_still_gives_every_entry(tmp_path, monkeypatch):
    folder = tmp_path / "d"
    _write(folder, _entries())
    one, _ = _load(folder, monkeypatch, halves=False, vouch=_vouch)
    monkeypatch.setattr(cache_mod.Cache, "put", lambda self, *a, **k: False)
    two, used = _load(folder, monkeypatch, halves=True, vouch=_vouch)
    assert used and two._view is None
    _same(one, two)


@pytest.mark.parametrize("where", ["first", "second"])
def test_a_refused_entry_gives_the_one_process_message(tmp_path, monkeypatch, where):
    folder = tmp_path / "d"
    entries = _entries()
    at = 3 if where == "first" else len(entries) - 3
    entries[at] = entries[at]._replace(state="XXX")
    entries.append(entries[at]._replace(year=2016))
    _write(folder, entries)
    messages = []
    for halves in (False, True):
        with pytest.raises(AdmError) as info:
            _load(folder, monkeypatch, halves=halves, vouch=_vouch)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    assert not (folder / ".observations.cache.json").exists()  # no index for a store that fails


def test_a_store_not_in_admtracks_layout_is_read_in_one_process(tmp_path, monkeypatch):
    folder = tmp_path / "d"
    _write(folder, _entries(), extra='\n# a hand-written comment at the end\n')
    one, _ = _load(folder, monkeypatch, halves=False)
    two, used = _load(folder, monkeypatch, halves=True)
    assert not used and not two.canonical
    _same(one, two)


def test_a_failing_child_leaves_the_read_to_one_process(tmp_path, monkeypatch):
    folder = tmp_path / "d"
    _write(folder, _entries())
    one, _ = _load(folder, monkeypatch, halves=False)

    def broken(*a):
        raise MemoryError

    monkeypatch.setattr(split, "_second_half", broken)  # (the child is a copy of this process)
    two, used = _load(folder, monkeypatch, halves=True)
    assert not used
    _same(one, two)


def test_status_is_the_same_either_way(adm, data_dir, monkeypatch):
    _write(data_dir, [o for o in _entries() if o.indicator != "internet-users-share"])
    out = []
    used = []
    monkeypatch.setattr(split, "read", lambda *a, **k: used.append(_READ(*a, **k)) or used[-1])
    for halves in (False, True):
        monkeypatch.setattr(split, "worth", lambda size, on=halves: on)
        for command in (["status", "--format", "json"], ["export", "--all-revisions", "--format", "json"], ["check"]):
            for name in (".observations.cache.json", ".observations.cache.data.json"):
                (data_dir / name).unlink(missing_ok=True)
            out.append(adm.ok(*command).out)
    assert out[:3] == out[3:]
    assert used and all(used)  # every cold read above was read in halves


_entry = st.builds(
    lambda state, ind, year, value, retract: Observation(
        state, ind, year, None if retract else value, None if retract else "s", None, AT, retract,
        "why" if retract else None),
    st.sampled_from(STATES), st.sampled_from(INDICATORS), st.integers(2020, 2023),
    st.floats(0, 100, allow_nan=False), st.booleans())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.lists(_entry, min_size=1, max_size=30))
def test_halves_agree_on_any_store(tmp_path_factory, monkeypatch, entries):
    folder = tmp_path_factory.mktemp("d")
    _write(folder, entries)
    one, _ = _load(folder, monkeypatch, halves=False)
    two, _ = _load(folder, monkeypatch, halves=True)
    _same(one, two)


@pytest.mark.parametrize("trouble", ["fork", "full disk", "no unnamed files"])
def test_no_process_or_no_room_still_reads_the_store(tmp_path, monkeypatch, trouble):
    folder = tmp_path / "d"
    _write(folder, _entries())
    one, _ = _load(folder, monkeypatch, halves=False, vouch=_vouch)

    def refuse(*a, **k):
        raise OSError(errno.ENOSPC if trouble == "full disk" else errno.EAGAIN, "refused")

    if trouble == "fork":
        monkeypatch.setattr(os, "fork", refuse)
    elif trouble == "full disk":
        monkeypatch.setattr(split.Scratch, "add", refuse)
    else:  # the scratch files are kept in memory instead
        monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    two, used = _load(folder, monkeypatch, halves=True, vouch=_vouch)
    assert used == (trouble == "no unnamed files")
    _same(one, two)
