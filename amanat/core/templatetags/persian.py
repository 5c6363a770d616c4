"""Template filters for Persian display: digits, Jalali dates, normalised text.

Registered as a template builtin in settings, so templates use them without ``{% load %}``.
Every filter follows the active language: Persian digits and month names in ``fa``, ASCII
digits and romanised month names otherwise.  Empty values render as the empty string.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import get_language

from amanat.lib.jalali import format_jalali
from amanat.lib.persian import to_persian_digits

register = template.Library()

ARABIC_THOUSANDS_SEPARATOR = "\u066c"  # «٬», the separator Persian typography uses


def persian_active() -> bool:
    return (get_language() or "").split("-")[0] == "fa"


def localize_digits(text: str) -> str:
    """Persian digits when the active language is Persian; ``text`` unchanged otherwise."""
    return to_persian_digits(text) if persian_active() else text


def _local(value: datetime.datetime) -> datetime.datetime:
    """An aware datetime in Tehran time (TIME_ZONE); a naive one as it is.

    A time within a few hours of the calendar's ends (year 1 or 9999, stored by hand or
    before input was checked) cannot be moved to another zone: it is shown as stored
    rather than failing the page.
    """
    if not timezone.is_aware(value):
        return value
    try:
        return timezone.localtime(value)
    except (OverflowError, ValueError):
        return value


def _as_local_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        # An aware datetime is shown on the calendar day it is in Tehran (TIME_ZONE).
        return _local(value).date()
    if isinstance(value, datetime.date):
        return value
    return None


def _jalali(value: Any, fmt: str) -> str:
    day = _as_local_date(value)
    if day is None:
        return ""
    fa = persian_active()
    if fmt == "long":
        return format_jalali(day, persian_digits=fa, fmt="long", lang="fa" if fa else "en")
    return format_jalali(day, persian_digits=fa)


@register.filter(name="jdate")
def jdate(value: Any) -> str:
    """``1404/10/21`` (``۱۴۰۴/۱۰/۲۱`` in Persian) for a date or datetime."""
    return _jalali(value, "numeric")


@register.filter(name="jdate_long")
def jdate_long(value: Any) -> str:
    """``۲۱ دی ۱۴۰۴`` in Persian, ``21 Dey 1404`` in English."""
    return _jalali(value, "long")


@register.filter(name="jdatetime")
def jdatetime_filter(value: Any) -> str:
    """Jalali date and 24-hour local time, e.g. ``۱۴۰۴/۱۰/۲۱ ۰۹:۳۰``."""
    if not isinstance(value, datetime.datetime):
        return _jalali(value, "numeric")
    local = _local(value)
    return _jalali(local, "numeric") + " " + localize_digits(local.strftime("%H:%M"))


@register.filter(name="fadigits", is_safe=True)
def fadigits(value: Any) -> str:
    """Persian digits in Persian; integers also get thousands separators («۵۸٬۶۳۸»)."""
    if value is None or value == "":
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        grouped = f"{value:,}"
        if persian_active():
            grouped = grouped.replace(",", ARABIC_THOUSANDS_SEPARATOR)
        return localize_digits(grouped)
    if isinstance(value, float | Decimal) and persian_active():
        return to_persian_digits(str(value)).replace(".", "\u066b")  # Arabic decimal separator
    # Only digits change, so is_safe=True holds: safe input stays safe, unsafe input is
    # still escaped by autoescaping.
    return localize_digits(str(value))
