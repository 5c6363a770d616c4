"""Incident check-ins reach the officials (user review F2).

A station reports an incident by its category's SMS code (``VB`` vote buying, ``EF``
equipment failure…) from the web form, the field API or SMS.  Whatever channel stored
the check-in (the web and SMS through ``services.checkin_store``, the field API through
the intake's bulk statements, the simulation through ``services.checkins_bulk_record``),
the watch (``watch.silent_watch``, every minute in production) is the one place that
reads it:

* ``incident_alerts_raise``: one "incident" alert at the station's county for each
  incident check-in that has none (set-based, one SELECT and one INSERT per run).  It
  is acknowledged, noted, closed and escalated to the province like any other alert.
  The alerts whose codes include a **serious** category (severity at or above
  ``incidents.models.SERIOUS_SEVERITY``: vote buying, ballot tampering, threats…) are
  returned so that the watch tells the county's officials at once (SMS and e-mail
  through ``core.notify``); the others wait on the alert list and the dashboard.
* ``incident_reports_open``: for each code that is an **offence** (its category goes
  to an agency other than the election headquarters: police, judiciary, cyber police,
  municipality; equipment failure and "other" are the headquarters' own), one raw
  report in the incidents app through ``incidents.services.report_receive``, the door
  of every channel, where triage opens or joins a case as for any report.  Its client
  key ``checkin:<check-in id>:<code>`` makes it idempotent: a second run, or two
  watches at once, store one report.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.utils import translation
from django.utils.translation import gettext as _

from amanat.accounts.models import AgencyKind
from amanat.core import bulk
from amanat.core.errors import RuleError
from amanat.elections.models import Election
from amanat.incidents import services as incident_services
from amanat.incidents.models import SERIOUS_SEVERITY, Category, Channel, Report
from amanat.operations.models import Alert, AlertKind, AlertLevel, AlertState, Checkin, Kind, Source

ALERT_FIELDS = ["election", "station", "county", "unit_path", "kind", "level", "state",
                "raised_at", "checkin", "simulated"]
# A check-in's channel is its report's channel.
CHANNELS: dict[str, str] = {Source.WEB: Channel.WEB, Source.API: Channel.API,
                            Source.SMS: Channel.SMS}
KEY_PREFIX = "checkin:"
log = logging.getLogger("amanat.operations")


@dataclass(frozen=True)
class IncidentRaised:
    """A serious incident alert raised in this run, for the officials' message."""

    station_id: int
    county_id: int
    unit_path: str
    station_code: str
    codes: tuple[str, ...]
    # Raised from a simulated check-in.
    simulated: bool = False


def codes_of(text: str) -> list[str]:
    """The codes of a check-in's ``incidents`` (space separated), in order, once each."""
    codes: list[str] = []
    for code in text.upper().split():
        if code not in codes:
            codes.append(code)
    return codes


def categories() -> dict[str, Category]:
    """The active categories by SMS code."""
    return {category.sms_code.upper(): category for category in
            Category.objects.filter(active=True).select_related("agency")}


def is_offence(category: Category) -> bool:
    return category.agency.kind != AgencyKind.ELECTION_HQ


def is_serious(codes: list[str] | tuple[str, ...], known: dict[str, Category]) -> bool:
    return any(code in known and known[code].severity >= SERIOUS_SEVERITY for code in codes)


def incident_alerts_raise(election: Election, now: datetime.datetime
                          ) -> tuple[int, list[IncidentRaised]]:
    """An incident alert for each incident check-in without one: (how many were raised,
    the serious ones)."""
    alerted = Alert.objects.filter(kind=AlertKind.INCIDENT, checkin_id=OuterRef("pk"))
    due = list(Checkin.objects.filter(election=election, kind=Kind.INCIDENT)
               .exclude(incidents="").exclude(Exists(alerted))
               .values_list("pk", "station_id", "county_id", "unit_path", "station__code",
                            "incidents", "simulated").order_by("pk"))
    if not due:
        return 0, []
    bulk.insert_rows(Alert, ALERT_FIELDS, (
        (election.pk, station, county, path, AlertKind.INCIDENT, AlertLevel.COUNTY,
         AlertState.OPEN, now, pk, simulated)
        for pk, station, county, path, _code, _text, simulated in due))
    known = categories()
    serious = [IncidentRaised(station, county, path, code, tuple(codes), simulated)
               for _pk, station, county, path, code, text, simulated in due
               for codes in [codes_of(text)] if is_serious(codes, known)]
    return len(due), serious


def report_key(checkin_id: int, code: str) -> str:
    return f"{KEY_PREFIX}{checkin_id}:{code}"


def incident_reports_open(election: Election) -> int:
    """A report in the incidents app for each offence code of the election's incident
    check-ins that has none yet; returns how many were stored.  Each report is its own
    transaction (``report_receive``), after the watch's: a failure leaves the rest for
    the next run."""
    known = {code: category for code, category in categories().items()
             if is_offence(category)}
    if not known:
        return 0
    wanted: list[tuple[int, str]] = []
    for pk, text in (Checkin.objects.filter(election=election, kind=Kind.INCIDENT)
                     .exclude(incidents="").values_list("pk", "incidents").order_by("pk")):
        wanted += [(pk, code) for code in codes_of(text) if code in known]
    if not wanted:
        return 0
    stored = set(Report.objects.filter(election=election, client_key__startswith=KEY_PREFIX)
                 .values_list("client_key", flat=True))
    missing = [(pk, code) for pk, code in wanted if report_key(pk, code) not in stored]
    if not missing:
        return 0
    checkins = Checkin.objects.select_related("station", "reporter").in_bulk(
        {pk for pk, _code in missing})
    made = 0
    for pk, code in missing:
        checkin = checkins[pk]
        category = known[code]
        # The report's text is stored as data, in Persian like the rest of the day's.
        with translation.override("fa"):
            text = _("Incident reported on election day by station %(station)s (%(name)s): "
                     "%(category)s, code %(code)s.") % {
                "station": checkin.station.code, "name": checkin.station.name,
                "category": category.name_fa, "code": code}
            if checkin.note:
                text += "\n" + _("The station's note: %(note)s") % {"note": checkin.note}
        try:
            received = incident_services.report_receive(
                channel=CHANNELS.get(checkin.source, Channel.WEB), category=category,
                text=text, station=checkin.station, election=election,
                contact=checkin.sender,
                payload={"checkin": checkin.pk, "source": checkin.source,
                         "codes": checkin.incidents,
                         "received_at": checkin.received_at.isoformat()},
                client_key=report_key(checkin.pk, code), actor=checkin.reporter)
        except RuleError as error:
            # One report the incidents app refuses does not hold up the others (nor the
            # watch's loop); it is tried again on the next run, and logged each time.
            log.warning("incident check-in %s, code %s: no report (%s)", pk, code, error.code)
            continue
        made += int(received.created)
    return made


def reports_for_checkin(checkin_id: int) -> list[Report]:
    """The reports opened for an incident check-in (the alert's page links them)."""
    return list(Report.objects.filter(client_key__startswith=f"{KEY_PREFIX}{checkin_id}:")
                .select_related("category").order_by("pk"))
