"""The rules a polling station must satisfy: the one place they are written down.

``validate_station`` is pure (no database): it takes a row of already parsed values (keys
as the Station model's fields, plus ``county_code``) and returns every broken rule as a
``RuleError`` naming its field, translated when it is shown.  The importer,
the model's ``clean`` (forms, admin) and the API all call it.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from amanat.core.errors import Digits, Grouped, RuleError
from amanat.core.forms import jalali_problem
from amanat.lib.geodesy import Area
from amanat.lib.jalali import era_problem

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
    "name": _("the station's name"), "address": _("the address"), "route": _("the route"),
    "sensitivity_reason": _("the sensitivity reason"), "closed_reason": _("the closed reason"),
}


def validate_station(
    row: Mapping[str, Any], *, county_codes: Container[str] | None = None
) -> list[RuleError]:
    """Every rule ``row`` breaks; an empty list means the station is valid.

    ``county_codes``, when given, is the set of known county codes to check
    ``row["county_code"]`` against.
    """
    errors: list[RuleError] = []
    errors += _identity(row, county_codes)
    errors += _lengths(row)
    errors += _coordinates(row)
    errors += _counts(row)
    errors += _dates(row)
    errors += _conditional(row)
    return errors


def _identity(row: Mapping[str, Any], county_codes: Container[str] | None) -> list[RuleError]:
    errors = []
    code = row.get("code") or ""
    if not code:
        errors.append(RuleError(_("station code is required"), code="required", field="code"))
    elif not CODE_RE.match(code):
        errors.append(RuleError(
            _("station code “%(station)s” must be 1-20 letters, digits or hyphens"),
            code="code_format", field="code", station=Digits(code),
        ))
    if not row.get("name"):
        errors.append(RuleError(_("name is required"), code="required", field="name"))
    if county_codes is not None:
        county = row.get("county_code") or ""
        if not county:
            errors.append(RuleError(_("county code is required"), code="required",
                                    field="county_code"))
        elif county not in county_codes:
            errors.append(RuleError(_("there is no county with code %(county)s"),
                                    code="unknown_county", field="county_code",
                                    county=Digits(county)))
    return errors


def _lengths(row: Mapping[str, Any]) -> list[RuleError]:
    errors = []
    for name, limit in TEXT_LIMITS.items():
        value = row.get(name)
        if isinstance(value, str) and len(value) > limit:
            errors.append(RuleError(
                _("%(label)s is %(length)s characters long; at most %(limit)s are allowed"),
                code="too_long", field=name, label=_TEXT_LABELS[name],
                length=Grouped(len(value)), limit=Grouped(limit),
            ))
    return errors


def _coordinates(row: Mapping[str, Any]) -> list[RuleError]:
    lat, lon = row.get("latitude"), row.get("longitude")
    if lat is None and lon is None:
        return []
    if lat is None or lon is None:
        missing = "latitude" if lat is None else "longitude"
        return [RuleError(_("latitude and longitude must be given together"),
                          code="coordinates_pair", field=missing)]
    errors = []
    if not LAT_RANGE[0] <= lat <= LAT_RANGE[1]:
        errors.append(RuleError(
            _("latitude %(value)s is outside Iran (%(low)s to %(high)s)"),
            code="outside_iran", field="latitude", value=lat, low=LAT_RANGE[0],
            high=LAT_RANGE[1],
        ))
    if not LON_RANGE[0] <= lon <= LON_RANGE[1]:
        errors.append(RuleError(
            _("longitude %(value)s is outside Iran (%(low)s to %(high)s)"),
            code="outside_iran", field="longitude", value=lon, low=LON_RANGE[0],
            high=LON_RANGE[1],
        ))
    return errors


def near_county(lat: float, lon: float, area: Area | None) -> RuleError | None:
    """An error when the point lies far from its county: further from the county's
    point than its own towns and villages reach, with a margin (``Area.limit_km``).
    ``area`` None (nothing in the county has coordinates) checks nothing."""
    if area is None:
        return None
    distance = area.distance_km(lat, lon)
    limit = area.limit_km
    if distance <= limit:
        return None
    return RuleError(
        _("the point (%(lat)s, %(lon)s) is %(km)s km from county %(county)s; its places lie "
          "within %(limit)s km of it"),
        code="far_from_county", field="latitude", lat=lat, lon=lon,
        km=Grouped(round(distance)), county=area.name, limit=Grouped(round(limit)),
    )


_COUNT_LABELS = {
    "expected_voters": _("expected voters"),
    "capacity": _("capacity"),
    "cameras": _("camera count"),
}


def _counts(row: Mapping[str, Any]) -> list[RuleError]:
    errors = []
    for name, label in _COUNT_LABELS.items():
        value = row.get(name)
        if value is not None and value < 0:
            errors.append(RuleError(_("%(label)s cannot be negative (%(value)s)"),
                                    code="negative", field=name, label=label, value=value))
        elif value is not None and value > COUNT_LIMITS[name]:
            errors.append(RuleError(
                _("%(label)s %(value)s is too large for one station (at most %(limit)s)"),
                code="too_large", field=name, label=label, value=value,
                limit=Grouped(COUNT_LIMITS[name]),
            ))
    cctv, cameras = row.get("cctv") or "none", row.get("cameras") or 0
    if cctv == "none" and cameras > 0:
        errors.append(RuleError(_("a station without CCTV cannot have cameras"),
                                code="cameras_without_cctv", field="cameras"))
    elif cctv != "none" and cameras <= 0:
        errors.append(RuleError(_("a station with CCTV needs a camera count of at least 1"),
                                code="cctv_without_cameras", field="cameras"))
    return errors


def _dates(row: Mapping[str, Any]) -> list[RuleError]:
    """Dates of this election's era only (lib.jalali.check_era), named by their field."""
    value = row.get("fibre_date")
    problem = era_problem(value) if value is not None else None
    if problem is None:
        return []
    return [RuleError(_("fibre planned date: %(problem)s"), code=problem.reason,
                      field="fibre_date", problem=jalali_problem(problem))]


def _conditional(row: Mapping[str, Any]) -> list[RuleError]:
    errors = []
    if row.get("kind") == "mobile" and not row.get("route"):
        errors.append(RuleError(_("a mobile station needs a route"), code="required",
                                field="route"))
    if row.get("sensitive") and not row.get("sensitivity_reason"):
        errors.append(RuleError(_("a sensitive station needs a reason"), code="required",
                                field="sensitivity_reason"))
    if row.get("status") == "closed" and not row.get("closed_reason"):
        errors.append(RuleError(_("a closed station needs a reason"), code="required",
                                field="closed_reason"))
    if row.get("fibre") == "planned" and row.get("fibre_date") is None:
        errors.append(RuleError(_("planned fibre needs a planned date"), code="required",
                                field="fibre_date"))
    return errors
