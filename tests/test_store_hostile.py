"""Hostile stores, caches and data folders (issue 14): no hang, no traceback, no lost or broken store.

Each test is the reproduction of one finding: a pattern that backtracks, a FIFO or a junk file where the
store or its cache belongs, a store in another TOML layout, a store behind a symbolic link, a lock file
deleted or replaced, a cache edited by hand, leftovers of a killed writer.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import time
import tomllib
from pathlib import Path

import pytest
from conftest import assert_clean_error, store_bytes, sub, write_file
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from admtrack.errors import AdmError
from admtrack.model import Observation
from admtrack.store import HEADER, Store, serialise
from admtrack.store import fs as fs_mod
from admtrack.store.codec import parse_store, read_fast, read_toml

AT = "2026-01-02T03:04:05.123456Z"
CACHE = ".observations.cache.json"
DATA = ".observations.cache.data.json"  # the index's pieces (the entries), beside it
LOCK = ".observations.lock"


def _store(*entries: Observation) -> bytes:
    text, _ = serialise(entries, HEADER.count("\n") + 2)
    return (HEADER + text).encode("utf-8")


def _obs(year: int = 2024, value: float = 18.3, source: str | None = "MIC", **kw) -> Observation:
    return Observation("VNM", "digital-economy-share", year, value, source, kw.pop("note", None), AT, **kw)


# ---- the fast reader: linear time whatever the text ----------------------------------------------------

def _entry_with(source_line: str) -> bytes:
    return (f'[[observation]]\nstate = "VNM"\nindicator = "gdp"\nyear = 2024\nvalue = 430.5\n{source_line}\n'
            f"recorded_at = {AT}\n").encode()


ADVERSARIAL = {
    "trailing comment": lambda n: _entry_with(f'source = "{"World Bank WDI NY.GDP, " * n}" # checked'),
    "trailing spaces": lambda n: _entry_with(f'source = "{"a b " * n}"   '),
    "unicode escapes": lambda n: _entry_with('source = "' + "caf\\u00e9 " * n + '" '),
    "unterminated": lambda n: _entry_with('source = "' + "x\\t" * n),
    "many blank lines": lambda n: b"\n" * (50 * n) + b"# x\n" + _entry_with('source = "s"') + b"\n" * (50 * n) + b"x",
}


def _seconds(data: bytes) -> float:
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        with contextlib.suppress(AdmError):
            parse_store(data, "s.toml")
        best = min(best, time.perf_counter() - t0)
    return best


@pytest.mark.parametrize("case", sorted(ADVERSARIAL))
def test_fast_reader_is_linear_on_adversarial_lines(case):
    make = ADVERSARIAL[case]
    small, large = _seconds(make(200)), _seconds(make(3200))  # 16 times longer
    # linear growth gives about 16x; allow for noise and fixed costs, refuse anything near quadratic
    assert large < 16 * 6 * max(small, 2e-4), (case, small, large)
    assert large < 2.0, (case, large)


def test_bundled_source_with_a_comment_reads_quickly(tmp_path, adm, data_dir):
    line = 'source = "World Bank WDI NY.GDP.MKTP.CD, release 2026-07" # checked'
    write_file(data_dir / "observations.toml", HEADER.encode() + b"\n" + _entry_with(line))
    t0 = time.perf_counter()
    [o] = adm.observations()
    assert o["source"] == "World Bank WDI NY.GDP.MKTP.CD, release 2026-07"
    assert time.perf_counter() - t0 < 5


# the differential test: whenever the fast reader reads a text, tomllib reads the same entries
_pieces = st.sampled_from([
    "", " ", "  ", "\t", "#", " # c", "\\u00e9", "\\ud83d\\ude00", "\\U0001F600", "\\/", "\\e", "\\", '"', "'",
    "\n", "\r\n", "-0", "+1", "1_0", "0x1", "1e400", "nan", "2026-02-30", "é", "\x7f", "\x85", "\u2028",
    # whole lines and headers: junk between entries, or a header where none belongs
    "[[observation]]", "x[[observation]]\n", "# junk\n", "\n\n", "value = 1.0\n", "recorded_at = 2026-02-30T",
    'source = "[[observation]]"\n', "2026-02-29T", "1e308\n", "9e308",
])

# with escapes and a -0 (read one entry at a time), and without (read by one comprehension)
_BASES = {
    "escapes": (_obs(2023, 16.5, note="est."), _obs(2024, -0.0, "src \"q\" \\ é"),
                Observation("VNM", "gdp", 2024, None, None, None, AT, retracted=True, reason="typo")),
    "plain": (_obs(2023, 16.5, note="est."), _obs(2024, 1e300, "src é", obs_status="E"),
              Observation("VNM", "gdp", 2024, None, None, None, "2024-02-29T12:00:00.000000Z", retracted=True,
                          reason="typo")),
    # every entry with the same lines (read column by column, ``codec._uniform``)
    "uniform": (_obs(2023, 16.5, "a"), _obs(2024, 1e300, "src é"), _obs(2025, -3.25, "b")),
    "uniform-every-line": (_obs(2023, 16.5, "a", note="n", obs_status="E"),
                           _obs(2024, 7.0, "src é", note="m", obs_status="p")),
}


@pytest.mark.parametrize("base", sorted(_BASES))
def test_fast_reader_reads_what_admtrack_writes(base, monkeypatch):
    from admtrack.store import codec

    built = []  # whether the chunk was built column by column
    uniform = codec._uniform
    monkeypatch.setattr(codec, "_uniform", lambda *a: built.append(uniform(*a)) or built[-1])
    text = _store(*_BASES[base]).decode("utf-8")
    fast = read_fast(text)
    assert (built != [] and built[0] is not None) == base.startswith("uniform")
    assert fast is not None
    assert [tuple(o) for o in fast] == [tuple(o) for o in read_toml(text, "s.toml")]
    assert [o.line for o in fast] == [n + 1 for n, line in enumerate(text.split("\n")) if line == "[[observation]]"]


@pytest.mark.parametrize("junk", ["x", "# c\n", "\n# c\n", "state = \"VNM\"\n", " "])
@pytest.mark.parametrize("where", ["start", "between", "end"])
def test_fast_reader_never_skips_junk(junk, where):
    """``findall`` skips what does not match: the counts must notice junk anywhere."""
    text = _store(*_BASES["plain"]).decode("utf-8")
    at = {"start": text.index("[[observation]]"), "between": text.index("[[observation]]", text.index("year")),
          "end": len(text)}[where]
    bad = text[:at] + junk + text[at:]
    fast = read_fast(bad)
    if fast is not None:  # a comment or a blank line is harmless: then it must read what tomllib reads
        assert [tuple(o) for o in fast] == [tuple(o) for o in read_toml(bad, "s.toml")]
    elif junk.strip() and not junk.strip().startswith("#"):
        with pytest.raises(AdmError):
            read_toml(bad, "s.toml")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), base=st.sampled_from(sorted(_BASES)))
def test_fast_reader_agrees_with_tomllib(data, base):
    text = _store(*_BASES[base]).decode("utf-8")
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 3))
        text = text[:at] + data.draw(_pieces) + text[at + cut:]
    fast = read_fast(text)
    if fast is None:
        return
    try:
        slow = read_toml(text, "s.toml")
    except AdmError as exc:
        raise AssertionError(f"the fast reader read what tomllib refuses: {exc}\n{text!r}") from None
    assert [tuple(o) for o in fast] == [tuple(o) for o in slow], text
    assert [str(o.value) for o in fast] == [str(o.value) for o in slow]  # -0.0 and 0.0 alike


# ---- regular files only ---------------------------------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("where", ["observations.toml", CACHE])
def test_a_fifo_never_hangs_a_command(tmp_path, where):
    folder = tmp_path / "data"
    folder.mkdir()
    if where == CACHE:
        (folder / "observations.toml").write_bytes(_store(_obs()))
    os.mkfifo(folder / where)
    r = sub("status", "--format", "json", data_dir=folder, timeout=60)
    if where == CACHE:
        assert r.code == 0, r.err  # a cache that is not a file is ignored
    else:
        assert_clean_error(r, 1, one_line=True, contains=("observations.toml", "FIFO"))


def test_store_that_is_a_folder_is_one_clear_line(adm, data_dir):
    (data_dir / "observations.toml").mkdir(parents=True)
    for args in (["status"], ["record", "VNM", "gdp", "2024", "1"], ["export"]):
        assert_clean_error(adm(*args), 1, one_line=True, contains=("observations.toml", "folder"))


def test_junk_cache_is_not_read_whole_and_is_replaced(adm, data_dir):
    adm.ok("record", "VNM", "gdp", "2024", "430.5")
    cache = data_dir / CACHE
    head = cache.read_bytes().split(b"\n", 1)[0]
    with open(cache, "wb") as fh:  # the right head, then 64 MiB of junk
        fh.write(head + b"\n")
        fh.truncate(64 << 20)
    reads = []
    real_read = os.read
    os_read = lambda fd, n: reads.append(n) or real_read(fd, n)  # noqa: E731
    import admtrack.store.cache as cache_mod

    cache_mod.os.read, saved = os_read, cache_mod.os.read
    try:
        [o] = adm.observations()
    finally:
        cache_mod.os.read = saved
    assert o["value"] == 430.5
    assert sum(reads) < 1 << 17, reads  # at most the head was read
    assert cache.stat().st_size < 1 << 16  # and a good cache written instead


# ---- a cache is never believed over the store ----------------------------------------------------------

def _tamper(cache: Path, old: bytes, new: bytes) -> None:
    data = cache.read_bytes()
    assert old in data, (old, data[:300])
    cache.write_bytes(data.replace(old, new))


@pytest.mark.parametrize("old,new", [
    (b"18.3", b"98.3"),
    (b'"VNM"', b'"XXX"'),
    (b'"MIC",null', b'"MIC"'),                       # a shortened row
    (b'2024,18.3', b'"2024",18.3'),                  # a wrong type
])
def test_edited_cache_changes_no_output(adm, data_dir, old, new):
    adm.ok("record", "VNM", "digital-economy-share", "2024", "18.3", "--source", "MIC")
    want = [adm.ok(*a).out for a in (["export", "--format", "json"], ["status", "--format", "json"],
                                     ["history", "VNM", "digital-economy-share", "--format", "json"])]
    _tamper(data_dir / DATA, old, new)
    got = [adm.ok(*a).out for a in (["export", "--format", "json"], ["status", "--format", "json"],
                                    ["history", "VNM", "digital-economy-share", "--format", "json"])]
    assert got == want
    adm.ok("check")


# ---- layouts admtrack cannot append to -----------------------------------------------------------------

INLINE = ('observation = [\n  {state = "VNM", indicator = "gdp", year = 2023, value = 400.0, source = "s", '
          f"recorded_at = {AT}}},\n]\n")


@pytest.mark.parametrize("text", [INLINE, "observation = []\n"], ids=["inline array", "empty inline array"])
def test_inline_array_store_is_read_but_never_broken(adm, data_dir, text):
    path = write_file(data_dir / "observations.toml", text)
    n = len(tomllib.loads(text)["observation"])
    assert len(adm.observations()) == n  # read (and cached)
    r = adm("record", "VNM", "gdp", "2024", "430.5")
    assert_clean_error(r, 1, one_line=True, contains=("observations.toml", "[[observation]]"))
    assert path.read_text(encoding="utf-8") == text
    assert len(adm.observations()) == n
    adm.ok("check")


def test_hand_written_array_of_tables_can_still_be_appended(adm, data_dir):
    text = ("[[observation]]\nstate = 'VNM'  # by hand\nindicator = 'gdp'\nyear = 2023\nvalue = 400\n"
            f"recorded_at = {AT}\n")
    write_file(data_dir / "observations.toml", text)
    adm.ok("record", "VNM", "gdp", "2024", "430.5")
    assert [o["year"] for o in adm.observations()] == [2023, 2024]


# ---- a store behind a symbolic link --------------------------------------------------------------------

def test_symlinked_store_is_written_through_to_its_target(adm, data_dir, tmp_path):
    shared = tmp_path / "synced"
    real = write_file(shared / "obs.toml", _store(_obs()))
    data_dir.mkdir()
    link = data_dir / "observations.toml"
    link.symlink_to(real)
    adm.ok("record", "VNM", "gdp", "2024", "430.5")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert [o["indicator"] for o in tomllib.loads(real.read_text())["observation"]] == ["digital-economy-share", "gdp"]
    assert len(adm.observations()) == 2
    assert not [p for p in shared.iterdir() if p.name.endswith(".tmp")]


def test_dangling_store_link_is_one_clear_line(adm, data_dir, tmp_path):
    data_dir.mkdir()
    (data_dir / "observations.toml").symlink_to(tmp_path / "unmounted" / "obs.toml")
    for args in (["status"], ["record", "VNM", "gdp", "2024", "1"]):
        assert_clean_error(adm(*args), 1, one_line=True, contains=("observations.toml", "symbolic link"))
    assert not (tmp_path / "unmounted").exists()


# ---- the lock file -------------------------------------------------------------------------------------

def _lock_cases(folder: Path, tmp_path: Path) -> dict:
    return {
        "a folder": lambda: (folder / LOCK).mkdir(),
        "a dangling symlink": lambda: (folder / LOCK).symlink_to(tmp_path / "nowhere"),
        "a symlink": lambda: (folder / LOCK).symlink_to(write_file(tmp_path / "elsewhere", b"")),
    }


@pytest.mark.parametrize("case", ["a folder", "a dangling symlink", "a symlink"])
def test_odd_lock_file_is_one_clear_line(adm, data_dir, tmp_path, case):
    adm.ok("record", "VNM", "gdp", "2023", "400")
    before = store_bytes(data_dir)
    (data_dir / LOCK).unlink()
    _lock_cases(data_dir, tmp_path)[case]()
    r = adm("record", "VNM", "gdp", "2024", "430.5")
    assert_clean_error(r, 1, one_line=True, contains=(LOCK, "remove it"))
    assert store_bytes(data_dir) == before


@pytest.mark.parametrize("err", [errno.EACCES, errno.EROFS])
def test_unwritable_data_folder_is_one_clear_line(adm, data_dir, monkeypatch, err):
    """Tests run as root, who may write anywhere: the refusals of the operating system are simulated."""
    adm.ok("record", "VNM", "gdp", "2023", "400")
    before = store_bytes(data_dir)
    (data_dir / LOCK).unlink()
    real_open = os.open

    def refuse(path, flags, *a, **kw):
        if str(path).endswith(LOCK):
            raise OSError(err, os.strerror(err), str(path))
        return real_open(path, flags, *a, **kw)

    monkeypatch.setattr(os, "open", refuse)
    r = adm("record", "VNM", "gdp", "2024", "430.5")
    assert_clean_error(r, 1, one_line=True, contains=(LOCK, "data folder"))
    monkeypatch.undo()
    assert store_bytes(data_dir) == before


def test_lock_file_of_another_user_still_locks(adm, data_dir, monkeypatch):
    adm.ok("record", "VNM", "gdp", "2023", "400")
    real_open = os.open

    def read_only(path, flags, *a, **kw):  # opening it for writing is refused, as for a 0644 file of another user
        if str(path).endswith(LOCK) and flags & os.O_RDWR:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *a, **kw)

    monkeypatch.setattr(os, "open", read_only)
    adm.ok("record", "VNM", "gdp", "2024", "430.5")


def test_unwritable_store_is_one_clear_line(adm, data_dir, monkeypatch):
    adm.ok("record", "VNM", "gdp", "2023", "400")
    before = store_bytes(data_dir)

    def refuse(*a, **kw):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(fs_mod.tempfile, "mkstemp", refuse)
    r = adm("record", "VNM", "gdp", "2024", "430.5")
    assert_clean_error(r, 1, one_line=True, contains=("observations.toml", "permission denied"))
    monkeypatch.undo()
    assert store_bytes(data_dir) == before


def test_lock_file_deleted_while_held_still_excludes(tmp_path):
    """A clean-up job deletes the lock file while a writer holds it: a second writer must still wait."""
    from admtrack.store.store import FolderLock, LockTimeout

    lock = tmp_path / LOCK
    with FolderLock(tmp_path, lock, 2.0):
        lock.unlink()
        t0 = time.monotonic()
        with pytest.raises(LockTimeout), FolderLock(tmp_path, lock, 0.3):
            pass
        assert time.monotonic() - t0 >= 0.3
    with FolderLock(tmp_path, lock, 0.3):  # released: free again
        pass


# ---- entries that SPEC §2.2 forbids in the store ---------------------------------------------------------

def _entry(**fields: str) -> str:
    base = {"state": '"VNM"', "indicator": '"gdp"', "year": "2023", "value": "400.0", "recorded_at": AT}
    base.update(fields)
    return "[[observation]]\n" + "".join(f"{k} = {v}\n" for k, v in base.items() if v is not None)


@pytest.mark.parametrize("fields,needle", [
    ({"recorded_at": None}, "recorded_at"),
    ({"value": '"476.5"'}, "value"),
    ({"year": "1" * 5000}, "digits"),
    ({"value": "1" * 5000}, "digits"),
    ({"year": "1" * 4000}, "year"),
    ({"value": "1" * 400}, "value"),
], ids=["no recorded_at", "value as text", "year of 5000 digits", "value of 5000 digits", "year of 4000 digits",
        "value beyond float"])
def test_forbidden_store_entries_are_errors(adm, data_dir, fields, needle):
    text = _store(_obs()).decode() + "\n" + _entry(**fields)
    path = write_file(data_dir / "observations.toml", text)
    for args in (["status"], ["check"], ["record", "VNM", "gdp", "2024", "1"],
                 ["retract", "VNM", "digital-economy-share", "2024", "--reason", "x"]):
        r = adm(*args)
        assert_clean_error(r, 1, contains=("observations.toml", needle))
        assert "Exceeds the limit" not in r.err
    assert path.read_text() == text


@pytest.mark.parametrize("args", [
    ["record", "VNM", "gdp", "1" * 5000, "1"],
    ["record", "VNM", "gdp", "2024", "1" * 5000],
    ["retract", "VNM", "gdp", "1" * 5000, "--reason", "x"],
    ["history", "VNM", "gdp", "--as-of", "1" * 5000],
])
def test_huge_numbers_on_the_command_line(adm, data_dir, args):
    r = adm(*args)
    assert r.code in (1, 2) and "Traceback" not in r.err and "Exceeds" not in r.err, r.err


def test_huge_numbers_in_an_input_file(adm, data_dir, tmp_path):
    f = write_file(tmp_path / "in.csv",
                   f"state,indicator,year,value\nVNM,gdp,{'1' * 5000},1\nVNM,gdp,2024,{'2' * 5000}\n")
    r = adm("record", "--file", f)
    assert_clean_error(r, 1, contains=("in.csv:2: year", "in.csv:3: value"))
    assert "Exceeds" not in r.err


# ---- leftovers of a killed writer ---------------------------------------------------------------------

def test_stale_temporaries_are_cleaned_up_under_the_lock(adm, data_dir):
    adm.ok("record", "VNM", "gdp", "2023", "400")
    old = time.time() - 3600
    stale = [write_file(data_dir / ".observations.toml.k1ll3d.tmp", b"half a store"),
             write_file(data_dir / f".{CACHE}.k1ll3d.tmp", b"half a cache")]
    for p in stale:
        os.utime(p, (old, old))
    fresh = write_file(data_dir / f".{CACHE}.wr1t1ng.tmp", b"a reader writing the cache now")
    other = write_file(data_dir / "notes.tmp", b"not ours")
    adm.ok("record", "VNM", "gdp", "2024", "430.5")
    assert not any(p.exists() for p in stale)
    assert fresh.exists() and other.exists()


def test_transaction_returns_what_decide_returned(tmp_path):
    from admtrack.rules import Decision

    s = Store(tmp_path)
    d = s.transact(lambda loaded: Decision([_obs()], recorded=1), verdict="plan X")
    assert d.recorded == 1
    loaded = s.load()
    assert loaded.verdict == "plan X" and [o.line for o in loaded.rows] == [4]
    s.remember(loaded, "plan Y")
    assert s.load().verdict == "plan Y"
    # a verdict is not remembered for a store that changed since it was read
    stale = s.load()
    s.transact(lambda loaded: Decision([_obs(2023)]))
    s.remember(stale, "plan Z")
    assert s.load().verdict is None
    json.loads((tmp_path / CACHE).read_text())  # still one JSON document


# ---- the index is never believed over the store (issue 13) ----------------------------------------------

def test_a_changed_digit_with_the_same_size_and_mtime_changes_the_report(adm, data_dir):
    """A hand edit that keeps the store's size, mtime (and inode): the content hash still tells."""
    adm.ok("record", "VNM", "digital-economy-share", "2024", "18.3", "--source", "MIC")
    adm.ok("record", "VNM", "digital-economy-share", "2023", "16.5", "--source", "MIC")
    before = adm.ok("status", "--format", "json").out
    assert (data_dir / CACHE).exists()  # the index describes this store
    path = data_dir / "observations.toml"
    st = path.stat()
    data = path.read_bytes()
    assert data.count(b"value = 18.3\n") == 1
    with open(path, "r+b") as fh:  # in place: same inode, same size
        fh.write(data.replace(b"value = 18.3\n", b"value = 19.3\n"))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    now = path.stat()
    assert (now.st_size, now.st_mtime_ns, now.st_ino) == (st.st_size, st.st_mtime_ns, st.st_ino)
    after = adm.ok("status", "--format", "json").out
    assert after != before
    assert "19.3" in after and "18.3" not in after
    [o] = [o for o in adm.observations() if o["year"] == 2024]
    assert o["value"] == 19.3


