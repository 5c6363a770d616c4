"""The station spreadsheet: its columns, header aliases and cell parsing/formatting.

Headers match in Persian or English, compared by ``search_key`` so that Arabic/Persian
letter forms, ZWNJ, spaces, underscores and hyphens do not matter.  Cells accept Persian
and Arabic-Indic digits, yes/no and enum values in both languages, and Jalali dates.
Export writes the first (Persian) header of each column and Persian enum labels, which
the parser reads back to the same values.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from amanat.lib.jalali import JalaliDateError, format_jalali, parse_jalali_date
from amanat.lib.persian import normalize, search_key
from amanat.lib.tabular import Cell, unescape_formula


class CellError(ValueError):
    def __init__(self, message_en: str, message_fa: str) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_fa = message_fa


def header_key(text: str) -> str:
    """Comparison key of a header: search_key without punctuation people add."""
    key = search_key(text)
    for char in "_-*:()[].":
        key = key.replace(char, "")
    return key


def _text(value: Cell) -> str:
    """A cell as stripped text (numbers from XLSX without a spurious ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return unescape_formula(str(value).strip())


def parse_text(value: Cell) -> str:
    return normalize(_text(value))


def parse_code(value: Cell) -> str:
    if isinstance(value, str) and value.isascii() and value.isalnum():
        return value
    # normalize also turns Persian/Arabic-Indic digits into ASCII ones.
    return normalize(_text(value)).replace(" ", "")


def _number_text(value: Cell) -> str:
    text = normalize(_text(value))
    # Arabic decimal and thousands separators, then plain thousands commas.
    return text.replace("\u066b", ".").replace("\u066c", "").replace(",", "").replace(" ", "")


def parse_float(value: Cell) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        # Fast path: float() reads ASCII and Persian digits alike; the rest goes through
        # normalisation (Arabic separators, stray marks).
        try:
            return float(value)
        except ValueError:
            pass
    text = _number_text(value)
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise CellError(f"{text!r} is not a number", f"«{text}» عدد نیست") from None


def parse_int(value: Cell) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)  # fast path, as in parse_float
        except ValueError:
            pass
    text = _number_text(value)
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise CellError(
            f"{text!r} is not a whole number", f"«{text}» عدد صحیح نیست"
        ) from None


_YES = {"1", "true", "yes", "y", "بله", "بلی", "آری", "اری", "دارد", "هست", "است", "✓", "x"}
_NO = {"0", "false", "no", "n", "خیر", "نه", "ندارد", "نیست", "نمی‌باشد", "-", "×"}
_YES_KEYS = {search_key(v) for v in _YES}
_NO_KEYS = {search_key(v) for v in _NO}


def parse_bool(value: Cell) -> bool | None:
    if isinstance(value, bool):
        return value
    key = search_key(_text(value))
    if not key:
        return None
    if key in _YES_KEYS:
        return True
    if key in _NO_KEYS:
        return False
    raise CellError(
        f"{_text(value)!r} is not yes/no (use yes/no, بله/خیر, دارد/ندارد, 1/0)",
        f"«{_text(value)}» بله/خیر نیست (بله/خیر، دارد/ندارد، ۱/۰ بنویسید)",
    )


def parse_date(value: Cell) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()  # a real date cell in Excel is Gregorian
    if isinstance(value, datetime.date):
        return value
    text = _text(value)
    if not text:
        return None
    try:
        return parse_jalali_date(text)
    except JalaliDateError as exc:
        raise CellError(exc.message_en, exc.message_fa) from None


@dataclass(frozen=True)
class Enum:
    """Values of one choice field: stored value -> Persian label, plus extra spellings."""

    labels_fa: dict[str, str]
    extra: dict[str, str]

    def lookup(self) -> dict[str, str]:
        table = {search_key(v): v for v in self.labels_fa}
        table |= {search_key(v.replace("_", " ")): v for v in self.labels_fa}
        table |= {search_key(label): v for v, label in self.labels_fa.items()}
        table |= {search_key(alias): v for alias, v in self.extra.items()}
        return table


