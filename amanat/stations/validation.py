"""The rules a polling station must satisfy: the one place they are written down.

``validate_station`` is pure (no database, no Django): it takes a row of already parsed
values (keys as the Station model's fields, plus ``county_code``) and returns every
broken rule as a ``FieldError`` with the message in English and Persian.  The importer,
the model's ``clean`` (forms, admin) and the API all call it.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from dataclasses import dataclass
from typing import Any

from amanat.lib.geodesy import Area
from amanat.lib.jalali import era_problem
from amanat.lib.persian import to_persian_digits

# Iran's bounding box, with a small margin for border stations.
LAT_RANGE = (25.0, 39.8)
LON_RANGE = (44.0, 63.4)
# Station codes: ASCII letters and digits, optionally with hyphens, as counties number them.
CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,19}$")
# The largest plausible counts of one station (far inside their columns: PostgreSQL
# integer and smallint).  A larger number is a typing or column mistake.
MAX_VOTERS = 100_000
MAX_CAMERAS = 100
COUNT_LIMITS = {"expected_voters": MAX_VOTERS, "capacity": MAX_VOTERS, "cameras": MAX_CAMERAS}
# The longest text of each free-text field, in characters: the model's max_length, the
# importer's cell check, the edit form and the API schema are all these numbers.  Each
# fits an XLSX cell (lib.tabular.MAX_CELL_CHARS), so an export never cuts one.
TEXT_LIMITS = {
    "name": 200, "address": 500, "route": 2000, "sensitivity_reason": 2000,
    "closed_reason": 2000,
}
_TEXT_LABELS = {
    "name": ("name", "نام شعبه"), "address": ("address", "نشانی"),
    "route": ("route", "مسیر"), "sensitivity_reason": ("sensitivity reason", "دلیل حساسیت"),
    "closed_reason": ("closed reason", "دلیل بسته بودن"),
}


@dataclass(frozen=True)
class FieldError:
    field: str
    message_en: str
    message_fa: str


def _fa(value: object) -> str:
    return to_persian_digits(str(value))


def validate_station(
    row: Mapping[str, Any], *, county_codes: Container[str] | None = None
) -> list[FieldError]:
    """Every rule ``row`` breaks; an empty list means the station is valid.

    ``county_codes``, when given, is the set of known county codes to check
    ``row["county_code"]`` against.
    """
    errors: list[FieldError] = []
    errors += _identity(row, county_codes)
    errors += _lengths(row)
    errors += _coordinates(row)
    errors += _counts(row)
    errors += _dates(row)
    errors += _conditional(row)
    return errors


def _identity(row: Mapping[str, Any], county_codes: Container[str] | None) -> list[FieldError]:
    errors = []
    code = row.get("code") or ""
    if not code:
        errors.append(FieldError("code", "station code is required", "کد شعبه لازم است"))
    elif not CODE_RE.match(code):
        errors.append(FieldError(
            "code",
            f"station code {code!r} must be 1-20 letters, digits or hyphens",
            f"کد شعبه «{_fa(code)}» باید ۱ تا ۲۰ حرف لاتین، رقم یا خط تیره باشد",
        ))
    if not row.get("name"):
        errors.append(FieldError("name", "name is required", "نام شعبه لازم است"))
    if county_codes is not None:
        county = row.get("county_code") or ""
        if not county:
            errors.append(
                FieldError("county_code", "county code is required", "کد شهرستان لازم است")
            )
        elif county not in county_codes:
            errors.append(FieldError(
                "county_code",
                f"there is no county with code {county}",
                f"شهرستانی با کد {_fa(county)} وجود ندارد",
            ))
    return errors


def _lengths(row: Mapping[str, Any]) -> list[FieldError]:
    errors = []
    for name, limit in TEXT_LIMITS.items():
        value = row.get(name)
        if isinstance(value, str) and len(value) > limit:
            en, fa = _TEXT_LABELS[name]
            errors.append(FieldError(
                name,
                f"{en} is {len(value):,} characters long; at most {limit:,} are allowed",
                f"{fa} {_fa(len(value))} نویسه است؛ حداکثر {_fa(limit)} نویسه مجاز است",
            ))
    return errors


def _coordinates(row: Mapping[str, Any]) -> list[FieldError]:
    lat, lon = row.get("latitude"), row.get("longitude")
    if lat is None and lon is None:
        return []
    if lat is None or lon is None:
        missing = "latitude" if lat is None else "longitude"
        return [FieldError(
            missing,
            "latitude and longitude must be given together",
            "عرض و طول جغرافیایی باید با هم داده شوند",
        )]
    errors = []
    if not LAT_RANGE[0] <= lat <= LAT_RANGE[1]:
        errors.append(FieldError(
            "latitude",
            f"latitude {lat} is outside Iran ({LAT_RANGE[0]} to {LAT_RANGE[1]})",
            f"عرض جغرافیایی {_fa(lat)} بیرون از ایران است "
            f"({_fa(LAT_RANGE[0])} تا {_fa(LAT_RANGE[1])})",
        ))
    if not LON_RANGE[0] <= lon <= LON_RANGE[1]:
        errors.append(FieldError(
            "longitude",
            f"longitude {lon} is outside Iran ({LON_RANGE[0]} to {LON_RANGE[1]})",
            f"طول جغرافیایی {_fa(lon)} بیرون از ایران است "
            f"({_fa(LON_RANGE[0])} تا {_fa(LON_RANGE[1])})",
        ))
    return errors


def near_county(lat: float, lon: float, area: Area | None) -> FieldError | None:
    """An error when the point lies far from its county: further from the county's
    point than its own towns and villages reach, with a margin (``Area.limit_km``).
    ``area`` None (nothing in the county has coordinates) checks nothing."""
    if area is None:
        return None
    distance = area.distance_km(lat, lon)
    limit = area.limit_km
    if distance <= limit:
        return None
    km, lim = round(distance), round(limit)
    return FieldError(
        "latitude",
        f"the point ({lat}, {lon}) is {km:,} km from county {area.name}; its places lie "
        f"within {lim:,} km of it",
        f"نقطه ({_fa(lat)}، {_fa(lon)}) {_fa(km)} کیلومتر از شهرستان {area.name} فاصله دارد؛ "
        f"آبادی‌های آن در شعاع {_fa(lim)} کیلومتری‌اند",
    )


def _counts(row: Mapping[str, Any]) -> list[FieldError]:
    errors = []
    labels = {
        "expected_voters": ("expected voters", "تعداد رأی‌دهندگان"),
        "capacity": ("capacity", "ظرفیت"),
        "cameras": ("camera count", "تعداد دوربین"),
    }
    for name, (en, fa) in labels.items():
        value = row.get(name)
        if value is not None and value < 0:
            errors.append(FieldError(
                name,
                f"{en} cannot be negative ({value})",
                f"{fa} نمی‌تواند منفی باشد ({_fa(value)})",
            ))
        elif value is not None and value > COUNT_LIMITS[name]:
            limit = COUNT_LIMITS[name]
            errors.append(FieldError(
                name,
                f"{en} {value} is too large for one station (at most {limit:,})",
                f"{fa} {_fa(value)} برای یک شعبه بیش از اندازه است "
                f"(حداکثر {_fa(f'{limit:,}').replace(',', '٬')})",
            ))
    cctv, cameras = row.get("cctv") or "none", row.get("cameras") or 0
    if cctv == "none" and cameras > 0:
        errors.append(FieldError(
            "cameras",
            "a station without CCTV cannot have cameras",
            "شعبه بدون دوربین مدار بسته نمی‌تواند تعداد دوربین داشته باشد",
        ))
    elif cctv != "none" and cameras <= 0:
        errors.append(FieldError(
            "cameras",
            "a station with CCTV needs a camera count of at least 1",
            "شعبه دارای دوربین مدار بسته باید دست‌کم یک دوربین داشته باشد",
        ))
    return errors


def _dates(row: Mapping[str, Any]) -> list[FieldError]:
    """Dates of this election's era only (lib.jalali.check_era), named by their field."""
    value = row.get("fibre_date")
    problem = era_problem(value) if value is not None else None
    if problem is None:
        return []
    return [FieldError(
        "fibre_date",
        f"fibre planned date: {problem.message_en}",
        f"تاریخ برنامه‌ریزی‌شده فیبر: {problem.message_fa}",
    )]


def _conditional(row: Mapping[str, Any]) -> list[FieldError]:
    errors = []
    if row.get("kind") == "mobile" and not row.get("route"):
        errors.append(FieldError(
            "route", "a mobile station needs a route", "شعبه سیار باید مسیر داشته باشد"
        ))
    if row.get("sensitive") and not row.get("sensitivity_reason"):
        errors.append(FieldError(
            "sensitivity_reason",
            "a sensitive station needs a reason",
            "برای شعبه حساس دلیل حساسیت لازم است",
        ))
    if row.get("status") == "closed" and not row.get("closed_reason"):
        errors.append(FieldError(
            "closed_reason", "a closed station needs a reason", "برای شعبه بسته دلیل لازم است"
        ))
    if row.get("fibre") == "planned" and row.get("fibre_date") is None:
        errors.append(FieldError(
            "fibre_date",
            "planned fibre needs a planned date",
            "برای فیبر در دست اجرا تاریخ برنامه‌ریزی‌شده لازم است",
        ))
    return errors
