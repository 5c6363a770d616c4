"""Reads of the election day that pages and commands share.

The dashboard reads ``StationDay`` only: one grouped query per level (the country's
provinces, a province's counties, a county's stations).  Its figures are the published
ones, which never hold a quarantined value (``services.stationday_move``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Min, Q, Sum
from django.http import Http404
from django.utils import timezone

from amanat.accounts import access, policy
from amanat.accounts.access import AnyUser
from amanat.audit.models import Event
from amanat.elections.models import Election
from amanat.geo.models import AdminUnit, Kind
from amanat.lib.persian import search_key, to_ascii_digits
from amanat.operations.models import Checkin, DaySettings, Flag, StationDay, Window
from amanat.operations.watch_selectors import dashboard_incidents
from amanat.stations.models import Station

CHECKIN = "operations.checkin"
WINDOW = "operations.window"
# The levels a dashboard is drawn for, and what its rows are.
DASHBOARD_KINDS = (Kind.COUNTRY, Kind.PROVINCE, Kind.COUNTY)
FIGURES = ("stations", "opened", "reporting", "silent", "closed", "flagged", "voters",
           "registered", "incidents", "incidents_open")


# -- scope ---------------------------------------------------------------------------

def common_root(paths: list[str]) -> str:
    """The longest path every one of ``paths`` lies under ("" when none)."""
    if not paths:
        return ""
    parts = [path.strip("/").split("/") for path in paths]
    shared: list[str] = []
    for segments in zip(*parts, strict=False):
        if len(set(segments)) != 1:
            break
        shared.append(segments[0])
    return "/".join(shared) + "/" if shared else ""


def home_unit(user: AnyUser) -> AdminUnit:
    """The deepest dashboard unit covering the user's whole day scope: the country for
    the headquarters, the province for a provincial office, the county for a governor."""
    paths = access.scope_paths(user, CHECKIN, policy.VIEW)
    if not paths:
        raise Http404("not found")
    root = common_root(paths)
    units = {u.path: u for u in AdminUnit.objects.filter(
        path__in=_prefixes(root), kind__in=DASHBOARD_KINDS)}
    for prefix in reversed(_prefixes(root)):
        if prefix in units and access.can(user, policy.VIEW, CHECKIN, units[prefix]):
            return units[prefix]
    # A scope below any county (a field inspector at a district): their county.
    unit = AdminUnit.objects.filter(path__in=_prefixes(paths[0]), kind=Kind.COUNTY).first()
    if unit is None:
        raise Http404("not found")
    return unit


def _prefixes(path: str) -> list[str]:
    segments = path.strip("/").split("/")
    return ["/".join(segments[:i]) + "/" for i in range(1, len(segments) + 1)
            if segments[0]]


def get_dashboard_unit_for_user(user: AnyUser, pk: Any) -> AdminUnit:
    """A country, province or county whose day the user may watch; else 404."""
    unit = access.get_object_for_user(
        user, AdminUnit, pk, path_field="path", model_label=CHECKIN,
        queryset=AdminUnit.objects.filter(kind__in=DASHBOARD_KINDS))
    return unit


def get_station_for_user(user: AnyUser, pk: Any, *, election: Election | None = None,
                         action: str = policy.VIEW) -> Station:
    """A station in the user's election-day scope (``action`` on check-ins); else 404."""
    queryset = Station.objects.select_related("county", "unit", "election")
    if election is not None:
        queryset = queryset.filter(election=election)
    return access.get_object_for_user(user, Station, pk, action=action, path_field="unit_path",
                                      model_label=CHECKIN, queryset=queryset)


# -- the dashboard -------------------------------------------------------------------

@dataclass(frozen=True)
class Moment:
    """When the dashboard is read and what counts as silent then."""

    now: datetime.datetime
    cutoff: datetime.datetime  # heard from since then: reporting
    watching: bool  # the first window opened a quiet period ago: silence counts


def moment(election: Election, settings: DaySettings,
           now: datetime.datetime | None = None) -> Moment:
    now = now or timezone.now()
    quiet = datetime.timedelta(minutes=settings.silent_after_minutes)
    first = Window.objects.filter(election=election).aggregate(first=Min("opens_at"))["first"]
    return Moment(now, now - quiet, first is not None and now >= first + quiet)


