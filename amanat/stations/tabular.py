"""The station spreadsheet: its columns, header aliases and cell parsing/formatting.

Headers match in Persian or English, compared by ``header_key`` so that Arabic/Persian
letter forms, ZWNJ, spaces, digits, punctuation and a unit in brackets do not matter;
each column has the variants county offices write (``COLUMNS``).  A header that matches
no column stops the import until it is mapped to a field or ignored.  Cells accept
Persian and Arabic-Indic digits and separators, yes/no in the same spellings in every
yes/no column, enum values in both languages, Jalali dates of this election's era, and
codes typed as numbers (their lost leading zeros are put back).  Export writes the first
(Persian) header of each column and Persian enum labels, which the parser reads back to
the same values.
"""

from __future__ import annotations

import datetime
import difflib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from amanat.core.errors import Digits, Grouped, RuleError
from amanat.core.forms import jalali_problem
from amanat.geo.codes import EXCEL_DIGITS, canonical_unit_code
from amanat.lib.jalali import JalaliDateError, check_era, format_jalali, parse_jalali_date
from amanat.lib.persian import ZWNJ, normalize, search_key
from amanat.lib.tabular import Cell, code_digits, unescape_formula
from amanat.stations.codes import canonical_station_code
from amanat.stations.validation import TEXT_LIMITS

_HEADER_PUNCTUATION = str.maketrans("", "", "_-*:()[].,،/\\?؟#«»\"'!|")
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")


def header_key(text: str) -> str:
    """Comparison key of a header: search_key without punctuation people add."""
    return search_key(text).replace("ئ", "ی").translate(_HEADER_PUNCTUATION)


def header_keys(text: str) -> list[str]:
    """The keys a header may match by: as written, then without a bracketed unit
    («ظرفیت (نفر)») or a leading row number («۳- نام»)."""
    keys = [header_key(text)]
    bare = _BRACKETS.sub("", text)
    bare = re.sub(r"^\s*\d+\s*[-.)]\s*", "", normalize(bare))
    if header_key(bare) != keys[0]:
        keys.append(header_key(bare))
    return [k for k in keys if k]


def _text(value: Cell) -> str:
    """A cell as stripped text (numbers from XLSX without a spurious ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return unescape_formula(str(value).strip())


# Control characters (other than tab and line breaks) are never meant and PostgreSQL
# refuses NUL in text.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def parse_text(value: Cell) -> str:
    return normalize(_CONTROL.sub("", _text(value)))


def text_parser(max_length: int) -> Callable[[Cell], str]:
    """``parse_text`` that refuses text longer than the model's column."""

    def parse(value: Cell) -> str:
        text = parse_text(value)
        if len(text) > max_length:
            raise RuleError(
                _("the text is %(length)s characters long; at most %(limit)s fit"),
                code="too_long", length=len(text), limit=max_length,
            )
        return text

    return parse


def _code_text(value: Cell) -> str:
    # normalize also turns Persian/Arabic-Indic digits into ASCII ones; 815.0 (a CSV
    # written with decimals) is 815.
    return code_digits(normalize(_CONTROL.sub("", _text(value))).replace(" ", ""))


def parse_code(value: Cell) -> str:
    """A station code in its canonical form (``stations.codes``)."""
    return canonical_station_code(_code_text(value))


def parse_county_code(value: Cell) -> str:
    """A county code zero-padded to the official width (Excel drops leading zeros)."""
    return canonical_unit_code("county", _code_text(value))


