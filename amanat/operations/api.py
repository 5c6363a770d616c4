"""The election-day field API: what a check-in says and answers, and a station's day.

``POST /api/v1/operations/checkins`` is the election-day hot path and is served by the
intake (amanat/intake/checkin_api.py, amanat/intake/README.md) with the schemas here;
this module holds the schemas and the reads, written the ordinary way (ORM, scope
through ``accounts.access``, a station a token is not bound to is not found).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema
from pydantic import ConfigDict, Field

from amanat.accounts import access, policy
from amanat.core.api_errors import ErrorOut
from amanat.core.api_types import Integer, Text
from amanat.core.errors import RuleError, RuleErrors
from amanat.elections.models import Election
from amanat.incidents.selectors import find_station
from amanat.operations import services
from amanat.operations.models import Checkin, Flag, QualityRule, StationDay
from amanat.stations.models import Station
from amanat.stations.selectors import token_station_ids

router = Router(tags=["operations"])

CHECKIN = "operations.checkin"

class StaffIn(Schema):
    """Staff present by post (elections.posts.StationPost)."""

    model_config = ConfigDict(extra="forbid")

    representative: Integer | None = Field(None, ge=0, le=services.MAX_STAFF)
    member: Integer | None = Field(None, ge=0, le=services.MAX_STAFF)
    inspector: Integer | None = Field(None, ge=0, le=services.MAX_STAFF)
    police: Integer | None = Field(None, ge=0, le=services.MAX_STAFF)


class CheckinIn(Schema):
    # An unknown field is a mistake the device should hear of, not be silently dropped.
    model_config = ConfigDict(extra="forbid")

    station: Text = Field(max_length=30, description="county code-station code, e.g. 2310-0042")
    window: Text = Field(max_length=8, description="O, T1, T2, T3, C or I")
    # Each kind carries its own values only (services.CARRIES); another kind's value is
    # refused with 422 ``not_carried``.
    staff: StaffIn | None = Field(None, description="opening only: staff present by post")
    materials: bool | None = Field(None, strict=True, description="opening only")
    cameras: bool | None = Field(None, strict=True, description="opening only")
    network: bool | None = Field(None, strict=True, description="opening only")
    # The service's limit, as the staff's (user review 2, F9: the document said 10^9
    # and a client that trusted it was refused above 20,000).
    voters: Integer | None = Field(None, ge=0, le=services.MAX_VOTERS,
                                   description="turnout only: voters so far (cumulative)")
    total: Integer | None = Field(None, ge=0, le=services.MAX_VOTERS,
                                  description="closing only: the total of ballots cast")
    incidents: Text = Field("", max_length=100,
                            description="incident only: the incident categories' SMS codes "
                                        "(e.g. VB), space separated")
    note: Text = Field("", max_length=1000)


class FlagReasonOut(Schema):
    """Why a check-in was flagged, in words (user review F11): the quality rule's code,
    its name in the request's language and its description."""

    code: str
    name: str
    description: str


class CheckinOut(Schema):
    id: int
    station: str
    window: str
    kind: str
    state: str  # accepted or quarantined
    flags: list[str]  # the codes of the quality rules that flagged it
    received_at: datetime.datetime
    # The same rules, each with its name and description, in the order of ``flags``.
    flag_reasons: list[FlagReasonOut] = []


def flag_reasons(rules: list[QualityRule]) -> list[FlagReasonOut]:
    return [FlagReasonOut(code=rule.code, name=rule.name, description=rule.description)
            for rule in rules]


class CheckinBrief(Schema):
    id: int
    window: str
    kind: str
    state: str
    received_at: datetime.datetime


class StationDayOut(Schema):
    station: str
    name: str
    registered: int
    last_heard_at: datetime.datetime | None
    last_kind: str
    opened_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    # Published figures: never a quarantined value.
    voters: int | None
    total: int | None
    flagged: int
    checkins: list[CheckinBrief]


