"""Report intake for field devices: ``POST /api/v1/incidents/reports`` (bearer token;
``Idempotency-Key`` required), the election-day hot path (README.md).

The same checks, row and audit event as every channel (``incidents.services.
report_prepare``); the lookups in plain SQL (``lookups``), the write under group commit
with the batch's other reports (``idempotency``, ``reports``).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema
from pydantic import ConfigDict, Field

from amanat.accounts import access, policy
from amanat.core import idempotency as core_idempotency
from amanat.core.api_errors import ErrorOut, error_body, error_response
from amanat.core.api_types import Integer, Text
from amanat.core.errors import RuleError
from amanat.geo.models import AdminUnit
from amanat.incidents import selectors, services
from amanat.incidents.models import Category, Channel, Report
from amanat.intake import idempotency, lookups, reports
from amanat.lib.limits import ID_MAX
from amanat.stations.models import Station
from amanat.stations.selectors import token_station_ids

router = Router(tags=["incidents"])


class ReportIn(Schema):
    # An unknown field is a mistake the device should hear of, not be silently dropped.
    model_config = ConfigDict(extra="forbid")

    category: Text = Field(max_length=40, description="category code or SMS code, e.g. VB")
    station_code: Text | None = Field(None, max_length=30,
                                      description="county code-station code, e.g. 2321-0042")
    unit_id: Integer | None = Field(None, ge=1, le=ID_MAX,
                                description="a unit (county or below) when no station")
    text: Text = Field(min_length=1, max_length=5000)


class ReportOut(Schema):
    reference: str
    channel: str
    received_at: datetime.datetime
    station_code: str | None
    unit_id: int
    category: str


def _report_out(report: Report) -> ReportOut:
    station = report.station
    return ReportOut(
        reference=report.reference, channel=report.channel, received_at=report.received_at,
        station_code=f"{station.county.code}-{station.code}" if station else None,
        unit_id=report.unit_id, category=report.category.code,
    )


def _category(code: str, found: Category | None) -> Category:
    if found is None:
        raise RuleError(_("unknown category “%(category)s”"), code="unknown_category",
                        field="category", category=code)
    return found


class Denied(tuple[int, Any]):
    """A station or place the caller may not report for: answered before the
    idempotency replay, whatever the key."""


def _unknown_place(payload: ReportIn) -> RuleError:
    if payload.station_code:
        return RuleError(_("no polling station “%(station)s” in your area"),
                         code="unknown_station", field="station_code",
                         station=payload.station_code)
    return RuleError(_("no place %(unit)s in your area"), code="unknown_unit",
                     field="unit_id", unit=payload.unit_id)


def _place(request: HttpRequest, payload: ReportIn, station: Station | None
           ) -> tuple[Station | None, AdminUnit]:
    """The station (``station``: looked for only where the caller may file reports, by
    ``_prepare``) or place: one out of reach gets the same answer as one that does not
    exist."""
    if payload.station_code:
        if station is None:
            raise RuleError(_("no polling station “%(station)s” in your area"),
                            code="unknown_station", field="station_code",
                            station=payload.station_code)
        return station, station.unit or station.county
    if payload.unit_id is None:
        raise RuleError(_("give station_code or unit_id"), code="required", field="unit_id")
    try:
        return None, selectors.get_report_unit_for_user(request.user, payload.unit_id)
    except Http404:
        raise RuleError(_("no place %(unit)s in your area"), code="unknown_unit",
                        field="unit_id", unit=payload.unit_id) from None


def _prepare(request: HttpRequest, payload: ReportIn, sent: dict[str, Any], key: str
             ) -> services.PreparedReport | tuple[int, Any] | Denied:
    """Look up the station, place and category, check scope and build the report: no
    writes.

    Done before ``idempotent`` opens its transaction so that the database write lock
    (SQLite) or the audit chain head (PostgreSQL) is held only for the inserts: under
    load that lock is the bottleneck.  A refusal is returned, not raised, and answered
    from inside ``idempotent`` so that a retry of a stored request still gets its replay.
    The election, the station (within the caller's reach) and the category are read in
    one SELECT (``lookups.report_lookups``).
    """
    within = (access.scope_paths(request.user, selectors.REPORT, policy.CREATE)
              if payload.station_code else None)
    election, found, category = lookups.report_lookups(
        payload.station_code or None, within=within, category=payload.category)
    try:
        station, unit = _place(request, payload, found)
    except RuleError as error:
        # Out of reach or unknown: answered before the idempotency replay (``Denied``).
        return Denied((422, error_body([error])))
    bound = token_station_ids(request)
    if bound is not None and (station is None or station.pk not in bound):
        # A field device reports only for the stations its token names; the answer is
        # the one for a station that does not exist (it tells nothing), and it comes
        # before the idempotency replay (attack review 2026-12 F12, user review F11).
        return Denied((422, error_body([_unknown_place(payload)])))
    try:
        return services.report_prepare(
            channel=Channel.API, category=_category(payload.category, category),
            text=payload.text, station=station, unit=unit, election=election,
            actor=request.user, payload=sent, client_key=f"{request.user.pk}:{key}",
        )
    except RuleError as error:
        return 422, error_body([error])


def _store(prepared: services.PreparedReport | tuple[int, Any]) -> tuple[int, Any]:
    if not isinstance(prepared, services.PreparedReport):
        return prepared
    received = services.report_store(prepared)
    return (201 if received.created else 200), _report_out(received.report)


@router.post(
    "/reports", url_name="incidents_report_create",
    response={200: ReportOut, 201: ReportOut, 400: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    # Read by the view itself (a missing key is 400), so declared here for clients.
    openapi_extra={"parameters": [core_idempotency.key_parameter(required=True)]},
)
def report_create(request: HttpRequest, payload: ReportIn) -> HttpResponse:
    """Submit a report. ``Idempotency-Key`` is required: a retry with the same key and
    body gets the original answer; the same key with another body gets 422."""
    key = request.headers.get(core_idempotency.HEADER)
    if key is None:  # an empty or blank header is a malformed key: idempotent says so
        return error_response([core_idempotency.MISSING], status=400,
                              detail=core_idempotency.MISSING_DETAIL)
    sent = payload.dict()
    prepared = _prepare(request, payload, sent, key)
    if isinstance(prepared, Denied):
        return core_idempotency.answer(*prepared)
    planned = None
    if isinstance(prepared, services.PreparedReport):
        # What _store answers when it stores the report: the writer can then store it
        # with the batch's other reports in one INSERT (idempotency.Planned).
        planned = idempotency.Planned(reports.store_many, reports.ready(prepared),
                                      (201, _report_out(prepared.report)))
    return idempotency.idempotent(request, key=key, payload=sent,
                                  run=lambda: _store(prepared), planned=planned)