def parse_unit_code(value: Cell) -> str:
    """A city/rural district/village code as typed; the import tries each width."""
    code = _code_text(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and len(code) > EXCEL_DIGITS:
        raise RuleError(
            _("code %(unit)s was typed as a number and a spreadsheet keeps only %(digits)s "
              "digits of it; format the column as text and type the code again"),
            code="code_as_number", unit=Digits(code), digits=EXCEL_DIGITS,
        )
    return code


def parse_constituency_code(value: Cell) -> str:
    return _code_text(value)


# --- numbers -----------------------------------------------------------------------------

# After digits are ASCII: thousands grouped by commas, e.g. 1,234,567 or 1,234.5.
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_SEPARATOR_SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u066c']")


def _number(value: Cell, *, decimal_comma: bool) -> float | None:
    """A number typed by a person, or None for a blank cell.

    Digits may be Persian or Arabic-Indic; the decimal separator a full stop, the Arabic
    decimal separator (٫) or, in a number with no full stop, one comma or slash (how
    many Persian keyboards and hands write decimals).  Thousands may be grouped with
    commas, the Arabic thousands separator (٬), spaces or apostrophes.  With
    ``decimal_comma`` (coordinates, which never have thousands) a comma is always the
    decimal separator.
    """
    if isinstance(value, bool):
        raise _not_a_number(_text(value))
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise _not_a_number(_text(value))
        return float(value)
    raw = _text(value)
    text = normalize(raw).replace("\u066b", ".").replace("،", ",").replace("\u2212", "-")
    text = _SEPARATOR_SPACES.sub("", text)
    if not text:
        return None
    if "." not in text and text.count("/") == 1:
        text = text.replace("/", ".")
    if "." not in text and text.count(",") == 1 and (decimal_comma or not _GROUPED.match(text)):
        text = text.replace(",", ".")
    elif _GROUPED.match(text):
        text = text.replace(",", "")
    if not _PLAIN.match(text):
        raise _not_a_number(raw)
    return float(text)


def _not_a_number(raw: str) -> RuleError:
    return RuleError(_("“%(value)s” is not a number"), code="not_a_number", value=Digits(raw))


def parse_float(value: Cell) -> float | None:
    return _number(value, decimal_comma=False)


def parse_coordinate(value: Cell) -> float | None:
    return _number(value, decimal_comma=True)


# The largest values the model's integer columns hold (PositiveIntegerField and
# PositiveSmallIntegerField on every supported database).
INT_MAX = 2_147_483_647
SMALL_INT_MAX = 32_767


def int_parser(max_value: int = INT_MAX) -> Callable[[Cell], int | None]:
    def parse(value: Cell) -> int | None:
        number = _number(value, decimal_comma=False)
        if number is None:
            return None
        if not number.is_integer():
            raw = _text(value)
            raise RuleError(_("“%(value)s” is not a whole number"), code="not_whole",
                            value=Digits(raw))
        if abs(number) > max_value:
            raw = _text(value)
            raise RuleError(_("%(value)s is too large (at most %(limit)s)"), code="too_large",
                            value=Digits(raw), limit=Grouped(max_value))
        return int(number)

    return parse


parse_int = int_parser()


# --- yes/no, enums, dates --------------------------------------------------------------

# Every yes/no column, and the yes/no spellings of fibre, CCTV and «سیار», take these.
YES = ("بله", "بلی", "آری", "آره", "دارد", "هست", "است", "می‌باشد", "مجهز", "yes", "y",
       "true", "1", "✓", "✔", "x")
NO = ("خیر", "نه", "ندارد", "نیست", "نمی‌باشد", "فاقد", "no", "n", "false", "0", "-", "×",
      "✗")
_YES_KEYS = {search_key(v) for v in YES}
_NO_KEYS = {search_key(v) for v in NO}
# The spellings an error suggests (the file's vocabulary, the same in every language).
YES_NO_HINT = "yes/no, بله/خیر, دارد/ندارد, 1/0"


def yes_no(value: Cell) -> bool | None:
    """True or False for a yes/no spelling, None for a blank cell or anything else."""
    if isinstance(value, bool):
        return value
    key = search_key(_text(value))
    if key in _YES_KEYS:
        return True
    if key in _NO_KEYS:
        return False
    return None


def parse_bool(value: Cell) -> bool | None:
    flag = yes_no(value)
    if flag is not None or not search_key(_text(value)):
        return flag
    raise RuleError(_("“%(value)s” is not yes/no (use %(allowed)s)"), code="not_yes_no",
                    value=Digits(_text(value)), allowed=Digits(YES_NO_HINT))


# Excel's day numbers (serials): day 1 is 1900-01-01, counted from 1899-12-30 for the
# leap day 1900 never had.  A date cell that lost its date format (a column set to
# General, a CSV saved from it) holds one: 46359 is 2026-12-03.  Five digits cover
# 1927-2173; a Jalali date typed without separators has eight, so they never meet.
_EXCEL_EPOCH = datetime.date(1899, 12, 30)
_SERIAL = re.compile(r"[0-9]{5}")


def _excel_serial(value: Cell) -> datetime.date | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    text = _code_text(value)
    if not _SERIAL.fullmatch(text):
        return None
    return _EXCEL_EPOCH + datetime.timedelta(days=int(text))


def parse_date(value: Cell) -> datetime.date | None:
    try:
        if isinstance(value, datetime.datetime):
            return check_era(value.date())  # a real date cell in Excel is Gregorian
        if isinstance(value, datetime.date):
            return check_era(value)
        serial = _excel_serial(value)
        if serial is not None:
            return check_era(serial)
        text = _text(value)
        return parse_jalali_date(text) if text else None
    except JalaliDateError as exc:
        raise jalali_problem(exc) from None


@dataclass(frozen=True)
class Enum:
    """Values of one choice field: stored value -> Persian label, plus extra spellings.

    ``yes``/``no`` are the values a yes/no spelling stands for (``None``: it says
    nothing about this field, and the error tells what to write instead).
    """

    labels_fa: dict[str, str]
    extra: dict[str, str]
    yes: str | None = None
    no: str | None = None
    yes_hint: Promise | None = None  # said when a plain "yes" is not enough

    def label(self, value: str) -> str:
        """The Persian label of a stored value; a value outside the choices (never
        accepted, but possible in old rows) as stored, so one row cannot stop an export."""
        return self.labels_fa.get(value, value)

    def lookup(self) -> dict[str, str]:
        table: dict[str, str] = {}
        if self.yes is not None:
            table |= dict.fromkeys(_YES_KEYS, self.yes)
        if self.no is not None:
            table |= dict.fromkeys(_NO_KEYS, self.no)
        table |= {search_key(v): v for v in self.labels_fa}
        table |= {search_key(v.replace("_", " ")): v for v in self.labels_fa}
        table |= {search_key(label): v for v, label in self.labels_fa.items()}
        table |= {search_key(alias): v for alias, v in self.extra.items()}
        return table


VENUE = Enum(
    {"school": "مدرسه", "mosque": "مسجد", "office": "اداره دولتی",
     "health_centre": "مرکز بهداشتی", "other": "سایر"},
    # Earlier export spellings stay readable.
    {"اداره": "office", "مرکز بهداشت": "health_centre",
     "health center": "health_centre", "clinic": "health_centre", "درمانگاه": "health_centre",
     "مرکز بهداشتی درمانی": "health_centre", "خانه بهداشت": "health_centre",
     "دبستان": "school", "دبیرستان": "school", "هنرستان": "school", "حسینیه": "mosque",
     "اداره دولتی": "office", "دیگر": "other", "غیره": "other", "government office": "office"},
)
KIND = Enum({"fixed": "ثابت", "mobile": "سیار"}, {"static": "fixed"})
CCTV = Enum(
    {"none": "بدون دوربین مدار بسته", "recorded": "ضبط‌شده", "live": "برخط"},
    {"ندارد": "none", "بدون": "none", "بدون دوربین": "none", "ضبط": "recorded", "زنده": "live",
     "ضبطی": "recorded", "ضبط شده": "recorded", "ضبط‌شده": "recorded",
     "آنلاین": "live", "برخط": "live", "online": "live"},
    no="none",
    yes_hint=_("“%(value)s” says the station has CCTV but not which kind: write recorded "
               "or live"),
)
FIBRE = Enum(
    {"connected": "متصل", "planned": "برنامه‌ریزی‌شده", "none": "هیچ"},
    {"در دست اجرا": "planned", "ندارد": "none", "fiber": "connected", "وصل": "connected",
     "برنامه‌ریزی شده": "planned",
     "برنامه ریزی شده": "planned"},
    yes="connected", no="none",
)
STATUS = Enum(
    {"active": "فعال", "closed": "بسته"},
    {"open": "active", "تعطیل": "closed", "غیرفعال": "closed", "inactive": "closed"},
)


def enum_parser(enum: Enum) -> Callable[[Cell], str | None]:
    table = enum.lookup()
    # The values in both spellings the file may use (vocabulary, not translation).
    allowed = ", ".join(f"{value} ({label})" for value, label in enum.labels_fa.items())
    if enum.no is not None or enum.yes is not None:
        allowed += f"; {YES_NO_HINT}" if enum.yes else "; no/خیر"

    def parse(value: Cell) -> str | None:
        text = _text(value)
        if not text:
            return None
        try:
            return table[search_key(text)]
        except KeyError:
            pass
        if enum.yes_hint is not None and yes_no(value):
            raise RuleError(enum.yes_hint, code="which_kind", value=Digits(text))
        raise RuleError(_("“%(value)s” is not one of: %(allowed)s"), code="not_a_choice",
                        value=Digits(text), allowed=Digits(allowed))

    return parse


def parse_mobile(value: Cell) -> str | None:
    flag = parse_bool(value)
    return None if flag is None else ("mobile" if flag else "fixed")


# --- columns -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str  # column identity
    field: str  # key in the parsed row (several columns may fill one field)
    header_fa: str  # written on export
    header_en: str
    parse: Callable[[Cell], Any]
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("code", "code", "کد شعبه", "code", parse_code,
           ("station code", "station no", "station number", "station", "شماره شعبه", "کد",
            "شعبه", "کد شعبه اخذ رای", "شماره شعبه اخذ رای")),
    Column("county_code", "county_code", "کد شهرستان", "county code", parse_county_code,
           ("county", "کد شهرستان محل شعبه", "شماره شهرستان")),
    Column("unit_code", "unit_code", "کد شهر یا آبادی", "unit code", parse_unit_code,
           ("کد آبادی", "کد واحد", "کد روستا", "کد شهر", "کد دهستان", "کد شهر یا روستا",
            "کد محل", "place code", "city or village code")),
    Column("constituency_code", "constituency_code", "کد حوزه انتخابیه", "constituency code",
           parse_constituency_code,
           ("constituency", "کد حوزه", "کد حوزه انتخابی", "حوزه انتخابیه")),
    Column("name", "name", "نام", "name", text_parser(TEXT_LIMITS["name"]),
           ("نام شعبه", "station name", "نام محل", "محل شعبه", "نام مکان", "محل استقرار",
            "محل استقرار شعبه", "نام محل استقرار", "نام محل شعبه", "نام محل استقرار شعبه")),
    Column("address", "address", "نشانی", "address", text_parser(TEXT_LIMITS["address"]),
           ("آدرس", "نشانی شعبه", "آدرس شعبه", "نشانی محل", "آدرس محل",
            "نشانی محل استقرار شعبه", "آدرس محل استقرار شعبه")),
    Column("latitude", "latitude", "عرض جغرافیایی", "latitude", parse_coordinate,
           ("lat", "عرض", "y", "عرض شمالی")),
    Column("longitude", "longitude", "طول جغرافیایی", "longitude", parse_coordinate,
           ("lon", "lng", "long", "طول", "x", "طول شرقی")),
    Column("venue", "venue", "نوع مکان", "venue", enum_parser(VENUE),
           ("venue type", "نوع محل", "نوع ساختمان", "کاربری مکان", "نوع مکان شعبه",
            "نوع محل استقرار")),
    Column("mobile", "kind", "سیار", "mobile", parse_mobile,
           ("is mobile", "شعبه سیار", "سیار است")),
    Column("kind", "kind", "نوع شعبه", "kind", enum_parser(KIND),
           ("ثابت/سیار", "ثابت یا سیار", "station kind")),
    Column("route", "route", "مسیر", "route", text_parser(TEXT_LIMITS["route"]),
           ("مسیر شعبه سیار", "مسیر حرکت", "مسیر سیار")),
    Column("expected_voters", "expected_voters", "رأی‌دهندگان", "expected voters", parse_int,
           ("voters", "eligible voters", "تعداد رای دهندگان", "رای دهندگان پیش بینی شده",
            "پیش بینی تعداد رای دهندگان", "تعداد رای دهنده", "واجدین", "واجدین شرایط",
            "تعداد واجدین", "تعداد واجدین شرایط", "تعداد واجد شرایط",
            "جمعیت واجد شرایط")),
    Column("capacity", "capacity", "ظرفیت", "capacity", parse_int,
           ("ظرفیت شعبه", "ظرفیت پذیرش", "ظرفیت محل", "ظرفیت رای دهندگان")),
    Column("cctv", "cctv", "دوربین", "cctv", enum_parser(CCTV),
           ("دوربین مدار بسته", "وضعیت دوربین", "سامانه دوربین", "نوع دوربین")),
    Column("cameras", "cameras", "تعداد دوربین", "cameras", int_parser(SMALL_INT_MAX),
           ("camera count", "number of cameras", "تعداد دوربین ها",
            "تعداد دوربین مدار بسته")),
    Column("fibre", "fibre", "فیبر", "fibre", enum_parser(FIBRE),
           ("fiber", "فیبر نوری", "وضعیت فیبر", "اتصال فیبر", "fibre status")),
    Column("fibre_date", "fibre_date", "تاریخ فیبر", "fibre date", parse_date,
           ("fiber date", "fibre planned date", "تاریخ اتصال فیبر", "تاریخ فیبر نوری",
            "تاریخ برنامه ریزی فیبر", "تاریخ اتصال")),
    Column("power_backup", "power_backup", "برق اضطراری", "power backup", parse_bool,
           ("مولد برق", "generator", "ژنراتور", "برق پشتیبان", "برق اضطراری دارد")),
    Column("evoting_planned", "evoting_planned", "رأی‌گیری الکترونیکی", "e-voting planned",
           parse_bool, ("evoting", "e-voting", "الکترونیکی", "رای گیری الکترونیک",
                        "الکترونیک")),
    Column("evoting_ready", "evoting_ready", "آمادگی تجهیزات الکترونیکی",
           "e-voting equipment ready", parse_bool,
           ("evoting ready", "e-voting ready", "آمادگی تجهیزات", "تجهیزات الکترونیکی آماده",
            "آمادگی تجهیزات الکترونیک")),
    Column("accessible", "accessible", "دسترس‌پذیر", "accessible", parse_bool,
           ("مناسب سازی برای معلولان", "دسترسی معلولان", "مناسب سازی",
            "مناسب سازی شده", "دسترسی جانبازان و معلولان")),
    Column("sensitive", "sensitive", "حساس", "sensitive", parse_bool, ("شعبه حساس",)),
    Column("sensitivity_reason", "sensitivity_reason", "دلیل حساسیت", "sensitivity reason",
           text_parser(TEXT_LIMITS["sensitivity_reason"]), ("علت حساسیت",)),
    Column("status", "status", "وضعیت", "status", enum_parser(STATUS),
           ("وضعیت شعبه", "station status")),
    Column("closed_reason", "closed_reason", "دلیل بسته‌بودن", "closed reason",
           text_parser(TEXT_LIMITS["closed_reason"]),
           ("علت بسته بودن", "دلیل تعطیلی", "علت تعطیلی")),
)
REQUIRED_COLUMNS = ("code", "county_code", "name")
# The column write_error_report adds; ignored when a corrected error report comes back.
ERROR_HEADER = "error / خطا"
# Row counters carry no station data: passed over without asking.
ROW_NUMBER_HEADERS = ("ردیف", "row", "#", "شماره ردیف", "ردیف شماره", "no")
IGNORE = "ignore"  # the mapping target that drops a column

