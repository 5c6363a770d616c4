"""Reads behind the national station map: request parameters, H3 aggregation, points.

The map must stay fast for ~59,000 stations on one small machine, so the national view is
never a list of stations.  Each station stores its H3 cell at resolution 7; the database
groups stations by that cell (one aggregate query, a few thousand rows nationally) and
Python rolls the groups up to the coarser resolution the zoom asks for.  From
``STATIONS_FROM_ZOOM`` on, the answer lists the stations inside the visible box, capped.

Answers are arrays, not objects, to keep the payload small:

    {"mode": "cells", "res": 3, "total": n, "unplaced": u,
     "cells": [[cell, lat, lon, count, ready], ...]}
    {"mode": "stations", "total": n, "truncated": false,
     "stations": [[id, lat, lon, ready 0/1, sensitive 0/1, code, name], ...]}

"ready" is the registry's one definition (``models.ready_q``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import h3
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from amanat.accounts import policy
from amanat.accounts.access import AnyUser, scope_queryset
from amanat.core.errors import RuleError
from amanat.geo.models import AdminUnit, Kind
from amanat.stations.models import H3_RESOLUTION, Station, ready_q

MIN_ZOOM = 0
MAX_ZOOM = 22
DEFAULT_ZOOM = 5
STATIONS_FROM_ZOOM = 11
STATION_CAP = 5_000
COORD_DIGITS = 4  # ~11 m: finer than a circle on screen, and short in JSON


class MapParamError(RuleError):
    """A bad map parameter (answered 400 by the map's data view)."""

    status = 400


BBox = tuple[float, float, float, float]  # west, south, east, north


@dataclass(frozen=True)
class MapQuery:
    zoom: int
    bbox: BBox | None


def resolution_for(zoom: int) -> int | None:
    """The H3 resolution whose cells make circles of a readable size at ``zoom``
    (a res-3 cell is ~70 km across, res 7 ~1.4 km); None means individual stations."""
    if zoom >= STATIONS_FROM_ZOOM:
        return None
    if zoom <= 5:
        return 3
    return {6: 4, 7: 5, 8: 6, 9: 6}.get(zoom, H3_RESOLUTION)


def _parse_zoom(raw: str | None) -> int:
    if raw in (None, ""):
        return DEFAULT_ZOOM
    try:
        zoom = int(raw)
    except ValueError:
        zoom = -1
    if not MIN_ZOOM <= zoom <= MAX_ZOOM:
        raise MapParamError(
            _("zoom must be a whole number from %(low)s to %(high)s; got “%(value)s”."),
            code="zoom", field="zoom", low=MIN_ZOOM, high=MAX_ZOOM, value=raw,
        )
    return zoom


_FOUR_NUMBERS = _("four numbers")
_IN_ORDER = _("west < east within ±180, south < north within ±90")


def _bbox_error(raw: str, why: Promise) -> MapParamError:
    return MapParamError(
        _("bbox must be west,south,east,north in degrees (%(why)s); got “%(value)s”."),
        code="bbox", field="bbox", why=why, value=raw,
    )


def _parse_bbox(raw: str | None) -> BBox | None:
    if raw in (None, ""):
        return None
    assert raw is not None
    parts = raw.split(",")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise _bbox_error(raw, _FOUR_NUMBERS) from None
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        raise _bbox_error(raw, _FOUR_NUMBERS)
    west, south, east, north = numbers
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise _bbox_error(raw, _IN_ORDER)
    return west, south, east, north


def parse_map_query(params: Mapping[str, Any]) -> MapQuery:
    """``zoom`` and ``bbox`` from the query string; MapParamError names what is wrong."""
    return MapQuery(zoom=_parse_zoom(params.get("zoom")), bbox=_parse_bbox(params.get("bbox")))


# --- cells -------------------------------------------------------------------------------


# The whole globe: coordinates outside it (or not finite: SQL range comparisons leave out
# infinities and NaN) cannot be drawn, and as JSON ("Infinity") they would break the map
# for everyone.  Such rows are counted as unplaced instead.
EARTH: BBox = (-180.0, -90.0, 180.0, 90.0)


def on_earth(lat: float, lon: float) -> bool:
    return in_box(lat, lon, EARTH)


def earth_q(lat: str = "latitude", lon: str = "longitude") -> Q:
    """Rows whose coordinates (the fields named) can be placed on the map."""
    return Q(**{f"{lon}__gte": EARTH[0], f"{lat}__gte": EARTH[1],
                f"{lon}__lte": EARTH[2], f"{lat}__lte": EARTH[3]})


@lru_cache(maxsize=64_000)
def parent_cell(cell: str, res: int) -> str | None:
    """The cell of ``res`` holding the stored res-7 ``cell``; None if it is no H3 cell."""
    try:
        return cell if res == H3_RESOLUTION else str(h3.cell_to_parent(cell, res))
    except (ValueError, h3.H3BaseException):
        return None


@lru_cache(maxsize=64_000)
def cell_centre(cell: str) -> tuple[float, float]:
    lat, lon = h3.cell_to_latlng(cell)
    return round(lat, COORD_DIGITS), round(lon, COORD_DIGITS)


def cell_margins(res: int, bbox: BBox) -> tuple[float, float]:
    """Degrees (lat, lon) a cell of ``res`` may reach beyond its centre, with room to
    spare (H3 cells are up to ~2× the average size)."""
    edge_km = h3.average_hexagon_edge_length(res, unit="km")
    lat = 2 * edge_km / 111.0
    widest = min(80.0, max(abs(bbox[1]), abs(bbox[3])))
    return lat, lat / math.cos(math.radians(widest))


def in_box(lat: float, lon: float, box: BBox) -> bool:
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def grow_box(box: BBox, lat_m: float, lon_m: float) -> BBox:
    return box[0] - lon_m, box[1] - lat_m, box[2] + lon_m, box[3] + lat_m


def map_cells(stations: QuerySet[Station], res: int, bbox: BBox | None) -> dict[str, Any]:
    """Counts and ready counts per H3 cell of ``res``: one GROUP BY on the stored res-7
    cell, rolled up here.  With a box, a cell is sent when its centre is in view and its
    counts are whole: the SQL reads stations within twice the margin a cell can reach."""
    keep: BBox | None = None
    if bbox is not None:
        lat_m, lon_m = cell_margins(res, bbox)
        keep = grow_box(bbox, lat_m, lon_m)
        read = grow_box(bbox, 2 * lat_m, 2 * lon_m)
        stations = stations.filter(
            Q(h3_cell="") | Q(longitude__gte=read[0], latitude__gte=read[1],
                              longitude__lte=read[2], latitude__lte=read[3])
        )
    groups = stations.order_by().values_list("h3_cell").annotate(
        n=Count("pk"), ready=Count("pk", filter=ready_q())
    )
    rolled: dict[str, list[int]] = {}
    unplaced = 0
    for cell, n, ready in groups:
        parent = parent_cell(cell, res) if cell else None
        if parent is None:
            unplaced += n  # no coordinates: counted, not drawn
            continue
        entry = rolled.setdefault(parent, [0, 0])
        entry[0] += n
        entry[1] += ready
    cells = []
    total = 0
    for cell, (n, ready) in sorted(rolled.items()):
        lat, lon = cell_centre(cell)
        if keep is not None and not in_box(lat, lon, keep):
            continue
        cells.append([cell, lat, lon, n, ready])
        total += n
    return {"mode": "cells", "res": res, "total": total, "unplaced": unplaced, "cells": cells}


# --- stations ----------------------------------------------------------------------------


def map_stations(stations: QuerySet[Station], bbox: BBox | None) -> dict[str, Any]:
    """The stations in view, at most ``STATION_CAP`` (``truncated`` says when cut)."""
    placed = stations.filter(earth_q())
    if bbox is not None:
        placed = placed.filter(longitude__gte=bbox[0], latitude__gte=bbox[1],
                               longitude__lte=bbox[2], latitude__lte=bbox[3])
    # Coordinates are filtered non-null above.
    rows = cast(list[tuple[int, float, float, int, bool, str, str]], list(
        placed.order_by("pk")
        .annotate(ready_flag=Case(When(ready_q(), then=Value(1)), default=Value(0),
                                output_field=IntegerField()))
        .values_list("pk", "latitude", "longitude", "ready_flag", "sensitive", "code", "name")
        [: STATION_CAP + 1]  # one more than shown tells whether it was cut
    ))
    truncated = len(rows) > STATION_CAP
    points = [
        [pk, round(lat, COORD_DIGITS), round(lon, COORD_DIGITS), ready, int(sensitive), code,
         name]
        for pk, lat, lon, ready, sensitive, code, name in rows[:STATION_CAP]
    ]
    return {"mode": "stations", "total": len(points), "truncated": truncated,
            "stations": points}


def map_data(stations: QuerySet[Station], query: MapQuery) -> dict[str, Any]:
    res = resolution_for(query.zoom)
    if res is None:
        return map_stations(stations, query.bbox)
    return map_cells(stations, res, query.bbox)


# --- background points -------------------------------------------------------------------


def unit_points(user: AnyUser) -> list[list[Any]]:
    """Province and county centres for the plain background, so that the country's shape
    shows without tiles: every province (official divisions are reference data), and the
    counties the user may view.  [lat, lon, 0 province / 1 county, name]."""
    counties = scope_queryset(
        user, AdminUnit.objects.filter(kind=Kind.COUNTY), action=policy.VIEW,
        path_field="path",
    )
    units = AdminUnit.objects.filter(
        Q(kind=Kind.PROVINCE) | Q(pk__in=counties.values("pk")), earth_q(),
    ).order_by("kind", "path")
    points: list[list[Any]] = []
    for lat, lon, kind, name in units.values_list("latitude", "longitude", "kind", "name"):
        assert lat is not None and lon is not None  # filtered above
        points.append([round(lat, 3), round(lon, 3), 0 if kind == Kind.PROVINCE else 1, name])
    return points
