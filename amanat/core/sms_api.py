"""Kannel's get-url: ``GET /api/v1/sms/kannel?key=…&id=%I&from=%p&to=%P&text=%b&coding=%c
&charset=%C&time=%t`` (deploy/kannel/kannel.conf.template, docs/sms.md).

No user and no cookie: the API's middleware chain has no session, so a link on another
site cannot make a browser act here (the reason GETs are otherwise read-only).  The
caller proves it is the gateway twice: the shared secret ``AMANAT_KANNEL_SECRET`` in
the URL (Kannel's get-url cannot add a header) and its address in
``AMANAT_KANNEL_ALLOW`` (``core.clientaddr``, so behind a trusted proxy the proxy's
header counts).  Anyone else gets 401 and nothing is stored.

The answer is for the gateway, not the sender (the sms-service has ``max-messages = 0``):
the reply goes back through sendsms (``core.sms``).  A failure answers 5xx, and smsbox
retries the same message id later.
"""

from __future__ import annotations

import hmac
import logging
import urllib.parse
from functools import lru_cache
from ipaddress import ip_network

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from ninja import Router, Schema

from amanat.core import sms
from amanat.core.api_parser import clean_strings
from amanat.core.clientaddr import Network, client_ip
from amanat.core.notify import mask_phone

log = logging.getLogger("amanat.sms")

router = Router(tags=["sms"])

MAX_QUERY = 8 * 1024
# Kannel's data codings (%c): 0 GSM 7-bit, 1 8-bit binary, 2 UCS-2.
UCS2 = "2"


class KannelOut(Schema):
    ok: bool
    duplicate: bool = False
    outcome: str | None = None
    error: str | None = None


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ip_network(entry, strict=False) for entry in entries)


def gateway_allowed(request: HttpRequest) -> bool:
    address = client_ip(request)
    allowed = _networks(tuple(getattr(settings, "AMANAT_KANNEL_ALLOW", ())))
    return address is not None and any(address in network for network in allowed)


def _secret_ok(given: str) -> bool:
    secret = getattr(settings, "AMANAT_KANNEL_SECRET", "")
    return bool(secret) and hmac.compare_digest(given.encode(), secret.encode())


def _params(request: HttpRequest) -> dict[str, bytes]:
    """The query's values as bytes: the text's encoding depends on its coding, so it is
    decoded here, not by Django (which assumes UTF-8)."""
    query = str(request.META.get("QUERY_STRING", ""))[:MAX_QUERY]
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True, encoding="latin-1")
    return {name: value.encode("latin-1") for name, value in pairs}


def decode_text(raw: bytes, coding: str, charset: str) -> str:
    """The message text: UCS-2 (UTF-16BE) when the gateway did not recode it, otherwise
    the charset it names (UTF-8 with smsbox's ``mo-recode``), never an exception."""
    if coding == UCS2 or charset.upper() in ("UTF-16BE", "UCS-2", "UTF-16"):
        return raw.decode("utf-16-be", "replace")
    return raw.decode("utf-8", "replace")


def _answer(status: int, **fields: object) -> JsonResponse:
    response = JsonResponse(KannelOut(**fields).dict(), status=status)  # type: ignore[arg-type]
    response["Cache-Control"] = "private, no-store"
    return response


@router.get(
    "/kannel", auth=None, url_name="sms_kannel",
    response={200: KannelOut, 401: KannelOut, 422: KannelOut},
    openapi_extra={"parameters": [
        {"in": "query", "name": name, "required": name in ("key", "id", "from"),
         "description": description, "schema": {"type": "string"}}
        for name, description in (
            ("key", "the shared secret (AMANAT_KANNEL_SECRET)"),
            ("id", "Kannel's message id (%I): a retry repeats it"),
            ("from", "the sender's number (%p)"),
            ("to", "the number the message was sent to (%P)"),
            ("text", "the message text (%b), in the coding and charset given"),
            ("coding", "the data coding (%c): 0 text, 2 UCS-2"),
            ("charset", "the text's charset (%C)"),
            ("time", "the gateway's time of the message (%t)"),
        )
    ]},
)
def kannel_receive(request: HttpRequest) -> JsonResponse:
    """One incoming SMS from Kannel's smsbox (its sms-service get-url)."""
    if not gateway_allowed(request) or not _secret_ok(
            _params(request).get("key", b"").decode("latin-1")):
        log.warning("SMS gateway call refused from %s", client_ip(request))
        return _answer(401, ok=False, error="not the gateway")
    params = _params(request)
    coding = params.get("coding", b"").decode("latin-1")
    charset = params.get("charset", b"").decode("latin-1")
    fields = {
        "id": params.get("id", b"").decode("utf-8", "replace").strip(),
        "from": params.get("from", b"").decode("utf-8", "replace").strip(),
        "to": params.get("to", b"").decode("utf-8", "replace").strip(),
        "text": decode_text(params.get("text", b""), coding, charset),
        "time": params.get("time", b"").decode("utf-8", "replace").strip(),
    }
    # The same cleaning as every other interface's text (bidi and invisible characters).
    cleaned: dict[str, str] = clean_strings(fields)
    if not cleaned["id"] or len(cleaned["id"]) > 100 or not cleaned["from"]:
        return _answer(422, ok=False, error="id and from are required")
    message = sms.SmsIn(message_id=cleaned["id"], sender=cleaned["from"][:40],
                        receiver=cleaned["to"][:40], text=cleaned["text"][:20000])
    received = sms.sms_receive(message, coding=coding, gateway_time=cleaned["time"])
    log.debug("SMS %s from %s stored", message.message_id, mask_phone(message.sender))
    return _answer(200, ok=True, duplicate=received.duplicate, outcome=received.row.outcome)
