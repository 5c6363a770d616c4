"""Election-day check-ins from field devices: ``POST /api/v1/operations/checkins``
(bearer token; ``Idempotency-Key`` required), on the hot path as the report intake is
(README.md, docs/intake-load.md).

The schemas and the answer are the operations app's (``operations.api``); the checks,
quality rules, row and audit event are ``operations.services.checkin_prepare``'s, as for
every channel; the lookups are plain SQL (``lookups``) and the write goes under group
commit with the batch's other check-ins (``idempotency``, ``checkins``).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Router

from amanat.accounts import access, policy
from amanat.core import idempotency as core_idempotency
from amanat.core.api_errors import ErrorOut, error_body, error_response
from amanat.core.errors import RuleError
from amanat.intake import checkins, idempotency, lookups
from amanat.operations import services
from amanat.operations.api import (
    CHECKIN,
    CheckinIn,
    CheckinOut,
    checkin_answer,
    rule_errors,
    station_label,
    stored_answer,
    values_of,
)
from amanat.operations.models import Source
from amanat.stations.selectors import token_station_ids

router = Router(tags=["operations"])
CLIENT_KEY_MAX = 200  # operations.Checkin.client_key


def client_key(user_id: int, key: str) -> str:
    """The check-in's channel key: ``api:<user>:<Idempotency-Key>``; a long key by its
    digest (the column holds 200 characters, a key 255), and so is a key that starts
    with ``#``: spelt as another key's digest it would name that key's check-in, and be
    answered as stored without being stored (attack review 2, finding 3)."""
    found = f"api:{user_id}:{key}"
    if len(found) <= CLIENT_KEY_MAX and not key.startswith("#"):
        return found
    return f"api:{user_id}:#{hashlib.sha256(key.encode()).hexdigest()}"


Prepared = tuple[services.PreparedCheckin, Any]  # the check-in and its day row (or None)


class Denied(tuple[int, Any]):
    """A station the caller may not check in for: answered before the idempotency
    replay, so that a stored answer never reaches a caller (or a device's token) that
    may not use its station (attack review 2026-12 F12)."""


def _prepare(request: HttpRequest, payload: CheckinIn, key: str
             ) -> Prepared | tuple[int, Any] | Denied:
    """Look up the station, window, day and rules, check scope and build the check-in:
    no writes (before the shared write transaction, as the report intake).  A refusal is
    returned, not raised, and answered from inside ``idempotent`` so that a retry of a
    stored request still gets its replay; but a station out of reach (``Denied``) is
    answered first, whatever the key."""
    user_id = int(request.user.pk or 0)  # the token's user (ninja refused requests without)
    within = access.scope_paths(request.user, CHECKIN, policy.CREATE)
    # The current election with the station, in one SELECT.
    election, station, _none = lookups.report_lookups(payload.station or None, within=within)
    bound = token_station_ids(request)
    if station is None or election is None or (bound is not None
                                               and station.pk not in bound):
        # Out of the user's scope, not the token's (a field device checks in only for
        # the stations its token names), or no such station: one answer, which tells
        # nothing of which stations exist (user review 2026-12 F11).
        return Denied((422, error_body([RuleError(
            _("no polling station “%(station)s” in your area"),
            code="unknown_station", field="station", station=payload.station)])))
    try:
        now = timezone.now()
        found, day, other = lookups.window_and_day(election, station, payload.window,
                                                   user_id)
        window = services.window_check(found, payload.window, now)
        values = values_of(payload)
        if values.voters is None:
            other = None  # read with the window, used by the turnout rules only
        prepared = services.checkin_prepare(
            station=station, window=window, values=values, source=Source.API,
            actor=request.user, client_key=client_key(user_id, key), at=now,
            looked=services.Looked(day, other, lookups.quality_rules()))
    except RuleError as error:
        return 422, error_body(rule_errors(error))
    return prepared, day


def _store(prepared: Prepared | tuple[int, Any], station: str, window: str
           ) -> tuple[int, Any]:
    """The ordinary path (``checkin_store``): alone, or when the batch cannot go together."""
    if not isinstance(prepared[0], services.PreparedCheckin):
        return prepared
    received = services.checkin_store(prepared[0])
    if received.created:
        return 201, checkin_answer(prepared[0], station, window)
    return 200, stored_answer(received.checkin)


@router.post(
    "/checkins", url_name="operations_checkin_create",
    response={200: CheckinOut, 201: CheckinOut, 400: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    # Read by the view itself (a missing key is 400), so declared here for clients.
    openapi_extra={"parameters": [core_idempotency.key_parameter(required=True)]},
)
def checkin_create(request: HttpRequest, payload: CheckinIn) -> HttpResponse:
    """Check a station in (opening, turnout, incident, closing) within its window.
    ``Idempotency-Key`` is required: a retry with the same key and body gets the
    original answer; the same key with another body gets 422.  The answer says whether
    the check-in was accepted or quarantined, and which quality rules flagged it."""
    key = request.headers.get(core_idempotency.HEADER)
    if key is None:  # an empty or blank header is a malformed key: idempotent says so
        return error_response([core_idempotency.MISSING], status=400,
                              detail=core_idempotency.MISSING_DETAIL)
    sent = payload.dict()
    prepared = _prepare(request, payload, key)
    if isinstance(prepared, Denied):
        return core_idempotency.answer(*prepared)
    planned = None
    if isinstance(prepared[0], services.PreparedCheckin):
        checkin, day = prepared
        code = station_label(checkin.checkin.station)
        window = checkin.checkin.window.code
        if day is not None:
            # What _store answers when it stores the check-in, but for the id: the
            # writer stores it with the batch's others and puts the id in then.
            answer = checkin_answer(checkin, code, window)
            planned = idempotency.Planned(
                checkins.store_many, checkins.ready(checkin, day), (201, answer),
                complete=lambda item: {**answer, "id": item.prepared.checkin.pk})
    else:
        code, window = payload.station, payload.window
    return idempotency.idempotent(request, key=key, payload=sent,
                                  run=lambda: _store(prepared, code, window), planned=planned)
