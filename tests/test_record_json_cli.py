"""`record --file` of a JSON array whose items hold what JSON parsers accept but admtrack refuses — a key
given twice, NaN or Infinity (SPEC §3, §7 "Bad input"): every bad row is listed with its 1-based item
number and field, as JSON Lines lists them with their line, and nothing is written."""

from __future__ import annotations

import pytest
from conftest import assert_clean_error, store_bytes, write_file

ITEMS = [
    '{"state":"KHM","indicator":"gdp","year":2021,"value":-1}',
    '{"state":"KHM","indicator":"gdp","year":2022,"value":1}',
]
NEGATIVE = "value: must be at least 0 for usd-bn, got -1"
TWICE = "key 'value' appears twice in one object"


@pytest.mark.parametrize(
    "third, reason",
    [
        ('{"state":"KHM","indicator":"gdp","year":2023,"value":1,"value":2}', TWICE),
        ('{"state":"KHM","indicator":"gdp","year":2023,"value":NaN}', "NaN is not a finite number"),
        ('{"state":"KHM","indicator":"gdp","year":2023,"value":-Infinity}', "-Infinity is not a finite number"),
    ],
)
@pytest.mark.parametrize("stdin", [False, True])
def test_a_json_array_lists_the_item_beside_the_other_bad_rows(adm, tmp_path, data_dir, seeded, third, reason, stdin):
    text = "[" + ",".join([*ITEMS, third]) + "]"
    if stdin:  # the format is sniffed: an array with a constant in it is still one JSON document
        r, name = adm("record", "--file", "-", stdin=text.encode()), "<stdin>"
    else:
        name = str(write_file(tmp_path / "x.json", text))
        r = adm("record", "--file", name)
    assert_clean_error(r, 1, contains=f"{name}: 2 bad row(s), nothing recorded")
    assert r.err.splitlines()[1:] == [f"  {name}: item 1: {NEGATIVE}", f"  {name}: item 3: value: {reason}"]
    assert store_bytes(data_dir) == seeded


def test_json_lines_name_the_line(adm, tmp_path, data_dir, seeded):
    lines = [*ITEMS, '{"state":"KHM","indicator":"gdp","year":2023,"value":1,"value":2}',
             '{"state":"KHM","indicator":"gdp","year":2024,"value":NaN}']
    name = str(write_file(tmp_path / "x.jsonl", "\n".join(lines) + "\n"))
    r = adm("record", "--file", name)
    assert_clean_error(r, 1, contains=f"{name}: 3 bad row(s), nothing recorded")
    assert r.err.splitlines()[1:] == [
        f"  {name}:1: {NEGATIVE}",
        f"  {name}:3: value: {TWICE}",
        f"  {name}:4: value: NaN is not a finite number",  # named by its key, as in a JSON array
    ]
    assert store_bytes(data_dir) == seeded
