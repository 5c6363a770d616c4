"""A compressed, realistic election day for demonstrations, training and load tests
(``amanat simulate-election-day``).

The election's windows are moved onto the compressed day starting now (audited,
``operations.windows.retime``), so the dashboard fills live while the simulation runs.
Every station but the silent ones opens and reports its turnout in each window with
numbers that grow towards a plausible closing total; a few hundred stations go silent
(half never open, half stop after opening); a few report anomalies the quality rules
flag: turnout above the registered voters, turnout going down, two reporters who
disagree.  Check-ins go through the same paths as real ones: the web's service
(``services.checkin_record``), SMS through ``core.sms.sms_receive`` when the operations
SMS handler is registered, and the field API over HTTP when a URL is given.

It harms no real data (attack review 2026-12 F5): it runs on an election marked as a demo
or training one (``DaySettings.simulation_allowed``, set by load-demo) unless forced, and
then writes web check-ins only, never SMS in the staff's names nor the field API; every
check-in it writes is marked ``simulated``; its SMS are handled under the election it
simulates, not the current one; and the replies to its SMS are never sent (kept on the
``InboundSms`` row and written to the ``amanat.sms`` log, ``core.sms``).
"""

from __future__ import annotations

import datetime
import json
import random
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from amanat.core import sms
from amanat.core.errors import RuleError
from amanat.elections.models import Election
from amanat.operations import services
from amanat.operations.models import (
    DaySettings,
    Kind,
    QualityRule,
    Source,
    StationDay,
    Window,
)
from amanat.operations.services import Values
from amanat.staffing.models import Assignment
from amanat.stations.models import Station

# Share of the closing turnout reached by each turnout window, in order.
TURNOUT_SHARES = (0.25, 0.6, 0.95)
# Share of the stations showing each anomaly.
ANOMALY_SHARE = 0.002
INCIDENT_SHARE = 0.01
# Share of the web check-ins sent one by one through ``services.checkin_record`` (the
# web form's path); the others are written in bulk, a batch at a time.
SINGLE_SHARE = 0.02
BATCH = 2000
# Sent this long after its planned moment, a check-in counts as late in the summary.
LATE = datetime.timedelta(seconds=2)


def simulation_allowed(election: Election) -> bool:
    """Whether the election is a demo or training one (load-demo marks the demo's)."""
    return DaySettings.objects.filter(election=election, simulation_allowed=True).exists()


@dataclass
class Planned:
    at: datetime.datetime
    station_id: int
    window: str
    values: Values
    source: str = Source.WEB
    sender: str = ""
    anomaly: str = ""
    late: bool = False  # sent after its planned moment (the simulation behind its plan)


@dataclass
class Outcome:
    planned: int = 0
    by_source: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    anomalies: Counter[str] = field(default_factory=Counter)
    silent: int = 0
    late_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def sms_handler_registered() -> bool:
    """Whether the operations SMS handler claims the check-in codes in this build."""
    found = sms.claimant("T1")
    return found is not None and found[0] == "operations"


def sms_text(code: str, place: str, values: Values) -> str:
    """The check-in as a structured SMS in SmartElect's ``CODE#COUNTY-STATION#…`` style
    (the operations SMS handler's format, docs/sms.md): ``T1#2321-0042#350``,
    ``C#2321-0042#812``, ``I#2321-0042#VB``, ``O#2321-0042#R1#M4#I1#CAM1#NET1#MAT1``."""
    if values.voters is not None:
        return f"{code}#{place}#{values.voters}"
    if values.total is not None:
        return f"{code}#{place}#{values.total}"
    if values.incidents:
        return f"{code}#{place}#{'#'.join(values.incidents.split())}"
    posts = {"representative": "R", "member": "M", "inspector": "I", "police": "P"}
    parts = [f"{posts[post]}{count}" for post, count in values.staff.items() if post in posts]
    for name, key in (("cameras", "CAM"), ("network", "NET"), ("materials", "MAT")):
        flag = getattr(values, name)
        if flag is not None:
            parts.append(f"{key}{int(flag)}")
    return "#".join([code, place, *parts])


