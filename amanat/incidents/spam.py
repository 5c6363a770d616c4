"""Spam resistance for the public form without third-party services.

Two checks: a honeypot field that people never see (bots fill every field), and a
signed token carrying the time the form was served; a submission faster than a person
can type (``MIN_FILL_SECONDS``) or with a token older than ``MAX_AGE`` is refused.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core import signing

SALT = "amanat.incidents.public-form"
MIN_FILL_SECONDS = 3
MAX_AGE = 2 * 60 * 60
HONEYPOT_FIELD = "website"


def form_token(*, issued_at: float | None = None) -> str:
    return signing.dumps({"t": issued_at if issued_at is not None else time.time()}, salt=SALT)


def min_fill_seconds() -> float:
    return float(getattr(settings, "AMANAT_PUBLIC_FORM_MIN_SECONDS", MIN_FILL_SECONDS))


def token_problem(token: str, *, now: float | None = None) -> str | None:
    """None when the token is good; otherwise why not ("invalid", "too_fast", "expired")."""
    now = now if now is not None else time.time()
    try:
        data = signing.loads(token or "", salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        return "expired"
    except signing.BadSignature:
        return "invalid"
    issued = data.get("t") if isinstance(data, dict) else None
    if not isinstance(issued, int | float):
        return "invalid"
    if now - issued < min_fill_seconds():
        return "too_fast"
    return None
