"""``Idempotency-Key`` for the report API: ``core.idempotency.idempotent``'s steps, with
the look in plain SQL and the write under group commit, together with the batch's
other reports (README.md).

The key's checks, the replay and the write of a request alone are core's
(``key_problem``, ``replay``, ``store_once``): only the look and the batch are here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections
from django.http import HttpRequest, HttpResponse
from pydantic_core import to_jsonable_python

from amanat.core import idempotency
from amanat.core.api_errors import error_response
from amanat.core.idempotency import Outcome
from amanat.core.models import IdempotencyRecord
from amanat.intake import groupcommit, sql


@dataclass(frozen=True)
class Planned:
    """A request's work in a form the group-commit writer can do for many at once.

    ``store_many(items)`` stores the ``item`` of every request of a batch in one go, in
    the caller's transaction, or raises having written nothing its savepoint would keep
    (then each request runs its own work); ``answer`` is what that work returns when it
    stores the item.  The answer being known before the write, the idempotency record
    goes in complete, with the batch's others in one INSERT.
    """

    store_many: Callable[[list[Any]], None]
    item: Any
    answer: Outcome
    # When the answer's body is known only once the item is stored (a check-in's id):
    # ``complete(item)`` gives it after ``store_many`` (JSON-ready, and cheap: it runs
    # in the writer's turn), and the record goes in after the items (``answer``'s body
    # is then unused).
    complete: Callable[[Any], Any] | None = None


def idempotent(request: HttpRequest, *, key: str, payload: Any,
               run: Callable[[], Outcome], planned: Planned | None) -> HttpResponse:
    """Run ``run`` at most once per (user, route, key), in the process's shared write
    transaction; ``run`` must only write (the reads are done before calling this)."""
    problem = idempotency.key_problem(key, required=True)
    if problem is not None:
        return error_response([problem])
    digest = idempotency.request_digest(payload)
    scope = idempotency.key_scope(request, key)
    # Look before queueing for the writer: a retry is answered with a read only.  The
    # API's token check has looked already when the request came with a valid key
    # (``auth.token_authenticate``): then no second round trip.
    route = str(scope["route"])
    looked = getattr(getattr(request, "auth", None), "_amanat_replay", None)
    found = looked[2] if looked is not None and looked[:2] == (route, key) else _find(
        request.user.pk, route, key)
    expired = found is not None and idempotency.expired(found)
    if found is not None and not expired:
        return idempotency.replay(found, digest)
    together = None
    if planned is not None and not expired:
        status, body = planned.answer
        record = IdempotencyRecord(**scope, request_hash=digest, status_code=status,
                                   response_body=to_jsonable_python(body))
        together = groupcommit.Together(_store_planned,
                                        (record, sql.row_values(record), planned))
    done = groupcommit.run(
        lambda: idempotency.store_once(scope, digest, run, expired=expired), together)
    if isinstance(done, HttpResponse):
        return done
    return idempotency.answer(*done)


def _store_planned(items: list[tuple[IdempotencyRecord, list[Any], Planned]]
                   ) -> list[Outcome]:
    """``groupcommit.Together.write_many`` for planned requests: their complete records
    (reservation and answer at once) in one INSERT, then each kind's ``store_many``."""
    records = [record for record, _, _ in items]
    known = [(record, row) for record, row, planned in items if planned.complete is None]
    if known and sql.insert_many([record for record, _ in known], skip_conflicts=True,
                                 rows=[row for _, row in known]) != len(known):
        # A concurrent request took one of these keys: each request on its own replays.
        raise IntegrityError("an idempotency key is taken")
    kinds: dict[Callable[[list[Any]], None], list[Any]] = {}
    for _, _, planned in items:
        kinds.setdefault(planned.store_many, []).append(planned.item)
    for store_many, stored in kinds.items():
        store_many(stored)
    late = [(record, row, planned) for record, row, planned in items
            if planned.complete is not None]
    if late:
        # The row was worked out in the request thread; only the body goes in now.
        position = sql.row_position(IdempotencyRecord, "response_body")
        body_field = IdempotencyRecord._meta.get_field("response_body")
        database = connections[DEFAULT_DB_ALIAS]
        rows = []
        for record, row, planned in late:
            complete = planned.complete
            assert complete is not None
            record.response_body = complete(planned.item)
            row = list(row)
            row[position] = body_field.get_db_prep_save(
                record.response_body, database)
            rows.append(row)
        if sql.insert_many([record for record, _, _ in late], skip_conflicts=True,
                           rows=rows) != len(late):
            raise IntegrityError("an idempotency key is taken")  # all of it rolled back
    return [(record.status_code, record.response_body) for record in records]


def _find(user_id: int | None, route: str, key: str) -> IdempotencyRecord | None:
    return sql.fetch_first(
        IdempotencyRecord,
        "SELECT * FROM core_idempotencyrecord"
        ' WHERE user_id = %s AND route = %s AND "key" = %s',
        [user_id, route, key],
    )


def remember_looked(token: Any, route: str, key: str, record: IdempotencyRecord | None
                    ) -> None:
    """Keep on the request's token the record found under (route, key) for its user,
    or None: what ``idempotent`` would look for, read with the token (one round trip
    fewer per report)."""
    token._amanat_replay = (route, key, record)
