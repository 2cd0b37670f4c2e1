"""``json_text`` writes exactly what ``json.dumps(..., ensure_ascii=False, indent=…)`` writes,
then escapes the unsafe characters; its indented path writes lists of plain values in one C call."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sachstand.core.text import json_escaped, json_text

_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text())
_json = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=6), st.lists(children, max_size=4).map(tuple),
        st.dictionaries(st.one_of(st.text(max_size=5), st.integers(), st.booleans(), st.none()), children, max_size=5),
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(_json, st.sampled_from([None, 0, 1, 2, 4]))
def test_the_text_is_json_dumps_text(data: object, indent: int | None) -> None:
    assert json_text(data, indent) == json_escaped(json.dumps(data, ensure_ascii=False, indent=indent))


def test_a_long_list_of_ids_and_unsafe_characters() -> None:
    data = {"ids": [f"FB11-{i:03d}" for i in range(2000)], "name": "A\u202eB\x1b", "n": [1, 2.5, None, True],
            "nested": [{"a": []}, {}], "empty": []}
    text = json_text(data)
    assert text == json_escaped(json.dumps(data, ensure_ascii=False, indent=2))
    assert "\\u202e" in text and "\\u001b" in text and json.loads(text) == data


def test_values_json_cannot_write_fail_as_with_json_dumps() -> None:
    with pytest.raises(TypeError):
        json_text({"cost": Decimal("1.00")})
    with pytest.raises(TypeError):
        json_text([{1, 2}])
    assert json_text([math.inf, -math.inf]) == "[\n  Infinity,\n  -Infinity\n]"