VENUE = Enum(
    {"school": "مدرسه", "mosque": "مسجد", "office": "اداره", "health_centre": "مرکز بهداشت",
     "other": "سایر"},
    {"health center": "health_centre", "clinic": "health_centre", "درمانگاه": "health_centre",
     "مرکز بهداشتی درمانی": "health_centre", "خانه بهداشت": "health_centre",
     "دبستان": "school", "دبیرستان": "school", "هنرستان": "school", "حسینیه": "mosque",
     "اداره دولتی": "office", "دیگر": "other", "غیره": "other", "government office": "office"},
)
KIND = Enum({"fixed": "ثابت", "mobile": "سیار"}, {"static": "fixed"})
CCTV = Enum(
    {"none": "ندارد", "recorded": "ضبط", "live": "زنده"},
    {"no": "none", "بدون": "none", "خیر": "none", "ضبطی": "recorded", "ضبط شده": "recorded",
     "ضبط‌شده": "recorded", "آنلاین": "live", "برخط": "live", "online": "live"},
)
FIBRE = Enum(
    {"connected": "متصل", "planned": "در دست اجرا", "none": "ندارد"},
    {"fiber": "connected", "وصل": "connected", "دارد": "connected", "yes": "connected",
     "برنامه‌ریزی شده": "planned", "برنامه ریزی شده": "planned", "no": "none", "خیر": "none"},
)
STATUS = Enum(
    {"active": "فعال", "closed": "بسته"},
    {"open": "active", "تعطیل": "closed", "غیرفعال": "closed", "inactive": "closed"},
)


def enum_parser(enum: Enum) -> Callable[[Cell], str | None]:
    table = enum.lookup()
    allowed_en = ", ".join(enum.labels_fa)
    allowed_fa = "، ".join(enum.labels_fa.values())

    def parse(value: Cell) -> str | None:
        text = _text(value)
        if not text:
            return None
        try:
            return table[search_key(text)]
        except KeyError:
            raise CellError(
                f"{text!r} is not one of: {allowed_en}", f"«{text}» یکی از این‌ها نیست: {allowed_fa}"
            ) from None

    return parse


def parse_mobile(value: Cell) -> str | None:
    flag = parse_bool(value)
    return None if flag is None else ("mobile" if flag else "fixed")


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
           ("station code", "station_code", "شماره شعبه", "کد")),
    Column("county_code", "county_code", "کد شهرستان", "county code", parse_code, ("county",)),
    Column("unit_code", "unit_code", "کد شهر یا آبادی", "unit code", parse_code,
           ("کد آبادی", "کد واحد", "کد روستا", "کد شهر", "place code")),
    Column("constituency_code", "constituency_code", "کد حوزه انتخابیه", "constituency code",
           parse_code, ("constituency", "کد حوزه")),
    Column("name", "name", "نام", "name", parse_text, ("نام شعبه", "station name", "نام محل")),
    Column("address", "address", "نشانی", "address", parse_text, ("آدرس",)),
    Column("latitude", "latitude", "عرض جغرافیایی", "latitude", parse_float, ("lat", "عرض")),
    Column("longitude", "longitude", "طول جغرافیایی", "longitude", parse_float,
           ("lon", "lng", "long", "طول")),
    Column("venue", "venue", "نوع مکان", "venue", enum_parser(VENUE), ("venue type", "نوع محل")),
    Column("mobile", "kind", "سیار", "mobile", parse_mobile, ("is mobile",)),
    Column("kind", "kind", "نوع شعبه", "kind", enum_parser(KIND), ("ثابت/سیار",)),
    Column("route", "route", "مسیر", "route", parse_text, ("مسیر شعبه سیار",)),
    Column("expected_voters", "expected_voters", "رای دهندگان", "expected voters", parse_int,
           ("voters", "تعداد رای دهندگان", "رای دهندگان پیش بینی شده")),
    Column("capacity", "capacity", "ظرفیت", "capacity", parse_int, ()),
    Column("cctv", "cctv", "دوربین", "cctv", enum_parser(CCTV), ("دوربین مدار بسته",)),
    Column("cameras", "cameras", "تعداد دوربین", "cameras", parse_int, ("camera count",)),
    Column("fibre", "fibre", "فیبر", "fibre", enum_parser(FIBRE), ("fiber", "فیبر نوری")),
    Column("fibre_date", "fibre_date", "تاریخ فیبر", "fibre date", parse_date,
           ("fiber date", "fibre planned date", "تاریخ اتصال فیبر")),
    Column("power_backup", "power_backup", "برق اضطراری", "power backup", parse_bool,
           ("مولد برق", "generator")),
    Column("evoting_planned", "evoting_planned", "رای گیری الکترونیکی", "e-voting planned",
           parse_bool, ("evoting", "e-voting", "الکترونیکی")),
    Column("evoting_ready", "evoting_ready", "آمادگی تجهیزات الکترونیکی",
           "e-voting equipment ready", parse_bool, ("evoting ready", "e-voting ready")),
    Column("accessible", "accessible", "دسترس پذیر", "accessible", parse_bool,
           ("مناسب سازی برای معلولان", "دسترسی معلولان")),
    Column("sensitive", "sensitive", "حساس", "sensitive", parse_bool, ("شعبه حساس",)),
    Column("sensitivity_reason", "sensitivity_reason", "دلیل حساسیت", "sensitivity reason",
           parse_text, ("علت حساسیت",)),
    Column("status", "status", "وضعیت", "status", enum_parser(STATUS), ()),
    Column("closed_reason", "closed_reason", "دلیل بسته بودن", "closed reason", parse_text,
           ("علت بسته بودن", "دلیل تعطیلی")),
)
REQUIRED_COLUMNS = ("code", "county_code", "name")
# The column write_error_report adds; ignored when a corrected error report comes back.
ERROR_HEADER = "error / خطا"

