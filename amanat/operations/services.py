"""Writes of election day: the windows, the stations' day, check-ins and what they
change.  Every write has its audit entry in the same transaction.

A check-in goes in two steps, as a report does (``incidents.services``):
``checkin_prepare`` checks it, runs the quality rules and builds the row, its flags and
its audit event without writing; ``checkin_store`` writes them in one transaction and
moves the station's day on.  The web form and the SMS handler call ``checkin_record``
(both steps); the field API's intake stores prepared check-ins with its batch.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from amanat.accounts.access import AnyUser, signed_in
from amanat.accounts.models import Profile
from amanat.audit.models import Event
from amanat.audit.services import audit_append, audit_append_many, audit_event, audit_record
from amanat.core import bulk
from amanat.core.errors import Digits, RuleError, RuleErrors
from amanat.elections.models import Election
from amanat.elections.posts import StationPost
from amanat.incidents import selectors as incident_selectors
from amanat.lib.jalali import format_jalali
from amanat.lib.persian import clean_text, to_persian_digits
from amanat.operations import quality, selectors
from amanat.operations.models import (
    PUBLISHED_STATES,
    Alert,
    AlertKind,
    AlertNote,
    AlertState,
    Checkin,
    CheckinState,
    DaySettings,
    Flag,
    FlagState,
    Kind,
    QualityRule,
    Source,
    StationDay,
    Window,
)
from amanat.stations.models import Station

# No station has more voters than this: a larger number is a typing error, refused.
MAX_VOTERS = 20_000
# Staff present at one post.
MAX_STAFF = 20
CHECKIN_AUDIT_FIELDS = ("station_id", "window_id", "kind", "source", "staff", "materials",
                        "cameras", "network", "voters", "total", "incidents", "state",
                        # Which turnout is the latest published one, and when the station
                        # opened and closed, follow from it (``operations-verify``).
                        "received_at",
                        # Whether its alerts are told as the simulation's (att16c F5).
                        "simulated")


# -- the day's settings and windows --------------------------------------------------

def day_settings(election: Election) -> DaySettings:
    found, _created = DaySettings.objects.get_or_create(election=election)
    return found


# The default day: (kind, code, label, opens, closes) in local time on election day;
# a closing time before its opening is on the next day (counting goes past midnight).
# A label that is words is stored in English and shown translated (models.WINDOW_LABELS).
DEFAULT_WINDOWS = (
    (Kind.OPENING, "O", "07:00", "06:30", "09:00"),
    (Kind.TURNOUT, "T1", "10:00", "09:45", "10:45"),
    (Kind.TURNOUT, "T2", "14:00", "13:45", "14:45"),
    (Kind.TURNOUT, "T3", "18:00", "17:45", "18:45"),
    (Kind.CLOSING, "C", "closing", "18:00", "03:00"),
    (Kind.INCIDENT, "I", "all day", "06:00", "03:00"),
)


def _local(day: datetime.date, clock: str) -> datetime.datetime:
    hour, minute = (int(part) for part in clock.split(":"))
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def windows_default_create(*, election: Election, actor: AnyUser | None) -> list[Window]:
    """The default windows on the election's day, for an election that has none."""
    if Window.objects.filter(election=election).exists():
        return list(Window.objects.filter(election=election))
    made = []
    with transaction.atomic():
        for position, (kind, code, label, opens, closes) in enumerate(DEFAULT_WINDOWS):
            opens_at = _local(election.election_day, opens)
            closes_at = _local(election.election_day, closes)
            if closes_at <= opens_at:
                closes_at += datetime.timedelta(days=1)
            made.append(Window.objects.create(
                election=election, kind=kind, code=code, label=label, opens_at=opens_at,
                closes_at=closes_at, position=position))
        audit_record(action="operations.windows.create", actor=actor,
                     object_type="elections.election", object_id=election.pk,
                     after={"windows": [w.code for w in made]})
    return made


def _clock(moment: datetime.datetime, at: datetime.datetime) -> object:
    """A window's edge as said to a reporter: the time (13:45), and the Jalali date too
    when it is not on the day of ``at``."""
    local = timezone.localtime(moment)
    clock = Digits(local.strftime("%H:%M"))
    if local.date() == timezone.localtime(at).date():
        return clock
    return Digits(f"{format_jalali(local.date(), persian_digits=False)} {clock}")


def window_for(election: Election, code: str, at: datetime.datetime) -> Window:
    """The window named ``code`` if it is open at ``at``; a RuleError that says when it
    is open otherwise."""
    window = Window.objects.filter(election=election, code=code.strip().upper()).first()
    return window_check(window, code, at)


def window_check(window: Window | None, code: str, at: datetime.datetime) -> Window:
    """``window_for``'s refusals for a window already looked up by its code (the field
    API's intake looks it up in plain SQL)."""
    if window is None:
        raise RuleError(_("unknown check-in code “%(given)s”"), code="unknown_window",
                        field="window", given=code)
    if not window.is_open(at):
        raise RuleError(
            _("the %(window)s check-in is accepted from %(opens)s to %(closes)s only"),
            code="window_closed", field="window", window=window.shown_label,
            opens=_clock(window.opens_at, at), closes=_clock(window.closes_at, at))
    return window


def day_prepare(*, election: Election) -> int:
    """A day row for every active station of the election that has none; returns how
    many were added.  Idempotent: the silent-station watch calls it on every run."""
    have = StationDay.objects.filter(election=election).values("station_id")
    stations = (Station.objects.filter(election=election).exclude(pk__in=have)
                .values_list("pk", "county_id", "county__parent_id", "unit_path",
                             "expected_voters"))
    rows = [(election.pk, pk, county, province, path, registered)
            for pk, county, province, path, registered in stations.iterator()]
    if not rows:
        return 0
    with transaction.atomic():
        count = bulk.insert_rows(
            StationDay, ["election", "station", "county", "province", "unit_path", "registered"],
            rows)
        audit_record(action="operations.day.prepare", actor=None,
                     object_type="elections.election", object_id=election.pk,
                     after={"stations": count})
    return count


# -- check-ins -----------------------------------------------------------------------

@dataclass(frozen=True)
class Values:
    """What a check-in says; which parts are required depends on its kind."""

    staff: Mapping[str, int] = field(default_factory=dict)
    materials: bool | None = None
    cameras: bool | None = None
    network: bool | None = None
    voters: int | None = None
    total: int | None = None
    incidents: str = ""
    note: str = ""


@dataclass
class PreparedCheckin:
    checkin: Checkin
    fired: list[quality.Fired]
    event: Event


@dataclass(frozen=True)
class Looked:
    """What ``checkin_prepare`` reads before it decides, when the caller has read it
    already (the field API's intake, in plain SQL): the station's day row, another
    reporter's turnout for the same window, the active rules."""

    day: StationDay | None
    other_voters: int | None
    rules: list[QualityRule]


@dataclass(frozen=True)
class Received:
    checkin: Checkin
    created: bool
    # The same reporter's held check-ins this one superseded (user review 2, F16).
    superseded: tuple[int, ...] = ()


# The parts of a check-in that belong to one kind or another, as a refusal names them.
CARRIED_LABELS = {"staff": _("staff present"), "materials": _("materials complete"),
                  "cameras": _("cameras recording"), "network": _("network up"),
                  "voters": _("voters so far"), "total": _("total votes"),
                  "incidents": _("incident codes")}
