"""The one rule-error type: messages from the catalog, in the reader's language."""

from __future__ import annotations

import datetime

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from amanat.core.errors import RuleError


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
