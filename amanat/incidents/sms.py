"""Reports by SMS: ``CATEGORY COUNTY-STATION free text``, e.g. ``VB 2321-0042 …``.

One handler for both ways a message arrives: the signed JSON webhook
(``incidents.api.sms_webhook``) and Kannel's get-url (``core.sms``, where this is the
fallback handler: a message whose code no other app claims is a report).  The gateway's
message id is the report's client key, so a message delivered twice is one report.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from amanat.core.errors import RuleError
from amanat.core.sms import SmsAnswer, SmsIn
from amanat.elections.models import Election
from amanat.incidents import selectors, services
from amanat.incidents.models import Category, Channel, Report
from amanat.lib.persian import normalize
from amanat.stations.models import Station


def thanks(reference: str) -> str:
    with translation.override("fa"):
        return gettext("Your report was recorded as number %(reference)s. Thank you.") % {
            "reference": reference}


def parse(text: str, election: Election | None) -> tuple[Category, Station, str]:
    # The text is stored as sent; only the two codes are normalised (Persian digits…).
    parts = text.strip().split(None, 2)
    if len(parts) < 3 or not parts[2].strip():
        raise RuleError(_("expected: CATEGORY COUNTY-STATION text, e.g. VB 2321-0042 what "
                          "happened"), code="format")
    code, station_code, body = normalize(parts[0]), normalize(parts[1]), parts[2]
    category = selectors.category_by_sms_code(code)
    if category is None:
        raise RuleError(_("unknown category code “%(category)s”; e.g. VB 2321-0042 what "
                          "happened"), code="unknown_category", category=code)
    station = selectors.find_station(election, station_code)
    if station is None:
        raise RuleError(_("unknown polling station “%(station)s”; write the county code and "
                          "the station code with a hyphen, e.g. 2321-0042"),
                        code="unknown_station", station=station_code)
    return category, station, body


def known_reference(message_id: str) -> str | None:
    found: str | None = Report.objects.filter(
        channel=Channel.SMS, client_key=message_id).values_list("reference", flat=True).first()
    return found


def receive(message: SmsIn, *, payload: dict[str, object] | None = None
            ) -> tuple[str, bool]:
    """Store the report ``message`` carries: (its reference, whether it is new).  A
    message id stored already returns its report.  Raises ``RuleError`` (nothing stored)
    when the message cannot be understood."""
    known = known_reference(message.message_id)
    if known:
        return known, False
    election = Election.objects.current()
    category, station, body = parse(message.text, election)
    received = services.report_receive(
        channel=Channel.SMS, category=category, text=body, station=station,
        election=election, contact=message.sender[:200],
        payload=payload if payload is not None else {
            "message_id": message.message_id, "sender": message.sender,
            "receiver": message.receiver, "text": message.text},
        client_key=message.message_id,
    )
    return received.report.reference, received.created


def handle(message: SmsIn) -> SmsAnswer:
    """``core.sms``'s handler: the report stored, or what was wrong, in Persian."""
    try:
        reference, _created = receive(message)
    except RuleError as problem:
        return SmsAnswer(accepted=False, reply=problem.render("fa"), error=problem.code)
    return SmsAnswer(accepted=True, reply=thanks(reference), reference=reference)