# What each kind of check-in must carry: the value and its name in a refusal.
REQUIRED = {Kind.TURNOUT: ("voters", _("voters so far")),
            Kind.CLOSING: ("total", _("total votes")),
            Kind.INCIDENT: ("incidents", _("incident codes"))}


# What each kind of check-in may carry (a note goes with any): anything else is refused,
# not stored.  A turnout figure on an incident or opening check-in would skip the turnout
# rules (they read turnout check-ins) and be published unchecked.
CARRIES: dict[str, tuple[str, ...]] = {
    Kind.OPENING: ("staff", "materials", "cameras", "network"),
    Kind.TURNOUT: ("voters",),
    Kind.CLOSING: ("total",),
    Kind.INCIDENT: ("incidents",),
}
# The published figure of each kind that carries one (the station's day shows it).
FIGURE_OF = {Kind.TURNOUT: "voters", Kind.CLOSING: "total"}
# Incident codes in a check-in: separated by spaces or commas.
_INCIDENT_SPLIT = re.compile(r"[\s,،;#]+")


def _carried(values: Values, name: str) -> bool:
    value = getattr(values, name)
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None and value != {}


def incident_codes(text: str) -> str:
    """The incident codes of a check-in, each an active incident category's SMS code (the
    one list the SMS path reads too), as their canonical codes separated by spaces; an
    unknown code is refused."""
    codes: list[str] = []
    for part in _INCIDENT_SPLIT.split(clean_text(text or "").upper()):
        if not part:
            continue
        category = incident_selectors.category_by_sms_code(part)
        if category is None:
            raise RuleError(_("unknown incident code “%(given)s”"), code="unknown_category",
                            field="incidents", given=part[:20])
        if category.sms_code not in codes:
            codes.append(category.sms_code)
    return " ".join(codes)


def values_checked(kind: str, values: Values) -> Values:
    """``values`` as a check-in of ``kind`` stores them (the incident codes in their
    canonical form), or a RuleError: what the kind does not carry, what is missing, what
    cannot be true, an unknown incident code.  Every channel passes here (the web form,
    the field API and its intake, SMS, the simulation's bulk write)."""
    _check_values(kind, values)
    if Kind(kind) == Kind.INCIDENT:
        values = dataclasses.replace(values, incidents=incident_codes(values.incidents))
    return values


def day_check(kind: str, day: StationDay | None, at: datetime.datetime) -> None:
    """A station that has closed takes no more openings or turnouts (incidents and a
    corrected closing still come)."""
    if (day is not None and day.closed_at is not None and day.closed_at <= at
            and Kind(kind) in (Kind.OPENING, Kind.TURNOUT)):
        raise RuleError(
            _("this station closed at %(closed)s: it takes no %(kind)s check-in after its "
              "closing"), code="station_closed", field="window",
            closed=_clock(day.closed_at, at), kind=Kind(kind).label)


def _check_values(kind: str, values: Values) -> None:
    """Refuse what cannot be true, is missing or does not belong to the kind;
    over-the-register figures are not refused here: a quality rule flags them."""
    errors = []
    of = Kind(kind)  # once: every check-in of every channel passes here
    for name, label in CARRIED_LABELS.items():
        if _carried(values, name) and name not in CARRIES[of]:
            errors.append(RuleError(
                _("a check-in of the kind “%(kind)s” does not carry %(name)s"),
                code="not_carried", field=name, kind=of.label, name=label))
    for post, count in values.staff.items():
        if post not in StationPost.values:
            errors.append(RuleError(_("unknown post “%(post)s”"), code="unknown_post",
                                    field="staff", post=post))
        elif not 0 <= count <= MAX_STAFF:
            errors.append(RuleError(_("staff present must be between 0 and %(limit)s"),
                                    code="out_of_range", field="staff", limit=MAX_STAFF))
    for name in ("voters", "total"):
        number = getattr(values, name)
        if number is not None and not 0 <= number <= MAX_VOTERS:
            errors.append(RuleError(_("%(number)s is not a possible number of voters"),
                                    code="out_of_range", field=name, number=number))
    needed = REQUIRED.get(of)
    if needed and getattr(values, needed[0]) in (None, ""):
        errors.append(RuleError(_("this check-in needs %(name)s"), code="required",
                                field=needed[0], name=needed[1]))
    if kind == Kind.OPENING and not values.staff:
        errors.append(RuleError(_("say which staff are present"), code="required",
                                field="staff"))
    if errors:
        raise errors[0] if len(errors) == 1 else RuleErrors(errors)




