"""What the project's access logs may say of a request's query string.

Kannel's get-url carries the gateway's shared secret, the sender's mobile number and the
message in its query (``core/sms_api.py``: Kannel cannot add a header), and a search box
may carry a national id or a phone.  The access log of ``amanat serve`` (gunicorn, through
``core.gunicorn_conf.RedactingLogger``) writes every request line through ``redact_uri``:
the whole query of the SMS endpoints is dropped, and elsewhere the value of a parameter
that names a secret or a number, or that holds a long run of digits (a phone, a national
id), is replaced (attack review 2026-12, F7).  deploy/nginx/amanat.conf logs no
query string at all.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

from amanat.lib.persian import to_ascii_digits

REDACTED = "[redacted]"
# Every query of these paths is dropped from the logs (the gateways' webhooks).
WHOLE_QUERY_PATHS = ("/api/v1/sms/", "/api/v1/incidents/sms")
SENSITIVE_NAMES = frozenset({
    "key", "secret", "password", "passwd", "pass", "pwd", "token", "access_token",
    "api_key", "apikey", "auth", "signature", "sig", "from", "to", "text", "sender",
    "phone", "mobile", "msisdn", "national_id", "nid", "username", "user",
})
# A phone number or a national id: seven or more digits, perhaps with separators.
_LONG_DIGITS = re.compile(r"\d(?:[\s\-.]?\d){6,}")


def redact_query(path: str, query: str) -> str:
    """``query`` (raw, as in the request line) with what must not be logged replaced."""
    if not query:
        return query
    if path.startswith(WHOLE_QUERY_PATHS):
        return REDACTED
    parts = []
    for piece in query.split("&"):
        name, equals, value = piece.partition("=")
        plain_name = unquote_plus(name).strip().lower()
        plain_value = to_ascii_digits(unquote_plus(value))
        if value and (plain_name in SENSITIVE_NAMES or _LONG_DIGITS.search(plain_value)):
            value = REDACTED
        elif not equals and _LONG_DIGITS.search(to_ascii_digits(unquote_plus(name))):
            name = REDACTED
        parts.append(f"{name}{equals}{value}")
    return "&".join(parts)


def redact_uri(uri: str) -> str:
    """A request target (``/path?query``, or an absolute URL: a Referer) with its query
    redacted."""
    if not uri or "?" not in uri:
        return uri
    before, _, rest = uri.partition("?")
    query, hash_sign, fragment = rest.partition("#")
    path = re.sub(r"^[a-z][a-z0-9+.-]*://[^/]*", "", before, flags=re.I)
    return f"{before}?{redact_query(path, query)}{hash_sign}{fragment}"


def redact_request_line(line: str) -> str:
    """``GET /path?query HTTP/1.1`` with its query redacted."""
    method, space, rest = line.partition(" ")
    target, space2, protocol = rest.rpartition(" ") if " " in rest else (rest, "", "")
    return f"{method}{space}{redact_uri(target)}{space2}{protocol}"