def values_of(payload: CheckinIn) -> services.Values:
    staff = ({post: count for post, count in payload.staff.dict().items() if count is not None}
             if payload.staff is not None else {})
    return services.Values(
        staff=staff, materials=payload.materials, cameras=payload.cameras,
        network=payload.network, voters=payload.voters, total=payload.total,
        incidents=payload.incidents, note=payload.note)


def station_label(station: Station) -> str:
    return f"{station.county.code}-{station.code}"


def checkin_answer(prepared: services.PreparedCheckin, station_code: str, window_code: str
                   ) -> dict[str, Any]:
    """The answer to a stored check-in (JSON-ready: it is also the idempotency record's
    body); the id is the stored row's (0 until it is stored: the intake puts it in)."""
    checkin = prepared.checkin
    rules = [fired.rule for fired in prepared.fired]
    # Every value is of its field's type already: built without validation (the field
    # API's hot path), serialised by the schema as ``CheckinOut(...)`` would be.
    return CheckinOut.model_construct(
        id=checkin.pk or 0, station=str(station_code), window=str(window_code),
        kind=str(checkin.kind), state=str(checkin.state), flags=[rule.code for rule in rules],
        received_at=checkin.received_at,
        flag_reasons=[FlagReasonOut.model_construct(
            code=rule.code, name=str(rule.name), description=rule.description)
            for rule in rules],
    ).model_dump(mode="json")


def stored_answer(checkin: Checkin) -> dict[str, Any]:
    """The answer for a check-in stored already (its key came again by another path)."""
    rules = [flag.rule for flag in Flag.objects.filter(checkin=checkin).select_related("rule")
             .order_by("pk")]
    station = Station.objects.select_related("county").get(pk=checkin.station_id)
    return CheckinOut(
        id=checkin.pk, station=station_label(station), window=checkin.window.code,
        kind=checkin.kind, state=checkin.state, flags=[rule.code for rule in rules],
        received_at=checkin.received_at, flag_reasons=flag_reasons(rules),
    ).model_dump(mode="json")


def rule_errors(error: RuleError) -> list[RuleError]:
    """Every refusal of a check-in (``core.errors.RuleErrors`` carries several)."""
    return list(error.errors) if isinstance(error, RuleErrors) else [error]


def _station_for(request: HttpRequest, code: str, action: str) -> Station:
    """The station named by ``code`` within the caller's scope for ``action`` and the
    token's stations; 404 otherwise (out of reach is not found)."""
    election = Election.objects.current()
    station = find_station(election, code, within=access.scope_paths(request.user, CHECKIN,
                                                                      action))
    bound = token_station_ids(request)
    if station is None or (bound is not None and station.pk not in bound):
        raise Http404
    return station


@router.get("/stations/{station}/day", url_name="operations_station_day",
            response={200: StationDayOut, 401: ErrorOut, 404: ErrorOut})
def station_day(request: HttpRequest, station: str) -> StationDayOut:
    """A station's day: when it was last heard from, opened and closed, and its published
    figures (quarantined values never), with its check-ins, latest first."""
    found = _station_for(request, station, policy.VIEW)
    day = StationDay.objects.filter(election_id=found.election_id, station=found).first()
    checkins = (Checkin.objects.filter(station=found).select_related("window")
                .order_by("-received_at", "-pk")[:50])
    return StationDayOut(
        station=station_label(found), name=found.name,
        registered=day.registered if day else found.expected_voters,
        last_heard_at=day.last_heard_at if day else None,
        last_kind=day.last_kind if day else "",
        opened_at=day.opened_at if day else None, closed_at=day.closed_at if day else None,
        voters=day.voters if day else None, total=day.total if day else None,
        flagged=day.flagged if day else 0,
        checkins=[CheckinBrief(id=c.pk, window=c.window.code, kind=c.kind, state=c.state,
                               received_at=c.received_at) for c in checkins],
    )
