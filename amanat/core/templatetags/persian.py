"""Template filters for Persian display: digits, Jalali dates, normalised text.

Registered as a template builtin in settings, so templates use them without ``{% load %}``.
Every filter follows the active language: Persian digits and month names in ``fa``, ASCII
digits and romanised month names otherwise.  Empty values render as the empty string.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, get_language_bidi

from amanat.lib.jalali import format_jalali
from amanat.lib.persian import to_persian_digits

register = template.Library()

ARABIC_THOUSANDS_SEPARATOR = "\u066c"  # «٬», the separator Persian typography uses
ARABIC_DECIMAL_SEPARATOR = "\u066b"  # «٫»
ARABIC_PERCENT_SIGN = "\u066a"  # «٪»
# A full stop or comma between two digits is a decimal or thousands separator (12.5,
# 1,234 from floatformat and intcomma); anywhere else it is punctuation and stays.
_NUMBER_PUNCTUATION = re.compile(r"(?<=\d)([.,])(?=\d)")
_PERCENT = re.compile(r"(?<=\d)\s?%")


def persian_active() -> bool:
    return (get_language() or "").split("-")[0] == "fa"


def localize_digits(text: str) -> str:
    """Persian digits when the active language is Persian; ``text`` unchanged otherwise."""
    return to_persian_digits(text) if persian_active() else text


_TO_LATIN_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


def code_text(value: Any) -> str:
    """A code or reference as it is read out and typed (plain text, for messages and
    PDFs; ``facode`` is the page's form): a code of digits (a station code, a tracking
    code) in the active language's digits; a code with Latin letters in it (a batch
    reference «INQ-E7757FD4E4», a certificate's «2KV7-DQWV-W49P», a letter's code) all
    Latin, digits too, since Persian digits between Latin letters read as neither on a
    phone (user review 2, F13)."""
    if value is None:
        return ""
    text = str(value)
    if any("a" <= c.lower() <= "z" for c in text):
        return text.translate(_TO_LATIN_DIGITS)
    return localize_digits(text)


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
    # Only digits and the separators between them change, so is_safe=True holds: safe
    # input stays safe, unsafe input is still escaped by autoescaping.
    return localize_number(str(value))


def localize_number(text: str) -> str:
    """Digits, decimal and thousands separators and per cent signs of ``text`` in the
    active language: «۱۲٫۵٪» and «۱٬۲۳۴» in Persian; ``text`` unchanged otherwise."""
    if not persian_active():
        return text
    text = _NUMBER_PUNCTUATION.sub(
        lambda m: ARABIC_DECIMAL_SEPARATOR if m.group(1) == "." else ARABIC_THOUSANDS_SEPARATOR,
        text,
    )
    return to_persian_digits(_PERCENT.sub(ARABIC_PERCENT_SIGN, text))


ARABIC_COMMA = "\u060c"  # «،»


@register.simple_tag(name="listsep")
def list_separator() -> str:
    """What goes between the items of a list in the active language: «، » in Persian,
    ", " otherwise (``{% listsep %}`` between the items of a ``{% for %}``)."""
    return f"{ARABIC_COMMA} " if persian_active() else ", "


@register.filter(name="ltr")
def ltr(value: Any) -> SafeString:
    """A left-to-right token (a code, a reference, a phone number, an address of a web
    page) isolated from the right-to-left text around it, so that «2321-0042» is not
    shown as «0042-2321».  Escapes the value unless it is already safe."""
    if value is None or value == "":
        return SafeString("")
    return format_html('<bdi dir="ltr">{}</bdi>', value)


# A run that reads left to right inside Persian text: Latin letters or digits (any
# script), joined by the punctuation codes, numbers, dates and addresses use.
_LTR_JOINERS = set("-/.:_@+")
_LTR_CHARS = "A-Za-z0-9\u06f0-\u06f9\u0660-\u0669"
_LTR_TOKEN = re.compile(f"[{_LTR_CHARS}]+(?:[-/.:_@+][{_LTR_CHARS}]+)*")


@register.filter(name="isolate_ltr")
def isolate_ltr(value: Any) -> SafeString:
    """Plain text (a help text, a message) escaped, with each code, reference, date or
    Latin word in it isolated left to right (``ltr``), so that «کد 2321-0042» does not
    show the code reversed.  Lone numbers read correctly as they are and stay bare.
    Text that is already HTML (safe) is returned as it is."""
    if isinstance(value, SafeString):
        return value
    text = str(value)
    out: list[str] = []
    last = 0
    for match in _LTR_TOKEN.finditer(text):
        token = match.group(0)
        if not (_LTR_JOINERS & set(token) or any("a" <= c.lower() <= "z" for c in token)):
            continue
        out += [escape(text[last:match.start()]), str(ltr(token))]
        last = match.end()
    out.append(escape(text[last:]))
    return SafeString("".join(out))


@register.filter(name="fatext", is_safe=True)
def fatext(value: Any) -> SafeString:
    """Free text written by people or data files (a station's or a place's name, a note)
    for display: escaped; each code, reference, date or Latin word isolated left to right
    (``ltr``; a code of digits in Persian digits in Persian, «شعبه ۲۳۲۱-۰۰۴۲»); each lone
    number in the active language's digits and separators (``localize_number``).  The one
    helper for numbers and codes inside text; ``facode`` is for a code on its own.  Text
    that is already HTML (safe) is returned as it is."""
    if isinstance(value, SafeString):
        return value
    if value is None:
        return SafeString("")
    text = str(value)
    if not get_language_bidi():
        return SafeString(escape(text))  # a left-to-right page reads them as they are
    out: list[str] = []
    last = 0
    for match in _LTR_TOKEN.finditer(text):
        token = match.group(0)
        latin = any("a" <= c.lower() <= "z" for c in token)
        shown: str
        if latin:
            shown = str(ltr(token))
        elif _LTR_JOINERS & set(token) and not _DECIMAL.fullmatch(token):
            shown = str(ltr(localize_digits(token)))
        else:
            shown = escape(localize_number(token))
        out += [escape(text[last:match.start()]), shown]
        last = match.end()
    out.append(escape(text[last:]))
    return SafeString("".join(out))


_DECIMAL = re.compile(r"\d+\.\d+")


@register.filter(name="facode")
def facode(value: Any) -> SafeString:
    """A code or reference on its own, kept left to right (``ltr``): a code of digits (a
    station, county or unit code, a tracking code) in Persian digits in Persian; one with
    Latin letters (a batch reference, a verification code) in Latin letters and digits
    (``code_text``). The one helper for every code shown on a page."""
    if value is None or value == "":
        return SafeString("")
    return ltr(code_text(value))


@register.simple_tag(name="arrow")
def arrow() -> str:
    """An arrow pointing the way the page reads ("before → after"): ← in a right-to-left
    language, → otherwise.  A literal → in Persian text points back to the start."""
    return "\u2190" if get_language_bidi() else "\u2192"