_BY_KEY: dict[str, Column] = {}
for _column in COLUMNS:
    for _alias in (_column.name, _column.header_fa, _column.header_en, *_column.aliases):
        _BY_KEY.setdefault(header_key(_alias), _column)
_BY_NAME = {c.name: c for c in COLUMNS}
_SKIP_KEYS = {header_key(h) for h in (*ROW_NUMBER_HEADERS, ERROR_HEADER)}

# The default of each parsed field for a new station (blank cells give these too).
DEFAULTS: dict[str, Any] = {
    "unit_code": "", "constituency_code": "", "address": "", "latitude": None,
    "longitude": None, "venue": "other", "kind": "fixed", "route": "", "expected_voters": 0,
    "capacity": None, "cctv": "none", "cameras": 0, "fibre": "none", "fibre_date": None,
    "power_backup": False, "evoting_planned": False, "evoting_ready": False,
    "accessible": False, "sensitive": False, "sensitivity_reason": "", "status": "active",
    "closed_reason": "",
}


def column_for(text: str) -> Column | None:
    """The column a header (or a mapping target: name or any alias) names."""
    for key in header_keys(text):
        if key in _BY_KEY:
            return _BY_KEY[key]
    return None


def is_ignore(text: str) -> bool:
    """Whether a mapping's right-hand side says "leave the column out"."""
    return header_key(text) in {IGNORE, header_key("نادیده"), header_key("نادیده گرفتن")}