_BY_KEY: dict[str, Column] = {}
for _column in COLUMNS:
    for _alias in (_column.name, _column.header_fa, _column.header_en, *_column.aliases):
        _BY_KEY.setdefault(header_key(_alias), _column)

# The default of each parsed field for a new station (blank cells give these too).
DEFAULTS: dict[str, Any] = {
    "unit_code": "", "constituency_code": "", "address": "", "latitude": None,
    "longitude": None, "venue": "other", "kind": "fixed", "route": "", "expected_voters": 0,
    "capacity": None, "cctv": "none", "cameras": 0, "fibre": "none", "fibre_date": None,
    "power_backup": False, "evoting_planned": False, "evoting_ready": False,
    "accessible": False, "sensitive": False, "sensitivity_reason": "", "status": "active",
    "closed_reason": "",
}


@dataclass
class HeaderMap:
    columns: list[tuple[int, Column]]  # (index in the file, column)
    headers: list[str]
    ignored: list[str]
    duplicates: list[str]
    missing: list[str]

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


def map_headers(headers: list[str]) -> HeaderMap:
    columns: list[tuple[int, Column]] = []
    ignored, duplicates = [], []
    seen: set[str] = set()
    for index, header in enumerate(headers):
        key = header_key(header)
        column = _BY_KEY.get(key)
        if column is None:
            if key and key != header_key(ERROR_HEADER):
                ignored.append(header)
            continue
        if column.field in seen:
            duplicates.append(header)
            continue
        seen.add(column.field)
        columns.append((index, column))
    missing = [name for name in REQUIRED_COLUMNS if name not in seen]
    return HeaderMap(columns, headers, ignored, duplicates, missing)


# Export: header and formatter per column, in the order of COLUMNS (kind only via «سیار»).
def _yes_no(value: bool) -> str:
    return "بله" if value else "خیر"


def _jalali(value: datetime.date | None) -> str:
    return format_jalali(value, persian_digits=False) if value else ""


EXPORT_COLUMNS: tuple[tuple[str, Callable[[dict[str, Any]], Cell]], ...] = (
    ("کد شعبه", lambda r: r["code"]),
    ("کد شهرستان", lambda r: r["county__code"]),
    ("کد شهر یا آبادی", lambda r: r["unit__code"] or ""),
    ("کد حوزه انتخابیه", lambda r: r["constituency__code"] or ""),
    ("نام", lambda r: r["name"]),
    ("نشانی", lambda r: r["address"]),
    ("عرض جغرافیایی", lambda r: r["latitude"]),
    ("طول جغرافیایی", lambda r: r["longitude"]),
    ("نوع مکان", lambda r: VENUE.labels_fa[r["venue"]]),
    ("سیار", lambda r: _yes_no(r["kind"] == "mobile")),
    ("مسیر", lambda r: r["route"]),
    ("رای دهندگان", lambda r: r["expected_voters"]),
    ("ظرفیت", lambda r: r["capacity"]),
    ("دوربین", lambda r: CCTV.labels_fa[r["cctv"]]),
    ("تعداد دوربین", lambda r: r["cameras"]),
    ("فیبر", lambda r: FIBRE.labels_fa[r["fibre"]]),
    ("تاریخ فیبر", lambda r: _jalali(r["fibre_date"])),
    ("برق اضطراری", lambda r: _yes_no(r["power_backup"])),
    ("رای گیری الکترونیکی", lambda r: _yes_no(r["evoting_planned"])),
    ("آمادگی تجهیزات الکترونیکی", lambda r: _yes_no(r["evoting_ready"])),
    ("دسترس پذیر", lambda r: _yes_no(r["accessible"])),
    ("حساس", lambda r: _yes_no(r["sensitive"])),
    ("دلیل حساسیت", lambda r: r["sensitivity_reason"]),
    ("وضعیت", lambda r: STATUS.labels_fa[r["status"]]),
    ("دلیل بسته بودن", lambda r: r["closed_reason"]),
)
EXPORT_VALUE_FIELDS = (
    "code", "county__code", "unit__code", "constituency__code", "name", "address", "latitude",
    "longitude", "venue", "kind", "route", "expected_voters", "capacity", "cctv", "cameras",
    "fibre", "fibre_date", "power_backup", "evoting_planned", "evoting_ready", "accessible",
    "sensitive", "sensitivity_reason", "status", "closed_reason",
)
