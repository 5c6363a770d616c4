"""The incidents API: report intake for field devices and the SMS gateway's webhook.

``POST /api/v1/incidents/reports`` (bearer token; ``Idempotency-Key`` required) and
``POST /api/v1/incidents/sms`` (no token: the gateway signs the raw body with
HMAC-SHA256 and the shared secret ``AMANAT_SMS_SECRET``).  Both call
``services.report_receive`` like the web forms.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import Router, Schema
from pydantic import Field

from amanat.accounts import access
from amanat.core import idempotency
from amanat.core.api_errors import ErrorOut, error_body, error_response
from amanat.core.api_parser import clean_strings
from amanat.core.api_types import Integer
from amanat.elections.models import Election
from amanat.geo.models import AdminUnit
from amanat.incidents import selectors, services
from amanat.incidents.errors import IncidentError
from amanat.incidents.models import Category, Channel, Report
from amanat.lib.limits import ID_MAX
from amanat.lib.persian import normalize, to_persian_digits
from amanat.stations.models import Station

router = Router(tags=["incidents"])

SIGNATURE_HEADER = "X-Amanat-Signature"
MAX_SMS_BODY = 16 * 1024


class ReportIn(Schema):
    category: str = Field(max_length=40, description="category code or SMS code, e.g. VB")
    station_code: str | None = Field(None, max_length=30,
                                     description="county code-station code, e.g. 2321-0042")
    unit_id: Integer | None = Field(None, ge=1, le=ID_MAX,
                                description="a unit (county or below) when no station")
    text: str = Field(min_length=1, max_length=5000)


class ReportOut(Schema):
    reference: str
    channel: str
    received_at: datetime.datetime
    station_code: str | None
    unit_id: int
    category: str


def _report_out(report: Any) -> ReportOut:
    station = report.station
    return ReportOut(
        reference=report.reference, channel=report.channel, received_at=report.received_at,
        station_code=f"{station.county.code}-{station.code}" if station else None,
        unit_id=report.unit_id, category=report.category.code,
    )


def _category(code: str) -> Category:
    found = selectors.category_by_code(code)
    if found is None:
        raise IncidentError(f"unknown category {code!r}", f"دسته «{code}» شناخته نیست",
                            field="category")
    return found


def _place(request: HttpRequest, payload: ReportIn, election: Election | None
           ) -> tuple[Station | None, AdminUnit]:
    """The station or place, looked for only where the caller may file reports: one out
    of reach gets the same answer as one that does not exist."""
    if payload.station_code:
        station = selectors.find_station_for_user(request.user, election, payload.station_code)
        if station is None:
            raise IncidentError(f"no polling station {payload.station_code!r} in your area",
                                f"شعبه «{payload.station_code}» در حوزه شما یافت نشد",
                                field="station_code")
        return station, station.unit or station.county
    if payload.unit_id is None:
        raise IncidentError("give station_code or unit_id",
                            "کد شعبه (station_code) یا واحد (unit_id) را بدهید", field="unit_id")
    try:
        return None, selectors.get_report_unit_for_user(request.user, payload.unit_id)
    except Http404:
        raise IncidentError(f"no place {payload.unit_id} in your area",
                            f"واحد {to_persian_digits(str(payload.unit_id))} در حوزه شما "
                            "یافت نشد", field="unit_id") from None


def _prepare(request: HttpRequest, payload: ReportIn, sent: dict[str, Any], key: str
             ) -> services.PreparedReport | tuple[int, Any]:
    """Look up the station, place and category, check scope and build the report: no
    writes.

    Done before ``idempotent`` opens its transaction so that the database write lock
    (SQLite) or the audit chain head (PostgreSQL) is held only for the inserts: under
    load that lock is the bottleneck.  A refusal is returned, not raised, and answered
    from inside ``idempotent`` so that a retry of a stored request still gets its replay.
    """
    election = Election.objects.current()
    try:
        station, unit = _place(request, payload, election)
        bound = access.token_station_ids(request)
        if bound is not None and (station is None or station.pk not in bound):
            # A field device reports only for the stations its token names.
            return 404, {"detail": "Not Found"}
        return services.report_prepare(
            channel=Channel.API, category=_category(payload.category), text=payload.text,
            station=station, unit=unit, election=election, actor=request.user,
            payload=sent, client_key=f"{request.user.pk}:{key}",
        )
    except IncidentError as error:
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
    openapi_extra={"parameters": [idempotency.key_parameter(required=True)]},
)
def report_create(request: HttpRequest, payload: ReportIn) -> HttpResponse:
    """Submit a report. ``Idempotency-Key`` is required: a retry with the same key and
    body gets the original answer; the same key with another body gets 422."""
    key = request.headers.get(idempotency.HEADER)
    if key is None:  # an empty or blank header is a malformed key: idempotent says so
        return error_response([idempotency.MISSING], status=400,
                              detail="Idempotency-Key header required")
    sent = payload.dict()
    prepared = _prepare(request, payload, sent, key)
    planned = None
    if isinstance(prepared, services.PreparedReport):
        # What _store answers when it stores the report: the writer can then store it
        # with the batch's other reports in one INSERT (idempotency.Planned).
        planned = idempotency.Planned(services.report_store_many, prepared,
                                      (201, _report_out(prepared.report)))
    return idempotency.idempotent(
        request, key=key, payload=sent, required=True, group_commit=True,
        run=lambda: _store(prepared), planned=planned,
    )


# --- SMS ---------------------------------------------------------------------------------


class SmsOut(Schema):
    ok: bool
    reference: str | None = None
    duplicate: bool = False
    error: str | None = None
    message_en: str | None = None
    reply: str


def _sms_answer(status: int, **fields: Any) -> JsonResponse:
    return JsonResponse(SmsOut(**fields).dict(), status=status)


def _signature_ok(raw: bytes, header: str) -> bool:
    secret = getattr(settings, "AMANAT_SMS_SECRET", "")
    if not secret or not header:
        return False
    given = header.strip().removeprefix("sha256=")
    expected = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given.lower(), expected)


class SmsProblem(IncidentError):
    def __init__(self, code: str, message_en: str, message_fa: str) -> None:
        super().__init__(message_en, message_fa)
        self.code = code


FORMAT_HELP = "نمونه: VB 2321-0042 شرح رویداد"


def _parse_sms(text: str, election: Election | None) -> tuple[Category, Station, str]:
    # The text is stored as sent; only the two codes are normalised (Persian digits…).
    parts = text.strip().split(None, 2)
    if len(parts) < 3 or not parts[2].strip():
        raise SmsProblem("format", "expected: CATEGORY COUNTY-STATION text",
                         f"قالب پیامک درست نیست. {FORMAT_HELP}")
    code, station_code, body = normalize(parts[0]), normalize(parts[1]), parts[2]
    category = selectors.category_by_sms_code(code)
    if category is None:
        raise SmsProblem("unknown_category", f"unknown category code {code!r}",
                         f"کد تخلف «{code}» شناخته نیست. {FORMAT_HELP}")
    station = selectors.find_station(election, station_code)
    if station is None:
        raise SmsProblem("unknown_station", f"unknown polling station {station_code!r}",
                         f"شعبه «{station_code}» یافت نشد؛ کد شهرستان و کد شعبه را با خط تیره "
                         "بنویسید، مانند 2321-0042")
    return category, station, body


def _sms_body(raw: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    if not isinstance(data.get("message_id"), str) or not isinstance(data.get("text"), str):
        return None
    if not data["message_id"].strip() or len(data["message_id"]) > 200:
        return None
    # The same cleaning as every other interface's free text (core.api_parser).
    cleaned: dict[str, Any] = clean_strings(data)
    return cleaned


class SmsIn(Schema):
    """The gateway's body (documentation only: the view reads the raw, signed bytes)."""

    message_id: str = Field(max_length=200, description="the gateway's id; a retry repeats it")
    sender: str | None = Field(None, max_length=200)
    text: str = Field(description="CATEGORY COUNTY-STATION free text, e.g. VB 2321-0042 …")


