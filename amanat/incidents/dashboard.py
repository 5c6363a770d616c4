"""Reads behind the incidents dashboard and the case map: figures over the cases a user sees.

Every function takes an already scoped queryset (``selectors.scope_cases``, the one place
that decides which cases a user sees, agency narrowing included) and makes ONE aggregate
query (``values().annotate(Count)``), so the page costs the same for ten cases or a
hundred thousand.  Units are rolled up from the cases' materialised ``unit_path`` in
Python: the GROUP BY returns one row per distinct place, not per case.

The map answer follows ``amanat.stations.map`` (same zoom rule and box handling) and
keeps arrays rather than objects to stay small:

    {"mode": "cells", "res": 3, "total": n, "unplaced": u,
     "cells": [[cell, lat, lon, cases, open, overdue, worst open severity 0–4], ...]}
    {"mode": "places", "total": n, "truncated": false,
     "places": [[lat, lon, [[id, number, severity, status, overdue 0/1, category], ...]], ...]}

A case is placed at its station's coordinates, else at its unit's; a case with neither
is counted in ``unplaced`` and not drawn.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import h3
from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from amanat.geo.models import AdminUnit
from amanat.geo.paths import under
from amanat.incidents.models import CLOSED_STATUSES, Case, Status
from amanat.lib.collation import persian_key
from amanat.stations import map as stations_map

DAYS = 30
PLACE_CAP = 2_000


def open_q() -> Q:
    return ~Q(status__in=CLOSED_STATUSES)


def overdue_q(now: datetime.datetime) -> Q:
    return open_q() & Q(due_at__lt=now)


def _counts(now: datetime.datetime) -> dict[str, Any]:
    """The per-group counts every table shows."""
    return {"n": Count("pk"), "n_open": Count("pk", filter=open_q()),
            "n_overdue": Count("pk", filter=overdue_q(now))}


# --- totals -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    total: int
    open: int
    overdue: int
    referred: int
    resolved: int
    dismissed: int


def totals(cases: QuerySet[Case], now: datetime.datetime | None = None) -> Totals:
    now = now or timezone.now()
    row = cases.order_by().aggregate(
        total=Count("pk"), open=Count("pk", filter=open_q()),
        overdue=Count("pk", filter=overdue_q(now)),
        referred=Count("pk", filter=Q(status=Status.REFERRED)),
        resolved=Count("pk", filter=Q(status=Status.RESOLVED)),
        dismissed=Count("pk", filter=Q(status=Status.DISMISSED)),
    )
    return Totals(**{name: int(value or 0) for name, value in row.items()})


# --- bars -----------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of a table: a label, its counts, and the bar's share of the largest."""

    key: Any
    label: str
    n: int = 0
    open: int = 0
    overdue: int = 0
    unit: AdminUnit | None = None
    direct: bool = False  # cases at the focus unit itself, not below it
    pct: int = 0


def _scale(rows: list[Row]) -> list[Row]:
    """Bar lengths in whole percent of the largest row (an SVG rect's width)."""
    largest = max((r.n for r in rows), default=0)
    for r in rows:
        r.pct = round(100 * r.n / largest) if largest else 0
    return rows


def by_category(cases: QuerySet[Case], *, english: bool = False,
                now: datetime.datetime | None = None) -> list[Row]:
    now = now or timezone.now()
    groups: Any = (
        cases.order_by()
        .values("category_id", "category__name_fa", "category__name_en")
        .annotate(**_counts(now))
    )
    rows = [
        Row(key=g["category_id"], label=g["category__name_en" if english else "category__name_fa"],
            n=g["n"], open=g["n_open"], overdue=g["n_overdue"])
        for g in groups
    ]
    rows.sort(key=lambda r: (-r.n, r.key))
    return _scale(rows)


# --- by unit ------------------------------------------------------------------------------


def common_root(paths: Iterable[str]) -> str:
    """The deepest unit path that is a prefix of every one of ``paths`` ("" if none)."""
    split = [p.strip("/").split("/") for p in paths if p]
    if not split:
        return ""
    shared: list[str] = []
    for segments in zip(*split, strict=False):
        if len(set(segments)) != 1:
            break
        shared.append(segments[0])
    return "/".join(shared) + "/" if shared else ""


def child_path(unit_path: str, focus_path: str) -> str:
    """The path of the unit directly below ``focus_path`` on the way to ``unit_path``;
    ``focus_path`` itself for a case at the focus unit."""
    rest = unit_path[len(focus_path):].strip("/")
    if not rest:
        return focus_path
    return focus_path + rest.split("/", 1)[0] + "/"


def by_unit(cases: QuerySet[Case], focus: AdminUnit,
            now: datetime.datetime | None = None) -> list[Row]:
    """Cases per unit directly below ``focus`` (provinces for the country, counties for a
    province, …): one GROUP BY unit_path, rolled up here, then one query for names."""
    now = now or timezone.now()
    groups: Any = (
        cases.filter(under("unit_path", focus.path)).order_by()
        .values("unit_path").annotate(**_counts(now))
    )
    rolled: dict[str, Row] = {}
    for g in groups:
        key = child_path(g["unit_path"], focus.path)
        row = rolled.setdefault(key, Row(key=key, label=""))
        row.n += g["n"]
        row.open += g["n_open"]
        row.overdue += g["n_overdue"]
    units = {u.path: u for u in AdminUnit.objects.filter(path__in=list(rolled))}
    rows = []
    for key, row in rolled.items():
        row.unit = units.get(key)
        row.direct = key == focus.path
        row.label = row.unit.name if row.unit else key
        rows.append(row)
    rows.sort(key=lambda r: (r.direct, -r.n, persian_key(r.label)))
    return _scale(rows)


