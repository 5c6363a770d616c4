"""What people type to identify a person, checked and worded once for every app that
keeps people (candidates, training, boards, staffing): the national ID with its check
digit (``lib.nationalid``) and a mobile number."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanat.core.errors import Digits, RuleError
from amanat.lib.nationalid import national_id_problem, normalize_national_id
from amanat.lib.persian import to_ascii_digits

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
    digits = "".join(ch for ch in to_ascii_digits(text or "") if ch.isdigit())
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