def mapping_target(text: str) -> Column | str | None:
    """What a mapping's right-hand side names: a column, ``IGNORE``, or None."""
    if is_ignore(text):
        return IGNORE
    return _BY_NAME.get(text.strip()) or column_for(text)


@dataclass
class UnknownColumn:
    header: str
    candidates: list[str]  # column names it could be, most likely first

    def describe(self) -> str:
        """The candidate columns by both their names (the file's vocabulary)."""
        return ", ".join(f"{_BY_NAME[c].name} ({_BY_NAME[c].header_fa})" for c in self.candidates)


@dataclass
class HeaderMap:
    columns: list[tuple[int, Column]]  # (index in the file, column)
    headers: list[str]
    ignored: list[str]
    duplicates: list[str]
    missing: list[str]
    unknown: list[UnknownColumn] = field(default_factory=list)

    def header_for(self, field: str) -> str:
        """The header the user wrote for ``field``, or our Persian one if absent."""
        for index, column in self.columns:
            if column.field == field:
                return self.headers[index]
        for column in COLUMNS:
            if column.field == field or column.name == field:
                return column.header_fa
        return field

    def index_for(self, field: str) -> int | None:
        for index, column in self.columns:
            if column.field == field:
                return index
        return None


def _mapping_keys(mapping: Mapping[str, str] | None) -> dict[str, Column | str]:
    """The user's mapping keyed by header_key; targets already checked by the caller."""
    result: dict[str, Column | str] = {}
    for header, target in (mapping or {}).items():
        resolved = mapping_target(target)
        if resolved is not None:
            result[header_key(header)] = resolved
    return result


