"""The streamed JSON writer writes exactly what ``json.dumps(indent=2)`` writes, whatever the items."""

from __future__ import annotations

import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from admtrack.render import machine

_scalar = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.text(max_size=12),
                    st.floats(allow_nan=False, allow_infinity=False))
_item = st.dictionaries(st.text(max_size=6), st.one_of(_scalar, st.lists(_scalar, max_size=3),
                                                       st.dictionaries(st.text(max_size=3), _scalar, max_size=2)),
                        max_size=5)


@settings(max_examples=150, deadline=None)
@given(items=st.lists(_item, max_size=12), batch=st.integers(1, 5), head=st.dictionaries(
    st.sampled_from(["schema", "as_recorded", "x"]), _scalar, max_size=3))
def test_streamed_json_is_json_dumps(items, batch, head):
    buf = io.StringIO()
    real = machine.out
    machine.out = lambda: buf
    try:
        machine.write_json_items(head, "observations", iter(items), batch=batch)
    finally:
        machine.out = real
    assert buf.getvalue() == json.dumps({**head, "observations": items}, ensure_ascii=False, indent=2) + "\n"
