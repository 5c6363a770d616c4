"""The silent-station watch (issue 16): one run looks at every station of an election,
raises the alerts that are due, escalates the ones nobody acknowledged and tells the
officials.

A run (``silent_watch``) is a fixed number of set-based queries whatever the number of
stations (59,000 nationally): every step is one UPDATE or one SELECT over the election,
new rows go in with ``core.bulk``, and the officials get one message each per run
(counts and station codes), never one per station.  It is idempotent: a second run at
the same moment changes nothing.

* A station is **silent** when it has not been heard from for
  ``DaySettings.silent_after_minutes``: since its last check-in, or since the opening
  window opened if it never checked in.  Exactly at the quiet period it is silent.  A
  closed station (its closing check-in arrived) is never silent.  Its day's
  ``silent_since`` is set (to when it was last heard from, or to the opening) and it gets
  one live "silent" alert at the county.  An alert a person closed while the station
  stayed silent is not raised again for the same silence; a new silence after the
  station was heard from again raises a new one.
* A **quality** alert is raised for each check-in with open quality flags (one alert per
  check-in, pointing at its first flag), whatever channel stored it (web, SMS, the
  field API's intake).
* An **incident** alert is raised for each incident check-in, whatever channel stored
  it; the serious ones are told to the county's officials at once, and the offences
  become reports in the incidents app (``operations.incident_alerts``).
* A station heard from again (``stationday_move`` cleared ``silent_since``) gets a note on
  its live silent alert, once; people close the alert.
* An alert still **open** at the county (nobody acknowledged it)
  ``escalate_after_minutes`` after it was raised goes to the province (``level``,
  ``escalated_at``), unless it is a silent alert whose station has been heard from
  again.
* The **officials** (memberships that may change alerts, ``operations.alert``) of the
  county hear of its new alerts, those of the province of its escalated ones: by SMS to
  the mobile on their profile and by e-mail to their address, through ``core.notify``
  (the outbox, delivered after commit), in Persian.
* One audit entry per run that changed something (``operations.watch.run``).

``amanat operations-watch`` runs it (``--loop SECONDS`` in production; docs/operations.md),
``tasks.operations_watch`` is the same as a django-tasks task.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db import transaction
from django.db.models import Exists, F, Max, Min, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from amanat.accounts import policy
from amanat.accounts.models import Membership
from amanat.audit.services import audit_record
from amanat.core import bulk, notify
from amanat.elections.models import Election
from amanat.geo.models import AdminUnit
from amanat.lib.persian import to_persian_digits
from amanat.operations import incident_alerts, selectors, services
from amanat.operations.models import (
    Alert,
    AlertKind,
    AlertLevel,
    AlertNote,
    AlertState,
    Flag,
    FlagState,
    Kind,
    StationDay,
    Window,
)

# Station codes named in one message to an official; the rest are counted.
CODES_IN_MESSAGE = 10
ALERT_FIELDS = ["election", "station", "county", "unit_path", "kind", "level", "state",
                "raised_at", "flag", "simulated"]


@dataclass
class WatchResult:
    prepared: int = 0
    silent: int = 0
    quality: int = 0
    heard_again: int = 0
    escalated: int = 0
    notified: int = 0
    # Incident alerts raised, and reports opened in the incidents app for their offences.
    incidents: int = 0
    reported: int = 0
    # Station ids of the new silent alerts, alert ids escalated (for the audit entry).
    silent_stations: list[int] = field(default_factory=list)
    escalated_alerts: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.silent or self.quality or self.heard_again or self.escalated
                    or self.incidents)


def day_span(election: Election) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    """When the first opening window opens and the last window closes (None: no
    windows yet)."""
    span = Window.objects.filter(election=election).aggregate(
        opens=Min("opens_at", filter=Q(kind=Kind.OPENING)), closes=Max("closes_at"))
    return span["opens"], span["closes"]


def silent_watch(*, election: Election, now: datetime.datetime) -> WatchResult:
    """One run of the watch at ``now`` (see the module's description)."""
    result = WatchResult(prepared=services.day_prepare(election=election))
    settings = services.day_settings(election)
    opening, closing = day_span(election)
    if opening is None or closing is None:
        return result
    quiet_since = now - datetime.timedelta(minutes=settings.silent_after_minutes)
    escalate_before = now - datetime.timedelta(minutes=settings.escalate_after_minutes)
    with transaction.atomic():
        # Nobody is silent before the quiet period after the opening, nor once the
        # day's last window has closed.
        if opening <= quiet_since and now < closing:
            _mark_silent(election, opening, quiet_since)
        raised = _raise_silent(election, now, result)
        raised += _raise_quality(election, now, result)
        result.incidents, serious = incident_alerts.incident_alerts_raise(election, now)
        _note_heard_again(election, now, result)
        escalated = _escalate(election, now, escalate_before, result)
        result.notified = _notify(raised, escalated, serious)
        if result.changed:
            audit_record(
                action="operations.watch.run", actor=None, actor_name="operations-watch",
                object_type="elections.election", object_id=election.pk,
                after={"silent": result.silent, "quality": result.quality,
                       "heard_again": result.heard_again, "escalated": result.escalated,
                       "notified": result.notified, "incidents": result.incidents},
                extra={"silent_stations": result.silent_stations,
                       "escalated_alerts": result.escalated_alerts, "at": now.isoformat()})
    # The offences' reports, each in its own transaction once the alerts are stored.
    result.reported = incident_alerts.incident_reports_open(election)
    return result


def _mark_silent(election: Election, opening: datetime.datetime,
                 quiet_since: datetime.datetime) -> None:
    days = StationDay.objects.filter(election=election, silent_since__isnull=True,
                                     closed_at__isnull=True)
    days.filter(last_heard_at__lte=quiet_since).update(silent_since=F("last_heard_at"))
    days.filter(last_heard_at__isnull=True).update(silent_since=opening)


# (station id, county id, unit path, station code, simulated) of an alert raised or
# escalated.
Raised = tuple[int, int, str, str, bool]


def _raise_silent(election: Election, now: datetime.datetime,
                  result: WatchResult) -> list[Raised]:
    """A silent alert for each silent station without a live one, and without one
    raised (and closed by a person) during the same silence."""
    covered = Alert.objects.filter(election=election, kind=AlertKind.SILENT,
                                   station_id=OuterRef("station_id")).filter(
        ~Q(state=AlertState.CLOSED) | Q(raised_at__gte=OuterRef("silent_since")))
    due = list(StationDay.objects.filter(election=election, silent_since__isnull=False)
               .exclude(Exists(covered))
               .values_list("station_id", "county_id", "unit_path", "station__code"))
    # A silence on a simulated day (the windows retimed by the simulation) is the
    # simulation's.
    simulated = bool(due) and selectors.day_before_simulation(election) is not None
    if due:
        bulk.insert_rows(Alert, ALERT_FIELDS, (
            (election.pk, station, county, path, AlertKind.SILENT, AlertLevel.COUNTY,
             AlertState.OPEN, now, None, simulated) for station, county, path, _code in due))
    result.silent = len(due)
    result.silent_stations = [row[0] for row in due]
    return [(*row, simulated) for row in due]


def _raise_quality(election: Election, now: datetime.datetime,
                   result: WatchResult) -> list[Raised]:
    """A quality alert for each check-in with open flags and no alert yet."""
    alerted = Alert.objects.filter(kind=AlertKind.QUALITY,
                                   flag__checkin_id=OuterRef("checkin_id"))
    due = list(Flag.objects.filter(election=election, state=FlagState.OPEN)
               .exclude(Exists(alerted))
               .values("checkin_id", "station_id", "county_id", "unit_path", "station__code",
                       "checkin__simulated")
               .annotate(first=Min("pk")).order_by("checkin_id"))
    if due:
        bulk.insert_rows(Alert, ALERT_FIELDS, (
            (election.pk, row["station_id"], row["county_id"], row["unit_path"],
             AlertKind.QUALITY, AlertLevel.COUNTY, AlertState.OPEN, now, row["first"],
             row["checkin__simulated"])
            for row in due))
    result.quality = len(due)
    return [(row["station_id"], row["county_id"], row["unit_path"], row["station__code"],
             row["checkin__simulated"]) for row in due]


def _note_heard_again(election: Election, now: datetime.datetime,
                      result: WatchResult) -> None:
    """A note on each live silent alert whose station was heard from since."""
    heard = StationDay.objects.filter(election=election, station_id=OuterRef("station_id"),
                                      silent_since__isnull=True)
    noted = AlertNote.objects.filter(alert_id=OuterRef("pk"), author__isnull=True,
                                     created_at__gte=OuterRef("heard"))
    due = list(Alert.objects.filter(election=election, kind=AlertKind.SILENT)
               .exclude(state=AlertState.CLOSED)
               .annotate(heard=Subquery(heard.values("last_heard_at")[:1]),
                         heard_kind=Subquery(heard.values("last_kind")[:1]))
               .filter(heard__gt=F("raised_at")).exclude(Exists(noted))
               .values_list("pk", "heard", "heard_kind"))
    with translation.override("fa"):
        kinds = dict(Kind.choices)
        rows = [(pk, None, _("The station was heard from again at %(time)s (%(kind)s).") % {
            "time": to_persian_digits(f"{timezone.localtime(at):%H:%M}"),
            "kind": kinds.get(kind, kind)}, now) for pk, at, kind in due]
    if rows:
        bulk.insert_rows(AlertNote, ["alert", "author", "text", "created_at"], rows)
    result.heard_again = len(rows)


def _escalate(election: Election, now: datetime.datetime, before: datetime.datetime,
              result: WatchResult) -> list[Raised]:
    # A silent alert whose station has been heard from again is not escalated.
    back = StationDay.objects.filter(election=election, station_id=OuterRef("station_id"),
                                     silent_since__isnull=True)
    due = (Alert.objects.filter(election=election, level=AlertLevel.COUNTY,
                                state=AlertState.OPEN, raised_at__lte=before)
           .exclude(Q(kind=AlertKind.SILENT) & Exists(back)))
    rows = list(due.values_list("pk", "station_id", "county_id", "unit_path", "station__code",
                                "simulated"))
    if rows:
        Alert.objects.filter(pk__in=[row[0] for row in rows]).update(
            level=AlertLevel.PROVINCE, escalated_at=now)
    result.escalated = len(rows)
    result.escalated_alerts = [row[0] for row in rows]
    return [row[1:] for row in rows]


def _codes(rows: Iterable[Raised], counties: Mapping[int, str] | None = None) -> str:
    """The stations' codes; with ``counties`` (county id to code), as county-station
    codes: a province's message spans counties whose station codes repeat (user review
    2, F18)."""
    codes = sorted({f"{counties[row[1]]}-{row[3]}" if counties else row[3] for row in rows})
    shown = "، ".join(codes[:CODES_IN_MESSAGE])
    if len(codes) > CODES_IN_MESSAGE:
        shown += "، …"
    return to_persian_digits(shown)


def _stations(rows: list[Raised], counties: Mapping[int, str] | None = None) -> str:
    """"station 0042" or "stations 0042، 0043": ``_codes`` after the word in the number
    it takes (user review 2, F6: «شعب» for one station)."""
    return ngettext("station %(codes)s", "stations %(codes)s",
                    len({row[0] for row in rows})) % {"codes": _codes(rows, counties)}


def _notify(raised: list[Raised], escalated: list[Raised],
            serious: list[incident_alerts.IncidentRaised] | None = None) -> int:
    """One SMS and one e-mail per official and run: the county's officials of its new
    alerts, the province's of its escalated ones, and the county's of its serious
    incidents (a message of their own, naming them).  Returns the messages queued."""
    serious = serious or []
    if not raised and not escalated and not serious:
        return 0
    counties = ({row[1] for row in raised} | {row[1] for row in escalated}
                | {row.county_id for row in serious})
    found = list(AdminUnit.objects.filter(pk__in=counties).values_list(
        "pk", "name", "parent_id", "code"))
    units = {pk: (name, parent) for pk, name, parent, _code in found}
    county_codes = {pk: code for pk, _name, _parent, code in found}
    by_unit: dict[int, list[Raised]] = defaultdict(list)
    for row in raised:
        by_unit[row[1]].append(row)
    escalated_by_unit: dict[int, list[Raised]] = defaultdict(list)
    for row in escalated:
        escalated_by_unit[units[row[1]][1] or row[1]].append(row)
    provinces = dict(AdminUnit.objects.filter(
        pk__in=escalated_by_unit).values_list("pk", "name"))
    roles = policy.roles_allowed("operations.alert", policy.CHANGE)
    # A disabled account (``user_deactivate``) is told nothing, whatever its memberships
    # (attack review 2 F6).
    officials = (Membership.objects.active()
                 .filter(unit_id__in=set(by_unit) | set(escalated_by_unit)
                         | {row.county_id for row in serious}, role__in=roles,
                         user__is_active=True)
                 .values_list("unit_id", "user__email", "user__profile__mobile")
                 .order_by("unit_id", "user_id").distinct())
    contacts: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for unit, email, mobile in officials:
        contacts[unit].add((email or "", mobile or ""))
    sent = 0
    with translation.override("fa"):
        messages: list[tuple[int, str, str]] = []
        for unit, rows in by_unit.items():
            name = units[unit][0]
            # One alert or station is said in the singular (user review 2, F6).
            messages.append((unit, _("Election day alerts: %(unit)s") % {"unit": name}, ngettext(
                "Amanat, %(unit)s: %(count)s new election-day alert (%(stations)s). "
                "Acknowledge it in Amanat.",
                "Amanat, %(unit)s: %(count)s new election-day alerts (%(stations)s). "
                "Acknowledge them in Amanat.", len(rows)) % {
                    "unit": name, "count": to_persian_digits(str(len(rows))),
                    "stations": _stations(rows)}))
        for unit, rows in escalated_by_unit.items():
            name = provinces.get(unit, "")
            county_names = "، ".join(sorted({units[row[1]][0] for row in rows}))
            messages.append((unit, _("Escalated election-day alerts: %(unit)s") % {
                "unit": name}, ngettext(
                "Amanat, %(unit)s: %(count)s alert in %(counties)s was not acknowledged in "
                "time and now rests with the province (%(stations)s).",
                "Amanat, %(unit)s: %(count)s alerts in %(counties)s were not acknowledged in "
                "time and now rest with the province (%(stations)s).", len(rows)) % {
                    "unit": name, "count": to_persian_digits(str(len(rows))),
                    "counties": county_names, "stations": _stations(rows, county_codes)}))
        messages += _serious_messages(serious, units)
        # The alerts page each message points at, when Amanat's public address is set
        # (user review 2, F15): the new alerts, the province's, the incidents.
        links = [_alerts_link({}) for _unit in by_unit]
        links += [_alerts_link({"level": AlertLevel.PROVINCE}) for _unit in escalated_by_unit]
        links += [_alerts_link({"kind": AlertKind.INCIDENT})
                  for _message in messages[len(links):]]
        opening = _("Open the alerts in Amanat:")
        # Whether every alert a message tells of came from the simulation, in its order.
        serious_by_county: dict[int, list[bool]] = defaultdict(list)
        for one in serious:
            serious_by_county[one.county_id].append(one.simulated)
        marks = ([all(row[4] for row in rows) for rows in by_unit.values()]
                 + [all(row[4] for row in rows) for rows in escalated_by_unit.values()]
                 + [all(flags) for flags in serious_by_county.values()])
        for (unit, subject, text), link, simulated in zip(messages, links, marks, strict=True):
            if simulated:
                # Every alert the message tells of came from the simulation.
                subject, text = (_("[Simulation] %(text)s") % {"text": subject},
                                 _("[Simulation] %(text)s") % {"text": text})
            sms = f"{text}\n{link}" if link else text
            body = f"{text}\n\n{opening}\n{link}\n" if link else text
            for email, mobile in sorted(contacts.get(unit, ())):
                if mobile:
                    notify.sms_send(to=mobile, text=sms, purpose="operations.alert")
                    sent += 1
                if email:
                    notify.email_send(to=email, subject=subject, body=body,
                                      purpose="operations.alert")
                    sent += 1
    return sent


def _alerts_link(query: Mapping[str, str]) -> str:
    """The alerts page (filtered by ``query``) at Amanat's public address, or "" when
    it is not set (``notify.public_url``)."""
    path = reverse("operations:alerts")
    return notify.public_url(f"{path}?{urlencode(query)}" if query else path)


def _serious_messages(serious: list[incident_alerts.IncidentRaised],
                      units: Mapping[int, tuple[str, int | None]]
                      ) -> list[tuple[int, str, str]]:
    """(county, subject, text) per county with serious incidents in this run, in the
    active language (the caller's Persian): the stations and what they reported."""
    by_county: dict[int, list[incident_alerts.IncidentRaised]] = defaultdict(list)
    for row in serious:
        by_county[row.county_id].append(row)
    # Only the serious categories are named: the message is about them, and a minor code
    # reported with them (equipment failure) waits on the alert list (user review 2, F6).
    known = incident_alerts.categories()
    names = {code: category.name_fa for code, category in known.items()
             if incident_alerts.is_serious([code], known)}
    messages = []
    for county, rows in by_county.items():
        name = units[county][0]
        kinds = "، ".join(sorted({names.get(code, code) for row in rows for code in row.codes
                                  if code in names}))
        raised = [(row.station_id, row.county_id, row.unit_path, row.station_code,
                   row.simulated) for row in rows]
        messages.append((county, _("Serious incident on election day: %(unit)s") % {
            "unit": name}, ngettext(
            "Amanat, %(unit)s: serious incidents reported by station %(codes)s (%(kinds)s). "
            "Act on them and acknowledge the alert in Amanat.",
            "Amanat, %(unit)s: serious incidents reported by stations %(codes)s (%(kinds)s). "
            "Act on them and acknowledge the alerts in Amanat.",
            len({row[0] for row in raised})) % {
                "unit": name, "codes": _codes(raised), "kinds": kinds}))
    return messages