class Simulation:
    def __init__(self, election: Election, *, minutes: float, silent: int, seed: int,
                 url: str = "", token: str = "", api_path: str = "/api/v1/operations/checkins",
                 sms_share: float = 0.1, api_share: float = 0.05,
                 write: Callable[[str], None] = print) -> None:
        self.election = election
        self.minutes = minutes
        self.silent = silent
        self.random = random.Random(seed)
        self.seed = seed
        self.url, self.token, self.api_path = url.rstrip("/"), token, api_path
        self.sms = sms_handler_registered()
        self.sms_share = sms_share if self.sms else 0.0
        self.api_share = api_share if url else 0.0
        self.write = write
        self.outcome = Outcome()
        self.demo = simulation_allowed(election)
        if not self.demo:
            # A real register (forced): no SMS "from" its staff, no API check-ins that
            # cannot be marked; the web's, marked simulated, only.
            if self.sms_share or self.api_share:
                self.outcome.notes.append(
                    "not a demo election: SMS and field API check-ins are off (web only)")
            self.sms = False
            self.sms_share = self.api_share = 0.0
        if self.api_share and Election.objects.current() != election:
            # The field API files under the current election, not this one.
            self.outcome.notes.append("the field API is off: this is not the current election")
            self.api_share = 0.0

    # -- the plan ------------------------------------------------------------------

    def prepare(self, start: datetime.datetime) -> list[Window]:
        services.windows_default_create(election=self.election, actor=None)
        services.day_prepare(election=self.election)
        windows = services.windows_retime(election=self.election, start=start,
                                          minutes=self.minutes, silent_after_minutes=1,
                                          actor=None)
        return sorted(windows, key=lambda w: (w.opens_at, w.position))

    def plan(self, windows: list[Window]) -> list[Planned]:
        rng = self.random
        days = list(StationDay.objects.filter(election=self.election)
                    .values_list("station_id", "registered").order_by("station_id"))
        phones = self._phones() if self.sms_share else {}
        count = len(days)
        silent = set(rng.sample(range(count), min(self.silent, count)))
        never = {i for n, i in enumerate(sorted(silent)) if n % 2 == 0}
        self.outcome.silent = len(silent)

        def pick(share: float) -> set[int]:
            return set(rng.sample(range(count), int(count * share)))

        above, down, disagree = pick(ANOMALY_SHARE), pick(ANOMALY_SHARE), pick(ANOMALY_SHARE)
        incident = pick(INCIDENT_SHARE)
        opening = next((w for w in windows if w.kind == Kind.OPENING), None)
        turnouts = [w for w in windows if w.kind == Kind.TURNOUT]
        closing = next((w for w in windows if w.kind == Kind.CLOSING), None)
        incident_window = next((w for w in windows if w.kind == Kind.INCIDENT), None)
        plan: list[Planned] = []

        def at(window: Window, early: float = 0.05, late: float = 0.6) -> datetime.datetime:
            span = (window.closes_at - window.opens_at).total_seconds()
            return window.opens_at + datetime.timedelta(seconds=span * rng.uniform(early, late))

        def source(station_id: int) -> tuple[str, str]:
            roll = rng.random()
            if roll < self.sms_share:
                # A station with no staff phone to send from reports on the web instead.
                return (Source.SMS, phones[station_id]) if station_id in phones else (
                    Source.WEB, "")
            if roll < self.sms_share + self.api_share:
                return Source.API, ""
            return Source.WEB, ""

        for index, (station_id, registered) in enumerate(days):
            if index in never:
                continue
            final = rng.uniform(0.45, 0.8) * registered
            if opening is not None:
                plan.append(Planned(at(opening), station_id, opening.code, Values(
                    staff={"representative": 1, "member": rng.randint(3, 5),
                           "inspector": int(rng.random() < 0.9)},
                    materials=rng.random() < 0.98, cameras=rng.random() < 0.9,
                    network=rng.random() < 0.95), *source(station_id)))
            if index in silent:
                continue
            previous, last_at = 0, None
            for number, window in enumerate(turnouts):
                share = TURNOUT_SHARES[min(number, len(TURNOUT_SHARES) - 1)]
                voters = max(previous, int(final * share * rng.uniform(0.9, 1.1)))
                anomaly = ""
                if index in above and number == 1:
                    voters, anomaly = min(services.MAX_VOTERS, registered + rng.randint(5, 90)), \
                        "above_registered"
                elif index in down and number == 2 and previous > 20:
                    voters, anomaly = previous - rng.randint(10, 20), "going_down"
                last_at = at(window)
                plan.append(Planned(last_at, station_id, window.code, Values(voters=voters),
                                    *source(station_id), anomaly=anomaly))
                if index in disagree and number == 0:
                    plan.append(Planned(at(window, 0.6, 0.8), station_id, window.code,
                                        Values(voters=int(voters * 1.4) + 25), Source.WEB,
                                        "sim-second", anomaly="disagreeing"))
                previous = voters if not anomaly else previous
            if incident_window is not None and index in incident:
                plan.append(Planned(at(incident_window, 0.1, 0.7), station_id,
                                    incident_window.code, Values(incidents="VB"),
                                    *source(station_id)))
            if closing is not None:
                # The last hour adds little: within the closing rule's margin of the
                # last turnout.
                total = int(previous * rng.uniform(1.0, 1.05))
                # A station closes after its last turnout report (the windows overlap).
                closes = at(closing, 0.02, 0.3)
                if last_at is not None and closes <= last_at:
                    closes = last_at + datetime.timedelta(seconds=1)
                plan.append(Planned(closes, station_id, closing.code,
                                    Values(total=total), *source(station_id)))
        plan.sort(key=lambda planned: planned.at)
        self.outcome.planned = len(plan)
        return plan

    def _phones(self) -> dict[int, str]:
        found: dict[int, str] = {}
        for station_id, mobile in (Assignment.objects.filter(station__election=self.election)
                                   .exclude(person__mobile="")
                                   .values_list("station_id", "person__mobile")):
            found.setdefault(station_id, mobile)
        return found

    # -- the run -------------------------------------------------------------------

    def run(self, plan: list[Planned], windows: list[Window],
            advance: Callable[[int, str], None] = lambda n, what: None) -> Outcome:
        return self._run(plan, windows, advance)

    def _run(self, plan: list[Planned], windows: list[Window],
             advance: Callable[[int, str], None]) -> Outcome:
        by_code = {w.code: w for w in windows}
        stations = {s.pk: s for s in Station.objects.filter(election=self.election)
                    .select_related("county").only(
                        "pk", "code", "election_id", "county_id", "county__code",
                        "county__parent_id", "unit_id", "unit_path", "expected_voters")}
        rules = list(QualityRule.objects.filter(active=True))
        position = 0
        while position < len(plan):
            now = timezone.now()
            due = plan[position].at
            if due > now:
                time.sleep(min(1.0, (due - now).total_seconds()))
                continue
            batch: list[Planned] = []
            while position < len(plan) and plan[position].at <= now and len(batch) < BATCH:
                batch.append(plan[position])
                position += 1
            self.outcome.late_seconds = max(self.outcome.late_seconds,
                                            (now - batch[0].at).total_seconds())
            # Received when sent: a simulation that falls behind (a busy machine) shows
            # its check-ins arriving late, as a slow network would, not back-dated.
            for planned in batch:
                planned.late = now - planned.at > LATE
                planned.at = max(planned.at, now)
            self._send(batch, stations, by_code, rules)
            advance(len(batch), batch[-1].window)
        return self.outcome

    def _send(self, batch: list[Planned], stations: dict[int, Station],
              windows: dict[str, Window], rules: list[QualityRule]) -> None:
        # Web check-ins: a share one by one through the web's own service, the rest in
        # one bulk write per batch (the same checks and rules; one audit entry).
        web = [p for p in batch if p.source == Source.WEB]
        single: list[Planned] = []
        many: list[Planned] = []
        for planned in web:
            (single if self.random.random() < SINGLE_SHARE or planned.sender
             else many).append(planned)
        if many:
            result = services.checkins_bulk_record(
                election=self.election, rules=rules, items=[
                    services.BulkCheckin(stations[p.station_id], windows[p.window], p.values,
                                         Source.WEB, p.sender, p.at, simulated=True)
                    for p in many])
            for planned in many:
                self._count(planned, Source.WEB)
            for code, number in result.refused.items():
                self.outcome.refused[code] += number
                self.outcome.by_source[Source.WEB] -= number
        with transaction.atomic():
            for planned in single:
                self._web(planned, stations[planned.station_id], windows[planned.window], rules)
        for planned in batch:
            if planned.source == Source.SMS:
                self._sms(planned, stations[planned.station_id])
            elif planned.source == Source.API:
                self._api(planned, stations[planned.station_id])

    def _count(self, planned: Planned, source: str) -> None:
        self.outcome.by_source[source] += 1
        if planned.anomaly:
            self.outcome.anomalies[planned.anomaly] += 1

    def _web(self, planned: Planned, station: Station, window: Window,
             rules: list[QualityRule]) -> None:
        try:
            services.checkin_record(station=station, window=window, values=planned.values,
                                    source=Source.WEB, sender=planned.sender, at=planned.at,
                                    rules=rules, simulated=True)
        except RuleError as error:
            self.outcome.refused[error.code or "refused"] += 1
        else:
            self._count(planned, Source.WEB)

    def _place(self, station: Station) -> str:
        return f"{station.county.code}-{station.code}"

    def _sms(self, planned: Planned, station: Station) -> None:
        message = sms.SmsIn(
            message_id=f"sim-{self.seed}-{station.pk}-{planned.window}-{planned.at.timestamp()}",
            sender=planned.sender, receiver="simulation",
            text=sms_text(planned.window, self._place(station), planned.values),
            # At the simulated moment, as the web path: a simulation behind its plan
            # (a busy machine) would otherwise find the compressed windows closed.
            received_at=planned.at, election_id=self.election.pk, simulated=True)
        received = sms.sms_receive(message)
        if received.row.outcome == "accepted":
            self._count(planned, Source.SMS)
        else:
            # A refusal the simulation caused by falling behind (its window closed before
            # the message went) says so, not to be taken for the handler's fault.
            late = ":late" if planned.late else ""
            self.outcome.refused[f"sms:{received.row.error or received.row.outcome}{late}"] += 1

    def _api(self, planned: Planned, station: Station) -> None:
        """POST the check-in to the field API (``/api/v1/operations/checkins``, the
        intake's schema: ``station`` as county-station codes, ``window`` its code), with
        the token and an Idempotency-Key; a refusal or a failure is counted, not fatal."""
        values = planned.values
        body: dict[str, Any] = {"station": self._place(station), "window": planned.window}
        for name in ("voters", "total", "materials", "cameras", "network"):
            if getattr(values, name) is not None:
                body[name] = getattr(values, name)
        if values.staff:
            body["staff"] = dict(values.staff)
        if values.incidents:
            body["incidents"] = values.incidents
        request = urllib.request.Request(  # noqa: S310 (the operator's own server)
            self.url + self.api_path, data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}",
                     "Idempotency-Key": f"sim-{self.seed}-{station.pk}-{planned.window}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                response.read()
            self._count(planned, Source.API)
        except urllib.error.HTTPError as error:
            self.outcome.refused[f"api:{error.code}"] += 1
        except OSError as error:
            self.outcome.refused[f"api:{type(error).__name__}"] += 1


def summary(outcome: Outcome) -> dict[str, Any]:
    return {
        "planned": outcome.planned,
        "recorded": dict(outcome.by_source),
        "refused": dict(outcome.refused),
        "anomalies": dict(outcome.anomalies),
        "silent_stations": outcome.silent,
        "most_behind_seconds": round(outcome.late_seconds, 1),
    }