def map_headers(headers: list[str], mapping: Mapping[str, str] | None = None) -> HeaderMap:
    """Match the file's headers to columns; ``mapping`` (header -> column name, alias or
    ``IGNORE``) decides headers we do not recognise, and overrides those we do."""
    chosen = _mapping_keys(mapping)
    columns: list[tuple[int, Column]] = []
    ignored, duplicates, unknown_headers = [], [], []
    seen: set[str] = set()
    for index, header in enumerate(headers):
        key = header_key(header)
        target: Column | str | None = chosen.get(key) if key else None
        if target is None:
            target = column_for(header)
        if target == IGNORE or (target is None and key in _SKIP_KEYS):
            ignored.append(header)
            continue
        if not isinstance(target, Column):
            if key:
                unknown_headers.append(header)
            continue
        if target.field in seen:
            duplicates.append(header)
            continue
        seen.add(target.field)
        columns.append((index, target))
    missing = [name for name in REQUIRED_COLUMNS if name not in seen]
    free = [c for c in COLUMNS if c.field not in seen]
    unknown = [UnknownColumn(h, column_candidates(h, free)) for h in unknown_headers]
    return HeaderMap(columns, headers, ignored, duplicates, missing, unknown)


def column_candidates(header: str, free: Sequence[Any]) -> list[str]:
    """Columns not yet in the file that ``header`` may mean: by shared words and by
    similar spelling, else every free column.  Any import's columns (with ``name``,
    ``header_fa``, ``header_en`` and ``aliases``: the people import's too)."""
    words = {w for w in normalize(header).replace(ZWNJ, " ").split() if len(w) > 1}
    key = header_key(header)
    scored: list[tuple[float, int, str]] = []
    for order, column in enumerate(free):
        names = (column.header_fa, column.header_en, *column.aliases)
        shared = max(len(words & set(normalize(n).replace(ZWNJ, " ").split()))
                     for n in names)
        similar = max(difflib.SequenceMatcher(None, key, header_key(n)).ratio() for n in names)
        score = shared + (similar if similar >= 0.6 else 0.0)
        if score > 0:
            scored.append((-score, order, column.name))
    if not scored:
        return [c.name for c in free]
    return [name for _score, _order, name in sorted(scored)[:5]]



