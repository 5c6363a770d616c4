"""The offline base map: countries from Natural Earth, province and county areas.

Every map of the project draws these vector layers, so maps work on a closed network with
no tile server.  Countries come from the shipped file ``data/basemap.geojson`` (see
``data/README.md``).  A province or county is drawn from its official boundary when an
installation has loaded one (``amanat import-boundaries``, the ``Boundary`` model);
otherwise from an *approximate area*: the part of Iran nearer to the county's seat than to
any other county's (a Voronoi cell of the county points, clipped to the country outline),
and for a province the union of its counties' areas.  Approximate areas are flagged
``approx`` in the data and labelled as such on every map: they are not boundaries.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPoint, Point, box, mapping, shape
from shapely.geometry.base import BaseGeometry

from amanat.geo.models import AdminUnit, Boundary, Kind

BASEMAP_PATH = Path(__file__).resolve().parent / "data" / "basemap.geojson"
IRAN_ISO = "364"
# Where the Voronoi cells are computed; every cell is then clipped to Iran's outline.
WINDOW = (36.0, 20.0, 70.0, 45.0)
# Simplification for drawing (degrees; 0.01 is about 1 km) and rounding of coordinates.
DRAW_TOLERANCE = {Kind.PROVINCE: 0.01, Kind.COUNTY: 0.005}
DECIMALS = 3


@functools.lru_cache(maxsize=1)
def countries() -> dict[str, Any]:
    """Iran and its neighbours (GeoJSON FeatureCollection), as shipped."""
    data: dict[str, Any] = json.loads(BASEMAP_PATH.read_text(encoding="utf-8"))
    return data


@functools.lru_cache(maxsize=1)
def iran_outline() -> BaseGeometry:
    for feature in countries()["features"]:
        if feature["properties"]["iso"] == IRAN_ISO:
            return shape(feature["geometry"])
    raise LookupError("basemap.geojson has no Iran")  # pragma: no cover - shipped file


@dataclass(frozen=True)
class Area:
    unit_id: int
    kind: str
    code: str
    name: str
    parent_id: int | None
    geometry: BaseGeometry
    approx: bool
    label: tuple[float, float]  # (lat, lon) where the name is written

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(south, west, north, east) in degrees."""
        west, south, east, north = self.geometry.bounds
        return south, west, north, east

    def feature(self, tolerance: float) -> dict[str, Any]:
        geo = mapping(self.geometry.simplify(tolerance, preserve_topology=True))
        return {
            "type": "Feature",
            "properties": {"id": self.unit_id, "code": self.code, "name": self.name,
                           "kind": self.kind, "parent": self.parent_id, "approx": self.approx,
                           "label": [round(self.label[0], 4), round(self.label[1], 4)]},
            "geometry": {"type": geo["type"], "coordinates": _round(geo["coordinates"])},
        }


@dataclass(frozen=True)
class Areas:
    provinces: list[Area]
    counties: list[Area]
    signature: str

    def of(self, unit_id: int) -> Area | None:
        for area in (*self.counties, *self.provinces):
            if area.unit_id == unit_id:
                return area
        return None

    @property
    def approximate(self) -> bool:
        return any(a.approx for a in (*self.provinces, *self.counties))


_UnitRow = tuple[int, str, str, str, int | None, float | None, float | None]
_BoundaryRow = tuple[int, int, str]


def areas() -> Areas:
    """Province and county areas of the units stored now (two queries; the geometry is
    computed once per change of the units' points or of the official boundaries)."""
    units: tuple[_UnitRow, ...] = tuple(
        AdminUnit.objects.filter(kind__in=[Kind.PROVINCE, Kind.COUNTY]).order_by("pk")
        .values_list("pk", "kind", "code", "name", "parent_id", "latitude", "longitude")
    )
    official: tuple[_BoundaryRow, ...] = tuple(
        (pk, unit_id, sha) for pk, unit_id, sha in Boundary.objects.order_by("pk")
        .values_list("pk", "unit_id", "sha256")
    )
    return _areas(units, official)


