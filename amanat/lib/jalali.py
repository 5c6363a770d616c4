"""Jalali (Solar Hijri) dates, Django-free.

People read and type dates in the Jalali calendar; the database stores Gregorian
``datetime.date``.  This module converts between the two (through ``jdatetime``), parses
what people type (ASCII, Persian or Arabic-Indic digits; ``/``, ``-`` or ``.`` between the
parts) and formats dates for display.

Parsing errors carry a machine-readable ``reason`` plus the offending text and numbers,
and no message: the Django layer (``amanat.core.forms.jalali_problem``) turns them into a
rule error translated by gettext, the one way for forms, the API and imports.
"""

from __future__ import annotations

import datetime
import re
from typing import Literal, NamedTuple

import jdatetime

from amanat.lib.persian import to_ascii_digits, to_persian_digits

MONTH_NAMES_FA = (
    "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
    "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند",
)
MONTH_NAMES_EN = (
    "Farvardin", "Ordibehesht", "Khordad", "Tir", "Mordad", "Shahrivar",
    "Mehr", "Aban", "Azar", "Dey", "Bahman", "Esfand",
)
MIN_YEAR = jdatetime.MINYEAR
MAX_YEAR = jdatetime.MAXYEAR

Reason = Literal["format", "iso", "year", "month", "day", "era", "gregorian"]

# Dates people enter belong to this election's era: a year further than this from today is
# a typing or column mistake (1304 for 1404, 9999, a Gregorian year), not a real date.
ERA_YEARS_BEFORE = 30
ERA_YEARS_AFTER = 10
# A four-digit year in this range typed into a Jalali field is a Gregorian date.
_GREGORIAN_YEARS = range(1900, 2200)
Lang = Literal["fa", "en"]

# Separators people type: slash, hyphen, full stop, the Arabic date/decimal separators and
# the Persian/fullwidth slash that some keyboards produce.
_SEPARATORS = "/\\-.\u066b\u060d\u2215\uff0f\u2044"
_DATE_RE = re.compile(
    rf"^(?P<y>\d{{4}})(?P<sep>[{re.escape(_SEPARATORS)}])(?P<m>\d{{1,2}})"
    rf"(?P=sep)(?P<d>\d{{1,2}})$"
)
# Direction marks and other invisible characters arrive when dates are pasted from RTL text.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00a0]")


class JalaliDate(NamedTuple):
    year: int
    month: int
    day: int


class JalaliDateError(ValueError):
    """A date that cannot be parsed or does not exist in the Jalali calendar.

    ``reason`` is one of ``format``, ``iso``, ``year``, ``month``, ``day``, ``era``,
    ``gregorian``; ``year``, ``month`` and ``day`` hold the numbers that were read (``None``
    when the text could not be read), ``text`` what was typed.
    """

    def __init__(
        self,
        reason: Reason,
        *,
        text: str = "",
        year: int | None = None,
        month: int | None = None,
        day: int | None = None,
        hint: str = "",
    ) -> None:
        self.reason: Reason = reason
        # "era": the allowed years as "low-high"; "gregorian": the Jalali date it would be.
        self.hint = hint
        self.text = text
        self.year = year
        self.month = month
        self.day = day
        # For logs and tracebacks only: people read core.forms.jalali_problem's message.
        super().__init__(reason, text or (year, month, day), hint)


def era_years(today: datetime.date | None = None) -> tuple[int, int]:
    """The first and last Jalali year a date entered today may fall in."""
    year = to_jalali(today or datetime.date.today()).year
    return year - ERA_YEARS_BEFORE, year + ERA_YEARS_AFTER


def check_era(value: datetime.date, *, today: datetime.date | None = None) -> datetime.date:
    """``value`` itself when its year is of this election's era, else JalaliDateError("era").

    Every date stored from a form, the API, an import or SMS passes through this, so that
    one mistyped year cannot be stored (and then break every page that shows it).
    """
    low, high = era_years(today)
    # Gregorian bounds: jdatetime cannot represent every Gregorian year (e.g. 9999).
    if not (from_jalali(low, 1, 1) <= value < from_jalali(high + 1, 1, 1)):
        try:
            year = to_jalali(value).year
        except (ValueError, OverflowError):  # beyond what jdatetime represents
            year = value.year - 621
        raise JalaliDateError("era", year=year, hint=f"{low}-{high}")
    return value


def is_leap(year: int) -> bool:
    return bool(jdatetime.date(year, 1, 1).isleap())


def days_in_month(year: int, month: int) -> int:
    if month <= 6:
        return 31
    if month <= 11:
        return 30
    return 30 if is_leap(year) else 29