def header_found(headers: list[str], mapping: Mapping[str, str] | None = None) -> bool:
    """Whether a row is the header: it names at least two of the required columns, or
    three columns of any kind (a title row names none; an instructions table one)."""
    chosen = _mapping_keys(mapping)
    fields = set()
    for header in headers:
        target = chosen.get(header_key(header)) or column_for(header)
        if isinstance(target, Column):
            fields.add(target.name)
    return len(fields & set(REQUIRED_COLUMNS)) >= 2 or len(fields) >= 3


# Export: header and formatter per column, in the order of COLUMNS (kind only via «سیار»).
def _yes_no(value: bool) -> str:
    return "بله" if value else "خیر"


def _jalali(value: datetime.date | None) -> str:
    return format_jalali(value, persian_digits=False) if value else ""


# Headers are the columns' own Persian headers (one spelling for export and import).
EXPORT_COLUMNS: tuple[tuple[str, Callable[[dict[str, Any]], Cell]], ...] = (
    (_BY_NAME["code"].header_fa, lambda r: r["code"]),
    (_BY_NAME["county_code"].header_fa, lambda r: r["county__code"]),
    (_BY_NAME["unit_code"].header_fa, lambda r: r["unit__code"] or ""),
    (_BY_NAME["constituency_code"].header_fa, lambda r: r["constituency__code"] or ""),
    (_BY_NAME["name"].header_fa, lambda r: r["name"]),
    (_BY_NAME["address"].header_fa, lambda r: r["address"]),
    (_BY_NAME["latitude"].header_fa, lambda r: r["latitude"]),
    (_BY_NAME["longitude"].header_fa, lambda r: r["longitude"]),
    (_BY_NAME["venue"].header_fa, lambda r: VENUE.label(r["venue"])),
    (_BY_NAME["mobile"].header_fa, lambda r: _yes_no(r["kind"] == "mobile")),
    (_BY_NAME["route"].header_fa, lambda r: r["route"]),
    (_BY_NAME["expected_voters"].header_fa, lambda r: r["expected_voters"]),
    (_BY_NAME["capacity"].header_fa, lambda r: r["capacity"]),
    (_BY_NAME["cctv"].header_fa, lambda r: CCTV.label(r["cctv"])),
    (_BY_NAME["cameras"].header_fa, lambda r: r["cameras"]),
    (_BY_NAME["fibre"].header_fa, lambda r: FIBRE.label(r["fibre"])),
    (_BY_NAME["fibre_date"].header_fa, lambda r: _jalali(r["fibre_date"])),
    (_BY_NAME["power_backup"].header_fa, lambda r: _yes_no(r["power_backup"])),
    (_BY_NAME["evoting_planned"].header_fa, lambda r: _yes_no(r["evoting_planned"])),
    (_BY_NAME["evoting_ready"].header_fa, lambda r: _yes_no(r["evoting_ready"])),
    (_BY_NAME["accessible"].header_fa, lambda r: _yes_no(r["accessible"])),
    (_BY_NAME["sensitive"].header_fa, lambda r: _yes_no(r["sensitive"])),
    (_BY_NAME["sensitivity_reason"].header_fa, lambda r: r["sensitivity_reason"]),
    (_BY_NAME["status"].header_fa, lambda r: STATUS.label(r["status"])),
    (_BY_NAME["closed_reason"].header_fa, lambda r: r["closed_reason"]),
)
EXPORT_VALUE_FIELDS = (
    "code", "county__code", "unit__code", "constituency__code", "name", "address", "latitude",
    "longitude", "venue", "kind", "route", "expected_voters", "capacity", "cctv", "cameras",
    "fibre", "fibre_date", "power_backup", "evoting_planned", "evoting_ready", "accessible",
    "sensitive", "sensitivity_reason", "status", "closed_reason",
)
