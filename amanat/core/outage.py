"""The database cannot serve now: answer 503 with ``Retry-After`` and raise one alarm.

A full disk, a write lock held past SQLite's busy timeout, or a PostgreSQL server that
does not answer is not a bug in the request: the same request will work once the
operator has acted, and nothing it sent was acknowledged (a write is answered only after
its commit; docs/intake-load.md).  So the client is told to come back (503 and
``Retry-After``; field devices retry with the same ``Idempotency-Key``), and the operator
is told once, not once per request: one ``ALARM`` line on the logger
``amanat.core.outage`` per kind of outage and server process per
``AMANAT_OUTAGE_ALARM_EVERY`` seconds, counting the requests refused in between.

Used in two places that see every failed request: the API's exception handler
(``amanat.api``) and the site's ``handler500`` (``server_error``), which also catches what
the middleware raises (sessions, sign-in) before a view runs.  Any other database error
(a missing table, a broken constraint) is still a 500: it will not heal by waiting.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views import defaults

from amanat.core.api_errors import error_body
from amanat.core.errors import RuleError

logger = logging.getLogger(__name__)

Reason = Literal["disk_full", "locked", "unreachable", "io_error"]

# SQLite's primary result codes (the low byte of an extended code).
_SQLITE: dict[int, Reason] = {
    5: "locked",  # SQLITE_BUSY: the busy timeout ran out
    6: "locked",  # SQLITE_LOCKED: a table lock (shared cache)
    10: "io_error",  # SQLITE_IOERR: a write or fsync failed (a full disk, too, at times)
    13: "disk_full",  # SQLITE_FULL
    14: "unreachable",  # SQLITE_CANTOPEN: the file or its directory is gone
}
# PostgreSQL SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html);
# classes match by their first two characters.
_POSTGRES: dict[str, Reason] = {
    "08": "unreachable",  # connection exception
    "57P01": "unreachable",  # admin shutdown
    "57P02": "unreachable",  # crash shutdown
    "57P03": "unreachable",  # cannot connect now (starting up, recovering)
    "53300": "unreachable",  # too many connections
    "53100": "disk_full",
    "55P03": "locked",  # lock not available (lock_timeout)
    # A deadlock or a serialization failure rolls the transaction back: nothing was
    # stored and the same request succeeds when sent again (seen across a failover: a
    # retry with its Idempotency-Key met its own first attempt, still in flight on the
    # other app server, on the audit chain head and the key's unique index).
    "40P01": "locked",  # deadlock detected
    "40001": "locked",  # serialization failure
    "58030": "io_error",
}

_DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}

_MESSAGES: dict[Reason, Promise] = {
    "disk_full": _("the database's disk is full; nothing was stored: try again later"),
    "locked": _("the database is busy (locked); nothing was stored: try again later"),
    "unreachable": _("the database cannot be reached; nothing was stored: try again later"),
    "io_error": _("the database cannot write to its disk; nothing was stored: try again "
                  "later"),
}


@dataclass(frozen=True)
class Outage:
    """Why the database cannot serve now, and the driver's own words."""

    reason: Reason
    cause: str

    @property
    def error(self) -> RuleError:
        return RuleError(_MESSAGES[self.reason], code=self.reason, field="")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it was raised from or while handling (Django wraps the
    driver's error; group commit may re-raise another)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _postgres_reason(exc: BaseException) -> Reason | None:
    # psycopg (3) names the code ``sqlstate``, psycopg2 ``pgcode``; both are optional
    # installs, so they are recognised by module rather than imported.  psycopg_pool's
    # PoolTimeout (no connection to lend within AMANAT_DB_POOL_TIMEOUT: the server is
    # unreachable, or the pool saturated) is an OperationalError without a code.
    if type(exc).__module__.split(".")[0] not in {"psycopg", "psycopg2", "psycopg_pool"}:
        return None
    state = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    if state is None:
        # No server answer at all: refused, timed out, or the connection dropped.
        operational = any(c.__name__ == "OperationalError" for c in type(exc).__mro__)
        return "unreachable" if operational else None
    return _POSTGRES.get(state) or _POSTGRES.get(state[:2])


def outage_of(exc: BaseException) -> Outage | None:
    """The outage behind ``exc``, or None when waiting would not help."""
    for error in _chain(exc):
        reason: Reason | None = None
        if isinstance(error, OSError) and error.errno in _DISK_FULL_ERRNOS:
            # Not the database's own error: a file beside it (group commit's lock file).
            reason = "disk_full"
        elif isinstance(error, sqlite3.Error):
            code = getattr(error, "sqlite_errorcode", None)
            reason = _SQLITE.get(code & 0xFF) if isinstance(code, int) else None
        else:
            reason = _postgres_reason(error)
        if reason is not None:
            return Outage(reason, f"{type(error).__module__}.{type(error).__name__}: {error}")
    return None


def retry_after() -> int:
    """Seconds a client should wait before trying again (``AMANAT_RETRY_AFTER``)."""
    return int(getattr(settings, "AMANAT_RETRY_AFTER", 30))


# --- the alarm -------------------------------------------------------------------------


@dataclass
class _Alarms:
    """When each kind of outage was last reported, and how many refusals since."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    last: dict[Reason, float] = field(default_factory=dict)
    refused: dict[Reason, int] = field(default_factory=dict)

    def clear(self) -> None:
        with self.lock:
            self.last.clear()
            self.refused.clear()


alarms = _Alarms()


def alarm(outage: Outage, request: HttpRequest) -> None:
    """Log the outage at ERROR, at most once per kind per ``AMANAT_OUTAGE_ALARM_EVERY``."""
    every = float(getattr(settings, "AMANAT_OUTAGE_ALARM_EVERY", 60))
    now = time.monotonic()
    with alarms.lock:
        refused = alarms.refused.get(outage.reason, 0) + 1
        last = alarms.last.get(outage.reason)
        if last is not None and now - last < every:
            alarms.refused[outage.reason] = refused
            return
        alarms.last[outage.reason] = now
        alarms.refused[outage.reason] = 0
    logger.error(
        "ALARM database unavailable (%s): %s; answering 503 with Retry-After: %d;"
        " %d request(s) refused since the last alarm (now %s %s)",
        outage.reason, outage.cause, retry_after(), refused, request.method, request.path,
    )


# --- the answers -----------------------------------------------------------------------


def unavailable(request: HttpRequest, outage: Outage) -> HttpResponse:
    """503 with ``Retry-After``: the API's error body under the API, a plain page
    elsewhere.  Raises the alarm."""
    alarm(outage, request)
    response: HttpResponse
    if request.path.startswith(settings.AMANAT_API_PREFIX):
        body = error_body([outage.error], detail=_("Service unavailable; retry later"))
        response = JsonResponse(body, status=503)
    else:
        # No base template: its navigation would ask the database again.
        page = render_to_string("503.html")
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(retry_after())
    response["Cache-Control"] = "no-store"
    # Django logs every 5xx answer (django.request); the alarm above replaces that line.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: an outage is 503 (see above), anything else Django's 500 page."""
    exc = sys.exc_info()[1]
    outage = outage_of(exc) if exc is not None else None
    if outage is not None:
        return unavailable(request, outage)
    return defaults.server_error(request)
