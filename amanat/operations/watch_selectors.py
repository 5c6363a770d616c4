"""Reads of the alert, flag and quality-rule pages (opswatch), through the scope
helpers: a county sees its own alerts and flags, a province its counties'; out of scope
is 404.  Also what an alert's page shows of its station and the dashboard's incident
figures (ckalerts)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.http import Http404

from amanat.accounts import access, policy
from amanat.accounts.access import AnyUser
from amanat.elections.models import Election
from amanat.geo.models import AdminUnit, Kind
from amanat.incidents.models import Category, Report
from amanat.operations import incident_alerts
from amanat.operations.models import (
    Alert,
    AlertKind,
    AlertLevel,
    AlertState,
    Checkin,
    Flag,
    FlagState,
    QualityRule,
    StationDay,
)
from amanat.staffing.models import Assignment

ALERT = "operations.alert"
CHECKIN = "operations.checkin"
RULE = "operations.qualityrule"
# Who shows the staff's mobiles in full on an alert's page (accounts/policy.py).
STAFF_PHONE = "operations.staffphone"


def alerts_for_user(user: AnyUser, election: Election, *, kind: str = "", state: str = "",
                    level: str = "") -> QuerySet[Alert]:
    """The election's alerts in the user's scope: escalated first, then the newest.
    ``state`` empty: the ones not closed; "all": every state."""
    alerts = Alert.objects.filter(election=election)
    if kind:
        alerts = alerts.filter(kind=kind)
    if level:
        alerts = alerts.filter(level=level)
    if state == "all":
        pass
    elif state:
        alerts = alerts.filter(state=state)
    else:
        alerts = alerts.exclude(state=AlertState.CLOSED)
    alerts = access.scope_queryset(user, alerts, action=policy.VIEW, path_field="unit_path",
                                   model_label=ALERT)
    escalated = Case(When(level=AlertLevel.PROVINCE, then=Value(0)), default=Value(1),
                     output_field=IntegerField())
    return (alerts.select_related("station", "county", "flag__rule", "checkin")
            .order_by(escalated, "-raised_at", "-pk"))


def station_alerts_for_user(user: AnyUser, election: Election, station: Any) -> list[Alert]:
    """The station's alerts not closed yet, as far as the user may read alerts (none
    for a field inspector): what its day's page links to (user review 2, F14)."""
    alerts = Alert.objects.filter(election=election, station=station).exclude(
        state=AlertState.CLOSED)
    return list(access.scope_queryset(user, alerts, action=policy.VIEW,
                                      path_field="unit_path", model_label=ALERT)
                .select_related("flag__rule").order_by("-raised_at", "-pk")[:50])


def get_alert_for_user(user: AnyUser, pk: Any, *, write: bool = False) -> Alert:
    return access.get_object_for_user(
        user, Alert, pk, write=write, path_field="unit_path", model_label=ALERT,
        queryset=Alert.objects.select_related("station", "county", "flag__rule",
                                              "flag__checkin", "acknowledged_by",
                                              "closed_by", "checkin"))


def flags_for_user(user: AnyUser, election: Election) -> QuerySet[Flag]:
    """The election's open flags in the user's scope, the oldest first."""
    flags = Flag.objects.filter(election=election, state=FlagState.OPEN)
    return (access.scope_queryset(user, flags, action=policy.VIEW, path_field="unit_path",
                                  model_label=CHECKIN)
            .select_related("rule", "checkin", "station", "county")
            .order_by("created_at", "pk"))


def get_flag_for_user(user: AnyUser, pk: Any, *, write: bool = False) -> Flag:
    return access.get_object_for_user(
        user, Flag, pk, write=write, path_field="unit_path", model_label=CHECKIN,
        queryset=Flag.objects.select_related("rule", "checkin__window", "station", "county",
                                             "resolved_by"))


def open_flags_of(checkin: Checkin) -> list[Flag]:
    """The check-in's open flags, the oldest first (a correction that still breaks a rule
    leaves new ones: user review 2, F5)."""
    return list(Flag.objects.filter(checkin=checkin, state=FlagState.OPEN)
                .select_related("rule").order_by("pk"))