@router.post(
    "/sms", auth=None, url_name="incidents_sms",
    response={200: SmsOut, 400: SmsOut, 401: SmsOut, 422: SmsOut},
    # The body is read raw (its HMAC is checked first), so ninja cannot see it: declare
    # the signature header and the body's shape here.
    openapi_extra={
        "parameters": [{
            "in": "header", "name": SIGNATURE_HEADER, "required": True,
            "description": "sha256=<hex HMAC-SHA256 of the raw body with the shared secret>",
            "schema": {"type": "string"},
        }],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": SmsIn.model_json_schema()}},
        },
    },
)
def sms_webhook(request: HttpRequest) -> HttpResponse:
    """The SMS gateway's webhook. Body (JSON): ``{"message_id", "sender", "text"}``; the
    text is ``CATEGORY COUNTY-STATION free text``, e.g. ``VB 2321-0042 …``. Signed:
    ``X-Amanat-Signature: sha256=<hex HMAC-SHA256 of the raw body>``."""
    raw = request.body[: MAX_SMS_BODY + 1]
    if not _signature_ok(raw, request.headers.get(SIGNATURE_HEADER, "")):
        return _sms_answer(401, ok=False, error="signature", message_en="bad signature",
                           reply="امضای درخواست نامعتبر است")
    data = _sms_body(raw) if len(raw) <= MAX_SMS_BODY else None
    if data is None:
        return _sms_answer(400, ok=False, error="body",
                           message_en="body must be JSON with message_id and text",
                           reply="بدنه درخواست باید JSON با message_id و text باشد")
    # A gateway retry: answer as the first time, before parsing anything again.
    known = Report.objects.filter(channel=Channel.SMS, client_key=data["message_id"].strip()
                                  ).values_list("reference", flat=True).first()
    if known:
        return _sms_answer(200, ok=True, reference=known, duplicate=True,
                           reply=f"گزارش شما با شماره {known} ثبت شد. سپاس.")
    election = Election.objects.current()
    try:
        category, station, body = _parse_sms(data["text"], election)
        received = services.report_receive(
            channel=Channel.SMS, category=category, text=body, station=station,
            election=election, contact=str(data.get("sender") or "")[:200], payload=data,
            client_key=data["message_id"].strip(),
        )
    except IncidentError as problem:
        return _sms_answer(422, ok=False, error=getattr(problem, "code", "invalid"),
                           message_en=problem.message_en, reply=problem.message_fa)
    reference = received.report.reference
    return _sms_answer(200, ok=True, reference=reference, duplicate=not received.created,
                       reply=f"گزارش شما با شماره {reference} ثبت شد. سپاس.")
