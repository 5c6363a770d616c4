"""The people spreadsheet: its columns, header variants and cell parsing (the station
import's vocabulary: ``stations.tabular.header_key``, yes/no spellings, Persian digits).

Headers match in Persian or English by ``header_key``; the posts column takes the post
values or their Persian names, separated by commas, «،» or «/»; a post the contest does
not have refuses the row.  The home place is a code («کد محل سکونت») or a name («محل
سکونت», found within the county).  Columns of no known meaning (a county register's «نام
پدر») are the station import's unknown columns: mapped to a column or ignored
(``map_headers(mapping=...)``, ``stations.forms.ColumnMappingForm``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from amanat.core.errors import Digits, RuleError
from amanat.core.identity import mask_mobile, mask_national_id
from amanat.elections.posts import StationPost
from amanat.lib.nationalid import national_id_from_cell
from amanat.lib.persian import search_key, to_ascii_digits
from amanat.lib.tabular import Cell, code_digits, unescape_formula
from amanat.stations import tabular as st

POST_FA: dict[str, str] = {
    StationPost.REPRESENTATIVE: "نماینده فرماندار", StationPost.MEMBER: "عضو شعبه",
    StationPost.INSPECTOR: "بازرس", StationPost.POLICE: "مأمور انتظامی"}
_POST_ALIASES = {"نماینده": StationPost.REPRESENTATIVE, "نماینده فرمانداری":
                 StationPost.REPRESENTATIVE, "عضو": StationPost.MEMBER,
                 "عضو هیئت اجرایی شعبه": StationPost.MEMBER, "ناظر": StationPost.INSPECTOR,
                 "بازرس شعبه": StationPost.INSPECTOR, "پلیس": StationPost.POLICE,
                 "نیروی انتظامی": StationPost.POLICE, "مامور انتظامی": StationPost.POLICE,
                 "انتظامی": StationPost.POLICE, "police officer": StationPost.POLICE,
                 "governor's representative": StationPost.REPRESENTATIVE}
_POSTS: dict[str, str] = {}
for _value in StationPost.values:
    _POSTS[search_key(_value)] = _value
    _POSTS[search_key(POST_FA[_value])] = _value
for _alias, _value in _POST_ALIASES.items():
    _POSTS[search_key(_alias)] = _value
_SPLIT = re.compile(r"[,،;؛/|+]")

GENDERS = {search_key(x): v for x, v in (
    ("female", "female"), ("f", "female"), ("زن", "female"), ("خانم", "female"),
    ("مونث", "female"), ("male", "male"), ("m", "male"), ("مرد", "male"), ("آقا", "male"),
    ("مذکر", "male"))}


def cell_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unescape_formula(str(value).strip())


def parse_posts(value: Cell) -> str:
    found: set[str] = set()
    for part in _SPLIT.split(st.parse_text(value)):
        if not part.strip():
            continue
        post = _POSTS.get(search_key(part))
        if post is None:
            # In the reader's language: the Persian names (also what the file should say)
            # on a Persian page, the English ones with their codes on an English page.
            if (get_language() or "fa").startswith("fa"):
                allowed = "، ".join(POST_FA[v] for v in StationPost.values)
            else:
                allowed = ", ".join(f"{p.label} ({p.value})" for p in StationPost)
            raise RuleError(_("“%(value)s” is not a post of this contest's stations; the posts "
                              "are: %(allowed)s"), code="unknown_post",
                            value=Digits(part.strip()), allowed=allowed)
        found.add(post)
    return ",".join(sorted(found))


def parse_gender(value: Cell) -> str:
    text = st.parse_text(value)
    if not text:
        return ""
    try:
        return GENDERS[search_key(text)]
    except KeyError:
        raise RuleError(_("“%(value)s” is not a gender (write زن or مرد)"), code="gender",
                        value=Digits(text)) from None


def parse_code(value: Cell) -> str:
    """A code typed by hand (home place, mobile): Persian or Arabic-Indic digits read as
    the Latin ones the geography keeps («۲۳۲۱۰۱۱۵۹۳» is 2321011593)."""
    return code_digits(to_ascii_digits(cell_text(value)).replace(" ", ""))


def parse_national_id(value: Cell) -> str:
    return national_id_from_cell(cell_text(value))


@dataclass(frozen=True)
class Column:
    name: str
    header_fa: str
    header_en: str
    parse: Callable[[Cell], Any]
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("national_id", "کد ملی", "national ID", parse_national_id,
           ("national id", "national code", "کدملی", "شماره ملی", "شناسه ملی")),
    Column("first_name", "نام", "first name", st.text_parser(100), ("اسم", "name")),
    Column("last_name", "نام خانوادگی", "last name", st.text_parser(100),
           ("نام فامیلی", "فامیلی", "surname", "family name")),
    Column("gender", "جنسیت", "gender", parse_gender, ("جنس", "sex")),
    Column("mobile", "تلفن همراه", "mobile", parse_code,
           ("موبایل", "شماره همراه", "شماره موبایل", "همراه", "mobile number", "phone")),
    Column("home_unit_code", "کد محل سکونت", "home place code", parse_code,
           ("کد محل", "کد آبادی", "کد شهر یا روستا", "home unit", "home code")),
    Column("home_place", "محل سکونت", "home place", st.text_parser(200),
           ("محل اقامت", "نام محل سکونت", "شهر یا روستا", "شهر/روستا", "آبادی",
            "place of residence", "home place name")),
    Column("employer", "محل کار", "employer", st.text_parser(200),
           ("دستگاه", "دستگاه محل خدمت", "اداره", "سازمان")),
    Column("posts", "سمت‌ها", "posts", parse_posts,
           ("سمت", "نقش", "نقش‌ها", "سمت های مجاز", "roles", "post")),
    Column("available", "آماده به کار", "available", st.parse_bool,
           ("در دسترس", "حضور در روز انتخابات", "availability")),
)
REQUIRED = ("national_id", "first_name", "last_name")
BY_NAME = {c.name: c for c in COLUMNS}
_BY_KEY: dict[str, Column] = {}
for _column in COLUMNS:
    for _alias in (_column.name, _column.header_fa, _column.header_en, *_column.aliases):
        _BY_KEY.setdefault(st.header_key(_alias), _column)
_SKIP = {st.header_key(h) for h in (*st.ROW_NUMBER_HEADERS, st.ERROR_HEADER)}
# Person fields an import writes.
WRITTEN = ["first_name", "last_name", "gender", "mobile", "employer", "posts", "available",
           "home_unit"]


def column_for(header: str) -> Column | None:
    for key in st.header_keys(header):
        if key in _BY_KEY:
            return _BY_KEY[key]
    return None


def mapping_target(text: str) -> Column | str | None:
    """What a mapping's right-hand side names: a column (its name or any header it is
    known by), ``stations.tabular.IGNORE``, or None (as ``stations.tabular``'s)."""
    if st.is_ignore(text):
        return st.IGNORE
    return BY_NAME.get(text.strip()) or column_for(text)


def _chosen(mapping: Mapping[str, str] | None) -> dict[str, Column | str]:
    result: dict[str, Column | str] = {}
    for header, target in (mapping or {}).items():
        resolved = mapping_target(target)
        if resolved is not None:
            result[st.header_key(header)] = resolved
    return result


def header_found(row: list[str], mapping: Mapping[str, str] | None = None) -> bool:
    chosen = _chosen(mapping)
    names = {c.name for h in row
             if isinstance(c := chosen.get(st.header_key(h)) or column_for(h), Column)}
    return "national_id" in names and len(names) >= 2


@dataclass
class HeaderMap:
    columns: list[tuple[int, Column]]  # (index in the file, column)
    unknown: list[st.UnknownColumn]  # headers of no known meaning, not mapped
    ignored: list[str]  # headers mapped to "ignore" (and row counters)
    missing: list[str]  # required columns absent


def map_headers(headers: list[str], mapping: Mapping[str, str] | None = None) -> HeaderMap:
    """Match the file's headers to columns; ``mapping`` (header -> column name, alias or
    ``ignore``) decides the headers we do not recognise and overrides those we do; the
    rest are unknown, each with the columns it could be (the station import's way)."""
    chosen = _chosen(mapping)
    columns: list[tuple[int, Column]] = []
    unknown: list[str] = []
    ignored: list[str] = []
    for index, header in enumerate(headers):
        key = st.header_key(header)
        if not key:
            continue
        target = chosen.get(key) or column_for(header)
        if target == st.IGNORE or (target is None and key in _SKIP):
            ignored.append(header)
        elif not isinstance(target, Column):
            unknown.append(header)
        elif all(c.name != target.name for _i, c in columns):
            columns.append((index, target))
    present = {c.name for _i, c in columns}
    free = [c for c in COLUMNS if c.name not in present]
    return HeaderMap(columns, [st.UnknownColumn(h, st.column_candidates(h, free))
                               for h in unknown], ignored,
                     [n for n in REQUIRED if n not in present])


def describe(unknown: st.UnknownColumn) -> str:
    """The columns an unknown header could be, by both their names."""
    return ", ".join(f"{BY_NAME[c].name} ({BY_NAME[c].header_fa})" for c in unknown.candidates)


# A footer row under the people («جمع: ۶ نفر», «مجموع», "Total"): no national ID, and a
# cell that opens with one of these words.
_TOTAL_WORDS = tuple(search_key(w) for w in ("جمع", "مجموع", "جمع کل", "total", "sum"))


def looks_like_total(cells: list[Cell]) -> str:
    """The cell's text when the row reads like a total row (else "")."""
    for value in cells:
        text = cell_text(value)
        key = search_key(text)
        # The word alone or followed by no letter («جمع: ۶», «جمع ۶ نفر»; not «جمعه»).
        if key and any(key.startswith(w) and not key[len(w):len(w) + 1].isalpha()
                       for w in _TOTAL_WORDS):
            return text
    return ""


EXPORT_HEADERS = [c.header_fa for c in COLUMNS]


def export_row(person: Any, *, masked: bool) -> list[Cell]:
    gender = {"female": "زن", "male": "مرد"}.get(person.gender, "")
    return [
        mask_national_id(person.national_id) if masked else person.national_id,
        person.first_name, person.last_name, gender,
        mask_mobile(person.mobile) if masked else person.mobile,
        person.home_unit.code if person.home_unit else "",
        person.home_unit.name if person.home_unit else "", person.employer,
        "، ".join(POST_FA[p] for p in person.post_list if p in POST_FA),
        "بله" if person.available else "خیر",
    ]
