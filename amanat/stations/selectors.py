"""Reads of the station registry for the pages: scoped lists, filters, readiness tables.

Every read starts from ``stations_for_user`` (the scope filter on ``unit_path``).  The
list answers in a constant number of queries whatever the page size, and counts without
joins; each readiness table is one aggregate query.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from django.db import connection
from django.db.models import Count, F, IntegerField, Q, QuerySet, Value
from django.http import HttpRequest

from amanat.accounts import policy
from amanat.accounts.access import AnyUser, get_object_for_user, scope_paths, scope_queryset
from amanat.accounts.models import ApiToken
from amanat.audit.models import Event
from amanat.core.collation import persian
from amanat.elections.models import Election, Milestone, MilestoneCode
from amanat.elections.selectors import milestone_due
from amanat.geo.models import AdminUnit, Kind
from amanat.geo.paths import under
from amanat.lib.collation import persian_key
from amanat.lib.persian import search_key
from amanat.stations.models import (
    Cctv,
    Fibre,
    Station,
    StationQuerySet,
    fibre_overdue_q,
    ready_q,
)

LABEL = "stations.station"

# Sort keys offered on the list → ORDER BY; every one ends on the primary key so pages
# never overlap.  The default uses the (election, county, code) unique index.
SORTS: dict[str, tuple[str, ...]] = {
    "code": ("county_id", "code", "pk"),
    "-code": ("-county_id", "-code", "-pk"),
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    "county": ("county__name", "code", "pk"),
    "-county": ("-county__name", "-code", "-pk"),
    "voters": ("expected_voters", "pk"),
    "-voters": ("-expected_voters", "-pk"),
    "updated": ("updated_at", "pk"),
    "-updated": ("-updated_at", "-pk"),
}
DEFAULT_SORT = "code"
# Columns the list and the county page show; nothing else is loaded.
LIST_FIELDS = (
    "pk", "code", "name", "county__name", "unit__name", "expected_voters", "cctv", "fibre",
    "power_backup", "evoting_planned", "evoting_ready", "sensitive", "status", "updated_at",
)


def stations_for_user(
    user: AnyUser, election: Election, *, action: str = policy.VIEW
) -> StationQuerySet:
    stations = scope_queryset(
        user, Station.objects.filter(election=election), action=action, path_field="unit_path"
    )
    return cast(StationQuerySet, stations)  # the manager's class survives filter()


def scoped_units(
    user: AnyUser, kind: str, *, province: AdminUnit | None = None,
    action: str = policy.VIEW,
) -> QuerySet[AdminUnit]:
    """Provinces or counties for the filter lists: those the user's scope touches.

    A county governor's own province is listed (filtering by it gives his stations).
    """
    paths = scope_paths(user, LABEL, action)
    units = AdminUnit.objects.filter(kind=kind).only("pk", "name", "code", "path")
    if not paths:
        return units.none()
    condition = Q()
    for path in paths:
        condition |= under("path", path)
        if kind == Kind.PROVINCE:
            # The province above a county membership: its path is a prefix of the scope.
            condition |= Q(path__in=_prefixes(path))
    units = units.filter(condition)
    if province is not None:
        units = units.filter(under("path", province.path))
    return units.order_by(persian("name"), "pk")


def _prefixes(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return ["/".join(parts[:i]) + "/" for i in range(1, len(parts))]


def filter_stations(stations: StationQuerySet, filters: dict[str, Any]) -> StationQuerySet:
    """Apply the list's cleaned filters; every condition is on the station row itself."""
    if filters.get("province") is not None:
        stations = stations.filter(under("unit_path", filters["province"].path))
    if filters.get("county") is not None:
        stations = stations.filter(county=filters["county"])
    readiness = filters.get("ready")
    if readiness == "yes":
        stations = stations.ready()
    elif readiness == "no":
        stations = stations.not_ready()
    for name in ("sensitive", "power_backup", "evoting_planned"):
        value = filters.get(name)
        if value in ("yes", "no"):
            stations = stations.filter(**{name: value == "yes"})
    cctv = filters.get("cctv")
    if cctv == "any":
        stations = stations.exclude(cctv=Cctv.NONE)
    elif cctv:
        stations = stations.filter(cctv=cctv)
    if filters.get("fibre") == "missing":
        stations = stations.exclude(fibre=Fibre.CONNECTED)
    elif filters.get("fibre"):
        stations = stations.filter(fibre=filters["fibre"])
    if filters.get("status"):
        stations = stations.filter(status=filters["status"])
    text = (filters.get("q") or "").strip()
    key = search_key(text)
    if key:
        stations = stations.filter(search_text__contains=key)
    return stations


