"""The API's bearer-token check, with the token's user and memberships: plain SQL, as
every API request runs it first (README.md)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Model
from django.utils import timezone

from amanat.accounts import access
from amanat.accounts.models import Agency, ApiToken, Membership
from amanat.accounts.services import TOKEN_PREFIX, api_token_digest
from amanat.core.models import IdempotencyRecord
from amanat.geo.models import AdminUnit
from amanat.intake import groupcommit, idempotency, sql
from amanat.stations.selectors import remember_token_station_ids, token_stations_columns

# Writing on every call would serialise field devices on one row; once a minute is enough.
LAST_USED_EVERY = timedelta(minutes=1)


def token_authenticate(plaintext: str, *, replay: tuple[str, str] | None = None
                       ) -> ApiToken | None:
    """The usable token for this bearer string, or None; marks it used.

    The same conditions as ``ApiToken.objects.usable()``; the token's user comes loaded,
    with its active memberships handed to ``accounts.access`` for the request's scope
    checks.  ``replay`` (route, key): the request's ``Idempotency-Key``, whose stored
    record for the token's user, if any, is read with the token for the intake's
    ``idempotency.idempotent``.
    """
    if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 200:
        return None
    now = timezone.now()
    models_: tuple[type[Model], ...] = (ApiToken, User, Membership, AdminUnit)
    params: list[Any] = [api_token_digest(plaintext), sql.db_datetime(now)]
    if replay is not None:
        models_ += (IdempotencyRecord,)
        params = [*replay, *params]  # the join's come first in the text
    # The membership, its unit and the key's record are LEFT JOINed: None when missing.
    found = sql.fetch_joined(models_, _token_query(connection.vendor, replay is not None),
                             params, extra=2, optional=(2, 3, 4))
    if not found:
        return None
    token, user, *_, bindings, bound = found[0]
    if replay is not None:
        idempotency.remember_looked(token, *replay, found[0][4])
    sql.attach(token, "user", user)
    # The token's stations, read with it: station-level endpoints (the report intake)
    # ask them of every request (``stations.selectors.token_station_ids``).
    remember_token_station_ids(token, bindings, bound)
    # One row per active membership (one without, all NULL, when there is none).
    access.remember_memberships(user, _memberships(
        [(row[2], row[3]) for row in found if row[2] is not None]))
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
        # A write: with group commit on, queued with the reports' writes rather than
        # waiting on SQLite's lock beside them.
        groupcommit.run(lambda: _mark_used(token.pk, now))
        token.last_used_at = now
    return token


_TOKEN_QUERIES: dict[tuple[str, bool], str] = {}


def _token_query(vendor: str, replay: bool) -> str:
    """The token with its user, the user's active memberships with their units
    (``Membership.objects.active().filter(user=…).select_related("unit")``) and the
    token's stations' bindings, in one SELECT: one round trip for what every API
    request needs first (docs/benchmarks.md, "PostgreSQL: intake at its causes")."""
    if (vendor, replay) not in _TOKEN_QUERIES:
        _TOKEN_QUERIES[vendor, replay] = (
            f"SELECT {sql.columns(ApiToken, 't')}, {sql.columns(User, 'u')},"  # noqa: S608
            f" {sql.columns(Membership, 'm')}, {sql.columns(AdminUnit, 'g')}, "
            + (f"{sql.columns(IdempotencyRecord, 'r')}, " if replay else "")
            + token_stations_columns("t.id", vendor)
            + " FROM accounts_apitoken t JOIN auth_user u ON u.id = t.user_id"
            " LEFT JOIN accounts_membership m ON m.user_id = u.id AND m.active"
            " LEFT JOIN geo_adminunit g ON g.id = m.unit_id"
            + (" LEFT JOIN core_idempotencyrecord r ON r.user_id = u.id AND r.route = %s"
               ' AND r."key" = %s' if replay else "")
            + " WHERE t.token_hash = %s AND t.revoked_at IS NULL AND t.expires_at > %s"
            " AND u.is_active")
    return _TOKEN_QUERIES[vendor, replay]


def _mark_used(token_id: int, now: datetime) -> None:
    """Set the token's ``last_used_at``, unless another transaction is doing so.

    On PostgreSQL the row is skipped when locked (``SKIP LOCKED``): the group-commit
    writers of several server processes each batch the requests that found a token
    stale, and two batches that marked two tokens in opposite orders deadlocked
    (PostgreSQL aborts one after ``deadlock_timeout``: every request of that batch got a
    500; docs/benchmarks.md, "PostgreSQL: intake at its causes").  A skipped row is
    being marked by the transaction that holds it; the request needs no wait for it.
    """
    if connection.vendor == "postgresql":
        sql.execute(
            "UPDATE accounts_apitoken SET last_used_at = %s WHERE id = ("
            "SELECT id FROM accounts_apitoken WHERE id = %s FOR UPDATE SKIP LOCKED)",
            [now, token_id])
    else:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)


def _memberships(joined: list[tuple[Membership, AdminUnit]]) -> list[Membership]:
    """The memberships read with the token, with their units and agencies (when any),
    in the model's order."""
    rows = [membership for membership, _ in joined]
    agencies = sql.by_ids(Agency, (m.agency_id for m in rows if m.agency_id))
    for membership, unit in joined:
        sql.attach(membership, "unit", unit)
        sql.attach(membership, "agency", agencies.get(membership.agency_id or 0))
    rows.sort(key=lambda m: (m.unit.path, m.role, m.pk))  # the model's ordering
    return rows
