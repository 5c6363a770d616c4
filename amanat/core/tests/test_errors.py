"""The one rule-error type: messages from the catalog, in the reader's language."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from amanat.core.errors import Digits, Grouped, RuleError, tabular_error
from amanat.core.forms import jalali_problem
from amanat.lib.jalali import JalaliDateError, parse_jalali_date
from amanat.lib.tabular import TabularError, read_table

ARABIC_SCRIPT = re.compile("[\u0600-\u06ff]")


def test_the_message_is_rendered_in_the_language_of_whoever_reads_it() -> None:
    error = RuleError(_("Enter a valid Jalali date such as 1404/10/21: %(detail)s."),
                      code="date", field="due", detail="x")
    assert error.render("en") == "Enter a valid Jalali date such as 1404/10/21: x."
    assert error.render("fa") == "یک تاریخ شمسی معتبر مانند ۱۴۰۴/۱۰/۲۱ وارد کنید: x."
    with translation.override("fa"):
        assert str(error) == error.render("fa")
    assert (error.code, error.field) == ("date", "due")


def test_numbers_and_dates_among_the_parameters_follow_the_language() -> None:
    error = RuleError(_("year %(year)s is outside the supported range"), year=1304)
    assert error.render("en") == "year 1304 is outside the supported range"
    assert "۱۳۰۴" in error.render("fa")
    dated = RuleError("%(day)s", day=datetime.date(2026, 2, 19))
    assert dated.render("fa") == "۱۴۰۴/۱۱/۳۰" and dated.render("en") == "1404/11/30"


def test_an_error_can_be_moved_to_another_field() -> None:
    error = RuleError(_("year %(year)s is outside the supported range"), code="era", year=9)
    moved = error.with_field("rows.3.fibre_date")
    assert (moved.field, moved.code, moved.render("en")) == (
        "rows.3.fibre_date", "era", error.render("en"))


@pytest.mark.parametrize(
    ("text", "code", "en", "fa"),
    [
        ("1404/12/30", "day", "day 30 does not exist in month 12 (Esfand) of 1404",
         "روز ۳۰ در ماه ۱۲ (اسفند) سال ۱۴۰۴ وجود ندارد"),
        ("1403/12/31", "day", "day 31 does not exist in month 12 (Esfand) of 1403", "اسفند"),
        ("1404/07/31", "day", "day 31 does not exist in month 7 (Mehr) of 1404", "مهر"),
        ("1404/13/01", "month", "month 13 does not exist", "ماه ۱۳ وجود ندارد"),
        ("0000/01/01", "year", "year 0 is outside", "سال ۰"),
        ("1404/10", "format", "is not a date in year/month/day form", "سال/ماه/روز"),
        ("tomorrow", "format", "“tomorrow”", "«tomorrow»"),
        ("1304/05/05", "era", "year 1304 is too far from today", "سال ۱۳۰۴"),
        ("2026-02-19", "gregorian", "Gregorian", "۱۴۰۴/۱۱/۳۰"),
    ],
)
def test_a_refused_date_is_worded_by_the_catalog_in_each_language(
    text: str, code: str, en: str, fa: str
) -> None:
    """lib.jalali says why (a reason and the numbers); core words it, one way for forms,
    the API and imports."""
    with pytest.raises(JalaliDateError) as caught:
        parse_jalali_date(text)
    error = jalali_problem(caught.value, field="due")
    assert (error.code, error.field) == (code, "due")
    assert en in error.render("en")
    assert fa in error.render("fa")
    assert not ARABIC_SCRIPT.search(error.render("en"))


def test_a_nested_error_and_grouped_numbers_follow_the_reader() -> None:
    inner = RuleError(_("year %(year)s is outside the supported range"), year=1304)
    outer = RuleError(_("fibre planned date: %(problem)s"), problem=inner)
    assert outer.render("en") == "fibre planned date: year 1304 is outside the supported range"
    assert outer.render("fa").startswith("تاریخ برنامه‌ریزی‌شده فیبر: سال ۱۳۰۴")
    assert RuleError("%(n)s %(c)s", n=Grouped(100000), c=Digits("0012")).render("fa") == (
        "۱۰۰٬۰۰۰ ۰۰۱۲")
    assert RuleError("%(ref)s", ref="R2345").render("fa") == "R2345"  # typed back as is


def test_a_spreadsheet_that_cannot_be_read_is_said_in_each_language() -> None:
    with pytest.raises(TabularError) as caught:
        read_table(b"", filename="stations.pdf")
    error = tabular_error(caught.value)
    assert error.code == "format"
    assert error.render("en") == "“stations.pdf” is neither a CSV nor an XLSX file"
    assert error.render("fa") == "پرونده «stations.pdf» نه CSV است نه XLSX"
