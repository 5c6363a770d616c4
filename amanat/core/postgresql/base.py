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
server that silently vanished from the network is caught by neither check until TCP
gives up (``AMANAT_DB_CONNECT_TIMEOUT`` bounds the new connection's attempt).

With the pool (``AMANAT_DB_POOL``) the pool checks the connections it lends; Django does
not call this then.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq


def _readable(fileno: int) -> bool:
    """Whether the socket has something to read (or is closed), without waiting."""
    poller = select.poll()
    poller.register(fileno, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


class DatabaseWrapper(base.DatabaseWrapper):
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
