"""A float cost cell with at most two decimals takes ``cells.plain_cents``; it gives exactly what
the general path gives (the same digits and exponent, the same refusals), for any float."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sachstand.io import cells

_FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(0, 10**14).map(lambda c: c / 100),
    st.integers(0, 10**13).map(float),
    st.decimals(0, 10**12, places=2, allow_nan=False).map(float),
)


def _outcome(value: float) -> tuple[str, object]:
    try:
        found = cells.money(value)
    except ValueError as exc:
        return "refused", str(exc)
    return "ok", None if found is None else (found.amount.as_tuple(), found.note)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=_FLOATS)
def test_the_plain_path_gives_what_the_general_one_gives(value: float, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _outcome(value)
    with monkeypatch.context() as m:
        m.setattr(cells, "plain_cents", lambda _v: None)
        assert _outcome(value) == fast


@pytest.mark.parametrize(("value", "taken"), [
    (123548.13, True), (652400.0, True), (0.5, True), (999999999999.99, True),
    (1.005, False), (-5.0, False), (1e16, False), (1.5e-05, False), (float("nan"), False), (-0.0, False),
])
def test_which_floats_take_the_plain_path(value: float, taken: bool) -> None:
    assert (cells.plain_cents(value) is not None) is taken
