"""Reads of the administrative-unit tree for the browse and search pages.

Every function here runs a fixed number of queries whatever the size of its result, so
list pages stay fast at national scale (31 provinces, 448 counties, ~60,000 villages).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, IntegerField, QuerySet, Value, When

from amanat.core.collation import persian
from amanat.geo.models import AdminUnit, Kind
from amanat.geo.paths import under
from amanat.lib.geodesy import Area, area_of
from amanat.lib.persian import search_key

# A map with more markers than this is unreadable and slow to draw on a small machine.
MAP_POINT_CAP = 3000
SEARCH_LIMIT = 50


def province_list() -> QuerySet[AdminUnit]:
    """Provinces with the number of their direct children (counties)."""
    return (
        AdminUnit.objects.of_kind(Kind.PROVINCE)
        .annotate(n_children=Count("children"))
        .order_by(persian("name"), "pk")
    )


def unit_children(unit: AdminUnit) -> QuerySet[AdminUnit]:
    """Direct children of ``unit``, each with its own child count, by kind then name."""
    return (
        AdminUnit.objects.filter(parent=unit)
        .annotate(n_children=Count("children"))
        .order_by("kind", persian("name"), "pk")
    )


def unit_map_points(unit: AdminUnit) -> list[dict[str, Any]]:
    """The unit and its children that have coordinates, as plain data for the map.

    The unit itself comes first and is flagged so the map can draw it differently.
    """
    points: list[dict[str, Any]] = []
    if unit.latitude is not None and unit.longitude is not None:
        points.append(_point(unit.pk, unit.name, unit.kind, unit.latitude, unit.longitude, True))
    rows = (
        AdminUnit.objects.filter(parent=unit, latitude__isnull=False, longitude__isnull=False)
        .order_by("pk")
        .values_list("pk", "name", "kind", "latitude", "longitude")[:MAP_POINT_CAP]
    )
    for pk, name, kind, lat, lon in rows:
        if lat is not None and lon is not None:  # filtered above; this narrows the type
            points.append(_point(pk, name, kind, lat, lon, False))
    return points


def _point(pk: int, name: str, kind: str, lat: float, lon: float, is_self: bool) -> dict[str, Any]:
    return {
        "id": pk,
        "name": name,
        "kind": str(Kind(kind).label),
        "lat": round(lat, 5),
        "lon": round(lon, 5),
        "self": is_self,
    }


@dataclass(frozen=True)
class SearchHit:
    unit: AdminUnit
    # Ancestors below the country, root first: the "parent chain" shown with a result.
    chain: list[AdminUnit]


def unit_search(query: str, *, kind: str = "", limit: int = SEARCH_LIMIT) -> list[SearchHit]:
    """Units whose normalised name matches ``query``: prefix matches first, then contains.

    Two queries in all: the matches, then every ancestor of every match at once.
    """
    key = search_key(query)
    if not key:
        return []
    units = (
        AdminUnit.objects.filter(name_key__contains=key)
        .annotate(
            rank=Case(
                When(name_key__startswith=key, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "depth", persian("name"), "pk")
    )
    if kind:
        units = units.filter(kind=kind)
    found = list(units[:limit])
    by_path = _ancestors_by_path(found)
    return [
        SearchHit(unit=u, chain=[by_path[p] for p in _ancestor_paths(u) if p in by_path])
        for u in found
    ]


def _ancestor_paths(unit: AdminUnit) -> list[str]:
    segments = unit.path.split("/")[:-1]
    return ["/".join(segments[:i]) + "/" for i in range(1, len(segments))]


def _ancestors_by_path(units: Sequence[AdminUnit]) -> dict[str, AdminUnit]:
    paths = {p for u in units for p in _ancestor_paths(u)}
    if not paths:
        return {}
    ancestors = AdminUnit.objects.filter(path__in=paths).exclude(kind=Kind.COUNTRY)
    return {a.path: a for a in ancestors}


def unit_area(path: str) -> Area | None:
    """The unit at ``path`` as a circle around its point reaching its furthest placed
    descendant (one query); None when neither it nor anything in it has coordinates."""
    rows = AdminUnit.objects.filter(
        under("path", path), latitude__isnull=False, longitude__isnull=False
    ).values_list("path", "name", "latitude", "longitude")
    centre: tuple[float, float] | None = None
    name = ""
    places: list[tuple[float, float]] = []
    for unit_path, unit_name, lat, lon in rows.iterator(chunk_size=5000):
        if lat is None or lon is None:  # excluded by the query; narrows the types
            continue
        if unit_path == path:
            centre, name = (lat, lon), unit_name
        else:
            places.append((lat, lon))
    if not name:
        name = AdminUnit.objects.filter(path=path).values_list("name", flat=True).first() or ""
    return area_of(name, centre, places)
