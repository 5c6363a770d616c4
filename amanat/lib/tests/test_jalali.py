"""Jalali conversion, parsing and formatting."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from persiantools.jdatetime import JalaliDate as IndependentJalaliDate

from amanat.lib import jalali
from amanat.lib.jalali import (
    JalaliDate,
    JalaliDateError,
    days_in_month,
    format_jalali,
    from_jalali,
    jalali_month_name,
    parse_jalali_date,
    to_jalali,
)

FIRST = from_jalali(1300, 1, 1)
LAST = from_jalali(1500, 12, days_in_month(1500, 12))


def test_every_day_from_1300_to_1500_round_trips_and_counts_up() -> None:
    """Exhaustive: each Gregorian day maps to the next Jalali day and back again.

    A second library (persiantools) serves as an independent oracle, so a bug shared by
    both directions of jdatetime would still show up.
    """
    day = FIRST
    previous = JalaliDate(1299, 12, 29)  # 1299 is not a leap year
    count = 0
    while day <= LAST:
        j = to_jalali(day)
        assert from_jalali(*j) == day
        oracle = IndependentJalaliDate(day)
        assert (oracle.year, oracle.month, oracle.day) == j
        assert j == _next_day(previous), (previous, j)
        previous = j
        day += datetime.timedelta(days=1)
        count += 1
    assert previous == JalaliDate(1500, 12, days_in_month(1500, 12))
    assert count > 73_000


def _next_day(j: JalaliDate) -> JalaliDate:
    if j.day < days_in_month(j.year, j.month):
        return JalaliDate(j.year, j.month, j.day + 1)
    if j.month < 12:
        return JalaliDate(j.year, j.month + 1, 1)
    return JalaliDate(j.year + 1, 1, 1)


dates = st.dates(min_value=FIRST, max_value=LAST)


@given(day=dates, sep=st.sampled_from(["/", "-", "."]), persian=st.booleans(),
       pad=st.sampled_from(["", " ", "  \t", "\u200f"]))
def test_formatted_text_parses_back(day: datetime.date, sep: str, persian: bool, pad: str) -> None:
    text = format_jalali(day, persian_digits=persian).replace("/", sep)
    assert parse_jalali_date(pad + text + pad, any_year=True) == day


@given(day=dates)
def test_arabic_indic_digits_and_unpadded_parts(day: datetime.date) -> None:
    j = to_jalali(day)
    arabic = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
    assert parse_jalali_date(f"{j.year}/{j.month}/{j.day}".translate(arabic), any_year=True) == day


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1404/10/21", datetime.date(2026, 1, 11)),
        ("۱۴۰۴-۱۰-۲۱", datetime.date(2026, 1, 11)),
        ("١٤٠٤/١٠/٢١", datetime.date(2026, 1, 11)),
        ("1404.10.21", datetime.date(2026, 1, 11)),
        ("  1404/10/21 ", datetime.date(2026, 1, 11)),
        ("1403/12/30", datetime.date(2025, 3, 20)),  # 1403 is a leap year
        ("1404/11/30", datetime.date(2026, 2, 19)),
    ],
)
def test_parse_accepts(text: str, expected: datetime.date) -> None:
    assert parse_jalali_date(text) == expected


@pytest.mark.parametrize(
    ("text", "reason", "numbers"),
    [
        ("1404/12/30", "day", (1404, 12, 30)),
        ("1404/13/01", "month", (1404, 13, 1)),
        ("0000/01/01", "year", (0, 1, 1)),
        ("1404/10", "format", (None, None, None)),
        ("tomorrow", "format", (None, None, None)),
    ],
)
def test_impossible_dates_raise_with_reason_and_numbers(
    text: str, reason: str, numbers: tuple[int | None, ...]
) -> None:
    """The reason and what was read, no message: the Django layer words it
    (amanat/core/tests/test_errors.py checks the words in both languages)."""
    with pytest.raises(JalaliDateError) as caught:
        parse_jalali_date(text)
    error = caught.value
    assert isinstance(error, ValueError)
    assert (error.reason, (error.year, error.month, error.day)) == (reason, numbers)
    assert error.text == (text if reason == "format" else "")


def test_from_jalali_rejects_day_beyond_month() -> None:
    with pytest.raises(JalaliDateError) as caught:
        from_jalali(1405, 12, 30)
    assert (caught.value.year, caught.value.month, caught.value.day) == (1405, 12, 30)


def test_formats() -> None:
    day = datetime.date(2026, 1, 11)
    assert format_jalali(day) == "۱۴۰۴/۱۰/۲۱"
    assert format_jalali(day, persian_digits=False) == "1404/10/21"
    assert format_jalali(day, fmt="long") == "۲۱ دی ۱۴۰۴"
    assert format_jalali(day, fmt="long", persian_digits=False, lang="en") == "21 Dey 1404"
    assert format_jalali(datetime.datetime(2026, 1, 11, 23, 0)) == "۱۴۰۴/۱۰/۲۱"
    assert format_jalali(datetime.date(2025, 3, 21), persian_digits=False) == "1404/01/01"


def test_month_names() -> None:
    assert [jalali_month_name(m) for m in (1, 10, 11, 12)] == ["فروردین", "دی", "بهمن", "اسفند"]
    assert jalali_month_name(12, lang="en") == "Esfand"
    with pytest.raises(JalaliDateError):
        jalali_month_name(13)


@given(year=st.integers(1300, 1500), month=st.integers(1, 12), extra=st.integers(1, 60),
       persian=st.booleans())
def test_any_day_past_month_end_is_refused(year: int, month: int, extra: int,
                                          persian: bool) -> None:
    day = days_in_month(year, month) + extra
    text = f"{year}/{month:02d}/{day:02d}"
    if day > 99:
        return
    if persian:
        text = text.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    with pytest.raises(JalaliDateError) as caught:
        parse_jalali_date(text, any_year=True)
    assert (caught.value.reason, caught.value.month, caught.value.day) == ("day", month, day)


@given(year=st.integers(1300, 1500), month=st.integers(13, 99), day=st.integers(1, 31))
def test_any_month_past_12_is_refused(year: int, month: int, day: int) -> None:
    with pytest.raises(JalaliDateError) as caught:
        parse_jalali_date(f"{year}/{month}/{day}", any_year=True)
    assert caught.value.reason == "month"


def test_leap_years_follow_the_calendar() -> None:
    assert [y for y in range(1395, 1412) if days_in_month(y, 12) == 30] == [
        1395, 1399, 1403, 1408,
    ]


# --- this election's era (issue 11: 1304 and 2026-02-19 were accepted) ----------------


@pytest.mark.parametrize("text", ["1304/05/05", "1600/01/01", "1450/01/01"])
def test_a_year_far_from_today_is_refused_with_the_allowed_years(text: str) -> None:
    with pytest.raises(JalaliDateError) as caught:
        parse_jalali_date(text)
    low, high = jalali.era_years()
    assert (caught.value.reason, caught.value.hint) == ("era", f"{low}-{high}")


def test_a_gregorian_date_is_named_with_its_jalali_equivalent() -> None:
    with pytest.raises(JalaliDateError) as caught:
        parse_jalali_date("2026-02-19")
    assert caught.value.reason == "gregorian"
    assert caught.value.hint == "1404/11/30"


def test_a_date_of_this_era_is_accepted() -> None:
    assert parse_jalali_date("1404/11/30") == datetime.date(2026, 2, 19)


@pytest.mark.parametrize("value", [datetime.date(9999, 12, 31), datetime.date(1, 1, 1),
                                   datetime.date(1900, 1, 1)])
def test_check_era_refuses_extreme_gregorian_dates(value: datetime.date) -> None:
    with pytest.raises(JalaliDateError) as caught:
        jalali.check_era(value)
    assert caught.value.reason == "era"
