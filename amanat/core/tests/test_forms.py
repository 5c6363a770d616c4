"""JalaliDateField: parsing what people type and refusing impossible dates clearly."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import override

from amanat.core.forms import JalaliDateField


class DateForm(forms.Form):
    day = JalaliDateField()
    maybe = JalaliDateField(required=False)


def test_accepts_persian_digits_and_other_separators() -> None:
    form = DateForm({"day": "۱۴۰۴/۱۱/۳۰", "maybe": " 1404-10-21 "})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {
        "day": datetime.date(2026, 2, 19),
        "maybe": datetime.date(2026, 1, 11),
    }


def test_optional_empty_is_none() -> None:
    form = DateForm({"day": "1404/10/21", "maybe": ""})
    assert form.is_valid()
    assert form.cleaned_data["maybe"] is None


def test_impossible_day_error_in_english() -> None:
    with override("en"):
        form = DateForm({"day": "1403/12/31"})
        assert not form.is_valid()
        assert form.errors["day"] == [
            "Enter a valid Jalali date such as 1404/10/21: "
            "day 31 does not exist in month 12 (Esfand) of 1403."
        ]
        assert form.errors.as_data()["day"][0].code == "day"


def test_impossible_day_error_in_persian_uses_persian_numbers_and_month() -> None:
    with override("fa"):
        form = DateForm({"day": "۱۴۰۴/۱۲/۳۰"})
        assert not form.is_valid()
        message = form.errors["day"][0]
    assert "۳۰" in message and "۱۴۰۴" in message and "اسفند" in message
    assert "30" not in message.replace("1404/10/21", "")


def test_other_reasons() -> None:
    with override("en"):
        month = DateForm({"day": "1404/13/01"})
        garbage = DateForm({"day": "21 Dey"})
        assert not month.is_valid() and not garbage.is_valid()
        assert "month 13 does not exist" in month.errors["day"][0]
        assert "separated by a slash" in garbage.errors["day"][0]


def test_widget_renders_initial_as_jalali_and_typed_text_back() -> None:
    with override("fa"):
        html = DateForm(initial={"day": datetime.date(2026, 1, 11)}).as_p()
        assert 'value="۱۴۰۴/۱۰/۲۱"' in html
        assert 'dir="ltr"' in html
    with override("en"):
        html = DateForm(initial={"day": datetime.date(2026, 1, 11)}).as_p()
        assert 'value="1404/10/21"' in html
        bound = DateForm({"day": "1404/12/30"})
        bound.is_valid()
        assert 'value="1404/12/30"' in bound.as_p()


def test_unchanged_initial_is_not_a_change() -> None:
    form = DateForm({"day": "۱۴۰۴/۱۰/۲۱"}, initial={"day": datetime.date(2026, 1, 11)})
    assert "day" not in form.changed_data
