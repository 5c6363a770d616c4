"""``Idempotency-Key`` for the API's writes: a retried request is answered, not redone.

Field devices retry when the network drops; a retry must not create a second incident
or apply an edit twice.  An endpoint wraps its work in ``idempotent(...)``:

- no key (no header at all): the work runs (unless the endpoint requires a key: 422);
- a header that is not a key (empty, blank, over 255 or not visible ASCII): 422, as
  any malformed key, never taken for "no key";
- a new key: the work runs and, if it succeeded (2xx), its status and body are stored
  under (user, method + path, key) with a hash of the request body;
- the same key and body again: the stored answer is replayed, status and body, with the
  header ``Idempotent-Replayed: true``; the work does not run again;
- the same key with a different body: 422, nothing runs.

A failed request (4xx) is not stored: nothing changed, so running it again is safe and
the key may be used again once the request is fixed.  Two concurrent requests with the
same key run the work once: the reservation row is inserted in the same transaction as
the work, and the unique constraint makes the second insert wait for the first
transaction and then fail, after which the second request replays the first's answer.
Records live 24 hours (``idempotency_cleanup``).

This is the one way for every API create.  The report intake (amanat/intake/) runs the
same steps with its look in plain SQL and its write under group commit, built from the
public pieces here (``key_problem``, ``key_scope``, ``store_once``, ``replay``).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from pydantic_core import to_jsonable_python

from amanat.core.api_errors import error_response
from amanat.core.errors import RuleError
from amanat.core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
RETENTION = datetime.timedelta(hours=24)
# Visible ASCII, as the IETF draft's examples (UUIDs, random tokens); 255 fits the column.
KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")

# What an endpoint's work returns: an HTTP status and a body (a Schema, dict or list).
Outcome = tuple[int, Any]


def key_parameter(*, required: bool) -> dict[str, Any]:
    """The header as an OpenAPI parameter, for an operation that reads it itself (a
    missing required key is 400, as the IETF draft asks, not a validation error)."""
    return {
        "in": "header",
        "name": HEADER,
        "required": required,
        "description": "a new random value (a UUID, say) for each new request; the same"
        " value when retrying it. A retry gets the first answer again; the same key with"
        " another body is 422." + (" Missing: 400." if required else ""),
        "schema": {"type": "string", "minLength": 1, "maxLength": 255,
                   "pattern": KEY_RE.pattern},
    }


# The errors of a missing, malformed or reused key.
MISSING = RuleError(
    gettext_lazy("this request needs an Idempotency-Key header (a new random value, e.g. a UUID, "
      "for each new request; the same value when retrying it)"),
    code="key_missing", field=HEADER,
)
MISSING_DETAIL = gettext_lazy("An Idempotency-Key header is required.")
MALFORMED = RuleError(
    gettext_lazy("the Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID, say)"),
    code="key_malformed", field=HEADER,
)
REUSED = RuleError(
    gettext_lazy("this Idempotency-Key was already used for a different request body; "
      "use a new key for a new request"),
    code="key_reused", field=HEADER,
)


class _Discard(Exception):
    """Roll the reservation back: the work failed, there is nothing to replay."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status, self.body = status, body


def request_digest(payload: Any) -> str:
    """SHA-256 of the request body as canonical JSON: key order and spacing don't count."""
    text = json.dumps(
        to_jsonable_python(payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def idempotent(
    request: HttpRequest,
    *,
    key: str | None,
    payload: Any,
    run: Callable[[], Outcome],
    required: bool = False,
) -> HttpResponse:
    """Run ``run`` at most once per (user, route, key); see the module's docstring.

    ``payload`` is the request body as the endpoint read it; ``run`` does the work
    (calling a service) and returns ``(status, body)``.  Exceptions from ``run`` (Http404,
    say) propagate and nothing is stored.
    """
    problem = key_problem(key, required=required)
    if problem is not None:
        return error_response([problem])
    if not key:
        status, body = run()
        return answer(status, to_jsonable_python(body))
    digest = request_digest(payload)
    scope = key_scope(request, key)
    # Look before taking the write lock: a retry is answered with a read only.  A record
    # is only ever stored complete (reservation and answer commit together), so what is
    # seen here can be replayed as it is.
    found = _find(scope)
    if found is not None and not expired(found):
        return replay(found, digest)
    return store_once(scope, digest, run, expired=found is not None)


def _find(scope: dict[str, Any]) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(**scope).first()


def key_problem(key: str | None, *, required: bool) -> RuleError | None:
    """What is wrong with the header's value, if anything (no key is fine unless
    ``required``)."""
    if key is None:  # an empty or blank header is a malformed key, not a missing one
        return MISSING if required else None
    return None if KEY_RE.match(key) else MALFORMED


def route_of(request: HttpRequest) -> str:
    """The record's route: the request's method and path."""
    return f"{request.method} {request.path}"[:255]


def key_scope(request: HttpRequest, key: str) -> dict[str, Any]:
    """The record's unique key: the user, the route (method and path) and the key."""
    return {"user": request.user, "route": route_of(request), "key": key}


def expired(record: IdempotencyRecord) -> bool:
    return record.created_at < timezone.now() - RETENTION


def store_once(scope: dict[str, Any], digest: str, run: Callable[[], Outcome], *,
               expired: bool) -> HttpResponse:
    """Reserve the key, run and store the answer in one transaction (a savepoint of the
    caller's, if any); a key taken meanwhile is replayed.  ``expired``: an old record
    under this key is deleted first."""
    try:
        with transaction.atomic():
            if expired:
                IdempotencyRecord.objects.filter(
                    **scope, created_at__lt=timezone.now() - RETENTION).delete()
            return _once(scope, digest, run)
    except _Discard as failed:
        return answer(failed.status, failed.body)


def _once(scope: dict[str, Any], digest: str,
          run: Callable[[], Outcome]) -> HttpResponse:
    """Inside the caller's transaction: reserve the key and run, or replay on a clash."""
    record = IdempotencyRecord(**scope, request_hash=digest, status_code=0, response_body={})
    try:
        with transaction.atomic():  # the unique constraint decides between first uses
            record.save(force_insert=True)
    except IntegrityError:
        # A concurrent request with this key committed first: answer as it did.
        return replay(IdempotencyRecord.objects.get(**scope), digest)
    status, body = run()
    data = to_jsonable_python(body)
    if not 200 <= status < 300:
        raise _Discard(status, data)
    record.status_code, record.response_body = status, data
    record.save(update_fields=["status_code", "response_body"])
    return answer(status, data)


def replay(record: IdempotencyRecord, digest: str) -> HttpResponse:
    """The stored answer, marked as a replay; 422 if the body differs from the first."""
    if record.request_hash != digest:
        return error_response([REUSED])
    response = answer(record.status_code, record.response_body)
    response[REPLAYED_HEADER] = "true"
    return response


def answer(status: int, data: Any) -> HttpResponse:
    return JsonResponse(data, status=status, safe=False)


def idempotency_cleanup(*, now: datetime.datetime | None = None) -> int:
    """Delete records older than 24 hours; returns how many went."""
    cutoff = (now or timezone.now()) - RETENTION
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
