"""Public reads: the published polling stations, the station finder and the report
statistics of the open data.  Nothing here needs an account, so nothing here may return
a field that is not published (``opendata.STATION_COLUMNS`` lists them)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from rapidfuzz import fuzz, process

from amanat.elections.models import Election, Milestone, MilestoneCode
from amanat.geo.models import AdminUnit, Kind
from amanat.geo.paths import under
from amanat.incidents.models import Category, Report
from amanat.lib.persian import search_key
from amanat.stations.codes import canonical_station_code, parse_station_code
from amanat.stations.models import Station, Status

FINDER_LIMIT = 100  # stations shown for one search
FUZZY_CUTOFF = 70  # rapidfuzz ratio (0-100) a misspelt name must reach
FUZZY_UNITS = 5
SMALL_COUNT = 5  # a statistics cell under this is suppressed (docs/open-data.md)
# The kinds a visitor searches by (districts and rural districts are administrative).
FINDER_KINDS = (Kind.PROVINCE, Kind.COUNTY, Kind.CITY, Kind.RURAL_DISTRICT, Kind.VILLAGE)


@dataclass(frozen=True)
class Publication:
    """The election whose station list is public, or when it will be."""

    election: Election | None
    # When the list becomes final (the ``stations_final`` milestone); None if not planned.
    publishes_on: datetime.date | None

    @property
    def published(self) -> bool:
        return self.election is not None and self.publishes_on is not None and (
            self.publishes_on <= timezone.localdate())


def publication() -> Publication:
    """The current election's station list is public from its ``stations_final``
    milestone on: before that the list may still change, and a voter must not be sent to
    a station that is then moved."""
    election = Election.objects.current()
    if election is None:
        return Publication(None, None)
    due = (Milestone.objects.filter(election=election, code=MilestoneCode.STATIONS_FINAL)
           .values_list("due", flat=True).first())
    return Publication(election, due)


def published_stations(pub: Publication) -> QuerySet[Station]:
    """The active stations of the published election, with their place names."""
    if not pub.published:
        return Station.objects.none()
    return (Station.objects.filter(election=pub.election, status=Status.ACTIVE)
            .select_related("county__parent", "unit")
            .order_by("county__code", "code"))


@dataclass
class FinderResult:
    query: str
    stations: list[Station] = field(default_factory=list)
    units: list[AdminUnit] = field(default_factory=list)
    # The names matched only approximately ("did you mean …").
    approximate: bool = False
    more: bool = False


@dataclass(frozen=True)
class Place:
    pk: int
    name_key: str
    depth: int


# The places holding published stations, per process: a search reads ~15,000 names at
# national scale, which costs seconds as a query per search and nothing from memory.
# The key changes when a station is added, closed or reopened, or the list republished.
_PLACES: dict[tuple[Any, ...], list[Place]] = {}


def _station_places(stations: QuerySet[Station]) -> list[Place]:
    """The places that hold published stations: their own unit, county and province."""
    fingerprint = stations.order_by().aggregate(n=Count("id"), last=Max("id"),
                                                 changed=Max("updated_at"))
    key = (*tuple(sorted(fingerprint.items())), str(stations.query))
    if key not in _PLACES:
        ids = set(stations.order_by().values_list("unit_id", flat=True).distinct())
        counties = set(stations.order_by().values_list("county_id", flat=True).distinct())
        ids |= counties
        ids |= set(AdminUnit.objects.filter(pk__in=counties).values_list("parent_id", flat=True))
        rows = AdminUnit.objects.filter(kind__in=FINDER_KINDS).values_list("pk", "name_key",
                                                                          "depth")
        places = [Place(pk, name_key, depth) for pk, name_key, depth in rows if pk in ids]
        _PLACES.clear()  # one election's list at a time
        _PLACES[key] = places
    return _PLACES[key]


def _units(ids: list[int]) -> list[AdminUnit]:
    return list(AdminUnit.objects.filter(pk__in=ids).order_by("depth", "name_key", "pk"))


def _exact_units(places: list[Place], key: str) -> list[AdminUnit]:
    found = sorted((p for p in places if key in p.name_key), key=lambda p: (p.depth, p.name_key))
    return _units([p.pk for p in found[:20]])


def _fuzzy_units(places: list[Place], key: str) -> list[AdminUnit]:
    """Places whose normalised name is close to ``key``: a letter wrong, missing or
    swapped (ق for غ, ث for س…), as people spell village names they have only heard."""
    names = {p.pk: p.name_key for p in places}
    matches = process.extract(key, names, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF,
                              limit=FUZZY_UNITS)
    best = matches[0][1] if matches else 0
    return _units([pk for _name, score, pk in matches if score >= best - 5])


def station_find(pub: Publication, query: str) -> FinderResult:
    """Published stations in the places named ``query`` (province, county, city, rural
    district or village, normalised Persian) or whose own name or code matches; a name
    with no exact match is looked for approximately."""
    result = FinderResult(query=query)
    key = search_key(query)
    stations = published_stations(pub)
    if not key or not pub.published:
        return result
    places = _station_places(stations)
    units = _exact_units(places, key)
    condition = Q(search_text__contains=key)
    # A station's full code as the finder and the field app show it, «۲۳۲۱-۰۰۴۲»: the
    # county's code, a dash, the station's (the stored search text has the station's only).
    full_code = parse_station_code(query)
    if full_code is not None:
        condition |= Q(county__code=full_code[0],
                       code=canonical_station_code(full_code[1]))
    for unit in units:
        condition |= under("unit_path", unit.path)
    found = list(stations.filter(condition)[:FINDER_LIMIT + 1])
    if not found:
        units = _fuzzy_units(places, key)
        result.approximate = bool(units)
        if units:
            condition = Q()
            for unit in units:
                condition |= under("unit_path", unit.path)
            found = list(stations.filter(condition)[:FINDER_LIMIT + 1])
    result.more = len(found) > FINDER_LIMIT
    result.stations = found[:FINDER_LIMIT]
    result.units = units
    return result


# --- report statistics ------------------------------------------------------------------


@dataclass(frozen=True)
class StatCell:
    province: AdminUnit
    county: AdminUnit
    category: Category
    # None when suppressed (fewer than SMALL_COUNT reports, zero included).
    reports: int | None


def _county_path(unit_path: str) -> str:
    """``I-IR/P23/C2310/T231001/`` → ``I-IR/P23/C2310/``."""
    return "/".join(unit_path.split("/")[:3]) + "/"


def report_statistics(election: Election | None) -> list[StatCell]:
    """Reports of the election by county and category, every county × active category,
    with every cell under SMALL_COUNT suppressed and no totals (a total less the
    published cells would give the suppressed ones away).  Three queries."""
    if election is None:
        return []
    counts: dict[tuple[str, int], int] = defaultdict(int)
    rows = (Report.objects.filter(election=election).order_by()
            .values("unit_path", "category_id").annotate(n=Count("id")))
    for row in rows:
        counts[_county_path(row["unit_path"]), row["category_id"]] += row["n"]
    categories = list(Category.objects.filter(active=True).order_by("position", "pk"))
    counties = (AdminUnit.objects.filter(kind=Kind.COUNTY).select_related("parent")
                .order_by("parent__code", "code"))
    cells = []
    for county in counties:
        for category in categories:
            n = counts.get((county.path, category.pk), 0)
            cells.append(StatCell(county.parent or county, county, category,
                                  n if n >= SMALL_COUNT else None))
    return cells
