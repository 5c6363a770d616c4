"""The incidents API: the SMS gateway's webhook.

``POST /api/v1/incidents/sms`` (no token: the gateway signs the raw body with
HMAC-SHA256 and the shared secret ``AMANAT_SMS_SECRET``) calls
``services.report_receive`` like the web forms.  Field devices' reports
(``POST /api/v1/incidents/reports``) are the election-day hot path: amanat/intake/api.py.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router, Schema
from pydantic import Field

from amanat.core.api_parser import clean_strings
from amanat.elections.models import Election
from amanat.incidents import selectors, services
from amanat.incidents.errors import IncidentError
from amanat.incidents.models import Category, Channel, Report
from amanat.lib.persian import normalize
from amanat.stations.models import Station

router = Router(tags=["incidents"])

SIGNATURE_HEADER = "X-Amanat-Signature"
MAX_SMS_BODY = 16 * 1024


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
