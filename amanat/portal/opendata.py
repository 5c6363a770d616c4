"""The open data sets: their columns (the data dictionary page is drawn from these), their
rows, and CSV and JSON with a licence line (docs/open-data.md).

A data set's URL and column names are a promise to whoever downloads it: add columns at
the end, never rename or remove one.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from amanat.lib.tabular import escape_formula
from amanat.portal.selectors import StatCell
from amanat.stations.models import Station

LICENCE = "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)"
ATTRIBUTION = "Amanat open data; place names: GeoNames (CC BY 4.0) and Iran's official divisions"
# Polling hours are set nationally for election day (the ministry may extend them).
DEFAULT_HOURS = ("08:00", "18:00")


def polling_hours() -> tuple[str, str]:
    opens, closes = getattr(settings, "AMANAT_POLLING_HOURS", DEFAULT_HOURS)
    return str(opens), str(closes)


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # text, integer, number, boolean, date, time
    description: Promise


@dataclass(frozen=True)
class Dataset:
    slug: str
    title: Promise
    description: Promise
    columns: tuple[Column, ...]
    # False for a data set whose issue has not landed yet: listed, not served.
    available: bool = True


STATION_COLUMNS = (
    Column("election", "text", _("Election identifier (slug)")),
    Column("election_day", "date", _("Election day (ISO 8601, Gregorian)")),
    Column("station_code", "text", _("Station code: county code, a dash, station code")),
    Column("name", "text", _("Name of the polling station")),
    Column("address", "text", _("Address")),
    Column("province_code", "text", _("Official code of the province")),
    Column("province", "text", _("Province")),
    Column("county_code", "text", _("Official code of the county")),
    Column("county", "text", _("County")),
    Column("place_code", "text", _("Official code of the city, rural district or village")),
    Column("place", "text", _("City, rural district or village")),
    Column("place_kind", "text", _("Kind of place: city, rural_district or village")),
    Column("kind", "text", _("fixed or mobile")),
    Column("route", "text", _("Route of a mobile station")),
    Column("venue", "text", _("Venue: school, mosque, office, health_centre or other")),
    Column("accessible", "boolean", _("Step-free access for voters with disabilities")),
    Column("latitude", "number", _("Latitude (WGS 84), empty when unknown")),
    Column("longitude", "number", _("Longitude (WGS 84), empty when unknown")),
    Column("opens", "time", _("Opening time on election day (local time)")),
    Column("closes", "time", _("Closing time on election day, unless extended")),
)

STATISTICS_COLUMNS = (
    Column("province_code", "text", _("Official code of the province")),
    Column("province", "text", _("Province")),
    Column("county_code", "text", _("Official code of the county")),
    Column("county", "text", _("County")),
    Column("category", "text", _("Violation category code")),
    Column("category_name", "text", _("Violation category")),
    Column("reports", "integer",
           _("Reports received; empty when suppressed (fewer than 5, zero included)")),
    Column("suppressed", "boolean", _("True when the count is under 5 and not published")),
)

STATIONS = Dataset("stations", _("Polling stations"),
                   _("Every active polling station of the current election, once its list is "
                     "final: place, address, hours and accessibility."), STATION_COLUMNS)
STATISTICS = Dataset("report-statistics", _("Reports of violations by county and category"),
                     _("Number of reports received in the current election, by county and "
                       "category; counts under 5 are suppressed."), STATISTICS_COLUMNS)
# Issue 13 (final candidate lists) and issue 16 (election-day figures) serve these.
CANDIDATES = Dataset("candidates", _("Final candidate lists"),
                     _("Published when the qualification review is final."), (), False)
TURNOUT = Dataset("election-day", _("Election-day figures"),
                  _("Opening, turnout and closing of stations on election day."), (), False)
DATASETS = (STATIONS, STATISTICS, CANDIDATES, TURNOUT)


def _float(value: float | None) -> float | None:
    return None if value is None else round(value, 5)


def station_row(station: Station, hours: tuple[str, str]) -> dict[str, Any]:
    county = station.county
    province = county.parent
    place = station.unit
    return {
        "election": station.election.slug,
        "election_day": station.election.election_day.isoformat(),
        "station_code": f"{county.code}-{station.code}",
        "name": station.name,
        "address": station.address,
        "province_code": province.code if province else "",
        "province": province.name if province else "",
        "county_code": county.code,
        "county": county.name,
        "place_code": place.code if place else "",
        "place": place.name if place else "",
        "place_kind": place.kind if place else "",
        "kind": station.kind,
        "route": station.route,
        "venue": station.venue,
        "accessible": station.accessible,
        "latitude": _float(station.latitude),
        "longitude": _float(station.longitude),
        "opens": hours[0],
        "closes": hours[1],
    }


def statistics_row(cell: StatCell) -> dict[str, Any]:
    return {
        "province_code": cell.province.code,
        "province": cell.province.name,
        "county_code": cell.county.code,
        "county": cell.county.name,
        "category": cell.category.code,
        "category_name": cell.category.name_fa,
        "reports": cell.reports,
        "suppressed": cell.reports is None,
    }


def _header(dataset: Dataset, url: str) -> dict[str, str]:
    return {"dataset": dataset.slug, "licence": LICENCE, "attribution": ATTRIBUTION,
            "dictionary": url}


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        # Names and addresses are typed by people: a cell a spreadsheet would run as a
        # formula (=, +, -, @) gets the protective apostrophe, as every export does.
        return escape_formula(value)
    return str(value)


def _csv_lines(dataset: Dataset, rows: Iterable[dict[str, Any]], dictionary: str
               ) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    # The licence line: a comment line, which csv readers skip with comment="#".
    yield f"# licence: {LICENCE}; attribution: {ATTRIBUTION}; dictionary: {dictionary}\n"
    writer.writerow([c.name for c in dataset.columns])
    yield flush()
    for n, row in enumerate(rows, 1):
        writer.writerow([_csv_value(row[c.name]) for c in dataset.columns])
        if n % 500 == 0:
            yield flush()
    yield flush()


def _disposition(response: HttpResponse | StreamingHttpResponse, filename: str) -> None:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Link"] = '<https://creativecommons.org/licenses/by/4.0/>; rel="license"'
    response["Access-Control-Allow-Origin"] = "*"


def respond(dataset: Dataset, fmt: str, rows: Callable[[], Iterable[dict[str, Any]]],
            dictionary: str, extra: dict[str, Any]) -> HttpResponse | StreamingHttpResponse:
    """The data set as ``csv`` (streamed, a licence comment line first) or ``json``
    (``{"dataset", "licence", "attribution", "dictionary", …, "records": [...]}``)."""
    response: HttpResponse | StreamingHttpResponse
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_lines(dataset, rows(), dictionary),
                                         content_type="text/csv; charset=utf-8")
    else:
        body = {**_header(dataset, dictionary), **extra, "records": list(rows())}
        response = HttpResponse(json.dumps(body, ensure_ascii=False),
                                content_type="application/json; charset=utf-8")
    _disposition(response, f"amanat-{dataset.slug}.{fmt}")
    return response
