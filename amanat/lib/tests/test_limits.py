"""Ids read from query strings, forms and JSON: 1 to 2**63 - 1, nothing else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amanat.lib.limits import ID_MAX, parse_id


@pytest.mark.parametrize(("value", "expected"), [
    ("7", 7), ("07", 7), (" 7 ", 7), ("۷", 7), ("+7", 7), (7, 7), (str(ID_MAX), ID_MAX),
    (str(ID_MAX + 1), None), ("99999999999999999999", None), ("0", None), ("-1", None),
    ("²", None), ("7.0", None), ("1e3", None), ("", None), (True, None), (None, None),
    (7.0, None), (ID_MAX + 1, None), (0, None),
])
def test_only_whole_numbers_a_column_holds_are_ids(value: object, expected: int | None) -> None:
    assert parse_id(value) == expected


@given(st.integers())
def test_any_integer_is_an_id_exactly_when_it_fits(number: int) -> None:
    assert parse_id(str(number)) == (number if 1 <= number <= ID_MAX else None)
