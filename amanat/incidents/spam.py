"""Spam resistance for the public form without third-party services.

Three checks: a honeypot field that people never see (bots fill every field); a signed
token carrying the time the form was served, so that a submission faster than a person
can type (``MIN_FILL_SECONDS``) or with a token older than ``MAX_AGE`` is refused; and
the token is single-use: it carries a random nonce, and the report is stored in the same
transaction that records the nonce as spent (``UsedFormToken``, in the database so that
it holds across server processes).  A replayed token stores nothing.
"""

from __future__ import annotations

import datetime
import secrets
import time

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from amanat.incidents.models import UsedFormToken

SALT = "amanat.incidents.public-form"
MIN_FILL_SECONDS = 3
MAX_AGE = 2 * 60 * 60
HONEYPOT_FIELD = "website"


def form_token(*, issued_at: float | None = None) -> str:
    issued = issued_at if issued_at is not None else time.time()
    return signing.dumps({"t": issued, "n": secrets.token_urlsafe(16)}, salt=SALT)


def min_fill_seconds() -> float:
    return float(getattr(settings, "AMANAT_PUBLIC_FORM_MIN_SECONDS", MIN_FILL_SECONDS))


def _payload(token: str) -> dict[str, object] | str:
    """The token's data, or why it is refused ("invalid", "expired")."""
    try:
        data = signing.loads(token or "", salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        return "expired"
    except signing.BadSignature:
        return "invalid"
    if not isinstance(data, dict) or not isinstance(data.get("t"), int | float):
        return "invalid"
    if not isinstance(data.get("n"), str) or not data["n"]:
        return "invalid"  # a token from before tokens were single-use
    return data


def token_problem(token: str, *, now: float | None = None) -> str | None:
    """None when the token is good; otherwise why not ("invalid", "too_fast",
    "expired", "used")."""
    now = now if now is not None else time.time()
    data = _payload(token)
    if isinstance(data, str):
        return data
    issued = data["t"]
    assert isinstance(issued, int | float)
    if now - issued < min_fill_seconds():
        return "too_fast"
    if UsedFormToken.objects.filter(nonce=data["n"]).exists():
        return "used"
    return None


def token_spend(token: str) -> bool:
    """Record the token as spent; False when it was spent already (or is not valid).

    Call it inside the transaction that stores the report: if storing fails, the token
    is not spent; if two requests race with one token, the primary key lets one through.
    """
    data = _payload(token)
    if isinstance(data, str):
        return False
    now = timezone.now()
    try:
        with transaction.atomic():  # a savepoint: PostgreSQL's transaction survives
            UsedFormToken.objects.create(nonce=str(data["n"]), used_at=now)
    except IntegrityError:
        return False
    # A token older than MAX_AGE is refused by its signature: its row is of no use.
    UsedFormToken.objects.filter(used_at__lt=now - datetime.timedelta(seconds=MAX_AGE)
                                 ).delete()
    return True
