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
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from pydantic_core import to_jsonable_python

from amanat.core import groupcommit, sql
from amanat.core.api_errors import error_response
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


@dataclass(frozen=True)
class KeyProblem:
    """The error of a missing, malformed or reused key (shape of stations' FieldError)."""

    field: str
    message_en: str
    message_fa: str


MISSING = KeyProblem(
    HEADER,
    "this request needs an Idempotency-Key header (a new random value, e.g. a UUID, "
    "for each new request; the same value when retrying it)",
    "این درخواست سرآیند Idempotency-Key لازم دارد (برای هر درخواست تازه یک مقدار تصادفی "
    "تازه مانند UUID و هنگام تکرار همان درخواست همان مقدار)",
)
MALFORMED = KeyProblem(
    HEADER,
    "the Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID, say)",
    "کلید Idempotency-Key باید ۱ تا ۲۵۵ نویسه لاتین دیدنی باشد (مانند یک UUID)",
)
REUSED = KeyProblem(
    HEADER,
    "this Idempotency-Key was already used for a different request body; "
    "use a new key for a new request",
    "این کلید Idempotency-Key پیش‌تر برای درخواستی با بدنه دیگر به کار رفته است؛ "
    "برای درخواست تازه کلید تازه بسازید",
)


@dataclass(frozen=True)
class Planned:
    """``run``'s work in a form the group-commit writer can do for many requests at once.

    ``store_many(items)`` stores the ``item`` of every request of a batch in one go, in
    the caller's transaction, or raises having written nothing its savepoint would keep
    (then each request runs ``run``); ``answer`` is what ``run`` returns when it stores
    the item.  Used where the shared write transaction is the bottleneck: report intake
    (amanat.core.groupcommit.Together, docs/intake-load.md).
    """

    store_many: Callable[[list[Any]], None]
    item: Any
    answer: Outcome


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
    group_commit: bool = False,
    planned: Planned | None = None,
) -> HttpResponse:
    """Run ``run`` at most once per (user, route, key); see the module's docstring.

    ``payload`` is the request body as the endpoint read it; ``run`` does the work
    (calling a service) and returns ``(status, body)``.  Exceptions from ``run`` (Http404,
    say) propagate and nothing is stored.  ``group_commit``: reserve, run and store in
    the process's shared write transaction (``amanat.core.groupcommit``) when that is on;
    ``run`` must then only write (do the reads before calling this), and ``planned``
    lets the writer store this request together with others.
    """
    if key is None:
        if required:
            return error_response([MISSING])
        status, body = run()
        return _json(status, to_jsonable_python(body))
    if not KEY_RE.match(key):
        return error_response([MALFORMED])
    digest = request_digest(payload)
    scope = {"user": request.user, "route": f"{request.method} {request.path}"[:255], "key": key}
    # Look before taking the write lock: a retry is answered with a read only.  A record
    # is only ever stored complete (reservation and answer commit together), so what is
    # seen here can be replayed as it is.
    found = _find(request.user.pk, str(scope["route"]), key)
    expired = found is not None and found.created_at < timezone.now() - RETENTION
    if found is not None and not expired:
        return _replay(found, digest)

    def write() -> HttpResponse:
        try:
            with transaction.atomic():
                if expired:
                    IdempotencyRecord.objects.filter(
                        **scope, created_at__lt=timezone.now() - RETENTION).delete()
                return _once(scope, digest, run)
        except _Discard as failed:
            return _json(failed.status, failed.body)

    if not group_commit:
        return write()
    together = None
    if planned is not None and not expired:
        status, body = planned.answer
        record = IdempotencyRecord(**scope, request_hash=digest, status_code=status,
                                   response_body=to_jsonable_python(body))
        together = groupcommit.Together(_store_planned,
                                        (record, sql.row_values(record), planned))
    done = groupcommit.run(write, together)
    if isinstance(done, HttpResponse):
        return done
    return _json(*done)


def _store_planned(items: list[tuple[IdempotencyRecord, list[Any], Planned]]
                   ) -> list[Outcome]:
    """``groupcommit.Together.write_many`` for planned requests: their complete records
    (reservation and answer at once) in one INSERT, then each kind's ``store_many``."""
    records = [record for record, _, _ in items]
    rows = [row for _, row, _ in items]
    if sql.insert_many(records, skip_conflicts=True, rows=rows) != len(records):
        # A concurrent request took one of these keys: each request on its own replays.
        raise IntegrityError("an idempotency key is taken")
    kinds: dict[Callable[[list[Any]], None], list[Any]] = {}
    for _, _, planned in items:
        kinds.setdefault(planned.store_many, []).append(planned.item)
    for store_many, stored in kinds.items():
        store_many(stored)
    return [(record.status_code, record.response_body) for record in records]


def _once(scope: dict[str, Any], digest: str,
          run: Callable[[], Outcome]) -> HttpResponse:
    """Inside the caller's transaction: reserve the key and run, or replay on a clash."""
    record = IdempotencyRecord(**scope, request_hash=digest, status_code=0, response_body={})
    # The unique constraint decides between concurrent first uses; ON CONFLICT instead of
    # an IntegrityError in a savepoint keeps the hot path short (amanat.core.sql).
    if not sql.insert(record, skip_conflicts=True):
        # A concurrent request with this key committed first: answer as it did.
        return _replay(IdempotencyRecord.objects.get(**scope), digest)
    status, body = run()
    data = to_jsonable_python(body)
    if not 200 <= status < 300:
        raise _Discard(status, data)
    record.status_code, record.response_body = status, data
    sql.update(record, ["status_code", "response_body"])
    return _json(status, data)


def _find(user_id: int | None, route: str, key: str) -> IdempotencyRecord | None:
    # Every keyed write asks this first: plain SQL on the unique key (amanat.core.sql).
    return sql.fetch_first(
        IdempotencyRecord,
        "SELECT * FROM core_idempotencyrecord"
        ' WHERE user_id = %s AND route = %s AND "key" = %s',
        [user_id, route, key],
    )


def _replay(record: IdempotencyRecord, digest: str) -> HttpResponse:
    if record.request_hash != digest:
        return error_response([REUSED])
    response = _json(record.status_code, record.response_body)
    response[REPLAYED_HEADER] = "true"
    return response


def _json(status: int, data: Any) -> HttpResponse:
    return JsonResponse(data, status=status, safe=False)


def idempotency_cleanup(*, now: datetime.datetime | None = None) -> int:
    """Delete records older than 24 hours; returns how many went."""
    cutoff = (now or timezone.now()) - RETENTION
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