def rules_for_user(user: AnyUser) -> QuerySet[QualityRule]:
    if not access.can(user, policy.VIEW, RULE, None):
        raise Http404("not found")
    return QualityRule.objects.select_related("updated_by").order_by("-active", "code")


def get_rule_for_change(user: AnyUser, pk: Any) -> QualityRule:
    """A rule a national administrator changes; anyone else: 404."""
    return access.get_national_object_for_user(
        user, QualityRule.objects.all(), action=policy.CHANGE, model_label=RULE,
        national=True, pk=pk)


# -- what an alert's page shows about its station (user review F9) -----------------------

@dataclass(frozen=True)
class IncidentCode:
    code: str
    name: str  # the category's name in the active language ("" for an unknown code)


@dataclass(frozen=True)
class StaffRow:
    post: str
    name: str
    mobile: str  # as stored: the page masks it unless revealed


@dataclass(frozen=True)
class AlertStation:
    """The station of an alert as the official acting on it needs it: its day (last
    heard from, silent since, published figures), its last check-in, its staff by post
    and, for an incident, the check-in's codes and the reports opened for it."""

    day: StationDay | None
    last: Checkin | None
    staff: list[StaffRow]
    codes: list[IncidentCode]
    reports: list[Report]


def incident_codes(text: str, known: dict[str, Category] | None = None) -> list[IncidentCode]:
    known = incident_alerts.categories() if known is None else known
    return [IncidentCode(code, known[code].name if code in known else "")
            for code in incident_alerts.codes_of(text)]


def alert_station(alert: Alert) -> AlertStation:
    day = StationDay.objects.filter(election_id=alert.election_id,
                                    station_id=alert.station_id).first()
    last = (Checkin.objects.filter(election_id=alert.election_id, station_id=alert.station_id)
            .select_related("window").order_by("-received_at", "-pk").first())
    staff = [StaffRow(a.get_post_display(), f"{a.person.first_name} {a.person.last_name}",
                      a.person.mobile)
             for a in Assignment.objects.filter(election_id=alert.election_id,
                                                station_id=alert.station_id)
             .select_related("person").order_by("post", "slot")]
    codes: list[IncidentCode] = []
    reports: list[Report] = []
    if alert.checkin_id is not None and alert.checkin is not None:
        codes = incident_codes(alert.checkin.incidents)
        reports = incident_alerts.reports_for_checkin(alert.checkin_id)
    return AlertStation(day, last, staff, codes, reports)


def label_incidents(alerts: Iterable[Alert]) -> None:
    """Set ``incident_codes`` on each incident alert of a page (one query for the
    categories)."""
    known = incident_alerts.categories()
    for alert in alerts:
        alert.incident_codes = (  # type: ignore[attr-defined]
            incident_codes(alert.checkin.incidents, known) if alert.checkin is not None else [])


# -- the dashboard's incident figures (user review F2) ------------------------------------

def dashboard_incidents(election: Election, unit: AdminUnit, level: str,
                        rows: list[dict[str, Any]]) -> None:
    """Each row's incidents (the incident check-ins the watch raised an alert for) and
    those not closed yet: one grouped query over the few incident alerts of the scope."""
    alerts = Alert.objects.filter(election=election, kind=AlertKind.INCIDENT)
    if unit.kind != Kind.COUNTRY:
        alerts = alerts.filter(unit_path__startswith=unit.path)
    key = "station_id" if level == "station" else "county_id"
    counted: dict[int, list[int]] = {}
    found = list(alerts.values(key).order_by().annotate(
        all=Count("id"), open=Count("id", filter=~Q(state=AlertState.CLOSED))))
    provinces: dict[int, int | None] = {}
    if level == "province":
        provinces = dict(AdminUnit.objects.filter(
            pk__in=[values[key] for values in found]).values_list("pk", "parent_id"))
    for values in found:
        row_id = provinces.get(values[key]) if level == "province" else values[key]
        if row_id is None:
            continue
        both = counted.setdefault(row_id, [0, 0])
        both[0] += values["all"]
        both[1] += values["open"]
    for row in rows:
        row["incidents"], row["incidents_open"] = counted.get(row["id"], (0, 0))