def station_rows(stations: QuerySet[Station], sort: str) -> QuerySet[Station]:
    """The list's rows: the few columns shown, related names joined, in ``sort`` order."""
    order = SORTS.get(sort, SORTS[DEFAULT_SORT])
    return (
        stations.select_related("county", "unit")
        .only(*[f for f in LIST_FIELDS if f != "pk"])
        .order_by(*order)
    )


def station_detail(user: AnyUser, pk: Any, *, write: bool = False) -> Station:
    """One station the user may view (or change with ``write``); Http404 otherwise."""
    return get_object_for_user(
        user, Station, pk, write=write, path_field="unit_path",
        queryset=Station.objects.select_related(
            "election", "county", "county__parent", "unit", "constituency"
        ),
    )


def station_history(station: Station, limit: int = 50) -> QuerySet[Event]:
    """The station's own audit events, newest first.  Whoever may view the station may
    read them (they describe only this station)."""
    return Event.objects.filter(
        object_type=LABEL, object_id=str(station.pk)
    ).order_by("-seq")[:limit]


# --- readiness ------------------------------------------------------------------------


@dataclass
class Readiness:
    """The readiness figures of one unit (or of a whole table, as ``total``)."""

    unit_id: int | None
    name: str
    code: str
    stations: int = 0
    cctv: int = 0
    evoting: int = 0
    fibre: int = 0
    power: int = 0
    ready: int = 0
    staffed: int = 0
    sensitive: int = 0
    overdue: int = 0

    @staticmethod
    def _pct(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    @property
    def cctv_pct(self) -> float | None:
        return self._pct(self.cctv, self.stations)

    @property
    def fibre_pct(self) -> float | None:
        """Share with fibre connected among stations where e-voting is planned."""
        return self._pct(self.fibre, self.evoting)

    @property
    def power_pct(self) -> float | None:
        return self._pct(self.power, self.stations)

    @property
    def ready_pct(self) -> float | None:
        return self._pct(self.ready, self.stations)

    @property
    def staffed_pct(self) -> float | None:
        """Share with every post filled (station staffing)."""
        return self._pct(self.staffed, self.stations)

    def add(self, other: Readiness) -> None:
        for name in ("stations", "cctv", "evoting", "fibre", "power", "ready", "staffed",
                     "sensitive", "overdue"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class FibreDeadline:
    """The calendar's fibre-status milestone as of ``today``."""

    due: datetime.date | None
    today: datetime.date

    @property
    def passed(self) -> bool:
        return self.due is not None and self.today > self.due


def fibre_deadline(election: Election, today: datetime.date) -> FibreDeadline:
    try:
        due: datetime.date | None = milestone_due(election, MilestoneCode.FIBRE_STATUS_DUE)
    except Milestone.DoesNotExist:
        due = None  # no deadline in the calendar: nothing can be overdue
    return FibreDeadline(due, today)


def readiness_table(
    stations: QuerySet[Station], *, by: Literal["county", "province"], overdue: bool
) -> list[Readiness]:
    """Readiness per county or province in ONE aggregate query, best share ready first.

    ``overdue`` says whether the fibre deadline has passed (see ``fibre_deadline``).
    """
    unit = "county" if by == "county" else "county__parent"
    overdue_count: Count | Value = (
        Count("pk", filter=fibre_overdue_q()) if overdue else Value(0, IntegerField())
    )
    rows = (
        stations.order_by()
        .values(g_id=F(f"{unit}__id"), g_name=F(f"{unit}__name"), g_code=F(f"{unit}__code"))
        .annotate(
            n_stations=Count("pk"),
            n_cctv=Count("pk", filter=~Q(cctv=Cctv.NONE)),
            n_evoting=Count("pk", filter=Q(evoting_planned=True)),
            n_fibre=Count("pk", filter=Q(evoting_planned=True, fibre=Fibre.CONNECTED)),
            n_power=Count("pk", filter=Q(power_backup=True)),
            n_ready=Count("pk", filter=ready_q()),
            n_staffed=Count("pk", filter=Q(staffed=True)),
            n_sensitive=Count("pk", filter=Q(sensitive=True)),
            n_overdue=overdue_count,
        )
    )
    table = [_readiness(row) for row in rows]
    table.sort(key=lambda r: (-(r.ready_pct or 0), r.overdue, persian_key(r.name),
                              r.unit_id or 0))
    return table


def _readiness(row: Mapping[str, Any]) -> Readiness:
    return Readiness(
        unit_id=row["g_id"], name=row["g_name"] or "", code=row["g_code"] or "",
        stations=row["n_stations"], cctv=row["n_cctv"], evoting=row["n_evoting"],
        fibre=row["n_fibre"], power=row["n_power"], ready=row["n_ready"],
        staffed=row["n_staffed"],
        sensitive=row["n_sensitive"], overdue=row["n_overdue"],
    )


def readiness_total(rows: Iterable[Readiness], name: str) -> Readiness:
    total = Readiness(unit_id=None, name=name, code="")
    for row in rows:
        total.add(row)
    return total


def token_stations_columns(token_id: str, vendor: str) -> str:
    """Two columns for a SELECT of API tokens (``token_id`` names the token's id
    column): the stations the token is bound to (their ids, comma-separated, or NULL)
    and whether it is of the bound kind.  What ``token_station_ids`` asks, for the API's
    token check to fold into its own SELECT (``remember_token_station_ids``): one round
    trip fewer on every API request (docs/benchmarks.md)."""
    # Both parts are this module's constants; nothing of a request goes in.
    ids = ("string_agg(station_id::text, ',')" if vendor == "postgresql"
           else "group_concat(station_id, ',')")
    return (f"(SELECT {ids} FROM stations_tokenstation WHERE token_id = {token_id}),"  # noqa: S608
            f" EXISTS (SELECT 1 FROM stations_boundtoken WHERE token_id = {token_id})")


def remember_token_station_ids(token: ApiToken, bindings: str | None, bound: object) -> None:
    """Keep on the token what ``token_stations_columns`` read with it: the answer of
    ``token_station_ids`` for the request (same rule: a binding, or the bound kind,
    makes it a bound token)."""
    ids = {int(value) for value in bindings.split(",")} if bindings else set()
    token._amanat_station_ids = ids if bindings or bound else None  # type: ignore[attr-defined]


def token_station_ids(request: HttpRequest) -> set[int] | None:
    """The stations an API request's token is bound to, or None when it is not bound.

    A field device's token reaches only its stations, inside its user's scope; every
    station-level API endpoint narrows by this after the usual scope check.  A token of
    the bound kind (``BoundToken``) whose bindings are gone gets an empty set, i.e.
    reaches nothing: only a token issued unbound (a script at headquarters) gets None
    (fail closed, attack review 2026-12 F4).
    """
    token = getattr(request, "auth", None)
    if not isinstance(token, ApiToken):
        return None
    if hasattr(token, "_amanat_station_ids"):
        cached: set[int] | None = token._amanat_station_ids
        return cached
    with connection.cursor() as cursor:  # plain SQL: asked on every API request
        cursor.execute(
            "SELECT station_id FROM stations_tokenstation WHERE token_id = %s"
            " UNION ALL SELECT NULL FROM stations_boundtoken WHERE token_id = %s",
            [token.pk, token.pk],
        )
        rows = cursor.fetchall()
    # Any row (a binding, or the token's bound kind) makes it a bound token.
    cached = {row[0] for row in rows if row[0] is not None} if rows else None
    token._amanat_station_ids = cached  # type: ignore[attr-defined]
    return cached


def token_unit_ids(request: HttpRequest, election: Election | None = None) -> set[int] | None:
    """The counties of the stations an API request's token is bound to, and their
    provinces; None when the token is not bound.

    Every county-level API read (the atlas, the plans, candidacies) narrows by this
    after the usual scope check, as the station-level reads narrow by
    ``token_station_ids``: a field device's token reaches no county but its stations'
    (attack review 2026-12, docs/reviews/2026-12-attack-plans.md). ``election``: only
    that election's stations."""
    bound = token_station_ids(request)
    if bound is None:
        return None
    stations = Station.objects.filter(pk__in=bound)
    if election is not None:
        stations = stations.filter(election=election)
    pairs = set(stations.values_list("county_id", "county__parent_id"))
    return {c for c, _p in pairs} | {p for _c, p in pairs if p}
