"""The incidents API: the SMS gateway's webhook.

``POST /api/v1/incidents/sms`` (no token: the gateway signs the raw body with
HMAC-SHA256 and the shared secret ``AMANAT_SMS_SECRET``) stores the report through
``incidents.sms`` like Kannel's get-url (``core.sms_api``) does.  Field devices' reports
(``POST /api/v1/incidents/reports``) are the election-day hot path: amanat/intake/api.py.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema
from pydantic import Field

from amanat.core.api_parser import clean_strings
from amanat.core.errors import RuleError
from amanat.core.sms import SmsIn as Message
from amanat.incidents import sms

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


def _sms_problem(status: int, problem: RuleError) -> JsonResponse:
    """A refusal: the reply the gateway relays to the sender is Persian (whoever sends an
    SMS reads Persian), ``message_en`` for the gateway's operators."""
    return _sms_answer(status, ok=False, error=problem.code, message_en=problem.render("en"),
                       reply=problem.render("fa"))


def _signature_ok(raw: bytes, header: str) -> bool:
    secret = getattr(settings, "AMANAT_SMS_SECRET", "")
    if not secret or not header:
        return False
    given = header.strip().removeprefix("sha256=")
    expected = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given.lower(), expected)




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
        return _sms_problem(401, RuleError(_("the request's signature is not valid"),
                                           code="signature"))
    data = _sms_body(raw) if len(raw) <= MAX_SMS_BODY else None
    if data is None:
        return _sms_problem(400, RuleError(_("the body must be JSON with message_id and text"),
                                           code="body"))
    message = Message(message_id=data["message_id"].strip(),
                      sender=str(data.get("sender") or "")[:200], receiver="",
                      text=data["text"])
    try:
        reference, created = sms.receive(message, payload=data)
    except RuleError as problem:
        return _sms_problem(422, problem)
    return _sms_answer(200, ok=True, reference=reference, duplicate=not created,
                       reply=sms.thanks(reference))