def _rule_values(station: Station, day: StationDay | None, window: Window, values: Values,
                 at: datetime.datetime, other: int | None) -> dict[str, Any]:
    def flag(value: bool | None) -> int | None:
        return None if value is None else int(value)
    return {
        "voters": values.voters, "total": values.total,
        "registered": day.registered if day else station.expected_voters,
        "previous_voters": (day.voters or 0) if day else 0,
        "previous_total": (day.total or 0) if day else 0,
        "other_voters": other,
        "staff": sum(values.staff.values()) if values.staff else None,
        "inspector": (int(values.staff.get(StationPost.INSPECTOR, 0) > 0)
                      if values.staff else None),
        "cameras": flag(values.cameras), "network": flag(values.network),
        "materials": flag(values.materials),
        "minutes": max(0, int((at - window.opens_at).total_seconds() // 60)),
    }


def _other_voters(station: Station, window: Window, reporter_key: str,
                  exclude: int | None = None) -> int | None:
    """Another reporter's turnout for the same station and window, if any."""
    # A figure its reporter superseded by resending it is nobody's figure any more.
    others = (Checkin.objects.filter(station=station, window=window, voters__isnull=False)
              .exclude(reporter_key_q(reporter_key))
              .exclude(state=CheckinState.SUPERSEDED))
    if exclude is not None:
        others = others.exclude(pk=exclude)
    return next(iter(others.values_list("voters", flat=True)[:1]), None)


def reporter_key_q(reporter_key: str) -> Q:
    """Check-ins from the same reporter (a user "u:<id>" or a phone "p:<number>")."""
    kind, _sep, value = reporter_key.partition(":")
    if kind == "u":
        return Q(reporter_id=int(value))
    return Q(sender=value)


def checkin_prepare(
    *, station: Station, window: Window, values: Values, source: str,
    actor: AnyUser | None = None, sender: str = "", person_id: int | None = None,
    client_key: str | None = None, at: datetime.datetime | None = None,
    rules: list[QualityRule] | None = None, looked: Looked | None = None,
    simulated: bool = False,
) -> PreparedCheckin:
    """Check a check-in and run the quality rules on it: no writes.  ``looked``: what
    it would read, read already by the caller.  ``simulated``: written by the
    simulation (marked on the row)."""
    if source not in Source.values:
        raise ValueError(f"unknown source {source!r}")
    at = at or timezone.now()
    values = values_checked(window.kind, values)
    user = signed_in(actor)
    if looked is not None:
        day, other, active = looked.day, looked.other_voters, looked.rules
    else:
        day = StationDay.objects.filter(election_id=station.election_id,
                                        station=station).first()
        reporter_key = f"u:{user.pk}" if user else f"p:{sender}"
        other = (_other_voters(station, window, reporter_key) if values.voters is not None
                 else None)
        active = rules if rules is not None else list(QualityRule.objects.filter(active=True))
    day_check(window.kind, day, at)
    failures: list[quality.RuleFailure] = []
    fired = quality.evaluate(active, window.kind,
                             _rule_values(station, day, window, values, at, other), failures)
    checkin = Checkin(
        election_id=station.election_id, station=station, county_id=station.county_id,
        unit_path=station.unit_path, window=window, kind=window.kind, source=source,
        client_key=client_key or None, reporter=user, sender=sender, person_id=person_id,
        received_at=at, staff=dict(values.staff), materials=values.materials,
        cameras=values.cameras, network=values.network, voters=values.voters,
        total=values.total, incidents=values.incidents.strip()[:100],
        note=values.note.strip()[:1000],
        state=CheckinState.QUARANTINED if fired else CheckinState.ACCEPTED,
        simulated=simulated,
    )
    event = audit_event(
        action="operations.checkin.receive", actor=actor,
        actor_name=None if user else source, obj=checkin,
        object_type="operations.checkin",
        after={name: getattr(checkin, name) for name in CHECKIN_AUDIT_FIELDS},
        extra={"flags": [f.rule.code for f in fired],
               **({"rule_errors": [f.as_audit() for f in failures]} if failures else {})},
    )
    # The station's own path, without fetching its unit.
    event.unit_id, event.unit_path = station.unit_id or station.county_id, station.unit_path
    return PreparedCheckin(checkin, fired, event)


def _receive_event(checkin: Checkin, fired: list[quality.Fired], *, actor: AnyUser | None,
                   actor_name: str | None, disputed: list[int]) -> Event:
    """The ``operations.checkin.receive`` event of a check-in stored in bulk (its primary
    key known), as ``checkin_prepare`` builds it for the other channels."""
    event = audit_event(
        action="operations.checkin.receive", actor=actor, actor_name=actor_name,
        object_type="operations.checkin", object_id=checkin.pk,
        after={name: getattr(checkin, name) for name in CHECKIN_AUDIT_FIELDS},
        extra={"flags": [f.rule.code for f in fired],
               **({"disputed": disputed} if disputed else {})})
    station = checkin.station
    event.unit_id, event.unit_path = station.unit_id or station.county_id, station.unit_path
    return event


def checkin_store(prepared: PreparedCheckin) -> Received:
    """Write a prepared check-in, its flags, the station's day and the audit event, in
    one transaction.  A check-in whose client key is stored already is not stored again:
    the stored one is returned."""
    checkin = prepared.checkin
    with transaction.atomic(savepoint=False):
        try:
            with transaction.atomic():
                checkin.save(force_insert=True)
        except IntegrityError:
            found = Checkin.objects.filter(client_key=checkin.client_key).first()
            if found is None:
                raise
            return Received(found, False)
        Flag.objects.bulk_create([
            Flag(checkin=checkin, rule=fired.rule, election_id=checkin.election_id,
                 station_id=checkin.station_id, county_id=checkin.county_id,
                 unit_path=checkin.unit_path, values=fired.values, created_at=checkin.received_at)
            for fired in prepared.fired])
        day = stationday_move(checkin, flags=len(prepared.fired))
        disputes_quarantine(prepared)
        # The reporter's own held figure, resent: superseded (user review 2, F16); only
        # looked for when the station had open flags before this check-in.
        superseding = (supersede_many([prepared]) if day.flagged > len(prepared.fired)
                       else [])
        prepared.event.object_id = str(checkin.pk)
        audit_append(prepared.event)
        for event in superseding:
            audit_append(event)
    return Received(checkin, True,
                     tuple((prepared.event.extra or {}).get("superseded", ())))


def checkin_record(**kwargs: Any) -> Received:
    """Check and store one check-in (the web form and the SMS handler)."""
    return checkin_store(checkin_prepare(**kwargs))


def stationday_move(checkin: Checkin, *, flags: int) -> StationDay:
    """Move the station's day on with a stored check-in: last heard from, opened or
    closed, and the published figures when the check-in is not in quarantine.  Returns
    the day as moved (locked until the transaction ends)."""
    station = checkin.station
    # Locked while it is moved on, and only the moved columns written: a check-in
    # stored meanwhile by another path (the field API's upsert, another request) is
    # not overwritten (attack F17).
    with transaction.atomic(savepoint=False):
        day, _created = StationDay.objects.select_for_update().get_or_create(
            election_id=checkin.election_id, station_id=checkin.station_id,
            defaults={"county_id": station.county_id,
                      "province_id": station.county.parent_id or station.county_id,
                      "unit_path": station.unit_path, "registered": station.expected_voters})
        _day_move(day, checkin, flags=flags)
        day.save(update_fields=DAY_MOVED_FIELDS)
    return day


def _reporter_key(checkin: Checkin) -> str:
    return f"u:{checkin.reporter_id}" if checkin.reporter_id else f"p:{checkin.sender}"


def disputes_quarantine(prepared: PreparedCheckin) -> list[int]:
    """``checkin_disputes`` for a prepared check-in just stored; its audit event (not
    appended yet) names the check-ins taken back."""
    disputed = checkin_disputes(prepared.checkin, prepared.fired)
    if disputed:
        prepared.event.extra = {**(prepared.event.extra or {}), "disputed": disputed}
    return disputed


def checkin_disputes(checkin: Checkin, fired: list[quality.Fired]) -> list[int]:
    """Two reporters disagree (a rule that read ``other_voters`` fired): the other
    reporters' published turnout for the same station and window is disputed too, and
    is taken back into quarantine with a flag of the same rule until a person decides;
    the station's published figures are worked out again.  Every channel's store calls
    this in its transaction (attack F6).  Returns the check-ins taken back, which the
    stored check-in's audit entry names."""
    disputing = [one for one in fired if "other_voters" in one.values]
    if not disputing or checkin.voters is None:
        return []
    others = list(Checkin.objects.select_for_update()
                  .filter(election_id=checkin.election_id, station_id=checkin.station_id,
                          window_id=checkin.window_id, state=CheckinState.ACCEPTED,
                          voters__isnull=False)
                  .exclude(pk=checkin.pk).exclude(reporter_key_q(_reporter_key(checkin)))
                  .order_by("pk"))
    if not others:
        return []
    for other in others:
        other.state = CheckinState.QUARANTINED
        other.save(update_fields=["state"])
    Flag.objects.bulk_create([
        Flag(checkin=other, rule=one.rule, election_id=other.election_id,
             station_id=other.station_id, county_id=other.county_id,
             unit_path=other.unit_path, created_at=checkin.received_at,
             values={**one.values, "voters": other.voters, "other_voters": checkin.voters})
        for other in others for one in disputing])
    stationday_republish(election_id=checkin.election_id, station_id=checkin.station_id)
    return [other.pk for other in others]


# -- alerts, flags and rules: what people do with them (opswatch) ----------------------

ALERT_AUDIT_FIELDS = ("kind", "level", "state", "station_id")


def _alert_snapshot(alert: Alert) -> dict[str, Any]:
    return {name: getattr(alert, name) for name in ALERT_AUDIT_FIELDS}


def _note_text(text: str) -> str:
    return clean_text(text or "")[:2000]


def alert_acknowledge(*, alert: Alert, actor: AnyUser) -> Alert:
    """Someone at the county or the province has seen the alert and handles it: it is
    not escalated any more."""
    if alert.state != AlertState.OPEN:
        raise RuleError(_("this alert is %(state)s already"), code="not_open",
                        state=alert.get_state_display())
    before = _alert_snapshot(alert)
    with transaction.atomic():
        alert.state = AlertState.ACKNOWLEDGED
        alert.acknowledged_at, alert.acknowledged_by = timezone.now(), signed_in(actor)
        alert.save(update_fields=["state", "acknowledged_at", "acknowledged_by"])
        audit_record(action="operations.alert.acknowledge", actor=actor, obj=alert,
                     object_type="operations.alert", before=before,
                     after=_alert_snapshot(alert))
    return alert


def alert_note_add(*, alert: Alert, actor: AnyUser, text: str) -> AlertNote:
    text = _note_text(text)
    if not text:
        raise RuleError(_("write the note"), code="required", field="text")
    with transaction.atomic():
        note = AlertNote.objects.create(alert=alert, author=signed_in(actor), text=text)
        audit_record(action="operations.alert.note", actor=actor, obj=alert,
                     object_type="operations.alert", after={"note": text})
    return note


def alert_close(*, alert: Alert, actor: AnyUser, note: str) -> Alert:
    """Close an alert with a note that says how it was handled (required)."""
    text = _note_text(note)
    if alert.state == AlertState.CLOSED:
        raise RuleError(_("this alert is %(state)s already"), code="not_open",
                        state=alert.get_state_display())
    if not text:
        raise RuleError(_("say how the alert was handled before closing it"),
                        code="required", field="note")
    before = _alert_snapshot(alert)
    with transaction.atomic():
        AlertNote.objects.create(alert=alert, author=signed_in(actor), text=text)
        alert.state = AlertState.CLOSED
        alert.closed_at, alert.closed_by = timezone.now(), signed_in(actor)
        alert.save(update_fields=["state", "closed_at", "closed_by"])
        audit_record(action="operations.alert.close", actor=actor, obj=alert,
                     object_type="operations.alert", before=before,
                     after={**_alert_snapshot(alert), "note": text})
    return alert


def stationday_republish(*, election_id: int, station_id: int) -> None:
    """The station's published figures and open flags from its check-ins: the latest
    turnout and closing total not in quarantine, and the count of open flags."""
    checkins = Checkin.objects.filter(election_id=election_id, station_id=station_id,
                                      state__in=PUBLISHED_STATES).order_by("-received_at",
                                                                           "-pk")
    with transaction.atomic(savepoint=False):
        # The row locked first: an open flag stored meanwhile counts (attack F17).
        list(StationDay.objects.select_for_update().filter(
            election_id=election_id, station_id=station_id).values("pk"))
        voters = (checkins.filter(kind=Kind.TURNOUT, voters__isnull=False)
                  .values_list("voters", flat=True).first())
        total = (checkins.filter(kind=Kind.CLOSING, total__isnull=False)
                 .values_list("total", flat=True).first())
        flagged = Flag.objects.filter(election_id=election_id, station_id=station_id,
                                      state=FlagState.OPEN).count()
        StationDay.objects.filter(election_id=election_id, station_id=station_id).update(
            voters=voters, total=total, flagged=flagged)


def _makers(checkin: Checkin) -> set[int]:
    """The people who made a check-in's figures: its reporter, whoever corrected them, and
    the signed-in user whose mobile sent it by SMS."""
    makers = {checkin.reporter_id} if checkin.reporter_id else set()
    makers |= set(Flag.objects.filter(checkin=checkin, state=FlagState.CORRECTED)
                  .exclude(resolved_by=None).values_list("resolved_by", flat=True))
    if checkin.sender:
        from_profiles = Profile.objects.filter(mobile=checkin.sender)
        makers |= set(from_profiles.values_list("user_id", flat=True))
    return makers


def _parties(checkin: Checkin) -> set[int]:
    """The people who reported a figure for the same station and window as ``checkin``
    (by the web or the API, or by SMS from their profile's mobile): the parties to what
    the quality rules compare it with (another reporter's turnout, the published
    figure), who may not settle it either (attack review 2 F1: the reporter of one side
    of a dispute corrected the other side to his own figure and published it)."""
    same = (Checkin.objects.filter(election_id=checkin.election_id,
                                   station_id=checkin.station_id, window_id=checkin.window_id)
            .exclude(pk=checkin.pk))
    parties = set(same.exclude(reporter=None).values_list("reporter_id", flat=True))
    senders = set(same.exclude(sender="").values_list("sender", flat=True))
    if senders:
        parties |= set(Profile.objects.filter(mobile__in=senders)
                       .values_list("user_id", flat=True))
    return parties


def _maker_check(*, flag: Flag, actor: AnyUser) -> None:
    """Maker-checker: the figures of a quarantined check-in are verified or corrected by
    someone other than who reported or corrected them (as ``candidates`` reviews are),
    nor by anyone who reported a figure for the same station and window (``_parties``);
    the refused attempt is audited."""
    user = signed_in(actor)
    if user is None:
        return
    if user.pk in _makers(flag.checkin):
        code, message = "same_person", _("You reported or corrected these figures: another "
                                         "official must verify or correct them.")
    elif user.pk in _parties(flag.checkin):
        code, message = "party", _("You reported a figure for this station in the same "
                                   "window: another official must verify or correct these "
                                   "figures.")
    else:
        return
    with transaction.atomic():
        audit_record(action="operations.flag.refused", actor=actor, obj=flag.checkin,
                     object_type="operations.checkin", extra={"code": code, "flag": flag.pk})
    raise RuleError(message, code=code)


def _rule_values_again(checkin: Checkin, corrected: Mapping[str, int]) -> dict[str, Any]:
    """The rules' values for a check-in with corrected figures, as when it came in: the
    figure published before it, another reporter's for the same window."""
    station, window = checkin.station, checkin.window
    values = Values(staff=checkin.staff, materials=checkin.materials, cameras=checkin.cameras,
                    network=checkin.network,
                    voters=corrected.get("voters", checkin.voters),
                    total=corrected.get("total", checkin.total))
    day = StationDay.objects.filter(election_id=checkin.election_id,
                                    station_id=checkin.station_id).first()
    reporter_key = (f"u:{checkin.reporter_id}" if checkin.reporter_id
                    else f"p:{checkin.sender}")
    other = (_other_voters(station, window, reporter_key, exclude=checkin.pk)
             if values.voters is not None else None)
    found = _rule_values(station, day, window, values, checkin.received_at, other)
    found["previous_voters"] = (
        Checkin.objects.filter(election_id=checkin.election_id, station_id=checkin.station_id,
                               state__in=PUBLISHED_STATES, kind=Kind.TURNOUT,
                               voters__isnull=False, received_at__lte=checkin.received_at)
        .exclude(pk=checkin.pk).order_by("-received_at", "-pk")
        .values_list("voters", flat=True).first() or 0)
    found["previous_total"] = (
        Checkin.objects.filter(election_id=checkin.election_id, station_id=checkin.station_id,
                               state__in=PUBLISHED_STATES, kind=Kind.CLOSING,
                               total__isnull=False, received_at__lte=checkin.received_at)
        .exclude(pk=checkin.pk).order_by("-received_at", "-pk")
        .values_list("total", flat=True).first() or 0)
    return found


def _flag_resolve(*, flag: Flag, actor: AnyUser, state: str, note: str,
                  corrected: Mapping[str, int] | None) -> Checkin:
    """Resolve every open flag of the flag's check-in and publish it; corrected figures
    that still break a rule keep it in quarantine with new flags (and its quality alert
    open) for another official."""
    if flag.state != FlagState.OPEN:
        raise RuleError(_("this flag is %(state)s already"), code="not_open",
                        state=flag.get_state_display())
    _maker_check(flag=flag, actor=actor)
    checkin = flag.checkin
    before = {"state": checkin.state, "voters": checkin.voters, "total": checkin.total}
    now, user = timezone.now(), signed_in(actor)
    refired: list[quality.Fired] = []
    failures: list[quality.RuleFailure] = []
    if corrected:
        refired = quality.evaluate(QualityRule.objects.filter(active=True), checkin.kind,
                                   _rule_values_again(checkin, corrected), failures)
    with transaction.atomic():
        if corrected:
            checkin.original = {**checkin.original,
                                **{name: getattr(checkin, name) for name in corrected}}
            for name, value in corrected.items():
                setattr(checkin, name, value)
        if refired:
            checkin.state = CheckinState.QUARANTINED
        else:
            checkin.state = (CheckinState.CORRECTED if state == FlagState.CORRECTED
                             else CheckinState.VERIFIED)
        checkin.save(update_fields=["state", "voters", "total", "original"])
        resolved = Flag.objects.filter(checkin=checkin, state=FlagState.OPEN).update(
            state=state, resolved_at=now, resolved_by=user, note=note)
        Flag.objects.bulk_create([
            Flag(checkin=checkin, rule=fired.rule, election_id=checkin.election_id,
                 station_id=checkin.station_id, county_id=checkin.county_id,
                 unit_path=checkin.unit_path, values=fired.values, created_at=now)
            for fired in refired])
        stationday_republish(election_id=checkin.election_id, station_id=checkin.station_id)
        # Its quality alert is handled with it (kept open, with a note, while the
        # corrected figures are still flagged).
        alerts = list(Alert.objects.filter(kind=AlertKind.QUALITY, flag__checkin=checkin)
                      .exclude(state=AlertState.CLOSED))
        if refired:
            text = str(_("The figures were corrected but still break a rule: another "
                         "official must verify them."))
        else:
            text = note or str(_("The flagged values were corrected.") if corrected
                               else _("The flagged values were verified."))
        for alert in alerts:
            AlertNote.objects.create(alert=alert, author=user, text=text)
            if refired:
                continue
            alert_before = _alert_snapshot(alert)
            alert.state, alert.closed_at, alert.closed_by = AlertState.CLOSED, now, user
            alert.save(update_fields=["state", "closed_at", "closed_by"])
            audit_record(action="operations.alert.close", actor=actor, obj=alert,
                         object_type="operations.alert", before=alert_before,
                         after={**_alert_snapshot(alert), "note": text},
                         extra={"flag": flag.pk})
        audit_record(action=f"operations.flag.{'correct' if corrected else 'verify'}",
                     actor=actor, obj=checkin, object_type="operations.checkin",
                     before=before,
                     after={"state": checkin.state, "voters": checkin.voters,
                            "total": checkin.total},
                     extra={"flags": resolved, "note": note,
                            "alerts": [alert.pk for alert in alerts],
                            "flagged_again": [fired.rule.code for fired in refired],
                            **({"rule_errors": [f.as_audit() for f in failures]}
                               if failures else {})})
    return checkin


def flag_verify(*, flag: Flag, actor: AnyUser, note: str = "") -> Checkin:
    """The flagged values were right: the check-in is published as it came.  A note
    saying who confirmed them, and how, is required."""
    text = _note_text(note)[:1000]
    if not text:
        raise RuleError(_("say who confirmed the figures, and how, before publishing them"),
                        code="required", field="note")
    return _flag_resolve(flag=flag, actor=actor, state=FlagState.VERIFIED,
                         note=text, corrected=None)


def flag_correct(*, flag: Flag, actor: AnyUser, voters: int | None = None,
                 total: int | None = None, note: str = "") -> Checkin:
    """A person gives the right figures: the check-in keeps the received ones in
    ``original`` and is published with the new, unless they still break a rule."""
    checkin = flag.checkin
    corrected = {}
    needed = {Kind.TURNOUT: "voters", Kind.CLOSING: "total"}.get(Kind(checkin.kind))
    for name, value in (("voters", voters), ("total", total)):
        if value is None:
            continue
        if not 0 <= value <= MAX_VOTERS:
            raise RuleError(_("%(number)s is not a possible number of voters"),
                            code="out_of_range", field=name, number=value)
        if getattr(checkin, name) is None and name != needed:
            raise RuleError(_("this check-in has no figure “%(name)s” to correct"),
                            code="not_there", field=name, name=name)
        corrected[name] = value
    if not corrected:
        raise RuleError(_("give the right figure"), code="required",
                        field=needed or "voters")
    return _flag_resolve(flag=flag, actor=actor, state=FlagState.CORRECTED,
                         note=_note_text(note)[:1000], corrected=corrected)


RULE_AUDIT_FIELDS = ("code", "name_fa", "name_en", "description", "kinds", "expression",
                     "active")


def _rule_check(*, code: str, kinds: list[str], expression: str, rule: QualityRule | None
                ) -> str:
    if not kinds or any(kind not in Kind.values for kind in kinds):
        raise RuleError(_("choose the kinds of check-in the rule reads"), code="required",
                        field="kinds")
    same = QualityRule.objects.filter(code=code)
    if rule is not None:
        same = same.exclude(pk=rule.pk)
    if same.exists():
        raise RuleError(_("another rule has the code “%(given)s”"), code="duplicate",
                        field="code", given=code)
    return quality.expression_check(expression)


def qualityrule_save(*, rule: QualityRule | None, actor: AnyUser, code: str, name_fa: str,
                     name_en: str, description: str, kinds: list[str], expression: str,
                     active: bool) -> QualityRule:
    """Add a rule (``rule`` None) or change one; its expression is checked first."""
    expression = _rule_check(code=code, kinds=kinds, expression=expression, rule=rule)
    before = ({name: getattr(rule, name) for name in RULE_AUDIT_FIELDS}
              if rule is not None else None)
    with transaction.atomic():
        target = rule or QualityRule(code=code)
        target.code, target.name_fa, target.name_en = code, clean_text(name_fa), name_en.strip()
        target.description = clean_text(description)
        target.kinds = ",".join(kind for kind in Kind.values if kind in kinds)
        target.expression, target.active = expression, active
        target.updated_by = signed_in(actor)
        target.save()
        audit_record(action=("operations.qualityrule.update" if rule
                             else "operations.qualityrule.create"),
                     actor=actor, obj=target, object_type="operations.qualityrule",
                     before=before,
                     after={name: getattr(target, name) for name in RULE_AUDIT_FIELDS})
    return target


def qualityrule_switch(*, rule: QualityRule, actor: AnyUser, active: bool) -> QualityRule:
    """Switch a rule on or off (off: it flags nothing from now on)."""
    if rule.active == active:
        return rule
    with transaction.atomic():
        rule.active, rule.updated_by = active, signed_in(actor)
        rule.save(update_fields=["active", "updated_by", "updated_at"])
        audit_record(action="operations.qualityrule.update", actor=actor, obj=rule,
                     object_type="operations.qualityrule", before={"active": not active},
                     after={"active": active})
    return rule
# -- the windows page and the simulation (opsdash) -----------------------------------

def windows_update(*, election: Election, times: Mapping[int, tuple[datetime.time, datetime.time]],
                   silent_after_minutes: int, escalate_after_minutes: int,
                   actor: AnyUser) -> list[Window]:
    """Set each window's opening and closing time on election day (a closing time not
    after the opening is on the next day) and the day's settings; one audit entry.

    Refused while the windows are on a simulated day (``windows_retime``): its times are
    the compressed ones, on today's date and to the second; saved as times of the
    election day they would move every window onto that date (a window compressed into
    one minute lasting 24 hours) and lose the real times the restore puts back (user
    review 2, F1)."""
    if selectors.day_before_simulation(election) is not None:
        raise RuleError(_("These times are a simulated election day: saved, they would move "
                          "every window onto the election's date and the real times could "
                          "no longer be restored. Restore the real day first, then change "
                          "the times or the settings."), code="simulated")
    windows = {w.pk: w for w in Window.objects.filter(election=election)}
    settings = day_settings(election)
    before = _day_snapshot(list(windows.values()), settings)
    with transaction.atomic():
        for pk, (opens, closes) in times.items():
            window = windows.get(pk)
            if window is None:
                continue
            opens_at = _local(election.election_day, opens.strftime("%H:%M"))
            closes_at = _local(election.election_day, closes.strftime("%H:%M"))
            if closes_at <= opens_at:
                closes_at += datetime.timedelta(days=1)
            if (window.opens_at, window.closes_at) != (opens_at, closes_at):
                window.opens_at, window.closes_at = opens_at, closes_at
                window.save(update_fields=["opens_at", "closes_at"])
        settings.silent_after_minutes = silent_after_minutes
        settings.escalate_after_minutes = escalate_after_minutes
        settings.save()
        after = _day_snapshot(list(windows.values()), settings)
        audit_record(action="operations.windows.update", actor=actor,
                     object_type="elections.election", object_id=election.pk,
                     before=before, after=after)
    return sorted(windows.values(), key=lambda w: (w.position, w.opens_at))


def day_snapshot(windows: list[Window], settings: DaySettings) -> dict[str, Any]:
    """The windows' times (local, to the minute) and the day's settings, as the windows'
    audit events hold them (``reconcile`` compares the tables with the last one)."""
    return _day_snapshot(windows, settings)


def default_windows_snapshot(election: Election) -> dict[str, list[str]]:
    """The default windows' times on the election's day, as ``windows_default_create``
    makes them, in ``day_snapshot``'s form."""
    found = {}
    for _kind, code, _label, opens, closes in DEFAULT_WINDOWS:
        opens_at = _local(election.election_day, opens)
        closes_at = _local(election.election_day, closes)
        if closes_at <= opens_at:
            closes_at += datetime.timedelta(days=1)
        found[code] = [timezone.localtime(t).strftime("%Y-%m-%d %H:%M")
                       for t in (opens_at, closes_at)]
    return found


def _day_snapshot(windows: list[Window], settings: DaySettings) -> dict[str, Any]:
    return {
        "windows": {w.code: [timezone.localtime(w.opens_at).strftime("%Y-%m-%d %H:%M"),
                             timezone.localtime(w.closes_at).strftime("%Y-%m-%d %H:%M")]
                    for w in sorted(windows, key=lambda w: w.position)},
        "silent_after_minutes": settings.silent_after_minutes,
        "escalate_after_minutes": settings.escalate_after_minutes,
    }


def windows_retime(*, election: Election, start: datetime.datetime, minutes: float,
                   silent_after_minutes: int | None = None,
                   actor: AnyUser | None) -> list[Window]:
    """Compress the election's day onto ``minutes`` from ``start`` (the simulation):
    every window keeps its place in the day, scaled from the first opening to the last
    closing.  Audited: the day's real times are in the entry's ``before``."""
    windows = list(Window.objects.filter(election=election))
    if not windows:
        windows = windows_default_create(election=election, actor=actor)
    settings = day_settings(election)
    before = _day_snapshot(windows, settings)
    first = min(w.opens_at for w in windows)
    span = (max(w.closes_at for w in windows) - first).total_seconds()
    scale = minutes * 60 / span
    with transaction.atomic():
        for window in windows:
            window.opens_at = start + datetime.timedelta(
                seconds=(window.opens_at - first).total_seconds() * scale)
            window.closes_at = start + datetime.timedelta(
                seconds=(window.closes_at - first).total_seconds() * scale)
            window.save(update_fields=["opens_at", "closes_at"])
        if silent_after_minutes is not None:
            settings.silent_after_minutes = silent_after_minutes
            settings.save()
        audit_record(action="operations.windows.retime", actor=actor,
                     actor_name=None if signed_in(actor) else "simulate-election-day",
                     object_type="elections.election", object_id=election.pk,
                     before=before, after=_day_snapshot(windows, settings),
                     extra={"minutes": minutes})
    return windows


def windows_restore(*, election: Election, actor: AnyUser | None) -> list[Window]:
    """Put back the day's real times after a simulation (``windows_retime``): the windows
    and the quiet period as they were before it.  Audited."""
    real = selectors.day_before_simulation(election)
    if not real:
        raise RuleError(_("The windows of %(election)s are not on a simulated day: there is "
                          "nothing to restore."), code="not_simulated", election=election.name)
    windows = list(Window.objects.filter(election=election))
    settings = day_settings(election)
    before = _day_snapshot(windows, settings)
    with transaction.atomic():
        for window in windows:
            times = real["windows"].get(window.code)
            if times:
                window.opens_at, window.closes_at = (_local_minute(t) for t in times)
                window.save(update_fields=["opens_at", "closes_at"])
        settings.silent_after_minutes = real["silent_after_minutes"]
        settings.escalate_after_minutes = real["escalate_after_minutes"]
        settings.save()
        audit_record(action="operations.windows.restore", actor=actor,
                     object_type="elections.election", object_id=election.pk,
                     before=before, after=_day_snapshot(windows, settings))
    return sorted(windows, key=lambda w: (w.position, w.opens_at))


def _local_minute(text: str) -> datetime.datetime:
    """A snapshot's local "YYYY-MM-DD HH:MM" as an aware moment."""
    return timezone.make_aware(datetime.datetime.strptime(text, "%Y-%m-%d %H:%M"))


@dataclass(frozen=True)
class BulkCheckin:
    """One check-in of a bulk write (the simulation): what ``checkin_prepare`` takes."""

    station: Station
    window: Window
    values: Values
    source: str
    sender: str = ""
    at: datetime.datetime | None = None
    simulated: bool = False


@dataclass
class BulkResult:
    stored: int = 0
    flagged: int = 0
    refused: dict[str, int] = field(default_factory=dict)


def checkins_bulk_record(*, election: Election, items: list[BulkCheckin],
                         rules: list[QualityRule], actor: AnyUser | None = None,
                         what: str = "simulation") -> BulkResult:
    """Check and store many check-ins at once (the simulation's thousands per second),
    as ``checkin_record`` would one by one: the same checks and quality rules, flags that
    quarantine, the stations' days moved on; in one transaction with one audit entry for
    the whole write (as every bulk write) and each check-in's receive event, appended
    together (the log holds every check-in's values: ``operations-verify``)."""
    with transaction.atomic():
        return _checkins_bulk_record(election=election, items=items, rules=rules,
                                     actor=actor, what=what)


def _checkins_bulk_record(*, election: Election, items: list[BulkCheckin],
                          rules: list[QualityRule], actor: AnyUser | None,
                          what: str) -> BulkResult:
    result = BulkResult()
    station_ids = {item.station.pk for item in items}
    # Locked until the write commits, in one order: the days are moved on from what is
    # read here, and a check-in stored meanwhile by another path must not be
    # overwritten (attack F17).
    days = {d.station_id: d for d in StationDay.objects.select_for_update()
            .filter(election=election, station_id__in=station_ids).order_by("pk")}
    window_ids = {item.window.pk for item in items}
    # Turnout already reported for the same station and window: (station, window) →
    # [(reporter key, voters)], for the two-reporters rule.
    reported: dict[tuple[int, int], list[tuple[str, int]]] = {}
    for station_id, window_id, reporter_id, sender, voters in (
            Checkin.objects.filter(election=election, station_id__in=station_ids,
                                   window_id__in=window_ids, voters__isnull=False)
            .exclude(state=CheckinState.SUPERSEDED)
            .values_list("station_id", "window_id", "reporter_id", "sender", "voters")):
        key = f"u:{reporter_id}" if reporter_id else f"p:{sender}"
        reported.setdefault((station_id, window_id), []).append((key, voters or 0))
    user = signed_in(actor)
    checkins: list[Checkin] = []
    fired_for: list[list[quality.Fired]] = []
    failures: list[quality.RuleFailure] = []
    moved: dict[int, StationDay] = {}
    for item in items:
        station, window, values = item.station, item.window, item.values
        at = item.at or timezone.now()
        day = days.get(station.pk)
        try:
            values = values_checked(window.kind, values)
            day_check(window.kind, day, at)
        except RuleError as error:
            result.refused[error.code or "refused"] = result.refused.get(error.code or "", 0) + 1
            continue
        reporter_key = f"u:{user.pk}" if user else f"p:{item.sender}"
        pair = (station.pk, window.pk)
        other = next((voters for key, voters in reported.get(pair, []) if key != reporter_key),
                     None) if values.voters is not None else None
        fired = quality.evaluate(rules, window.kind,
                                 _rule_values(station, day, window, values, at, other),
                                 failures)
        checkin = Checkin(
            election_id=station.election_id, station=station, county_id=station.county_id,
            unit_path=station.unit_path, window=window, kind=window.kind, source=item.source,
            reporter=user, sender=item.sender, received_at=at, staff=dict(values.staff),
            materials=values.materials, cameras=values.cameras, network=values.network,
            voters=values.voters, total=values.total, incidents=values.incidents.strip()[:100],
            note=values.note.strip()[:1000],
            state=CheckinState.QUARANTINED if fired else CheckinState.ACCEPTED,
            simulated=item.simulated)
        checkins.append(checkin)
        fired_for.append(fired)
        if values.voters is not None:
            reported.setdefault(pair, []).append((reporter_key, values.voters))
        if day is not None:
            _day_move(day, checkin, flags=len(fired))
            moved[day.pk] = day
    with transaction.atomic():
        Checkin.objects.bulk_create(checkins)
        Flag.objects.bulk_create([
            Flag(checkin=checkin, rule=one.rule, election_id=checkin.election_id,
                 station_id=checkin.station_id, county_id=checkin.county_id,
                 unit_path=checkin.unit_path, values=one.values, created_at=checkin.received_at)
            for checkin, fired in zip(checkins, fired_for, strict=True) for one in fired])
        bulk.update_rows(StationDay, DAY_MOVED_FIELDS,
                         [(day.pk, tuple(getattr(day, name) for name in DAY_MOVED_FIELDS))
                          for day in moved.values()])
        disputed_by = [checkin_disputes(checkin, fired) if fired else []
                       for checkin, fired in zip(checkins, fired_for, strict=True)]
        disputed = [pk for pks in disputed_by for pk in pks]
        # Each check-in's own receive event too, as every other channel writes it: the
        # log then holds every stored check-in's values, and ``operations-verify``
        # reconciles the table with it (docs/operations.md).
        audit_append_many([
            _receive_event(checkin, fired, actor=actor, actor_name=None if user else what,
                           disputed=pks)
            for checkin, fired, pks in zip(checkins, fired_for, disputed_by, strict=True)])
        # A known reporter's resend supersedes their held figure (user review 2, F16):
        # looked for only at stations with open flags.
        superseding = checkins_supersede(
            [checkin for checkin in checkins
             if (day := days.get(checkin.station_id)) is not None and day.flagged > 0])
        audit_append_many(superseding.events)
        superseded = sorted(pk for pks in superseding.by.values() for pk in pks)
        result.stored = len(checkins)
        result.flagged = sum(1 for fired in fired_for if fired)
        audit_record(action="operations.checkin.bulk", actor=actor,
                     actor_name=None if user else what,
                     object_type="elections.election", object_id=election.pk,
                     after={"stored": result.stored, "flagged": result.flagged},
                     extra={"refused": result.refused, "what": what,
                            **({"disputed": disputed} if disputed else {}),
                            **({"superseded": superseded} if superseded else {}),
                            **({"rule_errors": _failure_counts(failures)} if failures else {})})
    return result


def _failure_counts(failures: list[quality.RuleFailure]) -> dict[str, int]:
    """How many times each rule could not run in a bulk write (its audit entry)."""
    counts: dict[str, int] = {}
    for failure in failures:
        counts[failure.code] = counts.get(failure.code, 0) + 1
    return counts


DAY_MOVED_FIELDS = ("last_heard_at", "last_kind", "opened_at", "closed_at", "voters", "total",
                    "flagged", "silent_since")


def _day_move(day: StationDay, checkin: Checkin, *, flags: int) -> None:
    """Move a loaded day row on with a check-in, without saving it (``stationday_move``
    saves one; the bulk path saves many together)."""
    at = checkin.received_at
    if day.last_heard_at is None or at >= day.last_heard_at:
        day.last_heard_at, day.last_kind = at, checkin.kind
    if checkin.kind == Kind.OPENING and day.opened_at is None:
        day.opened_at = at
    if checkin.kind == Kind.CLOSING:
        day.closed_at = at
    # The published figures come from the kinds that carry them only (``FIGURE_OF``).
    figure = FIGURE_OF.get(Kind(checkin.kind))
    if checkin.state != CheckinState.QUARANTINED and figure is not None:
        value = getattr(checkin, figure)
        if value is not None:
            setattr(day, figure, value)
    day.flagged += flags
    day.silent_since = None


# -- a change of times that moves a window open now (user review 2026-12, F24) ---------

@dataclass(frozen=True)
class WindowMove:
    """A window open at ``at`` whose times a change would move; ``closes`` when it would
    no longer be open then (every check-in of it refused from the save on)."""

    window: Window
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    closes: bool


def windows_open_moved(election: Election,
                       times: Mapping[int, tuple[datetime.time, datetime.time]],
                       at: datetime.datetime) -> list[WindowMove]:
    """The windows open at ``at`` whose times ``times`` (as ``windows_update`` takes
    them) would change: what the page asks a person to confirm before saving."""
    moved = []
    for window in Window.objects.filter(election=election, opens_at__lte=at, closes_at__gt=at):
        if window.pk not in times:
            continue
        opens, closes = times[window.pk]
        opens_at = _local(election.election_day, opens.strftime("%H:%M"))
        closes_at = _local(election.election_day, closes.strftime("%H:%M"))
        if closes_at <= opens_at:
            closes_at += datetime.timedelta(days=1)
        if (window.opens_at, window.closes_at) != (opens_at, closes_at):
            moved.append(WindowMove(window, opens_at, closes_at,
                                    closes=not (opens_at <= at < closes_at)))
    return moved


# -- a reporter's resend supersedes their own held check-in (user review 2, F16) --------

# The kinds whose figure a reporter resends when it is held ("only if it was a typing
# error, send again").
SUPERSEDING_KINDS = (Kind.TURNOUT, Kind.CLOSING)
# Who writes the supersession in the audit log and on the alerts.
SUPERSEDE_ACTOR = "amanat"


@dataclass
class Superseded:
    # The superseding check-in's id → the ids of the check-ins it superseded.
    by: dict[int, list[int]] = field(default_factory=dict)
    # The audit events to append in the caller's transaction (not appended yet).
    events: list[Event] = field(default_factory=list)


def supersedes(checkin: Checkin) -> bool:
    """Whether a stored check-in may supersede its reporter's earlier held ones: a
    turnout or a closing from a reporter we know (a user, or a phone by SMS; the
    simulation's anonymous bulk rows are nobody's)."""
    return Kind(checkin.kind) in SUPERSEDING_KINDS and bool(checkin.reporter_id
                                                            or checkin.sender)


def _same_reporter_q(checkin: Checkin) -> Q:
    if checkin.reporter_id:
        return Q(reporter_id=checkin.reporter_id)
    return Q(reporter__isnull=True, sender=checkin.sender)


def _later(one: Checkin, other: Checkin) -> bool:
    return (one.received_at, one.pk) > (other.received_at, other.pk)


def checkins_supersede(checkins: list[Checkin]) -> Superseded:
    """The same reporter's earlier *quarantined* check-ins for the same station and
    window as each of ``checkins`` (stored, in the caller's transaction) are superseded:
    their open flags resolved as superseded, their quality alerts closed with a note by
    Amanat, the stations' open-flag counts worked out again.  A published figure is never
    superseded (only quarantined ones are), nor another reporter's (two reporters
    disagreeing is a real dispute, which stays with its flags).

    One SELECT for all of ``checkins`` (the field API's batch passes only those of
    stations that had open flags); the writes only when something is superseded."""
    found = Superseded()
    due = [c for c in checkins if c.pk is not None and supersedes(c)]
    if not due:
        return found
    same = Q()
    for checkin in due:
        same |= (Q(station_id=checkin.station_id, window_id=checkin.window_id,
                   received_at__lte=checkin.received_at) & _same_reporter_q(checkin))
    held = list(Checkin.objects.select_for_update()
                .filter(same, election_id__in={c.election_id for c in due},
                        state=CheckinState.QUARANTINED)
                .order_by("pk").only("pk", "election_id", "station_id", "window_id",
                                     "reporter_id", "sender", "received_at", "unit_path",
                                     "county_id"))
    pairs: list[tuple[Checkin, Checkin]] = []
    for old in held:
        later = [c for c in due if c.pk != old.pk and c.station_id == old.station_id
                 and c.window_id == old.window_id
                 and _reporter_key(c) == _reporter_key(old) and _later(c, old)]
        if later:
            pairs.append((old, max(later, key=lambda c: (c.received_at, c.pk))))
    if not pairs:
        return found
    now = timezone.now()
    old_ids = [old.pk for old, _new in pairs]
    flags: dict[int, list[int]] = {}
    for pk, checkin_id in (Flag.objects.filter(checkin_id__in=old_ids, state=FlagState.OPEN)
                           .order_by("pk").values_list("pk", "checkin_id")):
        flags.setdefault(checkin_id, []).append(pk)
    alerts: dict[int, list[tuple[int, str]]] = {}
    for pk, checkin_id, state in (Alert.objects.filter(kind=AlertKind.QUALITY,
                                                       flag__checkin_id__in=old_ids)
                                  .exclude(state=AlertState.CLOSED).order_by("pk")
                                  .values_list("pk", "flag__checkin_id", "state")):
        alerts.setdefault(checkin_id, []).append((pk, state))
    Checkin.objects.filter(pk__in=old_ids).update(state=CheckinState.SUPERSEDED)
    notes: list[AlertNote] = []
    for old, new in pairs:
        with translation.override("fa"):
            text = str(_("Superseded: the same reporter sent this figure again at %(time)s "
                         "(check-in %(number)s); that check-in is the one that counts "
                         "now.") % {
                "time": to_persian_digits(f"{timezone.localtime(new.received_at):%H:%M}"),
                "number": to_persian_digits(str(new.pk))})
        Flag.objects.filter(pk__in=flags.get(old.pk, [])).update(
            state=FlagState.SUPERSEDED, resolved_at=now, resolved_by=None, note=text[:1000])
        closed = alerts.get(old.pk, [])
        notes += [AlertNote(alert_id=pk, author=None, text=text, created_at=now)
                  for pk, _state in closed]
        found.by.setdefault(new.pk, []).append(old.pk)
        unit_id = new.station.unit_id or new.county_id
        event = audit_event(
            action="operations.checkin.supersede", actor=None, actor_name=SUPERSEDE_ACTOR,
            object_type="operations.checkin", object_id=old.pk,
            before={"state": CheckinState.QUARANTINED},
            after={"state": CheckinState.SUPERSEDED},
            extra={"by": new.pk, "flags": flags.get(old.pk, []),
                   "alerts": [pk for pk, _state in closed]})
        event.unit_id, event.unit_path = unit_id, old.unit_path
        found.events.append(event)
        for pk, state in closed:
            event = audit_event(
                action="operations.alert.close", actor=None, actor_name=SUPERSEDE_ACTOR,
                object_type="operations.alert", object_id=pk, before={"state": state},
                after={"state": AlertState.CLOSED, "note": text},
                extra={"superseded_by": new.pk})
            event.unit_id, event.unit_path = unit_id, old.unit_path
            found.events.append(event)
    if notes:
        AlertNote.objects.bulk_create(notes)
        Alert.objects.filter(pk__in=[note.alert_id for note in notes]).update(
            state=AlertState.CLOSED, closed_at=now, closed_by=None)
    open_flags = (Flag.objects.filter(election_id=OuterRef("election_id"),
                                      station_id=OuterRef("station_id"), state=FlagState.OPEN)
                  .order_by().values("station_id").annotate(n=Count("pk")).values("n"))
    StationDay.objects.filter(election_id__in={old.election_id for old, _new in pairs},
                              station_id__in={old.station_id for old, _new in pairs}
                              ).update(flagged=Coalesce(Subquery(open_flags), 0))
    return found


def supersede_many(prepared: list[PreparedCheckin]) -> list[Event]:
    """``checkins_supersede`` for prepared check-ins just stored; each superseding one's
    audit event (not appended yet) names the check-ins it superseded.  Returns the
    supersession's own audit events, for the caller to append in its transaction."""
    found = checkins_supersede([one.checkin for one in prepared])
    for one in prepared:
        superseded = found.by.get(one.checkin.pk)
        if superseded:
            one.event.extra = {**(one.event.extra or {}), "superseded": superseded}
    return found.events


# -- the tables against the log (opsverify) ---------------------------------------------

# The mismatches an ``operations.verify`` event names (the count is always complete).
VERIFY_NAMED = 100


def verify_record(*, election: Election, county_id: int | None, summary: Any,
                  named: list[dict[str, Any]], actor: AnyUser | None = None,
                  actor_name: str = "operations-verify") -> Event:
    """Record a run of ``operations-verify`` (``reconcile``): what it read, how many
    differences of each kind it found and the first ``VERIFY_NAMED`` of them.  The
    record is itself in the chain: a later run, or someone reading the log, sees when
    the tables last agreed with it."""
    with transaction.atomic():
        return audit_record(
            action="operations.verify", actor=actor,
            actor_name=None if signed_in(actor) else actor_name,
            object_type="elections.election", object_id=election.pk,
            after={"clean": summary.mismatches == 0, "mismatches": summary.mismatches},
            extra={"county": county_id, "checkins": summary.checkins,
                   "events": summary.events, "days": summary.days,
                   "by_kind": summary.by_kind, "named": named[:VERIFY_NAMED]})