def _figures(at: Moment) -> dict[str, Any]:
    silent = (Q(closed_at__isnull=True)
              & (Q(last_heard_at__isnull=True) | Q(last_heard_at__lt=at.cutoff))
              if at.watching else Q(pk__in=[]))
    return {
        "stations": Count("id"),
        "opened": Count("id", filter=Q(opened_at__isnull=False)),
        "reporting": Count("id", filter=Q(last_heard_at__gte=at.cutoff)),
        "silent": Count("id", filter=silent),
        "closed": Count("id", filter=Q(closed_at__isnull=False)),
        "flagged": Count("id", filter=Q(flagged__gt=0)),
        "voters": Sum("voters"),
        "registered": Sum("registered"),
    }


def _row(values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {name: int(values.get(name) or 0) for name in FIGURES}
    row["turnout"] = (round(100 * row["voters"] / row["registered"], 1)
                      if row["registered"] else None)
    return row


def _station_state(day: Any, at: Moment) -> str:
    if day["closed_at"] is not None:
        return "closed"
    if day["last_heard_at"] is not None and day["last_heard_at"] >= at.cutoff:
        return "reporting"
    if at.watching:
        return "silent"
    return "waiting"


def day_settings(election: Election) -> DaySettings:
    """The election's day settings, or the defaults (unsaved) when it has none yet: a
    page that only shows them writes nothing (``services.day_settings`` makes the row
    for the writes)."""
    return (DaySettings.objects.filter(election=election).first()
            or DaySettings(election=election))


def dashboard(election: Election, unit: AdminUnit, *,
              now: datetime.datetime | None = None) -> dict[str, Any]:
    """The day at ``unit`` (a country, province or county): its totals and one row per
    unit below it (per station in a county), from one query."""
    settings = day_settings(election)
    at = moment(election, settings, now)
    days = StationDay.objects.filter(election=election)
    rows: list[dict[str, Any]] = []
    if unit.kind == Kind.COUNTY:
        level = "station"
        stations: Any = (days.filter(county=unit)
                 .values("station_id", "station__code", "station__name", "station__latitude",
                         "station__longitude", "registered", "voters", "opened_at",
                         "last_heard_at", "closed_at", "flagged")
                 .order_by("station__code"))
        for day in stations:
            state = _station_state(day, at)
            row = _row({
                "stations": 1, "opened": day["opened_at"] is not None,
                "reporting": state == "reporting", "silent": state == "silent",
                "closed": state == "closed", "flagged": day["flagged"] > 0,
                "voters": day["voters"], "registered": day["registered"]})
            row.update(id=day["station_id"], code=day["station__code"],
                       name=day["station__name"], state=state,
                       lat=day["station__latitude"], lon=day["station__longitude"],
                       last_heard_at=(day["last_heard_at"].isoformat()
                                      if day["last_heard_at"] else None))
            rows.append(row)
    else:
        level = "province" if unit.kind == Kind.COUNTRY else "county"
        group = "province" if level == "province" else "county"
        # The whole country reads every row of the election: a plain scan of the table
        # beats the election index's lookup per row (SQLite: 40 against 110 ms on 59,000
        # stations), so the election is compared as an expression no index serves.
        scoped = (StationDay.objects.alias(scan_election=F("election_id") + 0)
                  .filter(scan_election=election.pk)
                  if unit.kind == Kind.COUNTRY else days.filter(province=unit))
        found: list[Any] = list(scoped.values(f"{group}_id").annotate(**_figures(at))
                                .order_by())
        # The names in a second, small query: a join on every row costs more.
        names = {u["pk"]: u for u in AdminUnit.objects.filter(
            pk__in=[values[f"{group}_id"] for values in found]).values("pk", "name", "code")}
        for values in found:
            row = _row(values)
            unit_id = values[f"{group}_id"]
            named = names.get(unit_id, {"name": "", "code": ""})
            row.update(id=unit_id, code=named["code"], name=named["name"])
            rows.append(row)
        rows.sort(key=lambda row: row["code"])
    dashboard_incidents(election, unit, level, rows)
    totals = _row({name: sum(row[name] for row in rows) for name in FIGURES})
    return {
        "election": election.slug,
        "unit": {"id": unit.pk, "name": unit.name, "kind": unit.kind},
        "level": level,
        "at": at.now.isoformat(),
        "quiet_minutes": settings.silent_after_minutes,
        "watching": at.watching,
        "totals": totals,
        "rows": rows,
    }


# -- one station's day ---------------------------------------------------------------

def station_day(election: Election, station: Station) -> dict[str, Any]:
    """A station's day: its row, its check-ins (newest first) with their flags."""
    day = StationDay.objects.filter(election=election, station=station).first()
    checkins = list(Checkin.objects.filter(election=election, station=station)
                    .select_related("window", "reporter")
                    .prefetch_related("flags__rule").order_by("-received_at")[:200])
    flags = (Flag.objects.filter(election=election, station=station)
             .select_related("rule", "checkin").order_by("-created_at"))
    # Its state as the dashboard shows it (reporting, silent, closed, waiting), so that
    # the page a dashboard row leads to says the same (user review 2, F14).
    state = ""
    if day is not None:
        at = moment(election, day_settings(election))
        state = _station_state({"closed_at": day.closed_at,
                                "last_heard_at": day.last_heard_at}, at)
    return {"day": day, "checkins": checkins, "flags": list(flags), "state": state}


def open_windows(election: Election, at: datetime.datetime | None = None) -> list[Window]:
    at = at or timezone.now()
    return list(Window.objects.filter(election=election, opens_at__lte=at, closes_at__gt=at))


def windows(election: Election) -> list[Window]:
    return list(Window.objects.filter(election=election))


DAY_CHANGES = ("operations.windows.create", "operations.windows.update",
               "operations.windows.retime", "operations.windows.restore")


def day_before_simulation(election: Election) -> dict[str, Any] | None:
    """The day's times before the simulation compressed them: the ``before`` of the
    first of the retimes since the windows were last created or set by hand; None when
    the last change was not a retime."""
    real = None
    changes = Event.objects.filter(object_type="elections.election", object_id=str(election.pk),
                                   action__in=DAY_CHANGES).order_by("-seq")
    for change in changes.only("action", "before").iterator():
        if change.action != "operations.windows.retime":
            break
        real = change.before
    return real


# -- the web check-in form (ckkinds) ----------------------------------------------------

def checkin_by_key(client_key: str) -> Checkin | None:
    """The check-in stored with this channel key, if any (a form posted again)."""
    return Checkin.objects.filter(client_key=client_key).first()


def checkin_rule_names(checkin: Checkin) -> list[str]:
    """The names of the quality rules that flagged the check-in, in the active language."""
    return [flag.rule.name for flag in
            Flag.objects.filter(checkin=checkin).select_related("rule").order_by("pk")]


def window_of(election: Election, pk: int | None) -> Window | None:
    """The election's window ``pk`` (a window posted with a form), or None."""
    return Window.objects.filter(election=election, pk=pk).first() if pk else None


# What a closed station no longer takes (services.day_check refuses them on every channel).
AFTER_CLOSING_REFUSED = ("opening", "turnout")


def open_windows_for_station(election: Election, station: Station,
                             at: datetime.datetime | None = None) -> list[Window]:
    """The windows open now that the station may still check in for: after its closing,
    no opening or turnout."""
    at = at or timezone.now()
    found = open_windows(election, at)
    closed = (StationDay.objects.filter(election=election, station=station,
                                        closed_at__lte=at).exists())
    return [w for w in found if not (closed and w.kind in AFTER_CLOSING_REFUSED)]


# -- the station search (user review 2026-12, F25) ---------------------------------

def station_search(user: AnyUser, election: Election, text: str,
                   limit: int) -> tuple[list[Station], bool]:
    """Stations of ``election`` in the user's election-day scope whose code is ``text``
    (Persian or Latin digits) or whose code or name contains it, the exact code first;
    and whether there were more than ``limit``."""
    scoped = access.scope_queryset(
        user, Station.objects.filter(election=election), action=policy.VIEW,
        path_field="unit_path", model_label=CHECKIN)
    code = to_ascii_digits(text.strip())
    exact = list(scoped.filter(code=code).select_related("county", "unit")[:2])
    if len(exact) == 1:
        return exact, False
    key = search_key(text)
    if not key:
        return [], False
    found = list(scoped.filter(search_text__contains=key).select_related("county", "unit")
                 .order_by("code", "pk")[:limit + 1])
    return found[:limit], len(found) > limit