def _flip_digit(data: bytes, start: int) -> bytes:
    at = start + next(i for i, c in enumerate(data[start:]) if chr(c).isdigit())
    return data[:at] + bytes([ord("0") + (data[at] - ord("0") + 1) % 10]) + data[at + 1:]


@pytest.mark.parametrize("where", ["index", "current", "rows"])
def test_a_damaged_piece_of_the_index_is_not_believed(adm, data_dir, where):
    """Flip one digit in the index, or inside a piece it lists: the output is the store's, and a record
    after it still leaves a consistent store and index."""
    adm.ok("record", "VNM", "digital-economy-share", "2024", "18.3", "--source", "MIC")
    adm.ok("record", "VNM", "gdp", "2024", "430.5", "--source", "GSO")
    reads = (["status", "--format", "json"], ["export", "--format", "json"],
             ["history", "VNM", "gdp", "--format", "json"], ["history", "VNM", "digital-economy-share"])
    want = [adm.ok(*a).out for a in reads]
    main = data_dir / CACHE
    data = data_dir / DATA
    text = main.read_bytes()
    start = text.index(b'\n"index":')
    index = json.loads(text[start + len(b'\n"index":'):-2])
    if where == "index":
        target, flipped = main, _flip_digit(text, start)
    else:
        piece = index["current"]["digital-economy-share"] if where == "current" else index["rows"][0]
        target, flipped = data, _flip_digit(data.read_bytes(), piece[0])
    target.write_bytes(flipped)
    got = [adm.ok(*a).out for a in reads]
    assert got == want
    target.write_bytes(flipped)
    adm.ok("record", "VNM", "gdp", "2023", "400.5", "--source", "GSO")
    adm.ok("record", "VNM", "digital-economy-share", "2023", "16.5", "--source", "MIC")
    assert len(adm.observations()) == 4
    assert [o["value"] for o in adm.observations() if o["indicator"] == "digital-economy-share"] == [18.3, 16.5]
    adm.ok("check")


def test_many_records_keep_the_index_small_and_right(adm, data_dir):
    """Records add pieces in place; garbage is bounded by a full rewrite; every read agrees with a parse."""
    for year in range(1995, 2025):
        adm.ok("record", "VNM", "gdp", str(year), str(100 + year % 7), "--source", "GSO")
    cached = adm.observations()
    assert len(cached) == 30
    for p in data_dir.iterdir():
        if "cache" in p.name:
            p.unlink()
    assert adm.observations() == cached