@functools.lru_cache(maxsize=4)
def _areas(units: tuple[_UnitRow, ...], official: tuple[_BoundaryRow, ...]) -> Areas:
    digest = hashlib.sha256(repr((units, official)).encode()).hexdigest()[:16]
    shapes = {unit_id: shape(geometry) for unit_id, geometry in
              Boundary.objects.filter(pk__in=[b[0] for b in official])
              .values_list("unit_id", "geometry")}
    outline = iran_outline()
    county_rows = [u for u in units if u[1] == Kind.COUNTY and u[5] is not None]
    taken = shapely.union_all([shapes[u[0]] for u in county_rows if u[0] in shapes])
    cells = _cells([(u[5], u[6]) for u in county_rows])  # type: ignore[misc]
    counties = []
    for row, cell in zip(county_rows, cells, strict=True):
        geometry = shapes.get(row[0])
        approx = geometry is None
        if geometry is None:
            geometry = cell.intersection(outline).difference(taken)
        counties.append(_area(row, geometry, approx))
    provinces = []
    for row in units:
        if row[1] != Kind.PROVINCE:
            continue
        parts = [c for c in counties if c.parent_id == row[0]]
        geometry = shapes.get(row[0])
        approx = geometry is None
        if geometry is None:
            geometry = shapely.union_all([c.geometry for c in parts])
            approx = any(c.approx for c in parts)
        if not geometry.is_empty:
            provinces.append(_area(row, geometry, approx))
    return Areas(provinces=provinces, counties=[c for c in counties if not c.geometry.is_empty],
                 signature=digest)


def _cells(points: list[tuple[float, float]]) -> list[BaseGeometry]:
    """The Voronoi cell of each (lat, lon), in order.  Two counties at the same point
    (a seat copied from the province) are moved apart a little so each gets a cell."""
    seen: set[tuple[float, float]] = set()
    spread = []
    for lat, lon in points:
        step = 0
        while (round(lat, 4), round(lon, 4)) in seen:
            step += 1
            lat, lon = lat + 0.01 * step, lon + 0.013 * step
        seen.add((round(lat, 4), round(lon, 4)))
        spread.append(Point(lon, lat))
    if not spread:
        return []
    if len(spread) == 1:
        return [box(*WINDOW)]
    cells = shapely.voronoi_polygons(MultiPoint(spread), extend_to=box(*WINDOW), ordered=True)
    return list(cells.geoms)


def _area(row: _UnitRow, geometry: BaseGeometry, approx: bool) -> Area:
    pk, kind, code, name, parent_id, lat, lon = row
    if lat is not None and lon is not None and geometry.contains(Point(lon, lat)):
        label = (lat, lon)
    elif geometry.is_empty:
        label = (lat or 0.0, lon or 0.0)
    else:
        point = geometry.representative_point()
        label = (point.y, point.x)
    return Area(unit_id=pk, kind=kind, code=code, name=name, parent_id=parent_id,
                geometry=geometry, approx=approx, label=label)


def _round(coords: Any) -> Any:
    if isinstance(coords, (int, float)):
        return round(float(coords), DECIMALS)
    return [_round(c) for c in coords]


def collection(items: Iterable[Area], kind: str) -> dict[str, Any]:
    tolerance = DRAW_TOLERANCE[Kind(kind)]
    return {"type": "FeatureCollection", "features": [a.feature(tolerance) for a in items]}


_BYTES: dict[str, bytes] = {}


def basemap_json() -> tuple[bytes, str]:
    """Everything the browser maps draw under their data, and its version (an ETag)."""
    current = areas()
    body = _BYTES.get(current.signature)
    if body is None:
        data = {
            "countries": countries(),
            "provinces": collection(current.provinces, Kind.PROVINCE),
            "counties": collection(current.counties, Kind.COUNTY),
        }
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        _BYTES.clear()
        _BYTES[current.signature] = body
    return body, current.signature
