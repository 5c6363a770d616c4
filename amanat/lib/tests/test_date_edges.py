"""Dates at the ends of the calendar: read with the era rule, shown without failing."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amanat.lib.jalali import JalaliDateError, era_years, format_jalali, parse_date


@given(st.dates())
def test_every_date_python_holds_can_be_formatted(day: datetime.date) -> None:
    """jdatetime cannot represent years before 622 or after about 9998: those are shown
    as their ISO date rather than failing the page or export that shows them."""
    for fmt in ("numeric", "long"):
        assert format_jalali(day, fmt=fmt, persian_digits=False)  # type: ignore[arg-type]


def test_unrepresentable_dates_are_shown_as_iso() -> None:
    assert format_jalali(datetime.date(9999, 12, 31), persian_digits=False) == "9999-12-31"
    assert format_jalali(datetime.date(1, 1, 1)) == "۰۰۰۱-۰۱-۰۱"
    assert format_jalali(datetime.date(2026, 2, 19), persian_digits=False) == "1404/11/30"


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-02-19", datetime.date(2026, 2, 19)), ("۲۰۲۶-۰۲-۱۹", datetime.date(2026, 2, 19)),
    ("1404/11/30", datetime.date(2026, 2, 19)), ("1404-11-30", datetime.date(2026, 2, 19)),
])
def test_iso_and_jalali_dates_of_the_era_are_read(text: str, expected: datetime.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(("text", "reason"), [
    ("9999-12-31", "era"), ("0001-01-01", "era"), ("1700-01-01", "era"),
    ("2026-02-30", "iso"), ("1304/05/05", "era"), ("2026/02/19", "gregorian"),
    ("tomorrow", "format"),
])
def test_dates_outside_the_era_or_unreal_are_refused(text: str, reason: str) -> None:
    with pytest.raises(JalaliDateError) as caught:
        parse_date(text)
    assert caught.value.reason == reason


def test_an_iso_date_outside_the_era_is_answered_in_gregorian_years() -> None:
    with pytest.raises(JalaliDateError) as caught:
        parse_date("9999-12-31")
    low, _high = era_years()
    assert caught.value.year == 9999
    assert caught.value.hint.startswith(f"{low + 621}-")
