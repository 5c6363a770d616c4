"""What people type to identify a person, checked and worded once for every app that
keeps people (candidates, training, boards, staffing): the national ID with its check
digit (``lib.nationalid``) and a mobile number; and the one masked form they are shown
in (``mask_national_id``, ``mask_mobile``, ``mask_personal`` for payloads).  Revealing
them is ``accounts.personaldata``'s audited POST."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from amanat.core.errors import Digits, RuleError
from amanat.lib.nationalid import national_id_problem, normalize_national_id

_NID_PROBLEMS = {
    "digits": _("The national ID may hold only digits."),
    "length": _("The national ID has ten digits."),
    "repeated": _("%(value)s is not a national ID that is issued."),
    "check_digit": _("%(value)s is not a valid national ID: its check digit is wrong. "
                     "Check the number on the card."),
}


def national_id_checked(text: str, *, field: str = "national_id") -> str:
    """The national ID as stored, or a RuleError saying what is wrong with it."""
    problem = national_id_problem(text or "")
    if problem is not None:
        raise RuleError(_NID_PROBLEMS[problem], code=f"national_id_{problem}", field=field,
                        value=Digits(normalize_national_id(text or "")))
    return normalize_national_id(text)


def mobile_checked(text: str, *, field: str = "mobile", required: bool = True) -> str:
    """A mobile number as 09xxxxxxxxx (from +98…, 98…, 9… or Persian digits); an empty
    one is refused, or kept empty when not ``required``."""
    # Every script's decimal digits read as the digit they are (fullwidth, Devanagari,
    # mathematical, ...), the rest (spaces, dashes, superscripts) dropped: one number has
    # one spelling, so the limits per number count it once and an SMS reaches it.
    digits = "".join(str(unicodedata.decimal(ch)) for ch in text or "" if ch.isdecimal())
    if not digits and not required:
        return ""
    if digits.startswith("98") and len(digits) == 12:
        digits = "0" + digits[2:]
    if len(digits) == 10 and digits.startswith("9"):
        digits = "0" + digits
    if not (len(digits) == 11 and digits.startswith("09")):
        raise RuleError(_("Enter a mobile number of the form 09121234567."), code="mobile",
                        field=field)
    return digits


# --- masked for display: the one form every app shows ---------------------------------------

# Keys under which a payload (an audit entry, an API answer) may carry a national ID or a
# mobile: ``staffing.assignment`` events named the person by national ID under "person".
PERSONAL_KEYS = frozenset({"national_id", "mobile", "person", "nid"})


def mask_national_id(value: str) -> str:
    """******1234: enough to tell people apart on a page, not to identify them."""
    return "******" + value[-4:] if value else ""


def mask_mobile(value: str) -> str:
    """0912****567; anything that is not a mobile number is not shown at all."""
    return value[:4] + "****" + value[-3:] if len(value) == 11 else ""


def mask_personal_value(value: Any) -> Any:
    """A national ID (ten digits) or a mobile (eleven) masked; anything else as it is
    (an id number, an already masked value, a name)."""
    if isinstance(value, list):
        return [mask_personal_value(v) for v in value]
    if not isinstance(value, str) or not (value.isascii() and value.isdigit()):
        return value
    if len(value) == 10:
        return mask_national_id(value)
    if len(value) == 11:
        return mask_mobile(value)
    return value


def mask_personal(payload: Any) -> Any:
    """A copy of ``payload`` (dicts and lists, any depth) with the national IDs and mobiles
    under :data:`PERSONAL_KEYS` masked."""
    if isinstance(payload, Mapping):
        return {k: mask_personal_value(v) if k in PERSONAL_KEYS else mask_personal(v)
                for k, v in payload.items()}
    if isinstance(payload, list):
        return [mask_personal(v) for v in payload]
    return payload