def jalali_month_name(month: int, *, lang: Lang = "fa") -> str:
    """Name of Jalali month 1-12, in Persian or romanised."""
    if not 1 <= month <= 12:
        raise JalaliDateError("month", month=month)
    names = MONTH_NAMES_FA if lang == "fa" else MONTH_NAMES_EN
    return names[month - 1]


def from_jalali(year: int, month: int, day: int) -> datetime.date:
    """The Gregorian date of Jalali ``year/month/day``; JalaliDateError if it does not exist."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise JalaliDateError("year", year=year, month=month, day=day)
    if not 1 <= month <= 12:
        raise JalaliDateError("month", year=year, month=month, day=day)
    if not 1 <= day <= days_in_month(year, month):
        raise JalaliDateError("day", year=year, month=month, day=day)
    result: datetime.date = jdatetime.date(year, month, day).togregorian()
    return result


def to_jalali(value: datetime.date) -> JalaliDate:
    """Jalali year, month and day of a Gregorian date (a datetime is taken as its date)."""
    if isinstance(value, datetime.datetime):
        value = value.date()
    j = jdatetime.date.fromgregorian(date=value)
    return JalaliDate(j.year, j.month, j.day)


def parse_jalali_date(text: str, *, any_year: bool = False) -> datetime.date:
    """Read a Jalali date typed by a person, e.g. ``1404/10/21`` or ``۱۴۰۴-۱۰-۲۱``.

    Unless ``any_year``, the date must be of this election's era (``check_era``) and a
    Gregorian-looking year is refused with its Jalali equivalent.
    """
    cleaned = _INVISIBLE.sub("", to_ascii_digits(text)).strip()
    match = _DATE_RE.match(cleaned)
    if match is None:
        raise JalaliDateError("format", text=text.strip())
    year, month, day = int(match["y"]), int(match["m"]), int(match["d"])
    if any_year:
        return from_jalali(year, month, day)
    if year in _GREGORIAN_YEARS:
        _refuse_gregorian(cleaned, year, month, day)
    return check_era(from_jalali(year, month, day))


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# An ISO date's first four digits from here on are a Gregorian year; below, a Jalali one
# (1300s and 1400s) written with hyphens.
_FIRST_GREGORIAN_YEAR = 1700


def parse_date(text: str) -> datetime.date:
    """A date as a device or another system sends it: ISO ``2026-02-19`` or Jalali
    ``1404/11/30`` (Persian digits too), of this election's era (``check_era``).

    The API's one date reader; people's forms take Jalali only (``parse_jalali_date``).
    """
    cleaned = _INVISIBLE.sub("", to_ascii_digits(text)).strip()
    if _ISO_DATE.match(cleaned) and int(cleaned[:4]) >= _FIRST_GREGORIAN_YEAR:
        try:
            value = datetime.date.fromisoformat(cleaned)
        except ValueError:
            raise JalaliDateError("iso", text=text.strip()) from None
        low, high = era_years()
        if era_problem(value) is not None:
            # Said in the calendar the date was written in: Gregorian years.
            first, last = from_jalali(low, 1, 1), from_jalali(high + 1, 1, 1)
            raise JalaliDateError("era", year=value.year, hint=f"{first.year}-{last.year}")
        return value
    return parse_jalali_date(cleaned)


def era_problem(value: datetime.date) -> JalaliDateError | None:
    """``check_era``'s refusal of ``value``, or None: for rule checks that collect every
    problem instead of stopping at the first."""
    try:
        check_era(value)
    except JalaliDateError as error:
        return error
    return None


def _refuse_gregorian(text: str, year: int, month: int, day: int) -> None:
    try:
        as_jalali = format_jalali(datetime.date(year, month, day), persian_digits=False)
    except ValueError:
        raise JalaliDateError("era", year=year, hint="-".join(map(str, era_years()))) from None
    raise JalaliDateError("gregorian", text=text, year=year, month=month, day=day,
                          hint=as_jalali)


def format_jalali(
    value: datetime.date,
    *,
    persian_digits: bool = True,
    fmt: Literal["numeric", "long"] = "numeric",
    lang: Lang = "fa",
) -> str:
    """``1404/10/21`` (numeric) or ``21 دی 1404`` (long), with Persian digits by default.

    ``lang`` picks the month names of the long form (Persian or romanised).  Never fails:
    a date the Jalali calendar library cannot represent (before 622 or after about 9998,
    stored before the era rule or by hand) is shown as its Gregorian ISO date, so one
    such row cannot take a page or an export down.
    """
    try:
        j = to_jalali(value)
    except (ValueError, OverflowError):
        text = value.isoformat()[:10]
        return to_persian_digits(text) if persian_digits else text
    if fmt == "long":
        text = f"{j.day} {jalali_month_name(j.month, lang=lang)} {j.year}"
    else:
        text = f"{j.year:04d}/{j.month:02d}/{j.day:02d}"
    return to_persian_digits(text) if persian_digits else text
