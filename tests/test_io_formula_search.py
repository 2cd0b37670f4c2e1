"""``sheetxml.may_hold_formula`` answers what the two-byte searches answer, on any bytes and any
range: its one-by-one look at each ``f`` and its fall-back past ``RARE_F`` of them."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sachstand.io import sheetxml

_BYTES = st.lists(st.sampled_from([b"<", b":", b"f", b">", b"a", b" ", b"</", b"<f>", b"<x:f ", b"ff"]),
                  max_size=60).map(b"".join)


def _expected(data: bytes, start: int, end: int, plain: bool) -> bool:
    if plain:
        return data.find(b"<f>", start, end) >= 0
    return data.find(b"<f", start, end) >= 0 or data.find(b":f", start, end) >= 0


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=_BYTES, cut=st.tuples(st.integers(0, 70), st.integers(0, 70)), plain=st.booleans(),
       rare=st.sampled_from([1, 2, sheetxml.RARE_F]))
def test_it_agrees_with_the_pair_searches(data: bytes, cut: tuple[int, int], plain: bool, rare: int,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    start, end = min(cut), max(cut)
    with monkeypatch.context() as m:
        m.setattr(sheetxml, "RARE_F", rare)
        assert sheetxml.may_hold_formula(data, start, end, plain) is _expected(data, start, end, plain)
        if start == 0:
            assert sheetxml.may_hold_formula(data, plain=plain) is _expected(data, 0, len(data), plain)


@pytest.mark.parametrize(("data", "found"), [
    (b'<c r="A1"><v>1</v></c>', False),
    (b'<c r="A1"><f>1+1</f><v>2</v></c>', True),
    (b'<x:c r="A1"><x:f>1+1</x:f></x:c>', True),
    (b'<c r="A1" t="s"><v>0</v></c><!-- of -->' * 3000 + b"<f>", True),  # past RARE_F "f"s
])
def test_sheets_with_and_without_formulas(data: bytes, found: bool) -> None:
    assert sheetxml.may_hold_formula(data) is found
