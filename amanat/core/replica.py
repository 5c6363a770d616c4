"""Reads from a streaming replica (issue 19), for the pages that only read.

With ``AMANAT_REPLICA_URL`` set, the ``replica`` database is a PostgreSQL hot standby
of the primary.  Dashboards, maps, lists and exports are marked with
``@replica_read``; while such a view runs, ``ReplicaRouter`` sends its reads there.
Everything else reads and writes the primary, and so does a marked view:

* inside a transaction on the primary (an audit entry's chain head, a service's reads),
  so that what a write reads is what it locks;
* for a user who wrote in the last ``AMANAT_REPLICA_STICKY_SECONDS`` (the cookie
  ``RecentWriteMiddleware`` sets after any POST), so that they read their own writes;
* when the replica is further behind than ``AMANAT_REPLICA_MAX_LAG`` seconds, or
  cannot be reached: staleness is bounded.

A page read from the replica says how old its data may be ("as of 3 s ago": the
``replica`` context processor).  The lag is measured once per request: 0 when the
replica has replayed all the primary had written a moment before (asked of the
primary), else the age of its last replayed commit (an over-estimate when the primary
had been idle, which errs toward the primary).  Who the user is and what they may do
(sessions, users, memberships, tokens, devices, lockouts) is always read from the
primary, even in a marked view.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar, cast

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

log = logging.getLogger("amanat.replica")

REPLICA = "replica"
PRIMARY = "default"
STICKY_COOKIE = "amanat_wrote"
SAFE_METHODS = frozenset({"GET", "HEAD"})

View = TypeVar("View", bound=Callable[..., Any])

_reading: ContextVar[bool] = ContextVar("amanat_replica_reading", default=False)

# Where the primary's WAL is now (the INSERT position: with synchronous_commit=off a
# commit is acknowledged before its WAL is written, so the write position could miss it).
PRIMARY_LSN_SQL = "SELECT pg_current_wal_insert_lsn()"
# 0 when the replica has replayed everything the primary had a moment ago; else the age
# of its last replayed commit (an upper bound on how old its data is: it has every
# commit up to that one). Never "it has replayed all it RECEIVED": a standby cut off from
# its primary (a network cut, a failover to a standby it does not follow) has, and would
# claim to be current for ever (review 2026-12, finding 2).
LAG_SQL = (
    "SELECT CASE WHEN pg_last_wal_replay_lsn() >= %s::pg_lsn THEN 0"
    " ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 1e9) END"
)

# Who the user is and what they may do is never read from the replica: a session ended,
# an account disabled, a role removed, a token revoked or a second factor reset on the
# primary takes effect at once, whatever the replica's lag (review 2026-12, finding 1).
# By app label, so that this module imports none of them.
ACCESS_APPS = frozenset({"auth", "sessions", "accounts", "django_otp", "otp_totp",
                         "otp_static", "axes"})


def configured() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    """Reads go to the replica only inside ``reading_from_replica`` and outside any
    transaction on the primary; writes and migrations are the primary's."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if not _reading.get():
            return None
        if connections[PRIMARY].in_atomic_block or model._meta.app_label in ACCESS_APPS:
            # PRIMARY, not None: Django would otherwise follow a related object's
            # database hint back to the replica.
            return PRIMARY
        return REPLICA

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # One database seen through two connections: every relation holds.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY


class _Warnings:
    """When each kind of replica problem was last logged, and the pages read from the
    primary because of it since: one line a minute per process, not one per page."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last: dict[str, float] = {}
        self.pages: dict[str, int] = {}


warnings = _Warnings()


def _warn(kind: str, message: str, *args: Any) -> None:
    """Log a replica problem at WARNING, at most once per kind per
    ``AMANAT_OUTAGE_ALARM_EVERY`` seconds (as the outage alarm), with the number of
    pages that read the primary because of it since the last line."""
    every = float(getattr(settings, "AMANAT_OUTAGE_ALARM_EVERY", 60))
    now = time.monotonic()
    with warnings.lock:
        pages = warnings.pages.get(kind, 0) + 1
        last = warnings.last.get(kind)
        if last is not None and now - last < every:
            warnings.pages[kind] = pages
            return
        warnings.last[kind] = now
        warnings.pages[kind] = 0
    log.warning(message + "; %d page(s) read from the primary since the last warning",
                *args, pages)


def replica_lag() -> float | None:
    """Seconds the replica may be behind the primary; None if it cannot be asked."""
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute(PRIMARY_LSN_SQL)
        position = cursor.fetchone()[0]
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(LAG_SQL, [position])
            row = cursor.fetchone()
    except DatabaseError:
        _warn("unreachable", "the replica could not be reached: reading from the primary")
        connections[REPLICA].close()
        return None
    return float(row[0]) if row else None


@contextmanager
def reading_from_replica() -> Iterator[None]:
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def _use_replica(request: HttpRequest) -> float | None:
    """The lag if this request may read from the replica, else None."""
    if not configured() or STICKY_COOKIE in request.COOKIES:
        return None
    lag = replica_lag()
    if lag is None:
        return None
    if lag > settings.AMANAT_REPLICA_MAX_LAG:
        # Every marked page now loads the primary: the operator must hear of it (a
        # replica paused, cut off, or left behind by a failover; user review 2 of the
        # national layout, finding 1).
        _warn("behind", "the replica is %.0f s behind (AMANAT_REPLICA_MAX_LAG %.0f s):"
              " reading from the primary", lag, settings.AMANAT_REPLICA_MAX_LAG)
        return None
    return lag


def replica_read(view: View) -> View:
    """Mark a view that only reads (a dashboard, map, list or export): its reads may be
    served by the replica.  An export's POST counts as a read: the audit entry it
    writes goes to the primary in its own transaction."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        lag = _use_replica(request)
        request.amanat_replica_lag = lag  # type: ignore[attr-defined]
        request.amanat_read_only = True  # type: ignore[attr-defined]
        if lag is None:
            response = view(request, *args, **kwargs)
            served = PRIMARY
        else:
            with reading_from_replica():
                response = view(request, *args, **kwargs)
                # A template response renders later: render it while still routed.
                if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                    response.render()
            served = REPLICA
        if configured():
            response["X-Amanat-Read"] = served
        return response

    return cast(View, wrapped)


class RecentWriteMiddleware:
    """After a request that may have written (any method but GET and HEAD, a view not
    marked read-only), the user reads the primary for a while: they see their own
    writes at once, whatever the replica's lag."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (configured() and request.method not in SAFE_METHODS
                and not getattr(request, "amanat_read_only", False)):
            response.set_cookie(STICKY_COOKIE, "1",
                                max_age=settings.AMANAT_REPLICA_STICKY_SECONDS,
                                secure=request.is_secure(), httponly=True, samesite="Lax")
        return response


def context(request: HttpRequest) -> dict[str, Any]:
    """``replica_lag``: seconds, when the page was read from the replica."""
    return {"replica_lag": getattr(request, "amanat_replica_lag", None)}
