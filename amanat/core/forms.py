"""Form fields shared by all apps: free text cleaned of invisible characters, and Jalali
dates typed and shown the way people write them."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext

from amanat.core.templatetags.persian import localize_digits, persian_active
from amanat.lib.jalali import JalaliDateError, format_jalali, jalali_month_name, parse_jalali_date
from amanat.lib.limits import parse_id
from amanat.lib.persian import clean_text


class CleanCharField(forms.CharField):
    """A text field whose value is cleaned by ``lib.persian.clean_text``: no bidi
    controls, zero-width or other invisible characters reach a service, ZWNJ tidied.

    Every text field of the project's forms is one (or comes from ``clean_formfield``);
    ``core/tests/test_forms.py`` walks all forms and fails on a plain ``CharField``.
    A ``Textarea`` keeps its line breaks; a one-line box gets one line.  Length limits
    apply to the cleaned text.
    """

    def to_python(self, value: Any) -> str | None:
        text: str | None = super().to_python(value)
        if not text:
            return text
        return clean_text(text, multiline=isinstance(self.widget, forms.Textarea))


def clean_formfield(db_field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    """``formfield_callback`` for model forms: text columns get a ``CleanCharField``."""
    if isinstance(db_field, models.CharField | models.TextField) and not db_field.choices:
        kwargs.setdefault("form_class", CleanCharField)
    return db_field.formfield(**kwargs)


def jalali_error_message(error: JalaliDateError) -> str:
    """The reason a typed date was refused, in the active language.

    Built from the error's reason and numbers with gettext (rather than taking
    ``error.message_fa``) so that every language the site offers gets its own message.
    """
    n = {k: localize_digits(str(v)) for k, v in
         {"year": error.year, "month": error.month, "day": error.day}.items()}
    if error.reason == "day" and error.month is not None:
        n["month_name"] = jalali_month_name(error.month, lang="fa" if persian_active() else "en")
        detail = gettext(
            "day %(day)s does not exist in month %(month)s (%(month_name)s) of %(year)s"
        ) % n
    elif error.reason == "month":
        detail = gettext("month %(month)s does not exist; months run from 1 to 12") % n
    elif error.reason == "year":
        detail = gettext("year %(year)s is outside the supported range") % n
    elif error.reason == "era":
        low, _, high = error.hint.partition("-")
        n |= {"low": localize_digits(low), "high": localize_digits(high)}
        detail = gettext("year %(year)s is too far from today; enter a year from %(low)s "
                         "to %(high)s") % n
    elif error.reason == "gregorian":
        n["jalali"] = localize_digits(error.hint)
        detail = gettext("this looks like a Gregorian date; as a Jalali date it is "
                         "%(jalali)s") % n
    else:
        detail = gettext("write the year, month and day separated by a slash")
    return gettext("Enter a valid Jalali date such as 1404/10/21: %(detail)s.") % {
        "detail": detail
    }


class JalaliDateInput(forms.TextInput):
    """A text box showing its date as Jalali, with Persian digits in Persian."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        # Dates read left to right even inside right-to-left text: 1404/10/21.
        defaults = {"dir": "ltr", "autocomplete": "off", "size": "10"}
        super().__init__(defaults | (attrs or {}))

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, datetime.date):
            return format_jalali(value, persian_digits=persian_active())
        # Anything else is what the user typed; show it back unchanged so they can fix it.
        result: str | None = super().format_value(value)
        return result

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context(name, value, attrs)
        # The placeholder is today's date, in the language at render time: an example in
        # the current year (a fixed one soon reads as a date in the past).
        today = format_jalali(timezone.localdate(), persian_digits=persian_active())
        context["widget"]["attrs"].setdefault("placeholder", today)
        return context


class JalaliDateField(forms.Field):
    """Takes ``1404/10/21``, ``۱۴۰۴-۱۰-۲۱`` and the like; cleans to ``datetime.date``."""

    widget = JalaliDateInput

    def to_python(self, value: Any) -> datetime.date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        try:
            return parse_jalali_date(str(value))
        except JalaliDateError as error:
            raise ValidationError(jalali_error_message(error), code=error.reason) from error


class IdsChoiceField(forms.ModelMultipleChoiceField):
    """A ModelMultipleChoiceField whose values must be ids (``lib.limits.parse_id``).

    Django checks each value alone with an exact lookup (which tolerates any integer)
    but then fetches them with ``pk__in``, which the database driver fails on for a
    number past 64 bits: a crafted form would answer 500 instead of "not a valid choice".
    """

    def clean(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            for pk in value:
                if pk not in self.empty_values and parse_id(pk) is None:
                    raise ValidationError(self.error_messages["invalid_pk_value"],
                                          code="invalid_pk_value", params={"pk": pk})
        return super().clean(value)
