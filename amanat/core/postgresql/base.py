"""Django's PostgreSQL backend, with a health check that costs no round trip.

Django's ``CONN_HEALTH_CHECKS`` runs ``SELECT 1`` on a kept connection before the first
query of every request: on the report intake, one of about ten round trips a request,
each costing the app and PostgreSQL CPU on the same cores (docs/benchmarks.md,
"PostgreSQL: intake at its causes").  What that check catches promptly is a connection
the server has ended: the server (or the backend) killed, shut down, restarted, a
failover, an idle timeout.  Each of those leaves the connection's socket readable (the
server's closing of it, often after a last error message) while nothing has been asked
on it.  So: a socket with nothing to read, on a connection that libpq holds as good and
idle, passes without asking the server; anything else gets Django's ``SELECT 1``.  A
server that silently vanished from the network is caught by neither check (``SELECT 1``
would wait on it as the request's query does): the connection's ``tcp_user_timeout``
and keepalives (``AMANAT_DB_TCP_TIMEOUT``, amanat/settings.py) end it within seconds,
and ``AMANAT_DB_CONNECT_TIMEOUT`` bounds the new connection's attempt
(tests/test_vanished_host.py).

With the pool (``AMANAT_DB_POOL``) Django does not call this: the pool checks each
connection it lends, with a round trip of its own (``ConnectionPool.check_connection``,
an empty query); the pool here checks the same way as above (``check_lent``, given to
psycopg_pool as its ``check``).
"""

from __future__ import annotations

import select
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.backends.base.base import NO_DB_ALIAS
from django.db.backends.postgresql import base
from psycopg import pq
from psycopg_pool import ConnectionPool


def _readable(fileno: int) -> bool:
    """Whether the socket has something to read (or is closed), without waiting."""
    poller = select.poll()
    poller.register(fileno, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


def _quiet(conn: Any) -> bool:
    """Good and idle as libpq knows it, and nothing on its socket: nothing happened."""
    pgconn = conn.pgconn
    if (conn.closed or pgconn.status != pq.ConnStatus.OK
            or pgconn.transaction_status != pq.TransactionStatus.IDLE
            or not hasattr(select, "poll")):  # not on Windows: ask the server there
        return False
    try:
        return not _readable(pgconn.socket)
    except (OSError, ValueError):  # no socket left
        return False


def check_lent(conn: Any) -> None:
    """The pool's check of a connection it is about to lend: raises if it is broken
    (the pool then drops it and lends another).  Asks the server only when the
    connection is not quiet."""
    if not _quiet(conn):
        ConnectionPool.check_connection(conn)


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self) -> Any:
        """Django's pool (``OPTIONS["pool"]``), built as Django 5.2 builds it but for its
        check on lending: ``check_lent`` through psycopg_pool's public ``check``
        argument (Django passes its own ``check`` and refuses a second in the options)."""
        pool_options = self.settings_dict["OPTIONS"].get("pool")
        if self.alias == NO_DB_ALIAS or not pool_options:
            return None
        pools = self._connection_pools  # type: ignore[attr-defined]
        if self.alias not in pools:
            if self.settings_dict.get("CONN_MAX_AGE", 0) != 0:
                raise ImproperlyConfigured("Pooling doesn't support persistent connections.")
            options = {} if pool_options is True else dict(pool_options)
            connect_kwargs = self.get_connection_params()
            connect_kwargs["autocommit"] = True  # Django sets it as it needs later on
            pool = ConnectionPool(
                kwargs=connect_kwargs,
                open=False,  # opened on first use, as Django's
                configure=self._configure_connection,  # type: ignore[attr-defined]
                check=check_lent if self.settings_dict["CONN_HEALTH_CHECKS"] else None,
                **options,
            )
            # As Django: the first of several threads building one at start-up wins.
            pools.setdefault(self.alias, pool)
        return pools[self.alias]

    def is_usable(self) -> bool:
        conn = self.connection
        if conn is None or conn.closed:
            return False
        pgconn = conn.pgconn
        quiet = (not self.errors_occurred and pgconn.status == pq.ConnStatus.OK
                 and pgconn.transaction_status == pq.TransactionStatus.IDLE
                 and hasattr(select, "poll"))  # not on Windows: ask the server there
        try:
            if quiet and not _readable(pgconn.socket):
                return True
        except (OSError, ValueError):  # no socket left
            return False
        usable: bool = super().is_usable()
        return usable