# --- by day -------------------------------------------------------------------------------


def by_day(cases: QuerySet[Case], *, days: int = DAYS, today: datetime.date | None = None,
           now: datetime.datetime | None = None) -> list[Row]:
    """Cases opened on each of the last ``days`` days (local dates, oldest first), with
    the days without cases as zeros."""
    today = today or timezone.localdate()
    first = today - datetime.timedelta(days=days - 1)
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))
    groups: Any = (
        cases.filter(opened_at__gte=start).order_by()
        .annotate(day=TruncDate("opened_at")).values("day")
        .annotate(**_counts(now or timezone.now()))
    )
    found = {g["day"]: g for g in groups}
    rows = []
    for offset in range(days):
        day = first + datetime.timedelta(days=offset)
        g = found.get(day, {})
        rows.append(Row(key=day, label=day.isoformat(), n=int(g.get("n", 0)),
                        open=int(g.get("n_open", 0)), overdue=int(g.get("n_overdue", 0))))
    return _scale(rows)


# --- map ----------------------------------------------------------------------------------


def placed(cases: QuerySet[Case]) -> Any:
    """Cases annotated with their coordinates: the station's, else the unit's (typed Any:
    the stubs cannot follow filters on annotations)."""
    return cases.annotate(
        lat=Coalesce("station__latitude", "unit__latitude"),
        lon=Coalesce("station__longitude", "unit__longitude"),
    )


@lru_cache(maxsize=64_000)
def _cell(lat: float, lon: float, res: int) -> str:
    return str(h3.latlng_to_cell(lat, lon, res))


def _in(box: stations_map.BBox) -> Q:
    return Q(lon__gte=box[0], lat__gte=box[1], lon__lte=box[2], lat__lte=box[3])


def map_cells(cases: QuerySet[Case], res: int, bbox: stations_map.BBox | None,
              now: datetime.datetime | None = None) -> dict[str, Any]:
    """Cases per H3 cell of ``res``: one GROUP BY on the coordinates, rolled up here.

    With a box, like the station map: a cell is sent when its centre is in view, and the
    SQL reads cases within twice the margin a cell can reach so its counts are whole."""
    now = now or timezone.now()
    qs = placed(cases)
    keep: stations_map.BBox | None = None
    if bbox is not None:
        lat_m, lon_m = stations_map.cell_margins(res, bbox)
        keep = stations_map.grow_box(bbox, lat_m, lon_m)
        read = stations_map.grow_box(bbox, 2 * lat_m, 2 * lon_m)
        qs = qs.filter(Q(lat__isnull=True) | Q(lon__isnull=True) | _in(read))
    groups = qs.order_by().values_list("lat", "lon").annotate(
        worst=Max("severity", filter=open_q()), **_counts(now),
    )
    rolled: dict[str, list[int]] = {}
    unplaced = 0
    for lat, lon, worst, n, n_open, n_overdue in groups:
        if lat is None or lon is None or not stations_map.on_earth(lat, lon):
            unplaced += n
            continue
        entry = rolled.setdefault(_cell(lat, lon, res), [0, 0, 0, 0])
        entry[0] += n
        entry[1] += n_open
        entry[2] += n_overdue
        entry[3] = max(entry[3], worst or 0)
    cells, total = [], 0
    for cell, (n, n_open, n_overdue, worst) in sorted(rolled.items()):
        lat, lon = stations_map.cell_centre(cell)
        if keep is not None and not stations_map.in_box(lat, lon, keep):
            continue
        cells.append([cell, lat, lon, n, n_open, n_overdue, worst])
        total += n
    return {"mode": "cells", "res": res, "total": total, "unplaced": unplaced, "cells": cells}


def map_places(cases: QuerySet[Case], bbox: stations_map.BBox | None, *, english: bool = False,
               now: datetime.datetime | None = None) -> dict[str, Any]:
    """The cases in view grouped by place (several cases at one station share a marker),
    at most ``PLACE_CAP`` cases."""
    now = now or timezone.now()
    qs = placed(cases).filter(_in(stations_map.EARTH))
    if bbox is not None:
        qs = qs.filter(_in(bbox))
    name = "category__name_en" if english else "category__name_fa"
    rows = list(
        qs.order_by("lat", "lon", "-severity", "pk")
        .values_list("lat", "lon", "pk", "number", "severity", "status", "due_at", name)
        [: PLACE_CAP + 1]
    )
    truncated = len(rows) > PLACE_CAP
    digits = stations_map.COORD_DIGITS
    places: dict[tuple[float, float], list[list[Any]]] = {}
    for lat, lon, pk, number, severity, status, due_at, category in rows[:PLACE_CAP]:
        overdue = int(status not in CLOSED_STATUSES and due_at < now)
        key = (round(lat, digits), round(lon, digits))
        places.setdefault(key, []).append([pk, number, severity, status, overdue, category])
    return {"mode": "places", "total": min(len(rows), PLACE_CAP), "truncated": truncated,
            "places": [[lat, lon, items] for (lat, lon), items in places.items()]}


def map_data(cases: QuerySet[Case], query: stations_map.MapQuery, *, english: bool = False
             ) -> dict[str, Any]:
    res = stations_map.resolution_for(query.zoom)
    if res is None:
        return map_places(cases, query.bbox, english=english)
    return map_cells(cases, res, query.bbox)
